//! The provisioning API (BEHAVIOURS.md OKTA-APP-4, OKTA-PROV-1..7), in Okta's shapes where Okta
//! documents them:
//!
//! - `GET /api/v1/catalog/apps[?q=…]`, `GET /api/v1/catalog/apps/{name}` (sim shape: Okta's
//!   catalog is not a public API): `{name, displayName, description, category, signOnModes,
//!   features, provisioning: {protocol, authScheme} | null, _links}`. An instance is created
//!   with `POST /api/v1/apps {"name": "amazon_aws_sso", "label": …, "signOnMode":
//!   "SAML_2_0", "settings": {"app": {"acsURL": …, "entityID": …}}}`.
//! - `GET/POST /api/v1/apps/{id}/connections/default[?activate=true]` (`{baseUrl, profile:
//!   {authScheme: "TOKEN", token}}`; the token is never shown), `POST
//!   …/connections/default/lifecycle/activate|deactivate`, and the sim's "Test API
//!   Credentials", `POST …/connections/default/test` (optional `{baseUrl, profile: {token}}`
//!   to test before saving): calls `GET {baseUrl}/Users?count=1` as Okta's SCIM client and
//!   answers `{"result": "SUCCESS"}` or `{"result": "FAILURE", "errorSummary": "Unauthorized",
//!   "statusCode": 401, "detail": …}`.
//! - `GET /api/v1/apps/{id}/features`, `GET/PUT /api/v1/apps/{id}/features/USER_PROVISIONING`
//!   (the body of PUT is the `capabilities` object: `create.lifecycleCreate.status`,
//!   `update.profile.status`, `update.lifecycleDeactivate.status`, ENABLED or DISABLED).
//! - `GET /api/v1/mappings[?sourceId=…&targetId=…]`, `GET/POST /api/v1/mappings/{id}` (Okta's
//!   Profile Mappings API; a property set to `null` is removed).
//! - `GET/POST /api/v1/apps/{id}/group-push/mappings`, `GET/PATCH/DELETE
//!   …/group-push/mappings/{mappingId}[?deleteTargetGroup=true|false]` (Okta's Group Push
//!   Mapping API; status ACTIVE / INACTIVE / ERROR with `errorSummary`).
//!
//! The push itself and its `/_sim/okta/provisioning` controls are the engine's
//! (`crate::provisioning`).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};
use sim_api::okta::{
    Capability, ConnectionBody, ConnectionProfile, CreateCapabilities, FeatureStatus, FeaturesBody,
    MappingBody, MappingProperties, MappingProperty, MappingPush, PushBody, UpdateCapabilities,
};

use super::json::{ts, ts_opt};
use super::paging::Listing;
use super::{ApiResult, Params, RouteBoth, created, no_content, now, ok, parse_optional, required};
use crate::core::catalog::{self, CatalogApp};
use crate::core::provisioning::{Connection, Features, GroupPush, Provisioning, PushStatus};
use crate::core::{OktaError, Org};
use crate::provisioning::{CredentialTest, test_credentials};
use crate::wire::{Admin, ApiError, AppState, parse_json};

/// The provisioning part of the management API.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .both("/api/v1/catalog/apps", get(catalog_list))
        .both("/api/v1/catalog/apps/{name}", get(catalog_one))
        .both(
            "/api/v1/apps/{id}/connections/default",
            get(get_connection).post(set_connection),
        )
        .both(
            "/api/v1/apps/{id}/connections/default/lifecycle/{action}",
            post(connection_lifecycle),
        )
        .both(
            "/api/v1/apps/{id}/connections/default/test",
            post(test_connection),
        )
        .both("/api/v1/apps/{id}/features", get(list_features))
        .both(
            "/api/v1/apps/{id}/features/{name}",
            get(get_feature).put(put_feature),
        )
        .both("/api/v1/mappings", get(list_mappings))
        .both(
            "/api/v1/mappings/{id}",
            get(get_mapping).post(update_mapping),
        )
        .both(
            "/api/v1/apps/{id}/group-push/mappings",
            get(list_pushes).post(create_push),
        )
        .both(
            "/api/v1/apps/{id}/group-push/mappings/{mid}",
            get(get_push).patch(patch_push).delete(delete_push),
        )
}

fn href(url: String) -> Value {
    json!({ "href": url })
}

fn post_link(url: String) -> Value {
    json!({ "href": url, "hints": { "allow": ["POST"] } })
}

