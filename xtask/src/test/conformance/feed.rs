//! The `.ipk` feed with the real opkg and usign: every architecture's feed is updated with its
//! signature enforced, every package installed and removed in an offline root as an image
//! holds it (OpenWrt's base packages in opkg's status file), with its dependencies, conflicts
//! and conffile.

use super::build::Programs;
use crate::cmd::{Result, capture, fail, printed, run_quiet};
use crate::test::tally::Tally;
use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// What the feed holds, named as the checks expect them.
pub(super) const EVERY_PACKAGE: &[&str] = &[
    "gluon-wan-dns54",
    "gluon-wan-routes",
    "gluon-wan-firewall",
    "gluon-wan-viawan",
    "gluon-wan-packetmark",
];

/// A file of each package, to see that it is installed and gone again after the remove.
pub(super) const A_FILE_OF_EACH: &[&str] = &[
    "usr/sbin/dns54",
    "usr/sbin/routes",
    "usr/share/gluon-wan-tools/firewall3.ipv4",
    "usr/sbin/viawan",
    "usr/lib/libpacketmark.so",
];

const CONFFILE: &str = "etc/config/gluon-wan-dnsmasq";

/// An offline root as an OpenWrt image holds one: opkg's configuration naming the feed, the
/// trusted keys, and `installed` in opkg's status file.
struct Node<'a> {
    root: PathBuf,
    programs: &'a Programs,
}

impl<'a> Node<'a> {
    fn new(
        work: &Path,
        name: &str,
        arch: &str,
        feed: &Path,
        key: &Path,
        installed: &[&str],
        programs: &'a Programs,
    ) -> Result<Self> {
        let root = work.join(name);
        let _ = fs::remove_dir_all(&root);
        for dir in ["etc/opkg/keys", "usr/lib/opkg/info", "var/lock"] {
            fs::create_dir_all(root.join(dir))?;
        }
        fs::copy(
            key,
            root.join("etc/opkg/keys").join(key_name(programs, key)?),
        )?;
        let verify = root.join("verify-index");
        fs::write(&verify, verify_program(&root, programs))?;
        fs::set_permissions(&verify, fs::Permissions::from_mode(0o755))?;
        fs::write(
            root.join("etc/opkg.conf"),
            format!(
                "dest root /\nlists_dir ext /var/opkg-lists\noption check_signature 1\n\
                 option verify_program {}\narch all 100\narch {arch} 200\n\
                 src/gz gluon_wan_tools file://{}\n",
                verify.display(),
                feed.display()
            ),
        )?;
        let mut status = String::new();
        for package in installed {
            let _ = write!(
                status,
                "Package: {package}\nVersion: 1\nStatus: install ok installed\nArchitecture: {arch}\n\n"
            );
            fs::write(root.join(format!("usr/lib/opkg/info/{package}.list")), "")?;
        }
        fs::write(root.join("usr/lib/opkg/status"), status)?;
        Ok(Node { root, programs })
    }

    fn opkg(&self, args: &[&str]) -> Result<Output> {
        capture(
            self.programs
                .command("opkg-cl")
                .arg("-o")
                .arg(&self.root)
                .arg("-f")
                .arg(self.root.join("etc/opkg.conf"))
                .args(args),
        )
    }

    /// `opkg ARGS`, which must exit 0 and print `expect`.
    fn opkg_ok(&self, args: &[&str], expect: &str) -> Result<String> {
        let out = self.opkg(args)?;
        let text = printed(&out);
        if !out.status.success() || !text.contains(expect) {
            return fail(format!(
                "opkg {} ({}) did not say {expect:?}:\n{text}",
                args.join(" "),
                out.status
            ));
        }
        Ok(text)
    }

    fn installed(&self) -> Result<Vec<String>> {
        let out = self.opkg(&["list-installed"])?;
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split(" - ").next())
            .map(str::to_string)
            .collect())
    }

    fn has(&self, path: &str) -> bool {
        self.root.join(path).exists()
    }
}

