//! A [testcontainers](https://docs.rs/testcontainers) module for the `kiro-sim` image: a whole
//! simulated world (mock Okta, mock Kiro, mock DNS on one virtual clock and seed) in a
//! container, set up and ready to use.
//!
//! ```no_run
//! # async fn demo() -> Result<(), kiro_sim_testcontainers::Error> {
//! use kiro_sim_testcontainers::KiroSim;
//! let sim = KiroSim::default().with_seed(7).start().await?;
//! let mut ide = sim.ide(3128)?;
//! let (login, password) = &sim.users()[0];
//! ide.sign_in(login, password).await?;
//! sim.advance(std::time::Duration::from_secs(24 * 3600)).await?;
//! sim.reset().await?; // back to the state right after start, for the next test
//! # Ok(()) }
//! ```
//!
//! The container runs with **host networking** (the engine may have no bridge network, and all
//! traffic stays on 127.0.0.1): [`KiroSim::default`] picks free ports on the host and passes
//! them, with every other setting, as `KIRO_SIM_*` environment variables. Readiness is the
//! ready line on stdout (printed when `/_sim/ready` turns 200); the accessors are parsed from
//! it. The image is built locally by `cargo xtask image` (nothing is pulled).

use std::borrow::Cow;
use std::io::{Read, Write};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use testcontainers::core::{Mount, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, Image, ImageExt};

/// The image's name, as `cargo xtask image` tags it.
pub const IMAGE_NAME: &str = "kiro-sim";
/// The tag used by default.
pub const IMAGE_TAG: &str = "latest";
/// What a test prints, and passes, when no Docker engine answers (outside CI).
pub const SKIPPED_NO_ENGINE: &str =
    "skipped: no Docker engine (install docker.io and start dockerd)";

/// Why the container could not be started or used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// testcontainers (the Docker engine) failed.
    #[error("container: {0}")]
    Container(#[from] testcontainers::TestcontainersError),
    /// The ready line was missing or not what kiro-sim prints.
    #[error("the ready line: {0}")]
    ReadyLine(String),
    /// A control call failed.
    #[error("{what}: {message}")]
    Control {
        /// Which control.
        what: &'static str,
        /// What went wrong.
        message: String,
    },
    /// An IDE call failed.
    #[error("ide: {0}")]
    Ide(#[from] sim_world::ide::IdeError),
    /// An admin call failed.
    #[error("admin: {0}")]
    Client(Box<sim_world::clients::ClientError>),
}

impl From<sim_world::clients::ClientError> for Error {
    fn from(e: sim_world::clients::ClientError) -> Self {
        Error::Client(Box::new(e))
    }
}

/// Setups the world can start with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setup {
    /// The documented Okta + Kiro setup: users, group, apps, authorization server, profile,
    /// verified domain, SCIM push, Pro subscription.
    Documented,
    /// Nothing: empty services.
    None,
}

/// Host ports of the four listeners (host networking: the container binds them directly).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ports {
    /// DNS over UDP and TCP.
    pub dns: u16,
    /// The DNS provider API.
    pub dns_api: u16,
    /// The Okta org.
    pub okta: u16,
    /// The Kiro service.
    pub kiro: u16,
}

impl Ports {
    /// Free ports on 127.0.0.1 (the DNS one free for both UDP and TCP).
    pub fn free() -> std::io::Result<Ports> {
        let tcp = || -> std::io::Result<u16> {
            Ok(std::net::TcpListener::bind("127.0.0.1:0")?
                .local_addr()?
                .port())
        };
        let dns = loop {
            let udp = std::net::UdpSocket::bind("127.0.0.1:0")?;
            let port = udp.local_addr()?.port();
            if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
                break port;
            }
        };
        Ok(Ports {
            dns,
            dns_api: tcp()?,
            okta: tcp()?,
            kiro: tcp()?,
        })
    }
}

/// The kiro-sim image, configured: the [`Image`] testcontainers starts.
#[derive(Clone, Debug)]
pub struct KiroSim {
    tag: String,
    env: Vec<(String, String)>,
    ports: Ports,
    mounts: Vec<Mount>,
}

/// Where [`KiroSim::with_setup_file`] mounts the file inside the container.
pub const SETUP_FILE_IN_CONTAINER: &str = "/etc/kiro-sim/setup.yaml";

