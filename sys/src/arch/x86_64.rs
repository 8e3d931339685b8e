//! x86_64: number in `rax`, arguments in `rdi rsi rdx r10 r8 r9`, result in `rax`
//! (`-4095..=-1` is an error); the `syscall` instruction clobbers `rcx` and `r11`.

register_syscalls! {
    instruction "syscall",
    number "rax",
    args ["rdi", "rsi", "rdx", "r10", "r8", "r9"],
    result in number,
    clobbers ["rcx", "r11"]
}

// The kernel starts a program with `rsp` at `argc`. Clear the frame pointer (the end of the
// frame chain), hand the stack to Rust, and keep the ABI's 16-byte alignment at the call.
#[cfg(feature = "rt")]
core::arch::global_asm!(
    ".globl _start",
    ".type _start,@function",
    "_start:",
    "xor ebp, ebp",
    "mov rdi, rsp",
    "and rsp, -16",
    "call {entry}",
    "ud2",
    entry = sym crate::rt::start,
);
