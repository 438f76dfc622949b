//! The sign-in wire layer (BEHAVIOURS.md OKTA-AS-1, OKTA-AS-4, OKTA-AS-7, OKTA-AS-10,
//! OKTA-TOK-1..7): the OIDC endpoints of each custom authorization server (`/oauth2/{id}/…`)
//! and of the org authorization server (`/oauth2/v1/…`, `/.well-known/…`; the same handlers,
//! [`ServerId`] tells which), the login page, `/api/v1/authn` and the TOTP factor admin
//! endpoints.
//!
//! - [`discovery`]: `/.well-known/openid-configuration`, `/.well-known/oauth-authorization-server`
//!   and `/v1/keys`.
//! - [`authorize`]: `/v1/authorize` (GET and form POST), the login form's POST and
//!   `/v1/logout`.
//! - [`login_page`]: the HTML of the login page and of the error page.
//! - [`token`]: `/v1/token`, `/v1/introspect`, `/v1/revoke`, `/v1/userinfo`.
//! - [`authn`]: `POST /api/v1/authn` and factor verification.
//! - [`factors`]: `POST/GET /api/v1/users/{id}/factors…` (SSWS).
//!
//! This module holds what they share: form and query parsing, URL and cookie building, OAuth
//! error responses, client authentication from headers and bodies.

mod authn;
mod authorize;
mod discovery;
mod factors;
mod login_page;
mod token;

use axum::Router;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde_json::json;

use crate::core::assertion::JWT_BEARER;
use crate::core::authz::ORG_SERVER_ID;
use crate::core::tokens::ClientAuth;
use crate::core::{AuthServer, OAuthError, OktaError, Org};
use crate::wire::{ApiError, AppState};

/// The name of the sign-in session cookie.
pub(crate) const SESSION_COOKIE: &str = "sid";

/// Routes of the OIDC endpoints, the login page, `/api/v1/authn` and the factor endpoints.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        // The org authorization server (OKTA-AS-10): the same handlers, the server named by
        // the path's shape (see [`ServerId`]).
        .route(
            "/.well-known/openid-configuration",
            get(discovery::openid_configuration),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(discovery::oauth_authorization_server),
        )
        .route("/oauth2/v1/keys", get(discovery::keys))
        .route(
            "/oauth2/v1/authorize",
            get(authorize::authorize_get).post(authorize::authorize_post),
        )
        .route("/oauth2/v1/authorize/login", post(authorize::login_post))
        .route("/oauth2/v1/logout", get(authorize::logout))
        .route("/oauth2/v1/token", post(token::token))
        .route("/oauth2/v1/introspect", post(token::introspect))
        .route("/oauth2/v1/revoke", post(token::revoke))
        .route(
            "/oauth2/v1/userinfo",
            get(token::userinfo_get).post(token::userinfo_post),
        )
        .route(
            "/oauth2/{as_id}/.well-known/openid-configuration",
            get(discovery::openid_configuration),
        )
        .route(
            "/oauth2/{as_id}/.well-known/oauth-authorization-server",
            get(discovery::oauth_authorization_server),
        )
        .route("/oauth2/{as_id}/v1/keys", get(discovery::keys))
        .route(
            "/oauth2/{as_id}/v1/authorize",
            get(authorize::authorize_get).post(authorize::authorize_post),
        )
        .route(
            "/oauth2/{as_id}/v1/authorize/login",
            post(authorize::login_post),
        )
        .route("/oauth2/{as_id}/v1/logout", get(authorize::logout))
        .route("/oauth2/{as_id}/v1/token", post(token::token))
        .route("/oauth2/{as_id}/v1/introspect", post(token::introspect))
        .route("/oauth2/{as_id}/v1/revoke", post(token::revoke))
        .route(
            "/oauth2/{as_id}/v1/userinfo",
            get(token::userinfo_get).post(token::userinfo_post),
        )
        .route("/api/v1/authn", post(authn::authn))
        .route(
            "/api/v1/authn/factors/{factor_id}/verify",
            post(authn::verify),
        )
        .route(
            "/api/v1/users/{id}/factors",
            get(factors::list).post(factors::enroll),
        )
        .route("/api/v1/users/{id}/factors/{factor_id}", get(factors::get))
        .route(
            "/api/v1/users/{id}/factors/{factor_id}/lifecycle/activate",
            post(factors::activate),
        )
        .method_not_allowed_fallback(method_not_allowed)
}

/// 405 in Okta's shape (E0000022).
async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "E0000022",
        "The endpoint does not support the provided HTTP method",
    )
}

// ---- parameters ----------------------------------------------------------------------------

