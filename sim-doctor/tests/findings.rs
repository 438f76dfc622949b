//! Every finding of `kiro-sim doctor`: each test starts a world with the documented setup,
//! breaks one thing through the public APIs, and expects exactly that finding; the documented
//! world yields none; and the doctor only ever reads (every request it makes is a GET).

// covers: DOC-1, DOC-2, DOC-3, DOC-4, DOC-5, DOC-6, DOC-7, DOC-8, DOC-9, DOC-10, DOC-11, DOC-12
// covers: DOC-13, DOC-14, DOC-15, DOC-16, DOC-17, DOC-18, DOC-19, DOC-20, DOC-21, DOC-22
// covers: DOC-23, DOC-24, DOC-25, DOC-26, DOC-27, DOC-28, DOC-29, DOC-30, DOC-31, DOC-32
// covers: DOC-33, DOC-34

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Map, Value, json};
use sim_doctor::{Report, Target};
use sim_world::clients::Api;
use sim_world::setup::Documented;
use sim_world::{World, WorldConfig};

/// A documented world and the ids a test needs to break it.
struct W {
    world: World,
    doc: Documented,
    okta: Api,
    kiro: Api,
    /// The Kiro profile's id.
    profile: String,
    /// The authorization server's id.
    server: String,
    /// "Kiro Developers".
    group: String,
}

async fn documented() -> W {
    let world = World::start(WorldConfig {
        zones: vec!["example.com".into()],
        ..WorldConfig::default()
    })
    .await
    .expect("world");
    let doc = sim_world::setup::documented(&world).await.expect("setup");
    let clients = world.clients();
    let okta = clients.okta.api.clone();
    let kiro = clients.kiro.api.clone();
    let profile = doc
        .kiro_profile_arn
        .rsplit('/')
        .next()
        .expect("profile id")
        .to_string();
    let server = doc
        .okta_issuer
        .rsplit('/')
        .next()
        .expect("server id")
        .to_string();
    let groups = okta.get("/api/v1/groups?q=Kiro").await.expect("groups");
    let group = groups[0]["id"].as_str().expect("group").to_string();
    W {
        world,
        doc,
        okta,
        kiro,
        profile,
        server,
        group,
    }
}

impl W {
    fn fields(&self) -> Map<String, Value> {
        let mut fields = self.world.ready_fields();
        fields.extend(self.doc.ready_fields());
        fields
    }

    async fn doctor(&self) -> Report {
        sim_doctor::diagnose_world(&self.fields())
            .await
            .expect("doctor")
    }

    async fn settle(&self) {
        self.okta
            .post("/_sim/okta/provisioning/settle", json!({}))
            .await
            .expect("settle");
    }

    fn oidc(&self) -> &str {
        &self.doc.okta_oidc_client_id
    }

    fn scim(&self) -> &str {
        &self.doc.okta_scim_app_id
    }

    /// Changes the OIDC app's `settings.oauthClient` (GET, edit, PUT).
    async fn edit_oidc(&self, edit: impl FnOnce(&mut Value)) {
        let path = format!("/api/v1/apps/{}", self.oidc());
        let mut app = self.okta.get(&path).await.expect("app");
        edit(&mut app["settings"]["oauthClient"]);
        self.okta.put(&path, app).await.expect("replace app");
    }

    fn policies(&self) -> String {
        format!("/api/v1/authorizationServers/{}/policies", self.server)
    }

    /// Changes the Kiro rule (GET, edit, PUT).
    async fn edit_rule(&self, edit: impl FnOnce(&mut Value)) {
        let policies = self.okta.get(&self.policies()).await.expect("policies");
        let policy = policies[0]["id"].as_str().expect("policy").to_string();
        let rules_path = format!("{}/{policy}/rules", self.policies());
        let rules = self.okta.get(&rules_path).await.expect("rules");
        let rule = rules[0]["id"].as_str().expect("rule").to_string();
        let mut body = rules[0].clone();
        edit(&mut body);
        self.okta
            .put(&format!("{rules_path}/{rule}"), body)
            .await
            .expect("update rule");
    }

