//! The management API of provisioning over HTTP: the app catalog and adding AWS IAM Identity
//! Center, the provisioning connection and "Test API Credentials", the To App features, the
//! profile mappings. Refusals change nothing and are Okta error objects.
//!
//! covers: [OKTA-APP-4, OKTA-PROV-1, OKTA-PROV-2, OKTA-PROV-6]

use crate::common;
use crate::provisioning_support;

use serde_json::{Value, json};

use common::{T0, id_of, start};
use provisioning_support::{
    ScimTarget, TARGET_TOKEN, connect, create_idc_app, events, features, mapping_id, settle,
};

#[tokio::test]
async fn okta_app_4_the_catalog_offers_aws_iam_identity_center_and_adding_it_creates_an_app() {
    let okta = start().await;
    let base = okta.base();
    let catalog = okta.get("/api/v1/catalog/apps?q=identity%20center").await;
    assert_eq!(
        catalog.ok(),
        &json!([{
            "name": "amazon_aws_sso",
            "displayName": "AWS IAM Identity Center",
            "description": "Single sign-on to AWS accounts and applications, with SCIM 2.0 user and group provisioning.",
            "category": "Developer Tools",
            "signOnModes": ["SAML_2_0"],
            "features": ["PUSH_NEW_USERS", "PUSH_PROFILE_UPDATES", "PUSH_USER_DEACTIVATION", "REACTIVATE_USERS", "GROUP_PUSH"],
            "provisioning": { "protocol": "SCIM 2.0", "authScheme": "TOKEN" },
            "_links": {
                "self": { "href": format!("{base}/api/v1/catalog/apps/amazon_aws_sso") },
                "create": { "href": format!("{base}/api/v1/apps"), "hints": { "allow": ["POST"] } },
            },
        }])
    );
    assert_eq!(
        okta.get("/api/v1/catalog/apps?q=salesforce").await.ok(),
        &json!([])
    );
    okta.get("/api/v1/catalog/apps/amazon_aws_sso").await.ok();
    okta.get("/api/v1/catalog/apps/nope").await.okta_error(
        404,
        "E0000007",
        "Not found: Resource not found: nope (CatalogApp)",
    );

    // "Add Integration", keeping the defaults: label and SAML settings.
    let reply = okta
        .post(
            "/api/v1/apps",
            json!({ "name": "amazon_aws_sso", "label": "AWS IAM Identity Center", "signOnMode": "SAML_2_0" }),
        )
        .await;
    let app = reply.ok().clone();
    let id = id_of(&app);
    assert!(id.starts_with("0oa"), "{id}");
    assert_eq!(app["name"], json!("amazon_aws_sso"));
    assert_eq!(app["label"], json!("AWS IAM Identity Center"));
    assert_eq!(app["status"], json!("ACTIVE"));
    assert_eq!(app["signOnMode"], json!("SAML_2_0"));
    assert_eq!(app["created"], json!(T0));
    // The SAML settings exist (and are never used: Kiro signs in through the OIDC app).
    assert_eq!(
        app["settings"]["app"],
        json!({ "acsURL": null, "entityID": null })
    );
    assert_eq!(
        app["_links"]["metadata"]["href"],
        json!(format!("{base}/api/v1/apps/{id}/sso/saml/metadata"))
    );
    assert_eq!(app["credentials"]["oauthClient"], Value::Null);
    // Nothing is provisioned until API integration is enabled.
    assert_eq!(app["features"], json!([]));

    // It is an app like any other: listed, filtered by name, assignable, replaceable.
    let listed = okta
        .get(&format!(
            "/api/v1/apps?filter={}",
            common::enc("name eq \"amazon_aws_sso\"")
        ))
        .await;
    assert_eq!(listed.ok().as_array().map(Vec::len), Some(1));
    let user = okta.create_user("ada@example.com").await;
    okta.assign_user(&id, &user).await;
    let au = okta.get(&format!("/api/v1/apps/{id}/users/{user}")).await;
    assert_eq!(au.ok()["syncState"], json!("DISABLED"));
    let links = okta.get(&format!("/api/v1/users/{user}/appLinks")).await;
    assert_eq!(links.ok()[0]["appName"], json!("amazon_aws_sso"));
    let replaced = okta
        .put(
            &format!("/api/v1/apps/{id}"),
            json!({
                "name": "amazon_aws_sso", "label": "Kiro SCIM",
                "settings": { "app": { "acsURL": "https://us-east-1.signin.aws/platform/saml/acs/x", "entityID": "https://us-east-1.signin.aws/platform/saml/x" } },
            }),
        )
        .await;
    assert_eq!(replaced.ok()["label"], json!("Kiro SCIM"));
    assert_eq!(
        replaced.ok()["settings"]["app"]["acsURL"],
        json!("https://us-east-1.signin.aws/platform/saml/acs/x")
    );

    // Refusals.
    let causes = okta
        .post(
            "/api/v1/apps",
            json!({ "name": "amazon_aws_sso", "signOnMode": "OPENID_CONNECT" }),
        )
        .await
        .okta_error(400, "E0000001", "Api validation failed: signOnMode");
    assert_eq!(
        causes,
        ["signOnMode: 'OPENID_CONNECT' is not valid for amazon_aws_sso (SAML_2_0)"]
    );
    let causes = okta
        .post(
            "/api/v1/apps",
            json!({ "name": "amazon_aws_sso", "settings": { "app": { "acsURL": "not a url" } } }),
        )
        .await
        .okta_error(400, "E0000001", "Api validation failed: settings.app");
    assert_eq!(
        causes,
        ["settings.app.acsURL: 'not a url' is not a valid URL"]
    );
    // The label defaults to the catalog's name.
    let unlabelled = okta
        .post("/api/v1/apps", json!({ "name": "amazon_aws_sso" }))
        .await;
    assert_eq!(unlabelled.ok()["label"], json!("AWS IAM Identity Center"));

    // The SAML app is no OAuth client.
    let kiro = okta.kiro_org("bob@example.com").await;
    let token = okta
        .send(
            okta.http
                .post(okta.url(&format!("/oauth2/{}/v1/token", kiro.as_id)))
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("client_id", id.as_str()),
                    ("code", "whatever"),
                    ("redirect_uri", "http://localhost:3128/oauth/callback"),
                ]),
        )
        .await;
    assert_eq!(token.status, 401, "{token:?}");
    assert_eq!(token.body["error"], json!("invalid_client"));
    let authorize = okta
        .send(okta.http.get(okta.url(&format!(
            "/oauth2/{}/v1/authorize?client_id={id}&response_type=code&scope=openid&redirect_uri={}&state=s",
            kiro.as_id,
            common::enc("http://localhost:3128/oauth/callback")
        ))))
        .await;
    assert_eq!(authorize.status, 400, "{authorize:?}");
    assert!(
        String::from_utf8_lossy(&authorize.bytes).contains("client_id"),
        "{authorize:?}"
    );
}

