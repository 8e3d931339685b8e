//! libpacketmark in real processes on the real kernel: glibc and musl programs on x86_64
//! inside network namespaces the tests make, a real dnsmasq whose upstream is reachable only
//! through the marked table, and on every other family a musl program under its qemu.

use integration_tests::{
    CrossC, Netns, Qemu, TARGETS, Target, WAN_ONLY_UPSTREAM as UPSTREAM, c_program, dist_dir,
    dnsmasq, musl_sysroot, namespace_with_wan_only_upstream, output,
};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

const X86: &str = "x86_64-unknown-linux-musl";

fn preload(triple: &str) -> String {
    dist_dir(triple)
        .join("libpacketmark.so")
        .to_string_lossy()
        .into_owned()
}

fn glibc_program() -> &'static PathBuf {
    static PROGRAM: OnceLock<PathBuf> = OnceLock::new();
    PROGRAM.get_or_init(|| c_program("marktest.c", "marktest-glibc", "gcc", &["-O1", "-pthread"]))
}

fn musl_program() -> &'static PathBuf {
    static PROGRAM: OnceLock<PathBuf> = OnceLock::new();
    PROGRAM.get_or_init(|| {
        c_program(
            "marktest.c",
            "marktest-musl",
            "musl-gcc",
            &["-O1", "-pthread"],
        )
    })
}

fn programs() -> [&'static PathBuf; 2] {
    [glibc_program(), musl_program()]
}

/// Runs the test program in `netns` with the preload and `env`; returns (stdout, stderr).
fn run_in(netns: &Netns, program: &PathBuf, env: &[&str], what: &str) -> (String, String) {
    run_with_preloads(netns, &preload(X86), program, env, what)
}

