//! Sockets: IPv4, IPv6 and netlink, through the kernel's own structures from `libc`.

use crate::arch::{check, nr, syscall2, syscall3, syscall4, syscall5, syscall6};
use crate::io::Fd;
use crate::{OwnedFd, Result};
use core::mem::size_of;

/// A socket address the kernel understands: a `sockaddr_*` structure.
///
/// # Safety
/// Implementors are `#[repr(C)]` kernel socket address structures whose first field is the
/// address family, so the kernel may read `size_of::<Self>()` bytes from them.
pub unsafe trait SocketAddress: Sized {}

// SAFETY: the kernel's own `sockaddr_in`, from `libc`.
unsafe impl SocketAddress for libc::sockaddr_in {}
// SAFETY: the kernel's own `sockaddr_in6`, from `libc`.
unsafe impl SocketAddress for libc::sockaddr_in6 {}
// SAFETY: the kernel's own `sockaddr_nl`, from `libc`.
unsafe impl SocketAddress for libc::sockaddr_nl {}

/// An IPv4 socket address; `ip` and `port` in the order they are written (network order
/// is applied here).
pub fn sockaddr_in(ip: [u8; 4], port: u16) -> libc::sockaddr_in {
    // SAFETY: an all-zero `sockaddr_in` is valid (plain integers).
    let mut addr: libc::sockaddr_in = unsafe { core::mem::zeroed() };
    addr.sin_family = libc::AF_INET as libc::sa_family_t;
    addr.sin_port = port.to_be();
    addr.sin_addr.s_addr = u32::from_ne_bytes(ip);
    addr
}

/// An IPv6 socket address with its scope (interface index, 0 for none).
pub fn sockaddr_in6(ip: [u8; 16], port: u16, scope_id: u32) -> libc::sockaddr_in6 {
    // SAFETY: an all-zero `sockaddr_in6` is valid (plain integers).
    let mut addr: libc::sockaddr_in6 = unsafe { core::mem::zeroed() };
    addr.sin6_family = libc::AF_INET6 as libc::sa_family_t;
    addr.sin6_port = port.to_be();
    addr.sin6_addr.s6_addr = ip;
    addr.sin6_scope_id = scope_id;
    addr
}

/// The socket address of `addr`, `port` and (IPv6) `scope_id`, of either family, in the room
/// of a `sockaddr_in6`: an IPv4 `sockaddr_in` sits at its start, and `bind`, `connect` and
/// `sendto` read it from there (they take an address at least as long as the family's).
/// One type for both families keeps one call where there would be two.
pub fn socket_address(addr: &crate::addr::Addr, port: u16, scope_id: u32) -> libc::sockaddr_in6 {
    let octets = addr.octets();
    let mut ip = [0u8; 16];
    ip[..octets.len()].copy_from_slice(octets);
    let mut address = sockaddr_in6(ip, port, scope_id);
    if addr.family == crate::addr::Family::V4 {
        let v4 = sockaddr_in(ip[..4].try_into().unwrap_or_default(), port);
        // SAFETY: a `sockaddr_in` is smaller than a `sockaddr_in6`; both are plain integers.
        unsafe { core::ptr::write_unaligned((&raw mut address).cast(), v4) };
    }
    address
}

/// A netlink socket address: `pid` 0 is the kernel (or "let the kernel choose" in `bind`).
pub fn sockaddr_nl(pid: u32, groups: u32) -> libc::sockaddr_nl {
    // SAFETY: an all-zero `sockaddr_nl` is valid (plain integers).
    let mut addr: libc::sockaddr_nl = unsafe { core::mem::zeroed() };
    addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    addr.nl_pid = pid;
    addr.nl_groups = groups;
    addr
}

/// Room for any socket address the kernel reports (`recvfrom`, `getsockname`).
#[derive(Clone, Copy)]
#[repr(C)]
pub struct AnyAddress {
    storage: libc::sockaddr_storage,
    len: libc::socklen_t,
}

impl AnyAddress {
    /// Empty storage, ready for the kernel to fill.
    pub fn new() -> Self {
        // SAFETY: an all-zero `sockaddr_storage` is valid (plain integers).
        let storage = unsafe { core::mem::zeroed() };
        AnyAddress { storage, len: 0 }
    }

    /// The address family (`AF_INET`, `AF_INET6`, …).
    pub fn family(&self) -> i32 {
        i32::from(self.storage.ss_family)
    }

    /// The bytes the kernel wrote.
    pub fn as_bytes(&self) -> &[u8] {
        let len = (self.len as usize).min(size_of::<libc::sockaddr_storage>());
        // SAFETY: `storage` is plain old data of at least `len` bytes.
        unsafe { core::slice::from_raw_parts((&raw const self.storage).cast::<u8>(), len) }
    }

