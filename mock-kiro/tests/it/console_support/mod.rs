//! Helpers for the console API tests: a world of mock-kiro, a real mock-dns and a test OIDC
//! issuer on one virtual clock; admin calls over HTTP; the DNS provider API; the clock.
//!
//! Each test file uses only part of this module, hence the `dead_code` allowance.
#![allow(dead_code)]

pub use sim_testkit::http::Reply;
use std::time::Duration;

use mock_dns::MockDns;
use mock_kiro::MockKiro;
use reqwest::Method;
use serde_json::{Value, json};
use sim_core::Clock;

use crate::common::TestIssuer;

/// mock-kiro, mock-dns and an issuer sharing one virtual clock.
pub struct World {
    /// The service under test.
    pub kiro: MockKiro,
    /// The DNS provider and server mock-kiro asks.
    pub dns: MockDns,
    /// An issuer whose discovery document checks out.
    pub issuer: TestIssuer,
    /// The shared clock.
    pub clock: Clock,
    /// HTTP client.
    pub http: reqwest::Client,
}

/// A world with DNS propagation delay `propagation` and the default domain check interval
/// (10 minutes).
pub async fn world_with(propagation: Duration) -> World {
    let clock = Clock::new_virtual();
    let dns = MockDns::start(mock_dns::Config {
        clock: clock.clone(),
        propagation_delay: propagation,
        ..mock_dns::Config::default()
    })
    .await
    .expect("mock-dns starts");
    let kiro = MockKiro::start(mock_kiro::Config {
        clock: clock.clone(),
        dns_server: dns.dns_addr(),
        ..mock_kiro::Config::default()
    })
    .await
    .expect("mock-kiro starts");
    World {
        kiro,
        dns,
        issuer: TestIssuer::start().await,
        clock,
        http: reqwest::Client::new(),
    }
}

/// A world with no DNS propagation delay.
pub async fn world() -> World {
    world_with(Duration::ZERO).await
}

async fn send(request: reqwest::RequestBuilder) -> Reply {
    sim_testkit::http::read(request).await
}

impl World {
    /// A console call with the admin token.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let token = self.kiro.admin_token().to_string();
        self.call_as(Some(&token), method, path, body).await
    }

    /// A console call with `token` as bearer (or none).
    pub async fn call_as(
        &self,
        token: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.kiro.url()));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        send(request).await
    }

    /// `GET` with the admin token; the body of a 200.
    pub async fn get(&self, path: &str) -> Value {
        self.call(Method::GET, path, None).await.ok().clone()
    }

    /// Creates a profile on the test issuer; its JSON.
    pub async fn create_profile(&self, name: &str) -> Value {
        let body =
            json!({ "profileName": name, "issuerUrl": self.issuer.issuer, "clientId": "0oakiro" });
        self.call(Method::POST, "/console/profiles", Some(body))
            .await
            .ok()
            .clone()
    }

    /// Generates a SCIM token for a profile; the secret.
    pub async fn scim_token(&self, profile_id: &str) -> String {
        let reply = self
            .call(
                Method::POST,
                &format!("/console/profiles/{profile_id}/scim-tokens"),
                None,
            )
            .await;
        reply.ok()["token"].as_str().expect("token").to_string()
    }

    /// Advances the shared clock through mock-kiro's `/_sim/clock/advance`.
    pub async fn advance(&self, by: &str) {
        let response = self
            .http
            .post(format!("{}/_sim/clock/advance", self.kiro.url()))
            .header("content-type", "application/json")
            .body(json!({ "by": by }).to_string())
            .send()
            .await
            .expect("advance sent");
        assert_eq!(response.status().as_u16(), 200, "advance {by}");
    }

    /// A call to mock-dns's provider API with its token; the `result` of a success.
    pub async fn dns_api(&self, method: Method, path: &str, body: Value) -> Value {
        let reply = send(
            self.http
                .request(method, format!("{}/client/v4{path}", self.dns.api_url()))
                .bearer_auth(self.dns.api_token())
                .json(&body),
        )
        .await;
        assert_eq!(reply.body["success"], json!(true), "{reply:?}");
        reply.body["result"].clone()
    }

    /// Creates a zone in mock-dns; its id.
    pub async fn dns_zone(&self, zone: &str) -> String {
        let result = self
            .dns_api(Method::POST, "/zones", json!({ "name": zone }))
            .await;
        result["id"].as_str().expect("zone id").to_string()
    }

    /// Publishes a TXT record in a zone of mock-dns (visible after the propagation delay).
    pub async fn publish_txt(&self, zone_id: &str, name: &str, content: &str) {
        self.dns_api(
            Method::POST,
            &format!("/zones/{zone_id}/dns_records"),
            json!({ "type": "TXT", "name": name, "content": content, "ttl": 60 }),
        )
        .await;
    }
}

