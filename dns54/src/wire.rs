//! The DNS wire format, as much of it as a forwarder reads (RFC 1035): the header, the one
//! question, and the local answers it gives itself. Pure functions over the message's bytes,
//! which are untrusted: every read is checked, names are followed through compression
//! pointers only backwards, at most 255 bytes long, in labels of at most 63.

/// The fixed header: ID, flags, and the four section counts.
pub const HEADER_LEN: usize = 12;

/// Response codes (RFC 1035 4.1.1).
pub const NOERROR: u8 = 0;
pub const FORMERR: u8 = 1;
pub const SERVFAIL: u8 = 2;
pub const NXDOMAIN: u8 = 3;
pub const NOTIMP: u8 = 4;
pub const REFUSED: u8 = 5;

/// The longest name, in wire form with its final zero (RFC 1035 3.1).
const MAX_NAME: usize = 255;
/// The longest label.
const MAX_LABEL: usize = 63;

const QR: u16 = 0x8000;
const OPCODE: u16 = 0x7800;
const TC: u16 = 0x0200;
const RD: u16 = 0x0100;
const RA: u16 = 0x0080;
const CD: u16 = 0x0010;
const RCODE: u16 = 0x000f;

fn u16_at(message: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([
        *message.get(at)?,
        *message.get(at + 1)?,
    ]))
}

/// The message's ID (0 if it is shorter than that).
pub fn id(message: &[u8]) -> u16 {
    u16_at(message, 0).unwrap_or(0)
}

/// Sets the message's ID.
pub fn set_id(message: &mut [u8], id: u16) {
    if let Some(bytes) = message.get_mut(..2) {
        bytes.copy_from_slice(&id.to_be_bytes());
    }
}

fn flags(message: &[u8]) -> u16 {
    u16_at(message, 2).unwrap_or(0)
}

/// Whether the message is a response (QR set).
pub fn is_response(message: &[u8]) -> bool {
    flags(message) & QR != 0
}

/// Whether the message says it was truncated (TC).
pub fn is_truncated(message: &[u8]) -> bool {
    flags(message) & TC != 0
}

/// The message's response code (the header's four bits; no EDNS extension).
pub fn rcode(message: &[u8]) -> u8 {
    (flags(message) & RCODE) as u8
}

/// The question section's count.
fn question_count(message: &[u8]) -> u16 {
    u16_at(message, 4).unwrap_or(0)
}

/// Bytes that are not a well-formed DNS message, or not one we can match.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Malformed;

/// The one question of a message: where its name starts, where the question ends (after type
/// and class), and its type and class.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Question {
    pub name_at: usize,
    pub end: usize,
    pub qtype: u16,
    pub qclass: u16,
}

/// The labels of the name at `at`, followed through compression pointers; and, once they
/// end, where the name's bytes end at `at` (after its zero or its first pointer).
struct Labels<'a> {
    message: &'a [u8],
    at: usize,
    /// Where the name ends in place, known at its first pointer or its zero.
    end: Option<usize>,
    /// Where the labels being read began: the name's start, then each pointer's target. A
    /// pointer must lead before it, so the positions only fall and no loop is possible.
    floor: usize,
    /// Bytes of the name so far, in wire form.
    len: usize,
    done: bool,
}

impl<'a> Labels<'a> {
    fn new(message: &'a [u8], at: usize) -> Labels<'a> {
        Labels {
            message,
            at,
            end: None,
            floor: at,
            len: 0,
            done: false,
        }
    }

    /// The next label (empty at the root, after which there are none).
    fn next(&mut self) -> Result<Option<&'a [u8]>, Malformed> {
        if self.done {
            return Ok(None);
        }
        loop {
            let length = *self.message.get(self.at).ok_or(Malformed)?;
            match length {
                0 => {
                    self.done = true;
                    self.end.get_or_insert(self.at + 1);
                    self.len += 1;
                    return if self.len > MAX_NAME {
                        Err(Malformed)
                    } else {
                        Ok(Some(&[]))
                    };
                }
                1..=0x3f => {
                    let start = self.at + 1;
                    let label = self
                        .message
                        .get(start..start + usize::from(length))
                        .ok_or(Malformed)?;
                    self.at = start + label.len();
                    self.len += 1 + label.len();
                    if self.len > MAX_NAME || label.len() > MAX_LABEL {
                        return Err(Malformed);
                    }
                    return Ok(Some(label));
                }
                0xc0..=0xff => {
                    let target =
                        usize::from(u16_at(self.message, self.at).ok_or(Malformed)? & 0x3fff);
                    self.end.get_or_insert(self.at + 2);
                    if target >= self.floor {
                        return Err(Malformed);
                    }
                    self.at = target;
                    self.floor = target;
                }
                // 0x40 and 0x80: extended label types, obsolete.
                _ => return Err(Malformed),
            }
        }
    }
}