    async fn scope_id(&self, name: &str) -> String {
        let scopes = self
            .okta
            .get(&format!(
                "/api/v1/authorizationServers/{}/scopes",
                self.server
            ))
            .await
            .expect("scopes");
        scopes
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["name"] == name)
            .and_then(|s| s["id"].as_str())
            .expect("scope")
            .to_string()
    }

    async fn delete_app(&self, id: &str) {
        self.okta
            .post(
                &format!("/api/v1/apps/{id}/lifecycle/deactivate"),
                json!({}),
            )
            .await
            .expect("deactivate");
        self.okta
            .delete(&format!("/api/v1/apps/{id}"))
            .await
            .expect("delete app");
    }

    async fn create_user(&self, login: &str, last: &str) -> String {
        let user = self
            .okta
            .post(
                "/api/v1/users?activate=true",
                json!({ "profile": { "firstName": "Carol", "lastName": last, "email": login, "login": login } }),
            )
            .await
            .expect("create user");
        user["id"].as_str().expect("id").to_string()
    }

    async fn assign(&self, app: &str, user: &str) {
        self.okta
            .post(&format!("/api/v1/apps/{app}/users"), json!({ "id": user }))
            .await
            .expect("assign");
    }

    async fn user_id(&self, login: &str) -> String {
        let users = self
            .okta
            .get(&format!("/api/v1/users?q={login}"))
            .await
            .expect("users");
        users[0]["id"].as_str().expect("user").to_string()
    }

    fn console(&self, rest: &str) -> String {
        format!("/console/profiles/{}{rest}", self.profile)
    }

    async fn kiro_user(&self, user_name: &str) -> String {
        let subs = self
            .kiro
            .get(&self.console("/subscriptions"))
            .await
            .expect("subs");
        subs["seats"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["userName"] == user_name)
            .and_then(|s| s["userId"].as_str())
            .expect("seat")
            .to_string()
    }
}

/// Asserts the report holds exactly `ids` (and prints it when not).
fn expect(report: &Report, ids: &[&str]) {
    assert_eq!(
        report.ids(),
        ids,
        "unexpected findings:\n{}",
        report.to_human()
    );
}

#[tokio::test]
async fn the_documented_world_has_no_finding() {
    let w = documented().await;
    let report = w.doctor().await;
    expect(&report, &[]);
    assert!(
        report
            .to_human()
            .contains("✓ Step 4: Create SCIM provisioning application")
    );
    assert_eq!(report.to_json()["clean"], true);
}

#[tokio::test]
async fn doc_1_no_oidc_app_okta_only() {
    let w = documented().await;
    w.delete_app(w.oidc()).await;
    let mut target = Target::from_ready(&w.fields()).expect("target");
    target.kiro = None;
    target.dns = None;
    let report = sim_doctor::run(&target).await.expect("doctor");
    expect(&report, &["DOC-1"]);
    assert_eq!(
        report.notes.len(),
        2,
        "Kiro and DNS skipped, each with a note"
    );
}

#[tokio::test]
async fn doc_2_oidc_app_inactive() {
    let w = documented().await;
    w.okta
        .post(
            &format!("/api/v1/apps/{}/lifecycle/deactivate", w.oidc()),
            json!({}),
        )
        .await
        .expect("deactivate");
    expect(&w.doctor().await, &["DOC-2"]);
}

#[tokio::test]
async fn doc_3_oidc_app_not_native() {
    let w = documented().await;
    w.edit_oidc(|o| o["application_type"] = json!("browser"))
        .await;
    expect(&w.doctor().await, &["DOC-3"]);
}

