//! What every mock-okta HTTP response shares (BEHAVIOURS.md OKTA-API-1, OKTA-API-3):
//!
//! - [`common_headers`]: middleware that gives each request an `X-Okta-Request-Id`, counts it
//!   against its endpoint's rate limit (per minute of *world* time), answers 429 with
//!   E0000047 when the limit is hit, and sets `X-Rate-Limit-Limit/-Remaining/-Reset` and a
//!   `Date` in world time on every response; after a change that left a push resource
//!   runnable (the core says, [`crate::core::Org::push_runnable`]) it kicks the SCIM push
//!   engine.
//! - [`ApiError`]: Okta's error object `{errorCode, errorSummary, errorLink, errorId,
//!   errorCauses}`; `errorId` is derived from the request id.
//! - [`Admin`]: the `Authorization: SSWS {token}` extractor for the management API (also
//!   `SSWS{token}`, as the Python SDK 3.x sends it).
//! - [`parse_json`]: body parsing with Okta's E0000003 for malformed JSON.
//! - [`sim_routes`]: simulator controls (`/_sim/okta/…`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sim_core::ids;

use crate::Shared;
use crate::core::OktaError;
use crate::core::authz::ORG_SERVER_ID;

/// The state every handler gets.
pub(crate) type AppState = Arc<Shared>;

tokio::task_local! {
    /// The current request's id, for error bodies.
    static REQUEST_ID: String;
}

/// Per-endpoint request counts in the current minute of world time.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct RateLimiter {
    per_minute: u32,
    minute: u64,
    counts: HashMap<String, u32>,
}

/// Where a request stands against its limit.
struct RateStatus {
    limit: u32,
    remaining: u32,
    reset: u64,
    exceeded: bool,
}

impl RateLimiter {
    pub(crate) fn new(per_minute: u32) -> RateLimiter {
        RateLimiter {
            per_minute,
            minute: 0,
            counts: HashMap::new(),
        }
    }

    fn hit(&mut self, bucket: String, now: SystemTime) -> RateStatus {
        let minute = crate::core::tokens::unix(now) / 60;
        if minute != self.minute {
            self.minute = minute;
            self.counts.clear();
        }
        let count = self.counts.entry(bucket).or_insert(0);
        let exceeded = *count >= self.per_minute;
        if !exceeded {
            *count += 1;
        }
        RateStatus {
            limit: self.per_minute,
            remaining: self.per_minute.saturating_sub(*count),
            reset: (minute + 1) * 60,
            exceeded,
        }
    }
}

/// The rate-limit bucket of a request: method and path, with Okta ids replaced by `{id}`, so
/// `/api/v1/users/00u…` and `/api/v1/users/00u…` share one limit as in Okta.
fn bucket(method: &str, path: &str) -> String {
    let normalised: Vec<&str> = path
        .split('/')
        .map(|segment| {
            let okta_id = segment.len() == 20
                && segment.bytes().all(|b| b.is_ascii_alphanumeric())
                && segment.bytes().any(|b| b.is_ascii_digit());
            if okta_id { "{id}" } else { segment }
        })
        .collect();
    format!("{method} {}", normalised.join("/"))
}

/// Middleware: request id, rate limit, world-time `Date` (see the module doc).
pub(crate) async fn common_headers(
    State(shared): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let request_id = ids::secret(&mut shared.request_ids.lock(), 27);
    let now = shared.clock.now();
    let bucket = bucket(request.method().as_str(), request.uri().path());
    // A change may have given the push engine work (BEHAVIOURS.md OKTA-PROV-7): the core
    // says whether a push resource is runnable after it.
    let mutating = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    let status = shared.rate_limits.lock().hit(bucket, now);
    let mut response = if status.exceeded {
        REQUEST_ID
            .scope(request_id.clone(), async {
                ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "E0000047",
                    "API call exceeded rate limit due to too many requests.",
                )
                .into_response()
            })
            .await
    } else {
        REQUEST_ID
            .scope(request_id.clone(), async {
                let response = next.run(request).await;
                // axum's own refusal of a body over the limit is plain text (OKTA-API-9).
                if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::body_too_large().into_response()
                } else {
                    response
                }
            })
            .await
    };
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    };
    set("x-okta-request-id", request_id);
    set("x-rate-limit-limit", status.limit.to_string());
    set("x-rate-limit-remaining", status.remaining.to_string());
    set("x-rate-limit-reset", status.reset.to_string());
    set("date", httpdate(now));
    if mutating && shared.org.lock().push_runnable() {
        crate::provisioning::kick(&shared);
    }
    response
}

