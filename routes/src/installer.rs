//! The installer: its command line, batches, and what it says. The syntax, the wire format
//! and the comparisons are the pure modules of the library (`routes::…`); the socket is
//! `kernel.rs`. Built with the `installer` feature; until it fits its byte budget the
//! shipped `routes` is the frame in `main.rs` (see routes/README.md).

mod kernel;

use core::ffi::CStr;
use kernel::{Kernel, Refusal};
use routes::addr::Family;
use routes::batch;
use routes::command::{
    self, Command, GluonAction, GluonWan, MAX_WORDS, Request, SyntaxError, Verb,
};
use routes::netlink::{
    self, REQUEST_CAPACITY, RTM_GETROUTE, RTM_GETRULE, RTM_NEWROUTE, RTM_NEWRULE, RTN_UNREACHABLE,
    RouteMessage, RuleMessage,
};
use routes::request::{self, Found};
use sys::io::{Fd, write_all};
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

/// The longest batch line, and the most a batch on standard input may hold (a file is read
/// twice instead, so it may be of any length).
const LINE_CAPACITY: usize = 4096;
const STDIN_CAPACITY: usize = 64 * 1024;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Apply,
    Check,
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
            return batch_run(path, family, mode);
        }
        None => {
            CLI.usage_error(&[b"a command is missing"]);
            return USAGE_ERROR;
        }
        Some(_) => {}
    }
    let mut words = [&b""[..]; MAX_WORDS];
    let mut count = 0;
    for (slot, i) in words.iter_mut().zip(index..args.len()) {
        *slot = args.get(i).unwrap_or_default();
        count += 1;
    }
    if index + count < args.len() {
        CLI.usage_error(&[b"too many words"]);
        return USAGE_ERROR;
    }
    let command = match command::parse(&words[..count], family) {
        Ok(command) => command,
        Err(err) => {
            syntax_error(None, err);
            return USAGE_ERROR;
        }
    };
    let mut kernel = match open_kernel() {
        Ok(kernel) => kernel,
        Err(status) => return status,
    };
    match execute(&mut kernel, &command, mode, None) {
        Ok(in_sync) => status_of(in_sync),
        Err(()) => REFUSED,
    }
}

fn status_of(in_sync: bool) -> u8 {
    if in_sync { IN_SYNC } else { DIFFERENT }
}

fn open_kernel() -> Result<Kernel, u8> {
    Kernel::open().map_err(|errno| {
        say(&[
            b"routes: cannot open a route netlink socket: ",
            errno_words(errno, false),
        ]);
        REFUSED
    })
}

/// Where a command came from, for messages: a batch file's name and the line.
#[derive(Clone, Copy)]
struct Place<'a> {
    file: &'a [u8],
    line: u32,
    text: &'a [u8],
}

/// Carries out (or checks) one command. `Ok(in_sync)`: done, and for a check whether
/// everything was as asked; `Err(())`: the kernel refused, and it has been said.
fn execute(
    kernel: &mut Kernel,
    command: &Command<'_>,
    mode: Mode,
    place: Option<Place<'_>>,
) -> Result<bool, ()> {
    match command {
        Command::Request(request) => {
            let want_present = !matches!(
                request,
                Request::Rule(Verb::Delete, _) | Request::Route(Verb::Delete, _)
            );
            match mode {
                Mode::Apply => match apply(kernel, request) {
                    Ok(()) => Ok(true),
                    Err(refusal) => {
                        refused(place, request, refusal, kernel.refusal_text());
                        Err(())
                    }
                },
                Mode::Check => check(kernel, request, want_present, place),
            }
        }
        Command::GluonWan(wan) => gluon_wan(kernel, wan, mode, place),
    }
}

