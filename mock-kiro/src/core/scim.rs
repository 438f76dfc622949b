//! Users and groups with AWS IAM Identity Center's SCIM semantics (BEHAVIOURS.md KIRO-SCIM-1..5,
//! KIRO-SCIM-10).
//!
//! What IdC does, and so what this does:
//! - filters are `eq` only, joined by `and`, on `userName`, `externalId`, `id` (users) and
//!   `displayName`, `externalId`, `id`, `members` (groups: `id eq "g" and members eq "u"` is
//!   how a client asks whether u is a member, since groups are listed without members);
//!   anything else is `invalidFilter`;
//! - `count` is capped at 100 and `startIndex` ignored (cursor paging; a cursor naming no item
//!   of the list is refused);
//! - `userName`, `displayName`, `name.givenName`, `name.familyName` are required; multi-valued
//!   attributes (`emails`, `addresses`, `phoneNumbers`) hold at most one value;
//! - values with `<>;:%`, empty strings or control characters are refused;
//! - group PATCH changes at most 100 members, never replaces or removes all members;
//! - listed groups come back without members;
//! - duplicate `userName` or group `displayName` is a 409;
//! - the enterprise extension is patched by `URN:attribute`, by the bare URN with an object
//!   value, or as keys of a path-less value;
//! - PatchUser never removes `userName` or `active`, nor touches either twice in one request;
//! - `password`, `ims`, `photos`, `x509Certificates`, `entitlements`, `groups` are refused, and
//!   a created user's email must be primary.
//!
//! User attributes are kept as [`UserAttrs`], a serde struct in SCIM's JSON names, so a PATCH
//! is applied to the JSON form and the result validated again: a PATCH that would leave an
//! invalid user changes nothing.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sim_core::ids;

use super::{Kiro, Profile};

/// The enterprise extension's schema URN.
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// The core User schema's URN (a PATCH path may name an attribute under it).
const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// Most members one group PATCH may change.
pub const MAX_MEMBER_CHANGES: usize = 100;
/// Largest page.
pub const MAX_COUNT: usize = 100;

/// A SCIM refusal.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScimError {
    /// 400 ValidationException.
    #[error("{0}")]
    Validation(String),
    /// 400 with scimType invalidFilter.
    #[error("{0}")]
    InvalidFilter(String),
    /// 400 with scimType invalidPath: a PATCH path deeper or longer than any attribute.
    #[error("{0}")]
    InvalidPath(String),
    /// 404 ResourceNotFoundException.
    #[error("{0}")]
    NotFound(String),
    /// 409 ConflictException.
    #[error("{0}")]
    Conflict(String),
}

fn invalid(detail: impl Into<String>) -> ScimError {
    ScimError::Validation(detail.into())
}

/// `name`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Name {
    /// Full name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    /// Family name (required).
    #[serde(default)]
    pub family_name: String,
    /// Given name (required).
    #[serde(default)]
    pub given_name: String,
    /// Middle name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    /// Honorific prefix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub honorific_prefix: Option<String>,
    /// Honorific suffix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub honorific_suffix: Option<String>,
}

/// One value of `emails` or `phoneNumbers`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MultiValue {
    /// The value.
    pub value: String,
    /// `work`, `home`, …
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Primary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
}

/// One value of `addresses`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Address {
    /// Street.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    /// City.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    /// State.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Postal code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Country.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Formatted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    /// `work`, `home`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Primary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
}

/// `manager` of the enterprise extension.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manager {
    /// Manager's user id.
    pub value: String,
}

/// The enterprise extension.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Enterprise {
    /// Employee number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employee_number: Option<String>,
    /// Cost center.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_center: Option<String>,
    /// Organization.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// Division.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
    /// Department.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// Manager.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager: Option<Manager>,
}

/// A user's client-set attributes, in SCIM's JSON names.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserAttrs {
    /// Set by the client (Okta: its user id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Unique (case-insensitive), required.
    #[serde(default)]
    pub user_name: String,
    /// Required parts: given and family name.
    #[serde(default)]
    pub name: Name,
    /// Required.
    #[serde(default)]
    pub display_name: String,
    /// Nickname.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nick_name: Option<String>,
    /// Profile URL (the one attribute where `:` is fine).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile_url: Option<String>,
    /// Title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// User type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_type: Option<String>,
    /// Preferred language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_language: Option<String>,
    /// Locale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Time zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Active (default true).
    #[serde(default = "yes")]
    pub active: bool,
    /// At most one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<MultiValue>,
    /// At most one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<Address>,
    /// At most one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phone_numbers: Vec<MultiValue>,
    /// Enterprise extension.
    #[serde(
        rename = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        skip_serializing_if = "Option::is_none"
    )]
    pub enterprise: Option<Enterprise>,
}

fn yes() -> bool {
    true
}

/// A provisioned user.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScimUser {
    /// IdC-style id: 10 hex characters, a dash, a UUID.
    pub id: String,
    /// Attributes.
    pub attrs: UserAttrs,
    /// When created.
    pub created: SystemTime,
    /// When last changed.
    pub last_modified: SystemTime,
}

/// A provisioned group.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScimGroup {
    /// IdC-style id.
    pub id: String,
    /// Unique (case-insensitive), required.
    pub display_name: String,
    /// Set by the client.
    pub external_id: Option<String>,
    /// Member user ids, in the order added.
    pub members: Vec<String>,
    /// When created.
    pub created: SystemTime,
    /// When last changed.
    pub last_modified: SystemTime,
}

