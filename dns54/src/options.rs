//! The command line, dnsmasq-like: `--option VALUE` and `--option=VALUE` both work. Pure:
//! paths stay bytes here; the program makes C strings of them.

use crate::forward::{Config, Millis};
use crate::resolv::{Servers, parse_server};
use sys::addr::{Addr, Family, parse_addr};
use sys::text::{has_byte, parse_u32};

/// The most addresses to listen on.
pub const MAX_LISTEN: usize = 4;
/// The port Gluon's second dnsmasq answers on.
pub const DEFAULT_PORT: u16 = 54;
/// The forward table's size, fixed when the program is built; `--forward-max` may lower it.
pub const FORWARD_CAPACITY: usize = 150;
/// The longest path the program takes (a resolv file, a pid file).
pub const MAX_PATH: usize = 255;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Options<'a> {
    listen: [Option<Addr>; MAX_LISTEN],
    pub port: u16,
    pub resolv_file: Option<&'a [u8]>,
    /// Static servers; when there are any, the resolv file is not read.
    pub servers: Servers,
    /// The mark for upstream sockets; 0: none.
    pub mark: u32,
    pub user: Option<&'a [u8]>,
    pub pid_file: Option<&'a [u8]>,
    pub forwarding: Config,
    pub verbose: bool,
}

impl Options<'_> {
    /// The addresses to listen on: those given, else 127.0.0.1 and ::1.
    pub fn listen(&self) -> impl Iterator<Item = &Addr> {
        self.listen.iter().flatten()
    }
}

/// What is wrong with the command line, and the word it is about.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct UsageError<'a> {
    pub message: &'static str,
    pub word: &'a [u8],
}

fn error<'a, T>(message: &'static str, word: &'a [u8]) -> Result<T, UsageError<'a>> {
    Err(UsageError { message, word })
}

/// Whether an address is a loopback one: 127.0.0.0/8 or ::1.
fn is_loopback(addr: &Addr) -> bool {
    match addr.family {
        Family::V4 => addr.octets()[0] == 127,
        Family::V6 => addr.octets() == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    }
}

/// Reads the arguments after the program name (`--help` and `--version` are answered
/// before).
pub fn parse<'a>(args: &[&'a [u8]]) -> Result<Options<'a>, UsageError<'a>> {
    let mut options = Options {
        listen: [None; MAX_LISTEN],
        port: DEFAULT_PORT,
        resolv_file: None,
        servers: Servers::default(),
        mark: 0,
        user: None,
        pid_file: None,
        forwarding: Config {
            forward_max: FORWARD_CAPACITY,
            ..Config::default()
        },
        verbose: false,
    };
    let mut listen = 0;
    let mut words = args.iter();
    while let Some(&word) = words.next() {
        let (name, inline) = match word.iter().position(|&b| b == b'=') {
            Some(equals) if word.starts_with(b"--") => (&word[..equals], Some(&word[equals + 1..])),
            _ => (word, None),
        };
        if name == b"--verbose" && inline.is_none() {
            options.verbose = true;
            continue;
        }
        // Looked up in a table and matched by position: a `match` on byte strings compiles
        // to a compare and a branch per character.
        const KNOWN: [&[u8]; 10] = [
            b"--listen",
            b"--port",
            b"--resolv-file",
            b"--server",
            b"--mark",
            b"--user",
            b"--pid-file",
            b"--timeout",
            b"--deadline",
            b"--forward-max",
        ];
        let Some(option) = KNOWN.iter().position(|known| *known == name) else {
            return error("unknown option", word);
        };
        let Some(value) = inline.or_else(|| words.next().copied()) else {
            return error("a value must follow", word);
        };
        let number = || parse_u32(value).filter(|&n| n > 0);
        match option {
            0 => {
                let Some(addr) = parse_addr(value) else {
                    return error("not an address", value);
                };
                if !is_loopback(&addr) {
                    return error(
                        "not a loopback address (127.0.0.0/8 or ::1): dns54 must never be an open resolver",
                        value,
                    );
                }
                if options.listen[..listen].contains(&Some(addr)) {
                    return error("given twice", value);
                }
                let Some(slot) = options.listen.get_mut(listen) else {
                    return error("too many addresses to listen on (at most 4)", value);
                };
                *slot = Some(addr);
                listen += 1;
            }
            1 => match number().filter(|&p| p <= 65535) {
                Some(port) => options.port = port as u16,
                None => return error("not a port", value),
            },
            2 => options.resolv_file = Some(path(value)?),
            3 => {
                let Some(server) = parse_server(value) else {
                    return error("not a server (ADDR, ADDR#PORT, fe80::1%IFACE)", value);
                };
                // A link-local address means nothing without the link it is on.
                let octets = server.addr.octets();
                if server.addr.family == Family::V6
                    && octets[0] == 0xfe
                    && octets[1] & 0xc0 == 0x80
                    && server.interface().is_empty()
                {
                    return error(
                        "a link-local server needs its interface (fe80::1%IFACE)",
                        value,
                    );
                }
                if !options.servers.push(server) {
                    return error("too many servers (at most 8)", value);
                }
            }
            4 => match parse_u32(value) {
                Some(mark) => options.mark = mark,
                None => return error("not a mark", value),
            },
            5 if !value.is_empty() && value.len() <= 32 => options.user = Some(value),
            5 => return error("not a user name", value),
            6 => options.pid_file = Some(path(value)?),
            7 | 8 => {
                let Some(ms) = number() else {
                    return error("not a number of milliseconds", value);
                };
                let ms = Millis::from(ms);
                if option == 7 {
                    options.forwarding.timeout = ms;
                } else {
                    options.forwarding.deadline = ms;
                }
            }
            _ => match number().filter(|&n| n as usize <= FORWARD_CAPACITY) {
                Some(max) => options.forwarding.forward_max = max as usize,
                None => return error("not a number from 1 to 150", value),
            },
        }
    }
    if options.forwarding.deadline < options.forwarding.timeout {
        return error(
            "--deadline is below --timeout: a query would be given up before its first try \
             timed out",
            b"",
        );
    }
    if listen == 0 {
        options.listen[0] = parse_addr(b"127.0.0.1");
        options.listen[1] = parse_addr(b"::1");
    }
    if options.resolv_file.is_none() && options.servers.is_empty() {
        return error(
            "an upstream is needed: --resolv-file PATH or --server ADDR (dns54 never falls back \
             to /etc/resolv.conf, which on a node points at the mesh)",
            b"",
        );
    }
    Ok(options)
}