/// Gluon's policy, family by family.
fn gluon_wan(
    kernel: &mut Kernel,
    wan: &GluonWan,
    mode: Mode,
    place: Option<Place<'_>>,
) -> Result<bool, ()> {
    let checking = mode == Mode::Check || wan.action == GluonAction::Check;
    let want_present = wan.action != GluonAction::Down;
    let mut in_sync = true;
    for family in wan.families() {
        for request in wan.requests(family) {
            if checking {
                in_sync &= check(kernel, &request, want_present, place)?;
            } else if let Err(refusal) = apply(kernel, &request) {
                refused(place, &request, refusal, kernel.refusal_text());
                return Err(());
            }
        }
        if family == Family::V4 && wan.action == GluonAction::Up && !checking {
            warn_if_table_is_empty(kernel, wan.table);
        }
    }
    Ok(in_sync)
}

/// Marked IPv4 traffic only reaches the WAN if the WAN's IPv4 routes live in the table
/// too (netifd's `ip4table`); with the fallback alone it is refused.
fn warn_if_table_is_empty(kernel: &mut Kernel, table: u32) {
    let mut others = 0u32;
    let dumped = kernel.dump(RTM_GETROUTE, Family::V4.af(), &mut |kind, payload| {
        if kind != RTM_NEWROUTE {
            return;
        }
        if let Ok(route) = RouteMessage::parse(payload) {
            let fallback = route.kind == RTN_UNREACHABLE && route.dst_len == 0;
            if route.table == table && !fallback {
                others += 1;
            }
        }
    });
    if dumped.is_ok() && others == 0 {
        let mut line = Line::new();
        line.text(b"routes: warning: table ");
        line.number(table);
        line.text(
            b" holds no IPv4 route but the fallback, so marked IPv4 traffic is refused: \
              the WAN's IPv4 routes must live in that table too (netifd: option ip4table)\n",
        );
        line.say();
    }
}

/// How many identical rules one delete may have to remove: the kernel removes one a request.
const MAX_DUPLICATE_RULES: u32 = 64;

/// Sends one request and reads its acknowledgement. Idempotent: adding a rule that exists
/// (`EEXIST`) and deleting what is not there (`ENOENT`, `ESRCH`) are success.
fn apply(kernel: &mut Kernel, request: &Request<'_>) -> Result<(), Refusal> {
    let mut space = [0u8; REQUEST_CAPACITY];
    match request {
        Request::Rule(verb, rule) => {
            let (kind, flags) = request::rule_header(*verb);
            let message = request::rule_message(*verb, rule);
            for _ in 0..MAX_DUPLICATE_RULES {
                let seq = kernel.next_seq();
                let mut bytes = netlink::Request::new(&mut space, kind, flags, seq);
                message.emit(&mut bytes);
                let bytes = bytes.finish().ok_or(Refusal::from(Errno::EMSGSIZE))?;
                match kernel.execute(bytes, seq) {
                    // A delete removes one of possibly several identical rules: again.
                    Ok(()) if *verb == Verb::Delete => {}
                    Ok(()) => return Ok(()),
                    Err(r) if r.errno == Errno::EEXIST && *verb != Verb::Delete => return Ok(()),
                    Err(r) if r.errno == Errno::ENOENT && *verb == Verb::Delete => return Ok(()),
                    Err(refusal) => return Err(refusal),
                }
            }
            Ok(())
        }
        Request::Route(verb, route) => {
            let oif = match route.dev {
                Some(dev) => Some(kernel.index_of(dev)?),
                None => None,
            };
            let (kind, flags) = request::route_header(*verb);
            let seq = kernel.next_seq();
            let mut bytes = netlink::Request::new(&mut space, kind, flags, seq);
            request::route_message(*verb, route, oif).emit(&mut bytes);
            let bytes = bytes.finish().ok_or(Refusal::from(Errno::EMSGSIZE))?;
            match kernel.execute(bytes, seq) {
                Err(r) if r.errno == Errno::ESRCH && *verb == Verb::Delete => Ok(()),
                other => other,
            }
        }
    }
}

