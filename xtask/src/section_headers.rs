//! Shipped files without section headers, as OpenWrt's `sstrip` leaves them: the loader reads
//! only the ELF header and the program headers, so everything past the last byte a segment
//! holds (the section header table, the section names, `.symtab` remnants) is flash spent on
//! nobody. The unstripped copy keeps the sections for size work.

use crate::cmd::{Result, fail};
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

/// Where each ELF header field sits, by class.
struct Layout {
    phoff: (usize, usize),
    shoff: (usize, usize),
    ehsize: usize,
    phentsize: usize,
    phnum: usize,
    shnum: usize,
    shstrndx: usize,
    /// Offset and size of `p_offset` and `p_filesz` in a program header.
    p_offset: (usize, usize),
    p_filesz: (usize, usize),
}

const ELF32: Layout = Layout {
    phoff: (28, 4),
    shoff: (32, 4),
    ehsize: 40,
    phentsize: 42,
    phnum: 44,
    shnum: 48,
    shstrndx: 50,
    p_offset: (4, 4),
    p_filesz: (16, 4),
};

const ELF64: Layout = Layout {
    phoff: (32, 8),
    shoff: (40, 8),
    ehsize: 52,
    phentsize: 54,
    phnum: 56,
    shnum: 60,
    shstrndx: 62,
    p_offset: (8, 8),
    p_filesz: (32, 8),
};

/// The file `bytes` without section headers (pure, so that it is tested on made-up files).
pub fn trimmed(bytes: &[u8]) -> std::result::Result<Vec<u8>, String> {
    if bytes.len() < 52 || &bytes[..4] != b"\x7fELF" {
        return Err("not an ELF file".into());
    }
    let layout = match bytes[4] {
        1 => &ELF32,
        2 if bytes.len() >= 64 => &ELF64,
        _ => return Err("not a 32- or 64-bit ELF file".into()),
    };
    let big_endian = match bytes[5] {
        1 => false,
        2 => true,
        _ => return Err("unknown byte order".into()),
    };
    let read = |at: usize, size: usize| -> std::result::Result<u64, String> {
        let field = bytes
            .get(at..at + size)
            .ok_or_else(|| format!("truncated at byte {at}"))?;
        Ok(field.iter().enumerate().fold(0u64, |value, (i, &b)| {
            let shift = 8 * if big_endian { size - 1 - i } else { i };
            value | u64::from(b) << shift
        }))
    };
    let phoff = read(layout.phoff.0, layout.phoff.1)?;
    let phentsize = read(layout.phentsize, 2)?;
    let phnum = read(layout.phnum, 2)?;
    if phnum == 0 {
        return Err("no program headers: nothing would load it".into());
    }
    let mut end = read(layout.ehsize, 2)?.max(phoff + phentsize * phnum);
    for index in 0..phnum {
        let header = usize::try_from(phoff + index * phentsize).map_err(|e| e.to_string())?;
        let offset = read(header + layout.p_offset.0, layout.p_offset.1)?;
        let filesz = read(header + layout.p_filesz.0, layout.p_filesz.1)?;
        end = end.max(offset + filesz);
    }
    let end = usize::try_from(end).map_err(|e| e.to_string())?;
    if end > bytes.len() {
        return Err(format!(
            "its segments end at byte {end}, past its end ({})",
            bytes.len()
        ));
    }
    let mut out = bytes[..end].to_vec();
    for (at, size) in [layout.shoff, (layout.shnum, 2), (layout.shstrndx, 2)] {
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
        file[..6].copy_from_slice(b"\x7fELF\x01\x02");
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
        file[..6].copy_from_slice(b"\x7fELF\x02\x01");
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
