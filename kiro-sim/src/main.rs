//! `kiro-sim`: runs the simulated services.
//!
//! `kiro-sim up` runs the whole world (all three services on one clock and seed, wired
//! together); `kiro-sim dns`, `kiro-sim okta` and `kiro-sim kiro` run one service each.
//!
//! Contract with scripts and containers: when a service is ready, exactly one JSON line goes
//! to stdout (`{"event":"ready",…}` with every URL and credential a client needs); all logs go
//! to stderr. Ctrl-C or SIGTERM shuts down cleanly. Bad flags exit with status 2.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use serde_json::{Map, Value};
use sim_core::tls::WorldCa;
use sim_core::{Clock, ClockMode, Seed};

#[derive(Parser, Debug)]
#[command(
    name = "kiro-sim",
    version,
    about = "Local simulator of enterprise SSO for Kiro: mock Okta, mock Kiro and mock DNS on one virtual clock and seed.",
    long_about = None,
    after_help = "Each service prints one JSON line to stdout when ready; logs go to stderr (RUST_LOG sets the level)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the whole world: mock-dns, mock-okta and mock-kiro on one clock and seed, wired as in reality.
    Up(UpArgs),
    /// Run mock-dns alone: a Cloudflare-v4-shaped DNS provider API and a real DNS server (UDP and TCP).
    Dns(DnsArgs),
    /// Run mock-okta alone: an Okta org with the management API, custom authorization servers and OIDC sign-in.
    Okta(OktaArgs),
    /// Run mock-kiro alone: the Kiro console API, the SCIM endpoint and the runtime API the IDE calls.
    Kiro(KiroArgs),
    /// Act as the Kiro IDE against a running world: sign in, complete, chat, show status.
    #[command(subcommand)]
    Ide(IdeCommand),
    /// Check Okta, Kiro and DNS against Kiro's "Connect your Okta IdP" guide (read-only); exit
    /// 0 when clean, 1 when something is wrong, 2 when the systems could not be read.
    Doctor(DoctorArgs),
    /// Save, list and restore named checkpoints of a running `kiro-sim up` world.
    #[command(subcommand)]
    Snapshot(SnapshotCommand),
    /// Print a running world as a scenario file (YAML) that recreates it on a fresh world
    /// (`kiro-sim up --setup-file FILE`), read through the services' APIs.
    Export(ExportArgs),
}

/// Which running world `kiro-sim export` reads.
#[derive(Args, Debug)]
struct ExportArgs {
    /// A file holding the ready line `kiro-sim up` printed (`-` for stdin): the world is read
    /// with its URLs and tokens (a `--tls` world's `ca_pem` is trusted).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "url",
        conflicts_with = "url"
    )]
    ready: Option<PathBuf>,
    /// Any HTTP port of a running `kiro-sim up` (e.g. http://127.0.0.1:17081): its
    /// `GET /_sim/export` answers the file.
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// A CA certificate (PEM) to trust with `--url` for a `--tls` world.
    #[arg(long, value_name = "PATH", requires = "url")]
    ca: Option<PathBuf>,
}

/// Where `kiro-sim doctor` reads from: a world's ready line, or explicit systems.
#[derive(Args, Debug)]
struct DoctorArgs {
    /// A world's ready line (a file, or `-` for stdin): every URL and token is taken from it.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["okta", "okta_token", "kiro", "kiro_token", "dns"])]
    ready: Option<PathBuf>,
    /// The Okta org's URL (e.g. https://example.okta.com).
    #[arg(long, requires = "okta_token", required_unless_present = "ready")]
    okta: Option<String>,
    /// An Okta API token (SSWS), or `Bearer ACCESS_TOKEN` of a service app with the read-only
    /// scopes okta.apps.read, okta.users.read, okta.groups.read,
    /// okta.authorizationServers.read, okta.profileMappings.read, okta.logs.read.
    #[arg(long, env = "KIRO_SIM_DOCTOR_OKTA_TOKEN", hide_env_values = true)]
    okta_token: Option<String>,
    /// The Kiro console's URL (the Kiro checks are skipped without it).
    #[arg(long, requires = "kiro_token")]
    kiro: Option<String>,
    /// The Kiro console's admin token.
    #[arg(long, env = "KIRO_SIM_DOCTOR_KIRO_TOKEN", hide_env_values = true)]
    kiro_token: Option<String>,
    /// Which Kiro profile (its ARN), when the console holds several.
    #[arg(long)]
    profile_arn: Option<String>,
    /// The DNS server to ask for the verification TXT records (HOST:PORT).
    #[arg(long, value_name = "HOST:PORT")]
    dns: Option<SocketAddr>,
    /// A CA certificate (PEM) to trust for https (a `--tls` world's `ca_pem`).
    #[arg(long, value_name = "PATH")]
    ca: Option<PathBuf>,
    /// Print the report as JSON (for tools) instead of the human report.
    #[arg(long)]
    json: bool,
}

