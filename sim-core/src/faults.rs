//! Fault injection: rules that make a service answer a chosen status, answer late, drop the
//! connection or hang, for tool authors and trainees (issue 17, BEHAVIOURS.md SIM-FAULT-*).
//!
//! A [`FaultRule`] names a method (or any), a path pattern (a glob: `*` within one path segment,
//! `**` across segments, `?` one character, `{a,b}` alternatives) and a [`FaultAction`], for the
//! next `times` matching requests and/or with a `probability` per matching request. Each
//! service holds one [`Faults`] table; [`Faults::routes`] serves it at `/_sim/faults` and
//! [`Faults::layer`] is the middleware a service applies to its whole router, so a fault hits
//! outside clients and the world's own internal calls alike (Okta's SCIM push to Kiro, Kiro's
//! discovery and JWKS fetches from Okta). Paths under `/_sim/` are never faulted, so the fault
//! API, the clock, readiness, reset, state and snapshots always answer.
//!
//! Determinism: rule ids count up from `f1`; a probability is decided by a draw from the
//! service's own seed stream `faults/<service>`, one draw per probabilistic rule a request
//! matches, so the same seed and the same requests hit the same requests. Rules are not part
//! of a service's state document: [`Faults::reset`] (called by every state import, so by a
//! world restore and a sandbox reset) removes them all and restarts the stream.
//!
//! Latency and hang are wall time by nature (the fault is about the wire), and bounded:
//! latency at most [`MAX_LATENCY`]; a hang lasts until the client goes away, its rule is
//! removed, or [`HANG_LIMIT`] passes, and then ends like a drop. A *drop* closes the connection
//! without writing a response: the middleware answers with a [`DropConnection`] marker that
//! [`crate::http::serve`]'s connection service turns into an error, on which hyper closes the
//! connection (a router called in-process sees a `502` carrying the marker instead).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use globset::{GlobBuilder, GlobMatcher};
use parking_lot::Mutex;
use rand_core::RngCore;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::seed::{Seed, SimRng};

/// The longest latency a rule may add.
pub const MAX_LATENCY: Duration = Duration::from_secs(60);
/// The longest a hang lasts when neither the client goes away nor the rule is removed.
pub const HANG_LIMIT: Duration = Duration::from_secs(120);
/// The most rules one service holds.
pub const MAX_RULES: usize = 100;
/// The header a faulted answer carries (a `respond` rule's, or a delayed one's): the rule id.
pub const FAULT_HEADER: &str = "x-kiro-sim-fault";

/// One fault rule, as `POST /_sim/faults` takes it and every typed client sends it.
///
/// ```json
/// {"method":"POST","path":"/*/scim/v2/Users","times":2,
///  "action":{"respond":{"status":503,"headers":{"Retry-After":"30"}}}}
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// The HTTP method it applies to (`GET`, `POST`, …); absent or `*`: any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The request path pattern (no query string): a glob starting with `/`.
    pub path: String,
    /// What a hit request gets.
    pub action: FaultAction,
    /// Hit at most this many requests (then the rule is spent); absent: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    /// The chance that a matching request is hit (0 < p ≤ 1), drawn from the service's seed
    /// stream; absent: every matching request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
}

/// What a faulted request gets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultAction {
    /// Answer this instead of the service: `{"respond":{"status":503,"headers":{…},"body":…}}`.
    Respond(Respond),
    /// Let the service answer, after this much wall time: `{"latency":"1500ms"}`.
    Latency(#[serde(with = "humantime_serde_str")] Duration),
    /// Close the connection without an answer: `"drop"`.
    Drop,
    /// Keep the connection open without answering (until the client gives up, the rule is
    /// removed, or [`HANG_LIMIT`]), then close it: `"hang"`.
    Hang,
}

impl FaultAction {
    /// The action's kind as the API and pages name it: `respond`, `latency`, `drop`, `hang`.
    pub fn kind(&self) -> &'static str {
        match self {
            FaultAction::Respond(_) => "respond",
            FaultAction::Latency(_) => "latency",
            FaultAction::Drop => "drop",
            FaultAction::Hang => "hang",
        }
    }
}

