//! What the environment asks for: pure functions over the variables' bytes.

use sys::text::parse_u32;

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
        let action = match mark.map(parse_u32) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
