//! Test helpers shared by mock-kiro's integration tests: a minimal OIDC issuer (discovery and
//! JWKS over real HTTP, tokens signed with the fixed dev keys), and starting mock-kiro.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use sim_core::keys::SigningKey;

/// An OIDC issuer for tests: serves `/.well-known/openid-configuration` and `/keys` with the
/// first two dev keys published; signs tokens with any dev key (the last two are never
/// published, for "key not in the JWKS" cases).
pub struct TestIssuer {
    pub issuer: String,
    pub keys: Vec<SigningKey>,
    _server: sim_core::http::HttpServer,
}

impl TestIssuer {
    pub async fn start() -> TestIssuer {
        let keys = sim_core::keys::dev_keys(sim_core::Seed(0)).expect("dev keys");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        let issuer = format!("http://127.0.0.1:{}/oauth2/aus_test", addr.port());
        let published: Vec<Value> = keys[..2]
            .iter()
            .map(|k| serde_json::to_value(k.jwk()).expect("jwk"))
            .collect();
        let discovery = json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/v1/authorize"),
            "token_endpoint": format!("{issuer}/v1/token"),
            "jwks_uri": format!("{issuer}/v1/keys"),
        });
        let jwks = Arc::new(json!({ "keys": published }));
        let router = axum::Router::new()
            .route(
                "/oauth2/aus_test/.well-known/openid-configuration",
                get(move || {
                    let d = discovery.clone();
                    async move { Json(d) }
                }),
            )
            .route(
                "/oauth2/aus_test/v1/keys",
                get(move || {
                    let j = jwks.clone();
                    async move { Json((*j).clone()) }
                }),
            );
        let server = sim_core::http::serve(listener, router, None).await.expect("serve");
        TestIssuer {
            issuer,
            keys,
            _server: server,
        }
    }

    /// Claims of a good access token for `client_id`, issued at `iat` (unix seconds), valid
    /// one hour, with `scopes`.
    pub fn claims(&self, client_id: &str, uid: &str, sub: &str, iat: u64, scopes: &[&str]) -> Map<String, Value> {
        json!({
            "ver": 1, "jti": format!("AT.{uid}.{iat}"), "iss": self.issuer, "aud": "api://kiro",
            "iat": iat, "exp": iat + 3600, "cid": client_id, "uid": uid, "scp": scopes,
            "auth_time": iat, "sub": sub,
        })
        .as_object()
        .cloned()
        .expect("object")
    }

    /// Signs `claims` as an RS256 JWT with dev key `key` (0 and 1 are published).
    pub fn sign(&self, key: usize, claims: &Map<String, Value>) -> String {
        sign_with(&self.keys[key], claims)
    }
}

/// Signs `claims` with `key` (RS256, `kid` = the key's id).
pub fn sign_with(key: &SigningKey, claims: &Map<String, Value>) -> String {
    let header = json!({ "kid": key.kid(), "alg": "RS256" });
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(Value::Object(claims.clone()).to_string())
    );
    let signature = key.sign_rs256(input.as_bytes()).expect("sign");
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// Starts mock-kiro on a free port with a virtual clock; `dns` is the DNS server to ask.
pub async fn start_kiro(dns: Option<SocketAddr>) -> mock_kiro::MockKiro {
    let mut config = mock_kiro::Config::default();
    if let Some(dns) = dns {
        config.dns_server = dns;
    }
    mock_kiro::MockKiro::start(config).await.expect("start mock-kiro")
}
