//! World snapshots (issue 14): each service's whole state as a document over
//! `GET|PUT /_sim/<svc>/state`, and `World::snapshot`/`restore` across the three services and
//! the clock. A restored world shows exactly the snapshot's state, and then produces exactly
//! what it produced the first time from there (ids, tokens, request ids, timestamps), pending
//! clock jobs included: they are re-derived from core state. A corrupt document is refused
//! with a clear error and changes nothing.
//!
//! covers: [SIM-SNAP-1, SIM-SNAP-2, SIM-SNAP-3, SIM-STATE-1, SIM-STATE-2, SIM-STATE-3]

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use sim_world::clients::Body;
use sim_world::snapshot::WorldSnapshot;
use sim_world::{World, WorldConfig};

async fn documented_world() -> (World, sim_world::setup::Documented) {
    let world = World::start(WorldConfig {
        seed: sim_core::Seed(14),
        epoch: sim_core::clock::fixed_epoch(),
        zones: vec!["example.com".into()],
        dns_propagation: Duration::from_secs(300),
        ..WorldConfig::default()
    })
    .await
    .expect("world starts");
    let documented = sim_world::setup::documented(&world)
        .await
        .expect("documented setup");
    (world, documented)
}

fn doc(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("a state document is JSON")
}

/// The three documents as JSON values (maps compare regardless of order).
fn docs(snapshot: &WorldSnapshot) -> [Value; 3] {
    [doc(&snapshot.dns), doc(&snapshot.okta), doc(&snapshot.kiro)]
}

/// A response's body and headers, without hyper's wall-clock `Date` (Okta's is world time).
fn answer(response: sim_world::clients::Response) -> Value {
    let mut headers = response.headers;
    headers.remove("date");
    json!({ "status": response.status, "body": response.body, "headers": headers })
}

fn profile_id(documented: &sim_world::setup::Documented) -> String {
    documented
        .kiro_profile_arn
        .rsplit('/')
        .next()
        .expect("arn")
        .to_string()
}

/// Changes across the three services and time: a user (pushed to Kiro by SCIM, a seat pending
/// the group sync delay), a TXT record (pending propagation), a SCIM token, a day of world
/// time. Returns every answer, headers included, and the state after.
async fn act(world: &World, profile: &str) -> (Vec<Value>, [Value; 3]) {
    let c = world.clients();
    let mut seen = Vec::new();
    let user = c
        .okta
        .api
        .send(
            Method::POST,
            "/api/v1/users?activate=true",
            Body::Json(json!({
                "profile": { "login": "grace@example.com", "email": "grace@example.com",
                             "firstName": "Grace", "lastName": "Hopper" },
                "credentials": { "password": { "value": "Passw0rd!Passw0rd" } },
            })),
        )
        .await
        .expect("create user");
    assert_eq!(user.status, 200, "{:?}", user.body);
    let user_id = user.body["id"].as_str().expect("user id").to_string();
    seen.push(answer(user));
    let groups = c
        .okta
        .api
        .get("/api/v1/groups?q=Kiro")
        .await
        .expect("groups");
    let group = groups[0]["id"].as_str().expect("group id").to_string();
    c.okta
        .add_member(&group, &user_id)
        .await
        .expect("add member");
    c.okta
        .api
        .post("/_sim/okta/provisioning/settle", json!({}))
        .await
        .expect("settle");
    let zone = c.dns.zone("example.com").await.expect("zone");
    let record = c
        .dns
        .create_txt(&zone, "later.example.com", "after propagation")
        .await
        .expect("txt");
    seen.push(json!(record));
    let token = c
        .kiro
        .api
        .send(
            Method::POST,
            &format!("/console/profiles/{profile}/scim-tokens"),
            Body::Json(json!({})),
        )
        .await
        .expect("token");
    seen.push(answer(token));
    world.advance(Duration::from_secs(25 * 3600)).await;
    let subscriptions = c
        .kiro
        .api
        .get(&format!("/console/profiles/{profile}/subscriptions"))
        .await
        .expect("subscriptions");
    seen.push(subscriptions);
    let after = world.snapshot().await;
    (seen, docs(&after))
}

