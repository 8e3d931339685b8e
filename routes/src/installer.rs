//! The installer: its command line, batches, and what it says. The syntax, the wire format
//! and the comparisons are the pure modules of the library (`routes::…`); the socket is
//! `kernel.rs`. A command on the command line and a batch take the same path: every command
//! is parsed first (a mistake anywhere changes nothing), then carried out in order. A batch
//! is read once, whole, so that what is carried out is what was checked.

mod kernel;

use core::ffi::CStr;
use kernel::Kernel;
use routes::batch;
use routes::command::{self, Command, GluonAction, GluonWan, MAX_WORDS, Mistake, SyntaxError};
use routes::netlink::{
    Fields, RTM_GETROUTE, RTM_GETRULE, RTM_NEWROUTE, RTM_NEWRULE, RTN_UNREACHABLE,
};
use routes::request::{self, Answered, Found, Object, Request};
use sys::addr::Family;
use sys::io::{Fd, Line, write_all};
use sys::rt::{Args, Cli};
use sys::{Errno, fs, io, libc};

pub const CLI: Cli = Cli {
    name: "routes",
    version: env!("CARGO_PKG_VERSION"),
    usage: "Usage: routes [-4|-6] [check] COMMAND
       routes [-4|-6] [check] -b FILE     (FILE - is standard input)
COMMAND, in ip's syntax:
  rule add|del [not] [from PREFIX] [to PREFIX] [fwmark M[/MASK]] [iif DEV] [oif DEV]
           lookup TABLE pref N
  route add|replace|del [unicast|unreachable|blackhole|prohibit] PREFIX|default
           [via ADDR] [dev DEV] [table T] [metric N] [proto P]
  gluon-wan up|down|check [--table 1] [--fwmark 0x1/0x1] [--pref 1] [-4|-6|-46]
Every command is idempotent: adding what is there or deleting what is not is success.
check changes nothing and prints what is missing or different.
Exit: 0 done or in sync, 1 check found differences, 2 usage or syntax error (nothing
changed), 3 the kernel refused a change.
",
};

const IN_SYNC: u8 = 0;
const DIFFERENT: u8 = 1;
const USAGE_ERROR: u8 = 2;
const REFUSED: u8 = 3;

/// The most a batch may hold: it is read once, whole, so that what is checked is what is
/// carried out, whatever happens to the file meanwhile.
const BATCH_CAPACITY: usize = 64 * 1024;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Apply,
    Check,
}

/// Where the commands come from.
enum Source<'a> {
    /// The words of the command line: one command.
    Words(&'a [&'a [u8]]),
    /// A batch, read whole (from a file or standard input).
    Bytes(&'a [u8]),
}

/// How a run went so far: whether `check` found everything as asked, how many commands were
/// carried out.
struct Progress {
    in_sync: bool,
    done: u32,
}

pub fn main(args: Args) -> u8 {
    if let Some(status) = CLI.help_or_version(&args) {
        return status;
    }
    let mut index = 1;
    let mut family = None;
    loop {
        match args.get(index) {
            Some(b"-4") => family = Some(Family::V4),
            Some(b"-6") => family = Some(Family::V6),
            // Both families is gluon-wan's choice alone: a rule or route has one.
            Some(b"-46") => {
                CLI.usage_error(&[b"-46 goes after gluon-wan's action: routes gluon-wan up -46"]);
                return USAGE_ERROR;
            }
            _ => break,
        }
        index += 1;
    }
    let mode = if args.get(index) == Some(b"check") {
        index += 1;
        Mode::Check
    } else {
        Mode::Apply
    };
    match args.get(index) {
        Some(b"-b") => {
            let (Some(path), None) = (args.get_cstr(index + 1), args.get(index + 2)) else {
                CLI.usage_error(&[b"-b takes one FILE and nothing after it"]);
                return USAGE_ERROR;
            };
            batch(path, family, mode)
        }
        None => {
            CLI.usage_error(&[b"a command is missing"]);
            USAGE_ERROR
        }
        Some(word) if word.first() == Some(&b'-') => {
            CLI.usage_error(&[b"unknown option '", word, b"'"]);
            USAGE_ERROR
        }
        Some(_) => {
            let mut words = [&b""[..]; MAX_WORDS + 1];
            let mut count = 0;
            while let (Some(slot), Some(word)) = (words.get_mut(count), args.get(index + count)) {
                *slot = word;
                count += 1;
            }
            run(&Source::Words(&words[..count]), b"", family, mode)
        }
    }
}

