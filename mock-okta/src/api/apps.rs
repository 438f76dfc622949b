//! `/api/v1/apps` (BEHAVIOURS.md OKTA-APP-1, OKTA-APP-4, OKTA-DIR-2): OIDC apps (`name:
//! "oidc_client"`, `signOnMode: "OPENID_CONNECT"`) and instances of catalog apps (`name:
//! "amazon_aws_sso"`, `signOnMode: "SAML_2_0"`, `settings.app.acsURL/entityID`) created, read,
//! listed (`q`, `filter` on `status`/`name`, paged), replaced (`PUT`), activated, deactivated
//! and deleted (inactive only, E0000056); user assignments (`AppUser`, direct with scope
//! `USER` or through a group with `GROUP`; for a provisioning app with `externalId`,
//! `syncState`, `lastSync` and the app-user profile) and group assignments.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use sim_api::okta::{AppBody, AssignBody};

use super::paging::Listing;
use super::{
    ApiResult, Params, RouteBoth, created, json, no_content, now, ok, parse_optional, required,
};
use crate::core::catalog::catalog_app;
use crate::core::filter::Expr;
use crate::core::{
    ApplicationType, NewCatalogApp, NewOidcApp, RefreshRotation, SamlSettings, SignOnMode,
};
use crate::wire::{Admin, ApiError, AppState, parse_json};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .both("/api/v1/apps", get(list).post(create))
        .both("/api/v1/apps/{id}", get(read).put(replace).delete(delete))
        .both("/api/v1/apps/{id}/lifecycle/{action}", post(lifecycle))
        .both("/api/v1/apps/{id}/users", get(users).post(assign_user))
        .both(
            "/api/v1/apps/{id}/users/{uid}",
            get(app_user).post(assign_user_at).delete(unassign_user),
        )
        .both("/api/v1/apps/{id}/groups", get(groups))
        .both("/api/v1/apps/{id}/grants", get(grants).post(grant))
        .both(
            "/api/v1/apps/{id}/grants/{grant_id}",
            get(read_grant).delete(revoke_grant),
        )
        .both(
            "/api/v1/apps/{id}/groups/{gid}",
            get(app_group).put(assign_group).delete(unassign_group),
        )
}

