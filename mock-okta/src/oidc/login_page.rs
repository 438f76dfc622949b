//! The HTML pages of sign-in (BEHAVIOURS.md OKTA-TOK-2): the login form, the `/authorize` error
//! page (shown instead of redirecting to an unverified redirect URI) and the signed-out page.
//!
//! The login form is a plain HTML form a browser (or a test driving one) can fill in:
//! `username`, `password`, and `passCode` when the sign-on policy requires MFA. Hidden fields
//! carry the original `/authorize` parameters; it posts to `/oauth2/{id}/v1/authorize/login`.
//! Also the `response_mode=form_post` page (OKTA-TOK-12).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::html_escape;
use crate::core::OAuthError;

/// Form fields of the login page itself (everything else is an `/authorize` parameter).
pub(crate) const LOGIN_FIELDS: [&str; 3] = ["username", "password", "passCode"];

/// What the login page shows.
pub(crate) struct LoginPage<'a> {
    /// The authorization server the form posts back to.
    pub(crate) as_id: &'a str,
    /// The `/authorize` parameters, carried in hidden fields.
    pub(crate) authorize: &'a [(String, String)],
    /// Whether to ask for a TOTP code.
    pub(crate) mfa: bool,
    /// "Unable to sign in" after a failed attempt.
    pub(crate) error: Option<&'a str>,
    /// The username to fill in again.
    pub(crate) username: &'a str,
}

const STYLE: &str = "body{font-family:sans-serif;background:#f9f9f9}main{max-width:400px;margin:60px auto;background:#fff;padding:32px;border:1px solid #ddd}label{display:block;margin-top:12px}input[type=text],input[type=password]{width:100%;padding:6px}.error{color:#c00}";

/// The login form.
pub(crate) fn login_page(page: &LoginPage<'_>) -> String {
    let mut hidden = String::new();
    for (name, value) in page
        .authorize
        .iter()
        .filter(|(name, _)| !LOGIN_FIELDS.contains(&name.as_str()) && name != "sessionToken")
    {
        hidden.push_str(&format!(
            "      <input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
            html_escape(name),
            html_escape(value)
        ));
    }
    let error = page.error.map_or_else(String::new, |e| {
        format!(
            "    <p class=\"error\" role=\"alert\">{}</p>\n",
            html_escape(e)
        )
    });
    let mfa = if page.mfa {
        "      <label for=\"okta-signin-passcode\">Verification code</label>\n      \
         <input type=\"text\" id=\"okta-signin-passcode\" name=\"passCode\" \
         autocomplete=\"one-time-code\" inputmode=\"numeric\">\n"
    } else {
        ""
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\">\n  \
         <title>Sign In</title>\n  <style>{STYLE}</style>\n</head>\n<body>\n<main>\n  \
         <h1>Sign In</h1>\n{error}  \
         <form method=\"post\" action=\"{endpoints}/v1/authorize/login\" id=\"form19\">\n{hidden}      \
         <label for=\"okta-signin-username\">Username</label>\n      \
         <input type=\"text\" id=\"okta-signin-username\" name=\"username\" value=\"{username}\" autocomplete=\"username\">\n      \
         <label for=\"okta-signin-password\">Password</label>\n      \
         <input type=\"password\" id=\"okta-signin-password\" name=\"password\" autocomplete=\"current-password\">\n{mfa}      \
         <input type=\"submit\" id=\"okta-signin-submit\" value=\"Sign In\">\n  \
         </form>\n</main>\n</body>\n</html>\n",
        endpoints = if page.as_id == crate::core::authz::ORG_SERVER_ID {
            "/oauth2".to_string()
        } else {
            format!("/oauth2/{}", html_escape(page.as_id))
        },
        username = html_escape(page.username),
    )
}

/// The page `/authorize` shows when it must not redirect (unknown client, unregistered
/// redirect URI) and `/logout` shows for a bad request.
pub(crate) fn error_page(error: &OAuthError) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\">\n  \
         <title>400 Bad Request</title>\n  <style>{STYLE}</style>\n</head>\n<body>\n<main>\n  \
         <h1>400 Bad Request</h1>\n  \
         <p id=\"error-code\">Error Code: <code>{code}</code></p>\n  \
         <p id=\"error-description\">Description: {description}</p>\n\
         </main>\n</body>\n</html>\n",
        code = html_escape(error.error),
        description = html_escape(&error.description),
    )
}

/// What `/logout` shows when it has nowhere to redirect.
pub(crate) fn signed_out_page() -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\">\n  \
         <title>Signed Out</title>\n  <style>{STYLE}</style>\n</head>\n<body>\n<main>\n  \
         <h1>You have been signed out</h1>\n</main>\n</body>\n</html>\n"
    )
}

/// An HTML response that is never cached.
pub(crate) fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html;charset=utf-8"),
    );
    super::no_store(headers);
    response
}

/// The `response_mode=form_post` page (OKTA-TOK-12): as Okta renders it, a form of hidden
/// fields posted to the redirect URI as soon as the page loads (a button without script).
pub(crate) fn form_post(redirect_uri: &str, pairs: &[(&str, &str)]) -> String {
    let mut fields = String::new();
    for (name, value) in pairs {
        fields.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\"/>\n",
            html_escape(name),
            html_escape(value)
        ));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n\
         <title>Redirecting…</title>\n</head>\n\
         <body onload=\"document.forms[0].submit()\">\n\
         <form method=\"post\" action=\"{action}\">\n{fields}\
         <noscript><p>Script is disabled. Click Continue to continue.</p>\
         <input type=\"submit\" value=\"Continue\"/></noscript>\n\
         </form>\n</body>\n</html>\n",
        action = html_escape(redirect_uri),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_escapes_what_it_echoes() {
        let authorize = vec![
            ("state".to_string(), "\"><script>".to_string()),
            ("password".to_string(), "never echoed".to_string()),
        ];
        let html = login_page(&LoginPage {
            as_id: "aus1",
            authorize: &authorize,
            mfa: true,
            error: Some("Unable to sign in"),
            username: "a<b",
        });
        assert!(html.contains("value=\"&quot;&gt;&lt;script&gt;\""));
        assert!(!html.contains("never echoed"));
        assert!(html.contains("name=\"passCode\""));
        assert!(html.contains("value=\"a&lt;b\""));
        assert!(html.contains("Unable to sign in"));
    }
}
