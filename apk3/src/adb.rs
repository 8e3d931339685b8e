//! The ADB container as apk-tools 3 lays it out (its doc/apk-v3.5.scd and src/adb.c): a
//! buffer of little-endian values that an 8-byte header points into, framed in blocks.
//!
//! A value is a `u32`: four bits of type, 28 of an inline integer or of an offset into the
//! buffer. Scalars and objects are written when they are made, children before the object
//! that lists them, and a value whose bytes were written before (at a suitable alignment) is
//! not written again but pointed to. The order of writes therefore decides the bytes; the
//! package and index modules make them in the order `apk mkpkg` and `apk mkndx` do, and the
//! golden vectors hold them to it.

use std::collections::HashMap;

/// One value: type in the top four bits, inline number or buffer offset below.
pub type Value = u32;

/// No value: an unset field, an empty blob, an empty object.
pub const NULL: Value = 0;

const INT: u32 = 0x1000_0000;
const INT_32: u32 = 0x2000_0000;
const INT_64: u32 = 0x3000_0000;
const BLOB_8: u32 = 0x8000_0000;
const BLOB_16: u32 = 0x9000_0000;
const BLOB_32: u32 = 0xa000_0000;
const ARRAY: u32 = 0xd000_0000;
const OBJECT: u32 = 0xe000_0000;
const TYPE_MASK: u32 = 0xf000_0000;
const VALUE_MASK: u32 = 0x0fff_ffff;

/// What a block holds: the top two bits of its first word.
#[derive(Clone, Copy)]
pub enum Block {
    /// The value buffer.
    Adb = 0,
    /// A signature of the value buffer.
    Signature = 1,
    /// The contents of one file of a package.
    Data = 2,
}

/// Blocks start and end on this boundary.
const BLOCK_ALIGNMENT: usize = 8;

/// The largest payload a block of the short form carries (1 GiB less its header); the
/// long form apk also reads is never needed for the packages made here.
const MAX_SHORT_PAYLOAD: usize = 0x3fff_ffff - 4;

/// The four bytes that name a file's schema: a package, an index.
pub type Schema = [u8; 4];
pub const PACKAGE: Schema = *b"pckg";
pub const INDEX: Schema = *b"indx";

/// A value buffer being written.
pub struct Writer {
    bytes: Vec<u8>,
    /// Where each run of bytes written through the cache starts, the last time it was written.
    written: HashMap<Vec<u8>, usize>,
}

impl Default for Writer {
    fn default() -> Self {
        Self::new()
    }
}

impl Writer {
    /// A buffer that starts with the header (versions 0, its root to be set by `finish`).
    pub fn new() -> Self {
        let mut writer = Writer {
            bytes: Vec::new(),
            written: HashMap::new(),
        };
        writer.raw(&[&[0; 8]], 8);
        writer
    }

    /// Appends `parts` at the next multiple of `alignment` (zeros between); their offset.
    fn raw(&mut self, parts: &[&[u8]], alignment: usize) -> usize {
        let start = self.bytes.len().next_multiple_of(alignment);
        self.bytes.resize(start, 0);
        for part in parts {
            self.bytes.extend_from_slice(part);
        }
        start
    }

    /// As `raw`, but bytes written before at an offset that suits `alignment` are pointed
    /// to instead; a run written anew replaces the old one as the one to point to.
    fn data(&mut self, parts: &[&[u8]], alignment: usize) -> usize {
        let key = parts.concat();
        if let Some(&at) = self.written.get(&key)
            && at % alignment == 0
        {
            return at;
        }
        let at = self.raw(&[&key], alignment);
        self.written.insert(key, at);
        at
    }

    fn offset(at: usize) -> u32 {
        u32::try_from(at)
            .ok()
            .filter(|at| at & !VALUE_MASK == 0)
            .expect("an ADB buffer holds at most 256 MiB")
    }

