//! Push failures (BEHAVIOURS.md OKTA-PROV-7): a target down for two hours of world time, a 5xx
//! whose work was done, a 429 with `Retry-After`. Retries run on the world clock (exponential
//! backoff from 1 minute to 1 hour); errors show on the app user, the push mapping and in the
//! System Log until the call succeeds; after recovery nothing is lost and nothing is applied
//! twice.
//!
//! covers: [OKTA-PROV-7, OKTA-PROV-3, OKTA-PROV-5]

use crate::common;
use crate::provisioning_support;

use serde_json::{Value, json};

use common::start;
use provisioning_support::{
    Fault, ScimTarget, TARGET_TOKEN, app_user, create_user_with_profile, events, push_group,
    push_mapping, ready_app, settle,
};

#[tokio::test]
async fn okta_prov_7_a_two_hour_outage_converges_with_nothing_lost_and_no_duplicates() {
    let okta = start().await;
    let mut target = ScimTarget::start().await;
    let app = ready_app(&okta, &target.base(), TARGET_TOKEN).await;
    let assigned = okta.create_group("Kiro users").await;
    let pushed = okta.create_group("Engineers").await;
    okta.assign_group(&app, &assigned).await;
    let mapping_id = common::id_of(&push_group(&okta, &app, &pushed).await);
    settle(&okta).await;
    assert_eq!(target.lines(), ["POST /Groups"]);
    target.clear();

    // The target goes down; meanwhile five users are assigned and pushed, one is renamed,
    // one leaves the pushed group again.
    target.down().await;
    let mut users = Vec::new();
    for i in 0..5 {
        let login = format!("dev{i}@example.com");
        let id = create_user_with_profile(&okta, &login, "Dev", &format!("Number{i}")).await;
        okta.add_member(&assigned, &id).await;
        okta.add_member(&pushed, &id).await;
        users.push(id);
    }
    okta.post(
        &format!("/api/v1/users/{}", users[0]),
        json!({ "profile": { "lastName": "Renamed" } }),
    )
    .await
    .ok();
    okta.delete(&format!("/api/v1/groups/{pushed}/users/{}", users[4]))
        .await
        .expect(204);
    let settled = settle(&okta).await;
    assert_eq!(settled["pending"], json!(5), "{settled}");
    assert_eq!(settled["nextAttemptAt"], json!("2026-01-01T00:01:00.000Z"));

    // The errors show on the app users and in the System Log.
    let au = app_user(&okta, &app, &users[0]).await;
    assert_eq!(au["syncState"], json!("ERROR"));
    assert_eq!(au["externalId"], Value::Null);
    let error = au["_sim"]["provisioningError"].as_str().expect("an error");
    assert!(
        error.contains("Could not reach http://127.0.0.1:") && error.contains("/scim/v2/Users"),
        "{error}"
    );

    // Two hours pass: retries at +1, +3, +7, +15, +31, +63 minutes all fail; the wait has
    // reached its one-hour cap, so the next one is at 2:03.
    okta.advance("2h").await;
    let settled = settle(&okta).await;
    assert_eq!(settled["pending"], json!(5));
    assert_eq!(settled["nextAttemptAt"], json!("2026-01-01T02:03:00.000Z"));
    let failures: Vec<Value> = events(&okta, "application.provision.user.verify_exists")
        .await
        .into_iter()
        .filter(|e| e["target"][0]["id"] == json!(users[1]))
        .collect();
    assert_eq!(failures.len(), 7);
    assert!(
        failures
            .iter()
            .all(|e| e["outcome"]["result"] == json!("FAILURE"))
    );
    let published: Vec<&str> = failures
        .iter()
        .map(|e| e["published"].as_str().expect("published"))
        .collect();
    assert_eq!(
        published,
        [
            "2026-01-01T00:00:00.000Z",
            "2026-01-01T00:01:00.000Z",
            "2026-01-01T00:03:00.000Z",
            "2026-01-01T00:07:00.000Z",
            "2026-01-01T00:15:00.000Z",
            "2026-01-01T00:31:00.000Z",
            "2026-01-01T01:03:00.000Z",
        ]
    );

    // Back: nothing is sent before the next attempt is due (2:03), then the retry converges.
    target.up().await;
    settle(&okta).await;
    assert!(target.requests().is_empty(), "{:?}", target.lines());
    okta.advance("10m").await;
    let settled = settle(&okta).await;
    assert_eq!(settled["pending"], json!(0), "{settled}");

    // Each user looked up and created once; the renamed one with its new name; the group
    // gets the four who are still members, in one PATCH.
    let stored = target.users();
    assert_eq!(stored.len(), 5);
    let mut names: Vec<&str> = stored
        .iter()
        .map(|u| u["userName"].as_str().expect("userName"))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "dev0@example.com",
            "dev1@example.com",
            "dev2@example.com",
            "dev3@example.com",
            "dev4@example.com"
        ]
    );
    let renamed = stored
        .iter()
        .find(|u| u["userName"] == json!("dev0@example.com"))
        .expect("dev0");
    assert_eq!(renamed["name"]["familyName"], json!("Renamed"));
    let lines = target.lines();
    assert_eq!(lines.iter().filter(|l| *l == "POST /Users").count(), 5);
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("GET /Users")).count(),
        5
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("PATCH /Groups"))
            .count(),
        1
    );
    assert_eq!(lines.len(), 11, "{lines:?}");
    let groups = target.groups();
    let mut members = groups[0].2.clone();
    members.sort();
    let mut expected: Vec<String> = stored
        .iter()
        .filter(|u| u["userName"] != json!("dev4@example.com"))
        .map(|u| u["id"].as_str().expect("id").to_string())
        .collect();
    expected.sort();
    assert_eq!(members, expected);
    let au = app_user(&okta, &app, &users[0]).await;
    assert_eq!(au["syncState"], json!("SYNCHRONIZED"));
    assert_eq!(au["_sim"], Value::Null);
    assert_eq!(au["lastSync"], json!("2026-01-01T02:03:00.000Z"));
    let m = push_mapping(&okta, &app, &mapping_id).await;
    assert_eq!(m["status"], json!("ACTIVE"));

    // Nothing more happens later.
    target.clear();
    okta.advance("24h").await;
    settle(&okta).await;
    assert!(target.requests().is_empty(), "{:?}", target.lines());
}

