//! What viawan reads and writes, as plain functions over bytes: no system calls here.

use sys::text::parse_decimal;

/// Gluon's group for the mesh VPN daemon: the node redirects its DNS to port 54.
pub const DEFAULT_GROUP: &[u8] = b"gluon-mesh-vpn";
/// Where the package installs the preload library.
pub const DEFAULT_PRELOAD: &[u8] = b"/usr/lib/libpacketmark.so";
/// The mark Gluon's WAN policy routes by (`fwmark 0x1/0x1 lookup 1`), as the preload reads
/// it. Fixed: Gluon's policy knows no other.
pub const MARK_ENTRY: &core::ffi::CStr = c"LIBPACKETMARK_MARK=1";
/// Where a command name without a `/` is looked for when `PATH` is not set: OpenWrt's own.
pub const DEFAULT_PATH: &[u8] = b"/usr/sbin:/usr/bin:/sbin:/bin";

/// What the command line asks for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Request<'a> {
    /// A group name, or a number.
    pub group: &'a [u8],
    pub preload: &'a [u8],
    /// Where the command starts among the words after the program name.
    pub command: usize,
}

/// What is wrong with the command line, and the word it is about (empty: none).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct UsageError<'a> {
    pub message: &'static str,
    pub word: &'a [u8],
}

/// Reads the options before the command (`--group NAME`, `--preload PATH`, also as
/// `--option=VALUE`; `--` ends them) from the words after the program name, which `word`
/// gives by number (0 is the first).
pub fn parse<'a>(word: impl Fn(usize) -> Option<&'a [u8]>) -> Result<Request<'a>, UsageError<'a>> {
    let mut request = Request {
        group: DEFAULT_GROUP,
        preload: DEFAULT_PRELOAD,
        command: 0,
    };
    let error = |message, word| Err(UsageError { message, word });
    loop {
        let Some(option) = word(request.command) else {
            return error("no command to run", b"");
        };
        if !option.starts_with(b"--") {
            return Ok(request);
        }
        request.command += 1;
        if option == b"--" {
            return match word(request.command) {
                Some(_) => Ok(request),
                None => error("no command to run", b""),
            };
        }
        let (name, inline) = match option.iter().position(|&b| b == b'=') {
            Some(equals) => (&option[..equals], Some(&option[equals + 1..])),
            None => (option, None),
        };
        let group = name == b"--group";
        if !group && name != b"--preload" {
            return error("unknown option", option);
        }
        let value = match inline {
            Some(value) => value,
            None => {
                request.command += 1;
                match word(request.command - 1) {
                    Some(value) => value,
                    None => return error("a value must follow", option),
                }
            }
        };
        if group && !value.is_empty() {
            request.group = value;
        } else if group {
            return error("not a group name", value);
        } else if value.first() == Some(&b'/') {
            request.preload = value;
        } else {
            return error("the preload must be an absolute path", value);
        }
    }
}

/// The ID of group `name`: a number as it is, a name from the text of `/etc/group`.
pub fn group_id(group_file: &[u8], name: &[u8]) -> Option<u32> {
    parse_decimal(name).or_else(|| sys::user::group_id(group_file, name))
}

/// An environment entry as viawan sees it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Entry<'a> {
    /// `LD_PRELOAD`, with the caller's list.
    Preload(&'a [u8]),
    /// `LIBPACKETMARK_MARK`: replaced.
    Mark,
    /// `PATH`, with its value: passed on, and where a command is looked for.
    Path(&'a [u8]),
    /// Anything else: passed on.
    Other,
}

/// What the environment entry `NAME=value` is to viawan.
pub fn entry(entry: &[u8]) -> Entry<'_> {
    let value = |name: &[u8]| {
        entry
            .strip_prefix(name)
            .and_then(|rest| rest.strip_prefix(b"="))
    };
    if let Some(list) = value(b"LD_PRELOAD") {
        Entry::Preload(list)
    } else if value(b"LIBPACKETMARK_MARK").is_some() {
        Entry::Mark
    } else if let Some(path) = value(b"PATH") {
        Entry::Path(path)
    } else {
        Entry::Other
    }
}

/// Writes `LD_PRELOAD=PRELOAD`, then `:` and the caller's own list if it had one (unless it
/// names the same library already), into `out`; its length, or `None` if `out` is too small.
pub fn preload_entry(preload: &[u8], callers: &[u8], out: &mut [u8]) -> Option<usize> {
    // ld.so and musl take the list separated by colons or blanks.
    let named = callers
        .split(|&b| b == b':' || b == b' ')
        .any(|library| library == preload);
    let parts: [&[u8]; 4] = if callers.is_empty() || named {
        [b"LD_PRELOAD=", preload, b"", b""]
    } else {
        [b"LD_PRELOAD=", preload, b":", callers]
    };
    let mut at = 0;
    for part in parts {
        out.get_mut(at..at + part.len())?.copy_from_slice(part);
        at += part.len();
    }
    Some(at)
}

/// Writes `DIRECTORY/NAME` into `out`; its length, or `None` if it does not fit (never a
/// shortened path, which could name another program). An empty directory is the current one.
pub fn candidate(directory: &[u8], name: &[u8], out: &mut [u8]) -> Option<usize> {
    let directory = if directory.is_empty() {
        b"."
    } else {
        directory
    };
    let len = directory.len() + 1 + name.len();
    let out = out.get_mut(..len)?;
    out[..directory.len()].copy_from_slice(directory);
    out[directory.len()] = b'/';
    out[directory.len() + 1..].copy_from_slice(name);
    Some(len)
}

#[cfg(test)]
mod tests;
