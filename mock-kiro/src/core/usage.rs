//! What a signed-in user may do, and what it costs (BEHAVIOURS.md KIRO-SUB-1, KIRO-SUB-5,
//! KIRO-USE-1..2, KIRO-GOV-1).
//!
//! The wire layer has already verified the bearer JWT (signature, issuer, client, expiry,
//! scope for the feature); the core then requires a provisioned, active user holding a live
//! seat, checks governance (approved model), and spends credits: fractional, in hundredths
//! (the smallest charge is 0.01), reset at the start of each month, refused at the limit
//! unless the profile allows overages. A seat's first use makes it Active.

use std::time::SystemTime;

use super::period::{month_start, next_month_start};
use super::seats::{Seat, SeatStatus};
use super::{Kiro, Profile};

/// Who a verified access token speaks for.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    /// `uid`: the IdP's user id (SCIM `externalId`).
    pub uid: String,
    /// `sub`: the login (SCIM `userName`).
    pub sub: String,
}

/// A feature of the service.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Feature {
    /// Inline completions.
    Completion,
    /// Chat, with an optional model and the prompt's length in characters.
    Chat {
        /// Requested model (`None`: the profile's default).
        model: Option<String>,
        /// Prompt length.
        prompt_chars: usize,
    },
}

/// Why a use is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UseError {
    /// No user, inactive user, or no live seat (KIRO-SUB-1).
    #[error(
        "You have not been granted access to any Kiro profile. Contact your administrator to get access."
    )]
    NoAccess,
    /// The model is not approved in the profile's settings.
    #[error("The model {0} is not enabled for your organization.")]
    ModelNotAllowed(String),
    /// Monthly credits used up and overages off.
    #[error("You have reached the monthly credit limit of your {0} plan. Usage resets on {1}.")]
    LimitReached(&'static str, String),
}

/// What a use cost.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Receipt {
    /// Credits charged, in hundredths.
    pub cost_centi: u64,
    /// The model that answered (chat).
    pub model: Option<String>,
    /// Credits used this month after the charge, in hundredths.
    pub used_centi: u64,
}

/// A GetUsageLimits-shaped report.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UsageReport {
    /// `KIRO PRO`, …
    pub plan_title: &'static str,
    /// Tier id.
    pub tier: &'static str,
    /// Monthly credits.
    pub limit: u64,
    /// Used this month, in hundredths.
    pub used_centi: u64,
    /// Beyond the limit, in hundredths.
    pub overage_centi: u64,
    /// Start of next month.
    pub next_reset: SystemTime,
    /// Whether overages are on.
    pub overages_enabled: bool,
}

/// The cost of a use, in hundredths of a credit.
pub fn cost_centi(feature: &Feature, model: Option<&str>) -> u64 {
    match feature {
        Feature::Completion => 1,
        Feature::Chat { prompt_chars, .. } => {
            let base = 10 + (*prompt_chars as u64).div_ceil(500);
            match model {
                Some("claude-haiku-4.5") => base.div_ceil(3).max(1),
                Some("claude-sonnet-4.5") => base + base / 3,
                _ => base,
            }
        }
    }
}

impl Kiro {
    /// Profiles whose IdP issued the token (issuer and client id) and where the user is
    /// provisioned: what "list available profiles" shows.
    pub fn profiles_for(&self, issuer: &str, client_id: &str, who: &Identity) -> Vec<&Profile> {
        self.profiles
            .iter()
            .filter(|p| {
                p.issuer == issuer && p.client_id == client_id && find_user(p, who).is_some()
            })
            .collect()
    }

    /// Authorizes and charges one use (KIRO-USE-2).
    pub fn use_feature(
        &mut self,
        now: SystemTime,
        profile: &str,
        who: &Identity,
        feature: &Feature,
    ) -> Result<Receipt, UseError> {
        let p = self.profile_mut(profile).map_err(|_| UseError::NoAccess)?;
        let user_id = find_user(p, who)
            .filter(|u| u.1)
            .map(|u| u.0)
            .ok_or(UseError::NoAccess)?;
        let model = match feature {
            Feature::Completion => None,
            Feature::Chat { model, .. } => {
                let m = model
                    .clone()
                    .or_else(|| p.settings.default_model.clone())
                    .unwrap_or_else(|| "auto".into());
                if !p.settings.approved_models.contains(&m) {
                    return Err(UseError::ModelNotAllowed(m));
                }
                Some(m)
            }
        };
        let overages = p.settings.overages_enabled;
        let seat = p
            .seats
            .iter_mut()
            .find(|s| s.user_id == user_id && s.status != SeatStatus::Canceled)
            .ok_or(UseError::NoAccess)?;
        roll_period(seat, now);
        let tier = seat.tier_at(now);
        let cost = cost_centi(feature, model.as_deref());
        if !overages && seat.used_centi + cost > tier.credits() * 100 {
            return Err(UseError::LimitReached(
                tier.title(),
                humantime::format_rfc3339_seconds(next_month_start(now)).to_string(),
            ));
        }
        seat.used_centi += cost;
        if seat.status == SeatStatus::Pending {
            seat.status = SeatStatus::Active;
            seat.activated = Some(now);
        }
        Ok(Receipt {
            cost_centi: cost,
            model,
            used_centi: seat.used_centi,
        })
    }

    /// The user's plan and usage (GetUsageLimits).
    pub fn usage(
        &mut self,
        now: SystemTime,
        profile: &str,
        who: &Identity,
    ) -> Result<UsageReport, UseError> {
        let p = self.profile_mut(profile).map_err(|_| UseError::NoAccess)?;
        let user_id = find_user(p, who)
            .filter(|u| u.1)
            .map(|u| u.0)
            .ok_or(UseError::NoAccess)?;
        let overages = p.settings.overages_enabled;
        let seat = p
            .seats
            .iter_mut()
            .find(|s| s.user_id == user_id && s.status != SeatStatus::Canceled)
            .ok_or(UseError::NoAccess)?;
        roll_period(seat, now);
        let tier = seat.tier_at(now);
        let limit = tier.credits();
        Ok(UsageReport {
            plan_title: tier.title(),
            tier: tier.as_str(),
            limit,
            used_centi: seat.used_centi,
            overage_centi: seat.used_centi.saturating_sub(limit * 100),
            next_reset: next_month_start(now),
            overages_enabled: overages,
        })
    }
}

/// The SCIM user a token speaks for: by `externalId == uid`, else `userName == sub`.
/// Returns (id, active).
fn find_user(p: &Profile, who: &Identity) -> Option<(String, bool)> {
    p.users
        .iter()
        .find(|u| u.attrs.external_id.as_deref() == Some(who.uid.as_str()))
        .or_else(|| p.users.by_user_name(&who.sub))
        .map(|u| (u.id.clone(), u.attrs.active))
}

/// Starts a new usage month if `now` is past the current one.
fn roll_period(seat: &mut Seat, now: SystemTime) {
    let start = month_start(now);
    if start > seat.period_start {
        seat.period_start = start;
        seat.used_centi = 0;
    }
    if let Some((tier, at)) = seat.pending_tier
        && at <= now
    {
        seat.tier = tier;
        seat.pending_tier = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smallest_charge_is_one_hundredth() {
        assert_eq!(cost_centi(&Feature::Completion, None), 1);
        let chat = Feature::Chat {
            model: None,
            prompt_chars: 1_200,
        };
        assert_eq!(cost_centi(&chat, Some("auto")), 13);
        assert_eq!(cost_centi(&chat, Some("claude-haiku-4.5")), 5);
    }
}
