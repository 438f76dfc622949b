//! Discovery and keys of an authorization server (BEHAVIOURS.md OKTA-AS-1, OKTA-AS-7):
//! `/.well-known/openid-configuration`, `/.well-known/oauth-authorization-server` (Okta's
//! documents, `issuer` exactly `Org::issuer`) and `/v1/keys` (every published key: ACTIVE,
//! NEXT and EXPIRED, so tokens signed before a rotation still verify).

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::{ServerId, live_server};
use crate::core::authz::KeyStatus;
use crate::core::{AuthServer, Org};
use crate::wire::{AppState, httpdate};

/// How long clients may cache the JWKS. The NEXT key is published ahead of a rotation, so a
/// cached set already holds the key that signs after it.
const JWKS_MAX_AGE: Duration = Duration::from_secs(60 * 60);

/// Claims tokens of every server may carry.
const STANDARD_CLAIMS: [&str; 31] = [
    "iss",
    "ver",
    "sub",
    "aud",
    "iat",
    "exp",
    "jti",
    "auth_time",
    "amr",
    "idp",
    "nonce",
    "name",
    "nickname",
    "preferred_username",
    "given_name",
    "middle_name",
    "family_name",
    "email",
    "email_verified",
    "profile",
    "zoneinfo",
    "locale",
    "address",
    "phone_number",
    "picture",
    "website",
    "gender",
    "birthdate",
    "updated_at",
    "at_hash",
    "c_hash",
];

const CLIENT_AUTH_METHODS: [&str; 4] = [
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
    "none",
];

/// Which of the two documents.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Document {
    OpenId,
    OAuth,
}

fn metadata(org: &Org, server: &AuthServer, document: Document) -> Map<String, Value> {
    let as_id = server.id.as_str();
    let issuer = org.issuer(as_id);
    let endpoints = org.endpoint_base(as_id);
    let endpoint = |path: &str| json!(format!("{endpoints}/v1/{path}"));
    let scopes: Vec<&str> = server
        .scopes
        .iter()
        .filter(|s| s.metadata_publish == "ALL_CLIENTS")
        .map(|s| s.name.as_str())
        .collect();
    let mut claims: Vec<&str> = STANDARD_CLAIMS.to_vec();
    for claim in server.claims.iter().filter(|c| c.active) {
        if !claims.contains(&claim.name.as_str()) {
            claims.push(&claim.name);
        }
    }
    let mut m = Map::new();
    m.insert("issuer".into(), json!(issuer));
    m.insert("authorization_endpoint".into(), endpoint("authorize"));
    m.insert("token_endpoint".into(), endpoint("token"));
    if document == Document::OpenId {
        m.insert("userinfo_endpoint".into(), endpoint("userinfo"));
    }
    m.insert(
        "registration_endpoint".into(),
        json!(format!("{}/oauth2/v1/clients", org.org_url())),
    );
    m.insert("jwks_uri".into(), endpoint("keys"));
    m.insert("response_types_supported".into(), json!(["code"]));
    m.insert(
        "response_modes_supported".into(),
        json!(["query", "fragment", "form_post"]),
    );
    m.insert(
        "grant_types_supported".into(),
        json!(["authorization_code", "refresh_token", "client_credentials"]),
    );
    m.insert("subject_types_supported".into(), json!(["public"]));
    if document == Document::OpenId {
        m.insert(
            "id_token_signing_alg_values_supported".into(),
            json!(["RS256"]),
        );
    }
    m.insert("scopes_supported".into(), json!(scopes));
    m.insert(
        "token_endpoint_auth_methods_supported".into(),
        json!(CLIENT_AUTH_METHODS),
    );
    m.insert("claims_supported".into(), json!(claims));
    m.insert("code_challenge_methods_supported".into(), json!(["S256"]));
    m.insert("introspection_endpoint".into(), endpoint("introspect"));
    m.insert(
        "introspection_endpoint_auth_methods_supported".into(),
        json!(CLIENT_AUTH_METHODS),
    );
    m.insert("revocation_endpoint".into(), endpoint("revoke"));
    m.insert(
        "revocation_endpoint_auth_methods_supported".into(),
        json!(CLIENT_AUTH_METHODS),
    );
    m.insert("end_session_endpoint".into(), endpoint("logout"));
    m.insert("request_parameter_supported".into(), json!(false));
    m
}

fn document(shared: &AppState, as_id: &str, which: Document) -> Response {
    let org = shared.org.lock();
    match live_server(&org, as_id) {
        Ok(server) => axum::Json(Value::Object(metadata(&org, server, which))).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /oauth2/{as_id}/.well-known/openid-configuration`.
pub(crate) async fn openid_configuration(
    State(shared): State<AppState>,
    ServerId(as_id): ServerId,
) -> Response {
    document(&shared, &as_id, Document::OpenId)
}

/// `GET /oauth2/{as_id}/.well-known/oauth-authorization-server`.
pub(crate) async fn oauth_authorization_server(
    State(shared): State<AppState>,
    ServerId(as_id): ServerId,
) -> Response {
    document(&shared, &as_id, Document::OAuth)
}

/// `GET /oauth2/{as_id}/v1/keys`: the JWKS, ACTIVE key first, then NEXT, then EXPIRED.
pub(crate) async fn keys(State(shared): State<AppState>, ServerId(as_id): ServerId) -> Response {
    let now = shared.clock.now();
    let jwks = {
        let org = shared.org.lock();
        let server = match live_server(&org, &as_id) {
            Ok(server) => server,
            Err(e) => return e.into_response(),
        };
        let mut keys: Vec<_> = server.keys.iter().collect();
        keys.sort_by_key(|k| match k.status {
            KeyStatus::Active => 0,
            KeyStatus::Next => 1,
            KeyStatus::Expired => 2,
        });
        let keys: Vec<Value> = keys
            .iter()
            .map(|k| {
                let jwk = k.key.jwk();
                json!({
                    "kty": jwk.kty,
                    "alg": jwk.alg,
                    "kid": jwk.kid,
                    "use": jwk.use_,
                    "e": jwk.e,
                    "n": jwk.n,
                })
            })
            .collect();
        json!({ "keys": keys })
    };
    let mut response = axum::Json(jwks).into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "max-age={}, must-revalidate",
        JWKS_MAX_AGE.as_secs()
    )) {
        headers.insert(header::CACHE_CONTROL, v);
    }
    if let Ok(v) = HeaderValue::from_str(&httpdate(now + JWKS_MAX_AGE)) {
        headers.insert(header::EXPIRES, v);
    }
    response
}