/// One PATCH operation.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatchOp {
    /// `add`, `replace`, `remove` (case-insensitive).
    pub op: String,
    /// Target path.
    #[serde(default)]
    pub path: Option<String>,
    /// Value.
    #[serde(default)]
    pub value: Option<Value>,
}

/// A page of a list.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Page<T> {
    /// All matches.
    pub total: usize,
    /// This page.
    pub items: Vec<T>,
    /// Cursor for the next page.
    pub next_cursor: Option<String>,
}

/// What a group PATCH changed in membership.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MembershipChange {
    /// Users added.
    pub added: Vec<String>,
    /// Users removed.
    pub removed: Vec<String>,
}

/// Parses an IdC filter: `attr eq "value"` joined by `and`; attributes from `allowed`
/// (case-insensitive). Returns (canonical attribute, value) pairs.
pub fn parse_filter(
    text: &str,
    allowed: &[&str],
) -> Result<Vec<(&'static str, String)>, ScimError> {
    let bad = |why: String| {
        ScimError::InvalidFilter(format!(
            "Filter {text:?} is not supported: {why}. Only 'eq' filters joined by 'and' on {} are.",
            allowed.join(", ")
        ))
    };
    let mut out = Vec::new();
    let mut rest = text.trim();
    loop {
        let (attr, after) = rest
            .split_once(char::is_whitespace)
            .ok_or_else(|| bad("expected `attribute eq \"value\"`".into()))?;
        let canonical = CANONICAL
            .iter()
            .find(|c| {
                c.eq_ignore_ascii_case(attr) && allowed.iter().any(|a| a.eq_ignore_ascii_case(c))
            })
            .ok_or_else(|| bad(format!("attribute `{attr}`")))?;
        let after = after.trim_start();
        let (op, after) = after
            .split_once(char::is_whitespace)
            .ok_or_else(|| bad("expected an operator".into()))?;
        if !op.eq_ignore_ascii_case("eq") {
            return Err(bad(format!("operator `{op}`")));
        }
        let after = after.trim_start();
        let after = after
            .strip_prefix('"')
            .ok_or_else(|| bad("expected a quoted value".into()))?;
        let end = after
            .find('"')
            .ok_or_else(|| bad("unterminated value".into()))?;
        out.push((*canonical, after[..end].to_string()));
        rest = after[end + 1..].trim();
        if rest.is_empty() {
            return Ok(out);
        }
        let (join, after) = rest
            .split_once(char::is_whitespace)
            .ok_or_else(|| bad(format!("unexpected `{rest}`")))?;
        if !join.eq_ignore_ascii_case("and") {
            return Err(bad(format!("`{join}`")));
        }
        rest = after.trim_start();
    }
}

const CANONICAL: [&str; 5] = ["userName", "externalId", "id", "displayName", "members"];

/// The core User schema.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The core Group schema.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// A resource's `schemas`: a list of URNs, each one this resource type knows (KIRO-SCIM-5);
/// an unknown URN is refused rather than stored or ignored.
pub fn check_schemas(schemas: &Value, known: &[&str]) -> Result<(), ScimError> {
    let list = schemas.as_array().ok_or_else(|| {
        invalid("Request is unparsable, syntactically incorrect, or violates schema: schemas must be a list of URNs.")
    })?;
    for urn in list {
        match urn.as_str() {
            Some(u) if known.iter().any(|k| k.eq_ignore_ascii_case(u)) => {}
            _ => {
                let shown: String = urn.to_string().chars().take(128).collect();
                return Err(invalid(format!(
                    "Request is unparsable, syntactically incorrect, or violates schema: unknown schema {shown}."
                )));
            }
        }
    }
    Ok(())
}

/// IAM Identity Center's length limits (Identity Store API): userName at most 128
/// characters, externalId at most 256, every other string at most 1,024 (KIRO-SCIM-5).
fn max_length(field: &str) -> usize {
    match field {
        "userName" => 128,
        "externalId" => 256,
        _ => 1024,
    }
}

/// IdC's rule for string values (KIRO-SCIM-3) and lengths (KIRO-SCIM-5).
fn check_value(field: &str, value: &str) -> Result<(), ScimError> {
    if value.is_empty() {
        return Err(invalid(format!(
            "Request is unparsable, syntactically incorrect, or violates schema: {field} must not be empty."
        )));
    }
    let max = max_length(field);
    if value.chars().count() > max {
        return Err(invalid(format!(
            "Request is unparsable, syntactically incorrect, or violates schema: {field} must be at most {max} characters."
        )));
    }
    if value.chars().any(|c| {
        c.is_control()
            || "<>;:%".contains(c)
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{feff}')
    }) {
        return Err(invalid(format!(
            "Request is unparsable, syntactically incorrect, or violates schema: {field} contains characters that are not allowed."
        )));
    }
    Ok(())
}

fn check_opt(field: &str, value: &Option<String>) -> Result<(), ScimError> {
    value.as_deref().map_or(Ok(()), |v| check_value(field, v))
}

/// CreateUser and PutUser: "The emails attribute value must be marked as primary."
/// (KIRO-SCIM-10; PatchUser's guide page does not say so, and a PATCH is not held to it).
fn check_primary_email(a: &UserAttrs) -> Result<(), ScimError> {
    if a.emails.iter().any(|e| e.primary != Some(true)) {
        return Err(invalid("The emails value must be marked as primary."));
    }
    Ok(())
}

