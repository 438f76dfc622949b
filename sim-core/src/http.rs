//! Serving axum routers over plain http or https, and the `/_sim/clock` routes.
//!
//! [`serve`] runs an accept loop on the current tokio runtime and serves each connection with
//! hyper (HTTP/1.1), after a TLS handshake when given a rustls [`ServerConfig`] (see
//! [`crate::tls::WorldCa::server_config`]). It returns an [`HttpServer`] handle: its
//! [`url`](HttpServer::url) is what clients are told, and [`shutdown`](HttpServer::shutdown)
//! stops accepting and lets in-flight requests finish (for at most [`SHUTDOWN_GRACE`]).
//! Dropping the handle also stops the accept loop.
//!
//! A service can also be *mounted* ([`mount`], a [`Mount`]) instead of serving its own
//! listener: its router goes into a slot that a front server owned by someone else (a
//! `sim_world::sandbox::Sandbox`) forwards requests to, under a base URL fixed in advance. That
//! is how a world is restarted behind listeners that stay bound.
//!
//! [`clock_routes`] is the router every service merges in so the world's clock can be read
//! (`GET /_sim/clock`) and moved (`POST /_sim/clock/advance` with `{"by":"24h"}`).

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use rustls::ServerConfig;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;
use tracing::debug;

use crate::clock::Clock;

/// How long [`HttpServer::shutdown`] lets in-flight connections finish before closing them.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How long the accept loop backs off after a failed `accept` (say, out of file descriptors),
/// so a persistent failure does not spin.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(50);

/// The latest instant an RFC 3339 timestamp can spell: 9999-12-31T23:59:59.999Z.
const LATEST_UNIX_MS: u128 = 253_402_300_800_000 - 1;

/// Header the world's own callers (its setup's admin clients, Okta's SCIM push, Kiro's
/// discovery and JWKS fetches) send, so a sandbox's readiness gate lets them through while the
/// world is being set up; every other request waits until the world is ready.
pub const INTERNAL_HEADER: &str = "x-kiro-sim-internal";

/// The base URL clients are told for a listener on `addr`, without a trailing slash:
/// `{scheme}://{host}:{port}` with `host` the advertised host when given (a name or an address;
/// an IPv6 address gets its brackets), else as [`HttpServer::url`] describes.
pub fn base_url(addr: SocketAddr, tls: bool, advertised_host: Option<&str>) -> String {
    let port = addr.port();
    let scheme = if tls { "https" } else { "http" };
    if let Some(host) = advertised_host {
        return if host.contains(':') && !host.starts_with('[') {
            format!("{scheme}://[{host}]:{port}")
        } else {
            format!("{scheme}://{host}:{port}")
        };
    }
    match addr.ip() {
        IpAddr::V4(ip) if ip == Ipv4Addr::LOCALHOST || ip.is_unspecified() => {
            let host = if tls { "localhost" } else { "127.0.0.1" };
            format!("{scheme}://{host}:{port}")
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            format!(
                "{scheme}://{}",
                SocketAddr::new(Ipv6Addr::LOCALHOST.into(), port)
            )
        }
        ip => format!("{scheme}://{}", SocketAddr::new(ip, port)),
    }
}

/// A slot a service's router is mounted in, with the base URL the service is reached at.
///
/// Clones share the slot. The owner of the listener (a front server) takes the current router
/// with [`current`](Mount::current) for each request; [`mount`] puts a new one in, replacing
/// the previous service.
#[derive(Clone, Debug)]
pub struct Mount {
    url: String,
    local_addr: SocketAddr,
    tls: bool,
    router: Arc<parking_lot::RwLock<Option<Router>>>,
}

impl Mount {
    /// An empty slot for a service reached at `url` (no trailing slash), served by a listener
    /// bound to `local_addr`, over TLS or not.
    pub fn new(url: String, local_addr: SocketAddr, tls: bool) -> Mount {
        Mount {
            url,
            local_addr,
            tls,
            router: Arc::new(parking_lot::RwLock::new(None)),
        }
    }

    /// The base URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The router mounted now, if any.
    pub fn current(&self) -> Option<Router> {
        self.router.read().clone()
    }
}

/// Mounts `router` in `slot` (replacing what was there) and returns a handle like [`serve`]'s:
/// its URL is the slot's; shutting it down or dropping it does nothing (the slot's owner
/// decides when the next service replaces it).
pub fn mount(slot: &Mount, router: Router) -> HttpServer {
    *slot.router.write() = Some(router);
    HttpServer {
        local_addr: slot.local_addr,
        tls: slot.tls,
        url: Some(slot.url.clone()),
        running: None,
    }
}

