//! size-report: the bytes of every shipped file, per target.

use object::{Object, ObjectSection, SectionFlags};
use std::fs;
use std::path::Path;
use std::process::ExitCode;

const USAGE: &str = "Usage: size-report DIST_DIR\n\
    Prints file and loaded bytes of every shipped file under DIST_DIR/<target>/.\n";

/// The sizes of one shipped file.
struct Sizes {
    file: u64,
    loaded: u64,
}

fn measure(path: &Path) -> Result<Sizes, String> {
    let data = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let elf = object::File::parse(&*data)
        .map_err(|e| format!("{}: not a readable ELF file: {e}", path.display()))?;
    let loaded = elf
        .sections()
        .filter(|s| match s.flags() {
            SectionFlags::Elf { sh_flags } => sh_flags & u64::from(object::elf::SHF_ALLOC) != 0,
            _ => false,
        })
        .map(|s| s.size())
        .sum();
    Ok(Sizes {
        file: data.len() as u64,
        loaded,
    })
}

fn report(dist: &Path) -> Result<(), String> {
    let mut targets: Vec<_> = fs::read_dir(dist)
        .map_err(|e| format!("{}: {e} (run `cargo xtask dist` first)", dist.display()))?
        .flatten()
        .filter(|e| e.path().is_dir())
        .collect();
    targets.sort_by_key(|e| e.file_name());
    println!(
        "{:<28} {:<18} {:>10} {:>10}",
        "target", "file", "bytes", "loaded"
    );
    for target in targets {
        let mut files: Vec<_> = fs::read_dir(target.path())
            .map_err(|e| e.to_string())?
            .flatten()
            .filter(|e| e.path().is_file())
            .collect();
        files.sort_by_key(|e| e.file_name());
        let mut total = 0;
        for file in files {
            let sizes = measure(&file.path())?;
            total += sizes.file;
            println!(
                "{:<28} {:<18} {:>10} {:>10}",
                target.file_name().to_string_lossy(),
                file.file_name().to_string_lossy(),
                sizes.file,
                sizes.loaded
            );
        }
        println!(
            "{:<28} {:<18} {:>10}",
            target.file_name().to_string_lossy(),
            "(total)",
            total
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag] if flag == "--version" || flag == "-V" => {
            println!("size-report {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        [flag] if flag == "--help" || flag == "-h" => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        [dir] if !dir.starts_with('-') => match report(Path::new(dir)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("size-report: {message}");
                ExitCode::FAILURE
            }
        },
        _ => {
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
