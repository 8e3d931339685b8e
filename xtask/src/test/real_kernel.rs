//! `cargo xtask test`'s real-kernel step: every family's shipped files, checked on a real
//! Linux kernel of their own architecture. qemu-user translates system calls and restores
//! every register; a real kernel does neither (MIPS does not restore `$1` across a system
//! call, which once turned `routes`' exit status upside down on real machines only).
//!
//! For each family: an initramfs with the shipped files, busybox, musl's loader and our C
//! checks (`tests/real-kernel/driver.c` as `/init`, `tests/programs/` for the preload's and
//! dns54's peers), booted under qemu-system with the machine of `lists/src/targets.rs`; x86-64
//! runs the same tree natively, as the first process of namespaces of its own. The driver
//! prints one `GWT-CHECK` line per check; each counts in the run's tally like a test.
//! Kernels and busybox come from Debian where Debian has them, otherwise they are built
//! from Debian's sources (`parts.rs`), and are kept in a cache outside the checkout.

mod cpio;
mod parts;

use crate::build::targets::{Machine, PRELOAD_FILE, PROGRAMS, Target};
use crate::cmd::{Result, fail, root, run_quiet};
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// What the driver reported: each check with its verdict (and why it failed), how many it
/// planned, and the lines that explain a failure.
#[derive(Debug, Default, PartialEq)]
pub struct Report {
    pub checks: Vec<(String, std::result::Result<(), String>)>,
    pub planned: usize,
    pub ended: bool,
    pub info: Vec<String>,
}

impl Report {
    /// Reads the console: the driver's lines, wherever the kernel's own messages and the
    /// serial line's `\r` fall around them.
    pub fn parse(console: &str) -> Report {
        let mut report = Report::default();
        for line in console.lines() {
            let line = line.trim_end_matches('\r');
            let Some(at) = line.find("GWT-") else {
                continue;
            };
            let line = &line[at..];
            if let Some(n) = line.strip_prefix("GWT-PLAN ") {
                report.planned = n.trim().parse().unwrap_or(0);
            } else if let Some(name) = line.strip_prefix("GWT-CHECK ok ") {
                report.checks.push((name.to_string(), Ok(())));
            } else if let Some(rest) = line.strip_prefix("GWT-CHECK FAILED ") {
                let (name, why) = rest.split_once(": ").unwrap_or((rest, ""));
                report.checks.push((name.to_string(), Err(why.to_string())));
            } else if let Some(text) = line.strip_prefix("GWT-INFO ") {
                report.info.push(text.to_string());
            } else if line.starts_with("GWT-END") {
                report.ended = true;
            }
        }
        report
    }

    /// Checks that were planned and never reported: the guest stopped half-way.
    pub fn missing(&self) -> usize {
        self.planned.saturating_sub(self.checks.len())
    }
}

/// The directory of cached kernels, busybox builds and Debian packages.
pub fn cache_dir() -> PathBuf {
    crate::setup::cache::dir("real-kernel")
}

/// Builds the tree for `target`, boots it (or runs it natively) and reads the driver's report.
/// `sysroot` is the family's musl (`cross::musl_sysroot`); the host's musl-gcc serves x86-64.
pub fn check(target: &Target, sysroot: Option<&Path>) -> Result<Report> {
    let work = root().join("target/real-kernel").join(target.triple);
    let tree = work.join("tree");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&tree)?;
    populate(target, sysroot, &tree, &work)?;
    let console = match &target.machine {
        Some(machine) => boot(target, machine, &tree, &work)?,
        None => natively(&tree)?,
    };
    fs::write(work.join("console.log"), &console)?;
    Ok(Report::parse(&console))
}

/// Everything `/init` needs, at the paths an OpenWrt node has them.
fn populate(target: &Target, sysroot: Option<&Path>, tree: &Path, work: &Path) -> Result {
    for dir in [
        "bin", "dev", "etc", "lib", "proc", "tmp", "usr/bin", "usr/lib", "usr/sbin",
    ] {
        fs::create_dir_all(tree.join(dir))?;
    }
    let dist = root().join("target/dist").join(target.triple);
    for program in PROGRAMS {
        copy_executable(&dist.join(program), &tree.join("usr/sbin").join(program))?;
    }
    copy_executable(
        &dist.join(PRELOAD_FILE),
        &tree.join("usr/lib").join(PRELOAD_FILE),
    )?;
    fs::write(
        tree.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/var:/bin/false\n",
    )?;
    fs::write(
        tree.join("etc/group"),
        "root:x:0:\ngluon-mesh-vpn:x:800:\nnogroup:x:65534:\n",
    )?;

    let compiler = CCompiler::for_target(target, sysroot, work)?;
    let sources = root().join("tests");
    compiler.build(
        &sources.join("real-kernel/driver.c"),
        &tree.join("init"),
        Linkage::Static,
    )?;
    compiler.build(
        &sources.join("programs/upstream.c"),
        &tree.join("usr/bin/upstream"),
        Linkage::Static,
    )?;
    compiler.build(
        &sources.join("programs/marktest.c"),
        &tree.join("usr/bin/marktest"),
        Linkage::Dynamic,
    )?;
    copy_executable(
        &compiler.loader,
        &tree.join("lib").join(&compiler.loader_name),
    )?;

    let busybox = match &target.machine {
        Some(machine) => parts::busybox(target, machine, &compiler.command_line(), work)?,
        None => parts::debian_busybox("amd64")?,
    };
    copy_executable(&busybox, &tree.join("bin/busybox"))
}

