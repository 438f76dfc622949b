//! The DNS provider's dashboard as server-rendered HTML pages (issue 13), in Cloudflare's
//! words since the API is Cloudflare-shaped: the zones, a zone's "DNS" → "Records", "Add
//! record" with Type / Name / Content / TTL, "Edit", "Delete". Each record shows when it
//! becomes visible to DNS (propagation on the world's clock: "Pending until …" then
//! "Published"). Plain forms, POST-redirect-GET, no JavaScript.
//!
//! Every change goes through [`Shared::change`] and the core's record functions, as the API's
//! do; a refusal re-renders the form with the API's error text (message and code) next to the
//! field and changes nothing. Signing in takes the API token (`dns_api_token` on the ready
//! line); the session is a cookie holding it.
//!
//! Routes: `GET /dashboard`, `POST /dashboard/sign-in|sign-out`, `GET /dashboard/zones/{zone}`,
//! `GET /dashboard/zones/{zone}/dns/records`, `GET|POST …/records/new`,
//! `GET|POST …/records/{record}/edit`, `POST …/records/{record}/delete`.

use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{DOCTYPE, Markup, html};

use crate::Shared;
use crate::core::{DnsError, InvalidRecord, Record, RecordFilter, RecordInput, RecordType};

type AppState = Arc<Shared>;

const PREFIX: &str = "/dashboard";
const COOKIE: &str = "dns_dashboard_session";

/// TTL choices as the dashboard offers them: (seconds, label); 1 is "Auto".
const TTLS: [(u32, &str); 12] = [
    (1, "Auto"),
    (60, "1 min"),
    (120, "2 min"),
    (300, "5 min"),
    (600, "10 min"),
    (900, "15 min"),
    (1800, "30 min"),
    (3600, "1 hr"),
    (7200, "2 hr"),
    (18000, "5 hr"),
    (43200, "12 hr"),
    (86400, "1 day"),
];

/// The dashboard's routes, with their state.
pub(crate) fn router(shared: AppState) -> Router {
    const R: &str = "/dashboard/zones/{zone_id}/dns/records";
    Router::new()
        .route(PREFIX, get(home))
        .route("/dashboard/sign-in", post(sign_in))
        .route("/dashboard/sign-out", post(sign_out))
        .route("/dashboard/zones/{zone_id}", get(zone_overview))
        .route(R, get(records))
        .route(&format!("{R}/new"), get(new_record).post(create_record))
        .route(
            &format!("{R}/{{record_id}}/edit"),
            get(edit_record).post(update_record),
        )
        .route(&format!("{R}/{{record_id}}/delete"), post(delete_record))
        .with_state(shared)
}

/// Proof of a signed-in browser; without one, back to the sign-in page.
struct Session;

impl FromRequestParts<AppState> for Session {
    type Rejection = Redirect;

    async fn from_request_parts(parts: &mut Parts, shared: &AppState) -> Result<Session, Redirect> {
        if signed_in(&parts.headers, shared) {
            Ok(Session)
        } else {
            Err(Redirect::to(PREFIX))
        }
    }
}

fn signed_in(headers: &HeaderMap, shared: &AppState) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .is_some_and(|(_, v)| {
            sim_core::ids::constant_time_eq(v.as_bytes(), shared.api_token.as_bytes())
        })
}

fn when(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

const CSS: &str = "body{font-family:sans-serif;margin:0;color:#1d1d1d}\
header{display:flex;gap:1.5em;align-items:center;background:#f38020;padding:.6em 1.2em}\
header a{color:#fff;text-decoration:none;font-weight:bold}header form{margin-left:auto}\
main{padding:1em 2em;max-width:75em}nav.zone{display:flex;gap:1em;margin-bottom:1em}\
label{display:block;margin-top:.6em;font-weight:bold}input[type=text],input[type=password],select{width:30em;padding:.3em}\
.error{color:#c00;margin:.2em 0}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.3em .8em;text-align:left}\
.pending{color:#8d6605}.published{color:#1d8102}form.row{display:inline}code{word-break:break-all}";

fn layout(title: &str, zone: Option<(&str, &str)>, now: SystemTime, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { (title) " | DNS dashboard" } style { (CSS) } }
            body {
                header {
                    a href=(PREFIX) { "DNS dashboard" }
                    span { "Time now: " (when(now)) }
                    form method="post" action="/dashboard/sign-out" { button type="submit" { "Log out" } }
                }
                main {
                    @if let Some((id, name)) = zone {
                        nav.zone {
                            strong { (name) }
                            a href=(format!("/dashboard/zones/{id}")) { "Overview" }
                            a href=(format!("/dashboard/zones/{id}/dns/records")) { "DNS" }
                        }
                    }
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

fn not_found(shared: &AppState, what: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        layout(
            "Not found",
            None,
            shared.clock.now(),
            html! { p.error { (what) } },
        ),
    )
        .into_response()
}

fn sign_in_page(error: Option<&str>) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { "Log in | DNS dashboard" } style { (CSS) } }
            body {
                header { a href=(PREFIX) { "DNS dashboard" } }
                main {
                    h1 { "Log in to the DNS dashboard" }
                    form method="post" action="/dashboard/sign-in" {
                        label for="api_token" { "API token" }
                        input #api_token type="password" name="api_token" autocomplete="off";
                        @if let Some(e) = error { p.error #api_token-error role="alert" { (e) } }
                        p { button type="submit" { "Log in" } }
                    }
                }
            }
        }
    }
}

