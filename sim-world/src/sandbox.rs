//! A world behind listeners that stay bound, with readiness and reset: what `kiro-sim up`
//! runs, and what the container image serves.
//!
//! Every HTTP service (the DNS provider API, Okta, Kiro) gets a *front server* on its
//! well-known port, started once. The world's services do not bind anything: each is mounted
//! ([`sim_core::http::Mount`]) in a slot its front server forwards requests to. The front
//! answers two routes itself, on all three ports:
//!
//! - `GET /_sim/ready`: `200` with the ready line's fields once every listener is bound and
//!   the setup is applied; `503 {"ready":false}` before (and during a reset).
//! - `POST /_sim/reset`: back to the state right after start (setup applied); answers `200`
//!   with the ready fields (the same ids and tokens: the seed is the same) once done.
//! - `POST /_sim/snapshots` `{"name":…}`, `GET /_sim/snapshots`,
//!   `POST /_sim/snapshots/{name}/restore`: named checkpoints of the whole world
//!   ([`crate::snapshot`]), e.g. "after step 3" for a class.
//!
//! **Reset** closes a *gate*: requests arriving from then on wait (for at most
//! [`GATE_WAIT`]) instead of reaching a world. Requests already past the gate are let finish
//! (for at most [`DRAIN_WAIT`]) against the old world. Then the world is put back to the
//! *baseline*, the snapshot taken right after the first start and setup
//! ([`World::restore`]: every service's state and the clock, in-process, in about a
//! millisecond), and the gate opens. Only the first start (or a reset whose restore failed)
//! starts a world: the old one is shut down (mock-dns stops serving its duplicated sockets;
//! the sockets themselves stay bound here, so DNS queries meanwhile wait in the socket
//! buffers), a fresh world with the same config and seed is started and mounted in the same
//! slots, the setup is applied through the real APIs, and the baseline is taken. Keep-alive
//! connections survive a reset; nobody sees a refused connection or a half-set-up world.
//! Saving and restoring a named checkpoint close the gate the same way.
//!
//! The setup's own requests, and the calls the services make to each other while it runs
//! (Okta's SCIM push, Kiro's discovery and JWKS fetches), carry
//! [`sim_core::http::INTERNAL_HEADER`] and pass the closed gate. Known limit: a call the *old*
//! world's Okta had in flight to Kiro at reset time also carries it and could reach the new
//! world; a reset after the push has settled (as after the documented setup) has none.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};
use sim_core::http::{HttpServer, INTERNAL_HEADER, Mount};
use sim_core::tls::WorldCa;
use tokio::sync::watch;
use tower::ServiceExt;

use crate::clients::ClientError;
use crate::persist::{
    Front as JournalFront, Opened, Record, Resume, Settings, StateDir, StateDirError,
};
use crate::setup::Documented;
use crate::snapshot::{RestoreError, WorldSnapshot};
use crate::{Mounts, Ports, World, WorldConfig, WorldError};

/// How long a request waits at the closed gate (start-up or a reset) before a 503.
pub const GATE_WAIT: Duration = Duration::from_secs(30);
/// How long a reset lets requests already past the gate finish before replacing the world.
pub const DRAIN_WAIT: Duration = Duration::from_secs(5);

/// Setups a sandbox applies after each start and reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setup {
    /// The documented Okta + Kiro setup ([`crate::setup::documented`]).
    Documented,
}

/// The future a [`CustomSetup`] returns: the setup's values for the ready line, or why it
/// failed.
pub type SetupFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Map<String, Value>, String>> + Send + 'a>>;

/// A setup the sandbox's owner supplies (`kiro-sim up --setup-file` gives one built from a
/// scenario file): applied to each fresh world, after [`Setup`], before the gate opens.
///
/// Its requests must carry [`INTERNAL_HEADER`] (as [`crate::clients::Clients::internal`]'s
/// clients do) to pass the closed gate. It returns the values it saved; they go into the
/// ready fields as the object `setup`. It must be deterministic (same world, same seed: same
/// values), so a reset hands out the same ids.
pub trait CustomSetup: Send + Sync + std::fmt::Debug {
    /// Applies the setup to a started world.
    fn apply<'a>(&'a self, world: &'a World) -> SetupFuture<'a>;
}

/// How to start a sandbox.
#[derive(Clone, Debug, Default)]
pub struct SandboxConfig {
    /// The world (bind address, ports, seed, clock, TLS, …); its `mounts` is set by the sandbox.
    pub world: WorldConfig,
    /// The host put in every URL handed out (ready fields, discovery documents, Link headers,
    /// the SCIM URL); default: the bind address (loopback for an unspecified one). Clients
    /// outside a container use it, and so do the services inside (Kiro fetches Okta's
    /// discovery at the issuer URL; Okta pushes to Kiro's SCIM URL): with host networking or
    /// a name that resolves in both places, that works.
    pub advertised_host: Option<String>,
    /// The setup applied before ready, and again after each reset.
    pub setup: Option<Setup>,
    /// A further setup applied after `setup`, before ready and after each reset.
    pub custom_setup: Option<Arc<dyn CustomSetup>>,
    /// Keep the world in this directory ([`crate::persist`]): every outside request is
    /// journaled before it is answered, and a sandbox started on a directory that holds a
    /// world continues it (its settings replace the ones given here).
    pub state_dir: Option<std::path::PathBuf>,
}

