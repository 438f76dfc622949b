//! Hostile input to the SCIM endpoint over HTTP: PATCH paths nested beyond any attribute,
//! JSON nested beyond serde_json's limit, values beyond IAM Identity Center's documented
//! lengths, unknown schema URNs and oversized bodies are refused with the SCIM Error body,
//! change nothing, and leave the server answering.
//!
//! covers: [KIRO-SCIM-2]; proposed: KIRO-SCIM-4, KIRO-SCIM-5, KIRO-SCIM-6
//! (docs/new-behaviours-hostile.md)

mod common;

use serde_json::json;

use common::{Scim, Sim, TestIssuer, patch_op};

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