#[tokio::test]
async fn doc_4_no_refresh_token_grant() {
    let w = documented().await;
    w.edit_oidc(|o| o["grant_types"] = json!(["authorization_code"]))
        .await;
    let report = w.doctor().await;
    expect(&report, &["DOC-4"]);
    assert!(report.findings[0].what.contains("refresh_token"));
}

#[tokio::test]
async fn doc_5_missing_redirect_uri() {
    let w = documented().await;
    w.edit_oidc(|o| {
        let uris: Vec<Value> = o["redirect_uris"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|u| *u != "http://localhost:9091/oauth/callback")
            .cloned()
            .collect();
        o["redirect_uris"] = Value::Array(uris);
    })
    .await;
    let report = w.doctor().await;
    expect(&report, &["DOC-5"]);
    assert!(report.findings[0].what.contains("localhost:9091"));
}

#[tokio::test]
async fn doc_6_extra_redirect_uri() {
    let w = documented().await;
    w.edit_oidc(|o| {
        if let Some(uris) = o["redirect_uris"].as_array_mut() {
            uris.push(json!("http://localhost:8080/oauth/callback"));
        }
    })
    .await;
    let report = w.doctor().await;
    expect(&report, &["DOC-6"]);
    assert!(report.findings[0].what.contains("localhost:8080"));
}

#[tokio::test]
async fn doc_7_nobody_assigned_to_the_oidc_app() {
    let w = documented().await;
    w.okta
        .delete(&format!("/api/v1/apps/{}/groups/{}", w.oidc(), w.group))
        .await
        .expect("unassign");
    expect(&w.doctor().await, &["DOC-7"]);
}

#[tokio::test]
async fn doc_8_authorization_server_inactive() {
    let w = documented().await;
    w.okta
        .post(
            &format!(
                "/api/v1/authorizationServers/{}/lifecycle/deactivate",
                w.server
            ),
            json!({}),
        )
        .await
        .expect("deactivate");
    expect(&w.doctor().await, &["DOC-8"]);
}

#[tokio::test]
async fn doc_9_kiro_scope_missing() {
    let w = documented().await;
    let id = w.scope_id("codewhisperer:conversations").await;
    w.okta
        .delete(&format!(
            "/api/v1/authorizationServers/{}/scopes/{id}",
            w.server
        ))
        .await
        .expect("delete scope");
    let report = w.doctor().await;
    expect(&report, &["DOC-9"]);
    assert!(
        report.findings[0]
            .what
            .contains("codewhisperer:conversations")
    );
}

#[tokio::test]
async fn doc_10_scope_consent_required() {
    let w = documented().await;
    let id = w.scope_id("codewhisperer:completions").await;
    let scopes = format!("/api/v1/authorizationServers/{}/scopes", w.server);
    w.okta
        .delete(&format!("{scopes}/{id}"))
        .await
        .expect("delete scope");
    w.okta
        .post(
            &scopes,
            json!({ "name": "codewhisperer:completions", "consent": "REQUIRED" }),
        )
        .await
        .expect("create scope");
    expect(&w.doctor().await, &["DOC-10"]);
}

#[tokio::test]
async fn doc_11_no_policy_for_the_app() {
    let w = documented().await;
    let policies = w.okta.get(&w.policies()).await.expect("policies");
    let id = policies[0]["id"].as_str().expect("policy");
    w.okta
        .post(
            &format!("{}/{id}/lifecycle/deactivate", w.policies()),
            json!({}),
        )
        .await
        .expect("deactivate");
    expect(&w.doctor().await, &["DOC-11"]);
}

#[tokio::test]
async fn doc_12_rule_without_authorization_code() {
    let w = documented().await;
    w.edit_rule(|r| r["conditions"]["grantTypes"]["include"] = json!(["client_credentials"]))
        .await;
    expect(&w.doctor().await, &["DOC-12"]);
}

