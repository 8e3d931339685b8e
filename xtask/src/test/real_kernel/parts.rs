//! The parts of a real-kernel machine that come from outside the project: kernels and busybox.
//! Debian's own packages where Debian builds them, downloaded for their architecture with a
//! private apt configuration (the machine's dpkg architectures stay as they are); otherwise
//! built from Debian's source packages with the family's cross compiler and a configuration
//! kept in `tests/real-kernel/`. Everything lands in the cache (`super::cache_dir`), under a
//! name that changes with its inputs, so a warm run builds and downloads nothing.

use super::cache_dir;
use crate::build::targets::{Kernel, Machine, Target};
use crate::cmd::{Result, capture, fail, root, run_quiet};
use crate::setup::{apt_install, machine_sources};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Bumped when a recipe below changes, so that the cache is made anew.
const RECIPE: &str = "real-kernel parts v1";

/// A kernel image, and the device tree the machine needs.
pub struct KernelFiles {
    pub image: PathBuf,
    pub dtb: Option<PathBuf>,
}

pub fn kernel(target: &Target, machine: &Machine) -> Result<KernelFiles> {
    match &machine.kernel {
        Kernel::Debian {
            arch,
            package,
            image,
            dtb,
        } => {
            let tree = debian_package(arch, package)?;
            let image = find_under(&tree, image)?;
            let dtb = match dtb {
                Some(name) => Some(find_named(&tree, name)?),
                None => None,
            };
            Ok(KernelFiles { image, dtb })
        }
        Kernel::Built {
            arch,
            fragment,
            image,
        } => Ok(KernelFiles {
            image: built_kernel(target, arch, fragment, image)?,
            dtb: None,
        }),
    }
}

/// busybox for `machine`; `cc` is the compiler for the guest, should it be built.
pub fn busybox(target: &Target, machine: &Machine, cc: &str, work: &Path) -> Result<PathBuf> {
    match machine.busybox_deb {
        Some(arch) => debian_busybox(arch),
        None => built_busybox(target, cc, work),
    }
}

/// Debian's static busybox of `arch`.
pub fn debian_busybox(arch: &str) -> Result<PathBuf> {
    let tree = debian_package(arch, "busybox-static")?;
    Ok(tree.join("bin/busybox"))
}

/// A private apt configuration for Debian architecture `arch`: the machine's own mirrors,
/// with lists, cache and (empty) dpkg status of its own under the cache directory. The
/// machine's `apt.conf.d` and preferences stay out of it: their hooks (appstream's, after an
/// update) would touch the machine's own caches, and their pins are for its packages.
fn apt_config(arch: &str) -> Result<PathBuf> {
    let dir = cache_dir().join("apt").join(arch);
    for sub in [
        "lists/partial",
        "cache/archives/partial",
        "conf.d",
        "preferences.d",
        "state",
    ] {
        fs::create_dir_all(dir.join(sub))?;
    }
    let (stanzas, lines) = machine_sources("deb");
    if stanzas.is_empty() && lines.is_empty() {
        return fail("no `deb` entry in /etc/apt/sources.list or /etc/apt/sources.list.d");
    }
    fs::write(dir.join("sources.list"), lines.concat())?;
    fs::create_dir_all(dir.join("sources.list.d"))?;
    fs::write(
        dir.join("sources.list.d/machine.sources"),
        stanzas.join("\n"),
    )?;
    let d = dir.display();
    let config = dir.join("apt.conf");
    fs::write(
        &config,
        format!(
            "Dir::Etc::Main \"{d}/none.conf\";\n\
             Dir::Etc::Parts \"{d}/conf.d\";\n\
             Dir::Etc::Preferences \"{d}/none.pref\";\n\
             Dir::Etc::PreferencesParts \"{d}/preferences.d\";\n\
             Dir::Etc::SourceList \"{d}/sources.list\";\n\
             Dir::Etc::SourceParts \"{d}/sources.list.d\";\n\
             Dir::State \"{d}/state\";\n\
             Dir::State::Lists \"{d}/lists\";\n\
             Dir::State::status \"/dev/null\";\n\
             Dir::Cache \"{d}/cache\";\n\
             APT::Architecture \"{arch}\";\n\
             APT::Architectures {{ \"{arch}\"; }};\n\
             APT::Sandbox::User \"root\";\n\
             Acquire::Languages \"none\";\n"
        ),
    )?;
    let updated = dir.join("updated");
    if !updated.is_file() {
        eprintln!("xtask: reading Debian's package lists for {arch} (once)");
        run_quiet(
            Command::new("apt-get")
                .env("APT_CONFIG", &config)
                .args(["update", "-qq"]),
        )?;
        fs::write(&updated, "")?;
    }
    Ok(config)
}

