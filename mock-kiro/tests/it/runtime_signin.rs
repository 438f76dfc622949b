//! Signing in from the IDE: the email's domain routes to a profile's issuer and client id only
//! once the domain is verified by a DNS TXT record (served by a real mock-dns); after sign-in,
//! ListAvailableProfiles shows the profiles that trust the token's issuer and client and know
//! the user.
//!
//! covers: [KIRO-DOM-4, KIRO-DOM-2, OKTA-PROV-8]

use crate::common;

use reqwest::Method;
use serde_json::{Value, json};

use common::{CountingIssuer, Sim, TestIssuer, send};

const NO_ORG: &str = "No organization is set up for this email domain.";

async fn metadata(sim: &Sim, email: &str) -> common::Reply {
    let encoded = sim_core::url::encode(email);
    send(
        sim.http
            .get(sim.url(&format!("/signin/metadata?email={encoded}"))),
    )
    .await
}

/// A call to mock-dns's provider API; the `result`.
async fn dns_api(sim: &Sim, method: Method, path: &str, body: Value) -> Value {
    let dns = sim.dns.as_ref().expect("mock-dns");
    let reply = send(
        sim.http
            .request(method, format!("{}/client/v4{path}", dns.api_url()))
            .bearer_auth(dns.api_token())
            .json(&body),
    )
    .await;
    assert_eq!(reply.body["success"], json!(true), "{reply:?}");
    reply.body["result"].clone()
}

#[tokio::test]
async fn kiro_dom_4_only_a_verified_domain_routes_sign_in_to_its_profile() {
    let sim = Sim::start_with_dns().await;
    let issuer = TestIssuer::start().await;
    let profile = sim.create_profile("Acme", &issuer.issuer, "0oakiro").await;
    let profile_id = profile["profileId"].as_str().expect("profileId");
    let arn = profile["profileArn"].as_str().expect("profileArn");

    metadata(&sim, "ada@example.com").await.assert_aws_error(
        404,
        "ResourceNotFoundException",
        NO_ORG,
    );

    // Added but pending: still no route.
    let domain = sim
        .console(
            Method::POST,
            &format!("/console/profiles/{profile_id}/domains"),
            Some(json!({ "domainName": "example.com" })),
        )
        .await
        .expect(200)
        .clone();
    assert_eq!(domain["status"], json!("PENDING"));
    metadata(&sim, "ada@example.com").await.assert_aws_error(
        404,
        "ResourceNotFoundException",
        NO_ORG,
    );

    // Published in DNS and verified: the sign-in routes.
    let zone = dns_api(
        &sim,
        Method::POST,
        "/zones",
        json!({ "name": "example.com" }),
    )
    .await;
    let zone_id = zone["id"].as_str().expect("zone id");
    let record = &domain["verificationRecord"];
    dns_api(
        &sim,
        Method::POST,
        &format!("/zones/{zone_id}/dns_records"),
        json!({ "type": "TXT", "name": record["name"], "content": record["value"], "ttl": 60 }),
    )
    .await;
    let verified = sim
        .console(
            Method::POST,
            &format!("/console/profiles/{profile_id}/domains/example.com/verify"),
            None,
        )
        .await;
    assert_eq!(verified.expect(200)["status"], json!("VERIFIED"));

    let expected = json!({
        "profileArn": arn,
        "profileName": "Acme",
        "region": "us-east-1",
        "issuerUrl": issuer.issuer,
        "clientId": "0oakiro",
        "scopes": ["codewhisperer:completions", "codewhisperer:conversations", "offline_access"],
    });
    for email in ["ada@example.com", "Ada.Lovelace@EXAMPLE.com"] {
        let reply = metadata(&sim, email).await;
        assert_eq!(reply.expect(200), &expected, "{email}");
    }
    // Other domains (sub-domains included) do not route; an email is required.
    for email in [
        "ada@example.org",
        "ada@eu.example.com",
        "ada",
        "example.com",
    ] {
        metadata(&sim, email)
            .await
            .assert_aws_error(404, "ResourceNotFoundException", NO_ORG);
    }
    for path in [
        "/signin/metadata",
        "/signin/metadata?email=",
        "/signin/metadata?mail=ada@example.com",
    ] {
        send(sim.http.get(sim.url(path))).await.assert_aws_error(
            400,
            "ValidationException",
            "email is required.",
        );
    }
}