/// Whether the kernel holds what `request` describes (`want_present`) or not; says what is
/// missing or different. A missing device means its route cannot be there.
fn check(
    kernel: &mut Kernel,
    request: &Request<'_>,
    want_present: bool,
    place: Option<Place<'_>>,
) -> Result<bool, ()> {
    let mut best = Found::Unrelated;
    let mut note = |found: Found| {
        if found == Found::Same || (found == Found::Different && best == Found::Unrelated) {
            best = found;
        }
    };
    let dumped = match request {
        Request::Rule(_, rule) => {
            let wanted = request::rule_message(Verb::Add, rule);
            kernel.dump(RTM_GETRULE, rule.family.af(), &mut |kind, payload| {
                if let (RTM_NEWRULE, Ok(found)) = (kind, RuleMessage::parse(payload)) {
                    note(request::compare_rule(&wanted, &found));
                }
            })
        }
        Request::Route(_, route) => {
            // Without its device the route cannot be there: index 0 matches no route.
            let oif = route.dev.map(|dev| kernel.index_of(dev).unwrap_or(0));
            let wanted = request::route_message(Verb::Add, route, oif);
            kernel.dump(RTM_GETROUTE, route.family.af(), &mut |kind, payload| {
                if let (RTM_NEWROUTE, Ok(found)) = (kind, RouteMessage::parse(payload)) {
                    note(request::compare_route(&wanted, &found));
                }
            })
        }
    };
    if let Err(refusal) = dumped {
        refused(place, request, refusal, kernel.refusal_text());
        return Err(());
    }
    let verdict: Option<&[u8]> = match (want_present, best) {
        (true, Found::Same) | (false, Found::Unrelated | Found::Different) => None,
        (true, Found::Unrelated) => Some(b"missing"),
        (true, Found::Different) => Some(b"different"),
        (false, Found::Same) => Some(b"present, to be deleted"),
    };
    if let Some(verdict) = verdict {
        let mut line = Line::new();
        line.text(b"routes: ");
        line.place(place);
        line.text(verdict);
        line.text(b": ");
        line.describe(request, place);
        line.text(b"\n");
        line.say();
    }
    Ok(verdict.is_none())
}

