//! A real OIDC relying party (the `openidconnect` crate) against mock-okta: discovery, the
//! authorization-code flow with PKCE, token exchange with ID-token verification (signature via
//! the JWKS, `iss`, `aud`, `nonce`, `at_hash`), refresh and userinfo. The login is headless:
//! `/api/v1/authn` gives a `sessionToken` that rides along on the authorize URL.
//!
//! And Okta's own sign-in SDK, `@okta/okta-auth-js` 8.x (`tests/sdk/okta_auth_js.js`, Node,
//! from `clients/node/`'s lock file, see `sdk_support`), as a public client: sign-in, PKCE, code
//! exchange with ID-token verification, refresh, userinfo, introspection and revocation (it
//! authenticates with `Basic base64(client_id)`, no secret).
//!
//! covers: [OKTA-AS-1, OKTA-AS-4, OKTA-AS-5, OKTA-TOK-1, OKTA-TOK-2]

use crate::oidc_support;
use crate::sdk_support;

use std::time::SystemTime;

use oidc_support::{Kiro, REDIRECT, query_of, without_query};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClaimsVerificationError, ClientId, CsrfToken, HttpRequest,
    HttpResponse, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope,
    TokenResponse,
};

/// openidconnect's async HTTP client trait, implemented over the workspace's reqwest.
async fn send(http: reqwest::Client, request: HttpRequest) -> Result<HttpResponse, std::io::Error> {
    let (parts, body) = request.into_parts();
    let response = http
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await
        .map_err(std::io::Error::other)?;
    let mut builder = openidconnect::http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    let body = response.bytes().await.map_err(std::io::Error::other)?;
    builder.body(body.to_vec()).map_err(std::io::Error::other)
}

fn chrono_time(t: SystemTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::<chrono::Utc>::from(t)
}

#[tokio::test]
async fn okta_as_1_a_relying_party_signs_in_with_pkce_verifies_the_id_token_refreshes_and_reads_userinfo()
 {
    let kiro = Kiro::start(11).await;
    let http = {
        let client = oidc_support::client(false);
        move |request: HttpRequest| send(client.clone(), request)
    };

    // Discovery (and the JWKS it fetches).
    let issuer = IssuerUrl::new(kiro.issuer()).expect("an issuer URL");
    let metadata = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .expect("discovery");
    assert_eq!(metadata.issuer().as_str(), kiro.issuer());
    let client =
        CoreClient::from_provider_metadata(metadata, ClientId::new(kiro.client_id.clone()), None)
            .set_redirect_uri(RedirectUrl::new(REDIRECT.to_string()).expect("a redirect URL"));

    // Authorization request with PKCE and a nonce; the session comes from a session token.
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("offline_access".into()))
        .add_scope(Scope::new("codewhisperer:completions".into()))
        .set_pkce_challenge(challenge)
        .url();
    let session_token = kiro.session_token(&kiro.login).await;
    let mut url = url;
    url.query_pairs_mut()
        .append_pair("sessionToken", &session_token);
    let reply = kiro.send(kiro.http.get(url.as_str())).await;
    let location = reply.location();
    assert_eq!(without_query(&location), REDIRECT);
    let callback = query_of(&location);
    assert_eq!(
        callback.get("state").map(String::as_str),
        Some(csrf.secret().as_str())
    );
    let code = callback.get("code").expect("a code").clone();

    // Token exchange, then ID-token verification on the world's clock.
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .expect("a token endpoint")
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("the code exchange");
    let now = kiro.now().await;
    let verifier = client
        .id_token_verifier()
        .set_time_fn(move || chrono_time(now));
    let id_token = tokens
        .id_token()
        .expect("an ID token (openid was requested)");
    let claims = id_token
        .claims(&verifier, &nonce)
        .expect("a valid ID token");
    assert_eq!(claims.issuer().as_str(), kiro.issuer());
    assert_eq!(claims.audiences().len(), 1);
    assert_eq!(claims.audiences()[0].as_str(), kiro.client_id);
    assert_eq!(claims.subject().as_str(), kiro.user_id);
    assert_eq!(
        claims.preferred_username().map(|u| u.as_str()),
        Some(kiro.login.as_str())
    );
    let at_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().expect("an algorithm"),
        id_token
            .signing_key(&verifier)
            .expect("a key from the JWKS"),
    )
    .expect("a hash");
    assert_eq!(claims.access_token_hash(), Some(&at_hash));
    let mut granted: Vec<String> = tokens
        .scopes()
        .expect("scopes")
        .iter()
        .map(|s| s.to_string())
        .collect();
    granted.sort();
    assert_eq!(
        granted,
        [
            "codewhisperer:completions",
            "email",
            "offline_access",
            "openid",
            "profile"
        ]
    );
    assert_eq!(
        tokens.expires_in().map(|d| d.as_secs()),
        Some(3600),
        "the rule's 60 minutes"
    );

    // Userinfo with the access token: the subject must match the ID token's.
    let info: CoreUserInfoClaims = client
        .user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        )
        .expect("a userinfo endpoint")
        .request_async(&http)
        .await
        .expect("userinfo");
    assert_eq!(info.subject().as_str(), kiro.user_id);
    assert_eq!(info.email().map(|e| e.as_str()), Some("ada@example.com"));
    assert_eq!(
        info.preferred_username().map(|u| u.as_str()),
        Some(kiro.login.as_str())
    );

    // Refresh: a new access token (and a new ID token, without a nonce).
    kiro.advance("10m").await;
    let refreshed = client
        .exchange_refresh_token(tokens.refresh_token().expect("offline_access gives one"))
        .expect("a token endpoint")
        .request_async(&http)
        .await
        .expect("the refresh grant");
    assert_ne!(
        refreshed.access_token().secret(),
        tokens.access_token().secret()
    );
    let now = kiro.now().await;
    let verifier = client
        .id_token_verifier()
        .set_time_fn(move || chrono_time(now));
    let refreshed_id = refreshed
        .id_token()
        .expect("an ID token on refresh")
        .claims(&verifier, |_: Option<&Nonce>| Ok(()))
        .expect("a valid refreshed ID token");
    assert_eq!(refreshed_id.subject().as_str(), kiro.user_id);
    let info: CoreUserInfoClaims = client
        .user_info(refreshed.access_token().clone(), None)
        .expect("a userinfo endpoint")
        .request_async(&http)
        .await
        .expect("userinfo with the refreshed token");
    assert_eq!(info.subject().as_str(), kiro.user_id);
}

