//! The command syntax, a subset of iproute2's: pure parsing of the words of one command line
//! (or one batch line) into what it asks for. Nothing here talks to the kernel.

use crate::addr::{Addr, Family, Prefix, parse_addr, parse_prefix};
use crate::netlink::{
    RT_TABLE_DEFAULT, RT_TABLE_LOCAL, RT_TABLE_MAIN, RTN_BLACKHOLE, RTN_PROHIBIT, RTN_UNICAST,
    RTN_UNREACHABLE,
};
use sys::text::parse_u32;

/// What to do with a rule or a route.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Verb {
    Add,
    Delete,
    /// Routes only: create or replace (`add` does the same in `routes`: it is idempotent).
    Replace,
}

/// `rule add|del [not] [from PREFIX] [to PREFIX] [fwmark M[/MASK]] [iif DEV] [oif DEV]
/// lookup TABLE pref N`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Rule<'a> {
    pub family: Family,
    pub invert: bool,
    pub from: Option<Prefix>,
    pub to: Option<Prefix>,
    pub fwmark: Option<u32>,
    pub fwmask: Option<u32>,
    pub iif: Option<&'a [u8]>,
    pub oif: Option<&'a [u8]>,
    /// `None` only for a delete that names no table.
    pub table: Option<u32>,
    pub pref: u32,
}

/// `route add|replace|del [TYPE] PREFIX|default [via ADDR] [dev DEV] [table T] [metric N]
/// [proto P]`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Route<'a> {
    pub family: Family,
    /// `RTN_*`; `None` when the line names no type (a delete then matches any).
    pub kind: Option<u8>,
    pub dst: Prefix,
    pub via: Option<Addr>,
    pub dev: Option<&'a [u8]>,
    pub table: u32,
    pub metric: Option<u32>,
    pub proto: Option<u8>,
}

/// `gluon-wan up|down|check`: Gluon's WAN policy for the chosen families.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum GluonAction {
    Up,
    Down,
    Check,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct GluonWan {
    pub action: GluonAction,
    pub table: u32,
    pub fwmark: u32,
    pub fwmask: u32,
    pub pref: u32,
    pub v4: bool,
    pub v6: bool,
}

/// The metric of Gluon's fail-closed fallback route: below every real route.
pub const FALLBACK_METRIC: u32 = 65535;

impl GluonWan {
    /// The rule and the fallback route of one family, as `ip` would be told them:
    /// `rule add fwmark M/MASK lookup T pref P` and `route replace unreachable default
    /// [dev lo] table T metric 65535` (IPv4 refuses a device on an unreachable route, IPv6
    /// wants `lo`).
    pub fn requests(&self, family: Family) -> [Request<'static>; 2] {
        let verb = match self.action {
            GluonAction::Down => Verb::Delete,
            GluonAction::Up | GluonAction::Check => Verb::Add,
        };
        let rule = Rule {
            family,
            invert: false,
            from: None,
            to: None,
            fwmark: Some(self.fwmark),
            fwmask: Some(self.fwmask),
            iif: None,
            oif: None,
            table: Some(self.table),
            pref: self.pref,
        };
        let route = Route {
            family,
            kind: Some(RTN_UNREACHABLE),
            dst: Prefix {
                addr: Addr::unspecified(family),
                len: 0,
            },
            via: None,
            dev: (family == Family::V6).then_some(&b"lo"[..]),
            table: self.table,
            metric: Some(FALLBACK_METRIC),
            proto: None,
        };
        let route_verb = if verb == Verb::Add {
            Verb::Replace
        } else {
            verb
        };
        [Request::Rule(verb, rule), Request::Route(route_verb, route)]
    }

    /// The families, IPv6 first as Gluon configures it.
    pub fn families(&self) -> impl Iterator<Item = Family> {
        [(self.v6, Family::V6), (self.v4, Family::V4)]
            .into_iter()
            .filter_map(|(on, family)| on.then_some(family))
    }
}

