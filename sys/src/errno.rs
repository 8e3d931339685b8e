//! Errors as the kernel reports them: a number, no strings, no allocation.

/// A Linux error number. The values differ per architecture (`EADDRINUSE` is 98 on x86_64
/// and 125 on MIPS), so the named constants come from `libc`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Errno(u16);

/// The result of a syscall wrapper.
pub type Result<T> = core::result::Result<T, Errno>;

macro_rules! errnos {
    ($($name:ident),* $(,)?) => {
        impl Errno {
            $(
                #[doc = concat!("`", stringify!($name), "`")]
                pub const $name: Self = Self(libc::$name as u16);
            )*
        }
    };
}

errnos!(
    EPERM,
    ENOENT,
    EINTR,
    EIO,
    EBADF,
    EAGAIN,
    ENOMEM,
    ENOBUFS,
    EACCES,
    EFAULT,
    EEXIST,
    ENODEV,
    EISDIR,
    EINVAL,
    EMFILE,
    ENOSPC,
    EPIPE,
    ERANGE,
    ENOSYS,
    ENOTSOCK,
    EMSGSIZE,
    EPROTONOSUPPORT,
    ENOPROTOOPT,
    EOPNOTSUPP,
    EAFNOSUPPORT,
    EADDRINUSE,
    EADDRNOTAVAIL,
    ENETDOWN,
    ENETUNREACH,
    ECONNREFUSED,
    EHOSTUNREACH,
    ETIMEDOUT,
    ESRCH,
    EINPROGRESS,
    ECONNRESET,
    ENOTDIR,
    E2BIG,
    ENOEXEC,
);

impl Errno {
    /// The error with this raw number.
    #[inline]
    pub const fn from_raw(raw: u16) -> Self {
        Self(raw)
    }

    /// The raw number, as the architecture's kernel defines it.
    #[inline]
    pub const fn raw(self) -> u16 {
        self.0
    }
}

impl core::fmt::Debug for Errno {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Errno({})", self.0)
    }
}

impl ufmt::uDebug for Errno {
    fn fmt<W: ufmt::uWrite + ?Sized>(
        &self,
        f: &mut ufmt::Formatter<'_, W>,
    ) -> core::result::Result<(), W::Error> {
        f.write_str("errno ")?;
        ufmt::uDisplay::fmt(&self.0, f)
    }
}

impl ufmt::uDisplay for Errno {
    fn fmt<W: ufmt::uWrite + ?Sized>(
        &self,
        f: &mut ufmt::Formatter<'_, W>,
    ) -> core::result::Result<(), W::Error> {
        ufmt::uDebug::fmt(self, f)
    }
}
