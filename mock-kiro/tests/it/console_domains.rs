//! The console's company domains over HTTP, verified by real DNS lookups against a real
//! mock-dns on the same virtual clock: a domain is added Pending with a verification token,
//! becomes Verified once the token is published as a TXT record at
//! `_kiro-verification.{domain}` (on demand, or by the periodic check after the DNS
//! propagation delay), and can belong to one profile only, verified or not, with the same
//! refusal whoever holds it. Sign-in routes by a domain only once it is verified.
//!
//! covers: [KIRO-DOM-1, KIRO-DOM-2, KIRO-DOM-3, KIRO-DOM-4]

use crate::common;
use crate::console_support;

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use console_support::{World, world, world_with};

const T0: &str = "2026-01-01T00:00:00.000Z";

async fn add_domain(w: &World, profile: &str, name: &str) -> console_support::Reply {
    w.call(
        Method::POST,
        &format!("/console/profiles/{profile}/domains"),
        Some(json!({ "domainName": name })),
    )
    .await
}

async fn verify(w: &World, profile: &str, name: &str) -> console_support::Reply {
    w.call(
        Method::POST,
        &format!("/console/profiles/{profile}/domains/{name}/verify"),
        None,
    )
    .await
}

fn id(profile: &Value) -> String {
    profile["profileId"]
        .as_str()
        .expect("profileId")
        .to_string()
}

fn token(domain: &Value) -> String {
    domain["verificationRecord"]["value"]
        .as_str()
        .expect("token")
        .to_string()
}

#[tokio::test]
async fn kiro_dom_1_an_added_domain_is_pending_with_a_verification_token() {
    let w = world().await;
    let p = id(&w.create_profile("Acme").await);
    let domain = add_domain(&w, &p, "Acme.COM.").await.ok().clone();
    let value = token(&domain);
    let secret = value
        .strip_prefix("kiro-domain-verification=")
        .expect("token prefix");
    assert!(
        secret.len() == 32 && secret.bytes().all(|b| b.is_ascii_alphanumeric()),
        "{value}"
    );
    assert_eq!(
        domain,
        json!({
            "domainName": "acme.com",
            "status": "PENDING",
            "verificationRecord": { "type": "TXT", "name": "_kiro-verification.acme.com", "value": value },
            "createdAt": T0,
            "lastCheckedAt": null,
            "verifiedAt": null,
        })
    );
    assert_eq!(
        w.get(&format!("/console/profiles/{p}/domains/acme.com"))
            .await,
        domain
    );
    assert_eq!(
        w.get(&format!("/console/profiles/{p}/domains/ACME.com"))
            .await,
        domain
    );
    assert_eq!(
        w.get(&format!("/console/profiles/{p}/domains")).await,
        json!({ "domains": [domain] })
    );

    // Refusals change nothing.
    let before = w.get(&format!("/console/profiles/{p}/domains")).await;
    add_domain(&w, &p, "not a domain").await.assert_aws_error(
        400,
        "ValidationException",
        "not a domain is not a valid domain name.",
    );
    add_domain(&w, &p, "localhost").await.assert_aws_error(
        400,
        "ValidationException",
        "localhost is not a valid domain name.",
    );
    w.call(
        Method::POST,
        &format!("/console/profiles/{p}/domains"),
        Some(json!({ "name": "acme.org" })),
    )
    .await
    .assert_aws_error(
        400,
        "ValidationException",
        "The request body is not valid: missing field `domainName` at line 1 column 19",
    );
    add_domain(&w, "NOPE", "acme.org").await.assert_aws_error(
        404,
        "ResourceNotFoundException",
        "Profile NOPE not found",
    );
    w.call(
        Method::GET,
        &format!("/console/profiles/{p}/domains/acme.org"),
        None,
    )
    .await
    .assert_aws_error(
        404,
        "ResourceNotFoundException",
        "Domain acme.org not found",
    );
    assert_eq!(
        w.get(&format!("/console/profiles/{p}/domains")).await,
        before
    );

    // Removed: gone, and free to add again (with a new token).
    let removed = w
        .call(
            Method::DELETE,
            &format!("/console/profiles/{p}/domains/acme.com"),
            None,
        )
        .await;
    assert_eq!(removed.ok(), &domain);
    assert_eq!(
        w.get(&format!("/console/profiles/{p}/domains")).await,
        json!({ "domains": [] })
    );
    let again = add_domain(&w, &p, "acme.com").await.ok().clone();
    assert_ne!(token(&again), value);
}

