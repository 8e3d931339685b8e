//! The rtnetlink wire format for rules and routes: a zero-copy view of received messages,
//! their attributes, and parsed forms (`RouteMessage`, `RuleMessage`) that parse from and
//! emit to bytes. Pure: no I/O. Netlink is in the host's byte order (big-endian on MIPS), so
//! every number goes through `to_ne_bytes`/`from_ne_bytes`; addresses stay in network order.
//! The numbers come from the kernel's headers (`linux-raw-sys`).

use linux_raw_sys::netlink as kernel;

/// `struct nlmsghdr`: length, type, flags, sequence number, port id.
pub const HEADER_LEN: usize = 16;
/// `struct rtmsg` and `struct fib_rule_hdr` are both 12 bytes.
pub const BODY_LEN: usize = 12;

pub const NLMSG_ERROR: u16 = kernel::NLMSG_ERROR as u16;
pub const NLMSG_DONE: u16 = kernel::NLMSG_DONE as u16;
pub const RTM_NEWROUTE: u16 = kernel::RTM_NEWROUTE as u16;
pub const RTM_DELROUTE: u16 = kernel::RTM_DELROUTE as u16;
pub const RTM_GETROUTE: u16 = kernel::RTM_GETROUTE as u16;
pub const RTM_NEWRULE: u16 = kernel::RTM_NEWRULE as u16;
pub const RTM_DELRULE: u16 = kernel::RTM_DELRULE as u16;
pub const RTM_GETRULE: u16 = kernel::RTM_GETRULE as u16;

pub const NLM_F_REQUEST: u16 = kernel::NLM_F_REQUEST as u16;
pub const NLM_F_ACK: u16 = kernel::NLM_F_ACK as u16;
pub const NLM_F_DUMP: u16 = kernel::NLM_F_DUMP as u16;
pub const NLM_F_REPLACE: u16 = kernel::NLM_F_REPLACE as u16;
pub const NLM_F_EXCL: u16 = kernel::NLM_F_EXCL as u16;
pub const NLM_F_CREATE: u16 = kernel::NLM_F_CREATE as u16;
const NLM_F_CAPPED: u16 = kernel::NLM_F_CAPPED as u16;
const NLM_F_ACK_TLVS: u16 = kernel::NLM_F_ACK_TLVS as u16;
const NLMSGERR_ATTR_MSG: u16 = kernel::nlmsgerr_attrs::NLMSGERR_ATTR_MSG as u16;

const RTA_DST: u16 = kernel::rtattr_type_t::RTA_DST as u16;
const RTA_OIF: u16 = kernel::rtattr_type_t::RTA_OIF as u16;
const RTA_GATEWAY: u16 = kernel::rtattr_type_t::RTA_GATEWAY as u16;
const RTA_PRIORITY: u16 = kernel::rtattr_type_t::RTA_PRIORITY as u16;
const RTA_TABLE: u16 = kernel::rtattr_type_t::RTA_TABLE as u16;

const FRA_DST: u16 = kernel::FRA_DST as u16;
const FRA_SRC: u16 = kernel::FRA_SRC as u16;
const FRA_IIFNAME: u16 = kernel::FRA_IIFNAME as u16;
const FRA_OIFNAME: u16 = kernel::FRA_OIFNAME as u16;
const FRA_FWMARK: u16 = kernel::FRA_FWMARK as u16;
const FRA_FWMASK: u16 = kernel::FRA_FWMASK as u16;
const FRA_TABLE: u16 = kernel::FRA_TABLE as u16;
const FRA_PRIORITY: u16 = kernel::FRA_PRIORITY as u16;

pub const RTN_UNICAST: u8 = kernel::RTN_UNICAST as u8;
pub const RTN_BLACKHOLE: u8 = kernel::RTN_BLACKHOLE as u8;
pub const RTN_UNREACHABLE: u8 = kernel::RTN_UNREACHABLE as u8;
pub const RTN_PROHIBIT: u8 = kernel::RTN_PROHIBIT as u8;
pub const RTPROT_BOOT: u8 = kernel::RTPROT_BOOT as u8;
pub const RT_SCOPE_UNIVERSE: u8 = kernel::rt_scope_t::RT_SCOPE_UNIVERSE as u8;
pub const RT_SCOPE_LINK: u8 = kernel::rt_scope_t::RT_SCOPE_LINK as u8;
pub const RT_SCOPE_NOWHERE: u8 = kernel::rt_scope_t::RT_SCOPE_NOWHERE as u8;
pub const RT_TABLE_DEFAULT: u32 = kernel::rt_class_t::RT_TABLE_DEFAULT as u32;
pub const RT_TABLE_MAIN: u32 = kernel::rt_class_t::RT_TABLE_MAIN as u32;
pub const RT_TABLE_LOCAL: u32 = kernel::rt_class_t::RT_TABLE_LOCAL as u32;
pub const FR_ACT_TO_TBL: u8 = kernel::FR_ACT_TO_TBL as u8;
pub const FIB_RULE_INVERT: u32 = kernel::FIB_RULE_INVERT;

