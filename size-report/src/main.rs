//! size-report: what every shipped file weighs, against its budget and the sizes last
//! accepted, and whether a `no_std` file carries machinery it should not.
//!
//! `elf` measures one file, `flash` estimates flash cost with xz and mksquashfs, `budget` reads
//! and writes the checked-in files, `report` renders; this file finds the files and decides.

mod budget;
mod elf;
mod flash;
mod report;

use budget::{Baseline, Budget, Figures, SQUASHFS, TOTAL};
use report::{FIGURES, Report, Row, TargetReport};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
Usage: size-report [OPTIONS] DIST_DIR

Measures every shipped file under DIST_DIR/<target>/ and its unstripped copy under
DIST_DIR/<target>/unstripped/ (required: the shipped files have no section headers, so
sections and symbols are read there): file bytes, loaded bytes (SHF_ALLOC sections),
.text/.rodata/.data/.bss, an xz estimate, per-target totals, and the size of a squashfs
image of each target's files. Checks that no file has formatting, panic,
unwinding or allocation machinery.

Options:
  --budgets FILE       check file bytes against FILE's budgets; every shipped file and
                       every target's total needs one, every budgeted file must exist
  --baseline FILE      show each figure's change against FILE
  --update-baseline    write the current figures to the --baseline FILE
  --squashfs-dir DIR   keep the images as DIR/<target>.squashfs (default: made in a
                       temporary directory and removed)
  --symbols            list the 20 largest symbols of every file (files over budget
                       always get the list)
  --warn-only          mark files over budget and no_std findings, exit 0 anyway
  --json               the report as JSON on stdout
  --markdown           the report as Markdown on stdout
  -h, --help           this text
  -V, --version        the version

Exit status: 0 all within budget and clean; 1 over budget, a no_std finding, or an
error (missing or unreadable file, missing tool, bad budget file); 2 bad usage.
";

const SYMBOL_COUNT: usize = 20;

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Text,
    Json,
    Markdown,
}

struct Options {
    dist: PathBuf,
    budgets: Option<PathBuf>,
    baseline: Option<PathBuf>,
    update_baseline: bool,
    squashfs_dir: Option<PathBuf>,
    symbols: bool,
    warn_only: bool,
    format: Format,
}

enum Parsed {
    Run(Options),
    Exit(ExitCode),
}

