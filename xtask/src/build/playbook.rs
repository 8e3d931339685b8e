//! `cargo xtask playbook`: what each size flag of the shipped builds saves, measured one flag
//! at a time against the build as `cargo xtask dist` makes it, on big-endian MIPS (where the
//! budgets apply): `routes` for the static programs, `libpacketmark.so` for the preload.
//! It prints the table and writes it into docs/size-playbook.md, so the numbers there are
//! always one run's.

use crate::build::targets::{Kind, PRELOAD_CRATE, PRELOAD_FILE};
use crate::build::{build_command, run_build, strip};
use crate::cmd::{Result, fail, root};
use object::{Object, ObjectSection, SectionFlags};
use std::fs;
use std::path::Path;
use std::process::Command;

const TRIPLE: &str = "mips-unknown-linux-musl";
const DOC: &str = "docs/size-playbook.md";
const BEGIN: &str = "<!-- cargo xtask playbook: begin -->";
const END: &str = "<!-- cargo xtask playbook: end -->";

/// One build to measure: what it changes against the baseline.
struct Variant {
    name: &'static str,
    /// Flags of `dist` left out (each given as the value after its `-C`, or as the end of
    /// it: a linker script's file name).
    without: &'static [&'static str],
    /// Flags added (each as the value after a `-C`).
    with: &'static [&'static str],
    /// Profile settings changed, as cargo `--config` values.
    profile: &'static [&'static str],
    /// How the file is stripped: `None` leaves the linker's output as it is.
    strip: Option<&'static [&'static str]>,
}

const fn variant(name: &'static str) -> Variant {
    Variant {
        name,
        without: &[],
        with: &[],
        profile: &[],
        strip: Some(&[]),
    }
}

/// An opt-level for every crate: the profile's, and the preload's own (Cargo.toml).
const OPT_LEVEL_Z: &[&str] = &[
    "profile.ship.opt-level=\"z\"",
    "profile.ship.package.packetmark.opt-level=\"z\"",
];
const OPT_LEVEL_S: &[&str] = &[
    "profile.ship.opt-level=\"s\"",
    "profile.ship.package.packetmark.opt-level=\"s\"",
];
const OPT_LEVEL_3: &[&str] = &[
    "profile.ship.opt-level=3",
    "profile.ship.package.packetmark.opt-level=3",
];

const COMMON_VARIANTS: &[Variant] = &[
    variant("baseline: as `cargo xtask dist` builds it"),
    Variant {
        strip: None,
        ..variant("no llvm-objcopy (the linker's output)")
    },
    Variant {
        without: &["force-unwind-tables=no"],
        ..variant("without `-C force-unwind-tables=no`")
    },
    Variant {
        without: &["link-arg=--no-eh-frame-hdr"],
        ..variant("without `--no-eh-frame-hdr`")
    },
    Variant {
        without: &["link-arg=--build-id=none"],
        ..variant("without `--build-id=none`")
    },
    Variant {
        without: &["link-arg=-znorelro"],
        ..variant("without `-z norelro`")
    },
    Variant {
        without: &["link-arg=-znognustack"],
        ..variant("without `-z nognustack`")
    },
    Variant {
        without: &["link-arg=--no-rosegment"],
        ..variant("without `--no-rosegment`")
    },
    Variant {
        profile: OPT_LEVEL_Z,
        ..variant("`opt-level = \"z\"`")
    },
    Variant {
        profile: OPT_LEVEL_S,
        ..variant("`opt-level = \"s\"`")
    },
    Variant {
        profile: OPT_LEVEL_3,
        ..variant("`opt-level = 3`")
    },
    Variant {
        profile: &["profile.ship.lto=false"],
        ..variant("`lto = false` instead of `\"fat\"`")
    },
    Variant {
        profile: &["profile.ship.codegen-units=16"],
        ..variant("`codegen-units = 16` instead of 1")
    },
    Variant {
        profile: &["profile.ship.panic=\"abort\""],
        ..variant("`panic = \"abort\"` instead of `\"immediate-abort\"`")
    },
    Variant {
        with: &["link-arg=-zseparate-code"],
        ..variant("with `-z separate-code`")
    },
    Variant {
        strip: Some(&["--strip-sections"]),
        ..variant("llvm-objcopy also with `--strip-sections`")
    },
];

const PROGRAM_VARIANTS: &[Variant] = &[
    Variant {
        without: &["relocation-model=static"],
        ..variant("without `-C relocation-model=static`")
    },
    Variant {
        without: &["/discard-unwind-tables.ld"],
        ..variant("without `xtask/link/discard-unwind-tables.ld`")
    },
];

const PRELOAD_VARIANTS: &[Variant] = &[
    Variant {
        without: &["link-arg=-zlazy"],
        ..variant("without `-z lazy`")
    },
    Variant {
        without: &["/mips-shared-object.ld"],
        ..variant("without `xtask/link/mips-shared-object.ld`")
    },
];

/// A measured build.
struct Measured {
    bytes: Option<u64>,
    loaded: Option<u64>,
    note: String,
}