/// Bytes that are not a well-formed message, or a message too short for what it claims.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Malformed;

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// Netlink's alignment: 4 bytes.
const fn align(len: usize) -> usize {
    (len + 3) & !3
}

/// One netlink message in a received buffer: a view whose accessors are safe once
/// [`Message::new_checked`] has accepted it.
#[derive(Clone, Copy, Debug)]
pub struct Message<'a> {
    bytes: &'a [u8],
}

impl<'a> Message<'a> {
    /// The message at the start of `buffer`, if its header fits and its length is within.
    pub fn new_checked(buffer: &'a [u8]) -> Result<Message<'a>, Malformed> {
        let len = u32_at(buffer, 0).ok_or(Malformed)? as usize;
        if len < HEADER_LEN || len > buffer.len() {
            return Err(Malformed);
        }
        Ok(Message {
            bytes: &buffer[..len],
        })
    }

    /// `nlmsg_len`: the whole message, header included.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Never true for a checked message (its header alone is 16 bytes).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// `nlmsg_type`.
    pub fn kind(&self) -> u16 {
        u16_at(self.bytes, 4).unwrap_or_default()
    }

    /// `nlmsg_flags`.
    pub fn flags(&self) -> u16 {
        u16_at(self.bytes, 6).unwrap_or_default()
    }

    /// `nlmsg_seq`.
    pub fn seq(&self) -> u32 {
        u32_at(self.bytes, 8).unwrap_or_default()
    }

    /// What follows the header.
    pub fn payload(&self) -> &'a [u8] {
        self.bytes.get(HEADER_LEN..).unwrap_or_default()
    }
}

/// The messages of one received datagram, in order; a malformed one ends the walk with an
/// error.
pub fn messages(buffer: &[u8]) -> Messages<'_> {
    Messages { rest: buffer }
}

pub struct Messages<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Messages<'a> {
    type Item = Result<Message<'a>, Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match Message::new_checked(self.rest) {
            Ok(message) => {
                self.rest = self.rest.get(align(message.len())..).unwrap_or_default();
                Some(Ok(message))
            }
            Err(err) => {
                self.rest = &[];
                Some(Err(err))
            }
        }
    }
}

/// The attributes (`struct rtattr`/`nlattr`: length, type, value) that follow a message's
/// fixed body; a malformed one ends the walk with an error.
pub fn attributes(bytes: &[u8]) -> Attributes<'_> {
    Attributes { rest: bytes }
}

pub struct Attributes<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Attributes<'a> {
    /// (type without the nested/byte-order flags, value).
    type Item = Result<(u16, &'a [u8]), Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let parsed = (|| {
            let len = usize::from(u16_at(self.rest, 0)?);
            let kind = u16_at(self.rest, 2)? & 0x3fff;
            let value = self.rest.get(4..len)?;
            Some((len, kind, value))
        })();
        match parsed {
            Some((len, kind, value)) => {
                self.rest = self.rest.get(align(len)..).unwrap_or_default();
                Some(Ok((kind, value)))
            }
            None => {
                self.rest = &[];
                Some(Err(Malformed))
            }
        }
    }
}

/// An `NLMSG_ERROR` payload: 0 for an acknowledgement, else the negative errno, and the
/// kernel's extended-ack text when it sent one.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ErrorMessage<'a> {
    pub error: i32,
    pub text: Option<&'a [u8]>,
}

impl<'a> ErrorMessage<'a> {
    pub fn parse(message: &Message<'a>) -> Result<ErrorMessage<'a>, Malformed> {
        let payload = message.payload();
        let error = u32_at(payload, 0).ok_or(Malformed)? as i32;
        let mut text = None;
        if message.flags() & NLM_F_ACK_TLVS != 0 {
            // After the error: the request's header, and its payload unless capped.
            let request_len = if message.flags() & NLM_F_CAPPED != 0 {
                HEADER_LEN
            } else {
                u32_at(payload, 4).ok_or(Malformed)? as usize
            };
            let tlvs = payload.get(4 + align(request_len)..).ok_or(Malformed)?;
            for attribute in attributes(tlvs) {
                let (kind, value) = attribute?;
                if kind == NLMSGERR_ATTR_MSG {
                    text = Some(value.split(|&b| b == 0).next().unwrap_or_default());
                }
            }
        }
        Ok(ErrorMessage { error, text })
    }
}

/// Writes one request into a buffer: header, fixed body, attributes. The buffers the program
/// uses are sized for the largest request it makes (see `REQUEST_CAPACITY`); a write that
/// would not fit is dropped and reported by [`Request::finish`].
pub struct Request<'b> {
    buffer: &'b mut [u8],
    len: usize,
    overflow: bool,
}

