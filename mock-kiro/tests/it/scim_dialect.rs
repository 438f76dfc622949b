//! IAM Identity Center's SCIM dialect, operation by operation as AWS's "IAM Identity Center
//! SCIM implementation" developer guide gives it, over HTTP: the enterprise extension
//! (CreateUser, PutUser, PatchUser, GetUser), PatchUser's refusals, CreateUser's constraints,
//! the RFC 7644 operations IdC does not implement, and the SCIM access token limit. Every
//! refusal is a SCIM Error with exact status and detail, and changes nothing.

use crate::common;

use reqwest::Method;
use serde_json::{Value, json};

use common::{Scim, Sim, TestIssuer, okta_user, patch_op};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const UNPARSABLE: &str = "Request is unparsable, syntactically incorrect, or violates schema";

async fn setup() -> (Sim, TestIssuer, Value, Scim) {
    let sim = Sim::start().await;
    let issuer = TestIssuer::start().await;
    let profile = sim.create_profile("Acme", &issuer.issuer, "0oakiro").await;
    let scim = sim.scim_for(&profile).await;
    (sim, issuer, profile, scim)
}

async fn user(scim: &Scim, id: &str) -> Value {
    scim.get(&format!("/Users/{id}")).await.expect(200).clone()
}

async fn user_count(scim: &Scim) -> u64 {
    scim.get("/Users").await.expect(200)["totalResults"]
        .as_u64()
        .expect("totalResults")
}

fn ext(attr: &str) -> String {
    format!("{ENTERPRISE}:{attr}")
}

// covers: KIRO-SCIM-7
#[tokio::test]
async fn kiro_scim_7_the_enterprise_extension_is_created_read_replaced_and_patched() {
    let (_sim, _issuer, _profile, scim) = setup().await;
    let boss = scim.create_user("grace@example.com", "00ugrace").await;

    // CreateUser with every attribute of the extension IdC supports.
    let mut body = okta_user("ada@example.com", "00uada");
    body["schemas"] = json!([CORE, ENTERPRISE]);
    let all = json!({
        "employeeNumber": "1815",
        "costCenter": "CC-1",
        "organization": "Analytical Engines",
        "division": "Research",
        "department": "Mathematics",
        "manager": { "value": boss },
    });
    body[ENTERPRISE] = all.clone();
    let created = scim.post("/Users", &body).await.expect(201).clone();
    let id = created["id"].as_str().expect("id").to_string();
    assert_eq!(created["schemas"], json!([CORE, ENTERPRISE]));
    assert_eq!(created[ENTERPRISE], all);
    assert_eq!(user(&scim, &id).await, created);

    // PatchUser: a path naming one attribute of the extension (Okta's department mapping).
    let reply = scim
        .patch(
            &format!("/Users/{id}"),
            &patch_op(json!([{ "op": "replace", "path": ext("department"), "value": "Engines" }])),
        )
        .await;
    assert_eq!(
        reply.expect(200)[ENTERPRISE]["department"],
        json!("Engines")
    );

    // The bare extension URN as the path, with an object value: its attributes are merged.
    let reply = scim
        .patch(
            &format!("/Users/{id}"),
            &patch_op(json!([{
                "op": "add",
                "path": ENTERPRISE,
                "value": { "division": "Labs", "costCenter": "CC-9" },
            }])),
        )
        .await;
    let mut expected = all.clone();
    expected["department"] = json!("Engines");
    expected["division"] = json!("Labs");
    expected["costCenter"] = json!("CC-9");
    assert_eq!(reply.expect(200)[ENTERPRISE], expected);

    // A `schemas` member inside the extension's object (as scim2-models sends it) is ignored.
    let reply = scim
        .patch(
            &format!("/Users/{id}"),
            &patch_op(json!([{
                "op": "replace",
                "path": ENTERPRISE,
                "value": { "schemas": [ENTERPRISE], "division": "Looms" },
            }])),
        )
        .await;
    expected["division"] = json!("Looms");
    assert_eq!(reply.expect(200)[ENTERPRISE], expected);

    // Without a path: the extension as a key, and `URN:attribute` keys.
    let reply = scim
        .patch(
            &format!("/Users/{id}"),
            &patch_op(json!([{
                "op": "replace",
                "value": {
                    ENTERPRISE: { "employeeNumber": "42" },
                    ext("organization"): "Difference Engines",
                },
            }])),
        )
        .await;
    expected["employeeNumber"] = json!("42");
    expected["organization"] = json!("Difference Engines");
    assert_eq!(reply.expect(200)[ENTERPRISE], expected);

    // URNs and attribute names compare case-insensitively (RFC 7644 §3.10); sub-attributes
    // of manager are reached through the path.
    let reply = scim
        .patch(
            &format!("/Users/{id}"),
            &patch_op(json!([
                { "op": "replace", "path": "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:Department", "value": "Looms" },
                { "op": "replace", "path": ext("manager.value"), "value": id },
            ])),
        )
        .await;
    expected["department"] = json!("Looms");
    expected["manager"] = json!({ "value": id });
    assert_eq!(reply.expect(200)[ENTERPRISE], expected);

    // remove: one attribute, then the whole extension (the user is then core-only).
    let reply = scim
        .patch(
            &format!("/Users/{id}"),
            &patch_op(json!([{ "op": "remove", "path": ext("manager") }])),
        )
        .await;
    let body = reply.expect(200).clone();
    assert_eq!(body[ENTERPRISE].get("manager"), None);
    assert_eq!(body["schemas"], json!([CORE, ENTERPRISE]));
    let reply = scim
        .patch(
            &format!("/Users/{id}"),
            &patch_op(json!([{ "op": "remove", "path": ENTERPRISE }])),
        )
        .await;
    let body = reply.expect(200).clone();
    assert_eq!(body.get(ENTERPRISE), None);
    assert_eq!(body["schemas"], json!([CORE]));
    assert_eq!(user(&scim, &id).await, body);

    // Removing the last attribute leaves no empty extension behind.
    scim.patch(
        &format!("/Users/{id}"),
        &patch_op(json!([{ "op": "add", "path": ext("costCenter"), "value": "CC-2" }])),
    )
    .await
    .expect(200);
    let reply = scim
        .patch(
            &format!("/Users/{id}"),
            &patch_op(json!([{ "op": "remove", "path": ext("costCenter") }])),
        )
        .await;
    assert_eq!(reply.expect(200)["schemas"], json!([CORE]));

    // PutUser replaces the extension with the body's.
    let mut replacement = okta_user("ada@example.com", "00uada");
    replacement[ENTERPRISE] = json!({ "department": "Poetry" });
    let reply = scim.put(&format!("/Users/{id}"), &replacement).await;
    assert_eq!(
        reply.expect(200)[ENTERPRISE],
        json!({ "department": "Poetry" })
    );
    let reply = scim
        .put(
            &format!("/Users/{id}"),
            &okta_user("ada@example.com", "00uada"),
        )
        .await;
    assert_eq!(reply.expect(200).get(ENTERPRISE), None);
}

