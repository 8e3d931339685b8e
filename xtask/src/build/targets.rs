//! The router targets and the flags that turn no_std Rust into tiny files for them.
//! Every flag is explained, with what it saves, in the README's size playbook.

pub use lists::targets::{
    CrossC, Kernel, Machine, PRELOAD_CRATE, PRELOAD_FILE, PROGRAMS, TARGETS, Target,
};

/// `-Z build-std`: tier-3 targets have no prebuilt `core`; building it here also lets LTO see
/// through it. Neither kind takes `memcpy` and friends from `compiler-builtins-mem`: the
/// static programs, which link no libc, have `sys::mem` (byte loops; the word-at-a-time
/// versions cost 1.6 KB on MIPS), and the preload lives in a process that has a C library and
/// imports them from there (an import costs less than a copy).
pub const BUILD_STD: &[&str] = &["-Z", "build-std=core,compiler_builtins"];

/// Flags shared by both kinds of artifact.
const COMMON_FLAGS: &[&str] = &[
    // The toolchain's own lld for every router target: no GNU cross linker, no libc.
    "-C",
    "linker=rust-lld",
    "-C",
    "linker-flavor=ld.lld",
    // No unwinding ever happens (immediate abort), so no unwind tables are needed.
    "-C",
    "force-unwind-tables=no",
    "-C",
    "link-arg=--no-eh-frame-hdr",
    "-C",
    "link-arg=--build-id=none",
    "-C",
    "link-arg=-znorelro",
    "-C",
    "link-arg=-znognustack",
    // Read-only data shares the code's segment: one program header (32 B) less. The data
    // becomes executable, a hardening loss we accept for programs of a few KB.
    "-C",
    "link-arg=--no-rosegment",
];

/// A static program without libc: absolute addresses (no GOT, no dynamic relocations), none of
/// musl's start files (the x86_64 target would link its `crt1.o`), and our own `_start` as the
/// entry (the MIPS target spec would otherwise ask for musl's `__start`).
const STATIC_PROGRAM_FLAGS: &[&str] = &[
    "-C",
    "relocation-model=static",
    "-C",
    "link-self-contained=no",
    "-C",
    "link-arg=--entry=_start",
];

/// The linker script that drops `.eh_frame` at link time (it says why), relative to the
/// workspace root.
const DISCARD_UNWIND_TABLES: &str = "xtask/link/discard-unwind-tables.ld";

/// The preload's layout on MIPS, without the program headers no loader reads (it says why).
const MIPS_SHARED_OBJECT: &str = "xtask/link/mips-shared-object.ld";

/// A shared object loaded into a libc process: position-independent, not a static executable.
/// `-z lazy` drops the `BIND_NOW` entries rustc asks for (16 B of `.dynamic`). Of the
/// preload's five imports the constructor calls `dlsym`, `getenv` and `strlen` at load;
/// glibc binds `setsockopt` and `__errno_location` at the first IP `socket()` instead (musl
/// binds everything at load). All five are in every C library the preload can live in.
const SHARED_OBJECT_FLAGS: &[&str] = &["-C", "target-feature=-crt-static", "-C", "link-arg=-zlazy"];

/// The flags every build for `target` takes, whatever it builds.
pub fn target_flags(target: &Target) -> Vec<String> {
    match target.cpu {
        Some(cpu) => vec!["-C".into(), format!("target-cpu={cpu}")],
        None => Vec::new(),
    }
}

/// The kind of artifact, which decides the code model for the whole build.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    StaticProgram,
    SharedObject,
}

impl Kind {
    /// The rustflags for this kind and `target`.
    pub fn rustflags(self, target: &Target) -> Vec<String> {
        let specific = match self {
            Kind::StaticProgram => STATIC_PROGRAM_FLAGS,
            Kind::SharedObject => SHARED_OBJECT_FLAGS,
        };
        let mut flags: Vec<String> = COMMON_FLAGS
            .iter()
            .chain(specific)
            .map(|f| f.to_string())
            .collect();
        let script = match self {
            Kind::StaticProgram => Some(DISCARD_UNWIND_TABLES),
            Kind::SharedObject if target.mips => Some(MIPS_SHARED_OBJECT),
            Kind::SharedObject => None,
        };
        if let Some(script) = script {
            let script = crate::cmd::root().join(script);
            flags.extend(["-C".into(), format!("link-arg=-T{}", script.display())]);
        }
        flags.extend(target_flags(target));
        flags
    }

    /// The rustflags for this kind and `target`, as `CARGO_ENCODED_RUSTFLAGS` wants them.
    pub fn encoded_rustflags(self, target: &Target) -> String {
        self.rustflags(target).join("\x1f")
    }

    /// Its own target directory, so that switching kinds does not rebuild `core` each time.
    pub fn target_dir(self) -> &'static str {
        match self {
            Kind::StaticProgram => "target/build-static",
            Kind::SharedObject => "target/build-shared",
        }
    }
}
