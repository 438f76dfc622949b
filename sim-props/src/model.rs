//! The reference model: the combined system (Okta, Kiro, DNS, the users' IDEs, the clock) at
//! the level a user observes, in plain Rust with no I/O. It is written from BEHAVIOURS.md and the
//! seed documents, not from the mocks' code: what Okta pushes when, what a seat is and when it
//! is granted, which domain routes where, when a signed-in user can use Kiro.
//!
//! [`Model::apply`] plays one [`Action`] and records what the user or admin should see
//! ([`Model::expected`]); [`Model::view`] is the state the real world must show after it
//! ([`View`]). A [`Flaw`] makes a deliberately wrong model, used only to prove that the
//! property tests catch a wrong rule.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

/// SCIM tokens of profile 0 the harness holds beside the model's own (the observer's).
pub const OBSERVER_TOKENS: usize = 1;
/// The world's start (the virtual clock's default epoch), in Unix seconds.
pub const EPOCH: u64 = 1_767_225_600;
/// Okta users the model knows: login, first and last name.
pub const USERS: [(&str, &str, &str); 4] = [
    ("ada@example.com", "Ada", "Lovelace"),
    ("grace@example.com", "Grace", "Hopper"),
    ("edsger@example.com", "Edsger", "Dijkstra"),
    ("barbara@example.com", "Barbara", "Liskov"),
];
/// How many of [`USERS`] exist at the start (the rest can be created).
pub const INITIAL_USERS: usize = 3;
/// Okta groups (all exist at the start).
pub const GROUPS: [&str; 2] = ["Kiro Developers", "Kiro Power Users"];
/// Domains an admin may add; the users' emails are in the first.
pub const DOMAINS: [&str; 2] = ["example.com", "example.org"];
/// Kiro profiles: 0 is the one Okta provisions, 1 a second one on the same issuer.
pub const PROFILES: [&str; 2] = ["Example Corp", "Example Labs"];
/// Access token lifetime (the access policy rule's default).
pub const ACCESS_TOKEN_SECS: u64 = 3600;
/// Refresh token idle window (the rule's default: unused for 7 days, it expires).
pub const REFRESH_IDLE_SECS: u64 = 7 * 24 * 3600;
/// Kiro checks pending domains this often (from its start); the harness configures the world
/// with it (an hour rather than the default ten minutes, so that long clock advances with a
/// domain pending stay cheap).
pub const DOMAIN_CHECK_SECS: u64 = 3600;
/// What a completion costs, in hundredths of a credit.
pub const COMPLETION_CENTI: u64 = 1;
/// What the chat message the tests send ("Hello") costs with the default model.
pub const CHAT_CENTI: u64 = 11;

/// The two Okta apps Kiro's setup uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum App {
    /// The OIDC app users sign in with.
    Oidc,
    /// The app-catalog app (AWS IAM Identity Center) that pushes users and groups by SCIM.
    Scim,
}

/// The To App provisioning features.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Feature {
    /// Create Users.
    CreateUsers,
    /// Update User Attributes.
    UpdateAttributes,
    /// Deactivate Users (also reactivates).
    DeactivateUsers,
}

/// A subscription tier, ordered by rank.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// 1,000 credits.
    Pro,
    /// 2,000 credits.
    ProPlus,
    /// 10,000 credits.
    Power,
}

impl Tier {
    /// The console API's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Pro => "PRO",
            Tier::ProPlus => "PRO_PLUS",
            Tier::Power => "POWER",
        }
    }

    fn credits_centi(self) -> u64 {
        100 * match self {
            Tier::Pro => 1_000,
            Tier::ProPlus => 2_000,
            Tier::Power => 10_000,
        }
    }
}

