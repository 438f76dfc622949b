//! What the admin configures for provisioning (OKTA-PROV-1, -2, -5, -6): the connection, the
//! To App features, the attribute mappings (Okta user → app user) and the group push
//! mappings; each change is logged and marks the resources it touches runnable.

use std::collections::{BTreeSet, HashMap};
use std::time::SystemTime;

use serde_json::{Map, Value};

use super::{Changed, GroupPush, Provisioning, PushMappingStatus, ResourceKey, not_provisioning};
use crate::core::log::{Actor, Outcome, Target};
use crate::core::{OktaError, Org};

/// The provisioning connection (`/api/v1/apps/{id}/connections/default`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Connection {
    /// The SCIM base URL (`…/scim/v2`), without a trailing slash.
    pub base_url: Option<String>,
    /// The API token sent as `Authorization: Bearer …` (never shown by the API).
    pub(crate) token: Option<String>,
    /// "Enable API integration".
    pub enabled: bool,
}

impl Connection {
    /// Whether a token is set.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// Base URL and token when the connection is enabled and complete.
    pub(super) fn ready(&self) -> Option<(&str, &str)> {
        match (self.enabled, &self.base_url, &self.token) {
            (true, Some(base), Some(token)) => Some((base, token)),
            _ => None,
        }
    }
}

/// The To App features (`USER_PROVISIONING` capabilities), each off by default (OKTA-PROV-2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Features {
    /// Create Users (`create.lifecycleCreate`).
    pub create_users: bool,
    /// Update User Attributes (`update.profile`).
    pub update_attributes: bool,
    /// Deactivate Users (`update.lifecycleDeactivate`), which also reactivates.
    pub deactivate_users: bool,
}

/// `pushStatus` of a property mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PushStatus {
    /// `PUSH`.
    Push,
    /// `DONT_PUSH`.
    DontPush,
}

impl PushStatus {
    /// As Okta spells it.
    pub fn as_str(&self) -> &'static str {
        match self {
            PushStatus::Push => "PUSH",
            PushStatus::DontPush => "DONT_PUSH",
        }
    }

    /// Parses Okta's spelling.
    pub fn parse(s: &str) -> Option<PushStatus> {
        match s {
            "PUSH" => Some(PushStatus::Push),
            "DONT_PUSH" => Some(PushStatus::DontPush),
            _ => None,
        }
    }
}

/// A change to one property mapping: the app-user attribute, and its new expression and
/// push status (`None` removes the mapping).
pub type MappingChange = (String, Option<(String, Option<PushStatus>)>);

/// One property mapping: app-user attribute ← Okta expression.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PropertyMapping {
    /// The app-user attribute (`givenName`, `department`, …).
    pub target: String,
    /// The expression as given (`user.firstName`).
    pub expression: String,
    /// `PUSH` or `DONT_PUSH` (kept and shown).
    pub push_status: PushStatus,
    terms: Vec<Term>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum Term {
    /// `user.{attr}`: an Okta profile attribute.
    Attr(String),
    /// `"text"`.
    Literal(String),
}

impl PropertyMapping {
    /// A mapping; the expression must be `user.attr` and `"literal"` terms joined by `+`.
    pub fn new(
        target: &str,
        expression: &str,
        push_status: PushStatus,
    ) -> Result<PropertyMapping, String> {
        Ok(PropertyMapping {
            target: target.to_string(),
            expression: expression.to_string(),
            push_status,
            terms: parse_expression(expression)?,
        })
    }

    /// The value for a user's profile: `None` when every attribute it reads is missing or
    /// the result is empty.
    pub(super) fn eval(&self, profile: &Map<String, Value>) -> Option<String> {
        let mut out = String::new();
        let mut any = false;
        for term in &self.terms {
            match term {
                Term::Literal(text) => out.push_str(text),
                Term::Attr(attr) => match profile.get(attr) {
                    Some(Value::String(s)) if !s.is_empty() => {
                        any = true;
                        out.push_str(s);
                    }
                    Some(Value::Null) | None => {}
                    Some(Value::String(_)) => {}
                    Some(other) => {
                        any = true;
                        out.push_str(&other.to_string());
                    }
                },
            }
        }
        let out = out.trim().to_string();
        (any && !out.is_empty()).then_some(out)
    }
}

