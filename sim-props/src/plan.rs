//! How each model action is done against the real world, written once as data ([`Req`]):
//! the harness ([`crate::world`]) sends these requests, and a failing sequence is written out
//! as a scenario file from the very same requests ([`scenario_yaml`]), so the file replays
//! exactly what the property test did.
//!
//! Requests name ids through `${variables}` saved from earlier answers (`save`), as scenario
//! files do; the variables are the same in both.

use std::fmt::Write as _;

use serde_json::{Value, json};

use sim_api::{AdminRequest, kiro, okta};
use sim_core::faults::{FaultAction, FaultRule, Respond};

use crate::model::{
    Action, App, DOMAINS, FAULT_WINDOW_SECS, Feature, GROUPS, INITIAL_USERS, Model, Outcome,
    PROFILES, ScimFault, USERS, View,
};

/// The password of every user.
pub const PASSWORD: &str = "Correct-Horse-9";

pub use scenarios::actions::Service;

/// One HTTP request of an action.
#[derive(Clone, Debug, PartialEq)]
pub struct Req {
    /// Where.
    pub service: Service,
    /// Method.
    pub method: &'static str,
    /// Path (or absolute URL), with `${…}`.
    pub path: String,
    /// JSON body, with `${…}`.
    pub body: Option<Value>,
    /// `Some(token)`: `Authorization: Bearer token` instead of the admin credential.
    pub bearer: Option<String>,
    /// Variables to save from the answer: `(name, JSON path)`.
    pub save: Vec<(String, String)>,
}

impl Req {
    fn new(service: Service, method: &'static str, path: impl Into<String>) -> Req {
        Req {
            service,
            method,
            path: path.into(),
            body: None,
            bearer: None,
            save: Vec::new(),
        }
    }

    fn save(mut self, name: impl Into<String>, path: &str) -> Req {
        self.save.push((name.into(), path.to_string()));
        self
    }

    fn bearer(mut self, token: &str) -> Req {
        self.bearer = Some(token.to_string());
        self
    }
}

fn okta(method: &'static str, path: impl Into<String>) -> Req {
    Req::new(Service::Okta, method, path)
}

fn kiro(method: &'static str, path: impl Into<String>) -> Req {
    Req::new(Service::Kiro, method, path)
}

/// A typed action ([`sim_api`]), as scenario files and the typed clients make it.
fn typed(service: Service, action: &impl AdminRequest) -> Req {
    let http = action.request();
    let mut req = Req::new(service, http.method, http.path);
    req.body = http.body;
    req
}

/// A typed Okta action ([`sim_api::okta`]).
fn admin(action: &impl AdminRequest) -> Req {
    typed(Service::Okta, action)
}

/// A typed DNS action ([`sim_api::dns`]).
fn dns(action: &impl AdminRequest) -> Req {
    typed(Service::Dns, action)
}

/// A typed Kiro console action ([`sim_api::kiro`]).
fn console(action: &impl AdminRequest) -> Req {
    typed(Service::Kiro, action)
}

fn app_var(app: App) -> &'static str {
    match app {
        App::Oidc => "${client_id}",
        App::Scim => "${scim_app}",
    }
}

fn create_user(u: usize) -> Req {
    let (login, first, last) = USERS[u];
    admin(&okta::CreateUser {
        login: login.into(),
        first: first.into(),
        last: last.into(),
        password: Some(PASSWORD.into()),
        activate: None,
        email: None,
    })
    .save(format!("u{u}"), "$.id")
}