/// One step a random sequence may take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Okta admin: create and activate user `n` (with a password).
    CreateUser(usize),
    /// Okta admin: deactivate user `n`.
    DeactivateUser(usize),
    /// Okta admin: reactivate (activate) deactivated user `n`.
    ReactivateUser(usize),
    /// Okta admin: add user to group.
    AddMember(usize, usize),
    /// Okta admin: remove user from group.
    RemoveMember(usize, usize),
    /// Okta admin: assign a user to an app.
    AssignUser(App, usize),
    /// Okta admin: remove a user's direct assignment.
    UnassignUser(App, usize),
    /// Okta admin: assign a group to an app.
    AssignGroup(App, usize),
    /// Okta admin: remove a group's assignment.
    UnassignGroup(App, usize),
    /// Okta admin: turn a To App feature on or off.
    SetFeature(Feature, bool),
    /// Okta admin: push a group to Kiro.
    PushGroup(usize),
    /// Okta admin: unlink a pushed group, deleting it in Kiro.
    UnlinkGroup(usize),
    /// Kiro admin: subscribe a provisioned user.
    SubscribeUser(usize, Tier),
    /// Kiro admin: change a subscribed user's tier.
    ChangeTier(usize, Tier),
    /// Kiro admin: unsubscribe a user (the seat is canceled).
    UnsubscribeUser(usize),
    /// Kiro admin: subscribe a provisioned group.
    SubscribeGroup(usize, Tier),
    /// Kiro admin: end a group's subscription.
    UnsubscribeGroup(usize),
    /// Kiro admin: add a domain to a profile.
    AddDomain(usize, usize),
    /// DNS admin: publish the domain's verification TXT record.
    PublishTxt(usize, usize),
    /// Kiro admin: "Verify" a domain now.
    VerifyDomain(usize, usize),
    /// Kiro admin: remove a domain from a profile.
    RemoveDomain(usize, usize),
    /// Kiro admin: generate a SCIM token for profile 0.
    GenerateScimToken,
    /// Kiro admin: revoke SCIM token `n`.
    RevokeScimToken(usize),
    /// Okta admin: put SCIM token `n` into the provisioning connection.
    OktaUsesToken(usize),
    /// User `n` signs in with the IDE.
    SignIn(usize),
    /// User `n` asks for an inline completion.
    Complete(usize),
    /// User `n` sends a chat message.
    Chat(usize),
    /// User `n`'s IDE refreshes its tokens now.
    Refresh(usize),
    /// The world clock moves on by this many seconds.
    Advance(u64),
    /// An Okta change (one of the actions Okta pushes) made while Kiro's SCIM endpoint
    /// fails in this way; then the fault is removed and the clock moves on by
    /// [`FAULT_WINDOW_SECS`], past Okta's retry (SIM-FAULT-13).
    DuringScimFault(ScimFault, Box<Action>),
}

/// How Kiro's SCIM endpoint fails during a [`Action::DuringScimFault`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScimFault {
    /// Every SCIM call answers 503.
    ServerError,
    /// Every SCIM call answers 429 with `Retry-After: 120`.
    Throttled,
    /// Every SCIM call hangs past Okta's push timeout.
    Timeout,
}

/// The `Retry-After` (seconds) of [`ScimFault::Throttled`]'s 429.
pub const THROTTLE_RETRY_AFTER_SECS: u64 = 120;
/// How far the clock moves after a SCIM fault is removed: past every retry it caused.
pub const FAULT_WINDOW_SECS: u64 = 300;

impl ScimFault {
    /// When Okta's push tries again after the failed call: its first backoff (a minute), or
    /// the 429's `Retry-After`.
    pub fn retry_secs(self) -> u64 {
        match self {
            ScimFault::Throttled => THROTTLE_RETRY_AFTER_SECS,
            ScimFault::ServerError | ScimFault::Timeout => 60,
        }
    }
}

impl Action {
    /// Whether this is an Okta change that Okta pushes to Kiro (what a SCIM fault disturbs).
    pub fn pushes(&self) -> bool {
        matches!(
            self,
            Action::CreateUser(_)
                | Action::DeactivateUser(_)
                | Action::ReactivateUser(_)
                | Action::AddMember(..)
                | Action::RemoveMember(..)
                | Action::AssignUser(..)
                | Action::UnassignUser(..)
                | Action::AssignGroup(..)
                | Action::UnassignGroup(..)
                | Action::PushGroup(_)
                | Action::UnlinkGroup(_)
        )
    }
}

/// What an action should come to, as the actor sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It worked.
    Ok,
    /// It was refused, for this reason (the model's words for the real error).
    Refused(&'static str),
    /// A domain's status after "Verify" (`PENDING` / `VERIFIED`).
    Domain(&'static str),
}

/// A deliberately wrong rule, for proving that the tests catch wrong models.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Flaw {
    /// The right model.
    #[default]
    None,
    /// Forgets the group sync delay: a member added to a subscribed group gets the seat at once.
    NoSyncDelay,
    /// Lets a removed (deactivated or unassigned) user refresh their tokens.
    RemovedUserRefreshes,
}

/// An Okta user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OktaUser {
    /// ACTIVE (else DEPROVISIONED).
    pub active: bool,
}

/// A group in Kiro, pushed by Okta: `generation` tells re-pushes apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KiroGroup {
    /// Which push made it.
    pub generation: u32,
    /// Members (Okta user numbers).
    pub members: BTreeSet<usize>,
}

/// Why a user holds a seat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// Subscribed directly.
    Direct(Tier),
    /// Through a subscribed group `(group, generation)`.
    Group(usize, u32, Tier),
}

impl Source {
    fn tier(self) -> Tier {
        match self {
            Source::Direct(t) | Source::Group(_, _, t) => t,
        }
    }

    fn same_origin(self, other: Source) -> bool {
        match (self, other) {
            (Source::Direct(_), Source::Direct(_)) => true,
            (Source::Group(a, x, _), Source::Group(b, y, _)) => a == b && x == y,
            _ => false,
        }
    }
}