fn parse_expression(text: &str) -> Result<Vec<Term>, String> {
    let bad = || {
        format!("'{text}' is not a supported expression (user.attribute and \"text\" joined by +)")
    };
    let mut terms = Vec::new();
    let mut rest = text.trim();
    loop {
        if let Some(after) = rest.strip_prefix('"') {
            let end = after.find('"').ok_or_else(bad)?;
            terms.push(Term::Literal(after[..end].to_string()));
            rest = after[end + 1..].trim_start();
        } else {
            let end = rest.find(['+', ' ']).unwrap_or(rest.len());
            let word = &rest[..end];
            let attr = word
                .strip_prefix("user.")
                .or_else(|| word.strip_prefix("source."))
                .filter(|a| {
                    !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                })
                .ok_or_else(bad)?;
            terms.push(Term::Attr(attr.to_string()));
            rest = rest[end..].trim_start();
        }
        if rest.is_empty() {
            return Ok(terms);
        }
        rest = rest.strip_prefix('+').ok_or_else(bad)?.trim_start();
        if rest.is_empty() {
            return Err(bad());
        }
    }
}

/// The app-user profile of AWS IAM Identity Center, in its order: attribute and default
/// mapping (sim choice where Okta's exact default is not documented: `displayName` is first
/// and last name, as IdC requires one). Where each goes in a SCIM User is the engine's
/// (`crate::provisioning::scim`).
pub const APP_USER_ATTRIBUTES: &[(&str, Option<&str>)] = &[
    ("givenName", Some("user.firstName")),
    ("familyName", Some("user.lastName")),
    ("middleName", None),
    ("honorificPrefix", None),
    ("honorificSuffix", None),
    ("email", Some("user.email")),
    (
        "displayName",
        Some("user.firstName + \" \" + user.lastName"),
    ),
    ("nickName", Some("user.nickName")),
    ("profileUrl", Some("user.profileUrl")),
    ("title", Some("user.title")),
    ("userType", Some("user.userType")),
    ("preferredLanguage", Some("user.preferredLanguage")),
    ("locale", Some("user.locale")),
    ("timezone", Some("user.timezone")),
    ("primaryPhone", Some("user.primaryPhone")),
    ("employeeNumber", Some("user.employeeNumber")),
    ("costCenter", Some("user.costCenter")),
    ("organization", Some("user.organization")),
    ("division", Some("user.division")),
    ("department", Some("user.department")),
];

/// The place of an app-user attribute in the profile, if it is one.
fn position_of(attr: &str) -> Option<usize> {
    APP_USER_ATTRIBUTES.iter().position(|(a, _)| *a == attr)
}

/// The default mappings of AWS IAM Identity Center (`department` and `employeeNumber`
/// included).
pub fn default_mappings() -> Vec<PropertyMapping> {
    APP_USER_ATTRIBUTES
        .iter()
        .filter_map(|(target, expression)| {
            expression.and_then(|e| PropertyMapping::new(target, e, PushStatus::Push).ok())
        })
        .collect()
}

impl Org {
    // ---- set-up --------------------------------------------------------------------------

    fn new_prefixed_id(&mut self, prefix: &str) -> String {
        format!("{prefix}{}", sim_core::ids::secret(&mut self.ids, 17))
    }

    /// Gives a new catalog app its provisioning state.
    pub(crate) fn init_provisioning(&mut self, now: SystemTime, app_id: &str) {
        if self.prov.user_type_id.is_none() {
            self.prov.user_type_id = Some(self.new_prefixed_id("oty"));
        }
        let mapping_id = self.new_prefixed_id("prm");
        self.prov.apps.insert(
            app_id.to_string(),
            Provisioning {
                connection: Connection::default(),
                features: Features::default(),
                mapping_id,
                mappings: default_mappings(),
                last_updated: now,
                users: HashMap::new(),
                pushes: Vec::new(),
                assigned: None,
                pushes_queued: false,
            },
        );
    }

    /// The provisioning state of an app, if it has one.
    pub fn provisioning(&self, app_id: &str) -> Option<&Provisioning> {
        self.prov.apps.get(app_id)
    }

    fn prov_of(&self, app_id: &str) -> Result<&Provisioning, OktaError> {
        self.app(app_id)?;
        self.prov
            .apps
            .get(app_id)
            .ok_or_else(|| not_provisioning(app_id))
    }

