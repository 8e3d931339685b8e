//! The apk feed, for OpenWrt 25.12 (Gluon's `next`): for each OpenWrt package architecture,
//! `target/packages/apk/<arch>/` with a `.apk` of each package as 25.12's recipe
//! (include/package-pack.mk) makes it and the `packages.adb` index, signed with an EC P-256
//! key when one is given, the public key beside it as `gluon-wan-tools.pem`. The packages
//! and the index are written by the apk3 crate, byte for byte as `apk mkpkg` and `apk
//! mkndx` write them.
//!
//! What 25.12's recipe adds to a package, done here and by conformance's packing of the feed
//! Makefile alike: under /lib/apk/packages/, `NAME.rusers` (the users and groups of
//! `USERID`), `NAME.list` (every file, from /), `NAME.conffiles` and `NAME.conffiles_static`
//! (with their SHA-256); the scripts of `recipe_scripts`; every package depends on libc; a
//! provide carries the version.

use super::{Package, VERSION_NUMBER, source_path};
use crate::cmd::{Failure, Result, root};
use apk3::package::{File, Info, Script};
use apk3::sign::Key;
use sha2::{Digest as _, Sha256};
use std::fs;
use std::path::PathBuf;

/// Where the apk feed of `arch` lands.
pub fn feed_dir(arch: &str) -> PathBuf {
    root().join("target/packages/apk").join(arch)
}

/// The name the index's public key is published under, beside `packages.adb`: a node keeps it
/// in /etc/apk/keys/.
pub const PUBLIC_KEY: &str = "gluon-wan-tools.pem";

/// The scripts OpenWrt 25.12's recipe gives a package without scripts of its own: the users of
/// its `.rusers` made and its init scripts enabled and started after install (and after an
/// upgrade, as one), stopped and disabled before removal.
pub fn recipe_scripts(name: &str) -> [(Script, String); 3] {
    let functions = "[ -s \"${IPKG_INSTROOT}/lib/functions.sh\" ] || exit 0\n\
                     . \"${IPKG_INSTROOT}/lib/functions.sh\"\n\
                     export root=\"${IPKG_INSTROOT}\"\n";
    let post_install = format!(
        "[ \"${{IPKG_NO_SCRIPT}}\" = \"1\" ] && exit 0\n{functions}export pkgname=\"{name}\"\n\
         add_group_and_user\ndefault_postinst\n"
    );
    [
        (Script::PostInstall, format!("#!/bin/sh\n{post_install}")),
        (
            Script::PostUpgrade,
            format!("#!/bin/sh\nexport PKG_UPGRADE=1\n{post_install}"),
        ),
        (
            Script::PreDeinstall,
            format!("#!/bin/sh\n{functions}export pkgname=\"{name}\"\ndefault_prerm\n"),
        ),
    ]
}

/// The files 25.12's recipe writes under /lib/apk/packages/ for package `name` whose files
/// are `files` (path from /, contents): `.rusers` when `userid` is not empty, then `.list`
/// (every file so far, sorted), then `.conffiles` and `.conffiles_static` when there are
/// configuration files. Paths relative to /.
pub fn recipe_lists(
    name: &str,
    files: &[(String, Vec<u8>)],
    userid: &str,
    conffiles: &[String],
) -> Vec<(String, Vec<u8>)> {
    let dir = "lib/apk/packages";
    let mut lists = Vec::new();
    if !userid.is_empty() {
        lists.push((
            format!("{dir}/{name}.rusers"),
            format!("{userid}\n").into_bytes(),
        ));
    }
    let mut listed: Vec<String> = files
        .iter()
        .chain(&lists)
        .map(|(path, _)| format!("/{path}"))
        .collect();
    listed.sort();
    lists.push((
        format!("{dir}/{name}.list"),
        listed
            .iter()
            .map(|f| format!("{f}\n"))
            .collect::<String>()
            .into_bytes(),
    ));
    if !conffiles.is_empty() {
        let mut with_sums = String::new();
        for conffile in conffiles {
            let path = conffile.trim_start_matches('/');
            if let Some((_, contents)) = files.iter().find(|(p, _)| p == path) {
                with_sums.push_str(&format!("{conffile} {:x}\n", Sha256::digest(contents)));
            }
        }
        let names: String = conffiles.iter().map(|f| format!("{f}\n")).collect();
        lists.push((format!("{dir}/{name}.conffiles"), names.into_bytes()));
        lists.push((
            format!("{dir}/{name}.conffiles_static"),
            with_sums.into_bytes(),
        ));
    }
    lists
}

