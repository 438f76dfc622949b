//! The Apps management API over HTTP: OIDC apps in Okta's shape (a native app has a client id
//! and no secret, a web app has a secret), their validation refusals, `PUT` settings
//! replacement, activation, deletion (inactive only: E0000056), and user assignments directly
//! (`scope: USER`) and through groups (`scope: GROUP`). Refusals change nothing.
//!
//! covers: [OKTA-APP-1, OKTA-DIR-2, OKTA-API-1]

use crate::common;

use serde_json::{Value, json};

use common::{KIRO_REDIRECT_URIS, Okta, T0, enc, id_of};

fn ids(list: &Value) -> Vec<String> {
    list.as_array().expect("a list").iter().map(id_of).collect()
}

/// A Kiro-shaped app body with these overrides of `settings.oauthClient`.
fn app_body(label: &str, oauth_client: Value) -> Value {
    let mut settings = json!({
        "redirect_uris": KIRO_REDIRECT_URIS,
        "post_logout_redirect_uris": [],
        "response_types": ["code"],
        "grant_types": ["authorization_code", "refresh_token"],
        "application_type": "native",
        "refresh_token": { "rotation_type": "ROTATE", "leeway": 30 },
    });
    if let (Some(s), Some(o)) = (settings.as_object_mut(), oauth_client.as_object()) {
        for (k, v) in o {
            s.insert(k.clone(), v.clone());
        }
    }
    json!({
        "name": "oidc_client",
        "label": label,
        "signOnMode": "OPENID_CONNECT",
        "credentials": { "oauthClient": { "token_endpoint_auth_method": "none" } },
        "settings": { "oauthClient": settings },
    })
}

async fn apps(okta: &Okta) -> Value {
    okta.get("/api/v1/apps?limit=200").await.ok().clone()
}

#[tokio::test]
async fn okta_app_1_a_native_app_has_a_client_id_and_no_secret() {
    let okta = common::start().await;
    let reply = okta
        .post(
            "/api/v1/apps?activate=true",
            app_body("Kiro-OIDC", json!({})),
        )
        .await;
    let app = reply.ok().clone();
    let id = id_of(&app);
    assert_eq!(id.len(), 20);
    assert!(id.starts_with("0oa"), "{id}");
    let base = okta.base();
    assert_eq!(
        app,
        json!({
            "id": id,
            "name": "oidc_client",
            "label": "Kiro-OIDC",
            "status": "ACTIVE",
            "lastUpdated": T0,
            "created": T0,
            "accessibility": { "selfService": false, "errorRedirectUrl": null, "loginRedirectUrl": null },
            "visibility": {
                "autoLaunch": false,
                "autoSubmitToolbar": false,
                "hide": { "iOS": true, "web": true },
                "appLinks": { "oidc_client_link": true },
            },
            "features": [],
            "signOnMode": "OPENID_CONNECT",
            "credentials": {
                "userNameTemplate": { "template": "${source.login}", "type": "BUILT_IN" },
                "signing": { "kid": null },
                "oauthClient": {
                    "autoKeyRotation": true,
                    "client_id": id,
                    "token_endpoint_auth_method": "none",
                },
            },
            "settings": {
                "app": {},
                "notifications": { "vpn": { "network": { "connection": "DISABLED" }, "message": null, "helpUrl": null } },
                "manualProvisioning": false,
                "implicitAssignment": false,
                "notes": { "admin": null, "enduser": null },
                "oauthClient": {
                    "client_uri": null,
                    "logo_uri": null,
                    "redirect_uris": KIRO_REDIRECT_URIS,
                    "post_logout_redirect_uris": [],
                    "response_types": ["code"],
                    "grant_types": ["authorization_code", "refresh_token"],
                    "application_type": "native",
                    "consent_method": "REQUIRED",
                    "issuer_mode": "ORG_URL",
                    "idp_initiated_login": { "mode": "DISABLED", "default_scope": [] },
                    "wildcard_redirect": "DISABLED",
                    "refresh_token": { "rotation_type": "ROTATE", "leeway": 30 },
                },
            },
            "_links": {
                "appLinks": [{
                    "name": "oidc_client_link",
                    "href": format!("{base}/home/oidc_client/{id}/aln5z7uhkbM6y7bMy0g7"),
                    "type": "text/html",
                }],
                "groups": { "href": format!("{base}/api/v1/apps/{id}/groups") },
                "logo": [{ "name": "medium", "href": format!("{base}/assets/img/logos/default.png"), "type": "image/png" }],
                "users": { "href": format!("{base}/api/v1/apps/{id}/users") },
                "self": { "href": format!("{base}/api/v1/apps/{id}") },
                "deactivate": { "href": format!("{base}/api/v1/apps/{id}/lifecycle/deactivate"), "method": "POST" },
            },
        })
    );
    assert_eq!(okta.get(&format!("/api/v1/apps/{id}")).await.ok(), &app);
}

