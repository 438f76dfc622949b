//! Test helpers shared by mock-kiro's integration tests: a minimal OIDC issuer (discovery and
//! JWKS over real HTTP, tokens signed with the fixed dev keys), and starting mock-kiro.

#![allow(dead_code)]

pub use sim_testkit::http::Reply;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::routing::get;
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
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
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
        let server = sim_core::http::serve(listener, router, None)
            .await
            .expect("serve");
        TestIssuer {
            issuer,
            keys,
            _server: server,
        }
    }

    /// Claims of a good access token for `client_id`, issued at `iat` (unix seconds), valid
    /// one hour, with `scopes`.
    pub fn claims(
        &self,
        client_id: &str,
        uid: &str,
        sub: &str,
        iat: u64,
        scopes: &[&str],
    ) -> Map<String, Value> {
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
        sim_testkit::jwt::rs256(&self.keys[key], claims)
    }
}

/// Starts mock-kiro on a free port with a virtual clock; `dns` is the DNS server to ask.
pub async fn start_kiro(dns: Option<SocketAddr>) -> mock_kiro::MockKiro {
    let mut config = mock_kiro::Config::default();
    if let Some(dns) = dns {
        config.dns_server = dns;
    }
    mock_kiro::MockKiro::start(config)
        .await
        .expect("start mock-kiro")
}

// ---- helpers of the SCIM and runtime tests -------------------------------------------------

/// An OIDC issuer for tests whose published keys can change (key rotation) and which counts
/// how often its JWKS is fetched. Serves discovery and `/v1/keys` like [`TestIssuer`].
pub struct CountingIssuer {
    pub issuer: String,
    pub keys: Vec<SigningKey>,
    published: Arc<parking_lot::Mutex<Vec<usize>>>,
    fetches: Arc<std::sync::atomic::AtomicUsize>,
    _server: sim_core::http::HttpServer,
}

impl CountingIssuer {
    /// Starts with the dev keys `published` in its JWKS.
    pub async fn start(published: &[usize]) -> CountingIssuer {
        let keys = sim_core::keys::dev_keys(sim_core::Seed(0)).expect("dev keys");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        let issuer = format!("http://127.0.0.1:{}/oauth2/aus_counting", addr.port());
        let discovery = json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/v1/authorize"),
            "token_endpoint": format!("{issuer}/v1/token"),
            "jwks_uri": format!("{issuer}/v1/keys"),
        });
        let published = Arc::new(parking_lot::Mutex::new(published.to_vec()));
        let fetches = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let jwks_keys: Vec<Value> = keys
            .iter()
            .map(|k| serde_json::to_value(k.jwk()).expect("jwk"))
            .collect();
        let (p, f) = (published.clone(), fetches.clone());
        let router = axum::Router::new()
            .route(
                "/oauth2/aus_counting/.well-known/openid-configuration",
                get(move || {
                    let d = discovery.clone();
                    async move { Json(d) }
                }),
            )
            .route(
                "/oauth2/aus_counting/v1/keys",
                get(move || {
                    f.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let keys: Vec<Value> = p.lock().iter().map(|i| jwks_keys[*i].clone()).collect();
                    async move { Json(json!({ "keys": keys })) }
                }),
            );
        let server = sim_core::http::serve(listener, router, None)
            .await
            .expect("serve");
        CountingIssuer {
            issuer,
            keys,
            published,
            fetches,
            _server: server,
        }
    }

    /// Publishes exactly the dev keys `keys` from now on.
    pub fn publish(&self, keys: &[usize]) {
        *self.published.lock() = keys.to_vec();
    }

    /// How many times the JWKS was fetched.
    pub fn fetches(&self) -> usize {
        self.fetches.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Claims of a good access token (as [`TestIssuer::claims`]).
    pub fn claims(
        &self,
        client_id: &str,
        uid: &str,
        sub: &str,
        iat: u64,
        scopes: &[&str],
    ) -> Map<String, Value> {
        let mut claims = json!({
            "ver": 1, "jti": format!("AT.{uid}.{iat}"), "iss": self.issuer, "aud": "api://kiro",
            "iat": iat, "exp": iat + 3600, "cid": client_id, "uid": uid, "scp": scopes,
            "auth_time": iat, "sub": sub,
        });
        claims.as_object_mut().cloned().expect("object")
    }

    /// Signs `claims` with dev key `key`.
    pub fn sign(&self, key: usize, claims: &Map<String, Value>) -> String {
        sim_testkit::jwt::rs256(&self.keys[key], claims)
    }
}

/// Sends a request and reads the whole answer.
pub async fn send(request: reqwest::RequestBuilder) -> Reply {
    sim_testkit::http::read(request).await
}

/// A running mock-kiro (virtual clock) and an HTTP client, optionally with a mock-dns on the
/// same clock.
pub struct Sim {
    pub kiro: mock_kiro::MockKiro,
    pub dns: Option<mock_dns::MockDns>,
    pub http: reqwest::Client,
}

