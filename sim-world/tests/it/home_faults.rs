//! The sandbox home's Faults section in a real browser: a rule added with the form shows in
//! the list and on the service's `/_sim/faults`, a bad rule shows the service's message and
//! stores nothing, Remove takes a rule away.
//!
//! covers: SIM-FAULT-12

use serde_json::Value;
use sim_testkit::browser::Browser;
use sim_world::WorldConfig;
use sim_world::sandbox::{SandboxConfig, Setup};

fn field(fields: &serde_json::Map<String, Value>, name: &str) -> String {
    fields[name]
        .as_str()
        .unwrap_or_else(|| panic!("ready field {name}"))
        .to_string()
}

async fn rules(url: &str) -> Vec<Value> {
    let list: Value = reqwest::get(format!("{url}/_sim/faults"))
        .await
        .expect("faults")
        .json()
        .await
        .expect("JSON");
    list["rules"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn the_home_adds_lists_and_removes_fault_rules() {
    let sandbox = crate::common::start_sandbox(|ports| SandboxConfig {
        world: WorldConfig {
            ports,
            zones: vec!["example.com".into()],
            ..WorldConfig::default()
        },
        advertised_host: None,
        setup: Some(Setup::Documented),
        custom_setup: None,
        state_dir: None,
    })
    .await;
    let fields = sandbox.ready_fields();
    let (kiro, okta) = (field(&fields, "kiro"), field(&fields, "okta"));
    let Some(b) = Browser::start("the_home_adds_lists_and_removes_fault_rules").await else {
        sandbox.shutdown().await;
        return;
    };
    b.goto(&field(&fields, "home_url")).await;
    b.expect_text("No fault rules: every service answers normally.")
        .await;

    // Kiro's SCIM user creations: a 429 asking for ten minutes, once.
    b.select("Service", "kiro").await;
    b.fill("Method", "POST").await;
    b.fill("Path", "/*/scim/v2/Users").await;
    b.select("Action", "respond with a status").await;
    b.fill("Status", "429").await;
    b.fill("Retry-After", "600").await;
    b.fill("Times", "1").await;
    b.press("Add fault").await;
    b.expect_text("Fault f1 added to kiro: POST /*/scim/v2/Users → respond 429 ×1")
        .await;
    b.expect_text("respond 429 (Retry-After: 600)").await;
    let kiro_rules = rules(&kiro).await;
    assert_eq!(kiro_rules.len(), 1, "{kiro_rules:?}");
    assert_eq!(kiro_rules[0]["method"], "POST");
    assert_eq!(kiro_rules[0]["remaining"], 1);
    assert_eq!(
        kiro_rules[0]["action"]["respond"]["headers"]["Retry-After"],
        "600"
    );

    // A bad rule: the service's own message, nothing stored.
    b.select("Service", "okta").await;
    b.fill("Path", "oauth2/*/v1/keys").await;
    b.select("Action", "drop the connection").await;
    b.fill("Times", "").await;
    b.press("Add fault").await;
    b.expect_text("Fault not added: `path`: `oauth2/*/v1/keys` must start with `/`")
        .await;
    assert!(rules(&okta).await.is_empty());

    // Okta's JWKS answers late, until removed.
    b.select("Service", "okta").await;
    b.fill("Path", "/oauth2/*/v1/keys").await;
    b.select("Action", "latency").await;
    b.fill("Latency", "1s").await;
    b.press("Add fault").await;
    b.expect_text("Fault f1 added to okta").await;
    b.expect_text("latency 1s").await;
    b.expect_text("until removed").await;
    assert_eq!(rules(&okta).await.len(), 1);

    // The first Remove button is Okta's rule (services listed okta, kiro, dns).
    b.press("Remove").await;
    b.expect_text("Fault f1 removed from okta").await;
    assert!(rules(&okta).await.is_empty());
    assert_eq!(rules(&kiro).await.len(), 1, "Kiro's rule stays");
    b.press("Remove").await;
    b.expect_text("Fault f1 removed from kiro").await;
    b.expect_text("No fault rules").await;
    assert!(rules(&kiro).await.is_empty());
    b.close().await;

    // A reset clears rules too (SIM-FAULT-10).
    let http = reqwest::Client::new();
    let added = http
        .post(format!("{kiro}/_sim/faults"))
        .json(&serde_json::json!({ "path": "/console/**", "action": "hang" }))
        .send()
        .await
        .expect("add");
    assert_eq!(added.status(), 201);
    let reset = http
        .post(format!("{kiro}/_sim/reset"))
        .send()
        .await
        .expect("reset");
    assert_eq!(reset.status(), 200);
    assert!(rules(&kiro).await.is_empty());
    sandbox.shutdown().await;
}