/// Named checkpoints of a running world (`/_sim/snapshots` on any of its HTTP ports).
#[derive(Subcommand, Debug)]
enum SnapshotCommand {
    /// Save the world's whole state now under NAME (replacing a checkpoint of that name).
    Save {
        /// The checkpoint's name (letters, digits, `.`, `_`, `-`; at most 64).
        name: String,
        #[command(flatten)]
        target: SnapshotTarget,
    },
    /// List the saved checkpoints.
    List {
        #[command(flatten)]
        target: SnapshotTarget,
    },
    /// Put the world back to the checkpoint NAME.
    Restore {
        /// The checkpoint's name.
        name: String,
        #[command(flatten)]
        target: SnapshotTarget,
    },
}

/// Which running world.
#[derive(Args, Debug)]
struct SnapshotTarget {
    /// A file holding the ready line `kiro-sim up` printed (its `okta` URL and, for a `--tls`
    /// world, its `ca_pem` are used).
    #[arg(long, value_name = "FILE")]
    ready: PathBuf,
}

/// What the IDE does. Every command reads and writes the token cache file.
#[derive(Subcommand, Debug)]
enum IdeCommand {
    /// Sign in by email (domain lookup, OIDC code + PKCE through a loopback redirect).
    Login {
        #[command(flatten)]
        ide: IdeArgs,
        /// The user's email (its domain must be verified in Kiro).
        #[arg(long)]
        email: String,
        /// The user's password at the IdP.
        #[arg(long)]
        password: String,
        /// Loopback port for the sign-in redirect (one of the ten Kiro registers).
        #[arg(long, default_value_t = 3128)]
        port: u16,
    },
    /// Ask for an inline completion.
    Complete {
        #[command(flatten)]
        ide: IdeArgs,
        /// Text before the cursor.
        #[arg(long, default_value = "fn main() {")]
        left: String,
        /// Text after the cursor.
        #[arg(long, default_value = "}")]
        right: String,
    },
    /// Send a chat message.
    Chat {
        #[command(flatten)]
        ide: IdeArgs,
        /// The message.
        #[arg(long)]
        message: String,
        /// The model (default: the profile's default).
        #[arg(long)]
        model: Option<String>,
    },
    /// Show the token cache and the plan's usage.
    Status {
        #[command(flatten)]
        ide: IdeArgs,
    },
}

/// Where the IDE talks to and keeps its tokens.
#[derive(Args, Debug)]
struct IdeArgs {
    /// Base URL of the Kiro service (the ready line's `kiro`).
    #[arg(long, default_value = "http://127.0.0.1:17081")]
    kiro: String,
    /// The token cache file (accessToken, refreshToken, expiresAt, issuerUrl, clientId, scopes).
    #[arg(long, default_value = "kiro-auth-token.json")]
    cache: PathBuf,
    /// The CA certificate (PEM) to trust for https: a `--tls` world's CA file (the ready
    /// line's `ca_pem`).
    #[arg(long, value_name = "PATH")]
    ca: Option<PathBuf>,
}

/// Flags every service command takes.
#[derive(Args, Debug)]
struct WorldArgs {
    /// Seed of the world: the same seed and the same actions give the same ids, keys and tokens.
    #[arg(long, env = "KIRO_SIM_SEED", default_value_t = 0)]
    seed: u64,

    /// `virtual`: time moves only when advanced (POST /_sim/clock/advance). `system`: wall-clock time.
    #[arg(long, env = "KIRO_SIM_CLOCK", default_value = "virtual", value_parser = parse_clock_mode)]
    clock: ClockMode,

    /// Start of virtual time (RFC 3339); the wall-clock now when not given, so outside JWT
    /// verifiers accept the tokens. Pin it (e.g. 2026-01-01T00:00:00Z) for byte-identical runs.
    #[arg(long, env = "KIRO_SIM_EPOCH", value_parser = parse_rfc3339)]
    epoch: Option<SystemTime>,

