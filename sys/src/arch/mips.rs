//! MIPS o32 (big- and little-endian alike): number in `$2`, arguments in `$4..$7`, the fifth
//! and sixth at `16($sp)` and `20($sp)` of the caller's stack. The result is in `$2`; `$7`
//! comes back non-zero when `$2` holds a positive errno, which the entries turn into the
//! `-errno` convention of the other architectures.
//!
//! # Why every system call is a function call here
//! A real MIPS kernel returns from a system call without restoring `$1` (`$at`), `$8..$15`,
//! `$24`, `hi` and `lo` (Linux's `restore_partial` path restores only `$2..$7`, `$25`, `$28`,
//! `$31` and the stack pointer). An `asm!` block can declare most of those as clobbered, but
//! not `$1` (the assembler's temporary, which `asm!` cannot name) nor `hi`/`lo`, and the
//! compiler does keep values there across a block: `routes` once kept its success flag in
//! `$1` across `close()` and exited with the wrong status on real kernels. qemu-user restores
//! every register, so only a real kernel shows it.
//!
//! So the `syscall` instruction lives in a few out-of-line entries with the C calling
//! convention, one per number of arguments, and every wrapper below is an ordinary call to
//! one of them. For the compiler a call clobbers `$1`, `$2..$15`, `$24`, `$25`, `hi` and `lo`,
//! a superset of what the kernel clobbers, and that holds for every build to come, whatever
//! the compiler keeps where. The o32 calling convention also puts a function's fifth and
//! later arguments at `16($sp)`, `20($sp)` … of the caller's stack, exactly where the kernel
//! reads a system call's fifth and sixth: the entries pass the caller's stack on untouched
//! and take the number from the argument after the last.
//!
//! Cost, on the four big-endian MIPS files: +228 B (three 20-byte entries; call sites about
//! as large as the inlined blocks were). `#[inline(never)]` wrappers cost +576 B. Saving `$1`
//! inside each inlined block (`.set noat`, two moves per call site) would still leave `hi`
//! and `lo`, four more instructions per site, and only the registers someone thought of.
//! `tests/tests/syscall_registers.rs` reads the disassembly of every shipped MIPS file and
//! fails if a register the kernel does not restore is read after a `syscall` before it is
//! written; `cargo xtask test` runs the files on real MIPS kernels too.

use core::mem::MaybeUninit;

/// Declares an out-of-line entry: `$load` puts the number into `$2`, then the call, then the
/// error flag turns a positive errno into `-errno`. Each entry is a leaf that keeps `$sp`.
macro_rules! o32_entry {
    ($name:ident($($arg:ident: $type:ty),*), $load:literal) => {
        #[unsafe(naked)]
        unsafe extern "C" fn $name($($arg: $type,)* nr: usize) -> isize {
            core::arch::naked_asm!(
                ".set push",
                ".set noreorder",
                $load,
                "syscall",
                "negu $3, $2",
                "jr $31",
                "movn $2, $3, $7",
                ".set pop",
            )
        }
    };
}

o32_entry!(entry3(a0: usize, a1: Unused, a2: Unused), "move $2, $7");
o32_entry!(entry4(a0: usize, a1: usize, a2: usize, a3: usize), "lw $2, 16($sp)");
o32_entry!(entry6(a0: usize, a1: usize, a2: usize, a3: usize, a4: usize, a5: Unused), "lw $2, 24($sp)");

/// An argument the kernel ignores for a call with fewer arguments: left uninitialised, it
/// costs no instruction to pass.
type Unused = MaybeUninit<usize>;

const UNUSED: Unused = MaybeUninit::uninit();

/// # Safety
/// The caller upholds the contract of syscall `nr` for these arguments.
#[inline(always)]
pub unsafe fn syscall1(nr: usize, a0: usize) -> isize {
    // SAFETY: the caller vouches for the syscall; the entry follows the C convention.
    unsafe { entry3(a0, UNUSED, UNUSED, nr) }
}

/// # Safety
/// The caller upholds the contract of syscall `nr` for these arguments.
#[inline(always)]
pub unsafe fn syscall2(nr: usize, a0: usize, a1: usize) -> isize {
    // SAFETY: as `syscall1`.
    unsafe { entry3(a0, MaybeUninit::new(a1), UNUSED, nr) }
}

/// # Safety
/// The caller upholds the contract of syscall `nr` for these arguments.
#[inline(always)]
pub unsafe fn syscall3(nr: usize, a0: usize, a1: usize, a2: usize) -> isize {
    // SAFETY: as `syscall1`.
    unsafe { entry3(a0, MaybeUninit::new(a1), MaybeUninit::new(a2), nr) }
}

/// # Safety
/// The caller upholds the contract of syscall `nr` for these arguments.
#[inline(always)]
pub unsafe fn syscall4(nr: usize, a0: usize, a1: usize, a2: usize, a3: usize) -> isize {
    // SAFETY: as `syscall1`.
    unsafe { entry4(a0, a1, a2, a3, nr) }
}

/// # Safety
/// The caller upholds the contract of syscall `nr` for these arguments.
#[inline(always)]
pub unsafe fn syscall5(nr: usize, a0: usize, a1: usize, a2: usize, a3: usize, a4: usize) -> isize {
    // SAFETY: as `syscall1`; the kernel reads a sixth argument that this call ignores.
    unsafe { entry6(a0, a1, a2, a3, a4, UNUSED, nr) }
}

/// # Safety
/// The caller upholds the contract of syscall `nr` for these arguments.
#[inline(always)]
pub unsafe fn syscall6(
    nr: usize,
    a0: usize,
    a1: usize,
    a2: usize,
    a3: usize,
    a4: usize,
    a5: usize,
) -> isize {
    // SAFETY: as `syscall1`.
    unsafe { entry6(a0, a1, a2, a3, a4, MaybeUninit::new(a5), nr) }
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
