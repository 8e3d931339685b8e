//! The shell scripts the packages ship (`packaging/openwrt/files/`): shellcheck finds nothing
//! in any of them, and each runs under busybox `sh` (the shell of OpenWrt) as root in a mount
//! namespace of its own, with tmpfs over the paths it writes. procd does not exist on
//! Debian: its shell helpers are stood in for by functions that print what they are given,
//! and the test says what procd would be told. The scripts that ask netifd and UCI run in an
//! OpenWrt-like root (`OpenWrtRoot`) where ubus, uci and jsonfilter, which do not exist on
//! Debian either, are stood in for by commands that print recorded answers in OpenWrt's
//! formats (`tests/fixtures/openwrt/standin/`, `…/ubus/`). Nothing else is stood in for.
//! `cargo xtask conformance` runs the same scripts with the real ones: the init script through
//! OpenWrt's rc.common and procd.sh under the real procd, ubusd and ujail, the reload.d hooks
//! and the maintainer scripts on a live root (its checks "procd: …"), the iface hooks under
//! the real netifd, ubus and jsonfilter (its checks "netifd: …").

use integration_tests::{Netns, OpenWrtRoot, Scratch, output};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

fn files() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../packaging/openwrt/files")
}

const SCRIPTS: [&str; 9] = [
    "etc/init.d/gluon-wan-dns54",
    "etc/uci-defaults/50-gluon-wan-firewall",
    "etc/hotplug.d/iface/05-gluon-wan-routes",
    "etc/hotplug.d/iface/50-gluon-wan-dns54",
    "lib/gluon/wan-dns54/update-resolv",
    "lib/gluon/reload.d/340-gluon-wan-dns54-stop",
    "lib/gluon/reload.d/760-gluon-wan-dns54-start",
    "../control/postinst",
    "../control/prerm",
];

/// The stand-in for procd's helpers (`/lib/functions/procd.sh`): each prints what it is given.
fn procd_standin() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/openwrt/standin/procd.sh")
}

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
        ". '{}'\n. '{}'\nstart_service\nls -ln /var/gluon/wan-dnsmasq/resolv.conf | \
         awk '{{print \"resolv\", $1, $5}}'",
        procd_standin().display(),
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

/// The uci-defaults script gives firewall3 its two includes, in one batch per family, and
/// commits them; with firewall4 (`/sbin/fw4`) it leaves the configuration alone. uci is stood
/// in for by a command that says how it was called; `cargo xtask conformance` runs the
/// script with the real uci before the real firewall3 starts, and beside the real firewall4.
#[test]
fn the_uci_defaults_script_gives_firewall3_its_includes() {
    let netns = Netns::as_root();
    let script = files().join("etc/uci-defaults/50-gluon-wan-firewall");
    let setup = "mount -t tmpfs none /mnt\n\
                 printf '#!/bin/sh\\necho \"uci $*\"\\ncat\\n' > /mnt/uci\n\
                 chmod 755 /mnt/uci\n\
                 export PATH=/mnt:$PATH";
    let said = in_busybox(&netns, setup, &format!("busybox sh '{}'", script.display()));
    let batch = |family: &str| {
        let section = format!("firewall.gluon_wan_tools_{family}");
        format!(
            "uci -q batch\nset {section}=include\nset {section}.type=restore\n\
             set {section}.family={family}\n\
             set {section}.path=/usr/share/gluon-wan-tools/firewall3.{family}\n"
        )
    };
    assert_eq!(
        said,
        format!("{}{}uci commit firewall\n", batch("ipv4"), batch("ipv6"))
    );
    // With firewall4 present: nothing.
    let with_fw4 = format!(
        "{setup}\nmkdir -p /mnt/sbin /mnt/work\n\
         mount -t overlay overlay -o lowerdir=/sbin,upperdir=/mnt/sbin,workdir=/mnt/work /sbin\n\
         printf '#!/bin/sh\\n' > /sbin/fw4 && chmod 755 /sbin/fw4"
    );
    let said = in_busybox(
        &netns,
        &with_fw4,
        &format!("busybox sh '{}'", script.display()),
    );
    assert_eq!(said, "");
}

/// Gluon's WAN interfaces as netifd reports them (`ubus call network.interface.NAME status`).
fn record_wan_status(root: &OpenWrtRoot) {
    let recorded = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/openwrt/ubus");
    for interface in ["wan", "wan6"] {
        std::fs::copy(
            recorded.join(format!("{interface}.json")),
            root.answer(&format!("ubus/{interface}.json")),
        )
        .unwrap();
    }
}

