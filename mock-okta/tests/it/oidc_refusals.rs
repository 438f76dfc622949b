//! Every refusal of the sign-in flow, with its exact answer: the `/authorize` error page that
//! never redirects, the error redirects (PKCE, assignment, policy, scopes, `prompt=none`), the
//! `invalid_grant`s of `/token` (wrong verifier, reused or expired code, a refresh token of a
//! deactivated or removed user), and what stays alive (access tokens until they expire).
//!
//! covers: [OKTA-APP-2, OKTA-APP-3, OKTA-AS-3, OKTA-AS-5, OKTA-DIR-1, OKTA-TOK-1, OKTA-TOK-2, OKTA-TOK-3, OKTA-TOK-4, OKTA-TOK-5, OKTA-TOK-6]

use crate::oidc_support;

use oidc_support::{
    KIRO_SCHEME_REDIRECT, Kiro, REDIRECT, Reply, VERIFIER, code_grant, query_of, without_query,
};
use serde_json::json;

const SCOPES: &str = "openid profile offline_access codewhisperer:completions";
const INVALID_CODE: &str = "The authorization code is invalid or has expired.";
const INVALID_REFRESH: &str = "The refresh token is invalid or expired.";
const NOT_ASSIGNED: &str = "User is not assigned to the client application.";
const POLICY_FAILED: &str =
    "Policy evaluation failed for this request, please check the policy configurations.";

/// Checks a 302 to [`REDIRECT`] carrying exactly `error`, `error_description` and `state`.
fn assert_error_redirect(reply: &Reply, error: &str, description: &str, state: Option<&str>) {
    let location = reply.location();
    assert_eq!(without_query(&location), REDIRECT, "{reply:?}");
    let mut expected = vec![
        ("error".to_string(), error.to_string()),
        ("error_description".to_string(), description.to_string()),
    ];
    if let Some(state) = state {
        expected.push(("state".to_string(), state.to_string()));
    }
    let mut got: Vec<(String, String)> = query_of(&location).into_iter().collect();
    got.sort();
    expected.sort();
    assert_eq!(got, expected, "{location}");
}

/// Checks the `/authorize` error page: 400, HTML, no `Location`, error and description shown.
fn assert_error_page(reply: &Reply, error: &str, description: &str) {
    assert_eq!(reply.status, 400, "{reply:?}");
    assert!(reply.headers.get("location").is_none(), "{reply:?}");
    assert!(reply.header("content-type").starts_with("text/html"));
    assert!(reply.text.contains(error), "{}", reply.text);
    let escaped = description.replace('\'', "&#39;");
    assert!(reply.text.contains(&escaped), "{}", reply.text);
}

#[tokio::test]
async fn okta_app_2_an_unregistered_redirect_uri_gets_an_error_page_never_a_redirect() {
    let kiro = Kiro::start(31).await;
    let token = kiro.session_token(&kiro.login).await;
    for uri in [
        "http://localhost:9999/oauth/callback",
        "http://localhost:3128/oauth/callback/",
        "https://evil.example/cb",
    ] {
        let reply = kiro
            .authorize(SCOPES, &[("redirect_uri", uri), ("sessionToken", &token)])
            .await;
        assert_error_page(
            &reply,
            "invalid_request",
            "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings: https://developer.okta.com/docs/guides/sign-into-web-app-redirect/-/main/#register-your-app",
        );
    }
    let unknown_client = kiro
        .authorize(SCOPES, &[("client_id", "0oanosuchclient00000")])
        .await;
    assert_error_page(
        &unknown_client,
        "invalid_client",
        "Invalid value for 'client_id' parameter.",
    );
    // The refusals did not spend the session token; the custom scheme is registered.
    let reply = kiro
        .authorize(
            SCOPES,
            &[
                ("redirect_uri", KIRO_SCHEME_REDIRECT),
                ("sessionToken", &token),
            ],
        )
        .await;
    let location = reply.location();
    assert_eq!(without_query(&location), KIRO_SCHEME_REDIRECT);
    assert!(query_of(&location).contains_key("code"));
}

