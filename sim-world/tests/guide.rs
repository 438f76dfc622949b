//! Kiro's "Connect your Okta IdP" guide, the whole of it, by clicking: a sandbox started as
//! `kiro-sim up` serves it to a trainee (the home page, the zone `example.com`, no setup
//! applied), and one browser goes from the home page's links and credentials through the Okta
//! Admin Console (Steps 1 and 2), the Kiro console and the DNS dashboard (Step 3), Okta again
//! (Step 4), the Kiro Subscriptions page, Okta once more (a person joins the subscribed group:
//! the guide's "Sync delay"), the home page's clock and finally the developer page, where that
//! developer signs in through Okta's login page and has a plan and credits.
//! HTTP calls only assert outcomes (and wait for Okta's push to settle). The walkthrough's
//! wall time is printed (`guide walkthrough: … s`); `cargo xtask bench guide` runs it.
//
// covers: SIM-GUIDE-1, OKTA-UI-2, OKTA-UI-3, OKTA-UI-7, KIRO-UI-1, DNS-UI-1, SIM-HOME-1, SIM-HOME-2, SIM-HOME-3

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sim_testkit::browser::Browser;
use sim_world::WorldConfig;
use sim_world::sandbox::{Sandbox, SandboxConfig};

/// The trainee's developer and her password (the org's password policy accepts it).
const ADA: &str = "ada@example.com";
const PASSWORD: &str = "Correct-Horse-9";
/// A developer who joins the group after it is subscribed (the guide's "Sync delay").
const GRACE: &str = "grace@example.com";
/// The group of Kiro users the trainee's org has.
const GROUP: &str = "Kiro Users";
/// The Okta org's admin (the console's sign-in page names it).
const OKTA_ADMIN: &str = "admin@kiro-sim.test";

/// The guide's three scopes: the two codewhisperer scopes and offline_access.
const SCOPES: [&str; 3] = [
    "codewhisperer:completions",
    "codewhisperer:conversations",
    "offline_access",
];

/// The walkthrough's generous bound (the target is 60 s; this only catches a hang).
const BOUND: Duration = Duration::from_secs(180);

fn free_ports() -> sim_world::Ports {
    let port = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port()
    };
    sim_world::Ports {
        dns: port(),
        dns_api: port(),
        okta: port(),
        kiro: port(),
    }
}

/// The guide's sign-in redirect URIs: Kiro's scheme, then the ten localhost ports.
fn kiro_redirects() -> Vec<String> {
    let mut uris = vec!["kiro://kiro.oauth/callback".to_string()];
    for port in [
        3128, 4649, 6588, 8008, 9091, 49153, 50153, 51153, 52153, 53153,
    ] {
        uris.push(format!("http://localhost:{port}/oauth/callback"));
    }
    uris
}

fn field(fields: &serde_json::Map<String, Value>, name: &str) -> String {
    fields[name]
        .as_str()
        .unwrap_or_else(|| panic!("ready field {name}"))
        .to_string()
}

/// Waits until Okta's push has nothing left to do (an assertion aid, not a setup step).
async fn settle(okta: &str, api_token: &str) {
    let r = reqwest::Client::new()
        .post(format!("{okta}/_sim/okta/provisioning/settle"))
        .header("Authorization", format!("SSWS {api_token}"))
        .json(&json!({}))
        .send()
        .await
        .expect("settle the push");
    assert!(r.status().is_success(), "settle: {}", r.status());
}