fn path(value: &[u8]) -> Result<&[u8], UsageError<'_>> {
    if value.is_empty() || value.len() > MAX_PATH || has_byte(value, 0) {
        return error("not a path (at most 255 bytes)", value);
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    fn parse_line(line: &str) -> Result<Options<'_>, UsageError<'_>> {
        let words: Vec<&[u8]> = line.split_whitespace().map(str::as_bytes).collect();
        parse(&words)
    }

    fn message_of(line: &str) -> &'static str {
        parse_line(line).unwrap_err().message
    }

    #[test]
    fn gluon_s_command_line() {
        let options = parse_line(
            "--resolv-file /var/gluon/wan-dnsmasq/resolv.conf --mark 1 --user dnsmasq --pid-file /var/run/dns54.pid",
        )
        .unwrap();
        let listen: Vec<&[u8]> = options.listen().map(|a| a.octets()).collect();
        assert_eq!(
            listen,
            [
                &[127, 0, 0, 1][..],
                &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
            ]
        );
        assert_eq!(options.port, 54);
        assert_eq!(
            options.resolv_file,
            Some(&b"/var/gluon/wan-dnsmasq/resolv.conf"[..])
        );
        assert_eq!((options.mark, options.user), (1, Some(&b"dnsmasq"[..])));
        assert_eq!(options.forwarding, Config::default());
        assert!(!options.verbose);
    }

    #[test]
    fn repeats_unscoped_link_local_servers_and_a_short_deadline_are_refused() {
        assert_eq!(
            message_of("--server 127.0.0.2 --listen 127.0.0.1 --listen 127.0.0.1"),
            "given twice"
        );
        assert_eq!(
            message_of("--server fe80::1"),
            "a link-local server needs its interface (fe80::1%IFACE)"
        );
        assert!(parse_line("--server fe80::1%br-wan").is_ok());
        assert!(
            message_of("--server 127.0.0.2 --timeout 2000 --deadline 1000")
                .starts_with("--deadline is below --timeout")
        );
        assert!(parse_line("--server 127.0.0.2 --timeout 2000 --deadline 2000").is_ok());
    }

    #[test]
    fn both_forms_and_every_option() {
        let options = parse_line(
            "--listen=127.0.0.53 --port=5353 --server=192.0.2.1#5353 --server fe80::1%br-wan \
             --mark=0x10 --timeout=300 --deadline 2000 --forward-max=20 --verbose",
        )
        .unwrap();
        assert_eq!(options.listen().count(), 1);
        assert_eq!(options.port, 5353);
        assert_eq!(options.servers.len(), 2);
        assert_eq!(options.mark, 16);
        assert_eq!(options.forwarding.timeout, 300);
        assert_eq!(options.forwarding.deadline, 2000);
        assert_eq!(options.forwarding.forward_max, 20);
        assert!(options.verbose);
        assert_eq!(parse_line("--server 192.0.2.1 --mark 010").unwrap().mark, 8);
    }

    #[test]
    fn never_an_open_resolver_never_the_mesh_s_resolver() {
        for open in ["0.0.0.0", "192.0.2.1", "::", "fe80::1"] {
            let line = std::format!("--server 192.0.2.1 --listen {open}");
            assert!(
                message_of(&line).starts_with("not a loopback address"),
                "{open}"
            );
        }
        assert!(message_of("--listen 127.0.0.1").starts_with("an upstream is needed"));
        assert!(message_of("").starts_with("an upstream is needed"));
    }

    #[test]
    fn mistakes_name_the_word() {
        let err = parse_line("--server 192.0.2.1 --bogus").unwrap_err();
        assert_eq!((err.message, err.word), ("unknown option", &b"--bogus"[..]));
        assert_eq!(message_of("--server"), "a value must follow");
        assert_eq!(message_of("--server 192.0.2.1 --port 0"), "not a port");
        assert_eq!(message_of("--server 192.0.2.1 --port 65536"), "not a port");
        assert_eq!(message_of("--server 192.0.2.1 --mark x"), "not a mark");
        assert_eq!(
            message_of("--server 192.0.2.1 --timeout 0"),
            "not a number of milliseconds"
        );
        assert_eq!(
            message_of("--server 192.0.2.1 --forward-max 151"),
            "not a number from 1 to 150"
        );
        assert_eq!(
            message_of("--server example.org"),
            "not a server (ADDR, ADDR#PORT, fe80::1%IFACE)"
        );
        assert_eq!(
            message_of("--server 192.0.2.1 --verbose=1"),
            "unknown option"
        );
        let five = "--server 192.0.2.1 --listen 127.0.0.1 --listen 127.0.0.2 --listen 127.0.0.3 \
                    --listen 127.0.0.4 --listen 127.0.0.5";
        assert_eq!(
            message_of(five),
            "too many addresses to listen on (at most 4)"
        );
        let long = std::format!("--resolv-file /{}", "a".repeat(255));
        assert_eq!(message_of(&long), "not a path (at most 255 bytes)");
    }
}
