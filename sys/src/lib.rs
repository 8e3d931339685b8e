//! The one `no_std` runtime of gluon-wan-tools: raw Linux syscalls for MIPS o32 (big- and
//! little-endian), arm EABI, aarch64, 32-bit x86, x86_64 and 32-bit PowerPC, the program
//! entry for static binaries, the little I/O the tools need, and the text every tool reads
//! the same way (numbers in `text`, IP addresses in `addr`). No libc is linked; the `libc`
//! crate supplies only types and per-architecture constants (MIPS differs: `SOL_SOCKET` is
//! `0xffff`, `SOCK_DGRAM` is 1, errno values and syscall numbers differ).
//!
//! # Safety
//! This is the only crate of the workspace that writes `asm!` or calls the kernel, so it is
//! where `unsafe` lives. The per-architecture `arch` modules own the assembly; each public
//! wrapper passes the kernel only pointers and lengths taken from live Rust references, so
//! the wrappers themselves are safe to call. Every block says why it holds.
#![no_std]
#![cfg_attr(target_arch = "mips", feature(asm_experimental_arch))]

pub mod addr;
mod arch;
pub mod epoll;
pub mod errno;
pub mod fs;
pub mod inotify;
pub mod io;
#[cfg(feature = "rt")]
pub mod mem;
pub mod net;
pub mod process;
pub mod random;
#[cfg(feature = "rt")]
pub mod rt;
pub mod signal;
pub mod text;
pub mod time;
pub mod user;

pub use errno::{Errno, Result};
pub use io::{Fd, OwnedFd};
pub use libc;
pub use ufmt;
