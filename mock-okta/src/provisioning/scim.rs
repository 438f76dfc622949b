//! Okta's SCIM 2.0 client shapes (OKTA-PROV-3..5): the request each typed push operation of
//! the core becomes, and the typed outcome an answer gives back. The core decides *what* to
//! push ([`PushOp`]); this module alone knows methods, paths, filters, SCIM JSON and which
//! status codes mean what.
//!
//! Calls, as Okta makes them:
//!
//! - assigned user: `GET /Users?filter=userName eq "{login}"`, then `POST /Users` (externalId
//!   = Okta user id, name, emails, displayName, active, mapped attributes), or link to the
//!   match;
//! - mapped attribute changed: `PUT /Users/{id}` with the whole user;
//! - unassigned, deactivated or suspended: `PATCH` `active: false` (reassigned, reactivated or
//!   unsuspended: `active: true`);
//! - pushed group: `POST /Groups` (no members), then `PATCH` with `remove`
//!   `members[value eq "…"]` and `add` `members`; rename: `PATCH` `replace` `displayName`;
//!   unlink with delete: `DELETE /Groups/{id}`.

use std::time::Duration;

use serde_json::{Map, Value, json};

use sim_api::HttpRequest;

use crate::core::provisioning::config::APP_USER_ATTRIBUTES;
use crate::core::provisioning::{
    Found, PushAnswer, PushFailure, PushOp, PushResult, PushTask, ResourceKey,
};

/// The core User schema.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The enterprise User extension (department, employeeNumber, …).
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// The core Group schema.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// PATCH requests.
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// An HTTP answer, before the core sees it: a 2xx and its JSON body (`Null` when empty or
/// not JSON), or a failure.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// A 2xx.
    Ok {
        /// The status.
        status: u16,
        /// The body.
        body: Value,
    },
    /// Anything else.
    Failed(CallFailure),
}

/// A call that failed, as the wire saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallFailure {
    /// The HTTP status, if the target answered.
    pub status: Option<u16>,
    /// The error text (status and the target's detail, or the transport error).
    pub message: String,
    /// The target's `Retry-After`, if any.
    pub retry_after: Option<Duration>,
}

impl CallFailure {
    /// The core's view: the target may have done the work anyway after no answer, a 5xx, or
    /// a conflict (it exists already); a 429 or another 4xx was refused.
    pub fn into_push(self) -> PushFailure {
        PushFailure {
            maybe_applied: self.status.is_none_or(|s| s >= 500 || s == 409),
            message: self.message,
            retry_after: self.retry_after,
        }
    }
}

/// The SCIM request for a push task (the shape every typed request of the project has,
/// `sim_api::HttpRequest`).
pub fn request(task: &PushTask) -> HttpRequest {
    let patch =
        |operations: Vec<Value>| Some(json!({ "schemas": [PATCH_OP], "Operations": operations }));
    let user = match &task.key {
        ResourceKey::User { user, .. } => user.as_str(),
        ResourceKey::Group { .. } => "",
    };
    let (method, path, body) = match &task.op {
        PushOp::LookupUser { login } => (
            "GET",
            format!(
                "/Users?filter={}",
                sim_core::url::encode(&format!("userName eq \"{login}\""))
            ),
            None,
        ),
        PushOp::CreateUser { profile } => (
            "POST",
            "/Users".to_string(),
            Some(scim_user(user, None, profile, true)),
        ),
        PushOp::UpdateUser {
            downstream,
            profile,
        } => (
            "PUT",
            format!("/Users/{downstream}"),
            Some(scim_user(user, Some(downstream), profile, true)),
        ),
        PushOp::SetActive { downstream, active } => (
            "PATCH",
            format!("/Users/{downstream}"),
            patch(vec![
                json!({ "op": "replace", "value": { "active": active } }),
            ]),
        ),
        PushOp::LookupGroup { name } => (
            "GET",
            format!(
                "/Groups?filter={}",
                sim_core::url::encode(&format!("displayName eq \"{name}\""))
            ),
            None,
        ),
        PushOp::CreateGroup { name } => (
            "POST",
            "/Groups".to_string(),
            Some(json!({ "schemas": [GROUP_SCHEMA], "displayName": name, "members": [] })),
        ),
        PushOp::RenameGroup { target, name } => (
            "PATCH",
            format!("/Groups/{target}"),
            patch(vec![
                json!({ "op": "replace", "value": { "displayName": name } }),
            ]),
        ),
        PushOp::PatchMembers {
            target,
            added,
            removed,
        } => {
            let mut ops: Vec<Value> = removed
                .iter()
                .map(|id| json!({ "op": "remove", "path": format!("members[value eq \"{id}\"]") }))
                .collect();
            if !added.is_empty() {
                let values: Vec<Value> = added
                    .iter()
                    .map(|(id, display)| json!({ "value": id, "display": display }))
                    .collect();
                ops.push(json!({ "op": "add", "path": "members", "value": values }));
            }
            ("PATCH", format!("/Groups/{target}"), patch(ops))
        }
        PushOp::DeleteGroup { target } => ("DELETE", format!("/Groups/{target}"), None),
    };
    HttpRequest { method, path, body }
}

