//! The forwarder's rules, one at a time, with time as a number; and the seeded simulation
//! (`simulation.rs`).

extern crate std;

use super::*;
use crate::wire::{self, NOERROR, NOTIMP};
use std::vec::Vec;

mod simulation;

/// A query for `name`, type A, class IN, with ID `id`.
pub fn query(name: &str, id: u16) -> Vec<u8> {
    let mut message = std::vec![0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    message[..2].copy_from_slice(&id.to_be_bytes());
    for label in name.split('.').filter(|l| !l.is_empty()) {
        message.push(label.len() as u8);
        message.extend(label.as_bytes());
    }
    message.extend([0, 0, 1, 0, 1]);
    message
}

/// The reply a server gives to `query`: QR set, `rcode`, and one A record whose last byte
/// says who made it.
pub fn reply_to(query: &[u8], rcode: u8, mark: u8) -> Vec<u8> {
    let mut reply = query.to_vec();
    reply[2] |= 0x80;
    reply[3] = (reply[3] & 0xf0) | rcode;
    reply[7] = 1; // one answer
    reply.extend([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, mark]);
    reply
}

/// Records what the forwarder asks; can be told to fail opens and sends.
#[derive(Default)]
pub struct Recorder {
    pub opened: Vec<(usize, usize)>,
    pub sent: Vec<(usize, Vec<u8>)>,
    pub closed: Vec<usize>,
    pub answers: Vec<(u32, Vec<u8>)>,
    pub fail_open: Option<Failure>,
    pub fail_send_to: Option<(usize, Failure)>,
    /// Which server each open socket is for.
    pub server_of: std::collections::HashMap<usize, usize>,
    /// Stream connections opened: socket and client.
    pub streams: Vec<(usize, u32)>,
}

impl Io<u32> for Recorder {
    fn open(&mut self, socket: usize, server: usize, stream: Option<&u32>) -> Result<(), Failure> {
        if let Some(failure) = self.fail_open {
            return Err(failure);
        }
        assert!(
            !self.server_of.contains_key(&socket),
            "socket {socket} opened twice"
        );
        self.opened.push((socket, server));
        if let Some(&client) = stream {
            self.streams.push((socket, client));
        }
        self.server_of.insert(socket, server);
        Ok(())
    }

    fn send(&mut self, socket: usize, message: &[u8]) -> Result<(), Failure> {
        let server = *self.server_of.get(&socket).expect("sent on an open socket");
        if let Some((failing, failure)) = self.fail_send_to
            && failing == server
        {
            return Err(failure);
        }
        self.sent.push((socket, message.to_vec()));
        Ok(())
    }

    fn close(&mut self, socket: usize) {
        assert!(self.server_of.remove(&socket).is_some(), "closed twice");
        self.closed.push(socket);
    }

    fn answer(&mut self, client: &u32, message: &[u8]) {
        self.answers.push((*client, message.to_vec()));
    }
}

/// A counter, so that tests know which IDs come next.
pub struct Counting(pub u16);

impl Random for Counting {
    fn next_u16(&mut self) -> u16 {
        self.0 = self.0.wrapping_add(1);
        self.0
    }
}

type Small = Forwarder<u32, 150>;

fn forwarder(servers: usize) -> (std::boxed::Box<Small>, Recorder, Counting) {
    let mut f = std::boxed::Box::new(Small::new(Config::default(), 0));
    let mut io = Recorder::default();
    f.set_servers(servers, &mut io);
    (f, io, Counting(1000))
}

#[test]
fn a_query_goes_upstream_with_a_new_id_and_comes_back_with_its_own() {
    let (mut f, mut io, mut random) = forwarder(2);
    f.query(0, 7, &query("example.org", 0x1234), &mut io, &mut random);
    assert_eq!(io.opened, [(0, 0)]);
    let (socket, sent) = io.sent[0].clone();
    assert_eq!(wire::id(&sent), 1001);
    assert_eq!(sent[2..], query("example.org", 0)[2..]);
    let mut reply = reply_to(&sent, NOERROR, 1);
    f.reply(10, socket, &mut reply, &mut io, &mut random);
    assert_eq!(io.answers.len(), 1);
    let (client, answer) = &io.answers[0];
    assert_eq!((*client, wire::id(answer)), (7, 0x1234));
    assert_eq!(answer.last(), Some(&1));
    assert_eq!(f.occupancy(), (0, 1));
    assert_eq!(f.counters().get(Counter::Answers), 1);
    assert_eq!(f.next_deadline(), Some(Config::default().socket_lifetime));
}

/// `message` with an EDNS record advertising a UDP payload of `size`.
fn with_edns(mut message: Vec<u8>, size: u16) -> Vec<u8> {
    message[11] = 1;
    message.extend([0, 0, 41]);
    message.extend(size.to_be_bytes());
    message.extend([0, 0, 0, 0, 0, 0]);
    message
}

#[test]
fn a_datagram_query_advertising_more_than_is_relayed_goes_upstream_advertising_that_much() {
    let (mut f, mut io, mut random) = forwarder(1);
    f.query(
        0,
        1,
        &with_edns(query("example.org", 1), 8192),
        &mut io,
        &mut random,
    );
    f.query(
        0,
        2,
        &with_edns(query("example.org", 2), 8192),
        &mut io,
        &mut random,
    );
    f.stream_query(
        0,
        3,
        &with_edns(query("example.org", 3), 8192),
        &mut io,
        &mut random,
    );
    // The two datagram queries still share one upstream query; over TCP the size stays.
    assert_eq!(io.sent.len(), 2);
    let advertised = |sent: &[u8]| u16::from_be_bytes([sent[sent.len() - 8], sent[sent.len() - 7]]);
    assert_eq!(advertised(&io.sent[0].1), DATAGRAM_CAPACITY as u16);
    assert_eq!(advertised(&io.sent[1].1), 8192);
    // Within the limit, nothing changes.
    f.query(
        0,
        4,
        &with_edns(query("example.com", 4), 1232),
        &mut io,
        &mut random,
    );
    assert_eq!(
        io.sent[2].1[2..],
        with_edns(query("example.com", 4), 1232)[2..]
    );
}

#[test]
fn only_the_genuine_reply_is_accepted() {
    let (mut f, mut io, mut random) = forwarder(1);
    let asked = query("example.org", 0x1234);
    f.query(0, 7, &asked, &mut io, &mut random);
    let (socket, sent) = io.sent[0].clone();
    let genuine = reply_to(&sent, NOERROR, 1);
    let mut wrong_id = genuine.clone();
    wire::set_id(&mut wrong_id, wire::id(&sent) ^ 1);
    let mut wrong_question = reply_to(&query("example.net", wire::id(&sent)), NOERROR, 9);
    let mut not_a_response = genuine.clone();
    not_a_response[2] &= 0x7f;
    let mut runt = genuine[..11].to_vec();
    for mut forged in [
        wrong_id,
        wrong_question.clone(),
        not_a_response,
        runt.clone(),
    ] {
        f.reply(1, socket, &mut forged, &mut io, &mut random);
    }
    // The right bytes on another socket (one the forwarder never opened).
    f.reply(1, socket + 1, &mut genuine.clone(), &mut io, &mut random);
    assert!(io.answers.is_empty());
    assert_eq!(f.counters().get(Counter::DroppedReplies), 5);
    f.reply(2, socket, &mut genuine.clone(), &mut io, &mut random);
    assert_eq!(io.answers.len(), 1);
    assert_eq!(io.answers[0].1.last(), Some(&1));
    // Once answered, the same reply again is dropped.
    f.reply(3, socket, &mut genuine.clone(), &mut io, &mut random);
    assert_eq!(io.answers.len(), 1);
    wrong_question.clear();
    runt.clear();
}

#[test]
fn identical_queries_share_one_upstream_query() {
    let (mut f, mut io, mut random) = forwarder(1);
    f.query(0, 1, &query("example.org", 11), &mut io, &mut random);
    f.query(1, 2, &query("example.org", 22), &mut io, &mut random);
    f.query(1, 3, &query("example.net", 33), &mut io, &mut random);
    assert_eq!(io.sent.len(), 2);
    let (socket, sent) = io.sent[0].clone();
    f.reply(
        2,
        socket,
        &mut reply_to(&sent, NOERROR, 1),
        &mut io,
        &mut random,
    );
    let ids: Vec<(u32, u16)> = io.answers.iter().map(|(c, a)| (*c, wire::id(a))).collect();
    assert_eq!(ids, [(1, 11), (2, 22)]);
    assert_eq!(f.occupancy().0, 1);
}

#[test]
fn too_many_waiting_for_one_answer_get_servfail() {
    let (mut f, mut io, mut random) = forwarder(1);
    for client in 0..=MAX_FOLLOWERS as u32 + 1 {
        f.query(
            0,
            client,
            &query("example.org", client as u16),
            &mut io,
            &mut random,
        );
    }
    assert_eq!(io.sent.len(), 1);
    assert_eq!(io.answers.len(), 1);
    assert_eq!(wire::rcode(&io.answers[0].1), SERVFAIL);
    assert_eq!(io.answers[0].0, MAX_FOLLOWERS as u32 + 1);
}

#[test]
fn a_silent_server_is_left_for_the_next_then_the_deadline_ends_it() {
    let (mut f, mut io, mut random) = forwarder(2);
    f.query(0, 7, &query("example.org", 5), &mut io, &mut random);
    assert_eq!(f.next_deadline(), Some(1000));
    f.timeout(1000, &mut io, &mut random);
    assert_eq!(io.opened, [(0, 0), (1, 1)]);
    assert_eq!(io.sent.len(), 2);
    assert_ne!(wire::id(&io.sent[0].1), wire::id(&io.sent[1].1));
    // A late reply to the first attempt is no longer accepted.
    let (first_socket, first) = io.sent[0].clone();
    f.reply(
        1001,
        first_socket,
        &mut reply_to(&first, NOERROR, 1),
        &mut io,
        &mut random,
    );
    assert!(io.answers.is_empty());
    for now in [2000, 3000, 4000] {
        f.timeout(now, &mut io, &mut random);
    }
    assert_eq!(
        io.sent.len(),
        5,
        "one attempt a second, the servers in turn"
    );
    f.timeout(5000, &mut io, &mut random);
    assert_eq!(io.answers.len(), 1);
    assert_eq!(
        (io.answers[0].0, wire::rcode(&io.answers[0].1)),
        (7, SERVFAIL)
    );
    assert_eq!(wire::id(&io.answers[0].1), 5);
    assert_eq!(f.occupancy().0, 0);
    assert_eq!(f.counters().get(Counter::Timeouts), 4);
    // Servers 0 and 1 took turns: 0 at 0, 2000 and 4000 ms, 1 at 1000 and 3000 ms.
    let (first, second) = (f.upstream_counters(0), f.upstream_counters(1));
    assert_eq!((first.timeouts, second.timeouts), (2, 2));
    assert_eq!((first.answers, second.answers), (0, 0));
}

#[test]
fn servfail_and_refused_ask_the_next_server_and_are_relayed_when_all_say_so() {
    let (mut f, mut io, mut random) = forwarder(2);
    f.query(0, 7, &query("example.org", 5), &mut io, &mut random);
    let (socket, sent) = io.sent[0].clone();
    f.reply(
        1,
        socket,
        &mut reply_to(&sent, SERVFAIL, 1),
        &mut io,
        &mut random,
    );
    assert!(io.answers.is_empty());
    let (socket, sent) = io.sent[1].clone();
    assert_eq!(io.server_of[&socket], 1);
    f.reply(
        2,
        socket,
        &mut reply_to(&sent, REFUSED, 2),
        &mut io,
        &mut random,
    );
    assert_eq!(io.answers.len(), 1);
    assert_eq!(f.upstream_counters(1).answers, 1);
    assert_eq!(f.upstream_counters(9), UpstreamCounters::default());
    assert_eq!(wire::rcode(&io.answers[0].1), REFUSED);
    // The next query starts at the server that answered last.
    f.query(3, 8, &query("example.net", 6), &mut io, &mut random);
    assert_eq!(io.server_of[&io.sent[2].0], 1);
}

#[test]
fn an_icmp_error_moves_the_queries_on_and_closes_the_socket() {
    let (mut f, mut io, mut random) = forwarder(2);
    f.query(0, 7, &query("example.org", 5), &mut io, &mut random);
    f.query(0, 8, &query("example.net", 6), &mut io, &mut random);
    f.socket_error(1, 0, &mut io, &mut random);
    assert_eq!(io.closed, [0]);
    assert_eq!(io.sent.len(), 4);
    assert!(
        io.sent[2..]
            .iter()
            .all(|(socket, _)| io.server_of[socket] == 1)
    );
}

#[test]
fn with_one_server_an_icmp_error_opens_a_new_socket() {
    let (mut f, mut io, mut random) = forwarder(1);
    f.query(0, 7, &query("example.org", 5), &mut io, &mut random);
    f.socket_error(1, 0, &mut io, &mut random);
    assert_eq!(io.closed, [0]);
    assert_eq!(io.opened, [(0, 0), (0, 0)]);
    assert_eq!(io.sent.len(), 2);
}

#[test]
fn a_socket_whose_interface_is_gone_is_replaced() {
    // The server's interface went away: each attempt opens a new socket (whose scope the
    // event loop looks up again), one round of the servers, then SERVFAIL.
    let (mut f, mut io, mut random) = forwarder(1);
    f.query(0, 7, &query("example.org", 5), &mut io, &mut random);
    assert_eq!(io.opened, [(0, 0)]);
    io.fail_send_to = Some((0, Failure::Gone));
    f.query(1, 8, &query("example.net", 6), &mut io, &mut random);
    assert_eq!(io.answers.len(), 1);
    assert_eq!(
        (io.answers[0].0, wire::rcode(&io.answers[0].1)),
        (8, SERVFAIL)
    );
    // The interface is back: the first socket, retired, closes with its last query, and the
    // next query goes out on a new socket.
    io.fail_send_to = None;
    let (socket, sent) = io.sent[0].clone();
    f.reply(
        2,
        socket,
        &mut reply_to(&sent, NOERROR, 1),
        &mut io,
        &mut random,
    );
    assert_eq!(io.closed.last(), Some(&0));
    f.query(3, 9, &query("example.com", 7), &mut io, &mut random);
    let (socket, _) = io.sent.last().unwrap();
    assert_eq!(Some(socket), io.opened.last().map(|(s, _)| s));
    assert_eq!(io.opened.len(), 2, "the first, and the new one");
    assert_eq!(f.occupancy(), (1, 1));
}

#[test]
fn with_the_wan_down_a_query_fails_after_one_round_and_the_sockets_stay() {
    let (mut f, mut io, mut random) = forwarder(2);
    io.fail_send_to = Some((0, Failure::Unreachable));
    f.query(0, 7, &query("example.org", 5), &mut io, &mut random);
    // Server 1 answers: the query went there at once.
    assert_eq!(io.server_of[&io.sent[0].0], 1);
    io.fail_send_to = Some((1, Failure::Unreachable));
    let (mut f, mut io, mut random) = forwarder(1);
    io.fail_send_to = Some((0, Failure::Unreachable));
    for client in 0..20 {
        f.query(
            0,
            client,
            &query(&std::format!("n{client}.org"), 1),
            &mut io,
            &mut random,
        );
    }
    // Every one SERVFAIL at once, on the one socket: no churn of new sockets.
    assert_eq!(io.answers.len(), 20);
    assert!(io.answers.iter().all(|(_, a)| wire::rcode(a) == SERVFAIL));
    assert_eq!(io.opened, [(0, 0)]);
    assert!(io.closed.is_empty());
}

#[test]
fn without_a_mark_nothing_is_sent() {
    let (mut f, mut io, mut random) = forwarder(2);
    io.fail_open = Some(Failure::Mark);
    f.query(0, 7, &query("example.org", 5), &mut io, &mut random);
    assert!(io.sent.is_empty());
    assert_eq!(wire::rcode(&io.answers[0].1), SERVFAIL);
    assert_eq!(f.counters().get(Counter::MarkFailures), 1);
    assert_eq!(f.occupancy(), (0, 0));
}

#[test]
fn an_unreachable_server_is_skipped_at_once() {
    let (mut f, mut io, mut random) = forwarder(2);
    io.fail_send_to = Some((0, Failure::Unreachable));
    f.query(0, 7, &query("example.org", 5), &mut io, &mut random);
    assert_eq!(io.sent.len(), 1);
    assert_eq!(io.server_of[&io.sent[0].0], 1);
    // Both unreachable: SERVFAIL at once, not a wait for the deadline.
    let (mut f, mut io, mut random) = forwarder(2);
    io.fail_open = Some(Failure::Unreachable);
    f.query(0, 7, &query("example.org", 5), &mut io, &mut random);
    assert_eq!(wire::rcode(&io.answers[0].1), SERVFAIL);
}

#[test]
fn no_server_servfail_full_table_refused_and_local_answers() {
    let (mut f, mut io, mut random) = forwarder(0);
    f.query(0, 7, &query("example.org", 5), &mut io, &mut random);
    assert_eq!(wire::rcode(&io.answers[0].1), SERVFAIL);

    let mut small: std::boxed::Box<Forwarder<u32, 2>> =
        std::boxed::Box::new(Forwarder::new(Config::default(), 0));
    let mut io = Recorder::default();
    small.set_servers(1, &mut io);
    for (client, name) in ["a.org", "b.org", "c.org"].iter().enumerate() {
        small.query(0, client as u32, &query(name, 1), &mut io, &mut random);
    }
    assert_eq!(io.answers.len(), 1);
    assert_eq!(
        (io.answers[0].0, wire::rcode(&io.answers[0].1)),
        (2, REFUSED)
    );
    assert_eq!(small.counters().get(Counter::RefusedFull), 1);

    let (mut f, mut io, mut random) = forwarder(1);
    let mut notify = query("example.org", 5);
    notify[2] |= 4 << 3;
    f.query(0, 1, &notify, &mut io, &mut random);
    let mut response = query("example.org", 5);
    response[2] |= 0x80;
    f.query(0, 2, &response, &mut io, &mut random);
    f.query(0, 3, &[0; 5], &mut io, &mut random);
    let mut big = query("example.org", 5);
    big.resize(QUERY_CAPACITY + 1, 0);
    f.query(0, 4, &big, &mut io, &mut random);
    let got: Vec<(u32, u8)> = io
        .answers
        .iter()
        .map(|(c, a)| (*c, wire::rcode(a)))
        .collect();
    assert_eq!(got, [(1, NOTIMP), (4, REFUSED)]);
    assert!(io.sent.is_empty());
    assert_eq!(f.counters().get(Counter::DroppedRequests), 2);
}

#[test]
fn sockets_carry_a_bounded_number_of_queries_for_a_bounded_time() {
    let (mut f, mut io, mut random) = forwarder(1);
    let per_socket = usize::from(Config::default().socket_queries);
    for i in 0..=per_socket {
        f.query(
            0,
            i as u32,
            &query(&std::format!("n{i}.org"), 1),
            &mut io,
            &mut random,
        );
    }
    assert_eq!(io.opened, [(0, 0), (1, 0)]);
    assert!(io.sent[..per_socket].iter().all(|(s, _)| *s == 0));
    assert_eq!(io.sent[per_socket].0, 1);
    // The full socket is closed when its last query is answered.
    let first: Vec<(usize, Vec<u8>)> = io.sent[..per_socket].to_vec();
    for (socket, sent) in first {
        assert!(io.closed.is_empty());
        f.reply(
            1,
            socket,
            &mut reply_to(&sent, NOERROR, 1),
            &mut io,
            &mut random,
        );
    }
    assert_eq!(io.closed, [0]);
    // Past its lifetime a socket takes no more; idle, it is closed at once.
    let (socket, sent) = io.sent[per_socket].clone();
    f.reply(
        2,
        socket,
        &mut reply_to(&sent, NOERROR, 1),
        &mut io,
        &mut random,
    );
    assert_eq!(f.next_deadline(), Some(Config::default().socket_lifetime));
    f.timeout(Config::default().socket_lifetime, &mut io, &mut random);
    assert_eq!(io.closed, [0, 1]);
    assert_eq!(f.occupancy(), (0, 0));
}

#[test]
fn ids_in_flight_are_never_reused() {
    /// Gives 7, 7, 8, 7, 9 …: every other draw repeats one in flight.
    struct Stuck(u16);
    impl Random for Stuck {
        fn next_u16(&mut self) -> u16 {
            self.0 += 1;
            if self.0 % 2 == 1 { 7 } else { 7 + self.0 / 2 }
        }
    }
    let (mut f, mut io, _) = forwarder(1);
    let mut random = Stuck(0);
    for i in 0..5 {
        f.query(
            0,
            i,
            &query(&std::format!("n{i}.org"), 1),
            &mut io,
            &mut random,
        );
    }
    let mut ids: Vec<u16> = io.sent.iter().map(|(_, m)| wire::id(m)).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5);
}

