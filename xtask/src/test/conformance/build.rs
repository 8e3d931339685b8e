//! The real OpenWrt programs, built on this machine from their pinned sources with Debian's
//! compiler into one prefix in the cache: what a node runs, for the host's architecture.

use super::upstream::{Origin, tree, upstream};
use crate::cmd::{Result, capture, fail, run_quiet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const RECIPE: &str = "conformance build v8";

/// One upstream built with CMake, and how it differs from the plain
/// `cmake && make && make install`. `{prefix}` in a flag is the prefix of the build.
struct Build {
    name: &'static str,
    /// Built in its source tree, as OpenWrt builds it: a build step runs a file of the tree.
    in_tree: bool,
    /// More C flags.
    c_flags: &'static str,
    /// More CMake options.
    cmake: &'static [&'static str],
    /// The make target, when not everything.
    target: Option<&'static str>,
    /// What goes into the prefix: `make install` (none here), or these files of the build
    /// directory to these places (their install rules name /usr whatever the prefix).
    files: &'static [(&'static str, &'static str)],
    /// Built for /usr and installed under this directory of the prefix (`make install
    /// DESTDIR=…`), for a program that finds its own files by compiled-in paths.
    node_root: Option<&'static str>,
}

/// In the order their dependencies need. GCC 12 warns in firewall3 and netifd where GCC 13,
/// OpenWrt 24.10's, does not: those warnings stay warnings.
const BUILDS: &[Build] = &[
    Build::plain("libubox", &["-DBUILD_LUA=OFF", "-DBUILD_EXAMPLES=OFF"]),
    Build::plain("usign", &[]),
    Build::plain("opkg", &["-DBUILD_TESTS=OFF"]),
    Build::plain("uci", &["-DBUILD_LUA=OFF"]),
    Build::plain("ubus", &["-DBUILD_LUA=OFF", "-DBUILD_EXAMPLES=OFF"]),
    // OpenWrt links firewall3 with its iptables extensions built in (`iptext`,
    // `build_iptables`).
    Build {
        c_flags: "-Wno-error=format-overflow",
        files: &[("firewall3", "sbin/firewall3")],
        ..Build::plain("firewall3", &["-DCMAKE_C_STANDARD_LIBRARIES=-lxtables -lm"])
    },
    Build::plain("libnl-tiny", &[]),
    // Only its library, which netifd links: the rest needs ucode, whose headers it looks for
    // (an include directory that exists stands in for them, unused by the library).
    Build {
        in_tree: true,
        target: Some("udebug"),
        files: &[
            ("libudebug.so", "lib/libudebug.so"),
            ("udebug.h", "include/udebug.h"),
        ],
        ..Build::plain("udebug", &["-Ducode_include_dir=/usr/include"])
    },
    // With libnl-tiny as OpenWrt passes it; its shell library for protocol handlers, which
    // OpenWrt installs as /lib/netifd/, goes to share/netifd/.
    Build {
        in_tree: true,
        c_flags: "-I{prefix}/include/libnl-tiny -Wno-error=maybe-uninitialized",
        files: &[
            ("netifd", "sbin/netifd"),
            ("scripts/netifd-proto.sh", "share/netifd/netifd-proto.sh"),
            ("scripts/utils.sh", "share/netifd/utils.sh"),
        ],
        ..Build::plain("netifd", &["-DLIBNL_LIBS={prefix}/lib/libnl-tiny.so"])
    },
    // procd and its ujail, without seccomp and utrace (which need kernel headers of the
    // target's syscalls), built in its tree (a build step runs a script of it). glibc 2.36
    // lacks strlcpy: libbsd's overlay gives it. GCC 12 warns where GCC 13 does not.
    Build {
        in_tree: true,
        c_flags: "-isystem /usr/include/bsd -DLIBBSD_OVERLAY -Wno-error=format-overflow \
                  -Wno-error=format-truncation -Wno-error=maybe-uninitialized",
        files: &[("procd", "sbin/procd"), ("ujail", "sbin/ujail")],
        ..Build::plain(
            "procd",
            &[
                "-DJAIL_SUPPORT=ON",
                "-DSECCOMP_SUPPORT=OFF",
                "-DUTRACE_SUPPORT=OFF",
                "-DCMAKE_C_STANDARD_LIBRARIES=-lbsd",
            ],
        )
    },
    // ucode with the modules firewall4 uses (fs, uci, ubus; no netlink, uloop, zlib or
    // digest), built for /usr, where it looks for its modules, as on a node.
    Build {
        node_root: Some(FIREWALL4_ROOT),
        ..Build::plain(
            "ucode",
            &[
                "-DRTNL_SUPPORT=OFF",
                "-DNL80211_SUPPORT=OFF",
                "-DULOOP_SUPPORT=OFF",
                "-DZLIB_SUPPORT=OFF",
                "-DDIGEST_SUPPORT=OFF",
                "-DDEBUG_SUPPORT=OFF",
                "-DLOG_SUPPORT=OFF",
            ],
        )
    },
    Build {
        in_tree: true,
        files: &[("jsonpath", "bin/jsonfilter")],
        ..Build::plain("jsonfilter", &[])
    },
];