#[tokio::test]
async fn sim_guide_1_the_whole_okta_guide_by_clicking_from_the_home_page_to_a_developers_credits() {
    let sandbox = Sandbox::start(SandboxConfig {
        world: WorldConfig {
            ports: free_ports(),
            zones: vec!["example.com".into()],
            ..WorldConfig::default()
        },
        advertised_host: None,
        setup: None,
        custom_setup: None,
        state_dir: None,
    })
    .await
    .expect("the sandbox starts");
    let fields = sandbox.ready_fields();
    let okta = field(&fields, "okta");
    let okta_token = field(&fields, "okta_api_token");
    let Some(b) = Browser::start("sim_guide_1_the_whole_okta_guide_by_clicking").await else {
        sandbox.shutdown().await;
        return;
    };
    let started = Instant::now();
    let home = field(&fields, "home_url");

    // The home page: the consoles and their credentials.
    b.goto(&home).await;
    b.expect_text("users of your own setup").await;
    let okta_password = b.text_of("#consoles tr:nth-child(2) code").await;
    let kiro_admin = b.text_of("#consoles tr:nth-child(3) code").await;
    let dns_token = b.text_of("#consoles tr:nth-child(4) code").await;

    // ---- Okta: the org's people (the minimal ones the guide needs). ----
    b.follow("Okta Admin Console").await;
    b.expect_text(OKTA_ADMIN).await;
    b.fill("Username", OKTA_ADMIN).await;
    b.fill("Password", &okta_password).await;
    b.press("Sign In").await;
    b.expect_text("Dashboard").await;
    b.follow("Groups").await;
    b.press("Add group").await;
    b.fill("Name", GROUP).await;
    b.fill("Description", "Everyone who uses Kiro").await;
    b.press("Save").await;
    b.expect_text("Assign people").await;
    b.follow("People").await;
    b.press("Add person").await;
    b.fill("First name", "Ada").await;
    b.fill("Last name", "Lovelace").await;
    b.fill("Username", ADA).await;
    b.fill("Primary email", ADA).await;
    b.fill("Password", PASSWORD).await;
    b.press("Save").await;
    b.expect_text("Deactivate").await;
    b.follow("Groups").await;
    b.follow(GROUP).await;
    b.fill("Person", ADA).await;
    b.press("Assign").await;
    b.expect_text(ADA).await;

    // ---- Step 1: Create OIDC application. ----
    b.follow("Applications").await;
    b.press("Create App Integration").await;
    b.choose("OIDC - OpenID Connect").await;
    b.choose("Native Application").await;
    b.press("Next").await;
    b.fill("App integration name", "Kiro-OIDC").await;
    b.check("Refresh Token", true).await;
    b.fill("Sign-in redirect URIs", &kiro_redirects().join("\n"))
        .await;
    b.choose("Skip group assignment for now").await;
    b.press("Save").await;
    b.expect_text("Client ID").await;
    let client_id = b.text_of("#client-id").await;
    // Add users and groups: Assignments → Assign → Assign to Groups.
    b.follow("Assignments").await;
    b.press("Assign").await;
    b.follow("Assign to Groups").await;
    b.fill("Search", GROUP).await;
    b.press("Search").await;
    b.press("Assign").await;
    b.expect_text("Assigned").await;
    b.follow("Done").await;
    b.expect_text(GROUP).await;

    // ---- Step 2: Set up custom scopes. Security → API → Add Authorization Server. ----
    b.follow("API").await;
    b.press("Add Authorization Server").await;
    b.fill("Name", "Kiro").await;
    b.fill("Audience", "api://kiro").await;
    b.fill("Description", "Kiro IDE sign-in").await;
    b.press("Save").await;
    b.expect_text("Issuer URI").await;
    let issuer = b.text_of("#issuer-uri").await;
    b.follow("Scopes").await;
    for scope in &SCOPES[..2] {
        b.press("Add Scope").await;
        b.fill("Name", scope).await;
        b.choose("Implicit").await;
        b.press("Create").await;
        b.expect_text(scope).await;
    }
    b.follow("Access Policies").await;
    b.press("Add New Access Policy").await;
    b.fill("Name", "Kiro access").await;
    b.fill("Description", "Kiro IDE").await;
    b.choose("The following clients:").await;
    b.select("Clients", "Kiro-OIDC").await;
    b.press("Create Policy").await;
    b.expect_text("Assigned to clients: Kiro-OIDC").await;
    b.press("Add rule").await;
    b.fill("Rule Name", "Kiro rule").await;
    b.choose("The following scopes:").await;
    for scope in SCOPES {
        b.check(scope, true).await;
    }
    b.press("Create rule").await;
    b.expect_text("Kiro rule").await;
    // Token Preview: iss and the three scopes in scp.
    b.follow("Token Preview").await;
    b.select("OAuth/OIDC client", "Kiro-OIDC").await;
    b.select("Grant type", "Authorization Code").await;
    b.fill("User", ADA).await;
    for scope in SCOPES {
        b.check(scope, true).await;
    }
    b.press("Preview Token").await;
    b.expect_text("Payload").await;
    let payload: Value =
        serde_json::from_str(&b.text_of("#payload").await).expect("the payload is JSON");
    assert_eq!(payload["iss"], json!(issuer));
    for scope in SCOPES {
        assert!(
            payload["scp"]
                .as_array()
                .is_some_and(|s| s.contains(&json!(scope))),
            "{scope} in {payload}"
        );
    }

    // ---- Step 3: Set up Kiro Profile. ----
    b.goto(&home).await;
    b.follow("Kiro console").await;
    b.fill("Admin token", &kiro_admin).await;
    b.press("Sign in").await;
    b.follow("Sign up for Kiro").await;
    b.follow("Set up application as Admin").await;
    b.follow("Connect an existing external Identity provider")
        .await;
    b.fill("Profile name", "Example Corp").await;
    b.fill("Issuer URI", &issuer).await;
    b.fill("Client ID", &client_id).await;
    b.press("Enable").await;
    b.expect_text("Your Kiro profile was created").await;
    let profile_url = b.url().await;
    let profile_url = profile_url
        .split('?')
        .next()
        .unwrap_or(&profile_url)
        .to_string();
    // Add and verify domain.
    b.follow("Settings").await;
    b.expect_text("Identity management").await;
    b.follow("Add domain").await;
    b.fill("Domain name", "example.com").await;
    b.press("Add").await;
    b.expect_text("Pending").await;
    let verification = b.text_of("code.verification-token").await;
    // The TXT record, in the DNS provider's dashboard.
    b.goto(&home).await;
    b.follow("DNS dashboard").await;
    b.fill("API token", &dns_token).await;
    b.press("Log in").await;
    b.follow("example.com").await;
    b.follow("DNS").await;
    b.follow("Add record").await;
    b.select("Type", "TXT").await;
    b.fill("Name", "_kiro-verification").await;
    b.fill("Content", &verification).await;
    b.press("Save").await;
    b.expect_text("_kiro-verification.example.com").await;
    // "after a few minutes the status will be Verified": the home page's clock, 5 minutes
    // at a time (bounded), until the timeline shows the check that verified it.
    b.goto(&home).await;
    let mut verified = false;
    for _ in 0..6 {
        b.press("Advance 5 min").await;
        if b.text()
            .await
            .contains("domain check of example.com: VERIFIED")
        {
            verified = true;
            break;
        }
    }
    assert!(verified, "the domain is verified within 30 minutes");
    b.goto(&format!("{profile_url}/settings")).await;
    b.expect_text("Verified").await;
    // Add SCIM access token.
    b.press("Generate Token").await;
    b.expect_text("You will not be able to see it again").await;
    let scim_token = b.text_of("#new-token").await;
    let scim_url = b.text_of("#scim-endpoint").await;

    // ---- Step 4: Create SCIM provisioning application. ----
    b.goto(&format!("{okta}/admin")).await;
    b.follow("Applications").await;
    b.press("Browse App Catalog").await;
    b.fill("Search", "AWS IAM Identity Center").await;
    b.press("Search").await;
    b.follow("AWS IAM Identity Center").await;
    b.press("Add Integration").await;
    assert_eq!(
        b.value("Application label").await,
        "AWS IAM Identity Center"
    );
    b.press("Done").await;
    b.expect_text("General Settings").await;
    // Configure SCIM provisioning.
    b.follow("Provisioning").await;
    b.expect_text("Provisioning is not enabled.").await;
    b.press("Configure API integration").await;
    b.check("Enable API integration", true).await;
    b.fill("Base URL", &scim_url).await;
    b.fill("API Token", &scim_token).await;
    b.press("Test API Credentials").await;
    b.expect_text("AWS IAM Identity Center was verified successfully!")
        .await;
    // "Select Save": the fields as tested, nothing typed again.
    b.press("Save").await;
    b.expect_text("••••••••").await;
    b.follow("To App").await;
    b.press("Edit").await;
    b.check("Create Users", true).await;
    b.check("Update User Attributes", true).await;
    b.press("Save").await;
    // Synchronizing Groups: first remove the two attributes.
    for attribute in ["department", "employeeNumber"] {
        let xpath = format!("//button[@aria-label='Remove {attribute}']");
        let found = b.client().find(fantoccini::Locator::XPath(&xpath)).await;
        let button = b.ok(&format!("find the X of {attribute}"), found).await;
        b.click_and_wait(&format!("remove {attribute}"), button)
            .await;
        b.expect_text("Attribute Mappings").await;
    }
    let mappings = b.text_of("#mappings").await;
    assert!(!mappings.contains("department"), "{mappings}");
    assert!(!mappings.contains("employeeNumber"), "{mappings}");
    // Assignments → Assign → Assign to Groups.
    b.follow("Assignments").await;
    b.press("Assign").await;
    b.follow("Assign to Groups").await;
    b.fill("Search", GROUP).await;
    b.press("Search").await;
    b.press("Assign").await;
    b.follow("Done").await;
    // Push Groups → Find groups by name → Save: Active.
    b.follow("Push Groups").await;
    b.press("Push Groups").await;
    b.follow("Find groups by name").await;
    b.fill("Find groups by name", GROUP).await;
    b.press("Search").await;
    b.press("Save").await;
    settle(&okta, &okta_token).await;
    b.follow("Push Groups").await;
    assert_eq!(b.text_of("td.push-status").await, "Active");

    // ---- Subscribe your team: the group to Pro on the Kiro console. ----
    b.goto(&format!("{profile_url}/subscriptions")).await;
    b.expect_text("Provisioned users: 1. Groups: 1.").await;
    b.select("Type", "Group").await;
    b.fill("User or group", GROUP).await;
    b.select("Subscription tier", "Pro").await;
    b.press("Subscribe").await;
    // Ada is already in the group: her seat is granted at once ("Pending" until she signs in).
    b.expect_text("Subscribed. Seats granted now: 1.").await;
    b.expect_text(ADA).await;

    // ---- "Sync delay": Grace joins the subscribed group in Okta afterwards. ----
    b.goto(&format!("{okta}/admin")).await;
    b.follow("People").await;
    b.press("Add person").await;
    b.fill("First name", "Grace").await;
    b.fill("Last name", "Hopper").await;
    b.fill("Username", GRACE).await;
    b.fill("Primary email", GRACE).await;
    b.fill("Password", PASSWORD).await;
    b.press("Save").await;
    b.expect_text("Deactivate").await;
    b.follow("Groups").await;
    b.follow(GROUP).await;
    b.fill("Person", GRACE).await;
    b.press("Assign").await;
    b.expect_text(GRACE).await;
    settle(&okta, &okta_token).await;

    // ---- Home: her seat waits for the sync delay; advance past it (up to 24 hours). ----
    b.goto(&home).await;
    b.expect_text(&format!("seat for {GRACE}")).await;
    b.press("Advance 24 h").await;
    b.expect_text("Advanced by 1 d").await;
    b.expect_text(&format!("seat granted to {GRACE}")).await;

    // ---- The developer signs in through Okta's login page: plan and credits. ----
    b.follow("Developer page (Kiro IDE)").await;
    b.fill("Email", GRACE).await;
    b.press("Sign in").await;
    b.fill("Username", GRACE).await;
    b.fill("Password", PASSWORD).await;
    b.press("Sign In").await;
    b.expect_text(&format!("Signed in as {GRACE}")).await;
    b.expect_text("Plan: KIRO PRO").await;
    b.expect_text("Credits: 0").await;
    b.press("Complete").await;
    b.expect_text("Completion served.").await;
    let took = started.elapsed();
    // Grace's seat on the Subscriptions page: Active now that she has signed in.
    b.goto(&format!("{profile_url}/subscriptions")).await;
    b.expect_text("Active").await;
    b.close().await;
    println!("guide walkthrough: {:.1} s", took.as_secs_f64());
    assert!(took < BOUND, "the walkthrough took {took:?}");

    // The OIDC app as the guide wants it, through the management API.
    let app: Value = reqwest::Client::new()
        .get(format!("{okta}/api/v1/apps/{client_id}"))
        .header("Authorization", format!("SSWS {okta_token}"))
        .send()
        .await
        .expect("GET the app")
        .json()
        .await
        .expect("JSON");
    let oauth = &app["settings"]["oauthClient"];
    assert_eq!(oauth["application_type"], json!("native"));
    assert_eq!(
        oauth["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(oauth["redirect_uris"], json!(kiro_redirects()));
    sandbox.shutdown().await;
}
