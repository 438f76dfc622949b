//! Small typed clients for the admin APIs of the world's services, over their real HTTP APIs:
//! [`OktaAdmin`] (SSWS), [`KiroAdmin`] (console bearer token), [`DnsAdmin`] (Cloudflare-style
//! bearer token), and [`FaultsAdmin`] for any service's fault rules (`/_sim/faults`). Each method is one documented admin action; failures come back as
//! [`ClientError`] with the service's status and error body, so callers can assert on them.

use serde_json::Value;
use sim_api::AdminRequest as _;
use sim_api::{dns, kiro, okta};

/// A refused or failed call.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The service answered with an error status.
    #[error("{method} {path} answered {status}: {body}")]
    Status {
        /// HTTP method.
        method: String,
        /// Path.
        path: String,
        /// Status code.
        status: u16,
        /// Error body (the service's own error format).
        body: Value,
    },
    /// The request did not complete.
    #[error("{method} {path}: {source}")]
    Transport {
        /// HTTP method.
        method: String,
        /// Path.
        path: String,
        /// What went wrong.
        source: reqwest::Error,
    },
    /// A successful answer lacked an expected field.
    #[error("{path}: the answer has no `{field}`")]
    Shape {
        /// Path.
        path: String,
        /// The missing field.
        field: &'static str,
    },
}

/// One service's HTTP API with its authorization header.
#[derive(Clone, Debug)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    authorization: Option<String>,
    /// Sends [`sim_core::http::INTERNAL_HEADER`]: the world's own setup, let through a
    /// sandbox's readiness gate.
    internal: bool,
}

/// A request body for [`Api::send`].
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Body {
    /// No body.
    #[default]
    None,
    /// A JSON body.
    Json(Value),
    /// An `application/x-www-form-urlencoded` body (OAuth endpoints).
    Form(Vec<(String, String)>),
}

/// Any answer of [`Api::send`], error statuses included.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// `Location` header, when there is one (redirects).
    pub location: Option<String>,
    /// The JSON body; `null` when empty, a string when not JSON.
    pub body: Value,
    /// Every response header, by lower-case name (repeated headers joined by `, `).
    pub headers: std::collections::BTreeMap<String, String>,
}

impl Response {
    /// The URL of the `Link` header's `rel="REL"` entry (Okta's paging: `next`).
    pub fn link(&self, rel: &str) -> Option<String> {
        link_rel(self.headers.get("link")?, rel)
    }
}

/// The URL of the `rel="REL"` entry of a `Link` header's value (RFC 8288 entries
/// `<URL>; rel="REL"`, comma-separated; repeated headers joined by `, `). The one reader of
/// Okta's paging links for the export and the scenarios' `$link.REL` (sim-doctor, which
/// sim-world depends on, reads its own).
pub fn link_rel(link: &str, rel: &str) -> Option<String> {
    let wanted = format!("rel=\"{rel}\"");
    link.split(',').find_map(|entry| {
        let (target, params) = entry.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim() == wanted)
            .then(|| target.trim().trim_matches(['<', '>']).to_string())
    })
}

impl Api {
    /// An API at `base` called through `http` (built by [`sim_core::outbound`]: redirects
    /// are answers, not followed) with `authorization` as the full `Authorization` header value
    /// (`None`: no header).
    pub fn new(http: reqwest::Client, base: &str, authorization: Option<String>) -> Api {
        Api {
            http,
            base: base.trim_end_matches('/').to_string(),
            authorization,
            internal: false,
        }
    }

    /// The same API with another `Authorization` header value (`None`: no header).
    pub fn with_authorization(&self, authorization: Option<String>) -> Api {
        Api {
            authorization,
            ..self.clone()
        }
    }

