//! The upstream projects `cargo xtask conformance` builds or reads, each pinned by repository
//! and commit: the one list. Nothing of theirs enters this repository; each tree is fetched
//! by commit, from the public repository or from a directory of mirrors (`--mirror DIR`,
//! bare clones named `OWNER+NAME/repo`), into the cache.
//!
//! The pins are the versions OpenWrt 24.10 builds (Gluon's stable and main branches are on
//! 24.10: its `modules` file pins `openwrt-24.10`), read from the package Makefiles' history
//! in OpenWrt's 24.10 update commits as Gluon's `modules` updates list them; where the newest
//! upstream commit differs, `newest` says so.

use crate::cmd::{Result, capture, fail, run_quiet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Upstream {
    /// What the checks call it.
    pub name: &'static str,
    /// `OWNER/NAME` on GitHub, and so `OWNER+NAME/repo` in a mirror directory.
    pub repo: &'static str,
    pub commit: &'static str,
    /// The commit's date, for the README's record.
    pub date: &'static str,
    /// Why this commit, and how it relates to the newest.
    pub pin: &'static str,
}

pub const UPSTREAMS: &[Upstream] = &[
    Upstream {
        name: "usign",
        repo: "openwrt/usign",
        commit: "f1f65026a94137c91b5466b149ef3ea3f20091e9",
        date: "2020-05-23",
        pin: "OpenWrt 24.10's; newest c4c72b1b (2025-10-03) changes only the build files",
    },
    Upstream {
        name: "libubox",
        repo: "openwrt/libubox",
        commit: "49056d178f42da98048a5d4c23f83a6f6bc6dd80",
        date: "2025-07-23",
        pin: "OpenWrt 24.10's; newest 1aa36ee7 (2026-02-13)",
    },
    Upstream {
        name: "opkg",
        repo: "openwrt/opkg-lede",
        commit: "38eccbb1fd694d4798ac1baf88f9ba83d1eac616",
        date: "2024-10-16",
        pin: "OpenWrt 24.10's",
    },
    Upstream {
        name: "uci",
        repo: "openwrt/uci",
        commit: "16ff0badbde7e17ec3bd1f827ffe45922956cf86",
        date: "2025-01-20",
        pin: "OpenWrt 24.10's; newest 66127cd7 (2025-12-02)",
    },
    Upstream {
        name: "ubus",
        repo: "openwrt/ubus",
        commit: "60e04048a0e2f3e33651c19e62861b41be4c290f",
        date: "2025-10-17",
        pin: "OpenWrt 24.10's; newest 3cc98db1 (2025-12-02)",
    },
    Upstream {
        name: "firewall3",
        repo: "openwrt/firewall3",
        commit: "1aef9791a21e3d15d4357060f09a7bb9ed3d6e4e",
        date: "2024-10-18",
        pin: "the newest before OpenWrt 24.10 branched, which 24.10 has not updated (its \
              Makefile could not be read here); newest 3a65fde5 (2025-10-03)",
    },
    Upstream {
        name: "libnl-tiny",
        repo: "openwrt/libnl-tiny",
        commit: "c0df580adbd4d555ecc1962dbe88e91d75b67a4e",
        date: "2025-03-19",
        pin: "OpenWrt 24.10's; newest 40493a65 (2025-12-02)",
    },
    Upstream {
        name: "udebug",
        repo: "openwrt/udebug",
        commit: "5d10084ea885b193bccd0f7da7137c1f5d766e58",
        date: "2025-01-14",
        pin: "the newest before netifd's pin, which needs its library (OpenWrt 24.10's \
              Makefile could not be read here); newest 875e1a7a (2026-01-16)",
    },
    Upstream {
        name: "netifd",
        repo: "openwrt/netifd",
        commit: "7901e66c5f273bceee8981bc8a0c8b0e60945f60",
        date: "2025-05-23",
        pin: "OpenWrt 24.10's; newest e97e36f9 (2026-07-17) needs ucode",
    },
    Upstream {
        name: "procd",
        repo: "openwrt/procd",
        commit: "42d3937654508b04da64969f9d764ac2ec411904",
        date: "2024-12-22",
        pin: "the newest before OpenWrt 24.10.0, which is what 24.10's Makefile names as far as \
              could be told here (it could not be read); newest 2c1834a1 (2026-08-06)",
    },
    Upstream {
        name: "ucode",
        repo: "jow-/ucode",
        commit: "826a5c9de7d3471bbe224e005d9ef0e0c206aa72",
        date: "2025-01-05",
        pin: "the newest before OpenWrt 24.10.0 as far as could be told here (its Makefile \
              could not be read); newest 81205a25 (2026-07-22). For firewall4 only",
    },
    Upstream {
        name: "firewall4",
        repo: "openwrt/firewall4",
        commit: "18fc0ead19faf06b8ce7ec5be84957278e942dfa",
        date: "2024-12-17",
        pin: "the newest before OpenWrt 24.10.0; newest b6e51575 (2025-03-17). OpenWrt's \
              firewall, which Gluon removes for firewall3; its nftables port would bring it back",
    },
    Upstream {
        name: "jsonfilter",
        repo: "openwrt/jsonpath",
        commit: "8a86fb78235b5d7925b762b7b0934517890cc034",
        date: "2025-04-18",
        pin: "OpenWrt 24.10's (which adds a leak fix as a patch)",
    },
    Upstream {
        name: "apk-tools",
        repo: "alpinelinux/apk-tools",
        commit: "f724dcd2de54bc16b73f8a4295802a1655dc4ea5",
        date: "2025-12-16",
        pin: "v3.0.3, the newest before OpenWrt 25.12.0 as far as could be told here (25.12's \
              Makefile could not be read); newest v3.0.6 (2026-04-13). GitHub's mirror of \
              gitlab.alpinelinux.org/alpine/apk-tools",
    },
    Upstream {
        name: "gluon-stable",
        repo: "freifunk-gluon/gluon",
        commit: "e2fe4b52effcf32e498e1afa283dbe8dccf21ffb",
        date: "2026-08-18",
        pin: "Gluon's newest release, v2025.1.3 (OpenWrt 24.10)",
    },
    Upstream {
        name: "gluon-main",
        repo: "freifunk-gluon/gluon",
        commit: "e676194302bf49654b75a8e3a64b0bc5e6d87a15",
        date: "2026-08-20",
        pin: "Gluon's main branch (OpenWrt 24.10)",
    },
    Upstream {
        name: "gluon-next",
        repo: "freifunk-gluon/gluon",
        commit: "c9d6bc563a9a7c27c3d993652ea2a71d3dcc93c8",
        date: "2026-08-22",
        pin: "Gluon's next branch (OpenWrt 25.12)",
    },
    Upstream {
        name: "packages",
        repo: "openwrt/packages",
        commit: "23abaa6f3b0fdfd76b570031107e5718476ff0c8",
        date: "2026-07-24",
        pin: "the packages feed of Gluon main's `modules` (branch openwrt-24.10)",
    },
    Upstream {
        name: "fastd",
        repo: "neocturne/fastd",
        commit: "e0d59850b680e8fd9d39bf1edff2062cc5e27c6f",
        date: "2025-01-26",
        pin: "v23, the version that packages feed builds; its OpenWrt init script is \
              doc/examples/openwrt/fastd.init",
    },
];

/// The entry named `name` (a name of the list above: a mistake in xtask, not in the input).
pub fn upstream(name: &str) -> &'static Upstream {
    UPSTREAMS
        .iter()
        .find(|u| u.name == name)
        .unwrap_or_else(|| panic!("no upstream named {name}"))
}

