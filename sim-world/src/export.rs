//! Exports a running world as a scenario file that recreates it (issue #14, SIM-STATE-4):
//! `GET /_sim/export` on a sandbox's front, the home page's "Export as scenario" link and
//! `kiro-sim export`.
//!
//! The world is read **only through the services' real APIs**: Okta's management API with the
//! admin SSWS token (every list followed through `Link: rel="next"`), the Kiro console API
//! with the admin token, the DNS provider API with its token, and `/_sim/clock`; never a state
//! document or anything in-process. What is read becomes steps of the scenario format
//! (`cargo xtask scenario`, `kiro-sim up --setup-file`): a typed step wherever one recreates
//! the object as it is (its arguments serialized from the `sim_api` action, the one typed
//! definition), otherwise a raw `http:` step whose body is the `sim_api` body type read back
//! from the answer (or the object as read, minus read-only fields, where no body type exists:
//! claims). Ids are never written: each object created
//! is `save:`d in a variable named after the object (`user_ada`, `group_kiro_developers`),
//! and every later reference is `${var}`, so the file runs on any fresh world.
//!
//! Order: users, groups and members, apps (assignments), authorization servers (scopes,
//! claims, policies, rules), Kiro profiles (settings, domains), DNS zones and records (a
//! domain's verification TXT record takes the token the new `add_domain` answered), domain
//! verification, SCIM tokens, provisioning (connection, To App, mappings, assignments, group
//! push), subscriptions, users' lifecycle (suspended, deactivated), and the clock advanced to
//! the time the world had, counted from the org's start (the `default` authorization
//! server's `created`).
//!
//! What cannot be exported, and what the file does instead (each said in a `note:`):
//! passwords (Okta never returns them: every user with one gets `${password}`, set at the
//! top to the sandbox's documented password); SCIM token secrets (stored hashed: a new token
//! is created per active one, and the provisioning connection uses it); signing keys and
//! their rotation; timestamps (everything is created at the start, then the clock advanced);
//! Kiro users and groups not pushed by Okta. Zones are recreated by the file's `world: zones`
//! (a fresh world may already serve one, and creating it twice is refused) and found by
//! name. The file is a fixpoint: names come from the objects, never from ids, and every list
//! is sorted by a natural key, so exporting the recreated world gives the same text.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde_json::{Map, Value, json};
use sim_api::okta::{AppBody, PolicyBody, RuleBody, ScopeBody, ServerBody};
use sim_api::{AdminRequest, dns, kiro, okta};

use crate::clients::{Api, Body, ClientError};

/// Why a world could not be exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The ready fields lack a URL or token.
    #[error("the ready line has no `{0}`")]
    MissingField(&'static str),
    /// A read failed.
    #[error(transparent)]
    Client(Box<ClientError>),
    /// An answer was not what the API documents.
    #[error("{path}: unexpected answer: {what}")]
    Shape {
        /// The request's path.
        path: String,
        /// What was wrong.
        what: String,
    },
}

impl From<ClientError> for ExportError {
    fn from(error: ClientError) -> ExportError {
        ExportError::Client(Box::new(error))
    }
}

/// Where a world is and its admin credentials (the ready line's fields).
#[derive(Clone, Debug)]
pub struct Target {
    /// Okta's base URL.
    pub okta: String,
    /// Okta's API token (sent as `SSWS`).
    pub okta_token: String,
    /// The Kiro console's base URL.
    pub kiro: String,
    /// The Kiro console's admin token.
    pub kiro_token: String,
    /// The DNS provider API's base URL.
    pub dns_api: String,
    /// The DNS provider API's token.
    pub dns_token: String,
}

impl Target {
    /// The target a ready line names (`okta`, `okta_api_token`, `kiro`, `kiro_admin_token`,
    /// `dns_api`, `dns_api_token`).
    pub fn from_ready(fields: &Map<String, Value>) -> Result<Target, ExportError> {
        let get = |name: &'static str| {
            fields
                .get(name)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or(ExportError::MissingField(name))
        };
        Ok(Target {
            okta: get("okta")?,
            okta_token: get("okta_api_token")?,
            kiro: get("kiro")?,
            kiro_token: get("kiro_admin_token")?,
            dns_api: get("dns_api")?,
            dns_token: get("dns_api_token")?,
        })
    }
}

/// The password given to every exported user (the sandbox's documented password).
pub const PASSWORD: &str = crate::setup::PASSWORD;

/// AWS IAM Identity Center's app-user attributes with their default expressions (its SCIM
/// user schema as the catalog app maps it; Okta serves it at
/// `/api/v1/meta/schemas/apps/{id}/default`, which the mock does not): an attribute mapped by
/// default but absent from a mapping was removed, and the file removes it too.
const IDC_DEFAULT_MAPPINGS: &[(&str, &str)] = &[
    ("givenName", "user.firstName"),
    ("familyName", "user.lastName"),
    ("email", "user.email"),
    ("displayName", "user.firstName + \" \" + user.lastName"),
    ("nickName", "user.nickName"),
    ("profileUrl", "user.profileUrl"),
    ("title", "user.title"),
    ("userType", "user.userType"),
    ("preferredLanguage", "user.preferredLanguage"),
    ("locale", "user.locale"),
    ("timezone", "user.timezone"),
    ("primaryPhone", "user.primaryPhone"),
    ("employeeNumber", "user.employeeNumber"),
    ("costCenter", "user.costCenter"),
    ("organization", "user.organization"),
    ("division", "user.division"),
    ("department", "user.department"),
];

/// Exports the world at `target` as a scenario file (YAML), reading it through `http`.
pub async fn export_scenario(
    http: &reqwest::Client,
    target: &Target,
) -> Result<String, ExportError> {
    let reader = Reader {
        okta: Api::new(
            http.clone(),
            &target.okta,
            Some(format!("SSWS {}", target.okta_token)),
        ),
        kiro: Api::new(
            http.clone(),
            &target.kiro,
            Some(format!("Bearer {}", target.kiro_token)),
        ),
        dns: Api::new(
            http.clone(),
            &target.dns_api,
            Some(format!("Bearer {}", target.dns_token)),
        ),
    };
    let mut out = Out::default();
    export(&reader, &mut out).await?;
    Ok(out.render())
}

