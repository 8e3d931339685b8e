//! The firewall rules the packages ship (`packaging/openwrt/files/`), loaded with the real nft
//! (firewall4) and the legacy iptables (firewall3, as Gluon runs it) into a namespace the
//! test makes, as root, around dns54, viawan and two dnsmasq servers: the node's resolver on
//! 127.0.0.1:53 and ::1 (the mesh's, as on a node) and the WAN's upstream that dns54 asks.
//! The rules name the mesh VPN's group by Gluon's number for it, 800; viawan takes it by name,
//! which /etc/group gets in a mount namespace of each command that needs it.
//!
//! The nftables table is loaded after a stand-in of firewall4's own table
//! (`FIREWALL4_OWN_RULES`), whose accepts must not end our table's chains, and loaded again, as
//! firewall4 includes it again on every reload: its rules must not double. With
//! `GWT_FIREWALL4` set to a root holding the real firewall4 and ucode (`cargo xtask
//! conformance` builds them), the real firewall4 is started, reloaded and restarted with the
//! file in its `ruleset-post` directory.
//! firewall3's files are loaded after firewall3's own rules, as its includes are. Here those
//! are stood in for by `firewall3_own_rules` (tests/lib.rs), the start of firewall3's `OUTPUT` chains as it
//! writes them (loopback, established flows and each zone's devices accepted first); with
//! `GWT_FIREWALL3` set to a prefix holding the real firewall3 and its legacy iptables
//! (`cargo xtask conformance` builds them), the real firewall3 writes its rules and loads the
//! files itself, from a UCI configuration with a WAN and a mesh zone.

use integration_tests::{Netns, Running, Scratch, dist_dir, dnsmasq, output};
use std::path::PathBuf;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

const X86: &str = "x86_64-unknown-linux-musl";

fn nft_rules() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../packaging/openwrt/files/usr/share/nftables.d/ruleset-post/gluon-wan-tools.nft")
}

fn dist(file: &str) -> String {
    dist_dir(X86).join(file).to_string_lossy().into_owned()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `argv` in `netns`, in a mount namespace whose /etc/group also names gluon-mesh-vpn
/// (gid 800) and gluon-viawan (801), as a Gluon node's with the packages does.
fn with_vpn_group(netns: &Netns, scratch: &Scratch, argv: &[&str]) -> Output {
    let group = scratch.path("group");
    let mut file = String::from("gluon-mesh-vpn:x:800:\ngluon-viawan:x:801:\n");
    file += &std::fs::read_to_string("/etc/group").unwrap();
    std::fs::write(&group, file).unwrap();
    output(
        netns
            .command("unshare")
            .args(["--mount", "--", "sh", "-c"])
            .arg("mount --bind \"$0\" /etc/group && exec \"$@\"")
            .arg(&group)
            .args(argv),
    )
}

/// What `dig` answers at `server` for example.test, with `options`, run as `prefix` says.
fn look_up(
    netns: &Netns,
    scratch: &Scratch,
    prefix: &[&str],
    server: &str,
    options: &[&str],
) -> String {
    let server = format!("@{server}");
    let mut argv: Vec<&str> = prefix.to_vec();
    argv.extend([
        "dig",
        "+time=1",
        "+tries=1",
        "+short",
        &server,
        "example.test",
    ]);
    argv.extend(options);
    let out = if prefix.is_empty() {
        netns.run(&argv)
    } else {
        with_vpn_group(netns, scratch, &argv)
    };
    text(&out.stdout).trim().to_string()
}

/// Which firewall's rules are loaded.
#[derive(Clone, Copy)]
enum Firewall {
    /// firewall4's nftables table.
    Nftables,
    /// firewall3's iptables-restore files, IPv4 and IPv6.
    Iptables,
}

/// The start of the output chain firewall4 writes for the same node: loopback, established
/// flows and each zone's devices accepted. A stand-in, as `firewall3_own_rules` is.
const FIREWALL4_OWN_RULES: &str = "table inet fw4 {
\tchain output {
\t\ttype filter hook output priority filter; policy accept;
\t\toifname \"lo\" accept
\t\tct state established,related accept
\t\toifname \"br-wan\" accept
\t\toifname \"mesh0\" accept
\t}
}
";

