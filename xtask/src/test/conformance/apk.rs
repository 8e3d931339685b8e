//! The feed Makefile under OpenWrt 25.12's package recipe, with the real apk-tools: each
//! architecture's packages are made as that recipe makes them (the Makefile's install recipes
//! run by the project's stand-in of OpenWrt's package.mk, `tests/fixtures/openwrt/buildroot/`;
//! then the files, scripts and `apk mkpkg` arguments of OpenWrt 25.12's include/package-pack.mk,
//! done here), indexed and signed with an EC key made for the run (`apk mkndx --sign-key`),
//! and installed by the real apk into an empty root with the signature enforced: install and
//! remove, the provides that replace gluon-wan-dnsmasq and libpacketmark, a missing
//! dependency, a foreign key and a changed index refused, and the post-install scripts apk
//! keeps run with OpenWrt's own functions.sh.

use super::build::Programs;
use crate::cmd::{Result, capture, fail, printed, root, run_quiet};
use crate::package::apk::{recipe_lists, recipe_scripts};
use crate::test::tally::Tally;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// What the stand-in package.mk's `describe` prints of one package.
struct Described {
    name: String,
    version: String,
    depends: Vec<String>,
    provides: Vec<String>,
    userid: String,
    conffiles: Vec<String>,
    title: String,
}

fn parse_described(line: &str) -> Option<Described> {
    let (fields, title) = line.split_once(" title=")?;
    let value = |key: &str| -> String {
        let start = fields.find(&format!("{key}=")).map(|i| i + key.len() + 1);
        let Some(start) = start else {
            return String::new();
        };
        let rest = &fields[start..];
        // A value runs to the next ` key=`.
        let end = rest
            .match_indices(' ')
            .find(|(i, _)| {
                rest[i + 1..]
                    .split_once('=')
                    .is_some_and(|(k, _)| !k.contains(' ') && !k.is_empty())
            })
            .map_or(rest.len(), |(i, _)| i);
        rest[..end].trim().to_string()
    };
    let words =
        |key: &str| -> Vec<String> { value(key).split_whitespace().map(str::to_string).collect() };
    // DEPENDS as OpenWrt reads it: conditions (`@…`) are for its configuration, `+` selects.
    let mut depends: Vec<String> = words("depends")
        .into_iter()
        .filter(|d| !d.starts_with('@'))
        .map(|d| d.trim_start_matches('+').to_string())
        .collect();
    // OpenWrt's rules.mk gives every package `+libc` (PKG_DEFAULT_DEPENDS).
    depends.insert(0, "libc".to_string());
    Some(Described {
        name: value("package"),
        version: value("version"),
        depends,
        provides: words("provides"),
        userid: value("userid"),
        conffiles: words("conffiles"),
        title: title.to_string(),
    })
}

/// The feed Makefile's packages for `arch`: described, and installed under `dest`/NAME.
fn feed_packages(arch: &str, dest: &Path) -> Result<Vec<Described>> {
    let buildroot = root().join("tests/fixtures/openwrt/buildroot");
    let out = capture(
        Command::new("make")
            .current_dir(crate::package::feed_dir())
            .arg("-s")
            .arg(format!("TOPDIR={}", buildroot.display()))
            .arg(format!("INCLUDE_DIR={}", buildroot.display()))
            .arg(format!("ARCH_PACKAGES={arch}"))
            .arg(format!("DEST={}", dest.display()))
            .args(["describe", "install"]),
    )?;
    if !out.status.success() {
        return fail(format!("the feed Makefile for {arch}: {}", printed(&out)));
    }
    let packages: Vec<_> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("package="))
        .filter_map(parse_described)
        .collect();
    if packages.len() != super::feed::EVERY_PACKAGE.len() {
        return fail(format!(
            "the feed Makefile describes {} packages",
            packages.len()
        ));
    }
    Ok(packages)
}

