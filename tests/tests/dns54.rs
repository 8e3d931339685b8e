//! The shipped `dns54` against real servers and clients, in network namespaces the tests
//! make: dnsmasq as the upstream (at 127.0.0.2 … port 53, as a resolv file names servers),
//! dig as the client, dns54 on port 5454.

use integration_tests::{
    Netns, Running, Scratch, WAN_ONLY_UPSTREAM, c_program, dist_dir, dnsmasq,
    namespace_with_wan_only_upstream, output, wan_only_upstream,
};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

const PORT: &str = "5454";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn program_for(triple: &str) -> PathBuf {
    dist_dir(triple).join("dns54")
}

fn program() -> PathBuf {
    program_for("x86_64-unknown-linux-musl")
}

/// A namespace whose loopback holds 127.0.0.2 and more, for upstream servers.
fn namespace() -> Netns {
    let netns = Netns::new();
    for address in ["127.0.0.2/8", "127.0.0.3/8", "127.0.0.4/8"] {
        netns.run(&["ip", "addr", "add", address, "dev", "lo"]);
    }
    netns
}

/// An upstream dnsmasq on `address`:53 that knows example.test (A, AAAA and TXT).
fn upstream(netns: &Netns, address: &str) -> Running {
    dnsmasq(
        netns,
        &[],
        &[
            &format!("--listen-address={address}"),
            "--bind-interfaces",
            "--port=53",
            "--address=/example.test/192.0.2.7",
            "--address=/example.test/2001:db8::7",
            "--txt-record=example.test,hello from upstream",
        ],
    )
}

/// dns54 in `netns` with `args` (the port is added), its standard error collected in a
/// file of `scratch`.
fn dns54(netns: &Netns, scratch: &Scratch, program: &Path, args: &[&str]) -> Running {
    let log = std::fs::File::create(scratch.path("dns54.log")).unwrap();
    let mut cmd = netns.command(program.to_str().unwrap());
    cmd.args(args)
        .args(["--port", PORT])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    Running(cmd.spawn().unwrap())
}

/// dns54 following the resolv file `resolv`.
fn dns54_following(netns: &Netns, scratch: &Scratch, resolv: &Path) -> Running {
    dns54(
        netns,
        scratch,
        &program(),
        &["--resolv-file", resolv.to_str().unwrap()],
    )
}

fn log_of(scratch: &Scratch) -> String {
    std::fs::read_to_string(scratch.path("dns54.log")).unwrap_or_default()
}

/// One dig query to dns54 at `server`; its whole report.
fn dig(netns: &Netns, server: &str, name: &str, qtype: &str) -> String {
    dig_with(netns, server, name, qtype, &[])
}

/// One dig query with more of dig's options (`+tcp`, …); its whole report.
fn dig_with(netns: &Netns, server: &str, name: &str, qtype: &str, options: &[&str]) -> String {
    let out = output(
        netns
            .command("dig")
            .args(["+time=2", "+tries=1", "-p", PORT])
            .args(options)
            .args([&format!("@{server}"), name, qtype]),
    );
    text(&out.stdout)
}

/// Asks until dig's report contains `wanted` (dns54 may still be starting, or a change
/// not yet read); the report and how long it took. Fails after `within`.
fn ask_until(
    netns: &Netns,
    server: &str,
    qtype: &str,
    wanted: &str,
    within: Duration,
) -> (String, Duration) {
    let start = Instant::now();
    loop {
        let report = dig(netns, server, "example.test", qtype);
        if report.contains(wanted) {
            return (report, start.elapsed());
        }
        assert!(
            start.elapsed() < within,
            "no `{wanted}` from {server} within {within:?}: {report}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_aaaa_and_txt_answers_on_both_loopback_addresses() {
    let netns = namespace();
    let scratch = Scratch::new("dns54-answers");
    let _upstream = upstream(&netns, "127.0.0.2");
    let _dns54 = dns54(&netns, &scratch, &program(), &["--server", "127.0.0.2"]);
    let long = Duration::from_secs(5);
    for server in ["127.0.0.1", "::1"] {
        let (report, _) = ask_until(&netns, server, "A", "status: NOERROR", long);
        assert!(
            report.contains("example.test.\t\t0\tIN\tA\t192.0.2.7"),
            "{report}"
        );
        let report = dig(&netns, server, "example.test", "AAAA");
        assert!(report.contains("IN\tAAAA\t2001:db8::7"), "{report}");
        let report = dig(&netns, server, "example.test", "TXT");
        assert!(report.contains("\"hello from upstream\""), "{report}");
        // And over TCP, which goes upstream over TCP.
        let tcp = |qtype| dig_with(&netns, server, "example.test", qtype, &["+tcp"]);
        let report = tcp("A");
        assert!(report.contains("IN\tA\t192.0.2.7"), "{report}");
        assert!(report.contains("(TCP)"), "{report}");
        assert!(tcp("AAAA").contains("IN\tAAAA\t2001:db8::7"));
        assert!(tcp("TXT").contains("\"hello from upstream\""));
    }
    let said = log_of(&scratch);
    assert!(
        said.starts_with(
            "dns54: listening on 127.0.0.1, ::1 port 5454; upstream servers: 127.0.0.2\n"
        ),
        "{said}"
    );
}

#[test]
fn the_resolv_file_is_followed_as_gluon_writes_it() {
    let netns = namespace();
    let scratch = Scratch::new("dns54-resolv");
    let _upstream = upstream(&netns, "127.0.0.2");
    let _other = upstream(&netns, "127.0.0.3");
    let resolv = scratch.path("resolv.conf");
    // Gluon creates it empty at start.
    std::fs::write(&resolv, "").unwrap();
    let _dns54 = dns54_following(&netns, &scratch, &resolv);
    let long = Duration::from_secs(5);
    // No server: an answer at once, SERVFAIL.
    let (report, _) = ask_until(&netns, "127.0.0.1", "A", "status: SERVFAIL", long);
    assert!(!report.contains("192.0.2.7"), "{report}");
    // Replaced by rename, as Gluon's update.lua does; garbage lines are skipped.
    let replace = |content: &str| {
        let temporary = scratch.path("resolv.conf.tmp");
        std::fs::write(&temporary, content).unwrap();
        std::fs::rename(&temporary, &resolv).unwrap();
    };
    replace("# from the WAN\nnameserver 192.0.2.300\nnameserver 127.0.0.2\n");
    let (_, took) = ask_until(&netns, "127.0.0.1", "A", "192.0.2.7", long);
    assert!(took < Duration::from_secs(1), "took {took:?}");
    replace("nameserver 127.0.0.3\n");
    ask_until(&netns, "127.0.0.1", "A", "192.0.2.7", long);
    // Deleted: no server again.
    std::fs::remove_file(&resolv).unwrap();
    ask_until(&netns, "127.0.0.1", "A", "status: SERVFAIL", long);
    // Written in place (not renamed) works too.
    std::fs::write(&resolv, "nameserver 127.0.0.2\n").unwrap();
    ask_until(&netns, "127.0.0.1", "A", "192.0.2.7", long);
    let said = log_of(&scratch);
    let path = resolv.display();
    assert!(
        said.contains(&format!("dns54: {path}:2: not a server address; skipped\n")),
        "{said}"
    );
    assert!(
        said.contains(&format!("upstream servers from {path}: 127.0.0.2\n")),
        "{said}"
    );
    assert!(
        said.contains(&format!("upstream servers from {path}: 127.0.0.3\n")),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "upstream servers from {path}: none (queries get SERVFAIL)\n"
        )),
        "{said}"
    );
}

