//! Users and groups with AWS IAM Identity Center's SCIM semantics (BEHAVIOURS.md KIRO-SCIM-1..5,
//! KIRO-SCIM-7, KIRO-SCIM-8, KIRO-SCIM-10).
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
//!
//! Two halves, one way: `protocol.rs` is the SCIM dialect as pure functions over values
//! (filters, `schemas`, IdC's attribute checks, a user's JSON form and PATCH applied to it, a
//! group PATCH played on a draft); `store.rs` keeps each profile's users and groups (create,
//! read, list a page at a time, replace, patch, delete: unique names, members that exist, at
//! most 100 member changes, membership changes fed to `seats`) and calls the dialect, never
//! the reverse. Both are private; what they export is re-exported here.

mod protocol;
mod store;
mod users;

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

pub use protocol::{
    ENTERPRISE, GROUP_SCHEMA, MAX_PATH_LENGTH, PatchOp, USER_SCHEMA, check_schemas, parse_filter,
    user_attrs_from_json, validate_user,
};
pub use store::{MAX_COUNT, MAX_MEMBER_CHANGES, Page};
pub use users::Users;

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
    pub members: sim_core::members::Members,
    /// When created.
    pub created: SystemTime,
    /// When last changed.
    pub last_modified: SystemTime,
}

/// What a group PATCH changed in membership.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MembershipChange {
    /// Users added.
    pub added: Vec<String>,
    /// Users removed.
    pub removed: Vec<String>,
}
