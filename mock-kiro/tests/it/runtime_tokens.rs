//! The runtime API's bearer tokens: every forged or unusable token is refused with the same
//! `401 InvalidTokenException` (and `WWW-Authenticate: Bearer error="invalid_token"`) and
//! changes nothing; a token without a feature's scope is refused for that feature only (403);
//! a rotated key is picked up by refetching the issuer's JWKS, at most
//! `REFETCHES_PER_MINUTE` (5) times per world minute.
//!
//! Decision: a token whose `cid` is another client of the same issuer is a 401
//! InvalidTokenException, not a 403: it was never issued to Kiro, so for Kiro it is as invalid
//! as a token of another issuer (RFC 6750 `invalid_token`). 403 is kept for Kiro tokens that
//! lack a scope (`insufficient_scope`) or a user without access.
//!
//! covers: [KIRO-USE-1, KIRO-USE-3, OKTA-AS-4, OKTA-AS-7, OKTA-TOK-5]

use crate::common;

use reqwest::Method;
use serde_json::{Value, json};

use common::{CLIENT_ID, COMPLETIONS, CONVERSATIONS, RuntimeWorld};
use sim_testkit::jwt::{b64, compact, rs256_under};

const INVALID: &str = "The bearer token is invalid or expired.";

#[track_caller]
fn assert_invalid_token(reply: &common::Reply, case: &str) {
    assert_eq!(reply.status, 401, "{case}: {reply:?}");
    assert_eq!(
        reply.body,
        json!({ "__type": "InvalidTokenException", "message": INVALID }),
        "{case}: {reply:?}"
    );
    assert_eq!(
        reply.header("x-amzn-errortype"),
        "InvalidTokenException",
        "{case}"
    );
    assert_eq!(
        reply.header("www-authenticate"),
        "Bearer error=\"invalid_token\"",
        "{case}"
    );
}

