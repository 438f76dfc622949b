//! The Kiro IDE client against the world: sign-in by email domain, code + PKCE through a real
//! loopback redirect, the documented token cache, refresh on expiry, signed out when the
//! refresh fails — which is also the one point where a removed user loses access.
//!
//! covers: [KIRO-USE-3, KIRO-DOM-4, OKTA-APP-2, OKTA-APP-3, OKTA-TOK-4, OKTA-TOK-5, OKTA-PROV-8, KIRO-SUB-3]

use crate::common;

use std::time::Duration;

use common::{PASSWORD, setup};
use sim_world::ide::{Ide, IdeError, LOOPBACK_PORTS};

fn ide(s: &common::Setup, port_index: usize) -> Ide {
    Ide::new(
        &s.world.kiro().url(),
        LOOPBACK_PORTS[port_index],
        s.world.seed().stream("ide"),
        s.world.trust(),
    )
    .expect("an IDE")
}

#[tokio::test]
async fn kiro_use_3_the_ide_signs_in_by_email_and_refreshes_when_the_token_expires() {
    let s = setup(21).await;
    common::provision_and_subscribe(&s, "PRO").await;
    let mut ide = ide(&s, 0);
    let cache = ide
        .sign_in("ada@example.com", PASSWORD)
        .await
        .expect("sign in")
        .clone();
    assert_eq!(cache.issuer_url, s.issuer);
    assert_eq!(cache.client_id, s.client_id);
    assert_eq!(cache.profile_arn, s.profile_arn);
    assert_eq!(cache.expires_at, "2026-01-01T01:00:00Z");
    assert!(cache.refresh_token.is_some());
    assert_eq!(
        cache.scopes,
        [
            "codewhisperer:completions",
            "codewhisperer:conversations",
            "offline_access"
        ]
    );
    let cache_json = serde_json::to_value(&cache).expect("json");
    for key in [
        "accessToken",
        "refreshToken",
        "expiresAt",
        "issuerUrl",
        "clientId",
        "scopes",
    ] {
        assert!(
            cache_json.get(key).is_some(),
            "documented cache field {key}"
        );
    }

    let completion = ide.complete("fn main() {", "}").await.expect("completion");
    assert!(
        completion["completions"][0]["content"].is_string(),
        "{completion}"
    );
    let chat = ide
        .chat("How do I read a file in Rust?", None)
        .await
        .expect("chat");
    assert!(chat["assistantResponse"]["content"].is_string(), "{chat}");

    // An hour of world time later the access token has expired: the IDE refreshes by itself.
    s.world.advance(Duration::from_secs(3600)).await;
    ide.complete("let x = ", ";")
        .await
        .expect("completion after refresh");
    let refreshed = ide.cache().expect("still signed in");
    assert_ne!(refreshed.access_token, cache.access_token);
    assert_eq!(refreshed.expires_at, "2026-01-01T02:00:00Z");
    let usage = ide.usage().await.expect("usage");
    assert_eq!(usage["subscriptionInfo"]["subscriptionTitle"], "KIRO PRO");
}

#[tokio::test]
async fn okta_tok_4_a_deactivated_user_keeps_access_until_the_next_refresh() {
    let s = setup(22).await;
    common::provision_and_subscribe(&s, "PRO").await;
    let mut ide = ide(&s, 1);
    ide.sign_in("ada@example.com", PASSWORD)
        .await
        .expect("sign in");
    s.world
        .clients()
        .okta
        .deactivate_user(&s.user_id)
        .await
        .expect("deactivate");

    // OKTA-TOK-5: the access token already issued keeps working until it expires.
    s.world.advance(Duration::from_secs(59 * 60)).await;
    ide.complete("a", "b")
        .await
        .expect("still works before expiry");

    // OKTA-TOK-4: the refresh re-checks the user, fails, and the IDE is signed out.
    s.world.advance(Duration::from_secs(60)).await;
    let err = ide.complete("a", "b").await.expect_err("signed out");
    assert!(matches!(err, IdeError::SignedOut), "{err}");
    assert!(ide.cache().is_none());
}

