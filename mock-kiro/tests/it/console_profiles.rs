//! The console's profiles over HTTP: a profile connects an external IdP by issuer URI and
//! client id, and is created only when the issuer serves a discovery document that checks out;
//! deleting a profile drops everything held for it, so a re-created profile starts empty with
//! a new SCIM tenant. Also the console's admin token. Every refusal answers an exact AWS JSON
//! error and changes nothing.
//!
//! covers: [KIRO-PRO-1, KIRO-PRO-2]

use crate::console_support;

use reqwest::Method;
use serde_json::json;

use console_support::world;

const T0: &str = "2026-01-01T00:00:00.000Z";

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

#[tokio::test]
async fn kiro_pro_1_a_profile_connects_an_issuer_whose_discovery_checks_out() {
    let w = world().await;
    let reply = w
        .call(
            Method::POST,
            "/console/profiles",
            Some(json!({ "profileName": "Acme", "issuerUrl": w.issuer.issuer, "clientId": "0oakiro" })),
        )
        .await;
    let profile = reply.ok().clone();
    let id = profile["profileId"]
        .as_str()
        .expect("profileId")
        .to_string();
    assert_eq!(id.len(), 12, "{id}");
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
        "{id}"
    );
    let arn = profile["profileArn"]
        .as_str()
        .expect("profileArn")
        .to_string();
    let account = arn
        .strip_prefix("arn:aws:codewhisperer:us-east-1:")
        .and_then(|rest| rest.strip_suffix(&format!(":profile/{id}")))
        .expect("ARN shape");
    assert!(
        account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()),
        "{arn}"
    );
    let scim = profile["scimEndpoint"]
        .as_str()
        .expect("scimEndpoint")
        .to_string();
    let tenant = scim
        .strip_prefix(&format!("{}/", w.kiro.url()))
        .and_then(|rest| rest.strip_suffix("/scim/v2/"))
        .expect("SCIM endpoint shape");
    assert!(is_uuid(tenant), "{scim}");
    assert_eq!(
        profile,
        json!({
            "profileArn": arn,
            "profileId": id,
            "profileName": "Acme",
            "region": "us-east-1",
            "identitySource": {
                "type": "EXTERNAL_IDP",
                "provider": "OKTA",
                "issuerUrl": w.issuer.issuer,
                "clientId": "0oakiro",
            },
            "scimEndpoint": scim,
            "status": "ACTIVE",
            "createdAt": T0,
        })
    );

    // Read back by id, by ARN, and in the list.
    assert_eq!(w.get(&format!("/console/profiles/{id}")).await, profile);
    assert_eq!(
        w.get(&format!("/console/profiles/{}", arn.replace('/', "%2F")))
            .await,
        profile
    );
    assert_eq!(
        w.get("/console/profiles").await,
        json!({ "profiles": [profile] })
    );
    // The settings page shows the same SCIM endpoint.
    assert_eq!(
        w.get(&format!("/console/profiles/{id}/settings")).await["scimEndpoint"],
        json!(scim)
    );
}

