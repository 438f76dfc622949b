//! Project automation for the kiro-sim workspace, run as `cargo xtask <command>`.
//!
//! Commands:
//!
//! - `cargo xtask ci [--no-fmt] [--no-clippy]`: what CI runs, in order, stopping at the first
//!   failure: `cargo fmt --all -- --check`, `cargo clippy --workspace --all-targets --locked --
//!   -D warnings` and `cargo test --workspace --locked` (`--locked` only when `Cargo.lock`
//!   exists). Prints how long each step took.
//! - `cargo xtask gen-keys [--count 4] [--out sim-core/keys]`: regenerates the fixed RSA-2048
//!   dev signing keys `dev-rsa-{i}.pem`, deterministically (key `i` comes from a ChaCha20 RNG
//!   seeded with `0x6b69_726f_5349_4d00 + i`).
//! - `cargo xtask scenario [PATH…] [--seed N] [--filter TEXT] [--junit FILE] [--list] [--jobs N]
//!   [--verbose]`: runs scenario files (the library `scenarios/library` by default) through
//!   `cargo run -p scenarios --bin scenario-runner`; exits non-zero on any failure.
//! - `cargo xtask bench [TARGET]`: runs the benchmarks of one target (`dns`, `okta`, `push`, `kiro`, `world`, `load`, `scenarios`, `props`, `doctor`, `state`, `image`, `guide`) or of `all`
//!   (`image` first builds the image, then prints its size, `docker run` → `/_sim/ready`, reset
//!   and module start → first call; `guide` runs the browser walkthrough of Kiro's Okta guide,
//!   `cargo test -p sim-world --test guide -- --nocapture`, which prints
//!   `guide walkthrough: … s`).
//! - `cargo xtask fuzz [TARGET|all] [--time S] [--asan]`: builds the cargo-fuzz targets in
//!   `fuzz/` (stable toolchain, no sanitizer, debug assertions; see [`fuzz`]) and runs each for
//!   `S` seconds (default 60), one at a time; prints executions and crashes per target and
//!   fails on a crash. `cargo xtask ci` ends with every target for 3 s (skipped with one line
//!   when cargo-fuzz is missing, failed under CI; `--no-fuzz` skips it).
//! - `cargo xtask fuzz-seeds`: writes the seed corpora `fuzz/corpus/{target}/` from the
//!   requests of the scenario library (`scenarios/examples/fuzz_seeds.rs`).
//! - `cargo xtask image`: builds the release binary and the `kiro-sim:latest` /
//!   `kiro-sim:{version}` image `FROM scratch`, offline (see [`image`]); prints its size.
//!
//! Everything runs from the workspace root; `cargo` is the one that invoked us (`$CARGO`), or
//! `cargo` from `PATH`.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use clap::builder::PossibleValuesParser;
use clap::{Args, Parser, Subcommand};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

mod fuzz;
mod image;

/// Seed of dev key 0; key `i` is generated from `KEY_SEED_BASE + i` ("kiroSIM\0" in ASCII).
const KEY_SEED_BASE: u64 = 0x6b69_726f_5349_4d00;

/// The benchmarks `cargo xtask bench` knows, one line each; `all` runs them in this order.
const BENCHES: &[Bench] = &[
    //         name    package     [[bench]] target
    Bench::new("dns", "mock-dns", "dns"),
    Bench::new("okta", "mock-okta", "okta"),
    Bench::new("push", "mock-okta", "provisioning"),
    Bench::new("kiro", "mock-kiro", "kiro"),
    Bench::new("world", "sim-world", "world"),
    Bench::new("load", "sim-world", "load"),
    Bench::new("scenarios", "scenarios", "scenarios"),
    Bench::new("props", "sim-props", "props"),
    Bench::new("doctor", "sim-doctor", "doctor"),
    Bench::new("state", "kiro-sim", "state"),
    Bench::new("image", "kiro-sim-testcontainers", "image"),
    Bench::test("guide", "sim-world", "guide"),
];

/// Project automation: `cargo xtask <command>`.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    /// The command to run.
    #[command(subcommand)]
    command: Cmd,
}

/// The xtask commands.
#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run what CI runs: fmt check, clippy, tests; stop at the first failure.
    Ci(CiArgs),
    /// Regenerate the fixed RSA-2048 dev signing keys, deterministically.
    GenKeys(GenKeysArgs),
    /// Run benchmarks.
    Bench(BenchArgs),
    /// Run scenario files (the library by default); arguments go to the scenario runner.
    Scenario(ScenarioArgs),
    /// Build the release binary and the `kiro-sim` container image (offline, FROM scratch).
    Image,
    /// Build the cargo-fuzz targets in `fuzz/` and run one or all for a bounded time.
    Fuzz(FuzzArgs),
    /// Write the fuzz seed corpora (`fuzz/corpus/`) from the scenario library's requests.
    FuzzSeeds,
}

