//! `/api/v1/authorizationServers` (BEHAVIOURS.md OKTA-AS-2, OKTA-AS-3, OKTA-AS-6, OKTA-AS-7):
//! servers (CRUD, lifecycle), scopes, claims, access policies (CRUD, lifecycle) and their rules
//! (CRUD, lifecycle; lifetimes validated against Okta's ranges by the core), signing keys and
//! rotation, and Token Preview.
//!
//! Token Preview is the admin console's feature, not a public Okta endpoint; the sim serves it
//! at `POST /api/v1/authorizationServers/{asId}/tokenPreview` with
//! `{"clientId","grantType","userId","scopes":[…]}`, answering 200 with
//! `{"outcome":"SUCCESS","access_token":{claims},"id_token":{claims}|null,"refresh_token":bool}`
//! or `{"outcome":"FAILURE","error","error_description","reason"}`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use sim_api::okta::{
    Include, PolicyBody, PreviewBody, RotateBody, RuleBody, ScopeBody, ServerBody,
};

use super::paging::Listing;
use super::{ApiResult, RouteBoth, created, json, no_content, now, ok, parse_optional, required};
use crate::core::{Claim, NewRule, OktaError, Scope};
use crate::wire::{Admin, ApiError, AppState, parse_json};

const AS: &str = "/api/v1/authorizationServers";

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .both(AS, get(list).post(create))
        .both(
            "/api/v1/authorizationServers/{as_id}",
            get(read).put(update).delete(delete),
        )
        .both(
            "/api/v1/authorizationServers/{as_id}/lifecycle/{action}",
            post(lifecycle),
        )
        .both(
            "/api/v1/authorizationServers/{as_id}/credentials/keys",
            get(keys),
        )
        .both(
            "/api/v1/authorizationServers/{as_id}/credentials/lifecycle/keyRotate",
            post(rotate),
        )
        .both(
            "/api/v1/authorizationServers/{as_id}/scopes",
            get(list_scopes).post(create_scope),
        )
        .both(
            "/api/v1/authorizationServers/{as_id}/scopes/{scope_id}",
            get(read_scope).delete(delete_scope),
        )
        .both(
            "/api/v1/authorizationServers/{as_id}/claims",
            get(list_claims).post(create_claim),
        )
        .both(
            "/api/v1/authorizationServers/{as_id}/claims/{claim_id}",
            get(read_claim).delete(delete_claim),
        )
        .both(
            "/api/v1/authorizationServers/{as_id}/policies",
            get(list_policies).post(create_policy),
        )
        .both(
            "/api/v1/authorizationServers/{as_id}/policies/{policy_id}",
            get(read_policy).put(update_policy).delete(delete_policy),
        )
        .both(
            "/api/v1/authorizationServers/{as_id}/policies/{policy_id}/lifecycle/{action}",
            post(policy_lifecycle),
        )
        .both(
            "/api/v1/authorizationServers/{as_id}/policies/{policy_id}/rules",
            get(list_rules).post(create_rule),
        )
        .both(
            "/api/v1/authorizationServers/{as_id}/policies/{policy_id}/rules/{rule_id}",
            get(read_rule).put(update_rule).delete(delete_rule),
        )
        .both(
            "/api/v1/authorizationServers/{as_id}/policies/{policy_id}/rules/{rule_id}/lifecycle/{action}",
            post(rule_lifecycle),
        )
        .both(
            "/api/v1/authorizationServers/{as_id}/tokenPreview",
            post(token_preview),
        )
}

fn not_found(path: &str) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "E0000007",
        format!("Not found: Resource not found: {path} (GenericUnAuthorizedException)"),
    )
}

/// `activate` → true, `deactivate` → false, anything else 404.
fn action_flag(action: &str, path: &str) -> Result<bool, ApiError> {
    match action {
        "activate" => Ok(true),
        "deactivate" => Ok(false),
        _ => Err(not_found(path)),
    }
}

// ---- servers ---------------------------------------------------------------------------------

async fn create(_: Admin, State(s): State<AppState>, body: Bytes) -> ApiResult {
    let body: ServerBody = parse_json(&body)?;
    let now = now(&s);
    let mut org = s.org.lock();
    let server = org.create_auth_server(
        now,
        body.name.as_deref().unwrap_or_default(),
        body.description,
        body.audiences.unwrap_or_default(),
    )?;
    Ok(created(json::auth_server(&org, &server)))
}

