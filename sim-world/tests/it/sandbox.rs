//! The sandbox (`kiro-sim up`): `/_sim/ready` answers 503 until the setup is applied and
//! requests sent meanwhile wait for it; `/_sim/reset` brings back the state right after start
//! (same ids and tokens), also with requests in flight; an advertised host is in every URL.
//!
//! covers: [SIM-READY-1, SIM-RESET-1, SIM-HOST-1]

use std::time::Duration;

use serde_json::{Value, json};
use sim_world::WorldConfig;
use std::sync::Arc;

use sim_world::sandbox::{CustomSetup, Sandbox, SandboxConfig, Setup, SetupFuture};

fn config() -> SandboxConfig {
    SandboxConfig {
        world: WorldConfig {
            zones: vec!["example.com".into()],
            ..WorldConfig::default()
        },
        advertised_host: None,
        setup: Some(Setup::Documented),
        custom_setup: None,
        state_dir: None,
    }
}

fn field(fields: &serde_json::Map<String, Value>, name: &str) -> String {
    fields[name].as_str().expect(name).to_string()
}

/// A custom setup that waits until released (once), then saves `held: true`.
#[derive(Debug)]
struct Held(tokio::sync::Mutex<Option<tokio::sync::oneshot::Receiver<()>>>);

impl CustomSetup for Held {
    fn apply<'a>(&'a self, _world: &'a sim_world::World) -> SetupFuture<'a> {
        Box::pin(async move {
            if let Some(held) = self.0.lock().await.take() {
                let _ = held.await;
            }
            let mut saved = serde_json::Map::new();
            saved.insert("held".into(), true.into());
            Ok(saved)
        })
    }
}

async fn users(http: &reqwest::Client, okta: &str, token: &str) -> (u16, Value) {
    let response = http
        .get(format!("{okta}/api/v1/users"))
        .header("Authorization", format!("SSWS {token}"))
        .send()
        .await
        .expect("users answered");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

// covers: SIM-READY-1
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_is_503_until_the_setup_is_applied_and_requests_wait_for_it() {
    let ports = crate::common::free_ports();
    let mut config = config();
    config.world.ports = ports;
    let okta = format!("http://127.0.0.1:{}", ports.okta);
    // The seed fixes the API token: read it from a plain world with the same seed.
    let token = {
        let world = sim_world::World::start(WorldConfig::default())
            .await
            .expect("world");
        let token = world.okta().api_token().to_string();
        world.shutdown().await;
        token
    };
    // A further setup that holds the start until released: the world is started and the
    // documented setup applied, but the sandbox is not ready yet.
    let (release, held) = tokio::sync::oneshot::channel::<()>();
    config.custom_setup = Some(Arc::new(Held(tokio::sync::Mutex::new(Some(held)))));
    let starting = tokio::spawn(Sandbox::start(config));
    let http = reqwest::Client::new();
    // Poll until a listener answers: it must say 503 (the setup is not applied yet).
    loop {
        match http.get(format!("{okta}/_sim/ready")).send().await {
            Ok(r) => {
                assert_eq!(r.status(), 503);
                assert_eq!(
                    r.json::<Value>().await.expect("json"),
                    json!({ "ready": false })
                );
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(1)).await,
        }
    }
    // Sent while not ready: held at the gate, answered by the set-up world (both users), never
    // by a world half set up.
    let waiting = {
        let (http, okta, token) = (http.clone(), okta.clone(), token.clone());
        tokio::spawn(async move { users(&http, &okta, &token).await })
    };
    // Give the request time to reach the gate (real sockets), then let the setup finish.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        !waiting.is_finished(),
        "answered before the setup was applied"
    );
    release.send(()).expect("the setup waits");
    let (status, users_seen) = waiting.await.expect("task");
    assert_eq!(status, 200, "{users_seen}");
    assert_eq!(users_seen.as_array().map(Vec::len), Some(2), "{users_seen}");
    let ready: Value = http
        .get(format!("{okta}/_sim/ready"))
        .send()
        .await
        .expect("ready")
        .json()
        .await
        .expect("json");
    let sandbox = starting.await.expect("task").expect("sandbox starts");
    let fields = sandbox.ready_fields();
    assert_eq!(ready["ready"], true);
    assert_eq!(
        ready["setup"],
        json!({ "held": true }),
        "the custom setup's values"
    );
    for (name, value) in &fields {
        assert_eq!(&ready[name], value, "{name}");
    }
    // Every HTTP service answers readiness, with the same fields.
    for service in ["dns_api", "kiro"] {
        let body: Value = http
            .get(format!("{}/_sim/ready", field(&fields, service)))
            .send()
            .await
            .expect("ready")
            .json()
            .await
            .expect("json");
        assert_eq!(body, ready, "{service}");
    }
    let (status, users) = users(&http, &okta, &field(&fields, "okta_api_token")).await;
    assert_eq!(status, 200);
    assert_eq!(users.as_array().map(Vec::len), Some(2));
    sandbox.shutdown().await;
}

