//! The event loop: sockets, the resolv file, signals and the clock around the forwarder
//! (`dns54::forward`), which decides everything. One thread, one `epoll`; every descriptor
//! is non-blocking, and each wake reads what is there up to a bound, so that no source
//! starves the others.

mod stream;

use core::ffi::CStr;
use dns54::forward::{
    Counter, Counters, DATAGRAM_CAPACITY, Failure, Forwarder, Io, Millis, Random, earlier, reached,
};
use dns54::options::{FORWARD_CAPACITY, MAX_PATH, Options};
use dns54::resolv::{RESOLV_CAPACITY, Servers, Skipped, parse_resolv};
use sys::addr::{Addr, Family};
use sys::epoll;
use sys::io::{Fd, Line};
use sys::net::{self, AnyAddress};
use sys::signal::{self, SigSet};
use sys::{Errno, OwnedFd, fs, inotify, io, libc, random, time, user};

use stream::{CONNECTION, RELAY, Streams, Upstream};

/// Where a client's answer goes: the listening socket it asked on and its address (an
/// IPv4 one in the room of an IPv6 one, see `AnyAddress::in6_room`), or the relay of its
/// stream query.
#[derive(Clone, Copy)]
pub struct Client {
    listener: u8,
    /// `stream::NONE` for a datagram.
    relay: u8,
    peer: libc::sockaddr_in6,
}

/// How many datagrams one wake reads from one socket before the others get their turn.
const READS_PER_WAKE: usize = 64;

/// What an epoll event's data says: the kind of descriptor in the high half, its index in
/// the low half.
const LISTENER: u64 = 1 << 32;
const UPSTREAM: u64 = 2 << 32;
const SIGNALS: u64 = 3 << 32;
const RESOLV: u64 = 4 << 32;
/// A TCP listener. `stream::CONNECTION` and `stream::RELAY` follow.
const STREAM_LISTENER: u64 = 7 << 32;

/// Exit status when the program cannot start.
const CANNOT_START: u8 = 1;

/// Query IDs from the kernel's random pool, drawn a few hundred bytes at a time.
struct Entropy {
    pool: [u8; 256],
    used: usize,
}

impl Random for Entropy {
    fn next_u16(&mut self) -> u16 {
        if self.used + 2 > self.pool.len() {
            // Without randomness there are no safe IDs; at boot getrandom waits for it.
            if random::fill(&mut self.pool).is_err() {
                sys::process::abort();
            }
            self.used = 0;
        }
        let id = u16::from_ne_bytes([self.pool[self.used], self.pool[self.used + 1]]);
        self.used += 2;
        id
    }
}

/// A log line that must not flood the log: said at most once in ten seconds while its cause
/// lasts.
#[derive(Default)]
struct Quiet {
    said_at: Option<Millis>,
}

impl Quiet {
    /// Whether to say it now (and so not again for ten seconds).
    fn may_say(&mut self, now: Millis) -> bool {
        if self
            .said_at
            .is_some_and(|at| !reached(now, at.wrapping_add(10_000)))
        {
            return false;
        }
        self.said_at = Some(now);
        true
    }
}

/// The sockets the forwarder asks for, and the listeners its answers leave by.
struct Sockets<'a> {
    epoll: &'a OwnedFd,
    listeners: &'a [Option<OwnedFd>],
    upstream: [Option<OwnedFd>; dns54::forward::MAX_SOCKETS],
    streams: Streams,
    servers: Servers,
    mark: u32,
    /// Which server each upstream socket is for, to name it in the log.
    server_of: [u8; dns54::forward::MAX_SOCKETS],
    /// The interface index each socket to a scoped server was connected with.
    scope_of: [u32; dns54::forward::MAX_SOCKETS],
    mark_failed: Quiet,
    unreachable: Quiet,
    now: Millis,
    verbose: bool,
}

impl Sockets<'_> {
    /// Says (once in ten seconds) that `server` cannot be reached, and why. Not inlined: it
    /// has several callers, and a call is smaller than the body at each.
    #[inline(never)]
    fn unreachable(&mut self, server: usize, errno: Errno) -> Failure {
        if let Some(server) = self.servers.get(server)
            && self.unreachable.may_say(self.now)
        {
            let mut line = Line::new();
            line.text(b"dns54: upstream ");
            sys::addr::write(&server.addr, &mut line);
            if !server.interface().is_empty() {
                line.text(b"%").text(server.interface());
            }
            line.text(b" unreachable: ")
                .text(errno_words(errno))
                .text(b"\n");
            line.write_to(Fd::STDERR);
        }
        Failure::Unreachable
    }
}

