//! A real kernel returns from a system call with some registers undefined that qemu-user
//! restores, so a compiled read of one after `syscall`/`sc` passes every qemu test and fails
//! only on a router (`routes` once exited with the wrong status on real MIPS kernels: the
//! compiler had kept a flag in `$1` across an inline `syscall`). This reads the disassembly of
//! every shipped MIPS and PowerPC file and fails on such a read.
//!
//! Limitations: a path ends at an indirect jump (`jr` through another register than `$ra`,
//! `bctr`), whose targets the listing does not name; at a call, where the callee may change
//! every caller-saved register anyway, so the compiler cannot rely on them there; and at the
//! next system call, whose own walk covers what follows it.

use integration_tests::{PRELOAD_FILE, PROGRAMS, Scratch, TARGETS, dist_dir, llvm_tool, output};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Arch {
    Mips,
    PowerPc,
}

impl Arch {
    fn of(triple: &str) -> Option<Arch> {
        match triple {
            t if t.starts_with("mips") => Some(Arch::Mips),
            t if t.starts_with("powerpc") => Some(Arch::PowerPc),
            _ => None,
        }
    }

    fn system_call(self) -> &'static str {
        match self {
            Arch::Mips => "syscall",
            Arch::PowerPc => "sc",
        }
    }

    /// What the kernel may hand back changed. Today's Linux restores `$25`, but no ABI
    /// promises it. `$2` and `$7` (MIPS), `r3` and cr0's summary-overflow bit (PowerPC) carry
    /// the result: reading them is the point.
    fn unpreserved(self) -> BTreeSet<String> {
        let names = match self {
            Arch::Mips => "$1 $3 $8 $9 $10 $11 $12 $13 $14 $15 $24 $25 hi lo",
            Arch::PowerPc => "r0 r4 r5 r6 r7 r8 r9 r10 r11 r12 ctr cr0.lt cr0.gt cr0.eq",
        };
        names.split(' ').map(String::from).collect()
    }
}

/// One line of an `llvm-objdump -d --no-show-raw-insn` listing.
struct Instruction<'a> {
    address: u64,
    function: &'a str,
    mnemonic: &'a str,
    operands: Vec<&'a str>,
    text: &'a str,
}

fn parse_listing(listing: &str) -> Vec<Instruction<'_>> {
    let mut function = "";
    let mut instructions = Vec::new();
    for line in listing.lines() {
        if let Some((_, name)) = line.strip_suffix(">:").and_then(|l| l.split_once(" <")) {
            function = name;
            continue;
        }
        let Some((address, rest)) = line.split_once(':') else {
            continue;
        };
        let Ok(address) = u64::from_str_radix(address.trim(), 16) else {
            continue;
        };
        // objdump names the symbol nearest to any number it prints, even of an immediate.
        let text = rest.split(" <").next().unwrap_or_default().trim();
        let (mnemonic, operands) = text.split_once([' ', '\t']).unwrap_or((text, ""));
        let operands = operands.split(',').map(str::trim).filter(|o| !o.is_empty());
        let operands = operands.collect();
        instructions.push(Instruction {
            address,
            function,
            mnemonic,
            operands,
            text,
        });
    }
    instructions
}

/// Where an instruction sends the walk on.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Next,
    Branch,
    Jump,
    Return,
    ConditionalReturn,
    Call,
    IndirectJump,
    /// Another system call or a trap.
    Halt,
}
use Kind::*;

/// Mnemonics; their operands' roles, one letter each; implicit reads; implicit writes; kind.
/// Roles: `w`/`r`/`x` a register written/read/both (on MIPS `r` also takes an immediate, and
/// the base of `d($reg)`); `z` read unless it is `0`, which means the number there; `m`/`u`
/// the base of `d(rA)`, read unless `0`/read and updated; `b`/`d` a condition bit read/
/// written; `f`/`g` a condition field written/read; `c` the field mask of `mtcrf`; `t` a
/// branch target; `i` ignored. `crN` stands for the four bits of that field.
type Rule = (&'static str, &'static str, &'static str, &'static str, Kind);