// ---- catalog ----------------------------------------------------------------------------

fn catalog_json(org: &Org, c: &CatalogApp) -> Value {
    json!({
        "name": c.name,
        "displayName": c.display_name,
        "description": c.description,
        "category": c.category,
        "signOnModes": c.sign_on_modes.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        "features": c.features,
        "provisioning": if c.provisioning {
            json!({ "protocol": "SCIM 2.0", "authScheme": "TOKEN" })
        } else {
            Value::Null
        },
        "_links": {
            "self": href(format!("{}/api/v1/catalog/apps/{}", org.org_url(), c.name)),
            "create": { "href": format!("{}/api/v1/apps", org.org_url()), "hints": { "allow": ["POST"] } },
        },
    })
}

async fn catalog_list(_: Admin, State(s): State<AppState>, listing: Listing) -> ApiResult {
    let page = listing.page(20, 200)?;
    let entries = catalog::search(listing.params.get("q"));
    let org = s.org.lock();
    Ok(listing.respond(
        &page,
        entries,
        |c| c.name.to_string(),
        |c| catalog_json(&org, c),
    ))
}

async fn catalog_one(_: Admin, State(s): State<AppState>, Path(name): Path<String>) -> ApiResult {
    let entry = catalog::catalog_app(&name)
        .ok_or_else(|| ApiError::from(OktaError::not_found("CatalogApp", &name)))?;
    let org = s.org.lock();
    Ok(ok(catalog_json(&org, entry)))
}

// ---- connection (OKTA-PROV-1) -----------------------------------------------------------

fn connection_json(org: &Org, app_id: &str, c: &Connection) -> Value {
    let base = format!("{}/api/v1/apps/{app_id}/connections/default", org.org_url());
    let mut links = Map::new();
    links.insert("self".into(), href(base.clone()));
    if c.enabled {
        links.insert(
            "deactivate".into(),
            post_link(format!("{base}/lifecycle/deactivate")),
        );
    } else {
        links.insert(
            "activate".into(),
            post_link(format!("{base}/lifecycle/activate")),
        );
    }
    json!({
        "authScheme": "TOKEN",
        "baseUrl": c.base_url,
        "status": if c.enabled { "ENABLED" } else { "DISABLED" },
        "profile": { "authScheme": "TOKEN" },
        "_links": links,
    })
}

async fn get_connection(_: Admin, State(s): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let org = s.org.lock();
    let c = org.connection(&id)?;
    Ok(ok(connection_json(&org, &id, c)))
}

fn check_auth_scheme(profile: &ConnectionProfile) -> Result<(), ApiError> {
    match profile.auth_scheme.as_deref() {
        None | Some("TOKEN") => Ok(()),
        Some(other) => Err(ApiError::validation(
            "profile.authScheme",
            format!("profile.authScheme: '{other}' is not supported by this app (TOKEN)"),
        )),
    }
}

async fn set_connection(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    params: Params,
    body: Bytes,
) -> ApiResult {
    let body: ConnectionBody = parse_json(&body)?;
    let activate = match params.get("activate") {
        None => None,
        Some(_) => Some(params.flag("activate", false)?),
    };
    let profile = body.profile.unwrap_or_default();
    check_auth_scheme(&profile)?;
    let base_url = required(&body.base_url, "baseUrl")?.to_string();
    let now = now(&s);
    let mut org = s.org.lock();
    let c = org.set_connection(now, &id, &base_url, profile.token, activate)?;
    Ok(ok(connection_json(&org, &id, &c)))
}

async fn connection_lifecycle(
    _: Admin,
    State(s): State<AppState>,
    Path((id, action)): Path<(String, String)>,
) -> ApiResult {
    let enabled = match action.as_str() {
        "activate" => true,
        "deactivate" => false,
        other => {
            return Err(ApiError::from(OktaError::not_found(
                "ProvisioningConnectionLifecycle",
                other,
            )));
        }
    };
    let now = now(&s);
    s.org.lock().set_connection_enabled(now, &id, enabled)?;
    Ok(no_content())
}

