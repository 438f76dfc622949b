//! Applications → Applications: the list, "Create App Integration" (OIDC - OpenID Connect →
//! Native / Web / Single-Page Application), "Browse App Catalog" (AWS IAM Identity Center,
//! "Add Integration"), an app's General tab and its Assignments ("Assign" → "Assign to
//! People" / "Assign to Groups", the X that removes one).

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, html};

use super::{Admin, FieldErrors, Post, csrf, layout, not_found, query, refused, see_other, tabs};
use crate::core::apps::{App, ApplicationType, NewOidcApp, SignOnMode};
use crate::core::catalog::{self, NewCatalogApp};
use crate::core::{OktaError, Org};
use crate::wire::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/apps", get(list))
        .route("/admin/apps/create", get(create_choice))
        .route("/admin/apps/oidc/new", get(new_oidc).post(create_oidc))
        .route("/admin/apps/catalog", get(catalog_list))
        .route("/admin/apps/catalog/{name}", get(catalog_entry))
        .route(
            "/admin/apps/catalog/{name}/add",
            get(catalog_add_form).post(catalog_add),
        )
        .route("/admin/apps/{id}", get(general))
        .route("/admin/apps/{id}/assignments", get(assignments))
        .route("/admin/apps/{id}/assign/{kind}", get(assign_list))
        .route("/admin/apps/{id}/assign/{kind}", post(assign))
        .route("/admin/apps/{id}/unassign/{kind}", post(unassign))
}

fn now(s: &AppState) -> std::time::SystemTime {
    s.clock.now()
}

async fn list(
    State(s): State<AppState>,
    admin: Admin,
    Query(q): Query<HashMap<String, String>>,
) -> Markup {
    let search = q.get("q").map(String::as_str).unwrap_or_default();
    let org = s.org.lock();
    let apps = org.list_apps((!search.is_empty()).then_some(search));
    let body = html! {
        h1 { "Applications" }
        form method="get" action="/admin/apps/create" class="inline" {
            button type="submit" { "Create App Integration" }
        }
        form method="get" action="/admin/apps/catalog" class="inline" {
            button type="submit" { "Browse App Catalog" }
        }
        form method="get" action="/admin/apps" {
            label for="app-search" { "Search" }
            input #app-search type="text" name="q" value=(search);
            button type="submit" { "Search" }
        }
        table {
            tr { th { "Name" } th { "Type" } th { "Status" } }
            @for app in &apps {
                tr {
                    td { a href={ "/admin/apps/" (app.id) } { (app.label) } }
                    td { (app_type(app)) }
                    td { @if app.status == crate::core::apps::AppStatus::Active { "Active" } @else { "Inactive" } }
                }
            }
        }
    };
    drop(org);
    layout(&admin, "Applications", body)
}

fn app_type(app: &App) -> &'static str {
    match (app.sign_on_mode, app.application_type) {
        (SignOnMode::Saml2, _) => "SAML 2.0",
        (_, ApplicationType::Native) => "OIDC - Native Application",
        (_, ApplicationType::Web) => "OIDC - Web Application",
        (_, ApplicationType::Browser) => "OIDC - Single-Page Application",
        (_, ApplicationType::Service) => "API Services",
    }
}

async fn create_choice(admin: Admin) -> Markup {
    layout(
        &admin,
        "Create a new app integration",
        html! {
            h1 { "Create a new app integration" }
            form method="get" action="/admin/apps/oidc/new" {
                fieldset {
                    legend { "Sign-in method" }
                    label.inline { input type="radio" name="method" value="oidc" checked; "OIDC - OpenID Connect" }
                    br;
                    label.inline { input type="radio" name="method" value="service"; "API Services" }
                }
                fieldset {
                    legend { "Application type" }
                    label.inline { input type="radio" name="type" value="web"; "Web Application" }
                    br;
                    label.inline { input type="radio" name="type" value="browser"; "Single-Page Application" }
                    br;
                    label.inline { input type="radio" name="type" value="native"; "Native Application" }
                }
                button type="submit" { "Next" }
                a href="/admin/apps" { "Cancel" }
            }
        },
    )
}

