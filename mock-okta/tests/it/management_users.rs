//! The Users and Groups management API over HTTP: users are created STAGED, PROVISIONED or
//! ACTIVE and move through Okta's lifecycle (with Okta's refusals E0000016 and E0000038),
//! deletion deactivates first and deletes second, lists filter with `q`, `filter` and
//! `search`; groups are created, renamed, deleted and hold members. Every refusal answers
//! Okta's error object with the exact status and code, and changes nothing.
//!
//! covers: [OKTA-DIR-1, OKTA-DIR-2, OKTA-API-1]

use crate::common;

use serde_json::{Value, json};

use common::{Okta, PASSWORD, T0, enc, id_of};

/// A user's id must look like Okta's: `00u` + 17 alphanumerics.
fn assert_okta_id(id: &str, prefix: &str) {
    assert_eq!(id.len(), 20, "{id}");
    assert!(id.starts_with(prefix), "{id}");
    assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
}

/// The ids of a list answer, in order.
fn ids(list: &Value) -> Vec<String> {
    list.as_array().expect("a list").iter().map(id_of).collect()
}

async fn user(okta: &Okta, id: &str) -> Value {
    okta.get(&format!("/api/v1/users/{id}")).await.ok().clone()
}

async fn lifecycle(okta: &Okta, id: &str, action: &str) -> common::Reply {
    okta.post_empty(&format!("/api/v1/users/{id}/lifecycle/{action}"))
        .await
}

async fn event_count(okta: &Okta) -> usize {
    okta.get("/api/v1/logs?limit=1000")
        .await
        .ok()
        .as_array()
        .expect("a list")
        .len()
}

#[tokio::test]
async fn okta_dir_1_an_active_user_has_okta_s_shape_and_no_password_in_it() {
    let okta = common::start().await;
    let reply = okta
        .post(
            "/api/v1/users?activate=true",
            json!({
                "profile": {
                    "firstName": "Ada",
                    "lastName": "Lovelace",
                    "email": "ada@example.com",
                    "login": "ada@example.com",
                    "department": "Engineering",
                },
                "credentials": { "password": { "value": PASSWORD } },
            }),
        )
        .await;
    let body = reply.ok().clone();
    let id = id_of(&body);
    assert_okta_id(&id, "00u");
    let base = okta.base();
    assert_eq!(
        body,
        json!({
            "id": id,
            "status": "ACTIVE",
            "created": T0,
            "activated": T0,
            "statusChanged": T0,
            "lastLogin": null,
            "lastUpdated": T0,
            "passwordChanged": T0,
            "profile": {
                "firstName": "Ada",
                "lastName": "Lovelace",
                "email": "ada@example.com",
                "login": "ada@example.com",
                "department": "Engineering",
            },
            "credentials": {
                "password": {},
                "emails": [{ "value": "ada@example.com", "status": "VERIFIED", "type": "PRIMARY" }],
                "provider": { "type": "OKTA", "name": "OKTA" },
            },
            "_links": {
                "self": { "href": format!("{base}/api/v1/users/{id}") },
                "suspend": { "href": format!("{base}/api/v1/users/{id}/lifecycle/suspend"), "method": "POST" },
                "resetPassword": { "href": format!("{base}/api/v1/users/{id}/lifecycle/reset_password"), "method": "POST" },
                "expirePassword": { "href": format!("{base}/api/v1/users/{id}/lifecycle/expire_password"), "method": "POST" },
                "changePassword": { "href": format!("{base}/api/v1/users/{id}/credentials/change_password"), "method": "POST" },
                "deactivate": { "href": format!("{base}/api/v1/users/{id}/lifecycle/deactivate"), "method": "POST" },
            },
        })
    );
    let text = String::from_utf8_lossy(&reply.bytes);
    assert!(!text.contains(PASSWORD), "the password is never echoed");
    // GET by id and by login (any case) answer the same object.
    assert_eq!(user(&okta, &id).await, body);
    assert_eq!(user(&okta, "ADA@example.com").await, body);
}