#[tokio::test]
async fn okta_prov_8_list_available_profiles_shows_the_profiles_of_the_tokens_issuer_and_client_that_know_the_user()
 {
    let sim = Sim::start().await;
    let issuer = CountingIssuer::start(&[0, 1]).await;
    let other_issuer = CountingIssuer::start(&[1]).await;
    // Acme and Beta trust the Kiro app; Gamma another app of the same issuer; Delta another
    // issuer. Ada is provisioned in Acme, Gamma and Delta, not Beta.
    let acme = sim.create_profile("Acme", &issuer.issuer, "0oakiro").await;
    let beta = sim.create_profile("Beta", &issuer.issuer, "0oakiro").await;
    let gamma = sim
        .create_profile("Gamma", &issuer.issuer, "0oagamma")
        .await;
    let delta = sim
        .create_profile("Delta", &other_issuer.issuer, "0oakiro")
        .await;
    for profile in [&acme, &gamma, &delta] {
        sim.scim_for(profile)
            .await
            .create_user("ada@example.com", "00uada")
            .await;
    }
    sim.scim_for(&beta)
        .await
        .create_user("bob@example.com", "00ubob")
        .await;

    let now = sim.now_unix().await;
    let list = |token: String| {
        let request = sim
            .http
            .post(sim.url("/ListAvailableProfiles"))
            .bearer_auth(token)
            .json(&json!({ "maxResults": 10 }));
        send(request)
    };
    let entry = |p: &Value| json!({ "arn": p["profileArn"], "profileName": p["profileName"], "region": "us-east-1" });
    let scopes = ["openid", "codewhisperer:completions"];

    let kiro_token = issuer.sign(
        0,
        &issuer.claims("0oakiro", "00uada", "ada@example.com", now, &scopes),
    );
    assert_eq!(
        list(kiro_token).await.expect(200),
        &json!({ "profiles": [entry(&acme)] })
    );
    let gamma_token = issuer.sign(
        1,
        &issuer.claims("0oagamma", "00uada", "ada@example.com", now, &scopes),
    );
    assert_eq!(
        list(gamma_token).await.expect(200),
        &json!({ "profiles": [entry(&gamma)] })
    );
    let delta_token = other_issuer.sign(
        1,
        &other_issuer.claims("0oakiro", "00uada", "ada@example.com", now, &scopes),
    );
    assert_eq!(
        list(delta_token).await.expect(200),
        &json!({ "profiles": [entry(&delta)] })
    );
    let bob_token = issuer.sign(
        0,
        &issuer.claims("0oakiro", "00ubob", "bob@example.com", now, &scopes),
    );
    assert_eq!(
        list(bob_token).await.expect(200),
        &json!({ "profiles": [entry(&beta)] })
    );

    // A client no profile knows, a key the other issuer does not publish, an issuer no
    // profile trusts: refused as invalid tokens.
    let unknown_client = issuer.sign(
        0,
        &issuer.claims("0oaunknown", "00uada", "ada@example.com", now, &scopes),
    );
    let wrong_key = other_issuer.sign(
        0,
        &other_issuer.claims("0oakiro", "00uada", "ada@example.com", now, &scopes),
    );
    let stranger = TestIssuer::start().await;
    let stranger_token = stranger.sign(
        0,
        &stranger.claims("0oakiro", "00uada", "ada@example.com", now, &scopes),
    );
    for token in [unknown_client, wrong_key, stranger_token] {
        let reply = list(token).await;
        reply.assert_aws_error(
            401,
            "InvalidTokenException",
            "The bearer token is invalid or expired.",
        );
        assert_eq!(
            reply.header("www-authenticate"),
            "Bearer error=\"invalid_token\""
        );
    }
}