/// Validates a user's attributes against IdC's rules.
pub fn validate_user(a: &UserAttrs) -> Result<(), ScimError> {
    for (field, value) in [
        ("userName", &a.user_name),
        ("displayName", &a.display_name),
        ("name.givenName", &a.name.given_name),
        ("name.familyName", &a.name.family_name),
    ] {
        if value.is_empty() {
            return Err(invalid(format!("{field} is a required attribute.")));
        }
        check_value(field, value)?;
    }
    check_opt("externalId", &a.external_id)?;
    for (f, v) in [
        ("name.formatted", &a.name.formatted),
        ("name.middleName", &a.name.middle_name),
        ("name.honorificPrefix", &a.name.honorific_prefix),
        ("name.honorificSuffix", &a.name.honorific_suffix),
        ("nickName", &a.nick_name),
        ("title", &a.title),
        ("userType", &a.user_type),
        ("preferredLanguage", &a.preferred_language),
        ("locale", &a.locale),
        ("timezone", &a.timezone),
    ] {
        check_opt(f, v)?;
    }
    if let Some(url) = &a.profile_url
        && (url.is_empty()
            || url.chars().any(char::is_control)
            || url.chars().count() > max_length("profileUrl"))
    {
        return Err(invalid("profileUrl must be a non-empty URL."));
    }
    for (field, n) in [
        ("emails", a.emails.len()),
        ("addresses", a.addresses.len()),
        ("phoneNumbers", a.phone_numbers.len()),
    ] {
        if n > 1 {
            return Err(invalid(format!("{field} can hold only one value.")));
        }
    }
    for e in &a.emails {
        check_value("emails.value", &e.value)?;
    }
    for p in &a.phone_numbers {
        check_value("phoneNumbers.value", &p.value)?;
    }
    if let Some(e) = &a.enterprise {
        for (f, v) in [
            ("employeeNumber", &e.employee_number),
            ("costCenter", &e.cost_center),
            ("organization", &e.organization),
            ("division", &e.division),
            ("department", &e.department),
        ] {
            check_opt(f, v)?;
        }
    }
    Ok(())
}

/// User attributes of RFC 7643 that IdC does not support (CreateUser, PutUser, PatchUser:
/// "ims, photos, x509Certificates, entitlements, and password"; CreateUser: "The groups field
/// cannot be specified").
const UNSUPPORTED_USER_ATTRS: [&str; 6] = [
    "password",
    "ims",
    "photos",
    "x509Certificates",
    "entitlements",
    "groups",
];

/// Parses user attributes from a SCIM JSON body (`schemas`, `id`, `meta` are ignored).
pub fn user_attrs_from_json(body: &Value) -> Result<UserAttrs, ScimError> {
    let mut object = body.as_object().cloned().ok_or_else(|| {
        invalid("Request is unparsable, syntactically incorrect, or violates schema.")
    })?;
    if let Some(schemas) = object.remove("schemas") {
        check_schemas(&schemas, &[USER_SCHEMA, ENTERPRISE])?;
    }
    for ignored in ["id", "meta"] {
        object.remove(ignored);
    }
    // Some clients (scim2-models) repeat the extension's URN as `schemas` inside its object:
    // ignored like the top-level one (sim choice).
    if let Some(ext) = object.get_mut(ENTERPRISE).and_then(Value::as_object_mut) {
        ext.remove("schemas");
    }
    if let Some(key) = object.keys().find(|k| {
        UNSUPPORTED_USER_ATTRS
            .iter()
            .any(|u| u.eq_ignore_ascii_case(k))
    }) {
        return Err(invalid(format!(
            "Request is unparsable, syntactically incorrect, or violates schema: the {key} attribute is not supported."
        )));
    }
    let mut attrs: UserAttrs = serde_json::from_value(Value::Object(object)).map_err(|e| {
        invalid(format!(
            "Request is unparsable, syntactically incorrect, or violates schema: {e}"
        ))
    })?;
    // An empty extension (or one whose last attribute a PATCH removed) is no extension: the
    // user is shown with the core schema only.
    if attrs.enterprise.as_ref() == Some(&Enterprise::default()) {
        attrs.enterprise = None;
    }
    Ok(attrs)
}

impl Kiro {
    fn scim_id(&mut self) -> String {
        format!(
            "{}-{}",
            ids::hex_id(&mut self.ids, 10),
            ids::uuid_v4(&mut self.ids)
        )
    }

    fn profile_for_scim(&mut self, profile: &str) -> Result<&mut Profile, ScimError> {
        self.profile_mut(profile)
            .map_err(|_| ScimError::NotFound(format!("Profile {profile} not found.")))
    }

    // ---- users ---------------------------------------------------------------------------

    /// Creates a user.
    pub fn create_user(
        &mut self,
        now: SystemTime,
        profile: &str,
        attrs: UserAttrs,
    ) -> Result<ScimUser, ScimError> {
        validate_user(&attrs)?;
        check_primary_email(&attrs)?;
        let id = self.scim_id();
        let p = self.profile_for_scim(profile)?;
        if p.users
            .iter()
            .any(|u| u.attrs.user_name.eq_ignore_ascii_case(&attrs.user_name))
        {
            return Err(ScimError::Conflict(
                "Duplicate userName: a user with this userName already exists.".into(),
            ));
        }
        let user = ScimUser {
            id,
            attrs,
            created: now,
            last_modified: now,
        };
        p.users.push(user.clone());
        Ok(user)
    }

