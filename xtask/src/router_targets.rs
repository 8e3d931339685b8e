// The router targets and the files shipped for each: the one list, read by xtask
// (`targets.rs` includes it) and by the integration tests (`tests/lib.rs` includes it).
// Plain Rust without `use`, so that both crates can include it.

/// A target that `cargo xtask dist` builds, the packages serve and the tests run.
pub struct Target {
    /// The Rust target triple.
    pub triple: &'static str,
    /// The OpenWrt package architectures its files serve (opkg matches them by name, and one
    /// build serves several), and the Gluon targets (`targets/targets.mk`) that build images
    /// for them.
    pub openwrt_architectures: &'static [&'static str],
    pub gluon_targets: &'static [&'static str],
    /// How this machine runs its files; `None`: natively.
    pub qemu: Option<Qemu>,
    /// The C side of its tests: the Debian cross compiler and how musl is built with it.
    pub c: CrossC,
    pub big_endian: bool,
    pub mips: bool,
}

/// qemu-user for a target, with the weakest CPU of the family, so that an instruction the
/// routers lack fails the tests (`QEMU_CPU` also reaches children started through binfmt).
pub struct Qemu {
    pub program: &'static str,
    pub cpu: &'static str,
}

/// A C compiler for a target's tests: Debian's cross GCC (its tool prefix), and the flags
/// that make code for the family's weakest CPU (musl is built with them, and the C test
/// programs too).
pub struct CrossC {
    pub prefix: &'static str,
    pub musl_target: &'static str,
    pub cflags: &'static [&'static str],
}

/// The default first: ath79 (MIPS 24Kc, big-endian, soft-float), where the budgets' ceilings
/// apply. x86_64 is also what the native tests run. The OpenWrt architectures are those of
/// every target in Gluon's `targets/targets.mk` (its main branch in 2026, the BROKEN ones left
/// out).
pub const TARGETS: &[Target] = &[
    Target {
        triple: "mips-unknown-linux-musl",
        openwrt_architectures: &["mips_24kc"],
        gluon_targets: &[
            "ath79-generic",
            "ath79-nand",
            "ath79-mikrotik",
            "lantiq-xrx200",
            "lantiq-xrx200_legacy",
            "lantiq-xway",
        ],
        qemu: Some(Qemu {
            program: "qemu-mips",
            cpu: "24Kc",
        }),
        c: CrossC {
            prefix: "mips-linux-gnu",
            musl_target: "mips-linux-musl",
            cflags: &["-msoft-float", "-march=24kc"],
        },
        big_endian: true,
        mips: true,
    },
    Target {
        triple: "mipsel-unknown-linux-musl",
        openwrt_architectures: &["mipsel_24kc"],
        gluon_targets: &["ramips-mt7620", "ramips-mt7621", "ramips-mt76x8"],
        qemu: Some(Qemu {
            program: "qemu-mipsel",
            cpu: "24Kc",
        }),
        c: CrossC {
            prefix: "mipsel-linux-gnu",
            musl_target: "mipsel-linux-musl",
            cflags: &["-msoft-float", "-march=24kc"],
        },
        big_endian: false,
        mips: true,
    },
    Target {
        // ARMv6 with VFPv2, hard-float: the Raspberry Pi 1's ARM1176JZF-S.
        triple: "arm-unknown-linux-musleabihf",
        openwrt_architectures: &["arm_arm1176jzf-s_vfp"],
        gluon_targets: &["bcm27xx-bcm2708"],
        qemu: Some(Qemu {
            program: "qemu-arm",
            cpu: "arm1176",
        }),
        c: CrossC {
            prefix: "arm-linux-gnueabihf",
            musl_target: "arm-linux-musleabihf",
            cflags: &["-marm", "-march=armv6kz+fp", "-mfpu=vfp", "-mfloat-abi=hard"],
        },
        big_endian: false,
        mips: false,
    },
    Target {
        // ARMv7-A with VFPv3-D16 and no NEON assumed: the baseline of every ARMv7 router
        // (Cortex-A7, A9, A15), hard-float as OpenWrt's ABI is.
        triple: "armv7-unknown-linux-musleabihf",
        openwrt_architectures: &["arm_cortex-a7_neon-vfpv4", "arm_cortex-a15_neon-vfpv4"],
        gluon_targets: &[
            "armsr-armv7",
            "bcm27xx-bcm2709",
            "ipq40xx-generic",
            "ipq40xx-mikrotik",
            "ipq806x-generic",
            "sunxi-cortexa7",
        ],
        qemu: Some(Qemu {
            program: "qemu-arm",
            cpu: "cortex-a7",
        }),
        c: CrossC {
            prefix: "arm-linux-gnueabihf",
            musl_target: "arm-linux-musleabihf",
            cflags: &["-marm", "-march=armv7-a+fp", "-mfloat-abi=hard"],
        },
        big_endian: false,
        mips: false,
    },
    Target {
        triple: "aarch64-unknown-linux-musl",
        openwrt_architectures: &["aarch64_cortex-a53", "aarch64_generic"],
        gluon_targets: &[
            "armsr-armv8",
            "mediatek-filogic",
            "mediatek-mt7622",
            "rockchip-armv8",
        ],
        qemu: Some(Qemu {
            program: "qemu-aarch64",
            cpu: "cortex-a53",
        }),
        c: CrossC {
            prefix: "aarch64-linux-gnu",
            musl_target: "aarch64-linux-musl",
            cflags: &["-march=armv8-a"],
        },
        big_endian: false,
        mips: false,
    },
    Target {
        // The Pentium's instruction set: no SSE and no CMOV, which the Geode LX lacks.
        triple: "i586-unknown-linux-musl",
        openwrt_architectures: &["i386_pentium-mmx", "i386_pentium4"],
        gluon_targets: &["x86-generic", "x86-geode", "x86-legacy"],
        qemu: Some(Qemu {
            program: "qemu-i386",
            cpu: "pentium",
        }),
        c: CrossC {
            prefix: "i686-linux-gnu",
            musl_target: "i386-linux-musl",
            cflags: &["-march=pentium"],
        },
        big_endian: false,
        mips: false,
    },
    Target {
        triple: "x86_64-unknown-linux-musl",
        openwrt_architectures: &["x86_64"],
        gluon_targets: &["x86-64"],
        qemu: None,
        c: CrossC {
            prefix: "x86_64-linux-gnu",
            musl_target: "x86_64-linux-musl",
            cflags: &[],
        },
        big_endian: false,
        mips: false,
    },
    Target {
        // e500v2 has SPE instead of a classic FPU: code for it must not use one.
        triple: "powerpc-unknown-linux-muslspe",
        openwrt_architectures: &["powerpc_8548"],
        gluon_targets: &["mpc85xx-p1010", "mpc85xx-p1020"],
        qemu: Some(Qemu {
            program: "qemu-ppc",
            cpu: "e500v2",
        }),
        c: CrossC {
            prefix: "powerpc-linux-gnu",
            musl_target: "powerpc-linux-musl",
            cflags: &["-msoft-float", "-mcpu=powerpc"],
        },
        big_endian: true,
        mips: false,
    },
];

/// The shipped static programs, each built from the crate of its name.
pub const PROGRAMS: &[&str] = &["dns54", "routes", "viawan"];

/// The preload: its crate, and the file it ships as.
pub const PRELOAD_CRATE: &str = "packetmark";
pub const PRELOAD_FILE: &str = "libpacketmark.so";