impl Sim {
    /// mock-kiro alone.
    pub async fn start() -> Sim {
        Sim {
            kiro: start_kiro(None).await,
            dns: None,
            http: reqwest::Client::new(),
        }
    }

    /// mock-kiro and mock-dns on one virtual clock.
    pub async fn start_with_dns() -> Sim {
        let clock = sim_core::Clock::new_virtual();
        let dns = mock_dns::MockDns::start(mock_dns::Config {
            clock: clock.clone(),
            ..mock_dns::Config::default()
        })
        .await
        .expect("mock-dns starts");
        let kiro = mock_kiro::MockKiro::start(mock_kiro::Config {
            clock,
            dns_server: dns.dns_addr(),
            ..mock_kiro::Config::default()
        })
        .await
        .expect("mock-kiro starts");
        Sim {
            kiro,
            dns: Some(dns),
            http: reqwest::Client::new(),
        }
    }

    /// A URL on mock-kiro.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.kiro.url())
    }

    /// A console call with the admin token.
    pub async fn console(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Reply {
        let mut request = self
            .http
            .request(method, self.url(path))
            .bearer_auth(self.kiro.admin_token());
        if let Some(body) = body {
            request = request.json(&body);
        }
        send(request).await
    }

    /// Creates a profile; its JSON (`profileId`, `profileArn`, `scimEndpoint`, …).
    pub async fn create_profile(&self, name: &str, issuer: &str, client_id: &str) -> Value {
        let body = json!({ "profileName": name, "issuerUrl": issuer, "clientId": client_id });
        self.console(reqwest::Method::POST, "/console/profiles", Some(body))
            .await
            .expect(200)
            .clone()
    }

    /// Generates a SCIM token: (token id, secret).
    pub async fn scim_token(&self, profile_id: &str) -> (String, String) {
        let reply = self
            .console(
                reqwest::Method::POST,
                &format!("/console/profiles/{profile_id}/scim-tokens"),
                None,
            )
            .await;
        let body = reply.expect(200);
        (
            body["tokenId"].as_str().expect("tokenId").to_string(),
            body["token"].as_str().expect("token").to_string(),
        )
    }

    /// A SCIM client for a profile (its endpoint and a fresh token).
    pub async fn scim_for(&self, profile: &Value) -> Scim {
        let id = profile["profileId"].as_str().expect("profileId");
        let (_, token) = self.scim_token(id).await;
        Scim {
            http: self.http.clone(),
            base: profile["scimEndpoint"]
                .as_str()
                .expect("scimEndpoint")
                .trim_end_matches('/')
                .to_string(),
            token,
        }
    }

    /// Subscribes a user or group: `POST …/subscriptions`.
    pub async fn subscribe(
        &self,
        profile_id: &str,
        kind: &str,
        principal: &str,
        tier: &str,
    ) -> Value {
        self.console(
            reqwest::Method::POST,
            &format!("/console/profiles/{profile_id}/subscriptions"),
            Some(json!({ "principalType": kind, "principalId": principal, "tier": tier })),
        )
        .await
        .expect(200)
        .clone()
    }

    /// The world clock in Unix seconds (`GET /_sim/clock`).
    pub async fn now_unix(&self) -> u64 {
        let reply = send(self.http.get(self.url("/_sim/clock"))).await;
        let ms = reply.expect(200)["unix_ms"].as_u64().expect("unix_ms");
        ms / 1000
    }

    /// Advances the world clock (`POST /_sim/clock/advance`).
    pub async fn advance(&self, by: &str) {
        let reply = send(
            self.http
                .post(self.url("/_sim/clock/advance"))
                .json(&json!({ "by": by })),
        )
        .await;
        reply.expect(200);
    }
}

/// A SCIM client: base URL `…/{tenant}/scim/v2` and a bearer token.
pub struct Scim {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Scim {
    /// A SCIM call with this client's token; bodies are sent as `application/scim+json`.
    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Reply {
        self.call_as(Some(&self.token), method, path, body).await
    }

    /// A SCIM call with `token` (or none).
    pub async fn call_as(
        &self,
        token: Option<&str>,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Reply {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/scim+json")
                .body(body.to_string());
        }
        send(request).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        self.call(reqwest::Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Reply {
        self.call(reqwest::Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.call(reqwest::Method::DELETE, path, None).await
    }

    /// Creates a user the way Okta does; its id.
    pub async fn create_user(&self, user_name: &str, external_id: &str) -> String {
        let reply = self
            .post("/Users", &okta_user(user_name, external_id))
            .await;
        reply.expect(201)["id"].as_str().expect("id").to_string()
    }

    /// Creates a group; its id.
    pub async fn create_group(&self, name: &str) -> String {
        let body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": name,
            "members": [],
        });
        let reply = self.post("/Groups", &body).await;
        reply.expect(201)["id"].as_str().expect("id").to_string()
    }
}

/// The user body Okta's AWS IAM Identity Center app sends for `ada@…`-style logins.
pub fn okta_user(user_name: &str, external_id: &str) -> Value {
    let local = user_name.split('@').next().unwrap_or(user_name);
    let given = local.split('.').next().unwrap_or(local);
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "externalId": external_id,
        "name": { "givenName": capitalize(given), "familyName": "Tester" },
        "displayName": format!("{} Tester", capitalize(given)),
        "emails": [{ "value": user_name, "type": "work", "primary": true }],
        "active": true,
    })
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A PatchOp request body.
pub fn patch_op(operations: Value) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": operations,
    })
}

