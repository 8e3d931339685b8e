//! The exported `socket()` and its set-up: the only part of the library that talks to the C
//! library of the host process (`getenv`, `dlsym`, `setsockopt`, `errno`), hence the only
//! part with `unsafe`.
//!
//! The configuration is read once, either by the load-time constructor or by the first
//! `socket()` call that comes before it (another library's constructor may create a socket
//! first). Several threads may race to read it; they compute the same result, and one
//! compare-and-swap decides who publishes it and prints the complaint about a bad value.
#![allow(unsafe_code)]

use crate::config::{Action, Config};
use core::ffi::{CStr, c_char, c_int, c_void};
use core::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
use sys::io::{Fd, writev};
use sys::libc;

unsafe extern "C" {
    fn getenv(name: *const c_char) -> *const c_char;
    fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
    fn setsockopt(fd: c_int, level: c_int, name: c_int, value: *const c_void, len: u32) -> c_int;
    fn __errno_location() -> *mut c_int;
}

type SocketFn = unsafe extern "C" fn(c_int, c_int, c_int) -> c_int;

// The published configuration: 0 until read, then an action and a flag. A word, not a byte:
// MIPS has no byte-sized compare-and-swap, and emulating one costs about a hundred bytes.
const UNREAD: u32 = 0;
const OFF: u32 = 1;
const MARK: u32 = 2;
const INVALID: u32 = 3;
const ACTION: u32 = 3;
const IGNORE_ERRORS: u32 = 4;

static STATE: AtomicU32 = AtomicU32::new(UNREAD);
/// Whether the process was told why its sockets fail (once: a daemon may retry in a loop).
static TOLD_REFUSAL: AtomicU32 = AtomicU32::new(0);
static MARK_VALUE: AtomicU32 = AtomicU32::new(0);
/// The next `socket()` (the C library's, or another interposer's); null: use the syscall.
static NEXT_SOCKET: AtomicPtr<c_void> = AtomicPtr::new(core::ptr::null_mut());

#[used]
#[unsafe(link_section = ".init_array")]
static AT_LOAD: extern "C" fn() = at_load;

/// Runs when the library is loaded. It takes no arguments: musl passes none to constructors.
extern "C" fn at_load() {
    state();
}

fn state() -> u32 {
    match STATE.load(Ordering::Acquire) {
        UNREAD => read_configuration(),
        state => state,
    }
}

fn env(name: &CStr) -> Option<&'static [u8]> {
    // SAFETY: getenv takes a NUL-terminated name and returns NULL or a NUL-terminated value
    // owned by the environment, which the library reads at once and does not keep.
    let value = unsafe { getenv(name.as_ptr()) };
    // SAFETY: non-NULL, so a NUL-terminated string.
    (!value.is_null()).then(|| unsafe { CStr::from_ptr(value) }.to_bytes())
}

#[cold]
fn read_configuration() -> u32 {
    // SAFETY: dlsym takes the RTLD_NEXT pseudo-handle and a NUL-terminated name.
    let next = unsafe { dlsym(libc::RTLD_NEXT, c"socket".as_ptr()) };
    NEXT_SOCKET.store(next, Ordering::Relaxed);

    let mark = env(c"LIBPACKETMARK_MARK");
    let config = Config::from_env(mark, env(c"LIBPACKETMARK_ON_ERROR"));
    let mut state = match config.action {
        Action::Off => OFF,
        Action::Mark(value) => {
            MARK_VALUE.store(value, Ordering::Relaxed);
            MARK
        }
        Action::Invalid => INVALID,
    };
    if config.ignore_errors {
        state |= IGNORE_ERRORS;
    }
    // The release publishes NEXT_SOCKET and MARK_VALUE with the state.
    match STATE.compare_exchange(UNREAD, state, Ordering::Release, Ordering::Acquire) {
        Ok(_) => {
            if config.action == Action::Invalid {
                complain(mark.unwrap_or_default(), config.ignore_errors);
            }
            state
        }
        Err(published) => published,
    }
}