/// Room for the largest request: header, body, two 16-byte addresses, two interface names
/// and four 32-bit attributes, with alignment.
pub const REQUEST_CAPACITY: usize = 256;

impl<'b> Request<'b> {
    pub fn new(buffer: &'b mut [u8], kind: u16, flags: u16, seq: u32) -> Request<'b> {
        let mut request = Request {
            buffer,
            len: 0,
            overflow: false,
        };
        request.put(&[0; 4]); // the length, written by `finish`
        request.put(&kind.to_ne_bytes());
        request.put(&flags.to_ne_bytes());
        request.put(&seq.to_ne_bytes());
        request.put(&[0; 4]); // port id 0: the kernel fills it in
        request
    }

    fn put(&mut self, bytes: &[u8]) {
        match self.buffer.get_mut(self.len..self.len + bytes.len()) {
            Some(room) => {
                room.copy_from_slice(bytes);
                self.len += bytes.len();
            }
            None => self.overflow = true,
        }
    }

    /// A fixed body, as it is (a dump request's, say).
    pub fn body(&mut self, bytes: &[u8]) {
        self.put(bytes);
    }

    /// An attribute, padded to 4 bytes.
    pub fn attribute(&mut self, kind: u16, value: &[u8]) {
        let len = 4 + value.len();
        self.put(&(len as u16).to_ne_bytes());
        self.put(&kind.to_ne_bytes());
        self.put(value);
        self.put(&[0; 3][..align(len) - len]);
    }

    pub fn attribute_u32(&mut self, kind: u16, value: u32) {
        self.attribute(kind, &value.to_ne_bytes());
    }

    /// The finished message's bytes, or `None` if it did not fit.
    pub fn finish(self) -> Option<&'b [u8]> {
        if self.overflow {
            return None;
        }
        let len = self.len;
        self.buffer
            .get_mut(..4)?
            .copy_from_slice(&(len as u32).to_ne_bytes());
        self.buffer.get(..len)
    }
}

/// A route (`struct rtmsg` and its attributes), as sent or as dumped.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct RouteMessage<'a> {
    pub family: u8,
    pub dst_len: u8,
    pub table: u32,
    pub protocol: u8,
    pub scope: u8,
    pub kind: u8,
    pub dst: Option<&'a [u8]>,
    pub gateway: Option<&'a [u8]>,
    pub oif: Option<u32>,
    pub priority: Option<u32>,
}

impl<'a> RouteMessage<'a> {
    /// From a `RTM_NEWROUTE`/`RTM_DELROUTE` payload. `RTA_TABLE`, where present, holds the
    /// table; the one-byte field cannot name tables above 255.
    pub fn parse(payload: &'a [u8]) -> Result<RouteMessage<'a>, Malformed> {
        let body = payload.get(..BODY_LEN).ok_or(Malformed)?;
        let mut route = RouteMessage {
            family: body[0],
            dst_len: body[1],
            table: u32::from(body[4]),
            protocol: body[5],
            scope: body[6],
            kind: body[7],
            ..RouteMessage::default()
        };
        for attribute in attributes(&payload[BODY_LEN..]) {
            let (kind, value) = attribute?;
            let number = || u32_at(value, 0).ok_or(Malformed);
            match kind {
                RTA_DST => route.dst = Some(value),
                RTA_GATEWAY => route.gateway = Some(value),
                RTA_OIF => route.oif = Some(number()?),
                RTA_PRIORITY => route.priority = Some(number()?),
                RTA_TABLE => route.table = number()?,
                _ => {}
            }
        }
        Ok(route)
    }

    /// Its fixed body and attributes, in the order `ip route` sends them.
    pub fn emit(&self, request: &mut Request<'_>) {
        let (table_byte, table_attribute) = split_table(self.table);
        request.put(&[
            self.family,
            self.dst_len,
            0, // src_len
            0, // tos
            table_byte,
            self.protocol,
            self.scope,
            self.kind,
        ]);
        request.put(&[0; 4]); // rtm_flags
        if let Some(dst) = self.dst {
            request.attribute(RTA_DST, dst);
        }
        if let Some(gateway) = self.gateway {
            request.attribute(RTA_GATEWAY, gateway);
        }
        if let Some(table) = table_attribute {
            request.attribute_u32(RTA_TABLE, table);
        }
        if let Some(priority) = self.priority {
            request.attribute_u32(RTA_PRIORITY, priority);
        }
        if let Some(oif) = self.oif {
            request.attribute_u32(RTA_OIF, oif);
        }
    }
}

/// Tables up to 255 go in the one-byte header field, larger ones in an attribute (with 0,
/// `RT_TABLE_UNSPEC`, in the field), as `ip` sends them.
fn split_table(table: u32) -> (u8, Option<u32>) {
    match u8::try_from(table) {
        Ok(byte) => (byte, None),
        Err(_) => (0, Some(table)),
    }
}

/// A policy rule (`struct fib_rule_hdr` and its attributes), as sent or as dumped.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct RuleMessage<'a> {
    pub family: u8,
    pub dst_len: u8,
    pub src_len: u8,
    pub table: u32,
    pub action: u8,
    pub flags: u32,
    pub src: Option<&'a [u8]>,
    pub dst: Option<&'a [u8]>,
    pub fwmark: Option<u32>,
    pub fwmask: Option<u32>,
    /// Interface names, without their NUL.
    pub iifname: Option<&'a [u8]>,
    pub oifname: Option<&'a [u8]>,
    pub priority: Option<u32>,
}