// covers: SIM-RESET-1
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_brings_back_the_state_right_after_start_with_the_same_tokens() {
    let sandbox = Sandbox::start(config()).await.expect("sandbox starts");
    let before = sandbox.ready_fields();
    let okta = field(&before, "okta");
    let token = field(&before, "okta_api_token");
    let http = reqwest::Client::new();
    let c = sim_world::clients::Clients::new(
        &okta,
        &token,
        &field(&before, "kiro"),
        &field(&before, "kiro_admin_token"),
        &field(&before, "dns_api"),
        &field(&before, "dns_api_token"),
        &sim_core::outbound::Trust::Platform,
    )
    .expect("clients");
    c.okta
        .create_user("carol@example.com", "Carol", "Coder", "Correct-Horse-9")
        .await
        .expect("user");
    let advanced: Value = http
        .post(format!("{okta}/_sim/clock/advance"))
        .json(&json!({ "by": "48h" }))
        .send()
        .await
        .expect("advance")
        .json()
        .await
        .expect("json");
    assert_eq!(
        users(&http, &okta, &token).await.1.as_array().map(Vec::len),
        Some(3)
    );

    let reset = http
        .post(format!("{}/_sim/reset", field(&before, "kiro")))
        .send()
        .await
        .expect("reset");
    assert_eq!(reset.status(), 200);
    let body: Value = reset.json().await.expect("json");
    assert_eq!(body["event"], "reset");
    let after = sandbox.ready_fields();
    assert_eq!(before, after, "same seed, same ids and tokens");
    let (status, users) = users(&http, &okta, &token).await;
    assert_eq!(status, 200);
    let logins: Vec<&str> = users
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|u| u["profile"]["login"].as_str())
        .collect();
    assert_eq!(logins, ["ada@example.com", "bob@example.com"]);
    let clock: Value = http
        .get(format!("{okta}/_sim/clock"))
        .send()
        .await
        .expect("clock")
        .json()
        .await
        .expect("json");
    assert!(
        clock["unix_ms"].as_i64() < advanced["unix_ms"].as_i64(),
        "the clock is back: {clock} vs {advanced}"
    );
    sandbox.shutdown().await;
}

// covers: SIM-RESET-1
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resets_with_requests_in_flight_never_show_a_half_set_up_world() {
    let sandbox = Sandbox::start(config()).await.expect("sandbox starts");
    let fields = sandbox.ready_fields();
    let okta = field(&fields, "okta");
    let token = field(&fields, "okta_api_token");
    let http = reqwest::Client::new();
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let (http, okta, token) = (http.clone(), okta.clone(), token.clone());
        clients.spawn(async move {
            let mut seen = 0;
            // Bounded: 60 requests per client.
            for _ in 0..60 {
                let (status, users) = users(&http, &okta, &token).await;
                assert_eq!(status, 200, "{users}");
                assert_eq!(users.as_array().map(Vec::len), Some(2), "{users}");
                seen += 1;
            }
            seen
        });
    }
    for _ in 0..3 {
        let reset = http
            .post(format!("{okta}/_sim/reset"))
            .send()
            .await
            .expect("reset");
        assert_eq!(reset.status(), 200);
    }
    let mut total = 0;
    while let Some(seen) = clients.join_next().await {
        total += seen.expect("client task");
    }
    assert_eq!(total, 240);
    assert_eq!(sandbox.ready_fields(), fields);
    sandbox.shutdown().await;
}

// covers: SIM-HOST-1
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_advertised_host_is_in_every_url_handed_out() {
    let mut config = config();
    config.world.bind = "0.0.0.0".parse().expect("addr");
    config.advertised_host = Some("localhost".into());
    let sandbox = Sandbox::start(config).await.expect("sandbox starts");
    let fields = sandbox.ready_fields();
    for name in ["okta", "kiro", "dns_api", "okta_issuer", "kiro_scim_url"] {
        assert!(
            field(&fields, name).starts_with("http://localhost:"),
            "{name}: {}",
            fields[name]
        );
    }
    assert!(field(&fields, "dns").starts_with("localhost:"));
    let issuer = field(&fields, "okta_issuer");
    let discovery: Value = reqwest::get(format!("{issuer}/.well-known/openid-configuration"))
        .await
        .expect("discovery")
        .json()
        .await
        .expect("json");
    assert_eq!(discovery["issuer"], issuer.as_str());
    assert!(
        discovery["token_endpoint"]
            .as_str()
            .is_some_and(|t| t.starts_with("http://localhost:")),
        "{discovery}"
    );
    sandbox.shutdown().await;
}

/// The tests' retry on a taken port ([`crate::common::start_sandbox`]) knows a taken port
/// when it sees one: the error's causes carry the OS's "address in use".
#[tokio::test]
async fn a_taken_port_is_an_address_in_use_error() {
    let held = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let taken = held.local_addr().expect("its address").port();
    let mut config = config();
    config.world.ports = crate::common::free_ports();
    config.world.ports.okta = taken;
    let Err(e) = Sandbox::start(config).await else {
        panic!("started on a taken port");
    };
    assert!(crate::common::port_taken(&e), "{e}");
}
