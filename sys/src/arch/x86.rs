//! x86 (32-bit, i586 and up): number in `eax`, arguments in `ebx ecx edx esi edi ebp`,
//! `int 0x80`, result in `eax` (`-4095..=-1` is an error); the kernel changes no other
//! register. The compiler reserves `esi` and `ebp` (its base and frame pointers), so calls
//! with four or more arguments hand those over in memory: the block saves both registers,
//! loads them from a small array, and puts them back after the call.

use core::arch::asm;

register_syscalls!(@one "int 0x80", "eax", number, [], syscall1, a0 "ebx";);
register_syscalls!(@one "int 0x80", "eax", number, [], syscall2, a0 "ebx"; a1 "ecx");
register_syscalls!(@one "int 0x80", "eax", number, [], syscall3, a0 "ebx"; a1 "ecx", a2 "edx");

/// # Safety
/// The caller upholds the contract of syscall `nr` for these arguments.
#[inline]
pub unsafe fn syscall4(nr: usize, a0: usize, a1: usize, a2: usize, a3: usize) -> isize {
    // SAFETY: the caller vouches for the syscall.
    unsafe { syscall6(nr, a0, a1, a2, a3, 0, 0) }
}

/// # Safety
/// The caller upholds the contract of syscall `nr` for these arguments.
#[inline]
pub unsafe fn syscall5(nr: usize, a0: usize, a1: usize, a2: usize, a3: usize, a4: usize) -> isize {
    // SAFETY: the caller vouches for the syscall.
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
    // `esi` and `ebp` come from here; `eax` points at it and then takes the number.
    let in_memory = [a3, a5, nr];
    let ret;
    // SAFETY: the caller vouches for the syscall; the block restores `esi` and `ebp` from
    // the stack before it ends, `in_memory` lives across it, and the kernel changes no
    // register but `eax`.
    unsafe {
        asm!(
            "push ebp",
            "push esi",
            "mov esi, [eax]",
            "mov ebp, [eax + 4]",
            "mov eax, [eax + 8]",
            "int 0x80",
            "pop esi",
            "pop ebp",
            inlateout("eax") in_memory.as_ptr() => ret,
            in("ebx") a0,
            in("ecx") a1,
            in("edx") a2,
            in("edi") a4,
            options(preserves_flags)
        );
    }
    ret
}

// `esp` is at `argc`. Clear the frame pointer, align the stack to 16 bytes as the ABI wants at
// a call, and pass the initial stack pointer as `start`'s one (stack) argument.
#[cfg(feature = "rt")]
core::arch::global_asm!(
    ".globl _start",
    ".type _start,@function",
    "_start:",
    "xor ebp, ebp",
    "mov eax, esp",
    "and esp, -16",
    "sub esp, 12",
    "push eax",
    "call {entry}",
    "ud2",
    entry = sym crate::rt::start,
);