#[tokio::test]
async fn doc_13_rule_without_offline_access() {
    let w = documented().await;
    w.edit_rule(|r| {
        r["conditions"]["scopes"]["include"] =
            json!(["codewhisperer:completions", "codewhisperer:conversations"])
    })
    .await;
    let report = w.doctor().await;
    expect(&report, &["DOC-13"]);
    assert!(report.findings[0].what.contains("offline_access"));
}

#[tokio::test]
async fn doc_14_long_access_tokens() {
    let w = documented().await;
    w.edit_rule(|r| r["actions"]["token"]["accessTokenLifetimeMinutes"] = json!(1440))
        .await;
    expect(&w.doctor().await, &["DOC-14"]);
}

#[tokio::test]
async fn doc_15_profile_client_id_is_no_oidc_app() {
    let w = documented().await;
    w.delete_app(w.oidc()).await;
    expect(&w.doctor().await, &["DOC-15"]);
}

#[tokio::test]
async fn doc_16_profile_issuer_is_no_authorization_server() {
    let w = documented().await;
    let path = format!("/api/v1/authorizationServers/{}", w.server);
    w.okta
        .post(&format!("{path}/lifecycle/deactivate"), json!({}))
        .await
        .expect("deactivate");
    w.okta.delete(&path).await.expect("delete server");
    expect(&w.doctor().await, &["DOC-16"]);
}

#[tokio::test]
async fn doc_17_domain_pending_with_what_dns_serves() {
    let w = documented().await;
    let clients = w.world.clients();
    let (record, token) = clients
        .kiro
        .add_domain(&w.profile, "corp.example.com")
        .await
        .expect("add domain");
    let zone = clients.dns.zone("example.com").await.expect("zone");
    clients
        .dns
        .create_txt(&zone, &record, "kiro-domain-verification=typo")
        .await
        .expect("txt");
    let report = w.doctor().await;
    expect(&report, &["DOC-17"]);
    let what = &report.findings[0].what;
    assert!(what.contains(&token), "{what}");
    assert!(
        what.contains("DNS serves kiro-domain-verification=typo"),
        "{what}"
    );
}

#[tokio::test]
async fn doc_18_no_domain() {
    let w = documented().await;
    w.kiro
        .delete(&w.console("/domains/example.com"))
        .await
        .expect("remove domain");
    expect(&w.doctor().await, &["DOC-18"]);
}

async fn revoke_all_tokens(w: &W) {
    let tokens = w
        .kiro
        .get(&w.console("/scim-tokens"))
        .await
        .expect("tokens");
    for t in tokens["tokens"].as_array().into_iter().flatten() {
        let id = t["tokenId"].as_str().expect("token id");
        w.kiro
            .delete(&w.console(&format!("/scim-tokens/{id}")))
            .await
            .expect("revoke");
    }
}

#[tokio::test]
async fn doc_19_no_active_scim_token() {
    let w = documented().await;
    revoke_all_tokens(&w).await;
    expect(&w.doctor().await, &["DOC-19"]);
}

#[tokio::test]
async fn doc_20_scim_token_expires_soon() {
    let w = documented().await;
    w.world.advance(Duration::from_secs(340 * 24 * 3600)).await;
    expect(&w.doctor().await, &["DOC-20"]);
}

#[tokio::test]
async fn doc_21_no_provisioning_app() {
    let w = documented().await;
    w.delete_app(w.scim()).await;
    expect(&w.doctor().await, &["DOC-21"]);
}

#[tokio::test]
async fn doc_22_api_integration_disabled() {
    let w = documented().await;
    w.okta
        .post(
            &format!(
                "/api/v1/apps/{}/connections/default/lifecycle/deactivate",
                w.scim()
            ),
            json!({}),
        )
        .await
        .expect("deactivate connection");
    expect(&w.doctor().await, &["DOC-22"]);
}

#[tokio::test]
async fn doc_23_create_users_off() {
    let w = documented().await;
    w.okta
        .put(
            &format!("/api/v1/apps/{}/features/USER_PROVISIONING", w.scim()),
            json!({ "create": { "lifecycleCreate": { "status": "DISABLED" } } }),
        )
        .await
        .expect("features");
    expect(&w.doctor().await, &["DOC-23"]);
}

