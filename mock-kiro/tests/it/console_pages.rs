//! The Kiro console's pages in a real browser (headless Chromium), in a whole world: Okta's
//! half of the guide is set up through its API as the documented setup does, and a trainee
//! clicks Kiro's Step 3 word for word (and publishes the TXT record in the DNS dashboard);
//! the token and endpoint the pages show are then what Okta's provisioning pushes with, and a
//! developer subscribed on the Subscriptions page signs in with the IDE and gets credits.
//! Also: form refusals next to their field with no state change, the guide's two
//! troubleshooting rows as they show on these pages, and a long, searchable seat list.
//
// covers: KIRO-UI-1, KIRO-UI-2, KIRO-UI-3, KIRO-UI-4

use std::time::Duration;

use serde_json::{Value, json};
use sim_testkit::browser::Browser;
use sim_world::clients::Clients;
use sim_world::ide::{Ide, LOOPBACK_PORTS};
use sim_world::{World, WorldConfig};

const PASSWORD: &str = "Correct-Horse-9";

async fn world(seed: u64) -> World {
    World::start(WorldConfig {
        seed: sim_core::Seed(seed),
        epoch: sim_core::clock::fixed_epoch(),
        zones: vec!["example.com".into()],
        dns_propagation: Duration::from_secs(120),
        ..WorldConfig::default()
    })
    .await
    .expect("world starts")
}

/// Okta's Steps 1 and 2 (through its API, as the documented setup does): the users, the
/// OIDC app assigned to `oidc_users`, the authorization server with the two Kiro scopes and
/// the access policy. Returns (issuer, client id, Okta user ids).
async fn okta_oidc(
    c: &Clients,
    users: &[(&str, &str, &str)],
    oidc_users: &[&str],
) -> (String, String, Vec<String>) {
    let okta = &c.okta;
    let mut ids = Vec::new();
    for (login, first, last) in users {
        ids.push(
            okta.create_user(login, first, last, PASSWORD)
                .await
                .expect("user"),
        );
    }
    let client_id = okta.create_kiro_oidc_app("Kiro-OIDC").await.expect("app");
    for (i, (login, _, _)) in users.iter().enumerate() {
        if oidc_users.contains(login) {
            okta.assign_user(&client_id, &ids[i]).await.expect("assign");
        }
    }
    let server = okta
        .create_auth_server("Kiro", "api://kiro")
        .await
        .expect("auth server");
    okta.add_scope(
        &server.id,
        "codewhisperer:completions",
        "Inline code completion in Kiro",
    )
    .await
    .expect("scope");
    okta.add_scope(&server.id, "codewhisperer:conversations", "Chat in Kiro")
        .await
        .expect("scope");
    okta.create_policy_with_rule(
        &server.id,
        "Kiro",
        &[&client_id],
        &["client_credentials", "authorization_code"],
        &[
            "codewhisperer:completions",
            "codewhisperer:conversations",
            "offline_access",
        ],
    )
    .await
    .expect("policy");
    (server.issuer, client_id, ids)
}

/// Okta's Step 4 (through its API): the AWS IAM Identity Center app with Kiro's SCIM endpoint
/// and token, "Update User Attributes" on and "Create Users" as `create_users`, the two
/// attributes unmapped, the users assigned (and, with `push_group`, a group pushed). Waits
/// for the push to settle. Returns the app id.
async fn okta_scim_app(
    c: &Clients,
    scim_url: &str,
    token: &str,
    users: &[String],
    create_users: bool,
) -> String {
    let okta = &c.okta;
    let app = okta
        .api
        .post(
            "/api/v1/apps",
            json!({ "name": "amazon_aws_sso", "label": "AWS IAM Identity Center", "signOnMode": "SAML_2_0" }),
        )
        .await
        .expect("catalog app");
    let app = app["id"].as_str().expect("app id").to_string();
    okta.api
        .post(
            &format!("/api/v1/apps/{app}/connections/default?activate=true"),
            json!({ "baseUrl": scim_url.trim_end_matches('/'), "profile": { "authScheme": "TOKEN", "token": token } }),
        )
        .await
        .expect("Test API Credentials and Save");
    set_create_users(c, &app, create_users).await;
    let mappings = okta
        .api
        .get(&format!("/api/v1/mappings?targetId={app}"))
        .await
        .expect("mappings");
    let mapping = mappings[0]["id"].as_str().expect("mapping id").to_string();
    okta.api
        .post(
            &format!("/api/v1/mappings/{mapping}"),
            json!({ "properties": { "department": null, "employeeNumber": null } }),
        )
        .await
        .expect("unmap");
    for user in users {
        okta.assign_user(&app, user).await.expect("assign");
    }
    settle(c).await;
    app
}