#[tokio::test]
async fn kiro_use_1_forged_and_unusable_tokens_are_all_refused_with_401() {
    let w = RuntimeWorld::start(&[0, 1]).await;
    let now = w.sim.now_unix().await;
    let scopes = ["openid", COMPLETIONS, CONVERSATIONS];
    let good = w
        .issuer
        .claims(CLIENT_ID, "00uada", "ada@example.com", now, &scopes);
    let key0 = &w.issuer.keys[0];
    let kid0 = key0.kid().to_string();

    let mut cases: Vec<(&str, String)> = Vec::new();
    // alg none, with and without a signature part.
    let unsigned = compact(&json!({ "alg": "none", "kid": kid0 }), &good, |_| {
        Vec::new()
    });
    let two_parts = unsigned.trim_end_matches('.').to_string();
    cases.push(("alg none", unsigned));
    cases.push(("alg none, two parts", two_parts));
    // HS256 with the issuer's public key as the HMAC secret (the JWK as published, and its
    // modulus bytes).
    let hs_header = json!({ "alg": "HS256", "kid": kid0, "typ": "JWT" });
    let jwk = serde_json::to_value(key0.jwk()).expect("jwk");
    let modulus = base64::Engine::decode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        jwk["n"].as_str().expect("n"),
    )
    .expect("n decodes");
    for (case, secret) in [
        (
            "HS256 keyed with the published JWK",
            jwk.to_string().into_bytes(),
        ),
        ("HS256 keyed with the RSA modulus", modulus),
    ] {
        let token = compact(&hs_header, &good, |input| {
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &secret);
            ring::hmac::sign(&key, input).as_ref().to_vec()
        });
        cases.push((case, token));
    }
    // A kid the issuer never published, signed with a real key.
    cases.push((
        "unknown kid",
        rs256_under(
            key0,
            &json!({ "alg": "RS256", "kid": "made-up-kid" }),
            &good,
        ),
    ));
    cases.push((
        "no kid",
        rs256_under(key0, &json!({ "alg": "RS256" }), &good),
    ));
    // Expired on the world clock (exp == now counts as expired).
    let mut expired = good.clone();
    expired.insert("iat".into(), json!(now - 3600));
    expired.insert("exp".into(), json!(now));
    cases.push(("expired", w.issuer.sign(0, &expired)));
    let mut no_exp = good.clone();
    no_exp.remove("exp");
    cases.push(("no exp", w.issuer.sign(0, &no_exp)));
    // Not valid yet.
    let mut future = good.clone();
    future.insert("nbf".into(), json!(now + 600));
    cases.push(("future nbf", w.issuer.sign(0, &future)));
    // Another issuer's iss, signed with the profile issuer's own key.
    let mut wrong_iss = good.clone();
    wrong_iss.insert("iss".into(), json!("http://127.0.0.1:9/oauth2/aus_evil"));
    cases.push(("wrong iss", w.issuer.sign(0, &wrong_iss)));
    let mut slash_iss = good.clone();
    slash_iss.insert("iss".into(), json!(format!("{}/", w.issuer.issuer)));
    cases.push(("iss with a trailing slash", w.issuer.sign(0, &slash_iss)));
    // Another client of the same issuer (see the module doc: 401, not 403).
    let mut other_client = good.clone();
    other_client.insert("cid".into(), json!("0oaother"));
    cases.push(("another client's cid", w.issuer.sign(0, &other_client)));
    let mut no_cid = good.clone();
    no_cid.remove("cid");
    cases.push(("no cid", w.issuer.sign(0, &no_cid)));
    // A tampered payload under the original signature.
    let original = w.issuer.sign(0, &good);
    let signature = original.rsplit('.').next().expect("signature");
    let header = original.split('.').next().expect("header");
    let mut escalated = good.clone();
    escalated.insert("uid".into(), json!("00uadmin"));
    escalated.insert("exp".into(), json!(now + 365 * 86_400));
    let tampered_payload = b64(Value::Object(escalated).to_string());
    cases.push((
        "tampered payload",
        format!("{header}.{tampered_payload}.{signature}"),
    ));
    // A well-formed token signed by a key the issuer does not publish.
    cases.push(("key not in the JWKS", w.issuer.sign(2, &good)));
    cases.push(("another unpublished key", w.issuer.sign(3, &good)));
    // Not JWTs at all.
    cases.push(("garbage", "not-a-jwt".to_string()));
    cases.push(("four parts", format!("{original}.extra")));
    cases.push(("bad base64", format!("{header}.!!!.{signature}")));

    for (case, token) in &cases {
        assert_invalid_token(&w.complete(token).await, case);
        assert_invalid_token(&w.chat(token, "hello", None).await, case);
        assert_invalid_token(&w.usage(token).await, case);
        assert_invalid_token(
            &w.call(
                Method::POST,
                "/ListAvailableProfiles",
                Some(token),
                Some(&json!({})),
            )
            .await,
            case,
        );
    }
    // No token at all: 401 with a bare challenge.
    for reply in [
        w.call(
            Method::POST,
            "/generateCompletions",
            None,
            Some(&json!({ "profileArn": w.arn })),
        )
        .await,
        w.call(Method::POST, "/ListAvailableProfiles", None, None)
            .await,
        w.call(Method::GET, "/getUsageLimits", None, None).await,
    ] {
        reply.assert_aws_error(401, "InvalidTokenException", INVALID);
        assert_eq!(reply.header("www-authenticate"), "Bearer");
    }

    // Nothing was spent and the seat was never used.
    let token = w.ada_token().await;
    let usage = w.usage(&token).await;
    assert_eq!(
        usage.expect(200)["usageBreakdownList"][0]["currentUsage"],
        json!(0.0)
    );
    assert_eq!(w.ada_seat().await["status"], json!("PENDING"));
    // The real token works.
    let reply = w.complete(&token).await;
    assert_eq!(reply.expect(200)["creditsCharged"], json!(0.01));
    assert_eq!(w.ada_seat().await["status"], json!("ACTIVE"));
}

