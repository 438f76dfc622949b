//! Helpers of the provisioning tests (`tests/provisioning*.rs`):
//!
//! - [`ScimTarget`]: a small SCIM 2.0 server (axum, in the test process) that records every
//!   request it gets (method, path with the query decoded, the headers Okta sets, the JSON
//!   body), keeps users and groups well enough to answer Okta's calls, and can be told to
//!   fail: answer a status, answer 429 with `Retry-After`, or be down (connections refused)
//!   and come back on the same port.
//! - Set-up of the AWS IAM Identity Center app through mock-okta's management API, and
//!   [`settle`] (`POST /_sim/okta/provisioning/settle`) to wait for pushes without sleeping.
//!
//! Each test file uses only part of this module, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use parking_lot::Mutex;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Okta, enc, id_of};

/// The token the target accepts.
pub const TARGET_TOKEN: &str = "scim-secret-token";

/// A request the target received.
#[derive(Clone, Debug, PartialEq)]
pub struct Recorded {
    /// `GET`, `POST`, …
    pub method: String,
    /// Path under the SCIM base with the query percent-decoded:
    /// `/Users?filter=userName eq "ada@example.com"`.
    pub path: String,
    /// The raw query as sent.
    pub raw_query: Option<String>,
    /// `authorization`, `content-type`, `accept`, `user-agent`.
    pub headers: HashMap<String, String>,
    /// The JSON body (`Null` when none).
    pub body: Value,
}

impl Recorded {
    /// `"{method} {path}"`.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// What the target does with the next requests.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Answer normally (to target a later request).
    Pass,
    /// Answer this status with a SCIM error body.
    Status(u16),
    /// 429 with `Retry-After: {secs}`.
    TooMany(u64),
    /// Do the work (e.g. create the user) but answer 500, as if the answer were lost.
    DoThenFail,
}

#[derive(Clone, Debug)]
struct TargetGroup {
    id: String,
    display_name: String,
    members: Vec<String>,
}

#[derive(Default)]
struct TargetState {
    requests: Vec<Recorded>,
    users: Vec<Value>,
    groups: Vec<TargetGroup>,
    next_id: u64,
    faults: VecDeque<Fault>,
}

/// A recording SCIM server on loopback.
pub struct ScimTarget {
    addr: SocketAddr,
    state: Arc<Mutex<TargetState>>,
    server: Option<sim_core::http::HttpServer>,
}

fn percent_decode(text: &str) -> String {
    sim_core::url::form_decode_lossy(text)
}

/// The value of `attr eq "value"` in a filter.
fn filter_value(filter: &str, attr: &str) -> Option<String> {
    let rest = filter.trim().strip_prefix(attr)?.trim_start();
    let rest = rest.strip_prefix("eq")?.trim_start().strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_string())
}

fn scim_error(status: StatusCode, detail: &str) -> Response {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": status.as_u16().to_string(),
        "detail": detail,
    });
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        "content-type",
        "application/scim+json".parse().expect("header"),
    );
    r
}

fn scim(status: StatusCode, body: Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        "content-type",
        "application/scim+json".parse().expect("header"),
    );
    r
}

fn list(resources: Vec<Value>) -> Response {
    scim(
        StatusCode::OK,
        json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": resources.len(),
            "itemsPerPage": resources.len(),
            "startIndex": 1,
            "Resources": resources,
        }),
    )
}

