//! mock-kiro: the Kiro console and service side (BEHAVIOURS.md KIRO-*).
//!
//! Profiles pointing at an external issuer, domain verification by real DNS TXT lookups
//! against mock-dns, SCIM access tokens, a SCIM 2.0 server with AWS IAM Identity Center
//! semantics, subscriptions and governance settings, and the runtime API the IDE calls (JWTs
//! verified against the issuer's JWKS). It meets mock-okta and mock-dns only over their
//! protocols.
//!
//! Layers:
//! - [`core`]: the domain core, pure and synchronous.
//! - `wire`: what every response shares (request ids, AWS-style and SCIM error bodies, the
//!   console's admin-token check) and the simulator controls.
//! - `console`: the console (admin) API under `/console/…`.
//! - `pages`: the console as HTML pages under `/console` and `/console/ui/…` (same core).
//! - `scim`: the SCIM 2.0 endpoint under `/{tenantId}/scim/v2/…`.
//! - `runtime`: what the IDE calls (sign-in metadata, profiles, usage, completions, chat),
//!   with `verify`: JWT verification against the issuer's JWKS.
//! - `outbound`: mock-kiro's own clients: OIDC discovery / JWKS over HTTP and TXT lookups over
//!   real DNS.
//! - this module: configuration, start-up and shared state.

pub mod core;

mod console;
pub mod events;
#[doc(hidden)]
pub mod fuzzing;
mod outbound;
mod pages;
mod runtime;
mod scim;
mod verify;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use sim_core::http::HttpServer;
use sim_core::seed::SimRng;
use sim_core::state::StateError;
use sim_core::{Clock, Seed, ids};

use crate::core::Kiro;
use crate::core::seats::SyncDelay;

/// Default port of mock-kiro.
pub const DEFAULT_PORT: u16 = 17081;

/// How to start mock-kiro.
#[derive(Clone, Debug)]
pub struct Config {
    /// The world's seed.
    pub seed: Seed,
    /// The world's clock.
    pub clock: Clock,
    /// Where to listen; port 0 picks a free one.
    pub addr: SocketAddr,
    /// Serve https with this config instead of http.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// The DNS server domain verification asks (mock-dns in a world; default: mock-dns's
    /// default address).
    pub dns_server: SocketAddr,
    /// How long a user added to a subscribed group waits for the seat.
    pub sync_delay: SyncDelay,
    /// How often pending domains are checked against DNS (world time).
    pub domain_check_interval: Duration,
    /// Which CAs discovery and JWKS fetches trust for an https issuer (the world CA in a
    /// `--tls` world).
    pub trust: sim_core::outbound::Trust,
    /// How long one outbound call (OIDC discovery, JWKS, a TXT lookup) may take on the wall
    /// clock (SIM-CLOCK-2).
    pub outbound_timeout: Duration,
    /// Mount the service in this slot (its URL is the slot's) instead of binding `addr`.
    pub mount: Option<sim_core::http::Mount>,
}

/// The largest request body mock-kiro reads (KIRO-SCIM-6, sim choice): larger ones are 413
/// in the API's error format (the SCIM Error body under `/scim/`, an AWS JSON error
/// elsewhere) before any handler sees them.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How long one outbound call may take by default: the services of a world answer in
/// milliseconds, so a call this slow is a fault of the other side.
pub const DEFAULT_OUTBOUND_TIMEOUT: Duration = Duration::from_secs(2);

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: Seed(0),
            clock: Clock::new_virtual(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: None,
            dns_server: SocketAddr::from(([127, 0, 0, 1], 1053)),
            sync_delay: SyncDelay::default(),
            domain_check_interval: Duration::from_secs(10 * 60),
            trust: sim_core::outbound::Trust::default(),
            outbound_timeout: DEFAULT_OUTBOUND_TIMEOUT,
            mount: None,
        }
    }
}

/// Why mock-kiro could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The listener could not be bound.
    #[error("cannot bind mock-kiro on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The outbound HTTP client could not be built.
    #[error("cannot build the outbound HTTP client: {0}")]
    Client(String),
}

