//! SCIM 2.0 provisioning from the org to a downstream app (BEHAVIOURS.md OKTA-PROV-1..8).
//!
//! Okta is the only side that moves users: it pushes users and groups to the app as they
//! change; the app cannot pull. Per provisioning app (a catalog app such as AWS IAM Identity
//! Center) this module keeps:
//!
//! - the **connection** (`/connections/default`): base URL, API token, enabled or not;
//! - the **To App features**: Create Users, Update User Attributes, Deactivate Users, each off
//!   by default;
//! - the **attribute mappings** (Okta user → app user), IdC's defaults including `department`
//!   and `employeeNumber`;
//! - per user, the **link** to the downstream user (its SCIM id, the attributes last pushed,
//!   whether it is active there, the last error);
//! - the **group push mappings** (source group, downstream group id, members last pushed,
//!   status ACTIVE / INACTIVE / ERROR with an error summary).
//!
//! ## The planner
//!
//! Every change that may matter downstream (assignment, membership, profile, lifecycle, group
//! rename or delete, connection, features, mappings, push mappings) marks the **resources** it
//! touches (a user of an app, or a push mapping) as runnable. The wire layer's engine asks
//! [`Org::take_push_tasks`] for work: for each runnable resource the core compares what Okta
//! says should be downstream with what it last pushed, and returns the one SCIM call that
//! moves it a step closer ([`PushTask`]: method, path, body), or nothing when it is in sync.
//! The engine makes the call and hands the answer back ([`Org::complete_push`]): success
//! records what is now downstream (ids, attributes, members) and makes the resource runnable
//! again for its next step; failure keeps the error, counts the attempt and parks the resource
//! until its next attempt (exponential backoff, 1 minute doubling to 1 hour, or the target's
//! `Retry-After`).
//!
//! So changes to one resource are applied in order, one call at a time; a change made while
//! the target is down is never lost (the next attempt is computed from the state, not from a
//! log of events), and nothing is applied twice (a create that may have half-succeeded is
//! preceded by a lookup on its next attempt). Changes that cancel out while the target is down
//! (a member added then removed) make no call at all.
//!
//! ## Calls, as Okta makes them (OKTA-PROV-3..5)
//!
//! - assigned user: `GET /Users?filter=userName eq "{login}"`, then `POST /Users` (externalId
//!   = Okta user id, name, emails, displayName, active, mapped attributes), or link to the
//!   match;
//! - mapped attribute changed: `PUT /Users/{id}` with the whole user;
//! - unassigned, deactivated or suspended: `PATCH` `active: false` (reassigned, reactivated or
//!   unsuspended: `active: true`); users are never deleted downstream;
//! - pushed group: `POST /Groups` (no members), then `PATCH` with `remove`
//!   `members[value eq "…"]` and `add` `members`, at most 100 member changes per request;
//!   rename: `PATCH` `replace` `displayName`; unlink with delete: `DELETE /Groups/{id}`.
//!   Only members that are linked users are pushed (users must be assigned to the app).
//!
//! ## Okta's quirk (OKTA-PROV-6)
//!
//! While `department` or `employeeNumber` are mapped, group push ends in ERROR naming them;
//! removing both mappings and retrying (PATCH the push mapping to ACTIVE) makes it ACTIVE.
//!
//! Sim choices: suspending a user deactivates it downstream (unsuspending reactivates);
//! deleting an Okta group deletes its push mappings and the downstream group.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::time::{Duration, SystemTime};

use serde_json::{Map, Value, json};

use super::apps::AppStatus;
use super::log::{Actor, Outcome, Target};
use super::{OktaError, Org, UserStatus};

/// The core User schema.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The enterprise User extension (department, employeeNumber, …).
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// The core Group schema.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// PATCH requests.
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// Most member changes one group PATCH carries.
pub const MAX_MEMBER_CHANGES: usize = 100;
/// The first retry waits this long; each further one twice as long as the last …
pub const FIRST_RETRY: Duration = Duration::from_secs(60);
/// … up to this.
pub const MAX_RETRY: Duration = Duration::from_secs(3600);
/// Mappings that make IdC's group push fail while mapped (OKTA-PROV-6).
pub const GROUP_PUSH_BLOCKERS: [&str; 2] = ["department", "employeeNumber"];

