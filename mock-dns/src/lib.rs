//! mock-dns: a DNS provider and a real authoritative DNS server (BEHAVIOURS.md DNS-1..3).
//!
//! Admins (and tools written for a real provider) manage zones and records through an HTTP API
//! shaped like Cloudflare's v4 API; resolvers (`dig`, hickory, mock-kiro's domain verification)
//! query the same data over real DNS on UDP and TCP. Changes reach DNS after a propagation
//! delay measured on the world's clock.
//!
//! Layers:
//! - [`core`]: the domain core, pure and synchronous (zones, records, rules, propagation,
//!   answering queries).
//! - `api` (wire): the Cloudflare-v4-shaped HTTP API over axum.
//! - `dashboard` (wire): the provider's dashboard as HTML pages under `/dashboard` (zones,
//!   records, add/edit/delete, propagation), over the same core.
//! - `server` (wire): the hickory-server request handler that turns DNS messages into
//!   [`core::DnsCore::resolve`] calls and back.
//! - this module: configuration, start-up, and the shared state both wire layers use.
//!
//! ```no_run
//! # async fn demo() -> Result<(), mock_dns::StartError> {
//! let dns = mock_dns::MockDns::start(mock_dns::Config::default()).await?;
//! println!("dig @{} -p {} ...", dns.dns_addr().ip(), dns.dns_addr().port());
//! dns.shutdown().await;
//! # Ok(()) }
//! ```

pub mod core;

mod api;
mod dashboard;
mod server;

use std::net::SocketAddr;
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime};

use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::RwLock;
use sim_core::http::HttpServer;
use sim_core::state::StateError;
use sim_core::{Clock, Seed, ids};

use crate::core::{DnsCore, DnsError};

/// The kind of mock-dns's state documents (`/_sim/dns/state`).
pub const STATE_KIND: &str = "kiro-sim/mock-dns-state";

/// Default port of the DNS server (UDP and TCP).
pub const DEFAULT_DNS_PORT: u16 = 1053;
/// Default port of the provider HTTP API.
pub const DEFAULT_API_PORT: u16 = 17053;
/// The largest request body the provider API reads (DNS-5, sim choice): larger ones are 413
/// in Cloudflare's envelope before any handler sees them.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How to start mock-dns.
#[derive(Clone, Debug)]
pub struct Config {
    /// The world's seed: ids and the API token derive from it.
    pub seed: Seed,
    /// The world's clock (shared with the other services of the world).
    pub clock: Clock,
    /// Where the DNS server listens (UDP and TCP on the same port); port 0 picks a free one.
    pub dns_addr: SocketAddr,
    /// Where the HTTP API listens; port 0 picks a free one.
    pub api_addr: SocketAddr,
    /// Propagation delay for changes (DNS-3); default 0.
    pub propagation_delay: Duration,
    /// Zones to create at start (e.g. the company domain of a scenario).
    pub zones: Vec<String>,
    /// Serve the API over https with this config instead of plain http.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Mount the provider API in this slot (its URL is the slot's) instead of binding
    /// `api_addr`.
    pub api_mount: Option<sim_core::http::Mount>,
    /// Serve DNS on these already-bound sockets (duplicated, so the caller keeps them bound
    /// after this server stops) instead of binding `dns_addr`.
    pub dns_sockets: Option<DnsSockets>,
}

/// A UDP socket and a TCP listener bound to the same address, kept by whoever restarts mock-dns
/// on them (a sandbox's reset).
#[derive(Clone, Debug)]
pub struct DnsSockets {
    /// DNS over UDP.
    pub udp: Arc<std::net::UdpSocket>,
    /// DNS over TCP.
    pub tcp: Arc<std::net::TcpListener>,
}