    fn prov_mut(&mut self, app_id: &str) -> Result<&mut Provisioning, OktaError> {
        self.app(app_id)?;
        self.prov
            .apps
            .get_mut(app_id)
            .ok_or_else(|| not_provisioning(app_id))
    }

    /// The id of the default user type (`oty…`), once a provisioning app exists.
    pub fn user_type_id(&self) -> Option<&str> {
        self.prov.user_type_id.as_deref()
    }

    fn log_app_change(&mut self, now: SystemTime, app_id: &str, event: &str, message: &str) {
        let label = self
            .app(app_id)
            .map(|a| a.label.clone())
            .unwrap_or_default();
        self.log.record(
            now,
            event,
            message,
            Actor::admin(),
            vec![Target::new(app_id, "AppInstance", &label)],
            Outcome::success(),
        );
    }

    // ---- connection (OKTA-PROV-1) --------------------------------------------------------

    /// The provisioning connection of an app.
    pub fn connection(&self, app_id: &str) -> Result<&Connection, OktaError> {
        Ok(&self.prov_of(app_id)?.connection)
    }

    /// Sets the connection's base URL and token ("Configure API integration"); `activate`
    /// enables or disables it too. A missing token keeps the current one.
    pub fn set_connection(
        &mut self,
        now: SystemTime,
        app_id: &str,
        base_url: &str,
        token: Option<String>,
        activate: Option<bool>,
    ) -> Result<Connection, OktaError> {
        let base = base_url.trim().trim_end_matches('/').to_string();
        let valid = (base.starts_with("http://") || base.starts_with("https://"))
            && base.len() > "https://".len()
            && !base.contains(char::is_whitespace);
        if !valid {
            return Err(OktaError::validation(
                "baseUrl",
                format!("baseUrl: '{base_url}' is not a valid URL"),
            ));
        }
        let current = self.prov_of(app_id)?;
        let token = match token.map(|t| t.trim().to_string()) {
            Some(t) if !t.is_empty() => Some(t),
            Some(_) => {
                return Err(OktaError::validation(
                    "profile.token",
                    "profile.token: The field cannot be left blank",
                ));
            }
            None => current.connection.token.clone(),
        };
        if token.is_none() {
            return Err(OktaError::validation(
                "profile.token",
                "profile.token: The field cannot be left blank",
            ));
        }
        let p = self.prov_mut(app_id)?;
        p.connection.base_url = Some(base);
        p.connection.token = token;
        if let Some(enabled) = activate {
            p.connection.enabled = enabled;
        }
        p.last_updated = now;
        let connection = p.connection.clone();
        self.log_app_change(
            now,
            app_id,
            "application.configuration.update",
            "Update provisioning connection",
        );
        self.prov_touch_app(app_id, true);
        Ok(connection)
    }

    /// Enables or disables the connection (`/connections/default/lifecycle/…`). Enabling
    /// needs a base URL and token.
    pub fn set_connection_enabled(
        &mut self,
        now: SystemTime,
        app_id: &str,
        enabled: bool,
    ) -> Result<Connection, OktaError> {
        let p = self.prov_mut(app_id)?;
        if enabled && (p.connection.base_url.is_none() || p.connection.token.is_none()) {
            return Err(OktaError::validation(
                "baseUrl",
                "baseUrl: Configure the base URL and API token before enabling the connection",
            ));
        }
        p.connection.enabled = enabled;
        p.last_updated = now;
        let connection = p.connection.clone();
        let message = if enabled {
            "Activate provisioning connection"
        } else {
            "Deactivate provisioning connection"
        };
        self.log_app_change(now, app_id, "application.configuration.update", message);
        self.prov_touch_app(app_id, true);
        Ok(connection)
    }

    /// What "Test API Credentials" calls: base URL and token, the given ones overriding the
    /// saved ones.
    pub fn connection_test_target(
        &self,
        app_id: &str,
        base_url: Option<&str>,
        token: Option<&str>,
    ) -> Result<(String, String), OktaError> {
        let c = self.connection(app_id)?;
        let base = base_url
            .map(|b| b.trim().trim_end_matches('/').to_string())
            .or_else(|| c.base_url.clone())
            .ok_or_else(|| {
                OktaError::validation("baseUrl", "baseUrl: The field cannot be left blank")
            })?;
        let token = token
            .map(str::to_string)
            .or_else(|| c.token.clone())
            .ok_or_else(|| {
                OktaError::validation(
                    "profile.token",
                    "profile.token: The field cannot be left blank",
                )
            })?;
        Ok((base, token))
    }