/// One line on stderr that names the variable, the value and the consequence.
fn complain(value: &[u8], ignore_errors: bool) {
    let consequence: &[u8] = if ignore_errors {
        b"IP sockets unmarked\n"
    } else {
        b"IP sockets fail\n"
    };
    // Nothing is left to do if stderr is closed.
    let _ = writev(
        Fd::STDERR,
        &[
            b"libpacketmark: bad LIBPACKETMARK_MARK=\"",
            value,
            b"\": ",
            consequence,
        ],
    );
}

fn set_errno(value: c_int) {
    // SAFETY: __errno_location returns the calling thread's errno, valid for the thread's life.
    unsafe { *__errno_location() = value };
}

fn errno() -> c_int {
    // SAFETY: as in `set_errno`.
    unsafe { *__errno_location() }
}

fn next_socket(domain: c_int, kind: c_int, protocol: c_int) -> c_int {
    let next = NEXT_SOCKET.load(Ordering::Relaxed);
    if next.is_null() {
        return match sys::net::socket_as_asked(domain, kind, protocol) {
            Ok(fd) => fd,
            Err(err) => {
                set_errno(c_int::from(err.raw()));
                -1
            }
        };
    }
    // SAFETY: dlsym found `socket`, whose C signature this is.
    let next: SocketFn = unsafe { core::mem::transmute::<*mut c_void, SocketFn>(next) };
    // SAFETY: the arguments are the caller's, passed on unchanged.
    unsafe { next(domain, kind, protocol) }
}

/// `int socket(int domain, int type, int protocol)`: the next `socket()`, then `SO_MARK` on
/// IPv4 and IPv6 sockets. No unmarked IPv4/IPv6 socket leaves here unless
/// `LIBPACKETMARK_ON_ERROR=ignore` says so.
///
/// # Safety
/// Callable as the C function it replaces.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn socket(domain: c_int, kind: c_int, protocol: c_int) -> c_int {
    let state = state();
    let routed = domain == libc::AF_INET || domain == libc::AF_INET6;
    let ignore_errors = state & IGNORE_ERRORS != 0;
    if routed && state & ACTION == INVALID && !ignore_errors {
        set_errno(libc::EINVAL);
        return -1;
    }
    let fd = next_socket(domain, kind, protocol);
    if fd < 0 || !routed || state & ACTION != MARK {
        return fd;
    }
    let mark = MARK_VALUE.load(Ordering::Relaxed);
    let saved_errno = errno();
    // SAFETY: a live four-byte value for an int-sized option on a descriptor we just made.
    let marked = unsafe {
        setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_MARK,
            (&raw const mark).cast(),
            4,
        )
    } == 0;
    if marked || ignore_errors {
        set_errno(saved_errno);
        return fd;
    }
    // Fail closed: the caller never sees an unmarked socket.
    // SAFETY: `fd` is the socket libc's socket() just made in this call and nobody else has
    // seen yet: ours to close.
    drop(unsafe { sys::OwnedFd::from_raw(fd) });
    if TOLD_REFUSAL.swap(1, Ordering::Relaxed) == 0 {
        complain_refused();
    }
    set_errno(libc::EPERM);
    -1
}

/// One line, once per process, when the kernel refuses the mark: without it a daemon whose
/// every socket fails leaves its operator no hint.
#[cold]
fn complain_refused() {
    // Nothing is left to do if stderr is closed.
    let _ = writev(
        Fd::STDERR,
        &[
            b"libpacketmark: the kernel refused LIBPACKETMARK_MARK=",
            env(c"LIBPACKETMARK_MARK").unwrap_or_default(),
            b" (SO_MARK needs CAP_NET_ADMIN, or CAP_NET_RAW on Linux 5.17 and later): IP \
              sockets fail\n",
        ],
    );
}