/// One change to the kernel's tables.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Request<'a> {
    Rule(Verb, Rule<'a>),
    Route(Verb, Route<'a>),
}

/// A whole command line.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Command<'a> {
    Request(Request<'a>),
    GluonWan(GluonWan),
}

/// What is wrong with a line: a message and the word it is about (empty if none).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SyntaxError<'a> {
    pub message: &'static str,
    pub word: &'a [u8],
}

type Parsed<'a, T> = Result<T, SyntaxError<'a>>;

fn error<'a, T>(message: &'static str, word: &'a [u8]) -> Parsed<'a, T> {
    Err(SyntaxError { message, word })
}

/// The words `routes` knows. Each is found with one look-up in [`KEYWORDS`] and then matched
/// as a number, which keeps the parser small (byte-string matches compile to a comparison
/// each).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Keyword {
    Four,
    Six,
    FourSix,
    Rule,
    Route,
    GluonWan,
    Add,
    Delete,
    Replace,
    Not,
    From,
    To,
    Fwmark,
    Iif,
    Oif,
    Lookup,
    Pref,
    Via,
    Metric,
    Proto,
    Unicast,
    Unreachable,
    Blackhole,
    Prohibit,
    Up,
    Down,
    Check,
    OptionTable,
    OptionFwmark,
    OptionPref,
    Main,
    Local,
    Default,
    Any,
}

/// Every word and its synonyms (`ip`'s where it has them).
const KEYWORDS: &[(&[u8], Keyword)] = &[
    (b"-4", Keyword::Four),
    (b"-6", Keyword::Six),
    (b"-46", Keyword::FourSix),
    (b"rule", Keyword::Rule),
    (b"route", Keyword::Route),
    (b"gluon-wan", Keyword::GluonWan),
    (b"add", Keyword::Add),
    (b"del", Keyword::Delete),
    (b"delete", Keyword::Delete),
    (b"replace", Keyword::Replace),
    (b"not", Keyword::Not),
    (b"from", Keyword::From),
    (b"to", Keyword::To),
    (b"fwmark", Keyword::Fwmark),
    (b"iif", Keyword::Iif),
    (b"oif", Keyword::Oif),
    (b"dev", Keyword::Iif),
    (b"lookup", Keyword::Lookup),
    (b"table", Keyword::Lookup),
    (b"pref", Keyword::Pref),
    (b"priority", Keyword::Pref),
    (b"preference", Keyword::Pref),
    (b"via", Keyword::Via),
    (b"metric", Keyword::Metric),
    (b"proto", Keyword::Proto),
    (b"protocol", Keyword::Proto),
    (b"unicast", Keyword::Unicast),
    (b"unreachable", Keyword::Unreachable),
    (b"blackhole", Keyword::Blackhole),
    (b"prohibit", Keyword::Prohibit),
    (b"up", Keyword::Up),
    (b"down", Keyword::Down),
    (b"check", Keyword::Check),
    (b"--table", Keyword::OptionTable),
    (b"--fwmark", Keyword::OptionFwmark),
    (b"--pref", Keyword::OptionPref),
    (b"main", Keyword::Main),
    (b"local", Keyword::Local),
    (b"default", Keyword::Default),
    (b"all", Keyword::Any),
    (b"any", Keyword::Any),
];

fn keyword(word: &[u8]) -> Option<Keyword> {
    KEYWORDS
        .iter()
        .find(|(known, _)| *known == word)
        .map(|&(_, keyword)| keyword)
}

/// The words of a line, read one after the other; the last one read, for messages.
struct Words<'w, 'a> {
    words: &'w [&'a [u8]],
    next: usize,
    last: &'a [u8],
}

impl<'a> Words<'_, 'a> {
    fn next(&mut self) -> Option<&'a [u8]> {
        let word = *self.words.get(self.next)?;
        self.next += 1;
        self.last = word;
        Some(word)
    }

    /// The next word and what it is, if it is a keyword.
    fn next_keyword(&mut self) -> Option<(&'a [u8], Option<Keyword>)> {
        self.next().map(|word| (word, keyword(word)))
    }

    /// The value that must follow the keyword just read.
    fn value(&mut self) -> Parsed<'a, &'a [u8]> {
        let keyword = self.last;
        self.next()
            .map_or_else(|| error("a value must follow", keyword), Ok)
    }

    fn number(&mut self) -> Parsed<'a, u32> {
        let word = self.value()?;
        parse_u32(word).map_or_else(|| error("not a number", word), Ok)
    }
}

