//! SCIM `/Users` over HTTP with IAM Identity Center's semantics: the calls Okta makes
//! (filtered lookup, create with externalId/name/emails/displayName/active, PATCH
//! `active:false`), PUT and PATCH, required attributes, single-valued multi-valued attributes,
//! the characters IdC refuses, duplicate userNames, eq/and-only filters, the count cap and
//! cursor paging. Every refusal is a SCIM Error and changes nothing.
//!
//! covers: [KIRO-SCIM-1, KIRO-SCIM-2, KIRO-SCIM-3, OKTA-PROV-3, OKTA-PROV-4]

use crate::common;

use serde_json::{Value, json};

use common::{Scim, Sim, TestIssuer, okta_user, patch_op};

const T0: &str = "2026-01-01T00:00:00Z";
const UNPARSABLE: &str = "Request is unparsable, syntactically incorrect, or violates schema";

async fn setup() -> (Sim, TestIssuer, Scim) {
    let sim = Sim::start().await;
    let issuer = TestIssuer::start().await;
    let profile = sim.create_profile("Acme", &issuer.issuer, "0oakiro").await;
    let scim = sim.scim_for(&profile).await;
    (sim, issuer, scim)
}

fn filter(expr: &str) -> String {
    let encoded = sim_core::url::encode(expr);
    format!("filter={encoded}")
}

/// The user Okta creates, as mock-kiro shows it.
fn ada_json(id: &str, created: &str, modified: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": id,
        "externalId": "00uada",
        "userName": "ada@example.com",
        "name": { "familyName": "Tester", "givenName": "Ada" },
        "displayName": "Ada Tester",
        "active": true,
        "emails": [{ "value": "ada@example.com", "type": "work", "primary": true }],
        "meta": { "resourceType": "User", "created": created, "lastModified": modified },
    })
}

fn list_json(total: usize, resources: Vec<Value>) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": total,
        "itemsPerPage": resources.len(),
        "startIndex": 1,
        "Resources": resources,
    })
}

async fn user_count(scim: &Scim) -> u64 {
    scim.get("/Users").await.expect(200)["totalResults"]
        .as_u64()
        .expect("totalResults")
}

