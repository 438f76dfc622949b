//! The whole simulated world in one call: mock-dns, mock-okta and mock-kiro in-process, on
//! free ports (or the ones asked for), sharing one [`Clock`] and one [`Seed`], wired as in
//! reality:
//!
//! - mock-kiro resolves domain-verification TXT records through mock-dns, by real DNS;
//! - mock-kiro fetches mock-okta's discovery document and JWKS over HTTP when a profile points
//!   at one of its authorization servers;
//! - mock-okta pushes SCIM to mock-kiro once an admin configures provisioning (one call at a
//!   time by default, so the world stays deterministic).
//!
//! Nothing here reaches into a service's state: the world only starts services and hands out
//! their addresses and admin credentials. [`clients`] has small typed clients for each
//! service's admin API; [`ide`] is the Kiro IDE's client. Dropping the world stops everything.
//!
//! ```no_run
//! # async fn demo() -> Result<(), sim_world::WorldError> {
//! let world = sim_world::World::start(sim_world::WorldConfig::default()).await?;
//! world.advance(std::time::Duration::from_secs(24 * 3600)).await;
//! world.shutdown().await;
//! # Ok(()) }
//! ```

pub mod clients;
pub mod export;
pub mod home;
pub mod ide;
pub mod persist;
pub mod sandbox;
pub mod setup;
pub mod snapshot;
pub mod timeline;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use mock_dns::MockDns;
use mock_kiro::MockKiro;
pub use mock_kiro::core::seats::SyncDelay;
use mock_okta::MockOkta;
use serde_json::{Map, Value};
use sim_core::keys::SigningKey;
use sim_core::tls::WorldCa;
use sim_core::{Clock, ClockMode, Seed};

/// Ports of the world's services; 0 picks a free one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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
    /// The documented default ports (`kiro-sim up` without port flags).
    pub fn documented() -> Ports {
        Ports {
            dns: mock_dns::DEFAULT_DNS_PORT,
            dns_api: mock_dns::DEFAULT_API_PORT,
            okta: mock_okta::DEFAULT_PORT,
            kiro: mock_kiro::DEFAULT_PORT,
        }
    }
}

/// How to start a world.
#[derive(Clone, Debug)]
pub struct WorldConfig {
    /// The seed: ids, tokens and key choices derive from it.
    pub seed: Seed,
    /// Virtual (default) or system time.
    pub clock: ClockMode,
    /// Start of virtual time: the wall-clock now by default (see
    /// [`sim_core::clock::wall_epoch`]); pin it ([`sim_core::clock::fixed_epoch`]) where
    /// output must be byte-identical from run to run.
    pub epoch: SystemTime,
    /// Address every service binds to.
    pub bind: IpAddr,
    /// Ports (all 0 by default: free ones).
    pub ports: Ports,
    /// Serve the HTTP APIs over https with a certificate from a CA made for this world.
    pub tls: bool,
    /// Signing keys for mock-okta; `None`: the dev keys in the seed's order.
    pub okta_keys: Option<Vec<SigningKey>>,
    /// Zones mock-dns creates at start.
    pub zones: Vec<String>,
    /// mock-dns propagation delay.
    pub dns_propagation: Duration,
    /// mock-kiro group sync delay.
    pub sync_delay: SyncDelay,
    /// How often mock-kiro checks pending domains' TXT records (10 minutes by default).
    pub domain_check_interval: Duration,
    /// mock-okta rate limit (requests per minute of world time per endpoint).
    pub okta_rate_limit: u32,
    /// How many SCIM calls Okta's push makes at once. 1 (the default) keeps the world
    /// deterministic: Kiro numbers resources in arrival order, so concurrent pushes could give
    /// different ids from run to run.
    pub okta_push_concurrency: usize,
    /// How long one outbound call of a service (Okta's SCIM push, Kiro's discovery, JWKS and
    /// TXT lookups) may take on the wall clock (SIM-CLOCK-2).
    pub outbound_timeout: Duration,
    /// How long an advance waits on the wall clock for one job before leaving it in flight and
    /// reporting it (SIM-CLOCK-2).
    pub job_wall_limit: Duration,
    /// Run the HTTP services mounted behind listeners owned by someone else (a
    /// [`sandbox::Sandbox`]) instead of binding `bind` and `ports`.
    pub mounts: Option<Mounts>,
}