    /// A user.
    pub fn user(&self, profile: &str, id: &str) -> Result<&ScimUser, ScimError> {
        self.profile(profile)
            .map_err(|_| ScimError::NotFound(format!("Profile {profile} not found.")))?
            .users
            .iter()
            .find(|u| u.id == id)
            .ok_or_else(|| ScimError::NotFound(format!("User {id} not found.")))
    }

    /// Lists users matching an IdC filter, `count` (≤ 100) at a time after `cursor`.
    pub fn list_users(
        &self,
        profile: &str,
        filter: Option<&str>,
        count: Option<usize>,
        cursor: Option<&str>,
    ) -> Result<Page<&ScimUser>, ScimError> {
        let conditions = filter
            .map(|f| parse_filter(f, &["userName", "externalId", "id"]))
            .transpose()?
            .unwrap_or_default();
        let p = self
            .profile(profile)
            .map_err(|_| ScimError::NotFound(format!("Profile {profile} not found.")))?;
        let matching: Vec<&ScimUser> = p
            .users
            .iter()
            .filter(|u| {
                conditions.iter().all(|(attr, value)| match *attr {
                    "userName" => u.attrs.user_name.eq_ignore_ascii_case(value),
                    "externalId" => u.attrs.external_id.as_deref() == Some(value.as_str()),
                    _ => u.id == *value,
                })
            })
            .collect();
        paginate(matching, count, cursor, |u| &u.id)
    }

    /// Replaces a user (PUT): as [`Kiro::store_user`], and the email must be primary.
    pub fn replace_user(
        &mut self,
        now: SystemTime,
        profile: &str,
        id: &str,
        attrs: UserAttrs,
    ) -> Result<ScimUser, ScimError> {
        check_primary_email(&attrs)?;
        self.store_user(now, profile, id, attrs)
    }

    /// Stores a user's new attributes after IdC's checks (PutUser, and PatchUser's result).
    fn store_user(
        &mut self,
        now: SystemTime,
        profile: &str,
        id: &str,
        attrs: UserAttrs,
    ) -> Result<ScimUser, ScimError> {
        validate_user(&attrs)?;
        self.user(profile, id)?;
        let p = self.profile_for_scim(profile)?;
        if p.users
            .iter()
            .any(|u| u.id != id && u.attrs.user_name.eq_ignore_ascii_case(&attrs.user_name))
        {
            return Err(ScimError::Conflict(
                "Duplicate userName: a user with this userName already exists.".into(),
            ));
        }
        let user = p
            .users
            .iter_mut()
            .find(|u| u.id == id)
            .ok_or_else(|| ScimError::NotFound(format!("User {id} not found.")))?;
        user.attrs = attrs;
        user.last_modified = now;
        Ok(user.clone())
    }

    /// Applies PATCH operations to a user; all or nothing.
    pub fn patch_user(
        &mut self,
        now: SystemTime,
        profile: &str,
        id: &str,
        ops: &[PatchOp],
    ) -> Result<ScimUser, ScimError> {
        let current = self.user(profile, id)?.clone();
        let mut json = serde_json::to_value(&current.attrs).map_err(|e| invalid(e.to_string()))?;
        check_user_ops(ops)?;
        for op in ops {
            apply_user_op(&mut json, op)?;
        }
        let attrs = user_attrs_from_json(&json)?;
        self.store_user(now, profile, id, attrs)
    }

    /// Deletes a user (and its group memberships).
    pub fn delete_user(&mut self, profile: &str, id: &str) -> Result<(), ScimError> {
        self.user(profile, id)?;
        let p = self.profile_for_scim(profile)?;
        p.users.retain(|u| u.id != id);
        for g in &mut p.groups {
            g.members.retain(|m| m != id);
        }
        Ok(())
    }

    // ---- groups --------------------------------------------------------------------------

    /// Creates a group, optionally with up to 100 members.
    pub fn create_group(
        &mut self,
        now: SystemTime,
        profile: &str,
        display_name: &str,
        external_id: Option<String>,
        members: Vec<String>,
    ) -> Result<ScimGroup, ScimError> {
        check_value("displayName", display_name)?;
        check_opt("externalId", &external_id)?;
        if members.len() > MAX_MEMBER_CHANGES {
            return Err(invalid(format!(
                "A maximum of {MAX_MEMBER_CHANGES} members can be added in a single request."
            )));
        }
        let id = self.scim_id();
        let p = self.profile_for_scim(profile)?;
        if p.groups
            .iter()
            .any(|g| g.display_name.eq_ignore_ascii_case(display_name))
        {
            return Err(ScimError::Conflict(
                "Duplicate GroupDisplayName: a group with this displayName already exists.".into(),
            ));
        }
        for m in &members {
            if !p.users.iter().any(|u| u.id == *m) {
                return Err(invalid(format!(
                    "Member {m} is not a user of this directory."
                )));
            }
        }
        let mut unique = Vec::new();
        for m in members {
            if !unique.contains(&m) {
                unique.push(m);
            }
        }
        let group = ScimGroup {
            id,
            display_name: display_name.to_string(),
            external_id,
            members: unique,
            created: now,
            last_modified: now,
        };
        p.groups.push(group.clone());
        Ok(group)
    }

    /// A group.
    pub fn group(&self, profile: &str, id: &str) -> Result<&ScimGroup, ScimError> {
        self.profile(profile)
            .map_err(|_| ScimError::NotFound(format!("Profile {profile} not found.")))?
            .groups
            .iter()
            .find(|g| g.id == id)
            .ok_or_else(|| ScimError::NotFound(format!("Group {id} not found.")))
    }

