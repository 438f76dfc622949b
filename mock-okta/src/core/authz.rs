//! Custom authorization servers (BEHAVIOURS.md OKTA-AS-1..3, OKTA-AS-7): scopes, claims, access
//! policies with rules, policy evaluation, and signing keys with rotation.
//!
//! Evaluation follows Okta: the first active policy (by priority) that includes the client is
//! the one evaluated; within it, the first active rule (by priority) that matches the grant
//! type, the user (directly or through a group, or `EVERYONE`) and *all* requested scopes
//! decides, and sets the token lifetimes. No such policy or rule: `access_denied`.

use std::time::{Duration, SystemTime};

use sim_core::ids::OktaKind;
use sim_core::keys::SigningKey;

use super::log::{Actor, Outcome, Target};
use super::{OAuthError, OktaError, Org};

/// The scopes every authorization server has.
pub const SYSTEM_SCOPES: [&str; 7] = [
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "offline_access",
    "device_sso",
];

/// The management API's OAuth scopes the org authorization server grants to service apps
/// (OKTA-API-10): `read` for GET, `manage` for changes; `okta.users.read.self` is the one a
/// user's sign-in may get (for `/api/v1/users/me`, OKTA-API-11).
/// The profile-mapping scopes come last: the org server draws its scope ids in this order from
/// its own stream, so the ids of the others stay what they were.
pub const OKTA_SCOPES: [&str; 12] = [
    "okta.users.read",
    "okta.users.read.self",
    "okta.users.manage",
    "okta.groups.read",
    "okta.groups.manage",
    "okta.apps.read",
    "okta.apps.manage",
    "okta.authorizationServers.read",
    "okta.authorizationServers.manage",
    "okta.logs.read",
    "okta.profileMappings.read",
    "okta.profileMappings.manage",
];

/// Okta's text for a request no policy rule allows.
pub const POLICY_FAILED: &str =
    "Policy evaluation failed for this request, please check the policy configurations.";
/// Okta's text for a scope the server does not define.
pub const UNKNOWN_SCOPE: &str =
    "One or more scopes are not configured for the authorization server resource.";

/// A scope of an authorization server.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Scope {
    /// `scp…` id.
    pub id: String,
    /// Name, e.g. `codewhisperer:completions`.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Display name shown on consent.
    pub display_name: Option<String>,
    /// `IMPLICIT` (Kiro's scopes, OKTA-AS-2) or `REQUIRED`.
    pub consent: String,
    /// `ALL_CLIENTS` or `NO_CLIENTS` (whether discovery lists it).
    pub metadata_publish: String,
    /// Granted when a client asks for no scope.
    pub default: bool,
    /// Built in (`openid`, …).
    pub system: bool,
}

/// A custom claim.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Claim {
    /// `ocl…` id.
    pub id: String,
    /// Claim name in the token.
    pub name: String,
    /// `RESOURCE` (access token) or `IDENTITY` (ID token).
    pub claim_type: String,
    /// `EXPRESSION` (`user.<attribute>` or a quoted string) or `GROUPS` (a group-name prefix).
    pub value_type: String,
    /// The expression.
    pub value: String,
    /// Included only when one of these scopes is granted (empty: always).
    pub scopes: Vec<String>,
    /// Included even without a matching scope.
    pub always_include_in_token: bool,
    /// Active.
    pub active: bool,
}

/// A rule of an access policy.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rule {
    /// `0pr…` id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Active.
    pub active: bool,
    /// Priority: 1 is evaluated first.
    pub priority: u32,
    /// Grant types the rule allows.
    pub grant_types: Vec<String>,
    /// Scopes the rule allows; `*` is any.
    pub scopes: Vec<String>,
    /// Users included directly.
    pub users_include: Vec<String>,
    /// Groups included; `EVERYONE` is everyone.
    pub groups_include: Vec<String>,
    /// Access-token lifetime (5..=1440 minutes, default 60).
    pub access_token_lifetime_minutes: u32,
    /// Refresh-token lifetime; 0 is unlimited (the default).
    pub refresh_token_lifetime_minutes: u32,
    /// Refresh token expires if unused this long (default 7 days).
    pub refresh_token_window_minutes: u32,
    /// When created.
    pub created: SystemTime,
    /// When last changed.
    pub last_updated: SystemTime,
}

/// What creating or replacing a rule takes; `None` means Okta's default.
#[derive(Clone, Debug, Default)]
pub struct NewRule {
    /// Name (required).
    pub name: String,
    /// Priority (default: last).
    pub priority: Option<u32>,
    /// Active (default true).
    pub active: Option<bool>,
    /// Grant types (required, non-empty).
    pub grant_types: Vec<String>,
    /// Scopes (default `*`).
    pub scopes: Vec<String>,
    /// Users included.
    pub users_include: Vec<String>,
    /// Groups included (default `EVERYONE` when no users are given either).
    pub groups_include: Vec<String>,
    /// Minutes.
    pub access_token_lifetime_minutes: Option<u32>,
    /// Minutes; 0 unlimited.
    pub refresh_token_lifetime_minutes: Option<u32>,
    /// Minutes.
    pub refresh_token_window_minutes: Option<u32>,
}

