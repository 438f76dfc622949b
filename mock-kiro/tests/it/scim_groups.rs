//! SCIM `/Groups` over HTTP with IAM Identity Center's semantics: groups are always shown with
//! empty `members` (membership is asked with `id eq … and members eq …`); Okta's group push
//! (create, add members, remove with `members[value eq "…"]`, rename); PatchGroup answers 204
//! and changes at most 100 members, never replaces or removes all; duplicate displayNames are
//! 409; concurrent PATCHes never lose an update; members added to a subscribed group get
//! their seats after the sync delay.
//!
//! covers: [KIRO-SCIM-1, KIRO-SCIM-2, KIRO-SCIM-3, KIRO-SUB-3, KIRO-SUB-4, OKTA-PROV-5]

use crate::common;

use serde_json::{Value, json};

use common::{Scim, Sim, TestIssuer, patch_op};

const T0: &str = "2026-01-01T00:00:00Z";

async fn setup() -> (Sim, TestIssuer, Value, Scim) {
    let sim = Sim::start().await;
    let issuer = TestIssuer::start().await;
    let profile = sim.create_profile("Acme", &issuer.issuer, "0oakiro").await;
    let scim = sim.scim_for(&profile).await;
    (sim, issuer, profile, scim)
}

fn filter(expr: &str) -> String {
    let encoded = sim_core::url::encode(expr);
    format!("filter={encoded}")
}

/// Whether `user` is a member of `group`, asked the IdC way.
async fn is_member(scim: &Scim, group: &str, user: &str) -> bool {
    let expr = format!(r#"id eq "{group}" and members eq "{user}""#);
    let reply = scim.get(&format!("/Groups?{}", filter(&expr))).await;
    match reply.expect(200)["totalResults"].as_u64() {
        Some(1) => true,
        Some(0) => false,
        other => panic!("unexpected totalResults {other:?}"),
    }
}

fn group_json(id: &str, name: &str, external_id: Option<&str>, modified: &str) -> Value {
    let mut g = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": id,
        "displayName": name,
        "members": [],
        "meta": { "resourceType": "Group", "created": T0, "lastModified": modified },
    });
    if let Some(e) = external_id {
        g["externalId"] = json!(e);
    }
    g
}

async fn users(scim: &Scim, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(
            scim.create_user(&format!("dev{i}@example.com"), &format!("00udev{i}"))
                .await,
        );
    }
    ids
}

fn members(ids: &[String]) -> Value {
    Value::Array(ids.iter().map(|id| json!({ "value": id })).collect())
}