async fn set_create_users(c: &Clients, app: &str, on: bool) {
    let status = if on { "ENABLED" } else { "DISABLED" };
    c.okta
        .api
        .put(
            &format!("/api/v1/apps/{app}/features/USER_PROVISIONING"),
            json!({
                "create": { "lifecycleCreate": { "status": status } },
                "update": { "profile": { "status": "ENABLED" }, "lifecycleDeactivate": { "status": "ENABLED" } },
            }),
        )
        .await
        .expect("To App features");
}

async fn settle(c: &Clients) {
    c.okta
        .api
        .post("/_sim/okta/provisioning/settle", json!({}))
        .await
        .expect("settle the push");
}

fn ide(world: &World, port: usize) -> Ide {
    Ide::new(
        &world.kiro().url(),
        LOOPBACK_PORTS[port],
        world.seed().stream(&format!("ide-{port}")),
        world.trust(),
    )
    .expect("an IDE")
}

async fn sign_in_console(b: &Browser, world: &World) {
    b.goto(&format!("{}/console", world.kiro().url())).await;
    b.fill("Admin token", world.kiro().admin_token()).await;
    b.press("Sign in").await;
    b.expect_text("Kiro profiles").await;
}

/// The trainee's Step 3 on the pages: sign up with the IdP; returns the profile page's URL.
async fn connect_idp(b: &Browser, issuer: &str, client_id: &str) -> String {
    b.follow("Sign up for Kiro").await;
    b.follow("Set up application as Admin").await;
    b.follow("Connect an existing external Identity provider")
        .await;
    b.expect_text("Issuer URI").await;
    b.fill("Profile name", "Example Corp").await;
    b.fill("Issuer URI", issuer).await;
    b.fill("Client ID", client_id).await;
    b.press("Enable").await;
    b.expect_text("Your Kiro profile was created").await;
    let url = b.url().await;
    url.split('?').next().unwrap_or(&url).to_string()
}