    /// Address to listen on (`0.0.0.0` in a container).
    #[arg(long, env = "KIRO_SIM_BIND", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    bind: IpAddr,

    /// Serve HTTP APIs over https, with a certificate from a CA made for this world.
    #[arg(long, env = "KIRO_SIM_TLS")]
    tls: bool,

    /// With --tls: write the world's CA certificate (PEM) here, for clients to trust (default:
    /// `kiro-sim-ca-{pid}.pem` in the temporary directory); the ready line's `ca_pem` names it.
    #[arg(long, env = "KIRO_SIM_CA_OUT", requires = "tls", value_name = "PATH")]
    ca_out: Option<PathBuf>,

    /// Wall-time bound of one outbound call (Okta's SCIM push; Kiro's discovery, JWKS, DNS).
    #[arg(long, default_value = "2s", value_parser = sim_core::clock::parse_duration)]
    outbound_timeout: std::time::Duration,

    /// How long an advance waits for one clock job on the wall clock before reporting it and
    /// leaving it in flight.
    #[arg(long, default_value = "30s", value_parser = sim_core::clock::parse_duration)]
    job_wall_limit: std::time::Duration,
}

#[derive(Args, Debug)]
struct DnsArgs {
    #[command(flatten)]
    world: WorldArgs,

    /// DNS port, UDP and TCP (0 picks a free one).
    #[arg(long, default_value_t = mock_dns::DEFAULT_DNS_PORT)]
    dns_port: u16,

    /// Port of the DNS provider HTTP API (0 picks a free one).
    #[arg(long, default_value_t = mock_dns::DEFAULT_API_PORT)]
    api_port: u16,

    /// Delay before a record change is visible to DNS queries (e.g. `5m`), in the world's time.
    #[arg(long, default_value = "0s", value_parser = sim_core::clock::parse_duration)]
    propagation_delay: Duration,

    /// A zone to create at start (repeatable), e.g. `--zone example.com`.
    #[arg(long = "zone", value_name = "NAME")]
    zones: Vec<String>,
}

#[derive(Args, Debug)]
struct OktaArgs {
    #[command(flatten)]
    world: WorldArgs,

    /// Port of the org (0 picks a free one).
    #[arg(long, default_value_t = mock_okta::DEFAULT_PORT)]
    port: u16,

    /// Generate new RSA signing keys instead of the public dev keys (slower start, not reproducible).
    #[arg(long)]
    fresh_keys: bool,

    /// Requests per minute of world time, per endpoint, before 429.
    #[arg(long, default_value_t = mock_okta::DEFAULT_RATE_LIMIT, value_parser = clap::value_parser!(u32).range(1..))]
    rate_limit: u32,
}

#[derive(Args, Debug)]
struct UpArgs {
    #[command(flatten)]
    world: WorldArgs,

    /// DNS port, UDP and TCP (0 picks a free one).
    #[arg(long, env = "KIRO_SIM_DNS_PORT", default_value_t = mock_dns::DEFAULT_DNS_PORT)]
    dns_port: u16,

    /// Port of the DNS provider API.
    #[arg(long, env = "KIRO_SIM_DNS_API_PORT", default_value_t = mock_dns::DEFAULT_API_PORT)]
    dns_api_port: u16,

    /// Port of the Okta org.
    #[arg(long, env = "KIRO_SIM_OKTA_PORT", default_value_t = mock_okta::DEFAULT_PORT)]
    okta_port: u16,

    /// Port of the Kiro service.
    #[arg(long, env = "KIRO_SIM_KIRO_PORT", default_value_t = mock_kiro::DEFAULT_PORT)]
    kiro_port: u16,

