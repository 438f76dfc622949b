//! Subscriptions through the console over HTTP, with users and groups provisioned through the
//! SCIM endpoint as Okta pushes them: tiers, group subscriptions giving each member a seat
//! (highest tier once), the group sync delay on the world's clock, statuses, tier changes (up
//! at once, down next month), seats outliving the upstream user until an admin removes them,
//! and a listing that shows exactly who got a seat and why. Every refusal answers an exact AWS
//! JSON error and changes nothing.
//!
//! covers: [KIRO-SUB-2, KIRO-SUB-3, KIRO-SUB-4, KIRO-SUB-5, KIRO-SUB-6, KIRO-SUB-7, KIRO-SUB-8]

use crate::console_support;

use reqwest::Method;
use serde_json::{Value, json};

use console_support::{Reply, Tenant, World, world};

const T0: &str = "2026-01-01T00:00:00.000Z";
/// The virtual clock's start in Unix seconds.
const T0_UNIX: u64 = 1_767_225_600;

/// A profile with a SCIM tenant.
async fn setup(w: &World) -> (Value, String, Tenant) {
    let profile = w.create_profile("Acme").await;
    let id = profile["profileId"]
        .as_str()
        .expect("profileId")
        .to_string();
    let tenant = w.tenant(&profile).await;
    (profile, id, tenant)
}

async fn subscribe(w: &World, p: &str, kind: &str, principal: &str, tier: &str) -> Reply {
    w.call(
        Method::POST,
        &format!("/console/profiles/{p}/subscriptions"),
        Some(json!({ "principalType": kind, "principalId": principal, "tier": tier })),
    )
    .await
}

async fn listing(w: &World, p: &str) -> Value {
    w.get(&format!("/console/profiles/{p}/subscriptions")).await
}

/// A seat as the console shows it (created at T0, never used, not canceled).
fn seat(user: &str, name: &str, tier: &str, sources: Value) -> Value {
    let display = format!("{}{} Tester", name[..1].to_ascii_uppercase(), &name[1..]);
    json!({
        "userId": user,
        "userName": format!("{name}@acme.com"),
        "displayName": display,
        "tier": tier,
        "pendingTier": null,
        "status": "PENDING",
        "sources": sources,
        "createdAt": T0,
        "activatedAt": null,
        "canceledAt": null,
    })
}

fn direct() -> Value {
    json!([{ "type": "DIRECT" }])
}

fn via(groups: &[(&str, &str)]) -> Value {
    Value::Array(
        groups
            .iter()
            .map(|(id, name)| json!({ "type": "GROUP", "groupId": id, "groupName": name }))
            .collect(),
    )
}

