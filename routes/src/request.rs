//! One request to the kernel, as the command parser writes it, and how a rule or route the
//! kernel reports compares with it. Pure: the interface index of a route's device is looked
//! up by the caller and filled in with [`Request::set_oif`].
//!
//! The parser writes each attribute as it reads the word that asks for it, and fills in the
//! body's fields when the line is complete, as `ip` (iproute2 6.1) does, so that the same
//! command line makes the same message body: routes are `RTPROT_BOOT` unless a protocol is
//! named, an IPv4 unicast route without a gateway has link scope, a delete leaves protocol
//! and type open, and so on. Where `routes` differs it is on purpose and in the header's
//! flags only: an `add` of a route is create-or-replace, so that running it twice is no
//! error.

use crate::netlink::{
    self, BODY_LEN, FIB_RULE_INVERT, FRA_FWMARK, FRA_FWMASK, FRA_IIFNAME, FRA_OIFNAME, FRA_SRC,
    Fields, HEADER_LEN, NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_REQUEST, RTA_DST,
    RTA_GATEWAY, RTA_OIF, RTA_PRIORITY, RTM_DELROUTE, RTM_DELRULE, RTM_NEWROUTE, RTM_NEWRULE,
    align,
};
use sys::Errno;
use sys::addr::Family;

/// Room for the largest request: header, body, two 16-byte addresses, two interface names
/// and four 32-bit attributes, with alignment (140 bytes; the parser takes each word once).
pub const REQUEST_CAPACITY: usize = 160;

/// What a request is about.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Object {
    Rule,
    Route,
}

/// One rule or route message: header, body and attributes, built in place.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Request<'a> {
    pub object: Object,
    pub delete: bool,
    pub family: Family,
    /// A route's device (empty if none); its index goes into the `RTA_OIF` attribute.
    pub dev: &'a [u8],
    oif_at: usize,
    len: usize,
    bytes: [u8; REQUEST_CAPACITY],
}

impl<'a> Request<'a> {
    /// An empty request (header and a zero body) to add or delete a rule or route. Rules
    /// have no replace: an identical rule answers `EEXIST` to `NLM_F_EXCL`, which means
    /// "already there"; a route is created or replaced.
    pub fn new(object: Object, delete: bool) -> Request<'a> {
        let mut request = Request {
            object,
            delete,
            family: Family::V4,
            dev: b"",
            oif_at: 0,
            len: 0,
            bytes: [0; REQUEST_CAPACITY],
        };
        request.reset(object, delete);
        request
    }

    /// Makes this the empty request [`Request::new`] makes, in place.
    pub fn reset(&mut self, object: Object, delete: bool) {
        self.object = object;
        self.delete = delete;
        self.family = Family::V4;
        self.dev = b"";
        self.len = HEADER_LEN + BODY_LEN;
        self.bytes.fill(0);
    }

    /// The message type and header flags.
    fn header(&self) -> (u16, u16) {
        let flags = NLM_F_REQUEST | NLM_F_ACK;
        match (self.object, self.delete) {
            (Object::Rule, false) => (RTM_NEWRULE, flags | NLM_F_CREATE | NLM_F_EXCL),
            (Object::Rule, true) => (RTM_DELRULE, flags),
            (Object::Route, false) => (RTM_NEWROUTE, flags | NLM_F_CREATE | NLM_F_REPLACE),
            (Object::Route, true) => (RTM_DELROUTE, flags),
        }
    }

    /// Sets byte `at` of the body (`struct rtmsg` or `struct fib_rule_hdr`).
    pub fn set_body(&mut self, at: usize, value: u8) {
        self.bytes[HEADER_LEN + at] = value;
    }

    /// Where the next attribute goes (for [`Request::cut`]).
    pub fn end(&self) -> usize {
        self.len
    }

    /// Appends an attribute, padded to 4 bytes.
    pub fn attribute(&mut self, kind: u16, value: &[u8]) {
        let len = 4 + value.len();
        let at = self.len;
        self.bytes[at..at + 2].copy_from_slice(&(len as u16).to_ne_bytes());
        self.bytes[at + 2..at + 4].copy_from_slice(&kind.to_ne_bytes());
        self.bytes[at + 4..at + len].copy_from_slice(value);
        self.len = at + align(len);
    }

    pub fn attribute_u32(&mut self, kind: u16, value: u32) {
        self.attribute(kind, &value.to_ne_bytes());
    }

    /// Removes the attribute that starts at `at` (the IPv6-sized destination written for
    /// `default` before the line said it was IPv4).
    pub fn cut(&mut self, at: usize) {
        let len = align(usize::from(
            netlink::u16_at(&self.bytes, at).unwrap_or_default(),
        ));
        self.bytes.copy_within(at + len..self.len, at);
        self.len -= len;
    }

    /// A route's device: an `RTA_OIF` attribute whose index [`Request::set_oif`] fills in.
    pub fn device(&mut self, name: &'a [u8]) {
        self.dev = name;
        self.oif_at = self.len + 4;
        self.attribute_u32(RTA_OIF, 0);
    }

    /// The index of the route's device (see [`Request::device`]).
    pub fn set_oif(&mut self, index: u32) {
        if !self.dev.is_empty() {
            self.bytes[self.oif_at..self.oif_at + 4].copy_from_slice(&index.to_ne_bytes());
        }
    }

    /// The whole message, sequence number `seq`.
    pub fn finish(&mut self, seq: u32) -> &[u8] {
        let (kind, flags) = self.header();
        netlink::write_header(&mut self.bytes, self.len, kind, flags, seq);
        &self.bytes[..self.len]
    }

    /// The request in the parsed form the kernel's dumps are read into.
    pub fn fields(&self) -> Fields<'_> {
        Fields::parse(&self.bytes[HEADER_LEN..self.len]).expect("a request parses")
    }
}

