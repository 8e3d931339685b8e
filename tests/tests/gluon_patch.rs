//! The change Gluon needs (`packaging/gluon/`), read from the patch alone: one line of
//! `gluon-mesh-vpn-core`'s Makefile, whose dependency on `gluon-wan-dnsmasq` becomes
//! conditional, and nothing else; it applies to the file it describes. That it applies to
//! Gluon's own Makefile of its release, main and next is `cargo xtask conformance`'s check
//! "the Gluon patch applies to …".

use integration_tests::{Scratch, hunks, output};
use std::path::PathBuf;
use std::process::Command;

const PATCH: &str = "packaging/gluon/0001-gluon-mesh-vpn-core-wan-dns54.patch";

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

#[test]
fn the_patch_makes_only_the_dependency_on_the_second_dnsmasq_conditional() {
    let patch = std::fs::read_to_string(repo(PATCH)).unwrap();
    let hunks = hunks(&patch);
    assert_eq!(hunks.len(), 1, "{hunks:?}");
    let hunk = &hunks[0];
    assert_eq!(hunk.path, "package/gluon-mesh-vpn-core/Makefile");
    let removed: Vec<&String> = hunk
        .before
        .iter()
        .filter(|l| !hunk.after.contains(l))
        .collect();
    let added: Vec<&String> = hunk
        .after
        .iter()
        .filter(|l| !hunk.before.contains(l))
        .collect();
    assert_eq!((removed.len(), added.len()), (1, 1), "{hunk:?}");
    assert!(
        removed[0].trim_start().starts_with("DEPENDS:="),
        "{removed:?}"
    );
    assert!(removed[0].contains(" +gluon-wan-dnsmasq "), "{removed:?}");
    assert_eq!(
        *added[0],
        removed[0].replace(
            " +gluon-wan-dnsmasq ",
            " +!PACKAGE_gluon-wan-dns54:gluon-wan-dnsmasq "
        )
    );
}

#[test]
fn the_patch_applies_to_the_lines_it_names() {
    let patch = std::fs::read_to_string(repo(PATCH)).unwrap();
    let hunk = hunks(&patch).remove(0);
    let scratch = Scratch::new("gluon-patch");
    let tree = scratch.path("gluon");
    let makefile = tree.join(&hunk.path);
    std::fs::create_dir_all(makefile.parent().unwrap()).unwrap();
    std::fs::write(&makefile, hunk.before.join("\n") + "\n").unwrap();
    let applied = output(
        Command::new("git")
            .current_dir(&tree)
            // Not inside this repository (target/ is in it): a plain tree, as Gluon's is.
            .env("GIT_CEILING_DIRECTORIES", scratch.path(""))
            .args(["apply", "-p1"])
            .arg(repo(PATCH)),
    );
    assert!(
        applied.status.success(),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&makefile).unwrap(),
        hunk.after.join("\n") + "\n"
    );
}
