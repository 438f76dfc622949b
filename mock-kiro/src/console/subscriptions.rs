//! Subscriptions (KIRO-SUB-2..8): seats for users, group subscriptions that give each member a
//! seat, tier changes, cancellation and removal. The listing shows exactly who holds a seat
//! and why, so unintended members of a subscribed group can be spotted (KIRO-SUB-8).

use std::time::SystemTime;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use serde_json::{Value, json};
use sim_api::kiro::{ChangeTierBody, SubscribeBody};

use super::Params;
use crate::core::seats::Source;
use crate::core::{Profile, Seat, Tier};
use crate::wire::{Admin, AppState, AwsError, parse_json, timestamp};

pub(crate) fn parse_tier(tier: &str) -> Result<Tier, AwsError> {
    Tier::parse(tier).ok_or_else(|| {
        AwsError::validation(format!(
            "Tier {tier} is not valid. Valid tiers: PRO, PRO_PLUS, POWER."
        ))
    })
}

fn group_name(p: &Profile, group_id: &str) -> Option<String> {
    p.groups
        .iter()
        .find(|g| g.id == group_id)
        .map(|g| g.display_name.clone())
}

fn seat_json(p: &Profile, s: &Seat, now: SystemTime) -> Value {
    let user = p.users.by_id(&s.user_id);
    seat_json_of(p, s, user, now)
}

/// A seat's JSON with its user already found (a listing looks users up in an index: a search
/// per seat made listing 10,000 seats quadratic).
fn seat_json_of(
    p: &Profile,
    s: &Seat,
    user: Option<&crate::core::ScimUser>,
    now: SystemTime,
) -> Value {
    let pending = match s.pending_tier {
        Some((tier, at)) if at > now => {
            json!({ "tier": tier.as_str(), "effectiveAt": timestamp(at) })
        }
        _ => Value::Null,
    };
    let sources: Vec<Value> = s
        .sources
        .iter()
        .map(|source| match source {
            Source::Direct(_) => json!({ "type": "DIRECT" }),
            Source::Group(g, _) => {
                json!({ "type": "GROUP", "groupId": g, "groupName": group_name(p, g) })
            }
        })
        .collect();
    json!({
        "userId": s.user_id,
        "userName": user.map(|u| u.attrs.user_name.clone()),
        "displayName": user.map(|u| u.attrs.display_name.clone()),
        "tier": s.tier_at(now).as_str(),
        "pendingTier": pending,
        "status": s.status.as_str(),
        "sources": sources,
        "createdAt": timestamp(s.created),
        "activatedAt": s.activated.map(timestamp),
        "canceledAt": s.canceled.map(timestamp),
    })
}

fn listing(p: &Profile, now: SystemTime) -> Value {
    let users: std::collections::HashMap<&str, &crate::core::ScimUser> =
        p.users.iter().map(|u| (u.id.as_str(), u)).collect();
    let seats: Vec<Value> = p
        .seats
        .iter()
        .map(|s| seat_json_of(p, s, users.get(s.user_id.as_str()).copied(), now))
        .collect();
    let groups: Vec<Value> = p
        .group_subscriptions
        .iter()
        .map(|g| {
            json!({
                "groupId": g.group_id,
                "groupName": group_name(p, &g.group_id),
                "tier": g.tier.as_str(),
                "createdAt": timestamp(g.created),
            })
        })
        .collect();
    let pending: Vec<Value> = p
        .pending_grants
        .iter()
        .map(|g| json!({ "userId": g.user_id, "groupId": g.group_id, "dueAt": timestamp(g.due) }))
        .collect();
    json!({ "seats": seats, "groupSubscriptions": groups, "pendingGrants": pending })
}

/// `GET …/subscriptions`: every seat, group subscription and pending grant (KIRO-SUB-8).
pub(super) async fn list(
    _: Admin,
    State(shared): State<AppState>,
    Params(id): Params<String>,
) -> Result<Json<Value>, AwsError> {
    let now = shared.clock.now();
    let kiro = shared.kiro.lock();
    Ok(Json(listing(kiro.profile(&id)?, now)))
}

/// Subscribes a user (a seat) or a group (a seat for each current member, KIRO-SUB-3; the
/// answer lists exactly who got one, KIRO-SUB-8).
pub(super) async fn subscribe(
    _: Admin,
    State(shared): State<AppState>,
    Params(id): Params<String>,
    body: Bytes,
) -> Result<Json<Value>, AwsError> {
    let input: SubscribeBody = parse_json(&body)?;
    let tier = parse_tier(&input.tier)?;
    let now = shared.clock.now();
    let mut kiro = shared.kiro.lock();
    kiro.profile(&id)?;
    match input.principal_type.as_str() {
        "USER" => {
            let seat = kiro.subscribe_user(now, &id, &input.principal_id, tier)?;
            Ok(Json(seat_json(kiro.profile(&id)?, &seat, now)))
        }
        "GROUP" => {
            let seats = kiro.subscribe_group(now, &id, &input.principal_id, tier)?;
            let p = kiro.profile(&id)?;
            let seats: Vec<Value> = seats.iter().map(|s| seat_json(p, s, now)).collect();
            Ok(Json(json!({
                "groupId": input.principal_id,
                "groupName": group_name(p, &input.principal_id),
                "tier": tier.as_str(),
                "seats": seats,
            })))
        }
        other => Err(AwsError::validation(format!(
            "Principal type {other} is not valid. Valid principal types: USER, GROUP."
        ))),
    }
}

/// Changes a user's tier: up at once, down at the start of next month (KIRO-SUB-6).
pub(super) async fn change_tier(
    _: Admin,
    State(shared): State<AppState>,
    Params((id, user_id)): Params<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, AwsError> {
    let input: ChangeTierBody = parse_json(&body)?;
    let tier = parse_tier(&input.tier)?;
    let now = shared.clock.now();
    let mut kiro = shared.kiro.lock();
    let seat = kiro.change_tier(now, &id, &user_id, tier)?;
    Ok(Json(seat_json(kiro.profile(&id)?, &seat, now)))
}

/// Cancels a user's seat: Canceled, still listed (KIRO-SUB-5).
pub(super) async fn unsubscribe_user(
    _: Admin,
    State(shared): State<AppState>,
    Params((id, user_id)): Params<(String, String)>,
) -> Result<Json<Value>, AwsError> {
    let now = shared.clock.now();
    let mut kiro = shared.kiro.lock();
    let seat = kiro.unsubscribe_user(now, &id, &user_id)?;
    Ok(Json(seat_json(kiro.profile(&id)?, &seat, now)))
}

/// Ends a group's subscription; answers the listing after the change.
pub(super) async fn unsubscribe_group(
    _: Admin,
    State(shared): State<AppState>,
    Params((id, group_id)): Params<(String, String)>,
) -> Result<Json<Value>, AwsError> {
    let now = shared.clock.now();
    let mut kiro = shared.kiro.lock();
    kiro.unsubscribe_group(now, &id, &group_id)?;
    Ok(Json(listing(kiro.profile(&id)?, now)))
}

/// Removes a seat entirely (KIRO-SUB-7); answers the listing after the change.
pub(super) async fn delete_seat(
    _: Admin,
    State(shared): State<AppState>,
    Params((id, user_id)): Params<(String, String)>,
) -> Result<Json<Value>, AwsError> {
    let now = shared.clock.now();
    let mut kiro = shared.kiro.lock();
    kiro.delete_seat(&id, &user_id)?;
    Ok(Json(listing(kiro.profile(&id)?, now)))
}
