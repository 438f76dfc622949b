//! Helpers shared by mock-okta's integration tests: start an org in-process (virtual clock,
//! port 0), call it over HTTP with the SSWS API token, move the world's clock, and set orgs up
//! through the management API (users, groups, OIDC apps, authorization servers with scopes,
//! policies and rules).
//!
//! Each test file uses only part of this module, hence the `dead_code` allowance.
#![allow(dead_code)]

use mock_okta::{Config, MockOkta};
use reqwest::Method;
use serde_json::{Value, json};
use sim_core::Seed;
pub use sim_testkit::http::Reply;

/// The world's start (the virtual clock's epoch) as Okta spells timestamps.
pub const T0: &str = "2026-01-01T00:00:00.000Z";

/// A password every test user can have (meets the org's password policy).
pub const PASSWORD: &str = "Tr0ub4dor&3xQ";

/// The Kiro redirect URIs of BEHAVIOURS.md OKTA-APP-2.
pub const KIRO_REDIRECT_URIS: [&str; 11] = [
    "kiro://kiro.oauth/callback",
    "http://localhost:3128/oauth/callback",
    "http://localhost:4649/oauth/callback",
    "http://localhost:6588/oauth/callback",
    "http://localhost:8008/oauth/callback",
    "http://localhost:9091/oauth/callback",
    "http://localhost:49153/oauth/callback",
    "http://localhost:50153/oauth/callback",
    "http://localhost:51153/oauth/callback",
    "http://localhost:52153/oauth/callback",
    "http://localhost:53153/oauth/callback",
];

/// The Kiro scopes (BEHAVIOURS.md OKTA-AS-2).
pub const KIRO_SCOPES: [&str; 2] = ["codewhisperer:completions", "codewhisperer:conversations"];

/// A running mock-okta and an HTTP client for it.
pub struct Okta {
    /// The service under test.
    pub okta: MockOkta,
    /// The HTTP client every request goes through (no redirects followed, cookies off).
    pub http: reqwest::Client,
}

/// Starts mock-okta with the default config (seed 0, virtual clock, port 0, http).
pub async fn start() -> Okta {
    start_with(Config::default()).await
}

/// Starts mock-okta with the given seed and otherwise default config.
pub async fn start_seeded(seed: u64) -> Okta {
    start_with(Config {
        seed: Seed(seed),
        ..Config::default()
    })
    .await
}

/// Starts mock-okta with `config`.
pub async fn start_with(config: Config) -> Okta {
    let okta = MockOkta::start(config).await.expect("mock-okta starts");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    Okta { okta, http }
}

/// Percent-encodes a query-string value (RFC 3986 unreserved characters stay).
pub fn enc(value: &str) -> String {
    sim_core::url::encode(value)
}

impl Okta {
    /// The org URL (`http://127.0.0.1:PORT`).
    pub fn base(&self) -> String {
        self.okta.url()
    }

    /// The admin API token.
    pub fn token(&self) -> String {
        self.okta.api_token().to_string()
    }

