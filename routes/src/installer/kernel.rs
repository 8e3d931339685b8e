//! The one rtnetlink socket of a run: requests with an acknowledgement, and dumps. The thin
//! I/O layer around the `netlink` codec; every byte it sends is built there.

use routes::netlink::{
    self, BODY_LEN, ErrorMessage, HEADER_LEN, Message, NLM_F_DUMP, NLM_F_REQUEST, NLMSG_DONE,
    NLMSG_ERROR,
};
use routes::request::Request;
use sys::{Errno, OwnedFd, libc, net};

/// Room for one read from the socket. The kernel sizes a dump's datagrams by the largest
/// buffer the reader has offered (and at most a page to begin with), so 8 KiB always
/// suffices; it also keeps the stack frames small enough for MIPS's 16-bit offsets.
pub const RECEIVE_CAPACITY: usize = 8 * 1024;

/// Room for the kernel's words on the last refusal.
const TEXT_CAPACITY: usize = 160;

pub struct Kernel {
    socket: OwnedFd,
    seq: u32,
    buffer: [u8; RECEIVE_CAPACITY],
    text: [u8; TEXT_CAPACITY],
    text_len: usize,
}

impl Kernel {
    /// A route netlink socket, asking for extended acknowledgements (where the kernel has
    /// them: from Linux 4.12).
    pub fn open() -> Result<Kernel, Errno> {
        let socket = net::socket(libc::AF_NETLINK, libc::SOCK_RAW, libc::NETLINK_ROUTE)?;
        net::bind(socket.fd(), &net::sockaddr_nl(0, 0))?;
        let _ = net::setsockopt_u32(
            socket.fd(),
            libc::SOL_NETLINK,
            linux_raw_sys::netlink::NETLINK_EXT_ACK as i32,
            1,
        );
        Ok(Kernel {
            socket,
            seq: 0,
            buffer: [0; RECEIVE_CAPACITY],
            text: [0; TEXT_CAPACITY],
            text_len: 0,
        })
    }

    /// The kernel's own words on the last refusal (its extended acknowledgement), if any.
    pub fn refusal_text(&self) -> &[u8] {
        &self.text[..self.text_len]
    }

    /// The index of interface `name`.
    pub fn index_of(&self, name: &[u8]) -> Result<u32, Errno> {
        net::interface_index(self.socket.fd(), name)
    }

    /// A fresh sequence number for the next request.
    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    /// Sends `request` and reads until the kernel acknowledges it or refuses it (with the
    /// errno; what the kernel said besides is kept by [`Kernel::refusal_text`]). Replies to
    /// other sequence numbers are skipped.
    pub fn execute(&mut self, request: &mut Request<'_>) -> Result<(), Errno> {
        let seq = self.next_seq();
        self.send(request.finish(seq))?;
        let mut result = Err(Errno::EIO);
        let (text, text_len) = (&mut self.text, &mut self.text_len);
        receive(&self.socket, &mut self.buffer, seq, &mut |message| {
            if message.kind() == NLMSG_ERROR {
                result = acknowledgement(message, text, text_len);
                return true;
            }
            false
        })?;
        result
    }

    /// Dumps `kind` (`RTM_GETROUTE`, `RTM_GETRULE`) for `family` and hands every reply's
    /// payload to `visit`.
    pub fn dump(
        &mut self,
        kind: u16,
        family: u8,
        visit: &mut dyn FnMut(u16, &[u8]),
    ) -> Result<(), Errno> {
        let seq = self.next_seq();
        let mut request = [0u8; HEADER_LEN + BODY_LEN];
        netlink::write_header(
            &mut request,
            HEADER_LEN + BODY_LEN,
            kind,
            NLM_F_REQUEST | NLM_F_DUMP,
            seq,
        );
        request[HEADER_LEN] = family;
        self.send(&request)?;
        let mut result = Ok(());
        let (text, text_len) = (&mut self.text, &mut self.text_len);
        receive(
            &self.socket,
            &mut self.buffer,
            seq,
            &mut |message| match message.kind() {
                NLMSG_DONE => true,
                NLMSG_ERROR => {
                    result = acknowledgement(message, text, text_len);
                    true
                }
                other => {
                    visit(other, message.payload());
                    false
                }
            },
        )?;
        result
    }

    fn send(&self, request: &[u8]) -> Result<(), Errno> {
        let kernel = net::sockaddr_nl(0, 0);
        loop {
            match net::sendto(self.socket.fd(), request, 0, Some(&kernel)) {
                Err(Errno::EINTR) => continue,
                other => return other.map(drop),
            }
        }
    }
}

/// Reads datagrams and hands each message of sequence `seq` to `handle` until it says that
/// was the last.
fn receive(
    socket: &OwnedFd,
    buffer: &mut [u8],
    seq: u32,
    handle: &mut dyn FnMut(&Message<'_>) -> bool,
) -> Result<(), Errno> {
    loop {
        let len = match net::recvfrom(socket.fd(), buffer, 0, None) {
            Err(Errno::EINTR) => continue,
            other => other?,
        };
        for message in netlink::messages(&buffer[..len]) {
            let message = message.map_err(|_| Errno::EIO)?;
            if message.seq() == seq && handle(&message) {
                return Ok(());
            }
        }
    }
}

/// An acknowledgement's verdict; a refusal's text goes into `text`.
fn acknowledgement(
    message: &Message<'_>,
    text: &mut [u8; TEXT_CAPACITY],
    text_len: &mut usize,
) -> Result<(), Errno> {
    *text_len = 0;
    match ErrorMessage::parse(message) {
        Ok(ErrorMessage { error: 0, .. }) => Ok(()),
        Ok(ErrorMessage { error, text: said }) => {
            if let Some(said) = said {
                let len = said.len().min(TEXT_CAPACITY);
                text[..len].copy_from_slice(&said[..len]);
                *text_len = len;
            }
            Err(Errno::from_raw(error.unsigned_abs() as u16))
        }
        Err(_) => Err(Errno::EIO),
    }
}
