//! What one ELF file is made of: its sections' sizes, its largest symbols, and the machinery a
//! `no_std` build must not carry. Pure functions over the file's bytes; reading the files and
//! running tools happens elsewhere.

use object::{BinaryFormat, Object, ObjectSection, ObjectSymbol, SectionFlags, SectionKind};

/// Section figures of one file, as `readelf -S` and `size -A` report them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sections {
    /// The sum of every `SHF_ALLOC` section (`.bss` included): what the loader maps.
    pub loaded: u64,
    pub text: u64,
    pub rodata: u64,
    pub data: u64,
    pub bss: u64,
}

/// One defined symbol with a size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    /// Demangled, without the hash suffix.
    pub name: String,
    pub size: u64,
    pub section: String,
}

/// Something a shipped `no_std` file should not contain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub what: &'static str,
    /// The symbol name or string that gave it away.
    pub evidence: String,
}

/// Parses `bytes` as ELF, with errors a person can act on: truncated files and non-ELF files
/// are named as such instead of failing later.
fn parse(bytes: &[u8]) -> Result<object::File<'_>, String> {
    if !bytes.starts_with(b"\x7fELF") {
        return Err("not an ELF file (no \\x7fELF magic)".into());
    }
    let file = object::File::parse(bytes)
        .map_err(|e| format!("not a readable ELF file ({e}); truncated or damaged?"))?;
    if file.format() != BinaryFormat::Elf {
        return Err("not an ELF file".into());
    }
    if let Some(end) = segments_end(&file)
        && end > bytes.len() as u64
    {
        return Err(format!(
            "its segments end at byte {end}, past the end of the file ({} bytes); truncated?",
            bytes.len()
        ));
    }
    for section in file.sections() {
        if let Some((offset, size)) = section.file_range()
            && offset
                .checked_add(size)
                .is_none_or(|end| end > bytes.len() as u64)
        {
            return Err(format!(
                "section {} ends past the end of the file ({} bytes); truncated?",
                section.name().unwrap_or("?"),
                bytes.len()
            ));
        }
    }
    Ok(file)
}

/// The last byte any segment's file image takes (None when the offsets overflow).
fn segments_end(file: &object::File<'_>) -> Option<u64> {
    use object::read::elf::ProgramHeader;
    let ends = |offset: u64, size: u64| offset.checked_add(size);
    match file {
        object::File::Elf32(elf) => {
            let e = elf.endian();
            elf.elf_program_headers()
                .iter()
                .map(|p| ends(p.p_offset(e).into(), p.p_filesz(e).into()))
                .try_fold(0u64, |max, end| end.map(|end| max.max(end)))
        }
        object::File::Elf64(elf) => {
            let e = elf.endian();
            elf.elf_program_headers()
                .iter()
                .map(|p| ends(p.p_offset(e), p.p_filesz(e)))
                .try_fold(0u64, |max, end| end.map(|end| max.max(end)))
        }
        _ => Some(0),
    }
}

/// Each loadable segment: its address and the bytes the file holds for it.
fn loadable<'a>(file: &object::File<'_>, bytes: &'a [u8]) -> Vec<(u64, &'a [u8])> {
    use object::read::elf::ProgramHeader;
    let image = |offset: u64, size: u64| {
        let start = usize::try_from(offset).ok()?;
        bytes.get(start..start.checked_add(usize::try_from(size).ok()?)?)
    };
    let segments: Vec<(u32, u64, u64, u64)> = match file {
        object::File::Elf32(elf) => {
            let e = elf.endian();
            elf.elf_program_headers()
                .iter()
                .map(|p| {
                    let (offset, size) = (p.p_offset(e).into(), p.p_filesz(e).into());
                    (p.p_type(e), p.p_vaddr(e).into(), offset, size)
                })
                .collect()
        }
        object::File::Elf64(elf) => {
            let e = elf.endian();
            elf.elf_program_headers()
                .iter()
                .map(|p| (p.p_type(e), p.p_vaddr(e), p.p_offset(e), p.p_filesz(e)))
                .collect()
        }
        _ => Vec::new(),
    };
    // A segment that starts at the file's start holds the ELF header, whose section header
    // fields are all that stripping changes there: compared from after it.
    let header = match file {
        object::File::Elf32(_) => 52,
        _ => 64,
    };
    segments
        .into_iter()
        .filter(|s| s.0 == object::elf::PT_LOAD)
        .filter_map(|(_, address, offset, size)| {
            let skip = if offset == 0 { header.min(size) } else { 0 };
            Some((address + skip, image(offset + skip, size - skip)?))
        })
        .collect()
}

/// Checks that `bytes` is a whole ELF file with segments for the loader: the shipped form,
/// which has no section headers to measure.
pub fn check_shipped(bytes: &[u8]) -> Result<(), String> {
    if loadable(&parse(bytes)?, bytes).is_empty() {
        return Err("no loadable segments: nothing would load it".into());
    }
    Ok(())
}