/// `POST …/connections/default/test`.
async fn test_connection(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body: ConnectionBody = parse_optional(&body)?;
    let profile = body.profile.unwrap_or_default();
    check_auth_scheme(&profile)?;
    let outcome =
        test_credentials(&s, &id, body.base_url.as_deref(), profile.token.as_deref()).await?;
    Ok(ok(match outcome {
        CredentialTest::Success => json!({ "result": "SUCCESS" }),
        CredentialTest::Failure {
            summary,
            status,
            detail,
        } => json!({
            "result": "FAILURE",
            "errorSummary": summary,
            "statusCode": status,
            "detail": detail,
        }),
    }))
}

// ---- features (OKTA-PROV-2) -------------------------------------------------------------

fn enabled_str(enabled: bool) -> &'static str {
    if enabled { "ENABLED" } else { "DISABLED" }
}

fn feature_json(org: &Org, app_id: &str, c: &Connection, f: Features) -> Value {
    json!({
        "name": "USER_PROVISIONING",
        "status": enabled_str(c.enabled),
        "description": "User provisioning settings from Okta to a downstream app",
        "capabilities": {
            "create": { "lifecycleCreate": { "status": enabled_str(f.create_users) } },
            "update": {
                "profile": { "status": enabled_str(f.update_attributes) },
                "lifecycleDeactivate": { "status": enabled_str(f.deactivate_users) },
                "password": { "status": "DISABLED", "seed": "RANDOM", "change": "KEEP_EXISTING" },
            },
        },
        "_links": {
            "self": {
                "href": format!("{}/api/v1/apps/{app_id}/features/USER_PROVISIONING", org.org_url()),
                "hints": { "allow": ["GET", "PUT"] },
            },
        },
    })
}

fn feature_of(org: &Org, app_id: &str) -> Result<Value, ApiError> {
    let c = org.connection(app_id)?;
    let f = org.features(app_id)?;
    Ok(feature_json(org, app_id, c, f))
}

fn unknown_feature(name: &str) -> ApiError {
    ApiError::from(OktaError::not_found("AppFeature", name))
}

async fn list_features(_: Admin, State(s): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let org = s.org.lock();
    Ok(ok(Value::Array(vec![feature_of(&org, &id)?])))
}

