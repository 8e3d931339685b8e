//! Ending the process, and signalling others.

use crate::Result;
use crate::arch::{check, nr, syscall1, syscall2};

/// `void exit_group(int status)`: ends every thread of the process.
pub fn exit(status: u8) -> ! {
    // SAFETY: exit_group takes a number and does not return.
    unsafe { syscall1(nr(libc::SYS_exit_group), usize::from(status)) };
    // The kernel never returns here; loop rather than claim what cannot be proven.
    #[allow(clippy::empty_loop)]
    loop {}
}

/// Ends the process at once with status 134, what a shell reports for `SIGABRT`: the panic
/// handler of the shipped programs. Nothing is printed, so no formatting code is linked.
pub fn abort() -> ! {
    exit(134)
}

/// `int kill(pid_t pid, int signal)`: sends `signal` to process `pid`.
pub fn kill(pid: u32, signal: i32) -> Result<()> {
    // SAFETY: plain integer arguments.
    check(unsafe { syscall2(nr(libc::SYS_kill), pid as usize, signal as usize) }).map(drop)
}
