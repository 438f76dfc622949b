//! Subscriptions (BEHAVIOURS.md KIRO-SUB-2..8).
//!
//! There is no group subscription in Kiro, only seats: subscribing a group gives each of its
//! members a seat of their own, recording why. A user holding seats through several sources
//! has one seat at the highest tier. A user added later to an already subscribed group gets
//! the seat only after the sync delay (up to 24 hours; [`SyncDelay`]); the wire layer
//! schedules [`Kiro::apply_due_grants`] on the world's clock. Upgrades apply at once,
//! downgrades at the start of the next month. Removing a user upstream never removes a seat:
//! it stays until an admin deletes it.

use std::time::{Duration, SystemTime};

use super::period::{month_start, next_month_start};
use super::scim::MembershipChange;
use super::{ConsoleError, Kiro};

/// A subscription tier (KIRO-SUB-2).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Tier {
    /// 1,000 credits a month.
    Pro,
    /// 2,000 credits a month.
    ProPlus,
    /// 10,000 credits a month.
    Power,
}

impl Tier {
    /// Monthly credits.
    pub fn credits(&self) -> u64 {
        match self {
            Tier::Pro => 1_000,
            Tier::ProPlus => 2_000,
            Tier::Power => 10_000,
        }
    }

    /// API spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            Tier::Pro => "PRO",
            Tier::ProPlus => "PRO_PLUS",
            Tier::Power => "POWER",
        }
    }

    /// Plan title as usage reports show it.
    pub fn title(&self) -> &'static str {
        match self {
            Tier::Pro => "KIRO PRO",
            Tier::ProPlus => "KIRO PRO+",
            Tier::Power => "KIRO POWER",
        }
    }

    /// Parses the API spelling (also `Pro`, `Pro+`, `Power`).
    pub fn parse(s: &str) -> Option<Tier> {
        match s.to_ascii_uppercase().as_str() {
            "PRO" => Some(Tier::Pro),
            "PRO_PLUS" | "PRO+" | "PROPLUS" => Some(Tier::ProPlus),
            "POWER" => Some(Tier::Power),
            _ => None,
        }
    }
}

/// A seat's status (KIRO-SUB-5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SeatStatus {
    /// Subscribed, never used Kiro.
    Pending,
    /// Has used Kiro.
    Active,
    /// Unsubscribed by an admin.
    Canceled,
}

impl SeatStatus {
    /// API spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            SeatStatus::Pending => "PENDING",
            SeatStatus::Active => "ACTIVE",
            SeatStatus::Canceled => "CANCELED",
        }
    }
}

/// Why a user has a seat.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Source {
    /// Subscribed directly.
    Direct(Tier),
    /// Through a subscribed group.
    Group(String, Tier),
}

impl Source {
    fn tier(&self) -> Tier {
        match self {
            Source::Direct(t) | Source::Group(_, t) => *t,
        }
    }
}

/// A user's seat in a profile.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Seat {
    /// SCIM user id.
    pub user_id: String,
    /// Current tier.
    pub tier: Tier,
    /// A lower tier taking effect at a month boundary.
    pub pending_tier: Option<(Tier, SystemTime)>,
    /// Status.
    pub status: SeatStatus,
    /// Why the user has it.
    pub sources: Vec<Source>,
    /// When granted.
    pub created: SystemTime,
    /// First use.
    pub activated: Option<SystemTime>,
    /// When canceled.
    pub canceled: Option<SystemTime>,
    /// Credits used this month, in hundredths.
    pub used_centi: u64,
    /// Start of the current usage month.
    pub period_start: SystemTime,
}

impl Seat {
    /// The tier in force at `now` (a pending downgrade counts once its time has come).
    pub fn tier_at(&self, now: SystemTime) -> Tier {
        match self.pending_tier {
            Some((tier, at)) if at <= now => tier,
            _ => self.tier,
        }
    }
}

/// A group subscribed to a tier: members get seats.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GroupSubscription {
    /// SCIM group id.
    pub group_id: String,
    /// Tier.
    pub tier: Tier,
    /// When subscribed.
    pub created: SystemTime,
}

/// A seat waiting for the group sync delay (KIRO-SUB-4).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PendingGrant {
    /// SCIM user id.
    pub user_id: String,
    /// The group that brought it.
    pub group_id: String,
    /// When it is granted.
    pub due: SystemTime,
}

/// How long a user added to a subscribed group waits for the seat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SyncDelay {
    /// Exactly this long.
    Fixed(Duration),
    /// Drawn from the world's seed, uniformly up to this long (default 24 h).
    Seeded {
        /// Upper bound.
        max: Duration,
    },
}

