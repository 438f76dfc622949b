//! Hostile input over HTTP: expressions nested or chained beyond any real use, oversized URLs,
//! profile values beyond Okta's documented lengths and oversized bodies are refused with
//! Okta's error object, change nothing, and leave the server answering.
//!
//! covers: [OKTA-API-1, OKTA-API-7, OKTA-API-8, OKTA-API-9]

use crate::common;

use common::{Okta, enc};

/// `depth` nested parentheses around one comparison (3,000: an 18 KB URL once encoded).
fn nested(depth: usize) -> String {
    format!("{}status pr{}", "(".repeat(depth), ")".repeat(depth))
}

async fn still_answers(okta: &Okta) {
    okta.get("/api/v1/users").await.ok();
}

/// OKTA-API-7: every list endpoint that takes an expression refuses one nested 3,000 deep
/// with E0000031, and the server keeps answering (it used to overflow a worker's stack and
/// abort the process).
#[tokio::test]
async fn okta_api_7_deeply_nested_expressions_are_e0000031_and_the_server_survives() {
    let okta = common::start().await;
    // 3,000 deep is refused for its length, 1,000 deep (within the length) for its depth.
    for (depth, why) in [(3000, "longer than"), (1000, "nest deeper")] {
        let expr = enc(&nested(depth));
        assert!(depth < 3000 || expr.len() > 18_000);
        for path in [
            format!("/api/v1/users?filter={expr}"),
            format!("/api/v1/users?search={expr}"),
            format!("/api/v1/logs?filter={expr}"),
            format!("/api/v1/apps?filter={expr}"),
        ] {
            let reply = okta.get(&path).await;
            let causes = reply.okta_error(400, "E0000031", "Invalid search criteria.");
            assert!(causes[0].contains(why), "{path:.40}: {causes:?}");
            still_answers(&okta).await;
        }
    }
    // A long flat chain is bounded too.
    let chain = enc(&vec!["status pr"; 150].join(" or "));
    let reply = okta.get(&format!("/api/v1/users?search={chain}")).await;
    let causes = reply.okta_error(400, "E0000031", "Invalid search criteria.");
    assert!(causes[0].contains("comparisons"), "{causes:?}");
    still_answers(&okta).await;
}

/// OKTA-API-7: a URL beyond what the HTTP layer takes is refused by it (a 4xx), and the server
/// keeps answering.
#[tokio::test]
async fn okta_api_7_an_oversized_url_is_refused_and_the_server_survives() {
    let okta = common::start().await;
    let huge = "a".repeat(200_000);
    let response = okta
        .http
        .get(okta.url(&format!("/api/v1/users?q={huge}")))
        .header("Authorization", format!("SSWS {}", okta.token()))
        .send()
        .await;
    if let Ok(response) = response {
        assert!(response.status().is_client_error(), "{}", response.status());
    }
    still_answers(&okta).await;
}

fn profile(login: &str, first: &str) -> serde_json::Value {
    serde_json::json!({
        "profile": {
            "firstName": first,
            "lastName": "Lovelace",
            "email": "ada@example.com",
            "login": login,
        },
    })
}

/// Users and groups as the API lists them, and the System Log's length: what a refusal must
/// leave untouched.
async fn state(okta: &Okta) -> (serde_json::Value, serde_json::Value, usize) {
    let users = okta.get("/api/v1/users").await.ok().clone();
    let groups = okta.get("/api/v1/groups").await.ok().clone();
    let logs = okta.get("/api/v1/logs?limit=1000").await.ok().clone();
    (users, groups, logs.as_array().map_or(0, Vec::len))
}