impl Default for KiroSim {
    /// Seed 0, the documented setup, zone `example.com`, free host ports, listening on
    /// 127.0.0.1 only.
    fn default() -> Self {
        // Binding port 0 only fails when the host has no loopback at all.
        let ports = Ports::free().unwrap_or(Ports {
            dns: 1053,
            dns_api: 17053,
            okta: 17080,
            kiro: 17081,
        });
        KiroSim {
            tag: IMAGE_TAG.to_string(),
            env: Vec::new(),
            ports,
            mounts: Vec::new(),
        }
        .with_setup(Setup::Documented)
        .with_env("KIRO_SIM_ZONE", "example.com")
        .with_env("KIRO_SIM_BIND", "127.0.0.1")
        .with_ports(ports)
    }
}

impl KiroSim {
    /// Sets (or replaces) one `KIRO_SIM_*` variable.
    pub fn with_env(mut self, name: &str, value: impl Into<String>) -> Self {
        self.env.retain(|(n, _)| n != name);
        self.env.push((name.to_string(), value.into()));
        self
    }

    /// The world's seed (same seed, same ids and tokens).
    pub fn with_seed(self, seed: u64) -> Self {
        self.with_env("KIRO_SIM_SEED", seed.to_string())
    }

    /// The setup applied before ready (and after each reset).
    pub fn with_setup(self, setup: Setup) -> Self {
        match setup {
            Setup::Documented => self.with_env("KIRO_SIM_SETUP", "documented"),
            Setup::None => {
                let mut me = self;
                me.env.retain(|(n, _)| n != "KIRO_SIM_SETUP");
                me
            }
        }
    }

    /// A scenario file (steps, `use:` macros, `save:`) applied to the world before ready and
    /// after each reset (`kiro-sim up --setup-file`): bind-mounted read-only at
    /// [`SETUP_FILE_IN_CONTAINER`]. Its saved variables are [`Ready::setup`]. The file must be
    /// readable by the image's user (uid 10001); `path` is made absolute.
    pub fn with_setup_file(mut self, path: impl AsRef<std::path::Path>) -> Self {
        let path = path.as_ref();
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        self.mounts.push(
            Mount::bind_mount(absolute.to_string_lossy(), SETUP_FILE_IN_CONTAINER)
                .with_access_mode(testcontainers::core::AccessMode::ReadOnly),
        );
        self.with_env("KIRO_SIM_SETUP_FILE", SETUP_FILE_IN_CONTAINER)
    }

    /// Kiro's group sync delay (`"24h"`, `"0s"`); default: drawn from the seed.
    pub fn with_sync_delay(self, delay: &str) -> Self {
        self.with_env("KIRO_SIM_SYNC_DELAY", delay)
    }

    /// The start of virtual time (RFC 3339).
    pub fn with_epoch(self, epoch: &str) -> Self {
        self.with_env("KIRO_SIM_EPOCH", epoch)
    }

    /// The host ports to listen on.
    pub fn with_ports(mut self, ports: Ports) -> Self {
        self.ports = ports;
        self.with_env("KIRO_SIM_DNS_PORT", ports.dns.to_string())
            .with_env("KIRO_SIM_DNS_API_PORT", ports.dns_api.to_string())
            .with_env("KIRO_SIM_OKTA_PORT", ports.okta.to_string())
            .with_env("KIRO_SIM_KIRO_PORT", ports.kiro.to_string())
    }

