//! The command syntax, a subset of iproute2's: pure parsing of the words of one command line
//! (or one batch line). As in `ip`, each word that asks for an attribute writes it into the
//! request as it is read, and the body is filled in when the line is complete; nothing here
//! talks to the kernel. Rules and routes share one loop over their words, since most words
//! (tables, priorities, prefixes, devices) mean the same in both.

use crate::netlink::{
    FIB_RULE_INVERT, FR_ACT_TO_TBL, FRA_DST, FRA_FWMARK, FRA_FWMASK, FRA_IIFNAME, FRA_OIFNAME,
    FRA_SRC, RT_SCOPE_LINK, RT_SCOPE_NOWHERE, RT_SCOPE_UNIVERSE, RT_TABLE_DEFAULT, RT_TABLE_LOCAL,
    RT_TABLE_MAIN, RTA_DST, RTA_GATEWAY, RTA_PRIORITY, RTA_TABLE, RTN_BLACKHOLE, RTN_PROHIBIT,
    RTN_UNICAST, RTN_UNREACHABLE, RTPROT_BOOT,
};
use crate::request::{Object, Request};
use sys::addr::{Addr, Family, parse_addr, parse_prefix};
use sys::text::parse_u32;

/// `gluon-wan up|down|check`: Gluon's WAN policy for the chosen families.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum GluonAction {
    Up,
    Down,
    Check,
}

/// The preset, with its option values as given (checked by the parser), for the command
/// lines it stands for ([`GluonWan::lines`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct GluonWan<'a> {
    pub action: GluonAction,
    pub table: &'a [u8],
    pub fwmark: &'a [u8],
    pub pref: &'a [u8],
    pub v4: bool,
    pub v6: bool,
}

/// The words of one command line that [`GluonWan::lines`] makes, and how many there are.
pub type Line<'a> = ([&'a [u8]; 10], usize);

/// The metric of Gluon's fail-closed fallback route: below every real route.
pub const FALLBACK_METRIC: u32 = 65535;

impl<'a> GluonWan<'a> {
    /// The rule and the fallback route of one family, as `ip` would be told them:
    /// `rule add fwmark M/MASK lookup T pref P` and `route replace unreachable default
    /// [dev lo] table T metric 65535` (IPv4 refuses a device on an unreachable route, IPv6
    /// wants `lo`); `del` for `down`. Capital letters in the templates stand for the verb
    /// and the option values.
    pub fn lines(&self, family: Family) -> [Line<'a>; 2] {
        const RULE: &[u8] = b"rule V fwmark F lookup T pref P";
        const ROUTE: &[u8] = b"route R unreachable default table T metric 65535 dev lo";
        let down = self.action == GluonAction::Down;
        [RULE, ROUTE].map(|template| {
            let mut line: Line<'a> = ([b""; 10], 0);
            for word in template.split(|&b| b == b' ') {
                line.0[line.1] = match word {
                    b"V" | b"R" if down => b"del",
                    b"V" => b"add",
                    b"R" => b"replace",
                    b"F" => self.fwmark,
                    b"T" => self.table,
                    b"P" => self.pref,
                    // IPv4 refuses a device on an unreachable route.
                    b"dev" if family == Family::V4 => break,
                    _ => word,
                };
                line.1 += 1;
            }
            line
        })
    }

    /// The families, IPv6 first as Gluon configures it.
    pub fn families(&self) -> impl Iterator<Item = Family> {
        [(self.v6, Family::V6), (self.v4, Family::V4)]
            .into_iter()
            .filter_map(|(on, family)| on.then_some(family))
    }
}

/// A whole command line.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Command<'a> {
    /// A rule or route, written into the request the parser was given.
    Request,
    GluonWan(GluonWan<'a>),
}

/// What can be wrong with a line. A number, so that each place that finds a mistake costs a
/// byte; the words are in [`Mistake::message`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum Mistake {
    MissingCommand,
    UnknownCommand,
    MissingVerb,
    UnknownVerb,
    MissingValue,
    GivenTwice,
    UnknownRuleWord,
    UnknownRouteWord,
    NotAPrefix,
    NotAnAddress,
    NotATable,
    NotAMark,
    NotANumber,
    NotAName,
    NotAProtocol,
    BothFamilies,
    FamilyMismatch,
    RuleWithoutPref,
    RuleWithoutTable,
    RouteWithoutDestination,
    GatewayNotUnicast,
    MissingGluonAction,
    UnknownGluonAction,
    UnknownGluonOption,
    TooManyWords,
}