#[tokio::test]
async fn okta_prov_1_api_integration_takes_a_base_url_and_token_and_tests_the_credentials() {
    let okta = start().await;
    let target = ScimTarget::start().await;
    let app = create_idc_app(&okta).await;
    let base = okta.base();
    let path = format!("/api/v1/apps/{app}/connections/default");

    let before = okta.get(&path).await;
    assert_eq!(
        before.ok(),
        &json!({
            "authScheme": "TOKEN",
            "baseUrl": null,
            "status": "DISABLED",
            "profile": { "authScheme": "TOKEN" },
            "_links": {
                "self": { "href": format!("{base}{path}") },
                "activate": { "href": format!("{base}{path}/lifecycle/activate"), "hints": { "allow": ["POST"] } },
            },
        })
    );

    // "Test API Credentials" with a wrong token: the target's answer.
    let tested = okta
        .post(
            &format!("{path}/test"),
            json!({ "baseUrl": target.base(), "profile": { "authScheme": "TOKEN", "token": "wrong" } }),
        )
        .await;
    let body = tested.ok();
    assert_eq!(body["result"], json!("FAILURE"));
    assert_eq!(body["errorSummary"], json!("Unauthorized"));
    assert_eq!(body["statusCode"], json!(401));
    assert_eq!(
        body["detail"],
        json!("401 Unauthorized: Authorization header is invalid or missing.")
    );
    let requests = target.requests();
    assert_eq!(target.lines(), ["GET /Users?count=1"]);
    assert_eq!(requests[0].headers["authorization"], "Bearer wrong");
    assert_eq!(requests[0].headers["user-agent"], "Okta SCIM Client 1.0.0");
    assert_eq!(requests[0].headers["accept"], "application/scim+json");
    let failures = events(&okta, "application.integration.authentication_failure").await;
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0]["outcome"]["result"], json!("FAILURE"));

    // The right token: success. Nothing is saved by a test.
    let tested = okta
        .post(
            &format!("{path}/test"),
            json!({ "baseUrl": target.base(), "profile": { "token": TARGET_TOKEN } }),
        )
        .await;
    assert_eq!(tested.ok(), &json!({ "result": "SUCCESS" }));
    assert_eq!(okta.get(&path).await.ok()["baseUrl"], Value::Null);

    // A target that is not there.
    let tested = okta
        .post(
            &format!("{path}/test"),
            json!({ "baseUrl": "http://127.0.0.1:9/scim/v2", "profile": { "token": "x" } }),
        )
        .await;
    assert_eq!(tested.ok()["result"], json!("FAILURE"));
    assert!(
        tested.ok()["errorSummary"]
            .as_str()
            .is_some_and(|s| s.starts_with("Could not reach http://127.0.0.1:9/scim/v2/Users")),
        "{:?}",
        tested.body
    );

    // Save and enable; the token is never shown; the saved settings test fine.
    let saved = okta
        .post(
            &format!("{path}?activate=TRUE"),
            json!({ "baseUrl": format!("{}/", target.base()), "profile": { "authScheme": "TOKEN", "token": TARGET_TOKEN } }),
        )
        .await;
    let saved = saved.ok().clone();
    assert_eq!(saved["status"], json!("ENABLED"));
    assert_eq!(saved["baseUrl"], json!(target.base()));
    assert!(!saved.to_string().contains(TARGET_TOKEN), "{saved}");
    assert_eq!(
        okta.post(&format!("{path}/test"), json!({})).await.ok(),
        &json!({ "result": "SUCCESS" })
    );
    let app_json = okta.get(&format!("/api/v1/apps/{app}")).await;
    assert_eq!(app_json.ok()["features"], json!(["GROUP_PUSH"]));

    // Lifecycle.
    okta.post_empty(&format!("{path}/lifecycle/deactivate"))
        .await
        .expect(204);
    assert_eq!(okta.get(&path).await.ok()["status"], json!("DISABLED"));
    okta.post_empty(&format!("{path}/lifecycle/activate"))
        .await
        .expect(204);
    assert_eq!(okta.get(&path).await.ok()["status"], json!("ENABLED"));

    // Refusals change nothing.
    let causes = okta
        .post(
            &path,
            json!({ "baseUrl": "scim.example.com", "profile": { "authScheme": "TOKEN", "token": "t" } }),
        )
        .await
        .okta_error(400, "E0000001", "Api validation failed: baseUrl");
    assert_eq!(causes, ["baseUrl: 'scim.example.com' is not a valid URL"]);
    okta.post(
        &path,
        json!({ "baseUrl": "https://x.example.com", "profile": { "authScheme": "BASIC" } }),
    )
    .await
    .okta_error(400, "E0000001", "Api validation failed: profile.authScheme");
    assert_eq!(okta.get(&path).await.ok()["baseUrl"], json!(target.base()));
    // An OIDC app has no provisioning connection.
    let oidc = okta.create_kiro_app("Kiro-OIDC").await;
    okta.get(&format!("/api/v1/apps/{oidc}/connections/default"))
        .await
        .okta_error(
            404,
            "E0000007",
            &format!("Not found: Resource not found: {oidc} (ProvisioningConnection)"),
        );
}

