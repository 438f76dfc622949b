//! The System Log over HTTP (`GET /api/v1/logs`): admin changes (user create, activate,
//! deactivate; group membership; app assignment) are recorded in order in Okta's LogEvent
//! shape, and the log is read with `since`/`until`, `filter`, `q`, `sortOrder` and pages.
//!
//! covers: [OKTA-API-4, OKTA-API-2, OKTA-API-1]

use crate::common;

use serde_json::{Value, json};

use common::{Okta, T0, enc};

fn event_types(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|e| e["eventType"].as_str().expect("an eventType").to_string())
        .collect()
}

async fn logs(okta: &Okta, query: &str) -> Value {
    okta.get(&format!("/api/v1/logs{query}")).await.ok().clone()
}

#[tokio::test]
async fn okta_api_4_admin_changes_are_logged_in_order() {
    let okta = common::start().await;
    let user = okta.create_user("ada@example.com").await;
    okta.advance("1m").await;
    let group = okta.create_group("Kiro users").await;
    okta.add_member(&group, &user).await;
    okta.advance("1m").await;
    let app = okta.create_kiro_app("Kiro-OIDC").await;
    okta.assign_user(&app, &user).await;
    okta.assign_group(&app, &group).await;
    okta.advance("1m").await;
    okta.post_empty(&format!("/api/v1/users/{user}/lifecycle/deactivate"))
        .await
        .ok();

    let all = logs(&okta, "").await;
    assert_eq!(
        event_types(&all),
        [
            "user.lifecycle.create",
            "user.lifecycle.activate",
            "group.lifecycle.create",
            "group.user_membership.add",
            "application.lifecycle.create",
            "application.user_membership.add",
            "application.group_membership.add",
            "user.lifecycle.deactivate",
        ]
    );
    let published: Vec<&str> = all
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| e["published"].as_str().expect("published"))
        .collect();
    assert_eq!(
        published,
        [
            T0,
            T0,
            "2026-01-01T00:01:00.000Z",
            "2026-01-01T00:01:00.000Z",
            "2026-01-01T00:02:00.000Z",
            "2026-01-01T00:02:00.000Z",
            "2026-01-01T00:02:00.000Z",
            "2026-01-01T00:03:00.000Z",
        ]
    );

    // One event in full.
    let membership = &all[3];
    let uuid = membership["uuid"].as_str().expect("a uuid").to_string();
    assert_eq!(uuid.len(), 36);
    assert_eq!(
        membership,
        &json!({
            "uuid": uuid,
            "published": "2026-01-01T00:01:00.000Z",
            "eventType": "group.user_membership.add",
            "version": "0",
            "severity": "INFO",
            "legacyEventType": null,
            "displayMessage": "Add user to group membership",
            "actor": {
                "id": "00uadmin0000000000000",
                "type": "User",
                "alternateId": "admin@kiro-sim.test",
                "displayName": "kiro-sim Admin",
                "detailEntry": null,
            },
            "client": {
                "userAgent": { "rawUserAgent": "unknown", "os": "Unknown", "browser": "UNKNOWN" },
                "zone": "null",
                "device": "Unknown",
                "id": null,
                "ipAddress": "127.0.0.1",
                "geographicalContext": null,
            },
            "device": null,
            "authenticationContext": {
                "authenticationProvider": null,
                "credentialProvider": null,
                "credentialType": null,
                "issuer": null,
                "interface": null,
                "authenticationStep": 0,
                "externalSessionId": "unknown",
            },
            "outcome": { "result": "SUCCESS", "reason": null },
            "securityContext": { "asNumber": null, "asOrg": null, "isp": null, "domain": null, "isProxy": null },
            "target": [
                { "id": user, "type": "User", "alternateId": "Ada Tester", "displayName": "Ada Tester", "detailEntry": null },
                { "id": group, "type": "UserGroup", "alternateId": "Kiro users", "displayName": "Kiro users", "detailEntry": null },
            ],
            "transaction": { "type": "WEB", "id": uuid.replace('-', ""), "detail": {} },
            "debugContext": { "debugData": {} },
            "request": { "ipChain": [] },
        })
    );
    let assignment = &all[5];
    assert_eq!(assignment["target"][0]["id"], user.as_str());
    assert_eq!(assignment["target"][1]["id"], app.as_str());
    assert_eq!(assignment["target"][1]["type"], "AppInstance");

    // Reads and refusals are not logged.
    okta.get("/api/v1/users").await.ok();
    okta.post_empty(&format!("/api/v1/users/{user}/lifecycle/deactivate"))
        .await
        .okta_error(
            403,
            "E0000038",
            "This operation is not allowed in the user's current status.",
        );
    assert_eq!(logs(&okta, "").await, all);
}

