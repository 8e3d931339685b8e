//! The report: figures per target and file, with their baseline and budget, rendered as a
//! table for people, Markdown for CI summaries and JSON for machines.

use crate::budget::{Figures, SQUASHFS, TOTAL};
use crate::elf::{Finding, Symbol};
use crate::flash::{SQUASHFS_NOTE, XZ_NOTE};
use serde_json::{Value, json};

/// The figures of a shipped file, in column order.
pub const FIGURES: [&str; 7] = ["bytes", "loaded", "text", "rodata", "data", "bss", "xz"];
/// Examples shown per kind of finding and file.
const FINDING_EXAMPLES: usize = 3;
const HEADINGS: [&str; 7] = ["bytes", "loaded", ".text", ".rodata", ".data", ".bss", "xz"];

/// One line of a target: a shipped file, the target's total, or its squashfs image.
#[derive(Debug, Default)]
pub struct Row {
    pub name: String,
    pub figures: Figures,
    pub baseline: Option<Figures>,
    /// Applies to `bytes`.
    pub budget: Option<u64>,
    /// Filled when the row is over budget or when asked for.
    pub largest_symbols: Vec<Symbol>,
    /// Where the symbols came from, or why there are none.
    pub symbols_note: Option<String>,
    pub findings: Vec<Finding>,
}

impl Row {
    /// How many bytes over its budget the row is.
    pub fn over_budget(&self) -> Option<u64> {
        let bytes = *self.figures.get("bytes")?;
        self.budget
            .filter(|&budget| bytes > budget)
            .map(|budget| bytes - budget)
    }

    fn status(&self) -> String {
        let mut parts = Vec::new();
        if let Some(excess) = self.over_budget() {
            parts.push(format!("OVER BUDGET by {}", grouped(excess)));
        } else if self.budget.is_some() {
            parts.push("ok".into());
        }
        if !self.findings.is_empty() {
            parts.push(format!("{} no_std finding(s)", self.findings.len()));
        }
        parts.join(", ")
    }
}

#[derive(Debug, Default)]
pub struct TargetReport {
    pub target: String,
    /// Shipped files in name order, then the total, then the squashfs image.
    pub rows: Vec<Row>,
}

#[derive(Debug, Default)]
pub struct Report {
    pub targets: Vec<TargetReport>,
}

impl Report {
    pub fn rows(&self) -> impl Iterator<Item = (&str, &Row)> {
        self.targets
            .iter()
            .flat_map(|t| t.rows.iter().map(move |row| (t.target.as_str(), row)))
    }
}

/// `1234567` → `1,234,567`.
pub fn grouped(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A figure with its change against the baseline: `3,060`, `3,072 (+12)`, `3,060 (new)`.
fn figure_cell(row: &Row, key: &str) -> String {
    let Some(&value) = row.figures.get(key) else {
        return String::new();
    };
    let change = match row.baseline.as_ref().map(|b| b.get(key)) {
        None if key == "bytes" => " (new)".to_string(),
        Some(Some(&before)) if before != value => {
            let sign = if value > before { '+' } else { '-' };
            format!(" ({sign}{})", grouped(value.abs_diff(before)))
        }
        _ => String::new(),
    };
    format!("{}{change}", grouped(value))
}

fn table_rows(report: &Report) -> Vec<Vec<String>> {
    report
        .rows()
        .map(|(target, row)| {
            let mut cells = vec![target.to_string(), row.name.clone()];
            cells.push(figure_cell(row, "bytes"));
            cells.push(row.budget.map(grouped).unwrap_or_default());
            cells.extend(FIGURES[1..].iter().map(|key| figure_cell(row, key)));
            cells.push(row.status());
            cells
        })
        .collect()
}

fn headings() -> Vec<&'static str> {
    let mut headings = vec!["target", "file", HEADINGS[0], "budget"];
    headings.extend(&HEADINGS[1..]);
    headings.push("status");
    headings
}

/// Columns that hold numbers are right-aligned.
fn numeric(column: usize) -> bool {
    (2..headings().len() - 1).contains(&column)
}

fn footnotes() -> [&'static str; 3] {
    [
        "Figures in bytes; (±n) is the change against the baseline; the budget applies to `bytes`, the file as shipped.",
        XZ_NOTE,
        SQUASHFS_NOTE,
    ]
}