/// The most words a command may have (the longest rule has 20).
pub const MAX_WORDS: usize = 32;

/// Parses one command: the words after `routes` (or one batch line's words), `-4`/`-6`
/// included. `default_family` is the `-4`/`-6` given on the command line, for lines that
/// name none.
pub fn parse<'a>(words: &[&'a [u8]], default_family: Option<Family>) -> Parsed<'a, Command<'a>> {
    let mut words = Words {
        words,
        next: 0,
        last: b"",
    };
    let mut family = default_family;
    loop {
        match words.next_keyword() {
            Some((_, Some(Keyword::Four))) => family = Some(Family::V4),
            Some((_, Some(Keyword::Six))) => family = Some(Family::V6),
            Some((_, Some(Keyword::Rule))) => return rule(&mut words, family),
            Some((_, Some(Keyword::Route))) => return route(&mut words, family),
            Some((_, Some(Keyword::GluonWan))) => return gluon_wan(&mut words, family),
            Some((word, _)) => return error("unknown command (rule, route or gluon-wan)", word),
            None => return error("a command is missing: rule, route or gluon-wan", b""),
        }
    }
}

/// The family of a line: what its addresses say, else `-4`/`-6`, else IPv4 (as `ip`).
/// `addresses` are the line's addresses (if given) with their words, for messages.
fn family_of<'a>(
    addresses: &[(Option<Family>, &'a [u8])],
    asked: Option<Family>,
) -> Parsed<'a, Family> {
    let mut told = None;
    for &(family, word) in addresses {
        let Some(family) = family else { continue };
        if told.is_some_and(|t| t != family) {
            return error("addresses of both families on one line", word);
        }
        if asked.is_some_and(|a| a != family) {
            return error("the address does not match -4/-6", word);
        }
        told = Some(family);
    }
    Ok(told.or(asked).unwrap_or(Family::V4))
}

fn verb<'a>(words: &mut Words<'_, 'a>, replace_allowed: bool) -> Parsed<'a, Verb> {
    match words.next_keyword() {
        Some((_, Some(Keyword::Add))) => Ok(Verb::Add),
        Some((_, Some(Keyword::Delete))) => Ok(Verb::Delete),
        Some((_, Some(Keyword::Replace))) if replace_allowed => Ok(Verb::Replace),
        Some((other, _)) => error("unknown verb", other),
        None => error("a verb is missing (add, del)", b""),
    }
}

/// A table by number or as `main`, `local`, `default`.
fn table<'a>(word: &'a [u8]) -> Parsed<'a, u32> {
    match keyword(word) {
        Some(Keyword::Main) => Ok(RT_TABLE_MAIN),
        Some(Keyword::Local) => Ok(RT_TABLE_LOCAL),
        Some(Keyword::Default) => Ok(RT_TABLE_DEFAULT),
        _ => match parse_u32(word) {
            Some(0) | None => error("not a table (a number from 1, main, local, default)", word),
            Some(number) => Ok(number),
        },
    }
}

/// `M` or `M/MASK`.
fn mark<'a>(word: &'a [u8]) -> Parsed<'a, (u32, Option<u32>)> {
    let (mark, mask) = match word.iter().position(|&b| b == b'/') {
        Some(slash) => (&word[..slash], Some(&word[slash + 1..])),
        None => (word, None),
    };
    let bad = || error("not a mark (M or M/MASK)", word);
    let mark = parse_u32(mark).map_or_else(bad, Ok)?;
    let mask = match mask {
        Some(mask) => Some(parse_u32(mask).map_or_else(bad, Ok)?),
        None => None,
    };
    Ok((mark, mask))
}

fn prefix<'a>(word: &'a [u8]) -> Parsed<'a, Prefix> {
    parse_prefix(word).map_or_else(|| error("not an address or prefix", word), Ok)
}