/// Where a world's services go when a [`sandbox::Sandbox`] owns the sockets: the HTTP
/// services' slots, mock-dns's sockets, and the world CA the front servers present.
#[derive(Clone)]
pub struct Mounts {
    /// The DNS provider API.
    pub dns_api: sim_core::http::Mount,
    /// The Okta org.
    pub okta: sim_core::http::Mount,
    /// The Kiro service.
    pub kiro: sim_core::http::Mount,
    /// DNS over UDP and TCP.
    pub dns: mock_dns::DnsSockets,
    /// The CA behind the front servers' certificate, when they serve https.
    pub ca: Option<WorldCa>,
}

impl std::fmt::Debug for Mounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mounts")
            .field("dns_api", &self.dns_api.url())
            .field("okta", &self.okta.url())
            .field("kiro", &self.kiro.url())
            .field("dns", &self.dns)
            .field("tls", &self.ca.is_some())
            .finish()
    }
}

impl Default for WorldConfig {
    fn default() -> Self {
        WorldConfig {
            seed: Seed(0),
            clock: ClockMode::Virtual,
            epoch: sim_core::clock::wall_epoch(),
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            ports: Ports::default(),
            tls: false,
            okta_keys: None,
            zones: Vec::new(),
            dns_propagation: Duration::ZERO,
            sync_delay: SyncDelay::default(),
            domain_check_interval: mock_kiro::Config::default().domain_check_interval,
            okta_rate_limit: mock_okta::DEFAULT_RATE_LIMIT,
            okta_push_concurrency: 1,
            outbound_timeout: mock_okta::DEFAULT_PUSH_TIMEOUT,
            job_wall_limit: sim_core::clock::DEFAULT_JOB_WALL_LIMIT,
            mounts: None,
        }
    }
}

