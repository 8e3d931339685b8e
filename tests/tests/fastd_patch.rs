//! The fastd patch (`packaging/openwrt/fastd/`) applies to OpenWrt's `fastd.init` (kept as a
//! fixture), and fastd then starts in its configured group. The init script runs under
//! busybox `sh` as root in a mount namespace, with OpenWrt's own `service.sh` (a fixture too)
//! and Debian's start-stop-daemon; UCI is stood in for by a `config_get` that answers from a
//! fixed instance, and fastd by a script that records its group and its configuration.

use integration_tests::{Netns, Scratch, output};
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

/// Runs `start_instance mesh_vpn` of the init script `init` and returns the group the fastd
/// stand-in ran in, and the configuration it was given.
fn start(netns: &Netns, dir: &Path, init: &Path) -> (String, String) {
    let script = format!(
        r#"
mount -t tmpfs none /var && mkdir -p /var/run || exit 1
mount -t tmpfs none /tmp || exit 1
mount --bind '{dir}/group' /etc/group || exit 1
config_load() {{ :; }}
config_get() {{
	case "$2.$3" in
	mesh_vpn.enabled) eval "$1=1" ;;
	mesh_vpn.interface) eval "$1=mesh-vpn" ;;
	mesh_vpn.mode) eval "$1=tap" ;;
	mesh_vpn.secret) eval "$1=0123456789abcdef" ;;
	mesh_vpn.group) eval "$1=gluon-mesh-vpn" ;;
	mesh_vpn.packet_mark) eval "$1=1" ;;
	*) eval "$1=" ;;
	esac
}}
config_get_bool() {{ config_get "$@"; }}
config_foreach() {{ :; }}
config_list_foreach() {{ :; }}
# The interface exists once fastd has started.
ifconfig() {{ [ -e '{dir}/started' ]; }}
. '{service}'
. '{init}'
FASTD_COMMAND='{dir}/fastd'
# Its status is its last line's, `[ -n "$up" ] && …`: false without an `up` hook.
start_instance mesh_vpn
[ -e '{dir}/started' ]
"#,
        dir = dir.display(),
        service = repo("tests/fixtures/openwrt/service.sh").display(),
        init = init.display(),
    );
    let _ = std::fs::remove_file(dir.join("started"));
    netns.run_ok(&["unshare", "--mount", "--", "busybox", "sh", "-c", &script]);
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    (
        read("group-of-fastd").trim().to_string(),
        read("config-of-fastd"),
    )
}

#[test]
fn with_the_patch_fastd_starts_in_its_group() {
    let netns = Netns::as_root();
    let scratch = Scratch::new("fastd-patch");
    let dir = scratch.path("");
    // The patched tree: a copy of OpenWrt's fastd.init where the patch expects it.
    let tree = scratch.path("packages");
    let patched = tree.join("net/fastd/files/fastd.init");
    std::fs::create_dir_all(patched.parent().unwrap()).unwrap();
    std::fs::copy(repo("tests/fixtures/openwrt/fastd.init"), &patched).unwrap();
    let applied = output(
        Command::new("git")
            .current_dir(&tree)
            .env("GIT_CEILING_DIRECTORIES", &dir)
            .args(["apply", "-p1"])
            .arg(repo(
                "packaging/openwrt/fastd/0001-fastd-start-in-the-configured-group.patch",
            )),
    );
    assert!(
        applied.status.success(),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
    // fastd stood in for: it records its group and configuration, and brings the interface
    // up (a file here).
    let fastd = dir.join("fastd");
    std::fs::write(
        &fastd,
        format!(
            "#!/bin/sh\ncat > '{d}/config-of-fastd'\nid -gn > '{d}/group-of-fastd'\ntouch '{d}/started'\n",
            d = dir.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fastd, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut group = std::fs::read_to_string("/etc/group").unwrap();
    group += "gluon-mesh-vpn:x:800:\n";
    std::fs::write(dir.join("group"), group).unwrap();

    let (before, _) = start(&netns, &dir, &repo("tests/fixtures/openwrt/fastd.init"));
    assert_eq!(before, "root", "unpatched, fastd starts as root's group");
    let (after, config) = start(&netns, &dir, &patched);
    assert_eq!(after, "gluon-mesh-vpn");
    // The configuration is what it was, the group in it included.
    for line in [
        "group \"gluon-mesh-vpn\";",
        "packet mark 1;",
        "interface \"mesh-vpn\";",
    ] {
        assert!(config.contains(line), "{config}");
    }
}