/// A prefix, or `None` for `default`/`all`/`any` (whose family the line decides).
fn prefix_or_default<'a>(word: &'a [u8]) -> Parsed<'a, Option<Prefix>> {
    match keyword(word) {
        Some(Keyword::Default | Keyword::Any) => Ok(None),
        _ => prefix(word).map(Some),
    }
}

fn device<'a>(word: &'a [u8]) -> Parsed<'a, &'a [u8]> {
    // IFNAMSIZ: 15 bytes and the NUL; the kernel would read a name only up to a NUL in it.
    if word.is_empty() || word.len() > 15 || word.contains(&b'/') || word.contains(&0) {
        return error("not an interface name", word);
    }
    Ok(word)
}

fn rule<'a>(words: &mut Words<'_, 'a>, asked: Option<Family>) -> Parsed<'a, Command<'a>> {
    let verb = verb(words, false)?;
    let mut rule = Rule {
        family: Family::V4,
        invert: false,
        from: None,
        to: None,
        fwmark: None,
        fwmask: None,
        iif: None,
        oif: None,
        table: None,
        pref: 0,
    };
    let mut pref = None;
    let (mut from_word, mut to_word): (&[u8], &[u8]) = (b"", b"");
    while let Some((word, known)) = words.next_keyword() {
        match known {
            Some(Keyword::Not) => rule.invert = true,
            Some(Keyword::From) => {
                from_word = words.value()?;
                rule.from = prefix_or_default(from_word)?;
            }
            Some(Keyword::To) => {
                to_word = words.value()?;
                rule.to = prefix_or_default(to_word)?;
            }
            Some(Keyword::Fwmark) => {
                let (fwmark, fwmask) = mark(words.value()?)?;
                (rule.fwmark, rule.fwmask) = (Some(fwmark), fwmask);
            }
            Some(Keyword::Iif) => rule.iif = Some(device(words.value()?)?),
            Some(Keyword::Oif) => rule.oif = Some(device(words.value()?)?),
            Some(Keyword::Lookup) => rule.table = Some(table(words.value()?)?),
            Some(Keyword::Pref) => pref = Some(words.number()?),
            _ => return error("unknown word in a rule", word),
        }
    }
    let Some(pref) = pref else {
        return error(
            "a rule needs `pref N`: without one the kernel picks a new priority each time, so \
             the command would not be idempotent",
            b"",
        );
    };
    rule.pref = pref;
    if verb == Verb::Add && rule.table.is_none() {
        return error("a rule to add needs `lookup TABLE`", b"");
    }
    let addresses = [
        (rule.from.map(|p| p.addr.family), from_word),
        (rule.to.map(|p| p.addr.family), to_word),
    ];
    rule.family = family_of(&addresses, asked)?;
    Ok(Command::Request(Request::Rule(verb, rule)))
}

fn route<'a>(words: &mut Words<'_, 'a>, asked: Option<Family>) -> Parsed<'a, Command<'a>> {
    let verb = verb(words, true)?;
    let mut kind = None;
    let mut dst = None;
    let mut dst_word: &[u8] = b"";
    let mut via = None;
    let mut via_word: &[u8] = b"";
    let mut dev = None;
    let mut table_id = RT_TABLE_MAIN;
    let mut metric = None;
    let mut proto = None;
    while let Some((word, known)) = words.next_keyword() {
        let route_type = match known {
            Some(Keyword::Unicast) => Some(RTN_UNICAST),
            Some(Keyword::Unreachable) => Some(RTN_UNREACHABLE),
            Some(Keyword::Blackhole) => Some(RTN_BLACKHOLE),
            Some(Keyword::Prohibit) => Some(RTN_PROHIBIT),
            _ => None,
        };
        match known {
            _ if route_type.is_some() && dst_word.is_empty() && kind.is_none() => kind = route_type,
            Some(Keyword::Via) => {
                via_word = words.value()?;
                via = Some(
                    parse_addr(via_word).map_or_else(|| error("not an address", via_word), Ok)?,
                );
            }
            Some(Keyword::Iif | Keyword::Oif) => dev = Some(device(words.value()?)?),
            Some(Keyword::Lookup) => table_id = table(words.value()?)?,
            Some(Keyword::Metric | Keyword::Pref) => metric = Some(words.number()?),
            Some(Keyword::Proto) => proto = Some(protocol(words.value()?)?),
            _ if dst_word.is_empty() => {
                dst = prefix_or_default(word)?;
                dst_word = word;
            }
            _ => return error("unknown word in a route", word),
        }
    }
    if dst_word.is_empty() {
        return error("a route needs a destination (a prefix or `default`)", b"");
    }
    let addresses = [
        (dst.map(|p| p.addr.family), dst_word),
        (via.map(|a| a.family), via_word),
    ];
    let family = family_of(&addresses, asked)?;
    let dst = dst.unwrap_or(Prefix {
        addr: Addr::unspecified(family),
        len: 0,
    });
    if via.is_some() && kind.is_some_and(|k| k != RTN_UNICAST) {
        return error("only a unicast route has a gateway", b"via");
    }
    Ok(Command::Request(Request::Route(
        verb,
        Route {
            family,
            kind,
            dst,
            via,
            dev,
            table: table_id,
            metric,
            proto,
        },
    )))
}