/// The answer a `respond` rule gives.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Respond {
    /// The status code (200..=599).
    pub status: u16,
    /// Extra headers (`Retry-After`, `Content-Type`, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The body: a JSON string is sent as text (`text/plain` unless the headers say), any other
    /// JSON value as JSON (`application/json`); absent: empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
}

impl Respond {
    /// A bare status answer.
    pub fn status(status: u16) -> Respond {
        Respond {
            status,
            headers: BTreeMap::new(),
            body: None,
        }
    }

    /// The same answer with header `name: value` added.
    pub fn header(mut self, name: &str, value: &str) -> Respond {
        self.headers.insert(name.to_string(), value.to_string());
        self
    }
}

impl FaultRule {
    /// A rule for `method` (`"*"`: any) and `path` with `action`, on every matching request.
    pub fn new(method: &str, path: &str, action: FaultAction) -> FaultRule {
        FaultRule {
            method: (method != "*").then(|| method.to_string()),
            path: path.to_string(),
            action,
            times: None,
            probability: None,
        }
    }

    /// The same rule, for the next `n` matching requests only.
    pub fn times(mut self, n: u64) -> FaultRule {
        self.times = Some(n);
        self
    }

    /// The same rule, hitting each matching request with probability `p`.
    pub fn probability(mut self, p: f64) -> FaultRule {
        self.probability = Some(p);
        self
    }

    /// Checks the rule as `POST /_sim/faults` does (for a client that wants to refuse a bad
    /// rule before sending it, like the scenario parser); the error says what is wrong.
    pub fn check(&self) -> Result<(), FaultError> {
        self.compile().map(|_| ())
    }

    /// A one-line description: `POST /*/scim/v2/Users → respond 503 ×2`.
    pub fn describe(&self) -> String {
        let action = match &self.action {
            FaultAction::Respond(r) => format!("respond {}", r.status),
            FaultAction::Latency(d) => format!("latency {}", humantime::format_duration(*d)),
            other => other.kind().to_string(),
        };
        let mut text = format!(
            "{} {} → {action}",
            self.method.as_deref().unwrap_or("*"),
            self.path
        );
        if let Some(n) = self.times {
            text.push_str(&format!(" ×{n}"));
        }
        if let Some(p) = self.probability {
            text.push_str(&format!(" p={p}"));
        }
        text
    }

    /// Checks the rule and compiles its matcher; the error says what is wrong.
    fn compile(&self) -> Result<Compiled, FaultError> {
        let method = match self.method.as_deref().map(str::trim) {
            None | Some("*") => None,
            Some(m) => Some(
                Method::from_bytes(m.to_ascii_uppercase().as_bytes())
                    .map_err(|_| FaultError(format!("`method`: `{m}` is not an HTTP method")))?,
            ),
        };
        if !self.path.starts_with('/') {
            return Err(FaultError(format!(
                "`path`: `{}` must start with `/` (a pattern like `/*/scim/v2/Users/**`)",
                self.path
            )));
        }
        if self.path.starts_with("/_sim/") || self.path == "/_sim" {
            return Err(FaultError(
                "`path`: paths under /_sim/ are never faulted".to_string(),
            ));
        }
        let matcher = GlobBuilder::new(&self.path)
            .literal_separator(true)
            .build()
            .map_err(|error| FaultError(format!("`path`: {error}")))?
            .compile_matcher();
        if self.times == Some(0) {
            return Err(FaultError("`times` must be at least 1".to_string()));
        }
        if let Some(p) = self.probability
            && !(p > 0.0 && p <= 1.0)
        {
            return Err(FaultError(format!(
                "`probability` must be more than 0 and at most 1, got {p}"
            )));
        }
        match &self.action {
            FaultAction::Respond(respond) => {
                if !(200..=599).contains(&respond.status) {
                    return Err(FaultError(format!(
                        "`action.respond.status` must be 200..=599, got {}",
                        respond.status
                    )));
                }
                for (name, value) in &respond.headers {
                    HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                        FaultError(format!(
                            "`action.respond.headers`: bad header name `{name}`"
                        ))
                    })?;
                    HeaderValue::from_str(value).map_err(|_| {
                        FaultError(format!(
                            "`action.respond.headers`: bad value for `{name}`: `{value}`"
                        ))
                    })?;
                }
            }
            FaultAction::Latency(latency) => {
                if latency.is_zero() || *latency > MAX_LATENCY {
                    return Err(FaultError(format!(
                        "`action.latency` must be more than 0 and at most {}, got {}",
                        humantime::format_duration(MAX_LATENCY),
                        humantime::format_duration(*latency)
                    )));
                }
            }
            FaultAction::Drop | FaultAction::Hang => {}
        }
        Ok(Compiled { method, matcher })
    }
}

