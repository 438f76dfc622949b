//! Signing up (a profile connected to an external IdP) and a profile's Settings: Identity
//! management (Domains, Access Tokens, SCIM Endpoint) and governance. The guide's words:
//! "Sign up for Kiro", "Set up application as Admin", "Connect an existing external Identity
//! provider", "Issuer URI", "Client ID", "Enable", "Settings", "Identity management",
//! "Domains", "Add domain", "Add", "Pending"/"Verified", "Access Tokens", "Generate Token",
//! "Revoke", "SCIM Endpoint".

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::{Fields, Session, field_error, layout, not_found, see_other, when, with_status};
use crate::console::profiles::create_profile;
use crate::console::{resume_domain_checks, scim_endpoint};
use crate::core::console::MODEL_CATALOG;
use crate::core::{DomainStatus, Profile, Settings};
use crate::wire::AppState;

/// `GET /console/ui/sign-up`.
pub(super) async fn sign_up(_: Session) -> Markup {
    layout(
        "Sign up for Kiro",
        None,
        html! {
            p { "How will you use Kiro?" }
            ul {
                li { a href="/console/ui/sign-up/admin" { "Set up application as Admin" } }
            }
        },
    )
}

/// `GET /console/ui/sign-up/admin`: where the users' identities come from.
pub(super) async fn sign_up_admin(_: Session) -> Markup {
    layout(
        "Set up application as Admin",
        None,
        html! {
            p { "Choose how your users sign in to Kiro." }
            ul {
                li {
                    a href="/console/ui/sign-up/external-idp" { "Connect an existing external Identity provider" }
                    " (Okta, Microsoft Entra ID)"
                }
                li { "IAM Identity Center (not simulated)" }
            }
        },
    )
}

