//! The archives of an `.ipk`, as OpenWrt's `scripts/ipkg-build` has GNU tar and gzip write
//! them, made with the `tar` and `flate2` crates (no shell, so no path can break a command
//! line): GNU-format members named `./…`, sorted by name, owned by 0/0, all with one time,
//! the archive padded to whole 10 KiB records as GNU tar's default blocking writes it; gzip
//! without a name or a time.

use crate::cmd::Result;
use flate2::{Compression, GzBuilder};
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// GNU tar's default record: 20 blocks of 512 bytes.
const RECORD: usize = 20 * 512;

/// One member: its name (`./usr/sbin/dns54`, `./` for the top), and what it holds.
pub struct Member {
    pub name: String,
    pub mode: u32,
    /// `None` for a directory.
    pub bytes: Option<Vec<u8>>,
}

/// Every directory and file under `dir`, as `tar -C DIR .` names them, sorted by name, the
/// paths in `exclude` (relative, without `./`) and what is under them left out.
pub fn members_of(dir: &Path, exclude: &[&str]) -> Result<Vec<Member>> {
    let mut members = vec![Member {
        name: "./".to_string(),
        mode: fs::metadata(dir)?.permissions().mode() & 0o7777,
        bytes: None,
    }];
    walk(dir, dir, exclude, &mut members)?;
    Ok(members)
}

fn walk(top: &Path, dir: &Path, exclude: &[&str], members: &mut Vec<Member>) -> Result {
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<std::io::Result<_>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let relative = path.strip_prefix(top).unwrap_or(&path).to_string_lossy();
        if exclude.contains(&&*relative) {
            continue;
        }
        let meta = fs::symlink_metadata(&path)?;
        let mode = meta.permissions().mode() & 0o7777;
        if meta.is_dir() {
            members.push(Member {
                name: format!("./{relative}/"),
                mode,
                bytes: None,
            });
            walk(top, &path, exclude, members)?;
        } else {
            members.push(Member {
                name: format!("./{relative}"),
                mode,
                bytes: Some(fs::read(&path)?),
            });
        }
    }
    Ok(())
}

/// The members as a GNU tar archive, every one with time `mtime`.
pub fn tar(members: &[Member], mtime: u64) -> Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    for member in members {
        let mut header = tar::Header::new_gnu();
        // GNU tar keeps the `./` of the names it is given; the crate's path setter would take
        // it off, so the name goes into its field as it is (every name here is short).
        let name = member.name.as_bytes();
        let field = &mut header.as_old_mut().name;
        if name.len() > field.len() {
            return crate::cmd::fail(format!("{}: too long a name for a tar header", member.name));
        }
        field[..name.len()].copy_from_slice(name);
        header.set_mode(member.mode);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(mtime);
        let data: &[u8] = match &member.bytes {
            Some(bytes) => {
                header.set_entry_type(tar::EntryType::Regular);
                bytes
            }
            None => {
                header.set_entry_type(tar::EntryType::Directory);
                &[]
            }
        };
        header.set_size(data.len() as u64);
        header.set_cksum();
        builder.append(&header, data)?;
    }
    let mut archive = builder.into_inner()?;
    archive.resize(archive.len().div_ceil(RECORD) * RECORD, 0);
    Ok(archive)
}

/// `bytes` gzipped as `gzip -n` does: no name, no time.
pub fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = GzBuilder::new()
        .mtime(0)
        .operating_system(3)
        .write(Vec::new(), Compression::default());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes of the member `name` of the GNU tar archive `archive`.
    pub fn member(archive: &[u8], name: &str) -> Result<Vec<u8>> {
        let mut reader = tar::Archive::new(archive);
        for entry in reader.entries()? {
            let mut entry = entry?;
            // The crate reads the raw name, `./` and all.
            if entry.path_bytes() == name.as_bytes() {
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut entry, &mut bytes)?;
                return Ok(bytes);
            }
        }
        crate::cmd::fail(format!("no member {name} in the archive"))
    }

    /// `gzipped` undone.
    pub fn gunzip(gzipped: &[u8]) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gzipped), &mut bytes)?;
        Ok(bytes)
    }

    #[test]
    fn members_are_named_as_gnu_tar_names_them_and_read_back() {
        let members = [
            Member {
                name: "./".into(),
                mode: 0o755,
                bytes: None,
            },
            Member {
                name: "./usr/".into(),
                mode: 0o755,
                bytes: None,
            },
            Member {
                name: "./usr/a file's name".into(),
                mode: 0o644,
                bytes: Some(b"bytes\n".to_vec()),
            },
        ];
        let archive = tar(&members, 1_700_000_000).unwrap();
        assert_eq!(archive.len() % RECORD, 0);
        let mut names = Vec::new();
        for entry in tar::Archive::new(&archive[..]).entries().unwrap() {
            let entry = entry.unwrap();
            let header = entry.header();
            assert_eq!((header.uid().unwrap(), header.gid().unwrap()), (0, 0));
            assert_eq!(header.mtime().unwrap(), 1_700_000_000);
            names.push(String::from_utf8(entry.path_bytes().to_vec()).unwrap());
        }
        assert_eq!(names, ["./", "./usr/", "./usr/a file's name"]);
        assert_eq!(member(&archive, "./usr/a file's name").unwrap(), b"bytes\n");
        let gzipped = gzip(&archive).unwrap();
        // No name, time 0, Unix.
        assert_eq!(&gzipped[3..10], &[0, 0, 0, 0, 0, 0, 3][..]);
        assert_eq!(gunzip(&gzipped).unwrap(), archive);
    }
}