impl DnsSockets {
    /// Binds UDP on `addr`, then TCP on the port UDP got, so one address serves both. With
    /// port 0 the OS picks a port free for UDP, which may be in use for TCP (another listener,
    /// or the local end of an outgoing connection): then other ports are tried, the failed UDP
    /// sockets held until the end so each attempt gets a new port. The one way mock-dns binds
    /// (a sandbox binds once and hands duplicates to each world).
    pub fn bind(addr: SocketAddr) -> std::io::Result<DnsSockets> {
        let mut taken = Vec::new();
        loop {
            let udp = std::net::UdpSocket::bind(addr)?;
            match std::net::TcpListener::bind(udp.local_addr()?) {
                Ok(tcp) => {
                    return Ok(DnsSockets {
                        udp: Arc::new(udp),
                        tcp: Arc::new(tcp),
                    });
                }
                Err(error)
                    if addr.port() == 0
                        && error.kind() == std::io::ErrorKind::AddrInUse
                        && taken.len() + 1 < server::BIND_ATTEMPTS =>
                {
                    taken.push(udp);
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// The address both are bound to.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.udp.local_addr()
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: Seed(0),
            clock: Clock::new_virtual(),
            dns_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            api_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            propagation_delay: Duration::ZERO,
            zones: Vec::new(),
            tls: None,
            api_mount: None,
            dns_sockets: None,
        }
    }
}

/// Why mock-dns could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A socket could not be bound.
    #[error("cannot bind {what} on {addr}: {source}")]
    Bind {
        /// Which listener.
        what: &'static str,
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// A zone given at start was refused.
    #[error("cannot create zone `{zone}`: {source}")]
    Zone {
        /// The zone name.
        zone: String,
        /// Why.
        source: DnsError,
    },
}

/// State shared by the HTTP API and the DNS server.
pub(crate) struct Shared {
    pub(crate) core: RwLock<DnsCore>,
    pub(crate) clock: Clock,
    pub(crate) api_token: String,
    /// The token's id, as `/user/tokens/verify` reports it.
    pub(crate) api_token_id: String,
    /// Handed to scheduled publication jobs, so they do not keep the state alive.
    me: Weak<Shared>,
    /// The event feed (`GET /_sim/dns/events`): changes made and published.
    pub(crate) events: sim_core::events::Events,
    /// Bumped by a state import: publication jobs of an older epoch do nothing (the import
    /// re-derived the ones its state needs).
    epoch: AtomicU64,
    /// Fault rules of the provider API (`/_sim/faults`, SIM-FAULT-*): not state; a state
    /// import clears them. DNS queries themselves are never faulted.
    pub(crate) faults: sim_core::faults::Faults,
}

impl Shared {
    fn new(core: DnsCore, clock: Clock, seed: Seed) -> Arc<Shared> {
        Arc::new_cyclic(|me| Shared {
            core: RwLock::new(core),
            clock,
            api_token: ids::secret(&mut seed.stream("mock-dns/api-token"), 40),
            api_token_id: ids::hex_id(&mut seed.stream("mock-dns/api-token-id"), 32),
            me: me.clone(),
            events: sim_core::events::Events::default(),
            epoch: AtomicU64::new(0),
            faults: sim_core::faults::Faults::new(seed, "dns"),
        })
    }

    /// Runs a change against the core at the clock's current time, then makes sure it gets
    /// published: at once with no delay, else by a job on the world's clock at the time the
    /// change becomes visible (the last queued one; earlier ones have their own jobs).
    pub(crate) fn change<T>(
        &self,
        f: impl FnOnce(&mut DnsCore, SystemTime) -> Result<T, DnsError>,
    ) -> Result<T, DnsError> {
        let now = self.clock.now();
        let (result, next) = {
            let mut core = self.core.write();
            let queued = core.unpublished_changes();
            let result = f(&mut core, now);
            // Only a change that queued something needs a job (a refusal queues nothing).
            let next = (core.unpublished_changes() > queued)
                .then(|| core.last_publication())
                .flatten();
            (result, next)
        };
        if let Some(at) = next {
            self.schedule_publication(at);
        }
        result
    }

    /// Puts a publication on the world's clock at `at`.
    fn schedule_publication(&self, at: SystemTime) {
        let me = self.me.clone();
        let epoch = self.epoch.load(Ordering::Acquire);
        self.clock
            .schedule_labelled(at, "DNS change published", move |clock: Clock| {
                if let Some(shared) = me.upgrade()
                    && shared.epoch.load(Ordering::Acquire) == epoch
                {
                    let published = shared.core.write().publish_due(clock.now());
                    tracing::debug!(published, "dns changes propagated");
                    if published > 0 {
                        let plural = if published == 1 { "" } else { "s" };
                        shared.events.record(
                            clock.now(),
                            "published",
                            None,
                            format!("{published} DNS change{plural} published: now answered"),
                            None,
                        );
                    }
                }
                std::future::ready(())
            });
    }

    /// The whole state as a document (`GET /_sim/dns/state`): the core, its id stream included.
    pub(crate) fn export_state(&self) -> Vec<u8> {
        sim_core::state::export(STATE_KIND, &*self.core.read())
    }

    /// Replaces the whole state by a document's (`PUT /_sim/dns/state`). A refused document
    /// changes nothing.
    pub(crate) fn import_state(&self, body: &[u8]) -> Result<(), StateError> {
        self.install_state(prepare_state(body)?);
        Ok(())
    }

    /// Installs a checked state and re-derives the publication jobs from its propagation
    /// queue; jobs of the replaced state see a new epoch and do nothing.
    fn install_state(&self, state: PreparedState) {
        let times = state.0.publication_times();
        {
            let mut current = self.core.write();
            *current = state.0;
            self.epoch.fetch_add(1, Ordering::AcqRel);
        }
        self.faults.reset();
        for at in times {
            self.schedule_publication(at);
        }
    }
}

/// A state document parsed and checked, ready to install ([`MockDns::install_state`]): a
/// world restore prepares all three services' states before it installs any.
#[derive(Debug)]
pub struct PreparedState(DnsCore);

/// Parses and checks a state document (SIM-STATE-2) without touching a running service.
pub fn prepare_state(body: &[u8]) -> Result<PreparedState, StateError> {
    let core: DnsCore = sim_core::state::import(STATE_KIND, body)?;
    core.check_consistency().map_err(StateError::Inconsistent)?;
    Ok(PreparedState(core))
}

impl Shared {
    /// Records a change the API made (`what`: `TXT _kiro.example.com "…" created`) and when
    /// DNS answers it: at once, or after the propagation delay.
    pub(crate) fn note_change(&self, what: String) {
        let now = self.clock.now();
        let visible = {
            let core = self.core.read();
            match core.last_publication() {
                Some(at) if core.unpublished_changes() > 0 && at > now => format!(
                    "answered by DNS from {}",
                    humantime::format_rfc3339_seconds(at)
                ),
                _ => "answered by DNS at once".to_string(),
            }
        };
        self.events
            .push(now, "record_change", None, what, true, Some(visible));
    }
}

/// A running mock-dns. Dropping it stops both servers.
pub struct MockDns {
    shared: Arc<Shared>,
    dns_addr: SocketAddr,
    api: HttpServer,
    dns_task: AbortOnDrop,
}

impl MockDns {
    /// The answer the DNS server gives to one raw message (over TCP when `over_tcp`, else
    /// UDP), without a socket; `None` when it sends none. The fuzzing hook of `fuzz/`'s
    /// `dns_message` target; not an API.
    #[doc(hidden)]
    pub async fn answer_message(&self, message: &[u8], over_tcp: bool) -> Option<Vec<u8>> {
        server::answer_message(self.shared.clone(), message, over_tcp).await
    }

    /// Binds the DNS server (UDP and TCP on one port) and the HTTP API, and starts serving.
    /// Returns once both accept requests.
    pub async fn start(config: Config) -> Result<MockDns, StartError> {
        let Config {
            seed,
            clock,
            dns_addr,
            api_addr,
            propagation_delay,
            zones,
            tls,
            api_mount,
            dns_sockets,
        } = config;
        clock.start_driver();

        let account_id = ids::hex_id(&mut seed.stream("mock-dns/account"), 32);
        let mut core = DnsCore::new(account_id, seed.stream("mock-dns/ids"));
        core.set_propagation_delay(Duration::ZERO);
        let now = clock.now();
        for zone in zones {
            core.create_zone(now, &zone)
                .map_err(|source| StartError::Zone { zone, source })?;
        }
        core.set_propagation_delay(propagation_delay);
        let shared = Shared::new(core, clock, seed);

        let (dns_task, dns_addr) = server::spawn(shared.clone(), dns_addr, dns_sockets).await?;
        let api_error = |source| StartError::Bind {
            what: "the DNS provider API",
            addr: api_addr,
            source,
        };
        let api = sim_core::http::serve_at(
            api_addr,
            api_mount.as_ref(),
            api::router(shared.clone()),
            tls,
        )
        .await
        .map_err(api_error)?;
        tracing::info!(dns = %dns_addr, api = %api.url(), "mock-dns ready");
        Ok(MockDns {
            shared,
            dns_addr,
            api,
            dns_task: AbortOnDrop(Some(dns_task)),
        })
    }

    /// Where the DNS server answers, over UDP and TCP.
    pub fn dns_addr(&self) -> SocketAddr {
        self.dns_addr
    }

    /// Base URL of the provider API (`…/client/v4/…` lives under it).
    pub fn api_url(&self) -> String {
        self.api.url()
    }

    /// The bearer token the provider API requires.
    pub fn api_token(&self) -> &str {
        &self.shared.api_token
    }

    /// The account every zone belongs to.
    pub fn account_id(&self) -> String {
        self.shared.core.read().account_id().to_string()
    }

    /// The provider API's fault rules (`/_sim/faults`).
    pub fn faults(&self) -> &sim_core::faults::Faults {
        &self.shared.faults
    }

    /// The clock this service runs on.
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// The whole state as a document, as `GET /_sim/dns/state` serves it.
    pub fn export_state(&self) -> Vec<u8> {
        self.shared.export_state()
    }

    /// Replaces the whole state by a document's, as `PUT /_sim/dns/state` does; pending
    /// publications are re-derived from it. A refused document changes nothing.
    pub fn import_state(&self, body: &[u8]) -> Result<(), StateError> {
        self.shared.import_state(body)
    }

    /// Installs a state [`prepare_state`] checked; pending publications are re-derived.
    pub fn install_state(&self, state: PreparedState) {
        self.shared.install_state(state)
    }

    /// The fields mock-dns adds to the `kiro-sim` ready line.
    pub fn ready_fields(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut fields = serde_json::Map::new();
        fields.insert("dns".into(), self.dns_addr.to_string().into());
        fields.insert("dns_api".into(), self.api_url().into());
        fields.insert("dns_api_token".into(), self.api_token().into());
        fields
    }

    /// Stops both servers, letting in-flight HTTP requests finish. Returns once the DNS
    /// server's task has ended (so sockets it was given are free for the next server).
    pub async fn shutdown(self) {
        let MockDns { dns_task, api, .. } = self;
        dns_task.stop().await;
        api.shutdown().await;
    }
}

/// Aborts the DNS server task when dropped, so dropping a [`MockDns`] stops it.
struct AbortOnDrop(Option<tokio::task::JoinHandle<()>>);

impl AbortOnDrop {
    /// Aborts the task and waits until it has ended.
    async fn stop(mut self) {
        if let Some(task) = self.0.take() {
            task.abort();
            // A cancelled task's error is the expected outcome.
            let _ = task.await;
        }
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(task) = &self.0 {
            task.abort();
        }
    }
}
