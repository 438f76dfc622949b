//! The management API (`/api/v1/...`) in Okta's shapes: a thin layer that parses Okta's
//! request bodies and query parameters, makes one core call under the org lock, and renders
//! Okta's objects (BEHAVIOURS.md OKTA-API-1..4, OKTA-DIR-1..2, OKTA-APP-1, OKTA-AS-2..3,
//! OKTA-AS-6..7).
//!
//! - [`users`]: `/api/v1/users` (CRUD, lifecycle, groups, app links).
//! - [`groups`]: `/api/v1/groups` (CRUD, memberships).
//! - [`apps`]: `/api/v1/apps` (OIDC apps, lifecycle, user and group assignments).
//! - [`authz`]: `/api/v1/authorizationServers` (servers, scopes, claims, policies, rules,
//!   keys and rotation, and the sim's Token Preview).
//! - [`logs`]: `/api/v1/logs`, the System Log.
//! - provisioning (`provisioning.rs`): the catalog, `/connections/default`,
//!   `/features`, `/api/v1/mappings`, `/group-push/mappings`.
//! - [`json`]: Okta's object shapes.
//! - [`paging`]: `limit` + `after` and the `Link` headers of every list.
//!
//! Every handler takes the [`Admin`](crate::wire::Admin) extractor (SSWS token), takes `now`
//! from the world's clock, and holds the org lock only for the core call.

mod apps;
mod authz;
mod groups;
pub(crate) mod json;
mod logs;
pub(crate) mod paging;
mod provisioning;
mod users;

use std::collections::HashMap;
use std::time::SystemTime;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Query};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::wire::{ApiError, AppState, parse_json};

/// Routes of the management API.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .merge(users::routes())
        .merge(groups::routes())
        .merge(apps::routes())
        .merge(authz::routes())
        .merge(logs::routes())
        .merge(provisioning::routes())
        .method_not_allowed_fallback(method_not_allowed)
}

/// Routes registered both as `path` and `path/`: Okta answers both, and its SDKs put a slash
/// before the query string (`/api/v1/users/?limit=200`).
pub(crate) trait RouteBoth {
    /// Adds `method_router` at `path` and at `path/`.
    fn both(self, path: &str, method_router: MethodRouter<AppState>) -> Self;
}

impl RouteBoth for Router<AppState> {
    fn both(self, path: &str, method_router: MethodRouter<AppState>) -> Self {
        self.route(path, method_router.clone())
            .route(&format!("{path}/"), method_router)
    }
}

/// 405 in Okta's shape (E0000022).
async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "E0000022",
        "The endpoint does not support the provided HTTP method",
    )
}

/// The query parameters of a request (last value wins).
pub(crate) struct Params(pub(crate) HashMap<String, String>);

impl FromRequestParts<AppState> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Params, ApiError> {
        let Query(map) = Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::validation("query", format!("query: {e}")))?;
        Ok(Params(map))
    }
}

impl Params {
    /// A parameter's value, if given.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A boolean parameter (`true`/`false`), `default` when absent.
    pub(crate) fn flag(&self, name: &str, default: bool) -> Result<bool, ApiError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(ApiError::validation(
                name,
                format!("{name}: '{v}' is not a valid boolean value (true or false)"),
            )),
        }
    }
}

/// The current world time.
pub(crate) fn now(shared: &AppState) -> SystemTime {
    shared.clock.now()
}

/// 200 with a JSON body.
pub(crate) fn ok(body: Value) -> Response {
    axum::Json(body).into_response()
}

/// 201 Created with a JSON body: what Okta's management API specification gives for creating
/// an authorization server, a scope, a claim, a policy, a rule or a group push mapping (users,
/// groups and apps are created with 200). The generated SDKs map the body by status, so a 200 there reads as no
/// body at all (okta 3.x).
pub(crate) fn created(body: Value) -> Response {
    (StatusCode::CREATED, axum::Json(body)).into_response()
}

/// 204 No Content.
pub(crate) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// Parses a JSON body; an empty body reads as `{}` (for endpoints whose body is optional).
pub(crate) fn parse_optional<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        parse_json(&Bytes::from_static(b"{}"))
    } else {
        parse_json(body)
    }
}

/// A required string field of a request body, or E0000001 `{field}: The field cannot be left
/// blank`.
pub(crate) fn required<'a>(value: &'a Option<String>, field: &str) -> Result<&'a str, ApiError> {
    match value.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(ApiError::validation(
            field,
            format!("{field}: The field cannot be left blank"),
        )),
    }
}

/// Result of a handler.
pub(crate) type ApiResult = Result<Response, ApiError>;
