//! The forwarder as a state machine over a fixed table. It performs no I/O and reads no
//! clock: the event loop tells it what arrived and what time it is, and it answers through
//! [`Io`] with what to open, send, answer and close, and through
//! [`Forwarder::next_deadline`] when to call it again. So every rule below is a unit test
//! with time as a number, and a seeded simulation drives it through lost, late, duplicated
//! and forged replies.
//!
//! The life of a query: it arrives ([`Forwarder::query`]); the same bytes already in flight
//! make it a *follower* of that query (aggregation), else it becomes a *leader* and is sent
//! to the preferred server on that server's current socket with a fresh random ID. A reply
//! is accepted only on the leader's socket, with its ID and its question; the leader and its
//! followers then get it, each with its own ID, and their slots are free again. A timeout,
//! a SERVFAIL or REFUSED reply, or an ICMP error moves the leader to the next server; past
//! the overall deadline every client of it gets SERVFAIL.
//!
//! Upstream sockets carry at most [`Config::socket_queries`] queries for at most
//! [`Config::socket_lifetime`]; then they take no more, are closed once their last query is
//! done, and a new socket (a new random port) takes their place.
//!
//! A query that came over a stream (TCP, [`Forwarder::stream_query`]) goes upstream over a
//! stream of its own, one connection per query, and is never aggregated: its answer may be
//! larger than any datagram. The event loop hands [`Forwarder::reply`] the answer's first
//! bytes (header and question), and relays the rest itself once the forwarder has accepted
//! them.

use crate::wire::{self, Question, REFUSED, SERVFAIL, Verdict};

/// Milliseconds on the monotonic clock, modulo 2³²: the clock wraps every 49.7 days, so
/// times are only compared through [`reached`] and [`earlier`], which are right while the
/// times compared are less than 24.8 days apart (every interval here is seconds). 32 bits,
/// not 64: on 32-bit MIPS each 64-bit sum or comparison is several instructions, and there
/// are dozens of them (976 B).
pub type Millis = u32;

/// Whether the clock, showing `now`, has reached `at`.
#[inline]
pub fn reached(now: Millis, at: Millis) -> bool {
    now.wrapping_sub(at) as i32 >= 0
}

/// The earlier of `at` and the time in `next`, if any.
#[inline]
pub fn earlier(next: Option<Millis>, at: Millis) -> Option<Millis> {
    match next {
        Some(next) if reached(at, next) => Some(next),
        _ => Some(at),
    }
}

/// The bytes of a query a slot keeps, to send it again to the next server.
pub const QUERY_CAPACITY: usize = 512;

/// The largest UDP message relayed (EDNS's usual 4,096 B). A query advertising more is sent
/// on advertising this much, so that a larger answer comes back truncated (the client asks
/// again over TCP) rather than too large to relay.
pub const DATAGRAM_CAPACITY: usize = 4096;

/// The most upstream sockets open at once (each server's current one, and those that take
/// no more queries but still wait for replies).
/// Stream queries take one each, on top of the datagram sockets.
pub const MAX_SOCKETS: usize = 40;

/// How many clients may wait for one leader's answer besides its own.
pub const MAX_FOLLOWERS: usize = 16;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Config {
    /// How long one attempt waits for a reply before the next server is asked.
    pub timeout: Millis,
    /// How long a client waits in all; then it gets SERVFAIL.
    pub deadline: Millis,
    /// The most queries one upstream socket carries.
    pub socket_queries: u16,
    /// The longest an upstream socket takes new queries.
    pub socket_lifetime: Millis,
    /// The most queries in flight (leaders and followers), at most the table's size.
    pub forward_max: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            timeout: 1000,
            deadline: 5000,
            socket_queries: 64,
            socket_lifetime: 10_000,
            forward_max: 150,
        }
    }
}

