//! Where the upstream servers come from: the `nameserver` lines of a resolv file, as Gluon
//! writes it, and dnsmasq's `--server ADDR[#PORT]` syntax. Pure: the interface of a scoped
//! address stays a name here and is looked up whenever a socket to it is opened.

use sys::addr::{Addr, Family, parse_addr};
use sys::text::{has_byte, parse_u32};

/// The most upstream servers; further `nameserver` lines are reported and skipped.
pub const MAX_SERVERS: usize = 8;

/// The port of a resolv file's servers, which name none.
pub const DNS_PORT: u16 = 53;

/// IFNAMSIZ less the NUL.
const MAX_INTERFACE_NAME: usize = 15;

/// An upstream server: its address and port, and for a scoped IPv6 address (`fe80::1%br-wan`)
/// the interface it is reached through.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Server {
    pub addr: Addr,
    pub port: u16,
    interface: [u8; MAX_INTERFACE_NAME],
    interface_len: u8,
}

impl Server {
    /// The interface of a scoped address, empty if none.
    pub fn interface(&self) -> &[u8] {
        &self.interface[..usize::from(self.interface_len)]
    }
}

/// `ADDR[%INTERFACE][#PORT]`: an IPv4 or IPv6 address, for IPv6 optionally the interface it is
/// reached through, and a port (53 if none), as dnsmasq's `--server` takes them.
pub fn parse_server(text: &[u8]) -> Option<Server> {
    let (text, port) = match text.iter().position(|&b| b == b'#') {
        Some(hash) => {
            let port = parse_u32(&text[hash + 1..]).filter(|p| (1..=65535).contains(p))?;
            (&text[..hash], port as u16)
        }
        None => (text, DNS_PORT),
    };
    let (addr, interface) = match text.iter().position(|&b| b == b'%') {
        Some(percent) => (&text[..percent], Some(&text[percent + 1..])),
        None => (text, None),
    };
    let addr = parse_addr(addr)?;
    let interface = match interface {
        None => &b""[..],
        Some(name)
            if !name.is_empty()
                && name.len() <= MAX_INTERFACE_NAME
                && addr.family == Family::V6
                && !name
                    .iter()
                    .any(|&b| b == b'/' || b == 0 || b.is_ascii_whitespace()) =>
        {
            name
        }
        Some(_) => return None,
    };
    let mut server = Server {
        addr,
        port,
        interface: [0; MAX_INTERFACE_NAME],
        interface_len: interface.len() as u8,
    };
    server.interface[..interface.len()].copy_from_slice(interface);
    Some(server)
}

/// A fixed list of servers, in the order they were given.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Servers {
    list: [Server; MAX_SERVERS],
    len: usize,
}

/// What the unused places of a list hold.
const UNSET: Server = Server {
    addr: Addr::unspecified(Family::V4),
    port: 0,
    interface: [0; MAX_INTERFACE_NAME],
    interface_len: 0,
};

impl Default for Servers {
    fn default() -> Servers {
        Servers {
            list: [UNSET; MAX_SERVERS],
            len: 0,
        }
    }
}