#[tokio::test]
async fn okta_dir_1_activation_decides_staged_provisioned_or_active() {
    let okta = common::start().await;
    let staged = okta
        .create_user_with("staged@example.com", Some(PASSWORD), false)
        .await;
    assert_eq!(staged["status"], "STAGED");
    assert_eq!(staged["activated"], Value::Null);
    assert_eq!(staged["statusChanged"], Value::Null);
    assert_eq!(staged["credentials"]["password"], json!({}));
    assert!(staged["_links"]["activate"].is_object());

    let provisioned = okta
        .create_user_with("provisioned@example.com", None, true)
        .await;
    assert_eq!(provisioned["status"], "PROVISIONED");
    assert_eq!(provisioned["passwordChanged"], Value::Null);
    assert_eq!(
        provisioned["credentials"],
        json!({
            "emails": [{ "value": "provisioned@example.com", "status": "VERIFIED", "type": "PRIMARY" }],
            "provider": { "type": "OKTA", "name": "OKTA" },
        }),
        "no password object without a password"
    );

    // The default of `activate` is true, as in Okta.
    let default = okta
        .post(
            "/api/v1/users",
            json!({ "profile": { "firstName": "D", "lastName": "F", "email": "d@example.com", "login": "d@example.com" },
                    "credentials": { "password": { "value": PASSWORD } } }),
        )
        .await;
    assert_eq!(default.ok()["status"], "ACTIVE");
}

#[tokio::test]
async fn okta_dir_1_lifecycle_transitions_and_refusals_change_nothing() {
    let okta = common::start().await;
    let id = id_of(
        &okta
            .create_user_with("grace@example.com", Some(PASSWORD), false)
            .await,
    );
    okta.advance("1m").await;

    assert_eq!(lifecycle(&okta, &id, "activate").await.ok(), &json!({}));
    let active = user(&okta, &id).await;
    assert_eq!(active["status"], "ACTIVE");
    assert_eq!(active["activated"], "2026-01-01T00:01:00.000Z");
    assert_eq!(active["statusChanged"], "2026-01-01T00:01:00.000Z");

    // Activating an active user: E0000016, nothing changes.
    let causes = lifecycle(&okta, &id, "activate").await.okta_error(
        403,
        "E0000016",
        "Activation failed because the user is already active",
    );
    assert!(causes.is_empty());
    assert_eq!(user(&okta, &id).await, active);

    okta.advance("1m").await;
    assert_eq!(lifecycle(&okta, &id, "suspend").await.ok(), &json!({}));
    let suspended = user(&okta, &id).await;
    assert_eq!(suspended["status"], "SUSPENDED");
    assert_eq!(suspended["statusChanged"], "2026-01-01T00:02:00.000Z");
    assert!(suspended["_links"]["unsuspend"].is_object());

    // Suspended users cannot be suspended again or activated.
    for action in ["suspend", "activate"] {
        lifecycle(&okta, &id, action).await.okta_error(
            403,
            "E0000038",
            "This operation is not allowed in the user's current status.",
        );
        assert_eq!(
            user(&okta, &id).await,
            suspended,
            "{action} changed nothing"
        );
    }

    assert_eq!(lifecycle(&okta, &id, "unsuspend").await.ok(), &json!({}));
    assert_eq!(user(&okta, &id).await["status"], "ACTIVE");
    let active = user(&okta, &id).await;
    lifecycle(&okta, &id, "unsuspend").await.okta_error(
        403,
        "E0000038",
        "This operation is not allowed in the user's current status.",
    );
    assert_eq!(user(&okta, &id).await, active);

    assert_eq!(lifecycle(&okta, &id, "deactivate").await.ok(), &json!({}));
    let deprovisioned = user(&okta, &id).await;
    assert_eq!(deprovisioned["status"], "DEPROVISIONED");
    lifecycle(&okta, &id, "deactivate").await.okta_error(
        403,
        "E0000038",
        "This operation is not allowed in the user's current status.",
    );
    lifecycle(&okta, &id, "suspend").await.okta_error(
        403,
        "E0000038",
        "This operation is not allowed in the user's current status.",
    );
    assert_eq!(user(&okta, &id).await, deprovisioned);

    // A deprovisioned user with a password comes back ACTIVE; `sendEmail=false` answers `{}`.
    let reply = okta
        .post_empty(&format!(
            "/api/v1/users/{id}/lifecycle/activate?sendEmail=false"
        ))
        .await;
    assert_eq!(reply.ok(), &json!({}));
    assert_eq!(user(&okta, &id).await["status"], "ACTIVE");

    // Unknown users and unknown operations are 404s.
    lifecycle(&okta, "00u0000000000000none", "suspend")
        .await
        .okta_error(
            404,
            "E0000007",
            "Not found: Resource not found: 00u0000000000000none (User)",
        );
    lifecycle(&okta, &id, "explode").await.okta_error(
        404,
        "E0000007",
        &format!(
            "Not found: Resource not found: /api/v1/users/{id}/lifecycle/explode (GenericUnAuthorizedException)"
        ),
    );
    // A bad sendEmail is a validation error, and the user stays as it is.
    let before = user(&okta, &id).await;
    let causes = okta
        .post_empty(&format!(
            "/api/v1/users/{id}/lifecycle/suspend?sendEmail=maybe"
        ))
        .await
        .okta_error(400, "E0000001", "Api validation failed: sendEmail");
    assert_eq!(
        causes,
        ["sendEmail: 'maybe' is not a valid boolean value (true or false)"]
    );
    assert_eq!(user(&okta, &id).await, before);
}