#[tokio::test]
async fn okta_app_1_a_web_app_gets_a_secret_and_only_authorization_code_by_default() {
    let okta = common::start().await;
    let app = okta
        .post(
            "/api/v1/apps",
            json!({
                "name": "oidc_client",
                "label": "Portal",
                "signOnMode": "OPENID_CONNECT",
                "credentials": { "oauthClient": { "token_endpoint_auth_method": "client_secret_basic" } },
                "settings": { "oauthClient": {
                    "redirect_uris": ["https://portal.example.com/callback"],
                    "application_type": "web",
                } },
            }),
        )
        .await
        .ok()
        .clone();
    let creds = &app["credentials"]["oauthClient"];
    assert_eq!(creds["client_id"], app["id"]);
    let secret = creds["client_secret"].as_str().expect("a client secret");
    assert_eq!(secret.len(), 40);
    assert_eq!(creds["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(
        app["settings"]["oauthClient"]["grant_types"],
        json!(["authorization_code"])
    );
    assert_eq!(
        app["settings"]["oauthClient"]["response_types"],
        json!(["code"])
    );
    // `activate` defaults to true.
    assert_eq!(app["status"], "ACTIVE");
    let inactive = okta
        .post("/api/v1/apps?activate=false", app_body("Later", json!({})))
        .await;
    assert_eq!(inactive.ok()["status"], "INACTIVE");
    assert!(inactive.ok()["_links"]["activate"].is_object());
}

#[tokio::test]
async fn okta_app_1_invalid_apps_are_refused_with_every_cause_and_change_nothing() {
    let okta = common::start().await;
    okta.create_kiro_app("Kiro-OIDC").await;
    let before = apps(&okta).await;

    let cases: Vec<(Value, &str, Vec<&str>)> = vec![
        (
            app_body("Kiro", json!({ "grant_types": ["refresh_token"] })),
            "Api validation failed: settings.oauthClient",
            vec!["grant_types: Native applications must have the authorization_code grant type."],
        ),
        (
            app_body("Kiro", json!({ "redirect_uris": [] })),
            "Api validation failed: settings.oauthClient",
            vec![
                "redirect_uris: Must specify at least one redirect URI for the authorization_code grant type.",
            ],
        ),
        (
            app_body(
                "Kiro",
                json!({ "redirect_uris": ["not a uri"], "grant_types": ["authorization_code", "magic"] }),
            ),
            "Api validation failed: settings.oauthClient",
            vec![
                "grant_types: 'magic' is not a valid grant type",
                "redirect_uris: 'not a uri' is not a valid redirect URI",
            ],
        ),
        (
            app_body(" ", json!({})),
            "Api validation failed: label",
            vec!["label: The field cannot be left blank"],
        ),
        (
            app_body("Kiro", json!({ "application_type": "desktop" })),
            "Api validation failed: settings.oauthClient.application_type",
            vec!["application_type: 'desktop' is not one of native, web, browser or service"],
        ),
        (
            app_body(
                "Kiro",
                json!({ "refresh_token": { "rotation_type": "SOMETIMES" } }),
            ),
            "Api validation failed: settings.oauthClient.refresh_token.rotation_type",
            vec!["refresh_token.rotation_type: 'SOMETIMES' is not ROTATE or STATIC"],
        ),
        (
            {
                let mut b = app_body("Kiro", json!({}));
                b["signOnMode"] = json!("SAML_2_0");
                b
            },
            "Api validation failed: signOnMode",
            vec!["signOnMode: 'SAML_2_0' is not valid for oidc_client (OPENID_CONNECT)"],
        ),
        (
            {
                let mut b = app_body("Kiro", json!({}));
                b["name"] = json!("bookmark");
                b
            },
            "Api validation failed: name",
            vec![
                "name: The app 'bookmark' is not available in this org (oidc_client, amazon_aws_sso)",
            ],
        ),
    ];
    for (body, summary, expected) in cases {
        let causes = okta
            .post("/api/v1/apps", body.clone())
            .await
            .okta_error(400, "E0000001", summary);
        assert_eq!(causes, expected, "{body}");
    }
    okta.post("/api/v1/apps", json!({ "label": 7 }))
        .await
        .okta_error(400, "E0000003", "The request body was not well-formed.");
    assert_eq!(apps(&okta).await, before);
}

#[tokio::test]
async fn okta_app_1_put_replaces_settings_and_keeps_identity_and_assignments() {
    let okta = common::start().await;
    let id = okta.create_kiro_app("Kiro-OIDC").await;
    let user = okta.create_user("ada@example.com").await;
    okta.assign_user(&id, &user).await;
    okta.advance("3m").await;

    let updated = okta
        .put(
            &format!("/api/v1/apps/{id}"),
            app_body(
                "Kiro IDE",
                json!({ "redirect_uris": ["kiro://kiro.oauth/callback"], "grant_types": ["authorization_code"],
                        "refresh_token": { "rotation_type": "STATIC", "leeway": 0 } }),
            ),
        )
        .await
        .ok()
        .clone();
    assert_eq!(updated["id"], id.as_str());
    assert_eq!(updated["label"], "Kiro IDE");
    assert_eq!(updated["status"], "ACTIVE");
    assert_eq!(updated["created"], T0);
    assert_eq!(updated["lastUpdated"], "2026-01-01T00:03:00.000Z");
    assert_eq!(
        updated["settings"]["oauthClient"]["redirect_uris"],
        json!(["kiro://kiro.oauth/callback"])
    );
    assert_eq!(
        updated["settings"]["oauthClient"]["refresh_token"],
        json!({ "rotation_type": "STATIC", "leeway": 0 })
    );
    assert_eq!(
        ids(okta.get(&format!("/api/v1/apps/{id}/users")).await.ok()),
        [user]
    );

    // A refused PUT changes nothing; an unknown app is 404.
    okta.put(
        &format!("/api/v1/apps/{id}"),
        app_body("Kiro IDE", json!({ "redirect_uris": [] })),
    )
    .await
    .okta_error(
        400,
        "E0000001",
        "Api validation failed: settings.oauthClient",
    );
    assert_eq!(okta.get(&format!("/api/v1/apps/{id}")).await.ok(), &updated);
    okta.put(
        "/api/v1/apps/0oa00000000000missing",
        app_body("X", json!({})),
    )
    .await
    .okta_error(
        404,
        "E0000007",
        "Not found: Resource not found: 0oa00000000000missing (AppInstance)",
    );
}

#[tokio::test]
async fn okta_app_1_only_inactive_apps_can_be_deleted() {
    let okta = common::start().await;
    let id = okta.create_kiro_app("Kiro-OIDC").await;
    let causes = okta.delete(&format!("/api/v1/apps/{id}")).await.okta_error(
        403,
        "E0000056",
        "Delete application forbidden.",
    );
    assert!(causes.is_empty());
    assert_eq!(
        okta.get(&format!("/api/v1/apps/{id}")).await.ok()["status"],
        "ACTIVE"
    );

    let reply = okta
        .post_empty(&format!("/api/v1/apps/{id}/lifecycle/deactivate"))
        .await;
    assert_eq!(reply.ok(), &json!({}));
    assert_eq!(
        okta.get(&format!("/api/v1/apps/{id}")).await.ok()["status"],
        "INACTIVE"
    );
    okta.post_empty(&format!("/api/v1/apps/{id}/lifecycle/activate"))
        .await
        .ok();
    assert_eq!(
        okta.get(&format!("/api/v1/apps/{id}")).await.ok()["status"],
        "ACTIVE"
    );
    okta.post_empty(&format!("/api/v1/apps/{id}/lifecycle/deactivate"))
        .await
        .ok();

    okta.delete(&format!("/api/v1/apps/{id}")).await.expect(204);
    okta.get(&format!("/api/v1/apps/{id}")).await.okta_error(
        404,
        "E0000007",
        &format!("Not found: Resource not found: {id} (AppInstance)"),
    );
    okta.post_empty(&format!("/api/v1/apps/{id}/lifecycle/activate"))
        .await
        .okta_error(
            404,
            "E0000007",
            &format!("Not found: Resource not found: {id} (AppInstance)"),
        );
    assert_eq!(apps(&okta).await, json!([]));
}

#[tokio::test]
async fn okta_dir_2_users_are_assigned_directly_or_through_groups() {
    let okta = common::start().await;
    let app = okta.create_kiro_app("Kiro-OIDC").await;
    let ada = okta.create_user("ada@example.com").await;
    let alan = okta.create_user("alan@example.com").await;
    let carol = okta.create_user("carol@example.com").await;
    let group = okta.create_group("Kiro users").await;
    okta.add_member(&group, &alan).await;
    okta.add_member(&group, &ada).await;

    // Direct assignment answers the AppUser.
    let reply = okta
        .post(
            &format!("/api/v1/apps/{app}/users"),
            json!({ "id": ada, "scope": "USER", "credentials": { "userName": "ada@example.com" } }),
        )
        .await;
    let base = okta.base();
    assert_eq!(
        reply.ok(),
        &json!({
            "id": ada,
            "externalId": null,
            "created": T0,
            "lastUpdated": T0,
            "scope": "USER",
            "status": "ACTIVE",
            "statusChanged": T0,
            "passwordChanged": null,
            "syncState": "DISABLED",
            "credentials": { "userName": "ada@example.com" },
            "profile": {},
            "_links": {
                "app": { "href": format!("{base}/api/v1/apps/{app}") },
                "user": { "href": format!("{base}/api/v1/users/{ada}") },
            },
        })
    );

    // Group assignment answers the assignment.
    let reply = okta
        .put(&format!("/api/v1/apps/{app}/groups/{group}"), json!({}))
        .await;
    assert_eq!(
        reply.ok(),
        &json!({
            "id": group,
            "lastUpdated": T0,
            "priority": 0,
            "profile": {},
            "_links": {
                "app": { "href": format!("{base}/api/v1/apps/{app}") },
                "self": { "href": format!("{base}/api/v1/apps/{app}/groups/{group}") },
                "group": { "href": format!("{base}/api/v1/groups/{group}") },
            },
        })
    );
    assert_eq!(
        ids(okta.get(&format!("/api/v1/apps/{app}/groups")).await.ok()),
        [group.as_str()]
    );
    assert_eq!(
        okta.get(&format!("/api/v1/apps/{app}/groups/{group}"))
            .await
            .ok()["id"],
        group.as_str()
    );
    assert_eq!(
        ids(okta.get(&format!("/api/v1/groups/{group}/apps")).await.ok()),
        [app.as_str()]
    );

    // Direct first, then through the group; a user in both counts once, as USER.
    let users = okta
        .get(&format!("/api/v1/apps/{app}/users"))
        .await
        .ok()
        .clone();
    let scopes: Vec<(String, String)> = users
        .as_array()
        .expect("a list")
        .iter()
        .map(|u| (id_of(u), u["scope"].as_str().unwrap_or("").to_string()))
        .collect();
    assert_eq!(
        scopes,
        [
            (ada.clone(), "USER".to_string()),
            (alan.clone(), "GROUP".to_string())
        ]
    );
    assert_eq!(
        okta.get(&format!("/api/v1/apps/{app}/users/{alan}"))
            .await
            .ok()["scope"],
        "GROUP"
    );
    okta.get(&format!("/api/v1/apps/{app}/users/{carol}"))
        .await
        .okta_error(
            404,
            "E0000007",
            &format!("Not found: Resource not found: {carol} (AppUser)"),
        );
    // App links of a user.
    let links = okta.get(&format!("/api/v1/users/{alan}/appLinks")).await;
    assert_eq!(links.ok()[0]["appInstanceId"], app.as_str());
    assert_eq!(
        okta.get(&format!("/api/v1/users/{carol}/appLinks"))
            .await
            .ok(),
        &json!([])
    );

    // Refusals: unknown user, app, group; a GROUP scope cannot be set directly; removing a
    // user who is not assigned directly.
    let before = okta
        .get(&format!("/api/v1/apps/{app}/users"))
        .await
        .ok()
        .clone();
    okta.post(
        &format!("/api/v1/apps/{app}/users"),
        json!({ "id": "00u0000000000missing", "scope": "USER" }),
    )
    .await
    .okta_error(
        404,
        "E0000007",
        "Not found: Resource not found: 00u0000000000missing (User)",
    );
    okta.post(
        "/api/v1/apps/0oa00000000000missing/users",
        json!({ "id": carol, "scope": "USER" }),
    )
    .await
    .okta_error(
        404,
        "E0000007",
        "Not found: Resource not found: 0oa00000000000missing (AppInstance)",
    );
    okta.post(
        &format!("/api/v1/apps/{app}/users"),
        json!({ "id": carol, "scope": "GROUP" }),
    )
    .await
    .okta_error(400, "E0000001", "Api validation failed: scope");
    okta.post(&format!("/api/v1/apps/{app}/users"), json!({}))
        .await
        .okta_error(400, "E0000001", "Api validation failed: id");
    okta.delete(&format!("/api/v1/apps/{app}/users/{alan}"))
        .await
        .okta_error(
            404,
            "E0000007",
            &format!("Not found: Resource not found: {alan} (AppUser)"),
        );
    okta.put(
        &format!("/api/v1/apps/{app}/groups/00g0000000000missing"),
        json!({}),
    )
    .await
    .okta_error(
        404,
        "E0000007",
        "Not found: Resource not found: 00g0000000000missing (UserGroup)",
    );
    assert_eq!(
        okta.get(&format!("/api/v1/apps/{app}/users")).await.ok(),
        &before
    );

    // Unassigning: the direct assignment of ada goes, but she stays assigned through the group.
    okta.delete(&format!("/api/v1/apps/{app}/users/{ada}"))
        .await
        .expect(204);
    let scopes: Vec<(String, String)> = okta
        .get(&format!("/api/v1/apps/{app}/users"))
        .await
        .ok()
        .as_array()
        .expect("a list")
        .iter()
        .map(|u| (id_of(u), u["scope"].as_str().unwrap_or("").to_string()))
        .collect();
    assert_eq!(
        scopes,
        [
            (alan.clone(), "GROUP".to_string()),
            (ada.clone(), "GROUP".to_string())
        ]
    );
    okta.delete(&format!("/api/v1/apps/{app}/groups/{group}"))
        .await
        .expect(204);
    okta.delete(&format!("/api/v1/apps/{app}/groups/{group}"))
        .await
        .okta_error(
            404,
            "E0000007",
            &format!("Not found: Resource not found: {group} (ApplicationGroupAssignment)"),
        );
    assert_eq!(
        okta.get(&format!("/api/v1/apps/{app}/users")).await.ok(),
        &json!([])
    );
}

#[tokio::test]
async fn okta_app_1_apps_list_with_q_filter_and_pages() {
    let okta = common::start().await;
    let mut created = Vec::new();
    for n in 0..25 {
        created.push(okta.create_kiro_app(&format!("App {n:02}")).await);
    }
    let kiro = okta.create_kiro_app("Kiro-OIDC").await;
    okta.post_empty(&format!("/api/v1/apps/{kiro}/lifecycle/deactivate"))
        .await
        .ok();
    created.push(kiro.clone());

    // Default page size 20.
    let first = okta.get("/api/v1/apps").await;
    assert_eq!(first.ok().as_array().map(Vec::len), Some(20));
    assert!(first.link("next").is_some());
    let (all, pages) = okta.list_all("/api/v1/apps").await;
    assert_eq!(pages, 2);
    assert_eq!(all.iter().map(id_of).collect::<Vec<_>>(), created);

    assert_eq!(
        ids(okta.get("/api/v1/apps?q=kiro").await.ok()),
        [kiro.as_str()]
    );
    let inactive = okta
        .get(&format!(
            "/api/v1/apps?filter={}",
            enc(r#"status eq "INACTIVE""#)
        ))
        .await;
    assert_eq!(ids(inactive.ok()), [kiro]);
}