/// The name of a trusted key's file in `/etc/opkg/keys`: its fingerprint, by which usign looks
/// it up.
pub(super) fn key_name(programs: &Programs, key: &Path) -> Result<String> {
    let fingerprint = capture(programs.command("usign").arg("-F").arg("-p").arg(key))?;
    let fingerprint = String::from_utf8_lossy(&fingerprint.stdout)
        .trim()
        .to_string();
    if fingerprint.len() != 16 {
        return fail(format!("usign -F -p {}: no fingerprint", key.display()));
    }
    Ok(fingerprint)
}

/// OpenWrt calls `opkg-key verify SIG LIST` (package/system/opkg/files/opkg-key), which
/// checks the list as opkg stores it, decompressed, with usign against the keys in
/// `/etc/opkg/keys`. This does the same inside the offline root: it stands in for that
/// script, not for usign, which is the real one.
pub(super) fn verify_program(root: &Path, programs: &Programs) -> String {
    format!(
        "#!/bin/sh\n[ \"$1\" = verify ] || exit 2\n\
         {{ zcat \"$3\" 2>/dev/null || cat \"$3\"; }} | \
         LD_LIBRARY_PATH='{}' '{}' -V -q -P '{}' -x \"$2\" -m -\n",
        programs.lib().display(),
        programs.path("usign").display(),
        root.join("etc/opkg/keys").display()
    )
}