/// How a rule or route the kernel reports stands to one a request describes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Found {
    /// Another rule or route altogether.
    Unrelated,
    /// The same place (for a route: destination, table and metric; for a rule: priority),
    /// but what the bits of [`DIFFERENCES`] name differs.
    Different(u8),
    Same,
}

/// What can differ between a rule or route and the one asked for, as `ip` names it: a bit
/// of [`Found::Different`] each. Routes use the first four, rules the rest.
pub const DIFFERENCES: [&[u8]; 8] = [
    b"type",
    b"proto",
    b"via",
    b"dev",
    b"from or to",
    b"fwmark",
    b"iif or oif",
    b"lookup",
];

/// Compares a `wanted` rule or route (a request's [`Fields`]; `delete` when it deletes) with
/// a `found` one from a dump of the same family. What the request leaves open (a delete's
/// type, protocol, table, action or metric, a route's device) matches anything, as the
/// kernel's delete does: a route delete without a metric removes a route of any metric.
pub fn compare(object: Object, delete: bool, wanted: &Fields<'_>, found: &Fields<'_>) -> Found {
    let (w, f) = (&wanted.body, &found.body);
    let open_or_equal = |want: u32, have: u32| want == 0 || want == have;
    let same_key = w[0] == f[0]
        && match object {
            Object::Route => {
                // A missing metric is the kernel's default: 0 for IPv4, 1024 for IPv6.
                let default_metric = if w[0] == Family::V6.af() { 1024 } else { 0 };
                let metric = |x: &Fields<'_>| x.number(RTA_PRIORITY).unwrap_or(default_metric);
                // The kernel reports the IPv6 default route without RTA_DST.
                let dst = |x: &Fields<'_>| {
                    let mut bytes = [0u8; 16];
                    let value = x.get(RTA_DST).unwrap_or_default();
                    let len = value.len().min(16);
                    bytes[..len].copy_from_slice(&value[..len]);
                    bytes
                };
                let any_metric = delete && wanted.get(RTA_PRIORITY).is_none();
                w[1] == f[1]
                    && wanted.table() == found.table()
                    && dst(wanted) == dst(found)
                    && (any_metric || metric(wanted) == metric(found))
            }
            Object::Rule => wanted.get(RTA_PRIORITY) == found.get(RTA_PRIORITY),
        };
    if !same_key {
        return Found::Unrelated;
    }
    let differs = |same: bool, bit: u8| if same { 0 } else { 1u8 << bit };
    let differences = match object {
        Object::Route => {
            differs(open_or_equal(w[7].into(), f[7].into()), 0)
                | differs(open_or_equal(w[5].into(), f[5].into()), 1)
                | differs(wanted.get(RTA_GATEWAY) == found.get(RTA_GATEWAY), 2)
                | differs(
                    wanted
                        .get(RTA_OIF)
                        .is_none_or(|oif| Some(oif) == found.get(RTA_OIF)),
                    3,
                )
        }
        Object::Rule => {
            // A mark without a mask has the kernel's mask, all ones.
            let mark = |x: &Fields<'_>| {
                let mark = x.number(FRA_FWMARK);
                let mask = mark.map(|_| x.number(FRA_FWMASK).unwrap_or(u32::MAX));
                (mark.unwrap_or(0), mask.unwrap_or(0))
            };
            let invert = |body: &[u8; BODY_LEN]| {
                netlink::u32_at(body, 8).unwrap_or_default() & FIB_RULE_INVERT
            };
            differs(
                w[1..3] == f[1..3]
                    && wanted.get(FRA_SRC) == found.get(FRA_SRC)
                    && wanted.get(RTA_DST) == found.get(RTA_DST)
                    && invert(w) == invert(f),
                4,
            ) | differs(mark(wanted) == mark(found), 5)
                | differs(
                    wanted.name(FRA_IIFNAME) == found.name(FRA_IIFNAME)
                        && wanted.name(FRA_OIFNAME) == found.name(FRA_OIFNAME),
                    6,
                )
                | differs(
                    open_or_equal(wanted.table(), found.table())
                        && open_or_equal(w[7].into(), f[7].into()),
                    7,
                )
        }
    };
    if differences == 0 {
        Found::Same
    } else {
        Found::Different(differences)
    }
}

