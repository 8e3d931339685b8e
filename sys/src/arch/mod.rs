//! Raw syscalls, one file per architecture. Each returns the kernel's result in the
//! `-4095..=-1 is -errno` convention; [`check`] turns that into a [`Result`].

#[cfg(target_arch = "aarch64")]
mod aarch64;
#[cfg(target_arch = "arm")]
mod arm;
#[cfg(target_arch = "mips")]
mod mips;
#[cfg(target_arch = "x86_64")]
mod x86_64;

#[cfg(target_arch = "aarch64")]
pub use aarch64::*;
#[cfg(target_arch = "arm")]
pub use arm::*;
#[cfg(target_arch = "mips")]
pub use mips::*;
#[cfg(target_arch = "x86_64")]
pub use x86_64::*;

use crate::{Errno, Result};

/// Splits a raw return value into a value or an [`Errno`].
#[inline]
pub fn check(ret: isize) -> Result<usize> {
    if (-4095..0).contains(&ret) {
        Err(Errno::from_raw(ret.unsigned_abs() as u16))
    } else {
        Ok(ret as usize)
    }
}

/// A syscall number from `libc`'s per-architecture tables, as the register value.
#[inline(always)]
pub const fn nr(number: libc::c_long) -> usize {
    number as usize
}