/// A running server started by [`serve`] (or mounted by [`mount`]).
///
/// Dropping it stops the accept loop (in-flight connections are still given
/// [`SHUTDOWN_GRACE`] to finish, in the background); [`shutdown`](HttpServer::shutdown) does
/// the same and waits for it.
#[derive(Debug)]
pub struct HttpServer {
    local_addr: SocketAddr,
    tls: bool,
    /// The URL clients are told, when fixed in advance (a mounted service).
    url: Option<String>,
    /// Its own accept loop; `None` for a mounted service.
    running: Option<Running>,
}

/// The accept loop of a server that serves its own listener.
#[derive(Debug)]
struct Running {
    /// Sending (or dropping) this stops the accept loop.
    stop: oneshot::Sender<()>,
    /// The accept loop, which ends once it has drained its connections.
    task: JoinHandle<()>,
}

impl HttpServer {
    /// The address the listener is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The base URL clients should use, without a trailing slash: `http://127.0.0.1:PORT`, or
    /// `https://localhost:PORT` with TLS (so the name matches the certificate). A listener on
    /// another address is named by that address (`http://[::1]:PORT`); an unspecified address
    /// (`0.0.0.0`, `::`) is named by the loopback address of its family. A mounted service's
    /// URL is its [`Mount`]'s.
    pub fn url(&self) -> String {
        match &self.url {
            Some(url) => url.clone(),
            None => base_url(self.local_addr, self.tls, None),
        }
    }

    /// Whether connections are served over TLS.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Stops accepting connections and waits until in-flight ones have finished (at most
    /// [`SHUTDOWN_GRACE`]; any still open then are closed).
    pub async fn shutdown(self) {
        let HttpServer {
            local_addr,
            running,
            ..
        } = self;
        let Some(Running { stop, task }) = running else {
            return;
        };
        // An error means the loop is already gone; there is nothing to stop.
        let _ = stop.send(());
        if let Err(error) = task.await {
            debug!(%local_addr, %error, "http accept loop ended abnormally");
        }
    }
}

/// Puts `router` in `slot` when a front server owns the socket (a sandbox), or binds `addr` and
/// [`serve`]s it there: how every service starts its HTTP side.
pub async fn serve_at(
    addr: std::net::SocketAddr,
    slot: Option<&Mount>,
    router: Router,
    tls: Option<Arc<ServerConfig>>,
) -> std::io::Result<HttpServer> {
    match slot {
        Some(slot) => Ok(mount(slot, router)),
        None => serve(TcpListener::bind(addr).await?, router, tls).await,
    }
}

/// Serves `router` on `listener` until the returned [`HttpServer`] is shut down or dropped.
///
/// Spawns the accept loop on the current tokio runtime (so it must be called from within
/// one). With `tls`, each connection is served after a TLS handshake; failed handshakes and
/// connection errors are logged at debug level and never end the loop.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<Arc<ServerConfig>>,
) -> std::io::Result<HttpServer> {
    let local_addr = listener.local_addr()?;
    let is_tls = tls.is_some();
    let acceptor = tls.map(TlsAcceptor::from);
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(accept_loop(listener, router, acceptor, stopped));
    debug!(%local_addr, tls = is_tls, "http server listening");
    Ok(HttpServer {
        local_addr,
        tls: is_tls,
        url: None,
        running: Some(Running { stop, task }),
    })
}

/// Accepts connections until `stopped` resolves (a stop was sent, or the handle dropped),
/// then drains them.
async fn accept_loop(
    listener: TcpListener,
    router: Router,
    acceptor: Option<TlsAcceptor>,
    mut stopped: oneshot::Receiver<()>,
) {
    let builder = Arc::new(Builder::new(TokioExecutor::new()).http1_only());
    let graceful = GracefulShutdown::new();
    // Tells connections still in their TLS handshake to give up once shutdown begins.
    let (stopping, _) = watch::channel(false);
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let conn = Connection {
                        peer,
                        router: router.clone(),
                        builder: builder.clone(),
                        watcher: graceful.watcher(),
                        stopping: stopping.subscribe(),
                    };
                    connections.spawn(conn.run(stream, acceptor.clone()));
                }
                Err(error) => {
                    debug!(%error, "accepting a connection failed");
                    tokio::time::sleep(ACCEPT_ERROR_BACKOFF).await;
                }
            },
        }
        // Reap finished connection tasks so the set does not grow.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    stopping.send_replace(true);
    drain(graceful, connections).await;
}