/// Of what a dump holds, the rule or route that decides a check: one the same as asked wins,
/// else the first at the same place that differs, else nothing related. Fold every
/// [`compare`] of the dump through this, starting from [`Found::Unrelated`].
#[inline]
pub fn closest(best: Found, found: Found) -> Found {
    let different = matches!(found, Found::Different(_));
    if found == Found::Same || (different && best == Found::Unrelated) {
        found
    } else {
        best
    }
}

/// What `check` says of a request, by what the kernel holds ([`closest`]): nothing when it
/// holds what an add asks for, or nothing of what a delete removes; else `missing`,
/// `different` (an add's place holds another: which words differ is the `Found`'s) or
/// `present, to be deleted`.
#[inline]
pub fn verdict(delete: bool, closest: Found) -> Option<&'static [u8]> {
    match (delete, closest) {
        (false, Found::Same) | (true, Found::Unrelated | Found::Different(_)) => None,
        (false, Found::Unrelated) => Some(b"missing"),
        (false, Found::Different(_)) => Some(b"different"),
        (true, Found::Same) => Some(b"present, to be deleted"),
    }
}

/// How many identical rules one delete may have to remove: the kernel removes one a request.
pub const MAX_DUPLICATE_RULES: u32 = 64;

/// How many times a request is sent at most: a rule delete again until none is left (the
/// kernel removes one of several identical rules a request), anything else once.
#[inline]
pub fn sends(object: Object, delete: bool) -> u32 {
    if object == Object::Rule && delete {
        MAX_DUPLICATE_RULES
    } else {
        1
    }
}

/// What the kernel's answer to one send means for an idempotent request.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Answered {
    /// Done as asked (or already so: an add of what exists); a rule delete sends again.
    Done,
    /// Nothing (more) to delete: the delete is complete.
    NothingLeft,
    Refused(Errno),
}

#[inline]
pub fn answered(delete: bool, result: Result<(), Errno>) -> Answered {
    match result {
        Ok(()) => Answered::Done,
        Err(Errno::EEXIST) if !delete => Answered::Done,
        Err(Errno::ENOENT | Errno::ESRCH) if delete => Answered::NothingLeft,
        Err(errno) => Answered::Refused(errno),
    }
}

#[cfg(test)]
mod tests {
    //! Golden bytes: what `ip` (iproute2 6.1) sent for the same command lines, captured with
    //! `strace -e trace=sendmsg -e write=3 ip …` in a network namespace (loopback is index
    //! 1). The header's length, type and flags are compared separately from its sequence
    //! number and port id, which legitimately differ, and the body must be equal byte for
    //! byte. Netlink is host byte order: the vectors were captured little-endian, and on a
    //! big-endian machine every 16- and 32-bit field is converted before comparing.
    use super::*;
    use crate::command::{Command, parse};
    use crate::netlink::{FRA_PRIORITY, Message, RTA_TABLE};

