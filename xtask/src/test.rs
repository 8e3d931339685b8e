//! `cargo xtask test`: every check and test, ending in one `N passed, N failed` line.

use crate::cmd::{Failure, Result, cargo, display, root};
use crate::dist::{build_size_report, build_target, size_report};
use crate::setup;
use crate::targets::{BUILD_STD, CHECK_ONLY_TARGETS, DIST_TARGETS, Kind, PROGRAMS};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// Crates whose tests also run on big-endian MIPS under qemu: the syscall layer and the pure
/// logic (codecs, parsers), where byte order bites.
const QEMU_TEST_CRATES: &[&str] = &["sys", "packetmark"];

const MIPS: &str = "mips-unknown-linux-musl";

/// Counts every test of every runner, and each check of its own as one.
#[derive(Default)]
struct Tally {
    passed: u64,
    failed: u64,
    failures: Vec<String>,
}

impl Tally {
    /// One check of xtask's own.
    fn check(&mut self, name: &str, result: Result) {
        match result {
            Ok(()) => {
                self.passed += 1;
                eprintln!("xtask: ok: {name}");
            }
            Err(Failure(why)) => {
                self.failed += 1;
                eprintln!("xtask: FAILED: {name}: {why}");
                self.failures.push(name.to_string());
            }
        }
    }

    /// A `cargo test` run: its `test result:` lines are summed. A run that fails without a
    /// failing test (it did not build, or a test binary crashed) counts as one failure.
    fn cargo_test(&mut self, name: &str, cmd: &mut Command) {
        eprintln!("xtask: {}", display(cmd));
        let (mut passed, mut failed) = (0, 0);
        let status = cmd.stdout(Stdio::piped()).spawn().and_then(|mut child| {
            let stdout = child.stdout.take().expect("piped");
            for line in BufReader::new(stdout).lines() {
                let line = line?;
                println!("{line}");
                if let Some((p, f)) = parse_test_result(&line) {
                    passed += p;
                    failed += f;
                }
            }
            child.wait()
        });
        self.passed += passed;
        self.failed += failed;
        let ok = matches!(&status, Ok(s) if s.success());
        if failed > 0 || !ok {
            if failed == 0 {
                self.failed += 1;
            }
            eprintln!("xtask: FAILED: {name}");
            self.failures.push(name.to_string());
        }
    }
}

/// `test result: ok. 14 passed; 0 failed; …` → (14, 0).
fn parse_test_result(line: &str) -> Option<(u64, u64)> {
    let rest = line.strip_prefix("test result: ")?;
    let count = |word: &str| -> Option<u64> {
        rest.split(';').find_map(|part| {
            part.trim()
                .strip_suffix(word)?
                .rsplit(' ')
                .next()?
                .trim()
                .parse()
                .ok()
        })
    };
    Some((
        count(" passed").or_else(|| count("passed"))?,
        count(" failed").or_else(|| count("failed"))?,
    ))
}

pub fn test() -> Result {
    setup::for_test()?;
    let mut tally = Tally::default();

    tally.check(
        "cargo fmt --check",
        crate::cmd::run(cargo().args(["fmt", "--all", "--check"])),
    );
    tally.check(
        "clippy (host)",
        crate::cmd::run(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])),
    );
    for target in DIST_TARGETS {
        tally.check(
            &format!("clippy ({})", target.triple),
            clippy_cross(target.triple, true),
        );
    }
    for triple in CHECK_ONLY_TARGETS {
        tally.check(
            &format!("clippy ({triple}, runtime only)"),
            clippy_cross(triple, false),
        );
    }

    tally.cargo_test(
        "host tests",
        cargo().args(["test", "--workspace", "--exclude", "integration-tests"]),
    );

    let mut dist_ok = true;
    for target in DIST_TARGETS {
        let result = build_target(target);
        dist_ok &= result.is_ok();
        tally.check(&format!("dist ({})", target.triple), result);
    }
    if dist_ok {
        tally.check(
            "sizes within budget, no formatting or panic machinery (size-report)",
            size_report(&[]),
        );
    }

    let sysroot = setup::mips_musl_sysroot();
    match &sysroot {
        Ok(sysroot) => tally.cargo_test(
            "tests on big-endian MIPS under qemu-mips",
            &mut mips_test(sysroot),
        ),
        Err(err) => tally.check("MIPS musl sysroot", Err(Failure(err.0.clone()))),
    }

    let mut integration = cargo();
    integration
        .args(["test", "-p", "integration-tests"])
        .env("GWT_DIST_DIR", root().join("target/dist"));
    if let Ok(size_report) = build_size_report() {
        integration.env("GWT_SIZE_REPORT", size_report);
    }
    if let Ok(sysroot) = &sysroot {
        integration.env("GWT_MIPS_SYSROOT", sysroot);
    }
    let integration_name = "integration tests (artifacts, namespaces, preload)";
    if dist_ok {
        tally.cargo_test(integration_name, &mut integration);
    } else {
        // Files left from an earlier build would be tested in place of the ones that failed.
        tally.check(
            integration_name,
            Err(Failure("not run: a dist build failed".into())),
        );
    }

    if !tally.failures.is_empty() {
        eprintln!("xtask: failed: {}", tally.failures.join("; "));
    }
    println!("{} passed, {} failed", tally.passed, tally.failed);
    if tally.failed == 0 {
        Ok(())
    } else {
        Err(Failure(String::new()))
    }
}

