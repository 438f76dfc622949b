//! Security → API → Authorization Servers: "Add Authorization Server", a server's Settings
//! (Issuer URI), Scopes ("Add Scope", "User consent"), Access Policies ("Add New Access
//! Policy", "Add rule" with the real console's defaults) and Token Preview.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};

use super::{Admin, FieldErrors, Post, csrf, layout, not_found, refused, see_other, tabs};
use crate::core::Org;
use crate::core::apps::SignOnMode;
use crate::core::authz::{AuthServer, NewRule, Scope};
use crate::wire::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/security/api", get(servers))
        .route(
            "/admin/security/api/new",
            get(new_server_form).post(create_server),
        )
        .route("/admin/security/api/{id}", get(settings))
        .route(
            "/admin/security/api/{id}/scopes",
            get(scopes).post(add_scope),
        )
        .route(
            "/admin/security/api/{id}/policies",
            get(policies).post(add_policy),
        )
        .route(
            "/admin/security/api/{id}/policies/{pid}/rules",
            get(rule_form).post(add_rule),
        )
        .route(
            "/admin/security/api/{id}/preview",
            get(preview_form).post(preview),
        )
}

async fn servers(State(s): State<AppState>, admin: Admin) -> Markup {
    let org = s.org.lock();
    let body = html! {
        h1 { "API" }
        (tabs(&[("Authorization Servers", "/admin/security/api".to_string())], "Authorization Servers"))
        form method="get" action="/admin/security/api/new" {
            button type="submit" { "Add Authorization Server" }
        }
        table {
            tr { th { "Name" } th { "Audience" } th { "Issuer URI" } th { "Status" } }
            @for a in org.auth_servers() {
                tr {
                    td { a href={ "/admin/security/api/" (a.id) } { (a.name) } }
                    td { (a.audiences.join(", ")) }
                    td { (org.issuer(&a.id)) }
                    td { @if a.active { "Active" } @else { "Inactive" } }
                }
            }
        }
    };
    drop(org);
    layout(&admin, "API", body)
}

struct ServerForm {
    name: String,
    audience: String,
    description: String,
}

fn server_page(admin: &Admin, f: &ServerForm, errors: &FieldErrors) -> Markup {
    layout(
        admin,
        "Add Authorization Server",
        html! {
            h1 { "Add Authorization Server" }
            (errors.others(&["name", "audiences"]))
            form method="post" action="/admin/security/api/new" {
                (csrf(admin))
                label for="name" { "Name" }
                input #name type="text" name="name" value=(f.name);
                (errors.at("name"))
                label for="audience" { "Audience" }
                input #audience type="text" name="audience" value=(f.audience);
                (errors.at("audiences"))
                label for="description" { "Description" }
                textarea #description name="description" { (f.description) }
                br;
                button type="submit" { "Save" }
                a href="/admin/security/api" { "Cancel" }
            }
        },
    )
}

async fn new_server_form(admin: Admin) -> Markup {
    let f = ServerForm {
        name: String::new(),
        audience: String::new(),
        description: String::new(),
    };
    server_page(&admin, &f, &FieldErrors::default())
}

async fn create_server(State(s): State<AppState>, admin: Admin, post: Post) -> Response {
    let f = ServerForm {
        name: post.get("name").to_string(),
        audience: post.get("audience").to_string(),
        description: post.get("description").to_string(),
    };
    let audiences = if f.audience.trim().is_empty() {
        Vec::new()
    } else {
        vec![f.audience.trim().to_string()]
    };
    let now = s.clock.now();
    let result = s
        .org
        .lock()
        .create_auth_server(now, &f.name, post.opt("description"), audiences);
    match result {
        Ok(server) => see_other(&format!("/admin/security/api/{}", server.id)),
        Err(e) => refused(server_page(&admin, &f, &FieldErrors::of(&e))),
    }
}

fn server_tabs(server: &AuthServer, active: &str) -> Markup {
    let base = format!("/admin/security/api/{}", server.id);
    html! {
        h1 { (server.name) }
        (tabs(&[
            ("Settings", base.clone()),
            ("Scopes", format!("{base}/scopes")),
            ("Access Policies", format!("{base}/policies")),
            ("Token Preview", format!("{base}/preview")),
        ], active))
    }
}

