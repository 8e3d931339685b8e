//! `cargo xtask package`: OpenWrt `.ipk` packages of the dist files, one set for each OpenWrt
//! package architecture a dist target serves (opkg matches the name exactly), in the format
//! OpenWrt's own `scripts/ipkg-build` writes (a gzipped GNU tar of `debian-binary`,
//! `data.tar.gz` and `control.tar.gz`; owners 0, names sorted, times of the last commit), with
//! the `Packages` index as `scripts/ipkg-make-index.sh` writes it, gzipped, and signed with a
//! usign-compatible key when one is given (`signify-openbsd` makes and checks them); and the
//! same packages for apk, OpenWrt 25.12's package manager (`apk`).

pub mod apk;
pub mod archive;

use crate::build::dist_dir;
use crate::build::targets::TARGETS;
use crate::cmd::{Result, capture, root, run};
use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The version every package carries: the workspace's, release 1 (`PKG_VERSION-rPKG_RELEASE`,
/// as OpenWrt writes it and apk takes it).
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "-r1");
pub const VERSION_NUMBER: &str = env!("CARGO_PKG_VERSION");

/// Where a packaged file comes from.
#[derive(Clone, Copy)]
enum Source {
    /// A shipped file of the target's dist directory.
    Dist(&'static str),
    /// A file of `packaging/openwrt/files/`, installed at the same path.
    Tree(&'static str),
}

/// One file of a package: where it comes from, where it goes, its mode.
struct File {
    source: Source,
    path: &'static str,
    mode: u32,
}

/// One package.
pub struct Package {
    pub name: &'static str,
    depends: &'static str,
    /// Packages that may not be installed with this one (they install the same files).
    conflicts: &'static str,
    /// The package this one stands in for, by name: opkg lets what depends on it be
    /// satisfied by this one, and apk (OpenWrt 25.12, which drops `Conflicts`) takes the
    /// provide with its version as owning the name, so it removes the other when this one is
    /// installed.
    provides: &'static str,
    /// Configuration files (absolute paths) opkg keeps when the package is upgraded or
    /// removed, if the user has changed them.
    conffiles: &'static [&'static str],
    /// The users and groups the package needs, as OpenWrt's `USERID` writes them into
    /// `Require-User` (`user[=uid]:group[=gid]`); empty: none.
    require_user: &'static str,
    /// Whether it has OpenWrt's postinst and prerm (users made, init scripts enabled and
    /// started, then stopped and disabled).
    scripts: bool,
    description: &'static str,
    files: &'static [File],
}

/// The packages, in the order of the index.
pub const PACKAGES: &[Package] = &[
    Package {
        name: "gluon-wan-dns54",
        depends: "",
        conflicts: "gluon-wan-dnsmasq",
        provides: "gluon-wan-dnsmasq",
        conffiles: &["/etc/config/gluon-wan-dnsmasq"],
        require_user: "gluon-wan-dns54:gluon-wan-dns54",
        scripts: true,
        description: "The DNS forwarder for the node's own look-ups on 127.0.0.1:54 and [::1]:54, whose upstream sockets carry the WAN mark (replaces gluon-wan-dnsmasq).",
        files: &[
            File {
                source: Source::Dist("dns54"),
                path: "usr/sbin/dns54",
                mode: 0o755,
            },
            File {
                source: Source::Tree("etc/init.d/gluon-wan-dns54"),
                path: "etc/init.d/gluon-wan-dns54",
                mode: 0o755,
            },
            File {
                source: Source::Tree("lib/gluon/reload.d/340-gluon-wan-dns54-stop"),
                path: "lib/gluon/reload.d/340-gluon-wan-dns54-stop",
                mode: 0o755,
            },
            File {
                source: Source::Tree("lib/gluon/reload.d/760-gluon-wan-dns54-start"),
                path: "lib/gluon/reload.d/760-gluon-wan-dns54-start",
                mode: 0o755,
            },
            File {
                source: Source::Tree("etc/config/gluon-wan-dnsmasq"),
                path: "etc/config/gluon-wan-dnsmasq",
                mode: 0o644,
            },
            File {
                source: Source::Tree("etc/hotplug.d/iface/50-gluon-wan-dns54"),
                path: "etc/hotplug.d/iface/50-gluon-wan-dns54",
                mode: 0o644,
            },
            File {
                source: Source::Tree("lib/gluon/wan-dns54/update-resolv"),
                path: "lib/gluon/wan-dns54/update-resolv",
                mode: 0o755,
            },
            File {
                source: Source::Tree("lib/gluon/wan-dnsmasq/interface.d/050-gluon-wan-dns54"),
                path: "lib/gluon/wan-dnsmasq/interface.d/050-gluon-wan-dns54",
                mode: 0o644,
            },
        ],
    },
    Package {
        name: "gluon-wan-firewall",
        // The package that makes the mesh VPN's group the rules are about.
        depends: "gluon-mesh-vpn-core",
        conflicts: "",
        provides: "",
        conffiles: &[],
        require_user: "",
        // OpenWrt's postinst runs the uci-defaults script on a live install.
        scripts: true,
        description: "Firewall rules: the mesh VPN's DNS to port 54 (UDP and TCP, IPv4 and IPv6), and packets with the WAN mark kept off every device but the WAN's (firewall4 and firewall3).",
        files: &[
            File {
                source: Source::Tree("etc/uci-defaults/50-gluon-wan-firewall"),
                path: "etc/uci-defaults/50-gluon-wan-firewall",
                mode: 0o755,
            },
            File {
                source: Source::Tree("usr/share/nftables.d/ruleset-post/gluon-wan-tools.nft"),
                path: "usr/share/nftables.d/ruleset-post/gluon-wan-tools.nft",
                mode: 0o644,
            },
            File {
                source: Source::Tree("usr/share/gluon-wan-tools/firewall3.ipv4"),
                path: "usr/share/gluon-wan-tools/firewall3.ipv4",
                mode: 0o644,
            },
            File {
                source: Source::Tree("usr/share/gluon-wan-tools/firewall3.ipv6"),
                path: "usr/share/gluon-wan-tools/firewall3.ipv6",
                mode: 0o644,
            },
        ],
    },
    Package {
        name: "gluon-wan-packetmark",
        depends: "libc",
        // Gluon's own libpacketmark installs the same file, /usr/lib/libpacketmark.so.
        conflicts: "libpacketmark",
        provides: "libpacketmark",
        conffiles: &[],
        require_user: "",
        scripts: false,
        description: "The LD_PRELOAD library that sets SO_MARK on every socket a process makes, from LIBPACKETMARK_MARK (replaces libpacketmark).",
        files: &[File {
            source: Source::Dist("libpacketmark.so"),
            path: "usr/lib/libpacketmark.so",
            mode: 0o755,
        }],
    },
    Package {
        name: "gluon-wan-routes",
        depends: "",
        conflicts: "",
        provides: "",
        conffiles: &[],
        require_user: "",
        scripts: false,
        description: "Installs, removes and checks policy rules and routes over rtnetlink in ip's syntax, with Gluon's WAN policy as a preset, put back after every interface event.",
        files: &[
            File {
                source: Source::Dist("routes"),
                path: "usr/sbin/routes",
                mode: 0o755,
            },
            File {
                source: Source::Tree("etc/hotplug.d/iface/05-gluon-wan-routes"),
                path: "etc/hotplug.d/iface/05-gluon-wan-routes",
                mode: 0o644,
            },
        ],
    },
    Package {
        name: "gluon-wan-viawan",
        depends: "gluon-wan-packetmark",
        conflicts: "",
        provides: "",
        conffiles: &[],
        // viawan's own group, which the firewall rules know by its number.
        require_user: ":gluon-viawan=801",
        scripts: true,
        description: "Runs a command in viawan's own group with the marking preload, so that its DNS and its packets use the WAN.",
        files: &[File {
            source: Source::Dist("viawan"),
            path: "usr/sbin/viawan",
            mode: 0o755,
        }],
    },
];

/// Where the packages of `arch` land.
pub fn package_dir(arch: &str) -> PathBuf {
    root().join("target/packages").join(arch)
}

/// Builds the dist files, then the packages and their indexes for every architecture: the
/// opkg index signed with `key` (a `signify-openbsd` secret key without a passphrase), the
/// apk index with `apk_key` (an EC P-256 secret key in PEM), each when it is given.
pub fn package(key: Option<&str>, apk_key: Option<&str>) -> Result {
    // Absolute, since signify runs in each package directory.
    let key = match key {
        Some(key) => {
            Some(fs::canonicalize(key).map_err(|e| crate::cmd::Failure(format!("{key}: {e}")))?)
        }
        None => None,
    };
    let apk_key = apk_key.map(apk::read_key).transpose()?;
    crate::build::dist()?;
    build_packages(key.as_deref(), apk_key.as_ref())
}

/// Where the key `test` and `conformance` sign the packages with is made (`key.pub`,
/// `key.sec`): a new one each run, since it signs nothing that leaves the machine.
pub fn run_key_dir() -> PathBuf {
    root().join("target/package-test-key")
}

/// A usign-compatible key pair without a passphrase, `NAME.pub` and `NAME.sec` in `dir`.
pub fn make_key(dir: &Path, name: &str, comment: &str) -> Result {
    fs::create_dir_all(dir)?;
    for half in ["pub", "sec"] {
        let _ = fs::remove_file(dir.join(format!("{name}.{half}")));
    }
    crate::cmd::run_quiet(
        Command::new("signify-openbsd")
            .args(["-G", "-n", "-c", comment, "-p"])
            .arg(dir.join(format!("{name}.pub")))
            .arg("-s")
            .arg(dir.join(format!("{name}.sec"))),
    )
}

/// Makes new keys in `dir` (`key.pub` and `key.sec` for opkg, `apk-key.pem` and the public
/// `apk-key.pub.pem` for apk) and builds the packages of the dist files with them.
pub fn packages_with_a_run_key(dir: &Path) -> Result {
    make_key(dir, "key", "gluon-wan-tools test key")?;
    let apk_key = apk3::sign::Key::generate();
    fs::write(dir.join("apk-key.pem"), apk_key.to_pem())?;
    fs::set_permissions(dir.join("apk-key.pem"), fs::Permissions::from_mode(0o600))?;
    fs::write(dir.join("apk-key.pub.pem"), apk_key.public_pem())?;
    build_packages(Some(&dir.join("key.sec")), Some(&apk_key))
}

/// The packages and indexes of the dist files as they are.
pub fn build_packages(key: Option<&Path>, apk_key: Option<&apk3::sign::Key>) -> Result {
    let epoch = last_commit_time()?;
    build_feed()?;
    let mut sizes = Vec::new();
    for target in TARGETS {
        let triple = target.triple;
        for arch in target.openwrt_architectures {
            let dir = package_dir(arch);
            if dir.exists() {
                fs::remove_dir_all(&dir)?;
            }
            fs::create_dir_all(&dir)?;
            let mut index = String::new();
            for package in PACKAGES {
                let (ipk, control) = build_package(package, triple, arch, epoch, &dir)?;
                index += &index_entry(&ipk, &control)?;
                sizes.push((
                    *arch,
                    package.name,
                    installed_bytes(package, triple)?,
                    fs::metadata(&ipk)?.len(),
                    0,
                ));
            }
            fs::write(dir.join("Packages"), &index)?;
            fs::write(dir.join("Packages.gz"), archive::gzip(index.as_bytes())?)?;
            if let Some(key) = key {
                run(Command::new("signify-openbsd")
                    .current_dir(&dir)
                    .args(["-S", "-s"])
                    .arg(key)
                    .args(["-m", "Packages", "-x", "Packages.sig"]))?;
            }
            eprintln!(
                "xtask: {} packages for {arch} in {}{}",
                PACKAGES.len(),
                dir.display(),
                if key.is_some() {
                    ", index signed"
                } else {
                    ", index not signed (no --key)"
                }
            );
            let apk_dir = apk::feed_dir(arch);
            let apk_sizes = apk::write_feed(PACKAGES, triple, arch, 1, epoch, apk_key, &apk_dir)?;
            // This architecture's rows are the last, in the same order.
            let first = sizes.len() - PACKAGES.len();
            for (entry, size) in sizes[first..].iter_mut().zip(apk_sizes) {
                entry.4 = size;
            }
            eprintln!(
                "xtask: {} apk packages for {arch} in {}{}",
                PACKAGES.len(),
                apk_dir.display(),
                if apk_key.is_some() {
                    ", index signed"
                } else {
                    ", index not signed (no --apk-key)"
                }
            );
        }
    }
    print_sizes(&sizes);
    Ok(())
}

/// The last commit's time, in seconds since 1970: what every packaged file is dated.
pub fn last_commit_time() -> Result<u64> {
    let out = capture(
        Command::new("git")
            .current_dir(root())
            .args(["log", "-1", "--format=%ct"]),
    )?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .parse()
        .map_err(|_| crate::cmd::Failure(format!("the last commit's time: {text:?}")))
}

/// The bytes a package's files take once installed (before the file system compresses them).
fn installed_bytes(package: &Package, triple: &str) -> Result<u64> {
    let mut bytes = 0;
    for file in package.files {
        bytes += fs::metadata(source_path(file.source, triple))?.len();
    }
    Ok(bytes)
}

/// The size table of the packages: per architecture, each package's installed files, its
/// `.ipk` and its `.apk`, in bytes.
fn print_sizes(sizes: &[(&str, &str, u64, u64, u64)]) {
    println!(
        "{:<12} {:<22} {:>10} {:>8} {:>8}",
        "arch", "package", "installed", "ipk", "apk"
    );
    for (arch, name, installed, ipk, apk) in sizes {
        println!("{arch:<12} {name:<22} {installed:>10} {ipk:>8} {apk:>8}");
    }
}

/// The feed directory for OpenWrt and Gluon builds, `target/packages/feed/gluon-wan-tools/`:
/// the Makefile of `packaging/openwrt/feed/`, the scripts of `packaging/openwrt/files/`, and
/// the dist files each package installs, in `prebuilt/<Rust target>/`, and for each OpenWrt
/// package architecture a link `prebuilt/<architecture>` to the target that serves it.
fn build_feed() -> Result {
    let feed = feed_dir();
    if feed.exists() {
        fs::remove_dir_all(&feed)?;
    }
    fs::create_dir_all(&feed)?;
    fs::copy(
        root().join("packaging/openwrt/feed/gluon-wan-tools/Makefile"),
        feed.join("Makefile"),
    )?;
    run(Command::new("cp")
        .arg("-R")
        .arg(root().join("packaging/openwrt/files"))
        .arg(feed.join("files")))?;
    for target in TARGETS {
        let triple = target.triple;
        let prebuilt = feed.join("prebuilt").join(triple);
        fs::create_dir_all(&prebuilt)?;
        for package in PACKAGES {
            for file in package.files {
                if let Source::Dist(name) = file.source {
                    fs::copy(dist_dir(triple).join(name), prebuilt.join(name))?;
                }
            }
        }
        for arch in target.openwrt_architectures {
            std::os::unix::fs::symlink(triple, feed.join("prebuilt").join(arch))?;
        }
    }
    eprintln!(
        "xtask: the feed for OpenWrt and Gluon builds in {}",
        feed.display()
    );
    Ok(())
}

/// Where the feed lands.
pub fn feed_dir() -> PathBuf {
    root().join("target/packages/feed/gluon-wan-tools")
}

/// Where a packaged file is read from, for the dist files of `triple`.
fn source_path(source: Source, triple: &str) -> PathBuf {
    match source {
        Source::Dist(name) => dist_dir(triple).join(name),
        Source::Tree(path) => root().join("packaging/openwrt/files").join(path),
    }
}

/// Stages `package` for `arch` (from the dist files of `triple`) and turns it into an `.ipk`
/// in `out` as ipkg-build does; returns its path and its control file.
fn build_package(
    package: &Package,
    triple: &str,
    arch: &str,
    epoch: u64,
    out: &Path,
) -> Result<(PathBuf, String)> {
    let stage = root()
        .join("target/packages/.stage")
        .join(arch)
        .join(package.name);
    if stage.exists() {
        fs::remove_dir_all(&stage)?;
    }
    let control_dir = stage.join("CONTROL");
    fs::create_dir_all(&control_dir)?;
    for file in package.files {
        let from = source_path(file.source, triple);
        let to = stage.join(file.path);
        fs::create_dir_all(to.parent().expect("a file has a directory"))?;
        fs::copy(&from, &to)
            .map_err(|e| crate::cmd::Failure(format!("{}: {e}", from.display())))?;
        fs::set_permissions(&to, fs::Permissions::from_mode(file.mode))?;
    }
    // Directories as OpenWrt's build leaves them, whatever this machine's umask.
    run(Command::new("find")
        .arg(&stage)
        .args(["-type", "d", "-exec", "chmod", "0755", "{}", "+"]))?;
    let data = archive::tar(&archive::members_of(&stage, &["CONTROL"])?, epoch)?;
    // ipkg-build counts the uncompressed data archive, in whole tar records.
    let installed = data.len();
    let mut control = String::new();
    let _ = writeln!(control, "Package: {}", package.name);
    let _ = writeln!(control, "Version: {VERSION}");
    if !package.depends.is_empty() {
        let _ = writeln!(control, "Depends: {}", package.depends);
    }
    if !package.conflicts.is_empty() {
        let _ = writeln!(control, "Conflicts: {}", package.conflicts);
    }
    if !package.provides.is_empty() {
        let _ = writeln!(control, "Provides: {}", package.provides);
    }
    let _ = writeln!(control, "Source: gluon-wan-tools");
    let _ = writeln!(control, "SourceName: {}", package.name);
    let _ = writeln!(control, "License: BSD-2-Clause");
    let _ = writeln!(control, "Section: net");
    let _ = writeln!(control, "SourceDateEpoch: {epoch}");
    let _ = writeln!(control, "Architecture: {arch}");
    if !package.require_user.is_empty() {
        let _ = writeln!(control, "Require-User: {}", package.require_user);
    }
    let _ = writeln!(control, "Installed-Size: {installed}");
    let _ = writeln!(control, "Description: {}", package.description);
    fs::write(control_dir.join("control"), &control)?;
    fs::set_permissions(
        control_dir.join("control"),
        fs::Permissions::from_mode(0o644),
    )?;
    if !package.conffiles.is_empty() {
        let listed: String = package.conffiles.iter().map(|f| format!("{f}\n")).collect();
        fs::write(control_dir.join("conffiles"), listed)?;
        fs::set_permissions(
            control_dir.join("conffiles"),
            fs::Permissions::from_mode(0o644),
        )?;
    }
    if package.scripts {
        for script in ["postinst", "prerm"] {
            let to = control_dir.join(script);
            fs::copy(root().join("packaging/openwrt/control").join(script), &to)?;
            fs::set_permissions(&to, fs::Permissions::from_mode(0o755))?;
        }
    }
    let control_tar = archive::tar(&archive::members_of(&control_dir, &[])?, epoch)?;
    let debian_binary = |bytes: &[u8]| archive::Member {
        name: "./debian-binary".to_string(),
        mode: 0o644,
        bytes: Some(bytes.to_vec()),
    };
    let outer = [
        debian_binary(b"2.0\n"),
        archive::Member {
            name: "./data.tar.gz".to_string(),
            mode: 0o644,
            bytes: Some(archive::gzip(&data)?),
        },
        archive::Member {
            name: "./control.tar.gz".to_string(),
            mode: 0o644,
            bytes: Some(archive::gzip(&control_tar)?),
        },
    ];
    let ipk = out.join(format!("{}_{VERSION}_{arch}.ipk", package.name));
    fs::write(&ipk, archive::gzip(&archive::tar(&outer, epoch)?)?)?;
    Ok((ipk, control))
}

/// The index entry of `ipk` (whose control file is `control`): its control fields with
/// `Filename`, `Size` and `SHA256sum` before `Description`, then a blank line.
fn index_entry(ipk: &Path, control: &str) -> Result<String> {
    let name = ipk
        .file_name()
        .expect("a file")
        .to_string_lossy()
        .into_owned();
    let size = fs::metadata(ipk)?.len();
    let sum = format!(
        "{:x}",
        <sha2::Sha256 as sha2::Digest>::digest(fs::read(ipk)?)
    );
    let mut entry = String::new();
    for line in control.lines() {
        if line.starts_with("Description:") {
            let _ = writeln!(entry, "Filename: {name}\nSize: {size}\nSHA256sum: {sum}");
        }
        let _ = writeln!(entry, "{line}");
    }
    entry.push('\n');
    Ok(entry)
}
