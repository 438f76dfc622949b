//! Doctor benchmark (issue #15): the full diagnosis (every read over HTTP and DNS, then the
//! judgement) of the documented world grown to 10,000 users, all in the pushed group, assigned
//! to both apps, provisioned in Kiro and holding seats. Target: ≤ 1 s. Run with
//! `cargo bench -p sim-doctor` (or `cargo xtask bench doctor`).

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sim_world::{World, WorldConfig};

/// Users in the world, the documented two included (`DOCTOR_BENCH_USERS` overrides).
const USERS: usize = 10_000;
/// Diagnoses timed.
const RUNS: usize = 5;
/// Admin requests in flight while the world is filled.
const IN_FLIGHT: usize = 32;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let users: usize = std::env::var("DOCTOR_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(USERS);
    runtime.block_on(async {
        let world = World::start(WorldConfig {
            zones: vec!["example.com".into()],
            okta_rate_limit: u32::MAX,
            okta_push_concurrency: 16,
            ..WorldConfig::default()
        })
        .await
        .expect("world");
        let documented = sim_world::setup::documented(&world).await.expect("setup");
        let clients = world.clients();
        let okta = clients.okta.api.clone();
        let groups = okta.get("/api/v1/groups?q=Kiro").await.expect("groups");
        let group = groups[0]["id"].as_str().expect("group id").to_string();

        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..users.saturating_sub(sim_world::setup::USERS.len()) {
            if tasks.len() >= IN_FLIGHT {
                tasks.join_next().await.expect("task").expect("join");
            }
            let okta = okta.clone();
            let group = group.clone();
            tasks.spawn(async move {
                let login = format!("user{i:05}@example.com");
                let user = okta
                    .post(
                        "/api/v1/users?activate=true",
                        json!({ "profile": { "firstName": "User", "lastName": format!("N{i:05}"), "email": login, "login": login } }),
                    )
                    .await
                    .expect("create user");
                let id = user["id"].as_str().expect("id").to_string();
                okta.call(reqwest::Method::PUT, &format!("/api/v1/groups/{group}/users/{id}"), None)
                    .await
                    .expect("add member");
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.expect("join");
        }
        okta.post("/_sim/okta/provisioning/settle", json!({}))
            .await
            .expect("settle");
        // Past the group sync delay: every member holds a seat.
        world.advance(Duration::from_secs(25 * 3600)).await;
        println!(
            "world with {users} users built in {:.1} s",
            started.elapsed().as_secs_f64()
        );

        let mut fields = world.ready_fields();
        fields.extend(documented.ready_fields());
        if std::env::var_os("DOCTOR_BENCH_PROFILE").is_some() {
            let profile = documented.kiro_profile_arn.rsplit('/').next().unwrap_or_default();
            let oidc = &documented.okta_oidc_client_id;
            let scim = &documented.okta_scim_app_id;
            for (api, path) in [
                (&okta, "/api/v1/users?limit=1".to_string()),
                (&okta, "/api/v1/users?limit=200".to_string()),
                (&okta, format!("/api/v1/apps/{oidc}/users?limit=1")),
                (&okta, "/api/v1/groups?limit=200".to_string()),
                (&okta, format!("/api/v1/apps/{oidc}/users?limit=200")),
                (&okta, format!("/api/v1/apps/{scim}/users?limit=200")),
                (&okta, "/api/v1/logs?limit=200&since=2000-01-01T00:00:00Z&filter=outcome.result%20eq%20%22FAILURE%22".to_string()),
                (&clients.kiro.api, format!("/console/profiles/{profile}/subscriptions")),
                (&clients.kiro.api, format!("/console/profiles/{profile}/subscriptions")),
                (&clients.kiro.api, format!("/console/profiles/{profile}/domains")),
            ] {
                let started = Instant::now();
                api.get(&path).await.expect("profile GET");
                println!("  GET {path}: {:.1} ms", started.elapsed().as_secs_f64() * 1e3);
            }
        }
        let mut samples = Vec::new();
        let mut findings = Value::Null;
        for _ in 0..RUNS {
            let started = Instant::now();
            let report = sim_doctor::diagnose_world(&fields).await.expect("diagnose");
            samples.push(started.elapsed());
            findings = json!(report.ids());
        }
        samples.sort();
        println!(
            "doctor, documented world with {users} users: median {:.0} ms, max {:.0} ms over {RUNS} (target <= 1000 ms); findings: {findings}",
            samples[RUNS / 2].as_secs_f64() * 1e3,
            samples[RUNS - 1].as_secs_f64() * 1e3,
        );
        world.shutdown().await;
    });
}