/// One package as OpenWrt 25.12's recipe packs it from its installed tree `idir`: the
/// package's lists under /lib/apk/packages/ (`.rusers`, `.list` of every file and link,
/// `.conffiles` and `.conffiles_static` with their SHA-256), its scripts, then `apk mkpkg`.
fn pack(
    programs: &Programs,
    package: &Described,
    arch: &str,
    idir: &Path,
    scripts_dir: &Path,
    out: &Path,
) -> Result {
    let name = &package.name;
    // Every file of the tree, as the archive of it names them (`./usr/sbin/dns54`).
    let files: Vec<(String, Vec<u8>)> = crate::package::archive::members_of(idir, &[])?
        .into_iter()
        .filter_map(|member| Some((member.name[2..].to_string(), member.bytes?)))
        .collect();
    for (path, contents) in recipe_lists(name, &files, &package.userid, &package.conffiles) {
        let path = idir.join(path);
        fs::create_dir_all(path.parent().expect("a list has a directory"))?;
        fs::write(path, contents)?;
    }
    fs::create_dir_all(scripts_dir)?;
    let mut mkpkg = programs.command("apk");
    mkpkg
        .arg("mkpkg")
        .arg("--info")
        .arg(format!("name:{name}"))
        .arg("--info")
        .arg(format!("version:{}", package.version))
        .arg("--info")
        .arg(format!("description:{}", package.title))
        .arg("--info")
        .arg(format!("arch:{arch}"))
        .arg("--info")
        .arg("license:BSD-2-Clause")
        .arg("--info")
        .arg("origin:gluon-wan-tools");
    // A provide owns the name, with the package's version (no ABI version, no alternatives).
    let provides: Vec<String> = package
        .provides
        .iter()
        .filter(|p| *p != name)
        .map(|p| match p.strip_prefix('@') {
            Some(virtual_provide) => virtual_provide.to_string(),
            None => format!("{p}={}", package.version),
        })
        .collect();
    if !provides.is_empty() {
        mkpkg
            .arg("--info")
            .arg(format!("provides:{}", provides.join(" ")));
    }
    for (kind, text) in recipe_scripts(name) {
        let script = scripts_dir.join(kind.name());
        fs::write(&script, text)?;
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755))?;
        mkpkg
            .arg("--script")
            .arg(format!("{}:{}", kind.name(), script.display()));
    }
    mkpkg
        .arg("--info")
        .arg(format!("depends:{}", package.depends.join(" ")))
        .arg("--files")
        .arg(idir)
        .arg("--output")
        .arg(out.join(format!("{name}-{}.apk", package.version)));
    run_quiet(&mut mkpkg)
}

/// A package of the node's own that this project's replace or need (`files`: path and text).
fn stand_in(
    programs: &Programs,
    arch: &str,
    name: &str,
    depends: &str,
    files: &[(&str, &str)],
    work: &Path,
    out: &Path,
) -> Result {
    let tree = work.join("stand-in").join(name);
    let _ = fs::remove_dir_all(&tree);
    fs::create_dir_all(&tree)?;
    for (path, text) in files {
        let path = tree.join(path);
        fs::create_dir_all(path.parent().unwrap_or(&tree))?;
        fs::write(path, text)?;
    }
    let mut mkpkg = programs.command("apk");
    mkpkg.args(["mkpkg", "--info"]).arg(format!("name:{name}"));
    mkpkg.args(["--info", "version:1-r1", "--info"]);
    mkpkg.arg(format!("arch:{arch}"));
    mkpkg.args(["--info", "description:stands in for the node's own"]);
    if !depends.is_empty() {
        mkpkg.arg("--info").arg(format!("depends:{depends}"));
    }
    mkpkg
        .arg("--files")
        .arg(&tree)
        .arg("--output")
        .arg(out.join(format!("{name}-1-r1.apk")));
    run_quiet(&mut mkpkg)
}