#[tokio::test]
async fn okta_prov_2_to_app_features_are_off_by_default_and_toggled_through_the_features_api() {
    let okta = start().await;
    let app = create_idc_app(&okta).await;
    let base = okta.base();
    let expected = |status: &str, create: &str, update: &str, deactivate: &str| {
        json!({
            "name": "USER_PROVISIONING",
            "status": status,
            "description": "User provisioning settings from Okta to a downstream app",
            "capabilities": {
                "create": { "lifecycleCreate": { "status": create } },
                "update": {
                    "profile": { "status": update },
                    "lifecycleDeactivate": { "status": deactivate },
                    "password": { "status": "DISABLED", "seed": "RANDOM", "change": "KEEP_EXISTING" },
                },
            },
            "_links": { "self": {
                "href": format!("{base}/api/v1/apps/{app}/features/USER_PROVISIONING"),
                "hints": { "allow": ["GET", "PUT"] },
            } },
        })
    };
    assert_eq!(
        okta.get(&format!("/api/v1/apps/{app}/features")).await.ok(),
        &json!([expected("DISABLED", "DISABLED", "DISABLED", "DISABLED")])
    );
    let target = ScimTarget::start().await;
    connect(&okta, &app, &target.base(), TARGET_TOKEN).await;
    // Create Users and Update User Attributes, as Kiro's guide says.
    let reply = okta
        .put(
            &format!("/api/v1/apps/{app}/features/USER_PROVISIONING"),
            json!({
                "create": { "lifecycleCreate": { "status": "ENABLED" } },
                "update": { "profile": { "status": "ENABLED" } },
            }),
        )
        .await;
    assert_eq!(
        reply.ok(),
        &expected("ENABLED", "ENABLED", "ENABLED", "DISABLED")
    );
    features(&okta, &app, true, true, true).await;
    assert_eq!(
        okta.get(&format!("/api/v1/apps/{app}/features/USER_PROVISIONING"))
            .await
            .ok(),
        &expected("ENABLED", "ENABLED", "ENABLED", "ENABLED")
    );
    let app_json = okta.get(&format!("/api/v1/apps/{app}")).await;
    assert_eq!(
        app_json.ok()["features"],
        json!([
            "PUSH_NEW_USERS",
            "PUSH_PROFILE_UPDATES",
            "PUSH_USER_DEACTIVATION",
            "REACTIVATE_USERS",
            "GROUP_PUSH"
        ])
    );
    okta.put(
        &format!("/api/v1/apps/{app}/features/USER_PROVISIONING"),
        json!({ "create": { "lifecycleCreate": { "status": "ON" } } }),
    )
    .await
    .okta_error(
        400,
        "E0000001",
        "Api validation failed: create.lifecycleCreate",
    );
    okta.get(&format!("/api/v1/apps/{app}/features/INBOUND_PROVISIONING"))
        .await
        .okta_error(
            404,
            "E0000007",
            "Not found: Resource not found: INBOUND_PROVISIONING (AppFeature)",
        );
    settle(&okta).await;
}