/// Every check of one architecture's feed (signed with the secret half of `key`), with
/// `foreign_key` a key that did not sign it and `openwrt` OpenWrt's files at their places.
pub fn check(
    tally: &mut Tally,
    programs: &Programs,
    arch: &str,
    key: &Path,
    foreign_key: &Path,
    openwrt: &Path,
    work: &Path,
) {
    let feed = &crate::package::package_dir(arch);
    let base = ["libc", "gluon-mesh-vpn-core"];
    let name = |what: &str| format!("opkg ({arch}): {what}");
    tally.check(&name("update passes the index's signature check"), || {
        let node = Node::new(work, "update", arch, feed, key, &base, programs)?;
        node.opkg_ok(&["update"], "Signature check passed.")?;
        Ok(())
    });
    tally.check(
        &name("every package installs, viawan pulling in packetmark, and is removed"),
        || {
            let node = Node::new(work, "install", arch, feed, key, &base, programs)?;
            node.opkg_ok(&["update"], "Signature check passed.")?;
            let mut install = vec!["install"];
            install.extend(
                EVERY_PACKAGE
                    .iter()
                    .filter(|p| **p != "gluon-wan-packetmark"),
            );
            node.opkg_ok(&install, "Configuring gluon-wan-packetmark.")?;
            let installed = node.installed()?;
            for package in EVERY_PACKAGE {
                if !installed.iter().any(|p| p == package) {
                    return fail(format!("{package} is not installed: {installed:?}"));
                }
            }
            if let Some(missing) = A_FILE_OF_EACH.iter().find(|f| !node.has(f)) {
                return fail(format!("/{missing} is not installed"));
            }
            let mut remove = vec!["remove"];
            remove.extend(EVERY_PACKAGE);
            node.opkg_ok(&remove, "Removing package gluon-wan-packetmark")?;
            if let Some(left) = A_FILE_OF_EACH
                .iter()
                .chain([&CONFFILE])
                .find(|f| node.has(f))
            {
                return fail(format!("/{left} is left after the remove"));
            }
            let mut installed = node.installed()?;
            installed.sort();
            let mut expected = base.to_vec();
            expected.sort_unstable();
            if installed != expected {
                return fail(format!("installed after the remove: {installed:?}"));
            }
            Ok(())
        },
    );
    tally.check(
        &name("a changed conffile is kept over a reinstall and a remove"),
        || {
            let node = Node::new(work, "conffile", arch, feed, key, &base, programs)?;
            node.opkg_ok(&["update"], "Signature check passed.")?;
            node.opkg_ok(
                &["install", "gluon-wan-dns54"],
                "Configuring gluon-wan-dns54.",
            )?;
            let conffile = node.root.join(CONFFILE);
            let mut changed = fs::read_to_string(&conffile)?;
            changed.push_str("# the operator's change\n");
            fs::write(&conffile, &changed)?;
            node.opkg_ok(
                &["install", "--force-reinstall", "gluon-wan-dns54"],
                "Configuring gluon-wan-dns54.",
            )?;
            if fs::read_to_string(&conffile)? != changed {
                return fail("the reinstall replaced the changed conffile");
            }
            if !node.has(&format!("{CONFFILE}-opkg")) {
                return fail(format!("no /{CONFFILE}-opkg beside the changed conffile"));
            }
            node.opkg_ok(
                &["remove", "gluon-wan-dns54"],
                "Not deleting modified conffile",
            )?;
            if fs::read_to_string(&conffile)? != changed {
                return fail("the remove took the changed conffile");
            }
            Ok(())
        },
    );
    tally.check(
        &name("the postinst scripts, run as an image build runs them, make the users and enable the init script"),
        || image_build(&Node::new(work, "image", arch, feed, key, &base, programs)?, openwrt),
    );
    for (installed, package) in [
        ("gluon-wan-dnsmasq", "gluon-wan-dns54"),
        ("libpacketmark", "gluon-wan-packetmark"),
    ] {
        tally.check(
            &name(&format!("{package} is refused beside {installed}")),
            || {
                let mut on_node = base.to_vec();
                on_node.push(installed);
                let node = Node::new(work, "conflict", arch, feed, key, &on_node, programs)?;
                node.opkg_ok(&["update"], "Signature check passed.")?;
                let out = node.opkg(&["install", package])?;
                let text = printed(&out);
                if out.status.success() || !text.contains("conflict with") {
                    return fail(format!("opkg install {package} ({}):\n{text}", out.status));
                }
                if node.installed()?.iter().any(|p| p == package) {
                    return fail(format!("{package} is installed all the same"));
                }
                Ok(())
            },
        );
    }
    tally.check(
        &name("gluon-wan-firewall is refused without gluon-mesh-vpn-core"),
        || {
            let node = Node::new(work, "depends", arch, feed, key, &["libc"], programs)?;
            node.opkg_ok(&["update"], "Signature check passed.")?;
            let out = node.opkg(&["install", "gluon-wan-firewall"])?;
            let text = printed(&out);
            if out.status.success() || !text.contains("cannot find dependency gluon-mesh-vpn-core")
            {
                return fail(format!(
                    "opkg install gluon-wan-firewall ({}):\n{text}",
                    out.status
                ));
            }
            Ok(())
        },
    );
    tally.check(
        &name("an index signed with another key is refused, and nothing installs from it"),
        || {
            let node = Node::new(work, "foreign", arch, feed, foreign_key, &base, programs)?;
            refused(&node)
        },
    );
    tally.check(&name("a changed index is refused"), || {
        let changed = work.join("changed-feed");
        let _ = fs::remove_dir_all(&changed);
        fs::create_dir_all(&changed)?;
        for entry in fs::read_dir(feed)? {
            let entry = entry?;
            fs::copy(entry.path(), changed.join(entry.file_name()))?;
        }
        // One field changed, the signature left as it was.
        let index = fs::read_to_string(changed.join("Packages"))?;
        let index = index.replacen("Section: net", "Section: utils", 1);
        fs::write(changed.join("Packages"), &index)?;
        fs::write(
            changed.join("Packages.gz"),
            crate::package::archive::gzip(index.as_bytes())?,
        )?;
        let node = Node::new(work, "changed", arch, &changed, key, &base, programs)?;
        refused(&node)
    });
}

/// OpenWrt's image build installs the packages into the image's root without their scripts,
/// then runs each `postinst` with `IPKG_INSTROOT` naming the root, with bash (what
/// `prepare_rootfs` of OpenWrt's include/rootfs.mk does; this does the same, with OpenWrt's own
/// functions.sh, rc.common and procd.sh in the root).
fn image_build(node: &Node, openwrt: &Path) -> Result {
    let root = &node.root;
    image_root(root, openwrt, node.programs)?;
    node.opkg_ok(&["update"], "Signature check passed.")?;
    node.opkg_ok(
        &["install", "gluon-wan-dns54", "gluon-wan-viawan"],
        "Configuring gluon-wan-dns54.",
    )?;
    let info = root.join("usr/lib/opkg/info");
    let mut scripts: Vec<_> = fs::read_dir(&info)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "postinst"))
        .collect();
    scripts.sort();
    if scripts.len() != 2 {
        return fail(format!("postinst scripts: {scripts:?}"));
    }
    run_as_image_build(root, &scripts)?;
    users_and_init_script(root)
}

