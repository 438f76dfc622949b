//! The sandbox's home page and timeline, in a real browser and as JSON: the clock with its
//! pending jobs and the advance buttons, a seat granted after the sync delay appearing in the
//! timeline, the developer page signing in through Okta's own login page, and a refused
//! refresh with Okta's reason.
//!
//! covers: SIM-HOME-1, SIM-HOME-2, SIM-HOME-3, SIM-TIME-1, SIM-TIME-2, SIM-TIME-3

use serde_json::{Value, json};
use sim_testkit::browser::Browser;
use sim_world::WorldConfig;
use sim_world::clients::Clients;
use sim_world::sandbox::{Sandbox, SandboxConfig, Setup};
use sim_world::setup::PASSWORD;

async fn sandbox() -> Sandbox {
    crate::common::start_sandbox(|ports| SandboxConfig {
        world: WorldConfig {
            ports,
            zones: vec!["example.com".into()],
            ..WorldConfig::default()
        },
        advertised_host: None,
        setup: Some(Setup::Documented),
        custom_setup: None,
        state_dir: None,
    })
    .await
}

fn field(fields: &serde_json::Map<String, Value>, name: &str) -> String {
    fields[name]
        .as_str()
        .unwrap_or_else(|| panic!("ready field {name}"))
        .to_string()
}

fn clients(sandbox: &Sandbox) -> Clients {
    let f = sandbox.ready_fields();
    Clients::new(
        &field(&f, "okta"),
        &field(&f, "okta_api_token"),
        &field(&f, "kiro"),
        &field(&f, "kiro_admin_token"),
        &field(&f, "dns_api"),
        &field(&f, "dns_api_token"),
        &sim_core::outbound::Trust::Platform,
    )
    .expect("clients")
}

/// The documented setup's group, "Kiro Developers".
async fn developers_group(c: &Clients) -> String {
    let groups = c
        .okta
        .api
        .get("/api/v1/groups?q=Kiro%20Developers")
        .await
        .expect("groups");
    groups[0]["id"]
        .as_str()
        .expect("the group's id")
        .to_string()
}

async fn settle(c: &Clients) {
    c.okta
        .api
        .post("/_sim/okta/provisioning/settle", json!({}))
        .await
        .expect("the push settles");
}

async fn timeline(sandbox: &Sandbox, query: &str) -> (u16, Value) {
    let kiro = field(&sandbox.ready_fields(), "kiro");
    let r = reqwest::get(format!("{kiro}/_sim/timeline{query}"))
        .await
        .expect("GET /_sim/timeline");
    let status = r.status().as_u16();
    (status, r.json().await.expect("JSON"))
}

fn entries(body: &Value) -> Vec<Value> {
    body["entries"].as_array().expect("entries").clone()
}

/// Carol joins the subscribed group in Okta: the push adds her to Kiro's group and her seat
/// waits for the sync delay.
async fn carol_joins(c: &Clients) {
    let group = developers_group(c).await;
    let carol = c
        .okta
        .create_user("carol@example.com", "Carol", "Shelby", PASSWORD)
        .await
        .expect("carol");
    c.okta.add_member(&group, &carol).await.expect("membership");
    settle(c).await;
}

