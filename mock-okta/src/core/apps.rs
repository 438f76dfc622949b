//! OIDC apps and their assignments (BEHAVIOURS.md OKTA-APP-1..3, OKTA-DIR-2).
//!
//! An app's client id is its app id (`0oa…`), as in Okta. A user can sign in to an app only
//! while assigned to it, directly or through a group (OKTA-APP-3).

use std::time::SystemTime;

use sim_core::ids::OktaKind;

use super::log::{Actor, Outcome, Target};
use super::{OktaError, Org};

/// `settings.oauthClient.application_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ApplicationType {
    /// Native (desktop/mobile; public client with PKCE). Kiro's type.
    Native,
    /// Web (server-side, confidential).
    Web,
    /// Single-page app.
    Browser,
    /// Machine to machine.
    Service,
}

impl ApplicationType {
    /// As Okta spells it.
    pub fn as_str(&self) -> &'static str {
        match self {
            ApplicationType::Native => "native",
            ApplicationType::Web => "web",
            ApplicationType::Browser => "browser",
            ApplicationType::Service => "service",
        }
    }

    /// Parses Okta's spelling.
    pub fn parse(s: &str) -> Option<ApplicationType> {
        match s {
            "native" => Some(ApplicationType::Native),
            "web" => Some(ApplicationType::Web),
            "browser" => Some(ApplicationType::Browser),
            "service" => Some(ApplicationType::Service),
            _ => None,
        }
    }
}

/// Whether an app is active.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AppStatus {
    /// Usable.
    Active,
    /// Deactivated: no sign-in, can be deleted.
    Inactive,
}

impl AppStatus {
    /// As Okta spells it.
    pub fn as_str(&self) -> &'static str {
        match self {
            AppStatus::Active => "ACTIVE",
            AppStatus::Inactive => "INACTIVE",
        }
    }
}

/// Refresh-token rotation (`settings.oauthClient.refresh_token.rotation_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RefreshRotation {
    /// Each refresh returns a new refresh token; the old one stays usable for the leeway.
    Rotate,
    /// The same refresh token is returned every time.
    Static,
}

impl RefreshRotation {
    /// As Okta spells it.
    pub fn as_str(&self) -> &'static str {
        match self {
            RefreshRotation::Rotate => "ROTATE",
            RefreshRotation::Static => "STATIC",
        }
    }
}

/// How users sign in to an app (`signOnMode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SignOnMode {
    /// `OPENID_CONNECT`: an OIDC client (the only mode that can use the authorization servers).
    OpenIdConnect,
    /// `SAML_2_0`: a catalog app signing in with SAML (its settings exist; nothing here serves
    /// SAML, as Kiro signs in through the OIDC app).
    Saml2,
}

impl SignOnMode {
    /// As Okta spells it.
    pub fn as_str(&self) -> &'static str {
        match self {
            SignOnMode::OpenIdConnect => "OPENID_CONNECT",
            SignOnMode::Saml2 => "SAML_2_0",
        }
    }
}

/// The SAML settings of a catalog app (`settings.app` of AWS IAM Identity Center: the ACS URL
/// and the issuer URL AWS shows). Kept and shown, never used (BEHAVIOURS.md OKTA-APP-4).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SamlSettings {
    /// `acsURL`: where AWS receives assertions.
    pub acs_url: Option<String>,
    /// `entityID`: AWS's issuer URL.
    pub entity_id: Option<String>,
}

