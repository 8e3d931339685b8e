//! `cargo xtask bench …`: performance measured side by side with the peer, in one run,
//! reported as ratios.

use crate::build::targets::{PRELOAD_FILE, TARGETS, Target};
use crate::build::{build_target, dist_dir};
use crate::cmd::{Result, capture, fail, root, run_quiet};
use std::path::{Path, PathBuf};
use std::process::Command;

const ITERATIONS: &str = "200000";
const ROUNDS: usize = 7;

pub fn bench(what: &str) -> Result {
    crate::setup::for_test()?;
    match what {
        "packetmark" => packetmark(),
        "routes" => routes(),
        "dns" => dns(),
        _ => fail(format!("no benchmark `{what}`")),
    }
}

/// How many routes the big batch holds, and the rounds of the routes bench.
const ROUTES: u32 = 10_000;
const ROUTE_ROUNDS: usize = 5;

/// `routes -b` against `ip -batch` applying and then deleting the same routes, each in a
/// fresh user+network namespace of its own, the tools alternating round by round: wall time
/// and peak memory (GNU time's maximum resident set), medians, and how memory grows from a
/// batch of 10 to one of 10,000. The two batch files hold the same lines: routes' syntax is
/// ip's for these commands.
fn routes() -> Result {
    let native = native_target();
    eprintln!("bench: building routes for {}", native.triple);
    build_target(native)?;
    let program = dist_dir(native.triple).join("routes");
    let dir = root().join("target/bench/routes");
    std::fs::create_dir_all(&dir)?;
    let write_batch = |name: &str, verb: &str, count: u32| -> Result<PathBuf> {
        let mut text = String::new();
        for i in 0..count {
            text += &format!(
                "route {verb} blackhole 10.{}.{}.0/24 table 100 metric 5\n",
                i / 256 % 256,
                i % 256
            );
        }
        let path = dir.join(name);
        std::fs::write(&path, text)?;
        Ok(path)
    };
    let big = (
        write_batch("add", "add", ROUTES)?,
        write_batch("del", "del", ROUTES)?,
    );
    let small = (
        write_batch("add-10", "add", 10)?,
        write_batch("del-10", "del", 10)?,
    );
    let routes_program = program.to_string_lossy().into_owned();
    let tools: [(&str, [&str; 2]); 2] = [
        ("ip -batch", ["ip", "-batch"]),
        ("routes -b", [&routes_program, "-b"]),
    ];
    // Per tool: add seconds, delete seconds, peak KiB with 10,000, peak KiB with 10.
    let mut samples = vec![[Vec::new(), Vec::new(), Vec::new(), Vec::new()]; tools.len()];
    for round in 1..=ROUTE_ROUNDS {
        eprintln!(
            "bench: round {round} of {ROUTE_ROUNDS}: {ROUTES} routes added and deleted by each tool"
        );
        for (index, (_, argv)) in tools.iter().enumerate() {
            let (add, del, add_kib) = add_and_delete(argv, &big.0, &big.1)?;
            let (_, _, small_kib) = add_and_delete(argv, &small.0, &small.1)?;
            for (slot, value) in samples[index]
                .iter_mut()
                .zip([add, del, add_kib, small_kib])
            {
                slot.push(value);
            }
        }
    }
    let medians: Vec<[f64; 4]> = samples
        .iter_mut()
        .map(|tool| [0, 1, 2, 3].map(|i| median(&mut tool[i])))
        .collect();
    println!(
        "{ROUTES} routes (blackhole, one table) added then deleted, in a namespace; medians of {ROUTE_ROUNDS} rounds"
    );
    println!(
        "{:<12} {:>9} {:>9} {:>16} {:>13}",
        "tool", "add s", "delete s", "peak KiB 10,000", "peak KiB 10"
    );
    for ((name, _), m) in tools.iter().zip(&medians) {
        println!(
            "{name:<12} {:>9.3} {:>9.3} {:>16.0} {:>13.0}",
            m[0], m[1], m[2], m[3]
        );
    }
    let (ip, ours) = (&medians[0], &medians[1]);
    println!(
        "routes -b / ip -batch: add time {:.2}, delete time {:.2}, peak memory {:.3} (10,000 routes), {:.2} (10 routes)",
        ours[0] / ip[0],
        ours[1] / ip[1],
        ours[2] / ip[2],
        ours[3] / ip[3]
    );
    Ok(())
}

