// The router targets and the files shipped for each: the one list, read by xtask
// (`targets.rs` includes it) and by the integration tests (`tests/lib.rs` includes it).
// Plain Rust without `use`, so that both crates can include it.

/// A target that `cargo xtask dist` builds, the packages serve and the tests run.
pub struct Target {
    /// The Rust target triple.
    pub triple: &'static str,
    /// The OpenWrt package architectures its files serve (opkg matches them by name, and one
    /// build serves several).
    pub openwrt_architectures: &'static [&'static str],
    /// The qemu-user program that runs its files here; `None`: the host runs them.
    pub qemu: Option<&'static str>,
    pub big_endian: bool,
    pub mips: bool,
}

/// The default first: ath79 (MIPS 24Kc, big-endian, soft-float), where the budgets' ceilings
/// apply. MIPS LE serves ramips (the 24Kc build runs on the 74Kc); x86_64 is also what the
/// native tests run.
pub const TARGETS: &[Target] = &[
    Target {
        triple: "mips-unknown-linux-musl",
        openwrt_architectures: &["mips_24kc"],
        qemu: Some("qemu-mips"),
        big_endian: true,
        mips: true,
    },
    Target {
        triple: "mipsel-unknown-linux-musl",
        openwrt_architectures: &["mipsel_24kc", "mipsel_74kc"],
        qemu: Some("qemu-mipsel"),
        big_endian: false,
        mips: true,
    },
    Target {
        triple: "armv7-unknown-linux-musleabihf",
        openwrt_architectures: &["arm_cortex-a7_neon-vfpv4", "arm_cortex-a15_neon-vfpv4"],
        qemu: Some("qemu-arm"),
        big_endian: false,
        mips: false,
    },
    Target {
        triple: "aarch64-unknown-linux-musl",
        openwrt_architectures: &["aarch64_cortex-a53", "aarch64_generic"],
        qemu: Some("qemu-aarch64"),
        big_endian: false,
        mips: false,
    },
    Target {
        triple: "x86_64-unknown-linux-musl",
        openwrt_architectures: &["x86_64"],
        qemu: None,
        big_endian: false,
        mips: false,
    },
];

/// The shipped static programs, each built from the crate of its name.
pub const PROGRAMS: &[&str] = &["dns54", "routes", "viawan"];

/// The preload: its crate, and the file it ships as.
pub const PRELOAD_CRATE: &str = "packetmark";
pub const PRELOAD_FILE: &str = "libpacketmark.so";
