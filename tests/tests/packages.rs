//! The OpenWrt packages `cargo xtask test` builds and signs with a key of its own: unpacked
//! with tar as opkg would, each one's layout, control fields, files, modes and owners; the
//! index's entries against the files, and its signature, checked with signify-openbsd (the
//! format of OpenWrt's usign).

use integration_tests::{dist_dir, openwrt_architectures, output, package_dir};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// A file a package installs: its path, its mode as `tar -tv` shows it, and the file it must
/// equal (`dist:` a dist file, `tree:` one of packaging/openwrt/files).
type Installed = (&'static str, &'static str, &'static str);

/// Each package, and what it installs.
const CONTENTS: [(&str, &[Installed]); 5] = [
    (
        "gluon-wan-dns54",
        &[
            (
                "etc/config/gluon-wan-dnsmasq",
                "-rw-r--r--",
                "tree:etc/config/gluon-wan-dnsmasq",
            ),
            (
                "etc/hotplug.d/iface/50-gluon-wan-dns54",
                "-rw-r--r--",
                "tree:etc/hotplug.d/iface/50-gluon-wan-dns54",
            ),
            (
                "etc/init.d/gluon-wan-dns54",
                "-rwxr-xr-x",
                "tree:etc/init.d/gluon-wan-dns54",
            ),
            (
                "lib/gluon/reload.d/340-gluon-wan-dns54-stop",
                "-rwxr-xr-x",
                "tree:lib/gluon/reload.d/340-gluon-wan-dns54-stop",
            ),
            (
                "lib/gluon/reload.d/760-gluon-wan-dns54-start",
                "-rwxr-xr-x",
                "tree:lib/gluon/reload.d/760-gluon-wan-dns54-start",
            ),
            (
                "lib/gluon/wan-dns54/update-resolv",
                "-rwxr-xr-x",
                "tree:lib/gluon/wan-dns54/update-resolv",
            ),
            (
                "lib/gluon/wan-dnsmasq/interface.d/050-gluon-wan-dns54",
                "-rw-r--r--",
                "tree:lib/gluon/wan-dnsmasq/interface.d/050-gluon-wan-dns54",
            ),
            ("usr/sbin/dns54", "-rwxr-xr-x", "dist:dns54"),
        ],
    ),
    (
        "gluon-wan-firewall",
        &[
            (
                "etc/uci-defaults/50-gluon-wan-firewall",
                "-rwxr-xr-x",
                "tree:etc/uci-defaults/50-gluon-wan-firewall",
            ),
            (
                "usr/share/gluon-wan-tools/firewall3.ipv4",
                "-rw-r--r--",
                "tree:usr/share/gluon-wan-tools/firewall3.ipv4",
            ),
            (
                "usr/share/gluon-wan-tools/firewall3.ipv6",
                "-rw-r--r--",
                "tree:usr/share/gluon-wan-tools/firewall3.ipv6",
            ),
            (
                "usr/share/nftables.d/ruleset-post/gluon-wan-tools.nft",
                "-rw-r--r--",
                "tree:usr/share/nftables.d/ruleset-post/gluon-wan-tools.nft",
            ),
        ],
    ),
    (
        "gluon-wan-packetmark",
        &[(
            "usr/lib/libpacketmark.so",
            "-rwxr-xr-x",
            "dist:libpacketmark.so",
        )],
    ),
    (
        "gluon-wan-routes",
        &[
            (
                "etc/hotplug.d/iface/05-gluon-wan-routes",
                "-rw-r--r--",
                "tree:etc/hotplug.d/iface/05-gluon-wan-routes",
            ),
            ("usr/sbin/routes", "-rwxr-xr-x", "dist:routes"),
        ],
    ),
    (
        "gluon-wan-viawan",
        &[("usr/sbin/viawan", "-rwxr-xr-x", "dist:viawan")],
    ),
];

/// The file an `Installed` entry's source names, for the dist files of `triple`.
fn source_file(source: &str, triple: &str) -> std::path::PathBuf {
    match source.split_once(':').unwrap() {
        ("dist", file) => dist_dir(triple).join(file),
        (_, tree) => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../packaging/openwrt/files")
            .join(tree),
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `tar` with `args`, its output; it must succeed.
fn tar(args: &[&str], input: Option<&Path>) -> Vec<u8> {
    let mut cmd = Command::new("tar");
    cmd.args(args);
    if let Some(input) = input {
        cmd.arg("-f").arg(input);
    }
    let out = output(&mut cmd);
    assert!(out.status.success(), "tar {args:?}: {}", text(&out.stderr));
    out.stdout
}

/// One member of a gzipped tar archive, as bytes (`tar -xzO`).
fn member(archive: &Path, name: &str) -> Vec<u8> {
    tar(&["-xzO", name], Some(archive))
}

/// The fields of a control file or an index entry.
fn fields(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn every_package_unpacks_as_opkg_reads_it_and_installs_the_shipped_files() {
    let scratch = integration_tests::Scratch::new("packages");
    for (arch, triple) in openwrt_architectures() {
        let (dir, _) = package_dir(arch);
        for (name, files) in CONTENTS {
            let ipk = dir.join(format!("{name}_0.1.0-r1_{arch}.ipk"));
            // The outer archive: exactly these three members, owned by root, in this order.
            let outer = text(&tar(&["-tvz", "--numeric-owner"], Some(&ipk)));
            let members: Vec<&str> = outer
                .lines()
                .filter_map(|l| l.split_whitespace().last())
                .collect();
            assert_eq!(
                members,
                ["./debian-binary", "./data.tar.gz", "./control.tar.gz"],
                "{outer}"
            );
            assert!(outer.lines().all(|l| l.contains(" 0/0 ")), "{outer}");
            assert_eq!(member(&ipk, "./debian-binary"), b"2.0\n");

            let unpacked = scratch.path(&format!("{arch}-{name}"));
            std::fs::create_dir_all(&unpacked).unwrap();
            let control_tar = unpacked.join("control.tar.gz");
            let data_tar = unpacked.join("data.tar.gz");
            std::fs::write(&control_tar, member(&ipk, "./control.tar.gz")).unwrap();
            std::fs::write(&data_tar, member(&ipk, "./data.tar.gz")).unwrap();

            // OpenWrt's postinst and prerm where the package has users, init scripts or a
            // uci-defaults script.
            let control_listing = text(&tar(&["-tvz", "--numeric-owner"], Some(&control_tar)));
            let scripts: Vec<&str> = control_listing
                .lines()
                .filter(|l| l.starts_with("-rwxr-xr-x 0/0"))
                .filter_map(|l| l.split_whitespace().last())
                .collect();
            if ["gluon-wan-dns54", "gluon-wan-viawan", "gluon-wan-firewall"].contains(&name) {
                assert_eq!(scripts, ["./postinst", "./prerm"], "{control_listing}");
                for script in ["postinst", "prerm"] {
                    assert_eq!(
                        member(&control_tar, &format!("./{script}")),
                        std::fs::read(
                            Path::new(env!("CARGO_MANIFEST_DIR"))
                                .join("../packaging/openwrt/control")
                                .join(script)
                        )
                        .unwrap()
                    );
                }
            } else {
                assert!(scripts.is_empty(), "{name}: {control_listing}");
            }
            let control_text = text(&member(&control_tar, "./control"));
            let control = fields(&control_text);
            let users = match name {
                "gluon-wan-dns54" => Some("gluon-wan-dns54:gluon-wan-dns54"),
                // viawan's own group, at the number the firewall rules know it by.
                "gluon-wan-viawan" => Some(":gluon-viawan=801"),
                _ => None,
            };
            assert_eq!(control.get("Require-User").map(String::as_str), users);
            // gluon-wan-dns54 installs gluon-wan-dnsmasq's configuration, kept as the user
            // left it, and gluon-wan-packetmark the file of Gluon's libpacketmark: neither
            // pair can be installed together.
            let dns54 = name == "gluon-wan-dns54";
            let conflicts = match name {
                "gluon-wan-dns54" => Some("gluon-wan-dnsmasq"),
                "gluon-wan-packetmark" => Some("libpacketmark"),
                _ => None,
            };
            assert_eq!(control.get("Conflicts").map(String::as_str), conflicts);
            let conffiles = control_listing
                .lines()
                .any(|l| l.starts_with("-rw-r--r-- 0/0") && l.ends_with(" ./conffiles"));
            assert_eq!(conffiles, dns54, "{control_listing}");
            if dns54 {
                assert_eq!(
                    member(&control_tar, "./conffiles"),
                    b"/etc/config/gluon-wan-dnsmasq\n"
                );
            }
            assert_eq!(control["Package"], name);
            assert_eq!(control["Version"], "0.1.0-r1");
            assert_eq!(control["Architecture"], arch);
            assert_eq!(control["License"], "BSD-2-Clause");
            assert!(!control["Description"].is_empty());
            // Installed-Size as ipkg-build counts it: the bytes of the uncompressed data.
            let data = output(
                Command::new("sh")
                    .arg("-c")
                    .arg(format!("gzip -dc < '{}' | wc -c", data_tar.display())),
            );
            assert_eq!(
                control["Installed-Size"],
                text(&data.stdout).trim(),
                "{name} {arch}"
            );

            // The data: the files at their paths with their modes, owned by root, equal to
            // what dist shipped.
            let listing = text(&tar(&["-tvz", "--numeric-owner"], Some(&data_tar)));
            let regular: Vec<(&str, &str, &str)> = listing
                .lines()
                .filter(|l| l.starts_with('-'))
                .map(|l| {
                    let words: Vec<&str> = l.split_whitespace().collect();
                    (words[0], words[1], *words.last().unwrap())
                })
                .collect();
            assert_eq!(regular.len(), files.len(), "{listing}");
            assert!(listing.lines().all(|l| l.contains(" 0/0 ")), "{listing}");
            assert!(
                listing
                    .lines()
                    .filter(|l| l.starts_with('d'))
                    .all(|l| l.starts_with("drwxr-xr-x")),
                "{listing}"
            );
            tar(&["-xz", "-C", unpacked.to_str().unwrap()], Some(&data_tar));
            for (path, mode, source) in files {
                assert!(
                    regular.contains(&(mode, "0/0", &format!("./{path}"))),
                    "{path} {mode}: {listing}"
                );
                let expected = source_file(source, triple);
                assert!(
                    std::fs::read(unpacked.join(path)).unwrap()
                        == std::fs::read(&expected).unwrap(),
                    "{arch} {path}: differs from {}",
                    expected.display()
                );
            }
        }
    }
}

#[test]
fn the_index_names_every_package_with_its_size_and_hash_and_its_signature_holds() {
    for (arch, _) in openwrt_architectures() {
        let (dir, key) = package_dir(arch);
        let index = std::fs::read_to_string(dir.join("Packages")).unwrap();
        let entries: Vec<BTreeMap<String, String>> = index
            .split("\n\n")
            .filter(|e| !e.trim().is_empty())
            .map(fields)
            .collect();
        let names: Vec<&str> = entries.iter().map(|e| e["Package"].as_str()).collect();
        assert_eq!(names, CONTENTS.map(|(name, _)| name), "{index}");
        for entry in &entries {
            let file = dir.join(&entry["Filename"]);
            let bytes = std::fs::read(&file).unwrap();
            assert_eq!(entry["Size"], bytes.len().to_string());
            let sum = output(Command::new("sha256sum").arg(&file));
            assert_eq!(
                &entry["SHA256sum"],
                text(&sum.stdout).split_whitespace().next().unwrap()
            );
            assert_eq!(entry["Architecture"], arch);
        }
        // Packages.gz holds the same index.
        let unzipped = output(Command::new("gzip").arg("-dc").arg(dir.join("Packages.gz")));
        assert_eq!(text(&unzipped.stdout), index);
        // The signature holds for the index, and not for a changed one.
        let verify = |message: &Path| {
            output(
                Command::new("signify-openbsd")
                    .args(["-V", "-q", "-p"])
                    .arg(&key)
                    .arg("-m")
                    .arg(message)
                    .arg("-x")
                    .arg(dir.join("Packages.sig")),
            )
            .status
            .success()
        };
        assert!(
            verify(&dir.join("Packages")),
            "{arch}: the signature does not hold"
        );
        let changed =
            std::env::temp_dir().join(format!("gwt-packages-{arch}-{}", std::process::id()));
        std::fs::write(&changed, index.replace("0.1.0-r1", "0.1.0-r2")).unwrap();
        assert!(!verify(&changed), "{arch}: a changed index passed");
        std::fs::remove_file(&changed).unwrap();
    }
}

/// The apk feed (OpenWrt 25.12) of every architecture: an index signed with the run's key
/// and published with its public key, listing each package with the size and buffer hash of
/// its file, its version, libc among its depends and its versioned provide; each package
/// holding the same files, modes and contents as the .ipk, the lists OpenWrt 25.12's recipe
/// adds, and the recipe's scripts. apk3's golden vectors hold the format to the real
/// apk-tools; `cargo xtask conformance` installs this feed with the real apk.
#[test]
fn the_apk_feed_holds_every_package_with_its_files_and_a_signed_index() {
    use apk3::{adb, index, package, sign};
    use sha2::Digest as _;
    for (arch, triple) in openwrt_architectures() {
        let (dir, key) = integration_tests::apk_feed_dir(arch);
        let public = std::fs::read_to_string(&key).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("gluon-wan-tools.pem")).unwrap(),
            public,
            "{arch}: the published key is not the run's"
        );
        let stored = std::fs::read(dir.join("packages.adb")).unwrap();
        assert!(
            stored.starts_with(b"ADBd"),
            "{arch}: the index is not deflated"
        );
        let file = adb::inflate(&stored).unwrap();
        assert_eq!(&file[..8], b"ADB.indx");
        let blocks = adb::blocks(&file);
        let [(0, buffer), (1, signature)] = blocks[..] else {
            panic!(
                "{arch}: the index's blocks: {:?}",
                blocks.iter().map(|b| b.0).collect::<Vec<_>>()
            );
        };
        assert!(
            sign::verify(&public, adb::INDEX, buffer, signature),
            "{arch}: the signature does not hold"
        );
        let mut changed = buffer.to_vec();
        let last = changed.len() - 1;
        changed[last] ^= 1;
        assert!(!sign::verify(&public, adb::INDEX, &changed, signature));

        let listed = index::listed(buffer);
        let names: Vec<&str> = listed.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, CONTENTS.map(|(name, _)| name), "{arch}");
        for (entry, (name, installed)) in listed.iter().zip(CONTENTS) {
            assert_eq!(entry.version, "0.1.0-r1");
            assert_eq!(entry.arch, arch);
            assert!(
                entry.depends.iter().any(|d| d == "libc"),
                "{name}: {:?}",
                entry.depends
            );
            let stored = std::fs::read(dir.join(format!("{name}-0.1.0-r1.apk"))).unwrap();
            assert_eq!(entry.file_size, stored.len() as u64, "{name}");
            let package_file = adb::inflate(&stored).unwrap();
            let (0, package_adb) = adb::blocks(&package_file)[0] else {
                panic!("{name}: no ADB block first");
            };
            assert_eq!(
                entry.hash,
                sha2::Sha256::digest(package_adb).to_vec(),
                "{name}"
            );
            let files = package::files(&package_file).unwrap();
            for (path, mode, source) in installed {
                let file = files
                    .iter()
                    .find(|f| f.path == *path)
                    .unwrap_or_else(|| panic!("{name} for {arch} lacks {path}"));
                let expected_mode = if mode.contains('x') { 0o755 } else { 0o644 };
                assert_eq!(file.mode, expected_mode, "{path}");
                assert!(
                    file.contents == std::fs::read(source_file(source, triple)).unwrap(),
                    "{path}"
                );
            }
            let list = files
                .iter()
                .find(|f| f.path == format!("lib/apk/packages/{name}.list"))
                .unwrap_or_else(|| panic!("{name} lacks its .list"));
            for (path, _, _) in installed {
                assert!(
                    text(&list.contents)
                        .lines()
                        .any(|l| l == format!("/{path}")),
                    "{name}.list lacks {path}"
                );
            }
        }
        let provides = |name: &str| &listed.iter().find(|l| l.name == name).unwrap().provides;
        assert_eq!(provides("gluon-wan-dns54"), &["gluon-wan-dnsmasq=0.1.0-r1"]);
        assert_eq!(
            provides("gluon-wan-packetmark"),
            &["libpacketmark=0.1.0-r1"]
        );
    }
}

/// One `Require-User` entry as OpenWrt's `USERID` writes it and its postinst reads it
/// (`user[=uid]:group[=gid]`, each part optional): (user, uid, group, gid).
fn required_users(control: &str) -> Vec<(String, String, String, String)> {
    let field = control
        .lines()
        .find_map(|l| l.strip_prefix("Require-User: "))
        .unwrap_or_default();
    let split = |part: &str| {
        let (name, id) = part.split_once('=').unwrap_or((part, ""));
        (name.to_string(), id.to_string())
    };
    field
        .split_whitespace()
        .map(|tuple| {
            let (user, group) = tuple.split_once(':').unwrap_or((tuple, ""));
            let ((user, uid), (group, gid)) = (split(user), split(group));
            (user, uid, group, gid)
        })
        .collect()
}

/// The control file and postinst of `package` (mips_24kc; every architecture's are the same).
fn control_and_postinst(package: &str) -> (String, Option<String>) {
    let scratch = integration_tests::Scratch::new(&format!("packages-user-{package}"));
    let (dir, _) = package_dir("mips_24kc");
    let ipk = dir.join(format!("{package}_0.1.0-r1_mips_24kc.ipk"));
    let control_tar = scratch.path("control.tar.gz");
    std::fs::write(&control_tar, member(&ipk, "./control.tar.gz")).unwrap();
    let listing = text(&tar(&["-tz"], Some(&control_tar)));
    let postinst = listing
        .lines()
        .any(|l| l == "./postinst")
        .then(|| text(&member(&control_tar, "./postinst")));
    (text(&member(&control_tar, "./control")), postinst)
}

/// The user dns54 drops to, with a group of its own, numbered by the node (OpenWrt's
/// `default_postinst` makes them from the field: `cargo xtask conformance` runs the real one,
/// as an image build runs it, "opkg (ARCH): the postinst scripts, …", and on a live root,
/// "procd: functions.sh made the user and group …").
#[test]
fn gluon_wan_dns54_asks_the_node_for_its_user_and_group() {
    let (control, postinst) = control_and_postinst("gluon-wan-dns54");
    assert_eq!(
        required_users(&control),
        [(
            "gluon-wan-dns54".to_string(),
            String::new(),
            "gluon-wan-dns54".to_string(),
            String::new()
        )]
    );
    assert!(postinst.unwrap().contains("default_postinst \"$0\" \"$@\""));
}

/// viawan's own group, at the number the firewall rules name it by, and no user.
#[test]
fn gluon_wan_viawan_asks_the_node_for_its_group_at_801() {
    let (control, postinst) = control_and_postinst("gluon-wan-viawan");
    assert_eq!(
        required_users(&control),
        [(
            String::new(),
            String::new(),
            "gluon-viawan".to_string(),
            "801".to_string()
        )]
    );
    assert!(postinst.unwrap().contains("default_postinst \"$0\" \"$@\""));
}

/// GNU make on the feed Makefile (as `cargo xtask package` writes it) for an image of package
/// architecture `arch`, installing into `dest`. OpenWrt's build is stood in for by the two
/// include files it gives a package Makefile (tests/fixtures/openwrt/buildroot/: the install
/// commands as OpenWrt defines them, and a BuildPackage that prints a package's fields and
/// runs its install recipe).
fn feed_make(arch: &str, dest: &Path, goals: &[&str]) -> std::process::Output {
    let buildroot = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/openwrt/buildroot");
    let feed =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/packages/feed/gluon-wan-tools");
    output(
        Command::new("make")
            .current_dir(&feed)
            .arg("-s")
            .arg(format!("TOPDIR={}", buildroot.display()))
            .arg(format!("INCLUDE_DIR={}", buildroot.display()))
            .arg(format!("ARCH_PACKAGES={arch}"))
            .arg(format!("DEST={}", dest.display()))
            .args(goals),
    )
}

#[test]
fn the_feed_makefile_installs_what_the_packages_install() {
    let scratch = integration_tests::Scratch::new("feed");
    for (arch, triple) in openwrt_architectures() {
        let dest = scratch.path(arch);
        let out = feed_make(arch, &dest, &["describe", "install"]);
        assert!(out.status.success(), "{arch}: {}", text(&out.stderr));
        let described = text(&out.stdout);
        let (dir, _) = package_dir(arch);
        for (name, files) in CONTENTS {
            // The fields opkg's control file is made from, as the .ipk has them.
            let ipk = dir.join(format!("{name}_0.1.0-r1_{arch}.ipk"));
            let control_tar = scratch.path(&format!("{arch}-{name}-control.tar.gz"));
            std::fs::write(&control_tar, member(&ipk, "./control.tar.gz")).unwrap();
            let control = fields(&text(&member(&control_tar, "./control")));
            let has_conffiles = text(&tar(&["-tz"], Some(&control_tar)))
                .lines()
                .any(|l| l == "./conffiles");
            let conffiles = match has_conffiles {
                true => text(&member(&control_tar, "./conffiles"))
                    .trim()
                    .to_string(),
                false => String::new(),
            };
            let line = described
                .lines()
                .find(|l| l.starts_with(&format!("package={name} ")))
                .unwrap_or_else(|| panic!("{name}: {described}"));
            // The title, last, is the feed's own.
            let line = &line[..line.find(" title=").map_or(line.len(), |i| i + 7)];
            let depends = control
                .get("Depends")
                .map(|d| format!(" +{d}"))
                .unwrap_or_default();
            let conflicts = control.get("Conflicts").cloned().unwrap_or_default();
            let provides = control.get("Provides").cloned().unwrap_or_default();
            let version = &control["Version"];
            let userid = control.get("Require-User").cloned().unwrap_or_default();
            assert_eq!(
                line,
                format!(
                    "package={name} version={version} \
                     depends=@(aarch64||arm||i386||mips||mipsel||powerpc||x86_64){depends} \
                     conflicts={conflicts} provides={provides} userid={userid} conffiles={conffiles} \
                     title="
                )
                .replace(" +libc", ""),
                "{arch}"
            );
            // The files: exactly those of the .ipk, with its modes and bytes.
            let installed = text(
                &output(
                    Command::new("find")
                        .arg(dest.join(name))
                        .args(["-type", "f", "-printf", "%P %m\n"]),
                )
                .stdout,
            );
            let mut installed: Vec<&str> = installed.lines().collect();
            installed.sort();
            let mut expected: Vec<String> = files
                .iter()
                .map(|(path, mode, _)| {
                    let octal = if mode.contains('x') { "755" } else { "644" };
                    format!("{path} {octal}")
                })
                .collect();
            expected.sort();
            assert_eq!(installed, expected, "{arch} {name}");
            for (path, _, source) in files {
                let expected = source_file(source, triple);
                assert!(
                    std::fs::read(dest.join(name).join(path)).unwrap()
                        == std::fs::read(&expected).unwrap(),
                    "{arch} {name} {path}: differs from {}",
                    expected.display()
                );
            }
        }
    }
}

/// What OpenWrt 25.12's apk recipe makes of the feed Makefile (the stand-in package.mk's
/// `describe`): a version apk accepts (`PKG_VERSION-rPKG_RELEASE`, no `-1`, no `+`), and for
/// each package that replaces one of the node's own, a provide of that name, since the recipe
/// drops `CONFLICTS` and a versioned provide is what apk enforces. `cargo xtask conformance`
/// packs and installs them with the real apk ("apk (ARCH): …").
#[test]
fn the_feed_makefile_gives_apk_what_it_enforces() {
    let scratch = integration_tests::Scratch::new("feed-apk");
    let out = feed_make("mips_24kc", &scratch.path("mips_24kc"), &["describe"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let described = text(&out.stdout);
    let field = |line: &str, key: &str| -> String {
        let start = line.find(&format!(" {key}=")).unwrap() + key.len() + 2;
        line[start..].split(' ').next().unwrap().to_string()
    };
    let mut replacing = Vec::new();
    for line in described.lines() {
        let version = field(line, "version");
        let (upstream, release) = version.split_once("-r").unwrap();
        assert!(
            !upstream.is_empty()
                && upstream.split('.').all(|n| n.parse::<u32>().is_ok())
                && release.parse::<u32>().is_ok(),
            "not a version apk takes: {line}"
        );
        let (conflicts, provides) = (field(line, "conflicts"), field(line, "provides"));
        assert_eq!(conflicts, provides, "{line}");
        if !provides.is_empty() {
            replacing.push(provides);
        }
    }
    assert_eq!(replacing, ["gluon-wan-dnsmasq", "libpacketmark"]);
}

#[test]
fn the_feed_makefile_stops_on_an_architecture_without_a_build() {
    // mips_4kc is `mips` to the DEPENDS line, but MIPS32r1: no build serves it.
    let scratch = integration_tests::Scratch::new("feed-unserved");
    let out = feed_make(
        "mips_4kc",
        &scratch.path("mips_4kc"),
        &["install-gluon-wan-routes"],
    );
    assert!(!out.status.success());
    let said = text(&out.stderr);
    assert!(
        said.contains("gluon-wan-tools: no build for mips_4kc; there are builds for: "),
        "{said}"
    );
    for (arch, _) in openwrt_architectures() {
        assert!(said.contains(arch), "{arch} missing from: {said}");
    }
}

#[test]
fn every_gluon_target_is_served_by_exactly_one_build() {
    // Gluon's targets/targets.mk names 26 targets outside its BROKEN list; each builds images
    // for one OpenWrt package architecture, so exactly one of our builds serves it.
    let mut seen: Vec<&str> = Vec::new();
    for target in integration_tests::TARGETS {
        assert!(
            !target.gluon_targets.is_empty() && !target.openwrt_architectures.is_empty(),
            "{} serves nobody",
            target.triple
        );
        for gluon in target.gluon_targets {
            assert!(!seen.contains(gluon), "{gluon} is served twice");
            seen.push(gluon);
        }
    }
    assert_eq!(seen.len(), 26, "{seen:?}");
}
