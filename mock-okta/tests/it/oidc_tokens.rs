//! What the authorization server publishes and issues: discovery documents, the JWKS (with its
//! cache headers, across key rotation), the exact claim sets of access and ID tokens and their
//! lifetimes, the token response, introspection and userinfo shapes, and determinism (same
//! seed, same requests → byte-identical responses).
//!
//! covers: [OKTA-AS-1, OKTA-AS-3, OKTA-AS-4, OKTA-AS-7, OKTA-TOK-6]

use crate::oidc_support;

use std::collections::BTreeSet;
use std::net::SocketAddr;

use oidc_support::{
    AUDIENCE, Kiro, Org, at_hash, code_grant, jwt_parts, query_of, verify_with_jwks,
};
use reqwest::Method;
use serde_json::{Value, json};

const SCOPES: &str = "openid profile email offline_access codewhisperer:completions";

fn keys(object: &Value) -> BTreeSet<String> {
    object
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn num(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("a number: {v}"))
}

#[tokio::test]
async fn okta_as_4_access_and_id_tokens_carry_okta_s_claims() {
    let kiro = Kiro::start(51).await;
    let signed_in_at = kiro.now().await;
    let reply = {
        let code = kiro.code_for(&kiro.login, SCOPES).await;
        kiro.token(&code_grant(&kiro.client_id, &code)).await
    };
    assert_eq!(reply.header("cache-control"), "no-store");
    assert_eq!(reply.header("pragma"), "no-cache");
    let response = reply.ok();
    assert_eq!(
        response
            .as_object()
            .expect("an object")
            .keys()
            .collect::<Vec<_>>(),
        [
            "token_type",
            "expires_in",
            "access_token",
            "scope",
            "refresh_token",
            "id_token"
        ]
    );
    assert_eq!(response["token_type"], json!("Bearer"));
    assert_eq!(response["expires_in"], json!(3600));
    assert_eq!(response["scope"], json!(SCOPES));
    let access = response["access_token"].as_str().expect("an access token");
    let id_token = response["id_token"].as_str().expect("an ID token");
    let jwks = kiro.jwks().await;
    let auth_time = oidc_support::unix(signed_in_at);

    let (header, claims) = jwt_parts(access);
    let kid = verify_with_jwks(access, &jwks).expect("the access token verifies");
    assert_eq!(header, json!({ "kid": kid, "alg": "RS256" }));
    assert_eq!(
        keys(&claims),
        set(&[
            "ver",
            "jti",
            "iss",
            "aud",
            "iat",
            "exp",
            "cid",
            "uid",
            "scp",
            "auth_time",
            "sub"
        ])
    );
    assert_eq!(claims["ver"], json!(1));
    assert!(
        claims["jti"].as_str().is_some_and(|j| j.starts_with("AT.")),
        "{claims}"
    );
    assert_eq!(claims["iss"], json!(kiro.issuer()));
    assert!(!kiro.issuer().ends_with('/'));
    assert_eq!(claims["aud"], json!(AUDIENCE));
    assert_eq!(claims["cid"], json!(kiro.client_id));
    assert_eq!(claims["uid"], json!(kiro.user_id));
    assert_eq!(
        claims["scp"],
        json!([
            "openid",
            "profile",
            "email",
            "offline_access",
            "codewhisperer:completions"
        ])
    );
    assert_eq!(claims["sub"], json!(kiro.login));
    assert_eq!(claims["auth_time"], json!(auth_time));
    assert_eq!(claims["iat"], json!(auth_time));
    assert_eq!(num(&claims["exp"]) - num(&claims["iat"]), 3600);

    let (id_header, id_claims) = jwt_parts(id_token);
    assert_eq!(
        verify_with_jwks(id_token, &jwks).as_deref(),
        Some(kid.as_str())
    );
    assert_eq!(id_header, json!({ "kid": kid, "alg": "RS256" }));
    assert_eq!(
        keys(&id_claims),
        set(&[
            "sub",
            "name",
            "email",
            "ver",
            "iss",
            "aud",
            "iat",
            "exp",
            "jti",
            "amr",
            "idp",
            "nonce",
            "preferred_username",
            "auth_time",
            "at_hash"
        ])
    );
    assert_eq!(id_claims["sub"], json!(kiro.user_id));
    assert_eq!(id_claims["name"], json!("Ada Lovelace"));
    assert_eq!(id_claims["email"], json!("ada@example.com"));
    assert_eq!(id_claims["iss"], json!(kiro.issuer()));
    assert_eq!(id_claims["aud"], json!(kiro.client_id));
    assert_eq!(id_claims["nonce"], json!("n0nce"));
    assert_eq!(id_claims["amr"], json!(["pwd"]));
    assert_eq!(id_claims["at_hash"], json!(at_hash(access)));
    assert_eq!(id_claims["auth_time"], json!(auth_time));
    assert_eq!(id_claims["preferred_username"], json!(kiro.login));
    assert!(
        id_claims["jti"]
            .as_str()
            .is_some_and(|j| j.starts_with("ID.")),
        "{id_claims}"
    );
    let idp = id_claims["idp"].as_str().expect("idp");
    assert!(idp.starts_with("00o") && idp.len() == 20, "{idp}");
    assert_eq!(num(&id_claims["exp"]) - num(&id_claims["iat"]), 3600);

    // Refreshed tokens: the same claims, `auth_time` of the original sign-in, no nonce.
    kiro.advance("10m").await;
    let refreshed = kiro
        .refresh(response["refresh_token"].as_str().expect("a refresh token"))
        .await;
    let refreshed = refreshed.ok();
    let (_, claims) = jwt_parts(refreshed["access_token"].as_str().expect("access"));
    assert_eq!(claims["auth_time"], json!(auth_time));
    assert_eq!(num(&claims["iat"]), auth_time + 600);
    let (_, id_claims) = jwt_parts(refreshed["id_token"].as_str().expect("id"));
    assert!(id_claims.get("nonce").is_none(), "{id_claims}");
    assert_eq!(
        id_claims["at_hash"],
        json!(at_hash(refreshed["access_token"].as_str().expect("access")))
    );
}