/// `GET /dashboard`: sign in, or the account's zones.
async fn home(State(shared): State<AppState>, headers: HeaderMap) -> Response {
    if !signed_in(&headers, &shared) {
        return sign_in_page(None).into_response();
    }
    let zones: Vec<(String, String)> = shared
        .core
        .read()
        .zones()
        .map(|z| (z.id.clone(), z.name.clone()))
        .collect();
    layout(
        "Zones",
        None,
        shared.clock.now(),
        html! {
            @if zones.is_empty() { p { "No zones in this account." } }
            ul {
                @for (id, name) in &zones {
                    li { a href=(format!("/dashboard/zones/{id}")) { (name) } }
                }
            }
        },
    )
    .into_response()
}

/// `POST /dashboard/sign-in`.
async fn sign_in(
    State(shared): State<AppState>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let token = form
        .iter()
        .find(|(k, _)| k == "api_token")
        .map_or("", |(_, v)| v.trim());
    if !sim_core::ids::constant_time_eq(token.as_bytes(), shared.api_token.as_bytes()) {
        // The API's answer to a wrong token.
        return (
            StatusCode::FORBIDDEN,
            sign_in_page(Some("Authentication error (Code: 10000)")),
        )
            .into_response();
    }
    let mut response = Redirect::to(PREFIX).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{COOKIE}={token}; Path=/dashboard; HttpOnly; SameSite=Lax"
    )) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

/// `POST /dashboard/sign-out`.
async fn sign_out() -> Response {
    let mut response = Redirect::to(PREFIX).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "dns_dashboard_session=; Path=/dashboard; HttpOnly; SameSite=Lax; Max-Age=0",
        ),
    );
    response
}

/// `GET /dashboard/zones/{zone}`.
async fn zone_overview(
    _: Session,
    State(shared): State<AppState>,
    Path(zone_id): Path<String>,
) -> Response {
    let now = shared.clock.now();
    let core = shared.core.read();
    let Ok(zone) = core.zone(&zone_id) else {
        return not_found(&shared, "Zone not found.");
    };
    let count = core
        .records(&zone_id, &RecordFilter::default())
        .map_or(0, |r| r.len());
    layout(
        &zone.name,
        Some((&zone.id, &zone.name)),
        now,
        html! {
            table {
                tr { th { "Zone ID" } td { code { (zone.id) } } }
                tr { th { "Account ID" } td { code { (zone.account_id) } } }
                tr { th { "Records" } td { (count) } }
                tr { th { "Propagation delay" } td { (humantime::format_duration(core.propagation_delay())) } }
            }
        },
    )
    .into_response()
}

fn status(core: &crate::core::DnsCore, record_id: &str, now: SystemTime) -> Markup {
    match core.record_visible_at(record_id) {
        Some(at) if at > now => html! { span.pending { "Pending until " (when(at)) } },
        _ => html! { span.published { "Published" } },
    }
}

fn ttl_label(ttl: u32) -> String {
    TTLS.iter()
        .find(|(s, _)| *s == ttl)
        .map_or_else(|| format!("{ttl} s"), |(_, l)| (*l).to_string())
}

