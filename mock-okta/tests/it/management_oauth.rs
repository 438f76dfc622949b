//! OAuth 2.0 for the management API (BEHAVIOURS.md OKTA-API-10): a service app granted
//! `okta.*` scopes gets an access token from the org authorization server with
//! `private_key_jwt` (the current SDKs' PrivateKey mode) and calls `/api/v1/…` with
//! `Authorization: Bearer`, within its scopes, alongside SSWS.

use crate::oidc_support;

use oidc_support::{Org, Reply, jwt_parts, unix};
use reqwest::Method;
use serde_json::{Value, json};
use sim_testkit::jwt::EcKey;

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A signed client assertion for `client_id` to the org server's token endpoint.
async fn assertion(org: &Org, key: &EcKey, client_id: &str, jti: &str) -> String {
    let now = unix(org.now().await);
    let claims = json!({ "iss": client_id, "sub": client_id,
                         "aud": format!("{}/oauth2/v1/token", org.base()),
                         "iat": now, "exp": now + 300, "jti": jti });
    key.es256(&claims)
}

async fn org_token(org: &Org, key: &EcKey, client_id: &str, jti: &str, scope: &str) -> Reply {
    let assertion = assertion(org, key, client_id, jti).await;
    org.post_form(
        "/oauth2/v1/token",
        &[
            ("grant_type", "client_credentials"),
            ("scope", scope),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
        ],
    )
    .await
}

async fn bearer(org: &Org, method: Method, path: &str, token: &str, body: Option<Value>) -> Reply {
    let mut request = org
        .http
        .request(method, org.url(path))
        .bearer_auth(token)
        .header("accept", "application/json");
    if let Some(body) = body {
        request = request.json(&body);
    }
    org.send(request).await
}

