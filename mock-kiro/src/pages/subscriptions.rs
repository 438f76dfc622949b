//! The Subscriptions page: who holds a seat and why (KIRO-SUB-8), searchable and paginated so a
//! profile with 10,000 users renders in a few milliseconds; subscribing a user or a group to
//! a tier (Pro, Pro+, Power), unsubscribing, deleting a seat. Every action is the core call the
//! console API makes; a refusal is shown next to its field and changes nothing.

use std::collections::{HashMap, HashSet};

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use super::{Fields, Session, field_error, layout, not_found, see_other, when, with_status};
use crate::console::subscriptions::parse_tier;
use crate::core::seats::Source;
use crate::core::{ConsoleError, Profile, ScimUser, SeatStatus, Tier};
use crate::wire::AppState;

/// Seats per page.
pub(crate) const PAGE_SIZE: usize = 50;

/// `?q=…&page=…` (1-based; anything unparsable is page 1).
#[derive(serde::Deserialize, Default)]
pub(super) struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<String>,
    #[serde(default)]
    subscribed: Option<String>,
}

/// The subscribe form as sent, and where it failed.
#[derive(Default)]
struct SubscribeForm {
    principal_type: String,
    principal: String,
    tier: String,
    error: Option<(&'static str, String)>,
}

fn tier_label(t: Tier) -> &'static str {
    match t {
        Tier::Pro => "Pro",
        Tier::ProPlus => "Pro+",
        Tier::Power => "Power",
    }
}

fn status_label(s: SeatStatus) -> &'static str {
    match s {
        SeatStatus::Pending => "Pending",
        SeatStatus::Active => "Active",
        SeatStatus::Canceled => "Canceled",
    }
}

fn group_name<'a>(p: &'a Profile, id: &'a str) -> &'a str {
    p.groups
        .iter()
        .find(|g| g.id == id)
        .map_or(id, |g| g.display_name.as_str())
}

