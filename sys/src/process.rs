//! Ending the process, becoming another program, and signalling others.

use crate::arch::{check, nr, syscall1, syscall2, syscall3};
use crate::{Errno, Result};
use core::ffi::{CStr, c_char};
use core::marker::PhantomData;

/// `void exit_group(int status)`: ends every thread of the process.
pub fn exit(status: u8) -> ! {
    // SAFETY: exit_group takes a number and does not return.
    unsafe { syscall1(nr(libc::SYS_exit_group), usize::from(status)) };
    // The kernel never returns here; loop rather than claim what cannot be proven.
    #[allow(clippy::empty_loop)]
    loop {}
}

/// Ends the process at once with status 134, what a shell reports for `SIGABRT`: the panic
/// handler of the shipped programs. Nothing is printed, so no formatting code is linked.
pub fn abort() -> ! {
    exit(134)
}

/// `int kill(pid_t pid, int signal)`: sends `signal` to process `pid`.
pub fn kill(pid: u32, signal: i32) -> Result<()> {
    // SAFETY: plain integer arguments.
    check(unsafe { syscall2(nr(libc::SYS_kill), pid as usize, signal as usize) }).map(drop)
}

/// A NULL-terminated array of C strings, as `execve` takes the arguments and the
/// environment: at most `N - 1` strings, each living at least as long as the array. `N` must
/// leave room for the NULL: an array of none does not build.
///
/// ```compile_fail
/// let _ = sys::process::CStrings::<0>::new();
/// ```
pub struct CStrings<'a, const N: usize> {
    pointers: [*const c_char; N],
    len: usize,
    _strings: PhantomData<&'a CStr>,
}

impl<'a, const N: usize> CStrings<'a, N> {
    pub fn new() -> Self {
        const {
            assert!(
                N >= 1,
                "CStrings needs room for the NULL that ends the array"
            )
        };
        CStrings {
            pointers: [core::ptr::null(); N],
            len: 0,
            _strings: PhantomData,
        }
    }

    /// Adds `string`; `false` when the array is full (one place stays for the NULL).
    pub fn push(&mut self, string: &'a CStr) -> bool {
        if self.len + 1 >= N {
            return false;
        }
        self.pointers[self.len] = string.as_ptr();
        self.len += 1;
        true
    }
}

impl<const N: usize> Default for CStrings<'_, N> {
    fn default() -> Self {
        Self::new()
    }
}

/// `int execve(const char *path, char *const argv[], char *const envp[])`: becomes the
/// program at `path`. Returns only when that fails, with why.
pub fn execve<const A: usize, const E: usize>(
    path: &CStr,
    argv: &CStrings<'_, A>,
    envp: &CStrings<'_, E>,
) -> Errno {
    // SAFETY: `path` is a live C string; both arrays hold live C strings (their lifetimes
    // outlive the arrays) and end with a NULL, since `push` always leaves the last place.
    let ret = unsafe {
        syscall3(
            nr(libc::SYS_execve),
            path.as_ptr() as usize,
            argv.pointers.as_ptr() as usize,
            envp.pointers.as_ptr() as usize,
        )
    };
    match check(ret) {
        Err(errno) => errno,
        // The kernel does not come back after a successful execve.
        Ok(_) => Errno::EINVAL,
    }
}
