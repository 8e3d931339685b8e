//! `epoll`: the one event loop primitive the daemon needs.

use crate::arch::{check, nr, syscall1, syscall4, syscall6};
use crate::io::Fd;
use crate::{OwnedFd, Result};

pub use libc::epoll_event as Event;

/// An event for `epoll_ctl`: `events` is a mask of `EPOLLIN`, `EPOLLOUT`, …; `data` comes back
/// with every readiness report (use it to say which descriptor it is).
pub fn event(events: u32, data: u64) -> Event {
    Event { events, u64: data }
}

/// `int epoll_create1(int flags)`. `EPOLL_CLOEXEC` is always added.
pub fn epoll_create1(flags: i32) -> Result<OwnedFd> {
    // SAFETY: a plain integer argument.
    let ret = unsafe {
        syscall1(
            nr(libc::SYS_epoll_create1),
            (flags | libc::EPOLL_CLOEXEC) as usize,
        )
    };
    check(ret).map(OwnedFd::from_ret)
}

/// `int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)`.
pub fn epoll_ctl(epfd: Fd, op: i32, fd: Fd, event: Option<&Event>) -> Result<()> {
    let event_ptr = event.map_or(0, |e| (e as *const Event) as usize);
    // SAFETY: the kernel reads the live event, if one is given.
    let ret = unsafe {
        syscall4(
            nr(libc::SYS_epoll_ctl),
            epfd.arg(),
            op as usize,
            fd.arg(),
            event_ptr,
        )
    };
    check(ret).map(drop)
}

/// `int epoll_pwait(int epfd, struct epoll_event *events, int max, int timeout, NULL, 0)`:
/// waits up to `timeout_ms` (-1: forever) and fills the front of `events`; returns how many.
/// (`epoll_pwait` because aarch64 has no `epoll_wait`; with no signal mask it is the same.)
pub fn epoll_wait(epfd: Fd, events: &mut [Event], timeout_ms: i32) -> Result<usize> {
    let max = events.len().min(i32::MAX as usize);
    // SAFETY: the kernel writes at most `max` events into the exclusive slice.
    let ret = unsafe {
        syscall6(
            nr(libc::SYS_epoll_pwait),
            epfd.arg(),
            events.as_mut_ptr() as usize,
            max,
            timeout_ms as usize,
            0,
            0,
        )
    };
    check(ret)
}