impl Io<Client> for Sockets<'_> {
    fn open(
        &mut self,
        socket: usize,
        server_index: usize,
        stream: Option<&Client>,
    ) -> Result<(), Failure> {
        let Some(server) = self.servers.get(server_index).copied() else {
            return Err(Failure::Unreachable);
        };
        let relay = match stream.map(|client| client.relay) {
            // Its client went away: nothing to open for.
            Some(relay) if !self.streams.wanted(relay) => return Err(Failure::Unreachable),
            relay => relay,
        };
        let domain = match server.addr.family {
            Family::V4 => libc::AF_INET,
            Family::V6 => libc::AF_INET6,
        };
        let kind = if relay.is_some() {
            libc::SOCK_STREAM
        } else {
            libc::SOCK_DGRAM
        };
        let fd =
            net::socket(domain, kind | libc::SOCK_NONBLOCK, 0).map_err(|_| Failure::Unreachable)?;
        if self.mark != 0
            && let Err(errno) =
                net::setsockopt_u32(fd.fd(), libc::SOL_SOCKET, libc::SO_MARK, self.mark)
        {
            // Never an unmarked query: the forwarder answers SERVFAIL.
            if self.mark_failed.may_say(self.now) {
                let mut line = Line::new();
                line.text(b"dns54: cannot mark upstream sockets (SO_MARK ");
                line.number(self.mark);
                line.text(b"): ");
                line.text(errno_words(errno));
                line.text(b"; queries get SERVFAIL, none leaves unmarked\n");
                line.write_to(Fd::STDERR);
            }
            return Err(Failure::Mark);
        }
        // The interface of a scoped address is looked up at every open, so that a bridge
        // made again after a link flap (a new index) keeps working.
        let scope = if server.interface().is_empty() {
            0
        } else {
            net::interface_index(fd.fd(), server.interface())
                .map_err(|errno| self.unreachable(server_index, errno))?
        };
        let connected = net::connect(
            fd.fd(),
            &net::socket_address(&server.addr, server.port, scope),
        );
        match connected {
            // A stream's connection completes later; its query waits for it.
            Err(Errno::EINPROGRESS) if relay.is_some() => {}
            result => result.map_err(|errno| self.unreachable(server_index, errno))?,
        }
        if let Some(relay) = relay {
            self.streams
                .attach(relay, socket, fd, self.epoll)
                .map_err(|_| Failure::Unreachable)?;
        } else {
            let event = epoll::event(libc::EPOLLIN as u32, UPSTREAM | socket as u64);
            epoll::epoll_ctl(self.epoll.fd(), libc::EPOLL_CTL_ADD, fd.fd(), Some(&event))
                .map_err(|_| Failure::Unreachable)?;
            self.upstream[socket] = Some(fd);
        }
        self.server_of[socket] = server_index as u8;
        self.scope_of[socket] = scope;
        Ok(())
    }

    fn send(&mut self, socket: usize, message: &[u8]) -> Result<(), Failure> {
        if self.streams.is_stream(socket) {
            self.streams.send(socket, message);
            return Ok(());
        }
        let Some(fd) = &self.upstream[socket] else {
            return Err(Failure::Unreachable);
        };
        let Err(errno) = net::sendto::<libc::sockaddr_in>(fd.fd(), message, 0, None) else {
            return Ok(());
        };
        // A deleted interface and a WAN that is down both say "network unreachable". For a
        // scoped server the interface tells them apart: gone, or made again under a new
        // index, the socket is of no more use; otherwise it is kept for when the WAN is back.
        let server = usize::from(self.server_of[socket]);
        let gone = self.servers.get(server).copied().is_some_and(|s| {
            !s.interface().is_empty()
                && net::interface_index(fd.fd(), s.interface()) != Ok(self.scope_of[socket])
        });
        self.unreachable(server, errno);
        Err(if gone {
            Failure::Gone
        } else {
            Failure::Unreachable
        })
    }

    fn close(&mut self, socket: usize) {
        self.streams.close(socket);
        if let Some(fd) = self.upstream[socket].take() {
            let _ = epoll::epoll_ctl(self.epoll.fd(), libc::EPOLL_CTL_DEL, fd.fd(), None);
        }
    }

    fn relay(&mut self, client: &Client, message: &[u8]) {
        self.deliver(client, message, true);
    }

    fn answer(&mut self, client: &Client, message: &[u8]) {
        self.deliver(client, message, false);
    }
}

