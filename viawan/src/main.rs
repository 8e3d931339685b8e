//! viawan: runs a command in viawan's group with the marking preload, so that its DNS
//! and its packets use the WAN (see `launch.rs` for the rules, which are pure). Here: the
//! group from /etc/group, the new environment, and the search of `PATH`.
#![no_std]
#![no_main]

use sys::io::Fd;
use sys::process::{CStrings, execve};
use sys::rt::{Args, Cli};
use sys::text::has_byte;
use sys::{Errno, fs, user};
use viawan::launch::{self, Entry, Image};

const CLI: Cli = Cli {
    name: "viawan",
    version: env!("CARGO_PKG_VERSION"),
    usage: "Usage: viawan [--group gluon-viawan] [--preload /usr/lib/libpacketmark.so]
              [--] COMMAND [ARG]...
Runs COMMAND in the group (its DNS goes to the WAN resolver on port 54) with the preload
and mark 1 (its packets take the WAN). Exit status: COMMAND's; 125 viawan failed, 126
COMMAND cannot run, 127 not found, 2 usage.
",
};

/// Exit statuses as env(1) and the shells give them.
const FAILED: u8 = 125;
const CANNOT_RUN: u8 = 126;
const NOT_FOUND: u8 = 127;

/// The most arguments and environment entries passed on.
const MAX_STRINGS: usize = 512;
/// The longest `LD_PRELOAD` entry viawan writes, and the longest path it tries in `PATH`.
const MAX_TEXT: usize = 1024;

sys::entry!(main);

fn main(args: Args) -> u8 {
    if let Some(status) = CLI.help_or_version(&args) {
        return status;
    }
    let request = match launch::parse(|index| args.get(index + 1)) {
        Ok(request) => request,
        Err(err) => {
            if err.word.is_empty() {
                CLI.usage_error(&[err.message.as_bytes()]);
            } else {
                CLI.usage_error(&[err.message.as_bytes(), b" '", err.word, b"'"]);
            }
            return 2;
        }
    };
    if let Err(status) = check_preload(request.preload) {
        return status;
    }
    if let Err(status) = take_group(request.group) {
        return status;
    }
    // The caller's environment, without what viawan sets itself.
    let mut environment: CStrings<'_, MAX_STRINGS> = CStrings::new();
    let (mut callers, mut path) = (&b""[..], launch::DEFAULT_PATH);
    let mut room = true;
    for variable in args.environment() {
        match launch::entry(variable.to_bytes()) {
            Entry::Preload(list) => callers = list,
            Entry::Mark => {}
            Entry::Path(list) => {
                path = list;
                room &= environment.push(variable);
            }
            Entry::Other => room &= environment.push(variable),
        }
    }
    let mut text = [0u8; MAX_TEXT];
    let mut space = [0u8; MAX_TEXT + 1];
    let preload = launch::preload_entry(request.preload, callers, &mut text)
        .and_then(|len| fs::path(&text[..len], &mut space).ok());
    let Some(preload) = preload else {
        return fail(b"LD_PRELOAD too long", b"", None);
    };
    room &= environment.push(preload) && environment.push(launch::MARK_ENTRY);
    let first = 1 + request.command;
    let mut arguments: CStrings<'_, MAX_STRINGS> = CStrings::new();
    for index in first..args.len() {
        room &= args.get_cstr(index).is_some_and(|arg| arguments.push(arg));
    }
    let (true, Some(command), Some(name)) = (room, args.get_cstr(first), args.get(first)) else {
        return fail(b"too many arguments or environment variables", b"", None);
    };
    if has_byte(name, b'/') {
        if let Err(status) = reached_by_preload(name, command) {
            return status;
        }
        let errno = execve(command, &arguments, &environment);
        return cannot_run(name, errno);
    }
    // A name alone: the first of PATH's directories that has it, as the shells look. A file
    // found but not executable does not stop the search, as in the shells.
    let mut found = Errno::ENOENT;
    let mut candidate = [0u8; MAX_TEXT];
    let mut candidate_space = [0u8; MAX_TEXT + 1];
    for directory in path.split(|&b| b == b':') {
        let path = launch::candidate(directory, name, &mut candidate)
            .and_then(|len| fs::path(&candidate[..len], &mut candidate_space).ok());
        let Some(path) = path else {
            continue;
        };
        if let Err(status) = reached_by_preload(name, path) {
            return status;
        }
        match execve(path, &arguments, &environment) {
            Errno::ENOENT | Errno::ENOTDIR => {}
            Errno::EACCES => found = Errno::EACCES,
            errno => return cannot_run(name, errno),
        }
    }
    cannot_run(name, found)
}