fn render(shared: &AppState, id: &str, query: &ListQuery, form: &SubscribeForm) -> Response {
    let now = shared.clock.now();
    let kiro = shared.kiro.lock();
    let p = match kiro.profile(id) {
        Ok(p) => p,
        Err(e) => return not_found(e),
    };
    let users: HashMap<&str, &ScimUser> = p.users.iter().map(|u| (u.id.as_str(), u)).collect();
    let needle = query.q.trim().to_lowercase();
    // A search scans the index of lower-cased user names (one contiguous list, rebuilt only
    // when the profiles change), then keeps the seats of the users found, in seat order.
    let matching: Vec<_> = if needle.is_empty() {
        p.seats.iter().collect()
    } else {
        let hits: HashSet<&str> = {
            let mut index = shared.search_index.lock();
            index.refresh(p, kiro.revision());
            index
                .entries
                .iter()
                .filter(|(_, hay)| hay.contains(needle.as_str()))
                .filter_map(|(i, _)| p.users.get(*i))
                .map(|u| u.id.as_str())
                .collect()
        };
        if hits.is_empty() {
            Vec::new()
        } else {
            p.seats
                .iter()
                .filter(|s| hits.contains(s.user_id.as_str()))
                .collect()
        }
    };
    let pages = matching.len().div_ceil(PAGE_SIZE).max(1);
    let page = query
        .page
        .as_deref()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, pages);
    let shown = matching.iter().skip((page - 1) * PAGE_SIZE).take(PAGE_SIZE);
    let base = format!("/console/ui/profiles/{}/subscriptions", p.id);
    let link = |n: usize| {
        let mut url = format!("{base}?page={n}");
        if !needle.is_empty() {
            url.push_str("&q=");
            url.push_str(&sim_core::url::encode(&query.q));
        }
        url
    };
    let err = |field: &str| {
        form.error
            .as_ref()
            .filter(|(k, _)| *k == field)
            .map(|(_, m)| m.as_str())
    };
    let selected_type = if form.principal_type.is_empty() {
        "USER"
    } else {
        form.principal_type.as_str()
    };
    let markup = layout(
        "Subscriptions",
        Some((&p.id, &p.name)),
        html! {
            @if let Some(n) = &query.subscribed {
                p.notice role="status" { "Subscribed. Seats granted now: " (n) "." }
            }
            p { "Provisioned users: " (p.users.len()) ". Groups: " (p.groups.len()) ". Seats: " (p.seats.len()) "." }
            section #subscribe {
                h2 { "Subscribe users and groups" }
                form method="post" action=(base) {
                    label for="principal_type" { "Type" }
                    select #principal_type name="principal_type" {
                        option value="USER" selected[selected_type == "USER"] { "User" }
                        option value="GROUP" selected[selected_type == "GROUP"] { "Group" }
                    }
                    label for="principal" { "User or group" }
                    input #principal type="text" name="principal" value=(form.principal) placeholder="ada@example.com or Kiro Developers";
                    (field_error("principal", err("principal")))
                    label for="tier" { "Subscription tier" }
                    select #tier name="tier" {
                        @for t in [Tier::Pro, Tier::ProPlus, Tier::Power] {
                            option value=(t.as_str()) selected[form.tier == t.as_str()] { (tier_label(t)) }
                        }
                    }
                    (field_error("tier", err("tier")))
                    p { button type="submit" { "Subscribe" } }
                }
            }
            @if !p.group_subscriptions.is_empty() {
                section #group-subscriptions {
                    h2 { "Group subscriptions" }
                    table {
                        thead { tr { th { "Group" } th { "Tier" } th { "Since" } th {} } }
                        tbody {
                            @for g in &p.group_subscriptions {
                                tr {
                                    td { (group_name(p, &g.group_id)) }
                                    td { (tier_label(g.tier)) }
                                    td { (when(g.created)) }
                                    td {
                                        form.row method="post" action=(format!("{base}/groups/{}/unsubscribe", g.group_id)) {
                                            button type="submit" { "Unsubscribe group" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @if !p.pending_grants.is_empty() {
                        p { (p.pending_grants.len()) " new group members get their seat after the sync delay (up to 24 hours)." }
                    }
                }
            }
            section #seats {
                h2 { "Subscribed users" }
                form method="get" action=(base) {
                    label for="q" { "Search users" }
                    input #q type="text" name="q" value=(query.q);
                    " "
                    button type="submit" { "Search" }
                }
                p #seat-count { (matching.len()) " of " (p.seats.len()) " seats. Page " (page) " of " (pages) "." }
                @if matching.is_empty() {
                    p { "No subscribed users." }
                } @else {
                    table {
                        thead { tr { th { "User" } th { "Display name" } th { "Tier" } th { "Status" } th { "Subscribed through" } th { "Since" } th {} } }
                        tbody {
                            @for s in shown {
                                @let u = users.get(s.user_id.as_str());
                                tr {
                                    td { (u.map_or(s.user_id.as_str(), |u| u.attrs.user_name.as_str())) }
                                    td { (u.map_or("", |u| u.attrs.display_name.as_str())) }
                                    td {
                                        (tier_label(s.tier_at(now)))
                                        @if let Some((t, at)) = s.pending_tier.filter(|(_, at)| *at > now) {
                                            " (" (tier_label(t)) " from " (when(at)) ")"
                                        }
                                    }
                                    td class=(format!("status-{}", status_label(s.status))) { (status_label(s.status)) }
                                    td {
                                        @for (i, source) in s.sources.iter().enumerate() {
                                            @if i > 0 { ", " }
                                            @match source {
                                                Source::Direct(_) => "Direct",
                                                Source::Group(g, _) => { "Group " (group_name(p, g)) },
                                            }
                                        }
                                    }
                                    td { (when(s.created)) }
                                    td {
                                        @if s.status != SeatStatus::Canceled {
                                            form.row method="post" action=(format!("{base}/users/{}/unsubscribe", s.user_id)) {
                                                button type="submit" { "Unsubscribe" }
                                            }
                                            " "
                                        }
                                        form.row method="post" action=(format!("{base}/users/{}/delete", s.user_id)) {
                                            button type="submit" { "Delete" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                nav.pages {
                    @if page > 1 { a href=(link(page - 1)) { "Previous" } " " }
                    @if page < pages { a href=(link(page + 1)) { "Next" } }
                }
            }
        },
    );
    let status = if form.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    with_status(status, markup)
}

/// The seat search's index for one profile: each user's lower-cased user name and display
/// name with the user's position, valid while the core's revision stays the same.
#[derive(Default)]
pub(crate) struct SearchIndex {
    key: Option<(String, u64)>,
    entries: Vec<(usize, String)>,
}

impl SearchIndex {
    /// Rebuilds the index for profile `p` unless it was built at `revision` already.
    fn refresh(&mut self, p: &Profile, revision: u64) {
        if self
            .key
            .as_ref()
            .is_some_and(|(id, r)| *id == p.id && *r == revision)
        {
            return;
        }
        self.entries = p
            .users
            .iter()
            .enumerate()
            .map(|(i, u)| {
                (
                    i,
                    format!("{}\n{}", u.attrs.user_name, u.attrs.display_name).to_lowercase(),
                )
            })
            .collect();
        self.key = Some((p.id.clone(), revision));
    }
}

/// `GET …/subscriptions?q=…&page=…`.
pub(super) async fn page(
    _: Session,
    State(shared): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<ListQuery>,
) -> Response {
    render(&shared, &id, &query, &SubscribeForm::default())
}

/// The id of the user or group the admin typed: a user by user name, display name or id; a
/// group by display name or id. Unknown names go to the core as they are, so its refusal is
/// the one shown.
fn resolve(p: &Profile, group: bool, typed: &str) -> String {
    let typed = typed.trim();
    let found = if group {
        p.groups
            .iter()
            .find(|g| g.id == typed || g.display_name.eq_ignore_ascii_case(typed))
            .map(|g| g.id.clone())
    } else {
        p.users
            .iter()
            .find(|u| {
                u.id == typed
                    || u.attrs.user_name.eq_ignore_ascii_case(typed)
                    || u.attrs.display_name.eq_ignore_ascii_case(typed)
            })
            .map(|u| u.id.clone())
    };
    found.unwrap_or_else(|| typed.to_string())
}

/// `POST …/subscriptions`: the core's `subscribe_user` or `subscribe_group`.
pub(super) async fn subscribe(
    _: Session,
    State(shared): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let fields = Fields(form);
    let mut form = SubscribeForm {
        principal_type: fields.get("principal_type").to_string(),
        principal: fields.get("principal").to_string(),
        tier: fields.get("tier").to_string(),
        error: None,
    };
    let outcome = (|| {
        let tier = parse_tier(&form.tier).map_err(|e| ("tier", e.message))?;
        if form.principal.trim().is_empty() {
            return Err((
                "principal",
                "Choose a user or group to subscribe.".to_string(),
            ));
        }
        let now = shared.clock.now();
        let mut kiro = shared.kiro.lock();
        let p = kiro.profile(&id).map_err(|e| ("profile", e.to_string()))?;
        let group = form.principal_type == "GROUP";
        if !group && form.principal_type != "USER" {
            return Err((
                "principal",
                format!(
                    "Principal type {} is not valid. Valid principal types: USER, GROUP.",
                    form.principal_type
                ),
            ));
        }
        let principal = resolve(p, group, &form.principal);
        let granted = if group {
            kiro.subscribe_group(now, &id, &principal, tier)
                .map(|seats| seats.len())
        } else {
            kiro.subscribe_user(now, &id, &principal, tier).map(|_| 1)
        };
        granted.map_err(|e| ("principal", e.to_string()))
    })();
    match outcome {
        Ok(n) => {
            shared.schedule_grants();
            see_other(&format!(
                "/console/ui/profiles/{id}/subscriptions?subscribed={n}"
            ))
        }
        Err(("profile", message)) => not_found(message),
        Err((field, message)) => {
            form.error = Some((field, message));
            render(&shared, &id, &ListQuery::default(), &form)
        }
    }
}

fn after(shared: &AppState, id: &str, result: Result<impl Sized, ConsoleError>) -> Response {
    match result {
        Ok(_) => {
            shared.schedule_grants();
            see_other(&format!("/console/ui/profiles/{id}/subscriptions#seats"))
        }
        Err(e) => not_found(e),
    }
}

/// `POST …/subscriptions/users/{user}/unsubscribe`: Canceled, still listed (KIRO-SUB-5).
pub(super) async fn unsubscribe_user(
    _: Session,
    State(shared): State<AppState>,
    Path((id, user)): Path<(String, String)>,
) -> Response {
    let now = shared.clock.now();
    let result = shared.kiro.lock().unsubscribe_user(now, &id, &user);
    after(&shared, &id, result)
}

/// `POST …/subscriptions/users/{user}/delete`: the seat is released (KIRO-SUB-7).
pub(super) async fn delete_seat(
    _: Session,
    State(shared): State<AppState>,
    Path((id, user)): Path<(String, String)>,
) -> Response {
    let result = shared.kiro.lock().delete_seat(&id, &user);
    after(&shared, &id, result)
}

/// `POST …/subscriptions/groups/{group}/unsubscribe`.
pub(super) async fn unsubscribe_group(
    _: Session,
    State(shared): State<AppState>,
    Path((id, group)): Path<(String, String)>,
) -> Response {
    let now = shared.clock.now();
    let result = shared.kiro.lock().unsubscribe_group(now, &id, &group);
    after(&shared, &id, result)
}