#[tokio::test]
async fn kiro_scim_1_groups_are_shown_without_members_and_membership_is_asked_by_filter() {
    let (_sim, _issuer, _profile, scim) = setup().await;
    let ids = users(&scim, 2).await;
    let reply = scim
        .post(
            "/Groups",
            &json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "Kiro Developers",
                "externalId": "00gdevs",
                "members": [{ "value": ids[0] }],
            }),
        )
        .await;
    let created = reply.expect(201).clone();
    assert_eq!(reply.header("content-type"), "application/scim+json");
    let gid = created["id"].as_str().expect("id").to_string();
    let expected = group_json(&gid, "Kiro Developers", Some("00gdevs"), T0);
    assert_eq!(created, expected);
    assert_eq!(
        scim.get(&format!("/Groups/{gid}")).await.expect(200),
        &expected
    );
    let list = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 1,
        "itemsPerPage": 1,
        "startIndex": 1,
        "Resources": [expected],
    });
    assert_eq!(scim.get("/Groups").await.expect(200), &list);
    for expr in [
        r#"displayName eq "kiro developers""#.to_string(),
        r#"externalId eq "00gdevs""#.to_string(),
        format!(r#"id eq "{gid}""#),
    ] {
        assert_eq!(
            scim.get(&format!("/Groups?{}", filter(&expr)))
                .await
                .expect(200),
            &list,
            "{expr}"
        );
    }
    assert!(is_member(&scim, &gid, &ids[0]).await);
    assert!(!is_member(&scim, &gid, &ids[1]).await);

    for (expr, why) in [
        (r#"displayName co "Kiro""#, "operator `co`"),
        (r#"userName eq "x""#, "attribute `userName`"),
    ] {
        scim.get(&format!("/Groups?{}", filter(expr))).await.assert_scim_error(
            400,
            Some("invalidFilter"),
            &format!(
                "Filter {expr:?} is not supported: {why}. Only 'eq' filters joined by 'and' on displayName, externalId, id, members are."
            ),
        );
    }
    // Required displayName; forbidden characters.
    scim.post("/Groups", &json!({ "members": [] }))
        .await
        .assert_scim_error(
            400,
            Some("invalidValue"),
            "displayName is a required attribute.",
        );
    scim.post("/Groups", &json!({ "displayName": "R&D: <core>" }))
        .await
        .assert_scim_error(
            400,
            Some("invalidValue"),
            "Request is unparsable, syntactically incorrect, or violates schema: displayName contains characters that are not allowed.",
        );
    scim.post("/Groups", &json!({ "displayName": "" })).await.assert_scim_error(
        400,
        Some("invalidValue"),
        "Request is unparsable, syntactically incorrect, or violates schema: displayName must not be empty.",
    );
    assert_eq!(
        scim.get("/Groups").await.expect(200)["totalResults"],
        json!(1)
    );
}

#[tokio::test]
async fn kiro_scim_1_okta_group_push_adds_removes_and_renames_with_204() {
    let (sim, _issuer, _profile, scim) = setup().await;
    let ids = users(&scim, 3).await;
    let gid = scim.create_group("Kiro Developers").await;
    sim.advance("5m").await;

    let reply = scim
        .patch(
            &format!("/Groups/{gid}"),
            &patch_op(json!([{ "op": "add", "path": "members", "value": members(&ids) }])),
        )
        .await;
    assert_eq!(reply.status, 204, "{reply:?}");
    assert_eq!(reply.text, "");
    for id in &ids {
        assert!(is_member(&scim, &gid, id).await);
    }

    // Okta removes one member with a value filter in the path.
    let reply = scim
        .patch(
            &format!("/Groups/{gid}"),
            &patch_op(
                json!([{ "op": "remove", "path": format!("members[value eq \"{}\"]", ids[1]) }]),
            ),
        )
        .await;
    assert_eq!(reply.status, 204, "{reply:?}");
    assert!(is_member(&scim, &gid, &ids[0]).await);
    assert!(!is_member(&scim, &gid, &ids[1]).await);
    // Or with a value list.
    let reply = scim
        .patch(
            &format!("/Groups/{gid}"),
            &patch_op(
                json!([{ "op": "remove", "path": "members", "value": [{ "value": ids[2] }] }]),
            ),
        )
        .await;
    assert_eq!(reply.status, 204, "{reply:?}");
    assert!(!is_member(&scim, &gid, &ids[2]).await);

    // Rename.
    let reply = scim
        .patch(
            &format!("/Groups/{gid}"),
            &patch_op(
                json!([{ "op": "replace", "path": "displayName", "value": "Kiro Engineers" }]),
            ),
        )
        .await;
    assert_eq!(reply.status, 204, "{reply:?}");
    assert_eq!(
        scim.get(&format!("/Groups/{gid}")).await.expect(200),
        &group_json(&gid, "Kiro Engineers", None, "2026-01-01T00:05:00Z")
    );
    // Without a path.
    let reply = scim
        .patch(
            &format!("/Groups/{gid}"),
            &patch_op(json!([{ "op": "replace", "value": { "displayName": "Kiro Devs", "externalId": "00gdevs" } }])),
        )
        .await;
    assert_eq!(reply.status, 204, "{reply:?}");
    assert_eq!(
        scim.get(&format!("/Groups/{gid}")).await.expect(200),
        &group_json(&gid, "Kiro Devs", Some("00gdevs"), "2026-01-01T00:05:00Z")
    );

    // Delete.
    let reply = scim.delete(&format!("/Groups/{gid}")).await;
    assert_eq!(reply.status, 204, "{reply:?}");
    scim.get(&format!("/Groups/{gid}")).await.assert_scim_error(
        404,
        None,
        &format!("Group {gid} not found."),
    );
    scim.patch(
        &format!("/Groups/{gid}"),
        &patch_op(json!([{ "op": "replace", "path": "displayName", "value": "Ghost" }])),
    )
    .await
    .assert_scim_error(404, None, &format!("Group {gid} not found."));
}

#[tokio::test]
async fn kiro_scim_1_a_group_patch_changes_at_most_100_members_and_never_replaces_or_removes_all() {
    let (_sim, _issuer, _profile, scim) = setup().await;
    let ids = users(&scim, 101).await;
    let gid = scim.create_group("Everyone").await;
    let path = format!("/Groups/{gid}");
    let limit = "A maximum of 100 membership changes are allowed in a single request.";

    // 101 in one operation, or 60 + 41 in two: refused, nothing added.
    scim.patch(
        &path,
        &patch_op(json!([{ "op": "add", "path": "members", "value": members(&ids) }])),
    )
    .await
    .assert_scim_error(400, Some("invalidValue"), limit);
    scim.patch(
        &path,
        &patch_op(json!([
            { "op": "add", "path": "members", "value": members(&ids[..60]) },
            { "op": "add", "path": "members", "value": members(&ids[60..]) },
        ])),
    )
    .await
    .assert_scim_error(400, Some("invalidValue"), limit);
    assert!(!is_member(&scim, &gid, &ids[0]).await);

    // Exactly 100 is fine.
    let reply = scim
        .patch(
            &path,
            &patch_op(json!([{ "op": "add", "path": "members", "value": members(&ids[..100]) }])),
        )
        .await;
    assert_eq!(reply.status, 204, "{reply:?}");
    assert!(is_member(&scim, &gid, &ids[0]).await);
    assert!(is_member(&scim, &gid, &ids[99]).await);
    assert!(!is_member(&scim, &gid, &ids[100]).await);

    // Replacing or removing all members is refused; membership is unchanged.
    scim.patch(
        &path,
        &patch_op(json!([{ "op": "replace", "path": "members", "value": members(&ids[100..]) }])),
    )
    .await
    .assert_scim_error(
        400,
        Some("invalidValue"),
        "Replacing all group members is not supported.",
    );
    scim.patch(
        &path,
        &patch_op(json!([{ "op": "replace", "value": { "members": members(&ids[100..]) } }])),
    )
    .await
    .assert_scim_error(
        400,
        Some("invalidValue"),
        "Replacing all group members is not supported.",
    );
    scim.patch(
        &path,
        &patch_op(json!([{ "op": "remove", "path": "members" }])),
    )
    .await
    .assert_scim_error(
        400,
        Some("invalidValue"),
        "Removing all group members is not supported.",
    );
    // All or nothing: a good op before a bad one is not applied.
    scim.patch(
        &path,
        &patch_op(json!([
            { "op": "add", "path": "members", "value": [{ "value": ids[100] }] },
            { "op": "add", "path": "members", "value": [{ "value": "no-such-user" }] },
        ])),
    )
    .await
    .assert_scim_error(
        400,
        Some("invalidValue"),
        "Member no-such-user is not a user of this directory.",
    );
    assert!(!is_member(&scim, &gid, &ids[100]).await);
    assert!(is_member(&scim, &gid, &ids[0]).await);
    assert!(is_member(&scim, &gid, &ids[99]).await);
}

#[tokio::test]
async fn kiro_scim_2_a_duplicate_display_name_is_409() {
    let (_sim, _issuer, _profile, scim) = setup().await;
    let devs = scim.create_group("Kiro Developers").await;
    let ops = scim.create_group("Operations").await;
    let detail = "Duplicate GroupDisplayName: a group with this displayName already exists.";
    scim.post("/Groups", &json!({ "displayName": "KIRO developers" }))
        .await
        .assert_scim_error(409, Some("uniqueness"), detail);
    scim.patch(
        &format!("/Groups/{ops}"),
        &patch_op(json!([{ "op": "replace", "path": "displayName", "value": "kiro Developers" }])),
    )
    .await
    .assert_scim_error(409, Some("uniqueness"), detail);
    assert_eq!(
        scim.get(&format!("/Groups/{ops}")).await.expect(200)["displayName"],
        json!("Operations")
    );
    assert_eq!(
        scim.get("/Groups").await.expect(200)["totalResults"],
        json!(2)
    );
    assert_eq!(
        scim.get(&format!("/Groups/{devs}")).await.expect(200)["displayName"],
        json!("Kiro Developers")
    );
}

#[tokio::test]
async fn kiro_scim_1_concurrent_patches_of_one_group_never_lose_an_update() {
    let (sim, _issuer, profile, scim) = setup().await;
    let ids = users(&scim, 20).await;
    let gid = scim.create_group("Kiro Developers").await;
    let scim = std::sync::Arc::new(scim);
    let mut tasks = tokio::task::JoinSet::new();
    for id in ids.clone() {
        let scim = scim.clone();
        let path = format!("/Groups/{gid}");
        tasks.spawn(async move {
            scim.patch(
                &path,
                &patch_op(json!([{ "op": "add", "path": "members", "value": [{ "value": id }] }])),
            )
            .await
            .status
        });
    }
    while let Some(status) = tasks.join_next().await {
        assert_eq!(status.expect("task"), 204);
    }
    for id in &ids {
        assert!(is_member(&scim, &gid, id).await, "{id} lost");
    }
    // Subscribing the group gives exactly those 20 a seat (KIRO-SUB-3).
    let profile_id = profile["profileId"].as_str().expect("profileId");
    let reply = sim.subscribe(profile_id, "GROUP", &gid, "PRO").await;
    let mut seated: Vec<String> = reply["seats"]
        .as_array()
        .expect("seats")
        .iter()
        .map(|s| s["userId"].as_str().expect("userId").to_string())
        .collect();
    seated.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(seated, expected);
}

#[tokio::test]
async fn kiro_scim_1_groups_page_with_cursors_and_put_is_unsupported() {
    let (_sim, _issuer, _profile, scim) = setup().await;
    let a = scim.create_group("Alpha").await;
    let b = scim.create_group("Beta").await;
    let first = scim.get("/Groups?count=1").await.expect(200).clone();
    assert_eq!(first["totalResults"], json!(2));
    assert_eq!(first["Resources"][0]["id"], json!(a));
    assert_eq!(first["nextCursor"], json!(a));
    let second = scim
        .get(&format!("/Groups?count=1&cursor={a}"))
        .await
        .expect(200)
        .clone();
    assert_eq!(second["Resources"][0]["id"], json!(b));
    assert_eq!(second.get("nextCursor"), None);

    let reply = scim
        .put(&format!("/Groups/{a}"), &json!({ "displayName": "Gamma" }))
        .await;
    reply.assert_scim_error(
        400,
        None,
        &format!(
            "Request is unparsable, syntactically incorrect, or violates schema. This error also occurs if the operation is unsupported: PUT /{}/scim/v2/Groups/{a}.",
            scim.base.split('/').nth(3).expect("tenant")
        ),
    );
    assert_eq!(
        scim.get(&format!("/Groups/{a}")).await.expect(200)["displayName"],
        json!("Alpha")
    );
}

#[tokio::test]
async fn kiro_sub_4_a_member_added_by_patch_to_a_subscribed_group_gets_a_seat_after_the_sync_delay()
{
    let (sim, _issuer, profile, scim) = setup().await;
    let profile_id = profile["profileId"].as_str().expect("profileId");
    let ids = users(&scim, 2).await;
    let reply = common::send(
        sim.http
            .put(sim.url("/_sim/kiro/sync-delay"))
            .json(&json!({ "delay": "1h" })),
    )
    .await;
    reply.expect(200);
    let gid = scim.create_group("Kiro Developers").await;
    let reply = scim
        .patch(
            &format!("/Groups/{gid}"),
            &patch_op(json!([{ "op": "add", "path": "members", "value": members(&ids[..1]) }])),
        )
        .await;
    assert_eq!(reply.status, 204, "{reply:?}");
    assert_eq!(
        sim.subscribe(profile_id, "GROUP", &gid, "PRO").await["seats"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // Added after the group was subscribed: pending for an hour of world time.
    let reply = scim
        .patch(
            &format!("/Groups/{gid}"),
            &patch_op(json!([{ "op": "add", "path": "members", "value": members(&ids[1..]) }])),
        )
        .await;
    assert_eq!(reply.status, 204, "{reply:?}");
    let before = listing(&sim, profile_id).await;
    assert_eq!(before["seats"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        before["pendingGrants"],
        json!([{ "userId": ids[1], "groupId": gid, "dueAt": "2026-01-01T01:00:00.000Z" }])
    );
    sim.advance("59m").await;
    assert_eq!(
        listing(&sim, profile_id).await["seats"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    sim.advance("1m").await;
    let after = listing(&sim, profile_id).await;
    let seated: Vec<&str> = after["seats"]
        .as_array()
        .expect("seats")
        .iter()
        .map(|s| s["userId"].as_str().expect("userId"))
        .collect();
    assert_eq!(seated, [ids[0].as_str(), ids[1].as_str()]);
    assert_eq!(after["pendingGrants"], json!([]));
}

#[tokio::test]
async fn kiro_sub_4_many_membership_changes_keep_one_grant_job_on_the_clock() {
    let (sim, _issuer, profile, scim) = setup().await;
    let profile_id = profile["profileId"].as_str().expect("profileId");
    let ids = users(&scim, 6).await;
    let gid = scim.create_group("Kiro Developers").await;
    sim.subscribe(profile_id, "GROUP", &gid, "PRO").await;
    let jobs = || async {
        common::send(sim.http.get(sim.url("/_sim/clock")))
            .await
            .expect(200)["pending_jobs"]
            .as_u64()
            .expect("pending_jobs")
    };
    let idle = jobs().await;
    // Members added one at a time, each due later than the last: one job waits for the first.
    for (i, id) in ids.iter().enumerate() {
        let reply = scim
            .patch(
                &format!("/Groups/{gid}"),
                &patch_op(json!([{ "op": "add", "path": "members", "value": [{ "value": id }] }])),
            )
            .await;
        assert_eq!(reply.status, 204, "{reply:?}");
        assert_eq!(jobs().await, idle + 1, "after member {i}");
        sim.advance("1m").await;
    }
    // Each grant still comes when due.
    sim.advance("24h").await;
    assert_eq!(
        listing(&sim, profile_id).await["seats"]
            .as_array()
            .map(Vec::len),
        Some(ids.len())
    );
    assert_eq!(jobs().await, idle);
}

/// The console's subscription listing of a profile.
async fn listing(sim: &Sim, profile_id: &str) -> Value {
    let path = format!("/console/profiles/{profile_id}/subscriptions");
    sim.console(reqwest::Method::GET, &path, None)
        .await
        .expect(200)
        .clone()
}
