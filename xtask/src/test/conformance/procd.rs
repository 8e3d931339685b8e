//! The packages on a live root, as `opkg install` on a node sets them up, under the real
//! procd and ubusd, with OpenWrt's own rc.common, functions.sh and procd.sh
//! (`upstream::OPENWRT_FILES`, read by conformance.rs): the maintainer scripts make the Require-User users, enable
//! and start dns54's init script; procd runs, respawns and stops dns54, with and without the
//! real ujail; Gluon's reload.d hooks stop and start it. The scenario is `procd-service.sh`.

use super::build::Programs;
use super::scenario::{self, executable};
use crate::cmd::{Result, run_quiet};
use crate::test::tally::Tally;
use std::fs;
use std::path::Path;
use std::process::Command;

const SCENARIO: &str = include_str!("procd-service.sh");

/// OpenWrt's busybox has a `lock` applet (from a patch of OpenWrt's), which functions.sh takes
/// around its changes of /etc/passwd on a live root; Debian's busybox has none. This stands
/// in for it: the scenario runs one thing at a time, so there is nothing to wait for.
const LOCK: &str = "#!/bin/sh\n# Stands in for OpenWrt's busybox applet `lock` (see conformance/procd.rs).\nexit 0\n";

/// Runs the scenario with the feed of the host's architecture (`feed`, signed with the secret
/// half of `key`).
pub fn check(
    tally: &mut Tally,
    programs: &Programs,
    openwrt: &Path,
    feed: &Path,
    key: &Path,
    work: &Path,
) {
    let run = prepare(programs, openwrt, feed, key, work).and_then(|()| {
        scenario::run(
            work,
            SCENARIO,
            &["--net", "--mount", "--pid", "--fork", "--mount-proc"],
            &[("PREFIX", programs.prefix().as_os_str())],
        )
    });
    scenario::count(tally, "procd", "the live root under procd", run);
}

/// `work`/root/, what the scenario lays over /etc and /usr (opkg's configuration naming the
/// feed, the trusted key, opkg-key, a status file with libc installed), and `work`/openwrt/,
/// OpenWrt's files at their places on a node (a copy of `openwrt`).
fn prepare(programs: &Programs, openwrt: &Path, feed: &Path, key: &Path, work: &Path) -> Result {
    let _ = fs::remove_dir_all(work);
    let root = work.join("root");
    for dir in [
        "etc/opkg/keys",
        "etc/rc.d",
        "usr/lib/opkg/info",
        "usr/sbin",
        "usr/bin",
    ] {
        fs::create_dir_all(root.join(dir))?;
    }
    run_quiet(
        Command::new("cp")
            .arg("-a")
            .arg(openwrt)
            .arg(work.join("openwrt")),
    )?;
    fs::copy(
        key,
        root.join("etc/opkg/keys")
            .join(super::feed::key_name(programs, key)?),
    )?;
    fs::write(
        root.join("etc/opkg.conf"),
        format!(
            "dest root /\nlists_dir ext /var/opkg-lists\noption check_signature 1\n\
             arch all 100\narch x86_64 200\nsrc/gz gluon_wan_tools file://{}\n",
            feed.display()
        ),
    )?;
    executable(
        &root.join("usr/sbin/opkg-key"),
        &super::feed::verify_program(Path::new("/"), programs),
    )?;
    executable(&root.join("usr/bin/lock"), LOCK)?;
    fs::write(
        root.join("usr/lib/opkg/status"),
        "Package: libc\nVersion: 1\nStatus: install ok installed\nArchitecture: x86_64\n\n",
    )?;
    fs::write(root.join("usr/lib/opkg/info/libc.list"), "")?;
    fs::create_dir_all(root.join("usr/share/libubox"))?;
    fs::copy(
        programs.prefix().join("share/libubox/jshn.sh"),
        root.join("usr/share/libubox/jshn.sh"),
    )?;
    Ok(())
}
