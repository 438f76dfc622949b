//! `GET /api/v1/logs`, the System Log (BEHAVIOURS.md OKTA-API-4), in Okta's `LogEvent` shape.
//!
//! Parameters as Okta has them:
//! - `since` (inclusive) and `until` (exclusive): RFC 3339 timestamps; anything else is
//!   E0000001.
//! - `filter`: an expression (`eventType eq "user.lifecycle.create" and outcome.result eq
//!   "SUCCESS"`, with `or` and parentheses) over `eventType`, `severity`, `displayMessage`,
//!   `published`, `uuid`, `outcome.result`, `outcome.reason`, `actor.*` and `target.*` (`id`,
//!   `type`, `alternateId`, `displayName`; an event matches when some one of its targets makes
//!   the whole expression true). A malformed expression is E0000031.
//! - `q`: whitespace-separated keywords, each of which must occur (case-insensitively) in the
//!   event's type, message, outcome, actor or targets.
//! - `sortOrder`: `ASCENDING` (default) or `DESCENDING`.
//! - `limit` (default 100, max 1000) and `after` (an event's `uuid`), with `Link` headers.

use std::time::SystemTime;

use axum::Router;
use axum::extract::State;
use axum::routing::get;

use super::paging::Listing;
use super::{ApiResult, RouteBoth, json};
use crate::core::Event;
use crate::core::filter::Expr;
use crate::wire::{Admin, ApiError, AppState};

pub(super) fn routes() -> Router<AppState> {
    Router::new().both("/api/v1/logs", get(list))
}

/// Parses `since`/`until`: RFC 3339 (`2026-01-01T00:00:00Z`, with or without fractions, `Z`
/// or a zero offset).
fn timestamp(field: &str, value: &str) -> Result<SystemTime, ApiError> {
    let v = value.trim();
    let v = v
        .strip_suffix("+00:00")
        .or_else(|| v.strip_suffix("-00:00"))
        .map_or_else(|| v.to_string(), |rest| format!("{rest}Z"));
    let looks_right = v.len() >= 19 && v.as_bytes().get(10) == Some(&b'T');
    match humantime::parse_rfc3339_weak(&v) {
        Ok(t) if looks_right => Ok(t),
        _ => Err(ApiError::validation(
            field,
            format!(
                "{field}: '{value}' is not a valid date; dates must be RFC 3339, e.g. 2026-01-01T00:00:00.000Z"
            ),
        )),
    }
}

/// The value of an event attribute, for `filter`, with `target.*` read from `target`.
fn attribute(e: &Event, target: usize, attr: &str) -> Option<String> {
    let t = e.targets.get(target);
    Some(match attr {
        "uuid" => e.uuid.clone(),
        "eventType" => e.event_type.clone(),
        "severity" => e.severity.to_string(),
        "displayMessage" => e.display_message.clone(),
        "published" => humantime::format_rfc3339_millis(e.published).to_string(),
        "outcome.result" => e.outcome.result.to_string(),
        "outcome.reason" => e.outcome.reason.clone()?,
        "actor.id" => e.actor.id.clone(),
        "actor.type" => e.actor.kind.clone(),
        "actor.alternateId" => e.actor.alternate_id.clone(),
        "actor.displayName" => e.actor.display_name.clone(),
        "target.id" => t?.id.clone(),
        "target.type" => t?.kind.clone(),
        "target.alternateId" | "target.displayName" => t?.display_name.clone(),
        _ => return None,
    })
}

fn matches_filter(e: &Event, expr: &Expr) -> bool {
    (0..e.targets.len().max(1)).any(|i| expr.matches(&|attr| attribute(e, i, attr)))
}

fn matches_keywords(e: &Event, keywords: &[String]) -> bool {
    let mut text = format!(
        "{} {} {} {} {} {} {}",
        e.event_type,
        e.display_message,
        e.outcome.result,
        e.outcome.reason.as_deref().unwrap_or(""),
        e.actor.id,
        e.actor.alternate_id,
        e.actor.display_name
    );
    for t in &e.targets {
        text.push(' ');
        text.push_str(&t.id);
        text.push(' ');
        text.push_str(&t.kind);
        text.push(' ');
        text.push_str(&t.display_name);
    }
    let text = text.to_lowercase();
    keywords.iter().all(|k| text.contains(k.as_str()))
}

async fn list(_: Admin, State(s): State<AppState>, listing: Listing) -> ApiResult {
    let p = &listing.params;
    let page = listing.page(100, 1000)?;
    let since = p.get("since").map(|v| timestamp("since", v)).transpose()?;
    let until = p.get("until").map(|v| timestamp("until", v)).transpose()?;
    if let (Some(since), Some(until)) = (since, until)
        && since > until
    {
        return Err(ApiError::validation(
            "until",
            "until: The until date must be after the since date",
        ));
    }
    let descending = match p.get("sortOrder") {
        None | Some("ASCENDING") => false,
        Some("DESCENDING") => true,
        Some(other) => {
            return Err(ApiError::validation(
                "sortOrder",
                format!("sortOrder: '{other}' is not ASCENDING or DESCENDING"),
            ));
        }
    };
    let filter = p.get("filter").map(Expr::parse).transpose()?;
    let keywords: Vec<String> = p
        .get("q")
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_lowercase)
        .collect();
    let org = s.org.lock();
    let mut events: Vec<&Event> = org
        .system_log()
        .events()
        .iter()
        .map(AsRef::as_ref)
        .filter(|e| since.is_none_or(|t| e.published >= t))
        .filter(|e| until.is_none_or(|t| e.published < t))
        .filter(|e| filter.as_ref().is_none_or(|f| matches_filter(e, f)))
        .filter(|e| matches_keywords(e, &keywords))
        .collect();
    if descending {
        events.reverse();
    }
    Ok(listing.respond(&page, events, |e| e.uuid.clone(), |e| json::event(e)))
}
