//! The shipped files themselves: their ELF form, and that they run on their architecture.

use integration_tests::{
    PRELOAD_FILE, PROGRAMS, TARGETS, Target, command_for, dist_dir, llvm_tool, output,
};
use object::read::elf::{ElfFile32, FileHeader, ProgramHeader};
use object::{Endian, Endianness, Object, elf};

const LIBRARY: &str = PRELOAD_FILE;

fn read(target: &Target, name: &str) -> Vec<u8> {
    let path = dist_dir(target.triple).join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The shipped form, as OpenWrt's sstrip leaves a file: no section headers at all, and not a
/// byte after the last one a segment loads.
fn assert_shipped_form(data: &[u8], what: &str) {
    let file = object::File::parse(data).unwrap();
    assert_eq!(file.sections().count(), 0, "{what}: has section headers");
    let end = segments(data)
        .iter()
        .map(|&(_, offset, size)| offset + size)
        .max()
        .unwrap_or(0);
    let headers_end = match &file {
        object::File::Elf32(_) => 52 + 32 * segments(data).len() as u64,
        _ => 64 + 56 * segments(data).len() as u64,
    };
    assert_eq!(
        data.len() as u64,
        end.max(headers_end),
        "{what}: bytes past the last segment"
    );
}

#[test]
fn mips_files_are_32_bit_mips32r2_with_the_right_byte_order() {
    for target in TARGETS.iter().filter(|t| t.mips) {
        for name in PROGRAMS.iter().copied().chain([LIBRARY]) {
            let data = read(target, name);
            let what = format!("{} {name}", target.triple);
            let elf = ElfFile32::<Endianness>::parse(&*data)
                .unwrap_or_else(|e| panic!("{what}: not ELF32: {e}"));
            let header = elf.elf_header();
            let endian = elf.endian();
            assert_eq!(
                endian.is_big_endian(),
                target.big_endian,
                "{what}: byte order"
            );
            assert_eq!(header.e_machine(endian), elf::EM_MIPS, "{what}: machine");
            let arch = header.e_flags(endian) & elf::EF_MIPS_ARCH;
            assert_eq!(arch, elf::EF_MIPS_ARCH_32R2, "{what}: ISA is not MIPS32r2");
            assert_eq!(
                header.e_flags(endian) & elf::EF_MIPS_ABI_O32,
                elf::EF_MIPS_ABI_O32,
                "{what}: not o32"
            );
        }
    }
}

/// Reads a shipped file, checks its ELF type and the sections it must not carry, and returns
/// its program header types.
fn shipped_file(target: &Target, name: &str, kind: object::ObjectKind) -> (String, Vec<u32>) {
    let data = read(target, name);
    let file = object::File::parse(&*data).unwrap();
    let what = format!("{} {name}", target.triple);
    assert_eq!(file.kind(), kind, "{what}: ELF type");
    assert_shipped_form(&data, &what);
    (what, segments(&data).iter().map(|s| s.0).collect())
}

#[test]
fn programs_are_static_and_the_library_is_shared() {
    for target in TARGETS {
        for name in PROGRAMS {
            let (what, headers) = shipped_file(target, name, object::ObjectKind::Executable);
            let dynamic = [elf::PT_INTERP, elf::PT_DYNAMIC];
            assert!(
                headers.iter().all(|t| !dynamic.contains(t)),
                "{what}: not static"
            );
            let data = read(target, name);
            let stripped = object::File::parse(&*data)
                .unwrap()
                .symbols()
                .next()
                .is_none();
            assert!(stripped, "{what}: not stripped");
        }
        let (what, headers) = shipped_file(target, LIBRARY, object::ObjectKind::Dynamic);
        assert!(
            headers.contains(&elf::PT_DYNAMIC),
            "{what}: no dynamic section"
        );
    }
}

#[test]
fn unstripped_copies_keep_their_symbols() {
    for target in TARGETS {
        for name in PROGRAMS.iter().copied().chain([LIBRARY]) {
            let path = dist_dir(target.triple).join("unstripped").join(name);
            let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let file = object::File::parse(&*data).unwrap();
            assert!(
                file.symbols().count() > 0,
                "{} has no symbols",
                path.display()
            );
        }
    }
}

/// Each program header's type, file offset and file size.
fn segments(data: &[u8]) -> Vec<(u32, u64, u64)> {
    match object::File::parse(data).unwrap() {
        object::File::Elf32(elf) => {
            let e = elf.endian();
            elf.elf_program_headers()
                .iter()
                .map(|p| (p.p_type(e), p.p_offset(e).into(), p.p_filesz(e).into()))
                .collect()
        }
        object::File::Elf64(elf) => {
            let e = elf.endian();
            elf.elf_program_headers()
                .iter()
                .map(|p| (p.p_type(e), p.p_offset(e), p.p_filesz(e)))
                .collect()
        }
        _ => panic!("not ELF"),
    }
}

/// The toolchain's `llvm-readobj` (llvm-tools, which `cargo xtask test` installs).
fn llvm_readobj() -> std::path::PathBuf {
    llvm_tool("llvm-readobj")
}

/// What the weakest CPU of `target`'s family lacks, as a disassembler spells it: whether
/// an instruction (mnemonic, operands) needs something that CPU does not have.
fn lacks(target: &Target) -> Option<fn(&str, &str) -> bool> {
    match target.triple.split('-').next() {
        // The Geode LX and the Pentium: no SSE, no CMOV, no multi-byte NOP.
        Some("i586") => Some(|mnemonic, operands| {
            mnemonic.starts_with("cmov")
                || mnemonic.starts_with("nop") && !operands.is_empty()
                || operands.contains("xmm")
        }),
        // The ARM1176: none of ARMv7's or Thumb-2's additions.
        Some("arm") => Some(|mnemonic, _| {
            let base = mnemonic.split('.').next().unwrap_or(mnemonic);
            [
                "movw", "movt", "sdiv", "udiv", "dmb", "dsb", "isb", "bfi", "bfc", "ubfx", "sbfx",
                "mls", "rbit", "cbz", "cbnz", "tbb", "tbh",
            ]
            .contains(&base)
                || base.starts_with("it")
                    && base.len() <= 4
                    && base.chars().skip(2).all(|c| "te".contains(c))
        }),
        // e500v2: no classic FPU (SPE instead, the `ev`/`efs`/`efd` instructions), no
        // AltiVec.
        Some("powerpc") => Some(|mnemonic, _| {
            mnemonic.starts_with('f')
                || ["lfd", "lfs", "stfd", "stfs", "mffs", "mtfsf", "mtfsb"]
                    .iter()
                    .any(|m| mnemonic.starts_with(m))
                || mnemonic.starts_with('v')
        }),
        _ => None,
    }
}

#[test]
fn no_file_has_an_instruction_the_weakest_cpu_of_its_family_lacks() {
    // qemu traps only on what runs; the disassembly of every file covers the rest.
    let objdump = llvm_tool("llvm-objdump");
    for target in TARGETS {
        let Some(lacks) = lacks(target) else {
            continue;
        };
        for name in PROGRAMS.iter().copied().chain([LIBRARY]) {
            let path = dist_dir(target.triple).join("unstripped").join(name);
            let listing = output(
                std::process::Command::new(&objdump)
                    .args(["-d", "--no-show-raw-insn"])
                    .arg(&path),
            );
            assert!(listing.status.success(), "{}", path.display());
            let text = String::from_utf8_lossy(&listing.stdout);
            let mut instructions = 0;
            for line in text.lines() {
                let mut fields = line.split_whitespace();
                let is_instruction = fields.next().is_some_and(|address| {
                    address.ends_with(':')
                        && address.len() > 1
                        && address[..address.len() - 1]
                            .chars()
                            .all(|c| c.is_ascii_hexdigit())
                });
                let Some(mnemonic) = fields.next().filter(|_| is_instruction) else {
                    continue;
                };
                instructions += 1;
                let operands = fields.collect::<Vec<_>>().join(" ");
                assert!(
                    !lacks(mnemonic, &operands),
                    "{} {name}: `{line}` needs what {} lacks",
                    target.triple,
                    target.family
                );
            }
            assert!(
                instructions > 100,
                "{}: no code disassembled",
                path.display()
            );
        }
    }
}

#[test]
fn readers_of_program_headers_read_the_shipped_files() {
    // What the loader reads is all a file without section headers keeps: binutils' readelf
    // and llvm-readelf (llvm-readobj in GNU style) must still list every segment.
    let llvm = llvm_readobj();
    for target in TARGETS {
        for name in PROGRAMS.iter().copied().chain([LIBRARY]) {
            let path = dist_dir(target.triple).join(name);
            let what = format!("{} {name}", target.triple);
            let count = segments(&read(target, name)).len();
            for listing in [
                output(std::process::Command::new("readelf").arg("-lW").arg(&path)),
                output(
                    std::process::Command::new(&llvm)
                        .args(["--elf-output-style=GNU", "--program-headers"])
                        .arg(&path),
                ),
            ] {
                let text = String::from_utf8_lossy(&listing.stdout);
                assert!(listing.status.success(), "{what}: {text}");
                assert!(
                    text.contains(&format!("There are {count} program headers")),
                    "{what}: {text}"
                );
                assert!(text.contains("LOAD"), "{what}: {text}");
            }
        }
    }
}

#[test]
fn programs_answer_version_and_help_on_their_architecture() {
    for target in TARGETS {
        for name in PROGRAMS {
            let path = dist_dir(target.triple).join(name);
            let what = format!("{} {name}", target.triple);

            let version = output(command_for(target, &path).arg("--version"));
            assert!(
                version.status.success(),
                "{what} --version: {:?}",
                version.status
            );
            let expected = format!("{name} {}\n", env!("CARGO_PKG_VERSION"));
            assert_eq!(
                String::from_utf8_lossy(&version.stdout),
                expected,
                "{what} --version"
            );

            let help = output(command_for(target, &path).arg("--help"));
            assert!(help.status.success(), "{what} --help");
            assert!(
                String::from_utf8_lossy(&help.stdout).starts_with(&format!("Usage: {name}")),
                "{what} --help"
            );

            let bad = output(command_for(target, &path).arg("--no-such-option"));
            assert_eq!(
                bad.status.code(),
                Some(2),
                "{what}: an unknown option is a usage error"
            );
            assert!(bad.stdout.is_empty(), "{what}: usage errors go to stderr");
            assert_eq!(
                String::from_utf8_lossy(&bad.stderr),
                format!(
                    "{name}: unknown option '--no-such-option' ({name} --help shows the usage)\n"
                ),
                "{what}: one line that names the option"
            );
        }
    }
}