    /// The IPv4 address, if it is one.
    pub fn as_v4(&self) -> Option<libc::sockaddr_in> {
        (self.family() == libc::AF_INET).then(|| {
            // SAFETY: the family says the storage holds a `sockaddr_in`, which it can hold.
            unsafe { core::ptr::read_unaligned((&raw const self.storage).cast()) }
        })
    }

    /// The IPv6 address, if it is one.
    pub fn as_v6(&self) -> Option<libc::sockaddr_in6> {
        (self.family() == libc::AF_INET6).then(|| {
            // SAFETY: the family says the storage holds a `sockaddr_in6`, which it can hold.
            unsafe { core::ptr::read_unaligned((&raw const self.storage).cast()) }
        })
    }

    /// The first bytes of the address as a `sockaddr_in6`, whatever the family: an IPv4
    /// `sockaddr_in` sits at its start, and the kernel reads it back from there, so one type
    /// holds the sender of either family for an answer by `sendto`.
    pub fn in6_room(&self) -> libc::sockaddr_in6 {
        // SAFETY: `storage` is plain old data larger than a `sockaddr_in6`.
        unsafe { core::ptr::read_unaligned((&raw const self.storage).cast()) }
    }

    /// The port, for IPv4 and IPv6 addresses (host order).
    pub fn port(&self) -> Option<u16> {
        self.as_v4()
            .map(|a| u16::from_be(a.sin_port))
            .or_else(|| self.as_v6().map(|a| u16::from_be(a.sin6_port)))
    }
}

impl Default for AnyAddress {
    fn default() -> Self {
        Self::new()
    }
}

/// `int socket(int domain, int type, int protocol)`. `SOCK_CLOEXEC` is always added.
pub fn socket(domain: i32, kind: i32, protocol: i32) -> Result<OwnedFd> {
    // SAFETY: plain integer arguments.
    let ret = unsafe {
        syscall3(
            nr(libc::SYS_socket),
            domain as usize,
            (kind | libc::SOCK_CLOEXEC) as usize,
            protocol as usize,
        )
    };
    check(ret).map(OwnedFd::from_ret)
}

/// `int socket(int domain, int type, int protocol)` exactly as asked, nothing added: for the
/// preload, which stands in for the C library's `socket()`. Returns the raw descriptor.
pub fn socket_as_asked(domain: i32, kind: i32, protocol: i32) -> Result<i32> {
    // SAFETY: plain integer arguments.
    let ret = unsafe {
        syscall3(
            nr(libc::SYS_socket),
            domain as usize,
            kind as usize,
            protocol as usize,
        )
    };
    check(ret).map(|fd| fd as i32)
}

/// `int bind(int fd, const struct sockaddr *addr, socklen_t len)`.
pub fn bind<A: SocketAddress>(fd: Fd, addr: &A) -> Result<()> {
    // SAFETY: `addr` is a live kernel socket address of `size_of::<A>()` bytes (trait contract).
    let ret = unsafe {
        syscall3(
            nr(libc::SYS_bind),
            fd.arg(),
            (addr as *const A) as usize,
            size_of::<A>(),
        )
    };
    check(ret).map(drop)
}

/// `int connect(int fd, const struct sockaddr *addr, socklen_t len)`.
pub fn connect<A: SocketAddress>(fd: Fd, addr: &A) -> Result<()> {
    // SAFETY: `addr` is a live kernel socket address of `size_of::<A>()` bytes (trait contract).
    let ret = unsafe {
        syscall3(
            nr(libc::SYS_connect),
            fd.arg(),
            (addr as *const A) as usize,
            size_of::<A>(),
        )
    };
    check(ret).map(drop)
}

/// `int listen(int fd, int backlog)`.
pub fn listen(fd: Fd, backlog: u32) -> Result<()> {
    // SAFETY: plain integer arguments.
    check(unsafe { syscall2(nr(libc::SYS_listen), fd.arg(), backlog as usize) }).map(drop)
}

/// `int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)`, the peer's
/// address not asked for: the connection, its descriptor made with `flags`
/// (`SOCK_NONBLOCK`, `SOCK_CLOEXEC`).
pub fn accept4(fd: Fd, flags: i32) -> Result<OwnedFd> {
    // SAFETY: null address and length pointers: the kernel writes no address.
    let ret = unsafe { syscall4(nr(libc::SYS_accept4), fd.arg(), 0, 0, flags as usize) };
    check(ret).map(OwnedFd::from_ret)
}