/// Runs `f` on the server `id`, or answers 404.
fn with_server(
    s: &AppState,
    admin: &Admin,
    id: &str,
    f: impl FnOnce(&Org, &AuthServer) -> Markup,
) -> Response {
    let org = s.org.lock();
    match org.auth_server(id) {
        Ok(server) => {
            let body = f(&org, server);
            let title = server.name.clone();
            drop(org);
            layout(admin, &title, body).into_response()
        }
        Err(e) => not_found(admin, &e),
    }
}

async fn settings(State(s): State<AppState>, admin: Admin, Path(id): Path<String>) -> Response {
    with_server(&s, &admin, &id, |org, server| {
        let issuer = org.issuer(&server.id);
        html! {
            (server_tabs(server, "Settings"))
            div.box {
                table {
                    tr { th { "Name" } td { (server.name) } }
                    tr { th { "Audience" } td { (server.audiences.join(", ")) } }
                    tr { th { "Description" } td { (server.description.clone().unwrap_or_default()) } }
                    tr { th { "Issuer URI" } td #issuer-uri { (issuer) } }
                    tr { th { "Metadata URI" } td { (issuer) "/.well-known/oauth-authorization-server" } }
                    tr { th { "Status" } td { @if server.active { "Active" } @else { "Inactive" } } }
                }
            }
        }
    })
}

// ---- scopes --------------------------------------------------------------------------------

#[derive(Default)]
struct ScopeForm {
    name: String,
    display: String,
    description: String,
    required: bool,
    default: bool,
    publish: bool,
}

fn scopes_body(
    admin: &Admin,
    server: &AuthServer,
    form: Option<&ScopeForm>,
    errors: &FieldErrors,
) -> Markup {
    html! {
        (server_tabs(server, "Scopes"))
        form method="get" action={ "/admin/security/api/" (server.id) "/scopes" } {
            input type="hidden" name="new" value="1";
            button type="submit" { "Add Scope" }
        }
        @if let Some(f) = form {
            div.box {
                h2 { "Add Scope" }
                (errors.others(&["name", "consent"]))
                form method="post" action={ "/admin/security/api/" (server.id) "/scopes" } {
                    (csrf(admin))
                    label for="scope-name" { "Name" }
                    input #scope-name type="text" name="name" value=(f.name);
                    (errors.at("name"))
                    label for="scope-display" { "Display phrase" }
                    input #scope-display type="text" name="displayName" value=(f.display);
                    label for="scope-description" { "Description" }
                    textarea #scope-description name="description" { (f.description) }
                    fieldset {
                        legend { "User consent" }
                        label.inline { input type="radio" name="consent" value="IMPLICIT" checked[!f.required]; "Implicit" }
                        br;
                        label.inline { input type="radio" name="consent" value="REQUIRED" checked[f.required]; "Required" }
                        (errors.at("consent"))
                    }
                    label.inline { input type="checkbox" name="default" checked[f.default]; "Set as a default scope" }
                    br;
                    label.inline { input type="checkbox" name="publish" checked[f.publish]; "Include in public metadata" }
                    br;
                    button type="submit" { "Create" }
                    a href={ "/admin/security/api/" (server.id) "/scopes" } { "Cancel" }
                }
            }
        }
        table {
            tr { th { "Name" } th { "Display phrase" } th { "Description" } th { "User consent" } th { "Default scope" } th { "Metadata" } }
            @for sc in &server.scopes {
                tr {
                    td { (sc.name) }
                    td { (sc.display_name.clone().unwrap_or_default()) }
                    td { (sc.description.clone().unwrap_or_default()) }
                    td { @if sc.consent == "IMPLICIT" { "Implicit" } @else { "Required" } }
                    td { @if sc.default { "Yes" } @else { "No" } }
                    td { @if sc.metadata_publish == "ALL_CLIENTS" { "Yes" } @else { "No" } }
                }
            }
        }
    }
}

async fn scopes(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let form = q.contains_key("new").then(|| ScopeForm {
        publish: true,
        ..ScopeForm::default()
    });
    with_server(&s, &admin, &id, |_, server| {
        scopes_body(&admin, server, form.as_ref(), &FieldErrors::default())
    })
}

async fn add_scope(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    post: Post,
) -> Response {
    let f = ScopeForm {
        name: post.get("name").to_string(),
        display: post.get("displayName").to_string(),
        description: post.get("description").to_string(),
        required: post.get("consent") == "REQUIRED",
        default: post.on("default"),
        publish: post.on("publish"),
    };
    let scope = Scope {
        id: String::new(),
        name: f.name.clone(),
        description: post.opt("description"),
        display_name: post.opt("displayName"),
        consent: post
            .opt("consent")
            .unwrap_or_else(|| "IMPLICIT".to_string()),
        metadata_publish: if f.publish {
            "ALL_CLIENTS"
        } else {
            "NO_CLIENTS"
        }
        .to_string(),
        default: f.default,
        system: false,
    };
    let now = s.clock.now();
    let result = s.org.lock().create_scope(now, &id, scope);
    match result {
        Ok(_) => see_other(&format!("/admin/security/api/{id}/scopes")),
        Err(e) => {
            let errors = FieldErrors::of(&e);
            let mut page = with_server(&s, &admin, &id, |_, server| {
                scopes_body(&admin, server, Some(&f), &errors)
            });
            if page.status().is_success() {
                *page.status_mut() = axum::http::StatusCode::BAD_REQUEST;
            }
            page
        }
    }
}

// ---- access policies -----------------------------------------------------------------------

#[derive(Default)]
struct PolicyForm {
    name: String,
    description: String,
    some_clients: bool,
    clients: Vec<String>,
}

fn policies_body(
    admin: &Admin,
    org: &Org,
    server: &AuthServer,
    form: Option<&PolicyForm>,
    errors: &FieldErrors,
) -> Markup {
    let base = format!("/admin/security/api/{}", server.id);
    let client_name = |c: &str| {
        if c == "ALL_CLIENTS" {
            "All clients".to_string()
        } else {
            org.app(c)
                .map_or_else(|_| c.to_string(), |a| a.label.clone())
        }
    };
    html! {
        (server_tabs(server, "Access Policies"))
        form method="get" action={ (base) "/policies" } {
            input type="hidden" name="new" value="1";
            button type="submit" { "Add New Access Policy" }
        }
        @if let Some(f) = form {
            div.box {
                h2 { "Add Policy" }
                (errors.others(&["name", "conditions.clients"]))
                form method="post" action={ (base) "/policies" } {
                    (csrf(admin))
                    label for="policy-name" { "Name" }
                    input #policy-name type="text" name="name" value=(f.name);
                    (errors.at("name"))
                    label for="policy-description" { "Description" }
                    textarea #policy-description name="description" { (f.description) }
                    fieldset {
                        legend { "Assign to" }
                        label.inline { input type="radio" name="assign" value="all" checked[!f.some_clients]; "All clients" }
                        br;
                        label.inline { input type="radio" name="assign" value="some" checked[f.some_clients]; "The following clients:" }
                    }
                    label for="policy-clients" { "Clients" }
                    select #policy-clients name="client" multiple {
                        @for a in org.apps.iter().filter(|a| a.sign_on_mode == SignOnMode::OpenIdConnect) {
                            option value=(a.id) selected[f.clients.contains(&a.id)] { (a.label) }
                        }
                    }
                    (errors.at("conditions.clients"))
                    br;
                    button type="submit" { "Create Policy" }
                    a href={ (base) "/policies" } { "Cancel" }
                }
            }
        }
        @for p in &server.policies {
            div.box {
                h2 { (p.name) }
                p { (p.description.clone().unwrap_or_default()) }
                p { "Assigned to clients: " (p.clients.iter().map(|c| client_name(c)).collect::<Vec<_>>().join(", ")) }
                form method="get" action={ (base) "/policies/" (p.id) "/rules" } {
                    button type="submit" { "Add rule" }
                }
                table {
                    tr { th { "Priority" } th { "Rule name" } th { "Grant types" } th { "Scopes" } th { "Access token lifetime" } th { "Status" } }
                    @for r in &p.rules {
                        tr {
                            td { (r.priority) }
                            td { (r.name) }
                            td { (r.grant_types.iter().map(|g| grant_label(g)).collect::<Vec<_>>().join(", ")) }
                            td { (if r.scopes == ["*"] { "Any scopes".to_string() } else { r.scopes.join(", ") }) }
                            td { (lifetime(r.access_token_lifetime_minutes)) }
                            td { @if r.active { "Active" } @else { "Inactive" } }
                        }
                    }
                }
            }
        }
    }
}