#[tokio::test]
async fn okta_tok_1_authorize_requires_pkce_s256_state_and_response_type_code() {
    let kiro = Kiro::start(32).await;
    let no_pkce = kiro
        .authorize(
            SCOPES,
            &[("code_challenge", ""), ("code_challenge_method", "")],
        )
        .await;
    assert_error_redirect(
        &no_pkce,
        "invalid_request",
        "PKCE code challenge is required when the token endpoint authentication method is 'NONE'.",
        Some("st4te"),
    );
    let plain = kiro
        .authorize(SCOPES, &[("code_challenge_method", "plain")])
        .await;
    assert_error_redirect(
        &plain,
        "invalid_request",
        "'code_challenge_method' must be 'S256'.",
        Some("st4te"),
    );
    let no_state = kiro.authorize(SCOPES, &[("state", "")]).await;
    assert_error_redirect(
        &no_state,
        "invalid_request",
        "The authorization request is missing the 'state' parameter.",
        None,
    );
    let token_flow = kiro.authorize(SCOPES, &[("response_type", "token")]).await;
    assert_error_redirect(
        &token_flow,
        "unsupported_response_type",
        "The response type is not supported by the authorization server. Configured response types: [code].",
        Some("st4te"),
    );
}

#[tokio::test]
async fn okta_tok_3_a_wrong_or_missing_code_verifier_is_invalid_grant() {
    let kiro = Kiro::start(33).await;
    let code = kiro.code_for(&kiro.login, SCOPES).await;
    let wrong = "wrong-verifier-wrong-verifier-wrong-verifier-0";
    let reply = kiro
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", &kiro.client_id),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", wrong),
        ])
        .await;
    reply.oauth_error(400, "invalid_grant", "PKCE verification failed.");
    assert_eq!(reply.header("cache-control"), "no-store");
    let reply = kiro
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", &kiro.client_id),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ])
        .await;
    reply.oauth_error(400, "invalid_grant", "PKCE verification failed.");
}

#[tokio::test]
async fn okta_tok_3_reused_code_is_invalid_grant_and_revokes_first_tokens() {
    let kiro = Kiro::start(34).await;
    let code = kiro.code_for(&kiro.login, SCOPES).await;
    let first = kiro.token(&code_grant(&kiro.client_id, &code)).await;
    let first = first.ok().clone();
    let access = first["access_token"].as_str().expect("an access token");
    let refresh = first["refresh_token"].as_str().expect("a refresh token");
    assert_eq!(kiro.introspect(access).await["active"], json!(true));

    let again = kiro.token(&code_grant(&kiro.client_id, &code)).await;
    again.oauth_error(400, "invalid_grant", INVALID_CODE);
    assert_eq!(kiro.introspect(access).await, json!({ "active": false }));
    assert_eq!(kiro.introspect(refresh).await, json!({ "active": false }));
    kiro.refresh(refresh)
        .await
        .oauth_error(400, "invalid_grant", INVALID_REFRESH);
    kiro.userinfo(access).await.expect(401);
}

#[tokio::test]
async fn okta_tok_3_an_expired_code_is_invalid_grant() {
    let kiro = Kiro::start(35).await;
    let code = kiro.code_for(&kiro.login, SCOPES).await;
    kiro.advance("5m 1s").await;
    kiro.token(&code_grant(&kiro.client_id, &code))
        .await
        .oauth_error(400, "invalid_grant", INVALID_CODE);
    // Just inside the five minutes it works.
    let code = kiro.code_for(&kiro.login, SCOPES).await;
    kiro.advance("4m 59s").await;
    kiro.token(&code_grant(&kiro.client_id, &code)).await.ok();
    // A code never issued, or sent to another redirect URI.
    kiro.token(&code_grant(&kiro.client_id, "not-a-code"))
        .await
        .oauth_error(400, "invalid_grant", INVALID_CODE);
    let code = kiro.code_for(&kiro.login, SCOPES).await;
    kiro.token(&[
        ("grant_type", "authorization_code"),
        ("client_id", &kiro.client_id),
        ("code", &code),
        ("redirect_uri", KIRO_SCHEME_REDIRECT),
        ("code_verifier", VERIFIER),
    ])
    .await
    .oauth_error(
        400,
        "invalid_grant",
        "The 'redirect_uri' does not match the redirection URI used in the authorization request.",
    );
}

#[tokio::test]
async fn okta_app_3_an_unassigned_user_is_access_denied_and_a_group_assignment_counts() {
    let kiro = Kiro::start(36).await;
    let grace = "grace@example.com";
    let grace_id = kiro.create_user(grace, "Grace", "Hopper").await;
    let token = kiro.session_token(grace).await;
    let reply = kiro.authorize(SCOPES, &[("sessionToken", &token)]).await;
    assert_error_redirect(&reply, "access_denied", NOT_ASSIGNED, Some("st4te"));

    let group = kiro.create_group("Kiro Users").await;
    kiro.add_member(&group, &grace_id).await;
    kiro.assign_group(&kiro.client_id, &group).await;
    let code = kiro.code_for(grace, SCOPES).await;
    kiro.token(&code_grant(&kiro.client_id, &code)).await.ok();
}

