//! The Okta Admin Console (`/admin`) driven by a real browser (headless Chromium): the Okta
//! steps of Kiro's "Connect your Okta IdP" guide done by clicking, in the guide's order and
//! with its values, then proven through the management API and an OIDC sign-in; form errors
//! shown next to their field with nothing changed; the People list with many users.
// covers: OKTA-UI-1, OKTA-UI-2, OKTA-UI-3, OKTA-UI-4, OKTA-UI-5, OKTA-UI-6, OKTA-UI-7

use crate::common;
use crate::oidc_support;
use crate::provisioning_support;

use oidc_support::{Kiro, Org, PASSWORD, REDIRECT};
use reqwest::Method;
use serde_json::{Value, json};
use sim_testkit::browser::Browser;

/// The admin's sign-in name (the actor of admin changes in the System Log).
const ADMIN: &str = "admin@kiro-sim.test";

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

const SCOPES: [&str; 3] = [
    "codewhisperer:completions",
    "codewhisperer:conversations",
    "offline_access",
];

async fn sign_in(b: &Browser, org: &Org) {
    sign_in_at(b, &org.base(), org.okta.api_token()).await;
}

async fn sign_in_at(b: &Browser, base: &str, api_token: &str) {
    b.goto(&format!("{base}/admin")).await;
    b.expect_text("Sign In").await;
    b.fill("Username", ADMIN).await;
    b.fill("Password", api_token).await;
    b.press("Sign In").await;
    b.expect_text("Dashboard").await;
}

