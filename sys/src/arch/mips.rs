//! MIPS o32 (big- and little-endian alike): number in `$2`, arguments in `$4..$7`, the fifth
//! and sixth at `16($sp)` and `20($sp)` of a stack the caller provides. The result is in `$2`;
//! `$7` comes back non-zero when `$2` holds a positive errno, which these functions turn
//! into the `-errno` convention of the other architectures. The kernel may clobber `$1`,
//! `$3`, `$8..$15`, `$24`, `$25`, `hi` and `lo`; `$1` is the assembler's and `hi`/`lo` cannot
//! be named as operands, but the compiler never keeps a value in them across an `asm!` block.

use core::arch::asm;

#[inline(always)]
fn to_result(value: usize, failed: usize) -> isize {
    if failed != 0 {
        (value as isize).wrapping_neg()
    } else {
        value as isize
    }
}

macro_rules! o32_syscall {
    ($nr:expr, $a3:expr; $($reg:tt = $arg:expr),*) => {{
        let value: usize;
        let failed: usize;
        // SAFETY: the caller vouches for the syscall; every register the kernel may change
        // is declared as clobbered.
        unsafe {
            asm!(
                "syscall",
                inlateout("$2") $nr => value,
                $(in($reg) $arg,)*
                inlateout("$7") $a3 => failed,
                lateout("$3") _,
                lateout("$8") _, lateout("$9") _, lateout("$10") _, lateout("$11") _,
                lateout("$12") _, lateout("$13") _, lateout("$14") _, lateout("$15") _,
                lateout("$24") _, lateout("$25") _,
                options(nostack, preserves_flags)
            );
        }
        to_result(value, failed)
    }};
}

// `$7` is always an input: the kernel ignores it for calls with fewer arguments, and declaring
// it once keeps one macro for all of them.

/// # Safety
/// The caller upholds the contract of syscall `nr` for these arguments.
#[inline]
pub unsafe fn syscall1(nr: usize, a0: usize) -> isize {
    o32_syscall!(nr, 0usize; "$4" = a0)
}

/// # Safety
/// The caller upholds the contract of syscall `nr` for these arguments.
#[inline]
pub unsafe fn syscall2(nr: usize, a0: usize, a1: usize) -> isize {
    o32_syscall!(nr, 0usize; "$4" = a0, "$5" = a1)
}

/// # Safety
/// The caller upholds the contract of syscall `nr` for these arguments.
#[inline]
pub unsafe fn syscall3(nr: usize, a0: usize, a1: usize, a2: usize) -> isize {
    o32_syscall!(nr, 0usize; "$4" = a0, "$5" = a1, "$6" = a2)
}

/// # Safety
/// The caller upholds the contract of syscall `nr` for these arguments.
#[inline]
pub unsafe fn syscall4(nr: usize, a0: usize, a1: usize, a2: usize, a3: usize) -> isize {
    o32_syscall!(nr, a3; "$4" = a0, "$5" = a1, "$6" = a2)
}

/// # Safety
/// The caller upholds the contract of syscall `nr` for these arguments.
#[inline]
pub unsafe fn syscall5(nr: usize, a0: usize, a1: usize, a2: usize, a3: usize, a4: usize) -> isize {
    // SAFETY: the caller's contract covers the call; see `syscall6` for the stack.
    unsafe { syscall6(nr, a0, a1, a2, a3, a4, 0) }
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
    let value: usize;
    let failed: usize;
    // SAFETY: the caller vouches for the syscall. The block makes its own 32-byte frame (the
    // o32 convention: 16 bytes of argument home area, then arguments 5 and 6, and `$sp` kept
    // 8-byte aligned), and gives it back before it ends, so no Rust data on the stack is
    // touched; hence no `nostack`. Arguments 5 and 6 travel in `$8` and `$9`, which the
    // kernel clobbers anyway: left to `reg`, the compiler may pick `$1`, the assembler's own
    // temporary, which a store to memory must not use.
    unsafe {
        asm!(
            "addiu $sp, $sp, -32",
            "sw $8, 16($sp)",
            "sw $9, 20($sp)",
            "syscall",
            "addiu $sp, $sp, 32",
            inlateout("$2") nr => value,
            in("$4") a0, in("$5") a1, in("$6") a2,
            inlateout("$7") a3 => failed,
            lateout("$3") _,
            inlateout("$8") a4 => _, inlateout("$9") a5 => _, lateout("$10") _, lateout("$11") _,
            lateout("$12") _, lateout("$13") _, lateout("$14") _, lateout("$15") _,
            lateout("$24") _, lateout("$25") _,
            options(preserves_flags)
        );
    }
    to_result(value, failed)
}

// `$sp` is at `argc`. Set up `$gp` (in case the linker placed small data), pass the stack to
// Rust in `$4`, leave the callee its 16-byte argument home area with `$sp` 8-byte aligned,
// and call through `$25` as the o32 PIC convention expects of every call.
#[cfg(feature = "rt")]
core::arch::global_asm!(
    ".globl _start",
    ".type _start,@function",
    "_start:",
    ".set push",
    ".set noreorder",
    "lui $28, %hi(_gp)",
    "addiu $28, $28, %lo(_gp)",
    "move $4, $sp",
    "addiu $8, $zero, -16",
    "and $sp, $sp, $8",
    "addiu $sp, $sp, -16",
    "lui $25, %hi({entry})",
    "addiu $25, $25, %lo({entry})",
    "jalr $25",
    "nop",
    "break",
    ".set pop",
    entry = sym crate::rt::start,
);