/// Where the sources come from: the public repositories, or a directory of bare mirrors.
pub enum Origin<'a> {
    Public,
    Mirror(&'a Path),
}

/// The tree of `upstream` at its commit (only `paths` of it, when given: a mirror may lack
/// the large files of the rest), unpacked once into `cache`/src/.
pub fn tree(upstream: &Upstream, origin: &Origin, cache: &Path) -> Result<PathBuf> {
    tree_of(upstream, &[], origin, cache)
}

pub fn tree_of(
    upstream: &Upstream,
    paths: &[&str],
    origin: &Origin,
    cache: &Path,
) -> Result<PathBuf> {
    let key = crate::setup::cache::key(&[upstream.commit.as_bytes(), paths.join("\n").as_bytes()]);
    let tree = cache.join("src").join(format!("{}-{key}", upstream.name));
    if tree.join(".fetched").is_file() {
        return Ok(tree);
    }
    let git_dir = match origin {
        // Read in place: fetching a commit from a mirror that lacks some files would fail.
        Origin::Mirror(dir) => {
            let mirror = dir.join(upstream.repo.replace('/', "+")).join("repo");
            if !mirror.is_dir() {
                return fail(format!(
                    "{}: no mirror of {} at {}",
                    upstream.name,
                    upstream.repo,
                    mirror.display()
                ));
            }
            mirror
        }
        Origin::Public => fetch_public(upstream.repo, upstream.commit, cache)?,
    };
    let _ = fs::remove_dir_all(&tree);
    fs::create_dir_all(&tree)?;
    let archive = tree.with_extension("tar");
    run_quiet(
        Command::new("git")
            .arg("--git-dir")
            .arg(&git_dir)
            .args(["archive", "--format=tar", "-o"])
            .arg(&archive)
            .arg(format!("{}^{{commit}}", upstream.commit))
            .arg("--")
            .args(paths),
    )?;
    let unpacked = run_quiet(
        Command::new("tar")
            .arg("-xf")
            .arg(&archive)
            .arg("-C")
            .arg(&tree),
    );
    let _ = fs::remove_file(&archive);
    unpacked?;
    fs::write(tree.join(".fetched"), upstream.commit)?;
    Ok(tree)
}