/// A seat's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SeatStatus {
    /// Never used.
    Pending,
    /// Used.
    Active,
    /// Unsubscribed.
    Canceled,
}

impl SeatStatus {
    /// The console API's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SeatStatus::Pending => "PENDING",
            SeatStatus::Active => "ACTIVE",
            SeatStatus::Canceled => "CANCELED",
        }
    }
}

/// A seat in profile 0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seat {
    /// The tier (before a pending downgrade).
    pub tier: Tier,
    /// A downgrade and when it takes effect.
    pub pending_tier: Option<(Tier, u64)>,
    /// Status.
    pub status: SeatStatus,
    /// Why the user holds it.
    pub sources: Vec<Source>,
    /// Credits used in the current month, in hundredths.
    pub used_centi: u64,
    /// Start of the current month.
    pub period_start: u64,
}

impl Seat {
    fn tier_at(&self, now: u64) -> Tier {
        match self.pending_tier {
            Some((t, at)) if at <= now => t,
            _ => self.tier,
        }
    }
}

/// A seat waiting for the group sync delay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// The user.
    pub user: usize,
    /// The group and generation that brought it.
    pub group: (usize, u32),
    /// When it is due.
    pub due: u64,
}

/// A domain in a profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Domain {
    /// Verified (else pending).
    pub verified: bool,
    /// The verification TXT record is published.
    pub txt: bool,
}

/// A user's IDE session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The profile the sign-in routed to.
    pub profile: usize,
    /// When the access token expires.
    pub access_expires: u64,
    /// When the refresh token expires unless used.
    pub refresh_idle_until: u64,
}

/// The whole model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Model {
    /// The wrong rule, if any.
    pub flaw: Flaw,
    /// World time, Unix seconds.
    pub now: u64,
    /// Kiro's group sync delay.
    pub sync_delay: u64,
    /// To App features: create, update, deactivate.
    pub features: BTreeSet<Feature>,
    /// Okta users (`None`: not created yet).
    pub users: [Option<OktaUser>; 4],
    /// Okta group members.
    pub members: [BTreeSet<usize>; 2],
    /// Direct user assignments.
    pub user_assignments: BTreeSet<(App, usize)>,
    /// Group assignments.
    pub group_assignments: BTreeSet<(App, usize)>,
    /// Groups with a push mapping.
    pub pushed: [bool; 2],
    /// Users provisioned in Kiro (profile 0), with whether they are active there.
    pub kiro_users: [Option<bool>; 4],
    /// Groups in Kiro (profile 0), by the Okta group they were pushed from.
    pub kiro_groups: [Option<KiroGroup>; 2],
    /// The next push generation.
    pub next_generation: u32,
    /// Seats in profile 0.
    pub seats: BTreeMap<usize, Seat>,
    /// Group subscriptions: `(group, generation)` → tier, in the order made.
    pub group_subscriptions: Vec<((usize, u32), Tier)>,
    /// Seats waiting for the sync delay, in the order made.
    pub grants: Vec<Grant>,
    /// Domains by profile.
    pub domains: [[Option<Domain>; 2]; 2],
    /// SCIM tokens of profile 0 (revoked or not); 0 is the one Okta starts with.
    pub scim_tokens: Vec<bool>,
    /// The token in Okta's provisioning connection.
    pub okta_token: usize,
    /// IDE sessions.
    pub sessions: [Option<Session>; 4],
    /// What the last action should have come to.
    pub expected: Outcome,
    /// The features at the start (before any action).
    pub initial_features: BTreeSet<Feature>,
    /// Set-up actions played before the sequence (part of the initial state).
    pub prelude: Vec<Action>,
}

fn month_start(now: u64) -> u64 {
    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(now);
    let (y, m, _) = sim_core::clock::civil_date(t);
    sim_core::clock::unix_secs(sim_core::clock::from_civil_date(y, m, 1))
}

fn next_month_start(now: u64) -> u64 {
    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(now);
    let (y, m, _) = sim_core::clock::civil_date(t);
    let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    sim_core::clock::unix_secs(sim_core::clock::from_civil_date(y, m, 1))
}