/// OKTA-API-8: profile values beyond Okta's documented lengths, and logins with control
/// characters, are E0000001 naming the field, on create and on update, and change nothing.
#[tokio::test]
async fn okta_api_8_profile_fields_beyond_okta_s_lengths_are_e0000001_and_change_nothing() {
    let okta = common::start().await;
    let ada = okta
        .post(
            "/api/v1/users?activate=false",
            profile("ada@example.com", &"A".repeat(50)),
        )
        .await;
    let id = common::id_of(ada.ok());
    let long_login = format!("{}@example.com", "a".repeat(89));
    assert_eq!(long_login.len(), 101);
    let cases = [
        (
            profile("bob@example.com", &"B".repeat(1_000_000)),
            "firstName",
            "firstName: The field cannot be longer than 50 characters",
        ),
        (
            profile("bob@example.com", &"B".repeat(51)),
            "firstName",
            "firstName: The field cannot be longer than 50 characters",
        ),
        (
            profile(&long_login, "Bob"),
            "login",
            "login: The field cannot be longer than 100 characters",
        ),
        (
            profile("bob\u{0}@example.com", "Bob"),
            "login",
            "login: Username must be in the form of an email address",
        ),
        (
            profile("bob\n@example.com", "Bob"),
            "login",
            "login: Username must be in the form of an email address",
        ),
        (
            profile("bob@exa\u{7}mple.com", "Bob"),
            "login",
            "login: Username must be in the form of an email address",
        ),
    ];
    let before = state(&okta).await;
    for (body, field, cause) in cases {
        let reply = okta
            .post("/api/v1/users?activate=false", body.clone())
            .await;
        let causes = reply.okta_error(400, "E0000001", &format!("Api validation failed: {field}"));
        assert_eq!(causes, vec![cause.to_string()]);
        let reply = okta.post(&format!("/api/v1/users/{id}"), body).await;
        reply.okta_error(400, "E0000001", &format!("Api validation failed: {field}"));
    }
    assert_eq!(state(&okta).await, before);
}

/// OKTA-API-8: a group name beyond 255 characters, or with a control character, is E0000001
/// naming `name`, on create and on rename, and changes nothing.
#[tokio::test]
async fn okta_api_8_group_names_beyond_255_characters_are_e0000001_and_change_nothing() {
    let okta = common::start().await;
    let group = okta
        .post(
            "/api/v1/groups",
            serde_json::json!({ "profile": { "name": "x".repeat(255) } }),
        )
        .await;
    let id = common::id_of(group.ok());
    let before = state(&okta).await;
    for (name, cause) in [
        (
            "g".repeat(1_000_000),
            "name: The field cannot be longer than 255 characters",
        ),
        (
            "g".repeat(256),
            "name: The field cannot be longer than 255 characters",
        ),
        (
            "Engi\u{0}neering".to_string(),
            "name: The field cannot contain control characters",
        ),
    ] {
        let body = serde_json::json!({ "profile": { "name": name } });
        let causes = okta.post("/api/v1/groups", body.clone()).await.okta_error(
            400,
            "E0000001",
            "Api validation failed: name",
        );
        assert_eq!(causes, vec![cause.to_string()]);
        okta.call(
            reqwest::Method::PUT,
            &format!("/api/v1/groups/{id}"),
            Some(body),
        )
        .await
        .okta_error(400, "E0000001", "Api validation failed: name");
    }
    assert_eq!(state(&okta).await, before);
}

/// OKTA-API-9: a request body over 1 MiB is 413 with Okta's error object before any handler
/// reads it, creates nothing, and the server keeps answering.
#[tokio::test]
async fn okta_api_9_a_body_over_1_mib_is_413_in_okta_s_shape_and_changes_nothing() {
    let okta = common::start().await;
    let before = state(&okta).await;
    let body = profile("bob@example.com", &"B".repeat(mock_okta::MAX_BODY_BYTES));
    let reply = okta.post("/api/v1/users?activate=false", body).await;
    let causes = reply.okta_error(413, "E0000003", "The request body was not well-formed.");
    assert_eq!(
        causes,
        vec![format!(
            "The request body is larger than {} bytes.",
            mock_okta::MAX_BODY_BYTES
        )]
    );
    assert!(!reply.header("x-okta-request-id").is_empty());
    assert_eq!(state(&okta).await, before);
}