/// `apk mkndx` over every package of `dir`, in the order of their names, signed with the
/// secret key `key`, compressed with `compression` (`deflate`, as OpenWrt's are, or `none`).
fn index(programs: &Programs, dir: &Path, key: &Path, compression: &str) -> Result {
    let mut packages: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "apk"))
        .collect();
    packages.sort();
    mkndx(
        programs,
        &dir.join("packages.adb"),
        &packages,
        Some(key),
        compression,
    )
}

/// `apk mkndx` of `packages`, in that order (it decides the index's bytes), into `output`,
/// signed with `key` when one is given.
fn mkndx(
    programs: &Programs,
    output: &Path,
    packages: &[PathBuf],
    key: Option<&Path>,
    compression: &str,
) -> Result {
    let mut mkndx = programs.command("apk");
    mkndx
        .args([
            "mkndx",
            "--allow-untrusted",
            "--compression",
            compression,
            "--output",
        ])
        .arg(output);
    if let Some(key) = key {
        mkndx.arg("--sign-key").arg(key);
    }
    run_quiet(mkndx.args(packages))
}

/// An EC P-256 key pair, as OpenWrt 25.12 signs its indexes with: `name`.pem (secret) and
/// `name`.pub.pem (public, what a node keeps in /etc/apk/keys/).
fn make_ec_key(dir: &Path, name: &str) -> Result {
    fs::create_dir_all(dir)?;
    let secret = dir.join(format!("{name}.pem"));
    run_quiet(
        Command::new("openssl")
            .args([
                "ecparam",
                "-name",
                "prime256v1",
                "-genkey",
                "-noout",
                "-out",
            ])
            .arg(&secret),
    )?;
    run_quiet(
        Command::new("openssl")
            .args(["ec", "-pubout", "-in"])
            .arg(&secret)
            .arg("-out")
            .arg(dir.join(format!("{name}.pub.pem"))),
    )
}

/// An empty root for apk, trusting the public keys in `keys`, with the repositories `repos`.
struct Root<'a> {
    root: PathBuf,
    keys: PathBuf,
    repos: Vec<PathBuf>,
    arch: &'a str,
    programs: &'a Programs,
}

impl<'a> Root<'a> {
    /// The root `work`/roots/`label` for `arch`, trusting the keys in `keys`, with the
    /// repositories `repos`; emptied and given an empty database when `fresh`.
    fn at(
        programs: &'a Programs,
        arch: &'a str,
        work: &Path,
        (label, keys, repos): (&str, &Path, &[&Path]),
        fresh: bool,
    ) -> Result<Root<'a>> {
        let node = Root {
            root: work.join("roots").join(label),
            keys: keys.to_path_buf(),
            repos: repos.iter().map(|r| r.to_path_buf()).collect(),
            arch,
            programs,
        };
        if fresh {
            let _ = fs::remove_dir_all(&node.root);
            fs::create_dir_all(&node.root)?;
            node.apk_ok(&["add", "--initdb"])?;
        }
        Ok(node)
    }

    /// Every package of the feed installs (viawan pulling in packetmark), with the files it
    /// must bring, and `apk del` removes them all.
    fn install_every_package_and_remove(
        &self,
        check_installed: impl Fn(&Self) -> Result,
    ) -> Result {
        let mut add = vec!["add"];
        add.extend(
            super::feed::EVERY_PACKAGE
                .iter()
                .filter(|p| **p != "gluon-wan-packetmark"),
        );
        self.apk_ok(&add)?;
        let installed = self.installed()?;
        if let Some(missing) = super::feed::EVERY_PACKAGE
            .iter()
            .find(|p| !installed.iter().any(|i| i == *p))
        {
            return fail(format!("{missing} is not installed: {installed:?}"));
        }
        if let Some(missing) = super::feed::A_FILE_OF_EACH.iter().find(|f| !self.has(f)) {
            return fail(format!("/{missing} is not installed"));
        }
        check_installed(self)?;
        let mut del = vec!["del"];
        del.extend(super::feed::EVERY_PACKAGE);
        self.apk_ok(&del)?;
        if let Some(left) = super::feed::A_FILE_OF_EACH.iter().find(|f| self.has(f)) {
            return fail(format!("/{left} is left after apk del"));
        }
        Ok(())
    }

    /// `apk ARGS` on this root; `add`, `del` and `upgrade` without running scripts (they run
    /// in the root, which has no shell: `run_kept_post_install_scripts` runs them).
    fn apk(&self, args: &[&str]) -> Result<Output> {
        let mut cmd = self.programs.command("apk");
        cmd.arg("--root")
            .arg(&self.root)
            .arg("--keys-dir")
            .arg(&self.keys)
            .args(["--arch", self.arch]);
        for repo in &self.repos {
            cmd.arg("--repository").arg(repo.join("packages.adb"));
        }
        if let [command @ ("add" | "del" | "upgrade"), rest @ ..] = args {
            cmd.args([*command, "--no-scripts"]).args(rest);
        } else {
            cmd.args(args);
        }
        capture(&mut cmd)
    }

    fn apk_ok(&self, args: &[&str]) -> Result<String> {
        let out = self.apk(args)?;
        if !out.status.success() {
            return fail(format!(
                "apk {} ({}): {}",
                args.join(" "),
                out.status,
                printed(&out)
            ));
        }
        Ok(printed(&out))
    }

    fn installed(&self) -> Result<Vec<String>> {
        let out = self.apk(&["info"])?;
        let mut names: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        names.sort();
        Ok(names)
    }

    fn has(&self, path: &str) -> bool {
        self.root.join(path).exists()
    }
}

