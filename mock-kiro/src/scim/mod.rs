//! The SCIM 2.0 endpoint under `/{tenantId}/scim/v2/…`, with AWS IAM Identity Center's
//! semantics (BEHAVIOURS.md KIRO-SCIM-1..7, KIRO-TOK-1). Operations IdC does not implement
//! (`/Bulk`, `/Me`, `.search`, methods with no operation) are 400 ValidationException.
//!
//! - [`ScimCaller`]: every request carries `Authorization: Bearer {SCIM access token}` of the
//!   tenant's profile, checked by the core on every request (a revoked token is refused on the
//!   very next one); then the per-tenant throttle ([`RateLimits`], KIRO-SCIM-2's 429).
//! - `users`: `/Users` (create, list with IdC filters and cursor paging, get, replace, patch,
//!   delete).
//! - `groups`: `/Groups` (create, list, get: always without members; patch: 204; delete).
//! - `documents`: `/ServiceProviderConfig`, `/Schemas`, `/ResourceTypes`.
//! - the simulator control `/_sim/kiro/scim-rate-limit` ([`sim_routes`]).
//!
//! Every answer is `application/scim+json`; every refusal is the SCIM Error schema
//! ([`crate::wire::ScimError`]). Request bodies may be `application/json` or
//! `application/scim+json`. The core's lock is held only around core calls.

mod documents;
pub(crate) mod groups;
mod users;

use std::collections::HashMap;
use std::time::SystemTime;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use parking_lot::Mutex;
use serde_json::{Value, json};

use crate::wire::{AppState, ScimError};

pub(crate) use crate::core::scim::{GROUP_SCHEMA, USER_SCHEMA};
/// List responses.
pub(crate) const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// PATCH requests.
pub(crate) const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// IdC's detail for anything it cannot parse.
pub(crate) const UNPARSABLE: &str =
    "Request is unparsable, syntactically incorrect, or violates schema.";

/// Routes of the SCIM endpoint.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/{tenant}/scim/v2/Users",
            get(users::list)
                .post(users::create)
                .fallback(unsupported_method),
        )
        .route(
            "/{tenant}/scim/v2/Users/{id}",
            get(users::get_one)
                .put(users::replace)
                .patch(users::patch)
                .delete(users::delete)
                .fallback(unsupported_method),
        )
        .route(
            "/{tenant}/scim/v2/Groups",
            get(groups::list)
                .post(groups::create)
                .fallback(unsupported_method),
        )
        .route(
            "/{tenant}/scim/v2/Groups/{id}",
            get(groups::get_one)
                .patch(groups::patch)
                .delete(groups::delete)
                .fallback(unsupported_method),
        )
        .route(
            "/{tenant}/scim/v2/ServiceProviderConfig",
            get(documents::service_provider_config).fallback(unsupported_method),
        )
        .route(
            "/{tenant}/scim/v2/Schemas",
            get(documents::schemas).fallback(unsupported_method),
        )
        .route(
            "/{tenant}/scim/v2/Schemas/{id}",
            get(documents::schema).fallback(unsupported_method),
        )
        .route(
            "/{tenant}/scim/v2/ResourceTypes",
            get(documents::resource_types).fallback(unsupported_method),
        )
        .route(
            "/{tenant}/scim/v2/ResourceTypes/{id}",
            get(documents::resource_type).fallback(unsupported_method),
        )
        .route(
            "/{tenant}/scim/v2/{*rest}",
            axum::routing::any(unknown_endpoint),
        )
}

// ---- answers -------------------------------------------------------------------------------

/// A SCIM JSON answer.
pub(crate) fn scim_json(status: StatusCode, body: Value) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/scim+json"),
    );
    response
}

/// A ListResponse of `resources` (`nextCursor` when there is a next page).
pub(crate) fn list_response(
    total: usize,
    resources: Vec<Value>,
    next_cursor: Option<String>,
) -> Response {
    let mut body = json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "itemsPerPage": resources.len(),
        "startIndex": 1,
        "Resources": resources,
    });
    if let Some(cursor) = next_cursor {
        body["nextCursor"] = json!(cursor);
    }
    scim_json(StatusCode::OK, body)
}

/// A world timestamp as IdC's `meta` spells it (RFC 3339, seconds).
pub(crate) fn meta_time(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// 400 for a body that is not JSON or not the expected shape.
pub(crate) fn unparsable(at: SystemTime) -> ScimError {
    ScimError::new(
        StatusCode::BAD_REQUEST,
        Some("invalidSyntax"),
        UNPARSABLE,
        at,
    )
}

/// Reads a JSON request body: `application/json` or `application/scim+json` (or no
/// Content-Type at all); anything unparsable is IdC's 400.
pub(crate) fn json_body(
    headers: &HeaderMap,
    body: &Bytes,
    at: SystemTime,
) -> Result<Value, ScimError> {
    if let Some(value) = headers.get(header::CONTENT_TYPE) {
        let essence = value
            .to_str()
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if essence != "application/json" && essence != "application/scim+json" {
            return Err(ScimError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                None,
                "The request body must be application/scim+json or application/json.",
                at,
            ));
        }
    }
    serde_json::from_slice::<Value>(body).map_err(|_| unparsable(at))
}