impl Mistake {
    pub fn message(self) -> &'static str {
        match self {
            Mistake::MissingCommand => "a command is missing: rule, route or gluon-wan",
            Mistake::UnknownCommand => "unknown command (rule, route or gluon-wan)",
            Mistake::MissingVerb => "a verb is missing (add, del)",
            Mistake::UnknownVerb => "unknown verb",
            Mistake::MissingValue => "a value must follow",
            Mistake::GivenTwice => "given twice",
            Mistake::UnknownRuleWord => "unknown word in a rule",
            Mistake::UnknownRouteWord => "unknown word in a route",
            Mistake::NotAPrefix => "not an address or prefix",
            Mistake::NotAnAddress => "not an address",
            Mistake::NotATable => "not a table (a number from 1, main, local, default)",
            Mistake::NotAMark => "not a mark (M or M/MASK)",
            Mistake::NotANumber => "not a number",
            Mistake::NotAName => "not an interface name",
            Mistake::NotAProtocol => "not a route protocol",
            Mistake::BothFamilies => "addresses of both families on one line",
            Mistake::FamilyMismatch => "the address does not match -4/-6",
            Mistake::RuleWithoutPref => {
                "a rule needs `pref N`: without one the kernel picks a new priority each \
                 time, so the command would not be idempotent"
            }
            Mistake::RuleWithoutTable => "a rule to add needs `lookup TABLE`",
            Mistake::RouteWithoutDestination => {
                "a route needs a destination (a prefix or `default`)"
            }
            Mistake::GatewayNotUnicast => "only a unicast route has a gateway",
            Mistake::MissingGluonAction => "gluon-wan needs an action: up, down or check",
            Mistake::UnknownGluonAction => "unknown gluon-wan action (up, down, check)",
            Mistake::UnknownGluonOption => "unknown gluon-wan option",
            Mistake::TooManyWords => "too many words",
        }
    }
}

/// What is wrong with a line, and the word it is about (empty if none).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SyntaxError<'a> {
    pub mistake: Mistake,
    pub word: &'a [u8],
}

/// A step of the parser failed; the mistake is in [`Parser::error`]. Keeping it there, as C
/// keeps `errno`, lets every step return in one register.
struct Failed;

type Step<T> = Result<T, Failed>;

/// The words `routes` knows. A word is found with one walk over [`WORDS`], and then matched
/// as a number.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
enum Keyword {
    /// Not a keyword: a value, a route's destination, or a mistake.
    Other,
    /// Past the last word.
    End,
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
    Dev,
    Lookup,
    Pref,
    Metric,
    Via,
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

/// Every word and its synonyms (`ip`'s where it has them), one space apart, and what each
/// means, in the same order. One string costs fewer bytes than a table of slices.
const WORDS: &[u8] = b"-4 -6 -46 rule route gluon-wan add del delete replace not from to \
    fwmark iif oif dev lookup table pref priority preference metric via proto protocol \
    unicast unreachable blackhole prohibit up down check --table --fwmark --pref main local \
    default all any";
const MEANINGS: [Keyword; 41] = {
    use Keyword::*;
    [
        Four,
        Six,
        FourSix,
        Rule,
        Route,
        GluonWan,
        Add,
        Delete,
        Delete,
        Replace,
        Not,
        From,
        To,
        Fwmark,
        Iif,
        Oif,
        Dev,
        Lookup,
        Lookup,
        Pref,
        Pref,
        Pref,
        Metric,
        Via,
        Proto,
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
        Any,
    ]
};

fn keyword(word: &[u8]) -> Keyword {
    WORDS
        .split(|&b| b == b' ')
        .position(|known| known == word)
        .map_or(Keyword::Other, |at| MEANINGS[at])
}

const fn bit(keyword: Keyword) -> u64 {
    1 << keyword as u8
}

/// The most words a command may have (the longest rule has 20).
pub const MAX_WORDS: usize = 32;

/// The words of a line, read one after the other: the word just read (for messages), which
/// keywords have been read (each may be given once: `ip` would send a repeated attribute
/// twice), and the first mistake.
struct Parser<'w, 'a> {
    words: &'w [&'a [u8]],
    next: usize,
    word: &'a [u8],
    seen: u64,
    error: SyntaxError<'a>,
}

