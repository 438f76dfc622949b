//! mock-kiro's event feed, for the sandbox's timeline (SIM-TIME-*): what reached Kiro and what
//! it answered, in a bounded ring (the last [`CAPACITY`] events), served as JSON at
//! `GET /_sim/kiro/events`.
//!
//! Recorded here, in the wire layer:
//! - every SCIM call (`scim_call`): method, path, the user or group it is about, the status
//!   answered and, for a refusal, the SCIM Error's `detail`;
//! - every console change (`console_call`: a non-GET call of `/console/…`) and its status;
//! - every refused runtime call (`token_refused` for a bearer token that does not verify,
//!   `access_refused` for a good token without access, a seat or credits), with the reason;
//! - seat grants after the group sync delay (`seat_granted`);
//! - domain checks (`domain_check`): the TXT strings found and the resulting status, or that
//!   DNS could not be reached.
//!
//! The user of a runtime call is read from the bearer token's `sub` claim *without*
//! verifying it: it only labels the event.

use std::time::SystemTime;

use axum::body::{Body, Bytes};
use axum::extract::{Query, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::Value;

use crate::core::Kiro;
use crate::wire::AppState;

pub use sim_core::events::CAPACITY;

/// One event of the feed, as `GET /_sim/kiro/events` serves it. `kind` is `scim_call`,
/// `console_call`, `token_refused`, `access_refused`, `seat_granted` or `domain_check`.
pub type KiroEvent = sim_core::events::Event;

/// Largest response body read to find an error's reason.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The ring of recent events, with Kiro's own kinds.
#[derive(Debug, Default)]
pub(crate) struct Events(sim_core::events::Events);

impl Events {
    /// Appends an event at `now`.
    pub(crate) fn record(
        &self,
        now: SystemTime,
        kind: &str,
        user: Option<String>,
        summary: String,
        failure: Option<String>,
    ) {
        self.0.record(now, kind, user, summary, failure);
    }

    /// A domain check's result: the TXT strings found and the status now.
    pub(crate) fn domain_check(
        &self,
        now: SystemTime,
        domain: &str,
        found: &[String],
        status: &str,
    ) {
        let found = if found.is_empty() {
            "no TXT record found".to_string()
        } else {
            format!("TXT found: {}", found.join(", "))
        };
        self.0.push(
            now,
            "domain_check",
            None,
            format!("domain check of {domain}: {status}"),
            status == "VERIFIED",
            Some(found),
        );
    }
}

/// The seat grants [`Kiro::apply_due_grants`] is about to make at `now`: (user, group) names.
pub(crate) fn due_grants(kiro: &Kiro, now: SystemTime) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for p in kiro.profiles() {
        for g in p.pending_grants.iter().filter(|g| g.due <= now) {
            let Some(group) = p.groups.iter().find(|gr| gr.id == g.group_id) else {
                continue;
            };
            let subscribed = p
                .group_subscriptions
                .iter()
                .any(|s| s.group_id == g.group_id);
            if subscribed && group.members.contains(&g.user_id) {
                out.push((
                    user_name(kiro, &g.user_id).unwrap_or_else(|| g.user_id.clone()),
                    group.display_name.clone(),
                ));
            }
        }
    }
    out
}

/// The label of the seat-grant job due at `due`: who gets a seat then.
pub(crate) fn grant_label(kiro: &Kiro, due: SystemTime) -> String {
    let mut users: Vec<String> = Vec::new();
    for p in kiro.profiles() {
        for g in p.pending_grants.iter().filter(|g| g.due <= due) {
            let name = user_name(kiro, &g.user_id).unwrap_or_else(|| g.user_id.clone());
            if !users.contains(&name) {
                users.push(name);
            }
        }
    }
    match users.as_slice() {
        [] => "seat grant".to_string(),
        [one] => format!("seat for {one}"),
        [first, rest @ ..] => format!("seats for {first} and {} more", rest.len()),
    }
}

fn user_name(kiro: &Kiro, user_id: &str) -> Option<String> {
    kiro.profiles()
        .iter()
        .find_map(|p| p.users.by_id(user_id).map(|u| u.attrs.user_name.clone()))
}

/// The query of `GET /_sim/kiro/events`.
#[derive(Debug, Deserialize)]
pub(crate) struct FeedQuery {
    #[serde(default)]
    after: u64,
}

/// `GET /_sim/kiro/events?after=SEQ`: `{"capacity": N, "events": [...]}`, oldest first.
pub(crate) async fn feed(
    State(shared): State<AppState>,
    Query(q): Query<FeedQuery>,
) -> axum::Json<Value> {
    axum::Json(shared.events.0.json(q.after))
}

/// What a request is, for the feed.
enum Watched {
    Scim { path: String, user: Option<String> },
    Console { path: String },
    Runtime { path: String, user: Option<String> },
}