/// Query parameters of a list request: `filter`, `count` (capped at 100; negative counts as
/// 0, RFC 7644 §3.4.2.4), `cursor`; `startIndex` and anything else are ignored, as in IdC.
pub(crate) struct ListQuery {
    pub(crate) filter: Option<String>,
    pub(crate) count: Option<usize>,
    pub(crate) cursor: Option<String>,
}

impl ListQuery {
    pub(crate) fn parse(query: Option<&str>, at: SystemTime) -> Result<ListQuery, ScimError> {
        let pairs: Vec<(String, String)> =
            query_pairs(query.unwrap_or_default()).ok_or_else(|| unparsable(at))?;
        let mut out = ListQuery {
            filter: None,
            count: None,
            cursor: None,
        };
        for (key, value) in pairs {
            match key.as_str() {
                "filter" => out.filter = Some(value),
                "count" => {
                    let n: i64 = value.trim().parse().map_err(|_| {
                        ScimError::new(
                            StatusCode::BAD_REQUEST,
                            Some("invalidValue"),
                            format!("count must be an integer, not {value:?}."),
                            at,
                        )
                    })?;
                    out.count = Some(usize::try_from(n.clamp(0, 100)).unwrap_or(100));
                }
                "cursor" => {
                    // IdC's pattern for cursors.
                    if !value
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-+=/:_".contains(c))
                    {
                        return Err(ScimError::new(
                            StatusCode::BAD_REQUEST,
                            Some("invalidValue"),
                            format!("The cursor {value:?} is not valid."),
                            at,
                        ));
                    }
                    out.cursor = Some(value);
                }
                _ => {}
            }
        }
        Ok(out)
    }
}

/// `a=1&b=2` → pairs, percent-decoded (`+` is a space); `None` if not valid UTF-8.
pub(crate) fn query_pairs(query: &str) -> Option<Vec<(String, String)>> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Some((percent_decode(k)?, percent_decode(v)?))
        })
        .collect()
}

fn percent_decode(text: &str) -> Option<String> {
    sim_core::url::form_decode(text)
}

async fn unsupported_method(State(shared): State<AppState>, request: Request) -> Response {
    // IdC answers ValidationException for operations it does not support (PUT on a group,
    // POST on a resource, …). Authentication comes first, as for any SCIM request.
    let (mut parts, _) = request.into_parts();
    let at = shared.clock.now();
    if let Err(refusal) = ScimCaller::from_request_parts(&mut parts, &shared).await {
        return refusal;
    }
    ScimError::new(
        StatusCode::BAD_REQUEST,
        None,
        format!(
            "{UNPARSABLE} This error also occurs if the operation is unsupported: {} {}.",
            parts.method,
            parts.uri.path()
        ),
        at,
    )
    .into_response()
}

async fn unknown_endpoint(State(shared): State<AppState>, request: Request) -> Response {
    let (mut parts, _) = request.into_parts();
    let at = shared.clock.now();
    if let Err(refusal) = ScimCaller::from_request_parts(&mut parts, &shared).await {
        return refusal;
    }
    let path = parts.uri.path();
    // RFC 7644's operations IdC does not implement (`/Bulk`, `/Me`, `POST …/.search`) are
    // ValidationExceptions, as the guide's error tables give for any unsupported operation
    // (KIRO-SCIM-9); a path that names nothing at all is a 404.
    let rest = path.split_once("/scim/v2/").map_or("", |(_, r)| r);
    let segments: Vec<&str> = rest.split('/').collect();
    let rfc_operation =
        matches!(segments.first(), Some(&"Bulk" | &"Me")) || segments.last() == Some(&".search");
    if rfc_operation {
        return ScimError::new(
            StatusCode::BAD_REQUEST,
            None,
            format!(
                "{UNPARSABLE} This error also occurs if the operation is unsupported: {} {path}.",
                parts.method
            ),
            at,
        )
        .into_response();
    }
    ScimError::new(
        StatusCode::NOT_FOUND,
        None,
        format!("The SCIM endpoint {path} is not supported."),
        at,
    )
    .into_response()
}

// ---- authentication and throttling ---------------------------------------------------------

/// An authenticated, admitted SCIM request: the profile it acts on and the world time it
/// arrived at.
pub(crate) struct ScimCaller {
    pub(crate) profile: String,
    pub(crate) now: SystemTime,
}