#[test]
fn a_new_server_list_retires_the_sockets_and_in_flight_queries_move_to_it() {
    let (mut f, mut io, mut random) = forwarder(3);
    f.timeout(0, &mut io, &mut random);
    f.query(0, 7, &query("example.org", 5), &mut io, &mut random);
    f.query(0, 8, &query("example.net", 6), &mut io, &mut random);
    f.set_servers(1, &mut io);
    assert!(io.closed.is_empty(), "its queries are still in flight");
    f.query(1, 9, &query("example.com", 7), &mut io, &mut random);
    assert_eq!(io.opened.len(), 2, "a new socket for the new list");
    f.timeout(1000, &mut io, &mut random);
    assert_eq!(io.closed, [0], "the old socket goes with its last query");
    assert!(io.sent[3..].iter().all(|(s, _)| io.server_of[s] == 0));
}

#[test]
fn a_stream_query_goes_alone_on_a_connection_of_its_own() {
    let (mut f, mut io, mut random) = forwarder(2);
    f.query(0, 1, &query("example.org", 11), &mut io, &mut random);
    f.stream_query(0, 2, &query("example.org", 22), &mut io, &mut random);
    f.stream_query(0, 3, &query("example.org", 33), &mut io, &mut random);
    f.query(0, 4, &query("example.org", 44), &mut io, &mut random);
    // The datagram queries share one socket and one upstream query; each stream has its own
    // connection and query.
    assert_eq!(io.opened, [(0, 0), (1, 0), (2, 0)]);
    assert_eq!(io.streams, [(1, 2), (2, 3)]);
    assert_eq!(io.sent.len(), 3);
    assert_eq!(f.occupancy(), (4, 3));
    // The second stream's answer: its connection is closed at once, the others stay.
    let (socket, sent) = io.sent[2].clone();
    assert_eq!(socket, 2);
    f.reply(
        5,
        socket,
        &mut reply_to(&sent, NOERROR, 7),
        &mut io,
        &mut random,
    );
    assert_eq!(io.answers.len(), 1);
    assert_eq!((io.answers[0].0, wire::id(&io.answers[0].1)), (3, 33));
    assert_eq!(io.closed, [2]);
    // The datagram answer reaches both datagram clients, not the stream still in flight.
    let (socket, sent) = io.sent[0].clone();
    f.reply(
        6,
        socket,
        &mut reply_to(&sent, NOERROR, 7),
        &mut io,
        &mut random,
    );
    let answered: Vec<u32> = io.answers.iter().map(|(c, _)| *c).collect();
    assert_eq!(answered, [3, 1, 4]);
    assert_eq!(f.occupancy(), (1, 2));
}