#[rustfmt::skip]
const MIPS_RULES: &[Rule] = &[
    ("addiu addu subu and andi or ori xor xori nor lui move negu not", "wrr", "", "", Next),
    ("slt slti sltu sltiu sll srl sra sllv srlv srav rotr rotrv", "wrr", "", "", Next),
    ("seb seh wsbh ext clz clo lw lh lhu lb lbu ll", "wrrr", "", "", Next),
    // They merge into their first operand's old value; `sc` sets it to a success flag.
    ("ins lwl lwr sc", "xrrr", "", "", Next),
    // The second operand names a hardware register, not `$29`.
    ("rdhwr", "wi", "", "", Next),
    ("mul", "wrr", "", "hi lo", Next),
    ("mfhi", "w", "hi", "", Next),
    ("mflo", "w", "lo", "", Next),
    ("mthi", "r", "", "hi", Next),
    ("mtlo", "r", "", "lo", Next),
    // A conditional move keeps its first operand's old value when the condition fails.
    ("movn movz sw sh sb swl swr teq tne", "rrr", "", "", Next),
    ("mult multu div divu", "rrr", "", "hi lo", Next),
    ("madd maddu msub msubu", "rr", "hi lo", "hi lo", Next),
    ("nop ssnop ehb sync", "", "", "", Next),
    ("beq bne", "rrt", "", "", Branch),
    ("beqz bnez blez bgtz bltz bgez", "rt", "", "", Branch),
    ("b j", "t", "", "", Jump),
    ("jr", "r", "", "", IndirectJump),
    ("jal bal", "i", "", "", Call),
    ("jalr bgezal bltzal", "ri", "", "", Call),
    ("syscall", "", "$2", "", Halt),
    ("break", "ii", "", "", Halt),
];

#[rustfmt::skip]
const POWERPC_RULES: &[Rule] = &[
    ("li lis", "wi", "", "", Next),
    ("mr not neg addze cntlzw extsb extsh mflr", "wr", "", "", Next),
    ("add addc adde sub subc subf subfc mullw mulhw mulhwu divw divwu", "wrr", "", "", Next),
    ("and andc or orc xor nor slw srw sraw", "wrr", "", "", Next),
    ("addi addis", "wzi", "", "", Next),
    ("andi andis ori oris xori xoris mulli subfic", "wri", "", "", Next),
    ("clrlwi clrrwi slwi srwi srawi rotlwi rlwinm", "wriii", "", "", Next),
    ("rlwimi", "xriii", "", "", Next),
    ("lwz lhz lha lbz", "wm", "", "", Next),
    ("lwzu lhzu lbzu", "wu", "", "", Next),
    ("lwzx lhzx lbzx lwarx", "wzr", "", "", Next),
    ("lwzux lhzux lbzux", "wxr", "", "", Next),
    ("stw sth stb", "rm", "", "", Next),
    ("stwu sthu stbu", "ru", "", "", Next),
    ("stwx sthx stbx stwcx", "rzr", "", "", Next),
    ("stwux sthux stbux", "rxr", "", "", Next),
    ("mtlr", "r", "", "", Next),
    ("mtctr", "r", "", "ctr", Next),
    ("mfctr", "w", "ctr", "", Next),
    // It copies every field, but only cr0's bits can be pending.
    ("mfcr", "w", "cr0", "", Next),
    ("mtcrf", "cr", "", "", Next),
    ("mcrf", "fg", "", "", Next),
    ("cmpw cmplw", "rr", "", "cr0", Next),
    ("cmpwi cmplwi", "ri", "", "cr0", Next),
    ("crclr crset", "d", "", "", Next),
    ("crmove crnot", "db", "", "", Next),
    ("crand cror crxor crnand crnor crandc crorc creqv", "dbb", "", "", Next),
    ("isel", "wzrb", "", "", Next),
    ("isellt", "wzr", "cr0.lt", "", Next),
    ("iselgt", "wzr", "cr0.gt", "", Next),
    ("iseleq", "wzr", "cr0.eq", "", Next),
    ("nop sync isync lwsync", "", "", "", Next),
    ("b", "t", "", "", Jump),
    ("bt bf", "bt", "", "", Branch),
    ("blt bge", "t", "cr0.lt", "", Branch),
    ("bgt ble", "t", "cr0.gt", "", Branch),
    ("beq bne", "t", "cr0.eq", "", Branch),
    // They read summary overflow, the error flag that `sc` sets.
    ("bso bns", "t", "cr0.so", "", Branch),
    ("bdnz bdz", "t", "ctr", "ctr", Branch),
    ("bdnzlr bdzlr", "", "ctr", "ctr", ConditionalReturn),
    ("bclr", "ib", "", "", ConditionalReturn),
    ("blr", "", "", "", Return),
    // Position-independent code reads its own address so: a branch to the next instruction
    // that only sets the link register.
    ("bcl", "iit", "", "", Jump),
    ("bl", "i", "", "", Call),
    ("bctrl", "", "ctr", "", Call),
    ("bctr", "", "ctr", "", IndirectJump),
    // The number; which arguments the kernel reads depends on it.
    ("sc", "", "r0", "", Halt),
    ("trap", "", "", "", Halt),
];