    /// Lists groups matching an IdC filter.
    pub fn list_groups(
        &self,
        profile: &str,
        filter: Option<&str>,
        count: Option<usize>,
        cursor: Option<&str>,
    ) -> Result<Page<&ScimGroup>, ScimError> {
        let conditions = filter
            .map(|f| parse_filter(f, &["displayName", "externalId", "id", "members"]))
            .transpose()?
            .unwrap_or_default();
        let p = self
            .profile(profile)
            .map_err(|_| ScimError::NotFound(format!("Profile {profile} not found.")))?;
        // ListGroups: ResourceNotFoundException "when filter querying with a nonexisting
        // member" (KIRO-SCIM-10).
        for (attr, value) in &conditions {
            if *attr == "members" && !p.users.iter().any(|u| u.id == *value) {
                return Err(ScimError::NotFound(format!("User {value} not found.")));
            }
        }
        let matching: Vec<&ScimGroup> = p
            .groups
            .iter()
            .filter(|g| {
                conditions.iter().all(|(attr, value)| match *attr {
                    "displayName" => g.display_name.eq_ignore_ascii_case(value),
                    "externalId" => g.external_id.as_deref() == Some(value.as_str()),
                    "members" => g.members.contains(value),
                    _ => g.id == *value,
                })
            })
            .collect();
        paginate(matching, count, cursor, |g| &g.id)
    }

    /// Applies PATCH operations to a group with IdC's limits; all or nothing. Returns the
    /// membership change (so seats can follow). The operations are first played against a
    /// small [`Draft`] (the touched members and attributes), so a large group is never copied.
    pub fn patch_group(
        &mut self,
        now: SystemTime,
        profile: &str,
        id: &str,
        ops: &[PatchOp],
    ) -> Result<MembershipChange, ScimError> {
        let group = self.group(profile, id)?;
        let mut draft = Draft {
            members: &group.members,
            display_name: group.display_name.clone(),
            external_id: group.external_id.clone(),
            touched: Vec::new(),
            change: MembershipChange::default(),
            member_changes: 0,
        };
        for op in ops {
            draft.apply(op)?;
            if draft.member_changes > MAX_MEMBER_CHANGES {
                return Err(invalid(format!(
                    "A maximum of {MAX_MEMBER_CHANGES} membership changes are allowed in a single request."
                )));
            }
        }
        let Draft {
            display_name,
            external_id,
            touched,
            change,
            ..
        } = draft;
        let p = self.profile_for_scim(profile)?;
        for m in &change.added {
            if !p.users.iter().any(|u| u.id == *m) {
                return Err(invalid(format!(
                    "Member {m} is not a user of this directory."
                )));
            }
        }
        if p.groups
            .iter()
            .any(|g| g.id != id && g.display_name.eq_ignore_ascii_case(&display_name))
        {
            return Err(ScimError::Conflict(
                "Duplicate GroupDisplayName: a group with this displayName already exists.".into(),
            ));
        }
        let group = p
            .groups
            .iter_mut()
            .find(|g| g.id == id)
            .ok_or_else(|| ScimError::NotFound(format!("Group {id} not found.")))?;
        group.display_name = display_name;
        group.external_id = external_id;
        let removed: Vec<&String> = touched
            .iter()
            .filter(|(_, present)| !present)
            .map(|(m, _)| m)
            .collect();
        if !removed.is_empty() {
            group.members.retain(|m| !removed.contains(&m));
        }
        for (member, present) in &touched {
            if *present && !group.members.contains(member) {
                group.members.push(member.clone());
            }
        }
        group.last_modified = now;
        self.on_membership_change(now, profile, id, &change);
        Ok(change)
    }

    /// Deletes a group.
    pub fn delete_group(&mut self, profile: &str, id: &str) -> Result<(), ScimError> {
        self.group(profile, id)?;
        let p = self.profile_for_scim(profile)?;
        p.groups.retain(|g| g.id != id);
        Ok(())
    }
}

/// A group PATCH in progress: the attributes it sets and the members it touches, over the
/// group's current members (borrowed, never copied).
struct Draft<'g> {
    members: &'g [String],
    display_name: String,
    external_id: Option<String>,
    /// Touched member ids, in order, with whether they end up in the group.
    touched: Vec<(String, bool)>,
    change: MembershipChange,
    member_changes: usize,
}

