//! Helpers of the OIDC and sign-in tests (`tests/oidc*.rs`): start an org in-process (virtual
//! clock, port 0), set it up **only through HTTP** (management API and `/_sim` controls), sign
//! users in (`/api/v1/authn` → `sessionToken` → `/authorize` → `/token`), and read JWTs.
//!
//! Each test file uses only part of this module, hence the `dead_code` allowance.
#![allow(dead_code)]

pub use sim_testkit::http::Reply;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mock_okta::{Config, MockOkta};
use reqwest::Method;
use serde_json::{Value, json};
use sim_core::Seed;

/// The password of every test user.
pub const PASSWORD: &str = "Tr0ub4dor&3xQ";
/// The sign-in redirect URI the tests use (one of Kiro's, BEHAVIOURS.md OKTA-APP-2).
pub const REDIRECT: &str = "http://localhost:3128/oauth/callback";
/// Kiro's custom-scheme redirect URI.
pub const KIRO_SCHEME_REDIRECT: &str = "kiro://kiro.oauth/callback";
/// Where `/logout` may send the browser.
pub const LOGOUT_REDIRECT: &str = "http://localhost:3128/signed-out";
/// The access-token audience of the test authorization server.
pub const AUDIENCE: &str = "api://kiro";
/// Kiro's scopes (BEHAVIOURS.md OKTA-AS-2).
pub const KIRO_SCOPES: [&str; 2] = ["codewhisperer:completions", "codewhisperer:conversations"];
/// The scopes the default rule allows.
pub const RULE_SCOPES: [&str; 6] = [
    "openid",
    "profile",
    "email",
    "offline_access",
    "codewhisperer:completions",
    "codewhisperer:conversations",
];
/// A PKCE verifier (RFC 7636 appendix B).
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// The query parameters of a URL.
pub fn query_of(url: &str) -> HashMap<String, String> {
    let url = reqwest::Url::parse(url).expect("an absolute URL");
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// `url` without its query.
pub fn without_query(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

/// A JWT's header and payload, decoded (not verified).
pub fn jwt_parts(token: &str) -> (Value, Value) {
    let mut parts = token.split('.');
    let mut decode = || {
        let part = parts.next().expect("a JWT part");
        let bytes = URL_SAFE_NO_PAD.decode(part).expect("base64url");
        serde_json::from_slice::<Value>(&bytes).expect("JSON")
    };
    let header = decode();
    let payload = decode();
    (header, payload)
}

/// Verifies a JWT's RS256 signature against a JWKS; returns the `kid` of the key that did.
pub fn verify_with_jwks(token: &str, jwks: &Value) -> Option<String> {
    let (header, _) = jwt_parts(token);
    let kid = header["kid"].as_str()?;
    let key = jwks["keys"]
        .as_array()?
        .iter()
        .find(|k| k["kid"] == json!(kid))?;
    let n = URL_SAFE_NO_PAD.decode(key["n"].as_str()?).ok()?;
    let e = URL_SAFE_NO_PAD.decode(key["e"].as_str()?).ok()?;
    let (signed, signature) = token.rsplit_once('.')?;
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    ring::signature::RsaPublicKeyComponents { n: &n, e: &e }
        .verify(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            signed.as_bytes(),
            &signature,
        )
        .ok()
        .map(|()| kid.to_string())
}

/// base64url(left half of SHA-256(token)): the `at_hash` of an ID token.
pub fn at_hash(access_token: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16])
}