async fn policies(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let form = q.contains_key("new").then(PolicyForm::default);
    with_server(&s, &admin, &id, |org, server| {
        policies_body(&admin, org, server, form.as_ref(), &FieldErrors::default())
    })
}

async fn add_policy(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    post: Post,
) -> Response {
    let f = PolicyForm {
        name: post.get("name").to_string(),
        description: post.get("description").to_string(),
        some_clients: post.get("assign") == "some",
        clients: post.all("client"),
    };
    let errors = if f.some_clients && f.clients.is_empty() {
        Some(FieldErrors::one(
            "conditions.clients",
            "Select at least one client.",
        ))
    } else {
        let clients = if f.some_clients {
            f.clients.clone()
        } else {
            vec!["ALL_CLIENTS".to_string()]
        };
        let now = s.clock.now();
        let result =
            s.org
                .lock()
                .create_policy(now, &id, &f.name, post.opt("description"), None, clients);
        result.err().map(|e| FieldErrors::of(&e))
    };
    match errors {
        None => see_other(&format!("/admin/security/api/{id}/policies")),
        Some(errors) => {
            let mut page = with_server(&s, &admin, &id, |org, server| {
                policies_body(&admin, org, server, Some(&f), &errors)
            });
            if page.status().is_success() {
                *page.status_mut() = axum::http::StatusCode::BAD_REQUEST;
            }
            page
        }
    }
}