#[derive(Debug)]
struct Effect {
    reads: Vec<String>,
    writes: Vec<String>,
    kind: Kind,
    target: Option<u64>,
}

fn cr_bit(bit: usize) -> String {
    format!("cr{}.{}", bit / 4, ["lt", "gt", "eq", "so"][bit % 4])
}

fn cr_field(field: usize) -> Vec<String> {
    (0..4).map(|b| cr_bit(field * 4 + b)).collect()
}

/// The registers `names` stands for, `crN` expanded to its four bits.
fn expand(names: &str) -> Vec<String> {
    let field = |name: &str| name.strip_prefix("cr")?.parse().ok();
    let expanded = names.split_whitespace().flat_map(|name| match field(name) {
        Some(f) => cr_field(f),
        None => vec![name.to_string()],
    });
    expanded.collect()
}

fn number(operand: &str) -> Result<usize, String> {
    operand
        .parse()
        .map_err(|_| format!("`{operand}` is not a number"))
}

/// The register an operand names, the base of a `d(reg)` operand included; `None` for a MIPS
/// immediate.
fn register(arch: Arch, operand: &str) -> Result<Option<String>, String> {
    let name = operand
        .split_once('(')
        .map_or(operand, |(_, b)| b.trim_end_matches(')'));
    let Some(mips) = name.strip_prefix('$').filter(|_| arch == Arch::Mips) else {
        return match arch {
            Arch::Mips => Ok(None),
            Arch::PowerPc => Ok(Some(format!("r{}", number(name)?))),
        };
    };
    // llvm-objdump numbers them, but for these five.
    let number = match mips {
        "zero" => 0,
        "gp" => 28,
        "sp" => 29,
        "fp" => 30,
        "ra" => 31,
        n => n
            .parse()
            .map_err(|_| format!("unknown register `{operand}`"))?,
    };
    Ok(Some(format!("${number}")))
}