    /// Another tag of the image (default `latest`).
    pub fn with_image_tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = tag.into();
        self
    }

    /// The ports this configuration listens on.
    pub fn ports(&self) -> Ports {
        self.ports
    }

    /// Starts the container (host networking), waits for the ready line and parses it.
    pub async fn start(self) -> Result<RunningKiroSim, Error> {
        let container = self.with_network("host").start().await?;
        let stdout = container.stdout_to_vec().await?;
        let text = String::from_utf8_lossy(&stdout);
        let line = text
            .lines()
            .find(|line| line.contains(r#""event":"ready""#))
            .ok_or_else(|| Error::ReadyLine(format!("no ready line in {text:?}")))?;
        let ready: Ready =
            serde_json::from_str(line).map_err(|e| Error::ReadyLine(format!("{e}: {line}")))?;
        Ok(RunningKiroSim {
            container,
            ready,
            http: reqwest::Client::new(),
        })
    }
}

impl Image for KiroSim {
    fn name(&self) -> &str {
        IMAGE_NAME
    }

    fn tag(&self) -> &str {
        &self.tag
    }

    fn ready_conditions(&self) -> Vec<WaitFor> {
        vec![WaitFor::message_on_stdout(r#""event":"ready""#)]
    }

    fn mounts(&self) -> impl IntoIterator<Item = &Mount> {
        &self.mounts
    }

    fn env_vars(
        &self,
    ) -> impl IntoIterator<Item = (impl Into<Cow<'_, str>>, impl Into<Cow<'_, str>>)> {
        self.env.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// `up` alone: every setting comes from the environment (the image's default command
    /// carries flags, which would win over it).
    fn cmd(&self) -> impl IntoIterator<Item = impl Into<Cow<'_, str>>> {
        ["up"]
    }
}

/// A user of the documented setup.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct User {
    /// Okta login (email).
    pub login: String,
    /// Password.
    pub password: String,
}

pub use sim_core::faults::{FaultAction, FaultRule, Respond};

/// Which of the container's HTTP services a fault rule goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultTarget {
    /// Okta (its management API, OIDC endpoints, JWKS, the Admin Console).
    Okta,
    /// Kiro (console API, SCIM, the runtime API).
    Kiro,
    /// The DNS provider API (not the DNS server).
    DnsApi,
}

/// The ready line, as `kiro-sim up` prints it.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Ready {
    /// The seed.
    pub seed: u64,
    /// DNS server address (`host:port`, UDP and TCP).
    pub dns: String,
    /// The DNS provider API's base URL.
    pub dns_api: String,
    /// Its bearer token.
    pub dns_api_token: String,
    /// The Okta org URL.
    pub okta: String,
    /// Okta's API token (`SSWS …`).
    pub okta_api_token: String,
    /// Kiro's base URL.
    pub kiro: String,
    /// Kiro's console admin token.
    pub kiro_admin_token: String,
    /// The authorization server's issuer (documented setup).
    pub okta_issuer: Option<String>,
    /// The Kiro-OIDC app's client id (documented setup).
    pub okta_oidc_client_id: Option<String>,
    /// Kiro's SCIM endpoint (documented setup).
    pub kiro_scim_url: Option<String>,
    /// The SCIM token (documented setup).
    pub kiro_scim_token: Option<String>,
    /// The Kiro profile's ARN (documented setup).
    pub kiro_profile_arn: Option<String>,
    /// The users and their password (documented setup).
    #[serde(default)]
    pub users: Vec<User>,
    /// The variables a setup file saved ([`KiroSim::with_setup_file`]).
    #[serde(default)]
    pub setup: Option<serde_json::Map<String, Value>>,
}

/// A started kiro-sim container. Dropping it stops and removes the container.
pub struct RunningKiroSim {
    container: ContainerAsync<KiroSim>,
    ready: Ready,
    http: reqwest::Client,
}

impl RunningKiroSim {
    /// Everything the ready line said.
    pub fn ready(&self) -> &Ready {
        &self.ready
    }

    /// The container's id.
    pub fn container_id(&self) -> &str {
        self.container.id()
    }

    /// The Okta org URL.
    pub fn okta_url(&self) -> &str {
        &self.ready.okta
    }

    /// Okta's API token.
    pub fn okta_api_token(&self) -> &str {
        &self.ready.okta_api_token
    }

    /// The authorization server's issuer (empty without the documented setup).
    pub fn issuer(&self) -> &str {
        self.ready.okta_issuer.as_deref().unwrap_or_default()
    }

    /// The Kiro-OIDC app's client id (empty without the documented setup).
    pub fn oidc_client_id(&self) -> &str {
        self.ready
            .okta_oidc_client_id
            .as_deref()
            .unwrap_or_default()
    }

    /// Kiro's base URL.
    pub fn kiro_url(&self) -> &str {
        &self.ready.kiro
    }

    /// Kiro's SCIM endpoint (empty without the documented setup).
    pub fn scim_url(&self) -> &str {
        self.ready.kiro_scim_url.as_deref().unwrap_or_default()
    }

    /// The SCIM token (empty without the documented setup).
    pub fn scim_token(&self) -> &str {
        self.ready.kiro_scim_token.as_deref().unwrap_or_default()
    }

    /// Kiro's console admin token.
    pub fn admin_token(&self) -> &str {
        &self.ready.kiro_admin_token
    }

    /// The DNS server (`host:port`).
    pub fn dns_addr(&self) -> &str {
        &self.ready.dns
    }

    /// The users of the documented setup, as (login, password).
    pub fn users(&self) -> Vec<(String, String)> {
        self.ready
            .users
            .iter()
            .map(|u| (u.login.clone(), u.password.clone()))
            .collect()
    }

    /// Typed admin clients for the three services (sim-world's).
    pub fn clients(&self) -> Result<sim_world::clients::Clients, Error> {
        sim_world::clients::Clients::new(
            &self.ready.okta,
            &self.ready.okta_api_token,
            &self.ready.kiro,
            &self.ready.kiro_admin_token,
            &self.ready.dns_api,
            &self.ready.dns_api_token,
            &sim_core::outbound::Trust::Platform,
        )
        .map_err(|e| Error::Control {
            what: "building the admin clients",
            message: e.to_string(),
        })
    }