/// Why a sandbox could not start or reset.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// A listener could not be bound.
    #[error("cannot bind {what} on {addr}: {source}")]
    Bind {
        /// Which listener.
        what: &'static str,
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The world's CA or certificate could not be made.
    #[error("TLS: {0}")]
    Tls(#[from] sim_core::tls::TlsError),
    /// The world did not start.
    #[error("{0}")]
    World(#[from] WorldError),
    /// The setup failed.
    #[error("applying the setup: {0}")]
    Setup(#[from] ClientError),
    /// The custom setup failed.
    #[error("applying the setup file: {0}")]
    Custom(String),
    /// A checkpoint name that is not one.
    #[error(
        "`{0}` is not a checkpoint name: 1 to 64 letters, digits, `.`, `_` or `-`, starting with a letter or digit"
    )]
    BadName(String),
    /// No checkpoint of that name.
    #[error("no checkpoint named `{0}`")]
    NoCheckpoint(String),
    /// A snapshot was refused (nothing changed).
    #[error("restoring: {0}")]
    Restore(#[from] RestoreError),
    /// The state directory could not be read or written.
    #[error("state directory: {0}")]
    State(#[from] StateDirError),
    /// The world has no baseline to keep yet (its first start did not finish).
    #[error("the world has no baseline yet: its first start and setup did not finish")]
    NoBaseline,
    /// A combination of settings the state directory does not support.
    #[error("{0}")]
    Unsupported(String),
}

/// A named checkpoint, as `GET /_sim/snapshots` lists it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CheckpointInfo {
    /// Its name.
    pub name: String,
    /// The world's time when it was saved (RFC 3339).
    pub world_time: String,
    /// The size of its state documents.
    pub bytes: usize,
}

/// A running sandbox: front servers on fixed ports, and the current world behind them.
pub struct Sandbox {
    inner: Arc<Inner>,
    fronts: Vec<HttpServer>,
}

struct Inner {
    /// The world's config, mounts included: every generation starts from it.
    config: WorldConfig,
    setup: Option<Setup>,
    custom_setup: Option<Arc<dyn CustomSetup>>,
    /// The `dns` ready field: the advertised host and the DNS port.
    dns_field: String,
    /// Open gate: the current world is set up and serving.
    ready: watch::Sender<bool>,
    /// Requests past the gate and not yet answered.
    in_flight: watch::Sender<usize>,
    /// The current world; locked for the whole of a reset, so resets run one at a time.
    current: tokio::sync::Mutex<Option<World>>,
    /// The ready fields of the current world.
    fields: parking_lot::RwLock<Map<String, Value>>,
    /// The world right after start and setup: what a reset restores.
    baseline: parking_lot::Mutex<Option<WorldSnapshot>>,
    /// Named checkpoints (`/_sim/snapshots`), by name.
    checkpoints: parking_lot::Mutex<std::collections::BTreeMap<String, WorldSnapshot>>,
    /// Whether the world is kept in a state directory (then `persist` holds it once started).
    persistent: bool,
    /// The state directory; its lock is the world's order: an outside request holds it from
    /// before it reaches the service until its record is written.
    persist: tokio::sync::Mutex<Option<Persist>>,
    /// Wakes the settler (a persistent sandbox's task running Okta's push, see [`settler`]).
    settle_wanted: Arc<tokio::sync::Notify>,
    /// Outside requests waiting for `persist` (the settler lets them in before it pushes).
    queued: Arc<AtomicUsize>,
    /// The settler, stopped with the sandbox.
    settler: parking_lot::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(settler) = self.settler.get_mut().take() {
            settler.abort();
        }
    }
}

/// A state directory in use, and when to write the next snapshot.
struct Persist {
    dir: StateDir,
    settings: Settings,
    /// Wall time spent applying the requests journaled since the latest snapshot: about what
    /// a restart would spend replaying them.
    applied_since: Duration,
    /// What taking the latest snapshot held requests up for.
    snapshot_cost: Duration,
    /// Okta was changed since its push last ran: the settler runs it (and journals that).
    unsettled: bool,
    /// Okta changes journaled since its push last ran (see [`SETTLE_BATCH`]).
    unsettled_changes: usize,
    /// A snapshot file being written off the request path (one at a time).
    writing: Option<tokio::task::JoinHandle<()>>,
    /// Checkpoint files being written off the request path (their saves are journaled).
    checkpoint_writes: Vec<tokio::task::JoinHandle<()>>,
}

impl Persist {
    /// Waits for the checkpoint files being written.
    async fn checkpoints_written(&mut self) {
        for write in self.checkpoint_writes.drain(..) {
            let _ = write.await;
        }
    }
}

/// A snapshot is taken once the journal since the latest one would take this long to replay
/// (so a restart replays at most about this much)…
const REPLAY_BUDGET: Duration = Duration::from_millis(300);
/// …and at least this many times what taking one holds requests up for (so snapshots cost at
/// most a quarter of the time spent on requests; the file is written off the request path).
const SNAPSHOT_COST_FACTOR: u32 = 4;
/// Where Okta's push is run to the end; a persistent sandbox journals a settle as a request
/// to it.
const SETTLE_URI: &str = "/_sim/okta/provisioning/settle";
/// The settler lets requests waiting for the journal in before it runs the push (one push
/// then covers their changes too: a push per few users would PATCH a pushed group a few
/// members at a time), but not past this many Okta changes: a steady stream of requests
/// delays the push by at most that many.
const SETTLE_BATCH: usize = 256;
/// A persistent sandbox journals a checkpoint save as this request (with the name and a tag
/// the checkpoint's file carries), so a restart can write a file a kill cut short again.
const CHECKPOINT_URI: &str = "/_sim/snapshots";
/// The largest outside request body a persistent sandbox journals, but for a state import
/// (`PUT /_sim/{service}/state`, up to [`sim_core::state::MAX_STATE_BYTES`]); every service
/// refuses bodies above 1 MiB in its own format before this matters.
const MAX_JOURNALED_BODY: usize = 4 * 1024 * 1024;

/// The largest body journaled for a request to `path` with `method`.
fn journaled_body_limit(method: &axum::http::Method, path: &str) -> usize {
    if method == axum::http::Method::PUT && path.starts_with("/_sim/") && path.ends_with("/state") {
        sim_core::state::MAX_STATE_BYTES
    } else {
        MAX_JOURNALED_BODY
    }
}

/// What replaced the world's state wholesale.
enum Replaced<'a> {
    /// A reset: the baseline.
    Baseline,
    /// A checkpoint restored.
    Checkpoint(&'a str),
}

/// What replaying a journal found (logged at start).
#[derive(Debug, Default)]
struct Replayed {
    records: usize,
    diverged: usize,
}

impl Sandbox {
    /// Binds every listener, starts the front servers (answering 503 on `/_sim/ready`), then
    /// starts the world and applies the setup. Returns once ready.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        let SandboxConfig {
            mut world,
            mut advertised_host,
            mut setup,
            custom_setup,
            state_dir,
        } = config;
        let opened = match &state_dir {
            Some(dir) => {
                if world.tls {
                    return Err(SandboxError::Unsupported(
                        "a state directory does not keep the world CA yet: --state with --tls \
                         is not supported"
                            .into(),
                    ));
                }
                if world.okta_keys.is_some() {
                    return Err(SandboxError::Unsupported(
                        "a state directory keeps the dev signing keys only: --state with \
                         --fresh-keys is not supported"
                            .into(),
                    ));
                }
                if world.clock != sim_core::clock::ClockMode::Virtual {
                    return Err(SandboxError::Unsupported(
                        "a state directory replays requests at their world time, which only a \
                         virtual clock reproduces: --state needs --clock virtual"
                            .into(),
                    ));
                }
                Some(StateDir::open(dir)?)
            }
            None => None,
        };
        if let Some(Opened::Resume(resume)) = &opened {
            world = resume.settings.apply(world);
            advertised_host = resume.settings.advertised_host.clone();
            setup = resume
                .settings
                .documented_setup
                .then_some(Setup::Documented);
        }
        let bind = |port| SocketAddr::new(world.bind, port);
        let dns_addr = bind(world.ports.dns);
        let dns = mock_dns::DnsSockets::bind(dns_addr).map_err(|source| SandboxError::Bind {
            what: "the DNS server",
            addr: dns_addr,
            source,
        })?;
        let ca = if world.tls {
            Some(WorldCa::new(&format!(
                "kiro-sim world CA (seed {})",
                world.seed
            ))?)
        } else {
            None
        };
        let mut names = vec!["localhost", "127.0.0.1", "::1"];
        if let Some(host) = &advertised_host {
            names.push(host.as_str());
        }
        let tls = ca.as_ref().map(|ca| ca.server_config(&names)).transpose()?;
        let host = advertised_host.as_deref();
        let mut listeners = Vec::new();
        for (what, port) in [
            ("the DNS provider API", world.ports.dns_api),
            ("the Okta org", world.ports.okta),
            ("the Kiro service", world.ports.kiro),
        ] {
            let addr = bind(port);
            let bind_error = |source| SandboxError::Bind { what, addr, source };
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(bind_error)?;
            let local = listener.local_addr().map_err(bind_error)?;
            let slot = Mount::new(
                sim_core::http::base_url(local, world.tls, host),
                local,
                world.tls,
            );
            listeners.push((what, addr, listener, slot));
        }
        let dns_local = dns.local_addr().map_err(|source| SandboxError::Bind {
            what: "the DNS server",
            addr: dns_addr,
            source,
        })?;
        let dns_field = match host {
            Some(host) if host.contains(':') && !host.starts_with('[') => {
                format!("[{host}]:{}", dns_local.port())
            }
            Some(host) => format!("{host}:{}", dns_local.port()),
            None => crate::reachable(dns_local).to_string(),
        };
        // Every generation signs with the same keys: parse the dev keys once, not per reset.
        if world.okta_keys.is_none() {
            world.okta_keys = Some(
                sim_core::keys::dev_keys(world.seed)
                    .map_err(|e| SandboxError::World(WorldError::Okta(e.into())))?,
            );
        }
        world.mounts = Some(Mounts {
            dns_api: listeners[0].3.clone(),
            okta: listeners[1].3.clone(),
            kiro: listeners[2].3.clone(),
            dns,
            ca,
        });
        let inner = Arc::new(Inner {
            config: world,
            setup,
            custom_setup,
            dns_field,
            ready: watch::Sender::new(false),
            in_flight: watch::Sender::new(0),
            current: tokio::sync::Mutex::new(None),
            fields: parking_lot::RwLock::new(Map::new()),
            baseline: parking_lot::Mutex::new(None),
            checkpoints: parking_lot::Mutex::new(std::collections::BTreeMap::new()),
            persistent: opened.is_some(),
            persist: tokio::sync::Mutex::new(None),
            settle_wanted: Arc::new(tokio::sync::Notify::new()),
            queued: Arc::new(AtomicUsize::new(0)),
            settler: parking_lot::Mutex::new(None),
        });
        if inner.persistent {
            let task = tokio::spawn(settler(Arc::downgrade(&inner), inner.settle_wanted.clone()));
            *inner.settler.lock() = Some(task);
        }
        let weak = Arc::downgrade(&inner);
        let home = crate::home::Home::new(
            Arc::new(move || {
                let inner = weak.upgrade()?;
                let ready = *inner.ready.borrow();
                ready.then(|| inner.fields.read().clone())
            }),
            sim_core::outbound::Trust::from_ca(inner.mounts().and_then(|m| m.ca.as_ref())),
            inner.config.seed,
        )
        .map_err(|e| SandboxError::World(WorldError::Outbound(e)))?;
        let mut fronts = Vec::new();
        let port_of = |i: usize| {
            listeners[i]
                .2
                .local_addr()
                .map(|a| a.port())
                .unwrap_or_default()
        };
        let bound = Ports {
            dns: dns_local.port(),
            dns_api: port_of(0),
            okta: port_of(1),
            kiro: port_of(2),
        };
        for ((what, addr, listener, slot), which) in listeners.into_iter().zip([
            JournalFront::DnsApi,
            JournalFront::Okta,
            JournalFront::Kiro,
        ]) {
            let router = front_router(Front {
                inner: Arc::downgrade(&inner),
                slot,
                which,
            })
            .merge(crate::home::router(home.clone()));
            let server = sim_core::http::serve(listener, router, tls.clone())
                .await
                .map_err(|source| SandboxError::Bind { what, addr, source })?;
            fronts.push(server);
        }
        match opened {
            None => inner.reset().await?,
            Some(Opened::Fresh(dir)) => {
                inner.reset().await?;
                let settings = Settings::of(
                    &inner.config,
                    bound,
                    advertised_host.as_deref(),
                    setup.is_some(),
                );
                inner.start_persisting(dir, settings).await?;
            }
            Some(Opened::Resume(resume)) => inner.resume(*resume).await?,
        }
        Ok(Sandbox { inner, fronts })
    }

    /// The ready line's fields (`event`, `clock`, `seed`, every URL and credential, and the
    /// setup's), as `GET /_sim/ready` serves them.
    pub fn ready_fields(&self) -> Map<String, Value> {
        self.inner.fields.read().clone()
    }

    /// The world CA's certificate (PEM), when the sandbox serves https.
    pub fn ca(&self) -> Option<&WorldCa> {
        self.inner.mounts().and_then(|m| m.ca.as_ref())
    }

    /// Returns the world to its state right after start, as `POST /_sim/reset` does.
    pub async fn reset(&self) -> Result<(), SandboxError> {
        self.inner.reset().await
    }

    /// Saves the world's whole state as the checkpoint `name` (replacing one of that name), as
    /// `POST /_sim/snapshots` does.
    pub async fn save_checkpoint(&self, name: &str) -> Result<CheckpointInfo, SandboxError> {
        self.inner.save_checkpoint(name).await
    }

    /// The saved checkpoints, by name.
    pub fn checkpoints(&self) -> Vec<CheckpointInfo> {
        self.inner.checkpoints()
    }

    /// Puts the world back to the checkpoint `name`, as `POST /_sim/snapshots/{name}/restore`
    /// does.
    pub async fn restore_checkpoint(&self, name: &str) -> Result<(), SandboxError> {
        self.inner.restore_checkpoint(name).await
    }

    /// Stops the front servers (in-flight requests finish) and the world; a persistent
    /// sandbox writes a last snapshot, so the next start replays nothing.
    pub async fn shutdown(self) {
        self.inner.ready.send_replace(false);
        for front in self.fronts {
            front.shutdown().await;
        }
        if self.inner.persistent {
            let mut persist = self.inner.persist.lock().await;
            if let (Some(p), Some(world)) =
                (persist.as_mut(), self.inner.current.lock().await.as_ref())
                && (p.dir.since_snapshot() > 0 || p.unsettled)
            {
                if let Err(error) = self.inner.settle_journaled(p).await {
                    tracing::error!(%error, "journaling the last push at shutdown");
                }
                if let Some(writing) = p.writing.take() {
                    let _ = writing.await;
                }
                p.checkpoints_written().await;
                let snapshot = world.snapshot().await;
                if let Err(error) = p.dir.snapshot(&snapshot) {
                    tracing::error!(%error, "writing the last snapshot at shutdown");
                }
            }
        }
        if let Some(world) = self.inner.current.lock().await.take() {
            world.shutdown().await;
        }
    }
}