fn profile_id(profile_url: &str) -> String {
    profile_url
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn kiro_ui_1_the_guide_step_3_on_the_console_pages_then_provisioning_a_seat_and_credits() {
    let Some(b) = Browser::start("kiro_ui_1_the_guide_step_3_on_the_console_pages").await else {
        return;
    };
    let world = world(131).await;
    let c = world.clients();
    let users = [
        ("ada@example.com", "Ada", "Lovelace"),
        ("bob@example.com", "Bob", "Builder"),
    ];
    let (issuer, client_id, okta_users) =
        okta_oidc(&c, &users, &["ada@example.com", "bob@example.com"]).await;

    // Step 3: Create Kiro Profile.
    sign_in_console(&b, &world).await;
    let profile_url = connect_idp(&b, &issuer, &client_id).await;
    assert_eq!(b.text_of("#issuer").await, issuer);
    assert_eq!(b.text_of("#client-id").await, client_id);

    // Add and verify domain.
    b.follow("Settings").await;
    b.expect_text("Identity management").await;
    b.expect_text("Domains").await;
    b.follow("Add domain").await;
    b.fill("Domain name", "example.com").await;
    b.press("Add").await;
    b.expect_text("_kiro-verification.example.com").await;
    b.expect_text("Pending").await;
    let token = b.text_of("code.verification-token").await;
    assert!(!token.is_empty());

    // "In your DNS Provider … create TXT record with that verification token."
    b.goto(&format!("{}/dashboard", world.dns().api_url()))
        .await;
    b.fill("API token", world.dns().api_token()).await;
    b.press("Log in").await;
    b.follow("example.com").await;
    b.follow("DNS").await;
    b.follow("Add record").await;
    b.expect_text("Comment").await;
    b.select("Type", "TXT").await;
    b.fill("Name", "_kiro-verification").await;
    b.fill("Content", &token).await;
    b.press("Save").await;
    b.expect_text("Pending until 2026-01-01T00:02:00Z").await;

    // Not verified before the record is visible and the periodic check has run.
    b.goto(&format!("{profile_url}/settings")).await;
    b.expect_text("Pending").await;
    b.expect_no_text("Verified").await;
    // "after a few minutes the status will be Verified": the check every 10 minutes.
    world.advance(Duration::from_secs(600)).await;
    b.goto(&format!("{profile_url}/settings")).await;
    b.expect_text("Verified").await;

    // Add SCIM access token: shown once.
    b.press("Generate Token").await;
    b.expect_text("You will not be able to see it again").await;
    let scim_token = b.text_of("#new-token").await;
    let scim_url = b.text_of("#scim-endpoint").await;
    assert!(scim_url.ends_with("/scim/v2/"), "{scim_url}");
    b.expect_text("2027-01-01T00:10:00Z").await; // expires in a year
    b.follow("Settings").await;
    b.expect_text("Access Tokens").await;
    b.expect_no_text(&scim_token).await;
    b.expect_text("Revoke").await;

    // Step 4 (Okta's API): provisioning with that endpoint and token pushes the users.
    okta_scim_app(&c, &scim_url, &scim_token, &okta_users, true).await;
    // Subscribe your team: Ada to Pro on the Subscriptions page.
    b.follow("Subscriptions").await;
    b.expect_text("Provisioned users: 2.").await;
    b.select("Type", "User").await;
    b.fill("User or group", "ada@example.com").await;
    b.select("Subscription tier", "Pro").await;
    b.press("Subscribe").await;
    b.expect_text("Seats granted now: 1").await;
    b.expect_text("ada@example.com").await;
    b.expect_no_text("bob@example.com").await;
    b.expect_text("Pending").await;

    // The developer signs in with the IDE and has Pro's credits; the seat becomes Active.
    let mut ada = ide(&world, 0);
    ada.sign_in("ada@example.com", PASSWORD)
        .await
        .expect("Ada signs in");
    let usage = ada.usage().await.expect("usage");
    assert_eq!(usage["subscriptionInfo"]["subscriptionTitle"], "KIRO PRO");
    assert_eq!(usage["usageBreakdownList"][0]["usageLimit"], 1000);
    ada.complete("fn main() {", "}")
        .await
        .expect("a completion");
    b.follow("Subscriptions").await;
    b.expect_text("Active").await;

    // Revoke the token on the page: Okta's next push with it is refused.
    b.follow("Settings").await;
    b.press("Revoke").await;
    b.expect_text("Revoked").await;
    let refused = reqwest::Client::new()
        .get(format!("{scim_url}Users"))
        .bearer_auth(&scim_token)
        .send()
        .await
        .expect("SCIM request");
    assert_eq!(refused.status(), 401);
    b.close().await;
}

#[tokio::test]
async fn kiro_ui_2_refused_forms_show_the_core_message_next_to_the_field_and_change_nothing() {
    let Some(b) = Browser::start("kiro_ui_2_refused_forms_show_the_core_message").await else {
        return;
    };
    let world = world(132).await;
    let c = world.clients();
    let (issuer, client_id, _) =
        okta_oidc(&c, &[("ada@example.com", "Ada", "Lovelace")], &[]).await;
    let profiles = || async { c.kiro.api.get("/console/profiles").await.expect("profiles") };

    // A wrong admin token does not sign in.
    b.goto(&format!("{}/console", world.kiro().url())).await;
    b.fill("Admin token", "not-the-token").await;
    b.press("Sign in").await;
    b.expect_text("The admin token is missing or invalid.")
        .await;
    sign_in_console(&b, &world).await;

    // The issuer: not a URL, then one that serves no discovery document.
    b.follow("Sign up for Kiro").await;
    b.follow("Set up application as Admin").await;
    b.follow("Connect an existing external Identity provider")
        .await;
    b.expect_text("Issuer URI").await;
    b.fill("Profile name", "Example Corp").await;
    b.fill("Issuer URI", "okta.example.com").await;
    b.fill("Client ID", &client_id).await;
    b.press("Enable").await;
    b.expect_text("Issuer URI must be an http(s) URL.").await;
    assert_eq!(
        b.text_of("#issuer_uri-error").await,
        "Issuer URI must be an http(s) URL."
    );
    assert_eq!(
        b.value("Client ID").await,
        client_id,
        "the form keeps what was typed"
    );
    let missing = format!("{}/oauth2/nope", world.okta().url());
    b.fill("Issuer URI", &missing).await;
    b.press("Enable").await;
    b.expect_text("cannot be used").await;
    let error = b.text_of("#issuer_uri-error").await;
    assert!(
        error.starts_with(&format!("Issuer URI {missing} cannot be used")),
        "{error}"
    );
    assert_eq!(
        profiles().await["profiles"],
        json!([]),
        "no profile was created"
    );
    b.fill("Issuer URI", &issuer).await;
    b.press("Enable").await;
    b.expect_text("Your Kiro profile was created").await;
    let profile_url = b
        .url()
        .await
        .split('?')
        .next()
        .unwrap_or_default()
        .to_string();
    let id = profile_id(&profile_url);

    // A domain that is not one.
    b.follow("Settings").await;
    b.follow("Add domain").await;
    b.fill("Domain name", "not a domain").await;
    b.press("Add").await;
    b.expect_text("is not a valid domain name").await;
    assert_eq!(
        b.text_of("#domain_name-error").await,
        "not a domain is not a valid domain name."
    );
    let domains = c
        .kiro
        .api
        .get(&format!("/console/profiles/{id}/domains"))
        .await
        .expect("domains");
    assert_eq!(domains["domains"], json!([]));

    // A third access token.
    b.goto(&format!("{profile_url}/settings")).await;
    b.press("Generate Token").await;
    b.expect_text("You will not be able to see it again").await;
    b.press("Generate Token").await;
    b.expect_text("You will not be able to see it again").await;
    b.press("Generate Token").await;
    b.expect_text("up to 2 access tokens at a time").await;
    assert!(
        b.text_of("#generate_token-error")
            .await
            .starts_with("A directory supports up to 2")
    );
    b.expect_no_text("You will not be able to see it again")
        .await;
    let tokens = c
        .kiro
        .api
        .get(&format!("/console/profiles/{id}/scim-tokens"))
        .await
        .expect("tokens");
    assert_eq!(tokens["tokens"].as_array().map(Vec::len), Some(2));

    // Governance: no model approved; then a default model that is not approved.
    let before = c
        .kiro
        .api
        .get(&format!("/console/profiles/{id}/settings"))
        .await
        .expect("settings");
    for m in [
        "auto",
        "claude-sonnet-4.5",
        "claude-sonnet-4",
        "claude-haiku-4.5",
    ] {
        b.check(m, false).await;
    }
    b.press("Save settings").await;
    b.expect_text("At least one model must be approved.").await;
    b.check("claude-haiku-4.5", true).await;
    b.select("Default model", "auto").await;
    b.press("Save settings").await;
    b.expect_text("The default model must be one of the approved models.")
        .await;
    assert_eq!(
        b.text_of("#default_model-error").await,
        "The default model must be one of the approved models."
    );
    let after = c
        .kiro
        .api
        .get(&format!("/console/profiles/{id}/settings"))
        .await
        .expect("settings");
    assert_eq!(after, before, "refused settings change nothing");
    // And a valid change is saved through the same core.
    b.select("Default model", "claude-haiku-4.5").await;
    b.check("Allow overages", true).await;
    b.press("Save settings").await;
    b.expect_text("Governance").await;
    let saved = c
        .kiro
        .api
        .get(&format!("/console/profiles/{id}/settings"))
        .await
        .expect("settings");
    assert_eq!(saved["approvedModels"], json!(["claude-haiku-4.5"]));
    assert_eq!(saved["defaultModel"], "claude-haiku-4.5");
    assert_eq!(saved["overagesEnabled"], true);

    // Subscribing someone Kiro does not know.
    b.follow("Subscriptions").await;
    b.fill("User or group", "nobody@example.com").await;
    b.press("Subscribe").await;
    b.expect_text("User nobody@example.com not found").await;
    assert_eq!(
        b.text_of("#principal-error").await,
        "User nobody@example.com not found"
    );
    let subs = c
        .kiro
        .api
        .get(&format!("/console/profiles/{id}/subscriptions"))
        .await
        .expect("subs");
    assert_eq!(subs["seats"], json!([]));
    b.close().await;
}

#[tokio::test]
async fn kiro_ui_3_the_seat_list_is_paginated_and_searchable() {
    let Some(b) = Browser::start("kiro_ui_3_the_seat_list_is_paginated_and_searchable").await
    else {
        return;
    };
    let world = world(133).await;
    let c = world.clients();
    let (issuer, client_id, _) = okta_oidc(&c, &[], &[]).await;
    let profile = c
        .kiro
        .create_profile("Example Corp", &issuer, &client_id)
        .await
        .expect("profile");
    let token = c.kiro.create_scim_token(&profile.id).await.expect("token");
    let http = reqwest::Client::new();
    const USERS: usize = 120;
    let mut users = Vec::new();
    for i in 0..USERS {
        let login = format!("dev{i:03}@example.com");
        let created: Value = http
            .post(format!("{}Users", profile.scim_endpoint))
            .bearer_auth(&token)
            .json(&json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": login, "displayName": format!("Developer {i:03}"),
                "name": { "givenName": "Developer", "familyName": format!("{i:03}") },
                "emails": [{ "value": login, "type": "work", "primary": true }], "active": true,
            }))
            .send()
            .await
            .expect("SCIM")
            .json()
            .await
            .expect("SCIM json");
        let user = created["id"].as_str().expect("id").to_string();
        c.kiro
            .subscribe(&profile.id, "USER", &user, "PRO")
            .await
            .expect("subscribe");
        users.push(user);
    }
    // A group of three, pushed as Okta would.
    let members: Vec<Value> = users[..3].iter().map(|id| json!({ "value": id })).collect();
    let group: Value = http
        .post(format!("{}Groups", profile.scim_endpoint))
        .bearer_auth(&token)
        .json(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Interns", "members": members,
        }))
        .send()
        .await
        .expect("SCIM group")
        .json()
        .await
        .expect("SCIM group json");
    assert!(group["id"].is_string(), "{group}");
    sign_in_console(&b, &world).await;
    b.follow("Example Corp").await;
    b.follow("Subscriptions").await;
    b.expect_text("120 of 120 seats. Page 1 of 3.").await;

    // Subscribing the group gives each member a seat; the highest tier wins; the list says why.
    b.select("Type", "Group").await;
    b.fill("User or group", "Interns").await;
    b.select("Subscription tier", "Power").await;
    b.press("Subscribe").await;
    b.expect_text("Seats granted now: 3").await;
    b.expect_text("Group subscriptions").await;
    b.fill("Search users", "dev001@").await;
    b.press("Search").await;
    b.expect_text("1 of 120 seats.").await;
    b.expect_text("Direct, Group Interns").await;
    let row = b.text_of("#seats tbody tr").await;
    assert!(
        row.contains("dev001@example.com") && row.contains("Power"),
        "{row}"
    );
    b.press("Unsubscribe group").await;
    b.expect_no_text("Group subscriptions").await;
    b.follow("Subscriptions").await;
    b.expect_text("dev000@example.com").await;
    b.expect_text("dev049@example.com").await;
    b.expect_no_text("dev050@example.com").await;
    b.follow("Next").await;
    b.expect_text("Page 2 of 3.").await;
    b.expect_text("dev050@example.com").await;
    b.follow("Next").await;
    b.expect_text("Page 3 of 3.").await;
    b.expect_text("dev119@example.com").await;
    b.follow("Previous").await;
    b.expect_text("Page 2 of 3.").await;

    b.fill("Search users", "Developer 07").await;
    b.press("Search").await;
    b.expect_text("10 of 120 seats. Page 1 of 1.").await;
    b.expect_text("dev079@example.com").await;
    b.expect_no_text("dev080@example.com").await;

    // Delete one seat from the search results: released, the rest stay.
    b.fill("Search users", "dev042@").await;
    b.press("Search").await;
    b.expect_text("1 of 120 seats.").await;
    b.press("Delete").await;
    b.expect_text("119 of 119 seats.").await;
    // A user provisioned after a search is found by the next one (the index follows changes).
    let created: Value = http
        .post(format!("{}Users", profile.scim_endpoint))
        .bearer_auth(&token)
        .json(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "newbie@example.com", "displayName": "Newbie",
            "name": { "givenName": "New", "familyName": "Bie" },
            "emails": [{ "value": "newbie@example.com", "type": "work", "primary": true }], "active": true,
        }))
        .send()
        .await
        .expect("SCIM")
        .json()
        .await
        .expect("SCIM json");
    let newbie = created["id"].as_str().expect("id");
    c.kiro
        .subscribe(&profile.id, "USER", newbie, "PRO")
        .await
        .expect("subscribe");
    b.fill("Search users", "NEWBIE").await;
    b.press("Search").await;
    b.expect_text("1 of 120 seats.").await;
    b.expect_text("newbie@example.com").await;
    c.kiro
        .api
        .delete(&format!("/console/profiles/{}/seats/{newbie}", profile.id))
        .await
        .expect("delete the seat");
    let subs = c
        .kiro
        .api
        .get(&format!("/console/profiles/{}/subscriptions", profile.id))
        .await
        .expect("subs");
    assert_eq!(subs["seats"].as_array().map(Vec::len), Some(119));
    b.close().await;
}

