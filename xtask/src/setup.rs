//! What the build and the tests need from the machine, installed when missing (as root) or
//! named with the exact command to run.

use crate::cmd::{Result, capture, fail, is_root, root, run, run_quiet};
use crate::targets::{CrossC, Target};
use crate::tools::{Need, TOOLS, is_present};
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
fn apt_install(packages: &[&str]) -> Result<String> {
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

/// Debian's cross C toolchain for `c` (compiler, binutils, the C library's headers and start
/// files, without which musl's configure makes no gcc wrapper), installed when missing.
pub fn cross_c(c: &CrossC) -> Result {
    let gcc = format!("{}-gcc", c.prefix);
    let ar = format!("{}-ar", c.prefix);
    let crt1 = format!("/usr/{}/lib/crt1.o", c.prefix);
    if is_present(&gcc) && is_present(&ar) && is_present(&crt1) {
        return Ok(());
    }
    let packages = [
        format!("gcc-{}", c.prefix),
        format!("binutils-{}", c.prefix),
        format!("libc6-dev-{}-cross", c.debian_arch),
    ];
    eprintln!(
        "xtask: missing the {} cross C toolchain ({gcc}, {crt1})",
        c.prefix
    );
    let packages: Vec<&str> = packages.iter().map(String::as_str).collect();
    let install = apt_install(&packages)?;
    if is_present(&gcc) && is_present(&ar) && is_present(&crt1) {
        Ok(())
    } else {
        fail(format!("{gcc} or {crt1} still missing after `{install}`"))
    }
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

const BINFMT_DIR: &str = "/proc/sys/fs/binfmt_misc";

/// The binfmt_misc magic and mask of 32-bit x86 ELF programs, which Debian's qemu-user-binfmt
/// leaves out on amd64 (the kernel would run them natively, on the host's CPU).
const I386_MAGIC: (&str, &str) = (
    r"\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x03\x00",
    r"\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff",
);

/// A binfmt_misc entry that sends programs of one architecture to its qemu, for as long as
/// this value lives: `-Z panic-abort-tests` runs every test in a child process, which the
/// kernel must exec, and `QEMU_CPU` reaches the child through it. An entry that was there
/// already (Debian's qemu-user-binfmt makes them) is used and left alone; one made here is
/// removed when the value is dropped.
pub struct Binfmt {
    made: Option<PathBuf>,
}

impl Drop for Binfmt {
    fn drop(&mut self) {
        if let Some(entry) = self.made.take() {
            let _ = fs::write(&entry, "-1");
        }
    }
}

/// Makes sure that the kernel runs `qemu`'s programs (`qemu-arm` …) through it.
pub fn binfmt_for(qemu: &str) -> Result<Binfmt> {
    let interpreter = format!("/usr/bin/{qemu}");
    let registered = || -> bool {
        fs::read_dir(BINFMT_DIR)
            .into_iter()
            .flatten()
            .flatten()
            .any(|entry| {
                fs::read_to_string(entry.path()).is_ok_and(|text| {
                    text.starts_with("enabled")
                        && text.lines().any(|l| {
                            l.strip_prefix("interpreter ").is_some_and(|i| {
                                i == interpreter || i.ends_with(&format!("/{qemu}-binfmt-P"))
                            })
                        })
                })
            })
    };
    let register = Path::new(BINFMT_DIR).join("register");
    if register.exists() && registered() {
        return Ok(Binfmt { made: None });
    }
    let (magic, mask) = if qemu == "qemu-i386" {
        (I386_MAGIC.0.to_string(), I386_MAGIC.1.to_string())
    } else {
        let description =
            fs::read_to_string(format!("/usr/share/binfmts/{qemu}")).or_else(|_| {
                fail(format!(
                    "/usr/share/binfmts/{qemu} is missing: apt-get install qemu-user-binfmt"
                ))
            })?;
        let field = |key: &str| {
            description
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .map(str::trim)
                .unwrap_or_default()
                .to_string()
        };
        (field("magic "), field("mask "))
    };
    let name = format!("gluon-wan-tools-{qemu}");
    let line = format!(":{name}:M:0:{magic}:{mask}:{interpreter}:");
    if !is_root() {
        return fail(format!(
            "the tests under {qemu} need binfmt_misc to run their child processes through it. \
             As root, run:\n  mount -t binfmt_misc binfmt_misc {BINFMT_DIR} 2>/dev/null; \
             echo '{line}' > {BINFMT_DIR}/register"
        ));
    }
    if !register.exists() {
        run_quiet(Command::new("mount").args(["-t", "binfmt_misc", "binfmt_misc", BINFMT_DIR]))?;
    }
    let entry = Path::new(BINFMT_DIR).join(&name);
    if entry.exists() {
        // Left by a run that was killed: disabled or stale, made anew.
        fs::write(&entry, "-1")?;
    }
    fs::write(&register, line.as_bytes())?;
    Ok(Binfmt { made: Some(entry) })
}

/// The musl that `target`'s tests link against, built with its cross compiler for the
/// family's weakest CPU from Debian's source package, cached in `target/sysroot/<triple>`.
pub fn musl_sysroot(target: &Target, c: &CrossC) -> Result<PathBuf> {
    // Changes whenever the recipe does, so that an older sysroot is built again.
    let stamp = format!(
        "musl from Debian source; {}; unwind stubs v2; gcc wrapper v2; compiler_builtins \
         for libgcc v2\n",
        c.cflags.join(" ")
    );
    let base = root().join("target/sysroot");
    let sysroot = base.join(target.triple);
    if fs::read_to_string(sysroot.join("stamp")).is_ok_and(|s| s == stamp) {
        return Ok(sysroot);
    }
    cross_c(c)?;
    eprintln!(
        "xtask: building musl for {} from Debian's source package (once; about a minute)",
        target.triple
    );
    let tree = musl_source(&base)?;
    let build = base.join("build").join(target.triple);
    let _ = fs::remove_dir_all(&build);
    let _ = fs::remove_dir_all(&sysroot);
    fs::create_dir_all(&build)?;
    let prefix = sysroot.to_string_lossy().into_owned();
    // The cross tools come from `cross_c`, not from the tool list.
    let cross_tool = |name: &str| format!("{}-{name}", c.prefix);
    let runtime = runtime_library(target, c, &build)?;
    run_quiet(
        Command::new(tree.join("configure"))
            .current_dir(&build)
            .arg(format!("--target={}", c.musl_target))
            .arg(format!("CC={}", cross_tool("gcc")))
            .arg(format!("CFLAGS=-Os {}", c.cflags.join(" ")))
            .arg(format!("LIBCC={runtime}"))
            .arg(format!("--prefix={prefix}"))
            .arg(format!("--syslibdir={prefix}/lib")),
    )?;
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    run_quiet(Command::new("make").current_dir(&build).args([
        &format!("-j{jobs}"),
        &format!("AR={}", cross_tool("ar")),
        &format!("RANLIB={}", cross_tool("ranlib")),
        "install",
    ]))?;
    if !sysroot.join("lib/musl-gcc.specs").is_file() {
        return fail(format!(
            "musl's configure made no gcc wrapper (lib/musl-gcc.specs): it needs the C \
             library headers, apt-get install libc6-dev-{}-cross",
            c.debian_arch
        ));
    }
    // std refers to these for backtraces and unwinding, which a panic=abort test never
    // takes; stubs satisfy the linker without a libunwind. (`_Unwind_VRS_Get` is ARM's:
    // there std's `_Unwind_GetIP` is an inline wrapper around it.)
    let stub = sysroot.join("unwind-stubs.c");
    fs::write(
        &stub,
        "int _Unwind_Backtrace(void *trace, void *arg) { (void)trace; (void)arg; return 5; }\n\
         unsigned long _Unwind_GetIP(void *c) { (void)c; return 0; }\n\
         unsigned long _Unwind_GetCFA(void *c) { (void)c; return 0; }\n\
         unsigned long _Unwind_GetDataRelBase(void *c) { (void)c; return 0; }\n\
         unsigned long _Unwind_GetTextRelBase(void *c) { (void)c; return 0; }\n\
         void *_Unwind_FindEnclosingFunction(void *pc) { (void)pc; return 0; }\n\
         int _Unwind_VRS_Get(void *c, int a, unsigned b, int d, void *v) \
         { (void)c; (void)a; (void)b; (void)d; (void)v; return 2; }\n",
    )?;
    let object = sysroot.join("unwind-stubs.o");
    run_quiet(
        Command::new(cross_tool("gcc"))
            .args(c.cflags)
            .args(["-Os", "-c"])
            .arg(&stub)
            .arg("-o")
            .arg(&object),
    )?;
    run_quiet(
        Command::new(cross_tool("ar"))
            .arg("rcs")
            .arg(sysroot.join("lib/libunwind.a"))
            .arg(&object),
    )?;
    fs::write(sysroot.join("stamp"), stamp)?;
    Ok(sysroot)
}

/// What `libc.so` takes from the compiler's runtime, in place of Debian's libgcc, which is
/// built for the wrong CPU or float ABI (armhf's is Thumb-2, where ARMv6 musl needs its
/// division helpers; PowerPC's is hard-float and will not link with a soft-float musl):
/// compiler_builtins from the target's preload build (`dist`, position-independent, for the
/// same CPU), and the complex multiplications it lacks, built here. Returns `LIBCC`.
fn runtime_library(target: &Target, c: &CrossC, build: &Path) -> Result<String> {
    let deps = root()
        .join(crate::targets::Kind::SharedObject.target_dir())
        .join(target.triple)
        .join("ship/deps");
    let newest = fs::read_dir(&deps)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with("libcompiler_builtins-") && name.ends_with(".rlib")
        })
        .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok());
    let Some(builtins) = newest else {
        return fail(format!(
            "no compiler_builtins in {}: run `cargo xtask dist` first",
            deps.display()
        ));
    };
    // Not Annex G's full treatment of infinities: the tests never multiply complex numbers,
    // but libc.so must link. Long double is x87's on x86 and 128-bit on AArch64.
    let source = build.join("complex-multiply.c");
    fs::write(
        &source,
        "#define MULTIPLY(name, type) type _Complex name(type a, type b, type c, type d) \\\n\
         { return __builtin_complex(a * c - b * d, a * d + b * c); }\n\
         MULTIPLY(__mulsc3, float)\n\
         MULTIPLY(__muldc3, double)\n\
         #if defined(__i386__) || defined(__x86_64__)\n\
         MULTIPLY(__mulxc3, long double)\n\
         #elif __LDBL_MANT_DIG__ == 113\n\
         MULTIPLY(__multc3, long double)\n\
         #endif\n",
    )?;
    let object = build.join("complex-multiply.o");
    run_quiet(
        Command::new(format!("{}-gcc", c.prefix))
            .args(c.cflags)
            .args(["-O2", "-fPIC", "-c"])
            .arg(&source)
            .arg("-o")
            .arg(&object),
    )?;
    let archive = build.join("libcomplex-multiply.a");
    run_quiet(
        Command::new(format!("{}-ar", c.prefix))
            .arg("rcs")
            .arg(&archive)
            .arg(&object),
    )?;
    Ok(format!(
        "{} {}",
        builtins.path().display(),
        archive.display()
    ))
}