async fn get_feature(
    _: Admin,
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult {
    if name != "USER_PROVISIONING" {
        return Err(unknown_feature(&name));
    }
    let org = s.org.lock();
    Ok(ok(feature_of(&org, &id)?))
}

/// Reads `{"status": "ENABLED" | "DISABLED"}` at `path` of the capabilities object, by
/// hand: a part that is no object is ignored, a bad status named by its field.
fn capability(body: &Value, path: &[&str]) -> Result<Option<Capability>, ApiError> {
    let mut at = body;
    for key in path {
        match at.get(key) {
            Some(v) => at = v,
            None => return Ok(None),
        }
    }
    let field = path.join(".");
    let status = match at.get("status").and_then(Value::as_str) {
        Some("ENABLED") => FeatureStatus::Enabled,
        Some("DISABLED") => FeatureStatus::Disabled,
        None if at.get("status").is_none() => return Ok(None),
        _ => {
            return Err(ApiError::validation(
                &field,
                format!("{field}.status: must be ENABLED or DISABLED"),
            ));
        }
    };
    Ok(Some(Capability {
        status: Some(status),
    }))
}

/// The capabilities object as a [`FeaturesBody`]: the typed body, or, for what it refuses,
/// Okta's reading by hand (a field-level error, or the parts it takes from a body with parts
/// that are no objects).
fn features_body(body: &Bytes) -> Result<FeaturesBody, ApiError> {
    let value: Value = parse_json(body)?;
    if !value.is_object() {
        return Err(ApiError::malformed("the capabilities object"));
    }
    if let Ok(typed) = serde_json::from_value::<FeaturesBody>(value.clone()) {
        return Ok(typed);
    }
    let lifecycle_create = capability(&value, &["create", "lifecycleCreate"])?;
    let profile = capability(&value, &["update", "profile"])?;
    let lifecycle_deactivate = capability(&value, &["update", "lifecycleDeactivate"])?;
    Ok(FeaturesBody {
        create: Some(CreateCapabilities { lifecycle_create }),
        update: Some(UpdateCapabilities {
            profile,
            lifecycle_deactivate,
        }),
    })
}

async fn put_feature(
    _: Admin,
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    if name != "USER_PROVISIONING" {
        return Err(unknown_feature(&name));
    }
    let body = features_body(&body)?;
    let now = now(&s);
    let mut org = s.org.lock();
    org.set_features(
        now,
        &id,
        body.create_users(),
        body.update_attributes(),
        body.deactivate_users(),
    )?;
    Ok(ok(feature_of(&org, &id)?))
}

// ---- profile mappings (OKTA-PROV-6) -----------------------------------------------------

fn mapping_json(org: &Org, app_id: &str, p: &Provisioning, with_properties: bool) -> Value {
    let base = org.org_url();
    let type_id = org.user_type_id().unwrap_or_default();
    let app_name = org.app(app_id).map(|a| a.name.clone()).unwrap_or_default();
    let mut out = json!({
        "id": p.mapping_id,
        "source": {
            "id": type_id,
            "name": "user",
            "type": "user",
            "_links": {
                "self": href(format!("{base}/api/v1/meta/types/user/{type_id}")),
                "schema": href(format!("{base}/api/v1/meta/schemas/user/default")),
            },
        },
        "target": {
            "id": app_id,
            "name": app_name,
            "type": "appuser",
            "_links": {
                "self": href(format!("{base}/api/v1/apps/{app_id}")),
                "schema": href(format!("{base}/api/v1/meta/schemas/apps/{app_id}/default")),
            },
        },
        "_links": { "self": href(format!("{base}/api/v1/mappings/{}", p.mapping_id)) },
    });
    if with_properties {
        let properties: Map<String, Value> = p
            .mappings
            .iter()
            .map(|m| {
                (
                    m.target.clone(),
                    json!({ "expression": m.expression, "pushStatus": m.push_status.as_str() }),
                )
            })
            .collect();
        out["properties"] = Value::Object(properties);
    }
    out
}

async fn list_mappings(_: Admin, State(s): State<AppState>, listing: Listing) -> ApiResult {
    let page = listing.page(20, 200)?;
    let source = listing.params.get("sourceId").map(str::to_string);
    let target = listing.params.get("targetId").map(str::to_string);
    let org = s.org.lock();
    let type_id = org.user_type_id().unwrap_or_default().to_string();
    let items: Vec<(&str, &Provisioning)> = org
        .profile_mappings()
        .into_iter()
        .filter(|(app_id, _)| {
            source.as_deref().is_none_or(|s| s == type_id)
                && target.as_deref().is_none_or(|t| t == *app_id)
        })
        .collect();
    Ok(listing.respond(
        &page,
        items,
        |(_, p)| p.mapping_id.clone(),
        |(app_id, p)| mapping_json(&org, app_id, p, false),
    ))
}

async fn get_mapping(_: Admin, State(s): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let org = s.org.lock();
    let (app_id, p) = org.profile_mapping(&id)?;
    Ok(ok(mapping_json(&org, app_id, p, true)))
}

/// The mapping change as a [`MappingBody`]: the typed body, or, for what it refuses, Okta's
/// field-level error found by hand.
fn mapping_body(body: &Bytes) -> Result<MappingBody, ApiError> {
    let value: Value = parse_json(body)?;
    // An array is no object here, though serde would take one for a struct.
    if value.is_object()
        && let Ok(typed) = serde_json::from_value::<MappingBody>(value.clone())
    {
        return Ok(typed);
    }
    let Some(properties) = value.get("properties").and_then(Value::as_object) else {
        return Err(ApiError::validation(
            "properties",
            "properties: The field cannot be left blank",
        ));
    };
    let mut changes = Vec::new();
    for (name, value) in properties {
        match value {
            Value::Null => changes.push((name.clone(), None)),
            Value::Object(m) => {
                let Some(expression) = m.get("expression").and_then(Value::as_str) else {
                    return Err(ApiError::validation(
                        "properties",
                        format!("properties.{name}.expression: The field cannot be left blank"),
                    ));
                };
                let push_status = match m.get("pushStatus") {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(match v.as_str() {
                        Some("PUSH") => MappingPush::Push,
                        Some("DONT_PUSH") => MappingPush::DontPush,
                        _ => {
                            return Err(ApiError::validation(
                                "properties",
                                format!("properties.{name}.pushStatus: must be PUSH or DONT_PUSH"),
                            ));
                        }
                    }),
                };
                changes.push((
                    name.clone(),
                    Some(MappingProperty {
                        expression: expression.to_string(),
                        push_status,
                    }),
                ));
            }
            _ => {
                return Err(ApiError::validation(
                    "properties",
                    format!("properties.{name}: must be an object or null"),
                ));
            }
        }
    }
    Ok(MappingBody {
        properties: MappingProperties(changes),
    })
}

async fn update_mapping(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body = mapping_body(&body)?;
    let changes = body
        .properties
        .0
        .into_iter()
        .map(|(name, property)| {
            let change = property.map(|p| {
                let push = p.push_status.map(|status| match status {
                    MappingPush::Push => PushStatus::Push,
                    MappingPush::DontPush => PushStatus::DontPush,
                });
                (p.expression, push)
            });
            (name, change)
        })
        .collect();
    let now = now(&s);
    let mut org = s.org.lock();
    org.update_profile_mapping(now, &id, changes)?;
    let (app_id, p) = org.profile_mapping(&id)?;
    Ok(ok(mapping_json(&org, app_id, p, true)))
}

// ---- group push (OKTA-PROV-5, OKTA-PROV-6) ----------------------------------------------

fn push_json(org: &Org, app_id: &str, m: &GroupPush) -> Value {
    let base = org.org_url();
    let mut links = Map::new();
    links.insert(
        "self".into(),
        href(format!(
            "{base}/api/v1/apps/{app_id}/group-push/mappings/{}",
            m.id
        )),
    );
    links.insert("app".into(), href(format!("{base}/api/v1/apps/{app_id}")));
    links.insert(
        "sourceGroup".into(),
        href(format!("{base}/api/v1/groups/{}", m.source_group_id)),
    );
    json!({
        "id": m.id,
        "sourceGroupId": m.source_group_id,
        "targetGroupId": m.target_group_id,
        "status": m.status.as_str(),
        "errorSummary": m.error_summary,
        "created": ts(m.created),
        "lastUpdated": ts(m.last_updated),
        "lastPush": ts_opt(m.last_push),
        "_links": links,
    })
}

async fn list_pushes(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    listing: Listing,
) -> ApiResult {
    let page = listing.page(100, 1000)?;
    let source = listing.params.get("sourceGroupId").map(str::to_string);
    let org = s.org.lock();
    let pushes: Vec<&GroupPush> = org
        .push_mappings(&id)?
        .iter()
        .filter(|m| m.deleting.is_none())
        .filter(|m| source.as_deref().is_none_or(|g| m.source_group_id == g))
        .collect();
    Ok(listing.respond(&page, pushes, |m| m.id.clone(), |m| push_json(&org, &id, m)))
}

fn push_status(value: Option<&str>, default: bool) -> Result<bool, ApiError> {
    match value {
        None => Ok(default),
        Some("ACTIVE") => Ok(true),
        Some("INACTIVE") => Ok(false),
        Some(other) => Err(ApiError::validation(
            "status",
            format!("status: '{other}' is not ACTIVE or INACTIVE"),
        )),
    }
}

async fn create_push(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body: PushBody = parse_json(&body)?;
    let source = required(&body.source_group_id, "sourceGroupId")?.to_string();
    let active = push_status(body.status.as_deref(), true)?;
    let now = now(&s);
    let mut org = s.org.lock();
    let m = org.create_push_mapping(
        now,
        &id,
        &source,
        body.target_group_name,
        body.target_group_id,
        active,
    )?;
    Ok(created(push_json(&org, &id, &m)))
}

async fn get_push(
    _: Admin,
    State(s): State<AppState>,
    Path((id, mid)): Path<(String, String)>,
) -> ApiResult {
    let org = s.org.lock();
    let m = org.push_mapping(&id, &mid)?;
    Ok(ok(push_json(&org, &id, m)))
}

async fn patch_push(
    _: Admin,
    State(s): State<AppState>,
    Path((id, mid)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let body: PushBody = parse_json(&body)?;
    let status = required(&body.status, "status")?.to_string();
    let active = push_status(Some(&status), true)?;
    let now = now(&s);
    let mut org = s.org.lock();
    let m = org.set_push_mapping_status(now, &id, &mid, active)?;
    Ok(ok(push_json(&org, &id, &m)))
}

async fn delete_push(
    _: Admin,
    State(s): State<AppState>,
    Path((id, mid)): Path<(String, String)>,
    params: Params,
) -> ApiResult {
    let delete_target = params.flag("deleteTargetGroup", false)?;
    let now = now(&s);
    s.org
        .lock()
        .delete_push_mapping(now, &id, &mid, delete_target)?;
    Ok(no_content())
}
