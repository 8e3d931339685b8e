//! The count of a run: every test of every runner and each check of xtask's own, the
//! `N passed, N failed, N skipped` line that ends it and the time of every step. `test` and
//! `conformance` report through it.

use crate::cmd::{Failure, Result, display, echo_and_collect_warnings};
use crate::real_kernel;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Counts every test of every runner, and each check of its own as one; times every step.
#[derive(Default)]
pub struct Tally {
    passed: u64,
    failed: u64,
    /// Tests that exist but did not run: ignored, in a test binary that stopped early, or in
    /// a step that could not start (one each). Any of them fails the run: a test that did
    /// not run proves nothing.
    skipped: u64,
    failures: Vec<String>,
    skipped_steps: Vec<String>,
    times: Vec<(String, Duration)>,
}

impl Tally {
    /// One check of xtask's own; returns whether it passed.
    pub fn check(&mut self, name: &str, step: impl FnOnce() -> Result) -> bool {
        let started = Instant::now();
        let result = step();
        self.times.push((name.to_string(), started.elapsed()));
        match result {
            Ok(()) => {
                self.passed += 1;
                eprintln!("xtask: ok: {name}");
                true
            }
            Err(Failure(why)) => {
                self.failed += 1;
                eprintln!("xtask: FAILED: {name}: {why}");
                self.failures.push(name.to_string());
                false
            }
        }
    }

    /// A step that cannot run because an earlier one failed.
    pub fn skip(&mut self, name: &str, because: &str) {
        self.skipped += 1;
        eprintln!("xtask: SKIPPED: {name}: {because}");
        self.skipped_steps.push(name.to_string());
    }

    /// A `cargo test` run over every test binary (`--no-fail-fast`): each test's line is
    /// counted, and a binary that stops early leaves its missing tests counted as skipped.
    /// A run that fails without a failing test (it did not build) counts as one failure, and
    /// so does a build that warned: warnings fail CI as clippy's do.
    pub fn cargo_test(&mut self, name: &str, cmd: &mut Command) {
        cmd.arg("--no-fail-fast");
        eprintln!("xtask: {}", display(cmd));
        let started = Instant::now();
        let mut counts = TestCounts::default();
        let mut warnings = Vec::new();
        let status = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                let stderr = child.stderr.take().expect("piped");
                let echo = std::thread::spawn(move || echo_and_collect_warnings(stderr));
                let stdout = child.stdout.take().expect("piped");
                for line in BufReader::new(stdout).lines() {
                    let line = line?;
                    println!("{line}");
                    counts.line(&line);
                }
                counts.end_of_binary();
                warnings = echo.join().unwrap_or_default();
                child.wait()
            });
        self.times.push((name.to_string(), started.elapsed()));
        self.passed += counts.passed;
        self.failed += counts.failed;
        self.skipped += counts.skipped;
        if counts.skipped > 0 {
            eprintln!(
                "xtask: {name}: {} tests did not run (ignored, or their test binary stopped early)",
                counts.skipped
            );
        }
        if !warnings.is_empty() {
            self.failed += 1;
            eprintln!(
                "xtask: FAILED: {name}: the build warned:\n  {}",
                warnings.join("\n  ")
            );
            self.failures.push(format!("{name} (warnings)"));
        }
        let ok = matches!(&status, Ok(s) if s.success());
        if counts.failed > 0 || counts.skipped > 0 || !ok {
            if counts.failed == 0 && counts.skipped == 0 {
                self.failed += 1;
            }
            eprintln!("xtask: FAILED: {name}");
            self.failures.push(name.to_string());
        }
    }

    /// The checks one family's files passed and failed on a real kernel, each counted as a
    /// test; checks the guest planned but never reported count as not run.
    pub fn real_kernel(&mut self, name: &str, run: impl FnOnce() -> Result<real_kernel::Report>) {
        eprintln!("xtask: {name}");
        let started = Instant::now();
        let result = run();
        self.times.push((name.to_string(), started.elapsed()));
        let report = match result {
            Ok(report) => report,
            Err(Failure(why)) => {
                self.failed += 1;
                eprintln!("xtask: FAILED: {name}: {why}");
                self.failures.push(name.to_string());
                return;
            }
        };
        for (check, verdict) in &report.checks {
            match verdict {
                Ok(()) => {
                    self.passed += 1;
                    eprintln!("xtask: ok: {name}: {check}");
                }
                Err(why) => {
                    self.failed += 1;
                    eprintln!("xtask: FAILED: {name}: {check}: {why}");
                    self.failures.push(format!("{name}: {check}"));
                }
            }
        }
        for line in &report.info {
            eprintln!("xtask:   {line}");
        }
        let missing = report.missing();
        if missing > 0 || !report.ended || report.checks.is_empty() {
            self.skipped += missing as u64;
            self.failed += 1;
            eprintln!(
                "xtask: FAILED: {name}: the guest stopped before its end ({missing} checks \
                 not run; its console is in target/real-kernel/)"
            );
            self.failures.push(format!("{name} (did not finish)"));
        }
    }

    /// The closing count, then the time of every step, so that growth shows where it happens.
    pub fn finish(self) -> Result {
        if !self.failures.is_empty() {
            eprintln!("xtask: failed: {}", self.failures.join("; "));
        }
        if !self.skipped_steps.is_empty() {
            eprintln!("xtask: skipped: {}", self.skipped_steps.join("; "));
        }
        println!(
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        );
        let total: Duration = self.times.iter().map(|(_, t)| *t).sum();
        println!("time per step:");
        for (name, time) in &self.times {
            println!("  {:>7.1} s  {name}", time.as_secs_f64());
        }
        println!("  {:>7.1} s  total", total.as_secs_f64());
        if self.failed == 0 && self.skipped == 0 {
            Ok(())
        } else {
            Err(Failure(String::new()))
        }
    }
}

