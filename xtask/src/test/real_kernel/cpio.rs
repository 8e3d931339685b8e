//! The initramfs: a `newc` cpio archive, as the kernel unpacks it, written from a directory
//! tree with every file owned by root. Plus the one device node the kernel opens for `/init`
//! before any file system is mounted: `/dev/console`.

use crate::cmd::Result;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const S_IFCHR: u32 = 0o020000;

/// Writes `tree` as a newc archive to `output`.
pub fn write_tree(tree: &Path, output: &Path) -> Result {
    let mut archive = Vec::new();
    let mut inode = 1;
    let mut entries = Vec::new();
    collect(tree, tree, &mut entries)?;
    for (name, path) in entries {
        let meta = fs::metadata(&path)?;
        let mode = meta.permissions().mode() & 0o7777;
        if meta.is_dir() {
            entry(&mut archive, &name, S_IFDIR | mode, (0, 0), &[], inode);
        } else {
            entry(
                &mut archive,
                &name,
                S_IFREG | mode,
                (0, 0),
                &fs::read(&path)?,
                inode,
            );
        }
        inode += 1;
    }
    entry(
        &mut archive,
        "dev/console",
        S_IFCHR | 0o600,
        (5, 1),
        &[],
        inode,
    );
    entry(&mut archive, "TRAILER!!!", 0, (0, 0), &[], 0);
    fs::File::create(output)?.write_all(&archive)?;
    Ok(())
}

/// Every path under `dir`, relative to `tree`, parents before their children.
fn collect(tree: &Path, dir: &Path, entries: &mut Vec<(String, std::path::PathBuf)>) -> Result {
    let mut children: Vec<_> = fs::read_dir(dir)?.flatten().map(|e| e.path()).collect();
    children.sort();
    for path in children {
        let name = path
            .strip_prefix(tree)
            .expect("under the tree")
            .to_string_lossy()
            .into_owned();
        entries.push((name, path.clone()));
        if fs::symlink_metadata(&path)?.is_dir() {
            collect(tree, &path, entries)?;
        }
    }
    Ok(())
}

/// One header, name and data, each padded to 4 bytes.
fn entry(archive: &mut Vec<u8>, name: &str, mode: u32, rdev: (u32, u32), data: &[u8], ino: u32) {
    let fields = [
        ino,
        mode,
        0, // uid
        0, // gid
        if mode & S_IFDIR != 0 { 2 } else { 1 },
        0, // mtime: the archive is the same for the same tree
        data.len() as u32,
        0,
        0,
        rdev.0,
        rdev.1,
        name.len() as u32 + 1,
        0, // check
    ];
    archive.extend_from_slice(b"070701");
    for field in fields {
        archive.extend_from_slice(format!("{field:08x}").as_bytes());
    }
    archive.extend_from_slice(name.as_bytes());
    archive.push(0);
    pad(archive);
    archive.extend_from_slice(data);
    pad(archive);
}

fn pad(archive: &mut Vec<u8>) {
    while !archive.len().is_multiple_of(4) {
        archive.push(0);
    }
}
