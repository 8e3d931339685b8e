//! DNS over TCP on the loop's side (RFC 7766): the clients' connections, and for each stream
//! query a *relay* that owns its upstream connection. The forwarder decides as it does for
//! datagrams (which server, when to try the next, when to give up, whether a reply is
//! genuine); a relay only carries bytes: the query out, the answer's first bytes (header
//! and question) to the forwarder, and once it has accepted them the rest straight through
//! to the client, a buffer at a time, so a 64 KiB answer needs no 64 KiB buffer.
//!
//! A connection may carry pipelined queries; their answers are written one after the other
//! (the connection's `writer`), in the order upstream delivers them. Connections and relays
//! are fixed tables: a connection past the table is closed at once, a query with no relay
//! free waits in the kernel's buffer until one is, and a connection that makes no progress
//! for [`IDLE`] is closed.

use dns54::forward::{MAX_SOCKETS, Millis, QUERY_CAPACITY, earlier, reached};
use sys::{Errno, OwnedFd, epoll, io, libc, net};

/// Client connections kept open at once.
pub const MAX_CONNECTIONS: usize = 8;

/// Stream queries in flight at once, over all connections.
pub const MAX_RELAYS: usize = 16;

/// A connection with nothing to do for this long is closed (RFC 7766 §6.2.3 asks for
/// seconds, not minutes: connections are a bounded resource here).
pub const IDLE: Millis = 10_000;

/// No relay, no connection.
pub const NONE: u8 = u8::MAX;

/// What epoll says of a connection's or a relay's descriptor: the kind in the high half (the
/// loop's other kinds are below), the index in the low half.
pub const CONNECTION: u64 = 5 << 32;
pub const RELAY: u64 = 6 << 32;

/// A message with its two bytes of length, as small as a query the forwarder keeps.
const FRAME: usize = 2 + QUERY_CAPACITY;

/// Edge-triggered: each side is read or written until the kernel says "again", and the other
/// side's progress resumes it.
const EDGES: u32 =
    (libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP) as u32 | libc::EPOLLET as u32;

pub struct Connection {
    fd: Option<OwnedFd>,
    /// The query being read: its length, then its bytes.
    input: [u8; FRAME],
    filled: u16,
    /// The relay whose answer is being written, or `NONE`.
    writer: u8,
    /// When bytes last moved.
    active: Millis,
    /// A whole query waits for a relay.
    stalled: bool,
    /// The client sent its last query: close once the answers are out.
    closing: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Free,
    /// Handed to the forwarder; no connection upstream yet.
    Asked,
    /// Connecting, then writing the query.
    Sending,
    /// Reading the answer's length and first bytes.
    Reading,
    /// The forwarder is looking at the first bytes.
    Deciding,
    /// Writing the answer to the client, and reading the rest of it from upstream.
    Answering,
}

pub struct Relay {
    phase: Phase,
    /// The client's connection, or `NONE` once it went away (the forwarder still has the
    /// query; the relay is free once the forwarder is done with it).
    connection: u8,
    /// The forwarder's socket index for the upstream connection.
    socket: u8,
    upstream: Option<OwnedFd>,
    /// The query to send; the answer's first bytes; then the bytes on their way to the client.
    buffer: [u8; FRAME],
    filled: u16,
    /// Of `filled`, the bytes already written.
    done: u16,
    /// The whole answer's length, from upstream.
    total: u16,
    /// Bytes of the answer still to read from upstream.
    remaining: u16,
}

/// What a relay's upstream connection had to say.
pub enum Upstream {
    Nothing,
    /// The answer's first bytes, copied out, for the forwarder's socket `socket`.
    Head {
        socket: usize,
        len: usize,
    },
    /// The connection failed before the answer's first bytes were in.
    Failed {
        socket: usize,
        errno: Errno,
    },
}

pub struct Streams {
    connections: [Connection; MAX_CONNECTIONS],
    relays: [Relay; MAX_RELAYS],
    /// The relay that owns each of the forwarder's sockets that is a stream, or `NONE`.
    relay_of: [u8; MAX_SOCKETS],
}

impl Streams {
    pub fn new() -> Streams {
        Streams {
            connections: core::array::from_fn(|_| Connection {
                fd: None,
                input: [0; FRAME],
                filled: 0,
                writer: NONE,
                active: 0,
                stalled: false,
                closing: false,
            }),
            relays: core::array::from_fn(|_| Relay {
                phase: Phase::Free,
                connection: NONE,
                socket: NONE,
                upstream: None,
                buffer: [0; FRAME],
                filled: 0,
                done: 0,
                total: 0,
                remaining: 0,
            }),
            relay_of: [NONE; MAX_SOCKETS],
        }
    }