/// Parameters of a query string or an `application/x-www-form-urlencoded` body, in order.
#[derive(Clone, Debug, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn parse(bytes: &[u8]) -> Params {
        Params(
            form_urlencoded::parse(bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`, if present.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, unless absent or empty.
    pub(crate) fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// Every pair, in order.
    pub(crate) fn pairs(&self) -> &[(String, String)] {
        &self.0
    }
}

/// Whether a request body is declared as a form.
pub(crate) fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// `base?k=v&…` (or `&` when `base` has a query already), form-encoded.
pub(crate) fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        query.append_pair(k, v);
    }
    let query = query.finish();
    if query.is_empty() {
        return base.to_string();
    }
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}{query}")
}

/// Percent-decoding of one `application/x-www-form-urlencoded` component (`+` is a space), as
/// RFC 6749 section 2.3.1 asks of HTTP Basic client credentials.
pub(crate) fn form_decode(component: &str) -> String {
    sim_core::url::form_decode_lossy(component)
}

// ---- cookies -------------------------------------------------------------------------------

/// The session id in the request's `sid` cookie.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == SESSION_COOKIE && !value.is_empty())
        .map(|(_, value)| value.to_string())
}

/// `Set-Cookie` starting a session.
pub(crate) fn set_session_cookie(session_id: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={session_id}; Path=/; HttpOnly; SameSite=Lax"
    ))
    .ok()
}

/// `Set-Cookie` ending the session.
pub(crate) fn clear_session_cookie() -> HeaderValue {
    HeaderValue::from_static(
        "sid=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    )
}

// ---- authorization servers -----------------------------------------------------------------

/// The authorization server a request is for: the `{as_id}` of `/oauth2/{as_id}/…`, or the
/// org server ([`ORG_SERVER_ID`]) for `/oauth2/v1/…` and the org's own `/.well-known/…`. The
/// org server's internal id named in a custom server's place is refused like any unknown id.
pub(crate) struct ServerId(pub(crate) String);

impl<S: Send + Sync> FromRequestParts<S> for ServerId {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<ServerId, Response> {
        let path = parts.uri.path();
        if path.starts_with("/oauth2/v1/") || path.starts_with("/.well-known/") {
            return Ok(ServerId(ORG_SERVER_ID.to_string()));
        }
        let Path(as_id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        if as_id == ORG_SERVER_ID {
            return Err(ApiError::from(OktaError::NotFound {
                kind: "AuthorizationServer",
                id: as_id,
            })
            .into_response());
        }
        Ok(ServerId(as_id))
    }
}

/// The active authorization server `as_id`, or 404 E0000007.
pub(crate) fn live_server<'o>(org: &'o Org, as_id: &str) -> Result<&'o AuthServer, ApiError> {
    match org.token_server(as_id) {
        Ok(server) if server.active => Ok(server),
        _ => Err(OktaError::NotFound {
            kind: "AuthorizationServer",
            id: as_id.to_string(),
        }
        .into()),
    }
}

/// RFC 3339 with milliseconds, as Okta writes timestamps.
pub(crate) fn timestamp(t: std::time::SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

// ---- OAuth errors --------------------------------------------------------------------------

/// An OAuth error as the token-family endpoints answer it: `{"error","error_description"}`,
/// 401 for `invalid_client`, 400 otherwise, never cached.
#[derive(Debug)]
pub(crate) struct OAuthJson(pub(crate) OAuthError);

impl From<OAuthError> for OAuthJson {
    fn from(error: OAuthError) -> OAuthJson {
        OAuthJson(error)
    }
}

impl IntoResponse for OAuthJson {
    fn into_response(self) -> Response {
        let status = if self.0.error == "invalid_client" {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::BAD_REQUEST
        };
        let body = json!({ "error": self.0.error, "error_description": self.0.description });
        let mut response = (status, axum::Json(body)).into_response();
        no_store(response.headers_mut());
        response
    }
}

/// `Cache-Control: no-store` and `Pragma: no-cache`.
pub(crate) fn no_store(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// `invalid_request` with Okta's wording for a missing parameter.
pub(crate) fn missing(name: &str) -> OAuthError {
    OAuthError {
        error: "invalid_request",
        description: format!("The '{name}' parameter is required."),
    }
}

/// The client's credentials: HTTP Basic (`client_secret_basic`), or `client_id` (and
/// `client_secret` for `client_secret_post`) in the body. Both at once is refused, as Okta
/// does. HTTP Basic with the client id alone (no `:`) names a public client without a secret,
/// as okta-auth-js sends it to `/introspect` and `/revoke`.
pub(crate) fn client_auth(headers: &HeaderMap, params: &Params) -> Result<ClientAuth, OAuthError> {
    let assertion = client_assertion(params)?;
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("Basic"))
        .map(|(_, credentials)| credentials.trim());
    let invalid = |description: &str| OAuthError {
        error: "invalid_client",
        description: description.to_string(),
    };
    if let Some(credentials) = basic {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(credentials)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| invalid("Invalid value for 'Authorization' header."))?;
        // `Basic base64(client_id)` with no `:` is a public client naming itself: what
        // okta-auth-js sends to /introspect and /revoke when it has no client secret.
        let (id, secret) = match decoded.split_once(':') {
            Some((id, secret)) => (id, Some(secret)),
            None => (decoded.as_str(), None),
        };
        if id.is_empty() {
            return Err(invalid("Invalid value for 'Authorization' header."));
        }
        if params.get("client_secret").is_some() || assertion.is_some() {
            return Err(OAuthError {
                error: "invalid_request",
                description: "Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body.".into(),
            });
        }
        let client_id = form_decode(id);
        if params
            .get("client_id")
            .is_some_and(|body| body != client_id)
        {
            return Err(invalid(
                "The client_id in the request body does not match the client authenticated.",
            ));
        }
        return Ok(ClientAuth {
            client_id,
            client_secret: secret.map(form_decode),
            assertion: None,
        });
    }
    if let Some(assertion) = assertion {
        if params.get("client_secret").is_some() {
            return Err(OAuthError {
                error: "invalid_request",
                description: "Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body.".into(),
            });
        }
        // The client is the assertion's `sub` unless `client_id` names it (then they must
        // agree, which the core checks against `iss` and `sub`).
        let client_id = match params.non_empty("client_id") {
            Some(id) => id.to_string(),
            None => assertion_subject(&assertion)
                .ok_or_else(|| invalid("The client_assertion is not a valid JWT."))?,
        };
        return Ok(ClientAuth {
            client_id,
            client_secret: None,
            assertion: Some(assertion),
        });
    }
    let client_id = params
        .non_empty("client_id")
        .ok_or_else(|| invalid("No client credentials found."))?;
    Ok(ClientAuth {
        client_id: client_id.to_string(),
        client_secret: params.get("client_secret").map(str::to_string),
        assertion: None,
    })
}

/// The `client_assertion` of a `private_key_jwt` client, if any; its type must be
/// [`JWT_BEARER`].
fn client_assertion(params: &Params) -> Result<Option<String>, OAuthError> {
    let Some(assertion) = params.non_empty("client_assertion") else {
        return Ok(None);
    };
    match params.get("client_assertion_type") {
        Some(JWT_BEARER) => Ok(Some(assertion.to_string())),
        Some(_) => Err(OAuthError {
            error: "invalid_client",
            description: "The client_assertion_type is invalid.".into(),
        }),
        None => Err(missing("client_assertion_type")),
    }
}

/// The `sub` of a JWT, unverified (the core verifies it).
fn assertion_subject(jwt: &str) -> Option<String> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("sub")?.as_str().map(str::to_string)
}

/// Escapes text for HTML element content and attribute values.
pub(crate) fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_appended_form_encoded() {
        assert_eq!(
            with_query(
                "http://localhost:3128/oauth/callback",
                &[("error", "access_denied"), ("error_description", "a b&c")]
            ),
            "http://localhost:3128/oauth/callback?error=access_denied&error_description=a+b%26c"
        );
        assert_eq!(
            with_query("kiro://x/cb?a=1", &[("b", "2")]),
            "kiro://x/cb?a=1&b=2"
        );
    }

    #[test]
    fn form_components_decode_and_tolerate_junk() {
        assert_eq!(form_decode("a%3Ab+c"), "a:b c");
        assert_eq!(form_decode("100%"), "100%");
        assert_eq!(form_decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1; sid=102abc"));
        assert_eq!(session_cookie(&headers).as_deref(), Some("102abc"));
        headers.clear();
        headers.append(header::COOKIE, HeaderValue::from_static("sid="));
        assert_eq!(session_cookie(&headers), None);
    }

    #[test]
    fn basic_and_body_credentials_do_not_mix() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic MG9hMTpzM2NyZXQ="),
        );
        let auth = client_auth(&headers, &Params::default()).expect("basic");
        assert_eq!(auth.client_id, "0oa1");
        assert_eq!(auth.client_secret.as_deref(), Some("s3cret"));
        let both = Params::parse(b"client_secret=x");
        assert_eq!(
            client_auth(&headers, &both).map_err(|e| e.error),
            Err("invalid_request")
        );
        assert_eq!(
            client_auth(&HeaderMap::new(), &Params::default()).map_err(|e| e.error),
            Err("invalid_client")
        );
    }
}