impl Model {
    /// The state the world's set-up leaves: users 0..[`INITIAL_USERS`] active, both groups
    /// empty, nothing assigned or pushed, `example.com` verified in profile 0, one SCIM token
    /// in Okta's connection, the given features and sync delay.
    pub fn new(flaw: Flaw, sync_delay: u64, features: BTreeSet<Feature>) -> Model {
        let mut users: [Option<OktaUser>; 4] = Default::default();
        for u in users.iter_mut().take(INITIAL_USERS) {
            *u = Some(OktaUser { active: true });
        }
        let mut domains: [[Option<Domain>; 2]; 2] = Default::default();
        domains[0][0] = Some(Domain {
            verified: true,
            txt: true,
        });
        Model {
            flaw,
            now: EPOCH,
            sync_delay,
            users,
            members: Default::default(),
            user_assignments: BTreeSet::new(),
            group_assignments: BTreeSet::new(),
            pushed: [false; 2],
            kiro_users: [None; 4],
            kiro_groups: Default::default(),
            next_generation: 0,
            seats: BTreeMap::new(),
            group_subscriptions: Vec::new(),
            grants: Vec::new(),
            domains,
            scim_tokens: vec![false],
            okta_token: 0,
            sessions: Default::default(),
            expected: Outcome::Ok,
            initial_features: features.clone(),
            prelude: Vec::new(),
            features,
        }
    }

    /// The state before the prelude: the set-up alone.
    pub fn start(&self) -> Model {
        Model::new(self.flaw, self.sync_delay, self.initial_features.clone())
    }

    /// Adds one set-up action to the prelude, chosen by `raw` (skipped when not allowed):
    /// assignments, memberships, pushes, subscriptions and sign-ins.
    pub fn prelude_step(&mut self, raw: [u8; 5]) {
        let [kind, u, g, app, tier] = raw;
        let u = usize::from(u) % USERS.len();
        let g = usize::from(g) % GROUPS.len();
        let app = if app % 2 == 0 { App::Scim } else { App::Oidc };
        let tier = [Tier::Pro, Tier::ProPlus, Tier::Power][usize::from(tier) % 3];
        let action = match kind % 7 {
            0 => Action::AssignUser(app, u),
            1 => Action::AssignGroup(app, g),
            2 => Action::AddMember(u, g),
            3 => Action::PushGroup(g),
            4 => Action::SubscribeGroup(g, tier),
            5 => Action::SubscribeUser(u, tier),
            _ => Action::SignIn(u),
        };
        if self.allows(&action) {
            self.apply(&action);
            self.prelude.push(action);
        }
    }

    /// Whether `action` can be taken now (what an admin or user could do from here).
    pub fn allows(&self, action: &Action) -> bool {
        let m = self;
        let exists = |u: usize| m.users[u].is_some();
        let active = |u: usize| m.users[u].as_ref().is_some_and(|x| x.active);
        let seat_live = |u: usize| {
            m.seats
                .get(&u)
                .is_some_and(|s| s.status != SeatStatus::Canceled)
        };
        match *action {
            Action::CreateUser(u) => !exists(u),
            Action::DeactivateUser(u) => active(u),
            Action::ReactivateUser(u) => exists(u) && !active(u),
            Action::AddMember(u, g) => exists(u) && !m.members[g].contains(&u),
            Action::RemoveMember(u, g) => m.members[g].contains(&u),
            Action::AssignUser(app, u) => exists(u) && !m.user_assignments.contains(&(app, u)),
            Action::UnassignUser(app, u) => m.user_assignments.contains(&(app, u)),
            Action::AssignGroup(app, g) => !m.group_assignments.contains(&(app, g)),
            Action::UnassignGroup(app, g) => m.group_assignments.contains(&(app, g)),
            Action::SetFeature(f, on) => m.features.contains(&f) != on,
            // A group waiting to be deleted in Kiro is not pushed again until it is gone.
            Action::PushGroup(g) => !m.pushed[g] && m.kiro_groups[g].is_none(),
            Action::UnlinkGroup(g) => m.pushed[g],
            Action::SubscribeUser(u, _) => m.kiro_users[u].is_some(),
            Action::ChangeTier(u, _) | Action::UnsubscribeUser(u) => {
                m.kiro_users[u].is_some() && seat_live(u)
            }
            Action::SubscribeGroup(g, _) => m.kiro_groups[g].is_some(),
            Action::UnsubscribeGroup(g) => m
                .kiro_group(g)
                .is_some_and(|k| m.group_subscriptions.iter().any(|(s, _)| *s == k)),
            Action::AddDomain(p, d) => m.domains[p][d].is_none(),
            Action::PublishTxt(p, d) => m.domains[p][d]
                .as_ref()
                .is_some_and(|x| !x.verified && !x.txt),
            Action::VerifyDomain(p, d) | Action::RemoveDomain(p, d) => m.domains[p][d].is_some(),
            Action::GenerateScimToken => m.scim_tokens.len() < 4,
            Action::RevokeScimToken(k) => m.scim_tokens.get(k) == Some(&false),
            Action::OktaUsesToken(k) => m.scim_tokens.get(k) == Some(&false) && k != m.okta_token,
            Action::SignIn(u) | Action::Complete(u) | Action::Chat(u) | Action::Refresh(u) => {
                exists(u)
            }
            Action::Advance(secs) => secs > 0,
            Action::DuringScimFault(_, ref inner) => inner.pushes() && m.allows(inner),
        }
    }