/// Applies `add` then `delete` with `argv` in a fresh namespace; returns the wall seconds of
/// each (nanosecond clock around the command) and the peak memory (KiB, GNU time's maximum
/// resident set) of the add.
fn add_and_delete(argv: &[&str; 2], add: &Path, delete: &Path) -> Result<(f64, f64, f64)> {
    let timed = |batch: &Path| {
        format!(
            "s=$(date +%s%N); /usr/bin/time -f %M -o \"$peak\" {} {} {} >/dev/null; \
             e=$(date +%s%N); echo $((e - s)) $(cat \"$peak\");",
            argv[0],
            argv[1],
            batch.display()
        )
    };
    let script = format!(
        "set -e; peak=$(mktemp); trap 'rm -f \"$peak\"' EXIT; ip link set lo up; {} {}",
        timed(add),
        timed(delete)
    );
    let out = capture(Command::new("unshare").args([
        "--user",
        "--map-root-user",
        "--net",
        "--",
        "sh",
        "-c",
        &script,
    ]))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let figures: Vec<f64> = text
        .split_whitespace()
        .filter_map(|word| word.parse().ok())
        .collect();
    match (out.status.success(), figures.as_slice()) {
        (true, [add_ns, add_kib, del_ns, _]) => Ok((add_ns / 1e9, del_ns / 1e9, *add_kib)),
        _ => fail(format!(
            "{} failed: {text}{}",
            argv.join(" "),
            String::from_utf8_lossy(&out.stderr)
        )),
    }
}

/// The dist target the benches run natively.
fn native_target() -> &'static Target {
    TARGETS
        .iter()
        .find(|t| t.triple.starts_with("x86_64"))
        .expect("an x86_64 target")
}

/// The cost of `socket()` + `close()` in a glibc process: without a preload, with ours (mark
/// unset, and mark 1), and with a C preload that behaves like Gluon's original (mark 1). Runs
/// natively on x86_64 in a user+network namespace of its own (so that SO_MARK is allowed),
/// the variants interleaved round by round; the median of each is reported.
fn packetmark() -> Result {
    let native = native_target();
    eprintln!("bench: building libpacketmark.so for {}", native.triple);
    build_target(native)?;
    let ours = dist_dir(native.triple).join(PRELOAD_FILE);
    let out_dir = root().join("target/bench");
    std::fs::create_dir_all(&out_dir)?;
    let bench_src = root().join("bench");
    eprintln!("bench: compiling the socket loop and the C preload (bench/*.c)");
    let loop_program = out_dir.join("socket_loop");
    run_quiet(
        Command::new("gcc")
            .args(["-O2", "-o"])
            .arg(&loop_program)
            .arg(bench_src.join("socket_loop.c")),
    )?;
    let c_preload = out_dir.join("libpacketmark-c.so");
    run_quiet(
        Command::new("gcc")
            .args(["-O2", "-shared", "-fPIC", "-o"])
            .arg(&c_preload)
            .arg(bench_src.join("c_packetmark.c"))
            .arg("-ldl"),
    )?;

    let variants: [(&str, Option<&Path>, Option<&str>); 4] = [
        ("no preload", None, None),
        ("ours, mark unset", Some(&ours), None),
        ("ours, mark 1", Some(&ours), Some("1")),
        (
            "C original's behaviour, mark 1",
            Some(&c_preload),
            Some("1"),
        ),
    ];
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
    for round in 1..=ROUNDS {
        eprintln!(
            "bench: round {round} of {ROUNDS}: {ITERATIONS} socket()+close() pairs for each of {} variants",
            variants.len()
        );
        for (index, (_, preload, mark)) in variants.iter().enumerate() {
            samples[index].push(time_once(&loop_program, *preload, *mark)?);
        }
    }
    let medians: Vec<f64> = samples.iter_mut().map(|s| median(s)).collect();
    let baseline = medians[0];
    let c_original = medians[3];
    println!(
        "socket()+close(), glibc process, x86_64, {ITERATIONS} pairs x {ROUNDS} rounds (median ns/pair)"
    );
    println!(
        "{:<34} {:>10} {:>14} {:>16}",
        "variant", "ns/pair", "vs no preload", "vs C original"
    );
    for ((name, _, _), median) in variants.iter().zip(&medians) {
        println!(
            "{name:<34} {median:>10.1} {:>14.2} {:>16.2}",
            median / baseline,
            median / c_original
        );
    }
    Ok(())
}

