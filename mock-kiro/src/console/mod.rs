//! The console (admin) API under `/console/…`: what a Kiro admin does in the console
//! (BEHAVIOURS.md KIRO-PRO-1..2, KIRO-DOM-1..3, KIRO-TOK-1, KIRO-GOV-1, KIRO-SUB-2..8).
//!
//! Every route requires the admin token (`Authorization: Bearer …`, [`Admin`]); bodies and
//! answers are JSON in camelCase; refusals are AWS JSON errors ([`AwsError`]). Handlers take
//! the core's lock only around core calls: outbound I/O (the issuer's discovery document, DNS
//! TXT lookups) happens with no lock held.
//!
//! - `profiles`: profiles, their SCIM access tokens and governance settings.
//! - `domains`: company domains, on-demand verification, and the periodic check of pending
//!   domains on the world's clock ([`start_domain_checks`]).
//! - `subscriptions`: seats, group subscriptions and pending grants.

mod domains;
pub(crate) mod profiles;
pub(crate) mod subscriptions;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Path, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{delete, get, post, put};
use serde::de::DeserializeOwned;

use crate::Shared;
use crate::wire::{AppState, AwsError};

pub(crate) use domains::{
    DomainChecks, domain_check_origin, restore_domain_checks, resume_domain_checks,
    start_domain_checks,
};

/// Routes of the console API.
pub(crate) fn router() -> Router<AppState> {
    const P: &str = "/console/profiles/{profile_id}";
    Router::new()
        .route(
            "/console/profiles",
            get(profiles::list).post(profiles::create),
        )
        .route(P, get(profiles::get).delete(profiles::delete))
        .route(
            &format!("{P}/settings"),
            get(profiles::get_settings).put(profiles::put_settings),
        )
        .route(
            &format!("{P}/scim-tokens"),
            get(profiles::list_tokens).post(profiles::create_token),
        )
        .route(
            &format!("{P}/scim-tokens/{{token_id}}"),
            delete(profiles::revoke_token),
        )
        .route(
            &format!("{P}/domains"),
            get(domains::list).post(domains::add),
        )
        .route(
            &format!("{P}/domains/{{domain}}"),
            get(domains::get).delete(domains::remove),
        )
        .route(
            &format!("{P}/domains/{{domain}}/verify"),
            post(domains::verify),
        )
        .route(
            &format!("{P}/subscriptions"),
            get(subscriptions::list).post(subscriptions::subscribe),
        )
        .route(
            &format!("{P}/subscriptions/users/{{user_id}}"),
            put(subscriptions::change_tier).delete(subscriptions::unsubscribe_user),
        )
        .route(
            &format!("{P}/subscriptions/groups/{{group_id}}"),
            delete(subscriptions::unsubscribe_group),
        )
        .route(
            &format!("{P}/seats/{{user_id}}"),
            delete(subscriptions::delete_seat),
        )
        .method_not_allowed_fallback(method_not_allowed)
}

/// 405 for a known path with a method it does not take.
async fn method_not_allowed(request: Request) -> AwsError {
    AwsError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "UnknownOperationException",
        format!(
            "No operation at {} {}",
            request.method(),
            request.uri().path()
        ),
    )
}

/// Path parameters; a path that cannot be decoded is a ValidationException.
pub(crate) struct Params<T>(pub(crate) T);

impl<T, S> FromRequestParts<S> for Params<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AwsError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AwsError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(t)| Params(t))
            .map_err(|e| {
                AwsError::validation(format!("The request path is not valid: {}", e.body_text()))
            })
    }
}

/// 500 for what should never happen (a value that does not serialize).
fn internal(what: impl std::fmt::Display) -> AwsError {
    AwsError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "InternalServerException",
        format!("Internal error: {what}"),
    )
}

/// The SCIM endpoint of a tenant, as the console shows it.
pub(crate) fn scim_endpoint(shared: &Arc<Shared>, tenant_id: &str) -> String {
    format!("{}/{tenant_id}/scim/v2/", shared.base_url.lock())
}
