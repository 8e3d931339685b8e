//! The shipped `viawan` as root (changing group needs it; CI runs as root, and without root
//! these tests fail, never pass): the group it gives, the environment, the preload really
//! marking a glibc and a musl program's sockets, the search of `PATH`, and its errors.

use integration_tests::{ForNobody, Netns, Scratch, c_program, dist_dir, output};
use std::path::PathBuf;
use std::process::Output;

const X86: &str = "x86_64-unknown-linux-musl";

fn program() -> String {
    dist_dir(X86).join("viawan").to_string_lossy().into_owned()
}

fn preload() -> String {
    dist_dir(X86)
        .join("libpacketmark.so")
        .to_string_lossy()
        .into_owned()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// viawan with `args`, in `netns`, with only `env` (and `PATH`) for an environment.
fn viawan(netns: &Netns, env: &[&str], args: &[&str]) -> Output {
    output(
        netns
            .command("env")
            .arg("-i")
            .arg("PATH=/usr/sbin:/usr/bin:/sbin:/bin")
            .args(env)
            .arg(program())
            .args(args),
    )
}

#[test]
fn the_command_runs_in_the_group_and_keeps_its_user() {
    let netns = Netns::as_root();
    let preload = format!("--preload={}", preload());
    let out = viawan(&netns, &[], &[&preload, "--group", "nogroup", "id"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.starts_with("uid=0(root) gid=65534(nogroup)"), "{said}");
    // By number too, and with `--` before a command that looks like an option.
    let out = viawan(&netns, &[], &[&preload, "--group=65534", "--", "id", "-g"]);
    assert_eq!(text(&out.stdout), "65534\n");
}

#[test]
fn the_environment_gets_the_preload_first_and_mark_1() {
    let netns = Netns::as_root();
    let env = [
        "LD_PRELOAD=/lib/other.so",
        "LIBPACKETMARK_MARK=7",
        "KEEP=this",
    ];
    let preload = preload();
    let out = viawan(
        &netns,
        &env,
        &["--group", "0", "--preload", &preload, "env"],
    );
    let said = text(&out.stdout);
    let mut lines: Vec<&str> = said.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "KEEP=this",
            format!("LD_PRELOAD={preload}:/lib/other.so").as_str(),
            "LIBPACKETMARK_MARK=1",
            "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
        ],
        "{}",
        text(&out.stderr)
    );
    // Gluon's path is the default; this machine has no preload there, so nothing runs.
    let out = viawan(&netns, &[], &["--group", "0", "env"]);
    assert_eq!(out.status.code(), Some(125));
    assert_eq!(
        text(&out.stderr),
        "viawan: cannot read the preload /usr/lib/libpacketmark.so: no such file\n"
    );
}

#[test]
fn the_preload_marks_the_sockets_of_glibc_and_musl_programs() {
    let netns = Netns::as_root();
    let programs: [PathBuf; 2] = [
        c_program("marktest.c", "marktest-glibc", "gcc", &["-O1", "-pthread"]),
        c_program(
            "marktest.c",
            "marktest-musl",
            "musl-gcc",
            &["-O1", "-pthread"],
        ),
    ];
    for program in &programs {
        let out = viawan(
            &netns,
            &[],
            &[
                "--group",
                "0",
                "--preload",
                &preload(),
                program.to_str().unwrap(),
                "inet",
            ],
        );
        let said = text(&out.stdout);
        assert!(
            said.starts_with("fd=ok errno=4321 mark=1 "),
            "{}: {said}{}",
            program.display(),
            text(&out.stderr)
        );
    }
}