/// A resolv file longer than the 4,096 B dns54 reads: its servers up to the last whole line
/// within them are taken, a server whose line the limit cuts in two is not (`127.0.0.23`
/// would read as `127.0.0.2`), and the log says the file was cut.
#[test]
fn a_resolv_file_longer_than_dns54_reads_is_cut_at_a_whole_line_and_said_so() {
    let netns = namespace();
    let scratch = Scratch::new("dns54-resolv-long");
    let _first = upstream(&netns, "127.0.0.3");
    let _cut_short = upstream(&netns, "127.0.0.2");
    let resolv = scratch.path("resolv.conf");
    let mut text = String::from("nameserver 127.0.0.3\n");
    while text.len() < 4096 - 30 {
        text.push_str("# a comment line of the file, to make it long\n");
    }
    // This line straddles byte 4,096 just after `127.0.0.2`.
    while text.len() + "\nnameserver 127.0.0.2".len() < 4096 {
        text.push('#');
    }
    text.push_str("\nnameserver 127.0.0.23\n");
    assert_eq!(&text[4096 - 9..4096], "127.0.0.2");
    std::fs::write(&resolv, &text).unwrap();
    let _dns54 = dns54_following(&netns, &scratch, &resolv);
    ask_until(
        &netns,
        "127.0.0.1",
        "A",
        "192.0.2.7",
        Duration::from_secs(5),
    );
    let said = log_of(&scratch);
    let path = resolv.display();
    assert!(
        said.contains(&format!(
            "dns54: {path}: fills the 4096 bytes read; read up to its last whole line\n"
        )),
        "{said}"
    );
    assert!(said.contains("upstream servers: 127.0.0.3\n"), "{said}");
}

#[test]
fn a_silent_or_unreachable_first_server_is_left_for_the_second() {
    let netns = namespace();
    let scratch = Scratch::new("dns54-failover");
    let _upstream = upstream(&netns, "127.0.0.3");
    // 127.0.0.2 swallows queries on arrival (silent: a drop on the way out would fail the
    // send at once); nothing listens on 127.0.0.4 (ICMP unreachable).
    for rule in [
        &["nft", "add", "table", "inet", "silence"][..],
        &[
            "nft",
            "add",
            "chain",
            "inet",
            "silence",
            "in",
            "{ type filter hook input priority 0; }",
        ],
        &[
            "nft",
            "add",
            "rule",
            "inet",
            "silence",
            "in",
            "ip",
            "daddr",
            "127.0.0.2",
            "udp",
            "dport",
            "53",
            "drop",
        ],
    ] {
        netns.run_ok(rule);
    }
    for first in ["127.0.0.2", "127.0.0.4"] {
        let _dns54 = dns54(
            &netns,
            &scratch,
            &program(),
            &[
                "--server",
                first,
                "--server",
                "127.0.0.3",
                "--timeout",
                "300",
            ],
        );
        let (report, took) = ask_until(
            &netns,
            "127.0.0.1",
            "A",
            "192.0.2.7",
            Duration::from_secs(5),
        );
        assert!(report.contains("status: NOERROR"), "{first}: {report}");
        // The silent one costs one attempt (300 ms); the unreachable one nothing, and the
        // log names it.
        let waited = first == "127.0.0.2";
        if !waited {
            std::thread::sleep(Duration::from_millis(100));
            let said = log_of(&scratch);
            assert!(
                said.contains("dns54: upstream 127.0.0.4 unreachable: port unreachable (ICMP)\n"),
                "{said}"
            );
        }
        assert!(took < Duration::from_secs(2), "{first}: took {took:?}");
        assert_eq!(
            took >= Duration::from_millis(250),
            waited,
            "{first}: took {took:?}"
        );
    }
}

