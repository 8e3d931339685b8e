//! What the integration tests share: where the built artifacts are, how to run one for its
//! architecture, and network namespaces that the test makes and removes itself.

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

/// The router targets and the shipped files: the one list, which xtask reads too.
pub use lists::targets::{CrossC, PRELOAD_FILE, PROGRAMS, Qemu, TARGETS, Target};

/// Every OpenWrt package architecture with the Rust target whose files it carries.
pub fn openwrt_architectures() -> impl Iterator<Item = (&'static str, &'static str)> {
    TARGETS.iter().flat_map(|target| {
        target
            .openwrt_architectures
            .iter()
            .map(move |arch| (*arch, target.triple))
    })
}

/// The path `cargo xtask test` passes in the environment variable `var`, or its usual place
/// in the workspace (`default`, relative to the workspace root) when the tests run alone.
fn passed_or_default(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(default)
    })
}

/// The dist directory of `triple` (`cargo xtask test` passes `GWT_DIST_DIR`).
pub fn dist_dir(triple: &str) -> PathBuf {
    let base = passed_or_default("GWT_DIST_DIR", "target/dist");
    let dir = base.join(triple);
    assert!(
        dir.is_dir(),
        "{} is missing: run `cargo xtask dist` first (or `cargo xtask test`)",
        dir.display()
    );
    dir
}

/// The packages of OpenWrt architecture `arch` and the public key their index is signed with
/// (`cargo xtask test` passes `GWT_PACKAGE_DIR` and `GWT_PACKAGE_KEY`).
pub fn package_dir(arch: &str) -> (PathBuf, PathBuf) {
    let dir = passed_or_default("GWT_PACKAGE_DIR", "target/packages").join(arch);
    let key = passed_or_default("GWT_PACKAGE_KEY", "target/package-test-key/key.pub");
    made_by_the_test_run(dir, key)
}

/// `dir` and `key`, which `cargo xtask test` makes; stops the test when either is missing.
fn made_by_the_test_run(dir: PathBuf, key: PathBuf) -> (PathBuf, PathBuf) {
    assert!(
        dir.is_dir() && key.is_file(),
        "{} or {} is missing: run `cargo xtask test`",
        dir.display(),
        key.display()
    );
    (dir, key)
}

/// The apk feed of OpenWrt architecture `arch` and the public key its index is signed with
/// (beside the opkg key `cargo xtask test` passes as `GWT_PACKAGE_KEY`).
pub fn apk_feed_dir(arch: &str) -> (PathBuf, PathBuf) {
    let (_, key) = package_dir(arch);
    let dir = passed_or_default("GWT_PACKAGE_DIR", "target/packages")
        .join("apk")
        .join(arch);
    made_by_the_test_run(dir, key.with_file_name("apk-key.pub.pem"))
}

/// A command that runs `program` of `target`: through its qemu, or natively.
pub fn command_for(target: &Target, program: &std::path::Path) -> Command {
    match &target.qemu {
        Some(qemu) => {
            require(qemu.program);
            let mut cmd = Command::new(qemu.program);
            cmd.args(["-cpu", qemu.cpu]).arg(program);
            cmd
        }
        None => Command::new(program),
    }
}

/// The programs the tests run and the Debian packages they come from: the list xtask's
/// setup installs from.
use lists::tools;

/// Stops the test at once, naming the package, when `program` is not on the machine: a
/// missing tool must never read as a failure of the thing under test.
pub fn require(program: &str) {
    if tools::is_present(program) {
        return;
    }
    let cross = TARGETS
        .iter()
        .filter_map(|t| t.c.as_ref())
        .find(|c| program == format!("{}-gcc", c.prefix));
    if let Some(c) = cross {
        panic!(
            "{program} is missing: apt-get install gcc-{0} binutils-{0} libc6-dev-{1}-cross \
             (`cargo xtask test` installs them)",
            c.prefix, c.debian_arch
        );
    }
    match tools::TOOLS.iter().find(|t| t.program == program) {
        Some(tool) => panic!(
            "{program} is missing: apt-get install {} (`cargo xtask test` installs it)",
            tool.package
        ),
        None => {
            panic!("{program} is missing, and lists/src/tools.rs does not list it: add it there")
        }
    }
}