/// Why a rule was refused: `400 {"error":"invalid_fault","message":…}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FaultError(pub String);

/// A rule as `GET /_sim/faults` lists it (and `POST` answers it): the rule, its id, how many
/// more requests it may hit and how many it has hit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultView {
    /// `f1`, `f2`, … in the order the rules were added (since the last reset).
    pub id: String,
    /// The rule as given.
    #[serde(flatten)]
    pub rule: FaultRule,
    /// How many more requests it may hit; absent: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u64>,
    /// How many requests it has hit.
    pub hits: u64,
}

/// `GET /_sim/faults`: the service's rules in the order they were added.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultList {
    /// Which service (`okta`, `kiro`, `dns`).
    pub service: String,
    /// Its rules, spent ones included (with `remaining: 0`).
    pub rules: Vec<FaultView>,
}

/// The marker a response carries when its connection must be closed without an answer.
#[derive(Clone, Copy, Debug)]
pub struct DropConnection;

struct Compiled {
    method: Option<Method>,
    matcher: GlobMatcher,
}

struct Entry {
    view: FaultView,
    compiled: Compiled,
}

struct Table {
    rules: Vec<Entry>,
    next_id: u64,
    rng: SimRng,
}

struct Inner {
    service: String,
    stream: SimRng,
    table: Mutex<Table>,
    /// Bumped whenever rules are removed, so hanging requests look again.
    removed: watch::Sender<u64>,
}

/// A service's fault rules. Clones share the table.
#[derive(Clone)]
pub struct Faults(Arc<Inner>);

impl std::fmt::Debug for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Faults")
            .field("service", &self.0.service)
            .field("rules", &self.0.table.lock().rules.len())
            .finish()
    }
}

/// What a request gets, decided by [`Faults::decide`].
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// The rule's id.
    pub id: String,
    /// Its action.
    pub action: FaultAction,
}

impl Faults {
    /// An empty table for `service` (`okta`, `kiro`, `dns`), drawing from the seed stream
    /// `faults/<service>`.
    pub fn new(seed: Seed, service: &str) -> Faults {
        let stream = seed.stream(&format!("faults/{service}"));
        Faults(Arc::new(Inner {
            service: service.to_string(),
            table: Mutex::new(Table {
                rules: Vec::new(),
                next_id: 1,
                rng: stream.clone(),
            }),
            stream,
            removed: watch::Sender::new(0),
        }))
    }

    /// Which service the table belongs to.
    pub fn service(&self) -> &str {
        &self.0.service
    }

    /// Adds a rule after checking it; a refused rule adds nothing.
    pub fn add(&self, rule: FaultRule) -> Result<FaultView, FaultError> {
        let compiled = rule.compile()?;
        let mut table = self.0.table.lock();
        if table.rules.len() >= MAX_RULES {
            return Err(FaultError(format!(
                "a service holds at most {MAX_RULES} fault rules; remove some first"
            )));
        }
        let id = format!("f{}", table.next_id);
        table.next_id += 1;
        let view = FaultView {
            id,
            remaining: rule.times,
            hits: 0,
            rule,
        };
        table.rules.push(Entry {
            view: view.clone(),
            compiled,
        });
        tracing::info!(service = %self.0.service, id = %view.id, path = %view.rule.path, action = view.rule.action.kind(), "fault rule added");
        Ok(view)
    }