    /// The base URL (no trailing slash).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends any request and returns the answer whatever its status; `path` may also be an
    /// absolute URL. Only transport failures are errors.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Body,
    ) -> Result<Response, ClientError> {
        let url = if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        let mut request = self.http.request(method.clone(), url);
        if let Some(authorization) = &self.authorization {
            request = request.header("Authorization", authorization);
        }
        if self.internal {
            request = request.header(sim_core::http::INTERNAL_HEADER, "1");
        }
        request = match body {
            Body::None => request,
            Body::Json(json) => request.json(&json),
            Body::Form(form) => request.form(&form),
        };
        let transport = |source| ClientError::Transport {
            method: method.to_string(),
            path: path.to_string(),
            source,
        };
        let response = request.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(str::to_string);
        let mut headers = std::collections::BTreeMap::<String, String>::new();
        for (name, value) in response.headers() {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            headers
                .entry(name.as_str().to_string())
                .and_modify(|v| {
                    v.push_str(", ");
                    v.push_str(&value);
                })
                .or_insert(value);
        }
        let text = response.text().await.map_err(transport)?;
        let body = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok(Response {
            status,
            location,
            body,
            headers,
        })
    }

    /// Sends a request; 2xx answers give the JSON body (`null` when empty).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, ClientError> {
        let body = body.map_or(Body::None, Body::Json);
        let response = self.send(method.clone(), path, body).await?;
        if (200..300).contains(&response.status) {
            Ok(response.body)
        } else {
            Err(ClientError::Status {
                method: method.to_string(),
                path: path.to_string(),
                status: response.status,
                body: response.body,
            })
        }
    }

    /// A typed admin action ([`sim_api`]); 2xx answers give the JSON body.
    pub async fn request<R: sim_api::AdminRequest>(
        &self,
        action: &R,
    ) -> Result<Value, ClientError> {
        let request = action.request();
        let method =
            reqwest::Method::from_bytes(request.method.as_bytes()).unwrap_or(reqwest::Method::GET);
        self.call(method, &request.path, request.body).await
    }

    /// GET.
    pub async fn get(&self, path: &str) -> Result<Value, ClientError> {
        self.call(reqwest::Method::GET, path, None).await
    }

    /// POST with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> Result<Value, ClientError> {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    /// PUT with a JSON body.
    pub async fn put(&self, path: &str, body: Value) -> Result<Value, ClientError> {
        self.call(reqwest::Method::PUT, path, Some(body)).await
    }

    /// DELETE.
    pub async fn delete(&self, path: &str) -> Result<Value, ClientError> {
        self.call(reqwest::Method::DELETE, path, None).await
    }
}

pub(crate) fn field(value: &Value, name: &'static str, path: &str) -> Result<String, ClientError> {
    value
        .get(name)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| ClientError::Shape {
            path: path.to_string(),
            field: name,
        })
}

/// mock-okta's management API.
#[derive(Clone, Debug)]
pub struct OktaAdmin {
    /// The raw API, for calls without a typed method.
    pub api: Api,
}

/// An authorization server as created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthServer {
    /// `aus…` id.
    pub id: String,
    /// Its issuer URI.
    pub issuer: String,
}

impl OktaAdmin {
    /// Creates and activates a user with a password; returns the user id.
    pub async fn create_user(
        &self,
        login: &str,
        first: &str,
        last: &str,
        password: &str,
    ) -> Result<String, ClientError> {
        let user = self
            .api
            .request(&okta::CreateUser {
                login: login.into(),
                first: first.into(),
                last: last.into(),
                password: Some(password.into()),
                activate: None,
                email: None,
            })
            .await?;
        field(&user, "id", "/api/v1/users")
    }

    /// Creates a group; returns its id.
    pub async fn create_group(&self, name: &str) -> Result<String, ClientError> {
        let group = self
            .api
            .request(&okta::CreateGroup {
                name: name.into(),
                description: None,
            })
            .await?;
        field(&group, "id", "/api/v1/groups")
    }

    /// Adds a user to a group.
    pub async fn add_member(&self, group_id: &str, user_id: &str) -> Result<(), ClientError> {
        self.api
            .request(&okta::AddMember {
                group: group_id.into(),
                user: user_id.into(),
            })
            .await
            .map(drop)
    }

    /// Creates the Kiro-OIDC native app (refresh-token grant, the Kiro redirect URIs);
    /// returns its client id.
    pub async fn create_kiro_oidc_app(&self, label: &str) -> Result<String, ClientError> {
        let app = self
            .api
            .request(&okta::CreateOidcApp {
                label: label.into(),
                refresh_token: None,
                redirect_uris: None,
            })
            .await?;
        field(&app, "id", "/api/v1/apps")
    }

    /// Assigns a user to an app.
    pub async fn assign_user(&self, app_id: &str, user_id: &str) -> Result<(), ClientError> {
        self.api
            .request(&okta::AssignUser {
                app: app_id.into(),
                user: user_id.into(),
            })
            .await
            .map(drop)
    }

    /// Assigns a group to an app.
    pub async fn assign_group(&self, app_id: &str, group_id: &str) -> Result<(), ClientError> {
        self.api
            .request(&okta::AssignGroup {
                app: app_id.into(),
                group: group_id.into(),
            })
            .await
            .map(drop)
    }

    /// Creates an authorization server.
    pub async fn create_auth_server(
        &self,
        name: &str,
        audience: &str,
    ) -> Result<AuthServer, ClientError> {
        let path = "/api/v1/authorizationServers";
        let server = self
            .api
            .request(&okta::CreateAuthServer {
                name: name.into(),
                audience: Some(audience.into()),
            })
            .await?;
        Ok(AuthServer {
            id: field(&server, "id", path)?,
            issuer: field(&server, "issuer", path)?,
        })
    }