fn usage_error(message: &str) -> Parsed {
    eprint!("size-report: {message}\n\n{USAGE}");
    Parsed::Exit(ExitCode::from(2))
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Parsed {
    let mut args = args.into_iter();
    let mut dist = None;
    let mut options = Options {
        dist: PathBuf::new(),
        budgets: None,
        baseline: None,
        update_baseline: false,
        squashfs_dir: None,
        symbols: false,
        warn_only: false,
        format: Format::Text,
    };
    while let Some(arg) = args.next() {
        let mut value = |slot: &mut Option<PathBuf>| match args.next() {
            Some(v) => {
                *slot = Some(PathBuf::from(v));
                true
            }
            None => false,
        };
        let ok = match arg.as_str() {
            "-h" | "--help" => {
                print!("{USAGE}");
                return Parsed::Exit(ExitCode::SUCCESS);
            }
            "-V" | "--version" => {
                println!("size-report {}", env!("CARGO_PKG_VERSION"));
                return Parsed::Exit(ExitCode::SUCCESS);
            }
            "--budgets" => value(&mut options.budgets),
            "--baseline" => value(&mut options.baseline),
            "--squashfs-dir" => value(&mut options.squashfs_dir),
            "--update-baseline" => {
                options.update_baseline = true;
                true
            }
            "--symbols" => {
                options.symbols = true;
                true
            }
            "--warn-only" => {
                options.warn_only = true;
                true
            }
            "--json" => {
                options.format = Format::Json;
                true
            }
            "--markdown" => {
                options.format = Format::Markdown;
                true
            }
            other if other.starts_with('-') => {
                return usage_error(&format!("unknown option `{other}`"));
            }
            _ if dist.is_some() => return usage_error("more than one DIST_DIR"),
            _ => {
                dist = Some(PathBuf::from(&arg));
                true
            }
        };
        if !ok {
            return usage_error(&format!("`{arg}` needs a value"));
        }
    }
    let Some(dist) = dist else {
        return usage_error("no DIST_DIR given");
    };
    if options.update_baseline && options.baseline.is_none() {
        return usage_error("--update-baseline needs --baseline FILE");
    }
    options.dist = dist;
    Parsed::Run(options)
}

fn read_text(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The names of the entries of `dir` that are directories (`want_dirs`) or regular files.
fn entries(dir: &Path, want_dirs: bool) -> Result<Vec<String>, String> {
    let listing = fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut names: Vec<String> = listing
        .flatten()
        .filter(|e| {
            e.file_type()
                .is_ok_and(|t| if want_dirs { t.is_dir() } else { t.is_file() })
        })
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Ok(names)
}

/// Everything measured about one shipped file, with its budget and baseline; the largest
/// symbols when `symbols` asks for them or the file is over budget, so that the fix is obvious.
fn measure_file(
    path: &Path,
    unstripped: &Path,
    budget: Option<u64>,
    baseline: Option<Figures>,
    symbols: bool,
) -> Result<Row, String> {
    let context = |e: String| format!("{}: {e}", path.display());
    let bytes = fs::read(path).map_err(|e| context(e.to_string()))?;
    elf::check_shipped(&bytes).map_err(context)?;
    // The shipped file has no section headers (as OpenWrt's sstrip leaves files): its
    // sections are measured in the unstripped copy, checked to load the same bytes.
    let twin_context = |e: String| format!("{}: {e}", unstripped.display());
    let twin = fs::read(unstripped).map_err(|e| {
        twin_context(format!(
            "{e}: every shipped file needs its unstripped copy (`cargo xtask dist` writes both)"
        ))
    })?;
    elf::check_copy(&bytes, &twin).map_err(twin_context)?;
    let sections = elf::sections(&twin).map_err(twin_context)?;
    let findings = elf::forbidden_machinery(&twin).map_err(twin_context)?;
    let figures: Figures = FIGURES
        .iter()
        .map(|&key| key.to_string())
        .zip([
            bytes.len() as u64,
            sections.loaded,
            sections.text,
            sections.rodata,
            sections.data,
            sections.bss,
            flash::xz_estimate(&bytes)?,
        ])
        .collect();
    let mut row = Row {
        name: path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned(),
        figures,
        budget,
        baseline,
        findings,
        ..Row::default()
    };
    if symbols || row.over_budget().is_some() {
        row.largest_symbols = elf::largest_symbols(&twin, SYMBOL_COUNT)?;
        row.symbols_note = Some(format!("(from {})", unstripped.display()));
    }
    Ok(row)
}

/// Measures one target directory; problems with single files go to `errors`.
fn measure_target(
    options: &Options,
    target: &str,
    budgets: &[Budget],
    baseline: &Baseline,
    errors: &mut Vec<String>,
) -> Result<TargetReport, String> {
    let dir = options.dist.join(target);
    let budget_of = |name: &str| {
        budgets
            .iter()
            .find(|b| b.target == target && b.name == name)
            .map(|b| b.bytes)
    };
    let baseline_of = |name: &str| {
        baseline
            .get(&(target.to_string(), name.to_string()))
            .cloned()
    };
    let checking = options.budgets.is_some();
    let mut report = TargetReport {
        target: target.into(),
        rows: Vec::new(),
    };
    let files = entries(&dir, false)?;
    for budget in budgets
        .iter()
        .filter(|b| b.target == target && b.name != TOTAL)
    {
        if !files.contains(&budget.name) {
            errors.push(format!(
                "{target} {}: missing: the budgets name it but {} does not exist (run `cargo xtask dist`)",
                budget.name,
                dir.join(&budget.name).display()
            ));
        }
    }
    let mut total = Figures::new();
    let mut measured = Vec::new();
    for name in &files {
        let path = dir.join(name);
        let unstripped = dir.join("unstripped").join(name);
        match measure_file(
            &path,
            &unstripped,
            budget_of(name),
            baseline_of(name),
            options.symbols,
        ) {
            Ok(row) => {
                if checking && row.budget.is_none() {
                    errors.push(format!(
                        "{target} {name}: no budget: add a line `{target} {name} <bytes> <reason>` to the budget file"
                    ));
                }
                for (key, value) in &row.figures {
                    let sum = total.entry(key.clone()).or_default();
                    *sum = sum.saturating_add(*value);
                }
                measured.push(path);
                report.rows.push(row);
            }
            Err(e) => errors.push(e),
        }
    }
    let total_budget = budget_of(TOTAL);
    if checking && total_budget.is_none() {
        errors.push(format!(
            "{target}: no total budget: add a line `{target} {TOTAL} <bytes> <reason>` to the budget file"
        ));
    }
    report.rows.push(Row {
        name: TOTAL.into(),
        figures: total,
        baseline: baseline_of(TOTAL),
        budget: total_budget,
        ..Row::default()
    });
    let image = squashfs_path(options, target);
    match flash::squashfs_image(&measured, &image, target) {
        Ok(image_bytes) => report.rows.push(Row {
            name: SQUASHFS.into(),
            figures: Figures::from([("bytes".to_string(), image_bytes)]),
            baseline: baseline_of(SQUASHFS),
            ..Row::default()
        }),
        Err(e) => errors.push(format!("{target}: {e}")),
    }
    Ok(report)
}

fn squashfs_path(options: &Options, target: &str) -> PathBuf {
    match &options.squashfs_dir {
        Some(dir) => dir.join(format!("{target}.squashfs")),
        None => std::env::temp_dir().join(format!(
            "size-report-{}-{target}.squashfs",
            std::process::id()
        )),
    }
}

/// The whole run: measures, renders, updates the baseline, and says whether it passed.
fn run(options: &Options) -> Result<bool, String> {
    let budgets = match &options.budgets {
        Some(path) => budget::parse_budgets(&read_text(path)?)
            .map_err(|e| format!("{}: {e}", path.display()))?,
        None => Vec::new(),
    };
    let baseline = match &options.baseline {
        Some(path) if path.exists() || !options.update_baseline => {
            budget::parse_baseline(&read_text(path)?)
                .map_err(|e| format!("{}: {e}", path.display()))?
        }
        _ => Baseline::new(),
    };
    if let Some(dir) = &options.squashfs_dir {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let targets =
        entries(&options.dist, true).map_err(|e| format!("{e} (run `cargo xtask dist` first)"))?;
    let mut errors = Vec::new();
    let budgeted: std::collections::BTreeSet<&str> =
        budgets.iter().map(|b| b.target.as_str()).collect();
    for target in budgeted {
        if !targets.iter().any(|t| t == target) {
            errors.push(format!(
                "{target}: missing: the budgets name this target but {} does not exist (run `cargo xtask dist`)",
                options.dist.join(target).display()
            ));
        }
    }
    let mut report = Report::default();
    for target in &targets {
        report.targets.push(measure_target(
            options,
            target,
            &budgets,
            &baseline,
            &mut errors,
        )?);
    }
    if options.squashfs_dir.is_none() {
        for target in &targets {
            let _ = fs::remove_file(squashfs_path(options, target));
        }
    }

    let over: Vec<String> = report
        .rows()
        .filter_map(|(target, row)| {
            let excess = row.over_budget()?;
            let reason = budgets
                .iter()
                .find(|b| b.target == target && b.name == row.name)
                .map_or("", |b| b.reason.as_str());
            Some(format!(
                "{target} {}: over budget: {} B, budget {} B (+{} B; the budget says: {reason})",
                row.name,
                report::grouped(row.figures["bytes"]),
                report::grouped(row.budget?),
                report::grouped(excess)
            ))
        })
        .collect();
    let findings = report
        .rows()
        .map(|(_, row)| row.findings.len())
        .sum::<usize>();

    match options.format {
        Format::Text => print!("{}", report::text(&report)),
        Format::Markdown => print!("{}", report::markdown(&report)),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&report::json(&report, &errors))
                .expect("JSON of owned values")
        ),
    }
    for message in over.iter().chain(&errors) {
        eprintln!("size-report: {message}");
    }
    if findings > 0 {
        eprintln!("size-report: {findings} no_std finding(s), listed under the table");
    }

    if options.update_baseline {
        if !errors.is_empty() {
            return Err("baseline not updated: fix the errors above first".into());
        }
        let path = options.baseline.as_ref().expect("checked by parse_args");
        let mut accepted = Baseline::new();
        for (target, row) in report.rows() {
            accepted.insert((target.to_string(), row.name.clone()), row.figures.clone());
        }
        fs::write(path, budget::write_baseline(&accepted, &FIGURES))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("size-report: wrote the baseline {}", path.display());
    }
    let checks_pass = options.warn_only || (over.is_empty() && findings == 0);
    Ok(errors.is_empty() && checks_pass)
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Parsed::Run(options) => options,
        Parsed::Exit(code) => return code,
    };
    match run(&options) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("size-report: {message}");
            ExitCode::FAILURE
        }
    }
}