impl Build {
    const fn plain(name: &'static str, cmake: &'static [&'static str]) -> Build {
        Build {
            name,
            in_tree: false,
            c_flags: "",
            cmake,
            target: None,
            files: &[],
            node_root: None,
        }
    }
}

/// The prefix the programs are installed into (`bin/`, `sbin/`, `lib/`).
pub struct Programs {
    prefix: PathBuf,
}

impl Programs {
    /// `program` of the prefix's `bin/`, found with the prefix's libraries.
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.path(program));
        cmd.env("LD_LIBRARY_PATH", self.lib());
        cmd
    }

    pub fn path(&self, program: &str) -> PathBuf {
        self.prefix.join("bin").join(program)
    }

    pub fn lib(&self) -> PathBuf {
        self.prefix.join("lib")
    }

    /// The prefix itself: `sbin/firewall3`, `sbin/iptables-legacy*`, `lib/`.
    pub fn prefix(&self) -> &Path {
        &self.prefix
    }
}

/// The programs, built once per set of pins, Debian's iptables source and compiler.
pub fn programs(origin: &Origin, cache: &Path) -> Result<Programs> {
    let gcc = capture(Command::new("gcc").arg("--version"))?.stdout;
    let iptables =
        crate::setup::debian_source("iptables", &cache.join("iptables-source"), "configure")?;
    let iptables_name = iptables
        .file_name()
        .unwrap_or_default()
        .as_encoded_bytes()
        .to_vec();
    let mut inputs: Vec<&[u8]> = vec![RECIPE.as_bytes(), &gcc, &iptables_name];
    for build in BUILDS {
        inputs.push(upstream(build.name).commit.as_bytes());
        inputs.extend(build.cmake.iter().map(|o| o.as_bytes()));
        inputs.push(build.c_flags.as_bytes());
    }
    // Built outside the table: firewall4's files and apk-tools.
    for name in ["firewall4", "apk-tools"] {
        inputs.push(upstream(name).commit.as_bytes());
    }
    let key = crate::setup::cache::key(&inputs);
    let dir = cache.join(format!("build-{key}"));
    let prefix = dir.join("prefix");
    if dir.join(".built").is_file() {
        return Ok(Programs { prefix });
    }
    let _ = fs::remove_dir_all(&dir);
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    let extensions = build_iptables(&iptables, &dir.join("build/iptables"), &prefix, jobs)?;
    let in_prefix = |text: &str| text.replace("{prefix}", &prefix.display().to_string());
    for step in BUILDS {
        let source = tree(upstream(step.name), origin, cache)?;
        let build = dir.join("build").join(step.name);
        if step.in_tree {
            run_quiet(Command::new("cp").arg("-a").arg(&source).arg(&build))?;
        }
        eprintln!("xtask: building {} into {}", step.name, prefix.display());
        let c_flags = format!(
            "-I{} {}",
            prefix.join("include").display(),
            in_prefix(step.c_flags)
        );
        let libs = format!(
            "-L{} -L{}",
            prefix.join("lib").display(),
            extensions.display()
        );
        run_quiet(
            Command::new("cmake")
                .arg("-S")
                .arg(if step.in_tree { &build } else { &source })
                .arg("-B")
                .arg(&build)
                .arg(format!(
                    "-DCMAKE_INSTALL_PREFIX={}",
                    if step.node_root.is_some() {
                        Path::new("/usr")
                    } else {
                        &prefix
                    }
                    .display()
                ))
                .arg(format!("-DCMAKE_PREFIX_PATH={}", prefix.display()))
                .arg("-DCMAKE_BUILD_TYPE=Release")
                .arg(format!("-DCMAKE_C_FLAGS={c_flags}"))
                .arg(format!("-DCMAKE_EXE_LINKER_FLAGS={libs}"))
                .arg(format!("-DCMAKE_SHARED_LINKER_FLAGS={libs}"))
                .args(step.cmake.iter().map(|o| in_prefix(o))),
        )?;
        let mut make = Command::new("make");
        make.arg("-C").arg(&build).arg(format!("-j{jobs}"));
        make.args(step.target);
        run_quiet(&mut make)?;
        if let Some(node_root) = step.node_root {
            run_quiet(
                Command::new("make")
                    .arg("-C")
                    .arg(&build)
                    .arg("install")
                    .arg(format!("DESTDIR={}", prefix.join(node_root).display())),
            )?;
        } else if step.files.is_empty() {
            run_quiet(Command::new("make").arg("-C").arg(&build).arg("install"))?;
        }
        for (from, to) in step.files {
            let to = prefix.join(to);
            fs::create_dir_all(to.parent().expect("a file has a directory"))?;
            fs::copy(build.join(from), to)?;
        }
    }
    firewall4(origin, cache, &prefix)?;
    build_apk_tools(
        &tree(upstream("apk-tools"), origin, cache)?,
        &dir.join("build/apk-tools"),
        &prefix,
        jobs,
    )?;
    let _ = fs::remove_dir_all(dir.join("build"));
    fs::write(dir.join(".built"), key)?;
    crate::setup::cache::prune(cache, "build-", &dir);
    Ok(Programs { prefix })
}