/// The core's outcome of an answer to `op`: what a lookup found, the id a create gave, or a
/// failure (also when a 2xx lacks what the operation needs from it).
pub fn outcome(op: &PushOp, answer: Answer) -> PushResult {
    let body = match answer {
        Answer::Ok { body, .. } => body,
        Answer::Failed(failure) => return PushResult::Failed(failure.into_push()),
    };
    match op {
        PushOp::LookupUser { .. } | PushOp::LookupGroup { .. } => {
            PushResult::Ok(PushAnswer::Found(first_resource(&body)))
        }
        PushOp::CreateUser { .. } | PushOp::CreateGroup { .. } => {
            match body.get("id").and_then(Value::as_str) {
                Some(id) => PushResult::Ok(PushAnswer::Created { id: id.to_string() }),
                None => PushResult::Failed(PushFailure {
                    message: "The target's answer has no id".into(),
                    // A 2xx without an id: the resource may exist; look it up next time.
                    maybe_applied: true,
                    retry_after: None,
                }),
            }
        }
        _ => PushResult::Ok(PushAnswer::Done),
    }
}

/// Where an app-user attribute goes in a SCIM User.
#[derive(Clone, Copy, Debug)]
enum Slot {
    /// `name.{part}`.
    Name(&'static str),
    /// A top-level string attribute.
    Top(&'static str),
    /// `emails[0]` (work, primary).
    Email,
    /// `phoneNumbers[0]` (work, primary).
    Phone,
    /// An attribute of the enterprise extension.
    Enterprise(&'static str),
}

/// The SCIM place of each attribute of IAM Identity Center's app-user profile.
fn slot(attr: &str) -> Option<Slot> {
    Some(match attr {
        "givenName" => Slot::Name("givenName"),
        "familyName" => Slot::Name("familyName"),
        "middleName" => Slot::Name("middleName"),
        "honorificPrefix" => Slot::Name("honorificPrefix"),
        "honorificSuffix" => Slot::Name("honorificSuffix"),
        "email" => Slot::Email,
        "displayName" => Slot::Top("displayName"),
        "nickName" => Slot::Top("nickName"),
        "profileUrl" => Slot::Top("profileUrl"),
        "title" => Slot::Top("title"),
        "userType" => Slot::Top("userType"),
        "preferredLanguage" => Slot::Top("preferredLanguage"),
        "locale" => Slot::Top("locale"),
        "timezone" => Slot::Top("timezone"),
        "primaryPhone" => Slot::Phone,
        "employeeNumber" => Slot::Enterprise("employeeNumber"),
        "costCenter" => Slot::Enterprise("costCenter"),
        "organization" => Slot::Enterprise("organization"),
        "division" => Slot::Enterprise("division"),
        "department" => Slot::Enterprise("department"),
        _ => return None,
    })
}

/// The SCIM User body for an app-user profile.
fn scim_user(
    okta_id: &str,
    downstream: Option<&str>,
    profile: &Map<String, Value>,
    active: bool,
) -> Value {
    let mut name = Map::new();
    let mut top: Vec<(&str, Value)> = Vec::new();
    let mut email = None;
    let mut phone = None;
    let mut enterprise = Map::new();
    for (attr, _) in APP_USER_ATTRIBUTES {
        let Some(value) = profile.get(*attr).filter(|v| !v.is_null()) else {
            continue;
        };
        let Some(slot) = slot(attr) else {
            continue;
        };
        match slot {
            Slot::Name(part) => {
                name.insert(part.into(), value.clone());
            }
            Slot::Top(key) => top.push((key, value.clone())),
            Slot::Email => email = Some(value.clone()),
            Slot::Phone => phone = Some(value.clone()),
            Slot::Enterprise(key) => {
                enterprise.insert(key.into(), value.clone());
            }
        }
    }
    let mut schemas = vec![json!(USER_SCHEMA)];
    if !enterprise.is_empty() {
        schemas.push(json!(ENTERPRISE_SCHEMA));
    }
    let mut out = Map::new();
    out.insert("schemas".into(), Value::Array(schemas));
    if let Some(id) = downstream {
        out.insert("id".into(), json!(id));
    }
    out.insert(
        "userName".into(),
        profile.get("userName").cloned().unwrap_or(Value::Null),
    );
    out.insert("externalId".into(), json!(okta_id));
    out.insert("name".into(), Value::Object(name));
    for (key, value) in top {
        out.insert(key.into(), value);
    }
    if let Some(email) = email {
        out.insert(
            "emails".into(),
            json!([{ "value": email, "type": "work", "primary": true }]),
        );
    }
    if let Some(phone) = phone {
        out.insert(
            "phoneNumbers".into(),
            json!([{ "value": phone, "type": "work", "primary": true }]),
        );
    }
    out.insert("active".into(), json!(active));
    if !enterprise.is_empty() {
        out.insert(ENTERPRISE_SCHEMA.into(), Value::Object(enterprise));
    }
    Value::Object(out)
}

/// The first resource of a ListResponse.
fn first_resource(body: &Value) -> Option<Found> {
    let first = body.get("Resources")?.as_array()?.first()?;
    Some(Found {
        id: first.get("id")?.as_str()?.to_string(),
        name: first
            .get("displayName")
            .and_then(Value::as_str)
            .map(str::to_string),
        active: first.get("active").and_then(Value::as_bool),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_app_user_attribute_has_a_scim_place() {
        for (attr, _) in APP_USER_ATTRIBUTES {
            assert!(slot(attr).is_some(), "{attr}");
        }
    }

    #[test]
    fn scim_users_put_enterprise_attributes_in_the_extension() {
        let profile = json!({
            "userName": "ada@example.com", "givenName": "Ada", "familyName": "Lovelace",
            "email": "ada@example.com", "displayName": "Ada Lovelace", "department": "R&D",
        });
        let body = scim_user("00u1", None, profile.as_object().expect("object"), true);
        assert_eq!(
            body,
            json!({
                "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
                "userName": "ada@example.com",
                "externalId": "00u1",
                "name": { "givenName": "Ada", "familyName": "Lovelace" },
                "displayName": "Ada Lovelace",
                "emails": [{ "value": "ada@example.com", "type": "work", "primary": true }],
                "active": true,
                ENTERPRISE_SCHEMA: { "department": "R&D" },
            })
        );
    }

    #[test]
    fn status_codes_say_whether_a_refused_create_may_have_happened() {
        let failure = |status| CallFailure {
            status,
            message: String::new(),
            retry_after: None,
        };
        for (status, maybe) in [
            (None, true),
            (Some(500), true),
            (Some(503), true),
            (Some(409), true),
            (Some(429), false),
            (Some(400), false),
            (Some(404), false),
        ] {
            assert_eq!(
                failure(status).into_push().maybe_applied,
                maybe,
                "{status:?}"
            );
        }
    }

    #[test]
    fn a_create_answered_without_an_id_is_a_failure_that_may_have_applied() {
        let op = PushOp::CreateGroup { name: "g".into() };
        let PushResult::Failed(failure) = outcome(
            &op,
            Answer::Ok {
                status: 201,
                body: json!({}),
            },
        ) else {
            panic!("accepted")
        };
        assert!(failure.maybe_applied);
        assert_eq!(
            outcome(
                &op,
                Answer::Ok {
                    status: 201,
                    body: json!({ "id": "g1" }),
                },
            ),
            PushResult::Ok(PushAnswer::Created { id: "g1".into() })
        );
    }
}
