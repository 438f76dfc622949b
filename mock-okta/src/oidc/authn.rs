//! `POST /api/v1/authn` and `POST /api/v1/authn/factors/{factorId}/verify` (BEHAVIOURS.md
//! OKTA-TOK-2, OKTA-TOK-7): headless primary authentication in Okta's transaction shapes.
//!
//! - `SUCCESS` carries a single-use `sessionToken` (5 minutes) for `/authorize`.
//! - `MFA_REQUIRED` (the sign-on policy requires MFA and the user has an active TOTP factor)
//!   carries a `stateToken` and the factor with its `verify` link.
//! - `MFA_ENROLL` (MFA required, no factor): sim choice, an admin enrolls the factor through
//!   `/api/v1/users/{id}/factors`; the transaction lists the TOTP factor as `NOT_SETUP`.
//! - Any failure is 401 E0000004 "Authentication failed" (the reason only reaches the System
//!   Log); a wrong code is 403 E0000068; an unknown or expired state token is 401 E0000011.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::timestamp;
use crate::core::Org;
use crate::core::tokens::{AuthnFailed, AuthnOutcome};
use crate::wire::{ApiError, AppState, parse_json};

#[derive(serde::Deserialize)]
struct AuthnBody {
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerifyBody {
    #[serde(default)]
    state_token: Option<String>,
    #[serde(default)]
    pass_code: Option<String>,
}

fn authentication_failed() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "E0000004",
        "Authentication failed",
    )
}

/// 403 E0000068, with Okta's cause.
pub(crate) fn invalid_passcode() -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "E0000068", "Invalid Passcode/Answer")
        .with_cause("Your passcode doesn't match our records. Please try again.")
}

/// `POST /api/v1/authn`.
pub(crate) async fn authn(State(shared): State<AppState>, body: Bytes) -> Response {
    let body: AuthnBody = match parse_json(&body) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let (Some(username), Some(password)) = (body.username, body.password) else {
        return authentication_failed().into_response();
    };
    let now = shared.clock.now();
    let mut org = shared.org.lock();
    match org.authn(now, &username, &password) {
        Ok(outcome) => axum::Json(transaction(&org, &outcome)).into_response(),
        Err(_) => authentication_failed().into_response(),
    }
}

/// `POST /api/v1/authn/factors/{factorId}/verify`.
pub(crate) async fn verify(
    State(shared): State<AppState>,
    Path(factor_id): Path<String>,
    body: Bytes,
) -> Response {
    let body: VerifyBody = match parse_json(&body) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let Some(state_token) = body.state_token.filter(|t| !t.is_empty()) else {
        return ApiError::invalid_token().into_response();
    };
    let now = shared.clock.now();
    let mut org = shared.org.lock();
    let pass_code = body.pass_code.unwrap_or_default();
    match org.authn_verify_factor(now, &state_token, &factor_id, &pass_code) {
        Ok(outcome) => axum::Json(transaction(&org, &outcome)).into_response(),
        Err(AuthnFailed { reason }) if reason == "INVALID_PASSCODE" => {
            invalid_passcode().into_response()
        }
        Err(_) => ApiError::invalid_token().into_response(),
    }
}

/// The `_embedded.user` of a transaction.
fn user_json(org: &Org, user_id: &str) -> Value {
    let Ok(user) = org.user(user_id) else {
        return json!({ "id": user_id });
    };
    let profile_or = |key: &str, default: &str| {
        user.profile
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or(default)
            .to_string()
    };
    json!({
        "id": user.id,
        "passwordChanged": user.password_changed.map(timestamp),
        "profile": {
            "login": user.login(),
            "firstName": user.profile_str("firstName"),
            "lastName": user.profile_str("lastName"),
            "locale": profile_or("locale", "en_US"),
            "timeZone": profile_or("timezone", "America/Los_Angeles"),
        }
    })
}

fn transaction(org: &Org, outcome: &AuthnOutcome) -> Value {
    match outcome {
        AuthnOutcome::Success {
            session_token,
            expires,
            user_id,
        } => json!({
            "expiresAt": timestamp(*expires),
            "status": "SUCCESS",
            "sessionToken": session_token,
            "_embedded": { "user": user_json(org, user_id) },
        }),
        AuthnOutcome::MfaRequired {
            state_token,
            expires,
            user_id,
            factor_ids,
        } => {
            let login = org
                .user(user_id)
                .map(|u| u.login().to_string())
                .unwrap_or_default();
            let factors: Vec<Value> = factor_ids
                .iter()
                .map(|id| {
                    json!({
                        "id": id,
                        "factorType": "token:software:totp",
                        "provider": "OKTA",
                        "vendorName": "OKTA",
                        "profile": { "credentialId": login },
                        "_links": {
                            "verify": {
                                "href": format!("{}/api/v1/authn/factors/{id}/verify", org.org_url()),
                                "hints": { "allow": ["POST"] },
                            }
                        },
                    })
                })
                .collect();
            json!({
                "stateToken": state_token,
                "expiresAt": timestamp(*expires),
                "status": "MFA_REQUIRED",
                "_embedded": {
                    "user": user_json(org, user_id),
                    "factors": factors,
                },
            })
        }
        AuthnOutcome::MfaEnroll {
            state_token,
            expires,
            user_id,
        } => json!({
            "stateToken": state_token,
            "expiresAt": timestamp(*expires),
            "status": "MFA_ENROLL",
            "_embedded": {
                "user": user_json(org, user_id),
                "factors": [{
                    "factorType": "token:software:totp",
                    "provider": "OKTA",
                    "vendorName": "OKTA",
                    "status": "NOT_SETUP",
                    "enrollment": "REQUIRED",
                }],
            },
        }),
    }
}