    /// The rules, in the order they were added.
    pub fn list(&self) -> FaultList {
        FaultList {
            service: self.0.service.clone(),
            rules: self
                .0
                .table
                .lock()
                .rules
                .iter()
                .map(|e| e.view.clone())
                .collect(),
        }
    }

    /// Removes rule `id`; whether there was one.
    pub fn remove(&self, id: &str) -> bool {
        let removed = {
            let mut table = self.0.table.lock();
            let before = table.rules.len();
            table.rules.retain(|e| e.view.id != id);
            table.rules.len() != before
        };
        if removed {
            self.0.removed.send_modify(|n| *n += 1);
        }
        removed
    }

    /// Removes every rule; how many there were. Ids keep counting up.
    pub fn clear(&self) -> usize {
        let n = std::mem::take(&mut self.0.table.lock().rules).len();
        self.0.removed.send_modify(|g| *g += 1);
        n
    }

    /// Removes every rule and starts afresh: ids from `f1`, the seed stream from its start
    /// (what a state import does, so a reset world faults like a new one).
    pub fn reset(&self) {
        {
            let mut table = self.0.table.lock();
            table.rules.clear();
            table.next_id = 1;
            table.rng = self.0.stream.clone();
        }
        self.0.removed.send_modify(|g| *g += 1);
    }

    /// Whether rule `id` is still in the table.
    fn contains(&self, id: &str) -> bool {
        self.0.table.lock().rules.iter().any(|e| e.view.id == id)
    }

    /// Decides what a `method` request for `path` gets: the first rule (in the order added)
    /// that matches, is not spent and, if probabilistic, wins its draw; it is counted.
    /// Paths under `/_sim/` never match.
    pub fn decide(&self, method: &Method, path: &str) -> Option<Hit> {
        if path.starts_with("/_sim/") || path == "/_sim" {
            return None;
        }
        let mut table = self.0.table.lock();
        let Table { rules, rng, .. } = &mut *table;
        for entry in rules.iter_mut() {
            if entry.view.remaining == Some(0)
                || entry.compiled.method.as_ref().is_some_and(|m| m != method)
                || !entry.compiled.matcher.is_match(path)
            {
                continue;
            }
            if let Some(p) = entry.view.rule.probability
                && unit_draw(rng) >= p
            {
                continue;
            }
            if let Some(remaining) = &mut entry.view.remaining {
                *remaining -= 1;
            }
            entry.view.hits += 1;
            return Some(Hit {
                id: entry.view.id.clone(),
                action: entry.view.rule.action.clone(),
            });
        }
        None
    }

    /// The `/_sim/faults` routes for this table: `GET` lists, `POST` adds (`201`), `DELETE`
    /// removes all; `DELETE /_sim/faults/{id}` removes one (`404` if unknown).
    pub fn routes(&self) -> Router {
        Router::new()
            .route(
                "/_sim/faults",
                get(list_rules).post(add_rule).delete(clear_rules),
            )
            .route("/_sim/faults/{id}", delete(remove_rule))
            .with_state(self.clone())
    }

    /// Applies the fault middleware to `router` (all its routes and its fallback: apply it
    /// last) and merges in [`routes`](Faults::routes).
    pub fn layer(&self, router: Router) -> Router {
        router
            .merge(self.routes())
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                middleware,
            ))
    }

    /// Waits until rule `id` is removed (or the table dropped).
    async fn removed(&self, id: &str) {
        let mut rx = self.0.removed.subscribe();
        let _ = rx.wait_for(|_| !self.contains(id)).await;
    }
}