/// Lints a cross build: the runtime, and with `programs` the shipped crates too.
fn clippy_cross(triple: &str, programs: bool) -> Result {
    let mut cmd = cargo();
    // The shared-object flags: without `-crt-static` a musl target drops the preload's
    // `cdylib` unchecked. A check does not generate code, so the programs are not affected.
    cmd.args(["clippy", "--target", triple])
        .args(BUILD_STD)
        .env("CARGO_TARGET_DIR", root().join("target/check"))
        .env(
            "CARGO_ENCODED_RUSTFLAGS",
            Kind::SharedObject.encoded_rustflags(),
        );
    if programs {
        let features: Vec<String> = PROGRAMS.iter().map(|p| format!("{p}/rt")).collect();
        cmd.args(["-p", "sys", "-p", crate::targets::PRELOAD_CRATE]);
        for program in PROGRAMS {
            cmd.args(["-p", program]);
        }
        cmd.arg("--features").arg(features.join(","));
    } else {
        cmd.args(["-p", "sys", "--features", "sys/rt"]);
    }
    cmd.args(["--", "-D", "warnings"]);
    crate::cmd::run(&mut cmd)
}

/// The ordinary `cargo test` of the MIPS crates, built for big-endian MIPS against a musl
/// made from Debian's source and run by qemu-mips (PLATFORM.md's recipe):
/// - std is built from source without its backtrace feature (`-Z build-std-features=`);
/// - `panic=abort` tests run each test in a child process (binfmt_misc execs it via qemu);
/// - the link names musl's start files and `libc.a` by path (`-lc` would find a shared one).
fn mips_test(sysroot: &std::path::Path) -> Command {
    let lib = sysroot.join("lib");
    let lib = lib.to_string_lossy();
    let flags = [
        "-C".into(),
        "target-feature=+crt-static".into(),
        "-C".into(),
        "link-self-contained=no".into(),
        "-L".into(),
        lib.to_string(),
        "-C".into(),
        "link-arg=-nostdlib".into(),
        "-C".into(),
        "link-arg=-msoft-float".into(),
        "-C".into(),
        format!("link-arg={lib}/crt1.o"),
        "-C".into(),
        format!("link-arg={lib}/crti.o"),
        "-C".into(),
        format!("link-arg={lib}/libc.a"),
        "-C".into(),
        "link-arg=-lgcc".into(),
        "-C".into(),
        format!("link-arg={lib}/crtn.o"),
    ];
    let mut cmd = cargo();
    cmd.args([
        "test",
        "--target",
        MIPS,
        "-Z",
        "build-std=std,panic_abort",
        "-Z",
        "build-std-features=",
        "-Z",
        "panic-abort-tests",
    ])
    .env("CARGO_TARGET_DIR", root().join("target/qemu-test"))
    .env(
        "CARGO_TARGET_MIPS_UNKNOWN_LINUX_MUSL_LINKER",
        "mips-linux-gnu-gcc",
    )
    .env("CARGO_TARGET_MIPS_UNKNOWN_LINUX_MUSL_RUNNER", "qemu-mips")
    .env("CARGO_ENCODED_RUSTFLAGS", flags.join("\x1f"));
    for krate in QEMU_TEST_CRATES {
        cmd.args(["-p", krate]);
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::parse_test_result;

    #[test]
    fn reads_cargo_test_summaries() {
        assert_eq!(
            parse_test_result(
                "test result: ok. 14 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.02s"
            ),
            Some((14, 0))
        );
        assert_eq!(
            parse_test_result("test result: FAILED. 3 passed; 2 failed; 1 ignored"),
            Some((3, 2))
        );
        assert_eq!(parse_test_result("running 3 tests"), None);
    }
}
