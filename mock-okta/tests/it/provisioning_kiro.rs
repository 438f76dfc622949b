//! End to end with the real downstream: mock-okta pushes into mock-kiro's SCIM endpoint
//! (`/{tenantId}/scim/v2/`) with a SCIM token from Kiro's console, both on one world clock.
//! Also Kiro's troubleshooting rows with mock-okta's own sign-in (`/api/v1/authn`, then
//! `/authorize` with the session token): a user must be in BOTH the OIDC app and the SCIM app
//! to both sign in and exist in Kiro.
//!
//! covers: [OKTA-PROV-1, OKTA-PROV-2, OKTA-PROV-3, OKTA-PROV-4, OKTA-PROV-5, OKTA-PROV-6, OKTA-PROV-7, OKTA-PROV-8]

use crate::common;
use crate::oidc_support;
use crate::provisioning_support;

use mock_okta::Config;
use serde_json::{Value, json};
use sim_core::Clock;

use common::{KiroOrg, Okta, PASSWORD, enc, id_of, start_with};
use provisioning_support::{
    app_user, connect, create_idc_app, create_user_with_profile, events, features, patch,
    push_group, push_mapping, settle, unmap,
};

/// mock-okta and mock-kiro on one clock, a Kiro-shaped org (OIDC app, authorization server),
/// and a Kiro profile pointing at it with a SCIM token.
struct World {
    okta: Okta,
    kiro: mock_kiro::MockKiro,
    org: KiroOrg,
    scim_base: String,
    scim_token: String,
    http: reqwest::Client,
}

impl World {
    async fn start() -> World {
        let clock = Clock::new_virtual();
        let okta = start_with(Config {
            clock: clock.clone(),
            ..Config::default()
        })
        .await;
        let kiro = mock_kiro::MockKiro::start(mock_kiro::Config {
            clock,
            ..mock_kiro::Config::default()
        })
        .await
        .expect("mock-kiro starts");
        let org = okta.kiro_org("ada@example.com").await;
        let http = reqwest::Client::new();
        let profile: Value = http
            .post(format!("{}/console/profiles", kiro.url()))
            .bearer_auth(kiro.admin_token())
            .json(
                &json!({ "profileName": "Acme", "issuerUrl": org.issuer, "clientId": org.app_id }),
            )
            .send()
            .await
            .expect("profile created")
            .json()
            .await
            .expect("profile JSON");
        let profile_id = profile["profileId"].as_str().expect("profileId");
        let token: Value = http
            .post(format!(
                "{}/console/profiles/{profile_id}/scim-tokens",
                kiro.url()
            ))
            .bearer_auth(kiro.admin_token())
            .send()
            .await
            .expect("token created")
            .json()
            .await
            .expect("token JSON");
        World {
            okta,
            scim_base: profile["scimEndpoint"]
                .as_str()
                .expect("scimEndpoint")
                .to_string(),
            scim_token: token["token"].as_str().expect("token").to_string(),
            kiro,
            org,
            http,
        }
    }

    /// The SCIM app connected to Kiro, Create Users + Update User Attributes on.
    async fn scim_app(&self) -> String {
        let app = create_idc_app(&self.okta).await;
        connect(&self.okta, &app, &self.scim_base, &self.scim_token).await;
        features(&self.okta, &app, true, true, true).await;
        app
    }

    /// A SCIM GET on Kiro with the SCIM token (as a Kiro-side check).
    async fn kiro_get(&self, path: &str) -> Value {
        let url = format!("{}{path}", self.scim_base.trim_end_matches('/'));
        self.http
            .get(url)
            .bearer_auth(&self.scim_token)
            .send()
            .await
            .expect("answered")
            .json()
            .await
            .expect("JSON")
    }

    /// Kiro's users named `login`.
    async fn kiro_users(&self, login: &str) -> Vec<Value> {
        let found = self
            .kiro_get(&format!(
                "/Users?filter={}",
                enc(&format!("userName eq \"{login}\""))
            ))
            .await;
        found["Resources"].as_array().cloned().unwrap_or_default()
    }

    /// Whether Kiro lists `kiro_user` as a member of group `group`.
    async fn is_member(&self, group: &str, kiro_user: &str) -> bool {
        self.kiro_get(&format!(
            "/Groups?filter={}",
            enc(&format!("id eq \"{group}\" and members eq \"{kiro_user}\""))
        ))
        .await["totalResults"]
            == json!(1)
    }

    /// The Kiro id of an Okta user pushed by `app` (the app user's `externalId`).
    async fn kiro_id(&self, app: &str, okta_user: &str) -> String {
        app_user(&self.okta, app, okta_user).await["externalId"]
            .as_str()
            .expect("externalId")
            .to_string()
    }