/// Runs a command to the end with no input and returns its output.
pub fn output(cmd: &mut Command) -> Output {
    if let Some(program) = cmd.get_program().to_str().filter(|p| !p.contains('/')) {
        require(program);
    }
    cmd.stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// A network namespace (with its own user namespace, so no root is needed) that lives as long
/// as this value: a holder process keeps it, commands enter it with `nsenter`, and dropping the
/// value kills the holder by its PID, which removes the namespace with everything in it.
pub struct Netns {
    holder: Child,
    /// Whether it has a user namespace of its own (all but [`Netns::as_root`]'s).
    user: bool,
}

impl Netns {
    /// A fresh namespace with only `lo`, brought up.
    pub fn new() -> Netns {
        require("unshare");
        require("sleep");
        let holder = Command::new("unshare")
            .args(["--user", "--map-root-user", "--net", "--", "sleep", "600"])
            .stdin(Stdio::null())
            .spawn()
            .expect("unshare (util-linux) must be installed");
        Netns::held_by(holder)
    }

    /// Another network namespace in this one's user namespace, so that links can move
    /// between the two (`ip link set … netns PID`): a peer host for this one.
    pub fn peer(&self) -> Netns {
        let holder = self
            .command("unshare")
            .args(["--net", "--", "sleep", "600"])
            .stdin(Stdio::null())
            .spawn()
            .expect("unshare (util-linux) must be installed");
        Netns::held_by(holder)
    }

    /// A fresh namespace owned by the real root, without a user namespace: for what a user
    /// namespace cannot do (become another user: only uid 0 is mapped there). Needs root,
    /// as CI has; without it the test fails, it is never counted as passed.
    pub fn as_root() -> Netns {
        require("unshare");
        require("sleep");
        // The effective uid, from /proc, as `id -u` would say it.
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let euid = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            .unwrap_or("?");
        assert_eq!(
            euid, "0",
            "this test needs root (CI runs as root): it changes user"
        );
        let holder = Command::new("unshare")
            .args(["--net", "--", "sleep", "600"])
            .stdin(Stdio::null())
            .spawn()
            .expect("unshare (util-linux) must be installed");
        let netns = Netns {
            holder,
            user: false,
        };
        netns.wait_for_holder();
        netns
    }

    fn held_by(holder: Child) -> Netns {
        let netns = Netns { holder, user: true };
        netns.wait_for_holder();
        netns
    }

    fn wait_for_holder(&self) {
        let netns = self;
        // Wait until the holder runs `sleep`: unshare execs it only after it has written the
        // user namespace's ID maps (or made the network namespace), and before that,
        // entering the namespace gives no rights.
        let cmdline = format!("/proc/{}/cmdline", netns.pid());
        for _ in 0..1000 {
            if std::fs::read(&cmdline).is_ok_and(|c| c.starts_with(b"sleep\0")) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        netns.run_ok(&["ip", "link", "set", "lo", "up"]);
    }

    /// The holder's PID.
    pub fn pid(&self) -> u32 {
        self.holder.id()
    }

    /// A command that runs inside the namespace.
    pub fn command(&self, program: &str) -> Command {
        if !program.contains('/') {
            require(program);
        }
        let mut cmd = Command::new("nsenter");
        cmd.arg(format!("--target={}", self.pid()));
        if self.user {
            cmd.args(["--user", "--net", "--preserve-credentials", "--"]);
        } else {
            cmd.args(["--net", "--"]);
        }
        cmd.arg(program);
        cmd
    }

    /// Runs `argv` inside the namespace; returns its output whatever its status.
    pub fn run(&self, argv: &[&str]) -> Output {
        output(self.command(argv[0]).args(&argv[1..]))
    }

    /// Runs `argv` inside the namespace and insists that it succeeds; returns its stdout.
    pub fn run_ok(&self, argv: &[&str]) -> String {
        let out = output(self.command(argv[0]).args(&argv[1..]));
        assert!(
            out.status.success(),
            "{argv:?} failed in the namespace: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Default for Netns {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}

/// A process started for a test, killed by its PID (and reaped) when the test is done.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The upstream of [`namespace_with_wan_only_upstream`].
pub const WAN_ONLY_UPSTREAM: &str = "198.51.100.53";

/// A namespace where `WAN_ONLY_UPSTREAM` (an address on the namespace's own `lo`) is reachable only by
/// marked packets: the local table moves behind a rule that refuses unmarked packets to it,
/// and table 1, which marked packets use, delivers them.
pub fn namespace_with_wan_only_upstream() -> Netns {
    let netns = Netns::new();
    wan_only_upstream(&netns);
    netns
}

/// Makes [`WAN_ONLY_UPSTREAM`] reachable only by marked packets in `netns`.
pub fn wan_only_upstream(netns: &Netns) {
    for rule in [
        &[
            "ip",
            "addr",
            "add",
            &format!("{WAN_ONLY_UPSTREAM}/32"),
            "dev",
            "lo",
        ][..],
        &["ip", "rule", "add", "pref", "100", "lookup", "local"],
        &["ip", "rule", "del", "pref", "0"],
        &[
            "ip", "rule", "add", "pref", "1", "fwmark", "0x1/0x1", "lookup", "1",
        ],
        &[
            "ip",
            "route",
            "add",
            "local",
            WAN_ONLY_UPSTREAM,
            "dev",
            "lo",
            "table",
            "1",
        ],
        // The upstream's replies come from its own address: those stay local.
        &[
            "ip",
            "rule",
            "add",
            "pref",
            "2",
            "from",
            WAN_ONLY_UPSTREAM,
            "lookup",
            "local",
        ],
        &[
            "ip",
            "rule",
            "add",
            "pref",
            "3",
            "to",
            WAN_ONLY_UPSTREAM,
            "prohibit",
        ],
    ] {
        netns.run_ok(rule);
    }
}

/// A real dnsmasq in `netns`, with `env` and `args` after a base that keeps it in the
/// foreground, reading no file of the machine; killed by its PID when the value is dropped.
pub fn dnsmasq(netns: &Netns, env: &[&str], args: &[&str]) -> Running {
    require("dnsmasq");
    let mut cmd = netns.command("env");
    cmd.args(env).args([
        "dnsmasq",
        // Not --keep-in-foreground: that mode switches group, which a user namespace refuses.
        "--no-daemon",
        "--conf-file=/dev/null",
        "--no-hosts",
        "--no-resolv",
        "--user=root",
        "--group=root",
        "--pid-file=",
    ]);
    cmd.args(args)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    Running(
        cmd.spawn()
            .expect("dnsmasq (dnsmasq-base) must be installed"),
    )
}

/// Compiles a C test program from `tests/programs/` with `compiler` and `flags` into
/// `target/test-programs/` and returns its path. A warning fails the test, as in every build.
pub fn c_program(source: &str, output_name: &str, compiler: &str, flags: &[&str]) -> PathBuf {
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("programs")
        .join(source);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-programs");
    std::fs::create_dir_all(&dir).unwrap();
    let output_path = dir.join(output_name);
    let out = output(
        Command::new(compiler)
            .args(["-Wall", "-Wextra"])
            .args(flags)
            .arg(&source)
            .arg("-o")
            .arg(&output_path),
    );
    let diagnostics = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && diagnostics.is_empty(),
        "{compiler} on {}: {diagnostics}",
        source.display()
    );
    output_path
}

/// The musl of `target` that `cargo xtask test` builds from Debian's source (it passes
/// `GWT_SYSROOT_DIR`, where each target has its directory).
pub fn musl_sysroot(target: &Target) -> PathBuf {
    let dir = passed_or_default("GWT_SYSROOT_DIR", "target/sysroot").join(target.triple);
    assert!(
        dir.join("lib/libc.a").is_file(),
        "{} is missing: run `cargo xtask test`",
        dir.display()
    );
    dir
}

/// A program of the toolchain's llvm-tools (`llvm-objdump`, `llvm-objcopy`): the pinned
/// toolchain carries them, so every disassembly reads the same way.
pub fn llvm_tool(name: &str) -> PathBuf {
    let sysroot = output(Command::new("rustc").args(["--print", "sysroot"]));
    let info = output(Command::new("rustc").arg("-vV"));
    let info = String::from_utf8_lossy(&info.stdout);
    let host = info
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host");
    PathBuf::from(String::from_utf8_lossy(&sysroot.stdout).trim())
        .join("lib/rustlib")
        .join(host)
        .join("bin")
        .join(name)
}

/// The shipped `routes` of `triple`.
pub fn routes_program_for(triple: &str) -> PathBuf {
    dist_dir(triple).join("routes")
}

/// The shipped `routes` for the machine's own architecture.
pub fn routes_program() -> PathBuf {
    routes_program_for("x86_64-unknown-linux-musl")
}

/// The size-report binary (`cargo xtask test` builds it and passes `GWT_SIZE_REPORT`).
pub fn size_report() -> PathBuf {
    let path = passed_or_default("GWT_SIZE_REPORT", "target/release/size-report");
    assert!(
        path.is_file(),
        "{} is missing: run `cargo xtask test` (or `cargo build --release -p size-report`)",
        path.display()
    );
    path
}

/// A directory of the test's own under `target/test-scratch/`, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../target/test-scratch")
            .join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.0.join(relative)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An OpenWrt-like root for the shipped shell scripts, built on tmpfs inside a mount namespace
/// of the caller's (the scripts name absolute paths such as `/lib/gluon/…`, which a Debian
/// machine must not get): Debian's `/usr` and its libraries bound in read-only, the `etc/` and
/// `lib/` files of `packaging/openwrt/files/` copied to their install paths, and two directories of the
/// test's scratch bound in, so the test sees and changes them while the root lives:
/// `/var` and `/standin` (the stand-ins for OpenWrt's ubus, uci and jsonfilter from
/// `tests/fixtures/openwrt/standin/`, first on `PATH`, with the answers they give under
/// `/standin/data/`).
pub struct OpenWrtRoot {
    scratch: Scratch,
    scripts: std::cell::Cell<u32>,
}

impl OpenWrtRoot {
    pub fn new(name: &str) -> OpenWrtRoot {
        require("chroot");
        require("busybox");
        require("jq");
        let scratch = Scratch::new(name);
        for dir in [
            "root",
            "var",
            "standin/data/ubus",
            "standin/data/uci",
            "standin/bin",
        ] {
            std::fs::create_dir_all(scratch.path(dir)).unwrap();
        }
        let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/openwrt/standin");
        for stand_in in ["ubus", "uci", "jsonfilter"] {
            std::fs::copy(
                fixtures.join(stand_in),
                scratch.path("standin").join(stand_in),
            )
            .unwrap();
        }
        OpenWrtRoot {
            scratch,
            scripts: std::cell::Cell::new(0),
        }
    }

    /// A path under the root's `/var`, as the test sees it.
    pub fn var(&self, relative: &str) -> PathBuf {
        self.scratch.path("var").join(relative)
    }

    /// A path under `/standin/data/`: `ubus/NAME.json`, `uci/KEY`.
    pub fn answer(&self, relative: &str) -> PathBuf {
        self.scratch.path("standin/data").join(relative)
    }

    /// Where a program put here is found on the root's `PATH` (as `/standin/bin`), before
    /// Debian's: for the project's own programs, installed as the packages install them.
    pub fn bin(&self) -> PathBuf {
        self.scratch.path("standin/bin")
    }

    /// Runs `commands` in the root, in `netns` (as root), in a mount namespace of their own;
    /// returns what they printed.
    pub fn run(&self, netns: &Netns, env: &str, commands: &str) -> String {
        netns.run_ok(&[
            "unshare",
            "--mount",
            "--",
            "sh",
            "-c",
            &self.script(env, commands),
        ])
    }

    /// The shell text that, run by `sh` as root in a mount namespace of its own (`unshare
    /// --mount`, or `ip netns exec`, which makes one), builds the root and runs `commands`
    /// in it with busybox `sh`, with the environment `env` (`NAME=value` words) and nothing
    /// else from the caller's.
    pub fn script(&self, env: &str, commands: &str) -> String {
        let n = self.scripts.get() + 1;
        self.scripts.set(n);
        let file = self.scratch.path(&format!("standin/run-{n}.sh"));
        std::fs::write(&file, commands).unwrap();
        let files = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../packaging/openwrt/files");
        format!(
            "set -e\n\
             R='{root}'\n\
             mount -t tmpfs none \"$R\"\n\
             mkdir -p \"$R/usr\" \"$R/etc\" \"$R/var\" \"$R/tmp\" \"$R/proc\" \"$R/dev\" \
             \"$R/sbin\" \"$R/standin\" \"$R/lib\"\n\
             mount --rbind /usr \"$R/usr\"\n\
             mount -o remount,bind,ro \"$R/usr\"\n\
             ln -s usr/bin \"$R/bin\"\n\
             ln -s usr/lib64 \"$R/lib64\"\n\
             for libs in /usr/lib/*-linux-gnu; do\n\
                 mkdir -p \"$R/lib/${{libs##*/}}\"\n\
                 mount --bind \"$libs\" \"$R/lib/${{libs##*/}}\"\n\
             done\n\
             cp /etc/passwd /etc/group /etc/ld.so.cache \"$R/etc/\"\n\
             mount --rbind /dev \"$R/dev\"\n\
             mount -t proc proc \"$R/proc\"\n\
             cp -R '{files}/etc/.' \"$R/etc/\"\n\
             cp -R '{files}/lib/.' \"$R/lib/\"\n\
             mount --bind '{var}' \"$R/var\"\n\
             mount --bind '{standin}' \"$R/standin\"\n\
             exec chroot \"$R\" /usr/bin/env -i \
             PATH=/standin/bin:/standin:/usr/sbin:/usr/bin:/sbin:/bin {env} \
             /bin/busybox sh /standin/run-{n}.sh\n",
            root = self.scratch.path("root").display(),
            files = files.display(),
            var = self.scratch.path("var").display(),
            standin = self.scratch.path("standin").display(),
        )
    }
}

/// The start of the `OUTPUT` chain firewall3 writes for a node with a WAN zone on `br-wan`
/// and a mesh zone on `mesh`, both accepting output (IPv4 and IPv6 alike), without its
/// comments and custom-rule chains: what an include's rules come after (a stand-in of
/// firewall3's own rules; `cargo xtask conformance` runs the real firewall3).
pub fn firewall3_own_rules(mesh: &str) -> String {
    format!(
        "*filter
:zone_wan_output - [0:0]
:zone_mesh_output - [0:0]
-A OUTPUT -o lo -j ACCEPT
-A OUTPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A OUTPUT -o br-wan -j zone_wan_output
-A OUTPUT -o {mesh} -j zone_mesh_output
-A zone_wan_output -o br-wan -j ACCEPT
-A zone_mesh_output -o {mesh} -j ACCEPT
COMMIT
"
    )
}

/// The packets the DROP rule of an `iptables -L CHAIN -v -n -x` listing has counted.
pub fn iptables_dropped(listing: &str) -> u64 {
    let drop = listing
        .lines()
        .find(|l| l.contains("DROP"))
        .unwrap_or_else(|| panic!("no DROP rule in: {listing}"));
    drop.split_whitespace()
        .next()
        .and_then(|packets| packets.parse().ok())
        .unwrap_or_else(|| panic!("no packet count in: {drop}"))
}

/// The command that lists the shipped nftables table's fail-closed chain.
pub const LIST_FAIL_CLOSED_CHAIN: [&str; 6] = [
    "nft",
    "list",
    "chain",
    "inet",
    "gluon_wan_tools",
    "wan_only",
];

/// The packets counted by the dropping rules of an `nft list chain` listing (the shipped
/// firewall's fail-closed rule counts what it drops).
pub fn nft_dropped(listing: &str) -> u64 {
    listing
        .lines()
        .filter(|l| l.contains(" drop"))
        .filter_map(|l| {
            let mut words = l.split_whitespace().skip_while(|w| *w != "packets");
            words.nth(1)?.parse::<u64>().ok()
        })
        .sum()
}

/// One hunk of a unified diff: the file it patches and the lines it expects and leaves (its
/// context with the removed lines, its context with the added ones).
#[derive(Debug, PartialEq)]
pub struct Hunk {
    pub path: String,
    pub before: Vec<String>,
    pub after: Vec<String>,
}

/// The hunks of the unified diff `patch` (a `git format-patch` mail or a plain diff), read
/// only from the patch itself: what a test of a patch can check without the upstream file.
pub fn hunks(patch: &str) -> Vec<Hunk> {
    let mut hunks: Vec<Hunk> = Vec::new();
    let mut path = None;
    let mut in_hunk = false;
    for line in patch.lines() {
        if let Some(target) = line.strip_prefix("+++ b/") {
            path = Some(target.to_string());
            in_hunk = false;
        } else if line.starts_with("--- ") {
            in_hunk = false;
        } else if line.starts_with("@@ ") {
            let path = path.clone().expect("a hunk after its file's header");
            hunks.push(Hunk {
                path,
                before: Vec::new(),
                after: Vec::new(),
            });
            in_hunk = true;
        } else if in_hunk {
            let hunk = hunks.last_mut().expect("in a hunk");
            match line.split_at_checked(1) {
                Some((" ", rest)) => {
                    hunk.before.push(rest.to_string());
                    hunk.after.push(rest.to_string());
                }
                Some(("-", rest)) => hunk.before.push(rest.to_string()),
                Some(("+", rest)) => hunk.after.push(rest.to_string()),
                // An empty context line, as some editors leave it.
                None => {
                    hunk.before.push(String::new());
                    hunk.after.push(String::new());
                }
                _ => in_hunk = false,
            }
        }
    }
    hunks
}

/// A directory under /tmp that every user may read, for programs a test runs as another user
/// (the checkout may sit where such a user cannot reach, as under /root in a fresh-check);
/// removed when dropped.
pub struct ForNobody(PathBuf);

impl ForNobody {
    pub fn new(name: &str) -> ForNobody {
        use std::os::unix::fs::PermissionsExt;
        let dir = PathBuf::from(format!("/tmp/gwt-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        ForNobody(dir)
    }

    /// `file` copied where every user may read and run it; its new path.
    pub fn copy(&self, file: &str) -> String {
        use std::os::unix::fs::PermissionsExt;
        let to = self.0.join(PathBuf::from(file).file_name().unwrap());
        std::fs::copy(file, &to).unwrap();
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755)).unwrap();
        to.to_string_lossy().into_owned()
    }
}

impl Drop for ForNobody {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
