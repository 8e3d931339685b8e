//! What the environment asks for: pure functions over the variables' bytes.

/// What to do with the IPv4 and IPv6 sockets of the process.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Action {
    /// `LIBPACKETMARK_MARK` unset or 0: nothing at all, not even a syscall.
    Off,
    /// Set this mark.
    Mark(u32),
    /// Set, but not a number that fits a mark: the intent to mark is clear, the value is not.
    Invalid,
}

/// The whole configuration.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Config {
    pub action: Action,
    /// `LIBPACKETMARK_ON_ERROR=ignore`: keep an unmarked socket rather than fail the call
    /// (the C library's behaviour). Any other value, or none, fails closed.
    pub ignore_errors: bool,
}

impl Config {
    /// From the values of `LIBPACKETMARK_MARK` and `LIBPACKETMARK_ON_ERROR`.
    pub fn from_env(mark: Option<&[u8]>, on_error: Option<&[u8]>) -> Config {
        let action = match mark.map(parse_mark) {
            None | Some(Some(0)) => Action::Off,
            Some(Some(mark)) => Action::Mark(mark),
            Some(None) => Action::Invalid,
        };
        Config {
            action,
            ignore_errors: on_error.is_some_and(is_ignore),
        }
    }
}

/// Whether the value is exactly `ignore`. Compared as two words rather than as a slice,
/// which the compiler turns into a `bcmp` call that the preload would have to import.
fn is_ignore(value: &[u8]) -> bool {
    match value {
        [a, b, c, d, e, f] => {
            u32::from_ne_bytes([*a, *b, *c, *d]) == u32::from_ne_bytes(*b"igno")
                && u16::from_ne_bytes([*e, *f]) == u16::from_ne_bytes(*b"re")
        }
        _ => false,
    }
}

/// A mark as fastd and netifd write them (C's `strtoul` with base 0, but strict): decimal,
/// `0x`/`0X` hexadecimal, or octal with a leading `0`; at most `0xffffffff`. No sign, no
/// blanks, no trailing characters; an empty value is no number.
pub fn parse_mark(text: &[u8]) -> Option<u32> {
    let (digits, radix) = match text {
        [b'0', b'x' | b'X', rest @ ..] => (rest, 16),
        [b'0', rest @ ..] if !rest.is_empty() => (rest, 8),
        _ => (text, 10),
    };
    if digits.is_empty() {
        return None;
    }
    let mut value: u32 = 0;
    for &byte in digits {
        // Not `char::to_digit`: its general radix handling costs bytes in the shipped library.
        let digit = match byte {
            b'0'..=b'9' => byte - b'0',
            b'a'..=b'f' => byte - b'a' + 10,
            b'A'..=b'F' => byte - b'A' + 10,
            _ => return None,
        };
        if u32::from(digit) >= radix {
            return None;
        }
        value = value.checked_mul(radix)?.checked_add(u32::from(digit))?;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_hex_and_octal() {
        assert_eq!(parse_mark(b"1"), Some(1));
        assert_eq!(parse_mark(b"42"), Some(42));
        assert_eq!(parse_mark(b"0x2a"), Some(42));
        assert_eq!(parse_mark(b"0X2A"), Some(42));
        assert_eq!(parse_mark(b"052"), Some(42));
        assert_eq!(parse_mark(b"0"), Some(0));
        assert_eq!(parse_mark(b"00"), Some(0));
        assert_eq!(parse_mark(b"0x0"), Some(0));
    }

    #[test]
    fn the_full_32_bits_and_no_more() {
        assert_eq!(parse_mark(b"4294967295"), Some(u32::MAX));
        assert_eq!(parse_mark(b"0xffffffff"), Some(u32::MAX));
        assert_eq!(parse_mark(b"037777777777"), Some(u32::MAX));
        assert_eq!(parse_mark(b"4294967296"), None);
        assert_eq!(parse_mark(b"0x100000000"), None);
        assert_eq!(parse_mark(b"040000000000"), None);
        assert_eq!(parse_mark(b"99999999999999999999999"), None);
    }

    #[test]
    fn garbage_is_no_mark() {
        for bad in [
            &b""[..],
            b"x",
            b"0x",
            b"-1",
            b"+1",
            b" 1",
            b"1 ",
            b"12abc",
            b"08",
            b"0xg",
            b"1.0",
            b"\xff",
        ] {
            assert_eq!(parse_mark(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn configuration_from_the_environment() {
        let off = Config {
            action: Action::Off,
            ignore_errors: false,
        };
        assert_eq!(Config::from_env(None, None), off);
        assert_eq!(Config::from_env(Some(b"0"), None), off);
        assert_eq!(
            Config::from_env(Some(b"0x10"), None).action,
            Action::Mark(16)
        );
        assert_eq!(Config::from_env(Some(b""), None).action, Action::Invalid);
        assert_eq!(Config::from_env(Some(b"wan"), None).action, Action::Invalid);
        assert!(Config::from_env(Some(b"1"), Some(b"ignore")).ignore_errors);
        assert!(!Config::from_env(Some(b"1"), Some(b"")).ignore_errors);
        assert!(!Config::from_env(Some(b"1"), Some(b"IGNORE")).ignore_errors);
    }
}
