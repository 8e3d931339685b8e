//! The example packages and their index, written here, are byte for byte what the real
//! apk-tools 3.0.3 made of them (`apk mkpkg --compression none` with `SOURCE_DATE_EPOCH`,
//! `apk mkndx --compression none`, unsigned), as routes' netlink vectors are what `ip` sent.
//! `cargo xtask conformance` makes them again with the real apk and compares.

use apk3::{adb, example, index, package, sign};
use sha2::Digest as _;

fn golden(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/golden/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn made() -> Vec<package::Made> {
    example::packages()
        .iter()
        .map(|p| p.make().expect("the example is valid"))
        .collect()
}

#[test]
fn each_package_is_what_apk_mkpkg_made() {
    for (package, made) in example::packages().iter().zip(made()) {
        let name = format!("{}-{}.apk", package.info.name, package.info.version);
        assert!(
            made.file == golden(&name),
            "{name} differs from apk mkpkg's"
        );
    }
}

#[test]
fn the_index_is_what_apk_mkndx_made() {
    let made = made();
    let entries: Vec<index::Entry> = made
        .iter()
        .map(|m| index::Entry {
            package_adb: &m.adb,
            file_size: m.file.len() as u64,
        })
        .collect();
    let adb = index::make(&entries, "").unwrap();
    assert!(index::file(&adb, &[]) == golden("packages.adb"));
    // Sorted by name, each with the hash of its package's buffer.
    let listed = index::listed(&adb);
    let names: Vec<&str> = listed.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["example-base", "example-tool"]);
    let tool = &listed[1];
    assert_eq!(tool.hash, sha2::Sha256::digest(&made[0].adb).to_vec());
    assert_eq!(tool.file_size, made[0].file.len() as u64);
    assert_eq!(tool.depends, ["example-base", "libc"]);
    assert_eq!(tool.provides, ["example-old=1.2.3-r4"]);
}

#[test]
fn a_signed_deflated_index_carries_a_signature_of_its_buffer() {
    let made = made();
    let entries: Vec<index::Entry> = made
        .iter()
        .map(|m| index::Entry {
            package_adb: &m.adb,
            file_size: adb::deflate(&m.file).len() as u64,
        })
        .collect();
    let buffer = index::make(&entries, "").unwrap();
    let key = sign::Key::generate();
    let stored = adb::deflate(&index::file(&buffer, &[&key]));
    let file = adb::inflate(&stored).unwrap();
    assert_eq!(&file[..8], b"ADB.indx");
    let blocks = adb::blocks(&file);
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0], (0, &buffer[..]));
    assert_eq!(blocks[1].0, 1);
    assert!(sign::verify(
        &key.public_pem(),
        adb::INDEX,
        &buffer,
        blocks[1].1
    ));
}