/// SIM-SNAP-1, SIM-SNAP-2: snapshot → act → restore → something else → restore → act again:
/// the restored world equals the snapshot, and the second run answers byte for byte what the
/// first did (next ids, tokens, request ids), its pending jobs (seat grants after the sync
/// delay, DNS propagation) firing as they did.
#[tokio::test]
async fn a_restored_world_equals_its_snapshot_and_goes_on_exactly_as_the_first_time() {
    let (world, documented) = documented_world().await;
    let profile = profile_id(&documented);
    // The documented setup leaves seat grants pending (the group's sync delay); a TXT record
    // pending propagation makes a DNS job pending too.
    let c = world.clients();
    let zone = c.dns.zone("example.com").await.expect("zone");
    c.dns
        .create_txt(&zone, "pending.example.com", "soon")
        .await
        .expect("txt");
    assert!(
        world.clock().pending_jobs() >= 2,
        "seat grant and DNS publication pending"
    );
    let snapshot = world.snapshot().await;
    let saved = docs(&snapshot);

    let (first, after_first) = act(&world, &profile).await;
    // The seats granted after the sync delay show in the answers (pending jobs fired).
    // The jobs fired: the new member's seat granted after the sync delay, both TXT records
    // (the one pending at the snapshot too) published.
    assert_eq!(first[3]["pendingGrants"], json!([]), "{:#}", first[3]);
    assert!(first[3]["seats"].to_string().contains("grace@example.com"));
    assert_eq!(after_first[0]["state"]["pending"], json!([]));
    assert_ne!(after_first, saved, "acting changed the world");

    world.restore(&snapshot).await.expect("restores");
    assert_eq!(docs(&world.snapshot().await), saved, "restored = snapshot");
    // Diverge in another direction, then come back again.
    c.okta
        .create_user("other@example.com", "Other", "One", "Passw0rd!Passw0rd")
        .await
        .expect("other user");
    world.advance(Duration::from_secs(3600)).await;
    world.restore(&snapshot).await.expect("restores again");
    assert_eq!(world.clock().now(), snapshot.taken_at());

    let (second, after_second) = act(&world, &profile).await;
    assert_eq!(second, first, "same answers after the restore");
    assert_eq!(after_second, after_first, "same state after the restore");
    world.shutdown().await;
}

/// SIM-SNAP-3: the jobs pending at the snapshot fire after a restore that follows a world
/// where they had already fired: the seat grants come back as pending, and appear once the
/// clock passes their time.
#[tokio::test]
async fn pending_jobs_fire_after_a_restore() {
    let (world, documented) = documented_world().await;
    let profile = profile_id(&documented);
    let c = world.clients();
    // (seats, pending grants)
    let seats = |body: Value| {
        let count = |key: &str| body[key].as_array().map_or(0, Vec::len);
        (count("seats"), count("pendingGrants"))
    };
    // A member added after the group's subscription gets a seat after the sync delay.
    let user = c
        .okta
        .create_user("grace@example.com", "Grace", "Hopper", "Passw0rd!Passw0rd")
        .await
        .expect("user");
    let groups = c
        .okta
        .api
        .get("/api/v1/groups?q=Kiro")
        .await
        .expect("groups");
    let group = groups[0]["id"].as_str().expect("group id").to_string();
    c.okta.add_member(&group, &user).await.expect("member");
    c.okta
        .api
        .post("/_sim/okta/provisioning/settle", json!({}))
        .await
        .expect("settle");
    let path = format!("/console/profiles/{profile}/subscriptions");
    let before = seats(c.kiro.api.get(&path).await.expect("subscriptions"));
    assert_eq!(before.1, 1, "one grant pending");
    let snapshot = world.snapshot().await;
    world.advance(Duration::from_secs(25 * 3600)).await;
    let granted = seats(c.kiro.api.get(&path).await.expect("subscriptions"));
    assert_eq!(
        granted,
        (before.0 + 1, 0),
        "the sync delay passed: the seat granted"
    );

    world.restore(&snapshot).await.expect("restores");
    assert_eq!(
        seats(c.kiro.api.get(&path).await.expect("subscriptions")),
        before
    );
    assert!(
        world.clock().pending_jobs() >= 1,
        "the grant job is re-derived"
    );
    world.advance(Duration::from_secs(25 * 3600)).await;
    assert_eq!(
        seats(c.kiro.api.get(&path).await.expect("subscriptions")),
        granted,
        "the re-derived job granted the seat"
    );
    world.shutdown().await;
}

/// SIM-STATE-1: each service exports its whole state at `GET /_sim/<svc>/state` and takes it
/// back at `PUT`, over HTTP.
#[tokio::test]
async fn each_service_exports_and_imports_its_state_over_http() {
    let (world, _) = documented_world().await;
    let http = reqwest::Client::new();
    for (base, svc) in [
        (world.dns().api_url(), "dns"),
        (world.okta().url(), "okta"),
        (world.kiro().url(), "kiro"),
    ] {
        let url = format!("{base}/_sim/{svc}/state");
        let saved = http
            .get(&url)
            .send()
            .await
            .expect("get")
            .bytes()
            .await
            .expect("body");
        let value = doc(&saved);
        assert_eq!(value["kind"], format!("kiro-sim/mock-{svc}-state"));
        assert_eq!(value["version"], 1);
        let put = http
            .put(&url)
            .body(saved.clone())
            .send()
            .await
            .expect("put");
        assert_eq!(put.status(), 204, "{svc}");
        let again = http
            .get(&url)
            .send()
            .await
            .expect("get")
            .bytes()
            .await
            .expect("body");
        assert_eq!(doc(&again), value, "{svc}");
    }
    world.shutdown().await;
}