#[tokio::test]
async fn kiro_use_1_a_token_without_a_scope_is_refused_for_that_feature_only() {
    let w = RuntimeWorld::start(&[0, 1]).await;
    let chat_only = w.issuer.sign(
        0,
        &w.claims_for(
            "00uada",
            "ada@example.com",
            &["openid", "offline_access", CONVERSATIONS],
        )
        .await,
    );
    let completions_only = w.issuer.sign(
        1,
        &w.claims_for("00uada", "ada@example.com", &["openid", COMPLETIONS])
            .await,
    );
    let neither = w.issuer.sign(
        0,
        &w.claims_for("00uada", "ada@example.com", &["openid"]).await,
    );

    let refused = |scope: &str| {
        (
            format!("The access token does not grant the {scope} scope this operation needs."),
            format!("Bearer error=\"insufficient_scope\", scope=\"{scope}\""),
        )
    };
    let (completions_message, completions_challenge) = refused(COMPLETIONS);
    let (chat_message, chat_challenge) = refused(CONVERSATIONS);

    // Chat works, completions refused.
    let chat = w.chat(&chat_only, "Explain lifetimes", None).await;
    assert_eq!(
        chat.expect(200)["assistantResponse"]["modelId"],
        json!("auto")
    );
    let reply = w.complete(&chat_only).await;
    reply.assert_aws_error(403, "AccessDeniedException", &completions_message);
    assert_eq!(
        reply.header("www-authenticate"),
        completions_challenge.as_str()
    );

    // And the other way round.
    assert_eq!(w.complete(&completions_only).await.status, 200);
    let reply = w.chat(&completions_only, "Explain lifetimes", None).await;
    reply.assert_aws_error(403, "AccessDeniedException", &chat_message);
    assert_eq!(reply.header("www-authenticate"), chat_challenge.as_str());

    // Without either scope: both refused; usage and profiles need no feature scope.
    w.complete(&neither)
        .await
        .assert_aws_error(403, "AccessDeniedException", &completions_message);
    w.chat(&neither, "hi", None).await.assert_aws_error(
        403,
        "AccessDeniedException",
        &chat_message,
    );
    let usage = w.usage(&neither).await.expect(200).clone();
    // 0.11 for the chat (10 + ⌈17 / 500⌉ hundredths, core/usage.rs) + 0.01 for the completion.
    assert_eq!(usage["usageBreakdownList"][0]["currentUsage"], json!(0.12));
    let profiles = w
        .call(
            Method::POST,
            "/ListAvailableProfiles",
            Some(&neither),
            Some(&json!({})),
        )
        .await;
    assert_eq!(profiles.expect(200)["profiles"][0]["arn"], json!(w.arn));
}

#[tokio::test]
async fn okta_as_7_a_rotated_key_is_fetched_and_unknown_kids_refetch_at_most_5_times_a_minute() {
    let w = RuntimeWorld::start(&[0]).await;
    assert_eq!(
        w.issuer.fetches(),
        0,
        "profile creation reads discovery only"
    );
    let scopes = ["openid", COMPLETIONS, CONVERSATIONS];
    let signed_by =
        |key: usize, claims: &serde_json::Map<String, Value>| w.issuer.sign(key, claims);

    let claims = w.claims_for("00uada", "ada@example.com", &scopes).await;
    assert_eq!(w.complete(&signed_by(0, &claims)).await.status, 200);
    assert_eq!(w.issuer.fetches(), 1);
    assert_eq!(w.complete(&signed_by(0, &claims)).await.status, 200);
    assert_eq!(w.issuer.fetches(), 1, "cached");

    // The issuer rotates to key 1 (key 0 still published): a key-1 token makes Kiro refetch.
    w.issuer.publish(&[0, 1]);
    assert_eq!(w.complete(&signed_by(1, &claims)).await.status, 200);
    assert_eq!(w.issuer.fetches(), 2);
    assert_eq!(w.complete(&signed_by(0, &claims)).await.status, 200);
    assert_eq!(w.complete(&signed_by(1, &claims)).await.status, 200);
    assert_eq!(w.issuer.fetches(), 2);

    // A new world minute; then a flood of made-up kids: 5 refetches, then none.
    w.sim.advance("60s").await;
    for i in 0..8 {
        let token = rs256_under(
            &w.issuer.keys[0],
            &json!({ "alg": "RS256", "kid": format!("made-up-{i}") }),
            &claims,
        );
        assert_invalid_token(&w.complete(&token).await, "made-up kid");
        assert_eq!(
            w.issuer.fetches(),
            2 + (i + 1).min(5),
            "after made-up kid {i}"
        );
    }
    // Even a genuinely new key waits for the next minute…
    w.issuer.publish(&[0, 1, 2]);
    assert_invalid_token(
        &w.complete(&signed_by(2, &claims)).await,
        "new key, rate-limited",
    );
    assert_eq!(w.issuer.fetches(), 7);
    // …while known keys keep working without fetching.
    assert_eq!(w.complete(&signed_by(0, &claims)).await.status, 200);
    assert_eq!(w.issuer.fetches(), 7);
    w.sim.advance("59s").await;
    assert_invalid_token(
        &w.complete(&signed_by(2, &claims)).await,
        "new key, still rate-limited",
    );
    assert_eq!(w.issuer.fetches(), 7);
    w.sim.advance("1s").await;
    assert_eq!(w.complete(&signed_by(2, &claims)).await.status, 200);
    assert_eq!(w.issuer.fetches(), 8);
}