/// Seconds since the Unix epoch.
pub fn unix(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// The S256 challenge of a verifier.
pub fn challenge(verifier: &str) -> String {
    mock_okta::core::tokens::s256(verifier)
}

/// A running org and an HTTP client for it (no redirects followed, no cookies).
pub struct Org {
    /// The service.
    pub okta: MockOkta,
    /// The client.
    pub http: reqwest::Client,
}

impl Org {
    /// Starts mock-okta with this seed on a free port.
    pub async fn start(seed: u64) -> Org {
        Org::start_at(seed, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts mock-okta with this seed, its virtual clock starting at the wall clock's now, for
    /// clients that check `exp` against the wall clock (okta-auth-js).
    pub async fn start_now(seed: u64) -> Org {
        let okta = MockOkta::start(Config {
            seed: Seed(seed),
            clock: sim_core::Clock::virtual_at(SystemTime::now()),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..Config::default()
        })
        .await
        .expect("mock-okta starts");
        Org {
            okta,
            http: client(false),
        }
    }

    /// Starts mock-okta with this seed over https with a certificate from `ca` (for
    /// `localhost`, the name its URL uses), its virtual clock starting at the wall clock's now
    /// (`sim_core::clock::wall_epoch`), with a client that trusts `ca` only: what token
    /// verifiers and relying-party libraries need (they refuse plain http and compare `exp`
    /// with the wall clock).
    pub async fn start_tls(seed: u64, ca: &sim_core::tls::WorldCa) -> Org {
        let okta = MockOkta::start(Config {
            seed: Seed(seed),
            clock: sim_core::Clock::new(
                sim_core::ClockMode::Virtual,
                sim_core::clock::wall_epoch(),
            ),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: Some(
                ca.server_config(&["localhost", "127.0.0.1"])
                    .expect("a server certificate"),
            ),
            ..Config::default()
        })
        .await
        .expect("mock-okta starts");
        let http = sim_core::outbound::builder(&sim_core::outbound::Trust::from_ca(Some(ca)))
            .expect("a client builder")
            .build()
            .expect("an HTTP client");
        Org { okta, http }
    }

    /// Starts mock-okta with this seed on `addr`.
    pub async fn start_at(seed: u64, addr: SocketAddr) -> Org {
        let okta = MockOkta::start(Config {
            seed: Seed(seed),
            addr,
            ..Config::default()
        })
        .await
        .expect("mock-okta starts");
        Org {
            okta,
            http: client(false),
        }
    }

    /// The org URL.
    pub fn base(&self) -> String {
        self.okta.url()
    }

    /// An absolute URL for `path`.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else {
            format!("{}{path}", self.base())
        }
    }

    /// Sends a request and reads the whole answer.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        read(request).await
    }

    /// An admin call (`Authorization: SSWS …`) with an optional JSON body.
    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
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

    /// An admin POST that must succeed (200); returns the body.
    pub async fn admin_post(&self, path: &str, body: Value) -> Value {
        let reply = self.admin(Method::POST, path, Some(body)).await;
        assert!(
            reply.status == 200 || reply.status == 201,
            "POST {path}: {reply:?}"
        );
        reply.body
    }

    /// An unauthenticated GET.
    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.http.get(self.url(path))).await
    }

    /// An unauthenticated POST with a JSON body.
    pub async fn post_json(&self, path: &str, body: Value) -> Reply {
        self.send(self.http.post(self.url(path)).json(&body)).await
    }

    /// An unauthenticated form POST.
    pub async fn post_form(&self, path: &str, pairs: &[(&str, &str)]) -> Reply {
        self.send(self.http.post(self.url(path)).form(pairs)).await
    }

    /// Moves the world's clock (`POST /_sim/clock/advance`).
    pub async fn advance(&self, by: &str) {
        self.post_json("/_sim/clock/advance", json!({ "by": by }))
            .await
            .ok();
    }

    /// The world's time (`GET /_sim/clock`).
    pub async fn now(&self) -> SystemTime {
        let reply = self.get("/_sim/clock").await;
        let ms = reply.ok()["unix_ms"].as_u64().expect("unix_ms");
        SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
    }

    /// Requires (or stops requiring) MFA at sign-in (`PUT /_sim/okta/sign-on-policy`).
    pub async fn set_mfa(&self, required: bool) {
        let mfa = if required { "required" } else { "off" };
        self.send(
            self.http
                .put(self.url("/_sim/okta/sign-on-policy"))
                .json(&json!({ "mfa": mfa })),
        )
        .await
        .ok();
    }

    // ---- set-up through the management API ----------------------------------------------

    /// An ACTIVE user with [`PASSWORD`]; returns its id.
    pub async fn create_user(&self, login: &str, first: &str, last: &str) -> String {
        let body = json!({
            "profile": { "firstName": first, "lastName": last, "email": login, "login": login },
            "credentials": { "password": { "value": PASSWORD } },
        });
        id(&self.admin_post("/api/v1/users?activate=true", body).await)
    }

    /// A group; returns its id.
    pub async fn create_group(&self, name: &str) -> String {
        id(&self
            .admin_post("/api/v1/groups", json!({ "profile": { "name": name } }))
            .await)
    }

    /// Adds a user to a group.
    pub async fn add_member(&self, group_id: &str, user_id: &str) {
        let reply = self
            .admin(
                Method::PUT,
                &format!("/api/v1/groups/{group_id}/users/{user_id}"),
                None,
            )
            .await;
        assert!(reply.status == 204 || reply.status == 200, "{reply:?}");
    }

    /// Kiro's native OIDC app (public client, PKCE); returns its client id.
    pub async fn create_app(&self, redirect_uris: &[&str]) -> String {
        let body = json!({
            "name": "oidc_client",
            "label": "Kiro-OIDC",
            "signOnMode": "OPENID_CONNECT",
            "credentials": { "oauthClient": { "token_endpoint_auth_method": "none" } },
            "settings": { "oauthClient": {
                "redirect_uris": redirect_uris,
                "post_logout_redirect_uris": [LOGOUT_REDIRECT],
                "response_types": ["code"],
                "grant_types": ["authorization_code", "refresh_token"],
                "application_type": "native",
            } },
        });
        id(&self.admin_post("/api/v1/apps", body).await)
    }

    /// Assigns a user to an app directly.
    pub async fn assign_user(&self, app_id: &str, user_id: &str) {
        self.admin_post(
            &format!("/api/v1/apps/{app_id}/users"),
            json!({ "id": user_id }),
        )
        .await;
    }

    /// Removes a user's direct assignment.
    pub async fn unassign_user(&self, app_id: &str, user_id: &str) {
        let reply = self
            .admin(
                Method::DELETE,
                &format!("/api/v1/apps/{app_id}/users/{user_id}"),
                None,
            )
            .await;
        assert!(reply.status == 204 || reply.status == 200, "{reply:?}");
    }

    /// Assigns a group to an app.
    pub async fn assign_group(&self, app_id: &str, group_id: &str) {
        let reply = self
            .admin(
                Method::PUT,
                &format!("/api/v1/apps/{app_id}/groups/{group_id}"),
                Some(json!({})),
            )
            .await;
        assert!(reply.status == 200 || reply.status == 204, "{reply:?}");
    }

    /// An authorization server with audience [`AUDIENCE`] and the Kiro scopes; returns its id.
    pub async fn create_auth_server(&self, name: &str) -> String {
        let as_id = id(&self
            .admin_post(
                "/api/v1/authorizationServers",
                json!({ "name": name, "description": name, "audiences": [AUDIENCE] }),
            )
            .await);
        for scope in KIRO_SCOPES {
            self.admin_post(
                &format!("/api/v1/authorizationServers/{as_id}/scopes"),
                json!({ "name": scope, "consent": "IMPLICIT", "metadataPublish": "ALL_CLIENTS" }),
            )
            .await;
        }
        as_id
    }

    /// An access policy for `client_id`; returns its id.
    pub async fn create_policy(&self, as_id: &str, client_id: &str) -> String {
        id(&self
            .admin_post(
                &format!("/api/v1/authorizationServers/{as_id}/policies"),
                json!({
                    "type": "OAUTH_AUTHORIZATION_POLICY",
                    "name": "Kiro policy",
                    "description": "Kiro IDE sign-in",
                    "priority": 1,
                    "conditions": { "clients": { "include": [client_id] } },
                }),
            )
            .await)
    }

    /// A rule for everyone with these grant types, scopes and access-token lifetime.
    pub async fn create_rule(
        &self,
        as_id: &str,
        policy_id: &str,
        grant_types: &[&str],
        scopes: &[&str],
        access_minutes: u32,
    ) -> String {
        id(&self
            .admin_post(
                &format!("/api/v1/authorizationServers/{as_id}/policies/{policy_id}/rules"),
                json!({
                    "type": "RESOURCE_ACCESS",
                    "name": "Kiro rule",
                    "priority": 1,
                    "conditions": {
                        "people": { "groups": { "include": ["EVERYONE"] } },
                        "grantTypes": { "include": grant_types },
                        "scopes": { "include": scopes },
                    },
                    "actions": { "token": {
                        "accessTokenLifetimeMinutes": access_minutes,
                        "refreshTokenLifetimeMinutes": 0,
                        "refreshTokenWindowMinutes": 10080,
                    } },
                }),
            )
            .await)
    }

    /// Rotates the server's signing keys.
    pub async fn rotate_keys(&self, as_id: &str) -> Value {
        self.admin_post(
            &format!("/api/v1/authorizationServers/{as_id}/credentials/lifecycle/keyRotate"),
            json!({ "use": "sig" }),
        )
        .await
    }

    /// A user lifecycle operation (`activate`, `deactivate`, `suspend`, `unsuspend`).
    pub async fn lifecycle(&self, user_id: &str, action: &str) {
        let reply = self
            .admin(
                Method::POST,
                &format!("/api/v1/users/{user_id}/lifecycle/{action}?sendEmail=false"),
                None,
            )
            .await;
        assert!(reply.status == 200 || reply.status == 204, "{reply:?}");
    }

    /// Enrolls and activates a TOTP factor; returns `(factor id, shared secret)`.
    pub async fn enroll_totp(&self, user_id: &str) -> (String, String) {
        let factor = self
            .admin_post(
                &format!("/api/v1/users/{user_id}/factors"),
                json!({ "factorType": "token:software:totp", "provider": "OKTA" }),
            )
            .await;
        let factor_id = id(&factor);
        let secret = factor["_embedded"]["activation"]["sharedSecret"]
            .as_str()
            .expect("sharedSecret")
            .to_string();
        let code = self.totp(&secret).await;
        self.admin_post(
            &format!("/api/v1/users/{user_id}/factors/{factor_id}/lifecycle/activate"),
            json!({ "passCode": code }),
        )
        .await;
        (factor_id, secret)
    }

    /// The TOTP code for `secret` at the world's time.
    pub async fn totp(&self, secret: &str) -> String {
        sim_core::totp::code_at(secret, self.now().await).expect("a base32 secret")
    }
}