/// An access policy.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Policy {
    /// `00p…` id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Active.
    pub active: bool,
    /// Priority: 1 first.
    pub priority: u32,
    /// Client ids it applies to, or `ALL_CLIENTS`.
    pub clients: Vec<String>,
    /// Its rules.
    pub rules: Vec<Rule>,
    /// When created.
    pub created: SystemTime,
    /// When last changed.
    pub last_updated: SystemTime,
}

/// A signing key's place in rotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum KeyStatus {
    /// Signs new tokens.
    Active,
    /// Will sign after the next rotation; already published.
    Next,
    /// Signed before the last rotation; still published so its tokens verify.
    Expired,
}

impl KeyStatus {
    /// As Okta spells it.
    pub fn as_str(&self) -> &'static str {
        match self {
            KeyStatus::Active => "ACTIVE",
            KeyStatus::Next => "NEXT",
            KeyStatus::Expired => "EXPIRED",
        }
    }
}

/// A key of an authorization server.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ServerKey {
    /// The key.
    pub key: SigningKey,
    /// Its status.
    pub status: KeyStatus,
}

/// A custom authorization server.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct AuthServer {
    /// `aus…` id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Audiences; the first is the access token's `aud`.
    pub audiences: Vec<String>,
    /// Active.
    pub active: bool,
    /// When created.
    pub created: SystemTime,
    /// When last changed.
    pub last_updated: SystemTime,
    /// When keys last rotated.
    pub last_rotated: SystemTime,
    /// Scopes (system scopes first).
    pub scopes: Vec<Scope>,
    /// Custom claims.
    pub claims: Vec<Claim>,
    /// Access policies.
    pub policies: Vec<Policy>,
    /// Keys: one ACTIVE, one NEXT, the last EXPIRED.
    pub keys: Vec<ServerKey>,
}

impl AuthServer {
    /// The key that signs new tokens.
    pub fn active_key(&self) -> Option<&SigningKey> {
        self.keys
            .iter()
            .find(|k| k.status == KeyStatus::Active)
            .map(|k| &k.key)
    }

    /// A published key by `kid`.
    pub fn key(&self, kid: &str) -> Option<&SigningKey> {
        self.keys
            .iter()
            .find(|k| k.key.kid() == kid)
            .map(|k| &k.key)
    }
}

/// What evaluation granted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The matching policy.
    pub policy_id: String,
    /// The matching rule.
    pub rule_id: String,
    /// Access-token lifetime.
    pub access_ttl: Duration,
    /// Refresh-token lifetime (`None`: unlimited).
    pub refresh_ttl: Option<Duration>,
    /// Refresh-token idle window.
    pub refresh_window: Duration,
    /// Whether the rule allows the refresh_token grant (so a refresh token may be issued).
    pub allows_refresh: bool,
}

/// The grants through which a client acting for a user gets tokens, and with them (when
/// `offline_access` is granted and the app has the refresh-token grant) a refresh token.
const USER_GRANTS: [&str; 3] = [
    "authorization_code",
    "password",
    "urn:ietf:params:oauth:grant-type:device_code",
];

/// Whether a rule allowing `rule_grants` matches a request with `grant_type`.
///
/// The Admin Console's rule form has no "Refresh Token" box: a rule made with its defaults
/// ("Client Credentials" and "Authorization Code", which the guide says to leave) stores
/// `["client_credentials", "authorization_code"]`, and Okta still issues refresh tokens under it
/// and lets them be used. So a refresh request matches a rule naming `refresh_token` or any of
/// the user grants that issue refresh tokens (OKTA-AS-8).
pub fn rule_allows_grant(rule_grants: &[String], grant_type: &str) -> bool {
    rule_grants.iter().any(|g| {
        g == grant_type || (grant_type == "refresh_token" && USER_GRANTS.contains(&g.as_str()))
    })
}

/// Why evaluation failed, for the System Log and Token Preview.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Denial {
    /// A requested scope is not defined on the server.
    UnknownScope(String),
    /// No active policy includes the client.
    NoMatchingPolicy,
    /// The policy has no rule for this grant, user and scopes.
    NoMatchingRule,
}

impl Denial {
    /// The OAuth error a client sees.
    pub fn oauth_error(&self) -> OAuthError {
        match self {
            Denial::UnknownScope(_) => OAuthError::new("invalid_scope", UNKNOWN_SCOPE),
            Denial::NoMatchingPolicy | Denial::NoMatchingRule => {
                OAuthError::new("access_denied", POLICY_FAILED)
            }
        }
    }

    /// Token Preview's name for it.
    pub fn code(&self) -> &'static str {
        match self {
            Denial::UnknownScope(_) => "invalid_scope",
            Denial::NoMatchingPolicy => "no_matching_policy",
            Denial::NoMatchingRule => "no_matching_rule",
        }
    }
}

const MINUTES_5Y: u32 = 5 * 365 * 24 * 60;

/// The id of the custom authorization server every org ships with (OKTA-AS-9).
pub const DEFAULT_SERVER_ID: &str = "default";

