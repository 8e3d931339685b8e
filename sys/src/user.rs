//! Who the process is and becomes: its PID, the kernel it runs on, the user and group it
//! drops to, and the capabilities it keeps. `/etc/passwd` is read here without libc.

use crate::arch::{check, nr, syscall1, syscall2, syscall3};
use crate::{Result, text};

/// The capabilities `SO_MARK` needs: CAP_NET_RAW from Linux 5.17, CAP_NET_ADMIN before.
pub use linux_raw_sys::general::{CAP_NET_ADMIN, CAP_NET_RAW};

/// `pid_t getpid(void)`; it cannot fail.
pub fn pid() -> u32 {
    // SAFETY: getpid takes no arguments; the one passed is ignored.
    unsafe { syscall1(nr(libc::SYS_getpid), 0) as u32 }
}

/// The kernel's release (`uname -r`), as major and minor version: `6.18.44-…` is (6, 18).
pub fn kernel_version() -> Result<(u32, u32)> {
    // `struct new_utsname`: six fields of 65 bytes; the release is the third.
    let mut names = [0u8; 6 * 65];
    // SAFETY: the kernel writes one `new_utsname` into the live, exclusive array.
    check(unsafe { syscall1(nr(libc::SYS_uname), names.as_mut_ptr() as usize) })?;
    let release = &names[130..195];
    let mut numbers = release
        .split(|&b| b == b'.' || b == b'-' || b == 0)
        .map(text::parse_u32);
    match (numbers.next().flatten(), numbers.next().flatten()) {
        (Some(major), Some(minor)) => Ok((major, minor)),
        _ => Err(crate::Errno::EINVAL),
    }
}

/// A user's IDs, as `/etc/passwd` names them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Ids {
    pub uid: u32,
    pub gid: u32,
}

/// Finds `name` in the text of `/etc/passwd` (`name:password:uid:gid:…`).
pub fn passwd_entry(passwd: &[u8], name: &[u8]) -> Option<Ids> {
    passwd.split(|&b| b == b'\n').find_map(|line| {
        let mut fields = line.split(|&b| b == b':');
        if fields.next()? != name {
            return None;
        }
        let _password = fields.next()?;
        let uid = text::parse_decimal(fields.next()?)?;
        let gid = text::parse_decimal(fields.next()?)?;
        Some(Ids { uid, gid })
    })
}

/// Finds group `name` in the text of `/etc/group` (`name:password:gid:members`): its ID.
pub fn group_id(group: &[u8], name: &[u8]) -> Option<u32> {
    group.split(|&b| b == b'\n').find_map(|line| {
        let mut fields = line.split(|&b| b == b':');
        if fields.next()? != name {
            return None;
        }
        let _password = fields.next()?;
        text::parse_decimal(fields.next()?)
    })
}

// 32-bit ARM and x86 kept 16-bit IDs in the plain calls; the 32-bit ones have their own
// numbers.
#[cfg(any(target_arch = "arm", target_arch = "x86"))]
mod calls {
    pub const SETGROUPS: libc::c_long = libc::SYS_setgroups32;
    pub const SETRESGID: libc::c_long = libc::SYS_setresgid32;
    pub const SETRESUID: libc::c_long = libc::SYS_setresuid32;
}
#[cfg(not(any(target_arch = "arm", target_arch = "x86")))]
mod calls {
    pub const SETGROUPS: libc::c_long = libc::SYS_setgroups;
    pub const SETRESGID: libc::c_long = libc::SYS_setresgid;
    pub const SETRESUID: libc::c_long = libc::SYS_setresuid;
}

/// `prctl(PR_SET_KEEPCAPS, on)`: whether the permitted capabilities survive the change of
/// user that follows.
pub fn keep_capabilities(on: bool) -> Result<()> {
    // SAFETY: plain integer arguments.
    check(unsafe {
        syscall2(
            nr(libc::SYS_prctl),
            libc::PR_SET_KEEPCAPS as usize,
            usize::from(on),
        )
    })
    .map(drop)
}

/// `setgroups(1, &gid)`: `gid` the only supplementary group.
pub fn set_groups(gid: u32) -> Result<()> {
    let groups = [gid];
    // SAFETY: the kernel reads one gid from the live array.
    check(unsafe { syscall2(nr(calls::SETGROUPS), 1, groups.as_ptr() as usize) }).map(drop)
}

/// `setresgid(gid, gid, gid)`.
pub fn set_gid(gid: u32) -> Result<()> {
    let gid = gid as usize;
    // SAFETY: plain integer arguments.
    check(unsafe { syscall3(nr(calls::SETRESGID), gid, gid, gid) }).map(drop)
}

/// `setresuid(uid, uid, uid)`.
pub fn set_uid(uid: u32) -> Result<()> {
    let uid = uid as usize;
    // SAFETY: plain integer arguments.
    check(unsafe { syscall3(nr(calls::SETRESUID), uid, uid, uid) }).map(drop)
}

/// `capset`: exactly `capabilities` (bit N is capability N, as `CAP_NET_RAW`) effective and
/// permitted, none inheritable.
pub fn set_capabilities(capabilities: u64) -> Result<()> {
    use linux_raw_sys::general::{
        __user_cap_data_struct as Data, __user_cap_header_struct as Header,
        _LINUX_CAPABILITY_VERSION_3,
    };
    let header = Header {
        version: _LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let half = |bits: u64| Data {
        effective: bits as u32,
        permitted: bits as u32,
        inheritable: 0,
    };
    let data = [half(capabilities), half(capabilities >> 32)];
    // SAFETY: the kernel reads the live header and the two live data structs of version 3.
    check(unsafe {
        syscall2(
            nr(libc::SYS_capset),
            (&raw const header) as usize,
            data.as_ptr() as usize,
        )
    })
    .map(drop)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    #[test]
    fn users_are_found_in_passwd() {
        let passwd = b"root:x:0:0:root:/root:/bin/ash\n\
                       dnsmasq:x:453:453:dnsmasq:/var/run/dnsmasq:/bin/false\n\
                       nobody:*:65534:65534:nobody:/var:/bin/false\n";
        assert_eq!(
            passwd_entry(passwd, b"dnsmasq"),
            Some(Ids { uid: 453, gid: 453 })
        );
        assert_eq!(
            passwd_entry(passwd, b"nobody"),
            Some(Ids {
                uid: 65534,
                gid: 65534
            })
        );
        assert_eq!(passwd_entry(passwd, b"dns"), None);
        assert_eq!(passwd_entry(b"broken:x:abc:1:\n", b"broken"), None);
        assert_eq!(passwd_entry(b"short:x:1\n", b"short"), None);
        assert_eq!(
            passwd_entry(b"hex:x:0x1:1:\n", b"hex"),
            None,
            "IDs are decimal"
        );
    }

    #[test]
    fn groups_are_found_in_group() {
        let group = b"root:x:0:\nnogroup:x:65534:\ngluon-mesh-vpn:x:800:\nbroken\n";
        assert_eq!(group_id(group, b"gluon-mesh-vpn"), Some(800));
        assert_eq!(group_id(group, b"root"), Some(0));
        assert_eq!(group_id(group, b"gluon"), None, "a prefix is not a name");
        assert_eq!(group_id(group, b"broken"), None);
        assert_eq!(group_id(group, b"missing"), None);
    }

    #[test]
    fn this_process_and_kernel() {
        assert_eq!(pid(), std::process::id());
        let (major, minor) = kernel_version().unwrap();
        assert!(major >= 3, "{major}.{minor}");
    }
}