// covers: KIRO-SCIM-7
#[tokio::test]
async fn kiro_scim_7_the_extension_refuses_what_idc_does_not_support_and_changes_nothing() {
    let (_sim, _issuer, _profile, scim) = setup().await;
    // CreateUser/PatchUser: "displayName subattribute for manager" is not supported.
    let mut body = okta_user("ada@example.com", "00uada");
    body[ENTERPRISE] = json!({ "manager": { "value": "x", "displayName": "Grace" } });
    scim.post("/Users", &body).await.assert_scim_error(
        400,
        Some("invalidValue"),
        &format!("{UNPARSABLE}: unknown field `displayName`, expected `value`"),
    );
    assert_eq!(user_count(&scim).await, 0);

    let id = scim.create_user("ada@example.com", "00uada").await;
    let before = user(&scim, &id).await;
    for (ops, detail) in [
        (
            json!([{ "op": "add", "path": ENTERPRISE, "value": "Mathematics" }]),
            format!("{ENTERPRISE} must be an object."),
        ),
        (
            json!([{ "op": "add", "path": ext("manager.displayName"), "value": "Grace" }]),
            format!("{UNPARSABLE}: unknown field `displayName`, expected `value`"),
        ),
        (
            json!([{ "op": "add", "path": ext("department"), "value": "R&D; Labs" }]),
            format!("{UNPARSABLE}: department contains characters that are not allowed."),
        ),
        (
            json!([{ "op": "add", "path": ext("shoeSize"), "value": "9" }]),
            format!(
                "{UNPARSABLE}: unknown field `shoeSize`, expected one of `employeeNumber`, `costCenter`, `organization`, `division`, `department`, `manager`"
            ),
        ),
    ] {
        scim.patch(&format!("/Users/{id}"), &patch_op(ops))
            .await
            .assert_scim_error(400, Some("invalidValue"), &detail);
    }
    assert_eq!(user(&scim, &id).await, before);
}