/// The grant types of the "Default Policy Rule" of the `default` server as a new org has it.
const DEFAULT_RULE_GRANTS: [&str; 5] = [
    "client_credentials",
    "authorization_code",
    "urn:ietf:params:oauth:grant-type:device_code",
    "implicit",
    "password",
];

/// The internal id of the org authorization server (OKTA-AS-10): not an id any URL or the
/// management API can name (its routes are `{org}/oauth2/v1/…`, and it is not listed).
pub const ORG_SERVER_ID: &str = "@org";

/// The org authorization server (OKTA-AS-10): issuer the org URL, audience the org URL, the
/// system scopes, no access policies (it grants OIDC scopes to any assigned user). Like the
/// `default` server it draws nothing from the seed's streams: its scope ids come from `ids`,
/// and its keys are the `default` server's two taken the other way round (sim choice).
pub(crate) fn org_server(
    now: SystemTime,
    ids: &mut sim_core::seed::SimRng,
    key_pool: &[SigningKey],
) -> AuthServer {
    let mut server = default_server(now, ids, key_pool);
    server.id = ORG_SERVER_ID.into();
    server.name = "Okta".into();
    server.description = Some("The org authorization server".into());
    server.audiences = Vec::new();
    server.policies = Vec::new();
    for name in OKTA_SCOPES {
        server.scopes.push(Scope {
            id: sim_core::ids::okta_id(ids, OktaKind::Scope),
            name: name.to_string(),
            description: None,
            display_name: None,
            consent: "ADMIN".into(),
            metadata_publish: "ALL_CLIENTS".into(),
            default: false,
            system: true,
        });
    }
    for key in &mut server.keys {
        key.status = match key.status {
            KeyStatus::Active => KeyStatus::Next,
            _ => KeyStatus::Active,
        };
    }
    server.keys.reverse();
    server
}

/// The `default` custom authorization server of a new org (OKTA-AS-9): id `default`, name
/// "default", audience `api://default`, the system scopes, and the "Default Policy" for
/// `ALL_CLIENTS` with its "Default Policy Rule" (everyone, every scope, the rule defaults).
///
/// Nothing here draws from the org's seed streams, so adding it leaves every other id, key and
/// token of a seed unchanged: its scope, policy and rule ids come from `ids` (the caller's own
/// stream), and its keys are the last two of the pool taken without advancing the rotation
/// order (sim choice; with four dev keys, the second server created shares them).
pub(crate) fn default_server(
    now: SystemTime,
    ids: &mut sim_core::seed::SimRng,
    key_pool: &[SigningKey],
) -> AuthServer {
    let mut id = |kind| sim_core::ids::okta_id(ids, kind);
    let scopes = SYSTEM_SCOPES
        .iter()
        .map(|s| Scope {
            id: id(OktaKind::Scope),
            name: (*s).to_string(),
            description: None,
            display_name: None,
            consent: "IMPLICIT".into(),
            metadata_publish: "ALL_CLIENTS".into(),
            default: false,
            system: true,
        })
        .collect();
    let rule = Rule {
        id: id(OktaKind::PolicyRule),
        name: "Default Policy Rule".into(),
        active: true,
        priority: 1,
        grant_types: DEFAULT_RULE_GRANTS.iter().map(|g| g.to_string()).collect(),
        scopes: vec!["*".into()],
        users_include: Vec::new(),
        groups_include: vec!["EVERYONE".into()],
        access_token_lifetime_minutes: 60,
        refresh_token_lifetime_minutes: 0,
        refresh_token_window_minutes: 7 * 24 * 60,
        created: now,
        last_updated: now,
    };
    let policy = Policy {
        id: id(OktaKind::Policy),
        name: "Default Policy".into(),
        description: Some("Default policy description".into()),
        active: true,
        priority: 1,
        clients: vec!["ALL_CLIENTS".into()],
        rules: vec![rule],
        created: now,
        last_updated: now,
    };
    let n = key_pool.len();
    let keys = [(1, KeyStatus::Active), (2, KeyStatus::Next)]
        .into_iter()
        .filter(|(back, _)| *back <= n)
        .map(|(back, status)| ServerKey {
            key: key_pool[n - back].clone(),
            status,
        })
        .collect();
    AuthServer {
        id: DEFAULT_SERVER_ID.into(),
        name: "default".into(),
        description: Some("Default Authorization Server for your Applications".into()),
        audiences: vec!["api://default".into()],
        active: true,
        created: now,
        last_updated: now,
        last_rotated: now,
        scopes,
        claims: Vec::new(),
        policies: vec![policy],
        keys,
    }
}

