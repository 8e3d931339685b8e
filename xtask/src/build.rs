//! `cargo xtask dist`: the router files, shipped and unstripped, for every target.

pub mod cross;
pub mod playbook;
pub mod section_headers;
pub mod targets;

use crate::build::targets::{
    BUILD_STD, Kind, PRELOAD_CRATE, PRELOAD_FILE, PROGRAMS, TARGETS, Target,
};
use crate::cmd::{Result, cargo, display, echo_and_collect_warnings, fail, root, run};
use crate::setup;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Sections that cost flash and serve nobody on the router: MIPS's procedure descriptors
/// (`.pdr`, for debuggers; GNU strip keeps them), compiler version strings, unwind tables (the
/// programs abort, never unwind). `llvm-objcopy --strip-all` already drops the first two and the
/// build makes no `.eh_frame`; naming them keeps that true whatever the tools do next.
const DROPPED_SECTIONS: &[&str] = &[".pdr", ".comment", ".eh_frame"];

/// Where the files of `triple` land.
pub fn dist_dir(triple: &str) -> PathBuf {
    root().join("target/dist").join(triple)
}

/// Builds everything for every target, then prints the size table, in which files over
/// budget are marked (`cargo xtask test` fails on them).
pub fn dist() -> Result {
    setup::for_dist()?;
    for target in TARGETS {
        eprintln!("xtask: building for {}", target.triple);
        build_target(target)?;
    }
    size_report(&["--warn-only".to_string()])
}

/// Builds the programs and the preload for one target into its dist directory; returns the
/// warnings the builds printed.
pub fn build_target(target: &Target) -> Result<Vec<String>> {
    let dir = dist_dir(target.triple);
    let unstripped = dir.join("unstripped");
    fs::create_dir_all(&unstripped)?;

    let mut program_args = Vec::new();
    let mut features = Vec::new();
    for program in PROGRAMS {
        program_args.extend(["-p", program]);
        features.push(format!("{program}/rt"));
    }
    program_args.push("--features");
    let features = features.join(",");
    program_args.push(&features);
    let (programs, mut warnings) = build(target, Kind::StaticProgram, &program_args)?;
    for (built, name) in programs {
        install(&built, &name, &dir)?;
    }

    let (preloads, preload_warnings) = build(target, Kind::SharedObject, &["-p", PRELOAD_CRATE])?;
    warnings.extend(preload_warnings);
    let mut found_preload = false;
    for (built, name) in preloads {
        if name == format!("lib{PRELOAD_CRATE}.so") {
            install(&built, PRELOAD_FILE, &dir)?;
            found_preload = true;
        }
    }
    if !found_preload {
        return fail(format!(
            "the {PRELOAD_CRATE} build produced no lib{PRELOAD_CRATE}.so"
        ));
    }
    Ok(warnings)
}

/// What one cargo build made: its artifacts (path, file name) and the warnings it printed.
pub type Built = (Vec<(PathBuf, String)>, Vec<String>);

/// Runs one cargo build and returns the artifacts it reports and its warnings.
fn build(target: &Target, kind: Kind, packages: &[&str]) -> Result<Built> {
    run_build(&mut build_command(target, kind, packages), target.triple)
}

/// The cargo command of a shipped build of `packages` for `target`, with the flags of `kind`;
/// its environment can be changed before it runs (the size playbook does).
pub fn build_command(target: &Target, kind: Kind, packages: &[&str]) -> Command {
    let mut cmd = cargo();
    cmd.args([
        "build",
        "--profile",
        "ship",
        "--target",
        target.triple,
        "--message-format=json-render-diagnostics",
    ])
    .args(BUILD_STD)
    .args(packages)
    .env("CARGO_TARGET_DIR", root().join(kind.target_dir()))
    .env("CARGO_ENCODED_RUSTFLAGS", kind.encoded_rustflags(target))
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    cmd
}