    /// A Kiro IDE (sim-world's) against this world, redirecting to `port` on sign-in.
    pub fn ide(&self, port: u16) -> Result<sim_world::ide::Ide, Error> {
        Ok(sim_world::ide::Ide::new(
            &self.ready.kiro,
            port,
            sim_core::Seed(self.ready.seed).stream("kiro-sim-testcontainers ide"),
            &sim_core::outbound::Trust::Platform,
        )?)
    }

    /// Moves the world's clock forward, running every job due on the way.
    pub async fn advance(&self, by: Duration) -> Result<Value, Error> {
        let by = format!("{}s", by.as_secs());
        self.post(
            "advancing the clock",
            "/_sim/clock/advance",
            json!({ "by": by }),
        )
        .await
    }

    /// Waits until Okta's SCIM push has nothing left to do.
    pub async fn settle_push(&self) -> Result<Value, Error> {
        self.post(
            "settling the push",
            "/_sim/okta/provisioning/settle",
            json!({}),
        )
        .await
    }

    /// The fault rules of one service (`/_sim/faults`, SIM-FAULT-11).
    fn fault_api(&self, service: FaultTarget) -> Result<sim_world::clients::FaultsAdmin, Error> {
        let clients = self.clients()?;
        Ok(match service {
            FaultTarget::Okta => clients.okta.api.faults(),
            FaultTarget::Kiro => clients.kiro.api.faults(),
            FaultTarget::DnsApi => clients.dns.api.faults(),
        })
    }

    /// Adds a fault rule to `service`: e.g. Kiro's SCIM answering 503 for the next two user
    /// creations. Returns the rule with its id.
    pub async fn add_fault(
        &self,
        service: FaultTarget,
        rule: &FaultRule,
    ) -> Result<sim_core::faults::FaultView, Error> {
        self.fault_api(service)?
            .add(rule)
            .await
            .map_err(|e| Error::Control {
                what: "adding a fault rule",
                message: e.to_string(),
            })
    }

    /// The fault rules of `service`, with their remaining counts and hits.
    pub async fn faults(&self, service: FaultTarget) -> Result<sim_core::faults::FaultList, Error> {
        self.fault_api(service)?
            .list()
            .await
            .map_err(|e| Error::Control {
                what: "listing fault rules",
                message: e.to_string(),
            })
    }

    /// Removes every fault rule of `service`; how many there were. (A [`reset`] removes
    /// every service's.)
    ///
    /// [`reset`]: RunningKiroSim::reset
    pub async fn clear_faults(&self, service: FaultTarget) -> Result<u64, Error> {
        self.fault_api(service)?
            .clear()
            .await
            .map_err(|e| Error::Control {
                what: "clearing fault rules",
                message: e.to_string(),
            })
    }

    /// Returns the world to its state right after start (setup applied; same ids and tokens).
    pub async fn reset(&self) -> Result<Value, Error> {
        self.post("resetting", "/_sim/reset", json!({})).await
    }

    async fn post(&self, what: &'static str, path: &str, body: Value) -> Result<Value, Error> {
        let control = |message: String| Error::Control { what, message };
        let response = self
            .http
            .post(format!("{}{path}", self.ready.okta))
            .json(&body)
            .send()
            .await
            .map_err(|e| control(e.to_string()))?;
        let status = response.status();
        let body: Value = response.json().await.map_err(|e| control(e.to_string()))?;
        if !status.is_success() {
            return Err(control(format!("{status}: {body}")));
        }
        Ok(body)
    }
}

/// Whether a Docker engine answers on `DOCKER_HOST` (a `unix://` socket) or
/// `/var/run/docker.sock`.
pub fn docker_engine_answers() -> bool {
    engine_get("/_ping").is_some_and(|(status, _)| status == 200)
}

/// Whether the engine has the image `kiro-sim:{tag}` (built by `cargo xtask image`).
pub fn image_present(tag: &str) -> bool {
    engine_get(&format!("/images/{IMAGE_NAME}:{tag}/json")).is_some_and(|(status, _)| status == 200)
}

/// A GET to the engine's API over its unix socket: (status, body).
fn engine_get(path: &str) -> Option<(u16, String)> {
    let socket = match std::env::var("DOCKER_HOST") {
        Ok(host) => host.strip_prefix("unix://")?.to_string(),
        Err(_) => "/var/run/docker.sock".to_string(),
    };
    let mut stream = std::os::unix::net::UnixStream::connect(socket).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: docker\r\n\r\n").ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.split(' ').nth(1)?.parse().ok()?;
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
    Some((status, body))
}