#[tokio::test]
async fn okta_tok_1_the_relying_party_rejects_a_token_from_another_issuer() {
    // Two orgs with the same seed sign with the same dev keys; only `iss` tells them apart.
    let kiro = Kiro::start(12).await;
    let other = Kiro::start(12).await;
    let http = {
        let client = oidc_support::client(false);
        move |request: HttpRequest| send(client.clone(), request)
    };
    let metadata = CoreProviderMetadata::discover_async(
        IssuerUrl::new(kiro.issuer()).expect("an issuer URL"),
        &http,
    )
    .await
    .expect("discovery");
    let client =
        CoreClient::from_provider_metadata(metadata, ClientId::new(kiro.client_id.clone()), None);
    let tokens = other.sign_in(&other.login, "openid profile").await;
    let id_token: openidconnect::core::CoreIdToken =
        serde_json::from_value(tokens["id_token"].clone()).expect("an ID token");
    let now = kiro.now().await;
    let verifier = client
        .id_token_verifier()
        .set_time_fn(move || chrono_time(now));
    let result = id_token.claims(&verifier, &Nonce::new("n0nce".into()));
    assert!(
        matches!(result, Err(ClaimsVerificationError::InvalidIssuer(_))),
        "a foreign issuer must be refused: {result:?}"
    );
}

// covers: OKTA-TOK-8
#[tokio::test]
async fn okta_tok_6_okta_auth_js_signs_in_refreshes_introspects_and_revokes_as_a_public_client() {
    const PACKAGE: &str = "@okta/okta-auth-js";
    let version = sdk_support::pinned_node_package(PACKAGE);
    let lookup = version.clone();
    let modules =
        match tokio::task::spawn_blocking(move || sdk_support::node_modules_with(PACKAGE, &lookup))
            .await
            .expect("the check runs")
        {
            Ok(modules) => modules,
            Err(why) => return sdk_support::skip(&format!("{PACKAGE}@{version}"), &why),
        };
    // okta-auth-js checks `exp` and `iat` against the wall clock: start the world now.
    let kiro = Kiro::set_up(oidc_support::Org::start_now(61).await, 60).await;
    let mut command = std::process::Command::new("node");
    command
        .arg(sdk_support::script("okta_auth_js.js"))
        .args([&kiro.issuer(), &kiro.client_id, REDIRECT, &kiro.login])
        .arg(oidc_support::PASSWORD)
        .env("NODE_PATH", modules);
    let s = tokio::task::spawn_blocking(move || sdk_support::run_json(command))
        .await
        .expect("the run is joined");
    assert_eq!(
        s,
        serde_json::json!({
            "signin_status": "SUCCESS",
            "challenge_method": "S256",
            "state_matches": true,
            "id_token_email": kiro.login,
            "access_scopes": ["openid", "profile", "email", "offline_access"],
            "has_refresh": true,
            "refreshed_access_differs": true,
            "userinfo_email": kiro.login,
            "introspect_active": true,
            "introspect_client": kiro.client_id,
            "introspect_refresh_active": true,
            "introspect_after_revoke": false,
            "introspect_refresh_after_revoke": false,
        })
    );
}
