//! `cargo xtask fresh-check`: the README's two commands on a machine that has nothing but
//! the premise, as a new user's would be.
//!
//! A minimal Debian 12 root is made with debootstrap, with the premise and nothing else: a C
//! linker (`gcc`, `libc6-dev`), `git`, `ca-certificates`, and the rustup binary alone (no
//! toolchain: installing the pinned one is part of what is checked). A clean clone of the
//! repository (what is committed, nothing else) goes into it, and `cargo xtask dist` and
//! `cargo xtask test` run there as root.
//!
//! The root is entered through namespaces of its own, never `chroot` (the kernel refuses user
//! namespaces to a chrooted process, and the tests make them): util-linux `unshare` makes a
//! user namespace (whose ids 0..65536 xtask maps onto themselves), a private mount namespace
//! and a PID namespace; then the namespace's first process mounts `/proc`, binds `/sys` and `/dev`,
//! `pivot_root`s into the root and drops the old one. Nothing on the host
//! may stand in for a missing package: the user namespace gets its own binfmt_misc instance
//! (Linux 6.7 and later), so a qemu entry registered on the host is not seen inside, which
//! the check proves before it starts. Every mount disappears with the namespaces, and the
//! PID namespace ends every process the commands left behind.

use crate::cmd::{Result, capture, fail, is_root, root, run_quiet};
use crate::setup;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Where the root is made (removed again after a passing check; kept for a look after a
/// failing one).
const WORK_DIR: &str = "target/fresh-check";
/// The premise of "a fresh Debian 12 machine with rustup": everything else is the project's to
/// install.
const PREMISE: &str = "gcc,libc6-dev,git,ca-certificates";
const SUITE: &str = "bookworm";
const MIRROR: &str = "http://deb.debian.org/debian";
/// Inside the root.
const CHECKOUT: &str = "/root/gluon-wan-tools";
const PATH: &str = "/root/.cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

pub fn fresh_check() -> Result {
    if !is_root() {
        return fail(
            "fresh-check runs as root (debootstrap, namespaces with the whole id range): \
             sudo cargo xtask fresh-check",
        );
    }
    setup::for_fresh_check()?;
    let commit = git_head()?;
    let work = root().join(WORK_DIR);
    let new_root = work.join("root");
    remove_root(&new_root)?;
    fs::create_dir_all(&work)?;
    let log = work.join("log.txt");
    fs::write(&log, "")?;
    eprintln!(
        "xtask: fresh-check of commit {commit}; everything the commands print goes to {}",
        log.display()
    );

    let started = Instant::now();
    eprintln!("xtask: debootstrap --variant=minbase {SUITE} with {PREMISE} (about a minute)");
    run_quiet(
        Command::new("debootstrap")
            .args(["--variant=minbase", &format!("--include={PREMISE}"), SUITE])
            .arg(&new_root)
            .arg(MIRROR),
    )?;
    fs::copy("/etc/resolv.conf", new_root.join("etc/resolv.conf"))?;
    // Certificate authorities the machine's network needs (an egress proxy's, say) belong to
    // the machine, not to the project: they go in with the name server.
    let local_cas = Path::new("/usr/local/share/ca-certificates");
    for entry in fs::read_dir(local_cas).into_iter().flatten().flatten() {
        fs::copy(
            entry.path(),
            new_root
                .join("usr/local/share/ca-certificates")
                .join(entry.file_name()),
        )?;
    }
    let Some(rustup) = lists::tools::find("rustup") else {
        return fail("rustup is not on PATH");
    };
    fs::copy(rustup, new_root.join("root/rustup-init"))?;
    run_quiet(
        Command::new("git")
            .args(["clone", "--quiet", "--no-local"])
            .arg(root())
            .arg(new_root.join(CHECKOUT.trim_start_matches('/'))),
    )?;
    let made = started.elapsed();

    let mut steps: Vec<(&str, Duration, bool, String)> = Vec::new();
    let checks = [
        (
            "an empty binfmt_misc of its own: no host entry stands in",
            "set -e; test -e /proc/sys/fs/binfmt_misc/register; \
             ! ls /proc/sys/fs/binfmt_misc | grep -v -x -e register -e status"
                .to_string(),
        ),
        (
            "the machine's own certificate authorities",
            "update-ca-certificates >/dev/null".to_string(),
        ),
        (
            "rustup installed, no toolchain",
            "/root/rustup-init -y --quiet --no-modify-path --default-toolchain none".to_string(),
        ),
        (
            "cargo xtask dist",
            format!("cd {CHECKOUT} && cargo xtask dist"),
        ),
        (
            "cargo xtask test",
            format!("cd {CHECKOUT} && cargo xtask test"),
        ),
    ];
    for (name, script) in &checks {
        eprintln!("xtask: fresh-check: {name}: `{script}`");
        let begun = Instant::now();
        let out = inside(&new_root, script, &log)?;
        let ok = out.0;
        steps.push((name, begun.elapsed(), ok, out.1));
        if !ok {
            break;
        }
    }

    println!(
        "fresh-check of commit {commit} on a new Debian 12 root ({SUITE}, minbase + {PREMISE}):"
    );
    println!(
        "  {:>8}  ok    the root (debootstrap, rustup binary, clean clone)",
        minutes(made)
    );
    for (name, time, ok, summary) in &steps {
        let verdict = if *ok { "ok    " } else { "FAILED" };
        println!("  {:>8}  {verdict}{name}{summary}", minutes(*time));
    }
    let passed = steps.len() == checks.len() && steps.iter().all(|s| s.2);
    if passed {
        remove_root(&new_root)?;
        println!("fresh-check passed; the log is {}", log.display());
        Ok(())
    } else {
        fail(format!(
            "fresh-check failed; the log is {} and the root is kept in {}",
            log.display(),
            new_root.display()
        ))
    }
}

/// Runs `script` with `sh` inside the root, its output shown and appended to `log`; returns
/// whether it passed and, for `cargo xtask test`, its closing count.
fn inside(new_root: &Path, script: &str, log: &Path) -> Result<(bool, String)> {
    let mut cmd = Command::new("unshare");
    cmd.args([
        "--user",
        "--mount",
        "--propagation",
        "private",
        "--pid",
        "--fork",
        "--",
        "/bin/sh",
        "-c",
        ENTER,
        "enter",
    ])
    .arg(format!("exec 2>&1; {script}"))
    .arg(new_root)
    .env("PATH_INSIDE", PATH)
    .stdin(Stdio::piped())
    .stdout(Stdio::piped());
    let mut log_file = fs::OpenOptions::new().create(true).append(true).open(log)?;
    writeln!(log_file, "\n### {script}")?;
    let mut child = cmd.spawn()?;
    map_ids(child.id())?;
    // The namespace's first process waits for this line before it does anything.
    child.stdin.take().expect("piped").write_all(b"mapped\n")?;
    let mut count = String::new();
    for line in BufReader::new(child.stdout.take().expect("piped")).lines() {
        let line = line?;
        println!("{line}");
        writeln!(log_file, "{line}")?;
        if line.contains(" passed, ") && line.contains(" failed") {
            count = format!(": {line}");
        }
    }
    Ok((child.wait()?.success(), count))
}

/// Maps the ids 0..65536 of the user namespace that `unshare` (process `pid`) makes onto
/// the same ids outside, once it has made it. util-linux would ask `newuidmap` (package
/// uidmap) and /etc/subuid; root may write the maps itself.
fn map_ids(pid: u32) -> Result {
    let ours = fs::read_link("/proc/self/ns/user")?;
    let waited = Instant::now();
    while fs::read_link(format!("/proc/{pid}/ns/user"))? == ours {
        if waited.elapsed() > Duration::from_secs(10) {
            return fail("unshare made no user namespace within 10 s");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    fs::write(format!("/proc/{pid}/uid_map"), "0 0 65536\n")?;
    fs::write(format!("/proc/{pid}/gid_map"), "0 0 65536\n")?;
    Ok(())
}

/// What the namespace's first process runs (with `sh`, `$1` the script to run, `$2` the
/// root): the system mounts, `pivot_root` into the root, the old root dropped, binfmt_misc of
/// the user namespace's own, and the script as PID 1 with a clean environment. `mount`,
/// `umount` and `pivot_root` are util-linux's, in every Debian root.
///
/// `/sys` is bound in twice. `ip netns exec` and `ip -n` unmount `/sys` and mount a fresh
/// sysfs for the namespace they enter, and inside a user namespace the kernel allows that
/// only while another sysfs mount stays fully visible (`mount_too_revealing`); the second
/// binding, `/run/sysfs-kept-visible`, is that one. Root on a real machine needs none of it.
const ENTER: &str = r#"set -eu
read mapped
mount --rbind "$2" "$2"
mount -t proc proc "$2/proc"
mount --rbind /sys "$2/sys"
mount --rbind /dev "$2/dev"
mkdir -p "$2/run/sysfs-kept-visible"
mount --rbind /sys "$2/run/sysfs-kept-visible"
cd "$2"
mkdir -p .old-root
pivot_root . .old-root
cd /
umount -l /.old-root
rmdir /.old-root
mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
exec env -i HOME=/root USER=root LANG=C.UTF-8 PATH="$PATH_INSIDE" /bin/sh -c "$1"
"#;

/// Removes an earlier root, but never while anything is mounted inside it.
fn remove_root(new_root: &Path) -> Result {
    if !new_root.exists() {
        return Ok(());
    }
    let mounts = fs::read_to_string("/proc/self/mountinfo")?;
    let prefix = new_root.to_string_lossy();
    if mounts
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .any(|point| point.starts_with(&*prefix))
    {
        return fail(format!(
            "something is still mounted under {prefix}: not removing it"
        ));
    }
    Ok(fs::remove_dir_all(new_root)?)
}

fn git_head() -> Result<String> {
    let out =
        capture(
            Command::new("git")
                .current_dir(root())
                .args(["rev-parse", "--short=12", "HEAD"]),
        )?;
    let dirty = capture(Command::new("git").current_dir(root()).args([
        "status",
        "--porcelain",
        "--untracked-files=no",
    ]))?;
    if !dirty.stdout.is_empty() {
        eprintln!("xtask: note: uncommitted changes are not checked; the clone holds HEAD only");
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn minutes(time: Duration) -> String {
    let seconds = time.as_secs();
    format!("{}m{:02}s", seconds / 60, seconds % 60)
}
