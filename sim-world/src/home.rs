//! The sandbox's home page (SIM-HOME-*), served by the front servers at `/_sim/home` (the
//! ready line's `home_url` is the Kiro port's): links into the three consoles with the
//! credentials a trainee needs, the virtual clock with its pending jobs and buttons to
//! advance it, the fault rules of the three services (SIM-FAULT-12: listed with Remove buttons,
//! a form to add one), the timeline ([`crate::timeline`]) across Okta and Kiro, filterable, the
//! world exported as a scenario file that recreates it (`/_sim/export`, [`crate::export`],
//! SIM-STATE-4), and the **developer page** (`/_sim/dev`) acting as the Kiro IDE for one email.
//!
//! Everything here is a client of the world over its real protocols: the clock through
//! `/_sim/clock`, the timeline through Okta's System Log and Kiro's event feed, the developer
//! page through [`crate::ide::Ide`] (sign-in on Okta's own login page in the browser: PKCE,
//! the loopback redirect on a registered port, which hands the browser back to
//! `/_sim/dev/callback`). Plain HTML forms (maud), POST-redirect-GET, no JavaScript.
//!
//! Developer sessions are held here (cookie `kiro_sim_dev` → an IDE and its token cache);
//! they outlive a reset of the world (a refresh then fails, as it would).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::extract::{Form, Query, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sim_core::Seed;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::ide::{BrowserSignIn, Ide, IdeError, LOOPBACK_PORTS};
use crate::timeline;

/// The developer session cookie.
const COOKIE: &str = "kiro_sim_dev";
/// How many timeline entries the home page shows.
const PAGE_ENTRIES: usize = 200;
/// How long a loopback listener waits for the IdP's redirect (wall time).
const LOOPBACK_WAIT: Duration = Duration::from_secs(600);
/// At most this many developer sessions are kept (the oldest are dropped).
const MAX_SESSIONS: usize = 64;

const STYLE: &str = "body{font-family:sans-serif;margin:24px;max-width:1200px}\
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;\
vertical-align:top}.FAILURE{color:#b00}.msg{background:#eef;padding:6px}\
section{margin-bottom:24px}form.inline{display:inline}code{background:#f4f4f4}";

/// The ready fields of the current world, or `None` while it is not ready.
pub(crate) type Fields = Arc<dyn Fn() -> Option<Map<String, Value>> + Send + Sync>;

/// The home page's state, shared by the front servers.
pub(crate) struct Home {
    fields: Fields,
    http: reqwest::Client,
    trust: sim_core::outbound::Trust,
    seed: Seed,
    sessions: parking_lot::Mutex<Sessions>,
}

#[derive(Default)]
struct Sessions {
    next: u64,
    by_id: HashMap<String, (u64, Arc<tokio::sync::Mutex<DevSession>>)>,
}

/// One developer page session: the IDE for one email.
struct DevSession {
    email: String,
    ide: Option<Ide>,
    pending: Option<BrowserSignIn>,
    /// The last action's outcome, shown once.
    message: Option<String>,
    /// The last completion or chat answer.
    answer: Option<String>,
}

impl Home {
    pub(crate) fn new(
        fields: Fields,
        trust: sim_core::outbound::Trust,
        seed: Seed,
    ) -> Result<Arc<Home>, sim_core::outbound::OutboundError> {
        Ok(Arc::new(Home {
            fields,
            http: sim_core::outbound::client(&trust)?,
            trust,
            seed,
            sessions: parking_lot::Mutex::new(Sessions::default()),
        }))
    }

    fn fields(&self) -> Option<Map<String, Value>> {
        (self.fields)()
    }

    fn session(&self, headers: &HeaderMap) -> Option<Arc<tokio::sync::Mutex<DevSession>>> {
        let id = cookie(headers)?;
        self.sessions.lock().by_id.get(&id).map(|(_, s)| s.clone())
    }

    fn new_session(&self, email: &str) -> (String, Arc<tokio::sync::Mutex<DevSession>>) {
        let mut sessions = self.sessions.lock();
        sessions.next += 1;
        let n = sessions.next;
        let id = sim_core::ids::secret(
            &mut self.seed.stream(&format!("sandbox/dev-session/{n}")),
            32,
        );
        let session = Arc::new(tokio::sync::Mutex::new(DevSession {
            email: email.to_string(),
            ide: None,
            pending: None,
            message: None,
            answer: None,
        }));
        if sessions.by_id.len() >= MAX_SESSIONS
            && let Some(oldest) = sessions
                .by_id
                .iter()
                .min_by_key(|(_, (n, _))| *n)
                .map(|(id, _)| id.clone())
        {
            sessions.by_id.remove(&oldest);
        }
        sessions.by_id.insert(id.clone(), (n, session.clone()));
        (id, session)
    }
}

fn not_ready() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, "1")],
        "the world is not ready (starting or resetting)",
    )
        .into_response()
}