    /// Client connections open.
    pub fn connections(&self) -> usize {
        self.connections.iter().filter(|c| c.fd.is_some()).count()
    }

    /// Takes the connections waiting on a listener; those past the table are closed at once.
    pub fn accept(&mut self, listener: &OwnedFd, epoll_fd: &OwnedFd, now: Millis) {
        while let Ok(fd) = net::accept4(listener.fd(), libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC) {
            let Some(index) = self.connections.iter().position(|c| c.fd.is_none()) else {
                continue;
            };
            let event = epoll::event(EDGES, CONNECTION | index as u64);
            if epoll::epoll_ctl(epoll_fd.fd(), libc::EPOLL_CTL_ADD, fd.fd(), Some(&event)).is_ok() {
                let connection = &mut self.connections[index];
                connection.fd = Some(fd);
                connection.active = now;
            }
        }
    }

    /// Reads connection `index` until a whole query is in; copies it to `out` and gives it a
    /// relay, whose number it returns with the query's length. `None` when the kernel has no
    /// more, the connection is gone, or no relay is free (then it waits, `stalled`).
    pub fn next_query(&mut self, index: usize, now: Millis, out: &mut [u8]) -> Option<(u8, usize)> {
        let connection = &mut self.connections[index];
        connection.stalled = false;
        loop {
            let fd = connection.fd.as_ref().filter(|_| !connection.closing)?;
            let filled = usize::from(connection.filled);
            let need = if filled < 2 {
                2
            } else {
                2 + usize::from(u16::from_be_bytes([
                    connection.input[0],
                    connection.input[1],
                ]))
            };
            if need > FRAME {
                // Longer than any query the forwarder keeps: the stream cannot be followed past
                // it, so the connection ends here.
                self.close_connection(index);
                return None;
            }
            if filled == need && need > 2 {
                let Some(relay) = self.relays.iter().position(|r| r.phase == Phase::Free) else {
                    connection.stalled = true;
                    return None;
                };
                out[..need - 2].copy_from_slice(&connection.input[2..need]);
                connection.filled = 0;
                let r = &mut self.relays[relay];
                r.phase = Phase::Asked;
                r.connection = index as u8;
                return Some((relay as u8, need - 2));
            }
            match io::read(fd.fd(), &mut connection.input[filled..need]) {
                Ok(0) => {
                    // The client is done asking; its answers still go out.
                    connection.closing = true;
                    if !self
                        .relays
                        .iter()
                        .any(|r| usize::from(r.connection) == index)
                    {
                        self.close_connection(index);
                    }
                    return None;
                }
                Ok(read) => {
                    connection.filled += read as u16;
                    connection.active = now;
                }
                Err(Errno::EAGAIN) => return None,
                Err(_) => {
                    self.close_connection(index);
                    return None;
                }
            }
        }
    }

    /// The forwarder dropped relay `relay`'s message (no query: it never answers one): the
    /// relay is free again. Without this, each such frame would hold a relay for good, and
    /// count as a query in flight that keeps its connection from ever idling out.
    pub fn dropped(&mut self, relay: u8) {
        let r = &mut self.relays[usize::from(relay)];
        let index = usize::from(r.connection);
        free(r);
        if let Some(connection) = self.connections.get(index)
            && connection.closing
            && !self
                .relays
                .iter()
                .any(|r| usize::from(r.connection) == index)
        {
            self.close_connection(index);
        }
    }

    /// Connections with a whole query waiting, while a relay is free.
    pub fn stalled(&self) -> Option<usize> {
        if !self.relays.iter().any(|r| r.phase == Phase::Free) {
            return None;
        }
        self.connections.iter().position(|c| c.stalled)
    }

    /// Whether relay `relay` may take an upstream connection: its client is still there.
    pub fn wanted(&self, relay: u8) -> bool {
        self.relays
            .get(usize::from(relay))
            .is_some_and(|r| r.connection != NONE)
    }