impl Org {
    /// Creates an authorization server with the system scopes and two keys (ACTIVE, NEXT).
    pub fn create_auth_server(
        &mut self,
        now: SystemTime,
        name: &str,
        description: Option<String>,
        audiences: Vec<String>,
    ) -> Result<AuthServer, OktaError> {
        let mut causes = Vec::new();
        if name.trim().is_empty() {
            causes.push("name: The field cannot be left blank".to_string());
        }
        if audiences.is_empty() || audiences.iter().any(|a| a.trim().is_empty()) {
            causes.push("audiences: The field cannot be left blank".to_string());
        }
        if self
            .auth_servers
            .iter()
            .any(|a| a.name.eq_ignore_ascii_case(name.trim()))
        {
            causes.push("name: An authorization server with this name already exists".into());
        }
        if !causes.is_empty() {
            return Err(OktaError::Validation {
                summary: "authorizationServer".into(),
                causes,
            });
        }
        let id = self.new_id(OktaKind::AuthServer);
        let scopes = SYSTEM_SCOPES
            .iter()
            .map(|s| Scope {
                id: self.new_id(OktaKind::Scope),
                name: (*s).to_string(),
                description: None,
                display_name: None,
                consent: "IMPLICIT".into(),
                metadata_publish: "ALL_CLIENTS".into(),
                default: false,
                system: true,
            })
            .collect();
        let keys = vec![
            ServerKey {
                key: self.take_key()?,
                status: KeyStatus::Active,
            },
            ServerKey {
                key: self.take_key()?,
                status: KeyStatus::Next,
            },
        ];
        let server = AuthServer {
            id,
            name: name.trim().to_string(),
            description,
            audiences,
            active: true,
            created: now,
            last_updated: now,
            last_rotated: now,
            scopes,
            claims: Vec::new(),
            policies: Vec::new(),
            keys,
        };
        self.auth_servers.push(server.clone());
        self.log_as(
            now,
            "oauth2.as.created",
            "Create authorization server",
            &server,
        );
        Ok(server)
    }

    fn take_key(&mut self) -> Result<SigningKey, OktaError> {
        if self.key_pool.is_empty() {
            return Err(OktaError::validation(
                "credentials",
                "credentials: no signing keys available",
            ));
        }
        let key = self.key_pool[self.next_key % self.key_pool.len()].clone();
        self.next_key += 1;
        Ok(key)
    }

    /// A custom authorization server by id (the management API's view: the org server is not
    /// one of them).
    pub fn auth_server(&self, id: &str) -> Result<&AuthServer, OktaError> {
        self.auth_servers
            .iter()
            .find(|a| a.id == id)
            .ok_or_else(|| OktaError::not_found("AuthorizationServer", id))
    }

    /// Any authorization server that issues tokens, the org server ([`ORG_SERVER_ID`])
    /// included.
    pub fn token_server(&self, id: &str) -> Result<&AuthServer, OktaError> {
        if id == ORG_SERVER_ID {
            return Ok(&self.org_server);
        }
        self.auth_server(id)
    }

    pub(crate) fn auth_server_mut(&mut self, id: &str) -> Result<&mut AuthServer, OktaError> {
        self.auth_servers
            .iter_mut()
            .find(|a| a.id == id)
            .ok_or_else(|| OktaError::not_found("AuthorizationServer", id))
    }

    /// All authorization servers.
    pub fn auth_servers(&self) -> &[AuthServer] {
        &self.auth_servers
    }

    /// `{org}/oauth2/{id}`, or the org URL for the org server: exactly the `iss` of its
    /// tokens (no trailing slash).
    pub fn issuer(&self, as_id: &str) -> String {
        if as_id == ORG_SERVER_ID {
            return self.org_url.clone();
        }
        format!("{}/oauth2/{as_id}", self.org_url)
    }

    /// Where a server's `/v1/…` endpoints live: its issuer, or `{org}/oauth2` for the org
    /// server.
    pub fn endpoint_base(&self, as_id: &str) -> String {
        if as_id == ORG_SERVER_ID {
            return format!("{}/oauth2", self.org_url);
        }
        self.issuer(as_id)
    }

    /// Updates name, description and audiences.
    pub fn update_auth_server(
        &mut self,
        now: SystemTime,
        id: &str,
        name: &str,
        description: Option<String>,
        audiences: Vec<String>,
    ) -> Result<AuthServer, OktaError> {
        if name.trim().is_empty() || audiences.is_empty() {
            return Err(OktaError::validation(
                "authorizationServer",
                "name and audiences: The field cannot be left blank",
            ));
        }
        let server = self.auth_server_mut(id)?;
        server.name = name.trim().to_string();
        server.description = description;
        server.audiences = audiences;
        server.last_updated = now;
        let server = server.clone();
        self.log_as(
            now,
            "oauth2.as.updated",
            "Update authorization server",
            &server,
        );
        Ok(server)
    }

    /// Activates or deactivates a server (an inactive server issues nothing).
    pub fn set_auth_server_active(
        &mut self,
        now: SystemTime,
        id: &str,
        active: bool,
    ) -> Result<AuthServer, OktaError> {
        let server = self.auth_server_mut(id)?;
        server.active = active;
        server.last_updated = now;
        let server = server.clone();
        let (e, m) = if active {
            ("oauth2.as.activated", "Activate authorization server")
        } else {
            ("oauth2.as.deactivated", "Deactivate authorization server")
        };
        self.log_as(now, e, m, &server);
        Ok(server)
    }

