//! What the build and the tests need from the machine, installed when missing (as root) or
//! named with the exact command to run.

use crate::cmd::{Result, capture, fail, is_root, root, run, run_quiet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Debian packages, each with what it is for.
const PACKAGES: &[(&str, &str)] = &[
    ("qemu-user", "runs the MIPS builds (qemu-mips, qemu-mipsel)"),
    (
        "gcc-mips-linux-gnu",
        "builds the MIPS soft-float musl and links the MIPS test binaries",
    ),
    (
        "binutils-mips-linux-gnu",
        "the MIPS assembler and archiver for that musl",
    ),
    (
        "dpkg-dev",
        "`apt-get source` unpacks Debian's musl source with it",
    ),
    (
        "musl-tools",
        "x86_64 musl-gcc: native test programs against musl",
    ),
    (
        "dnsmasq-base",
        "the real DNS forwarder the tests compare with and preload into",
    ),
    ("strace", "tests check which syscalls a process made"),
    ("iproute2", "`ip` for the network-namespace tests"),
    (
        "python3",
        "a glibc test program that creates sockets and reads SO_MARK back",
    ),
    ("make", "builds the musl sysroot"),
    (
        "binutils",
        "readelf and size: the tests check size-report's figures against them",
    ),
];

/// What size-report runs to estimate flash cost.
const SIZE_PACKAGES: &[(&str, &str)] = &[
    ("xz-utils", "size-report's per-file xz estimate"),
    (
        "squashfs-tools",
        "size-report's squashfs image (mksquashfs)",
    ),
];

/// Everything `cargo xtask dist` and `cargo xtask size` need.
pub fn for_dist() -> Result {
    rust_components()?;
    debian_packages(SIZE_PACKAGES)
}

/// Everything `cargo xtask test` needs.
pub fn for_test() -> Result {
    rust_components()?;
    debian_packages(&[SIZE_PACKAGES, PACKAGES].concat())?;
    binfmt_for_qemu_mips()
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

fn package_installed(name: &str) -> bool {
    capture(Command::new("dpkg-query").args(["-W", "-f=${Status}", name]))
        .map(|out| String::from_utf8_lossy(&out.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

fn debian_packages(packages: &[(&str, &str)]) -> Result {
    let missing: Vec<&str> = packages
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !package_installed(name))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    for (name, why) in packages.iter().filter(|(n, _)| missing.contains(n)) {
        eprintln!("xtask: missing Debian package {name}: {why}");
    }
    if !is_root() {
        return fail(format!(
            "install them first: sudo apt-get update && sudo apt-get install -y {}",
            missing.join(" ")
        ));
    }
    run(Command::new("apt-get").arg("update").arg("-qq"))?;
    run(Command::new("apt-get")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(&missing))
}

const BINFMT_DIR: &str = "/proc/sys/fs/binfmt_misc";

/// `-Z panic-abort-tests` runs every MIPS test in a child process, which the kernel must be
/// able to exec: binfmt_misc sends MIPS ELF files to qemu-mips. Registration is machine-wide,
/// so it is done once, only as root, and only if no entry for qemu-mips exists.
fn binfmt_for_qemu_mips() -> Result {
    let registered = |dir: &Path| -> bool {
        fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .any(|entry| {
                fs::read_to_string(entry.path()).is_ok_and(|text| {
                    text.starts_with("enabled")
                        && text.lines().any(|l| {
                            l.starts_with("interpreter")
                                && (l.ends_with("qemu-mips") || l.ends_with("mips-binfmt-P"))
                        })
                })
            })
    };
    let register = Path::new(BINFMT_DIR).join("register");
    if register.exists() && registered(Path::new(BINFMT_DIR)) {
        return Ok(());
    }
    let description = fs::read_to_string("/usr/share/binfmts/qemu-mips")
        .or_else(|_| fail("/usr/share/binfmts/qemu-mips is missing: apt-get install qemu-user"))?;
    let field = |key: &str| {
        description
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .map(str::trim)
            .unwrap_or_default()
            .to_string()
    };
    let line = format!(
        ":gluon-wan-tools-qemu-mips:M:0:{}:{}:/usr/bin/qemu-mips:",
        field("magic "),
        field("mask ")
    );
    if !is_root() {
        return fail(format!(
            "the MIPS tests need binfmt_misc to run MIPS programs through qemu-mips. As root, run:\n  \
             mount -t binfmt_misc binfmt_misc {BINFMT_DIR} 2>/dev/null; echo '{line}' > {BINFMT_DIR}/register"
        ));
    }
    if !register.exists() {
        run_quiet(Command::new("mount").args(["-t", "binfmt_misc", "binfmt_misc", BINFMT_DIR]))?;
    }
    eprintln!("xtask: registering qemu-mips with binfmt_misc");
    fs::write(&register, line.as_bytes())?;
    Ok(())
}

/// The directory of a MIPS (big-endian, soft-float, 24Kc) musl built from Debian's source
/// package, cached under `target/`; the MIPS test binaries link against it.
pub fn mips_musl_sysroot() -> Result<PathBuf> {
    const STAMP: &str = "musl from Debian source; -Os -msoft-float -march=24kc; unwind stubs v1\n";
    let base = root().join("target/sysroot");
    let sysroot = base.join("mips-linux-musl-sf");
    if fs::read_to_string(sysroot.join("stamp")).is_ok_and(|s| s == STAMP) {
        return Ok(sysroot);
    }
    eprintln!(
        "xtask: building a MIPS soft-float musl from Debian's source package (once; about 30 s)"
    );
    let src = base.join("src");
    let _ = fs::remove_dir_all(&src);
    let _ = fs::remove_dir_all(&sysroot);
    fs::create_dir_all(&src)?;
    ensure_deb_src()?;
    run_quiet(
        Command::new("apt-get")
            .current_dir(&src)
            .args(["source", "-qq", "musl"]),
    )?;
    let Some(tree) = fs::read_dir(&src)?.flatten().map(|e| e.path()).find(|p| {
        p.is_dir()
            && p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("musl-"))
    }) else {
        return fail("apt-get source musl left no musl-* directory");
    };
    let prefix = sysroot.to_string_lossy().into_owned();
    run_quiet(Command::new("./configure").current_dir(&tree).args([
        "--target=mips-linux-musl",
        "CC=mips-linux-gnu-gcc",
        "CFLAGS=-Os -msoft-float -march=24kc",
        &format!("--prefix={prefix}"),
        &format!("--syslibdir={prefix}/lib"),
    ]))?;
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    run_quiet(Command::new("make").current_dir(&tree).args([
        &format!("-j{jobs}"),
        "AR=mips-linux-gnu-ar",
        "RANLIB=mips-linux-gnu-ranlib",
        "install",
    ]))?;
    // std refers to these two for backtraces, which a panic=abort test never takes; stubs
    // satisfy the linker without a MIPS libunwind.
    let stub = sysroot.join("unwind-stubs.c");
    fs::write(
        &stub,
        "int _Unwind_Backtrace(void *trace, void *arg) { (void)trace; (void)arg; return 5; }\n\
         unsigned long _Unwind_GetIP(void *context) { (void)context; return 0; }\n",
    )?;
    let object = sysroot.join("unwind-stubs.o");
    run_quiet(
        Command::new("mips-linux-gnu-gcc")
            .args(["-msoft-float", "-Os", "-c"])
            .arg(&stub)
            .arg("-o")
            .arg(&object),
    )?;
    run_quiet(
        Command::new("mips-linux-gnu-ar")
            .arg("rcs")
            .arg(sysroot.join("lib/libunwind.a"))
            .arg(&object),
    )?;
    fs::write(sysroot.join("stamp"), STAMP)?;
    Ok(sysroot)
}

const SOURCES_FILE: &str = "/etc/apt/sources.list.d/gluon-wan-tools-src.sources";

/// `apt-get source` needs `deb-src` entries. If there are none, add ones for the same mirrors
/// and suites as the machine's `deb` entries (as root), so nothing new is trusted.
fn ensure_deb_src() -> Result {
    let finds_source = || {
        capture(Command::new("apt-get").args(["source", "--print-uris", "-qq", "musl"])).is_ok_and(
            |o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains(".dsc"),
        )
    };
    if finds_source() {
        return Ok(());
    }
    let stanzas = deb_src_stanzas();
    if stanzas.is_empty() {
        return fail(
            "no deb-src entry for musl, and no deb822 `Types: deb` entry under /etc/apt/sources.list.d to mirror",
        );
    }
    if !is_root() {
        return fail(format!(
            "apt-get source needs deb-src entries. As root, write {SOURCES_FILE} with:\n\n{}\nthen run: apt-get update",
            stanzas.join("\n")
        ));
    }
    eprintln!(
        "xtask: adding deb-src entries for the machine's own Debian mirrors ({SOURCES_FILE})"
    );
    fs::write(SOURCES_FILE, stanzas.join("\n"))?;
    run_quiet(Command::new("apt-get").args(["update", "-qq"]))?;
    if finds_source() {
        Ok(())
    } else {
        fail("apt-get still finds no source package for musl")
    }
}

/// The machine's deb822 `Types: deb` stanzas, as `deb-src` stanzas.
fn deb_src_stanzas() -> Vec<String> {
    let mut stanzas = Vec::new();
    let dir = Path::new("/etc/apt/sources.list.d");
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "sources") || path == Path::new(SOURCES_FILE) {
            continue;
        }
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        for stanza in text.split("\n\n") {
            let is_binary_only = stanza.lines().any(|l| {
                l.strip_prefix("Types:")
                    .is_some_and(|t| t.split_whitespace().eq(["deb"]))
            });
            if is_binary_only {
                let lines: Vec<String> = stanza
                    .lines()
                    .filter(|l| !l.trim_start().starts_with('#'))
                    .map(|l| {
                        if l.starts_with("Types:") {
                            "Types: deb-src".to_string()
                        } else {
                            l.to_string()
                        }
                    })
                    .collect();
                stanzas.push(lines.join("\n") + "\n");
            }
        }
    }
    stanzas
}