#[test]
fn a_stream_that_times_out_moves_to_the_next_server_on_a_new_connection() {
    let (mut f, mut io, mut random) = forwarder(2);
    f.stream_query(0, 2, &query("example.org", 22), &mut io, &mut random);
    f.timeout(Config::default().timeout, &mut io, &mut random);
    // The first connection is closed before the next is opened, so its place is taken.
    assert_eq!(io.opened, [(0, 0), (0, 1)]);
    assert_eq!(io.streams, [(0, 2), (0, 2)]);
    assert_eq!(io.closed, [0], "the first connection is closed");
    assert_eq!(io.sent.len(), 2);
    // Past the deadline: SERVFAIL, and the second connection is closed too.
    f.timeout(Config::default().deadline, &mut io, &mut random);
    assert_eq!(io.answers.len(), 1);
    assert_eq!(wire::rcode(&io.answers[0].1), SERVFAIL);
    assert_eq!(io.closed, [0, 0]);
    assert_eq!(f.occupancy(), (0, 0));
}

#[test]
fn a_stream_whose_send_fails_leaves_no_connection_open() {
    let (mut f, mut io, mut random) = forwarder(2);
    io.fail_send_to = Some((0, Failure::Unreachable));
    f.stream_query(0, 2, &query("example.org", 22), &mut io, &mut random);
    assert_eq!(
        io.closed,
        [0],
        "the connection to the unreachable server is closed"
    );
    assert_eq!(io.sent.len(), 1, "the next server got it");
    assert_eq!(f.occupancy(), (1, 1));
}

