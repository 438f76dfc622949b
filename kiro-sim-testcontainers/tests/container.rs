//! The kiro-sim image through a real Docker engine: a sign-in with the IDE, a SCIM push and a
//! 24-hour group sync delay against a started container, and a reset.
//!
//! Needs the image (`cargo xtask image`): without it the tests fail saying so. Without a Docker
//! engine they print one line and pass, except under `CI`, where they fail.

use std::time::Duration;

use kiro_sim_testcontainers::{IMAGE_TAG, KiroSim};
use serde_json::Value;

/// Whether to run: an engine answers and has the image. Otherwise the test is skipped with one
/// line (counted by `cargo xtask ci`), or fails under `CI`, which installs both.
fn engine_ready(test: &str) -> bool {
    if !kiro_sim_testcontainers::docker_engine_answers() {
        return sim_testkit::tool::require(
            test,
            Err("no Docker engine answers".into()),
            "install docker.io and start dockerd (see .ci/run)",
        );
    }
    if !kiro_sim_testcontainers::image_present(IMAGE_TAG) {
        return sim_testkit::tool::require(
            test,
            Err(format!("the image kiro-sim:{IMAGE_TAG} is missing")),
            "build the image: cargo xtask image",
        );
    }
    true
}

async fn scim_users(sim: &kiro_sim_testcontainers::RunningKiroSim, login: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{}/Users", sim.scim_url()))
        .query(&[("filter", format!("userName eq \"{login}\""))])
        .bearer_auth(sim.scim_token())
        .send()
        .await
        .expect("scim")
        .json()
        .await
        .expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_scim_push_and_a_24_hour_sync_delay_in_a_container() {
    if !engine_ready("sign_in_scim_push_and_a_24_hour_sync_delay_in_a_container") {
        return;
    }
    let sim = KiroSim::default()
        .with_seed(7)
        .with_sync_delay("24h")
        .start()
        .await
        .expect("container starts");
    assert_eq!(sim.ready().seed, 7);
    assert!(sim.issuer().starts_with(sim.okta_url()), "{}", sim.issuer());
    assert!(!sim.oidc_client_id().is_empty());
    let users = sim.users();
    let (login, password) = &users[0];

    // Sign-in: the IDE's whole flow (domain lookup, discovery, code + PKCE) against the container.
    let mut ide = sim.ide(sim_world::ide::LOOPBACK_PORTS[0]).expect("ide");
    ide.sign_in(login, password).await.expect("sign-in");
    ide.complete("fn main() {", "}")
        .await
        .expect("a completion with the group's Pro seat");

    // A SCIM push: a new Okta user in the pushed group reaches Kiro.
    let c = sim.clients().expect("clients");
    let carol = c
        .okta
        .create_user("carol@example.com", "Carol", "Coder", "Correct-Horse-9")
        .await
        .expect("user");
    let groups = c
        .okta
        .api
        .get("/api/v1/groups?q=Kiro")
        .await
        .expect("groups");
    let group = groups[0]["id"].as_str().expect("group id");
    c.okta.add_member(group, &carol).await.expect("member");
    sim.settle_push().await.expect("settle");
    let found = scim_users(&sim, "carol@example.com").await;
    assert_eq!(found["totalResults"], 1, "{found}");

    // The 24-hour group sync delay: Carol's seat from the group comes a day later.
    let mut carols_ide = sim.ide(sim_world::ide::LOOPBACK_PORTS[1]).expect("ide");
    carols_ide
        .sign_in("carol@example.com", "Correct-Horse-9")
        .await
        .expect("carol signs in");
    let refused = carols_ide.complete("fn main() {", "}").await;
    assert!(
        refused.is_err(),
        "a completion before the sync delay: {refused:?}"
    );
    sim.advance(Duration::from_secs(23 * 3600))
        .await
        .expect("advance");
    let refused = carols_ide.complete("fn main() {", "}").await;
    assert!(refused.is_err(), "one hour early: {refused:?}");
    sim.advance(Duration::from_secs(3600))
        .await
        .expect("advance");
    carols_ide
        .complete("fn main() {", "}")
        .await
        .expect("a completion once the 24 hours have passed");

    // Reset: back to right after start, same tokens; Carol is gone.
    let before = sim.ready().clone();
    let reset = sim.reset().await.expect("reset");
    assert_eq!(reset["okta_api_token"], before.okta_api_token.as_str());
    assert_eq!(
        reset["kiro_scim_token"],
        before.kiro_scim_token.as_deref().unwrap_or_default()
    );
    let found = scim_users(&sim, "carol@example.com").await;
    assert_eq!(found["totalResults"], 0, "{found}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_containers_side_by_side_on_their_own_ports() {
    if !engine_ready("two_containers_side_by_side_on_their_own_ports") {
        return;
    }
    let a = KiroSim::default().with_seed(1).start();
    let b = KiroSim::default().with_seed(2).start();
    let (a, b) = tokio::join!(a, b);
    let (a, b) = (a.expect("a starts"), b.expect("b starts"));
    assert_ne!(a.okta_url(), b.okta_url());
    assert_ne!(a.okta_api_token(), b.okta_api_token());
    a.advance(Duration::from_secs(3600))
        .await
        .expect("advance a");
    let clock: Value = reqwest::get(format!("{}/_sim/clock", b.okta_url()))
        .await
        .expect("clock")
        .json()
        .await
        .expect("json");
    let a_clock: Value = reqwest::get(format!("{}/_sim/clock", a.okta_url()))
        .await
        .expect("clock")
        .json()
        .await
        .expect("json");
    assert!(
        a_clock["unix_ms"].as_i64() > clock["unix_ms"].as_i64(),
        "{a_clock} vs {clock}"
    );
}

/// A training org as a scenario file, applied after the documented setup: Dana in a group of
/// her own.
const SETUP_FILE: &str = "\
name: a training org
actors: { okta: okta-admin, kiro: kiro-admin, dns: dns-admin }
steps:
  - okta.create_user: { login: dana@example.com, first: Dana, last: Scully, password: Correct-Horse-9 }
    save: { dana: $.id }
  - okta.create_group: { name: Engineering }
    save: { group: $.id }
  - okta.add_member: { group: \"${group}\", user: \"${dana}\" }
";

/// The members' logins of an Okta group, through the management API.
async fn members(sim: &kiro_sim_testcontainers::RunningKiroSim, group: &str) -> Vec<String> {
    let users: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/groups/{group}/users", sim.okta_url()))
        .header("Authorization", format!("SSWS {}", sim.okta_api_token()))
        .send()
        .await
        .expect("members")
        .json()
        .await
        .expect("json");
    users
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|u| u["profile"]["login"].as_str().map(str::to_string))
        .collect()
}

// covers: SIM-SETUP-1
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mounted_setup_file_is_applied_before_ready_and_after_a_reset() {
    if !engine_ready("a_mounted_setup_file_is_applied_before_ready_and_after_a_reset") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("kiro-sim-setup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a folder for the file");
    let file = dir.join("training.yaml");
    std::fs::write(&file, SETUP_FILE).expect("write the setup file");
    let sim = KiroSim::default()
        .with_setup_file(&file)
        .start()
        .await
        .expect("container starts");
    let setup = sim
        .ready()
        .setup
        .clone()
        .expect("the setup's saved variables");
    let group = setup["group"].as_str().expect("group").to_string();
    assert!(setup["dana"].is_string(), "{setup:?}");
    assert_eq!(members(&sim, &group).await, ["dana@example.com"]);
    // A reset applies the file again: same ids, same members.
    sim.reset().await.expect("reset");
    assert_eq!(members(&sim, &group).await, ["dana@example.com"]);
    let _ = std::fs::remove_dir_all(dir);
}

// covers: SIM-FAULT-11
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_on_kiros_scim_delays_the_push_until_the_retry() {
    use kiro_sim_testcontainers::{FaultAction, FaultRule, FaultTarget, Respond};
    if !engine_ready("a_fault_on_kiros_scim_delays_the_push_until_the_retry") {
        return;
    }
    let sim = KiroSim::default()
        .with_seed(17)
        .start()
        .await
        .expect("container starts");
    let rule = FaultRule::new(
        "POST",
        "/*/scim/v2/Users",
        FaultAction::Respond(Respond::status(503)),
    )
    .times(1);
    let added = sim
        .add_fault(FaultTarget::Kiro, &rule)
        .await
        .expect("fault added");
    assert_eq!(added.id, "f1");

    let c = sim.clients().expect("clients");
    let carol = c
        .okta
        .create_user("carol@example.com", "Carol", "Coder", "Correct-Horse-9")
        .await
        .expect("user");
    let groups = c
        .okta
        .api
        .get("/api/v1/groups?q=Kiro")
        .await
        .expect("groups");
    let group = groups[0]["id"].as_str().expect("group id");
    c.okta.add_member(group, &carol).await.expect("member");
    sim.settle_push().await.expect("settle");
    let list = sim.faults(FaultTarget::Kiro).await.expect("faults");
    assert_eq!(list.rules[0].hits, 1, "the push met the 503");
    assert_eq!(
        scim_users(&sim, "carol@example.com").await["totalResults"],
        0
    );

    // Okta retries after a minute of backoff; the rule is spent.
    sim.advance(Duration::from_secs(120))
        .await
        .expect("advance");
    sim.settle_push().await.expect("settle");
    assert_eq!(
        scim_users(&sim, "carol@example.com").await["totalResults"],
        1
    );

    // A reset removes every rule.
    sim.add_fault(
        FaultTarget::Okta,
        &FaultRule::new("*", "/nowhere", FaultAction::Drop),
    )
    .await
    .expect("fault added");
    sim.reset().await.expect("reset");
    assert!(
        sim.faults(FaultTarget::Okta)
            .await
            .expect("faults")
            .rules
            .is_empty()
    );
    assert_eq!(sim.clear_faults(FaultTarget::Kiro).await.expect("clear"), 0);
}