/// Everything the world's set-up does, in order: the Okta org (users, groups, the OIDC app,
/// the authorization server with the Kiro scopes and an access policy), two Kiro profiles on
/// it with `example.com` verified in the first, two SCIM tokens (Okta's and an observer's),
/// and the provisioning app connected to the first profile with the model's features.
pub fn setup(model: &Model) -> Vec<Req> {
    let mut out = Vec::new();
    for u in 0..INITIAL_USERS {
        out.push(create_user(u));
    }
    for (g, name) in GROUPS.iter().enumerate() {
        out.push(
            admin(&okta::CreateGroup {
                name: name.to_string(),
                description: None,
            })
            .save(format!("g{g}"), "$.id"),
        );
    }
    out.push(
        admin(&okta::CreateOidcApp {
            label: "Kiro-OIDC".into(),
            refresh_token: None,
            redirect_uris: None,
        })
        .save("client_id", "$.id"),
    );
    out.push(
        admin(&okta::CreateAuthServer {
            name: "Kiro".into(),
            audience: Some("api://kiro".into()),
        })
        .save("as_id", "$.id")
        .save("issuer", "$.issuer"),
    );
    for scope in ["codewhisperer:completions", "codewhisperer:conversations"] {
        out.push(admin(&okta::AddScope {
            server: "${as_id}".into(),
            name: scope.into(),
            consent: None,
        }));
    }
    out.push(
        admin(&okta::CreatePolicy {
            server: "${as_id}".into(),
            name: "Kiro".into(),
            clients: vec!["${client_id}".into()],
            priority: None,
        })
        .save("policy_id", "$.id"),
    );
    out.push(admin(&okta::AddRule {
        server: "${as_id}".into(),
        policy: "${policy_id}".into(),
        name: "Kiro rule".into(),
        scopes: vec![
            "codewhisperer:completions".into(),
            "codewhisperer:conversations".into(),
            "offline_access".into(),
        ],
        grant_types: None,
        groups: None,
        access_token_minutes: None,
        refresh_token_minutes: None,
    }));
    for (p, name) in PROFILES.iter().enumerate() {
        out.push(
            console(&kiro::CreateProfile {
                name: name.to_string(),
                issuer: "${issuer}".into(),
                client_id: "${client_id}".into(),
            })
            .save(format!("profile{p}"), "$.profileId")
            .save(format!("scim{p}"), "$.scimEndpoint"),
        );
    }
    for (d, domain) in DOMAINS.iter().enumerate() {
        out.push(
            dns(&sim_api::dns::FindZone {
                name: domain.to_string(),
            })
            .save(format!("zone{d}"), "$.result[0].id"),
        );
    }
    out.extend(add_domain(0, 0));
    out.push(publish_txt(0, 0));
    out.push(console(&kiro::VerifyDomain {
        profile: "${profile0}".into(),
        domain: DOMAINS[0].into(),
    }));
    out.push(new_token(0));
    out.push(
        console(&kiro::CreateScimToken {
            profile: "${profile0}".into(),
        })
        .save("observer", "$.token"),
    );
    out.push(admin(&okta::CreateScimApp { label: None }).save("scim_app", "$.id"));
    out.push(admin(&okta::SetConnection {
        app: "${scim_app}".into(),
        base_url: "${scim0%/}".into(),
        token: "${token0}".into(),
    }));
    out.push(features(model));
    out.push(okta("GET", "/api/v1/mappings?targetId=${scim_app}").save("mapping", "$[0].id"));
    out.push(admin(&okta::SetMapping {
        mapping: "${mapping}".into(),
        properties: okta::MappingProperties(vec![
            ("department".into(), None),
            ("employeeNumber".into(), None),
        ]),
    }));
    out
}

fn features(model: &Model) -> Req {
    let on = |f: Feature| Some(model.features.contains(&f));
    admin(&okta::SetFeatures {
        app: "${scim_app}".into(),
        create_users: on(Feature::CreateUsers),
        update_attributes: on(Feature::UpdateAttributes),
        deactivate_users: on(Feature::DeactivateUsers),
    })
}

fn add_domain(p: usize, d: usize) -> Vec<Req> {
    vec![
        console(&kiro::AddDomain {
            profile: format!("${{profile{p}}}"),
            domain: DOMAINS[d].into(),
        })
        .save(format!("record_{p}_{d}"), "$.verificationRecord.name")
        .save(format!("value_{p}_{d}"), "$.verificationRecord.value"),
    ]
}

