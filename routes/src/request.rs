//! What the kernel is told for each parsed request, and how what it reports compares with
//! what a request asks for. Pure: the interface index of a route's device is looked up by
//! the caller and passed in.
//!
//! The fields follow `ip` (iproute2 6.1), so that the same command line makes the same
//! message body: routes are `RTPROT_BOOT` unless a protocol is named, an IPv4 unicast route
//! without a gateway has link scope, a delete leaves protocol and type open, and so on. Where
//! `routes` differs it is on purpose and in the header's flags only: an `add` of a route is
//! create-or-replace, so that running it twice is no error.

use crate::addr::Family;
use crate::command::{Route, Rule, Verb};
use crate::netlink::{
    FIB_RULE_INVERT, FR_ACT_TO_TBL, NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE,
    NLM_F_REQUEST, RT_SCOPE_LINK, RT_SCOPE_NOWHERE, RT_SCOPE_UNIVERSE, RTM_DELROUTE, RTM_DELRULE,
    RTM_NEWROUTE, RTM_NEWRULE, RTN_UNICAST, RTPROT_BOOT, RouteMessage, RuleMessage,
};

/// The message type and header flags of a request.
pub fn route_header(verb: Verb) -> (u16, u16) {
    match verb {
        Verb::Add | Verb::Replace => (
            RTM_NEWROUTE,
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE,
        ),
        Verb::Delete => (RTM_DELROUTE, NLM_F_REQUEST | NLM_F_ACK),
    }
}

/// Rules have no replace: an identical rule answers `EEXIST` to `NLM_F_EXCL`, which means
/// "already there".
pub fn rule_header(verb: Verb) -> (u16, u16) {
    match verb {
        Verb::Add | Verb::Replace => (
            RTM_NEWRULE,
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
        ),
        Verb::Delete => (RTM_DELRULE, NLM_F_REQUEST | NLM_F_ACK),
    }
}

/// The route message for `route`; `oif` is the index of its `dev`.
pub fn route_message<'a>(verb: Verb, route: &'a Route<'_>, oif: Option<u32>) -> RouteMessage<'a> {
    let adding = verb != Verb::Delete;
    let kind = route.kind.unwrap_or(if adding { RTN_UNICAST } else { 0 });
    let unicast = kind == RTN_UNICAST || kind == 0;
    let scope = match route.family {
        Family::V4 if unicast && !adding => RT_SCOPE_NOWHERE,
        Family::V4 if unicast && route.via.is_none() => RT_SCOPE_LINK,
        _ => RT_SCOPE_UNIVERSE,
    };
    let default_protocol = if adding { RTPROT_BOOT } else { 0 };
    RouteMessage {
        family: route.family.af(),
        dst_len: route.dst.len,
        table: route.table,
        protocol: route.proto.unwrap_or(default_protocol),
        scope,
        kind,
        // `ip` names the IPv6 default route's destination (`::`) and leaves IPv4's out.
        dst: (route.dst.len > 0 || route.family == Family::V6).then(|| route.dst.addr.octets()),
        gateway: route.via.as_ref().map(|via| via.octets()),
        oif,
        priority: route.metric,
    }
}

/// The rule message for `rule`.
pub fn rule_message<'a>(verb: Verb, rule: &'a Rule<'a>) -> RuleMessage<'a> {
    RuleMessage {
        family: rule.family.af(),
        dst_len: rule.to.map_or(0, |p| p.len),
        src_len: rule.from.map_or(0, |p| p.len),
        table: rule.table.unwrap_or(0),
        action: if verb == Verb::Delete {
            0
        } else {
            FR_ACT_TO_TBL
        },
        flags: if rule.invert { FIB_RULE_INVERT } else { 0 },
        src: rule.from.as_ref().map(|p| p.addr.octets()),
        dst: rule.to.as_ref().map(|p| p.addr.octets()),
        fwmark: rule.fwmark,
        fwmask: rule.fwmask,
        iifname: rule.iif,
        oifname: rule.oif,
        priority: Some(rule.pref),
    }
}

/// How a route the kernel reports stands to one a request describes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Found {
    /// Another route altogether.
    Unrelated,
    /// The same destination, table and metric, but something else differs.
    Different,
    Same,
}

/// Compares a wanted route (from [`route_message`] with `Verb::Add`) with a dumped one. A
/// route is identified by family, table, destination and metric (a missing metric is the
/// kernel's default: 0 for IPv4, 1024 for IPv6).
pub fn compare_route(wanted: &RouteMessage<'_>, found: &RouteMessage<'_>) -> Found {
    let default_metric = if wanted.family == Family::V6.af() {
        1024
    } else {
        0
    };
    let zero = [0u8; 16];
    let dst = |r: &RouteMessage<'_>| -> [u8; 16] {
        let mut bytes = zero;
        if let Some(dst) = r.dst {
            let len = dst.len().min(16);
            bytes[..len].copy_from_slice(&dst[..len]);
        }
        bytes
    };
    let same_key = wanted.family == found.family
        && wanted.table == found.table
        && wanted.dst_len == found.dst_len
        && dst(wanted) == dst(found)
        && wanted.priority.unwrap_or(default_metric) == found.priority.unwrap_or(default_metric);
    if !same_key {
        return Found::Unrelated;
    }
    let same = wanted.kind == found.kind
        && wanted.protocol == found.protocol
        && wanted.gateway == found.gateway
        && (wanted.oif.is_none() || wanted.oif == found.oif);
    if same { Found::Same } else { Found::Different }
}

