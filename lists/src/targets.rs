//! The router targets and the files shipped for each: the one list, read by xtask and by
//! the integration tests.

/// A target that `cargo xtask dist` builds, the packages serve and the tests run.
pub struct Target {
    /// The Rust target triple.
    pub triple: &'static str,
    /// The OpenWrt package architectures its files serve (opkg matches them by name, and one
    /// build serves several), and the Gluon targets (`targets/targets.mk`) that build images
    /// for them.
    pub openwrt_architectures: &'static [&'static str],
    pub gluon_targets: &'static [&'static str],
    /// The family, as the README and the test steps name it.
    pub family: &'static str,
    /// `-C target-cpu` for every build of it (shipped files and tests), where the target's
    /// default is wrong for the routers.
    pub cpu: Option<&'static str>,
    /// How this machine runs its files; `None`: natively.
    pub qemu: Option<Qemu>,
    /// The C side of its tests under qemu: the Debian cross compiler and how musl is built
    /// with it; `None` for the host's own target, whose tests run natively.
    pub c: Option<CrossC>,
    pub big_endian: bool,
    pub mips: bool,
    /// The real Linux machine its shipped files are checked on (`cargo xtask test`'s
    /// real-kernel step); `None`: the machine's own kernel, natively.
    pub machine: Option<Machine>,
}

/// A real kernel of the family's own architecture under qemu-system, with the CPU it runs
/// on. qemu-user translates system calls and restores registers that a real kernel does
/// not; this is where the shipped files meet the kernel they run on.
pub struct Machine {
    /// The qemu-system program (package `qemu-system-<…>` names it) and its arguments
    /// before `-kernel`.
    pub qemu: &'static str,
    pub package: &'static str,
    pub args: &'static [&'static str],
    /// The serial console, and what else the kernel's command line needs.
    pub console: &'static str,
    pub append: &'static str,
    pub kernel: Kernel,
    /// Debian's `busybox-static` of this Debian architecture, or `None`: Debian has none,
    /// so it is built from Debian's busybox source with the family's cross compiler.
    pub busybox_deb: Option<&'static str>,
}

/// Where a machine's kernel comes from.
pub enum Kernel {
    /// Debian's own kernel: the package (a meta-package, resolved to the current image) of
    /// this Debian architecture, the image's path in it (a prefix of it), and the device tree
    /// the machine needs, if any.
    Debian {
        arch: &'static str,
        package: &'static str,
        image: &'static str,
        dtb: Option<&'static str>,
    },
    /// Built from Debian's `linux-source-6.1` with the family's cross compiler: the kernel's
    /// `ARCH`, the configuration fragment in `tests/real-kernel/` (applied on top of
    /// `allnoconfig`), and the image `make` leaves.
    Built {
        arch: &'static str,
        fragment: &'static str,
        image: &'static str,
    },
}

/// qemu-user for a target, with the weakest CPU of the family, so that an instruction the
/// routers lack fails the tests (`QEMU_CPU` also reaches children started through binfmt).
pub struct Qemu {
    pub program: &'static str,
    pub cpu: &'static str,
    /// What tells `cpu` apart from qemu's default CPU in the auxiliary vector, which a test
    /// reads to prove that the test processes run on `cpu`; `None` where nothing does (on
    /// MIPS, qemu reports neither a platform nor the FPU the default 24Kf has).
    pub sign: Option<CpuSign>,
}