/// Why an upstream socket could not be opened or a query not sent on it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Failure {
    /// The socket could not be marked: nothing may be sent unmarked.
    Mark,
    /// The server cannot be reached now (no route, ICMP): ask the next. The socket stays:
    /// when the WAN is down every send fails this way, and a new socket each time would
    /// only churn.
    Unreachable,
    /// The socket itself is of no more use (its interface went away): ask the next, and the
    /// next query to this server opens a new socket, its scope looked up again.
    Gone,
}

/// What the forwarder asks of the event loop. Upstream sockets are named by their index in
/// the forwarder's socket table; servers by their index in the current list.
pub trait Io<C> {
    /// Opens upstream socket `socket` to server `server`: a new socket with a kernel-chosen
    /// port, marked if a mark is asked for, connected to the server. A UDP socket, or, for
    /// the stream query of client `stream`, a TCP connection that carries only its query.
    fn open(&mut self, socket: usize, server: usize, stream: Option<&C>) -> Result<(), Failure>;
    /// Sends a query on an open socket (on a stream, the loop adds the length and may wait
    /// for the connection to complete).
    fn send(&mut self, socket: usize, message: &[u8]) -> Result<(), Failure>;
    /// Closes an upstream socket.
    fn close(&mut self, socket: usize);
    /// Answers a client with the forwarder's own message.
    fn answer(&mut self, client: &C, message: &[u8]);
    /// Answers a client with an upstream's reply: for a stream, the reply's first bytes,
    /// its rest still on the upstream connection.
    fn relay(&mut self, client: &C, message: &[u8]) {
        self.answer(client, message);
    }
}

/// A source of query IDs: `getrandom` in the program, a seeded generator in tests.
pub trait Random {
    fn next_u16(&mut self) -> u16;
}

/// What the forwarder counts, for the SIGUSR1 line and the tests.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Counter {
    /// Queries from clients that were forwarded or answered here.
    Queries,
    /// Answers from upstream relayed to clients (each client counted).
    Answers,
    /// Attempts that got no reply in time.
    Timeouts,
    /// Queries sent again to another server.
    Retries,
    /// Replies that matched no query in flight, or not its question.
    DroppedReplies,
    /// Client messages dropped: responses, runts.
    DroppedRequests,
    /// Queries answered SERVFAIL because a socket could not be marked.
    MarkFailures,
    /// Queries refused because the table was full.
    RefusedFull,
    /// Queries answered SERVFAIL: no server, the deadline passed, too many identical waiting.
    Servfail,
    /// Queries answered here for what they are (NOTIMP, FORMERR, REFUSED for oversize).
    Local,
}

/// The counters, in the order of [`Counter`] and of [`Counters::NAMES`]. 32 bits, wrapping
/// (after 4.3 billion queries): the log line shows them so, and 64-bit sums cost twice on
/// 32-bit MIPS.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct Counters([u32; 10]);

impl Counters {
    /// The counters' names, as the SIGUSR1 line shows them.
    pub const NAMES: [&'static [u8]; 10] = [
        b"queries",
        b"answers",
        b"timeouts",
        b"retries",
        b"dropped-replies",
        b"dropped-requests",
        b"mark-failures",
        b"refused-full",
        b"servfail",
        b"local",
    ];

    pub fn get(&self, counter: Counter) -> u32 {
        self.0[counter as usize]
    }

    /// Every counter, in the order of [`Counters::NAMES`].
    pub fn all(&self) -> &[u32; 10] {
        &self.0
    }

