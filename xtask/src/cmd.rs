//! Running other programs, and the error type of the tasks.

use std::fmt;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};

/// Why a task stopped, in a sentence for the person who ran it.
pub struct Failure(pub String);

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<E: std::error::Error> From<E> for Failure {
    fn from(err: E) -> Self {
        Failure(err.to_string())
    }
}

pub type Result<T = ()> = std::result::Result<T, Failure>;

/// Stops the task with this message.
pub fn fail<T>(message: impl Into<String>) -> Result<T> {
    Err(Failure(message.into()))
}

/// The workspace root (xtask runs from anywhere inside it).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

static VERBOSE: AtomicBool = AtomicBool::new(false);

/// `--verbose`: commands are shown with the environment xtask gives them.
pub fn set_verbose() {
    VERBOSE.store(true, Ordering::Relaxed);
}

/// A command line as it would be typed, for messages. The environment xtask sets (long
/// `CARGO_ENCODED_RUSTFLAGS` among it) is shown only with `--verbose`.
pub fn display(cmd: &Command) -> String {
    let mut line = String::new();
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value.filter(|_| VERBOSE.load(Ordering::Relaxed)) {
            line.push_str(&format!(
                "{}={} ",
                key.to_string_lossy(),
                value.to_string_lossy().replace('\x1f', " ")
            ));
        }
    }
    line.push_str(&cmd.get_program().to_string_lossy());
    for arg in cmd.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

/// Runs `cmd` with its output shown; fails when it does not exit 0.
pub fn run(cmd: &mut Command) -> Result {
    let status = cmd
        .status()
        .map_err(|e| Failure(format!("cannot run `{}`: {e}", display(cmd))))?;
    if status.success() {
        Ok(())
    } else {
        fail(format!("`{}` failed ({status})", display(cmd)))
    }
}

/// Runs `cmd` and returns its output, whatever its exit status.
pub fn capture(cmd: &mut Command) -> Result<Output> {
    cmd.stdin(Stdio::null());
    cmd.output()
        .map_err(|e| Failure(format!("cannot run `{}`: {e}", display(cmd))))
}

/// Runs `cmd` quietly; on failure shows what it printed.
pub fn run_quiet(cmd: &mut Command) -> Result {
    let out = capture(cmd)?;
    if out.status.success() {
        return Ok(());
    }
    eprint!("{}", printed(&out));
    fail(format!("`{}` failed ({})", display(cmd), out.status))
}

/// What a finished command printed: its standard output, then its standard error.
pub fn printed(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `cargo` with the toolchain of `rust-toolchain.toml` (the proxy picks it), run at the root.
pub fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

/// Whether this process runs as root (and so may install packages and register binfmt).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// Passes a build's standard error through and returns its warning lines (rustc's, cargo's
/// and the assembler's alike).
pub fn echo_and_collect_warnings(stderr: impl std::io::Read) -> Vec<String> {
    let mut warnings = Vec::new();
    for line in BufReader::new(stderr)
        .lines()
        .map_while(std::result::Result::ok)
    {
        eprintln!("{line}");
        if line.starts_with("warning") {
            warnings.push(line);
        }
    }
    warnings
}