#[tokio::test]
async fn okta_tok_4_a_deactivated_user_cannot_refresh_even_after_reactivation() {
    let kiro = Kiro::start(37).await;
    let tokens = kiro.sign_in(&kiro.login, SCOPES).await;
    let refresh = tokens["refresh_token"].as_str().expect("a refresh token");
    kiro.refresh(refresh).await.ok();

    kiro.lifecycle(&kiro.user_id, "deactivate").await;
    kiro.refresh(refresh)
        .await
        .oauth_error(400, "invalid_grant", INVALID_REFRESH);
    assert_eq!(kiro.introspect(refresh).await, json!({ "active": false }));

    kiro.lifecycle(&kiro.user_id, "activate").await;
    kiro.refresh(refresh)
        .await
        .oauth_error(400, "invalid_grant", INVALID_REFRESH);
    assert_eq!(kiro.introspect(refresh).await, json!({ "active": false }));
    // A deactivated user cannot sign in again either (OKTA-DIR-1), until reactivated.
    kiro.lifecycle(&kiro.user_id, "deactivate").await;
    let reply = kiro.authn(&kiro.login, oidc_support::PASSWORD).await;
    reply.okta_error(401, "E0000004", "Authentication failed");
}

#[tokio::test]
async fn okta_tok_4_removing_the_user_from_the_app_kills_the_refresh_token_for_good() {
    let kiro = Kiro::start(38).await;
    let tokens = kiro.sign_in(&kiro.login, SCOPES).await;
    let refresh = tokens["refresh_token"].as_str().expect("a refresh token");
    kiro.unassign_user(&kiro.client_id, &kiro.user_id).await;
    kiro.refresh(refresh)
        .await
        .oauth_error(400, "invalid_grant", INVALID_REFRESH);
    kiro.assign_user(&kiro.client_id, &kiro.user_id).await;
    kiro.refresh(refresh)
        .await
        .oauth_error(400, "invalid_grant", INVALID_REFRESH);
}

#[tokio::test]
async fn okta_tok_5_an_access_token_issued_before_removal_works_until_it_expires() {
    let kiro = Kiro::start_with(39, 30).await;
    let tokens = kiro.sign_in(&kiro.login, SCOPES).await;
    let access = tokens["access_token"].as_str().expect("an access token");
    kiro.unassign_user(&kiro.client_id, &kiro.user_id).await;

    kiro.advance("29m").await;
    let info = kiro.userinfo(access).await;
    assert_eq!(info.ok()["sub"], json!(kiro.user_id));
    let live = kiro.introspect(access).await;
    assert_eq!(live["active"], json!(true));
    assert_eq!(live["uid"], json!(kiro.user_id));

    kiro.advance("1m").await;
    assert_eq!(kiro.introspect(access).await, json!({ "active": false }));
    let expired = kiro.userinfo(access).await;
    assert_eq!(expired.status, 401);
    assert_eq!(
        expired.header("www-authenticate"),
        "Bearer error=\"invalid_token\", error_description=\"The access token is invalid.\""
    );
}

#[tokio::test]
async fn okta_as_3_a_scope_no_rule_allows_is_access_denied_and_an_unknown_scope_is_invalid_scope() {
    let kiro = Kiro::start(40).await;
    kiro.admin_post(
        &format!("/api/v1/authorizationServers/{}/scopes", kiro.as_id),
        json!({ "name": "kiro:admin", "consent": "IMPLICIT" }),
    )
    .await;
    let token = kiro.session_token(&kiro.login).await;
    let reply = kiro
        .authorize("openid kiro:admin", &[("sessionToken", &token)])
        .await;
    assert_error_redirect(&reply, "access_denied", POLICY_FAILED, Some("st4te"));

    // An unknown scope is refused before anyone signs in.
    let reply = kiro.authorize("openid made:up", &[]).await;
    assert_error_redirect(
        &reply,
        "invalid_scope",
        "One or more scopes are not configured for the authorization server resource.",
        Some("st4te"),
    );

    // A client no policy covers.
    let other = kiro.create_app(&[REDIRECT]).await;
    kiro.assign_user(&other, &kiro.user_id).await;
    let token = kiro.session_token(&kiro.login).await;
    let reply = kiro
        .authorize(SCOPES, &[("client_id", &other), ("sessionToken", &token)])
        .await;
    assert_error_redirect(&reply, "access_denied", POLICY_FAILED, Some("st4te"));
}