    /// (command line, the message `ip` sent for it as hex, sequence number zeroed). For
    /// `route add` lines `ip`'s header flags say create-exclusive where ours say
    /// create-or-replace; the test allows exactly that difference.
    const VECTORS: &[(&str, &str)] = &[
        (
            "-6 rule add fwmark 0x1/0x1 lookup 1 pref 1",
            "34000000 2000 0506 00000000 00000000 0a000000 01000001 00000000 \
             0800 0a00 01000000 0800 1000 01000000 0800 0600 01000000",
        ),
        (
            "-6 rule del fwmark 0x1/0x1 lookup 1 pref 1",
            "34000000 2100 0500 00000000 00000000 0a000000 01000000 00000000 \
             0800 0a00 01000000 0800 1000 01000000 0800 0600 01000000",
        ),
        (
            "rule add fwmark 0x1/0x1 lookup 1 pref 1",
            "34000000 2000 0506 00000000 00000000 02000000 01000001 00000000 \
             0800 0a00 01000000 0800 1000 01000000 0800 0600 01000000",
        ),
        (
            "rule add not from 10.0.0.0/8 to 192.168.1.0/24 fwmark 0x10/0xff iif lo oif lo lookup 1000 pref 100",
            "5c000000 2000 0506 00000000 00000000 02180800 00000001 02000000 \
             0800 0200 0a000000 0800 0100 c0a80100 0800 0a00 10000000 0800 1000 ff000000 \
             0700 0300 6c6f0000 0700 1100 6c6f0000 0800 0f00 e8030000 0800 0600 64000000",
        ),
        (
            "-6 rule add from 2001:db8::/32 lookup main pref 5",
            "38000000 2000 0506 00000000 00000000 0a002000 fe000001 00000000 \
             1400 0200 20010db8000000000000000000000000 0800 0600 05000000",
        ),
        (
            "rule add to 198.51.100.7 lookup local pref 7",
            "2c000000 2000 0506 00000000 00000000 02200000 ff000001 00000000 \
             0800 0100 c6336407 0800 0600 07000000",
        ),
        (
            "rule add fwmark 7 lookup default pref 9",
            "2c000000 2000 0506 00000000 00000000 02000000 fd000001 00000000 \
             0800 0a00 07000000 0800 0600 09000000",
        ),
        (
            "-6 route add unreachable default dev lo table 1 metric 65535",
            "40000000 1800 0506 00000000 00000000 0a000000 01030007 00000000 \
             1400 0100 00000000000000000000000000000000 0800 0600 ffff0000 0800 0400 01000000",
        ),
        (
            "-6 route del unreachable default dev lo table 1 metric 65535",
            "40000000 1900 0500 00000000 00000000 0a000000 01000007 00000000 \
             1400 0100 00000000000000000000000000000000 0800 0600 ffff0000 0800 0400 01000000",
        ),
        (
            "route add 192.0.2.0/24 via 127.0.0.2 dev lo table 1000 metric 10 proto static",
            "44000000 1800 0506 00000000 00000000 02180000 00040001 00000000 \
             0800 0100 c0000200 0800 0500 7f000002 0800 0f00 e8030000 0800 0600 0a000000 \
             0800 0400 01000000",
        ),
        (
            "route add blackhole 198.51.100.0/24 table 1",
            "24000000 1800 0506 00000000 00000000 02180000 01030006 00000000 \
             0800 0100 c6336400",
        ),
        (
            "route replace prohibit 203.0.113.0/24 table main metric 5",
            "2c000000 1800 0505 00000000 00000000 02180000 fe030008 00000000 \
             0800 0100 cb007100 0800 0600 05000000",
        ),
        (
            "-6 route replace 2001:db8::/64 dev lo metric 1024",
            "40000000 1800 0505 00000000 00000000 0a400000 fe030001 00000000 \
             1400 0100 20010db8000000000000000000000000 0800 0600 00040000 0800 0400 01000000",
        ),
        (
            "route add 192.0.2.0/24 dev lo",
            "2c000000 1800 0506 00000000 00000000 02180000 fe03fd01 00000000 \
             0800 0100 c0000200 0800 0400 01000000",
        ),
        (
            "route add default via 127.0.0.1 dev lo",
            "2c000000 1800 0506 00000000 00000000 02000000 fe030001 00000000 \
             0800 0500 7f000001 0800 0400 01000000",
        ),
        (
            "route del default via 127.0.0.1 dev lo",
            "2c000000 1900 0500 00000000 00000000 02000000 fe00ff00 00000000 \
             0800 0500 7f000001 0800 0400 01000000",
        ),
    ];

