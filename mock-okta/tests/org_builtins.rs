//! What every Okta org ships with, present from the start: the `default` custom authorization
//! server with its "Default Policy" and "Default Policy Rule" (BEHAVIOURS.md OKTA-AS-9).

mod oidc_support;

use oidc_support::{Kiro, Org, code_grant, jwt_parts, verify_with_jwks};
use reqwest::Method;
use serde_json::{Value, json};

const AS: &str = "/api/v1/authorizationServers";

/// The org at start has the `default` server as real orgs ship it, and it issues tokens
/// through its default policy and rule with no set-up beyond a user and an app.
// covers: OKTA-AS-9
#[tokio::test]
async fn okta_as_9_the_default_server_exists_at_start_and_issues_tokens() {
    let org = Org::start(11).await;
    let base = org.base();
    let issuer = format!("{base}/oauth2/default");

    let list = org.admin(Method::GET, AS, None).await;
    let servers = list.ok().as_array().expect("a list").clone();
    assert_eq!(servers.len(), 1, "{servers:?}");
    let server = org.admin(Method::GET, &format!("{AS}/default"), None).await;
    let server = server.ok().clone();
    assert_eq!(servers[0], server);
    assert_eq!(server["id"], "default");
    assert_eq!(server["name"], "default");
    assert_eq!(
        server["description"],
        "Default Authorization Server for your Applications"
    );
    assert_eq!(server["audiences"], json!(["api://default"]));
    assert_eq!(server["issuer"], issuer.as_str());
    assert_eq!(server["status"], "ACTIVE");
    assert_eq!(server["created"], "2026-01-01T00:00:00.000Z");

    let policies = org
        .admin(Method::GET, &format!("{AS}/default/policies"), None)
        .await;
    let policies = policies.ok().as_array().expect("a list").clone();
    assert_eq!(policies.len(), 1);
    let policy = &policies[0];
    assert_eq!(policy["name"], "Default Policy");
    assert_eq!(policy["description"], "Default policy description");
    assert_eq!(policy["priority"], 1);
    assert_eq!(policy["status"], "ACTIVE");
    assert_eq!(
        policy["conditions"],
        json!({ "clients": { "include": ["ALL_CLIENTS"] } })
    );
    let policy_id = policy["id"].as_str().expect("an id");
    assert!(policy_id.starts_with("00p"), "{policy_id}");
    let rules = org
        .admin(
            Method::GET,
            &format!("{AS}/default/policies/{policy_id}/rules"),
            None,
        )
        .await;
    let rules = rules.ok().as_array().expect("a list").clone();
    assert_eq!(rules.len(), 1);
    let rule = &rules[0];
    assert_eq!(rule["name"], "Default Policy Rule");
    assert_eq!(rule["priority"], 1);
    assert_eq!(rule["status"], "ACTIVE");
    assert_eq!(
        rule["conditions"]["people"]["groups"]["include"],
        json!(["EVERYONE"])
    );
    assert_eq!(rule["conditions"]["scopes"]["include"], json!(["*"]));
    assert_eq!(
        rule["conditions"]["grantTypes"]["include"],
        json!([
            "client_credentials",
            "authorization_code",
            "urn:ietf:params:oauth:grant-type:device_code",
            "implicit",
            "password"
        ])
    );
    assert_eq!(
        rule["actions"]["token"],
        json!({
            "accessTokenLifetimeMinutes": 60,
            "refreshTokenLifetimeMinutes": 0,
            "refreshTokenWindowMinutes": 10080,
        })
    );
    let scopes = org
        .admin(Method::GET, &format!("{AS}/default/scopes"), None)
        .await;
    let names: Vec<&str> = scopes
        .ok()
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    for system in ["openid", "profile", "email", "offline_access"] {
        assert!(names.contains(&system), "{names:?}");
    }

    let discovery = org
        .get("/oauth2/default/.well-known/openid-configuration")
        .await;
    assert_eq!(discovery.ok()["issuer"], issuer.as_str());
    assert_eq!(
        discovery.ok()["token_endpoint"],
        format!("{issuer}/v1/token").as_str()
    );

    // A user assigned to an app signs in through `default` with nothing else set up.
    let user_id = org.create_user("ada@example.com", "Ada", "Lovelace").await;
    let client_id = org.create_app(&[oidc_support::REDIRECT]).await;
    org.assign_user(&client_id, &user_id).await;
    let kiro = Kiro {
        org,
        as_id: "default".into(),
        client_id: client_id.clone(),
        policy_id: policy_id.to_string(),
        user_id: user_id.clone(),
        login: "ada@example.com".into(),
    };
    let code = kiro
        .code_for("ada@example.com", "openid profile offline_access")
        .await;
    let tokens = kiro
        .token(&code_grant(&client_id, &code))
        .await
        .ok()
        .clone();
    let access = tokens["access_token"].as_str().expect("an access token");
    assert!(tokens["refresh_token"].is_string(), "{tokens}");
    let (header, claims) = jwt_parts(access);
    assert_eq!(claims["iss"], issuer.as_str());
    assert_eq!(claims["aud"], "api://default");
    assert_eq!(claims["uid"], user_id.as_str());
    let jwks = kiro.jwks().await;
    assert_eq!(
        verify_with_jwks(access, &jwks).as_deref(),
        header["kid"].as_str()
    );
}

/// The built-in server draws nothing from the seed's streams: the first server an admin
/// creates still takes the seed's first dev key and the ids it always had, and its key is
/// not the `default` server's.
// covers: OKTA-AS-9
#[tokio::test]
async fn okta_as_9_the_default_server_shifts_no_id_or_key_of_the_seed() {
    let org = Org::start(11).await;
    let created = org
        .admin_post(AS, json!({ "name": "kiro", "audiences": ["api://kiro"] }))
        .await;
    let dev = sim_core::keys::dev_keys(sim_core::Seed(11)).expect("dev keys");
    let id = created["id"].as_str().expect("an id").to_string();
    assert_eq!(
        kids(&org, &id).await,
        [
            (json!(dev[0].kid()), json!("ACTIVE")),
            (json!(dev[1].kid()), json!("NEXT"))
        ]
    );
    let last = dev.len() - 1;
    assert_eq!(
        kids(&org, "default").await,
        [
            (json!(dev[last].kid()), json!("ACTIVE")),
            (json!(dev[last - 1].kid()), json!("NEXT"))
        ]
    );
    // Its id is the one the seed's id stream gives right after the org's own id: the
    // built-in server took nothing from that stream.
    let mut ids = sim_core::Seed(11).stream("mock-okta/ids");
    let _org_id = sim_core::ids::okta_id(&mut ids, sim_core::ids::OktaKind::Org);
    let expected = sim_core::ids::okta_id(&mut ids, sim_core::ids::OktaKind::AuthServer);
    assert_eq!(id, expected);
}

/// `(kid, status)` of each key of a server.
async fn kids(org: &Org, as_id: &str) -> Vec<(Value, Value)> {
    let reply = org
        .admin(Method::GET, &format!("{AS}/{as_id}/credentials/keys"), None)
        .await;
    reply
        .ok()
        .as_array()
        .expect("a list")
        .iter()
        .map(|k| (k["kid"].clone(), k["status"].clone()))
        .collect()
}