    /// Not inlined: a call is smaller than the body at each of the many places that count.
    #[inline(never)]
    fn add(&mut self, counter: Counter) {
        self.0[counter as usize] = self.0[counter as usize].wrapping_add(1);
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    Free,
    /// Sent upstream, waiting for its answer.
    Leader,
    /// Waiting for the answer of the leader in this slot.
    Follower(u16),
}

/// One query in flight. Only a leader uses the fields after `arrived`.
#[derive(Clone, Copy)]
struct Slot<C> {
    role: Role,
    client: C,
    client_id: u16,
    arrived: Millis,
    /// The ID it carries upstream.
    upstream_id: u16,
    socket: u16,
    server: u8,
    /// Servers asked so far, the current one included.
    attempts: u8,
    /// Came over a stream: goes upstream over one, alone.
    stream: bool,
    attempt_deadline: Millis,
    question: Question,
    /// A hash of the query's bytes after the ID, to find an identical one quickly.
    hash: u32,
    query_len: u16,
}

#[derive(Clone, Copy, Default)]
struct Socket {
    open: bool,
    /// Takes no more queries; closed when the last one in flight is done.
    retired: bool,
    server: u8,
    opened: Millis,
    sent: u16,
    in_flight: u16,
}

/// The most upstream servers the forwarder keeps counters for: as many as a list holds.
pub const MAX_UPSTREAMS: usize = crate::resolv::MAX_SERVERS;

/// What each upstream server did since the list was last set: answers accepted from it, and
/// attempts on it that timed out.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct UpstreamCounters {
    pub answers: u32,
    pub timeouts: u32,
}

/// No slot: an entry of the ID map, a slot index out of range.
const NONE: u16 = u16::MAX;

/// The forwarder: a table of `N` slots, the upstream sockets, and which leader each
/// upstream ID belongs to. `C` is whatever the event loop needs to answer a client.
pub struct Forwarder<C, const N: usize> {
    config: Config,
    slots: [Slot<C>; N],
    /// Each leader's query, apart from the slots: the scans over the slots stay within a
    /// few kilobytes.
    queries: [[u8; QUERY_CAPACITY]; N],
    /// Slots not free.
    in_use: usize,
    sockets: [Socket; MAX_SOCKETS],
    /// The leader slot that sent each upstream ID, or `NONE`: IDs are unique among all
    /// queries in flight, so a reply is found at once.
    ids: [u16; 65536],
    servers: usize,
    preferred: usize,
    counters: Counters,
    upstreams: [UpstreamCounters; MAX_UPSTREAMS],
}