fn publish_txt(p: usize, d: usize) -> Req {
    dns(&sim_api::dns::CreateRecord::txt(
        &format!("${{zone{d}}}"),
        &format!("${{record_{p}_{d}}}"),
        &format!("${{value_{p}_{d}}}"),
    ))
}

fn new_token(k: usize) -> Req {
    console(&kiro::CreateScimToken {
        profile: "${profile0}".into(),
    })
    .save(format!("token{k}"), "$.token")
    .save(format!("token_id{k}"), "$.tokenId")
}

/// Looks up user `u`'s id in Kiro (as `kiro_u{u}`), the way a SCIM client asks.
fn kiro_user(u: usize) -> Req {
    kiro(
        "GET",
        format!("${{scim0}}Users?filter=userName eq \"{}\"", USERS[u].0),
    )
    .bearer("${observer}")
    .save(format!("kiro_u{u}"), "$.Resources[0].id")
}

/// Looks up group `g`'s id in Kiro (as `kiro_g{g}`).
fn kiro_group(g: usize) -> Req {
    kiro(
        "GET",
        format!("${{scim0}}Groups?filter=displayName eq \"{}\"", GROUPS[g]),
    )
    .bearer("${observer}")
    .save(format!("kiro_g{g}"), "$.Resources[0].id")
}

/// The requests of an admin action (`None` for user and time actions).
pub fn requests(action: &Action, before: &Model) -> Option<Vec<Req>> {
    Some(match *action {
        Action::CreateUser(u) => vec![create_user(u)],
        Action::DeactivateUser(u) => vec![admin(&okta::DeactivateUser {
            user: format!("${{u{u}}}"),
        })],
        Action::ReactivateUser(u) => vec![admin(&okta::ActivateUser {
            user: format!("${{u{u}}}"),
        })],
        Action::AddMember(u, g) => vec![admin(&okta::AddMember {
            group: format!("${{g{g}}}"),
            user: format!("${{u{u}}}"),
        })],
        Action::RemoveMember(u, g) => vec![admin(&okta::RemoveMember {
            group: format!("${{g{g}}}"),
            user: format!("${{u{u}}}"),
        })],
        Action::AssignUser(app, u) => vec![admin(&okta::AssignUser {
            app: app_var(app).into(),
            user: format!("${{u{u}}}"),
        })],
        Action::UnassignUser(app, u) => vec![admin(&okta::UnassignUser {
            app: app_var(app).into(),
            user: format!("${{u{u}}}"),
        })],
        Action::AssignGroup(app, g) => vec![admin(&okta::AssignGroup {
            app: app_var(app).into(),
            group: format!("${{g{g}}}"),
        })],
        Action::UnassignGroup(app, g) => vec![admin(&okta::UnassignGroup {
            app: app_var(app).into(),
            group: format!("${{g{g}}}"),
        })],
        Action::SetFeature(f, on) => {
            let mut after = before.clone();
            if on {
                after.features.insert(f);
            } else {
                after.features.remove(&f);
            }
            vec![features(&after)]
        }
        Action::PushGroup(g) => vec![
            admin(&okta::PushGroup {
                app: "${scim_app}".into(),
                group: format!("${{g{g}}}"),
                active: None,
            })
            .save(format!("push{g}"), "$.id"),
        ],
        Action::UnlinkGroup(g) => vec![
            admin(&okta::SetPushStatus {
                app: "${scim_app}".into(),
                mapping: format!("${{push{g}}}"),
                active: false,
            }),
            okta(
                "DELETE",
                format!(
                    "/api/v1/apps/${{scim_app}}/group-push/mappings/${{push{g}}}?deleteTargetGroup=true"
                ),
            ),
        ],
        Action::SubscribeUser(u, tier) => vec![
            kiro_user(u),
            console(&kiro::Subscribe {
                profile: "${profile0}".into(),
                tier: tier.as_str().into(),
                user: Some(format!("${{kiro_u{u}}}")),
                group: None,
            }),
        ],
        Action::ChangeTier(u, tier) => vec![
            kiro_user(u),
            console(&kiro::ChangeTier {
                profile: "${profile0}".into(),
                user: format!("${{kiro_u{u}}}"),
                tier: tier.as_str().into(),
            }),
        ],
        Action::UnsubscribeUser(u) => vec![
            kiro_user(u),
            console(&kiro::UnsubscribeUser {
                profile: "${profile0}".into(),
                user: format!("${{kiro_u{u}}}"),
            }),
        ],
        Action::SubscribeGroup(g, tier) => vec![
            kiro_group(g),
            console(&kiro::Subscribe {
                profile: "${profile0}".into(),
                tier: tier.as_str().into(),
                user: None,
                group: Some(format!("${{kiro_g{g}}}")),
            }),
        ],
        Action::UnsubscribeGroup(g) => vec![
            kiro_group(g),
            console(&kiro::UnsubscribeGroup {
                profile: "${profile0}".into(),
                group: format!("${{kiro_g{g}}}"),
            }),
        ],
        Action::AddDomain(p, d) => add_domain(p, d),
        Action::PublishTxt(p, d) => vec![publish_txt(p, d)],
        Action::VerifyDomain(p, d) => vec![console(&kiro::VerifyDomain {
            profile: format!("${{profile{p}}}"),
            domain: DOMAINS[d].into(),
        })],
        Action::RemoveDomain(p, d) => vec![kiro(
            "DELETE",
            format!("/console/profiles/${{profile{p}}}/domains/{}", DOMAINS[d]),
        )],
        Action::GenerateScimToken => vec![new_token(before.scim_tokens.len())],
        Action::RevokeScimToken(k) => vec![console(&kiro::RevokeScimToken {
            profile: "${profile0}".into(),
            token_id: format!("${{token_id{k}}}"),
        })],
        Action::OktaUsesToken(k) => vec![admin(&okta::SetConnection {
            app: "${scim_app}".into(),
            base_url: "${scim0%/}".into(),
            token: format!("${{token{k}}}"),
        })],
        Action::SignIn(_)
        | Action::Complete(_)
        | Action::Chat(_)
        | Action::Refresh(_)
        | Action::Advance(_)
        | Action::DuringScimFault(..) => return None,
    })
}