// ---- reading ------------------------------------------------------------------------------

struct Reader {
    okta: Api,
    kiro: Api,
    dns: Api,
}

fn shape(path: &str, what: impl Into<String>) -> ExportError {
    ExportError::Shape {
        path: path.to_string(),
        what: what.into(),
    }
}

impl Reader {
    /// A GET answered 2xx, or an error.
    async fn get(api: &Api, path: &str) -> Result<Value, ExportError> {
        Ok(api.get(path).await?)
    }

    /// Every item of an Okta list, following `Link: rel="next"`.
    async fn okta_list(&self, path: &str) -> Result<Vec<Value>, ExportError> {
        let mut items = Vec::new();
        let mut next = Some(path.to_string());
        let mut pages = 0;
        while let Some(url) = next.take() {
            let response = self
                .okta
                .send(reqwest::Method::GET, &url, Body::None)
                .await?;
            if !(200..300).contains(&response.status) {
                return Err(ClientError::Status {
                    method: "GET".into(),
                    path: url,
                    status: response.status,
                    body: response.body,
                }
                .into());
            }
            next = response.link("next");
            let Value::Array(page) = response.body else {
                return Err(shape(path, "not a list"));
            };
            items.extend(page);
            pages += 1;
            if pages > 10_000 {
                return Err(shape(path, "more than 10,000 pages"));
            }
        }
        Ok(items)
    }

    /// An Okta object, or `None` when the API answers 404 (no such thing for this app).
    async fn okta_optional(&self, path: &str) -> Result<Option<Value>, ExportError> {
        let response = self
            .okta
            .send(reqwest::Method::GET, path, Body::None)
            .await?;
        match response.status {
            200..=299 => Ok(Some(response.body)),
            400 | 404 => Ok(None),
            status => Err(ClientError::Status {
                method: "GET".into(),
                path: path.into(),
                status,
                body: response.body,
            }
            .into()),
        }
    }

    /// Every item of a paged DNS provider list (`result`, `result_info.total_pages`).
    async fn dns_list(&self, path: &str) -> Result<Vec<Value>, ExportError> {
        let mut items = Vec::new();
        let mut page = 1u64;
        loop {
            let sep = if path.contains('?') { '&' } else { '?' };
            let body = Self::get(&self.dns, &format!("{path}{sep}page={page}&per_page=50")).await?;
            let result = body["result"]
                .as_array()
                .ok_or_else(|| shape(path, "no `result` list"))?;
            items.extend(result.iter().cloned());
            let total = body["result_info"]["total_pages"].as_u64().unwrap_or(1);
            if page >= total || result.is_empty() || page > 10_000 {
                return Ok(items);
            }
            page += 1;
        }
    }
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

// ---- writing ------------------------------------------------------------------------------

/// The file being written: steps, variable names, and what ids became which variables.
#[derive(Default)]
struct Out {
    zones: Vec<String>,
    steps: Vec<String>,
    used: BTreeMap<String, usize>,
    /// Source id (or URL, or token) → `${var}`.
    refs: HashMap<String, String>,
    notes: Vec<String>,
}

/// One step: its action key and arguments, what it saves, its note.
struct Step {
    key: String,
    args: Value,
    save: Vec<(String, String)>,
    note: Option<String>,
}

impl Step {
    fn new(key: impl Into<String>, args: Value) -> Step {
        Step {
            key: key.into(),
            args,
            save: Vec::new(),
            note: None,
        }
    }

    /// A typed admin step of `service`, its arguments the action serialized.
    fn typed<R: AdminRequest>(service: &str, action: &R) -> Step {
        Step::new(
            format!("{service}.{}", R::ACTION),
            serde_json::to_value(action).unwrap_or(Value::Null),
        )
    }

    /// A raw `http:` step.
    fn http(service: &str, method: &str, path: String, body: Option<Value>) -> Step {
        let mut args = json!({ "service": service, "method": method, "path": path });
        if let Some(body) = body {
            args["body"] = body;
        }
        Step::new("http", args)
    }

    fn save(mut self, var: &str, path: &str) -> Step {
        self.save.push((var.to_string(), path.to_string()));
        self
    }

    fn note(mut self, note: impl Into<String>) -> Step {
        self.note = Some(note.into());
        self
    }
}

/// A JSON value in YAML flow style (JSON is YAML; strings stay double-quoted).
fn flow(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_').to_string();
    if out.is_empty() { "x".into() } else { out }
}

impl Out {
    /// A new variable named `prefix_slug(name)` (`_2`, `_3`… when taken).
    fn var(&mut self, prefix: &str, name: &str) -> String {
        let base = format!("{prefix}_{}", slug(name));
        let n = self.used.entry(base.clone()).or_insert(0);
        *n += 1;
        if *n == 1 { base } else { format!("{base}_{n}") }
    }

    /// Remembers that `source` (an id, URL or token of the exported world) is `${var}`.
    fn bind(&mut self, source: &str, var: &str) {
        if !source.is_empty() {
            self.refs.insert(source.to_string(), format!("${{{var}}}"));
        }
    }

    /// The reference for a source id, or the id itself when it names nothing exported.
    fn r(&self, source: &str) -> String {
        self.refs
            .get(source)
            .cloned()
            .unwrap_or_else(|| source.to_string())
    }

    fn push(&mut self, step: Step) {
        let mut text = format!("  - {}: {}\n", step.key, flow(&step.args));
        if !step.save.is_empty() {
            let save: Map<String, Value> = step
                .save
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect();
            text.push_str(&format!("    save: {}\n", flow(&Value::Object(save))));
        }
        if let Some(note) = step.note {
            text.push_str(&format!("    note: {}\n", flow(&Value::String(note))));
        }
        self.steps.push(text);
    }

    fn comment(&mut self, text: &str) {
        self.steps.push(format!("\n  # {text}\n"));
    }