    /// Adds a scope with implicit consent (OKTA-AS-2).
    pub async fn add_scope(
        &self,
        as_id: &str,
        name: &str,
        description: &str,
    ) -> Result<(), ClientError> {
        // The scope action's body, with a description of its own.
        let body = okta::ScopeBody {
            name: Some(name.into()),
            description: Some(description.into()),
            consent: Some("IMPLICIT".into()),
            metadata_publish: Some("ALL_CLIENTS".into()),
            ..okta::ScopeBody::default()
        };
        self.api
            .post(
                &format!("/api/v1/authorizationServers/{as_id}/scopes"),
                serde_json::to_value(&body).unwrap_or_default(),
            )
            .await
            .map(drop)
    }

    /// Creates an access policy for `client_ids` with one rule allowing `grant_types` and
    /// `scopes` to everyone; returns the policy id.
    pub async fn create_policy_with_rule(
        &self,
        as_id: &str,
        name: &str,
        client_ids: &[&str],
        grant_types: &[&str],
        scopes: &[&str],
    ) -> Result<String, ClientError> {
        let owned = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let create = okta::CreatePolicy {
            server: as_id.into(),
            name: name.into(),
            clients: owned(client_ids),
            priority: None,
        };
        let policy = self.api.request(&create).await?;
        let policy_id = field(&policy, "id", &create.request().path)?;
        self.api
            .request(&okta::AddRule {
                server: as_id.into(),
                policy: policy_id.clone(),
                name: format!("{name} rule"),
                scopes: owned(scopes),
                grant_types: Some(owned(grant_types)),
                groups: None,
                access_token_minutes: None,
                refresh_token_minutes: None,
            })
            .await?;
        Ok(policy_id)
    }

    /// Deactivates a user.
    pub async fn deactivate_user(&self, user_id: &str) -> Result<(), ClientError> {
        self.api
            .request(&okta::DeactivateUser {
                user: user_id.into(),
            })
            .await
            .map(drop)
    }
}

/// mock-kiro's console API.
#[derive(Clone, Debug)]
pub struct KiroAdmin {
    /// The raw API, for calls without a typed method.
    pub api: Api,
}

/// A Kiro profile as created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KiroProfile {
    /// Profile id.
    pub id: String,
    /// Profile ARN.
    pub arn: String,
    /// The SCIM endpoint to give Okta.
    pub scim_endpoint: String,
}

impl KiroAdmin {
    /// "Connect an existing external identity provider" (KIRO-PRO-1).
    pub async fn create_profile(
        &self,
        name: &str,
        issuer: &str,
        client_id: &str,
    ) -> Result<KiroProfile, ClientError> {
        let path = "/console/profiles";
        let p = self
            .api
            .request(&kiro::CreateProfile {
                name: name.into(),
                issuer: issuer.into(),
                client_id: client_id.into(),
            })
            .await?;
        Ok(KiroProfile {
            id: field(&p, "profileId", path)?,
            arn: field(&p, "profileArn", path)?,
            scim_endpoint: field(&p, "scimEndpoint", path)?,
        })
    }

    /// Adds a domain; returns the TXT record's (name, value) to publish (KIRO-DOM-1).
    pub async fn add_domain(
        &self,
        profile_id: &str,
        domain: &str,
    ) -> Result<(String, String), ClientError> {
        let action = kiro::AddDomain {
            profile: profile_id.into(),
            domain: domain.into(),
        };
        let d = self.api.request(&action).await?;
        let path = action.request().path;
        let record = d.get("verificationRecord").cloned().unwrap_or(Value::Null);
        Ok((
            field(&record, "name", &path)?,
            field(&record, "value", &path)?,
        ))
    }

    /// Checks a domain against DNS now; returns its status (KIRO-DOM-2).
    pub async fn verify_domain(
        &self,
        profile_id: &str,
        domain: &str,
    ) -> Result<String, ClientError> {
        let action = kiro::VerifyDomain {
            profile: profile_id.into(),
            domain: domain.into(),
        };
        let d = self.api.request(&action).await?;
        field(&d, "status", &action.request().path)
    }

    /// Generates a SCIM access token; returns the secret, shown once (KIRO-TOK-1).
    pub async fn create_scim_token(&self, profile_id: &str) -> Result<String, ClientError> {
        let action = kiro::CreateScimToken {
            profile: profile_id.into(),
        };
        let t = self.api.request(&action).await?;
        field(&t, "token", &action.request().path)
    }

    /// Subscribes a user or group (`principal_type` `"GROUP"`, else a user) to a tier
    /// (`"PRO"`, `"PRO_PLUS"`, `"POWER"`).
    pub async fn subscribe(
        &self,
        profile_id: &str,
        principal_type: &str,
        principal_id: &str,
        tier: &str,
    ) -> Result<Value, ClientError> {
        let group = principal_type == "GROUP";
        self.api
            .request(&kiro::Subscribe {
                profile: profile_id.into(),
                tier: tier.into(),
                user: (!group).then(|| principal_id.into()),
                group: group.then(|| principal_id.into()),
            })
            .await
    }
}

