//! The domain core of mock-kiro: the Kiro console's state and rules. Pure and synchronous:
//! time comes in as `now`; DNS answers and verified token claims come in as values (the wire
//! layer does the lookups and the signature checks).
//!
//! - [`console`]: profiles, domains and their verification, SCIM access tokens, settings.
//! - [`scim`]: users and groups with AWS IAM Identity Center's SCIM semantics.
//! - [`seats`]: subscriptions (seats, tiers, statuses, group subscriptions, sync delay).
//! - [`usage`]: credits, limits and what a signed-in user may do.

pub mod console;
pub mod period;
pub mod scim;
pub mod seats;
pub mod usage;

use sim_core::Seed;
use sim_core::seed::SimRng;

pub use console::{Domain, DomainStatus, Profile, ScimToken, Settings};
pub use scim::{ScimError, ScimGroup, ScimUser};
pub use seats::{Seat, SeatStatus, Tier};

/// A refusal of the console API.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConsoleError {
    /// 400 ValidationException.
    #[error("{0}")]
    Validation(String),
    /// 404 ResourceNotFoundException.
    #[error("{0} not found")]
    NotFound(String),
    /// 409 ConflictException.
    #[error("{0}")]
    Conflict(String),
}

/// The state of one mock-kiro (one AWS account, many profiles).
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Kiro {
    pub(crate) account_id: String,
    pub(crate) region: String,
    pub(crate) ids: SimRng,
    pub(crate) secrets: SimRng,
    pub(crate) delays: SimRng,
    pub(crate) profiles: Vec<Profile>,
    pub(crate) domains: Vec<Domain>,
    pub(crate) sync_delay: seats::SyncDelay,
    /// Bumped by every change to a profile (see [`Kiro::revision`]).
    pub(crate) revision: u64,
}

impl Kiro {
    /// An empty account: ids, tokens and sync delays come from `seed`.
    pub fn new(seed: Seed) -> Kiro {
        let mut account = seed.stream("mock-kiro/account");
        let account_id: String = (0..12)
            .map(|_| char::from(b'0' + account.below(10) as u8))
            .collect();
        Kiro {
            account_id,
            region: "us-east-1".into(),
            ids: seed.stream("mock-kiro/ids"),
            secrets: seed.stream("mock-kiro/secrets"),
            delays: seed.stream("mock-kiro/sync-delays"),
            profiles: Vec::new(),
            domains: Vec::new(),
            sync_delay: seats::SyncDelay::default(),
            revision: 0,
        }
    }

    /// The AWS account id (12 digits).
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// All profiles.
    pub fn profiles(&self) -> &[Profile] {
        &self.profiles
    }

    /// A counter that moves whenever a profile may have changed (every mutable access to a
    /// profile, creation and deletion): equal revisions mean unchanged profiles, so a view
    /// derived from them (the console's seat search index) can be kept until it moves.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Checks what deserialisation cannot (for a state import, SIM-STATE-2): profile ids are
    /// unique, a profile's user ids and userNames are unique, group members are users of the
    /// profile and listed once, every domain belongs to one profile and is claimed once.
    pub fn check_consistency(&self) -> Result<(), String> {
        let mut ids = std::collections::HashSet::new();
        for profile in &self.profiles {
            if !ids.insert(profile.id.as_str()) {
                return Err(format!("profile {} appears twice", profile.id));
            }
            if let Some(twice) = profile.users.duplicate() {
                return Err(format!("profile {}: {twice}", profile.id));
            }
            for group in &profile.groups {
                if let Some(member) = group.members.iter().find(|m| !profile.users.contains(m)) {
                    return Err(format!(
                        "group {} has member {member}, who is not a user of profile {}",
                        group.id, profile.id
                    ));
                }
                if let Some(member) = group.members.duplicate() {
                    return Err(format!("group {} has member {member} twice", group.id));
                }
            }
        }
        let mut names = std::collections::HashSet::new();
        for domain in &self.domains {
            if !ids.contains(domain.profile_id.as_str()) {
                return Err(format!(
                    "domain {} belongs to profile {}, which is not in the state",
                    domain.name, domain.profile_id
                ));
            }
            if !names.insert(domain.name.as_str()) {
                return Err(format!("domain {} appears twice", domain.name));
            }
        }
        Ok(())
    }
}