#[tokio::test]
async fn the_home_shows_the_clock_and_advancing_grants_the_pending_seat() {
    let sandbox = sandbox().await;
    let fields = sandbox.ready_fields();
    let home_url = field(&fields, "home_url");
    assert!(home_url.ends_with("/_sim/home"), "{home_url}");
    let c = clients(&sandbox);
    carol_joins(&c).await;

    // The clock lists the job with what it will do.
    let clock: Value = reqwest::get(format!("{}/_sim/clock", field(&fields, "kiro")))
        .await
        .expect("clock")
        .json()
        .await
        .expect("JSON");
    let labels: Vec<&str> = clock["pending"]
        .as_array()
        .expect("pending")
        .iter()
        .filter_map(|j| j["label"].as_str())
        .collect();
    assert!(
        labels.contains(&"seat for carol@example.com"),
        "pending jobs: {labels:?}"
    );

    let Some(b) =
        Browser::start("the_home_shows_the_clock_and_advancing_grants_the_pending_seat").await
    else {
        sandbox.shutdown().await;
        return;
    };
    b.goto(&home_url).await;
    b.expect_text("Okta Admin Console").await;
    b.expect_text("Kiro console").await;
    b.expect_text("DNS dashboard").await;
    b.expect_text(&field(&fields, "okta_api_token")).await;
    b.expect_text("ada@example.com / Correct-Horse-9").await;
    b.expect_text("seat for carol@example.com").await;
    b.expect_no_text("seat granted to carol@example.com").await;
    let before = b.text_of("#now").await;
    b.press("Advance 24 h").await;
    b.expect_text("Advanced by 1 d").await;
    let after = b.text_of("#now").await;
    assert_ne!(before, after, "the clock moved");
    b.expect_text("seat granted to carol@example.com").await;
    b.expect_no_text("seat for carol@example.com").await;
    // The SCIM calls Okta pushed are there too, with Kiro's answer.
    b.expect_text("SCIM POST /Users carol@example.com → 201")
        .await;

    // Advance to a chosen time; a time in the past is refused and the clock stays.
    let now = humantime::parse_rfc3339_weak(&after).expect("the page's now");
    let hour_later = now + std::time::Duration::from_secs(3600);
    let label = "Advance to (UTC, e.g. 2026-01-02T09:00:00Z)";
    b.fill(
        label,
        &humantime::format_rfc3339_seconds(hour_later).to_string(),
    )
    .await;
    b.press("Advance to time").await;
    b.expect_text("Advanced by 1 h").await;
    let shown = humantime::format_rfc3339_millis(hour_later).to_string();
    assert_eq!(b.text_of("#now").await, shown);
    b.fill(label, &after).await;
    b.press("Advance to time").await;
    b.expect_text("is in the past").await;
    assert_eq!(b.text_of("#now").await, shown);
    b.close().await;

    let (_, body) = timeline(&sandbox, "?user=carol@example.com&system=kiro").await;
    let carols = entries(&body);
    let kinds: Vec<&str> = carols.iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(
        kinds.first(),
        Some(&"seat_granted"),
        "newest first: {kinds:?}"
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn the_developer_page_signs_in_through_okta_and_a_refused_refresh_shows_why() {
    let sandbox = sandbox().await;
    let fields = sandbox.ready_fields();
    let kiro = field(&fields, "kiro");
    let c = clients(&sandbox);
    let Some(b) =
        Browser::start("the_developer_page_signs_in_through_okta_and_a_refused_refresh_shows_why")
            .await
    else {
        sandbox.shutdown().await;
        return;
    };
    b.goto(&field(&fields, "home_url")).await;
    b.follow("Developer page (Kiro IDE)").await;
    b.fill("Email", "ada@example.com").await;
    b.press("Sign in").await;
    // Okta's own login page.
    b.fill("Username", "ada@example.com").await;
    b.fill("Password", PASSWORD).await;
    b.press("Sign In").await;
    b.expect_text("Signed in as ada@example.com").await;
    b.expect_text("Plan: KIRO PRO").await;
    b.expect_text("Credits: 0").await;
    b.fill("Chat message", "hello").await;
    b.press("Send").await;
    b.expect_text("Answered.").await;
    assert!(b.url().await.starts_with(&format!("{kiro}/_sim/dev")));

    // Ada leaves the group the app is assigned to: the next refresh is refused.
    let group = developers_group(&c).await;
    let ada = c
        .okta
        .api
        .get("/api/v1/users/ada@example.com")
        .await
        .expect("ada");
    let ada = ada["id"].as_str().expect("ada's id");
    c.okta
        .api
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/groups/{group}/users/{ada}"),
            None,
        )
        .await
        .expect("ada leaves the group");
    b.press("Refresh").await;
    b.expect_text(
        "Signed out: the refresh was refused: refresh token revoked: \
         User is not assigned to the client application.",
    )
    .await;
    b.expect_text("Email").await;

    // The timeline shows the refusal with Okta's reason, on the page and as JSON.
    b.goto(&format!(
        "{}?user=ada%40example.com&system=okta",
        field(&fields, "home_url")
    ))
    .await;
    b.expect_text("refresh token revoked").await;
    b.close().await;
    let (_, body) = timeline(&sandbox, "?user=ada@example.com&system=okta").await;
    let refused = entries(&body)
        .into_iter()
        .find(|e| e["kind"] == "app.oauth2.as.token.grant.refresh_token")
        .expect("the refused refresh is in the timeline");
    assert_eq!(refused["outcome"], "FAILURE");
    let reason = refused["reason"].as_str().expect("a reason");
    assert!(reason.contains("not assigned"), "{reason}");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn the_timeline_filters_by_user_and_system_newest_first() {
    let sandbox = sandbox().await;
    let c = clients(&sandbox);
    carol_joins(&c).await;
    let (status, all) = timeline(&sandbox, "").await;
    assert_eq!(status, 200);
    let all = entries(&all);
    assert!(all.iter().any(|e| e["system"] == "okta"));
    assert!(all.iter().any(|e| e["system"] == "kiro"));
    let times: Vec<&str> = all.iter().filter_map(|e| e["at"].as_str()).collect();
    let parse = |t: &str| humantime::parse_rfc3339_weak(t).expect("an RFC 3339 time");
    assert!(
        times.windows(2).all(|w| parse(w[0]) >= parse(w[1])),
        "newest first: {times:?}"
    );

    let (_, kiro) = timeline(&sandbox, "?system=kiro").await;
    let kiro = entries(&kiro);
    assert!(!kiro.is_empty() && kiro.iter().all(|e| e["system"] == "kiro"));
    assert!(kiro.iter().any(|e| e["kind"] == "scim_call"));

    let (_, carol) = timeline(&sandbox, "?user=carol").await;
    let carol = entries(&carol);
    assert!(carol.iter().all(|e| e["user"] == "carol@example.com"));
    assert!(carol.iter().any(|e| e["system"] == "okta"), "{carol:?}");
    assert!(carol.iter().any(|e| e["system"] == "kiro"), "{carol:?}");
    assert!(carol.len() < all.len());

    let (_, two) = timeline(&sandbox, "?limit=2").await;
    assert_eq!(entries(&two).len(), 2);

    let (status, bad) = timeline(&sandbox, "?system=ldap").await;
    assert_eq!(status, 400);
    assert_eq!(bad["error"], "invalid_system");
    sandbox.shutdown().await;
}

async fn advance(sandbox: &Sandbox, by: &str) {
    let kiro = field(&sandbox.ready_fields(), "kiro");
    let r = reqwest::Client::new()
        .post(format!("{kiro}/_sim/clock/advance"))
        .json(&json!({ "by": by }))
        .send()
        .await
        .expect("advance");
    assert!(r.status().is_success());
}

async fn pending_labels(sandbox: &Sandbox) -> Vec<String> {
    let kiro = field(&sandbox.ready_fields(), "kiro");
    let clock: Value = reqwest::get(format!("{kiro}/_sim/clock"))
        .await
        .expect("clock")
        .json()
        .await
        .expect("JSON");
    clock["pending"]
        .as_array()
        .expect("pending")
        .iter()
        .filter_map(|j| j["label"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn domain_checks_are_pending_jobs_and_their_results_are_in_the_timeline() {
    let sandbox = sandbox().await;
    let c = clients(&sandbox);
    let arn = field(&sandbox.ready_fields(), "kiro_profile_arn");
    let profile = arn.rsplit('/').next().expect("the profile id");
    let (name, value) = c
        .kiro
        .add_domain(profile, "dev.example.com")
        .await
        .expect("a second domain");
    let labels = pending_labels(&sandbox).await;
    assert!(
        labels
            .iter()
            .any(|l| l == "domain check of the pending domains"),
        "{labels:?}"
    );

    // No TXT record yet: the check finds none.
    advance(&sandbox, "10m").await;
    let (_, body) = timeline(&sandbox, "?system=kiro").await;
    let checks: Vec<Value> = entries(&body)
        .into_iter()
        .filter(|e| e["kind"] == "domain_check")
        .collect();
    assert_eq!(
        checks[0]["summary"], "domain check of dev.example.com: PENDING",
        "{checks:?}"
    );
    assert_eq!(checks[0]["reason"], "no TXT record found");
    assert_eq!(checks[0]["outcome"], "FAILURE");

    // The record published, the next check verifies the domain and says what it found.
    // With a propagation delay, DNS answers the record 5 minutes after it is made.
    let dns_api = field(&sandbox.ready_fields(), "dns_api");
    let r = reqwest::Client::new()
        .put(format!("{dns_api}/_sim/dns/propagation"))
        .json(&json!({ "delay": "5m" }))
        .send()
        .await
        .expect("set the propagation delay");
    assert!(r.status().is_success());
    let zone = c.dns.zone("example.com").await.expect("the zone");
    c.dns.create_txt(&zone, &name, &value).await.expect("TXT");
    // The DNS side: the record made through the provider API, and when DNS answers it.
    let (_, body) = timeline(&sandbox, "?system=dns&limit=1").await;
    let change = &entries(&body)[0];
    assert_eq!(change["kind"], "record_change");
    assert_eq!(change["summary"], format!("TXT {name} \"{value}\" created"));
    let reason = change["reason"].as_str().expect("when DNS answers it");
    assert!(reason.starts_with("answered by DNS from "), "{reason}");
    let labels = pending_labels(&sandbox).await;
    assert!(
        labels.iter().any(|l| l == "DNS change published"),
        "{labels:?}"
    );
    advance(&sandbox, "10m").await;
    let (_, body) = timeline(&sandbox, "?system=kiro&limit=1").await;
    let newest = &entries(&body)[0];
    assert_eq!(
        newest["summary"],
        "domain check of dev.example.com: VERIFIED"
    );
    assert_eq!(newest["outcome"], "SUCCESS");
    assert_eq!(newest["reason"], format!("TXT found: {value}"));
    let (_, body) = timeline(&sandbox, "?system=dns&limit=1").await;
    assert_eq!(
        entries(&body)[0]["summary"],
        "1 DNS change published: now answered"
    );
    assert!(
        !pending_labels(&sandbox)
            .await
            .iter()
            .any(|l| l.starts_with("domain check")),
        "nothing left to check"
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_developer_waiting_for_the_sync_delay_sees_the_access_error_then_the_plan() {
    let sandbox = sandbox().await;
    let fields = sandbox.ready_fields();
    let c = clients(&sandbox);
    carol_joins(&c).await;
    let Some(b) = Browser::start(
        "a_developer_waiting_for_the_sync_delay_sees_the_access_error_then_the_plan",
    )
    .await
    else {
        sandbox.shutdown().await;
        return;
    };
    b.goto(&format!("{}/_sim/dev", field(&fields, "kiro")))
        .await;
    b.fill("Email", "carol@example.com").await;
    b.press("Sign in").await;
    b.fill("Username", "carol@example.com").await;
    b.fill("Password", PASSWORD).await;
    b.press("Sign In").await;
    b.expect_text("Signed in as carol@example.com").await;
    // Her seat waits for the group sync delay: Kiro refuses her.
    b.expect_text("Access error: AccessDeniedException").await;
    let (_, body) = timeline(&sandbox, "?user=carol&system=kiro&limit=1").await;
    let refused = &entries(&body)[0];
    assert_eq!(refused["kind"], "access_refused", "{refused}");
    assert!(
        refused["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("AccessDeniedException: ")),
        "{refused}"
    );

    // A day later the seat is there.
    b.goto(&field(&fields, "home_url")).await;
    b.press("Advance 24 h").await;
    b.expect_text("seat granted to carol@example.com").await;
    b.goto(&format!("{}/_sim/dev", field(&fields, "kiro")))
        .await;
    b.expect_text("Plan: KIRO PRO").await;
    b.press("Complete").await;
    b.expect_text("Completion served.").await;
    b.expect_text("Answer").await;
    b.press("Sign out").await;
    b.expect_text("Signed out.").await;
    b.close().await;
    sandbox.shutdown().await;
}

// covers: SIM-HOME-4
#[tokio::test]
async fn the_home_runs_the_doctor_and_shows_a_misconfiguration_with_its_fix() {
    let Some(b) = Browser::start("the_home_runs_the_doctor").await else {
        return;
    };
    let sandbox = sandbox().await;
    let fields = sandbox.ready_fields();
    b.goto(&field(&fields, "home_url")).await;
    b.follow("Run the doctor").await;
    b.expect_text("No finding").await;
    b.expect_no_text("✗").await;

    // The Kiro app loses its refresh-token grant, through Okta's API.
    let c = clients(&sandbox);
    let app_id = field(&fields, "okta_oidc_client_id");
    let path = format!("/api/v1/apps/{app_id}");
    let mut app = c.okta.api.get(&path).await.expect("the app");
    app["settings"]["oauthClient"]["grant_types"] = json!(["authorization_code"]);
    c.okta
        .api
        .put(&path, app)
        .await
        .expect("the app is replaced");

    b.goto(&format!("{}/_sim/home/doctor", field(&fields, "kiro")))
        .await;
    b.expect_text("✗ 1 finding(s).").await;
    let finding = b.text_of("li#DOC-4").await;
    assert!(finding.contains("refresh_token"), "{finding}");
    assert!(finding.contains("Fix:"), "{finding}");
    b.close().await;
}

// covers: SIM-HOME-5
/// The home page's checkpoints: saved under a name, listed, restored by its button (a user
/// created since is gone, the clock is back), a bad name refused with the reason, and the reset
/// button back to right after setup.
#[tokio::test]
async fn the_home_saves_lists_and_restores_checkpoints() {
    let sandbox = sandbox().await;
    let fields = sandbox.ready_fields();
    let c = clients(&sandbox);
    let Some(b) = Browser::start("the_home_saves_lists_and_restores_checkpoints").await else {
        sandbox.shutdown().await;
        return;
    };
    b.goto(&field(&fields, "home_url")).await;
    b.expect_text("No checkpoint saved yet.").await;
    let name_label = "Checkpoint name (e.g. after-step-3)";
    b.fill(name_label, "after-step-3").await;
    b.press("Save checkpoint").await;
    b.expect_text("Saved checkpoint after-step-3").await;
    let saved_at = b.text_of("#now").await;
    assert!(
        b.text_of("#checkpoint-list").await.contains(&saved_at),
        "the list shows the checkpoint's world time"
    );

    let carol = c
        .okta
        .create_user("carol@example.com", "Carol", "Shelby", PASSWORD)
        .await
        .expect("carol");
    b.press("Advance 24 h").await;
    assert_ne!(b.text_of("#now").await, saved_at);

    b.press("Restore after-step-3").await;
    b.expect_text("Restored checkpoint after-step-3").await;
    assert_eq!(b.text_of("#now").await, saved_at, "the clock is back");
    let after = c
        .okta
        .api
        .send(
            reqwest::Method::GET,
            &format!("/api/v1/users/{carol}"),
            sim_world::clients::Body::None,
        )
        .await
        .expect("get carol");
    assert_eq!(after.status, 404, "the user created since is gone");

    b.fill(name_label, "no/slash").await;
    b.press("Save checkpoint").await;
    b.expect_text("is not a checkpoint name").await;

    b.press("Advance 1 h").await;
    b.press("Reset to after setup").await;
    b.expect_text("Reset to right after setup").await;
    b.expect_text("after-step-3").await;
    b.close().await;
    sandbox.shutdown().await;
}