/// mock-dns's provider API.
#[derive(Clone, Debug)]
pub struct DnsAdmin {
    /// The raw API, for calls without a typed method.
    pub api: Api,
}

impl DnsAdmin {
    /// The id of the zone `name`, creating the zone if it does not exist.
    pub async fn zone(&self, name: &str) -> Result<String, ClientError> {
        let zones = self
            .api
            .request(&dns::FindZone { name: name.into() })
            .await?;
        if let Some(id) = zones["result"]
            .as_array()
            .and_then(|z| z.first())
            .and_then(|z| z["id"].as_str())
        {
            return Ok(id.to_string());
        }
        let created = self
            .api
            .request(&dns::CreateZone { name: name.into() })
            .await?;
        field(&created["result"], "id", "/client/v4/zones")
    }

    /// Publishes a TXT record (DNS-1); returns the record id.
    pub async fn create_txt(
        &self,
        zone_id: &str,
        name: &str,
        content: &str,
    ) -> Result<String, ClientError> {
        let action = dns::CreateRecord::txt(zone_id, name, content);
        let record = self.api.request(&action).await?;
        field(&record["result"], "id", &action.request().path)
    }
}

/// One service's fault rules (`/_sim/faults`, SIM-FAULT-1): no credential needed.
#[derive(Clone, Debug)]
pub struct FaultsAdmin {
    api: Api,
}

impl FaultsAdmin {
    /// Adds a rule; the service's view of it (its id, `remaining`, `hits`).
    pub async fn add(
        &self,
        rule: &sim_core::faults::FaultRule,
    ) -> Result<sim_core::faults::FaultView, ClientError> {
        let body = serde_json::to_value(rule).unwrap_or_default();
        let created = self.api.post("/_sim/faults", body).await?;
        typed(created, "/_sim/faults")
    }

    /// The service's rules.
    pub async fn list(&self) -> Result<sim_core::faults::FaultList, ClientError> {
        typed(self.api.get("/_sim/faults").await?, "/_sim/faults")
    }

    /// Removes rule `id` (an error with status 404 if there is none).
    pub async fn remove(&self, id: &str) -> Result<(), ClientError> {
        self.api.delete(&format!("/_sim/faults/{id}")).await?;
        Ok(())
    }

    /// Removes every rule; how many there were.
    pub async fn clear(&self) -> Result<u64, ClientError> {
        let answer = self.api.delete("/_sim/faults").await?;
        answer["removed"].as_u64().ok_or(ClientError::Shape {
            path: "/_sim/faults".to_string(),
            field: "removed",
        })
    }
}

fn typed<T: serde::de::DeserializeOwned>(value: Value, path: &str) -> Result<T, ClientError> {
    serde_json::from_value(value).map_err(|_| ClientError::Shape {
        path: path.to_string(),
        field: "a fault rule",
    })
}

impl Api {
    /// This service's fault rules.
    pub fn faults(&self) -> FaultsAdmin {
        FaultsAdmin {
            api: self.with_authorization(None),
        }
    }
}

/// The three admin clients of a world.
#[derive(Clone, Debug)]
pub struct Clients {
    /// Okta's management API.
    pub okta: OktaAdmin,
    /// Kiro's console API.
    pub kiro: KiroAdmin,
    /// The DNS provider API.
    pub dns: DnsAdmin,
}

impl Clients {
    /// Clients for services at these URLs with these credentials, trusting `trust` for https
    /// (the world CA of a `--tls` world); one HTTP client is shared by the three.
    pub fn new(
        okta_url: &str,
        okta_token: &str,
        kiro_url: &str,
        kiro_token: &str,
        dns_url: &str,
        dns_token: &str,
        trust: &sim_core::outbound::Trust,
    ) -> Result<Clients, sim_core::outbound::OutboundError> {
        let http = sim_core::outbound::client(trust)?;
        Ok(Clients {
            okta: OktaAdmin {
                api: Api::new(http.clone(), okta_url, Some(format!("SSWS {okta_token}"))),
            },
            kiro: KiroAdmin {
                api: Api::new(http.clone(), kiro_url, Some(format!("Bearer {kiro_token}"))),
            },
            dns: DnsAdmin {
                api: Api::new(http, dns_url, Some(format!("Bearer {dns_token}"))),
            },
        })
    }

    /// The same clients marked as the world's own (they send
    /// [`sim_core::http::INTERNAL_HEADER`]), for a setup applied while a sandbox holds every
    /// other request until it is ready.
    pub fn internal(mut self) -> Clients {
        for api in [&mut self.okta.api, &mut self.kiro.api, &mut self.dns.api] {
            api.internal = true;
        }
        self
    }
}