impl Sockets<'_> {
    /// An answer to a client: a datagram from the listener it asked on, or into its stream.
    fn deliver(&mut self, client: &Client, message: &[u8], relayed: bool) {
        let Some(Some(listener)) = self.listeners.get(usize::from(client.listener)) else {
            return;
        };
        if client.relay != stream::NONE {
            self.streams
                .answer(client.relay, message, relayed, self.now);
        } else {
            // A client that went away is no reason to stop.
            let _ = net::sendto(listener.fd(), message, 0, Some(&client.peer));
        }
        if self.verbose {
            let mut line = Line::new();
            line.text(b"dns54: answered, rcode ");
            line.number(u32::from(dns54::wire::rcode(message)));
            line.text(b", ");
            line.number(message.len() as u32);
            line.text(b" bytes\n");
            line.write_to(Fd::STDERR);
        }
    }
}

/// The resolv file, the watch on its directory, and what it said last.
struct ResolvFile<'p> {
    path: &'p CStr,
    name: &'p [u8],
    watch: OwnedFd,
    text: [u8; RESOLV_CAPACITY],
    len: usize,
}

impl ResolvFile<'_> {
    /// Reads the file again; `Some(servers)` if what it says changed. A missing file says
    /// nothing: no servers.
    fn read(&mut self) -> Option<Servers> {
        let mut text = [0u8; RESOLV_CAPACITY];
        // Missing or unreadable: no servers.
        let (len, cut) = fs::read_lines_to(self.path, &mut text).unwrap_or((0, false));
        if text[..len] == self.text[..self.len] {
            return None;
        }
        self.text[..len].copy_from_slice(&text[..len]);
        self.len = len;
        let name = self.name;
        if cut {
            let mut line = Line::new();
            line.text(b"dns54: ");
            line.text(name);
            line.text(b": fills the 4096 bytes read; read up to its last whole line\n");
            line.write_to(Fd::STDERR);
        }
        let servers = parse_resolv(&text[..len], &mut |number, why| {
            let mut line = Line::new();
            line.text(b"dns54: ");
            line.text(name);
            line.text(b":");
            line.number(number);
            line.text(match why {
                Skipped::NotAnAddress => b": not a server address; skipped\n",
                Skipped::TooMany => b": more than 8 servers; skipped\n",
            });
            line.write_to(Fd::STDERR);
        });
        Some(servers)
    }
}