    /// Deletes an inactive server.
    pub fn delete_auth_server(&mut self, now: SystemTime, id: &str) -> Result<(), OktaError> {
        let server = self.auth_server(id)?.clone();
        if server.active {
            return Err(OktaError::validation(
                "status",
                "status: Authorization server must be deactivated before deletion",
            ));
        }
        self.auth_servers.retain(|a| a.id != id);
        self.log_as(
            now,
            "oauth2.as.deleted",
            "Delete authorization server",
            &server,
        );
        Ok(())
    }

    /// Rotates keys (OKTA-AS-7): NEXT becomes ACTIVE, ACTIVE becomes EXPIRED (still
    /// published, so tokens it signed verify), older EXPIRED keys go, a new NEXT comes in.
    pub fn rotate_keys(&mut self, now: SystemTime, id: &str) -> Result<AuthServer, OktaError> {
        self.auth_server(id)?;
        let next = self.take_key()?;
        let server = self.auth_server_mut(id)?;
        server.keys.retain(|k| k.status != KeyStatus::Expired);
        for key in &mut server.keys {
            key.status = match key.status {
                KeyStatus::Active => KeyStatus::Expired,
                _ => KeyStatus::Active,
            };
        }
        server.keys.push(ServerKey {
            key: next,
            status: KeyStatus::Next,
        });
        server.last_rotated = now;
        let server = server.clone();
        self.log_as(
            now,
            "oauth2.as.key.rollover",
            "Authorization server key rollover",
            &server,
        );
        Ok(server)
    }

    // ---- scopes and claims -----------------------------------------------------------------