/// State shared by every handler.
pub(crate) struct Shared {
    pub(crate) kiro: Mutex<Kiro>,
    pub(crate) clock: Clock,
    /// The console's admin token (`Authorization: Bearer …`).
    pub(crate) admin_token: String,
    pub(crate) request_ids: Mutex<SimRng>,
    /// Discovery, JWKS and DNS clients.
    pub(crate) outbound: outbound::Outbound,
    /// Cached JWKS per issuer.
    pub(crate) jwks: verify::JwksCache,
    /// This server's base URL (for the SCIM endpoint shown in settings).
    pub(crate) base_url: Mutex<String>,
    pub(crate) domain_check_interval: Duration,
    /// The periodic domain check: when it started (checks fall on its multiples of the
    /// interval) and whether a check is scheduled.
    pub(crate) domain_checks: console::DomainChecks,
    /// The one scheduled seat-grant job: when it fires, and its id.
    pub(crate) grant_job: Mutex<Option<(std::time::SystemTime, sim_core::clock::JobId)>>,
    /// The per-tenant SCIM throttle (`/_sim/kiro/scim-rate-limit`).
    pub(crate) scim_limits: scim::RateLimits,
    /// The event feed (`/_sim/kiro/events`).
    pub(crate) events: events::Events,
    /// The console pages' seat search index (rebuilt when the core's revision moves).
    pub(crate) search_index: Mutex<pages::SearchIndex>,
    /// Bumped by a state import: clock jobs (seat grants, domain checks) of an older epoch do
    /// nothing; the import re-derived the ones its state needs.
    pub(crate) epoch: AtomicU64,
    /// Fault rules (`/_sim/faults`, SIM-FAULT-*): not state; a state import clears them.
    pub(crate) faults: sim_core::faults::Faults,
}

/// The kind of mock-kiro's state documents (`/_sim/kiro/state`).
pub const STATE_KIND: &str = "kiro-sim/mock-kiro-state";

/// What a state document holds: the core, the request-id stream, and when the periodic domain
/// check started (its grid).
#[derive(serde::Serialize)]
struct StateRef<'a> {
    core: &'a Kiro,
    request_ids: &'a SimRng,
    domain_check_origin: Option<std::time::SystemTime>,
}

/// A state document parsed and checked, ready to install ([`MockKiro::install_state`]): a
/// world restore prepares all three services' states before it installs any.
pub struct PreparedState(StateOwned);

/// Parses and checks a state document (SIM-STATE-2) without touching a running service.
pub fn prepare_state(body: &[u8]) -> Result<PreparedState, StateError> {
    let state: StateOwned = sim_core::state::import(STATE_KIND, body)?;
    state
        .core
        .check_consistency()
        .map_err(StateError::Inconsistent)?;
    Ok(PreparedState(state))
}

#[derive(serde::Deserialize)]
struct StateOwned {
    core: Kiro,
    request_ids: SimRng,
    domain_check_origin: Option<std::time::SystemTime>,
}

impl Shared {
    /// Makes sure the next pending seat grant (group sync delay, KIRO-SUB-4) fires on the
    /// world's clock. Call after anything that may add a pending grant. One job is scheduled
    /// at a time, at the earliest due grant; the job schedules the next one.
    pub(crate) fn schedule_grants(self: &Arc<Self>) {
        let Some(due) = self.kiro.lock().next_grant_due() else {
            return;
        };
        let mut job = self.grant_job.lock();
        match *job {
            Some((at, _)) if at <= due => return,
            Some((_, id)) => {
                self.clock.cancel(id);
            }
            None => {}
        }
        let me = Arc::downgrade(self);
        let label = events::grant_label(&self.kiro.lock(), due);
        let epoch = self.epoch.load(Ordering::Acquire);
        let id = self
            .clock
            .schedule_labelled(due, label, move |clock: Clock| {
                if let Some(shared) = me.upgrade()
                    && shared.epoch.load(Ordering::Acquire) == epoch
                {
                    // This is the scheduled job (an earlier one would have cancelled it).
                    *shared.grant_job.lock() = None;
                    let now = clock.now();
                    let (granted, seats) = {
                        let mut kiro = shared.kiro.lock();
                        let seats = events::due_grants(&kiro, now);
                        (kiro.apply_due_grants(now), seats)
                    };
                    for (user, group) in seats {
                        let summary =
                            format!("seat granted to {user} (group {group}, after the sync delay)");
                        shared
                            .events
                            .record(now, "seat_granted", Some(user), summary, None);
                    }
                    tracing::debug!(granted, "group seats granted after the sync delay");
                    shared.schedule_grants();
                }
                std::future::ready(())
            });
        *job = Some((due, id));
    }

    /// The whole state as a document (`GET /_sim/kiro/state`).
    pub(crate) fn export_state(&self) -> Vec<u8> {
        let kiro = self.kiro.lock();
        let request_ids = self.request_ids.lock();
        sim_core::state::export(
            STATE_KIND,
            &StateRef {
                core: &kiro,
                request_ids: &request_ids,
                domain_check_origin: console::domain_check_origin(self),
            },
        )
    }

    /// Replaces the whole state by a document's (`PUT /_sim/kiro/state`) and re-derives the
    /// clock jobs from it: the next seat grant, the periodic domain check. The JWKS cache is
    /// emptied (it refills from the issuer). A refused document changes nothing.
    pub(crate) fn import_state(self: &Arc<Self>, body: &[u8]) -> Result<(), StateError> {
        self.install_state(prepare_state(body)?);
        Ok(())
    }