/// The table for people.
pub fn text(report: &Report) -> String {
    let headings = headings();
    let rows = table_rows(report);
    let widths: Vec<usize> = (0..headings.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([headings[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                if numeric(c) {
                    format!("{cell:>width$}", width = widths[c])
                } else {
                    format!("{cell:<width$}", width = widths[c])
                }
            })
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(&headings.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    for (i, row) in rows.iter().enumerate() {
        // A blank line between targets (the first cell).
        if i > 0 && rows[i - 1][0] != row[0] {
            out.push('\n');
        }
        out.push_str(&line(row));
    }
    out.push('\n');
    for note in footnotes() {
        out.push_str(note);
        out.push('\n');
    }
    out.push_str(&details(report, false));
    out
}

/// The table as Markdown, for CI summaries.
pub fn markdown(report: &Report) -> String {
    let headings = headings();
    let mut out = format!("| {} |\n|", headings.join(" | "));
    for c in 0..headings.len() {
        out.push_str(if numeric(c) { " ---: |" } else { " --- |" });
    }
    out.push('\n');
    for row in table_rows(report) {
        let escaped: Vec<String> = row.iter().map(|cell| cell.replace('|', "\\|")).collect();
        out.push_str(&format!("| {} |\n", escaped.join(" | ")));
    }
    out.push('\n');
    for note in footnotes() {
        out.push_str(&format!("- {note}\n"));
    }
    out.push_str(&details(report, true));
    out
}

/// The no_std findings and the largest symbols, below the table.
fn details(report: &Report, markdown: bool) -> String {
    let mut out = String::new();
    let findings: Vec<_> = report
        .rows()
        .flat_map(|(target, row)| row.findings.iter().map(move |f| (target, &row.name, f)))
        .collect();
    let checked = report
        .rows()
        .filter(|(_, row)| row.name != TOTAL && row.name != SQUASHFS)
        .count();
    out.push('\n');
    if findings.is_empty() {
        out.push_str(&format!(
            "no_std check: none of the {checked} shipped files has formatting (core::fmt), panic, \
             unwinding or allocation machinery, std, or panic locations.\n"
        ));
    } else {
        out.push_str("no_std check: machinery a shipped no_std file must not have:\n");
        let bullet = if markdown { "- " } else { "  " };
        // Grouped by file and kind with a few examples: a std build has hundreds (all in JSON).
        let mut groups: Vec<(&str, &String, &str, Vec<&str>)> = Vec::new();
        for (target, name, finding) in findings {
            match groups
                .iter_mut()
                .find(|g| g.0 == target && g.1 == name && g.2 == finding.what)
            {
                Some(group) => group.3.push(&finding.evidence),
                None => groups.push((target, name, finding.what, vec![&finding.evidence])),
            }
        }
        for (target, name, what, evidence) in groups {
            let examples = evidence
                .iter()
                .take(FINDING_EXAMPLES)
                .copied()
                .collect::<Vec<_>>()
                .join("; ");
            let more = evidence.len().saturating_sub(FINDING_EXAMPLES);
            let more = if more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            };
            out.push_str(&format!(
                "{bullet}{target} {name}: {what}: {examples}{more}\n"
            ));
        }
    }
    for (target, row) in report.rows() {
        if row.largest_symbols.is_empty() && row.symbols_note.is_none() {
            continue;
        }
        out.push('\n');
        let source = row.symbols_note.as_deref().unwrap_or("");
        out.push_str(&format!(
            "Largest symbols of {target} {} {source}\n",
            row.name
        ));
        if markdown {
            out.push_str("\n| bytes | section | symbol |\n| ---: | --- | --- |\n");
        }
        for symbol in &row.largest_symbols {
            let (size, section) = (grouped(symbol.size), &symbol.section);
            out.push_str(&if markdown {
                format!(
                    "| {size} | {section} | `{}` |\n",
                    symbol.name.replace('|', "\\|")
                )
            } else {
                format!("  {size:>8}  {section:<10}  {}\n", symbol.name)
            });
        }
    }
    out
}

/// The report for machines. Row names `(total)` and `(squashfs)` stand for the target's sum
/// and image; every figure is a number of bytes.
pub fn json(report: &Report, errors: &[String]) -> Value {
    let targets: Vec<Value> = report
        .targets
        .iter()
        .map(|t| {
            let rows: Vec<Value> = t
                .rows
                .iter()
                .map(|row| {
                    json!({
                        "name": row.name,
                        "figures": row.figures,
                        "baseline": row.baseline,
                        "budget": row.budget,
                        "over_budget_by": row.over_budget(),
                        "largest_symbols": row.largest_symbols.iter().map(|s| json!({
                            "name": s.name, "bytes": s.size, "section": s.section,
                        })).collect::<Vec<_>>(),
                        "findings": row.findings.iter().map(|f| json!({
                            "what": f.what, "evidence": f.evidence,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            json!({ "target": t.target, "rows": rows })
        })
        .collect();
    json!({
        "targets": targets,
        "errors": errors,
        "notes": footnotes(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(pairs: &[(&str, u64)]) -> Figures {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(3060), "3,060");
        assert_eq!(grouped(1234567), "1,234,567");
    }

    #[test]
    fn cells_show_the_change_against_the_baseline() {
        let mut row = Row {
            name: "dns54".into(),
            figures: figures(&[("bytes", 3072), ("loaded", 100), ("xz", 50)]),
            baseline: Some(figures(&[("bytes", 3060), ("loaded", 110), ("xz", 50)])),
            budget: Some(3000),
            ..Row::default()
        };
        assert_eq!(figure_cell(&row, "bytes"), "3,072 (+12)");
        assert_eq!(figure_cell(&row, "loaded"), "100 (-10)");
        assert_eq!(figure_cell(&row, "xz"), "50");
        assert_eq!(figure_cell(&row, "text"), "");
        assert_eq!(row.over_budget(), Some(72));
        assert_eq!(row.status(), "OVER BUDGET by 72");
        row.baseline = None;
        assert_eq!(figure_cell(&row, "bytes"), "3,072 (new)");
    }

    #[test]
    fn renders_every_row_in_every_format() {
        let report = Report {
            targets: vec![TargetReport {
                target: "mips".into(),
                rows: vec![Row {
                    name: "routes".into(),
                    figures: figures(&[("bytes", 1720)]),
                    budget: Some(1792),
                    ..Row::default()
                }],
            }],
        };
        let table = text(&report);
        assert!(
            table
                .lines()
                .nth(1)
                .unwrap()
                .starts_with("mips    routes  1,720 (new)   1,792"),
            "{table}"
        );
        assert!(markdown(&report).contains("| mips | routes | 1,720 (new) | 1,792 |"));
        let json = json(&report, &[]);
        assert_eq!(json["targets"][0]["rows"][0]["figures"]["bytes"], 1720);
        assert_eq!(json["targets"][0]["rows"][0]["over_budget_by"], Value::Null);
    }
}