#[tokio::test]
async fn okta_dir_1_delete_deactivates_first_and_deletes_second() {
    let okta = common::start().await;
    let id = okta.create_user("linus@example.com").await;
    let gid = okta.create_group("Kiro users").await;
    okta.add_member(&gid, &id).await;

    okta.delete(&format!("/api/v1/users/{id}"))
        .await
        .expect(204);
    assert_eq!(user(&okta, &id).await["status"], "DEPROVISIONED");
    // Still a member while merely deactivated.
    assert_eq!(
        ids(okta.get(&format!("/api/v1/groups/{gid}/users")).await.ok()),
        [id.as_str()]
    );

    let second = okta.delete(&format!("/api/v1/users/{id}")).await;
    second.expect(204);
    assert!(second.bytes.is_empty());
    okta.get(&format!("/api/v1/users/{id}")).await.okta_error(
        404,
        "E0000007",
        &format!("Not found: Resource not found: {id} (User)"),
    );
    assert_eq!(
        okta.get(&format!("/api/v1/groups/{gid}/users")).await.ok(),
        &json!([])
    );
    okta.delete(&format!("/api/v1/users/{id}"))
        .await
        .okta_error(
            404,
            "E0000007",
            &format!("Not found: Resource not found: {id} (User)"),
        );
}