    /// A blob with its length before it in one, two or four bytes; `NULL` when empty.
    pub fn blob(&mut self, bytes: &[u8]) -> Value {
        self.blob_parts(&[bytes], true).0
    }

    /// A blob written where nothing else will point to it, so that it can be changed in
    /// place later; with the offset of its bytes (after the length).
    pub fn blob_in_place(&mut self, bytes: &[u8]) -> (Value, usize) {
        self.blob_parts(&[bytes], false)
    }

    fn blob_parts(&mut self, parts: &[&[u8]], cached: bool) -> (Value, usize) {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let (kind, prefix): (u32, Vec<u8>) = if len > 0xffff {
            let len = u32::try_from(len).expect("a blob under 4 GiB");
            (BLOB_32, len.to_le_bytes().to_vec())
        } else if len > 0xff {
            (BLOB_16, (len as u16).to_le_bytes().to_vec())
        } else if len > 0 {
            (BLOB_8, vec![len as u8])
        } else {
            return (NULL, 0);
        };
        let mut all: Vec<&[u8]> = vec![&prefix];
        all.extend_from_slice(parts);
        let at = if cached {
            self.data(&all, prefix.len())
        } else {
            self.raw(&all, prefix.len())
        };
        (kind | Self::offset(at), at + prefix.len())
    }

    /// A number: inline below 2^28, else four or eight bytes in the buffer.
    pub fn int(&mut self, number: u64) -> Value {
        if number >= 1 << 32 {
            INT_64 | Self::offset(self.data(&[&number.to_le_bytes()], 4))
        } else if number >= 1 << 28 {
            INT_32 | Self::offset(self.data(&[&(number as u32).to_le_bytes()], 4))
        } else {
            INT | number as u32
        }
    }

    /// An object: `fields[0]` is field 1. Unset fields at the end are left off; `NULL` when
    /// no field is set.
    ///
    /// Arrays are written with this too, their items in the order given (sorted by the
    /// caller where the schema sorts): `apk mkpkg` and `apk mkndx` commit every array of a
    /// package and an index as an object (`adb_wo_obj`, and `adb_w_obj` for dependencies
    /// read from text), so their type word says object, and apk reads them by schema.
    pub fn object(&mut self, fields: &[Value]) -> Value {
        let used = fields.iter().rposition(|&v| v != NULL).map_or(0, |i| i + 1);
        if used == 0 {
            return NULL;
        }
        OBJECT | Self::offset(self.data(&[&list_bytes(&fields[..used])], 4))
    }

    /// `value` of the buffer `source` written into this one, children first, as apk copies
    /// a package's information into an index.
    pub fn copy(&mut self, source: &[u8], value: Value) -> Value {
        let at = (value & VALUE_MASK) as usize;
        match value & TYPE_MASK {
            INT_32 => INT_32 | Self::offset(self.data(&[&source[at..at + 4]], 4)),
            INT_64 => INT_64 | Self::offset(self.data(&[&source[at..at + 8]], 8)),
            BLOB_8 | BLOB_16 | BLOB_32 => {
                let (prefix, len) = blob_prefix(source, value);
                let kind = value & TYPE_MASK;
                kind | Self::offset(self.data(&[&source[at..at + prefix + len]], prefix))
            }
            kind @ (OBJECT | ARRAY) => {
                let copied: Vec<Value> = entries(source, value)
                    .into_iter()
                    .map(|v| self.copy(source, v))
                    .collect();
                kind | Self::offset(self.data(&[&list_bytes(&copied)], 4))
            }
            _ => value,
        }
    }

    /// The buffer so far.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Changes bytes written with `blob_in_place`.
    pub fn overwrite(&mut self, at: usize, bytes: &[u8]) {
        self.bytes[at..at + bytes.len()].copy_from_slice(bytes);
    }

    /// Points the header at `root`.
    pub fn set_root(&mut self, root: Value) {
        self.bytes[4..8].copy_from_slice(&root.to_le_bytes());
    }

