//! The shipped `routes` against the real kernel, in network namespaces the tests make: the
//! state it leaves is compared with the state `ip` itself makes from the same lines in a
//! twin namespace, run twice for idempotency; errors, batches and `check` by their exit
//! codes and messages.

use integration_tests::{Netns, Scratch, output, routes_program, routes_program_for};
use std::process::{Output, Stdio};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs the installer inside `netns`.
fn routes(netns: &Netns, args: &[&str]) -> Output {
    let program = routes_program();
    output(netns.command(program.to_str().unwrap()).args(args))
}

fn routes_ok(netns: &Netns, args: &[&str]) -> String {
    let out = routes(netns, args);
    assert!(
        out.status.success(),
        "routes {args:?}: {:?} {}",
        out.status,
        text(&out.stderr)
    );
    text(&out.stderr)
}

fn ip_lines(netns: &Netns, lines: &[&str]) {
    for line in lines {
        let argv: Vec<&str> = std::iter::once("ip")
            .chain(line.split_whitespace())
            .collect();
        netns.run_ok(&argv);
    }
}

/// The namespace's policy as `ip -j` shows it: every rule and every route of every table,
/// both families, less the routes the kernel makes for addresses and links itself (their
/// link-local addresses differ from namespace to namespace).
fn state(netns: &Netns) -> String {
    let mut all = String::new();
    for family in ["-4", "-6"] {
        all += &netns.run_ok(&["ip", "-j", family, "rule", "show"]);
        let routes = netns.run_ok(&["ip", "-j", family, "route", "show", "table", "all"]);
        let routes: Vec<serde_json::Value> = serde_json::from_str(&routes).unwrap();
        for route in routes.iter().filter(|r| r["protocol"] != "kernel") {
            all += &format!("{route}\n");
        }
    }
    all
}

#[test]
fn gluon_wan_up_makes_what_ip_makes_and_down_removes_exactly_that() {
    let ours = Netns::new();
    let theirs = Netns::new();
    let fresh = state(&ours);
    ip_lines(
        &theirs,
        &[
            "-6 rule add pref 1 fwmark 0x1/0x1 lookup 1",
            "-6 route add unreachable ::/0 dev lo table 1 metric 65535",
        ],
    );
    for round in 0..2 {
        let said = routes_ok(&ours, &["gluon-wan", "up"]);
        assert_eq!(said, "", "round {round}");
        assert_eq!(state(&ours), state(&theirs), "round {round}");
        assert_eq!(
            routes(&ours, &["gluon-wan", "check"]).status.code(),
            Some(0)
        );
    }
    // Something else in table 1 stays when the policy goes.
    ip_lines(&ours, &["-6 route add blackhole 2001:db8::/32 table 1"]);
    ip_lines(&theirs, &["-6 route add blackhole 2001:db8::/32 table 1"]);
    ip_lines(
        &theirs,
        &[
            "-6 rule del pref 1 fwmark 0x1/0x1 lookup 1",
            "-6 route del unreachable ::/0 dev lo table 1 metric 65535",
        ],
    );
    for round in 0..2 {
        routes_ok(&ours, &["gluon-wan", "down"]);
        assert_eq!(state(&ours), state(&theirs), "round {round}");
    }
    ip_lines(&ours, &["-6 route del blackhole 2001:db8::/32 table 1"]);
    assert_eq!(state(&ours), fresh);
    let check = routes(&ours, &["gluon-wan", "check"]);
    assert_eq!(check.status.code(), Some(1));
    assert_eq!(
        text(&check.stderr),
        "routes: missing: `rule add fwmark 0x1/0x1 lookup 1 pref 1` (IPv6)\n\
         routes: missing: `route replace unreachable default table 1 metric 65535 dev lo` (IPv6)\n"
    );
}

