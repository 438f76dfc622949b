//! Hostile input to the SCIM endpoint over HTTP: PATCH paths nested beyond any attribute,
//! JSON nested beyond serde_json's limit, values beyond IAM Identity Center's documented
//! lengths, unknown schema URNs and oversized bodies are refused with the SCIM Error body,
//! change nothing, and leave the server answering.
//!
//! covers: [KIRO-SCIM-2, KIRO-SCIM-4, KIRO-SCIM-5, KIRO-SCIM-6]

use crate::common;

use serde_json::json;

use common::{Scim, Sim, TestIssuer, okta_user, patch_op};

async fn setup() -> (Sim, TestIssuer, Scim) {
    let sim = Sim::start().await;
    let issuer = TestIssuer::start().await;
    let profile = sim.create_profile("Acme", &issuer.issuer, "0oakiro").await;
    let scim = sim.scim_for(&profile).await;
    (sim, issuer, scim)
}

/// KIRO-SCIM-4: a PATCH path of 100,000 segments is invalidPath (it used to be walked
/// recursively, one stack frame per segment, and abort the process); the user is unchanged
/// and the server keeps answering.
#[tokio::test]
async fn kiro_scim_4_a_deep_patch_path_is_invalid_path_and_changes_nothing() {
    let (_sim, _issuer, scim) = setup().await;
    let id = scim.create_user("ada@example.com", "00u1").await;
    let before = scim.get(&format!("/Users/{id}")).await.expect(200).clone();
    for path in [
        vec!["name"; 100_000].join("."),
        "name.givenName.x".to_string(),
    ] {
        let reply = scim
            .patch(
                &format!("/Users/{id}"),
                &patch_op(json!([{ "op": "replace", "path": path, "value": "X" }])),
            )
            .await;
        assert_eq!(reply.status, 400, "{:?}", reply.body);
        assert_eq!(reply.body["scimType"], "invalidPath", "{:?}", reply.body);
        // The same path as a key of a path-less operation.
        let reply = scim
            .patch(
                &format!("/Users/{id}"),
                &patch_op(json!([{ "op": "add", "value": { path.as_str(): "X" } }])),
            )
            .await;
        assert_eq!(reply.body["scimType"], "invalidPath", "{:?}", reply.body);
    }
    assert_eq!(scim.get(&format!("/Users/{id}")).await.expect(200), &before);
}

/// KIRO-SCIM-4: JSON nested 100,000 deep is refused by the parser's recursion limit (128),
/// as a SCIM Error, and the server keeps answering.
#[tokio::test]
async fn kiro_scim_4_deeply_nested_json_is_refused_and_the_server_survives() {
    let (_sim, _issuer, scim) = setup().await;
    let body = format!(
        "{{\"userName\":{}1{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let reply = common::send(
        scim.http
            .post(format!("{}/Users", scim.base))
            .bearer_auth(&scim.token)
            .header("content-type", "application/scim+json")
            .body(body),
    )
    .await;
    assert_eq!(reply.status, 400, "{:?}", reply.body);
    assert_eq!(
        reply.body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
    );
    scim.get("/Users").await.expect(200);
}

/// Users and groups as the SCIM API lists them: what a refusal must leave untouched.
async fn listed(scim: &Scim) -> (serde_json::Value, serde_json::Value) {
    let users = scim.get("/Users").await.expect(200).clone();
    let groups = scim.get("/Groups").await.expect(200).clone();
    (users, groups)
}

fn assert_invalid_value(reply: &common::Reply, needle: &str) {
    assert_eq!(reply.status, 400, "{:.300}", reply.body.to_string());
    assert_eq!(
        reply.body["scimType"],
        "invalidValue",
        "{:.300}",
        reply.body.to_string()
    );
    assert_eq!(
        reply.body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
    );
    let detail = reply.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(needle), "{detail:.300}");
}

