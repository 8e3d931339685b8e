//! The shell scripts the packages ship (`packaging/openwrt/files/`): shellcheck finds nothing
//! in any of them, and each runs under busybox `sh` (the shell of OpenWrt) as root in a mount
//! namespace of its own, with tmpfs over the paths it writes. procd does not exist on
//! Debian: its shell helpers are stood in for by functions that print what they are given,
//! and the test says what procd would be told; nothing else is stood in for.

use integration_tests::{Netns, Scratch, output};
use std::path::PathBuf;

fn files() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../packaging/openwrt/files")
}

const SCRIPTS: [&str; 5] = [
    "etc/init.d/gluon-wan-dns54",
    "lib/gluon/reload.d/340-gluon-wan-dns54-stop",
    "lib/gluon/reload.d/760-gluon-wan-dns54-start",
    "../control/postinst",
    "../control/prerm",
];

/// Stand-ins for procd's helpers (`/lib/functions/procd.sh`).
const PROCD: &str = "
procd_open_instance() { echo open_instance; }
procd_set_param() { echo \"set_param $*\"; }
procd_append_param() { echo \"append_param $*\"; }
procd_add_jail() { echo \"add_jail $*\"; }
procd_add_jail_mount() { echo \"add_jail_mount $*\"; }
procd_close_instance() { echo close_instance; }
";

/// Runs `script` with busybox `sh` as root in a mount namespace with tmpfs over /var;
/// `setup` runs first, in the same shell. Returns what it printed.
fn in_busybox(netns: &Netns, setup: &str, script: &str) -> String {
    let whole = format!("set -e\nmount -t tmpfs none /var\n{setup}\n{script}");
    netns.run_ok(&["unshare", "--mount", "--", "busybox", "sh", "-c", &whole])
}

#[test]
fn shellcheck_finds_nothing_in_the_shipped_scripts() {
    for script in SCRIPTS {
        let out = output(
            std::process::Command::new("shellcheck")
                .args(["--shell=sh", "--severity=style"])
                .arg(files().join(script)),
        );
        assert!(
            out.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn the_init_script_starts_dns54_as_gluon_wan_dnsmasq_was_started() {
    let netns = Netns::as_root();
    let scratch = Scratch::new("init-scripts");
    let init = files().join("etc/init.d/gluon-wan-dns54");
    let start = format!(
        "{PROCD}\n. '{}'\nstart_service\nls -ln /var/gluon/wan-dnsmasq/resolv.conf | \
         awk '{{print \"resolv\", $1, $5}}'",
        init.display()
    );
    let command = "set_param command /usr/sbin/dns54 --resolv-file \
                   /var/gluon/wan-dnsmasq/resolv.conf --mark 1";

    // A node without the user and without ujail: root, no jail; the resolv file made empty.
    let said = in_busybox(&netns, "", &start);
    assert_eq!(
        said,
        format!(
            "open_instance\n{command}\nset_param stderr 1\nset_param respawn\nclose_instance\n\
             resolv -rw-r--r-- 0\n"
        )
    );

    // With the user, with ujail, and a resolv file Gluon has already written: it is kept.
    let passwd = scratch.path("passwd");
    let mut text = std::fs::read_to_string("/etc/passwd").unwrap();
    text += "gluon-wan-dns54:x:4100:4100:gluon-wan-dns54:/var/empty:/bin/false\n";
    std::fs::write(&passwd, text).unwrap();
    let setup = format!(
        "mount --bind '{}' /etc/passwd\n\
         mkdir -p /var/gluon/wan-dnsmasq\n\
         echo 'nameserver 192.0.2.1' > /var/gluon/wan-dnsmasq/resolv.conf\n\
         mount -t tmpfs none /sbin\n\
         printf '#!/bin/sh\\n' > /sbin/ujail\n\
         chmod 755 /sbin/ujail",
        passwd.display()
    );
    let said = in_busybox(&netns, &setup, &start);
    assert_eq!(
        said,
        format!(
            "open_instance\n{command}\nappend_param command --user gluon-wan-dns54\n\
             set_param stderr 1\nset_param respawn\nadd_jail gluon-wan-dns54 log\n\
             add_jail_mount /etc/passwd /etc/group\nadd_jail_mount /var/gluon/wan-dnsmasq\n\
             close_instance\nresolv -rw-r--r-- 21\n"
        )
    );
}

#[test]
fn the_reload_hooks_stop_before_and_start_after_a_reconfiguration() {
    let netns = Netns::as_root();
    // The init script stood in for by one that says how it was called.
    let setup = "mount -t tmpfs none /etc/init.d\n\
                 printf '#!/bin/sh\\necho \"$0 $*\"\\n' > /etc/init.d/gluon-wan-dns54\n\
                 chmod 755 /etc/init.d/gluon-wan-dns54";
    for (hook, action) in [
        ("340-gluon-wan-dns54-stop", "stop"),
        ("760-gluon-wan-dns54-start", "start"),
    ] {
        let script = format!(
            "busybox sh '{}'",
            files().join("lib/gluon/reload.d").join(hook).display()
        );
        let said = in_busybox(&netns, setup, &script);
        assert_eq!(
            said,
            format!("/etc/init.d/gluon-wan-dns54 {action}\n"),
            "{hook}"
        );
    }
}
