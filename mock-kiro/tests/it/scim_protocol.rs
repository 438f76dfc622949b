//! The SCIM endpoint as a protocol: bearer authentication with the console's SCIM access
//! tokens (a revoked token is refused on the very next request), the per-tenant throttle
//! (429 with `Retry-After` to the next world minute), error bodies in the SCIM Error schema,
//! content types, and the discovery documents advertising only what is supported.
//!
//! covers: [KIRO-TOK-1, KIRO-SCIM-1, KIRO-SCIM-2, OKTA-PROV-1]

use crate::common;

use reqwest::Method;
use serde_json::{Value, json};

use common::{Scim, Sim, TestIssuer, okta_user, send};

const UNAUTHORIZED: &str = "Authorization header is invalid or missing. This error also occurs if the tenant ID is incorrect.";
const UNPARSABLE: &str = "Request is unparsable, syntactically incorrect, or violates schema.";

async fn setup() -> (Sim, TestIssuer, Value, Scim) {
    let sim = Sim::start().await;
    let issuer = TestIssuer::start().await;
    let profile = sim.create_profile("Acme", &issuer.issuer, "0oakiro").await;
    let scim = sim.scim_for(&profile).await;
    (sim, issuer, profile, scim)
}

async fn set_rate_limit(sim: &Sim, body: Value) -> common::Reply {
    send(
        sim.http
            .put(sim.url("/_sim/kiro/scim-rate-limit"))
            .json(&body),
    )
    .await
}

#[tokio::test]
async fn kiro_tok_1_scim_needs_a_live_token_of_the_tenant_and_a_revoked_one_is_refused_at_once() {
    let (sim, issuer, profile, scim) = setup().await;
    let profile_id = profile["profileId"].as_str().expect("profileId");

    // Okta's "Test API Credentials" with a good token.
    assert_eq!(scim.get("/Users?count=1").await.status, 200);

    for token in [None, Some("not-a-token"), Some("")] {
        let reply = scim.call_as(token, Method::GET, "/Users", None).await;
        reply.assert_scim_error(401, None, UNAUTHORIZED);
        assert_eq!(reply.header("www-authenticate"), "Bearer");
    }
    let basic = send(
        scim.http
            .get(format!("{}/Users", scim.base))
            .basic_auth("admin", Some(&scim.token)),
    )
    .await;
    basic.assert_scim_error(401, None, UNAUTHORIZED);

    // A token is good only for its own tenant.
    let other = sim
        .create_profile("Other", &issuer.issuer, "0oaother")
        .await;
    let other_scim = sim.scim_for(&other).await;
    let crossed = Scim {
        http: scim.http.clone(),
        base: other_scim.base.clone(),
        token: scim.token.clone(),
    };
    crossed
        .get("/Users")
        .await
        .assert_scim_error(401, None, UNAUTHORIZED);
    // And a refused request changes nothing.
    crossed
        .post("/Users", &okta_user("eve@example.com", "00ueve"))
        .await
        .assert_scim_error(401, None, UNAUTHORIZED);
    assert_eq!(
        other_scim.get("/Users").await.expect(200)["totalResults"],
        json!(0)
    );

    // Two tokens; revoking one refuses it on the very next request, the other keeps working.
    let (second_id, second) = sim.scim_token(profile_id).await;
    let by_second = Scim {
        http: scim.http.clone(),
        base: scim.base.clone(),
        token: second,
    };
    assert_eq!(
        by_second
            .create_user("ada@example.com", "00uada")
            .await
            .len(),
        47
    );
    let revoked = sim
        .console(
            Method::DELETE,
            &format!("/console/profiles/{profile_id}/scim-tokens/{second_id}"),
            None,
        )
        .await;
    assert_eq!(revoked.expect(200)["status"], json!("REVOKED"));
    by_second
        .get("/Users")
        .await
        .assert_scim_error(401, None, UNAUTHORIZED);
    by_second
        .post("/Users", &okta_user("bob@example.com", "00ubob"))
        .await
        .assert_scim_error(401, None, UNAUTHORIZED);
    let users = scim.get("/Users").await.expect(200).clone();
    assert_eq!(users["totalResults"], json!(1));
    assert_eq!(users["Resources"][0]["userName"], json!("ada@example.com"));

    // Even the discovery documents and unknown endpoints need the token.
    for path in [
        "/ServiceProviderConfig",
        "/Schemas",
        "/ResourceTypes",
        "/Bulk",
        "/Me",
    ] {
        scim.call_as(None, Method::GET, path, None)
            .await
            .assert_scim_error(401, None, UNAUTHORIZED);
    }
}