/// The UCI configuration for the real firewall3 (`GWT_FIREWALL3`) or firewall4
/// (`GWT_FIREWALL4`): a WAN zone and a mesh zone. The package's uci-defaults script adds
/// firewall3's two includes, with the real uci; firewall4 includes the nftables file by its
/// place.
fn firewall_config() -> String {
    let zone = |name: &str, device: &str| {
        format!(
            "config zone\n\toption name '{name}'\n\toption device '{device}'\n\
             \toption input 'ACCEPT'\n\toption output 'ACCEPT'\n\toption forward 'REJECT'\n\n"
        )
    };
    format!(
        "config defaults\n\toption input 'ACCEPT'\n\toption output 'ACCEPT'\n\
         \toption forward 'REJECT'\n\n{}{}",
        zone("wan", "br-wan"),
        zone("mesh", "mesh0"),
    )
}

/// The package's uci-defaults script, which adds firewall3's includes.
fn uci_defaults(files: &std::path::Path) -> PathBuf {
    files.join("etc/uci-defaults/50-gluon-wan-firewall")
}

/// The real firewall3's prefix (`sbin/firewall3`, its legacy iptables, `lib/`), when
/// conformance gives one.
fn real_firewall3() -> Option<PathBuf> {
    std::env::var_os("GWT_FIREWALL3").map(PathBuf::from)
}

/// A legacy iptables program (`iptables-legacy`, `ip6tables-legacy-restore`, …): the real
/// firewall3's own build when there is one, else Debian's.
fn legacy(netns: &Netns, program: &str) -> std::process::Command {
    match real_firewall3() {
        Some(prefix) => {
            let mut cmd = netns.command(&prefix.join("sbin").join(program).to_string_lossy());
            cmd.env("LD_LIBRARY_PATH", prefix.join("lib"));
            cmd
        }
        None => netns.command(program),
    }
}

/// The packets the fail-closed rule has dropped (IPv4 and IPv6).
fn dropped(netns: &Netns, firewall: Firewall) -> u64 {
    match firewall {
        Firewall::Nftables => {
            let chain = netns.run_ok(&integration_tests::LIST_FAIL_CLOSED_CHAIN);
            assert!(chain.contains("counter packets"), "{chain}");
            integration_tests::nft_dropped(&chain)
        }
        Firewall::Iptables => iptables_dropped(netns, "gluon_wan_only"),
    }
}

/// The packets the guard of viawan's group has dropped (IPv4 and IPv6): unmarked ones of its
/// commands that would have left the node.
fn viawan_dropped(netns: &Netns, firewall: Firewall) -> u64 {
    match firewall {
        Firewall::Nftables => integration_tests::nft_dropped(&netns.run_ok(&[
            "nft",
            "list",
            "chain",
            "inet",
            "gluon_wan_tools",
            "viawan_marked_only",
        ])),
        Firewall::Iptables => iptables_dropped(netns, "gluon_viawan_marked_only"),
    }
}

/// The packets the DROP rule of firewall3's chain `chain` has counted, IPv4 and IPv6.
fn iptables_dropped(netns: &Netns, chain: &str) -> u64 {
    ["iptables-legacy", "ip6tables-legacy"]
        .iter()
        .map(|tool| {
            let out = output(legacy(netns, tool).args(["-L", chain, "-v", "-n", "-x"]));
            assert!(out.status.success(), "{tool}: {}", text(&out.stderr));
            integration_tests::iptables_dropped(&text(&out.stdout))
        })
        .sum()
}