/// Parses the question section of a message with exactly one question.
pub fn question(message: &[u8]) -> Result<Question, Malformed> {
    if message.len() < HEADER_LEN || question_count(message) != 1 {
        return Err(Malformed);
    }
    let mut labels = Labels::new(message, HEADER_LEN);
    while let Some(label) = labels.next()? {
        if label.is_empty() {
            break;
        }
    }
    let name_end = labels.end.ok_or(Malformed)?;
    let qtype = u16_at(message, name_end).ok_or(Malformed)?;
    let qclass = u16_at(message, name_end + 2).ok_or(Malformed)?;
    Ok(Question {
        name_at: HEADER_LEN,
        end: name_end + 4,
        qtype,
        qclass,
    })
}

/// Whether two messages ask the same question: the name compared without regard to ASCII
/// case, the type and the class equal.
pub fn same_question(a: &[u8], qa: &Question, b: &[u8], qb: &Question) -> bool {
    if (qa.qtype, qa.qclass) != (qb.qtype, qb.qclass) {
        return false;
    }
    let mut la = Labels::new(a, qa.name_at);
    let mut lb = Labels::new(b, qb.name_at);
    loop {
        match (la.next(), lb.next()) {
            (Ok(Some(x)), Ok(Some(y))) => {
                if !x.eq_ignore_ascii_case(y) {
                    return false;
                }
                if x.is_empty() {
                    return true;
                }
            }
            _ => return false,
        }
    }
}

/// What to do with a client's query.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Verdict {
    /// A query we can match: forward it.
    Forward(Question),
    /// Answer it ourselves with this response code (with the question if it parsed).
    Answer(u8),
    /// Not a query at all (too short, or a response: answering those invites loops).
    Drop,
}

/// Decides what a message that arrived from a client is.
pub fn classify_query(message: &[u8]) -> Verdict {
    if message.len() < HEADER_LEN || is_response(message) {
        return Verdict::Drop;
    }
    if flags(message) & OPCODE != 0 {
        return Verdict::Answer(NOTIMP);
    }
    match question(message) {
        Ok(question) => Verdict::Forward(question),
        Err(Malformed) => Verdict::Answer(FORMERR),
    }
}

/// Writes our own answer to `query` into `out`: the query's header with QR and RA set, the
/// response code, and the question if it parsed (else none). Returns its length, 0 if `out`
/// is too small or the query has no header.
pub fn local_answer(query: &[u8], rcode: u8, out: &mut [u8]) -> usize {
    let question_end = question(query).map_or(HEADER_LEN, |q| q.end);
    let Some(header_and_question) = query.get(..question_end) else {
        return 0;
    };
    let Some(answer) = out.get_mut(..question_end) else {
        return 0;
    };
    answer.copy_from_slice(header_and_question);
    // Keep RD and CD as asked; a forwarder offers recursion.
    let flags = QR | (flags(query) & (OPCODE | RD | CD)) | RA | u16::from(rcode) & RCODE;
    answer[2..4].copy_from_slice(&flags.to_be_bytes());
    let questions: u16 = if question_end > HEADER_LEN { 1 } else { 0 };
    answer[4..6].copy_from_slice(&questions.to_be_bytes());
    answer[6..12].fill(0);
    question_end
}

/// The OPT pseudo-record's type (RFC 6891), whose class is the UDP payload size the sender
/// takes. Tests only: `limit_udp_payload` matches its bytes.
#[cfg(test)]
const OPT: u16 = 41;

/// Lowers the UDP payload size a query's EDNS record advertises to `max`, if it says more:
/// an upstream then answers what does not fit with TC set, and the client asks again over
/// TCP, rather than getting a reply larger than the forwarder relays and so nothing. The
/// question is `asked`. Read where clients put it: the first record after the question,
/// with the root as its name (RFC 6891); a query that has other records before it is left
/// as it is.
pub fn limit_udp_payload(query: &mut [u8], asked: &Question, max: u16) {
    // The root's name and OPT's type: an OPT record, whatever section the counts put it in.
    if let Some([0, 0, 41, high, low]) = query.get_mut(asked.end..asked.end + 5)
        && u16::from_be_bytes([*high, *low]) > max
    {
        [*high, *low] = max.to_be_bytes();
    }
}

