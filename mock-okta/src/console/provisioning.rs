//! A provisioning app's Provisioning tab (Integration: "Configure API integration", "Enable
//! API integration", "Base URL", "API Token", "Test API Credentials"; To App: "Create Users",
//! "Update User Attributes", "Deactivate Users", the attribute mappings and their X) and its
//! Push Groups tab ("Push Groups" → "Find groups by name", status Active / Error with the
//! error message).

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::html;

use super::apps::app_tabs;
use super::{Admin, FieldErrors, Post, csrf, layout, not_found, query, see_other, when};
use crate::core::OktaError;
use crate::core::provisioning::PushMappingStatus;
use crate::provisioning::{CredentialTest, test_credentials};
use crate::wire::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/apps/{id}/provisioning", get(provisioning))
        .route(
            "/admin/apps/{id}/provisioning/integration",
            post(save_integration),
        )
        .route("/admin/apps/{id}/provisioning/to-app", post(save_to_app))
        .route(
            "/admin/apps/{id}/provisioning/mappings/remove",
            post(remove_mapping),
        )
        .route("/admin/apps/{id}/push-groups", get(push_groups).post(push))
        .route("/admin/apps/{id}/push-groups/new", get(find_groups))
        .route("/admin/apps/{id}/push-groups/retry", post(retry))
}

/// The Integration form's values, and what "Test API Credentials" said.
#[derive(Default)]
struct IntegrationForm {
    enabled: bool,
    base_url: String,
    token: String,
    tested: Option<Result<String, String>>,
}

