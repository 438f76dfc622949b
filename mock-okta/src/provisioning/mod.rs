//! The push engine (BEHAVIOURS.md OKTA-PROV-3..7): drains the core's push tasks over HTTP.
//!
//! - [`kick`]: after a change that left a push resource runnable (the middleware asks the
//!   core, `Org::push_runnable`, after every mutating request) a drain starts, unless one is
//!   already due: single-flight per org. An org told
//!   to push on settle only (a sandbox with a state directory, which journals when the push
//!   runs) starts none: only settles and retry jobs drain.
//! - [`drain`]: takes up to `push_concurrency` tasks from the core (at most one per resource,
//!   so calls to one resource stay in order), makes the calls concurrently with reqwest as
//!   Okta's SCIM client does (`Authorization: Bearer`, `application/scim+json`, `User-Agent:
//!   Okta SCIM Client 1.0.0`), then records the outcomes **in the order the tasks were taken**
//!   (so the System Log does not depend on which answer came first), and repeats until no
//!   resource is runnable now. The org lock is never held during I/O.
//! - Failed calls come back from the core with the time of their next attempt; a job on the
//!   world clock at that time runs a drain and awaits it, so `POST /_sim/clock/advance`
//!   returns only after the retries due in its span have run (a 2-hour outage passes in
//!   microseconds, deterministically).
//! - [`test_credentials`]: "Test API Credentials", shared by the management API
//!   (`crate::api::provisioning`) and the Admin Console.
//! - [`sim_routes`]: `/_sim/okta/provisioning/settle`, which awaits a drain: when it answers,
//!   only tasks waiting for a retry time remain.
//!
//! Determinism: Okta's side records outcomes in task order; a target that numbers resources
//! in arrival order (mock-kiro) may still see the calls of one wave in any order. Set
//! `push_concurrency` to 1 for byte-identical worlds.

pub mod scim;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use serde_json::Value;

use crate::Shared;
use crate::core::OktaError;
use crate::core::provisioning::{PushBacklog, PushTask};
use scim::{Answer, CallFailure};

/// How a transport error that is a timeout ends (see [`transport_error`]).
const TIMED_OUT: &str = "timed out";
/// What Okta's SCIM client calls itself.
pub(crate) const SCIM_USER_AGENT: &str = "Okta SCIM Client 1.0.0";
/// SCIM's media type.
pub(crate) const SCIM_JSON: &str = "application/scim+json";

/// The engine's state, one per org.
pub(crate) struct Engine {
    http: reqwest::Client,
    /// Held by the one drain running.
    running: tokio::sync::Mutex<()>,
    /// A drain has been asked for and has not started yet.
    kicked: AtomicBool,
    /// Changes start no drain: only a settle and retry jobs push ([`crate::MockOkta::push_on_settle_only`]).
    on_settle_only: AtomicBool,
    /// Times a retry job is already scheduled for.
    scheduled: parking_lot::Mutex<BTreeSet<SystemTime>>,
    concurrency: usize,
    /// Wall-time bound of one call.
    timeout: Duration,
}

impl Engine {
    /// An engine making at most `concurrency` calls at once, each bounded by `timeout` of wall
    /// time; its client trusts `trust` for https targets (the world CA in a `--tls` world).
    pub(crate) fn new(
        concurrency: usize,
        trust: &sim_core::outbound::Trust,
        timeout: Duration,
    ) -> Result<Engine, sim_core::outbound::OutboundError> {
        let http = sim_core::outbound::world_builder(trust)?
            .timeout(timeout)
            .build()
            .map_err(sim_core::outbound::OutboundError::from)?;
        Ok(Engine {
            http,
            running: tokio::sync::Mutex::new(()),
            kicked: AtomicBool::new(false),
            on_settle_only: AtomicBool::new(false),
            scheduled: parking_lot::Mutex::new(BTreeSet::new()),
            concurrency: concurrency.max(1),
            timeout,
        })
    }

    /// Whether changes start no drain of their own (see [`crate::MockOkta::push_on_settle_only`]).
    pub(crate) fn set_on_settle_only(&self, on: bool) {
        self.on_settle_only.store(on, Ordering::Release);
    }

    /// The HTTP client (also for "Test API Credentials").
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }
}

/// Starts a drain soon, unless one is already waiting to start (or the engine pushes on
/// settle only).
pub(crate) fn kick(shared: &Arc<Shared>) {
    if shared.engine.on_settle_only.load(Ordering::Acquire) {
        return;
    }
    if shared.engine.kicked.swap(true, Ordering::AcqRel) {
        return;
    }
    let shared = shared.clone();
    tokio::spawn(async move {
        drain(&shared).await;
    });
}