    /// Records a failed "Test API Credentials" in the System Log.
    pub fn record_connection_test_failure(&mut self, now: SystemTime, app_id: &str, error: &str) {
        let label = self
            .app(app_id)
            .map(|a| a.label.clone())
            .unwrap_or_default();
        self.log.record(
            now,
            "application.integration.authentication_failure",
            "Authentication failure while testing API credentials",
            Actor::admin(),
            vec![Target::new(app_id, "AppInstance", &label)],
            Outcome::failure(error),
        );
    }

    // ---- features (OKTA-PROV-2) ----------------------------------------------------------

    /// The To App features.
    pub fn features(&self, app_id: &str) -> Result<Features, OktaError> {
        Ok(self.prov_of(app_id)?.features)
    }

    /// Turns To App features on or off (`None` leaves one as it is).
    pub fn set_features(
        &mut self,
        now: SystemTime,
        app_id: &str,
        create_users: Option<bool>,
        update_attributes: Option<bool>,
        deactivate_users: Option<bool>,
    ) -> Result<Features, OktaError> {
        let p = self.prov_mut(app_id)?;
        if let Some(v) = create_users {
            p.features.create_users = v;
        }
        if let Some(v) = update_attributes {
            p.features.update_attributes = v;
        }
        if let Some(v) = deactivate_users {
            p.features.deactivate_users = v;
        }
        p.last_updated = now;
        let features = p.features;
        self.log_app_change(
            now,
            app_id,
            "application.lifecycle.update",
            "Update provisioning features",
        );
        self.prov_touch_app(app_id, true);
        Ok(features)
    }

    // ---- mappings (OKTA-PROV-6) ----------------------------------------------------------

    /// Profile mappings (Okta user → app user) of every provisioning app, in app order, as
    /// `(app id, mapping id)`.
    pub fn profile_mappings(&self) -> Vec<(&str, &Provisioning)> {
        self.apps
            .iter()
            .filter_map(|a| self.prov.apps.get(&a.id).map(|p| (a.id.as_str(), p)))
            .collect()
    }

    /// The profile mapping `id`: its app and provisioning state.
    pub fn profile_mapping(&self, id: &str) -> Result<(&str, &Provisioning), OktaError> {
        self.profile_mappings()
            .into_iter()
            .find(|(_, p)| p.mapping_id == id)
            .ok_or_else(|| OktaError::not_found("ProfileMapping", id))
    }

    /// Adds, changes (`Some`) or removes (`None`) property mappings, all or nothing.
    pub fn update_profile_mapping(
        &mut self,
        now: SystemTime,
        id: &str,
        changes: Vec<MappingChange>,
    ) -> Result<(), OktaError> {
        let app_id = self.profile_mapping(id)?.0.to_string();
        let mut mappings = self.prov_of(&app_id)?.mappings.clone();
        let mut causes = Vec::new();
        for (target, change) in changes {
            let Some(index) = position_of(&target) else {
                causes.push(format!(
                    "properties.{target}: '{target}' is not an attribute of the app user profile"
                ));
                continue;
            };
            match change {
                None => mappings.retain(|m| m.target != target),
                Some((expression, push_status)) => {
                    let status = push_status.unwrap_or(PushStatus::Push);
                    match PropertyMapping::new(&target, &expression, status) {
                        Ok(m) => {
                            mappings.retain(|m| m.target != target);
                            let at = mappings
                                .iter()
                                .position(|m| position_of(&m.target).is_some_and(|i| i > index))
                                .unwrap_or(mappings.len());
                            mappings.insert(at, m);
                        }
                        Err(why) => causes.push(format!("properties.{target}.expression: {why}")),
                    }
                }
            }
        }
        if !causes.is_empty() {
            return Err(OktaError::Validation {
                summary: "properties".into(),
                causes,
            });
        }
        let p = self.prov_mut(&app_id)?;
        p.mappings = mappings;
        p.last_updated = now;
        self.log_app_change(
            now,
            &app_id,
            "application.lifecycle.update",
            "Update profile mappings",
        );
        // Users get their new attributes; group pushes wait for the admin's retry.
        self.prov_touch_users(&app_id, true);
        Ok(())
    }