#[tokio::test]
async fn kiro_pro_1_an_issuer_without_a_usable_discovery_document_is_refused() {
    let w = world().await;
    let existing = w.create_profile("Existing").await;
    let before = w.get("/console/profiles").await;
    let create = |issuer: &str, name: &str| json!({ "profileName": name, "issuerUrl": issuer, "clientId": "0oakiro" });
    let base = w
        .issuer
        .issuer
        .trim_end_matches("/oauth2/aus_test")
        .to_string();

    // The issuer answers 404 for discovery.
    let missing = format!("{base}/oauth2/nope");
    let reply = w
        .call(
            Method::POST,
            "/console/profiles",
            Some(create(&missing, "Acme")),
        )
        .await;
    reply.assert_aws_error(
        400,
        "ValidationException",
        &format!(
            "Issuer URI {missing} cannot be used: {missing}/.well-known/openid-configuration answered 404 Not Found"
        ),
    );

    // The discovery document names another issuer (the trailing slash Okta never puts there).
    let slash = format!("{}/", w.issuer.issuer);
    let reply = w
        .call(
            Method::POST,
            "/console/profiles",
            Some(create(&slash, "Acme")),
        )
        .await;
    reply.assert_aws_error(
        400,
        "ValidationException",
        &format!(
            "Issuer URI {slash} cannot be used: the discovery document's issuer is {:?}, not {slash:?}",
            w.issuer.issuer
        ),
    );

    // Nothing listens there.
    let reply = w
        .call(
            Method::POST,
            "/console/profiles",
            Some(create("http://127.0.0.1:1/oauth2/x", "Acme")),
        )
        .await;
    assert_eq!(
        (reply.status, &reply.body["__type"]),
        (400, &json!("ValidationException")),
        "{reply:?}"
    );
    let message = reply.body["message"].as_str().expect("message");
    assert!(
        message.starts_with(
            "Issuer URI http://127.0.0.1:1/oauth2/x cannot be used: could not fetch http://127.0.0.1:1/oauth2/x/.well-known/openid-configuration"
        ),
        "{message}"
    );

    // Refused before anything is fetched.
    let reply = w
        .call(
            Method::POST,
            "/console/profiles",
            Some(create("ftp://idp.example.com", "Acme")),
        )
        .await;
    reply.assert_aws_error(
        400,
        "ValidationException",
        "Issuer URI must be an http(s) URL.",
    );
    let reply = w
        .call(
            Method::POST,
            "/console/profiles",
            Some(create(&w.issuer.issuer, " ")),
        )
        .await;
    reply.assert_aws_error(
        400,
        "ValidationException",
        "Profile name must be 1 to 100 characters.",
    );
    let reply = w
        .call(
            Method::POST,
            "/console/profiles",
            Some(json!({ "profileName": "Acme", "issuerUrl": w.issuer.issuer, "clientId": "  " })),
        )
        .await;
    reply.assert_aws_error(400, "ValidationException", "Client ID is required.");
    let reply = w
        .call(
            Method::POST,
            "/console/profiles",
            Some(create(&w.issuer.issuer, "Existing")),
        )
        .await;
    reply.assert_aws_error(
        409,
        "ConflictException",
        "A profile named Existing already exists.",
    );
    let reply = w
        .call(
            Method::POST,
            "/console/profiles",
            Some(json!({ "profileName": "Acme", "issuerUrl": w.issuer.issuer })),
        )
        .await;
    assert_eq!(
        (reply.status, &reply.body["__type"]),
        (400, &json!("ValidationException")),
        "{reply:?}"
    );
    let message = reply.body["message"].as_str().expect("message");
    assert!(
        message.starts_with("The request body is not valid: missing field `clientId`"),
        "{message}"
    );

    assert_eq!(w.get("/console/profiles").await, before);
    assert_eq!(before["profiles"], json!([existing]));
}

#[tokio::test]
async fn kiro_pro_1_the_console_requires_the_admin_token() {
    let w = world().await;
    let body =
        json!({ "profileName": "Acme", "issuerUrl": w.issuer.issuer, "clientId": "0oakiro" });
    for token in [None, Some("wrong"), Some("")] {
        let reply = w
            .call_as(token, Method::POST, "/console/profiles", Some(body.clone()))
            .await;
        reply.assert_aws_error(
            401,
            "UnauthorizedException",
            "The admin token is missing or invalid.",
        );
        let reply = w
            .call_as(token, Method::GET, "/console/profiles", None)
            .await;
        reply.assert_aws_error(
            401,
            "UnauthorizedException",
            "The admin token is missing or invalid.",
        );
    }
    // The right token under another scheme is not a bearer token.
    let reply = w
        .http
        .get(format!("{}/console/profiles", w.kiro.url()))
        .header("authorization", format!("Basic {}", w.kiro.admin_token()))
        .send()
        .await
        .expect("sent");
    assert_eq!(reply.status().as_u16(), 401);
    assert_eq!(reply.headers()["x-amzn-errortype"], "UnauthorizedException");
    // Nothing was created; the token is checked before the path (unknown profile: still 401).
    assert_eq!(w.get("/console/profiles").await, json!({ "profiles": [] }));
    let reply = w
        .call_as(
            Some("wrong"),
            Method::DELETE,
            "/console/profiles/NOPE",
            None,
        )
        .await;
    reply.assert_aws_error(
        401,
        "UnauthorizedException",
        "The admin token is missing or invalid.",
    );
    let reply = w.call(Method::DELETE, "/console/profiles/NOPE", None).await;
    reply.assert_aws_error(404, "ResourceNotFoundException", "Profile NOPE not found");
    // Unknown operations.
    let reply = w.call(Method::PATCH, "/console/profiles", None).await;
    reply.assert_aws_error(
        405,
        "UnknownOperationException",
        "No operation at PATCH /console/profiles",
    );
    let reply = w
        .call(Method::GET, "/console/profiles/NOPE/widgets", None)
        .await;
    reply.assert_aws_error(
        404,
        "UnknownOperationException",
        "No operation at GET /console/profiles/NOPE/widgets",
    );
}