/// Makes every call runnable now, and those they lead to, until only tasks waiting for a
/// retry time remain; returns what is left.
pub(crate) async fn drain(shared: &Arc<Shared>) -> PushBacklog {
    let _running = shared.engine.running.lock().await;
    shared.engine.kicked.store(false, Ordering::Release);
    loop {
        let now = shared.clock.now();
        let tasks = shared
            .org
            .lock()
            .take_push_tasks(now, shared.engine.concurrency);
        if tasks.is_empty() {
            break;
        }
        let mut calls = tokio::task::JoinSet::new();
        for (i, task) in tasks.iter().enumerate() {
            let http = shared.engine.http.clone();
            let task = task.clone();
            calls.spawn(async move { (i, call(&http, &task).await) });
        }
        let mut results: Vec<Option<Answer>> = vec![None; tasks.len()];
        while let Some(joined) = calls.join_next().await {
            match joined {
                Ok((i, result)) => results[i] = Some(result),
                Err(e) => tracing::error!(error = %e, "a push call panicked"),
            }
        }
        for (task, result) in tasks.iter().zip(&results) {
            if let Some(Answer::Failed(failure)) = result
                && failure.status.is_none()
                && failure.message.ends_with(TIMED_OUT)
            {
                let request = scim::request(task);
                shared.clock.report(format!(
                    "mock-okta push {} {}{}: no answer within {} of wall time",
                    request.method,
                    task.base_url,
                    request.path.split('?').next().unwrap_or(&request.path),
                    humantime::format_duration(shared.engine.timeout)
                ));
            }
        }
        let now = shared.clock.now();
        let retries: Vec<SystemTime> = {
            let mut org = shared.org.lock();
            tasks
                .iter()
                .zip(results)
                .filter_map(|(task, result)| {
                    let answer = result.unwrap_or_else(|| {
                        Answer::Failed(CallFailure {
                            status: None,
                            message: "The push call did not complete".into(),
                            retry_after: None,
                        })
                    });
                    org.complete_push(now, task, scim::outcome(&task.op, answer))
                })
                .collect()
        };
        for at in retries {
            schedule_retry(shared, at);
        }
    }
    shared.org.lock().push_backlog()
}

/// After a state import: the retry jobs of the imported state (one per parked time), and a
/// drain if a resource is runnable now. Jobs of the replaced state see a new epoch and stop.
pub(crate) fn restore_jobs(shared: &Arc<Shared>, retries: &[SystemTime], runnable: bool) {
    shared.engine.scheduled.lock().clear();
    for at in retries {
        schedule_retry(shared, *at);
    }
    if runnable {
        kick(shared);
    }
}

/// Puts a drain on the world clock at `at` (once per distinct time).
fn schedule_retry(shared: &Arc<Shared>, at: SystemTime) {
    if !shared.engine.scheduled.lock().insert(at) {
        return;
    }
    let weak = Arc::downgrade(shared);
    let epoch = shared.epoch.load(Ordering::Acquire);
    shared
        .clock
        .schedule_labelled(at, "mock-okta push retry", move |_clock| async move {
            if let Some(shared) = weak.upgrade()
                && shared.epoch.load(Ordering::Acquire) == epoch
            {
                shared.engine.scheduled.lock().remove(&at);
                drain(&shared).await;
            }
        });
}

/// What "Test API Credentials" found.
pub(crate) enum CredentialTest {
    /// The SCIM server answered.
    Success,
    /// It did not: the HTTP reason phrase (or the error), the status, the detail.
    Failure {
        /// E.g. `Unauthorized`.
        summary: String,
        /// The HTTP status, if one came back.
        status: Option<u16>,
        /// The error text.
        detail: String,
    },
}

/// "Test API Credentials": `GET {baseUrl}/Users?count=1` with the token (the given ones, or
/// the saved ones), as Okta's SCIM client; the call is made without the org lock. A failure
/// is recorded in the System Log. Shared by the API and the Admin Console.
pub(crate) async fn test_credentials(
    s: &Shared,
    id: &str,
    base_url: Option<&str>,
    token: Option<&str>,
) -> Result<CredentialTest, OktaError> {
    let (base, token) = s.org.lock().connection_test_target(id, base_url, token)?;
    let url = format!("{base}/Users?count=1");
    let request = s
        .engine
        .http()
        .get(&url)
        .header(reqwest::header::AUTHORIZATION, format!("Bearer {token}"))
        .header(reqwest::header::CONTENT_TYPE, SCIM_JSON)
        .header(reqwest::header::ACCEPT, SCIM_JSON)
        .header(reqwest::header::USER_AGENT, SCIM_USER_AGENT);
    match send(request, &url).await {
        scim::Answer::Ok { .. } => Ok(CredentialTest::Success),
        scim::Answer::Failed(failure) => {
            let summary = failure
                .status
                .and_then(|code| reqwest::StatusCode::from_u16(code).ok())
                .and_then(|code| code.canonical_reason())
                .map_or_else(|| failure.message.clone(), str::to_string);
            let now = s.clock.now();
            s.org
                .lock()
                .record_connection_test_failure(now, id, &failure.message);
            Ok(CredentialTest::Failure {
                summary,
                status: failure.status,
                detail: failure.message,
            })
        }
    }
}