/// Lets watched connections finish for up to [`SHUTDOWN_GRACE`], then aborts whatever is left.
async fn drain(graceful: GracefulShutdown, mut connections: JoinSet<()>) {
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        debug!(
            open = connections.len(),
            "connections still open after the shutdown grace period; closing them"
        );
    }
    connections.shutdown().await;
}

/// One accepted connection and what it needs to be served.
struct Connection {
    peer: SocketAddr,
    router: Router,
    builder: Arc<Builder<TokioExecutor>>,
    watcher: Watcher,
    stopping: watch::Receiver<bool>,
}

impl Connection {
    /// Serves the connection, after a TLS handshake when `acceptor` is given.
    async fn run(mut self, stream: TcpStream, acceptor: Option<TlsAcceptor>) {
        let Some(acceptor) = acceptor else {
            return self.serve(stream).await;
        };
        let handshake = tokio::select! {
            result = acceptor.accept(stream) => result,
            _ = self.stopping.wait_for(|stopping| *stopping) => {
                debug!(peer = %self.peer, "server shutting down; TLS handshake abandoned");
                return;
            }
        };
        match handshake {
            Ok(stream) => self.serve(stream).await,
            Err(error) => debug!(peer = %self.peer, %error, "TLS handshake failed"),
        }
    }

    /// Serves HTTP on `io` until the client is done or a graceful shutdown closes it.
    async fn serve<I>(self, io: I)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let router = self.router;
        // A fault's `DropConnection` marker becomes a service error, on which hyper closes the
        // connection without writing a response (SIM-FAULT-6).
        let service = TowerToHyperService::new(tower::service_fn(
            move |request: axum::http::Request<hyper::body::Incoming>| {
                let router = router.clone();
                async move {
                    let response = match router.oneshot(request).await {
                        Ok(response) => response,
                        Err(never) => match never {},
                    };
                    if response
                        .extensions()
                        .get::<crate::faults::DropConnection>()
                        .is_some()
                    {
                        return Err(ConnectionDropped);
                    }
                    Ok(response)
                }
            },
        ));
        let conn = self.builder.serve_connection(TokioIo::new(io), service);
        if let Err(error) = self.watcher.watch(conn).await {
            debug!(peer = %self.peer, %error, "http connection ended with an error");
        }
    }
}

/// The error that tells hyper to close a connection without answering (a `drop` or `hang`
/// fault).
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by a fault rule")]
struct ConnectionDropped;

// ---------------------------------------------------------------------------------------------
// The clock routes.

/// The router for the world's clock: `GET /_sim/clock` reads it, `POST /_sim/clock/advance`
/// with a JSON body `{"by":"24h"}` (a humantime duration: `90s`, `1h 30m`, `7days`) moves it
/// forward, running every job that falls due. Both answer with the clock's state:
/// `{"mode":"virtual","now":"2026-01-01T00:00:00.000Z","unix_ms":1767225600000,"pending_jobs":1,
/// "pending":[{"due":"2026-01-01T00:10:00.000Z","label":"domain check of the pending domains"}]}`.
///
/// Bad requests get `400 {"error":"invalid_request","message":"..."}` and leave the clock
/// alone.
pub fn clock_routes(clock: Clock) -> Router {
    Router::new()
        .route("/_sim/clock", get(get_clock))
        .route("/_sim/clock/advance", post(advance_clock))
        .with_state(clock)
}

/// What both clock routes answer.
#[derive(Debug, Serialize)]
struct ClockStatus {
    mode: &'static str,
    /// RFC 3339 with milliseconds; `null` only if the clock is outside years 1970..=9999.
    now: Option<String>,
    unix_ms: i128,
    pending_jobs: usize,
    /// The jobs waiting, in the order they will run: `{due, label}`.
    pending: Vec<PendingJob>,
    /// Jobs that outran the clock's wall limit and still run in the background (SIM-CLOCK-2).
    in_flight_jobs: usize,
    /// Advance only: what went wrong on the wall clock during it (calls that timed out, jobs
    /// left in flight), one line each.
    #[serde(skip_serializing_if = "Option::is_none")]
    incidents: Option<Vec<String>>,
}

impl ClockStatus {
    fn new(clock: &Clock, now: SystemTime) -> ClockStatus {
        ClockStatus {
            mode: clock.mode().as_str(),
            now: format_rfc3339_millis(now),
            unix_ms: unix_ms(now),
            pending_jobs: clock.pending_jobs(),
            pending: clock
                .pending()
                .into_iter()
                .map(|(due, label)| PendingJob {
                    due: format_rfc3339_millis(due),
                    label,
                })
                .collect(),
            in_flight_jobs: clock.in_flight_jobs(),
            incidents: None,
        }
    }
}

