//! Headless primary authentication (`POST /api/v1/authn`) in Okta's transaction shapes, MFA
//! with a TOTP factor (MFA_REQUIRED → verify → SUCCESS, MFA_ENROLL), and the factor admin
//! endpoints that enroll and activate it.
//!
//! covers: [OKTA-TOK-2, OKTA-TOK-7, OKTA-DIR-1]

use crate::oidc_support;

use oidc_support::{Kiro, PASSWORD, code_grant, jwt_parts, query_of};
use reqwest::Method;
use serde_json::{Value, json};

const T0: &str = "2026-01-01T00:00:00.000Z";
const T0_PLUS_5M: &str = "2026-01-01T00:05:00.000Z";

fn user_json(kiro: &Kiro) -> Value {
    json!({
        "id": kiro.user_id,
        "passwordChanged": T0,
        "profile": {
            "login": kiro.login,
            "firstName": "Ada",
            "lastName": "Lovelace",
            "locale": "en_US",
            "timeZone": "America/Los_Angeles",
        }
    })
}

fn other_code(code: &str) -> String {
    // A six-digit code that is not `code` (nor, in practice, a neighbouring step's).
    let n: u32 = code.parse().expect("digits");
    format!("{:06}", (n + 500_000) % 1_000_000)
}

#[tokio::test]
async fn okta_tok_2_authn_success_is_okta_s_transaction_with_a_session_token() {
    let kiro = Kiro::start(61).await;
    let reply = kiro.authn(&kiro.login, PASSWORD).await;
    let body = reply.ok();
    let token = body["sessionToken"].as_str().expect("a session token");
    assert_eq!(
        body,
        &json!({
            "expiresAt": T0_PLUS_5M,
            "status": "SUCCESS",
            "sessionToken": token,
            "_embedded": { "user": user_json(&kiro) },
        })
    );
    // The login is case-insensitive, as Okta's is.
    let reply = kiro.authn("ADA@example.com", PASSWORD).await;
    assert_eq!(reply.ok()["status"], json!("SUCCESS"));
}

#[tokio::test]
async fn okta_tok_2_authn_failures_are_e0000004_without_a_reason() {
    let kiro = Kiro::start(62).await;
    for (username, password) in [
        (kiro.login.as_str(), "Wrong-Password-1"),
        ("nobody@example.com", PASSWORD),
        (kiro.login.as_str(), ""),
    ] {
        let reply = kiro.authn(username, password).await;
        let causes = reply.okta_error(401, "E0000004", "Authentication failed");
        assert!(causes.is_empty());
    }
    let reply = kiro
        .post_json("/api/v1/authn", json!({ "username": kiro.login }))
        .await;
    reply.okta_error(401, "E0000004", "Authentication failed");
    let reply = kiro
        .send(
            kiro.http
                .post(kiro.url("/api/v1/authn"))
                .header("content-type", "application/json")
                .body("{not json"),
        )
        .await;
    reply.okta_error(400, "E0000003", "The request body was not well-formed.");

    // Only ACTIVE users sign in (OKTA-DIR-1).
    kiro.lifecycle(&kiro.user_id, "suspend").await;
    kiro.authn(&kiro.login, PASSWORD)
        .await
        .okta_error(401, "E0000004", "Authentication failed");
    kiro.lifecycle(&kiro.user_id, "unsuspend").await;
    assert_eq!(
        kiro.authn(&kiro.login, PASSWORD).await.ok()["status"],
        json!("SUCCESS")
    );
}