/// Every check of one architecture: the feed Makefile packed by 25.12's recipe, then the
/// feed `cargo xtask package` wrote for apk (`triple`'s files).
pub fn check(
    tally: &mut Tally,
    programs: &Programs,
    (triple, arch): (&str, &str),
    openwrt: &Path,
    work: &Path,
) {
    let name = |what: &str| format!("apk ({arch}): {what}");
    let mut ready = false;
    tally.check(
        &name("the feed Makefile's packages, packed as OpenWrt 25.12's recipe packs them, indexed and signed"),
        || {
            prepare(programs, arch, work)?;
            ready = true;
            Ok(())
        },
    );
    if !ready {
        tally.skip(&name("the other checks"), "the packages were not made");
        return;
    }
    let keys = work.join("keys/trusted");
    let feed = work.join("feed");
    let base = work.join("base");
    let libc_only = work.join("libc-only");
    let new_root = |label: &str, keys: &Path, repos: &[&Path]| {
        Root::at(programs, arch, work, (label, keys, repos), true)
    };
    tally.check(
        &name("every package installs with the index's signature checked, viawan pulling in packetmark, and is removed"),
        || new_root("install", &keys, &[&feed, &base])?.install_every_package_and_remove(|_| Ok(())),
    );
    tally.check(
        &name("the post-install scripts apk keeps, run with OpenWrt's functions.sh, make the users of .rusers and enable the init script"),
        || {
            let node = new_root("scripts", &keys, &[&feed, &base])?;
            node.apk_ok(&["add", "gluon-wan-dns54", "gluon-wan-viawan"])?;
            run_kept_post_install_scripts(&node, openwrt, &work.join("scripts-kept"))
        },
    );
    for (replaced, replacing) in [
        ("gluon-wan-dnsmasq", "gluon-wan-dns54"),
        ("libpacketmark", "gluon-wan-packetmark"),
    ] {
        tally.check(
            &name(&format!(
                "{replacing} takes {replaced}'s place, and what needs {replaced} stays installed"
            )),
            || {
                let node = new_root(replacing, &keys, &[&feed, &base])?;
                let needs = format!("needs-{replaced}");
                node.apk_ok(&["add", &needs])?;
                if !node.installed()?.iter().any(|p| p == replaced) {
                    return fail(format!("{needs} did not pull in {replaced}"));
                }
                node.apk_ok(&["add", replacing])?;
                let installed = node.installed()?;
                let has = |p: &str| installed.iter().any(|i| i == p);
                if has(replaced) || !has(replacing) || !has(&needs) {
                    return fail(format!("installed afterwards: {installed:?}"));
                }
                Ok(())
            },
        );
    }
    tally.check(
        &name("gluon-wan-firewall is refused without gluon-mesh-vpn-core"),
        || {
            let node = new_root("depends", &keys, &[&feed, &libc_only])?;
            let out = node.apk(&["add", "gluon-wan-firewall"])?;
            let text = printed(&out);
            if out.status.success() || !text.contains("gluon-mesh-vpn-core (no such package)") {
                return fail(format!(
                    "apk add gluon-wan-firewall ({}): {text}",
                    out.status
                ));
            }
            Ok(())
        },
    );
    tally.check(
        &name("an index signed with another key is refused, and nothing installs from it"),
        || {
            let node = new_root("foreign", &work.join("keys/foreign"), &[&feed, &base])?;
            refused(&node)
        },
    );
    tally.check(&name("a changed index is refused"), || {
        // The index stored without compression, so that its bytes can be changed in place.
        let changed = work.join("changed-feed");
        let _ = fs::remove_dir_all(&changed);
        run_quiet(Command::new("cp").arg("-a").arg(&feed).arg(&changed))?;
        index(programs, &changed, &work.join("keys/signer.pem"), "none")?;
        // Unchanged, it serves.
        new_root("unchanged", &keys, &[&changed, &base])?.apk_ok(&["add", "gluon-wan-routes"])?;
        change_index(&changed.join("packages.adb"))?;
        let node = new_root("changed", &keys, &[&changed, &base])?;
        refused(&node)
    });
    own_feed(tally, programs, (triple, arch), openwrt, work);
}