async fn handle(State(state): State<Arc<Mutex<TargetState>>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let bytes: Bytes = axum::body::to_bytes(body, 1 << 24)
        .await
        .unwrap_or_default();
    let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let path = parts
        .uri
        .path()
        .strip_prefix("/scim/v2")
        .unwrap_or(parts.uri.path())
        .to_string();
    let raw_query = parts.uri.query().map(str::to_string);
    let headers: &HeaderMap = &parts.headers;
    let recorded = Recorded {
        method: parts.method.to_string(),
        path: match &raw_query {
            Some(q) => format!("{path}?{}", percent_decode(q)),
            None => path.clone(),
        },
        raw_query: raw_query.clone(),
        headers: ["authorization", "content-type", "accept", "user-agent"]
            .iter()
            .filter_map(|h| {
                headers
                    .get(*h)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| (h.to_string(), v.to_string()))
            })
            .collect(),
        body: json.clone(),
    };
    let mut s = state.lock();
    s.requests.push(recorded.clone());
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(&format!("Bearer {TARGET_TOKEN}"))
    {
        return scim_error(
            StatusCode::UNAUTHORIZED,
            "Authorization header is invalid or missing.",
        );
    }
    let fault = s.faults.pop_front();
    match fault {
        Some(Fault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return scim_error(status, "Injected failure.");
        }
        Some(Fault::TooMany(secs)) => {
            let mut r = scim_error(StatusCode::TOO_MANY_REQUESTS, "Too many requests.");
            r.headers_mut()
                .insert("retry-after", secs.to_string().parse().expect("header"));
            return r;
        }
        Some(Fault::DoThenFail | Fault::Pass) | None => {}
    }
    let lose_answer = fault == Some(Fault::DoThenFail);
    let query = raw_query.as_deref().map(percent_decode).unwrap_or_default();
    let filter = query
        .split('&')
        .find_map(|p| p.strip_prefix("filter="))
        .map(str::to_string);
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let answer = match (parts.method.as_str(), segments.as_slice()) {
        ("GET", ["Users"]) => {
            let found: Vec<Value> = s
                .users
                .iter()
                .filter(|u| {
                    filter.as_deref().is_none_or(|f| {
                        filter_value(f, "userName").is_some_and(|n| {
                            u["userName"]
                                .as_str()
                                .is_some_and(|x| x.eq_ignore_ascii_case(&n))
                        })
                    })
                })
                .cloned()
                .collect();
            list(found)
        }
        ("POST", ["Users"]) => {
            let name = json["userName"].as_str().unwrap_or("").to_string();
            if s.users.iter().any(|u| {
                u["userName"]
                    .as_str()
                    .is_some_and(|x| x.eq_ignore_ascii_case(&name))
            }) {
                scim_error(StatusCode::CONFLICT, "Duplicate userName.")
            } else {
                s.next_id += 1;
                let mut user = json.clone();
                user["id"] = json!(format!("u-{}", s.next_id));
                s.users.push(user.clone());
                scim(StatusCode::CREATED, user)
            }
        }
        ("PUT", ["Users", id]) => match s.users.iter_mut().find(|u| u["id"] == json!(id)) {
            Some(u) => {
                let mut user = json.clone();
                user["id"] = json!(id);
                *u = user.clone();
                scim(StatusCode::OK, user)
            }
            None => scim_error(StatusCode::NOT_FOUND, "User not found."),
        },
        ("PATCH", ["Users", id]) => match s.users.iter_mut().find(|u| u["id"] == json!(id)) {
            Some(u) => {
                for op in json["Operations"].as_array().cloned().unwrap_or_default() {
                    if let Some(values) = op["value"].as_object() {
                        for (k, v) in values {
                            u[k] = v.clone();
                        }
                    }
                }
                scim(StatusCode::OK, u.clone())
            }
            None => scim_error(StatusCode::NOT_FOUND, "User not found."),
        },
        ("GET", ["Groups"]) => {
            let found: Vec<Value> = s
                .groups
                .iter()
                .filter(|g| {
                    filter.as_deref().is_none_or(|f| {
                        filter_value(f, "displayName")
                            .is_some_and(|n| g.display_name.eq_ignore_ascii_case(&n))
                    })
                })
                .map(|g| json!({ "id": g.id, "displayName": g.display_name }))
                .collect();
            list(found)
        }
        ("POST", ["Groups"]) => {
            let name = json["displayName"].as_str().unwrap_or("").to_string();
            if s.groups
                .iter()
                .any(|g| g.display_name.eq_ignore_ascii_case(&name))
            {
                scim_error(StatusCode::CONFLICT, "Duplicate displayName.")
            } else {
                s.next_id += 1;
                let id = format!("g-{}", s.next_id);
                s.groups.push(TargetGroup {
                    id: id.clone(),
                    display_name: name.clone(),
                    members: Vec::new(),
                });
                scim(
                    StatusCode::CREATED,
                    json!({ "id": id, "displayName": name, "members": [] }),
                )
            }
        }
        ("PATCH", ["Groups", id]) => match s.groups.iter_mut().find(|g| g.id == *id) {
            Some(g) => {
                for op in json["Operations"].as_array().cloned().unwrap_or_default() {
                    let kind = op["op"].as_str().unwrap_or("");
                    let path = op["path"].as_str().unwrap_or("");
                    match kind {
                        "remove" => {
                            if let Some(inner) = path
                                .strip_prefix("members[")
                                .and_then(|p| p.strip_suffix(']'))
                                && let Some(v) = filter_value(inner, "value")
                            {
                                g.members.retain(|m| *m != v);
                            }
                        }
                        "add" if path == "members" => {
                            for m in op["value"].as_array().cloned().unwrap_or_default() {
                                if let Some(v) = m["value"].as_str()
                                    && !g.members.iter().any(|x| x == v)
                                {
                                    g.members.push(v.to_string());
                                }
                            }
                        }
                        "replace" => {
                            if let Some(name) = op["value"]["displayName"].as_str() {
                                g.display_name = name.to_string();
                            }
                        }
                        _ => {}
                    }
                }
                StatusCode::NO_CONTENT.into_response()
            }
            None => scim_error(StatusCode::NOT_FOUND, "Group not found."),
        },
        ("DELETE", ["Groups", id]) => {
            let before = s.groups.len();
            s.groups.retain(|g| g.id != *id);
            if s.groups.len() < before {
                StatusCode::NO_CONTENT.into_response()
            } else {
                scim_error(StatusCode::NOT_FOUND, "Group not found.")
            }
        }
        _ => scim_error(StatusCode::NOT_FOUND, "No such endpoint."),
    };
    if lose_answer {
        return scim_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal error.");
    }
    answer
}

