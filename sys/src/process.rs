//! Ending the process.

use crate::arch::{nr, syscall1};

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