// ---- provisioning through SCIM (as Okta pushes it) ------------------------------------------

/// A profile's SCIM endpoint with one of its tokens.
pub struct Tenant {
    /// `…/{tenant}/scim/v2` (no trailing slash).
    pub base: String,
    /// A SCIM access token of the profile.
    pub token: String,
}

impl World {
    /// A SCIM client for a profile, with a fresh token.
    pub async fn tenant(&self, profile: &Value) -> Tenant {
        let id = profile["profileId"].as_str().expect("profileId");
        Tenant {
            base: profile["scimEndpoint"]
                .as_str()
                .expect("scimEndpoint")
                .trim_end_matches('/')
                .to_string(),
            token: self.scim_token(id).await,
        }
    }

    /// A SCIM call with `token` on a tenant's base URL.
    pub async fn scim(
        &self,
        base: &str,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self
            .http
            .request(method, format!("{base}{path}"))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/scim+json")
                .body(body.to_string());
        }
        send(request).await
    }

    /// Provisions a user (`ada@acme.com` → given name `Ada`, display name `Ada Tester`); its id.
    pub async fn provision_user(&self, t: &Tenant, user_name: &str, external_id: &str) -> String {
        let local = user_name.split('@').next().unwrap_or(user_name);
        let mut given = local.to_string();
        if let Some(first) = given.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        let body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": user_name,
            "externalId": external_id,
            "name": { "givenName": given, "familyName": "Tester" },
            "displayName": format!("{given} Tester"),
            "emails": [{ "value": user_name, "type": "work", "primary": true }],
            "active": true,
        });
        let reply = self
            .scim(&t.base, &t.token, Method::POST, "/Users", Some(body))
            .await;
        assert_eq!(reply.status, 201, "{reply:?}");
        reply.body["id"].as_str().expect("user id").to_string()
    }

    /// Pushes a group with `members`; its id.
    pub async fn provision_group(&self, t: &Tenant, name: &str, members: &[&str]) -> String {
        let members: Vec<Value> = members.iter().map(|m| json!({ "value": m })).collect();
        let body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": name,
            "members": members,
        });
        let reply = self
            .scim(&t.base, &t.token, Method::POST, "/Groups", Some(body))
            .await;
        assert_eq!(reply.status, 201, "{reply:?}");
        reply.body["id"].as_str().expect("group id").to_string()
    }

    /// Pushes a membership change: `op` is `add` or `remove`.
    pub async fn push_membership(&self, t: &Tenant, group: &str, op: &str, user: &str) {
        let operation = match op {
            "add" => json!({ "op": "add", "path": "members", "value": [{ "value": user }] }),
            _ => json!({ "op": "remove", "path": format!("members[value eq \"{user}\"]") }),
        };
        let body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [operation],
        });
        let reply = self
            .scim(
                &t.base,
                &t.token,
                Method::PATCH,
                &format!("/Groups/{group}"),
                Some(body),
            )
            .await;
        assert_eq!(reply.status, 204, "{reply:?}");
    }

    /// Sets mock-kiro's group sync delay to exactly `delay` (`/_sim/kiro/sync-delay`).
    pub async fn set_sync_delay(&self, delay: &str) {
        let reply = send(
            self.http
                .put(format!("{}/_sim/kiro/sync-delay", self.kiro.url()))
                .json(&json!({ "delay": delay })),
        )
        .await;
        assert_eq!(reply.status, 200, "{reply:?}");
    }
}
