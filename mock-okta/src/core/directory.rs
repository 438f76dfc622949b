//! Users, groups and factors (BEHAVIOURS.md OKTA-DIR-1..2, OKTA-TOK-7).
//!
//! User lifecycle as Okta has it: created with `activate=false` → STAGED; activated without a
//! password → PROVISIONED (pending the user's activation), with one → ACTIVE; ACTIVE ⇄
//! SUSPENDED; any → DEPROVISIONED by deactivation; deleting a DEPROVISIONED user removes it,
//! deleting any other deactivates it first. Only ACTIVE users can sign in.

use std::time::SystemTime;

use serde_json::{Map, Value};
use sim_core::ids::OktaKind;

use super::filter::Expr;
use super::log::{Actor, Outcome, Target};
use super::{OktaError, Org};
use sim_core::totp;

/// The lifecycle status of a user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum UserStatus {
    /// Created, not activated.
    Staged,
    /// Activated by an admin, waiting for the user to set a password.
    Provisioned,
    /// Can sign in.
    Active,
    /// Temporarily blocked by an admin.
    Suspended,
    /// Deactivated.
    Deprovisioned,
}

impl UserStatus {
    /// As Okta spells it.
    pub fn as_str(&self) -> &'static str {
        match self {
            UserStatus::Staged => "STAGED",
            UserStatus::Provisioned => "PROVISIONED",
            UserStatus::Active => "ACTIVE",
            UserStatus::Suspended => "SUSPENDED",
            UserStatus::Deprovisioned => "DEPROVISIONED",
        }
    }
}

/// A TOTP factor enrolled for a user.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Factor {
    /// `mfa…` id.
    pub id: String,
    /// Base32 shared secret.
    pub secret: String,
    /// `PENDING_ACTIVATION` until a first code is verified, then `ACTIVE`.
    pub active: bool,
    /// When it was enrolled.
    pub created: SystemTime,
}

/// An Okta user.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct User {
    /// `00u…` id.
    pub id: String,
    /// Lifecycle status.
    pub status: UserStatus,
    /// When created.
    pub created: SystemTime,
    /// When last activated.
    pub activated: Option<SystemTime>,
    /// When the status last changed.
    pub status_changed: Option<SystemTime>,
    /// Last successful sign-in.
    pub last_login: Option<SystemTime>,
    /// Last change of any kind.
    pub last_updated: SystemTime,
    /// When the password was set.
    pub password_changed: Option<SystemTime>,
    /// Profile attributes (`login`, `email`, `firstName`, `lastName`, …).
    pub profile: Map<String, Value>,
    /// Salted SHA-256 of the password.
    pub(crate) password_hash: Option<[u8; 32]>,
    /// Enrolled factors.
    pub factors: Vec<Factor>,
    /// What `q` searches, lowercased in one string (see [`search_text`]), kept with the profile.
    pub(crate) search: Option<String>,
}

impl User {
    /// The `login` profile attribute.
    pub fn login(&self) -> &str {
        self.profile_str("login")
    }

    /// A string profile attribute, or "".
    pub fn profile_str(&self, key: &str) -> &str {
        self.profile.get(key).and_then(Value::as_str).unwrap_or("")
    }

    /// `firstName lastName`.
    pub fn display_name(&self) -> String {
        format!(
            "{} {}",
            self.profile_str("firstName"),
            self.profile_str("lastName")
        )
        .trim()
        .to_string()
    }

    /// Whether the user has an active TOTP factor.
    pub fn has_active_factor(&self) -> bool {
        self.factors.iter().any(|f| f.active)
    }

    fn attribute(&self, attr: &str) -> Option<String> {
        let ts = |t: Option<SystemTime>| t.map(|t| humantime::format_rfc3339_millis(t).to_string());
        match attr {
            "id" => Some(self.id.clone()),
            "status" => Some(self.status.as_str().into()),
            "created" => ts(Some(self.created)),
            "activated" => ts(self.activated),
            "statusChanged" => ts(self.status_changed),
            "lastUpdated" => ts(Some(self.last_updated)),
            "lastLogin" => ts(self.last_login),
            other => {
                let key = other.strip_prefix("profile.")?;
                match self.profile.get(key)? {
                    Value::Null => None,
                    Value::String(s) => Some(s.clone()),
                    v => Some(v.to_string()),
                }
            }
        }
    }
}

