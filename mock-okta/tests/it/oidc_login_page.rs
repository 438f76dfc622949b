//! The login page driven as a browser would: a cookie-keeping HTTP client that follows no
//! redirects by itself. It GETs `/authorize`, reads the HTML form (field names and hidden
//! values from the page), posts the credentials, follows the 302s by hand to the redirect URI
//! and exchanges the code. Also: the session cookie makes a second sign-in silent, `/logout`
//! ends it, and MFA adds a passcode field to the form.
//!
//! covers: [OKTA-TOK-1, OKTA-TOK-2, OKTA-TOK-7, OKTA-AS-1]

use crate::oidc_support;

use oidc_support::{
    Kiro, LOGOUT_REDIRECT, PASSWORD, REDIRECT, Reply, client, code_grant, jwt_parts, query_of,
    read, unix, without_query,
};
use serde_json::json;

/// An HTML form as a browser sees it.
#[derive(Debug)]
struct Form {
    action: String,
    method: String,
    /// `(name, type, value)` of every `<input>`, in order.
    inputs: Vec<(String, String, String)>,
}

impl Form {
    fn names(&self) -> Vec<&str> {
        self.inputs
            .iter()
            .filter(|(name, _, _)| !name.is_empty())
            .map(|(name, _, _)| name.as_str())
            .collect()
    }

    fn value(&self, name: &str) -> Option<&str> {
        self.inputs
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, _, v)| v.as_str())
    }

    /// What the browser submits: every named input, with the user's entries for the visible
    /// text and password fields.
    fn fill(&self, entries: &[(&str, &str)]) -> Vec<(String, String)> {
        self.inputs
            .iter()
            .filter(|(name, kind, _)| !name.is_empty() && kind != "submit")
            .map(|(name, _, value)| {
                let entered = entries.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
                (name.clone(), entered.unwrap_or(value).to_string())
            })
            .collect()
    }
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

/// The first `<form>` of a page and its `<input>`s.
fn parse_form(html: &str) -> Form {
    let start = html.find("<form").expect("a <form> on the page");
    let end = html[start..].find("</form>").expect("a closed form") + start;
    let form = &html[start..end];
    let open = &form[..form.find('>').expect("a form tag")];
    let mut inputs = Vec::new();
    let mut rest = form;
    while let Some(i) = rest.find("<input") {
        let tag_end = rest[i..].find('>').expect("an input tag") + i;
        let tag = &rest[i..tag_end];
        inputs.push((
            attribute(tag, "name").unwrap_or_default(),
            attribute(tag, "type").unwrap_or_else(|| "text".into()),
            attribute(tag, "value").unwrap_or_default(),
        ));
        rest = &rest[tag_end..];
    }
    Form {
        action: attribute(open, "action").expect("an action"),
        method: attribute(open, "method").unwrap_or_else(|| "get".into()),
        inputs,
    }
}

/// A browser: cookies kept, redirects followed by hand.
struct Browser {
    http: reqwest::Client,
    base: String,
}

impl Browser {
    fn new(kiro: &Kiro) -> Browser {
        Browser {
            http: client(true),
            base: kiro.base(),
        }
    }

    fn absolute(&self, url: &str) -> String {
        if url.starts_with('/') {
            format!("{}{url}", self.base)
        } else {
            url.to_string()
        }
    }

    async fn get(&self, url: &str) -> Reply {
        read(self.http.get(self.absolute(url))).await
    }

    async fn submit(&self, form: &Form, entries: &[(&str, &str)]) -> Reply {
        assert_eq!(form.method, "post");
        read(
            self.http
                .post(self.absolute(&form.action))
                .form(&form.fill(entries)),
        )
        .await
    }

    /// Follows redirects by hand until one leaves mock-okta; returns that location.
    async fn follow(&self, mut reply: Reply) -> String {
        for _ in 0..5 {
            let location = reply.location();
            if !location.starts_with('/') && !location.starts_with(&self.base) {
                return location;
            }
            reply = self.get(&location).await;
        }
        panic!("too many redirects");
    }
}

fn assert_login_page(reply: &Reply, status: u16) -> Form {
    assert_eq!(reply.status, status, "{reply:?}");
    assert!(
        reply.header("content-type").starts_with("text/html"),
        "{reply:?}"
    );
    assert_eq!(reply.header("location"), "");
    parse_form(&reply.text)
}