/// A batch, from the file at `path` or from standard input (`-`), read whole into a bounded
/// buffer: a file that changed between the check of every line and their carrying out would
/// otherwise have lines carried out that were never checked. Never inlined: a 64 KiB frame
/// makes every stack access of its caller cost three instructions on MIPS, whose offsets are
/// 16 bits.
#[inline(never)]
fn batch(path: &CStr, family: Option<Family>, mode: Mode) -> u8 {
    let name = path.to_bytes();
    let file = match name {
        b"-" => None,
        _ => match fs::open(path, libc::O_RDONLY, 0) {
            Ok(file) => Some(file),
            Err(errno) => return file_error(b"open", name, errno),
        },
    };
    let fd = file.as_ref().map_or(Fd::STDIN, |file| file.fd());
    let mut buffer = [0u8; BATCH_CAPACITY];
    let mut len = 0;
    while len < buffer.len() {
        match io::read(fd, &mut buffer[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(Errno::EINTR) => {}
            Err(errno) => return file_error(b"read", name, errno),
        }
    }
    if len == buffer.len() {
        say(&[
            b"routes: ",
            name,
            b": a batch may hold at most 65535 bytes\n",
        ]);
        return USAGE_ERROR;
    }
    run(&Source::Bytes(&buffer[..len]), name, family, mode)
}

/// Every command of `source` (`name` for messages): all parsed first, so that a mistake
/// anywhere changes nothing, then carried out (or checked) in order.
fn run(source: &Source<'_>, name: &[u8], family: Option<Family>, mode: Mode) -> u8 {
    let checked = for_each_command(source, name, &mut |place, words| {
        let mut request = Request::new(Object::Rule, false);
        match command::parse(words, family, &mut request) {
            Ok(_) => Ok(()),
            Err(err) => Err(syntax_error(place, err)),
        }
    });
    if let Err(status) = checked {
        return status;
    }
    let mut kernel = match Kernel::open() {
        Ok(kernel) => kernel,
        Err(errno) => {
            say(&[
                b"routes: cannot open a route netlink socket: ",
                errno_words(errno, false),
                b"\n",
            ]);
            return REFUSED;
        }
    };
    let mut progress = Progress {
        in_sync: true,
        done: 0,
    };
    let done = for_each_command(source, name, &mut |place, words| {
        let mut request = Request::new(Object::Rule, false);
        // Parsed once already: the same words parse the same way.
        let Ok(command) = command::parse(words, family, &mut request) else {
            return Err(USAGE_ERROR);
        };
        let carried_out = match command {
            Command::Request => execute(&mut kernel, &mut request, mode, place, words),
            Command::GluonWan(wan) => gluon_wan(&mut kernel, &wan, mode, place),
        };
        match carried_out {
            Ok(in_sync) => {
                progress.in_sync &= in_sync;
                progress.done += 1;
                Ok(())
            }
            Err(()) => {
                if let Some(place) = place {
                    let mut line = Line::new();
                    line.text(b"routes: ");
                    line.number(progress.done);
                    line.text(b" command(s) before line ");
                    line.number(place.line);
                    line.text(b" were applied, none after it; every line is idempotent, so the corrected batch can simply run again\n");
                    line.say();
                }
                Err(REFUSED)
            }
        }
    });
    match done {
        Err(status) => status,
        Ok(()) if progress.in_sync => IN_SYNC,
        Ok(()) => DIFFERENT,
    }
}

/// Where a command came from, for messages: a batch file's name and the line.
#[derive(Clone, Copy)]
struct Place<'a> {
    file: &'a [u8],
    line: u32,
}

/// What [`for_each_command`] calls for each command: where it stands (for a batch) and its
/// words; `Err(status)` stops the walk.
type Visit<'v> = dyn FnMut(Option<Place<'_>>, &[&[u8]]) -> Result<(), u8> + 'v;

/// Calls `visit` with the words of every command of `source`, and for a batch where it
/// stands. A line with too many words ends the walk. `Err(status)`: it stopped early, what
/// went wrong has been said, exit with `status`.
fn for_each_command(source: &Source<'_>, name: &[u8], visit: &mut Visit<'_>) -> Result<(), u8> {
    let bytes = match source {
        Source::Words(words) if words.len() > MAX_WORDS => {
            return Err(syntax_error(
                None,
                SyntaxError {
                    mistake: Mistake::TooManyWords,
                    word: b"",
                },
            ));
        }
        Source::Words(words) => return visit(None, words),
        Source::Bytes(bytes) => bytes,
    };
    for (number, text) in (1u32..).zip(bytes.split(|&b| b == b'\n')) {
        let place = Place {
            file: name,
            line: number,
        };
        let mut words = [&b""[..]; MAX_WORDS];
        match batch::split(text, &mut words) {
            Some(0) => {}
            Some(count) => visit(Some(place), &words[..count])?,
            None => {
                return Err(syntax_error(
                    Some(place),
                    SyntaxError {
                        mistake: Mistake::TooManyWords,
                        word: b"",
                    },
                ));
            }
        }
    }
    Ok(())
}