    /// Whether user `u` is assigned to `app`, directly or through a group.
    pub fn assigned(&self, app: App, u: usize) -> bool {
        self.user_assignments.contains(&(app, u))
            || (0..GROUPS.len())
                .any(|g| self.group_assignments.contains(&(app, g)) && self.members[g].contains(&u))
    }

    fn active(&self, u: usize) -> bool {
        self.users[u].as_ref().is_some_and(|x| x.active)
    }

    /// Whether Okta can reach Kiro's SCIM endpoint (its token is live).
    pub fn connection_ok(&self) -> bool {
        self.scim_tokens.get(self.okta_token) == Some(&false)
    }

    /// Which group subscription `(group, generation)` has, if any.
    fn subscription(&self, group: (usize, u32)) -> Option<Tier> {
        self.group_subscriptions
            .iter()
            .find(|(g, _)| *g == group)
            .map(|(_, t)| *t)
    }

    /// The Kiro group pushed from Okta group `g`, as `(g, generation)`.
    pub fn kiro_group(&self, g: usize) -> Option<(usize, u32)> {
        self.kiro_groups[g].as_ref().map(|k| (g, k.generation))
    }

    /// Plays one action.
    pub fn apply(&mut self, action: &Action) {
        self.expected = Outcome::Ok;
        match *action {
            Action::CreateUser(u) => {
                self.users[u] = Some(OktaUser { active: true });
                self.sync();
            }
            Action::DeactivateUser(u) => {
                if let Some(user) = &mut self.users[u] {
                    user.active = false;
                }
                self.sync();
            }
            Action::ReactivateUser(u) => {
                if let Some(user) = &mut self.users[u] {
                    user.active = true;
                }
                self.sync();
            }
            Action::AddMember(u, g) => {
                self.members[g].insert(u);
                self.sync();
            }
            Action::RemoveMember(u, g) => {
                self.members[g].remove(&u);
                self.sync();
            }
            Action::AssignUser(app, u) => {
                self.user_assignments.insert((app, u));
                self.sync();
            }
            Action::UnassignUser(app, u) => {
                self.user_assignments.remove(&(app, u));
                self.sync();
            }
            Action::AssignGroup(app, g) => {
                self.group_assignments.insert((app, g));
                self.sync();
            }
            Action::UnassignGroup(app, g) => {
                self.group_assignments.remove(&(app, g));
                self.sync();
            }
            Action::SetFeature(f, on) => {
                if on {
                    self.features.insert(f);
                } else {
                    self.features.remove(&f);
                }
                self.sync();
            }
            Action::PushGroup(g) => {
                self.pushed[g] = true;
                self.sync();
            }
            Action::UnlinkGroup(g) => {
                self.pushed[g] = false;
                self.sync();
            }
            Action::SubscribeUser(u, tier) => {
                let now = self.now;
                grant(&mut self.seats, now, u, Source::Direct(tier));
            }
            Action::ChangeTier(u, tier) => {
                let now = self.now;
                match self.seats.get_mut(&u) {
                    Some(seat) if seat.status != SeatStatus::Canceled => {
                        seat.sources.retain(|s| !matches!(s, Source::Direct(_)));
                        seat.sources.push(Source::Direct(tier));
                        retier(seat, now);
                    }
                    _ => self.expected = Outcome::Refused("no such subscription"),
                }
            }
            Action::UnsubscribeUser(u) => match self.seats.get_mut(&u) {
                Some(seat) => {
                    seat.status = SeatStatus::Canceled;
                    seat.sources.clear();
                    seat.pending_tier = None;
                }
                None => self.expected = Outcome::Refused("no such subscription"),
            },
            Action::SubscribeGroup(g, tier) => {
                let Some(key) = self.kiro_group(g) else {
                    self.expected = Outcome::Refused("no such group");
                    return;
                };
                match self.group_subscriptions.iter_mut().find(|(k, _)| *k == key) {
                    Some(existing) => existing.1 = tier,
                    None => self.group_subscriptions.push((key, tier)),
                }
                let members: Vec<usize> = self.kiro_groups[g]
                    .as_ref()
                    .map(|k| k.members.iter().copied().collect())
                    .unwrap_or_default();
                let now = self.now;
                for m in members {
                    grant(&mut self.seats, now, m, Source::Group(key.0, key.1, tier));
                }
            }
            Action::UnsubscribeGroup(g) => {
                let Some(key) = self
                    .kiro_group(g)
                    .filter(|k| self.subscription(*k).is_some())
                else {
                    self.expected = Outcome::Refused("no such subscription");
                    return;
                };
                self.group_subscriptions.retain(|(k, _)| *k != key);
                self.grants.retain(|gr| gr.group != key);
                let now = self.now;
                for seat in self.seats.values_mut() {
                    if seat.status == SeatStatus::Canceled {
                        continue;
                    }
                    let before = seat.sources.len();
                    seat.sources
                        .retain(|s| !matches!(s, Source::Group(a, b, _) if (*a, *b) == key));
                    if seat.sources.len() != before {
                        if seat.sources.is_empty() {
                            seat.status = SeatStatus::Canceled;
                        } else {
                            retier(seat, now);
                        }
                    }
                }
            }
            Action::AddDomain(p, d) => {
                if self
                    .domains
                    .iter()
                    .any(|by_profile| by_profile[d].is_some())
                {
                    self.expected = Outcome::Refused("domain already in use");
                } else {
                    self.domains[p][d] = Some(Domain {
                        verified: false,
                        txt: false,
                    });
                }
            }
            Action::PublishTxt(p, d) => {
                if let Some(domain) = &mut self.domains[p][d] {
                    domain.txt = true;
                }
            }
            Action::VerifyDomain(p, d) => {
                if let Some(domain) = &mut self.domains[p][d] {
                    if domain.txt {
                        domain.verified = true;
                    }
                    self.expected = Outcome::Domain(if domain.verified {
                        "VERIFIED"
                    } else {
                        "PENDING"
                    });
                }
            }
            Action::RemoveDomain(p, d) => self.domains[p][d] = None,
            // KIRO-SCIM-11: a profile holds at most two live SCIM tokens; a third is refused.
            // The harness's observer token (it reads Kiro's state) is one of profile 0's.
            Action::GenerateScimToken => {
                let live = self.scim_tokens.iter().filter(|revoked| !**revoked).count();
                if live + OBSERVER_TOKENS >= 2 {
                    self.expected = Outcome::Refused("token limit");
                } else {
                    self.scim_tokens.push(false);
                }
            }
            Action::RevokeScimToken(k) => {
                if let Some(t) = self.scim_tokens.get_mut(k) {
                    *t = true;
                }
            }
            Action::OktaUsesToken(k) => {
                self.okta_token = k;
                self.sync();
            }
            Action::SignIn(u) => self.sign_in(u),
            Action::Complete(u) => self.use_kiro(u, COMPLETION_CENTI),
            Action::Chat(u) => self.use_kiro(u, CHAT_CENTI),
            Action::Refresh(u) => {
                // Not signed in, or a refused refresh (which signs the IDE out).
                if !self.refresh(u) {
                    self.expected = Outcome::Refused("signed out");
                }
            }
            Action::Advance(secs) => self.advance(secs),
            Action::DuringScimFault(fault, ref inner) => {
                // Okta's change is made now, but Kiro learns of it only when the push retries
                // (the fault removed by then): the model makes the change at that time. Kiro's
                // own jobs meanwhile do not depend on Okta.
                let retry = fault.retry_secs();
                self.advance(retry);
                self.apply(inner);
                let expected = self.expected.clone();
                self.advance(FAULT_WINDOW_SECS - retry);
                self.expected = expected;
            }
        }
    }

