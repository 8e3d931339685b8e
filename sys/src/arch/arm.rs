//! arm EABI (ARM state): number in `r7`, arguments in `r0..r5`, result in `r0`
//! (`-4095..=-1` is an error); `svc 0` preserves every other register.

register_syscalls! {
    instruction "svc 0",
    number "r7",
    args ["r0", "r1", "r2", "r3", "r4", "r5"],
    result in a0,
    clobbers []
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