#[tokio::test]
async fn kiro_sub_2_users_are_subscribed_to_pro_pro_plus_or_power() {
    let w = world().await;
    let (_, p, t) = setup(&w).await;
    let ada = w.provision_user(&t, "ada@acme.com", "00u1").await;
    let bob = w.provision_user(&t, "bob@acme.com", "00u2").await;
    let cy = w.provision_user(&t, "cy@acme.com", "00u3").await;
    let group = w.provision_group(&t, "eng", &[&ada]).await;

    let reply = subscribe(&w, &p, "USER", &ada, "PRO").await;
    assert_eq!(reply.ok(), &seat(&ada, "ada", "PRO", direct()));
    let reply = subscribe(&w, &p, "USER", &bob, "PRO_PLUS").await;
    assert_eq!(reply.ok(), &seat(&bob, "bob", "PRO_PLUS", direct()));
    let reply = subscribe(&w, &p, "USER", &cy, "POWER").await;
    assert_eq!(reply.ok(), &seat(&cy, "cy", "POWER", direct()));
    let expected = json!({
        "seats": [
            seat(&ada, "ada", "PRO", direct()),
            seat(&bob, "bob", "PRO_PLUS", direct()),
            seat(&cy, "cy", "POWER", direct()),
        ],
        "groupSubscriptions": [],
        "pendingGrants": [],
    });
    assert_eq!(listing(&w, &p).await, expected);

    // Refusals change nothing.
    subscribe(&w, &p, "USER", &ada, "ENTERPRISE")
        .await
        .assert_aws_error(
            400,
            "ValidationException",
            "Tier ENTERPRISE is not valid. Valid tiers: PRO, PRO_PLUS, POWER.",
        );
    subscribe(&w, &p, "ROLE", &ada, "PRO")
        .await
        .assert_aws_error(
            400,
            "ValidationException",
            "Principal type ROLE is not valid. Valid principal types: USER, GROUP.",
        );
    subscribe(&w, &p, "USER", "no-such-user", "PRO")
        .await
        .assert_aws_error(
            404,
            "ResourceNotFoundException",
            "User no-such-user not found",
        );
    subscribe(&w, &p, "GROUP", "no-such-group", "PRO")
        .await
        .assert_aws_error(
            404,
            "ResourceNotFoundException",
            "Group no-such-group not found",
        );
    // A group id is not a user id, nor the other way round.
    subscribe(&w, &p, "USER", &group, "PRO")
        .await
        .assert_aws_error(
            404,
            "ResourceNotFoundException",
            &format!("User {group} not found"),
        );
    subscribe(&w, &p, "GROUP", &ada, "PRO")
        .await
        .assert_aws_error(
            404,
            "ResourceNotFoundException",
            &format!("Group {ada} not found"),
        );
    subscribe(&w, "NOPE", "USER", &ada, "PRO")
        .await
        .assert_aws_error(404, "ResourceNotFoundException", "Profile NOPE not found");
    let reply = w
        .call(
            Method::POST,
            &format!("/console/profiles/{p}/subscriptions"),
            Some(json!({ "principalType": "USER", "principalId": ada })),
        )
        .await;
    assert_eq!(
        (reply.status, &reply.body["__type"]),
        (400, &json!("ValidationException")),
        "{reply:?}"
    );
    assert!(
        reply.body["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("The request body is not valid: missing field `tier`")),
        "{reply:?}"
    );
    w.call_as(
        Some("wrong"),
        Method::POST,
        &format!("/console/profiles/{p}/subscriptions"),
        None,
    )
    .await
    .assert_aws_error(
        401,
        "UnauthorizedException",
        "The admin token is missing or invalid.",
    );
    assert_eq!(listing(&w, &p).await, expected);
}

#[tokio::test]
async fn kiro_sub_3_a_group_subscription_gives_each_member_a_seat_at_the_highest_tier_once() {
    let w = world().await;
    let (_, p, t) = setup(&w).await;
    let ada = w.provision_user(&t, "ada@acme.com", "00u1").await;
    let bob = w.provision_user(&t, "bob@acme.com", "00u2").await;
    let cy = w.provision_user(&t, "cy@acme.com", "00u3").await;
    let dev = w.provision_user(&t, "dev@acme.com", "00u4").await;
    let eng = w.provision_group(&t, "eng", &[&ada, &bob]).await;
    let ops = w.provision_group(&t, "ops", &[&bob, &cy]).await;

    let reply = subscribe(&w, &p, "GROUP", &eng, "PRO").await;
    assert_eq!(
        reply.ok(),
        &json!({
            "groupId": eng, "groupName": "eng", "tier": "PRO",
            "seats": [
                seat(&ada, "ada", "PRO", via(&[(&eng, "eng")])),
                seat(&bob, "bob", "PRO", via(&[(&eng, "eng")])),
            ],
        })
    );
    // Bob is in both groups: one seat, at the higher tier.
    let reply = subscribe(&w, &p, "GROUP", &ops, "POWER").await;
    assert_eq!(
        reply.ok(),
        &json!({
            "groupId": ops, "groupName": "ops", "tier": "POWER",
            "seats": [
                seat(&bob, "bob", "POWER", via(&[(&eng, "eng"), (&ops, "ops")])),
                seat(&cy, "cy", "POWER", via(&[(&ops, "ops")])),
            ],
        })
    );
    let group_subs = json!([
        { "groupId": eng, "groupName": "eng", "tier": "PRO", "createdAt": T0 },
        { "groupId": ops, "groupName": "ops", "tier": "POWER", "createdAt": T0 },
    ]);
    assert_eq!(
        listing(&w, &p).await,
        json!({
            "seats": [
                seat(&ada, "ada", "PRO", via(&[(&eng, "eng")])),
                seat(&bob, "bob", "POWER", via(&[(&eng, "eng"), (&ops, "ops")])),
                seat(&cy, "cy", "POWER", via(&[(&ops, "ops")])),
            ],
            "groupSubscriptions": group_subs,
            "pendingGrants": [],
        })
    );
    // Dev, in no group, got nothing.
    let all = listing(&w, &p).await;
    assert!(
        all["seats"]
            .as_array()
            .expect("seats")
            .iter()
            .all(|s| s["userId"] != json!(dev))
    );

    // Ending ops: cy's only source goes (canceled), bob keeps eng's seat and drops to PRO at
    // the start of next month.
    let reply = w
        .call(
            Method::DELETE,
            &format!("/console/profiles/{p}/subscriptions/groups/{ops}"),
            None,
        )
        .await;
    let mut bob_after = seat(&bob, "bob", "POWER", via(&[(&eng, "eng")]));
    bob_after["pendingTier"] = json!({ "tier": "PRO", "effectiveAt": "2026-02-01T00:00:00.000Z" });
    let mut cy_after = seat(&cy, "cy", "POWER", json!([]));
    cy_after["status"] = json!("CANCELED");
    cy_after["canceledAt"] = json!(T0);
    let expected = json!({
        "seats": [seat(&ada, "ada", "PRO", via(&[(&eng, "eng")])), bob_after, cy_after],
        "groupSubscriptions": [group_subs[0].clone()],
        "pendingGrants": [],
    });
    assert_eq!(reply.ok(), &expected);
    w.call(
        Method::DELETE,
        &format!("/console/profiles/{p}/subscriptions/groups/{ops}"),
        None,
    )
    .await
    .assert_aws_error(
        404,
        "ResourceNotFoundException",
        &format!("Subscription of group {ops} not found"),
    );
    assert_eq!(listing(&w, &p).await, expected);
}

#[tokio::test]
async fn kiro_sub_4_a_member_added_to_a_subscribed_group_waits_for_the_sync_delay() {
    let w = world().await;
    w.set_sync_delay("6h").await;
    let (_, p, t) = setup(&w).await;
    let ada = w.provision_user(&t, "ada@acme.com", "00u1").await;
    let bob = w.provision_user(&t, "bob@acme.com", "00u2").await;
    let eng = w.provision_group(&t, "eng", &[&ada]).await;
    subscribe(&w, &p, "GROUP", &eng, "PRO_PLUS").await.ok();

    // Okta pushes bob into the group: his seat waits.
    w.advance("1h").await;
    w.push_membership(&t, &eng, "add", &bob).await;
    let ada_seat = seat(&ada, "ada", "PRO_PLUS", via(&[(&eng, "eng")]));
    let waiting = json!({
        "seats": [ada_seat],
        "groupSubscriptions": [{ "groupId": eng, "groupName": "eng", "tier": "PRO_PLUS", "createdAt": T0 }],
        "pendingGrants": [{ "userId": bob, "groupId": eng, "dueAt": "2026-01-01T07:00:00.000Z" }],
    });
    assert_eq!(listing(&w, &p).await, waiting);
    w.advance("5h 59m").await;
    assert_eq!(listing(&w, &p).await, waiting);

    // Six hours after the push, the seat is there.
    w.advance("1m").await;
    let mut bob_seat = seat(&bob, "bob", "PRO_PLUS", via(&[(&eng, "eng")]));
    bob_seat["createdAt"] = json!("2026-01-01T07:00:00.000Z");
    let granted = json!({
        "seats": [ada_seat, bob_seat],
        "groupSubscriptions": waiting["groupSubscriptions"],
        "pendingGrants": [],
    });
    assert_eq!(listing(&w, &p).await, granted);

    // Removed from the group before the delay is up: no seat.
    w.set_sync_delay("24h").await;
    let cy = w.provision_user(&t, "cy@acme.com", "00u3").await;
    w.push_membership(&t, &eng, "add", &cy).await;
    assert_eq!(
        listing(&w, &p).await["pendingGrants"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    w.push_membership(&t, &eng, "remove", &cy).await;
    w.advance("24h").await;
    assert_eq!(listing(&w, &p).await, granted);
}

#[tokio::test]
async fn kiro_sub_4_the_default_delay_is_at_most_24_hours() {
    let w = world().await;
    let (_, p, t) = setup(&w).await;
    let ada = w.provision_user(&t, "ada@acme.com", "00u1").await;
    let eng = w.provision_group(&t, "eng", &[]).await;
    subscribe(&w, &p, "GROUP", &eng, "PRO").await.ok();
    w.push_membership(&t, &eng, "add", &ada).await;
    let pending = listing(&w, &p).await["pendingGrants"].clone();
    let due = pending[0]["dueAt"].as_str().expect("dueAt").to_string();
    assert!(
        ("2026-01-01T00:00:00.000Z"..="2026-01-02T00:00:00.000Z").contains(&due.as_str()),
        "{due}"
    );
    assert!(
        listing(&w, &p).await["seats"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );
    w.advance("24h").await;
    let after = listing(&w, &p).await;
    assert_eq!(after["pendingGrants"], json!([]));
    assert_eq!(after["seats"][0]["userId"], json!(ada));
    assert_eq!(after["seats"][0]["createdAt"], json!(due));
}

/// A completion request by `user_name` (external id `uid`), signed by the test issuer.
async fn complete(w: &World, profile: &Value, uid: &str, user_name: &str, now: u64) -> Reply {
    let claims = w.issuer.claims(
        "0oakiro",
        uid,
        user_name,
        now,
        &["codewhisperer:completions"],
    );
    let token = w.issuer.sign(0, &claims);
    let body = json!({
        "profileArn": profile["profileArn"],
        "fileContext": {
            "filename": "main.py",
            "programmingLanguage": { "languageName": "python" },
            "leftFileContent": "def add(a, b):\n",
            "rightFileContent": "",
        },
    });
    sim_testkit::http::read(
        w.http
            .post(format!("{}/generateCompletions", w.kiro.url()))
            .bearer_auth(token)
            .json(&body),
    )
    .await
}

#[tokio::test]
async fn kiro_sub_5_a_seat_is_pending_until_used_active_after_and_canceled_by_an_admin() {
    let w = world().await;
    let (profile, p, t) = setup(&w).await;
    let ada = w.provision_user(&t, "ada@acme.com", "00u1").await;
    let mut expected = seat(&ada, "ada", "PRO", direct());
    assert_eq!(subscribe(&w, &p, "USER", &ada, "PRO").await.ok(), &expected);

    // First use, an hour later: Active.
    w.advance("1h").await;
    let used = complete(&w, &profile, "00u1", "ada@acme.com", T0_UNIX + 3600).await;
    assert_eq!(used.status, 200, "{used:?}");
    expected["status"] = json!("ACTIVE");
    expected["activatedAt"] = json!("2026-01-01T01:00:00.000Z");
    assert_eq!(listing(&w, &p).await["seats"], json!([expected]));

    // Canceled by an admin: still listed, and Kiro refuses her.
    w.advance("1h").await;
    let reply = w
        .call(
            Method::DELETE,
            &format!("/console/profiles/{p}/subscriptions/users/{ada}"),
            None,
        )
        .await;
    expected["status"] = json!("CANCELED");
    expected["sources"] = json!([]);
    expected["canceledAt"] = json!("2026-01-01T02:00:00.000Z");
    assert_eq!(reply.ok(), &expected);
    assert_eq!(listing(&w, &p).await["seats"], json!([expected]));
    let refused = complete(&w, &profile, "00u1", "ada@acme.com", T0_UNIX + 7200).await;
    assert_eq!(
        (refused.status, &refused.body["__type"]),
        (403, &json!("AccessDeniedException")),
        "{refused:?}"
    );
    assert_eq!(listing(&w, &p).await["seats"], json!([expected]));

    w.call(
        Method::DELETE,
        &format!("/console/profiles/{p}/subscriptions/users/nobody"),
        None,
    )
    .await
    .assert_aws_error(
        404,
        "ResourceNotFoundException",
        "Subscription of user nobody not found",
    );

    // Subscribed again: a live seat once more.
    let again = subscribe(&w, &p, "USER", &ada, "PRO").await;
    assert_eq!(again.ok()["sources"], direct());
    assert_ne!(again.ok()["status"], json!("CANCELED"));
}

#[tokio::test]
async fn kiro_sub_6_upgrades_apply_at_once_downgrades_next_month() {
    let w = world().await;
    let (_, p, t) = setup(&w).await;
    let ada = w.provision_user(&t, "ada@acme.com", "00u1").await;
    let bob = w.provision_user(&t, "bob@acme.com", "00u2").await;
    subscribe(&w, &p, "USER", &ada, "PRO_PLUS").await.ok();
    w.advance("9days").await;
    let path = format!("/console/profiles/{p}/subscriptions/users/{ada}");

    let up = w
        .call(Method::PUT, &path, Some(json!({ "tier": "POWER" })))
        .await;
    assert_eq!(up.ok(), &seat(&ada, "ada", "POWER", direct()));

    let down = w
        .call(Method::PUT, &path, Some(json!({ "tier": "PRO" })))
        .await;
    let mut expected = seat(&ada, "ada", "POWER", direct());
    expected["pendingTier"] = json!({ "tier": "PRO", "effectiveAt": "2026-02-01T00:00:00.000Z" });
    assert_eq!(down.ok(), &expected);
    assert_eq!(listing(&w, &p).await["seats"], json!([expected]));

    // Refusals change nothing.
    w.call(Method::PUT, &path, Some(json!({ "tier": "FREE" })))
        .await
        .assert_aws_error(
            400,
            "ValidationException",
            "Tier FREE is not valid. Valid tiers: PRO, PRO_PLUS, POWER.",
        );
    w.call(
        Method::PUT,
        &format!("/console/profiles/{p}/subscriptions/users/{bob}"),
        Some(json!({ "tier": "PRO" })),
    )
    .await
    .assert_aws_error(
        404,
        "ResourceNotFoundException",
        &format!("Subscription of user {bob} not found"),
    );
    assert_eq!(listing(&w, &p).await["seats"], json!([expected]));

    // February: PRO.
    w.advance("23days").await;
    assert_eq!(
        listing(&w, &p).await["seats"],
        json!([seat(&ada, "ada", "PRO", direct())])
    );
}

#[tokio::test]
async fn kiro_sub_7_a_seat_outlives_the_upstream_user_until_an_admin_removes_it() {
    let w = world().await;
    let (_, p, t) = setup(&w).await;
    let ada = w.provision_user(&t, "ada@acme.com", "00u1").await;
    let bob = w.provision_user(&t, "bob@acme.com", "00u2").await;
    subscribe(&w, &p, "USER", &ada, "PRO").await.ok();
    subscribe(&w, &p, "USER", &bob, "PRO").await.ok();

    // Okta unassigns ada (active: false), then the user is even deleted: the seat stays.
    let deactivate = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{ "op": "replace", "path": "active", "value": false }],
    });
    let reply = w
        .scim(
            &t.base,
            &t.token,
            Method::PATCH,
            &format!("/Users/{ada}"),
            Some(deactivate),
        )
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let seats = listing(&w, &p).await["seats"].clone();
    assert_eq!(
        seats,
        json!([
            seat(&ada, "ada", "PRO", direct()),
            seat(&bob, "bob", "PRO", direct())
        ])
    );
    let reply = w
        .scim(
            &t.base,
            &t.token,
            Method::DELETE,
            &format!("/Users/{ada}"),
            None,
        )
        .await;
    assert_eq!(reply.status, 204, "{reply:?}");
    let mut orphan = seat(&ada, "ada", "PRO", direct());
    orphan["userName"] = json!(null);
    orphan["displayName"] = json!(null);
    assert_eq!(
        listing(&w, &p).await["seats"],
        json!([orphan, seat(&bob, "bob", "PRO", direct())])
    );

    // The admin removes it: gone, seat released.
    let reply = w
        .call(
            Method::DELETE,
            &format!("/console/profiles/{p}/seats/{ada}"),
            None,
        )
        .await;
    let expected = json!({ "seats": [seat(&bob, "bob", "PRO", direct())], "groupSubscriptions": [], "pendingGrants": [] });
    assert_eq!(reply.ok(), &expected);
    w.call(
        Method::DELETE,
        &format!("/console/profiles/{p}/seats/{ada}"),
        None,
    )
    .await
    .assert_aws_error(
        404,
        "ResourceNotFoundException",
        &format!("Subscription of user {ada} not found"),
    );
    assert_eq!(listing(&w, &p).await, expected);
}

#[tokio::test]
async fn kiro_sub_8_the_listing_shows_exactly_who_got_a_seat_through_a_group() {
    let w = world().await;
    let (_, p, t) = setup(&w).await;
    let ada = w.provision_user(&t, "ada@acme.com", "00u1").await;
    let bob = w.provision_user(&t, "bob@acme.com", "00u2").await;
    // The contractor should not be in the group.
    let eve = w.provision_user(&t, "eve@acme.com", "00u9").await;
    let _cy = w.provision_user(&t, "cy@acme.com", "00u3").await;
    let eng = w.provision_group(&t, "eng", &[&ada, &bob, &eve]).await;
    subscribe(&w, &p, "USER", &bob, "POWER").await.ok();

    let reply = subscribe(&w, &p, "GROUP", &eng, "PRO").await;
    let got: Vec<Value> = reply.ok()["seats"]
        .as_array()
        .expect("seats")
        .iter()
        .map(|s| s["userName"].clone())
        .collect();
    assert_eq!(
        got,
        vec![
            json!("ada@acme.com"),
            json!("bob@acme.com"),
            json!("eve@acme.com")
        ]
    );
    let listed = listing(&w, &p).await;
    assert_eq!(
        listed["seats"],
        json!([
            seat(
                &bob,
                "bob",
                "POWER",
                json!([{ "type": "DIRECT" }, { "type": "GROUP", "groupId": eng, "groupName": "eng" }])
            ),
            seat(&ada, "ada", "PRO", via(&[(&eng, "eng")])),
            seat(&eve, "eve", "PRO", via(&[(&eng, "eng")])),
        ])
    );

    // Spotted: the admin removes eve's seat (and Okta removes her from the group).
    w.call(
        Method::DELETE,
        &format!("/console/profiles/{p}/seats/{eve}"),
        None,
    )
    .await
    .ok();
    w.push_membership(&t, &eng, "remove", &eve).await;
    let names: Vec<Value> = listing(&w, &p).await["seats"]
        .as_array()
        .expect("seats")
        .iter()
        .map(|s| s["userName"].clone())
        .collect();
    assert_eq!(names, vec![json!("bob@acme.com"), json!("ada@acme.com")]);
}
