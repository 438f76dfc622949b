//! mock-okta: a mock Okta org (BEHAVIOURS.md OKTA-*).
//!
//! The directory (users, groups), OIDC apps, custom authorization servers that issue RS256
//! JWTs, the sign-in flows (`/api/v1/authn`, the login page, `/oauth2/{id}/v1/authorize` and
//! `/token`), the management API in Okta's shapes and the System Log.
//!
//! Layers:
//! - [`core`]: the domain core, pure and synchronous.
//! - `wire`: what every HTTP response shares: `X-Okta-Request-Id`, `X-Rate-Limit-*` and 429s,
//!   Okta's error object, SSWS authentication, paging links.
//! - `api`: the management API (`/api/v1/users`, `/groups`, `/apps`,
//!   `/authorizationServers`, `/logs`).
//! - `oidc`: the OIDC endpoints of each authorization server, the login page and
//!   `/api/v1/authn`.
//! - `provisioning`: the SCIM push engine (outbound HTTP to the downstream app, retries on the
//!   world clock) and the provisioning API (catalog, connections, features, mappings, group
//!   push, `/_sim/okta/provisioning/settle`).
//! - `console`: the Okta Admin Console, server-rendered HTML pages at `/admin` (maud).
//! - this module: configuration, start-up and the shared state.

pub mod core;

mod api;
mod console;
mod oidc;
pub mod provisioning;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use sim_core::http::HttpServer;
use sim_core::keys::SigningKey;
use sim_core::seed::SimRng;
use sim_core::state::StateError;
use sim_core::{Clock, Seed, ids};

use crate::core::Org;

/// Default port of mock-okta.
pub const DEFAULT_PORT: u16 = 17080;
/// Default rate limit: requests per minute of world time, per endpoint.
pub const DEFAULT_RATE_LIMIT: u32 = 10_000;
/// Default number of SCIM push calls in flight at once (one per resource at most).
pub const DEFAULT_PUSH_CONCURRENCY: usize = 16;
/// The largest request body mock-okta reads (OKTA-API-9, sim choice): larger ones are 413
/// with Okta's error object before any handler sees them.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// How long one SCIM push call may take on the wall clock by default (SIM-CLOCK-2): the
/// services of a world answer in milliseconds, so a call this slow is a downstream fault.
pub const DEFAULT_PUSH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// How to start mock-okta.
#[derive(Clone, Debug)]
pub struct Config {
    /// The world's seed: ids, tokens and the choice of dev keys derive from it.
    pub seed: Seed,
    /// The world's clock.
    pub clock: Clock,
    /// Where to listen; port 0 picks a free one.
    pub addr: SocketAddr,
    /// Serve https with this config instead of http.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Signing keys; `None` uses the dev keys in the seed's order.
    pub keys: Option<Vec<SigningKey>>,
    /// Requests per minute (world time) per endpoint before 429.
    pub rate_limit_per_minute: u32,
    /// SCIM push calls in flight at once (calls to one resource are always one at a time).
    /// 1 makes a world byte-identical even with a target that numbers resources in arrival
    /// order.
    pub push_concurrency: usize,
    /// Which CAs the push trusts for an https SCIM base URL (the world CA in a `--tls` world).
    pub trust: sim_core::outbound::Trust,
    /// How long one SCIM push call may take on the wall clock; a call that takes longer fails
    /// (retried with backoff) and is reported by the clock's next advance.
    pub push_timeout: std::time::Duration,
    /// Mount the org in this slot (its URL is the slot's) instead of binding `addr`.
    pub mount: Option<sim_core::http::Mount>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: Seed(0),
            clock: Clock::new_virtual(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: None,
            keys: None,
            rate_limit_per_minute: DEFAULT_RATE_LIMIT,
            push_concurrency: DEFAULT_PUSH_CONCURRENCY,
            trust: sim_core::outbound::Trust::default(),
            push_timeout: DEFAULT_PUSH_TIMEOUT,
            mount: None,
        }
    }
}

/// Why mock-okta could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The listener could not be bound.
    #[error("cannot bind mock-okta on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The dev keys did not load.
    #[error("cannot load signing keys: {0}")]
    Keys(#[from] sim_core::keys::KeyError),
    /// The outbound HTTP client (SCIM push) could not be built.
    #[error("cannot build the SCIM push client: {0}")]
    Client(String),
}