/// The grant types the form offers: (label, Okta's name).
const GRANTS: [(&str, &str); 6] = [
    ("Authorization Code", "authorization_code"),
    ("Refresh Token", "refresh_token"),
    ("Implicit (hybrid)", "implicit"),
    ("Resource Owner Password", "password"),
    ("Client Credentials", "client_credentials"),
    (
        "Device Authorization",
        "urn:ietf:params:oauth:grant-type:device_code",
    ),
];

/// What the new-app form shows (and re-shows after a refusal).
struct OidcForm {
    app_type: ApplicationType,
    label: String,
    grants: Vec<String>,
    redirects: String,
    logout_redirects: String,
    groups: Vec<String>,
    limit_to_groups: bool,
}

fn type_from(q: Option<&str>, method: Option<&str>) -> ApplicationType {
    if method == Some("service") {
        return ApplicationType::Service;
    }
    q.and_then(ApplicationType::parse)
        .unwrap_or(ApplicationType::Native)
}

fn type_name(t: ApplicationType) -> &'static str {
    match t {
        ApplicationType::Native => "Native",
        ApplicationType::Web => "Web",
        ApplicationType::Browser => "Single-Page",
        ApplicationType::Service => "API Services",
    }
}

async fn new_oidc(
    State(s): State<AppState>,
    admin: Admin,
    Query(q): Query<HashMap<String, String>>,
) -> Markup {
    let app_type = type_from(
        q.get("type").map(String::as_str),
        q.get("method").map(String::as_str),
    );
    let grants = match app_type {
        ApplicationType::Service => vec!["client_credentials".to_string()],
        _ => vec!["authorization_code".to_string()],
    };
    let form = OidcForm {
        app_type,
        label: format!(
            "My {} App",
            match app_type {
                ApplicationType::Native => "Native",
                ApplicationType::Web => "Web",
                ApplicationType::Browser => "SPA",
                ApplicationType::Service => "API Services",
            }
        ),
        grants,
        redirects: String::new(),
        logout_redirects: String::new(),
        groups: Vec::new(),
        limit_to_groups: false,
    };
    let org = s.org.lock();
    oidc_page(&admin, &org, &form, &FieldErrors::default())
}

fn oidc_page(admin: &Admin, org: &Org, f: &OidcForm, errors: &FieldErrors) -> Markup {
    let title = format!("New {} App Integration", type_name(f.app_type));
    layout(
        admin,
        &title,
        html! {
            h1 { (title) }
            (errors.others(&["label", "grant_types", "redirect_uris", "post_logout_redirect_uris"]))
            form method="post" action="/admin/apps/oidc/new" {
                (csrf(admin))
                input type="hidden" name="type" value=(f.app_type.as_str());
                div.box {
                    h2 { "General Settings" }
                    label for="label" { "App integration name" }
                    input #label type="text" name="label" value=(f.label);
                    (errors.at("label"))
                    fieldset {
                        legend { "Grant type" }
                        @for (text, name) in GRANTS {
                            label.inline {
                                input type="checkbox" name="grant_type" value=(name) checked[f.grants.iter().any(|g| g == name)];
                                (text)
                            }
                            br;
                        }
                        (errors.at("grant_types"))
                    }
                    @if f.app_type != ApplicationType::Service {
                        label for="redirect_uris" { "Sign-in redirect URIs" }
                        textarea #redirect_uris name="redirect_uris" placeholder="One URI per line" { (f.redirects) }
                        (errors.at("redirect_uris"))
                        label for="post_logout_redirect_uris" { "Sign-out redirect URIs" }
                        textarea #post_logout_redirect_uris name="post_logout_redirect_uris" placeholder="One URI per line (optional)" { (f.logout_redirects) }
                        (errors.at("post_logout_redirect_uris"))
                    }
                }
                @if f.app_type != ApplicationType::Service {
                    div.box {
                        h2 { "Assignments" }
                        fieldset {
                            legend { "Controlled access" }
                            label.inline { input type="radio" name="access" value="groups" checked[f.limit_to_groups]; "Limit access to selected groups" }
                            br;
                            label.inline { input type="radio" name="access" value="skip" checked[!f.limit_to_groups]; "Skip group assignment for now" }
                        }
                        label for="groups" { "Selected group(s)" }
                        select #groups name="group" multiple {
                            @for g in &org.groups {
                                option value=(g.id) selected[f.groups.contains(&g.id)] { (g.name) }
                            }
                        }
                        (errors.at("groups"))
                    }
                }
                button type="submit" { "Save" }
                a href="/admin/apps" { "Cancel" }
            }
        },
    )
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

