//! What viawan reads and writes, as plain functions over bytes: no system calls here.

use sys::text::parse_decimal;

/// viawan's own group (gid 801, which `gluon-wan-viawan` makes): the node redirects its DNS
/// to port 54, as the mesh VPN's, and drops its packets that leave without the mark, which
/// the mesh VPN's group (Gluon's `gluon-wan-dns` runs commands in it with their packets on
/// the mesh) cannot have.
pub const DEFAULT_GROUP: &[u8] = b"gluon-viawan";
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

/// The ELF identity of the files viawan accepts, as their first six bytes say it: the magic,
/// and this machine's class and byte order. Only a file of this machine can be a preload
/// for it or a program it runs, so every other field is read in this machine's own order.
pub const ELF_IDENT: [u8; 6] = [
    0x7f,
    b'E',
    b'L',
    b'F',
    if cfg!(target_pointer_width = "64") {
        2
    } else {
        1
    },
    if cfg!(target_endian = "big") { 2 } else { 1 },
];

#[cfg(target_arch = "aarch64")]
pub const ELF_MACHINE: u16 = sys::libc::EM_AARCH64;
#[cfg(target_arch = "arm")]
pub const ELF_MACHINE: u16 = sys::libc::EM_ARM;
#[cfg(target_arch = "mips")]
pub const ELF_MACHINE: u16 = sys::libc::EM_MIPS;
#[cfg(target_arch = "powerpc")]
pub const ELF_MACHINE: u16 = sys::libc::EM_PPC;
#[cfg(target_arch = "x86")]
pub const ELF_MACHINE: u16 = sys::libc::EM_386;
#[cfg(target_arch = "x86_64")]
pub const ELF_MACHINE: u16 = sys::libc::EM_X86_64;

/// How many bytes of a file [`image`] wants: the ELF header and the program headers behind
/// it, which is where every linker puts them.
pub const HEAD: usize = 2048;

/// What a file is to the preload, from its first bytes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Image {
    /// An ELF file of this machine: whether it is a shared object (`ET_DYN`), and whether it
    /// asks for a dynamic loader (`PT_INTERP`), the only way a preload gets into a program.
    Elf { shared: bool, loader: bool },
    /// An ELF file of another machine (or one too short to read).
    Foreign,
    /// Anything else: a script, say, which the kernel hands to its interpreter.
    Other,
}

/// Reads the first bytes of a file (up to [`HEAD`]) as this machine would run it.
pub fn image(head: &[u8]) -> Image {
    if !head.starts_with(&ELF_IDENT[..4]) {
        return Image::Other;
    }
    const WORD: usize = core::mem::size_of::<usize>();
    let half = |at: usize| Some(u16::from_ne_bytes(head.get(at..at + 2)?.try_into().ok()?));
    let word = |at: usize| {
        Some(usize::from_ne_bytes(
            head.get(at..at + WORD)?.try_into().ok()?,
        ))
    };
    // Where the program header table's offset, entry size and count are: ELF64 or ELF32.
    let (offset_at, size_at) = if WORD == 8 { (32, 54) } else { (28, 42) };
    let fields = (half(16), word(offset_at), half(size_at), half(size_at + 2));
    let (true, Some(ELF_MACHINE), (Some(kind), Some(offset), Some(size), Some(count))) =
        (head.starts_with(&ELF_IDENT), half(18), fields)
    else {
        return Image::Foreign;
    };
    let (size, count) = (usize::from(size), usize::from(count));
    // Program headers past what was read: the file cannot be told apart.
    let end = size.checked_mul(count).and_then(|t| t.checked_add(offset));
    if end.is_none_or(|end| end > head.len()) {
        return Image::Foreign;
    }
    let loader = (0..count).any(|index| {
        let at = offset + index * size;
        head.get(at..at + 4) == Some(&sys::libc::PT_INTERP.to_ne_bytes()[..])
    });
    Image::Elf {
        shared: kind == sys::libc::ET_DYN,
        loader,
    }
}

#[cfg(test)]
mod tests;
