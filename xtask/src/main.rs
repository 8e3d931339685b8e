//! `cargo xtask`: the project's build, test, size and bench orchestration.

// The modules read like `cargo xtask help`: what each task does, and what it needs.
mod bench;
mod build;
mod cmd;
mod package;
mod setup;
mod test;

use std::process::ExitCode;

const USAGE: &str = "Usage: cargo xtask <task> [--verbose]

Tasks:
  dist    build dns54, routes, viawan and libpacketmark.so for every router target into
          target/dist/<target>/ (shipped) and target/dist/<target>/unstripped/, then
          print the size table (files over budget are marked; `test` fails on them)
  package [--key SECRET_KEY] [--apk-key PEM]
          `dist`, then OpenWrt .ipk packages of its files for every OpenWrt package
          architecture in target/packages/<arch>/, with the Packages index (gzipped, and
          signed with the signify-openbsd/usign key when --key names one), and the same
          packages for apk (OpenWrt 25.12) in target/packages/apk/<arch>/, with the
          packages.adb index (signed with the EC P-256 key when --apk-key names one, its
          public key beside it as gluon-wan-tools.pem)
  size [OPTIONS]
          the size report of target/dist against size-report/budgets.txt and
          size-report/baseline.txt; OPTIONS go to size-report (`--update-baseline` accepts
          the current sizes, `--symbols`, `--json`, `--markdown`; see `size-report --help`)
  test    everything CI checks: formatting, clippy (host and cross), host unit tests,
          the cross builds, the MIPS tests under qemu, the integration tests; ends with
          `N passed, N failed, N skipped` and the time of each step. As root it installs
          what it needs itself.
  real-kernel [TRIPLE]
          the real-kernel step of `test` alone, for every family or the one named: the
          files of the last `dist` on a real kernel of their architecture (qemu-system;
          x86-64 natively), with kernels and busybox cached in ~/.cache/gluon-wan-tools
  bench packetmark
          socket()+close() without a preload, with libpacketmark.so and with a C
          preload of the original's behaviour, side by side, as ratios
  bench routes
          routes -b against ip -batch adding and deleting 10,000 routes in a namespace:
          wall time and peak memory, as ratios
  bench dns
          dns54 against dnsmasq --cache-size=0 with one nsd upstream, dnsperf -c 2 over
          100,000 names in a namespace: queries/s, CPU per query, peak memory, as ratios
  fuzz [TARGET] [--seconds N]
          a fuzzing campaign of N seconds (default 60) for each fuzz target, or the one
          named (routes_netlink_reply, routes_command_line, dns54_message, dns54_resolv)
  playbook
          measures what each size flag of the shipped builds saves, one flag at a time,
          and writes the table into docs/size-playbook.md
  conformance [--mirror DIR]
          the OpenWrt side against the real OpenWrt programs and files, built from their
          upstream sources at the commits of xtask/src/test/conformance/upstream.rs, fetched from
          GitHub or from DIR (bare clones named OWNER+NAME/repo); not part of CI
  fresh-check
          builds a minimal Debian 12 root, runs `cargo xtask dist` and `cargo xtask test`
          in a clean clone inside it, as a new user would (root; several minutes)
  help    this text

