//! SCIM push as Okta does it, against a recording SCIM server: the exact requests (method,
//! path, headers, body) for users and groups, the To App features, attribute mappings and
//! Okta's group-push quirk. Pushes are awaited with `/_sim/okta/provisioning/settle`; time
//! moves only with `/_sim/clock/advance`.
//!
//! covers: [OKTA-PROV-2, OKTA-PROV-3, OKTA-PROV-4, OKTA-PROV-5, OKTA-PROV-6, OKTA-PROV-7]

use crate::common;
use crate::provisioning_support;

use serde_json::{Value, json};

use common::{Okta, start};
use provisioning_support::{
    Fault, ScimTarget, TARGET_TOKEN, app_user, connect, create_idc_app, create_user_with_profile,
    events, features, patch, push_group, push_mapping, ready_app, settle, unmap,
};

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

async fn world() -> (Okta, ScimTarget, String) {
    let okta = start().await;
    let target = ScimTarget::start().await;
    let app = ready_app(&okta, &target.base(), TARGET_TOKEN).await;
    (okta, target, app)
}

fn ada_body(okta_id: &str) -> Value {
    json!({
        "schemas": [USER_SCHEMA],
        "userName": "ada@example.com",
        "externalId": okta_id,
        "name": { "givenName": "Ada", "familyName": "Lovelace" },
        "displayName": "Ada Lovelace",
        "emails": [{ "value": "ada@example.com", "type": "work", "primary": true }],
        "active": true,
    })
}

#[tokio::test]
async fn okta_prov_3_an_assigned_user_is_looked_up_then_created_with_okta_s_request() {
    let (okta, target, app) = world().await;
    let ada = create_user_with_profile(&okta, "ada@example.com", "Ada", "Lovelace").await;
    assert!(target.requests().is_empty(), "{:?}", target.lines());

    okta.assign_user(&app, &ada).await;
    let settled = settle(&okta).await;
    assert_eq!(settled["pending"], json!(0), "{settled}");

    let requests = target.requests();
    assert_eq!(
        target.lines(),
        [
            r#"GET /Users?filter=userName eq "ada@example.com""#,
            "POST /Users"
        ]
    );
    assert_eq!(
        requests[0].raw_query.as_deref(),
        Some("filter=userName%20eq%20%22ada%40example.com%22")
    );
    for r in &requests {
        assert_eq!(r.headers["authorization"], format!("Bearer {TARGET_TOKEN}"));
        assert_eq!(r.headers["content-type"], "application/scim+json");
        assert_eq!(r.headers["accept"], "application/scim+json");
        assert_eq!(r.headers["user-agent"], "Okta SCIM Client 1.0.0");
    }
    assert_eq!(requests[0].body, Value::Null);
    assert_eq!(requests[1].body, ada_body(&ada));

    // The app user shows the link; the System Log has the push.
    let au = app_user(&okta, &app, &ada).await;
    assert_eq!(au["externalId"], json!("u-1"));
    assert_eq!(au["syncState"], json!("SYNCHRONIZED"));
    assert_eq!(au["status"], json!("PROVISIONED"));
    assert_eq!(au["lastSync"], json!(common::T0));
    assert_eq!(au["profile"]["displayName"], json!("Ada Lovelace"));
    for event in [
        "application.provision.user.verify_exists",
        "application.provision.user.push",
        "app.user_management.push_new_user_success",
    ] {
        let found = events(&okta, event).await;
        assert_eq!(found.len(), 1, "{event}");
        assert_eq!(found[0]["outcome"]["result"], json!("SUCCESS"));
        assert_eq!(found[0]["target"][0]["id"], json!(ada));
        assert_eq!(found[0]["target"][1]["id"], json!(app));
        assert_eq!(found[0]["actor"]["type"], json!("SystemPrincipal"));
    }
}