#[tokio::test]
async fn kiro_dom_4_an_unknown_domain_does_not_route() {
    let s = setup(23).await;
    let mut ide = ide(&s, 2);
    let err = ide
        .sign_in("grace@unknown.example", PASSWORD)
        .await
        .expect_err("no route");
    assert!(
        matches!(err, IdeError::NoRoute(ref e) if e == "grace@unknown.example"),
        "{err}"
    );
}

#[tokio::test]
async fn okta_app_3_a_user_not_assigned_to_the_oidc_app_cannot_sign_in() {
    let s = setup(24).await;
    s.world
        .clients()
        .okta
        .create_user("grace@example.com", "Grace", "Hopper", PASSWORD)
        .await
        .expect("user");
    let mut ide = ide(&s, 3);
    let err = ide
        .sign_in("grace@example.com", PASSWORD)
        .await
        .expect_err("refused");
    match err {
        IdeError::SignIn(message) => assert_eq!(
            message,
            "access_denied: User is not assigned to the client application."
        ),
        other => panic!("expected a sign-in error, got {other}"),
    }
}

#[tokio::test]
async fn the_documented_setup_gives_a_working_org_through_okta_s_push() {
    documented_setup_then_bob_chats(false, LOOPBACK_PORTS[4]).await;
}

// covers: SIM-TLS-1
/// The same over https: the push reaches Kiro's SCIM endpoint, Kiro fetches discovery and
/// keys, the admin clients and the IDE call every service, all through the world's CA.
#[tokio::test]
async fn the_documented_setup_works_end_to_end_over_https() {
    let issuer = documented_setup_then_bob_chats(true, LOOPBACK_PORTS[5]).await;
    assert!(issuer.starts_with("https://localhost:"), "{issuer}");
}

/// Starts a world (`tls` or not), applies the documented setup, and has Bob (provisioned only
/// by Okta's push) sign in and chat; returns the issuer.
async fn documented_setup_then_bob_chats(tls: bool, port: u16) -> String {
    let world = sim_world::World::start(sim_world::WorldConfig {
        tls,
        ..sim_world::WorldConfig::default()
    })
    .await
    .expect("world");
    let done = sim_world::setup::documented(&world)
        .await
        .expect("documented setup");
    assert_eq!(done.users.len(), 2);
    // Bob was never provisioned by hand: he reached Kiro by Okta's SCIM push of the group,
    // holds a seat through the group's subscription, and signs in from the IDE.
    let mut ide = Ide::new(
        &world.kiro().url(),
        port,
        world.seed().stream("ide"),
        world.trust(),
    )
    .expect("an IDE");
    let cache = ide
        .sign_in("bob@example.com", PASSWORD)
        .await
        .expect("sign in")
        .clone();
    assert_eq!(cache.issuer_url, done.okta_issuer);
    assert_eq!(cache.profile_arn, done.kiro_profile_arn);
    let chat = ide.chat("hello", None).await.expect("chat");
    assert!(chat["assistantResponse"]["content"].is_string(), "{chat}");
    let usage = ide.usage().await.expect("usage");
    assert_eq!(usage["subscriptionInfo"]["subscriptionTitle"], "KIRO PRO");
    done.okta_issuer
}

#[tokio::test]
async fn kiro_use_3_a_taken_loopback_port_is_skipped_for_the_next_registered_one() {
    let s = setup(23).await;
    common::provision_and_subscribe(&s, "PRO").await;
    // Another program holds the IDE's first choice (a registered port free right now).
    let (index, _taken) = LOOPBACK_PORTS
        .iter()
        .enumerate()
        .find_map(|(i, p)| Some((i, std::net::TcpListener::bind(("127.0.0.1", *p)).ok()?)))
        .expect("a free registered loopback port");
    let mut ide = ide(&s, index);
    ide.sign_in("ada@example.com", PASSWORD)
        .await
        .expect("sign in on the next registered port");
    ide.complete("fn main() {", "}").await.expect("signed in");
}