/// `/_sim/okta/provisioning/…`: `settle` awaits a drain and answers what is left
/// (`{"pending": n, "runnable", "inFlight", "nextAttemptAt"}`, n resources waiting for a
/// retry time); `GET /_sim/okta/provisioning` the same figures without waiting.
pub(crate) fn sim_routes() -> axum::Router<Arc<Shared>> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/_sim/okta/provisioning/settle", post(settle))
        .route("/_sim/okta/provisioning", get(status))
}

fn backlog_json(b: &PushBacklog) -> Value {
    serde_json::json!({
        "pending": b.waiting,
        "runnable": b.runnable,
        "inFlight": b.in_flight,
        "nextAttemptAt": b
            .next_attempt
            .map(|t| humantime::format_rfc3339_millis(t).to_string()),
    })
}

async fn settle(axum::extract::State(s): axum::extract::State<Arc<Shared>>) -> axum::Json<Value> {
    let backlog = drain(&s).await;
    axum::Json(backlog_json(&backlog))
}

async fn status(axum::extract::State(s): axum::extract::State<Arc<Shared>>) -> axum::Json<Value> {
    let backlog = s.org.lock().push_backlog();
    axum::Json(backlog_json(&backlog))
}

/// One SCIM call as Okta makes it.
async fn call(http: &reqwest::Client, task: &PushTask) -> Answer {
    let scim = scim::request(task);
    let method =
        reqwest::Method::from_bytes(scim.method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let url = format!("{}{}", task.base_url, scim.path);
    let mut request = http
        .request(method, &url)
        .header(AUTHORIZATION, format!("Bearer {}", task.token))
        .header(CONTENT_TYPE, SCIM_JSON)
        .header(ACCEPT, SCIM_JSON)
        .header(USER_AGENT, SCIM_USER_AGENT);
    if let Some(body) = &scim.body {
        request = request.body(body.to_string());
    }
    send(request, &url).await
}

/// Sends a request and classifies the answer: 2xx with its JSON body, or a failure with the
/// status, the target's error text and its `Retry-After`.
pub(crate) async fn send(request: reqwest::RequestBuilder, url: &str) -> Answer {
    let response = match request.send().await {
        Ok(response) => response,
        Err(e) => {
            return Answer::Failed(CallFailure {
                status: None,
                message: transport_error(&e, url),
                retry_after: None,
            });
        }
    };
    let status = response.status();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let bytes = match response.bytes().await {
        Ok(bytes) => bytes,
        Err(e) => {
            return Answer::Failed(CallFailure {
                status: Some(status.as_u16()),
                message: transport_error(&e, url),
                retry_after,
            });
        }
    };
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if status.is_success() {
        return Answer::Ok {
            status: status.as_u16(),
            body,
        };
    }
    let reason = status.canonical_reason().unwrap_or("Error");
    let detail = body
        .get("detail")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            let text = String::from_utf8_lossy(&bytes).trim().to_string();
            (!text.is_empty()).then(|| text.chars().take(300).collect())
        });
    let message = match detail {
        Some(detail) => format!("{} {reason}: {detail}", status.as_u16()),
        None => format!("{} {reason}", status.as_u16()),
    };
    Answer::Failed(CallFailure {
        status: Some(status.as_u16()),
        message,
        retry_after,
    })
}

/// A transport error with its causes: "Could not reach {url}: … connection refused".
fn transport_error(e: &reqwest::Error, url: &str) -> String {
    let mut causes = Vec::new();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !causes.contains(&text) {
            causes.push(text);
        }
        source = s.source();
    }
    let what = if e.is_timeout() {
        TIMED_OUT.to_string()
    } else if causes.is_empty() {
        e.to_string()
    } else {
        causes.join(": ")
    };
    let url = url.split('?').next().unwrap_or(url);
    format!("Could not reach {url}: {what}")
}