fn effect(arch: Arch, mnemonic: &str, operands: &[&str]) -> Result<Effect, String> {
    // PowerPC: `+`/`-` are branch hints; a `.` makes the record form, which also sets cr0.
    let hinted = mnemonic.trim_end_matches(['+', '-']);
    let record = arch == Arch::PowerPc && hinted.ends_with('.');
    let base = if record {
        &hinted[..hinted.len() - 1]
    } else {
        hinted
    };
    let rules = match arch {
        Arch::Mips => MIPS_RULES,
        Arch::PowerPc => POWERPC_RULES,
    };
    let &(_, mut roles, reads, writes, mut kind) = rules
        .iter()
        .find(|rule| rule.0.split(' ').any(|m| m == base))
        .ok_or_else(|| format!("mnemonic `{mnemonic}` is not in the table"))?;
    let mut effect = Effect {
        reads: expand(reads),
        writes: expand(writes),
        kind,
        target: None,
    };
    match (arch, base) {
        (Arch::Mips, "jr") if operands == ["$ra"] => kind = Return,
        (Arch::PowerPc, "cmpw" | "cmplw" | "cmpwi" | "cmplwi") if operands.len() == 3 => {
            roles = if roles == "rr" { "frr" } else { "fri" };
            effect.writes.clear();
        }
        // Other BO values also count down ctr, or ignore the condition.
        (Arch::PowerPc, "bclr") if !matches!(operands.first(), Some(&("4" | "12"))) => {
            return Err(format!("`bclr` with BO other than 4 or 12: {operands:?}"));
        }
        (Arch::PowerPc, "bcl") if operands.get(..2) != Some(&["20", "31"]) => {
            return Err(format!("`bcl` other than `bcl 20, 31`: {operands:?}"));
        }
        _ => {}
    }
    if record {
        effect.writes.extend(cr_field(0));
    }
    if operands.len() > roles.len() {
        return Err(format!("`{mnemonic}` with more operands than `{roles}`"));
    }
    for (role, operand) in roles.chars().zip(operands) {
        let name = || register(arch, operand)?.ok_or(format!("`{operand}` is no register"));
        let memory_base = || {
            operand
                .split_once('(')
                .map(|(_, b)| b.trim_end_matches(')'))
        };
        match role {
            'w' => effect.writes.push(name()?),
            'r' => effect.reads.extend(register(arch, operand)?),
            'x' | 'u' => {
                effect.reads.push(name()?);
                effect.writes.push(name()?);
            }
            'z' | 'm' if *operand == "0" || memory_base() == Some("0") => {}
            'z' | 'm' => effect.reads.push(name()?),
            'b' => effect.reads.push(cr_bit(number(operand)?)),
            'd' => effect.writes.push(cr_bit(number(operand)?)),
            'f' => effect.writes.extend(cr_field(number(operand)?)),
            'g' => effect.reads.extend(cr_field(number(operand)?)),
            'c' => {
                let mask = number(operand)?;
                let fields = (0..8).filter(|f| mask & (0x80 >> f) != 0);
                effect.writes.extend(fields.flat_map(cr_field));
            }
            't' => {
                let hex = operand.strip_prefix("0x").unwrap_or("?");
                let target = u64::from_str_radix(hex, 16);
                effect.target = Some(target.map_err(|_| format!("no target in `{operand}`"))?);
            }
            _ => {}
        }
    }
    if matches!(kind, Branch | Jump) && effect.target.is_none() {
        return Err(format!("`{mnemonic}` without a target"));
    }
    effect.kind = kind;
    Ok(effect)
}

#[derive(Debug)]
struct Finding {
    address: u64,
    function: String,
    instruction: String,
    register: String,
}

#[derive(Debug, Default)]
struct Report {
    /// System calls after which at least one instruction was looked at.
    sites_walked: usize,
    findings: Vec<Finding>,
    /// What keeps the walk from being complete: unknown mnemonics, lost paths.
    problems: BTreeSet<String>,
}

