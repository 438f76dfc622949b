//! The app catalog (Okta Integration Network) and instances of catalog apps (BEHAVIOURS.md
//! OKTA-APP-4).
//!
//! The catalog offers "AWS IAM Identity Center" (`amazon_aws_sso`): a SAML 2.0 app whose SAML
//! settings (ACS URL, issuer URL) can be left as defaults because Kiro signs users in through
//! the OIDC app, and whose provisioning (SCIM 2.0 with an API token: create users, update user
//! attributes, deactivate users, push groups) is what Kiro relies on. Adding it creates an app
//! instance like any other app (`0oa…`, assignable to users and groups), with provisioning
//! configured but not enabled (see [`super::provisioning`]).

use std::time::SystemTime;

use sim_core::ids::OktaKind;

use super::apps::{App, AppStatus, ApplicationType, RefreshRotation, SamlSettings, SignOnMode};
use super::{OktaError, Org};

/// A catalog entry (an OIN app one can add).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CatalogApp {
    /// The app name instances carry (`amazon_aws_sso`).
    pub name: &'static str,
    /// As the catalog shows it.
    pub display_name: &'static str,
    /// One line about it.
    pub description: &'static str,
    /// The catalog's category.
    pub category: &'static str,
    /// Sign-on modes offered (the first is the default).
    pub sign_on_modes: &'static [SignOnMode],
    /// Okta's feature names of the integration.
    pub features: &'static [&'static str],
    /// Whether it supports SCIM provisioning (To App features, mappings, group push).
    pub provisioning: bool,
}

/// AWS IAM Identity Center (formerly AWS SSO), the app Kiro's guide adds for SCIM.
pub const AWS_IAM_IDENTITY_CENTER: CatalogApp = CatalogApp {
    name: "amazon_aws_sso",
    display_name: "AWS IAM Identity Center",
    description: "Single sign-on to AWS accounts and applications, with SCIM 2.0 user and group provisioning.",
    category: "Developer Tools",
    sign_on_modes: &[SignOnMode::Saml2],
    features: &[
        "PUSH_NEW_USERS",
        "PUSH_PROFILE_UPDATES",
        "PUSH_USER_DEACTIVATION",
        "REACTIVATE_USERS",
        "GROUP_PUSH",
    ],
    provisioning: true,
};

/// Every entry, in catalog order.
pub const CATALOG: &[CatalogApp] = &[AWS_IAM_IDENTITY_CENTER];

/// The entry named `name`.
pub fn catalog_app(name: &str) -> Option<&'static CatalogApp> {
    CATALOG.iter().find(|c| c.name == name)
}

/// Entries whose display name or name contains `q` (case-insensitive); all without `q`.
pub fn search(q: Option<&str>) -> Vec<&'static CatalogApp> {
    let q = q.map(str::to_lowercase);
    CATALOG
        .iter()
        .filter(|c| {
            q.as_deref().is_none_or(|q| {
                c.display_name.to_lowercase().contains(q) || c.name.to_lowercase().contains(q)
            })
        })
        .collect()
}

/// What adding a catalog app takes.
#[derive(Clone, Debug, Default)]
pub struct NewCatalogApp {
    /// The catalog name (`amazon_aws_sso`).
    pub name: String,
    /// Label; defaults to the catalog's display name.
    pub label: Option<String>,
    /// `signOnMode`; must be one the entry offers.
    pub sign_on_mode: Option<String>,
    /// The SAML settings (`settings.app`); all optional.
    pub saml: SamlSettings,
    /// Activate at once (the default).
    pub activate: bool,
}