impl<C: Copy, const N: usize> Forwarder<C, N> {
    /// An empty forwarder; `idle` fills the free slots' client field.
    pub fn new(config: Config, idle: C) -> Forwarder<C, N> {
        assert!(N < usize::from(NONE));
        let free = Slot {
            role: Role::Free,
            client: idle,
            client_id: 0,
            arrived: 0,
            upstream_id: 0,
            socket: 0,
            server: 0,
            attempts: 0,
            stream: false,
            attempt_deadline: 0,
            question: Question {
                name_at: 0,
                end: 0,
                qtype: 0,
                qclass: 0,
            },
            hash: 0,
            query_len: 0,
        };
        Forwarder {
            config: Config {
                forward_max: config.forward_max.min(N),
                ..config
            },
            slots: [free; N],
            queries: [[0; QUERY_CAPACITY]; N],
            in_use: 0,
            sockets: [Socket::default(); MAX_SOCKETS],
            ids: [NONE; 65536],
            servers: 0,
            preferred: 0,
            counters: Counters::default(),
            upstreams: [UpstreamCounters::default(); MAX_UPSTREAMS],
        }
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// What server `server` of the current list did since the list was set.
    pub fn upstream_counters(&self, server: usize) -> UpstreamCounters {
        self.upstreams.get(server).copied().unwrap_or_default()
    }

    /// Queries in flight (leaders and followers), and upstream sockets open.
    pub fn occupancy(&self) -> (usize, usize) {
        let slots = self.in_use;
        let sockets = self.sockets.iter().filter(|s| s.open).count();
        (slots, sockets)
    }

    /// The upstream servers changed: there are `count` now. Every socket takes no more
    /// queries (each is closed once its last reply or timeout is in); queries in flight go on
    /// and move to the new servers if they must try again.
    pub fn set_servers(&mut self, count: usize, io: &mut dyn Io<C>) {
        self.servers = count;
        self.upstreams = [UpstreamCounters::default(); MAX_UPSTREAMS];
        self.preferred = 0;
        for socket in 0..MAX_SOCKETS {
            self.retire(socket, io);
        }
    }

    /// A datagram from a client.
    pub fn query(
        &mut self,
        now: Millis,
        client: C,
        message: &[u8],
        io: &mut dyn Io<C>,
        random: &mut dyn Random,
    ) {
        self.admit(now, client, message, false, io, random);
    }

    /// A message a client sent over a stream (TCP): it goes upstream over a stream too.
    /// Returns whether the forwarder took it; one it drops (no query: a runt, or QR set) is
    /// answered never, and what the caller holds for it is the caller's to free.
    pub fn stream_query(
        &mut self,
        now: Millis,
        client: C,
        message: &[u8],
        io: &mut dyn Io<C>,
        random: &mut dyn Random,
    ) -> bool {
        self.admit(now, client, message, true, io, random)
    }

    fn admit(
        &mut self,
        now: Millis,
        client: C,
        message: &[u8],
        stream: bool,
        io: &mut dyn Io<C>,
        random: &mut dyn Random,
    ) -> bool {
        let question = match wire::classify_query(message) {
            Verdict::Drop => {
                self.counters.add(Counter::DroppedRequests);
                return false;
            }
            Verdict::Answer(rcode) => {
                self.counters.add(Counter::Queries);
                self.counters.add(Counter::Local);
                answer_locally(message, rcode, &client, io);
                return true;
            }
            Verdict::Forward(question) => question,
        };
        self.forward(now, client, message, question, stream, io, random);
        true
    }

    /// A query to answer from upstream, or locally when it cannot go there. Inlined: its one
    /// caller is `admit`, and as a function of its own it costs the call's seven arguments.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn forward(
        &mut self,
        now: Millis,
        client: C,
        message: &[u8],
        question: Question,
        stream: bool,
        io: &mut dyn Io<C>,
        random: &mut dyn Random,
    ) {
        self.counters.add(Counter::Queries);
        if message.len() > QUERY_CAPACITY {
            self.counters.add(Counter::Local);
            return answer_locally(message, REFUSED, &client, io);
        }
        if self.servers == 0 {
            self.counters.add(Counter::Servfail);
            return answer_locally(message, SERVFAIL, &client, io);
        }
        let free = if self.in_use < self.config.forward_max {
            self.slots.iter().position(|s| s.role == Role::Free)
        } else {
            None
        };
        let Some(free) = free else {
            self.counters.add(Counter::RefusedFull);
            return answer_locally(message, REFUSED, &client, io);
        };
        let len = message.len();
        let kept = &mut self.queries[free][..len];
        kept.copy_from_slice(message);
        if !stream {
            wire::limit_udp_payload(kept, &question, DATAGRAM_CAPACITY as u16);
        }
        // The same bytes after the ID: one reply is right for both. Never over a stream: its
        // answer is relayed as it arrives, to one client.
        let queries = &self.queries;
        let kept = &queries[free][2..len];
        let hash = hash(kept);
        let leader = self.slots.iter().enumerate().position(|(index, s)| {
            s.role == Role::Leader
                && !stream
                && !s.stream
                && s.hash == hash
                && usize::from(s.query_len) == len
                && queries[index][2..len] == *kept
        });
        let slot = &mut self.slots[free];
        slot.client = client;
        slot.client_id = wire::id(message);
        slot.arrived = now;
        if let Some(leader) = leader {
            let followers = self
                .slots
                .iter()
                .filter(|s| s.role == Role::Follower(leader as u16))
                .count();
            if followers >= MAX_FOLLOWERS {
                self.counters.add(Counter::Servfail);
                return answer_locally(message, SERVFAIL, &client, io);
            }
            self.slots[free].role = Role::Follower(leader as u16);
            self.in_use += 1;
            return;
        }
        slot.role = Role::Leader;
        slot.stream = stream;
        slot.question = question;
        slot.hash = hash;
        slot.query_len = len as u16;
        self.in_use += 1;
        let slot = &mut self.slots[free];
        slot.server = (self.preferred % self.servers) as u8;
        slot.attempts = 0;
        self.attempt(free, now, io, random);
    }