/// Every read of a register the kernel may have changed, along every path from every system
/// call of `listing` until the register is written.
fn analyse(listing: &str, arch: Arch) -> Report {
    let instructions = parse_listing(listing);
    let at: HashMap<u64, &Instruction> = instructions.iter().map(|i| (i.address, i)).collect();
    let mut findings: Vec<Finding> = Vec::new();
    let (mut problems, mut sites_walked) = (BTreeSet::new(), 0);
    let mut step = |instruction: &Instruction, pending: &mut BTreeSet<String>| {
        let (address, function, text) =
            (instruction.address, instruction.function, instruction.text);
        let effect = effect(arch, instruction.mnemonic, &instruction.operands)
            .map_err(|e| format!("{address:#x} in {function}: `{text}`: {e}"))?;
        for register in effect.reads.iter().filter(|r| pending.contains(*r)) {
            let finding = Finding {
                address,
                function: function.to_string(),
                instruction: text.to_string(),
                register: register.clone(),
            };
            if !findings
                .iter()
                .any(|f| (f.address, &f.register) == (address, register))
            {
                findings.push(finding);
            }
        }
        for register in &effect.writes {
            pending.remove(register);
        }
        Ok::<_, String>(effect)
    };
    for site in instructions
        .iter()
        .filter(|i| i.mnemonic == arch.system_call())
    {
        // What was pending at each address already walked: a path that brings nothing new
        // there finds nothing new, which also ends every loop.
        let mut walked: HashMap<u64, BTreeSet<String>> = HashMap::new();
        let mut paths = vec![(site.address + 4, arch.unpreserved())];
        while let Some((address, mut pending)) = paths.pop() {
            let known = walked.entry(address).or_default();
            if pending.is_subset(known) {
                continue;
            }
            known.extend(pending.iter().cloned());
            let Some(instruction) = at.get(&address) else {
                problems.insert(format!("a path leaves the listing at {address:#x}"));
                continue;
            };
            let effect = match step(instruction, &mut pending) {
                Ok(effect) => effect,
                Err(problem) => {
                    problems.insert(problem);
                    continue;
                }
            };
            let mut next = address + 4;
            if arch == Arch::Mips && !matches!(effect.kind, Next | Halt) {
                // The delay slot runs before the branch, call or return takes effect.
                let slot = at.get(&next).ok_or(format!("no delay slot at {next:#x}"));
                let problem = match slot.and_then(|slot| step(slot, &mut pending)) {
                    Ok(slot) if slot.kind == Next => None,
                    Ok(_) => Some(format!("a branch in the delay slot at {next:#x}")),
                    Err(problem) => Some(problem),
                };
                problems.extend(problem);
                next += 4;
            }
            if matches!(effect.kind, Next | Branch | ConditionalReturn) {
                paths.push((next, pending.clone()));
            }
            if let Some(target) = effect
                .target
                .filter(|_| matches!(effect.kind, Branch | Jump))
            {
                paths.push((target, pending));
            }
        }
        sites_walked += usize::from(!walked.is_empty());
    }
    Report {
        sites_walked,
        findings,
        problems,
    }
}

fn disassemble(file: &Path, options: &[&str]) -> String {
    let mut objdump = Command::new(llvm_tool("llvm-objdump"));
    let out = output(
        objdump
            .args(["-d", "--no-show-raw-insn"])
            .args(options)
            .arg(file),
    );
    let errors = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}: {errors}", file.display());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn shipped_files_read_no_register_the_kernel_leaves_undefined() {
    let mut failures = Vec::new();
    let mut architectures = BTreeSet::new();
    for target in TARGETS {
        let Some(arch) = Arch::of(target.triple) else {
            continue;
        };
        architectures.insert(format!("{arch:?}"));
        for name in PROGRAMS.iter().copied().chain([PRELOAD_FILE]) {
            let path = dist_dir(target.triple).join("unstripped").join(name);
            let report = analyse(&disassemble(&path, &[]), arch);
            let file = path.display();
            if report.sites_walked == 0 {
                failures.push(format!(
                    "{file}: no system call walked: has the listing changed?"
                ));
            }
            failures.extend(report.problems.iter().map(|p| format!("{file}: {p}")));
            failures.extend(report.findings.iter().map(|f| {
                let (address, function, register) = (f.address, &f.function, &f.register);
                let instruction = &f.instruction;
                format!("{file}: {address:#x} in {function}: `{instruction}` reads {register}")
            }));
        }
    }
    assert_eq!(
        architectures.len(),
        2,
        "not both MIPS and PowerPC: {architectures:?}"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn assert_clean(report: &Report) {
    assert!(
        report.findings.is_empty() && report.problems.is_empty(),
        "{report:?}"
    );
}

/// What a report found, in address order.
fn found(report: &Report) -> Vec<(u64, &str)> {
    let mut found: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.address, &*f.register))
        .collect();
    found.sort();
    found
}