#[test]
fn gluon_wan_for_ipv4_too_with_other_numbers_and_a_warning() {
    let ours = Netns::new();
    let theirs = Netns::new();
    ip_lines(
        &theirs,
        &[
            "-6 rule add pref 3 fwmark 0x10/0xf0 lookup 7",
            "-6 route add unreachable ::/0 dev lo table 7 metric 65535",
            "-4 rule add pref 3 fwmark 0x10/0xf0 lookup 7",
            "-4 route add unreachable 0.0.0.0/0 table 7 metric 65535",
        ],
    );
    let args = [
        "gluon-wan",
        "up",
        "--table",
        "7",
        "--fwmark",
        "0x10/0xf0",
        "--pref",
        "3",
        "-46",
    ];
    let said = routes_ok(&ours, &args);
    assert!(
        said.contains("warning: table 7 holds no IPv4 route but the fallback"),
        "{said}"
    );
    routes_ok(&ours, &args);
    assert_eq!(state(&ours), state(&theirs));
    // With an IPv4 route in the table, no warning.
    ip_lines(&ours, &["route add blackhole 192.0.2.0/24 table 7"]);
    assert_eq!(routes_ok(&ours, &args), "");
}

/// Each line, applied by `routes` in one namespace and by `ip` in its twin, leaves the same
/// state; and again after a second run of `routes`. Both namespaces have a veth pair `wan`
/// and `mesh` with addresses, for routes through a device and a gateway.
#[test]
fn every_verb_leaves_the_state_ip_leaves() {
    let lines = [
        "rule add not from 10.0.0.0/8 to 192.168.1.0/24 fwmark 0x10/0xff iif wan oif mesh lookup 1000 pref 100",
        "-6 rule add from 2001:db8::/32 lookup main pref 5",
        "rule add to 198.51.100.7 lookup local pref 7",
        "rule add fwmark 7 lookup default pref 9",
        "rule del fwmark 7 lookup default pref 9",
        "route add 192.0.2.0/24 via 10.1.0.2 dev wan table 1000 metric 10 proto static",
        "route add blackhole 198.51.100.0/24 table 1",
        "route add prohibit 203.0.113.0/24 table main metric 5",
        "route add unreachable 203.0.113.128/25 metric 6",
        "-6 route add 2001:db8:1::/64 dev wan metric 1024",
        "-6 route add default via fe80::2 dev wan table 2",
        "route add 192.0.2.0/24 dev mesh",
        "route del 192.0.2.0/24 dev mesh",
        "route del blackhole 198.51.100.0/24 table 1",
    ];
    let ours = namespace_with_links();
    let theirs = namespace_with_links();
    for line in lines {
        let words: Vec<&str> = line.split_whitespace().collect();
        ip_lines(&theirs, &[line]);
        routes_ok(&ours, &words);
        assert_eq!(state(&ours), state(&theirs), "after `{line}`");
        routes_ok(&ours, &words);
        assert_eq!(state(&ours), state(&theirs), "after `{line}` twice");
    }
    // `route replace` changes what is there, as ip's does.
    let replace = "route replace 192.0.2.0/24 via 10.1.0.3 dev wan table 1000 metric 10";
    ip_lines(&theirs, &[replace]);
    routes_ok(&ours, &replace.split_whitespace().collect::<Vec<_>>());
    assert_eq!(state(&ours), state(&theirs));
}