/// Where firewall4 is, as on a node, under the prefix: `usr/` to lay over /usr.
pub const FIREWALL4_ROOT: &str = "firewall4-root";

/// firewall4 beside ucode in the prefix's `firewall4-root/usr/`: its files as OpenWrt's
/// package installs them (a ucode program: nothing to build; `fw4` in /sbin, which on Debian
/// is /usr/sbin), and the libraries of ours that ucode's modules link, where the loader looks
/// without being told.
fn firewall4(origin: &Origin, cache: &Path, prefix: &Path) -> Result {
    let source = tree(upstream("firewall4"), origin, cache)?;
    let usr = prefix.join(FIREWALL4_ROOT).join("usr");
    run_quiet(
        Command::new("cp")
            .arg("-a")
            .arg(source.join("root/usr/."))
            .arg(&usr),
    )?;
    fs::create_dir_all(usr.join("sbin"))?;
    fs::copy(source.join("root/sbin/fw4"), usr.join("sbin/fw4"))?;
    for library in [
        "libubox.so",
        "libubus.so",
        "libuci.so",
        "libblobmsg_json.so",
    ] {
        fs::copy(
            prefix.join("lib").join(library),
            usr.join("lib").join(library),
        )?;
    }
    Ok(())
}

/// apk-tools 3 (`bin/apk`, `lib/libapk.so.*`), with its own Makefile (its meson build needs
/// meson, which nothing else here does): without Lua (its help text) and zstd, as OpenWrt's
/// host build; glibc 2.36 lacks strlcpy, which libbsd's overlay gives.
fn build_apk_tools(source: &Path, build: &Path, prefix: &Path, jobs: usize) -> Result {
    eprintln!("xtask: building apk-tools into {}", prefix.display());
    let _ = fs::remove_dir_all(build);
    run_quiet(Command::new("cp").arg("-a").arg(source).arg(build))?;
    run_quiet(
        Command::new("make")
            .current_dir(build)
            .arg(format!("-j{jobs}"))
            .args([
                "LUA=no",
                "ZSTD=no",
                "CFLAGS=-O2 -isystem /usr/include/bsd -DLIBBSD_OVERLAY",
                "ZLIB_LIBS=-lz -lbsd",
            ]),
    )?;
    fs::create_dir_all(prefix.join("bin"))?;
    fs::copy(build.join("src/apk"), prefix.join("bin/apk"))?;
    for entry in fs::read_dir(build.join("src"))? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name.starts_with("libapk.so.") {
            fs::copy(&path, prefix.join("lib").join(&*name))?;
        }
    }
    Ok(())
}