/// The apk feed `cargo xtask package` wrote (`target/packages/apk/ARCH`, signed with the
/// run's key), installed by the real apk beside the stand-ins of the node's own packages.
fn own_feed(
    tally: &mut Tally,
    programs: &Programs,
    (triple, arch): (&str, &str),
    openwrt: &Path,
    work: &Path,
) {
    let name = |what: &str| format!("apk ({arch}), the feed of `cargo xtask package`: {what}");
    let feed = crate::package::apk::feed_dir(arch);
    let run_keys = crate::package::run_key_dir();
    let keys = work.join("keys/own");
    let base = work.join("base");
    let node = |label: &str, keys: &Path, repos: &[&Path], fresh: bool| {
        Root::at(programs, arch, work, (label, keys, repos), fresh)
    };
    tally.check(
        &name("every package installs with the index's signature checked against the published key, and is removed"),
        || {
            // The node trusts the key of its own packages (the stand-ins') and the feed's.
            fs::create_dir_all(&keys)?;
            fs::copy(
                feed.join(crate::package::apk::PUBLIC_KEY),
                keys.join(crate::package::apk::PUBLIC_KEY),
            )?;
            fs::copy(
                work.join("keys/signer.pub.pem"),
                keys.join("signer.pub.pem"),
            )?;
            let node = node("own-install", &keys, &[&feed, &base], true)?;
            node.install_every_package_and_remove(|node| {
                let dns54 = fs::read(node.root.join("usr/sbin/dns54"))?;
                if dns54 != fs::read(crate::build::dist_dir(triple).join("dns54"))? {
                    return fail("/usr/sbin/dns54 is not the dist file");
                }
                Ok(())
            })
        },
    );
    tally.check(
        &name("the post-install scripts apk keeps, run with OpenWrt's functions.sh, make the users of .rusers and enable the init script"),
        || {
            let node = node("own-scripts", &keys, &[&feed, &base], true)?;
            node.apk_ok(&["add", "gluon-wan-dns54", "gluon-wan-viawan"])?;
            run_kept_post_install_scripts(&node, openwrt, &work.join("own-scripts-kept"))
        },
    );
    tally.check(
        &name("a feed of the next release upgrades every package, and gluon-wan-dns54 still replaces gluon-wan-dnsmasq"),
        || {
            let next = work.join("own-feed-r2");
            let key = crate::package::apk::read_key(&run_keys.join("apk-key.pem").to_string_lossy())?;
            crate::package::apk::write_feed(
                crate::package::PACKAGES,
                triple,
                arch,
                2,
                crate::package::last_commit_time()?,
                Some(&key),
                &next,
            )?;
            let before = node("own-upgrade", &keys, &[&feed, &base], true)?;
            before.apk_ok(&["add", "needs-gluon-wan-dnsmasq"])?;
            before.apk_ok(&["add", "gluon-wan-dns54", "gluon-wan-routes", "gluon-wan-viawan"])?;
            let after = node("own-upgrade", &keys, &[&next, &base], false)?;
            after.apk_ok(&["upgrade"])?;
            let versions = after.apk_ok(&["info", "-v"])?;
            for package in ["gluon-wan-dns54", "gluon-wan-routes", "gluon-wan-viawan", "gluon-wan-packetmark"] {
                if !versions.contains(&format!("{package}-{}-r2", crate::package::VERSION_NUMBER)) {
                    return fail(format!("{package} is not at release 2: {versions}"));
                }
            }
            let installed = after.installed()?;
            if installed.iter().any(|p| p == "gluon-wan-dnsmasq")
                || !installed.iter().any(|p| p == "needs-gluon-wan-dnsmasq")
            {
                return fail(format!("installed after the upgrade: {installed:?}"));
            }
            Ok(())
        },
    );
    tally.check(
        &name("an index checked against another key, or changed, is refused"),
        || {
            let foreign = node(
                "own-foreign",
                &work.join("keys/foreign"),
                &[&feed, &base],
                true,
            )?;
            refused(&foreign)?;
            let changed = work.join("own-changed-feed");
            let _ = fs::remove_dir_all(&changed);
            run_quiet(Command::new("cp").arg("-a").arg(&feed).arg(&changed))?;
            change_index(&changed.join("packages.adb"))?;
            refused(&node("own-changed", &keys, &[&changed, &base], true)?)
        },
    );
}

