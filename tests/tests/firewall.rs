//! The firewall rules the packages ship (`packaging/openwrt/files/`), loaded with the real nft
//! (firewall4) into a namespace the test makes, as root, around dns54, viawan and two dnsmasq
//! servers: the node's resolver on 127.0.0.1:53 and ::1 (the mesh's, as on a node) and the
//! WAN's upstream that dns54 asks. The rules name the mesh VPN's group by Gluon's number for
//! it, 800; viawan takes it by name, which /etc/group gets in a mount namespace of each
//! command that needs it.

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
    ["iptables", "ip6tables"]
        .iter()
        .map(|tool| {
            let listing = netns.run_ok(&[tool, "-L", chain, "-v", "-n", "-x"]);
            let drop = listing
                .lines()
                .find(|l| l.contains("DROP"))
                .unwrap_or_else(|| panic!("{listing}"));
            drop.split_whitespace()
                .next()
                .unwrap()
                .parse::<u64>()
                .unwrap()
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
    let loads: Vec<Vec<String>> = match firewall {
        Firewall::Nftables => vec![vec![
            "nft".into(),
            "-f".into(),
            nft_rules().to_string_lossy().into(),
        ]],
        Firewall::Iptables => ["iptables-restore", "ip6tables-restore"]
            .iter()
            .zip(["ipv4", "ipv6"])
            .map(|(tool, family)| {
                let file = files.join(format!("usr/share/gluon-wan-tools/firewall3.{family}"));
                vec![
                    tool.to_string(),
                    "--noflush".into(),
                    file.to_string_lossy().into(),
                ]
            })
            .collect(),
    };
    for load in &loads {
        let argv: Vec<&str> = load.iter().map(String::as_str).collect();
        let loaded = with_vpn_group(&netns, &scratch, &argv);
        assert!(
            loaded.status.success(),
            "{argv:?}: {}",
            text(&loaded.stderr)
        );
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
        ("iptables-restore", "iptables", "ipv4"),
        ("ip6tables-restore", "ip6tables", "ipv6"),
    ] {
        let file = files.join(format!("usr/share/gluon-wan-tools/firewall3.{family}"));
        netns.run_ok(&[restore, "--noflush", file.to_str().unwrap()]);
        let listing = netns.run_ok(&[list, "-t", "nat", "-S", "gluon_wan_dns"]);
        assert!(listing.contains("--gid-owner 800"), "{listing}");
    }
}