/// Goes on only with a preload that a loader of this machine can load: a missing or foreign
/// one is skipped (glibc warns, musl says nothing) and the command would run with every
/// socket unmarked, its packets free to leave by the mesh.
#[inline(never)]
fn check_preload(preload: &[u8]) -> Result<(), u8> {
    let mut space = [0u8; MAX_TEXT + 1];
    let mut head = [0u8; launch::HEAD];
    let len = fs::path(preload, &mut space)
        .and_then(|path| fs::read_to(path, &mut head))
        .map_err(|errno| fail(b"cannot read the preload ", preload, Some(errno)))?;
    match launch::image(&head[..len]) {
        Image::Elf {
            shared: true,
            loader: false,
        } => Ok(()),
        _ => Err(fail(
            preload,
            b": not a shared object for this machine: no socket would be marked",
            None,
        )),
    }
}

/// Goes on only with a program the preload reaches: an ELF program of this machine that asks
/// for a dynamic loader. A static program (or one of another machine, which an emulator
/// would run) would make its sockets unmarked. What is no ELF file (a script: on OpenWrt its
/// shell is a dynamic program) or cannot be read is left to `execve` to run or refuse.
#[inline(never)]
fn reached_by_preload(name: &[u8], path: &core::ffi::CStr) -> Result<(), u8> {
    let mut head = [0u8; launch::HEAD];
    let Ok(len) = fs::read_to(path, &mut head) else {
        return Ok(());
    };
    let why: &[u8] = match launch::image(&head[..len]) {
        Image::Elf { loader: false, .. } => b": statically linked: the preload cannot reach it",
        Image::Foreign => b": not a program for this machine: the preload cannot reach it",
        _ => return Ok(()),
    };
    fail(name, why, None);
    Err(CANNOT_RUN)
}

/// Makes `group` (a name in /etc/group, or a number) the primary group; a status if not.
#[inline(never)]
fn take_group(group: &[u8]) -> Result<(), u8> {
    let mut group_file = [0u8; 4096];
    // Missing or unreadable: only a number names a group then. A group past what fits is not
    // found, rather than read from a line cut in two.
    let (len, _) = fs::read_lines_to(c"/etc/group", &mut group_file).unwrap_or((0, false));
    let Some(gid) = launch::group_id(&group_file[..len], group) else {
        return Err(fail(b"no such group in /etc/group: ", group, None));
    };
    user::set_gid(gid).map_err(|errno| fail(b"cannot take the group ", group, Some(errno)))
}

/// `viawan: COMMAND: why`; status 127 if it is not there, else 126.
fn cannot_run(name: &[u8], errno: Errno) -> u8 {
    if errno == Errno::ENOENT {
        fail(name, b": not found", None);
        return NOT_FOUND;
    }
    fail(name, b": cannot run", Some(errno));
    CANNOT_RUN
}

/// `viawan: WHAT WORD[: why]` on standard error, in one write; status 125.
fn fail(what: &[u8], word: &[u8], errno: Option<Errno>) -> u8 {
    let why: &[u8] = match errno {
        None => b"",
        Some(Errno::EPERM) => b": operation not permitted (needs root)",
        Some(Errno::EACCES) => b": permission denied",
        Some(Errno::ENOEXEC) => b": not an executable",
        Some(Errno::ENOENT) => b": no such file",
        Some(_) => b": error",
    };
    // Nothing is left to do if standard error is gone.
    let _ = sys::io::writev(Fd::STDERR, &[b"viawan: ", what, word, why, b"\n"]);
    FAILED
}