    /// A DNS zone to create at start (repeatable), e.g. `--zone example.com`
    /// (env: comma-separated).
    #[arg(
        long = "zone",
        env = "KIRO_SIM_ZONE",
        value_delimiter = ',',
        value_name = "NAME"
    )]
    zones: Vec<String>,

    /// Delay before a DNS record change is visible (world time).
    #[arg(long, env = "KIRO_SIM_PROPAGATION_DELAY", default_value = "0s", value_parser = sim_core::clock::parse_duration)]
    propagation_delay: Duration,

    /// Group sync delay in Kiro: a fixed duration; default: drawn from the seed, up to 24h.
    #[arg(long, env = "KIRO_SIM_SYNC_DELAY", value_parser = sim_core::clock::parse_duration)]
    sync_delay: Option<Duration>,

    /// Generate new RSA signing keys for Okta instead of the public dev keys.
    #[arg(long, env = "KIRO_SIM_FRESH_KEYS")]
    fresh_keys: bool,

    /// Okta requests per minute of world time, per endpoint, before 429.
    #[arg(long, env = "KIRO_SIM_RATE_LIMIT", default_value_t = mock_okta::DEFAULT_RATE_LIMIT, value_parser = clap::value_parser!(u32).range(1..))]
    rate_limit: u32,

    /// Pre-apply a setup before announcing ready. `documented`: every step of the documented
    /// Okta + Kiro setup (two users, a group pushed to Kiro by SCIM and subscribed to Pro).
    #[arg(long, env = "KIRO_SIM_SETUP", value_enum)]
    setup: Option<Setup>,

    /// A scenario file (the format of scenarios/library: typed admin steps, `use:` macros such
    /// as `documented-setup`, `save:`) applied before announcing ready and again after every
    /// `POST /_sim/reset`, after `--setup`. Its `world:` settings apply over these flags (zones
    /// added, delays replaced, `tls: true` turns on https); its `seed:` is ignored (`--seed`
    /// decides). The variables it saves appear in the ready line as the object `setup`. IDE
    /// steps and pending files are refused.
    #[arg(long, env = "KIRO_SIM_SETUP_FILE", value_name = "PATH")]
    setup_file: Option<PathBuf>,

    /// Host put in every URL the world hands out (ready line, discovery documents, Link
    /// headers, the SCIM URL), e.g. the name clients outside a container use; default: the
    /// bind address (127.0.0.1 for 0.0.0.0).
    #[arg(long, env = "KIRO_SIM_ADVERTISED_HOST", value_name = "HOST")]
    advertised_host: Option<String>,

    /// Keep the world in DIR: every request is saved before it is answered, so a restart
    /// (even after `kill -9`) continues exactly where it stopped. An empty or missing DIR
    /// starts a new world and keeps it there; a DIR holding a world continues it, with the
    /// settings (seed, epoch, ports, zones, setup) it was first started with.
    #[arg(long, env = "KIRO_SIM_STATE", value_name = "DIR")]
    state: Option<PathBuf>,
}

/// Setups `kiro-sim up` can pre-apply.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Setup {
    /// The documented Okta + Kiro setup (sim_world::setup::documented).
    Documented,
}

#[derive(Args, Debug)]
struct KiroArgs {
    #[command(flatten)]
    world: WorldArgs,

    /// Port of the Kiro service (0 picks a free one).
    #[arg(long, default_value_t = mock_kiro::DEFAULT_PORT)]
    port: u16,

    /// DNS server for domain verification (host:port), e.g. mock-dns.
    #[arg(long, default_value = "127.0.0.1:1053")]
    dns: SocketAddr,

    /// Group sync delay: a fixed duration (e.g. `24h`, `0s`); default: drawn from the seed, up to 24h.
    #[arg(long, value_parser = sim_core::clock::parse_duration)]
    sync_delay: Option<Duration>,
}

fn parse_clock_mode(s: &str) -> Result<ClockMode, String> {
    s.parse()
}

fn parse_rfc3339(s: &str) -> Result<SystemTime, String> {
    humantime::parse_rfc3339(s).map_err(|e| format!("`{s}` is not an RFC 3339 time: {e}"))
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if let Command::Doctor(args) = cli.command {
        return match runtime.block_on(run_doctor(args)) {
            Ok(code) => code,
            Err(error) => {
                eprintln!("error: {error:#}");
                std::process::ExitCode::from(2)
            }
        };
    }
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let shutdown = Shutdown::install()?;
    match cli.command {
        Command::Up(args) => run_up(args, shutdown).await,
        Command::Dns(args) => run_dns(args, shutdown).await,
        Command::Okta(args) => run_okta(args, shutdown).await,
        Command::Kiro(args) => run_kiro(args, shutdown).await,
        Command::Ide(command) => run_ide(command).await,
        Command::Doctor(_) => anyhow::bail!("doctor runs on its own"),
        Command::Snapshot(command) => run_snapshot(command).await,
        Command::Export(args) => run_export(args).await,
    }
}

