//! The patches the project ships, against the real files they patch at their pinned commits:
//! the Gluon patch against `gluon-mesh-vpn-core`'s Makefile of Gluon's release, main and next,
//! the fastd patch against the OpenWrt init script of the fastd that OpenWrt's packages feed
//! builds.

use super::upstream::{Origin, tree, tree_of, upstream};
use crate::cmd::{Result, capture, fail, root};
use crate::test::tally::Tally;
use std::fs;
use std::path::Path;
use std::process::Command;

const GLUON_PATCH: &str = "packaging/gluon/0001-gluon-mesh-vpn-core-wan-dns54.patch";
const GLUON_MAKEFILE: &str = "package/gluon-mesh-vpn-core/Makefile";
const FASTD_PATCH: &str = "packaging/openwrt/fastd/0001-fastd-start-in-the-configured-group.patch";
const FASTD_INIT: &str = "doc/examples/openwrt/fastd.init";

/// `git apply -p1 PATCH` in a copy of `files` (paths relative to `from`), in `work`; the
/// patched tree.
fn apply(patch: &str, from: &Path, files: &[&str], work: &Path) -> Result<std::path::PathBuf> {
    let _ = fs::remove_dir_all(work);
    for file in files {
        let to = work.join(file);
        fs::create_dir_all(to.parent().expect("a file has a directory"))?;
        fs::copy(from.join(file), &to)?;
    }
    let out = capture(
        Command::new("git")
            .current_dir(work)
            // A plain tree, as Gluon's and the feed's are, not part of this repository.
            .env("GIT_CEILING_DIRECTORIES", work.parent().unwrap_or(work))
            .args(["apply", "-p1", "--verbose"])
            .arg(root().join(patch)),
    )?;
    if !out.status.success() {
        return fail(format!(
            "{patch} does not apply:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(work.to_path_buf())
}

pub fn check(tally: &mut Tally, origin: &Origin, cache: &Path, work: &Path) {
    for name in ["gluon-stable", "gluon-main", "gluon-next"] {
        let gluon = upstream(name);
        let title = format!(
            "the Gluon patch applies to {} ({}) and changes only the dependency",
            gluon.pin,
            &gluon.commit[..12]
        );
        tally.check(&title, || {
            let tree = tree_of(gluon, &[GLUON_MAKEFILE], origin, cache)?;
            let patched = apply(GLUON_PATCH, &tree, &[GLUON_MAKEFILE], &work.join(name))?;
            let before = fs::read_to_string(tree.join(GLUON_MAKEFILE))?;
            let after = fs::read_to_string(patched.join(GLUON_MAKEFILE))?;
            let selected = "+!PACKAGE_gluon-wan-dns54:gluon-wan-dnsmasq";
            if !after.contains(selected) {
                return fail(format!("the patched Makefile lacks {selected}:\n{after}"));
            }
            if after.replace(selected, "+gluon-wan-dnsmasq") != before {
                return fail("the patch changes more than the dependency on gluon-wan-dnsmasq");
            }
            Ok(())
        });
    }
    let fastd = upstream("fastd");
    let packages = upstream("packages");
    tally.check(
        "the packages feed builds the pinned fastd and installs its OpenWrt init script",
        || {
            let feed = tree_of(packages, &["net/fastd"], origin, cache)?;
            let makefile = fs::read_to_string(feed.join("net/fastd/Makefile"))?;
            let version = makefile
                .lines()
                .find_map(|l| l.strip_prefix("PKG_VERSION:="))
                .unwrap_or_default();
            let source = tree(fastd, origin, cache)?;
            if !fastd.pin.starts_with(&format!("v{version},")) {
                return fail(format!(
                    "the feed builds fastd {version}, the pin is {}",
                    fastd.pin
                ));
            }
            if !makefile.contains(&format!(
                "$(PKG_BUILD_DIR)/{FASTD_INIT} $(1)/etc/init.d/fastd"
            )) {
                return fail(format!(
                    "the feed's fastd Makefile no longer installs {FASTD_INIT}"
                ));
            }
            if !source.join(FASTD_INIT).is_file() {
                return fail(format!("fastd {version} has no {FASTD_INIT}"));
            }
            Ok(())
        },
    );
    tally.check(
        "the fastd patch applies to the init script of fastd v23 and starts fastd in its group",
        || {
            let source = tree(fastd, origin, cache)?;
            let patched = apply(FASTD_PATCH, &source, &[FASTD_INIT], &work.join("fastd"))?;
            let unpatched = procd_params(&source.join(FASTD_INIT), "gluon-mesh-vpn", work)?;
            let with_group = procd_params(&patched.join(FASTD_INIT), "gluon-mesh-vpn", work)?;
            let without = procd_params(&patched.join(FASTD_INIT), "", work)?;
            let group = "set_param group gluon-mesh-vpn";
            if unpatched.iter().any(|l| l.starts_with("set_param group")) {
                return fail(format!("unpatched, fastd v23 already sets a group: {unpatched:?}"));
            }
            if !with_group.iter().any(|l| l == group) {
                return fail(format!("patched, procd is not handed {group:?}: {with_group:?}"));
            }
            if without != unpatched {
                return fail(format!(
                    "patched, an instance without a group starts otherwise: {without:?} against {unpatched:?}"
                ));
            }
            Ok(())
        },
    );
}

/// What the init script `init` tells procd for a fastd instance with `group` (none when
/// empty), through the project's stand-in for procd's shell helpers
/// (`tests/fixtures/openwrt/standin/procd-instance`, which the CI test of the patch uses too):
/// OpenWrt's own procd.sh is in the openwrt/openwrt repository, which conformance does not
/// fetch yet.
fn procd_params(init: &Path, group: &str, work: &Path) -> Result<Vec<String>> {
    let record = work.join("procd-record");
    let out = capture(
        Command::new("busybox")
            .args(["sh"])
            .arg(root().join("tests/fixtures/openwrt/standin/procd-instance"))
            .arg(init)
            .arg(&record)
            .arg(group),
    )?;
    if !out.status.success() {
        return fail(format!(
            "start_instance of {} failed: {}",
            init.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(fs::read_to_string(&record)?
        .lines()
        .map(str::to_string)
        .collect())
}