async fn list(_: Admin, State(s): State<AppState>, listing: Listing) -> ApiResult {
    let page = listing.page(200, 200)?;
    let q = listing.params.get("q").map(str::to_lowercase);
    let org = s.org.lock();
    let servers: Vec<_> = org
        .auth_servers()
        .iter()
        .filter(|a| {
            q.as_deref()
                .is_none_or(|q| a.name.to_lowercase().starts_with(q))
        })
        .collect();
    Ok(listing.respond(
        &page,
        servers,
        |a| a.id.clone(),
        |a| json::auth_server(&org, a),
    ))
}

async fn read(_: Admin, State(s): State<AppState>, Path(as_id): Path<String>) -> ApiResult {
    let org = s.org.lock();
    let server = org.auth_server(&as_id)?;
    Ok(ok(json::auth_server(&org, server)))
}

async fn update(
    _: Admin,
    State(s): State<AppState>,
    Path(as_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body: ServerBody = parse_json(&body)?;
    let now = now(&s);
    let mut org = s.org.lock();
    org.auth_server(&as_id)?;
    let server = org.update_auth_server(
        now,
        &as_id,
        body.name.as_deref().unwrap_or_default(),
        body.description,
        body.audiences.unwrap_or_default(),
    )?;
    Ok(ok(json::auth_server(&org, &server)))
}

async fn delete(_: Admin, State(s): State<AppState>, Path(as_id): Path<String>) -> ApiResult {
    let now = now(&s);
    s.org.lock().delete_auth_server(now, &as_id)?;
    Ok(no_content())
}

async fn lifecycle(
    _: Admin,
    State(s): State<AppState>,
    Path((as_id, action)): Path<(String, String)>,
) -> ApiResult {
    let active = action_flag(&action, &format!("{AS}/{as_id}/lifecycle/{action}"))?;
    let now = now(&s);
    s.org.lock().set_auth_server_active(now, &as_id, active)?;
    Ok(no_content())
}

// ---- keys ------------------------------------------------------------------------------------

async fn keys(_: Admin, State(s): State<AppState>, Path(as_id): Path<String>) -> ApiResult {
    let org = s.org.lock();
    let server = org.auth_server(&as_id)?;
    let keys: Vec<Value> = server
        .keys
        .iter()
        .map(|k| json::key(&org, &as_id, k))
        .collect();
    Ok(ok(Value::Array(keys)))
}

async fn rotate(
    _: Admin,
    State(s): State<AppState>,
    Path(as_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body: RotateBody = parse_optional(&body)?;
    if let Some(u) = body.use_.as_deref()
        && u != "sig"
    {
        return Err(ApiError::validation(
            "use",
            format!("use: '{u}' is not a valid key use (sig)"),
        ));
    }
    let now = now(&s);
    let mut org = s.org.lock();
    let server = org.rotate_keys(now, &as_id)?;
    let keys: Vec<Value> = server
        .keys
        .iter()
        .map(|k| json::key(&org, &as_id, k))
        .collect();
    Ok(ok(Value::Array(keys)))
}

// ---- scopes ----------------------------------------------------------------------------------

async fn list_scopes(
    _: Admin,
    State(s): State<AppState>,
    Path(as_id): Path<String>,
    listing: Listing,
) -> ApiResult {
    let page = listing.page(200, 200)?;
    let q = listing.params.get("q").map(str::to_lowercase);
    let org = s.org.lock();
    let server = org.auth_server(&as_id)?;
    let scopes: Vec<_> = server
        .scopes
        .iter()
        .filter(|sc| {
            q.as_deref()
                .is_none_or(|q| sc.name.to_lowercase().starts_with(q))
        })
        .collect();
    Ok(listing.respond(
        &page,
        scopes,
        |sc| sc.id.clone(),
        |sc| json::scope(&org, &as_id, sc),
    ))
}

async fn create_scope(
    _: Admin,
    State(s): State<AppState>,
    Path(as_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body: ScopeBody = parse_json(&body)?;
    let metadata_publish = body
        .metadata_publish
        .unwrap_or_else(|| "NO_CLIENTS".to_string());
    if !["ALL_CLIENTS", "NO_CLIENTS"].contains(&metadata_publish.as_str()) {
        return Err(ApiError::validation(
            "metadataPublish",
            "metadataPublish: must be ALL_CLIENTS or NO_CLIENTS",
        ));
    }
    let scope = Scope {
        id: String::new(),
        name: body.name.unwrap_or_default(),
        description: body.description,
        display_name: body.display_name,
        consent: body.consent.unwrap_or_else(|| "IMPLICIT".to_string()),
        metadata_publish,
        default: body.default.unwrap_or(false),
        system: false,
    };
    let now = now(&s);
    let mut org = s.org.lock();
    let scope = org.create_scope(now, &as_id, scope)?;
    Ok(created(json::scope(&org, &as_id, &scope)))
}

async fn read_scope(
    _: Admin,
    State(s): State<AppState>,
    Path((as_id, scope_id)): Path<(String, String)>,
) -> ApiResult {
    let org = s.org.lock();
    let scope = org
        .auth_server(&as_id)?
        .scopes
        .iter()
        .find(|sc| sc.id == scope_id)
        .ok_or_else(|| OktaError::NotFound {
            kind: "OAuth2Scope",
            id: scope_id.clone(),
        })?;
    Ok(ok(json::scope(&org, &as_id, scope)))
}

async fn delete_scope(
    _: Admin,
    State(s): State<AppState>,
    Path((as_id, scope_id)): Path<(String, String)>,
) -> ApiResult {
    let now = now(&s);
    s.org.lock().delete_scope(now, &as_id, &scope_id)?;
    Ok(no_content())
}

// ---- claims ----------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClaimBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    claim_type: Option<String>,
    #[serde(default)]
    value_type: Option<String>,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    conditions: Option<ClaimConditions>,
    #[serde(default)]
    always_include_in_token: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
struct ClaimConditions {
    #[serde(default)]
    scopes: Option<Vec<String>>,
}

/// `ACTIVE` (the default) → true, `INACTIVE` → false, anything else E0000001.
fn status_flag(status: Option<&str>) -> Result<bool, ApiError> {
    match status {
        None | Some("ACTIVE") => Ok(true),
        Some("INACTIVE") => Ok(false),
        Some(other) => Err(ApiError::validation(
            "status",
            format!("status: '{other}' is not ACTIVE or INACTIVE"),
        )),
    }
}

async fn list_claims(
    _: Admin,
    State(s): State<AppState>,
    Path(as_id): Path<String>,
    listing: Listing,
) -> ApiResult {
    let page = listing.page(200, 200)?;
    let org = s.org.lock();
    let server = org.auth_server(&as_id)?;
    Ok(listing.respond(
        &page,
        &server.claims,
        |c| c.id.clone(),
        |c| json::claim(&org, &as_id, c),
    ))
}

async fn create_claim(
    _: Admin,
    State(s): State<AppState>,
    Path(as_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body: ClaimBody = parse_json(&body)?;
    let active = status_flag(body.status.as_deref())?;
    let value = required(&body.value, "value")?.to_string();
    let claim = Claim {
        id: String::new(),
        name: body.name.unwrap_or_default(),
        claim_type: body.claim_type.unwrap_or_default(),
        value_type: body.value_type.unwrap_or_else(|| "EXPRESSION".to_string()),
        value,
        scopes: body.conditions.and_then(|c| c.scopes).unwrap_or_default(),
        always_include_in_token: body.always_include_in_token.unwrap_or(true),
        active,
    };
    let now = now(&s);
    let mut org = s.org.lock();
    let claim = org.create_claim(now, &as_id, claim)?;
    Ok(created(json::claim(&org, &as_id, &claim)))
}

async fn read_claim(
    _: Admin,
    State(s): State<AppState>,
    Path((as_id, claim_id)): Path<(String, String)>,
) -> ApiResult {
    let org = s.org.lock();
    let claim = org
        .auth_server(&as_id)?
        .claims
        .iter()
        .find(|c| c.id == claim_id)
        .ok_or_else(|| OktaError::NotFound {
            kind: "OAuth2Claim",
            id: claim_id.clone(),
        })?;
    Ok(ok(json::claim(&org, &as_id, claim)))
}

async fn delete_claim(
    _: Admin,
    State(s): State<AppState>,
    Path((as_id, claim_id)): Path<(String, String)>,
) -> ApiResult {
    let now = now(&s);
    s.org.lock().delete_claim(now, &as_id, &claim_id)?;
    Ok(no_content())
}

// ---- policies --------------------------------------------------------------------------------

/// A policy must be an OAuth authorization policy.
fn check_policy_type(body: &PolicyBody) -> Result<(), ApiError> {
    match body.kind.as_deref() {
        None | Some("OAUTH_AUTHORIZATION_POLICY") => Ok(()),
        Some(other) => Err(ApiError::validation(
            "type",
            format!("type: '{other}' is not OAUTH_AUTHORIZATION_POLICY"),
        )),
    }
}

async fn list_policies(
    _: Admin,
    State(s): State<AppState>,
    Path(as_id): Path<String>,
    listing: Listing,
) -> ApiResult {
    let page = listing.page(200, 200)?;
    let org = s.org.lock();
    let server = org.auth_server(&as_id)?;
    Ok(listing.respond(
        &page,
        &server.policies,
        |p| p.id.clone(),
        |p| json::policy(&org, &as_id, p),
    ))
}

async fn create_policy(
    _: Admin,
    State(s): State<AppState>,
    Path(as_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body: PolicyBody = parse_json(&body)?;
    check_policy_type(&body)?;
    let active = status_flag(body.status.as_deref())?;
    let clients = Include::list(body.conditions.and_then(|c| c.clients));
    let now = now(&s);
    let mut org = s.org.lock();
    let mut policy = org.create_policy(
        now,
        &as_id,
        body.name.as_deref().unwrap_or_default(),
        body.description,
        body.priority,
        clients,
    )?;
    if !active {
        policy = org.set_policy_active(now, &as_id, &policy.id, false)?;
    }
    Ok(created(json::policy(&org, &as_id, &policy)))
}

async fn read_policy(
    _: Admin,
    State(s): State<AppState>,
    Path((as_id, policy_id)): Path<(String, String)>,
) -> ApiResult {
    let org = s.org.lock();
    let policy = org.policy(&as_id, &policy_id)?;
    Ok(ok(json::policy(&org, &as_id, policy)))
}

async fn update_policy(
    _: Admin,
    State(s): State<AppState>,
    Path((as_id, policy_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let body: PolicyBody = parse_json(&body)?;
    check_policy_type(&body)?;
    let active = body
        .status
        .as_deref()
        .map(|st| status_flag(Some(st)))
        .transpose()?;
    let clients = Include::list(body.conditions.and_then(|c| c.clients));
    let now = now(&s);
    let mut org = s.org.lock();
    let mut policy = org.update_policy(
        now,
        &as_id,
        &policy_id,
        body.name.as_deref().unwrap_or_default(),
        body.description,
        body.priority,
        clients,
    )?;
    if let Some(active) = active.filter(|a| *a != policy.active) {
        policy = org.set_policy_active(now, &as_id, &policy_id, active)?;
    }
    Ok(ok(json::policy(&org, &as_id, &policy)))
}

async fn delete_policy(
    _: Admin,
    State(s): State<AppState>,
    Path((as_id, policy_id)): Path<(String, String)>,
) -> ApiResult {
    let now = now(&s);
    s.org.lock().delete_policy(now, &as_id, &policy_id)?;
    Ok(no_content())
}

async fn policy_lifecycle(
    _: Admin,
    State(s): State<AppState>,
    Path((as_id, policy_id, action)): Path<(String, String, String)>,
) -> ApiResult {
    let active = action_flag(
        &action,
        &format!("{AS}/{as_id}/policies/{policy_id}/lifecycle/{action}"),
    )?;
    let now = now(&s);
    s.org
        .lock()
        .set_policy_active(now, &as_id, &policy_id, active)?;
    Ok(no_content())
}

// ---- rules -----------------------------------------------------------------------------------

/// A lifetime the core can range-check: anything outside `u32` becomes `u32::MAX`, which is
/// out of every range.
fn minutes(v: Option<i64>) -> Option<u32> {
    v.map(|m| u32::try_from(m).unwrap_or(u32::MAX))
}

/// A rule body as the core's new rule; only `RESOURCE_ACCESS` rules.
fn new_rule(body: RuleBody) -> Result<NewRule, ApiError> {
    match body.kind.as_deref() {
        None | Some("RESOURCE_ACCESS") => {}
        Some(other) => {
            return Err(ApiError::validation(
                "type",
                format!("type: '{other}' is not RESOURCE_ACCESS"),
            ));
        }
    }
    let active = status_flag(body.status.as_deref())?;
    let conditions = body.conditions.unwrap_or_default();
    let people = conditions.people.unwrap_or_default();
    let token = body.actions.and_then(|a| a.token).unwrap_or_default();
    Ok(NewRule {
        name: body.name.unwrap_or_default(),
        priority: body.priority,
        active: Some(active),
        grant_types: Include::list(conditions.grant_types),
        scopes: Include::list(conditions.scopes),
        users_include: Include::list(people.users),
        groups_include: Include::list(people.groups),
        access_token_lifetime_minutes: minutes(token.access_token_lifetime_minutes),
        refresh_token_lifetime_minutes: minutes(token.refresh_token_lifetime_minutes),
        refresh_token_window_minutes: minutes(token.refresh_token_window_minutes),
    })
}

async fn list_rules(
    _: Admin,
    State(s): State<AppState>,
    Path((as_id, policy_id)): Path<(String, String)>,
    listing: Listing,
) -> ApiResult {
    let page = listing.page(200, 200)?;
    let org = s.org.lock();
    let policy = org.policy(&as_id, &policy_id)?;
    Ok(listing.respond(
        &page,
        &policy.rules,
        |r| r.id.clone(),
        |r| json::rule(&org, &as_id, &policy_id, r),
    ))
}

async fn create_rule(
    _: Admin,
    State(s): State<AppState>,
    Path((as_id, policy_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let body: RuleBody = parse_json(&body)?;
    let new = new_rule(body)?;
    let now = now(&s);
    let mut org = s.org.lock();
    org.policy(&as_id, &policy_id)?;
    let rule = org.create_rule(now, &as_id, &policy_id, new)?;
    Ok(created(json::rule(&org, &as_id, &policy_id, &rule)))
}

async fn read_rule(
    _: Admin,
    State(s): State<AppState>,
    Path((as_id, policy_id, rule_id)): Path<(String, String, String)>,
) -> ApiResult {
    let org = s.org.lock();
    let rule = org.rule(&as_id, &policy_id, &rule_id)?;
    Ok(ok(json::rule(&org, &as_id, &policy_id, rule)))
}

async fn update_rule(
    _: Admin,
    State(s): State<AppState>,
    Path((as_id, policy_id, rule_id)): Path<(String, String, String)>,
    body: Bytes,
) -> ApiResult {
    let body: RuleBody = parse_json(&body)?;
    let new = new_rule(body)?;
    let now = now(&s);
    let mut org = s.org.lock();
    let rule = org.update_rule(now, &as_id, &policy_id, &rule_id, new)?;
    Ok(ok(json::rule(&org, &as_id, &policy_id, &rule)))
}

async fn delete_rule(
    _: Admin,
    State(s): State<AppState>,
    Path((as_id, policy_id, rule_id)): Path<(String, String, String)>,
) -> ApiResult {
    let now = now(&s);
    s.org
        .lock()
        .delete_rule(now, &as_id, &policy_id, &rule_id)?;
    Ok(no_content())
}

async fn rule_lifecycle(
    _: Admin,
    State(s): State<AppState>,
    Path((as_id, policy_id, rule_id, action)): Path<(String, String, String, String)>,
) -> ApiResult {
    let active = action_flag(
        &action,
        &format!("{AS}/{as_id}/policies/{policy_id}/rules/{rule_id}/lifecycle/{action}"),
    )?;
    s.org
        .lock()
        .set_rule_active(now(&s), &as_id, &policy_id, &rule_id, active)?;
    Ok(no_content())
}

// ---- Token Preview ---------------------------------------------------------------------------

async fn token_preview(
    _: Admin,
    State(s): State<AppState>,
    Path(as_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body: PreviewBody = parse_json(&body)?;
    let client_id = required(&body.client_id, "clientId")?;
    let grant_type = required(&body.grant_type, "grantType")?;
    let user_id = required(&body.user_id, "userId")?;
    let scopes = body.scopes.clone().unwrap_or_default();
    let now = now(&s);
    let org = s.org.lock();
    org.auth_server(&as_id)?;
    let body = match org.preview(now, &as_id, client_id, grant_type, user_id, &scopes) {
        Ok(preview) => json!({
            "outcome": "SUCCESS",
            "access_token": preview.access_token,
            "id_token": preview.id_token,
            "refresh_token": preview.refresh_token,
        }),
        Err((error, reason)) => json!({
            "outcome": "FAILURE",
            "error": error.error,
            "error_description": error.description,
            "reason": reason,
        }),
    };
    Ok(ok(body))
}