impl Inner {
    fn mounts(&self) -> Option<&Mounts> {
        self.config.mounts.as_ref()
    }

    /// Closes the gate and lets admitted requests finish (for at most [`DRAIN_WAIT`]).
    async fn close_gate(&self) {
        self.ready.send_replace(false);
        let mut in_flight = self.in_flight.subscribe();
        if tokio::time::timeout(DRAIN_WAIT, in_flight.wait_for(|n| *n == 0))
            .await
            .is_err()
        {
            tracing::warn!(
                in_flight = *self.in_flight.borrow(),
                "requests still running after the drain wait; they finish against the old world"
            );
        }
    }

    /// Closes the gate, lets admitted requests finish, puts the world back to the baseline
    /// (or, at the first start or if that fails, replaces it by a fresh one with the setup
    /// applied), and opens the gate.
    async fn reset(&self) -> Result<(), SandboxError> {
        let started = Instant::now();
        let mut current = self.current.lock().await;
        self.close_gate().await;
        let baseline = self.baseline.lock().clone();
        if let (Some(world), Some(baseline)) = (current.as_ref(), baseline) {
            match world.restore(&baseline).await {
                Ok(()) => {
                    self.persist_replaced(Replaced::Baseline).await?;
                    self.ready.send_replace(true);
                    tracing::info!(took = ?started.elapsed(), "world restored to its baseline");
                    return Ok(());
                }
                Err(error) => {
                    tracing::warn!(%error, "restoring the baseline failed; starting a fresh world");
                }
            }
        }
        let drained = started.elapsed();
        if let Some(old) = current.take() {
            old.shutdown().await;
        }
        let stopped = started.elapsed();
        let world = World::start(self.config.clone()).await?;
        let fresh = started.elapsed();
        let documented = match self.setup {
            Some(Setup::Documented) => Some(crate::setup::documented(&world).await?),
            None => None,
        };
        let custom = match &self.custom_setup {
            Some(custom) => match custom.apply(&world).await {
                Ok(values) => Some(values),
                Err(message) => {
                    world.shutdown().await;
                    return Err(SandboxError::Custom(message));
                }
            },
            None => None,
        };
        let mut fields = self.fields_of(&world, documented.as_ref());
        if let Some(values) = custom {
            fields.insert("setup".into(), Value::Object(values));
        }
        *self.fields.write() = fields.clone();
        let baseline = world.snapshot().await;
        *self.baseline.lock() = Some(baseline.clone());
        if self.persistent {
            // From now on the push runs where the journal records it (see `settler`).
            world.okta().push_on_settle_only(true);
        }
        if let Some(p) = self.persist.lock().await.as_mut() {
            p.dir.create(&p.settings, &fields, &baseline)?;
            p.applied_since = Duration::ZERO;
            p.unsettled = false;
        }
        *current = Some(world);
        self.ready.send_replace(true);
        tracing::info!(
            took = ?started.elapsed(),
            ?drained,
            ?stopped,
            ?fresh,
            "world (re)started and ready"
        );
        Ok(())
    }

