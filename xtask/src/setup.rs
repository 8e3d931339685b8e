//! What the build and the tests need from the machine, installed when missing (as root) or
//! named with the exact command to run.

pub mod cache;

use crate::cmd::{Result, capture, fail, is_root, root, run, run_quiet};
use lists::tools::{Need, TOOLS, is_present};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Everything `cargo xtask dist` and `cargo xtask size` need.
pub fn for_dist() -> Result {
    premise()?;
    rust_components()?;
    tools(&[Need::Dist])
}

/// Everything `cargo xtask test` and the benches need.
pub fn for_test() -> Result {
    premise()?;
    rust_components()?;
    tools(&[Need::Dist, Need::Test])
}

/// The pinned cargo-fuzz, installed into `target/tools` (once) when it is not there. Built
/// with the pinned toolchain without `--locked`: the dependencies its lock file names no
/// longer build on that nightly.
pub const CARGO_FUZZ_VERSION: &str = "0.13.1";

pub fn cargo_fuzz() -> Result<PathBuf> {
    let tools = root().join("target/tools");
    let binary = tools.join("bin/cargo-fuzz");
    let installed = capture(Command::new(&binary).arg("--version")).is_ok_and(|out| {
        String::from_utf8_lossy(&out.stdout).trim() == format!("cargo-fuzz {CARGO_FUZZ_VERSION}")
    });
    if !installed {
        eprintln!(
            "xtask: installing cargo-fuzz {CARGO_FUZZ_VERSION} into {} (once; about 30 s)",
            tools.display()
        );
        run_quiet(
            Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
                .current_dir(root())
                .args([
                    "install",
                    "--quiet",
                    "cargo-fuzz",
                    "--version",
                    CARGO_FUZZ_VERSION,
                    "--root",
                ])
                .arg(&tools),
        )?;
    }
    Ok(binary)
}

/// What `cargo xtask conformance` needs: what the tests need, and the upstream builds' tools.
pub fn for_conformance() -> Result {
    premise()?;
    rust_components()?;
    tools(&[Need::Dist, Need::Test, Need::Conformance])
}

/// What `cargo xtask fresh-check` needs on the machine that runs it.
pub fn for_fresh_check() -> Result {
    tools(&[Need::FreshCheck])
}

/// A C linker is Rust's own premise (xtask could not have been built without one): named,
/// not installed.
fn premise() -> Result {
    let missing = missing_packages(&[Need::Premise]);
    if missing.is_empty() {
        return Ok(());
    }
    fail(format!(
        "Rust needs a C linker, which this machine lacks: apt-get install {}",
        missing.join(" ")
    ))
}

/// The packages of the tools of these needs that are not on the machine.
fn missing_packages(needs: &[Need]) -> Vec<&'static str> {
    let mut packages: Vec<&str> = Vec::new();
    for tool in TOOLS.iter().filter(|t| needs.contains(&t.need)) {
        if !is_present(tool.program) && !packages.contains(&tool.package) {
            packages.push(tool.package);
        }
    }
    packages
}

/// Installs the packages of the missing tools (as root; otherwise names the command), then
/// insists that every tool is there.
fn tools(needs: &[Need]) -> Result {
    let missing = missing_packages(needs);
    if missing.is_empty() {
        return Ok(());
    }
    for tool in TOOLS
        .iter()
        .filter(|t| needs.contains(&t.need) && !is_present(t.program))
    {
        eprintln!(
            "xtask: missing {} (Debian package {}): {}",
            tool.program, tool.package, tool.why
        );
    }
    let install = apt_install(&missing)?;
    let still: Vec<String> = TOOLS
        .iter()
        .filter(|t| needs.contains(&t.need) && !is_present(t.program))
        .map(|t| format!("{} (package {})", t.program, t.package))
        .collect();
    if still.is_empty() {
        Ok(())
    } else {
        fail(format!(
            "still missing after `{install}`: {}",
            still.join(", ")
        ))
    }
}

/// Installs Debian `packages` (as root; otherwise fails with the command to run) and returns
/// that command, for messages.
pub fn apt_install(packages: &[&str]) -> Result<String> {
    let install = format!(
        "apt-get install -y --no-install-recommends {}",
        packages.join(" ")
    );
    if !is_root() {
        return fail(format!(
            "install them first: sudo apt-get update && sudo {install}"
        ));
    }
    run(Command::new("apt-get").args(["update", "-qq"]))?;
    run(Command::new("apt-get")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(packages))?;
    Ok(install)
}

