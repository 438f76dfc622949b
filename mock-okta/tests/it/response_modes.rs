//! `response_mode` on `/authorize` (BEHAVIOURS.md OKTA-TOK-12): `query` (the default),
//! `fragment`, and `form_post` (an HTML page whose form posts to the redirect URI on load),
//! for codes and errors alike; an unknown mode is the error page and spends nothing.

use crate::oidc_support;

use oidc_support::{Kiro, REDIRECT, code_grant, query_of};

const SCOPES: &str = "openid profile offline_access codewhisperer:completions";

/// The `value` of the hidden input `name` in a form_post page.
fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("<input type=\"hidden\" name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].replace("&amp;", "&"))
}

// covers: OKTA-TOK-12
#[tokio::test]
async fn okta_tok_12_codes_arrive_by_query_fragment_or_form_post() {
    let kiro = Kiro::start(31).await;

    // query, named explicitly, is the default.
    let token = kiro.session_token(&kiro.login).await;
    let reply = kiro
        .authorize(
            SCOPES,
            &[("sessionToken", &token), ("response_mode", "query")],
        )
        .await;
    let location = reply.location();
    assert!(
        location.starts_with(&format!("{REDIRECT}?code=")),
        "{location}"
    );

    // fragment: the parameters after `#`, none in the query.
    let token = kiro.session_token(&kiro.login).await;
    let reply = kiro
        .authorize(
            SCOPES,
            &[("sessionToken", &token), ("response_mode", "fragment")],
        )
        .await;
    assert_eq!(reply.status, 302);
    let location = reply.location();
    let (before, fragment) = location.split_once('#').expect("a fragment");
    assert_eq!(before, REDIRECT);
    let params = query_of(&format!("http://x/?{fragment}"));
    assert_eq!(params.get("state").map(String::as_str), Some("st4te"));
    let code = params.get("code").expect("a code").clone();
    let tokens = kiro.token(&code_grant(&kiro.client_id, &code)).await;
    assert!(tokens.ok()["access_token"].is_string());

    // form_post: a page that posts code and state to the redirect URI on load.
    let token = kiro.session_token(&kiro.login).await;
    let reply = kiro
        .authorize(
            SCOPES,
            &[("sessionToken", &token), ("response_mode", "form_post")],
        )
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(reply.header("content-type").starts_with("text/html"));
    assert_eq!(reply.header("cache-control"), "no-store");
    let html = &reply.text;
    assert!(
        html.contains("<body onload=\"document.forms[0].submit()\">"),
        "{html}"
    );
    assert!(
        html.contains(&format!("<form method=\"post\" action=\"{REDIRECT}\">")),
        "{html}"
    );
    assert_eq!(hidden(html, "state").as_deref(), Some("st4te"));
    let code = hidden(html, "code").expect("a code");
    let tokens = kiro.token(&code_grant(&kiro.client_id, &code)).await;
    assert!(tokens.ok()["access_token"].is_string());

    // Errors travel the same way: a scope no rule allows, by form_post and by fragment.
    let token = kiro.session_token(&kiro.login).await;
    let reply = kiro
        .authorize(
            "openid phone",
            &[("sessionToken", &token), ("response_mode", "form_post")],
        )
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(
        hidden(&reply.text, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(hidden(&reply.text, "state").as_deref(), Some("st4te"));
    assert!(hidden(&reply.text, "code").is_none());
    let reply = kiro
        .authorize(
            "openid phone",
            &[("response_mode", "fragment"), ("prompt", "none")],
        )
        .await;
    let location = reply.location();
    assert!(
        location.starts_with(&format!("{REDIRECT}#error=")),
        "{location}"
    );

    // An unknown mode: the error page, and the session token is still good.
    let token = kiro.session_token(&kiro.login).await;
    let reply = kiro
        .authorize(
            SCOPES,
            &[("sessionToken", &token), ("response_mode", "web_message")],
        )
        .await;
    assert_eq!(reply.status, 400, "{reply:?}");
    assert!(reply.headers.get("location").is_none());
    assert!(
        reply
            .text
            .contains("The response mode &#39;web_message&#39; is not supported."),
        "{}",
        reply.text
    );
    let reply = kiro.authorize(SCOPES, &[("sessionToken", &token)]).await;
    assert!(reply.location().starts_with(&format!("{REDIRECT}?code=")));
}