#[tokio::test]
async fn okta_prov_3_an_existing_match_is_linked_instead_of_created() {
    let okta = start().await;
    let target = ScimTarget::start().await;
    let existing = target.seed_user("ada@example.com");
    let app = create_idc_app(&okta).await;
    connect(&okta, &app, &target.base(), TARGET_TOKEN).await;
    features(&okta, &app, true, false, true).await;
    let ada = create_user_with_profile(&okta, "ada@example.com", "Ada", "Lovelace").await;

    okta.assign_user(&app, &ada).await;
    settle(&okta).await;

    assert_eq!(
        target.lines(),
        [r#"GET /Users?filter=userName eq "ada@example.com""#]
    );
    assert_eq!(target.users().len(), 1);
    let au = app_user(&okta, &app, &ada).await;
    assert_eq!(au["externalId"], json!(existing));
    assert_eq!(au["syncState"], json!("SYNCHRONIZED"));

    // With Update User Attributes on, the linked user gets Okta's attributes.
    features(&okta, &app, true, true, true).await;
    settle(&okta).await;
    let requests = target.requests();
    assert_eq!(requests.len(), 2, "{:?}", target.lines());
    assert_eq!(requests[1].line(), format!("PUT /Users/{existing}"));
    let mut expected = ada_body(&ada);
    expected
        .as_object_mut()
        .expect("object")
        .insert("id".into(), json!(existing));
    let mut sent = requests[1].body.clone();
    // `id` comes right after `schemas` in Okta's PUT; compare as objects.
    sent.as_object_mut().expect("object").sort_keys();
    expected.as_object_mut().expect("object").sort_keys();
    assert_eq!(sent, expected);
}

#[tokio::test]
async fn okta_prov_2_with_create_users_off_assigned_users_never_arrive() {
    // Troubleshooting row 2: "Did not enable provisioning to create users".
    let okta = start().await;
    let target = ScimTarget::start().await;
    let app = create_idc_app(&okta).await;
    connect(&okta, &app, &target.base(), TARGET_TOKEN).await;
    let features_now = okta
        .get(&format!("/api/v1/apps/{app}/features/USER_PROVISIONING"))
        .await;
    assert_eq!(
        features_now.ok()["capabilities"]["create"]["lifecycleCreate"]["status"],
        json!("DISABLED")
    );
    let ada = create_user_with_profile(&okta, "ada@example.com", "Ada", "Lovelace").await;
    okta.assign_user(&app, &ada).await;
    settle(&okta).await;
    okta.advance("24h").await;
    settle(&okta).await;
    assert!(target.requests().is_empty(), "{:?}", target.lines());
    assert_eq!(app_user(&okta, &app, &ada).await["externalId"], Value::Null);

    // The fix: enable Create Users; the assigned user arrives.
    features(&okta, &app, true, true, false).await;
    settle(&okta).await;
    assert_eq!(
        target.lines(),
        [
            r#"GET /Users?filter=userName eq "ada@example.com""#,
            "POST /Users"
        ]
    );
}

#[tokio::test]
async fn okta_prov_4_mapped_attribute_changes_are_pushed_and_unassigning_deactivates() {
    let (okta, target, app) = world().await;
    let ada = create_user_with_profile(&okta, "ada@example.com", "Ada", "Lovelace").await;
    okta.assign_user(&app, &ada).await;
    settle(&okta).await;
    target.clear();

    // A mapped attribute: one PUT with the whole user.
    okta.post(
        &format!("/api/v1/users/{ada}"),
        json!({ "profile": { "lastName": "Byron", "title": "Countess" } }),
    )
    .await
    .ok();
    settle(&okta).await;
    let requests = target.requests();
    assert_eq!(target.lines(), ["PUT /Users/u-1"]);
    assert_eq!(
        requests[0].body,
        json!({
            "schemas": [USER_SCHEMA],
            "id": "u-1",
            "userName": "ada@example.com",
            "externalId": ada,
            "name": { "givenName": "Ada", "familyName": "Byron" },
            "displayName": "Ada Byron",
            "title": "Countess",
            "emails": [{ "value": "ada@example.com", "type": "work", "primary": true }],
            "active": true,
        })
    );

    // An attribute no mapping reads: nothing to push.
    target.clear();
    okta.post(
        &format!("/api/v1/users/{ada}"),
        json!({ "profile": { "mobilePhone": "+1 555 0100" } }),
    )
    .await
    .ok();
    settle(&okta).await;
    assert!(target.requests().is_empty(), "{:?}", target.lines());

    // Unassigned: active false (never a DELETE); reassigned: active true.
    okta.delete(&format!("/api/v1/apps/{app}/users/{ada}"))
        .await
        .expect(204);
    settle(&okta).await;
    okta.assign_user(&app, &ada).await;
    settle(&okta).await;
    // Deactivated in Okta: active false again.
    okta.post_empty(&format!("/api/v1/users/{ada}/lifecycle/deactivate"))
        .await
        .ok();
    settle(&okta).await;
    let patch_active = |active: bool| json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "value": { "active": active } }] });
    let requests = target.requests();
    assert_eq!(
        target.lines(),
        ["PATCH /Users/u-1", "PATCH /Users/u-1", "PATCH /Users/u-1"]
    );
    assert_eq!(requests[0].body, patch_active(false));
    assert_eq!(requests[1].body, patch_active(true));
    assert_eq!(requests[2].body, patch_active(false));
    assert_eq!(target.users().len(), 1);
    for event in [
        "application.provision.user.push_profile",
        "application.provision.user.deactivate",
        "application.provision.user.reactivate",
    ] {
        assert!(!events(&okta, event).await.is_empty(), "{event}");
    }

    // With Update User Attributes off, changes stay in Okta.
    let bob = create_user_with_profile(&okta, "bob@example.com", "Bob", "Builder").await;
    features(&okta, &app, true, false, true).await;
    okta.assign_user(&app, &bob).await;
    settle(&okta).await;
    target.clear();
    okta.post(
        &format!("/api/v1/users/{bob}"),
        json!({ "profile": { "firstName": "Robert" } }),
    )
    .await
    .ok();
    settle(&okta).await;
    assert!(target.requests().is_empty(), "{:?}", target.lines());
}

