//! What a signed-in user may do through the runtime API, and what it costs: no seat (or no
//! provisioned, active user) means no use with the KIRO-SUB-1 message; a seat turns Active on
//! first use; every use spends fractional credits (smallest 0.01), reported like
//! GetUsageLimits; at the limit use is refused unless the profile allows overages; models not
//! approved by the admin are refused. Refusals spend nothing.
//!
//! covers: [KIRO-SUB-1, KIRO-SUB-2, KIRO-SUB-5, KIRO-USE-2, KIRO-GOV-1]

use crate::common;

use reqwest::Method;
use serde_json::{Value, json};

use common::{COMPLETIONS, CONVERSATIONS, RuntimeWorld, okta_user, patch_op};

const NO_ACCESS: &str = "You have not been granted access to any Kiro profile. Contact your administrator to get access.";
/// 2026-02-01T00:00:00Z: the next reset seen from January 2026.
const FEB_1: u64 = 1_769_904_000;

fn usage_json(
    title: &str,
    tier: &str,
    used: f64,
    overage: f64,
    limit: u64,
    reset: u64,
    overages: &str,
) -> Value {
    json!({
        "subscriptionInfo": { "subscriptionTitle": title, "type": tier },
        "usageBreakdownList": [{
            "resourceType": "CREDIT",
            "displayName": "Credits",
            "currentUsage": used,
            "currentOverages": overage,
            "usageLimit": limit,
            "unit": "credit",
            "nextDateReset": reset,
        }],
        "nextDateReset": reset,
        "overageConfiguration": { "overageStatus": overages },
    })
}

async fn put_settings(w: &RuntimeWorld, settings: Value) {
    let reply = w
        .sim
        .console(
            Method::PUT,
            &format!("/console/profiles/{}/settings", w.profile_id),
            Some(settings),
        )
        .await;
    reply.expect(200);
}

fn settings(approved: &[&str], default: Option<&str>, overages: bool) -> Value {
    json!({
        "approvedModels": approved,
        "defaultModel": default,
        "mcpEnabled": true,
        "mcpRegistryUrl": null,
        "webToolsEnabled": true,
        "overagesEnabled": overages,
    })
}

#[tokio::test]
async fn kiro_sub_1_signed_in_but_not_subscribed_means_no_use() {
    let w = RuntimeWorld::start(&[0]).await;
    let scopes = ["openid", COMPLETIONS, CONVERSATIONS];
    // Bob is provisioned but has no seat; Carol is not provisioned at all.
    w.scim.create_user("bob@example.com", "00ubob").await;
    let bob = w
        .issuer
        .sign(0, &w.claims_for("00ubob", "bob@example.com", &scopes).await);
    let carol = w.issuer.sign(
        0,
        &w.claims_for("00ucarol", "carol@example.com", &scopes).await,
    );

    for token in [&bob, &carol] {
        w.complete(token)
            .await
            .assert_aws_error(403, "AccessDeniedException", NO_ACCESS);
        w.chat(token, "hello", None).await.assert_aws_error(
            403,
            "AccessDeniedException",
            NO_ACCESS,
        );
        w.usage(token)
            .await
            .assert_aws_error(403, "AccessDeniedException", NO_ACCESS);
    }
    // The profile list shows where a user is provisioned: Bob sees Acme, Carol nothing.
    let bob_list = w
        .call(
            Method::POST,
            "/ListAvailableProfiles",
            Some(&bob),
            Some(&json!({})),
        )
        .await;
    assert_eq!(
        bob_list.expect(200),
        &json!({ "profiles": [{ "arn": w.arn, "profileName": "Acme", "region": "us-east-1" }] })
    );
    let carol_list = w
        .call(Method::POST, "/ListAvailableProfiles", Some(&carol), None)
        .await;
    assert_eq!(carol_list.expect(200), &json!({ "profiles": [] }));

    // A subscribed user deactivated upstream (Okta pushes active:false) loses use too…
    let ada = w.ada_token().await;
    assert_eq!(w.complete(&ada).await.status, 200);
    let deactivate = patch_op(json!([{ "op": "replace", "value": { "active": false } }]));
    w.scim
        .patch(&format!("/Users/{}", w.ada), &deactivate)
        .await
        .expect(200);
    w.complete(&ada)
        .await
        .assert_aws_error(403, "AccessDeniedException", NO_ACCESS);
    // …and gets it back when reactivated.
    let reactivate = patch_op(json!([{ "op": "replace", "value": { "active": true } }]));
    w.scim
        .patch(&format!("/Users/{}", w.ada), &reactivate)
        .await
        .expect(200);
    assert_eq!(w.complete(&ada).await.status, 200);

    // A user matched by userName (sub) when the token's uid is not the SCIM externalId.
    let mut dave = okta_user("dave@example.com", "dave-hr-id");
    dave["externalId"] = json!("dave-hr-id");
    let dave_id = w.scim.post("/Users", &dave).await.expect(201)["id"]
        .as_str()
        .expect("id")
        .to_string();
    w.sim
        .subscribe(&w.profile_id, "USER", &dave_id, "POWER")
        .await;
    let dave_token = w.issuer.sign(
        0,
        &w.claims_for("00udave", "dave@example.com", &scopes).await,
    );
    let usage = w.usage(&dave_token).await;
    assert_eq!(
        usage.expect(200),
        &usage_json("KIRO POWER", "POWER", 0.0, 0.0, 10_000, FEB_1, "DISABLED")
    );
}