/// The ready line of `kiro-sim up` in `text` (read from `from`): the JSON line with an
/// `okta` URL (`kiro-sim snapshot` and `kiro-sim export --ready`).
fn ready_line(text: &str, from: &std::path::Path) -> anyhow::Result<Map<String, Value>> {
    text.lines()
        .filter_map(|line| serde_json::from_str::<Map<String, Value>>(line).ok())
        .find(|fields| fields.get("okta").is_some_and(Value::is_string))
        .with_context(|| {
            format!(
                "{} holds no ready line of `kiro-sim up` (a JSON line with an `okta` URL)",
                from.display()
            )
        })
}

/// What a client of the world named by `ready` trusts: its `ca_pem` (a `--tls` world's CA),
/// else the platform's roots.
fn ready_trust(ready: &Map<String, Value>) -> anyhow::Result<sim_core::outbound::Trust> {
    Ok(match ready.get("ca_pem").and_then(Value::as_str) {
        Some(ca) => sim_core::outbound::Trust::from_pem_file(std::path::Path::new(ca))
            .with_context(|| format!("reading the CA certificate {ca}"))?,
        None => sim_core::outbound::Trust::Platform,
    })
}

/// `kiro-sim export`: the world as a scenario file on stdout (SIM-STATE-4).
async fn run_export(args: ExportArgs) -> anyhow::Result<()> {
    let yaml = match (&args.ready, &args.url) {
        (Some(path), _) => {
            let text = if path.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin()).context("reading the ready line")?
            } else {
                std::fs::read_to_string(path)
                    .with_context(|| format!("reading the ready line {}", path.display()))?
            };
            let ready = ready_line(&text, path)?;
            let http = sim_core::outbound::builder(&ready_trust(&ready)?)?.build()?;
            let target = sim_world::export::Target::from_ready(&ready)?;
            sim_world::export::export_scenario(&http, &target).await?
        }
        (None, Some(url)) => {
            let trust = match &args.ca {
                Some(ca) => sim_core::outbound::Trust::from_pem_file(ca)
                    .with_context(|| format!("reading the CA certificate {}", ca.display()))?,
                None => sim_core::outbound::Trust::Platform,
            };
            let http = sim_core::outbound::builder(&trust)?.build()?;
            let url = format!("{}/_sim/export", url.trim_end_matches('/'));
            let response = http
                .get(&url)
                .send()
                .await
                .with_context(|| format!("GET {url}"))?;
            let status = response.status();
            let body = response
                .text()
                .await
                .with_context(|| format!("GET {url}"))?;
            if !status.is_success() {
                anyhow::bail!("GET {url}: {status} {body}");
            }
            body
        }
        (None, None) => anyhow::bail!("give --ready FILE or --url URL"),
    };
    print!("{yaml}");
    Ok(())
}

/// `kiro-sim doctor`: reads, diagnoses, prints; exit 0 clean, 1 findings.
async fn run_doctor(args: DoctorArgs) -> anyhow::Result<std::process::ExitCode> {
    let target = match &args.ready {
        Some(path) => {
            let text = if path.as_os_str() == "-" {
                let mut text = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                    .context("reading the ready line from stdin")?;
                text
            } else {
                std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?
            };
            // The ready line: the last line that parses as a JSON object.
            let fields = text
                .lines()
                .rev()
                .find_map(|l| serde_json::from_str::<Map<String, Value>>(l.trim()).ok())
                .context("no JSON ready line in the input")?;
            let mut target = sim_doctor::Target::from_ready(&fields)?;
            if let Some(ca) = &args.ca {
                target.trust = sim_core::outbound::Trust::from_pem_file(ca)?;
            }
            target
        }
        None => sim_doctor::Target {
            okta: args.okta.clone().context("--okta is required")?,
            okta_token: args
                .okta_token
                .clone()
                .context("--okta-token is required")?,
            kiro: args.kiro.clone().zip(args.kiro_token.clone()),
            profile_arn: args.profile_arn.clone(),
            dns: args.dns,
            trust: match &args.ca {
                Some(ca) => sim_core::outbound::Trust::from_pem_file(ca)?,
                None => sim_core::outbound::Trust::Platform,
            },
        },
    };
    let report = sim_doctor::run(&target).await?;
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_human());
    }
    Ok(if report.is_clean() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(1)
    })
}

