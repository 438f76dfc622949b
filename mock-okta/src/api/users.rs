//! `/api/v1/users` (BEHAVIOURS.md OKTA-DIR-1): create (`activate=true|false`), get by id or
//! login, list (`q`, `filter`, `search`, paged), partial (`POST`) and full (`PUT`) updates
//! incl. an admin password change, the lifecycle operations, delete (deactivate first, then
//! delete), a user's groups and app links.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use serde_json::{Value, json};
use sim_api::okta::UserBody;

use super::paging::Listing;
use super::{ApiResult, Params, RouteBoth, json, no_content, now, ok, parse_optional};
use crate::core::NewUser;
use crate::wire::{Admin, ApiError, AppState, parse_json};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .both("/api/v1/users", get(list).post(create))
        .both("/api/v1/users/me", get(me))
        .both(
            "/api/v1/users/{id}",
            get(read).post(update_partial).put(replace).delete(delete),
        )
        .both("/api/v1/users/{id}/lifecycle/{action}", post(lifecycle))
        .both("/api/v1/users/{id}/groups", get(groups_of))
        .both("/api/v1/users/{id}/appLinks", get(app_links))
}

/// `POST /api/v1/users[?activate=false]`.
async fn create(_: Admin, State(s): State<AppState>, params: Params, body: Bytes) -> ApiResult {
    let activate = params.flag("activate", true)?;
    let body: UserBody = parse_json(&body)?;
    let password = body.password();
    let new = NewUser {
        profile: body.profile.unwrap_or_default(),
        password,
        activate,
        group_ids: body.group_ids.unwrap_or_default(),
    };
    let now = now(&s);
    let mut org = s.org.lock();
    let user = org.create_user(now, new)?;
    Ok(ok(json::user(&org, &user)))
}

/// `GET /users/me` (OKTA-API-11): the user an OAuth access token was issued to; for a
/// service app's own token (no user) 404; with SSWS, the admin the API token belongs to (the
/// sim's admin, who is not among the org's listed users: sim choice).
async fn me(
    _: Admin,
    State(s): State<AppState>,
    principal: Option<axum::Extension<crate::wire::OAuthPrincipal>>,
) -> ApiResult {
    let org = s.org.lock();
    match principal {
        Some(axum::Extension(p)) => {
            let user = p
                .uid
                .as_deref()
                .and_then(|uid| org.find_user(uid))
                .ok_or_else(|| crate::core::OktaError::not_found("User", "me"))?;
            Ok(ok(json::user(&org, user)))
        }
        None => Ok(ok(json::sim_admin(&org))),
    }
}

async fn read(_: Admin, State(s): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let org = s.org.lock();
    let user = org.user(&id)?;
    Ok(ok(json::user(&org, user)))
}

async fn list(_: Admin, State(s): State<AppState>, listing: Listing) -> ApiResult {
    let page = listing.page(200, 200)?;
    let p = &listing.params;
    let expression = p.get("search").or_else(|| p.get("filter"));
    let org = s.org.lock();
    let users = org.list_users(p.get("q"), expression)?;
    Ok(listing.respond(&page, users, |u| u.id.clone(), |u| json::user(&org, u)))
}

async fn update_partial(
    admin: Admin,
    state: State<AppState>,
    id: Path<String>,
    body: Bytes,
) -> ApiResult {
    update(admin, state, id, body, true).await
}

async fn replace(admin: Admin, state: State<AppState>, id: Path<String>, body: Bytes) -> ApiResult {
    update(admin, state, id, body, false).await
}

async fn update(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
    partial: bool,
) -> ApiResult {
    let body: UserBody = parse_json(&body)?;
    let password = body.password();
    let now = now(&s);
    let mut org = s.org.lock();
    let user = org.update_user(
        now,
        &id,
        body.profile.unwrap_or_default(),
        password,
        partial,
    )?;
    Ok(ok(json::user(&org, &user)))
}

async fn delete(_: Admin, State(s): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let now = now(&s);
    s.org.lock().delete_user(now, &id)?;
    Ok(no_content())
}

async fn lifecycle(
    _: Admin,
    State(s): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    params: Params,
    body: Bytes,
) -> ApiResult {
    // Lifecycle calls take no body; one that is sent must at least be JSON.
    let _: Value = parse_optional(&body)?;
    params.flag("sendEmail", true)?;
    let now = now(&s);
    let mut org = s.org.lock();
    match action.as_str() {
        "activate" => org.activate_user(now, &id)?,
        "deactivate" => org.deactivate_user(now, &id)?,
        "suspend" => org.suspend_user(now, &id)?,
        "unsuspend" => org.unsuspend_user(now, &id)?,
        other => {
            return Err(ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "E0000007",
                format!(
                    "Not found: Resource not found: /api/v1/users/{id}/lifecycle/{other} (GenericUnAuthorizedException)"
                ),
            ));
        }
    };
    Ok(ok(json!({})))
}

async fn groups_of(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    listing: Listing,
) -> ApiResult {
    let page = listing.page(10_000, 10_000)?;
    let org = s.org.lock();
    let user = org.user(&id)?;
    let groups = org.groups_of(&user.id);
    Ok(listing.respond(&page, groups, |g| g.id.clone(), |g| json::group(&org, g)))
}

async fn app_links(_: Admin, State(s): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let org = s.org.lock();
    let user = org.user(&id)?;
    let links: Vec<Value> = org
        .list_apps(None)
        .into_iter()
        .filter(|a| org.is_assigned(&a.id, &user.id))
        .enumerate()
        .map(|(i, a)| json::app_link(&org, a, i))
        .collect();
    Ok(ok(Value::Array(links)))
}