/// `ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
/// socklen_t tolen)`; `to` is `None` on a connected socket.
pub fn sendto<A: SocketAddress>(fd: Fd, buf: &[u8], flags: i32, to: Option<&A>) -> Result<usize> {
    let (to_ptr, to_len) = match to {
        Some(addr) => ((addr as *const A) as usize, size_of::<A>()),
        None => (0, 0),
    };
    // SAFETY: the kernel reads `buf.len()` bytes of the live buffer and, if given, the live
    // socket address (trait contract).
    let ret = unsafe {
        syscall6(
            nr(libc::SYS_sendto),
            fd.arg(),
            buf.as_ptr() as usize,
            buf.len(),
            flags as usize,
            to_ptr,
            to_len,
        )
    };
    check(ret)
}

/// `ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
/// socklen_t *fromlen)`: receives into `buf` and, if given, records the sender.
pub fn recvfrom(
    fd: Fd,
    buf: &mut [u8],
    flags: i32,
    from: Option<&mut AnyAddress>,
) -> Result<usize> {
    let (from_ptr, len_ptr) = match from {
        Some(any) => {
            any.len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            ((&raw mut any.storage) as usize, (&raw mut any.len) as usize)
        }
        None => (0, 0),
    };
    // SAFETY: the kernel writes at most `buf.len()` bytes into the exclusive buffer and at
    // most `len` bytes of address into the exclusive storage, then the length.
    let ret = unsafe {
        syscall6(
            nr(libc::SYS_recvfrom),
            fd.arg(),
            buf.as_mut_ptr() as usize,
            buf.len(),
            flags as usize,
            from_ptr,
            len_ptr,
        )
    };
    check(ret)
}

/// `int setsockopt(int fd, int level, int name, const void *value, socklen_t len)` for an
/// `int`-sized option (`SO_MARK`, `SO_REUSEADDR`, …).
pub fn setsockopt_u32(fd: Fd, level: i32, name: i32, value: u32) -> Result<()> {
    // SAFETY: the kernel reads four bytes of the live local.
    let ret = unsafe {
        syscall5(
            nr(libc::SYS_setsockopt),
            fd.arg(),
            level as usize,
            name as usize,
            (&raw const value) as usize,
            size_of::<u32>(),
        )
    };
    check(ret).map(drop)
}

/// `int getsockopt(int fd, int level, int name, void *value, socklen_t *len)` for an
/// `int`-sized option.
pub fn getsockopt_u32(fd: Fd, level: i32, name: i32) -> Result<u32> {
    let mut value = 0u32;
    let mut len = size_of::<u32>() as libc::socklen_t;
    // SAFETY: the kernel writes at most `len` (four) bytes into the live local, then `len`.
    let ret = unsafe {
        syscall5(
            nr(libc::SYS_getsockopt),
            fd.arg(),
            level as usize,
            name as usize,
            (&raw mut value) as usize,
            (&raw mut len) as usize,
        )
    };
    check(ret).map(|_| value)
}

/// `int getsockname(int fd, struct sockaddr *addr, socklen_t *len)`: the local address.
pub fn getsockname(fd: Fd) -> Result<AnyAddress> {
    let mut any = AnyAddress::new();
    any.len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: the kernel writes at most `len` bytes into the live storage, then `len`.
    let ret = unsafe {
        syscall3(
            nr(libc::SYS_getsockname),
            fd.arg(),
            (&raw mut any.storage) as usize,
            (&raw mut any.len) as usize,
        )
    };
    check(ret).map(|_| any)
}

/// The index of the network interface `name` (`if_nametoindex(3)`), asked with the
/// `SIOCGIFINDEX` ioctl on any socket `fd` of the namespace. A name longer than the kernel's
/// 15 bytes, or one with a NUL, is `ENODEV` like a missing interface.
pub fn interface_index(fd: Fd, name: &[u8]) -> Result<u32> {
    // SAFETY: an all-zero `ifreq` is valid (a name and a union of plain data).
    let mut request: libc::ifreq = unsafe { core::mem::zeroed() };
    if name.is_empty() || name.len() >= request.ifr_name.len() || crate::text::has_byte(name, 0) {
        return Err(crate::Errno::ENODEV);
    }
    for (slot, byte) in request.ifr_name.iter_mut().zip(name) {
        *slot = *byte as libc::c_char;
    }
    // SAFETY: the kernel reads the NUL-terminated name and writes the index into the live,
    // exclusive `ifreq`.
    let ret = unsafe {
        syscall3(
            nr(libc::SYS_ioctl),
            fd.arg(),
            libc::SIOCGIFINDEX as usize,
            (&raw mut request) as usize,
        )
    };
    check(ret)?;
    // SAFETY: SIOCGIFINDEX filled in the union's `ifru_ifindex`.
    Ok(unsafe { request.ifr_ifru.ifru_ifindex } as u32)
}

/// `int shutdown(int fd, int how)`.
pub fn shutdown(fd: Fd, how: i32) -> Result<()> {
    // SAFETY: plain integer arguments.
    check(unsafe { syscall2(nr(libc::SYS_shutdown), fd.arg(), how as usize) }).map(drop)
}