/// An app instance.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct App {
    /// `0oa…`: app id and OAuth client id.
    pub id: String,
    /// `oidc_client`, or a catalog app's name (`amazon_aws_sso`).
    pub name: String,
    /// Display name, e.g. `Kiro-OIDC`.
    pub label: String,
    /// Active or not.
    pub status: AppStatus,
    /// `OPENID_CONNECT` for OIDC apps, `SAML_2_0` for the catalog's AWS IAM Identity Center.
    pub sign_on_mode: SignOnMode,
    /// A SAML app's settings (`None` for OIDC apps).
    pub saml: Option<SamlSettings>,
    /// When created.
    pub created: SystemTime,
    /// When last changed.
    pub last_updated: SystemTime,
    /// Native, web, …
    pub application_type: ApplicationType,
    /// Allowed grant types; `authorization_code` always for native apps.
    pub grant_types: Vec<String>,
    /// `code`.
    pub response_types: Vec<String>,
    /// Exact sign-in redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Sign-out redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
    /// `none` (public client, PKCE), `client_secret_basic`/`client_secret_post`, or
    /// `private_key_jwt` (a client assertion signed by a key of `jwks`).
    pub token_endpoint_auth_method: String,
    /// Client secret for confidential clients (not for `private_key_jwt`).
    pub client_secret: Option<String>,
    /// The public keys (JWKs) a `private_key_jwt` client signs its assertions with.
    pub jwks: Vec<serde_json::Value>,
    /// Refresh-token rotation.
    pub refresh_rotation: RefreshRotation,
    /// Seconds a rotated refresh token stays usable.
    pub refresh_leeway_secs: u64,
    /// Users assigned directly, in assignment order.
    pub assigned_users: Vec<String>,
    /// Groups assigned, in assignment order.
    pub assigned_groups: Vec<String>,
    /// The management API scopes granted to the app (OKTA-API-10), in grant order.
    pub scope_grants: Vec<ScopeGrant>,
}

/// A grant of a management API scope (`okta.*`) to an app, for the org authorization server.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScopeGrant {
    /// `oag…` id.
    pub id: String,
    /// The scope, e.g. `okta.users.read`.
    pub scope: String,
    /// The org URL (the org authorization server's issuer).
    pub issuer: String,
    /// When granted.
    pub created: SystemTime,
}

/// What creating an OIDC app takes (the `settings.oauthClient` of Okta's request).
#[derive(Clone, Debug)]
pub struct NewOidcApp {
    /// Label (required).
    pub label: String,
    /// Application type.
    pub application_type: ApplicationType,
    /// Grant types; defaults to `authorization_code`.
    pub grant_types: Vec<String>,
    /// Redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Sign-out redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
    /// Response types; defaults to `code`.
    pub response_types: Vec<String>,
    /// Defaults to `none` for native and browser apps, `client_secret_basic` otherwise.
    pub token_endpoint_auth_method: Option<String>,
    /// Public keys (`settings.oauthClient.jwks.keys`), required for `private_key_jwt`.
    pub jwks: Vec<serde_json::Value>,
    /// Refresh rotation; defaults to ROTATE with 30 s leeway as Okta does.
    pub refresh_rotation: Option<RefreshRotation>,
    /// Leeway in seconds.
    pub refresh_leeway_secs: Option<u64>,
    /// Activate at once (the default).
    pub activate: bool,
}

/// The OAuth grant types Okta knows (apps and access policy rules take these).
pub(super) const GRANT_TYPES: [&str; 6] = [
    "authorization_code",
    "refresh_token",
    "implicit",
    "password",
    "client_credentials",
    "urn:ietf:params:oauth:grant-type:device_code",
];

impl Org {
    /// Creates an OIDC app; the client id is issued (BEHAVIOURS.md OKTA-APP-1).
    pub fn create_oidc_app(&mut self, now: SystemTime, new: NewOidcApp) -> Result<App, OktaError> {
        let settings = validate(new)?;
        let id = self.new_id(OktaKind::App);
        let client_secret =
            uses_secret(&settings.token_endpoint_auth_method).then(|| self.new_secret(40));
        let app = App {
            id,
            name: "oidc_client".into(),
            status: if settings.activate {
                AppStatus::Active
            } else {
                AppStatus::Inactive
            },
            created: now,
            last_updated: now,
            sign_on_mode: SignOnMode::OpenIdConnect,
            client_secret,
            assigned_users: Vec::new(),
            assigned_groups: Vec::new(),
            scope_grants: Vec::new(),
            ..settings.into_app()
        };
        self.apps.push(app.clone());
        self.log_app(
            now,
            "application.lifecycle.create",
            "Create application",
            &app,
        );
        Ok(app)
    }