// ---- configuration ------------------------------------------------------------------------

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
    fn ready(&self) -> Option<(&str, &str)> {
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
    fn eval(&self, profile: &Map<String, Value>) -> Option<String> {
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

/// Where an app-user attribute of AWS IAM Identity Center goes in a SCIM User.
#[derive(Clone, Copy, Debug)]
enum Slot {
    /// `name.{part}`.
    Name(&'static str),
    /// A top-level string attribute.
    Top(&'static str),
    /// `emails[0]` (work, primary).
    Email,
    /// `phoneNumbers[0]` (work, primary).
    Phone,
    /// An attribute of the enterprise extension.
    Enterprise(&'static str),
}

/// The app-user profile of AWS IAM Identity Center: attribute, SCIM slot, default mapping
/// (sim choice where Okta's exact default is not documented: `displayName` is first and last
/// name, as IdC requires one).
const IDC_ATTRIBUTES: &[(&str, Slot, Option<&str>)] = &[
    ("givenName", Slot::Name("givenName"), Some("user.firstName")),
    (
        "familyName",
        Slot::Name("familyName"),
        Some("user.lastName"),
    ),
    ("middleName", Slot::Name("middleName"), None),
    ("honorificPrefix", Slot::Name("honorificPrefix"), None),
    ("honorificSuffix", Slot::Name("honorificSuffix"), None),
    ("email", Slot::Email, Some("user.email")),
    (
        "displayName",
        Slot::Top("displayName"),
        Some("user.firstName + \" \" + user.lastName"),
    ),
    ("nickName", Slot::Top("nickName"), Some("user.nickName")),
    (
        "profileUrl",
        Slot::Top("profileUrl"),
        Some("user.profileUrl"),
    ),
    ("title", Slot::Top("title"), Some("user.title")),
    ("userType", Slot::Top("userType"), Some("user.userType")),
    (
        "preferredLanguage",
        Slot::Top("preferredLanguage"),
        Some("user.preferredLanguage"),
    ),
    ("locale", Slot::Top("locale"), Some("user.locale")),
    ("timezone", Slot::Top("timezone"), Some("user.timezone")),
    ("primaryPhone", Slot::Phone, Some("user.primaryPhone")),
    (
        "employeeNumber",
        Slot::Enterprise("employeeNumber"),
        Some("user.employeeNumber"),
    ),
    (
        "costCenter",
        Slot::Enterprise("costCenter"),
        Some("user.costCenter"),
    ),
    (
        "organization",
        Slot::Enterprise("organization"),
        Some("user.organization"),
    ),
    (
        "division",
        Slot::Enterprise("division"),
        Some("user.division"),
    ),
    (
        "department",
        Slot::Enterprise("department"),
        Some("user.department"),
    ),
];

fn slot_of(attr: &str) -> Option<(usize, Slot)> {
    IDC_ATTRIBUTES
        .iter()
        .position(|(a, _, _)| *a == attr)
        .map(|i| (i, IDC_ATTRIBUTES[i].1))
}

/// The default mappings of AWS IAM Identity Center (`department` and `employeeNumber`
/// included).
pub fn default_mappings() -> Vec<PropertyMapping> {
    IDC_ATTRIBUTES
        .iter()
        .filter_map(|(target, _, expression)| {
            expression.and_then(|e| PropertyMapping::new(target, e, PushStatus::Push).ok())
        })
        .collect()
}

// ---- state --------------------------------------------------------------------------------

/// A user's link to its downstream account.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct UserLink {
    /// The downstream SCIM id, once created or matched.
    pub downstream_id: Option<String>,
    /// The login when last seen (for the System Log once the user is gone).
    pub login: String,
    /// The app-user profile last pushed (`userName` and mapped attributes).
    pub(crate) pushed: Option<Map<String, Value>>,
    /// Whether the downstream account is active, as far as Okta knows.
    pub active: bool,
    /// The lookup before a create was done (and nothing failed since).
    pub(crate) verified: bool,
    /// Last successful call.
    pub last_sync: Option<SystemTime>,
    /// The last failure, until a call succeeds.
    pub error: Option<String>,
    pub(crate) attempts: u32,
    /// When the next attempt is due, while failing.
    pub retry_at: Option<SystemTime>,
}

/// Status of a group push mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PushMappingStatus {
    /// Pushing.
    Active,
    /// Paused by the admin.
    Inactive,
    /// The last push failed (`errorSummary` says why).
    Error,
}

impl PushMappingStatus {
    /// As Okta spells it.
    pub fn as_str(&self) -> &'static str {
        match self {
            PushMappingStatus::Active => "ACTIVE",
            PushMappingStatus::Inactive => "INACTIVE",
            PushMappingStatus::Error => "ERROR",
        }
    }
}

/// A group push mapping (Okta group → downstream group).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GroupPush {
    /// `gmr…`.
    pub id: String,
    /// The Okta group.
    pub source_group_id: String,
    /// Its name when last seen.
    pub source_name: String,
    /// The downstream group, once created or linked.
    pub target_group_id: Option<String>,
    /// A downstream name other than the Okta group's (`targetGroupName`).
    pub target_name: Option<String>,
    pub(crate) pushed_name: Option<String>,
    /// Downstream member ids last pushed.
    pub(crate) pushed_members: BTreeSet<String>,
    /// ACTIVE, INACTIVE or ERROR.
    pub status: PushMappingStatus,
    /// Why the last push failed.
    pub error_summary: Option<String>,
    /// Stopped until the admin retries (OKTA-PROV-6), as opposed to retried on its own.
    pub(crate) blocked: bool,
    /// Look the group up before creating it (a create failed before).
    pub(crate) verify_first: bool,
    /// Being unlinked: `Some(delete the downstream group)`.
    pub(crate) deleting: Option<bool>,
    /// When created.
    pub created: SystemTime,
    /// When last changed.
    pub last_updated: SystemTime,
    /// Last successful push.
    pub last_push: Option<SystemTime>,
    pub(crate) attempts: u32,
    /// When the next attempt is due, while failing.
    pub retry_at: Option<SystemTime>,
    /// The planner's memory (not state): which Okta users to look at next.
    #[serde(skip)]
    pub(crate) changed: Changed,
}

/// The Okta users whose membership of a pushed group, or link to the app, changed since its
/// planner last found the mapping in sync: the next plan looks at them only, instead of at
/// every member (a group of 10,000 is planned on every settle of a persistent world). `None`
/// (the default: after a state import, a new or re-created downstream group, a re-link, or
/// more than [`MAX_NOTED`] changes) looks at every member.
///
/// Not state, and not compared: the plan it gives is the one a look at every member gives
/// (the same changes, in the same order).
#[derive(Clone, Debug, Default)]
pub(crate) struct Changed(Option<BTreeSet<String>>);

/// The most users [`Changed`] notes before the planner looks at every member instead.
const MAX_NOTED: usize = 64;

impl PartialEq for Changed {
    fn eq(&self, _: &Changed) -> bool {
        true
    }
}

impl Eq for Changed {}

impl Changed {
    /// `user`'s membership or link changed. Past [`MAX_NOTED`] users a look at every member is
    /// cheaper (each user noted costs a scan of the members for its place).
    fn note(&mut self, user: &str) {
        if let Some(users) = &mut self.0 {
            users.insert(user.to_string());
            if users.len() > MAX_NOTED {
                self.0 = None;
            }
        }
    }

    /// Something changed that the users do not say: look at every member next time.
    fn forget(&mut self) {
        self.0 = None;
    }
}

/// The provisioning state of one app.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Provisioning {
    /// The connection.
    pub connection: Connection,
    /// The To App features.
    pub features: Features,
    /// The id of the Okta user → app user profile mapping (`prm…`).
    pub mapping_id: String,
    /// The property mappings, in the app-user profile's order.
    pub mappings: Vec<PropertyMapping>,
    /// When the connection, features or mappings last changed.
    pub last_updated: SystemTime,
    pub(crate) users: HashMap<String, UserLink>,
    pub(crate) pushes: Vec<GroupPush>,
    /// Users assigned (directly or through groups), recomputed after assignment changes.
    assigned: Option<BTreeSet<String>>,
    /// Every push mapping was queued after a user was linked, and no group was taken since.
    pushes_queued: bool,
}

impl Provisioning {
    /// A user's link.
    pub fn user_link(&self, user_id: &str) -> Option<&UserLink> {
        self.users.get(user_id)
    }

    /// The group push mappings, in creation order.
    pub fn group_pushes(&self) -> &[GroupPush] {
        &self.pushes
    }

    /// The app-user profile Okta computes for a user: `userName` (the login) and every mapped
    /// attribute with a value.
    pub fn app_profile(&self, profile: &Map<String, Value>) -> Map<String, Value> {
        let mut out = Map::new();
        out.insert(
            "userName".into(),
            profile.get("login").cloned().unwrap_or(Value::Null),
        );
        for m in &self.mappings {
            if let Some(v) = m.eval(profile) {
                out.insert(m.target.clone(), Value::String(v));
            }
        }
        out
    }

    /// The mapped attributes that make group push fail (OKTA-PROV-6).
    pub fn group_push_blockers(&self) -> Vec<&'static str> {
        GROUP_PUSH_BLOCKERS
            .into_iter()
            .filter(|b| self.mappings.iter().any(|m| m.target == *b))
            .collect()
    }
}

/// One resource the engine pushes: a user of an app, or a group push mapping.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum ResourceKey {
    /// A user of a provisioning app.
    User {
        /// The app.
        app: String,
        /// The Okta user.
        user: String,
    },
    /// A group push mapping.
    Group {
        /// The app.
        app: String,
        /// The mapping.
        mapping: String,
    },
}

/// What a push call is for.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum PushOp {
    /// `GET /Users?filter=userName eq "…"`.
    LookupUser {
        /// The login looked for.
        login: String,
    },
    /// `POST /Users`.
    CreateUser {
        /// The app-user profile sent.
        profile: Map<String, Value>,
    },
    /// `PUT /Users/{id}`.
    UpdateUser {
        /// Downstream id.
        downstream: String,
        /// The app-user profile sent.
        profile: Map<String, Value>,
    },
    /// `PATCH /Users/{id}` `active`.
    SetActive {
        /// Downstream id.
        downstream: String,
        /// The value sent.
        active: bool,
    },
    /// `GET /Groups?filter=displayName eq "…"`.
    LookupGroup {
        /// The name looked for.
        name: String,
    },
    /// `POST /Groups`.
    CreateGroup {
        /// Its displayName.
        name: String,
    },
    /// `PATCH /Groups/{id}` `displayName`.
    RenameGroup {
        /// Downstream id.
        target: String,
        /// The new name.
        name: String,
    },
    /// `PATCH /Groups/{id}` members.
    PatchMembers {
        /// Downstream id.
        target: String,
        /// Added: (downstream user id, display).
        added: Vec<(String, String)>,
        /// Removed downstream user ids.
        removed: Vec<String>,
    },
    /// `DELETE /Groups/{id}`.
    DeleteGroup {
        /// Downstream id.
        target: String,
    },
}