/// The path pattern of a SCIM fault: every call under Kiro's SCIM endpoints.
pub const SCIM_FAULT_PATH: &str = "/*/scim/v2/**";

/// The fault rule on Kiro of a [`ScimFault`]: every SCIM call fails that way until removed.
pub fn scim_fault_rule(fault: ScimFault) -> FaultRule {
    let action = match fault {
        ScimFault::ServerError => FaultAction::Respond(Respond::status(503)),
        ScimFault::Throttled => FaultAction::Respond(Respond::status(429).header(
            "Retry-After",
            &crate::model::THROTTLE_RETRY_AFTER_SECS.to_string(),
        )),
        ScimFault::Timeout => FaultAction::Hang,
    };
    FaultRule::new("*", SCIM_FAULT_PATH, action)
}

/// The HTTP status a refused admin action answers with.
pub fn refusal_status(reason: &str) -> u16 {
    match reason {
        "domain already in use" => 409,
        "token limit" => 400,
        _ => 404,
    }
}

/// The IDE actor name of user `u` in scenario files.
pub fn actor(u: usize) -> String {
    USERS[u].1.to_ascii_lowercase()
}

fn yaml(value: &Value) -> String {
    // JSON is YAML (flow style); keep it on one line.
    value.to_string()
}

fn quote(text: &str) -> String {
    Value::String(text.to_string()).to_string()
}

fn req_yaml(r: &Req, expect: Option<String>) -> String {
    let mut out = format!(
        "  - http: {{ service: {}, method: {}, path: {}",
        r.service.name(),
        r.method,
        quote(&r.path)
    );
    if let Some(body) = &r.body {
        let _ = write!(out, ", body: {}", yaml(body));
    }
    if let Some(token) = &r.bearer {
        let _ = write!(out, ", as: {}", quote(&format!("bearer {token}")));
    }
    out.push_str(" }\n");
    if !r.save.is_empty() {
        let fields: Vec<String> = r
            .save
            .iter()
            .map(|(name, path)| format!("{name}: {}", quote(path)))
            .collect();
        let _ = writeln!(out, "    save: {{ {} }}", fields.join(", "));
    }
    if let Some(expect) = expect {
        let _ = writeln!(out, "    expect: {expect}");
    }
    out
}