/// The home page's routes, for every front server.
pub(crate) fn router(home: Arc<Home>) -> Router {
    Router::new()
        .route("/_sim/home", get(page))
        .route("/_sim/home/advance", post(advance))
        .route("/_sim/home/checkpoints", post(save_checkpoint))
        .route("/_sim/home/checkpoints/restore", post(restore_checkpoint))
        .route("/_sim/home/reset", post(reset))
        .route("/_sim/home/faults", post(add_fault))
        .route("/_sim/home/faults/remove", post(remove_fault))
        .route("/_sim/home/doctor", get(doctor_page))
        .route("/_sim/export", get(export_scenario))
        .route("/_sim/timeline", get(timeline_json))
        .route("/_sim/dev", get(dev_page))
        .route("/_sim/dev/sign-in", post(dev_sign_in))
        .route("/_sim/dev/callback", get(dev_callback))
        .route("/_sim/dev/refresh", post(dev_refresh))
        .route("/_sim/dev/sign-out", post(dev_sign_out))
        .route("/_sim/dev/complete", post(dev_complete))
        .route("/_sim/dev/chat", post(dev_chat))
        .with_state(home)
}

fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == COOKIE).then(|| v.to_string())
        })
}

fn text<'a>(fields: &'a Map<String, Value>, name: &str) -> &'a str {
    fields.get(name).and_then(Value::as_str).unwrap_or("")
}

/// A duration as people say it: `23 h 10 m`, `10 m`, `45 s`, `now`.
pub fn in_words(d: Duration) -> String {
    let secs = d.as_secs();
    if secs == 0 {
        return "now".into();
    }
    let (days, hours, mins) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(format!("{days} d"));
    }
    if hours > 0 {
        parts.push(format!("{hours} h"));
    }
    if mins > 0 && days == 0 {
        parts.push(format!("{mins} m"));
    }
    if parts.is_empty() {
        parts.push(format!("{secs} s"));
    }
    parts.join(" ")
}

fn page_of(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (title) }
                style { (STYLE) }
            }
            body { (body) }
        }
    }
}

// ---- the home page -------------------------------------------------------------------------

/// The home page's query: a message to show once, and the timeline's filter.
#[derive(Debug, Default, Deserialize)]
struct HomeQuery {
    msg: Option<String>,
    user: Option<String>,
    system: Option<String>,
}

async fn clock_of(home: &Home, fields: &Map<String, Value>) -> Result<Value, String> {
    let kiro = text(fields, "kiro");
    let response = home
        .http
        .get(format!("{kiro}/_sim/clock"))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    response.json().await.map_err(|e| e.to_string())
}

async fn page(State(home): State<Arc<Home>>, Query(q): Query<HomeQuery>) -> Response {
    let Some(fields) = home.fields() else {
        return not_ready();
    };
    let clock = clock_of(&home, &fields).await;
    let checkpoints = checkpoints_of(&home, &fields).await;
    let query = timeline::Query {
        user: q.user.clone(),
        system: q.system.clone(),
        limit: Some(PAGE_ENTRIES),
    };
    let faults = faults_of(&home, &fields).await;
    let entries = timeline::gather(&home.http, &fields)
        .await
        .map(|all| timeline::filter(all, &query));
    page_of(
        "kiro-sim sandbox",
        html! {
            h1 { "kiro-sim sandbox" }
            @if let Some(msg) = &q.msg { p.msg { (msg) } }
            (consoles(&fields))
            (clock_section(clock))
            (checkpoints_section(checkpoints))
            (export_section())
            (faults_section(&faults))
            (doctor_section())
            (timeline_section(&q, entries))
        },
    )
    .into_response()
}

