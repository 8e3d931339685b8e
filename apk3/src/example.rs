//! The packages the golden vectors were made from: what `tests/golden.rs` writes and
//! compares with the files the real apk-tools made of them, and what `cargo xtask
//! conformance` gives the real `apk mkpkg` and `apk mkndx` again to check the vectors still
//! hold. Between them they reach every kind of value a package or an index holds: inline
//! and four-byte numbers, blobs behind one- and two-byte lengths, an empty file, nested
//! directories, dependencies given out of order and twice, a provide with a version,
//! scripts given out of order, a package without files, and packages given to the index
//! out of order.

use crate::package::{File, Info, Package, Script};

/// The time every file carries (`SOURCE_DATE_EPOCH`), above 2^28 as any real one is.
pub const MTIME: u64 = 1_764_000_000;

/// The example packages, in the order they are given to the index.
pub fn packages() -> Vec<Package> {
    let long_script = format!(
        "#!/bin/sh\n# A script longer than 255 bytes, stored behind a two-byte length.\n{}",
        "echo installed >/dev/null\n".repeat(12)
    );
    vec![
        Package {
            info: Info {
                name: "example-tool".into(),
                version: "1.2.3-r4".into(),
                description: "An example of every kind of value".into(),
                arch: "mips_24kc".into(),
                license: "BSD-2-Clause".into(),
                origin: "gluon-wan-tools".into(),
                depends: vec!["libc".into(), "example-base".into(), "libc".into()],
                provides: vec!["example-old=1.2.3-r4".into()],
                ..Info::default()
            },
            files: vec![
                File {
                    path: "usr/sbin/example-tool".into(),
                    mode: 0o755,
                    contents: b"\x7fELF not really, but bytes\n".to_vec(),
                },
                File {
                    path: "etc/config/example".into(),
                    mode: 0o644,
                    contents: b"config example 'main'\n\toption enabled '1'\n".to_vec(),
                },
                File {
                    path: "etc/init.d/example-tool".into(),
                    mode: 0o755,
                    contents: b"#!/bin/sh /etc/rc.common\nSTART=60\n".to_vec(),
                },
                File {
                    path: "lib/apk/packages/example-tool.list".into(),
                    mode: 0o644,
                    contents:
                        b"/etc/config/example\n/etc/init.d/example-tool\n/usr/sbin/example-tool\n"
                            .to_vec(),
                },
                File {
                    path: "etc/config/empty".into(),
                    mode: 0o600,
                    contents: Vec::new(),
                },
                File {
                    path: "usr/share/example/bytes".into(),
                    mode: 0o644,
                    contents: (0..=255u8).collect(),
                },
            ],
            scripts: vec![
                (Script::PreDeinstall, "#!/bin/sh\necho bye\n".into()),
                (Script::PostInstall, long_script.clone()),
                (Script::PostUpgrade, long_script),
            ],
            mtime: MTIME,
        },
        Package {
            info: Info {
                name: "example-base".into(),
                version: "2_rc1-r0".into(),
                arch: "mips_24kc".into(),
                ..Info::default()
            },
            files: Vec::new(),
            scripts: Vec::new(),
            mtime: MTIME,
        },
    ]
}