/// A uniform draw in [0, 1) from 53 random bits.
fn unit_draw(rng: &mut SimRng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// The middleware: asks the table, then answers, delays, drops or hangs.
async fn middleware(State(faults): State<Faults>, request: Request, next: Next) -> Response {
    let Some(hit) = faults.decide(request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
    tracing::info!(
        service = %faults.service(),
        id = %hit.id,
        method = %request.method(),
        path = %request.uri().path(),
        action = hit.action.kind(),
        "fault injected"
    );
    match hit.action {
        FaultAction::Respond(respond) => respond_with(&hit.id, &respond),
        FaultAction::Latency(latency) => {
            tokio::time::sleep(latency).await;
            let mut response = next.run(request).await;
            if let Ok(value) = HeaderValue::from_str(&hit.id) {
                response.headers_mut().insert(FAULT_HEADER, value);
            }
            response
        }
        FaultAction::Drop => dropped(&hit.id),
        FaultAction::Hang => {
            // Ends early when the client goes away: hyper drops this future with the connection.
            let _ = tokio::time::timeout(HANG_LIMIT, faults.removed(&hit.id)).await;
            dropped(&hit.id)
        }
    }
}

fn respond_with(id: &str, respond: &Respond) -> Response {
    let (content_type, body) = match &respond.body {
        None => (None, Bytes::new()),
        Some(serde_json::Value::String(text)) => {
            (Some("text/plain; charset=utf-8"), Bytes::from(text.clone()))
        }
        Some(value) => (
            Some("application/json"),
            Bytes::from(serde_json::to_vec(value).unwrap_or_default()),
        ),
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() =
        StatusCode::from_u16(respond.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let headers = response.headers_mut();
    if let Some(content_type) = content_type {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    for (name, value) in &respond.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(name, value);
        }
    }
    if let Ok(value) = HeaderValue::from_str(id) {
        headers.insert(FAULT_HEADER, value);
    }
    response
}

/// A `502` carrying [`DropConnection`]: the server closes the connection instead of sending it.
fn dropped(id: &str) -> Response {
    let mut response = (
        StatusCode::BAD_GATEWAY,
        format!("connection dropped by fault {id}"),
    )
        .into_response();
    response.extensions_mut().insert(DropConnection);
    response
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "error": code, "message": message })),
    )
        .into_response()
}

async fn list_rules(State(faults): State<Faults>) -> Response {
    axum::Json(faults.list()).into_response()
}

async fn add_rule(
    State(faults): State<Faults>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(message) = crate::http::require_json(&headers) {
        return error(StatusCode::BAD_REQUEST, "invalid_fault", &message);
    }
    let rule: FaultRule = match serde_json::from_slice(&body) {
        Ok(rule) => rule,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_fault",
                &format!(
                    "expected a fault rule like {{\"method\":\"POST\",\"path\":\"/*/scim/v2/Users\",\"action\":{{\"respond\":{{\"status\":503}}}},\"times\":1}}: {e}"
                ),
            );
        }
    };
    match faults.add(rule) {
        Ok(view) => (StatusCode::CREATED, axum::Json(view)).into_response(),
        Err(e) => error(StatusCode::BAD_REQUEST, "invalid_fault", &e.0),
    }
}

async fn clear_rules(State(faults): State<Faults>) -> Response {
    let removed = faults.clear();
    axum::Json(serde_json::json!({ "removed": removed })).into_response()
}

async fn remove_rule(State(faults): State<Faults>, Path(id): Path<String>) -> Response {
    if faults.remove(&id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        error(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("no fault rule `{id}`"),
        )
    }
}

