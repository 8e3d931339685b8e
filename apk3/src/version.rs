//! The versions and names apk takes. apk refuses a package whose version it cannot read, so
//! they are checked before anything is written.

/// A version as apk reads one: `digits{.digits}[letter]{_suffix[digits]}[~hash][-rdigits]`,
/// the suffixes those apk knows (`0.1.0-r1`, `1.2_rc3`, `2.0_git20260101-r4`). Not
/// `0.1.0-1`, `0.1.0+git`.
pub fn is_valid(version: &str) -> bool {
    let mut rest = version;
    let digits = |s: &mut &str| -> bool {
        let n = s.bytes().take_while(u8::is_ascii_digit).count();
        *s = &s[n..];
        n > 0
    };
    if !digits(&mut rest) {
        return false;
    }
    while let Some(after) = rest.strip_prefix('.') {
        rest = after;
        if !digits(&mut rest) {
            return false;
        }
    }
    if rest.starts_with(|c: char| c.is_ascii_lowercase()) {
        rest = &rest[1..];
    }
    while let Some(after) = rest.strip_prefix('_') {
        let name_len = after.bytes().take_while(u8::is_ascii_lowercase).count();
        if !SUFFIXES.contains(&&after[..name_len]) {
            return false;
        }
        rest = &after[name_len..];
        digits(&mut rest);
    }
    if let Some(after) = rest.strip_prefix('~') {
        let n = after.bytes().take_while(u8::is_ascii_hexdigit).count();
        if n == 0 {
            return false;
        }
        rest = &after[n..];
    }
    if let Some(after) = rest.strip_prefix("-r") {
        rest = after;
        if !digits(&mut rest) {
            return false;
        }
    }
    rest.is_empty()
}

/// The suffixes apk orders (`_alpha` before none before `_p`).
const SUFFIXES: &[&str] = &["alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"];

/// A package name apk takes: a letter or digit, then letters, digits and `+-._`.
pub fn is_valid_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-._".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_apk_takes_and_refuses() {
        for good in [
            "0.1.0-r1",
            "1",
            "1.2a",
            "1.2_rc3",
            "2.0_git20260101-r4",
            "1_p",
            "3~abc-r0",
        ] {
            assert!(is_valid(good), "{good}");
        }
        for bad in [
            "",
            "0.1.0-1",
            "0.1.0+git",
            "v1",
            "1.",
            "1..2",
            "1_foo",
            "1-r",
            "1~",
            "1.2-r1x",
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
    }

    #[test]
    fn names_apk_takes_and_refuses() {
        assert!(is_valid_name("gluon-wan-dns54"));
        assert!(is_valid_name("libstdc++6"));
        assert!(!is_valid_name("-x"));
        assert!(!is_valid_name(""));
        assert!(!is_valid_name("a b"));
    }
}