/// Gluon's policy, family by family: the command lines it stands for, parsed as any line is.
fn gluon_wan(
    kernel: &mut Kernel,
    wan: &GluonWan<'_>,
    mode: Mode,
    place: Option<Place<'_>>,
) -> Result<bool, ()> {
    let mode = if wan.action == GluonAction::Check {
        Mode::Check
    } else {
        mode
    };
    let mut in_sync = true;
    for family in wan.families() {
        for (words, len) in wan.lines(family) {
            let mut request = Request::new(Object::Rule, false);
            // The parser checked the preset's values: its lines parse.
            if command::parse(&words[..len], Some(family), &mut request).is_err() {
                return Err(());
            }
            in_sync &= execute(kernel, &mut request, mode, place, &words[..len])?;
        }
        if family == Family::V4 && wan.action == GluonAction::Up && mode == Mode::Apply {
            warn_if_table_is_empty(kernel, wan.table);
        }
    }
    Ok(in_sync)
}

/// Applies or checks one request (`words`, as `ip` would be told it); says what the kernel
/// refused. `Ok(in_sync)`: done, and for a check whether everything was as asked.
fn execute(
    kernel: &mut Kernel,
    request: &mut Request<'_>,
    mode: Mode,
    place: Option<Place<'_>>,
    words: &[&[u8]],
) -> Result<bool, ()> {
    let done = match mode {
        Mode::Apply => apply(kernel, request).map(|()| true),
        Mode::Check => check(kernel, request, place, words),
    };
    done.map_err(|errno| refused(place, request, words, errno, kernel.refusal_text()))
}

/// Marked IPv4 traffic only reaches the WAN if the WAN's IPv4 routes live in the table
/// too (netifd's `ip4table`); with the fallback alone it is refused.
fn warn_if_table_is_empty(kernel: &mut Kernel, table: &[u8]) {
    let table_id = sys::text::parse_u32(table);
    let mut others = 0u32;
    let dumped = kernel.dump(RTM_GETROUTE, Family::V4.af(), &mut |kind, payload| {
        if let (RTM_NEWROUTE, Ok(route)) = (kind, Fields::parse(payload)) {
            let fallback = route.body[7] == RTN_UNREACHABLE && route.body[1] == 0;
            if Some(route.table()) == table_id && !fallback {
                others += 1;
            }
        }
    });
    if dumped.is_ok() && others == 0 {
        say(&[
            b"routes: warning: table ",
            table,
            b" holds no IPv4 route but the fallback, so marked IPv4 traffic is refused: \
              the WAN's IPv4 routes must live in that table too (netifd: option ip4table)\n",
        ]);
    }
}

/// Sends one request and reads its acknowledgement. Idempotent: adding a rule that exists
/// and deleting what is not there are success; a rule delete is sent again until none is
/// left ([`request::sends`], [`request::answered`]).
fn apply(kernel: &mut Kernel, request: &mut Request<'_>) -> Result<(), Errno> {
    if !request.dev.is_empty() {
        request.set_oif(kernel.index_of(request.dev)?);
    }
    for _ in 0..request::sends(request.object, request.delete) {
        match request::answered(request.delete, kernel.execute(request)) {
            Answered::Done => {}
            Answered::NothingLeft => break,
            Answered::Refused(errno) => return Err(errno),
        }
    }
    Ok(())
}

/// Whether the kernel holds what `request` describes (for an add) or not (for a delete);
/// says what is missing or different.
fn check(
    kernel: &mut Kernel,
    request: &mut Request<'_>,
    place: Option<Place<'_>>,
    words: &[&[u8]],
) -> Result<bool, Errno> {
    // Without its device the route cannot be there: index 0 matches no route.
    if !request.dev.is_empty() {
        request.set_oif(kernel.index_of(request.dev).unwrap_or(0));
    }
    let (object, wanted) = (request.object, request.fields());
    let dump = if object == Object::Rule {
        RTM_GETRULE
    } else {
        RTM_GETROUTE
    };
    let mut closest = Found::Unrelated;
    kernel.dump(dump, request.family.af(), &mut |kind, payload| {
        if let (RTM_NEWRULE | RTM_NEWROUTE, Ok(found)) = (kind, Fields::parse(payload)) {
            let found = request::compare(object, request.delete, &wanted, &found);
            closest = request::closest(closest, found);
        }
    })?;
    let verdict = request::verdict(request.delete, closest);
    if let Some(said) = verdict {
        let mut line = Line::new();
        line.text(b"routes: ");
        line.place(place);
        line.text(said);
        if let (false, Found::Different(differences)) = (request.delete, closest) {
            // What the kernel holds at that place has other values for these words.
            let mut separator: &[u8] = b" (";
            for (bit, word) in request::DIFFERENCES.iter().enumerate() {
                if differences & 1 << bit != 0 {
                    line.text(separator);
                    line.text(word);
                    separator = b", ";
                }
            }
            line.text(b")");
        }
        line.text(b": ");
        line.describe(request, words);
        line.text(b"\n");
        line.say();
    }
    Ok(verdict.is_none())
}