    /// An app by id (= client id).
    pub fn app(&self, id: &str) -> Result<&App, OktaError> {
        self.apps
            .iter()
            .find(|a| a.id == id)
            .ok_or_else(|| OktaError::not_found("AppInstance", id))
    }

    fn app_mut(&mut self, id: &str) -> Result<&mut App, OktaError> {
        self.apps
            .iter_mut()
            .find(|a| a.id == id)
            .ok_or_else(|| OktaError::not_found("AppInstance", id))
    }

    /// Apps whose label starts with `q` (all without it).
    pub fn list_apps(&self, q: Option<&str>) -> Vec<&App> {
        let q = q.map(str::to_lowercase);
        self.apps
            .iter()
            .filter(|a| {
                q.as_deref()
                    .is_none_or(|q| a.label.to_lowercase().starts_with(q))
            })
            .collect()
    }

    /// Replaces an app's settings (PUT), keeping its id, status, secret and assignments.
    pub fn update_oidc_app(
        &mut self,
        now: SystemTime,
        id: &str,
        new: NewOidcApp,
    ) -> Result<App, OktaError> {
        let current = self.app(id)?;
        if current.sign_on_mode != SignOnMode::OpenIdConnect {
            return Err(OktaError::validation(
                "name",
                format!("name: The app '{}' is not an oidc_client app", current.name),
            ));
        }
        let settings = validate(new)?;
        let secret = if !uses_secret(&settings.token_endpoint_auth_method) {
            None
        } else {
            let existing = self.app(id)?.client_secret.clone();
            Some(existing.unwrap_or_else(|| self.new_secret(40)))
        };
        let app = self.app_mut(id)?;
        let fresh = settings.into_app();
        app.label = fresh.label;
        app.application_type = fresh.application_type;
        app.grant_types = fresh.grant_types;
        app.response_types = fresh.response_types;
        app.redirect_uris = fresh.redirect_uris;
        app.post_logout_redirect_uris = fresh.post_logout_redirect_uris;
        app.token_endpoint_auth_method = fresh.token_endpoint_auth_method;
        app.jwks = fresh.jwks;
        app.refresh_rotation = fresh.refresh_rotation;
        app.refresh_leeway_secs = fresh.refresh_leeway_secs;
        app.client_secret = secret;
        app.last_updated = now;
        let app = app.clone();
        self.log_app(
            now,
            "application.lifecycle.update",
            "Update application",
            &app,
        );
        Ok(app)
    }

    /// Activates or deactivates an app.
    pub fn set_app_active(
        &mut self,
        now: SystemTime,
        id: &str,
        active: bool,
    ) -> Result<App, OktaError> {
        let app = self.app_mut(id)?;
        app.status = if active {
            AppStatus::Active
        } else {
            AppStatus::Inactive
        };
        app.last_updated = now;
        let app = app.clone();
        let (event, message) = if active {
            ("application.lifecycle.activate", "Activate application")
        } else {
            ("application.lifecycle.deactivate", "Deactivate application")
        };
        self.log_app(now, event, message, &app);
        self.prov_touch_app(id, false);
        Ok(app)
    }

    /// Deletes an inactive app.
    pub fn delete_app(&mut self, now: SystemTime, id: &str) -> Result<(), OktaError> {
        let app = self.app(id)?.clone();
        if app.status == AppStatus::Active {
            return Err(OktaError::DeleteActiveApp);
        }
        self.apps.retain(|a| a.id != id);
        self.prov_on_app_deleted(id);
        self.log_app(
            now,
            "application.lifecycle.delete",
            "Delete application",
            &app,
        );
        Ok(())
    }

    /// Assigns a user to an app directly.
    pub fn assign_user(
        &mut self,
        now: SystemTime,
        app_id: &str,
        user_id: &str,
    ) -> Result<(), OktaError> {
        let user = self.user(user_id)?.clone();
        let app = self.app_mut(app_id)?;
        if !app.assigned_users.contains(&user.id) {
            app.assigned_users.push(user.id.clone());
        }
        let label = app.label.clone();
        self.log.record(
            now,
            "application.user_membership.add",
            "Add user to application membership",
            Actor::admin(),
            vec![
                Target::new(&user.id, "User", &user.display_name()),
                Target::new(app_id, "AppInstance", &label),
            ],
            Outcome::success(),
        );
        self.prov_on_assignment(app_id, std::slice::from_ref(&user.id));
        Ok(())
    }