/// Debian's musl source, unpacked once into `base/src`; returns its tree. Every target
/// builds it out of tree.
fn musl_source(base: &Path) -> Result<PathBuf> {
    let src = base.join("src");
    let find_tree = || {
        fs::read_dir(&src)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.is_dir()
                    && p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("musl-"))
                    && p.join("configure").is_file()
            })
    };
    if src.join("unpacked").is_file()
        && let Some(tree) = find_tree()
    {
        return Ok(tree);
    }
    let _ = fs::remove_dir_all(&src);
    fs::create_dir_all(&src)?;
    ensure_deb_src()?;
    run_quiet(
        Command::new("apt-get")
            .current_dir(&src)
            .args(["source", "-qq", "musl"]),
    )?;
    let Some(tree) = find_tree() else {
        return fail("apt-get source musl left no musl-* directory");
    };
    fs::write(src.join("unpacked"), "")?;
    Ok(tree)
}

/// Where the added `deb-src` entries go: one file per format, next to the machine's own.
const SOURCES_FILE: &str = "/etc/apt/sources.list.d/gluon-wan-tools-src.sources";
const LIST_FILE: &str = "/etc/apt/sources.list.d/gluon-wan-tools-src.list";

/// `apt-get source` needs `deb-src` entries. If there are none, add ones for the same mirrors
/// and suites as the machine's `deb` entries (as root), so nothing new is trusted. Both of
/// apt's formats count: deb822 `*.sources` files and classic one-line `sources.list` files.
fn ensure_deb_src() -> Result {
    let finds_source = || {
        capture(Command::new("apt-get").args(["source", "--print-uris", "-qq", "musl"])).is_ok_and(
            |o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains(".dsc"),
        )
    };
    if finds_source() {
        return Ok(());
    }
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
            Some("sources") => stanzas.extend(deb822_source_stanzas(&text)),
            Some("list") => lines.extend(one_line_source_entries(&text)),
            _ => {}
        }
    }
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