#[tokio::test]
async fn okta_tok_2_the_login_form_signs_in_and_the_code_is_exchanged() {
    let kiro = Kiro::start(21).await;
    let browser = Browser::new(&kiro);
    let scopes = "openid profile offline_access codewhisperer:completions";

    let page = browser.get(&kiro.authorize_url(scopes, &[])).await;
    let form = assert_login_page(&page, 200);
    assert_eq!(
        form.action,
        format!("/oauth2/{}/v1/authorize/login", kiro.as_id)
    );
    let names = form.names();
    for field in ["username", "password"] {
        assert!(names.contains(&field), "{names:?}");
    }
    assert!(
        !names.contains(&"passCode"),
        "no MFA, no passcode: {names:?}"
    );
    // The original authorize request rides along in hidden fields.
    assert_eq!(form.value("client_id"), Some(kiro.client_id.as_str()));
    assert_eq!(form.value("redirect_uri"), Some(REDIRECT));
    assert_eq!(form.value("scope"), Some(scopes));
    assert_eq!(form.value("state"), Some("st4te"));

    // A wrong password: the form again, with Okta's message.
    let failed = browser
        .submit(
            &form,
            &[("username", &kiro.login), ("password", "not-the-password")],
        )
        .await;
    let again = assert_login_page(&failed, 401);
    assert!(failed.text.contains("Unable to sign in"), "{failed:?}");
    assert_eq!(again.value("username"), Some(kiro.login.as_str()));
    assert_eq!(again.value("state"), Some("st4te"));

    // The right one: a session cookie and back to /authorize, then to the app with a code.
    let signed_in = browser
        .submit(&again, &[("username", &kiro.login), ("password", PASSWORD)])
        .await;
    let back = signed_in.location();
    assert!(
        back.starts_with(&format!("{}?", kiro.endpoint("authorize"))),
        "{back}"
    );
    let cookie = signed_in.header("set-cookie");
    assert!(cookie.starts_with("sid="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    let arrived = browser.follow(signed_in).await;
    assert_eq!(without_query(&arrived), REDIRECT);
    let callback = query_of(&arrived);
    assert_eq!(callback["state"], "st4te");

    let tokens = kiro
        .token(&code_grant(&kiro.client_id, &callback["code"]))
        .await;
    let tokens = tokens.ok();
    assert_eq!(tokens["token_type"], json!("Bearer"));
    assert_eq!(tokens["scope"], json!(scopes));
    let (_, id_claims) = jwt_parts(tokens["id_token"].as_str().expect("an ID token"));
    assert_eq!(id_claims["amr"], json!(["pwd"]));
    assert_eq!(id_claims["nonce"], json!("n0nce"));

    // The session cookie makes the next sign-in silent.
    let silent = browser
        .get(&kiro.authorize_url(scopes, &[("state", "second")]))
        .await;
    let location = silent.location();
    assert_eq!(without_query(&location), REDIRECT);
    assert_eq!(query_of(&location)["state"], "second");
    assert!(query_of(&location).contains_key("code"));

    // Logout ends it: redirect to the registered URI with the state, cookie cleared.
    let mut logout = reqwest::Url::parse(&kiro.endpoint("logout")).expect("a URL");
    logout
        .query_pairs_mut()
        .append_pair("id_token_hint", tokens["id_token"].as_str().expect("id"))
        .append_pair("post_logout_redirect_uri", LOGOUT_REDIRECT)
        .append_pair("state", "bye");
    let out = browser.get(logout.as_str()).await;
    assert_eq!(out.location(), format!("{LOGOUT_REDIRECT}?state=bye"));
    assert!(
        out.header("set-cookie").starts_with("sid=;"),
        "{:?}",
        out.headers
    );
    let page = browser.get(&kiro.authorize_url(scopes, &[])).await;
    assert_login_page(&page, 200);
}

#[tokio::test]
async fn okta_tok_7_with_mfa_the_form_asks_for_the_totp_code() {
    let kiro = Kiro::start(22).await;
    let (_, secret) = kiro.enroll_totp(&kiro.user_id).await;
    kiro.set_mfa(true).await;
    let browser = Browser::new(&kiro);

    let page = browser.get(&kiro.authorize_url("openid", &[])).await;
    let form = assert_login_page(&page, 200);
    assert!(form.names().contains(&"passCode"), "{form:?}");

    // Password alone, or with a wrong code, is not enough.
    let no_code = browser
        .submit(&form, &[("username", &kiro.login), ("password", PASSWORD)])
        .await;
    assert_login_page(&no_code, 401);
    assert!(no_code.text.contains("Unable to sign in"));
    let code = kiro.totp(&secret).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let wrong_code = browser
        .submit(
            &form,
            &[
                ("username", &kiro.login),
                ("password", PASSWORD),
                ("passCode", wrong),
            ],
        )
        .await;
    assert_login_page(&wrong_code, 401);

    let ok = browser
        .submit(
            &form,
            &[
                ("username", &kiro.login),
                ("password", PASSWORD),
                ("passCode", &code),
            ],
        )
        .await;
    let arrived = browser.follow(ok).await;
    let callback = query_of(&arrived);
    let tokens = kiro
        .token(&code_grant(&kiro.client_id, &callback["code"]))
        .await;
    let (_, id_claims) = jwt_parts(tokens.ok()["id_token"].as_str().expect("an ID token"));
    assert_eq!(id_claims["amr"], json!(["pwd", "mfa", "otp"]));
}

#[tokio::test]
async fn okta_as_1_logout_refuses_an_unregistered_post_logout_redirect_uri() {
    let kiro = Kiro::start(23).await;
    let tokens = kiro.sign_in(&kiro.login, "openid").await;
    let id_token = tokens["id_token"].as_str().expect("an ID token");
    let mut logout = reqwest::Url::parse(&kiro.endpoint("logout")).expect("a URL");
    logout
        .query_pairs_mut()
        .append_pair("id_token_hint", id_token)
        .append_pair("post_logout_redirect_uri", "https://evil.example/out");
    let reply = kiro.send(kiro.http.get(logout.as_str())).await;
    assert_eq!(reply.status, 400, "{reply:?}");
    assert_eq!(reply.header("location"), "");
    assert!(reply.text.contains("invalid_request"));
    assert!(reply.text.contains(
        "The &#39;post_logout_redirect_uri&#39; parameter must be a Logout redirect URI in the client app settings"
    ), "{}", reply.text);

    // Without a redirect URI: a signed-out page.
    let mut plain = reqwest::Url::parse(&kiro.endpoint("logout")).expect("a URL");
    plain
        .query_pairs_mut()
        .append_pair("id_token_hint", id_token);
    let reply = kiro.send(kiro.http.get(plain.as_str())).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(reply.text.contains("signed out"));
}

#[tokio::test]
async fn okta_tok_2_prompt_login_asks_again_even_with_a_session() {
    let kiro = Kiro::start(24).await;
    let browser = Browser::new(&kiro);
    let page = browser.get(&kiro.authorize_url("openid", &[])).await;
    let form = assert_login_page(&page, 200);
    let signed_in = browser
        .submit(&form, &[("username", &kiro.login), ("password", PASSWORD)])
        .await;
    let arrived = browser.follow(signed_in).await;
    assert!(query_of(&arrived).contains_key("code"));

    kiro.advance("1m").await;
    let page = browser
        .get(&kiro.authorize_url("openid", &[("prompt", "login")]))
        .await;
    let form = assert_login_page(&page, 200);
    assert_eq!(form.value("prompt"), Some("login"));
    let signed_in = browser
        .submit(&form, &[("username", &kiro.login), ("password", PASSWORD)])
        .await;
    assert!(!signed_in.location().contains("prompt="));
    let arrived = browser.follow(signed_in).await;
    assert_eq!(without_query(&arrived), REDIRECT);
    assert!(query_of(&arrived).contains_key("code"));
}

// covers: OKTA-TOK-9
#[tokio::test]
async fn okta_tok_9_max_age_asks_a_session_older_than_it_to_sign_in_again() {
    let kiro = Kiro::start(25).await;
    let browser = Browser::new(&kiro);
    let page = browser.get(&kiro.authorize_url("openid", &[])).await;
    let form = assert_login_page(&page, 200);
    let signed_in = browser
        .submit(&form, &[("username", &kiro.login), ("password", PASSWORD)])
        .await;
    assert!(query_of(&browser.follow(signed_in).await).contains_key("code"));

    // Within max_age the session is enough.
    kiro.advance("30m").await;
    let reply = browser
        .get(&kiro.authorize_url("openid", &[("max_age", "3600")]))
        .await;
    assert!(
        query_of(&reply.location()).contains_key("code"),
        "{reply:?}"
    );

    // Past it, the user signs in again, and the form's redirect drops max_age.
    kiro.advance("31m").await;
    let stale = kiro.authorize_url("openid", &[("max_age", "3600")]);
    let page = browser.get(&stale).await;
    let form = assert_login_page(&page, 200);
    assert_eq!(form.value("max_age"), Some("3600"));
    let none = browser
        .get(&kiro.authorize_url("openid", &[("max_age", "3600"), ("prompt", "none")]))
        .await;
    let refused = query_of(&none.location());
    assert_eq!(
        refused.get("error").map(String::as_str),
        Some("login_required"),
        "{none:?}"
    );
    let signed_in = browser
        .submit(&form, &[("username", &kiro.login), ("password", PASSWORD)])
        .await;
    assert!(!signed_in.location().contains("max_age="));
    let arrived = browser.follow(signed_in).await;
    let code = query_of(&arrived).get("code").expect("a code").clone();
    let tokens = kiro.token(&code_grant(&kiro.client_id, &code)).await;
    let (_, claims) = jwt_parts(tokens.ok()["id_token"].as_str().expect("an ID token"));
    assert_eq!(
        claims["auth_time"],
        json!(unix(kiro.now().await)),
        "the new sign-in's time"
    );

    // A malformed max_age is refused at the redirect URI.
    let reply = browser
        .get(&kiro.authorize_url("openid", &[("max_age", "an hour")]))
        .await;
    let error = query_of(&reply.location());
    assert_eq!(
        error.get("error").map(String::as_str),
        Some("invalid_request")
    );
    assert_eq!(
        error.get("error_description").map(String::as_str),
        Some("The 'max_age' parameter must be a non-negative integer.")
    );
}