/// Debian's package `package` of `arch`, unpacked into the cache (once); a meta-package is
/// followed to the package it depends on (`linux-image-armmp` → `linux-image-6.1.0-…`).
fn debian_package(arch: &str, package: &str) -> Result<PathBuf> {
    let dir = cache_dir().join("debian").join(arch).join(package);
    let done = dir.join(".unpacked");
    if done.is_file() {
        return Ok(dir.join("root"));
    }
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir)?;
    let config = apt_config(arch)?;
    let apt = |args: &[&str]| -> Result<String> {
        let out = capture(
            Command::new("apt-cache")
                .env("APT_CONFIG", &config)
                .args(args),
        )?;
        if !out.status.success() {
            return fail(format!(
                "apt-cache {} ({arch}): {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let mut name = package.to_string();
    if package.starts_with("linux-image-") {
        let depends = apt(&["depends", package])?;
        let image = depends
            .lines()
            .filter_map(|l| l.trim().strip_prefix("Depends: "))
            .find(|d| d.starts_with("linux-image-"));
        let Some(image) = image else {
            return fail(format!(
                "{package} ({arch}) depends on no linux-image package"
            ));
        };
        name = image.trim().to_string();
    }
    eprintln!("xtask: downloading Debian's {name} for {arch} (once)");
    run_quiet(
        Command::new("apt-get")
            .current_dir(&dir)
            .env("APT_CONFIG", &config)
            .args(["download", "-qq", &format!("{name}:{arch}")]),
    )?;
    let deb = fs::read_dir(&dir)?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "deb"));
    let Some(deb) = deb else {
        return fail(format!("apt-get download {name} left no .deb"));
    };
    run_quiet(
        Command::new("dpkg-deb")
            .arg("-x")
            .arg(&deb)
            .arg(dir.join("root")),
    )?;
    fs::remove_file(&deb)?;
    fs::write(&done, format!("{name}\n"))?;
    Ok(dir.join("root"))
}

/// The file under `tree` whose path (relative to it) starts with `prefix`.
fn find_under(tree: &Path, prefix: &str) -> Result<PathBuf> {
    let (dir, start) = prefix.rsplit_once('/').unwrap_or(("", prefix));
    fs::read_dir(tree.join(dir))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(start))
        })
        .map_or_else(|| fail(format!("no {prefix}* in {}", tree.display())), Ok)
}

/// The file named `name` anywhere under `tree`.
fn find_named(tree: &Path, name: &str) -> Result<PathBuf> {
    fn walk(dir: &Path, name: &str) -> Option<PathBuf> {
        for entry in fs::read_dir(dir).ok()?.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if let Some(found) = walk(&path, name) {
                    return Some(found);
                }
            } else if path.file_name().is_some_and(|n| n == name) {
                return Some(path);
            }
        }
        None
    }
    walk(tree, name).map_or_else(|| fail(format!("no {name} in {}", tree.display())), Ok)
}