async fn create_oidc(State(s): State<AppState>, admin: Admin, post: Post) -> Response {
    let app_type = type_from(post.form.get("type"), None);
    let form = OidcForm {
        app_type,
        label: post.get("label").to_string(),
        grants: post.all("grant_type"),
        redirects: post.get("redirect_uris").to_string(),
        logout_redirects: post.get("post_logout_redirect_uris").to_string(),
        groups: post.all("group"),
        limit_to_groups: post.get("access") == "groups",
    };
    let new = NewOidcApp {
        label: form.label.clone(),
        application_type: app_type,
        grant_types: form.grants.clone(),
        redirect_uris: lines(&form.redirects),
        post_logout_redirect_uris: lines(&form.logout_redirects),
        response_types: Vec::new(),
        token_endpoint_auth_method: None,
        jwks: Vec::new(),
        refresh_rotation: None,
        refresh_leeway_secs: None,
        activate: true,
    };
    let now = now(&s);
    let mut org = s.org.lock();
    // The groups are checked before anything is created: a refusal changes nothing.
    let groups = if form.limit_to_groups {
        form.groups.clone()
    } else {
        Vec::new()
    };
    let missing = if form.limit_to_groups && groups.is_empty() {
        Some(FieldErrors::one("groups", "Select at least one group."))
    } else {
        groups
            .iter()
            .find_map(|g| org.group(g).err())
            .map(|e| FieldErrors::one("groups", e.to_string()))
    };
    if form.grants.is_empty() {
        // Okta's console refuses before the API does: a grant type is required.
        let errors = FieldErrors::one("grant_types", "At least one grant type must be selected.");
        return refused(oidc_page(&admin, &org, &form, &errors));
    }
    if let Some(errors) = missing {
        return refused(oidc_page(&admin, &org, &form, &errors));
    }
    match org.create_oidc_app(now, new) {
        Ok(app) => {
            for g in &groups {
                // Checked above under the same lock.
                let _ = org.assign_group(now, &app.id, g);
            }
            see_other(&format!("/admin/apps/{}", app.id))
        }
        Err(e) => refused(oidc_page(&admin, &org, &form, &FieldErrors::of(&e))),
    }
}

/// The tabs of an app: an OIDC app's, or a provisioning catalog app's.
pub(super) fn app_tabs(app: &App, active: &str) -> Markup {
    let base = format!("/admin/apps/{}", app.id);
    let mut items = vec![("General", base.clone())];
    if app.sign_on_mode == SignOnMode::Saml2 {
        items.push(("Sign On", format!("{base}?tab=signon")));
        items.push(("Provisioning", format!("{base}/provisioning")));
        items.push(("Push Groups", format!("{base}/push-groups")));
    }
    items.push(("Assignments", format!("{base}/assignments")));
    html! {
        h1 { (app.label) }
        p.hint { (app_type(app)) " · " (if app.status == crate::core::apps::AppStatus::Active { "Active" } else { "Inactive" }) }
        (tabs(&items, active))
    }
}

fn grant_label(name: &str) -> &str {
    GRANTS
        .iter()
        .find(|(_, n)| *n == name)
        .map_or(name, |(t, _)| t)
}

