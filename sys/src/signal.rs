//! Signals as file descriptors, for the event loop.

use crate::arch::{check, nr, syscall4};
use crate::{OwnedFd, Result};

// The kernel's signal set: 64 signals, but 128 on MIPS. Not `libc::sigset_t`, which is the
// C library's (much larger) type; the `rt_sig*` calls insist on the kernel's size.
#[cfg(target_arch = "mips")]
const SIGSET_WORDS: usize = 4;
#[cfg(not(target_arch = "mips"))]
const SIGSET_WORDS: usize = 2;

/// A set of signals in the kernel's layout.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
#[repr(C)]
pub struct SigSet([u32; SIGSET_WORDS]);

impl SigSet {
    /// The empty set.
    pub const fn empty() -> Self {
        SigSet([0; SIGSET_WORDS])
    }

    /// The set with `signal` (1-based, as `SIGTERM`) added.
    pub const fn with(mut self, signal: i32) -> Self {
        let bit = (signal - 1) as usize;
        self.0[bit / 32] |= 1 << (bit % 32);
        self
    }

    const fn size() -> usize {
        SIGSET_WORDS * 4
    }
}

/// `int rt_sigprocmask(SIG_BLOCK, const sigset_t *set, NULL, size)`: blocks `set`, so that
/// its signals wait for a `signalfd` instead of interrupting the program.
pub fn block(set: &SigSet) -> Result<()> {
    // SAFETY: the kernel reads one kernel-sized signal set from the live reference.
    let ret = unsafe {
        syscall4(
            nr(libc::SYS_rt_sigprocmask),
            libc::SIG_BLOCK as usize,
            (set as *const SigSet) as usize,
            0,
            SigSet::size(),
        )
    };
    check(ret).map(drop)
}

/// `int signalfd4(-1, const sigset_t *mask, size, int flags)`: a descriptor that reads as
/// `signalfd_siginfo` records when a signal of `set` is pending. `SFD_CLOEXEC` is always added.
pub fn signalfd(set: &SigSet, flags: i32) -> Result<OwnedFd> {
    // SAFETY: the kernel reads one kernel-sized signal set from the live reference.
    let ret = unsafe {
        syscall4(
            nr(libc::SYS_signalfd4),
            -1isize as usize,
            (set as *const SigSet) as usize,
            SigSet::size(),
            (flags | libc::SFD_CLOEXEC) as usize,
        )
    };
    check(ret).map(OwnedFd::from_ret)
}