#[tokio::test]
async fn okta_prov_4_enterprise_attributes_are_pushed_while_mapped() {
    let okta = start().await;
    let target = ScimTarget::start().await;
    let app = create_idc_app(&okta).await;
    connect(&okta, &app, &target.base(), TARGET_TOKEN).await;
    features(&okta, &app, true, true, true).await;
    let reply = okta
        .post(
            "/api/v1/users?activate=true",
            json!({ "profile": {
                "firstName": "Grace", "lastName": "Hopper", "email": "grace@example.com",
                "login": "grace@example.com", "department": "Navy", "employeeNumber": "1906",
            } }),
        )
        .await;
    let grace = common::id_of(reply.ok());
    okta.assign_user(&app, &grace).await;
    settle(&okta).await;
    let post = target
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .expect("a POST");
    assert_eq!(post.body["schemas"], json!([USER_SCHEMA, ENTERPRISE]));
    assert_eq!(
        post.body[ENTERPRISE],
        json!({ "employeeNumber": "1906", "department": "Navy" })
    );
    // Unmapped, they are no longer sent (the next PUT drops them).
    target.clear();
    unmap(&okta, &app, &["department", "employeeNumber"]).await;
    settle(&okta).await;
    let requests = target.requests();
    assert_eq!(target.lines(), ["PUT /Users/u-1"]);
    assert_eq!(requests[0].body["schemas"], json!([USER_SCHEMA]));
    assert_eq!(requests[0].body.get(ENTERPRISE), None);
}

async fn group_with_members(okta: &Okta, name: &str, logins: &[String]) -> (String, Vec<String>) {
    let group = okta.create_group(name).await;
    let mut ids = Vec::new();
    for login in logins {
        let id = okta
            .post(
                "/api/v1/users?activate=true",
                json!({ "profile": { "firstName": "U", "lastName": "Ser", "email": login, "login": login } }),
            )
            .await
            .ok()["id"]
            .as_str()
            .expect("id")
            .to_string();
        okta.add_member(&group, &id).await;
        ids.push(id);
    }
    (group, ids)
}