/// The grant types of a rule: (label, Okta's name, checked by default).
const RULE_GRANTS: [(&str, &str, bool); 5] = [
    ("Client Credentials", "client_credentials", true),
    ("Authorization Code", "authorization_code", true),
    (
        "Device Authorization",
        "urn:ietf:params:oauth:grant-type:device_code",
        false,
    ),
    ("Resource Owner Password", "password", false),
    ("Implicit (hybrid)", "implicit", false),
];

fn grant_label(name: &str) -> &str {
    match name {
        "refresh_token" => "Refresh Token",
        other => RULE_GRANTS
            .iter()
            .find(|(_, n, _)| *n == other)
            .map_or(other, |(l, _, _)| l),
    }
}

fn lifetime(minutes: u32) -> String {
    match minutes {
        0 => "Unlimited".to_string(),
        1440 => "1 day".to_string(),
        60 => "1 hour".to_string(),
        m if m % 1440 == 0 => format!("{} days", m / 1440),
        m if m % 60 == 0 => format!("{} hours", m / 60),
        m => format!("{m} minutes"),
    }
}

/// The rule form's values: lifetimes as (number, unit).
struct RuleForm {
    name: String,
    grants: Vec<String>,
    some_scopes: bool,
    scopes: Vec<String>,
    access: (String, String),
    refresh: (String, String),
    window: (String, String),
}

impl Default for RuleForm {
    fn default() -> RuleForm {
        RuleForm {
            name: String::new(),
            grants: RULE_GRANTS
                .iter()
                .filter(|(_, _, on)| *on)
                .map(|(_, n, _)| (*n).to_string())
                .collect(),
            some_scopes: false,
            scopes: Vec::new(),
            // Okta's defaults (and the core's): 1 hour; unlimited, expiring unused after 7 days.
            access: ("1".into(), "hours".into()),
            refresh: ("".into(), "unlimited".into()),
            window: ("7".into(), "days".into()),
        }
    }
}

fn units(name: &str, id: &str, current: &str, unlimited: bool) -> Markup {
    html! {
        select name=(name) id=(id) aria-label="Unit" {
            @if unlimited { option value="unlimited" selected[current == "unlimited"] { "Unlimited" } }
            @for (v, t) in [("minutes", "Minutes"), ("hours", "Hours"), ("days", "Days")] {
                option value=(v) selected[current == v] { (t) }
            }
        }
    }
}

fn minutes(value: &(String, String), field: &str) -> Result<Option<u32>, FieldErrors> {
    let factor = match value.1.as_str() {
        "unlimited" => return Ok(Some(0)),
        "minutes" => 1,
        "hours" => 60,
        "days" => 1440,
        _ => return Err(FieldErrors::one(field, "Select a unit.")),
    };
    value
        .0
        .trim()
        .parse::<u32>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .map(Some)
        .ok_or_else(|| FieldErrors::one(field, "Enter a whole number."))
}

