//! `cargo xtask bench …`: performance measured side by side with the peer, in one run,
//! reported as ratios.

use crate::cmd::{Result, capture, fail, root, run_quiet};
use crate::dist::{build_target, dist_dir};
use crate::targets::{DIST_TARGETS, PRELOAD_FILE};
use std::path::{Path, PathBuf};
use std::process::Command;

const ITERATIONS: &str = "200000";
const ROUNDS: usize = 7;

pub fn bench(what: &str) -> Result {
    match what {
        "packetmark" => packetmark(),
        _ => fail(format!("no benchmark `{what}`")),
    }
}

/// The cost of `socket()` + `close()` in a glibc process: without a preload, with ours (mark
/// unset, and mark 1), and with a C preload that behaves like Gluon's original (mark 1). Runs
/// natively on x86_64 in a user+network namespace of its own (so that SO_MARK is allowed),
/// the variants interleaved round by round; the median of each is reported.
fn packetmark() -> Result {
    let native = DIST_TARGETS
        .iter()
        .find(|t| t.triple.starts_with("x86_64"))
        .expect("an x86_64 target");
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
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}
