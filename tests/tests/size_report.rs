//! size-report on the real dist files: its figures equal what binutils' `readelf -S` and
//! `size -A` say, its squashfs image is real, and budgets, missing or damaged files and
//! forbidden machinery end in a clear message and a non-zero exit.

use integration_tests::{Scratch, TARGETS, dist_dir, output, size_report};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn dist_base() -> PathBuf {
    dist_dir(TARGETS[0].triple).parent().unwrap().to_path_buf()
}

/// The shipped files of a dist target directory.
fn shipped_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(!names.is_empty(), "{} holds no files", dir.display());
    names
}

fn run(args: &[&str], dist: &Path) -> Output {
    output(Command::new(size_report()).args(args).arg(dist))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&out.stdout)))
}

fn row<'a>(report: &'a Value, target: &str, name: &str) -> &'a Value {
    report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["target"] == target)
        .and_then(|t| {
            t["rows"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["name"] == name)
        })
        .unwrap_or_else(|| panic!("no row {target} {name} in {report}"))
}

fn tool(program: &str, args: &[&str], file: &Path) -> String {
    let out = output(Command::new(program).args(args).arg(file));
    assert!(
        out.status.success(),
        "{program} {args:?} {}: {}",
        file.display(),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// `readelf -SW`: section name → (size, alloc flag).
fn readelf_sections(file: &Path) -> BTreeMap<String, (u64, bool)> {
    let mut sections = BTreeMap::new();
    for line in tool("readelf", &["-SW"], file).lines() {
        let Some((_, rest)) = line.split_once(']') else {
            continue;
        };
        let words: Vec<&str> = rest.split_whitespace().collect();
        // Name Type Address Offset Size ES [Flags] Lk Inf Al; the NULL section has no name.
        if words.len() < 9 || words[0] == "Name" || words[0] == "NULL" {
            continue;
        }
        let size = u64::from_str_radix(words[4], 16).unwrap();
        let flags = words[6];
        let alloc = !flags.chars().all(|c| c.is_ascii_digit()) && flags.contains('A');
        sections.insert(words[0].to_string(), (size, alloc));
    }
    assert!(
        sections.contains_key(".text"),
        "readelf found no .text in {}",
        file.display()
    );
    sections
}

/// `size -A`: section name (and `Total`) → size.
fn size_a(file: &Path) -> BTreeMap<String, u64> {
    tool("size", &["-A"], file)
        .lines()
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            Some((words.first()?.to_string(), words.get(1)?.parse().ok()?))
        })
        .collect()
}