/// Changes one letter of another package's name in an index's signed block, the signature
/// left as it was (gluon-wan-routes itself is still named as before); a deflated index is
/// stored inflated (`ADB.`), which apk reads as well as `ADBd`.
fn change_index(index: &Path) -> Result {
    let mut bytes = apk3::adb::inflate(&fs::read(index)?)?;
    let Some(at) = bytes
        .windows(b"gluon-wan-viawan".len())
        .position(|w| w == b"gluon-wan-viawan")
    else {
        return fail("packages.adb does not name gluon-wan-viawan");
    };
    bytes[at + "gluon-wan-".len()] = b'V';
    fs::write(index, bytes)?;
    Ok(())
}

/// apk refuses the feed's index for its signature: nothing of it installs.
fn refused(node: &Root) -> Result {
    let out = node.apk(&["add", "gluon-wan-routes"])?;
    let feed_index = node.repos[0].join("packages.adb");
    let untrusted = format!("{}: UNTRUSTED signature", feed_index.display());
    if out.status.success() || node.has("usr/sbin/routes") || !printed(&out).contains(&untrusted) {
        return fail(format!(
            "gluon-wan-routes installed from an index that fails its check: {}",
            printed(&out)
        ));
    }
    Ok(())
}

/// The scripts apk keeps in its database (`lib/apk/db/scripts.tar.gz`), each `post-install`
/// run as OpenWrt 24.10's image build runs a package's postinst (bash, with `IPKG_INSTROOT`
/// naming the root; how 25.12's image build runs them could not be read here), with OpenWrt's
/// own files in the root.
fn run_kept_post_install_scripts(node: &Root, openwrt: &Path, scripts: &Path) -> Result {
    let root = &node.root;
    super::feed::image_root(root, openwrt, node.programs)?;
    let _ = fs::remove_dir_all(scripts);
    fs::create_dir_all(scripts)?;
    run_quiet(
        Command::new("tar")
            .arg("-xzf")
            .arg(root.join("lib/apk/db/scripts.tar.gz"))
            .arg("-C")
            .arg(scripts),
    )?;
    let mut post_install: Vec<PathBuf> = fs::read_dir(scripts)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".post-install"))
        .collect();
    post_install.sort();
    if post_install.len() != 3 {
        return fail(format!("post-install scripts kept: {post_install:?}"));
    }
    super::feed::run_as_image_build(root, &post_install)?;
    super::feed::users_and_init_script(root)
}

