extern crate std;
use super::*;
use std::vec;
use std::vec::Vec;

fn parsed(words: &[&'static str]) -> Result<Request<'static>, UsageError<'static>> {
    parse(|index| words.get(index).map(|w| w.as_bytes()))
}

#[test]
fn without_options_the_command_is_the_first_word_and_gluons_defaults_hold() {
    let request = parsed(&["fastd", "--config", "x"]).unwrap();
    assert_eq!(request.command, 0);
    assert_eq!(request.group, b"gluon-viawan");
    assert_eq!(request.preload, b"/usr/lib/libpacketmark.so");
    assert_eq!(MARK_ENTRY.to_bytes(), b"LIBPACKETMARK_MARK=1");
}

#[test]
fn options_in_both_forms_then_the_command() {
    let request = parsed(&["--group", "vpn", "--preload=/lib/m.so", "ping", "-c1"]).unwrap();
    assert_eq!(request.command, 3);
    assert_eq!(
        (request.group, request.preload),
        (&b"vpn"[..], &b"/lib/m.so"[..])
    );
    // `--` ends the options: what follows is the command, even if it looks like one.
    assert_eq!(parsed(&["--group=0", "--", "--weird"]).unwrap().command, 2);
    assert_eq!(
        parsed(&["-x"]).unwrap().command,
        0,
        "one dash is a command's"
    );
}

#[test]
fn mistakes_are_named() {
    let message = |words: &[&'static str]| parsed(words).unwrap_err().message;
    assert_eq!(message(&[]), "no command to run");
    assert_eq!(message(&["--group", "vpn"]), "no command to run");
    assert_eq!(message(&["--"]), "no command to run");
    assert_eq!(message(&["--mark", "2", "x"]), "unknown option");
    assert_eq!(message(&["--group"]), "a value must follow");
    assert_eq!(
        message(&["--preload", "libpacketmark.so", "x"]),
        "the preload must be an absolute path"
    );
    assert_eq!(message(&["--group=", "x"]), "not a group name");
    assert_eq!(
        parsed(&["--preload", "lib.so", "x"]).unwrap_err().word,
        b"lib.so"
    );
}

#[test]
fn groups_are_found_by_name_or_taken_as_numbers() {
    let file = b"root:x:0:\ngluon-mesh-vpn:x:800:\n";
    assert_eq!(group_id(file, b"gluon-mesh-vpn"), Some(800));
    assert_eq!(group_id(file, b"missing"), None);
    assert_eq!(group_id(file, b"800"), Some(800));
    assert_eq!(group_id(b"", b"1234"), Some(1234));
}

#[test]
fn environment_entries_are_told_apart() {
    assert_eq!(entry(b"LD_PRELOAD=/x.so"), Entry::Preload(b"/x.so"));
    assert_eq!(entry(b"LIBPACKETMARK_MARK=5"), Entry::Mark);
    assert_eq!(entry(b"PATH=/bin:/usr/bin"), Entry::Path(b"/bin:/usr/bin"));
    assert_eq!(entry(b"LD_PRELOAD_PATH=/x"), Entry::Other);
    assert_eq!(entry(b"PATHS=/x"), Entry::Other);
    assert_eq!(entry(b"LD_PRELOAD"), Entry::Other);
}

#[test]
fn the_preload_comes_first_and_the_callers_libraries_stay() {
    let made = |callers: &str| {
        let mut out = [0u8; 128];
        let len = preload_entry(b"/usr/lib/libpacketmark.so", callers.as_bytes(), &mut out);
        std::string::String::from_utf8(out[..len.unwrap()].to_vec()).unwrap()
    };
    assert_eq!(made(""), "LD_PRELOAD=/usr/lib/libpacketmark.so");
    assert_eq!(
        made("/lib/o.so"),
        "LD_PRELOAD=/usr/lib/libpacketmark.so:/lib/o.so"
    );
    // Named already (colon- or blank-separated): not twice.
    assert_eq!(
        made("/lib/a.so /usr/lib/libpacketmark.so"),
        "LD_PRELOAD=/usr/lib/libpacketmark.so"
    );
    let mut small = [0u8; 20];
    assert_eq!(
        preload_entry(b"/usr/lib/libpacketmark.so", b"", &mut small),
        None
    );
}

#[test]
fn a_candidate_path_is_whole_or_none() {
    let mut out = [0u8; 16];
    let len = candidate(b"/usr/bin", b"fastd", &mut out).unwrap();
    assert_eq!(&out[..len], b"/usr/bin/fastd");
    let len = candidate(b"", b"fastd", &mut out).unwrap();
    assert_eq!(&out[..len], b"./fastd");
    assert_eq!(candidate(b"/usr/local/bin", b"fastd", &mut out), None);
}

/// The first bytes of an ELF file of this machine: its header, then two program headers (a
/// load and, for a program with a loader, `PT_INTERP`), in this machine's byte order.
fn elf(kind: u16, interp: bool) -> Vec<u8> {
    const WORD: usize = core::mem::size_of::<usize>();
    let (offset, entry): (usize, usize) = if WORD == 8 { (64, 56) } else { (52, 32) };
    let (offset_at, size_at) = if WORD == 8 { (32, 54) } else { (28, 42) };
    let mut head = vec![0u8; offset + 2 * entry];
    head[..6].copy_from_slice(&ELF_IDENT);
    head[16..18].copy_from_slice(&kind.to_ne_bytes());
    head[18..20].copy_from_slice(&ELF_MACHINE.to_ne_bytes());
    head[offset_at..offset_at + WORD].copy_from_slice(&offset.to_ne_bytes());
    head[size_at..size_at + 2].copy_from_slice(&(entry as u16).to_ne_bytes());
    head[size_at + 2..size_at + 4].copy_from_slice(&2u16.to_ne_bytes());
    head[offset..offset + 4].copy_from_slice(&1u32.to_ne_bytes());
    let second: u32 = if interp { 3 } else { 1 };
    head[offset + entry..offset + entry + 4].copy_from_slice(&second.to_ne_bytes());
    head
}

#[test]
fn elf_files_are_told_apart_by_kind_and_loader() {
    let elf_file = |shared, loader| Image::Elf { shared, loader };
    let dynamic = elf(2, true);
    assert_eq!(image(&dynamic), elf_file(false, true));
    assert_eq!(image(&elf(3, true)), elf_file(true, true), "a PIE program");
    assert_eq!(
        image(&elf(2, false)),
        elf_file(false, false),
        "a static program"
    );
    assert_eq!(
        image(&elf(3, false)),
        elf_file(true, false),
        "a shared object"
    );
    // Cut inside its program headers: it cannot be told.
    assert_eq!(image(&dynamic[..dynamic.len() - 4]), Image::Foreign);
}

#[test]
fn another_machines_files_are_foreign() {
    let mut other_class = elf(2, true);
    other_class[4] = 3 - other_class[4];
    let mut other_order = elf(2, true);
    other_order[5] = 3 - other_order[5];
    let mut other_architecture = elf(2, true);
    other_architecture[18..20].copy_from_slice(&(ELF_MACHINE ^ 1).to_ne_bytes());
    for head in [other_class, other_order, other_architecture] {
        assert_eq!(image(&head), Image::Foreign);
    }
}

#[test]
fn scripts_and_the_rest_are_other() {
    assert_eq!(image(b"#!/bin/sh\necho"), Image::Other);
    assert_eq!(image(&[0xff; 64]), Image::Other);
    assert_eq!(image(b""), Image::Other);
    assert_eq!(image(b"\x7fELF"), Image::Foreign);
}