/// Says why the kernel refused `request`, with the kernel's own `text` if it gave one.
fn refused(place: Option<Place<'_>>, request: &Request<'_>, refusal: Refusal, text: &[u8]) {
    let mut line = Line::new();
    line.text(b"routes: ");
    line.place(place);
    line.describe(request, place);
    line.text(b": ");
    let is_rule = matches!(request, Request::Rule(..));
    match (request, refusal.errno) {
        (Request::Route(_, route), Errno::ENODEV) if route.dev.is_some() => {
            line.text(b"dev ");
            line.text(route.dev.unwrap_or_default());
            line.text(b": ");
        }
        (Request::Rule(_, rule), Errno::EAFNOSUPPORT) if rule.family == Family::V6 => {
            line.text(b"table ");
            line.number(rule.table.unwrap_or(0));
            line.text(b": ");
        }
        _ => {}
    }
    line.text(errno_words(refusal.errno, is_rule));
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

fn syntax_error(place: Option<Place<'_>>, err: SyntaxError<'_>) {
    let mut line = Line::new();
    line.text(b"routes: ");
    line.place(place);
    line.text(err.message.as_bytes());
    if !err.word.is_empty() {
        line.text(b": '");
        line.text(err.word);
        line.text(b"'");
    }
    line.text(b"\n");
    line.say();
}

/// A batch, read twice: once to check every line's syntax (a mistake anywhere changes
/// nothing), once to carry the lines out in order. Standard input (`-`) is read once into a
/// bounded buffer.
fn batch_run(path: &CStr, family: Option<Family>, mode: Mode) -> u8 {
    if path.to_bytes() == b"-" {
        let mut buffer = [0u8; STDIN_CAPACITY];
        let len = match read_all(Fd::STDIN, &mut buffer) {
            Ok(len) => len,
            Err(errno) => {
                say(&[
                    b"routes: cannot read standard input: ",
                    errno_words(errno, false),
                    b"\n",
                ]);
                return USAGE_ERROR;
            }
        };
        if len == buffer.len() {
            say(&[b"routes: a batch on standard input may hold at most 65536 bytes; give it as a file (-b FILE), which may be of any length\n"]);
            return USAGE_ERROR;
        }
        let text = &buffer[..len];
        let source = Source::Bytes(text);
        return run_lines(&source, b"-", family, mode);
    }
    run_lines(&Source::File(path), path.to_bytes(), family, mode)
}

/// Reads until end of file or until `buffer` is full.
fn read_all(fd: Fd, buffer: &mut [u8]) -> Result<usize, Errno> {
    let mut len = 0;
    while len < buffer.len() {
        match io::read(fd, &mut buffer[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(Errno::EINTR) => {}
            Err(errno) => return Err(errno),
        }
    }
    Ok(len)
}

enum Source<'a> {
    File(&'a CStr),
    Bytes(&'a [u8]),
}

fn run_lines(source: &Source<'_>, name: &[u8], family: Option<Family>, mode: Mode) -> u8 {
    // Pass 1: syntax only.
    let first = for_each_line(source, name, &mut |place| {
        let mut words = [&b""[..]; MAX_WORDS];
        match parse_line(place.text, &mut words, family) {
            Ok(_) => Ok(()),
            Err(err) => {
                syntax_error(Some(place), err);
                Err(USAGE_ERROR)
            }
        }
    });
    if let Err(status) = first {
        return status;
    }
    // Pass 2: every line, in order.
    let mut kernel = match open_kernel() {
        Ok(kernel) => kernel,
        Err(status) => return status,
    };
    let mut in_sync = true;
    let mut done = 0u32;
    let second = for_each_line(source, name, &mut |place| {
        let mut words = [&b""[..]; MAX_WORDS];
        let Ok(command) = parse_line(place.text, &mut words, family) else {
            say(&[b"routes: ", name, b" changed while it was read: stopped\n"]);
            return Err(USAGE_ERROR);
        };
        match execute(&mut kernel, &command, mode, Some(place)) {
            Ok(synced) => {
                in_sync &= synced;
                done += 1;
                Ok(())
            }
            Err(()) => {
                let mut line = Line::new();
                line.text(b"routes: ");
                line.number(done);
                line.text(b" command(s) before line ");
                line.number(place.line);
                line.text(b" were applied, none after it; every line is idempotent, so the corrected batch can simply run again\n");
                line.say();
                Err(REFUSED)
            }
        }
    });
    match second {
        Err(status) => status,
        Ok(()) => status_of(in_sync),
    }
}

/// One batch line's command.
fn parse_line<'a>(
    text: &'a [u8],
    words: &mut [&'a [u8]; MAX_WORDS],
    family: Option<Family>,
) -> Result<Command<'a>, SyntaxError<'a>> {
    match batch::split(text, words) {
        Some(count) => command::parse(&words[..count], family),
        None => Err(SyntaxError {
            message: "too many words on one line",
            word: b"",
        }),
    }
}

/// Calls `visit` with every line that holds a command. A file is read in pieces through a
/// fixed buffer; a line longer than that buffer, or a file that cannot be read, ends it.
/// `Err(status)`: the walk stopped early, what went wrong has been said, exit with `status`.
fn for_each_line(
    source: &Source<'_>,
    name: &[u8],
    visit: &mut dyn FnMut(Place<'_>) -> Result<(), u8>,
) -> Result<(), u8> {
    let mut number = 0u32;
    let mut each = |text: &[u8]| -> Result<(), u8> {
        number += 1;
        if batch::has_command(text) {
            visit(Place {
                file: name,
                line: number,
                text,
            })?;
        }
        Ok(())
    };
    let path = match source {
        Source::Bytes(bytes) => {
            for text in bytes.split(|&b| b == b'\n') {
                each(text)?;
            }
            return Ok(());
        }
        Source::File(path) => path,
    };
    let file =
        fs::open(path, libc::O_RDONLY, 0).map_err(|errno| file_error(b"open", name, errno))?;
    let mut buffer = [0u8; LINE_CAPACITY];
    let mut kept = 0;
    loop {
        let read = loop {
            match io::read(file.fd(), &mut buffer[kept..]) {
                Err(Errno::EINTR) => {}
                other => break other,
            }
        };
        let read = read.map_err(|errno| file_error(b"read", name, errno))?;
        let filled = kept + read;
        if read == 0 {
            if kept > 0 {
                each(&buffer[..kept])?;
            }
            return Ok(());
        }
        let (lines, rest) = batch::complete_lines(&buffer[..filled]);
        for text in lines {
            each(text)?;
        }
        let rest_len = rest.len();
        if rest_len == buffer.len() {
            let mut line = Line::new();
            line.text(b"routes: ");
            line.text(name);
            line.text(b": line ");
            line.number(number + 1);
            line.text(b" is longer than 4095 bytes\n");
            line.say();
            return Err(USAGE_ERROR);
        }
        buffer.copy_within(filled - rest_len..filled, 0);
        kept = rest_len;
    }
}

/// Says that the batch file could not be opened or read; a usage error.
fn file_error(what: &[u8], name: &[u8], errno: Errno) -> u8 {
    say(&[
        b"routes: cannot ",
        what,
        b" ",
        name,
        b": ",
        file_words(errno),
        b"\n",
    ]);
    USAGE_ERROR
}

fn file_words(errno: Errno) -> &'static [u8] {
    match errno {
        Errno::ENOENT => b"no such file",
        Errno::EACCES | Errno::EPERM => b"permission denied",
        Errno::EISDIR => b"is a directory",
        _ => b"error",
    }
}

fn say(parts: &[&[u8]]) {
    for part in parts {
        // Nothing is left to do if standard error is gone.
        let _ = write_all(Fd::STDERR, part);
    }
}

/// One message line, put together in a fixed buffer and written at once; what does not fit
/// is cut.
struct Line {
    buffer: [u8; 512],
    len: usize,
}

impl Line {
    fn new() -> Line {
        Line {
            buffer: [0; 512],
            len: 0,
        }
    }

    fn text(&mut self, text: &[u8]) {
        for &byte in text {
            if let Some(slot) = self.buffer.get_mut(self.len) {
                *slot = byte;
                self.len += 1;
            }
        }
    }

    fn number(&mut self, mut value: u32) {
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
        self.text(&digits[at..]);
    }

    /// `FILE:LINE: ` for a batch line.
    fn place(&mut self, place: Option<Place<'_>>) {
        if let Some(place) = place {
            self.text(place.file);
            self.text(b":");
            self.number(place.line);
            self.text(b": ");
        }
    }

    /// The command in words: the batch line as written, else what the request is; then its
    /// family (one `gluon-wan` line makes requests for each).
    fn describe(&mut self, request: &Request<'_>, place: Option<Place<'_>>) {
        let (what, family): (&[u8], Family) = match request {
            Request::Rule(_, rule) => (b"the rule", rule.family),
            Request::Route(_, route) => (b"the route", route.family),
        };
        self.text(b"`");
        self.text(place.map_or(what, |place| trim(place.text)));
        self.text(if family == Family::V6 {
            b"` (IPv6)"
        } else {
            b"` (IPv4)"
        });
    }

    fn say(&self) {
        let _ = write_all(Fd::STDERR, &self.buffer[..self.len]);
    }
}

fn trim(text: &[u8]) -> &[u8] {
    let start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(text.len());
    let end = text
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &text[start..end]
}