#[tokio::test]
async fn okta_dir_1_create_refusals_name_every_cause_and_change_nothing() {
    let okta = common::start().await;
    okta.create_user("taken@example.com").await;
    let users_before = okta.get("/api/v1/users").await.ok().clone();
    let events_before = event_count(&okta).await;

    let causes = okta
        .post("/api/v1/users", json!({ "profile": {} }))
        .await
        .okta_error(
            400,
            "E0000001",
            "Api validation failed: login, email, firstName, lastName",
        );
    assert_eq!(
        causes,
        [
            "login: The field cannot be left blank",
            "email: The field cannot be left blank",
            "firstName: The field cannot be left blank",
            "lastName: The field cannot be left blank",
        ]
    );

    let causes = okta
        .post(
            "/api/v1/users",
            json!({ "profile": { "firstName": "A", "lastName": "B", "email": "not-an-email", "login": "nope" } }),
        )
        .await
        .okta_error(400, "E0000001", "Api validation failed: login, email");
    assert_eq!(
        causes,
        [
            "login: Username must be in the form of an email address",
            "email: Username must be in the form of an email address",
        ]
    );

    let causes = okta
        .post(
            "/api/v1/users",
            json!({ "profile": { "firstName": "T", "lastName": "K", "email": "TAKEN@example.com", "login": "TAKEN@example.com" } }),
        )
        .await
        .okta_error(400, "E0000001", "Api validation failed: login");
    assert_eq!(
        causes,
        ["login: An object with this field already exists in the current organization"]
    );

    let causes = okta
        .post(
            "/api/v1/users",
            json!({ "profile": { "firstName": "W", "lastName": "P", "email": "weak@example.com", "login": "weak@example.com" },
                    "credentials": { "password": { "value": "short" } } }),
        )
        .await
        .okta_error(400, "E0000001", "Api validation failed: password");
    assert_eq!(
        causes,
        [
            "password: Password requirements were not met. Password requirements: at least 8 characters, a lowercase letter, an uppercase letter, a number, no parts of your username."
        ]
    );

    okta.post(
        "/api/v1/users",
        json!({ "profile": { "firstName": "G", "lastName": "M", "email": "g@example.com", "login": "g@example.com" },
                "groupIds": ["00g0000000000missing"] }),
    )
    .await
    .okta_error(
        404,
        "E0000007",
        "Not found: Resource not found: 00g0000000000missing (UserGroup)",
    );

    let causes = okta
        .post(
            "/api/v1/users?activate=yes",
            json!({ "profile": { "firstName": "Y", "lastName": "Y", "email": "y@example.com", "login": "y@example.com" } }),
        )
        .await
        .okta_error(400, "E0000001", "Api validation failed: activate");
    assert_eq!(
        causes,
        ["activate: 'yes' is not a valid boolean value (true or false)"]
    );

    // Malformed JSON, and JSON of the wrong shape, are E0000003.
    let malformed = okta
        .send(
            okta.http
                .post(okta.url("/api/v1/users"))
                .header("authorization", format!("SSWS {}", okta.token()))
                .header("content-type", "application/json")
                .body("{\"profile\": "),
        )
        .await;
    let causes = malformed.okta_error(400, "E0000003", "The request body was not well-formed.");
    assert_eq!(causes.len(), 1);
    okta.post("/api/v1/users", json!({ "profile": "ada" }))
        .await
        .okta_error(400, "E0000003", "The request body was not well-formed.");

    assert_eq!(okta.get("/api/v1/users").await.ok(), &users_before);
    assert_eq!(event_count(&okta).await, events_before);
}

