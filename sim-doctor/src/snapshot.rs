//! The facts the doctor reads: a typed [`Snapshot`] of the three systems' configuration,
//! filled by [`crate::gather`] from their public APIs and judged by [`crate::diagnose`].
//! Nothing here talks to the network, so diagnoses are unit-testable from hand-made values.

use std::time::SystemTime;

use serde::Serialize;

/// Everything the doctor knows about the three systems at one moment.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Snapshot {
    /// The Okta org, read through the management API.
    pub okta: OktaFacts,
    /// The Kiro console, when it was given.
    pub kiro: Option<KiroFacts>,
    /// What DNS serves for the profile's verification records, when DNS was given.
    pub dns: Option<Vec<TxtAnswer>>,
    /// Parts that were skipped, and why (shown at the top of the report).
    pub notes: Vec<String>,
}

/// The Okta org's configuration.
#[derive(Clone, Debug, Default, Serialize)]
pub struct OktaFacts {
    /// The org's time (its `Date` header), for "recent" and "expires soon".
    pub now: Option<SystemTime>,
    /// Every app (OIDC apps and catalog apps).
    pub apps: Vec<App>,
    /// Every authorization server.
    pub auth_servers: Vec<AuthServer>,
    /// The users who are SUSPENDED or DEPROVISIONED (everyone else is seen through the apps'
    /// assignments; reading all users would double the reads of a large org).
    pub inactive_users: Vec<User>,
    /// Every group.
    pub groups: Vec<Group>,
    /// Provisioning failures of the last 24 hours in the System Log.
    pub failures: Vec<LogFailure>,
}

/// An Okta user.
#[derive(Clone, Debug, Serialize)]
pub struct User {
    /// `00u…`.
    pub id: String,
    /// `profile.login`.
    pub login: String,
    /// `ACTIVE`, `SUSPENDED`, `DEPROVISIONED`, …
    pub status: String,
}

/// An Okta group.
#[derive(Clone, Debug, Serialize)]
pub struct Group {
    /// `00g…`.
    pub id: String,
    /// `profile.name`.
    pub name: String,
}

/// An Okta app.
#[derive(Clone, Debug, Serialize)]
pub struct App {
    /// `0oa…` (the client id of an OIDC app).
    pub id: String,
    /// `oidc_client`, `amazon_aws_sso`, …
    pub name: String,
    /// The label shown in the console.
    pub label: String,
    /// `ACTIVE` or `INACTIVE`.
    pub status: String,
    /// `OPENID_CONNECT`, `SAML_2_0`, …
    pub sign_on_mode: String,
    /// `settings.oauthClient.application_type` (OIDC apps).
    pub application_type: Option<String>,
    /// `settings.oauthClient.grant_types`.
    pub grant_types: Vec<String>,
    /// `settings.oauthClient.redirect_uris`.
    pub redirect_uris: Vec<String>,
    /// Assigned users (directly or through a group): `/apps/{id}/users`.
    pub users: Vec<AppUser>,
    /// Assigned groups: `/apps/{id}/groups`.
    pub groups: Vec<String>,
    /// The provisioning settings of a catalog app with provisioning.
    pub provisioning: Option<Provisioning>,
}

/// A user's assignment to an app.
#[derive(Clone, Debug, Serialize)]
pub struct AppUser {
    /// The Okta user id.
    pub id: String,
    /// `USER` (direct) or `GROUP`.
    pub scope: String,
    /// `credentials.userName`.
    pub user_name: String,
    /// `syncState` (`SYNCHRONIZED`, `ERROR`, `DISABLED`, …).
    pub sync_state: Option<String>,
    /// `lastSync`.
    pub last_sync: Option<SystemTime>,
}

/// A provisioning app's connection, features, mappings and pushed groups.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Provisioning {
    /// `/connections/default`: status (`ENABLED`/`DISABLED`) and base URL.
    pub connection_status: Option<String>,
    /// The connection's base URL.
    pub base_url: Option<String>,
    /// To App: Create Users.
    pub create_users: bool,
    /// To App: Update User Attributes.
    pub update_attributes: bool,
    /// Target attributes mapped from Okta to the app.
    pub mapped: Vec<String>,
    /// Group push mappings.
    pub pushes: Vec<Push>,
}

/// A group push mapping.
#[derive(Clone, Debug, Serialize)]
pub struct Push {
    /// The mapping id.
    pub id: String,
    /// The Okta group.
    pub source_group_id: String,
    /// The group downstream (Kiro's SCIM group id), once pushed.
    pub target_group_id: Option<String>,
    /// `ACTIVE`, `INACTIVE` or `ERROR`.
    pub status: String,
    /// The last error.
    pub error_summary: Option<String>,
    /// When the group was last pushed.
    pub last_push: Option<SystemTime>,
}