/// Runs the test program in `netns` with `LD_PRELOAD=preloads` and `env`.
fn run_with_preloads(
    netns: &Netns,
    preloads: &str,
    program: &PathBuf,
    env: &[&str],
    what: &str,
) -> (String, String) {
    let out = output(
        netns
            .command("env")
            .arg(format!("LD_PRELOAD={preloads}"))
            .args(env)
            .arg(program)
            .arg(what),
    );
    assert!(
        out.status.success(),
        "{program:?} {what} with {env:?}: {:?}",
        out.status
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn marks_ipv4_and_ipv6_sockets_with_decimal_hex_and_octal_values() {
    let netns = Netns::new();
    for program in programs() {
        for (value, mark) in [
            ("42", 42u32),
            ("0x2a", 42),
            ("0X2A", 42),
            ("052", 42),
            ("1", 1),
            ("0xffffffff", u32::MAX),
        ] {
            for family in ["inet", "inet6"] {
                let (stdout, stderr) = run_in(
                    &netns,
                    program,
                    &[&format!("LIBPACKETMARK_MARK={value}")],
                    family,
                );
                assert_eq!(
                    stdout,
                    format!("fd=ok errno=4321 mark={mark} leaked=0\n"),
                    "{program:?} {family} {value}"
                );
                assert_eq!(stderr, "", "{program:?} {family} {value}");
            }
        }
    }
}

/// The syscalls of the test program under strace, with the preload given to the tracee only.
fn strace_setsockopt(netns: &Netns, program: &PathBuf, mark: Option<&str>, what: &str) -> String {
    let mut cmd = netns.command("strace");
    cmd.args(["-f", "-qq", "-e", "trace=setsockopt", "-E"])
        .arg(format!("LD_PRELOAD={}", preload(X86)));
    if let Some(mark) = mark {
        cmd.arg("-E").arg(format!("LIBPACKETMARK_MARK={mark}"));
    }
    let out = output(cmd.arg(program).arg(what));
    assert!(
        out.status.success(),
        "strace {program:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn unset_or_zero_mark_makes_no_extra_syscall() {
    let netns = Netns::new();
    for program in programs() {
        // The witness works: with a mark, strace sees the call.
        let marked = strace_setsockopt(&netns, program, Some("1"), "inet");
        assert!(marked.contains("SO_MARK, [1], 4) = 0"), "{marked}");
        for mark in [None, Some("0"), Some("0x0"), Some("00")] {
            let trace = strace_setsockopt(&netns, program, mark, "inet");
            assert!(
                !trace.contains("setsockopt"),
                "{program:?} with {mark:?}: {trace}"
            );
        }
    }
}

#[test]
fn unix_sockets_are_left_alone() {
    let netns = Netns::new();
    for program in programs() {
        let trace = strace_setsockopt(&netns, program, Some("1"), "unix");
        assert!(!trace.contains("setsockopt"), "{trace}");
        let (stdout, _) = run_in(&netns, program, &["LIBPACKETMARK_MARK=1"], "unix");
        assert_eq!(stdout, "fd=ok errno=4321 mark=0 leaked=0\n");
    }
}

#[test]
fn a_failing_socket_call_keeps_its_own_errno() {
    let netns = Netns::new();
    for program in programs() {
        let (stdout, _) = run_in(&netns, program, &["LIBPACKETMARK_MARK=1"], "no-such-family");
        assert_eq!(
            stdout,
            format!("fd=-1 errno={} mark=0 leaked=0\n", libc_errno::EAFNOSUPPORT)
        );
    }
}

#[test]
fn bad_values_fail_closed_with_einval_and_say_so_once() {
    let netns = Netns::new();
    for program in programs() {
        for bad in [
            "",
            "wan",
            "0x",
            "-1",
            "+1",
            " 1",
            "12abc",
            "08",
            "4294967296",
        ] {
            let env = format!("LIBPACKETMARK_MARK={bad}");
            for family in ["inet", "inet6"] {
                let (stdout, stderr) = run_in(&netns, program, &[&env], family);
                assert_eq!(
                    stdout,
                    format!("fd=-1 errno={} mark=0 leaked=0\n", libc_errno::EINVAL),
                    "{program:?} {bad:?}"
                );
                assert_eq!(stderr.lines().count(), 1, "{stderr}");
                assert!(
                    stderr.contains(&format!("LIBPACKETMARK_MARK=\"{bad}\"")),
                    "{stderr}"
                );
            }
            // Not routed, so not refused.
            let (stdout, _) = run_in(&netns, program, &[&env], "unix");
            assert_eq!(stdout, "fd=ok errno=4321 mark=0 leaked=0\n");
            // `ignore` lets the socket through, unmarked.
            let (stdout, stderr) = run_in(
                &netns,
                program,
                &[&env, "LIBPACKETMARK_ON_ERROR=ignore"],
                "inet",
            );
            assert_eq!(
                stdout, "fd=ok errno=4321 mark=0 leaked=0\n",
                "{program:?} {bad:?}"
            );
            assert!(stderr.contains("unmarked"), "{stderr}");
        }
    }
}

/// The test library whose constructor makes sockets before libpacketmark's constructor runs,
/// built with `compiler`.
fn early_library(compiler: &str) -> PathBuf {
    c_program(
        "early_socket.c",
        &format!("early-{compiler}.so"),
        compiler,
        &["-O1", "-shared", "-fPIC", "-pthread"],
    )
}

#[test]
fn a_socket_made_by_another_librarys_constructor_is_marked() {
    let netns = Netns::new();
    for (compiler, program) in [("gcc", glibc_program()), ("musl-gcc", musl_program())] {
        let preloads = format!("{} {}", preload(X86), early_library(compiler).display());
        let (stdout, _) = run_with_preloads(
            &netns,
            &preloads,
            program,
            &["LIBPACKETMARK_MARK=9"],
            "inet",
        );
        assert_eq!(
            stdout, "early fd=ok mark=9\nfd=ok errno=4321 mark=9 leaked=0\n",
            "{compiler}"
        );
    }
}

/// Threads released together by a barrier race to make the process's first socket from an
/// earlier library's constructor, so several read the configuration at once: each gets the
/// mark; with a bad value each is refused and the complaint is one line in all.
#[test]
fn threads_racing_the_first_socket_all_get_the_mark_and_one_complaint() {
    let netns = Netns::new();
    const THREADS: &str = "EARLY_THREADS=32";
    for (compiler, program) in [("gcc", glibc_program()), ("musl-gcc", musl_program())] {
        let preloads = format!("{} {}", preload(X86), early_library(compiler).display());
        for round in 0..20 {
            let (stdout, stderr) = run_with_preloads(
                &netns,
                &preloads,
                program,
                &[THREADS, "LIBPACKETMARK_MARK=0x9"],
                "inet",
            );
            assert_eq!(
                stdout.lines().next(),
                Some("early threads=32 marked=32 refused=0 other=0 mark=9"),
                "{compiler}, round {round}"
            );
            assert_eq!(stderr, "", "{compiler}, round {round}");

            let (stdout, stderr) = run_with_preloads(
                &netns,
                &preloads,
                program,
                &[THREADS, "LIBPACKETMARK_MARK=wan"],
                "inet",
            );
            assert_eq!(
                stdout.lines().next(),
                Some("early threads=32 marked=0 refused=32 other=0 mark=0"),
                "{compiler}, round {round}"
            );
            assert_eq!(
                stderr, "libpacketmark: bad LIBPACKETMARK_MARK=\"wan\": IP sockets fail\n",
                "{compiler}, round {round}: one complaint in all"
            );
        }
    }
}

/// The shim whose `dlsym` finds nothing, built with `compiler`.
fn no_dlsym_shim(compiler: &str) -> PathBuf {
    c_program(
        "no_dlsym.c",
        &format!("no-dlsym-{compiler}.so"),
        compiler,
        &["-O1", "-shared", "-fPIC"],
    )
}

#[test]
fn without_a_socket_from_dlsym_the_syscall_stands_in() {
    let netns = Netns::new();
    for (compiler, program) in [("gcc", glibc_program()), ("musl-gcc", musl_program())] {
        let preloads = format!("{} {}", no_dlsym_shim(compiler).display(), preload(X86));
        for (what, expected) in [
            ("inet", "fd=ok errno=4321 mark=3 leaked=0"),
            ("inet6", "fd=ok errno=4321 mark=3 leaked=0"),
            ("unix", "fd=ok errno=4321 mark=0 leaked=0"),
            (
                "flags",
                "fd=ok errno=4321 mark=3 leaked=0 nonblock=1 cloexec=1",
            ),
            (
                "noflags",
                "fd=ok errno=4321 mark=3 leaked=0 nonblock=0 cloexec=0",
            ),
        ] {
            let (stdout, stderr) =
                run_with_preloads(&netns, &preloads, program, &["LIBPACKETMARK_MARK=3"], what);
            assert_eq!(stdout, format!("{expected}\n"), "{compiler} {what}");
            assert_eq!(stderr, "", "{compiler} {what}");
        }
        // The syscall's own error comes back in errno.
        let (stdout, _) = run_with_preloads(
            &netns,
            &preloads,
            program,
            &["LIBPACKETMARK_MARK=3"],
            "no-such-family",
        );
        assert_eq!(
            stdout,
            format!("fd=-1 errno={} mark=0 leaked=0\n", libc_errno::EAFNOSUPPORT),
            "{compiler}"
        );
        // Fail-closed holds on this path too, and leaves nothing open.
        assert_eq!(
            run_without_capability(&preloads, program, &["LIBPACKETMARK_MARK=1"]),
            format!("fd=-1 errno={} mark=0 leaked=0\n", libc_errno::EPERM),
            "{compiler}"
        );
    }
}

#[test]
fn sock_nonblock_and_sock_cloexec_pass_through() {
    let netns = Netns::new();
    for program in programs() {
        for mark in ["LIBPACKETMARK_MARK=5", "LIBPACKETMARK_MARK=0"] {
            let marked = if mark.ends_with('5') { 5 } else { 0 };
            let (stdout, _) = run_in(&netns, program, &[mark], "flags");
            assert_eq!(
                stdout,
                format!("fd=ok errno=4321 mark={marked} leaked=0 nonblock=1 cloexec=1\n"),
                "{program:?} {mark}"
            );
            let (stdout, _) = run_in(&netns, program, &[mark], "noflags");
            assert_eq!(
                stdout,
                format!("fd=ok errno=4321 mark={marked} leaked=0 nonblock=0 cloexec=0\n"),
                "{program:?} {mark}"
            );
        }
    }
}

#[test]
fn many_threads_at_once_all_get_the_mark() {
    let netns = Netns::new();
    for program in programs() {
        let (stdout, _) = run_in(&netns, program, &["LIBPACKETMARK_MARK=7"], "threads");
        assert_eq!(stdout, "sockets=800 wrong=0 mark=7\n", "{program:?}");
    }
}

/// In a user namespace that does not own the network namespace, SO_MARK is refused (EPERM).
fn run_without_capability(preloads: &str, program: &PathBuf, env: &[&str]) -> String {
    run_without_capability_as(preloads, program, env, "inet").0
}

/// The same, asking `marktest` for `what`; its standard output and error.
fn run_without_capability_as(
    preloads: &str,
    program: &PathBuf,
    env: &[&str],
    what: &str,
) -> (String, String) {
    let out = output(
        Command::new("unshare")
            .args(["--user", "--map-root-user", "--", "env"])
            .arg(format!("LD_PRELOAD={preloads}"))
            .args(env)
            .arg(program)
            .arg(what),
    );
    assert!(out.status.success());
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A refused mark says why, once per process however many sockets fail, and names the mark
/// and the capabilities; with `ignore` it says nothing.
#[test]
fn a_refused_mark_is_told_once_per_process() {
    for program in programs() {
        let (stdout, stderr) = run_without_capability_as(
            &preload(X86),
            program,
            &["LIBPACKETMARK_MARK=0x1"],
            "threads",
        );
        // Every one of the 801 sockets fails, from 17 threads.
        assert!(
            stdout.starts_with("sockets=800 wrong=800"),
            "{program:?}: {stdout}"
        );
        assert_eq!(
            stderr,
            "libpacketmark: the kernel refused LIBPACKETMARK_MARK=0x1 (SO_MARK needs \
             CAP_NET_ADMIN, or CAP_NET_RAW on Linux 5.17 and later): IP sockets fail\n",
            "{program:?}"
        );
        let (_, stderr) = run_without_capability_as(
            &preload(X86),
            program,
            &["LIBPACKETMARK_MARK=1", "LIBPACKETMARK_ON_ERROR=ignore"],
            "inet",
        );
        assert_eq!(stderr, "", "{program:?}");
    }
}

#[test]
fn without_the_capability_it_fails_closed_unless_told_to_ignore() {
    for program in programs() {
        assert_eq!(
            run_without_capability(&preload(X86), program, &["LIBPACKETMARK_MARK=1"]),
            format!("fd=-1 errno={} mark=0 leaked=0\n", libc_errno::EPERM),
            "{program:?}: no unmarked socket may come back, and none stays open"
        );
        assert_eq!(
            run_without_capability(
                &preload(X86),
                program,
                &["LIBPACKETMARK_MARK=1", "LIBPACKETMARK_ON_ERROR=ignore"]
            ),
            "fd=ok errno=4321 mark=0 leaked=0\n",
            "{program:?}: ignore keeps the socket and the caller's errno"
        );
    }
}

/// x86_64 errno values (the native tests run there).
mod libc_errno {
    pub const EPERM: i32 = 1;
    pub const EINVAL: i32 = 22;
    pub const EAFNOSUPPORT: i32 = 97;
}

/// Asks the forwarder on 127.0.0.1:5454 until it answers at all (it may still be starting),
/// and returns dig's whole report of the answer.
fn ask_forwarder(netns: &Netns) -> String {
    let mut report = String::new();
    for _ in 0..50 {
        let out = output(netns.command("dig").args([
            "+time=1",
            "+tries=1",
            "-p",
            "5454",
            "@127.0.0.1",
            "node.wan.test",
            "A",
        ]));
        report = String::from_utf8_lossy(&out.stdout).into_owned();
        if report.contains("status: ") {
            return report;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("the forwarder never answered: {report}");
}

#[test]
fn dnsmasq_reaches_a_wan_only_upstream_with_the_preload_and_not_without() {
    let netns = namespace_with_wan_only_upstream();
    let _upstream = dnsmasq(
        &netns,
        &[],
        &[
            &format!("--listen-address={UPSTREAM}"),
            "--bind-interfaces",
            "--port=53",
            "--address=/wan.test/192.0.2.7",
        ],
    );
    let forwarder_args = [
        "--listen-address=127.0.0.1",
        "--bind-interfaces",
        "--port=5454",
        &format!("--server={UPSTREAM}"),
        "--cache-size=0",
    ];

    let preload_env = format!("LD_PRELOAD={}", preload(X86));
    {
        let _forwarder = dnsmasq(
            &netns,
            &[&preload_env, "LIBPACKETMARK_MARK=1"],
            &forwarder_args,
        );
        let report = ask_forwarder(&netns);
        assert!(report.contains("status: NOERROR"), "{report}");
        assert!(
            report.contains("node.wan.test.\t\t0\tIN\tA\t192.0.2.7"),
            "{report}"
        );
    }
    {
        // The same forwarder without the preload answers, but only with REFUSED: its query
        // cannot leave (the kernel refuses the unmarked packet), so no upstream answer arrives.
        let _forwarder = dnsmasq(&netns, &[], &forwarder_args);
        let report = ask_forwarder(&netns);
        assert!(report.contains("status: REFUSED"), "{report}");
        assert!(!report.contains("192.0.2.7"), "{report}");
    }
}

#[test]
fn every_family_asks_a_real_musl_for_so_mark_with_the_right_bytes() {
    for target in TARGETS {
        let (Some(qemu), Some(c)) = (&target.qemu, &target.c) else {
            continue;
        };
        preload_in_a_musl_process_under_qemu(target, qemu, c);
    }
}

/// The preload of `target` in a C program linked against that family's musl, under its qemu
/// on the family's weakest CPU; the program stands in for `setsockopt` and prints what it
/// was asked for.
fn preload_in_a_musl_process_under_qemu(target: &Target, qemu: &Qemu, c: &CrossC) {
    let lib = musl_sysroot(target).join("lib");
    let lib = lib.display();
    // musl's specs file, but without GCC's crtbeginS.o/crtendS.o (Debian's MIPS GCC has only
    // hard-float ones, which a soft-float link warns about), and musl needs neither.
    let specs = format!("-specs={lib}/musl-gcc.specs");
    let (start, init, fini) = (
        format!("{lib}/Scrt1.o"),
        format!("{lib}/crti.o"),
        format!("{lib}/crtn.o"),
    );
    let mut flags: Vec<&str> = vec![&specs];
    flags.extend(c.cflags);
    flags.extend([
        "-O1",
        "-pthread",
        "-rdynamic",
        "-DRECORD_SETSOCKOPT",
        "-nostartfiles",
        &start,
        &init,
        &fini,
    ]);
    let gcc = format!("{}-gcc", c.prefix);
    let program = c_program(
        "marktest.c",
        &format!("marktest-{}", target.triple),
        &gcc,
        &flags,
    );
    let run = |env: &[&str], what: &str| {
        let mut cmd = Command::new(qemu.program);
        cmd.args(["-cpu", qemu.cpu])
            .arg("-E")
            .arg(format!("LD_PRELOAD={}", preload(target.triple)));
        for var in env {
            cmd.arg("-E").arg(var);
        }
        let out = output(cmd.arg(&program).arg(what));
        assert!(
            out.status.success(),
            "{} {}: {}",
            qemu.program,
            target.triple,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // SOL_SOCKET is 0xffff on MIPS and 1 elsewhere, SO_MARK 36 everywhere; the value is in
    // the family's byte order in memory.
    let level = if target.mips { 65535 } else { 1 };
    let (mark, one) = if target.big_endian {
        ("01020304", "00000001")
    } else {
        ("04030201", "01000000")
    };
    let asked = |bytes: &str| format!("setsockopt level={level} name=36 len=4 bytes={bytes}\n");
    let kept = "fd=ok errno=4321 mark=0 leaked=0\n";
    let what = target.triple;
    assert_eq!(
        run(&["LIBPACKETMARK_MARK=0x01020304"], "inet"),
        asked(mark) + kept,
        "{what}"
    );
    assert_eq!(
        run(&["LIBPACKETMARK_MARK=1"], "inet6"),
        asked(one) + kept,
        "{what}"
    );
    assert_eq!(run(&["LIBPACKETMARK_MARK=1"], "unix"), kept, "{what}");
    assert_eq!(run(&["LIBPACKETMARK_MARK=0"], "inet"), kept, "{what}");
    // A refused mark (EACCES, 13 on every family) fails the call closed with EPERM (1) and
    // leaves no descriptor open; `ignore` keeps the socket and the caller's errno.
    let refused = ["LIBPACKETMARK_MARK=1", "SETSOCKOPT_FAILS=13"];
    assert_eq!(
        run(&refused, "inet"),
        asked(one) + "fd=-1 errno=1 mark=0 leaked=0\n",
        "{what}"
    );
    assert_eq!(
        run(
            &[refused[0], refused[1], "LIBPACKETMARK_ON_ERROR=ignore"],
            "inet6"
        ),
        asked(one) + kept,
        "{what}"
    );
}