/// What the test harness reported, read line by line.
#[derive(Default, Debug, PartialEq)]
struct TestCounts {
    passed: u64,
    failed: u64,
    skipped: u64,
    /// The binary being reported: how many tests it announced, how many finished.
    announced: u64,
    finished: u64,
}

impl TestCounts {
    fn line(&mut self, line: &str) {
        let announced = line
            .strip_prefix("running ")
            .and_then(|rest| rest.strip_suffix(" tests").or(rest.strip_suffix(" test")))
            .and_then(|n| n.parse::<u64>().ok());
        if let Some(count) = announced {
            self.end_of_binary();
            self.announced = count;
            return;
        }
        match test_outcome(line) {
            Some("ok") => self.passed += 1,
            Some("FAILED") => self.failed += 1,
            _ => return,
        }
        self.finished += 1;
    }

    /// The binary's report is over, whether it ended with `test result:` or not at all.
    fn end_of_binary(&mut self) {
        self.skipped += self.announced.saturating_sub(self.finished);
        self.announced = 0;
        self.finished = 0;
    }
}

/// `test a::b ... ok` → `ok`; `FAILED` and `ignored` (with or without a reason) likewise.
fn test_outcome(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("test ")?;
    let (_, outcome) = rest.rsplit_once(" ... ")?;
    Some(outcome.split(',').next().unwrap_or(outcome).trim())
}

#[cfg(test)]
mod tests {
    use super::{TestCounts, test_outcome};

    fn counts(output: &str) -> TestCounts {
        let mut counts = TestCounts::default();
        for line in output.lines() {
            counts.line(line);
        }
        counts.end_of_binary();
        counts
    }

    #[test]
    fn reads_test_outcomes() {
        assert_eq!(test_outcome("test a::b ... ok"), Some("ok"));
        assert_eq!(test_outcome("test a ... FAILED"), Some("FAILED"));
        assert_eq!(
            test_outcome("test a ... ignored, needs root"),
            Some("ignored")
        );
        assert_eq!(test_outcome("running 3 tests"), None);
        assert_eq!(test_outcome("test result: ok. 1 passed; 0 failed"), None);
    }

    #[test]
    fn counts_every_binary_and_what_did_not_run() {
        let output = "\nrunning 2 tests\ntest a ... ok\ntest b ... FAILED\n\n\
                      test result: FAILED. 1 passed; 1 failed; 0 ignored\n\n\
                      running 1 test\ntest c ... ignored\n\ntest result: ok. 0 passed; 0 failed; 1 ignored\n\n\
                      running 4 tests\ntest d ... ok\n\n\
                      running 0 tests\n\ntest result: ok. 0 passed; 0 failed\n";
        let counts = counts(output);
        // The third binary announced 4 tests and stopped after one: 3 did not run; the ignored
        // one did not run either.
        assert_eq!((counts.passed, counts.failed, counts.skipped), (2, 1, 4));
    }
}
