//! IP addresses and prefixes as `ip` and resolv.conf write them: pure functions over the
//! text's bytes, for every tool of the project.

use crate::text::{has_byte, parse_decimal};

/// An address family, with the numbers the kernel uses for it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    /// `AF_INET` or `AF_INET6`.
    pub fn af(self) -> u8 {
        match self {
            Family::V4 => libc::AF_INET as u8,
            Family::V6 => libc::AF_INET6 as u8,
        }
    }

    /// Bytes of an address.
    pub fn address_len(self) -> usize {
        match self {
            Family::V4 => 4,
            Family::V6 => 16,
        }
    }

    /// Bits of an address.
    pub fn bits(self) -> u8 {
        self.address_len() as u8 * 8
    }
}

/// An IPv4 or IPv6 address, in network byte order (the first `family.len()` bytes).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Addr {
    pub family: Family,
    bytes: [u8; 16],
}

impl Addr {
    /// The address with these bytes (4 or 16 of them).
    pub fn from_octets(octets: &[u8]) -> Option<Addr> {
        let family = match octets.len() {
            4 => Family::V4,
            16 => Family::V6,
            _ => return None,
        };
        let mut bytes = [0; 16];
        bytes[..octets.len()].copy_from_slice(octets);
        Some(Addr { family, bytes })
    }

    /// The address `0.0.0.0` or `::`.
    pub const fn unspecified(family: Family) -> Addr {
        Addr {
            family,
            bytes: [0; 16],
        }
    }

    /// The address's bytes, as the kernel wants them.
    pub fn octets(&self) -> &[u8] {
        &self.bytes[..self.family.address_len()]
    }
}

/// An address and a prefix length: `192.0.2.0/24`, `2001:db8::/32`, `default`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Prefix {
    pub addr: Addr,
    pub len: u8,
}

/// `ADDR` or `ADDR/LEN`; without a length the prefix is a single address.
pub fn parse_prefix(text: &[u8]) -> Option<Prefix> {
    let (addr, len) = match text.iter().position(|&b| b == b'/') {
        Some(slash) => (&text[..slash], Some(&text[slash + 1..])),
        None => (text, None),
    };
    let addr = parse_addr(addr)?;
    let len = match len {
        Some(digits) => {
            parse_decimal(digits).filter(|&l| l <= u32::from(addr.family.bits()))? as u8
        }
        None => addr.family.bits(),
    };
    Some(Prefix { addr, len })
}

/// An IPv4 address in dotted-quad form or an IPv6 address in any of RFC 4291's forms
/// (`::` once, a dotted IPv4 tail). No scope (`%dev`), no brackets.
pub fn parse_addr(text: &[u8]) -> Option<Addr> {
    if has_byte(text, b':') {
        parse_v6(text)
    } else {
        parse_v4(text).map(|octets| Addr::from_octets(&octets).expect("four bytes"))
    }
}

fn parse_v4(text: &[u8]) -> Option<[u8; 4]> {
    let mut octets = [0u8; 4];
    let mut parts = text.split(|&b| b == b'.');
    for octet in &mut octets {
        let part = parts.next()?;
        // Decimal only, and no leading zeros: "010" is octal to inet_aton, a trap.
        if part.len() > 3 || (part.len() > 1 && part[0] == b'0') {
            return None;
        }
        *octet = u8::try_from(parse_decimal(part)?).ok()?;
    }
    parts.next().is_none().then_some(octets)
}

fn parse_v6(text: &[u8]) -> Option<Addr> {
    // The groups before and after `::`, as 16-bit values, and where `::` stood.
    let mut groups = [0u16; 8];
    let mut count = 0;
    let mut gap = None;
    let mut rest = text;
    if let Some(after) = rest.strip_prefix(b"::") {
        gap = Some(0);
        rest = after;
    }
    while !rest.is_empty() {
        let end = rest.iter().position(|&b| b == b':').unwrap_or(rest.len());
        let part = &rest[..end];
        if has_byte(part, b'.') {
            // A dotted IPv4 tail fills the last two groups; nothing may follow it.
            if end != rest.len() || count > 6 {
                return None;
            }
            let [a, b, c, d] = parse_v4(part)?;
            groups[count] = u16::from_be_bytes([a, b]);
            groups[count + 1] = u16::from_be_bytes([c, d]);
            count += 2;
            break;
        }
        if part.is_empty() || part.len() > 4 || count == 8 {
            return None;
        }
        let mut value = 0u16;
        for &byte in part {
            value = value << 4 | u16::from(hex_digit(byte)?);
        }
        groups[count] = value;
        count += 1;
        rest = &rest[end..];
        if let Some(after) = rest.strip_prefix(b"::") {
            if gap.is_some() {
                return None;
            }
            gap = Some(count);
            rest = after;
        } else if let Some(after) = rest.strip_prefix(b":") {
            if after.is_empty() {
                return None;
            }
            rest = after;
        }
    }
    let mut full = [0u16; 8];
    match gap {
        None if count == 8 => full = groups,
        Some(at) if count < 8 => {
            full[..at].copy_from_slice(&groups[..at]);
            let tail = count - at;
            full[8 - tail..].copy_from_slice(&groups[at..count]);
        }
        _ => return None,
    }
    let mut bytes = [0u8; 16];
    for (pair, group) in bytes.chunks_exact_mut(2).zip(full) {
        pair.copy_from_slice(&group.to_be_bytes());
    }
    Addr::from_octets(&bytes)
}