/// Arguments of `cargo xtask fuzz`.
#[derive(Debug, Args)]
struct FuzzArgs {
    /// Which target to run (`all` runs every one, one after the other).
    #[arg(default_value = "all", value_parser = fuzz_target_parser())]
    target: String,
    /// Seconds to fuzz each target.
    #[arg(long, default_value_t = 60)]
    time: u64,
    /// Build with AddressSanitizer (through `RUSTC_BOOTSTRAP=1` on a stable toolchain).
    #[arg(long)]
    asan: bool,
}

/// Arguments of `cargo xtask scenario`, passed on to `scenario-runner`.
#[derive(Debug, Args)]
struct ScenarioArgs {
    /// `[PATH…] [--seed N] [--filter TEXT] [--junit FILE] [--list] [--jobs N] [--verbose]`.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

/// Arguments of `cargo xtask ci`.
#[derive(Debug, Args)]
struct CiArgs {
    /// Skip `cargo fmt --check`.
    #[arg(long)]
    no_fmt: bool,
    /// Skip `cargo clippy`.
    #[arg(long)]
    no_clippy: bool,
    /// Skip the short fuzz runs.
    #[arg(long)]
    no_fuzz: bool,
}

/// Arguments of `cargo xtask gen-keys`.
#[derive(Debug, Args)]
struct GenKeysArgs {
    /// How many keys to generate (`dev-rsa-0.pem` .. `dev-rsa-{count-1}.pem`).
    #[arg(long, default_value_t = 4)]
    count: u64,
    /// Directory to write the keys into, relative to the workspace root.
    #[arg(long, default_value = "sim-core/keys")]
    out: PathBuf,
}

/// Arguments of `cargo xtask bench`.
#[derive(Debug, Args)]
struct BenchArgs {
    /// Which benchmarks to run (`all` runs every one).
    #[arg(default_value = "all", value_parser = bench_target_parser())]
    target: String,
}

/// One benchmark: `cargo bench -p {package} --bench {bench}`, selected by `name`; or, for a
/// timed test, `cargo test -p {package} --test {bench} -- --nocapture`.
#[derive(Debug, Clone, Copy)]
struct Bench {
    /// The name given to `cargo xtask bench`.
    name: &'static str,
    /// The package holding the benchmark.
    package: &'static str,
    /// The `[[bench]]` target in that package (or the test target, for a timed test).
    bench: &'static str,
    /// A test that prints its own timing rather than a `[[bench]]` target.
    test: bool,
}

impl Bench {
    /// A benchmark named `name`: bench target `bench` of package `package`.
    const fn new(name: &'static str, package: &'static str, bench: &'static str) -> Self {
        Self {
            name,
            package,
            bench,
            test: false,
        }
    }

