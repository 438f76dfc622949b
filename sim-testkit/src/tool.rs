//! Outside tools a test needs: check, skip with one line, record the skip, fail under `CI`.
//!
//! `cargo xtask ci` sets `KIRO_SIM_SKIP_LOG` to a file; every skip appends one line to it
//! (`test-name\tinstall hint`), and xtask prints the count and the distinct hints at the end.

use std::io::Write as _;
use std::process::Command;

/// The environment variable naming the file skips are appended to.
pub const SKIP_LOG_ENV: &str = "KIRO_SIM_SKIP_LOG";

/// Whether `program args…` runs and exits successfully (a quick probe such as `dig -v`).
pub fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|out| out.status.success())
}

/// Decides whether `test` can run: `Ok(())` when `available` is, otherwise skips it.
///
/// Skipping prints `skipping {test}: {why} ({install})` on stderr and records the skip; when
/// the `CI` environment variable is set it panics instead, naming the tool to install.
pub fn require(test: &str, available: Result<(), String>, install: &str) -> bool {
    let Err(why) = available else {
        return true;
    };
    assert!(
        std::env::var_os("CI").is_none(),
        "{test} needs a tool that is missing ({why}), and CI must run it: {install}"
    );
    eprintln!("skipping {test}: {why} ({install})");
    record_skip(test, install);
    false
}

/// [`require`] for a program that must run with `probe_args` (e.g. `dig -v`).
pub fn require_program(test: &str, program: &str, probe_args: &[&str], install: &str) -> bool {
    let available = if runs(program, probe_args) {
        Ok(())
    } else {
        Err(format!("`{program}` is not runnable"))
    };
    require(test, available, install)
}

/// Appends `test\tinstall` to the skip log, if one is set. A failure to write is reported on
/// stderr but does not fail the test: the skip itself was already printed.
fn record_skip(test: &str, install: &str) {
    let Some(path) = std::env::var_os(SKIP_LOG_ENV) else {
        return;
    };
    let line = format!("{test}\t{install}\n");
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(line.as_bytes()));
    if let Err(e) = written {
        eprintln!(
            "could not record the skip in {}: {e}",
            path.to_string_lossy()
        );
    }
}

/// The summary of a skip log's contents: `None` when nothing was skipped, otherwise
/// `skipped N: install A; install B` with each distinct hint once, in first-seen order.
pub fn summarize(log: &str) -> Option<String> {
    let mut hints: Vec<&str> = Vec::new();
    let mut count = 0;
    for line in log.lines().filter(|l| !l.trim().is_empty()) {
        count += 1;
        let hint = line.split_once('\t').map_or(line, |(_, h)| h);
        if !hints.contains(&hint) {
            hints.push(hint);
        }
    }
    (count > 0).then(|| format!("skipped {count}: {}", hints.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_counts_skips_and_names_each_install_hint_once() {
        let log = "a\tinstall dig (apt-get install bind9-dnsutils)\n\
                   b\tinstall dig (apt-get install bind9-dnsutils)\n\
                   c\tpip install okta==2.9.13\n";
        assert_eq!(
            summarize(log).as_deref(),
            Some(
                "skipped 3: install dig (apt-get install bind9-dnsutils); pip install okta==2.9.13"
            )
        );
        assert_eq!(summarize("\n"), None);
    }

    #[test]
    fn a_present_program_is_found_and_a_missing_one_is_not() {
        assert!(runs("cargo", &["--version"]));
        assert!(!runs("kiro-sim-no-such-program", &[]));
    }
}