#[tokio::test]
async fn okta_tok_7_factor_enrollment_and_activation_follow_okta() {
    let kiro = Kiro::start(63).await;
    let path = format!("/api/v1/users/{}/factors", kiro.user_id);
    let enrolled = kiro
        .admin_post(
            &path,
            json!({ "factorType": "token:software:totp", "provider": "OKTA" }),
        )
        .await;
    let factor_id = enrolled["id"].as_str().expect("an id").to_string();
    let secret = enrolled["_embedded"]["activation"]["sharedSecret"]
        .as_str()
        .expect("a secret")
        .to_string();
    let base = format!("{}{path}/{factor_id}", kiro.base());
    assert_eq!(
        enrolled,
        json!({
            "id": factor_id,
            "factorType": "token:software:totp",
            "provider": "OKTA",
            "vendorName": "OKTA",
            "status": "PENDING_ACTIVATION",
            "created": T0,
            "lastUpdated": T0,
            "profile": { "credentialId": kiro.login },
            "_links": {
                "activate": { "href": format!("{base}/lifecycle/activate"), "hints": { "allow": ["POST"] } },
                "self": { "href": base, "hints": { "allow": ["GET"] } },
                "user": {
                    "href": format!("{}/api/v1/users/{}", kiro.base(), kiro.user_id),
                    "hints": { "allow": ["GET"] },
                },
            },
            "_embedded": { "activation": {
                "timeStep": 30,
                "sharedSecret": secret,
                "encoding": "base32",
                "keyLength": 6,
            } },
        })
    );
    assert!(
        secret
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
    );

    let activate = format!("{path}/{factor_id}/lifecycle/activate");
    let code = kiro.totp(&secret).await;
    let wrong = kiro
        .admin(
            Method::POST,
            &activate,
            Some(json!({ "passCode": other_code(&code) })),
        )
        .await;
    let causes = wrong.okta_error(403, "E0000068", "Invalid Passcode/Answer");
    assert_eq!(
        causes,
        ["Your passcode doesn't match our records. Please try again."]
    );
    let active = kiro
        .admin_post(&activate, json!({ "passCode": code }))
        .await;
    assert_eq!(active["status"], json!("ACTIVE"));
    assert!(
        active.get("_embedded").is_none(),
        "the secret is shown once"
    );
    let listed = kiro.admin(Method::GET, &path, None).await;
    assert_eq!(listed.ok().as_array().map(Vec::len), Some(1));
    assert_eq!(listed.body[0]["status"], json!("ACTIVE"));
    let one = kiro
        .admin(Method::GET, &format!("{path}/{factor_id}"), None)
        .await;
    assert_eq!(one.ok(), &listed.body[0]);

    // A second TOTP factor is refused; so are other factor types, strangers and no token.
    let again = kiro
        .admin(
            Method::POST,
            &path,
            Some(json!({ "factorType": "token:software:totp", "provider": "OKTA" })),
        )
        .await;
    assert_eq!(
        again.okta_error(
            400,
            "E0000001",
            "Api validation failed: factorEnrollRequest"
        ),
        ["A factor of this type is already set up."]
    );
    let sms = kiro
        .admin(
            Method::POST,
            &path,
            Some(json!({ "factorType": "sms", "provider": "OKTA" })),
        )
        .await;
    sms.okta_error(
        400,
        "E0000001",
        "Api validation failed: factorEnrollRequest",
    );
    let stranger = kiro
        .admin(
            Method::GET,
            "/api/v1/users/00unosuchuser0000000/factors",
            None,
        )
        .await;
    stranger.okta_error(
        404,
        "E0000007",
        "Not found: Resource not found: 00unosuchuser0000000 (User)",
    );
    let anonymous = kiro.get(&path).await;
    anonymous.okta_error(401, "E0000011", "Invalid token provided");
}

