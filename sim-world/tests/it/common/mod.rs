//! Shared setup for the world's tests: the documented setup minus Okta's SCIM push, and a SCIM
//! client standing in for that push.

#![allow(dead_code)]

use serde_json::{Value, json};
use sim_world::{World, WorldConfig};

pub const PASSWORD: &str = "Correct-Horse-9";

pub struct Setup {
    pub world: World,
    pub client_id: String,
    pub as_id: String,
    pub issuer: String,
    pub profile_id: String,
    pub profile_arn: String,
    pub scim: String,
    pub scim_token: String,
    pub user_id: String,
}

/// The documented setup, minus Okta's SCIM push: Okta user, Kiro-OIDC app, authorization
/// server with the two Kiro scopes and a policy; a Kiro profile on that issuer; a verified
/// domain; a SCIM token.
pub async fn setup(seed: u64) -> Setup {
    let world = World::start(WorldConfig {
        seed: sim_core::Seed(seed),
        epoch: sim_core::clock::fixed_epoch(),
        zones: vec!["example.com".into()],
        ..WorldConfig::default()
    })
    .await
    .expect("world starts");
    let c = world.clients();
    let user_id = c
        .okta
        .create_user("ada@example.com", "Ada", "Lovelace", PASSWORD)
        .await
        .expect("user");
    let client_id = c.okta.create_kiro_oidc_app("Kiro-OIDC").await.expect("app");
    c.okta
        .assign_user(&client_id, &user_id)
        .await
        .expect("assign");
    let server = c
        .okta
        .create_auth_server("Kiro", "api://kiro")
        .await
        .expect("auth server");
    c.okta
        .add_scope(
            &server.id,
            "codewhisperer:completions",
            "Inline completions",
        )
        .await
        .expect("scope");
    c.okta
        .add_scope(&server.id, "codewhisperer:conversations", "Chat")
        .await
        .expect("scope");
    c.okta
        .create_policy_with_rule(
            &server.id,
            "Kiro",
            &[&client_id],
            &["authorization_code", "refresh_token"],
            &[
                "openid",
                "offline_access",
                "codewhisperer:completions",
                "codewhisperer:conversations",
            ],
        )
        .await
        .expect("policy");

    // KIRO-PRO-1: the profile creation fetched mock-okta's discovery document over HTTP.
    let profile = c
        .kiro
        .create_profile("Example", &server.issuer, &client_id)
        .await
        .expect("profile");

    // KIRO-DOM-2: publish the token in mock-dns; mock-kiro verifies by a real DNS query.
    let (record, token) = c
        .kiro
        .add_domain(&profile.id, "example.com")
        .await
        .expect("domain");
    assert_eq!(record, "_kiro-verification.example.com");
    assert_eq!(
        c.kiro
            .verify_domain(&profile.id, "example.com")
            .await
            .expect("verify"),
        "PENDING"
    );
    let zone = c.dns.zone("example.com").await.expect("zone");
    c.dns.create_txt(&zone, &record, &token).await.expect("txt");
    assert_eq!(
        c.kiro
            .verify_domain(&profile.id, "example.com")
            .await
            .expect("verify"),
        "VERIFIED"
    );

    let scim_token = c
        .kiro
        .create_scim_token(&profile.id)
        .await
        .expect("scim token");
    Setup {
        client_id,
        as_id: server.id,
        issuer: server.issuer,
        profile_id: profile.id,
        profile_arn: profile.arn,
        scim: profile.scim_endpoint.trim_end_matches('/').to_string(),
        scim_token,
        user_id,
        world,
    }
}

/// Provisions Ada into Kiro as Okta's SCIM push would, and subscribes her to `tier`.
/// Returns her Kiro (SCIM) user id.
pub async fn provision_and_subscribe(s: &Setup, tier: &str) -> String {
    let created: Value = reqwest::Client::new()
        .post(format!("{}/Users", s.scim))
        .bearer_auth(&s.scim_token)
        .json(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "externalId": s.user_id, "userName": "ada@example.com",
            "name": { "givenName": "Ada", "familyName": "Lovelace" }, "displayName": "Ada Lovelace",
            "emails": [{ "value": "ada@example.com", "type": "work", "primary": true }], "active": true,
        }))
        .send()
        .await
        .expect("scim")
        .json()
        .await
        .expect("scim json");
    let kiro_user = created["id"].as_str().expect("scim id").to_string();
    s.world
        .clients()
        .kiro
        .subscribe(&s.profile_id, "USER", &kiro_user, tier)
        .await
        .expect("subscribe");
    kiro_user
}

/// Four ports that were free a moment ago (bound, read, released): another test's listener
/// or outgoing connection may take one before the sandbox binds it, which [`start_sandbox`]
/// survives.
pub fn free_ports() -> sim_world::Ports {
    let port = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port()
    };
    sim_world::Ports {
        dns: port(),
        dns_api: port(),
        okta: port(),
        kiro: port(),
    }
}

/// Starts a sandbox on fixed free ports (`config` puts them in), on other ones when a port
/// was taken meanwhile (at most 5 tries); panics on any other failure.
pub async fn start_sandbox(
    config: impl Fn(sim_world::Ports) -> sim_world::sandbox::SandboxConfig,
) -> sim_world::sandbox::Sandbox {
    let mut tries = 0;
    loop {
        tries += 1;
        match sim_world::sandbox::Sandbox::start(config(free_ports())).await {
            Ok(sandbox) => return sandbox,
            Err(e) if tries < 5 && port_taken(&e) => {
                eprintln!("a port was taken before the sandbox bound it ({e}); trying others");
            }
            Err(e) => panic!("the sandbox starts: {e}"),
        }
    }
}

/// Whether an error (or one of its causes) is "address in use".
pub fn port_taken(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::AddrInUse)
        {
            return true;
        }
        current = e.source();
    }
    false
}
