//! What every mock-kiro response shares, and the simulator controls.
//!
//! - [`request_id`]: middleware giving each request an `x-amzn-RequestId` (deterministic
//!   from the seed), available to error bodies.
//! - [`AwsError`]: AWS's JSON error shape `{"__type": "…Exception", "message": "…"}` with
//!   `x-amzn-ErrorType`, for the console and runtime APIs.
//! - [`ScimError`]: the SCIM Error schema (RFC 7644 §3.12) as IAM Identity Center sends it,
//!   with `exceptionRequestId` and `timeStamp`.
//! - [`Admin`]: the console's `Authorization: Bearer {admin token}` check.
//! - [`sim_routes`]: the simulator control `/_sim/kiro/sync-delay`.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use sim_api::kiro::SyncDelayBody;
use sim_core::ids;

use crate::Shared;
use crate::core::seats::SyncDelay;

/// The state every handler gets.
pub(crate) type AppState = Arc<Shared>;

tokio::task_local! {
    /// The current request's id.
    static REQUEST_ID: String;
}

/// The current request's id ("" outside a request).
pub(crate) fn current_request_id() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_default()
}

/// Seconds since the Unix epoch.
pub(crate) fn unix(t: SystemTime) -> u64 {
    sim_core::clock::unix_secs(t)
}

/// RFC 3339 with milliseconds.
pub(crate) fn timestamp(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

/// Middleware: a request id for every request, echoed as `x-amzn-RequestId`.
pub(crate) async fn request_id(
    State(shared): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let id = ids::uuid_v4(&mut shared.request_ids.lock());
    let scim = request.uri().path().contains("/scim/");
    let mut response = REQUEST_ID
        .scope(id.clone(), async {
            let response = next.run(request).await;
            if response.status() != StatusCode::PAYLOAD_TOO_LARGE {
                return response;
            }
            // axum's own refusal of a body over the limit is plain text (KIRO-SCIM-6).
            let message = format!(
                "The request body is larger than {} bytes.",
                crate::MAX_BODY_BYTES
            );
            if scim {
                ScimError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    None,
                    message,
                    shared.clock.now(),
                )
                .into_response()
            } else {
                AwsError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "ValidationException",
                    message,
                )
                .into_response()
            }
        })
        .await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-amzn-requestid", v);
    }
    response
}

/// An AWS JSON error.
#[derive(Debug)]
pub(crate) struct AwsError {
    pub(crate) status: StatusCode,
    pub(crate) kind: &'static str,
    pub(crate) message: String,
}

impl AwsError {
    pub(crate) fn new(
        status: StatusCode,
        kind: &'static str,
        message: impl Into<String>,
    ) -> AwsError {
        AwsError {
            status,
            kind,
            message: message.into(),
        }
    }

    /// 400 ValidationException.
    pub(crate) fn validation(message: impl Into<String>) -> AwsError {
        AwsError::new(StatusCode::BAD_REQUEST, "ValidationException", message)
    }

    /// 403 AccessDeniedException.
    pub(crate) fn access_denied(message: impl Into<String>) -> AwsError {
        AwsError::new(StatusCode::FORBIDDEN, "AccessDeniedException", message)
    }
}

impl From<crate::core::ConsoleError> for AwsError {
    fn from(e: crate::core::ConsoleError) -> AwsError {
        use crate::core::ConsoleError as E;
        let message = e.to_string();
        match e {
            E::Validation(_) => AwsError::validation(message),
            E::NotFound(_) => {
                AwsError::new(StatusCode::NOT_FOUND, "ResourceNotFoundException", message)
            }
            E::Conflict(_) => AwsError::new(StatusCode::CONFLICT, "ConflictException", message),
        }
    }
}

impl IntoResponse for AwsError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            axum::Json(json!({ "__type": self.kind, "message": self.message })),
        )
            .into_response();
        response
            .headers_mut()
            .insert("x-amzn-errortype", HeaderValue::from_static(self.kind));
        response
    }
}

/// A SCIM error response.
#[derive(Debug)]
pub(crate) struct ScimError {
    pub(crate) status: StatusCode,
    pub(crate) scim_type: Option<&'static str>,
    pub(crate) detail: String,
    /// World time, for `timeStamp`.
    pub(crate) at: SystemTime,
}

