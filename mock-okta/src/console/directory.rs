//! Directory → People and Groups: paginated, searchable lists ("Add person", "Add group"), a
//! person's page ("Deactivate", "Activate") and a group's page ("Assign people").
//!
//! The lists render one page: the core's filter runs over every user (no copy of a profile),
//! and only the page's rows are rendered, so 10,000 users stay fast (see `benches/okta.rs`).

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde_json::{Map, Value};

use super::{
    Admin, FieldErrors, PAGE_SIZE, Post, csrf, layout, not_found, pager, query, refused, see_other,
};
use crate::core::{NewUser, Org, UserStatus};
use crate::wire::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/people", get(people))
        .route("/admin/people/new", get(new_person).post(create_person))
        .route("/admin/people/{id}", get(person))
        .route("/admin/people/{id}/lifecycle/{action}", post(lifecycle))
        .route("/admin/groups", get(groups))
        .route("/admin/groups/new", get(new_group).post(create_group))
        .route("/admin/groups/{id}", get(group))
        .route("/admin/groups/{id}/members", post(add_member))
        .route("/admin/groups/{id}/members/remove", post(remove_member))
}

fn offset(q: &HashMap<String, String>) -> usize {
    q.get("offset").and_then(|o| o.parse().ok()).unwrap_or(0)
}

pub(crate) fn status_text(s: UserStatus) -> &'static str {
    match s {
        UserStatus::Staged => "Staged",
        UserStatus::Provisioned => "Pending user action",
        UserStatus::Active => "Active",
        UserStatus::Suspended => "Suspended",
        UserStatus::Deprovisioned => "Deactivated",
    }
}

/// The People page's body for `search` from `offset` (also what the bench renders).
pub(crate) fn people_body(org: &Org, search: &str, offset: usize) -> Markup {
    let users = org
        .list_users((!search.is_empty()).then_some(search), None)
        .unwrap_or_default();
    let offset = offset.min(users.len());
    let page = &users[offset..(offset + PAGE_SIZE).min(users.len())];
    html! {
        h1 { "People" }
        form method="get" action="/admin/people/new" class="inline" {
            button type="submit" { "Add person" }
        }
        form method="get" action="/admin/people" {
            label for="people-search" { "Search" }
            input #people-search type="text" name="q" value=(search);
            button type="submit" { "Search" }
        }
        (pager(users.len(), offset, |o| format!("/admin/people{}", query(&[("q", search), ("offset", &o.to_string())]))))
        table #people {
            tr { th { "Person & username" } th { "Primary email" } th { "Status" } }
            @for u in page {
                tr {
                    td { a href={ "/admin/people/" (u.id) } { (u.display_name()) } br; span.hint { (u.login()) } }
                    td { (u.profile_str("email")) }
                    td { (status_text(u.status)) }
                }
            }
        }
    }
}

async fn people(
    State(s): State<AppState>,
    admin: Admin,
    Query(q): Query<HashMap<String, String>>,
) -> Markup {
    let search = q.get("q").map(String::as_str).unwrap_or_default().trim();
    let body = people_body(&s.org.lock(), search, offset(&q));
    layout(&admin, "People", body)
}

#[derive(Default)]
struct PersonForm {
    first: String,
    last: String,
    login: String,
    email: String,
    activate: bool,
}

fn person_form(admin: &Admin, f: &PersonForm, errors: &FieldErrors) -> Markup {
    layout(
        admin,
        "Add Person",
        html! {
            h1 { "Add Person" }
            (errors.others(&["firstName", "lastName", "login", "email", "password"]))
            form method="post" action="/admin/people/new" {
                (csrf(admin))
                label for="first-name" { "First name" }
                input #first-name type="text" name="firstName" value=(f.first);
                (errors.at("firstName"))
                label for="last-name" { "Last name" }
                input #last-name type="text" name="lastName" value=(f.last);
                (errors.at("lastName"))
                label for="login" { "Username" }
                input #login type="text" name="login" value=(f.login);
                (errors.at("login"))
                label for="email" { "Primary email" }
                input #email type="text" name="email" value=(f.email);
                (errors.at("email"))
                label for="password" { "Password" }
                input #password type="password" name="password";
                (errors.at("password"))
                br;
                label.inline { input type="checkbox" name="activate" checked[f.activate]; "Activate now" }
                br;
                button type="submit" { "Save" }
                a href="/admin/people" { "Cancel" }
            }
        },
    )
}