fn copy_executable(from: &Path, to: &Path) -> Result {
    fs::copy(from, to).or_else(|e| fail(format!("{}: {e}", from.display())))?;
    Ok(())
}

#[derive(Clone, Copy)]
enum Linkage {
    Static,
    Dynamic,
}

/// A C compiler that builds for the family's musl as the guest has it: the cross GCC with a
/// specs file of its own for a family under qemu (`guest_specs`), the host's `musl-gcc` for
/// x86-64. `loader` is the musl's `libc.so`, which is its own dynamic loader, installed in
/// the guest as `loader_name`.
struct CCompiler {
    program: String,
    flags: Vec<String>,
    loader: PathBuf,
    loader_name: String,
}

impl CCompiler {
    fn for_target(target: &Target, sysroot: Option<&Path>, work: &Path) -> Result<CCompiler> {
        let (Some(c), Some(sysroot)) = (&target.c, sysroot) else {
            let loader = PathBuf::from("/lib/ld-musl-x86_64.so.1");
            return Ok(CCompiler {
                program: "musl-gcc".into(),
                flags: vec![],
                loader: fs::canonicalize(&loader)
                    .or_else(|e| fail(format!("{}: {e}", loader.display())))?,
                loader_name: "ld-musl-x86_64.so.1".into(),
            });
        };
        let lib = sysroot.join("lib");
        let loader_name = fs::read_dir(&lib)?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .find(|name| name.starts_with("ld-musl-") && name.ends_with(".so.1"));
        let Some(loader_name) = loader_name else {
            return fail(format!("no ld-musl-*.so.1 in {}", lib.display()));
        };
        let runtime = crate::build::cross::runtime_library(target, c, work)?;
        let specs = work.join("guest.specs");
        fs::write(&specs, guest_specs(&lib, &runtime, &loader_name))?;
        let mut flags = vec![format!("-specs={}", specs.display())];
        flags.extend(c.cflags.iter().map(|f| f.to_string()));
        Ok(CCompiler {
            program: format!("{}-gcc", c.prefix),
            flags,
            loader: lib.join("libc.so"),
            loader_name,
        })
    }

    fn build(&self, source: &Path, output: &Path, linkage: Linkage) -> Result {
        let mut cmd = Command::new(&self.program);
        cmd.args(["-Wall", "-Wextra", "-Werror", "-O2"])
            .args(&self.flags)
            .arg(format!("-I{}", root().join("tests/programs").display()));
        if let Linkage::Static = linkage {
            cmd.arg("-static");
        }
        run_quiet(cmd.arg(source).arg("-pthread").arg("-o").arg(output))
    }

    /// `CC` for a build system (busybox's): the compiler and its flags as one word list.
    fn command_line(&self) -> String {
        let mut line = self.program.clone();
        for flag in &self.flags {
            line.push(' ');
            line.push_str(flag);
        }
        line
    }
}

/// GCC's specs for programs in the guest: musl's headers and start files, the dynamic loader
/// at the path the guest has it, and in place of Debian's libgcc (built for stronger CPUs on
/// some families, hard-float on PowerPC) the compiler runtime of the shipped builds, as the
/// tests under qemu link; no crtbegin/crtend, which musl does not need.
fn guest_specs(lib: &Path, runtime: &[PathBuf], loader_name: &str) -> String {
    let lib = lib.display();
    let include = format!("{lib}/../include");
    let runtime: Vec<String> = runtime.iter().map(|p| p.display().to_string()).collect();
    format!(
        "%rename cpp_options old_cpp_options\n\n\
         *cpp_options:\n-nostdinc -isystem {include} -isystem include%s %(old_cpp_options)\n\n\
         *cc1:\n%(cc1_cpu) -nostdinc -isystem {include} -isystem include%s\n\n\
         *link_libgcc:\n-L{lib}\n\n\
         *libgcc:\n{}\n\n\
         *startfile:\n%{{static: {lib}/crt1.o}} %{{!static: {lib}/Scrt1.o}} {lib}/crti.o\n\n\
         *endfile:\n{lib}/crtn.o\n\n\
         *link:\n-dynamic-linker /lib/{loader_name} -nostdlib %{{shared:-shared}} \
         %{{static:-static}} %{{rdynamic:-export-dynamic}}\n\n",
        runtime.join(" ")
    )
}

