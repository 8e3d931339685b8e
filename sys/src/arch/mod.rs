//! Raw syscalls, one file per architecture. Each returns the kernel's result in the
//! `-4095..=-1 is -errno` convention; [`check`] turns that into a [`Result`].

/// `syscall1` … `syscall6` for an architecture whose kernel takes the number and six arguments
/// in registers and answers in one of them, `-4095..=-1` being `-errno`: the number's
/// register, the six argument registers in order, where the result comes back (`result in
/// number` or `result in a0`, the first argument's register), and the registers the
/// instruction itself changes. MIPS, whose kernel answers with an error flag and takes
/// arguments on the stack, has a macro of its own (`mips.rs`).
#[allow(unused_macros)]
macro_rules! register_syscalls {
    (
        instruction $insn:tt,
        number $nr:tt,
        args [$r0:tt, $r1:tt, $r2:tt, $r3:tt, $r4:tt, $r5:tt],
        result in $result:ident,
        clobbers [$($clobber:tt),*]
    ) => {
        register_syscalls!(@one $insn, $nr, $result, [$($clobber),*], syscall1, a0 $r0;);
        register_syscalls!(@one $insn, $nr, $result, [$($clobber),*], syscall2, a0 $r0; a1 $r1);
        register_syscalls!(@one $insn, $nr, $result, [$($clobber),*], syscall3, a0 $r0;
            a1 $r1, a2 $r2);
        register_syscalls!(@one $insn, $nr, $result, [$($clobber),*], syscall4, a0 $r0;
            a1 $r1, a2 $r2, a3 $r3);
        register_syscalls!(@one $insn, $nr, $result, [$($clobber),*], syscall5, a0 $r0;
            a1 $r1, a2 $r2, a3 $r3, a4 $r4);
        register_syscalls!(@one $insn, $nr, $result, [$($clobber),*], syscall6, a0 $r0;
            a1 $r1, a2 $r2, a3 $r3, a4 $r4, a5 $r5);
    };
    (@one $insn:tt, $nr:tt, number, [$($clobber:tt),*], $name:ident,
        $first:ident $first_reg:tt; $($arg:ident $reg:tt),*) => {
        /// # Safety
        /// The caller upholds the contract of syscall `nr` for these arguments.
        #[inline]
        pub unsafe fn $name(nr: usize, $first: usize $(, $arg: usize)*) -> isize {
            let ret;
            // SAFETY: the caller vouches for the syscall; the kernel changes no register but
            // the result's and those declared clobbered.
            unsafe {
                core::arch::asm!($insn, inlateout($nr) nr => ret, in($first_reg) $first,
                    $(in($reg) $arg,)* $(lateout($clobber) _,)*
                    options(nostack, preserves_flags));
            }
            ret
        }
    };
    (@one $insn:tt, $nr:tt, a0, [$($clobber:tt),*], $name:ident,
        $first:ident $first_reg:tt; $($arg:ident $reg:tt),*) => {
        /// # Safety
        /// The caller upholds the contract of syscall `nr` for these arguments.
        #[inline]
        pub unsafe fn $name(nr: usize, $first: usize $(, $arg: usize)*) -> isize {
            let ret;
            // SAFETY: the caller vouches for the syscall; the kernel changes no register but
            // the result's and those declared clobbered.
            unsafe {
                core::arch::asm!($insn, in($nr) nr, inlateout($first_reg) $first => ret,
                    $(in($reg) $arg,)* $(lateout($clobber) _,)*
                    options(nostack, preserves_flags));
            }
            ret
        }
    };
}

#[cfg(target_arch = "aarch64")]
mod aarch64;
#[cfg(target_arch = "arm")]
mod arm;
#[cfg(target_arch = "mips")]
mod mips;
#[cfg(target_arch = "powerpc")]
mod powerpc;
#[cfg(target_arch = "x86")]
mod x86;
#[cfg(target_arch = "x86_64")]
mod x86_64;

#[cfg(target_arch = "aarch64")]
pub use aarch64::*;
#[cfg(target_arch = "arm")]
pub use arm::*;
#[cfg(target_arch = "mips")]
pub use mips::*;
#[cfg(target_arch = "powerpc")]
pub use powerpc::*;
#[cfg(target_arch = "x86")]
pub use x86::*;
#[cfg(target_arch = "x86_64")]
pub use x86_64::*;

use crate::{Errno, Result};

/// Splits a raw return value into a value or an [`Errno`].
#[inline]
pub fn check(ret: isize) -> Result<usize> {
    if (-4095..0).contains(&ret) {
        Err(Errno::from_raw(ret.unsigned_abs() as u16))
    } else {
        Ok(ret as usize)
    }
}

/// A syscall number from `libc`'s per-architecture tables, as the register value.
#[inline(always)]
pub const fn nr(number: libc::c_long) -> usize {
    number as usize
}