#[tokio::test]
async fn kiro_sub_5_a_seat_is_pending_until_first_use_then_active() {
    let w = RuntimeWorld::start(&[0]).await;
    let token = w.ada_token().await;
    let seat = w.ada_seat().await;
    assert_eq!(seat["status"], json!("PENDING"));
    assert_eq!(seat["activatedAt"], Value::Null);

    // Looking at usage is not using Kiro.
    w.sim.advance("2h").await;
    let token_later = w.ada_token().await;
    assert_eq!(w.usage(&token_later).await.status, 200);
    assert_eq!(w.ada_seat().await["status"], json!("PENDING"));
    // The first token has expired by now (1 hour on the world clock): refused, still Pending.
    assert_eq!(w.complete(&token).await.status, 401);
    assert_eq!(w.ada_seat().await["status"], json!("PENDING"));

    let reply = w.chat(&token_later, "How do I write a test?", None).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let seat = w.ada_seat().await;
    assert_eq!(seat["status"], json!("ACTIVE"));
    assert_eq!(seat["activatedAt"], json!("2026-01-01T02:00:00.000Z"));
}

#[tokio::test]
async fn kiro_use_2_every_use_spends_fractional_credits_and_usage_is_reported() {
    let w = RuntimeWorld::start(&[0]).await;
    let token = w.ada_token().await;
    assert_eq!(
        w.usage(&token).await.expect(200),
        &usage_json("KIRO PRO", "PRO", 0.0, 0.0, 1000, FEB_1, "DISABLED")
    );

    let completion = w.complete(&token).await;
    let body = completion.expect(200).clone();
    assert_eq!(body["creditsCharged"], json!(0.01));
    let content = body["completions"][0]["content"]
        .as_str()
        .expect("content")
        .to_string();
    assert!(content.starts_with("// kiro-sim completion "), "{content}");
    // Deterministic: the same input gives the same completion.
    assert_eq!(
        w.complete(&token).await.expect(200)["completions"][0]["content"],
        json!(content)
    );

    // Chat: 10 hundredths + 1 per started 500 characters; Haiku a third, Sonnet 4.5 a third more.
    let prompt = "x".repeat(1_200);
    let chat = w.chat(&token, &prompt, None).await.expect(200).clone();
    assert_eq!(chat["creditsCharged"], json!(0.13));
    assert_eq!(chat["assistantResponse"]["modelId"], json!("auto"));
    let conversation = chat["conversationId"]
        .as_str()
        .expect("conversationId")
        .to_string();
    assert_eq!(conversation.len(), 36, "{conversation}");
    let haiku = w
        .chat(&token, &prompt, Some("claude-haiku-4.5"))
        .await
        .expect(200)
        .clone();
    assert_eq!(haiku["creditsCharged"], json!(0.05));
    assert_eq!(
        haiku["assistantResponse"]["modelId"],
        json!("claude-haiku-4.5")
    );
    assert_ne!(haiku["conversationId"], json!(conversation));
    let sonnet = w
        .chat(&token, &prompt, Some("claude-sonnet-4.5"))
        .await
        .expect(200)
        .clone();
    assert_eq!(sonnet["creditsCharged"], json!(0.17));
    // A conversation id given is kept.
    let body = json!({
        "profileArn": w.arn,
        "conversationState": {
            "conversationId": conversation,
            "currentMessage": { "userInputMessage": { "content": "and then?" } },
        },
    });
    let follow_up = w
        .call(
            Method::POST,
            "/generateAssistantResponse",
            Some(&token),
            Some(&body),
        )
        .await;
    assert_eq!(follow_up.expect(200)["conversationId"], json!(conversation));
    assert_eq!(follow_up.body["creditsCharged"], json!(0.11));

    // 0.01 + 0.01 + 0.13 + 0.05 + 0.17 + 0.11
    assert_eq!(
        w.usage(&token).await.expect(200),
        &usage_json("KIRO PRO", "PRO", 0.48, 0.0, 1000, FEB_1, "DISABLED")
    );

    // Bad requests are refused before anything is spent.
    let no_arn = w
        .call(
            Method::POST,
            "/generateCompletions",
            Some(&token),
            Some(&json!({ "fileContext": {} })),
        )
        .await;
    no_arn.assert_aws_error(400, "ValidationException", "profileArn is required.");
    let unknown = "arn:aws:codewhisperer:us-east-1:000000000000:profile/NOPE";
    w.call(
        Method::POST,
        "/generateCompletions",
        Some(&token),
        Some(&json!({ "profileArn": unknown, "fileContext": {} })),
    )
    .await
    .assert_aws_error(
        404,
        "ResourceNotFoundException",
        &format!("Profile {unknown} not found."),
    );
    let missing_context = w
        .call(
            Method::POST,
            "/generateCompletions",
            Some(&token),
            Some(&json!({ "profileArn": w.arn })),
        )
        .await;
    missing_context.assert_aws_error(
        400,
        "ValidationException",
        "The request body is not valid: missing field `fileContext`",
    );
    let raw = common::send(
        w.sim
            .http
            .post(w.sim.url("/generateAssistantResponse"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    assert_eq!(raw.status, 400, "{raw:?}");
    assert_eq!(raw.body["__type"], json!("ValidationException"));
    w.chat(&token, "   ", None).await.assert_aws_error(
        400,
        "ValidationException",
        "The message content must not be empty.",
    );
    w.call(Method::GET, "/getUsageLimits", Some(&token), None)
        .await
        .assert_aws_error(400, "ValidationException", "profileArn is required.");
    assert_eq!(
        w.usage(&token).await.expect(200),
        &usage_json("KIRO PRO", "PRO", 0.48, 0.0, 1000, FEB_1, "DISABLED")
    );

    // A new month starts from zero.
    w.sim.advance("31days").await;
    let token = w.ada_token().await;
    assert_eq!(
        w.usage(&token).await.expect(200),
        &usage_json("KIRO PRO", "PRO", 0.0, 0.0, 1000, 1_772_323_200, "DISABLED")
    );
}

#[tokio::test]
async fn kiro_use_2_at_the_limit_use_is_refused_unless_the_profile_allows_overages() {
    let w = RuntimeWorld::start(&[0]).await;
    let token = w.ada_token().await;
    // 100 chats at 9.99 credits (10 + ⌈494,500 / 500⌉ = 999 hundredths) = 999 credits…
    let big = "k".repeat(494_500);
    for i in 0..100 {
        let reply = w.chat(&token, &big, None).await;
        assert_eq!(reply.expect(200)["creditsCharged"], json!(9.99), "chat {i}");
    }
    // …one at 0.99 (10 + 89) and one completion reach exactly 1,000: still allowed.
    let reply = w.chat(&token, &"k".repeat(44_500), None).await;
    assert_eq!(reply.expect(200)["creditsCharged"], json!(0.99));
    assert_eq!(
        w.complete(&token).await.expect(200)["creditsCharged"],
        json!(0.01)
    );
    assert_eq!(
        w.usage(&token).await.expect(200),
        &usage_json("KIRO PRO", "PRO", 1000.0, 0.0, 1000, FEB_1, "DISABLED")
    );

    // At the limit without overages: refused, nothing spent.
    let limit = "You have reached the monthly credit limit of your KIRO PRO plan. Usage resets on 2026-02-01T00:00:00Z.";
    w.complete(&token)
        .await
        .assert_aws_error(429, "ThrottlingException", limit);
    w.chat(&token, "one more?", None)
        .await
        .assert_aws_error(429, "ThrottlingException", limit);
    assert_eq!(
        w.usage(&token).await.expect(200),
        &usage_json("KIRO PRO", "PRO", 1000.0, 0.0, 1000, FEB_1, "DISABLED")
    );

    // The admin turns overages on for the profile: use goes on and shows as overage.
    put_settings(
        &w,
        settings(
            &[
                "auto",
                "claude-sonnet-4.5",
                "claude-sonnet-4",
                "claude-haiku-4.5",
            ],
            Some("auto"),
            true,
        ),
    )
    .await;
    assert_eq!(
        w.complete(&token).await.expect(200)["creditsCharged"],
        json!(0.01)
    );
    assert_eq!(
        w.chat(&token, "one more?", None).await.expect(200)["creditsCharged"],
        json!(0.11)
    );
    assert_eq!(
        w.usage(&token).await.expect(200),
        &usage_json("KIRO PRO", "PRO", 1000.12, 0.12, 1000, FEB_1, "ENABLED")
    );
    // And off again: refused again.
    put_settings(&w, settings(&["auto"], Some("auto"), false)).await;
    w.complete(&token)
        .await
        .assert_aws_error(429, "ThrottlingException", limit);
}

#[tokio::test]
async fn kiro_gov_1_a_model_the_admin_has_not_approved_is_refused() {
    let w = RuntimeWorld::start(&[0]).await;
    let token = w.ada_token().await;
    put_settings(
        &w,
        settings(
            &["auto", "claude-haiku-4.5"],
            Some("claude-haiku-4.5"),
            false,
        ),
    )
    .await;

    for model in ["claude-sonnet-4.5", "claude-sonnet-4", "gpt-5"] {
        w.chat(&token, "hello", Some(model)).await.assert_aws_error(
            403,
            "AccessDeniedException",
            &format!("The model {model} is not enabled for your organization."),
        );
    }
    assert_eq!(
        w.usage(&token).await.expect(200)["usageBreakdownList"][0]["currentUsage"],
        json!(0.0)
    );
    assert_eq!(w.ada_seat().await["status"], json!("PENDING"));
    // No model named: the profile's default.
    let reply = w.chat(&token, "hello", None).await.expect(200).clone();
    assert_eq!(
        reply["assistantResponse"]["modelId"],
        json!("claude-haiku-4.5")
    );
    assert_eq!(reply["creditsCharged"], json!(0.04));
    let content = reply["assistantResponse"]["content"]
        .as_str()
        .expect("content");
    assert!(
        content.starts_with("kiro-sim (claude-haiku-4.5) answer "),
        "{content}"
    );
    let reply = w
        .chat(&token, "hello", Some("auto"))
        .await
        .expect(200)
        .clone();
    assert_eq!(reply["assistantResponse"]["modelId"], json!("auto"));
}