#[tokio::test]
async fn okta_as_3_token_lifetimes_come_from_the_rule() {
    let kiro = Kiro::start_with(52, 15).await;
    let tokens = kiro.sign_in(&kiro.login, SCOPES).await;
    assert_eq!(tokens["expires_in"], json!(900));
    let (_, claims) = jwt_parts(tokens["access_token"].as_str().expect("access"));
    assert_eq!(num(&claims["exp"]) - num(&claims["iat"]), 900);
    let refreshed = kiro
        .refresh(tokens["refresh_token"].as_str().expect("refresh"))
        .await;
    assert_eq!(refreshed.ok()["expires_in"], json!(900));
    // Introspection reports the same expiry.
    let info = kiro
        .introspect(tokens["access_token"].as_str().expect("access"))
        .await;
    assert_eq!(info["exp"], claims["exp"]);
}

#[tokio::test]
async fn okta_as_7_a_token_signed_before_key_rotation_still_verifies_and_new_tokens_carry_the_new_kid()
 {
    let kiro = Kiro::start(53).await;
    let before = kiro.jwks().await;
    let old = kiro.sign_in(&kiro.login, SCOPES).await;
    let old_access = old["access_token"].as_str().expect("access").to_string();
    let old_kid = verify_with_jwks(&old_access, &before).expect("verifies");
    assert_eq!(before["keys"][0]["kid"], json!(old_kid), "ACTIVE first");
    let next_kid = before["keys"][1]["kid"].clone();

    kiro.rotate_keys(&kiro.as_id).await;
    let after = kiro.jwks().await;
    let kids: Vec<&Value> = after["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| &k["kid"])
        .collect();
    assert_eq!(kids.len(), 3, "ACTIVE, NEXT and the EXPIRED one: {after}");
    assert_eq!(kids[0], &next_kid, "the NEXT key became ACTIVE");
    assert!(kids.contains(&&json!(old_kid)));
    assert_eq!(
        verify_with_jwks(&old_access, &after).as_deref(),
        Some(old_kid.as_str())
    );
    assert_eq!(kiro.introspect(&old_access).await["active"], json!(true));
    assert_eq!(kiro.userinfo(&old_access).await.status, 200);

    let new = kiro.sign_in(&kiro.login, SCOPES).await;
    for token in ["access_token", "id_token"] {
        let token = new[token].as_str().expect("a token");
        let (header, _) = jwt_parts(token);
        assert_eq!(header["kid"], next_kid);
        assert!(verify_with_jwks(token, &after).is_some());
    }
    // A refresh after rotation is signed with the new key too.
    let refreshed = kiro
        .refresh(old["refresh_token"].as_str().expect("refresh"))
        .await;
    let (header, _) = jwt_parts(refreshed.ok()["access_token"].as_str().expect("access"));
    assert_eq!(header["kid"], next_kid);

    // A second rotation retires the oldest key.
    kiro.rotate_keys(&kiro.as_id).await;
    let later = kiro.jwks().await;
    assert!(verify_with_jwks(&old_access, &later).is_none());
    assert_eq!(
        kiro.introspect(&old_access).await,
        json!({ "active": false })
    );
}

#[tokio::test]
async fn okta_as_7_the_jwks_publishes_every_key_with_cache_headers() {
    let kiro = Kiro::start(54).await;
    let reply = kiro.get(&kiro.endpoint("keys")).await;
    let jwks = reply.ok();
    assert_eq!(keys(jwks), set(&["keys"]));
    let published = jwks["keys"].as_array().expect("keys");
    assert_eq!(published.len(), 2, "ACTIVE and NEXT");
    for key in published {
        assert_eq!(keys(key), set(&["kty", "alg", "kid", "use", "n", "e"]));
        assert_eq!(key["kty"], json!("RSA"));
        assert_eq!(key["alg"], json!("RS256"));
        assert_eq!(key["use"], json!("sig"));
        assert_eq!(key["e"], json!("AQAB"));
    }
    assert_eq!(
        reply.header("cache-control"),
        "max-age=3600, must-revalidate"
    );
    assert_eq!(reply.header("date"), "Thu, 01 Jan 2026 00:00:00 GMT");
    assert_eq!(reply.header("expires"), "Thu, 01 Jan 2026 01:00:00 GMT");
    // The management API lists the same keys.
    let listed = kiro
        .admin(
            Method::GET,
            &format!(
                "/api/v1/authorizationServers/{}/credentials/keys",
                kiro.as_id
            ),
            None,
        )
        .await;
    let listed: BTreeSet<String> = listed
        .ok()
        .as_array()
        .expect("a list")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_string())
        .collect();
    let published: BTreeSet<String> = published
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_string())
        .collect();
    assert_eq!(listed, published);
}

