//! `/api/v1/groups` (BEHAVIOURS.md OKTA-DIR-2): create, get, list (`q`, paged), `PUT` profile,
//! delete, members (paged), adding and removing members, and the apps a group is assigned to.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{get, put};
use serde_json::Value;
use sim_api::okta::GroupBody;

use super::paging::Listing;
use super::{ApiResult, RouteBoth, json, no_content, now, ok, parse_optional, required};
use crate::wire::{Admin, AppState, parse_json};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .both("/api/v1/groups", get(list).post(create))
        .both("/api/v1/groups/{gid}", get(read).put(update).delete(delete))
        .both("/api/v1/groups/{gid}/users", get(members))
        .both(
            "/api/v1/groups/{gid}/users/{uid}",
            put(add_member).delete(remove_member),
        )
        .both("/api/v1/groups/{gid}/apps", get(apps_of))
}

async fn create(_: Admin, State(s): State<AppState>, body: Bytes) -> ApiResult {
    let body: GroupBody = parse_json(&body)?;
    let (name, description) = body.parts();
    let name = required(&name, "name")?;
    let now = now(&s);
    let mut org = s.org.lock();
    let group = org.create_group(now, name, description)?;
    Ok(ok(json::group(&org, &group)))
}

async fn read(_: Admin, State(s): State<AppState>, Path(gid): Path<String>) -> ApiResult {
    let org = s.org.lock();
    let group = org.group(&gid)?;
    Ok(ok(json::group(&org, group)))
}

async fn list(_: Admin, State(s): State<AppState>, listing: Listing) -> ApiResult {
    let page = listing.page(10_000, 10_000)?;
    let org = s.org.lock();
    let groups = org.list_groups(listing.params.get("q"));
    Ok(listing.respond(&page, groups, |g| g.id.clone(), |g| json::group(&org, g)))
}

async fn update(
    _: Admin,
    State(s): State<AppState>,
    Path(gid): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body: GroupBody = parse_json(&body)?;
    let (name, description) = body.parts();
    let now = now(&s);
    let mut org = s.org.lock();
    org.group(&gid)?;
    let name = required(&name, "name")?;
    let group = org.update_group(now, &gid, name, description)?;
    Ok(ok(json::group(&org, &group)))
}

async fn delete(_: Admin, State(s): State<AppState>, Path(gid): Path<String>) -> ApiResult {
    let now = now(&s);
    s.org.lock().delete_group(now, &gid)?;
    Ok(no_content())
}

async fn members(
    _: Admin,
    State(s): State<AppState>,
    Path(gid): Path<String>,
    listing: Listing,
) -> ApiResult {
    let page = listing.page(1000, 1000)?;
    let org = s.org.lock();
    let users = org.group_members(&gid)?;
    Ok(listing.respond(&page, users, |u| u.id.clone(), |u| json::user(&org, u)))
}

async fn add_member(
    _: Admin,
    State(s): State<AppState>,
    Path((gid, uid)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let _: Value = parse_optional(&body)?;
    let now = now(&s);
    s.org.lock().add_member(now, &gid, &uid)?;
    Ok(no_content())
}

async fn remove_member(
    _: Admin,
    State(s): State<AppState>,
    Path((gid, uid)): Path<(String, String)>,
) -> ApiResult {
    let now = now(&s);
    s.org.lock().remove_member(now, &gid, &uid)?;
    Ok(no_content())
}

async fn apps_of(
    _: Admin,
    State(s): State<AppState>,
    Path(gid): Path<String>,
    listing: Listing,
) -> ApiResult {
    let page = listing.page(20, 200)?;
    let org = s.org.lock();
    org.group(&gid)?;
    let apps: Vec<_> = org
        .list_apps(None)
        .into_iter()
        .filter(|a| a.assigned_groups.contains(&gid))
        .collect();
    Ok(listing.respond(&page, apps, |a| a.id.clone(), |a| json::app(&org, a)))
}