async fn count(org: &Org, path: &str) -> usize {
    let reply = org.admin(Method::GET, path, None).await;
    reply.ok().as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn the_guides_okta_steps_by_clicking_configure_a_working_org() {
    let Some(b) = Browser::start("the_guides_okta_steps_by_clicking").await else {
        return;
    };
    let org = Org::start(13).await;
    sign_in(&b, &org).await;

    // The directory the guide assumes: a group of Kiro users with one person in it.
    b.follow("Groups").await;
    b.press("Add group").await;
    b.fill("Name", "Kiro Users").await;
    b.fill("Description", "Everyone who uses Kiro").await;
    b.press("Save").await;
    b.expect_text("Assign people").await;
    b.follow("People").await;
    b.press("Add person").await;
    b.fill("First name", "Ada").await;
    b.fill("Last name", "Lovelace").await;
    b.fill("Username", "ada@example.com").await;
    b.fill("Primary email", "ada@example.com").await;
    b.fill("Password", PASSWORD).await;
    b.press("Save").await;
    b.expect_text("Deactivate").await;
    b.follow("Groups").await;
    b.follow("Kiro Users").await;
    b.fill("Person", "ada@example.com").await;
    b.press("Assign").await;
    b.expect_text("ada@example.com").await;

    // Step 1: Applications → Applications → Create App Integration → OIDC → Native.
    b.follow("Applications").await;
    b.press("Create App Integration").await;
    b.choose("OIDC - OpenID Connect").await;
    b.choose("Native Application").await;
    b.press("Next").await;
    b.expect_text("New Native App Integration").await;
    b.fill("App integration name", "Kiro-OIDC").await;
    b.check("Refresh Token", true).await;
    b.fill("Sign-in redirect URIs", &kiro_redirects().join("\n"))
        .await;
    let skip = b.field("Skip group assignment for now").await;
    assert!(
        skip.is_selected().await.expect("read the radio"),
        "\"Skip group assignment for now\" is the default"
    );
    b.press("Save").await;
    b.expect_text("Client ID").await;
    let client_id = b.text_of("#client-id").await;
    assert!(client_id.starts_with("0oa"), "a client id: {client_id}");

    // Assignments → Assign → Assign to Groups → Assign on the group.
    b.follow("Assignments").await;
    b.press("Assign").await;
    b.follow("Assign to Groups").await;
    b.fill("Search", "Kiro").await;
    b.press("Search").await;
    b.press("Assign").await;
    b.expect_text("Assigned").await;
    b.follow("Done").await;
    b.expect_text("Kiro Users").await;

    // Step 2: Security → API → Add Authorization Server.
    b.follow("API").await;
    b.press("Add Authorization Server").await;
    b.fill("Name", "Kiro").await;
    b.fill("Audience", "api://kiro").await;
    b.fill("Description", "Kiro IDE sign-in").await;
    b.press("Save").await;
    b.expect_text("Issuer URI").await;
    let issuer = b.text_of("#issuer-uri").await;
    let as_id = issuer.rsplit('/').next().unwrap_or_default().to_string();
    assert_eq!(issuer, format!("{}/oauth2/{as_id}", org.base()));

    // Scopes → Add Scope, User consent Implicit, Create; twice.
    b.follow("Scopes").await;
    for scope in &SCOPES[..2] {
        b.press("Add Scope").await;
        b.fill("Name", scope).await;
        b.choose("Implicit").await;
        b.press("Create").await;
        b.expect_text(scope).await;
    }

    // Access Policies → Add New Access Policy for Kiro-OIDC → Add rule.
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
    b.expect_text("1 hour").await;

    // Token Preview: the client, Authorization Code, the three scopes → iss and scp.
    b.follow("Token Preview").await;
    b.select("OAuth/OIDC client", "Kiro-OIDC").await;
    b.select("Grant type", "Authorization Code").await;
    b.fill("User", "ada@example.com").await;
    for scope in SCOPES {
        b.check(scope, true).await;
    }
    b.press("Preview Token").await;
    b.expect_text("Payload").await;
    let payload: Value =
        serde_json::from_str(&b.text_of("#payload").await).expect("the payload is JSON");
    assert_eq!(payload["iss"], json!(issuer));
    let scp: Vec<&str> = payload["scp"]
        .as_array()
        .expect("scp")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for scope in SCOPES {
        assert!(scp.contains(&scope), "{scope} in {scp:?}");
    }
    b.close().await;

    // The outcome through the management API: the app as the guide wants it.
    let app = org
        .admin(Method::GET, &format!("/api/v1/apps/{client_id}"), None)
        .await;
    let app = app.ok();
    assert_eq!(app["label"], json!("Kiro-OIDC"));
    assert_eq!(
        app["settings"]["oauthClient"]["application_type"],
        json!("native")
    );
    assert_eq!(
        app["settings"]["oauthClient"]["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(
        app["settings"]["oauthClient"]["redirect_uris"],
        json!(kiro_redirects())
    );
    let policies = org
        .admin(
            Method::GET,
            &format!("/api/v1/authorizationServers/{as_id}/policies"),
            None,
        )
        .await;
    let policy_id = policies.ok()[0]["id"]
        .as_str()
        .expect("a policy")
        .to_string();

    // And through a real sign-in: Ada gets an access token with the scopes, and a refresh
    // token that works.
    let users = org
        .admin(Method::GET, "/api/v1/users?q=ada@example.com", None)
        .await;
    let user_id = users.ok()[0]["id"].as_str().expect("Ada").to_string();
    let kiro = Kiro {
        org,
        as_id,
        client_id,
        policy_id,
        user_id,
        login: "ada@example.com".to_string(),
    };
    assert!(kiro_redirects().contains(&REDIRECT.to_string()));
    let tokens = kiro.sign_in("ada@example.com", &SCOPES.join(" ")).await;
    let (_, claims) = oidc_support::jwt_parts(tokens["access_token"].as_str().expect("a token"));
    assert_eq!(claims["iss"], json!(issuer));
    assert_eq!(claims["scp"], json!(SCOPES));
    let refresh = tokens["refresh_token"].as_str().expect("a refresh token");
    kiro.refresh(refresh).await.ok();
}

#[tokio::test]
async fn a_refused_form_shows_the_error_next_to_its_field_and_changes_nothing() {
    let Some(b) = Browser::start("a_refused_form_shows_the_error").await else {
        return;
    };
    let org = Org::start(14).await;
    sign_in(&b, &org).await;

    // A native app without a sign-in redirect URI: the core's rule, next to the field.
    b.follow("Applications").await;
    b.press("Create App Integration").await;
    b.choose("OIDC - OpenID Connect").await;
    b.choose("Native Application").await;
    b.press("Next").await;
    b.fill("App integration name", "Kiro-OIDC").await;
    b.press("Save").await;
    let next_to_field = b.text_of("#redirect_uris + .field-error").await;
    assert_eq!(
        next_to_field,
        "Must specify at least one redirect URI for the authorization_code grant type."
    );
    assert_eq!(b.value("App integration name").await, "Kiro-OIDC", "kept");
    assert_eq!(count(&org, "/api/v1/apps").await, 0, "no app created");

    // A username that is not an email address, then one that exists.
    org.create_user("ada@example.com", "Ada", "Lovelace").await;
    b.follow("People").await;
    b.press("Add person").await;
    b.fill("First name", "Grace").await;
    b.fill("Last name", "Hopper").await;
    b.fill("Username", "grace").await;
    b.fill("Primary email", "grace@example.com").await;
    b.press("Save").await;
    assert_eq!(
        b.text_of("#login + .field-error").await,
        "Username must be in the form of an email address"
    );
    assert_eq!(b.value("First name").await, "Grace", "kept");
    b.fill("Username", "ADA@example.com").await;
    b.press("Save").await;
    assert_eq!(
        b.text_of("#login + .field-error").await,
        "An object with this field already exists in the current organization"
    );
    assert_eq!(count(&org, "/api/v1/users").await, 1, "no user created");

    // A rule whose access token outlives Okta's range.
    let as_id = org.create_auth_server("Kiro").await;
    let policy_id = org.create_policy(&as_id, "ALL_CLIENTS").await;
    b.goto(&org.url(&format!(
        "/admin/security/api/{as_id}/policies/{policy_id}/rules"
    )))
    .await;
    b.fill("Rule Name", "too long").await;
    b.fill("Access token lifetime is", "25").await;
    b.press("Create rule").await;
    b.expect_text("Access token lifetime must be between 5 minutes and 1 day.")
        .await;
    let rules = org
        .admin(
            Method::GET,
            &format!("/api/v1/authorizationServers/{as_id}/policies/{policy_id}/rules"),
            None,
        )
        .await;
    assert_eq!(
        rules.ok().as_array().map_or(0, Vec::len),
        0,
        "no rule created"
    );
    b.close().await;
}

#[tokio::test]
async fn the_people_list_pages_and_searches_many_users() {
    let Some(b) = Browser::start("the_people_list_pages_and_searches").await else {
        return;
    };
    let org = Org::start(15).await;
    for i in 0..250 {
        org.admin_post(
            "/api/v1/users?activate=false",
            json!({ "profile": {
                "login": format!("user{i:04}@example.com"),
                "email": format!("user{i:04}@example.com"),
                "firstName": "User",
                "lastName": format!("N{i:04}"),
            }}),
        )
        .await;
    }
    sign_in(&b, &org).await;
    b.follow("People").await;
    b.expect_text("Showing 1–20 of 250").await;
    b.expect_text("user0019@example.com").await;
    b.expect_no_text("user0020@example.com").await;
    b.follow("Next").await;
    b.expect_text("Showing 21–40 of 250").await;
    b.expect_text("user0020@example.com").await;
    b.fill("Search", "user0123").await;
    b.press("Search").await;
    b.expect_text("Showing 1–1 of 1").await;
    b.expect_text("user0123@example.com").await;

    // Deactivate from the person's page: the API sees it.
    b.follow("User N0123").await;
    b.press("Activate").await;
    b.expect_text("Pending user action").await;
    b.press("Deactivate").await;
    b.expect_text("Deactivated").await;
    let user = org
        .admin(Method::GET, "/api/v1/users/user0123@example.com", None)
        .await;
    assert_eq!(user.ok()["status"], json!("DEPROVISIONED"));

    // The System Log shows the admin's change.
    b.follow("System Log").await;
    b.expect_text("Deactivate Okta user").await;
    b.close().await;
}

/// Without the session's CSRF token a form post is refused and changes nothing; a wrong
/// password does not sign in.
#[tokio::test]
async fn forms_need_the_sessions_csrf_token() {
    let org = Org::start(16).await;
    let http = oidc_support::client(true);
    let wrong = http
        .post(org.url("/admin/login"))
        .form(&[("username", ADMIN), ("password", "nope")])
        .send()
        .await
        .expect("sign-in");
    assert_eq!(wrong.status(), 401);
    assert!(
        wrong
            .text()
            .await
            .unwrap_or_default()
            .contains("Unable to sign in")
    );
    let anonymous = http
        .get(org.url("/admin/people"))
        .send()
        .await
        .expect("GET");
    assert_eq!(anonymous.status(), 303);
    let ok = http
        .post(org.url("/admin/login"))
        .form(&[("username", ADMIN), ("password", org.okta.api_token())])
        .send()
        .await
        .expect("sign-in");
    assert_eq!(ok.status(), 303);
    let forged = http
        .post(org.url("/admin/groups/new"))
        .form(&[("name", "Forged"), ("_csrf", "guess")])
        .send()
        .await
        .expect("POST");
    assert_eq!(forged.status(), 403);
    assert_eq!(count(&org, "/api/v1/groups").await, 0);
    let page = http
        .get(org.url("/admin/groups/new"))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("the form");
    let csrf = page
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF field")
        .to_string();
    let made = http
        .post(org.url("/admin/groups/new"))
        .form(&[("name", "Kiro Users"), ("_csrf", csrf.as_str())])
        .send()
        .await
        .expect("POST");
    assert_eq!(made.status(), 303);
    assert_eq!(count(&org, "/api/v1/groups").await, 1);
}

/// Clicks the remove button (the X) of a row.
async fn remove(b: &Browser, what: &str) {
    let xpath = format!("//button[@aria-label='Remove {what}']");
    let found = b.client().find(fantoccini::Locator::XPath(&xpath)).await;
    let button = b.ok(&format!("find the X of {what}"), found).await;
    b.click_and_wait(&format!("remove {what}"), button).await;
}

#[tokio::test]
async fn the_guides_provisioning_steps_by_clicking_push_users_and_groups() {
    let Some(b) = Browser::start("the_guides_provisioning_steps_by_clicking").await else {
        return;
    };
    let target = provisioning_support::ScimTarget::start().await;
    let okta = common::start_seeded(17).await;
    let ada =
        provisioning_support::create_user_with_profile(&okta, "ada@example.com", "Ada", "Lovelace")
            .await;
    let group = common::id_of(
        okta.post(
            "/api/v1/groups",
            json!({ "profile": { "name": "Kiro Users" } }),
        )
        .await
        .ok(),
    );
    okta.put(&format!("/api/v1/groups/{group}/users/{ada}"), json!({}))
        .await;
    sign_in_at(&b, &okta.base(), &okta.token()).await;

    // Applications → Browse App Catalog → AWS IAM Identity Center → Add Integration → Done.
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

    // Provisioning → Integration → Configure API integration; a wrong token fails the test.
    b.follow("Provisioning").await;
    b.expect_text("Provisioning is not enabled.").await;
    b.press("Configure API integration").await;
    b.check("Enable API integration", true).await;
    b.fill("Base URL", &target.base()).await;
    b.fill("API Token", "not-the-token").await;
    b.press("Test API Credentials").await;
    b.expect_text("Error authenticating: Unauthorized").await;
    b.fill("API Token", provisioning_support::TARGET_TOKEN)
        .await;
    b.press("Test API Credentials").await;
    b.expect_text("AWS IAM Identity Center was verified successfully!")
        .await;
    // "Select Save" right after the test: the token tested is still in its field.
    b.press("Save").await;
    assert_eq!(b.text_of("#base-url-value").await, target.base());

    // To App → Edit: Create Users, Update User Attributes → Save.
    b.follow("To App").await;
    b.press("Edit").await;
    b.check("Create Users", true).await;
    b.check("Update User Attributes", true).await;
    b.press("Save").await;
    let to_app = b.text_of("#to-app").await;
    assert!(to_app.contains("Create Users Enable"), "{to_app}");
    assert!(to_app.contains("Update User Attributes Enable"), "{to_app}");
    assert!(to_app.contains("Deactivate Users Disable"), "{to_app}");

    // Assignments → Assign → Assign to Groups: the group's people are pushed.
    b.follow("Assignments").await;
    b.press("Assign").await;
    b.follow("Assign to Groups").await;
    b.fill("Search", "Kiro").await;
    b.press("Search").await;
    b.press("Assign").await;
    b.follow("Done").await;

    // Push Groups before the two mappings are removed: the push fails with Okta's message.
    b.follow("Push Groups").await;
    b.press("Push Groups").await;
    b.follow("Find groups by name").await;
    b.fill("Find groups by name", "Kiro").await;
    b.press("Search").await;
    b.press("Save").await;
    provisioning_support::settle(&okta).await;
    b.follow("Push Groups").await;
    let status = b.text_of("td.push-status").await;
    assert!(status.starts_with("Error"), "{status}");
    assert!(
        status.contains("Unable to push group Kiro Users"),
        "{status}"
    );

    // The guide's step: remove department and employeeNumber (the X), then push again.
    b.follow("Provisioning").await;
    b.follow("To App").await;
    remove(&b, "department").await;
    b.expect_text("Attribute Mappings").await;
    remove(&b, "employeeNumber").await;
    b.expect_text("Attribute Mappings").await;
    let mappings = b.text_of("#mappings").await;
    assert!(!mappings.contains("department"), "{mappings}");
    assert!(!mappings.contains("employeeNumber"), "{mappings}");
    b.follow("Push Groups").await;
    b.press("Push Now").await;
    provisioning_support::settle(&okta).await;
    b.follow("Push Groups").await;
    assert_eq!(b.text_of("td.push-status").await, "Active");
    b.close().await;

    // Downstream: Ada and the group with her in it.
    let users = target.users();
    assert_eq!(users.len(), 1, "{users:?}");
    assert_eq!(users[0]["userName"], json!("ada@example.com"));
    let groups = target.groups();
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!(groups[0].1, "Kiro Users");
    assert_eq!(groups[0].2.len(), 1, "one member: {groups:?}");
}
