//! The world wired as in reality: mock-kiro reads mock-okta's discovery and JWKS over HTTP and
//! verifies domains through mock-dns by real DNS; a user signs in at mock-okta (authn, code +
//! PKCE) and calls mock-kiro with the access token. Users reach Kiro here by a SCIM client
//! standing in for Okta's push (which arrives with issue 4).
//!
//! covers: [KIRO-PRO-1, KIRO-DOM-2, KIRO-DOM-4, KIRO-SUB-1, KIRO-USE-1, OKTA-AS-5]

use std::time::Duration;

use reqwest::redirect::Policy;
use serde_json::{Value, json};
use sim_world::{World, WorldConfig};

use crate::common;

use common::{PASSWORD, Setup, setup};

const REDIRECT: &str = "http://localhost:3128/oauth/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// Signs in at mock-okta as the IDE would (authn → sessionToken → authorize with PKCE →
/// token) and returns the token response.
async fn sign_in(s: &Setup, scope: &str) -> Value {
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client");
    let okta = s.world.okta().url();
    let authn: Value = http
        .post(format!("{okta}/api/v1/authn"))
        .json(&json!({ "username": "ada@example.com", "password": PASSWORD }))
        .send()
        .await
        .expect("authn")
        .json()
        .await
        .expect("authn json");
    let session_token = authn["sessionToken"].as_str().expect("sessionToken");
    let challenge = mock_okta::core::tokens::s256(VERIFIER);
    let response = http
        .get(format!("{okta}/oauth2/{}/v1/authorize", s.as_id))
        .query(&[
            ("client_id", s.client_id.as_str()),
            ("response_type", "code"),
            ("scope", scope),
            ("redirect_uri", REDIRECT),
            ("state", "st"),
            ("nonce", "nn"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("sessionToken", session_token),
        ])
        .send()
        .await
        .expect("authorize");
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    let code = location
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("code="))
        .unwrap_or_else(|| panic!("no code in {location}"));
    http.post(format!("{okta}/oauth2/{}/v1/token", s.as_id))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_id", &s.client_id),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token json")
}

async fn complete(s: &Setup, access_token: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/generateCompletions", s.world.kiro().url()))
        .bearer_auth(access_token)
        .json(&json!({
            "profileArn": s.profile_arn,
            "fileContext": { "filename": "main.rs", "programmingLanguage": { "languageName": "rust" },
                             "leftFileContent": "fn main() {", "rightFileContent": "}" },
        }))
        .send()
        .await
        .expect("completion");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn kiro_dom_4_a_verified_domain_routes_sign_in_to_the_okta_issuer() {
    let s = setup(1).await;
    let metadata: Value = reqwest::get(format!(
        "{}/signin/metadata?email=ada@example.com",
        s.world.kiro().url()
    ))
    .await
    .expect("metadata")
    .json()
    .await
    .expect("json");
    assert_eq!(metadata["issuerUrl"], s.issuer.as_str());
    assert_eq!(metadata["clientId"], s.client_id.as_str());
    assert_eq!(metadata["profileArn"], s.profile_arn.as_str());
}

#[tokio::test]
async fn kiro_sub_1_an_okta_token_is_verified_by_kiro_and_access_follows_provisioning_and_seat() {
    let s = setup(2).await;
    let tokens = sign_in(
        &s,
        "openid offline_access codewhisperer:completions codewhisperer:conversations",
    )
    .await;
    let access = tokens["access_token"].as_str().expect("access token");
    assert!(
        tokens["refresh_token"].is_string(),
        "offline_access gives a refresh token (OKTA-AS-5)"
    );

    // Verified against mock-okta's JWKS, but not provisioned in Kiro yet: KIRO-SUB-1.
    let (status, body) = complete(&s, access).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["__type"], "AccessDeniedException");

    // Provision the user as Okta's SCIM client does, then give a seat.
    common::provision_and_subscribe(&s, "PRO").await;

    let (status, body) = complete(&s, access).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["creditsCharged"], 0.01);

    // The access token expires after the rule's hour of world time.
    s.world.advance(Duration::from_secs(3600)).await;
    let (status, body) = complete(&s, access).await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (401, Some("InvalidTokenException"))
    );
}

#[tokio::test]
async fn kiro_use_1_a_token_without_the_completions_scope_is_refused_for_completions_only() {
    let s = setup(3).await;
    let tokens = sign_in(&s, "openid codewhisperer:conversations").await;
    let access = tokens["access_token"].as_str().expect("access token");
    assert!(
        tokens.get("refresh_token").is_none(),
        "no offline_access, no refresh token (OKTA-AS-5)"
    );
    let (status, body) = complete(&s, access).await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (403, Some("AccessDeniedException"))
    );
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("codewhisperer:completions")),
        "{body}"
    );
}

#[tokio::test]
async fn the_same_seed_gives_the_same_world() {
    let a = World::start(WorldConfig {
        seed: sim_core::Seed(9),
        ..WorldConfig::default()
    })
    .await
    .expect("world a");
    let b = World::start(WorldConfig {
        seed: sim_core::Seed(9),
        ..WorldConfig::default()
    })
    .await
    .expect("world b");
    let secrets = |w: &World| {
        let f = w.ready_fields();
        (
            f["okta_api_token"].clone(),
            f["kiro_admin_token"].clone(),
            f["dns_api_token"].clone(),
        )
    };
    assert_eq!(secrets(&a), secrets(&b));
    let (ua, ub) = (
        a.clients()
            .okta
            .create_user("x@example.com", "X", "Y", PASSWORD)
            .await
            .expect("a"),
        b.clients()
            .okta
            .create_user("x@example.com", "X", "Y", PASSWORD)
            .await
            .expect("b"),
    );
    assert_eq!(ua, ub);
    let c = World::start(WorldConfig {
        seed: sim_core::Seed(10),
        ..WorldConfig::default()
    })
    .await
    .expect("world c");
    assert_ne!(secrets(&a), secrets(&c));
}

#[tokio::test]
async fn one_clock_drives_every_service() {
    let world = World::start(WorldConfig {
        epoch: sim_core::clock::fixed_epoch(),
        ..WorldConfig::default()
    })
    .await
    .expect("world");
    world.advance(Duration::from_secs(24 * 3600)).await;
    for url in [
        world.okta().url(),
        world.kiro().url(),
        world.dns().api_url(),
    ] {
        let clock: Value = reqwest::get(format!("{url}/_sim/clock"))
            .await
            .expect("clock")
            .json()
            .await
            .expect("json");
        assert_eq!(clock["now"], "2026-01-02T00:00:00.000Z", "{url}");
    }
}

// covers: SIM-CLOCK-1
/// Outside verifiers compare `exp` with their wall clock, so a world started with the
/// defaults begins at the wall-clock now (whole seconds), not at a fixed date in the past.
#[tokio::test]
async fn a_default_world_starts_at_the_wall_clock_now() {
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let world = World::start(WorldConfig::default()).await.expect("world");
    let clock: Value = reqwest::get(format!("{}/_sim/clock", world.okta().url()))
        .await
        .expect("clock")
        .json()
        .await
        .expect("json");
    let now_ms = clock["unix_ms"].as_u64().expect("unix_ms");
    assert_eq!(now_ms % 1000, 0, "whole seconds: {clock}");
    let now = now_ms / 1000;
    assert!(
        (before..=before + 60).contains(&now),
        "the world's now {now} is the wall clock's {before}"
    );
}