impl Org {
    /// Adds an instance of a catalog app (BEHAVIOURS.md OKTA-APP-4). Apps with provisioning get
    /// their provisioning state: connection not enabled, every To App feature off, the entry's
    /// default attribute mappings.
    pub fn create_catalog_app(
        &mut self,
        now: SystemTime,
        new: NewCatalogApp,
    ) -> Result<App, OktaError> {
        let entry = catalog_app(&new.name).ok_or_else(|| unknown_app(&new.name))?;
        let sign_on_mode = sign_on_mode(entry, new.sign_on_mode.as_deref())?;
        let label = label(entry, new.label.as_deref())?;
        validate_saml(&new.saml)?;
        let id = self.new_id(OktaKind::App);
        let app = App {
            id,
            name: entry.name.to_string(),
            label,
            status: if new.activate {
                AppStatus::Active
            } else {
                AppStatus::Inactive
            },
            sign_on_mode,
            saml: Some(new.saml),
            created: now,
            last_updated: now,
            application_type: ApplicationType::Web,
            grant_types: Vec::new(),
            response_types: Vec::new(),
            redirect_uris: Vec::new(),
            post_logout_redirect_uris: Vec::new(),
            token_endpoint_auth_method: "none".into(),
            client_secret: None,
            jwks: Vec::new(),
            refresh_rotation: RefreshRotation::Rotate,
            refresh_leeway_secs: 0,
            assigned_users: Vec::new(),
            assigned_groups: Vec::new(),
            scope_grants: Vec::new(),
        };
        self.apps.push(app.clone());
        if entry.provisioning {
            self.init_provisioning(now, &app.id);
        }
        self.log.record(
            now,
            "application.lifecycle.create",
            "Create application",
            super::Actor::admin(),
            vec![super::Target::new(&app.id, "AppInstance", &app.label)],
            super::Outcome::success(),
        );
        Ok(app)
    }

    /// Replaces a catalog app's label and SAML settings (PUT), keeping everything else.
    pub fn update_catalog_app(
        &mut self,
        now: SystemTime,
        id: &str,
        new: NewCatalogApp,
    ) -> Result<App, OktaError> {
        let current = self.app(id)?;
        let entry = catalog_app(&current.name).ok_or_else(|| unknown_app(&current.name))?;
        if new.name != entry.name {
            return Err(OktaError::validation(
                "name",
                format!(
                    "name: An app's name cannot change ('{}' to '{}')",
                    entry.name, new.name
                ),
            ));
        }
        sign_on_mode(entry, new.sign_on_mode.as_deref())?;
        let label = label(entry, new.label.as_deref())?;
        validate_saml(&new.saml)?;
        let app = self
            .apps
            .iter_mut()
            .find(|a| a.id == id)
            .ok_or_else(|| OktaError::not_found("AppInstance", id))?;
        app.label = label;
        app.saml = Some(new.saml);
        app.last_updated = now;
        let app = app.clone();
        self.log.record(
            now,
            "application.lifecycle.update",
            "Update application",
            super::Actor::admin(),
            vec![super::Target::new(&app.id, "AppInstance", &app.label)],
            super::Outcome::success(),
        );
        Ok(app)
    }
}

fn unknown_app(name: &str) -> OktaError {
    let mut names = vec!["oidc_client"];
    names.extend(CATALOG.iter().map(|c| c.name));
    OktaError::validation(
        "name",
        format!(
            "name: The app '{name}' is not available in this org ({})",
            names.join(", ")
        ),
    )
}

fn sign_on_mode(entry: &CatalogApp, given: Option<&str>) -> Result<SignOnMode, OktaError> {
    let default = entry.sign_on_modes[0];
    match given {
        None => Ok(default),
        Some(mode) => entry
            .sign_on_modes
            .iter()
            .copied()
            .find(|m| m.as_str() == mode)
            .ok_or_else(|| {
                let offered: Vec<&str> = entry.sign_on_modes.iter().map(|m| m.as_str()).collect();
                OktaError::validation(
                    "signOnMode",
                    format!(
                        "signOnMode: '{mode}' is not valid for {} ({})",
                        entry.name,
                        offered.join(", ")
                    ),
                )
            }),
    }
}

fn label(entry: &CatalogApp, given: Option<&str>) -> Result<String, OktaError> {
    match given.map(str::trim) {
        None => Ok(entry.display_name.to_string()),
        Some("") => Err(OktaError::validation(
            "label",
            "label: The field cannot be left blank",
        )),
        Some(label) => Ok(label.to_string()),
    }
}

fn validate_saml(saml: &SamlSettings) -> Result<(), OktaError> {
    let mut causes = Vec::new();
    for (field, value) in [("acsURL", &saml.acs_url), ("entityID", &saml.entity_id)] {
        if let Some(v) = value
            && !(v.starts_with("https://") || v.starts_with("http://"))
        {
            causes.push(format!("settings.app.{field}: '{v}' is not a valid URL"));
        }
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(OktaError::Validation {
            summary: "settings.app".into(),
            causes,
        })
    }
}