#[tokio::test]
async fn okta_dir_1_partial_and_full_updates_and_password_change() {
    let okta = common::start().await;
    let created = okta
        .post(
            "/api/v1/users",
            json!({ "profile": { "firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com",
                                 "login": "ada@example.com", "department": "Engineering" },
                    "credentials": { "password": { "value": PASSWORD } } }),
        )
        .await
        .ok()
        .clone();
    let id = id_of(&created);
    okta.create_user("other@example.com").await;
    okta.advance("5m").await;

    // POST merges.
    let partial = okta
        .post(
            &format!("/api/v1/users/{id}"),
            json!({ "profile": { "firstName": "Augusta" } }),
        )
        .await
        .ok()
        .clone();
    assert_eq!(
        partial["profile"],
        json!({ "firstName": "Augusta", "lastName": "Lovelace", "email": "ada@example.com",
                "login": "ada@example.com", "department": "Engineering" })
    );
    assert_eq!(partial["lastUpdated"], "2026-01-01T00:05:00.000Z");
    assert_eq!(partial["passwordChanged"], T0);

    // PUT replaces (department goes).
    let full = okta
        .put(
            &format!("/api/v1/users/{id}"),
            json!({ "profile": { "firstName": "Ada", "lastName": "King", "email": "ada.king@example.com",
                                 "login": "ada@example.com" } }),
        )
        .await
        .ok()
        .clone();
    assert_eq!(
        full["profile"],
        json!({ "firstName": "Ada", "lastName": "King", "email": "ada.king@example.com", "login": "ada@example.com" })
    );

    // Refusals: a PUT without the required attributes, a login taken by someone else, a weak
    // password, an unknown user. None changes anything.
    let causes = okta
        .put(
            &format!("/api/v1/users/{id}"),
            json!({ "profile": { "firstName": "Only" } }),
        )
        .await
        .okta_error(
            400,
            "E0000001",
            "Api validation failed: login, email, lastName",
        );
    assert_eq!(causes.len(), 3);
    okta.post(
        &format!("/api/v1/users/{id}"),
        json!({ "profile": { "login": "other@example.com" } }),
    )
    .await
    .okta_error(400, "E0000001", "Api validation failed: login");
    okta.post(
        &format!("/api/v1/users/{id}"),
        json!({ "credentials": { "password": { "value": "password" } } }),
    )
    .await
    .okta_error(400, "E0000001", "Api validation failed: password");
    okta.post(
        "/api/v1/users/00u00000000000000000",
        json!({ "profile": { "firstName": "X" } }),
    )
    .await
    .okta_error(
        404,
        "E0000007",
        "Not found: Resource not found: 00u00000000000000000 (User)",
    );
    assert_eq!(user(&okta, &id).await, full);

    // An admin password change sets passwordChanged.
    okta.advance("1m").await;
    let changed = okta
        .post(
            &format!("/api/v1/users/{id}"),
            json!({ "credentials": { "password": { "value": "N3w-Secret-Value" } } }),
        )
        .await
        .ok()
        .clone();
    assert_eq!(changed["passwordChanged"], "2026-01-01T00:06:00.000Z");
    assert_eq!(changed["profile"], full["profile"]);
}

