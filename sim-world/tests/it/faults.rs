//! Fault rules on the world's own calls (issue 17): Kiro's SCIM failing during Okta's push
//! (503, 429 with `Retry-After`, a hang past the push timeout), Okta's JWKS failing while Kiro
//! verifies, and rules cleared by a restore. Set through the typed client
//! (`sim_world::clients::FaultsAdmin`).
//!
//! covers: [SIM-FAULT-8, SIM-FAULT-9, SIM-FAULT-10, SIM-FAULT-11]

use crate::common;

use std::time::Duration;

use serde_json::{Value, json};
use sim_core::faults::{FaultAction, FaultRule, Respond};
use sim_world::clients::Api;
use sim_world::ide::{Ide, IdeError, LOOPBACK_PORTS};
use sim_world::{World, WorldConfig};

const USERS: &str = "/*/scim/v2/Users";

async fn documented_world(seed: u64) -> (World, sim_world::setup::Documented) {
    let world = World::start(WorldConfig {
        seed: sim_core::Seed(seed),
        epoch: sim_core::clock::fixed_epoch(),
        zones: vec!["example.com".into()],
        // A hung SCIM call fails fast on the wall clock.
        outbound_timeout: Duration::from_millis(500),
        ..WorldConfig::default()
    })
    .await
    .expect("world starts");
    let documented = sim_world::setup::documented(&world)
        .await
        .expect("documented setup");
    (world, documented)
}