/// `kiro-sim snapshot save|list|restore`: one request to the world's front, its JSON answer
/// on stdout.
async fn run_snapshot(command: SnapshotCommand) -> anyhow::Result<()> {
    let (target, method, path) = match &command {
        SnapshotCommand::Save { target, .. } => (target, "POST", "/_sim/snapshots".to_string()),
        SnapshotCommand::List { target } => (target, "GET", "/_sim/snapshots".to_string()),
        SnapshotCommand::Restore { name, target } => {
            (target, "POST", format!("/_sim/snapshots/{name}/restore"))
        }
    };
    let text = std::fs::read_to_string(&target.ready)
        .with_context(|| format!("reading the ready line {}", target.ready.display()))?;
    let ready = ready_line(&text, &target.ready)?;
    let base = ready["okta"].as_str().unwrap_or_default().to_string();
    let http = sim_core::outbound::builder(&ready_trust(&ready)?)?.build()?;
    let api = sim_world::clients::Api::new(http, &base, None);
    let body = match &command {
        SnapshotCommand::Save { name, .. } => {
            sim_world::clients::Body::Json(serde_json::json!({ "name": name }))
        }
        _ => sim_world::clients::Body::None,
    };
    let method = if method == "GET" {
        reqwest::Method::GET
    } else {
        reqwest::Method::POST
    };
    let response = api.send(method, &path, body).await?;
    if !(200..300).contains(&response.status) {
        let message = response.body["message"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| response.body.to_string());
        anyhow::bail!("{path}: {} {message}", response.status);
    }
    println!("{}", response.body);
    Ok(())
}

/// What a world's flags turn into: the clock, the seed, and (with --tls) the CA.
struct World {
    clock: Clock,
    seed: Seed,
    ca: Option<WorldCa>,
    ready: Map<String, Value>,
}

/// Where a `--tls` world writes its CA certificate: `--ca-out`, or a per-process file in the
/// temporary directory (every https client of the world needs it, so there is always one).
fn ca_file(args: &WorldArgs) -> PathBuf {
    args.ca_out.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("kiro-sim-ca-{}.pem", std::process::id()))
    })
}

impl World {
    fn new(args: &WorldArgs) -> anyhow::Result<World> {
        let clock = Clock::new(
            args.clock,
            args.epoch.unwrap_or_else(sim_core::clock::wall_epoch),
        );
        clock.set_job_wall_limit(args.job_wall_limit);
        let seed = Seed(args.seed);
        let mut ready = Map::new();
        ready.insert("event".into(), "ready".into());
        ready.insert("clock".into(), args.clock.as_str().into());
        ready.insert("seed".into(), args.seed.into());
        let ca = if args.tls {
            let ca = WorldCa::new(&format!("kiro-sim world CA (seed {seed})"))
                .context("creating the world's CA")?;
            let path = ca_file(args);
            ca.write_ca_pem(&path)
                .with_context(|| format!("writing the CA certificate to {}", path.display()))?;
            ready.insert("ca_pem".into(), path.display().to_string().into());
            Some(ca)
        } else {
            None
        };
        Ok(World {
            clock,
            seed,
            ca,
            ready,
        })
    }

    fn server_tls(&self) -> anyhow::Result<Option<std::sync::Arc<rustls::ServerConfig>>> {
        self.ca
            .as_ref()
            .map(|ca| ca.server_config(&["localhost", "127.0.0.1", "::1"]))
            .transpose()
            .context("issuing the server certificate")
    }

    /// Prints the ready line with `fields` added.
    fn announce(&mut self, fields: Map<String, Value>) -> anyhow::Result<()> {
        self.ready.extend(fields);
        print_ready(&self.ready)
    }
}

async fn run_dns(args: DnsArgs, shutdown: Shutdown) -> anyhow::Result<()> {
    let mut world = World::new(&args.world)?;
    let config = mock_dns::Config {
        seed: world.seed,
        clock: world.clock.clone(),
        dns_addr: SocketAddr::new(args.world.bind, args.dns_port),
        api_addr: SocketAddr::new(args.world.bind, args.api_port),
        propagation_delay: args.propagation_delay,
        zones: args.zones,
        tls: world.server_tls()?,
        ..mock_dns::Config::default()
    };
    let dns = mock_dns::MockDns::start(config)
        .await
        .context("starting mock-dns")?;
    world.announce(dns.ready_fields())?;
    shutdown.wait().await;
    tracing::info!("shutting down");
    dns.shutdown().await;
    Ok(())
}

