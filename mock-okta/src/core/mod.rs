//! The domain core of mock-okta: one Okta org's state and rules. Pure and synchronous: every
//! operation takes `now` from the caller; nothing here does I/O or knows HTTP.
//!
//! - [`directory`]: users (lifecycle, passwords, profiles), groups and memberships, factors.
//! - [`apps`]: apps (OIDC clients and catalog apps) and their user/group assignments.
//! - [`assertion`]: `private_key_jwt` client assertions.
//! - [`catalog`]: the app catalog (AWS IAM Identity Center) and adding catalog apps.
//! - [`provisioning`]: SCIM push to a downstream app: connection, To App features, attribute
//!   mappings, group push, and the planner that turns changes into SCIM calls.
//! - [`authz`]: custom authorization servers, scopes, claims, access policies and rules, and
//!   policy evaluation (which rule grants what, with which lifetimes), plus signing keys.
//! - [`tokens`]: sign-in and OAuth. Primary authentication, MFA transactions, session tokens
//!   and sessions; authorization codes, the grants, client authentication, refresh tokens,
//!   minting and checking JWTs, introspection, revocation, userinfo, Token Preview.
//! - [`log`]: the System Log.
//! - [`filter`]: Okta's `filter`/`search` expression language for list endpoints.
//! - [`totp`]: RFC 6238 one-time codes for the TOTP factor.

pub mod apps;
pub mod assertion;
pub mod authz;
pub mod catalog;
pub mod directory;
pub mod filter;
pub mod log;
pub mod provisioning;
pub mod tokens;

use std::collections::HashMap;
use std::time::SystemTime;

use sim_core::ids::{self, OktaKind};
use sim_core::keys::SigningKey;
use sim_core::seed::{Seed, SimRng};

pub use apps::{
    App, AppStatus, ApplicationType, NewOidcApp, RefreshRotation, SamlSettings, SignOnMode,
};
pub use authz::{AuthServer, Claim, Decision, NewRule, Policy, Rule, Scope};
pub use catalog::{CatalogApp, NewCatalogApp};
pub use directory::{Group, NewUser, User, UserStatus};
pub use log::{Actor, Event, Outcome, Target};
pub use tokens::{Session, TokenSet, UnsignedTokens};

/// A refusal of the management API, mapped by the wire layer to Okta's error object.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OktaError {
    /// E0000001 (400): the request is not valid.
    #[error("Api validation failed: {summary}")]
    Validation {
        /// What failed, e.g. `login`.
        summary: String,
        /// One line per cause, e.g. `login: An object with this field already exists…`.
        causes: Vec<String>,
    },
    /// E0000007 (404): no such resource.
    #[error("Not found: Resource not found: {id} ({kind})")]
    NotFound {
        /// Okta's type name, e.g. `User`.
        kind: &'static str,
        /// The id asked for.
        id: String,
    },
    /// E0000016 (403): activation of an already active user.
    #[error("Activation failed because the user is already active")]
    AlreadyActive,
    /// E0000038 (403): a lifecycle operation the user's status does not allow.
    #[error("This operation is not allowed in the user's current status.")]
    InvalidStatus,
    /// E0000056 (403): deleting an app that is still active.
    #[error("Delete application forbidden.")]
    DeleteActiveApp,
    /// E0000031 (400): a `filter`/`search` expression that does not parse.
    #[error("Invalid search criteria.")]
    InvalidSearch(String),
}

impl OktaError {
    pub(crate) fn validation(field: &str, cause: impl Into<String>) -> OktaError {
        OktaError::Validation {
            summary: field.to_string(),
            causes: vec![cause.into()],
        }
    }

    pub(crate) fn not_found(kind: &'static str, id: &str) -> OktaError {
        OktaError::NotFound {
            kind,
            id: id.to_string(),
        }
    }
}

/// An OAuth 2.0 / OIDC error (RFC 6749 section 5.2 shape).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{error}: {description}")]
pub struct OAuthError {
    /// `invalid_grant`, `access_denied`, …
    pub error: &'static str,
    /// Okta's `error_description`.
    pub description: String,
}

impl OAuthError {
    pub(crate) fn new(error: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError {
            error,
            description: description.into(),
        }
    }
}

/// One Okta org.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Org {
    /// `http://127.0.0.1:PORT`: issuers and links are built from it.
    pub(crate) org_url: String,
    /// The org's own id (`00o…`), the `idp` claim of ID tokens.
    pub(crate) org_id: String,
    pub(crate) ids: SimRng,
    pub(crate) secrets: SimRng,
    pub(crate) users: Vec<User>,
    /// Position of each user in `users`, by id.
    #[serde(skip)]
    pub(crate) user_index: HashMap<String, usize>,
    /// Position of each user in `users`, by login in ASCII lowercase.
    #[serde(skip)]
    pub(crate) login_index: HashMap<String, usize>,
    pub(crate) groups: Vec<Group>,
    pub(crate) apps: Vec<App>,
    pub(crate) auth_servers: Vec<AuthServer>,
    /// The org authorization server (`{org}/oauth2/v1/…`), not among `auth_servers`.
    pub(crate) org_server: AuthServer,
    /// Keys handed to authorization servers, in rotation order.
    pub(crate) key_pool: Vec<SigningKey>,
    pub(crate) next_key: usize,
    pub(crate) tokens: tokens::TokenStore,
    pub(crate) log: log::SystemLog,
    /// Org sign-on policy (sim choice): require a verified TOTP factor at sign-in.
    pub(crate) mfa_required: bool,
    /// SCIM provisioning of every provisioning app, and the push queue.
    pub(crate) prov: provisioning::Provisioner,
}

