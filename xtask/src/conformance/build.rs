//! The real OpenWrt programs, built on this machine from their pinned sources with Debian's
//! compiler into one prefix in the cache: what a node runs, for the host's architecture.

use super::upstream::{Origin, tree, upstream};
use crate::cmd::{Result, capture, fail, run_quiet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const RECIPE: &str = "conformance build v4";

/// The upstreams built with CMake, in the order their dependencies need, with their options.
/// firewall3 comes last: it links the iptables libraries built before it (`iptables`).
const CMAKE_BUILDS: &[(&str, &[&str])] = &[
    ("libubox", &["-DBUILD_LUA=OFF", "-DBUILD_EXAMPLES=OFF"]),
    ("usign", &[]),
    ("opkg", &["-DBUILD_TESTS=OFF"]),
    ("uci", &["-DBUILD_LUA=OFF"]),
    ("ubus", &["-DBUILD_LUA=OFF", "-DBUILD_EXAMPLES=OFF"]),
    // OpenWrt links firewall3 with its iptables extensions built in (`iptext`), as below;
    // GCC 12 warns about a `%s` that GCC 13, OpenWrt 24.10's, does not.
    ("firewall3", &["-DCMAKE_C_STANDARD_LIBRARIES=-lxtables -lm"]),
    ("libnl-tiny", &[]),
    // Only its library, which netifd links: the rest needs ucode, whose headers it looks for
    // (an include directory that exists stands in for them, unused by the library).
    ("udebug", &["-Ducode_include_dir=/usr/include"]),
    // Built in its source tree, as OpenWrt does (a build step runs a script of the tree);
    // libnl-tiny as OpenWrt passes it; GCC 12 warns where GCC 13 does not.
    ("netifd", &[]),
    // Built in its source tree too (its parser generator is built and run from there).
    ("jsonfilter", &[]),
];

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
    for (name, options) in CMAKE_BUILDS {
        inputs.push(upstream(name).commit.as_bytes());
        inputs.extend(options.iter().map(|o| o.as_bytes()));
    }
    let key = crate::cache::key(&inputs);
    let dir = cache.join(format!("build-{key}"));
    let prefix = dir.join("prefix");
    if dir.join(".built").is_file() {
        return Ok(Programs { prefix });
    }
    let _ = fs::remove_dir_all(&dir);
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    let extensions = build_iptables(&iptables, &dir.join("build/iptables"), &prefix, jobs)?;
    for (name, options) in CMAKE_BUILDS {
        let mut source = tree(upstream(name), origin, cache)?;
        let build = dir.join("build").join(name);
        if matches!(*name, "netifd" | "jsonfilter") {
            run_quiet(Command::new("cp").arg("-a").arg(&source).arg(&build))?;
            source = build.clone();
        }
        eprintln!("xtask: building {name} into {}", prefix.display());
        let mut c_flags = format!("-I{}", prefix.join("include").display());
        match *name {
            "firewall3" => c_flags.push_str(" -Wno-error=format-overflow"),
            "netifd" => {
                let nl = prefix.join("include/libnl-tiny");
                c_flags.push_str(&format!(
                    " -I{} -Wno-error=maybe-uninitialized",
                    nl.display()
                ));
            }
            _ => {}
        }
        let libnl = format!(
            "-DLIBNL_LIBS={}",
            prefix.join("lib/libnl-tiny.so").display()
        );
        let libs = format!(
            "-L{} -L{}",
            prefix.join("lib").display(),
            extensions.display()
        );
        run_quiet(
            Command::new("cmake")
                .arg("-S")
                .arg(&source)
                .arg("-B")
                .arg(&build)
                .arg(format!("-DCMAKE_INSTALL_PREFIX={}", prefix.display()))
                .arg(format!("-DCMAKE_PREFIX_PATH={}", prefix.display()))
                .arg("-DCMAKE_BUILD_TYPE=Release")
                .arg(format!("-DCMAKE_C_FLAGS={c_flags}"))
                .arg(format!("-DCMAKE_EXE_LINKER_FLAGS={libs}"))
                .arg(format!("-DCMAKE_SHARED_LINKER_FLAGS={libs}"))
                .args(*options)
                .args((*name == "netifd").then_some(&libnl)),
        )?;
        let mut make = Command::new("make");
        make.arg("-C").arg(&build).arg(format!("-j{jobs}"));
        if *name == "udebug" {
            make.arg("udebug");
        }
        run_quiet(&mut make)?;
        match *name {
            // Their install rules name /usr/sbin whatever the prefix.
            "firewall3" | "netifd" => {
                fs::create_dir_all(prefix.join("sbin"))?;
                fs::copy(build.join(name), prefix.join("sbin").join(name))?;
                if *name == "netifd" {
                    // Its shell library for protocol handlers, installed as /lib/netifd/.
                    let scripts = prefix.join("share/netifd");
                    fs::create_dir_all(&scripts)?;
                    for script in ["netifd-proto.sh", "utils.sh"] {
                        fs::copy(build.join("scripts").join(script), scripts.join(script))?;
                    }
                }
            }
            "jsonfilter" => {
                fs::create_dir_all(prefix.join("bin"))?;
                fs::copy(build.join("jsonpath"), prefix.join("bin/jsonfilter"))?;
            }
            "udebug" => {
                fs::copy(build.join("libudebug.so"), prefix.join("lib/libudebug.so"))?;
                fs::copy(source.join("udebug.h"), prefix.join("include/udebug.h"))?;
            }
            _ => run_quiet(Command::new("make").arg("-C").arg(&build).arg("install"))?,
        }
    }
    let _ = fs::remove_dir_all(dir.join("build"));
    fs::write(dir.join(".built"), key)?;
    crate::cache::prune(cache, "build-", &dir);
    Ok(Programs { prefix })
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
