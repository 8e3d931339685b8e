//! aarch64: number in `x8`, arguments in `x0..x5`, result in `x0` (`-4095..=-1` is an
//! error); `svc 0` preserves every other register.

register_syscalls! {
    instruction "svc 0",
    number "x8",
    args ["x0", "x1", "x2", "x3", "x4", "x5"],
    result in a0,
    clobbers []
}

// `sp` is at `argc` and already 16-byte aligned; zero the frame and link registers so that
// nothing walks past the first frame.
#[cfg(feature = "rt")]
core::arch::global_asm!(
    ".globl _start",
    ".type _start,%function",
    "_start:",
    "mov x29, #0",
    "mov x30, #0",
    "mov x0, sp",
    "bl {entry}",
    "brk #0",
    entry = sym crate::rt::start,
);