/// An HTTP client that never follows redirects, with or without a cookie store.
pub fn client(cookies: bool) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(cookies)
        .build()
        .expect("an HTTP client")
}

pub use sim_testkit::http::read;

/// The `id` of an Okta object.
pub fn id(object: &Value) -> String {
    object["id"]
        .as_str()
        .unwrap_or_else(|| panic!("an object with an id: {object}"))
        .to_string()
}

/// An org set up as Kiro's admin guide says: one user assigned directly to the Kiro OIDC app,
/// an authorization server with the Kiro scopes, a policy for the app, a rule allowing the
/// code and refresh grants for everyone.
pub struct Kiro {
    /// The org.
    pub org: Org,
    /// The authorization server.
    pub as_id: String,
    /// The OIDC app's client id.
    pub client_id: String,
    /// The access policy.
    pub policy_id: String,
    /// The signed-in user's id.
    pub user_id: String,
    /// Their login.
    pub login: String,
}

impl std::ops::Deref for Kiro {
    type Target = Org;

    fn deref(&self) -> &Org {
        &self.org
    }
}

/// A token request's parameters for the code grant.
pub fn code_grant<'a>(client_id: &'a str, code: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("client_id", client_id),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ]
}

impl Kiro {
    /// Sets the org up (seed `seed`) with a rule whose access tokens live 60 minutes.
    pub async fn start(seed: u64) -> Kiro {
        Kiro::start_with(seed, 60).await
    }