/// A custom authorization server (or `default`).
#[derive(Clone, Debug, Serialize)]
pub struct AuthServer {
    /// `aus…` or `default`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its issuer.
    pub issuer: String,
    /// `ACTIVE` or `INACTIVE`.
    pub status: String,
    /// Its scopes.
    pub scopes: Vec<Scope>,
    /// Its access policies and their rules.
    pub policies: Vec<Policy>,
}

/// A scope.
#[derive(Clone, Debug, Serialize)]
pub struct Scope {
    /// Its name.
    pub name: String,
    /// `IMPLICIT`, `REQUIRED` or `FLEXIBLE`.
    pub consent: String,
}

/// An access policy.
#[derive(Clone, Debug, Serialize)]
pub struct Policy {
    /// `00p…`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// `ACTIVE` or `INACTIVE`.
    pub status: String,
    /// Its priority (1 first).
    pub priority: i64,
    /// `conditions.clients.include` (`ALL_CLIENTS` or app ids).
    pub clients: Vec<String>,
    /// Its rules.
    pub rules: Vec<Rule>,
}

/// A policy rule.
#[derive(Clone, Debug, Serialize)]
pub struct Rule {
    /// `0pr…`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// `ACTIVE` or `INACTIVE`.
    pub status: String,
    /// Its priority.
    pub priority: i64,
    /// `conditions.grantTypes.include`.
    pub grant_types: Vec<String>,
    /// `conditions.scopes.include` (`*` for any scope).
    pub scopes: Vec<String>,
    /// `actions.token.accessTokenLifetimeMinutes`.
    pub access_token_minutes: Option<i64>,
}

/// A provisioning failure in the System Log.
#[derive(Clone, Debug, Serialize)]
pub struct LogFailure {
    /// When.
    pub published: SystemTime,
    /// `eventType`.
    pub event_type: String,
    /// `outcome.reason` (the downstream error).
    pub reason: String,
    /// The app the event is about.
    pub app_id: Option<String>,
    /// The user or group the event is about: (type, id, name).
    pub target: Option<(String, String, String)>,
}

/// The Kiro console's configuration of one profile.
#[derive(Clone, Debug, Serialize)]
pub struct KiroFacts {
    /// The profile's ARN.
    pub profile_arn: String,
    /// The profile's id.
    pub profile_id: String,
    /// The Issuer URI it was set up with.
    pub issuer: String,
    /// The Client ID it was set up with.
    pub client_id: String,
    /// Its SCIM endpoint.
    pub scim_endpoint: String,
    /// The `issuer` of the discovery document at the Issuer URI, or why it could not be read.
    pub discovery_issuer: Result<String, String>,
    /// Its domains.
    pub domains: Vec<Domain>,
    /// Its SCIM access tokens.
    pub tokens: Vec<ScimToken>,
    /// Its seats.
    pub seats: Vec<Seat>,
    /// Its group subscriptions: (group id, group name).
    pub group_subscriptions: Vec<(String, String)>,
}

/// A company domain.
#[derive(Clone, Debug, Serialize)]
pub struct Domain {
    /// The domain.
    pub name: String,
    /// `PENDING`, `VERIFIED`, …
    pub status: String,
    /// The TXT record's name.
    pub record_name: String,
    /// The TXT record's value (the verification token).
    pub record_value: String,
}

/// A SCIM access token (metadata only; the console never shows a token again).
#[derive(Clone, Debug, Serialize)]
pub struct ScimToken {
    /// Its id.
    pub id: String,
    /// `ACTIVE`, `REVOKED`, `EXPIRED`.
    pub status: String,
    /// When it expires.
    pub expires_at: Option<SystemTime>,
}

/// A seat.
#[derive(Clone, Debug, Serialize)]
pub struct Seat {
    /// Kiro's user id.
    pub user_id: String,
    /// The user name (the Okta login).
    pub user_name: String,
    /// `PENDING`, `ACTIVE`, `CANCELED`.
    pub status: String,
    /// Its sources: `("USER", "")` or `("GROUP", group id)`.
    pub sources: Vec<(String, String)>,
}

/// What DNS serves for a verification record.
#[derive(Clone, Debug, Serialize)]
pub struct TxtAnswer {
    /// The name looked up.
    pub name: String,
    /// The TXT strings, or why the lookup failed.
    pub values: Result<Vec<String>, String>,
}