#[tokio::test]
async fn kiro_dom_2_the_periodic_check_verifies_once_the_txt_record_has_propagated() {
    // DNS changes take 15 minutes to show; the console checks every 10 minutes.
    let w = world_with(Duration::from_secs(15 * 60)).await;
    let p = id(&w.create_profile("Acme").await);
    let zone = w.dns_zone("acme.com").await;
    let domain = add_domain(&w, &p, "acme.com").await.ok().clone();
    w.publish_txt(&zone, "_kiro-verification", &token(&domain))
        .await;

    // Checked now: the record has not propagated yet.
    let reply = verify(&w, &p, "acme.com").await;
    let mut expected = domain.clone();
    expected["lastCheckedAt"] = json!(T0);
    assert_eq!(reply.ok(), &expected);

    // The check at 00:10 still sees nothing.
    w.advance("10m").await;
    expected["lastCheckedAt"] = json!("2026-01-01T00:10:00.000Z");
    assert_eq!(
        w.get(&format!("/console/profiles/{p}/domains/acme.com"))
            .await,
        expected
    );

    // Published at 00:15; the check at 00:20 sees it.
    w.advance("10m").await;
    expected["status"] = json!("VERIFIED");
    expected["lastCheckedAt"] = json!("2026-01-01T00:20:00.000Z");
    expected["verifiedAt"] = json!("2026-01-01T00:20:00.000Z");
    assert_eq!(
        w.get(&format!("/console/profiles/{p}/domains/acme.com"))
            .await,
        expected
    );

    // Verified stays verified; later checks skip it.
    w.advance("1h").await;
    assert_eq!(
        w.get(&format!("/console/profiles/{p}/domains")).await,
        json!({ "domains": [expected] })
    );
}

#[tokio::test]
async fn kiro_dom_2_verify_on_demand_and_a_wrong_record_does_not_verify() {
    let w = world().await;
    let p = id(&w.create_profile("Acme").await);
    let zone = w.dns_zone("acme.com").await;
    let domain = add_domain(&w, &p, "acme.com").await.ok().clone();

    // No record yet; then a record with another value.
    let mut expected = domain.clone();
    expected["lastCheckedAt"] = json!(T0);
    assert_eq!(verify(&w, &p, "acme.com").await.ok(), &expected);
    w.publish_txt(
        &zone,
        "_kiro-verification",
        "kiro-domain-verification=somebody-else",
    )
    .await;
    w.publish_txt(&zone, "acme.com", &token(&domain)).await;
    assert_eq!(verify(&w, &p, "acme.com").await.ok(), &expected);

    // The right record, among others, at the right name.
    w.publish_txt(&zone, "_kiro-verification", &token(&domain))
        .await;
    w.advance("1m").await;
    let reply = verify(&w, &p, "ACME.COM").await;
    expected["status"] = json!("VERIFIED");
    expected["lastCheckedAt"] = json!("2026-01-01T00:01:00.000Z");
    expected["verifiedAt"] = json!("2026-01-01T00:01:00.000Z");
    assert_eq!(reply.ok(), &expected);

    verify(&w, &p, "acme.org").await.assert_aws_error(
        404,
        "ResourceNotFoundException",
        "Domain acme.org not found",
    );
    verify(&w, "NOPE", "acme.com").await.assert_aws_error(
        404,
        "ResourceNotFoundException",
        "Profile NOPE not found",
    );
}

#[tokio::test]
async fn kiro_dom_2_dns_unreachable_answers_503_and_changes_nothing() {
    let issuer = common::TestIssuer::start().await;
    // Nothing answers DNS on port 1.
    let kiro = common::start_kiro(Some("127.0.0.1:1".parse().expect("addr"))).await;
    let http = reqwest::Client::new();
    let call = |method: Method, path: String, body: Option<Value>| {
        let mut request = http
            .request(method, format!("{}{path}", kiro.url()))
            .bearer_auth(kiro.admin_token());
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let response = request.send().await.expect("sent");
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.expect("json"))
        }
    };
    let body = json!({ "profileName": "Acme", "issuerUrl": issuer.issuer, "clientId": "0oakiro" });
    let (status, profile) = call(Method::POST, "/console/profiles".into(), Some(body)).await;
    assert_eq!(status, 200, "{profile}");
    let p = id(&profile);
    let (status, domain) = call(
        Method::POST,
        format!("/console/profiles/{p}/domains"),
        Some(json!({ "domainName": "acme.com" })),
    )
    .await;
    assert_eq!(status, 200, "{domain}");

    let (status, error) = call(
        Method::POST,
        format!("/console/profiles/{p}/domains/acme.com/verify"),
        None,
    )
    .await;
    assert_eq!(
        (status, error),
        (
            503,
            json!({
                "__type": "ServiceUnavailableException",
                "message": "DNS could not be reached to look up _kiro-verification.acme.com. Try again later.",
            })
        )
    );
    let (_, after) = call(
        Method::GET,
        format!("/console/profiles/{p}/domains/acme.com"),
        None,
    )
    .await;
    assert_eq!(after, domain);

    // The periodic check (at 00:10) fails the same way and records nothing either.
    kiro.clock().advance(Duration::from_secs(10 * 60)).await;
    let (_, after) = call(
        Method::GET,
        format!("/console/profiles/{p}/domains/acme.com"),
        None,
    )
    .await;
    assert_eq!(after, domain);
}

