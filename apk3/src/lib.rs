//! apk-tools 3's package and index files, written as `apk mkpkg` and `apk mkndx` write them:
//! `.apk` packages and a signed `packages.adb`, what OpenWrt 25.12 installs from. No other
//! crate writes this format; this one follows apk-tools' own description of it
//! (doc/apk-v3.5.scd, src/adb.c and src/apk_adb.c of apk-tools 3.0) and is held to the
//! real apk-tools by golden vectors it made (`tests/golden.rs`) and, in `cargo xtask
//! conformance`, by the real apk installing what it writes.
//!
//! - [`adb`]: the value buffer, blocks and compression;
//! - [`package`]: a package's buffer and file;
//! - [`index`]: the index of packages;
//! - [`sign`]: EC P-256 keys and the signature block;
//! - [`version`]: the versions and names apk takes;
//! - [`example`]: the packages the golden vectors were made from.
//!
//! The readers here (`adb::entries`, `package::files`, `index::listed`) are for files this
//! crate or apk wrote: they trust the offsets in them and panic on others.

pub mod adb;
pub mod example;
pub mod index;
pub mod package;
pub mod sign;
pub mod version;

/// What cannot be written, and why.
#[derive(Debug)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}