/// Fresh RSA keys when asked (`--fresh-keys`), else `None` (the dev keys).
async fn signing_keys(fresh: bool) -> anyhow::Result<Option<Vec<sim_core::keys::SigningKey>>> {
    if !fresh {
        return Ok(None);
    }
    tracing::info!("generating fresh RSA-2048 signing keys");
    let keys =
        tokio::task::spawn_blocking(|| sim_core::keys::fresh_keys(sim_core::keys::DEV_KEY_COUNT))
            .await
            .context("key generation task")?
            .context("generating signing keys")?;
    Ok(Some(keys))
}

async fn run_up(args: UpArgs, shutdown: Shutdown) -> anyhow::Result<()> {
    let w = &args.world;
    let world = sim_world::WorldConfig {
        seed: Seed(w.seed),
        clock: w.clock,
        epoch: w.epoch.unwrap_or_else(sim_core::clock::wall_epoch),
        bind: w.bind,
        ports: sim_world::Ports {
            dns: args.dns_port,
            dns_api: args.dns_api_port,
            okta: args.okta_port,
            kiro: args.kiro_port,
        },
        tls: w.tls,
        okta_keys: signing_keys(args.fresh_keys).await?,
        zones: args.zones,
        dns_propagation: args.propagation_delay,
        sync_delay: args
            .sync_delay
            .map_or_else(Default::default, mock_kiro::core::seats::SyncDelay::Fixed),
        okta_rate_limit: args.rate_limit,
        outbound_timeout: w.outbound_timeout,
        job_wall_limit: w.job_wall_limit,
        ..sim_world::WorldConfig::default()
    };
    // A bad setup file stops here, before anything is bound: no ready line.
    let (world, custom_setup) = match &args.setup_file {
        Some(path) => {
            let scenario = scenarios::load_setup(path)?;
            scenarios::run::check_setup(&scenario).map_err(|e| anyhow::anyhow!("{e}"))?;
            let world = scenarios::run::world_config(&scenario.world, world);
            let setup: std::sync::Arc<dyn sim_world::sandbox::CustomSetup> =
                std::sync::Arc::new(scenarios::run::FileSetup(scenario));
            (world, Some(setup))
        }
        None => (world, None),
    };
    let sandbox = sim_world::sandbox::Sandbox::start(sim_world::sandbox::SandboxConfig {
        world,
        custom_setup,
        advertised_host: args.advertised_host,
        state_dir: args.state.clone(),
        setup: args
            .setup
            .map(|Setup::Documented| sim_world::sandbox::Setup::Documented),
    })
    .await
    .context("starting the world")?;
    let mut ready = sandbox.ready_fields();
    if let Some(ca) = sandbox.ca() {
        let path = ca_file(w);
        ca.write_ca_pem(&path)
            .with_context(|| format!("writing the CA certificate to {}", path.display()))?;
        ready.insert("ca_pem".into(), path.display().to_string().into());
    }
    if let Some(dir) = &args.state {
        ready.insert("state_dir".into(), dir.display().to_string().into());
    }
    print_ready(&ready)?;
    if let Some(home) = ready.get("home_url").and_then(Value::as_str) {
        eprintln!("kiro-sim: the sandbox home (consoles, clock, timeline): {home}");
    }
    shutdown.wait().await;
    tracing::info!("shutting down");
    sandbox.shutdown().await;
    Ok(())
}

async fn run_okta(args: OktaArgs, shutdown: Shutdown) -> anyhow::Result<()> {
    let mut world = World::new(&args.world)?;
    let keys = signing_keys(args.fresh_keys).await?;
    let config = mock_okta::Config {
        seed: world.seed,
        clock: world.clock.clone(),
        addr: SocketAddr::new(args.world.bind, args.port),
        tls: world.server_tls()?,
        keys,
        rate_limit_per_minute: args.rate_limit,
        push_timeout: args.world.outbound_timeout,
        ..mock_okta::Config::default()
    };
    let okta = mock_okta::MockOkta::start(config)
        .await
        .context("starting mock-okta")?;
    world.announce(okta.ready_fields())?;
    shutdown.wait().await;
    tracing::info!("shutting down");
    okta.shutdown().await;
    Ok(())
}

