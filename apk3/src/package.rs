//! A `.apk` package as `apk mkpkg` makes one: the package's information, its directories
//! and files (each with its mode, owner, size, time and SHA-256) and its scripts in one ADB
//! block, then one data block per file that is not empty.
//!
//! What `apk mkpkg --files DIR` reads from a directory comes here as a list of regular
//! files; every directory they are in is listed with mode 0755 and owner root, as a package
//! build leaves them (the tree's own root too, as apk-tools 3.0 lists it by default).

use crate::Error;
use crate::adb::{self, Block, NULL, Value, Writer};
use crate::version;
use sha2::{Digest as _, Sha256};
use std::collections::BTreeSet;

/// The package's information, the fields `apk mkpkg --info` takes that OpenWrt's recipe
/// sets. Empty strings are left out.
#[derive(Clone, Debug, Default)]
pub struct Info {
    pub name: String,
    pub version: String,
    pub description: String,
    pub arch: String,
    pub license: String,
    pub origin: String,
    pub maintainer: String,
    pub url: String,
    /// `name` or `name=version`.
    pub depends: Vec<String>,
    /// `name` or `name=version`: a provide with a version owns the name.
    pub provides: Vec<String>,
}

/// A regular file of the package, owned by root.
#[derive(Clone, Debug)]
pub struct File {
    /// Relative to `/`: `usr/sbin/dns54`.
    pub path: String,
    /// Permission bits: `0o755`.
    pub mode: u32,
    pub contents: Vec<u8>,
}

/// When apk runs a script, by its field in the schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Script {
    PreInstall = 2,
    PostInstall = 3,
    PreDeinstall = 4,
    PostDeinstall = 5,
    PreUpgrade = 6,
    PostUpgrade = 7,
}

impl Script {
    /// Its name in the schema, as `apk mkpkg --script NAME:FILE` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Script::PreInstall => "pre-install",
            Script::PostInstall => "post-install",
            Script::PreDeinstall => "pre-deinstall",
            Script::PostDeinstall => "post-deinstall",
            Script::PreUpgrade => "pre-upgrade",
            Script::PostUpgrade => "post-upgrade",
        }
    }
}

/// Everything a package is made of.
#[derive(Clone, Debug, Default)]
pub struct Package {
    pub info: Info,
    pub files: Vec<File>,
    pub scripts: Vec<(Script, String)>,
    /// The time every file carries, as `SOURCE_DATE_EPOCH` gives it to `apk mkpkg`.
    pub mtime: u64,
}

/// A package made: its value buffer (what the index's hash is of) and the file, stored as
/// it is (`deflate` it as apk does by default).
pub struct Made {
    pub adb: Vec<u8>,
    pub file: Vec<u8>,
}

/// Schema fields of a package's information.
pub(crate) mod info_field {
    pub const NAME: usize = 1;
    pub const VERSION: usize = 2;
    pub const HASHES: usize = 3;
    pub const DESCRIPTION: usize = 4;
    pub const ARCH: usize = 5;
    pub const LICENSE: usize = 6;
    pub const ORIGIN: usize = 7;
    pub const MAINTAINER: usize = 8;
    pub const URL: usize = 9;
    pub const INSTALLED_SIZE: usize = 12;
    pub const FILE_SIZE: usize = 13;
    pub const DEPENDS: usize = 15;
    pub const PROVIDES: usize = 16;
    /// One past the last field.
    pub const END: usize = 22;
}

/// The package's information is the package's field 1, its directories field 2.
pub(crate) const PACKAGE_INFO: usize = 1;
const PATHS: usize = 2;

/// The unique id `apk mkpkg` gives a package: the SHA-256 of its buffer, cut to SHA-1's
/// length, written over zeros of that length after the buffer is complete.
const UNIQUE_ID_LEN: usize = 20;

/// The user and group every file and directory has.
const OWNER: &[u8] = b"root";

/// Directories' permission bits.
const DIRECTORY_MODE: u64 = 0o755;