#[tokio::test]
async fn doc_24_update_user_attributes_off() {
    let w = documented().await;
    w.okta
        .put(
            &format!("/api/v1/apps/{}/features/USER_PROVISIONING", w.scim()),
            json!({ "update": { "profile": { "status": "DISABLED" } } }),
        )
        .await
        .expect("features");
    expect(&w.doctor().await, &["DOC-24"]);
}

#[tokio::test]
async fn doc_25_department_mapped_while_pushing_groups() {
    let w = documented().await;
    let mappings = w
        .okta
        .get(&format!("/api/v1/mappings?targetId={}", w.scim()))
        .await
        .expect("mappings");
    let id = mappings[0]["id"].as_str().expect("mapping");
    w.okta
        .post(
            &format!("/api/v1/mappings/{id}"),
            json!({ "properties": { "department": { "expression": "user.department", "pushStatus": "PUSH" } } }),
        )
        .await
        .expect("map department");
    let report = w.doctor().await;
    expect(&report, &["DOC-25"]);
    assert!(report.findings[0].what.contains("department"));
}

#[tokio::test]
async fn doc_26_push_group_inactive() {
    let w = documented().await;
    let pushes = format!("/api/v1/apps/{}/group-push/mappings", w.scim());
    let list = w.okta.get(&pushes).await.expect("pushes");
    let id = list[0]["id"].as_str().expect("push");
    w.okta
        .call(
            Method::PATCH,
            &format!("{pushes}/{id}"),
            Some(json!({ "status": "INACTIVE" })),
        )
        .await
        .expect("deactivate push");
    let report = w.doctor().await;
    expect(&report, &["DOC-26"]);
    assert!(report.findings[0].object.contains("Kiro Developers"));
}

#[tokio::test]
async fn doc_27_kiro_refuses_the_token_okta_pushes_with() {
    let w = documented().await;
    revoke_all_tokens(&w).await;
    // A new token in Kiro, but not in Okta: Okta still pushes with the revoked one.
    w.kiro
        .post(&w.console("/scim-tokens"), json!({}))
        .await
        .expect("new token");
    let carol = w.create_user("carol@example.com", "Coder").await;
    w.assign(w.oidc(), &carol).await;
    w.assign(w.scim(), &carol).await;
    w.settle().await;
    let report = w.doctor().await;
    expect(&report, &["DOC-27"]);
    assert!(report.findings[0].what.contains("carol@example.com"));
}

#[tokio::test]
async fn doc_28_provisioning_error_in_the_system_log() {
    let w = documented().await;
    // Kiro (IAM Identity Center) refuses `<>;:%` in names (KIRO-SCIM-3).
    let carol = w.create_user("carol@example.com", "Coder;").await;
    w.assign(w.oidc(), &carol).await;
    w.assign(w.scim(), &carol).await;
    w.settle().await;
    let report = w.doctor().await;
    expect(&report, &["DOC-28"]);
    assert!(report.findings[0].object.contains("carol@example.com"));
}

#[tokio::test]
async fn doc_29_user_in_only_one_app() {
    let w = documented().await;
    let carol = w.create_user("carol@example.com", "Coder").await;
    w.assign(w.oidc(), &carol).await;
    let report = w.doctor().await;
    expect(&report, &["DOC-29"]);
    assert_eq!(report.findings[0].object, "user carol@example.com");
}

#[tokio::test]
async fn doc_30_suspended_user_still_assigned() {
    let w = documented().await;
    let bob = w.user_id("bob@example.com").await;
    w.okta
        .post(&format!("/api/v1/users/{bob}/lifecycle/suspend"), json!({}))
        .await
        .expect("suspend");
    w.settle().await;
    let report = w.doctor().await;
    expect(&report, &["DOC-30"]);
    assert_eq!(report.findings[0].object, "user bob@example.com");
}