    /// A datagram on upstream socket `socket`, or the first bytes of a stream's answer (at
    /// least its header and question). The buffer is the event loop's: the client's IDs are
    /// written into it before each answer.
    pub fn reply(
        &mut self,
        now: Millis,
        socket: usize,
        message: &mut [u8],
        io: &mut dyn Io<C>,
        random: &mut dyn Random,
    ) {
        let leader = self.ids[usize::from(wire::id(message))];
        let queries = &self.queries;
        let matches = |slot: &Slot<C>| {
            slot.role == Role::Leader
                && usize::from(slot.socket) == socket
                && message.len() >= wire::HEADER_LEN
                && wire::answers(
                    message,
                    &queries[usize::from(leader)][..usize::from(slot.query_len)],
                    &slot.question,
                )
        };
        let Some(slot) = self
            .slots
            .get(usize::from(leader))
            .filter(|slot| matches(slot))
        else {
            self.counters.add(Counter::DroppedReplies);
            return;
        };
        let rcode = wire::rcode(message);
        if (rcode == SERVFAIL || rcode == REFUSED) && usize::from(slot.attempts) < self.servers {
            // Another server may know better; if all said so, the client hears it.
            let leader = usize::from(leader);
            self.release(leader, io);
            self.slots[leader].server =
                ((usize::from(self.slots[leader].server) + 1) % self.servers) as u8;
            self.counters.add(Counter::Retries);
            return self.attempt(leader, now, io, random);
        }
        self.preferred = usize::from(slot.server);
        if let Some(upstream) = self.upstreams.get_mut(self.preferred) {
            upstream.answers = upstream.answers.wrapping_add(1);
        }
        let leader = usize::from(leader);
        self.release(leader, io);
        self.finish(leader, message, io);
    }

    /// An error on upstream socket `socket` (an ICMP unreachable, reported by the kernel
    /// on the connected socket): its queries go to the next server, and it is closed.
    pub fn socket_error(
        &mut self,
        now: Millis,
        socket: usize,
        io: &mut dyn Io<C>,
        random: &mut dyn Random,
    ) {
        // Retired first, so that no query is sent on it again; its last release closes it.
        self.retire(socket, io);
        for leader in 0..N {
            let slot = &self.slots[leader];
            if slot.role == Role::Leader && usize::from(slot.socket) == socket {
                self.move_on(leader, now, io, random);
            }
        }
    }

    /// Time has passed: attempts that timed out move on, queries past their deadline get
    /// SERVFAIL, sockets past their lifetime take no more queries.
    pub fn timeout(&mut self, now: Millis, io: &mut dyn Io<C>, random: &mut dyn Random) {
        for leader in 0..N {
            let slot = &self.slots[leader];
            if slot.role != Role::Leader {
                continue;
            }
            if reached(now, slot.arrived.wrapping_add(self.config.deadline)) {
                self.release(leader, io);
                self.fail(leader, io);
            } else if reached(now, slot.attempt_deadline) {
                if let Some(upstream) = self.upstreams.get_mut(usize::from(slot.server)) {
                    upstream.timeouts = upstream.timeouts.wrapping_add(1);
                }
                self.counters.add(Counter::Timeouts);
                self.move_on(leader, now, io, random);
            }
        }
        for socket in 0..MAX_SOCKETS {
            let s = &self.sockets[socket];
            if s.open
                && !s.retired
                && reached(now, s.opened.wrapping_add(self.config.socket_lifetime))
            {
                self.retire(socket, io);
            }
        }
    }

