//! The Kiro console as server-rendered HTML pages (issue 13): what an admin following Kiro's
//! "Connect your Okta IdP" guide clicks, with the guide's words for every link, button and
//! field. Plain forms, POST-redirect-GET, no JavaScript.
//!
//! The pages are one more wire layer over the same core as the console API: every form calls
//! the core functions the REST handlers call, a refusal re-renders the form with the core's
//! message next to the field (status 400) and changes nothing.
//!
//! Routes (all under [`PREFIX`]; the REST API keeps `/console/profiles/…`):
//! - `GET /console`: sign in with the console's admin token (the one the REST API takes as a
//!   bearer token; `kiro_admin_token` on the ready line), then the profiles.
//! - `identity`: "Sign up for Kiro" → "Set up application as Admin" → "Connect an existing
//!   external Identity provider" (Issuer URI, Client ID, "Enable"); a profile's overview and
//!   its "Settings": Identity management (Domains, Access Tokens, SCIM Endpoint) and
//!   governance (models, MCP, web tools, overages).
//! - `subscriptions`: who holds a seat (searchable, paginated), subscribing users and groups
//!   to a tier, unsubscribing, deleting a seat.
//!
//! The session is a cookie holding the admin token (HttpOnly, SameSite=Lax): a local
//! simulator's console, one admin.

mod identity;
mod subscriptions;

pub(crate) use subscriptions::SearchIndex;

use std::time::SystemTime;

use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, html};
use sim_core::ids;

use crate::wire::AppState;

/// Where the console's pages live.
pub(crate) const PREFIX: &str = "/console";
/// The session cookie.
const COOKIE: &str = "kiro_console_session";

/// Routes of the console's pages.
pub(crate) fn router() -> Router<AppState> {
    const P: &str = "/console/ui/profiles/{profile_id}";
    Router::new()
        .route(PREFIX, get(home))
        .route("/console/ui/sign-in", post(sign_in))
        .route("/console/ui/sign-out", post(sign_out))
        .route("/console/ui/sign-up", get(identity::sign_up))
        .route("/console/ui/sign-up/admin", get(identity::sign_up_admin))
        .route(
            "/console/ui/sign-up/external-idp",
            get(identity::external_idp_form).post(identity::external_idp_create),
        )
        .route(P, get(identity::overview))
        .route(&format!("{P}/settings"), get(identity::settings))
        .route(
            &format!("{P}/settings/domains/new"),
            get(identity::domain_form_page).post(identity::domain_add),
        )
        .route(
            &format!("{P}/settings/domains/{{domain}}/remove"),
            post(identity::domain_remove),
        )
        .route(
            &format!("{P}/settings/access-tokens"),
            post(identity::token_generate),
        )
        .route(
            &format!("{P}/settings/access-tokens/{{token_id}}/revoke"),
            post(identity::token_revoke),
        )
        .route(
            &format!("{P}/settings/governance"),
            post(identity::governance_save),
        )
        .route(
            &format!("{P}/subscriptions"),
            get(subscriptions::page).post(subscriptions::subscribe),
        )
        .route(
            &format!("{P}/subscriptions/users/{{user_id}}/unsubscribe"),
            post(subscriptions::unsubscribe_user),
        )
        .route(
            &format!("{P}/subscriptions/users/{{user_id}}/delete"),
            post(subscriptions::delete_seat),
        )
        .route(
            &format!("{P}/subscriptions/groups/{{group_id}}/unsubscribe"),
            post(subscriptions::unsubscribe_group),
        )
}

/// Proof that the browser holds the admin's session; without one, back to the sign-in page.
pub(crate) struct Session;

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

/// The value of cookie `name`.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn signed_in(headers: &HeaderMap, shared: &AppState) -> bool {
    cookie(headers, COOKIE)
        .is_some_and(|t| ids::constant_time_eq(t.as_bytes(), shared.admin_token.as_bytes()))
}

/// A form body as name/value pairs (repeated names kept, in order).
pub(crate) struct Fields(pub(crate) Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, or "".
    pub(crate) fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `name`.
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// Date and time as the pages show them (UTC, seconds).
pub(crate) fn when(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// A whole page: title, the console's header (with the profile's navigation when `profile` is
/// `(id, name)`), and `body`.
pub(crate) fn layout(title: &str, profile: Option<(&str, &str)>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (title) " | Kiro console" }
                style { (CSS) }
            }
            body {
                header {
                    a.brand href=(PREFIX) { "Kiro console" }
                    @if let Some((id, name)) = profile {
                        nav {
                            span.profile { (name) }
                            a href=(format!("/console/ui/profiles/{id}")) { "Overview" }
                            a href=(format!("/console/ui/profiles/{id}/subscriptions")) { "Subscriptions" }
                            a.button href=(format!("/console/ui/profiles/{id}/settings")) { "Settings" }
                        }
                    }
                    form.signout method="post" action="/console/ui/sign-out" {
                        button type="submit" { "Sign out" }
                    }
                }
                main { h1 { (title) } (body) }
            }
        }
    }
}