/// The packages of the feed and the stand-ins of the node's own, each set indexed, and the
/// keys: `work`/feed, base (libc, gluon-mesh-vpn-core, gluon-wan-dnsmasq, libpacketmark and
/// a package needing each of the last two), libc-only, keys/trusted and keys/foreign.
fn prepare(programs: &Programs, arch: &str, work: &Path) -> Result {
    let _ = fs::remove_dir_all(work);
    let keys = work.join("keys");
    make_ec_key(&keys, "signer")?;
    make_ec_key(&keys, "other")?;
    for (dir, key) in [("trusted", "signer"), ("foreign", "other")] {
        fs::create_dir_all(keys.join(dir))?;
        let name = format!("{key}.pub.pem");
        fs::copy(keys.join(&name), keys.join(dir).join(&name))?;
    }
    let secret = keys.join("signer.pem");
    let feed = work.join("feed");
    fs::create_dir_all(&feed)?;
    let installed = work.join("installed");
    for package in feed_packages(arch, &installed)? {
        pack(
            programs,
            &package,
            arch,
            &installed.join(&package.name),
            &work.join("scripts").join(&package.name),
            &feed,
        )?;
    }
    index(programs, &feed, &secret, "deflate")?;
    let base = work.join("base");
    let libc_only = work.join("libc-only");
    fs::create_dir_all(&base)?;
    fs::create_dir_all(&libc_only)?;
    for out in [&base, &libc_only] {
        stand_in(programs, arch, "libc", "", &[], work, out)?;
    }
    for (name, depends, files) in [
        ("gluon-mesh-vpn-core", "libc", &[][..]),
        (
            "gluon-wan-dnsmasq",
            "libc",
            &[("etc/config/gluon-wan-dnsmasq", "# gluon-wan-dnsmasq's\n")][..],
        ),
        (
            "libpacketmark",
            "libc",
            &[("usr/lib/libpacketmark.so", "Gluon's libpacketmark\n")][..],
        ),
        ("needs-gluon-wan-dnsmasq", "gluon-wan-dnsmasq", &[][..]),
        ("needs-libpacketmark", "libpacketmark", &[][..]),
    ] {
        stand_in(programs, arch, name, depends, files, work, &base)?;
    }
    index(programs, &base, &secret, "deflate")?;
    index(programs, &libc_only, &secret, "deflate")
}

/// Where the golden vectors of the apk3 crate live.
fn golden_dir() -> PathBuf {
    root().join("apk3/tests/golden")
}