/// Whether `reply` is an answer to `query` (whose question is `asked`): a response with one
/// question, the same one. The ID and the socket are the caller's to check.
pub fn answers(reply: &[u8], query: &[u8], asked: &Question) -> bool {
    if !is_response(reply) {
        return false;
    }
    match question(reply) {
        Ok(got) => same_question(query, asked, reply, &got),
        Err(Malformed) => false,
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    /// A query for `name` (dotted, no final dot) of `qtype`, class IN, ID 0x1234, RD set.
    pub fn query(name: &str, qtype: u16) -> Vec<u8> {
        let mut message = std::vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        for label in name.split('.').filter(|l| !l.is_empty()) {
            message.push(label.len() as u8);
            message.extend(label.as_bytes());
        }
        message.push(0);
        message.extend(qtype.to_be_bytes());
        message.extend(1u16.to_be_bytes());
        message
    }

    #[test]
    fn a_query_is_read() {
        let q = query("www.Example.org", 28);
        let parsed = question(&q).unwrap();
        assert_eq!(parsed.end, q.len());
        assert_eq!((parsed.qtype, parsed.qclass), (28, 1));
        assert_eq!(classify_query(&q), Verdict::Forward(parsed));
        assert_eq!(id(&q), 0x1234);
        let root = query("", 2);
        assert_eq!(question(&root).unwrap().end, 12 + 1 + 4);
    }

    #[test]
    fn names_compare_without_case() {
        let a = query("www.example.org", 1);
        let b = query("WWW.Example.ORG", 1);
        let c = query("www.example.net", 1);
        let d = query("www.example.org", 28);
        let (qa, qb, qc, qd) = (
            question(&a).unwrap(),
            question(&b).unwrap(),
            question(&c).unwrap(),
            question(&d).unwrap(),
        );
        assert!(same_question(&a, &qa, &b, &qb));
        assert!(!same_question(&a, &qa, &c, &qc));
        assert!(!same_question(&a, &qa, &d, &qd));
        let shorter = query("www.example", 1);
        assert!(!same_question(
            &a,
            &qa,
            &shorter,
            &question(&shorter).unwrap()
        ));
    }

    #[test]
    fn what_is_not_a_matchable_query_is_answered_or_dropped() {
        assert_eq!(classify_query(&[0; 11]), Verdict::Drop);
        let mut response = query("example.org", 1);
        response[2] |= 0x80;
        assert_eq!(classify_query(&response), Verdict::Drop);
        let mut notify = query("example.org", 1);
        notify[2] |= 4 << 3; // opcode NOTIFY
        assert_eq!(classify_query(&notify), Verdict::Answer(NOTIMP));
        let mut two = query("example.org", 1);
        two[5] = 2;
        assert_eq!(classify_query(&two), Verdict::Answer(FORMERR));
        let mut none = query("example.org", 1);
        none[5] = 0;
        assert_eq!(classify_query(&none), Verdict::Answer(FORMERR));
        let cut = &query("example.org", 1)[..20];
        assert_eq!(classify_query(cut), Verdict::Answer(FORMERR));
    }

    #[test]
    fn hostile_names_are_malformed() {
        // A pointer to itself, a pointer forwards, a label of 64, a name of 256 bytes.
        let mut looped = std::vec![0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1];
        assert_eq!(question(&looped), Err(Malformed));
        looped[13] = 14;
        assert_eq!(question(&looped), Err(Malformed));
        // A pointer back into the name's own earlier labels ("a", then back to it): a loop,
        // refused at the pointer, not after 255 bytes of "a.a.a…".
        let own_labels = std::vec![
            0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, b'a', 0xc0, 12, 0, 1, 0, 1
        ];
        let mut labels = Labels::new(&own_labels, HEADER_LEN);
        assert_eq!(labels.next(), Ok(Some(&b"a"[..])));
        assert_eq!(labels.next(), Err(Malformed));
        // Nor into a name the pointer led to: "b" at 6, pointing back to 6.
        let via_pointer = std::vec![
            0, 0, 0, 0, 0, 1, 1, b'b', 0xc0, 6, 0, 0, 0xc0, 6, 0, 1, 0, 1
        ];
        assert_eq!(question(&via_pointer), Err(Malformed));
        let mut long_label = query("", 1);
        long_label.truncate(12);
        long_label.push(64);
        long_label.extend([b'a'; 64]);
        long_label.extend([0, 0, 1, 0, 1]);
        assert_eq!(question(&long_label), Err(Malformed));
        let long_name = query(&["abcdefghi"; 26].join("."), 1); // 26 * 10 + 1 = 261 bytes
        assert_eq!(question(&long_name), Err(Malformed));
        let longest = query(&["abcdefghi"; 25].join("."), 1); // 251 bytes
        assert!(question(&longest).is_ok());
        // An extended label type.
        let mut extended = query("a", 1);
        extended[12] = 0x41;
        assert_eq!(question(&extended), Err(Malformed));
    }

    /// `query` with an OPT record advertising `size`.
    fn with_edns(mut message: Vec<u8>, size: u16) -> Vec<u8> {
        message[11] = 1; // ARCOUNT
        message.push(0); // the root name
        message.extend(OPT.to_be_bytes());
        message.extend(size.to_be_bytes());
        message.extend([0, 0, 0, 0]); // extended rcode, version, flags
        message.extend([0, 4, 0, 10, 0, 0]); // rdlength 4: an empty option (code 10, length 0)
        message
    }

    #[test]
    fn an_advertised_udp_size_over_the_limit_is_lowered_and_nothing_else_changes() {
        let plain = query("example.org", 1);
        let asked = question(&plain).unwrap();
        for (size, expected) in [(8192, 4096), (4097, 4096), (4096, 4096), (1232, 1232)] {
            let mut message = with_edns(plain.clone(), size);
            let before = message.clone();
            limit_udp_payload(&mut message, &asked, 4096);
            let class_at = plain.len() + 3;
            assert_eq!(u16_at(&message, class_at), Some(expected), "{size}");
            assert_eq!(message[..class_at], before[..class_at]);
            assert_eq!(message[class_at + 2..], before[class_at + 2..]);
        }
        // Without EDNS, and with a cut record: left as they are.
        let mut none = plain.clone();
        limit_udp_payload(&mut none, &asked, 512);
        assert_eq!(none, plain);
        let mut cut = with_edns(plain.clone(), 8192);
        cut.truncate(plain.len() + 4);
        let before = cut.clone();
        limit_udp_payload(&mut cut, &asked, 512);
        assert_eq!(cut, before);
        // An OPT record that is not the first additional record: left, as documented.
        let mut second = plain.clone();
        second.extend([0xc0, 12, 0, 250, 0, 255, 0, 0, 0, 0, 0, 2, 0xab, 0xcd]);
        let mut second = with_edns(second, 9000);
        second[11] = 2;
        let before = second.clone();
        limit_udp_payload(&mut second, &asked, 4096);
        assert_eq!(second, before);
    }

    #[test]
    fn a_compressed_question_is_followed_backwards() {
        // The question's name is a pointer to a name placed (oddly) in the header's counts:
        // backwards, so it is followed; the name is the single label at offset 6.
        let message = std::vec![
            0, 0, 0x80, 0, 0, 1, 1, b'a', 0, 0, 0, 0, 0xc0, 6, 0, 1, 0, 1
        ];
        let q = question(&message).unwrap();
        assert_eq!(q.end, message.len());
        let plain = query("a", 1);
        assert!(same_question(
            &plain,
            &question(&plain).unwrap(),
            &message,
            &q
        ));
    }

    #[test]
    fn local_answers_echo_the_question() {
        let q = query("example.org", 1);
        let mut out = [0u8; 512];
        let len = local_answer(&q, REFUSED, &mut out);
        assert_eq!(len, q.len());
        let answer = &out[..len];
        assert_eq!(id(answer), 0x1234);
        assert!(is_response(answer));
        assert_eq!(rcode(answer), REFUSED);
        assert_eq!(answer[3] & 0x80, 0x80, "RA");
        assert_eq!(answer[2] & 0x01, 0x01, "RD kept");
        assert!(answers(answer, &q, &question(&q).unwrap()));
        // Without a question that parses: the header alone, no question.
        let mut two = q.clone();
        two[5] = 2;
        let len = local_answer(&two, FORMERR, &mut out);
        assert_eq!(len, HEADER_LEN);
        assert_eq!(&out[4..12], &[0; 8]);
        assert_eq!(rcode(&out[..len]), FORMERR);
        assert_eq!(local_answer(&q, REFUSED, &mut [0u8; 8]), 0);
    }

    #[test]
    fn replies_must_be_responses_to_the_same_question() {
        let q = query("example.org", 1);
        let asked = question(&q).unwrap();
        let mut reply = q.clone();
        assert!(!answers(&reply, &q, &asked), "QR clear");
        reply[2] |= 0x80;
        assert!(answers(&reply, &q, &asked));
        let mut other = query("example.net", 1);
        other[2] |= 0x80;
        assert!(!answers(&other, &q, &asked));
        let mut empty = reply.clone();
        empty[5] = 0;
        assert!(!answers(&empty, &q, &asked));
        set_id(&mut reply, 7);
        assert_eq!(id(&reply), 7);
        assert!(!is_truncated(&reply));
    }
}