#[tokio::test]
async fn okta_prov_5_push_groups_creates_the_group_then_patches_members_in_batches_of_100() {
    let (okta, target, app) = world().await;
    // As AWS advises, one group assigns users to the app and another is pushed.
    let logins: Vec<String> = (0..150).map(|i| format!("dev{i:03}@example.com")).collect();
    let (everyone, users) = group_with_members(&okta, "Kiro users", &logins).await;
    let group = okta.create_group("Engineers").await;
    for u in &users {
        okta.add_member(&group, u).await;
    }
    okta.assign_group(&app, &everyone).await;
    settle(&okta).await;
    assert_eq!(target.users().len(), 150);
    target.clear();

    let mapping = push_group(&okta, &app, &group).await;
    assert_eq!(mapping["status"], json!("ACTIVE"));
    assert_eq!(mapping["sourceGroupId"], json!(group));
    assert_eq!(mapping["targetGroupId"], Value::Null);
    let mapping_id = common::id_of(&mapping);
    settle(&okta).await;

    let requests = target.requests();
    assert_eq!(
        target.lines(),
        ["POST /Groups", "PATCH /Groups/g-151", "PATCH /Groups/g-151"]
    );
    assert_eq!(
        requests[0].body,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Engineers",
            "members": [],
        })
    );
    let first_adds = requests[1].body["Operations"].clone();
    assert_eq!(requests[1].body["schemas"], json!([PATCH_OP]));
    assert_eq!(first_adds.as_array().expect("ops").len(), 1);
    assert_eq!(first_adds[0]["op"], json!("add"));
    assert_eq!(first_adds[0]["path"], json!("members"));
    assert_eq!(
        first_adds[0]["value"].as_array().expect("values").len(),
        100
    );
    // Members in Okta's order, by their downstream ids (the target numbers users as the
    // concurrent creates arrive, so ids are looked up, not assumed).
    let kiro_id = |okta_user: &str| {
        let okta = &okta;
        let app = &app;
        let okta_user = okta_user.to_string();
        async move {
            app_user(okta, app, &okta_user).await["externalId"]
                .as_str()
                .expect("externalId")
                .to_string()
        }
    };
    assert_eq!(
        first_adds[0]["value"][0],
        json!({ "value": kiro_id(&users[0]).await, "display": "dev000@example.com" })
    );
    assert_eq!(
        requests[2].body["Operations"][0]["value"]
            .as_array()
            .expect("values")
            .len(),
        50
    );
    let pushed = push_mapping(&okta, &app, &mapping_id).await;
    assert_eq!(pushed["status"], json!("ACTIVE"));
    assert_eq!(pushed["targetGroupId"], json!("g-151"));
    assert_eq!(pushed["errorSummary"], Value::Null);
    assert_eq!(pushed["lastPush"], json!(common::T0));
    assert_eq!(target.groups()[0].2.len(), 150);

    // A newcomer is assigned and pushed: created first, then added.
    let (_, newcomer) = group_with_members(&okta, "Tmp", &["new@example.com".to_string()]).await;
    okta.add_member(&everyone, &newcomer[0]).await;
    settle(&okta).await;
    target.clear();
    // While the push is paused, two members leave and the newcomer joins; resumed, one
    // PATCH carries it all: removes by filter, then the add.
    let mapping_path = format!("/api/v1/apps/{app}/group-push/mappings/{mapping_id}");
    patch(&okta, &mapping_path, json!({ "status": "INACTIVE" }))
        .await
        .ok();
    okta.delete(&format!("/api/v1/groups/{group}/users/{}", users[3]))
        .await
        .expect(204);
    okta.delete(&format!("/api/v1/groups/{group}/users/{}", users[7]))
        .await
        .expect(204);
    okta.add_member(&group, &newcomer[0]).await;
    settle(&okta).await;
    assert!(target.requests().is_empty(), "{:?}", target.lines());
    patch(&okta, &mapping_path, json!({ "status": "ACTIVE" }))
        .await
        .ok();
    settle(&okta).await;
    let requests = target.requests();
    assert_eq!(target.lines(), ["PATCH /Groups/g-151"]);
    let mut gone = [kiro_id(&users[3]).await, kiro_id(&users[7]).await];
    gone.sort();
    assert_eq!(
        requests[0].body,
        json!({
            "schemas": [PATCH_OP],
            "Operations": [
                { "op": "remove", "path": format!("members[value eq \"{}\"]", gone[0]) },
                { "op": "remove", "path": format!("members[value eq \"{}\"]", gone[1]) },
                { "op": "add", "path": "members", "value": [{ "value": kiro_id(&newcomer[0]).await, "display": "new@example.com" }] },
            ],
        })
    );
    let mut members = target.groups()[0].2.clone();
    members.sort();
    let mut expected: Vec<String> = target
        .users()
        .iter()
        .map(|u| u["id"].as_str().expect("id").to_string())
        .filter(|id| !gone.contains(id))
        .collect();
    expected.sort();
    assert_eq!(members, expected);

    // Rename: a PATCH of displayName.
    target.clear();
    okta.put(
        &format!("/api/v1/groups/{group}"),
        json!({ "profile": { "name": "Platform Engineers" } }),
    )
    .await
    .ok();
    settle(&okta).await;
    let requests = target.requests();
    assert_eq!(target.lines(), ["PATCH /Groups/g-151"]);
    assert_eq!(
        requests[0].body,
        json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "value": { "displayName": "Platform Engineers" } }] })
    );
    assert_eq!(target.groups()[0].1, "Platform Engineers");

    // Unlink: only an inactive mapping; with deleteTargetGroup the group goes downstream.
    let active_delete = okta
        .delete(&format!(
            "/api/v1/apps/{app}/group-push/mappings/{mapping_id}?deleteTargetGroup=true"
        ))
        .await;
    active_delete.okta_error(400, "E0000001", "Api validation failed: status");
    patch(
        &okta,
        &format!("/api/v1/apps/{app}/group-push/mappings/{mapping_id}"),
        json!({ "status": "INACTIVE" }),
    )
    .await
    .ok();
    target.clear();
    okta.delete(&format!(
        "/api/v1/apps/{app}/group-push/mappings/{mapping_id}?deleteTargetGroup=true"
    ))
    .await
    .expect(204);
    settle(&okta).await;
    assert_eq!(target.lines(), ["DELETE /Groups/g-151"]);
    assert!(target.groups().is_empty());
    okta.get(&format!(
        "/api/v1/apps/{app}/group-push/mappings/{mapping_id}"
    ))
    .await
    .expect(404);
    // Users are never deleted downstream.
    assert_eq!(target.users().len(), 151);
}