impl Draft<'_> {
    fn is_member(&self, id: &str) -> bool {
        match self.touched.iter().rev().find(|(m, _)| m == id) {
            Some((_, present)) => *present,
            None => self.members.iter().any(|m| m == id),
        }
    }

    fn set(&mut self, id: &str, present: bool) {
        match self.touched.iter_mut().find(|(m, _)| m == id) {
            Some(entry) => entry.1 = present,
            None => self.touched.push((id.to_string(), present)),
        }
    }

    fn add(&mut self, value: &Value) -> Result<(), ScimError> {
        let ids = member_values(value)?;
        self.member_changes += ids.len();
        for id in ids {
            if !self.is_member(&id) {
                self.set(&id, true);
                self.change.removed.retain(|r| *r != id);
                self.change.added.push(id);
            }
        }
        Ok(())
    }

    fn remove(&mut self, ids: Vec<String>) {
        self.member_changes += ids.len();
        for id in ids {
            if self.is_member(&id) {
                self.set(&id, false);
                self.change.added.retain(|a| *a != id);
                self.change.removed.push(id);
            }
        }
    }

    fn set_attr(&mut self, key: &str, value: &Value) -> Result<(), ScimError> {
        let text = value
            .as_str()
            .ok_or_else(|| invalid(format!("{key} must be a string.")))?;
        if key.eq_ignore_ascii_case("displayName") {
            check_value("displayName", text)?;
            self.display_name = text.to_string();
        } else if key.eq_ignore_ascii_case("externalId") {
            check_value("externalId", text)?;
            self.external_id = Some(text.to_string());
        } else {
            return Err(invalid(format!(
                "Only displayName, members and externalId can be changed, not {key}."
            )));
        }
        Ok(())
    }

    fn apply(&mut self, op: &PatchOp) -> Result<(), ScimError> {
        let kind = op.op.to_ascii_lowercase();
        let path = op.path.as_deref().map(str::trim);
        match (kind.as_str(), path) {
            ("add" | "replace", None) => {
                let object = op
                    .value
                    .as_ref()
                    .and_then(Value::as_object)
                    .ok_or_else(|| invalid("A PATCH without path needs an object value."))?;
                for (key, value) in object {
                    if key.eq_ignore_ascii_case("members") {
                        if kind == "replace" {
                            return Err(invalid("Replacing all group members is not supported."));
                        }
                        self.add(value)?;
                    } else {
                        self.set_attr(key, value)?;
                    }
                }
            }
            ("add", Some(p)) if p.eq_ignore_ascii_case("members") => {
                let value = op
                    .value
                    .as_ref()
                    .ok_or_else(|| invalid("add members needs a value."))?;
                self.add(value)?;
            }
            ("replace", Some(p)) if p.eq_ignore_ascii_case("members") => {
                return Err(invalid("Replacing all group members is not supported."));
            }
            ("remove", Some(p)) if p.eq_ignore_ascii_case("members") => {
                let value = op
                    .value
                    .as_ref()
                    .ok_or_else(|| invalid("Removing all group members is not supported."))?;
                self.remove(member_values(value)?);
            }
            ("remove", Some(p)) if p.to_ascii_lowercase().starts_with("members[") => {
                let filter = p
                    .get(8..p.len().saturating_sub(1))
                    .filter(|_| p.ends_with(']'))
                    .ok_or_else(|| ScimError::InvalidFilter(format!("Invalid path {p}.")))?;
                let conditions = parse_filter(filter, &["id"]).or_else(|_| {
                    let value = filter.trim().strip_prefix("value").ok_or_else(|| {
                        ScimError::InvalidFilter(format!("Invalid member filter {filter}."))
                    })?;
                    parse_filter(&format!("id{value}"), &["id"])
                })?;
                self.remove(conditions.into_iter().map(|(_, v)| v).collect());
            }
            ("add" | "replace", Some(p)) => {
                let value = op
                    .value
                    .as_ref()
                    .ok_or_else(|| invalid(format!("{kind} {p} needs a value.")))?;
                self.set_attr(p, value)?;
            }
            ("remove", Some(p)) if p.eq_ignore_ascii_case("externalId") => self.external_id = None,
            _ => {
                return Err(invalid(format!(
                    "Unsupported PATCH operation {} on {:?}.",
                    op.op, op.path
                )));
            }
        }
        Ok(())
    }
}

fn member_values(value: &Value) -> Result<Vec<String>, ScimError> {
    let list = value
        .as_array()
        .ok_or_else(|| invalid("members must be a list of {\"value\": id}."))?;
    list.iter()
        .map(|m| {
            m.get("value")
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| invalid("Each member needs a value."))
        })
        .collect()
}

/// Where a user PATCH path points: the core schema, or the enterprise extension (the whole
/// extension for the bare URN, or one of its attributes after `URN:`). URNs compare
/// case-insensitively (RFC 7644 §3.10).
enum Target<'p> {
    Core(&'p str),
    Extension,
    ExtensionAttr(&'p str),
}

fn target(path: &str) -> Target<'_> {
    let mut path = path.trim();
    if let Some(head) = path.get(..CORE_USER.len() + 1)
        && head.eq_ignore_ascii_case(&format!("{CORE_USER}:"))
    {
        path = &path[CORE_USER.len() + 1..];
    }
    match path.get(..ENTERPRISE.len()) {
        Some(head) if head.eq_ignore_ascii_case(ENTERPRISE) => {
            match path[ENTERPRISE.len()..].strip_prefix(':') {
                Some(attr) => Target::ExtensionAttr(attr),
                None if path.len() == ENTERPRISE.len() => Target::Extension,
                None => Target::Core(path),
            }
        }
        _ => Target::Core(path),
    }
}

/// The attributes IdC refuses to `remove` and allows one operation on per request.
const ONE_OP_ONLY: [&str; 2] = ["userName", "active"];

/// IdC's PatchUser rules on a whole request: no `remove` of `userName` or `active`, and at most
/// one operation on each of them (KIRO-SCIM-8).
fn check_user_ops(ops: &[PatchOp]) -> Result<(), ScimError> {
    for attr in ONE_OP_ONLY {
        let mut touching = 0;
        for op in ops {
            let named = match (op.path.as_deref(), op.value.as_ref()) {
                (Some(path), _) => {
                    matches!(target(path), Target::Core(p) if p.eq_ignore_ascii_case(attr))
                }
                (None, Some(Value::Object(value))) => {
                    value.keys().any(|k| k.eq_ignore_ascii_case(attr))
                }
                (None, _) => false,
            };
            if !named {
                continue;
            }
            if op.op.eq_ignore_ascii_case("remove") {
                return Err(invalid(format!(
                    "The remove operation is not supported for {attr}."
                )));
            }
            touching += 1;
        }
        if touching > 1 {
            return Err(invalid(format!(
                "Multiple operations on {attr} in one request are not supported."
            )));
        }
    }
    Ok(())
}