/// The Provisioning tab: `section` is `integration` or `to-app`; `edit` opens a form.
fn provisioning_page(
    s: &AppState,
    admin: &Admin,
    id: &str,
    section: &str,
    edit: bool,
    form: Option<&IntegrationForm>,
    errors: &FieldErrors,
) -> Response {
    let org = s.org.lock();
    let app = match org.app(id) {
        Ok(a) => a,
        Err(e) => return not_found(admin, &e),
    };
    let Some(p) = org.provisioning(id) else {
        return not_found(admin, &OktaError::not_found("ProvisioningConnection", id));
    };
    let base = format!("/admin/apps/{}/provisioning", app.id);
    let c = &p.connection;
    let f = p.features;
    let configured = c.enabled || c.base_url.is_some();
    let current = IntegrationForm {
        enabled: c.enabled,
        base_url: c.base_url.clone().unwrap_or_default(),
        ..IntegrationForm::default()
    };
    let form = form.unwrap_or(&current);
    let body = html! {
        (app_tabs(app, "Provisioning"))
        div.tabs role="tablist" aria-label="Settings" {
            a href={ (base) "?section=to-app" } class=@if section == "to-app" { "active" } { "To App" }
            a href={ (base) "?section=integration" } class=@if section == "integration" { "active" } { "Integration" }
        }
        @if section == "integration" {
            div.box {
                h2 { "Integration" }
                (errors.others(&["baseUrl", "token"]))
                @if edit {
                    form method="post" action={ (base) "/integration" } {
                        (csrf(admin))
                        label.inline { input type="checkbox" name="enabled" checked[form.enabled]; "Enable API integration" }
                        label for="base-url" { "Base URL" }
                        input #base-url type="text" name="baseUrl" value=(form.base_url);
                        (errors.at("baseUrl"))
                        label for="api-token" { "API Token" }
                        input #api-token type="password" name="token" value=(form.token) placeholder=(if c.has_token() { "(saved; leave empty to keep)" } else { "" });
                        (errors.at("token"))
                        br;
                        @match &form.tested {
                            Some(Ok(text)) => p.notice role="status" { (text) },
                            Some(Err(text)) => p.error role="alert" { (text) },
                            None => {},
                        }
                        button type="submit" name="action" value="test" { "Test API Credentials" }
                        button type="submit" name="action" value="save" { "Save" }
                        a href={ (base) "?section=integration" } { "Cancel" }
                    }
                } @else if !configured {
                    p { "Provisioning is not enabled." }
                    form method="get" action=(base) {
                        input type="hidden" name="section" value="integration";
                        input type="hidden" name="edit" value="1";
                        button type="submit" { "Configure API integration" }
                    }
                } @else {
                    table {
                        tr { th { "API integration" } td { @if c.enabled { "Enabled" } @else { "Disabled" } } }
                        tr { th { "Base URL" } td #base-url-value { (c.base_url.clone().unwrap_or_default()) } }
                        tr { th { "API Token" } td { @if c.has_token() { "••••••••" } } }
                    }
                    form method="get" action=(base) {
                        input type="hidden" name="section" value="integration";
                        input type="hidden" name="edit" value="1";
                        button type="submit" { "Edit" }
                    }
                }
            }
        } @else {
            div.box {
                h2 { "Provisioning to App" }
                @if edit {
                    form method="post" action={ (base) "/to-app" } {
                        (csrf(admin))
                        label.inline { input type="checkbox" name="create" checked[f.create_users]; "Create Users" }
                        br;
                        label.inline { input type="checkbox" name="update" checked[f.update_attributes]; "Update User Attributes" }
                        br;
                        label.inline { input type="checkbox" name="deactivate" checked[f.deactivate_users]; "Deactivate Users" }
                        br;
                        button type="submit" { "Save" }
                        a href={ (base) "?section=to-app" } { "Cancel" }
                    }
                } @else {
                    @if !c.enabled { p.hint { "Enable the API integration (Integration) for these to take effect." } }
                    table #to-app {
                        tr { th { "Create Users" } td { (enabled(f.create_users)) } }
                        tr { th { "Update User Attributes" } td { (enabled(f.update_attributes)) } }
                        tr { th { "Deactivate Users" } td { (enabled(f.deactivate_users)) } }
                    }
                    form method="get" action=(base) {
                        input type="hidden" name="section" value="to-app";
                        input type="hidden" name="edit" value="1";
                        button type="submit" { "Edit" }
                    }
                }
            }
            div.box {
                h2 { (app.label) " Attribute Mappings" }
                (errors.others(&[]))
                table #mappings {
                    tr { th { "Attribute" } th { "Value" } th { "Apply on" } th {} }
                    @for m in &p.mappings {
                        tr {
                            td { (m.target) }
                            td { code { (m.expression) } }
                            td { @if m.push_status.as_str() == "PUSH" { "Create and update" } @else { "Create" } }
                            td { form method="post" action={ (base) "/mappings/remove" } class="inline" {
                                (csrf(admin))
                                input type="hidden" name="attribute" value=(m.target);
                                button type="submit" title="Remove" aria-label={ "Remove " (m.target) } { "X" }
                            } }
                        }
                    }
                }
            }
        }
    };
    let title = app.label.clone();
    drop(org);
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::BAD_REQUEST
    };
    (status, layout(admin, &title, body)).into_response()
}

fn enabled(on: bool) -> &'static str {
    if on { "Enable" } else { "Disable" }
}

async fn provisioning(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let configured = s
        .org
        .lock()
        .connection(&id)
        .is_ok_and(|c| c.enabled || c.base_url.is_some());
    let section = match q.get("section").map(String::as_str) {
        Some("integration") => "integration",
        Some("to-app") => "to-app",
        // Until provisioning is configured, the tab opens on Integration, as Okta's does.
        _ if !configured => "integration",
        _ => "to-app",
    };
    let edit = q.contains_key("edit");
    provisioning_page(
        &s,
        &admin,
        &id,
        section,
        edit,
        None,
        &FieldErrors::default(),
    )
}

