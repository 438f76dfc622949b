//! The Okta Admin Console (issue #13): server-rendered HTML pages at `/admin`, a third wire
//! layer beside the management API and the OIDC endpoints, over the same [`crate::core::Org`].
//!
//! Labels, navigation and field names are the real console's, as Kiro's "Connect your Okta
//! IdP" guide words them, so a trainee following the guide finds each button. Plain forms,
//! POST-redirect-GET, no JavaScript. Every form calls the same core function the API calls
//! (never bypassing a rule); a refusal re-renders the form with the values kept and the core's
//! message next to its field, and changes nothing.
//!
//! Sign-in (sim choice): the org's admin, username `admin@kiro-sim.test` (the actor of every
//! admin change in the System Log), password the org's API token (`okta_api_token` of the
//! ready line). A session is a random id in the `okta_admin_sid` cookie (path `/admin`) with
//! its own CSRF token, carried by every form in the hidden `_csrf` field.
//!
//! Areas, one file each: [`apps`] (Applications, the catalog, Assignments), [`provisioning`]
//! (Provisioning and Push Groups of a catalog app), [`security`] (Security → API:
//! authorization servers, scopes, access policies and rules, Token Preview), [`directory`]
//! (People, Groups), [`reports`] (System Log).

mod apps;
mod directory;
mod provisioning;
mod reports;
mod security;

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use sim_core::ids;
use sim_core::seed::SimRng;

use crate::core::OktaError;
use crate::core::log::Actor;
use crate::oidc::Params;
use crate::wire::AppState;

/// The console session cookie.
const COOKIE: &str = "okta_admin_sid";
/// Okta's text after a failed sign-in.
const UNABLE_TO_SIGN_IN: &str = "Unable to sign in";
/// Rows per page of the long lists (People, Groups, System Log).
pub(crate) const PAGE_SIZE: usize = 20;

/// Console sessions: session id → CSRF token.
pub(crate) struct Sessions {
    live: HashMap<String, String>,
    rng: SimRng,
}

impl Sessions {
    /// No session yet; ids drawn from `rng` (a seed stream of its own).
    pub(crate) fn new(rng: SimRng) -> Sessions {
        Sessions {
            live: HashMap::new(),
            rng,
        }
    }

    fn start(&mut self) -> (String, String) {
        let sid = ids::secret(&mut self.rng, 40);
        let csrf = ids::secret(&mut self.rng, 32);
        self.live.insert(sid.clone(), csrf.clone());
        (sid, csrf)
    }
}

/// The console's routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(dashboard))
        .route("/admin/", get(dashboard))
        .route("/admin/login", get(login_form).post(login))
        .route("/admin/logout", axum::routing::post(logout))
        .merge(apps::routes())
        .merge(provisioning::routes())
        .merge(security::routes())
        .merge(directory::routes())
        .merge(reports::routes())
}

// ---- sessions ----------------------------------------------------------------------------

fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE && !value.is_empty())
        .map(|(_, value)| value.to_string())
}

/// A signed-in admin (GET pages); without a session, a redirect to the sign-in page.
pub(crate) struct Admin {
    /// The session's CSRF token, for the forms of the page.
    pub(crate) csrf: String,
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Admin, Response> {
        let csrf = cookie(&parts.headers).and_then(|sid| s.console.lock().live.get(&sid).cloned());
        match csrf {
            Some(csrf) => Ok(Admin { csrf }),
            None => Err(Redirect::to("/admin/login").into_response()),
        }
    }
}

/// A signed-in admin's form post whose `_csrf` matches the session (else 403, nothing done).
pub(crate) struct Post {
    pub(crate) form: Params,
}

impl Post {
    /// A field's value ("" when absent).
    pub(crate) fn get(&self, name: &str) -> &str {
        self.form.get(name).unwrap_or_default()
    }

    /// A trimmed non-empty value.
    pub(crate) fn opt(&self, name: &str) -> Option<String> {
        let v = self.get(name).trim();
        (!v.is_empty()).then(|| v.to_string())
    }

    /// Every value of a repeated field (checkboxes).
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.form
            .pairs()
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Whether a checkbox was ticked.
    pub(crate) fn on(&self, name: &str) -> bool {
        self.form.get(name).is_some()
    }
}

impl FromRequest<AppState> for Post {
    type Rejection = Response;