impl Org {
    /// A new org at `org_url`, created at `now`, with what every org ships with (the `default`
    /// authorization server, OKTA-AS-9); `keys` are the signing keys authorization servers take
    /// in turn (the seed's dev keys, or fresh ones).
    pub fn new(org_url: &str, seed: Seed, keys: Vec<SigningKey>, now: SystemTime) -> Org {
        let mut ids = seed.stream("mock-okta/ids");
        let org_id = ids::okta_id(&mut ids, OktaKind::Org);
        // Its own stream: the built-in server shifts no id, key or token of the seed's others.
        let default_server =
            authz::default_server(now, &mut seed.stream("mock-okta/default-as"), &keys);
        let mut org_server = authz::org_server(now, &mut seed.stream("mock-okta/org-as"), &keys);
        org_server.audiences = vec![org_url.trim_end_matches('/').to_string()];
        Org {
            org_url: org_url.trim_end_matches('/').to_string(),
            org_id,
            ids,
            secrets: seed.stream("mock-okta/secrets"),
            users: Vec::new(),
            user_index: HashMap::new(),
            login_index: HashMap::new(),
            groups: Vec::new(),
            apps: Vec::new(),
            auth_servers: vec![default_server],
            org_server,
            key_pool: keys,
            next_key: 0,
            tokens: tokens::TokenStore::default(),
            log: log::SystemLog::new(seed.stream("mock-okta/log")),
            mfa_required: false,
            prov: provisioning::Provisioner::default(),
        }
    }

    /// Makes an org read from a state document ready to serve (SIM-STATE-2): checks what
    /// deserialisation cannot (unique user ids and logins, members and assignments that
    /// exist), rebuilds the indexes, and puts pushes that were in flight back in the queue.
    pub fn restore_from_state(&mut self) -> Result<(), String> {
        let mut user_index = HashMap::with_capacity(self.users.len());
        let mut login_index = HashMap::with_capacity(self.users.len());
        for (i, user) in self.users.iter().enumerate() {
            if user_index.insert(user.id.clone(), i).is_some() {
                return Err(format!("user {} appears twice", user.id));
            }
            if login_index
                .insert(user.login().to_ascii_lowercase(), i)
                .is_some()
            {
                return Err(format!("login {} appears twice", user.login()));
            }
        }
        for group in &self.groups {
            if let Some(member) = group.members.iter().find(|m| !user_index.contains_key(*m)) {
                return Err(format!(
                    "group {} has member {member}, who is not in the state",
                    group.id
                ));
            }
            if let Some(member) = group.members.duplicate() {
                return Err(format!("group {} has member {member} twice", group.id));
            }
        }
        for app in &self.apps {
            if let Some(user) = app
                .assigned_users
                .iter()
                .find(|u| !user_index.contains_key(*u))
            {
                return Err(format!(
                    "app {} is assigned to user {user}, who is not in the state",
                    app.id
                ));
            }
        }
        if self.next_key > self.key_pool.len() {
            return Err("next_key is past the key pool".into());
        }
        self.user_index = user_index;
        self.login_index = login_index;
        self.prov.requeue_in_flight();
        Ok(())
    }

    /// When parked SCIM pushes are due for a retry: the push engine's clock jobs, re-derived
    /// after a state import.
    pub fn push_retry_times(&self) -> Vec<SystemTime> {
        self.prov.retry_times()
    }

    /// Whether a SCIM push is runnable now.
    pub fn push_runnable(&self) -> bool {
        self.prov.has_runnable()
    }

    /// Sets the org URL (known once the server is listening).
    pub fn set_org_url(&mut self, org_url: &str) {
        self.org_url = org_url.trim_end_matches('/').to_string();
        // The org server's tokens are for the org itself.
        self.org_server.audiences = vec![self.org_url.clone()];
    }

    /// The org URL.
    pub fn org_url(&self) -> &str {
        &self.org_url
    }

    /// The org's id.
    pub fn org_id(&self) -> &str {
        &self.org_id
    }

    /// Whether the sign-on policy requires a second factor.
    pub fn mfa_required(&self) -> bool {
        self.mfa_required
    }

    /// Sets the sign-on policy's second-factor requirement (BEHAVIOURS.md OKTA-TOK-7).
    pub fn set_mfa_required(&mut self, now: SystemTime, required: bool) {
        self.mfa_required = required;
        self.log.record(
            now,
            "policy.lifecycle.update",
            "Update policy",
            Actor::admin(),
            vec![Target::new(
                "sign-on-policy",
                "PolicyEntity",
                "Default Policy",
            )],
            Outcome::success(),
        );
    }

    pub(crate) fn new_id(&mut self, kind: OktaKind) -> String {
        ids::okta_id(&mut self.ids, kind)
    }

    pub(crate) fn new_secret(&mut self, len: usize) -> String {
        ids::secret(&mut self.secrets, len)
    }

    /// The System Log.
    pub fn system_log(&self) -> &log::SystemLog {
        &self.log
    }
}