/// The enterprise extension's object in a user's JSON form, made if missing.
fn extension(object: &mut Map<String, Value>) -> &mut Value {
    object
        .entry(ENTERPRISE)
        .or_insert_with(|| Value::Object(Map::new()))
}

/// Applies one PATCH op to a user's JSON form.
fn apply_user_op(json: &mut Value, op: &PatchOp) -> Result<(), ScimError> {
    let kind = op.op.to_ascii_lowercase();
    let object = json
        .as_object_mut()
        .ok_or_else(|| invalid("internal: user is not an object"))?;
    match (kind.as_str(), op.path.as_deref()) {
        ("add" | "replace", None) => {
            let value = op
                .value
                .as_ref()
                .and_then(Value::as_object)
                .ok_or_else(|| invalid("A PATCH without path needs an object value."))?;
            for (key, v) in value {
                match target(key) {
                    Target::Extension => merge_extension(object, v)?,
                    Target::ExtensionAttr(attr) => set_path(extension(object), attr, v.clone())?,
                    Target::Core(key) => set_path(object, key, v.clone())?,
                }
            }
            Ok(())
        }
        ("add" | "replace", Some(path)) => {
            let value = op
                .value
                .clone()
                .ok_or_else(|| invalid(format!("{kind} {path} needs a value.")))?;
            match target(path) {
                Target::Extension => merge_extension(object, &value),
                Target::ExtensionAttr(attr) => set_path(extension(object), attr, value),
                Target::Core(path) => set_path(object, path, value),
            }
        }
        ("remove", Some(path)) => {
            match target(path) {
                Target::Extension => {
                    object.remove(ENTERPRISE);
                }
                Target::ExtensionAttr(attr) => {
                    if let Some(ext) = object.get_mut(ENTERPRISE).and_then(Value::as_object_mut) {
                        remove_path(ext, attr);
                    }
                }
                Target::Core(path) => remove_path(object, path),
            }
            Ok(())
        }
        ("remove", None) => Err(invalid("The path is required for a remove operation.")),
        _ => Err(invalid(format!(
            "The operation {:?} is not supported: use add, replace or remove.",
            op.op
        ))),
    }
}

/// Longest PATCH path accepted (sim choice; longer than any attribute path with a filter).
pub const MAX_PATH_LENGTH: usize = 512;
/// Most segments of a PATCH path: `attribute.subAttribute` (SCIM's attribute paths, RFC 7644
/// section 3.10, go no deeper).
const MAX_PATH_SEGMENTS: usize = 2;

/// `add`/`replace` of the whole enterprise extension: its attributes are set one by one.
fn merge_extension(object: &mut Map<String, Value>, value: &Value) -> Result<(), ScimError> {
    let attrs = value
        .as_object()
        .ok_or_else(|| invalid(format!("{ENTERPRISE} must be an object.")))?;
    let ext = extension(object);
    for (attr, v) in attrs {
        set_path(ext, attr, v.clone())?;
    }
    Ok(())
}

