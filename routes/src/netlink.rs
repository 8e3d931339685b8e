//! The rtnetlink wire format for rules and routes: a zero-copy view of received messages,
//! their attributes, the parsed form of a rule or route message ([`Fields`]), and the header
//! every request starts with. Pure: no I/O. Netlink is in the host's byte order (big-endian on MIPS), so
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

pub const RTA_DST: u16 = kernel::rtattr_type_t::RTA_DST as u16;
pub const RTA_OIF: u16 = kernel::rtattr_type_t::RTA_OIF as u16;
pub const RTA_GATEWAY: u16 = kernel::rtattr_type_t::RTA_GATEWAY as u16;
pub const RTA_PRIORITY: u16 = kernel::rtattr_type_t::RTA_PRIORITY as u16;
pub const RTA_TABLE: u16 = kernel::rtattr_type_t::RTA_TABLE as u16;

pub const FRA_DST: u16 = kernel::FRA_DST as u16;
pub const FRA_SRC: u16 = kernel::FRA_SRC as u16;
pub const FRA_IIFNAME: u16 = kernel::FRA_IIFNAME as u16;
pub const FRA_OIFNAME: u16 = kernel::FRA_OIFNAME as u16;
pub const FRA_FWMARK: u16 = kernel::FRA_FWMARK as u16;
pub const FRA_FWMASK: u16 = kernel::FRA_FWMASK as u16;
pub const FRA_TABLE: u16 = kernel::FRA_TABLE as u16;
pub const FRA_PRIORITY: u16 = kernel::FRA_PRIORITY as u16;

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

pub fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

pub fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// Netlink's alignment: 4 bytes.
pub const fn align(len: usize) -> usize {
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

/// Writes a request's header into the first 16 bytes of `buffer`: its whole length, type,
/// flags and sequence number; port id 0 (the kernel fills it in).
pub fn write_header(buffer: &mut [u8], len: usize, kind: u16, flags: u16, seq: u32) {
    buffer[..4].copy_from_slice(&(len as u32).to_ne_bytes());
    buffer[4..6].copy_from_slice(&kind.to_ne_bytes());
    buffer[6..8].copy_from_slice(&flags.to_ne_bytes());
    buffer[8..12].copy_from_slice(&seq.to_ne_bytes());
    buffer[12..16].fill(0);
}

/// Attribute types below this are kept by [`Fields`]: every rule and route attribute
/// `routes` reads is (the last, `FRA_OIFNAME`, is 17).
const ATTRIBUTE_SLOTS: usize = 18;

// The table and the priority have the same attribute type in rules and routes, which lets
// one `Fields` serve both.
const _: () = assert!(RTA_TABLE == FRA_TABLE && RTA_PRIORITY == FRA_PRIORITY);
const _: () = assert!(FRA_OIFNAME as usize == ATTRIBUTE_SLOTS - 1);

/// A rule or route message in parsed form: the fixed body (`struct rtmsg` or
/// `struct fib_rule_hdr`, 12 bytes) and each attribute's value by type (the last of a type,
/// as the kernel takes it). The same form serves the kernel's dumps and `routes`' own
/// requests, so that the two compare field by field.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Fields<'a> {
    pub body: [u8; BODY_LEN],
    attributes: [Option<&'a [u8]>; ATTRIBUTE_SLOTS],
}

impl<'a> Fields<'a> {
    /// From the payload of a rule or route message (what follows the netlink header).
    pub fn parse(payload: &'a [u8]) -> Result<Fields<'a>, Malformed> {
        let body = payload.get(..BODY_LEN).ok_or(Malformed)?;
        let mut fields = Fields {
            body: body.try_into().map_err(|_| Malformed)?,
            attributes: [None; ATTRIBUTE_SLOTS],
        };
        for attribute in attributes(&payload[BODY_LEN..]) {
            let (kind, value) = attribute?;
            if let Some(slot) = fields.attributes.get_mut(usize::from(kind)) {
                *slot = Some(value);
            }
        }
        Ok(fields)
    }

    /// The value of attribute `kind`, if the message has one.
    pub fn get(&self, kind: u16) -> Option<&'a [u8]> {
        self.attributes.get(usize::from(kind)).copied().flatten()
    }

    /// A 32-bit attribute (a mark, a table, a priority, an interface index); one of another
    /// length counts as absent.
    pub fn number(&self, kind: u16) -> Option<u32> {
        self.get(kind).and_then(|value| u32_at(value, 0))
    }

    /// An interface name attribute, without its NUL.
    pub fn name(&self, kind: u16) -> Option<&'a [u8]> {
        self.get(kind)
            .map(|value| value.split(|&b| b == 0).next().unwrap_or_default())
    }

    /// The table: the attribute where there is one (tables above 255 need it), else the
    /// body's byte.
    pub fn table(&self) -> u32 {
        self.number(RTA_TABLE).unwrap_or(u32::from(self.body[4]))
    }
}