/// An image's root as the maintainer scripts need it: OpenWrt's own files (`openwrt`),
/// `/etc/rc.d`, libubox's `jshn.sh`, and base-files' own users.
pub(super) fn image_root(root: &Path, openwrt: &Path, programs: &Programs) -> Result {
    run_quiet(
        Command::new("cp")
            .arg("-a")
            .arg(format!("{}/.", openwrt.display()))
            .arg(root),
    )?;
    fs::create_dir_all(root.join("etc/rc.d"))?;
    fs::create_dir_all(root.join("usr/share/libubox"))?;
    fs::copy(
        programs.prefix().join("share/libubox/jshn.sh"),
        root.join("usr/share/libubox/jshn.sh"),
    )?;
    fs::write(root.join("etc/passwd"), "root:x:0:0:root:/root:/bin/ash\n")?;
    fs::write(root.join("etc/group"), "root:x:0:\n")?;
    fs::write(root.join("etc/shadow"), "root:::0:99999:7:::\n")?;
    Ok(())
}

/// Runs each of `scripts` with bash and `IPKG_INSTROOT` naming `root`, as an image build runs
/// a package's postinst; each must exit 0.
pub(super) fn run_as_image_build(root: &Path, scripts: &[PathBuf]) -> Result {
    for script in scripts {
        let out = capture(
            Command::new("bash")
                .arg(script)
                .env("IPKG_INSTROOT", root)
                .current_dir(root),
        )?;
        if !out.status.success() {
            return fail(format!(
                "IPKG_INSTROOT={} bash {} ({}): {}",
                root.display(),
                script.display(),
                out.status,
                printed(&out)
            ));
        }
    }
    Ok(())
}

/// What the maintainer scripts leave in `root`: `gluon-wan-dns54`'s user and group,
/// `gluon-viawan` at 801, and dns54's init script enabled at START=60.
pub(super) fn users_and_init_script(root: &Path) -> Result {
    let passwd = fs::read_to_string(root.join("etc/passwd"))?;
    let group = fs::read_to_string(root.join("etc/group"))?;
    let Some(gid) = passwd
        .lines()
        .find_map(|l| l.strip_prefix("gluon-wan-dns54:x:"))
        .and_then(|rest| rest.split(':').nth(1))
    else {
        return fail(format!("no user gluon-wan-dns54 in /etc/passwd:\n{passwd}"));
    };
    if !group.contains(&format!("\ngluon-wan-dns54:x:{gid}:")) {
        return fail(format!(
            "no group gluon-wan-dns54 ({gid}) in /etc/group:\n{group}"
        ));
    }
    if !group.contains("\ngluon-viawan:x:801:") {
        return fail(format!(
            "no group gluon-viawan (801) in /etc/group:\n{group}"
        ));
    }
    let link = root.join("etc/rc.d/S60gluon-wan-dns54");
    match fs::read_link(&link) {
        Ok(to) if to == Path::new("../init.d/gluon-wan-dns54") => Ok(()),
        other => fail(format!("{}: {other:?}", link.display())),
    }
}

/// `opkg update` fails the signature check and keeps no list, so no package can be installed.
/// (opkg exits 0 all the same: only its words say it.)
fn refused(node: &Node) -> Result {
    let out = node.opkg(&["update"])?;
    let text = printed(&out);
    if !text.contains("Signature check failed.") {
        return fail(format!("opkg update ({}):\n{text}", out.status));
    }
    let out = node.opkg(&["install", "gluon-wan-routes"])?;
    if out.status.success() || node.has("usr/sbin/routes") {
        return fail(format!(
            "gluon-wan-routes installed from an index that failed its check:\n{}",
            printed(&out)
        ));
    }
    Ok(())
}