async fn run_kiro(args: KiroArgs, shutdown: Shutdown) -> anyhow::Result<()> {
    let mut world = World::new(&args.world)?;
    let mut config = mock_kiro::Config {
        seed: world.seed,
        clock: world.clock.clone(),
        addr: SocketAddr::new(args.world.bind, args.port),
        tls: world.server_tls()?,
        dns_server: args.dns,
        outbound_timeout: args.world.outbound_timeout,
        ..mock_kiro::Config::default()
    };
    if let Some(delay) = args.sync_delay {
        config.sync_delay = mock_kiro::core::seats::SyncDelay::Fixed(delay);
    }
    let kiro = mock_kiro::MockKiro::start(config)
        .await
        .context("starting mock-kiro")?;
    world.announce(kiro.ready_fields())?;
    shutdown.wait().await;
    tracing::info!("shutting down");
    kiro.shutdown().await;
    Ok(())
}

/// Runs one IDE command; prints its JSON answer on stdout and keeps the cache file current
/// (removed when the IDE is signed out).
async fn run_ide(command: IdeCommand) -> anyhow::Result<()> {
    use sim_world::ide::{Ide, TokenCache};
    let (args, port) = match &command {
        IdeCommand::Login { ide, port, .. } => (ide, *port),
        IdeCommand::Complete { ide, .. }
        | IdeCommand::Chat { ide, .. }
        | IdeCommand::Status { ide } => (ide, 3128),
    };
    let cache: Option<TokenCache> = match std::fs::read_to_string(&args.cache) {
        Ok(text) => Some(
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not a Kiro token cache", args.cache.display()))?,
        ),
        Err(_) => None,
    };
    let trust = match &args.ca {
        Some(path) => sim_core::outbound::Trust::from_pem_file(path)
            .with_context(|| format!("reading the CA certificate {}", path.display()))?,
        None => sim_core::outbound::Trust::Platform,
    };
    let mut ide = Ide::new(&args.kiro, port, Seed(0).stream("kiro-sim ide"), &trust)
        .context("starting the IDE client")?
        .with_cache(cache);
    let result = match &command {
        IdeCommand::Login { email, password, .. } => ide
            .sign_in(email, password)
            .await
            .map(|c| serde_json::json!({ "signedIn": true, "expiresAt": c.expires_at, "profileArn": c.profile_arn })),
        IdeCommand::Complete { left, right, .. } => ide.complete(left, right).await,
        IdeCommand::Chat { message, model, .. } => ide.chat(message, model.as_deref()).await,
        IdeCommand::Status { .. } => match ide.usage().await {
            Ok(usage) => Ok(serde_json::json!({ "signedIn": true, "cache": ide.cache(), "usage": usage })),
            Err(sim_world::ide::IdeError::SignedOut) => Ok(serde_json::json!({ "signedIn": false })),
            Err(e) => Err(e),
        },
    };
    match ide.cache() {
        Some(cache) => std::fs::write(&args.cache, serde_json::to_string_pretty(cache)?)
            .with_context(|| format!("writing {}", args.cache.display()))?,
        None => {
            let _ = std::fs::remove_file(&args.cache);
        }
    }
    let answer = result?;
    println!("{}", serde_json::to_string(&answer)?);
    Ok(())
}

/// Prints the ready line: one JSON object on one line, flushed.
fn print_ready(ready: &Map<String, Value>) -> anyhow::Result<()> {
    use std::io::Write;
    let line = serde_json::to_string(ready)?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")?;
    stdout.flush()?;
    Ok(())
}

/// Ctrl-C and SIGTERM, listened for from the moment it is made: services install it before
/// printing the ready line, so a signal sent right after "ready" always shuts down cleanly.
struct Shutdown {
    #[cfg(unix)]
    signals: [tokio::signal::unix::Signal; 2],
}

impl Shutdown {
    fn install() -> anyhow::Result<Shutdown> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Shutdown {
                signals: [
                    signal(SignalKind::interrupt()).context("listening for Ctrl-C")?,
                    signal(SignalKind::terminate()).context("listening for SIGTERM")?,
                ],
            })
        }
        #[cfg(not(unix))]
        Ok(Shutdown {})
    }

    /// Resolves on the first Ctrl-C or SIGTERM.
    async fn wait(self) {
        #[cfg(unix)]
        {
            let [mut int, mut term] = self.signals;
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