    // ---- group push mappings (OKTA-PROV-5, OKTA-PROV-6) ----------------------------------

    /// The group push mappings of an app.
    pub fn push_mappings(&self, app_id: &str) -> Result<&[GroupPush], OktaError> {
        Ok(&self.prov_of(app_id)?.pushes)
    }

    /// One group push mapping.
    pub fn push_mapping(&self, app_id: &str, id: &str) -> Result<&GroupPush, OktaError> {
        self.push_mappings(app_id)?
            .iter()
            .find(|m| m.id == id && m.deleting.is_none())
            .ok_or_else(|| OktaError::not_found("GroupPushMapping", id))
    }

    /// Pushes a group ("Push Groups", "Find groups by name"): a new downstream group named
    /// `target_name` (default: the group's name), or a link to the existing `target_group_id`.
    pub fn create_push_mapping(
        &mut self,
        now: SystemTime,
        app_id: &str,
        source_group_id: &str,
        target_name: Option<String>,
        target_group_id: Option<String>,
        active: bool,
    ) -> Result<GroupPush, OktaError> {
        let group = self.group(source_group_id)?.clone();
        let p = self.prov_of(app_id)?;
        if p.pushes
            .iter()
            .any(|m| m.source_group_id == group.id && m.deleting.is_none())
        {
            return Err(OktaError::validation(
                "sourceGroupId",
                format!(
                    "sourceGroupId: The group '{}' is already pushed to this app",
                    group.name
                ),
            ));
        }
        if let Some(name) = &target_name
            && name.trim().is_empty()
        {
            return Err(OktaError::validation(
                "targetGroupName",
                "targetGroupName: The field cannot be left blank",
            ));
        }
        let id = self.new_prefixed_id("gmr");
        let push = GroupPush {
            id,
            source_group_id: group.id.clone(),
            source_name: group.name.clone(),
            pushed_name: target_group_id
                .as_ref()
                .map(|_| target_name.clone().unwrap_or_else(|| group.name.clone())),
            target_group_id,
            target_name: target_name.filter(|n| *n != group.name),
            pushed_members: BTreeSet::new(),
            status: if active {
                PushMappingStatus::Active
            } else {
                PushMappingStatus::Inactive
            },
            error_summary: None,
            blocked: false,
            verify_first: false,
            deleting: None,
            created: now,
            last_updated: now,
            last_push: None,
            attempts: 0,
            retry_at: None,
            changed: Changed::default(),
        };
        self.prov_mut(app_id)?.pushes.push(push.clone());
        let label = self
            .app(app_id)
            .map(|a| a.label.clone())
            .unwrap_or_default();
        self.log.record(
            now,
            "application.provision.group_push.mapping.created",
            "Group push mapping created",
            Actor::admin(),
            vec![
                Target::new(&group.id, "UserGroup", &group.name),
                Target::new(app_id, "AppInstance", &label),
            ],
            Outcome::success(),
        );
        self.prov.queue.push(ResourceKey::Group {
            app: app_id.to_string(),
            mapping: push.id.clone(),
        });
        Ok(push)
    }