/// An IMF-fixdate (`Thu, 01 Jan 2026 00:00:00 GMT`).
pub(crate) fn httpdate(t: SystemTime) -> String {
    let secs = sim_core::clock::unix_secs(t);
    let (h, m, s) = (secs % 86_400 / 3600, secs % 3600 / 60, secs % 60);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(secs / 86_400 % 7) as usize];
    let (year, month, day) = sim_core::clock::civil_date(t);
    let month_name = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(month - 1) as usize];
    format!("{weekday}, {day:02} {month_name} {year} {h:02}:{m:02}:{s:02} GMT")
}

/// Okta's error object.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    summary: String,
    causes: Vec<String>,
}

impl ApiError {
    pub(crate) fn new(
        status: StatusCode,
        code: &'static str,
        summary: impl Into<String>,
    ) -> ApiError {
        ApiError {
            status,
            code,
            summary: summary.into(),
            causes: Vec::new(),
        }
    }

    /// 401 E0000011, for a missing or wrong API token.
    pub(crate) fn invalid_token() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "E0000011",
            "Invalid token provided",
        )
    }

    /// 400 E0000003, for a body that is not JSON of the expected shape.
    pub(crate) fn malformed(detail: impl Into<String>) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::BAD_REQUEST,
            "E0000003",
            "The request body was not well-formed.",
        );
        e.causes.push(detail.into());
        e
    }

    /// 413 with Okta's error object: a request body over [`crate::MAX_BODY_BYTES`]
    /// (OKTA-API-9; the status and code are the sim's choice, Okta documents neither).
    pub(crate) fn body_too_large() -> ApiError {
        let mut e = ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "E0000003",
            "The request body was not well-formed.",
        );
        e.causes.push(format!(
            "The request body is larger than {} bytes.",
            crate::MAX_BODY_BYTES
        ));
        e
    }

    /// Adds an entry to `errorCauses`.
    pub(crate) fn with_cause(mut self, cause: impl Into<String>) -> ApiError {
        self.causes.push(cause.into());
        self
    }

    /// 400 E0000001 with one cause.
    pub(crate) fn validation(field: &str, cause: impl Into<String>) -> ApiError {
        OktaError::validation(field, cause).into()
    }
}

impl From<OktaError> for ApiError {
    fn from(error: OktaError) -> ApiError {
        let summary = error.to_string();
        let (status, code, causes) = match error {
            OktaError::Validation { causes, .. } => (StatusCode::BAD_REQUEST, "E0000001", causes),
            OktaError::NotFound { .. } => (StatusCode::NOT_FOUND, "E0000007", Vec::new()),
            OktaError::AlreadyActive => (StatusCode::FORBIDDEN, "E0000016", Vec::new()),
            OktaError::InvalidStatus => (StatusCode::FORBIDDEN, "E0000038", Vec::new()),
            OktaError::DeleteActiveApp => (StatusCode::FORBIDDEN, "E0000056", Vec::new()),
            OktaError::InvalidSearch(detail) => (StatusCode::BAD_REQUEST, "E0000031", vec![detail]),
        };
        ApiError {
            status,
            code,
            summary,
            causes,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let request_id = REQUEST_ID.try_with(Clone::clone).unwrap_or_default();
        let body = json!({
            "errorCode": self.code,
            "errorSummary": self.summary,
            "errorLink": self.code,
            "errorId": format!("oae{request_id}"),
            "errorCauses": self.causes.iter().map(|c| json!({ "errorSummary": c })).collect::<Vec<_>>(),
        });
        (self.status, axum::Json(body)).into_response()
    }
}

/// Parses a JSON body; malformed JSON is E0000003 and changes nothing.
pub(crate) fn parse_json<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::malformed(e.to_string()))
}

/// A management API call authorized by an OAuth 2.0 access token of the org authorization
/// server (OKTA-API-10), put in the request's extensions by [`bearer_auth`].
#[derive(Clone, Debug)]
pub(crate) struct OAuthPrincipal {
    /// The signed-in user's id (`uid`), or `None` for a service app's own token.
    pub(crate) uid: Option<String>,
}