/// SIM-STATE-2: a truncated, foreign or inconsistent document is refused with a clear error
/// (`400 invalid_state`), and the state is unchanged; a world restore with one bad document
/// installs none.
#[tokio::test]
async fn corrupt_state_is_refused_and_changes_nothing() {
    let (world, _) = documented_world().await;
    let http = reqwest::Client::new();
    let okta = format!("{}/_sim/okta/state", world.okta().url());
    let saved = http
        .get(&okta)
        .send()
        .await
        .expect("get")
        .bytes()
        .await
        .expect("body");

    let refuse = |body: Vec<u8>, needle: &'static str| {
        let http = http.clone();
        let okta = okta.clone();
        async move {
            let response = http.put(&okta).body(body).send().await.expect("put");
            assert_eq!(response.status(), 400);
            let error: Value = response.json().await.expect("error body");
            assert_eq!(error["error"], "invalid_state");
            let message = error["message"].as_str().expect("message");
            assert!(message.contains(needle), "{message}");
        }
    };
    refuse(saved[..saved.len() / 2].to_vec(), "does not parse").await;
    let dns = world.dns().export_state();
    refuse(dns.clone(), "kind `kiro-sim/mock-dns-state`").await;
    let mut twice = doc(&saved);
    let users = twice["state"]["org"]["users"]
        .as_array()
        .expect("users")
        .clone();
    let mut doubled = users.clone();
    doubled.push(users[0].clone());
    twice["state"]["org"]["users"] = Value::Array(doubled);
    refuse(serde_json::to_vec(&twice).expect("json"), "appears twice").await;
    let mut member_twice = doc(&saved);
    let group = member_twice["state"]["org"]["groups"]
        .as_array_mut()
        .expect("groups")
        .iter_mut()
        .find(|g| g["members"].as_array().is_some_and(|m| !m.is_empty()))
        .expect("a group with members");
    let first = group["members"][0].clone();
    group["members"]
        .as_array_mut()
        .expect("members")
        .push(first);
    refuse(serde_json::to_vec(&member_twice).expect("json"), "twice").await;
    let now = http
        .get(&okta)
        .send()
        .await
        .expect("get")
        .bytes()
        .await
        .expect("body");
    assert_eq!(doc(&now), doc(&saved), "nothing changed");

    // A world restore checks every document before installing any.
    let good = world.snapshot().await;
    world
        .clients()
        .dns
        .create_txt(
            &world.clients().dns.zone("example.com").await.expect("zone"),
            "changed.example.com",
            "x",
        )
        .await
        .expect("txt");
    let changed = world.snapshot().await;
    let bad = WorldSnapshot {
        kiro: good.kiro[..good.kiro.len() - 1].into(),
        ..good.clone()
    };
    let error = world.restore(&bad).await.expect_err("refused");
    assert_eq!(error.service, "mock-kiro");
    assert_eq!(
        docs(&world.snapshot().await),
        docs(&changed),
        "nothing restored"
    );
    world.shutdown().await;
}

/// SIM-STATE-3: a snapshot file round-trips; one cut short, changed, or not a snapshot at all
/// is refused with an error saying which, before anything is restored.
#[tokio::test]
async fn snapshot_files_round_trip_and_refuse_truncation_and_corruption() {
    use sim_world::snapshot::SnapshotFileError;
    let (world, _) = documented_world().await;
    let snapshot = world.snapshot().await;
    let dir = std::env::temp_dir().join(format!("kiro-sim-snapfile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("after-setup.snapshot");
    snapshot.write_file(&path).expect("written");
    let read = WorldSnapshot::read_file(&path).expect("read back");
    assert_eq!(docs(&read), docs(&snapshot));
    assert_eq!(read.clock, snapshot.clock);
    world
        .restore(&read)
        .await
        .expect("a read snapshot restores");

    let bytes = snapshot.encode();
    let cut = WorldSnapshot::decode(&bytes[..bytes.len() - 10]).expect_err("truncated");
    assert!(matches!(cut, SnapshotFileError::Length { .. }), "{cut}");
    assert!(cut.to_string().contains("truncated"), "{cut}");
    let mut changed = bytes.clone();
    let last = changed.len() - 20;
    changed[last] ^= 0x01;
    let corrupt = WorldSnapshot::decode(&changed).expect_err("changed");
    assert!(matches!(corrupt, SnapshotFileError::Checksum), "{corrupt}");
    assert!(corrupt.to_string().contains("corrupt"));
    let garbage = WorldSnapshot::decode(b"{\"hello\":1}").expect_err("garbage");
    assert!(matches!(garbage, SnapshotFileError::NotASnapshot));
    let header_cut = WorldSnapshot::decode(&bytes[..30]).expect_err("header cut");
    assert!(
        matches!(header_cut, SnapshotFileError::Header(_)),
        "{header_cut}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    world.shutdown().await;
}