/// Middleware: records SCIM calls, console changes and refused runtime calls with their
/// answer. Buffers the request body (already bounded by the body limit) to name the user.
pub(crate) async fn record(
    State(shared): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_string();
    let method = request.method().clone();
    let (request, watched) = if let Some(at) = path.find("/scim/v2/") {
        let short = path[at + "/scim/v2".len()..].to_string();
        // Only a body within the limit is read here; a larger (or unsized) one is left to
        // the handler, which refuses it as before.
        let sized = request
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok())
            .is_some_and(|n| n <= crate::MAX_BODY_BYTES);
        let (request, bytes) = if sized {
            let (parts, body) = request.into_parts();
            let bytes = axum::body::to_bytes(body, crate::MAX_BODY_BYTES)
                .await
                .unwrap_or_default();
            (Request::from_parts(parts, Body::from(bytes.clone())), bytes)
        } else {
            (request, Bytes::new())
        };
        let user = scim_user(&shared, &short, &bytes);
        (request, Some(Watched::Scim { path: short, user }))
    } else if path.starts_with("/console/") && method != Method::GET {
        (request, Some(Watched::Console { path }))
    } else if matches!(
        path.as_str(),
        "/ListAvailableProfiles"
            | "/getUsageLimits"
            | "/generateCompletions"
            | "/generateAssistantResponse"
    ) {
        let user = crate::wire::bearer(request.headers()).and_then(token_subject);
        (request, Some(Watched::Runtime { path, user }))
    } else {
        (request, None)
    };
    let Some(watched) = watched else {
        return next.run(request).await;
    };
    let response = next.run(request).await;
    let status = response.status();
    let refused = status.is_client_error() || status.is_server_error();
    if matches!(watched, Watched::Runtime { .. }) && !refused {
        return response;
    }
    let (response, reason) = if refused {
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, MAX_ERROR_BODY)
            .await
            .unwrap_or_default();
        let reason = error_reason(&bytes);
        (Response::from_parts(parts, Body::from(bytes)), reason)
    } else {
        (response, None)
    };
    let now = shared.clock.now();
    let failure = refused.then(|| reason.unwrap_or_else(|| status.to_string()));
    match watched {
        Watched::Scim { path, user } => {
            let about = user.as_deref().map(|u| format!(" {u}")).unwrap_or_default();
            let summary = format!("SCIM {method} {path}{about} → {}", status.as_u16());
            shared
                .events
                .record(now, "scim_call", user, summary, failure);
        }
        Watched::Console { path } => {
            let summary = format!("console {method} {path} → {}", status.as_u16());
            shared
                .events
                .record(now, "console_call", None, summary, failure);
        }
        Watched::Runtime { path, user } => {
            let kind = if status.as_u16() == 401 {
                "token_refused"
            } else {
                "access_refused"
            };
            let summary = format!("{path} refused → {}", status.as_u16());
            shared.events.record(now, kind, user, summary, failure);
        }
    }
    response
}

/// The user a SCIM call is about: the body's `userName`, else the user or group its path
/// names (`/Users/{id}`, `/Groups/{id}`: the group's display name).
fn scim_user(shared: &AppState, path: &str, body: &Bytes) -> Option<String> {
    /// Only the one field: a group PATCH can carry thousands of members, and the handler
    /// parses the body again anyway, so no `Value` tree is built here.
    #[derive(Deserialize)]
    struct Named {
        #[serde(rename = "userName")]
        user_name: Option<String>,
    }
    if let Ok(Named {
        user_name: Some(name),
    }) = serde_json::from_slice::<Named>(body)
    {
        return Some(name);
    }
    let mut segments = path.trim_start_matches('/').split('/');
    let (collection, id) = (segments.next()?, segments.next()?);
    let kiro = shared.kiro.lock();
    match collection {
        "Users" => user_name(&kiro, id),
        "Groups" => kiro.profiles().iter().find_map(|p| {
            p.groups
                .iter()
                .find(|g| g.id == id)
                .map(|g| format!("group {}", g.display_name))
        }),
        _ => None,
    }
}

/// An error body's message: SCIM's `detail`, AWS's `__type: message`.
fn error_reason(body: &Bytes) -> Option<String> {
    let json: Value = serde_json::from_slice(body).ok()?;
    if let Some(detail) = json["detail"].as_str() {
        return Some(detail.to_string());
    }
    let message = json["message"].as_str().or(json["Message"].as_str())?;
    Some(match json["__type"].as_str() {
        Some(kind) => format!("{kind}: {message}"),
        None => message.to_string(),
    })
}

/// The `sub` of a JWT, read without verification (a label only).
fn token_subject(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    claims["sub"].as_str().map(str::to_string)
}