fn rule_body(
    admin: &Admin,
    server: &AuthServer,
    policy_id: &str,
    f: &RuleForm,
    errors: &FieldErrors,
) -> Markup {
    let policy_name = server
        .policies
        .iter()
        .find(|p| p.id == policy_id)
        .map(|p| p.name.clone())
        .unwrap_or_default();
    let access = "actions.token.accessTokenLifetimeMinutes";
    let refresh = "actions.token.refreshTokenLifetimeMinutes";
    let window = "actions.token.refreshTokenWindowMinutes";
    html! {
        (server_tabs(server, "Access Policies"))
        div.box {
            h2 { "Add Rule" }
            p.hint { "Policy: " (policy_name) }
            (errors.others(&["name", "conditions.grantTypes", "conditions.scopes", "actions.token"]))
            form method="post" action={ "/admin/security/api/" (server.id) "/policies/" (policy_id) "/rules" } {
                (csrf(admin))
                label for="rule-name" { "Rule Name" }
                input #rule-name type="text" name="name" value=(f.name);
                (errors.at("name"))
                fieldset {
                    legend { "IF Grant type is" }
                    @for (label, name, _) in RULE_GRANTS {
                        label.inline { input type="checkbox" name="grant_type" value=(name) checked[f.grants.iter().any(|g| g == name)]; (label) }
                        br;
                    }
                    (errors.at("conditions.grantTypes"))
                }
                fieldset {
                    legend { "AND User is" }
                    label.inline { input type="radio" name="people" value="assigned" checked; "Any user assigned the app" }
                }
                fieldset {
                    legend { "AND Scopes requested" }
                    label.inline { input type="radio" name="scopes_mode" value="any" checked[!f.some_scopes]; "Any scopes" }
                    br;
                    label.inline { input type="radio" name="scopes_mode" value="some" checked[f.some_scopes]; "The following scopes:" }
                    div {
                        @for sc in &server.scopes {
                            label.inline { input type="checkbox" name="scope" value=(sc.name) checked[f.scopes.contains(&sc.name)]; (sc.name) }
                            " "
                        }
                    }
                    (errors.at("conditions.scopes"))
                }
                fieldset {
                    legend { "THEN" }
                    label for="access-lifetime" { "Access token lifetime is" }
                    input #access-lifetime type="number" name="access" value=(f.access.0);
                    (units("access_unit", "access-unit", &f.access.1, false))
                    (errors.at(access))
                    label for="refresh-lifetime" { "Refresh token lifetime is" }
                    input #refresh-lifetime type="number" name="refresh" value=(f.refresh.0);
                    (units("refresh_unit", "refresh-unit", &f.refresh.1, true))
                    (errors.at(refresh))
                    label for="refresh-window" { "but will expire if not used every" }
                    input #refresh-window type="number" name="window" value=(f.window.0);
                    (units("window_unit", "window-unit", &f.window.1, false))
                    (errors.at(window))
                }
                button type="submit" { "Create rule" }
                a href={ "/admin/security/api/" (server.id) "/policies" } { "Cancel" }
            }
        }
    }
}

async fn rule_form(
    State(s): State<AppState>,
    admin: Admin,
    Path((id, pid)): Path<(String, String)>,
) -> Response {
    if let Err(e) = s.org.lock().policy(&id, &pid) {
        return not_found(&admin, &e);
    }
    with_server(&s, &admin, &id, |_, server| {
        rule_body(
            &admin,
            server,
            &pid,
            &RuleForm::default(),
            &FieldErrors::default(),
        )
    })
}

async fn add_rule(
    State(s): State<AppState>,
    admin: Admin,
    Path((id, pid)): Path<(String, String)>,
    post: Post,
) -> Response {
    let pair = |n: &str, u: &str| (post.get(n).to_string(), post.get(u).to_string());
    let f = RuleForm {
        name: post.get("name").to_string(),
        grants: post.all("grant_type"),
        some_scopes: post.get("scopes_mode") == "some",
        scopes: post.all("scope"),
        access: pair("access", "access_unit"),
        refresh: pair("refresh", "refresh_unit"),
        window: pair("window", "window_unit"),
    };
    let result = (|| {
        let access = minutes(&f.access, "actions.token.accessTokenLifetimeMinutes")?;
        let refresh = minutes(&f.refresh, "actions.token.refreshTokenLifetimeMinutes")?;
        let window = minutes(&f.window, "actions.token.refreshTokenWindowMinutes")?;
        if f.some_scopes && f.scopes.is_empty() {
            return Err(FieldErrors::one(
                "conditions.scopes",
                "Select at least one scope.",
            ));
        }
        let new = NewRule {
            name: f.name.clone(),
            priority: None,
            active: None,
            grant_types: f.grants.clone(),
            scopes: if f.some_scopes {
                f.scopes.clone()
            } else {
                Vec::new()
            },
            users_include: Vec::new(),
            groups_include: Vec::new(),
            access_token_lifetime_minutes: access,
            refresh_token_lifetime_minutes: refresh,
            refresh_token_window_minutes: window,
        };
        let now = s.clock.now();
        s.org
            .lock()
            .create_rule(now, &id, &pid, new)
            .map_err(|e| FieldErrors::of(&e))
    })();
    match result {
        Ok(_) => see_other(&format!("/admin/security/api/{id}/policies")),
        Err(errors) => {
            let mut page = with_server(&s, &admin, &id, |_, server| {
                rule_body(&admin, server, &pid, &f, &errors)
            });
            if page.status().is_success() {
                *page.status_mut() = axum::http::StatusCode::BAD_REQUEST;
            }
            page
        }
    }
}