    /// Saves the current world as checkpoint `name`, with the gate closed meanwhile (one
    /// consistent moment across the three services).
    async fn save_checkpoint(&self, name: &str) -> Result<CheckpointInfo, SandboxError> {
        if !valid_name(name) {
            return Err(SandboxError::BadName(name.into()));
        }
        let current = self.current.lock().await;
        let Some(world) = current.as_ref() else {
            return Err(SandboxError::NoCheckpoint(name.into()));
        };
        self.close_gate().await;
        let mut persist = self.persist.lock().await;
        if let Some(p) = persist.as_mut()
            && let Err(error) = self.settle_journaled(p).await
        {
            self.ready.send_replace(true);
            return Err(error.into());
        }
        let snapshot = world.snapshot().await;
        if let Some(p) = persist.as_mut() {
            // Journaled, then answered; the file is written meanwhile. A kill before it is
            // complete leaves the record: the restart saves the checkpoint again there.
            let tag = checkpoint_tag();
            let record = checkpoint_record(name, &tag);
            if let Err(error) = p.dir.append(&record) {
                self.ready.send_replace(true);
                return Err(error.into());
            }
            let file = p.dir.checkpoint_file(name, Some(&tag));
            let written = snapshot.clone();
            p.checkpoint_writes
                .push(tokio::task::spawn_blocking(move || {
                    if let Err(error) = file.write(&written) {
                        // The journal's record still holds the save: a restart writes it.
                        tracing::error!(%error, "writing a checkpoint");
                    }
                }));
        }
        self.ready.send_replace(true);
        drop(persist);
        let info = info(name, &snapshot);
        self.checkpoints.lock().insert(name.to_string(), snapshot);
        Ok(info)
    }