impl ScimError {
    pub(crate) fn new(
        status: StatusCode,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
        at: SystemTime,
    ) -> ScimError {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
            at,
        }
    }

    /// From the core's refusal.
    pub(crate) fn from_core(e: crate::core::ScimError, at: SystemTime) -> ScimError {
        use crate::core::ScimError as E;
        let detail = e.to_string();
        match e {
            E::Validation(_) => {
                ScimError::new(StatusCode::BAD_REQUEST, Some("invalidValue"), detail, at)
            }
            E::InvalidFilter(_) => {
                ScimError::new(StatusCode::BAD_REQUEST, Some("invalidFilter"), detail, at)
            }
            E::InvalidPath(_) => {
                ScimError::new(StatusCode::BAD_REQUEST, Some("invalidPath"), detail, at)
            }
            E::NotFound(_) => ScimError::new(StatusCode::NOT_FOUND, None, detail, at),
            E::Conflict(_) => ScimError::new(StatusCode::CONFLICT, Some("uniqueness"), detail, at),
        }
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
            "exceptionRequestId": current_request_id(),
            "timeStamp": humantime::format_rfc3339_millis(self.at).to_string().replace('T', " ").trim_end_matches('Z').to_string(),
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        let mut response = (self.status, axum::Json(body)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/scim+json"),
        );
        response
    }
}

/// Proof that the request carried the console's admin token.
pub(crate) struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = AwsError;

    async fn from_request_parts(parts: &mut Parts, shared: &AppState) -> Result<Admin, AwsError> {
        match bearer(&parts.headers) {
            Some(t) if ids::constant_time_eq(t.as_bytes(), shared.admin_token.as_bytes()) => {
                Ok(Admin)
            }
            _ => Err(AwsError::new(
                StatusCode::UNAUTHORIZED,
                "UnauthorizedException",
                "The admin token is missing or invalid.",
            )),
        }
    }
}

/// The bearer token of a request, if any.
pub(crate) fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty())
}

/// Parses a JSON body, answering ValidationException for anything unparsable.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, AwsError> {
    serde_json::from_slice(body)
        .map_err(|e| AwsError::validation(format!("The request body is not valid: {e}")))
}

/// 404 for unknown paths.
pub(crate) async fn not_found(request: Request) -> AwsError {
    AwsError::new(
        StatusCode::NOT_FOUND,
        "UnknownOperationException",
        format!(
            "No operation at {} {}",
            request.method(),
            request.uri().path()
        ),
    )
}

/// Simulator controls.
pub(crate) fn sim_routes() -> Router<AppState> {
    Router::new().route(
        "/_sim/kiro/sync-delay",
        get(get_sync_delay).put(put_sync_delay),
    )
}

fn delay_json(delay: SyncDelay) -> serde_json::Value {
    match delay {
        SyncDelay::Fixed(d) => {
            json!({ "mode": "fixed", "delay": humantime::format_duration(d).to_string() })
        }
        SyncDelay::Seeded { max } => {
            json!({ "mode": "seeded", "max": humantime::format_duration(max).to_string() })
        }
    }
}

async fn get_sync_delay(State(shared): State<AppState>) -> Response {
    axum::Json(delay_json(shared.kiro.lock().sync_delay())).into_response()
}

async fn put_sync_delay(State(shared): State<AppState>, body: Bytes) -> Response {
    let parsed: Result<SyncDelay, String> = serde_json::from_slice::<SyncDelayBody>(&body)
        .map_err(|e| e.to_string())
        .and_then(|b| match (b.delay, b.max) {
            (Some(d), None) => sim_core::clock::parse_duration(&d).map(SyncDelay::Fixed),
            (None, Some(m)) => {
                sim_core::clock::parse_duration(&m).map(|max| SyncDelay::Seeded { max })
            }
            _ => Err("give exactly one of `delay` (fixed) or `max` (seeded, up to)".into()),
        })
        .and_then(|d| match d {
            SyncDelay::Fixed(x) | SyncDelay::Seeded { max: x }
                if x > Duration::from_secs(366 * 86_400) =>
            {
                Err("the sync delay is at most a year".into())
            }
            d => Ok(d),
        });
    match parsed {
        Ok(delay) => {
            shared.kiro.lock().set_sync_delay(delay);
            axum::Json(delay_json(delay)).into_response()
        }
        Err(message) => (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "error": "invalid_request", "message": message })),
        )
            .into_response(),
    }
}

/// `GET|PUT /_sim/kiro/state`: the whole state as a document (SIM-STATE-1, SIM-STATE-2),
/// outside the request-id layer (an export draws no request id) and with its own body limit.
pub(crate) fn state_routes(shared: Arc<Shared>) -> Router {
    async fn get_state(State(shared): State<Arc<Shared>>) -> Response {
        (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            shared.export_state(),
        )
            .into_response()
    }
    async fn put_state(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
        match shared.import_state(&body) {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            Err(error) => error.into_response(),
        }
    }
    Router::new()
        .route("/_sim/kiro/state", get(get_state).put(put_state))
        .layer(axum::extract::DefaultBodyLimit::max(
            sim_core::state::MAX_STATE_BYTES,
        ))
        .with_state(shared)
}
