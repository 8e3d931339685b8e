//! The fastd patch (`packaging/openwrt/fastd/`), read from the patch alone: it changes only
//! `start_instance` of fastd's OpenWrt init script, which then hands procd the instance's
//! group, so that fastd starts in it. The init script is one written here around the lines
//! the patch names; procd's shell helpers are stood in for
//! (`tests/fixtures/openwrt/standin/procd-instance` runs the script with `procd.sh` beside it),
//! and the test reads what procd would be told.
//! That the patch applies to fastd's own init script (v23, the one OpenWrt's packages feed
//! installs) and does the same there is `cargo xtask conformance`'s check "the fastd patch
//! applies to …".

use integration_tests::{Scratch, hunks, output, require};
use std::path::{Path, PathBuf};
use std::process::Command;

const PATCH: &str = "packaging/openwrt/fastd/0001-fastd-start-in-the-configured-group.patch";

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

/// What `start_instance mesh_vpn` of `init` hands procd, for an instance with `group` (none
/// when empty); the record, and the configuration the script writes, go into `dir`.
fn procd_params(init: &Path, group: &str, dir: &Path) -> Vec<String> {
    let record = dir.join("procd.record");
    let out = output(
        Command::new("busybox")
            .arg("sh")
            .arg(repo("tests/fixtures/openwrt/standin/procd-instance"))
            .arg(init)
            .arg(&record)
            .arg(group),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(&record)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn with_the_patch_procd_starts_fastd_in_the_instances_group() {
    require("busybox");
    let patch = std::fs::read_to_string(repo(PATCH)).unwrap();
    let hunks = hunks(&patch);
    assert_eq!(hunks.len(), 1, "{hunks:?}");
    let hunk = &hunks[0];
    assert_eq!(hunk.path, "doc/examples/openwrt/fastd.init");
    assert!(
        hunk.before.iter().all(|l| hunk.after.contains(l)),
        "the patch only adds lines: {hunk:?}"
    );

    let scratch = Scratch::new("fastd-patch");
    let tree = scratch.path("fastd");
    let init = tree.join(&hunk.path);
    std::fs::create_dir_all(init.parent().unwrap()).unwrap();
    let prologue = "#!/bin/sh /etc/rc.common\n\
                    # A procd init script written for this test, ending in the lines the patch names.\n\
                    USE_PROCD=1\n\
                    TMP_FASTD=/tmp/fastd\n\
                    FASTD_COMMAND=/usr/bin/fastd\n\
                    \n\
                    start_instance() {\n\
                    \tlocal s=\"$1\"\n\
                    \tlocal cfgfile=\"$TMP_FASTD/fastd.$s.conf\"\n\
                    \n\
                    \tprocd_open_instance \"$s\"\n\
                    \n";
    std::fs::write(&init, format!("{prologue}{}\n", hunk.before.join("\n"))).unwrap();
    let unpatched = scratch.path("unpatched.init");
    std::fs::copy(&init, &unpatched).unwrap();
    let applied = output(
        Command::new("git")
            .current_dir(&tree)
            .env("GIT_CEILING_DIRECTORIES", scratch.path(""))
            .args(["apply", "-p1"])
            .arg(repo(PATCH)),
    );
    assert!(
        applied.status.success(),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );

    let records = scratch.path("records");
    std::fs::create_dir_all(&records).unwrap();
    let before = procd_params(&unpatched, "gluon-mesh-vpn", &records);
    assert!(
        before
            .iter()
            .any(|l| l.starts_with("set_param command /usr/bin/fastd --config ")),
        "{before:?}"
    );
    assert!(
        !before.iter().any(|l| l.starts_with("set_param group")),
        "unpatched, fastd starts in root's group: {before:?}"
    );
    let after = procd_params(&init, "gluon-mesh-vpn", &records);
    assert!(
        after.contains(&"set_param group gluon-mesh-vpn".to_string()),
        "{after:?}"
    );
    assert_eq!(
        procd_params(&init, "", &records),
        before,
        "an instance without a group starts as before"
    );
}