impl<'a> RuleMessage<'a> {
    /// From a `RTM_NEWRULE`/`RTM_DELRULE` payload.
    pub fn parse(payload: &'a [u8]) -> Result<RuleMessage<'a>, Malformed> {
        let body = payload.get(..BODY_LEN).ok_or(Malformed)?;
        let mut rule = RuleMessage {
            family: body[0],
            dst_len: body[1],
            src_len: body[2],
            table: u32::from(body[4]),
            action: body[7],
            flags: u32_at(body, 8).ok_or(Malformed)?,
            ..RuleMessage::default()
        };
        for attribute in attributes(&payload[BODY_LEN..]) {
            let (kind, value) = attribute?;
            let number = || u32_at(value, 0).ok_or(Malformed);
            let name = || value.split(|&b| b == 0).next().unwrap_or_default();
            match kind {
                FRA_SRC => rule.src = Some(value),
                FRA_DST => rule.dst = Some(value),
                FRA_FWMARK => rule.fwmark = Some(number()?),
                FRA_FWMASK => rule.fwmask = Some(number()?),
                FRA_IIFNAME => rule.iifname = Some(name()),
                FRA_OIFNAME => rule.oifname = Some(name()),
                FRA_TABLE => rule.table = number()?,
                FRA_PRIORITY => rule.priority = Some(number()?),
                _ => {}
            }
        }
        Ok(rule)
    }

    /// Its fixed body and attributes, in the order `ip rule` sends them for the words in
    /// the order `routes` documents (`from`, `to`, `fwmark`, `iif`, `oif`, `lookup`, `pref`).
    pub fn emit(&self, request: &mut Request<'_>) {
        let (table_byte, table_attribute) = split_table(self.table);
        request.put(&[
            self.family,
            self.dst_len,
            self.src_len,
            0, // tos
            table_byte,
            0,
            0,
            self.action,
        ]);
        request.put(&self.flags.to_ne_bytes());
        if let Some(src) = self.src {
            request.attribute(FRA_SRC, src);
        }
        if let Some(dst) = self.dst {
            request.attribute(FRA_DST, dst);
        }
        if let Some(fwmark) = self.fwmark {
            request.attribute_u32(FRA_FWMARK, fwmark);
        }
        if let Some(fwmask) = self.fwmask {
            request.attribute_u32(FRA_FWMASK, fwmask);
        }
        for (kind, name) in [(FRA_IIFNAME, self.iifname), (FRA_OIFNAME, self.oifname)] {
            if let Some(name) = name {
                emit_name(request, kind, name);
            }
        }
        if let Some(table) = table_attribute {
            request.attribute_u32(FRA_TABLE, table);
        }
        if let Some(priority) = self.priority {
            request.attribute_u32(FRA_PRIORITY, priority);
        }
    }
}

/// An interface name attribute: the name and its NUL (IFNAMSIZ is 16 with the NUL).
fn emit_name(request: &mut Request<'_>, kind: u16, name: &[u8]) {
    let mut value = [0u8; 16];
    let len = name.len().min(15);
    value[..len].copy_from_slice(&name[..len]);
    request.attribute(kind, &value[..len + 1]);
}
