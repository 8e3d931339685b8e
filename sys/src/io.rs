//! File descriptors, `read`/`write`, and the bounded line writer for messages.

use crate::arch::{check, nr, syscall1, syscall2, syscall3};
use crate::{Errno, Result};
use core::marker::PhantomData;

/// A file descriptor borrowed from its owner for `'fd` (copyable), as rustix's `BorrowedFd`:
/// it cannot outlive the `OwnedFd` it came from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Fd<'fd> {
    raw: i32,
    _owner: PhantomData<&'fd OwnedFd>,
}

impl Fd<'static> {
    /// Standard input.
    pub const STDIN: Fd<'static> = Fd::stdio(0);
    /// Standard output.
    pub const STDOUT: Fd<'static> = Fd::stdio(1);
    /// Standard error.
    pub const STDERR: Fd<'static> = Fd::stdio(2);

    /// The process's own standard descriptors, which nothing in these programs closes.
    const fn stdio(raw: i32) -> Self {
        Fd {
            raw,
            _owner: PhantomData,
        }
    }
}

impl<'fd> Fd<'fd> {
    /// Borrows a raw descriptor number.
    ///
    /// # Safety
    ///
    /// `raw` must be an open descriptor that stays open for all of `'fd`.
    pub const unsafe fn borrow_raw(raw: i32) -> Self {
        Fd {
            raw,
            _owner: PhantomData,
        }
    }

    /// The raw descriptor number.
    pub const fn raw(self) -> i32 {
        self.raw
    }

    #[inline]
    pub(crate) fn arg(self) -> usize {
        self.raw as usize
    }
}

/// A file descriptor this value owns: closed when dropped.
#[derive(PartialEq, Eq, Debug)]
pub struct OwnedFd(i32);

impl OwnedFd {
    /// Takes ownership of a descriptor the kernel just returned.
    #[inline]
    pub(crate) fn from_ret(ret: usize) -> Self {
        OwnedFd(ret as i32)
    }

    /// Takes ownership of a raw descriptor: it is closed when the value is dropped.
    ///
    /// # Safety
    ///
    /// `raw` must be an open descriptor that nothing else owns: no other code may close it or
    /// take ownership of it too.
    pub const unsafe fn from_raw(raw: i32) -> Self {
        OwnedFd(raw)
    }

    /// Borrows the descriptor for as long as this value lives.
    #[inline]
    pub fn fd(&self) -> Fd<'_> {
        Fd {
            raw: self.0,
            _owner: PhantomData,
        }
    }

    /// Gives up ownership without closing.
    pub fn into_raw(self) -> i32 {
        let raw = self.0;
        core::mem::forget(self);
        raw
    }
}

impl Drop for OwnedFd {
    fn drop(&mut self) {
        // An error from close (EINTR, EIO on some file systems) leaves nothing to retry: the
        // descriptor is released either way on Linux.
        let _ = close_raw(self.0);
    }
}

fn close_raw(fd: i32) -> Result<()> {
    // SAFETY: close(2) takes a number; closing an unowned descriptor would be a logic error,
    // not memory unsafety, and only `OwnedFd` calls this.
    check(unsafe { syscall1(nr(libc::SYS_close), fd as usize) }).map(drop)
}

/// `ssize_t read(int fd, void *buf, size_t count)`: reads into `buf`, returns the count.
pub fn read(fd: Fd, buf: &mut [u8]) -> Result<usize> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into the live, exclusive buffer.
    check(unsafe {
        syscall3(
            nr(libc::SYS_read),
            fd.arg(),
            buf.as_mut_ptr() as usize,
            buf.len(),
        )
    })
}

/// `ssize_t write(int fd, const void *buf, size_t count)`: writes from `buf`, returns the count.
pub fn write(fd: Fd, buf: &[u8]) -> Result<usize> {
    // SAFETY: the kernel reads at most `buf.len()` bytes of the live buffer.
    check(unsafe {
        syscall3(
            nr(libc::SYS_write),
            fd.arg(),
            buf.as_ptr() as usize,
            buf.len(),
        )
    })
}

/// Writes all of `buf`, retrying short writes and `EINTR`.
pub fn write_all(fd: Fd, mut buf: &[u8]) -> Result<()> {
    while !buf.is_empty() {
        match write(fd, buf) {
            Ok(0) => return Err(Errno::EIO),
            Ok(n) => buf = &buf[n..],
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// `ssize_t writev(int fd, const struct iovec *iov, int count)`: writes the parts in order,
/// in one call (so a line made of parts reaches a log whole); returns the count written.
pub fn writev<const N: usize>(fd: Fd, parts: &[&[u8]; N]) -> Result<usize> {
    let mut iov = [libc::iovec {
        iov_base: core::ptr::null_mut(),
        iov_len: 0,
    }; N];
    for (slot, part) in iov.iter_mut().zip(parts) {
        slot.iov_base = part.as_ptr() as *mut _;
        slot.iov_len = part.len();
    }
    // SAFETY: the kernel reads `N` live iovecs, each naming a live buffer of its length.
    check(unsafe { syscall3(nr(libc::SYS_writev), fd.arg(), iov.as_ptr() as usize, N) })
}

/// `int pipe2(int fds[2], int flags)`: returns the read and the write end.
pub fn pipe2(flags: i32) -> Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0i32; 2];
    // SAFETY: the kernel writes two ints into the live array.
    check(unsafe {
        syscall2(
            nr(libc::SYS_pipe2),
            fds.as_mut_ptr() as usize,
            flags as usize,
        )
    })?;
    Ok((OwnedFd(fds[0]), OwnedFd(fds[1])))
}

/// One message line, put together in a fixed buffer and written with one `write`, so that it
/// reaches a log (procd's, a pipe) whole; what does not fit is cut.
pub struct Line {
    buffer: [u8; 512],
    len: usize,
}

impl Default for Line {
    fn default() -> Self {
        Self::new()
    }
}

impl Line {
    pub const fn new() -> Line {
        Line {
            buffer: [0; 512],
            len: 0,
        }
    }

    /// Appends `text`.
    pub fn text(&mut self, text: &[u8]) -> &mut Line {
        for &byte in text {
            if let Some(slot) = self.buffer.get_mut(self.len) {
                *slot = byte;
                self.len += 1;
            }
        }
        self
    }

    /// Appends `value` in decimal.
    pub fn number(&mut self, mut value: u32) -> &mut Line {
        let mut digits = [0u8; 10];
        let mut at = digits.len();
        loop {
            at -= 1;
            digits[at] = b'0' + (value % 10) as u8;
            value /= 10;
            if value == 0 {
                break;
            }
        }
        self.text(&digits[at..])
    }

    /// What the line holds so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buffer[..self.len]
    }

    /// Writes the line to `fd`; nothing is left to do if that fails.
    pub fn write_to(&self, fd: Fd) {
        let _ = write_all(fd, self.as_bytes());
    }
}