/// Sets up everything, then runs until SIGTERM or SIGINT (status 0). A status of its own
/// and a message when it cannot start.
pub fn run(options: &Options<'_>) -> u8 {
    // Blocked first, so that no signal is lost or kills the program before the loop reads it.
    let signals = SigSet::empty()
        .with(libc::SIGTERM)
        .with(libc::SIGINT)
        .with(libc::SIGHUP)
        .with(libc::SIGUSR1);
    let setup = || -> Result<(OwnedFd, OwnedFd), (&'static [u8], Errno)> {
        signal::block(&signals).map_err(|e| (&b"cannot block signals"[..], e))?;
        let signal_fd = signal::signalfd(&signals, libc::SFD_NONBLOCK)
            .map_err(|e| (&b"cannot read signals"[..], e))?;
        let epoll_fd = epoll::epoll_create1(0).map_err(|e| (&b"cannot make an epoll"[..], e))?;
        let event = epoll::event(libc::EPOLLIN as u32, SIGNALS);
        epoll::epoll_ctl(
            epoll_fd.fd(),
            libc::EPOLL_CTL_ADD,
            signal_fd.fd(),
            Some(&event),
        )
        .map_err(|e| (&b"cannot watch signals"[..], e))?;
        Ok((epoll_fd, signal_fd))
    };
    let (epoll_fd, signal_fd) = match setup() {
        Ok(fds) => fds,
        Err((what, errno)) => return cannot(what, b"", errno),
    };
    let mut listeners: [Option<OwnedFd>; 2 * dns54::options::MAX_LISTEN] = Default::default();
    for (index, addr) in options.listen().enumerate() {
        // UDP at `index`, TCP after all of them.
        let udp = listen(
            addr,
            options.port,
            &epoll_fd,
            libc::SOCK_DGRAM,
            LISTENER | index as u64,
        );
        let tcp = udp.and_then(|udp| {
            listeners[index] = Some(udp);
            let tcp_index = dns54::options::MAX_LISTEN + index;
            let data = STREAM_LISTENER | tcp_index as u64;
            listen(addr, options.port, &epoll_fd, libc::SOCK_STREAM, data)
                .map(|tcp| listeners[tcp_index] = Some(tcp))
        });
        match tcp {
            Ok(()) => {}
            Err(errno) => {
                let mut words = Line::new();
                sys::addr::write(addr, &mut words);
                words.text(b" port ");
                words.number(u32::from(options.port));
                return cannot(b"cannot listen on ", words.as_bytes(), errno);
            }
        }
    }
    let mut path = [0u8; MAX_PATH + 1];
    let mut resolv = None;
    let mut servers = options.servers;
    if servers.is_empty() {
        let name = options.resolv_file.unwrap_or_default();
        let Ok(c_path) = fs::path(name, &mut path) else {
            return CANNOT_START;
        };
        let watch = match watch_directory(name, &epoll_fd) {
            Ok(watch) => watch,
            Err(errno) => return cannot(b"cannot watch the directory of ", name, errno),
        };
        let mut file = ResolvFile {
            path: c_path,
            name,
            watch,
            text: [0; RESOLV_CAPACITY],
            len: 0,
        };
        servers = file.read().unwrap_or_default();
        resolv = Some(file);
    }
    let mut pid_path = [0u8; MAX_PATH + 1];
    let pid_file = match options.pid_file {
        Some(name) => match write_pid_file(name, &mut pid_path) {
            Ok(path) => Some(path),
            Err(errno) => return cannot(b"cannot write the pid file ", name, errno),
        },
        None => None,
    };
    if let Some(user) = options.user
        && let Err((what, errno)) = drop_privileges(user, options.mark)
    {
        return match errno {
            Some(errno) => cannot(what, user, errno),
            None => cannot_because(what, user),
        };
    }
    if options.mark != 0 {
        check_marking(options.mark);
    }
    let mut entropy = Entropy {
        pool: [0; 256],
        used: 0,
    };
    // Filled now, so that a kernel with no randomness to give stops the start, not the
    // first query.
    if let Err(errno) = random::fill(&mut entropy.pool) {
        return cannot(b"cannot read random numbers", b"", errno);
    }
    let mut sockets = Sockets {
        epoll: &epoll_fd,
        listeners: &listeners,
        upstream: core::array::from_fn(|_| None),
        streams: Streams::new(),
        servers,
        mark: options.mark,
        server_of: [0; dns54::forward::MAX_SOCKETS],
        scope_of: [0; dns54::forward::MAX_SOCKETS],
        mark_failed: Quiet::default(),
        unreachable: Quiet::default(),
        now: 0,
        verbose: options.verbose,
    };
    started(options, &sockets.servers);
    let status = forward(
        options,
        &mut sockets,
        &mut entropy,
        &signal_fd,
        resolv.as_mut(),
    );
    if let Some(path) = pid_file {
        // After dropping to a user, the directory may no longer be ours to change.
        let _ = fs::unlink(path);
    }
    status
}

/// Writes our PID to `name` (made a C string in `space`); returns that path.
fn write_pid_file<'s>(name: &[u8], space: &'s mut [u8; MAX_PATH + 1]) -> Result<&'s CStr, Errno> {
    let path = fs::path(name, space)?;
    let file = fs::open(path, libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC, 0o644)?;
    let mut line = Line::new();
    line.number(user::pid());
    line.text(b"\n");
    io::write_all(file.fd(), line.as_bytes())?;
    Ok(path)
}