#[tokio::test]
async fn kiro_dom_3_a_domain_belongs_to_one_profile_verified_or_not() {
    let w = world().await;
    let a = id(&w.create_profile("Acme").await);
    let b = id(&w.create_profile("Other").await);
    let zone = w.dns_zone("acme.com").await;
    let domain = add_domain(&w, &a, "acme.com").await.ok().clone();

    // Pending on A: refused on B, and on A again, whatever the spelling.
    let refused = add_domain(&w, &b, "acme.com").await;
    refused.assert_aws_error(409, "ConflictException", "This domain is already in use.");
    let pending_text = refused.text.clone();
    for (profile, name) in [(&b, "ACME.com."), (&a, "acme.com")] {
        let reply = add_domain(&w, profile, name).await;
        assert_eq!((reply.status, &reply.text), (409, &pending_text));
    }

    // Verified on A: exactly the same answer, which reveals nothing more.
    w.publish_txt(&zone, "_kiro-verification", &token(&domain))
        .await;
    assert_eq!(
        verify(&w, &a, "acme.com").await.ok()["status"],
        json!("VERIFIED")
    );
    let reply = add_domain(&w, &b, "acme.com").await;
    assert_eq!((reply.status, &reply.text), (409, &pending_text));

    // B got nothing; A's domain is unchanged (same token, still verified).
    assert_eq!(
        w.get(&format!("/console/profiles/{b}/domains")).await,
        json!({ "domains": [] })
    );
    w.call(
        Method::GET,
        &format!("/console/profiles/{b}/domains/acme.com"),
        None,
    )
    .await
    .assert_aws_error(
        404,
        "ResourceNotFoundException",
        "Domain acme.com not found",
    );
    let held = w
        .get(&format!("/console/profiles/{a}/domains/acme.com"))
        .await;
    assert_eq!(
        (token(&held), &held["status"]),
        (token(&domain), &json!("VERIFIED"))
    );
    // B cannot remove or verify A's domain either.
    w.call(
        Method::DELETE,
        &format!("/console/profiles/{b}/domains/acme.com"),
        None,
    )
    .await
    .assert_aws_error(
        404,
        "ResourceNotFoundException",
        "Domain acme.com not found",
    );
}

#[tokio::test]
async fn kiro_dom_4_only_a_verified_domain_routes_sign_in_to_its_profile() {
    let w = world().await;
    let profile = w.create_profile("Acme").await;
    let p = id(&profile);
    let zone = w.dns_zone("acme.com").await;
    let metadata = |email: &str| {
        let request = w
            .http
            .get(format!("{}/signin/metadata", w.kiro.url()))
            .query(&[("email", email)]);
        async move {
            let response = request.send().await.expect("sent");
            (
                response.status().as_u16(),
                response.json::<Value>().await.expect("json"),
            )
        }
    };
    let no_route = json!({
        "__type": "ResourceNotFoundException",
        "message": "No organization is set up for this email domain.",
    });
    assert_eq!(metadata("ada@acme.com").await, (404, no_route.clone()));

    // Added but pending: still no route.
    let domain = add_domain(&w, &p, "acme.com").await.ok().clone();
    assert_eq!(metadata("ada@acme.com").await, (404, no_route.clone()));

    // Verified by the periodic check: the company's users are sent to its IdP.
    w.publish_txt(&zone, "_kiro-verification", &token(&domain))
        .await;
    w.advance("10m").await;
    assert_eq!(
        metadata("Ada@ACME.com").await,
        (
            200,
            json!({
                "profileArn": profile["profileArn"],
                "profileName": "Acme",
                "region": "us-east-1",
                "issuerUrl": w.issuer.issuer,
                "clientId": "0oakiro",
                "scopes": ["codewhisperer:completions", "codewhisperer:conversations", "offline_access"],
            })
        )
    );
    assert_eq!(metadata("ada@other.com").await, (404, no_route.clone()));

    // Removed: no route again.
    w.call(
        Method::DELETE,
        &format!("/console/profiles/{p}/domains/acme.com"),
        None,
    )
    .await
    .ok();
    assert_eq!(metadata("ada@acme.com").await, (404, no_route));
}