/// Compares a wanted rule (from [`rule_message`] with `Verb::Add`) with a dumped one. A rule
/// is identified by family and priority; everything it matches on must be equal. A mark
/// without a mask is the kernel's mask `0xffffffff`; a wanted table of 0 (a `del` that names
/// none) matches any table, as the kernel's delete does.
pub fn compare_rule(wanted: &RuleMessage<'_>, found: &RuleMessage<'_>) -> Found {
    if wanted.family != found.family || wanted.priority != found.priority {
        return Found::Unrelated;
    }
    let mask = |r: &RuleMessage<'_>| r.fwmark.map(|_| r.fwmask.unwrap_or(u32::MAX));
    let same = wanted.dst_len == found.dst_len
        && wanted.src_len == found.src_len
        && wanted.src == found.src
        && wanted.dst == found.dst
        && wanted.fwmark.unwrap_or(0) == found.fwmark.unwrap_or(0)
        && mask(wanted).unwrap_or(0) == mask(found).unwrap_or(0)
        && wanted.iifname == found.iifname
        && wanted.oifname == found.oifname
        && (wanted.table == 0 || wanted.table == found.table)
        && wanted.action == found.action
        && (wanted.flags & FIB_RULE_INVERT) == (found.flags & FIB_RULE_INVERT);
    if same { Found::Same } else { Found::Different }
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
    use crate::command::{Command, Request, parse};
    use crate::netlink::{self, HEADER_LEN, REQUEST_CAPACITY};

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
        let Ok(Command::Request(request)) = parse(&words, None) else {
            panic!("{line}");
        };
        let mut buffer = [0u8; REQUEST_CAPACITY];
        match request {
            Request::Rule(verb, rule) => {
                let (kind, flags) = rule_header(verb);
                let mut message = netlink::Request::new(&mut buffer, kind, flags, 0);
                rule_message(verb, &rule).emit(&mut message);
                message.finish().unwrap().to_vec()
            }
            Request::Route(verb, route) => {
                let (kind, flags) = route_header(verb);
                let mut message = netlink::Request::new(&mut buffer, kind, flags, 0);
                // Every vector's device is `lo`, index 1.
                route_message(verb, &route, route.dev.map(|_| 1)).emit(&mut message);
                message.finish().unwrap().to_vec()
            }
        }
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
    fn parse_reads_back_what_emit_wrote() {
        for (line, _) in VECTORS {
            let bytes = encode(line);
            let message = netlink::Message::new_checked(&bytes).unwrap();
            let payload = message.payload();
            if line.contains(" rule ") || line.starts_with("rule") {
                let rule = RuleMessage::parse(payload).unwrap();
                assert!(rule.priority.is_some(), "{line}");
            } else {
                let route = RouteMessage::parse(payload).unwrap();
                assert_eq!(route.oif.is_some(), line.contains("dev lo"), "{line}");
            }
        }
    }

    #[test]
    fn a_dumped_route_is_the_same_different_or_unrelated() {
        let wanted = RouteMessage {
            family: 10,
            dst_len: 0,
            table: 1,
            protocol: 3,
            scope: 0,
            kind: 7,
            dst: Some(&[0; 16]),
            gateway: None,
            oif: Some(1),
            priority: Some(65535),
        };
        // The kernel reports the IPv6 default route without RTA_DST.
        let dumped = RouteMessage {
            dst: None,
            ..wanted
        };
        assert_eq!(compare_route(&wanted, &dumped), Found::Same);
        let blackhole = RouteMessage { kind: 6, ..dumped };
        assert_eq!(compare_route(&wanted, &blackhole), Found::Different);
        let other_metric = RouteMessage {
            priority: Some(1024),
            ..dumped
        };
        assert_eq!(compare_route(&wanted, &other_metric), Found::Unrelated);
        let other_table = RouteMessage {
            table: 254,
            ..dumped
        };
        assert_eq!(compare_route(&wanted, &other_table), Found::Unrelated);
        let v4 = RouteMessage {
            family: 2,
            dst: None,
            oif: None,
            priority: None,
            ..wanted
        };
        assert_eq!(
            compare_route(
                &v4,
                &RouteMessage {
                    priority: Some(0),
                    ..v4
                }
            ),
            Found::Same
        );
    }

    #[test]
    fn a_dumped_rule_is_the_same_different_or_unrelated() {
        let wanted = RuleMessage {
            family: 10,
            table: 1,
            action: 1,
            fwmark: Some(1),
            fwmask: None,
            priority: Some(1),
            ..RuleMessage::default()
        };
        let dumped = RuleMessage {
            fwmask: Some(u32::MAX),
            ..wanted
        };
        assert_eq!(compare_rule(&wanted, &dumped), Found::Same);
        assert_eq!(
            compare_rule(&wanted, &RuleMessage { table: 2, ..dumped }),
            Found::Different
        );
        // A delete that names no table matches a rule in any table, as the kernel's does.
        let any_table = RuleMessage { table: 0, ..wanted };
        assert_eq!(
            compare_rule(&any_table, &RuleMessage { table: 2, ..dumped }),
            Found::Same
        );
        assert_eq!(
            compare_rule(&wanted, &RuleMessage { flags: 2, ..dumped }),
            Found::Different
        );
        assert_eq!(
            compare_rule(
                &wanted,
                &RuleMessage {
                    priority: Some(2),
                    ..dumped
                }
            ),
            Found::Unrelated
        );
        assert_eq!(
            compare_rule(
                &wanted,
                &RuleMessage {
                    family: 2,
                    ..dumped
                }
            ),
            Found::Unrelated
        );
    }
}
