//! 32-bit PowerPC (e500v2 and classic alike): number in `r0`, arguments in `r3..r8`, `sc`.
//! The kernel sets the summary-overflow bit of `cr0` when `r3` holds a positive errno, like
//! MIPS's `$7`; the block negates it there, so the result follows the `-errno` convention
//! of the other architectures. The kernel may change `r0`, `r4..r12`, `cr0` and `ctr`.

register_syscalls! {
    instruction "sc\nbns 2f\nneg 3, 3\n2:",
    number "r0",
    args ["r3", "r4", "r5", "r6", "r7", "r8"],
    result in a0,
    clobbers ["r0", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "cr0", "ctr"]
}

// `r1` is at `argc`. Pass it to `start`, align the stack to 16 bytes, and push a frame whose
// back chain is NULL (the end of the frame chain) with a cleared link register.
#[cfg(feature = "rt")]
core::arch::global_asm!(
    ".globl _start",
    ".type _start,@function",
    "_start:",
    "mr 3, 1",
    "clrrwi 1, 1, 4",
    "li 0, 0",
    "stwu 0, -16(1)",
    "mtlr 0",
    "bl {entry}",
    "trap",
    entry = sym crate::rt::start,
);
