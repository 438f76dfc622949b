//! `scenario-runner [PATH…] [--seed N] [--filter TEXT] [--junit FILE] [--list] [--jobs N]
//! [--verbose]`: runs scenario files (the library by default), in parallel, with a live line
//! per scenario and a summary; exits non-zero on any failure or parse error.
//! `cargo xtask scenario` runs it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use scenarios::report::{self, Coverage};
use scenarios::run::Status;

/// Runs kiro-sim scenario files.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask scenario")]
struct Args {
    /// Scenario files or folders (default: the library, `scenarios/library`).
    paths: Vec<PathBuf>,
    /// World seed for every scenario (default: each file's `seed:`, else 0).
    #[arg(long)]
    seed: Option<u64>,
    /// Only scenarios whose name or file contains this text.
    #[arg(long)]
    filter: Option<String>,
    /// Write JUnit XML here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// List the scenarios and the BEHAVIOURS.md ids they cover; run nothing.
    #[arg(long)]
    list: bool,
    /// How many scenarios run at once (default: the number of CPUs).
    #[arg(long)]
    jobs: Option<usize>,
    /// Print every scenario's transcript, not only the failing ones'.
    #[arg(long, short)]
    verbose: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let paths = if args.paths.is_empty() {
        vec![scenarios::library_dir()]
    } else {
        args.paths.clone()
    };
    let files = match scenarios::discover(&paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut parsed = Vec::new();
    let mut errors = 0;
    for file in &files {
        match scenarios::load(file) {
            Ok(s) => parsed.push(s),
            Err(e) => {
                errors += 1;
                eprintln!("error: {e}");
            }
        }
    }
    if let Some(filter) = &args.filter {
        parsed.retain(|s| s.name.contains(filter.as_str()) || s.file.contains(filter.as_str()));
    }
    if args.list {
        list(&parsed);
        return if errors > 0 {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        };
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(4, usize::from));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let verbose = args.verbose;
    println!("running {} scenarios ({jobs} at a time)", parsed.len());
    let outcomes = runtime.block_on(report::run_all(parsed, args.seed, jobs, move |o| {
        let mut text = report::live_line(o);
        if verbose || matches!(o.status, Status::Failed(_)) {
            text.push('\n');
            text.push_str(o.transcript.trim_end());
        }
        report::print_line(&text);
    }));
    print!("{}", report::summary(&outcomes));
    if errors > 0 {
        println!("{errors} file(s) did not parse");
    }
    if let Some(path) = &args.junit
        && let Err(e) = std::fs::write(path, report::junit(&outcomes))
    {
        eprintln!("error: writing {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    let failed = outcomes
        .iter()
        .any(|o| matches!(o.status, Status::Failed(_)));
    if failed || errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn list(parsed: &[scenarios::Scenario]) {
    for s in parsed {
        let ids: Vec<&str> = s.covers.iter().map(|(id, _)| id.as_str()).collect();
        let pending = s
            .pending
            .as_deref()
            .map(|p| format!("  [pending: {p}]"))
            .unwrap_or_default();
        println!(
            "{}  ({}){pending}\n    covers: {}",
            s.name,
            s.file,
            ids.join(", ")
        );
    }
    let mut c: Coverage = report::coverage(parsed, &scenarios::catalogue_ids(scenarios::CATALOGUE));
    if let Err(e) = report::add_test_coverage(&mut c, &scenarios::workspace_root()) {
        println!("(Rust tests' `// covers:` lines not read: {e})");
    }
    let covered = c.ids.values().filter(|f| !f.is_empty()).count();
    println!("\nBEHAVIOURS.md coverage: {covered}/{} ids", c.ids.len());
    let uncovered = c.uncovered();
    if !uncovered.is_empty() {
        println!("not covered: {}", uncovered.join(", "));
    }
    for u in &c.unknown {
        println!("unknown id (not in BEHAVIOURS.md): {u}");
    }
}
