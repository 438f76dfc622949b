//! What every Okta org ships with, present from the start: the `default` custom authorization
//! server with its "Default Policy" and "Default Policy Rule" (BEHAVIOURS.md OKTA-AS-9).

use crate::oidc_support;

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

/// The org authorization server: issuer the org URL, its endpoints under `{org}/oauth2/v1/`,
/// both discovery documents at the org's root, and the whole sign-in (login form or session
/// token, code, token, userinfo, introspect, revoke, keys) with no policy to set up; it is
/// not a custom server (not listed, not reachable by its internal id).
// covers: OKTA-AS-10
#[tokio::test]
async fn okta_as_10_the_org_authorization_server_signs_in_at_the_org_url() {
    let org = Org::start(12).await;
    let base = org.base();
    for document in ["openid-configuration", "oauth-authorization-server"] {
        let reply = org.get(&format!("/.well-known/{document}")).await;
        let d = reply.ok();
        assert_eq!(d["issuer"], base.as_str(), "{d}");
        for (field, path) in [
            ("authorization_endpoint", "authorize"),
            ("token_endpoint", "token"),
            ("jwks_uri", "keys"),
            ("introspection_endpoint", "introspect"),
            ("revocation_endpoint", "revoke"),
            ("end_session_endpoint", "logout"),
        ] {
            assert_eq!(
                d[field],
                format!("{base}/oauth2/v1/{path}").as_str(),
                "{field}"
            );
        }
    }
    let discovery = org.get("/.well-known/openid-configuration").await;
    assert_eq!(
        discovery.ok()["userinfo_endpoint"],
        format!("{base}/oauth2/v1/userinfo").as_str()
    );
    let jwks = org.get("/oauth2/v1/keys").await.ok().clone();
    assert_eq!(jwks["keys"].as_array().map(Vec::len), Some(2), "{jwks}");
    // Not a custom server: not listed, its internal id names nothing.
    let list = org.admin(Method::GET, AS, None).await;
    assert_eq!(list.ok().as_array().map(Vec::len), Some(1));
    for path in ["/oauth2/@org/v1/keys", "/oauth2/%40org/v1/keys"] {
        let hidden = org.get(path).await;
        assert_eq!(hidden.status, 404, "{path}: {hidden:?}");
        assert_eq!(hidden.body["errorCode"], "E0000007", "{path}");
    }
    let hidden = org.admin(Method::GET, &format!("{AS}/%40org"), None).await;
    assert_eq!(hidden.status, 404, "{hidden:?}");

    // Sign-in with no access policy to set up: the login page posts to the org server.
    let user_id = org.create_user("ada@example.com", "Ada", "Lovelace").await;
    let client_id = org.create_app(&[oidc_support::REDIRECT]).await;
    org.assign_user(&client_id, &user_id).await;
    let kiro = OrgServer(Kiro {
        org,
        as_id: String::new(),
        client_id: client_id.clone(),
        policy_id: String::new(),
        user_id: user_id.clone(),
        login: "ada@example.com".into(),
    });
    let page = kiro
        .0
        .send(kiro.0.http.get(kiro.authorize_url("openid profile")))
        .await;
    assert_eq!(page.status, 200, "{page:?}");
    let html = page.text.clone();
    assert!(
        html.contains("action=\"/oauth2/v1/authorize/login\""),
        "{html}"
    );
    let token = kiro.0.session_token("ada@example.com").await;
    let url = format!(
        "{}&sessionToken={}",
        kiro.authorize_url("openid profile email offline_access"),
        token
    );
    let reply = kiro.0.send(kiro.0.http.get(url)).await;
    let location = reply.location();
    let code = oidc_support::query_of(&location)
        .get("code")
        .cloned()
        .unwrap_or_else(|| panic!("a code: {reply:?}"));
    let tokens = kiro
        .0
        .post_form("/oauth2/v1/token", &code_grant(&client_id, &code))
        .await;
    let tokens = tokens.ok().clone();
    let access = tokens["access_token"].as_str().expect("an access token");
    let id_token = tokens["id_token"].as_str().expect("an ID token");
    assert!(tokens["refresh_token"].is_string(), "{tokens}");
    let (header, claims) = jwt_parts(access);
    assert_eq!(claims["iss"], base.as_str());
    assert_eq!(claims["aud"], base.as_str());
    assert_eq!(claims["uid"], user_id.as_str());
    assert_eq!(
        claims["exp"]
            .as_u64()
            .zip(claims["iat"].as_u64())
            .map(|(e, i)| e - i),
        Some(3600)
    );
    assert_eq!(
        verify_with_jwks(access, &jwks).as_deref(),
        header["kid"].as_str()
    );
    let (_, id_claims) = jwt_parts(id_token);
    assert_eq!(id_claims["iss"], base.as_str());
    assert_eq!(id_claims["aud"], client_id.as_str());
    assert!(verify_with_jwks(id_token, &jwks).is_some());

    let userinfo = kiro
        .0
        .send(
            kiro.0
                .http
                .get(kiro.0.url("/oauth2/v1/userinfo"))
                .bearer_auth(access),
        )
        .await;
    assert_eq!(userinfo.ok()["sub"], user_id.as_str());
    let active = kiro
        .0
        .post_form(
            "/oauth2/v1/introspect",
            &[("client_id", &client_id), ("token", access)],
        )
        .await;
    assert_eq!(active.ok()["active"], true);
    assert_eq!(active.ok()["iss"], base.as_str());
    // A token of the org server is not one of `default`'s, nor the other way round.
    let elsewhere = kiro
        .0
        .post_form(
            "/oauth2/default/v1/introspect",
            &[("client_id", &client_id), ("token", access)],
        )
        .await;
    assert_eq!(elsewhere.ok()["active"], false);
    kiro.0
        .post_form(
            "/oauth2/v1/revoke",
            &[("client_id", &client_id), ("token", access)],
        )
        .await
        .expect(200);
    let dead = kiro
        .0
        .post_form(
            "/oauth2/v1/introspect",
            &[("client_id", &client_id), ("token", access)],
        )
        .await;
    assert_eq!(dead.ok()["active"], false);
}

/// A [`Kiro`] set-up pointed at the org server's endpoints.
struct OrgServer(Kiro);

impl OrgServer {
    fn authorize_url(&self, scopes: &str) -> String {
        let custom = self.0.authorize_url(scopes, &[]);
        let query = custom.split_once('?').map(|(_, q)| q).unwrap_or_default();
        format!("{}/oauth2/v1/authorize?{query}", self.0.base())
    }
}