/// Checks that `unstripped` is the copy of the shipped `bytes`: the same loadable segments,
/// byte for byte, so that what is measured in the copy is what ships.
pub fn check_copy(bytes: &[u8], unstripped: &[u8]) -> Result<(), String> {
    if loadable(&parse(unstripped)?, unstripped) != loadable(&parse(bytes)?, bytes) {
        return Err(
            "its loadable segments differ from the shipped file's: the copy is stale (run \
             `cargo xtask dist`)"
                .into(),
        );
    }
    Ok(())
}

fn is_alloc(section: &object::Section<'_, '_>) -> bool {
    match section.flags() {
        SectionFlags::Elf { sh_flags } => sh_flags & u64::from(object::elf::SHF_ALLOC) != 0,
        _ => false,
    }
}

/// The section figures of an ELF file.
pub fn sections(bytes: &[u8]) -> Result<Sections, String> {
    let file = parse(bytes)?;
    let mut sizes = Sections::default();
    for section in file.sections() {
        let size = section.size();
        // Saturating: a damaged `.bss` (no file bytes to check against) may claim any size.
        if is_alloc(&section) {
            sizes.loaded = sizes.loaded.saturating_add(size);
        }
        let named = match section.name() {
            Ok(".text") => &mut sizes.text,
            Ok(".rodata") => &mut sizes.rodata,
            Ok(".data") => &mut sizes.data,
            Ok(".bss") => &mut sizes.bss,
            _ => continue,
        };
        *named = named.saturating_add(size);
    }
    Ok(sizes)
}

/// The `count` largest defined symbols, largest first: from the symbol table, or from the
/// dynamic one when the file has been stripped.
pub fn largest_symbols(bytes: &[u8], count: usize) -> Result<Vec<Symbol>, String> {
    let file = parse(bytes)?;
    let table: Vec<_> = if file.symbols().next().is_some() {
        file.symbols().collect()
    } else {
        file.dynamic_symbols().collect()
    };
    let mut symbols: Vec<Symbol> = table
        .iter()
        .filter(|s| s.is_definition() && s.size() > 0)
        .map(|s| Symbol {
            name: demangle(s.name().unwrap_or("?")),
            size: s.size(),
            section: s
                .section_index()
                .and_then(|i| file.section_by_index(i).ok())
                .and_then(|section| section.name().ok().map(String::from))
                .unwrap_or_default(),
        })
        .collect();
    symbols.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.name.cmp(&b.name)));
    symbols.truncate(count);
    Ok(symbols)
}

fn demangle(name: &str) -> String {
    format!("{:#}", rustc_demangle::demangle(name))
}

/// Symbol paths that only a build with formatting, unwinding, allocation or std has.
const FORBIDDEN_PATHS: &[(&str, &str)] = &[
    ("core::fmt::", "formatting machinery (core::fmt)"),
    ("core::panicking::", "panic machinery (core::panicking)"),
    ("std::", "std"),
    ("alloc::", "an allocator (alloc)"),
];

/// Symbol names, matched whole or as a prefix, with the same meaning.
const FORBIDDEN_NAMES: &[(&str, &str)] = &[
    (
        "rust_begin_unwind",
        "a panic handler that formats its message",
    ),
    ("rust_eh_personality", "unwinding"),
    ("_Unwind_", "an unwinder"),
    ("__rust_alloc", "an allocator (alloc)"),
    ("__rust_start_panic", "panic machinery"),
];

/// What the unstripped copy of a shipped file (its symbol names, and the sections the shipped
/// file loads, byte for byte the same) reveals of formatting, panic, unwinding or allocation
/// code, or of the source-file paths that panic locations keep.
pub fn forbidden_machinery(unstripped: &[u8]) -> Result<Vec<Finding>, String> {
    let named = parse(unstripped)?;
    let mut findings = Vec::new();
    let names = named
        .symbols()
        .chain(named.dynamic_symbols())
        .filter_map(|s| s.name().ok().map(demangle));
    for name in names {
        let hit = FORBIDDEN_PATHS
            .iter()
            .find(|(path, _)| mentions_path(&name, path))
            .or_else(|| {
                FORBIDDEN_NAMES
                    .iter()
                    .find(|(prefix, _)| name.starts_with(prefix))
            });
        if let Some(&(_, what)) = hit
            && !findings.iter().any(|f: &Finding| f.evidence == name)
        {
            findings.push(Finding {
                what,
                evidence: name,
            });
        }
    }
    for section in named.sections() {
        let read_only_data = is_alloc(&section)
            && matches!(
                section.kind(),
                SectionKind::ReadOnlyData | SectionKind::ReadOnlyString | SectionKind::Data
            );
        if !read_only_data {
            continue;
        }
        let data = section.data().map_err(|e| e.to_string())?;
        for text in panic_texts(data) {
            if !findings.iter().any(|f| f.evidence == text) {
                findings.push(Finding {
                    what: "panic message or location text",
                    evidence: text,
                });
            }
        }
    }
    Ok(findings)
}