impl<'a> Parser<'_, 'a> {
    /// Notes `mistake` about `word`. Not inlined: there are two dozen places that fail.
    #[inline(never)]
    fn fail_at(&mut self, mistake: Mistake, word: &'a [u8]) -> Failed {
        self.error = SyntaxError { mistake, word };
        Failed
    }

    /// Notes `mistake` about the word just read.
    #[inline(never)]
    fn fail(&mut self, mistake: Mistake) -> Failed {
        self.fail_at(mistake, self.word)
    }

    /// The next word's meaning ([`Keyword::End`] past the last); a keyword read before is
    /// a mistake.
    fn next(&mut self) -> Step<Keyword> {
        let Some(&word) = self.words.get(self.next) else {
            self.word = b"";
            return Ok(Keyword::End);
        };
        self.next += 1;
        self.word = word;
        let keyword = keyword(word);
        if keyword != Keyword::Other && self.seen & bit(keyword) != 0 {
            return Err(self.fail(Mistake::GivenTwice));
        }
        self.seen |= bit(keyword);
        Ok(keyword)
    }

    /// The value that must follow the keyword just read.
    fn value(&mut self) -> Step<&'a [u8]> {
        match self.words.get(self.next) {
            Some(&word) => {
                self.next += 1;
                self.word = word;
                Ok(word)
            }
            None => Err(self.fail(Mistake::MissingValue)),
        }
    }

    /// The word just read as a number.
    fn number(&mut self) -> Step<u32> {
        match parse_u32(self.word) {
            Some(number) => Ok(number),
            None => Err(self.fail(Mistake::NotANumber)),
        }
    }

    /// The word just read as a table: by number or as `main`, `local`, `default`.
    fn table(&mut self) -> Step<u32> {
        match keyword(self.word) {
            Keyword::Main => Ok(RT_TABLE_MAIN),
            Keyword::Local => Ok(RT_TABLE_LOCAL),
            Keyword::Default => Ok(RT_TABLE_DEFAULT),
            _ => match parse_u32(self.word) {
                Some(0) | None => Err(self.fail(Mistake::NotATable)),
                Some(number) => Ok(number),
            },
        }
    }

    /// The word just read as a mark: `M` or `M/MASK`.
    fn mark(&mut self) -> Step<(u32, Option<u32>)> {
        let word = self.word;
        let (mark, mask) = match word.iter().position(|&b| b == b'/') {
            Some(slash) => (&word[..slash], Some(&word[slash + 1..])),
            None => (word, None),
        };
        match (parse_u32(mark), mask.map(parse_u32)) {
            (Some(mark), None) => Ok((mark, None)),
            (Some(mark), Some(Some(mask))) => Ok((mark, Some(mask))),
            _ => Err(self.fail(Mistake::NotAMark)),
        }
    }

    /// The word just read as an interface name: at most 15 bytes (IFNAMSIZ less the NUL),
    /// no `/`, and no NUL, up to which the kernel would read it.
    fn device(&mut self) -> Step<&'a [u8]> {
        let word = self.word;
        if word.is_empty() || word.len() > 15 || word.iter().any(|&b| b == b'/' || b == 0) {
            return Err(self.fail(Mistake::NotAName));
        }
        Ok(word)
    }

    /// The word just read as a route protocol: by number or by the names `ip` knows for the
    /// common ones.
    fn protocol(&mut self) -> Step<u8> {
        const NAMES: &[u8] = b"kernel boot static ra dhcp";
        const NUMBERS: [u8; 5] = [2, 3, 4, 9, 16];
        let number = match NAMES
            .split(|&b| b == b' ')
            .position(|name| name == self.word)
        {
            Some(at) => u32::from(NUMBERS[at]),
            None => parse_u32(self.word).unwrap_or(256),
        };
        match u8::try_from(number) {
            Ok(number) => Ok(number),
            Err(_) => Err(self.fail(Mistake::NotAProtocol)),
        }
    }
}

/// Parses one command: the words after `routes` (or one batch line's words), `-4`/`-6`
/// included. `default_family` is the `-4`/`-6` given on the command line, for lines that
/// name none. A rule or route is written into `request`.
pub fn parse<'a>(
    words: &[&'a [u8]],
    default_family: Option<Family>,
    request: &mut Request<'a>,
) -> Result<Command<'a>, SyntaxError<'a>> {
    let mut parser = Parser {
        words,
        next: 0,
        word: b"",
        seen: 0,
        error: SyntaxError {
            mistake: Mistake::MissingCommand,
            word: b"",
        },
    };
    command(&mut parser, default_family, request).map_err(|Failed| parser.error)
}

