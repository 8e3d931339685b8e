//! The cache of what tasks build or download once per machine (kernels, busybox, upstream
//! sources and their builds): outside `target/`, so that a new clone on the same machine (as
//! CI is) finds it; `fresh-check` starts with an empty one. Each entry is named by a key of
//! its inputs, never by a path.

use crate::cmd::root;
use std::fs;
use std::path::{Path, PathBuf};

/// The cache directory of one task's things (`real-kernel`, `conformance`).
pub fn dir(task: &str) -> PathBuf {
    // Without HOME in the environment (CI may clear it) the user's home directory comes
    // from the password database, so that the cache is still the machine's, not the clone's.
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::home_dir().map(|home| home.join(".cache")))
        .unwrap_or_else(|| root().join("target/cache"));
    base.join("gluon-wan-tools").join(task)
}

/// A short name for a set of inputs (FNV-1a over them, each ended by a NUL): what changes
/// when any of them does.
pub fn key(inputs: &[&[u8]]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for input in inputs {
        for byte in input.iter().chain(b"\0") {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// Removes the older entries of `dir` of the same kind (`prefix` followed by another key), so
/// that a changed input does not leave gigabytes behind over time.
pub fn prune(dir: &Path, prefix: &str, keep: &Path) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path != keep && name.strip_prefix(prefix).is_some_and(|k| k.len() == 16) {
            let _ = fs::remove_dir_all(&path);
        }
    }
}