    /// When [`Forwarder::timeout`] has something to do next.
    pub fn next_deadline(&self) -> Option<Millis> {
        let mut next = None;
        for slot in &self.slots {
            if slot.role == Role::Leader {
                next = earlier(next, slot.attempt_deadline);
                next = earlier(next, slot.arrived.wrapping_add(self.config.deadline));
            }
        }
        for socket in &self.sockets {
            if socket.open && !socket.retired {
                next = earlier(
                    next,
                    socket.opened.wrapping_add(self.config.socket_lifetime),
                );
            }
        }
        next
    }

    /// Sends leader `leader` to its current server, opening a socket if that server has
    /// none that takes queries; moves on to the next server when one cannot be reached.
    fn attempt(&mut self, leader: usize, now: Millis, io: &mut dyn Io<C>, random: &mut dyn Random) {
        // Servers found unreachable in this call: after a round of them, SERVFAIL at once
        // rather than a tight loop (the WAN is down).
        let mut unreachable = 0;
        loop {
            if reached(
                now,
                self.slots[leader]
                    .arrived
                    .wrapping_add(self.config.deadline),
            ) || usize::from(self.slots[leader].attempts) >= 2 * self.servers.max(1) + 8
            {
                return self.fail(leader, io);
            }
            if self.servers == 0 {
                return self.fail(leader, io);
            }
            self.slots[leader].attempts += 1;
            // The list may have shrunk since the last attempt.
            let server = usize::from(self.slots[leader].server) % self.servers;
            let sent = match self.socket_for(leader, server, now, io) {
                Ok(socket) => {
                    let id = self.fresh_id(random);
                    let len = usize::from(self.slots[leader].query_len);
                    let query = &mut self.queries[leader][..len];
                    wire::set_id(query, id);
                    let sent = io.send(socket, query);
                    // A stream's connection, retired from the start, is closed here too.
                    if sent.is_err() && (sent == Err(Failure::Gone) || self.sockets[socket].retired)
                    {
                        self.retire(socket, io);
                    }
                    sent.map(|()| (socket, id))
                }
                Err(failure) => Err(failure),
            };
            match sent {
                Ok((socket, id)) => {
                    let slot = &mut self.slots[leader];
                    slot.upstream_id = id;
                    slot.socket = socket as u16;
                    slot.attempt_deadline = now.wrapping_add(self.config.timeout);
                    self.ids[usize::from(id)] = leader as u16;
                    let s = &mut self.sockets[socket];
                    s.sent += 1;
                    s.in_flight += 1;
                    return;
                }
                Err(Failure::Mark) => {
                    self.counters.add(Counter::MarkFailures);
                    return self.fail(leader, io);
                }
                Err(Failure::Unreachable | Failure::Gone) => {
                    unreachable += 1;
                    if unreachable >= self.servers {
                        return self.fail(leader, io);
                    }
                    let slot = &mut self.slots[leader];
                    slot.server = ((server + 1) % self.servers.max(1)) as u8;
                    self.counters.add(Counter::Retries);
                }
            }
        }
    }

    /// The socket of `server` that takes `leader`'s query, opened if there is none. A stream
    /// query gets a connection of its own, retired at once: it carries no other query and is
    /// closed when this one is done.
    fn socket_for(
        &mut self,
        leader: usize,
        server: usize,
        now: Millis,
        io: &mut dyn Io<C>,
    ) -> Result<usize, Failure> {
        let stream = self.slots[leader].stream;
        let current = self
            .sockets
            .iter()
            .position(|s| s.open && !s.retired && usize::from(s.server) == server);
        if let Some(socket) = current.filter(|_| !stream) {
            let s = &self.sockets[socket];
            if s.sent < self.config.socket_queries
                && !reached(now, s.opened.wrapping_add(self.config.socket_lifetime))
            {
                return Ok(socket);
            }
            self.retire(socket, io);
        }
        let Some(socket) = self.sockets.iter().position(|s| !s.open) else {
            return Err(Failure::Unreachable);
        };
        io.open(socket, server, stream.then_some(&self.slots[leader].client))?;
        self.sockets[socket] = Socket {
            open: true,
            retired: stream,
            server: server as u8,
            opened: now,
            sent: 0,
            in_flight: 0,
        };
        Ok(socket)
    }