/// `package` for `arch` (files from the dist files of `triple`), release `release`, each file
/// dated `mtime`.
fn make(
    package: &Package,
    triple: &str,
    arch: &str,
    release: u32,
    mtime: u64,
) -> Result<apk3::package::Package> {
    let version = format!("{VERSION_NUMBER}-r{release}");
    let mut contents = Vec::new();
    for file in package.files {
        let from = source_path(file.source, triple);
        let bytes = fs::read(&from).map_err(|e| Failure(format!("{}: {e}", from.display())))?;
        contents.push((file.path.to_string(), bytes));
    }
    let userid = package.require_user;
    let conffiles: Vec<String> = package.conffiles.iter().map(|s| s.to_string()).collect();
    let lists = recipe_lists(package.name, &contents, userid, &conffiles);
    let mut files: Vec<File> = package
        .files
        .iter()
        .zip(contents)
        .map(|(file, (path, contents))| File {
            path,
            mode: file.mode,
            contents,
        })
        .collect();
    files.extend(lists.into_iter().map(|(path, contents)| File {
        path,
        mode: 0o644,
        contents,
    }));
    let mut depends = vec!["libc".to_string()];
    depends.extend(package.depends.split_whitespace().map(str::to_string));
    let provides = package
        .provides
        .split_whitespace()
        .map(|name| format!("{name}={version}"))
        .collect();
    Ok(apk3::package::Package {
        info: Info {
            name: package.name.to_string(),
            version,
            description: package.description.to_string(),
            arch: arch.to_string(),
            license: "BSD-2-Clause".to_string(),
            origin: "gluon-wan-tools".to_string(),
            depends,
            provides,
            ..Info::default()
        },
        files,
        scripts: recipe_scripts(package.name).to_vec(),
        mtime,
    })
}

/// Writes the feed of `arch` into `out` (emptied first): each package deflated as apk
/// stores them, the index signed with `key` and its public key beside it. Returns the size of
/// each package's `.apk`, in the order of `packages`.
pub fn write_feed(
    packages: &[Package],
    triple: &str,
    arch: &str,
    release: u32,
    mtime: u64,
    key: Option<&Key>,
    out: &std::path::Path,
) -> Result<Vec<u64>> {
    if out.exists() {
        fs::remove_dir_all(out)?;
    }
    fs::create_dir_all(out)?;
    let mut made = Vec::new();
    let mut sizes = Vec::new();
    for package in packages {
        let built = make(package, triple, arch, release, mtime)?
            .make()
            .map_err(|e| Failure(format!("{} for {arch}: {e}", package.name)))?;
        let stored = apk3::adb::deflate(&built.file);
        let (name, version) = apk3::package::identity(&built.adb);
        fs::write(out.join(format!("{name}-{version}.apk")), &stored)?;
        sizes.push(stored.len() as u64);
        made.push((built.adb, stored.len() as u64));
    }
    let entries: Vec<apk3::index::Entry> = made
        .iter()
        .map(|(adb, file_size)| apk3::index::Entry {
            package_adb: adb,
            file_size: *file_size,
        })
        .collect();
    let index = apk3::index::make(&entries, "")
        .map_err(|e| Failure(format!("the apk index for {arch}: {e}")))?;
    let keys: Vec<&Key> = key.into_iter().collect();
    fs::write(
        out.join("packages.adb"),
        apk3::adb::deflate(&apk3::index::file(&index, &keys)),
    )?;
    if let Some(key) = key {
        fs::write(out.join(PUBLIC_KEY), key.public_pem())?;
    }
    Ok(sizes)
}

/// The secret key in `path` (PEM: `EC PRIVATE KEY`, as `openssl ecparam -name prime256v1
/// -genkey` writes it, or `PRIVATE KEY`).
pub fn read_key(path: &str) -> Result<Key> {
    let text = fs::read_to_string(path).map_err(|e| Failure(format!("{path}: {e}")))?;
    Key::from_pem(&text).map_err(|e| Failure(format!("{path}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recipe_lists_name_every_file_and_sum_the_configuration() {
        let files = vec![
            ("usr/sbin/x".to_string(), b"x".to_vec()),
            ("etc/config/x".to_string(), b"config\n".to_vec()),
        ];
        let lists = recipe_lists("x", &files, "x:x", &["/etc/config/x".to_string()]);
        let names: Vec<&str> = lists.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            names,
            [
                "lib/apk/packages/x.rusers",
                "lib/apk/packages/x.list",
                "lib/apk/packages/x.conffiles",
                "lib/apk/packages/x.conffiles_static"
            ]
        );
        assert_eq!(lists[0].1, b"x:x\n");
        assert_eq!(
            String::from_utf8_lossy(&lists[1].1),
            "/etc/config/x\n/lib/apk/packages/x.rusers\n/usr/sbin/x\n"
        );
        assert_eq!(lists[2].1, b"/etc/config/x\n");
        let sum = format!("{:x}", Sha256::digest(b"config\n"));
        assert_eq!(
            String::from_utf8_lossy(&lists[3].1),
            format!("/etc/config/x {sum}\n")
        );
        assert_eq!(recipe_lists("y", &files, "", &[]).len(), 1);
    }
}