/// State shared by every handler.
pub(crate) struct Shared {
    pub(crate) org: Mutex<Org>,
    pub(crate) clock: Clock,
    /// The admin API token (`Authorization: SSWS …`).
    pub(crate) api_token: String,
    pub(crate) request_ids: Mutex<SimRng>,
    pub(crate) rate_limits: Mutex<wire::RateLimiter>,
    /// The SCIM push engine.
    pub(crate) engine: provisioning::Engine,
    /// Admin Console sessions.
    pub(crate) console: Mutex<console::Sessions>,
    /// Bumped by a state import: push retry jobs of an older epoch do nothing; the import
    /// re-derived the ones its state needs.
    pub(crate) epoch: AtomicU64,
    /// Fault rules (`/_sim/faults`, SIM-FAULT-*): not state; a state import clears them.
    pub(crate) faults: sim_core::faults::Faults,
}

/// The kind of mock-okta's state documents (`/_sim/okta/state`).
pub const STATE_KIND: &str = "kiro-sim/mock-okta-state";

/// What a state document holds: the org, the request-id stream, the rate-limit window.
#[derive(serde::Serialize)]
struct StateRef<'a> {
    org: &'a Org,
    request_ids: &'a SimRng,
    rate_limits: &'a wire::RateLimiter,
}

/// A state document parsed and checked, ready to install ([`MockOkta::install_state`]): a
/// world restore prepares all three services' states before it installs any.
pub struct PreparedState(StateOwned);

/// Parses and checks a state document (SIM-STATE-2) without touching a running service.
pub fn prepare_state(body: &[u8]) -> Result<PreparedState, StateError> {
    prepare(body, None)
}

/// [`prepare_state`], the System Log events `known` holds with the same JSON copied from it
/// rather than parsed again (see [`MockOkta::prepare_state_reusing`]).
fn prepare(body: &[u8], known: Option<&Mutex<Org>>) -> Result<PreparedState, StateError> {
    let mut state: StateOwned = sim_core::state::import(STATE_KIND, body)?;
    let start = known.map_or_else(Vec::new, |org| state.org.log.known_start(&org.lock().log));
    state
        .org
        .log
        .parse_read(start)
        .map_err(StateError::Malformed)?;
    state
        .org
        .restore_from_state()
        .map_err(StateError::Inconsistent)?;
    Ok(PreparedState(state))
}

#[derive(serde::Deserialize)]
struct StateOwned {
    org: Org,
    request_ids: SimRng,
    rate_limits: wire::RateLimiter,
}

impl Shared {
    /// The whole state as a document (`GET /_sim/okta/state`).
    pub(crate) fn export_state(&self) -> Vec<u8> {
        let org = self.org.lock();
        let request_ids = self.request_ids.lock();
        let rate_limits = self.rate_limits.lock();
        sim_core::state::export(
            STATE_KIND,
            &StateRef {
                org: &org,
                request_ids: &request_ids,
                rate_limits: &rate_limits,
            },
        )
    }

    /// Replaces the whole state by a document's (`PUT /_sim/okta/state`) and re-derives the
    /// push engine's clock jobs from it (a retry job per parked time; a drain if something is
    /// runnable). The org keeps this server's URL. A refused document changes nothing.
    pub(crate) fn import_state(self: &Arc<Self>, body: &[u8]) -> Result<(), StateError> {
        self.install_state(prepare_state(body)?);
        Ok(())
    }

    /// Installs a checked state; see [`Shared::import_state`].
    fn install_state(self: &Arc<Self>, PreparedState(mut state): PreparedState) {
        let (retries, runnable, old) = {
            let mut org = self.org.lock();
            let url = org.org_url().to_string();
            state.org.set_org_url(&url);
            let old = std::mem::replace(&mut *org, state.org);
            *self.request_ids.lock() = state.request_ids;
            *self.rate_limits.lock() = state.rate_limits;
            self.epoch.fetch_add(1, Ordering::AcqRel);
            (org.push_retry_times(), org.push_runnable(), old)
        };
        self.faults.reset();
        provisioning::restore_jobs(self, &retries, runnable);
        // Freeing a big org (10,000 users: tens of milliseconds) is nobody's wait.
        std::thread::spawn(move || drop(old));
    }
}

/// A running mock-okta. Dropping it stops the server.
pub struct MockOkta {
    shared: Arc<Shared>,
    http: HttpServer,
}