#[tokio::test]
async fn doc_31_seat_of_a_user_no_longer_assigned() {
    let w = documented().await;
    let kiro_bob = w.kiro_user("bob@example.com").await;
    w.world
        .clients()
        .kiro
        .subscribe(&w.profile, "USER", &kiro_bob, "PRO")
        .await
        .expect("subscribe Bob");
    let bob = w.user_id("bob@example.com").await;
    w.okta
        .delete(&format!("/api/v1/groups/{}/users/{bob}", w.group))
        .await
        .expect("remove from group");
    w.settle().await;
    let report = w.doctor().await;
    expect(&report, &["DOC-31"]);
    assert_eq!(report.findings[0].object, "seat of bob@example.com");
}

#[tokio::test]
async fn doc_32_subscribed_group_not_pushed_from_okta() {
    let w = documented().await;
    let ada = w.kiro_user("ada@example.com").await;
    let scim = Api::new(
        reqwest::Client::new(),
        &w.doc.kiro_scim_url,
        Some(format!("Bearer {}", w.doc.kiro_scim_token)),
    );
    let group = scim
        .post(
            "/Groups",
            json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Contractors", "members": [{ "value": ada }] }),
        )
        .await
        .expect("SCIM group");
    let gid = group["id"].as_str().expect("group id");
    w.world
        .clients()
        .kiro
        .subscribe(&w.profile, "GROUP", gid, "PRO")
        .await
        .expect("subscribe group");
    let report = w.doctor().await;
    expect(&report, &["DOC-32"]);
    assert!(report.findings[0].object.contains("Contractors"));
}

/// Requests a recording proxy saw: (method, path and query).
type Seen = Arc<Mutex<Vec<(String, String)>>>;

/// A recording HTTP proxy in front of `upstream`: forwards every request, records its method
/// and path, and rewrites `Link` headers so paging stays on the proxy.
async fn recording_proxy(upstream: String) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let (log, front) = (seen.clone(), base.clone());
    let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
        let (log, client, upstream, front) =
            (log.clone(), client.clone(), upstream.clone(), front.clone());
        async move {
            let method = request.method().clone();
            let target = request
                .uri()
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_default();
            log.lock()
                .expect("log")
                .push((method.to_string(), target.clone()));
            let mut forward = client.request(method, format!("{upstream}{target}"));
            for (name, value) in request.headers() {
                if name != "host" {
                    forward = forward.header(name, value);
                }
            }
            let body = axum::body::to_bytes(request.into_body(), 1 << 20)
                .await
                .unwrap_or_default();
            let answer = forward.body(body).send().await.expect("upstream");
            let mut response = axum::http::Response::builder().status(answer.status().as_u16());
            for (name, value) in answer.headers() {
                if name == "transfer-encoding" || name == "content-length" {
                    continue;
                }
                let value = value
                    .to_str()
                    .unwrap_or_default()
                    .replace(&upstream, &front);
                response = response.header(name.as_str(), value);
            }
            let bytes = answer.bytes().await.unwrap_or_default();
            response
                .body(axum::body::Body::from(bytes))
                .expect("response")
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, seen)
}