impl Package {
    /// The package, written in the order `apk mkpkg` writes it.
    pub fn make(&self) -> Result<Made, Error> {
        let info = &self.info;
        if !version::is_valid_name(&info.name) {
            return Err(Error(format!(
                "{:?}: not a package name apk takes",
                info.name
            )));
        }
        if !version::is_valid(&info.version) {
            return Err(Error(format!(
                "{}: version {:?} is not one apk takes (digits, dots, -rN)",
                info.name, info.version
            )));
        }
        if info.arch.is_empty() {
            return Err(Error(format!("{}: no architecture", info.name)));
        }
        let mut w = Writer::new();
        let mut fields = [NULL; info_field::END - 1];
        let mut set = |field: usize, value: Value| fields[field - 1] = value;
        // `--info` fields, in the schema's order.
        for (field, text) in [
            (info_field::NAME, &info.name),
            (info_field::VERSION, &info.version),
            (info_field::DESCRIPTION, &info.description),
            (info_field::ARCH, &info.arch),
            (info_field::LICENSE, &info.license),
            (info_field::ORIGIN, &info.origin),
            (info_field::MAINTAINER, &info.maintainer),
            (info_field::URL, &info.url),
        ] {
            set(field, w.blob(text.as_bytes()));
        }
        set(info_field::DEPENDS, dependencies(&mut w, &info.depends)?);
        set(info_field::PROVIDES, dependencies(&mut w, &info.provides)?);

        let tree = Tree::of(&self.files)?;
        let mut paths = Vec::new();
        let mut installed_size = 0;
        for directory in &tree.directories {
            let mut files = Vec::new();
            for file in tree.files_in(directory) {
                installed_size += file.contents.len() as u64;
                let name = w.blob(file_name(&file.path).as_bytes());
                let hash = w.blob(&Sha256::digest(&file.contents));
                let mtime = w.int(self.mtime);
                let size = w.int(file.contents.len() as u64);
                let acl = acl(&mut w, u64::from(file.mode & 0o7777));
                files.push(w.object(&[name, acl, size, mtime, hash]));
            }
            let name = w.blob(directory.as_bytes());
            let acl = acl(&mut w, DIRECTORY_MODE);
            let files = w.object(&files);
            paths.push(w.object(&[name, acl, files]));
        }
        // apk counts a package without files' bytes as one byte, so that it is not empty.
        let installed_size = installed_size.max(1);
        set(info_field::INSTALLED_SIZE, w.int(installed_size));
        let (unique_id, unique_id_at) = w.blob_in_place(&[0; UNIQUE_ID_LEN]);
        set(info_field::HASHES, unique_id);

        let package_info = w.object(&fields);
        let paths = w.object(&paths);
        let scripts = self.scripts(&mut w)?;
        let root = w.object(&[package_info, paths, scripts]);
        w.set_root(root);
        let id = Sha256::digest(w.bytes());
        w.overwrite(unique_id_at, &id[..UNIQUE_ID_LEN]);
        let buffer = w.finish();

        let mut file = Vec::new();
        adb::file_header(&mut file, adb::PACKAGE);
        adb::block(&mut file, Block::Adb, &[&buffer]);
        for (path_index, directory) in tree.directories.iter().enumerate() {
            for (file_index, entry) in tree.files_in(directory).enumerate() {
                if entry.contents.is_empty() {
                    continue;
                }
                let at = |i: usize| (i as u32 + 1).to_le_bytes();
                adb::block(
                    &mut file,
                    Block::Data,
                    &[&at(path_index), &at(file_index), &entry.contents],
                );
            }
        }
        Ok(Made { adb: buffer, file })
    }

    /// The scripts object, its texts written in the schema's order whatever order they
    /// were given in.
    fn scripts(&self, w: &mut Writer) -> Result<Value, Error> {
        let mut texts = [""; Script::PostUpgrade as usize];
        for (kind, text) in &self.scripts {
            let slot = &mut texts[*kind as usize - 1];
            if !slot.is_empty() {
                return Err(Error(format!("{}: two {kind:?} scripts", self.info.name)));
            }
            *slot = text;
        }
        let fields: Vec<Value> = texts.iter().map(|text| w.blob(text.as_bytes())).collect();
        Ok(w.object(&fields))
    }
}