    /// Activates (retries, "Push now") or deactivates a push mapping.
    pub fn set_push_mapping_status(
        &mut self,
        now: SystemTime,
        app_id: &str,
        id: &str,
        active: bool,
    ) -> Result<GroupPush, OktaError> {
        self.push_mapping(app_id, id)?;
        let retry_at = {
            let p = self.prov_mut(app_id)?;
            let Some(m) = p.pushes.iter_mut().find(|m| m.id == id) else {
                return Err(OktaError::not_found("GroupPushMapping", id));
            };
            let retry_at = m.retry_at.take();
            m.status = if active {
                PushMappingStatus::Active
            } else {
                PushMappingStatus::Inactive
            };
            m.blocked = false;
            m.error_summary = None;
            m.attempts = 0;
            m.last_updated = now;
            retry_at
        };
        let key = ResourceKey::Group {
            app: app_id.to_string(),
            mapping: id.to_string(),
        };
        if let Some(at) = retry_at {
            self.prov.queue.waiting.remove(&(at, key.clone()));
        }
        self.prov.queue.push(key);
        let push = self.push_mapping(app_id, id)?.clone();
        let (event, message) = if active {
            (
                "application.provision.group_push.activate_mapping",
                "Activate group push mapping",
            )
        } else {
            (
                "application.provision.group_push.deactivate_mapping",
                "Deactivate group push mapping",
            )
        };
        let label = self
            .app(app_id)
            .map(|a| a.label.clone())
            .unwrap_or_default();
        self.log.record(
            now,
            event,
            message,
            Actor::admin(),
            vec![
                Target::new(&push.source_group_id, "UserGroup", &push.source_name),
                Target::new(app_id, "AppInstance", &label),
            ],
            Outcome::success(),
        );
        Ok(push)
    }

    /// Unlinks a pushed group; with `delete_target` the downstream group is deleted too (a
    /// push of its own). Only an INACTIVE mapping can be deleted, as in Okta.
    pub fn delete_push_mapping(
        &mut self,
        now: SystemTime,
        app_id: &str,
        id: &str,
        delete_target: bool,
    ) -> Result<(), OktaError> {
        let push = self.push_mapping(app_id, id)?.clone();
        if push.status != PushMappingStatus::Inactive {
            return Err(OktaError::validation(
                "status",
                "status: Deactivate the group push mapping before deleting it",
            ));
        }
        let label = self
            .app(app_id)
            .map(|a| a.label.clone())
            .unwrap_or_default();
        self.log.record(
            now,
            "application.provision.group_push.removed",
            "Group push mapping removed",
            Actor::admin(),
            vec![
                Target::new(&push.source_group_id, "UserGroup", &push.source_name),
                Target::new(app_id, "AppInstance", &label),
            ],
            Outcome::success(),
        );
        self.unlink_push(app_id, id, delete_target);
        Ok(())
    }

    pub(super) fn unlink_push(&mut self, app_id: &str, id: &str, delete_target: bool) {
        let Some(p) = self.prov.apps.get_mut(app_id) else {
            return;
        };
        let Some(m) = p.pushes.iter_mut().find(|m| m.id == id) else {
            return;
        };
        if delete_target && m.target_group_id.is_some() {
            m.deleting = Some(true);
            m.status = PushMappingStatus::Inactive;
            let retry_at = m.retry_at.take();
            m.attempts = 0;
            let key = ResourceKey::Group {
                app: app_id.to_string(),
                mapping: id.to_string(),
            };
            if let Some(at) = retry_at {
                self.prov.queue.waiting.remove(&(at, key.clone()));
            }
            self.prov.queue.push(key);
        } else {
            let retry_at = m.retry_at;
            p.pushes.retain(|m| m.id != id);
            let key = ResourceKey::Group {
                app: app_id.to_string(),
                mapping: id.to_string(),
            };
            if let Some(at) = retry_at {
                self.prov.queue.waiting.remove(&(at, key));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn expressions_parse_attributes_and_literals() {
        let m = PropertyMapping::new(
            "displayName",
            "user.firstName + \" \" + user.lastName",
            PushStatus::Push,
        )
        .expect("valid");
        let profile = json!({ "firstName": "Ada", "lastName": "Lovelace" });
        let profile = profile.as_object().expect("object");
        assert_eq!(m.eval(profile).as_deref(), Some("Ada Lovelace"));
        let missing =
            PropertyMapping::new("department", "user.department", PushStatus::Push).expect("valid");
        assert_eq!(missing.eval(profile), None);
        for bad in [
            "",
            "firstName",
            "user.",
            "user.a +",
            "\"open",
            "user.a - user.b",
        ] {
            assert!(
                PropertyMapping::new("x", bad, PushStatus::Push).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn defaults_include_department_and_employee_number() {
        let targets: Vec<String> = default_mappings().into_iter().map(|m| m.target).collect();
        assert!(targets.iter().any(|t| t == "department"));
        assert!(targets.iter().any(|t| t == "employeeNumber"));
        assert_eq!(
            targets[..4],
            ["givenName", "familyName", "email", "displayName"]
        );
    }
}
