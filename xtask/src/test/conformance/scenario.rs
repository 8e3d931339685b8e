//! The scenarios that run as shell scripts, as root, in namespaces of their own
//! (`netifd-node.sh`, `procd-service.sh`, with `scenario-lib.sh`): each prints one
//! `CHECK ok|FAILED NAME: DETAIL` line per check, counted here like the other checks.

use crate::cmd::{Result, capture, fail};
use crate::test::tally::Tally;
use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

const LIB: &str = include_str!("scenario-lib.sh");

/// The checks a scenario printed, in order.
pub type Checks = Vec<(String, std::result::Result<(), String>)>;

/// Writes `script` (and the library it sources) into `work` and runs it with `sh` under
/// `unshare` with `namespaces` (such as `--net`), with `WORK` and the variables of `env` set.
pub fn run(
    work: &Path,
    script: &str,
    namespaces: &[&str],
    env: &[(&str, &OsStr)],
) -> Result<Checks> {
    fs::write(work.join("scenario-lib.sh"), LIB)?;
    let path = work.join("scenario.sh");
    fs::write(&path, script)?;
    let mut unshare = Command::new("unshare");
    unshare.args(namespaces).args(["--", "sh"]).arg(&path);
    unshare.env("WORK", work).envs(env.iter().copied());
    let out = capture(&mut unshare)?;
    let text = String::from_utf8_lossy(&out.stdout);
    let checks: Checks = text
        .lines()
        .filter_map(|l| l.strip_prefix("CHECK "))
        .map(|l| match l.strip_prefix("ok ") {
            Some(name) => (name.to_string(), Ok(())),
            None => {
                let rest = l.strip_prefix("FAILED ").unwrap_or(l);
                let (name, why) = rest.split_once(": ").unwrap_or((rest, ""));
                (name.to_string(), Err(why.to_string()))
            }
        })
        .collect();
    if checks.is_empty() {
        return fail(format!(
            "the scenario ran no check ({}): {}{}",
            out.status,
            text,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(checks)
}

/// Counts each check of a scenario's run under `prefix`, or the run's failure as one check.
pub fn count(tally: &mut Tally, prefix: &str, scenario: &str, run: Result<Checks>) {
    match run {
        Ok(checks) => {
            for (check, verdict) in checks {
                tally.check(&format!("{prefix}: {check}"), || {
                    verdict.map_err(crate::cmd::Failure)
                });
            }
        }
        Err(why) => {
            tally.check(&format!("{prefix}: {scenario}"), || Err(why));
        }
    }
}

/// Writes an executable file.
pub fn executable(path: &Path, text: &str) -> Result {
    fs::write(path, text)?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    /// The scripts conformance runs are checked like the shipped ones, though CI cannot run
    /// them.
    #[test]
    fn shellcheck_finds_nothing_in_conformance_scripts() {
        let dir = crate::cmd::root().join("xtask/src/test/conformance");
        let mut scripts: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "sh"))
            .collect();
        scripts.sort();
        assert!(scripts.len() >= 4, "{scripts:?}");
        let out = std::process::Command::new("shellcheck")
            .current_dir(crate::cmd::root())
            .args(["--severity=style", "--external-sources"])
            .args(&scripts)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