async fn save_integration(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    post: Post,
) -> Response {
    let mut form = IntegrationForm {
        enabled: post.on("enabled"),
        base_url: post.get("baseUrl").to_string(),
        token: post.get("token").to_string(),
        tested: None,
    };
    let label = s.org.lock().app(&id).map(|a| a.label.clone());
    let label = match label {
        Ok(l) => l,
        Err(e) => return not_found(&admin, &e),
    };
    if post.get("action") == "test" {
        let outcome = test_credentials(
            &s,
            &id,
            post.opt("baseUrl").as_deref(),
            post.opt("token").as_deref(),
        )
        .await;
        let errors = match outcome {
            Ok(CredentialTest::Success) => {
                form.tested = Some(Ok(format!("{label} was verified successfully!")));
                FieldErrors::default()
            }
            Ok(CredentialTest::Failure {
                summary, detail, ..
            }) => {
                form.tested = Some(Err(format!("Error authenticating: {summary}. {detail}")));
                FieldErrors::default()
            }
            Err(e) => FieldErrors::of(&e),
        };
        // The form stays as typed, token included (the real console tests in place), so
        // the guide's next step, "Select Save", saves what was tested.
        return provisioning_page(&s, &admin, &id, "integration", true, Some(&form), &errors);
    }
    let now = s.clock.now();
    let result = s.org.lock().set_connection(
        now,
        &id,
        &form.base_url,
        post.opt("token"),
        Some(form.enabled),
    );
    match result {
        Ok(_) => see_other(&format!(
            "/admin/apps/{id}/provisioning?section=integration"
        )),
        Err(e) => {
            form.token.clear();
            provisioning_page(
                &s,
                &admin,
                &id,
                "integration",
                true,
                Some(&form),
                &FieldErrors::of(&e),
            )
        }
    }
}

async fn save_to_app(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    post: Post,
) -> Response {
    let now = s.clock.now();
    let result = s.org.lock().set_features(
        now,
        &id,
        Some(post.on("create")),
        Some(post.on("update")),
        Some(post.on("deactivate")),
    );
    match result {
        Ok(_) => see_other(&format!("/admin/apps/{id}/provisioning?section=to-app")),
        Err(e) => not_found(&admin, &e),
    }
}

async fn remove_mapping(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    post: Post,
) -> Response {
    let now = s.clock.now();
    let result = {
        let mut org = s.org.lock();
        match org.provisioning(&id).map(|p| p.mapping_id.clone()) {
            Some(mapping) => org.update_profile_mapping(
                now,
                &mapping,
                vec![(post.get("attribute").to_string(), None)],
            ),
            None => Err(OktaError::not_found("ProfileMapping", &id)),
        }
    };
    match result {
        Ok(()) => see_other(&format!("/admin/apps/{id}/provisioning?section=to-app")),
        Err(e) => provisioning_page(&s, &admin, &id, "to-app", false, None, &FieldErrors::of(&e)),
    }
}

// ---- Push Groups -----------------------------------------------------------------------------

fn push_status(status: PushMappingStatus) -> &'static str {
    match status {
        PushMappingStatus::Active => "Active",
        PushMappingStatus::Inactive => "Inactive",
        PushMappingStatus::Error => "Error",
    }
}