    /// Adds a scope.
    pub fn create_scope(
        &mut self,
        now: SystemTime,
        as_id: &str,
        mut scope: Scope,
    ) -> Result<Scope, OktaError> {
        let name = scope.name.trim().to_string();
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(OktaError::validation(
                "name",
                "name: The field is required and cannot contain spaces",
            ));
        }
        if !["IMPLICIT", "REQUIRED"].contains(&scope.consent.as_str()) {
            return Err(OktaError::validation(
                "consent",
                "consent: must be IMPLICIT or REQUIRED",
            ));
        }
        if self
            .auth_server(as_id)?
            .scopes
            .iter()
            .any(|s| s.name == name)
        {
            return Err(OktaError::validation(
                "name",
                "name: A scope with this name already exists",
            ));
        }
        scope.id = self.new_id(OktaKind::Scope);
        scope.name = name;
        scope.system = false;
        let server = self.auth_server_mut(as_id)?;
        server.scopes.push(scope.clone());
        server.last_updated = now;
        Ok(scope)
    }

    /// Deletes a custom scope.
    pub fn delete_scope(
        &mut self,
        now: SystemTime,
        as_id: &str,
        scope_id: &str,
    ) -> Result<(), OktaError> {
        let server = self.auth_server_mut(as_id)?;
        let scope = server
            .scopes
            .iter()
            .find(|s| s.id == scope_id)
            .ok_or_else(|| OktaError::not_found("OAuth2Scope", scope_id))?;
        if scope.system {
            return Err(OktaError::validation(
                "system",
                "system: System scopes cannot be deleted",
            ));
        }
        server.scopes.retain(|s| s.id != scope_id);
        server.last_updated = now;
        Ok(())
    }

    /// Adds a claim.
    pub fn create_claim(
        &mut self,
        now: SystemTime,
        as_id: &str,
        mut claim: Claim,
    ) -> Result<Claim, OktaError> {
        if claim.name.trim().is_empty() {
            return Err(OktaError::validation(
                "name",
                "name: The field cannot be left blank",
            ));
        }
        if !["RESOURCE", "IDENTITY"].contains(&claim.claim_type.as_str()) {
            return Err(OktaError::validation(
                "claimType",
                "claimType: must be RESOURCE or IDENTITY",
            ));
        }
        if !["EXPRESSION", "GROUPS"].contains(&claim.value_type.as_str()) {
            return Err(OktaError::validation(
                "valueType",
                "valueType: must be EXPRESSION or GROUPS",
            ));
        }
        claim.id = self.new_id(OktaKind::Claim);
        let server = self.auth_server_mut(as_id)?;
        server.claims.push(claim.clone());
        server.last_updated = now;
        Ok(claim)
    }

    /// Deletes a claim.
    pub fn delete_claim(
        &mut self,
        now: SystemTime,
        as_id: &str,
        claim_id: &str,
    ) -> Result<(), OktaError> {
        let server = self.auth_server_mut(as_id)?;
        if !server.claims.iter().any(|c| c.id == claim_id) {
            return Err(OktaError::not_found("OAuth2Claim", claim_id));
        }
        server.claims.retain(|c| c.id != claim_id);
        server.last_updated = now;
        Ok(())
    }

    // ---- policies and rules ----------------------------------------------------------------

    /// Creates an access policy for `clients` (app ids or `ALL_CLIENTS`).
    pub fn create_policy(
        &mut self,
        now: SystemTime,
        as_id: &str,
        name: &str,
        description: Option<String>,
        priority: Option<u32>,
        clients: Vec<String>,
    ) -> Result<Policy, OktaError> {
        if name.trim().is_empty() {
            return Err(OktaError::validation(
                "name",
                "name: The field cannot be left blank",
            ));
        }
        let clients = if clients.is_empty() {
            vec!["ALL_CLIENTS".to_string()]
        } else {
            clients
        };
        for c in &clients {
            if c != "ALL_CLIENTS" && self.app(c).is_err() {
                return Err(OktaError::validation(
                    "conditions.clients.include",
                    format!("conditions.clients.include: Invalid client id: {c}"),
                ));
            }
        }
        let id = self.new_id(OktaKind::Policy);
        let server = self.auth_server_mut(as_id)?;
        let priority = priority.unwrap_or(server.policies.len() as u32 + 1).max(1);
        let policy = Policy {
            id,
            name: name.trim().to_string(),
            description,
            active: true,
            priority,
            clients,
            rules: Vec::new(),
            created: now,
            last_updated: now,
        };
        server.policies.push(policy.clone());
        server.policies.sort_by_key(|p| p.priority);
        self.log.record(
            now,
            "policy.lifecycle.create",
            "Create policy",
            Actor::admin(),
            vec![Target::new(&policy.id, "PolicyEntity", &policy.name)],
            Outcome::success(),
        );
        Ok(policy)
    }

    /// A policy.
    pub fn policy(&self, as_id: &str, policy_id: &str) -> Result<&Policy, OktaError> {
        self.auth_server(as_id)?
            .policies
            .iter()
            .find(|p| p.id == policy_id)
            .ok_or_else(|| OktaError::not_found("AuthorizationServerPolicy", policy_id))
    }

    fn policy_mut(&mut self, as_id: &str, policy_id: &str) -> Result<&mut Policy, OktaError> {
        self.auth_server_mut(as_id)?
            .policies
            .iter_mut()
            .find(|p| p.id == policy_id)
            .ok_or_else(|| OktaError::not_found("AuthorizationServerPolicy", policy_id))
    }

    /// Deletes a policy and its rules.
    pub fn delete_policy(
        &mut self,
        now: SystemTime,
        as_id: &str,
        policy_id: &str,
    ) -> Result<(), OktaError> {
        let policy = self.policy(as_id, policy_id)?.clone();
        self.auth_server_mut(as_id)?
            .policies
            .retain(|p| p.id != policy_id);
        self.log.record(
            now,
            "policy.lifecycle.delete",
            "Delete policy",
            Actor::admin(),
            vec![Target::new(&policy.id, "PolicyEntity", &policy.name)],
            Outcome::success(),
        );
        Ok(())
    }

    /// Replaces a policy's name, description, priority and clients (PUT); its rules, status
    /// and creation time stay.
    #[allow(clippy::too_many_arguments)]
    pub fn update_policy(
        &mut self,
        now: SystemTime,
        as_id: &str,
        policy_id: &str,
        name: &str,
        description: Option<String>,
        priority: Option<u32>,
        clients: Vec<String>,
    ) -> Result<Policy, OktaError> {
        self.policy(as_id, policy_id)?;
        if name.trim().is_empty() {
            return Err(OktaError::validation(
                "name",
                "name: The field cannot be left blank",
            ));
        }
        let clients = if clients.is_empty() {
            vec!["ALL_CLIENTS".to_string()]
        } else {
            clients
        };
        for c in &clients {
            if c != "ALL_CLIENTS" && self.app(c).is_err() {
                return Err(OktaError::validation(
                    "conditions.clients.include",
                    format!("conditions.clients.include: Invalid client id: {c}"),
                ));
            }
        }
        let server = self.auth_server_mut(as_id)?;
        let policy = server
            .policies
            .iter_mut()
            .find(|p| p.id == policy_id)
            .ok_or_else(|| OktaError::not_found("AuthorizationServerPolicy", policy_id))?;
        policy.name = name.trim().to_string();
        policy.description = description;
        if let Some(priority) = priority {
            policy.priority = priority.max(1);
        }
        policy.clients = clients;
        policy.last_updated = now;
        let policy = policy.clone();
        server.policies.sort_by_key(|p| p.priority);
        self.log.record(
            now,
            "policy.lifecycle.update",
            "Update policy",
            Actor::admin(),
            vec![Target::new(&policy.id, "PolicyEntity", &policy.name)],
            Outcome::success(),
        );
        Ok(policy)
    }

    /// Activates or deactivates a policy.
    pub fn set_policy_active(
        &mut self,
        now: SystemTime,
        as_id: &str,
        policy_id: &str,
        active: bool,
    ) -> Result<Policy, OktaError> {
        let policy = self.policy_mut(as_id, policy_id)?;
        policy.active = active;
        policy.last_updated = now;
        Ok(policy.clone())
    }

    /// Activates or deactivates a rule (nothing else about it changes, and nothing is
    /// validated again: a rule naming a since-deleted group can still be turned off).
    pub fn set_rule_active(
        &mut self,
        now: SystemTime,
        as_id: &str,
        policy_id: &str,
        rule_id: &str,
        active: bool,
    ) -> Result<Rule, OktaError> {
        let rule = self
            .policy_mut(as_id, policy_id)?
            .rules
            .iter_mut()
            .find(|r| r.id == rule_id)
            .ok_or_else(|| OktaError::not_found("PolicyRule", rule_id))?;
        rule.active = active;
        rule.last_updated = now;
        Ok(rule.clone())
    }

    /// Adds a rule to a policy (validated against Okta's ranges, OKTA-AS-3).
    pub fn create_rule(
        &mut self,
        now: SystemTime,
        as_id: &str,
        policy_id: &str,
        new: NewRule,
    ) -> Result<Rule, OktaError> {
        let mut rule = self.validate_rule(as_id, new, now)?;
        rule.id = self.new_id(OktaKind::PolicyRule);
        let policy = self.policy_mut(as_id, policy_id)?;
        if rule.priority == 0 {
            rule.priority = policy.rules.len() as u32 + 1;
        }
        policy.rules.push(rule.clone());
        policy.rules.sort_by_key(|r| r.priority);
        policy.last_updated = now;
        self.log.record(
            now,
            "policy.rule.add",
            "Add policy rule",
            Actor::admin(),
            vec![Target::new(&rule.id, "PolicyRule", &rule.name)],
            Outcome::success(),
        );
        Ok(rule)
    }

    /// Replaces a rule.
    pub fn update_rule(
        &mut self,
        now: SystemTime,
        as_id: &str,
        policy_id: &str,
        rule_id: &str,
        new: NewRule,
    ) -> Result<Rule, OktaError> {
        self.rule(as_id, policy_id, rule_id)?;
        let mut fresh = self.validate_rule(as_id, new, now)?;
        let policy = self.policy_mut(as_id, policy_id)?;
        let rule = policy
            .rules
            .iter_mut()
            .find(|r| r.id == rule_id)
            .ok_or_else(|| OktaError::not_found("PolicyRule", rule_id))?;
        fresh.id = rule.id.clone();
        fresh.created = rule.created;
        if fresh.priority == 0 {
            fresh.priority = rule.priority;
        }
        *rule = fresh.clone();
        policy.rules.sort_by_key(|r| r.priority);
        self.log.record(
            now,
            "policy.rule.update",
            "Update policy rule",
            Actor::admin(),
            vec![Target::new(&fresh.id, "PolicyRule", &fresh.name)],
            Outcome::success(),
        );
        Ok(fresh)
    }

    /// A rule.
    pub fn rule(&self, as_id: &str, policy_id: &str, rule_id: &str) -> Result<&Rule, OktaError> {
        self.policy(as_id, policy_id)?
            .rules
            .iter()
            .find(|r| r.id == rule_id)
            .ok_or_else(|| OktaError::not_found("PolicyRule", rule_id))
    }

    /// Deletes a rule.
    pub fn delete_rule(
        &mut self,
        now: SystemTime,
        as_id: &str,
        policy_id: &str,
        rule_id: &str,
    ) -> Result<(), OktaError> {
        let rule = self.rule(as_id, policy_id, rule_id)?.clone();
        self.policy_mut(as_id, policy_id)?
            .rules
            .retain(|r| r.id != rule_id);
        self.log.record(
            now,
            "policy.rule.delete",
            "Delete policy rule",
            Actor::admin(),
            vec![Target::new(&rule.id, "PolicyRule", &rule.name)],
            Outcome::success(),
        );
        Ok(())
    }

    fn validate_rule(&self, as_id: &str, new: NewRule, now: SystemTime) -> Result<Rule, OktaError> {
        let server = self.auth_server(as_id)?;
        let mut causes = Vec::new();
        if new.name.trim().is_empty() {
            causes.push("name: The field cannot be left blank".to_string());
        }
        if new.grant_types.is_empty() {
            causes.push("conditions.grantTypes.include: The field cannot be left blank".into());
        }
        for g in &new.grant_types {
            if !super::apps::GRANT_TYPES.contains(&g.as_str()) {
                causes.push(format!(
                    "conditions.grantTypes.include: Invalid grant type: {g}"
                ));
            }
        }
        let scopes = if new.scopes.is_empty() {
            vec!["*".to_string()]
        } else {
            new.scopes
        };
        for s in &scopes {
            if s != "*" && !server.scopes.iter().any(|d| d.name == *s) {
                causes.push(format!("conditions.scopes.include: Scope '{s}' is not defined on this authorization server"));
            }
        }
        for u in &new.users_include {
            if self.find_user(u).is_none() {
                causes.push(format!(
                    "conditions.people.users.include: Invalid user id: {u}"
                ));
            }
        }
        for g in &new.groups_include {
            if g != "EVERYONE" && self.group(g).is_err() {
                causes.push(format!(
                    "conditions.people.groups.include: Invalid group id: {g}"
                ));
            }
        }
        let access = new.access_token_lifetime_minutes.unwrap_or(60);
        if !(5..=1440).contains(&access) {
            causes.push("actions.token.accessTokenLifetimeMinutes: Access token lifetime must be between 5 minutes and 1 day.".into());
        }
        let refresh = new.refresh_token_lifetime_minutes.unwrap_or(0);
        if refresh != 0 && !(access..=MINUTES_5Y).contains(&refresh) {
            causes.push("actions.token.refreshTokenLifetimeMinutes: Refresh token lifetime must be unlimited, or between the access token lifetime and 5 years.".into());
        }
        let window = new.refresh_token_window_minutes.unwrap_or(7 * 24 * 60);
        if !(5..=MINUTES_5Y).contains(&window) || (refresh != 0 && window > refresh) {
            causes.push("actions.token.refreshTokenWindowMinutes: Refresh token window must be between 5 minutes and 5 years, and no longer than the refresh token lifetime.".into());
        }
        if !causes.is_empty() {
            return Err(OktaError::Validation {
                summary: "policyRule".into(),
                causes,
            });
        }
        let groups_include = if new.groups_include.is_empty() && new.users_include.is_empty() {
            vec!["EVERYONE".to_string()]
        } else {
            new.groups_include
        };
        Ok(Rule {
            id: String::new(),
            name: new.name.trim().to_string(),
            active: new.active.unwrap_or(true),
            priority: new.priority.unwrap_or(0),
            grant_types: new.grant_types,
            scopes,
            users_include: new.users_include,
            groups_include,
            access_token_lifetime_minutes: access,
            refresh_token_lifetime_minutes: refresh,
            refresh_token_window_minutes: window,
            created: now,
            last_updated: now,
        })
    }

    // ---- evaluation ------------------------------------------------------------------------

    /// Which rule grants `scopes` to `user_id` through `client_id` with `grant_type` on
    /// server `as_id`, or why none does (OKTA-AS-3).
    pub fn evaluate(
        &self,
        as_id: &str,
        client_id: &str,
        grant_type: &str,
        user_id: &str,
        scopes: &[String],
    ) -> Result<Decision, Denial> {
        let Ok(server) = self.token_server(as_id) else {
            return Err(Denial::NoMatchingPolicy);
        };
        if let Some(unknown) = scopes
            .iter()
            .find(|s| !server.scopes.iter().any(|d| d.name == **s))
        {
            return Err(Denial::UnknownScope(unknown.clone()));
        }
        if as_id == ORG_SERVER_ID {
            // The management API's scopes go only to service apps they are granted to
            // (checked by the client-credentials grant), never to a user's sign-in.
            // A user's sign-in may get `okta.users.read.self` when it is granted to the app.
            let granted = |scope: &str| {
                self.app(client_id)
                    .is_ok_and(|a| a.scope_grants.iter().any(|g| g.scope == scope))
            };
            if grant_type != "client_credentials"
                && scopes
                    .iter()
                    .any(|s| s.starts_with("okta.") && (s != "okta.users.read.self" || !granted(s)))
            {
                return Err(Denial::NoMatchingRule);
            }
            // The org server has no access policies: an assigned user gets the OIDC scopes
            // asked for, access tokens live an hour (sim choice for the refresh lifetimes:
            // unlimited, 7-day window, as a custom server's rule defaults).
            return Ok(Decision {
                policy_id: String::new(),
                rule_id: String::new(),
                access_ttl: Duration::from_secs(3600),
                refresh_ttl: None,
                refresh_window: Duration::from_secs(7 * 24 * 3600),
                allows_refresh: true,
            });
        }
        let policy = server
            .policies
            .iter()
            .filter(|p| p.active)
            .find(|p| {
                p.clients
                    .iter()
                    .any(|c| c == "ALL_CLIENTS" || c == client_id)
            })
            .ok_or(Denial::NoMatchingPolicy)?;
        let groups: Vec<&str> = self
            .groups_of(user_id)
            .into_iter()
            .map(|g| g.id.as_str())
            .collect();
        let rule = policy
            .rules
            .iter()
            .filter(|r| r.active)
            .find(|r| {
                rule_allows_grant(&r.grant_types, grant_type)
                    // A client acting for itself has no user: people conditions do not apply.
                    && (grant_type == "client_credentials"
                        || r.users_include.iter().any(|u| u == user_id)
                        || r.groups_include
                            .iter()
                            .any(|g| g == "EVERYONE" || groups.contains(&g.as_str())))
                    && scopes
                        .iter()
                        .all(|s| r.scopes.iter().any(|a| a == "*" || a == s))
            })
            .ok_or(Denial::NoMatchingRule)?;
        let minutes = |m: u32| Duration::from_secs(u64::from(m) * 60);
        Ok(Decision {
            policy_id: policy.id.clone(),
            rule_id: rule.id.clone(),
            access_ttl: minutes(rule.access_token_lifetime_minutes),
            refresh_ttl: (rule.refresh_token_lifetime_minutes != 0)
                .then(|| minutes(rule.refresh_token_lifetime_minutes)),
            refresh_window: minutes(rule.refresh_token_window_minutes),
            allows_refresh: rule_allows_grant(&rule.grant_types, "refresh_token"),
        })
    }

    fn log_as(&mut self, now: SystemTime, event: &str, message: &str, server: &AuthServer) {
        self.log.record(
            now,
            event,
            message,
            Actor::admin(),
            vec![Target::new(&server.id, "AuthorizationServer", &server.name)],
            Outcome::success(),
        );
    }
}
