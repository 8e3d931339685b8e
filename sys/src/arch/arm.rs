//! arm EABI (ARM state): number in `r7`, arguments in `r0..r5`, result in `r0`
//! (`-4095..=-1` is an error); `svc 0` preserves every other register.

use core::arch::asm;

/// # Safety
/// The caller upholds the contract of syscall `nr` for these arguments.
#[inline]
pub unsafe fn syscall1(nr: usize, a0: usize) -> isize {
    let ret;
    // SAFETY: the caller vouches for the syscall; the kernel touches no other register.
    unsafe {
        asm!("svc 0", in("r7") nr, inlateout("r0") a0 => ret, options(nostack, preserves_flags));
    }
    ret
}

/// # Safety
/// The caller upholds the contract of syscall `nr` for these arguments.
#[inline]
pub unsafe fn syscall2(nr: usize, a0: usize, a1: usize) -> isize {
    let ret;
    // SAFETY: as in `syscall1`.
    unsafe {
        asm!("svc 0", in("r7") nr, inlateout("r0") a0 => ret, in("r1") a1,
            options(nostack, preserves_flags));
    }
    ret
}

/// # Safety
/// The caller upholds the contract of syscall `nr` for these arguments.
#[inline]
pub unsafe fn syscall3(nr: usize, a0: usize, a1: usize, a2: usize) -> isize {
    let ret;
    // SAFETY: as in `syscall1`.
    unsafe {
        asm!("svc 0", in("r7") nr, inlateout("r0") a0 => ret, in("r1") a1, in("r2") a2,
            options(nostack, preserves_flags));
    }
    ret
}

/// # Safety
/// The caller upholds the contract of syscall `nr` for these arguments.
#[inline]
pub unsafe fn syscall4(nr: usize, a0: usize, a1: usize, a2: usize, a3: usize) -> isize {
    let ret;
    // SAFETY: as in `syscall1`.
    unsafe {
        asm!("svc 0", in("r7") nr, inlateout("r0") a0 => ret, in("r1") a1, in("r2") a2,
            in("r3") a3, options(nostack, preserves_flags));
    }
    ret
}

/// # Safety
/// The caller upholds the contract of syscall `nr` for these arguments.
#[inline]
pub unsafe fn syscall5(nr: usize, a0: usize, a1: usize, a2: usize, a3: usize, a4: usize) -> isize {
    let ret;
    // SAFETY: as in `syscall1`.
    unsafe {
        asm!("svc 0", in("r7") nr, inlateout("r0") a0 => ret, in("r1") a1, in("r2") a2,
            in("r3") a3, in("r4") a4, options(nostack, preserves_flags));
    }
    ret
}

/// # Safety
/// The caller upholds the contract of syscall `nr` for these arguments.
#[inline]
pub unsafe fn syscall6(
    nr: usize,
    a0: usize,
    a1: usize,
    a2: usize,
    a3: usize,
    a4: usize,
    a5: usize,
) -> isize {
    let ret;
    // SAFETY: as in `syscall1`.
    unsafe {
        asm!("svc 0", in("r7") nr, inlateout("r0") a0 => ret, in("r1") a1, in("r2") a2,
            in("r3") a3, in("r4") a4, in("r5") a5, options(nostack, preserves_flags));
    }
    ret
}

// `sp` is at `argc`; zero the frame and link registers, keep the EABI's 8-byte alignment.
#[cfg(feature = "rt")]
core::arch::global_asm!(
    ".globl _start",
    ".type _start,%function",
    "_start:",
    "mov fp, #0",
    "mov lr, #0",
    "mov r0, sp",
    "bic sp, sp, #15",
    "bl {entry}",
    "udf #0",
    entry = sym crate::rt::start,
);