pub fn playbook() -> Result {
    crate::setup::for_test()?;
    let rustc = String::from_utf8_lossy(
        &Command::new("rustc")
            .current_dir(root())
            .arg("-V")
            .output()?
            .stdout,
    )
    .trim()
    .to_string();
    let mut table = String::new();
    for (kind, crate_name, file, specific) in [
        (Kind::StaticProgram, "routes", "routes", PROGRAM_VARIANTS),
        (
            Kind::SharedObject,
            PRELOAD_CRATE,
            PRELOAD_FILE,
            PRELOAD_VARIANTS,
        ),
    ] {
        table.push_str(&format!(
            "\n`{file}` ({TRIPLE}):\n\n| change (one at a time) | file bytes | vs baseline | loaded bytes | vs baseline | note |\n|---|---:|---:|---:|---:|---|\n"
        ));
        let mut baseline: Option<Measured> = None;
        for variant in COMMON_VARIANTS.iter().chain(specific) {
            eprintln!("playbook: {file}: {}", variant.name);
            let measured = measure(kind, crate_name, file, variant)?;
            let delta = |now: Option<u64>, then: Option<u64>| match (now, then) {
                (Some(now), Some(then)) if now != then => {
                    format!("{:+}", now as i64 - then as i64)
                }
                (Some(_), Some(_)) => "0".to_string(),
                _ => "—".to_string(),
            };
            let base = baseline.as_ref();
            table.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                variant.name,
                figure(measured.bytes),
                delta(measured.bytes, base.and_then(|b| b.bytes)),
                figure(measured.loaded),
                delta(measured.loaded, base.and_then(|b| b.loaded)),
                measured.note
            ));
            if baseline.is_none() {
                baseline = Some(measured);
            }
        }
    }
    let today = String::from_utf8_lossy(&Command::new("date").arg("+%F").output()?.stdout)
        .trim()
        .to_string();
    let section = format!(
        "{BEGIN}\nMeasured by `cargo xtask playbook` on {today} with {rustc}.\n{table}{END}"
    );
    println!("{section}");
    let doc_path = root().join(DOC);
    let doc = fs::read_to_string(&doc_path)?;
    let (Some(begin), Some(end)) = (doc.find(BEGIN), doc.find(END)) else {
        return fail(format!("{DOC} has no {BEGIN} … {END} section to replace"));
    };
    let updated = format!("{}{section}{}", &doc[..begin], &doc[end + END.len()..]);
    fs::write(&doc_path, updated)?;
    eprintln!("playbook: {DOC} updated");
    Ok(())
}

fn figure(value: Option<u64>) -> String {
    value.map_or("—".to_string(), |v| v.to_string())
}

/// Builds one variant into its own target directory and measures the file as shipped.
fn measure(kind: Kind, crate_name: &str, file: &str, variant: &Variant) -> Result<Measured> {
    let target = crate::build::targets::TARGETS
        .iter()
        .find(|t| t.triple == TRIPLE)
        .expect("the playbook's target is a router target");
    let mut flags: Vec<String> = Vec::new();
    let defaults = kind.rustflags(target);
    for pair in defaults.chunks(2) {
        let left_out = variant
            .without
            .iter()
            .any(|w| pair[1] == *w || w.starts_with('/') && pair[1].ends_with(w));
        if !(pair[0] == "-C" && left_out) {
            flags.extend(pair.iter().cloned());
        }
    }
    for added in variant.with {
        flags.extend(["-C".to_string(), added.to_string()]);
    }
    let features = format!("{crate_name}/rt");
    let mut packages = vec!["-p", crate_name];
    if kind == Kind::StaticProgram {
        packages.extend(["--features", &features]);
    }
    let mut cmd = build_command(target, kind, &packages);
    cmd.env("CARGO_TARGET_DIR", root().join("target/playbook"))
        .env("CARGO_ENCODED_RUSTFLAGS", flags.join("\x1f"));
    for setting in variant.profile {
        cmd.arg("--config").arg(setting);
    }
    let built = match run_build(&mut cmd, TRIPLE) {
        Ok((artifacts, _)) => artifacts
            .into_iter()
            .find(|(_, name)| name == file || *name == format!("lib{crate_name}.so"))
            .map(|(path, _)| path),
        Err(_) => None,
    };
    let Some(built) = built else {
        return Ok(Measured {
            bytes: None,
            loaded: None,
            note: "does not build or link".to_string(),
        });
    };
    let out_dir = root().join("target/playbook-files");
    fs::create_dir_all(&out_dir)?;
    let shipped = out_dir.join(file);
    match variant.strip {
        Some(extra) => strip(&built, &shipped, extra)?,
        None => {
            fs::copy(&built, &shipped)?;
        }
    }
    let data = fs::read(&shipped)?;
    let loaded = loaded_bytes(&data);
    let note = if kind == Kind::StaticProgram {
        runs_under_qemu(&shipped)
    } else {
        String::new()
    };
    Ok(Measured {
        bytes: Some(data.len() as u64),
        loaded,
        note,
    })
}

/// The sum of the SHF_ALLOC sections: what the file puts in memory (`None` without section
/// headers).
fn loaded_bytes(data: &[u8]) -> Option<u64> {
    let file = object::File::parse(data).ok()?;
    let sections: Vec<_> = file.sections().collect();
    if sections.is_empty() {
        return None;
    }
    Some(
        sections
            .iter()
            .filter(|s| {
                matches!(s.flags(), SectionFlags::Elf { sh_flags } if sh_flags & u64::from(object::elf::SHF_ALLOC) != 0)
            })
            .map(|s| s.size())
            .sum(),
    )
}

/// Whether the program still answers `--version` under qemu-mips.
fn runs_under_qemu(program: &Path) -> String {
    let out = Command::new("qemu-mips")
        .arg(program)
        .arg("--version")
        .output();
    match out {
        Ok(out) if out.status.success() => "runs".to_string(),
        _ => "**does not run**".to_string(),
    }
}