    /// Sets the org up with this access-token lifetime.
    pub async fn start_with(seed: u64, access_minutes: u32) -> Kiro {
        let org = Org::start(seed).await;
        Kiro::set_up(org, access_minutes).await
    }

    /// Sets `org` up.
    pub async fn set_up(org: Org, access_minutes: u32) -> Kiro {
        let login = "ada@example.com".to_string();
        let user_id = org.create_user(&login, "Ada", "Lovelace").await;
        let client_id = org.create_app(&[REDIRECT, KIRO_SCHEME_REDIRECT]).await;
        org.assign_user(&client_id, &user_id).await;
        let as_id = org.create_auth_server("Kiro").await;
        let policy_id = org.create_policy(&as_id, &client_id).await;
        org.create_rule(
            &as_id,
            &policy_id,
            &["authorization_code", "refresh_token"],
            &RULE_SCOPES,
            access_minutes,
        )
        .await;
        Kiro {
            org,
            as_id,
            client_id,
            policy_id,
            user_id,
            login,
        }
    }

    /// The issuer, `{org}/oauth2/{as_id}`.
    pub fn issuer(&self) -> String {
        format!("{}/oauth2/{}", self.base(), self.as_id)
    }

    /// An endpoint of the authorization server (`authorize`, `token`, …).
    pub fn endpoint(&self, name: &str) -> String {
        format!("{}/v1/{name}", self.issuer())
    }