async fn general(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let org = s.org.lock();
    let app = match org.app(&id) {
        Ok(app) => app,
        Err(e) => return not_found(&admin, &e),
    };
    let signon = q.get("tab").is_some_and(|t| t == "signon");
    let body = if app.sign_on_mode == SignOnMode::Saml2 {
        let saml = app.saml.clone().unwrap_or_default();
        html! {
            (app_tabs(app, if signon { "Sign On" } else { "General" }))
            @if signon {
                div.box {
                    h2 { "Settings" }
                    p { "SAML 2.0. Kiro uses the OIDC app for sign-in, not SAML: the defaults can stay." }
                    table {
                        tr { th { "ACS URL" } td { (saml.acs_url.unwrap_or_default()) } }
                        tr { th { "Issuer URL" } td { (saml.entity_id.unwrap_or_default()) } }
                    }
                }
            } @else {
                div.box {
                    h2 { "General Settings" }
                    table {
                        tr { th { "Application label" } td { (app.label) } }
                        tr { th { "Application" } td { (app.name) } }
                    }
                }
            }
        }
    } else {
        html! {
            (app_tabs(app, "General"))
            div.box {
                h2 { "Client Credentials" }
                table {
                    tr { th { "Client ID" } td #client-id { (app.id) } }
                    tr { th { "Client authentication" } td {
                        @if app.token_endpoint_auth_method == "none" { "None" }
                        @else if app.token_endpoint_auth_method == "private_key_jwt" { "Public key / Private key" }
                        @else { "Client secret" }
                    } }
                    @if app.token_endpoint_auth_method == "none" {
                        tr { th { "Proof Key for Code Exchange (PKCE)" } td { "Require PKCE as additional verification" } }
                    }
                }
            }
            div.box {
                h2 { "General Settings" }
                table {
                    tr { th { "App integration name" } td { (app.label) } }
                    tr { th { "Application type" } td { (type_name(app.application_type)) } }
                    tr { th { "Grant type" } td {
                        @for g in &app.grant_types { (grant_label(g)) br; }
                    } }
                }
            }
            div.box {
                h2 { "LOGIN" }
                table {
                    tr { th { "Sign-in redirect URIs" } td {
                        @for u in &app.redirect_uris { code { (u) } br; }
                    } }
                    tr { th { "Sign-out redirect URIs" } td {
                        @for u in &app.post_logout_redirect_uris { code { (u) } br; }
                    } }
                }
            }
        }
    };
    let title = app.label.clone();
    drop(org);
    layout(&admin, &title, body).into_response()
}

async fn assignments(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let org = s.org.lock();
    let app = match org.app(&id) {
        Ok(app) => app,
        Err(e) => return not_found(&admin, &e),
    };
    let menu = q.get("menu").is_some_and(|m| m == "assign");
    let body = html! {
        (app_tabs(app, "Assignments"))
        form method="get" action={ "/admin/apps/" (app.id) "/assignments" } class="inline" {
            input type="hidden" name="menu" value="assign";
            button type="submit" { "Assign" }
        }
        @if menu {
            div.box role="menu" {
                a role="menuitem" href={ "/admin/apps/" (app.id) "/assign/people" } { "Assign to People" }
                " "
                a role="menuitem" href={ "/admin/apps/" (app.id) "/assign/groups" } { "Assign to Groups" }
            }
        }
        h2 { "People" }
        table {
            tr { th { "Person" } th { "Type" } th {} }
            @for uid in &app.assigned_users {
                @if let Ok(u) = org.user(uid) {
                    tr {
                        td { (u.display_name()) br; span.hint { (u.login()) } }
                        td { "Individual" }
                        td { form method="post" action={ "/admin/apps/" (app.id) "/unassign/people" } class="inline" {
                            (csrf(&admin))
                            input type="hidden" name="id" value=(u.id);
                            button type="submit" aria-label={ "Remove " (u.login()) } title="Remove" { "X" }
                        } }
                    }
                }
            }
        }
        h2 { "Groups" }
        table {
            tr { th { "Group" } th {} }
            @for gid in &app.assigned_groups {
                @if let Ok(g) = org.group(gid) {
                    tr {
                        td { (g.name) }
                        td { form method="post" action={ "/admin/apps/" (app.id) "/unassign/groups" } class="inline" {
                            (csrf(&admin))
                            input type="hidden" name="id" value=(g.id);
                            button type="submit" aria-label={ "Remove " (g.name) } title="Remove" { "X" }
                        } }
                    }
                }
            }
        }
    };
    let title = app.label.clone();
    drop(org);
    layout(&admin, &title, body).into_response()
}

/// The "Assign to People" / "Assign to Groups" lists: search, then "Assign" on a row.
async fn assign_list(
    State(s): State<AppState>,
    admin: Admin,
    Path((id, kind)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let org = s.org.lock();
    assign_page(&admin, &org, &id, &kind, &q, &FieldErrors::default())
}

fn assign_page(
    admin: &Admin,
    org: &Org,
    id: &str,
    kind: &str,
    q: &HashMap<String, String>,
    errors: &FieldErrors,
) -> Response {
    let app = match org.app(id) {
        Ok(app) => app,
        Err(e) => return not_found(admin, &e),
    };
    let search = q.get("q").map(String::as_str).unwrap_or_default();
    let people = kind == "people";
    let title = if people {
        format!("Assign {} to People", app.label)
    } else {
        format!("Assign {} to Groups", app.label)
    };
    let rows: Vec<(String, String, bool)> = if people {
        match org.list_users((!search.is_empty()).then_some(search), None) {
            Ok(users) => users
                .into_iter()
                .take(super::PAGE_SIZE)
                .map(|u| {
                    let label = format!("{} ({})", u.display_name(), u.login());
                    (u.id.clone(), label, app.assigned_users.contains(&u.id))
                })
                .collect(),
            Err(_) => Vec::new(),
        }
    } else {
        org.list_groups((!search.is_empty()).then_some(search))
            .into_iter()
            .take(super::PAGE_SIZE)
            .map(|g| {
                (
                    g.id.clone(),
                    g.name.clone(),
                    app.assigned_groups.contains(&g.id),
                )
            })
            .collect()
    };
    let body = html! {
        h1 { (title) }
        (errors.others(&[]))
        form method="get" action={ "/admin/apps/" (app.id) "/assign/" (kind) } {
            label for="assign-search" { "Search" }
            input #assign-search type="text" name="q" value=(search);
            button type="submit" { "Search" }
        }
        table {
            @for (rid, label, assigned) in &rows {
                tr {
                    td { (label) }
                    td {
                        @if *assigned { "Assigned" } @else {
                            form method="post" action={ "/admin/apps/" (app.id) "/assign/" (kind) (query(&[("q", search)])) } class="inline" {
                                (csrf(admin))
                                input type="hidden" name="id" value=(rid);
                                button type="submit" { "Assign" }
                            }
                        }
                    }
                }
            }
        }
        a href={ "/admin/apps/" (app.id) "/assignments" } { "Done" }
    };
    layout(admin, &title, body).into_response()
}

async fn assign(
    State(s): State<AppState>,
    admin: Admin,
    Path((id, kind)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    post: Post,
) -> Response {
    let now = now(&s);
    let mut org = s.org.lock();
    let target = post.get("id");
    let result = match kind.as_str() {
        "people" => org.assign_user(now, &id, target),
        "groups" => org.assign_group(now, &id, target),
        _ => Err(OktaError::not_found("AppInstance", &id)),
    };
    match result {
        Ok(()) => see_other(&format!(
            "/admin/apps/{id}/assign/{kind}{}",
            query(&[("q", q.get("q").map(String::as_str).unwrap_or_default())])
        )),
        Err(e) => {
            let page = assign_page(&admin, &org, &id, &kind, &q, &FieldErrors::of(&e));
            let mut page = page;
            *page.status_mut() = axum::http::StatusCode::BAD_REQUEST;
            page
        }
    }
}

async fn unassign(
    State(s): State<AppState>,
    admin: Admin,
    Path((id, kind)): Path<(String, String)>,
    post: Post,
) -> Response {
    let now = now(&s);
    let mut org = s.org.lock();
    let target = post.get("id");
    let result = match kind.as_str() {
        "people" => org.unassign_user(now, &id, target),
        "groups" => org.unassign_group(now, &id, target),
        _ => Err(OktaError::not_found("AppInstance", &id)),
    };
    match result {
        Ok(()) => see_other(&format!("/admin/apps/{id}/assignments")),
        Err(e) => not_found(&admin, &e),
    }
}

// ---- the catalog ---------------------------------------------------------------------------

async fn catalog_list(admin: Admin, Query(q): Query<HashMap<String, String>>) -> Markup {
    let search = q.get("q").map(String::as_str).unwrap_or_default();
    let entries = catalog::search((!search.is_empty()).then_some(search));
    layout(
        &admin,
        "Browse App Integration Catalog",
        html! {
            h1 { "Browse App Integration Catalog" }
            form method="get" action="/admin/apps/catalog" {
                label for="catalog-search" { "Search" }
                input #catalog-search type="text" name="q" value=(search);
                button type="submit" { "Search" }
            }
            @for c in &entries {
                div.box {
                    a href={ "/admin/apps/catalog/" (c.name) } { (c.display_name) }
                    p.hint { (c.description) }
                }
            }
            @if entries.is_empty() { p { "No results" } }
        },
    )
}

async fn catalog_entry(admin: Admin, Path(name): Path<String>) -> Response {
    let Some(c) = catalog::catalog_app(&name) else {
        return not_found(&admin, &OktaError::not_found("CatalogApp", &name));
    };
    layout(
        &admin,
        c.display_name,
        html! {
            h1 { (c.display_name) }
            p { (c.description) }
            p.hint { "Category: " (c.category) }
            form method="get" action={ "/admin/apps/catalog/" (c.name) "/add" } {
                button type="submit" { "Add Integration" }
            }
        },
    )
    .into_response()
}

async fn catalog_add_form(admin: Admin, Path(name): Path<String>) -> Response {
    let Some(c) = catalog::catalog_app(&name) else {
        return not_found(&admin, &OktaError::not_found("CatalogApp", &name));
    };
    catalog_add_page(&admin, c, c.display_name, &FieldErrors::default()).into_response()
}

fn catalog_add_page(
    admin: &Admin,
    c: &catalog::CatalogApp,
    label: &str,
    errors: &FieldErrors,
) -> Markup {
    layout(
        admin,
        c.display_name,
        html! {
            h1 { "Add " (c.display_name) }
            (errors.others(&["label"]))
            form method="post" action={ "/admin/apps/catalog/" (c.name) "/add" } {
                (csrf(admin))
                div.box {
                    h2 { "General Settings" }
                    label for="label" { "Application label" }
                    input #label type="text" name="label" value=(label);
                    (errors.at("label"))
                }
                button type="submit" { "Done" }
            }
        },
    )
}

async fn catalog_add(
    State(s): State<AppState>,
    admin: Admin,
    Path(name): Path<String>,
    post: Post,
) -> Response {
    let Some(c) = catalog::catalog_app(&name) else {
        return not_found(&admin, &OktaError::not_found("CatalogApp", &name));
    };
    let label = post.get("label").to_string();
    let new = NewCatalogApp {
        name: c.name.to_string(),
        label: Some(label.clone()),
        sign_on_mode: None,
        saml: Default::default(),
        activate: true,
    };
    let now = now(&s);
    let result = s.org.lock().create_catalog_app(now, new);
    match result {
        Ok(app) => see_other(&format!("/admin/apps/{}", app.id)),
        Err(e) => refused(catalog_add_page(&admin, c, &label, &FieldErrors::of(&e))),
    }
}
