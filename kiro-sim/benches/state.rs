//! `cargo xtask bench state`: what `kiro-sim up --state DIR` costs (issue 14's targets), on
//! the release binary, measured against a world without `--state` in the same run.
//!
//! 1. A world of 10,000 users and 100 groups, built through Okta's API by 8 concurrent admin
//!    clients (each user created, added to one of 100 groups and to the pushed "Kiro
//!    Developers" group, so Okta pushes all 10,000 to Kiro by SCIM), once without and once
//!    with `--state`: wall time and the slowdown (target: at most 25 %).
//! 2. The world with `--state` killed with SIGKILL and started again on its directory: wall
//!    time from the start to the ready line (target: at most 1 s).
//! 3. A checkpoint saved and restored in that world (`POST /_sim/snapshots`, `…/restore`):
//!    wall time of each (target: at most 200 ms each).
//!
//! `KIRO_SIM_BENCH_USERS` changes the number of users (default 10,000);
//! `KIRO_SIM_BENCH_LOG` is the sandboxes' `RUST_LOG` (default `warn`; `warn,sim_world=debug`
//! shows what each restore spent parsing).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const GROUPS: usize = 100;
const CLIENTS: usize = 8;

fn main() {
    let users: usize = std::env::var("KIRO_SIM_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(users));
}

/// Starts `kiro-sim up` (documented setup, free ports, a fixed epoch), with `--state DIR`
/// when given; returns the child, its ready line and how long it took to print it.
fn up(state: Option<&Path>) -> (Child, Value, Duration) {
    let mut args = vec![
        "up",
        "--setup",
        "documented",
        "--zone",
        "example.com",
        "--epoch",
        "2026-01-01T00:00:00Z",
        "--dns-port",
        "0",
        "--dns-api-port",
        "0",
        "--okta-port",
        "0",
        "--kiro-port",
        "0",
        // Okta's rate limit counts per minute of world time, which does not move here.
        "--rate-limit",
        "100000000",
    ];
    let dir;
    if let Some(state) = state {
        dir = state.to_str().expect("utf-8 path").to_string();
        args.extend(["--state", dir.as_str()]);
    }
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kiro-sim"))
        .args(&args)
        .env(
            "RUST_LOG",
            std::env::var("KIRO_SIM_BENCH_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn kiro-sim");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("ready line");
    let took = started.elapsed();
    let ready = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    (child, ready, took)
}

struct Okta {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Okta {
    fn of(ready: &Value) -> Okta {
        Okta {
            base: ready["okta"].as_str().expect("okta").to_string(),
            token: ready["okta_api_token"].as_str().expect("token").to_string(),
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(CLIENTS)
                .build()
                .expect("client"),
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("Authorization", format!("SSWS {}", self.token));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }
}

/// Builds the world: 99 more groups (100 with the documented one), `users` users, each in
/// one of the 100 groups and in the pushed group; then waits for the push to settle.
async fn build(ready: &Value, users: usize) -> Duration {
    let okta = Arc::new(Okta::of(ready));
    let started = Instant::now();
    let found = okta
        .call(
            reqwest::Method::GET,
            "/api/v1/groups?q=Kiro%20Developers",
            None,
        )
        .await;
    let pushed = found[0]["id"].as_str().expect("group").to_string();
    let mut groups = vec![pushed.clone()];
    for g in 1..GROUPS {
        let group = okta
            .call(
                reqwest::Method::POST,
                "/api/v1/groups",
                Some(json!({ "profile": { "name": format!("Team {g:03}") } })),
            )
            .await;
        groups.push(group["id"].as_str().expect("id").to_string());
    }
    let groups = Arc::new(groups);
    let mut clients = tokio::task::JoinSet::new();
    for client in 0..CLIENTS {
        let okta = okta.clone();
        let groups = groups.clone();
        let pushed = pushed.clone();
        clients.spawn(async move {
            for i in (client..users).step_by(CLIENTS) {
                let login = format!("user{i:05}@example.com");
                let user = okta
                    .call(
                        reqwest::Method::POST,
                        "/api/v1/users?activate=true",
                        Some(json!({ "profile": {
                            "login": login, "email": login,
                            "firstName": "User", "lastName": format!("{i:05}"),
                        }})),
                    )
                    .await;
                let id = user["id"].as_str().expect("id").to_string();
                let group = &groups[i % GROUPS];
                okta.call(
                    reqwest::Method::PUT,
                    &format!("/api/v1/groups/{group}/users/{id}"),
                    None,
                )
                .await;
                if *group != pushed {
                    okta.call(
                        reqwest::Method::PUT,
                        &format!("/api/v1/groups/{pushed}/users/{id}"),
                        None,
                    )
                    .await;
                }
            }
        });
    }
    while let Some(done) = clients.join_next().await {
        done.expect("client");
    }
    okta.call(
        reqwest::Method::POST,
        "/_sim/okta/provisioning/settle",
        None,
    )
    .await;
    started.elapsed()
}

async fn kiro_users(ready: &Value) -> u64 {
    let page: Value = reqwest::Client::new()
        .get(format!(
            "{}/Users?count=1",
            ready["kiro_scim_url"].as_str().expect("scim url")
        ))
        .bearer_auth(ready["kiro_scim_token"].as_str().expect("scim token"))
        .send()
        .await
        .expect("scim")
        .json()
        .await
        .expect("scim json");
    page["totalResults"].as_u64().unwrap_or(0)
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

async fn run(users: usize) {
    println!(
        "state: {users} users in {GROUPS} groups, all pushed to Kiro, {CLIENTS} admin clients"
    );
    let (mut plain, ready, _) = up(None);
    let without = build(&ready, users).await;
    let pushed = kiro_users(&ready).await;
    plain.kill().expect("kill");
    let _ = plain.wait();
    println!(
        "  without --state: built in {} ({pushed} users in Kiro)",
        ms(without)
    );

    let dir = std::env::temp_dir().join(format!("kiro-sim-bench-state-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (mut kept, ready, _) = up(Some(&dir));
    let with = build(&ready, users).await;
    let pushed = kiro_users(&ready).await;
    let slower = (with.as_secs_f64() / without.as_secs_f64() - 1.0) * 100.0;
    println!(
        "  with --state:    built in {} ({pushed} users in Kiro): {slower:+.0} % (target: at most +25 %)",
        ms(with)
    );
    kept.kill().expect("SIGKILL");
    let _ = kept.wait();
    let mut restarts = Vec::new();
    let mut ready = Value::Null;
    for _ in 0..3 {
        let (mut child, r, took) = up(Some(&dir));
        restarts.push(took);
        ready = r;
        if restarts.len() < 3 {
            child.kill().expect("SIGKILL");
            let _ = child.wait();
        } else {
            kept = child;
        }
    }
    let worst = restarts.iter().max().copied().unwrap_or_default();
    println!(
        "  restart after SIGKILL to the ready line: {} (worst of 3: {:?}; target: at most 1 s)",
        ms(worst),
        restarts.iter().map(|d| ms(*d)).collect::<Vec<_>>()
    );
    assert_eq!(
        kiro_users(&ready).await,
        pushed,
        "the restart kept Kiro's users"
    );
    let okta = Okta::of(&ready);
    let mut saves = Vec::new();
    let mut restores = Vec::new();
    for i in 0..3 {
        let started = Instant::now();
        okta.call(
            reqwest::Method::POST,
            "/_sim/snapshots",
            Some(json!({ "name": format!("bench-{i}") })),
        )
        .await;
        saves.push(started.elapsed());
        let started = Instant::now();
        okta.call(
            reqwest::Method::POST,
            &format!("/_sim/snapshots/bench-{i}/restore"),
            None,
        )
        .await;
        restores.push(started.elapsed());
    }
    let worst = |v: &[Duration]| ms(v.iter().max().copied().unwrap_or_default());
    println!(
        "  checkpoint save: worst of 3 {}; restore: worst of 3 {} (target: at most 200 ms each)",
        worst(&saves),
        worst(&restores)
    );
    kept.kill().expect("kill");
    let _ = kept.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