/// The `Types: deb` stanzas of a deb822 sources file, as `deb-src` stanzas.
fn deb822_source_stanzas(text: &str) -> Vec<String> {
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
                        "Types: deb-src".to_string()
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

/// The `deb` lines of a classic one-line sources file, as `deb-src` lines.
fn one_line_source_entries(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix("deb "))
        .map(|rest| format!("deb-src {}\n", rest.trim_start()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Programs that are not Debian packages of the project's to install: the toolchain
    /// (rustup's, the premise), apt itself, and what a build runs from the tree.
    const NOT_PACKAGED: &[&str] = &["cargo", "rustc", "rustup", "apt-get", "./configure"];

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
        let mut files = Vec::new();
        for dir in ["tests", "tests/tests", "xtask/src", "size-report/src"] {
            for entry in fs::read_dir(root().join(dir)).unwrap().flatten() {
                if entry.path().extension().is_some_and(|e| e == "rs") {
                    files.push(entry.path());
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
            "not in xtask/src/tools.rs: {unlisted:?}"
        );
    }

    #[test]
    fn deb822_binary_stanzas_become_source_stanzas() {
        let text = "Types: deb\n# a comment\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\n\
                    Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n\
                    Types: deb deb-src\nURIs: http://example.org\nSuites: x\nComponents: main\n";
        assert_eq!(
            deb822_source_stanzas(text),
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
            one_line_source_entries(text),
            [
                "deb-src http://deb.debian.org/debian bookworm main\n",
                "deb-src [signed-by=/k.gpg] http://security.debian.org bookworm-security main\n"
            ]
        );
    }
}