/// One waiting job, as the clock routes list it.
#[derive(Debug, Serialize)]
struct PendingJob {
    /// RFC 3339 with milliseconds.
    due: Option<String>,
    /// What the job will do (`seat grant for ada@example.com`, `domain check`).
    label: String,
}

/// The body `POST /_sim/clock/advance` takes.
#[derive(Debug, Deserialize)]
struct AdvanceRequest {
    by: String,
}

async fn get_clock(State(clock): State<Clock>) -> axum::Json<ClockStatus> {
    axum::Json(ClockStatus::new(&clock, clock.now()))
}

async fn advance_clock(
    State(clock): State<Clock>,
    AdvanceBy(by): AdvanceBy,
) -> Result<axum::Json<ClockStatus>, ApiError> {
    check_advance_in_range(&clock, by)?;
    let report = clock.advance_report(by).await;
    debug!(by = %humantime::format_duration(by), "clock advanced over http");
    let mut status = ClockStatus::new(&clock, report.now.unwrap_or_else(|| clock.now()));
    status.in_flight_jobs = report.in_flight_jobs;
    status.incidents = Some(report.incidents);
    Ok(axum::Json(status))
}

/// Refuses an advance that would take the clock past what a timestamp can spell (year 9999),
/// or past what `SystemTime` can hold.
fn check_advance_in_range(clock: &Clock, by: Duration) -> Result<(), ApiError> {
    let in_range = clock
        .now()
        .checked_add(by)
        .and_then(|target| target.duration_since(SystemTime::UNIX_EPOCH).ok())
        .is_some_and(|since_epoch| since_epoch.as_millis() <= LATEST_UNIX_MS);
    if in_range {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "advancing by {} would move the clock past the end of the year 9999",
            humantime::format_duration(by)
        )))
    }
}

/// Extracts the duration of an advance request from a JSON body, rejecting anything else with
/// an [`ApiError`] (axum's own `Json` extractor would answer in plain text).
struct AdvanceBy(Duration);

impl<S: Send + Sync> FromRequest<S> for AdvanceBy {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        check_json_content_type(req.headers())?;
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|rejection: BytesRejection| ApiError {
                status: rejection.status(),
                message: format!("could not read the request body: {}", rejection.body_text()),
            })?;
        parse_advance(&body).map(AdvanceBy)
    }
}

/// `Ok` when the request says `Content-Type: application/json` (or `…+json`); else the message
/// a `400` gives.
pub(crate) fn require_json(headers: &HeaderMap) -> Result<(), String> {
    check_json_content_type(headers).map_err(|error| error.message)
}

fn check_json_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    if content_type.is_some_and(is_json_media_type) {
        return Ok(());
    }
    let got = match content_type {
        Some(value) => format!("got `{value}`"),
        None => "none was given".to_string(),
    };
    Err(ApiError::invalid(format!(
        "expected `Content-Type: application/json`; {got}"
    )))
}

/// `application/json` or `application/<something>+json`, parameters (`; charset=utf-8`)
/// allowed, case-insensitively.
fn is_json_media_type(value: &str) -> bool {
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|subtype| subtype.ends_with("+json"))
}

/// Parses `{"by":"<humantime duration>"}`.
fn parse_advance(body: &[u8]) -> Result<Duration, ApiError> {
    const EXAMPLE: &str = r#"{"by":"24h"}"#;
    let request: AdvanceRequest = serde_json::from_slice(body).map_err(|error| {
        use serde_json::error::Category;
        ApiError::invalid(match error.classify() {
            Category::Eof if body.iter().all(u8::is_ascii_whitespace) => {
                format!("the request body is empty; expected JSON like {EXAMPLE}")
            }
            Category::Syntax | Category::Eof | Category::Io => {
                format!(
                    "the request body is not valid JSON ({error}); expected JSON like {EXAMPLE}"
                )
            }
            Category::Data => {
                format!("expected a JSON object like {EXAMPLE}: {error}")
            }
        })
    })?;
    crate::clock::parse_duration(&request.by)
        .map_err(|error| ApiError::invalid(format!("`by`: {error}")))
}

/// An error answer of the sim routes: `{"error":"invalid_request","message":"..."}`.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    /// A 400 `invalid_request`.
    fn invalid(message: String) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message,
        }
    }
}

#[derive(Serialize)]
struct ApiErrorBody<'a> {
    error: &'static str,
    message: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ApiErrorBody {
            error: "invalid_request",
            message: &self.message,
        };
        (self.status, axum::Json(body)).into_response()
    }
}

