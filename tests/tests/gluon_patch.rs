//! The change Gluon needs (`packaging/gluon/`) applies to the Gluon Makefile it names (kept
//! as a fixture), and says what it should afterwards.

use integration_tests::{Scratch, output};
use std::path::PathBuf;
use std::process::Command;

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

#[test]
fn the_dependency_patch_applies_to_gluons_makefile() {
    let scratch = Scratch::new("gluon-patch");
    let tree = scratch.path("gluon");
    let makefile = tree.join("package/gluon-mesh-vpn-core/Makefile");
    std::fs::create_dir_all(makefile.parent().unwrap()).unwrap();
    std::fs::copy(
        repo("tests/fixtures/gluon/package/gluon-mesh-vpn-core/Makefile"),
        &makefile,
    )
    .unwrap();
    let patch = repo("packaging/gluon/0001-gluon-mesh-vpn-core-wan-dns54.patch");
    let applied = output(
        Command::new("git")
            .current_dir(&tree)
            // Not inside this repository (target/ is in it): a plain tree, as Gluon's is.
            .env("GIT_CEILING_DIRECTORIES", scratch.path(""))
            .args(["apply", "-p1", "--verbose"])
            .arg(&patch),
    );
    assert!(
        applied.status.success(),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
    let patched = std::fs::read_to_string(&makefile).unwrap();
    let depends: Vec<&str> = patched
        .lines()
        .filter(|l| l.trim_start().starts_with("DEPENDS:="))
        .collect();
    assert_eq!(
        depends,
        [
            "  DEPENDS:=+gluon-core +!PACKAGE_gluon-wan-dns54:gluon-wan-dnsmasq +iptables +iptables-mod-extra +simple-tc"
        ]
    );
    // Nothing else changed.
    let original = std::fs::read_to_string(repo(
        "tests/fixtures/gluon/package/gluon-mesh-vpn-core/Makefile",
    ))
    .unwrap();
    assert_eq!(
        patched.replace(
            "+!PACKAGE_gluon-wan-dns54:gluon-wan-dnsmasq",
            "+gluon-wan-dnsmasq"
        ),
        original
    );
}