/// Whether `name` names something under `path` (`core::fmt::`), as a whole path segment: so
/// `core::alloc::Layout` does not count as `alloc::`, while `<alloc::vec::Vec<u8>>` does.
fn mentions_path(name: &str, path: &str) -> bool {
    name.match_indices(path).any(|(at, _)| {
        name[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':'))
    })
}

/// Source paths (`src/main.rs`, as panic locations store them) and `panicked at` in `data`.
/// A path is a run of path characters with a `/` in it, ending in `.rs`.
fn panic_texts(data: &[u8]) -> Vec<String> {
    let is_path_byte = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/');
    let mut found = Vec::new();
    if data.windows(11).any(|w| w == b"panicked at") {
        found.push("panicked at".to_string());
    }
    for (end, _) in data.windows(3).enumerate().filter(|(_, w)| *w == b".rs") {
        let start = data[..end]
            .iter()
            .rposition(|&b| !is_path_byte(b))
            .map_or(0, |i| i + 1);
        let path = &data[start..end + 3];
        let has_stem = end > start && data[end - 1].is_ascii_alphanumeric();
        if has_stem && path.contains(&b'/') {
            let path = String::from_utf8_lossy(path).into_owned();
            if !found.contains(&path) {
                found.push(path);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_whole_segments() {
        assert!(mentions_path("core::fmt::write", "core::fmt::"));
        assert!(mentions_path(
            "<alloc::vec::Vec<u8> as core::ops::Drop>::drop",
            "alloc::"
        ));
        assert!(mentions_path(
            "<&T as core::fmt::Display>::fmt",
            "core::fmt::"
        ));
        assert!(!mentions_path("core::alloc::Layout::new", "alloc::"));
        assert!(!mentions_path("mystd::thing", "std::"));
        assert!(!mentions_path("ufmt::uwrite", "core::fmt::"));
    }

    #[test]
    fn finds_source_paths_and_panic_text() {
        let data =
            b"\x00\x17src/main.rsLIBPACKETMARK\x00/rustc/abc/library/core/src/fmt/mod.rs\x01";
        assert_eq!(
            panic_texts(data),
            ["src/main.rs", "/rustc/abc/library/core/src/fmt/mod.rs"]
        );
        assert_eq!(panic_texts(b"panicked at x"), ["panicked at"]);
    }

    #[test]
    fn ignores_what_is_not_a_source_path() {
        assert!(panic_texts(b"\x00.rs\x00 a.rs b/.rs LIBPACKETMARK_MARK=\x00").is_empty());
    }

    #[test]
    fn rejects_non_elf_and_truncated_input() {
        assert!(
            sections(b"hello, world")
                .unwrap_err()
                .contains("not an ELF file")
        );
        assert!(sections(b"").unwrap_err().contains("not an ELF file"));
        let header_only = b"\x7fELF\x01\x02\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02";
        assert!(sections(header_only).unwrap_err().contains("truncated"));
    }

    /// Every prefix of a real ELF file, and the file with each byte of its headers and section
    /// table spoiled, gives figures or an error: never a panic.
    #[test]
    fn damaged_files_give_errors_not_panics() {
        let real = std::fs::read("/usr/bin/true").expect("coreutils' true");
        let all = |bytes: &[u8]| {
            let _ = sections(bytes);
            let _ = largest_symbols(bytes, 20);
            let _ = forbidden_machinery(bytes);
        };
        for len in (0..real.len()).filter(|len| *len < 4096 || len % 61 == 0) {
            all(&real[..len]);
        }
        let elf = object::read::elf::ElfFile64::<object::Endianness>::parse(&*real).unwrap();
        let header = elf.elf_header();
        let endian = elf.endian();
        let table_start = object::read::elf::FileHeader::e_shoff(header, endian) as usize;
        let header_bytes = 0..1024.min(real.len());
        let table_bytes = table_start..real.len();
        for at in header_bytes.chain(table_bytes) {
            for spoiled in [0x00, 0xff, real[at] ^ 0x80] {
                let mut copy = real.clone();
                copy[at] = spoiled;
                all(&copy);
            }
        }
    }

    #[test]
    fn measures_this_test_program() {
        // The test binary is an ELF file with code and data: its figures are consistent.
        let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let sizes = sections(&me).unwrap();
        assert!(sizes.text > 0 && sizes.rodata > 0);
        assert!(sizes.loaded >= sizes.text + sizes.rodata + sizes.data + sizes.bss);
        let largest = largest_symbols(&me, 20).unwrap();
        assert_eq!(largest.len(), 20);
        assert!(largest.windows(2).all(|w| w[0].size >= w[1].size));
        let findings = forbidden_machinery(&me).unwrap();
        assert!(
            findings
                .iter()
                .any(|f| f.evidence.starts_with("core::fmt::"))
        );
    }
}