// covers: OKTA-API-10
#[tokio::test]
async fn okta_api_10_scoped_access_tokens_call_the_management_api() {
    let org = Org::start(41).await;
    let base = org.base();
    org.create_user("ada@example.com", "Ada", "Lovelace").await;
    let key = EcKey::generate("sdk-key");
    let jwk = key.jwk();
    let app = org
        .admin_post(
            "/api/v1/apps",
            json!({
                "name": "oidc_client", "label": "Okta SDK", "signOnMode": "OPENID_CONNECT",
                "credentials": { "oauthClient": { "token_endpoint_auth_method": "private_key_jwt" } },
                "settings": { "oauthClient": { "application_type": "service",
                    "grant_types": ["client_credentials"], "jwks": { "keys": [jwk] } } },
            }),
        )
        .await;
    let client_id = app["id"].as_str().expect("an id").to_string();

    // Not granted yet: the org server refuses the scope.
    org_token(&org, &key, &client_id, "j1", "okta.users.read")
        .await
        .oauth_error(
            400,
            "invalid_scope",
            "The following scopes are not granted to the client: okta.users.read.",
        );
    // The admin grants it (the console's "Okta API Scopes" tab).
    let grant = org
        .admin(
            Method::POST,
            &format!("/api/v1/apps/{client_id}/grants"),
            Some(json!({ "issuer": base, "scopeId": "okta.users.read" })),
        )
        .await;
    assert_eq!(grant.status, 201, "{grant:?}");
    assert_eq!(grant.body["scopeId"], "okta.users.read");
    assert_eq!(grant.body["issuer"], base.as_str());
    let grant_id = grant.body["id"].as_str().expect("an id").to_string();
    assert!(grant_id.starts_with("oag"), "{grant_id}");
    let bad = org
        .admin(
            Method::POST,
            &format!("/api/v1/apps/{client_id}/grants"),
            Some(json!({ "issuer": base, "scopeId": "okta.everything" })),
        )
        .await;
    assert_eq!(
        bad.okta_error(400, "E0000001", "Api validation failed: grant"),
        ["scopeId: Invalid scope: okta.everything"]
    );

    let reply = org_token(&org, &key, &client_id, "j2", "okta.users.read").await;
    let token = reply.ok()["access_token"]
        .as_str()
        .expect("an access token")
        .to_string();
    let (_, claims) = jwt_parts(&token);
    assert_eq!(claims["iss"], base.as_str());
    assert_eq!(claims["aud"], base.as_str());
    assert_eq!(claims["sub"], client_id.as_str());
    assert_eq!(claims["scp"], json!(["okta.users.read"]));

    // Within its scope: reads users.
    let users = bearer(&org, Method::GET, "/api/v1/users", &token, None).await;
    assert_eq!(users.status, 200, "{users:?}");
    assert_eq!(users.body[0]["profile"]["login"], "ada@example.com");
    // Beyond it: creating a user, reading groups.
    let create = bearer(
        &org,
        Method::POST,
        "/api/v1/users?activate=false",
        &token,
        Some(
            json!({ "profile": { "login": "bob@example.com", "email": "bob@example.com",
                                   "firstName": "Bob", "lastName": "B" } }),
        ),
    )
    .await;
    create.okta_error(
        403,
        "E0000006",
        "You do not have permission to perform the requested action",
    );
    bearer(&org, Method::GET, "/api/v1/groups", &token, None)
        .await
        .okta_error(
            403,
            "E0000006",
            "You do not have permission to perform the requested action",
        );
    // Nothing was created.
    let all = org.admin(Method::GET, "/api/v1/users", None).await;
    assert_eq!(all.ok().as_array().map(Vec::len), Some(1));

    // Not a token of the org server for the org: refused as an invalid token.
    for junk in ["not-a-jwt", "a.b.c"] {
        bearer(&org, Method::GET, "/api/v1/users", junk, None)
            .await
            .okta_error(401, "E0000011", "Invalid token provided");
    }
    // SSWS keeps working alongside.
    org.admin(Method::GET, "/api/v1/groups", None).await.ok();

    // With `okta.users.manage` granted too, the same app creates users.
    org.admin(
        Method::POST,
        &format!("/api/v1/apps/{client_id}/grants"),
        Some(json!({ "issuer": base, "scopeId": "okta.users.manage" })),
    )
    .await
    .expect(201);
    let reply = org_token(
        &org,
        &key,
        &client_id,
        "j3",
        "okta.users.read okta.users.manage",
    )
    .await;
    let manage = reply.ok()["access_token"]
        .as_str()
        .expect("a token")
        .to_string();
    let create = bearer(
        &org,
        Method::POST,
        "/api/v1/users?activate=false",
        &manage,
        Some(
            json!({ "profile": { "login": "bob@example.com", "email": "bob@example.com",
                                   "firstName": "Bob", "lastName": "B" } }),
        ),
    )
    .await;
    assert_eq!(create.status, 200, "{create:?}");

    // Revoking a grant stops new tokens with it.
    org.admin(
        Method::DELETE,
        &format!("/api/v1/apps/{client_id}/grants/{grant_id}"),
        None,
    )
    .await
    .expect(204);
    org_token(&org, &key, &client_id, "j4", "okta.users.read")
        .await
        .oauth_error(
            400,
            "invalid_scope",
            "The following scopes are not granted to the client: okta.users.read.",
        );
    // A user signing in never gets `okta.*` scopes from the org server.
    let ada = org
        .admin(Method::GET, "/api/v1/users/ada@example.com", None)
        .await;
    let ada_id = ada.ok()["id"].as_str().expect("an id").to_string();
    let native = org.create_app(&[oidc_support::REDIRECT]).await;
    org.assign_user(&native, &ada_id).await;
    let authn = org
        .post_json(
            "/api/v1/authn",
            json!({ "username": "ada@example.com", "password": oidc_support::PASSWORD }),
        )
        .await;
    let session_token = authn.ok()["sessionToken"]
        .as_str()
        .expect("a session token");
    let mut url = reqwest::Url::parse(&org.url("/oauth2/v1/authorize")).expect("a URL");
    url.query_pairs_mut().extend_pairs([
        ("client_id", native.as_str()),
        ("response_type", "code"),
        ("scope", "openid okta.users.read"),
        ("redirect_uri", oidc_support::REDIRECT),
        ("state", "s1"),
        (
            "code_challenge",
            &oidc_support::challenge(oidc_support::VERIFIER),
        ),
        ("code_challenge_method", "S256"),
        ("sessionToken", session_token),
    ]);
    let refused = org.send(org.http.get(url)).await;
    let query = oidc_support::query_of(&refused.location());
    assert_eq!(
        query.get("error").map(String::as_str),
        Some("access_denied"),
        "{refused:?}"
    );

    // Expired tokens are refused.
    org.advance("2h").await;
    bearer(&org, Method::GET, "/api/v1/users", &manage, None)
        .await
        .okta_error(401, "E0000011", "Invalid token provided");
}