#[test]
fn commands_are_looked_for_as_the_shells_do_and_failures_say_why() {
    let netns = Netns::as_root();
    // With the real preload, so that ld.so has nothing to say on standard error.
    let preload = format!("--preload={}", preload());
    let run = |args: &[&str]| {
        let args: Vec<&str> = [preload.as_str()]
            .into_iter()
            .chain(args.iter().copied())
            .collect();
        let out = viawan(&netns, &[], &args);
        (out.status.code(), text(&out.stderr))
    };
    assert_eq!(run(&["--group", "0", "true"]), (Some(0), String::new()));
    assert_eq!(run(&["--group", "0", "false"]).0, Some(1), "its own status");
    assert_eq!(
        run(&["--group", "0", "no-such-command"]),
        (Some(127), "viawan: no-such-command: not found\n".into())
    );
    // A file that may not be run, and one that may but is no program.
    let scratch = Scratch::new("viawan");
    let (plain, garbage) = (scratch.path("plain"), scratch.path("garbage"));
    std::fs::write(&plain, "#!/bin/sh\n").unwrap();
    std::fs::write(&garbage, [0xffu8; 64]).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&garbage, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (plain, garbage) = (plain.to_str().unwrap(), garbage.to_str().unwrap());
    assert_eq!(
        run(&["--group", "0", plain]),
        (
            Some(126),
            format!("viawan: {plain}: cannot run: permission denied\n")
        )
    );
    assert_eq!(
        run(&["--group", "0", garbage]),
        (
            Some(126),
            format!("viawan: {garbage}: cannot run: not an executable\n")
        )
    );
    assert_eq!(
        run(&["--group", "no-such-group", "true"]),
        (
            Some(125),
            "viawan: no such group in /etc/group: no-such-group\n".into()
        )
    );
    // Gluon's group is the default; this machine has none.
    assert_eq!(run(&["true"]).0, Some(125));
    let (status, said) = run(&["--group", "0"]);
    assert_eq!(status, Some(2));
    assert_eq!(
        said,
        "viawan: no command to run (viawan --help shows the usage)\n"
    );
    // Not root: the group cannot change, and viawan says so rather than run the command
    // without it.
    let for_nobody = ForNobody::new("viawan");
    let preload_for_nobody = format!("--preload={}", for_nobody.copy(&self::preload()));
    let out = output(
        netns
            .command("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .args([
                &for_nobody.copy(&program()),
                &preload_for_nobody,
                "--group",
                "0",
                "true",
            ]),
    );
    assert_eq!(out.status.code(), Some(125));
    assert_eq!(
        text(&out.stderr),
        "viawan: cannot take the group 0: operation not permitted (needs root)\n"
    );
}

/// The big-endian MIPS build reads ELF headers in its own byte order: it takes its own
/// preload, and refuses another machine's preload and another machine's program (which the
/// kernel would hand to an emulator, out of the preload's reach). Taking the group on MIPS is
/// checked on a real MIPS kernel (`cargo xtask test`'s real-kernel step).
#[test]
fn the_mips_build_tells_its_own_files_from_another_machines_under_qemu() {
    let netns = Netns::as_root();
    integration_tests::require("qemu-mips");
    let mips = dist_dir("mips-unknown-linux-musl");
    let mips_preload = mips.join("libpacketmark.so");
    let run = |preload: &str| {
        let out = output(netns.command("qemu-mips").arg(mips.join("viawan")).args([
            "--group",
            "65534",
            "--preload",
            preload,
            "/usr/bin/id",
            "-g",
        ]));
        (out.status.code(), text(&out.stderr))
    };
    assert_eq!(
        run(mips_preload.to_str().unwrap()),
        (
            Some(126),
            "viawan: /usr/bin/id: not a program for this machine: the preload cannot reach it\n"
                .into()
        )
    );
    let x86_preload = preload();
    assert_eq!(
        run(&x86_preload),
        (
            Some(125),
            format!(
                "viawan: {x86_preload}: not a shared object for this machine: no socket would be \
                 marked\n"
            )
        )
    );
}

/// viawan runs nothing whose sockets it cannot have marked: with the preload missing, or a
/// statically linked command, no preload would reach it and its packets would leave
/// unmarked, by the mesh.
#[test]
fn what_the_preload_cannot_reach_is_not_run() {
    let netns = Netns::as_root();
    let static_program = c_program(
        "marktest.c",
        "marktest-static",
        "gcc",
        &["-static", "-O2", "-pthread"],
    );
    let static_program = static_program.to_str().unwrap();
    let out = viawan(
        &netns,
        &[],
        &["--group", "0", "--preload", "/nonexistent.so", "true"],
    );
    assert_eq!(out.status.code(), Some(125));
    assert_eq!(
        text(&out.stderr),
        "viawan: cannot read the preload /nonexistent.so: no such file\n"
    );
    let out = viawan(
        &netns,
        &[],
        &[
            "--group",
            "0",
            "--preload",
            &preload(),
            static_program,
            "inet",
        ],
    );
    assert_eq!(out.status.code(), Some(126));
    assert_eq!(
        text(&out.stderr),
        format!("viawan: {static_program}: statically linked: the preload cannot reach it\n")
    );
    assert!(out.stdout.is_empty(), "it ran: {}", text(&out.stdout));
}