    /// Okta's push, settled: when the connection works, Kiro ends up as Okta says it should.
    fn sync(&mut self) {
        if !self.connection_ok() {
            return;
        }
        let create = self.features.contains(&Feature::CreateUsers);
        let deactivate = self.features.contains(&Feature::DeactivateUsers);
        for u in 0..USERS.len() {
            if self.users[u].is_none() {
                continue;
            }
            let wanted = self.active(u) && self.assigned(App::Scim, u);
            self.kiro_users[u] = match self.kiro_users[u] {
                None if wanted && create => Some(true),
                Some(false) if wanted && deactivate => Some(true),
                Some(true) if !wanted && deactivate => Some(false),
                other => other,
            };
        }
        for g in 0..GROUPS.len() {
            if !self.pushed[g] {
                // Unlinked: the group is deleted in Kiro.
                self.kiro_groups[g] = None;
                continue;
            }
            if self.kiro_groups[g].is_none() {
                self.kiro_groups[g] = Some(KiroGroup {
                    generation: self.next_generation,
                    members: BTreeSet::new(),
                });
                self.next_generation += 1;
            }
            // Only members Okta has provisioned are pushed.
            let desired: BTreeSet<usize> = self.members[g]
                .iter()
                .copied()
                .filter(|u| self.kiro_users[*u].is_some())
                .collect();
            let Some(key) = self.kiro_group(g) else {
                continue;
            };
            let current = self.kiro_groups[g]
                .as_ref()
                .map(|k| k.members.clone())
                .unwrap_or_default();
            let added: Vec<usize> = desired.difference(&current).copied().collect();
            let removed: Vec<usize> = current.difference(&desired).copied().collect();
            if let Some(k) = &mut self.kiro_groups[g] {
                k.members = desired;
            }
            self.on_membership_change(key, &added, &removed);
        }
    }

