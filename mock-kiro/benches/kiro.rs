//! mock-kiro benchmark: prints the figures issue 5 sets targets for, over HTTP on loopback:
//!
//! - SCIM `POST /Users` per second (target ≥ 5,000/s);
//! - SCIM group-membership PATCH operations per second (target ≥ 5,000 ops/s), both as
//!   single-member PATCHes and as batches of 100 (IdC's maximum);
//! - authorized runtime calls per second: `generateCompletions`, each a full JWT verification
//!   (RS256 against the issuer's JWKS) plus the seat and credit check (target ≥ 20,000/s);
//! - the console's Subscriptions page with 10,000 seats, median render over HTTP (target
//!   ≤ 5 ms): first page, page 100, a search.
//!
//! Run with `cargo bench -p mock-kiro` (or `cargo xtask bench kiro`). Traffic goes only to
//! 127.0.0.1 and is bounded in count.

#[path = "../tests/it/common/mod.rs"]
#[allow(unused_imports)]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const USERS: usize = 10_000;
const SINGLE_PATCHES: usize = 5_000;
const RUNTIME_CALLS: usize = 40_000;
const IN_FLIGHT: usize = 16;
/// Renders of the Subscriptions page per figure.
const PAGE_RENDERS: usize = 200;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

struct Bench {
    http: reqwest::Client,
    kiro: String,
    admin: String,
    scim: String,
    scim_token: String,
    profile_arn: String,
}

async fn run() {
    let issuer = common::TestIssuer::start().await;
    let started = Instant::now();
    let kiro = mock_kiro::MockKiro::start(mock_kiro::Config {
        domain_check_interval: Duration::ZERO,
        ..mock_kiro::Config::default()
    })
    .await
    .expect("start");
    println!(
        "mock-kiro ready in {:.3} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    let http = reqwest::Client::new();
    let admin = kiro.admin_token().to_string();
    let profile: Value = http
        .post(format!("{}/console/profiles", kiro.url()))
        .bearer_auth(&admin)
        .json(
            &json!({ "profileName": "Bench", "issuerUrl": issuer.issuer, "clientId": "0oabench" }),
        )
        .send()
        .await
        .expect("profile")
        .json()
        .await
        .expect("profile json");
    let profile_id = profile["profileId"]
        .as_str()
        .expect("profile id")
        .to_string();
    let token: Value = http
        .post(format!(
            "{}/console/profiles/{profile_id}/scim-tokens",
            kiro.url()
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token json");
    let bench = Arc::new(Bench {
        http,
        kiro: kiro.url(),
        admin,
        scim: profile["scimEndpoint"]
            .as_str()
            .expect("scim endpoint")
            .trim_end_matches('/')
            .to_string(),
        scim_token: token["token"].as_str().expect("token").to_string(),
        profile_arn: profile["profileArn"].as_str().expect("arn").to_string(),
    });

    // SCIM POST /Users.
    let started = Instant::now();
    let ids = concurrently(bench.clone(), (0..USERS).collect(), |b, i| async move {
        let body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "externalId": format!("00u{i:017}"),
            "userName": format!("user{i}@example.com"),
            "name": { "givenName": "User", "familyName": format!("Number{i}") },
            "displayName": format!("User {i}"),
            "emails": [{ "value": format!("user{i}@example.com"), "type": "work", "primary": true }],
            "active": true,
        });
        let v = b.scim_call(reqwest::Method::POST, "/Users", Some(body), 201).await;
        v["id"].as_str().expect("id").to_string()
    })
    .await;
    rate(
        "SCIM POST /Users",
        USERS,
        started.elapsed(),
        "users/s",
        5_000.0,
    );

    // Group membership: single-member PATCHes, then batches of 100.
    let group = bench
        .scim_call(
            reqwest::Method::POST,
            "/Groups",
            Some(json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Engineering" })),
            201,
        )
        .await["id"]
        .as_str()
        .expect("group id")
        .to_string();
    let path = format!("/Groups/{group}");
    let singles: Vec<(String, String)> = ids[..SINGLE_PATCHES]
        .iter()
        .map(|id| (path.clone(), id.clone()))
        .collect();
    let started = Instant::now();
    concurrently(bench.clone(), singles, |b, (path, id)| async move {
        b.scim_call(reqwest::Method::PATCH, &path, Some(patch_add(&[id])), 204)
            .await;
    })
    .await;
    rate(
        "SCIM group PATCH, 1 member each",
        SINGLE_PATCHES,
        started.elapsed(),
        "ops/s",
        5_000.0,
    );
    let batches: Vec<(String, Vec<String>)> = ids[SINGLE_PATCHES..]
        .chunks(100)
        .map(|c| (path.clone(), c.to_vec()))
        .collect();
    let members = USERS - SINGLE_PATCHES;
    let started = Instant::now();
    concurrently(bench.clone(), batches, |b, (path, chunk)| async move {
        b.scim_call(reqwest::Method::PATCH, &path, Some(patch_add(&chunk)), 204)
            .await;
    })
    .await;
    rate(
        "SCIM group PATCH, 100 members each",
        members,
        started.elapsed(),
        "ops/s",
        5_000.0,
    );

    // The console's Subscriptions page with 10,000 seats (issue 13: <= 5 ms per render):
    // the whole group subscribed, then the page rendered over HTTP (first page, a page in
    // the middle, a search), one request at a time.
    let subscribed = bench
        .http
        .post(format!(
            "{}/console/profiles/{profile_id}/subscriptions",
            bench.kiro
        ))
        .bearer_auth(&bench.admin)
        .json(&json!({ "principalType": "GROUP", "principalId": group, "tier": "PRO" }))
        .send()
        .await
        .expect("subscribe the group");
    assert_eq!(subscribed.status(), 200);
    let page = format!(
        "{}/console/ui/profiles/{profile_id}/subscriptions",
        bench.kiro
    );
    for (what, url) in [
        ("first page", page.clone()),
        ("page 100", format!("{page}?page=100")),
        ("search", format!("{page}?q=User+99")),
        ("search matching nothing", format!("{page}?q=zzz")),
    ] {
        let mut times = Vec::with_capacity(PAGE_RENDERS);
        for _ in 0..PAGE_RENDERS {
            let started = Instant::now();
            let response = bench
                .http
                .get(&url)
                .header("cookie", format!("kiro_console_session={}", bench.admin))
                .send()
                .await
                .expect("subscriptions page");
            assert_eq!(response.status(), 200);
            let html = response.text().await.expect("page body");
            times.push(started.elapsed());
            assert!(html.contains("seats. Page"), "the seat list");
        }
        times.sort();
        println!(
            "mock-kiro Subscriptions page, {USERS} seats, {what}: median {:.2} ms, p95 {:.2} ms over HTTP (target median <= 5 ms)",
            times[PAGE_RENDERS / 2].as_secs_f64() * 1e3,
            times[PAGE_RENDERS * 95 / 100].as_secs_f64() * 1e3,
        );
    }

    // Runtime: one subscribed user calling generateCompletions.
    bench
        .http
        .post(format!(
            "{}/console/profiles/{profile_id}/subscriptions",
            bench.kiro
        ))
        .bearer_auth(&bench.admin)
        .json(&json!({ "principalType": "USER", "principalId": ids[0], "tier": "POWER" }))
        .send()
        .await
        .expect("subscribe");
    let clock: Value = bench
        .http
        .get(format!("{}/_sim/clock", bench.kiro))
        .send()
        .await
        .expect("clock")
        .json()
        .await
        .expect("clock json");
    let now = clock["unix_ms"].as_u64().expect("unix_ms") / 1000;
    let access = Arc::new(issuer.sign(
        0,
        &issuer.claims(
            "0oabench",
            "00u00000000000000000",
            "user0@example.com",
            now,
            &["openid", "codewhisperer:completions"],
        ),
    ));
    let started = Instant::now();
    concurrently(bench.clone(), (0..RUNTIME_CALLS).map(|_| access.clone()).collect(), |b, token| async move {
        let response = b
            .http
            .post(format!("{}/generateCompletions", b.kiro))
            .bearer_auth(token.as_str())
            .json(&json!({
                "profileArn": b.profile_arn,
                "fileContext": { "filename": "main.rs", "programmingLanguage": { "languageName": "rust" },
                                 "leftFileContent": "fn main() {", "rightFileContent": "}" },
            }))
            .send()
            .await
            .expect("completion");
        let status = response.status();
        assert_eq!(status, 200, "{}", response.text().await.unwrap_or_default());
    })
    .await;
    rate(
        "authorized runtime calls (generateCompletions)",
        RUNTIME_CALLS,
        started.elapsed(),
        "calls/s",
        20_000.0,
    );
    kiro.shutdown().await;
}

fn patch_add(ids: &[String]) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{ "op": "add", "path": "members", "value": ids.iter().map(|id| json!({ "value": id })).collect::<Vec<_>>() }],
    })
}