    /// The forwarder opened its socket `socket` for relay `relay`: the connection `fd` (its
    /// connect under way) is the relay's now.
    pub fn attach(
        &mut self,
        relay: u8,
        socket: usize,
        fd: OwnedFd,
        epoll_fd: &OwnedFd,
    ) -> Result<(), Errno> {
        let event = epoll::event(EDGES, RELAY | u64::from(relay));
        epoll::epoll_ctl(epoll_fd.fd(), libc::EPOLL_CTL_ADD, fd.fd(), Some(&event))?;
        let r = &mut self.relays[usize::from(relay)];
        r.upstream = Some(fd);
        r.socket = socket as u8;
        r.phase = Phase::Asked;
        self.relay_of[socket] = relay;
        Ok(())
    }

    /// Whether the forwarder's socket `socket` is a relay's connection.
    pub fn is_stream(&self, socket: usize) -> bool {
        self.relay_of[socket] != NONE
    }

    /// The query for socket `socket`: written once the connection is up.
    pub fn send(&mut self, socket: usize, message: &[u8]) {
        let r = &mut self.relays[usize::from(self.relay_of[socket])];
        r.buffer[..2].copy_from_slice(&(message.len() as u16).to_be_bytes());
        r.buffer[2..2 + message.len()].copy_from_slice(message);
        r.filled = 2 + message.len() as u16;
        r.done = 0;
        r.phase = Phase::Sending;
    }

    /// The forwarder is done with socket `socket`. While it decides on the answer's first
    /// bytes the connection is kept: the rest of the answer follows on it.
    pub fn close(&mut self, socket: usize) {
        let relay = core::mem::replace(&mut self.relay_of[socket], NONE);
        if let Some(r) = self.relays.get_mut(usize::from(relay))
            && r.phase != Phase::Deciding
        {
            r.upstream = None;
        }
    }

    /// An answer for relay `relay`'s client. `relayed`: it is the upstream answer's first
    /// bytes, and the rest follows on the kept connection; else the forwarder's own answer.
    pub fn answer(&mut self, relay: u8, message: &[u8], relayed: bool, now: Millis) {
        let r = &mut self.relays[usize::from(relay)];
        if !relayed {
            r.upstream = None;
        }
        if r.connection == NONE {
            free(r);
            return;
        }
        let len = message.len() as u16;
        let total = if r.upstream.is_some() { r.total } else { len };
        r.buffer[..2].copy_from_slice(&total.to_be_bytes());
        r.buffer[2..2 + message.len()].copy_from_slice(message);
        r.filled = 2 + len;
        r.done = 0;
        r.remaining = total - len;
        r.phase = Phase::Answering;
        let index = usize::from(r.connection);
        if self.connections[index].writer == NONE {
            self.connections[index].writer = relay;
            self.pump(index, now);
        }
    }

    /// The relay's upstream connection is ready: writes the query, reads the answer's length
    /// and first bytes (copied to `out` when they are all in), or passes the rest on.
    pub fn upstream_ready(&mut self, relay: usize, now: Millis, out: &mut [u8]) -> Upstream {
        let r = &mut self.relays[relay];
        let socket = usize::from(r.socket);
        let failed = |errno| Upstream::Failed { socket, errno };
        let Some(fd) = &r.upstream else {
            return Upstream::Nothing;
        };
        if r.phase == Phase::Sending {
            while r.done < r.filled {
                let bytes = &r.buffer[usize::from(r.done)..usize::from(r.filled)];
                match net::sendto::<libc::sockaddr_in>(fd.fd(), bytes, libc::MSG_NOSIGNAL, None) {
                    Ok(sent) => r.done += sent as u16,
                    Err(Errno::EAGAIN) => return Upstream::Nothing,
                    Err(errno) => return failed(errno),
                }
            }
            r.phase = Phase::Reading;
            r.filled = 0;
        }
        if r.phase == Phase::Answering {
            let index = usize::from(r.connection);
            if self.connections[index].writer == relay as u8 {
                self.pump(index, now);
            }
            return Upstream::Nothing;
        }
        if r.phase != Phase::Reading {
            return Upstream::Nothing;
        }
        loop {
            let filled = usize::from(r.filled);
            let need = if filled < 2 {
                2
            } else {
                r.total = u16::from_be_bytes([r.buffer[0], r.buffer[1]]);
                // What the forwarder needs to decide: the header and the question, which
                // cannot be longer than the query it asked.
                2 + usize::from(r.total).min(QUERY_CAPACITY)
            };
            if filled == need && need > 2 {
                out[..need - 2].copy_from_slice(&r.buffer[2..need]);
                r.remaining = r.total - (need - 2) as u16;
                r.phase = Phase::Deciding;
                return Upstream::Head {
                    socket,
                    len: need - 2,
                };
            }
            match io::read(fd.fd(), &mut r.buffer[filled..need]) {
                Ok(0) => return failed(Errno::ECONNRESET),
                Ok(read) => r.filled += read as u16,
                Err(Errno::EAGAIN) => return Upstream::Nothing,
                Err(errno) => return failed(errno),
            }
        }
    }

