//! `memcpy`, `memmove`, `memset`, `memcmp`, `bcmp` and `strlen` for the static programs,
//! which link no C library. The compiler calls them for copies, fills and comparisons it
//! does not inline. They go byte by byte: the programs copy a few hundred bytes at a time,
//! and `compiler_builtins`' word-at-a-time versions cost 1.6 KB on MIPS. Every access is
//! volatile, so that LLVM cannot recognise a loop as the very function it is in and call
//! it (endless recursion).
//!
//! # Safety
//! Each function has the C contract: the caller passes pointers valid for `n` bytes (or up
//! to a NUL for `strlen`), as the compiler does when it emits the call.

use core::ptr::{read_volatile, write_volatile};

/// # Safety
/// `dest` and `src` are valid for `n` bytes and do not overlap.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: a forward copy is a correct `memmove`, and the caller's contract is stricter.
    unsafe { memmove(dest, src, n) }
}

/// # Safety
/// `dest` and `src` are valid for `n` bytes; they may overlap.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memmove(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dest as usize) <= (src as usize) {
        for i in 0..n {
            // SAFETY: `i < n`; going forward, a byte is read before any write reaches it.
            unsafe { write_volatile(dest.add(i), read_volatile(src.add(i))) };
        }
    } else {
        for i in (0..n).rev() {
            // SAFETY: `i < n`; going backward, a byte is read before any write reaches it.
            unsafe { write_volatile(dest.add(i), read_volatile(src.add(i))) };
        }
    }
    dest
}

/// # Safety
/// `dest` is valid for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memset(dest: *mut u8, byte: i32, n: usize) -> *mut u8 {
    for i in 0..n {
        // SAFETY: `i < n`.
        unsafe { write_volatile(dest.add(i), byte as u8) };
    }
    dest
}

/// # Safety
/// `a` and `b` are valid for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    for i in 0..n {
        // SAFETY: `i < n`.
        let (x, y) = unsafe { (read_volatile(a.add(i)), read_volatile(b.add(i))) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
    }
    0
}

/// # Safety
/// `a` and `b` are valid for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: the same contract.
    unsafe { memcmp(a, b, n) }
}

/// # Safety
/// `s` points to a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn strlen(s: *const u8) -> usize {
    let mut n = 0;
    // SAFETY: every byte up to and including the NUL is readable.
    while unsafe { read_volatile(s.add(n)) } != 0 {
        n += 1;
    }
    n
}