/// `commit` of `repo` fetched (alone, without its history) from the public repository into a
/// bare repository of the cache; that repository.
fn fetch_public(repo: &str, commit: &str, cache: &Path) -> Result<PathBuf> {
    let git_dir = cache
        .join("git")
        .join(format!("{}.git", repo.replace('/', "+")));
    if !git_dir.join("HEAD").is_file() {
        fs::create_dir_all(&git_dir)?;
        run_quiet(
            Command::new("git")
                .args(["init", "-q", "--bare"])
                .arg(&git_dir),
        )?;
    }
    let url = format!("https://github.com/{repo}.git");
    eprintln!("xtask: fetching {repo} {commit} from {url}");
    run_quiet(Command::new("git").arg("--git-dir").arg(&git_dir).args([
        "fetch",
        "-q",
        "--depth",
        "1",
        "--no-tags",
        &url,
        commit,
    ]))?;
    Ok(git_dir)
}

/// One file of a repository whose whole tree no mirror here can hold (openwrt/openwrt, over
/// 600 MB): pinned by commit and path, and by its git blob id, which is checked wherever the
/// file comes from.
pub struct UpstreamFile {
    pub repo: &'static str,
    pub commit: &'static str,
    pub path: &'static str,
    pub blob: &'static str,
    /// Where a node has it.
    pub on_node: &'static str,
}

/// OpenWrt's own shell files that run the project's init script, maintainer scripts and
/// hotplug scripts on a node. Each at the newest commit that changed it of those the index
/// of public sources this project is developed with holds (OpenWrt 24.10's where that is
/// newer than the file's last change): `functions.sh` reads both opkg's and apk's package
/// lists, as OpenWrt 24.10 and 25.12 do.
pub const OPENWRT_FILES: &[UpstreamFile] = &[
    UpstreamFile {
        repo: "openwrt/openwrt",
        commit: "0b1fa809d0e974398503a24e408c1209969711f7",
        path: "package/base-files/files/etc/rc.common",
        blob: "a08c1f8f486eca7e7f1a29c90e4e9cfcf36ad633",
        on_node: "etc/rc.common",
    },
    UpstreamFile {
        repo: "openwrt/openwrt",
        commit: "01fa063ae9440273c6701708623a1928bb3ff657",
        path: "package/base-files/files/lib/functions.sh",
        blob: "eb2d5a3f6b208cabc45de58d288dc49d4d65b1af",
        on_node: "lib/functions.sh",
    },
    UpstreamFile {
        repo: "openwrt/openwrt",
        commit: "9963ae1d1c331b0f5e8cf7c6762b3c9bd126037d",
        path: "package/base-files/files/lib/functions/service.sh",
        blob: "2cb5028d68a7ad318f3a375912f48950d7df6b3f",
        on_node: "lib/functions/service.sh",
    },
    UpstreamFile {
        repo: "openwrt/openwrt",
        commit: "040caceff305b7d30e4de03f1307562b6cd058fc",
        path: "package/base-files/files/lib/config/uci.sh",
        blob: "a5393883590661887c6fd382f18effb1ee239709",
        on_node: "lib/config/uci.sh",
    },
    UpstreamFile {
        repo: "openwrt/openwrt",
        commit: "03eca6c5e85cad7ff20459d2f363c60c598d9825",
        path: "package/system/procd/files/procd.sh",
        blob: "de4fa9e6a3e9dd8ed8b8f9e2c54eb67fed20c155",
        on_node: "lib/functions/procd.sh",
    },
];