fn consoles(fields: &Map<String, Value>) -> Markup {
    let users: Vec<(String, String)> = fields
        .get("users")
        .and_then(Value::as_array)
        .map(|users| {
            users
                .iter()
                .map(|u| {
                    (
                        u["login"].as_str().unwrap_or_default().to_string(),
                        u["password"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let okta = text(fields, "okta");
    let kiro = text(fields, "kiro");
    let dns_api = text(fields, "dns_api");
    html! {
        section #consoles {
            h2 { "Consoles" }
            table {
                tr { th { "Console" } th { "Credentials" } }
                tr {
                    td { a href=(format!("{okta}/admin")) { "Okta Admin Console" } }
                    td { "API token " code { (text(fields, "okta_api_token")) } }
                }
                tr {
                    td { a href=(format!("{kiro}/console")) { "Kiro console" } }
                    td { "admin token " code { (text(fields, "kiro_admin_token")) } }
                }
                tr {
                    td { a href=(format!("{dns_api}/dashboard")) { "DNS dashboard" } }
                    td { "API token " code { (text(fields, "dns_api_token")) } " · DNS server " code { (text(fields, "dns")) } }
                }
                tr {
                    td { a href="/_sim/dev" { "Developer page (Kiro IDE)" } }
                    td {
                        @if users.is_empty() { "users of your own setup" }
                        @for (login, password) in &users {
                            code { (login) } " / " code { (password) } br;
                        }
                    }
                }
            }
            @if let Some(issuer) = fields.get("okta_issuer").and_then(Value::as_str) {
                p { "Issuer " code { (issuer) } " · SCIM URL " code { (text(fields, "kiro_scim_url")) } }
            }
        }
    }
}

fn clock_section(clock: Result<Value, String>) -> Markup {
    let clock = match clock {
        Ok(clock) => clock,
        Err(e) => {
            return html! { section #clock { h2 { "Clock" } p.FAILURE { "cannot read the clock: " (e) } } };
        }
    };
    let now_ms = clock["unix_ms"].as_u64().unwrap_or(0);
    let now = SystemTime::UNIX_EPOCH + Duration::from_millis(now_ms);
    let pending: Vec<(String, String, String)> = clock["pending"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|job| {
            let due = job["due"].as_str().unwrap_or_default().to_string();
            let when = humantime::parse_rfc3339_weak(&due)
                .ok()
                .map(|t| in_words(t.duration_since(now).unwrap_or_default()))
                .unwrap_or_default();
            (
                job["label"].as_str().unwrap_or_default().to_string(),
                when,
                due,
            )
        })
        .collect();
    html! {
        section #clock {
            h2 { "Clock" }
            p { "Now: " strong #now { (clock["now"].as_str().unwrap_or("?")) } " (" (clock["mode"].as_str().unwrap_or("?")) " clock)" }
            h3 { "Pending jobs" }
            @if pending.is_empty() { p { "Nothing is scheduled." } }
            @else {
                table #pending {
                    tr { th { "What" } th { "In" } th { "Due" } }
                    @for (label, when, due) in &pending {
                        tr { td { (label) } td { "in " (when) } td { (due) } }
                    }
                }
            }
            p {
                @for (by, label) in [("5m", "Advance 5 min"), ("1h", "Advance 1 h"), ("24h", "Advance 24 h")] {
                    form.inline method="post" action="/_sim/home/advance" {
                        input type="hidden" name="by" value=(by);
                        button type="submit" { (label) }
                    }
                    " "
                }
            }
            form method="post" action="/_sim/home/advance" {
                label for="to" { "Advance to (UTC, e.g. 2026-01-02T09:00:00Z)" }
                " "
                input #to type="text" name="to";
                " "
                button type="submit" { "Advance to time" }
            }
        }
    }
}

// ---- fault rules ----------------------------------------------------------------------------

/// The services with fault rules, by the name the form uses, and their ready-line URL field.
const FAULT_SERVICES: [(&str, &str); 3] = [("okta", "okta"), ("kiro", "kiro"), ("dns", "dns_api")];

fn service_url<'a>(fields: &'a Map<String, Value>, service: &str) -> Option<&'a str> {
    FAULT_SERVICES
        .iter()
        .find(|(name, _)| *name == service)
        .map(|(_, field)| text(fields, field))
}

/// Each service's rules, read from its `/_sim/faults`.
async fn faults_of(
    home: &Home,
    fields: &Map<String, Value>,
) -> Vec<(&'static str, Result<sim_core::faults::FaultList, String>)> {
    let mut out = Vec::new();
    for (service, field) in FAULT_SERVICES {
        let url = format!("{}/_sim/faults", text(fields, field));
        let list = match home.http.get(url).send().await {
            Ok(r) => r.json().await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        out.push((service, list));
    }
    out
}

fn faults_section(
    faults: &[(&'static str, Result<sim_core::faults::FaultList, String>)],
) -> Markup {
    let rows: Vec<(&str, &sim_core::faults::FaultView)> = faults
        .iter()
        .filter_map(|(service, list)| list.as_ref().ok().map(|l| (*service, l)))
        .flat_map(|(service, list)| list.rules.iter().map(move |r| (service, r)))
        .collect();
    html! {
        section #faults {
            h2 { "Faults" }
            @for (service, list) in faults {
                @if let Err(e) = list { p.FAILURE { "cannot read " (service) "'s faults: " (e) } }
            }
            @if rows.is_empty() { p { "No fault rules: every service answers normally." } }
            @else {
                table #fault-rules {
                    tr { th { "Service" } th { "Id" } th { "Method" } th { "Path" } th { "Action" } th { "Remaining" } th { "Hits" } th {} }
                    @for (service, rule) in &rows {
                        tr {
                            td { (service) }
                            td { (rule.id) }
                            td { (rule.rule.method.as_deref().unwrap_or("*")) }
                            td { code { (rule.rule.path) } }
                            td { (action_words(&rule.rule)) }
                            td { (rule.remaining.map_or("until removed".to_string(), |n| n.to_string())) }
                            td { (rule.hits) }
                            td {
                                form.inline method="post" action="/_sim/home/faults/remove" {
                                    input type="hidden" name="service" value=(service);
                                    input type="hidden" name="id" value=(rule.id);
                                    button type="submit" { "Remove" }
                                }
                            }
                        }
                    }
                }
            }
            h3 { "Add a fault" }
            form #add-fault method="post" action="/_sim/home/faults" {
                label for="fault-service" { "Service" } " "
                select #fault-service name="service" {
                    @for (service, _) in FAULT_SERVICES { option value=(service) { (service) } }
                }
                " " label for="fault-method" { "Method" } " "
                input #fault-method type="text" name="method" value="*" size="7";
                " " label for="fault-path" { "Path" } " "
                input #fault-path type="text" name="path" placeholder="/*/scim/v2/Users" size="28";
                " " label for="fault-action" { "Action" } " "
                select #fault-action name="action" {
                    option value="respond" { "respond with a status" }
                    option value="latency" { "latency" }
                    option value="drop" { "drop the connection" }
                    option value="hang" { "hang" }
                }
                " " label for="fault-status" { "Status" } " "
                input #fault-status type="text" name="status" value="503" size="4";
                " " label for="fault-retry-after" { "Retry-After" } " "
                input #fault-retry-after type="text" name="retry_after" size="5";
                " " label for="fault-latency" { "Latency" } " "
                input #fault-latency type="text" name="latency" placeholder="2s" size="6";
                " " label for="fault-times" { "Times" } " "
                input #fault-times type="text" name="times" placeholder="every" size="4";
                " " button type="submit" { "Add fault" }
            }
        }
    }
}

fn action_words(rule: &sim_core::faults::FaultRule) -> String {
    use sim_core::faults::FaultAction;
    let mut words = match &rule.action {
        FaultAction::Respond(r) => {
            let mut w = format!("respond {}", r.status);
            for (name, value) in &r.headers {
                w.push_str(&format!(" ({name}: {value})"));
            }
            w
        }
        FaultAction::Latency(d) => format!("latency {}", humantime::format_duration(*d)),
        FaultAction::Drop => "drop the connection".to_string(),
        FaultAction::Hang => "hang".to_string(),
    };
    if let Some(p) = rule.probability {
        words.push_str(&format!(", probability {p}"));
    }
    words
}

#[derive(Debug, Deserialize)]
struct FaultForm {
    service: String,
    method: Option<String>,
    path: String,
    action: String,
    status: Option<String>,
    retry_after: Option<String>,
    latency: Option<String>,
    times: Option<String>,
}

/// The rule a form describes, or what is wrong with it.
fn rule_of(form: &FaultForm) -> Result<sim_core::faults::FaultRule, String> {
    use sim_core::faults::{FaultAction, FaultRule, Respond};
    let filled = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let action = match form.action.as_str() {
        "respond" => {
            let status = filled(&form.status).unwrap_or_else(|| "503".into());
            let status: u16 = status
                .parse()
                .map_err(|_| format!("status `{status}` is not a number"))?;
            let mut respond = Respond::status(status);
            if let Some(retry_after) = filled(&form.retry_after) {
                respond = respond.header("Retry-After", &retry_after);
            }
            FaultAction::Respond(respond)
        }
        "latency" => {
            let latency = filled(&form.latency).ok_or("say how much latency, e.g. 2s")?;
            FaultAction::Latency(sim_core::clock::parse_duration(&latency)?)
        }
        "drop" => FaultAction::Drop,
        "hang" => FaultAction::Hang,
        other => return Err(format!("unknown action `{other}`")),
    };
    let method = filled(&form.method).unwrap_or_else(|| "*".into());
    let mut rule = FaultRule::new(&method, form.path.trim(), action);
    if let Some(times) = filled(&form.times) {
        rule = rule.times(
            times
                .parse()
                .map_err(|_| format!("times `{times}` is not a number"))?,
        );
    }
    Ok(rule)
}

async fn add_fault(State(home): State<Arc<Home>>, Form(form): Form<FaultForm>) -> Response {
    let Some(fields) = home.fields() else {
        return not_ready();
    };
    let Some(url) = service_url(&fields, &form.service) else {
        return back_home(&format!("unknown service `{}`", form.service));
    };
    let rule = match rule_of(&form) {
        Ok(rule) => rule,
        Err(e) => return back_home(&format!("Fault not added: {e}")),
    };
    let answer = home
        .http
        .post(format!("{url}/_sim/faults"))
        .json(&rule)
        .send()
        .await;
    match answer {
        Ok(r) => {
            let ok = r.status().is_success();
            let body: Value = r.json().await.unwrap_or_default();
            if ok {
                back_home(&format!(
                    "Fault {} added to {}: {}",
                    body["id"].as_str().unwrap_or("?"),
                    form.service,
                    rule.describe()
                ))
            } else {
                back_home(&format!(
                    "Fault not added: {}",
                    body["message"].as_str().unwrap_or("refused")
                ))
            }
        }
        Err(e) => back_home(&format!("cannot reach {}: {e}", form.service)),
    }
}

#[derive(Debug, Deserialize)]
struct RemoveFaultForm {
    service: String,
    id: String,
}

async fn remove_fault(
    State(home): State<Arc<Home>>,
    Form(form): Form<RemoveFaultForm>,
) -> Response {
    let Some(fields) = home.fields() else {
        return not_ready();
    };
    let Some(url) = service_url(&fields, &form.service) else {
        return back_home(&format!("unknown service `{}`", form.service));
    };
    let mut target = match reqwest::Url::parse(&format!("{url}/_sim/faults/")) {
        Ok(target) => target,
        Err(e) => return back_home(&format!("bad service URL: {e}")),
    };
    if let Ok(mut segments) = target.path_segments_mut() {
        segments.pop_if_empty().push(&form.id);
    }
    match home.http.delete(target).send().await {
        Ok(r) if r.status().is_success() => {
            back_home(&format!("Fault {} removed from {}", form.id, form.service))
        }
        Ok(r) => back_home(&format!("Fault {} not removed: {}", form.id, r.status())),
        Err(e) => back_home(&format!("cannot reach {}: {e}", form.service)),
    }
}

/// The world's named checkpoints (`GET /_sim/snapshots`).
async fn checkpoints_of(home: &Home, fields: &Map<String, Value>) -> Result<Vec<Value>, String> {
    let kiro = text(fields, "kiro");
    let response = home
        .http
        .get(format!("{kiro}/_sim/snapshots"))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let body: Value = response.json().await.map_err(|e| e.to_string())?;
    Ok(body["snapshots"].as_array().cloned().unwrap_or_default())
}

/// Checkpoints: save the world under a name, restore one ("reset the class to after step
/// 3"), or reset to right after setup; the same as `/_sim/snapshots` and `kiro-sim snapshot`.
fn checkpoints_section(checkpoints: Result<Vec<Value>, String>) -> Markup {
    html! {
        section #checkpoints {
            h2 { "Checkpoints" }
            @match checkpoints {
                Err(e) => { p.FAILURE { "cannot read the checkpoints: " (e) } }
                Ok(list) if list.is_empty() => { p { "No checkpoint saved yet." } }
                Ok(list) => {
                    table #checkpoint-list {
                        tr { th { "Name" } th { "World time" } th { "Size" } th {} }
                        @for c in &list {
                            @let name = c["name"].as_str().unwrap_or_default();
                            tr {
                                td { (name) }
                                td { (c["world_time"].as_str().unwrap_or_default()) }
                                td { (c["bytes"].as_u64().unwrap_or_default() / 1024) " KiB" }
                                td {
                                    form.inline method="post" action="/_sim/home/checkpoints/restore" {
                                        input type="hidden" name="name" value=(name);
                                        button type="submit" { "Restore " (name) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            form method="post" action="/_sim/home/checkpoints" {
                label for="checkpoint-name" { "Checkpoint name (e.g. after-step-3)" }
                " "
                input #checkpoint-name type="text" name="name";
                " "
                button type="submit" { "Save checkpoint" }
            }
            form method="post" action="/_sim/home/reset" {
                button type="submit" { "Reset to after setup" }
            }
        }
    }
}

/// The checkpoint forms: a name.
#[derive(Debug, Deserialize)]
struct CheckpointForm {
    name: String,
}

/// Sends `POST {kiro}{path}` with `body` and goes back home saying what happened.
async fn world_post(home: &Home, path: &str, body: Option<Value>, done: String) -> Response {
    let Some(fields) = home.fields() else {
        return not_ready();
    };
    let kiro = text(&fields, "kiro");
    let mut request = home.http.post(format!("{kiro}{path}"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    match request.send().await {
        Ok(r) if r.status().is_success() => back_home(&done),
        Ok(r) => {
            let body: Value = r.json().await.unwrap_or_default();
            let message = body["message"].as_str().unwrap_or("refused").to_string();
            back_home(&message)
        }
        Err(e) => back_home(&format!("cannot reach the world: {e}")),
    }
}

async fn save_checkpoint(
    State(home): State<Arc<Home>>,
    Form(form): Form<CheckpointForm>,
) -> Response {
    let name = form.name.trim().to_string();
    let done = format!("Saved checkpoint {name}");
    world_post(
        &home,
        "/_sim/snapshots",
        Some(json!({ "name": name })),
        done,
    )
    .await
}

async fn restore_checkpoint(
    State(home): State<Arc<Home>>,
    Form(form): Form<CheckpointForm>,
) -> Response {
    let name = form.name.trim().to_string();
    // A name that is not one never reaches a path: the world answers 400 invalid_name.
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return back_home(&format!("`{name}` is not a checkpoint name"));
    }
    let done = format!("Restored checkpoint {name}");
    world_post(
        &home,
        &format!("/_sim/snapshots/{name}/restore"),
        None,
        done,
    )
    .await
}

async fn reset(State(home): State<Arc<Home>>) -> Response {
    world_post(
        &home,
        "/_sim/reset",
        None,
        "Reset to right after setup".into(),
    )
    .await
}

/// The way to the doctor: its report reads all three systems (about a second with 10,000
/// users), so it is a page of its own rather than part of every home page load.
fn doctor_section() -> Markup {
    html! {
        section #doctor {
            h2 { "Doctor" }
            p {
                "What is misconfigured across Okta, Kiro and DNS, step by step against Kiro's "
                "\"Connect your Okta IdP\" guide, each finding with its fix: "
                a href="/_sim/home/doctor" { "Run the doctor" }
                " (the same report as " code { "kiro-sim doctor --ready FILE" } ")."
            }
        }
    }
}

// ---- export as a scenario -------------------------------------------------------------------

fn export_section() -> Markup {
    html! {
        section #export {
            h2 { "Export" }
            p {
                a #export-link href="/_sim/export" { "Export as scenario" }
                " — this world as a scenario file (YAML) that recreates it on a fresh world "
                "(" code { "kiro-sim up --setup-file FILE" } ")."
            }
        }
    }
}

/// `GET /_sim/export`: the world as a scenario file that recreates it (SIM-STATE-4), read
/// through the services' APIs with the ready line's tokens ([`crate::export`]).
async fn export_scenario(State(home): State<Arc<Home>>) -> Response {
    let Some(fields) = home.fields() else {
        return not_ready();
    };
    let exported = match crate::export::Target::from_ready(&fields) {
        Ok(target) => crate::export::export_scenario(&home.http, &target).await,
        Err(e) => Err(e),
    };
    match exported {
        Ok(yaml) => (
            [
                (header::CONTENT_TYPE, "application/yaml; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "inline; filename=\"kiro-sim-world.yaml\"",
                ),
            ],
            yaml,
        )
            .into_response(),
        Err(e) => (
            StatusCode::BAD_GATEWAY,
            axum::Json(json!({ "error": "export_failed", "message": e.to_string() })),
        )
            .into_response(),
    }
}

/// `GET /_sim/home/doctor`: the doctor's report of this world, read through the same public
/// APIs `kiro-sim doctor` uses (`sim_doctor::diagnose_world` with the ready fields).
async fn doctor_page(State(home): State<Arc<Home>>) -> Response {
    let Some(fields) = home.fields() else {
        return not_ready();
    };
    let body = match sim_doctor::diagnose_world(&fields).await {
        Ok(report) => {
            let verdict = if report.findings.is_empty() {
                "✓ No finding: the three systems are set up as the guide says.".to_owned()
            } else {
                format!("✗ {} finding(s).", report.findings.len())
            };
            html! {
                h1 { "Doctor" }
                p { a href="/_sim/home" { "← Home" } }
                p.verdict { (verdict) }
                (PreEscaped(report.to_html()))
            }
        }
        Err(e) => html! {
            h1 { "Doctor" }
            p { a href="/_sim/home" { "← Home" } }
            p.error { "The doctor could not read the world: " (e.to_string()) }
        },
    };
    page_of("Doctor: kiro-sim sandbox", body).into_response()
}

fn timeline_section(
    q: &HomeQuery,
    entries: Result<Vec<timeline::Entry>, timeline::TimelineError>,
) -> Markup {
    let system = q.system.clone().unwrap_or_default();
    html! {
        section #timeline {
            h2 { "Timeline" }
            form method="get" action="/_sim/home" {
                label for="user" { "User" } " "
                input #user type="text" name="user" value=(q.user.clone().unwrap_or_default());
                " "
                label for="system" { "System" } " "
                select #system name="system" {
                    option value="" selected[system.is_empty()] { "all" }
                    @for s in timeline::SYSTEMS {
                        option value=(s) selected[system == s] { (s) }
                    }
                }
                " "
                button type="submit" { "Filter" }
            }
            @match entries {
                Err(e) => p.FAILURE { "cannot gather the timeline: " (e) },
                Ok(entries) => {
                    table #entries {
                        tr { th { "When" } th { "System" } th { "User" } th { "What" } th { "Outcome" } }
                        @for e in &entries {
                            tr class=(e.outcome) {
                                td { (e.at) }
                                td { (e.system) }
                                td { (e.user.clone().unwrap_or_default()) }
                                td { (e.summary) }
                                td {
                                    (e.outcome)
                                    @if let Some(reason) = &e.reason { ": " (reason) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The advance form: `by` (a duration) or `to` (an RFC 3339 time).
#[derive(Debug, Deserialize)]
struct AdvanceForm {
    by: Option<String>,
    to: Option<String>,
}

fn back_home(msg: &str) -> Response {
    let query = serde_urlencoded_pair("msg", msg);
    Redirect::to(&format!("/_sim/home?{query}")).into_response()
}

fn serde_urlencoded_pair(k: &str, v: &str) -> String {
    let mut url = reqwest::Url::parse("http://x/").unwrap_or_else(|_| unreachable!("a URL"));
    url.query_pairs_mut().append_pair(k, v);
    url.query().unwrap_or_default().to_string()
}

async fn advance(State(home): State<Arc<Home>>, Form(form): Form<AdvanceForm>) -> Response {
    let Some(fields) = home.fields() else {
        return not_ready();
    };
    let by = match (&form.by, form.to.as_deref().map(str::trim)) {
        (Some(by), _) => match sim_core::clock::parse_duration(by) {
            Ok(by) => by,
            Err(e) => return back_home(&e),
        },
        (None, Some(to)) if !to.is_empty() => {
            let target = match humantime::parse_rfc3339_weak(to) {
                Ok(t) => t,
                Err(e) => {
                    return back_home(&format!(
                        "`{to}` is not a time like 2026-01-02T09:00:00Z: {e}"
                    ));
                }
            };
            let now = match clock_of(&home, &fields).await {
                Ok(clock) => {
                    SystemTime::UNIX_EPOCH
                        + Duration::from_millis(clock["unix_ms"].as_u64().unwrap_or(0))
                }
                Err(e) => return back_home(&format!("cannot read the clock: {e}")),
            };
            match target.duration_since(now) {
                Ok(by) => by,
                Err(_) => {
                    return back_home(&format!(
                        "{to} is in the past: the clock only moves forward"
                    ));
                }
            }
        }
        _ => return back_home("say how far to advance"),
    };
    let kiro = text(&fields, "kiro");
    let answer = home
        .http
        .post(format!("{kiro}/_sim/clock/advance"))
        .json(&json!({ "by": format!("{}s", by.as_secs()) }))
        .send()
        .await;
    match answer {
        Ok(r) if r.status().is_success() => {
            let body: Value = r.json().await.unwrap_or_default();
            back_home(&format!(
                "Advanced by {}; now {}",
                in_words(Duration::from_secs(by.as_secs())),
                body["now"].as_str().unwrap_or("?")
            ))
        }
        Ok(r) => {
            let body = r.text().await.unwrap_or_default();
            back_home(&format!("the clock refused: {body}"))
        }
        Err(e) => back_home(&format!("cannot reach the clock: {e}")),
    }
}

async fn timeline_json(
    State(home): State<Arc<Home>>,
    Query(query): Query<timeline::Query>,
) -> Response {
    let Some(fields) = home.fields() else {
        return not_ready();
    };
    if let Some(system) = query.system.as_deref()
        && !system.is_empty()
        && !timeline::SYSTEMS.contains(&system)
    {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({
                "error": "invalid_system",
                "message": format!("unknown system `{system}` (expected one of {})", timeline::SYSTEMS.join(", ")),
            })),
        )
            .into_response();
    }
    match timeline::gather(&home.http, &fields).await {
        Ok(all) => axum::Json(json!({ "entries": timeline::filter(all, &query) })).into_response(),
        Err(e) => (
            StatusCode::BAD_GATEWAY,
            axum::Json(json!({ "error": "timeline_unavailable", "message": e.to_string() })),
        )
            .into_response(),
    }
}

// ---- the developer page --------------------------------------------------------------------

fn back_dev() -> Response {
    Redirect::to("/_sim/dev").into_response()
}

fn describe(e: &IdeError) -> String {
    match e {
        IdeError::SignedOut => {
            "Signed out: the refresh was refused (the timeline shows Okta's reason).".into()
        }
        other => other.to_string(),
    }
}

async fn dev_page(State(home): State<Arc<Home>>, headers: HeaderMap) -> Response {
    let session = home.session(&headers);
    let mut view = None;
    if let Some(session) = session {
        let mut s = session.lock().await;
        let message = s.message.take();
        let answer = s.answer.clone();
        let email = s.email.clone();
        let usage = match s.ide.as_mut() {
            Some(ide) if ide.cache().is_some() => Some(ide.usage().await),
            _ => None,
        };
        let signed_in = s.ide.as_ref().is_some_and(|ide| ide.cache().is_some());
        view = Some((email, message, answer, usage, signed_in));
    }
    page_of(
        "Kiro IDE (developer page)",
        html! {
            p { a href="/_sim/home" { "← sandbox home" } }
            h1 { "Kiro IDE" }
            @match view {
                Some((email, message, answer, usage, true)) => {
                    @if let Some(m) = message { p.msg { (m) } }
                    p { "Signed in as " strong { (email) } }
                    section #plan {
                        @match usage {
                            Some(Ok(u)) => {
                                @let credits = &u["usageBreakdownList"][0];
                                p { "Plan: " strong { (u["subscriptionInfo"]["subscriptionTitle"].as_str().unwrap_or("?")) } }
                                p { "Credits: " (credits["currentUsage"]) " used of " (credits["usageLimit"]) }
                            }
                            Some(Err(e)) => p.FAILURE { "Access error: " (describe(&e)) },
                            None => p { "Not signed in." },
                        }
                    }
                    form method="post" action="/_sim/dev/complete" {
                        label for="left" { "Code before the cursor" } br;
                        textarea #left name="left" rows="3" cols="60" { "fn main() {" }
                        br;
                        button type="submit" { "Complete" }
                    }
                    form method="post" action="/_sim/dev/chat" {
                        label for="message" { "Chat message" } " "
                        input #message type="text" name="message" size="60";
                        " "
                        button type="submit" { "Send" }
                    }
                    @if let Some(a) = answer { h3 { "Answer" } pre #answer { (a) } }
                    p {
                        form.inline method="post" action="/_sim/dev/refresh" { button type="submit" { "Refresh" } }
                        " "
                        form.inline method="post" action="/_sim/dev/sign-out" { button type="submit" { "Sign out" } }
                    }
                }
                other => {
                    @if let Some((_, Some(m), ..)) = &other { p.msg { (m) } }
                    form method="post" action="/_sim/dev/sign-in" {
                        label for="email" { "Email" } " "
                        input #email type="text" name="email" value=(other.as_ref().map(|v| v.0.clone()).unwrap_or_default());
                        " "
                        button type="submit" { "Sign in" }
                    }
                    p { "You sign in on Okta's own login page; it sends you back here through the IDE's loopback redirect." }
                }
            }
        },
    )
    .into_response()
}

#[derive(Debug, Deserialize)]
struct SignInForm {
    email: String,
}

async fn dev_sign_in(State(home): State<Arc<Home>>, Form(form): Form<SignInForm>) -> Response {
    let Some(fields) = home.fields() else {
        return not_ready();
    };
    let email = form.email.trim().to_string();
    let (id, session) = home.new_session(&email);
    let set_cookie =
        HeaderValue::from_str(&format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax")).ok();
    let kiro = text(&fields, "kiro").to_string();
    let rng = home.seed.stream(&format!("sandbox/dev-ide/{id}"));
    let mut response = {
        let mut s = session.lock().await;
        match Ide::new(&kiro, LOOPBACK_PORTS[0], rng, &home.trust) {
            Err(e) => {
                s.message = Some(e.to_string());
                back_dev()
            }
            Ok(mut ide) => match ide.begin_browser_sign_in(&email).await {
                Err(e) => {
                    s.message = Some(describe(&e));
                    s.ide = Some(ide);
                    back_dev()
                }
                Ok((pending, listener)) => {
                    let to = pending.authorize_url.clone();
                    tokio::spawn(loopback(listener, format!("{kiro}/_sim/dev/callback")));
                    s.pending = Some(pending);
                    s.ide = Some(ide);
                    Redirect::to(&to).into_response()
                }
            },
        }
    };
    if let Some(v) = set_cookie {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

/// The IDE's loopback listener: waits for the IdP's redirect to `/oauth/callback` and hands
/// the browser (with the code and state) to the developer page's callback.
async fn loopback(listener: tokio::net::TcpListener, callback: String) {
    let deadline = tokio::time::Instant::now() + LOOPBACK_WAIT;
    loop {
        let Ok(Ok((mut stream, _))) = tokio::time::timeout_at(deadline, listener.accept()).await
        else {
            return;
        };
        let mut buf = vec![0u8; 8192];
        let mut len = 0;
        let read = tokio::time::timeout(Duration::from_secs(5), async {
            while len < buf.len() {
                match stream.read(&mut buf[len..]).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => len += n,
                }
                if buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
        })
        .await;
        if read.is_err() {
            continue;
        }
        let head = String::from_utf8_lossy(&buf[..len]);
        let target = head
            .lines()
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or_default()
            .to_string();
        if let Some(query) = target.strip_prefix("/oauth/callback?") {
            let answer = format!(
                "HTTP/1.1 303 See Other\r\nLocation: {callback}?{query}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = stream.write_all(answer.as_bytes()).await;
            let _ = stream.shutdown().await;
            return;
        }
        let _ = stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .await;
    }
}

async fn dev_callback(
    State(home): State<Arc<Home>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(session) = home.session(&headers) else {
        return back_dev();
    };
    let mut s = session.lock().await;
    let pending = s.pending.take();
    let message = match (pending, s.ide.as_mut()) {
        (Some(pending), Some(ide)) => {
            match ide
                .finish_browser_sign_in(&pending, query.as_deref().unwrap_or_default())
                .await
            {
                Ok(_) => "Signed in.".to_string(),
                Err(e) => describe(&e),
            }
        }
        _ => "No sign-in is under way.".to_string(),
    };
    s.message = Some(message);
    back_dev()
}

async fn with_ide(
    home: &Home,
    headers: &HeaderMap,
    act: impl AsyncFnOnce(&mut Ide) -> Result<Option<String>, IdeError>,
    done: &str,
) -> Response {
    let Some(session) = home.session(headers) else {
        return back_dev();
    };
    let mut s = session.lock().await;
    let outcome = match s.ide.as_mut() {
        Some(ide) => act(ide).await,
        None => Err(IdeError::SignedOut),
    };
    match outcome {
        Ok(answer) => {
            s.message = Some(done.to_string());
            if answer.is_some() {
                s.answer = answer;
            }
        }
        Err(IdeError::SignedOut) => {
            let why = refusal_reason(home, &s.email).await;
            s.message = Some(match why {
                Some(reason) => format!("Signed out: the refresh was refused: {reason}"),
                None => describe(&IdeError::SignedOut),
            });
        }
        Err(e) => s.message = Some(describe(&e)),
    }
    back_dev()
}

/// Okta's reason for the user's latest refused refresh, from the timeline.
async fn refusal_reason(home: &Home, email: &str) -> Option<String> {
    let fields = home.fields()?;
    let entries = timeline::gather(&home.http, &fields).await.ok()?;
    let query = timeline::Query {
        user: Some(email.to_string()),
        system: Some("okta".into()),
        limit: None,
    };
    timeline::filter(entries, &query)
        .into_iter()
        .find(|e| e.kind == "app.oauth2.as.token.grant.refresh_token" && e.outcome != "SUCCESS")
        .and_then(|e| e.reason)
}

async fn dev_refresh(State(home): State<Arc<Home>>, headers: HeaderMap) -> Response {
    with_ide(
        &home,
        &headers,
        async |ide| ide.refresh_now().await.map(|()| None),
        "Refreshed.",
    )
    .await
}

async fn dev_sign_out(State(home): State<Arc<Home>>, headers: HeaderMap) -> Response {
    with_ide(
        &home,
        &headers,
        async |ide| {
            ide.sign_out();
            Ok(None)
        },
        "Signed out.",
    )
    .await
}

#[derive(Debug, Deserialize)]
struct CompleteForm {
    left: String,
}

async fn dev_complete(
    State(home): State<Arc<Home>>,
    headers: HeaderMap,
    Form(form): Form<CompleteForm>,
) -> Response {
    with_ide(
        &home,
        &headers,
        async |ide| {
            let answer = ide.complete(&form.left, "").await?;
            Ok(Some(
                answer["completions"][0]["content"]
                    .as_str()
                    .map_or_else(|| answer.to_string(), str::to_string),
            ))
        },
        "Completion served.",
    )
    .await
}

#[derive(Debug, Deserialize)]
struct ChatForm {
    message: String,
}

async fn dev_chat(
    State(home): State<Arc<Home>>,
    headers: HeaderMap,
    Form(form): Form<ChatForm>,
) -> Response {
    with_ide(
        &home,
        &headers,
        async |ide| {
            let answer = ide.chat(&form.message, None).await?;
            Ok(Some(
                answer["assistantResponse"]["content"]
                    .as_str()
                    .map_or_else(|| answer.to_string(), str::to_string),
            ))
        },
        "Answered.",
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(in_words(Duration::from_secs(23 * 3600 + 600)), "23 h 10 m");
        assert_eq!(in_words(Duration::from_secs(600)), "10 m");
        assert_eq!(in_words(Duration::from_secs(45)), "45 s");
        assert_eq!(in_words(Duration::ZERO), "now");
        assert_eq!(in_words(Duration::from_secs(2 * 86_400 + 3600)), "2 d 1 h");
    }
}