/// The `okta.*` scope a management API call needs: `okta.{area}.read` for GET and HEAD,
/// `okta.{area}.manage` otherwise; `None` for an area no OAuth scope of the sim opens.
fn required_scope(method: &Method, path: &str) -> Option<String> {
    let area = path.strip_prefix("/api/v1/")?.split('/').next()?;
    let read = method == Method::GET || method == Method::HEAD;
    match (area, read) {
        ("users" | "groups" | "apps" | "authorizationServers", true) => {
            Some(format!("okta.{area}.read"))
        }
        ("users" | "groups" | "apps" | "authorizationServers", false) => {
            Some(format!("okta.{area}.manage"))
        }
        ("logs", true) => Some("okta.logs.read".into()),
        // The Profile Mappings API (`/api/v1/mappings`) has scopes of its own in Okta.
        ("mappings", true) => Some("okta.profileMappings.read".into()),
        ("mappings", false) => Some("okta.profileMappings.manage".into()),
        _ => None,
    }
}

/// OAuth 2.0 for the management API (OKTA-API-10): `Authorization: Bearer {access token}` on
/// `/api/v1/…` (not `/api/v1/authn`) must be a live access token of the org authorization
/// server for the org (`aud` the org URL) whose `scp` holds the call's scope (the `manage`
/// scope also reads); else 401 E0000011, or 403 E0000006 for a missing scope. Any other
/// request passes untouched (SSWS is checked by [`Admin`]).
pub(crate) async fn bearer_auth(
    State(shared): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if !path.starts_with("/api/v1/") || path.starts_with("/api/v1/authn") {
        return next.run(request).await;
    }
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("Bearer"))
        .map(|(_, token)| token.trim().to_string());
    let Some(token) = token else {
        return next.run(request).await;
    };
    let now = shared.clock.now();
    let claims = {
        let org = shared.org.lock();
        org.verify_access_token(now, ORG_SERVER_ID, &token)
            .filter(|c| c.get("aud").and_then(Value::as_str) == Some(org.org_url()))
    };
    let Some(claims) = claims else {
        return ApiError::invalid_token().into_response();
    };
    let scopes: Vec<String> = claims
        .get("scp")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let me = path.trim_end_matches('/') == "/api/v1/users/me";
    let allowed = required_scope(request.method(), path).is_some_and(|needed| {
        let manage = needed.replace(".read", ".manage");
        scopes.iter().any(|s| {
            *s == needed
                || *s == manage
                || (me && request.method() == Method::GET && s == "okta.users.read.self")
        })
    });
    if !allowed {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "E0000006",
            "You do not have permission to perform the requested action",
        )
        .into_response();
    }
    let uid = claims
        .get("uid")
        .and_then(Value::as_str)
        .map(str::to_string);
    request.extensions_mut().insert(OAuthPrincipal { uid });
    next.run(request).await
}

/// Proof that the request carried the admin API token (`Authorization: SSWS {token}`), or an
/// OAuth 2.0 access token [`bearer_auth`] accepted for this call.
pub(crate) struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, shared: &AppState) -> Result<Admin, ApiError> {
        if parts.extensions.get::<OAuthPrincipal>().is_some() {
            return Ok(Admin);
        }
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(ssws_token);
        match token {
            Some(t) if ids::constant_time_eq(t.as_bytes(), shared.api_token.as_bytes()) => {
                Ok(Admin)
            }
            _ => Err(ApiError::invalid_token()),
        }
    }
}

/// The API token of an `Authorization` value: `SSWS {token}`, and `SSWS{token}` with no space,
/// which is what the Python SDK 3.x sends (its generated configuration joins the mode and the
/// token as `authorization_mode + access_token`) and Okta accepts.
fn ssws_token(value: &str) -> Option<&str> {
    let scheme = value.get(..4)?;
    if !scheme.eq_ignore_ascii_case("SSWS") {
        return None;
    }
    let token = value.get(4..)?.trim();
    (!token.is_empty()).then_some(token)
}

/// 404 for any path mock-okta does not serve, in Okta's error shape.
pub(crate) async fn not_found(request: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "E0000007",
        format!(
            "Not found: Resource not found: {} (GenericUnAuthorizedException)",
            request.uri().path()
        ),
    )
}

/// Simulator controls: the org sign-on policy's MFA requirement and the rate limit.
pub(crate) fn sim_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/_sim/okta/sign-on-policy",
            get(get_sign_on).put(put_sign_on),
        )
        .route(
            "/_sim/okta/rate-limit",
            get(get_rate_limit).put(put_rate_limit),
        )
}

fn sim_error(message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({ "error": "invalid_request", "message": message })),
    )
        .into_response()
}