/// Becomes `name` (its user and group from /etc/passwd), keeping only the capability that
/// `SO_MARK` needs, and that only when a mark is asked for: CAP_NET_RAW from Linux 5.17,
/// CAP_NET_ADMIN before.
fn drop_privileges(name: &[u8], mark: u32) -> Result<(), (&'static [u8], Option<Errno>)> {
    let mut passwd = [0u8; 8192];
    // A user past what fits is not found, rather than read from a line cut in two.
    let (len, _) = fs::read_lines_to(c"/etc/passwd", &mut passwd)
        .map_err(|e| (&b"cannot read /etc/passwd for "[..], Some(e)))?;
    let Some(ids) = user::passwd_entry(&passwd[..len], name) else {
        return Err((b"no such user in /etc/passwd: ", None));
    };
    let capability = match user::kernel_version() {
        Ok(version) if version >= (5, 17) => user::CAP_NET_RAW,
        _ => user::CAP_NET_ADMIN,
    };
    let keep = if mark != 0 { 1u64 << capability } else { 0 };
    let changed = user::keep_capabilities(true)
        .and_then(|()| user::set_groups(ids.gid))
        .and_then(|()| user::set_gid(ids.gid))
        .and_then(|()| user::set_uid(ids.uid))
        .and_then(|()| user::set_capabilities(keep))
        .and_then(|()| user::keep_capabilities(false));
    changed.map_err(|e| (&b"cannot become "[..], Some(e)))?;
    let mut line = Line::new();
    line.text(b"dns54: running as ");
    line.text(name);
    line.text(b" (uid ");
    line.number(ids.uid);
    line.text(if mark == 0 {
        &b"), no capabilities\n"[..]
    } else if capability == user::CAP_NET_RAW {
        b"), keeping CAP_NET_RAW for SO_MARK\n"
    } else {
        b"), keeping CAP_NET_ADMIN for SO_MARK\n"
    });
    line.write_to(Fd::STDERR);
    Ok(())
}

/// Makes one marked socket, to say at start, not at the first query, when marking cannot
/// work. It keeps running either way: a supervisor that restarts a daemon which exits gives
/// up after a few tries, and then nothing answers at all (Gluon issue #2950).
fn check_marking(mark: u32) {
    let marked = net::socket(libc::AF_INET, libc::SOCK_DGRAM, 0)
        .and_then(|fd| net::setsockopt_u32(fd.fd(), libc::SOL_SOCKET, libc::SO_MARK, mark));
    if let Err(errno) = marked {
        let mut line = Line::new();
        line.text(b"dns54: marking does not work (SO_MARK ");
        line.number(mark);
        line.text(b": ");
        line.text(errno_words(errno));
        line.text(b"): every query gets SERVFAIL until it does\n");
        line.write_to(Fd::STDERR);
    }
}

/// The forwarder (some 220 KiB) lives in this frame alone. Not inlined: on MIPS every stack
/// access beyond 32 KiB costs three instructions, which the loop would pay at each of its
/// own.
#[inline(never)]
fn forward(
    options: &Options<'_>,
    sockets: &mut Sockets<'_>,
    entropy: &mut Entropy,
    signal_fd: &OwnedFd,
    resolv: Option<&mut ResolvFile<'_>>,
) -> u8 {
    let mut forwarder: Forwarder<Client, FORWARD_CAPACITY> = Forwarder::new(
        options.forwarding,
        Client {
            listener: 0,
            relay: stream::NONE,
            peer: net::sockaddr_in6([0; 16], 0, 0),
        },
    );
    forwarder.set_servers(sockets.servers.len(), sockets);
    serve(options, &mut forwarder, sockets, entropy, signal_fd, resolv)
}