/// What creating a user takes.
#[derive(Clone, Debug, Default)]
pub struct NewUser {
    /// Profile; `login`, `email`, `firstName`, `lastName` are required.
    pub profile: Map<String, Value>,
    /// Initial password.
    pub password: Option<String>,
    /// Activate at once (Okta's default) or leave STAGED.
    pub activate: bool,
    /// Groups to add the user to.
    pub group_ids: Vec<String>,
}

/// A group of users.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Group {
    /// `00g…` id.
    pub id: String,
    /// Name (unique).
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// When created.
    pub created: SystemTime,
    /// When the profile last changed.
    pub last_updated: SystemTime,
    /// When membership last changed.
    pub last_membership_updated: SystemTime,
    /// Member user ids, in the order added.
    pub members: sim_core::members::Members,
}

/// The profile attributes `q` matches the start of.
const SEARCHED: [&str; 4] = ["login", "email", "firstName", "lastName"];
/// Separates the attributes in [`User::search`].
const SEARCH_SEPARATOR: char = '\0';

/// [`SEARCHED`] lowercased, joined by [`SEARCH_SEPARATOR`]; `None` (search the profile
/// itself) if a value contains the separator.
fn search_text(profile: &Map<String, Value>) -> Option<String> {
    let fields: Vec<String> = SEARCHED
        .iter()
        .map(|k| {
            profile
                .get(*k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_lowercase()
        })
        .collect();
    if fields.iter().any(|f| f.contains(SEARCH_SEPARATOR)) {
        return None;
    }
    Some(fields.join("\0"))
}

const PASSWORD_RULES: &str = "Password requirements were not met. Password requirements: at least 8 characters, a lowercase letter, an uppercase letter, a number, no parts of your username.";

impl Org {
    // ---- users ---------------------------------------------------------------------------

    /// Creates a user (BEHAVIOURS.md OKTA-DIR-1).
    pub fn create_user(&mut self, now: SystemTime, new: NewUser) -> Result<User, OktaError> {
        let profile = validate_profile(new.profile)?;
        let login = profile
            .get("login")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if self.find_user(&login).is_some() {
            return Err(OktaError::validation(
                "login",
                "login: An object with this field already exists in the current organization",
            ));
        }
        if let Some(password) = &new.password {
            check_password(password, &login)?;
        }
        for gid in &new.group_ids {
            self.group(gid)?;
        }
        let id = self.new_id(OktaKind::User);
        let status = match (new.activate, new.password.is_some()) {
            (false, _) => UserStatus::Staged,
            (true, true) => UserStatus::Active,
            (true, false) => UserStatus::Provisioned,
        };
        let user = User {
            password_hash: new.password.as_deref().map(|p| hash_password(&id, p)),
            id,
            status,
            created: now,
            activated: new.activate.then_some(now),
            status_changed: new.activate.then_some(now),
            last_login: None,
            last_updated: now,
            password_changed: new.password.is_some().then_some(now),
            search: search_text(&profile),
            profile,
            factors: Vec::new(),
        };
        self.user_index.insert(user.id.clone(), self.users.len());
        self.login_index
            .insert(user.login().to_ascii_lowercase(), self.users.len());
        self.users.push(user.clone());
        self.log_user(now, "user.lifecycle.create", "Create okta user", &user);
        if new.activate {
            self.log_user(now, "user.lifecycle.activate", "Activate Okta user", &user);
        }
        for gid in new.group_ids {
            self.add_member(now, &gid, &user.id)?;
        }
        Ok(user)
    }

    /// A user by id or login (case-insensitive).
    pub fn user(&self, id_or_login: &str) -> Result<&User, OktaError> {
        self.find_user(id_or_login)
            .ok_or_else(|| OktaError::not_found("User", id_or_login))
    }

    pub(crate) fn find_user(&self, id_or_login: &str) -> Option<&User> {
        // Ids are never logins (logins are email addresses), so an id hit is the answer.
        if let Some(&i) = self.user_index.get(id_or_login) {
            return self.users.get(i);
        }
        self.login_index
            .get(&id_or_login.to_ascii_lowercase())
            .and_then(|&i| self.users.get(i))
    }

    /// Rebuilds the id and login indexes (after users were removed).
    fn reindex_users(&mut self) {
        self.user_index = self
            .users
            .iter()
            .enumerate()
            .map(|(i, u)| (u.id.clone(), i))
            .collect();
        self.login_index = self
            .users
            .iter()
            .enumerate()
            .map(|(i, u)| (u.login().to_ascii_lowercase(), i))
            .collect();
    }

    fn user_mut(&mut self, id_or_login: &str) -> Result<&mut User, OktaError> {
        let position = match self.user_index.get(id_or_login) {
            Some(&i) => Some(i),
            None => self
                .login_index
                .get(&id_or_login.to_ascii_lowercase())
                .copied(),
        };
        position
            .and_then(|i| self.users.get_mut(i))
            .ok_or_else(|| OktaError::not_found("User", id_or_login))
    }

    /// Lists users: with no expression, all but DEPROVISIONED; `q` matches the start of
    /// login, email, first or last name; `filter`/`search` are Okta expressions.
    pub fn list_users(
        &self,
        q: Option<&str>,
        expression: Option<&str>,
    ) -> Result<Vec<&User>, OktaError> {
        let expr = expression.map(Expr::parse).transpose()?;
        let q = q.map(str::to_lowercase);
        Ok(self
            .users
            .iter()
            .filter(|u| match &expr {
                Some(e) => e.matches(&|attr| u.attribute(attr)),
                None => u.status != UserStatus::Deprovisioned,
            })
            .filter(|u| {
                q.as_deref().is_none_or(|q| match &u.search {
                    // One string per user: a search over 10,000 users reads 10,000 strings,
                    // not 40,000 profile entries scattered over the heap.
                    Some(text) if !q.contains(SEARCH_SEPARATOR) => text
                        .split(SEARCH_SEPARATOR)
                        .any(|field| field.starts_with(q)),
                    _ => SEARCHED
                        .iter()
                        .any(|k| u.profile_str(k).to_lowercase().starts_with(q)),
                })
            })
            .collect())
    }

    /// Updates a user's profile: `partial` merges the given attributes (POST), otherwise the
    /// profile is replaced (PUT). A given password is changed too.
    pub fn update_user(
        &mut self,
        now: SystemTime,
        id: &str,
        profile: Map<String, Value>,
        password: Option<String>,
        partial: bool,
    ) -> Result<User, OktaError> {
        let current = self.user(id)?.clone();
        let mut merged = if partial {
            current.profile.clone()
        } else {
            Map::new()
        };
        merged.extend(profile);
        let merged = validate_profile(merged)?;
        let login = merged
            .get("login")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if self
            .users
            .iter()
            .any(|u| u.id != current.id && u.login().eq_ignore_ascii_case(login))
        {
            return Err(OktaError::validation(
                "login",
                "login: An object with this field already exists in the current organization",
            ));
        }
        if let Some(p) = &password {
            check_password(p, login)?;
        }
        let old_login = current.login().to_ascii_lowercase();
        let new_login = login.to_ascii_lowercase();
        let user = self.user_mut(&current.id)?;
        user.search = search_text(&merged);
        user.profile = merged;
        user.last_updated = now;
        if let Some(p) = password {
            user.password_hash = Some(hash_password(&user.id, &p));
            user.password_changed = Some(now);
        }
        let user = user.clone();
        if old_login != new_login
            && let Some(i) = self.login_index.remove(&old_login)
        {
            self.login_index.insert(new_login, i);
        }
        self.log_user(
            now,
            "user.account.update_profile",
            "Update user profile for Okta",
            &user,
        );
        self.prov_on_user_changed(&user.id);
        Ok(user)
    }

    /// `lifecycle/activate`: STAGED or DEPROVISIONED → PROVISIONED (ACTIVE if a password is
    /// set).
    pub fn activate_user(&mut self, now: SystemTime, id: &str) -> Result<User, OktaError> {
        let user = self.user_mut(id)?;
        let next = match user.status {
            UserStatus::Active => return Err(OktaError::AlreadyActive),
            UserStatus::Staged | UserStatus::Deprovisioned | UserStatus::Provisioned => {
                if user.password_hash.is_some() {
                    UserStatus::Active
                } else {
                    UserStatus::Provisioned
                }
            }
            UserStatus::Suspended => return Err(OktaError::InvalidStatus),
        };
        user.activated = Some(now);
        let user = set_status(user, next, now);
        self.log_user(now, "user.lifecycle.activate", "Activate Okta user", &user);
        self.prov_on_user_changed(&user.id);
        Ok(user)
    }

    /// `lifecycle/deactivate`: any status but DEPROVISIONED → DEPROVISIONED. The user's
    /// sessions end; refresh tokens die at their next use (OKTA-TOK-4).
    pub fn deactivate_user(&mut self, now: SystemTime, id: &str) -> Result<User, OktaError> {
        let user = self.user_mut(id)?;
        if user.status == UserStatus::Deprovisioned {
            return Err(OktaError::InvalidStatus);
        }
        let user = set_status(user, UserStatus::Deprovisioned, now);
        self.tokens.end_sessions_of(&user.id);
        self.log_user(
            now,
            "user.lifecycle.deactivate",
            "Deactivate Okta user",
            &user,
        );
        self.prov_on_user_changed(&user.id);
        Ok(user)
    }

    /// `lifecycle/suspend`: ACTIVE → SUSPENDED.
    pub fn suspend_user(&mut self, now: SystemTime, id: &str) -> Result<User, OktaError> {
        let user = self.user_mut(id)?;
        if user.status != UserStatus::Active {
            return Err(OktaError::InvalidStatus);
        }
        let user = set_status(user, UserStatus::Suspended, now);
        self.tokens.end_sessions_of(&user.id);
        self.log_user(now, "user.lifecycle.suspend", "Suspend Okta user", &user);
        self.prov_on_user_changed(&user.id);
        Ok(user)
    }

    /// `lifecycle/unsuspend`: SUSPENDED → ACTIVE.
    pub fn unsuspend_user(&mut self, now: SystemTime, id: &str) -> Result<User, OktaError> {
        let user = self.user_mut(id)?;
        if user.status != UserStatus::Suspended {
            return Err(OktaError::InvalidStatus);
        }
        let user = set_status(user, UserStatus::Active, now);
        self.log_user(
            now,
            "user.lifecycle.unsuspend",
            "Unsuspend Okta user",
            &user,
        );
        self.prov_on_user_changed(&user.id);
        Ok(user)
    }

    /// DELETE: deactivates a user that is not DEPROVISIONED yet, deletes one that is.
    /// Returns whether the user was deleted (as opposed to deactivated).
    pub fn delete_user(&mut self, now: SystemTime, id: &str) -> Result<bool, OktaError> {
        let user = self.user(id)?.clone();
        if user.status != UserStatus::Deprovisioned {
            self.deactivate_user(now, &user.id)?;
            return Ok(false);
        }
        let groups: Vec<String> = self
            .groups_of(&user.id)
            .iter()
            .map(|g| g.id.clone())
            .collect();
        self.users.retain(|u| u.id != user.id);
        self.reindex_users();
        for group in &mut self.groups {
            group.members.remove(&user.id);
        }
        let mut direct = Vec::new();
        for app in &mut self.apps {
            if app.assigned_users.contains(&user.id) {
                direct.push(app.id.clone());
            }
            app.assigned_users.retain(|m| *m != user.id);
        }
        for gid in groups {
            self.prov_on_membership(&gid, &user.id);
        }
        for app_id in direct {
            self.prov_on_assignment(&app_id, std::slice::from_ref(&user.id));
        }
        self.prov_on_user_changed(&user.id);
        self.log_user(
            now,
            "user.lifecycle.delete.completed",
            "Delete Okta user completed",
            &user,
        );
        Ok(true)
    }

    /// Checks a password for sign-in (no side effects).
    pub fn password_matches(&self, user: &User, password: &str) -> bool {
        user.password_hash.is_some_and(|h| {
            sim_core::ids::constant_time_eq(&h, &hash_password(&user.id, password))
        })
    }

    pub(crate) fn record_login(&mut self, now: SystemTime, user_id: &str) {
        if let Ok(user) = self.user_mut(user_id) {
            user.last_login = Some(now);
        }
    }

    fn log_user(&mut self, now: SystemTime, event: &str, message: &str, user: &User) {
        self.log.record(
            now,
            event,
            message,
            Actor::admin(),
            vec![Target::new(&user.id, "User", &user.display_name())],
            Outcome::success(),
        );
    }

    // ---- factors ---------------------------------------------------------------------------

    /// Enrolls a TOTP factor (`token:software:totp`); it is pending until a code is verified.
    pub fn enroll_totp(&mut self, now: SystemTime, user_id: &str) -> Result<Factor, OktaError> {
        let id = self.new_id(OktaKind::Factor);
        let mut raw = [0u8; 20];
        rand_core_fill(&mut self.secrets, &mut raw);
        let factor = Factor {
            id,
            secret: totp::base32(&raw),
            active: false,
            created: now,
        };
        let user = self.user_mut(user_id)?;
        user.factors.retain(|f| f.active);
        user.factors.push(factor.clone());
        Ok(factor)
    }

    /// Activates a pending factor with a first code.
    pub fn activate_factor(
        &mut self,
        now: SystemTime,
        user_id: &str,
        factor_id: &str,
        pass_code: &str,
    ) -> Result<Factor, OktaError> {
        let user = self.user_mut(user_id)?;
        let factor = user
            .factors
            .iter_mut()
            .find(|f| f.id == factor_id)
            .ok_or_else(|| OktaError::not_found("Factor", factor_id))?;
        if !totp::verify(&factor.secret, now, pass_code) {
            return Err(OktaError::validation(
                "passCode",
                "Your passcode doesn't match our records. Please try again.",
            ));
        }
        factor.active = true;
        Ok(factor.clone())
    }

    // ---- groups ----------------------------------------------------------------------------

    /// Creates a group (names are unique).
    pub fn create_group(
        &mut self,
        now: SystemTime,
        name: &str,
        description: Option<String>,
    ) -> Result<Group, OktaError> {
        let name = name.trim();
        check_group_name(name)?;
        if self
            .groups
            .iter()
            .any(|g| g.name.eq_ignore_ascii_case(name))
        {
            return Err(OktaError::validation(
                "name",
                "name: An object with this field already exists in the current organization",
            ));
        }
        let group = Group {
            id: self.new_id(OktaKind::Group),
            name: name.to_string(),
            description,
            created: now,
            last_updated: now,
            last_membership_updated: now,
            members: Default::default(),
        };
        self.groups.push(group.clone());
        self.log.record(
            now,
            "group.lifecycle.create",
            "Create Okta group",
            Actor::admin(),
            vec![Target::new(&group.id, "UserGroup", &group.name)],
            Outcome::success(),
        );
        Ok(group)
    }

    /// A group by id.
    pub fn group(&self, id: &str) -> Result<&Group, OktaError> {
        self.groups
            .iter()
            .find(|g| g.id == id)
            .ok_or_else(|| OktaError::not_found("UserGroup", id))
    }

    /// Groups whose name starts with `q` (all without `q`).
    pub fn list_groups(&self, q: Option<&str>) -> Vec<&Group> {
        let q = q.map(str::to_lowercase);
        self.groups
            .iter()
            .filter(|g| {
                q.as_deref()
                    .is_none_or(|q| g.name.to_lowercase().starts_with(q))
            })
            .collect()
    }

    /// Renames / redescribes a group.
    pub fn update_group(
        &mut self,
        now: SystemTime,
        id: &str,
        name: &str,
        description: Option<String>,
    ) -> Result<Group, OktaError> {
        self.group(id)?;
        let name = name.trim();
        check_group_name(name)?;
        if self
            .groups
            .iter()
            .any(|g| g.id != id && g.name.eq_ignore_ascii_case(name))
        {
            return Err(OktaError::validation(
                "name",
                "name: An object with this field already exists in the current organization",
            ));
        }
        let group = self
            .groups
            .iter_mut()
            .find(|g| g.id == id)
            .ok_or_else(|| OktaError::not_found("UserGroup", id))?;
        group.name = name.to_string();
        group.description = description;
        group.last_updated = now;
        let group = group.clone();
        self.log.record(
            now,
            "group.profile.update",
            "Update Okta group profile",
            Actor::admin(),
            vec![Target::new(&group.id, "UserGroup", &group.name)],
            Outcome::success(),
        );
        self.prov_on_group_renamed(&group.id);
        Ok(group)
    }

    /// Deletes a group (its app assignments go with it).
    pub fn delete_group(&mut self, now: SystemTime, id: &str) -> Result<(), OktaError> {
        let group = self.group(id)?.clone();
        self.prov_on_group_deleted(&group.id, &group.members);
        self.groups.retain(|g| g.id != id);
        for app in &mut self.apps {
            app.assigned_groups.retain(|g| g != id);
        }
        self.log.record(
            now,
            "group.lifecycle.delete",
            "Delete Okta group",
            Actor::admin(),
            vec![Target::new(&group.id, "UserGroup", &group.name)],
            Outcome::success(),
        );
        Ok(())
    }

    /// Adds a user to a group (idempotent, like Okta's PUT).
    pub fn add_member(
        &mut self,
        now: SystemTime,
        group_id: &str,
        user_id: &str,
    ) -> Result<(), OktaError> {
        let user = self.user(user_id)?.clone();
        let group = self
            .groups
            .iter_mut()
            .find(|g| g.id == group_id)
            .ok_or_else(|| OktaError::not_found("UserGroup", group_id))?;
        if !group.members.insert(&user.id) {
            return Ok(());
        }
        group.last_membership_updated = now;
        // Only what the log needs: cloning a large group for every member would be quadratic.
        let (gid, gname) = (group.id.clone(), group.name.clone());
        self.log.record(
            now,
            "group.user_membership.add",
            "Add user to group membership",
            Actor::admin(),
            vec![
                Target::new(&user.id, "User", &user.display_name()),
                Target::new(&gid, "UserGroup", &gname),
            ],
            Outcome::success(),
        );
        self.prov_on_membership(group_id, &user.id);
        Ok(())
    }

    /// Removes a user from a group (idempotent).
    pub fn remove_member(
        &mut self,
        now: SystemTime,
        group_id: &str,
        user_id: &str,
    ) -> Result<(), OktaError> {
        let user = self.user(user_id)?.clone();
        let group = self
            .groups
            .iter_mut()
            .find(|g| g.id == group_id)
            .ok_or_else(|| OktaError::not_found("UserGroup", group_id))?;
        if !group.members.remove(&user.id) {
            return Ok(());
        }
        group.last_membership_updated = now;
        // Only what the log needs: cloning a large group for every member would be quadratic.
        let (gid, gname) = (group.id.clone(), group.name.clone());
        self.log.record(
            now,
            "group.user_membership.remove",
            "Remove user from group membership",
            Actor::admin(),
            vec![
                Target::new(&user.id, "User", &user.display_name()),
                Target::new(&gid, "UserGroup", &gname),
            ],
            Outcome::success(),
        );
        self.prov_on_membership(group_id, &user.id);
        Ok(())
    }

    /// Members of a group, in the order added.
    pub fn group_members(&self, group_id: &str) -> Result<Vec<&User>, OktaError> {
        let group = self.group(group_id)?;
        Ok(group
            .members
            .iter()
            .filter_map(|id| self.user_index.get(id).and_then(|&i| self.users.get(i)))
            .collect())
    }

    /// Groups a user is in.
    pub fn groups_of(&self, user_id: &str) -> Vec<&Group> {
        self.groups
            .iter()
            .filter(|g| g.members.contains(user_id))
            .collect()
    }
}

fn set_status(user: &mut User, status: UserStatus, now: SystemTime) -> User {
    user.status = status;
    user.status_changed = Some(now);
    user.last_updated = now;
    user.clone()
}

/// Okta's documented lengths of the base profile (Okta support, "Character Limits for Various
/// Okta Features and Fields"): username 5 to 100 characters, email at most 100, first and last
/// name at most 50 (OKTA-API-8). The minimum of 5 follows from the email form (`a@b.c`).
const PROFILE_MAX_LENGTHS: [(&str, usize); 4] = [
    ("login", 100),
    ("email", 100),
    ("firstName", 50),
    ("lastName", 50),
];
/// Longest group name (the group profile's `name`, OKTA-API-8).
pub const GROUP_NAME_MAX_LENGTH: usize = 255;

fn validate_profile(profile: Map<String, Value>) -> Result<Map<String, Value>, OktaError> {
    let mut causes = Vec::new();
    for key in ["login", "email", "firstName", "lastName"] {
        match profile.get(key).and_then(Value::as_str).map(str::trim) {
            None | Some("") => causes.push(format!("{key}: The field cannot be left blank")),
            Some(_) => {}
        }
    }
    for (key, max) in PROFILE_MAX_LENGTHS {
        if let Some(v) = profile.get(key).and_then(Value::as_str)
            && v.chars().count() > max
        {
            causes.push(format!(
                "{key}: The field cannot be longer than {max} characters"
            ));
        }
    }
    for key in ["login", "email"] {
        if let Some(v) = profile.get(key).and_then(Value::as_str)
            && !v.trim().is_empty()
            && !looks_like_email(v)
        {
            causes.push(format!(
                "{key}: Username must be in the form of an email address"
            ));
        }
    }
    if causes.is_empty() {
        Ok(profile)
    } else {
        let summary = causes
            .iter()
            .map(|c| c.split(':').next().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        Err(OktaError::Validation { summary, causes })
    }
}

/// A group name: not blank, at most [`GROUP_NAME_MAX_LENGTH`] characters, no control
/// characters.
fn check_group_name(name: &str) -> Result<(), OktaError> {
    if name.is_empty() {
        return Err(OktaError::validation(
            "name",
            "name: The field cannot be left blank",
        ));
    }
    if name.chars().count() > GROUP_NAME_MAX_LENGTH {
        return Err(OktaError::validation(
            "name",
            format!("name: The field cannot be longer than {GROUP_NAME_MAX_LENGTH} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(OktaError::validation(
            "name",
            "name: The field cannot contain control characters",
        ));
    }
    Ok(())
}

fn looks_like_email(v: &str) -> bool {
    let Some((local, domain)) = v.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !v.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn check_password(password: &str, login: &str) -> Result<(), OktaError> {
    let local = login.split('@').next().unwrap_or_default().to_lowercase();
    let ok = password.chars().count() >= 8
        && password.chars().any(|c| c.is_lowercase())
        && password.chars().any(|c| c.is_uppercase())
        && password.chars().any(|c| c.is_ascii_digit())
        && (local.len() < 3 || !password.to_lowercase().contains(&local));
    if ok {
        Ok(())
    } else {
        Err(OktaError::validation(
            "password",
            format!("password: {PASSWORD_RULES}"),
        ))
    }
}

fn hash_password(user_id: &str, password: &str) -> [u8; 32] {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(b"mock-okta password\0");
    ctx.update(user_id.as_bytes());
    ctx.update(b"\0");
    ctx.update(password.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

fn rand_core_fill(rng: &mut sim_core::seed::SimRng, out: &mut [u8]) {
    use rand_core::RngCore;
    rng.fill_bytes(out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_text_finds_what_the_lowercased_profile_does() {
        let profile = |first: &str| {
            let mut p = Map::new();
            p.insert("login".into(), Value::String("Ada@Example.com".into()));
            p.insert("email".into(), Value::String("ada@example.com".into()));
            p.insert("firstName".into(), Value::String(first.into()));
            p.insert("lastName".into(), Value::String("Lovelace".into()));
            p
        };
        for first in ["Ólafur", "ΣΊΣΥΦΟΣ", "Ada", "nul\0in"] {
            let p = profile(first);
            let text = search_text(&p);
            for q in [
                "ada@", "óla", "ola", "σί", "love", "", "nul", "ada\0ada", "x",
            ] {
                let slow = SEARCHED.iter().any(|k| {
                    p.get(*k)
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_lowercase()
                        .starts_with(q)
                });
                let fast = match &text {
                    Some(t) if !q.contains(SEARCH_SEPARATOR) => {
                        t.split(SEARCH_SEPARATOR).any(|f| f.starts_with(q))
                    }
                    _ => slow,
                };
                assert_eq!(fast, slow, "{first:?} / {q:?}");
            }
        }
        assert_eq!(search_text(&profile("nul\0in")), None);
    }
}