/// The real `apk mkpkg` and `apk mkndx` make the apk3 crate's example packages (stored
/// without compression) and their unsigned index, and what they make must be the golden
/// vectors byte for byte. With `GWT_CAPTURE_APK_GOLDEN=1` the vectors are written instead:
/// how they were captured.
pub fn golden_vectors(programs: &Programs, work: &Path) -> Result {
    let _ = fs::remove_dir_all(work);
    let out = work.join("out");
    fs::create_dir_all(&out)?;
    let mut made = Vec::new();
    for package in apk3::example::packages() {
        let info = &package.info;
        let tree = work.join("tree").join(&info.name);
        fs::create_dir_all(&tree)?;
        for file in &package.files {
            let path = tree.join(&file.path);
            fs::create_dir_all(path.parent().expect("a file has a directory"))?;
            fs::write(&path, &file.contents)?;
            fs::set_permissions(&path, fs::Permissions::from_mode(file.mode))?;
        }
        run_quiet(
            Command::new("find")
                .arg(&tree)
                .args(["-type", "d", "-exec", "chmod", "0755", "{}", "+"]),
        )?;
        let mut mkpkg = programs.command("apk");
        mkpkg
            .args(["mkpkg", "--compression", "none"])
            .env("SOURCE_DATE_EPOCH", package.mtime.to_string());
        for (key, value) in [
            ("name", info.name.clone()),
            ("version", info.version.clone()),
            ("description", info.description.clone()),
            ("arch", info.arch.clone()),
            ("license", info.license.clone()),
            ("origin", info.origin.clone()),
            ("maintainer", info.maintainer.clone()),
            ("url", info.url.clone()),
            ("depends", info.depends.join(" ")),
            ("provides", info.provides.join(" ")),
        ] {
            if !value.is_empty() {
                mkpkg.arg("--info").arg(format!("{key}:{value}"));
            }
        }
        let scripts = work.join("scripts").join(&info.name);
        fs::create_dir_all(&scripts)?;
        for (kind, text) in &package.scripts {
            let script = scripts.join(kind.name());
            fs::write(&script, text)?;
            mkpkg
                .arg("--script")
                .arg(format!("{}:{}", kind.name(), script.display()));
        }
        let file = out.join(format!("{}-{}.apk", info.name, info.version));
        mkpkg.arg("--files").arg(&tree).arg("--output").arg(&file);
        run_quiet(&mut mkpkg)?;
        made.push(file);
    }
    mkndx(programs, &out.join("packages.adb"), &made, None, "none")?;
    made.push(out.join("packages.adb"));
    let capture = std::env::var_os("GWT_CAPTURE_APK_GOLDEN").is_some_and(|v| v == "1");
    let mut differ = Vec::new();
    for file in &made {
        let name = file.file_name().expect("a file");
        let golden = golden_dir().join(name);
        if capture {
            fs::copy(file, &golden)?;
        } else if fs::read(&golden).ok() != Some(fs::read(file)?) {
            differ.push(format!(
                "{} (the real apk's: {})",
                golden.display(),
                file.display()
            ));
        }
    }
    if !differ.is_empty() {
        return fail(format!(
            "not what the real apk-tools makes: {}",
            differ.join(", ")
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_described_fields_are_read_as_openwrt_reads_them() {
        let line = "package=gluon-wan-dns54 version=0.1.0-r1 \
                    depends=@(aarch64||mips) +gluon-mesh-vpn-core conflicts=gluon-wan-dnsmasq \
                    provides=gluon-wan-dnsmasq userid=gluon-wan-dns54:gluon-wan-dns54 \
                    conffiles=/etc/config/gluon-wan-dnsmasq title=DNS forwarder (replaces it)";
        let d = super::parse_described(line).unwrap();
        assert_eq!(d.name, "gluon-wan-dns54");
        assert_eq!(d.version, "0.1.0-r1");
        assert_eq!(d.depends, ["libc", "gluon-mesh-vpn-core"]);
        assert_eq!(d.provides, ["gluon-wan-dnsmasq"]);
        assert_eq!(d.userid, "gluon-wan-dns54:gluon-wan-dns54");
        assert_eq!(d.conffiles, ["/etc/config/gluon-wan-dnsmasq"]);
        assert_eq!(d.title, "DNS forwarder (replaces it)");
        let empty =
            "package=x version=1-r1 depends= conflicts= provides= userid= conffiles= title=t";
        let d = super::parse_described(empty).unwrap();
        assert_eq!(d.depends, ["libc"]);
        assert!(d.provides.is_empty() && d.userid.is_empty() && d.conffiles.is_empty());
    }
}