/// A namespace with a veth pair: `wan` (10.1.0.1/24, and IPv6 link-local) and `mesh`
/// (10.2.0.1/24), both up.
fn namespace_with_links() -> Netns {
    let netns = Netns::new();
    for line in [
        "link add wan type veth peer name mesh",
        "addr add 10.1.0.1/24 dev wan",
        "addr add 10.2.0.1/24 dev mesh",
        "link set wan up",
        "link set mesh up",
    ] {
        ip_lines(&netns, &[line]);
    }
    // IPv6 link-local addresses come with the links (and routes through them are refused
    // until they are ready): wait for them to leave the tentative state.
    for _ in 0..300 {
        let addresses = netns.run_ok(&["ip", "-6", "addr", "show", "dev", "wan"]);
        if addresses.contains("fe80::") && !addresses.contains("tentative") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    netns
}

#[test]
fn check_reports_what_is_missing_or_different() {
    let netns = Netns::new();
    let scratch = Scratch::new("routes-check");
    let batch = scratch.path("policy");
    std::fs::write(
        &batch,
        "# the policy\n-6 rule add fwmark 1 lookup 1 pref 1\n\n\
         route add blackhole 192.0.2.0/24 table 1 metric 5\n\
         rule del fwmark 2 lookup 2 pref 2\n",
    )
    .unwrap();
    let path = batch.to_str().unwrap();
    let check = routes(&netns, &["check", "-b", path]);
    assert_eq!(check.status.code(), Some(1));
    assert_eq!(
        text(&check.stderr),
        format!(
            "routes: {path}:2: missing: `-6 rule add fwmark 1 lookup 1 pref 1` (IPv6)\n\
             routes: {path}:4: missing: `route add blackhole 192.0.2.0/24 table 1 metric 5` (IPv4)\n"
        )
    );
    routes_ok(&netns, &["-b", path]);
    assert_eq!(
        routes(&netns, &["check", "-b", path]).status.code(),
        Some(0)
    );
    // A route of another type at the same place is different; a rule that should be gone
    // but is there is reported too.
    ip_lines(
        &netns,
        &[
            "route replace unreachable 192.0.2.0/24 table 1 metric 5",
            "rule add fwmark 2 lookup 2 pref 2",
        ],
    );
    let check = routes(&netns, &["check", "-b", path]);
    assert_eq!(check.status.code(), Some(1));
    let said = text(&check.stderr);
    // What differs is named, in `ip`'s words.
    assert!(
        said.contains(&format!("{path}:4: different (type): ")),
        "{said}"
    );
    assert!(
        said.contains(&format!("{path}:5: present, to be deleted: ")),
        "{said}"
    );
    // check changes nothing.
    let before = state(&netns);
    routes(&netns, &["check", "-b", path]);
    assert_eq!(state(&netns), before);
}

/// A route delete without a metric removes the route whatever its metric, so `check` of such
/// a line reports a route of any metric there as still present; after the delete it is in
/// sync.
#[test]
fn check_of_a_delete_without_a_metric_sees_a_route_of_any_metric() {
    let netns = Netns::new();
    for (add, del) in [
        (
            "route add 10.0.0.0/8 dev lo table 1 metric 16",
            "route del 10.0.0.0/8 table 1",
        ),
        (
            "route add 2001:db8::/32 dev lo table 1 metric 16",
            "route del 2001:db8::/32 table 1",
        ),
    ] {
        let add: Vec<&str> = add.split(' ').collect();
        let del: Vec<&str> = del.split(' ').collect();
        let check_del: Vec<&str> = ["check"].iter().chain(&del).copied().collect();
        routes_ok(&netns, &add);
        let check = routes(&netns, &check_del);
        assert_eq!(check.status.code(), Some(1), "{del:?}");
        assert!(
            text(&check.stderr).contains("present, to be deleted"),
            "{}",
            text(&check.stderr)
        );
        routes_ok(&netns, &del);
        assert_eq!(routes(&netns, &check_del).status.code(), Some(0), "{del:?}");
    }
}

#[test]
fn a_syntax_error_anywhere_changes_nothing_and_names_its_line() {
    let netns = Netns::new();
    let scratch = Scratch::new("routes-syntax");
    let batch = scratch.path("batch");
    let mut lines: Vec<String> = (1..=6)
        .map(|n| format!("rule add fwmark {n} lookup {n} pref {n}"))
        .collect();
    lines.push("rule add fwmark 7 lookup 7".into());
    lines.push("rule add fwmark 8 lookup 8 pref 8".into());
    std::fs::write(&batch, lines.join("\n")).unwrap();
    let before = state(&netns);
    let out = routes(&netns, &["-b", batch.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let said = text(&out.stderr);
    assert!(
        said.starts_with(&format!(
            "routes: {}:7: a rule needs `pref N`",
            batch.display()
        )),
        "{said}"
    );
    assert_eq!(state(&netns), before, "nothing may change");
}

#[test]
fn a_kernel_error_stops_the_batch_at_its_line_and_the_corrected_batch_completes() {
    let netns = Netns::new();
    let scratch = Scratch::new("routes-kernel-error");
    let batch = scratch.path("batch");
    let write = |fifth: &str| {
        std::fs::write(
            &batch,
            format!(
                "rule add fwmark 1 lookup 1 pref 1\nrule add fwmark 2 lookup 2 pref 2\n\
                 route add blackhole 192.0.2.0/24 table 3\n-6 route add blackhole 2001:db8::/32 table 3\n\
                 {fifth}\nrule add fwmark 6 lookup 6 pref 6\n"
            ),
        )
        .unwrap()
    };
    write("route add 198.51.100.0/24 dev wan table 3");
    let path = batch.to_str().unwrap();
    let out = routes(&netns, &["-b", path]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        text(&out.stderr),
        format!(
            "routes: {path}:5: `route add 198.51.100.0/24 dev wan table 3` (IPv4): dev wan: no such device\n\
             routes: 4 command(s) before line 5 were applied, none after it; every line is idempotent, so the corrected batch can simply run again\n"
        )
    );
    let rules = netns.run_ok(&["ip", "rule", "show"]);
    assert!(
        rules.contains("fwmark 0x2 lookup 2") && !rules.contains("lookup 6"),
        "{rules}"
    );
    write("route add 198.51.100.0/24 dev lo table 3");
    routes_ok(&netns, &["-b", path]);
    let rules = netns.run_ok(&["ip", "rule", "show"]);
    assert!(rules.contains("fwmark 0x6 lookup 6"), "{rules}");
    assert_eq!(
        routes(&netns, &["check", "-b", path]).status.code(),
        Some(0)
    );
}

#[test]
fn mistakes_are_clear_errors() {
    let netns = Netns::new();
    for (args, status, said) in [
        (
            &["route", "add", "192.0.2.0/24", "dev", "nosuch"][..],
            3,
            "routes: `route add 192.0.2.0/24 dev nosuch` (IPv4): dev nosuch: no such device\n",
        ),
        (
            &["route", "add", "192.0.2.0/24", "via", "10.9.9.9"],
            3,
            "routes: `route add 192.0.2.0/24 via 10.9.9.9` (IPv4): network unreachable: the gateway is not on a link of the device",
        ),
        (
            &["route", "add", "10.0.0.0/33"],
            2,
            "routes: not an address or prefix: '10.0.0.0/33'\n",
        ),
        (
            &["rule", "add", "fwmark", "1", "lookup", "1"],
            2,
            "routes: a rule needs `pref N`",
        ),
        (
            &["route", "frobnicate"],
            2,
            "routes: unknown verb: 'frobnicate'\n",
        ),
        (
            &[],
            2,
            "routes: a command is missing (routes --help shows the usage)\n",
        ),
        (
            &["-46", "gluon-wan", "up"],
            2,
            "routes: -46 goes after gluon-wan's action: routes gluon-wan up -46 (routes --help shows the usage)\n",
        ),
        (
            &["-4", "gluon-wan", "up", "-6"],
            2,
            "routes: given twice: '-6'\n",
        ),
        (
            &["-b"],
            2,
            "routes: -b takes one FILE and nothing after it (routes --help shows the usage)\n",
        ),
        (
            &["-b", "/nonexistent/batch"],
            2,
            "routes: cannot open /nonexistent/batch: no such file\n",
        ),
    ] {
        let out = routes(&netns, args);
        assert_eq!(
            out.status.code(),
            Some(status),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).starts_with(said),
            "{args:?}: {}",
            text(&out.stderr)
        );
        // One line names the mistake; the usage is for --help.
        assert_eq!(text(&out.stderr).lines().count(), 1, "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

/// The kernel's own words on a refusal (its extended acknowledgement) follow ours. Their
/// wording is the kernel's and changes between versions, so only their place is checked.
#[test]
fn the_kernels_own_words_are_shown() {
    let netns = Netns::new();
    let out = routes(
        &netns,
        &[
            "route",
            "add",
            "unreachable",
            "default",
            "dev",
            "lo",
            "table",
            "5",
        ],
    );
    assert_eq!(out.status.code(), Some(3));
    let said = text(&out.stderr);
    let ours =
        "routes: `route add unreachable default dev lo table 5` (IPv4): invalid argument (kernel: ";
    assert!(said.starts_with(ours), "{said}");
    assert!(
        said.len() > ours.len() + 3 && said.ends_with(")\n"),
        "{said}"
    );
    assert_eq!(said.lines().count(), 1, "{said}");
}

/// In a user namespace that does not own the network namespace, the kernel refuses.
#[test]
fn without_permission_the_kernel_refuses_and_says_why() {
    let netns = Netns::new();
    let program = routes_program();
    let out = output(
        netns
            .command("unshare")
            .args(["--user", "--"])
            .arg(&program)
            .args(["gluon-wan", "up"]),
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        "routes: `rule add fwmark 0x1/0x1 lookup 1 pref 1` (IPv6): operation not permitted: needs \
         CAP_NET_ADMIN\n"
    );
}

#[test]
fn a_batch_on_standard_input_is_read_whole_or_refused() {
    let netns = Netns::new();
    let program = routes_program();
    let run = |input: &[u8]| {
        let mut child = netns
            .command(program.to_str().unwrap())
            .args(["-6", "-b", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let input = input.to_vec();
        let writer = std::thread::spawn(move || {
            use std::io::Write;
            let _ = stdin.write_all(&input);
        });
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        out
    };
    let out = run(b"rule add fwmark 1 lookup 1 pref 1\ngluon-wan up --table 2 --pref 2\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rules = netns.run_ok(&["ip", "-6", "rule", "show"]);
    assert!(
        rules.contains("1:\tfrom all fwmark 0x1 lookup 1"),
        "{rules}"
    );
    assert!(
        rules.contains("2:\tfrom all fwmark 0x1/0x1 lookup 2"),
        "{rules}"
    );
    let long = b"# padding\n".repeat(7000);
    let out = run(&long);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("a batch may hold at most 65535 bytes"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_long_batch_file_is_read_once_and_one_over_the_limit_is_refused() {
    let netns = Netns::new();
    let scratch = Scratch::new("routes-long");
    let batch = scratch.path("batch");
    let mut text_lines = String::new();
    for i in 0..1000u32 {
        text_lines += &format!(
            "route add blackhole 10.{}.{}.0/24 table 5   # route {i}\n",
            i / 256,
            i % 256
        );
    }
    assert!(text_lines.len() > 50_000 && text_lines.len() < 65_536);
    std::fs::write(&batch, &text_lines).unwrap();
    let path = batch.to_str().unwrap();
    routes_ok(&netns, &["-b", path]);
    let table = netns.run_ok(&["ip", "route", "show", "table", "5"]);
    assert_eq!(table.lines().count(), 1000);
    // check dumps the table for every line: the dump of 1,000 routes comes in many
    // datagrams, each within the installer's receive buffer.
    assert_eq!(
        routes(&netns, &["check", "-b", path]).status.code(),
        Some(0)
    );
    // 64 KiB and more: refused by name, before anything is done.
    let mut over = text_lines.replace("table 5", "table 6");
    while over.len() < 65_536 {
        over += "# padding\n";
    }
    std::fs::write(&batch, &over).unwrap();
    let out = routes(&netns, &["-b", path]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(&format!(
            "routes: {path}: a batch may hold at most 65535 bytes"
        )),
        "{}",
        text(&out.stderr)
    );
    let all = netns.run_ok(&["ip", "route", "show", "table", "all"]);
    assert!(!all.contains("table 6"), "{all}");
}

/// The big-endian MIPS build under qemu-mips: qemu translates route messages (so routes are
/// added, checked and deleted for real) but not rule messages, which must end in a clear
/// kernel error, not a crash.
#[test]
fn the_mips_build_under_qemu_manages_routes_and_fails_clearly_on_rules() {
    let netns = Netns::new();
    let program = routes_program_for("mips-unknown-linux-musl");
    let mips = |args: &[&str]| output(netns.command("qemu-mips").arg(&program).args(args));
    let route = [
        "route",
        "add",
        "192.0.2.0/24",
        "via",
        "127.0.0.1",
        "dev",
        "lo",
        "table",
        "5",
        "metric",
        "3",
        "proto",
        "static",
    ];
    for _ in 0..2 {
        let out = mips(&route);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    assert_eq!(
        netns.run_ok(&["ip", "route", "show", "table", "5"]),
        "192.0.2.0/24 via 127.0.0.1 dev lo proto static metric 3 \n"
    );
    let unreachable = [
        "-6",
        "route",
        "replace",
        "unreachable",
        "default",
        "dev",
        "lo",
        "table",
        "1",
        "metric",
        "65535",
    ];
    assert!(mips(&unreachable).status.success());
    let mut check = vec!["check"];
    check.extend(&route);
    assert_eq!(mips(&check).status.code(), Some(0));
    let mut delete = route;
    delete[1] = "del";
    assert!(mips(&delete).status.success());
    assert_eq!(mips(&check).status.code(), Some(1));
    assert_eq!(netns.run_ok(&["ip", "route", "show", "table", "5"]), "");
    let out = mips(&["gluon-wan", "up"]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        text(&out.stderr),
        "routes: `rule add fwmark 0x1/0x1 lookup 1 pref 1` (IPv6): operation not supported\n"
    );
}

/// A node with a `wan` link to one peer and a `mesh` link to another, the mesh holding the
/// default route (as on a Gluon node) and table 1 the WAN's: with `gluon-wan up -4`, a
/// marked UDP packet to a VPN server leaves through wan and an unmarked one through mesh;
/// with the WAN route gone, a marked packet is refused and never leaves through mesh. The
/// peers count the test's own packets by port with nft (interface totals also move with
/// neighbour discovery). The marked sender is dig with libpacketmark.
#[test]
fn the_gluon_policy_keeps_marked_traffic_on_the_wan() {
    let node = Netns::new();
    let wan_peer = node.peer();
    let mesh_peer = node.peer();
    for (link, peer, node_address, peer_address) in [
        ("wan", &wan_peer, "198.51.100.1/24", "198.51.100.2/24"),
        ("mesh", &mesh_peer, "10.0.0.1/24", "10.0.0.2/24"),
    ] {
        let peer_end = format!("{link}-peer");
        let pid = peer.pid().to_string();
        node.run_ok(&[
            "ip", "link", "add", link, "type", "veth", "peer", "name", &peer_end, "netns", &pid,
        ]);
        node.run_ok(&["ip", "addr", "add", node_address, "dev", link]);
        node.run_ok(&["ip", "link", "set", link, "up"]);
        peer.run_ok(&["ip", "addr", "add", peer_address, "dev", &peer_end]);
        peer.run_ok(&["ip", "link", "set", &peer_end, "up"]);
        peer.run_ok(&["nft", "add table inet count"]);
        peer.run_ok(&[
            "nft",
            "add chain inet count in { type filter hook prerouting priority 0 ; }",
        ]);
        peer.run_ok(&["nft", "add rule inet count in udp dport 4444 counter"]);
    }
    node.run_ok(&[
        "ip", "route", "add", "default", "via", "10.0.0.2", "dev", "mesh",
    ]);
    node.run_ok(&[
        "ip",
        "route",
        "add",
        "default",
        "via",
        "198.51.100.2",
        "dev",
        "wan",
        "table",
        "1",
    ]);
    routes_ok(&node, &["-4", "gluon-wan", "up"]);

    let preload = integration_tests::dist_dir("x86_64-unknown-linux-musl").join("libpacketmark.so");
    let send = |marked: bool| {
        let mut cmd = node.command("env");
        if marked {
            cmd.arg(format!("LD_PRELOAD={}", preload.display()))
                .arg("LIBPACKETMARK_MARK=1");
        }
        integration_tests::require("dig");
        output(cmd.args([
            "dig",
            "+tries=1",
            "+time=1",
            "-p",
            "4444",
            "@203.0.113.5",
            "vpn.test",
        ]))
    };
    let counted = |peer: &Netns| -> u64 {
        let rules = peer.run_ok(&["nft", "list chain inet count in"]);
        rules
            .split("packets ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no counter in {rules}"))
    };
    send(true);
    assert_eq!(
        (counted(&wan_peer), counted(&mesh_peer)),
        (1, 0),
        "marked: wan only"
    );
    send(false);
    assert_eq!(
        (counted(&wan_peer), counted(&mesh_peer)),
        (1, 1),
        "unmarked: mesh"
    );
    node.run_ok(&[
        "ip",
        "route",
        "del",
        "default",
        "via",
        "198.51.100.2",
        "dev",
        "wan",
        "table",
        "1",
    ]);
    let refused = send(true);
    assert!(
        !refused.status.success(),
        "dig should fail: {}",
        text(&refused.stdout)
    );
    assert_eq!(
        (counted(&wan_peer), counted(&mesh_peer)),
        (1, 1),
        "a marked packet without its WAN route leaves nowhere"
    );
}