#[tokio::test]
async fn kiro_ui_4_the_guide_troubleshooting_rows_as_they_show_on_the_console() {
    let Some(b) = Browser::start("kiro_ui_4_the_guide_troubleshooting_rows").await else {
        return;
    };
    let world = world(134).await;
    let c = world.clients();
    // Carol is provisioned but was never added to the OIDC app (row 1).
    let (issuer, client_id, okta_users) = okta_oidc(
        &c,
        &[
            ("ada@example.com", "Ada", "Lovelace"),
            ("carol@example.com", "Carol", "Shaw"),
        ],
        &["ada@example.com"],
    )
    .await;
    let profile = c
        .kiro
        .create_profile("Example Corp", &issuer, &client_id)
        .await
        .expect("profile");
    let (record, value) = c
        .kiro
        .add_domain(&profile.id, "example.com")
        .await
        .expect("domain");
    let zone = c.dns.zone("example.com").await.expect("zone");
    c.dns.create_txt(&zone, &record, &value).await.expect("txt");
    world.advance(Duration::from_secs(600)).await;
    let token = c.kiro.create_scim_token(&profile.id).await.expect("token");

    // Row 2: provisioning without "Create Users": nobody reaches Kiro.
    let app = okta_scim_app(&c, &profile.scim_endpoint, &token, &okta_users, false).await;
    sign_in_console(&b, &world).await;
    b.follow("Example Corp").await;
    b.follow("Subscriptions").await;
    b.expect_text("Provisioned users: 0.").await;
    b.fill("User or group", "ada@example.com").await;
    b.press("Subscribe").await;
    b.expect_text("User ada@example.com not found").await;
    // The fix: "enable Create Users"; the push runs and the users appear.
    set_create_users(&c, &app, true).await;
    settle(&c).await;
    b.follow("Subscriptions").await;
    b.expect_text("Provisioned users: 2.").await;
    for who in ["ada@example.com", "carol@example.com"] {
        b.fill("User or group", who).await;
        b.select("Subscription tier", "Pro+").await;
        b.press("Subscribe").await;
        b.expect_text(who).await;
        b.expect_text("Seats granted now: 1").await;
    }

    // Row 1: Carol holds a seat but cannot log in; her seat stays Pending.
    let mut carol = ide(&world, 1);
    assert!(
        carol.sign_in("carol@example.com", PASSWORD).await.is_err(),
        "a user outside the OIDC app cannot sign in"
    );
    let mut ada = ide(&world, 2);
    ada.sign_in("ada@example.com", PASSWORD)
        .await
        .expect("Ada signs in");
    ada.complete("let x = ", ";").await.expect("a completion");
    b.fill("Search users", "carol").await;
    b.press("Search").await;
    b.expect_text("1 of 2 seats.").await;
    b.expect_text("Pending").await;
    b.expect_no_text("Active").await;
    // The fix: add her to the OIDC application's Assignments.
    c.okta
        .assign_user(&client_id, &okta_users[1])
        .await
        .expect("assign Carol");
    let mut carol = ide(&world, 3);
    carol
        .sign_in("carol@example.com", PASSWORD)
        .await
        .expect("Carol signs in");
    let usage = carol.usage().await.expect("usage");
    assert_eq!(usage["subscriptionInfo"]["subscriptionTitle"], "KIRO PRO+");
    carol.complete("let y = ", ";").await.expect("a completion");
    b.press("Search").await;
    b.expect_text("Active").await;
    b.close().await;
}