    /// The absolute URL of a path (`/api/v1/users`) or the URL itself if already absolute.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else {
            format!("{}{path}", self.base())
        }
    }

    /// Sends a request as built, and reads the whole answer.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        sim_testkit::http::read(request).await
    }

    /// A request with `Authorization: SSWS {token}`, `Accept: application/json` and, if given,
    /// a JSON body. `path` may be absolute (e.g. a `Link` header's target).
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut request = self
            .http
            .request(method, self.url(path))
            .header("authorization", format!("SSWS {}", self.okta.api_token()))
            .header("accept", "application/json");
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    /// A request with this exact `Authorization` header (`None`: none at all).
    pub async fn call_as(
        &self,
        authorization: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self.http.request(method, self.url(path));
        if let Some(a) = authorization {
            request = request.header("authorization", a);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    /// `GET {path}`.
    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }

    /// `POST {path}` with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(body)).await
    }

    /// `POST {path}` without a body.
    pub async fn post_empty(&self, path: &str) -> Reply {
        self.call(Method::POST, path, None).await
    }

    /// `PUT {path}` with a JSON body.
    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.call(Method::PUT, path, Some(body)).await
    }

    /// `DELETE {path}`.
    pub async fn delete(&self, path: &str) -> Reply {
        self.call(Method::DELETE, path, None).await
    }

    /// Moves the world's clock forward over HTTP (`POST /_sim/clock/advance`), e.g. `"1m"`.
    pub async fn advance(&self, by: &str) -> Value {
        let reply = self
            .send(
                self.http
                    .post(self.url("/_sim/clock/advance"))
                    .json(&json!({ "by": by })),
            )
            .await;
        reply.ok().clone()
    }

    /// Sets the per-endpoint rate limit (`PUT /_sim/okta/rate-limit`).
    pub async fn set_rate_limit(&self, per_minute: u32) {
        let reply = self
            .send(
                self.http
                    .put(self.url("/_sim/okta/rate-limit"))
                    .json(&json!({ "per_minute": per_minute })),
            )
            .await;
        reply.ok();
    }

    /// Follows `Link: rel="next"` from `path` to the end, returning every item and the number
    /// of pages.
    pub async fn list_all(&self, path: &str) -> (Vec<Value>, usize) {
        let mut items = Vec::new();
        let mut pages = 0;
        let mut next = Some(self.url(path));
        while let Some(url) = next {
            let reply = self.get(&url).await;
            let page = reply.ok().as_array().expect("a list").clone();
            pages += 1;
            items.extend(page);
            next = reply.link("next");
            assert!(pages < 10_000, "paging does not end");
        }
        (items, pages)
    }

    // ---- set-up helpers ------------------------------------------------------------------

    /// Creates a user (`POST /api/v1/users?activate=…`) with `login` as login and email,
    /// the given password (or none); returns the user object.
    pub async fn create_user_with(
        &self,
        login: &str,
        password: Option<&str>,
        activate: bool,
    ) -> Value {
        let local = login.split('@').next().unwrap_or(login);
        let mut body = json!({
            "profile": {
                "firstName": capitalise(local),
                "lastName": "Tester",
                "email": login,
                "login": login,
            }
        });
        if let Some(p) = password {
            body["credentials"] = json!({ "password": { "value": p } });
        }
        self.post(&format!("/api/v1/users?activate={activate}"), body)
            .await
            .ok()
            .clone()
    }

    /// Creates an ACTIVE user with [`PASSWORD`]; returns its id.
    pub async fn create_user(&self, login: &str) -> String {
        id_of(&self.create_user_with(login, Some(PASSWORD), true).await)
    }

    /// Creates a group; returns its id.
    pub async fn create_group(&self, name: &str) -> String {
        let reply = self
            .post(
                "/api/v1/groups",
                json!({ "profile": { "name": name, "description": format!("{name} group") } }),
            )
            .await;
        id_of(reply.ok())
    }

    /// Adds a user to a group.
    pub async fn add_member(&self, group_id: &str, user_id: &str) {
        self.put(
            &format!("/api/v1/groups/{group_id}/users/{user_id}"),
            json!({}),
        )
        .await
        .expect(204);
    }

    /// Creates an active OIDC app; returns the app object (`id` = client id).
    /// `application_type` is `native` (public, PKCE) or `web` (confidential).
    pub async fn create_oidc_app_with(
        &self,
        label: &str,
        application_type: &str,
        redirect_uris: &[&str],
        grant_types: &[&str],
    ) -> Value {
        let auth_method = if application_type == "native" || application_type == "browser" {
            "none"
        } else {
            "client_secret_basic"
        };
        let body = json!({
            "name": "oidc_client",
            "label": label,
            "signOnMode": "OPENID_CONNECT",
            "credentials": { "oauthClient": { "token_endpoint_auth_method": auth_method } },
            "settings": { "oauthClient": {
                "redirect_uris": redirect_uris,
                "post_logout_redirect_uris": [],
                "response_types": ["code"],
                "grant_types": grant_types,
                "application_type": application_type,
                "refresh_token": { "rotation_type": "ROTATE", "leeway": 30 },
            } },
        });
        self.post("/api/v1/apps?activate=true", body)
            .await
            .ok()
            .clone()
    }

    /// Creates Kiro's native OIDC app (Kiro redirect URIs, authorization_code + refresh_token);
    /// returns its id (= client id).
    pub async fn create_kiro_app(&self, label: &str) -> String {
        id_of(
            &self
                .create_oidc_app_with(
                    label,
                    "native",
                    &KIRO_REDIRECT_URIS,
                    &["authorization_code", "refresh_token"],
                )
                .await,
        )
    }

    /// Assigns a user to an app directly.
    pub async fn assign_user(&self, app_id: &str, user_id: &str) {
        self.post(
            &format!("/api/v1/apps/{app_id}/users"),
            json!({ "id": user_id, "scope": "USER" }),
        )
        .await
        .ok();
    }

    /// Assigns a group to an app.
    pub async fn assign_group(&self, app_id: &str, group_id: &str) {
        self.put(
            &format!("/api/v1/apps/{app_id}/groups/{group_id}"),
            json!({}),
        )
        .await
        .ok();
    }

    /// Creates an authorization server with audience `api://kiro`; returns it.
    pub async fn create_auth_server(&self, name: &str) -> Value {
        self.post(
            "/api/v1/authorizationServers",
            json!({ "name": name, "description": format!("{name} server"), "audiences": ["api://kiro"] }),
        )
        .await
        .expect(201)
        .clone()
    }

    /// Adds a custom scope with implicit consent; returns its id.
    pub async fn create_scope(&self, as_id: &str, name: &str) -> String {
        let reply = self
            .post(
                &format!("/api/v1/authorizationServers/{as_id}/scopes"),
                json!({
                    "name": name,
                    "description": format!("{name} scope"),
                    "consent": "IMPLICIT",
                    "metadataPublish": "ALL_CLIENTS",
                    "default": false,
                    "displayName": name,
                }),
            )
            .await;
        id_of(reply.expect(201))
    }

    /// Adds an access policy for `clients` (app ids or `ALL_CLIENTS`); returns its id.
    pub async fn create_policy(&self, as_id: &str, name: &str, clients: &[&str]) -> String {
        let reply = self
            .post(
                &format!("/api/v1/authorizationServers/{as_id}/policies"),
                json!({
                    "type": "OAUTH_AUTHORIZATION_POLICY",
                    "status": "ACTIVE",
                    "name": name,
                    "description": format!("{name} policy"),
                    "priority": 1,
                    "conditions": { "clients": { "include": clients } },
                }),
            )
            .await;
        id_of(reply.expect(201))
    }

    /// Adds a rule (everyone; the given grant types and scopes; default lifetimes except a
    /// 60-minute access token); returns its id.
    pub async fn create_rule(
        &self,
        as_id: &str,
        policy_id: &str,
        name: &str,
        grant_types: &[&str],
        scopes: &[&str],
    ) -> String {
        let reply = self
            .post(
                &format!("/api/v1/authorizationServers/{as_id}/policies/{policy_id}/rules"),
                rule_body(
                    name,
                    grant_types,
                    scopes,
                    json!({ "accessTokenLifetimeMinutes": 60 }),
                ),
            )
            .await;
        id_of(reply.expect(201))
    }

    /// A whole Kiro-shaped org: one ACTIVE user (assigned directly), the Kiro native app, an
    /// authorization server `kiro` with the Kiro scopes, a policy for the app and a rule for
    /// everyone with authorization_code + refresh_token and openid, offline_access and the
    /// Kiro scopes.
    pub async fn kiro_org(&self, login: &str) -> KiroOrg {
        let user_id = self.create_user(login).await;
        let app_id = self.create_kiro_app("Kiro-OIDC").await;
        self.assign_user(&app_id, &user_id).await;
        let server = self.create_auth_server("kiro").await;
        let as_id = id_of(&server);
        for scope in KIRO_SCOPES {
            self.create_scope(&as_id, scope).await;
        }
        let policy_id = self.create_policy(&as_id, "Kiro", &[&app_id]).await;
        let mut scopes = vec!["openid", "profile", "email", "offline_access"];
        scopes.extend(KIRO_SCOPES);
        let rule_id = self
            .create_rule(
                &as_id,
                &policy_id,
                "Kiro rule",
                &["authorization_code", "refresh_token"],
                &scopes,
            )
            .await;
        KiroOrg {
            user_id,
            login: login.to_string(),
            app_id,
            issuer: server["issuer"]
                .as_str()
                .expect("the server has an issuer")
                .to_string(),
            as_id,
            policy_id,
            rule_id,
        }
    }
}

/// What [`Okta::kiro_org`] set up.
#[derive(Clone, Debug)]
pub struct KiroOrg {
    /// The ACTIVE user's id.
    pub user_id: String,
    /// Its login (password [`PASSWORD`]).
    pub login: String,
    /// The native app's id = client id.
    pub app_id: String,
    /// The authorization server's id.
    pub as_id: String,
    /// Its issuer.
    pub issuer: String,
    /// The access policy.
    pub policy_id: String,
    /// The rule.
    pub rule_id: String,
}

/// A rule body for everyone with these grant types, scopes and `actions.token`.
pub fn rule_body(name: &str, grant_types: &[&str], scopes: &[&str], token: Value) -> Value {
    json!({
        "type": "RESOURCE_ACCESS",
        "name": name,
        "priority": 1,
        "conditions": {
            "people": { "users": { "include": [] }, "groups": { "include": ["EVERYONE"] } },
            "grantTypes": { "include": grant_types },
            "scopes": { "include": scopes },
        },
        "actions": { "token": token },
    })
}

/// The `id` of an object.
pub fn id_of(object: &Value) -> String {
    object["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {object}"))
        .to_string()
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