/// The old `installer::run` of MIPS big-endian `routes`, with its system calls inline: the
/// compiler kept a flag in `$1` across the last one.
#[test]
fn the_old_inline_system_call_of_routes_is_found() {
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/mips-be-routes-installer-run-inline-syscalls.bin");
    let scratch = Scratch::new("syscall-registers");
    let elf = scratch.path("installer-run.o");
    let objcopy = output(
        Command::new(llvm_tool("llvm-objcopy"))
            .args(["-I", "binary", "-O", "elf32-tradbigmips"])
            .args(["--rename-section", ".data=.text,alloc,load,readonly,code"])
            .arg(&fixture)
            .arg(&elf),
    );
    assert!(objcopy.status.success(), "{objcopy:?}");
    // At its address in the old file, where its absolute jumps land inside it.
    let options = ["--triple=mips", "--mcpu=mips32r2", "--adjust-vma=0x12f00"];
    let report = analyse(&disassemble(&elf, &options), Arch::Mips);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.sites_walked, 5, "{report:?}");
    assert_eq!(found(&report), [(0x130fc, "$1")], "{report:?}");
    assert_eq!(report.findings[0].instruction, "andi\t$1, $1, 0x1");
}

#[test]
fn the_out_of_line_mips_entry_passes() {
    let report = analyse(
        "0001111c <entry3>:\n   1111c:\tmove\t$2, $7\n   11120:\tsyscall\n   \
         11124:\tnegu\t$3, $2\n   11128:\tjr\t$ra\n   1112c:\tmovn\t$2, $3, $7\n",
        Arch::Mips,
    );
    assert_eq!(report.sites_walked, 1);
    assert_clean(&report);
}

#[test]
fn mips_paths_follow_branches_and_delay_slots_and_end_at_calls() {
    // The branch's delay slot reads hi; the taken branch reaches a read of `$8` (movn keeps
    // `$4` when `$8` is zero); the loop ends; the read of `$1` after the call does not count.
    let report = analyse(
        "100:\tsyscall\n104:\tbnez\t$2, 0x118\n108:\tmfhi\t$4\n10c:\tbeqz\t$4, 0x104\n\
         110:\tnop\n114:\tbreak\n118:\tmovn\t$4, $5, $8\n11c:\tjal\t0x400\n\
         120:\tnop\n124:\tsw\t$1, 0x10($sp)\n",
        Arch::Mips,
    );
    assert_eq!(found(&report), [(0x108, "hi"), (0x118, "$8")], "{report:?}");
    assert!(report.problems.is_empty(), "{report:?}");
}

#[test]
fn an_unknown_mnemonic_after_a_system_call_is_a_problem() {
    let report = analyse(
        "100:\tsyscall\n104:\tbeql\t$2, $3, 0x100\n108:\tnop\n",
        Arch::Mips,
    );
    assert!(
        report.problems.iter().any(|p| p.contains("`beql`")),
        "{report:?}"
    );
}

const POWERPC_SYSTEM_CALL: &str = "10000000 <close>:\n10000000:\tli 0, 6\n10000004:\tsc\n\
                                   10000008:\tbns 0x10000010\n1000000c:\tneg 3, 3\n";

#[test]
fn powerpc_sc_with_its_error_branch_passes() {
    let listing = format!("{POWERPC_SYSTEM_CALL}10000010:\tblr\n");
    let report = analyse(&listing, Arch::PowerPc);
    assert_eq!(report.sites_walked, 1);
    assert_clean(&report);
}

#[test]
fn powerpc_reads_of_r4_and_cr0_after_sc_are_found() {
    // `bf 3` is `bns` as llvm-objdump prints it; `bt 2` is `beq`.
    let listing = format!(
        "{POWERPC_SYSTEM_CALL}10000010:\tadd 3, 3, 4\n10000014:\tbf 3, 0x1000001c\n\
         10000018:\tbt 2, 0x10000024\n1000001c:\tcmplwi 3, 0\n10000020:\tbeq 0x10000024\n\
         10000024:\tblr\n"
    );
    let report = analyse(&listing, Arch::PowerPc);
    assert_eq!(
        found(&report),
        [(0x10000010, "r4"), (0x10000018, "cr0.eq")],
        "{report:?}"
    );
    assert!(report.problems.is_empty(), "{report:?}");
}