#[tokio::test]
async fn okta_prov_7_a_group_push_failing_shows_error_until_it_succeeds() {
    let okta = start().await;
    let target = ScimTarget::start().await;
    let app = ready_app(&okta, &target.base(), TARGET_TOKEN).await;
    let group = okta.create_group("Engineers").await;
    target.fail_next(&[Fault::Status(500), Fault::Status(502)]);
    let mapping_id = common::id_of(&push_group(&okta, &app, &group).await);
    settle(&okta).await;
    let m = push_mapping(&okta, &app, &mapping_id).await;
    assert_eq!(m["status"], json!("ERROR"));
    let summary = m["errorSummary"].as_str().expect("errorSummary");
    assert!(
        summary.starts_with("Failed on 2026-01-01T00:00:00Z: Unable to push group Engineers")
            && summary.contains("500 Internal Server Error"),
        "{summary}"
    );
    okta.advance("1m").await;
    settle(&okta).await;
    let m = push_mapping(&okta, &app, &mapping_id).await;
    assert_eq!(m["status"], json!("ERROR"));
    assert!(
        m["errorSummary"]
            .as_str()
            .is_some_and(|s| s.contains("502 Bad Gateway")),
        "{m}"
    );
    okta.advance("2m").await;
    settle(&okta).await;
    let m = push_mapping(&okta, &app, &mapping_id).await;
    assert_eq!(m["status"], json!("ACTIVE"), "{m}");
    assert_eq!(m["errorSummary"], Value::Null);
    // Each failed create is followed by a lookup before the next create.
    assert_eq!(
        target.lines(),
        [
            "POST /Groups",
            r#"GET /Groups?filter=displayName eq "Engineers""#,
            r#"GET /Groups?filter=displayName eq "Engineers""#,
            "POST /Groups",
        ]
    );
    let adds = events(&okta, "application.provision.group.add").await;
    let outcomes: Vec<&Value> = adds.iter().map(|e| &e["outcome"]["result"]).collect();
    assert_eq!(outcomes, [&json!("FAILURE"), &json!("SUCCESS")]);
}

#[tokio::test]
async fn okta_prov_7_a_create_whose_answer_was_lost_is_found_not_duplicated() {
    let okta = start().await;
    let target = ScimTarget::start().await;
    let app = ready_app(&okta, &target.base(), TARGET_TOKEN).await;
    let ada = create_user_with_profile(&okta, "ada@example.com", "Ada", "Lovelace").await;
    // The target creates the user but answers 500.
    target.fail_next(&[Fault::Pass, Fault::DoThenFail]);
    okta.assign_user(&app, &ada).await;
    settle(&okta).await;
    assert_eq!(target.users().len(), 1);
    okta.advance("1m").await;
    settle(&okta).await;
    // Found and linked, then brought up to date (Update User Attributes is on): no second
    // POST, one user.
    assert_eq!(
        target.lines(),
        [
            r#"GET /Users?filter=userName eq "ada@example.com""#,
            "POST /Users",
            r#"GET /Users?filter=userName eq "ada@example.com""#,
            "PUT /Users/u-1",
        ]
    );
    assert_eq!(target.users().len(), 1);
    let au = app_user(&okta, &app, &ada).await;
    assert_eq!(au["externalId"], json!("u-1"));
    assert_eq!(au["syncState"], json!("SYNCHRONIZED"));
}

#[tokio::test]
async fn okta_prov_7_a_429_is_retried_when_retry_after_says() {
    let okta = start().await;
    let target = ScimTarget::start().await;
    let app = ready_app(&okta, &target.base(), TARGET_TOKEN).await;
    let ada = create_user_with_profile(&okta, "ada@example.com", "Ada", "Lovelace").await;
    target.fail_next(&[Fault::TooMany(300)]);
    okta.assign_user(&app, &ada).await;
    let settled = settle(&okta).await;
    assert_eq!(settled["pending"], json!(1));
    // Retry-After (5 minutes) wins over the 1-minute backoff.
    assert_eq!(settled["nextAttemptAt"], json!("2026-01-01T00:05:00.000Z"));
    let au = app_user(&okta, &app, &ada).await;
    assert!(
        au["_sim"]["provisioningError"]
            .as_str()
            .is_some_and(|e| e.contains("429 Too Many Requests")),
        "{au}"
    );
    okta.advance("4m 59s").await;
    settle(&okta).await;
    assert_eq!(target.requests().len(), 1, "{:?}", target.lines());
    okta.advance("1s").await;
    settle(&okta).await;
    assert_eq!(
        target.lines(),
        [
            r#"GET /Users?filter=userName eq "ada@example.com""#,
            r#"GET /Users?filter=userName eq "ada@example.com""#,
            "POST /Users",
        ]
    );
    assert_eq!(
        app_user(&okta, &app, &ada).await["syncState"],
        json!("SYNCHRONIZED")
    );
}