#[tokio::test]
async fn okta_prov_5_unlinking_without_delete_leaves_the_downstream_group() {
    let (okta, target, app) = world().await;
    let (group, _) = group_with_members(&okta, "Ops", &["op@example.com".to_string()]).await;
    okta.assign_group(&app, &group).await;
    let mapping_id = common::id_of(&push_group(&okta, &app, &group).await);
    settle(&okta).await;
    assert_eq!(target.groups().len(), 1);
    patch(
        &okta,
        &format!("/api/v1/apps/{app}/group-push/mappings/{mapping_id}"),
        json!({ "status": "INACTIVE" }),
    )
    .await
    .ok();
    target.clear();
    okta.delete(&format!(
        "/api/v1/apps/{app}/group-push/mappings/{mapping_id}?deleteTargetGroup=false"
    ))
    .await
    .expect(204);
    settle(&okta).await;
    assert!(target.requests().is_empty(), "{:?}", target.lines());
    assert_eq!(target.groups().len(), 1);
    let list = okta
        .get(&format!("/api/v1/apps/{app}/group-push/mappings"))
        .await;
    assert_eq!(list.ok(), &json!([]));
}

#[tokio::test]
async fn okta_prov_6_group_push_fails_while_department_or_employee_number_are_mapped() {
    let okta = start().await;
    let target = ScimTarget::start().await;
    let app = create_idc_app(&okta).await;
    connect(&okta, &app, &target.base(), TARGET_TOKEN).await;
    features(&okta, &app, true, true, true).await;
    let (group, _) = group_with_members(&okta, "Engineers", &["ada@example.com".to_string()]).await;
    okta.assign_group(&app, &group).await;
    settle(&okta).await;
    target.clear();

    let mapping_id = common::id_of(&push_group(&okta, &app, &group).await);
    settle(&okta).await;
    let m = push_mapping(&okta, &app, &mapping_id).await;
    assert_eq!(m["status"], json!("ERROR"));
    let summary = m["errorSummary"].as_str().expect("errorSummary");
    assert!(summary.contains("department, employeeNumber"), "{summary}");
    assert!(target.requests().is_empty(), "{:?}", target.lines());
    let failed = events(
        &okta,
        "application.provision.group_push.mapping.update.or.delete.failed.with.error",
    )
    .await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["outcome"]["result"], json!("FAILURE"));
    assert_eq!(failed[0]["outcome"]["reason"], json!(summary));
    // The error stays (no automatic retry) even as time passes.
    okta.advance("2h").await;
    settle(&okta).await;
    assert!(target.requests().is_empty(), "{:?}", target.lines());

    // Removing one is not enough: the retry names the other.
    unmap(&okta, &app, &["department"]).await;
    let retried = patch(
        &okta,
        &format!("/api/v1/apps/{app}/group-push/mappings/{mapping_id}"),
        json!({ "status": "ACTIVE" }),
    )
    .await;
    assert_eq!(retried.ok()["status"], json!("ACTIVE"));
    settle(&okta).await;
    let m = push_mapping(&okta, &app, &mapping_id).await;
    assert_eq!(m["status"], json!("ERROR"));
    let summary = m["errorSummary"].as_str().expect("errorSummary");
    assert!(summary.contains("mappings employeeNumber are"), "{summary}");
    assert!(!summary.contains("department"), "{summary}");

    // Both removed and retried: Active, and the group is pushed.
    unmap(&okta, &app, &["employeeNumber"]).await;
    patch(
        &okta,
        &format!("/api/v1/apps/{app}/group-push/mappings/{mapping_id}"),
        json!({ "status": "ACTIVE" }),
    )
    .await
    .ok();
    settle(&okta).await;
    let m = push_mapping(&okta, &app, &mapping_id).await;
    assert_eq!(m["status"], json!("ACTIVE"), "{m}");
    assert_eq!(m["errorSummary"], Value::Null);
    // The mapping change re-pushed the user (PUT without the removed attributes) first.
    let lines = target.lines();
    assert!(lines.contains(&"POST /Groups".to_string()), "{lines:?}");
    assert_eq!(lines.last().map(String::as_str), Some("PATCH /Groups/g-2"));
    assert_eq!(target.groups()[0].2, ["u-1"]);
}

