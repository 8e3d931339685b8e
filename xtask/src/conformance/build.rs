//! The real OpenWrt programs, built on this machine from their pinned sources with Debian's
//! compiler into one prefix in the cache: what a node runs, for the host's architecture.

use super::upstream::{Origin, tree, upstream};
use crate::cmd::{Result, capture, run_quiet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const RECIPE: &str = "conformance build v1";

/// The upstreams built, in the order their dependencies need, with their CMake options.
const BUILDS: &[(&str, &[&str])] = &[
    ("libubox", &["-DBUILD_LUA=OFF", "-DBUILD_EXAMPLES=OFF"]),
    ("usign", &[]),
    ("opkg", &["-DBUILD_TESTS=OFF"]),
];

/// The prefix the programs are installed into (`bin/`, `lib/`).
pub struct Programs {
    prefix: PathBuf,
}

impl Programs {
    /// `program` of the prefix, found with the prefix's libraries.
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.prefix.join("bin").join(program));
        cmd.env("LD_LIBRARY_PATH", self.prefix.join("lib"));
        cmd
    }

    pub fn path(&self, program: &str) -> PathBuf {
        self.prefix.join("bin").join(program)
    }

    pub fn lib(&self) -> PathBuf {
        self.prefix.join("lib")
    }
}

/// The programs of `BUILDS`, built once per set of pins and compiler.
pub fn programs(origin: &Origin, cache: &Path) -> Result<Programs> {
    let gcc = capture(Command::new("gcc").arg("--version"))?.stdout;
    let mut inputs: Vec<&[u8]> = vec![RECIPE.as_bytes(), &gcc];
    for (name, options) in BUILDS {
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
    for (name, options) in BUILDS {
        let source = tree(upstream(name), origin, cache)?;
        let build = dir.join("build").join(name);
        eprintln!("xtask: building {name} into {}", prefix.display());
        let include = format!("-I{}", prefix.join("include").display());
        let libs = format!("-L{}", prefix.join("lib").display());
        run_quiet(
            Command::new("cmake")
                .arg("-S")
                .arg(&source)
                .arg("-B")
                .arg(&build)
                .arg(format!("-DCMAKE_INSTALL_PREFIX={}", prefix.display()))
                .arg(format!("-DCMAKE_PREFIX_PATH={}", prefix.display()))
                .arg("-DCMAKE_BUILD_TYPE=Release")
                .arg(format!("-DCMAKE_C_FLAGS={include}"))
                .arg(format!("-DCMAKE_EXE_LINKER_FLAGS={libs}"))
                .arg(format!("-DCMAKE_SHARED_LINKER_FLAGS={libs}"))
                .args(*options),
        )?;
        let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
        run_quiet(
            Command::new("make")
                .arg("-C")
                .arg(&build)
                .arg(format!("-j{jobs}"))
                .arg("install"),
        )?;
    }
    let _ = fs::remove_dir_all(dir.join("build"));
    fs::write(dir.join(".built"), key)?;
    crate::cache::prune(cache, "build-", &dir);
    Ok(Programs { prefix })
}