    /// A timed test named `name`: test target `test` of package `package`, run with its output
    /// shown (it prints its own figure).
    const fn test(name: &'static str, package: &'static str, test: &'static str) -> Self {
        Self {
            name,
            package,
            bench: test,
            test: true,
        }
    }
}

/// One step of `cargo xtask ci`: a cargo invocation and its one-line header.
#[derive(Debug)]
struct Step {
    /// Short name, printed as `==> {name}` and in the timing summary.
    name: &'static str,
    /// Arguments to `cargo`.
    args: Vec<&'static str>,
    /// Whether the step was turned off by a `--no-*` flag.
    skip: bool,
}

/// Runs the command; on failure prints the error chain on one line and exits with status 1.
fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the parsed command from the workspace root.
fn run(cli: Cli) -> Result<()> {
    let root = workspace_root()?;
    match cli.command {
        Cmd::Ci(args) => ci(&root, &args),
        Cmd::GenKeys(args) => gen_keys(&root, &args),
        Cmd::Bench(args) => bench(&root, &args),
        Cmd::Scenario(args) => scenario(&root, &args),
        Cmd::Image => image::build(&root, run_cargo).map(|_| ()),
        Cmd::Fuzz(args) => fuzz_cmd(&root, &args),
        Cmd::FuzzSeeds => {
            let root_arg = root.to_string_lossy().into_owned();
            run_cargo(
                &root,
                &[
                    "run",
                    "--quiet",
                    "-p",
                    "scenarios",
                    "--example",
                    "fuzz_seeds",
                    "--",
                    &root_arg,
                ],
            )
            .context("writing the fuzz seeds")
        }
    }
}

/// `cargo xtask ci`: fmt check, clippy and tests, in order, stopping at the first failure.
fn ci(root: &Path, args: &CiArgs) -> Result<()> {
    let locked = root.join("Cargo.lock").exists();
    let mut clippy = vec!["clippy", "--workspace", "--all-targets"];
    let mut test = vec!["test", "--workspace"];
    if locked {
        clippy.push("--locked");
        test.push("--locked");
    } else {
        println!("note: no Cargo.lock, running without --locked");
    }
    clippy.extend(["--", "-D", "warnings"]);

    let steps = [
        Step {
            name: "cargo fmt --check",
            args: vec!["fmt", "--all", "--", "--check"],
            skip: args.no_fmt,
        },
        Step {
            name: "cargo clippy",
            args: clippy,
            skip: args.no_clippy,
        },
        Step {
            name: "cargo test",
            args: test,
            skip: false,
        },
    ];

    // Tests that need a missing outside tool record their skip here (sim-testkit).
    let skip_log = target_dir(root).join("ci-skipped.txt");
    fs::create_dir_all(target_dir(root)).context("creating the target directory")?;
    fs::write(&skip_log, "").with_context(|| format!("emptying {}", skip_log.display()))?;

    // (step name, what happened): "skipped", or the time it took and "ok" / "FAILED".
    let mut timings: Vec<(&str, String)> = Vec::new();
    let mut failure = None;
    for step in &steps {
        if step.skip {
            println!("==> {} (skipped)", step.name);
            timings.push((step.name, "skipped".to_owned()));
            continue;
        }
        println!("==> {}", step.name);
        let start = Instant::now();
        let result = run_cargo_env(
            root,
            &step.args,
            &[(sim_testkit::tool::SKIP_LOG_ENV, &skip_log)],
        );
        let took = secs(start.elapsed());
        if let Err(err) = result {
            timings.push((step.name, format!("{took}  FAILED")));
            failure = Some(err.context(format!("ci step `{}` failed", step.name)));
            break;
        }
        timings.push((step.name, took));
    }

    if failure.is_none() {
        let start = Instant::now();
        match ci_fuzz(root, args.no_fuzz) {
            Ok(outcome) => timings.push((
                "cargo fuzz",
                format!("{}  {outcome}", secs(start.elapsed())),
            )),
            Err(err) => {
                timings.push(("cargo fuzz", format!("{}  FAILED", secs(start.elapsed()))));
                failure = Some(err.context("ci step `cargo fuzz` failed"));
            }
        }
    }

    println!("==> timings");
    for (name, outcome) in &timings {
        println!("    {name:<20} {outcome}");
    }
    let skips = fs::read_to_string(&skip_log).unwrap_or_default();
    if let Some(line) = sim_testkit::tool::summarize(&skips) {
        println!("==> {line}");
    }
    match failure {
        Some(err) => Err(err),
        None => {
            println!("==> ci passed");
            Ok(())
        }
    }
}

/// Seconds each fuzz target runs in `cargo xtask ci`.
const CI_FUZZ_SECS: u64 = 3;

/// The fuzz step of `cargo xtask ci`: every target for [`CI_FUZZ_SECS`]; skipped with one
/// line when cargo-fuzz is missing, except under CI (`CI` set), where that fails.
fn ci_fuzz(root: &Path, skip: bool) -> Result<&'static str> {
    if skip {
        println!("==> cargo fuzz (skipped)");
        return Ok("skipped");
    }
    if !fuzz::available(&cargo()) {
        if std::env::var_os("CI").is_some() {
            bail!(
                "cargo-fuzz is missing (CI installs cargo-fuzz {} in .ci/run)",
                fuzz::CARGO_FUZZ_VERSION
            );
        }
        println!(
            "==> cargo fuzz skipped: cargo-fuzz is not installed (cargo install --locked cargo-fuzz --version {})",
            fuzz::CARGO_FUZZ_VERSION
        );
        return Ok("skipped (no cargo-fuzz)");
    }
    println!("==> cargo fuzz ({CI_FUZZ_SECS}s per target)");
    let outcomes = fuzz::run(
        root,
        &cargo(),
        &target_dir(root),
        fuzz::TARGETS,
        CI_FUZZ_SECS,
        false,
    )?;
    let crashed: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.crashed)
        .map(|o| o.target)
        .collect();
    if !crashed.is_empty() {
        bail!("fuzz targets crashed: {}", crashed.join(", "));
    }
    Ok("ok")
}