    /// Kiro following a group's membership change: a member added to a subscribed group gets
    /// the seat after the sync delay; a member removed loses a grant not yet due.
    fn on_membership_change(&mut self, key: (usize, u32), added: &[usize], removed: &[usize]) {
        let Some(tier) = self.subscription(key) else {
            return;
        };
        self.grants
            .retain(|gr| !(gr.group == key && removed.contains(&gr.user)));
        for &user in added {
            if self.flaw == Flaw::NoSyncDelay {
                let now = self.now;
                grant(
                    &mut self.seats,
                    now,
                    user,
                    Source::Group(key.0, key.1, tier),
                );
                continue;
            }
            self.grants.push(Grant {
                user,
                group: key,
                due: self.now + self.sync_delay,
            });
        }
    }

    fn advance(&mut self, secs: u64) {
        let to = self.now + secs;
        // Seats due on the way, in due order (then the order made).
        loop {
            let next = self
                .grants
                .iter()
                .enumerate()
                .filter(|(_, g)| g.due <= to)
                .min_by_key(|(i, g)| (g.due, *i))
                .map(|(i, _)| i);
            let Some(i) = next else { break };
            let due = self.grants.remove(i);
            let tier = self.subscription(due.group);
            let still_member = self.kiro_groups[due.group.0]
                .as_ref()
                .is_some_and(|k| k.generation == due.group.1 && k.members.contains(&due.user));
            if let (Some(tier), true) = (tier, still_member) {
                grant(
                    &mut self.seats,
                    due.due,
                    due.user,
                    Source::Group(due.group.0, due.group.1, tier),
                );
            }
        }
        // Kiro's periodic check of pending domains.
        if to / DOMAIN_CHECK_SECS > self.now / DOMAIN_CHECK_SECS {
            for by_profile in &mut self.domains {
                for domain in by_profile.iter_mut().flatten() {
                    if domain.txt {
                        domain.verified = true;
                    }
                }
            }
        }
        self.now = to;
    }

    /// The profile `example.com` routes to.
    fn route(&self) -> Option<usize> {
        (0..PROFILES.len()).find(|p| self.domains[*p][0].as_ref().is_some_and(|d| d.verified))
    }

    fn sign_in(&mut self, u: usize) {
        let Some(profile) = self.route() else {
            self.expected = Outcome::Refused("no route");
            return;
        };
        if !self.active(u) || !self.assigned(App::Oidc, u) {
            self.expected = Outcome::Refused("sign-in refused");
            return;
        }
        self.sessions[u] = Some(Session {
            profile,
            access_expires: self.now + ACCESS_TOKEN_SECS,
            refresh_idle_until: self.now + REFRESH_IDLE_SECS,
        });
    }

    /// The refresh grant; a failure signs the IDE out.
    fn refresh(&mut self, u: usize) -> bool {
        let Some(session) = &self.sessions[u] else {
            return false;
        };
        let user_ok = (self.active(u) && self.assigned(App::Oidc, u))
            || self.flaw == Flaw::RemovedUserRefreshes;
        if user_ok && self.now < session.refresh_idle_until {
            let now = self.now;
            if let Some(s) = &mut self.sessions[u] {
                s.access_expires = now + ACCESS_TOKEN_SECS;
                s.refresh_idle_until = now + REFRESH_IDLE_SECS;
            }
            true
        } else {
            self.sessions[u] = None;
            false
        }
    }

    fn use_kiro(&mut self, u: usize, cost: u64) {
        let Some(session) = &self.sessions[u] else {
            self.expected = Outcome::Refused("signed out");
            return;
        };
        if self.now >= session.access_expires && !self.refresh(u) {
            self.expected = Outcome::Refused("signed out");
            return;
        }
        let profile = self.sessions[u].as_ref().map_or(1, |s| s.profile);
        let denied = Outcome::Refused("access denied");
        if profile != 0 || self.kiro_users[u] != Some(true) {
            self.expected = denied;
            return;
        }
        let now = self.now;
        let Some(seat) = self
            .seats
            .get_mut(&u)
            .filter(|s| s.status != SeatStatus::Canceled)
        else {
            self.expected = denied;
            return;
        };
        let start = month_start(now);
        if start > seat.period_start {
            seat.period_start = start;
            seat.used_centi = 0;
        }
        if seat.used_centi + cost > seat.tier_at(now).credits_centi() {
            self.expected = Outcome::Refused("credit limit");
            return;
        }
        seat.used_centi += cost;
        if seat.status == SeatStatus::Pending {
            seat.status = SeatStatus::Active;
        }
    }