/// Packets to the upstream without a mark, counted by nft (the last rule of the chain).
fn unmarked_packets(netns: &Netns) -> u64 {
    let rules = netns.run_ok(&["nft", "list", "chain", "inet", "watch", "out"]);
    let counter = rules.split("packets ").nth(1).expect("a counter");
    counter.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn queries_leave_marked_and_never_unmarked() {
    let netns = namespace_with_wan_only_upstream();
    let scratch = Scratch::new("dns54-mark");
    let _upstream = upstream(&netns, WAN_ONLY_UPSTREAM);
    let long = Duration::from_secs(5);
    {
        let _dns54 = dns54(
            &netns,
            &scratch,
            &program(),
            &["--server", WAN_ONLY_UPSTREAM, "--mark", "1"],
        );
        ask_until(&netns, "127.0.0.1", "A", "192.0.2.7", long);
        // Over TCP too: the upstream connection carries the mark from its first packet.
        let tcp = dig_with(&netns, "127.0.0.1", "example.test", "A", &["+tcp"]);
        assert!(tcp.contains("IN\tA\t192.0.2.7"), "{tcp}");
    }
    {
        // Unmarked, the kernel refuses the query (the namespace's `prohibit` rule).
        let _dns54 = dns54(
            &netns,
            &scratch,
            &program(),
            &["--server", WAN_ONLY_UPSTREAM],
        );
        let (report, _) = ask_until(&netns, "127.0.0.1", "A", "status: SERVFAIL", long);
        assert!(!report.contains("192.0.2.7"), "{report}");
        let tcp = dig_with(&netns, "127.0.0.1", "example.test", "A", &["+tcp"]);
        assert!(tcp.contains("status: SERVFAIL"), "{tcp}");
    }
    // Now unmarked packets have a way to the same upstream, a decoy, and nft counts them.
    netns.run_ok(&["ip", "rule", "del", "pref", "3"]);
    for rule in [
        &["nft", "add", "table", "inet", "watch"][..],
        &[
            "nft",
            "add",
            "chain",
            "inet",
            "watch",
            "out",
            "{ type filter hook output priority 0; }",
        ],
        &[
            "nft",
            "add",
            "rule",
            "inet",
            "watch",
            "out",
            "ip",
            "daddr",
            WAN_ONLY_UPSTREAM,
            "udp",
            "dport",
            "53",
            "meta",
            "mark",
            "0",
            "counter",
        ],
    ] {
        netns.run_ok(rule);
    }
    {
        // Where marking is forbidden (a user namespace that does not own the network
        // namespace has no CAP_NET_ADMIN there): SERVFAIL, said in the log, and not one
        // unmarked packet.
        let log = std::fs::File::create(scratch.path("dns54.log")).unwrap();
        let _dns54 = Running(
            netns
                .command("unshare")
                .args(["--user", "--"])
                .arg(program())
                .args(["--server", WAN_ONLY_UPSTREAM, "--mark", "1", "--port", PORT])
                .stdin(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap(),
        );
        let (report, _) = ask_until(&netns, "127.0.0.1", "A", "status: SERVFAIL", long);
        assert!(!report.contains("192.0.2.7"), "{report}");
        assert_eq!(unmarked_packets(&netns), 0);
        assert!(
            log_of(&scratch).contains("dns54: cannot mark upstream sockets (SO_MARK 1): operation not permitted; queries get SERVFAIL, none leaves unmarked\n"),
            "{}",
            log_of(&scratch)
        );
    }
    // The counter counts: without --mark the query goes unmarked, to the decoy.
    let _dns54 = dns54(
        &netns,
        &scratch,
        &program(),
        &["--server", WAN_ONLY_UPSTREAM],
    );
    ask_until(&netns, "127.0.0.1", "A", "192.0.2.7", long);
    assert!(unmarked_packets(&netns) > 0);
}

/// The value of `field` in /proc/PID/status.
fn status_field(pid: u32, field: &str) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line[field.len()..].trim().to_string()
}

#[test]
fn dropped_to_a_user_it_keeps_only_the_capability_marking_needs() {
    let netns = Netns::as_root();
    wan_only_upstream(&netns);
    let scratch = Scratch::new("dns54-user");
    let _upstream = upstream(&netns, WAN_ONLY_UPSTREAM);
    let pid_file = scratch.path("dns54.pid");
    let dns54 = dns54(
        &netns,
        &scratch,
        &program(),
        &[
            "--server",
            WAN_ONLY_UPSTREAM,
            "--mark",
            "1",
            "--user",
            "nobody",
            "--pid-file",
            pid_file.to_str().unwrap(),
        ],
    );
    // Marking still works after the drop: the upstream is reachable only marked.
    ask_until(
        &netns,
        "127.0.0.1",
        "A",
        "192.0.2.7",
        Duration::from_secs(5),
    );
    let pid = dns54.0.id();
    assert_eq!(
        std::fs::read_to_string(&pid_file).unwrap(),
        format!("{pid}\n")
    );
    assert_eq!(status_field(pid, "Uid:"), "65534\t65534\t65534\t65534");
    assert_eq!(status_field(pid, "Groups:"), "65534");
    // CAP_NET_RAW (bit 13) and nothing else, effective and permitted, on this kernel (6.x).
    assert_eq!(status_field(pid, "CapEff:"), "0000000000002000");
    assert_eq!(status_field(pid, "CapPrm:"), "0000000000002000");
    assert_eq!(status_field(pid, "CapInh:"), "0000000000000000");
    assert!(
        log_of(&scratch)
            .contains("dns54: running as nobody (uid 65534), keeping CAP_NET_RAW for SO_MARK\n"),
        "{}",
        log_of(&scratch)
    );
    drop(dns54);
    let out = output(netns.command(program().to_str().unwrap()).args([
        "--server",
        "127.0.0.2",
        "--user",
        "no-such-user",
        "--port",
        PORT,
    ]));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr).lines().last(),
        Some("dns54: no such user in /etc/passwd: no-such-user")
    );
}

#[test]
fn usage_errors_name_what_is_wrong() {
    let netns = namespace();
    for (args, said) in [
        (
            &[][..],
            "dns54: an upstream is needed: --resolv-file PATH or --server ADDR (dns54 never falls \
             back to /etc/resolv.conf, which on a node points at the mesh) (dns54 --help shows the \
             usage)\n",
        ),
        (
            &["--server", "127.0.0.2", "--listen", "0.0.0.0"],
            "dns54: not a loopback address (127.0.0.0/8 or ::1): dns54 must never be an open resolver '0.0.0.0' (dns54 --help shows the usage)\n",
        ),
        (
            &["--server=127.0.0.2", "--port=0"],
            "dns54: not a port '0' (dns54 --help shows the usage)\n",
        ),
    ] {
        let out: Output = output(netns.command(program().to_str().unwrap()).args(args));
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stderr), said, "{args:?}");
    }
    // A port in use: a message and a status of its own.
    let scratch = Scratch::new("dns54-busy");
    let _first = dns54(&netns, &scratch, &program(), &["--server", "127.0.0.2"]);
    std::thread::sleep(Duration::from_millis(300));
    let out = output(netns.command(program().to_str().unwrap()).args([
        "--server",
        "127.0.0.2",
        "--port",
        PORT,
    ]));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        "dns54: cannot listen on 127.0.0.1 port 5454: address in use\n"
    );
}