/// `cargo xtask fuzz`: builds and runs the selected targets; fails if any crashed.
fn fuzz_cmd(root: &Path, args: &FuzzArgs) -> Result<()> {
    if !fuzz::available(&cargo()) {
        bail!(
            "cargo-fuzz is not installed: cargo install --locked cargo-fuzz --version {}",
            fuzz::CARGO_FUZZ_VERSION
        );
    }
    let targets: Vec<&'static str> = fuzz::TARGETS
        .iter()
        .copied()
        .filter(|t| args.target == "all" || *t == args.target)
        .collect();
    let outcomes = fuzz::run(
        root,
        &cargo(),
        &target_dir(root),
        &targets,
        args.time,
        args.asan,
    )?;
    let crashed: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.crashed)
        .map(|o| o.target)
        .collect();
    if !crashed.is_empty() {
        bail!(
            "fuzz targets crashed: {} (inputs in fuzz/artifacts/)",
            crashed.join(", ")
        );
    }
    Ok(())
}

/// The values `cargo xtask fuzz` accepts: `all` and every target.
fn fuzz_target_parser() -> PossibleValuesParser {
    PossibleValuesParser::new(std::iter::once("all").chain(fuzz::TARGETS.iter().copied()))
}

/// `cargo xtask gen-keys`: writes `dev-rsa-{i}.pem` for `i` in `0..count` into the out dir.
fn gen_keys(root: &Path, args: &GenKeysArgs) -> Result<()> {
    let out = root.join(&args.out);
    fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    for i in 0..args.count {
        let seed = KEY_SEED_BASE
            .checked_add(i)
            .ok_or_else(|| anyhow!("key index {i} overflows the seed"))?;
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let pem = sim_core::keys::generate_pkcs8_pem(&mut rng)
            .map_err(|err| anyhow!("generating dev key {i}: {err}"))?;
        let path = out.join(format!("dev-rsa-{i}.pem"));
        fs::write(&path, pem).with_context(|| format!("writing {}", path.display()))?;
        println!("{}", path.display());
    }
    Ok(())
}

/// `cargo xtask bench`: runs the selected benchmarks, stopping at the first failure.
fn bench(root: &Path, args: &BenchArgs) -> Result<()> {
    let selected: Vec<&Bench> = BENCHES
        .iter()
        .filter(|b| args.target == "all" || b.name == args.target)
        .collect();
    if selected.is_empty() {
        bail!("unknown bench target `{}`", args.target);
    }
    for b in selected {
        if b.name == "image" {
            image::build(root, run_cargo).context("building the image to benchmark")?;
        }
        let args: &[&str] = if b.test {
            &[
                "test",
                "-p",
                b.package,
                "--test",
                b.bench,
                "--",
                "--nocapture",
            ]
        } else {
            &["bench", "-p", b.package, "--bench", b.bench]
        };
        println!("==> cargo {}", args.join(" "));
        run_cargo(root, args).with_context(|| format!("bench `{}` failed", b.name))?;
    }
    Ok(())
}

/// `cargo xtask scenario`: `cargo run -p scenarios --bin scenario-runner -- {args}`.
fn scenario(root: &Path, args: &ScenarioArgs) -> Result<()> {
    let mut cargo_args = vec![
        "run",
        "--quiet",
        "-p",
        "scenarios",
        "--bin",
        "scenario-runner",
        "--",
    ];
    cargo_args.extend(args.args.iter().map(String::as_str));
    run_cargo(root, &cargo_args).context("scenarios failed")
}

/// A duration as seconds with one decimal, right-aligned: `   12.3s`.
fn secs(d: Duration) -> String {
    format!("{:>7.1}s", d.as_secs_f64())
}

/// The values `cargo xtask bench` accepts: `all` and every name in [`BENCHES`].
fn bench_target_parser() -> PossibleValuesParser {
    PossibleValuesParser::new(std::iter::once("all").chain(BENCHES.iter().map(|b| b.name)))
}

/// Runs `cargo {args}` in `root` with inherited stdio; an error if it cannot start or fails.
fn run_cargo(root: &Path, args: &[&str]) -> Result<()> {
    run_cargo_env(root, args, &[])
}

/// [`run_cargo`] with extra environment variables.
fn run_cargo_env(root: &Path, args: &[&str], env: &[(&str, &Path)]) -> Result<()> {
    let shown = format!("cargo {}", args.join(" "));
    let status = Command::new(cargo())
        .args(args)
        .envs(env.iter().copied())
        .current_dir(root)
        .status()
        .with_context(|| format!("could not run `{shown}`"))?;
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(())
}

/// The cargo to run: `$CARGO` (set when we run under `cargo run`), else `cargo` from `PATH`.
fn cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// Cargo's target directory: `$CARGO_TARGET_DIR` (CI keeps one cached outside the clone), else
/// `target/` in the workspace.
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

/// The workspace root: the parent of this crate's manifest directory.
fn workspace_root() -> Result<PathBuf> {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .ok_or_else(|| anyhow!("xtask's manifest dir has no parent"))
}