    /// The finished buffer, as the ADB block carries it.
    pub fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

/// An object's or array's bytes: the number of its words, itself included, then its values.
fn list_bytes(values: &[Value]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(4 * (values.len() + 1));
    bytes.extend_from_slice(&(values.len() as u32 + 1).to_le_bytes());
    for value in values {
        bytes.extend_from_slice(&value.to_le_bytes());
    }
    bytes
}

/// The length of a blob's length prefix and the blob's length.
fn blob_prefix(buffer: &[u8], value: Value) -> (usize, usize) {
    let at = (value & VALUE_MASK) as usize;
    match value & TYPE_MASK {
        BLOB_8 => (1, buffer[at] as usize),
        BLOB_16 => (2, u16::from_le_bytes([buffer[at], buffer[at + 1]]) as usize),
        _ => (4, le32(buffer, at) as usize),
    }
}

fn le32(buffer: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(buffer[at..at + 4].try_into().expect("four bytes"))
}

/// The values an object or array lists (field 1 first); none for anything else.
pub fn entries(buffer: &[u8], value: Value) -> Vec<Value> {
    if !matches!(value & TYPE_MASK, OBJECT | ARRAY) {
        return Vec::new();
    }
    let at = (value & VALUE_MASK) as usize;
    let count = le32(buffer, at) as usize;
    (1..count).map(|i| le32(buffer, at + 4 * i)).collect()
}

/// Field `index` (from 1) of an object, `NULL` when unset.
pub fn field(buffer: &[u8], object: Value, index: usize) -> Value {
    entries(buffer, object)
        .get(index - 1)
        .copied()
        .unwrap_or(NULL)
}

/// The bytes of a blob; empty for `NULL`.
pub fn blob(buffer: &[u8], value: Value) -> &[u8] {
    if !matches!(value & TYPE_MASK, BLOB_8 | BLOB_16 | BLOB_32) {
        return &[];
    }
    let at = (value & VALUE_MASK) as usize;
    let (prefix, len) = blob_prefix(buffer, value);
    &buffer[at + prefix..at + prefix + len]
}

/// A number; 0 for anything else.
pub fn int(buffer: &[u8], value: Value) -> u64 {
    let at = (value & VALUE_MASK) as usize;
    match value & TYPE_MASK {
        INT => u64::from(value & VALUE_MASK),
        INT_32 => u64::from(le32(buffer, at)),
        INT_64 => u64::from(le32(buffer, at)) | u64::from(le32(buffer, at + 4)) << 32,
        _ => 0,
    }
}

/// The root value a finished buffer's header names.
pub fn root(buffer: &[u8]) -> Value {
    le32(buffer, 4)
}

/// The file's first eight bytes: the magic `ADB.` and the schema.
pub fn file_header(out: &mut Vec<u8>, schema: Schema) {
    out.extend_from_slice(b"ADB.");
    out.extend_from_slice(&schema);
}

/// A block of `kind` holding `parts`, padded to the block alignment.
pub fn block(out: &mut Vec<u8>, kind: Block, parts: &[&[u8]]) {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    assert!(len <= MAX_SHORT_PAYLOAD, "a block of at most 1 GiB");
    let raw = 4 + len;
    out.extend_from_slice(&(((kind as u32) << 30) + raw as u32).to_le_bytes());
    for part in parts {
        out.extend_from_slice(part);
    }
    out.resize(out.len() + raw.next_multiple_of(BLOCK_ALIGNMENT) - raw, 0);
}

/// The blocks of a file after its header, each as (kind, payload).
pub fn blocks(file: &[u8]) -> Vec<(u32, &[u8])> {
    let mut found = Vec::new();
    let mut at = 8;
    while at + 4 <= file.len() {
        let word = le32(file, at);
        let raw = (word & 0x3fff_ffff) as usize;
        if raw < 4 || at + raw > file.len() {
            break;
        }
        found.push((word >> 30, &file[at + 4..at + raw]));
        at += raw.next_multiple_of(BLOCK_ALIGNMENT);
    }
    found
}

/// A file stored compressed as apk stores them by default: `ADBd`, then the file as a raw
/// deflate stream.
pub fn deflate(file: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut out = b"ADBd".to_vec();
    let mut encoder = flate2::write::DeflateEncoder::new(&mut out, flate2::Compression::best());
    encoder
        .write_all(file)
        .and_then(|()| encoder.finish().map(drop))
        .expect("deflating into memory");
    out
}

/// The file inside `ADBd` (or the file itself when it is stored as it is).
pub fn inflate(stored: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    match stored.strip_prefix(b"ADBd") {
        Some(deflated) => {
            let mut file = Vec::new();
            flate2::read::DeflateDecoder::new(deflated).read_to_end(&mut file)?;
            Ok(file)
        }
        None => Ok(stored.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_written_before_are_pointed_to_where_their_alignment_allows() {
        let mut w = Writer::new();
        let a = w.blob(b"root");
        let b = w.blob(b"root");
        assert_eq!(a, b);
        assert_eq!(a, BLOB_8 | 8);
        // "\x04root" at 8..13; the object aligns to 16.
        let list = w.object(&[a]);
        assert_eq!(list, OBJECT | 16);
        assert_eq!(&w.bytes()[16..24], &[2, 0, 0, 0, 0x08, 0, 0, 0x80]);
        // Four bytes that equal the array's first word but are not aligned to four are
        // written anew; after that, the new copy is the one pointed to.
        let mut w = Writer::new();
        w.blob(b"x");
        let odd = w.data(&[&[2, 0, 0, 0]], 1);
        assert_eq!(odd, 10);
        assert_eq!(w.data(&[&[2, 0, 0, 0]], 4), 16);
        assert_eq!(w.data(&[&[2, 0, 0, 0]], 1), 16);
    }

    #[test]
    fn numbers_are_inline_below_two_to_the_28th() {
        let mut w = Writer::new();
        assert_eq!(w.int(0), INT);
        assert_eq!(w.int(0x0fff_ffff), INT | 0x0fff_ffff);
        assert_eq!(w.int(1_700_000_000), INT_32 | 8);
        assert_eq!(&w.bytes()[8..12], &1_700_000_000u32.to_le_bytes());
        assert_eq!(w.int(1 << 40), INT_64 | 12);
    }

    #[test]
    fn objects_leave_off_unset_fields_at_the_end() {
        let mut w = Writer::new();
        assert_eq!(w.object(&[NULL, NULL]), NULL);
        let o = w.object(&[INT | 1, NULL, INT | 2, NULL]);
        let buffer = w.finish();
        assert_eq!(entries(&buffer, o), [INT | 1, NULL, INT | 2]);
        assert_eq!(field(&buffer, o, 4), NULL);
    }

    #[test]
    fn blocks_are_padded_to_eight_bytes_and_read_back() {
        let mut out = Vec::new();
        file_header(&mut out, PACKAGE);
        block(&mut out, Block::Adb, &[b"abc"]);
        block(&mut out, Block::Data, &[b"12345678", b"x"]);
        assert_eq!(out.len(), 8 + 8 + 16);
        assert_eq!(&out[8..12], &7u32.to_le_bytes());
        assert_eq!(&out[16..20], &((2u32 << 30) + 13).to_le_bytes());
        let found = blocks(&out);
        assert_eq!(found, [(0, &b"abc"[..]), (2, &b"12345678x"[..])]);
    }

    #[test]
    fn a_deflated_file_inflates_to_itself() {
        let file = b"ADB.pckg and some more bytes".repeat(10);
        let stored = deflate(&file);
        assert!(stored.starts_with(b"ADBd") && stored.len() < file.len());
        assert_eq!(inflate(&stored).unwrap(), file);
        assert_eq!(inflate(&file).unwrap(), file);
    }
}