    /// What the world must show now.
    pub fn view(&self) -> View {
        let login = |u: usize| USERS[u].0.to_string();
        let group_name = |key: (usize, u32)| {
            self.kiro_group(key.0)
                .filter(|k| *k == key)
                .map(|_| GROUPS[key.0].to_string())
        };
        let mut view = View {
            kiro_users: self
                .kiro_users
                .iter()
                .enumerate()
                .filter_map(|(u, a)| a.map(|active| (login(u), active)))
                .collect(),
            ..View::default()
        };
        for (g, k) in self.kiro_groups.iter().enumerate() {
            if let Some(k) = k {
                view.kiro_groups.insert(
                    GROUPS[g].to_string(),
                    k.members.iter().map(|u| login(*u)).collect(),
                );
            }
        }
        for (u, seat) in &self.seats {
            view.seats.insert(
                login(*u),
                SeatView {
                    tier: seat.tier_at(self.now).as_str().to_string(),
                    pending_tier: seat
                        .pending_tier
                        .filter(|(_, at)| *at > self.now)
                        .map(|(t, _)| t.as_str().to_string()),
                    status: seat.status.as_str().to_string(),
                    sources: seat
                        .sources
                        .iter()
                        .map(|s| match s {
                            Source::Direct(_) => "DIRECT".to_string(),
                            Source::Group(g, n, _) => {
                                group_name((*g, *n)).unwrap_or_else(|| "(deleted group)".into())
                            }
                        })
                        .collect::<Vec<String>>()
                        .sorted(),
                },
            );
        }
        for (key, tier) in &self.group_subscriptions {
            view.group_subscriptions.push((
                group_name(*key).unwrap_or_else(|| "(deleted group)".into()),
                tier.as_str().to_string(),
            ));
        }
        view.group_subscriptions.sort();
        for g in &self.grants {
            view.pending_grants.insert((
                login(g.user),
                group_name(g.group).unwrap_or_else(|| "(deleted group)".into()),
                g.due,
            ));
        }
        for (p, by_profile) in self.domains.iter().enumerate() {
            for (d, domain) in by_profile.iter().enumerate() {
                if let Some(domain) = domain {
                    view.domains.insert(
                        (p, DOMAINS[d].to_string()),
                        if domain.verified {
                            "VERIFIED"
                        } else {
                            "PENDING"
                        }
                        .to_string(),
                    );
                }
            }
        }
        view
    }
}

/// Adds a source to a user's seat, creating or reviving it; the highest tier wins.
fn grant(seats: &mut BTreeMap<usize, Seat>, now: u64, user: usize, source: Source) {
    if let Some(seat) = seats.get_mut(&user) {
        if seat.status == SeatStatus::Canceled {
            seat.status = SeatStatus::Pending;
        }
        seat.sources.retain(|s| !s.same_origin(source));
        seat.sources.push(source);
        retier(seat, now);
        return;
    }
    seats.insert(
        user,
        Seat {
            tier: source.tier(),
            pending_tier: None,
            status: SeatStatus::Pending,
            sources: vec![source],
            used_centi: 0,
            period_start: month_start(now),
        },
    );
}

/// Higher tiers apply at once, lower ones at the start of the next month.
fn retier(seat: &mut Seat, now: u64) {
    let current = seat.tier_at(now);
    seat.tier = current;
    seat.pending_tier = None;
    let Some(target) = seat.sources.iter().map(|s| s.tier()).max() else {
        return;
    };
    if target >= current {
        seat.tier = target;
    } else {
        seat.pending_tier = Some((target, next_month_start(now)));
    }
}

/// What a seat looks like in the console.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeatView {
    /// Tier in force.
    pub tier: String,
    /// A downgrade to come.
    pub pending_tier: Option<String>,
    /// Status.
    pub status: String,
    /// `DIRECT` or the group's name, sorted: two group grants falling due together are
    /// granted in the order their memberships reached Kiro, which Okta's concurrent push
    /// does not fix.
    pub sources: Vec<String>,
}

/// A list sorted, in a chain.
pub(crate) trait Sorted {
    /// The list, sorted.
    fn sorted(self) -> Self;
}

impl Sorted for Vec<String> {
    fn sorted(mut self) -> Self {
        self.sort();
        self
    }
}

/// The observable state compared after every step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct View {
    /// Kiro users (profile 0) by userName, with `active`.
    pub kiro_users: BTreeMap<String, bool>,
    /// Kiro groups by displayName, with their members' userNames.
    pub kiro_groups: BTreeMap<String, BTreeSet<String>>,
    /// Seats by userName.
    pub seats: BTreeMap<String, SeatView>,
    /// Group subscriptions: (group name, tier), sorted.
    pub group_subscriptions: Vec<(String, String)>,
    /// Pending grants: (userName, group name, due Unix seconds).
    pub pending_grants: BTreeSet<(String, String, u64)>,
    /// Domains: (profile number, domain) → status.
    pub domains: BTreeMap<(usize, String), String>,
}
