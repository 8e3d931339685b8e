//! The namespace harness itself: a namespace the test makes is private, usable without root,
//! and gone when the test is done.

use integration_tests::{Netns, TARGETS, dist_dir, output};

#[test]
fn a_fresh_namespace_has_only_loopback_and_it_is_up() {
    let netns = Netns::new();
    let links = netns.run_ok(&["ip", "-o", "link", "show"]);
    assert_eq!(links.lines().count(), 1, "{links}");
    assert!(links.contains(": lo:") && links.contains("UP"), "{links}");
    let addresses = netns.run_ok(&["ip", "-o", "addr", "show", "dev", "lo"]);
    assert!(
        addresses.contains("127.0.0.1/8") && addresses.contains("::1/128"),
        "{addresses}"
    );
}

#[test]
fn policy_routing_is_ours_to_change_inside_it() {
    let netns = Netns::new();
    netns.run_ok(&[
        "ip", "-6", "rule", "add", "pref", "1", "fwmark", "0x1/0x1", "lookup", "1",
    ]);
    netns.run_ok(&[
        "ip",
        "-6",
        "route",
        "add",
        "unreachable",
        "::/0",
        "dev",
        "lo",
        "table",
        "1",
        "metric",
        "65535",
    ]);
    let rules = netns.run_ok(&["ip", "-6", "rule", "show"]);
    assert!(
        rules.contains("1:\tfrom all fwmark 0x1/0x1 lookup 1"),
        "{rules}"
    );
    // None of it leaks to the machine's own namespace.
    let ours = output(std::process::Command::new("ip").args(["-6", "rule", "show"]));
    assert!(!String::from_utf8_lossy(&ours.stdout).contains("fwmark 0x1/0x1 lookup 1"));
}

#[test]
fn dropping_the_namespace_stops_its_holder() {
    let netns = Netns::new();
    let proc_dir = format!("/proc/{}", netns.pid());
    assert!(std::path::Path::new(&proc_dir).exists());
    drop(netns);
    // The holder was reaped, so its PID no longer names it (or names nothing at all).
    let gone = std::fs::read_to_string(format!("{proc_dir}/cmdline"))
        .map_or(true, |c| !c.starts_with("sleep"));
    assert!(gone, "the namespace holder survived");
}

#[test]
fn the_native_build_runs_inside_a_namespace() {
    let netns = Netns::new();
    let x86 = TARGETS.iter().find(|t| t.qemu.is_none()).unwrap();
    let program = dist_dir(x86.triple).join("routes");
    let out = output(netns.command(program.to_str().unwrap()).arg("--version"));
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("routes "));
}