/// Why a world could not start.
#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    /// The world's CA or a certificate could not be made.
    #[error("TLS: {0}")]
    Tls(#[from] sim_core::tls::TlsError),
    /// mock-dns did not start.
    #[error("mock-dns: {0}")]
    Dns(#[from] mock_dns::StartError),
    /// mock-okta did not start.
    #[error("mock-okta: {0}")]
    Okta(#[from] mock_okta::StartError),
    /// mock-kiro did not start.
    #[error("mock-kiro: {0}")]
    Kiro(#[from] mock_kiro::StartError),
    /// The world's own HTTP clients could not be built.
    #[error("{0}")]
    Outbound(#[from] sim_core::outbound::OutboundError),
}

/// `addr` with an unspecified IP (`0.0.0.0`, `::`) replaced by the loopback address of its
/// family: where this process reaches a socket bound to all interfaces.
pub(crate) fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(std::net::Ipv6Addr::LOCALHOST.into(), addr.port())
        }
        _ => addr,
    }
}

/// A running world.
pub struct World {
    clock: Clock,
    seed: Seed,
    ca: Option<WorldCa>,
    /// What the world's own clients trust: its CA when it serves https.
    trust: sim_core::outbound::Trust,
    /// The typed admin clients, built once.
    clients: Arc<clients::Clients>,
    dns: MockDns,
    okta: MockOkta,
    kiro: MockKiro,
}

impl World {
    /// Starts mock-dns, mock-okta and mock-kiro on one clock and seed, wired together.
    /// Returns once all three accept requests.
    pub async fn start(config: WorldConfig) -> Result<World, WorldError> {
        let clock = Clock::new(config.clock, config.epoch);
        clock.set_job_wall_limit(config.job_wall_limit);
        let mounts = config.mounts.clone();
        let ca = if let Some(mounts) = &mounts {
            mounts.ca.clone()
        } else if config.tls {
            Some(WorldCa::new(&format!(
                "kiro-sim world CA (seed {})",
                config.seed
            ))?)
        } else {
            None
        };
        let tls = ca
            .as_ref()
            .map(|ca| ca.server_config(&["localhost", "127.0.0.1", "::1"]))
            .transpose()?;
        let trust = sim_core::outbound::Trust::from_ca(ca.as_ref());
        let at = |port| SocketAddr::new(config.bind, port);
        let dns = MockDns::start(mock_dns::Config {
            seed: config.seed,
            clock: clock.clone(),
            dns_addr: at(config.ports.dns),
            api_addr: at(config.ports.dns_api),
            propagation_delay: config.dns_propagation,
            zones: config.zones.clone(),
            tls: tls.clone(),
            api_mount: mounts.as_ref().map(|m| m.dns_api.clone()),
            dns_sockets: mounts.as_ref().map(|m| m.dns.clone()),
        })
        .await?;
        let okta = MockOkta::start(mock_okta::Config {
            seed: config.seed,
            clock: clock.clone(),
            addr: at(config.ports.okta),
            tls: tls.clone(),
            keys: config.okta_keys.clone(),
            rate_limit_per_minute: config.okta_rate_limit,
            push_concurrency: config.okta_push_concurrency,
            trust: trust.clone(),
            push_timeout: config.outbound_timeout,
            mount: mounts.as_ref().map(|m| m.okta.clone()),
        })
        .await?;
        let kiro = MockKiro::start(mock_kiro::Config {
            seed: config.seed,
            clock: clock.clone(),
            addr: at(config.ports.kiro),
            tls: tls.clone(),
            dns_server: reachable(dns.dns_addr()),
            sync_delay: config.sync_delay,
            domain_check_interval: config.domain_check_interval,
            trust: trust.clone(),
            outbound_timeout: config.outbound_timeout,
            mount: mounts.as_ref().map(|m| m.kiro.clone()),
        })
        .await?;
        let clients = Arc::new(clients::Clients::new(
            &okta.url(),
            okta.api_token(),
            &kiro.url(),
            kiro.admin_token(),
            &dns.api_url(),
            dns.api_token(),
            &trust,
        )?);
        tracing::info!(okta = %okta.url(), kiro = %kiro.url(), dns = %dns.dns_addr(), "world ready");
        Ok(World {
            clock,
            seed: config.seed,
            ca,
            trust,
            clients,
            dns,
            okta,
            kiro,
        })
    }

    /// The world's clock (shared by all three services).
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The world's seed.
    pub fn seed(&self) -> Seed {
        self.seed
    }

    /// Moves world time forward, running every job due on the way (sync delays, retries,
    /// propagation, domain checks) in order.
    pub async fn advance(&self, by: Duration) -> SystemTime {
        self.clock.advance(by).await
    }

    /// mock-dns.
    pub fn dns(&self) -> &MockDns {
        &self.dns
    }

    /// mock-okta.
    pub fn okta(&self) -> &MockOkta {
        &self.okta
    }

    /// mock-kiro.
    pub fn kiro(&self) -> &MockKiro {
        &self.kiro
    }

    /// The world CA's certificate (PEM), when the world serves https.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca.as_ref().map(WorldCa::ca_pem)
    }

    /// The world's CA, when it serves https.
    pub fn ca(&self) -> Option<&WorldCa> {
        self.ca.as_ref()
    }

    /// Every URL and admin credential, as `kiro-sim up`'s ready line carries them.
    pub fn ready_fields(&self) -> Map<String, Value> {
        let mut fields = Map::new();
        fields.extend(self.dns.ready_fields());
        fields.extend(self.okta.ready_fields());
        fields.extend(self.kiro.ready_fields());
        fields
    }

    /// Typed admin clients for the three services (built once, at start).
    pub fn clients(&self) -> Arc<clients::Clients> {
        self.clients.clone()
    }

    /// What a client of this world must trust for https: the world CA, or the platform's
    /// roots when the world serves plain http.
    pub fn trust(&self) -> &sim_core::outbound::Trust {
        &self.trust
    }

    /// Stops all three services, letting in-flight requests finish.
    pub async fn shutdown(self) {
        self.kiro.shutdown().await;
        self.okta.shutdown().await;
        self.dns.shutdown().await;
    }
}