/// KIRO-SCIM-5: values beyond IAM Identity Center's lengths (userName 128, displayName and
/// other strings 1,024, externalId 256) are refused on create, PUT and PATCH, for users and
/// groups, with the SCIM Error body, and change nothing; the limits themselves are accepted.
#[tokio::test]
async fn kiro_scim_5_values_beyond_idc_lengths_are_refused_and_change_nothing() {
    let (_sim, _issuer, scim) = setup().await;
    let uid = scim.create_user("ada@example.com", "00u1").await;
    let gid = scim.create_group(&"G".repeat(1024)).await;
    let mut at_limit = okta_user(
        &format!("{}@example.com", "b".repeat(116)),
        &"x".repeat(256),
    );
    at_limit["displayName"] = json!("D".repeat(1024));
    scim.post("/Users", &at_limit).await.expect(201);
    let before = listed(&scim).await;
    let mega = "D".repeat(1_000_000);
    let user_cases = [
        ("displayName", json!(mega)),
        ("displayName", json!("D".repeat(1025))),
        (
            "userName",
            json!(format!("{}@example.com", "c".repeat(117))),
        ),
        ("externalId", json!("x".repeat(257))),
        ("title", json!("T".repeat(1025))),
    ];
    for (field, value) in user_cases {
        let mut body = okta_user("carol@example.com", "00u3");
        body[field] = value.clone();
        assert_invalid_value(&scim.post("/Users", &body).await, field);
        assert_invalid_value(&scim.put(&format!("/Users/{uid}"), &body).await, field);
        let patch = patch_op(json!([{ "op": "replace", "path": field, "value": value }]));
        assert_invalid_value(&scim.patch(&format!("/Users/{uid}"), &patch).await, field);
    }
    let big_name = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": mega,
    });
    assert_invalid_value(&scim.post("/Groups", &big_name).await, "displayName");
    let rename =
        patch_op(json!([{ "op": "replace", "path": "displayName", "value": "G".repeat(1025) }]));
    assert_invalid_value(
        &scim.patch(&format!("/Groups/{gid}"), &rename).await,
        "displayName",
    );
    assert_eq!(listed(&scim).await, before);
}

/// KIRO-SCIM-5: a user or group whose `schemas` names an unknown URN is refused with the SCIM
/// Error body and not stored.
#[tokio::test]
async fn kiro_scim_5_unknown_schema_urns_are_refused_and_change_nothing() {
    let (_sim, _issuer, scim) = setup().await;
    let uid = scim.create_user("ada@example.com", "00u1").await;
    let before = listed(&scim).await;
    let mut body = okta_user("bob@example.com", "00u2");
    body["schemas"] = json!([
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:example:unknown:1.0"
    ]);
    assert_invalid_value(&scim.post("/Users", &body).await, "unknown schema");
    assert_invalid_value(
        &scim.put(&format!("/Users/{uid}"), &body).await,
        "unknown schema",
    );
    let group = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "displayName": "Engineering",
    });
    assert_invalid_value(&scim.post("/Groups", &group).await, "unknown schema");
    assert_eq!(listed(&scim).await, before);
}

/// KIRO-SCIM-6: a request body over 1 MiB is 413 before any handler reads it: the SCIM Error
/// body on the SCIM endpoint, an AWS JSON error on the console API; nothing is stored.
#[tokio::test]
async fn kiro_scim_6_a_body_over_1_mib_is_413_in_the_api_s_shape_and_changes_nothing() {
    let (sim, _issuer, scim) = setup().await;
    let before = listed(&scim).await;
    let mut body = okta_user("bob@example.com", "00u2");
    body["title"] = json!("T".repeat(mock_kiro::MAX_BODY_BYTES));
    let reply = scim.post("/Users", &body).await;
    let detail = format!(
        "The request body is larger than {} bytes.",
        mock_kiro::MAX_BODY_BYTES
    );
    reply.assert_scim_error(413, None, &detail);
    assert_eq!(listed(&scim).await, before);

    let reply = sim
        .console(
            reqwest::Method::POST,
            "/console/profiles",
            Some(json!({ "profileName": "T".repeat(mock_kiro::MAX_BODY_BYTES) })),
        )
        .await;
    reply.assert_aws_error(413, "ValidationException", &detail);
}