/// The sysroot of the running toolchain.
pub fn rust_sysroot() -> Result<PathBuf> {
    let out = capture(
        Command::new("rustc")
            .current_dir(root())
            .args(["--print", "sysroot"]),
    )?;
    if !out.status.success() {
        return fail(format!(
            "rustc does not run for this workspace: {}Install the pinned toolchain with: rustup toolchain install",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// `llvm-objcopy` from the toolchain's `llvm-tools` component.
pub fn llvm_tool(name: &str) -> Result<PathBuf> {
    let sysroot = rust_sysroot()?;
    let host = host_triple()?;
    Ok(sysroot
        .join("lib/rustlib")
        .join(host)
        .join("bin")
        .join(name))
}

fn host_triple() -> Result<String> {
    let out = capture(Command::new("rustc").current_dir(root()).arg("-vV"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    match text.lines().find_map(|l| l.strip_prefix("host: ")) {
        Some(host) => Ok(host.to_string()),
        None => fail("rustc -vV names no host"),
    }
}

/// The components `rust-toolchain.toml` lists. rustup installs them with the toolchain, but a
/// toolchain installed earlier (or by hand) may lack some.
fn rust_components() -> Result {
    let sysroot = rust_sysroot()?;
    let present = sysroot.join("lib/rustlib/src/rust/library/core").is_dir()
        && llvm_tool("llvm-objcopy")?.is_file()
        && sysroot.join("bin/cargo-clippy").is_file()
        && sysroot.join("bin/rustfmt").is_file();
    if !present {
        eprintln!("xtask: adding the toolchain components rust-toolchain.toml names");
        run(Command::new("rustup").current_dir(root()).args([
            "component",
            "add",
            "rust-src",
            "llvm-tools",
            "clippy",
            "rustfmt",
        ]))?;
    }
    Ok(())
}

/// Where the added `deb-src` entries go: one file per format, next to the machine's own.
const SOURCES_FILE: &str = "/etc/apt/sources.list.d/gluon-wan-tools-src.sources";
const LIST_FILE: &str = "/etc/apt/sources.list.d/gluon-wan-tools-src.list";

/// `apt-get source` needs `deb-src` entries. If there are none, add ones for the same mirrors
/// and suites as the machine's `deb` entries (as root), so nothing new is trusted. Both of
/// apt's formats count: deb822 `*.sources` files and classic one-line `sources.list` files.
pub fn ensure_deb_src() -> Result {
    let finds_source = || {
        capture(Command::new("apt-get").args(["source", "--print-uris", "-qq", "musl"])).is_ok_and(
            |o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains(".dsc"),
        )
    };
    if finds_source() {
        return Ok(());
    }
    let (stanzas, lines) = machine_sources("deb-src");
    if stanzas.is_empty() && lines.is_empty() {
        return fail(
            "no deb-src entry for musl, and no `deb` entry in /etc/apt/sources.list or \
             /etc/apt/sources.list.d to mirror",
        );
    }
    let writes: Vec<(&str, String)> = [
        (SOURCES_FILE, stanzas.join("\n")),
        (LIST_FILE, lines.concat()),
    ]
    .into_iter()
    .filter(|(_, text)| !text.is_empty())
    .collect();
    if !is_root() {
        let mut advice = String::from("apt-get source needs deb-src entries. As root, write:\n");
        for (file, text) in &writes {
            advice.push_str(&format!("\n{file}:\n{text}"));
        }
        advice.push_str("\nthen run: apt-get update");
        return fail(advice);
    }
    for (file, text) in &writes {
        eprintln!("xtask: adding deb-src entries for the machine's own Debian mirrors ({file})");
        fs::write(file, text)?;
    }
    run_quiet(Command::new("apt-get").args(["update", "-qq"]))?;
    if finds_source() {
        Ok(())
    } else {
        fail("apt-get still finds no source package for musl")
    }
}

/// Debian's source package `package`, unpacked once (`apt-get source`) into `dir`: the tree,
/// the directory named `package-…` that holds `marker`.
pub fn debian_source(package: &str, dir: &Path, marker: &str) -> Result<PathBuf> {
    let find_tree = || {
        fs::read_dir(dir)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.is_dir()
                    && p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with(&format!("{package}-")))
                    && p.join(marker).is_file()
            })
    };
    if dir.join("unpacked").is_file()
        && let Some(tree) = find_tree()
    {
        return Ok(tree);
    }
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir)?;
    ensure_deb_src()?;
    run_quiet(
        Command::new("apt-get")
            .current_dir(dir)
            .args(["source", "-qq", package]),
    )?;
    let Some(tree) = find_tree() else {
        return fail(format!(
            "apt-get source {package} left no {package}-* directory"
        ));
    };
    fs::write(dir.join("unpacked"), "")?;
    Ok(tree)
}

/// The machine's own `deb` entries (those this project wrote left out), rewritten as `kind`
/// entries: deb822 stanzas and classic one-line entries.
pub fn machine_sources(kind: &str) -> (Vec<String>, Vec<String>) {
    let (mut stanzas, mut lines) = (Vec::new(), Vec::new());
    let list_d = Path::new("/etc/apt/sources.list.d");
    let files = fs::read_dir(list_d)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .chain([PathBuf::from("/etc/apt/sources.list")]);
    for path in files {
        if path == Path::new(SOURCES_FILE) || path == Path::new(LIST_FILE) {
            continue;
        }
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        match path.extension().and_then(|e| e.to_str()) {
            Some("sources") => stanzas.extend(deb822_source_stanzas(&text, kind)),
            Some("list") => lines.extend(one_line_source_entries(&text, kind)),
            _ => {}
        }
    }
    (stanzas, lines)
}

/// The `Types: deb` stanzas of a deb822 sources file, as stanzas of `kind`.
fn deb822_source_stanzas(text: &str, kind: &str) -> Vec<String> {
    let mut stanzas = Vec::new();
    for stanza in text.split("\n\n") {
        let is_binary_only = stanza.lines().any(|l| {
            l.strip_prefix("Types:")
                .is_some_and(|t| t.split_whitespace().eq(["deb"]))
        });
        if is_binary_only {
            let lines: Vec<String> = stanza
                .lines()
                .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
                .map(|l| {
                    if l.starts_with("Types:") {
                        format!("Types: {kind}")
                    } else {
                        l.to_string()
                    }
                })
                .collect();
            stanzas.push(lines.join("\n") + "\n");
        }
    }
    stanzas
}

/// The `deb` lines of a classic one-line sources file, as lines of `kind`.
fn one_line_source_entries(text: &str, kind: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix("deb "))
        .map(|rest| format!("{kind} {}\n", rest.trim_start()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Programs that are not Debian packages of the project's to install: the toolchain
    /// (rustup's, the premise), apt itself, and what a build runs from the tree.
    const NOT_PACKAGED: &[&str] = &[
        "cargo",
        "rustc",
        "rustup",
        "apt-get",
        "./configure",
        // OpenWrt's, which conformance builds from their pinned sources.
        "opkg-cl",
        "usign",
        "apk",
    ];

    /// Every program the sources start by name (`Command::new("…")`, `.command("…")`,
    /// `run_ok(&["…"`, `tool("…"`, `require("…")`) must be in the tool list, so that setup
    /// installs it and a missing one names its package.
    #[test]
    fn every_program_the_sources_run_is_in_the_tool_list() {
        let patterns = [
            "Command::new(\"",
            ".command(\"",
            "run_ok(&[\"",
            " tool(\"",
            "(tool(\"",
            "require(\"",
        ];
        // Every Rust file under these directories, at any depth.
        let mut files = Vec::new();
        let mut dirs: Vec<_> = ["tests", "xtask/src", "size-report/src", "lists/src"]
            .iter()
            .map(|dir| root().join(dir))
            .collect();
        while let Some(dir) = dirs.pop() {
            for entry in fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() && !path.ends_with("fixtures") {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    files.push(path);
                }
            }
        }
        let mut unlisted = Vec::new();
        let mut seen = 0;
        for file in &files {
            let text = fs::read_to_string(file).unwrap();
            let code = text.lines().filter(|l| !l.trim_start().starts_with("//"));
            for line in code {
                for (at, pattern) in patterns.iter().flat_map(|p| line.match_indices(p)) {
                    let rest = &line[at + pattern.len()..];
                    let program = &rest[..rest.find('"').unwrap()];
                    seen += 1;
                    if !NOT_PACKAGED.contains(&program)
                        && !TOOLS.iter().any(|t| t.program == program)
                    {
                        unlisted.push(format!("{program} ({})", file.display()));
                    }
                }
            }
        }
        assert!(
            seen > 20,
            "the scan found only {seen} programs: has the code changed shape?"
        );
        assert!(
            unlisted.is_empty(),
            "not in lists/src/tools.rs: {unlisted:?}"
        );
    }

    #[test]
    fn deb822_binary_stanzas_become_source_stanzas() {
        let text = "Types: deb\n# a comment\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\n\
                    Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n\
                    Types: deb deb-src\nURIs: http://example.org\nSuites: x\nComponents: main\n";
        assert_eq!(
            deb822_source_stanzas(text, "deb-src"),
            [
                "Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\n\
              Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
            ]
        );
    }

    #[test]
    fn classic_deb_lines_become_deb_src_lines() {
        let text = "# debootstrap's\ndeb http://deb.debian.org/debian bookworm main\n\
                    deb-src http://deb.debian.org/debian bookworm main\n\
                    deb [signed-by=/k.gpg] http://security.debian.org bookworm-security main\n\
                    #deb http://old bookworm main\n";
        assert_eq!(
            one_line_source_entries(text, "deb-src"),
            [
                "deb-src http://deb.debian.org/debian bookworm main\n",
                "deb-src [signed-by=/k.gpg] http://security.debian.org bookworm-security main\n"
            ]
        );
    }
}