/// Removes `path` (`title`, `name.givenName`, `emails[type eq "work"].value`) from an object.
fn remove_path(object: &mut Map<String, Value>, path: &str) {
    let (head, tail) = path
        .split_once('.')
        .map_or((path, None), |(h, t)| (h, Some(t)));
    let key = head.split('[').next().unwrap_or(head);
    match tail {
        None => {
            let canonical = object.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned();
            if let Some(k) = canonical {
                object.remove(&k);
            }
        }
        Some(sub) => {
            if let Some(inner) = object
                .iter_mut()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
            {
                match inner {
                    Value::Object(o) => {
                        let canonical = o.keys().find(|k| k.eq_ignore_ascii_case(sub)).cloned();
                        if let Some(k) = canonical {
                            o.remove(&k);
                        }
                    }
                    Value::Array(items) => {
                        for item in items.iter_mut().filter_map(Value::as_object_mut) {
                            item.remove(sub);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

/// Sets `path` (`name.givenName`, `emails[type eq "work"].value`, `active`) in an object.
/// A path with more segments than SCIM attributes have, or longer than [`MAX_PATH_LENGTH`],
/// is refused with invalidPath before anything is nested (KIRO-SCIM-4).
fn set_path<T: PathTarget + ?Sized>(
    target: &mut T,
    path: &str,
    value: Value,
) -> Result<(), ScimError> {
    if path.len() > MAX_PATH_LENGTH {
        return Err(ScimError::InvalidPath(format!(
            "Invalid path: longer than {MAX_PATH_LENGTH} characters."
        )));
    }
    let mut bracket = 0usize;
    let dots = path
        .chars()
        .filter(|&c| {
            match c {
                '[' => bracket += 1,
                ']' => bracket = bracket.saturating_sub(1),
                _ => {}
            }
            c == '.' && bracket == 0
        })
        .count();
    if dots >= MAX_PATH_SEGMENTS {
        let shown: String = path.chars().take(64).collect();
        return Err(ScimError::InvalidPath(format!(
            "Invalid path {shown}: an attribute path has at most {MAX_PATH_SEGMENTS} segments."
        )));
    }
    set_path_in(target, path, value)
}

fn set_path_in<T: PathTarget + ?Sized>(
    target: &mut T,
    path: &str,
    value: Value,
) -> Result<(), ScimError> {
    let object = target
        .object()
        .ok_or_else(|| invalid("internal: not an object"))?;
    let (head, tail) = path
        .split_once('.')
        .map_or((path, None), |(h, t)| (h, Some(t)));
    let (name, filter) = match head.split_once('[') {
        Some((n, f)) => (n, Some(f.trim_end_matches(']'))),
        None => (head, None),
    };
    let key = object
        .keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| camel(name));
    match (filter, tail) {
        (None, None) => {
            object.insert(key, value);
        }
        (None, Some(rest)) => {
            let inner = object
                .entry(key)
                .or_insert_with(|| Value::Object(Map::new()));
            set_path_in(inner, rest, value)?;
        }
        (Some(filter), rest) => {
            // Multi-valued attribute: IdC holds one value, so the filter picks it or makes it.
            let (fattr, fvalue) = filter
                .split_once(" eq ")
                .map(|(a, v)| (a.trim().to_string(), v.trim().trim_matches('"').to_string()))
                .ok_or_else(|| {
                    ScimError::InvalidFilter(format!("Invalid path filter {filter}."))
                })?;
            let list = object
                .entry(key)
                .or_insert_with(|| Value::Array(Vec::new()));
            let items = list
                .as_array_mut()
                .ok_or_else(|| invalid(format!("{name} is not multi-valued.")))?;
            if items.is_empty() {
                let mut item = Map::new();
                item.insert(fattr.clone(), Value::String(fvalue.clone()));
                items.push(Value::Object(item));
            }
            for item in items.iter_mut() {
                match rest {
                    Some(sub) => set_path_in(item, sub, value.clone())?,
                    None => *item = value.clone(),
                }
            }
        }
    }
    Ok(())
}

/// Something `set_path` can write into.
trait PathTarget {
    fn object(&mut self) -> Option<&mut Map<String, Value>>;
}

impl PathTarget for Value {
    fn object(&mut self) -> Option<&mut Map<String, Value>> {
        self.as_object_mut()
    }
}

impl PathTarget for Map<String, Value> {
    fn object(&mut self) -> Option<&mut Map<String, Value>> {
        Some(self)
    }
}

/// `givenname` → `givenName` for the attributes SCIM clients spell in other cases.
fn camel(name: &str) -> String {
    const KNOWN: [&str; 28] = [
        "externalId",
        "userName",
        "name",
        "displayName",
        "nickName",
        "profileUrl",
        "title",
        "userType",
        "preferredLanguage",
        "locale",
        "timezone",
        "active",
        "emails",
        "addresses",
        "phoneNumbers",
        "formatted",
        "familyName",
        "givenName",
        "middleName",
        "honorificPrefix",
        "honorificSuffix",
        "value",
        "employeeNumber",
        "costCenter",
        "organization",
        "division",
        "department",
        "manager",
    ];
    KNOWN
        .iter()
        .find(|k| k.eq_ignore_ascii_case(name))
        .map_or_else(|| name.to_string(), |k| k.to_string())
}

/// One page of `matching`, borrowed (the caller renders it under the lock: a group's member
/// list is never copied to list it).
fn paginate<'a, T>(
    matching: Vec<&'a T>,
    count: Option<usize>,
    cursor: Option<&str>,
    id: impl Fn(&T) -> &String,
) -> Result<Page<&'a T>, ScimError> {
    let total = matching.len();
    let count = count.unwrap_or(MAX_COUNT).min(MAX_COUNT);
    // The cursor is the id of the last item of the previous page. One that names no item
    // (made up, or its item deleted since) is refused rather than restarting from the top,
    // which would make a paging client loop.
    let start = match cursor.filter(|c| !c.is_empty()) {
        None => 0,
        Some(c) => {
            matching
                .iter()
                .position(|item| id(item) == c)
                .ok_or_else(|| invalid(format!("The cursor {c:?} is not valid.")))?
                + 1
        }
    };
    let items: Vec<&'a T> = matching.into_iter().skip(start).take(count).collect();
    let next_cursor = (start + items.len() < total && !items.is_empty())
        .then(|| items.last().map(|i| id(i).clone()))
        .flatten();
    Ok(Page {
        total,
        items,
        next_cursor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_eq_and_only() {
        assert_eq!(
            parse_filter(
                r#"userName eq "ada@example.com" and externalId eq "00u1""#,
                &["userName", "externalId", "id"]
            ),
            Ok(vec![
                ("userName", "ada@example.com".to_string()),
                ("externalId", "00u1".to_string())
            ])
        );
        assert_eq!(
            parse_filter(r#"USERNAME EQ "x""#, &["userName"]).map(|v| v.len()),
            Ok(1)
        );
        for bad in [
            r#"userName co "a""#,
            r#"userName eq "a" or id eq "b""#,
            r#"emails.value eq "a""#,
            "userName eq a",
            r#"displayName eq "g""#,
        ] {
            assert!(
                matches!(
                    parse_filter(bad, &["userName", "externalId", "id"]),
                    Err(ScimError::InvalidFilter(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn values_with_forbidden_characters_are_refused() {
        for bad in [
            "",
            "a<b",
            "a>b",
            "a;b",
            "a:b",
            "50%",
            "tab\there",
            "zero\u{200b}width",
        ] {
            assert!(check_value("f", bad).is_err(), "{bad:?}");
        }
        assert!(check_value("f", "Ada Lovelace-Byron (UK)").is_ok());
    }
}
