//! Opening files by path.

use crate::arch::{check, nr, syscall4};
use crate::{OwnedFd, Result};
use core::ffi::CStr;

/// `int openat(AT_FDCWD, const char *path, int flags, mode_t mode)`: opens `path`
/// relative to the working directory. `O_CLOEXEC` is always added.
pub fn open(path: &CStr, flags: i32, mode: u32) -> Result<OwnedFd> {
    // SAFETY: `path` is a live NUL-terminated string; the kernel only reads it.
    let ret = unsafe {
        syscall4(
            nr(libc::SYS_openat),
            libc::AT_FDCWD as usize,
            path.as_ptr() as usize,
            (flags | libc::O_CLOEXEC) as usize,
            mode as usize,
        )
    };
    check(ret).map(OwnedFd::from_ret)
}