/// A SCIM call to make, computed by the core.
#[derive(Clone, Debug, PartialEq)]
pub struct PushTask {
    /// The resource it moves.
    pub key: ResourceKey,
    /// What it is for.
    pub op: PushOp,
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: &'static str,
    /// The base URL of the target (no trailing slash).
    pub base_url: String,
    /// The path and query under it (`/Users?filter=…`).
    pub path: String,
    /// The JSON body, if any.
    pub body: Option<Value>,
    /// The bearer token.
    pub token: String,
}

impl PushTask {
    /// The full URL.
    pub fn url(&self) -> String {
        format!("{}{}", self.base_url, self.path)
    }
}

/// Why a call failed, as the wire layer saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushFailure {
    /// The HTTP status, if the target answered.
    pub status: Option<u16>,
    /// The error text (status and the target's detail, or the transport error).
    pub message: String,
    /// The target's `Retry-After`, if any.
    pub retry_after: Option<Duration>,
}

impl PushFailure {
    /// Whether the target may have done the work anyway: no answer, a 5xx, or a conflict
    /// (it exists already). A 429 or another 4xx was refused, so a retried create need not
    /// look the resource up first.
    pub fn maybe_applied(&self) -> bool {
        self.status.is_none_or(|s| s >= 500 || s == 409)
    }
}

/// How a call went.
#[derive(Clone, Debug, PartialEq)]
pub enum PushResult {
    /// A 2xx answer and its JSON body (`Null` when empty).
    Ok {
        /// The status.
        status: u16,
        /// The body.
        body: Value,
    },
    /// Anything else.
    Failed(PushFailure),
}

/// How much push work is left.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PushBacklog {
    /// Resources runnable now.
    pub runnable: usize,
    /// Calls in flight.
    pub in_flight: usize,
    /// Resources waiting for a retry time.
    pub waiting: usize,
    /// The earliest retry time.
    pub next_attempt: Option<SystemTime>,
}

/// A user's provisioning as the app-user object shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct AppUserSync {
    /// The downstream id (`externalId` of the app user).
    pub external_id: Option<String>,
    /// `DISABLED`, `OUT_OF_SYNC`, `SYNCING`, `SYNCHRONIZED` or `ERROR`.
    pub sync_state: &'static str,
    /// Last successful push.
    pub last_sync: Option<SystemTime>,
    /// The app-user profile.
    pub profile: Map<String, Value>,
    /// The last error, while failing.
    pub error: Option<String>,
}

/// The runnable and waiting resources.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct PushQueue {
    users: VecDeque<ResourceKey>,
    groups: VecDeque<ResourceKey>,
    queued: BTreeSet<ResourceKey>,
    in_flight: BTreeSet<ResourceKey>,
    waiting: BTreeSet<(SystemTime, ResourceKey)>,
}

impl PushQueue {
    fn push(&mut self, key: ResourceKey) {
        if self.queued.contains(&key) {
            return;
        }
        self.queued.insert(key.clone());
        match key {
            ResourceKey::User { .. } => self.users.push_back(key),
            ResourceKey::Group { .. } => self.groups.push_back(key),
        }
    }

    /// The next runnable resource: users first, so group memberships go out in full batches.
    fn pop(&mut self) -> Option<ResourceKey> {
        let key = self.users.pop_front().or_else(|| self.groups.pop_front())?;
        self.queued.remove(&key);
        Some(key)
    }

    fn release_due(&mut self, now: SystemTime) {
        while let Some((at, _)) = self.waiting.first() {
            if *at > now {
                break;
            }
            if let Some((_, key)) = self.waiting.pop_first() {
                self.push(key);
            }
        }
    }
}

/// The org's provisioning: per app, and the push queue.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Provisioner {
    apps: BTreeMap<String, Provisioning>,
    queue: PushQueue,
    /// The id of the default Okta user type (`oty…`), the source of profile mappings.
    user_type_id: Option<String>,
}

impl Provisioner {
    /// After a state import: resources whose call was in flight when the state was taken go
    /// back to the queue (the planner compares with what was last pushed, so the call is made
    /// again only if still needed).
    pub(crate) fn requeue_in_flight(&mut self) {
        let in_flight: Vec<ResourceKey> = std::mem::take(&mut self.queue.in_flight)
            .into_iter()
            .collect();
        for key in in_flight {
            self.queue.push(key);
        }
    }

    /// When parked resources are due for a retry, earliest first, once per distinct time: the
    /// push wake-ups a restored org needs on the clock.
    pub(crate) fn retry_times(&self) -> Vec<SystemTime> {
        let mut times: Vec<SystemTime> = self.queue.waiting.iter().map(|(at, _)| *at).collect();
        times.dedup();
        times
    }

    /// Whether a resource is runnable now (a drain is needed).
    pub(crate) fn has_runnable(&self) -> bool {
        !self.queue.queued.is_empty()
    }
}

// ---- the org's side -----------------------------------------------------------------------

fn not_provisioning(app_id: &str) -> OktaError {
    OktaError::not_found("ProvisioningConnection", app_id)
}

fn backoff(attempts: u32) -> Duration {
    let factor = 1u32 << attempts.saturating_sub(1).min(12);
    FIRST_RETRY.saturating_mul(factor).min(MAX_RETRY)
}

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
fn encode(value: &str) -> String {
    sim_core::url::encode(value)
}

/// The SCIM User body for an app-user profile.
fn scim_user(
    okta_id: &str,
    downstream: Option<&str>,
    profile: &Map<String, Value>,
    active: bool,
) -> Value {
    let mut name = Map::new();
    let mut top: Vec<(&str, Value)> = Vec::new();
    let mut email = None;
    let mut phone = None;
    let mut enterprise = Map::new();
    for (attr, slot, _) in IDC_ATTRIBUTES {
        let Some(value) = profile.get(*attr).filter(|v| !v.is_null()) else {
            continue;
        };
        match slot {
            Slot::Name(part) => {
                name.insert((*part).into(), value.clone());
            }
            Slot::Top(key) => top.push((key, value.clone())),
            Slot::Email => email = Some(value.clone()),
            Slot::Phone => phone = Some(value.clone()),
            Slot::Enterprise(key) => {
                enterprise.insert((*key).into(), value.clone());
            }
        }
    }
    let mut schemas = vec![json!(USER_SCHEMA)];
    if !enterprise.is_empty() {
        schemas.push(json!(ENTERPRISE_SCHEMA));
    }
    let mut out = Map::new();
    out.insert("schemas".into(), Value::Array(schemas));
    if let Some(id) = downstream {
        out.insert("id".into(), json!(id));
    }
    out.insert(
        "userName".into(),
        profile.get("userName").cloned().unwrap_or(Value::Null),
    );
    out.insert("externalId".into(), json!(okta_id));
    out.insert("name".into(), Value::Object(name));
    for (key, value) in top {
        out.insert(key.into(), value);
    }
    if let Some(email) = email {
        out.insert(
            "emails".into(),
            json!([{ "value": email, "type": "work", "primary": true }]),
        );
    }
    if let Some(phone) = phone {
        out.insert(
            "phoneNumbers".into(),
            json!([{ "value": phone, "type": "work", "primary": true }]),
        );
    }
    out.insert("active".into(), json!(active));
    if !enterprise.is_empty() {
        out.insert(ENTERPRISE_SCHEMA.into(), Value::Object(enterprise));
    }
    Value::Object(out)
}

/// What the planner decided for a group push mapping.
#[derive(Debug, PartialEq)]
enum GroupPlan {
    Idle,
    Op(PushOp),
    Blocked(String),
    Remove,
}

