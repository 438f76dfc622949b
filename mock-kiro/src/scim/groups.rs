//! `/Groups`: CreateGroup, ListGroups, GetGroup, PatchGroup, DeleteGroup. As in IdC, groups
//! are always shown with `"members": []` (membership is asked with the filter
//! `id eq "…" and members eq "…"`), and PatchGroup answers 204 No Content.

use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{
    GROUP_SCHEMA, ListQuery, PATCH_OP, ScimCaller, json_body, list_response, meta_time, scim_json,
    unparsable,
};
use crate::core::ScimGroup;
use crate::core::scim::PatchOp;
use crate::wire::{AppState, ScimError};

/// A group as IdC shows it: members always empty.
pub(crate) fn group_json(group: &ScimGroup) -> Value {
    let mut out = Map::new();
    out.insert("schemas".into(), json!([GROUP_SCHEMA]));
    out.insert("id".into(), json!(group.id));
    if let Some(external_id) = &group.external_id {
        out.insert("externalId".into(), json!(external_id));
    }
    out.insert("displayName".into(), json!(group.display_name));
    out.insert("members".into(), json!([]));
    out.insert(
        "meta".into(),
        json!({
            "resourceType": "Group",
            "created": meta_time(group.created),
            "lastModified": meta_time(group.last_modified),
        }),
    );
    Value::Object(out)
}

/// The operations of a PatchOp request body (`schemas` must name the PatchOp message).
pub(crate) fn patch_ops(
    headers: &HeaderMap,
    body: &Bytes,
    at: SystemTime,
) -> Result<Vec<PatchOp>, ScimError> {
    #[derive(Deserialize)]
    struct PatchRequest {
        schemas: Vec<String>,
        #[serde(rename = "Operations")]
        operations: Vec<PatchOp>,
    }
    let body = json_body(headers, body, at)?;
    let request: PatchRequest = serde_json::from_value(body).map_err(|_| unparsable(at))?;
    if !request.schemas.iter().any(|s| s == PATCH_OP) || request.operations.is_empty() {
        return Err(unparsable(at));
    }
    Ok(request.operations)
}

/// `POST /Groups {"displayName", "externalId"?, "members"?}` → 201.
pub(crate) async fn create(
    State(shared): State<AppState>,
    caller: ScimCaller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ScimError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    #[allow(dead_code)]
    struct Member {
        value: String,
        display: Option<Value>,
        #[serde(rename = "$ref")]
        reference: Option<Value>,
        #[serde(rename = "type")]
        kind: Option<Value>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    #[allow(dead_code)]
    struct NewGroup {
        schemas: Option<Value>,
        id: Option<Value>,
        meta: Option<Value>,
        display_name: Option<String>,
        external_id: Option<String>,
        #[serde(default)]
        members: Vec<Member>,
    }
    let at = caller.now;
    let body = json_body(&headers, &body, at)?;
    let group: NewGroup = serde_json::from_value(body).map_err(|_| unparsable(at))?;
    if let Some(schemas) = &group.schemas {
        crate::core::scim::check_schemas(schemas, &[GROUP_SCHEMA])
            .map_err(|e| ScimError::from_core(e, at))?;
    }
    let Some(display_name) = group.display_name else {
        return Err(ScimError::new(
            StatusCode::BAD_REQUEST,
            Some("invalidValue"),
            "displayName is a required attribute.",
            at,
        ));
    };
    let members = group.members.into_iter().map(|m| m.value).collect();
    let created = shared
        .kiro
        .lock()
        .create_group(
            at,
            &caller.profile,
            &display_name,
            group.external_id,
            members,
        )
        .map_err(|e| ScimError::from_core(e, at))?;
    Ok(scim_json(StatusCode::CREATED, group_json(&created)))
}

/// `GET /Groups?filter=…&count=…&cursor=…`.
pub(crate) async fn list(
    State(shared): State<AppState>,
    caller: ScimCaller,
    RawQuery(query): RawQuery,
) -> Result<Response, ScimError> {
    let at = caller.now;
    let q = ListQuery::parse(query.as_deref(), at)?;
    let kiro = shared.kiro.lock();
    let page = kiro
        .list_groups(
            &caller.profile,
            q.filter.as_deref(),
            q.count,
            q.cursor.as_deref(),
        )
        .map_err(|e| ScimError::from_core(e, at))?;
    let items = page.items.iter().map(|i| group_json(i)).collect();
    let (total, next) = (page.total, page.next_cursor);
    drop(kiro);
    Ok(list_response(total, items, next))
}

/// `GET /Groups/{id}`.
pub(crate) async fn get_one(
    State(shared): State<AppState>,
    caller: ScimCaller,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ScimError> {
    let at = caller.now;
    let group = shared
        .kiro
        .lock()
        .group(&caller.profile, &id)
        .map(group_json)
        .map_err(|e| ScimError::from_core(e, at))?;
    Ok(scim_json(StatusCode::OK, group))
}

/// `PATCH /Groups/{id}` → 204. Members added to a subscribed group get their seats after the
/// sync delay (KIRO-SUB-4), scheduled on the world's clock.
pub(crate) async fn patch(
    State(shared): State<AppState>,
    caller: ScimCaller,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ScimError> {
    let at = caller.now;
    let ops = patch_ops(&headers, &body, at)?;
    let result = shared
        .kiro
        .lock()
        .patch_group(at, &caller.profile, &id, &ops);
    let change = result.map_err(|e| ScimError::from_core(e, at))?;
    if !change.added.is_empty() {
        shared.schedule_grants();
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /Groups/{id}` → 204.
pub(crate) async fn delete(
    State(shared): State<AppState>,
    caller: ScimCaller,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ScimError> {
    let at = caller.now;
    shared
        .kiro
        .lock()
        .delete_group(&caller.profile, &id)
        .map_err(|e| ScimError::from_core(e, at))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
