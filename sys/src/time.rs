//! The monotonic clock.

use crate::Result;
use crate::arch::{check, nr, syscall2};

/// The kernel's 64-bit `struct __kernel_timespec`. Not `libc::timespec`: on 32-bit targets its
/// layout depends on the C library's time64 choice, while the kernel call below is fixed.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Debug)]
#[repr(C)]
pub struct Timespec {
    /// Seconds.
    pub sec: i64,
    /// Nanoseconds, `0..1_000_000_000`.
    pub nsec: i64,
}

impl Timespec {
    /// The whole milliseconds.
    pub fn as_millis(self) -> u64 {
        // The nanoseconds fit 32 bits: a 32-bit division, not a call of the 780 B 64-bit one
        // on 32-bit targets.
        self.sec as u64 * 1000 + u64::from(self.nsec as u32 / 1_000_000)
    }
}

// 32-bit architectures read a `__kernel_timespec` only through the `*_time64` calls (Linux
// 5.1), whose numbers `libc` does not carry for them; the kernel's own headers do.
#[cfg(target_pointer_width = "32")]
const CLOCK_GETTIME: libc::c_long = linux_raw_sys::general::__NR_clock_gettime64 as libc::c_long;
#[cfg(target_pointer_width = "64")]
const CLOCK_GETTIME: libc::c_long = libc::SYS_clock_gettime;

/// `int clock_gettime(clockid_t clock, struct __kernel_timespec *tp)`.
pub fn clock_gettime(clock: libc::clockid_t) -> Result<Timespec> {
    let mut ts = Timespec::default();
    // SAFETY: the kernel writes one `__kernel_timespec` into the live local.
    check(unsafe { syscall2(nr(CLOCK_GETTIME), clock as usize, (&raw mut ts) as usize) })?;
    Ok(ts)
}

/// Time since an arbitrary point, never going back: for timeouts. An error is returned, never
/// a made-up time: a clock that silently read 0 would freeze every timeout that rests on it.
/// (On 32-bit kernels before 5.1 the call does not exist, `ENOSYS`; OpenWrt 24.10 runs 6.6.)
pub fn monotonic() -> Result<Timespec> {
    clock_gettime(libc::CLOCK_MONOTONIC)
}