impl ScimTarget {
    /// Starts on a free loopback port.
    pub async fn start() -> ScimTarget {
        let mut target = ScimTarget {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            state: Arc::default(),
            server: None,
        };
        target.up().await;
        target
    }

    /// `http://127.0.0.1:PORT/scim/v2`.
    pub fn base(&self) -> String {
        format!("http://{}/scim/v2", self.addr)
    }

    /// (Re)starts serving on the same port.
    pub async fn up(&mut self) {
        if self.server.is_some() {
            return;
        }
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .expect("bind the SCIM target");
        self.addr = listener.local_addr().expect("local addr");
        let router = axum::Router::new()
            .fallback(handle)
            .with_state(self.state.clone());
        self.server = Some(
            sim_core::http::serve(listener, router, None)
                .await
                .expect("serve"),
        );
    }

    /// Stops serving: connections are refused until [`ScimTarget::up`].
    pub async fn down(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }

    /// Queues faults for the next requests (one each).
    pub fn fail_next(&self, faults: &[Fault]) {
        self.state.lock().faults.extend(faults.iter().cloned());
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().requests.clone()
    }

    /// `"{method} {path}"` of every request so far.
    pub fn lines(&self) -> Vec<String> {
        self.requests().iter().map(Recorded::line).collect()
    }

    /// Forgets the requests so far.
    pub fn clear(&self) {
        self.state.lock().requests.clear();
    }

    /// Stored users.
    pub fn users(&self) -> Vec<Value> {
        self.state.lock().users.clone()
    }

    /// Adds a user as if created by someone else; returns its id.
    pub fn seed_user(&self, user_name: &str) -> String {
        let mut s = self.state.lock();
        s.next_id += 1;
        let id = format!("u-{}", s.next_id);
        s.users.push(json!({
            "id": id, "userName": user_name, "active": true,
            "name": { "givenName": "Pre", "familyName": "Existing" },
        }));
        id
    }

    /// Stored groups: (id, displayName, member ids).
    pub fn groups(&self) -> Vec<(String, String, Vec<String>)> {
        self.state
            .lock()
            .groups
            .iter()
            .map(|g| (g.id.clone(), g.display_name.clone(), g.members.clone()))
            .collect()
    }
}

// ---- mock-okta side ------------------------------------------------------------------------

/// `POST /_sim/okta/provisioning/settle`: waits for every push runnable now.
pub async fn settle(okta: &Okta) -> Value {
    let reply = okta
        .send(okta.http.post(okta.url("/_sim/okta/provisioning/settle")))
        .await;
    reply.ok().clone()
}

/// `PATCH {path}` with a JSON body.
pub async fn patch(okta: &Okta, path: &str, body: Value) -> crate::common::Reply {
    okta.call(Method::PATCH, path, Some(body)).await
}