/// The scopes Kiro's features need.
pub const COMPLETIONS: &str = "codewhisperer:completions";
pub const CONVERSATIONS: &str = "codewhisperer:conversations";
/// The client id of the Kiro app in the runtime tests.
pub const CLIENT_ID: &str = "0oakiro";

/// A runtime world: mock-kiro, an issuer whose keys can rotate, a profile "Acme" on it with
/// client id [`CLIENT_ID`], and `ada@example.com` (uid `00uada`) provisioned over SCIM and
/// subscribed to Pro.
pub struct RuntimeWorld {
    pub sim: Sim,
    pub issuer: CountingIssuer,
    pub profile: Value,
    pub profile_id: String,
    pub arn: String,
    pub scim: Scim,
    pub ada: String,
}

impl RuntimeWorld {
    /// Starts the world; the issuer publishes dev keys `published`.
    pub async fn start(published: &[usize]) -> RuntimeWorld {
        let sim = Sim::start().await;
        let issuer = CountingIssuer::start(published).await;
        let profile = sim.create_profile("Acme", &issuer.issuer, CLIENT_ID).await;
        let profile_id = profile["profileId"]
            .as_str()
            .expect("profileId")
            .to_string();
        let arn = profile["profileArn"]
            .as_str()
            .expect("profileArn")
            .to_string();
        let scim = sim.scim_for(&profile).await;
        let ada = scim.create_user("ada@example.com", "00uada").await;
        sim.subscribe(&profile_id, "USER", &ada, "PRO").await;
        RuntimeWorld {
            sim,
            issuer,
            profile,
            profile_id,
            arn,
            scim,
            ada,
        }
    }

    /// Claims of a good token for `uid`/`sub` issued now (world time), with `scopes`.
    pub async fn claims_for(&self, uid: &str, sub: &str, scopes: &[&str]) -> Map<String, Value> {
        let now = self.sim.now_unix().await;
        self.issuer.claims(CLIENT_ID, uid, sub, now, scopes)
    }

    /// A good token of Ada's with both Kiro scopes, signed with key 0.
    pub async fn ada_token(&self) -> String {
        let claims = self
            .claims_for(
                "00uada",
                "ada@example.com",
                &["openid", "offline_access", COMPLETIONS, CONVERSATIONS],
            )
            .await;
        self.issuer.sign(0, &claims)
    }

    /// A runtime call with `token` as bearer (or none).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let mut request = self.sim.http.request(method, self.sim.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        send(request).await
    }

    /// `POST /generateCompletions` on the profile.
    pub async fn complete(&self, token: &str) -> Reply {
        let body = json!({
            "profileArn": self.arn,
            "fileContext": {
                "filename": "src/main.rs",
                "programmingLanguage": { "languageName": "rust" },
                "leftFileContent": "fn main() {\n    ",
                "rightFileContent": "\n}\n",
            },
        });
        self.call(
            reqwest::Method::POST,
            "/generateCompletions",
            Some(token),
            Some(&body),
        )
        .await
    }

    /// `POST /generateAssistantResponse` on the profile.
    pub async fn chat(&self, token: &str, content: &str, model: Option<&str>) -> Reply {
        let mut message = json!({ "content": content });
        if let Some(model) = model {
            message["modelId"] = json!(model);
        }
        let body = json!({
            "profileArn": self.arn,
            "conversationState": { "currentMessage": { "userInputMessage": message } },
        });
        self.call(
            reqwest::Method::POST,
            "/generateAssistantResponse",
            Some(token),
            Some(&body),
        )
        .await
    }

    /// `GET /getUsageLimits` on the profile.
    pub async fn usage(&self, token: &str) -> Reply {
        let path = format!(
            "/getUsageLimits?profileArn={}",
            self.arn.replace(':', "%3A").replace('/', "%2F")
        );
        self.call(reqwest::Method::GET, &path, Some(token), None)
            .await
    }

    /// Ada's seat as the console lists it.
    pub async fn ada_seat(&self) -> Value {
        let reply = self
            .sim
            .console(
                reqwest::Method::GET,
                &format!("/console/profiles/{}/subscriptions", self.profile_id),
                None,
            )
            .await;
        reply.expect(200)["seats"]
            .as_array()
            .expect("seats")
            .iter()
            .find(|s| s["userId"] == self.ada.as_str())
            .cloned()
            .expect("Ada's seat")
    }
}