fn command<'a>(
    p: &mut Parser<'_, 'a>,
    mut family: Option<Family>,
    request: &mut Request<'a>,
) -> Step<Command<'a>> {
    loop {
        let object = match p.next()? {
            Keyword::Four => {
                family = Some(Family::V4);
                continue;
            }
            Keyword::Six => {
                family = Some(Family::V6);
                continue;
            }
            Keyword::Rule => Object::Rule,
            Keyword::Route => Object::Route,
            Keyword::GluonWan => return gluon_wan(p, family),
            Keyword::End => return Err(p.fail(Mistake::MissingCommand)),
            _ => return Err(p.fail(Mistake::UnknownCommand)),
        };
        rule_or_route(p, object, family, request)?;
        return Ok(Command::Request);
    }
}

/// `rule add|del [not] [from PREFIX] [to PREFIX] [fwmark M[/MASK]] [iif DEV] [oif DEV]
/// lookup TABLE pref N`, or `route add|replace|del [TYPE] PREFIX|default [via ADDR]
/// [dev DEV] [table T] [metric N] [proto P]`, written into `request`.
fn rule_or_route<'a>(
    p: &mut Parser<'_, 'a>,
    object: Object,
    asked: Option<Family>,
    request: &mut Request<'a>,
) -> Step<()> {
    let route = object == Object::Route;
    let delete = match p.next()? {
        Keyword::Add => false,
        Keyword::Delete => true,
        Keyword::Replace if route => false,
        Keyword::End => return Err(p.fail(Mistake::MissingVerb)),
        _ => return Err(p.fail(Mistake::UnknownVerb)),
    };
    request.reset(object, delete);
    if route {
        request.set_body(4, RT_TABLE_MAIN as u8);
    }
    // The family the addresses tell, checked against `-4`/`-6` and each other as they come.
    let mut told: Option<Family> = None;
    let mut has_destination = false;
    // Where the `::` written for `default` lies, to be cut if the line is IPv4.
    let mut default_destination_at = None;
    // `RTN_*`; 0 while the line names none.
    let mut kind = 0;
    let mut proto = None;
    let mut dev: &[u8] = b"";
    loop {
        let meaning = p.next()?;
        let typed = route && !has_destination && kind == 0;
        let mut address: Option<Addr> = None;
        match meaning {
            Keyword::End => break,
            Keyword::Unicast if typed => kind = RTN_UNICAST,
            Keyword::Unreachable if typed => kind = RTN_UNREACHABLE,
            Keyword::Blackhole if typed => kind = RTN_BLACKHOLE,
            Keyword::Prohibit if typed => kind = RTN_PROHIBIT,
            Keyword::Lookup => {
                p.value()?;
                let table = p.table()?;
                // Tables up to 255 go in the body's byte, larger ones in an attribute (with
                // 0, `RT_TABLE_UNSPEC`, in the byte), as `ip` sends them.
                let byte = u8::try_from(table).unwrap_or(0);
                request.set_body(4, byte);
                if byte == 0 {
                    request.attribute_u32(RTA_TABLE, table);
                }
            }
            Keyword::Pref | Keyword::Metric if route || meaning == Keyword::Pref => {
                p.value()?;
                request.attribute_u32(RTA_PRIORITY, p.number()?);
            }
            Keyword::Dev | Keyword::Oif if route => {
                p.value()?;
                dev = p.device()?;
            }
            Keyword::Iif | Keyword::Dev | Keyword::Oif if !route => {
                p.value()?;
                let name = p.device()?;
                // The name and its NUL.
                let mut value = [0u8; 16];
                value[..name.len()].copy_from_slice(name);
                let attribute = if meaning == Keyword::Oif {
                    FRA_OIFNAME
                } else {
                    FRA_IIFNAME
                };
                request.attribute(attribute, &value[..name.len() + 1]);
            }
            Keyword::Not if !route => {
                // `FIB_RULE_INVERT` in the flags, a host-order u32 at byte 8.
                let flags = FIB_RULE_INVERT.to_ne_bytes();
                for (at, byte) in flags.into_iter().enumerate() {
                    request.set_body(8 + at, byte);
                }
            }
            Keyword::Fwmark if !route => {
                p.value()?;
                let (fwmark, fwmask) = p.mark()?;
                request.attribute_u32(FRA_FWMARK, fwmark);
                if let Some(fwmask) = fwmask {
                    request.attribute_u32(FRA_FWMASK, fwmask);
                }
            }
            Keyword::Via if route => {
                let via = p.value()?;
                let Some(addr) = parse_addr(via) else {
                    return Err(p.fail(Mistake::NotAnAddress));
                };
                request.attribute(RTA_GATEWAY, addr.octets());
                address = Some(addr);
            }
            Keyword::Proto if route => {
                p.value()?;
                proto = Some(p.protocol()?);
            }
            _ if (route && !has_destination)
                || (!route && matches!(meaning, Keyword::From | Keyword::To)) =>
            {
                // A route's destination, a rule's source or destination: `from` is the
                // source (`src_len` is the body's byte 2), the rest destinations (byte 1).
                let (attribute, len_at) = if route {
                    has_destination = true;
                    (RTA_DST, 1)
                } else if meaning == Keyword::From {
                    p.value()?;
                    (FRA_SRC, 2)
                } else {
                    p.value()?;
                    (FRA_DST, 1)
                };
                if matches!(keyword(p.word), Keyword::Default | Keyword::Any) {
                    // `ip` names the IPv6 default route's destination (`::`) and leaves
                    // IPv4's out; which it is may be told by a later word.
                    if route {
                        default_destination_at = Some(request.end());
                        request.attribute(RTA_DST, &[0; 16]);
                    }
                } else {
                    let Some(prefix) = parse_prefix(p.word) else {
                        return Err(p.fail(Mistake::NotAPrefix));
                    };
                    request.set_body(len_at, prefix.len);
                    request.attribute(attribute, prefix.addr.octets());
                    address = Some(prefix.addr);
                }
            }
            _ if route => return Err(p.fail(Mistake::UnknownRouteWord)),
            _ => return Err(p.fail(Mistake::UnknownRuleWord)),
        }
        if let Some(address) = address {
            if told.is_some_and(|told| told != address.family) {
                return Err(p.fail(Mistake::BothFamilies));
            }
            if asked.is_some_and(|asked| asked != address.family) {
                return Err(p.fail(Mistake::FamilyMismatch));
            }
            told = Some(address.family);
        }
    }
    let family = told.or(asked).unwrap_or(Family::V4);
    request.family = family;
    if route {
        // A route is complete: its checks, the device, and `ip`'s defaults for type,
        // protocol and scope.
        if !has_destination {
            return Err(p.fail(Mistake::RouteWithoutDestination));
        }
        if let (Some(at), Family::V4) = (default_destination_at, family) {
            request.cut(at);
        }
        let gateway = p.seen & bit(Keyword::Via) != 0;
        if gateway && kind != 0 && kind != RTN_UNICAST {
            return Err(p.fail_at(Mistake::GatewayNotUnicast, b"via"));
        }
        if !dev.is_empty() {
            request.device(dev);
        }
        if kind == 0 && !delete {
            kind = RTN_UNICAST;
        }
        let unicast = kind == RTN_UNICAST || kind == 0;
        request.set_body(5, proto.unwrap_or(if delete { 0 } else { RTPROT_BOOT }));
        let scope = match family {
            Family::V4 if unicast && delete => RT_SCOPE_NOWHERE,
            Family::V4 if unicast && !gateway => RT_SCOPE_LINK,
            _ => RT_SCOPE_UNIVERSE,
        };
        request.set_body(6, scope);
    } else {
        kind = finish_rule(p, delete)?;
    }
    request.set_body(0, family.af());
    // A route's type, a rule's action.
    request.set_body(7, kind);
    Ok(())
}