/// Mode, user and group.
fn acl(w: &mut Writer, mode: u64) -> Value {
    let mode = w.int(mode);
    let user = w.blob(OWNER);
    let group = w.blob(OWNER);
    w.object(&[mode, user, group])
}

fn file_name(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, name)| name)
}

fn directory_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(directory, _)| directory)
}

/// The directories of a package's files, the tree's root (`""`) first, then byte order as
/// apk sorts them; and the files, by name within their directory.
struct Tree<'a> {
    directories: Vec<String>,
    files: Vec<&'a File>,
}

impl<'a> Tree<'a> {
    fn of(files: &'a [File]) -> Result<Self, Error> {
        let mut directories = BTreeSet::from([String::new()]);
        let mut seen = BTreeSet::new();
        for file in files {
            let path = &file.path;
            if path.is_empty()
                || path.starts_with('/')
                || path.ends_with('/')
                || path.split('/').any(|part| matches!(part, "" | "." | ".."))
            {
                return Err(Error(format!("{path:?}: not a relative path to a file")));
            }
            if !seen.insert(path.as_str()) {
                return Err(Error(format!("{path}: twice in one package")));
            }
            let mut directory = directory_of(path);
            while !directory.is_empty() {
                directories.insert(directory.to_string());
                directory = directory_of(directory);
            }
        }
        if let Some(clash) = files
            .iter()
            .find(|file| directories.contains(file.path.as_str()))
        {
            return Err(Error(format!(
                "{}: both a file and a directory",
                clash.path
            )));
        }
        let mut files: Vec<&File> = files.iter().collect();
        files.sort_by(|a, b| file_name(&a.path).cmp(file_name(&b.path)));
        Ok(Tree {
            directories: directories.into_iter().collect(),
            files,
        })
    }

    fn files_in(&self, directory: &'a str) -> impl Iterator<Item = &'a File> + '_ {
        self.files
            .iter()
            .copied()
            .filter(move |file| directory_of(&file.path) == directory)
    }
}

/// A dependency array as apk makes one from `name[=version] …`: each dependency an object
/// of its name and version, the array sorted by name with repeats dropped.
fn dependencies(w: &mut Writer, list: &[String]) -> Result<Value, Error> {
    let mut made: Vec<(&str, Option<&str>, Value)> = Vec::new();
    for dependency in list {
        let (name, version) = match dependency.split_once('=') {
            Some((name, version)) => (name, Some(version)),
            None => (dependency.as_str(), None),
        };
        let bad = |why: &str| Error(format!("dependency {dependency:?}: {why}"));
        if name.is_empty() || name.bytes().any(|b| b"<>~!= \t".contains(&b)) {
            return Err(bad("only `name` and `name=version` are written here"));
        }
        if version.is_some_and(|v| !version::is_valid(v)) {
            return Err(bad("not a version apk takes"));
        }
        let name_value = w.blob(name.as_bytes());
        let version_value = version.map_or(NULL, |v| w.blob(v.as_bytes()));
        let value = w.object(&[name_value, version_value]);
        made.push((name, version, value));
    }
    made.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    made.dedup_by_key(|d| d.2);
    if let Some(pair) = made.windows(2).find(|pair| pair[0].0 == pair[1].0) {
        return Err(Error(format!(
            "{}: two dependencies on one name with different versions",
            pair[0].0
        )));
    }
    let values: Vec<Value> = made.iter().map(|d| d.2).collect();
    Ok(w.object(&values))
}

/// The name and version a package's buffer records.
pub fn identity(package_adb: &[u8]) -> (String, String) {
    let info = adb::field(package_adb, adb::root(package_adb), PACKAGE_INFO);
    let text = |field| {
        let value = adb::field(package_adb, info, field);
        String::from_utf8_lossy(adb::blob(package_adb, value)).into_owned()
    };
    (text(info_field::NAME), text(info_field::VERSION))
}

