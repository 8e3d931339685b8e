//! The program entry of the shipped static binaries.
//!
//! The kernel starts a program at `_start` (written once per architecture in `arch/`) with
//! the stack pointer at `argc`, followed by `argv[0..argc]`, a NULL, `envp[..]`, a NULL and
//! the auxiliary vector. `_start` passes that pointer to [`start`], which reads the
//! arguments and environment, calls the program's `main` (named with [`entry!`](crate::entry))
//! and exits with what it returns. No C runtime runs first: there are no constructors, no
//! thread-local storage and no stdio buffers to flush.

use core::ffi::CStr;

/// The command line and environment, as the kernel laid them out (they live until exit).
#[derive(Clone, Copy)]
pub struct Args {
    argc: usize,
    argv: *const *const u8,
}

unsafe extern "Rust" {
    // Defined by the program through `entry!`.
    fn __gwt_main(args: Args) -> u8;
}

/// Called by `_start` with the initial stack pointer; never returns.
///
/// # Safety
/// `stack` is the stack pointer the kernel gave `_start`.
pub unsafe extern "C" fn start(stack: *const usize) -> ! {
    // SAFETY: the kernel's initial stack begins with `argc` and the `argv` array.
    let args = unsafe {
        Args {
            argc: *stack,
            argv: stack.add(1).cast(),
        }
    };
    // SAFETY: `entry!` defines the symbol with exactly this signature.
    let status = unsafe { __gwt_main(args) };
    crate::process::exit(status)
}

impl Args {
    /// How many arguments, the program name included.
    pub fn len(&self) -> usize {
        self.argc
    }

    /// Whether there are no arguments at all (not even a program name).
    pub fn is_empty(&self) -> bool {
        self.argc == 0
    }

    /// Argument `index` (0 is the program name), without its NUL.
    pub fn get(&self, index: usize) -> Option<&'static [u8]> {
        self.get_cstr(index).map(CStr::to_bytes)
    }

    /// Argument `index` as the C string it is (a path to open, say).
    pub fn get_cstr(&self, index: usize) -> Option<&'static CStr> {
        if index >= self.argc {
            return None;
        }
        // SAFETY: `argv[0..argc]` are valid NUL-terminated strings that live until exit.
        unsafe { Some(CStr::from_ptr((*self.argv.add(index)).cast())) }
    }

    /// The arguments after the program name.
    pub fn iter(&self) -> impl Iterator<Item = &'static [u8]> + '_ {
        (1..self.argc).filter_map(|i| self.get(i))
    }

    /// The value of environment variable `name`, if it is set.
    pub fn env(&self, name: &[u8]) -> Option<&'static [u8]> {
        self.environment().find_map(|var| {
            var.to_bytes()
                .strip_prefix(name)
                .and_then(|rest| rest.strip_prefix(b"="))
        })
    }

    /// The environment's entries (`NAME=value`), in order.
    pub fn environment(&self) -> impl Iterator<Item = &'static CStr> + '_ {
        // SAFETY: `envp` follows `argv`'s NULL and is itself a NULL-terminated array of
        // NUL-terminated strings that live until exit.
        let mut entry = unsafe { self.argv.add(self.argc + 1) };
        core::iter::from_fn(move || {
            // SAFETY: `entry` has not passed the terminating NULL yet.
            let ptr = unsafe { *entry };
            if ptr.is_null() {
                return None;
            }
            // SAFETY: the array continues up to and including its NULL.
            entry = unsafe { entry.add(1) };
            // SAFETY: a non-NULL `envp` entry is a live NUL-terminated string.
            Some(unsafe { CStr::from_ptr(ptr.cast()) })
        })
    }
}

/// Names the program's `main(args: sys::rt::Args) -> u8` (the exit status) and gives the
/// program its panic handler, which ends the process at once (status 134). A program crate
/// is `#![no_std] #![no_main]` and has exactly one `sys::entry!(main);`.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        // SAFETY: the runtime's `start` declares `__gwt_main` with this exact signature, and
        // the macro is the one place that defines it.
        #[allow(unsafe_code)]
        #[unsafe(no_mangle)]
        fn __gwt_main(args: $crate::rt::Args) -> u8 {
            $main(args)
        }

        #[panic_handler]
        fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
            $crate::process::abort()
        }
    };
}

/// What a program says of itself for `--help` and `--version`.
pub struct Cli {
    /// The program name, as installed.
    pub name: &'static str,
    /// The version (the crate's).
    pub version: &'static str,
    /// The `--help` text, ending in a newline.
    pub usage: &'static str,
}

impl Cli {
    /// Answers `--help` and `--version` (exit status 0) and rejects any other argument
    /// starting with `-` with the usage on standard error (status 2). `None`: go on.
    pub fn standard_flags(&self, args: &Args) -> Option<u8> {
        self.answer(args, true)
    }

    /// Answers a first argument of `--help`/`-h` or `--version`/`-V` (exit status 0), for
    /// programs with options of their own. `None`: go on.
    pub fn help_or_version(&self, args: &Args) -> Option<u8> {
        self.answer(args, false)
    }

    fn answer(&self, args: &Args, other_options_are_errors: bool) -> Option<u8> {
        use crate::io::Fd;
        let first = args.get(1)?;
        // Compared through a table: a `match` on byte strings compiles to a compare and a
        // branch per character (16 B each on MIPS).
        const FLAGS: [(&[u8], bool); 4] = [
            (b"--version", true),
            (b"-V", true),
            (b"--help", false),
            (b"-h", false),
        ];
        let flag = FLAGS.iter().find(|(flag, _)| *flag == first);
        let (fd, status, text): (Fd, u8, &[&[u8]]) = match flag {
            Some((_, true)) => (
                Fd::STDOUT,
                0,
                &[self.name.as_bytes(), b" ", self.version.as_bytes(), b"\n"],
            ),
            Some((_, false)) => (Fd::STDOUT, 0, &[self.usage.as_bytes()]),
            None if other_options_are_errors && first.first() == Some(&b'-') => {
                self.usage_error(&[b"unknown option '", first, b"'"]);
                return Some(2);
            }
            _ => return None,
        };
        write_parts(fd, text);
        Some(status)
    }

    /// `NAME: WHAT… (NAME --help shows how to use it)` on standard error: a usage error. One
    /// line that names the mistake; the whole usage after it would bury the line.
    pub fn usage_error(&self, what: &[&[u8]]) {
        let stderr = crate::io::Fd::STDERR;
        write_parts(stderr, &[self.name.as_bytes(), b": "]);
        write_parts(stderr, what);
        write_parts(
            stderr,
            &[b" (", self.name.as_bytes(), b" --help shows the usage)\n"],
        );
    }
}

fn write_parts(fd: crate::io::Fd, parts: &[&[u8]]) {
    for part in parts {
        // Nothing sensible is left to do if the descriptor is gone.
        let _ = crate::io::write_all(fd, part);
    }
}