#[tokio::test]
async fn kiro_scim_1_okta_looks_up_then_creates_a_user() {
    let (_sim, _issuer, scim) = setup().await;
    let lookup = format!("/Users?{}", filter(r#"userName eq "ada@example.com""#));

    let before = scim.get(&lookup).await;
    assert_eq!(before.expect(200), &list_json(0, vec![]));
    assert_eq!(before.header("content-type"), "application/scim+json");

    let created = scim
        .post("/Users", &okta_user("ada@example.com", "00uada"))
        .await;
    let body = created.expect(201).clone();
    assert_eq!(created.header("content-type"), "application/scim+json");
    let id = body["id"].as_str().expect("id").to_string();
    let (prefix, uuid) = id.split_at(10);
    assert!(prefix.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    assert_eq!(uuid.len(), 37, "{id}");
    assert!(uuid.starts_with('-'), "{id}");
    assert_eq!(body, ada_json(&id, T0, T0));

    let after = scim.get(&lookup).await;
    assert_eq!(
        after.expect(200),
        &list_json(1, vec![ada_json(&id, T0, T0)])
    );
    assert_eq!(
        scim.get(&format!("/Users/{id}")).await.expect(200),
        &ada_json(&id, T0, T0)
    );

    // userName matches case-insensitively; externalId and id exactly; `and` joins.
    for expr in [
        r#"userName eq "ADA@example.COM""#.to_string(),
        r#"externalId eq "00uada""#.to_string(),
        format!(r#"id eq "{id}""#),
        r#"userName eq "ada@example.com" and externalId eq "00uada""#.to_string(),
        r#"USERNAME EQ "ada@example.com""#.to_string(),
    ] {
        let reply = scim.get(&format!("/Users?{}", filter(&expr))).await;
        assert_eq!(reply.expect(200)["totalResults"], json!(1), "{expr}");
    }
    for expr in [
        r#"externalId eq "00UADA""#,
        r#"userName eq "ada@example.com" and externalId eq "00ubob""#,
        r#"userName eq "bob@example.com""#,
    ] {
        let reply = scim.get(&format!("/Users?{}", filter(expr))).await;
        assert_eq!(reply.expect(200), &list_json(0, vec![]), "{expr}");
    }
}

#[tokio::test]
async fn kiro_scim_1_okta_deactivates_with_patch_active_false_and_users_are_patched_and_replaced() {
    let (sim, _issuer, scim) = setup().await;
    let id = scim.create_user("ada@example.com", "00uada").await;
    sim.advance("1h").await;
    let t1 = "2026-01-01T01:00:00Z";

    // Okta's deactivation: replace without a path.
    let reply = scim
        .patch(
            &format!("/Users/{id}"),
            &patch_op(json!([{ "op": "replace", "value": { "active": false } }])),
        )
        .await;
    let mut expected = ada_json(&id, T0, t1);
    expected["active"] = json!(false);
    assert_eq!(reply.expect(200), &expected);

    // Paths: a sub-attribute, a filtered multi-valued attribute, the enterprise extension.
    let reply = scim
        .patch(
            &format!("/Users/{id}"),
            &patch_op(json!([
                { "op": "Replace", "path": "name.givenName", "value": "Augusta" },
                { "op": "replace", "path": "emails[type eq \"work\"].value", "value": "augusta@example.com" },
                { "op": "add", "path": "title", "value": "Countess" },
                { "op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter", "value": "CC-1" },
            ])),
        )
        .await;
    let body = reply.expect(200).clone();
    assert_eq!(
        body["name"],
        json!({ "familyName": "Tester", "givenName": "Augusta" })
    );
    assert_eq!(
        body["emails"],
        json!([{ "value": "augusta@example.com", "type": "work", "primary": true }])
    );
    assert_eq!(body["title"], json!("Countess"));
    assert_eq!(
        body["schemas"],
        json!([
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ])
    );
    assert_eq!(
        body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        json!({ "costCenter": "CC-1" })
    );
    assert_eq!(scim.get(&format!("/Users/{id}")).await.expect(200), &body);

    // Remove.
    let reply = scim
        .patch(
            &format!("/Users/{id}"),
            &patch_op(json!([{ "op": "remove", "path": "title" }])),
        )
        .await;
    assert_eq!(reply.expect(200).get("title"), None);

    // PUT replaces everything.
    let mut replacement = okta_user("ada.lovelace@example.com", "00uada");
    replacement["active"] = json!(true);
    let reply = scim.put(&format!("/Users/{id}"), &replacement).await;
    let mut expected = ada_json(&id, T0, t1);
    expected["userName"] = json!("ada.lovelace@example.com");
    expected["emails"][0]["value"] = json!("ada.lovelace@example.com");
    assert_eq!(reply.expect(200), &expected);

    // DELETE, then it is gone.
    let reply = scim.delete(&format!("/Users/{id}")).await;
    assert_eq!(reply.status, 204, "{reply:?}");
    assert_eq!(reply.text, "");
    scim.get(&format!("/Users/{id}")).await.assert_scim_error(
        404,
        None,
        &format!("User {id} not found."),
    );
    scim.delete(&format!("/Users/{id}"))
        .await
        .assert_scim_error(404, None, &format!("User {id} not found."));
    scim.patch(
        &format!("/Users/{id}"),
        &patch_op(json!([{ "op": "replace", "value": { "active": true } }])),
    )
    .await
    .assert_scim_error(404, None, &format!("User {id} not found."));
}

#[tokio::test]
async fn kiro_scim_1_required_attributes_are_required() {
    let (_sim, _issuer, scim) = setup().await;
    for (field, pointer) in [
        ("userName", "userName"),
        ("displayName", "displayName"),
        ("name.givenName", "name/givenName"),
        ("name.familyName", "name/familyName"),
    ] {
        let mut body = okta_user("ada@example.com", "00uada");
        match pointer.split_once('/') {
            Some((outer, inner)) => {
                body[outer].as_object_mut().expect("object").remove(inner);
            }
            None => {
                body.as_object_mut().expect("object").remove(pointer);
            }
        }
        scim.post("/Users", &body).await.assert_scim_error(
            400,
            Some("invalidValue"),
            &format!("{field} is a required attribute."),
        );
    }
    assert_eq!(user_count(&scim).await, 0);

    // And a PATCH cannot take them away.
    let id = scim.create_user("ada@example.com", "00uada").await;
    let before = scim.get(&format!("/Users/{id}")).await.expect(200).clone();
    scim.patch(
        &format!("/Users/{id}"),
        &patch_op(json!([{ "op": "remove", "path": "name.familyName" }])),
    )
    .await
    .assert_scim_error(
        400,
        Some("invalidValue"),
        "name.familyName is a required attribute.",
    );
    assert_eq!(scim.get(&format!("/Users/{id}")).await.expect(200), &before);
}

#[tokio::test]
async fn kiro_scim_1_multi_valued_attributes_hold_one_value() {
    let (_sim, _issuer, scim) = setup().await;
    for (field, two) in [
        (
            "emails",
            json!([{ "value": "a@example.com", "type": "work" }, { "value": "b@example.com", "type": "home" }]),
        ),
        (
            "phoneNumbers",
            json!([{ "value": "+1 555 0100", "type": "work" }, { "value": "+1 555 0101", "type": "home" }]),
        ),
        (
            "addresses",
            json!([{ "locality": "London", "type": "work" }, { "locality": "Paris", "type": "home" }]),
        ),
    ] {
        let mut body = okta_user("ada@example.com", "00uada");
        body[field] = two;
        scim.post("/Users", &body).await.assert_scim_error(
            400,
            Some("invalidValue"),
            &format!("{field} can hold only one value."),
        );
    }
    assert_eq!(user_count(&scim).await, 0);

    let id = scim.create_user("ada@example.com", "00uada").await;
    let before = scim.get(&format!("/Users/{id}")).await.expect(200).clone();
    scim.patch(
        &format!("/Users/{id}"),
        &patch_op(json!([{
            "op": "add",
            "path": "emails",
            "value": [{ "value": "a@example.com" }, { "value": "b@example.com" }],
        }])),
    )
    .await
    .assert_scim_error(400, Some("invalidValue"), "emails can hold only one value.");
    assert_eq!(scim.get(&format!("/Users/{id}")).await.expect(200), &before);
}

#[tokio::test]
async fn kiro_scim_3_forbidden_characters_empty_strings_and_control_characters_are_refused() {
    let (_sim, _issuer, scim) = setup().await;
    for bad in [
        "a<b",
        "a>b",
        "a;b",
        "ada:lovelace",
        "100%",
        "tab\there",
        "bell\u{7}",
        "zero\u{200b}width",
    ] {
        let mut body = okta_user("ada@example.com", "00uada");
        body["displayName"] = json!(bad);
        scim.post("/Users", &body).await.assert_scim_error(
            400,
            Some("invalidValue"),
            &format!("{UNPARSABLE}: displayName contains characters that are not allowed."),
        );
        let mut body = okta_user("ada@example.com", "00uada");
        body["name"]["givenName"] = json!(bad);
        scim.post("/Users", &body).await.assert_scim_error(
            400,
            Some("invalidValue"),
            &format!("{UNPARSABLE}: name.givenName contains characters that are not allowed."),
        );
    }
    for (field, detail) in [
        ("nickName", "nickName must not be empty."),
        ("title", "title must not be empty."),
        ("externalId", "externalId must not be empty."),
    ] {
        let mut body = okta_user("ada@example.com", "00uada");
        body[field] = json!("");
        scim.post("/Users", &body).await.assert_scim_error(
            400,
            Some("invalidValue"),
            &format!("{UNPARSABLE}: {detail}"),
        );
    }
    let mut body = okta_user("ada@example.com", "00uada");
    body["emails"][0]["value"] = json!("ada<script>@example.com");
    scim.post("/Users", &body).await.assert_scim_error(
        400,
        Some("invalidValue"),
        &format!("{UNPARSABLE}: emails.value contains characters that are not allowed."),
    );
    // An attribute IdC does not know is a schema violation too.
    let mut body = okta_user("ada@example.com", "00uada");
    body["favouriteColour"] = json!("green");
    let reply = scim.post("/Users", &body).await;
    assert_eq!(reply.status, 400, "{reply:?}");
    assert!(
        reply.body["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with(UNPARSABLE) && d.contains("favouriteColour")),
        "{reply:?}"
    );
    assert_eq!(user_count(&scim).await, 0);

    // A PATCH bringing such a value in changes nothing.
    let id = scim.create_user("ada@example.com", "00uada").await;
    let before = scim.get(&format!("/Users/{id}")).await.expect(200).clone();
    scim.patch(
        &format!("/Users/{id}"),
        &patch_op(json!([
            { "op": "replace", "path": "title", "value": "Engineer" },
            { "op": "replace", "path": "displayName", "value": "Ada; DROP TABLE" },
        ])),
    )
    .await
    .assert_scim_error(
        400,
        Some("invalidValue"),
        &format!("{UNPARSABLE}: displayName contains characters that are not allowed."),
    );
    assert_eq!(scim.get(&format!("/Users/{id}")).await.expect(200), &before);
}

#[tokio::test]
async fn kiro_scim_2_a_duplicate_user_name_is_409() {
    let (_sim, _issuer, scim) = setup().await;
    let ada = scim.create_user("ada@example.com", "00uada").await;
    let detail = "Duplicate userName: a user with this userName already exists.";
    scim.post("/Users", &okta_user("ADA@Example.com", "00uother"))
        .await
        .assert_scim_error(409, Some("uniqueness"), detail);
    assert_eq!(user_count(&scim).await, 1);

    let bob = scim.create_user("bob@example.com", "00ubob").await;
    let before = scim.get(&format!("/Users/{bob}")).await.expect(200).clone();
    scim.put(
        &format!("/Users/{bob}"),
        &okta_user("ada@example.com", "00ubob"),
    )
    .await
    .assert_scim_error(409, Some("uniqueness"), detail);
    scim.patch(
        &format!("/Users/{bob}"),
        &patch_op(json!([{ "op": "replace", "path": "userName", "value": "Ada@example.com" }])),
    )
    .await
    .assert_scim_error(409, Some("uniqueness"), detail);
    assert_eq!(
        scim.get(&format!("/Users/{bob}")).await.expect(200),
        &before
    );
    // Renaming a user to its own name in another case is no conflict.
    let reply = scim
        .patch(
            &format!("/Users/{ada}"),
            &patch_op(json!([{ "op": "replace", "path": "userName", "value": "Ada@Example.com" }])),
        )
        .await;
    assert_eq!(reply.expect(200)["userName"], json!("Ada@Example.com"));
}

#[tokio::test]
async fn kiro_scim_1_filters_are_eq_joined_by_and_on_supported_attributes_only() {
    let (_sim, _issuer, scim) = setup().await;
    scim.create_user("ada@example.com", "00uada").await;
    let allowed = "userName, externalId, id";
    for (expr, why) in [
        (r#"userName co "ada""#, "operator `co`"),
        (r#"userName sw "ada""#, "operator `sw`"),
        (r#"userName ne "ada""#, "operator `ne`"),
        (
            r#"userName eq "ada@example.com" or externalId eq "x""#,
            "`or`",
        ),
        (
            r#"emails.value eq "ada@example.com""#,
            "attribute `emails.value`",
        ),
        (r#"displayName eq "Ada Tester""#, "attribute `displayName`"),
        (r#"members eq "x""#, "attribute `members`"),
        ("userName eq ada", "expected a quoted value"),
        (r#"userName pr"#, "expected an operator"),
    ] {
        let reply = scim.get(&format!("/Users?{}", filter(expr))).await;
        reply.assert_scim_error(
            400,
            Some("invalidFilter"),
            &format!("Filter {expr:?} is not supported: {why}. Only 'eq' filters joined by 'and' on {allowed} are."),
        );
    }
}

#[tokio::test]
async fn kiro_scim_1_count_is_capped_at_100_start_index_is_ignored_and_cursors_page() {
    let (_sim, _issuer, scim) = setup().await;
    let mut ids = Vec::new();
    for i in 0..105 {
        ids.push(
            scim.create_user(&format!("user{i}@example.com"), &format!("00u{i}"))
                .await,
        );
    }
    let id_list = |page: &Value| -> Vec<String> {
        page["Resources"]
            .as_array()
            .expect("Resources")
            .iter()
            .map(|u| u["id"].as_str().expect("id").to_string())
            .collect()
    };

    // Default and over-large counts give 100, with a cursor to the rest.
    for query in [
        "",
        "?count=500",
        "?count=100&startIndex=50",
        "?startIndex=3",
    ] {
        let page = scim
            .get(&format!("/Users{query}"))
            .await
            .expect(200)
            .clone();
        assert_eq!(page["totalResults"], json!(105), "{query}");
        assert_eq!(page["itemsPerPage"], json!(100), "{query}");
        assert_eq!(page["startIndex"], json!(1), "{query}");
        assert_eq!(id_list(&page), ids[..100].to_vec(), "{query}");
        assert_eq!(page["nextCursor"], json!(ids[99]), "{query}");
    }

    // Walk in pages of 40.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let query = match &cursor {
            Some(c) => format!("/Users?count=40&cursor={c}"),
            None => "/Users?count=40".to_string(),
        };
        let page = scim.get(&query).await.expect(200).clone();
        pages += 1;
        seen.extend(id_list(&page));
        match page.get("nextCursor").and_then(Value::as_str) {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ids);

    // count=0 gives only the total (RFC 7644); a negative count counts as 0.
    for count in ["0", "-3"] {
        let page = scim.get(&format!("/Users?count={count}")).await;
        assert_eq!(page.expect(200), &list_json(105, vec![]), "{count}");
    }
    scim.get("/Users?count=ten").await.assert_scim_error(
        400,
        Some("invalidValue"),
        "count must be an integer, not \"ten\".",
    );
    scim.get("/Users?cursor=nosuchuser")
        .await
        .assert_scim_error(
            400,
            Some("invalidValue"),
            "The cursor \"nosuchuser\" is not valid.",
        );
    scim.get("/Users?cursor=bad%20cursor")
        .await
        .assert_scim_error(
            400,
            Some("invalidValue"),
            "The cursor \"bad cursor\" is not valid.",
        );
}