/// The files a package's file holds, as apk would install them: path from /, permission
/// bits and contents, directory by directory.
pub fn files(file: &[u8]) -> Result<Vec<File>, Error> {
    let blocks = adb::blocks(file);
    let Some(&(0, buffer)) = blocks.first() else {
        return Err(Error("no ADB block first".into()));
    };
    let data = |path_index: usize, file_index: usize| -> Vec<u8> {
        let header = [
            (path_index as u32).to_le_bytes(),
            (file_index as u32).to_le_bytes(),
        ]
        .concat();
        blocks
            .iter()
            .find(|(kind, payload)| *kind == Block::Data as u32 && payload.starts_with(&header))
            .map_or_else(Vec::new, |(_, payload)| payload[8..].to_vec())
    };
    let paths = adb::field(buffer, adb::root(buffer), PATHS);
    let mut found = Vec::new();
    for (i, directory) in adb::entries(buffer, paths).into_iter().enumerate() {
        let directory_name =
            String::from_utf8_lossy(adb::blob(buffer, adb::field(buffer, directory, 1)))
                .into_owned();
        let entries = adb::field(buffer, directory, 3);
        for (j, entry) in adb::entries(buffer, entries).into_iter().enumerate() {
            let name = String::from_utf8_lossy(adb::blob(buffer, adb::field(buffer, entry, 1)));
            let acl = adb::field(buffer, entry, 2);
            let mode = adb::int(buffer, adb::field(buffer, acl, 1)) as u32;
            let size = adb::int(buffer, adb::field(buffer, entry, 3)) as usize;
            let contents = data(i + 1, j + 1);
            if contents.len() != size {
                return Err(Error(format!(
                    "{directory_name}/{name}: {} bytes of data for {size}",
                    contents.len()
                )));
            }
            let path = if directory_name.is_empty() {
                name.into_owned()
            } else {
                format!("{directory_name}/{name}")
            };
            found.push(File {
                path,
                mode,
                contents,
            });
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Package {
        Package {
            info: Info {
                name: "hello".into(),
                version: "1.0-r1".into(),
                arch: "all".into(),
                depends: vec!["libc".into()],
                ..Info::default()
            },
            files: vec![
                File {
                    path: "usr/bin/hello".into(),
                    mode: 0o755,
                    contents: b"#!/bin/sh\necho hello\n".to_vec(),
                },
                File {
                    path: "etc/empty".into(),
                    mode: 0o644,
                    contents: Vec::new(),
                },
            ],
            scripts: vec![(Script::PostInstall, "#!/bin/sh\n".into())],
            mtime: 1_700_000_000,
        }
    }

    #[test]
    fn a_package_reads_back_and_carries_a_data_block_per_file_that_is_not_empty() {
        let made = example().make().unwrap();
        assert_eq!(identity(&made.adb), ("hello".into(), "1.0-r1".into()));
        let mut read = files(&made.file).unwrap();
        read.sort_by(|a, b| a.path.cmp(&b.path));
        let mut given = example().files;
        given.sort_by(|a, b| a.path.cmp(&b.path));
        for (read, given) in read.iter().zip(&given) {
            assert_eq!(
                (&read.path, read.mode, &read.contents),
                (&given.path, given.mode, &given.contents)
            );
        }
        let blocks = adb::blocks(&made.file);
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0], (0, &made.adb[..]));
        // Paths: "", "etc", "usr", "usr/bin": the script is file 1 of path 4.
        let mut data = vec![4, 0, 0, 0, 1, 0, 0, 0];
        data.extend_from_slice(b"#!/bin/sh\necho hello\n");
        assert_eq!(blocks[1], (2, &data[..]));
    }

    #[test]
    fn what_apk_would_refuse_is_refused_before_anything_is_written() {
        let mut p = example();
        p.info.version = "1.0-1".into();
        assert!(p.make().is_err());
        let mut p = example();
        p.files[1].path = "usr/bin/hello/x".into();
        assert!(p.make().is_err());
        let mut p = example();
        p.files[1].path = "../x".into();
        assert!(p.make().is_err());
        let mut p = example();
        p.info.depends = vec!["a=1".into(), "a=2".into()];
        assert!(p.make().is_err());
        let mut p = example();
        p.info.depends = vec!["a>=1".into()];
        assert!(p.make().is_err());
    }
}