// covers: KIRO-SCIM-8
#[tokio::test]
async fn kiro_scim_8_patch_user_refuses_what_the_guide_says_it_does_not_support() {
    let (_sim, _issuer, _profile, scim) = setup().await;
    let id = scim.create_user("ada@example.com", "00uada").await;
    let before = user(&scim, &id).await;
    for (ops, detail) in [
        // "The remove patch operation is not supported for userName or active attributes."
        (
            json!([{ "op": "remove", "path": "userName" }]),
            "The remove operation is not supported for userName.".to_string(),
        ),
        (
            json!([{ "op": "Remove", "path": "ACTIVE" }]),
            "The remove operation is not supported for active.".to_string(),
        ),
        (
            json!([{ "op": "remove", "path": format!("{CORE}:active") }]),
            "The remove operation is not supported for active.".to_string(),
        ),
        // "Multiple PATCH operations on userName or active attribute" are not supported.
        (
            json!([
                { "op": "replace", "path": "active", "value": false },
                { "op": "replace", "path": "active", "value": true },
            ]),
            "Multiple operations on active in one request are not supported.".to_string(),
        ),
        (
            json!([
                { "op": "replace", "value": { "userName": "ada.l@example.com" } },
                { "op": "add", "path": "userName", "value": "ada.b@example.com" },
            ]),
            "Multiple operations on userName in one request are not supported.".to_string(),
        ),
        // "The path is required for a remove operation."
        (
            json!([{ "op": "remove" }]),
            "The path is required for a remove operation.".to_string(),
        ),
        // "A value is required for add and replace."
        (
            json!([{ "op": "add", "path": "title" }]),
            "add title needs a value.".to_string(),
        ),
        // "The supported operations are add, replace, and remove."
        (
            json!([{ "op": "move", "path": "title", "value": "x" }]),
            "The operation \"move\" is not supported: use add, replace or remove.".to_string(),
        ),
        // "ims, photos, x509Certificates, entitlements, and password field" are not supported.
        (
            json!([{ "op": "replace", "path": "password", "value": "hunter2" }]),
            format!("{UNPARSABLE}: the password attribute is not supported."),
        ),
        (
            json!([{ "op": "add", "value": { "x509Certificates": [{ "value": "MIIB" }] } }]),
            format!("{UNPARSABLE}: the x509Certificates attribute is not supported."),
        ),
        // "display subattribute for emails, addresses, and phoneNumbers" is not supported.
        (
            json!([{ "op": "add", "path": "emails[type eq \"work\"].display", "value": "Ada" }]),
            format!(
                "{UNPARSABLE}: unknown field `display`, expected one of `value`, `type`, `primary`"
            ),
        ),
    ] {
        scim.patch(&format!("/Users/{id}"), &patch_op(ops.clone()))
            .await
            .assert_scim_error(400, Some("invalidValue"), &detail);
        assert_eq!(user(&scim, &id).await, before, "{ops}");
    }

    // One operation on each is fine: Okta's deactivation and a rename in one request.
    let reply = scim
        .patch(
            &format!("/Users/{id}"),
            &patch_op(json!([
                { "op": "replace", "value": { "active": false } },
                { "op": "replace", "path": "userName", "value": "ada.l@example.com" },
            ])),
        )
        .await;
    let body = reply.expect(200);
    assert_eq!(body["active"], json!(false));
    assert_eq!(body["userName"], json!("ada.l@example.com"));
}

// covers: KIRO-SCIM-10
#[tokio::test]
async fn kiro_scim_10_create_user_refuses_unsupported_attributes_and_a_non_primary_email() {
    let (_sim, _issuer, _profile, scim) = setup().await;
    for (attr, value) in [
        ("password", json!("hunter2")),
        ("ims", json!([{ "value": "ada", "type": "aim" }])),
        (
            "photos",
            json!([{ "value": "https://example.com/ada.png" }]),
        ),
        ("x509Certificates", json!([{ "value": "MIIB" }])),
        ("entitlements", json!([{ "value": "admin" }])),
        ("groups", json!([{ "value": "g" }])),
    ] {
        let mut body = okta_user("ada@example.com", "00uada");
        body[attr] = value;
        scim.post("/Users", &body).await.assert_scim_error(
            400,
            Some("invalidValue"),
            &format!("{UNPARSABLE}: the {attr} attribute is not supported."),
        );
    }
    // "The emails attribute value must be marked as primary."
    for email in [
        json!({ "value": "ada@example.com", "type": "work" }),
        json!({ "value": "ada@example.com", "type": "work", "primary": false }),
    ] {
        let mut body = okta_user("ada@example.com", "00uada");
        body["emails"] = json!([email]);
        scim.post("/Users", &body).await.assert_scim_error(
            400,
            Some("invalidValue"),
            "The emails value must be marked as primary.",
        );
    }
    assert_eq!(user_count(&scim).await, 0);

    // PutUser holds the email to the same rule; PatchUser's page does not, and neither does
    // mock-kiro.
    let id = scim.create_user("ada@example.com", "00uada").await;
    let whole = user(&scim, &id).await;
    let mut body = okta_user("ada@example.com", "00uada");
    body["emails"] = json!([{ "value": "ada@example.com", "type": "work" }]);
    scim.put(&format!("/Users/{id}"), &body)
        .await
        .assert_scim_error(
            400,
            Some("invalidValue"),
            "The emails value must be marked as primary.",
        );
    assert_eq!(user(&scim, &id).await, whole);

    // ListUsers: "startIndex, attributes, and excludedAttributes" are not supported, and so
    // ignored: every user comes back whole.
    let list = scim
        .get("/Users?attributes=userName&excludedAttributes=emails&startIndex=5")
        .await
        .expect(200)
        .clone();
    assert_eq!(list["Resources"], json!([whole]));
}