/// RFC 3339 with milliseconds (`2026-01-01T00:00:00.000Z`), or `None` outside the years
/// 1970..=9999 that humantime can format (it would panic).
fn format_rfc3339_millis(time: SystemTime) -> Option<String> {
    let since_epoch = time.duration_since(SystemTime::UNIX_EPOCH).ok()?;
    if since_epoch.as_millis() > LATEST_UNIX_MS {
        return None;
    }
    let mut text = String::new();
    write!(text, "{}", humantime::format_rfc3339_millis(time)).ok()?;
    Some(text)
}

/// Milliseconds since the Unix epoch, negative before it.
fn unix_ms(time: SystemTime) -> i128 {
    match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i128::try_from(after.as_millis()).unwrap_or(i128::MAX),
        Err(before) => i128::try_from(before.duration().as_millis())
            .map(|ms| -ms)
            .unwrap_or(i128::MIN),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_media_types() {
        assert!(is_json_media_type("application/json"));
        assert!(is_json_media_type("Application/JSON; charset=utf-8"));
        assert!(is_json_media_type("application/merge-patch+json"));
        assert!(!is_json_media_type("text/plain"));
        assert!(!is_json_media_type("application/x-www-form-urlencoded"));
        assert!(!is_json_media_type("json"));
    }

    #[test]
    fn advance_bodies() {
        assert_eq!(
            parse_advance(br#"{"by":"1h 30m"}"#).expect("ok"),
            Duration::from_secs(5400)
        );
        assert_eq!(
            parse_advance(br#"{"by":"7days"}"#).expect("ok"),
            Duration::from_secs(7 * 86_400)
        );
        let empty = parse_advance(b"").expect_err("empty");
        assert!(empty.message.contains("empty"), "{}", empty.message);
        let syntax = parse_advance(b"{by: 1h}").expect_err("syntax");
        assert!(
            syntax.message.contains("not valid JSON"),
            "{}",
            syntax.message
        );
        let missing = parse_advance(b"{}").expect_err("missing");
        assert!(missing.message.contains("`by`"), "{}", missing.message);
        let number = parse_advance(br#"{"by":3600}"#).expect_err("number");
        assert!(number.message.contains("expected a JSON object like"));
        let bad = parse_advance(br#"{"by":"soon"}"#).expect_err("duration");
        assert!(bad.message.contains("`soon`"), "{}", bad.message);
    }

    #[test]
    fn timestamps() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_767_225_600_123);
        assert_eq!(
            format_rfc3339_millis(t).as_deref(),
            Some("2026-01-01T00:00:00.123Z")
        );
        assert_eq!(unix_ms(t), 1_767_225_600_123);
        let before = SystemTime::UNIX_EPOCH - Duration::from_millis(5);
        assert_eq!(format_rfc3339_millis(before), None);
        assert_eq!(unix_ms(before), -5);
        let far = SystemTime::UNIX_EPOCH + Duration::from_secs(253_402_300_800);
        assert_eq!(format_rfc3339_millis(far), None);
    }

    fn server(addr: &str, tls: bool) -> HttpServer {
        let (stop, _) = oneshot::channel();
        HttpServer {
            local_addr: addr.parse().expect("addr"),
            tls,
            url: None,
            running: Some(Running {
                stop,
                task: tokio::spawn(async {}),
            }),
        }
    }

    #[tokio::test]
    async fn urls() {
        assert_eq!(server("127.0.0.1:80", false).url(), "http://127.0.0.1:80");
        assert_eq!(server("127.0.0.1:443", true).url(), "https://localhost:443");
        assert_eq!(server("0.0.0.0:8443", true).url(), "https://localhost:8443");
        assert_eq!(server("[::1]:8080", false).url(), "http://[::1]:8080");
        assert_eq!(server("[::]:8080", true).url(), "https://[::1]:8080");
        assert_eq!(server("10.0.0.5:81", true).url(), "https://10.0.0.5:81");
    }

    #[test]
    fn advertised_hosts() {
        let any: SocketAddr = "0.0.0.0:17080".parse().expect("addr");
        assert_eq!(
            base_url(any, false, Some("kiro-sim")),
            "http://kiro-sim:17080"
        );
        assert_eq!(
            base_url(any, true, Some("192.0.2.7")),
            "https://192.0.2.7:17080"
        );
        assert_eq!(base_url(any, false, Some("::1")), "http://[::1]:17080");
        assert_eq!(base_url(any, false, Some("[::1]")), "http://[::1]:17080");
        assert_eq!(base_url(any, false, None), "http://127.0.0.1:17080");
    }
}
