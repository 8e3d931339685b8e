//! Shipped files without section headers, as OpenWrt's `sstrip` leaves them: the loader reads
//! only the ELF header and the program headers, so everything past the last byte a segment
//! holds (the section header table, the section names, `.symtab` remnants) is flash spent on
//! nobody. The unstripped copy keeps the sections for size work.

use crate::cmd::{Result, fail};
use object::Endianness;
use object::read::elf::{FileHeader, ProgramHeader};
use std::fs;
use std::path::Path;

/// Rewrites `path` without its section headers: cut after the last byte of the ELF header,
/// the program headers or any segment's file image, and the section header fields zeroed.
pub fn drop_section_headers(path: &Path) -> Result {
    let bytes = fs::read(path)?;
    match trimmed(&bytes) {
        Ok(bytes) => Ok(fs::write(path, bytes)?),
        Err(why) => fail(format!("{}: {why}", path.display())),
    }
}

/// The file `bytes` without section headers (pure, so that it is tested on made-up files).
/// The ELF header and the program headers are read with `object`, as size-report reads them.
pub fn trimmed(bytes: &[u8]) -> std::result::Result<Vec<u8>, String> {
    use object::elf::{FileHeader32, FileHeader64};
    use std::mem::offset_of;
    type Elf32 = FileHeader32<Endianness>;
    type Elf64 = FileHeader64<Endianness>;
    match object::FileKind::parse(bytes) {
        Ok(object::FileKind::Elf32) => trim::<Elf32>(
            bytes,
            [
                (offset_of!(Elf32, e_shoff), 4),
                (offset_of!(Elf32, e_shnum), 2),
                (offset_of!(Elf32, e_shstrndx), 2),
            ],
        ),
        Ok(object::FileKind::Elf64) => trim::<Elf64>(
            bytes,
            [
                (offset_of!(Elf64, e_shoff), 8),
                (offset_of!(Elf64, e_shnum), 2),
                (offset_of!(Elf64, e_shstrndx), 2),
            ],
        ),
        _ => Err("not a 32- or 64-bit ELF file".into()),
    }
}

/// `trimmed` for one ELF class; `section_fields` are where the header's section header
/// offset, count and name index sit, and their sizes.
fn trim<H: FileHeader<Endian = Endianness>>(
    bytes: &[u8],
    section_fields: [(usize, usize); 3],
) -> std::result::Result<Vec<u8>, String> {
    let header = H::parse(bytes).map_err(|e| e.to_string())?;
    let e = header.endian().map_err(|e| e.to_string())?;
    let segments = header
        .program_headers(e, bytes)
        .map_err(|e| e.to_string())?;
    if segments.is_empty() {
        return Err("no program headers: nothing would load it".into());
    }
    let program_headers_end =
        header.e_phoff(e).into() + u64::from(header.e_phentsize(e)) * segments.len() as u64;
    let mut end = u64::from(header.e_ehsize(e)).max(program_headers_end);
    for segment in segments {
        end = end.max(segment.p_offset(e).into() + segment.p_filesz(e).into());
    }
    let end = usize::try_from(end).map_err(|e| e.to_string())?;
    if end > bytes.len() {
        return Err(format!(
            "its segments end at byte {end}, past its end ({})",
            bytes.len()
        ));
    }
    let mut out = bytes[..end].to_vec();
    for (at, size) in section_fields {
        out[at..at + size].fill(0);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::trimmed;

    /// A made-up 32-bit big-endian file: header, one program header whose segment is bytes
    /// 84..100, then 28 bytes of "section headers".
    fn elf32_big_endian() -> Vec<u8> {
        let mut file = vec![0u8; 128];
        file[..7].copy_from_slice(b"\x7fELF\x01\x02\x01");
        file[28..32].copy_from_slice(&52u32.to_be_bytes()); // e_phoff
        file[32..36].copy_from_slice(&100u32.to_be_bytes()); // e_shoff
        file[40..42].copy_from_slice(&52u16.to_be_bytes()); // e_ehsize
        file[42..44].copy_from_slice(&32u16.to_be_bytes()); // e_phentsize
        file[44..46].copy_from_slice(&1u16.to_be_bytes()); // e_phnum
        file[48..50].copy_from_slice(&3u16.to_be_bytes()); // e_shnum
        file[50..52].copy_from_slice(&2u16.to_be_bytes()); // e_shstrndx
        file[52 + 4..52 + 8].copy_from_slice(&84u32.to_be_bytes()); // p_offset
        file[52 + 16..52 + 20].copy_from_slice(&16u32.to_be_bytes()); // p_filesz
        file
    }

    #[test]
    fn cuts_after_the_last_segment_and_zeroes_the_section_fields() {
        let out = trimmed(&elf32_big_endian()).unwrap();
        assert_eq!(out.len(), 100);
        assert_eq!(&out[32..36], &[0; 4]);
        assert_eq!(&out[48..52], &[0; 4]);
        assert_eq!(&out[..32], &elf32_big_endian()[..32]);
    }

    #[test]
    fn a_64_bit_little_endian_file() {
        let mut file = vec![0u8; 200];
        file[..7].copy_from_slice(b"\x7fELF\x02\x01\x01");
        file[32..40].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
        file[40..48].copy_from_slice(&180u64.to_le_bytes()); // e_shoff
        file[52..54].copy_from_slice(&64u16.to_le_bytes());
        file[54..56].copy_from_slice(&56u16.to_le_bytes());
        file[56..58].copy_from_slice(&2u16.to_le_bytes());
        file[60..62].copy_from_slice(&5u16.to_le_bytes());
        // Segment 1 ends at 150, segment 2 (e.g. GNU_STACK) is empty.
        file[64 + 8..64 + 16].copy_from_slice(&120u64.to_le_bytes());
        file[64 + 32..64 + 40].copy_from_slice(&30u64.to_le_bytes());
        let out = trimmed(&file).unwrap();
        assert_eq!(out.len(), 64 + 2 * 56);
        assert_eq!(&out[40..48], &[0; 8]);
        assert_eq!(&out[60..62], &[0; 2]);
    }

    #[test]
    fn refuses_what_it_cannot_trim_safely() {
        assert!(trimmed(b"hello, world, this is not an ELF file at all, no sir").is_err());
        let mut no_segments = elf32_big_endian();
        no_segments[44..46].fill(0);
        assert!(trimmed(&no_segments).is_err());
        let truncated = &elf32_big_endian()[..90];
        assert!(trimmed(truncated).unwrap_err().contains("past its end"));
    }
}