/// Adds "AWS IAM Identity Center" from the catalog; returns the app id.
pub async fn create_idc_app(okta: &Okta) -> String {
    let reply = okta
        .post(
            "/api/v1/apps",
            json!({ "name": "amazon_aws_sso", "label": "AWS IAM Identity Center", "signOnMode": "SAML_2_0" }),
        )
        .await;
    id_of(reply.ok())
}

/// Enables API integration with this base URL and token.
pub async fn connect(okta: &Okta, app_id: &str, base_url: &str, token: &str) {
    okta.post(
        &format!("/api/v1/apps/{app_id}/connections/default?activate=true"),
        json!({ "baseUrl": base_url, "profile": { "authScheme": "TOKEN", "token": token } }),
    )
    .await
    .ok();
}

/// Sets the To App features.
pub async fn features(okta: &Okta, app_id: &str, create: bool, update: bool, deactivate: bool) {
    let s = |b: bool| if b { "ENABLED" } else { "DISABLED" };
    okta.put(
        &format!("/api/v1/apps/{app_id}/features/USER_PROVISIONING"),
        json!({
            "create": { "lifecycleCreate": { "status": s(create) } },
            "update": {
                "profile": { "status": s(update) },
                "lifecycleDeactivate": { "status": s(deactivate) },
            },
        }),
    )
    .await
    .ok();
}

/// The id of the app's profile mapping (Okta user → app user).
pub async fn mapping_id(okta: &Okta, app_id: &str) -> String {
    let reply = okta
        .get(&format!("/api/v1/mappings?targetId={app_id}"))
        .await;
    let list = reply.ok().as_array().expect("a list").clone();
    assert_eq!(list.len(), 1, "{list:?}");
    id_of(&list[0])
}

/// Removes property mappings (`null`), as Kiro's guide asks for department and
/// employeeNumber.
pub async fn unmap(okta: &Okta, app_id: &str, attributes: &[&str]) -> Value {
    let id = mapping_id(okta, app_id).await;
    let properties: serde_json::Map<String, Value> = attributes
        .iter()
        .map(|a| (a.to_string(), Value::Null))
        .collect();
    okta.post(
        &format!("/api/v1/mappings/{id}"),
        json!({ "properties": properties }),
    )
    .await
    .ok()
    .clone()
}

/// The IdC app connected to `base_url` with `token`, Create Users and Update User
/// Attributes and Deactivate Users on, department and employeeNumber unmapped.
pub async fn ready_app(okta: &Okta, base_url: &str, token: &str) -> String {
    let app = create_idc_app(okta).await;
    connect(okta, &app, base_url, token).await;
    features(okta, &app, true, true, true).await;
    unmap(okta, &app, &["department", "employeeNumber"]).await;
    app
}

/// Pushes a group; returns the push mapping.
pub async fn push_group(okta: &Okta, app_id: &str, group_id: &str) -> Value {
    okta.post(
        &format!("/api/v1/apps/{app_id}/group-push/mappings"),
        json!({ "sourceGroupId": group_id, "status": "ACTIVE" }),
    )
    .await
    .expect(201)
    .clone()
}

/// A push mapping as the API shows it now.
pub async fn push_mapping(okta: &Okta, app_id: &str, mapping_id: &str) -> Value {
    okta.get(&format!(
        "/api/v1/apps/{app_id}/group-push/mappings/{mapping_id}"
    ))
    .await
    .ok()
    .clone()
}

/// The app-user object of a user.
pub async fn app_user(okta: &Okta, app_id: &str, user_id: &str) -> Value {
    okta.get(&format!("/api/v1/apps/{app_id}/users/{user_id}"))
        .await
        .ok()
        .clone()
}

/// System Log events of this type, oldest first.
pub async fn events(okta: &Okta, event_type: &str) -> Vec<Value> {
    let filter = enc(&format!("eventType eq \"{event_type}\""));
    let (items, _) = okta
        .list_all(&format!("/api/v1/logs?limit=1000&filter={filter}"))
        .await;
    items
}

/// Creates a user with a profile of its own (login = email); returns its id.
pub async fn create_user_with_profile(okta: &Okta, login: &str, first: &str, last: &str) -> String {
    let reply = okta
        .post(
            "/api/v1/users?activate=true",
            json!({
                "profile": { "firstName": first, "lastName": last, "email": login, "login": login },
                "credentials": { "password": { "value": crate::common::PASSWORD } },
            }),
        )
        .await;
    id_of(reply.ok())
}