async fn push_groups(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let org = s.org.lock();
    let app = match org.app(&id) {
        Ok(a) => a,
        Err(e) => return not_found(&admin, &e),
    };
    let pushes = match org.push_mappings(&id) {
        Ok(p) => p,
        Err(e) => return not_found(&admin, &e),
    };
    let menu = q.contains_key("menu");
    let body = html! {
        (app_tabs(app, "Push Groups"))
        form method="get" action={ "/admin/apps/" (app.id) "/push-groups" } class="inline" {
            input type="hidden" name="menu" value="1";
            button type="submit" { "Push Groups" }
        }
        @if menu {
            div.box role="menu" {
                a role="menuitem" href={ "/admin/apps/" (app.id) "/push-groups/new" } { "Find groups by name" }
            }
        }
        table #pushes {
            tr { th { "Group in Okta" } th { "Group in " (app.label) } th { "Last Push" } th { "Push Status" } th {} }
            @for m in pushes.iter().filter(|m| org.group(&m.source_group_id).is_ok() || m.target_group_id.is_some()) {
                tr {
                    td { (m.source_name) }
                    td { (m.target_name.clone().unwrap_or_else(|| m.source_name.clone())) }
                    td { (m.last_push.map(when).unwrap_or_default()) }
                    td.push-status {
                        (push_status(m.status))
                        @if let Some(e) = &m.error_summary { br; span.error { (e) } }
                    }
                    td {
                        @if m.status == PushMappingStatus::Error {
                            form method="post" action={ "/admin/apps/" (app.id) "/push-groups/retry" } class="inline" {
                                (csrf(&admin))
                                input type="hidden" name="mapping" value=(m.id);
                                button type="submit" { "Push Now" }
                            }
                        }
                    }
                }
            }
        }
    };
    let title = app.label.clone();
    drop(org);
    layout(&admin, &title, body).into_response()
}

fn find_page(
    s: &AppState,
    admin: &Admin,
    id: &str,
    search: &str,
    chosen: &str,
    errors: &FieldErrors,
) -> Response {
    let org = s.org.lock();
    let app = match org.app(id) {
        Ok(a) => a,
        Err(e) => return not_found(admin, &e),
    };
    let groups: Vec<_> = if search.is_empty() {
        Vec::new()
    } else {
        org.list_groups(Some(search))
            .into_iter()
            .take(super::PAGE_SIZE)
            .collect()
    };
    let body = html! {
        (app_tabs(app, "Push Groups"))
        div.box {
            h2 { "Push groups by name" }
            (errors.others(&[]))
            form method="get" action={ "/admin/apps/" (app.id) "/push-groups/new" } {
                label for="find-groups" { "Find groups by name" }
                input #find-groups type="text" name="q" value=(search);
                button type="submit" { "Search" }
            }
            @if !groups.is_empty() {
                form method="post" action={ "/admin/apps/" (app.id) "/push-groups" (query(&[("q", search)])) } {
                    (csrf(admin))
                    fieldset {
                        legend { "Group" }
                        @for g in &groups {
                            label.inline { input type="radio" name="group" value=(g.id) checked[chosen == g.id || groups.len() == 1]; (g.name) }
                            br;
                        }
                    }
                    button type="submit" { "Save" }
                    a href={ "/admin/apps/" (app.id) "/push-groups" } { "Cancel" }
                }
            } @else if !search.is_empty() {
                p { "No groups found" }
            }
        }
    };
    let title = app.label.clone();
    drop(org);
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::BAD_REQUEST
    };
    (status, layout(admin, &title, body)).into_response()
}

async fn find_groups(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let search = q.get("q").map(String::as_str).unwrap_or_default().trim();
    find_page(&s, &admin, &id, search, "", &FieldErrors::default())
}

async fn push(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    post: Post,
) -> Response {
    let search = q.get("q").map(String::as_str).unwrap_or_default().trim();
    let group = post.get("group").to_string();
    if group.is_empty() {
        let errors = FieldErrors::one("group", "Select a group to push.");
        return find_page(&s, &admin, &id, search, "", &errors);
    }
    let now = s.clock.now();
    let result = s
        .org
        .lock()
        .create_push_mapping(now, &id, &group, None, None, true);
    match result {
        Ok(_) => see_other(&format!("/admin/apps/{id}/push-groups")),
        Err(e) => find_page(&s, &admin, &id, search, &group, &FieldErrors::of(&e)),
    }
}

async fn retry(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    post: Post,
) -> Response {
    let now = s.clock.now();
    let result = s
        .org
        .lock()
        .set_push_mapping_status(now, &id, post.get("mapping"), true);
    match result {
        Ok(_) => see_other(&format!("/admin/apps/{id}/push-groups")),
        Err(e) => not_found(&admin, &e),
    }
}