--verbose shows every command with the environment xtask gives it.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().map(String::as_str);
    let rest = args.get(1..).unwrap_or_default();
    // One line that names the mistake; the tasks are one `cargo xtask help` away.
    let usage_error = |message: String| {
        eprintln!("xtask: {message} (`cargo xtask help` lists the tasks)");
        ExitCode::from(2)
    };
    // Every task but `size` (whose options go to size-report) takes only `--verbose`, after
    // `bench`'s benchmark name.
    // `--help` after any task shows this text, as after none (size passes it to size-report).
    if task != Some("size") && rest.iter().any(|a| a == "--help" || a == "-h") {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let options = match task {
        Some("size" | "fuzz" | "package" | "conformance") => &[][..],
        Some("real-kernel") => rest.get(1..).unwrap_or_default(),
        Some("bench") => rest.get(1..).unwrap_or_default(),
        _ => rest,
    };
    if let Err(message) = flags(options) {
        return usage_error(message);
    }
    let result = match task {
        Some("dist") => build::dist(),
        Some("size") => match build::size(rest) {
            Ok(status) => return ExitCode::from(status),
            Err(failure) => Err(failure),
        },
        Some("package") => match valued_options(
            rest,
            &[
                ("--key", "the usign secret key's file"),
                ("--apk-key", "the EC secret key's PEM file"),
            ],
        ) {
            Ok(keys) => package::package(keys[0], keys[1]),
            Err(message) => return usage_error(message),
        },
        Some("test") => test::test(),
        Some("real-kernel") => test::real_kernel_only(rest.first().map(String::as_str)),
        Some("bench") => match rest.first().map(String::as_str) {
            Some(what @ ("packetmark" | "routes" | "dns")) => bench::bench(what),
            _ => {
                return usage_error("bench what? `cargo xtask bench packetmark|routes|dns`".into());
            }
        },
        Some("playbook") => build::playbook::playbook(),
        Some("fuzz") => match fuzz_options(rest) {
            Ok((target, seconds)) => test::fuzz(target, seconds),
            Err(message) => return usage_error(message),
        },
        Some("conformance") => {
            match valued_options(rest, &[("--mirror", "a directory of bare clones")]) {
                Ok(mirror) => test::conformance::conformance(mirror[0].map(std::path::Path::new)),
                Err(message) => return usage_error(message),
            }
        }
        Some("fresh-check") => test::fresh_check::fresh_check(),
        Some("help" | "--help" | "-h") | None => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => return usage_error(format!("unknown task `{other}`")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(cmd::Failure(message)) => {
            if !message.is_empty() {
                eprintln!("xtask: {message}");
            }
            ExitCode::FAILURE
        }
    }
}

/// The options every task takes: only `--verbose`. Anything else stops the task before it
/// does anything.
fn flags(args: &[String]) -> Result<(), String> {
    for arg in args {
        match arg.as_str() {
            "--verbose" | "-v" => cmd::set_verbose(),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(())
}

/// `[NAME VALUE]… [--verbose]`: the options of a task whose options each take a value
/// (`package --key SECRET_KEY --apk-key PEM`, `conformance --mirror DIR`), each at most
/// once; `known` names them with what their value is, for the message when it is missing.
/// The values in the order of `known`.
fn valued_options<'a>(
    args: &'a [String],
    known: &[(&str, &str)],
) -> Result<Vec<Option<&'a str>>, String> {
    let mut values = vec![None; known.len()];
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let given = arg.as_str();
        if let Some(i) = known.iter().position(|(name, _)| *name == given) {
            if values[i].is_some() {
                return Err(format!("{given} given twice"));
            }
            let (name, what) = known[i];
            values[i] = Some(
                args.next()
                    .ok_or_else(|| format!("{name} takes {what}"))?
                    .as_str(),
            );
            continue;
        }
        match given {
            "--verbose" | "-v" => cmd::set_verbose(),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(values)
}

/// `[TARGET] [--seconds N] [--verbose]` of `cargo xtask fuzz`.
fn fuzz_options(args: &[String]) -> Result<(Option<&str>, u32), String> {
    let (mut target, mut seconds) = (None, 60);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => {
                seconds = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .ok_or("--seconds takes a number")?;
            }
            "--verbose" | "-v" => cmd::set_verbose(),
            name if test::FUZZ_TARGETS.contains(&name) && target.is_none() => target = Some(name),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok((target, seconds))
}

#[cfg(test)]
mod tests {
    use super::valued_options;

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn package_takes_each_key_once_and_nothing_else() {
        let known = [("--key", "a file"), ("--apk-key", "a PEM file")];
        let package_options = |line: &str| {
            valued_options(&words(line), &known).map(|values| {
                values
                    .into_iter()
                    .map(|v| v.map(String::from))
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(package_options(""), Ok(vec![None, None]));
        assert_eq!(
            package_options("--key k.sec"),
            Ok(vec![Some("k.sec".into()), None])
        );
        assert_eq!(
            package_options("--apk-key a.pem --key k.sec"),
            Ok(vec![Some("k.sec".into()), Some("a.pem".into())])
        );
        assert!(package_options("--key").is_err());
        assert!(package_options("--key a --key b").is_err());
        assert!(package_options("--bogus").is_err());
    }
}
