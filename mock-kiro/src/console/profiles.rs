//! Profiles (KIRO-PRO-1..2), their SCIM access tokens (KIRO-TOK-1) and governance settings
//! (KIRO-GOV-1).

use std::time::SystemTime;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use serde_json::{Value, json};
use sim_api::kiro::CreateProfileBody;

use super::{Params, internal, scim_endpoint};
use crate::core::{Profile, ScimToken, Settings};
use crate::wire::{Admin, AppState, AwsError, parse_json, timestamp};

fn profile_json(shared: &AppState, p: &Profile, status: &str) -> Value {
    json!({
        "profileArn": p.arn,
        "profileId": p.id,
        "profileName": p.name,
        "region": p.region,
        "identitySource": {
            "type": "EXTERNAL_IDP",
            "provider": "OKTA",
            "issuerUrl": p.issuer,
            "clientId": p.client_id,
        },
        "scimEndpoint": scim_endpoint(shared, &p.tenant_id),
        "status": status,
        "createdAt": timestamp(p.created),
    })
}

/// Creates a profile once the issuer's discovery document checks out (KIRO-PRO-1). Nothing is
/// created when the issuer does not serve it.
pub(super) async fn create(
    _: Admin,
    State(shared): State<AppState>,
    body: Bytes,
) -> Result<Json<Value>, AwsError> {
    let input: CreateProfileBody = parse_json(&body)?;
    let profile = create_profile(
        &shared,
        &input.profile_name,
        &input.issuer_url,
        &input.client_id,
    )
    .await?;
    Ok(Json(profile_json(&shared, &profile, "ACTIVE")))
}

/// What creating a profile does, for the API and the console's pages alike: the core's checks,
/// the issuer's discovery document (fetched with no lock held), then the core creates it.
pub(crate) async fn create_profile(
    shared: &AppState,
    name: &str,
    issuer: &str,
    client_id: &str,
) -> Result<Profile, AwsError> {
    shared
        .kiro
        .lock()
        .check_new_profile(name, issuer, client_id)?;
    let discovery =
        shared.outbound.discovery(issuer).await.map_err(|e| {
            AwsError::validation(format!("Issuer URI {issuer} cannot be used: {e}"))
        })?;
    let now = shared.clock.now();
    Ok(shared
        .kiro
        .lock()
        .create_profile(now, name, issuer, client_id, discovery)?)
}

/// `GET /console/profiles`.
pub(super) async fn list(_: Admin, State(shared): State<AppState>) -> Json<Value> {
    let profiles: Vec<Value> = {
        let kiro = shared.kiro.lock();
        kiro.profiles()
            .iter()
            .map(|p| profile_json(&shared, p, "ACTIVE"))
            .collect()
    };
    Json(json!({ "profiles": profiles }))
}

/// `GET /console/profiles/{id}`.
pub(super) async fn get(
    _: Admin,
    State(shared): State<AppState>,
    Params(id): Params<String>,
) -> Result<Json<Value>, AwsError> {
    let kiro = shared.kiro.lock();
    Ok(Json(profile_json(&shared, kiro.profile(&id)?, "ACTIVE")))
}

/// `DELETE /console/profiles/{id}`: the profile and everything held for it go (KIRO-PRO-2).
pub(super) async fn delete(
    _: Admin,
    State(shared): State<AppState>,
    Params(id): Params<String>,
) -> Result<Json<Value>, AwsError> {
    let profile = shared.kiro.lock().delete_profile(&id)?;
    Ok(Json(profile_json(&shared, &profile, "DELETED")))
}

// ---- settings -----------------------------------------------------------------------------

fn settings_json(shared: &AppState, p: &Profile) -> Result<Value, AwsError> {
    let mut value = serde_json::to_value(&p.settings).map_err(internal)?;
    if let Value::Object(map) = &mut value {
        map.insert(
            "scimEndpoint".into(),
            scim_endpoint(shared, &p.tenant_id).into(),
        );
    }
    Ok(value)
}

/// `GET …/settings`: governance settings and the SCIM endpoint (KIRO-GOV-1).
pub(super) async fn get_settings(
    _: Admin,
    State(shared): State<AppState>,
    Params(id): Params<String>,
) -> Result<Json<Value>, AwsError> {
    let kiro = shared.kiro.lock();
    Ok(Json(settings_json(&shared, kiro.profile(&id)?)?))
}

/// `PUT …/settings`: replaces the settings; a refusal changes nothing (KIRO-GOV-1).
pub(super) async fn put_settings(
    _: Admin,
    State(shared): State<AppState>,
    Params(id): Params<String>,
    body: Bytes,
) -> Result<Json<Value>, AwsError> {
    let settings: Settings = parse_json(&body)?;
    let mut kiro = shared.kiro.lock();
    kiro.profile(&id)?;
    kiro.update_settings(&id, settings)?;
    Ok(Json(settings_json(&shared, kiro.profile(&id)?)?))
}

// ---- SCIM access tokens -------------------------------------------------------------------

fn token_status(t: &ScimToken, now: SystemTime) -> &'static str {
    if t.revoked {
        "REVOKED"
    } else if t.expires <= now {
        "EXPIRED"
    } else {
        "ACTIVE"
    }
}

/// A token's metadata: never the secret.
fn token_json(t: &ScimToken, now: SystemTime) -> Value {
    json!({
        "tokenId": t.id,
        "createdAt": timestamp(t.created),
        "expiresAt": timestamp(t.expires),
        "lastUsedAt": t.last_used.map(timestamp),
        "status": token_status(t, now),
    })
}

/// `POST …/scim-tokens`: the secret is in this answer only (KIRO-TOK-1).
pub(super) async fn create_token(
    _: Admin,
    State(shared): State<AppState>,
    Params(id): Params<String>,
) -> Result<Json<Value>, AwsError> {
    let now = shared.clock.now();
    let (token, secret) = shared.kiro.lock().generate_scim_token(now, &id)?;
    Ok(Json(json!({
        "tokenId": token.id,
        "token": secret,
        "createdAt": timestamp(token.created),
        "expiresAt": timestamp(token.expires),
    })))
}

/// `GET …/scim-tokens`: metadata of every token.
pub(super) async fn list_tokens(
    _: Admin,
    State(shared): State<AppState>,
    Params(id): Params<String>,
) -> Result<Json<Value>, AwsError> {
    let now = shared.clock.now();
    let kiro = shared.kiro.lock();
    let tokens: Vec<Value> = kiro
        .profile(&id)?
        .scim_tokens
        .iter()
        .map(|t| token_json(t, now))
        .collect();
    Ok(Json(json!({ "tokens": tokens })))
}

/// `DELETE …/scim-tokens/{tokenId}`: revokes; refused from the next request on.
pub(super) async fn revoke_token(
    _: Admin,
    State(shared): State<AppState>,
    Params((id, token_id)): Params<(String, String)>,
) -> Result<Json<Value>, AwsError> {
    let now = shared.clock.now();
    let token = shared.kiro.lock().revoke_scim_token(&id, &token_id)?;
    Ok(Json(token_json(&token, now)))
}
