//! Numbers as the tools read them from the command line, the environment and files: the one
//! parser of marks, tables and priorities for every tool of the project.

/// Whether `bytes` holds `byte`. Not `<[u8]>::contains`, which brings in a word-at-a-time
/// `memchr` (356 B on MIPS) for searches of a few bytes.
#[allow(clippy::manual_contains)]
pub fn has_byte(bytes: &[u8], byte: u8) -> bool {
    bytes.iter().any(|&b| b == byte)
}

/// How many bytes of `text` its whole lines take: up to and with its last newline (0 when
/// it has none).
pub fn whole_lines(text: &[u8]) -> usize {
    text.iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |newline| newline + 1)
}

/// A number as fastd and netifd write marks (C's `strtoul` with base 0, but strict): decimal,
/// `0x`/`0X` hexadecimal, or octal with a leading `0`; at most `0xffffffff`. No sign, no
/// blanks, no trailing characters; an empty value is no number.
pub fn parse_u32(text: &[u8]) -> Option<u32> {
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

/// A plain decimal number, as addresses, prefixes and IDs are written: digits only, at most
/// `u32::MAX`.
pub fn parse_decimal(text: &[u8]) -> Option<u32> {
    if text.is_empty() {
        return None;
    }
    text.iter().try_fold(0u32, |value, &byte| {
        let digit = byte.checked_sub(b'0').filter(|d| *d < 10)?;
        value.checked_mul(10)?.checked_add(u32::from(digit))
    })
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    #[test]
    fn whole_lines_end_at_the_last_newline() {
        assert_eq!(whole_lines(b"a\nb\nc"), 4);
        assert_eq!(whole_lines(b"a\n"), 2);
        assert_eq!(whole_lines(b"no newline"), 0);
        assert_eq!(whole_lines(b""), 0);
    }
    use std::string::String;

    #[test]
    fn a_byte_is_found_or_not() {
        assert!(has_byte(b"fe80::1", b':'));
        assert!(has_byte(b"lo\0", 0));
        assert!(!has_byte(b"192.0.2.1", b':'));
        assert!(!has_byte(b"", 0));
    }

    #[test]
    fn decimal_hex_and_octal() {
        assert_eq!(parse_u32(b"1"), Some(1));
        assert_eq!(parse_u32(b"42"), Some(42));
        assert_eq!(parse_u32(b"0x2a"), Some(42));
        assert_eq!(parse_u32(b"0X2A"), Some(42));
        assert_eq!(parse_u32(b"052"), Some(42));
        assert_eq!(parse_u32(b"0"), Some(0));
        assert_eq!(parse_u32(b"00"), Some(0));
        assert_eq!(parse_u32(b"0x0"), Some(0));
    }

    #[test]
    fn the_full_32_bits_and_no_more() {
        assert_eq!(parse_u32(b"4294967295"), Some(u32::MAX));
        assert_eq!(parse_u32(b"0xffffffff"), Some(u32::MAX));
        assert_eq!(parse_u32(b"037777777777"), Some(u32::MAX));
        assert_eq!(parse_u32(b"4294967296"), None);
        assert_eq!(parse_u32(b"0x100000000"), None);
        assert_eq!(parse_u32(b"040000000000"), None);
        assert_eq!(parse_u32(b"99999999999999999999999"), None);
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
            assert_eq!(parse_u32(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn decimal_numbers() {
        assert_eq!(parse_decimal(b"0"), Some(0));
        assert_eq!(parse_decimal(b"4294967295"), Some(u32::MAX));
        assert_eq!(parse_decimal(b"4294967296"), None);
        assert_eq!(parse_decimal(b"-1"), None);
        assert_eq!(parse_decimal(b""), None);
    }
}