/// A mark of a CPU in the auxiliary vector, as qemu-user fills it in.
pub enum CpuSign {
    /// `AT_PLATFORM` names it (`v6l`, `i586` …).
    Platform(&'static str),
    /// `AT_HWCAP` lacks these bits, which qemu's default CPU has.
    HwcapLacks(u64),
}

impl CpuSign {
    /// The sign as `cargo xtask test` passes it to the tests (`GWT_CPU_SIGN`).
    pub fn to_env(&self) -> String {
        match self {
            CpuSign::Platform(name) => format!("platform:{name}"),
            CpuSign::HwcapLacks(bits) => format!("hwcap-lacks:{bits}"),
        }
    }
}

/// A C compiler for a target's tests: Debian's cross GCC (its tool prefix; the packages are
/// `gcc-<prefix>`, `binutils-<prefix>` and `libc6-dev-<debian_arch>-cross`), and the flags
/// that make code for the family's weakest CPU (musl is built with them, and the C test
/// programs too).
pub struct CrossC {
    pub prefix: &'static str,
    pub debian_arch: &'static str,
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
        family: "MIPS BE",
        cpu: None,
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
            sign: None,
        }),
        c: Some(CrossC {
            prefix: "mips-linux-gnu",
            debian_arch: "mips",
            musl_target: "mips-linux-musl",
            cflags: &["-msoft-float", "-march=24kc"],
        }),
        big_endian: true,
        mips: true,
        // Debian has no big-endian MIPS port since bookworm: a kernel of our own, on the 24Kc
        // of most Gluon nodes (ath79).
        machine: Some(Machine {
            qemu: "qemu-system-mips",
            package: "qemu-system-mips",
            args: &["-M", "malta", "-cpu", "24Kc", "-m", "256"],
            console: "ttyS0",
            append: "",
            kernel: Kernel::Built {
                arch: "mips",
                fragment: "linux-mips-malta-be.config",
                image: "vmlinux",
            },
            busybox_deb: None,
        }),
    },
    Target {
        triple: "mipsel-unknown-linux-musl",
        family: "MIPS LE",
        cpu: None,
        openwrt_architectures: &["mipsel_24kc"],
        gluon_targets: &["ramips-mt7620", "ramips-mt7621", "ramips-mt76x8"],
        qemu: Some(Qemu {
            program: "qemu-mipsel",
            cpu: "24Kc",
            sign: None,
        }),
        c: Some(CrossC {
            prefix: "mipsel-linux-gnu",
            debian_arch: "mipsel",
            musl_target: "mipsel-linux-musl",
            cflags: &["-msoft-float", "-march=24kc"],
        }),
        big_endian: false,
        mips: true,
        // Debian's Malta kernel, on the 24Kc of the MT76x8 and MT7620 (the MT7621's 1004Kc
        // runs the same code).
        machine: Some(Machine {
            qemu: "qemu-system-mipsel",
            package: "qemu-system-mips",
            args: &["-M", "malta", "-cpu", "24Kc", "-m", "256"],
            console: "ttyS0",
            append: "",
            kernel: Kernel::Debian {
                arch: "mipsel",
                package: "linux-image-4kc-malta",
                image: "boot/vmlinuz-",
                dtb: None,
            },
            busybox_deb: Some("mipsel"),
        }),
    },
    Target {
        // ARMv6 with VFPv2, hard-float: the Raspberry Pi 1's ARM1176JZF-S.
        triple: "arm-unknown-linux-musleabihf",
        family: "ARMv6",
        cpu: None,
        openwrt_architectures: &["arm_arm1176jzf-s_vfp"],
        gluon_targets: &["bcm27xx-bcm2708"],
        qemu: Some(Qemu {
            program: "qemu-arm",
            cpu: "arm1176",
            sign: Some(CpuSign::Platform("v6l")),
        }),
        c: Some(CrossC {
            prefix: "arm-linux-gnueabihf",
            debian_arch: "armhf",
            musl_target: "arm-linux-musleabihf",
            cflags: &["-marm", "-march=armv6", "-mfpu=vfp", "-mfloat-abi=hard"],
        }),
        big_endian: false,
        mips: false,
        // A real ARM1176 (the Raspberry Pi Zero's), with Debian's armel kernel for it; qemu
        // 7.2 oopses in the power driver's probe unless it is left out.
        machine: Some(Machine {
            qemu: "qemu-system-arm",
            package: "qemu-system-arm",
            args: &["-M", "raspi0", "-m", "512"],
            console: "ttyAMA0",
            append: "initcall_blacklist=bcm2835_pm_driver_init",
            kernel: Kernel::Debian {
                arch: "armel",
                package: "linux-image-rpi",
                image: "boot/vmlinuz-",
                dtb: Some("bcm2835-rpi-zero.dtb"),
            },
            busybox_deb: Some("armel"),
        }),
    },
    Target {
        // ARMv7-A, hard-float as OpenWrt's ABI is, no NEON assumed (rustc does assume 32
        // double registers, which every `neon-vfpv4` CPU has).
        triple: "armv7-unknown-linux-musleabihf",
        family: "ARMv7",
        cpu: None,
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
            sign: Some(CpuSign::Platform("v7l")),
        }),
        c: Some(CrossC {
            prefix: "arm-linux-gnueabihf",
            debian_arch: "armhf",
            musl_target: "arm-linux-musleabihf",
            cflags: &["-march=armv7-a", "-mfpu=vfpv3-d16", "-mfloat-abi=hard"],
        }),
        big_endian: false,
        mips: false,
        // Debian's armhf kernel on a Cortex-A7 (ipq40xx, sunxi), qemu's `virt` board.
        machine: Some(Machine {
            qemu: "qemu-system-arm",
            package: "qemu-system-arm",
            args: &["-M", "virt", "-cpu", "cortex-a7", "-m", "256"],
            console: "ttyAMA0",
            append: "",
            kernel: Kernel::Debian {
                arch: "armhf",
                package: "linux-image-armmp",
                image: "boot/vmlinuz-",
                dtb: None,
            },
            busybox_deb: Some("armhf"),
        }),
    },
    Target {
        triple: "aarch64-unknown-linux-musl",
        family: "AArch64",
        cpu: None,
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
            // No LSE atomics (HWCAP_ATOMICS), which qemu's default `max` CPU has.
            sign: Some(CpuSign::HwcapLacks(1 << 8)),
        }),
        c: Some(CrossC {
            prefix: "aarch64-linux-gnu",
            debian_arch: "arm64",
            musl_target: "aarch64-linux-musl",
            cflags: &["-mcpu=cortex-a53"],
        }),
        big_endian: false,
        mips: false,
        // Debian's arm64 kernel on a Cortex-A53 (mediatek, rockchip), qemu's `virt` board.
        machine: Some(Machine {
            qemu: "qemu-system-aarch64",
            package: "qemu-system-arm",
            args: &["-M", "virt", "-cpu", "cortex-a53", "-m", "256"],
            console: "ttyAMA0",
            append: "",
            kernel: Kernel::Debian {
                arch: "arm64",
                package: "linux-image-arm64",
                image: "boot/vmlinuz-",
                dtb: None,
            },
            busybox_deb: Some("arm64"),
        }),
    },
    Target {
        // The Pentium's instruction set: no SSE and no CMOV, which the Geode LX lacks.
        triple: "i586-unknown-linux-musl",
        family: "x86 32-bit",
        cpu: None,
        openwrt_architectures: &["i386_pentium-mmx", "i386_pentium4"],
        gluon_targets: &["x86-generic", "x86-geode", "x86-legacy"],
        qemu: Some(Qemu {
            program: "qemu-i386",
            cpu: "pentium",
            sign: Some(CpuSign::Platform("i586")),
        }),
        c: Some(CrossC {
            prefix: "i686-linux-gnu",
            debian_arch: "i386",
            musl_target: "i386-linux-musl",
            cflags: &["-march=pentium", "-mtune=generic"],
        }),
        big_endian: false,
        mips: false,
        // Debian's 686 kernel needs CMOV, so the weakest CPU it boots on is a Pentium II;
        // the files themselves keep to the Pentium's instructions (a test disassembles them).
        machine: Some(Machine {
            qemu: "qemu-system-i386",
            package: "qemu-system-x86",
            args: &["-M", "pc", "-cpu", "pentium2", "-vga", "none", "-m", "256"],
            console: "ttyS0",
            append: "",
            kernel: Kernel::Debian {
                arch: "i386",
                package: "linux-image-686",
                image: "boot/vmlinuz-",
                dtb: None,
            },
            busybox_deb: Some("i386"),
        }),
    },
    Target {
        triple: "x86_64-unknown-linux-musl",
        family: "x86-64",
        cpu: None,
        openwrt_architectures: &["x86_64"],
        gluon_targets: &["x86-64"],
        qemu: None,
        c: None,
        big_endian: false,
        mips: false,
        machine: None,
    },
    Target {
        // e500v2 has SPE instead of a classic FPU: code for it must not use one.
        triple: "powerpc-unknown-linux-muslspe",
        family: "PowerPC e500v2",
        // The target's default CPU has a classic FPU, and LLVM takes SPE from the CPU, not
        // from the target's name: without this, code with floats (std's) gets `lfd`/`fadd`,
        // which e500v2 traps on.
        cpu: Some("e500"),
        openwrt_architectures: &["powerpc_8548"],
        gluon_targets: &["mpc85xx-p1010", "mpc85xx-p1020"],
        qemu: Some(Qemu {
            program: "qemu-ppc",
            cpu: "e500v2",
            // No classic FPU (PPC_FEATURE_HAS_FPU), which qemu's default CPU has.
            sign: Some(CpuSign::HwcapLacks(0x0800_0000)),
        }),
        c: Some(CrossC {
            prefix: "powerpc-linux-gnu",
            debian_arch: "powerpc",
            musl_target: "powerpc-linux-musl",
            // GCC 12 lost SPE, so the test musl is soft-float (its float ABI matches SPE's:
            // values in general registers); -O2 because -Os calls libgcc's register-restore
            // helpers, and the tests link without libgcc; musl insists on 64-bit long double
            // and on the secure PLT (-mcpu=8548 alone gives the old executable one).
            cflags: &[
                "-mcpu=8548",
                "-msoft-float",
                "-mlong-double-64",
                "-msecure-plt",
                "-O2",
            ],
        }),
        big_endian: true,
        mips: false,
        // Debian has no PowerPC port: a kernel of our own for qemu's e500 board, on the
        // e500v2 of Gluon's mpc85xx nodes.
        machine: Some(Machine {
            qemu: "qemu-system-ppc",
            package: "qemu-system-ppc",
            args: &["-M", "ppce500", "-cpu", "e500v2", "-m", "256"],
            console: "ttyS0",
            append: "",
            kernel: Kernel::Built {
                arch: "powerpc",
                fragment: "linux-powerpc-e500.config",
                image: "vmlinux",
            },
            busybox_deb: None,
        }),
    },
];

/// The shipped static programs, each built from the crate of its name.
pub const PROGRAMS: &[&str] = &["dns54", "routes", "viawan"];

/// The preload: its crate, and the file it ships as.
pub const PRELOAD_CRATE: &str = "packetmark";
pub const PRELOAD_FILE: &str = "libpacketmark.so";