/// Completes a rule: its checks. Returns its action.
fn finish_rule(p: &mut Parser<'_, '_>, delete: bool) -> Step<u8> {
    if p.seen & bit(Keyword::Pref) == 0 {
        return Err(p.fail(Mistake::RuleWithoutPref));
    }
    if !delete && p.seen & bit(Keyword::Lookup) == 0 {
        return Err(p.fail(Mistake::RuleWithoutTable));
    }
    Ok(if delete { 0 } else { FR_ACT_TO_TBL })
}

fn gluon_wan<'a>(p: &mut Parser<'_, 'a>, asked: Option<Family>) -> Step<Command<'a>> {
    let action = match p.next()? {
        Keyword::Up => GluonAction::Up,
        Keyword::Down => GluonAction::Down,
        Keyword::Check => GluonAction::Check,
        Keyword::End => return Err(p.fail(Mistake::MissingGluonAction)),
        _ => return Err(p.fail(Mistake::UnknownGluonAction)),
    };
    let mut wan = GluonWan {
        action,
        table: b"1",
        fwmark: b"0x1/0x1",
        pref: b"1",
        v4: asked == Some(Family::V4),
        v6: asked != Some(Family::V4),
    };
    // One family choice per line: before the command or after the action, once.
    let mut family_given = asked.is_some();
    loop {
        let keyword = p.next()?;
        if matches!(keyword, Keyword::Four | Keyword::Six | Keyword::FourSix) {
            if family_given {
                return Err(p.fail(Mistake::GivenTwice));
            }
            family_given = true;
        }
        match keyword {
            Keyword::OptionTable => {
                wan.table = p.value()?;
                p.table()?;
            }
            Keyword::OptionFwmark => {
                wan.fwmark = p.value()?;
                p.mark()?;
            }
            Keyword::OptionPref => {
                wan.pref = p.value()?;
                p.number()?;
            }
            Keyword::Four => (wan.v4, wan.v6) = (true, false),
            Keyword::Six => (wan.v4, wan.v6) = (false, true),
            Keyword::FourSix => (wan.v4, wan.v6) = (true, true),
            Keyword::End => return Ok(Command::GluonWan(wan)),
            _ => return Err(p.fail(Mistake::UnknownGluonOption)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::{FRA_PRIORITY, Fields, RTA_OIF};

    /// Parses `line`: the command, and the request it wrote.
    fn parse_line(line: &str) -> (Result<Command<'_>, SyntaxError<'_>>, Request<'_>) {
        let words: Vec<&[u8]> = line.split_whitespace().map(str::as_bytes).collect();
        let mut request = Request::new(Object::Rule, false);
        (parse(&words, None, &mut request), request)
    }

    fn request_of(line: &str) -> Request<'_> {
        match parse_line(line) {
            (Ok(Command::Request), request) => request,
            (other, _) => panic!("{line}: {other:?}"),
        }
    }

    /// The request's object, whether it deletes, its family, and its parsed form.
    fn check<'r>(
        request: &'r Request<'_>,
        object: Object,
        delete: bool,
        family: Family,
    ) -> Fields<'r> {
        assert_eq!(
            (request.object, request.delete, request.family),
            (object, delete, family)
        );
        let fields = request.fields();
        assert_eq!(fields.body[0], family.af());
        fields
    }

    fn message_of(line: &str) -> &'static str {
        match parse_line(line).0 {
            Err(err) => err.mistake.message(),
            Ok(command) => panic!("{line}: accepted as {command:?}"),
        }
    }

    #[test]
    fn every_word_is_known_by_its_meaning() {
        assert_eq!(WORDS.split(|&b| b == b' ').count(), MEANINGS.len());
        assert_eq!(keyword(b"preference"), Keyword::Pref);
        assert_eq!(keyword(b"any"), Keyword::Any);
        assert_eq!(keyword(b"-4"), Keyword::Four);
        assert_eq!(keyword(b""), Keyword::Other);
        assert_eq!(keyword(b"x"), Keyword::Other);
        assert_eq!(keyword(b"ru"), Keyword::Other);
    }

    #[test]
    fn the_gluon_rule() {
        let request = request_of("-6 rule add fwmark 0x1/0x1 lookup 1 pref 1");
        let rule = check(&request, Object::Rule, false, Family::V6);
        assert_eq!(
            (rule.number(FRA_FWMARK), rule.number(FRA_FWMASK)),
            (Some(1), Some(1))
        );
        assert_eq!((rule.table(), rule.number(FRA_PRIORITY)), (1, Some(1)));
        assert_eq!(rule.body[7], FR_ACT_TO_TBL);
    }

    #[test]
    fn rule_words_and_synonyms() {
        let mixed = parse_line("rule del from 10.0.0.0/8 to 2001:db8::1 pref 1").0;
        assert_eq!(
            mixed,
            Err(SyntaxError {
                mistake: Mistake::BothFamilies,
                word: b"2001:db8::1"
            })
        );
        let request = request_of(
            "rule del not from 10.0.0.0/8 to 192.0.2.1 fwmark 010 iif wan oif br-wan table main priority 0x10",
        );
        let rule = check(&request, Object::Rule, true, Family::V4);
        assert_eq!(
            u32::from_ne_bytes(rule.body[8..12].try_into().unwrap()),
            FIB_RULE_INVERT
        );
        assert_eq!((rule.body[2], rule.body[1]), (8, 32));
        assert_eq!(rule.get(FRA_SRC), Some(&[10, 0, 0, 0][..]));
        assert_eq!(
            (rule.number(FRA_FWMARK), rule.get(FRA_FWMASK)),
            (Some(8), None)
        );
        assert_eq!(
            (rule.name(FRA_IIFNAME), rule.name(FRA_OIFNAME)),
            (Some(&b"wan"[..]), Some(&b"br-wan"[..]))
        );
        assert_eq!((rule.table(), rule.number(FRA_PRIORITY)), (254, Some(16)));
        assert_eq!(rule.body[7], 0, "a delete leaves the action open");
        assert_eq!(
            request_of("rule add lookup local preference 5")
                .fields()
                .table(),
            255
        );
        assert_eq!(
            request_of("rule add lookup default pref 5")
                .fields()
                .table(),
            253
        );
        assert_eq!(
            request_of("rule add lookup 1000 pref 5").fields().table(),
            1000
        );
        assert_eq!(message_of("rule add pref 1 lookup 1 pref 2"), "given twice");
    }

    #[test]
    fn rule_family_from_addresses_then_flag_then_ipv4() {
        assert_eq!(
            request_of("rule add from ::/0 lookup 1 pref 1").family,
            Family::V6
        );
        assert_eq!(request_of("-6 rule add lookup 1 pref 1").family, Family::V6);
        assert_eq!(request_of("rule add lookup 1 pref 1").family, Family::V4);
        let words: Vec<&[u8]> = "rule add lookup 1 pref 1"
            .split_whitespace()
            .map(str::as_bytes)
            .collect();
        let mut request = Request::new(Object::Route, true);
        assert_eq!(
            parse(&words, Some(Family::V6), &mut request),
            Ok(Command::Request)
        );
        assert_eq!(request.family, Family::V6);
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
        assert_eq!(request_of("rule del fwmark 1 pref 1").fields().table(), 0);
    }

    #[test]
    fn routes_of_every_type() {
        let request = request_of("-6 route add unreachable default dev lo table 1 metric 65535");
        let route = check(&request, Object::Route, false, Family::V6);
        assert_eq!(route.body[7], RTN_UNREACHABLE);
        assert_eq!(route.body[1], 0);
        assert_eq!(route.get(RTA_DST), Some(&[0; 16][..]));
        assert_eq!(request.dev, b"lo");
        assert_eq!(
            (route.table(), route.number(RTA_PRIORITY)),
            (1, Some(65535))
        );

        let request = request_of(
            "route replace 192.0.2.0/24 via 10.0.0.1 dev wan table 1000 metric 10 proto static",
        );
        let route = check(&request, Object::Route, false, Family::V4);
        assert_eq!(route.body[7], RTN_UNICAST);
        assert_eq!(route.get(RTA_GATEWAY), Some(&[10, 0, 0, 1][..]));
        assert_eq!((route.table(), route.body[5]), (1000, 4));
        assert_eq!(request.dev, b"wan");

        let request = request_of("route del blackhole 198.51.100.0/24");
        assert_eq!(
            check(&request, Object::Route, true, Family::V4).body[7],
            RTN_BLACKHOLE
        );
        assert_eq!(
            request_of("route add prohibit default").fields().body[7],
            RTN_PROHIBIT
        );
        // The family told by a later word; IPv4's default has no destination attribute.
        let request = request_of("route add default via fe80::1 dev wan");
        assert_eq!(request.family, Family::V6);
        assert_eq!(request.fields().get(RTA_DST), Some(&[0; 16][..]));
        let request = request_of("route add default via 10.0.0.1 dev wan table 7");
        let route = request.fields();
        assert_eq!(route.get(RTA_DST), None);
        assert_eq!(
            (route.get(RTA_GATEWAY), route.table()),
            (Some(&[10, 0, 0, 1][..]), 7)
        );
        assert_eq!(
            route.number(RTA_OIF),
            Some(0),
            "the index is filled in later"
        );
        assert_eq!(
            request_of("route add unicast default dev wan")
                .fields()
                .table(),
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
        assert_eq!(message_of("route add default via"), "a value must follow");
        assert_eq!(
            message_of("route add default via 10.0.0.1 via 10.0.0.2"),
            "given twice"
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
        assert_eq!(
            message_of("rule add metric 1 lookup 1 pref 1"),
            "unknown word in a rule"
        );
        assert_eq!(
            message_of("route add default fwmark 1"),
            "unknown word in a route"
        );
        assert_eq!(
            message_of("route add default from 10.0.0.0/8"),
            "unknown word in a route"
        );
        assert_eq!(
            message_of("route add from 10.0.0.0/8"),
            "not an address or prefix"
        );
        assert_eq!(message_of("rule replace lookup 1 pref 1"), "unknown verb");
    }

    fn wan_of(line: &str) -> GluonWan<'_> {
        match parse_line(line).0 {
            Ok(Command::GluonWan(wan)) => wan,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn gluon_wan_defaults_and_options() {
        let wan = wan_of("gluon-wan up");
        assert_eq!(
            wan,
            GluonWan {
                action: GluonAction::Up,
                table: b"1",
                fwmark: b"0x1/0x1",
                pref: b"1",
                v4: false,
                v6: true
            }
        );
        let wan = wan_of("gluon-wan check --table 7 --fwmark 0x10/0xf0 --pref 3 -46");
        assert_eq!(
            (wan.table, wan.fwmark, wan.pref, wan.v4, wan.v6),
            (&b"7"[..], &b"0x10/0xf0"[..], &b"3"[..], true, true)
        );
        let wan = wan_of("-4 gluon-wan down");
        assert!(wan.v4 && !wan.v6);
        assert_eq!(
            message_of("gluon-wan sideways"),
            "unknown gluon-wan action (up, down, check)"
        );
        assert_eq!(
            message_of("gluon-wan up --mark 1"),
            "unknown gluon-wan option"
        );
        assert_eq!(
            message_of("gluon-wan up --table x"),
            "not a table (a number from 1, main, local, default)"
        );
        assert_eq!(
            message_of("gluon-wan up --fwmark 1/"),
            "not a mark (M or M/MASK)"
        );
        assert_eq!(message_of("gluon-wan up --pref"), "a value must follow");
    }

    /// The preset's lines, parsed as any line is.
    fn requests(wan: &GluonWan<'_>, family: Family) -> Vec<Request<'static>> {
        wan.lines(family)
            .iter()
            .map(|(words, len)| {
                let words: Vec<&'static [u8]> = words[..*len]
                    .iter()
                    .map(|w| &*Vec::leak(w.to_vec()))
                    .collect();
                let mut request = Request::new(Object::Rule, false);
                assert_eq!(
                    parse(&words, Some(family), &mut request),
                    Ok(Command::Request)
                );
                request
            })
            .collect()
    }

    #[test]
    fn the_gluon_policy_as_requests() {
        let wan = wan_of("gluon-wan up -46");
        assert_eq!(wan.families().collect::<Vec<_>>(), [Family::V6, Family::V4]);
        // A second family choice is a mistake, not a silent override.
        for line in [
            "gluon-wan up -4 -6",
            "-4 gluon-wan up -6",
            "gluon-wan up -46 -4",
        ] {
            assert_eq!(message_of(line), "given twice", "{line}");
        }
        let v4 = requests(&wan, Family::V4);
        let rule = check(&v4[0], Object::Rule, false, Family::V4);
        assert_eq!(
            (rule.number(FRA_PRIORITY), rule.number(FRA_FWMARK)),
            (Some(1), Some(1))
        );
        let route = check(&v4[1], Object::Route, false, Family::V4);
        assert_eq!(v4[1].dev, b"");
        assert_eq!(
            (route.body[7], route.number(RTA_PRIORITY)),
            (RTN_UNREACHABLE, Some(FALLBACK_METRIC))
        );
        let down = GluonWan {
            action: GluonAction::Down,
            ..wan
        };
        let v6 = requests(&down, Family::V6);
        check(&v6[0], Object::Rule, true, Family::V6);
        check(&v6[1], Object::Route, true, Family::V6);
        assert_eq!(v6[1].dev, b"lo");
    }
}