async fn new_person(admin: Admin) -> Markup {
    let f = PersonForm {
        activate: true,
        ..PersonForm::default()
    };
    person_form(&admin, &f, &FieldErrors::default())
}

async fn create_person(State(s): State<AppState>, admin: Admin, post: Post) -> Response {
    let f = PersonForm {
        first: post.get("firstName").to_string(),
        last: post.get("lastName").to_string(),
        login: post.get("login").to_string(),
        email: post.get("email").to_string(),
        activate: post.on("activate"),
    };
    let mut profile = Map::new();
    for (k, v) in [
        ("firstName", &f.first),
        ("lastName", &f.last),
        ("login", &f.login),
        ("email", &f.email),
    ] {
        profile.insert(k.into(), Value::String(v.trim().to_string()));
    }
    let new = NewUser {
        profile,
        password: post.form.non_empty("password").map(str::to_string),
        activate: f.activate,
        group_ids: Vec::new(),
    };
    let now = s.clock.now();
    let result = s.org.lock().create_user(now, new);
    match result {
        Ok(user) => see_other(&format!("/admin/people/{}", user.id)),
        Err(e) => refused(person_form(&admin, &f, &FieldErrors::of(&e))),
    }
}

async fn person(State(s): State<AppState>, admin: Admin, Path(id): Path<String>) -> Response {
    let org = s.org.lock();
    let user = match org.user(&id) {
        Ok(u) => u,
        Err(e) => return not_found(&admin, &e),
    };
    let groups = org.groups_of(&user.id);
    let apps: Vec<_> = org
        .apps
        .iter()
        .filter(|a| org.is_assigned(&a.id, &user.id))
        .collect();
    let body = html! {
        h1 { (user.display_name()) }
        p { (user.login()) " · " span #status { (status_text(user.status)) } }
        @match user.status {
            UserStatus::Deprovisioned | UserStatus::Staged => {
                form method="post" action={ "/admin/people/" (user.id) "/lifecycle/activate" } {
                    (csrf(&admin))
                    button type="submit" { "Activate" }
                }
            }
            _ => {
                form method="post" action={ "/admin/people/" (user.id) "/lifecycle/deactivate" } {
                    (csrf(&admin))
                    button type="submit" { "Deactivate" }
                }
            }
        }
        div.box {
            h2 { "Profile" }
            table {
                @for (k, v) in &user.profile {
                    tr { th { (k) } td { (v.as_str().map_or_else(|| v.to_string(), str::to_string)) } }
                }
            }
        }
        div.box {
            h2 { "Groups" }
            ul { @for g in &groups { li { a href={ "/admin/groups/" (g.id) } { (g.name) } } } }
        }
        div.box {
            h2 { "Applications" }
            ul { @for a in &apps { li { a href={ "/admin/apps/" (a.id) } { (a.label) } } } }
        }
    };
    let title = user.display_name();
    drop(org);
    layout(&admin, &title, body).into_response()
}

async fn lifecycle(
    State(s): State<AppState>,
    admin: Admin,
    Path((id, action)): Path<(String, String)>,
    _post: Post,
) -> Response {
    let now = s.clock.now();
    let mut org = s.org.lock();
    let result = match action.as_str() {
        "deactivate" => org.deactivate_user(now, &id).map(|_| ()),
        "activate" => org.activate_user(now, &id).map(|_| ()),
        _ => Err(crate::core::OktaError::not_found("User", &id)),
    };
    match result {
        Ok(()) => see_other(&format!("/admin/people/{id}")),
        Err(e) => {
            drop(org);
            refused(layout(
                &admin,
                "Refused",
                html! { p.error role="alert" { (e.to_string()) } a href={ "/admin/people/" (id) } { "Back" } },
            ))
        }
    }
}

// ---- groups --------------------------------------------------------------------------------

async fn groups(
    State(s): State<AppState>,
    admin: Admin,
    Query(q): Query<HashMap<String, String>>,
) -> Markup {
    let search = q.get("q").map(String::as_str).unwrap_or_default().trim();
    let org = s.org.lock();
    let groups = org.list_groups((!search.is_empty()).then_some(search));
    let offset = offset(&q).min(groups.len());
    let page = &groups[offset..(offset + PAGE_SIZE).min(groups.len())];
    let body = html! {
        h1 { "Groups" }
        form method="get" action="/admin/groups/new" class="inline" {
            button type="submit" { "Add group" }
        }
        form method="get" action="/admin/groups" {
            label for="group-search" { "Search" }
            input #group-search type="text" name="q" value=(search);
            button type="submit" { "Search" }
        }
        (pager(groups.len(), offset, |o| format!("/admin/groups{}", query(&[("q", search), ("offset", &o.to_string())]))))
        table #groups {
            tr { th { "Name" } th { "People" } }
            @for g in page {
                tr {
                    td { a href={ "/admin/groups/" (g.id) } { (g.name) } br; span.hint { (g.description.clone().unwrap_or_default()) } }
                    td { (g.members.len()) }
                }
            }
        }
    };
    drop(org);
    layout(&admin, "Groups", body)
}