impl Default for SyncDelay {
    fn default() -> Self {
        SyncDelay::Seeded {
            max: Duration::from_secs(24 * 3600),
        }
    }
}

impl Kiro {
    /// Sets the group sync delay.
    pub fn set_sync_delay(&mut self, delay: SyncDelay) {
        self.sync_delay = delay;
    }

    /// The group sync delay.
    pub fn sync_delay(&self) -> SyncDelay {
        self.sync_delay
    }

    /// Subscribes a provisioned user directly.
    pub fn subscribe_user(
        &mut self,
        now: SystemTime,
        profile: &str,
        user_id: &str,
        tier: Tier,
    ) -> Result<Seat, ConsoleError> {
        self.user(profile, user_id)
            .map_err(|_| ConsoleError::NotFound(format!("User {user_id}")))?;
        let p = self.profile_mut(profile)?;
        Ok(grant(&mut p.seats, now, user_id, Source::Direct(tier)))
    }

    /// Subscribes every current member of a group (KIRO-SUB-3); later members follow after the
    /// sync delay. Returns the seats granted now (KIRO-SUB-8).
    pub fn subscribe_group(
        &mut self,
        now: SystemTime,
        profile: &str,
        group_id: &str,
        tier: Tier,
    ) -> Result<Vec<Seat>, ConsoleError> {
        let members = self
            .group(profile, group_id)
            .map_err(|_| ConsoleError::NotFound(format!("Group {group_id}")))?
            .members
            .clone();
        let p = self.profile_mut(profile)?;
        match p
            .group_subscriptions
            .iter_mut()
            .find(|g| g.group_id == group_id)
        {
            Some(existing) => existing.tier = tier,
            None => p.group_subscriptions.push(GroupSubscription {
                group_id: group_id.to_string(),
                tier,
                created: now,
            }),
        }
        Ok(members
            .iter()
            .map(|m| {
                grant(
                    &mut p.seats,
                    now,
                    m,
                    Source::Group(group_id.to_string(), tier),
                )
            })
            .collect())
    }

    /// Changes a user's directly subscribed tier: up at once, down at the next month
    /// (KIRO-SUB-6).
    pub fn change_tier(
        &mut self,
        now: SystemTime,
        profile: &str,
        user_id: &str,
        tier: Tier,
    ) -> Result<Seat, ConsoleError> {
        let p = self.profile_mut(profile)?;
        let seat = p
            .seats
            .iter_mut()
            .find(|s| s.user_id == user_id && s.status != SeatStatus::Canceled)
            .ok_or_else(|| ConsoleError::NotFound(format!("Subscription of user {user_id}")))?;
        seat.sources.retain(|s| !matches!(s, Source::Direct(_)));
        seat.sources.push(Source::Direct(tier));
        retier(seat, now);
        Ok(seat.clone())
    }

    /// Cancels a user's seat (KIRO-SUB-5); the seat is still listed.
    pub fn unsubscribe_user(
        &mut self,
        now: SystemTime,
        profile: &str,
        user_id: &str,
    ) -> Result<Seat, ConsoleError> {
        let p = self.profile_mut(profile)?;
        let seat = p
            .seats
            .iter_mut()
            .find(|s| s.user_id == user_id)
            .ok_or_else(|| ConsoleError::NotFound(format!("Subscription of user {user_id}")))?;
        seat.status = SeatStatus::Canceled;
        seat.canceled = Some(now);
        seat.sources.clear();
        seat.pending_tier = None;
        Ok(seat.clone())
    }

    /// Ends a group's subscription: members keep seats that other sources hold; seats held
    /// only through the group are canceled. Pending grants from it are dropped.
    pub fn unsubscribe_group(
        &mut self,
        now: SystemTime,
        profile: &str,
        group_id: &str,
    ) -> Result<(), ConsoleError> {
        let p = self.profile_mut(profile)?;
        if !p.group_subscriptions.iter().any(|g| g.group_id == group_id) {
            return Err(ConsoleError::NotFound(format!(
                "Subscription of group {group_id}"
            )));
        }
        p.group_subscriptions.retain(|g| g.group_id != group_id);
        p.pending_grants.retain(|g| g.group_id != group_id);
        for seat in p
            .seats
            .iter_mut()
            .filter(|s| s.status != SeatStatus::Canceled)
        {
            let before = seat.sources.len();
            seat.sources
                .retain(|s| !matches!(s, Source::Group(g, _) if g == group_id));
            if seat.sources.len() != before {
                if seat.sources.is_empty() {
                    seat.status = SeatStatus::Canceled;
                    seat.canceled = Some(now);
                } else {
                    retier(seat, now);
                }
            }
        }
        Ok(())
    }