#[tokio::test]
async fn the_doctor_only_reads_and_reads_every_page() {
    let w = documented().await;
    // More users in the pushed group than one page holds (limit=200).
    for i in 0..205 {
        let id = w
            .create_user(&format!("user{i:03}@example.com"), "Many")
            .await;
        w.okta
            .call(
                Method::PUT,
                &format!("/api/v1/groups/{}/users/{id}", w.group),
                None,
            )
            .await
            .expect("add member");
    }
    w.settle().await;
    // Past the group sync delay: every member holds a seat, each must be found assigned.
    w.world.advance(Duration::from_secs(25 * 3600)).await;
    let mut target = Target::from_ready(&w.fields()).expect("target");
    let (okta, okta_seen) = recording_proxy(target.okta.clone()).await;
    let (kiro_url, kiro_token) = target.kiro.clone().expect("kiro");
    let (kiro, kiro_seen) = recording_proxy(kiro_url).await;
    target.okta = okta;
    target.kiro = Some((kiro, kiro_token));
    let report = sim_doctor::run(&target).await.expect("doctor");
    expect(&report, &[]);

    let okta_seen = okta_seen.lock().expect("log").clone();
    let kiro_seen = kiro_seen.lock().expect("log").clone();
    assert!(okta_seen.len() > 10 && !kiro_seen.is_empty());
    for (method, path) in okta_seen.iter().chain(&kiro_seen) {
        assert_eq!(method, "GET", "the doctor wrote: {method} {path}");
    }
    // Assignments came in pages of 200, the second one through the `Link: rel="next"` URL.
    for app in [w.oidc(), w.scim()] {
        let next = format!("/api/v1/apps/{app}/users?limit=200&after=");
        assert!(
            okta_seen.iter().any(|(_, p)| p.starts_with(&next)),
            "{okta_seen:?}"
        );
    }
    let seats = w
        .kiro
        .get(&w.console("/subscriptions"))
        .await
        .expect("subs");
    assert_eq!(seats["seats"].as_array().map(Vec::len), Some(207));
}

/// An OAuth 2.0 access token for Okta's management API with exactly `scopes`: a service app
/// (`private_key_jwt`, a fresh P-256 key) granted them, `client_credentials` at the org server.
async fn read_only_token(w: &W, scopes: &[&str]) -> String {
    let key = sim_testkit::jwt::EcKey::generate("doctor");
    let jwk = key.jwk();
    let app = w
        .okta
        .post(
            "/api/v1/apps",
            json!({
                "name": "oidc_client", "label": "kiro-sim doctor", "signOnMode": "OPENID_CONNECT",
                "credentials": { "oauthClient": { "token_endpoint_auth_method": "private_key_jwt" } },
                "settings": { "oauthClient": { "application_type": "service",
                    "grant_types": ["client_credentials"], "jwks": { "keys": [jwk] } } },
            }),
        )
        .await
        .expect("service app");
    let client_id = app["id"].as_str().expect("client id").to_string();
    let org = w.okta.base().to_string();
    for scope in scopes {
        w.okta
            .post(
                &format!("/api/v1/apps/{client_id}/grants"),
                json!({ "issuer": org, "scopeId": scope }),
            )
            .await
            .expect("grant");
    }
    let now = w
        .world
        .clock()
        .now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let assertion = key.es256(
        &json!({ "iss": client_id, "sub": client_id, "aud": format!("{org}/oauth2/v1/token"),
                 "iat": now, "exp": now + 300, "jti": "doctor-1" }),
    );
    let answer = reqwest::Client::new()
        .post(format!("{org}/oauth2/v1/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", &scopes.join(" ")),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &assertion),
        ])
        .send()
        .await
        .expect("token request");
    let body: Value = answer.json().await.expect("token JSON");
    body["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no access token: {body}"))
        .to_string()
}

#[tokio::test]
async fn the_read_only_scopes_suffice() {
    let w = documented().await;
    let token = read_only_token(&w, &sim_doctor::OKTA_SCOPES).await;
    let mut target = Target::from_ready(&w.fields()).expect("target");
    target.okta_token = format!("Bearer {token}");
    let report = sim_doctor::run(&target)
        .await
        .expect("doctor with read scopes");
    expect(&report, &[]);

    // One scope fewer and the doctor cannot read: Okta's 403, not a wrong diagnosis.
    let token = read_only_token(&w, &sim_doctor::OKTA_SCOPES[..5]).await;
    target.okta_token = format!("Bearer {token}");
    let error = sim_doctor::run(&target)
        .await
        .expect_err("okta.logs.read is needed");
    assert!(error.to_string().contains("403"), "{error}");
}