    /// An upstream ID that no query in flight carries.
    fn fresh_id(&mut self, random: &mut dyn Random) -> u16 {
        loop {
            let id = random.next_u16();
            if self.ids[usize::from(id)] == NONE {
                return id;
            }
        }
    }

    /// The leader's attempt is over (answered, failed, moved on): its ID and its place on
    /// the socket are given back.
    fn release(&mut self, leader: usize, io: &mut dyn Io<C>) {
        let slot = &self.slots[leader];
        if self.ids[usize::from(slot.upstream_id)] == leader as u16 {
            self.ids[usize::from(slot.upstream_id)] = NONE;
        }
        let socket = usize::from(slot.socket);
        let s = &mut self.sockets[socket];
        s.in_flight = s.in_flight.saturating_sub(1);
        if s.retired && s.in_flight == 0 && s.open {
            s.open = false;
            io.close(socket);
        }
    }

    /// Sends the leader to the next server, or fails it if its time is up.
    fn move_on(&mut self, leader: usize, now: Millis, io: &mut dyn Io<C>, random: &mut dyn Random) {
        self.release(leader, io);
        let slot = &mut self.slots[leader];
        slot.server = ((usize::from(slot.server) + 1) % self.servers.max(1)) as u8;
        self.counters.add(Counter::Retries);
        self.attempt(leader, now, io, random);
    }

    /// The socket takes no more queries; it is closed now if none is in flight on it.
    fn retire(&mut self, socket: usize, io: &mut dyn Io<C>) {
        let s = &mut self.sockets[socket];
        if !s.open {
            return;
        }
        s.retired = true;
        if s.in_flight == 0 {
            s.open = false;
            io.close(socket);
        }
    }

    /// Every client of the leader gets `message` with its own ID; their slots are free.
    fn finish(&mut self, leader: usize, message: &mut [u8], io: &mut dyn Io<C>) {
        for index in 0..N {
            let slot = &mut self.slots[index];
            if index == leader || slot.role == Role::Follower(leader as u16) {
                wire::set_id(message, slot.client_id);
                io.relay(&slot.client, message);
                slot.role = Role::Free;
                self.in_use -= 1;
                self.counters.add(Counter::Answers);
            }
        }
    }

    /// Every client of the leader gets SERVFAIL.
    fn fail(&mut self, leader: usize, io: &mut dyn Io<C>) {
        let query = &self.queries[leader][..usize::from(self.slots[leader].query_len)];
        let mut answer = [0u8; QUERY_CAPACITY];
        let len = wire::local_answer(query, SERVFAIL, &mut answer);
        for index in 0..N {
            let slot = &mut self.slots[index];
            if index == leader || slot.role == Role::Follower(leader as u16) {
                wire::set_id(&mut answer[..len], slot.client_id);
                io.answer(&slot.client, &answer[..len]);
                slot.role = Role::Free;
                self.in_use -= 1;
                self.counters.add(Counter::Servfail);
            }
        }
    }
}

/// FNV-1a: a cheap hash of a query's bytes, compared before the bytes themselves.
fn hash(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// Answers a client's message here with `rcode`.
fn answer_locally<C>(message: &[u8], rcode: u8, client: &C, io: &mut dyn Io<C>) {
    let mut answer = [0u8; QUERY_CAPACITY];
    let len = wire::local_answer(message, rcode, &mut answer);
    if len > 0 {
        io.answer(client, &answer[..len]);
    }
}

#[cfg(test)]
mod tests;