async fn get_sign_on(State(shared): State<AppState>) -> Response {
    let mfa = if shared.org.lock().mfa_required() {
        "required"
    } else {
        "off"
    };
    axum::Json(json!({ "mfa": mfa })).into_response()
}

async fn put_sign_on(State(shared): State<AppState>, body: Bytes) -> Response {
    #[derive(serde::Deserialize)]
    struct Body {
        mfa: String,
    }
    match serde_json::from_slice::<Body>(&body).map(|b| b.mfa) {
        Ok(mfa) if mfa == "required" || mfa == "off" => {
            let now = shared.clock.now();
            shared.org.lock().set_mfa_required(now, mfa == "required");
            axum::Json(json!({ "mfa": mfa })).into_response()
        }
        _ => sim_error(r#"expected {"mfa": "required"} or {"mfa": "off"}"#.into()),
    }
}

async fn get_rate_limit(State(shared): State<AppState>) -> Response {
    let per_minute = shared.rate_limits.lock().per_minute;
    axum::Json(json!({ "per_minute": per_minute })).into_response()
}

async fn put_rate_limit(State(shared): State<AppState>, body: Bytes) -> Response {
    #[derive(serde::Deserialize)]
    struct Body {
        per_minute: u32,
    }
    match serde_json::from_slice::<Body>(&body) {
        Ok(Body { per_minute }) if per_minute > 0 => {
            let mut limits = shared.rate_limits.lock();
            limits.per_minute = per_minute;
            axum::Json(json!({ "per_minute": per_minute })).into_response()
        }
        _ => sim_error(r#"expected {"per_minute": N} with N > 0"#.into()),
    }
}

/// `GET|PUT /_sim/okta/state`: the whole state as a document (SIM-STATE-1, SIM-STATE-2),
/// outside the request-id and rate-limit layers (an export draws no request id and counts
/// against no limit) and with its own body limit.
pub(crate) fn state_routes(shared: AppState) -> Router {
    async fn get_state(State(shared): State<AppState>) -> Response {
        (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            shared.export_state(),
        )
            .into_response()
    }
    async fn put_state(State(shared): State<AppState>, body: axum::body::Bytes) -> Response {
        match shared.import_state(&body) {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            Err(error) => error.into_response(),
        }
    }
    Router::new()
        .route("/_sim/okta/state", get(get_state).put(put_state))
        .layer(axum::extract::DefaultBodyLimit::max(
            sim_core::state::MAX_STATE_BYTES,
        ))
        .with_state(shared)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn http_dates_are_imf_fixdates() {
        let t = sim_core::clock::fixed_epoch();
        assert_eq!(httpdate(t), "Thu, 01 Jan 2026 00:00:00 GMT");
        assert_eq!(
            httpdate(t + Duration::from_secs(86_400 * 59 + 3_723)),
            "Sun, 01 Mar 2026 01:02:03 GMT"
        );
    }

    #[test]
    fn the_api_token_is_read_with_or_without_a_space_after_ssws() {
        assert_eq!(ssws_token("SSWS 00abc"), Some("00abc"));
        assert_eq!(ssws_token("SSWS00abc"), Some("00abc"));
        assert_eq!(ssws_token("ssws  00abc "), Some("00abc"));
        assert_eq!(ssws_token("SSWS"), None);
        assert_eq!(ssws_token("SSWS   "), None);
        assert_eq!(ssws_token("Bearer 00abc"), None);
        assert_eq!(ssws_token("SSW"), None);
        assert_eq!(ssws_token("SSWé00"), None);
    }

    #[test]
    fn buckets_fold_okta_ids() {
        assert_eq!(
            bucket("GET", "/api/v1/users/00u1AbCdEfGhIjKlMnOp"),
            bucket("GET", "/api/v1/users/00u9ZyXwVuTsRqPoNmLk")
        );
        assert_ne!(
            bucket("GET", "/api/v1/users"),
            bucket("POST", "/api/v1/users")
        );
    }

    #[test]
    fn the_limit_resets_each_minute_of_world_time() {
        let mut limiter = RateLimiter::new(2);
        let t = sim_core::clock::fixed_epoch();
        assert!(!limiter.hit("b".into(), t).exceeded);
        assert!(!limiter.hit("b".into(), t).exceeded);
        let third = limiter.hit("b".into(), t);
        assert!(third.exceeded);
        assert_eq!(third.remaining, 0);
        assert_eq!(third.reset, crate::core::tokens::unix(t) + 60);
        assert!(
            !limiter
                .hit("b".into(), t + Duration::from_secs(60))
                .exceeded
        );
    }
}