#[test]
fn the_clock_may_wrap_under_a_query_in_flight() {
    assert!(reached(5, 5) && reached(6, 5) && !reached(4, 5));
    assert!(
        reached(3, Millis::MAX - 2),
        "3 ms after the wrap is after its eve"
    );
    assert!(!reached(Millis::MAX - 2, 3));
    assert_eq!(earlier(Some(Millis::MAX - 2), 3), Some(Millis::MAX - 2));
    assert_eq!(earlier(Some(3), Millis::MAX - 2), Some(Millis::MAX - 2));
    assert_eq!(earlier(None, 7), Some(7));

    let (mut f, mut io, mut random) = forwarder(2);
    let start = Millis::MAX - 200;
    f.query(start, 7, &query("example.org", 5), &mut io, &mut random);
    let timeout = start.wrapping_add(Config::default().timeout);
    assert_eq!(timeout, 799);
    assert_eq!(f.next_deadline(), Some(timeout));
    // Just before the attempt's end (and after the wrap): nothing moves.
    f.timeout(798, &mut io, &mut random);
    assert_eq!(io.sent.len(), 1);
    f.timeout(timeout, &mut io, &mut random);
    assert_eq!(io.sent.len(), 2, "the second server is asked");
    let deadline = start.wrapping_add(Config::default().deadline);
    f.timeout(deadline - 1, &mut io, &mut random);
    assert!(io.answers.is_empty());
    f.timeout(deadline, &mut io, &mut random);
    assert_eq!(wire::rcode(&io.answers[0].1), SERVFAIL);
}