    fn render(&self) -> String {
        let mut text = String::from(
            "# A kiro-sim world exported as a scenario file (kiro-sim export, GET /_sim/export).\n\
             # Run it on a fresh world to recreate it: `kiro-sim up --setup-file FILE` or\n\
             # `cargo xtask scenario FILE`. Read through the services' APIs only; ids are not\n\
             # written: each object is saved in a variable and referenced as ${var}.\n",
        );
        for note in &self.notes {
            text.push_str(&format!("# Note: {note}\n"));
        }
        text.push_str("name: \"Exported kiro-sim world\"\n");
        text.push_str(
            "description: \"Recreates an exported world: users, groups, apps, authorization servers, \
             provisioning, the Kiro profile, domains, DNS records, subscriptions and the clock.\"\n",
        );
        text.push_str("covers: []\n");
        if !self.zones.is_empty() {
            text.push_str(&format!(
                "world: {}\n",
                flow(&json!({ "zones": self.zones }))
            ));
        }
        text.push_str("actors:\n  okta: okta-admin\n  kiro: kiro-admin\n  dns: dns-admin\n");
        text.push_str("steps:\n");
        for step in &self.steps {
            text.push_str(step);
        }
        text
    }
}

/// An object as read, without what the server fills in (`id`, `_links`, times, `system`).
fn writable(v: &Value) -> Value {
    let mut v = v.clone();
    if let Value::Object(map) = &mut v {
        for key in [
            "id",
            "_links",
            "_embedded",
            "created",
            "lastUpdated",
            "system",
        ] {
            map.remove(key);
        }
    }
    v
}

fn from_json<T: serde::de::DeserializeOwned>(v: &Value, path: &str) -> Result<T, ExportError> {
    serde_json::from_value(v.clone()).map_err(|e| shape(path, e.to_string()))
}

fn to_json<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn time_of(text: &str) -> Option<SystemTime> {
    humantime::parse_rfc3339_weak(text.trim_end_matches('Z')).ok()
}

// ---- the export ---------------------------------------------------------------------------

/// A user read from Okta.
struct User {
    login: String,
    status: String,
    var: String,
}

async fn export(reader: &Reader, out: &mut Out) -> Result<(), ExportError> {
    out.notes.push(format!(
        "Okta never returns passwords: every user is given ${{password}}, set by the first step to \
         the sandbox's documented password ({PASSWORD})."
    ));
    out.notes.push(
        "SCIM token secrets cannot be read back: a new token is created in Kiro for each active \
         one, and Okta's provisioning connection uses it."
            .into(),
    );
    out.notes.push(
        "Not exported: signing keys and their rotation, timestamps (everything is created at the \
         start, then the clock advanced), sign-in sessions and tokens, Kiro users and groups that \
         Okta did not push, usage and credits, the System Log and event feeds."
            .into(),
    );
    out.push(
        Step::new("set", json!({ "password": PASSWORD })).note(
            "Okta never returns passwords; every exported user gets this one (the sandbox's documented password)",
        ),
    );

    let users = users(reader, out).await?;
    groups(reader, out).await?;
    let apps = reader.okta_list("/api/v1/apps?limit=200").await?;
    let mut apps = apps;
    apps.sort_by(|a, b| (s(a, "label"), s(a, "name")).cmp(&(s(b, "label"), s(b, "name"))));
    let mut provisioned = Vec::new();
    for app in &apps {
        let id = s(app, "id").to_string();
        let connection = reader
            .okta_optional(&format!("/api/v1/apps/{id}/connections/default"))
            .await?;
        let provisioning =
            connection.filter(|c| !s(c, "baseUrl").is_empty() || s(c, "status") == "ENABLED");
        create_app(out, app)?;
        match provisioning {
            Some(connection) => provisioned.push((app.clone(), connection)),
            None => assignments(reader, out, &id).await?,
        }
    }
    servers(reader, out).await?;
    let profiles = kiro_profiles(reader, out).await?;
    dns_records(reader, out).await?;
    verify_domains(out, &profiles);
    let tokens = scim_tokens(reader, out, &profiles).await?;
    for (app, connection) in &provisioned {
        provisioning(reader, out, app, connection, &profiles, &tokens).await?;
    }
    subscriptions(reader, out, &profiles, &provisioned, &users).await?;
    lifecycle(out, &users);
    clock(reader, out).await?;
    Ok(())
}

async fn users(reader: &Reader, out: &mut Out) -> Result<Vec<User>, ExportError> {
    let mut all = reader.okta_list("/api/v1/users?limit=200").await?;
    let gone = reader
        .okta_list("/api/v1/users?limit=200&filter=status%20eq%20%22DEPROVISIONED%22")
        .await?;
    for user in gone {
        if !all.iter().any(|u| u["id"] == user["id"]) {
            all.push(user);
        }
    }
    all.sort_by(|a, b| s(&a["profile"], "login").cmp(s(&b["profile"], "login")));
    if !all.is_empty() {
        out.comment("Okta: users (profile, then status at the end)");
    }
    let mut users = Vec::new();
    for user in &all {
        let profile = &user["profile"];
        let login = s(profile, "login").to_string();
        let status = s(user, "status").to_string();
        let var = out.var("user", login.split('@').next().unwrap_or(&login));
        let email = s(profile, "email");
        let staged = status == "STAGED";
        let provisioned = status == "PROVISIONED";
        let action = okta::CreateUser {
            login: login.clone(),
            first: s(profile, "firstName").into(),
            last: s(profile, "lastName").into(),
            password: (!staged && !provisioned).then(|| "${password}".to_string()),
            activate: staged.then_some(false),
            email: (email != login && !email.is_empty()).then(|| email.to_string()),
        };
        let mut step = Step::typed("okta", &action).save(&var, "$.id");
        if !matches!(
            status.as_str(),
            "ACTIVE" | "STAGED" | "PROVISIONED" | "SUSPENDED" | "DEPROVISIONED"
        ) {
            step = step.note(format!("was {status}: recreated ACTIVE"));
        }
        out.push(step);
        out.bind(s(user, "id"), &var);
        // The rest of the profile (title, department, …), as a partial update.
        let extra: Map<String, Value> = profile
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, v)| {
                !matches!(k.as_str(), "login" | "email" | "firstName" | "lastName") && !v.is_null()
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !extra.is_empty() {
            out.push(Step::typed(
                "okta",
                &okta::UpdateUser {
                    user: format!("${{{var}}}"),
                    profile: extra,
                },
            ));
        }
        users.push(User { login, status, var });
    }
    Ok(users)
}

async fn groups(reader: &Reader, out: &mut Out) -> Result<(), ExportError> {
    let mut all = reader.okta_list("/api/v1/groups?limit=200").await?;
    all.retain(|g| s(g, "type") == "OKTA_GROUP" || s(g, "type").is_empty());
    all.sort_by(|a, b| s(&a["profile"], "name").cmp(s(&b["profile"], "name")));
    if !all.is_empty() {
        out.comment("Okta: groups and their members");
    }
    for group in &all {
        let name = s(&group["profile"], "name").to_string();
        let var = out.var("group", &name);
        let description = group["profile"]["description"]
            .as_str()
            .filter(|d| !d.is_empty())
            .map(str::to_string);
        out.push(
            Step::typed(
                "okta",
                &okta::CreateGroup {
                    name: name.clone(),
                    description,
                },
            )
            .save(&var, "$.id"),
        );
        out.bind(s(group, "id"), &var);
        let mut members = reader
            .okta_list(&format!(
                "/api/v1/groups/{}/users?limit=200",
                s(group, "id")
            ))
            .await?;
        members.sort_by(|a, b| s(&a["profile"], "login").cmp(s(&b["profile"], "login")));
        for member in &members {
            out.push(Step::typed(
                "okta",
                &okta::AddMember {
                    group: format!("${{{var}}}"),
                    user: out.r(s(member, "id")),
                },
            ));
        }
    }
    Ok(())
}

/// Creates an app: the typed step when it recreates the app as it is, else its `AppBody`.
fn create_app(out: &mut Out, app: &Value) -> Result<(), ExportError> {
    let id = s(app, "id");
    let label = s(app, "label").to_string();
    let var = out.var("app", &label);
    let read: AppBody = from_json(app, "/api/v1/apps")?;
    let step = match s(app, "name") {
        "oidc_client" => {
            let settings = read
                .settings
                .as_ref()
                .and_then(|s| s.oauth_client.clone())
                .unwrap_or_default();
            let grants = settings.grant_types.clone().unwrap_or_default();
            let uris = settings.redirect_uris.clone().unwrap_or_default();
            let typed = okta::CreateOidcApp {
                label: label.clone(),
                refresh_token: (grants == ["authorization_code"]).then_some(false),
                redirect_uris: (uris != kiro::redirect_uris()).then_some(uris),
            };
            let built: AppBody = typed
                .request()
                .body
                .map(|b| from_json(&b, "create_oidc_app"))
                .transpose()?
                .unwrap_or_default();
            let built_settings = built
                .settings
                .as_ref()
                .and_then(|s| s.oauth_client.clone())
                .unwrap_or_default();
            let auth = |b: &AppBody| {
                b.credentials
                    .as_ref()
                    .and_then(|c| c.oauth_client.as_ref())
                    .and_then(|c| c.token_endpoint_auth_method.clone())
            };
            let refresh_default = settings.refresh_token.as_ref().is_none_or(|r| {
                r.rotation_type.as_deref() == Some("ROTATE") && r.leeway == Some(30)
            });
            let fits = settings.grant_types == built_settings.grant_types
                && settings.redirect_uris == built_settings.redirect_uris
                && settings.response_types == built_settings.response_types
                && settings.application_type == built_settings.application_type
                && settings
                    .post_logout_redirect_uris
                    .as_ref()
                    .is_none_or(Vec::is_empty)
                && settings.jwks.is_none()
                && refresh_default
                && auth(&read) == auth(&built);
            if fits {
                Step::typed("okta", &typed)
            } else {
                let mut body = read.clone();
                if let Some(settings) = &mut body.settings
                    && settings.app.as_ref().is_some_and(Map::is_empty)
                {
                    settings.app = None;
                }
                Step::http("okta", "POST", "/api/v1/apps".into(), Some(to_json(&body)))
                    .note("an OIDC app the typed step cannot express: its settings as read")
            }
        }
        "amazon_aws_sso" => Step::typed(
            "okta",
            &okta::CreateScimApp {
                label: (label != "AWS IAM Identity Center").then(|| label.clone()),
            },
        ),
        _ => {
            let body = AppBody {
                name: read.name.clone(),
                label: read.label.clone(),
                sign_on_mode: read.sign_on_mode.clone(),
                ..AppBody::default()
            };
            Step::http("okta", "POST", "/api/v1/apps".into(), Some(to_json(&body)))
        }
    };
    out.comment(&format!("Okta: the app \"{label}\""));
    out.push(step.save(&var, "$.id"));
    out.bind(id, &var);
    if s(app, "status") == "INACTIVE" {
        out.push(Step::http(
            "okta",
            "POST",
            format!("/api/v1/apps/${{{var}}}/lifecycle/deactivate"),
            Some(json!({})),
        ));
    }
    Ok(())
}

/// An app's group assignments (by priority) and direct user assignments.
async fn assignments(reader: &Reader, out: &mut Out, app: &str) -> Result<(), ExportError> {
    let mut groups = reader
        .okta_list(&format!("/api/v1/apps/{app}/groups?limit=200"))
        .await?;
    groups.sort_by_key(|g| g["priority"].as_i64().unwrap_or(0));
    for group in &groups {
        out.push(Step::typed(
            "okta",
            &okta::AssignGroup {
                app: out.r(app),
                group: out.r(s(group, "id")),
            },
        ));
    }
    let mut users = reader
        .okta_list(&format!("/api/v1/apps/{app}/users?limit=200"))
        .await?;
    users.retain(|u| s(u, "scope") == "USER");
    users.sort_by(|a, b| s(&a["credentials"], "userName").cmp(s(&b["credentials"], "userName")));
    for user in &users {
        out.push(Step::typed(
            "okta",
            &okta::AssignUser {
                app: out.r(app),
                user: out.r(s(user, "id")),
            },
        ));
    }
    Ok(())
}

async fn servers(reader: &Reader, out: &mut Out) -> Result<(), ExportError> {
    let mut all = reader
        .okta_list("/api/v1/authorizationServers?limit=200")
        .await?;
    all.retain(|a| s(a, "id") != "default");
    all.sort_by(|a, b| s(a, "name").cmp(s(b, "name")));
    for server in &all {
        let id = s(server, "id").to_string();
        let name = s(server, "name").to_string();
        let var = out.var("server", &name);
        out.comment(&format!("Okta: the authorization server \"{name}\""));
        let read: ServerBody = from_json(server, "/api/v1/authorizationServers")?;
        let audiences = read.audiences.clone().unwrap_or_default();
        let step = if read.description.as_deref() == Some(&name) && audiences.len() == 1 {
            Step::typed(
                "okta",
                &okta::CreateAuthServer {
                    name: name.clone(),
                    audience: (audiences[0] != "api://kiro").then(|| audiences[0].clone()),
                },
            )
        } else {
            Step::http(
                "okta",
                "POST",
                "/api/v1/authorizationServers".into(),
                Some(to_json(&read)),
            )
        };
        let issuer = format!("{var}_issuer");
        out.push(step.save(&var, "$.id").save(&issuer, "$.issuer"));
        out.bind(&id, &var);
        out.bind(s(server, "issuer"), &issuer);
        let base = format!("/api/v1/authorizationServers/{id}");
        let new_base = format!("/api/v1/authorizationServers/${{{var}}}");
        if s(server, "status") == "INACTIVE" {
            out.push(Step::http(
                "okta",
                "POST",
                format!("{new_base}/lifecycle/deactivate"),
                Some(json!({})),
            ));
        }
        // Scopes (the system ones come with every server).
        let mut scopes = reader.okta_list(&format!("{base}/scopes")).await?;
        scopes.retain(|sc| sc["system"] != json!(true));
        scopes.sort_by(|a, b| s(a, "name").cmp(s(b, "name")));
        for scope in &scopes {
            let read: ScopeBody = from_json(scope, "scopes")?;
            let name = read.name.clone().unwrap_or_default();
            let typed = okta::AddScope {
                server: format!("${{{var}}}"),
                name: name.clone(),
                consent: read.consent.clone().filter(|c| c != "IMPLICIT"),
            };
            let fits = read.description.as_deref() == Some(&name)
                && read.metadata_publish.as_deref() == Some("ALL_CLIENTS")
                && read.display_name.is_none()
                && read.default != Some(true);
            out.push(if fits {
                Step::typed("okta", &typed)
            } else {
                let mut body = read.clone();
                if body.default == Some(false) {
                    body.default = None;
                }
                Step::http(
                    "okta",
                    "POST",
                    format!("{new_base}/scopes"),
                    Some(to_json(&body)),
                )
            });
        }
        // Claims: no typed step or body type; the claim as read.
        let mut claims = reader.okta_list(&format!("{base}/claims")).await?;
        claims.retain(|c| c["system"] != json!(true));
        claims.sort_by(|a, b| {
            (s(a, "name"), s(a, "claimType")).cmp(&(s(b, "name"), s(b, "claimType")))
        });
        for claim in &claims {
            out.push(Step::http(
                "okta",
                "POST",
                format!("{new_base}/claims"),
                Some(writable(claim)),
            ));
        }
        // Access policies and their rules, by priority.
        let mut policies = reader.okta_list(&format!("{base}/policies")).await?;
        policies.sort_by_key(|p| p["priority"].as_i64().unwrap_or(0));
        for policy in &policies {
            policy_step(reader, out, &base, &var, policy).await?;
        }
    }
    Ok(())
}

async fn policy_step(
    reader: &Reader,
    out: &mut Out,
    base: &str,
    server_var: &str,
    policy: &Value,
) -> Result<(), ExportError> {
    let id = s(policy, "id").to_string();
    let new_base = format!("/api/v1/authorizationServers/${{{server_var}}}");
    let mut read: PolicyBody = from_json(policy, "policies")?;
    let clients: Vec<String> = read
        .conditions
        .as_ref()
        .and_then(|c| c.clients.clone())
        .and_then(|i| i.include)
        .unwrap_or_default()
        .iter()
        .map(|c| out.r(c))
        .collect();
    let name = read.name.clone().unwrap_or_default();
    let var = out.var("policy", &name);
    let fits = read.kind.as_deref() == Some("OAUTH_AUTHORIZATION_POLICY")
        && read.status.as_deref() == Some("ACTIVE")
        && read.description.as_deref() == Some(&name);
    let step = if fits {
        Step::typed(
            "okta",
            &okta::CreatePolicy {
                server: format!("${{{server_var}}}"),
                name,
                clients,
                priority: read.priority.filter(|p| *p != 1),
            },
        )
    } else {
        if let Some(conditions) = &mut read.conditions {
            conditions.clients = okta::Include::of(clients);
        }
        Step::http(
            "okta",
            "POST",
            format!("{new_base}/policies"),
            Some(to_json(&read)),
        )
    };
    out.push(step.save(&var, "$.id"));
    out.bind(&id, &var);
    let mut rules = reader
        .okta_list(&format!("{base}/policies/{id}/rules"))
        .await?;
    rules.sort_by_key(|r| r["priority"].as_i64().unwrap_or(0));
    for rule in &rules {
        let mut read: RuleBody = from_json(rule, "rules")?;
        let token = &rule["actions"]["token"];
        let people = &rule["conditions"]["people"];
        let groups: Vec<String> = strings(&people["groups"]["include"])
            .iter()
            .map(|g| out.r(g))
            .collect();
        let users: Vec<String> = strings(&people["users"]["include"])
            .iter()
            .map(|u| out.r(u))
            .collect();
        let access = token["accessTokenLifetimeMinutes"].as_i64().unwrap_or(60);
        let refresh = token["refreshTokenLifetimeMinutes"].as_i64().unwrap_or(0);
        let window = token["refreshTokenWindowMinutes"]
            .as_i64()
            .unwrap_or(10_080);
        let fits = read.kind.as_deref() == Some("RESOURCE_ACCESS")
            && read.status.as_deref().is_none_or(|s| s == "ACTIVE")
            && read.priority.is_none_or(|p| p == 1)
            && users.is_empty()
            && strings(&people["groups"]["exclude"]).is_empty()
            && strings(&people["users"]["exclude"]).is_empty()
            && window == 10_080;
        let step = if fits {
            Step::typed(
                "okta",
                &okta::AddRule {
                    server: format!("${{{server_var}}}"),
                    policy: format!("${{{var}}}"),
                    name: read.name.clone().unwrap_or_default(),
                    scopes: strings(&rule["conditions"]["scopes"]["include"]),
                    grant_types: Some(strings(&rule["conditions"]["grantTypes"]["include"])),
                    groups: (groups != ["EVERYONE"]).then_some(groups),
                    access_token_minutes: (access != 60).then_some(access),
                    refresh_token_minutes: (refresh != 0).then_some(refresh),
                },
            )
        } else {
            if let Some(people) = read.conditions.as_mut().and_then(|c| c.people.as_mut()) {
                people.groups = okta::Include::of(groups);
                people.users = okta::Include::of(users);
            }
            Step::http(
                "okta",
                "POST",
                format!("{new_base}/policies/${{{var}}}/rules"),
                Some(to_json(&read)),
            )
        };
        out.push(step);
    }
    Ok(())
}

/// A Kiro profile as exported: its id, its variable, its domains and SCIM endpoint.
struct Profile {
    id: String,
    var: String,
    scim_url: String,
    /// `(domain, status)`.
    domains: Vec<(String, String)>,
}

async fn kiro_profiles(reader: &Reader, out: &mut Out) -> Result<Vec<Profile>, ExportError> {
    let listed = Reader::get(&reader.kiro, "/console/profiles").await?;
    let mut all: Vec<Value> = listed["profiles"].as_array().cloned().unwrap_or_default();
    all.retain(|p| s(p, "status") == "ACTIVE" || s(p, "status").is_empty());
    all.sort_by(|a, b| s(a, "profileName").cmp(s(b, "profileName")));
    let mut profiles = Vec::new();
    for profile in &all {
        let id = s(profile, "profileId").to_string();
        let name = s(profile, "profileName").to_string();
        let var = out.var("profile", &name);
        let scim = format!("{var}_scim");
        out.comment(&format!(
            "Kiro: the profile \"{name}\", its settings and domains"
        ));
        let source = &profile["identitySource"];
        out.push(
            Step::typed(
                "kiro",
                &kiro::CreateProfile {
                    name: name.clone(),
                    issuer: out.r(s(source, "issuerUrl")),
                    client_id: out.r(s(source, "clientId")),
                },
            )
            .save(&var, "$.profileId")
            .save(&scim, "$.scimEndpoint"),
        );
        out.bind(&id, &var);
        let path = format!("/console/profiles/{id}");
        let mut settings = Reader::get(&reader.kiro, &format!("{path}/settings")).await?;
        if let Value::Object(map) = &mut settings {
            map.remove("scimEndpoint");
        }
        out.push(Step::typed(
            "kiro",
            &kiro::Settings {
                profile: format!("${{{var}}}"),
                set: Some(settings),
            },
        ));
        let listed = Reader::get(&reader.kiro, &format!("{path}/domains")).await?;
        let mut domains: Vec<Value> = listed["domains"].as_array().cloned().unwrap_or_default();
        domains.sort_by(|a, b| s(a, "domainName").cmp(s(b, "domainName")));
        let mut kept = Vec::new();
        for domain in &domains {
            let name = s(domain, "domainName").to_string();
            let token = format!("{}_txt", out.var("domain", &name));
            out.push(
                Step::typed(
                    "kiro",
                    &kiro::AddDomain {
                        profile: format!("${{{var}}}"),
                        domain: name.clone(),
                    },
                )
                .save(&token, "$.verificationRecord.value"),
            );
            out.bind(s(&domain["verificationRecord"], "value"), &token);
            kept.push((name, s(domain, "status").to_string()));
        }
        profiles.push(Profile {
            id,
            var,
            scim_url: s(profile, "scimEndpoint").to_string(),
            domains: kept,
        });
    }
    Ok(profiles)
}

async fn dns_records(reader: &Reader, out: &mut Out) -> Result<(), ExportError> {
    let mut zones = reader.dns_list("/client/v4/zones").await?;
    zones.sort_by(|a, b| s(a, "name").cmp(s(b, "name")));
    if zones.is_empty() {
        return Ok(());
    }
    out.comment("DNS: the zones (created at start by `world: zones`) and their records");
    for zone in &zones {
        let name = s(zone, "name").to_string();
        out.zones.push(name.clone());
        let var = out.var("zone", &name);
        out.push(
            Step::typed("dns", &dns::FindZone { name: name.clone() })
                .save(&var, "$.result[0].id")
                .note("zones come from `world: zones` (creating one a fresh world already serves is refused)"),
        );
        let mut records = reader
            .dns_list(&format!("/client/v4/zones/{}/dns_records", s(zone, "id")))
            .await?;
        records.sort_by(|a, b| {
            (s(a, "name"), s(a, "type"), s(a, "content")).cmp(&(
                s(b, "name"),
                s(b, "type"),
                s(b, "content"),
            ))
        });
        for record in &records {
            let content = s(record, "content");
            let ttl = record["ttl"].as_u64().and_then(|t| u32::try_from(t).ok());
            let mut step = Step::typed(
                "dns",
                &dns::CreateRecord {
                    zone: format!("${{{var}}}"),
                    record_type: s(record, "type").into(),
                    name: s(record, "name").into(),
                    content: out.r(content),
                    ttl: ttl.filter(|t| *t != 1),
                },
            );
            if out.refs.contains_key(content) {
                step =
                    step.note("the Kiro domain's verification token, as the new profile gave it");
            }
            out.push(step);
        }
    }
    Ok(())
}

fn verify_domains(out: &mut Out, profiles: &[Profile]) {
    for profile in profiles {
        for (domain, status) in &profile.domains {
            if status == "VERIFIED" {
                out.push(Step::typed(
                    "kiro",
                    &kiro::VerifyDomain {
                        profile: format!("${{{}}}", profile.var),
                        domain: domain.clone(),
                    },
                ));
            }
        }
    }
}

/// Per profile id, the variable of its first active SCIM token.
async fn scim_tokens(
    reader: &Reader,
    out: &mut Out,
    profiles: &[Profile],
) -> Result<HashMap<String, String>, ExportError> {
    let mut first = HashMap::new();
    for profile in profiles {
        let listed = Reader::get(
            &reader.kiro,
            &format!("/console/profiles/{}/scim-tokens", profile.id),
        )
        .await?;
        let mut tokens: Vec<Value> = listed["tokens"].as_array().cloned().unwrap_or_default();
        tokens.retain(|t| s(t, "status") == "ACTIVE");
        tokens.sort_by(|a, b| s(a, "createdAt").cmp(s(b, "createdAt")));
        for _ in &tokens {
            let var = out.var("scim_token", &profile.var);
            out.push(
                Step::typed(
                    "kiro",
                    &kiro::CreateScimToken {
                        profile: format!("${{{}}}", profile.var),
                    },
                )
                .save(&var, "$.token")
                .note("SCIM token secrets cannot be read back (Kiro keeps a hash): a new token, used by Okta's connection below"),
            );
            first.entry(profile.id.clone()).or_insert(var);
        }
    }
    Ok(first)
}

async fn provisioning(
    reader: &Reader,
    out: &mut Out,
    app: &Value,
    connection: &Value,
    profiles: &[Profile],
    tokens: &HashMap<String, String>,
) -> Result<(), ExportError> {
    let id = s(app, "id");
    let app_ref = out.r(id);
    out.comment(&format!(
        "Okta: provisioning of \"{}\" (API integration, To App, mappings, assignments, group push)",
        s(app, "label")
    ));
    let base_url = s(connection, "baseUrl").trim_end_matches('/');
    let profile = profiles
        .iter()
        .find(|p| p.scim_url.trim_end_matches('/') == base_url);
    match profile.and_then(|p| tokens.get(&p.id).map(|t| (p, t))) {
        Some((profile, token)) if s(connection, "status") == "ENABLED" => {
            out.push(
                Step::typed(
                    "okta",
                    &okta::SetConnection {
                        app: app_ref.clone(),
                        base_url: format!("${{{}_scim%/}}", profile.var),
                        token: format!("${{{token}}}"),
                    },
                )
                .note("Kiro's SCIM endpoint without the trailing slash, and the new SCIM token"),
            );
        }
        _ => out.notes.push(format!(
            "the API integration of \"{}\" ({base_url}) names no exported Kiro profile with an active token, or is not enabled: not recreated",
            s(app, "label")
        )),
    }
    // To App: the features as read.
    let features = reader
        .okta_list(&format!("/api/v1/apps/{id}/features"))
        .await?;
    for feature in &features {
        let capabilities = &feature["capabilities"];
        if s(feature, "name") == "USER_PROVISIONING" && capabilities.is_object() {
            let on = |part: &Value| Some(s(part, "status") == "ENABLED");
            out.push(
                Step::typed(
                    "okta",
                    &okta::SetFeatures {
                        app: app_ref.clone(),
                        create_users: on(&capabilities["create"]["lifecycleCreate"]),
                        update_attributes: on(&capabilities["update"]["profile"]),
                        deactivate_users: on(&capabilities["update"]["lifecycleDeactivate"]),
                    },
                )
                .note(
                    "To App: Create Users, Update User Attributes, Deactivate Users as they were",
                ),
            );
        }
    }
    // Attribute mappings: what differs from the catalog's defaults.
    let mappings = reader
        .okta_list(&format!("/api/v1/mappings?targetId={id}"))
        .await?;
    if let Some(mapping) = mappings.first() {
        let full = Reader::get(
            &reader.okta,
            &format!("/api/v1/mappings/{}", s(mapping, "id")),
        )
        .await?;
        let current = full["properties"].as_object().cloned().unwrap_or_default();
        let property = |p: &Value| okta::MappingProperty {
            expression: s(p, "expression").to_string(),
            push_status: match s(p, "pushStatus") {
                "PUSH" => Some(okta::MappingPush::Push),
                "DONT_PUSH" => Some(okta::MappingPush::DontPush),
                _ => None,
            },
        };
        let mut changes = Vec::new();
        for (attr, expression) in IDC_DEFAULT_MAPPINGS {
            match current.get(*attr) {
                None => changes.push((attr.to_string(), None)),
                Some(p) if s(p, "expression") != *expression || s(p, "pushStatus") != "PUSH" => {
                    changes.push((attr.to_string(), Some(property(p))));
                }
                Some(_) => {}
            }
        }
        for (attr, p) in &current {
            if !IDC_DEFAULT_MAPPINGS.iter().any(|(a, _)| a == attr) {
                changes.push((attr.clone(), Some(property(p))));
            }
        }
        if !changes.is_empty() {
            let var = out.var("mapping", s(app, "label"));
            out.push(
                Step::http(
                    "okta",
                    "GET",
                    format!("/api/v1/mappings?targetId={app_ref}"),
                    None,
                )
                .save(&var, "$[0].id"),
            );
            out.push(
                Step::typed(
                    "okta",
                    &okta::SetMapping {
                        mapping: format!("${{{var}}}"),
                        properties: okta::MappingProperties(changes),
                    },
                )
                .note("the attribute mappings that differ from the catalog app's defaults (null: removed)"),
            );
        }
    }
    assignments(reader, out, id).await?;
    let mut pushes = reader
        .okta_list(&format!("/api/v1/apps/{id}/group-push/mappings"))
        .await?;
    pushes.sort_by(|a, b| {
        out.r(s(a, "sourceGroupId"))
            .cmp(&out.r(s(b, "sourceGroupId")))
    });
    for push in &pushes {
        let group = out.r(s(push, "sourceGroupId"));
        let var = out.var("push", group.trim_start_matches("${").trim_end_matches('}'));
        out.push(
            Step::typed(
                "okta",
                &okta::PushGroup {
                    app: app_ref.clone(),
                    group,
                    active: (s(push, "status") == "INACTIVE").then_some(false),
                },
            )
            .save(&var, "$.id"),
        );
        let target = s(push, "targetGroupId");
        if !target.is_empty() {
            let kiro_group = format!("{var}_kiro_group");
            out.push(
                Step::http(
                    "okta",
                    "GET",
                    format!("/api/v1/apps/{app_ref}/group-push/mappings/${{{var}}}"),
                    None,
                )
                .save(&kiro_group, "$.targetGroupId")
                .note("the group Okta's push created in Kiro"),
            );
            out.bind(target, &kiro_group);
        }
    }
    Ok(())
}

async fn subscriptions(
    reader: &Reader,
    out: &mut Out,
    profiles: &[Profile],
    provisioned: &[(Value, Value)],
    users: &[User],
) -> Result<(), ExportError> {
    for profile in profiles {
        let listed = Reader::get(
            &reader.kiro,
            &format!("/console/profiles/{}/subscriptions", profile.id),
        )
        .await?;
        let mut groups: Vec<Value> = listed["groupSubscriptions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        groups.sort_by(|a, b| s(a, "groupName").cmp(s(b, "groupName")));
        let mut seats: Vec<Value> = listed["seats"].as_array().cloned().unwrap_or_default();
        seats.retain(|seat| {
            seat["sources"]
                .as_array()
                .is_some_and(|sources| sources.iter().any(|src| s(src, "type") == "DIRECT"))
        });
        seats.sort_by(|a, b| s(a, "userName").cmp(s(b, "userName")));
        if groups.is_empty() && seats.is_empty() {
            continue;
        }
        out.comment(&format!("Kiro: subscriptions of {}", profile.var));
        for group in &groups {
            let id = s(group, "groupId");
            let Some(var) = out.refs.get(id).cloned() else {
                out.notes.push(format!(
                    "the subscription of Kiro group \"{}\" is not recreated: no Okta group push made it",
                    s(group, "groupName")
                ));
                continue;
            };
            out.push(Step::typed(
                "kiro",
                &kiro::Subscribe {
                    profile: format!("${{{}}}", profile.var),
                    tier: s(group, "tier").into(),
                    user: None,
                    group: Some(var),
                },
            ));
        }
        // The provisioning app pushing to this profile: its app users name the Kiro users.
        let app = provisioned
            .iter()
            .find(|(_, c)| {
                s(c, "baseUrl").trim_end_matches('/') == profile.scim_url.trim_end_matches('/')
            })
            .map(|(app, _)| out.r(s(app, "id")));
        for seat in &seats {
            let login = s(seat, "userName");
            let user = users.iter().find(|u| u.login == login);
            let (Some(app), Some(user)) = (&app, user) else {
                out.notes.push(format!(
                    "the subscription of Kiro user {login} is not recreated: no Okta user pushed as it"
                ));
                continue;
            };
            let var = format!("{}_kiro", user.var);
            out.push(
                Step::http(
                    "okta",
                    "GET",
                    format!("/api/v1/apps/{app}/users/${{{}}}", user.var),
                    None,
                )
                .save(&var, "$.externalId")
                .note("the Kiro user Okta's push created"),
            );
            out.push(
                Step::typed(
                    "kiro",
                    &kiro::Subscribe {
                        profile: format!("${{{}}}", profile.var),
                        tier: s(seat, "tier").into(),
                        user: Some(format!("${{{var}}}")),
                        group: None,
                    },
                )
                .note("a direct subscription (the seat's tier)"),
            );
        }
    }
    Ok(())
}

fn lifecycle(out: &mut Out, users: &[User]) {
    let changed: Vec<&User> = users
        .iter()
        .filter(|u| matches!(u.status.as_str(), "SUSPENDED" | "DEPROVISIONED"))
        .collect();
    if changed.is_empty() {
        return;
    }
    out.comment("Okta: users' status");
    for user in changed {
        let r = format!("${{{}}}", user.var);
        if user.status == "SUSPENDED" {
            out.push(Step::typed("okta", &okta::SuspendUser { user: r }));
        } else {
            out.push(Step::typed("okta", &okta::DeactivateUser { user: r }));
        }
    }
}

/// The clock: advanced by the time the exported world had run since the org's start.
async fn clock(reader: &Reader, out: &mut Out) -> Result<(), ExportError> {
    let clock = Reader::get(&reader.okta, "/_sim/clock").await?;
    let now_ms = clock["unix_ms"]
        .as_u64()
        .ok_or_else(|| shape("/_sim/clock", "no unix_ms"))?;
    let now = SystemTime::UNIX_EPOCH + Duration::from_millis(now_ms);
    let default = Reader::get(&reader.okta, "/api/v1/authorizationServers/default").await?;
    let Some(start) = time_of(s(&default, "created")) else {
        return Err(shape(
            "/api/v1/authorizationServers/default",
            "no `created` time",
        ));
    };
    let elapsed = now.duration_since(start).unwrap_or_default();
    let elapsed = Duration::from_secs(elapsed.as_secs());
    if elapsed > Duration::ZERO {
        out.comment("The clock");
        out.push(
            Step::new(
                "advance",
                Value::String(humantime::format_duration(elapsed).to_string()),
            )
            .note(format!(
                "the world's time at export was {} after its start",
                humantime::format_duration(elapsed)
            )),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_links_and_slugs() {
        let link = "<http://o/api/v1/users?limit=1>; rel=\"self\", <http://o/api/v1/users?limit=1&after=00u>; rel=\"next\"";
        assert_eq!(
            crate::clients::link_rel(link, "next").as_deref(),
            Some("http://o/api/v1/users?limit=1&after=00u")
        );
        assert_eq!(
            crate::clients::link_rel("<http://o/x>; rel=\"self\"", "next"),
            None
        );
        assert_eq!(slug("Kiro Developers"), "kiro_developers");
        assert_eq!(slug("--"), "x");
        let mut out = Out::default();
        assert_eq!(out.var("user", "ada"), "user_ada");
        assert_eq!(out.var("user", "ada"), "user_ada_2");
    }
}