/// The longest a guest may take from start to power-off: software-emulated machines boot
/// in 5–20 s on 2 cores, and the checks take seconds; this is for a machine that hangs.
const GUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// Boots the tree as an initramfs on `machine`; the serial console's text.
fn boot(target: &Target, machine: &Machine, tree: &Path, work: &Path) -> Result<String> {
    let kernel = parts::kernel(target, machine)?;
    let initramfs = work.join("initramfs.cpio");
    cpio::write_tree(tree, &initramfs)?;
    let mut cmd = Command::new(machine.qemu);
    cmd.args(machine.args)
        .arg("-kernel")
        .arg(&kernel.image)
        .arg("-initrd")
        .arg(&initramfs);
    if let Some(dtb) = &kernel.dtb {
        cmd.arg("-dtb").arg(dtb);
    }
    let append = format!(
        "console={} rdinit=/init panic=-1 {}",
        machine.console, machine.append
    );
    cmd.args(["-append", append.trim_end()])
        .args(["-nographic", "-no-reboot", "-nic", "none"]);
    console_of(cmd)
}

/// Runs the tree on the machine's own kernel: `/init` as the first process of new network,
/// mount and PID namespaces, with the tree as its root (as root: the checks change users).
fn natively(tree: &Path) -> Result<String> {
    if !crate::cmd::is_root() {
        return fail("the x86-64 checks run as root (they change users and mount /proc)");
    }
    let mut cmd = Command::new("unshare");
    cmd.args(["--net", "--mount", "--pid", "--fork"])
        .arg(format!("--root={}", tree.display()))
        .arg("/init")
        .env_clear()
        .env("GWT_NATIVE", "1");
    console_of(cmd)
}

/// Runs `cmd` until the driver's last line (or its end, or `GUEST_TIMEOUT`), then stops it:
/// the guest powers off after that line, but not every machine ends qemu then (the Raspberry
/// Pi's halts and stays); its standard output and error.
fn console_of(mut cmd: Command) -> Result<String> {
    eprintln!("xtask: {}", crate::cmd::display(&cmd));
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .or_else(|e| fail(format!("{}: {e}", cmd.get_program().to_string_lossy())))?;
    let (lines, received) = mpsc::channel();
    for stream in [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let lines = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream)
                .split(b'\n')
                .map_while(std::result::Result::ok)
            {
                let _ = lines.send(String::from_utf8_lossy(&line).into_owned());
            }
        });
    }
    drop(lines);
    let started = Instant::now();
    let mut console = String::new();
    let mut timed_out = false;
    loop {
        let left = GUEST_TIMEOUT.saturating_sub(started.elapsed());
        match received.recv_timeout(left) {
            Ok(line) => {
                let end = line.contains("GWT-END");
                console.push_str(&line);
                console.push('\n');
                if end {
                    break;
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                timed_out = true;
                break;
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    if timed_out {
        console.push_str(&format!(
            "xtask: stopped after {} s without an end\n",
            GUEST_TIMEOUT.as_secs()
        ));
    }
    Ok(console)
}

#[cfg(test)]
mod tests {
    use super::Report;

    #[test]
    fn reads_the_drivers_lines_among_the_kernels() {
        let console = "[    1.2] Run /init as init process\r\nGWT-PLAN 3\r\n\
                       GWT-CHECK ok routes up exits 0\r\n\
                       [    1.9] random: crng init done\r\n\
                       GWT-CHECK FAILED dns54 answers: rcode 2\r\n\
                       GWT-INFO routes: a: b\r\n";
        let report = Report::parse(console);
        assert_eq!(report.planned, 3);
        assert_eq!(
            report.checks,
            vec![
                ("routes up exits 0".to_string(), Ok(())),
                ("dns54 answers".to_string(), Err("rcode 2".to_string())),
            ]
        );
        assert_eq!(report.info, vec!["routes: a: b".to_string()]);
        // The guest stopped before its last check and its end line.
        assert!(!report.ended);
        assert_eq!(report.missing(), 1);
    }

    #[test]
    fn finds_a_line_the_kernel_printed_into() {
        let report = Report::parse("[ 2.0] eth0: linkGWT-CHECK ok viawan\nGWT-END\n");
        assert_eq!(report.checks, vec![("viawan".to_string(), Ok(()))]);
        assert!(report.ended);
    }
}