#[test]
fn the_mips_build_answers_under_qemu() {
    let netns = namespace();
    let scratch = Scratch::new("dns54-mips");
    let _upstream = upstream(&netns, "127.0.0.2");
    integration_tests::require("qemu-mips");
    let log = std::fs::File::create(scratch.path("dns54.log")).unwrap();
    let _dns54 = Running(
        netns
            .command("qemu-mips")
            .arg(program_for("mips-unknown-linux-musl"))
            .args(["--server", "127.0.0.2", "--port", PORT])
            .stdin(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    for server in ["127.0.0.1", "::1"] {
        let (report, _) = ask_until(&netns, server, "A", "192.0.2.7", Duration::from_secs(10));
        assert!(report.contains("status: NOERROR"), "{report}");
        let tcp = dig_with(&netns, server, "example.test", "A", &["+tcp"]);
        assert!(tcp.contains("IN\tA\t192.0.2.7"), "over TCP: {tcp}");
    }
}

/// What a musl program on a node experiences: `getaddrinfo()` of example.test through dns54
/// on 127.0.0.1:53, with an /etc/resolv.conf of its own (bind-mounted in a mount namespace
/// of its own; musl asks port 53 only) that gives it `timeout`-second waits, two attempts.
/// Returns (outcome, milliseconds).
fn musl_resolves(netns: &Netns, scratch: &Scratch, timeout: u32) -> (String, u64) {
    let client = c_program("resolve.c", "resolve-musl", "musl-gcc", &["-static", "-O2"]);
    let conf = scratch.path("client-resolv.conf");
    std::fs::write(
        &conf,
        format!("nameserver 127.0.0.1\noptions timeout:{timeout} attempts:2\n"),
    )
    .unwrap();
    let script = format!(
        "mount --bind {} /etc/resolv.conf && exec {} example.test",
        conf.display(),
        client.display()
    );
    let out = output(netns.command("unshare").args([
        "--mount",
        "--propagation",
        "private",
        "--",
        "sh",
        "-c",
        &script,
    ]));
    let said = text(&out.stdout);
    let mut words = said.trim().rsplitn(2, ' ');
    let ms: u64 = words.next().unwrap_or("").parse().unwrap_or_else(|_| {
        panic!(
            "no answer from the musl client: {said} {}",
            text(&out.stderr)
        )
    });
    (words.next().unwrap_or("").to_string(), ms)
}

/// What a musl client on a node experiences. musl's resolver takes only NOERROR and NXDOMAIN
/// as the end; on SERVFAIL it asks again at once, twice, and then ignores SERVFAIL as it
/// ignores REFUSED, waiting out its own timeout. So without an upstream, and when every
/// upstream is silent, a musl client waits its whole timeout whatever dns54 answers short of
/// made-up data; with an upstream that answers, it gets the answer as soon as dns54 has it.
#[test]
fn what_a_musl_client_experiences() {
    let netns = namespace();
    let scratch = Scratch::new("dns54-musl");
    let _upstream = upstream(&netns, "127.0.0.3");
    let resolv = scratch.path("resolv.conf");
    std::fs::write(&resolv, "").unwrap();
    let log = std::fs::File::create(scratch.path("dns54.log")).unwrap();
    // On port 53, where musl asks; attempts of 0.3 s, a deadline of 1 s.
    let _dns54 = Running(
        netns
            .command(program().to_str().unwrap())
            .args(["--resolv-file", resolv.to_str().unwrap(), "--port", "53"])
            .args(["--timeout", "300", "--deadline", "1000"])
            .stdin(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    std::thread::sleep(Duration::from_millis(300));
    // No server: SERVFAIL at once, yet musl waits its timeout (2 s here) and gives up.
    let (outcome, ms) = musl_resolves(&netns, &scratch, 2);
    assert_eq!(outcome, "error Try again", "{ms} ms");
    assert!((1900..3000).contains(&ms), "{ms} ms");
    // A silent first server: the answer comes from the second after one attempt's wait.
    std::fs::write(&resolv, "nameserver 127.0.0.2\nnameserver 127.0.0.3\n").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    for rule in [
        &["nft", "add", "table", "inet", "silence"][..],
        &[
            "nft",
            "add",
            "chain",
            "inet",
            "silence",
            "in",
            "{ type filter hook input priority 0; }",
        ],
        &[
            "nft",
            "add",
            "rule",
            "inet",
            "silence",
            "in",
            "ip",
            "daddr",
            "127.0.0.2",
            "udp",
            "dport",
            "53",
            "drop",
        ],
    ] {
        netns.run_ok(rule);
    }
    let (outcome, ms) = musl_resolves(&netns, &scratch, 2);
    assert_eq!(outcome, "ok 192.0.2.7", "{ms} ms");
    assert!((250..1000).contains(&ms), "{ms} ms");
    // Every server silent: SERVFAIL at dns54's deadline, and musl waits its own timeout.
    netns.run_ok(&[
        "nft",
        "add",
        "rule",
        "inet",
        "silence",
        "in",
        "ip",
        "daddr",
        "127.0.0.3",
        "udp",
        "dport",
        "53",
        "drop",
    ]);
    let (outcome, ms) = musl_resolves(&netns, &scratch, 2);
    assert_eq!(outcome, "error Try again", "{ms} ms");
    assert!((1900..3000).contains(&ms), "{ms} ms");
}

fn upstream_program() -> PathBuf {
    c_program("upstream.c", "upstream", "gcc", &["-O2"])
}

fn flood_program() -> PathBuf {
    c_program("flood.c", "flood", "gcc", &["-O2"])
}

/// The recording upstream on `address` in `mode`, logging "PORT ID" lines to a file of
/// `scratch`.
fn recording_upstream(netns: &Netns, scratch: &Scratch, address: &str, mode: &str) -> Running {
    let log = std::fs::File::create(scratch.path("upstream.log")).unwrap();
    Running(
        netns
            .command(upstream_program().to_str().unwrap())
            .args([address, mode, "127.0.0.5"])
            .stdin(Stdio::null())
            .stdout(log)
            .spawn()
            .unwrap(),
    )
}

/// What the flood program counted: rcode and outcome names with their numbers.
fn flood(
    netns: &Netns,
    count: u32,
    window: u32,
    wait_ms: u32,
) -> std::collections::HashMap<String, u64> {
    let out = output(netns.command(flood_program().to_str().unwrap()).args([
        PORT,
        &count.to_string(),
        &window.to_string(),
        &wait_ms.to_string(),
    ]));
    let said = text(&out.stdout);
    let words: Vec<&str> = said.split_whitespace().collect();
    words
        .chunks(2)
        .map(|pair| (pair[0].to_string(), pair[1].parse().unwrap()))
        .collect()
}

/// Waits until dns54 answers at all.
fn wait_for_dns54(netns: &Netns) {
    ask_until(netns, "127.0.0.1", "A", "status: ", Duration::from_secs(5));
}

/// Asks dns54 (PID `pid`) for its counters with SIGUSR1 and returns the line.
fn counters(scratch: &Scratch, pid: u32) -> String {
    sys::process::kill(pid, sys::libc::SIGUSR1).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let said = log_of(scratch);
    said.lines()
        .rfind(|l| l.starts_with("dns54: queries "))
        .unwrap_or_default()
        .to_string()
}

fn counter(line: &str, name: &str) -> u64 {
    let mut words = line.split_whitespace();
    while let Some(word) = words.next() {
        if word == name {
            return words.next().unwrap().parse().unwrap();
        }
    }
    panic!("no {name} in {line}")
}

fn open_descriptors(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count()
}

/// 10,000 queries seen from the upstream: the source port changes at least every 64
/// queries (a run of one port is one socket; ports of different sockets may repeat by
/// chance), and the IDs are spread over all 16 bits, not sequential.
#[test]
fn seen_from_the_upstream_ports_move_and_ids_cannot_be_guessed() {
    let netns = namespace();
    let scratch = Scratch::new("dns54-upstream-view");
    let _upstream = recording_upstream(&netns, &scratch, "127.0.0.2", "answer");
    let _dns54 = dns54(&netns, &scratch, &program(), &["--server", "127.0.0.2"]);
    wait_for_dns54(&netns);
    let counts = flood(&netns, 10_000, 100, 2000);
    assert_eq!(
        (counts["genuine"], counts["lost"]),
        (10_000, 0),
        "{counts:?}"
    );
    let log = std::fs::read_to_string(scratch.path("upstream.log")).unwrap();
    let queries: Vec<(u16, u16)> = log
        .lines()
        .map(|l| {
            let mut words = l.split_whitespace();
            (
                words.next().unwrap().parse().unwrap(),
                words.next().unwrap().parse().unwrap(),
            )
        })
        .collect();
    // The warm-up query of wait_for_dns54 may be among them.
    assert!(queries.len() >= 10_000, "{}", queries.len());
    let mut runs = Vec::new();
    for (port, _) in &queries {
        match runs.last_mut() {
            Some((last, length)) if last == port => *length += 1,
            _ => runs.push((*port, 1u32)),
        }
    }
    assert!(
        runs.iter().all(|&(_, length)| length <= 64),
        "a port carried more than 64 queries"
    );
    assert!(runs.len() >= 10_000 / 64, "{} sockets", runs.len());
    let mut ids: Vec<u16> = queries.iter().map(|&(_, id)| id).collect();
    let close = ids.windows(2).filter(|w| w[0].abs_diff(w[1]) < 256).count();
    assert!(
        close < ids.len() / 50,
        "{close} consecutive IDs within 256 of each other"
    );
    ids.sort_unstable();
    ids.dedup();
    // 10,000 draws from 65,536 leave about 9,270 distinct.
    assert!(ids.len() > 9_000, "{} distinct IDs", ids.len());
}

/// The WAN is down: the upstream has no route (only `lo` in the namespace). Every query gets
/// SERVFAIL at once, the log says why once, and no socket piles up (without a route even
/// `connect` fails, so each query makes and closes one; a socket that sends into a downed
/// route is kept for when the WAN is back, see the unit tests).
#[test]
fn with_the_wan_down_queries_fail_at_once_without_socket_churn() {
    let netns = namespace();
    let scratch = Scratch::new("dns54-wan-down");
    let dns54 = dns54(&netns, &scratch, &program(), &["--server", "192.0.2.53"]);
    let pid = dns54.0.id();
    wait_for_dns54(&netns);
    let idle = open_descriptors(pid);
    let counts = flood(&netns, 1000, 100, 2000);
    assert_eq!(
        (counts["servfail"], counts["lost"]),
        (1000, 0),
        "{counts:?}"
    );
    let line = counters(&scratch, pid);
    assert!(counter(&line, "upstream-sockets") <= 1, "{line}");
    assert_eq!(open_descriptors(pid), idle);
    let said = log_of(&scratch);
    let unreachable = "dns54: upstream 192.0.2.53 unreachable: network unreachable\n";
    assert_eq!(
        said.matches(unreachable).count(),
        1,
        "said once, not per query: {said}"
    );
}

/// A first server that answers SERVFAIL (a zone that failed to load) is left for the second
/// at once, and while both fail the client hears SERVFAIL.
#[test]
fn a_first_server_answering_servfail_is_left_for_the_second() {
    let netns = namespace();
    let scratch = Scratch::new("dns54-servfail");
    let _failing = recording_upstream(&netns, &scratch, "127.0.0.2", "servfail");
    let _dns54 = dns54(
        &netns,
        &scratch,
        &program(),
        &["--server", "127.0.0.2", "--server", "127.0.0.3"],
    );
    let long = Duration::from_secs(5);
    // Only the failing one is up: its SERVFAIL is relayed, once both were asked.
    let (report, took) = ask_until(&netns, "127.0.0.1", "A", "status: SERVFAIL", long);
    assert!(!report.contains("192.0.2.7"), "{report}");
    assert!(took < Duration::from_secs(1), "took {took:?}");
    let _answering = upstream(&netns, "127.0.0.3");
    let (_, took) = ask_until(&netns, "127.0.0.1", "A", "192.0.2.7", long);
    assert!(took < Duration::from_secs(1), "took {took:?}");
}

/// Transparent (RFC 5625): the client's EDNS OPT record reaches the upstream unchanged, and
/// an answer of nearly 4,096 bytes comes back whole over UDP.
#[test]
fn edns_passes_through_and_a_large_answer_comes_back_whole() {
    let netns = namespace();
    let scratch = Scratch::new("dns54-big");
    let _upstream = recording_upstream(&netns, &scratch, "127.0.0.2", "big");
    let _dns54 = dns54(&netns, &scratch, &program(), &["--server", "127.0.0.2"]);
    // dns54 may still be starting: ask until it answers.
    let mut report = String::new();
    for _ in 0..50 {
        let out = output(netns.command("dig").args([
            "+time=2",
            "+tries=1",
            "+bufsize=4096",
            "+ignore",
            "-p",
            PORT,
            "@127.0.0.1",
            "big.example.test",
            "TXT",
        ]));
        report = text(&out.stdout);
        if report.contains("status: ") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(report.contains("status: NOERROR"), "{report}");
    assert!(!report.contains("flags: qr tc"), "not truncated: {report}");
    assert!(
        report.contains(&"p".repeat(69)),
        "the last string arrived: {report}"
    );
    let size: usize = report
        .lines()
        .find_map(|l| l.strip_prefix(";; MSG SIZE  rcvd: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("{report}"));
    assert!(size > 3_900 && size <= 4_096, "{size} bytes");
    // dig sent an OPT record (additional count 1): it reached the upstream.
    let log = std::fs::read_to_string(scratch.path("upstream.log")).unwrap();
    assert!(log.lines().any(|l| l.ends_with(" 1")), "{log}");
}

/// A client that advertises more than dns54 relays over UDP (8,192 B, where dns54 takes
/// 4,096), asking a real server that honours it (dnsmasq with `--edns-packet-max=8192`)
/// for a 5 KB answer: dns54 advertises 4,096 upstream, so the answer comes back truncated
/// and dig asks again over TCP, where it arrives whole. (Passed on as it came, the
/// advertised size brought a 5 KB datagram that dns54 cannot relay: the client waited for
/// nothing.)
#[test]
fn a_client_advertising_more_than_dns54_relays_gets_a_truncated_answer_not_silence() {
    let netns = namespace();
    let scratch = Scratch::new("dns54-edns-limit");
    let strings = vec![format!("\"{}\"", "x".repeat(250)); 20].join(",");
    let _upstream = dnsmasq(
        &netns,
        &[],
        &[
            "--listen-address=127.0.0.2",
            "--bind-interfaces",
            "--port=53",
            "--edns-packet-max=8192",
            "--address=/example.test/192.0.2.7",
            &format!("--txt-record=big.test,{strings}"),
        ],
    );
    let _dns54 = dns54(&netns, &scratch, &program(), &["--server", "127.0.0.2"]);
    wait_for_dns54(&netns);
    let udp = dig_with(
        &netns,
        "127.0.0.1",
        "big.test",
        "TXT",
        &["+bufsize=8192", "+ignore"],
    );
    let flags = udp
        .lines()
        .find(|l| l.starts_with(";; flags:"))
        .unwrap_or("");
    assert!(flags.contains(" tc "), "{udp}");
    let retried = dig_with(&netns, "127.0.0.1", "big.test", "TXT", &["+bufsize=8192"]);
    assert!(retried.contains("status: NOERROR"), "{retried}");
    assert!(retried.contains("ANSWER: 1"), "{retried}");
    assert!(received_size(&retried) > 5_000, "{retried}");
}

/// The upstream sends forged replies before each genuine one: a wrong ID, another
/// question, QR clear, from another port, from another address. Clients get only the
/// genuine answers; the forged ones that reach dns54's socket are counted as dropped.
#[test]
fn forged_replies_never_reach_a_client() {
    let netns = namespace();
    netns.run(&["ip", "addr", "add", "127.0.0.5/8", "dev", "lo"]);
    let scratch = Scratch::new("dns54-forged");
    let _upstream = recording_upstream(&netns, &scratch, "127.0.0.2", "forge");
    let dns54 = dns54(&netns, &scratch, &program(), &["--server", "127.0.0.2"]);
    wait_for_dns54(&netns);
    let counts = flood(&netns, 2000, 50, 2000);
    assert_eq!(
        (counts["genuine"], counts["forged"], counts["lost"]),
        (2000, 0, 0),
        "{counts:?}"
    );
    let line = counters(&scratch, dns54.0.id());
    // Three of the five arrive on the right socket from the right address and port.
    assert!(counter(&line, "dropped-replies") >= 3 * 2000, "{line}");
    // And a line per upstream: this one answered every query, none timed out.
    let said = log_of(&scratch);
    let upstream = said
        .lines()
        .rfind(|l| l.starts_with("dns54: upstream 127.0.0.2 answers "))
        .unwrap_or_else(|| panic!("{said}"));
    assert!(counter(upstream, "answers") >= 2000, "{upstream}");
    assert_eq!(counter(upstream, "timeouts"), 0, "{upstream}");
}

/// Ten times the table's capacity at once against a silent upstream: the excess is REFUSED
/// at once, the rest gets SERVFAIL at the deadline, every query is answered, nothing
/// crashes, and afterwards the table and the descriptors are back to idle.
#[test]
fn ten_times_the_capacity_is_refused_not_lost_and_leaves_nothing_behind() {
    let netns = namespace();
    let scratch = Scratch::new("dns54-load");
    let _upstream = recording_upstream(&netns, &scratch, "127.0.0.2", "silent");
    let dns54 = dns54(
        &netns,
        &scratch,
        &program(),
        &[
            "--server",
            "127.0.0.2",
            "--timeout",
            "300",
            "--deadline",
            "1000",
        ],
    );
    let pid = dns54.0.id();
    wait_for_dns54(&netns);
    let idle = open_descriptors(pid);
    let counts = flood(&netns, 1500, 1500, 3000);
    assert_eq!(counts["lost"], 0, "{counts:?}");
    assert_eq!(counts["noerror"], 0, "{counts:?}");
    assert_eq!(counts["refused"] + counts["servfail"], 1500, "{counts:?}");
    assert!(counts["refused"] >= 1300, "{counts:?}");
    std::thread::sleep(Duration::from_millis(1200));
    let line = counters(&scratch, pid);
    assert_eq!(counter(&line, "slots-in-use"), 0, "{line}");
    assert!(counter(&line, "upstream-sockets") <= 1, "{line}");
    assert_eq!(open_descriptors(pid), idle);
    // Said in the log, once, not a line per refusal.
    let said = log_of(&scratch);
    let full = "dns54: the forward table is full (150 queries in flight): ";
    assert_eq!(said.matches(full).count(), 1, "{said}");
    // A soak of a million queries within capacity against an upstream that answers: none
    // lost, and the descriptors back to idle.
    let _answering = recording_upstream(&netns, &scratch, "127.0.0.3", "answer");
    std::fs::write(scratch.path("unused"), "").unwrap();
    drop(dns54);
    let soak = dns54_with(&netns, &scratch, &["--server", "127.0.0.3"]);
    wait_for_dns54(&netns);
    let idle = open_descriptors(soak.0.id());
    let counts = flood(&netns, 1_000_000, 100, 2000);
    assert_eq!(
        (counts["genuine"], counts["lost"]),
        (1_000_000, 0),
        "{counts:?}"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(open_descriptors(soak.0.id()), idle);
}

fn dns54_with(netns: &Netns, scratch: &Scratch, args: &[&str]) -> Running {
    dns54(netns, scratch, &program(), args)
}

/// The interface of a link-local server is deleted and made again (a new index) while the
/// resolv file names `fe80::2%wan`: answers resume without a rewrite of the file, because
/// dns54 looks the interface up whenever it opens a socket and replaces a socket that
/// cannot send.
#[test]
fn a_scoped_server_survives_its_interface_being_made_again() {
    let node = Netns::new();
    let peer = node.peer();
    let scratch = Scratch::new("dns54-scope");
    let link = || {
        let pid = peer.pid().to_string();
        node.run_ok(&[
            "ip", "link", "add", "wan", "type", "veth", "peer", "name", "wan-peer", "netns", &pid,
        ]);
        node.run_ok(&["ip", "addr", "add", "fe80::1/64", "dev", "wan", "nodad"]);
        node.run_ok(&["ip", "link", "set", "wan", "up"]);
        peer.run_ok(&[
            "ip",
            "addr",
            "add",
            "fe80::2/64",
            "dev",
            "wan-peer",
            "nodad",
        ]);
        peer.run_ok(&["ip", "link", "set", "wan-peer", "up"]);
    };
    let index = || {
        let shown = node.run_ok(&["ip", "-o", "link", "show", "wan"]);
        shown.split(':').next().unwrap().trim().to_string()
    };
    link();
    // Not bound: dnsmasq then serves the link-local address of the interface it is given.
    let _upstream = dnsmasq(
        &peer,
        &[],
        &[
            "--interface=wan-peer",
            "--port=53",
            "--address=/example.test/192.0.2.7",
        ],
    );
    let resolv = scratch.path("resolv.conf");
    std::fs::write(&resolv, "nameserver fe80::2%wan\n").unwrap();
    let _dns54 = dns54_following(&node, &scratch, &resolv);
    let long = Duration::from_secs(10);
    ask_until(&node, "127.0.0.1", "A", "192.0.2.7", long);
    let before = index();
    node.run_ok(&["ip", "link", "del", "wan"]);
    link();
    assert_ne!(index(), before);
    // Well before the old socket's lifetime (10 s) would replace it anyway.
    ask_until(&node, "127.0.0.1", "A", "192.0.2.7", Duration::from_secs(3));
    assert!(
        log_of(&scratch).contains("upstream servers: fe80::2%wan\n"),
        "{}",
        log_of(&scratch)
    );
}

fn pipeline_program() -> PathBuf {
    c_program("pipeline.c", "pipeline", "gcc", &["-O2"])
}

/// The size dig reports for what it received.
fn received_size(report: &str) -> usize {
    report
        .lines()
        .find_map(|l| l.strip_prefix(";; MSG SIZE  rcvd: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("{report}"))
}

/// An answer of 60 KB: over UDP it arrives truncated (TC, as the upstream sent it, so the
/// client asks again over TCP), and over TCP whole, through dns54's small relay buffers.
#[test]
fn a_60_kb_answer_comes_truncated_over_udp_and_whole_over_tcp() {
    let netns = namespace();
    let scratch = Scratch::new("dns54-huge");
    let _upstream = recording_upstream(&netns, &scratch, "127.0.0.2", "huge");
    let dns54 = dns54(&netns, &scratch, &program(), &["--server", "127.0.0.2"]);
    wait_for_dns54(&netns);
    let udp = dig_with(
        &netns,
        "127.0.0.1",
        "huge.example.test",
        "TXT",
        &["+ignore"],
    );
    assert!(udp.contains("flags: qr tc"), "{udp}");
    assert!(udp.contains("ANSWER: 0"), "{udp}");
    for server in ["127.0.0.1", "::1"] {
        let tcp = dig_with(&netns, server, "huge.example.test", "TXT", &["+tcp"]);
        assert!(tcp.contains("status: NOERROR"), "{tcp}");
        assert!(!tcp.contains("flags: qr tc"), "{tcp}");
        assert!(tcp.contains("ANSWER: 1"), "{tcp}");
        let size = received_size(&tcp);
        assert!((60_000..=60_100).contains(&size), "{size} bytes");
    }
    let line = counters(&scratch, dns54.0.id());
    assert_eq!(
        counter(&line, "answers"),
        counter(&line, "queries"),
        "{line}"
    );
    assert_eq!(counter(&line, "dropped-replies"), 0, "{line}");
}

/// Two queries pipelined on one connection (RFC 7766): the upstream answers the first one
/// 300 ms late, so the second one's answer comes first; both arrive, whole, each with its
/// ID. Afterwards the connection and the upstream connections are gone.
#[test]
fn pipelined_queries_on_one_connection_are_answered_in_the_upstreams_order() {
    let netns = namespace();
    let scratch = Scratch::new("dns54-pipeline");
    let _upstream = recording_upstream(&netns, &scratch, "127.0.0.2", "answer");
    let dns54 = dns54(&netns, &scratch, &program(), &["--server", "127.0.0.2"]);
    let pid = dns54.0.id();
    wait_for_dns54(&netns);
    let idle = open_descriptors(pid);
    let out = output(netns.command(pipeline_program().to_str().unwrap()).args([
        "127.0.0.1",
        PORT,
        "slow.example.test",
        "fast.example.test",
    ]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let answers = text(&out.stdout);
    let ids: Vec<&str> = answers
        .lines()
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["2", "1"],
        "the fast answer overtakes the slow one: {answers}"
    );
    assert!(
        answers
            .lines()
            .all(|l| l.starts_with(['1', '2']) && l.contains(" 0 1 ")),
        "NOERROR with one record each: {answers}"
    );
    // Each query went upstream on a connection of its own.
    let log = std::fs::read_to_string(scratch.path("upstream.log")).unwrap();
    assert_eq!(
        log.lines().filter(|l| l.starts_with("tcp ")).count(),
        2,
        "{log}"
    );
    std::thread::sleep(Duration::from_millis(200));
    let line = counters(&scratch, pid);
    assert_eq!(counter(&line, "tcp-connections"), 0, "{line}");
    assert_eq!(counter(&line, "slots-in-use"), 0, "{line}");
    assert_eq!(open_descriptors(pid), idle);
}

/// Over TCP, a server that refuses the connection is left for the next, at once.
#[test]
fn over_tcp_a_refused_connection_moves_to_the_next_server() {
    let netns = namespace();
    let scratch = Scratch::new("dns54-tcp-failover");
    // Nothing listens on 127.0.0.2: the kernel answers the SYN with a reset.
    let _upstream = upstream(&netns, "127.0.0.3");
    let _dns54 = dns54(
        &netns,
        &scratch,
        &program(),
        &["--server", "127.0.0.2", "--server", "127.0.0.3"],
    );
    wait_for_dns54(&netns);
    let start = Instant::now();
    let report = dig_with(&netns, "127.0.0.1", "example.test", "A", &["+tcp"]);
    assert!(report.contains("IN\tA\t192.0.2.7"), "{report}");
    assert!(
        start.elapsed() < Duration::from_millis(900),
        "{:?}",
        start.elapsed()
    );
}

/// Client connections are a fixed table: of nine connections opened, eight are kept and the
/// ninth is closed at once; connections that move no bytes are closed after 10 s.
#[test]
fn tcp_connections_are_bounded_and_closed_when_idle() {
    let netns = namespace();
    let scratch = Scratch::new("dns54-tcp-idle");
    let _upstream = upstream(&netns, "127.0.0.2");
    let dns54 = dns54(&netns, &scratch, &program(), &["--server", "127.0.0.2"]);
    let pid = dns54.0.id();
    wait_for_dns54(&netns);
    // Descriptors apart from the upstream sockets, whose number moves with their lifetime.
    let steady = || {
        let line = counters(&scratch, pid);
        let upstream = counter(&line, "upstream-sockets") as usize;
        (line, open_descriptors(pid) - upstream)
    };
    let (_, idle) = steady();
    // bash holds nine connections open and reports, for each, whether it was closed on it.
    let script = format!(
        "for i in $(seq 9); do exec {{fd}}<>/dev/tcp/127.0.0.1/{PORT}; fds=\"$fds $fd\"; done; \
         sleep 0.5; for fd in $fds; do \
         if timeout 0.2 head -c 1 <&$fd >/dev/null; then echo closed; else echo open; fi; done; \
         sleep 30"
    );
    let holder = Running(
        netns
            .command("bash")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(scratch.path("connections")).unwrap())
            .spawn()
            .unwrap(),
    );
    std::thread::sleep(Duration::from_millis(2_500));
    let said = std::fs::read_to_string(scratch.path("connections")).unwrap();
    let closed = said.lines().filter(|l| *l == "closed").count();
    assert_eq!((said.lines().count(), closed), (9, 1), "{said}");
    let (line, descriptors) = steady();
    assert_eq!(counter(&line, "tcp-connections"), 8, "{line}");
    assert_eq!(descriptors, idle + 8);
    // Ten seconds without a byte, and the connections are gone, though bash holds them.
    std::thread::sleep(Duration::from_millis(9_000));
    let (line, descriptors) = steady();
    assert_eq!(counter(&line, "tcp-connections"), 0, "{line}");
    assert_eq!(descriptors, idle);
    drop(holder);
}

/// Messages over TCP that are no query (a runt shorter than a header; a reply, QR set) are
/// dropped, and leave nothing behind: once each held a relay for good, and after eight of them
/// every later connection was reset and descriptors leaked until a restart.
#[test]
fn tcp_frames_that_are_no_query_leave_nothing_behind() {
    let netns = namespace();
    let scratch = Scratch::new("dns54-tcp-drop");
    let _upstream = upstream(&netns, "127.0.0.2");
    let dns54 = dns54(&netns, &scratch, &program(), &["--server", "127.0.0.2"]);
    let pid = dns54.0.id();
    wait_for_dns54(&netns);
    let idle = open_descriptors(pid);
    // Ten connections, more than the eight dns54 keeps at once and the sixteen relays' worth
    // over all: each sends one runt (two bytes) or one reply to `a.` (QR set), then closes.
    let runt = r"\x00\x02\xab\xcd";
    let reply =
        r"\x00\x13\x12\x34\x81\x00\x00\x01\x00\x00\x00\x00\x00\x00\x01a\x00\x00\x01\x00\x01";
    let script = format!(
        "for i in $(seq 5); do for frame in '{runt}' '{reply}'; do \
         exec 3<>/dev/tcp/127.0.0.1/{PORT}; printf \"$frame\" >&3; sleep 0.1; exec 3>&-; \
         done; done"
    );
    let out = output(netns.command("bash").args(["-c", &script]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::thread::sleep(Duration::from_millis(300));
    for server in ["127.0.0.1", "::1"] {
        let report = dig_with(&netns, server, "example.test", "A", &["+tcp"]);
        assert!(report.contains("IN\tA\t192.0.2.7"), "{report}");
    }
    std::thread::sleep(Duration::from_millis(200));
    let line = counters(&scratch, pid);
    assert_eq!(counter(&line, "dropped-requests"), 10, "{line}");
    assert_eq!(counter(&line, "tcp-connections"), 0, "{line}");
    assert_eq!(open_descriptors(pid), idle);
}
