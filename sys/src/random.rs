//! Randomness from the kernel.

use crate::arch::{check, nr, syscall3};
use crate::{Errno, Result};

/// `ssize_t getrandom(void *buf, size_t len, unsigned flags)`: returns how many bytes it wrote.
pub fn getrandom(buf: &mut [u8], flags: u32) -> Result<usize> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into the exclusive buffer.
    check(unsafe {
        syscall3(
            nr(libc::SYS_getrandom),
            buf.as_mut_ptr() as usize,
            buf.len(),
            flags as usize,
        )
    })
}

/// Fills all of `buf` (blocking until the kernel's pool is initialised, as at boot).
pub fn fill(mut buf: &mut [u8]) -> Result<()> {
    while !buf.is_empty() {
        match getrandom(buf, 0) {
            Ok(n) => buf = &mut buf[n..],
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