/// The membership changes of a group push mapping, found by looking at every member of its
/// group; and whether there are none.
fn every_member_plan(
    group: &crate::core::Group,
    p: &Provisioning,
    m: &GroupPush,
    target: String,
) -> (GroupPlan, bool) {
    // Borrowed, not cloned: the group may have tens of thousands of members (only the ids
    // changed are copied).
    let mut desired: Vec<(&str, &str)> = Vec::new();
    let mut desired_set: HashSet<&str> = HashSet::with_capacity(group.members.len());
    for member in &group.members {
        if let Some(link) = p.users.get(member)
            && let Some(id) = &link.downstream_id
            && desired_set.insert(id.as_str())
            && !m.pushed_members.contains(id)
        {
            desired.push((id.as_str(), link.login.as_str()));
        }
    }
    let removes: Vec<&str> = if desired_set.len() - desired.len() == m.pushed_members.len() {
        // Every pushed member is still desired.
        Vec::new()
    } else {
        m.pushed_members
            .iter()
            .filter(|id| !desired_set.contains(id.as_str()))
            .map(String::as_str)
            .collect()
    };
    let in_sync = removes.is_empty() && desired.is_empty();
    (patch_plan(target, removes, desired), in_sync)
}

/// The membership changes of a group push mapping among the users noted since it was last in
/// sync (see [`Changed`]), in the order [`every_member_plan`] puts them (additions in members
/// order, removals in id order); and the users still to look at next time.
fn noted_member_plan(
    users: &BTreeSet<String>,
    group: &crate::core::Group,
    p: &Provisioning,
    m: &GroupPush,
    target: String,
) -> (GroupPlan, BTreeSet<String>) {
    let mut adds: Vec<(usize, &str, &str)> = Vec::new();
    let mut removes: Vec<&str> = Vec::new();
    let mut still = BTreeSet::new();
    for user in users {
        // Never linked: not wanted downstream, and nothing of it pushed.
        let Some(link) = p.users.get(user) else {
            continue;
        };
        let Some(id) = link.downstream_id.as_deref() else {
            continue;
        };
        let at = group.members.iter().position(|member| member == user);
        match (at, m.pushed_members.contains(id)) {
            (Some(at), false) => adds.push((at, id, link.login.as_str())),
            (None, true) => removes.push(id),
            _ => continue,
        }
        still.insert(user.clone());
    }
    adds.sort_unstable();
    removes.sort_unstable();
    let adds = adds.into_iter().map(|(_, id, login)| (id, login)).collect();
    (patch_plan(target, removes, adds), still)
}

/// A PATCH of at most [`MAX_MEMBER_CHANGES`] member changes, removals first; `Idle` if none.
fn patch_plan(target: String, removes: Vec<&str>, adds: Vec<(&str, &str)>) -> GroupPlan {
    let removed: Vec<String> = removes
        .into_iter()
        .take(MAX_MEMBER_CHANGES)
        .map(str::to_string)
        .collect();
    let room = MAX_MEMBER_CHANGES - removed.len();
    let added: Vec<(String, String)> = adds
        .into_iter()
        .take(room)
        .map(|(id, login)| (id.to_string(), login.to_string()))
        .collect();
    if removed.is_empty() && added.is_empty() {
        GroupPlan::Idle
    } else {
        GroupPlan::Op(PushOp::PatchMembers {
            target,
            added,
            removed,
        })
    }
}

