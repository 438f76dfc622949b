//! `/Users`: CreateUser, ListUsers, GetUser, PutUser, PatchUser, DeleteUser.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::{ListQuery, ScimCaller, USER_SCHEMA, json_body, list_response, meta_time, scim_json};
use crate::core::ScimUser;
use crate::core::scim::{ENTERPRISE, user_attrs_from_json};
use crate::wire::{AppState, ScimError};

/// A user as IdC shows it: `schemas` (core, plus the enterprise extension when the user has
/// it), `id`, every attribute, `meta`.
pub(crate) fn user_json(user: &ScimUser) -> Value {
    let mut out = Map::new();
    let mut schemas = vec![json!(USER_SCHEMA)];
    if user.attrs.enterprise.is_some() {
        schemas.push(json!(ENTERPRISE));
    }
    out.insert("schemas".into(), Value::Array(schemas));
    out.insert("id".into(), json!(user.id));
    if let Ok(Value::Object(attrs)) = serde_json::to_value(&user.attrs) {
        out.extend(attrs);
    }
    out.insert(
        "meta".into(),
        json!({
            "resourceType": "User",
            "created": meta_time(user.created),
            "lastModified": meta_time(user.last_modified),
        }),
    );
    Value::Object(out)
}

/// `POST /Users` → 201 and the user.
pub(crate) async fn create(
    State(shared): State<AppState>,
    caller: ScimCaller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ScimError> {
    let at = caller.now;
    let body = json_body(&headers, &body, at)?;
    let attrs = user_attrs_from_json(&body).map_err(|e| ScimError::from_core(e, at))?;
    let user = shared
        .kiro
        .lock()
        .create_user(at, &caller.profile, attrs)
        .map_err(|e| ScimError::from_core(e, at))?;
    Ok(scim_json(StatusCode::CREATED, user_json(&user)))
}

/// `GET /Users?filter=…&count=…&cursor=…`.
pub(crate) async fn list(
    State(shared): State<AppState>,
    caller: ScimCaller,
    RawQuery(query): RawQuery,
) -> Result<Response, ScimError> {
    let at = caller.now;
    let q = ListQuery::parse(query.as_deref(), at)?;
    let kiro = shared.kiro.lock();
    let page = kiro
        .list_users(
            &caller.profile,
            q.filter.as_deref(),
            q.count,
            q.cursor.as_deref(),
        )
        .map_err(|e| ScimError::from_core(e, at))?;
    let items = page.items.iter().map(|i| user_json(i)).collect();
    let (total, next) = (page.total, page.next_cursor);
    drop(kiro);
    Ok(list_response(total, items, next))
}

/// `GET /Users/{id}`.
pub(crate) async fn get_one(
    State(shared): State<AppState>,
    caller: ScimCaller,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ScimError> {
    let at = caller.now;
    let user = shared
        .kiro
        .lock()
        .user(&caller.profile, &id)
        .map(user_json)
        .map_err(|e| ScimError::from_core(e, at))?;
    Ok(scim_json(StatusCode::OK, user))
}

/// `PUT /Users/{id}`: replaces every attribute.
pub(crate) async fn replace(
    State(shared): State<AppState>,
    caller: ScimCaller,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ScimError> {
    let at = caller.now;
    let body = json_body(&headers, &body, at)?;
    let attrs = user_attrs_from_json(&body).map_err(|e| ScimError::from_core(e, at))?;
    let user = shared
        .kiro
        .lock()
        .replace_user(at, &caller.profile, &id, attrs)
        .map_err(|e| ScimError::from_core(e, at))?;
    Ok(scim_json(StatusCode::OK, user_json(&user)))
}

/// `PATCH /Users/{id}` with a PatchOp → 200 and the user.
pub(crate) async fn patch(
    State(shared): State<AppState>,
    caller: ScimCaller,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ScimError> {
    let at = caller.now;
    let ops = super::groups::patch_ops(&headers, &body, at)?;
    let user = shared
        .kiro
        .lock()
        .patch_user(at, &caller.profile, &id, &ops)
        .map_err(|e| ScimError::from_core(e, at))?;
    Ok(scim_json(StatusCode::OK, user_json(&user)))
}

/// `DELETE /Users/{id}` → 204.
pub(crate) async fn delete(
    State(shared): State<AppState>,
    caller: ScimCaller,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ScimError> {
    let at = caller.now;
    shared
        .kiro
        .lock()
        .delete_user(&caller.profile, &id)
        .map_err(|e| ScimError::from_core(e, at))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
