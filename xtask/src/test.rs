//! `cargo xtask test`: every check and test, ending in one `N passed, N failed, N skipped`
//! line and the time each step took.

pub mod conformance;
pub mod fresh_check;
pub mod real_kernel;
pub mod tally;

use crate::build::targets::{BUILD_STD, Kind, PROGRAMS, TARGETS, Target};
use crate::build::{build_size_report, build_target, size_report};
use crate::cmd::{Failure, Result, cargo, fail, root};
use crate::setup;
use crate::test::tally::Tally;
use std::process::Command;

/// Crates whose tests also run on every family under qemu: the syscall layer and the pure
/// logic (codecs, parsers), where byte order and word size bite.
const QEMU_TEST_CRATES: &[&str] = &["sys", "packetmark", "routes", "dns54", "viawan"];

pub fn test() -> Result {
    let mut tally = Tally::default();
    let setup = "setup (toolchain components, Debian packages, binfmt_misc)";
    if !tally.check(setup, setup::for_test) {
        tally.skip("every other step", "the setup failed");
        return tally.finish();
    }

    tally.check("cargo fmt --check", || {
        crate::cmd::run(cargo().args(["fmt", "--all", "--check"]))
    });
    tally.check("clippy (host)", || {
        crate::cmd::run(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    });
    for target in TARGETS {
        tally.check(&format!("clippy ({})", target.triple), || {
            clippy_cross(target)
        });
    }

    tally.cargo_test(
        "host tests",
        cargo().args(["test", "--workspace", "--exclude", "integration-tests"]),
    );

    let mut dist_ok = true;
    for target in TARGETS {
        dist_ok &= tally.check(&format!("dist ({})", target.triple), || {
            build_target_without_warnings(target)
        });
    }
    let size_check = "sizes within budget, no formatting or panic machinery (size-report)";
    if dist_ok {
        tally.check(size_check, || size_report(&[]));
    } else {
        tally.skip(size_check, "a dist build failed");
    }
    let packages = "OpenWrt packages, the index signed with a key made for the test";
    let package_key = crate::package::run_key_dir();
    let packages_ok = if dist_ok {
        tally.check(packages, || {
            crate::package::packages_with_a_run_key(&package_key)
        })
    } else {
        tally.skip(packages, "a dist build failed");
        false
    };

    let mut sysroots_ok = true;
    let mut sysroots = Vec::new();
    for target in TARGETS {
        let (Some(qemu), Some(c)) = (&target.qemu, &target.c) else {
            continue;
        };
        let mut sysroot = None;
        sysroots_ok &= tally.check(
            &format!("musl for {} from Debian's source", target.triple),
            || {
                sysroot = Some(crate::build::cross::musl_sysroot(target, c)?);
                Ok(())
            },
        );
        let step = format!(
            "tests on {} ({}) under {} -cpu {}",
            target.family, target.triple, qemu.program, qemu.cpu
        );
        let Some(sysroot) = sysroot else {
            tally.skip(&step, "its musl could not be built");
            continue;
        };
        sysroots.push((target.triple, sysroot.clone()));
        match crate::build::cross::binfmt_for(qemu.program) {
            Ok(_binfmt) => tally.cargo_test(&step, &mut qemu_test(target, &sysroot)),
            Err(Failure(why)) => {
                tally.check(&step, || fail(why));
            }
        }
    }

    real_kernel_steps(&mut tally, dist_ok, &sysroots, None);

    for target in FUZZ_TARGETS {
        tally.check(
            &format!("fuzz target {target}: built, seed corpus replayed"),
            || replay_fuzz_corpus(target),
        );
    }

    let mut size_report_binary = None;
    tally.check("size-report build for the integration tests", || {
        size_report_binary = Some(build_size_report()?);
        Ok(())
    });
    let integration = "integration tests (artifacts, namespaces, preload, routes)";
    match (dist_ok && packages_ok && sysroots_ok, size_report_binary) {
        (true, Some(size_report_binary)) => tally.cargo_test(
            integration,
            cargo()
                .args(["test", "-p", "integration-tests"])
                .env("GWT_DIST_DIR", root().join("target/dist"))
                .env("GWT_PACKAGE_DIR", root().join("target/packages"))
                .env("GWT_PACKAGE_KEY", package_key.join("key.pub"))
                .env("GWT_SIZE_REPORT", size_report_binary)
                .env("GWT_SYSROOT_DIR", root().join("target/sysroot")),
        ),
        // Files left from an earlier build would be tested in place of the ones that failed.
        _ => tally.skip(integration, "a build it needs failed"),
    }
    tally.finish()
}

/// Every family's files on a real kernel (`real_kernel.rs`), or only `only`'s.
fn real_kernel_steps(
    tally: &mut Tally,
    dist_ok: bool,
    sysroots: &[(&str, std::path::PathBuf)],
    only: Option<&str>,
) {
    for target in TARGETS
        .iter()
        .filter(|t| only.is_none_or(|o| o == t.triple))
    {
        let step = match &target.machine {
            Some(machine) => format!(
                "{} ({}) on a real kernel: {} {}",
                target.family,
                target.triple,
                machine.qemu,
                machine.args.join(" ")
            ),
            None => format!(
                "{} ({}) on the machine's own kernel, natively",
                target.family, target.triple
            ),
        };
        let sysroot = sysroots
            .iter()
            .find(|(triple, _)| *triple == target.triple)
            .map(|(_, path)| path.as_path());
        if !dist_ok {
            tally.skip(&step, "a dist build failed");
        } else if target.c.is_some() && sysroot.is_none() {
            tally.skip(&step, "its musl could not be built");
        } else {
            tally.real_kernel(&step, || real_kernel::check(target, sysroot));
        }
    }
}

/// `cargo xtask real-kernel [TRIPLE]`: the real-kernel step alone, on the files of the last
/// `dist`, with the musl builds it needs.
pub fn real_kernel_only(only: Option<&str>) -> Result {
    if let Some(only) = only
        && !TARGETS.iter().any(|t| t.triple == only)
    {
        return fail(format!("no router target {only}"));
    }
    setup::for_test()?;
    let mut tally = Tally::default();
    let mut sysroots = Vec::new();
    for target in TARGETS
        .iter()
        .filter(|t| only.is_none_or(|o| o == t.triple))
    {
        if let Some(c) = &target.c {
            let mut sysroot = None;
            tally.check(&format!("musl for {}", target.triple), || {
                sysroot = Some(crate::build::cross::musl_sysroot(target, c)?);
                Ok(())
            });
            if let Some(sysroot) = sysroot {
                sysroots.push((target.triple, sysroot));
            }
        }
    }
    real_kernel_steps(&mut tally, true, &sysroots, only);
    tally.finish()
}

/// The fuzz targets (fuzz/fuzz_targets), each with its seed corpus in fuzz/corpus.
pub const FUZZ_TARGETS: &[&str] = &[
    "routes_netlink_reply",
    "routes_command_line",
    "dns54_message",
    "dns54_resolv",
];

/// Builds a fuzz target with cargo-fuzz and runs every input of its seed corpus once.
fn replay_fuzz_corpus(target: &str) -> Result {
    let cargo_fuzz = setup::cargo_fuzz()?;
    let corpus = root().join("fuzz/corpus").join(target);
    crate::cmd::run_quiet(
        Command::new(cargo_fuzz)
            .current_dir(root())
            .args(["fuzz", "run", target])
            .arg(&corpus)
            .args(["--", "-runs=0"]),
    )
}

/// `cargo xtask fuzz [TARGET]`: a campaign of `seconds` for each target (or the one named),
/// in a copy of the seed corpus under target/fuzz-corpus, so the checked-in seeds stay
/// as they are. A crash leaves its input in fuzz/artifacts.
pub fn fuzz(only: Option<&str>, seconds: u32) -> Result {
    setup::for_test()?;
    let cargo_fuzz = setup::cargo_fuzz()?;
    for target in FUZZ_TARGETS
        .iter()
        .filter(|t| only.is_none_or(|o| o == **t))
    {
        let corpus = root().join("target/fuzz-corpus").join(target);
        std::fs::create_dir_all(&corpus)?;
        for seed in std::fs::read_dir(root().join("fuzz/corpus").join(target))? {
            let seed = seed?;
            std::fs::copy(seed.path(), corpus.join(seed.file_name()))?;
        }
        eprintln!("xtask: fuzzing {target} for {seconds} s");
        crate::cmd::run(
            Command::new(&cargo_fuzz)
                .current_dir(root())
                .args(["fuzz", "run", target])
                .arg(&corpus)
                .arg("--")
                .arg(format!("-max_total_time={seconds}")),
        )?;
    }
    Ok(())
}

/// A dist build for `test`: a warning fails it, as clippy's do.
fn build_target_without_warnings(target: &Target) -> Result {
    let warnings = build_target(target)?;
    if warnings.is_empty() {
        Ok(())
    } else {
        fail(format!("the build warned:\n  {}", warnings.join("\n  ")))
    }
}

/// Lints a cross build of the runtime and the shipped crates.
fn clippy_cross(target: &Target) -> Result {
    let mut cmd = cargo();
    // The shared-object flags: without `-crt-static` a musl target drops the preload's
    // `cdylib` unchecked. A check does not generate code, so the programs are not affected.
    cmd.args(["clippy", "--target", target.triple])
        .args(BUILD_STD)
        .env("CARGO_TARGET_DIR", root().join("target/check"))
        .env(
            "CARGO_ENCODED_RUSTFLAGS",
            Kind::SharedObject.encoded_rustflags(target),
        );
    let features: Vec<String> = PROGRAMS.iter().map(|p| format!("{p}/rt")).collect();
    cmd.args(["-p", "sys", "-p", crate::build::targets::PRELOAD_CRATE]);
    for program in PROGRAMS {
        cmd.args(["-p", program]);
    }
    cmd.arg("--features").arg(features.join(","));
    cmd.args(["--", "-D", "warnings"]);
    crate::cmd::run(&mut cmd)
}

/// The ordinary `cargo test` of the crates where byte order, word size and the syscall layer
/// bite, built for `target` against a musl made from Debian's source and run by its qemu on
/// the family's weakest CPU:
/// - std is built from source without its backtrace feature (`-Z build-std-features=`);
/// - `panic=abort` tests run each test in a child process (binfmt_misc execs it through the
///   same qemu, and `QEMU_CPU` gives it the same CPU);
/// - rust-lld links musl's start files and `libc.a` by path, and no libgcc: Debian's is
///   built for stronger CPUs (armhf's is Thumb-2, i686's has CMOV), and compiler_builtins
///   has everything musl and std need.
fn qemu_test(target: &Target, sysroot: &std::path::Path) -> Command {
    let qemu = target.qemu.as_ref().expect("a target run under qemu");
    let lib = sysroot.join("lib");
    let lib = lib.to_string_lossy();
    let mut flags: Vec<String> = [
        "-C",
        "target-feature=+crt-static",
        "-C",
        "link-self-contained=no",
        "-C",
        "linker=rust-lld",
        "-C",
        "linker-flavor=ld.lld",
        "-L",
    ]
    .iter()
    .map(|f| f.to_string())
    .collect();
    flags.push(lib.to_string());
    for object in ["crt1.o", "crti.o", "libc.a", "crtn.o"] {
        flags.extend(["-C".into(), format!("link-arg={lib}/{object}")]);
    }
    flags.extend(crate::build::targets::target_flags(target));
    let variable = target.triple.to_uppercase().replace('-', "_");
    let mut cmd = cargo();
    cmd.args([
        "test",
        "--target",
        target.triple,
        "-Z",
        "build-std=std,panic_abort",
        "-Z",
        "build-std-features=",
        "-Z",
        "panic-abort-tests",
    ])
    .env("CARGO_TARGET_DIR", root().join("target/qemu-test"))
    .env(format!("CARGO_TARGET_{variable}_RUNNER"), qemu.program)
    .env("QEMU_CPU", qemu.cpu)
    .env(
        "GWT_CPU_SIGN",
        qemu.sign.as_ref().map(|s| s.to_env()).unwrap_or_default(),
    )
    .env("CARGO_ENCODED_RUSTFLAGS", flags.join("\x1f"));
    for krate in QEMU_TEST_CRATES {
        cmd.args(["-p", krate]);
    }
    cmd
}