    fn checkpoints(&self) -> Vec<CheckpointInfo> {
        self.checkpoints
            .lock()
            .iter()
            .map(|(name, snapshot)| info(name, snapshot))
            .collect()
    }

    /// Puts the current world back to checkpoint `name`, with the gate closed meanwhile.
    async fn restore_checkpoint(&self, name: &str) -> Result<(), SandboxError> {
        let snapshot = self
            .checkpoints
            .lock()
            .get(name)
            .cloned()
            .ok_or_else(|| SandboxError::NoCheckpoint(name.into()))?;
        let current = self.current.lock().await;
        let Some(world) = current.as_ref() else {
            return Err(SandboxError::NoCheckpoint(name.into()));
        };
        self.close_gate().await;
        let started = Instant::now();
        let restored = world.restore(&snapshot).await;
        let restored_in = started.elapsed();
        let persisted = match &restored {
            Ok(()) => self.persist_replaced(Replaced::Checkpoint(name)).await,
            Err(_) => Ok(()),
        };
        tracing::debug!(?restored_in, took = ?started.elapsed(), "checkpoint restored");
        self.ready.send_replace(true);
        restored?;
        persisted
    }

    /// A persistent sandbox's first start: writes the directory's files (settings, ready
    /// fields, baseline) and starts journaling.
    async fn start_persisting(
        &self,
        dir: StateDir,
        settings: Settings,
    ) -> Result<(), SandboxError> {
        let mut dir = dir;
        let fields = self.fields.read().clone();
        let Some(baseline) = self.baseline.lock().clone() else {
            return Err(SandboxError::NoBaseline);
        };
        let started = Instant::now();
        dir.create(&settings, &fields, &baseline)?;
        tracing::info!(dir = %dir.path().display(), took = ?started.elapsed(), "state directory created");
        *self.persist.lock().await = Some(Persist {
            dir,
            settings,
            applied_since: Duration::ZERO,
            snapshot_cost: started.elapsed(),
            unsettled: false,
            unsettled_changes: 0,
            writing: None,
            checkpoint_writes: Vec::new(),
        });
        Ok(())
    }

    /// After the world's whole state was replaced by the baseline or a checkpoint, with the
    /// gate closed: that snapshot's file becomes the latest snapshot (linked, not written
    /// again), so the journal starts again from it.
    async fn persist_replaced(&self, by: Replaced<'_>) -> Result<(), SandboxError> {
        let mut persist = self.persist.lock().await;
        let Some(p) = persist.as_mut() else {
            return Ok(());
        };
        p.checkpoints_written().await;
        let source = match by {
            Replaced::Baseline => p.dir.baseline_path(),
            Replaced::Checkpoint(name) => p.dir.checkpoint_path(name),
        };
        p.dir.snapshot_from(&source)?;
        p.applied_since = Duration::ZERO;
        // The restored state may hold push work (its push ran on settle only when saved).
        p.unsettled = true;
        self.settle_wanted.notify_one();
        Ok(())
    }

