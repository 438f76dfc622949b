//! mock-okta provisioning benchmark (issue 4): SCIM push throughput over loopback.
//!
//! Set-up (not timed): 10,000 users in 100 groups of 100, the AWS IAM Identity Center app
//! connected to a minimal SCIM server in this process (Create Users, Update User Attributes,
//! Deactivate Users on; department and employeeNumber unmapped).
//!
//! Timed: assigning the 100 groups to the app (10,000 users) and pushing the 100 groups, until
//! `/_sim/okta/provisioning/settle` reports nothing left: 10,000 lookups, 10,000 creates, 100
//! group creates and 100 membership PATCHes of 100. Target ≤ 5 s to converge. Prints the
//! seconds, users/s, SCIM requests/s and the peak RSS of the process (`VmHWM`, both servers
//! included).
//!
//! Run with `cargo bench -p mock-okta --bench provisioning` (or `cargo xtask bench push`).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mock_okta::{Config, MockOkta};
use parking_lot::Mutex;
use serde_json::{Value, json};

const USERS: usize = 10_000;
const GROUPS: usize = 100;
const SETUP_IN_FLIGHT: usize = 16;
const TOKEN: &str = "bench-token";

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

// ---- a minimal SCIM server ------------------------------------------------------------------

#[derive(Default)]
struct Target {
    users: Mutex<HashMap<String, String>>,
    groups: Mutex<HashMap<String, usize>>,
    next: AtomicUsize,
    requests: AtomicUsize,
}

fn scim(status: StatusCode, body: Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        "content-type",
        "application/scim+json".parse().expect("header"),
    );
    r
}

fn filter_value(query: &str) -> Option<String> {
    let raw = query.split('&').find_map(|p| p.strip_prefix("filter="))?;
    let decoded = percent_decode(raw);
    let start = decoded.find('"')? + 1;
    let end = decoded[start..].find('"')? + start;
    Some(decoded[start..end].to_string())
}

fn percent_decode(text: &str) -> String {
    sim_core::url::form_decode_lossy(text)
}

async fn handle(State(t): State<Arc<Target>>, request: Request) -> Response {
    t.requests.fetch_add(1, Ordering::Relaxed);
    let (parts, body) = request.into_parts();
    let bytes: Bytes = axum::body::to_bytes(body, 1 << 22)
        .await
        .unwrap_or_default();
    let path = parts.uri.path().trim_start_matches("/scim/v2/");
    let query = parts.uri.query().unwrap_or("");
    let (resource, id) = path.split_once('/').unwrap_or((path, ""));
    match (parts.method.as_str(), resource, id) {
        ("GET", "Users", "") => {
            let found = filter_value(query).and_then(|n| t.users.lock().get(&n).cloned());
            let resources: Vec<Value> = found
                .into_iter()
                .map(|id| json!({ "id": id, "active": true }))
                .collect();
            scim(
                StatusCode::OK,
                json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": resources.len(), "Resources": resources }),
            )
        }
        ("POST", "Users", "") => {
            let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let name = body["userName"].as_str().unwrap_or("").to_string();
            let id = format!("u{}", t.next.fetch_add(1, Ordering::Relaxed));
            if t.users.lock().insert(name, id.clone()).is_some() {
                return scim(
                    StatusCode::CONFLICT,
                    json!({ "detail": "Duplicate userName" }),
                );
            }
            scim(StatusCode::CREATED, json!({ "id": id }))
        }
        ("POST", "Groups", "") => {
            let id = format!("g{}", t.next.fetch_add(1, Ordering::Relaxed));
            t.groups.lock().insert(id.clone(), 0);
            scim(StatusCode::CREATED, json!({ "id": id }))
        }
        ("PATCH", "Groups", id) => {
            let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let added: usize = body["Operations"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|op| op["op"] == json!("add"))
                .map(|op| op["value"].as_array().map_or(0, Vec::len))
                .sum();
            if let Some(n) = t.groups.lock().get_mut(id) {
                *n += added;
            }
            StatusCode::NO_CONTENT.into_response()
        }
        _ => StatusCode::NO_CONTENT.into_response(),
    }
}

// ---- the benchmark ----------------------------------------------------------------------------

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("authorization", format!("SSWS {}", self.token));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("answered");
        let status = response.status();
        let text = response.text().await.expect("body");
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }
}

/// Runs `f` over `items` with at most `SETUP_IN_FLIGHT` at once.
async fn each<T, F, Fut>(items: Vec<T>, f: F) -> Vec<Fut::Output>
where
    T: Send + 'static,
    F: Fn(T) -> Fut + Clone + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    let chunk = items.len().div_ceil(SETUP_IN_FLIGHT).max(1);
    let mut chunks: Vec<Vec<(usize, T)>> = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        if i % chunk == 0 {
            chunks.push(Vec::new());
        }
        if let Some(c) = chunks.last_mut() {
            c.push((i, item));
        }
    }
    let mut set = tokio::task::JoinSet::new();
    for c in chunks {
        let f = f.clone();
        set.spawn(async move {
            let mut out = Vec::with_capacity(c.len());
            for (i, item) in c {
                out.push((i, f(item).await));
            }
            out
        });
    }
    let mut all = Vec::new();
    while let Some(done) = set.join_next().await {
        all.extend(done.expect("task"));
    }
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, v)| v).collect()
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

