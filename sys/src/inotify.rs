//! `inotify`: to notice when a file (the resolv file) is replaced.

use crate::arch::{check, nr, syscall1, syscall3};
use crate::io::Fd;
use crate::{OwnedFd, Result};
use core::ffi::CStr;

/// `int inotify_init1(int flags)`. `IN_CLOEXEC` is always added.
pub fn inotify_init1(flags: i32) -> Result<OwnedFd> {
    // SAFETY: a plain integer argument.
    check(unsafe {
        syscall1(
            nr(libc::SYS_inotify_init1),
            (flags | libc::IN_CLOEXEC) as usize,
        )
    })
    .map(OwnedFd::from_ret)
}

/// `int inotify_add_watch(int fd, const char *path, uint32_t mask)`: returns the watch.
pub fn inotify_add_watch(fd: Fd, path: &CStr, mask: u32) -> Result<i32> {
    // SAFETY: `path` is a live NUL-terminated string; the kernel only reads it.
    let ret = unsafe {
        syscall3(
            nr(libc::SYS_inotify_add_watch),
            fd.arg(),
            path.as_ptr() as usize,
            mask as usize,
        )
    };
    check(ret).map(|w| w as i32)
}