/// A route protocol by number or by the names `ip` knows for the common ones.
fn protocol<'a>(word: &'a [u8]) -> Parsed<'a, u8> {
    const NAMES: &[(&[u8], u8)] = &[
        (b"kernel", 2),
        (b"boot", 3),
        (b"static", 4),
        (b"ra", 9),
        (b"dhcp", 16),
    ];
    let number = match NAMES.iter().find(|(name, _)| *name == word) {
        Some(&(_, number)) => u32::from(number),
        None => parse_u32(word).unwrap_or(256),
    };
    u8::try_from(number).map_or_else(|_| error("not a route protocol", word), Ok)
}

fn gluon_wan<'a>(words: &mut Words<'_, 'a>, asked: Option<Family>) -> Parsed<'a, Command<'a>> {
    let action = match words.next_keyword() {
        Some((_, Some(Keyword::Up))) => GluonAction::Up,
        Some((_, Some(Keyword::Down))) => GluonAction::Down,
        Some((_, Some(Keyword::Check))) => GluonAction::Check,
        Some((other, _)) => return error("unknown gluon-wan action (up, down, check)", other),
        None => return error("gluon-wan needs an action: up, down or check", b""),
    };
    let mut wan = GluonWan {
        action,
        table: 1,
        fwmark: 1,
        fwmask: 1,
        pref: 1,
        v4: asked == Some(Family::V4),
        v6: asked != Some(Family::V4),
    };
    while let Some((word, known)) = words.next_keyword() {
        match known {
            Some(Keyword::OptionTable) => wan.table = table(words.value()?)?,
            Some(Keyword::OptionFwmark) => {
                let (fwmark, fwmask) = mark(words.value()?)?;
                wan.fwmark = fwmark;
                wan.fwmask = fwmask.unwrap_or(u32::MAX);
            }
            Some(Keyword::OptionPref) => wan.pref = words.number()?,
            Some(Keyword::Four) => (wan.v4, wan.v6) = (true, false),
            Some(Keyword::Six) => (wan.v4, wan.v6) = (false, true),
            Some(Keyword::FourSix) => (wan.v4, wan.v6) = (true, true),
            _ => return error("unknown gluon-wan option", word),
        }
    }
    Ok(Command::GluonWan(wan))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_line(line: &str) -> Result<Command<'_>, SyntaxError<'_>> {
        let words: Vec<&[u8]> = line.split_whitespace().map(str::as_bytes).collect();
        parse(&words, None)
    }

    fn rule_of(line: &str) -> (Verb, Rule<'_>) {
        match parse_line(line) {
            Ok(Command::Request(Request::Rule(verb, rule))) => (verb, rule),
            other => panic!("{line}: {other:?}"),
        }
    }

    fn route_of(line: &str) -> (Verb, Route<'_>) {
        match parse_line(line) {
            Ok(Command::Request(Request::Route(verb, route))) => (verb, route),
            other => panic!("{line}: {other:?}"),
        }
    }

    fn message_of(line: &str) -> &'static str {
        match parse_line(line) {
            Err(err) => err.message,
            Ok(command) => panic!("{line}: accepted as {command:?}"),
        }
    }

    #[test]
    fn the_gluon_rule() {
        let (verb, rule) = rule_of("-6 rule add fwmark 0x1/0x1 lookup 1 pref 1");
        assert_eq!(verb, Verb::Add);
        assert_eq!(rule.family, Family::V6);
        assert_eq!((rule.fwmark, rule.fwmask), (Some(1), Some(1)));
        assert_eq!((rule.table, rule.pref), (Some(1), 1));
    }

    #[test]
    fn rule_words_and_synonyms() {
        let mixed = parse_line("rule del from 10.0.0.0/8 to 2001:db8::1 pref 1");
        assert_eq!(
            mixed,
            Err(SyntaxError {
                message: "addresses of both families on one line",
                word: b"2001:db8::1"
            })
        );
        let (verb, rule) = rule_of(
            "rule del not from 10.0.0.0/8 to 192.0.2.1 fwmark 010 iif wan oif br-wan table main priority 0x10",
        );
        assert_eq!(verb, Verb::Delete);
        assert!(rule.invert);
        assert_eq!(rule.family, Family::V4);
        assert_eq!(rule.from.unwrap().len, 8);
        assert_eq!(rule.to.unwrap().len, 32);
        assert_eq!((rule.fwmark, rule.fwmask), (Some(8), None));
        assert_eq!(
            (rule.iif, rule.oif),
            (Some(&b"wan"[..]), Some(&b"br-wan"[..]))
        );
        assert_eq!((rule.table, rule.pref), (Some(254), 16));
        assert_eq!(
            rule_of("rule add lookup local preference 5").1.table,
            Some(255)
        );
        assert_eq!(rule_of("rule add lookup default pref 5").1.table, Some(253));
    }

    #[test]
    fn rule_family_from_addresses_then_flag_then_ipv4() {
        assert_eq!(
            rule_of("rule add from ::/0 lookup 1 pref 1").1.family,
            Family::V6
        );
        assert_eq!(rule_of("-6 rule add lookup 1 pref 1").1.family, Family::V6);
        assert_eq!(rule_of("rule add lookup 1 pref 1").1.family, Family::V4);
        let words: Vec<&[u8]> = "rule add lookup 1 pref 1"
            .split_whitespace()
            .map(str::as_bytes)
            .collect();
        let parsed = parse(&words, Some(Family::V6));
        assert!(
            matches!(parsed, Ok(Command::Request(Request::Rule(_, r))) if r.family == Family::V6)
        );
        assert_eq!(
            message_of("-4 rule add from ::/0 lookup 1 pref 1"),
            "the address does not match -4/-6"
        );
    }

    #[test]
    fn a_rule_without_pref_or_table_is_refused() {
        assert!(message_of("rule add fwmark 1 lookup 1").starts_with("a rule needs `pref N`"));
        assert_eq!(
            message_of("rule add fwmark 1 pref 1"),
            "a rule to add needs `lookup TABLE`"
        );
        // A delete may leave the table open.
        assert_eq!(rule_of("rule del fwmark 1 pref 1").1.table, None);
    }

    #[test]
    fn routes_of_every_type() {
        let (verb, route) =
            route_of("-6 route add unreachable default dev lo table 1 metric 65535");
        assert_eq!(verb, Verb::Add);
        assert_eq!(route.family, Family::V6);
        assert_eq!(route.kind, Some(RTN_UNREACHABLE));
        assert_eq!(route.dst.len, 0);
        assert_eq!(
            (route.dev, route.table, route.metric),
            (Some(&b"lo"[..]), 1, Some(65535))
        );
        let (verb, route) = route_of(
            "route replace 192.0.2.0/24 via 10.0.0.1 dev wan table 1000 metric 10 proto static",
        );
        assert_eq!(verb, Verb::Replace);
        assert_eq!(route.kind, None);
        assert_eq!(route.via.unwrap().octets(), [10, 0, 0, 1]);
        assert_eq!((route.table, route.proto), (1000, Some(4)));
        assert_eq!(
            route_of("route del blackhole 198.51.100.0/24").1.kind,
            Some(RTN_BLACKHOLE)
        );
        assert_eq!(
            route_of("route add prohibit default").1.kind,
            Some(RTN_PROHIBIT)
        );
        assert_eq!(
            route_of("route add default via fe80::1 dev wan").1.family,
            Family::V6
        );
        assert_eq!(
            route_of("route add unicast default dev wan").1.table,
            RT_TABLE_MAIN
        );
    }

    #[test]
    fn route_mistakes() {
        assert_eq!(
            message_of("route add"),
            "a route needs a destination (a prefix or `default`)"
        );
        assert_eq!(
            message_of("route add 192.0.2.0/33"),
            "not an address or prefix"
        );
        assert_eq!(
            message_of("route add default via 192.0.2.300"),
            "not an address"
        );
        assert_eq!(
            message_of("route add 192.0.2.0/24 192.0.3.0/24"),
            "unknown word in a route"
        );
        assert_eq!(
            message_of("route add unreachable default via 10.0.0.1"),
            "only a unicast route has a gateway"
        );
        assert_eq!(
            message_of("route add default via 10.0.0.1 via"),
            "a value must follow"
        );
        assert_eq!(
            message_of("route add default table 0"),
            "not a table (a number from 1, main, local, default)"
        );
        assert_eq!(message_of("route add default metric x"), "not a number");
        assert_eq!(
            message_of("route add default proto 256"),
            "not a route protocol"
        );
        assert_eq!(
            message_of("route add default dev lo\0x"),
            "not an interface name"
        );
        assert_eq!(
            message_of("route add default dev a-name-of-16-byt"),
            "not an interface name"
        );
        assert_eq!(message_of("route change default"), "unknown verb");
        assert_eq!(
            message_of("link show"),
            "unknown command (rule, route or gluon-wan)"
        );
        assert_eq!(
            message_of("-6"),
            "a command is missing: rule, route or gluon-wan"
        );
        assert_eq!(message_of("rule replace lookup 1 pref 1"), "unknown verb");
    }

    #[test]
    fn gluon_wan_defaults_and_options() {
        let Ok(Command::GluonWan(wan)) = parse_line("gluon-wan up") else {
            panic!()
        };
        assert_eq!(
            wan,
            GluonWan {
                action: GluonAction::Up,
                table: 1,
                fwmark: 1,
                fwmask: 1,
                pref: 1,
                v4: false,
                v6: true
            }
        );
        let Ok(Command::GluonWan(wan)) =
            parse_line("gluon-wan check --table 7 --fwmark 0x10/0xf0 --pref 3 -46")
        else {
            panic!()
        };
        assert_eq!(
            (wan.table, wan.fwmark, wan.fwmask, wan.pref, wan.v4, wan.v6),
            (7, 16, 0xf0, 3, true, true)
        );
        let Ok(Command::GluonWan(wan)) = parse_line("-4 gluon-wan down") else {
            panic!()
        };
        assert!(wan.v4 && !wan.v6);
        assert_eq!(
            message_of("gluon-wan sideways"),
            "unknown gluon-wan action (up, down, check)"
        );
        assert_eq!(
            message_of("gluon-wan up --mark 1"),
            "unknown gluon-wan option"
        );
    }

    #[test]
    fn the_gluon_policy_as_requests() {
        let wan = GluonWan {
            action: GluonAction::Up,
            table: 1,
            fwmark: 1,
            fwmask: 1,
            pref: 1,
            v4: true,
            v6: true,
        };
        assert_eq!(wan.families().collect::<Vec<_>>(), [Family::V6, Family::V4]);
        let [rule, route] = wan.requests(Family::V4);
        assert!(matches!(rule, Request::Rule(Verb::Add, r) if r.pref == 1 && r.fwmark == Some(1)));
        assert!(
            matches!(route, Request::Route(Verb::Replace, r) if r.dev.is_none() && r.metric == Some(65535))
        );
        let down = GluonWan {
            action: GluonAction::Down,
            ..wan
        };
        let [rule, route] = down.requests(Family::V6);
        assert!(matches!(rule, Request::Rule(Verb::Delete, _)));
        assert!(matches!(route, Request::Route(Verb::Delete, r) if r.dev == Some(&b"lo"[..])));
    }
}