/// `GET /dashboard/zones/{zone}/dns/records`.
async fn records(
    _: Session,
    State(shared): State<AppState>,
    Path(zone_id): Path<String>,
) -> Response {
    let now = shared.clock.now();
    let core = shared.core.read();
    let Ok(zone) = core.zone(&zone_id) else {
        return not_found(&shared, "Zone not found.");
    };
    let records = core
        .records(&zone_id, &RecordFilter::default())
        .unwrap_or_default();
    let deletions: Vec<_> = core
        .pending_deletions(&zone.name)
        .into_iter()
        .filter(|(_, at)| *at > now)
        .collect();
    let base = format!("/dashboard/zones/{}/dns/records", zone.id);
    layout(
        "DNS management",
        Some((&zone.id, &zone.name)),
        now,
        html! {
            nav.zone { a href=(base) { "Records" } }
            p { "Changes become visible to DNS after the propagation delay ("
                (humantime::format_duration(core.propagation_delay())) ")." }
            p { a href=(format!("{base}/new")) { "Add record" } }
            @if records.is_empty() {
                p { "This zone has no DNS records." }
            } @else {
                table #records {
                    thead { tr { th { "Type" } th { "Name" } th { "Content" } th { "TTL" } th { "Status" } th { "Actions" } } }
                    tbody {
                        @for r in &records {
                            tr {
                                td { (r.record_type.as_str()) }
                                td { (r.name) }
                                td { code { (r.content) } }
                                td { (ttl_label(r.ttl)) }
                                td { (status(&core, &r.id, now)) }
                                td {
                                    a href=(format!("{base}/{}/edit", r.id)) { "Edit" }
                                    " "
                                    form.row method="post" action=(format!("{base}/{}/delete", r.id)) {
                                        button type="submit" { "Delete" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if !deletions.is_empty() {
                p.pending { (deletions.len()) " deleted record(s) still answer in DNS; the last deletion is visible at "
                    (deletions.iter().map(|(_, at)| *at).max().map(when).unwrap_or_default()) "." }
            }
        },
    )
    .into_response()
}

/// The record form's values, and where it failed.
#[derive(Default)]
struct RecordForm {
    record_type: String,
    name: String,
    content: String,
    ttl: String,
    comment: String,
    error: Option<(&'static str, String)>,
}

impl RecordForm {
    fn of(r: &Record) -> RecordForm {
        RecordForm {
            record_type: r.record_type.as_str().to_string(),
            name: r.name.clone(),
            content: r.content.clone(),
            ttl: r.ttl.to_string(),
            comment: r.comment.clone().unwrap_or_default(),
            error: None,
        }
    }

    fn from_fields(fields: &[(String, String)]) -> RecordForm {
        let get = |n: &str| {
            fields
                .iter()
                .find(|(k, _)| k == n)
                .map_or_else(String::new, |(_, v)| v.clone())
        };
        RecordForm {
            record_type: get("type"),
            name: get("name"),
            content: get("content"),
            ttl: get("ttl"),
            comment: get("comment"),
            error: None,
        }
    }

    /// The core's input; an unparsable TTL is the core's TTL refusal.
    fn input(&self) -> Result<RecordInput, DnsError> {
        let ttl = match self.ttl.trim() {
            "" => None,
            t => Some(
                t.parse::<u32>()
                    .map_err(|_| DnsError::InvalidRecord(InvalidRecord::Ttl(0)))?,
            ),
        };
        let comment = self.comment.trim();
        Ok(RecordInput {
            record_type: self.record_type.clone(),
            name: self.name.trim().to_string(),
            content: self.content.clone(),
            ttl,
            proxied: None,
            comment: (!comment.is_empty()).then(|| comment.to_string()),
            tags: Vec::new(),
        })
    }
}

/// Which field a refusal belongs next to.
fn field_of(e: &DnsError) -> &'static str {
    match e {
        DnsError::InvalidRecord(InvalidRecord::UnsupportedType(_))
        | DnsError::InvalidRecord(InvalidRecord::NotProxiable(_)) => "type",
        DnsError::InvalidRecord(InvalidRecord::Ttl(_)) => "ttl",
        DnsError::InvalidRecord(
            InvalidRecord::Ipv4
            | InvalidRecord::Ipv6
            | InvalidRecord::CnameTarget
            | InvalidRecord::Txt(_),
        )
        | DnsError::IdenticalRecord => "content",
        _ => "name",
    }
}

fn record_form(
    shared: &AppState,
    zone: (&str, &str),
    action: &str,
    title: &str,
    f: &RecordForm,
) -> Markup {
    let err = |field: &str| {
        html! {
            @if let Some((_, m)) = f.error.as_ref().filter(|(k, _)| *k == field) {
                p.error id=(format!("{field}-error")) role="alert" { (m) }
            }
        }
    };
    let ttl: u32 = f.ttl.parse().unwrap_or(1);
    let types = [
        RecordType::A,
        RecordType::Aaaa,
        RecordType::Cname,
        RecordType::Txt,
    ];
    let selected = if f.record_type.is_empty() {
        "TXT"
    } else {
        f.record_type.as_str()
    };
    layout(
        title,
        Some(zone),
        shared.clock.now(),
        html! {
            form method="post" action=(action) {
                label for="type" { "Type" }
                select #type name="type" {
                    @for t in types {
                        option value=(t.as_str()) selected[selected.eq_ignore_ascii_case(t.as_str())] { (t.as_str()) }
                    }
                }
                (err("type"))
                label for="name" { "Name" }
                input #name type="text" name="name" value=(f.name) placeholder="Use @ for the zone apex";
                (err("name"))
                label for="content" { "Content" }
                input #content type="text" name="content" value=(f.content);
                (err("content"))
                label for="ttl" { "TTL" }
                select #ttl name="ttl" {
                    @for (s, l) in TTLS {
                        option value=(s) selected[s == ttl] { (l) }
                    }
                }
                (err("ttl"))
                label for="comment" { "Comment" }
                input #comment type="text" name="comment" value=(f.comment);
                p { button type="submit" { "Save" } " " a href=(format!("/dashboard/zones/{}/dns/records", zone.0)) { "Cancel" } }
            }
        },
    )
}

/// `GET …/records/new`.
async fn new_record(
    _: Session,
    State(shared): State<AppState>,
    Path(zone_id): Path<String>,
) -> Response {
    let zone = match shared.core.read().zone(&zone_id) {
        Ok(z) => (z.id.clone(), z.name.clone()),
        Err(_) => return not_found(&shared, "Zone not found."),
    };
    let action = format!("/dashboard/zones/{}/dns/records/new", zone.0);
    record_form(
        &shared,
        (&zone.0, &zone.1),
        &action,
        "Add record",
        &RecordForm::default(),
    )
    .into_response()
}

/// `POST …/records/new`: the core's `create_record` through [`Shared::change`].
async fn create_record(
    _: Session,
    State(shared): State<AppState>,
    Path(zone_id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let zone = match shared.core.read().zone(&zone_id) {
        Ok(z) => (z.id.clone(), z.name.clone()),
        Err(_) => return not_found(&shared, "Zone not found."),
    };
    let mut f = RecordForm::from_fields(&fields);
    let result = f
        .input()
        .and_then(|input| shared.change(|core, now| core.create_record(now, &zone_id, input)));
    match result {
        Ok(_) => Redirect::to(&format!("/dashboard/zones/{zone_id}/dns/records")).into_response(),
        Err(e) => {
            f.error = Some((field_of(&e), crate::api::error_text(e, &zone_id)));
            let action = format!("/dashboard/zones/{zone_id}/dns/records/new");
            (
                StatusCode::BAD_REQUEST,
                record_form(&shared, (&zone.0, &zone.1), &action, "Add record", &f),
            )
                .into_response()
        }
    }
}

/// `GET …/records/{record}/edit`.
async fn edit_record(
    _: Session,
    State(shared): State<AppState>,
    Path((zone_id, record_id)): Path<(String, String)>,
) -> Response {
    let found = {
        let core = shared.core.read();
        core.zone(&zone_id).ok().and_then(|z| {
            core.record(&zone_id, &record_id)
                .ok()
                .map(|r| (z.id.clone(), z.name.clone(), RecordForm::of(r)))
        })
    };
    let Some((id, name, f)) = found else {
        return not_found(&shared, "Record does not exist.");
    };
    let action = format!("/dashboard/zones/{id}/dns/records/{record_id}/edit");
    record_form(&shared, (&id, &name), &action, "Edit record", &f).into_response()
}

/// `POST …/records/{record}/edit`: the core's `replace_record` through [`Shared::change`].
async fn update_record(
    _: Session,
    State(shared): State<AppState>,
    Path((zone_id, record_id)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let zone = match shared.core.read().zone(&zone_id) {
        Ok(z) => (z.id.clone(), z.name.clone()),
        Err(_) => return not_found(&shared, "Zone not found."),
    };
    let mut f = RecordForm::from_fields(&fields);
    let result = f.input().and_then(|input| {
        shared.change(|core, now| core.replace_record(now, &zone_id, &record_id, input))
    });
    match result {
        Ok(_) => Redirect::to(&format!("/dashboard/zones/{zone_id}/dns/records")).into_response(),
        Err(DnsError::RecordNotFound) => not_found(&shared, "Record does not exist."),
        Err(e) => {
            f.error = Some((field_of(&e), crate::api::error_text(e, &zone_id)));
            let action = format!("/dashboard/zones/{zone_id}/dns/records/{record_id}/edit");
            (
                StatusCode::BAD_REQUEST,
                record_form(&shared, (&zone.0, &zone.1), &action, "Edit record", &f),
            )
                .into_response()
        }
    }
}

/// `POST …/records/{record}/delete`.
async fn delete_record(
    _: Session,
    State(shared): State<AppState>,
    Path((zone_id, record_id)): Path<(String, String)>,
) -> Response {
    match shared.change(|core, now| core.delete_record(now, &zone_id, &record_id)) {
        Ok(_) => Redirect::to(&format!("/dashboard/zones/{zone_id}/dns/records")).into_response(),
        Err(_) => not_found(&shared, "Record does not exist."),
    }
}