/// The file's text, checked against its blob id; kept in `cache`/files/ by that id. From a
/// mirror it is read from `OWNER+NAME/repo` (a bare clone) when there is one, else from
/// `OWNER+NAME/files/COMMIT/PATH` (the file alone, as a public index serves it).
pub fn file(pinned: &UpstreamFile, origin: &Origin, cache: &Path) -> Result<PathBuf> {
    let kept = cache.join("files").join(pinned.blob);
    if kept.is_file() && blob_id(&kept)? == pinned.blob {
        return Ok(kept);
    }
    let object = format!("{}:{}", pinned.commit, pinned.path);
    let from_git = |git_dir: &Path| -> Result<Vec<u8>> {
        let out = capture(
            Command::new("git")
                .arg("--git-dir")
                .arg(git_dir)
                .args(["cat-file", "blob", &object]),
        )?;
        if !out.status.success() {
            return fail(format!(
                "{object} of {}: {}",
                pinned.repo,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(out.stdout)
    };
    let text = match origin {
        Origin::Mirror(dir) => {
            let mirror = dir.join(pinned.repo.replace('/', "+"));
            let single = mirror.join("files").join(pinned.commit).join(pinned.path);
            if mirror.join("repo").is_dir() {
                from_git(&mirror.join("repo"))?
            } else if single.is_file() {
                fs::read(&single)?
            } else {
                return fail(format!(
                    "{}: neither {} nor {} is there",
                    pinned.path,
                    mirror.join("repo").display(),
                    single.display()
                ));
            }
        }
        Origin::Public => from_git(&fetch_public(pinned.repo, pinned.commit, cache)?)?,
    };
    fs::create_dir_all(kept.parent().unwrap_or(cache))?;
    let fetched = kept.with_extension("fetched");
    fs::write(&fetched, text)?;
    let id = blob_id(&fetched)?;
    if id != pinned.blob {
        return fail(format!(
            "{object} of {}: its git blob id is {id}, not the pinned {}",
            pinned.repo, pinned.blob
        ));
    }
    fs::rename(&fetched, &kept)?;
    Ok(kept)
}

/// Every file of `OPENWRT_FILES` at its place under `root`.
pub fn openwrt_files(origin: &Origin, cache: &Path, root: &Path) -> Result {
    for pinned in OPENWRT_FILES {
        let to = root.join(pinned.on_node);
        fs::create_dir_all(to.parent().unwrap_or(root))?;
        fs::copy(file(pinned, origin, cache)?, &to)?;
    }
    Ok(())
}

fn blob_id(path: &Path) -> Result<String> {
    let out = capture(Command::new("git").arg("hash-object").arg(path))?;
    if !out.status.success() {
        return fail(format!("git hash-object {} failed", path.display()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::UPSTREAMS;

    #[test]
    fn every_pin_is_a_full_commit_with_a_date_and_names_are_unique() {
        for (i, u) in UPSTREAMS.iter().enumerate() {
            assert_eq!(u.commit.len(), 40, "{}", u.name);
            assert!(
                u.commit.bytes().all(|b| b.is_ascii_hexdigit()),
                "{}",
                u.name
            );
            assert_eq!(u.date.len(), 10, "{}", u.name);
            assert!(u.repo.split_once('/').is_some(), "{}", u.name);
            assert!(
                UPSTREAMS[..i].iter().all(|v| v.name != u.name),
                "{} twice",
                u.name
            );
        }
    }

    #[test]
    fn every_pinned_file_has_a_full_commit_and_blob_and_its_own_place() {
        for (i, f) in super::OPENWRT_FILES.iter().enumerate() {
            for id in [f.commit, f.blob] {
                assert_eq!(id.len(), 40, "{}", f.path);
                assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{}", f.path);
            }
            assert!(!f.on_node.starts_with('/'), "{}", f.path);
            assert!(
                super::OPENWRT_FILES[..i]
                    .iter()
                    .all(|g| g.on_node != f.on_node),
                "{} twice",
                f.on_node
            );
        }
    }
}