#[tokio::test]
async fn kiro_scim_2_a_tenant_over_its_limit_gets_429_with_retry_after_to_the_next_world_minute() {
    let (sim, issuer, _profile, scim) = setup().await;
    let other = sim
        .create_profile("Other", &issuer.issuer, "0oaother")
        .await;
    let other_scim = sim.scim_for(&other).await;

    // Default: unlimited.
    let limit = send(sim.http.get(sim.url("/_sim/kiro/scim-rate-limit"))).await;
    assert_eq!(limit.expect(200), &json!({ "per_minute": null }));
    for _ in 0..10 {
        assert_eq!(scim.get("/Users").await.status, 200);
    }

    // Bad settings are refused and change nothing.
    for bad in [
        json!({}),
        json!({ "per_minute": 0 }),
        json!({ "per_minute": -1 }),
        json!({ "per_minute": "5" }),
    ] {
        let reply = set_rate_limit(&sim, bad.clone()).await;
        assert_eq!(reply.status, 400, "{bad} {reply:?}");
        assert_eq!(reply.body["error"], json!("invalid_request"));
    }
    assert_eq!(
        send(sim.http.get(sim.url("/_sim/kiro/scim-rate-limit")))
            .await
            .expect(200),
        &json!({ "per_minute": null })
    );

    sim.advance("15s").await;
    assert_eq!(
        set_rate_limit(&sim, json!({ "per_minute": 3 }))
            .await
            .expect(200),
        &json!({ "per_minute": 3 })
    );
    for _ in 0..3 {
        assert_eq!(scim.get("/Users").await.status, 200);
    }
    let throttled = scim
        .post("/Users", &okta_user("ada@example.com", "00uada"))
        .await;
    throttled.assert_scim_error(429, None, "Too many requests exceeded the limits.");
    assert_eq!(throttled.header("retry-after"), "45");
    // Per tenant: the other one still has its budget.
    assert_eq!(other_scim.get("/Users").await.status, 200);
    // Requests without a valid token are refused as such and do not count.
    scim.call_as(Some("nope"), Method::GET, "/Users", None)
        .await
        .assert_scim_error(401, None, UNAUTHORIZED);

    sim.advance("44s").await;
    let still = scim.get("/Users").await;
    still.assert_scim_error(429, None, "Too many requests exceeded the limits.");
    assert_eq!(still.header("retry-after"), "1");
    sim.advance("1s").await;
    // A new world minute: the throttled create had changed nothing.
    assert_eq!(
        scim.get("/Users").await.expect(200)["totalResults"],
        json!(0)
    );

    assert_eq!(
        set_rate_limit(&sim, json!({ "per_minute": null }))
            .await
            .expect(200),
        &json!({ "per_minute": null })
    );
    for _ in 0..10 {
        assert_eq!(scim.get("/Users").await.status, 200);
    }
}

#[tokio::test]
async fn kiro_scim_2_errors_carry_the_scim_error_schema_and_bodies_are_json() {
    let (_sim, _issuer, _profile, scim) = setup().await;

    // Malformed JSON.
    for body in ["{", "not json", "", "[1,2"] {
        let reply = send(
            scim.http
                .post(format!("{}/Users", scim.base))
                .bearer_auth(&scim.token)
                .header("content-type", "application/scim+json")
                .body(body),
        )
        .await;
        reply.assert_scim_error(400, Some("invalidSyntax"), UNPARSABLE);
    }
    // Not an object.
    scim.post("/Users", &json!(["a"])).await.assert_scim_error(
        400,
        Some("invalidValue"),
        UNPARSABLE,
    );
    // A PATCH that is not a PatchOp.
    let id = scim.create_user("ada@example.com", "00uada").await;
    for body in [
        json!({ "Operations": [{ "op": "replace", "value": { "active": false } }] }),
        json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [] }),
        json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"] }),
        json!({ "active": false }),
    ] {
        scim.patch(&format!("/Users/{id}"), &body)
            .await
            .assert_scim_error(400, Some("invalidSyntax"), UNPARSABLE);
    }
    assert_eq!(
        scim.get(&format!("/Users/{id}")).await.expect(200)["active"],
        json!(true)
    );

    // Both JSON media types are accepted; others are not.
    let plain_json = send(
        scim.http
            .post(format!("{}/Users", scim.base))
            .bearer_auth(&scim.token)
            .header("content-type", "application/json; charset=utf-8")
            .body(okta_user("bob@example.com", "00ubob").to_string()),
    )
    .await;
    assert_eq!(plain_json.status, 201, "{plain_json:?}");
    assert_eq!(plain_json.header("content-type"), "application/scim+json");
    let text = send(
        scim.http
            .post(format!("{}/Users", scim.base))
            .bearer_auth(&scim.token)
            .header("content-type", "text/plain")
            .body(okta_user("carol@example.com", "00ucarol").to_string()),
    )
    .await;
    text.assert_scim_error(
        415,
        None,
        "The request body must be application/scim+json or application/json.",
    );

    // Unknown endpoints and unsupported operations.
    let tenant_path = format!("/{}", scim.base.splitn(4, '/').nth(3).expect("path"));
    for path in ["/Bulk", "/Me", "/.search"] {
        let reply = scim.call(Method::POST, path, Some(&json!({}))).await;
        reply.assert_scim_error(
            400,
            None,
            &format!("{UNPARSABLE} This error also occurs if the operation is unsupported: POST {tenant_path}{path}."),
        );
    }
    scim.call(Method::GET, "/Nothing", None)
        .await
        .assert_scim_error(
            404,
            None,
            &format!("The SCIM endpoint {tenant_path}/Nothing is not supported."),
        );
    for (method, path) in [
        (Method::POST, format!("/Users/{id}")),
        (Method::PUT, "/Users".to_string()),
        (Method::DELETE, "/Schemas".to_string()),
    ] {
        let reply = scim.call(method.clone(), &path, Some(&json!({}))).await;
        reply.assert_scim_error(
            400,
            None,
            &format!("{UNPARSABLE} This error also occurs if the operation is unsupported: {method} {tenant_path}{path}."),
        );
    }
    assert_eq!(
        scim.get("/Users").await.expect(200)["totalResults"],
        json!(2)
    );
}