    /// Continues the world kept in a state directory: starts it with the kept settings,
    /// restores the latest snapshot and applies the journal's requests in their order, with
    /// the gate closed; then opens the gate.
    async fn resume(&self, resume: Resume) -> Result<(), SandboxError> {
        let started = Instant::now();
        let Resume {
            settings,
            ready,
            baseline,
            snapshot,
            records,
            checkpoints,
            dropped_bytes,
            dir,
        } = resume;
        if dropped_bytes > 0 {
            tracing::warn!(
                dir = %dir.path().display(),
                dropped_bytes,
                "the journal ended in a record cut short (the process was killed while \
                 writing it, before answering it); it was dropped"
            );
        }
        let mut current = self.current.lock().await;
        let world = World::start(self.config.clone()).await?;
        world.okta().push_on_settle_only(true);
        world.restore(&snapshot).await?;
        let restored = started.elapsed();
        let mut replayed = Replayed::default();
        let mut checkpoints = checkpoints;
        for (index, record) in records.iter().enumerate() {
            if let Some((name, tag)) = checkpoint_of(record) {
                // A checkpoint saved here: its file is the one saved, unless a kill cut the
                // write short; then it is saved again, at the same place.
                if dir.checkpoint_tag(&name).as_deref() != Some(tag.as_str()) {
                    let snapshot = world.snapshot().await;
                    dir.checkpoint_file(&name, Some(&tag)).write(&snapshot)?;
                    checkpoints.retain(|(n, _)| *n != name);
                    checkpoints.push((name, snapshot));
                    tracing::warn!(index, "a checkpoint's file was incomplete; saved again");
                }
                replayed.records += 1;
                continue;
            }
            let status = self.apply(record).await;
            replayed.records += 1;
            if status != record.status {
                replayed.diverged += 1;
                tracing::warn!(
                    index,
                    method = %record.method,
                    uri = %record.uri,
                    recorded = record.status,
                    replayed = status,
                    "a journaled request was answered differently on replay"
                );
            }
        }
        *self.fields.write() = ready;
        *self.baseline.lock() = Some(baseline);
        self.checkpoints.lock().extend(checkpoints);
        *current = Some(world);
        *self.persist.lock().await = Some(Persist {
            dir,
            settings,
            applied_since: started.elapsed().saturating_sub(restored),
            snapshot_cost: restored,
            // The journal may end before the push its last changes started: run it.
            unsettled: true,
            unsettled_changes: 0,
            writing: None,
            checkpoint_writes: Vec::new(),
        });
        self.settle_wanted.notify_one();
        self.ready.send_replace(true);
        tracing::info!(
            took = ?started.elapsed(),
            ?restored,
            records = replayed.records,
            diverged = replayed.diverged,
            "world continued from its state directory"
        );
        Ok(())
    }

    /// Applies one journaled request to the mounted service (replay, and the settler's
    /// settles), as [`forward`] applied it. Returns the status.
    async fn apply(&self, record: &Record) -> u16 {
        let Some(slot) = self.slot(record.front) else {
            return 0;
        };
        let Some(request) = request_of(record) else {
            return 0;
        };
        let Some(router) = slot.current() else {
            return 0;
        };
        match router.oneshot(request).await {
            Ok(response) => response.status().as_u16(),
            Err(never) => match never {},
        }
    }

    /// Runs Okta's SCIM push to the end if Okta changed since it last ran, and journals that
    /// it did (a `POST /_sim/okta/provisioning/settle` record), with `p`'s lock held: so a
    /// replay runs the push at the same place among the requests.
    async fn settle_journaled(&self, p: &mut Persist) -> Result<(), StateDirError> {
        if !p.unsettled {
            return Ok(());
        }
        let started = Instant::now();
        let mut record = Record {
            front: JournalFront::Okta,
            method: "POST".into(),
            uri: SETTLE_URI.into(),
            headers: Vec::new(),
            body: Vec::new(),
            status: 0,
        };
        record.status = self.apply(&record).await;
        p.dir.append(&record)?;
        p.unsettled = false;
        p.unsettled_changes = 0;
        p.applied_since += started.elapsed();
        Ok(())
    }

    /// Takes a snapshot if the journal has grown enough since the latest (see
    /// [`REPLAY_BUDGET`]) and none is being written: the push settled (journaled), the state
    /// read with requests held, the next journal started; the file is written on a blocking
    /// thread while requests go on.
    async fn maybe_snapshot(&self, p: &mut Persist) {
        p.checkpoint_writes.retain(|w| !w.is_finished());
        // A journal holding a checkpoint's save stays until that checkpoint's file is written.
        if p.applied_since < REPLAY_BUDGET.max(p.snapshot_cost * SNAPSHOT_COST_FACTOR)
            || p.writing.as_ref().is_some_and(|w| !w.is_finished())
            || !p.checkpoint_writes.is_empty()
        {
            return;
        }
        let Ok(current) = self.current.try_lock() else {
            return;
        };
        let Some(world) = current.as_ref() else {
            return;
        };
        let started = Instant::now();
        if let Err(error) = self.settle_journaled(p).await {
            tracing::error!(%error, "journaling the push before a snapshot");
            return;
        }
        let snapshot = world.snapshot().await;
        let pending = match p.dir.rotate() {
            Ok(pending) => pending,
            // The journal still holds everything: nothing is lost, the next try may work.
            Err(error) => {
                tracing::error!(%error, "starting the journal after a snapshot");
                return;
            }
        };
        p.applied_since = Duration::ZERO;
        p.snapshot_cost = started.elapsed();
        p.writing = Some(tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            match pending.write(&snapshot) {
                Ok(()) => tracing::debug!(took = ?started.elapsed(), "snapshot written"),
                // The journals since the previous snapshot are kept: nothing is lost.
                Err(error) => tracing::error!(%error, "writing a snapshot"),
            }
        }));
    }

    fn slot(&self, front: JournalFront) -> Option<&Mount> {
        let mounts = self.mounts()?;
        Some(match front {
            JournalFront::DnsApi => &mounts.dns_api,
            JournalFront::Okta => &mounts.okta,
            JournalFront::Kiro => &mounts.kiro,
        })
    }

    fn fields_of(&self, world: &World, documented: Option<&Documented>) -> Map<String, Value> {
        let mut fields = Map::new();
        fields.insert("event".into(), "ready".into());
        fields.insert("clock".into(), self.config.clock.as_str().into());
        fields.insert("seed".into(), self.config.seed.0.into());
        fields.extend(world.ready_fields());
        fields.insert("dns".into(), self.dns_field.clone().into());
        if let Some(kiro) = fields.get("kiro").and_then(Value::as_str) {
            let home = format!("{kiro}/_sim/home");
            fields.insert("home_url".into(), home.into());
        }
        if let Some(documented) = documented {
            fields.extend(documented.ready_fields());
        }
        fields
    }

    /// Waits for the gate to open (at most [`GATE_WAIT`]) and counts the request in.
    async fn admit(self: &Arc<Self>) -> Option<Admitted> {
        let mut ready = self.ready.subscribe();
        let deadline = tokio::time::Instant::now() + GATE_WAIT;
        loop {
            tokio::time::timeout_at(deadline, ready.wait_for(|open| *open))
                .await
                .ok()?
                .ok()?;
            self.in_flight.send_modify(|n| *n += 1);
            // A reset may have closed the gate between the wait and the count: then step back.
            if *self.ready.borrow() {
                return Some(Admitted(self.clone()));
            }
            self.in_flight.send_modify(|n| *n -= 1);
        }
    }
}