    /// `POST /api/v1/authn` with a password.
    pub async fn authn(&self, login: &str, password: &str) -> Reply {
        self.post_json(
            "/api/v1/authn",
            json!({ "username": login, "password": password }),
        )
        .await
    }

    /// A fresh session token for `login` (no MFA).
    pub async fn session_token(&self, login: &str) -> String {
        let reply = self.authn(login, PASSWORD).await;
        assert_eq!(reply.ok()["status"], json!("SUCCESS"), "{reply:?}");
        reply.body["sessionToken"]
            .as_str()
            .expect("sessionToken")
            .to_string()
    }

    /// The authorize URL with Kiro's usual parameters (PKCE with [`VERIFIER`], state `st4te`,
    /// nonce `n0nce`), with `overrides` replacing or adding parameters (an empty value drops
    /// one).
    pub fn authorize_url(&self, scopes: &str, overrides: &[(&str, &str)]) -> String {
        let challenge = challenge(VERIFIER);
        let mut params: Vec<(String, String)> = [
            ("client_id", self.client_id.as_str()),
            ("response_type", "code"),
            ("scope", scopes),
            ("redirect_uri", REDIRECT),
            ("state", "st4te"),
            ("nonce", "n0nce"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in overrides {
            params.retain(|(name, _)| name != k);
            if !v.is_empty() {
                params.push((k.to_string(), v.to_string()));
            }
        }
        let mut url = reqwest::Url::parse(&self.endpoint("authorize")).expect("a URL");
        url.query_pairs_mut().extend_pairs(params);
        url.to_string()
    }

    /// GET the authorize URL (no cookies).
    pub async fn authorize(&self, scopes: &str, overrides: &[(&str, &str)]) -> Reply {
        let url = self.authorize_url(scopes, overrides);
        self.send(self.http.get(url)).await
    }

    /// Signs `login` in headlessly and returns the code `/authorize` redirects with.
    pub async fn code_for(&self, login: &str, scopes: &str) -> String {
        let token = self.session_token(login).await;
        let reply = self.authorize(scopes, &[("sessionToken", &token)]).await;
        let location = reply.location();
        assert_eq!(without_query(&location), REDIRECT, "{reply:?}");
        let query = query_of(&location);
        assert_eq!(query.get("state").map(String::as_str), Some("st4te"));
        query
            .get("code")
            .unwrap_or_else(|| panic!("a code: {location}"))
            .clone()
    }

    /// `POST /v1/token` with a form.
    pub async fn token(&self, pairs: &[(&str, &str)]) -> Reply {
        self.post_form(&self.endpoint("token"), pairs).await
    }

    /// The code grant for `login` with `scopes`; returns the token response.
    pub async fn sign_in(&self, login: &str, scopes: &str) -> Value {
        let code = self.code_for(login, scopes).await;
        let reply = self.token(&code_grant(&self.client_id, &code)).await;
        reply.ok().clone()
    }

    /// The refresh grant.
    pub async fn refresh(&self, refresh_token: &str) -> Reply {
        self.token(&[
            ("grant_type", "refresh_token"),
            ("client_id", &self.client_id),
            ("refresh_token", refresh_token),
        ])
        .await
    }

    /// `POST /v1/introspect` as the app; returns the body.
    pub async fn introspect(&self, token: &str) -> Value {
        let reply = self
            .post_form(
                &self.endpoint("introspect"),
                &[("client_id", &self.client_id), ("token", token)],
            )
            .await;
        reply.ok().clone()
    }

    /// `GET /v1/userinfo` with a bearer token.
    pub async fn userinfo(&self, access_token: &str) -> Reply {
        self.send(
            self.http
                .get(self.endpoint("userinfo"))
                .bearer_auth(access_token),
        )
        .await
    }

    /// `GET /v1/keys`.
    pub async fn jwks(&self) -> Value {
        self.get(&self.endpoint("keys")).await.ok().clone()
    }
}