/// The loop itself.
#[inline(never)]
fn serve(
    options: &Options<'_>,
    forwarder: &mut Forwarder<Client, FORWARD_CAPACITY>,
    sockets: &mut Sockets<'_>,
    entropy: &mut Entropy,
    signal_fd: &OwnedFd,
    mut resolv: Option<&mut ResolvFile<'_>>,
) -> u8 {
    let mut events = [epoll::event(0, 0); 32];
    let (mut table_full, mut refused_said) = (Quiet::default(), 0);
    let mut buffer = [0u8; DATAGRAM_CAPACITY + 1];
    loop {
        let now = millis();
        let next = match sockets.streams.next_deadline() {
            Some(at) => earlier(forwarder.next_deadline(), at),
            None => forwarder.next_deadline(),
        };
        let wait = match next {
            Some(at) if reached(now, at) => 0,
            Some(at) => at.wrapping_sub(now).min(60_000) as i32,
            None => -1,
        };
        let ready = match epoll::epoll_wait(sockets.epoll.fd(), &mut events, wait) {
            Ok(n) => n,
            Err(Errno::EINTR) => 0,
            Err(errno) => return cannot(b"cannot wait for events", b"", errno),
        };
        let now = millis();
        sockets.now = now;
        for event in &events[..ready] {
            let data = event.u64;
            let index = (data & 0xffff_ffff) as usize;
            match data & !0xffff_ffff {
                LISTENER => {
                    for _ in 0..READS_PER_WAKE {
                        let Some(Some(fd)) = sockets.listeners.get(index) else {
                            break;
                        };
                        let mut from = AnyAddress::new();
                        let len = match net::recvfrom(fd.fd(), &mut buffer, 0, Some(&mut from)) {
                            Ok(len) => len,
                            Err(_) => break,
                        };
                        let client = Client {
                            listener: index as u8,
                            relay: stream::NONE,
                            peer: from.in6_room(),
                        };
                        // A datagram larger than the buffer is cut: not one we can match.
                        let len = len.min(DATAGRAM_CAPACITY);
                        forwarder.query(now, client, &buffer[..len], sockets, entropy);
                    }
                }
                UPSTREAM => {
                    for _ in 0..READS_PER_WAKE {
                        let Some(Some(fd)) = sockets.upstream.get(index) else {
                            break;
                        };
                        match net::recvfrom(fd.fd(), &mut buffer, libc::MSG_TRUNC, None) {
                            Ok(len) if len <= DATAGRAM_CAPACITY => {
                                forwarder.reply(now, index, &mut buffer[..len], sockets, entropy);
                            }
                            // Larger than any reply we relay: dropped as unmatched.
                            Ok(_) => forwarder.reply(now, index, &mut [], sockets, entropy),
                            Err(Errno::EAGAIN) => break,
                            // ICMP unreachable and its kin, reported on the connected socket.
                            Err(errno) => {
                                sockets.unreachable(usize::from(sockets.server_of[index]), errno);
                                forwarder.socket_error(now, index, sockets, entropy);
                                break;
                            }
                        }
                    }
                }
                STREAM_LISTENER => {
                    if let Some(Some(fd)) = sockets.listeners.get(index) {
                        sockets.streams.accept(fd, sockets.epoll, now);
                    }
                }
                CONNECTION => {
                    sockets.streams.pump(index, now);
                    read_stream_queries(index, now, forwarder, sockets, entropy, &mut buffer);
                }
                RELAY => match sockets.streams.upstream_ready(index, now, &mut buffer) {
                    Upstream::Head { socket, len } => {
                        forwarder.reply(now, socket, &mut buffer[..len], sockets, entropy);
                        if sockets.streams.undecided(index) {
                            forwarder.socket_error(now, socket, sockets, entropy);
                        }
                    }
                    Upstream::Failed { socket, errno } => {
                        sockets.unreachable(usize::from(sockets.server_of[socket]), errno);
                        forwarder.socket_error(now, socket, sockets, entropy);
                    }
                    Upstream::Nothing => {}
                },
                RESOLV => {
                    if let Some(file) = resolv.as_deref_mut() {
                        // What the events name does not matter: the file is read again and
                        // compared with what it said.
                        let mut events = [0u8; 1024];
                        while let Ok(1..) = io::read(file.watch.fd(), &mut events) {}
                        reload(file, forwarder, sockets);
                    }
                }
                SIGNALS => {
                    let mut info = [0u8; 128];
                    while let Ok(128) = io::read(signal_fd.fd(), &mut info) {
                        let number = u32::from_ne_bytes([info[0], info[1], info[2], info[3]]);
                        match number as i32 {
                            libc::SIGTERM | libc::SIGINT => {
                                say(b"dns54: stopped\n");
                                return 0;
                            }
                            libc::SIGHUP => {
                                if let Some(file) = resolv.as_deref_mut() {
                                    reload(file, forwarder, sockets);
                                }
                            }
                            _ => report(forwarder, &sockets.servers, sockets.streams.connections()),
                        }
                    }
                }
                _ => {}
            }
        }
        if forwarder.next_deadline().is_some_and(|at| reached(now, at)) {
            forwarder.timeout(now, sockets, entropy);
        }
        sockets.streams.expire(now);
        // Queries that waited for a relay, now that one may be free.
        while let Some(index) = sockets.streams.stalled() {
            read_stream_queries(index, now, forwarder, sockets, entropy, &mut buffer);
        }
        let refused = forwarder.counters().get(Counter::RefusedFull);
        if refused != refused_said && table_full.may_say(now) {
            say_table_full(
                options.forwarding.forward_max,
                refused.wrapping_sub(refused_said),
            );
            refused_said = refused;
        }
    }
}