/// The steps of one action with the outcome `after` expects.
fn action_yaml(action: &Action, before: &Model, after: &Model) -> String {
    let mut out = format!("  # {action:?}\n");
    match action {
        Action::SignIn(u) | Action::Complete(u) | Action::Chat(u) | Action::Refresh(u) => {
            let verb = match action {
                Action::SignIn(_) => "sign_in",
                Action::Complete(_) => "complete",
                Action::Chat(_) => "chat",
                _ => "refresh_now",
            };
            let _ = writeln!(out, "  - {}.{verb}:", actor(*u));
            let expect = match &after.expected {
                Outcome::Refused("access denied") => {
                    Some("{ status: 403, error: AccessDeniedException }")
                }
                Outcome::Refused("signed out") => Some("{ error: not signed in }"),
                Outcome::Refused("no route") => Some("{ error: no organization is set up }"),
                Outcome::Refused("sign-in refused") => Some("{ error: sign-in failed }"),
                Outcome::Refused(_) => Some("{ status: 429 }"),
                _ => None,
            };
            if let Some(e) = expect {
                let _ = writeln!(out, "    expect: {e}");
            }
        }
        Action::Advance(secs) => {
            let _ = writeln!(out, "  - advance: {secs}s");
        }
        Action::DuringScimFault(fault, inner) => {
            let mut rule = serde_json::to_value(scim_fault_rule(*fault)).unwrap_or_default();
            rule["service"] = json!("kiro");
            let _ = writeln!(out, "  - fault: {}", yaml(&rule));
            out.push_str(&action_yaml(inner, before, after));
            out.push_str("  - fault: { service: kiro, clear: true }\n");
            let _ = writeln!(out, "  - advance: {FAULT_WINDOW_SECS}s");
        }
        _ => {
            let reqs = requests(action, before).unwrap_or_default();
            let last = reqs.len().saturating_sub(1);
            for (i, r) in reqs.iter().enumerate() {
                let expect = if i == last {
                    match &after.expected {
                        Outcome::Ok => None,
                        Outcome::Refused(reason) => {
                            Some(format!("{{ status: {} }}", refusal_status(reason)))
                        }
                        Outcome::Domain(status) => {
                            Some(format!("{{ json: {{ $.status: {status} }} }}"))
                        }
                    }
                } else {
                    None
                };
                // A refused request's answer has nothing to save.
                let mut r = r.clone();
                if i == last && matches!(after.expected, Outcome::Refused(_)) {
                    r.save.clear();
                }
                out.push_str(&req_yaml(&r, expect));
            }
        }
    }
    out
}