/// What the external IdP form holds, and where it failed.
#[derive(Default)]
struct IdpForm {
    name: String,
    issuer: String,
    client_id: String,
    error: Option<(&'static str, String)>,
}

fn idp_form(f: &IdpForm) -> Markup {
    let err = |field: &str| {
        f.error
            .as_ref()
            .filter(|(k, _)| *k == field)
            .map(|(_, m)| m.as_str())
    };
    layout(
        "Connect an existing external Identity provider",
        None,
        html! {
            form method="post" action="/console/ui/sign-up/external-idp" {
                label for="profile_name" { "Profile name" }
                input #profile_name type="text" name="profile_name" value=(f.name);
                (field_error("profile_name", err("profile_name")))
                label for="issuer_uri" { "Issuer URI" }
                input #issuer_uri type="text" name="issuer_uri" value=(f.issuer);
                (field_error("issuer_uri", err("issuer_uri")))
                label for="client_id" { "Client ID" }
                input #client_id type="text" name="client_id" value=(f.client_id);
                (field_error("client_id", err("client_id")))
                p { button type="submit" { "Enable" } }
            }
        },
    )
}

/// `GET /console/ui/sign-up/external-idp`.
pub(super) async fn external_idp_form(_: Session) -> Markup {
    idp_form(&IdpForm::default())
}

/// `POST /console/ui/sign-up/external-idp`: the API's profile creation (core checks, the
/// issuer's discovery document); a refusal is shown next to its field.
pub(super) async fn external_idp_create(
    _: Session,
    State(shared): State<AppState>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let fields = Fields(form);
    let mut f = IdpForm {
        name: fields.get("profile_name").to_string(),
        issuer: fields.get("issuer_uri").trim().to_string(),
        client_id: fields.get("client_id").to_string(),
        error: None,
    };
    match create_profile(&shared, &f.name, &f.issuer, &f.client_id).await {
        Ok(p) => see_other(&format!("/console/ui/profiles/{}?created=1", p.id)),
        Err(e) => {
            let field = if e.message.starts_with("Issuer URI") {
                "issuer_uri"
            } else if e.message.starts_with("Client ID") {
                "client_id"
            } else {
                "profile_name"
            };
            f.error = Some((field, e.message));
            with_status(StatusCode::BAD_REQUEST, idp_form(&f))
        }
    }
}

/// `?created=1` after sign-up.
#[derive(serde::Deserialize, Default)]
pub(super) struct Created {
    #[serde(default)]
    created: Option<String>,
}

fn nav(p: &Profile) -> Option<(&str, &str)> {
    Some((p.id.as_str(), p.name.as_str()))
}

/// `GET /console/ui/profiles/{id}`: the profile's overview.
pub(super) async fn overview(
    _: Session,
    State(shared): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<Created>,
) -> Response {
    let kiro = shared.kiro.lock();
    let p = match kiro.profile(&id) {
        Ok(p) => p,
        Err(e) => return not_found(e),
    };
    layout(
        &p.name,
        nav(p),
        html! {
            @if q.created.is_some() {
                p.notice role="status" { "Your Kiro profile was created. Next: add and verify your company domain in Settings." }
            }
            table {
                tr { th { "Profile ARN" } td { code { (p.arn) } } }
                tr { th { "Identity provider" } td { "External identity provider (OIDC)" } }
                tr { th { "Issuer URI" } td { code #issuer { (p.issuer) } } }
                tr { th { "Client ID" } td { code #client-id { (p.client_id) } } }
                tr { th { "Region" } td { (p.region) } }
                tr { th { "Created" } td { (when(p.created)) } }
                tr { th { "Users" } td { (p.users.len()) } }
                tr { th { "Groups" } td { (p.groups.len()) } }
                tr { th { "Seats" } td { (p.seats.len()) } }
            }
        },
    )
    .into_response()
}

/// Where a settings form failed, to show the message next to its field.
#[derive(Default)]
struct SettingsErrors {
    token: Option<String>,
    governance: Option<(&'static str, String)>,
    /// The governance values to show instead of the stored ones (after a refusal).
    draft: Option<Settings>,
    /// A token just generated: its secret, shown this once.
    new_token: Option<String>,
}

fn domain_status(s: DomainStatus) -> &'static str {
    match s {
        DomainStatus::Pending => "Pending",
        DomainStatus::Verified => "Verified",
    }
}

fn settings_page(shared: &AppState, id: &str, e: &SettingsErrors) -> Response {
    let now = shared.clock.now();
    let kiro = shared.kiro.lock();
    let p = match kiro.profile(id) {
        Ok(p) => p,
        Err(e) => return not_found(e),
    };
    let domains = kiro.domains_of(id).unwrap_or_default();
    let base = format!("/console/ui/profiles/{}/settings", p.id);
    let settings = e.draft.as_ref().unwrap_or(&p.settings);
    let gov_err = |field: &str| {
        e.governance
            .as_ref()
            .filter(|(k, _)| *k == field)
            .map(|(_, m)| m.as_str())
    };
    let markup = layout(
        "Settings",
        nav(p),
        html! {
            h2 { "Identity management" }
            section #domains {
                h3 { "Domains" }
                p { "Users sign in to Kiro with an email address in a verified domain. Publish each domain's verification token as a TXT record with your DNS provider; Kiro checks pending domains every few minutes." }
                @if domains.is_empty() {
                    p { "No domains." }
                } @else {
                    table {
                        thead { tr { th { "Domain" } th { "Status" } th { "TXT record name" } th { "Verification token" } th { "Last checked" } th {} } }
                        tbody {
                            @for d in &domains {
                                tr {
                                    td { (d.name) }
                                    td class=(format!("status-{}", domain_status(d.status))) { (domain_status(d.status)) }
                                    td { code { (d.record_name()) } }
                                    td { code.verification-token { (d.verification_token) } }
                                    td { (d.last_checked.map(when).unwrap_or_else(|| "Not yet".into())) }
                                    td {
                                        form.row method="post" action=(format!("{base}/domains/{}/remove", d.name)) {
                                            button type="submit" { "Remove" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                p { a.button href=(format!("{base}/domains/new")) { "Add domain" } }
            }
            section #access-tokens {
                h3 { "Access Tokens" }
                p { "SCIM access tokens let your identity provider provision users and groups. A token is valid for one year and is not rotated automatically." }
                @if let Some(secret) = &e.new_token {
                    div.notice role="status" {
                        p { "Copy this token now. You will not be able to see it again." }
                        p { code #new-token { (secret) } }
                    }
                }
                @if p.scim_tokens.is_empty() {
                    p { "No access tokens." }
                } @else {
                    table {
                        thead { tr { th { "Token ID" } th { "Created" } th { "Expires" } th { "Last used" } th { "Status" } th {} } }
                        tbody {
                            @for t in &p.scim_tokens {
                                @let status = if t.revoked { "Revoked" } else if t.expires <= now { "Expired" } else { "Active" };
                                tr {
                                    td { code { (t.id) } }
                                    td { (when(t.created)) }
                                    td { (when(t.expires)) }
                                    td { (t.last_used.map(when).unwrap_or_else(|| "Never".into())) }
                                    td class=(format!("status-{status}")) { (status) }
                                    td {
                                        @if !t.revoked {
                                            form.row method="post" action=(format!("{base}/access-tokens/{}/revoke", t.id)) {
                                                button type="submit" { "Revoke" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                form method="post" action=(format!("{base}/access-tokens")) {
                    button type="submit" { "Generate Token" }
                    (field_error("generate_token", e.token.as_deref()))
                }
            }
            section #scim-endpoint-section {
                h3 { "SCIM Endpoint" }
                p { code #scim-endpoint { (scim_endpoint(shared, &p.tenant_id)) } }
            }
            h2 { "Governance" }
            section #governance {
                form method="post" action=(format!("{base}/governance")) {
                    fieldset {
                        legend { "Models" }
                        @for m in MODEL_CATALOG {
                            label.inline {
                                input type="checkbox" name="approved_model" value=(m) checked[settings.approved_models.iter().any(|a| a == m)];
                                (m)
                            }
                            " "
                        }
                        (field_error("approved_models", gov_err("approved_models")))
                        label for="default_model" { "Default model" }
                        select #default_model name="default_model" {
                            option value="" selected[settings.default_model.is_none()] { "None" }
                            @for m in MODEL_CATALOG {
                                option value=(m) selected[settings.default_model.as_deref() == Some(m)] { (m) }
                            }
                        }
                        (field_error("default_model", gov_err("default_model")))
                    }
                    fieldset {
                        legend { "MCP" }
                        label.inline { input type="checkbox" name="mcp_enabled" value="on" checked[settings.mcp_enabled]; "Allow MCP servers" }
                        label for="mcp_registry_url" { "MCP registry URL" }
                        input #mcp_registry_url type="text" name="mcp_registry_url" value=(settings.mcp_registry_url.as_deref().unwrap_or(""));
                        (field_error("mcp_registry_url", gov_err("mcp_registry_url")))
                    }
                    fieldset {
                        legend { "Tools and billing" }
                        label.inline { input type="checkbox" name="web_tools_enabled" value="on" checked[settings.web_tools_enabled]; "Allow web tools" }
                        br;
                        label.inline { input type="checkbox" name="overages_enabled" value="on" checked[settings.overages_enabled]; "Allow overages" }
                    }
                    p { button type="submit" { "Save settings" } }
                }
            }
        },
    );
    let status = if e.token.is_some() || e.governance.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    with_status(status, markup)
}

/// `GET …/settings`.
pub(super) async fn settings(
    _: Session,
    State(shared): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    settings_page(&shared, &id, &SettingsErrors::default())
}

fn domain_form(id: &str, name: &str, value: &str, error: Option<&str>) -> Markup {
    layout(
        "Add domain",
        Some((id, name)),
        html! {
            form method="post" action=(format!("/console/ui/profiles/{id}/settings/domains/new")) {
                label for="domain_name" { "Domain name" }
                input #domain_name type="text" name="domain_name" value=(value) placeholder="example.com";
                (field_error("domain_name", error))
                p { button type="submit" { "Add" } }
            }
        },
    )
}

/// `GET …/settings/domains/new`.
pub(super) async fn domain_form_page(
    _: Session,
    State(shared): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let kiro = shared.kiro.lock();
    match kiro.profile(&id) {
        Ok(p) => domain_form(&p.id, &p.name, "", None).into_response(),
        Err(e) => not_found(e),
    }
}

/// `POST …/settings/domains/new`: the core's `add_domain`; the periodic check picks it up.
pub(super) async fn domain_add(
    _: Session,
    State(shared): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let fields = Fields(form);
    let value = fields.get("domain_name");
    let now = shared.clock.now();
    let added = shared.kiro.lock().add_domain(now, &id, value);
    match added {
        Ok(_) => {
            resume_domain_checks(&shared);
            see_other(&format!("/console/ui/profiles/{id}/settings#domains"))
        }
        Err(crate::core::ConsoleError::NotFound(what)) => not_found(format!("{what} not found")),
        Err(e) => {
            let kiro = shared.kiro.lock();
            match kiro.profile(&id) {
                Ok(p) => with_status(
                    StatusCode::BAD_REQUEST,
                    domain_form(&p.id, &p.name, value, Some(&e.to_string())),
                ),
                Err(e) => not_found(e),
            }
        }
    }
}

/// `POST …/settings/domains/{name}/remove`.
pub(super) async fn domain_remove(
    _: Session,
    State(shared): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> Response {
    let removed = shared.kiro.lock().remove_domain(&id, &name);
    match removed {
        Ok(()) => see_other(&format!("/console/ui/profiles/{id}/settings#domains")),
        Err(e) => not_found(e),
    }
}

/// `POST …/settings/access-tokens`: the secret is shown in this answer only (no redirect, so
/// it never lands in a URL or in stored state).
pub(super) async fn token_generate(
    _: Session,
    State(shared): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let now = shared.clock.now();
    let generated = shared.kiro.lock().generate_scim_token(now, &id);
    match generated {
        Ok((_, secret)) => settings_page(
            &shared,
            &id,
            &SettingsErrors {
                new_token: Some(secret),
                ..SettingsErrors::default()
            },
        ),
        Err(crate::core::ConsoleError::NotFound(what)) => not_found(format!("{what} not found")),
        Err(e) => settings_page(
            &shared,
            &id,
            &SettingsErrors {
                token: Some(e.to_string()),
                ..SettingsErrors::default()
            },
        ),
    }
}

/// `POST …/settings/access-tokens/{token_id}/revoke`.
pub(super) async fn token_revoke(
    _: Session,
    State(shared): State<AppState>,
    Path((id, token_id)): Path<(String, String)>,
) -> Response {
    let revoked = shared.kiro.lock().revoke_scim_token(&id, &token_id);
    match revoked {
        Ok(_) => see_other(&format!("/console/ui/profiles/{id}/settings#access-tokens")),
        Err(e) => not_found(e),
    }
}

/// `POST …/settings/governance`: the core's `update_settings`; a refusal keeps the admin's
/// choices on the page with the message next to the field.
pub(super) async fn governance_save(
    _: Session,
    State(shared): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let fields = Fields(form);
    let optional = |name: &str| {
        let v = fields.get(name).trim();
        (!v.is_empty()).then(|| v.to_string())
    };
    let settings = Settings {
        approved_models: fields.all("approved_model"),
        default_model: optional("default_model"),
        mcp_enabled: fields.get("mcp_enabled") == "on",
        mcp_registry_url: optional("mcp_registry_url"),
        web_tools_enabled: fields.get("web_tools_enabled") == "on",
        overages_enabled: fields.get("overages_enabled") == "on",
    };
    let updated = shared.kiro.lock().update_settings(&id, settings.clone());
    match updated {
        Ok(_) => see_other(&format!("/console/ui/profiles/{id}/settings#governance")),
        Err(crate::core::ConsoleError::NotFound(what)) => not_found(format!("{what} not found")),
        Err(e) => {
            let message = e.to_string();
            let field = if message.contains("default model") {
                "default_model"
            } else if message.contains("MCP registry") {
                "mcp_registry_url"
            } else {
                "approved_models"
            };
            settings_page(
                &shared,
                &id,
                &SettingsErrors {
                    governance: Some((field, message)),
                    draft: Some(settings),
                    ..SettingsErrors::default()
                },
            )
        }
    }
}
