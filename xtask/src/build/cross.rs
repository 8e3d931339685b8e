//! What the tests under qemu need from the machine, for each family: Debian's cross C
//! toolchain, a musl built with it for the family's weakest CPU, and binfmt_misc entries that
//! send the test processes through the family's qemu.

use crate::build::targets::{CrossC, Target};
use crate::cmd::{Result, fail, is_root, root, run_quiet};
use crate::setup::apt_install;
use lists::tools::is_present;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

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
    // Debian's qemu-user-binfmt names its own interpreters `…/qemu-binfmt/arm-binfmt-P`.
    let debian_interpreter = format!("/{}-binfmt-P", qemu.trim_start_matches("qemu-"));
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
                                i == interpreter || i.ends_with(&debian_interpreter)
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
    let runtime = runtime_library(target, c, &build)?
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" ");
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
/// same CPU), and the complex multiplications it lacks, built here into `build`. Returns
/// the archives, in link order. Static C programs link them in place of libgcc too.
pub fn runtime_library(target: &Target, c: &CrossC, build: &Path) -> Result<Vec<PathBuf>> {
    let deps = root()
        .join(crate::build::targets::Kind::SharedObject.target_dir())
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
    Ok(vec![builtins.path(), archive])
}

/// Debian's musl source, unpacked once into `base/src`; returns its tree. Every target
/// builds it out of tree.
fn musl_source(base: &Path) -> Result<PathBuf> {
    crate::setup::debian_source("musl", &base.join("src"), "configure")
}