/// Runs a build command and returns the artifacts it reports, as cargo's JSON messages name
/// them rather than guessing paths, and its warnings.
pub fn run_build(cmd: &mut Command, triple: &str) -> Result<Built> {
    eprintln!("xtask: {}", display(cmd));
    let mut child = cmd.spawn()?;
    let stderr = child.stderr.take().expect("piped");
    let echo = std::thread::spawn(move || echo_and_collect_warnings(stderr));
    let out = child.wait_with_output()?;
    let warnings = echo.join().unwrap_or_default();
    if !out.status.success() {
        return fail(format!("the {triple} build failed"));
    }
    let mut artifacts = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" {
            continue;
        }
        let kinds = message["target"]["kind"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let wanted = kinds.iter().any(|k| k == "bin" || k == "cdylib");
        if !wanted {
            continue;
        }
        let paths = message["executable"]
            .as_str()
            .map(|p| vec![p.to_string()])
            .unwrap_or_else(|| {
                message["filenames"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f.as_str().map(String::from))
                    .collect()
            });
        for path in paths {
            let path = PathBuf::from(path);
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            artifacts.push((path, name));
        }
    }
    Ok((artifacts, warnings))
}

/// Keeps the unstripped file for size reports and writes the shipped one beside it, without
/// symbols and without section headers (what OpenWrt's sstrip would leave of it).
fn install(built: &Path, name: &str, dir: &Path) -> Result {
    let unstripped = dir.join("unstripped").join(name);
    fs::copy(built, &unstripped)?;
    let shipped = dir.join(name);
    strip(&unstripped, &shipped, &[])?;
    crate::build::section_headers::drop_section_headers(&shipped)
}

/// Writes the shipped form of `unstripped` to `shipped`: no symbols, none of the sections that
/// serve nobody on the router; `extra` are more llvm-objcopy options.
pub fn strip(unstripped: &Path, shipped: &Path, extra: &[&str]) -> Result {
    let objcopy = setup::llvm_tool("llvm-objcopy")?;
    let mut cmd = Command::new(objcopy);
    cmd.arg("--strip-all");
    for section in DROPPED_SECTIONS {
        cmd.arg(format!("--remove-section={section}"));
    }
    run(cmd.args(extra).arg(unstripped).arg(shipped))
}

/// The checked-in budgets and the baseline of accepted sizes (size-report/budgets.txt says
/// how budgets are set).
pub const BUDGETS: &str = "size-report/budgets.txt";
pub const BASELINE: &str = "size-report/baseline.txt";

/// Where size-report keeps each target's squashfs image.
pub const SQUASHFS_DIR: &str = "target/squashfs";

/// Builds size-report and returns the path of its binary (in `target/`, whatever
/// `CARGO_TARGET_DIR` says, because the tests look for it there when run alone).
pub fn build_size_report() -> Result<PathBuf> {
    let target_dir = root().join("target");
    run(cargo()
        .args(["build", "--quiet", "--release", "-p", "size-report"])
        .env("CARGO_TARGET_DIR", &target_dir))?;
    Ok(target_dir.join("release/size-report"))
}

/// Runs size-report over `target/dist` with the checked-in budgets and baseline; `extra`
/// are more of its options (`--warn-only`, `--update-baseline`, `--json` …).
pub fn size_report(extra: &[String]) -> Result {
    match size_report_status(extra)? {
        0 => Ok(()),
        status => fail(format!("size-report exited with {status}")),
    }
}

/// Runs size-report; its exit status (0 within budget, 1 over it, 2 a usage error: see
/// size-report/README.md).
fn size_report_status(extra: &[String]) -> Result<u8> {
    let mut cmd = Command::new(build_size_report()?);
    cmd.arg("--budgets")
        .arg(root().join(BUDGETS))
        .arg("--baseline")
        .arg(root().join(BASELINE))
        .arg("--squashfs-dir")
        .arg(root().join(SQUASHFS_DIR))
        .args(extra)
        .arg(root().join("target/dist"));
    let status = cmd
        .status()
        .map_err(|e| crate::cmd::Failure(format!("cannot run size-report: {e}")))?;
    Ok(status.code().map_or(1, |c| c.clamp(0, 255) as u8))
}

/// `cargo xtask size [OPTIONS]`: the size report of what `dist` built last; its exit status
/// is size-report's own, so that scripts can tell a usage error (2) from a size over budget.
pub fn size(extra: &[String]) -> Result<u8> {
    setup::for_dist()?;
    size_report_status(extra)
}