    /// Signs `login` in through the OIDC app (authn + authorize with the session token):
    /// `Ok(code)` or `Err((error, description))`.
    async fn sign_in(&self, login: &str) -> Result<String, (String, String)> {
        let authn = self
            .okta
            .send(
                self.okta
                    .http
                    .post(self.okta.url("/api/v1/authn"))
                    .json(&json!({ "username": login, "password": PASSWORD })),
            )
            .await;
        let session = authn.ok()["sessionToken"]
            .as_str()
            .expect("sessionToken")
            .to_string();
        let mut url =
            reqwest::Url::parse(&format!("{}/v1/authorize", self.org.issuer)).expect("URL");
        url.query_pairs_mut().extend_pairs([
            ("client_id", self.org.app_id.as_str()),
            ("response_type", "code"),
            ("scope", "openid offline_access codewhisperer:completions"),
            ("redirect_uri", oidc_support::REDIRECT),
            ("state", "st4te"),
            (
                "code_challenge",
                oidc_support::challenge(oidc_support::VERIFIER).as_str(),
            ),
            ("code_challenge_method", "S256"),
            ("sessionToken", session.as_str()),
        ]);
        let reply = self.okta.send(self.okta.http.get(url.as_str())).await;
        assert_eq!(reply.status, 302, "{reply:?}");
        let query = oidc_support::query_of(reply.header("location"));
        match query.get("code") {
            Some(code) => Ok(code.clone()),
            None => Err((
                query.get("error").cloned().unwrap_or_default(),
                query.get("error_description").cloned().unwrap_or_default(),
            )),
        }
    }
}

#[tokio::test]
async fn okta_prov_1_test_api_credentials_against_kiro_reports_success_or_unauthorized() {
    let w = World::start().await;
    let app = create_idc_app(&w.okta).await;
    let path = format!("/api/v1/apps/{app}/connections/default/test");
    let bad = w
        .okta
        .post(
            &path,
            json!({ "baseUrl": w.scim_base, "profile": { "authScheme": "TOKEN", "token": "not-the-token" } }),
        )
        .await;
    assert_eq!(bad.ok()["result"], json!("FAILURE"));
    assert_eq!(bad.ok()["errorSummary"], json!("Unauthorized"));
    let good = w
        .okta
        .post(
            &path,
            json!({ "baseUrl": w.scim_base, "profile": { "authScheme": "TOKEN", "token": w.scim_token } }),
        )
        .await;
    assert_eq!(good.ok(), &json!({ "result": "SUCCESS" }));
}

#[tokio::test]
async fn okta_prov_8_a_user_must_be_in_both_apps_to_sign_in_and_exist_in_kiro() {
    let w = World::start().await;
    let scim_app = w.scim_app().await;
    // Ada (from the org set-up) is in the OIDC app only.
    let bob = create_user_with_profile(&w.okta, "bob@example.com", "Bob", "Builder").await;
    let carol = create_user_with_profile(&w.okta, "carol@example.com", "Carol", "Shaw").await;
    w.okta.assign_user(&scim_app, &bob).await;
    w.okta.assign_user(&scim_app, &carol).await;
    w.okta.assign_user(&w.org.app_id, &carol).await;
    settle(&w.okta).await;

    // Row 1: only in the OIDC app: signs in, but Kiro does not know the user.
    assert!(w.sign_in("ada@example.com").await.is_ok());
    assert!(w.kiro_users("ada@example.com").await.is_empty());

    // Only in the SCIM app: Kiro knows the user, who cannot sign in.
    let in_kiro = w.kiro_users("bob@example.com").await;
    assert_eq!(in_kiro.len(), 1);
    assert_eq!(in_kiro[0]["externalId"], json!(bob));
    assert_eq!(in_kiro[0]["displayName"], json!("Bob Builder"));
    assert_eq!(
        w.sign_in("bob@example.com").await,
        Err((
            "access_denied".to_string(),
            "User is not assigned to the client application.".to_string()
        ))
    );

    // In both: both.
    assert!(w.sign_in("carol@example.com").await.is_ok());
    let in_kiro = w.kiro_users("carol@example.com").await;
    assert_eq!(in_kiro.len(), 1);
    let au = app_user(&w.okta, &scim_app, &carol).await;
    assert_eq!(au["externalId"], in_kiro[0]["id"]);
}

#[tokio::test]
async fn okta_prov_2_without_create_users_kiro_never_gets_the_user() {
    // Troubleshooting row 2, against Kiro.
    let w = World::start().await;
    let app = create_idc_app(&w.okta).await;
    connect(&w.okta, &app, &w.scim_base, &w.scim_token).await;
    w.okta.assign_user(&app, &w.org.user_id).await;
    settle(&w.okta).await;
    w.okta.advance("24h").await;
    settle(&w.okta).await;
    assert!(w.kiro_users("ada@example.com").await.is_empty());
    features(&w.okta, &app, true, true, false).await;
    settle(&w.okta).await;
    assert_eq!(w.kiro_users("ada@example.com").await.len(), 1);
}