#[tokio::test]
async fn okta_prov_6_mappings_include_department_and_employee_number_and_can_be_changed() {
    let okta = start().await;
    let app = create_idc_app(&okta).await;
    let base = okta.base();
    let id = mapping_id(&okta, &app).await;
    assert!(id.starts_with("prm"), "{id}");

    let listed = okta.get("/api/v1/mappings").await;
    let listed = listed.ok().as_array().expect("a list").clone();
    assert_eq!(listed.len(), 1);
    let type_id = listed[0]["source"]["id"]
        .as_str()
        .expect("source id")
        .to_string();
    assert!(type_id.starts_with("oty"), "{type_id}");
    assert_eq!(listed[0]["source"]["type"], json!("user"));
    assert_eq!(listed[0]["target"]["id"], json!(app));
    assert_eq!(listed[0]["target"]["name"], json!("amazon_aws_sso"));
    assert_eq!(listed[0]["target"]["type"], json!("appuser"));
    assert_eq!(listed[0].get("properties"), None);
    assert_eq!(
        listed[0]["_links"]["self"]["href"],
        json!(format!("{base}/api/v1/mappings/{id}"))
    );
    assert_eq!(
        okta.get(&format!(
            "/api/v1/mappings?sourceId={type_id}&targetId={app}"
        ))
        .await
        .ok()
        .as_array()
        .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        okta.get("/api/v1/mappings?targetId=0oanothing").await.ok(),
        &json!([])
    );

    let mapping = okta.get(&format!("/api/v1/mappings/{id}")).await;
    let properties = mapping.ok()["properties"].clone();
    assert_eq!(
        properties["department"],
        json!({ "expression": "user.department", "pushStatus": "PUSH" })
    );
    assert_eq!(
        properties["employeeNumber"],
        json!({ "expression": "user.employeeNumber", "pushStatus": "PUSH" })
    );
    assert_eq!(
        properties["givenName"],
        json!({ "expression": "user.firstName", "pushStatus": "PUSH" })
    );
    assert_eq!(
        properties["displayName"]["expression"],
        json!("user.firstName + \" \" + user.lastName")
    );

    // Remove department and employeeNumber; add one back with another source.
    let updated = okta
        .post(
            &format!("/api/v1/mappings/{id}"),
            json!({ "properties": { "department": null, "employeeNumber": null } }),
        )
        .await;
    let names: Vec<String> = updated.ok()["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .cloned()
        .collect();
    assert!(
        !names
            .iter()
            .any(|n| n == "department" || n == "employeeNumber"),
        "{names:?}"
    );
    let updated = okta
        .post(
            &format!("/api/v1/mappings/{id}"),
            json!({ "properties": { "department": { "expression": "user.division", "pushStatus": "DONT_PUSH" } } }),
        )
        .await;
    assert_eq!(
        updated.ok()["properties"]["department"],
        json!({ "expression": "user.division", "pushStatus": "DONT_PUSH" })
    );
    // Properties keep the app-user profile's order.
    let names: Vec<String> = updated.ok()["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .cloned()
        .collect();
    assert_eq!(names.last().map(String::as_str), Some("department"));
    assert_eq!(names.first().map(String::as_str), Some("givenName"));

    // Refusals change nothing.
    let before = okta
        .get(&format!("/api/v1/mappings/{id}"))
        .await
        .ok()
        .clone();
    let causes = okta
        .post(
            &format!("/api/v1/mappings/{id}"),
            json!({ "properties": {
                "title": { "expression": "user.title +" },
                "shoeSize": { "expression": "user.shoeSize" },
                "department": null,
            } }),
        )
        .await
        .okta_error(400, "E0000001", "Api validation failed: properties");
    assert_eq!(
        causes,
        [
            "properties.title.expression: 'user.title +' is not a supported expression (user.attribute and \"text\" joined by +)",
            "properties.shoeSize: 'shoeSize' is not an attribute of the app user profile",
        ]
    );
    assert_eq!(
        okta.get(&format!("/api/v1/mappings/{id}")).await.ok(),
        &before
    );
    okta.get("/api/v1/mappings/prmnothing").await.okta_error(
        404,
        "E0000007",
        "Not found: Resource not found: prmnothing (ProfileMapping)",
    );
}

/// The To App and mappings bodies Okta reads field by field: what the typed bodies refuse
/// still gets Okta's field-level errors, and parts that are no objects are ignored as before.
#[tokio::test]
async fn okta_prov_2_and_6_bodies_are_read_field_by_field() {
    let okta = start().await;
    let app = create_idc_app(&okta).await;
    let feature = format!("/api/v1/apps/{app}/features/USER_PROVISIONING");
    let causes = okta
        .put(&feature, json!([{ "create": {} }]))
        .await
        .okta_error(400, "E0000003", "The request body was not well-formed.");
    assert_eq!(causes, ["the capabilities object"]);
    let causes = okta
        .put(
            &feature,
            json!({ "update": { "profile": { "status": null } } }),
        )
        .await
        .okta_error(400, "E0000001", "Api validation failed: update.profile");
    assert_eq!(
        causes,
        ["update.profile.status: must be ENABLED or DISABLED"]
    );
    // A part that is no object is ignored; the others apply.
    let reply = okta
        .put(
            &feature,
            json!({
                "create": [{ "lifecycleCreate": { "status": "ENABLED" } }],
                "update": { "profile": { "status": "ENABLED" }, "lifecycleDeactivate": "ENABLED" },
            }),
        )
        .await;
    let capabilities = &reply.ok()["capabilities"];
    assert_eq!(
        (
            &capabilities["create"]["lifecycleCreate"]["status"],
            &capabilities["update"]["profile"]["status"],
            &capabilities["update"]["lifecycleDeactivate"]["status"],
        ),
        (&json!("DISABLED"), &json!("ENABLED"), &json!("DISABLED"))
    );

    let mapping = format!("/api/v1/mappings/{}", mapping_id(&okta, &app).await);
    let refused: [(Value, &str); 5] = [
        (json!({}), "properties: The field cannot be left blank"),
        (
            json!([{ "properties": { "department": null } }]),
            "properties: The field cannot be left blank",
        ),
        (
            json!({ "properties": { "title": { "pushStatus": "PUSH" } } }),
            "properties.title.expression: The field cannot be left blank",
        ),
        (
            json!({ "properties": { "title": { "expression": "user.title", "pushStatus": "push" } } }),
            "properties.title.pushStatus: must be PUSH or DONT_PUSH",
        ),
        (
            json!({ "properties": { "department": null, "title": ["user.title"] } }),
            "properties.title: must be an object or null",
        ),
    ];
    let before = okta.get(&mapping).await.ok().clone();
    for (body, cause) in refused {
        let causes = okta.post(&mapping, body.clone()).await.okta_error(
            400,
            "E0000001",
            "Api validation failed: properties",
        );
        assert_eq!(causes, [cause], "{body}");
    }
    assert_eq!(okta.get(&mapping).await.ok(), &before);
    let updated = okta
        .post(
            &mapping,
            json!({ "properties": {
                "department": null,
                "title": { "expression": "user.title", "pushStatus": null },
            } }),
        )
        .await;
    let properties = &updated.ok()["properties"];
    assert_eq!(properties.get("department"), None);
    assert_eq!(properties["title"]["expression"], json!("user.title"));
}