/// Debian's iptables source built as OpenWrt builds its iptables package for firewall3: the
/// legacy programs only, `libxtables` shared, the extensions built in (`libext*.a`, which
/// OpenWrt ships as `libiptext*` and firewall3 links), and without libxtables' refusal of an
/// extension registered a second time, which OpenWrt's package drops too (firewall3 registers
/// the built-in extensions anew for every table it opens). Returns the directory of the
/// extension archives under firewall3's names.
fn build_iptables(source: &Path, build: &Path, prefix: &Path, jobs: usize) -> Result<PathBuf> {
    eprintln!(
        "xtask: building iptables (legacy) into {}",
        prefix.display()
    );
    let _ = fs::remove_dir_all(build);
    fs::create_dir_all(build)?;
    run_quiet(
        Command::new("cp")
            .arg("-a")
            .arg(format!("{}/.", source.display()))
            .arg(build),
    )?;
    let xtables = build.join("libxtables/xtables.c");
    let mut code = fs::read_to_string(&xtables)?;
    for kind in ["match", "target"] {
        let refusal = format!(
            "\tif (me->next) {{\n\t\tfprintf(stderr, \"%s: {kind} \\\"%s\\\" already registered\\n\",\n\t\t\txt_params->program_name, me->name);\n\t\texit(1);\n\t}}\n"
        );
        if !code.contains(&refusal) {
            return fail(format!(
                "{}: no refusal of a {kind} registered twice to take out: has iptables changed?",
                xtables.display()
            ));
        }
        code = code.replace(&refusal, "");
    }
    fs::write(&xtables, code)?;
    run_quiet(
        Command::new("./configure")
            .current_dir(build)
            .args(["--enable-static", "--enable-shared", "--disable-nftables"])
            .arg(format!("--prefix={}", prefix.display())),
    )?;
    run_quiet(
        Command::new("make")
            .current_dir(build)
            .arg(format!("-j{jobs}")),
    )?;
    run_quiet(Command::new("make").current_dir(build).arg("install"))?;
    // Only the shared libraries are linked against; the static ones would win otherwise.
    for entry in fs::read_dir(prefix.join("lib"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "a" || e == "la") {
            fs::remove_file(path)?;
        }
    }
    let extensions = prefix.join("lib/iptext");
    fs::create_dir_all(&extensions)?;
    for (ours, theirs) in [
        ("libext.a", "libiptext.a"),
        ("libext4.a", "libiptext4.a"),
        ("libext6.a", "libiptext6.a"),
    ] {
        fs::copy(build.join("extensions").join(ours), extensions.join(theirs))?;
    }
    Ok(extensions)
}