#[tokio::test]
async fn okta_tok_7_mfa_required_until_the_totp_code_is_verified() {
    let kiro = Kiro::start(64).await;
    let (factor_id, secret) = kiro.enroll_totp(&kiro.user_id).await;
    kiro.set_mfa(true).await;

    let reply = kiro.authn(&kiro.login, PASSWORD).await;
    let body = reply.ok().clone();
    let state_token = body["stateToken"].as_str().expect("a state token");
    let verify = format!("/api/v1/authn/factors/{factor_id}/verify");
    assert_eq!(
        body,
        json!({
            "stateToken": state_token,
            "expiresAt": T0_PLUS_5M,
            "status": "MFA_REQUIRED",
            "_embedded": {
                "user": user_json(&kiro),
                "factors": [{
                    "id": factor_id,
                    "factorType": "token:software:totp",
                    "provider": "OKTA",
                    "vendorName": "OKTA",
                    "profile": { "credentialId": kiro.login },
                    "_links": { "verify": {
                        "href": kiro.url(&verify),
                        "hints": { "allow": ["POST"] },
                    } },
                }],
            },
        })
    );
    assert!(body.get("sessionToken").is_none());

    let code = kiro.totp(&secret).await;
    let wrong = kiro
        .post_json(
            &verify,
            json!({ "stateToken": state_token, "passCode": other_code(&code) }),
        )
        .await;
    assert_eq!(
        wrong.okta_error(403, "E0000068", "Invalid Passcode/Answer"),
        ["Your passcode doesn't match our records. Please try again."]
    );
    let ok = kiro
        .post_json(
            &verify,
            json!({ "stateToken": state_token, "passCode": code }),
        )
        .await;
    let ok = ok.ok();
    assert_eq!(ok["status"], json!("SUCCESS"));
    assert_eq!(ok["_embedded"]["user"], user_json(&kiro));
    let session_token = ok["sessionToken"].as_str().expect("a session token");

    // The transaction is over.
    let replay = kiro
        .post_json(
            &verify,
            json!({ "stateToken": state_token, "passCode": code }),
        )
        .await;
    replay.okta_error(401, "E0000011", "Invalid token provided");

    // The session token signs in; the ID token says how.
    let reply = kiro
        .authorize("openid", &[("sessionToken", session_token)])
        .await;
    let code = query_of(&reply.location())["code"].clone();
    let tokens = kiro.token(&code_grant(&kiro.client_id, &code)).await;
    let (_, id_claims) = jwt_parts(tokens.ok()["id_token"].as_str().expect("an ID token"));
    assert_eq!(id_claims["amr"], json!(["pwd", "mfa", "otp"]));

    // A state token lives five minutes.
    let reply = kiro.authn(&kiro.login, PASSWORD).await;
    let state_token = reply.ok()["stateToken"]
        .as_str()
        .expect("a state token")
        .to_string();
    kiro.advance("5m").await;
    let code = kiro.totp(&secret).await;
    kiro.post_json(
        &verify,
        json!({ "stateToken": state_token, "passCode": code }),
    )
    .await
    .okta_error(401, "E0000011", "Invalid token provided");
    kiro.post_json(&verify, json!({ "passCode": code }))
        .await
        .okta_error(401, "E0000011", "Invalid token provided");

    // With the policy off again, the password is enough.
    kiro.set_mfa(false).await;
    assert_eq!(
        kiro.authn(&kiro.login, PASSWORD).await.ok()["status"],
        json!("SUCCESS")
    );
}

#[tokio::test]
async fn okta_tok_7_a_user_without_a_factor_must_enroll() {
    let kiro = Kiro::start(65).await;
    kiro.set_mfa(true).await;
    let reply = kiro.authn(&kiro.login, PASSWORD).await;
    let body = reply.ok();
    assert_eq!(
        body,
        &json!({
            "stateToken": body["stateToken"],
            "expiresAt": T0_PLUS_5M,
            "status": "MFA_ENROLL",
            "_embedded": {
                "user": user_json(&kiro),
                "factors": [{
                    "factorType": "token:software:totp",
                    "provider": "OKTA",
                    "vendorName": "OKTA",
                    "status": "NOT_SETUP",
                    "enrollment": "REQUIRED",
                }],
            },
        })
    );
    assert!(body["stateToken"].is_string());
    // A wrong password is still just "Authentication failed".
    kiro.authn(&kiro.login, "Wrong-Password-1")
        .await
        .okta_error(401, "E0000004", "Authentication failed");
}
