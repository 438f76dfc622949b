//! The console's SCIM access tokens over HTTP: generated in the console and shown once (the
//! listing never shows a secret), long-lived (a year), never rotated, revoked with a button
//! (status REVOKED at once), expired after a year of world time.
//!
//! covers: [KIRO-TOK-1]

use crate::console_support;

use reqwest::Method;
use serde_json::{Value, json};

use console_support::world;

const T0: &str = "2026-01-01T00:00:00.000Z";
const YEAR_LATER: &str = "2027-01-01T00:00:00.000Z";

#[tokio::test]
async fn kiro_tok_1_a_token_is_shown_once_listed_without_its_secret_and_revoked() {
    let w = world().await;
    let p = w.create_profile("Acme").await["profileId"]
        .as_str()
        .expect("id")
        .to_string();
    let path = format!("/console/profiles/{p}/scim-tokens");

    let first = w.call(Method::POST, &path, None).await.ok().clone();
    let secret = first["token"].as_str().expect("token").to_string();
    assert!(
        secret.len() >= 40 && secret.bytes().all(|b| b.is_ascii_alphanumeric()),
        "{secret}"
    );
    let first_id = first["tokenId"].as_str().expect("tokenId").to_string();
    assert_eq!(
        first,
        json!({ "tokenId": first_id, "token": secret, "createdAt": T0, "expiresAt": YEAR_LATER })
    );
    w.advance("1h").await;
    let second = w.call(Method::POST, &path, None).await.ok().clone();
    let second_id = second["tokenId"].as_str().expect("tokenId").to_string();
    assert_ne!(second_id, first_id);
    assert_ne!(second["token"], first["token"]);

    let meta = |id: &str, created: &str, expires: &str, status: &str| json!({ "tokenId": id, "createdAt": created, "expiresAt": expires, "lastUsedAt": null, "status": status });
    let listing = w.call(Method::GET, &path, None).await;
    assert_eq!(
        listing.ok(),
        &json!({ "tokens": [
            meta(&first_id, T0, YEAR_LATER, "ACTIVE"),
            meta(&second_id, "2026-01-01T01:00:00.000Z", "2027-01-01T01:00:00.000Z", "ACTIVE"),
        ]})
    );
    assert!(
        !listing.text.contains(&secret),
        "the listing never shows a secret"
    );
    assert!(
        !listing
            .text
            .contains(second["token"].as_str().expect("token"))
    );

    // Revoked: REVOKED at once, in the answer and the listing; revoking again is harmless.
    let revoked = w
        .call(Method::DELETE, &format!("{path}/{first_id}"), None)
        .await;
    assert_eq!(revoked.ok(), &meta(&first_id, T0, YEAR_LATER, "REVOKED"));
    assert!(!revoked.text.contains(&secret));
    let again = w
        .call(Method::DELETE, &format!("{path}/{first_id}"), None)
        .await;
    assert_eq!(again.ok(), &meta(&first_id, T0, YEAR_LATER, "REVOKED"));
    let listing = w.get(&path).await;
    assert_eq!(listing["tokens"][0]["status"], json!("REVOKED"));
    assert_eq!(listing["tokens"][1]["status"], json!("ACTIVE"));

    // Refusals change nothing.
    w.call(Method::DELETE, &format!("{path}/no-such-token"), None)
        .await
        .assert_aws_error(
            404,
            "ResourceNotFoundException",
            "Token no-such-token not found",
        );
    w.call(Method::POST, "/console/profiles/NOPE/scim-tokens", None)
        .await
        .assert_aws_error(404, "ResourceNotFoundException", "Profile NOPE not found");
    w.call_as(None, Method::DELETE, &format!("{path}/{second_id}"), None)
        .await
        .assert_aws_error(
            401,
            "UnauthorizedException",
            "The admin token is missing or invalid.",
        );
    w.call_as(Some(&secret), Method::GET, &path, None)
        .await
        .assert_aws_error(
            401,
            "UnauthorizedException",
            "The admin token is missing or invalid.",
        );
    assert_eq!(w.get(&path).await, listing);

    // Never rotated; a year on, the live one has expired.
    w.advance("365days").await;
    let statuses: Vec<Value> = w.get(&path).await["tokens"]
        .as_array()
        .expect("tokens")
        .iter()
        .map(|t| t["status"].clone())
        .collect();
    assert_eq!(statuses, vec![json!("REVOKED"), json!("EXPIRED")]);
}

#[tokio::test]
async fn kiro_tok_1_a_revoked_token_is_refused_by_the_scim_endpoint_at_once() {
    let w = world().await;
    let profile = w.create_profile("Acme").await;
    let p = profile["profileId"].as_str().expect("id").to_string();
    let base = profile["scimEndpoint"]
        .as_str()
        .expect("scimEndpoint")
        .trim_end_matches('/')
        .to_string();
    let created = w
        .call(
            Method::POST,
            &format!("/console/profiles/{p}/scim-tokens"),
            None,
        )
        .await
        .ok()
        .clone();
    let (token_id, secret) = (
        created["tokenId"].as_str().expect("tokenId").to_string(),
        created["token"].as_str().expect("token").to_string(),
    );

    // Okta's "Test API Credentials": the token works; the console shows when it was last used.
    w.advance("5m").await;
    let reply = w
        .scim(
            &base,
            &secret,
            Method::GET,
            "/Users?filter=userName%20eq%20%22x%22",
            None,
        )
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let listing = w.get(&format!("/console/profiles/{p}/scim-tokens")).await;
    assert_eq!(
        listing,
        json!({ "tokens": [{
            "tokenId": token_id, "createdAt": T0, "expiresAt": YEAR_LATER,
            "lastUsedAt": "2026-01-01T00:05:00.000Z", "status": "ACTIVE",
        }]})
    );

    // Revoked: the very next request is refused; a new token works.
    w.call(
        Method::DELETE,
        &format!("/console/profiles/{p}/scim-tokens/{token_id}"),
        None,
    )
    .await
    .ok();
    let reply = w.scim(&base, &secret, Method::GET, "/Users", None).await;
    assert_eq!(reply.status, 401, "{reply:?}");
    let fresh = w.scim_token(&p).await;
    let reply = w.scim(&base, &fresh, Method::GET, "/Users", None).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    // The admin token is not a SCIM token, nor the other way round.
    let reply = w
        .scim(&base, w.kiro.admin_token(), Method::GET, "/Users", None)
        .await;
    assert_eq!(reply.status, 401, "{reply:?}");
}