fn hex_digit(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Writes an address as `ip` shows it: dotted quad, or IPv6 groups with the longest run of
/// two or more zero groups as `::`.
pub fn write(addr: &Addr, line: &mut crate::io::Line) {
    let octets = addr.octets();
    if addr.family == Family::V4 {
        for (index, &octet) in octets.iter().enumerate() {
            if index > 0 {
                line.text(b".");
            }
            line.number(u32::from(octet));
        }
        return;
    }
    let groups: [u16; 8] =
        core::array::from_fn(|i| u16::from_be_bytes([octets[2 * i], octets[2 * i + 1]]));
    // The longest run of zero groups: (start, length).
    let (mut best, mut run) = ((8, 0), (0, 0));
    for (index, &group) in groups.iter().enumerate() {
        if group == 0 {
            if run.1 == 0 {
                run.0 = index;
            }
            run.1 += 1;
            if run.1 > best.1 {
                best = run;
            }
        } else {
            run.1 = 0;
        }
    }
    if best.1 < 2 {
        best = (8, 0);
    }
    let mut index = 0;
    while index < 8 {
        if index == best.0 {
            line.text(b"::");
            index += best.1;
            continue;
        }
        if index > 0 && index != best.0 + best.1 {
            line.text(b":");
        }
        let group = groups[index];
        let mut digits = [0u8; 4];
        let mut len = 0;
        for shift in [12, 8, 4, 0] {
            let digit = (group >> shift & 0xf) as u8;
            if len > 0 || digit != 0 || shift == 0 {
                digits[len] = b"0123456789abcdef"[usize::from(digit)];
                len += 1;
            }
        }
        line.text(&digits[..len]);
        index += 1;
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    fn v6(text: &str) -> Option<[u8; 16]> {
        parse_addr(text.as_bytes()).map(|a| a.octets().try_into().unwrap())
    }

    #[test]
    fn ipv4_dotted_quads() {
        assert_eq!(parse_addr(b"192.0.2.1").unwrap().octets(), [192, 0, 2, 1]);
        assert_eq!(parse_addr(b"0.0.0.0").unwrap().octets(), [0, 0, 0, 0]);
        for bad in [
            "192.0.2",
            "192.0.2.1.5",
            "256.0.0.1",
            "1.2.3.",
            "01.2.3.4",
            "1.2.3.x",
            "",
        ] {
            assert_eq!(parse_addr(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn ipv6_in_every_form() {
        let doc = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        assert_eq!(v6("2001:db8::1"), Some(doc));
        assert_eq!(v6("2001:DB8:0:0:0:0:0:1"), Some(doc));
        assert_eq!(v6("::"), Some([0; 16]));
        let mut one = [0; 16];
        one[15] = 1;
        assert_eq!(v6("::1"), Some(one));
        let mut link_local = [0; 16];
        link_local[..2].copy_from_slice(&[0xfe, 0x80]);
        assert_eq!(v6("fe80::"), Some(link_local));
        let mut mapped = [0; 16];
        mapped[10..].copy_from_slice(&[0xff, 0xff, 192, 0, 2, 1]);
        assert_eq!(v6("::ffff:192.0.2.1"), Some(mapped));
        for bad in [
            ":::",
            "1::2::3",
            "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6:7",
            "12345::",
            "fe80:",
            ":1",
            "1:2:3:4:5:6:7:8::",
            "::g",
            "1.2.3.4::",
            "::1.2.3.4:5",
        ] {
            assert_eq!(v6(bad), None, "{bad}");
        }
        assert_eq!(
            v6("1:2:3:4:5:6:7::"),
            Some([0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0])
        );
    }

    #[test]
    fn prefixes_with_and_without_a_length() {
        let p = parse_prefix(b"10.0.0.0/8").unwrap();
        assert_eq!((p.addr.octets(), p.len), (&[10, 0, 0, 0][..], 8));
        assert_eq!(parse_prefix(b"198.51.100.7").unwrap().len, 32);
        assert_eq!(parse_prefix(b"2001:db8::/32").unwrap().len, 32);
        assert_eq!(parse_prefix(b"::1").unwrap().len, 128);
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/",
            "10.0.0.0/x",
            "/8",
            "10/8",
        ] {
            assert_eq!(parse_prefix(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn addresses_are_written_as_ip_writes_them() {
        for text in [
            "192.0.2.1",
            "0.0.0.0",
            "::1",
            "::",
            "fe80::1",
            "2001:db8::53",
            "2001:db8:0:1:1:1:1:1",
            "1:0:0:2::3",
            "1::2:0:0:3",
            "fe80::abcd:12",
        ] {
            let mut line = crate::io::Line::new();
            write(&parse_addr(text.as_bytes()).unwrap(), &mut line);
            assert_eq!(line.as_bytes(), text.as_bytes(), "{text}");
        }
    }
}