#[tokio::test]
async fn okta_prov_7_a_user_s_changes_go_out_in_order_and_changes_made_while_failing_are_not_lost()
{
    let (okta, target, app) = world().await;
    let ada = create_user_with_profile(&okta, "ada@example.com", "Ada", "Lovelace").await;
    // The create fails (503) …
    target.fail_next(&[Fault::Pass, Fault::Status(503)]);
    okta.assign_user(&app, &ada).await;
    let settled = settle(&okta).await;
    assert_eq!(settled["pending"], json!(1));
    assert_eq!(settled["nextAttemptAt"], json!("2026-01-01T00:01:00.000Z"));
    let au = app_user(&okta, &app, &ada).await;
    assert_eq!(au["syncState"], json!("ERROR"));
    let error = au["_sim"]["provisioningError"].as_str().expect("error");
    assert!(error.contains("503 Service Unavailable"), "{error}");
    // … and while it waits, the profile changes twice.
    okta.post(
        &format!("/api/v1/users/{ada}"),
        json!({ "profile": { "lastName": "Byron" } }),
    )
    .await
    .ok();
    okta.post(
        &format!("/api/v1/users/{ada}"),
        json!({ "profile": { "lastName": "King" } }),
    )
    .await
    .ok();
    settle(&okta).await;
    assert_eq!(target.requests().len(), 2, "{:?}", target.lines());

    okta.advance("1m").await;
    let settled = settle(&okta).await;
    assert_eq!(settled["pending"], json!(0));
    // The retry looks the user up again (the failed create might have happened), then
    // creates it once, with the latest profile: nothing lost, nothing twice.
    assert_eq!(
        target.lines(),
        [
            r#"GET /Users?filter=userName eq "ada@example.com""#,
            "POST /Users",
            r#"GET /Users?filter=userName eq "ada@example.com""#,
            "POST /Users",
        ]
    );
    assert_eq!(
        target.requests()[3].body["name"],
        json!({ "givenName": "Ada", "familyName": "King" })
    );
    assert_eq!(target.users().len(), 1);
    let au = app_user(&okta, &app, &ada).await;
    assert_eq!(au["syncState"], json!("SYNCHRONIZED"));
    assert_eq!(au["_sim"], Value::Null);
    let pushes = events(&okta, "application.provision.user.push").await;
    let outcomes: Vec<&Value> = pushes.iter().map(|e| &e["outcome"]["result"]).collect();
    assert_eq!(outcomes, [&json!("FAILURE"), &json!("SUCCESS")]);
    assert!(
        pushes[0]["outcome"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("next attempt at 2026-01-01T00:01:00Z")),
        "{}",
        pushes[0]
    );
}