#[test]
fn the_resolv_writer_writes_the_servers_update_lua_would() {
    let netns = Netns::as_root();
    let root = OpenWrtRoot::new("resolv-writer");
    record_wan_status(&root);
    let resolv = root.var("gluon/wan-dnsmasq/resolv.conf");
    let write = |setup: &str| {
        root.run(
            &netns,
            "",
            &format!("set -e\n{setup}\n/lib/gluon/wan-dns54/update-resolv"),
        )
    };

    // The dynamic servers: the interfaces of the lists in name order, each list in its
    // order (wan, then wan6, as the current update.lua takes them); a link-local server
    // with its device; an interface named twice asked once; one netifd does not know
    // (cellular, lte) skipped.
    let more_lists = "printf 'wan6\\nlte\\n' > /lib/gluon/wan-dnsmasq/interface.d/060-more";
    write(more_lists);
    let dynamic = "nameserver 192.0.2.1\nnameserver 198.51.100.53\n\
                   nameserver fe80::1%br-wan\nnameserver 2001:db8:0:1::53\n";
    assert_eq!(std::fs::read_to_string(&resolv).unwrap(), dynamic);
    let written = std::fs::metadata(&resolv).unwrap().ino();

    // The same servers again: the file is left as it is (no rename, no new inode), and no
    // temporary file stays behind.
    write("");
    assert_eq!(std::fs::metadata(&resolv).unwrap().ino(), written);
    let names: Vec<String> = std::fs::read_dir(resolv.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["resolv.conf"]);

    // wan6 loses its servers: the file is replaced by a rename.
    let wan6 = root.answer("ubus/wan6.json");
    let text = std::fs::read_to_string(&wan6).unwrap();
    let without = text.replace(
        "\t\t\t\"fe80::1\",\n\t\t\t\"2001:db8:0:1::53\"\n",
        "\t\t\t\n",
    );
    assert_ne!(text, without);
    std::fs::write(&wan6, without).unwrap();
    write("");
    assert_eq!(
        std::fs::read_to_string(&resolv).unwrap(),
        "nameserver 192.0.2.1\nnameserver 198.51.100.53\n"
    );
    assert_ne!(std::fs::metadata(&resolv).unwrap().ino(), written);

    // Static servers from UCI replace the dynamic ones.
    std::fs::write(
        root.answer("uci/gluon-wan-dnsmasq.@static[0].server"),
        "192.0.2.99 2001:db8::99\n",
    )
    .unwrap();
    write("");
    assert_eq!(
        std::fs::read_to_string(&resolv).unwrap(),
        "nameserver 192.0.2.99\nnameserver 2001:db8::99\n"
    );

    // Nothing known at all: an empty file (dns54 then answers SERVFAIL at once).
    std::fs::remove_file(root.answer("uci/gluon-wan-dnsmasq.@static[0].server")).unwrap();
    std::fs::remove_file(root.answer("ubus/wan.json")).unwrap();
    std::fs::remove_file(&wan6).unwrap();
    write("");
    assert_eq!(std::fs::read_to_string(&resolv).unwrap(), "");
}

#[test]
fn the_hotplug_hook_rewrites_the_resolv_file_on_the_wan_interfaces_events_only() {
    let netns = Netns::as_root();
    let root = OpenWrtRoot::new("resolv-hotplug");
    record_wan_status(&root);
    let resolv = root.var("gluon/wan-dnsmasq/resolv.conf");
    // hotplug-call sources each script of /etc/hotplug.d/iface/ with the event's variables.
    let event = |interface: &str| {
        root.run(
            &netns,
            &format!("ACTION=ifup INTERFACE={interface}"),
            ". /etc/hotplug.d/iface/50-gluon-wan-dns54",
        )
    };
    for interface in ["mesh_vpn", "client", "loopback"] {
        event(interface);
        assert!(!resolv.exists(), "{interface}");
    }
    event("wan6");
    assert_eq!(
        std::fs::read_to_string(&resolv).unwrap(),
        "nameserver 192.0.2.1\nnameserver 198.51.100.53\n\
         nameserver fe80::1%br-wan\nnameserver 2001:db8:0:1::53\n"
    );
}

#[test]
fn the_routes_hook_puts_the_policy_back_after_every_interface_event() {
    let netns = Netns::as_root();
    let root = OpenWrtRoot::new("routes-hotplug");
    netns.run_ok(&["ip", "link", "set", "lo", "up"]);
    std::fs::copy(
        integration_tests::routes_program(),
        root.bin().join("routes"),
    )
    .unwrap();
    let event = |interface: &str| {
        root.run(
            &netns,
            &format!("ACTION=ifup INTERFACE={interface}"),
            ". /etc/hotplug.d/iface/05-gluon-wan-routes",
        )
    };
    let policy = |family: &str| {
        let rules = netns.run_ok(&["ip", family, "rule", "show", "fwmark", "0x1/0x1"]);
        // An empty table does not exist: `ip` says so and prints nothing.
        let fallback = netns.run(&["ip", family, "route", "show", "table", "1"]);
        format!("{rules}{}", String::from_utf8_lossy(&fallback.stdout))
    };
    let v6 = "1:\tfrom all fwmark 0x1/0x1 lookup 1\n\
              unreachable default dev lo metric 65535 pref medium\n";
    let v4 = "1:\tfrom all fwmark 0x1/0x1 lookup 1\nunreachable default metric 65535 \n";

    // Upstream Gluon: the WAN's IPv4 routes are in main, so no IPv4 rule.
    event("loopback");
    assert_eq!(policy("-6"), v6);
    assert_eq!(policy("-4"), "");

    // A WAN with `ip4table 1`: both families.
    std::fs::write(root.answer("uci/network.wan.ip4table"), "1\n").unwrap();
    event("wan");
    assert_eq!(policy("-6"), v6);
    assert_eq!(policy("-4"), v4);

    // netifd deletes every rule when it loads its configuration: the next event of any
    // interface puts them back.
    netns.run_ok(&["ip", "-4", "rule", "flush"]);
    netns.run_ok(&["ip", "-6", "rule", "flush"]);
    assert_eq!(
        netns.run_ok(&["ip", "-6", "rule", "show", "fwmark", "0x1/0x1"]),
        ""
    );
    event("mesh_vpn");
    assert_eq!(policy("-6"), v6);
    assert_eq!(policy("-4"), v4);
}