    /// Removes a direct assignment.
    pub fn unassign_user(
        &mut self,
        now: SystemTime,
        app_id: &str,
        user_id: &str,
    ) -> Result<(), OktaError> {
        let user = self.user(user_id)?.clone();
        let app = self.app_mut(app_id)?;
        if !app.assigned_users.contains(&user.id) {
            return Err(OktaError::not_found("AppUser", user_id));
        }
        app.assigned_users.retain(|u| *u != user.id);
        let label = app.label.clone();
        self.log.record(
            now,
            "application.user_membership.remove",
            "Remove user from application membership",
            Actor::admin(),
            vec![
                Target::new(&user.id, "User", &user.display_name()),
                Target::new(app_id, "AppInstance", &label),
            ],
            Outcome::success(),
        );
        self.prov_on_assignment(app_id, std::slice::from_ref(&user.id));
        Ok(())
    }

    /// Assigns a group to an app.
    pub fn assign_group(
        &mut self,
        now: SystemTime,
        app_id: &str,
        group_id: &str,
    ) -> Result<(), OktaError> {
        let (gid, gname, members) = {
            let g = self.group(group_id)?;
            (g.id.clone(), g.name.clone(), g.members.clone())
        };
        let app = self.app_mut(app_id)?;
        if !app.assigned_groups.contains(&gid) {
            app.assigned_groups.push(gid.clone());
        }
        let label = app.label.clone();
        self.log.record(
            now,
            "application.group_membership.add",
            "Add assigned group to application",
            Actor::admin(),
            vec![
                Target::new(&gid, "UserGroup", &gname),
                Target::new(app_id, "AppInstance", &label),
            ],
            Outcome::success(),
        );
        self.prov_on_assignment(app_id, &members);
        Ok(())
    }

    /// Removes a group assignment.
    pub fn unassign_group(
        &mut self,
        now: SystemTime,
        app_id: &str,
        group_id: &str,
    ) -> Result<(), OktaError> {
        let app = self.app_mut(app_id)?;
        if !app.assigned_groups.iter().any(|g| g == group_id) {
            return Err(OktaError::not_found("ApplicationGroupAssignment", group_id));
        }
        app.assigned_groups.retain(|g| g != group_id);
        let label = app.label.clone();
        self.log.record(
            now,
            "application.group_membership.remove",
            "Remove assigned group from application",
            Actor::admin(),
            vec![
                Target::new(group_id, "UserGroup", group_id),
                Target::new(app_id, "AppInstance", &label),
            ],
            Outcome::success(),
        );
        let members = self
            .group(group_id)
            .map(|g| g.members.clone())
            .unwrap_or_default();
        self.prov_on_assignment(app_id, &members);
        Ok(())
    }

    /// Whether the user is assigned to the app, directly or through a group (OKTA-APP-3).
    pub fn is_assigned(&self, app_id: &str, user_id: &str) -> bool {
        self.app(app_id).is_ok_and(|app| {
            app.assigned_users.iter().any(|u| u == user_id)
                || app
                    .assigned_groups
                    .iter()
                    .any(|gid| self.group(gid).is_ok_and(|g| g.members.contains(user_id)))
        })
    }