fn group_form(admin: &Admin, name: &str, description: &str, errors: &FieldErrors) -> Markup {
    layout(
        admin,
        "Add group",
        html! {
            h1 { "Add group" }
            (errors.others(&["name", "description"]))
            form method="post" action="/admin/groups/new" {
                (csrf(admin))
                label for="group-name" { "Name" }
                input #group-name type="text" name="name" value=(name);
                (errors.at("name"))
                label for="group-description" { "Description" }
                input #group-description type="text" name="description" value=(description);
                (errors.at("description"))
                br;
                button type="submit" { "Save" }
                a href="/admin/groups" { "Cancel" }
            }
        },
    )
}

async fn new_group(admin: Admin) -> Markup {
    group_form(&admin, "", "", &FieldErrors::default())
}

async fn create_group(State(s): State<AppState>, admin: Admin, post: Post) -> Response {
    let now = s.clock.now();
    let result = s
        .org
        .lock()
        .create_group(now, post.get("name"), post.opt("description"));
    match result {
        Ok(g) => see_other(&format!("/admin/groups/{}", g.id)),
        Err(e) => refused(group_form(
            &admin,
            post.get("name"),
            post.get("description"),
            &FieldErrors::of(&e),
        )),
    }
}

fn group_page(
    s: &AppState,
    admin: &Admin,
    id: &str,
    person: &str,
    errors: &FieldErrors,
) -> Response {
    let org = s.org.lock();
    let group = match org.group(id) {
        Ok(g) => g,
        Err(e) => return not_found(admin, &e),
    };
    let members = org.group_members(id).unwrap_or_default();
    let body = html! {
        h1 { (group.name) }
        p { (group.description.clone().unwrap_or_default()) }
        div.box {
            h2 { "Assign people" }
            form method="post" action={ "/admin/groups/" (group.id) "/members" } {
                (csrf(admin))
                label for="member" { "Person" }
                input #member type="text" name="user" value=(person) placeholder="Username";
                (errors.at(""))
                button type="submit" { "Assign" }
            }
        }
        h2 { "People" }
        table #members {
            tr { th { "Person & username" } th { "Status" } th {} }
            @for u in &members {
                tr {
                    td { a href={ "/admin/people/" (u.id) } { (u.display_name()) } br; span.hint { (u.login()) } }
                    td { (status_text(u.status)) }
                    td { form method="post" action={ "/admin/groups/" (group.id) "/members/remove" } class="inline" {
                        (csrf(admin))
                        input type="hidden" name="user" value=(u.id);
                        button type="submit" aria-label={ "Remove " (u.login()) } title="Remove" { "X" }
                    } }
                }
            }
        }
    };
    let title = group.name.clone();
    drop(org);
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::BAD_REQUEST
    };
    (status, layout(admin, &title, body)).into_response()
}

async fn group(State(s): State<AppState>, admin: Admin, Path(id): Path<String>) -> Response {
    group_page(&s, &admin, &id, "", &FieldErrors::default())
}

async fn add_member(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    post: Post,
) -> Response {
    let now = s.clock.now();
    let person = post.get("user").trim().to_string();
    let result = s.org.lock().add_member(now, &id, &person);
    match result {
        Ok(()) => see_other(&format!("/admin/groups/{id}")),
        Err(e) => group_page(
            &s,
            &admin,
            &id,
            &person,
            &FieldErrors::one("user", e.to_string()),
        ),
    }
}

async fn remove_member(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    post: Post,
) -> Response {
    let now = s.clock.now();
    let result = s.org.lock().remove_member(now, &id, post.get("user"));
    match result {
        Ok(()) => see_other(&format!("/admin/groups/{id}")),
        Err(e) => group_page(
            &s,
            &admin,
            &id,
            "",
            &FieldErrors::one("user", e.to_string()),
        ),
    }
}