#[tokio::test]
async fn okta_dir_1_lists_filter_with_q_filter_and_search() {
    let okta = common::start().await;
    let ada = okta.create_user("ada@example.com").await;
    let alan = okta.create_user("alan@example.com").await;
    okta.advance("1h").await;
    let staged = id_of(
        &okta
            .create_user_with("bob@example.com", Some(PASSWORD), false)
            .await,
    );
    let gone = okta.create_user("carol@example.com").await;
    lifecycle(&okta, &gone, "deactivate").await.ok();
    let engineer = okta
        .post(
            "/api/v1/users",
            json!({ "profile": { "firstName": "Dee", "lastName": "Ng", "email": "dee@example.org",
                                 "login": "dee@example.org", "department": "Engineering" } }),
        )
        .await;
    let engineer = id_of(engineer.ok());

    // Without parameters: everyone but DEPROVISIONED, in creation order.
    assert_eq!(
        ids(okta.get("/api/v1/users").await.ok()),
        [ada.clone(), alan.clone(), staged.clone(), engineer.clone()]
    );
    // q: prefix of login, email, first or last name.
    assert_eq!(
        ids(okta.get("/api/v1/users?q=al").await.ok()),
        [alan.as_str()]
    );
    assert_eq!(
        ids(okta.get("/api/v1/users?q=A").await.ok()),
        [ada.clone(), alan.clone()]
    );
    // filter and search: Okta expressions; with one, DEPROVISIONED users can be found.
    let cases: [(&str, &str, Vec<&String>); 6] = [
        ("filter", r#"status eq "STAGED""#, vec![&staged]),
        ("filter", r#"status eq "DEPROVISIONED""#, vec![&gone]),
        (
            "filter",
            r#"status eq "STAGED" or status eq "DEPROVISIONED""#,
            vec![&staged, &gone],
        ),
        (
            "filter",
            r#"lastUpdated gt "2026-01-01T00:30:00.000Z""#,
            vec![&staged, &gone, &engineer],
        ),
        (
            "search",
            r#"profile.department eq "Engineering""#,
            vec![&engineer],
        ),
        (
            "search",
            r#"profile.email co "example.com" and status eq "ACTIVE""#,
            vec![&ada, &alan],
        ),
    ];
    for (param, expr, expected) in cases {
        let reply = okta
            .get(&format!("/api/v1/users?{param}={}", enc(expr)))
            .await;
        let expected: Vec<String> = expected.into_iter().cloned().collect();
        assert_eq!(ids(reply.ok()), expected, "{param}={expr}");
    }

    let causes = okta
        .get(&format!("/api/v1/users?filter={}", enc("status eq ACTIVE")))
        .await
        .okta_error(400, "E0000031", "Invalid search criteria.");
    assert_eq!(
        causes,
        ["expected a quoted value after `status`, found `ACTIVE`"]
    );
}

#[tokio::test]
async fn okta_dir_2_groups_are_created_renamed_listed_and_deleted() {
    let okta = common::start().await;
    let reply = okta
        .post(
            "/api/v1/groups",
            json!({ "profile": { "name": "Kiro users", "description": "People who use Kiro" } }),
        )
        .await;
    let group = reply.ok().clone();
    let gid = id_of(&group);
    assert_okta_id(&gid, "00g");
    let base = okta.base();
    assert_eq!(
        group,
        json!({
            "id": gid,
            "created": T0,
            "lastUpdated": T0,
            "lastMembershipUpdated": T0,
            "objectClass": ["okta:user_group"],
            "type": "OKTA_GROUP",
            "profile": { "name": "Kiro users", "description": "People who use Kiro" },
            "_links": {
                "logo": [
                    { "name": "medium", "href": format!("{base}/assets/img/logos/groups/okta-medium.png"), "type": "image/png" },
                    { "name": "large", "href": format!("{base}/assets/img/logos/groups/okta-large.png"), "type": "image/png" },
                ],
                "users": { "href": format!("{base}/api/v1/groups/{gid}/users") },
                "apps": { "href": format!("{base}/api/v1/groups/{gid}/apps") },
            },
        })
    );
    let admins = okta.create_group("Admins").await;

    // Refusals: duplicate (any case) and blank names.
    let causes = okta
        .post(
            "/api/v1/groups",
            json!({ "profile": { "name": "KIRO USERS" } }),
        )
        .await
        .okta_error(400, "E0000001", "Api validation failed: name");
    assert_eq!(
        causes,
        ["name: An object with this field already exists in the current organization"]
    );
    okta.post("/api/v1/groups", json!({ "profile": { "name": "  " } }))
        .await
        .okta_error(400, "E0000001", "Api validation failed: name");
    okta.post("/api/v1/groups", json!({})).await.okta_error(
        400,
        "E0000001",
        "Api validation failed: name",
    );
    assert_eq!(
        ids(okta.get("/api/v1/groups").await.ok()),
        [gid.clone(), admins.clone()]
    );

    assert_eq!(
        okta.get(&format!("/api/v1/groups/{gid}")).await.ok(),
        &group
    );
    assert_eq!(
        ids(okta.get("/api/v1/groups?q=adm").await.ok()),
        [admins.as_str()]
    );

    okta.advance("2m").await;
    let renamed = okta
        .put(
            &format!("/api/v1/groups/{gid}"),
            json!({ "profile": { "name": "Kiro developers", "description": null } }),
        )
        .await
        .ok()
        .clone();
    assert_eq!(
        renamed["profile"],
        json!({ "name": "Kiro developers", "description": null })
    );
    assert_eq!(renamed["lastUpdated"], "2026-01-01T00:02:00.000Z");
    okta.put(
        &format!("/api/v1/groups/{gid}"),
        json!({ "profile": { "name": "admins" } }),
    )
    .await
    .okta_error(400, "E0000001", "Api validation failed: name");
    assert_eq!(
        okta.get(&format!("/api/v1/groups/{gid}")).await.ok(),
        &renamed
    );

    okta.delete(&format!("/api/v1/groups/{gid}"))
        .await
        .expect(204);
    okta.get(&format!("/api/v1/groups/{gid}")).await.okta_error(
        404,
        "E0000007",
        &format!("Not found: Resource not found: {gid} (UserGroup)"),
    );
    okta.delete(&format!("/api/v1/groups/{gid}"))
        .await
        .okta_error(
            404,
            "E0000007",
            &format!("Not found: Resource not found: {gid} (UserGroup)"),
        );
    assert_eq!(ids(okta.get("/api/v1/groups").await.ok()), [admins]);
}

#[tokio::test]
async fn okta_dir_2_groups_hold_users() {
    let okta = common::start().await;
    let ada = okta.create_user("ada@example.com").await;
    let alan = okta.create_user("alan@example.com").await;
    let gid = okta.create_group("Kiro users").await;
    let other = okta.create_group("Other").await;

    okta.advance("1m").await;
    okta.add_member(&gid, &alan).await;
    okta.add_member(&gid, &ada).await;
    // Adding twice is fine (PUT is idempotent).
    okta.add_member(&gid, &ada).await;
    assert_eq!(
        ids(okta.get(&format!("/api/v1/groups/{gid}/users")).await.ok()),
        [alan.clone(), ada.clone()]
    );
    assert_eq!(
        okta.get(&format!("/api/v1/groups/{gid}")).await.ok()["lastMembershipUpdated"],
        "2026-01-01T00:01:00.000Z"
    );
    assert_eq!(
        ids(okta.get(&format!("/api/v1/users/{ada}/groups")).await.ok()),
        [gid.as_str()]
    );
    // Group members come in the user shape.
    let members = okta.get(&format!("/api/v1/groups/{gid}/users")).await;
    assert_eq!(members.ok()[0], user(&okta, &alan).await);

    // Refusals: unknown group or user.
    okta.put(
        &format!("/api/v1/groups/00g0000000000missing/users/{ada}"),
        json!({}),
    )
    .await
    .okta_error(
        404,
        "E0000007",
        "Not found: Resource not found: 00g0000000000missing (UserGroup)",
    );
    okta.put(
        &format!("/api/v1/groups/{gid}/users/00u0000000000missing"),
        json!({}),
    )
    .await
    .okta_error(
        404,
        "E0000007",
        "Not found: Resource not found: 00u0000000000missing (User)",
    );
    okta.get("/api/v1/groups/00g0000000000missing/users")
        .await
        .okta_error(
            404,
            "E0000007",
            "Not found: Resource not found: 00g0000000000missing (UserGroup)",
        );

    okta.delete(&format!("/api/v1/groups/{gid}/users/{alan}"))
        .await
        .expect(204);
    okta.delete(&format!("/api/v1/groups/{gid}/users/{alan}"))
        .await
        .expect(204);
    assert_eq!(
        ids(okta.get(&format!("/api/v1/groups/{gid}/users")).await.ok()),
        [ada.as_str()]
    );
    assert_eq!(
        okta.get(&format!("/api/v1/users/{alan}/groups")).await.ok(),
        &json!([])
    );

    // groupIds at creation.
    let carol = okta
        .post(
            "/api/v1/users",
            json!({ "profile": { "firstName": "Carol", "lastName": "C", "email": "carol@example.com",
                                 "login": "carol@example.com" },
                    "groupIds": [gid, other] }),
        )
        .await;
    let carol = id_of(carol.ok());
    assert_eq!(
        ids(okta
            .get(&format!("/api/v1/users/{carol}/groups"))
            .await
            .ok()),
        [gid.clone(), other.clone()]
    );
    assert_eq!(
        ids(okta.get(&format!("/api/v1/groups/{gid}/users")).await.ok()),
        [ada, carol]
    );
}
