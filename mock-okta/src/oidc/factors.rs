//! The TOTP factor admin endpoints (BEHAVIOURS.md OKTA-TOK-7), SSWS-authenticated:
//!
//! - `POST /api/v1/users/{id}/factors` `{"factorType":"token:software:totp","provider":"OKTA"}`
//!   enrolls a factor: `PENDING_ACTIVATION`, with the shared secret in
//!   `_embedded.activation`.
//! - `POST /api/v1/users/{id}/factors/{factorId}/lifecycle/activate` `{"passCode"}` activates
//!   it with a first code (a wrong one is 403 E0000068).
//! - `GET /api/v1/users/{id}/factors` and `GET /api/v1/users/{id}/factors/{factorId}`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::authn::invalid_passcode;
use super::timestamp;
use crate::core::directory::Factor;
use crate::core::{OktaError, Org};
use crate::wire::{Admin, ApiError, AppState, parse_json};

const FACTOR_TYPE: &str = "token:software:totp";

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct EnrollBody {
    #[serde(default)]
    factor_type: Option<String>,
    #[serde(default)]
    provider: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActivateBody {
    #[serde(default)]
    pass_code: Option<String>,
}

/// Okta's factor object; `activation` adds the enrollment secret.
fn factor_json(org: &Org, user_id: &str, factor: &Factor, activation: bool) -> Value {
    let login = org
        .user(user_id)
        .map(|u| u.login().to_string())
        .unwrap_or_default();
    let base = format!(
        "{}/api/v1/users/{user_id}/factors/{}",
        org.org_url(),
        factor.id
    );
    let mut links = serde_json::Map::new();
    if !factor.active {
        links.insert(
            "activate".into(),
            json!({ "href": format!("{base}/lifecycle/activate"), "hints": { "allow": ["POST"] } }),
        );
    }
    links.insert(
        "self".into(),
        json!({ "href": base, "hints": { "allow": ["GET"] } }),
    );
    links.insert(
        "user".into(),
        json!({ "href": format!("{}/api/v1/users/{user_id}", org.org_url()), "hints": { "allow": ["GET"] } }),
    );
    let mut out = json!({
        "id": factor.id,
        "factorType": FACTOR_TYPE,
        "provider": "OKTA",
        "vendorName": "OKTA",
        "status": if factor.active { "ACTIVE" } else { "PENDING_ACTIVATION" },
        "created": timestamp(factor.created),
        "lastUpdated": timestamp(factor.created),
        "profile": { "credentialId": login },
        "_links": links,
    });
    if activation {
        out["_embedded"] = json!({
            "activation": {
                "timeStep": 30,
                "sharedSecret": factor.secret,
                "encoding": "base32",
                "keyLength": 6,
            }
        });
    }
    out
}

fn respond(result: Result<Value, ApiError>) -> Response {
    match result {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `POST /api/v1/users/{id}/factors`.
pub(crate) async fn enroll(
    _: Admin,
    State(shared): State<AppState>,
    Path(user_id): Path<String>,
    body: Bytes,
) -> Response {
    let result = (|| {
        let body: EnrollBody = parse_json(&body)?;
        if body.factor_type.as_deref() != Some(FACTOR_TYPE)
            || body.provider.as_deref().is_some_and(|p| p != "OKTA")
        {
            return Err(ApiError::validation(
                "factorEnrollRequest",
                "factorType: Only 'token:software:totp' with provider 'OKTA' is supported.",
            ));
        }
        let now = shared.clock.now();
        let mut org = shared.org.lock();
        let user = org.user(&user_id)?;
        if user.has_active_factor() {
            return Err(ApiError::validation(
                "factorEnrollRequest",
                "A factor of this type is already set up.",
            ));
        }
        let user_id = user.id.clone();
        let factor = org.enroll_totp(now, &user_id)?;
        Ok(factor_json(&org, &user_id, &factor, true))
    })();
    respond(result)
}

/// `POST /api/v1/users/{id}/factors/{factorId}/lifecycle/activate`.
pub(crate) async fn activate(
    _: Admin,
    State(shared): State<AppState>,
    Path((user_id, factor_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let result = (|| {
        let body: ActivateBody = parse_json(&body)?;
        let now = shared.clock.now();
        let mut org = shared.org.lock();
        let user_id = org.user(&user_id)?.id.clone();
        let pass_code = body.pass_code.unwrap_or_default();
        match org.activate_factor(now, &user_id, &factor_id, &pass_code) {
            Ok(factor) => Ok(factor_json(&org, &user_id, &factor, false)),
            Err(OktaError::Validation { .. }) => Err(invalid_passcode()),
            Err(e) => Err(e.into()),
        }
    })();
    respond(result)
}

/// `GET /api/v1/users/{id}/factors`.
pub(crate) async fn list(
    _: Admin,
    State(shared): State<AppState>,
    Path(user_id): Path<String>,
) -> Response {
    let org = shared.org.lock();
    let result = org.user(&user_id).map_err(ApiError::from).map(|user| {
        Value::Array(
            user.factors
                .iter()
                .map(|f| factor_json(&org, &user.id, f, false))
                .collect(),
        )
    });
    respond(result)
}

/// `GET /api/v1/users/{id}/factors/{factorId}`.
pub(crate) async fn get(
    _: Admin,
    State(shared): State<AppState>,
    Path((user_id, factor_id)): Path<(String, String)>,
) -> Response {
    let org = shared.org.lock();
    let result = org.user(&user_id).map_err(ApiError::from).and_then(|user| {
        user.factors
            .iter()
            .find(|f| f.id == factor_id)
            .map(|f| factor_json(&org, &user.id, f, false))
            .ok_or_else(|| OktaError::not_found("Factor", &factor_id).into())
    });
    respond(result)
}