    async fn from_request(req: Request, s: &AppState) -> Result<Post, Response> {
        let sid = cookie(req.headers());
        let body = Bytes::from_request(req, s)
            .await
            .map_err(IntoResponse::into_response)?;
        let csrf = sid.and_then(|sid| s.console.lock().live.get(&sid).cloned());
        let Some(csrf) = csrf else {
            return Err(Redirect::to("/admin/login").into_response());
        };
        let form = Params::parse(&body);
        if form.get("_csrf") != Some(csrf.as_str()) {
            return Err((
                StatusCode::FORBIDDEN,
                layout_bare(
                    "403 Forbidden",
                    html! { h1 { "403 Forbidden" } p { "The form was not sent by this session (CSRF token missing or wrong)." } },
                ),
            )
                .into_response());
        }
        Ok(Post { form })
    }
}

async fn login_form() -> Markup {
    login_page(None, "")
}

fn login_page(error: Option<&str>, username: &str) -> Markup {
    layout_bare(
        "Sign In",
        html! {
            main.signin {
                h1 { "Okta Admin Console" }
                h2 { "Sign In" }
                @if let Some(e) = error { p.error role="alert" { (e) } }
                form method="post" action="/admin/login" {
                    label for="username" { "Username" }
                    input #username type="text" name="username" value=(username) autocomplete="username";
                    label for="password" { "Password" }
                    input #password type="password" name="password" autocomplete="current-password";
                    button type="submit" { "Sign In" }
                }
                p.hint { "Sign in as the org's admin: admin@kiro-sim.test, with the org's API token (okta_api_token) as the password." }
            }
        },
    )
}

async fn login(State(s): State<AppState>, body: Bytes) -> Response {
    let form = Params::parse(&body);
    let username = form.get("username").unwrap_or_default().trim();
    let password = form.get("password").unwrap_or_default();
    let admin = Actor::admin();
    let ok = username.eq_ignore_ascii_case(&admin.alternate_id)
        && ids::constant_time_eq(password.as_bytes(), s.api_token.as_bytes());
    if !ok {
        return (
            StatusCode::UNAUTHORIZED,
            login_page(Some(UNABLE_TO_SIGN_IN), username),
        )
            .into_response();
    }
    let (sid, _) = s.console.lock().start();
    let mut response = Redirect::to("/admin").into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{COOKIE}={sid}; Path=/admin; HttpOnly; SameSite=Lax"
    )) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

async fn logout(State(s): State<AppState>, headers: HeaderMap, _post: Post) -> Response {
    if let Some(sid) = cookie(&headers) {
        s.console.lock().live.remove(&sid);
    }
    let mut response = Redirect::to("/admin/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("okta_admin_sid=; Path=/admin; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    response
}

async fn dashboard(State(s): State<AppState>, admin: Admin) -> Markup {
    let org = s.org.lock();
    let users = org.users.len();
    let groups = org.groups.len();
    let apps = org.apps.len();
    let url = org.org_url().to_string();
    drop(org);
    layout(
        &admin,
        "Dashboard",
        html! {
            h1 { "Dashboard" }
            p { "Org URL: " code { (url) } }
            table {
                tr { th { "People" } td { (users) } }
                tr { th { "Groups" } td { (groups) } }
                tr { th { "Applications" } td { (apps) } }
            }
        },
    )
}

// ---- rendering -----------------------------------------------------------------------------

const STYLE: &str = "body{font-family:sans-serif;margin:0;background:#f4f4f4;color:#1d1d21}\
nav.side{position:fixed;top:0;bottom:0;left:0;width:200px;background:#fff;border-right:1px solid #ddd;padding:12px;overflow:auto}\
nav.side h3{font-size:13px;text-transform:uppercase;color:#6e6e78;margin:16px 0 4px}\
nav.side a{display:block;padding:4px 8px;color:#1d1d21;text-decoration:none}nav.side a:hover{background:#eef}\
main.content{margin-left:224px;padding:16px 24px}main.signin{max-width:400px;margin:60px auto;background:#fff;padding:32px;border:1px solid #ddd}\
label{display:block;margin-top:10px;font-weight:bold}label.inline{display:inline;font-weight:normal}\
input[type=text],input[type=password],input[type=number],input:not([type]),textarea,select{padding:5px;min-width:320px}\
textarea{min-height:90px}.error{color:#c00}.field-error{color:#c00;display:block}\
table{border-collapse:collapse;background:#fff;margin:8px 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left}\
.tabs a{display:inline-block;padding:6px 12px;border:1px solid #ddd;background:#fff;margin-right:4px;text-decoration:none}\
.tabs a.active{border-bottom-color:#fff;font-weight:bold}.box{background:#fff;border:1px solid #ddd;padding:12px;margin:12px 0}\
button{margin:6px 4px 6px 0;padding:5px 12px}form.inline{display:inline}pre{background:#fff;border:1px solid #ddd;padding:8px}\
.notice{background:#eef7ee;border:1px solid #8c8;padding:8px}.hint{color:#6e6e78;font-size:13px}";

/// A page without the navigation (sign-in, refusals).
fn layout_bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { (title) } style { (PreEscaped(STYLE)) } }
            body { (body) }
        }
    }
}