/// `/api/v1/users/me`: with SSWS the admin the API token belongs to; with a user's access
/// token from the org server (scope `okta.users.read.self`, granted to the app) that user,
/// and nothing else; with a service app's own token, 404.
// covers: OKTA-API-11
#[tokio::test]
async fn okta_api_11_users_me_is_the_token_s_user() {
    let org = Org::start(42).await;
    let base = org.base();
    let me = org.admin(Method::GET, "/api/v1/users/me", None).await;
    assert_eq!(me.ok()["id"], "00uadmin0000000000000");
    assert_eq!(me.ok()["profile"]["login"], "admin@kiro-sim.test");
    assert_eq!(me.ok()["status"], "ACTIVE");

    let ada_id = org.create_user("ada@example.com", "Ada", "Lovelace").await;
    let native = org.create_app(&[oidc_support::REDIRECT]).await;
    org.assign_user(&native, &ada_id).await;
    org.admin(
        Method::POST,
        &format!("/api/v1/apps/{native}/grants"),
        Some(json!({ "issuer": base, "scopeId": "okta.users.read.self" })),
    )
    .await
    .expect(201);
    let authn = org
        .post_json(
            "/api/v1/authn",
            json!({ "username": "ada@example.com", "password": oidc_support::PASSWORD }),
        )
        .await;
    let session_token = authn.ok()["sessionToken"]
        .as_str()
        .expect("a session token")
        .to_string();
    let mut url = reqwest::Url::parse(&org.url("/oauth2/v1/authorize")).expect("a URL");
    url.query_pairs_mut().extend_pairs([
        ("client_id", native.as_str()),
        ("response_type", "code"),
        ("scope", "openid okta.users.read.self"),
        ("redirect_uri", oidc_support::REDIRECT),
        ("state", "s1"),
        (
            "code_challenge",
            &oidc_support::challenge(oidc_support::VERIFIER),
        ),
        ("code_challenge_method", "S256"),
        ("sessionToken", &session_token),
    ]);
    let reply = org.send(org.http.get(url)).await;
    let query = oidc_support::query_of(&reply.location());
    let code = query
        .get("code")
        .unwrap_or_else(|| panic!("a code: {reply:?}"));
    let tokens = org
        .post_form("/oauth2/v1/token", &oidc_support::code_grant(&native, code))
        .await;
    let access = tokens.ok()["access_token"]
        .as_str()
        .expect("an access token")
        .to_string();
    let mine = bearer(&org, Method::GET, "/api/v1/users/me", &access, None).await;
    assert_eq!(mine.ok()["id"], ada_id.as_str());
    assert_eq!(mine.ok()["profile"]["login"], "ada@example.com");
    for path in [
        "/api/v1/users".to_string(),
        format!("/api/v1/users/{ada_id}"),
    ] {
        bearer(&org, Method::GET, &path, &access, None)
            .await
            .okta_error(
                403,
                "E0000006",
                "You do not have permission to perform the requested action",
            );
    }

    // A service app's own token has no user.
    let key = EcKey::generate("sdk-key");
    let jwk = key.jwk();
    let app = org
        .admin_post(
            "/api/v1/apps",
            json!({
                "name": "oidc_client", "label": "Okta SDK", "signOnMode": "OPENID_CONNECT",
                "credentials": { "oauthClient": { "token_endpoint_auth_method": "private_key_jwt" } },
                "settings": { "oauthClient": { "application_type": "service",
                    "jwks": { "keys": [jwk] } } },
            }),
        )
        .await;
    let client_id = app["id"].as_str().expect("an id").to_string();
    org.admin(
        Method::POST,
        &format!("/api/v1/apps/{client_id}/grants"),
        Some(json!({ "issuer": base, "scopeId": "okta.users.read" })),
    )
    .await
    .expect(201);
    let reply = org_token(&org, &key, &client_id, "m1", "okta.users.read").await;
    let service = reply.ok()["access_token"]
        .as_str()
        .expect("a token")
        .to_string();
    bearer(&org, Method::GET, "/api/v1/users/me", &service, None)
        .await
        .okta_error(404, "E0000007", "Not found: Resource not found: me (User)");
}