const CSS: &str = "body{font-family:sans-serif;margin:0;color:#16191f}\
header{display:flex;gap:1.5em;align-items:center;background:#232f3e;padding:.6em 1.2em}\
header a{color:#fff;text-decoration:none}header .brand{font-weight:bold}\
header nav{display:flex;gap:1em;align-items:center}header .profile{color:#ffb84d}\
header form.signout{margin-left:auto}main{padding:1em 2em;max-width:70em}\
section{border:1px solid #d5dbdb;border-radius:6px;padding:.5em 1em;margin:1em 0}\
label{display:block;margin-top:.6em;font-weight:bold}label.inline{display:inline;font-weight:normal}\
input[type=text],input[type=url],input[type=password],select{width:28em;padding:.3em}\
.error{color:#d13212;margin:.2em 0}.notice{background:#f1faff;border:1px solid #0073bb;padding:.6em}\
table{border-collapse:collapse}td,th{border-bottom:1px solid #eaeded;padding:.3em .8em;text-align:left}\
code{background:#f2f3f3;padding:.1em .3em}.status-Verified,.status-Active{color:#1d8102}\
.status-Pending{color:#8d6605}a.button{background:#ec7211;color:#fff;padding:.3em .8em;border-radius:3px}\
form.row{display:inline}";

/// A field's error line, if it has one.
pub(crate) fn field_error(id: &str, error: Option<&str>) -> Markup {
    html! {
        @if let Some(e) = error {
            p.error id=(format!("{id}-error")) role="alert" { (e) }
        }
    }
}

/// 303 to `to` (after a successful POST).
pub(crate) fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// An HTML answer with a status.
pub(crate) fn with_status(status: StatusCode, markup: Markup) -> Response {
    (status, markup).into_response()
}

/// A page for a profile that does not exist (or any other core refusal outside a form).
pub(crate) fn not_found(what: impl std::fmt::Display) -> Response {
    with_status(
        StatusCode::NOT_FOUND,
        layout(
            "Not found",
            None,
            html! { p.error { (what) } p { a href=(PREFIX) { "Back to the console" } } },
        ),
    )
}

/// `GET /console`: the sign-in page, or the profiles once signed in.
async fn home(State(shared): State<AppState>, headers: HeaderMap) -> Response {
    if !signed_in(&headers, &shared) {
        return sign_in_page(None).into_response();
    }
    let profiles: Vec<(String, String, String)> = shared
        .kiro
        .lock()
        .profiles()
        .iter()
        .map(|p| (p.id.clone(), p.name.clone(), p.issuer.clone()))
        .collect();
    layout(
        "Kiro profiles",
        None,
        html! {
            @if profiles.is_empty() {
                p { "You have no Kiro profile yet." }
            } @else {
                table {
                    thead { tr { th { "Profile" } th { "Identity provider" } } }
                    tbody {
                        @for (id, name, issuer) in &profiles {
                            tr {
                                td { a href=(format!("/console/ui/profiles/{id}")) { (name) } }
                                td { (issuer) }
                            }
                        }
                    }
                }
            }
            p { a.button href="/console/ui/sign-up" { "Sign up for Kiro" } }
        },
    )
    .into_response()
}

fn sign_in_page(error: Option<&str>) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { "Sign in | Kiro console" } style { (CSS) } }
            body {
                header { a.brand href=(PREFIX) { "Kiro console" } }
                main {
                    h1 { "Sign in to the Kiro console" }
                    form method="post" action="/console/ui/sign-in" {
                        label for="admin_token" { "Admin token" }
                        input #admin_token type="password" name="admin_token" autocomplete="off";
                        (field_error("admin_token", error))
                        p { button type="submit" { "Sign in" } }
                    }
                }
            }
        }
    }
}

/// `POST /console/ui/sign-in`.
async fn sign_in(
    State(shared): State<AppState>,
    form: axum::Form<Vec<(String, String)>>,
) -> Response {
    let fields = Fields(form.0);
    let token = fields.get("admin_token").trim();
    if !ids::constant_time_eq(token.as_bytes(), shared.admin_token.as_bytes()) {
        return with_status(
            StatusCode::UNAUTHORIZED,
            sign_in_page(Some("The admin token is missing or invalid.")),
        );
    }
    let mut response = see_other(PREFIX);
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{COOKIE}={token}; Path=/console; HttpOnly; SameSite=Lax"
    )) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

/// `POST /console/ui/sign-out`.
async fn sign_out() -> Response {
    let mut response = see_other(PREFIX);
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "kiro_console_session=; Path=/console; HttpOnly; SameSite=Lax; Max-Age=0",
        ),
    );
    response
}