/// Turns Okta's app request into the core's [`NewOidcApp`]; shapes the core does not model
/// (other sign-on modes, unknown application types) are E0000001.
fn new_app(body: AppBody, activate: bool) -> Result<NewOidcApp, ApiError> {
    let name = body.name.as_deref().unwrap_or("oidc_client");
    if name != "oidc_client" {
        return Err(ApiError::validation(
            "name",
            format!(
                "name: The app '{name}' is not available in this org (oidc_client, {})",
                crate::core::catalog::CATALOG
                    .iter()
                    .map(|c| c.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    if let Some(mode) = body.sign_on_mode.as_deref()
        && mode != "OPENID_CONNECT"
    {
        return Err(ApiError::validation(
            "signOnMode",
            format!("signOnMode: '{mode}' is not valid for oidc_client (OPENID_CONNECT)"),
        ));
    }
    let label = required(&body.label, "label")?.to_string();
    let settings = body
        .settings
        .and_then(|s| s.oauth_client)
        .unwrap_or_default();
    let application_type = match settings.application_type.as_deref() {
        None => ApplicationType::Web,
        Some(t) => ApplicationType::parse(t).ok_or_else(|| {
            ApiError::validation(
                "settings.oauthClient.application_type",
                format!("application_type: '{t}' is not one of native, web, browser or service"),
            )
        })?,
    };
    let refresh = settings.refresh_token.unwrap_or_default();
    let refresh_rotation = match refresh.rotation_type.as_deref() {
        None => None,
        Some("ROTATE") => Some(RefreshRotation::Rotate),
        Some("STATIC") => Some(RefreshRotation::Static),
        Some(other) => {
            return Err(ApiError::validation(
                "settings.oauthClient.refresh_token.rotation_type",
                format!("refresh_token.rotation_type: '{other}' is not ROTATE or STATIC"),
            ));
        }
    };
    Ok(NewOidcApp {
        label,
        application_type,
        grant_types: settings.grant_types.unwrap_or_default(),
        redirect_uris: settings.redirect_uris.unwrap_or_default(),
        post_logout_redirect_uris: settings.post_logout_redirect_uris.unwrap_or_default(),
        response_types: settings.response_types.unwrap_or_default(),
        token_endpoint_auth_method: body
            .credentials
            .and_then(|c| c.oauth_client)
            .and_then(|c| c.token_endpoint_auth_method),
        jwks: settings.jwks.map(|j| j.keys).unwrap_or_default(),
        refresh_rotation,
        refresh_leeway_secs: refresh.leeway,
        activate,
    })
}

/// Whether a request body names a catalog app.
fn is_catalog(body: &AppBody) -> bool {
    body.name
        .as_deref()
        .is_some_and(|n| catalog_app(n).is_some())
}

/// Turns Okta's request for a catalog app into the core's [`NewCatalogApp`].
fn new_catalog_app(body: AppBody, activate: bool) -> Result<NewCatalogApp, ApiError> {
    let settings = body.settings.and_then(|s| s.app).unwrap_or_default();
    let text = |key: &str| -> Result<Option<String>, ApiError> {
        match settings.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(v)) if v.trim().is_empty() => Ok(None),
            Some(Value::String(v)) => Ok(Some(v.trim().to_string())),
            Some(_) => Err(ApiError::validation(
                "settings.app",
                format!("settings.app.{key}: must be a string"),
            )),
        }
    };
    Ok(NewCatalogApp {
        name: body.name.unwrap_or_default(),
        label: body.label,
        sign_on_mode: body.sign_on_mode,
        saml: SamlSettings {
            acs_url: text("acsURL")?,
            entity_id: text("entityID")?,
        },
        activate,
    })
}

async fn create(_: Admin, State(s): State<AppState>, params: Params, body: Bytes) -> ApiResult {
    let activate = params.flag("activate", true)?;
    let body: AppBody = parse_json(&body)?;
    let now = now(&s);
    if is_catalog(&body) {
        let new = new_catalog_app(body, activate)?;
        let mut org = s.org.lock();
        let app = org.create_catalog_app(now, new)?;
        return Ok(ok(json::app(&org, &app)));
    }
    let new = new_app(body, activate)?;
    let mut org = s.org.lock();
    let app = org.create_oidc_app(now, new)?;
    Ok(ok(json::app(&org, &app)))
}

async fn read(_: Admin, State(s): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let org = s.org.lock();
    let app = org.app(&id)?;
    Ok(ok(json::app(&org, app)))
}

async fn list(_: Admin, State(s): State<AppState>, listing: Listing) -> ApiResult {
    let page = listing.page(20, 200)?;
    let filter = listing.params.get("filter").map(Expr::parse).transpose()?;
    let org = s.org.lock();
    let apps: Vec<_> = org
        .list_apps(listing.params.get("q"))
        .into_iter()
        .filter(|a| {
            filter.as_ref().is_none_or(|f| {
                f.matches(&|attr| match attr {
                    "id" => Some(a.id.clone()),
                    "status" => Some(a.status.as_str().to_string()),
                    "name" => Some(a.name.clone()),
                    "label" => Some(a.label.clone()),
                    _ => None,
                })
            })
        })
        .collect();
    Ok(listing.respond(&page, apps, |a| a.id.clone(), |a| json::app(&org, a)))
}

async fn replace(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body: AppBody = parse_json(&body)?;
    let mode = s.org.lock().app(&id)?.sign_on_mode;
    if mode != SignOnMode::OpenIdConnect {
        let new = new_catalog_app(body, true)?;
        let now = now(&s);
        let mut org = s.org.lock();
        let app = org.update_catalog_app(now, &id, new)?;
        return Ok(ok(json::app(&org, &app)));
    }
    let new = new_app(body, true)?;
    let now = now(&s);
    let mut org = s.org.lock();
    let app = org.update_oidc_app(now, &id, new)?;
    Ok(ok(json::app(&org, &app)))
}

async fn delete(_: Admin, State(s): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let now = now(&s);
    s.org.lock().delete_app(now, &id)?;
    Ok(no_content())
}

async fn lifecycle(
    _: Admin,
    State(s): State<AppState>,
    Path((id, action)): Path<(String, String)>,
) -> ApiResult {
    let active = match action.as_str() {
        "activate" => true,
        "deactivate" => false,
        other => return Err(not_found(&format!("/api/v1/apps/{id}/lifecycle/{other}"))),
    };
    let now = now(&s);
    s.org.lock().set_app_active(now, &id, active)?;
    Ok(ok(json!({})))
}

fn not_found(path: &str) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "E0000007",
        format!("Not found: Resource not found: {path} (GenericUnAuthorizedException)"),
    )
}

async fn users(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    listing: Listing,
) -> ApiResult {
    let page = listing.page(50, 500)?;
    let org = s.org.lock();
    let assigned = org.app_users(&id)?;
    Ok(listing.respond(
        &page,
        assigned,
        |(u, _)| u.id.clone(),
        |(u, scope)| json::app_user(&org, &id, u, scope),
    ))
}

async fn assign_user(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body: AssignBody = parse_json(&body)?;
    let uid = required(&body.id, "id")?.to_string();
    do_assign(&s, &id, &uid, body.scope.as_deref())
}

/// `POST /apps/{id}/users/{uid}`: Okta's update of an assignment; assigns if not yet.
async fn assign_user_at(
    _: Admin,
    State(s): State<AppState>,
    Path((id, uid)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let body: AssignBody = parse_optional(&body)?;
    do_assign(&s, &id, &uid, body.scope.as_deref())
}

fn do_assign(s: &AppState, app_id: &str, user_id: &str, scope: Option<&str>) -> ApiResult {
    if let Some(scope) = scope
        && scope != "USER"
    {
        return Err(ApiError::validation(
            "scope",
            format!("scope: '{scope}' cannot be assigned directly (USER)"),
        ));
    }
    let now = now(s);
    let mut org = s.org.lock();
    org.assign_user(now, app_id, user_id)?;
    let user = org.user(user_id)?;
    Ok(ok(json::app_user(&org, app_id, user, "USER")))
}

async fn app_user(
    _: Admin,
    State(s): State<AppState>,
    Path((id, uid)): Path<(String, String)>,
) -> ApiResult {
    let org = s.org.lock();
    let assigned = org.app_users(&id)?;
    let (user, scope) = assigned
        .into_iter()
        .find(|(u, _)| u.id == uid || u.login().eq_ignore_ascii_case(&uid))
        .ok_or_else(|| {
            ApiError::from(crate::core::OktaError::NotFound {
                kind: "AppUser",
                id: uid.clone(),
            })
        })?;
    Ok(ok(json::app_user(&org, &id, user, scope)))
}

async fn unassign_user(
    _: Admin,
    State(s): State<AppState>,
    Path((id, uid)): Path<(String, String)>,
) -> ApiResult {
    let now = now(&s);
    s.org.lock().unassign_user(now, &id, &uid)?;
    Ok(no_content())
}

async fn groups(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    listing: Listing,
) -> ApiResult {
    let page = listing.page(20, 200)?;
    let org = s.org.lock();
    let app = org.app(&id)?;
    let assigned: Vec<_> = app
        .assigned_groups
        .iter()
        .enumerate()
        .filter_map(|(i, gid)| org.group(gid).ok().map(|g| (i, g)))
        .collect();
    Ok(listing.respond(
        &page,
        assigned,
        |(_, g)| g.id.clone(),
        |(i, g)| json::app_group(&org, app, g, *i),
    ))
}

async fn app_group(
    _: Admin,
    State(s): State<AppState>,
    Path((id, gid)): Path<(String, String)>,
) -> ApiResult {
    let org = s.org.lock();
    let app = org.app(&id)?;
    let position = app
        .assigned_groups
        .iter()
        .position(|g| *g == gid)
        .ok_or_else(|| {
            ApiError::from(crate::core::OktaError::NotFound {
                kind: "ApplicationGroupAssignment",
                id: gid.clone(),
            })
        })?;
    let group = org.group(&gid)?;
    Ok(ok(json::app_group(&org, app, group, position)))
}

async fn assign_group(
    _: Admin,
    State(s): State<AppState>,
    Path((id, gid)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let _: Value = parse_optional(&body)?;
    let now = now(&s);
    let mut org = s.org.lock();
    org.assign_group(now, &id, &gid)?;
    let app = org.app(&id)?;
    let position = app
        .assigned_groups
        .iter()
        .position(|g| *g == gid)
        .unwrap_or_default();
    let group = org.group(&gid)?;
    Ok(ok(json::app_group(&org, app, group, position)))
}

async fn unassign_group(
    _: Admin,
    State(s): State<AppState>,
    Path((id, gid)): Path<(String, String)>,
) -> ApiResult {
    let now = now(&s);
    s.org.lock().unassign_group(now, &id, &gid)?;
    Ok(no_content())
}

// ---- scope grants (OKTA-API-10) -------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GrantBody {
    #[serde(default)]
    issuer: Option<String>,
    #[serde(default)]
    scope_id: Option<String>,
}

fn grant_json(org: &crate::core::Org, app_id: &str, g: &crate::core::apps::ScopeGrant) -> Value {
    let base = format!("{}/api/v1/apps/{app_id}/grants/{}", org.org_url(), g.id);
    json!({
        "id": g.id,
        "status": "ACTIVE",
        "created": json::ts(g.created),
        "lastUpdated": json::ts(g.created),
        "issuer": g.issuer,
        "clientId": app_id,
        "scopeId": g.scope,
        "source": "ADMIN",
        "_links": {
            "app": { "href": format!("{}/api/v1/apps/{app_id}", org.org_url()) },
            "self": { "href": base },
        },
    })
}

/// `POST /apps/{id}/grants`: grants a management API scope (`okta.*`) to the app; 201.
async fn grant(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body: GrantBody = parse_json(&body)?;
    let issuer = required(&body.issuer, "issuer")?.to_string();
    let scope = required(&body.scope_id, "scopeId")?.to_string();
    let now = now(&s);
    let mut org = s.org.lock();
    let g = org.grant_scope(now, &id, &issuer, &scope)?;
    Ok(created(grant_json(&org, &id, &g)))
}

/// `GET /apps/{id}/grants`.
async fn grants(_: Admin, State(s): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let org = s.org.lock();
    let app = org.app(&id)?;
    let list: Vec<Value> = app
        .scope_grants
        .iter()
        .map(|g| grant_json(&org, &id, g))
        .collect();
    Ok(ok(Value::Array(list)))
}

/// `GET /apps/{id}/grants/{grant_id}`.
async fn read_grant(
    _: Admin,
    State(s): State<AppState>,
    Path((id, grant_id)): Path<(String, String)>,
) -> ApiResult {
    let org = s.org.lock();
    let g = org
        .app(&id)?
        .scope_grants
        .iter()
        .find(|g| g.id == grant_id)
        .ok_or_else(|| {
            ApiError::from(crate::core::OktaError::NotFound {
                kind: "OAuth2ScopeConsentGrant",
                id: grant_id.clone(),
            })
        })?;
    Ok(ok(grant_json(&org, &id, g)))
}

/// `DELETE /apps/{id}/grants/{grant_id}`: 204.
async fn revoke_grant(
    _: Admin,
    State(s): State<AppState>,
    Path((id, grant_id)): Path<(String, String)>,
) -> ApiResult {
    let now = now(&s);
    s.org.lock().revoke_scope_grant(now, &id, &grant_id)?;
    Ok(no_content())
}