/// Checks of the whole observable state, as scenario steps expecting what `view` says.
fn view_yaml(view: &View) -> String {
    let mut out = String::from("  # What the world must show now (the model's view).\n");
    out.push_str(&req_yaml(
        &kiro("GET", "${scim0}Users").bearer("${observer}"),
        Some(format!(
            "{{ json: {{ $.totalResults: {} }} }}",
            view.kiro_users.len()
        )),
    ));
    for (login, active) in &view.kiro_users {
        out.push_str(&req_yaml(
            &kiro(
                "GET",
                format!("${{scim0}}Users?filter=userName eq \"{login}\""),
            )
            .bearer("${observer}"),
            Some(format!(
                "{{ json: {{ \"$.Resources[0].active\": {active} }} }}"
            )),
        ));
    }
    out.push_str(&req_yaml(
        &kiro("GET", "${scim0}Groups").bearer("${observer}"),
        Some(format!(
            "{{ json: {{ $.totalResults: {} }} }}",
            view.kiro_groups.len()
        )),
    ));
    for (name, members) in &view.kiro_groups {
        let g = GROUPS.iter().position(|n| n == name).unwrap_or(0);
        out.push_str(&req_yaml(&kiro_group(g), None));
        for (u, (login, _, _)) in USERS.iter().enumerate() {
            if !view.kiro_users.contains_key(*login) {
                continue;
            }
            out.push_str(&req_yaml(&kiro_user(u), None));
            out.push_str(&req_yaml(
                &kiro(
                    "GET",
                    format!(
                        "${{scim0}}Groups?filter=id eq \"${{kiro_g{g}}}\" and members eq \"${{kiro_u{u}}}\""
                    ),
                )
                .bearer("${observer}"),
                Some(format!(
                    "{{ json: {{ $.totalResults: {} }} }}",
                    u8::from(members.contains(*login))
                )),
            ));
        }
    }
    let mut checks = vec![format!("$.seats: {{ count: {} }}", view.seats.len())];
    for (login, seat) in &view.seats {
        checks.push(format!(
            "$.seats: {{ contains: {} }}",
            json!({ "userName": login, "tier": seat.tier, "status": seat.status, "pendingTier": seat.pending_tier.as_ref().map(|t| json!({ "tier": t })) })
        ));
    }
    checks.push(format!(
        "$.pendingGrants: {{ count: {} }}",
        view.pending_grants.len()
    ));
    checks.push(format!(
        "$.groupSubscriptions: {{ count: {} }}",
        view.group_subscriptions.len()
    ));
    // One step per check keeps the failure message pointed.
    for check in checks {
        out.push_str(&req_yaml(
            &console(&kiro::Subscriptions {
                profile: "${profile0}".into(),
            }),
            Some(format!("{{ json: {{ {check} }} }}")),
        ));
    }
    for p in 0..PROFILES.len() {
        let domains: Vec<(&String, &String)> = view
            .domains
            .iter()
            .filter(|((q, _), _)| *q == p)
            .map(|((_, d), s)| (d, s))
            .collect();
        out.push_str(&req_yaml(
            &kiro("GET", format!("/console/profiles/${{profile{p}}}/domains")),
            Some(format!(
                "{{ json: {{ $.domains: {{ count: {} }} }} }}",
                domains.len()
            )),
        ));
        for (d, status) in domains {
            out.push_str(&req_yaml(
                &kiro(
                    "GET",
                    format!("/console/profiles/${{profile{p}}}/domains/{d}"),
                ),
                Some(format!("{{ json: {{ $.status: {status} }} }}")),
            ));
        }
    }
    out
}

/// A failing sequence as a scenario file: the set-up, each action with the outcome the model
/// expects, and after the last one every check of the model's view. Replay it with
/// `cargo xtask scenario FILE`.
pub fn scenario_yaml(title: &str, seed: u64, initial: &Model, actions: &[Action]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "name: {}", quote(title));
    let _ = writeln!(
        out,
        "description: >\n  Written by the model-based property tests (sim-props) from a shrunk failing\n  sequence: the world's set-up, then each action with the outcome the reference model\n  expects, then the state the model expects the world to show."
    );
    out.push_str("covers: [OKTA-PROV-7, OKTA-TOK-4, KIRO-SUB-4]\n");
    let _ = writeln!(out, "seed: {seed}");
    let _ = writeln!(
        out,
        "world: {{ zones: [example.com, example.org], sync_delay: {}s, domain_check: {}s }}",
        initial.sync_delay,
        crate::model::DOMAIN_CHECK_SECS
    );
    out.push_str("actors:\n  okta: okta-admin\n  kiro: kiro-admin\n  dns: dns-admin\n");
    for (u, (login, _, _)) in USERS.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {}: {{ ide: {login}, password: {PASSWORD} }}",
            actor(u)
        );
    }
    out.push_str("steps:\n  # The set-up.\n");
    let mut model = initial.start();
    for r in setup(&model) {
        out.push_str(&req_yaml(&r, None));
    }
    for action in initial.prelude.iter().chain(actions) {
        let before = model.clone();
        model.apply(action);
        out.push_str(&action_yaml(action, &before, &model));
    }
    out.push_str(&view_yaml(&model.view()));
    out
}
