//! `cargo xtask fuzz [TARGET|all] [--time S]`: builds the cargo-fuzz targets in `fuzz/` and
//! runs each for a bounded time, one after the other, each in one process (no `-jobs`/
//! `-workers`: the machine's cores are shared), then prints executions and crashes per
//! target. `cargo xtask ci` runs every target for a few seconds.
//!
//! The machine's toolchain is stable, and cargo-fuzz's default sanitizer needs nightly's
//! `-Zsanitizer`. The targets are safe Rust (`unsafe_code` is forbidden across the
//! workspace), so they build with `--sanitizer none`: only stable flags then
//! (`-Cpasses=sancov-module` and `-Cllvm-args=-sanitizer-coverage-*` for libFuzzer's
//! coverage), plus debug assertions (`-a`: integer overflow panics). `--asan` adds
//! AddressSanitizer through `RUSTC_BOOTSTRAP=1` (stable accepting `-Z` flags).
//!
//! The build goes to `{target}/fuzz` (its own instrumented release build). Each run reads the
//! committed seeds in `fuzz/corpus/{target}` and writes what it finds to
//! `{target}/fuzz/corpus/{target}`, so the committed corpus only changes on purpose; a crash
//! leaves its input in `fuzz/artifacts/{target}/`.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

/// The fuzz targets, in the order `all` runs them (the `[[bin]]`s of `fuzz/Cargo.toml`).
pub(crate) const TARGETS: &[&str] = &[
    "okta_filter",
    "scim_filter",
    "scim_patch",
    "jwt_verify",
    "scenario_yaml",
    "dns_message",
    "dns_api",
    "okta_api",
    "kiro_api",
];

/// The cargo-fuzz version `.ci/run` installs (and this file was written against).
pub(crate) const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// What one run found.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// The target.
    pub(crate) target: &'static str,
    /// Inputs executed (libFuzzer's `stat::number_of_executed_units`).
    pub(crate) execs: u64,
    /// Whether it stopped on a crash (a panic, a timeout, out of memory).
    pub(crate) crashed: bool,
    /// Wall time of the run.
    pub(crate) secs: f64,
}

/// Whether `cargo fuzz` runs here.
pub(crate) fn available(cargo: &std::ffi::OsStr) -> bool {
    Command::new(cargo)
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Builds `targets` (all at once when they are every target) and runs each for `secs`
/// seconds; returns their outcomes, or an error if the build failed. A crash is an outcome,
/// not an error: the caller decides.
pub(crate) fn run(
    root: &Path,
    cargo: &std::ffi::OsStr,
    target_dir: &Path,
    targets: &[&'static str],
    secs: u64,
    asan: bool,
) -> Result<Vec<Outcome>> {
    let fuzz_target_dir = target_dir.join("fuzz");
    let sanitizer = if asan { "address" } else { "none" };
    let started = Instant::now();
    let mut build = Command::new(cargo);
    build
        .args([
            "fuzz",
            "build",
            "--sanitizer",
            sanitizer,
            "--debug-assertions",
        ])
        .current_dir(root)
        .env("CARGO_TARGET_DIR", &fuzz_target_dir);
    if asan {
        build.env("RUSTC_BOOTSTRAP", "1");
    }
    if targets.len() == 1 {
        build.arg(targets[0]);
    }
    println!("==> cargo fuzz build --sanitizer {sanitizer} --debug-assertions");
    let status = build.status().context("could not run `cargo fuzz build`")?;
    if !status.success() {
        bail!("`cargo fuzz build` failed ({status})");
    }
    println!(
        "==> fuzz build took {:.1}s",
        started.elapsed().as_secs_f64()
    );

    let mut outcomes = Vec::new();
    for &target in targets {
        let seeds = root.join("fuzz/corpus").join(target);
        let work = fuzz_target_dir.join("corpus").join(target);
        std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
        let mut cmd = Command::new(cargo);
        cmd.args([
            "fuzz",
            "run",
            "--sanitizer",
            sanitizer,
            "--debug-assertions",
            target,
        ])
        .arg(&work);
        if seeds.is_dir() {
            cmd.arg(&seeds);
        }
        cmd.args([
            "--",
            &format!("-max_total_time={secs}"),
            "-timeout=10",
            "-rss_limit_mb=2048",
            "-print_final_stats=1",
        ])
        .current_dir(root)
        .env("CARGO_TARGET_DIR", &fuzz_target_dir)
        .stderr(Stdio::piped());
        if asan {
            cmd.env("RUSTC_BOOTSTRAP", "1");
        }
        println!("==> fuzz {target} for {secs}s");
        let run_started = Instant::now();
        let mut child = cmd
            .spawn()
            .with_context(|| format!("could not run `cargo fuzz run {target}`"))?;
        let mut execs = 0;
        let mut crashed = false;
        if let Some(stderr) = child.stderr.take() {
            let mut out = std::io::stderr().lock();
            for line in BufReader::new(stderr).lines() {
                let line = line.context("reading the fuzzer's output")?;
                if let Some(n) = line.strip_prefix("stat::number_of_executed_units:") {
                    execs = n.trim().parse().unwrap_or(0);
                }
                if line.contains("deadly signal")
                    || line.contains("ERROR: libFuzzer")
                    || line.starts_with("==") && line.contains("ERROR:")
                {
                    crashed = true;
                }
                // Progress lines are many; keep the interesting ones.
                if !line.starts_with('#') || line.contains("DONE") {
                    let _ = writeln!(out, "{line}");
                }
            }
        }
        let status = child.wait().context("waiting for the fuzzer")?;
        crashed |= !status.success();
        outcomes.push(Outcome {
            target,
            execs,
            crashed,
            secs: run_started.elapsed().as_secs_f64(),
        });
    }
    println!("==> fuzz results");
    for o in &outcomes {
        println!(
            "    {:<14} {:>12} execs {:>9.0}/s {:>7.1}s  {}",
            o.target,
            o.execs,
            o.execs as f64 / o.secs.max(0.001),
            o.secs,
            if o.crashed { "CRASH" } else { "0 crashes" }
        );
    }
    Ok(outcomes)
}
