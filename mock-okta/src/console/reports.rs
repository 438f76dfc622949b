//! Reports → System Log: the org's events, newest first, searchable (event type, message,
//! actor or target) and paginated.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use maud::{Markup, html};

use super::{Admin, PAGE_SIZE, layout, pager, query, when};
use crate::core::Event;
use crate::wire::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/admin/reports/system-log", get(system_log))
}

fn matches(e: &Event, q: &str) -> bool {
    let has = |s: &str| s.to_lowercase().contains(q);
    has(&e.event_type)
        || has(&e.display_message)
        || has(&e.actor.alternate_id)
        || e.targets.iter().any(|t| has(&t.display_name) || has(&t.id))
}

async fn system_log(
    State(s): State<AppState>,
    admin: Admin,
    Query(q): Query<HashMap<String, String>>,
) -> Markup {
    let search = q.get("q").map(String::as_str).unwrap_or_default().trim();
    let needle = search.to_lowercase();
    let offset: usize = q.get("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
    let org = s.org.lock();
    let events: Vec<&Event> = org
        .system_log()
        .events()
        .iter()
        .map(AsRef::as_ref)
        .rev()
        .filter(|e| needle.is_empty() || matches(e, &needle))
        .collect();
    let offset = offset.min(events.len());
    let page = &events[offset..(offset + PAGE_SIZE).min(events.len())];
    let body = html! {
        h1 { "System Log" }
        form method="get" action="/admin/reports/system-log" {
            label for="log-search" { "Search" }
            input #log-search type="text" name="q" value=(search);
            button type="submit" { "Search" }
        }
        (pager(events.len(), offset, |o| format!("/admin/reports/system-log{}", query(&[("q", search), ("offset", &o.to_string())]))))
        table #events {
            tr { th { "Time" } th { "Actor" } th { "Event Info" } th { "Targets" } }
            @for e in page {
                tr {
                    td { (when(e.published)) }
                    td { (e.actor.display_name) br; span.hint { (e.actor.alternate_id) } }
                    td {
                        (e.display_message) br;
                        code { (e.event_type) } " "
                        span { (e.outcome.result) }
                        @if let Some(r) = &e.outcome.reason { " " span.hint { (r) } }
                    }
                    td { @for t in &e.targets { (t.display_name) " (" (t.kind) ")" br; } }
                }
            }
        }
    };
    drop(org);
    layout(&admin, "System Log", body)
}