/// Serde for a [`Duration`] as a humantime string (`"1500ms"`, `"2s"`).
mod humantime_serde_str {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&humantime::format_duration(*d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        crate::clock::parse_duration(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> FaultAction {
        FaultAction::Respond(Respond::status(code))
    }

    // covers: SIM-FAULT-2
    #[test]
    fn matching_by_method_and_glob() {
        let faults = Faults::new(Seed(1), "kiro");
        faults
            .add(FaultRule::new("POST", "/*/scim/v2/Users", status(503)))
            .expect("rule");
        faults
            .add(FaultRule::new("*", "/oauth2/**", FaultAction::Drop))
            .expect("rule");
        let post = Method::POST;
        let get = Method::GET;
        assert_eq!(
            faults
                .decide(&post, "/t-1/scim/v2/Users")
                .map(|h| h.id)
                .as_deref(),
            Some("f1")
        );
        assert_eq!(faults.decide(&get, "/t-1/scim/v2/Users"), None, "method");
        assert_eq!(
            faults.decide(&post, "/t-1/scim/v2/Users/abc"),
            None,
            "`*` stays in its segment"
        );
        assert_eq!(faults.decide(&post, "/a/b/scim/v2/Users"), None);
        let deep = faults.decide(&get, "/oauth2/default/v1/keys").expect("hit");
        assert_eq!((deep.id.as_str(), deep.action), ("f2", FaultAction::Drop));
        // Method names are case-insensitive in the rule.
        faults
            .add(FaultRule::new("delete", "/x", status(500)))
            .expect("rule");
        assert!(faults.decide(&Method::DELETE, "/x").is_some());
        // /_sim/ is never faulted, even by a catch-all rule.
        faults
            .add(FaultRule::new("*", "/**", status(500)))
            .expect("rule");
        assert!(faults.decide(&get, "/anything").is_some());
        assert_eq!(faults.decide(&get, "/_sim/clock"), None);
        assert_eq!(faults.decide(&post, "/_sim/faults"), None);
    }

    // covers: SIM-FAULT-2
    #[test]
    fn counting_and_spent_rules() {
        let faults = Faults::new(Seed(1), "okta");
        faults
            .add(FaultRule::new("GET", "/a", status(503)).times(2))
            .expect("rule");
        faults
            .add(FaultRule::new("GET", "/a", status(429)))
            .expect("rule");
        let ids: Vec<String> = (0..4)
            .map(|_| faults.decide(&Method::GET, "/a").expect("hit").id)
            .collect();
        assert_eq!(ids, ["f1", "f1", "f2", "f2"]);
        let list = faults.list();
        assert_eq!(list.rules[0].remaining, Some(0));
        assert_eq!(list.rules[0].hits, 2);
        assert_eq!(list.rules[1].remaining, None);
        assert_eq!(list.rules[1].hits, 2);
        assert!(faults.remove("f2"));
        assert!(!faults.remove("f2"));
        assert_eq!(faults.decide(&Method::GET, "/a"), None);
        assert_eq!(faults.clear(), 1);
        let next = faults
            .add(FaultRule::new("GET", "/a", status(503)))
            .expect("rule");
        assert_eq!(next.id, "f3", "ids keep counting after a clear");
        faults.reset();
        let first = faults
            .add(FaultRule::new("GET", "/a", status(503)))
            .expect("rule");
        assert_eq!(first.id, "f1", "a reset starts the ids afresh");
    }

    // covers: SIM-FAULT-3
    #[test]
    fn probability_is_deterministic_per_seed() {
        let pattern = |seed: u64| -> Vec<bool> {
            let faults = Faults::new(Seed(seed), "kiro");
            faults
                .add(FaultRule::new("*", "/p", status(503)).probability(0.3))
                .expect("rule");
            (0..200)
                .map(|_| faults.decide(&Method::GET, "/p").is_some())
                .collect()
        };
        let a = pattern(7);
        assert_eq!(a, pattern(7), "same seed, same hits");
        assert_ne!(a, pattern(8), "another seed, other hits");
        let hits = a.iter().filter(|h| **h).count();
        assert!((35..=85).contains(&hits), "about 30% of 200: {hits}");
        // Another service's stream is independent of this one's.
        let other = Faults::new(Seed(7), "okta");
        other
            .add(FaultRule::new("*", "/p", status(503)).probability(0.3))
            .expect("rule");
        let b: Vec<bool> = (0..200)
            .map(|_| other.decide(&Method::GET, "/p").is_some())
            .collect();
        assert_ne!(a, b);
        // A reset restarts the stream: the same hits again.
        let faults = Faults::new(Seed(7), "kiro");
        for _ in 0..2 {
            faults.reset();
            faults
                .add(FaultRule::new("*", "/p", status(503)).probability(0.3))
                .expect("rule");
            let again: Vec<bool> = (0..200)
                .map(|_| faults.decide(&Method::GET, "/p").is_some())
                .collect();
            assert_eq!(again, a);
        }
        // times caps a probabilistic rule.
        let capped = Faults::new(Seed(7), "kiro");
        capped
            .add(
                FaultRule::new("*", "/p", status(503))
                    .probability(0.5)
                    .times(3),
            )
            .expect("rule");
        let n = (0..200)
            .filter(|_| capped.decide(&Method::GET, "/p").is_some())
            .count();
        assert_eq!(n, 3);
    }

    // covers: SIM-FAULT-1
    #[test]
    fn bad_rules_are_refused() {
        let faults = Faults::new(Seed(1), "dns");
        let cases = [
            (FaultRule::new("P OST", "/a", FaultAction::Drop), "method"),
            (
                FaultRule::new("GET", "a", FaultAction::Drop),
                "start with `/`",
            ),
            (
                FaultRule::new("GET", "/_sim/clock", FaultAction::Drop),
                "never faulted",
            ),
            (FaultRule::new("GET", "/a[", FaultAction::Drop), "`path`"),
            (
                FaultRule::new("GET", "/a", FaultAction::Drop).times(0),
                "`times`",
            ),
            (
                FaultRule::new("GET", "/a", FaultAction::Drop).probability(0.0),
                "`probability`",
            ),
            (
                FaultRule::new("GET", "/a", FaultAction::Drop).probability(1.5),
                "`probability`",
            ),
            (FaultRule::new("GET", "/a", status(99)), "status"),
            (
                FaultRule::new(
                    "GET",
                    "/a",
                    FaultAction::Respond(Respond::status(503).header("Retry After", "1")),
                ),
                "header name",
            ),
            (
                FaultRule::new("GET", "/a", FaultAction::Latency(Duration::from_secs(61))),
                "latency",
            ),
            (
                FaultRule::new("GET", "/a", FaultAction::Latency(Duration::ZERO)),
                "latency",
            ),
        ];
        for (rule, needle) in cases {
            let error = faults.add(rule.clone()).expect_err("refused");
            assert!(error.0.contains(needle), "{rule:?}: {error}");
        }
        assert!(faults.list().rules.is_empty(), "nothing stored");
        for n in 0..MAX_RULES {
            faults
                .add(FaultRule::new("GET", &format!("/r{n}"), FaultAction::Drop))
                .expect("within the limit");
        }
        let over = faults
            .add(FaultRule::new("GET", "/one-more", FaultAction::Drop))
            .expect_err("over the limit");
        assert!(over.0.contains("at most 100"), "{over}");
        assert_eq!(faults.list().rules.len(), MAX_RULES);
    }

    #[test]
    fn wire_format() {
        let rule: FaultRule = serde_json::from_str(
            r#"{"method":"POST","path":"/*/scim/v2/Users","times":2,
                "action":{"respond":{"status":429,"headers":{"Retry-After":"30"},"body":{"detail":"slow down"}}}}"#,
        )
        .expect("parses");
        assert_eq!(
            rule.action,
            FaultAction::Respond(Respond {
                status: 429,
                headers: [("Retry-After".to_string(), "30".to_string())].into(),
                body: Some(serde_json::json!({"detail":"slow down"})),
            })
        );
        let latency: FaultRule =
            serde_json::from_str(r#"{"path":"/a","action":{"latency":"1500ms"}}"#).expect("ok");
        assert_eq!(
            latency.action,
            FaultAction::Latency(Duration::from_millis(1500))
        );
        let hang: FaultRule = serde_json::from_str(r#"{"path":"/a","action":"hang"}"#).expect("ok");
        assert_eq!(hang.action, FaultAction::Hang);
        let text = serde_json::to_string(&latency).expect("json");
        assert_eq!(text, r#"{"path":"/a","action":{"latency":"1s 500ms"}}"#);
        assert!(serde_json::from_str::<FaultRule>(r#"{"path":"/a","action":"explode"}"#).is_err());
        assert!(
            serde_json::from_str::<FaultRule>(r#"{"path":"/a","action":"drop","count":1}"#)
                .is_err()
        );
    }
}