    /// Deletes a seat outright (the admin's "remove", KIRO-SUB-7).
    pub fn delete_seat(&mut self, profile: &str, user_id: &str) -> Result<(), ConsoleError> {
        let p = self.profile_mut(profile)?;
        if !p.seats.iter().any(|s| s.user_id == user_id) {
            return Err(ConsoleError::NotFound(format!(
                "Subscription of user {user_id}"
            )));
        }
        p.seats.retain(|s| s.user_id != user_id);
        Ok(())
    }

    /// Seats of a profile.
    pub fn seats(&self, profile: &str) -> Result<&[Seat], ConsoleError> {
        Ok(&self.profile(profile)?.seats)
    }

    /// Follows a SCIM membership change: members added to a subscribed group get the seat
    /// after the sync delay; members removed lose a grant not yet due (a granted seat stays).
    pub(crate) fn on_membership_change(
        &mut self,
        now: SystemTime,
        profile: &str,
        group_id: &str,
        change: &MembershipChange,
    ) {
        let delays: Vec<Duration> = change.added.iter().map(|_| self.draw_delay()).collect();
        let Ok(p) = self.profile_mut(profile) else {
            return;
        };
        if !p.group_subscriptions.iter().any(|g| g.group_id == group_id) {
            return;
        }
        p.pending_grants
            .retain(|g| !(g.group_id == group_id && change.removed.contains(&g.user_id)));
        for (user, delay) in change.added.iter().zip(delays) {
            p.pending_grants.push(PendingGrant {
                user_id: user.clone(),
                group_id: group_id.to_string(),
                due: now + delay,
            });
        }
    }

    fn draw_delay(&mut self) -> Duration {
        match self.sync_delay {
            SyncDelay::Fixed(d) => d,
            SyncDelay::Seeded { max } => Duration::from_secs(self.delays.below(max.as_secs() + 1)),
        }
    }

    /// When the next pending grant is due, across profiles.
    pub fn next_grant_due(&self) -> Option<SystemTime> {
        self.profiles
            .iter()
            .flat_map(|p| p.pending_grants.iter().map(|g| g.due))
            .min()
    }

    /// Grants every pending seat due at `now`. Returns how many.
    pub fn apply_due_grants(&mut self, now: SystemTime) -> usize {
        let mut granted = 0;
        for p in &mut self.profiles {
            let (due, later): (Vec<_>, Vec<_>) =
                p.pending_grants.drain(..).partition(|g| g.due <= now);
            p.pending_grants = later;
            for g in due {
                let tier = p
                    .group_subscriptions
                    .iter()
                    .find(|s| s.group_id == g.group_id)
                    .map(|s| s.tier);
                let still_member = p
                    .groups
                    .iter()
                    .any(|gr| gr.id == g.group_id && gr.members.contains(&g.user_id));
                if let (Some(tier), true) = (tier, still_member) {
                    grant(
                        &mut p.seats,
                        now,
                        &g.user_id,
                        Source::Group(g.group_id, tier),
                    );
                    granted += 1;
                }
            }
        }
        granted
    }
}

/// Adds a source to a user's seat, creating or reviving it; the highest tier wins.
fn grant(seats: &mut Vec<Seat>, now: SystemTime, user_id: &str, source: Source) -> Seat {
    if let Some(seat) = seats.iter_mut().find(|s| s.user_id == user_id) {
        if seat.status == SeatStatus::Canceled {
            seat.status = SeatStatus::Pending;
            seat.canceled = None;
        }
        seat.sources.retain(|s| !same_origin(s, &source));
        seat.sources.push(source);
        retier(seat, now);
        return seat.clone();
    }
    let seat = Seat {
        user_id: user_id.to_string(),
        tier: source.tier(),
        pending_tier: None,
        status: SeatStatus::Pending,
        sources: vec![source],
        created: now,
        activated: None,
        canceled: None,
        used_centi: 0,
        period_start: month_start(now),
    };
    seats.push(seat.clone());
    seat
}

fn same_origin(a: &Source, b: &Source) -> bool {
    match (a, b) {
        (Source::Direct(_), Source::Direct(_)) => true,
        (Source::Group(x, _), Source::Group(y, _)) => x == y,
        _ => false,
    }
}

/// Sets the tier from the sources: higher at once, lower at the next month boundary.
fn retier(seat: &mut Seat, now: SystemTime) {
    let current = seat.tier_at(now);
    seat.tier = current;
    seat.pending_tier = None;
    let Some(target) = seat.sources.iter().map(Source::tier).max() else {
        return;
    };
    if target >= current {
        seat.tier = target;
    } else {
        seat.pending_tier = Some((target, next_month_start(now)));
    }
}