    /// After the forwarder saw relay `relay`'s first bytes: whether it took no decision (the
    /// reply was not the answer, so the connection is of no more use).
    pub fn undecided(&mut self, relay: usize) -> bool {
        let r = &mut self.relays[relay];
        let undecided = r.phase == Phase::Deciding;
        if undecided {
            r.phase = Phase::Reading;
        }
        undecided
    }

    /// Writes connection `index`'s answers: what its writer holds, then the rest of that
    /// answer as it comes from upstream, then the next answer waiting.
    pub fn pump(&mut self, index: usize, now: Millis) {
        loop {
            let connection = &mut self.connections[index];
            let Some(fd) = &connection.fd else {
                return;
            };
            let Some(r) = self.relays.get_mut(usize::from(connection.writer)) else {
                return;
            };
            while r.done < r.filled {
                let bytes = &r.buffer[usize::from(r.done)..usize::from(r.filled)];
                match net::sendto::<libc::sockaddr_in>(fd.fd(), bytes, libc::MSG_NOSIGNAL, None) {
                    Ok(sent) => {
                        r.done += sent as u16;
                        connection.active = now;
                    }
                    Err(Errno::EAGAIN) => return,
                    Err(_) => return self.close_connection(index),
                }
            }
            if r.remaining > 0 {
                let Some(upstream) = &r.upstream else {
                    return self.close_connection(index);
                };
                let want = usize::from(r.remaining).min(FRAME);
                match io::read(upstream.fd(), &mut r.buffer[..want]) {
                    Ok(read @ 1..) => {
                        r.filled = read as u16;
                        r.done = 0;
                        r.remaining -= read as u16;
                        continue;
                    }
                    Err(Errno::EAGAIN) => return,
                    // Cut short upstream: the client sees the stream end and asks again.
                    _ => return self.close_connection(index),
                }
            }
            free(r);
            let next = self
                .relays
                .iter()
                .position(|r| r.phase == Phase::Answering && usize::from(r.connection) == index);
            let connection = &mut self.connections[index];
            connection.writer = next.map_or(NONE, |n| n as u8);
            if next.is_none()
                && connection.closing
                && !self
                    .relays
                    .iter()
                    .any(|r| usize::from(r.connection) == index)
            {
                return self.close_connection(index);
            }
        }
    }

    /// Closes connection `index`. Its answers in progress end; its queries the forwarder
    /// still has are left to it, their relays freed when it answers.
    fn close_connection(&mut self, index: usize) {
        let connection = &mut self.connections[index];
        connection.fd = None;
        connection.filled = 0;
        connection.writer = NONE;
        connection.stalled = false;
        connection.closing = false;
        for r in &mut self.relays {
            if usize::from(r.connection) == index {
                if r.phase == Phase::Answering {
                    free(r);
                } else {
                    r.connection = NONE;
                }
            }
        }
    }

    /// Closes the connections with nothing in the forwarder's hands that made no progress for
    /// [`IDLE`].
    pub fn expire(&mut self, now: Millis) {
        for index in 0..MAX_CONNECTIONS {
            if self
                .idle_since(index)
                .is_some_and(|at| reached(now, at.wrapping_add(IDLE)))
            {
                self.close_connection(index);
            }
        }
    }

    /// When [`Streams::expire`] has something to do next.
    pub fn next_deadline(&self) -> Option<Millis> {
        (0..MAX_CONNECTIONS)
            .filter_map(|index| self.idle_since(index))
            .fold(None, |next, at| earlier(next, at.wrapping_add(IDLE)))
    }

    /// When connection `index` last moved bytes, if it may be closed for idling: open, and
    /// none of its queries with the forwarder (whose deadline ends them).
    fn idle_since(&self, index: usize) -> Option<Millis> {
        let connection = &self.connections[index];
        let waiting = self.relays.iter().any(|r| {
            usize::from(r.connection) == index && !matches!(r.phase, Phase::Free | Phase::Answering)
        });
        (connection.fd.is_some() && !waiting).then_some(connection.active)
    }
}

/// The relay takes no more part: its upstream connection, if any, is closed.
fn free(r: &mut Relay) {
    r.phase = Phase::Free;
    r.connection = NONE;
    r.upstream = None;
}