/// Hands the forwarder each whole query that stream connection `index` has sent.
fn read_stream_queries(
    index: usize,
    now: Millis,
    forwarder: &mut Forwarder<Client, FORWARD_CAPACITY>,
    sockets: &mut Sockets<'_>,
    entropy: &mut Entropy,
    buffer: &mut [u8],
) {
    while let Some((relay, len)) = sockets.streams.next_query(index, now, buffer) {
        let client = Client {
            listener: 0,
            relay,
            peer: net::sockaddr_in6([0; 16], 0, 0),
        };
        if !forwarder.stream_query(now, client, &buffer[..len], sockets, entropy) {
            sockets.streams.dropped(relay);
        }
    }
}

/// Says that the forward table is full and how many queries it refused since it last said so.
fn say_table_full(forward_max: usize, refused: u32) {
    let mut line = Line::new();
    line.text(b"dns54: the forward table is full (");
    line.number(forward_max as u32);
    line.text(b" queries in flight): ");
    line.number(refused);
    line.text(b" refused\n");
    line.write_to(Fd::STDERR);
}

/// Reads the resolv file again; a new list of servers goes to the forwarder and the log.
fn reload(
    file: &mut ResolvFile<'_>,
    forwarder: &mut Forwarder<Client, FORWARD_CAPACITY>,
    sockets: &mut Sockets<'_>,
) {
    if let Some(servers) = file.read() {
        sockets.servers = servers;
        forwarder.set_servers(servers.len(), sockets);
        let mut line = Line::new();
        line.text(b"dns54: upstream servers from ");
        line.text(file.name);
        line.text(b": ");
        servers_words(&servers, &mut line);
        line.text(b"\n");
        line.write_to(Fd::STDERR);
    }
}

/// The servers, comma-separated, or `none (queries get SERVFAIL)`.
fn servers_words(servers: &Servers, line: &mut Line) {
    if servers.is_empty() {
        line.text(b"none (queries get SERVFAIL)");
    }
    for (index, server) in servers.iter().enumerate() {
        if index > 0 {
            line.text(b", ");
        }
        sys::addr::write(&server.addr, line);
        if !server.interface().is_empty() {
            line.text(b"%");
            line.text(server.interface());
        }
        if server.port != dns54::resolv::DNS_PORT {
            line.text(b"#");
            line.number(u32::from(server.port));
        }
    }
}

/// The start line: where it listens, its servers, its mark.
fn started(options: &Options<'_>, servers: &Servers) {
    let mut line = Line::new();
    line.text(b"dns54: listening on ");
    for (index, addr) in options.listen().enumerate() {
        if index > 0 {
            line.text(b", ");
        }
        sys::addr::write(addr, &mut line);
    }
    line.text(b" port ");
    line.number(u32::from(options.port));
    line.text(b"; upstream servers: ");
    servers_words(servers, &mut line);
    if options.mark != 0 {
        line.text(b"; mark ");
        line.number(options.mark);
    }
    line.text(b"\n");
    line.write_to(Fd::STDERR);
}

/// SIGUSR1: one line of counters and occupancy.
fn report(forwarder: &Forwarder<Client, FORWARD_CAPACITY>, servers: &Servers, connections: usize) {
    let (slots, sockets) = forwarder.occupancy();
    let counters = forwarder.counters();
    let mut line = Line::new();
    line.text(b"dns54:");
    for (name, &value) in Counters::NAMES.iter().zip(counters.all()) {
        line.text(b" ").text(name).text(b" ");
        line.number(value);
    }
    line.text(b" slots-in-use ").number(slots as u32);
    line.text(b" upstream-sockets ").number(sockets as u32);
    line.text(b" tcp-connections ").number(connections as u32);
    line.text(b"\n");
    line.write_to(Fd::STDERR);
    // And a line for each server: what it did since the list was last read.
    for (index, server) in servers.iter().enumerate() {
        let upstream = forwarder.upstream_counters(index);
        let mut line = Line::new();
        line.text(b"dns54: upstream ");
        sys::addr::write(&server.addr, &mut line);
        line.text(b" answers ").number(upstream.answers);
        line.text(b" timeouts ").number(upstream.timeouts);
        line.text(b"\n");
        line.write_to(Fd::STDERR);
    }
}