    /// Installs a checked state; see [`Shared::import_state`].
    fn install_state(self: &Arc<Self>, PreparedState(state): PreparedState) {
        let old = {
            let mut kiro = self.kiro.lock();
            let old = std::mem::replace(&mut *kiro, state.core);
            *self.request_ids.lock() = state.request_ids;
            self.epoch.fetch_add(1, Ordering::AcqRel);
            old
        };
        // Freeing a big core is nobody's wait.
        std::thread::spawn(move || drop(old));
        if let Some((_, id)) = self.grant_job.lock().take() {
            self.clock.cancel(id);
        }
        self.jwks.clear();
        self.faults.reset();
        // The console's seat search index is keyed by the core's revision counter, which a
        // restored core can repeat with other contents: start it afresh.
        *self.search_index.lock() = pages::SearchIndex::default();
        self.schedule_grants();
        console::restore_domain_checks(self, state.domain_check_origin);
    }
}

/// A running mock-kiro. Dropping it stops the server.
pub struct MockKiro {
    shared: Arc<Shared>,
    http: HttpServer,
}

impl MockKiro {
    /// Binds and starts serving; returns once requests are accepted.
    pub async fn start(config: Config) -> Result<MockKiro, StartError> {
        config.clock.start_driver();
        let mut kiro = Kiro::new(config.seed);
        kiro.set_sync_delay(config.sync_delay);
        let outbound =
            outbound::Outbound::new(config.dns_server, &config.trust, config.outbound_timeout)
                .map_err(StartError::Client)?;
        let shared = Arc::new(Shared {
            kiro: Mutex::new(kiro),
            clock: config.clock,
            admin_token: ids::secret(&mut config.seed.stream("mock-kiro/admin-token"), 40),
            request_ids: Mutex::new(config.seed.stream("mock-kiro/request-ids")),
            outbound,
            jwks: verify::JwksCache::default(),
            base_url: Mutex::new(String::new()),
            domain_check_interval: config.domain_check_interval,
            domain_checks: console::DomainChecks::default(),
            grant_job: Mutex::new(None),
            scim_limits: scim::RateLimits::default(),
            events: events::Events::default(),
            search_index: Mutex::new(pages::SearchIndex::default()),
            epoch: AtomicU64::new(0),
            faults: sim_core::faults::Faults::new(config.seed, "kiro"),
        });
        let bind_error = |source| StartError::Bind {
            addr: config.addr,
            source,
        };
        let http = sim_core::http::serve_at(
            config.addr,
            config.mount.as_ref(),
            router(shared.clone()),
            config.tls,
        )
        .await
        .map_err(bind_error)?;
        *shared.base_url.lock() = http.url();
        console::start_domain_checks(&shared);
        tracing::info!(url = %http.url(), "mock-kiro ready");
        Ok(MockKiro { shared, http })
    }

    /// Base URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        self.http.url()
    }

    /// The console's admin token.
    pub fn admin_token(&self) -> &str {
        &self.shared.admin_token
    }

    /// The service's fault rules (`/_sim/faults`).
    pub fn faults(&self) -> &sim_core::faults::Faults {
        &self.shared.faults
    }

    /// The clock this service runs on.
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// The whole state as a document, as `GET /_sim/kiro/state` serves it.
    pub fn export_state(&self) -> Vec<u8> {
        self.shared.export_state()
    }

    /// Replaces the whole state by a document's, as `PUT /_sim/kiro/state` does; pending seat
    /// grants and domain checks are re-derived from it. A refused document changes nothing.
    pub fn import_state(&self, body: &[u8]) -> Result<(), StateError> {
        self.shared.import_state(body)
    }

    /// Installs a state [`prepare_state`] checked; clock jobs are re-derived.
    pub fn install_state(&self, state: PreparedState) {
        self.shared.install_state(state)
    }

    /// The fields mock-kiro adds to the `kiro-sim` ready line.
    pub fn ready_fields(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut fields = serde_json::Map::new();
        fields.insert("kiro".into(), self.url().into());
        fields.insert("kiro_admin_token".into(), self.admin_token().into());
        fields
    }

    /// Stops the server, letting in-flight requests finish.
    pub async fn shutdown(self) {
        self.http.shutdown().await;
    }
}

fn router(shared: Arc<Shared>) -> axum::Router {
    let faults = shared.faults.clone();
    let router = axum::Router::new()
        .merge(console::router())
        .merge(pages::router())
        .merge(scim::router())
        .merge(runtime::router())
        .merge(wire::sim_routes())
        .merge(scim::sim_routes())
        .route("/_sim/kiro/events", axum::routing::get(events::feed))
        .fallback(wire::not_found)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            events::record,
        ))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            wire::request_id,
        ))
        .with_state(shared.clone())
        .merge(wire::state_routes(shared.clone()))
        .merge(sim_core::http::clock_routes(shared.clock.clone()));
    faults.layer(router)
}