impl Bench {
    async fn scim_call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        expect: u16,
    ) -> Value {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.scim))
            .bearer_auth(&self.scim_token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("scim request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("scim body");
        assert_eq!(status, expect, "{path}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }
}

fn rate(what: &str, n: usize, took: Duration, unit: &str, target: f64) {
    let per_sec = n as f64 / took.as_secs_f64();
    println!(
        "mock-kiro {what}: {n} in {:.2} s = {per_sec:.0} {unit} (target >= {target:.0})",
        took.as_secs_f64()
    );
}

/// Runs `f` over `items`, `IN_FLIGHT` at a time; results in input order.
async fn concurrently<T, R, F, Fut>(bench: Arc<Bench>, items: Vec<T>, f: F) -> Vec<R>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(Arc<Bench>, T) -> Fut + Send + Sync + Copy + 'static,
    Fut: std::future::Future<Output = R> + Send + 'static,
{
    let mut lanes: Vec<Vec<(usize, T)>> = (0..IN_FLIGHT).map(|_| Vec::new()).collect();
    for (i, item) in items.into_iter().enumerate() {
        lanes[i % IN_FLIGHT].push((i, item));
    }
    let tasks: Vec<_> = lanes
        .into_iter()
        .map(|lane| {
            let bench = bench.clone();
            tokio::spawn(async move {
                let mut out = Vec::with_capacity(lane.len());
                for (i, item) in lane {
                    out.push((i, f(bench.clone(), item).await));
                }
                out
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("lane"));
    }
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}