/// A socket of `kind` (UDP or TCP) bound to `addr` and `port`, watched with `data`.
fn listen(
    addr: &Addr,
    port: u16,
    epoll_fd: &OwnedFd,
    kind: i32,
    data: u64,
) -> Result<OwnedFd, Errno> {
    let domain = match addr.family {
        Family::V4 => libc::AF_INET,
        Family::V6 => libc::AF_INET6,
    };
    let fd = net::socket(domain, kind | libc::SOCK_NONBLOCK, 0)?;
    if kind == libc::SOCK_STREAM {
        // A restart must not wait for the last connections' TIME_WAIT.
        net::setsockopt_u32(fd.fd(), libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
    }
    if domain == libc::AF_INET6 {
        net::setsockopt_u32(fd.fd(), libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, 1)?;
    }
    net::bind(fd.fd(), &net::socket_address(addr, port, 0))?;
    if kind == libc::SOCK_STREAM {
        net::listen(fd.fd(), 16)?;
    }
    let event = epoll::event(libc::EPOLLIN as u32, data);
    epoll::epoll_ctl(epoll_fd.fd(), libc::EPOLL_CTL_ADD, fd.fd(), Some(&event))?;
    Ok(fd)
}

/// Watches the directory of the resolv file: Gluon replaces the file by renaming a new one
/// over it, and sometimes deletes it, so the file itself cannot be watched.
fn watch_directory(path: &[u8], epoll_fd: &OwnedFd) -> Result<OwnedFd, Errno> {
    let mut directory = [0u8; MAX_PATH + 1];
    let end = path.iter().rposition(|&b| b == b'/');
    let dir: &[u8] = match end {
        Some(0) => b"/",
        Some(end) => &path[..end],
        None => b".",
    };
    let directory = fs::path(dir, &mut directory)?;
    let watch = inotify::inotify_init1(libc::IN_NONBLOCK)?;
    let mask = libc::IN_CLOSE_WRITE
        | libc::IN_MOVED_TO
        | libc::IN_MOVED_FROM
        | libc::IN_CREATE
        | libc::IN_DELETE
        | libc::IN_MODIFY;
    inotify::inotify_add_watch(watch.fd(), directory, mask)?;
    let event = epoll::event(libc::EPOLLIN as u32, RESOLV);
    epoll::epoll_ctl(epoll_fd.fd(), libc::EPOLL_CTL_ADD, watch.fd(), Some(&event))?;
    Ok(watch)
}

/// The monotonic clock in milliseconds, modulo 2³² (see `Millis`). Without a clock no
/// timeout can be kept: stop.
fn millis() -> Millis {
    match time::monotonic() {
        Ok(now) => now.as_millis() as Millis,
        Err(_) => sys::process::abort(),
    }
}

/// Says why the program cannot start; its exit status.
/// Says why the start stopped, where no errno tells more than the words.
fn cannot_because(what: &[u8], word: &[u8]) -> u8 {
    let mut line = Line::new();
    line.text(b"dns54: ");
    line.text(what);
    line.text(word);
    line.text(b"\n");
    line.write_to(Fd::STDERR);
    CANNOT_START
}

fn cannot(what: &[u8], word: &[u8], errno: Errno) -> u8 {
    let mut line = Line::new();
    line.text(b"dns54: ");
    line.text(what);
    line.text(word);
    line.text(b": ");
    line.text(errno_words(errno));
    line.text(b"\n");
    line.write_to(Fd::STDERR);
    CANNOT_START
}

/// An errno in words, for the errors starting and marking meet.
fn errno_words(errno: Errno) -> &'static [u8] {
    // A table walked in a loop: a `match` over these sparse numbers is a chain of compares.
    const WORDS: [(Errno, &[u8]); 10] = [
        (Errno::EADDRINUSE, b"address in use"),
        (Errno::EADDRNOTAVAIL, b"no such address here"),
        (Errno::EACCES, b"operation not permitted"),
        (Errno::EPERM, b"operation not permitted"),
        (Errno::ENOENT, b"no such file or directory"),
        (Errno::ENOSYS, b"not supported by the kernel"),
        (Errno::ENODEV, b"no such interface"),
        (Errno::ENETUNREACH, b"network unreachable"),
        (Errno::EHOSTUNREACH, b"host unreachable"),
        (Errno::ECONNREFUSED, b"port unreachable (ICMP)"),
    ];
    WORDS
        .iter()
        .find(|(known, _)| *known == errno)
        .map_or(b"error", |&(_, words)| words)
}

fn say(text: &[u8]) {
    let _ = io::write_all(Fd::STDERR, text);
}