#[tokio::test]
async fn okta_prov_5_and_6_groups_reach_kiro_once_department_and_employee_number_are_unmapped() {
    let w = World::start().await;
    let app = w.scim_app().await;
    let everyone = w.okta.create_group("Kiro users").await;
    let engineers = w.okta.create_group("Engineers").await;
    let mut users = Vec::new();
    for name in ["ann", "ben", "cat"] {
        let id =
            create_user_with_profile(&w.okta, &format!("{name}@example.com"), name, "Tester").await;
        w.okta.add_member(&everyone, &id).await;
        w.okta.add_member(&engineers, &id).await;
        users.push(id);
    }
    w.okta.assign_group(&app, &everyone).await;
    let mapping = id_of(&push_group(&w.okta, &app, &engineers).await);
    settle(&w.okta).await;

    // Default mappings: the push fails and Kiro has no group.
    let m = push_mapping(&w.okta, &app, &mapping).await;
    assert_eq!(m["status"], json!("ERROR"));
    assert!(
        m["errorSummary"]
            .as_str()
            .is_some_and(|s| s.contains("department, employeeNumber")),
        "{m}"
    );
    let groups = w
        .kiro_get(&format!(
            "/Groups?filter={}",
            enc("displayName eq \"Engineers\"")
        ))
        .await;
    assert_eq!(groups["totalResults"], json!(0));

    // As the guide says: remove the two mappings, push again.
    unmap(&w.okta, &app, &["department", "employeeNumber"]).await;
    patch(
        &w.okta,
        &format!("/api/v1/apps/{app}/group-push/mappings/{mapping}"),
        json!({ "status": "ACTIVE" }),
    )
    .await
    .ok();
    settle(&w.okta).await;
    let m = push_mapping(&w.okta, &app, &mapping).await;
    assert_eq!(m["status"], json!("ACTIVE"), "{m}");
    let target = m["targetGroupId"]
        .as_str()
        .expect("targetGroupId")
        .to_string();
    for u in &users {
        assert!(w.is_member(&target, &w.kiro_id(&app, u).await).await, "{u}");
    }

    // A member leaves; the group is renamed; a user is unassigned (deactivated in Kiro).
    w.okta
        .delete(&format!("/api/v1/groups/{engineers}/users/{}", users[0]))
        .await
        .expect(204);
    settle(&w.okta).await;
    assert!(
        !w.is_member(&target, &w.kiro_id(&app, &users[0]).await)
            .await
    );
    w.okta
        .put(
            &format!("/api/v1/groups/{engineers}"),
            json!({ "profile": { "name": "Platform" } }),
        )
        .await
        .ok();
    settle(&w.okta).await;
    let renamed = w
        .kiro_get(&format!(
            "/Groups?filter={}",
            enc("displayName eq \"Platform\"")
        ))
        .await;
    assert_eq!(renamed["totalResults"], json!(1));
    let ben_kiro = w.kiro_id(&app, &users[1]).await;
    w.okta
        .delete(&format!("/api/v1/groups/{everyone}/users/{}", users[1]))
        .await
        .expect(204);
    settle(&w.okta).await;
    let ben = w.kiro_get(&format!("/Users/{ben_kiro}")).await;
    assert_eq!(ben["active"], json!(false));
    // Read again after the member left: every push happened at the world's start.
    let m = push_mapping(&w.okta, &app, &mapping).await;
    assert_eq!(m["lastPush"], json!(common::T0), "{m}");
}

#[tokio::test]
async fn okta_prov_7_kiro_s_throttling_is_waited_out_with_retry_after() {
    let w = World::start().await;
    let app = w.scim_app().await;
    let limited = w
        .http
        .put(format!("{}/_sim/kiro/scim-rate-limit", w.kiro.url()))
        .json(&json!({ "per_minute": 2 }))
        .send()
        .await
        .expect("answered");
    assert_eq!(limited.status(), 200);
    let mut users = Vec::new();
    for name in ["ann", "ben", "cat"] {
        let id =
            create_user_with_profile(&w.okta, &format!("{name}@example.com"), name, "Tester").await;
        w.okta.assign_user(&app, &id).await;
        users.push(id);
    }
    let settled = settle(&w.okta).await;
    assert!(
        settled["pending"].as_u64().is_some_and(|n| n > 0),
        "{settled}"
    );
    let throttled: Vec<Value> = events(&w.okta, "application.provision.user.verify_exists")
        .await
        .into_iter()
        .chain(events(&w.okta, "application.provision.user.push").await)
        .filter(|e| {
            e["outcome"]["reason"]
                .as_str()
                .is_some_and(|r| r.contains("429 Too Many Requests"))
        })
        .collect();
    assert!(!throttled.is_empty());

    w.okta.advance("10m").await;
    let settled = settle(&w.okta).await;

    assert_eq!(settled["pending"], json!(0), "{settled}");
    // Lift the limit so the checks below are not throttled themselves.
    w.http
        .put(format!("{}/_sim/kiro/scim-rate-limit", w.kiro.url()))
        .json(&json!({ "per_minute": null }))
        .send()
        .await
        .expect("answered");
    for (name, id) in ["ann", "ben", "cat"].iter().zip(&users) {
        let found = w.kiro_users(&format!("{name}@example.com")).await;
        assert_eq!(found.len(), 1, "{name}");
        assert_eq!(found[0]["externalId"], json!(id));
    }
}