impl FromRequestParts<AppState> for ScimCaller {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        shared: &AppState,
    ) -> Result<ScimCaller, Response> {
        let now = shared.clock.now();
        // Every SCIM route starts with `/{tenant}/`.
        let tenant = parts
            .uri
            .path()
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let profile = crate::wire::bearer(&parts.headers)
            .and_then(|token| shared.kiro.lock().authenticate_scim(now, &tenant, token));
        let Some(profile) = profile else {
            let mut response = ScimError::new(
                StatusCode::UNAUTHORIZED,
                None,
                "Authorization header is invalid or missing. This error also occurs if the tenant ID is incorrect.",
                now,
            )
            .into_response();
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return Err(response);
        };
        // Only authenticated requests count against (and are held to) the tenant's limit, so
        // requests without a valid token can neither use up a tenant's budget nor grow state.
        if let Err(retry_after) = shared.scim_limits.admit(&tenant, now) {
            let mut response = ScimError::new(
                StatusCode::TOO_MANY_REQUESTS,
                None,
                "Too many requests exceeded the limits.",
                now,
            )
            .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            return Err(response);
        }
        Ok(ScimCaller { profile, now })
    }
}

/// The per-tenant SCIM throttle: at most `per_minute` requests per tenant per minute of world
/// time (minutes counted from the Unix epoch); unlimited by default.
#[derive(Default)]
pub(crate) struct RateLimits {
    inner: Mutex<RateState>,
}

#[derive(Default)]
struct RateState {
    per_minute: Option<u32>,
    /// Tenant → (minute, requests admitted in it).
    windows: HashMap<String, (u64, u32)>,
}

impl RateLimits {
    /// Counts a request of `tenant` at `now`, or refuses it with the seconds until the next
    /// world minute.
    fn admit(&self, tenant: &str, now: SystemTime) -> Result<(), u64> {
        let mut state = self.inner.lock();
        let Some(limit) = state.per_minute else {
            return Ok(());
        };
        let ms = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let minute = u64::try_from(ms / 60_000).unwrap_or(u64::MAX);
        let window = state
            .windows
            .entry(tenant.to_string())
            .or_insert((minute, 0));
        if window.0 != minute {
            *window = (minute, 0);
        }
        if window.1 >= limit {
            let left_ms = 60_000 - u64::try_from(ms % 60_000).unwrap_or(0);
            return Err(left_ms.div_ceil(1000));
        }
        window.1 += 1;
        Ok(())
    }

    fn set(&self, per_minute: Option<u32>) {
        let mut state = self.inner.lock();
        state.per_minute = per_minute;
        state.windows.clear();
    }

    fn get(&self) -> Option<u32> {
        self.inner.lock().per_minute
    }
}

/// Simulator controls: `GET`/`PUT /_sim/kiro/scim-rate-limit` `{"per_minute": N | null}`.
pub(crate) fn sim_routes() -> Router<AppState> {
    Router::new().route(
        "/_sim/kiro/scim-rate-limit",
        get(get_rate_limit).put(put_rate_limit),
    )
}

async fn get_rate_limit(State(shared): State<AppState>) -> Response {
    axum::Json(json!({ "per_minute": shared.scim_limits.get() })).into_response()
}

async fn put_rate_limit(State(shared): State<AppState>, body: Bytes) -> Response {
    let parsed = serde_json::from_slice::<Value>(&body)
        .map_err(|e| e.to_string())
        .and_then(|v| match v.get("per_minute") {
            Some(Value::Null) => Ok(None),
            Some(n) => n
                .as_u64()
                .filter(|n| (1..=u64::from(u32::MAX)).contains(n))
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| "`per_minute` must be a positive integer or null".to_string()),
            None => Err("give `per_minute`: a positive integer, or null for no limit".into()),
        });
    match parsed {
        Ok(limit) => {
            shared.scim_limits.set(limit);
            axum::Json(json!({ "per_minute": limit })).into_response()
        }
        Err(message) => (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "error": "invalid_request", "message": message })),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_are_decoded() {
        assert_eq!(
            query_pairs("filter=userName%20eq%20%22a%40b.c%22&count=5&startIndex=7"),
            Some(vec![
                ("filter".into(), "userName eq \"a@b.c\"".into()),
                ("count".into(), "5".into()),
                ("startIndex".into(), "7".into()),
            ])
        );
        assert_eq!(percent_decode("a+b%2Bc"), Some("a b+c".into()));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%4"), None);
    }

    #[test]
    fn the_throttle_counts_per_world_minute() {
        let limits = RateLimits::default();
        let t0 = sim_core::clock::fixed_epoch() + std::time::Duration::from_secs(15);
        assert_eq!(limits.admit("t", t0), Ok(()));
        limits.set(Some(2));
        assert_eq!(limits.admit("t", t0), Ok(()));
        assert_eq!(limits.admit("t", t0), Ok(()));
        assert_eq!(limits.admit("t", t0), Err(45));
        assert_eq!(limits.admit("other", t0), Ok(()));
        let next = t0 + std::time::Duration::from_secs(45);
        assert_eq!(limits.admit("t", next), Ok(()));
        limits.set(None);
        for _ in 0..10 {
            assert_eq!(limits.admit("t", next), Ok(()));
        }
    }
}