/// A request past the gate; counted out when dropped (answered, or the client went away).
struct Admitted(Arc<Inner>);

impl Drop for Admitted {
    fn drop(&mut self) {
        self.0.in_flight.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// One front server's state: the sandbox and the slot it forwards to.
#[derive(Clone)]
struct Front {
    inner: Weak<Inner>,
    slot: Mount,
    /// Which service, as the journal names it.
    which: JournalFront,
}

fn front_router(front: Front) -> Router {
    Router::new()
        .route("/_sim/ready", get(ready))
        .route("/_sim/reset", post(reset))
        .route(
            "/_sim/snapshots",
            get(list_checkpoints).post(save_checkpoint),
        )
        .route("/_sim/snapshots/{name}/restore", post(restore_checkpoint))
        .fallback(forward)
        .with_state(front)
}

fn unavailable(message: &str) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, "1")],
        axum::Json(json!({ "error": "unavailable", "message": message })),
    )
        .into_response()
}

async fn ready(State(front): State<Front>) -> Response {
    let Some(inner) = front.inner.upgrade() else {
        return unavailable("the sandbox is shutting down");
    };
    if !*inner.ready.borrow() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "1")],
            axum::Json(json!({ "ready": false })),
        )
            .into_response();
    }
    let mut body = inner.fields.read().clone();
    body.insert("ready".into(), true.into());
    axum::Json(body).into_response()
}

async fn reset(State(front): State<Front>) -> Response {
    let Some(inner) = front.inner.upgrade() else {
        return unavailable("the sandbox is shutting down");
    };
    let started = Instant::now();
    match inner.reset().await {
        Ok(()) => {
            let mut body = inner.fields.read().clone();
            body.insert("event".into(), "reset".into());
            body.insert(
                "took_ms".into(),
                json!(started.elapsed().as_secs_f64() * 1000.0),
            );
            axum::Json(body).into_response()
        }
        Err(error) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(json!({ "error": "reset_failed", "message": error.to_string() })),
        )
            .into_response(),
    }
}

/// A checkpoint name: 1 to 64 of `[A-Za-z0-9._-]`, starting with a letter or digit.
fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn info(name: &str, snapshot: &WorldSnapshot) -> CheckpointInfo {
    CheckpointInfo {
        name: name.to_string(),
        world_time: humantime::format_rfc3339_millis(snapshot.taken_at()).to_string(),
        bytes: snapshot.len(),
    }
}

fn checkpoint_error(error: SandboxError) -> Response {
    let (status, code) = match &error {
        SandboxError::BadName(_) => (StatusCode::BAD_REQUEST, "invalid_name"),
        SandboxError::NoCheckpoint(_) => (StatusCode::NOT_FOUND, "not_found"),
        SandboxError::Restore(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_state"),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "snapshot_failed"),
    };
    (
        status,
        axum::Json(json!({ "error": code, "message": error.to_string() })),
    )
        .into_response()
}

/// `GET /_sim/snapshots`: `{"snapshots":[{name, world_time, bytes}]}` by name.
async fn list_checkpoints(State(front): State<Front>) -> Response {
    let Some(inner) = front.inner.upgrade() else {
        return unavailable("the sandbox is shutting down");
    };
    axum::Json(json!({ "snapshots": inner.checkpoints() })).into_response()
}

/// `POST /_sim/snapshots` `{"name":…}`: saves the world now; `201` with the checkpoint.
async fn save_checkpoint(State(front): State<Front>, body: axum::body::Bytes) -> Response {
    #[derive(serde::Deserialize)]
    struct Body {
        name: String,
    }
    let Some(inner) = front.inner.upgrade() else {
        return unavailable("the sandbox is shutting down");
    };
    let name = match serde_json::from_slice::<Body>(&body) {
        Ok(body) => body.name,
        Err(error) => {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({
                    "error": "invalid_request",
                    "message": format!("expected {{\"name\": \"after-step-3\"}}: {error}"),
                })),
            )
                .into_response();
        }
    };
    let started = Instant::now();
    match inner.save_checkpoint(&name).await {
        Ok(info) => {
            let mut body = serde_json::to_value(info).unwrap_or_default();
            body["took_ms"] = json!(started.elapsed().as_secs_f64() * 1000.0);
            (StatusCode::CREATED, axum::Json(body)).into_response()
        }
        Err(error) => checkpoint_error(error),
    }
}

/// `POST /_sim/snapshots/{name}/restore`: puts the world back to the checkpoint.
async fn restore_checkpoint(
    State(front): State<Front>,
    axum::extract::Path(name): axum::extract::Path<String>,
) -> Response {
    let Some(inner) = front.inner.upgrade() else {
        return unavailable("the sandbox is shutting down");
    };
    let started = Instant::now();
    match inner.restore_checkpoint(&name).await {
        Ok(()) => axum::Json(json!({
            "event": "restored",
            "name": name,
            "took_ms": started.elapsed().as_secs_f64() * 1000.0,
        }))
        .into_response(),
        Err(error) => checkpoint_error(error),
    }
}