#[tokio::test]
async fn kiro_pro_2_deleting_a_profile_drops_everything_and_a_new_one_starts_empty() {
    let w = world().await;
    let old = w.create_profile("Acme").await;
    let old_id = old["profileId"].as_str().expect("id").to_string();
    let old_tenant = w.tenant(&old).await;
    let ada = w.provision_user(&old_tenant, "ada@acme.com", "00u1").await;
    let eng = w.provision_group(&old_tenant, "eng", &[&ada]).await;
    let reply = w
        .call(
            Method::POST,
            &format!("/console/profiles/{old_id}/subscriptions"),
            Some(json!({ "principalType": "GROUP", "principalId": eng, "tier": "PRO" })),
        )
        .await;
    assert_eq!(reply.ok()["seats"].as_array().map(Vec::len), Some(1));
    w.call(
        Method::POST,
        &format!("/console/profiles/{old_id}/domains"),
        Some(json!({ "domainName": "acme.com" })),
    )
    .await
    .ok();
    let settings = json!({
        "approvedModels": ["claude-sonnet-4.5"], "defaultModel": null, "mcpEnabled": false,
        "mcpRegistryUrl": null, "webToolsEnabled": false, "overagesEnabled": true,
    });
    w.call(
        Method::PUT,
        &format!("/console/profiles/{old_id}/settings"),
        Some(settings),
    )
    .await
    .ok();

    let reply = w
        .call(Method::DELETE, &format!("/console/profiles/{old_id}"), None)
        .await;
    let mut deleted = old.clone();
    deleted["status"] = json!("DELETED");
    assert_eq!(reply.ok(), &deleted);
    for path in [
        "",
        "/domains",
        "/scim-tokens",
        "/settings",
        "/subscriptions",
    ] {
        let reply = w
            .call(
                Method::GET,
                &format!("/console/profiles/{old_id}{path}"),
                None,
            )
            .await;
        reply.assert_aws_error(
            404,
            "ResourceNotFoundException",
            &format!("Profile {old_id} not found"),
        );
    }
    w.call(Method::DELETE, &format!("/console/profiles/{old_id}"), None)
        .await
        .assert_aws_error(
            404,
            "ResourceNotFoundException",
            &format!("Profile {old_id} not found"),
        );
    assert_eq!(w.get("/console/profiles").await, json!({ "profiles": [] }));
    // The old SCIM endpoint is gone with its token.
    let reply = w
        .scim(
            &old_tenant.base,
            &old_tenant.token,
            Method::GET,
            "/Users",
            None,
        )
        .await;
    assert_eq!(reply.status, 401, "{reply:?}");

    // Same name, same Okta app: a new profile, a new SCIM tenant, nothing carried over.
    let new = w.create_profile("Acme").await;
    let new_id = new["profileId"].as_str().expect("id").to_string();
    assert_ne!(new_id, old_id);
    assert_ne!(new["scimEndpoint"], old["scimEndpoint"]);
    assert_eq!(new["identitySource"], old["identitySource"]);
    assert_eq!(
        w.get(&format!("/console/profiles/{new_id}/domains")).await,
        json!({ "domains": [] })
    );
    assert_eq!(
        w.get(&format!("/console/profiles/{new_id}/scim-tokens"))
            .await,
        json!({ "tokens": [] })
    );
    assert_eq!(
        w.get(&format!("/console/profiles/{new_id}/subscriptions"))
            .await,
        json!({ "seats": [], "groupSubscriptions": [], "pendingGrants": [] })
    );
    let defaults = w.get(&format!("/console/profiles/{new_id}/settings")).await;
    assert_eq!(defaults["overagesEnabled"], json!(false));
    assert_eq!(defaults["approvedModels"].as_array().map(Vec::len), Some(4));
    // The domain was released with the old profile.
    let reply = w
        .call(
            Method::POST,
            &format!("/console/profiles/{new_id}/domains"),
            Some(json!({ "domainName": "acme.com" })),
        )
        .await;
    assert_eq!(reply.ok()["status"], json!("PENDING"));

    // Okta still holds the old token: the new tenant refuses it. The app must be
    // re-provisioned completely, with a new token, into an empty directory.
    let new_base = new["scimEndpoint"]
        .as_str()
        .expect("scimEndpoint")
        .trim_end_matches('/')
        .to_string();
    let reply = w
        .scim(&new_base, &old_tenant.token, Method::GET, "/Users", None)
        .await;
    assert_eq!(reply.status, 401, "{reply:?}");
    let new_tenant = w.tenant(&new).await;
    let users = w
        .scim(
            &new_tenant.base,
            &new_tenant.token,
            Method::GET,
            "/Users",
            None,
        )
        .await;
    assert_eq!(
        (users.status, &users.body["totalResults"]),
        (200, &json!(0)),
        "{users:?}"
    );
    let groups = w
        .scim(
            &new_tenant.base,
            &new_tenant.token,
            Method::GET,
            "/Groups",
            None,
        )
        .await;
    assert_eq!(
        (groups.status, &groups.body["totalResults"]),
        (200, &json!(0)),
        "{groups:?}"
    );
    // Old ids mean nothing here.
    let reply = w
        .call(
            Method::POST,
            &format!("/console/profiles/{new_id}/subscriptions"),
            Some(json!({ "principalType": "GROUP", "principalId": eng, "tier": "PRO" })),
        )
        .await;
    reply.assert_aws_error(
        404,
        "ResourceNotFoundException",
        &format!("Group {eng} not found"),
    );
}