#[tokio::test]
async fn kiro_scim_1_the_discovery_documents_advertise_only_what_is_supported() {
    let (_sim, _issuer, _profile, scim) = setup().await;
    let spc = scim.get("/ServiceProviderConfig").await;
    assert_eq!(spc.header("content-type"), "application/scim+json");
    assert_eq!(
        spc.expect(200),
        &json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "documentationUri": "https://docs.aws.amazon.com/singlesignon/latest/developerguide/what-is-scim.html",
            "patch": { "supported": true },
            "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
            "filter": { "supported": true, "maxResults": 100 },
            "changePassword": { "supported": false },
            "sort": { "supported": false },
            "etag": { "supported": false },
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "Authentication with the SCIM access token generated in the Kiro console.",
                "specUri": "https://www.rfc-editor.org/info/rfc6750",
                "primary": true,
            }],
            "meta": { "resourceType": "ServiceProviderConfig" },
        })
    );

    let user_urn = "urn:ietf:params:scim:schemas:core:2.0:User";
    let group_urn = "urn:ietf:params:scim:schemas:core:2.0:Group";
    let enterprise_urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let schemas = scim.get("/Schemas").await.expect(200).clone();
    assert_eq!(
        schemas["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
    );
    assert_eq!(schemas["totalResults"], json!(3));
    let ids: Vec<&str> = schemas["Resources"]
        .as_array()
        .expect("Resources")
        .iter()
        .map(|s| s["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, [user_urn, group_urn, enterprise_urn]);

    let user = scim
        .get(&format!("/Schemas/{user_urn}"))
        .await
        .expect(200)
        .clone();
    assert_eq!(user, schemas["Resources"][0]);
    let attr = |name: &str| -> Value {
        user["attributes"]
            .as_array()
            .expect("attributes")
            .iter()
            .find(|a| a["name"] == name)
            .cloned()
            .unwrap_or(Value::Null)
    };
    for required in ["userName", "displayName", "name"] {
        assert_eq!(attr(required)["required"], json!(true), "{required}");
    }
    assert_eq!(attr("userName")["uniqueness"], json!("server"));
    let name_subs = attr("name")["subAttributes"].clone();
    for sub in name_subs.as_array().expect("subAttributes") {
        let required = sub["name"] == "givenName" || sub["name"] == "familyName";
        assert_eq!(sub["required"], json!(required), "{sub}");
    }
    for multi in ["emails", "phoneNumbers", "addresses"] {
        assert_eq!(attr(multi)["multiValued"], json!(true), "{multi}");
    }
    // Nothing IdC does not keep (no password, groups, x509Certificates, …).
    for absent in [
        "password",
        "groups",
        "entitlements",
        "roles",
        "x509Certificates",
        "ims",
        "photos",
    ] {
        assert_eq!(attr(absent), Value::Null, "{absent}");
    }
    assert_eq!(
        scim.get(&format!("/Schemas/{group_urn}")).await.expect(200)["attributes"]
            .as_array()
            .expect("attributes")
            .iter()
            .map(|a| a["name"].clone())
            .collect::<Vec<_>>(),
        vec![json!("displayName"), json!("members")]
    );
    scim.get("/Schemas/urn:nope")
        .await
        .assert_scim_error(404, None, "Schema urn:nope not found.");

    let types = scim.get("/ResourceTypes").await.expect(200).clone();
    assert_eq!(types["totalResults"], json!(2));
    assert_eq!(
        types["Resources"][0],
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "User Account",
            "schema": user_urn,
            "schemaExtensions": [{ "schema": enterprise_urn, "required": false }],
            "meta": { "resourceType": "ResourceType" },
        })
    );
    assert_eq!(types["Resources"][1]["endpoint"], json!("/Groups"));
    assert_eq!(
        scim.get("/ResourceTypes/Group").await.expect(200),
        &types["Resources"][1]
    );
    scim.get("/ResourceTypes/Device").await.assert_scim_error(
        404,
        None,
        "Resource type Device not found.",
    );
}