/// A console page: the left navigation and `body`.
pub(crate) fn layout(admin: &Admin, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { (title) " - Okta Admin Console" } style { (PreEscaped(STYLE)) } }
            body {
                nav.side aria-label="Main" {
                    strong { "Okta Admin Console" }
                    a href="/admin" { "Dashboard" }
                    h3 { "Directory" }
                    a href="/admin/people" { "People" }
                    a href="/admin/groups" { "Groups" }
                    h3 { "Applications" }
                    a href="/admin/apps" { "Applications" }
                    h3 { "Security" }
                    a href="/admin/security/api" { "API" }
                    h3 { "Reports" }
                    a href="/admin/reports/system-log" { "System Log" }
                    form method="post" action="/admin/logout" {
                        (csrf(admin))
                        button type="submit" { "Sign out" }
                    }
                }
                main.content { (body) }
            }
        }
    }
}

/// The hidden CSRF field of a form.
pub(crate) fn csrf(admin: &Admin) -> Markup {
    html! { input type="hidden" name="_csrf" value=(admin.csrf); }
}

/// A tab bar: `(label, href)`; `active` is the current tab's label.
pub(crate) fn tabs(items: &[(&str, String)], active: &str) -> Markup {
    html! {
        div.tabs role="tablist" {
            @for (label, href) in items {
                a href=(href) class=@if *label == active { "active" } role="tab" { (label) }
            }
        }
    }
}

/// The refusal messages of a core error, by the field they name (`label: …` → `label`), with
/// the field prefix removed as the console shows them.
#[derive(Debug, Default)]
pub(crate) struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    /// The messages of `error`.
    pub(crate) fn of(error: &OktaError) -> FieldErrors {
        let causes = match error {
            OktaError::Validation { summary, causes } if !causes.is_empty() => causes
                .iter()
                .map(|c| match c.split_once(": ") {
                    Some((field, text)) if !field.contains(' ') => {
                        (field.to_string(), text.to_string())
                    }
                    _ => (summary.clone(), c.clone()),
                })
                .collect(),
            OktaError::Validation { summary, .. } => vec![(summary.clone(), error.to_string())],
            other => vec![(String::new(), other.to_string())],
        };
        FieldErrors(causes)
    }

    /// One message for `field`.
    pub(crate) fn one(field: &str, text: impl Into<String>) -> FieldErrors {
        FieldErrors(vec![(field.to_string(), text.into())])
    }

    /// The messages of fields whose name starts with `prefix`, shown next to a field.
    pub(crate) fn at(&self, prefix: &str) -> Markup {
        html! {
            @for (field, text) in &self.0 {
                @if field.starts_with(prefix) {
                    span.field-error role="alert" { (text) }
                }
            }
        }
    }

    /// Every message whose field is not among `shown` (the form's own fields), at the top.
    pub(crate) fn others(&self, shown: &[&str]) -> Markup {
        html! {
            @for (field, text) in &self.0 {
                @if !shown.iter().any(|p| field.starts_with(p)) {
                    p.error role="alert" { (text) }
                }
            }
        }
    }

    /// Whether there is none.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A refusal re-rendering a form: 400 with the page.
pub(crate) fn refused(page: Markup) -> Response {
    (StatusCode::BAD_REQUEST, page).into_response()
}

/// A 404 page for an unknown id.
pub(crate) fn not_found(admin: &Admin, error: &OktaError) -> Response {
    (
        StatusCode::NOT_FOUND,
        layout(
            admin,
            "Not found",
            html! { h1 { "Not found" } p.error { (error.to_string()) } },
        ),
    )
        .into_response()
}

/// The 303 after a successful form.
pub(crate) fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// A page of `items` from `offset`, with Previous/Next links built by `href(offset)`.
pub(crate) fn pager(total: usize, offset: usize, href: impl Fn(usize) -> String) -> Markup {
    let end = (offset + PAGE_SIZE).min(total);
    html! {
        p.pager {
            @if total == 0 { "No results" } @else { "Showing " (offset + 1) "–" (end) " of " (total) " " }
            @if offset > 0 { a href=(href(offset.saturating_sub(PAGE_SIZE))) { "Previous" } " " }
            @if end < total { a href=(href(end)) { "Next" } }
        }
    }
}

/// `?name=value&…` with the values form-encoded.
pub(crate) fn query(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    let s = s.finish();
    if s.is_empty() { s } else { format!("?{s}") }
}

/// Render time stamps as the console does (UTC, to the second).
pub(crate) fn when(t: std::time::SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}
