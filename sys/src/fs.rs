//! Opening and removing files by path.

use crate::arch::{check, nr, syscall3, syscall4};
use crate::{OwnedFd, Result};
use core::ffi::CStr;

/// `bytes` as a path the kernel reads: copied into `space` with a NUL after them. `EINVAL` if
/// they hold a NUL themselves or do not fit. (Not `CStr::from_bytes_until_nul`, whose
/// word-at-a-time search costs 216 B on MIPS.)
pub fn path<'s>(bytes: &[u8], space: &'s mut [u8]) -> Result<&'s CStr> {
    if crate::text::has_byte(bytes, 0) || bytes.len() >= space.len() {
        return Err(crate::Errno::EINVAL);
    }
    space[..bytes.len()].copy_from_slice(bytes);
    space[bytes.len()] = 0;
    // SAFETY: `space[..=len]` ends with the NUL just written and holds no other.
    Ok(unsafe { CStr::from_bytes_with_nul_unchecked(&space[..=bytes.len()]) })
}

/// `int openat(AT_FDCWD, const char *path, int flags, mode_t mode)`: opens `path`
/// relative to the working directory. `O_CLOEXEC` is always added.
pub fn open(path: &CStr, flags: i32, mode: u32) -> Result<OwnedFd> {
    // SAFETY: `path` is a live NUL-terminated string; the kernel only reads it.
    let ret = unsafe {
        syscall4(
            nr(libc::SYS_openat),
            libc::AT_FDCWD as usize,
            path.as_ptr() as usize,
            (flags | libc::O_CLOEXEC) as usize,
            mode as usize,
        )
    };
    check(ret).map(OwnedFd::from_ret)
}

/// `int unlinkat(AT_FDCWD, const char *path, 0)`: removes the file `path`.
pub fn unlink(path: &CStr) -> Result<()> {
    // SAFETY: `path` is a live NUL-terminated string; the kernel only reads it.
    let ret = unsafe {
        syscall3(
            nr(libc::SYS_unlinkat),
            libc::AT_FDCWD as usize,
            path.as_ptr() as usize,
            0,
        )
    };
    check(ret).map(drop)
}

/// Reads the file at `path` into `buffer`, as much as fits (the head of a program to look
/// at); returns how many bytes. A text file whose lines are read is `read_lines_to`'s.
pub fn read_to(path: &CStr, buffer: &mut [u8]) -> Result<usize> {
    let file = open(path, libc::O_RDONLY | libc::O_NONBLOCK, 0)?;
    let mut len = 0;
    while len < buffer.len() {
        match crate::io::read(file.fd(), &mut buffer[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(crate::Errno::EINTR) => {}
            Err(errno) => return Err(errno),
        }
    }
    Ok(len)
}

/// Reads the text file at `path` into `buffer`: all of it while it leaves room, else (it
/// fills the buffer, and more may follow) its whole lines, never a line cut in two (which
/// could read as another line: a server `10.0.0.12` as `10.0.0.1`, an ID `32768` as
/// `3276`). Returns how many bytes, and whether it filled the buffer.
pub fn read_lines_to(path: &CStr, buffer: &mut [u8]) -> Result<(usize, bool)> {
    let len = read_to(path, buffer)?;
    if len < buffer.len() {
        return Ok((len, false));
    }
    Ok((crate::text::whole_lines(&buffer[..len]), true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_file_is_read_as_much_as_fits() {
        extern crate std;
        let path = std::env::temp_dir().join(std::format!("sys-read-to-{}", std::process::id()));
        std::fs::write(&path, b"nameserver 192.0.2.1\n").unwrap();
        let mut space = [0u8; 256];
        let c_path = self::path(path.to_str().unwrap().as_bytes(), &mut space).unwrap();
        let mut buffer = [0u8; 64];
        assert_eq!(read_to(c_path, &mut buffer), Ok(21));
        assert_eq!(&buffer[..21], b"nameserver 192.0.2.1\n");
        let mut small = [0u8; 10];
        assert_eq!(read_to(c_path, &mut small), Ok(10));
        std::fs::remove_file(&path).unwrap();
        assert_eq!(read_to(c_path, &mut buffer), Err(crate::Errno::ENOENT));
    }

    #[test]
    fn a_text_file_longer_than_the_buffer_is_read_to_its_last_whole_line() {
        extern crate std;
        let path = std::env::temp_dir().join(std::format!("sys-read-lines-{}", std::process::id()));
        std::fs::write(&path, b"a 1\nserver 10.0.0.12\n").unwrap();
        let mut space = [0u8; 256];
        let c_path = self::path(path.to_str().unwrap().as_bytes(), &mut space).unwrap();
        let mut buffer = [0u8; 64];
        assert_eq!(read_lines_to(c_path, &mut buffer), Ok((21, false)));
        // Exactly as long as the buffer: it fills it, and its lines are whole.
        let mut exact = [0u8; 21];
        assert_eq!(read_lines_to(c_path, &mut exact), Ok((21, true)));
        // `server 10.0.0.1` would fit; the line is not taken.
        let mut short = [0u8; 19];
        assert_eq!(read_lines_to(c_path, &mut short), Ok((4, true)));
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn paths_get_their_nul() {
        let mut space = [0xffu8; 8];
        assert_eq!(path(b"/etc/x", &mut space).unwrap().to_bytes(), b"/etc/x");
        assert_eq!(path(b"", &mut space).unwrap().to_bytes(), b"");
        assert_eq!(
            path(b"/etc/xy", &mut space)
                .unwrap()
                .to_bytes_with_nul()
                .len(),
            8
        );
        assert!(
            path(b"/etc/xyz", &mut space).is_err(),
            "no room for the NUL"
        );
        assert!(path(b"a\0b", &mut space).is_err());
    }
}