    /// Users assigned to the app, with `USER` (direct) or `GROUP` scope, in Okta's order:
    /// direct assignments first.
    pub fn app_users(&self, app_id: &str) -> Result<Vec<(&super::User, &'static str)>, OktaError> {
        let app = self.app(app_id)?;
        let mut out: Vec<(&super::User, &'static str)> = app
            .assigned_users
            .iter()
            .filter_map(|id| self.find_user(id))
            .map(|u| (u, "USER"))
            .collect();
        // A set of who is listed already: a linear search per member made listing a large
        // group's assignments quadratic (10,000 members: seconds per page).
        let mut listed: std::collections::HashSet<&str> =
            out.iter().map(|(u, _)| u.id.as_str()).collect();
        for gid in &app.assigned_groups {
            if let Ok(members) = self.group_members(gid) {
                for user in members {
                    if listed.insert(user.id.as_str()) {
                        out.push((user, "GROUP"));
                    }
                }
            }
        }
        Ok(out)
    }

    /// Grants a management API scope to an OIDC app (OKTA-API-10): `issuer` must be the org
    /// URL and `scope` one of [`super::authz::OKTA_SCOPES`]; granting it again returns the
    /// existing grant.
    pub fn grant_scope(
        &mut self,
        now: SystemTime,
        app_id: &str,
        issuer: &str,
        scope: &str,
    ) -> Result<ScopeGrant, OktaError> {
        let app = self.app(app_id)?;
        if app.sign_on_mode != SignOnMode::OpenIdConnect {
            return Err(OktaError::validation(
                "scopeId",
                "scopeId: Scopes can only be granted to OpenID Connect apps",
            ));
        }
        let mut causes = Vec::new();
        if issuer.trim_end_matches('/') != self.org_url {
            causes.push(format!(
                "issuer: The issuer must be the org URL {}",
                self.org_url
            ));
        }
        if !super::authz::OKTA_SCOPES.contains(&scope) {
            causes.push(format!("scopeId: Invalid scope: {scope}"));
        }
        if !causes.is_empty() {
            return Err(OktaError::Validation {
                summary: "grant".into(),
                causes,
            });
        }
        if let Some(existing) = app.scope_grants.iter().find(|g| g.scope == scope) {
            return Ok(existing.clone());
        }
        let id = format!("oag{}", &self.new_id(OktaKind::Scope)[3..]);
        let grant = ScopeGrant {
            id,
            scope: scope.to_string(),
            issuer: self.org_url.clone(),
            created: now,
        };
        let app = self.app_mut(app_id)?;
        app.scope_grants.push(grant.clone());
        let app = app.clone();
        self.log_app(now, "app.oauth2.admin.consent.grant", "Grant consent", &app);
        Ok(grant)
    }

    /// Revokes a scope grant.
    pub fn revoke_scope_grant(
        &mut self,
        now: SystemTime,
        app_id: &str,
        grant_id: &str,
    ) -> Result<(), OktaError> {
        let app = self.app_mut(app_id)?;
        if !app.scope_grants.iter().any(|g| g.id == grant_id) {
            return Err(OktaError::not_found("OAuth2ScopeConsentGrant", grant_id));
        }
        app.scope_grants.retain(|g| g.id != grant_id);
        let app = app.clone();
        self.log_app(
            now,
            "app.oauth2.admin.consent.revoke",
            "Revoke consent",
            &app,
        );
        Ok(())
    }

    fn log_app(&mut self, now: SystemTime, event: &str, message: &str, app: &App) {
        self.log.record(
            now,
            event,
            message,
            Actor::admin(),
            vec![Target::new(&app.id, "AppInstance", &app.label)],
            Outcome::success(),
        );
    }
}

/// Settings that passed validation.
struct Settings {
    label: String,
    application_type: ApplicationType,
    grant_types: Vec<String>,
    response_types: Vec<String>,
    redirect_uris: Vec<String>,
    post_logout_redirect_uris: Vec<String>,
    token_endpoint_auth_method: String,
    jwks: Vec<serde_json::Value>,
    refresh_rotation: RefreshRotation,
    refresh_leeway_secs: u64,
    activate: bool,
}

/// Whether a client with this authentication method has a client secret.
fn uses_secret(method: &str) -> bool {
    method == "client_secret_basic" || method == "client_secret_post"
}

impl Settings {
    /// An app with these settings; identity, timestamps and assignments are the caller's.
    fn into_app(self) -> App {
        App {
            id: String::new(),
            name: String::new(),
            label: self.label,
            status: AppStatus::Inactive,
            sign_on_mode: SignOnMode::OpenIdConnect,
            saml: None,
            created: SystemTime::UNIX_EPOCH,
            last_updated: SystemTime::UNIX_EPOCH,
            application_type: self.application_type,
            grant_types: self.grant_types,
            response_types: self.response_types,
            redirect_uris: self.redirect_uris,
            post_logout_redirect_uris: self.post_logout_redirect_uris,
            token_endpoint_auth_method: self.token_endpoint_auth_method,
            client_secret: None,
            jwks: self.jwks,
            refresh_rotation: self.refresh_rotation,
            refresh_leeway_secs: self.refresh_leeway_secs,
            assigned_users: Vec::new(),
            assigned_groups: Vec::new(),
            scope_grants: Vec::new(),
        }
    }
}

fn validate(new: NewOidcApp) -> Result<Settings, OktaError> {
    let mut causes = Vec::new();
    if new.label.trim().is_empty() {
        causes.push("label: The field cannot be left blank".to_string());
    }
    let grant_types = if new.grant_types.is_empty() {
        vec![if new.application_type == ApplicationType::Service {
            "client_credentials".to_string()
        } else {
            "authorization_code".to_string()
        }]
    } else {
        new.grant_types.clone()
    };
    for g in &grant_types {
        if !GRANT_TYPES.contains(&g.as_str()) {
            causes.push(format!("grant_types: '{g}' is not a valid grant type"));
        }
    }
    if new.application_type == ApplicationType::Native
        && !grant_types.iter().any(|g| g == "authorization_code")
    {
        causes.push(
            "grant_types: Native applications must have the authorization_code grant type."
                .to_string(),
        );
    }
    if grant_types.iter().any(|g| g == "authorization_code") && new.redirect_uris.is_empty() {
        causes.push("redirect_uris: Must specify at least one redirect URI for the authorization_code grant type.".to_string());
    }
    for uri in new
        .redirect_uris
        .iter()
        .chain(&new.post_logout_redirect_uris)
    {
        if !is_absolute_uri(uri) {
            causes.push(format!(
                "redirect_uris: '{uri}' is not a valid redirect URI"
            ));
        }
    }
    let public = matches!(
        new.application_type,
        ApplicationType::Native | ApplicationType::Browser
    );
    let auth_method = new.token_endpoint_auth_method.clone().unwrap_or_else(|| {
        if public {
            "none"
        } else {
            "client_secret_basic"
        }
        .to_string()
    });
    if ![
        "none",
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    ]
    .contains(&auth_method.as_str())
    {
        causes.push(format!(
            "token_endpoint_auth_method: '{auth_method}' is not supported"
        ));
    }
    if auth_method == "private_key_jwt" && new.jwks.is_empty() {
        causes.push(
            "jwks: The 'jwks' field is required when token_endpoint_auth_method is private_key_jwt."
                .into(),
        );
    }
    if new.application_type == ApplicationType::Service {
        if grant_types.iter().any(|g| g != "client_credentials") {
            causes.push(
                "grant_types: Service applications can only use the client_credentials grant type."
                    .into(),
            );
        }
        if auth_method == "none" {
            causes.push(
                "token_endpoint_auth_method: Service applications must authenticate with a client secret or a private key."
                    .into(),
            );
        }
    }
    if !causes.is_empty() {
        return Err(OktaError::Validation {
            summary: "settings.oauthClient".into(),
            causes,
        });
    }
    Ok(Settings {
        label: new.label.trim().to_string(),
        application_type: new.application_type,
        grant_types,
        response_types: if new.response_types.is_empty() {
            vec!["code".into()]
        } else {
            new.response_types
        },
        redirect_uris: new.redirect_uris,
        post_logout_redirect_uris: new.post_logout_redirect_uris,
        token_endpoint_auth_method: auth_method,
        jwks: new.jwks,
        refresh_rotation: new.refresh_rotation.unwrap_or(RefreshRotation::Rotate),
        refresh_leeway_secs: new.refresh_leeway_secs.unwrap_or(30),
        activate: new.activate,
    })
}

fn is_absolute_uri(uri: &str) -> bool {
    let Some((scheme, rest)) = uri.split_once(':') else {
        return false;
    };
    !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && scheme
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
        && !rest.is_empty()
        && !uri.contains(char::is_whitespace)
        && !uri.contains('#')
}
