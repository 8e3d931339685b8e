//! Every program and file that a dist step, a test or a bench uses from the machine, with the
//! Debian package that provides it: the one list. xtask's setup installs from it, and the
//! integration tests name the package when something is missing.

/// When a tool is needed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Need {
    /// Rust's own premise (a C linker): checked and named, never installed by xtask.
    Premise,
    /// `cargo xtask dist` and `cargo xtask size` (and so `test` too).
    Dist,
    /// `cargo xtask test` and the benches.
    Test,
    /// `cargo xtask fresh-check` only.
    FreshCheck,
    /// `cargo xtask conformance` only (beside what `test` needs).
    Conformance,
}

/// A program (looked up on `PATH`) or a file (an absolute path) and its package.
pub struct Tool {
    pub program: &'static str,
    pub package: &'static str,
    pub need: Need,
    pub why: &'static str,
}

pub const TOOLS: &[Tool] = &[
    Tool {
        program: "gcc",
        package: "gcc",
        need: Need::Premise,
        why: "the C linker Rust itself needs; also builds the C test and bench programs",
    },
    Tool {
        program: "/usr/include/stdio.h",
        package: "libc6-dev",
        need: Need::Premise,
        why: "the C library's headers and start files for that linker",
    },
    Tool {
        program: "xz",
        package: "xz-utils",
        need: Need::Dist,
        why: "size-report's per-file xz estimate",
    },
    Tool {
        program: "mksquashfs",
        package: "squashfs-tools",
        need: Need::Dist,
        why: "size-report's squashfs image",
    },
    Tool {
        program: "g++",
        package: "g++",
        need: Need::Test,
        why: "cargo-fuzz builds libFuzzer's C++ sources with it",
    },
    Tool {
        program: "qemu-mips",
        package: "qemu-user",
        need: Need::Test,
        why: "runs the big-endian MIPS builds",
    },
    Tool {
        program: "qemu-mipsel",
        package: "qemu-user",
        need: Need::Test,
        why: "runs the little-endian MIPS builds",
    },
    Tool {
        program: "qemu-arm",
        package: "qemu-user",
        need: Need::Test,
        why: "runs the ARMv6 and ARMv7 builds",
    },
    Tool {
        program: "qemu-aarch64",
        package: "qemu-user",
        need: Need::Test,
        why: "runs the AArch64 builds",
    },
    Tool {
        program: "qemu-i386",
        package: "qemu-user",
        need: Need::Test,
        why: "runs the 32-bit x86 builds on a Pentium without SSE",
    },
    Tool {
        program: "qemu-ppc",
        package: "qemu-user",
        need: Need::Test,
        why: "runs the PowerPC builds on an e500v2",
    },
    Tool {
        program: "/usr/share/binfmts/qemu-mips",
        package: "qemu-user-binfmt",
        need: Need::Test,
        why: "the binfmt_misc magic that lets the kernel exec test children through their qemu",
    },
    Tool {
        program: "dpkg-source",
        package: "dpkg-dev",
        need: Need::Test,
        why: "`apt-get source musl` unpacks Debian's musl source with it",
    },
    Tool {
        program: "make",
        package: "make",
        need: Need::Test,
        why: "builds the MIPS musl",
    },
    Tool {
        program: "musl-gcc",
        package: "musl-tools",
        need: Need::Test,
        why: "x86_64 musl programs for the preload tests",
    },
    Tool {
        program: "dnsmasq",
        package: "dnsmasq-base",
        need: Need::Test,
        why: "the real DNS forwarder the tests preload into and compare with",
    },
    Tool {
        program: "bash",
        package: "bash",
        need: Need::Test,
        why: "holds TCP connections open to dns54 (its /dev/tcp) in the connection-limit test",
    },
    Tool {
        program: "dig",
        package: "bind9-dnsutils",
        need: Need::Test,
        why: "the DNS client of the tests",
    },
    Tool {
        program: "dnsperf",
        package: "dnsperf",
        need: Need::Test,
        why: "the load of `cargo xtask bench dns`",
    },
    Tool {
        program: "nsd",
        package: "nsd",
        need: Need::Test,
        why: "the upstream of `cargo xtask bench dns`",
    },
    Tool {
        program: "nft",
        package: "nftables",
        need: Need::Test,
        why: "counts a test's own packets by port in its peer namespaces",
    },
    Tool {
        program: "strace",
        package: "strace",
        need: Need::Test,
        why: "tests check which syscalls a process made",
    },
    Tool {
        program: "ip",
        package: "iproute2",
        need: Need::Test,
        why: "sets up the network namespaces of the tests",
    },
    Tool {
        program: "iptables-legacy-restore",
        package: "iptables",
        need: Need::Test,
        why: "loads the firewall3 rules the packages ship, in their test, with the legacy \
              iptables Gluon's firewall3 runs on",
    },
    Tool {
        program: "ip6tables-legacy-restore",
        package: "iptables",
        need: Need::Test,
        why: "loads the firewall3 IPv6 rules the packages ship, in their test (legacy)",
    },
    Tool {
        program: "signify-openbsd",
        package: "signify-openbsd",
        need: Need::Test,
        why: "signs the packages' index with a usign-compatible key, and checks it",
    },
    Tool {
        program: "sh",
        package: "dash",
        need: Need::Test,
        why: "runs the pipelines of the package builder and the tests",
    },
    Tool {
        program: "tar",
        package: "tar",
        need: Need::Test,
        why: "makes and unpacks the .ipk packages as OpenWrt's ipkg-build does",
    },
    Tool {
        program: "gzip",
        package: "gzip",
        need: Need::Test,
        why: "compresses the .ipk packages and their index",
    },
    Tool {
        program: "sha256sum",
        package: "coreutils",
        need: Need::Test,
        why: "the SHA256sum of each package in the index",
    },
    Tool {
        program: "find",
        package: "findutils",
        need: Need::Test,
        why: "sets the modes of the packages' directories",
    },
    Tool {
        program: "busybox",
        package: "busybox",
        need: Need::Test,
        why: "runs the shipped shell scripts with OpenWrt's shell in their tests",
    },
    Tool {
        program: "cp",
        package: "coreutils",
        need: Need::Test,
        why: "copies the scripts into the feed directory of the packages",
    },
    Tool {
        program: "jq",
        package: "jq",
        need: Need::Test,
        why: "answers the stand-in jsonfilter's expressions in the shell scripts' tests",
    },
    Tool {
        program: "chroot",
        package: "coreutils",
        need: Need::Test,
        why: "runs the shipped shell scripts in an OpenWrt-like root of their own",
    },
    Tool {
        program: "fastd",
        package: "fastd",
        need: Need::Test,
        why: "the real mesh VPN daemon (client and server) of the end-to-end test",
    },
    Tool {
        program: "shellcheck",
        package: "shellcheck",
        need: Need::Test,
        why: "checks every shipped shell script",
    },
    Tool {
        program: "setpriv",
        package: "util-linux",
        need: Need::Test,
        why: "runs viawan as an unprivileged user in its test",
    },
    Tool {
        program: "unshare",
        package: "util-linux",
        need: Need::Test,
        why: "makes the namespaces of the tests and benches",
    },
    Tool {
        program: "nsenter",
        package: "util-linux",
        need: Need::Test,
        why: "runs commands inside those namespaces",
    },
    Tool {
        program: "env",
        package: "coreutils",
        need: Need::Test,
        why: "starts test programs with a chosen environment",
    },
    Tool {
        program: "sleep",
        package: "coreutils",
        need: Need::Test,
        why: "the process that holds a test's namespaces",
    },
    Tool {
        program: "mount",
        package: "mount",
        need: Need::Test,
        why: "mounts binfmt_misc where it is not mounted yet",
    },
    Tool {
        program: "date",
        package: "coreutils",
        need: Need::Test,
        why: "dates the size playbook",
    },
    Tool {
        program: "readelf",
        package: "binutils",
        need: Need::Test,
        why: "the tests check size-report's figures against it",
    },
    Tool {
        program: "size",
        package: "binutils",
        need: Need::Test,
        why: "the tests check size-report's figures against it",
    },
    Tool {
        program: "nm",
        package: "binutils",
        need: Need::Test,
        why: "the tests check size-report's symbols against it",
    },
    Tool {
        program: "unsquashfs",
        package: "squashfs-tools",
        need: Need::Test,
        why: "the tests open size-report's squashfs image",
    },
    Tool {
        program: "/usr/bin/time",
        package: "time",
        need: Need::Test,
        why: "GNU time: the routes bench's wall time and peak memory",
    },
    Tool {
        program: "qemu-system-mips",
        package: "qemu-system-mips",
        need: Need::Test,
        why: "boots the real big-endian MIPS kernel of the real-kernel checks",
    },
    Tool {
        program: "qemu-system-mipsel",
        package: "qemu-system-mips",
        need: Need::Test,
        why: "boots the real little-endian MIPS kernel of the real-kernel checks",
    },
    Tool {
        program: "qemu-system-arm",
        package: "qemu-system-arm",
        need: Need::Test,
        why: "boots the real ARMv6 and ARMv7 kernels of the real-kernel checks",
    },
    Tool {
        program: "qemu-system-aarch64",
        package: "qemu-system-arm",
        need: Need::Test,
        why: "boots the real AArch64 kernel of the real-kernel checks",
    },
    Tool {
        program: "qemu-system-i386",
        package: "qemu-system-x86",
        need: Need::Test,
        why: "boots the real 32-bit x86 kernel of the real-kernel checks",
    },
    Tool {
        program: "qemu-system-ppc",
        package: "qemu-system-ppc",
        need: Need::Test,
        why: "boots the real PowerPC e500v2 kernel of the real-kernel checks",
    },
    Tool {
        program: "apt-cache",
        package: "apt",
        need: Need::Test,
        why: "finds the Debian kernel package a meta-package stands for, for another architecture",
    },
    Tool {
        program: "dpkg-deb",
        package: "dpkg",
        need: Need::Test,
        why: "unpacks Debian's kernels and busybox for the real-kernel checks",
    },
    Tool {
        program: "dpkg-query",
        package: "dpkg",
        need: Need::Test,
        why: "the version of linux-source, part of a built kernel's cache key",
    },
    Tool {
        program: "/usr/src/linux-source-6.1.tar.xz",
        package: "linux-source-6.1",
        need: Need::Test,
        why: "the kernels built for the families Debian has no kernel for (MIPS BE, PowerPC)",
    },
    Tool {
        program: "bc",
        package: "bc",
        need: Need::Test,
        why: "the kernel build computes constants with it",
    },
    Tool {
        program: "flex",
        package: "flex",
        need: Need::Test,
        why: "the kernel's configuration tools are built with it",
    },
    Tool {
        program: "bison",
        package: "bison",
        need: Need::Test,
        why: "the kernel's configuration tools are built with it",
    },
    Tool {
        program: "/usr/include/openssl/opensslv.h",
        package: "libssl-dev",
        need: Need::Test,
        why: "the kernel build's host tools include it",
    },
    Tool {
        program: "/usr/include/libelf.h",
        package: "libelf-dev",
        need: Need::Test,
        why: "the kernel build's host tools include it",
    },
    Tool {
        program: "yes",
        package: "coreutils",
        need: Need::Test,
        why: "answers busybox's configuration questions with their defaults",
    },
    Tool {
        program: "debootstrap",
        package: "debootstrap",
        need: Need::FreshCheck,
        why: "makes the fresh Debian root",
    },
    Tool {
        program: "git",
        package: "git",
        need: Need::FreshCheck,
        why: "takes a clean clone of the repository into it",
    },
    Tool {
        program: "git",
        package: "git",
        need: Need::Conformance,
        why: "fetches the upstream sources by commit",
    },
    Tool {
        program: "cmake",
        package: "cmake",
        need: Need::Conformance,
        why: "builds OpenWrt's libubox, usign and opkg",
    },
    Tool {
        program: "/usr/include/json-c/json.h",
        package: "libjson-c-dev",
        need: Need::Conformance,
        why: "libubox's JSON support, which opkg links",
    },
    Tool {
        program: "/usr/include/bsd/string.h",
        package: "libbsd-dev",
        need: Need::Conformance,
        why: "strlcpy for procd, which glibc 2.36 lacks and musl has",
    },
    Tool {
        program: "/usr/include/openssl/evp.h",
        package: "libssl-dev",
        need: Need::Conformance,
        why: "apk-tools' signatures and hashes",
    },
    Tool {
        program: "/usr/include/zlib.h",
        package: "zlib1g-dev",
        need: Need::Conformance,
        why: "apk-tools' compression",
    },
    Tool {
        program: "openssl",
        package: "openssl",
        need: Need::Conformance,
        why: "makes the EC keys apk's indexes are signed with",
    },
];

/// Whether a program is on `PATH` (or, for an absolute path, whether the file exists).
pub fn is_present(program: &str) -> bool {
    if program.starts_with('/') {
        return std::path::Path::new(program).exists();
    }
    find(program).is_some()
}

/// Where a program is: on `PATH`, or in the sbin directories (setup runs as root, whose
/// `PATH` holds them, but a user's may not).
pub fn find(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let sbin = std::ffi::OsString::from("/usr/local/sbin:/usr/sbin:/sbin");
    std::env::split_paths(&path)
        .chain(std::env::split_paths(&sbin))
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}