#[tokio::test]
async fn okta_as_5_without_offline_access_there_is_no_refresh_token() {
    let kiro = Kiro::start(41).await;
    let tokens = kiro
        .sign_in(&kiro.login, "openid codewhisperer:completions")
        .await;
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");
    assert!(tokens.get("access_token").is_some());
    let with = kiro.sign_in(&kiro.login, SCOPES).await;
    assert!(with.get("refresh_token").is_some(), "{with}");
}

#[tokio::test]
async fn okta_tok_1_prompt_none_without_a_session_is_login_required() {
    let kiro = Kiro::start(42).await;
    let reply = kiro.authorize(SCOPES, &[("prompt", "none")]).await;
    assert_error_redirect(
        &reply,
        "login_required",
        "The client specified not to prompt, but the user is not logged in.",
        Some("st4te"),
    );
}

#[tokio::test]
async fn okta_tok_2_a_session_token_is_single_use_and_lives_five_minutes() {
    let kiro = Kiro::start(43).await;
    let token = kiro.session_token(&kiro.login).await;
    kiro.authorize(SCOPES, &[("sessionToken", &token)])
        .await
        .location();
    // Spent: no session, so the login page.
    let again = kiro.authorize(SCOPES, &[("sessionToken", &token)]).await;
    assert_eq!(again.status, 200, "{again:?}");
    assert!(again.text.contains("<form"));

    let token = kiro.session_token(&kiro.login).await;
    kiro.advance("5m").await;
    let late = kiro
        .authorize(SCOPES, &[("sessionToken", &token), ("prompt", "none")])
        .await;
    assert_error_redirect(
        &late,
        "login_required",
        "The client specified not to prompt, but the user is not logged in.",
        Some("st4te"),
    );
}

#[tokio::test]
async fn okta_tok_6_revocation_answers_200_for_anything_and_kills_what_it_knows() {
    let kiro = Kiro::start(44).await;
    let tokens = kiro.sign_in(&kiro.login, SCOPES).await;
    let access = tokens["access_token"].as_str().expect("an access token");
    let refresh = tokens["refresh_token"].as_str().expect("a refresh token");
    let revoke = |token: String| {
        let kiro = &kiro;
        async move {
            kiro.post_form(
                &kiro.endpoint("revoke"),
                &[("client_id", &kiro.client_id), ("token", &token)],
            )
            .await
        }
    };
    let unknown = revoke("no-such-token".into()).await;
    assert_eq!(unknown.status, 200, "{unknown:?}");
    assert_eq!(unknown.text, "");

    revoke(refresh.to_string()).await.ok();
    kiro.refresh(refresh)
        .await
        .oauth_error(400, "invalid_grant", INVALID_REFRESH);
    assert_eq!(kiro.introspect(access).await["active"], json!(true));
    revoke(access.to_string()).await.ok();
    assert_eq!(kiro.introspect(access).await, json!({ "active": false }));

    // The client must authenticate.
    let reply = kiro
        .post_form(
            &kiro.endpoint("revoke"),
            &[("client_id", "0oanosuchclient00000"), ("token", "x")],
        )
        .await;
    reply.oauth_error(
        401,
        "invalid_client",
        "Client authentication failed. Either the client or the client credentials are invalid.",
    );
    let reply = kiro
        .post_form(&kiro.endpoint("introspect"), &[("token", access)])
        .await;
    reply.oauth_error(401, "invalid_client", "No client credentials found.");
}