    fn unhex(text: &str) -> Vec<u8> {
        let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_hexdigit).collect();
        digits
            .chunks(2)
            .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
            .collect()
    }

    /// Converts a captured little-endian message to this machine's byte order, field by
    /// field: the header, the 32-bit flags of the body, and each attribute's length, type
    /// and 32-bit value (addresses and names stay as they are).
    fn to_host_order(mut bytes: Vec<u8>) -> Vec<u8> {
        if cfg!(target_endian = "little") {
            return bytes;
        }
        fn swap(bytes: &mut [u8]) {
            bytes.reverse();
        }
        swap(&mut bytes[0..4]);
        swap(&mut bytes[4..6]);
        swap(&mut bytes[6..8]);
        swap(&mut bytes[8..12]);
        swap(&mut bytes[12..16]);
        swap(&mut bytes[24..28]);
        let mut at = HEADER_LEN + 12;
        while at < bytes.len() {
            let len = usize::from(u16::from_le_bytes([bytes[at], bytes[at + 1]]));
            let attribute = u16::from_le_bytes([bytes[at + 2], bytes[at + 3]]);
            // Numbers: marks, masks, tables, priorities, interface indices (types 4, 6, 10,
            // 15, 16 in both families' numbering); addresses (1, 2, 5) and names (3, 17)
            // are bytes.
            if len == 8 && [4, 6, 10, 15, 16].contains(&attribute) {
                swap(&mut bytes[at + 4..at + 8]);
            }
            swap(&mut bytes[at..at + 2]);
            swap(&mut bytes[at + 2..at + 4]);
            at += (len + 3) & !3;
        }
        bytes
    }

    fn encode(line: &str) -> Vec<u8> {
        let words: Vec<&[u8]> = line.split_whitespace().map(str::as_bytes).collect();
        let mut request = Request::new(Object::Rule, false);
        assert_eq!(
            parse(&words, None, &mut request),
            Ok(Command::Request),
            "{line}"
        );
        // Every vector's device is `lo`, index 1.
        request.set_oif(1);
        request.finish(0).to_vec()
    }

    #[test]
    fn messages_equal_what_ip_sends() {
        for (line, hex) in VECTORS {
            let ip = to_host_order(unhex(hex));
            let ours = encode(line);
            assert_eq!(ours.len(), ip.len(), "{line}: length");
            assert_eq!(ours[..6], ip[..6], "{line}: length and type");
            let flags = |b: &[u8]| u16::from_ne_bytes([b[6], b[7]]);
            let expected_flags = if line.contains("route add") {
                // ip's create-exclusive, ours create-or-replace.
                flags(&ip) & !NLM_F_EXCL | NLM_F_REPLACE
            } else {
                flags(&ip)
            };
            assert_eq!(flags(&ours), expected_flags, "{line}: flags");
            assert_eq!(ours[HEADER_LEN..], ip[HEADER_LEN..], "{line}: body");
        }
    }

    #[test]
    fn the_parsed_form_reads_back_what_was_written() {
        for (line, _) in VECTORS {
            let bytes = encode(line);
            let message = Message::new_checked(&bytes).unwrap();
            let fields = Fields::parse(message.payload()).unwrap();
            if line.contains("rule ") {
                assert!(fields.number(FRA_PRIORITY).is_some(), "{line}");
            } else {
                assert_eq!(
                    fields.number(RTA_OIF).is_some(),
                    line.contains("dev lo"),
                    "{line}"
                );
            }
        }
    }

    /// A message as the kernel would dump it: a body and attributes.
    fn dumped(body: [u8; BODY_LEN], attributes: &[(u16, &[u8])]) -> Vec<u8> {
        let mut bytes = body.to_vec();
        for (kind, value) in attributes {
            let len = 4 + value.len();
            bytes.extend((len as u16).to_ne_bytes());
            bytes.extend(kind.to_ne_bytes());
            bytes.extend(*value);
            bytes.resize(align(bytes.len()), 0);
        }
        bytes
    }

    fn wanted(line: &str) -> Request<'static> {
        let words: Vec<&'static [u8]> = line
            .split_whitespace()
            .map(|w| &*Vec::leak(w.as_bytes().to_vec()))
            .collect();
        let mut request = Request::new(Object::Rule, false);
        assert_eq!(
            parse(&words, None, &mut request),
            Ok(Command::Request),
            "{line}"
        );
        request.set_oif(1);
        request
    }

    fn compared(line: &str, found: &[u8]) -> Found {
        let request = wanted(line);
        compare(
            request.object,
            request.delete,
            &request.fields(),
            &Fields::parse(found).unwrap(),
        )
    }

    #[test]
    fn a_dumped_route_is_the_same_different_or_unrelated() {
        let line = "-6 route add unreachable default dev lo table 1 metric 65535";
        let metric = 65535u32.to_ne_bytes();
        let oif = 1u32.to_ne_bytes();
        // The kernel reports the IPv6 default route without RTA_DST.
        let body = [10, 0, 0, 0, 1, 3, 0, 7, 0, 0, 0, 0];
        let same = dumped(body, &[(RTA_PRIORITY, &metric), (RTA_OIF, &oif)]);
        assert_eq!(compared(line, &same), Found::Same);
        let mut blackhole = body;
        blackhole[7] = 6;
        let blackhole = dumped(blackhole, &[(RTA_PRIORITY, &metric), (RTA_OIF, &oif)]);
        // Another type at the same place: what differs is named.
        assert_eq!(compared(line, &blackhole), Found::Different(1 << 0));
        let other_metric = dumped(body, &[(RTA_PRIORITY, &1024u32.to_ne_bytes())]);
        assert_eq!(compared(line, &other_metric), Found::Unrelated);
        let mut main = body;
        main[4] = 254;
        assert_eq!(
            compared(line, &dumped(main, &[(RTA_PRIORITY, &metric)])),
            Found::Unrelated
        );
        // The table in an attribute counts as in the byte.
        let mut attribute_table = body;
        attribute_table[4] = 0;
        let attribute_table = dumped(
            attribute_table,
            &[
                (RTA_TABLE, &1u32.to_ne_bytes()),
                (RTA_PRIORITY, &metric),
                (RTA_OIF, &oif),
            ],
        );
        assert_eq!(compared(line, &attribute_table), Found::Same);
        // A delete leaves type and protocol open; an IPv4 route without a metric has 0.
        let v4 = dumped(
            [2, 24, 0, 0, 1, 4, 0, 6, 0, 0, 0, 0],
            &[(RTA_DST, &[192, 0, 2, 0])],
        );
        assert_eq!(compared("route del 192.0.2.0/24 table 1", &v4), Found::Same);
        // A delete without a metric removes the route whatever its metric; an add without
        // one means the kernel's default.
        let metric_16 = dumped(
            [2, 8, 0, 0, 1, 4, 0, 1, 0, 0, 0, 0],
            &[
                (RTA_DST, &[10, 0, 0, 0]),
                (RTA_PRIORITY, &16u32.to_ne_bytes()),
            ],
        );
        assert_eq!(
            compared("route del 10.0.0.0/8 table 1", &metric_16),
            Found::Same
        );
        assert_eq!(
            compared("route del 10.0.0.0/8 table 1 metric 15", &metric_16),
            Found::Unrelated
        );
        assert_eq!(
            compared("route add 10.0.0.0/8 table 1", &metric_16),
            Found::Unrelated
        );
        assert_eq!(
            compared("route add blackhole 192.0.2.0/24 table 1 metric 0", &v4),
            Found::Different(1 << 1)
        );
        assert_eq!(
            compared(
                "route add blackhole 192.0.2.0/24 table 1 metric 0 proto static",
                &v4
            ),
            Found::Same
        );
    }

    #[test]
    fn every_difference_has_its_word() {
        assert_eq!(DIFFERENCES[0], b"type");
        assert_eq!(DIFFERENCES[7], b"lookup");
    }

    #[test]
    fn a_dumped_rule_is_the_same_different_or_unrelated() {
        let line = "-6 rule add fwmark 1 lookup 1 pref 1";
        let one = 1u32.to_ne_bytes();
        let all_ones = u32::MAX.to_ne_bytes();
        let body = [10, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0];
        let rule = |body: [u8; BODY_LEN], priority: &[u8]| {
            dumped(
                body,
                &[
                    (FRA_FWMARK, &one),
                    (FRA_FWMASK, &all_ones),
                    (FRA_PRIORITY, priority),
                ],
            )
        };
        // A mark without a mask has the kernel's mask, all ones.
        assert_eq!(compared(line, &rule(body, &one)), Found::Same);
        let mut table_2 = body;
        table_2[4] = 2;
        assert_eq!(
            compared(line, &rule(table_2, &one)),
            Found::Different(1 << 7)
        );
        // A delete that names no table matches a rule in any table, as the kernel's does.
        assert_eq!(
            compared("-6 rule del fwmark 1 pref 1", &rule(table_2, &one)),
            Found::Same
        );
        let mut inverted = body;
        inverted[8..12].copy_from_slice(&FIB_RULE_INVERT.to_ne_bytes());
        assert_eq!(
            compared(line, &rule(inverted, &one)),
            Found::Different(1 << 4)
        );
        assert_eq!(
            compared(line, &rule(body, &2u32.to_ne_bytes())),
            Found::Unrelated
        );
        let mut v4 = body;
        v4[0] = 2;
        assert_eq!(compared(line, &rule(v4, &one)), Found::Unrelated);
        // Names compare without their NUL.
        let named = dumped(
            [2, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0],
            &[(FRA_IIFNAME, b"wan\0"), (FRA_PRIORITY, &one)],
        );
        assert_eq!(
            compared("rule add iif wan lookup 1 pref 1", &named),
            Found::Same
        );
        assert_eq!(
            compared("rule add iif mesh lookup 1 pref 1", &named),
            Found::Different(1 << 6)
        );
    }

    #[test]
    fn the_closest_found_decides_and_the_verdict_follows() {
        use super::{Answered, Found, answered, closest, verdict};
        let fold = |all: &[Found]| all.iter().fold(Found::Unrelated, |b, f| closest(b, *f));
        assert_eq!(fold(&[]), Found::Unrelated);
        assert_eq!(
            fold(&[Found::Unrelated, Found::Different(2), Found::Different(4)]),
            Found::Different(2)
        );
        assert_eq!(
            fold(&[Found::Different(2), Found::Same, Found::Unrelated]),
            Found::Same
        );
        assert_eq!(verdict(false, Found::Same), None);
        assert_eq!(verdict(false, Found::Unrelated), Some(&b"missing"[..]));
        assert_eq!(verdict(false, Found::Different(3)), Some(&b"different"[..]));
        assert_eq!(
            verdict(true, Found::Same),
            Some(&b"present, to be deleted"[..])
        );
        assert_eq!(verdict(true, Found::Unrelated), None);
        // A delete leaves what only shares the place: the kernel's delete would not take it.
        assert_eq!(verdict(true, Found::Different(1)), None);
        assert_eq!(answered(false, Err(Errno::EEXIST)), Answered::Done);
        assert_eq!(
            answered(true, Err(Errno::EEXIST)),
            Answered::Refused(Errno::EEXIST)
        );
        assert_eq!(answered(true, Err(Errno::ENOENT)), Answered::NothingLeft);
        assert_eq!(answered(true, Err(Errno::ESRCH)), Answered::NothingLeft);
        assert_eq!(
            answered(false, Err(Errno::ENOENT)),
            Answered::Refused(Errno::ENOENT)
        );
        assert_eq!(answered(true, Ok(())), Answered::Done);
    }

    #[test]
    fn a_rule_delete_is_sent_until_none_is_left_anything_else_once() {
        use super::{MAX_DUPLICATE_RULES, sends};
        assert_eq!(sends(Object::Rule, true), MAX_DUPLICATE_RULES);
        assert_eq!(sends(Object::Rule, false), 1);
        assert_eq!(sends(Object::Route, true), 1);
        assert_eq!(sends(Object::Route, false), 1);
    }
}