#[test]
fn figures_equal_readelf_and_size_for_every_target() {
    let scratch = Scratch::new("size-report-figures");
    let images = scratch.path("images");
    let out = run(
        &[
            "--json",
            "--symbols",
            "--squashfs-dir",
            images.to_str().unwrap(),
        ],
        &dist_base(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = json_of(&out);
    assert_eq!(report["errors"], Value::Array(vec![]));
    for target in TARGETS {
        let dir = dist_dir(target.triple);
        let mut total = 0;
        for name in shipped_files(&dir) {
            let file = dir.join(&name);
            let figures = &row(&report, target.triple, &name)["figures"];
            // The shipped file has no section headers: its sections are the unstripped copy's.
            let unstripped = dir.join("unstripped").join(&name);
            let sections = readelf_sections(&unstripped);
            let size = size_a(&unstripped);
            let named = |section: &str| sections.get(section).map_or(0, |s| s.0);
            let loaded: u64 = sections.values().filter(|s| s.1).map(|s| s.0).sum();
            let context = format!("{} {name}", target.triple);
            assert_eq!(
                figures["bytes"],
                fs::metadata(&file).unwrap().len(),
                "{context}"
            );
            assert_eq!(figures["loaded"], loaded, "{context}: readelf -S");
            // size -A lists every section of the unstripped copy, the non-loaded ones too
            // (MIPS's .pdr, .comment): its loaded ones are those readelf flags A.
            let size_loaded: u64 = size
                .iter()
                .filter(|(section, _)| sections.get(*section).is_some_and(|s| s.1))
                .map(|(_, bytes)| bytes)
                .sum();
            assert_eq!(figures["loaded"], size_loaded, "{context}: size -A");
            for (key, section) in [
                ("text", ".text"),
                ("rodata", ".rodata"),
                ("data", ".data"),
                ("bss", ".bss"),
            ] {
                assert_eq!(
                    figures[key],
                    named(section),
                    "{context} {section}: readelf -S"
                );
                assert_eq!(
                    figures[key],
                    size.get(section).copied().unwrap_or(0),
                    "{context} {section}: size -A"
                );
            }
            // The largest symbol is the one binutils' nm finds largest in the unstripped twin.
            let symbols = row(&report, target.triple, &name)["largest_symbols"]
                .as_array()
                .unwrap()
                .clone();
            let unstripped = dir.join("unstripped").join(&name);
            let nm = tool("nm", &["-S", "--size-sort", "-C"], &unstripped);
            let nm_largest = nm.lines().next_back().unwrap();
            let nm_size = u64::from_str_radix(nm_largest.split_whitespace().nth(1).unwrap(), 16);
            assert_eq!(symbols[0]["bytes"], nm_size.unwrap(), "{context}: {nm}");
            assert!(
                nm.contains(symbols[0]["name"].as_str().unwrap()),
                "{context}: {symbols:?} vs {nm}"
            );
            let xz = figures["xz"].as_u64().unwrap();
            assert!(
                xz > 0 && xz < figures["bytes"].as_u64().unwrap(),
                "{context}: xz {xz}"
            );
            assert_eq!(
                row(&report, target.triple, &name)["findings"],
                Value::Array(vec![]),
                "{context}"
            );
            total += figures["bytes"].as_u64().unwrap();
        }
        assert_eq!(
            row(&report, target.triple, "(total)")["figures"]["bytes"],
            total
        );

        // The image is a real squashfs with the files at their install paths.
        let image = images.join(format!("{}.squashfs", target.triple));
        let image_bytes = fs::metadata(&image).unwrap().len();
        assert_eq!(
            row(&report, target.triple, "(squashfs)")["figures"]["bytes"],
            image_bytes
        );
        let superblock = tool("unsquashfs", &["-s"], &image);
        assert!(superblock.contains("Compression xz"), "{superblock}");
        assert!(superblock.contains("Block size 262144"), "{superblock}");
        let listing = tool("unsquashfs", &["-lls"], &image);
        for path in [
            "usr/lib/libpacketmark.so",
            "usr/sbin/dns54",
            "usr/sbin/routes",
        ] {
            let line = listing
                .lines()
                .find(|l| l.ends_with(&format!("squashfs-root/{path}")))
                .unwrap_or_else(|| panic!("{path} not in the image: {listing}"));
            assert!(line.contains("root/root"), "{line}");
        }
    }
}

/// A budget file with room for every shipped file, except the ones `tight` names.
fn budgets_with(tight: &[(&str, &str, u64)]) -> String {
    let mut text = String::from("# test budgets\n");
    for target in TARGETS {
        for name in shipped_files(&dist_dir(target.triple))
            .iter()
            .map(String::as_str)
            .chain(["(total)"])
        {
            let bytes = tight
                .iter()
                .find(|(t, n, _)| *t == target.triple && *n == name)
                .map_or(1_000_000, |t| t.2);
            text.push_str(&format!("{} {name} {bytes} for the test\n", target.triple));
        }
    }
    text
}

#[test]
fn a_file_over_budget_fails_and_shows_its_largest_symbols() {
    let scratch = Scratch::new("size-report-budget");
    let budgets = scratch.path("budgets.txt");
    fs::write(
        &budgets,
        budgets_with(&[("mips-unknown-linux-musl", "libpacketmark.so", 1000)]),
    )
    .unwrap();
    let budgets = budgets.to_str().unwrap();

    let out = run(&["--budgets", budgets], &dist_base());
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("the budget says: for the test"), "{stderr}");
    assert!(
        stderr.contains("mips-unknown-linux-musl libpacketmark.so: over budget"),
        "{stderr}"
    );
    let stdout = text(&out.stdout);
    assert!(stdout.contains("OVER BUDGET"), "{stdout}");
    let symbols = stdout
        .split("Largest symbols of mips-unknown-linux-musl libpacketmark.so")
        .nth(1)
        .unwrap_or_else(|| panic!("no symbol list: {stdout}"));
    assert!(symbols.contains("socket"), "{symbols}");
    // Only the file over budget gets the list.
    assert!(!stdout.contains("Largest symbols of mips-unknown-linux-musl dns54"));

    let warned = run(&["--budgets", budgets, "--warn-only"], &dist_base());
    assert!(warned.status.success(), "{}", text(&warned.stderr));
    assert!(text(&warned.stdout).contains("OVER BUDGET"));

    let json = json_of(&run(&["--budgets", budgets, "--json"], &dist_base()));
    let over = &row(&json, "mips-unknown-linux-musl", "libpacketmark.so")["over_budget_by"];
    assert!(over.as_u64().unwrap() > 1000, "{over}");

    let markdown = text(&run(&["--budgets", budgets, "--markdown"], &dist_base()).stdout);
    assert!(
        markdown.contains("| mips-unknown-linux-musl | libpacketmark.so |"),
        "{markdown}"
    );

    let within = scratch.path("roomy.txt");
    fs::write(&within, budgets_with(&[])).unwrap();
    let ok = run(&["--budgets", within.to_str().unwrap()], &dist_base());
    assert!(ok.status.success(), "{}", text(&ok.stderr));
}

#[test]
fn missing_and_unbudgeted_files_are_named() {
    let scratch = Scratch::new("size-report-missing");
    let budgets = scratch.path("budgets.txt");
    let mut lines = budgets_with(&[]);
    lines.push_str("mips-unknown-linux-musl ghost 1000 a file that was never built\n");
    lines.push_str("sparc-unknown-linux-gnu dns54 1000 a target that was never built\n");
    lines = lines.replace(
        "x86_64-unknown-linux-musl routes 1000000 for the test\n",
        "",
    );
    fs::write(&budgets, lines).unwrap();

    let out = run(&["--budgets", budgets.to_str().unwrap()], &dist_base());
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("mips-unknown-linux-musl ghost: missing"),
        "{stderr}"
    );
    assert!(
        stderr.contains("sparc-unknown-linux-gnu: missing"),
        "{stderr}"
    );
    assert!(
        stderr.contains("x86_64-unknown-linux-musl routes: no budget"),
        "{stderr}"
    );

    let nothing = run(&[], &scratch.path("no-such-dist"));
    assert_eq!(nothing.status.code(), Some(1));
    assert!(text(&nothing.stderr).contains("run `cargo xtask dist` first"));
}

