//! `cargo xtask`: the project's build, test, size and bench orchestration.

mod bench;
mod cmd;
mod dist;
mod setup;
mod targets;
mod test;

use std::process::ExitCode;

const USAGE: &str = "Usage: cargo xtask <task>

Tasks:
  dist    build dns54, routes and libpacketmark.so for every router target into
          target/dist/<target>/ (shipped) and target/dist/<target>/unstripped/, then
          print the size table (files over budget are marked; `test` fails on them)
  size [OPTIONS]
          the size report of target/dist against size-report/budgets.txt and
          size-report/baseline.txt; OPTIONS go to size-report (`--update-baseline` accepts
          the current sizes, `--symbols`, `--json`, `--markdown`; see `size-report --help`)
  test    everything CI checks: formatting, clippy (host and cross), host unit tests,
          the cross builds, the MIPS tests under qemu, the integration tests; ends with
          `N passed, N failed`. As root it installs missing Debian packages itself.
  bench packetmark
          socket()+close() without a preload, with libpacketmark.so and with a C
          preload of the original's behaviour, side by side, as ratios
  help    this text
";

fn main() -> ExitCode {
    let task = std::env::args().nth(1);
    let result = match task.as_deref() {
        Some("dist") => dist::dist(),
        Some("size") => dist::size(&std::env::args().skip(2).collect::<Vec<_>>()),
        Some("test") => test::test(),
        Some("bench") => bench::bench(std::env::args().nth(2).as_deref()),
        Some("help" | "--help" | "-h") | None => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprint!("xtask: unknown task `{other}`\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(cmd::Failure(message)) => {
            if !message.is_empty() {
                eprintln!("xtask: {message}");
            }
            ExitCode::FAILURE
        }
    }
}