impl Servers {
    /// Adds a server at the end; `false` if the list is full.
    pub fn push(&mut self, server: Server) -> bool {
        match self.list.get_mut(self.len) {
            Some(slot) => {
                *slot = server;
                self.len += 1;
                true
            }
            None => false,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Server `index`, if there is one.
    pub fn get(&self, index: usize) -> Option<&Server> {
        self.list[..self.len].get(index)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Server> {
        self.list[..self.len].iter()
    }
}

/// Why a `nameserver` line was not taken.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Skipped {
    /// No address, or not one (`nameserver 192.0.2.300`, an IPv4 address with a scope).
    NotAnAddress,
    /// There are [`MAX_SERVERS`] already.
    TooMany,
}

/// The bytes of a resolv file dns54 reads (`sys::fs::read_lines_to`: a longer file up to its
/// last whole line); Gluon's has a line for each of a few servers.
pub const RESOLV_CAPACITY: usize = 4096;

/// Reads a resolv file's servers: `nameserver ADDR` lines, ADDR an IPv4 or IPv6 address or an
/// IPv6 address with `%INTERFACE`, always port 53. Comments (`#`, `;`), blank lines and every
/// other keyword (`search`, `options`, …) are ignored; `skipped` hears of each `nameserver`
/// line that was not taken, with its number from 1.
pub fn parse_resolv(text: &[u8], skipped: &mut dyn FnMut(u32, Skipped)) -> Servers {
    let mut servers = Servers::default();
    for (number, line) in text.split(|&b| b == b'\n').enumerate() {
        let mut words = line
            .split(|b| b.is_ascii_whitespace())
            .filter(|w| !w.is_empty());
        if words.next() != Some(b"nameserver") {
            continue;
        }
        let number = number as u32 + 1;
        // A port is dnsmasq's syntax, not resolv.conf's.
        let server = words
            .next()
            .filter(|word| !has_byte(word, b'#'))
            .and_then(parse_server);
        match server {
            Some(server) if servers.push(server) => {}
            Some(_) => skipped(number, Skipped::TooMany),
            None => skipped(number, Skipped::NotAnAddress),
        }
    }
    servers
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    fn read(text: &str) -> (Vec<Server>, Vec<(u32, Skipped)>) {
        let mut skipped = Vec::new();
        let servers = parse_resolv(text.as_bytes(), &mut |line, why| skipped.push((line, why)));
        (servers.iter().copied().collect(), skipped)
    }

    #[test]
    fn gluon_writes_nameserver_lines() {
        let (servers, skipped) = read("nameserver 192.0.2.53\nnameserver 2001:db8::53\n");
        assert!(skipped.is_empty());
        assert_eq!(servers.len(), 2);
        assert_eq!(servers[0].addr.octets(), [192, 0, 2, 53]);
        assert_eq!(servers[0].port, 53);
        assert_eq!(servers[1].addr.family, Family::V6);
        assert_eq!(servers[1].interface(), b"");
    }

    #[test]
    fn scoped_link_local_addresses_keep_their_interface() {
        let (servers, _) = read("nameserver fe80::1%br-wan\n");
        assert_eq!(servers[0].interface(), b"br-wan");
        assert_eq!(servers[0].addr.octets()[..2], [0xfe, 0x80]);
    }

    #[test]
    fn comments_keywords_and_garbage() {
        let text = "# written by Gluon\n; old style\n\nsearch lan\noptions ndots:1\n\
                    nameserver\nnameserver 192.0.2.300\nnameserver 192.0.2.1%eth0\n\
                    nameserver 192.0.2.1#5353\n   nameserver\t192.0.2.2   # trailing\n\
                    nameserverx 192.0.2.3\n";
        let (servers, skipped) = read(text);
        assert_eq!(servers.len(), 1);
        assert_eq!(servers[0].addr.octets(), [192, 0, 2, 2]);
        assert_eq!(
            skipped,
            [
                (6, Skipped::NotAnAddress),
                (7, Skipped::NotAnAddress),
                (8, Skipped::NotAnAddress),
                (9, Skipped::NotAnAddress)
            ]
        );
    }

    #[test]
    fn at_most_eight_servers() {
        let text: std::string::String = (1..=10)
            .map(|i| std::format!("nameserver 192.0.2.{i}\n"))
            .collect();
        let (servers, skipped) = read(&text);
        assert_eq!(servers.len(), MAX_SERVERS);
        assert_eq!(skipped, [(9, Skipped::TooMany), (10, Skipped::TooMany)]);
        let (empty, skipped) = read("");
        assert!(empty.is_empty() && skipped.is_empty());
    }

    #[test]
    fn server_arguments_as_dnsmasq_takes_them() {
        let server = parse_server(b"fe80::1%br-wan#5353").unwrap();
        assert_eq!((server.port, server.interface()), (5353, &b"br-wan"[..]));
        assert_eq!(parse_server(b"127.0.0.2").unwrap().port, 53);
        assert_eq!(parse_server(b"127.0.0.2#54").unwrap().port, 54);
        for bad in [
            "127.0.0.2#0",
            "127.0.0.2#65536",
            "127.0.0.2#",
            "127.0.0.2%lo",
            "fe80::1%",
            "fe80::1%a-name-of-16-byt",
            "fe80::1%a/b",
            "example.org",
            "",
        ] {
            assert_eq!(parse_server(bad.as_bytes()), None, "{bad}");
        }
    }
}