#[tokio::test]
async fn okta_as_1_discovery_documents_name_the_issuer_and_endpoints() {
    let kiro = Kiro::start(55).await;
    let issuer = kiro.issuer();
    let openid = kiro
        .get(&format!("{issuer}/.well-known/openid-configuration"))
        .await;
    let openid = openid.ok();
    assert_eq!(openid["issuer"], json!(issuer));
    for (field, path) in [
        ("authorization_endpoint", "authorize"),
        ("token_endpoint", "token"),
        ("userinfo_endpoint", "userinfo"),
        ("jwks_uri", "keys"),
        ("introspection_endpoint", "introspect"),
        ("revocation_endpoint", "revoke"),
        ("end_session_endpoint", "logout"),
    ] {
        assert_eq!(
            openid[field],
            json!(format!("{issuer}/v1/{path}")),
            "{field}"
        );
    }
    assert_eq!(openid["response_types_supported"], json!(["code"]));
    assert_eq!(
        openid["response_modes_supported"],
        json!(["query", "fragment", "form_post"])
    );
    assert_eq!(
        openid["grant_types_supported"],
        json!(["authorization_code", "refresh_token", "client_credentials"])
    );
    assert_eq!(openid["subject_types_supported"], json!(["public"]));
    assert_eq!(
        openid["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
    assert_eq!(openid["code_challenge_methods_supported"], json!(["S256"]));
    let auth_methods = json!([
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none"
    ]);
    assert_eq!(
        openid["token_endpoint_auth_methods_supported"],
        auth_methods
    );
    assert_eq!(
        openid["introspection_endpoint_auth_methods_supported"],
        auth_methods
    );
    assert_eq!(
        openid["revocation_endpoint_auth_methods_supported"],
        auth_methods
    );
    let scopes = openid["scopes_supported"].as_array().expect("scopes");
    for scope in [
        "openid",
        "profile",
        "email",
        "offline_access",
        "codewhisperer:completions",
        "codewhisperer:conversations",
    ] {
        assert!(scopes.contains(&json!(scope)), "{scope}");
    }
    let claims = openid["claims_supported"].as_array().expect("claims");
    for claim in ["iss", "sub", "aud", "nonce", "amr", "idp", "at_hash"] {
        assert!(claims.contains(&json!(claim)), "{claim}");
    }

    let oauth = kiro
        .get(&format!("{issuer}/.well-known/oauth-authorization-server"))
        .await;
    let oauth = oauth.ok();
    assert_eq!(oauth["issuer"], json!(issuer));
    assert_eq!(oauth["token_endpoint"], openid["token_endpoint"]);
    assert_eq!(oauth["jwks_uri"], openid["jwks_uri"]);
    assert!(oauth.get("userinfo_endpoint").is_none());

    // Unknown and inactive servers are Okta's 404.
    let unknown = kiro
        .get(&format!(
            "{}/oauth2/ausnosuchserver00000/.well-known/openid-configuration",
            kiro.base()
        ))
        .await;
    unknown.okta_error(
        404,
        "E0000007",
        "Not found: Resource not found: ausnosuchserver00000 (AuthorizationServer)",
    );
    let reply = kiro
        .admin(
            Method::POST,
            &format!(
                "/api/v1/authorizationServers/{}/lifecycle/deactivate",
                kiro.as_id
            ),
            None,
        )
        .await;
    assert!(reply.status == 200 || reply.status == 204, "{reply:?}");
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
        "/v1/keys",
    ] {
        let reply = kiro.get(&format!("{issuer}{path}")).await;
        reply.okta_error(
            404,
            "E0000007",
            &format!(
                "Not found: Resource not found: {} (AuthorizationServer)",
                kiro.as_id
            ),
        );
    }
}

#[tokio::test]
async fn okta_tok_6_introspection_reports_okta_s_fields_only_to_the_token_s_client() {
    let kiro = Kiro::start(56).await;
    let tokens = kiro.sign_in(&kiro.login, SCOPES).await;
    let access = tokens["access_token"].as_str().expect("access");
    let refresh = tokens["refresh_token"].as_str().expect("refresh");
    let (_, claims) = jwt_parts(access);
    let info = kiro.introspect(access).await;
    assert_eq!(
        info,
        json!({
            "active": true,
            "scope": SCOPES,
            "username": kiro.login,
            "exp": claims["exp"],
            "iat": claims["iat"],
            "sub": kiro.login,
            "aud": AUDIENCE,
            "iss": kiro.issuer(),
            "jti": claims["jti"],
            "token_type": "Bearer",
            "client_id": kiro.client_id,
            "uid": kiro.user_id,
        })
    );
    let info = kiro.introspect(refresh).await;
    assert_eq!(
        info,
        json!({
            "active": true,
            "scope": SCOPES,
            "username": kiro.login,
            "iat": claims["iat"],
            "sub": kiro.login,
            "aud": AUDIENCE,
            "iss": kiro.issuer(),
            "token_type": "refresh_token",
            "client_id": kiro.client_id,
            "uid": kiro.user_id,
        })
    );
    // Another client of the org learns nothing.
    let other = kiro.create_app(&[oidc_support::REDIRECT]).await;
    let reply = kiro
        .post_form(
            &kiro.endpoint("introspect"),
            &[("client_id", &other), ("token", access)],
        )
        .await;
    assert_eq!(reply.ok(), &json!({ "active": false }));
    assert_eq!(kiro.introspect("garbage").await, json!({ "active": false }));
}

#[tokio::test]
async fn okta_as_4_userinfo_answers_the_profile_of_the_token_s_user() {
    let kiro = Kiro::start(57).await;
    let tokens = kiro.sign_in(&kiro.login, SCOPES).await;
    let reply = kiro
        .userinfo(tokens["access_token"].as_str().expect("access"))
        .await;
    assert_eq!(reply.header("cache-control"), "no-store");
    let info = reply.ok();
    assert_eq!(
        info,
        &json!({
            "sub": kiro.user_id,
            "name": "Ada Lovelace",
            "locale": "en_US",
            "preferred_username": kiro.login,
            "given_name": "Ada",
            "family_name": "Lovelace",
            "zoneinfo": "America/Los_Angeles",
            "updated_at": info["updated_at"],
            "email": "ada@example.com",
            "email_verified": true,
        })
    );
    assert!(info["updated_at"].is_u64());

    // POST works too, with the token in the header.
    let reply = kiro
        .send(
            kiro.http
                .post(kiro.endpoint("userinfo"))
                .bearer_auth(tokens["access_token"].as_str().expect("access")),
        )
        .await;
    assert_eq!(reply.ok()["sub"], json!(kiro.user_id));

    // Without `openid`, the token is valid but not for userinfo.
    let plain = kiro.sign_in(&kiro.login, "codewhisperer:completions").await;
    let reply = kiro
        .userinfo(plain["access_token"].as_str().expect("access"))
        .await;
    assert_eq!(reply.status, 403);
    assert!(
        reply
            .header("www-authenticate")
            .starts_with("Bearer error=\"insufficient_scope\""),
        "{reply:?}"
    );
    // No token, or not a token.
    for reply in [
        kiro.get(&kiro.endpoint("userinfo")).await,
        kiro.userinfo("not.a.jwt").await,
    ] {
        assert_eq!(reply.status, 401);
        assert_eq!(
            reply.header("www-authenticate"),
            "Bearer error=\"invalid_token\", error_description=\"The access token is invalid.\""
        );
    }
}

/// Drives one org through set-up, sign-in, code exchange and refresh; returns every response
/// body in order, and the org's port.
async fn drive(org: Org) -> (Vec<String>, u16) {
    let port = reqwest::Url::parse(&org.base())
        .expect("a URL")
        .port()
        .expect("a port");
    let kiro = Kiro::set_up(org, 60).await;
    let mut bodies = Vec::new();
    let authn = kiro.authn(&kiro.login, oidc_support::PASSWORD).await;
    bodies.push(authn.text.clone());
    let token = authn.body["sessionToken"]
        .as_str()
        .expect("a session token");
    let authorize = kiro.authorize(SCOPES, &[("sessionToken", token)]).await;
    let location = authorize.location();
    bodies.push(location.clone());
    let code = query_of(&location)["code"].clone();
    let tokens = kiro.token(&code_grant(&kiro.client_id, &code)).await;
    bodies.push(tokens.text.clone());
    kiro.advance("5m").await;
    let refreshed = kiro
        .refresh(tokens.body["refresh_token"].as_str().expect("refresh"))
        .await;
    bodies.push(refreshed.text.clone());
    bodies.push(kiro.jwks().await.to_string());
    let Kiro { org, .. } = kiro;
    org.okta.shutdown().await;
    (bodies, port)
}

#[tokio::test]
async fn okta_as_4_the_same_seed_gives_byte_identical_token_responses() {
    // The issuer holds the port, so the second org listens where the first one did.
    let (first, port) = drive(Org::start(58).await).await;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let (second, _) = drive(Org::start_at(58, addr).await).await;
    assert_eq!(first.len(), second.len());
    for (a, b) in first.iter().zip(&second) {
        assert_eq!(a, b);
    }
    // A different seed mints different tokens.
    let (third, _) = drive(Org::start_at(59, addr).await).await;
    assert_ne!(first[2], third[2]);
}

#[tokio::test]
async fn okta_as_1_confidential_clients_authenticate_with_basic_or_post() {
    use base64::Engine;
    let kiro = Kiro::start(60).await;
    let app = kiro
        .admin_post(
            "/api/v1/apps",
            json!({
                "name": "oidc_client",
                "label": "Web",
                "signOnMode": "OPENID_CONNECT",
                "credentials": { "oauthClient": { "token_endpoint_auth_method": "client_secret_basic" } },
                "settings": { "oauthClient": {
                    "redirect_uris": [oidc_support::REDIRECT],
                    "response_types": ["code"],
                    "grant_types": ["authorization_code"],
                    "application_type": "web",
                } },
            }),
        )
        .await;
    let client_id = oidc_support::id(&app);
    let secret = app["credentials"]["oauthClient"]["client_secret"]
        .as_str()
        .expect("a client secret")
        .to_string();
    kiro.assign_user(&client_id, &kiro.user_id).await;
    let policy = kiro.create_policy(&kiro.as_id, &client_id).await;
    kiro.create_rule(
        &kiro.as_id,
        &policy,
        &["authorization_code"],
        &["openid"],
        60,
    )
    .await;

    let code = || async {
        let token = kiro.session_token(&kiro.login).await;
        let reply = kiro
            .authorize(
                "openid",
                &[
                    ("client_id", &client_id),
                    ("code_challenge", ""),
                    ("code_challenge_method", ""),
                    ("sessionToken", &token),
                ],
            )
            .await;
        query_of(&reply.location())["code"].clone()
    };
    let grant = |code: &str| {
        vec![
            ("grant_type".to_string(), "authorization_code".to_string()),
            ("code".to_string(), code.to_string()),
            (
                "redirect_uri".to_string(),
                oidc_support::REDIRECT.to_string(),
            ),
        ]
    };
    let basic = |id: &str, secret: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
        )
    };

    // client_secret_basic.
    let c = code().await;
    let reply = kiro
        .send(
            kiro.http
                .post(kiro.endpoint("token"))
                .header("authorization", basic(&client_id, &secret))
                .form(&grant(&c)),
        )
        .await;
    let (_, claims) = jwt_parts(reply.ok()["access_token"].as_str().expect("access"));
    assert_eq!(claims["cid"], json!(client_id));

    // client_secret_post.
    let c = code().await;
    let mut form = grant(&c);
    form.push(("client_id".into(), client_id.clone()));
    form.push(("client_secret".into(), secret.clone()));
    let reply = kiro
        .send(kiro.http.post(kiro.endpoint("token")).form(&form))
        .await;
    reply.ok();

    // A wrong secret, no secret, or both ways at once.
    let c = code().await;
    let invalid =
        "Client authentication failed. Either the client or the client credentials are invalid.";
    let reply = kiro
        .send(
            kiro.http
                .post(kiro.endpoint("token"))
                .header("authorization", basic(&client_id, "wrong"))
                .form(&grant(&c)),
        )
        .await;
    reply.oauth_error(401, "invalid_client", invalid);
    let mut form = grant(&c);
    form.push(("client_id".into(), client_id.clone()));
    let reply = kiro
        .send(kiro.http.post(kiro.endpoint("token")).form(&form))
        .await;
    reply.oauth_error(401, "invalid_client", invalid);
    let mut form = grant(&c);
    form.push(("client_secret".into(), secret.clone()));
    let reply = kiro
        .send(
            kiro.http
                .post(kiro.endpoint("token"))
                .header("authorization", basic(&client_id, &secret))
                .form(&form),
        )
        .await;
    reply.oauth_error(
        400,
        "invalid_request",
        "Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body.",
    );
    // None of that spent the code; introspection takes the same credentials.
    let reply = kiro
        .send(
            kiro.http
                .post(kiro.endpoint("token"))
                .header("authorization", basic(&client_id, &secret))
                .form(&grant(&c)),
        )
        .await;
    let access = reply.ok()["access_token"]
        .as_str()
        .expect("access")
        .to_string();
    let reply = kiro
        .send(
            kiro.http
                .post(kiro.endpoint("introspect"))
                .header("authorization", basic(&client_id, &secret))
                .form(&[
                    ("token", access.as_str()),
                    ("token_type_hint", "access_token"),
                ]),
        )
        .await;
    assert_eq!(reply.ok()["active"], json!(true));
    assert_eq!(reply.body["client_id"], json!(client_id));
}