impl MockOkta {
    /// Binds and starts serving; returns once requests are accepted.
    pub async fn start(config: Config) -> Result<MockOkta, StartError> {
        config.clock.start_driver();
        let keys = match config.keys {
            Some(keys) => keys,
            None => sim_core::keys::dev_keys(config.seed)?,
        };
        let shared = Arc::new(Shared {
            // The org URL is known once the server is up; set just below.
            org: Mutex::new(Org::new("", config.seed, keys, config.clock.now())),
            clock: config.clock,
            api_token: format!(
                "00{}",
                ids::secret(&mut config.seed.stream("mock-okta/api-token"), 40)
            ),
            request_ids: Mutex::new(config.seed.stream("mock-okta/request-ids")),
            rate_limits: Mutex::new(wire::RateLimiter::new(config.rate_limit_per_minute)),
            engine: provisioning::Engine::new(
                config.push_concurrency,
                &config.trust,
                config.push_timeout,
            )
            .map_err(|e| StartError::Client(e.to_string()))?,
            console: Mutex::new(console::Sessions::new(
                config.seed.stream("mock-okta/console-sessions"),
            )),
            epoch: AtomicU64::new(0),
            faults: sim_core::faults::Faults::new(config.seed, "okta"),
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
        shared.org.lock().set_org_url(&http.url());
        tracing::info!(url = %http.url(), "mock-okta ready");
        Ok(MockOkta { shared, http })
    }

    /// The org URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        self.http.url()
    }

    /// The admin API token.
    pub fn api_token(&self) -> &str {
        &self.shared.api_token
    }

    /// The clock this org runs on.
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// The whole state as a document, as `GET /_sim/okta/state` serves it.
    pub fn export_state(&self) -> Vec<u8> {
        self.shared.export_state()
    }

    /// Replaces the whole state by a document's, as `PUT /_sim/okta/state` does; push retries
    /// are re-derived from it. A refused document changes nothing.
    pub fn import_state(&self, body: &[u8]) -> Result<(), StateError> {
        self.shared.import_state(body)
    }

    /// [`prepare_state`] for a document of this org's own history (a checkpoint, a snapshot
    /// of this world): the start of the System Log this org holds with the same JSON is
    /// copied, not parsed again (the log is most of a large org's document), with the org
    /// locked only while it is copied.
    pub fn prepare_state_reusing(&self, body: &[u8]) -> Result<PreparedState, StateError> {
        prepare(body, Some(&self.shared.org))
    }

    /// Installs a state [`prepare_state`] checked; push retries are re-derived.
    pub fn install_state(&self, state: PreparedState) {
        self.shared.install_state(state)
    }

    /// The org's fault rules (`/_sim/faults`).
    pub fn faults(&self) -> &sim_core::faults::Faults {
        &self.shared.faults
    }

    /// When `on`, changes no longer start the SCIM push by themselves: it runs only when
    /// settled ([`MockOkta::settle_push`], `/_sim/okta/provisioning/settle`) and in its retry
    /// jobs on the world clock. A sandbox keeping a state directory uses this so the push runs
    /// at moments its journal records, and a replay repeats it exactly.
    pub fn push_on_settle_only(&self, on: bool) {
        self.shared.engine.set_on_settle_only(on);
        if !on {
            provisioning::kick(&self.shared);
        }
    }

    /// Waits until no SCIM push is runnable now (what `/_sim/okta/provisioning/settle` does):
    /// only pushes parked for a retry remain, none is in flight.
    pub async fn settle_push(&self) {
        provisioning::drain(&self.shared).await;
    }

    /// The fields mock-okta adds to the `kiro-sim` ready line.
    pub fn ready_fields(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut fields = serde_json::Map::new();
        fields.insert("okta".into(), self.url().into());
        fields.insert("okta_api_token".into(), self.api_token().into());
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
        .merge(api::router())
        .merge(oidc::router())
        .merge(console::router())
        .merge(wire::sim_routes())
        .merge(provisioning::sim_routes())
        .fallback(wire::not_found)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            wire::bearer_auth,
        ))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            wire::common_headers,
        ))
        .with_state(shared.clone())
        .merge(wire::state_routes(shared.clone()))
        .merge(sim_core::http::clock_routes(shared.clock.clone()));
    faults.layer(router)
}