/// The node: loopback with the WAN upstream's address, a mesh and a WAN device with a network
/// behind each, the node's resolver (the mesh's answer, 192.0.2.66), the WAN's upstream
/// (192.0.2.7) and dns54 on port 54 asking it; then `firewall`'s rules. Asserts what the
/// rules must do.
fn the_rules_hold(firewall: Firewall, scratch_name: &str) {
    let netns = Netns::as_root();
    let scratch = Scratch::new(scratch_name);
    for argv in [
        &["ip", "addr", "add", "127.0.0.2/8", "dev", "lo"][..],
        &[
            "ip", "link", "add", "mesh0", "type", "veth", "peer", "name", "mesh1",
        ],
        &[
            "ip", "link", "add", "br-wan", "type", "veth", "peer", "name", "wan1",
        ],
        &["ip", "addr", "add", "10.99.0.1/24", "dev", "mesh0"],
        &["ip", "addr", "add", "10.98.0.1/24", "dev", "br-wan"],
        &["ip", "link", "set", "mesh0", "up"],
        &["ip", "link", "set", "mesh1", "up"],
        &["ip", "link", "set", "br-wan", "up"],
        &["ip", "link", "set", "wan1", "up"],
    ] {
        netns.run_ok(argv);
    }
    let _mesh_resolver = dnsmasq(
        &netns,
        &[],
        &[
            "--listen-address=127.0.0.1,::1",
            "--bind-interfaces",
            "--port=53",
            "--address=/example.test/192.0.2.66",
        ],
    );
    let _wan_upstream = dnsmasq(
        &netns,
        &[],
        &[
            "--listen-address=127.0.0.2",
            "--bind-interfaces",
            "--port=53",
            "--address=/example.test/192.0.2.7",
        ],
    );
    let _dns54 = Running(
        netns
            .command(&dist("dns54"))
            .args(["--server", "127.0.0.2", "--port", "54"])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let files = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../packaging/openwrt/files");
    match firewall {
        Firewall::Nftables => load_firewall4(&netns, &scratch, &files),
        Firewall::Iptables => load_firewall3(&netns, &scratch, &files),
    }
    // Wait until both resolvers answer.
    let start = Instant::now();
    while look_up(&netns, &scratch, &[], "127.0.0.2", &[]) != "192.0.2.7"
        || look_up(&netns, &scratch, &[], "127.0.0.1", &[]) != "192.0.2.66"
    {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the resolvers did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (viawan, preload) = (dist("viawan"), dist("libpacketmark.so"));
    let vpn: &[&str] = &[&viawan, "--preload", &preload];
    for server in ["127.0.0.1", "::1"] {
        for transport in [&[][..], &["+tcp"]] {
            // Anyone else asks the node's resolver; the VPN's group gets the WAN's answer.
            assert_eq!(
                look_up(&netns, &scratch, &[], server, transport),
                "192.0.2.66"
            );
            assert_eq!(
                look_up(&netns, &scratch, vpn, server, transport),
                "192.0.2.7",
                "{server} {transport:?}"
            );
        }
    }
    // The VPN's look-up from the very port an ordinary look-up just used (the ordinary flow
    // lives on in conntrack, and NAT is decided for a flow's first packet): still the WAN's.
    for (server, port) in [("127.0.0.1", "127.0.0.1#40053"), ("::1", "::1#40054")] {
        let bound: &[&str] = &["-b", port];
        assert_eq!(look_up(&netns, &scratch, &[], server, bound), "192.0.2.66");
        assert_eq!(
            look_up(&netns, &scratch, vpn, server, bound),
            "192.0.2.7",
            "{server}: the VPN's look-up from an ordinary one's port"
        );
    }
    assert_eq!(dropped(&netns, firewall), 0);
    // A marked packet bound for the mesh is dropped; for the WAN it leaves (nobody answers
    // there); an unmarked one for the mesh leaves too.
    look_up(&netns, &scratch, vpn, "10.99.0.2", &[]);
    let after_mesh = dropped(&netns, firewall);
    assert!(after_mesh >= 1, "{after_mesh}");
    look_up(&netns, &scratch, vpn, "10.98.0.2", &[]);
    look_up(&netns, &scratch, &[], "10.99.0.2", &[]);
    assert_eq!(dropped(&netns, firewall), after_mesh);

    // A viawan command's child that clears LD_PRELOAD makes unmarked sockets, which no
    // preload check can see: viawan's own group has their packets dropped before the mesh.
    assert_eq!(viawan_dropped(&netns, firewall), 0);
    let unmarked_child: &[&str] = &[&viawan, "--preload", &preload, "env", "-u", "LD_PRELOAD"];
    look_up(&netns, &scratch, unmarked_child, "10.99.0.2", &[]);
    assert!(viawan_dropped(&netns, firewall) >= 1);
    // Gluon's gluon-wan-dns runs a command in the mesh VPN's group without the preload, and
    // means it: its look-ups go over the WAN, its packets over the mesh, untouched.
    let vpn_group_only: &[&str] = &["setpriv", "--regid=800", "--clear-groups"];
    for server in ["127.0.0.1", "::1"] {
        assert_eq!(
            look_up(&netns, &scratch, vpn_group_only, server, &[]),
            "192.0.2.7"
        );
    }
    let before = (dropped(&netns, firewall), viawan_dropped(&netns, firewall));
    look_up(&netns, &scratch, vpn_group_only, "10.99.0.2", &[]);
    assert_eq!(
        (dropped(&netns, firewall), viawan_dropped(&netns, firewall)),
        before
    );
}

/// firewall3's own rules, then the two files through `iptables-restore --noflush`, as
/// firewall3 loads its includes: the stand-in's rules with Debian's legacy iptables, or the
/// Our table as nft lists it.
fn our_table(netns: &Netns) -> String {
    netns.run_ok(&["nft", "list", "table", "inet", "gluon_wan_tools"])
}

/// firewall4's ruleset and our table: the stand-in (firewall4's own table, then our file
/// twice, as `fw4 reload` includes it again), or the real firewall4 (`GWT_FIREWALL4`: a root
/// whose `usr/` holds ucode and firewall4 as a node has them) started, reloaded and restarted
/// in a mount namespace of its own. Either way our table must hold each rule once.
fn load_firewall4(netns: &Netns, scratch: &Scratch, files: &std::path::Path) {
    let nft_file = |file: &std::path::Path| {
        let loaded = with_vpn_group(netns, scratch, &["nft", "-f", &file.to_string_lossy()]);
        assert!(loaded.status.success(), "nft: {}", text(&loaded.stderr));
    };
    let Some(node_root) = std::env::var_os("GWT_FIREWALL4").map(PathBuf::from) else {
        // firewall4's own table first, as on a node: its accepts end its chain, not ours.
        let own = scratch.path("firewall4-own.nft");
        std::fs::write(&own, FIREWALL4_OWN_RULES).unwrap();
        nft_file(&own);
        nft_file(&nft_rules());
        let once = our_table(netns);
        nft_file(&nft_rules());
        assert_eq!(
            our_table(netns),
            once,
            "loaded again, the table doubled its rules"
        );
        return;
    };
    // Our table once, to compare with what firewall4 leaves.
    nft_file(&nft_rules());
    let once = our_table(netns);
    netns.run_ok(&["nft", "delete", "table", "inet", "gluon_wan_tools"]);
    let config = scratch.path("firewall4-config");
    std::fs::write(&config, firewall_config()).unwrap();
    // firewall4 reads /etc/config/firewall, finds its files and ucode's modules under /usr
    // and includes /usr/share/nftables.d/ruleset-post/*.nft: /etc and /usr laid over.
    let script = "set -e
mount -t tmpfs none /mnt
mkdir -p /mnt/usr /mnt/usr-work /mnt/etc /mnt/etc-work
cp -a \"$2/usr/.\" /mnt/usr/
mkdir -p /mnt/usr/share/nftables.d/ruleset-post
cp \"$3\" /mnt/usr/share/nftables.d/ruleset-post/
mkdir -p /mnt/etc/config
cp \"$1\" /mnt/etc/config/firewall
mount -t overlay overlay -o lowerdir=/usr,upperdir=/mnt/usr,workdir=/mnt/usr-work /usr
mount -t overlay overlay -o lowerdir=/etc,upperdir=/mnt/etc,workdir=/mnt/etc-work /etc
mount -t tmpfs none /var/run
# With firewall4 on the node the package's uci-defaults script adds no include.
sh \"$4\"
! grep gluon_wan_tools /etc/config/firewall
# fw4 is an ash script (set -o pipefail); without ubusd it says so and goes on.
for command in start reload restart; do busybox sh /usr/sbin/fw4 -q $command; done";
    let started = output(
        netns
            .command("unshare")
            .args(["--mount", "--", "sh", "-c", script, "sh"])
            .arg(&config)
            .arg(&node_root)
            .arg(nft_rules())
            .arg(uci_defaults(files)),
    );
    assert!(
        started.status.success(),
        "fw4 start, reload, restart: {}",
        text(&started.stderr)
    );
    let tables = netns.run_ok(&["nft", "list", "tables"]);
    assert!(tables.contains("table inet fw4"), "{tables}");
    assert_eq!(
        our_table(netns),
        once,
        "after fw4 start, reload and restart our table is not as one load leaves it"
    );
}

/// real firewall3 (`GWT_FIREWALL3`) with its configuration in a mount namespace of its own.
fn load_firewall3(netns: &Netns, scratch: &Scratch, files: &std::path::Path) {
    let Some(prefix) = real_firewall3() else {
        for (restore, family) in [
            ("iptables-legacy-restore", "ipv4"),
            ("ip6tables-legacy-restore", "ipv6"),
        ] {
            let own = scratch.path(&format!("firewall3-own.{family}"));
            std::fs::write(&own, integration_tests::firewall3_own_rules("mesh0")).unwrap();
            let file = files.join(format!("usr/share/gluon-wan-tools/firewall3.{family}"));
            for load in [
                &[own.to_str().unwrap()][..],
                &["--noflush", file.to_str().unwrap()],
            ] {
                let loaded = output(legacy(netns, restore).args(load));
                assert!(
                    loaded.status.success(),
                    "{restore} {load:?}: {}",
                    text(&loaded.stderr)
                );
            }
        }
        return;
    };
    // firewall3 reads /etc/config/firewall and runs `iptables-restore` from PATH: a copy of
    // /etc with the configuration, and PATH to its own legacy iptables.
    let config = scratch.path("firewall3-config");
    std::fs::write(&config, firewall_config()).unwrap();
    let bin = scratch.path("firewall3-bin");
    std::fs::create_dir_all(&bin).unwrap();
    for (name, program) in [
        ("iptables-restore", "iptables-legacy-restore"),
        ("ip6tables-restore", "ip6tables-legacy-restore"),
    ] {
        let _ = std::fs::remove_file(bin.join(name));
        std::os::unix::fs::symlink(prefix.join("sbin").join(program), bin.join(name)).unwrap();
    }
    // The package's files where the includes name them, and the real uci for its
    // uci-defaults script.
    let _ = std::fs::remove_file(bin.join("uci"));
    std::os::unix::fs::symlink(prefix.join("bin/uci"), bin.join("uci")).unwrap();
    let script = "set -e
mount -t tmpfs none /mnt
mkdir /mnt/etc
cp -a /etc/. /mnt/etc/
mkdir -p /mnt/etc/config
cp \"$1\" /mnt/etc/config/firewall
mount --bind /mnt/etc /etc
mkdir -p /mnt/share /mnt/share-work
cp -a \"$4/usr/share/.\" /mnt/share/
mount -t overlay overlay -o lowerdir=/usr/share,upperdir=/mnt/share,workdir=/mnt/share-work /usr/share
mount -t tmpfs none /var/run
# uci keeps its pending changes under /tmp/.uci.
mount -t tmpfs none /tmp
export PATH=\"$2:$PATH\"
# The includes, as the first boot of an image makes them.
sh \"$4/etc/uci-defaults/50-gluon-wan-firewall\"
# Started, reloaded (the include is not run again, firewall3 redoes only its own rules) and
# restarted (everything anew): the include's rules stay first, once.
for command in start reload restart; do \"$3\" -q $command; done";
    let started = output(
        netns
            .command("unshare")
            .args(["--mount", "--", "sh", "-c", script, "sh"])
            .arg(&config)
            .arg(&bin)
            .arg(prefix.join("sbin/firewall3"))
            .arg(files)
            .env("LD_LIBRARY_PATH", prefix.join("lib")),
    );
    assert!(
        started.status.success(),
        "firewall3 start, reload, restart: {}",
        text(&started.stderr)
    );
    for tool in ["iptables-legacy", "ip6tables-legacy"] {
        let rules = text(&output(legacy(netns, tool).args(["-S", "OUTPUT"])).stdout);
        let ours: Vec<&str> = rules.lines().filter(|l| l.contains("-j gluon_")).collect();
        let first: Vec<&str> = rules.lines().skip(1).take(3).collect();
        assert!(
            rules.contains("!fw3") && ours.len() == 3 && first == ours,
            "{tool}: the include's three rules are not first, once, before firewall3's own:\n{rules}"
        );
    }
}

#[test]
fn nftables_send_the_vpn_groups_dns_to_port_54_and_keep_marked_packets_off_the_mesh() {
    the_rules_hold(Firewall::Nftables, "firewall-nft");
}

#[test]
fn iptables_do_the_same_for_firewall3() {
    the_rules_hold(Firewall::Iptables, "firewall-iptables");
}

/// A node without the mesh VPN's group still loads the rules, and with firewall4 the rest of
/// its ruleset too: nft loads a ruleset in one transaction, and a table it refused (a group
/// name it cannot look up) would leave the node with no firewall at all. The rules name the
/// group by Gluon's number for it, 800, so nothing is looked up.
#[test]
fn the_rules_load_without_the_vpn_group_and_so_does_the_rest_of_the_ruleset() {
    let group = std::fs::read_to_string("/etc/group").unwrap();
    assert!(
        !group.lines().any(|l| l.starts_with("gluon-mesh-vpn:")),
        "this machine has the group: the test would prove nothing"
    );
    let netns = Netns::as_root();
    let scratch = Scratch::new("firewall-no-group");
    // firewall4: a table of its own and ours, in one file, as it includes ruleset-post.
    let ruleset = scratch.path("ruleset.nft");
    std::fs::write(
        &ruleset,
        format!(
            "table inet fw4 {{\n\tchain output {{\n\t\ttype filter hook output priority 0; \
             policy accept;\n\t}}\n}}\ninclude \"{}\"\n",
            nft_rules().display()
        ),
    )
    .unwrap();
    netns.run_ok(&["nft", "-f", ruleset.to_str().unwrap()]);
    let tables = netns.run_ok(&["nft", "list", "tables"]);
    assert!(
        tables.contains("table inet fw4") && tables.contains("table inet gluon_wan_tools"),
        "{tables}"
    );
    // firewall3: each file through its own iptables-restore --noflush, as its includes go.
    let files = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../packaging/openwrt/files");
    for (restore, list, family) in [
        ("iptables-legacy-restore", "iptables-legacy", "ipv4"),
        ("ip6tables-legacy-restore", "ip6tables-legacy", "ipv6"),
    ] {
        let file = files.join(format!("usr/share/gluon-wan-tools/firewall3.{family}"));
        let loaded = output(legacy(&netns, restore).args(["--noflush", file.to_str().unwrap()]));
        assert!(
            loaded.status.success(),
            "{restore}: {}",
            text(&loaded.stderr)
        );
        let listing =
            text(&output(legacy(&netns, list).args(["-t", "nat", "-S", "gluon_wan_dns"])).stdout);
        assert!(listing.contains("--gid-owner 800"), "{listing}");
    }
}