/// The first resource of a ListResponse: (id, displayName, active).
fn first_resource(body: &Value) -> Option<(String, Option<String>, Option<bool>)> {
    let first = body.get("Resources")?.as_array()?.first()?;
    Some((
        first.get("id")?.as_str()?.to_string(),
        first
            .get("displayName")
            .and_then(Value::as_str)
            .map(str::to_string),
        first.get("active").and_then(Value::as_bool),
    ))
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
            let Some((index, _)) = slot_of(&target) else {
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
                                .position(|m| slot_of(&m.target).is_some_and(|(i, _)| i > index))
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

    fn unlink_push(&mut self, app_id: &str, id: &str, delete_target: bool) {
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

    // ---- hooks: what changes mark runnable -----------------------------------------------

    fn enqueue_user(&mut self, app_id: &str, user_id: &str) {
        self.prov.queue.push(ResourceKey::User {
            app: app_id.to_string(),
            user: user_id.to_string(),
        });
    }

    fn prov_app_ids(&self) -> Vec<String> {
        self.prov.apps.keys().cloned().collect()
    }

    /// A user's profile or lifecycle changed.
    pub(crate) fn prov_on_user_changed(&mut self, user_id: &str) {
        for app_id in self.prov_app_ids() {
            self.enqueue_user(&app_id, user_id);
        }
    }

    /// A user joined or left a group.
    pub(crate) fn prov_on_membership(&mut self, group_id: &str, user_id: &str) {
        for p in self.prov.apps.values_mut() {
            for m in p
                .pushes
                .iter_mut()
                .filter(|m| m.source_group_id == group_id)
            {
                m.changed.note(user_id);
            }
        }
        for app_id in self.prov_app_ids() {
            let assigned = self
                .app(&app_id)
                .is_ok_and(|a| a.assigned_groups.iter().any(|g| g == group_id));
            if assigned {
                if let Some(p) = self.prov.apps.get_mut(&app_id) {
                    p.assigned = None;
                }
                self.enqueue_user(&app_id, user_id);
            }
            self.prov_touch_pushes_of(&app_id, group_id);
        }
    }

    /// Users were assigned to or unassigned from an app (directly or through a group).
    pub(crate) fn prov_on_assignment(&mut self, app_id: &str, user_ids: &[String]) {
        let Some(p) = self.prov.apps.get_mut(app_id) else {
            return;
        };
        p.assigned = None;
        for user_id in user_ids {
            self.enqueue_user(app_id, user_id);
        }
    }

    /// A group was renamed.
    pub(crate) fn prov_on_group_renamed(&mut self, group_id: &str) {
        for app_id in self.prov_app_ids() {
            self.prov_touch_pushes_of(&app_id, group_id);
        }
    }

    /// A group is being deleted (its members and assignments go with it): its users are
    /// re-checked, its push mappings unlinked with the downstream group deleted.
    pub(crate) fn prov_on_group_deleted(&mut self, group_id: &str, members: &[String]) {
        for app_id in self.prov_app_ids() {
            let assigned = self
                .app(&app_id)
                .is_ok_and(|a| a.assigned_groups.iter().any(|g| g == group_id));
            if assigned {
                self.prov_on_assignment(&app_id, members);
            }
            let ids: Vec<String> = self
                .prov
                .apps
                .get(&app_id)
                .map(|p| {
                    p.pushes
                        .iter()
                        .filter(|m| m.source_group_id == group_id && m.deleting.is_none())
                        .map(|m| m.id.clone())
                        .collect()
                })
                .unwrap_or_default();
            for id in ids {
                self.unlink_push(&app_id, &id, true);
            }
        }
    }

    /// An app was deleted: its provisioning goes with it.
    pub(crate) fn prov_on_app_deleted(&mut self, app_id: &str) {
        self.prov.apps.remove(app_id);
        self.prov.queue.waiting.retain(|(_, k)| match k {
            ResourceKey::User { app, .. } | ResourceKey::Group { app, .. } => app != app_id,
        });
    }

    fn prov_touch_pushes_of(&mut self, app_id: &str, group_id: &str) {
        let keys: Vec<ResourceKey> = self
            .prov
            .apps
            .get(app_id)
            .map(|p| {
                p.pushes
                    .iter()
                    .filter(|m| m.source_group_id == group_id)
                    .map(|m| ResourceKey::Group {
                        app: app_id.to_string(),
                        mapping: m.id.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        for key in keys {
            self.prov.queue.push(key);
        }
    }

    fn ensure_assigned(&mut self, app_id: &str) {
        if self
            .prov
            .apps
            .get(app_id)
            .is_none_or(|p| p.assigned.is_some())
        {
            return;
        }
        let mut set = BTreeSet::new();
        if let Ok(app) = self.app(app_id) {
            set.extend(app.assigned_users.iter().cloned());
            for gid in &app.assigned_groups {
                if let Ok(g) = self.group(gid) {
                    set.extend(g.members.iter().cloned());
                }
            }
        }
        if let Some(p) = self.prov.apps.get_mut(app_id) {
            p.assigned = Some(set);
        }
    }

    fn reset_backoff(&mut self, key: ResourceKey) {
        let retry_at = match &key {
            ResourceKey::User { app, user } => self
                .prov
                .apps
                .get_mut(app)
                .and_then(|p| p.users.get_mut(user))
                .and_then(|l| {
                    l.attempts = 0;
                    l.retry_at.take()
                }),
            ResourceKey::Group { app, mapping } => self
                .prov
                .apps
                .get_mut(app)
                .and_then(|p| p.pushes.iter_mut().find(|m| m.id == *mapping))
                .and_then(|m| {
                    m.attempts = 0;
                    m.retry_at.take()
                }),
        };
        if let Some(at) = retry_at {
            self.prov.queue.waiting.remove(&(at, key.clone()));
        }
        self.prov.queue.push(key);
    }

    fn prov_touch_users(&mut self, app_id: &str, reset: bool) {
        self.ensure_assigned(app_id);
        let Some(p) = self.prov.apps.get(app_id) else {
            return;
        };
        let assigned = p.assigned.as_ref();
        let users: Vec<String> = self
            .users
            .iter()
            .filter(|u| assigned.is_some_and(|s| s.contains(&u.id)) || p.users.contains_key(&u.id))
            .map(|u| u.id.clone())
            .collect();
        let mut gone: Vec<&String> = p
            .users
            .keys()
            .filter(|id| self.find_user(id).is_none())
            .collect();
        gone.sort();
        let mut all = users;
        all.extend(gone.into_iter().cloned());
        for user in all {
            let key = ResourceKey::User {
                app: app_id.to_string(),
                user,
            };
            if reset {
                self.reset_backoff(key);
            } else {
                self.prov.queue.push(key);
            }
        }
    }

    /// Marks every user and push mapping of an app runnable (after a connection or feature
    /// change); `reset` makes failing ones retry now.
    pub(crate) fn prov_touch_app(&mut self, app_id: &str, reset: bool) {
        self.prov_touch_users(app_id, reset);
        let ids: Vec<String> = self
            .prov
            .apps
            .get(app_id)
            .map(|p| p.pushes.iter().map(|m| m.id.clone()).collect())
            .unwrap_or_default();
        for mapping in ids {
            let key = ResourceKey::Group {
                app: app_id.to_string(),
                mapping,
            };
            if reset {
                self.reset_backoff(key);
            } else {
                self.prov.queue.push(key);
            }
        }
    }

    // ---- the planner ---------------------------------------------------------------------

    fn wanted(&self, app_id: &str, p: &Provisioning, user_id: &str) -> bool {
        let Some(user) = self.find_user(user_id) else {
            return false;
        };
        let active = matches!(user.status, UserStatus::Active | UserStatus::Provisioned);
        active
            && match &p.assigned {
                Some(set) => set.contains(user_id),
                None => self.is_assigned(app_id, user_id),
            }
    }

    /// The next call for a user, if any.
    fn user_op(&self, app_id: &str, user_id: &str) -> Option<PushOp> {
        let p = self.prov.apps.get(app_id)?;
        let app = self.app(app_id).ok()?;
        if app.status != AppStatus::Active || p.connection.ready().is_none() {
            return None;
        }
        let wanted = self.wanted(app_id, p, user_id);
        let link = p.users.get(user_id);
        let f = p.features;
        match link.and_then(|l| l.downstream_id.clone()) {
            None => {
                if !wanted || !f.create_users {
                    return None;
                }
                let user = self.find_user(user_id)?;
                if link.is_some_and(|l| l.verified) {
                    Some(PushOp::CreateUser {
                        profile: p.app_profile(&user.profile),
                    })
                } else {
                    Some(PushOp::LookupUser {
                        login: user.login().to_string(),
                    })
                }
            }
            Some(downstream) => {
                let link = link?;
                if wanted {
                    if !link.active {
                        return f.deactivate_users.then_some(PushOp::SetActive {
                            downstream,
                            active: true,
                        });
                    }
                    if f.update_attributes {
                        let user = self.find_user(user_id)?;
                        let desired = p.app_profile(&user.profile);
                        if link.pushed.as_ref() != Some(&desired) {
                            return Some(PushOp::UpdateUser {
                                downstream,
                                profile: desired,
                            });
                        }
                    }
                    None
                } else if link.active && f.deactivate_users {
                    Some(PushOp::SetActive {
                        downstream,
                        active: false,
                    })
                } else {
                    None
                }
            }
        }
    }

    /// The next call for a group push mapping, if any.
    /// What to do next for a group push mapping. Sets `keep` to the planner's memory to keep
    /// (left `None`: keep it as it is).
    fn group_plan(
        &self,
        app_id: &str,
        mapping_id: &str,
        now: SystemTime,
        keep: &mut Option<Changed>,
    ) -> GroupPlan {
        let Some(p) = self.prov.apps.get(app_id) else {
            return GroupPlan::Idle;
        };
        let Some(m) = p.pushes.iter().find(|m| m.id == mapping_id) else {
            return GroupPlan::Idle;
        };
        let ready = p.connection.ready().is_some()
            && self
                .app(app_id)
                .is_ok_and(|a| a.status == AppStatus::Active);
        if let Some(delete_target) = m.deleting {
            return match (&m.target_group_id, delete_target, ready) {
                (Some(target), true, true) => GroupPlan::Op(PushOp::DeleteGroup {
                    target: target.clone(),
                }),
                (Some(_), true, false) => GroupPlan::Idle,
                _ => GroupPlan::Remove,
            };
        }
        if m.status == PushMappingStatus::Inactive || m.blocked || !ready {
            return GroupPlan::Idle;
        }
        let Ok(group) = self.group(&m.source_group_id) else {
            return GroupPlan::Idle;
        };
        let blockers = p.group_push_blockers();
        if !blockers.is_empty() {
            let label = self.app(app_id).map(|a| a.label.as_str()).unwrap_or("");
            return GroupPlan::Blocked(format!(
                "Failed on {}: Unable to push group {} to {label}: the attribute mappings {} are not supported by group push. Remove them under Provisioning > To App > Attribute Mappings and push the group again.",
                rfc3339(now),
                group.name,
                blockers.join(", ")
            ));
        }
        let name = m.target_name.clone().unwrap_or_else(|| group.name.clone());
        let Some(target) = m.target_group_id.clone() else {
            return GroupPlan::Op(if m.verify_first {
                PushOp::LookupGroup { name }
            } else {
                PushOp::CreateGroup { name }
            });
        };
        if m.pushed_name.as_deref() != Some(name.as_str()) {
            return GroupPlan::Op(PushOp::RenameGroup { target, name });
        }
        if let Some(users) = &m.changed.0 {
            let (plan, still) = noted_member_plan(users, group, p, m, target.clone());
            *keep = Some(Changed(Some(still)));
            // The tests' oracle: the users noted give the plan a look at every member gives.
            debug_assert_eq!(
                plan,
                every_member_plan(group, p, m, target).0,
                "the group push planner missed a change ({mapping_id})"
            );
            return plan;
        }
        let (plan, in_sync) = every_member_plan(group, p, m, target);
        if in_sync {
            // From now on, the users noted are enough.
            *keep = Some(Changed(Some(BTreeSet::new())));
        }
        plan
    }

    fn build_task(&self, key: ResourceKey, op: PushOp) -> Option<PushTask> {
        let app_id = match &key {
            ResourceKey::User { app, .. } | ResourceKey::Group { app, .. } => app,
        };
        let (base_url, token) = self.prov.apps.get(app_id)?.connection.ready()?;
        let patch = |operations: Vec<Value>| {
            Some(json!({ "schemas": [PATCH_OP], "Operations": operations }))
        };
        let (method, path, body) = match &op {
            PushOp::LookupUser { login } => (
                "GET",
                format!(
                    "/Users?filter={}",
                    encode(&format!("userName eq \"{login}\""))
                ),
                None,
            ),
            PushOp::CreateUser { profile } => {
                let ResourceKey::User { user, .. } = &key else {
                    return None;
                };
                (
                    "POST",
                    "/Users".to_string(),
                    Some(scim_user(user, None, profile, true)),
                )
            }
            PushOp::UpdateUser {
                downstream,
                profile,
            } => {
                let ResourceKey::User { user, .. } = &key else {
                    return None;
                };
                (
                    "PUT",
                    format!("/Users/{downstream}"),
                    Some(scim_user(user, Some(downstream), profile, true)),
                )
            }
            PushOp::SetActive { downstream, active } => (
                "PATCH",
                format!("/Users/{downstream}"),
                patch(vec![
                    json!({ "op": "replace", "value": { "active": active } }),
                ]),
            ),
            PushOp::LookupGroup { name } => (
                "GET",
                format!(
                    "/Groups?filter={}",
                    encode(&format!("displayName eq \"{name}\""))
                ),
                None,
            ),
            PushOp::CreateGroup { name } => (
                "POST",
                "/Groups".to_string(),
                Some(json!({ "schemas": [GROUP_SCHEMA], "displayName": name, "members": [] })),
            ),
            PushOp::RenameGroup { target, name } => (
                "PATCH",
                format!("/Groups/{target}"),
                patch(vec![
                    json!({ "op": "replace", "value": { "displayName": name } }),
                ]),
            ),
            PushOp::PatchMembers {
                target,
                added,
                removed,
            } => {
                let mut ops: Vec<Value> = removed
                    .iter()
                    .map(|id| json!({ "op": "remove", "path": format!("members[value eq \"{id}\"]") }))
                    .collect();
                if !added.is_empty() {
                    let values: Vec<Value> = added
                        .iter()
                        .map(|(id, display)| json!({ "value": id, "display": display }))
                        .collect();
                    ops.push(json!({ "op": "add", "path": "members", "value": values }));
                }
                ("PATCH", format!("/Groups/{target}"), patch(ops))
            }
            PushOp::DeleteGroup { target } => ("DELETE", format!("/Groups/{target}"), None),
        };
        Some(PushTask {
            key,
            op,
            method,
            base_url: base_url.to_string(),
            path,
            body,
            token: token.to_string(),
        })
    }

    /// Up to `max` calls to make now, at most one per resource, users first. Each resource
    /// returned is in flight until [`Org::complete_push`] is called for its task.
    pub fn take_push_tasks(&mut self, now: SystemTime, max: usize) -> Vec<PushTask> {
        self.prov.queue.release_due(now);
        let mut out = Vec::new();
        while out.len() < max {
            let Some(key) = self.prov.queue.pop() else {
                break;
            };
            if self.prov.queue.in_flight.contains(&key) {
                continue;
            }
            match &key {
                ResourceKey::User { app, user } => {
                    self.ensure_assigned(app);
                    let Some(p) = self.prov.apps.get(app) else {
                        continue;
                    };
                    if p.users
                        .get(user)
                        .and_then(|l| l.retry_at)
                        .is_some_and(|at| at > now)
                    {
                        continue;
                    }
                    let Some(op) = self.user_op(app, user) else {
                        // In sync (or nothing may be done): a stale error goes.
                        if let Some(link) = self
                            .prov
                            .apps
                            .get_mut(app)
                            .and_then(|p| p.users.get_mut(user))
                        {
                            link.error = None;
                            link.attempts = 0;
                            link.retry_at = None;
                        }
                        continue;
                    };
                    let login = self.find_user(user).map(|u| u.login().to_string());
                    let (app, user) = (app.clone(), user.clone());
                    let Some(task) = self.build_task(key.clone(), op) else {
                        continue;
                    };
                    if let Some(p) = self.prov.apps.get_mut(&app) {
                        let link = p.users.entry(user).or_default();
                        if let Some(login) = login {
                            link.login = login;
                        }
                    }
                    self.prov.queue.in_flight.insert(key);
                    out.push(task);
                }
                ResourceKey::Group { app, mapping } => {
                    let (app, mapping) = (app.clone(), mapping.clone());
                    if let Some(p) = self.prov.apps.get_mut(&app) {
                        p.pushes_queued = false;
                    }
                    let retry_later = self
                        .prov
                        .apps
                        .get(&app)
                        .and_then(|p| p.pushes.iter().find(|m| m.id == mapping))
                        .and_then(|m| m.retry_at)
                        .is_some_and(|at| at > now);
                    if retry_later {
                        continue;
                    }
                    let mut keep = None;
                    let plan = self.group_plan(&app, &mapping, now, &mut keep);
                    if let Some(keep) = keep
                        && let Some(m) = self.push_entry_mut(&app, &mapping)
                    {
                        m.changed = keep;
                    }
                    match plan {
                        GroupPlan::Idle => {
                            if let Some(m) = self.push_entry_mut(&app, &mapping)
                                && m.status == PushMappingStatus::Error
                                && !m.blocked
                            {
                                m.status = PushMappingStatus::Active;
                                m.error_summary = None;
                                m.attempts = 0;
                                m.retry_at = None;
                            }
                        }
                        GroupPlan::Remove => {
                            if let Some(p) = self.prov.apps.get_mut(&app) {
                                p.pushes.retain(|m| m.id != mapping);
                            }
                        }
                        GroupPlan::Blocked(message) => {
                            self.block_push(now, &app, &mapping, message);
                        }
                        GroupPlan::Op(op) => {
                            if let Some(task) = self.build_task(key.clone(), op) {
                                self.prov.queue.in_flight.insert(key);
                                out.push(task);
                            }
                        }
                    }
                }
            }
        }
        out
    }

    fn push_entry_mut(&mut self, app_id: &str, mapping: &str) -> Option<&mut GroupPush> {
        self.prov
            .apps
            .get_mut(app_id)?
            .pushes
            .iter_mut()
            .find(|m| m.id == mapping)
    }

    fn block_push(&mut self, now: SystemTime, app_id: &str, mapping: &str, message: String) {
        let Some(m) = self.push_entry_mut(app_id, mapping) else {
            return;
        };
        m.status = PushMappingStatus::Error;
        m.blocked = true;
        m.error_summary = Some(message.clone());
        m.last_updated = now;
        let (gid, gname) = (m.source_group_id.clone(), m.source_name.clone());
        let label = self
            .app(app_id)
            .map(|a| a.label.clone())
            .unwrap_or_default();
        self.log.record(
            now,
            "application.provision.group_push.mapping.update.or.delete.failed.with.error",
            "Group push failed",
            Actor::system(),
            vec![
                Target::new(&gid, "UserGroup", &gname),
                Target::new(app_id, "AppInstance", &label),
            ],
            Outcome::failure(message),
        );
    }

    /// How much work is left.
    pub fn push_backlog(&self) -> PushBacklog {
        PushBacklog {
            runnable: self.prov.queue.queued.len(),
            in_flight: self.prov.queue.in_flight.len(),
            waiting: self.prov.queue.waiting.len(),
            next_attempt: self.prov.queue.waiting.first().map(|(at, _)| *at),
        }
    }

    // ---- outcomes ------------------------------------------------------------------------

    /// Records how a task's call went. Returns the time of the next attempt when it failed
    /// (the wire layer schedules a retry then).
    pub fn complete_push(
        &mut self,
        now: SystemTime,
        task: &PushTask,
        result: PushResult,
    ) -> Option<SystemTime> {
        self.prov.queue.in_flight.remove(&task.key);
        let failure = match result {
            PushResult::Ok { body, .. } => match self.apply_success(now, task, &body) {
                Ok(()) => {
                    self.prov.queue.push(task.key.clone());
                    return None;
                }
                Err(failure) => failure,
            },
            PushResult::Failed(failure) => failure,
        };
        self.apply_failure(now, task, failure)
    }

    fn log_push(
        &mut self,
        now: SystemTime,
        key: &ResourceKey,
        event: &str,
        message: &str,
        outcome: Outcome,
    ) {
        let (app_id, target) = match key {
            ResourceKey::User { app, user } => {
                let login = self
                    .prov
                    .apps
                    .get(app)
                    .and_then(|p| p.users.get(user))
                    .map(|l| l.login.clone())
                    .unwrap_or_default();
                (app, Target::new(user, "User", &login))
            }
            ResourceKey::Group { app, mapping } => {
                let (gid, name) = self
                    .prov
                    .apps
                    .get(app)
                    .and_then(|p| p.pushes.iter().find(|m| m.id == *mapping))
                    .map(|m| (m.source_group_id.clone(), m.source_name.clone()))
                    .unwrap_or_default();
                (app, Target::new(&gid, "UserGroup", &name))
            }
        };
        let label = self
            .app(app_id)
            .map(|a| a.label.clone())
            .unwrap_or_default();
        self.log.record(
            now,
            event,
            message,
            Actor::system(),
            vec![target, Target::new(app_id, "AppInstance", &label)],
            outcome,
        );
    }

    fn apply_success(
        &mut self,
        now: SystemTime,
        task: &PushTask,
        body: &Value,
    ) -> Result<(), PushFailure> {
        let malformed = |what: &str| PushFailure {
            status: None,
            message: format!("The target's answer has no {what}"),
            retry_after: None,
        };
        match &task.key {
            ResourceKey::User { app, user } => {
                let (app, user) = (app.clone(), user.clone());
                let mut linked = false;
                // Linked to another downstream user than before: the old id may still be in
                // pushed groups, under no user the planner notes.
                let mut relinked = false;
                let (event, message) = {
                    let Some(link) = self
                        .prov
                        .apps
                        .get_mut(&app)
                        .and_then(|p| p.users.get_mut(&user))
                    else {
                        return Ok(());
                    };
                    let event = match &task.op {
                        PushOp::LookupUser { .. } => {
                            if let Some((id, _, active)) = first_resource(body) {
                                relinked =
                                    link.downstream_id.as_ref().is_some_and(|old| *old != id);
                                link.downstream_id = Some(id);
                                link.active = active.unwrap_or(true);
                                link.pushed = None;
                                linked = true;
                                (
                                    "application.provision.user.verify_exists",
                                    "Verify user exists in application: found, linked",
                                )
                            } else {
                                link.verified = true;
                                (
                                    "application.provision.user.verify_exists",
                                    "Verify user exists in application: not found",
                                )
                            }
                        }
                        PushOp::CreateUser { profile } => {
                            let id = body
                                .get("id")
                                .and_then(Value::as_str)
                                .ok_or_else(|| malformed("id"))?;
                            relinked = link.downstream_id.as_deref().is_some_and(|old| old != id);
                            link.downstream_id = Some(id.to_string());
                            link.pushed = Some(profile.clone());
                            link.active = true;
                            linked = true;
                            (
                                "application.provision.user.push",
                                "Push new user to external application",
                            )
                        }
                        PushOp::UpdateUser { profile, .. } => {
                            link.pushed = Some(profile.clone());
                            (
                                "application.provision.user.push_profile",
                                "Push user profile update to external application",
                            )
                        }
                        PushOp::SetActive { active, .. } => {
                            link.active = *active;
                            if *active {
                                (
                                    "application.provision.user.reactivate",
                                    "Reactivate user in external application",
                                )
                            } else {
                                (
                                    "application.provision.user.deactivate",
                                    "Deactivate user in external application",
                                )
                            }
                        }
                        _ => return Ok(()),
                    };
                    link.error = None;
                    link.attempts = 0;
                    link.retry_at = None;
                    link.last_sync = Some(now);
                    event
                };
                self.log_push(now, &task.key, event, message, Outcome::success());
                if matches!(task.op, PushOp::CreateUser { .. }) {
                    self.log_push(
                        now,
                        &task.key,
                        "app.user_management.push_new_user_success",
                        "Push new user to external application succeeded",
                        Outcome::success(),
                    );
                }
                if linked {
                    if let Some(p) = self.prov.apps.get_mut(&app) {
                        for m in &mut p.pushes {
                            if relinked {
                                m.changed.forget();
                            } else {
                                m.changed.note(&user);
                            }
                        }
                    }
                    // Pushed groups this user belongs to can now list it. Rather than look
                    // through every pushed group's members for each user linked, every push
                    // of the app is queued once (until a group is taken again); the planner
                    // finds which have new members.
                    let keys: Vec<ResourceKey> = match self.prov.apps.get_mut(&app) {
                        Some(p) if !p.pushes_queued => {
                            p.pushes_queued = true;
                            p.pushes
                                .iter()
                                .map(|m| ResourceKey::Group {
                                    app: app.clone(),
                                    mapping: m.id.clone(),
                                })
                                .collect()
                        }
                        _ => Vec::new(),
                    };
                    for key in keys {
                        self.prov.queue.push(key);
                    }
                }
                Ok(())
            }
            ResourceKey::Group { app, mapping } => {
                let (app, mapping) = (app.clone(), mapping.clone());
                let mut events: Vec<(&str, String)> = Vec::new();
                {
                    let Some(m) = self.push_entry_mut(&app, &mapping) else {
                        return Ok(());
                    };
                    match &task.op {
                        PushOp::LookupGroup { name } => {
                            if let Some((id, found_name, _)) = first_resource(body) {
                                m.target_group_id = Some(id);
                                m.pushed_name = found_name.or_else(|| Some(name.clone()));
                                m.pushed_members.clear();
                                m.changed.forget();
                                events.push((
                                    "application.provision.group.verify_exists",
                                    "Verify group exists in application: found, linked".into(),
                                ));
                            } else {
                                m.verify_first = false;
                                events.push((
                                    "application.provision.group.verify_exists",
                                    "Verify group exists in application: not found".into(),
                                ));
                            }
                        }
                        PushOp::CreateGroup { name } => {
                            let id = body
                                .get("id")
                                .and_then(Value::as_str)
                                .ok_or_else(|| malformed("id"))?;
                            m.target_group_id = Some(id.to_string());
                            m.pushed_name = Some(name.clone());
                            m.pushed_members.clear();
                            m.changed.forget();
                            m.verify_first = false;
                            events.push((
                                "application.provision.group.add",
                                "Add group to application".into(),
                            ));
                            events.push((
                                "application.provision.group_push.pushed",
                                "Group pushed to application".into(),
                            ));
                        }
                        PushOp::RenameGroup { name, .. } => {
                            m.pushed_name = Some(name.clone());
                            events.push((
                                "application.provision.group_push.mapping.app.group.renamed",
                                format!("Group renamed in application to {name}"),
                            ));
                        }
                        PushOp::PatchMembers { added, removed, .. } => {
                            for id in removed {
                                m.pushed_members.remove(id);
                            }
                            for (id, _) in added {
                                m.pushed_members.insert(id.clone());
                            }
                            if !added.is_empty() {
                                events.push((
                                    "application.provision.group_membership.add",
                                    format!("Add {} members to group in application", added.len()),
                                ));
                            }
                            if !removed.is_empty() {
                                events.push((
                                    "application.provision.group_membership.remove",
                                    format!(
                                        "Remove {} members from group in application",
                                        removed.len()
                                    ),
                                ));
                            }
                            events.push((
                                "application.provision.group_push.updated",
                                "Group push updated".into(),
                            ));
                        }
                        PushOp::DeleteGroup { .. } => {
                            events.push((
                                "application.provision.group_push.delete_appgroup",
                                "Delete group in application".into(),
                            ));
                        }
                        _ => {}
                    }
                    if m.deleting.is_none() {
                        if m.status == PushMappingStatus::Error {
                            m.status = PushMappingStatus::Active;
                        }
                        m.error_summary = None;
                        m.last_push = Some(now);
                        m.last_updated = now;
                    }
                    m.attempts = 0;
                    m.retry_at = None;
                }
                for (event, message) in events {
                    self.log_push(now, &task.key, event, &message, Outcome::success());
                }
                if matches!(task.op, PushOp::DeleteGroup { .. })
                    && let Some(p) = self.prov.apps.get_mut(&app)
                {
                    p.pushes.retain(|m| m.id != mapping);
                }
                Ok(())
            }
        }
    }

    fn apply_failure(
        &mut self,
        now: SystemTime,
        task: &PushTask,
        failure: PushFailure,
    ) -> Option<SystemTime> {
        let (event, what) = match &task.op {
            PushOp::LookupUser { .. } => (
                "application.provision.user.verify_exists",
                "Error while checking whether the user exists",
            ),
            PushOp::CreateUser { .. } => (
                "application.provision.user.push",
                "Error while creating user",
            ),
            PushOp::UpdateUser { .. } => (
                "application.provision.user.push_profile",
                "Error while updating user",
            ),
            PushOp::SetActive { active: true, .. } => (
                "application.provision.user.reactivate",
                "Error while reactivating user",
            ),
            PushOp::SetActive { active: false, .. } => (
                "application.provision.user.deactivate",
                "Error while deactivating user",
            ),
            PushOp::LookupGroup { .. } => (
                "application.provision.group.verify_exists",
                "Error while checking whether the group exists",
            ),
            PushOp::CreateGroup { .. } => (
                "application.provision.group.add",
                "Error while creating group",
            ),
            PushOp::RenameGroup { .. } => (
                "application.provision.group_push.mapping.app.group.renamed.failed",
                "Error while renaming group",
            ),
            PushOp::PatchMembers { .. } => (
                "application.provision.group_membership.add",
                "Error while updating group memberships",
            ),
            PushOp::DeleteGroup { .. } => (
                "application.provision.group_push.delete_appgroup",
                "Error while deleting group",
            ),
        };
        let label = match &task.key {
            ResourceKey::User { app, .. } | ResourceKey::Group { app, .. } => {
                self.app(app).map(|a| a.label.clone()).unwrap_or_default()
            }
        };
        let (attempts, summary) = match &task.key {
            ResourceKey::User { app, user } => {
                let link = self
                    .prov
                    .apps
                    .get_mut(app)
                    .and_then(|p| p.users.get_mut(user))?;
                link.attempts += 1;
                if matches!(task.op, PushOp::CreateUser { .. }) && failure.maybe_applied() {
                    // It may have been created after all: look it up first next time.
                    link.verified = false;
                }
                let summary = format!(
                    "Automatic provisioning of user {} to app {label} failed: {what}: {}",
                    link.login, failure.message
                );
                link.error = Some(summary.clone());
                (link.attempts, summary)
            }
            ResourceKey::Group { app, mapping } => {
                let m = self
                    .prov
                    .apps
                    .get_mut(app)
                    .and_then(|p| p.pushes.iter_mut().find(|m| m.id == *mapping))?;
                m.attempts += 1;
                if matches!(task.op, PushOp::CreateGroup { .. }) && failure.maybe_applied() {
                    m.verify_first = true;
                }
                let summary = format!(
                    "Failed on {}: Unable to push group {} to {label}: {what}: {}",
                    rfc3339(now),
                    m.source_name,
                    failure.message
                );
                // A mapping the admin paused (or is deleting) while the call was out stays so.
                if m.deleting.is_none() && m.status != PushMappingStatus::Inactive {
                    m.status = PushMappingStatus::Error;
                    m.error_summary = Some(summary.clone());
                    m.last_updated = now;
                }
                (m.attempts, summary)
            }
        };
        let at = now + failure.retry_after.unwrap_or_else(|| backoff(attempts));
        match &task.key {
            ResourceKey::User { app, user } => {
                if let Some(link) = self
                    .prov
                    .apps
                    .get_mut(app)
                    .and_then(|p| p.users.get_mut(user))
                {
                    link.retry_at = Some(at);
                }
            }
            ResourceKey::Group { app, mapping } => {
                if let Some(m) = self.push_entry_mut(app, mapping) {
                    m.retry_at = Some(at);
                }
            }
        }
        self.prov.queue.waiting.insert((at, task.key.clone()));
        let reason = format!(
            "{summary} (attempt {attempts}; next attempt at {})",
            rfc3339(at)
        );
        self.log_push(now, &task.key, event, what, Outcome::failure(reason));
        Some(at)
    }

    // ---- views ---------------------------------------------------------------------------

    /// A user's provisioning in a provisioning app, for the app-user object.
    pub fn app_user_sync(&self, app_id: &str, user_id: &str) -> Option<AppUserSync> {
        let p = self.prov.apps.get(app_id)?;
        let user = self.find_user(user_id)?;
        let link = p.users.get(user_id);
        let key = ResourceKey::User {
            app: app_id.to_string(),
            user: user_id.to_string(),
        };
        let sync_state = if p.connection.ready().is_none() {
            "DISABLED"
        } else if link.is_some_and(|l| l.error.is_some()) {
            "ERROR"
        } else if self.prov.queue.in_flight.contains(&key) {
            "SYNCING"
        } else if self.user_op(app_id, user_id).is_some() {
            "OUT_OF_SYNC"
        } else if link.is_some_and(|l| l.downstream_id.is_some()) {
            "SYNCHRONIZED"
        } else {
            "DISABLED"
        };
        Some(AppUserSync {
            external_id: link.and_then(|l| l.downstream_id.clone()),
            sync_state,
            last_sync: link.and_then(|l| l.last_sync),
            profile: p.app_profile(&user.profile),
            error: link.and_then(|l| l.error.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn backoff_doubles_from_a_minute_to_an_hour() {
        let secs: Vec<u64> = (1..=8).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(secs, [60, 120, 240, 480, 960, 1920, 3600, 3600]);
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

    #[test]
    fn scim_users_put_enterprise_attributes_in_the_extension() {
        let profile = json!({
            "userName": "ada@example.com", "givenName": "Ada", "familyName": "Lovelace",
            "email": "ada@example.com", "displayName": "Ada Lovelace", "department": "R&D",
        });
        let body = scim_user("00u1", None, profile.as_object().expect("object"), true);
        assert_eq!(
            body,
            json!({
                "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
                "userName": "ada@example.com",
                "externalId": "00u1",
                "name": { "givenName": "Ada", "familyName": "Lovelace" },
                "displayName": "Ada Lovelace",
                "emails": [{ "value": "ada@example.com", "type": "work", "primary": true }],
                "active": true,
                ENTERPRISE_SCHEMA: { "department": "R&D" },
            })
        );
    }
}
