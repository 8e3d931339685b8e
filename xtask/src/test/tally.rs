//! The count of a run: every test of every runner and each check of xtask's own, the
//! `N passed, N failed, N skipped` line that ends it and the time of every step. `test` and
//! `conformance` report through it.

use crate::cmd::{Failure, Result, display, echo_and_collect_warnings};
use crate::test::real_kernel;
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
        // libtest's JSON events, counted as they come (the pinned nightly has them); what a
        // person reads is written back in libtest's own words.
        cmd.args([
            "--no-fail-fast",
            "--",
            "-Z",
            "unstable-options",
            "--format",
            "json",
        ]);
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
                    match counts.event(&line) {
                        Some(said) => print!("{said}"),
                        None => println!("{line}"),
                    }
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
    /// Counts one line of libtest's JSON output; returns it in libtest's human words, or
    /// `None` for a line that is no event (printed as it is).
    fn event(&mut self, line: &str) -> Option<String> {
        let event: serde_json::Value = serde_json::from_str(line).ok()?;
        let field = |key: &str| event.get(key).and_then(|v| v.as_str()).unwrap_or_default();
        let name = field("name");
        match (field("type"), field("event")) {
            ("suite", "started") => {
                self.end_of_binary();
                self.announced = event.get("test_count")?.as_u64()?;
                Some(format!("\nrunning {} tests\n", self.announced))
            }
            ("suite", outcome) => {
                let count = |key: &str| event.get(key).and_then(|v| v.as_u64()).unwrap_or(0);
                Some(format!(
                    "\ntest result: {}. {} passed; {} failed; {} ignored\n",
                    if outcome == "ok" { "ok" } else { "FAILED" },
                    count("passed"),
                    count("failed"),
                    count("ignored")
                ))
            }
            // Doctests' closing times: nothing to count.
            ("test", "started") | ("report", _) => Some(String::new()),
            ("test", "ok") => {
                self.passed += 1;
                self.finished += 1;
                Some(format!("test {name} ... ok\n"))
            }
            ("test", "failed" | "timeout") => {
                self.failed += 1;
                self.finished += 1;
                Some(format!("test {name} ... FAILED\n{}", field("stdout")))
            }
            // Ignored: announced, not run, so counted as skipped at the suite's end.
            ("test", outcome) => Some(format!("test {name} ... {outcome}\n")),
            _ => None,
        }
    }

    /// The binary's report is over, whether its suite ended or not at all.
    fn end_of_binary(&mut self) {
        self.skipped += self.announced.saturating_sub(self.finished);
        self.announced = 0;
        self.finished = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::TestCounts;

    fn counts(output: &str) -> TestCounts {
        let mut counts = TestCounts::default();
        for line in output.lines() {
            counts.event(line);
        }
        counts.end_of_binary();
        counts
    }

    #[test]
    fn counts_every_binary_and_what_did_not_run() {
        // libtest's JSON (`-Z unstable-options --format json`), as the pinned nightly writes
        // it; a line that is no event in between.
        let output = r#"{ "type": "suite", "event": "started", "test_count": 2 }
{ "type": "test", "event": "started", "name": "a" }
{ "type": "test", "name": "a", "event": "ok" }
{ "type": "test", "event": "started", "name": "b" }
{ "type": "test", "name": "b", "event": "failed", "stdout": "thread 'b' panicked\n" }
{ "type": "suite", "event": "failed", "passed": 1, "failed": 1, "ignored": 0, "measured": 0, "filtered_out": 0, "exec_time": 0.01 }
not an event
{ "type": "suite", "event": "started", "test_count": 1 }
{ "type": "test", "name": "c", "event": "ignored" }
{ "type": "suite", "event": "ok", "passed": 0, "failed": 0, "ignored": 1, "measured": 0, "filtered_out": 0, "exec_time": 0.0 }
{ "type": "suite", "event": "started", "test_count": 4 }
{ "type": "test", "event": "started", "name": "d" }
{ "type": "test", "name": "d", "event": "ok" }
{ "type": "suite", "event": "started", "test_count": 0 }
{ "type": "suite", "event": "ok", "passed": 0, "failed": 0, "ignored": 0, "measured": 0, "filtered_out": 0, "exec_time": 0.0 }"#;
        let counts = counts(output);
        // The third binary announced 4 tests and stopped after one: 3 did not run; the ignored
        // one did not run either.
        assert_eq!((counts.passed, counts.failed, counts.skipped), (2, 1, 4));
    }

    #[test]
    fn events_are_said_in_libtests_words() {
        let mut counts = TestCounts::default();
        assert_eq!(
            counts
                .event(r#"{ "type": "test", "name": "x::y", "event": "ok" }"#)
                .as_deref(),
            Some("test x::y ... ok\n")
        );
        assert_eq!(counts.event("running 3 tests"), None);
    }
}