async fn run() {
    let target = Arc::new(Target::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let scim_base = format!("http://{}/scim/v2", listener.local_addr().expect("addr"));
    let router = axum::Router::new()
        .fallback(handle)
        .with_state(target.clone());
    let _server = sim_core::http::serve(listener, router, None)
        .await
        .expect("serve");

    let okta = MockOkta::start(Config {
        rate_limit_per_minute: u32::MAX,
        ..Config::default()
    })
    .await
    .expect("mock-okta starts");
    let client = Arc::new(Client {
        http: reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client"),
        base: okta.url(),
        token: okta.api_token().to_string(),
    });
    use reqwest::Method;

    // Set-up, not timed.
    let setup = Instant::now();
    let app = client
        .call(
            Method::POST,
            "/api/v1/apps",
            Some(json!({ "name": "amazon_aws_sso", "label": "AWS IAM Identity Center" })),
        )
        .await["id"]
        .as_str()
        .expect("app id")
        .to_string();
    client
        .call(
            Method::POST,
            &format!("/api/v1/apps/{app}/connections/default?activate=true"),
            Some(json!({ "baseUrl": scim_base, "profile": { "authScheme": "TOKEN", "token": TOKEN } })),
        )
        .await;
    client
        .call(
            Method::PUT,
            &format!("/api/v1/apps/{app}/features/USER_PROVISIONING"),
            Some(json!({
                "create": { "lifecycleCreate": { "status": "ENABLED" } },
                "update": { "profile": { "status": "ENABLED" }, "lifecycleDeactivate": { "status": "ENABLED" } },
            })),
        )
        .await;
    let mappings = client
        .call(
            Method::GET,
            &format!("/api/v1/mappings?targetId={app}"),
            None,
        )
        .await;
    let mapping = mappings[0]["id"].as_str().expect("mapping id").to_string();
    client
        .call(
            Method::POST,
            &format!("/api/v1/mappings/{mapping}"),
            Some(json!({ "properties": { "department": null, "employeeNumber": null } })),
        )
        .await;
    let groups: Vec<String> = each((0..GROUPS).collect(), {
        let client = client.clone();
        move |g: usize| {
            let client = client.clone();
            async move {
                client
                    .call(
                        Method::POST,
                        "/api/v1/groups",
                        Some(json!({ "profile": { "name": format!("team-{g:03}") } })),
                    )
                    .await["id"]
                    .as_str()
                    .expect("group id")
                    .to_string()
            }
        }
    })
    .await;
    let per_group = USERS / GROUPS;
    let groups = Arc::new(groups);
    let t = Instant::now();
    let users: Vec<String> = each((0..USERS).collect(), {
        let client = client.clone();
        move |i: usize| {
            let client = client.clone();
            async move {
                let login = format!("dev{i:05}@example.com");
                client
                    .call(
                        Method::POST,
                        "/api/v1/users?activate=true",
                        Some(json!({ "profile": {
                            "firstName": "Dev", "lastName": format!("N{i}"),
                            "email": login, "login": login,
                        } })),
                    )
                    .await["id"]
                    .as_str()
                    .expect("user id")
                    .to_string()
            }
        }
    })
    .await;
    eprintln!(
        "set-up: {USERS} users created in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    each(users.into_iter().enumerate().collect(), {
        let client = client.clone();
        let groups = groups.clone();
        move |(i, user): (usize, String)| {
            let client = client.clone();
            let groups = groups.clone();
            async move {
                client
                    .call(
                        Method::PUT,
                        &format!("/api/v1/groups/{}/users/{user}", groups[i / per_group]),
                        None,
                    )
                    .await;
            }
        }
    })
    .await;
    eprintln!(
        "set-up: {USERS} memberships in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    eprintln!(
        "set-up: {USERS} users in {GROUPS} groups in {:.1} s",
        setup.elapsed().as_secs_f64()
    );

    // Timed: assign every group, push every group, wait until nothing is runnable.
    let started = Instant::now();
    for g in groups.iter() {
        client
            .call(Method::PUT, &format!("/api/v1/apps/{app}/groups/{g}"), None)
            .await;
    }
    for g in groups.iter() {
        client
            .call(
                Method::POST,
                &format!("/api/v1/apps/{app}/group-push/mappings"),
                Some(json!({ "sourceGroupId": g, "status": "ACTIVE" })),
            )
            .await;
    }
    let settled = client
        .call(Method::POST, "/_sim/okta/provisioning/settle", None)
        .await;
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(settled["pending"], json!(0), "{settled}");
    assert_eq!(target.users.lock().len(), USERS);
    let groups_done = target.groups.lock();
    assert_eq!(groups_done.len(), GROUPS);
    assert!(
        groups_done.values().all(|n| *n == per_group),
        "every group has its members"
    );
    let requests = target.requests.load(Ordering::Relaxed);
    println!(
        "push: {USERS} users and {GROUPS} groups of {per_group} converged in {elapsed:.2} s (target <= 5 s): {:.0} users/s, {requests} SCIM requests ({:.0}/s), push concurrency {}; peak RSS {:.0} MiB",
        USERS as f64 / elapsed,
        requests as f64 / elapsed,
        mock_okta::DEFAULT_PUSH_CONCURRENCY,
        peak_rss_mib()
    );
}