// ---- Token Preview -------------------------------------------------------------------------

/// The grant types Token Preview offers: (label, Okta's name).
const PREVIEW_GRANTS: [(&str, &str); 4] = [
    ("Authorization Code", "authorization_code"),
    ("Client Credentials", "client_credentials"),
    ("Implicit", "implicit"),
    ("Resource Owner Password", "password"),
];

#[derive(Default)]
struct PreviewForm {
    client: String,
    grant: String,
    user: String,
    scopes: Vec<String>,
}

fn preview_body(
    admin: &Admin,
    org: &Org,
    server: &AuthServer,
    f: &PreviewForm,
    result: Option<Markup>,
) -> Markup {
    html! {
        (server_tabs(server, "Token Preview"))
        div.box {
            h2 { "Request Properties" }
            form method="post" action={ "/admin/security/api/" (server.id) "/preview" } {
                (csrf(admin))
                label for="preview-client" { "OAuth/OIDC client" }
                select #preview-client name="client" {
                    option value="" { "Select a client" }
                    @for a in org.apps.iter().filter(|a| a.sign_on_mode == SignOnMode::OpenIdConnect) {
                        option value=(a.id) selected[f.client == a.id] { (a.label) }
                    }
                }
                label for="preview-grant" { "Grant type" }
                select #preview-grant name="grant" {
                    option value="" { "Select a grant type" }
                    @for (label, name) in PREVIEW_GRANTS {
                        option value=(name) selected[f.grant == name] { (label) }
                    }
                }
                label for="preview-user" { "User" }
                input #preview-user type="text" name="user" value=(f.user) placeholder="Username";
                fieldset {
                    legend { "Scopes" }
                    @for sc in &server.scopes {
                        label.inline { input type="checkbox" name="scope" value=(sc.name) checked[f.scopes.contains(&sc.name)]; (sc.name) }
                        " "
                    }
                }
                button type="submit" { "Preview Token" }
            }
        }
        @if let Some(r) = result {
            div.box #preview {
                h2 { "Preview" }
                (r)
            }
        }
    }
}

async fn preview_form(State(s): State<AppState>, admin: Admin, Path(id): Path<String>) -> Response {
    with_server(&s, &admin, &id, |org, server| {
        preview_body(&admin, org, server, &PreviewForm::default(), None)
    })
}

async fn preview(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    post: Post,
) -> Response {
    let f = PreviewForm {
        client: post.get("client").to_string(),
        grant: post.get("grant").to_string(),
        user: post.get("user").trim().to_string(),
        scopes: post.all("scope"),
    };
    let now = s.clock.now();
    with_server(&s, &admin, &id, |org, server| {
        let outcome = if f.client.is_empty() {
            Err("Select an OAuth/OIDC client.".to_string())
        } else if f.grant.is_empty() {
            Err("Select a grant type.".to_string())
        } else {
            org.preview(now, &server.id, &f.client, &f.grant, &f.user, &f.scopes)
                .map_err(|(e, reason)| format!("{}: {} ({reason})", e.error, e.description))
        };
        let result = match outcome {
            Ok(p) => {
                let payload = serde_json::to_string_pretty(&p.access_token).unwrap_or_default();
                let id_token = p
                    .id_token
                    .as_ref()
                    .map(|t| serde_json::to_string_pretty(t).unwrap_or_default());
                html! {
                    h3 { "token" }
                    h4 { "Payload" }
                    pre #payload { (payload) }
                    @if let Some(t) = id_token {
                        h3 { "id_token" }
                        h4 { "Payload" }
                        pre #id-payload { (t) }
                    }
                    @if p.refresh_token { p { "A refresh token would be issued." } }
                }
            }
            Err(text) => html! { p.error role="alert" { (text) } },
        };
        preview_body(&admin, org, server, &f, Some(result))
    })
}