fn time_once(program: &PathBuf, preload: Option<&Path>, mark: Option<&str>) -> Result<f64> {
    let mut cmd = Command::new("unshare");
    cmd.args(["--user", "--map-root-user", "--net", "--", "env"]);
    if let Some(preload) = preload {
        cmd.arg(format!("LD_PRELOAD={}", preload.display()));
    }
    if let Some(mark) = mark {
        cmd.arg(format!("LIBPACKETMARK_MARK={mark}"));
    }
    let out = capture(cmd.arg(program).arg(ITERATIONS))?;
    if !out.status.success() {
        return fail(format!(
            "benchmark run failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .or_else(|_| fail("benchmark printed no number"))
}

fn median(samples: &mut [f64]) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Distinct names in the DNS bench's query file: enough that aggregation flatters nobody.
const DNS_NAMES: u32 = 100_000;
const DNS_ROUNDS: usize = 4;
/// Distinct names of the TCP pass: every TCP query costs dns54 a connection upstream, so a
/// pass takes longer.
const DNS_TCP_NAMES: u32 = 20_000;

/// dns54 against Debian's dnsmasq (`--cache-size=0`: forwarding only), the same nsd upstream
/// (rate limiting off) answering a wildcard zone, the same load (dnsperf `-c 2`, one pass over
/// 100,000 distinct names at full speed), in one user+network namespace, the two alternating
/// round by round. Per run: queries a second, CPU seconds per 100,000 queries (utime and
/// stime from /proc/PID/stat), peak resident memory (VmHWM); medians, then the ratios. The
/// upstream asked directly is the ceiling. Then, in the same run, a pass over TCP (`dnsperf
/// -m tcp -c 2`, pipelined on two connections) for its queries a second.
fn dns() -> Result {
    let native = native_target();
    eprintln!("bench: building dns54 for {}", native.triple);
    build_target(native)?;
    let dns54 = dist_dir(native.triple).join("dns54");
    let dir = root().join("target/bench/dns");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(
        dir.join("example.test.zone"),
        "$ORIGIN example.test.\n$TTL 60\n@ IN SOA ns.example.test. admin.example.test. 1 3600 600 86400 60\n\
         @ IN NS ns.example.test.\nns IN A 127.0.0.2\n* IN A 192.0.2.7\n",
    )?;
    let d = dir.display();
    std::fs::write(
        dir.join("nsd.conf"),
        format!(
            "server:\n  ip-address: 127.0.0.2\n  port: 53\n  username: \"\"\n  chroot: \"\"\n\
             zonesdir: \"{d}\"\n  database: \"\"\n  pidfile: \"{d}/nsd.pid\"\n\
             xfrdfile: \"{d}/xfrd.state\"\n  zonelistfile: \"{d}/zone.list\"\n  xfrdir: \"{d}\"\n\
             logfile: \"{d}/nsd.log\"\n  rrl-ratelimit: 0\n  server-count: 1\n\
             remote-control:\n  control-enable: no\nzone:\n  name: example.test\n\
             zonefile: example.test.zone\n"
        ),
    )?;
    let queries: String = (0..DNS_NAMES)
        .map(|i| format!("n{i}.example.test A\n"))
        .collect();
    std::fs::write(dir.join("queries"), queries)?;
    let tcp_queries: String = (0..DNS_TCP_NAMES)
        .map(|i| format!("t{i}.example.test A\n"))
        .collect();
    std::fs::write(dir.join("tcp-queries"), tcp_queries)?;
    // One run: start the forwarder, wait until it answers, one pass of dnsperf, then its
    // CPU ticks and peak memory, then a pass over TCP, before it is stopped by its PID.
    let run = |name: &str, start: &str| {
        format!(
            "{start} & p=$!; \
             for i in $(seq 50); do dig +time=1 +tries=1 +short -p 5454 @127.0.0.1 n0.example.test >/dev/null && break; sleep 0.1; done; \
             r=$(dnsperf -s 127.0.0.1 -p 5454 -d {d}/queries -c 2 -n 1 2>&1 | sed -n 's/.*Queries per second: *//p'); \
             t=$(cut -d' ' -f14,15 /proc/$p/stat); m=$(sed -n 's/VmHWM: *//p' /proc/$p/status); \
             s=$(dnsperf -m tcp -s 127.0.0.1 -p 5454 -d {d}/tcp-queries -c 2 -n 1 2>&1 | sed -n 's/.*Queries per second: *//p'); \
             kill $p; wait $p 2>/dev/null; echo RUN {name} $r $t $m $s;"
        )
    };
    let dnsmasq = run(
        "dnsmasq",
        "dnsmasq --no-daemon --conf-file=/dev/null --no-hosts --no-resolv --bind-interfaces \
         --user=root --group=root --pid-file= --listen-address=127.0.0.1 --port=5454 \
         --cache-size=0 --server=127.0.0.2 2>/dev/null",
    );
    let ours = run(
        "dns54",
        &format!(
            "{} --server 127.0.0.2 --port 5454 --listen 127.0.0.1 2>/dev/null",
            dns54.display()
        ),
    );
    let mut script = format!(
        "set -e; ip link set lo up; ip addr add 127.0.0.2/8 dev lo; \
         nsd -d -c {d}/nsd.conf & n=$!; trap 'kill $n' EXIT; sleep 1; \
         echo CEILING $(dnsperf -s 127.0.0.2 -p 53 -d {d}/queries -c 2 -n 1 2>&1 | sed -n 's/.*Queries per second: *//p'); \
         echo TCP_CEILING $(dnsperf -m tcp -s 127.0.0.2 -p 53 -d {d}/tcp-queries -c 2 -n 1 2>&1 | sed -n 's/.*Queries per second: *//p');"
    );
    for round in 0..DNS_ROUNDS {
        // Alternate which goes first, so that neither always runs on a warmer machine.
        let (first, second) = if round % 2 == 0 {
            (&dnsmasq, &ours)
        } else {
            (&ours, &dnsmasq)
        };
        script += first;
        script += second;
    }
    eprintln!(
        "bench: nsd upstream, {DNS_ROUNDS} rounds of dnsperf -c 2 over {DNS_NAMES} names through dnsmasq and dns54"
    );
    let out = capture(Command::new("unshare").args([
        "--user",
        "--map-root-user",
        "--net",
        "--",
        "sh",
        "-c",
        &script,
    ]))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    // /proc/PID/stat counts CPU time in USER_HZ, which Linux keeps at 100 whatever its own
    // tick rate, for every architecture the bench runs on.
    let clock_ticks = 100.0;
    let (mut ceiling, mut tcp_ceiling) = (None, None);
    // Per tool: queries a second, CPU seconds per 100k queries, peak KiB; TCP queries a
    // second.
    let mut figures: std::collections::BTreeMap<&str, Vec<(f64, f64, f64, f64)>> =
        Default::default();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["CEILING", qps] => ceiling = qps.parse::<f64>().ok(),
            ["TCP_CEILING", qps] => tcp_ceiling = qps.parse::<f64>().ok(),
            ["RUN", name, qps, user, system, peak, "kB", tcp] => {
                let (Ok(qps), Ok(user), Ok(system), Ok(peak), Ok(tcp)) = (
                    qps.parse::<f64>(),
                    user.parse::<f64>(),
                    system.parse::<f64>(),
                    peak.parse::<f64>(),
                    tcp.parse::<f64>(),
                ) else {
                    return fail(format!("bench dns: cannot read `{line}`"));
                };
                let name = if *name == "dns54" { "dns54" } else { "dnsmasq" };
                // One pass: DNS_NAMES queries.
                let cpu = (user + system) / clock_ticks / f64::from(DNS_NAMES) * 100_000.0;
                figures.entry(name).or_default().push((qps, cpu, peak, tcp));
            }
            _ => {}
        }
    }
    let (Some(ceiling), Some(tcp_ceiling), Some(theirs), Some(ours)) = (
        ceiling,
        tcp_ceiling,
        figures.get("dnsmasq"),
        figures.get("dns54"),
    ) else {
        return fail(format!(
            "bench dns: the runs did not all finish:\n{text}{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    };
    let medians = |runs: &Vec<(f64, f64, f64, f64)>| {
        let mut qps: Vec<f64> = runs.iter().map(|r| r.0).collect();
        let mut cpu: Vec<f64> = runs.iter().map(|r| r.1).collect();
        let mut peak: Vec<f64> = runs.iter().map(|r| r.2).collect();
        let mut tcp: Vec<f64> = runs.iter().map(|r| r.3).collect();
        (
            median(&mut qps),
            median(&mut cpu),
            median(&mut peak),
            median(&mut tcp),
        )
    };
    let (theirs, ours) = (medians(theirs), medians(ours));
    println!(
        "dnsperf -c 2, one pass over {DNS_NAMES} distinct names, nsd upstream; medians of {DNS_ROUNDS} runs each"
    );
    println!(
        "{:<24}{:>12}{:>20}{:>14}",
        "", "queries/s", "CPU s per 100k", "peak KiB"
    );
    println!("{:<24}{:>12.0}", "nsd directly (ceiling)", ceiling);
    for (name, (qps, cpu, peak, _)) in [("dnsmasq --cache-size=0", theirs), ("dns54", ours)] {
        println!("{name:<24}{qps:>12.0}{cpu:>20.2}{peak:>14.0}");
    }
    println!(
        "over TCP (dnsperf -m tcp -c 2, {DNS_TCP_NAMES} names), queries/s: nsd directly {tcp_ceiling:.0}, \
         dnsmasq {:.0}, dns54 {:.0}",
        theirs.3, ours.3
    );
    println!(
        "dns54 / dnsmasq: throughput {:.2}, CPU per query {:.2}, peak memory {:.2}, TCP throughput {:.2}; \
         dns54 reaches {:.2} of the ceiling",
        ours.0 / theirs.0,
        ours.1 / theirs.1,
        ours.2 / theirs.2,
        ours.3 / theirs.3,
        ours.0 / ceiling
    );
    Ok(())
}