/// Kiro's users named `login`, read over SCIM as Okta's push token sees them.
async fn kiro_users(world: &World, documented: &sim_world::setup::Documented) -> Vec<String> {
    let http = sim_core::outbound::client(world.trust()).expect("client");
    let scim = Api::new(
        http,
        &documented.kiro_scim_url,
        Some(format!("Bearer {}", documented.kiro_scim_token)),
    );
    let users = scim.get("/Users?count=100").await.expect("users");
    users["Resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(|u| u["userName"].as_str().map(str::to_string))
        .collect()
}

async fn settle(world: &World) {
    world
        .clients()
        .okta
        .api
        .post("/_sim/okta/provisioning/settle", json!({}))
        .await
        .expect("settle");
}

async fn advance(world: &World, by: Duration) {
    world.advance(by).await;
    settle(world).await;
}

fn hits(list: &sim_core::faults::FaultList) -> Vec<u64> {
    list.rules.iter().map(|r| r.hits).collect()
}

#[tokio::test]
async fn the_push_rides_out_503_429_and_a_hang_and_converges_without_loss_or_doubles() {
    let (world, documented) = documented_world(17).await;
    let c = world.clients();
    let kiro_faults = c.kiro.api.faults();
    let before = kiro_users(&world, &documented).await;
    assert_eq!(before.len(), 2, "{before:?}");

    // Kiro's SCIM: the next user creation gets a 503, the one after a 429 asking for ten
    // minutes, the one after that hangs past Okta's push timeout.
    let unavailable =
        FaultRule::new("POST", USERS, FaultAction::Respond(Respond::status(503))).times(1);
    let throttled = FaultRule::new(
        "POST",
        USERS,
        FaultAction::Respond(Respond::status(429).header("Retry-After", "600")),
    )
    .times(1);
    let hung = FaultRule::new("POST", USERS, FaultAction::Hang).times(1);
    for (rule, id) in [(&unavailable, "f1"), (&throttled, "f2"), (&hung, "f3")] {
        let view = kiro_faults.add(rule).await.expect("add");
        assert_eq!(view.id, id);
        assert_eq!(view.remaining, Some(1));
    }

    // A new developer joins the pushed group.
    let grace = c
        .okta
        .create_user("grace@example.com", "Grace", "Hopper", "Correct-Horse-9")
        .await
        .expect("user");
    let groups = c
        .okta
        .api
        .get("/api/v1/groups?q=Kiro")
        .await
        .expect("groups");
    let group = groups[0]["id"].as_str().expect("group id").to_string();
    c.okta.add_member(&group, &grace).await.expect("member");
    settle(&world).await;
    let list = kiro_faults.list().await.expect("list");
    assert_eq!(hits(&list), [1, 0, 0], "the 503 came first");
    assert!(
        !kiro_users(&world, &documented)
            .await
            .contains(&"grace@example.com".into())
    );

    // The retry (one minute of backoff) meets the 429.
    advance(&world, Duration::from_secs(60)).await;
    assert_eq!(hits(&kiro_faults.list().await.expect("list")), [1, 1, 0]);
    // Its Retry-After is honoured: five minutes on, no new attempt.
    advance(&world, Duration::from_secs(300)).await;
    assert_eq!(hits(&kiro_faults.list().await.expect("list")), [1, 1, 0]);
    // Past it, the attempt hangs until the push timeout gives up on it.
    advance(&world, Duration::from_secs(360)).await;
    assert_eq!(hits(&kiro_faults.list().await.expect("list")), [1, 1, 1]);
    assert!(
        !kiro_users(&world, &documented)
            .await
            .contains(&"grace@example.com".into())
    );

    // The faults are over; past the backoff, the push converges.
    advance(&world, Duration::from_secs(3600)).await;
    let after = kiro_users(&world, &documented).await;
    assert_eq!(
        after.iter().filter(|u| *u == "grace@example.com").count(),
        1,
        "pushed once: {after:?}"
    );
    assert_eq!(after.len(), 3, "nothing lost or doubled: {after:?}");
    // Her membership came along: every pushed user is a member of the group in Kiro (IdC
    // lists groups without members; `members eq` filters ask).
    let http = sim_core::outbound::client(world.trust()).expect("client");
    let scim = Api::new(
        http,
        &documented.kiro_scim_url,
        Some(format!("Bearer {}", documented.kiro_scim_token)),
    );
    let kiro_groups = scim.get("/Groups").await.expect("groups");
    let group_id = kiro_groups["Resources"][0]["id"].as_str().expect("group");
    let users = scim.get("/Users?count=100").await.expect("users");
    let ids: Vec<&str> = users["Resources"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["id"].as_str())
        .collect();
    for id in ids {
        let filter = format!("/Groups?filter=id eq \"{group_id}\" and members eq \"{id}\"");
        let found = scim.get(&filter).await.expect("filter");
        assert_eq!(found["totalResults"], 1, "{id} is a member");
    }
}

#[tokio::test]
async fn kiro_refuses_while_the_jwks_fails_and_verifies_again_after() {
    let s = common::setup(41).await;
    common::provision_and_subscribe(&s, "PRO").await;
    let mut ide = Ide::new(
        &s.world.kiro().url(),
        LOOPBACK_PORTS[0],
        s.world.seed().stream("ide"),
        s.world.trust(),
    )
    .expect("an IDE");
    ide.sign_in("ada@example.com", common::PASSWORD)
        .await
        .expect("sign in");
    let okta_faults = s.world.clients().okta.api.faults();
    let keys = FaultRule::new(
        "GET",
        "/oauth2/*/v1/keys",
        FaultAction::Respond(Respond::status(503)),
    );
    let rule = okta_faults.add(&keys).await.expect("add");
    let refused = ide.complete("fn main() {", "}").await.expect_err("refused");
    assert!(
        matches!(refused, IdeError::Refused { .. }),
        "a refusal, not a transport error: {refused:?}"
    );
    let list = okta_faults.list().await.expect("list");
    let fetched = list.rules[0].hits;
    assert!(fetched >= 1, "Kiro tried to fetch the keys");
    okta_faults.remove(&rule.id).await.expect("remove");
    // The failed fetch was not cached: the next call fetches the keys and is answered.
    let answer: Value = ide.complete("fn main() {", "}").await.expect("verified");
    assert!(answer.is_object(), "{answer}");
}

#[tokio::test]
async fn a_restore_clears_every_rule_and_restarts_the_ids() {
    let (world, _) = documented_world(5).await;
    let snapshot = world.snapshot().await;
    let c = world.clients();
    for api in [&c.okta.api, &c.kiro.api, &c.dns.api] {
        let faults = api.faults();
        faults
            .add(&FaultRule::new("GET", "/nowhere", FaultAction::Drop))
            .await
            .expect("add");
        let second = faults
            .add(&FaultRule::new("GET", "/elsewhere", FaultAction::Drop))
            .await
            .expect("add");
        assert_eq!(second.id, "f2");
    }
    world.restore(&snapshot).await.expect("restore");
    for api in [&c.okta.api, &c.kiro.api, &c.dns.api] {
        let faults = api.faults();
        assert!(faults.list().await.expect("list").rules.is_empty());
        let first = faults
            .add(&FaultRule::new("GET", "/nowhere", FaultAction::Drop))
            .await
            .expect("add");
        assert_eq!(first.id, "f1", "ids start afresh");
        assert_eq!(faults.clear().await.expect("clear"), 1);
    }
    // A DNS rule answers in place of the provider API; the DNS server itself is not touched.
    let dns = c.dns.api.faults();
    dns.add(
        &FaultRule::new(
            "GET",
            "/client/v4/zones",
            FaultAction::Respond(Respond::status(500)),
        )
        .times(1),
    )
    .await
    .expect("add");
    let failed = c.dns.zone("example.com").await.expect_err("faulted");
    assert!(failed.to_string().contains("500"), "{failed}");
    c.dns.zone("example.com").await.expect("spent");
}