#[tokio::test]
async fn okta_api_4_the_log_is_read_by_time_filter_keyword_order_and_page() {
    let okta = common::start().await;
    let ada = okta.create_user("ada@example.com").await; // 00:00 create + activate
    okta.advance("10m").await;
    let alan = okta.create_user("alan@example.com").await; // 00:10
    okta.advance("10m").await;
    let group = okta.create_group("Kiro users").await; // 00:20
    okta.add_member(&group, &ada).await;
    okta.add_member(&group, &alan).await;
    okta.advance("10m").await;
    okta.post_empty(&format!("/api/v1/users/{alan}/lifecycle/deactivate")) // 00:30
        .await
        .ok();

    // since is inclusive, until exclusive.
    let window = logs(
        &okta,
        &format!(
            "?since={}&until={}",
            enc("2026-01-01T00:10:00.000Z"),
            enc("2026-01-01T00:30:00Z")
        ),
    )
    .await;
    assert_eq!(
        event_types(&window),
        [
            "user.lifecycle.create",
            "user.lifecycle.activate",
            "group.lifecycle.create",
            "group.user_membership.add",
            "group.user_membership.add",
        ]
    );
    assert_eq!(window[0]["target"][0]["id"], alan.as_str());
    let since = logs(&okta, "?since=2026-01-01T00:30:00%2B00:00").await;
    assert_eq!(event_types(&since), ["user.lifecycle.deactivate"]);

    // filter: eventType, outcome.result, target.id, with and/or.
    let filtered = logs(
        &okta,
        &format!(
            "?filter={}",
            enc(r#"eventType eq "user.lifecycle.create" and outcome.result eq "SUCCESS""#)
        ),
    )
    .await;
    assert_eq!(filtered.as_array().map(Vec::len), Some(2));
    let either = logs(
        &okta,
        &format!(
            "?filter={}",
            enc(r#"eventType eq "user.lifecycle.deactivate" or eventType eq "group.lifecycle.create""#)
        ),
    )
    .await;
    assert_eq!(
        event_types(&either),
        ["group.lifecycle.create", "user.lifecycle.deactivate"]
    );
    let about_alan = logs(
        &okta,
        &format!("?filter={}", enc(&format!(r#"target.id eq "{alan}""#))),
    )
    .await;
    assert_eq!(
        event_types(&about_alan),
        [
            "user.lifecycle.create",
            "user.lifecycle.activate",
            "group.user_membership.add",
            "user.lifecycle.deactivate",
        ]
    );
    let failures = logs(
        &okta,
        &format!("?filter={}", enc(r#"outcome.result eq "FAILURE""#)),
    )
    .await;
    assert_eq!(failures, json!([]));

    // q: every keyword must occur.
    let q = logs(&okta, "?q=membership%20alan").await;
    assert_eq!(event_types(&q), ["group.user_membership.add"]);

    // sortOrder.
    let descending = logs(&okta, "?sortOrder=DESCENDING").await;
    let mut ascending = event_types(&logs(&okta, "").await);
    ascending.reverse();
    assert_eq!(event_types(&descending), ascending);

    // Pages of 3, following rel="next" (the cursor is the last event's uuid).
    let (paged, pages) = okta.list_all("/api/v1/logs?limit=3").await;
    assert_eq!(pages, 3);
    assert_eq!(Value::Array(paged), logs(&okta, "").await);
    let first = okta.get("/api/v1/logs?limit=3").await;
    let third_uuid = first.ok()[2]["uuid"].as_str().expect("uuid").to_string();
    assert_eq!(
        first.link("next"),
        Some(format!(
            "{}/api/v1/logs?limit=3&after={third_uuid}",
            okta.base()
        ))
    );
    let (descending_paged, _) = okta
        .list_all("/api/v1/logs?limit=2&sortOrder=DESCENDING")
        .await;
    assert_eq!(Value::Array(descending_paged), descending);

    // Refusals.
    for (query, field, cause) in [
        (
            "?since=yesterday",
            "since",
            "since: 'yesterday' is not a valid date; dates must be RFC 3339, e.g. 2026-01-01T00:00:00.000Z",
        ),
        (
            "?until=2026-13-01T00:00:00Z",
            "until",
            "until: '2026-13-01T00:00:00Z' is not a valid date; dates must be RFC 3339, e.g. 2026-01-01T00:00:00.000Z",
        ),
        (
            "?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z",
            "until",
            "until: The until date must be after the since date",
        ),
        (
            "?sortOrder=RANDOM",
            "sortOrder",
            "sortOrder: 'RANDOM' is not ASCENDING or DESCENDING",
        ),
    ] {
        let causes = okta.get(&format!("/api/v1/logs{query}")).await.okta_error(
            400,
            "E0000001",
            &format!("Api validation failed: {field}"),
        );
        assert_eq!(causes, [cause], "{query}");
    }
    okta.get(&format!("/api/v1/logs?filter={}", enc("eventType eq")))
        .await
        .okta_error(400, "E0000031", "Invalid search criteria.");
}

#[tokio::test]
async fn okta_api_4_the_log_keeps_more_than_a_page_and_caps_limit() {
    let okta = common::start().await;
    for n in 0..60 {
        okta.create_user(&format!("u{n}@example.com")).await;
    }
    // 120 events; default page 100; max 1000.
    let first = okta.get("/api/v1/logs").await;
    assert_eq!(first.ok().as_array().map(Vec::len), Some(100));
    let (all, pages) = okta.list_all("/api/v1/logs").await;
    assert_eq!((all.len(), pages), (120, 2));
    let uuids: std::collections::HashSet<&str> = all
        .iter()
        .map(|e| e["uuid"].as_str().expect("uuid"))
        .collect();
    assert_eq!(uuids.len(), 120);
    let big = okta.get("/api/v1/logs?limit=5000").await;
    assert_eq!(big.ok().as_array().map(Vec::len), Some(120));
    assert_eq!(big.link("next"), None);
}