/// The version of an installed Debian package, part of a cache key.
fn package_version(package: &str) -> Result<String> {
    let out = capture(Command::new("dpkg-query").args(["-W", "-f", "${Version}", package]))?;
    if !out.status.success() {
        return fail(format!("{package} is not installed"));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

const LINUX_SOURCE: &str = "linux-source-6.1";
/// What every built kernel needs, in `tests/real-kernel/` beside each machine's fragment.
const COMMON_FRAGMENT: &str = "linux-common.config";

/// A kernel built from Debian's `linux-source-6.1` for `arch` with the family's cross
/// compiler: `allnoconfig` with the common fragment and the machine's on top
/// (`KCONFIG_ALLCONFIG`), so that only what the checks need is built. The source tree is removed once the image is in the cache.
fn built_kernel(target: &Target, arch: &str, fragment: &str, image: &str) -> Result<PathBuf> {
    let Some(c) = &target.c else {
        return fail(format!(
            "{}: no cross compiler to build a kernel",
            target.triple
        ));
    };
    crate::build::cross::cross_c(c)?;
    let tarball = PathBuf::from(format!("/usr/src/{LINUX_SOURCE}.tar.xz"));
    if !tarball.is_file() {
        apt_install(&[LINUX_SOURCE])?;
    }
    let configs = root().join("tests/real-kernel");
    let mut allconfig = fs::read(configs.join(COMMON_FRAGMENT))?;
    allconfig.extend(fs::read(configs.join(fragment))?);
    let gcc = format!("{}-gcc", c.prefix);
    let gcc_version = capture(Command::new(&gcc).arg("--version"))?.stdout;
    let name = crate::setup::cache::key(&[
        RECIPE.as_bytes(),
        arch.as_bytes(),
        &allconfig,
        package_version(LINUX_SOURCE)?.as_bytes(),
        &gcc_version,
    ]);
    let cached = cache_dir().join(format!("linux-{arch}-{name}"));
    if cached.join(image).is_file() {
        return Ok(cached.join(image));
    }
    let build = cache_dir().join(format!("build-linux-{arch}"));
    let _ = fs::remove_dir_all(&build);
    fs::create_dir_all(&build)?;
    eprintln!(
        "xtask: building Linux for {arch} from {LINUX_SOURCE} with {fragment} (once; minutes)"
    );
    run_quiet(
        Command::new("tar")
            .current_dir(&build)
            .arg("-xf")
            .arg(&tarball)
            .arg("--strip-components=1"),
    )?;
    let allconfig_path = build.join("allconfig");
    fs::write(&allconfig_path, &allconfig)?;
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    let make = |args: &[&str]| -> Result {
        run_quiet(
            Command::new("make")
                .current_dir(&build)
                .arg(format!("ARCH={arch}"))
                .arg(format!("CROSS_COMPILE={}-", c.prefix))
                .env("KCONFIG_ALLCONFIG", &allconfig_path)
                .args(args),
        )
    };
    make(&["allnoconfig"])?;
    make(&[&format!("-j{jobs}"), image])?;
    fs::create_dir_all(&cached)?;
    fs::copy(build.join(image), cached.join(image))?;
    fs::copy(build.join(".config"), cached.join("config"))?;
    let _ = fs::remove_dir_all(&build);
    crate::setup::cache::prune(&cache_dir(), &format!("linux-{arch}-"), &cached);
    Ok(cached.join(image))
}

/// busybox built from Debian's source with `cc` (the family's cross compiler for its musl),
/// static, with the applets of `tests/real-kernel/busybox.config` on top of `allnoconfig`.
fn built_busybox(target: &Target, cc: &str, work: &Path) -> Result<PathBuf> {
    let Some(c) = &target.c else {
        return fail(format!(
            "{}: no cross compiler to build busybox",
            target.triple
        ));
    };
    let applets_path = root().join("tests/real-kernel/busybox.config");
    let applets = fs::read_to_string(&applets_path)?;
    let source = busybox_source()?;
    // What the build depends on, without the paths (a clone elsewhere, as CI's is, finds the
    // same build): the compiler, the family's flags, the musl and runtime the toolchain makes.
    let gcc_version = capture(Command::new(format!("{}-gcc", c.prefix)).arg("--version"))?.stdout;
    let toolchain = fs::read(root().join("rust-toolchain.toml"))?;
    let name = crate::setup::cache::key(&[
        RECIPE.as_bytes(),
        target.triple.as_bytes(),
        applets.as_bytes(),
        source.file_name().unwrap_or_default().as_encoded_bytes(),
        &gcc_version,
        c.cflags.join(" ").as_bytes(),
        &toolchain,
    ]);
    let cached = cache_dir().join(format!("busybox-{}-{name}", target.triple));
    if cached.join("busybox").is_file() {
        return Ok(cached.join("busybox"));
    }
    let build = work.join("busybox-build");
    let _ = fs::remove_dir_all(&build);
    fs::create_dir_all(&build)?;
    eprintln!("xtask: building busybox for {} (once)", target.triple);
    // The kernel's headers (linux/, asm/), which musl does not carry, from Debian's cross
    // C library package, without the rest of its glibc headers.
    let kernel_headers = build.join("kernel-headers");
    fs::create_dir_all(&kernel_headers)?;
    for dir in ["linux", "asm", "asm-generic", "mtd"] {
        let from = PathBuf::from(format!("/usr/{}/include/{dir}", c.prefix));
        if from.is_dir() {
            std::os::unix::fs::symlink(&from, kernel_headers.join(dir))?;
        }
    }
    let cc = format!("{cc} -idirafter {}", kernel_headers.display());
    let make = |args: &[&str]| -> Result {
        run_quiet(
            Command::new("make")
                .current_dir(&source)
                .arg(format!("O={}", build.display()))
                .arg(format!("CROSS_COMPILE={}-", c.prefix))
                .arg(format!("CC={cc}"))
                .args(args),
        )
    };
    make(&["allnoconfig"])?;
    let config_path = build.join(".config");
    let mut config = fs::read_to_string(&config_path)?;
    for line in applets.lines().map(str::trim) {
        let Some((option, _)) = line.split_once('=').filter(|_| !line.starts_with('#')) else {
            continue;
        };
        config = config
            .lines()
            .filter(|l| {
                *l != format!("# {option} is not set") && !l.starts_with(&format!("{option}="))
            })
            .map(|l| format!("{l}\n"))
            .collect();
        config.push_str(line);
        config.push('\n');
    }
    fs::write(&config_path, config)?;
    run_quiet(
        Command::new("sh")
            .current_dir(&source)
            .arg("-c")
            .arg("yes '' | make \"$@\" oldconfig >/dev/null")
            .arg("make")
            .arg(format!("O={}", build.display()))
            .arg(format!("CROSS_COMPILE={}-", c.prefix))
            .arg(format!("CC={cc}")),
    )?;
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    make(&[&format!("-j{jobs}"), "busybox"])?;
    fs::create_dir_all(&cached)?;
    fs::copy(build.join("busybox"), cached.join("busybox"))?;
    fs::copy(&config_path, cached.join("config"))?;
    let _ = fs::remove_dir_all(&build);
    crate::setup::cache::prune(
        &cache_dir(),
        &format!("busybox-{}-", target.triple),
        &cached,
    );
    Ok(cached.join("busybox"))
}

/// Debian's busybox source, unpacked once into the cache; its tree.
fn busybox_source() -> Result<PathBuf> {
    crate::setup::debian_source("busybox", &cache_dir().join("busybox-source"), "Makefile")
}
