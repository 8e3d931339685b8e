//! The lines of a batch: what would follow `routes` on a command line, one command a line;
//! blank lines and `#` comments are skipped.

/// The words of one line, up to a `#` that starts a word (the rest is a comment).
pub fn words(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|b| b.is_ascii_whitespace())
        .filter(|word| !word.is_empty())
        .take_while(|word| word[0] != b'#')
}

/// Puts the words of `line` into `slots`; returns how many, or `None` if there are more
/// words than slots.
pub fn split<'a>(line: &'a [u8], slots: &mut [&'a [u8]]) -> Option<usize> {
    let mut count = 0;
    for word in words(line) {
        *slots.get_mut(count)? = word;
        count += 1;
    }
    Some(count)
}

/// Whether a line holds a command (not blank, not only a comment).
pub fn has_command(line: &[u8]) -> bool {
    words(line).next().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_stop_at_a_comment() {
        let line = b"  -6 rule add\tfwmark 1 lookup 1 pref 1 # Gluon's rule";
        let got: Vec<&[u8]> = words(line).collect();
        assert_eq!(got.len(), 9);
        assert_eq!(got[8], b"1");
        assert!(!has_command(b"   "));
        assert!(!has_command(b"# only a comment"));
        assert!(!has_command(b""));
        assert!(has_command(b"gluon-wan up"));
        // A `#` inside a word is part of it, as in `ip -batch`.
        assert_eq!(words(b"a#b c").count(), 2);
    }

    #[test]
    fn split_into_slots() {
        let mut slots = [&b""[..]; 3];
        assert_eq!(split(b"a b # c d", &mut slots), Some(2));
        assert_eq!(slots[..2], [&b"a"[..], b"b"]);
        assert_eq!(split(b"a b c d", &mut slots), None);
    }
}