/// Everything else: through the gate (unless internal), then to the mounted service.
async fn forward(State(front): State<Front>, request: Request) -> Response {
    let Some(inner) = front.inner.upgrade() else {
        return unavailable("the sandbox is shutting down");
    };
    let admitted = if request.headers().contains_key(INTERNAL_HEADER) {
        None
    } else {
        match inner.admit().await {
            Some(admitted) => Some(admitted),
            None => return unavailable("the world is not ready (starting or resetting)"),
        }
    };
    if admitted.is_some() && inner.persistent {
        let response = journaled(&inner, &front, request).await;
        drop(admitted);
        return response;
    }
    drop(inner);
    let Some(router) = front.slot.current() else {
        return unavailable("the world is not started yet");
    };
    let response = match router.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    drop(admitted);
    response
}

/// An outside request to a persistent sandbox: applied while holding the journal (one at a
/// time, in the journal's order), with the SCIM push it starts run to the end, then written
/// to the journal, then answered. A snapshot follows when the journal has grown enough.
async fn journaled(inner: &Arc<Inner>, front: &Front, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let limit = journaled_body_limit(&parts.method, parts.uri.path());
    let body = match axum::body::to_bytes(body, limit).await {
        Ok(body) => body,
        Err(error) => {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                axum::Json(json!({
                    "error": "request_too_large",
                    "message": format!("the request body could not be read whole ({error}); at most {limit} bytes"),
                })),
            )
                .into_response();
        }
    };
    let mut record = Record {
        front: front.which,
        method: parts.method.as_str().to_string(),
        uri: parts.uri.to_string(),
        headers: parts
            .headers
            .iter()
            .filter(|(name, _)| !HOP_BY_HOP.contains(&name.as_str()))
            .map(|(name, value)| (name.as_str().to_string(), value.as_bytes().to_vec()))
            .collect(),
        body: body.to_vec(),
        status: 0,
    };
    let queued = Queued::join(&inner.queued);
    let mut persist = inner.persist.lock().await;
    drop(queued);
    let Some(router) = front.slot.current() else {
        return unavailable("the world is not started yet");
    };
    let started = Instant::now();
    let request = Request::from_parts(parts, axum::body::Body::from(body));
    let response = match router.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    record.status = response.status().as_u16();
    let Some(p) = persist.as_mut() else {
        return response;
    };
    p.applied_since += started.elapsed();
    if let Err(error) = p.dir.append(&record) {
        tracing::error!(%error, "a request was applied but could not be journaled");
        return (
            StatusCode::INSUFFICIENT_STORAGE,
            axum::Json(json!({
                "error": "state_not_saved",
                "message": format!("the request was applied but could not be saved: {error}"),
            })),
        )
            .into_response();
    }
    if front.which == JournalFront::Okta && !matches!(record.method.as_str(), "GET" | "HEAD") {
        p.unsettled = true;
        p.unsettled_changes += 1;
        inner.settle_wanted.notify_one();
    }
    inner.maybe_snapshot(p).await;
    drop(persist);
    response
}

/// A persistent sandbox's Okta pushes on settle only: this task runs the push soon after Okta
/// changed (after the requests already waiting, so one push covers them all), journaled as a
/// settle ([`Inner::settle_journaled`]).
async fn settler(inner: Weak<Inner>, wanted: Arc<tokio::sync::Notify>) {
    loop {
        wanted.notified().await;
        let Some(inner) = inner.upgrade() else {
            return;
        };
        let Some(admitted) = inner.admit().await else {
            continue;
        };
        let mut persist = inner.persist.lock().await;
        if let Some(p) = persist.as_ref()
            && p.unsettled
            && p.unsettled_changes < SETTLE_BATCH
            && inner.queued.load(Ordering::Acquire) > 0
        {
            // Requests are waiting: in after them (the lock is first come, first served).
            drop(persist);
            drop(admitted);
            wanted.notify_one();
            continue;
        }
        if let Some(p) = persist.as_mut()
            && let Err(error) = inner.settle_journaled(p).await
        {
            tracing::error!(%error, "the push ran but could not be journaled");
        }
        drop(persist);
        drop(admitted);
    }
}

/// An outside request waiting for the journal, counted in [`Inner::queued`] until dropped
/// (also when the client goes away while it waits).
struct Queued(Arc<AtomicUsize>);

impl Queued {
    fn join(queued: &Arc<AtomicUsize>) -> Queued {
        queued.fetch_add(1, Ordering::AcqRel);
        Queued(queued.clone())
    }
}

impl Drop for Queued {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A tag naming one checkpoint save (its journal record and its file's header): not world
/// state, so not from the world's seed.
fn checkpoint_tag() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SAVES: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{nanos:x}-{}-{}",
        std::process::id(),
        SAVES.fetch_add(1, Ordering::Relaxed)
    )
}

/// The journal record of checkpoint `name`'s save.
fn checkpoint_record(name: &str, tag: &str) -> Record {
    Record {
        front: JournalFront::Okta,
        method: "POST".into(),
        uri: CHECKPOINT_URI.into(),
        headers: Vec::new(),
        body: json!({ "name": name, "tag": tag }).to_string().into_bytes(),
        status: 201,
    }
}

/// The name and tag of a checkpoint save's record ([`checkpoint_record`]).
fn checkpoint_of(record: &Record) -> Option<(String, String)> {
    if record.method != "POST" || record.uri != CHECKPOINT_URI {
        return None;
    }
    let body: Value = serde_json::from_slice(&record.body).ok()?;
    Some((
        body.get("name")?.as_str()?.to_string(),
        body.get("tag")?.as_str()?.to_string(),
    ))
}

/// Headers of the connection, not of the request: not journaled.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "upgrade",
];

/// A journaled request as a request again.
fn request_of(record: &Record) -> Option<Request> {
    let mut builder = Request::builder()
        .method(record.method.as_str())
        .uri(record.uri.as_str());
    for (name, value) in &record.headers {
        builder = builder.header(name.as_str(), value.as_slice());
    }
    builder
        .body(axum::body::Body::from(record.body.clone()))
        .ok()
}