/// okta-auth-js, as a public client, sends `Authorization: Basic base64(client_id)` (no `:`,
/// no secret) to `/introspect` and `/revoke`; Okta accepts it for a client whose
/// `token_endpoint_auth_method` is `none`, and only for a client that exists.
// covers: OKTA-TOK-8
#[tokio::test]
async fn okta_tok_6_a_public_client_introspects_and_revokes_with_its_id_alone_in_basic() {
    use base64::Engine;
    let kiro = Kiro::start(46).await;
    let tokens = kiro.sign_in(&kiro.login, SCOPES).await;
    let access = tokens["access_token"].as_str().expect("an access token");
    let basic = |id: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(id)
        )
    };
    let call = |endpoint: &'static str, id: String, token: String| {
        let kiro = &kiro;
        async move {
            kiro.send(
                kiro.http
                    .post(kiro.url(&kiro.endpoint(endpoint)))
                    .header("authorization", basic(&id))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(format!("token_type_hint=access_token&token={token}")),
            )
            .await
        }
    };
    let live = call("introspect", kiro.client_id.clone(), access.to_string()).await;
    assert_eq!(live.status, 200, "{live:?}");
    assert_eq!(live.body["active"], json!(true));
    assert_eq!(live.body["client_id"], json!(kiro.client_id));
    call(
        "introspect",
        "0oanosuchclient00000".into(),
        access.to_string(),
    )
    .await
    .oauth_error(
        401,
        "invalid_client",
        "Client authentication failed. Either the client or the client credentials are invalid.",
    );
    let revoked = call("revoke", kiro.client_id.clone(), access.to_string()).await;
    assert_eq!(revoked.status, 200, "{revoked:?}");
    assert_eq!(kiro.introspect(access).await, json!({ "active": false }));
}

#[tokio::test]
async fn okta_tok_1_the_token_endpoint_refuses_malformed_requests() {
    let kiro = Kiro::start(45).await;
    kiro.token(&[("grant_type", "password"), ("client_id", &kiro.client_id)])
        .await
        .oauth_error(
            400,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server. Configured grant types: [authorization_code, refresh_token, client_credentials]. Requested: password.",
        );
    kiro.token(&[("client_id", &kiro.client_id)])
        .await
        .oauth_error(
            400,
            "invalid_request",
            "The 'grant_type' parameter is required.",
        );
    kiro.token(&[
        ("grant_type", "authorization_code"),
        ("client_id", &kiro.client_id),
        ("redirect_uri", REDIRECT),
    ])
    .await
    .oauth_error(400, "invalid_request", "The 'code' parameter is required.");
    kiro.token(&[
        ("grant_type", "refresh_token"),
        ("client_id", &kiro.client_id),
    ])
    .await
    .oauth_error(
        400,
        "invalid_request",
        "The 'refresh_token' parameter is required.",
    );
    let code = kiro.code_for(&kiro.login, SCOPES).await;
    kiro.token(&[
        ("grant_type", "authorization_code"),
        ("client_id", "0oanosuchclient00000"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ])
    .await
    .oauth_error(
        401,
        "invalid_client",
        "Client authentication failed. Either the client or the client credentials are invalid.",
    );
    // A public client presenting a secret is not that client.
    kiro.token(&[
        ("grant_type", "authorization_code"),
        ("client_id", &kiro.client_id),
        ("client_secret", "guess"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ])
    .await
    .oauth_error(
        401,
        "invalid_client",
        "Client authentication failed. Either the client or the client credentials are invalid.",
    );
    // JSON is not a form.
    let reply = kiro
        .send(kiro.http.post(kiro.endpoint("token")).json(&json!({
            "grant_type": "authorization_code", "client_id": kiro.client_id, "code": code,
        })))
        .await;
    reply.oauth_error(
        400,
        "invalid_request",
        "The request must be a form post: Content-Type must be application/x-www-form-urlencoded.",
    );
    // The refusals above did not spend the code.
    kiro.token(&code_grant(&kiro.client_id, &code)).await.ok();
    // An unknown authorization server is Okta's 404.
    let reply = kiro
        .post_form(
            &format!("{}/oauth2/ausnosuchserver00000/v1/token", kiro.base()),
            &code_grant(&kiro.client_id, &code),
        )
        .await;
    reply.okta_error(
        404,
        "E0000007",
        "Not found: Resource not found: ausnosuchserver00000 (AuthorizationServer)",
    );
}

#[tokio::test]
async fn okta_as_1_a_wrong_method_is_okta_s_405() {
    let kiro = Kiro::start(46).await;
    for path in ["token", "introspect", "revoke", "authorize/login"] {
        let reply = kiro.get(&kiro.endpoint(path)).await;
        reply.okta_error(
            405,
            "E0000022",
            "The endpoint does not support the provided HTTP method",
        );
    }
    let reply = kiro.send(kiro.http.delete(kiro.url("/api/v1/authn"))).await;
    reply.okta_error(
        405,
        "E0000022",
        "The endpoint does not support the provided HTTP method",
    );
}