#[test]
fn a_shipped_file_without_its_unstripped_copy_is_an_error() {
    // The shipped files have no section headers; without the copy nothing could be measured
    // or checked for machinery, and a weaker check would pass quietly.
    let scratch = Scratch::new("size-report-no-twin");
    let dir = scratch.path("dist/mips-unknown-linux-musl");
    fs::create_dir_all(&dir).unwrap();
    fs::copy(
        dist_dir("mips-unknown-linux-musl").join("routes"),
        dir.join("routes"),
    )
    .unwrap();
    let out = run(&[], &scratch.path("dist"));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("unstripped/routes") && stderr.contains("needs its unstripped copy"),
        "{stderr}"
    );

    // A copy of another build (here: another program's) is no copy: its sections would be
    // measured for the wrong bytes.
    fs::create_dir_all(dir.join("unstripped")).unwrap();
    fs::copy(
        dist_dir("mips-unknown-linux-musl").join("unstripped/viawan"),
        dir.join("unstripped/routes"),
    )
    .unwrap();
    let out = run(&[], &scratch.path("dist"));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("the copy is stale"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn truncated_and_non_elf_files_are_clear_errors() {
    let scratch = Scratch::new("size-report-damaged");
    let dir = scratch.path("dist/mips-unknown-linux-musl");
    fs::create_dir_all(&dir).unwrap();
    let real = fs::read(dist_dir("mips-unknown-linux-musl").join("dns54")).unwrap();
    fs::write(dir.join("dns54"), &real[..real.len() / 2]).unwrap();
    fs::write(dir.join("routes"), &real[..20]).unwrap();
    fs::write(dir.join("notes.txt"), "not a program\n").unwrap();

    let out = run(&[], &scratch.path("dist"));
    // 1 with a message; a panic would abort (134) or unwind (101).
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    for name in ["dns54", "routes"] {
        let line = stderr
            .lines()
            .find(|l| l.contains(&format!("mips-unknown-linux-musl/{name}:")))
            .unwrap_or_else(|| panic!("{name} not named: {stderr}"));
        assert!(line.contains("truncated"), "{line}");
    }
    assert!(stderr.contains("notes.txt: not an ELF file"), "{stderr}");
}

#[test]
fn a_std_program_is_reported_for_formatting_and_panic_machinery() {
    let scratch = Scratch::new("size-report-std");
    let dir = scratch.path("dist/x86_64-unknown-linux-musl");
    fs::create_dir_all(&dir).unwrap();
    // size-report itself: a std program, with core::fmt, panics and their locations.
    fs::copy(size_report(), dir.join("std-program")).unwrap();
    fs::create_dir_all(dir.join("unstripped")).unwrap();
    fs::copy(size_report(), dir.join("unstripped/std-program")).unwrap();

    let out = run(&["--json"], &scratch.path("dist"));
    assert_eq!(out.status.code(), Some(1));
    let report = json_of(&out);
    let findings = row(&report, "x86_64-unknown-linux-musl", "std-program")["findings"]
        .as_array()
        .unwrap()
        .clone();
    let has = |what: &str, evidence: &str| {
        findings.iter().any(|f| {
            f["what"].as_str().unwrap().contains(what)
                && f["evidence"].as_str().unwrap().contains(evidence)
        })
    };
    assert!(has("core::fmt", "core::fmt::"), "{findings:?}");
    assert!(has("panic machinery", "core::panicking::"), "{findings:?}");
    assert!(has("panic message or location", ".rs"), "{findings:?}");
    let table = run(&[], &scratch.path("dist"));
    assert!(
        text(&table.stdout)
            .contains("x86_64-unknown-linux-musl std-program: formatting machinery (core::fmt)")
    );
}

#[test]
fn the_baseline_is_written_on_request_and_changes_are_shown() {
    let scratch = Scratch::new("size-report-baseline");
    let baseline = scratch.path("baseline.txt");
    let path = baseline.to_str().unwrap();
    let wrote = run(&["--baseline", path, "--update-baseline"], &dist_base());
    assert!(wrote.status.success(), "{}", text(&wrote.stderr));
    let written = fs::read_to_string(&baseline).unwrap();
    let dns54 = written
        .lines()
        .find(|l| l.starts_with("mips-unknown-linux-musl dns54 "))
        .unwrap_or_else(|| panic!("{written}"))
        .to_string();
    assert!(
        written.contains("mips-unknown-linux-musl (squashfs) bytes="),
        "{written}"
    );

    let report = json_of(&run(&["--baseline", path, "--json"], &dist_base()));
    for target in &report["targets"].as_array().unwrap()[..] {
        for row in target["rows"].as_array().unwrap() {
            assert_eq!(row["baseline"], row["figures"], "{row}");
        }
    }

    // Pretend dns54 was 10 bytes smaller when last accepted.
    let bytes: u64 = dns54
        .split("bytes=")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let older = dns54.replace(&format!("bytes={bytes}"), &format!("bytes={}", bytes - 10));
    fs::write(&baseline, written.replace(&dns54, &older)).unwrap();
    let table = text(&run(&["--baseline", path], &dist_base()).stdout);
    let line = table
        .lines()
        .find(|l| l.starts_with("mips-unknown-linux-musl") && l.contains(" dns54 "))
        .unwrap();
    assert!(line.contains("(+10)"), "{line}");
}
