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
//! touches (a user of an app, or a push mapping) as runnable ([`track`]). The wire layer's
//! engine asks [`Org::take_push_tasks`] for work ([`plan`]): for each runnable resource the
//! core compares what Okta says should be downstream with what it last pushed, and returns
//! the one operation that moves it a step closer ([`PushTask`]: a typed [`PushOp`] and the
//! connection's target), or nothing when it is in sync. The engine makes the SCIM call
//! (`crate::provisioning::scim` owns methods, paths, bodies and status codes) and hands back a
//! typed outcome ([`Org::complete_push`], [`outcome`]): success records what is now
//! downstream (ids, attributes, members) and makes the resource runnable again for its next
//! step; failure keeps the error, counts the attempt and parks the resource until its next
//! attempt (exponential backoff, 1 minute doubling to 1 hour, or the target's `Retry-After`).
//!
//! So changes to one resource are applied in order, one call at a time; a change made while
//! the target is down is never lost (the next attempt is computed from the state, not from a
//! log of events), and nothing is applied twice (a create that may have half-succeeded is
//! preceded by a lookup on its next attempt). Changes that cancel out while the target is down
//! (a member added then removed) make no call at all.
//!
//! ## Operations, as Okta makes them (OKTA-PROV-3..5)
//!
//! - assigned user: look it up by login, then create it (with the mapped attributes), or
//!   link to the match;
//! - mapped attribute changed: update the whole user;
//! - unassigned, deactivated or suspended: set it inactive (reassigned, reactivated or
//!   unsuspended: active); users are never deleted downstream;
//! - pushed group: create it (no members), then patch its members, removals first, at most
//!   [`MAX_MEMBER_CHANGES`] changes per call; rename; unlink with delete: delete it.
//!   Only members that are linked users are pushed (users must be assigned to the app).
//!
//! ## Layout
//!
//! This module holds the state (per app [`Provisioning`], the push queue) and the typed
//! operations and outcomes; [`config`] the connection, features, mappings and push mappings
//! the admin sets; [`track`] which changes make which resources runnable; [`plan`] the next
//! operation per resource; [`outcome`] what an answer changes.
//!
//! ## Okta's quirk (OKTA-PROV-6)
//!
//! While `department` or `employeeNumber` are mapped, group push ends in ERROR naming them;
//! removing both mappings and retrying (PATCH the push mapping to ACTIVE) makes it ACTIVE.
//!
//! Sim choices: suspending a user deactivates it downstream (unsuspending reactivates);
//! deleting an Okta group deletes its push mappings and the downstream group.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};

use super::{OktaError, Org};

pub mod config;
pub mod outcome;
pub mod plan;
pub mod track;

pub use config::{
    Connection, Features, MappingChange, PropertyMapping, PushStatus, default_mappings,
};
pub(crate) use track::Changed;

/// Most member changes one group PATCH carries.
pub const MAX_MEMBER_CHANGES: usize = 100;
/// The first retry waits this long; each further one twice as long as the last …
pub const FIRST_RETRY: Duration = Duration::from_secs(60);
/// … up to this.
pub const MAX_RETRY: Duration = Duration::from_secs(3600);
/// Mappings that make IdC's group push fail while mapped (OKTA-PROV-6).
pub const GROUP_PUSH_BLOCKERS: [&str; 2] = ["department", "employeeNumber"];

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

/// A push call to make, computed by the core: what to do to which resource, and where. The
/// engine (`crate::provisioning`) turns it into Okta's SCIM request.
#[derive(Clone, Debug, PartialEq)]
pub struct PushTask {
    /// The resource it moves.
    pub key: ResourceKey,
    /// What it is for.
    pub op: PushOp,
    /// The base URL of the target (no trailing slash).
    pub base_url: String,
    /// The bearer token.
    pub token: String,
}

/// A downstream resource a lookup found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// Its downstream id.
    pub id: String,
    /// Its name, for a group.
    pub name: Option<String>,
    /// Whether it is active, for a user (`None`: not said).
    pub active: Option<bool>,
}

/// What a successful call answered, as far as the core needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PushAnswer {
    /// A lookup ([`PushOp::LookupUser`], [`PushOp::LookupGroup`]): the first match, if any.
    Found(Option<Found>),
    /// A create ([`PushOp::CreateUser`], [`PushOp::CreateGroup`]): the new resource's id.
    Created {
        /// Its downstream id.
        id: String,
    },
    /// Any other call: done.
    Done,
}

/// Why a call failed, as the engine saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushFailure {
    /// The error text (the target's status and detail, or the transport error).
    pub message: String,
    /// Whether the target may have done the work anyway (no answer, a server error, or "it
    /// exists already"): a retried create then looks the resource up first. A refusal (too
    /// many requests, another client error) did nothing.
    pub maybe_applied: bool,
    /// The target's `Retry-After`, if any.
    pub retry_after: Option<Duration>,
}

/// How a call went.
#[derive(Clone, Debug, PartialEq)]
pub enum PushResult {
    /// It succeeded.
    Ok(PushAnswer),
    /// It failed.
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

impl Org {
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
    fn backoff_doubles_from_a_minute_to_an_hour() {
        let secs: Vec<u64> = (1..=8).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(secs, [60, 120, 240, 480, 960, 1920, 3600, 3600]);
    }
}