/// Says why the kernel refused `request`, with the kernel's own `text` if it gave one.
fn refused(
    place: Option<Place<'_>>,
    request: &Request<'_>,
    words: &[&[u8]],
    errno: Errno,
    text: &[u8],
) {
    let mut line = Line::new();
    line.text(b"routes: ");
    line.place(place);
    line.describe(request, words);
    line.text(b": ");
    let is_rule = request.object == Object::Rule;
    if errno == Errno::ENODEV && !request.dev.is_empty() {
        line.text(b"dev ");
        line.text(request.dev);
        line.text(b": ");
    }
    if errno == Errno::EAFNOSUPPORT && is_rule && request.family == Family::V6 {
        line.text(b"table ");
        line.number(request.fields().table());
        line.text(b": ");
    }
    line.text(errno_words(errno, is_rule));
    if !text.is_empty() {
        line.text(b" (kernel: ");
        line.text(text);
        line.text(b")");
    }
    line.text(b"\n");
    line.say();
}

/// An errno in words, for the errors the kernel gives rule and route requests.
fn errno_words(errno: Errno, rule: bool) -> &'static [u8] {
    match errno {
        Errno::EPERM | Errno::EACCES => b"operation not permitted: needs CAP_NET_ADMIN",
        Errno::ENODEV => b"no such device",
        Errno::EEXIST => b"exists already",
        Errno::ENOENT => b"no such rule",
        Errno::ESRCH => b"no such route",
        Errno::EINVAL => b"invalid argument",
        Errno::ENETUNREACH => b"network unreachable: the gateway is not on a link of the device",
        Errno::ENETDOWN => b"network is down",
        Errno::EHOSTUNREACH => b"host unreachable",
        Errno::EAFNOSUPPORT if rule => b"IPv6 multiple tables not supported by the kernel",
        Errno::EAFNOSUPPORT => b"address family not supported by the kernel",
        Errno::EOPNOTSUPP => b"operation not supported",
        Errno::ENOMEM | Errno::ENOBUFS => b"out of memory",
        Errno::EMSGSIZE => b"request too large",
        Errno::EIO => b"an answer from the kernel that makes no sense",
        _ => b"error from the kernel",
    }
}

/// Says what is wrong with a command; the exit status of a usage error.
fn syntax_error(place: Option<Place<'_>>, err: SyntaxError<'_>) -> u8 {
    let mut line = Line::new();
    line.text(b"routes: ");
    line.place(place);
    line.text(err.mistake.message().as_bytes());
    if !err.word.is_empty() {
        line.text(b": '");
        line.text(err.word);
        line.text(b"'");
    }
    line.text(b"\n");
    line.say();
    USAGE_ERROR
}

/// Says that the batch could not be opened or read; the exit status of a usage error.
fn file_error(what: &[u8], name: &[u8], errno: Errno) -> u8 {
    say(&[
        b"routes: cannot ",
        what,
        b" ",
        name,
        b": ",
        match errno {
            Errno::ENOENT => b"no such file",
            Errno::EACCES | Errno::EPERM => b"permission denied",
            Errno::EISDIR => b"is a directory",
            _ => b"error",
        },
        b"\n",
    ]);
    USAGE_ERROR
}

fn say(parts: &[&[u8]]) {
    for part in parts {
        // Nothing is left to do if standard error is gone.
        let _ = write_all(Fd::STDERR, part);
    }
}

/// What routes adds to a message line: where a batch line stands, what a request is.
trait Describe {
    fn place(&mut self, place: Option<Place<'_>>);
    fn describe(&mut self, request: &Request<'_>, words: &[&[u8]]);
    fn say(&self);
}

impl Describe for Line {
    /// `FILE:LINE: ` for a batch line.
    fn place(&mut self, place: Option<Place<'_>>) {
        if let Some(place) = place {
            self.text(place.file)
                .text(b":")
                .number(place.line)
                .text(b": ");
        }
    }

    /// The request in `ip`'s words, as the line gave them or the `gluon-wan` preset made
    /// them; then its family (one `gluon-wan` line makes requests for each).
    fn describe(&mut self, request: &Request<'_>, words: &[&[u8]]) {
        self.text(b"`");
        for (index, word) in words.iter().enumerate() {
            if index > 0 {
                self.text(b" ");
            }
            self.text(word);
        }
        self.text(if request.family == Family::V6 {
            b"` (IPv6)"
        } else {
            b"` (IPv4)"
        });
    }

    fn say(&self) {
        self.write_to(Fd::STDERR);
    }
}