// covers: KIRO-SCIM-10
#[tokio::test]
async fn kiro_scim_10_a_group_membership_filter_naming_no_user_is_404() {
    let (_sim, _issuer, _profile, scim) = setup().await;
    let user = scim.create_user("ada@example.com", "00uada").await;
    let group = scim.create_group("Engineering").await;
    let query = |member: &str| {
        let expr = format!(r#"id eq "{group}" and members eq "{member}""#);
        let encoded = sim_core::url::encode(&expr);
        format!("/Groups?filter={encoded}")
    };
    // A user of the directory who is not a member: an empty list.
    let listed = scim.get(&query(&user)).await.expect(200).clone();
    assert_eq!(listed["totalResults"], json!(0));
    // ListGroups: ResourceNotFoundException "when filter querying with a nonexisting member".
    scim.get(&query("9067729b3d-no-such-user"))
        .await
        .assert_scim_error(404, None, "User 9067729b3d-no-such-user not found.");
}

// covers: KIRO-SCIM-9
#[tokio::test]
async fn kiro_scim_9_operations_idc_does_not_implement_are_validation_exceptions() {
    let (_sim, _issuer, _profile, scim) = setup().await;
    let user = scim.create_user("ada@example.com", "00uada").await;
    let group = scim.create_group("Engineering").await;
    let tenant_path = format!("/{}", scim.base.splitn(4, '/').nth(3).expect("path"));
    let unsupported = [
        // No /Bulk, /Me or /.search ("Endpoint limitations").
        (Method::POST, "/Bulk".to_string()),
        (Method::GET, "/Me".to_string()),
        (Method::PATCH, "/Me".to_string()),
        (Method::POST, "/.search".to_string()),
        (Method::POST, "/Users/.search".to_string()),
        (Method::POST, "/Groups/.search".to_string()),
        // Methods of no supported operation: no PutGroup, no POST to a resource, no
        // collection-wide PATCH, PUT or DELETE.
        (Method::PUT, format!("/Groups/{group}")),
        (Method::POST, format!("/Users/{user}")),
        (Method::PATCH, "/Users".to_string()),
        (Method::DELETE, "/Groups".to_string()),
        (Method::POST, "/ServiceProviderConfig".to_string()),
    ];
    for (method, path) in unsupported {
        scim.call(method.clone(), &path, Some(&json!({})))
            .await
            .assert_scim_error(
                400,
                None,
                &format!("{UNPARSABLE}. This error also occurs if the operation is unsupported: {method} {tenant_path}{path}."),
            );
    }
    // A path that names nothing is a 404.
    scim.get("/Widgets").await.assert_scim_error(
        404,
        None,
        &format!("The SCIM endpoint {tenant_path}/Widgets is not supported."),
    );
    assert_eq!(user_count(&scim).await, 1);
}

// covers: KIRO-SCIM-11
#[tokio::test]
async fn kiro_scim_11_a_profile_holds_at_most_two_scim_tokens_expired_ones_count_until_revoked() {
    let (sim, _issuer, profile, scim) = setup().await;
    let profile_id = profile["profileId"].as_str().expect("profileId");
    let path = format!("/console/profiles/{profile_id}/scim-tokens");
    let limit = "A directory supports up to 2 access tokens at a time. Delete an expired or unused token first.";

    // scim_for made the first; a second is fine, a third is refused.
    let (second_id, second) = sim.scim_token(profile_id).await;
    sim.console(Method::POST, &path, None)
        .await
        .assert_aws_error(400, "ValidationException", limit);
    let listed = sim.console(Method::GET, &path, None).await;
    assert_eq!(
        listed.expect(200)["tokens"].as_array().map(Vec::len),
        Some(2)
    );

    // Revoking one frees a place.
    sim.console(Method::DELETE, &format!("{path}/{second_id}"), None)
        .await
        .expect(200);
    let (_third_id, third) = sim.scim_token(profile_id).await;
    assert_ne!(third, second);

    // A year later both live tokens have expired (each lasts a year) and are refused, yet
    // they still hold both places until revoked.
    sim.advance("366days").await;
    scim.call_as(Some(&third), Method::GET, "/Users", None)
        .await
        .assert_scim_error(
            401,
            None,
            "Authorization header is invalid or missing. This error also occurs if the tenant ID is incorrect.",
        );
    sim.console(Method::POST, &path, None)
        .await
        .assert_aws_error(400, "ValidationException", limit);
}
