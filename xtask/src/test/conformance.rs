//! `cargo xtask conformance [--mirror DIR]`: the project's OpenWrt side against the real
//! OpenWrt programs and files, built or read from their upstream sources at pinned commits
//! (`conformance/upstream.rs`), where the tests of `cargo xtask test` use stand-ins. Not part
//! of CI: it needs the upstream repositories, which CI cannot reach. Ends like the tests, with
//! `N passed, N failed, N skipped` and the time of each step.

mod apk;
mod build;
mod feed;
mod gluon_files;
mod netifd;
mod patches;
mod procd;
mod scenario;
mod upstream;

use crate::build::targets::TARGETS;
use crate::cmd::{Result, fail, root};
use crate::test::tally::Tally;
use std::fs;
use std::path::Path;
use upstream::Origin;

pub fn conformance(mirror: Option<&Path>) -> Result {
    let origin = match mirror {
        Some(dir) if !dir.is_dir() => {
            return fail(format!("--mirror {}: no such directory", dir.display()));
        }
        Some(dir) => Origin::Mirror(dir),
        None => Origin::Public,
    };
    let cache = crate::setup::cache::dir("conformance");
    let work = root().join("target/conformance");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work)?;
    let mut tally = Tally::default();
    let setup = "setup (Debian packages)";
    if !tally.check(setup, crate::setup::for_conformance) {
        tally.skip("every other step", "the setup failed");
        return tally.finish();
    }
    patches::check(&mut tally, &origin, &cache, &work.join("patches"));
    gluon_files::check(&mut tally, &origin, &cache);

    let mut programs = None;
    tally.check(
        "OpenWrt's programs built from their pinned sources (opkg, usign, netifd, ubus, uci, jsonfilter, procd with ujail, firewall3 with iptables, firewall4 with ucode)",
        || {
            programs = Some(build::programs(&origin, &cache)?);
            Ok(())
        },
    );
    let openwrt = work.join("openwrt-files");
    let openwrt_read = tally.check(
        "OpenWrt's rc.common, functions.sh, procd.sh … at their pinned commits, their git blob ids checked",
        || upstream::openwrt_files(&origin, &cache, &openwrt),
    );
    let keys = crate::package::run_key_dir();
    let foreign = work.join("foreign-key");
    let feeds_built = tally.check(
        "the feed of every architecture, signed with a key made for the run",
        || {
            crate::build::dist()?;
            crate::package::packages_with_a_run_key(&keys)?;
            crate::package::make_key(&foreign, "key", "not the feed's key")
        },
    );
    let Some(programs) = programs.filter(|_| feeds_built && openwrt_read) else {
        let because = "OpenWrt's programs, its files or the feed are missing";
        for step in [
            "the feed's checks",
            "netifd's checks",
            "procd's checks",
            FIREWALL,
        ] {
            tally.skip(step, because);
        }
        return finish(tally);
    };
    for target in TARGETS {
        for arch in target.openwrt_architectures {
            feed::check(
                &mut tally,
                &programs,
                arch,
                &keys.join("key.pub"),
                &foreign.join("key.pub"),
                &openwrt,
                &work.join("feed").join(arch),
            );
        }
    }
    tally.check(
        "the apk3 crate's golden vectors are what the real apk mkpkg and apk mkndx make of its example",
        || apk::golden_vectors(&programs, &work.join("apk-golden")),
    );
    for target in TARGETS {
        for arch in target.openwrt_architectures {
            apk::check(
                &mut tally,
                &programs,
                (target.triple, arch),
                &openwrt,
                &work.join("apk").join(arch),
            );
        }
    }
    netifd::check(&mut tally, &programs, &work.join("netifd"));
    procd::check(
        &mut tally,
        &programs,
        &openwrt,
        &crate::package::package_dir("x86_64"),
        &keys.join("key.pub"),
        &work.join("procd"),
    );
    tally.cargo_test(
        FIREWALL,
        crate::cmd::cargo()
            .args(["test", "-p", "integration-tests", "--test", "firewall"])
            .env("GWT_FIREWALL3", programs.prefix())
            .env(
                "GWT_FIREWALL4",
                programs.prefix().join(build::FIREWALL4_ROOT),
            )
            .env("GWT_DIST_DIR", root().join("target/dist")),
    );
    finish(tally)
}

const FIREWALL: &str =
    "the firewall tests with the real firewall3 and its legacy iptables, and the real firewall4";

/// The pinned upstreams, for the README's record, then the count.
fn finish(tally: Tally) -> Result {
    println!("upstream sources (xtask/src/test/conformance/upstream.rs):");
    for u in upstream::UPSTREAMS {
        println!(
            "  {:<13} {:<21} {} {}  {}",
            u.name,
            u.repo,
            &u.commit[..12],
            u.date,
            u.pin
        );
    }
    println!("OpenWrt's files (xtask/src/test/conformance/upstream.rs):");
    for f in upstream::OPENWRT_FILES {
        println!(
            "  {:<48} {} blob {}",
            f.path,
            &f.commit[..12],
            &f.blob[..12]
        );
    }
    tally.finish()
}
