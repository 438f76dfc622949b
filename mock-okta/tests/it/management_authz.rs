//! The Authorization Servers management API over HTTP: servers in Okta's shape (issuer
//! `{org}/oauth2/{id}`), scopes and claims, access policies and rules with Okta's defaults and
//! lifetime ranges, activation and deletion, key rotation (the previous key stays listed as
//! EXPIRED), and the sim's Token Preview (the token Okta would issue, or why not: no matching
//! policy or rule). Refusals change nothing.
//!
//! covers: [OKTA-AS-1, OKTA-AS-2, OKTA-AS-3, OKTA-AS-6, OKTA-AS-7, OKTA-API-1]

use crate::common;

use serde_json::{Value, json};

use common::{KIRO_SCOPES, Okta, T0, id_of, rule_body};

const AS: &str = "/api/v1/authorizationServers";

fn ids(list: &Value) -> Vec<String> {
    list.as_array().expect("a list").iter().map(id_of).collect()
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|v| v["name"].as_str().expect("a name").to_string())
        .collect()
}

async fn rules(okta: &Okta, as_id: &str, policy_id: &str) -> Value {
    okta.get(&format!("{AS}/{as_id}/policies/{policy_id}/rules"))
        .await
        .ok()
        .clone()
}

// covers: OKTA-API-6
#[tokio::test]
async fn okta_as_1_a_server_has_its_issuer_and_signing_credentials() {
    let okta = common::start().await;
    let server = okta.create_auth_server("kiro").await;
    let id = id_of(&server);
    assert_eq!(id.len(), 20);
    assert!(id.starts_with("aus"), "{id}");
    let base = okta.base();
    let keys = okta.get(&format!("{AS}/{id}/credentials/keys")).await;
    let active_kid = keys.ok()[0]["kid"].clone();
    let issuer = format!("{base}/oauth2/{id}");
    assert_eq!(
        server,
        json!({
            "id": id,
            "name": "kiro",
            "description": "kiro server",
            "audiences": ["api://kiro"],
            "issuer": issuer,
            "issuerMode": "ORG_URL",
            "status": "ACTIVE",
            "created": T0,
            "lastUpdated": T0,
            "credentials": { "signing": {
                "rotationMode": "AUTO",
                "lastRotated": T0,
                "nextRotation": "2026-04-01T00:00:00.000Z",
                "kid": active_kid,
                "use": "sig",
            } },
            "_links": {
                "scopes": { "href": format!("{base}{AS}/{id}/scopes") },
                "claims": { "href": format!("{base}{AS}/{id}/claims") },
                "policies": { "href": format!("{base}{AS}/{id}/policies") },
                "self": { "href": format!("{base}{AS}/{id}") },
                "metadata": [
                    { "href": format!("{issuer}/.well-known/openid-configuration") },
                    { "href": format!("{issuer}/.well-known/oauth-authorization-server") },
                ],
                "rotateKey": { "href": format!("{base}{AS}/{id}/credentials/lifecycle/keyRotate"), "method": "POST" },
                "keys": { "href": format!("{base}{AS}/{id}/credentials/keys") },
                "deactivate": { "href": format!("{base}{AS}/{id}/lifecycle/deactivate"), "method": "POST" },
            },
        })
    );
    assert_eq!(okta.get(&format!("{AS}/{id}")).await.ok(), &server);
    // Every org has the `default` server first (OKTA-AS-9).
    assert_eq!(ids(okta.get(AS).await.ok()), ["default", id.as_str()]);

    // Refusals: blank name and audiences, a duplicate name.
    let causes = okta
        .post(AS, json!({ "name": "", "audiences": [] }))
        .await
        .okta_error(
            400,
            "E0000001",
            "Api validation failed: authorizationServer",
        );
    assert_eq!(
        causes,
        [
            "name: The field cannot be left blank",
            "audiences: The field cannot be left blank"
        ]
    );
    let causes = okta
        .post(AS, json!({ "name": "KIRO", "audiences": ["api://x"] }))
        .await
        .okta_error(
            400,
            "E0000001",
            "Api validation failed: authorizationServer",
        );
    assert_eq!(
        causes,
        ["name: An authorization server with this name already exists"]
    );
    // Every org has the `default` server first (OKTA-AS-9).
    assert_eq!(ids(okta.get(AS).await.ok()), ["default", id.as_str()]);

    // PUT, lifecycle and delete (only when inactive).
    okta.advance("1m").await;
    let updated = okta
        .put(
            &format!("{AS}/{id}"),
            json!({ "name": "kiro-prod", "description": null, "audiences": ["api://kiro", "api://other"] }),
        )
        .await
        .ok()
        .clone();
    assert_eq!(updated["name"], "kiro-prod");
    assert_eq!(updated["audiences"], json!(["api://kiro", "api://other"]));
    assert_eq!(updated["issuer"], issuer.as_str());
    assert_eq!(updated["lastUpdated"], "2026-01-01T00:01:00.000Z");

    let causes = okta.delete(&format!("{AS}/{id}")).await.okta_error(
        400,
        "E0000001",
        "Api validation failed: status",
    );
    assert_eq!(
        causes,
        ["status: Authorization server must be deactivated before deletion"]
    );
    okta.post_empty(&format!("{AS}/{id}/lifecycle/deactivate"))
        .await
        .expect(204);
    assert_eq!(
        okta.get(&format!("{AS}/{id}")).await.ok()["status"],
        "INACTIVE"
    );
    okta.delete(&format!("{AS}/{id}")).await.expect(204);
    okta.get(&format!("{AS}/{id}")).await.okta_error(
        404,
        "E0000007",
        &format!("Not found: Resource not found: {id} (AuthorizationServer)"),
    );
    assert_eq!(ids(okta.get(AS).await.ok()), ["default"]);
}

#[tokio::test]
async fn okta_as_2_scopes_and_claims_are_created_listed_and_deleted() {
    let okta = common::start().await;
    let as_id = id_of(&okta.create_auth_server("kiro").await);
    let reply = okta
        .post(
            &format!("{AS}/{as_id}/scopes"),
            json!({
                "name": "codewhisperer:completions",
                "description": "Kiro completions",
                "consent": "IMPLICIT",
                "metadataPublish": "ALL_CLIENTS",
                "default": false,
                "displayName": "Completions",
            }),
        )
        .await;
    let scope = reply.expect(201).clone();
    let scope_id = id_of(&scope);
    assert_eq!(
        scope,
        json!({
            "id": scope_id,
            "name": "codewhisperer:completions",
            "displayName": "Completions",
            "description": "Kiro completions",
            "system": false,
            "metadataPublish": "ALL_CLIENTS",
            "consent": "IMPLICIT",
            "default": false,
            "optional": false,
            "_links": { "self": { "href": format!("{}{AS}/{as_id}/scopes/{scope_id}", okta.base()) } },
        })
    );
    let list = okta.get(&format!("{AS}/{as_id}/scopes")).await.ok().clone();
    assert_eq!(
        names(&list),
        [
            "openid",
            "profile",
            "email",
            "address",
            "phone",
            "offline_access",
            "device_sso",
            "codewhisperer:completions"
        ]
    );
    assert_eq!(list[0]["system"], true);
    assert_eq!(
        okta.get(&format!("{AS}/{as_id}/scopes/{scope_id}"))
            .await
            .ok(),
        &scope
    );

    // Refusals.
    let cases = [
        (
            json!({ "name": "codewhisperer:completions" }),
            "name",
            "name: A scope with this name already exists",
        ),
        (
            json!({ "name": "two words" }),
            "name",
            "name: The field is required and cannot contain spaces",
        ),
        (
            json!({ "name": "x", "consent": "MAYBE" }),
            "consent",
            "consent: must be IMPLICIT or REQUIRED",
        ),
        (
            json!({ "name": "x", "metadataPublish": "SOME" }),
            "metadataPublish",
            "metadataPublish: must be ALL_CLIENTS or NO_CLIENTS",
        ),
    ];
    for (body, field, cause) in cases {
        let causes = okta
            .post(&format!("{AS}/{as_id}/scopes"), body)
            .await
            .okta_error(400, "E0000001", &format!("Api validation failed: {field}"));
        assert_eq!(causes, [cause]);
    }
    let openid = id_of(&list[0]);
    let causes = okta
        .delete(&format!("{AS}/{as_id}/scopes/{openid}"))
        .await
        .okta_error(400, "E0000001", "Api validation failed: system");
    assert_eq!(causes, ["system: System scopes cannot be deleted"]);
    assert_eq!(okta.get(&format!("{AS}/{as_id}/scopes")).await.ok(), &list);

    okta.delete(&format!("{AS}/{as_id}/scopes/{scope_id}"))
        .await
        .expect(204);
    okta.get(&format!("{AS}/{as_id}/scopes/{scope_id}"))
        .await
        .okta_error(
            404,
            "E0000007",
            &format!("Not found: Resource not found: {scope_id} (OAuth2Scope)"),
        );

    // Claims.
    let claim = okta
        .post(
            &format!("{AS}/{as_id}/claims"),
            json!({
                "name": "email",
                "status": "ACTIVE",
                "claimType": "RESOURCE",
                "valueType": "EXPRESSION",
                "value": "user.email",
                "conditions": { "scopes": [] },
                "alwaysIncludeInToken": true,
            }),
        )
        .await
        .expect(201)
        .clone();
    let claim_id = id_of(&claim);
    assert_eq!(
        claim,
        json!({
            "id": claim_id,
            "name": "email",
            "status": "ACTIVE",
            "claimType": "RESOURCE",
            "valueType": "EXPRESSION",
            "value": "user.email",
            "alwaysIncludeInToken": true,
            "conditions": { "scopes": [] },
            "system": false,
            "_links": { "self": { "href": format!("{}{AS}/{as_id}/claims/{claim_id}", okta.base()) } },
        })
    );
    let groups_claim = okta
        .post(
            &format!("{AS}/{as_id}/claims"),
            json!({ "name": "groups", "claimType": "IDENTITY", "valueType": "GROUPS", "value": "Kiro",
                    "conditions": { "scopes": ["openid"] } }),
        )
        .await
        .expect(201)
        .clone();
    assert_eq!(groups_claim["group_filter_type"], "STARTS_WITH");
    assert_eq!(
        ids(okta.get(&format!("{AS}/{as_id}/claims")).await.ok()),
        [claim_id.clone(), id_of(&groups_claim)]
    );
    let causes = okta
        .post(
            &format!("{AS}/{as_id}/claims"),
            json!({ "name": "x", "claimType": "BOTH", "value": "user.login" }),
        )
        .await
        .okta_error(400, "E0000001", "Api validation failed: claimType");
    assert_eq!(causes, ["claimType: must be RESOURCE or IDENTITY"]);
    okta.post(
        &format!("{AS}/{as_id}/claims"),
        json!({ "name": "x", "claimType": "RESOURCE" }),
    )
    .await
    .okta_error(400, "E0000001", "Api validation failed: value");
    assert_eq!(
        okta.get(&format!("{AS}/{as_id}/claims"))
            .await
            .ok()
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert_eq!(
        okta.get(&format!("{AS}/{as_id}/claims/{claim_id}"))
            .await
            .ok(),
        &claim
    );
    okta.delete(&format!("{AS}/{as_id}/claims/{claim_id}"))
        .await
        .expect(204);
    okta.delete(&format!("{AS}/{as_id}/claims/{claim_id}"))
        .await
        .okta_error(
            404,
            "E0000007",
            &format!("Not found: Resource not found: {claim_id} (OAuth2Claim)"),
        );
}

#[tokio::test]
async fn okta_as_3_policies_and_rules_take_okta_s_defaults() {
    let okta = common::start().await;
    let app = okta.create_kiro_app("Kiro-OIDC").await;
    let as_id = id_of(&okta.create_auth_server("kiro").await);
    for scope in KIRO_SCOPES {
        okta.create_scope(&as_id, scope).await;
    }
    let policy = okta
        .post(
            &format!("{AS}/{as_id}/policies"),
            json!({
                "type": "OAUTH_AUTHORIZATION_POLICY",
                "status": "ACTIVE",
                "name": "Kiro",
                "description": "Kiro access",
                "priority": 1,
                "conditions": { "clients": { "include": [app] } },
            }),
        )
        .await
        .expect(201)
        .clone();
    let pid = id_of(&policy);
    assert!(pid.starts_with("00p"), "{pid}");
    let base = okta.base();
    assert_eq!(
        policy,
        json!({
            "type": "OAUTH_AUTHORIZATION_POLICY",
            "id": pid,
            "status": "ACTIVE",
            "name": "Kiro",
            "description": "Kiro access",
            "priority": 1,
            "system": false,
            "conditions": { "clients": { "include": [app] } },
            "created": T0,
            "lastUpdated": T0,
            "_links": {
                "self": { "href": format!("{base}{AS}/{as_id}/policies/{pid}") },
                "rules": { "href": format!("{base}{AS}/{as_id}/policies/{pid}/rules") },
                "deactivate": { "href": format!("{base}{AS}/{as_id}/policies/{pid}/lifecycle/deactivate"), "method": "POST" },
            },
        })
    );

    // A rule without lifetimes gets Okta's defaults: 60 min, unlimited, 7 days.
    let rule = okta
        .post(
            &format!("{AS}/{as_id}/policies/{pid}/rules"),
            rule_body(
                "Kiro rule",
                &["authorization_code", "refresh_token"],
                &["openid", "offline_access", "codewhisperer:completions"],
                json!({}),
            ),
        )
        .await
        .expect(201)
        .clone();
    let rid = id_of(&rule);
    assert!(rid.starts_with("0pr"), "{rid}");
    assert_eq!(
        rule,
        json!({
            "type": "RESOURCE_ACCESS",
            "id": rid,
            "status": "ACTIVE",
            "name": "Kiro rule",
            "priority": 1,
            "system": false,
            "created": T0,
            "lastUpdated": T0,
            "conditions": {
                "people": {
                    "users": { "include": [], "exclude": [] },
                    "groups": { "include": ["EVERYONE"], "exclude": [] },
                },
                "grantTypes": { "include": ["authorization_code", "refresh_token"] },
                "scopes": { "include": ["openid", "offline_access", "codewhisperer:completions"] },
            },
            "actions": { "token": {
                "accessTokenLifetimeMinutes": 60,
                "refreshTokenLifetimeMinutes": 0,
                "refreshTokenWindowMinutes": 10080,
            } },
            "_links": {
                "self": { "href": format!("{base}{AS}/{as_id}/policies/{pid}/rules/{rid}") },
                "deactivate": { "href": format!("{base}{AS}/{as_id}/policies/{pid}/rules/{rid}/lifecycle/deactivate"), "method": "POST" },
            },
        })
    );
    assert_eq!(
        okta.get(&format!("{AS}/{as_id}/policies/{pid}/rules/{rid}"))
            .await
            .ok(),
        &rule
    );
    assert_eq!(rules(&okta, &as_id, &pid).await, json!([rule.clone()]));

    // Policy refusals.
    let causes = okta
        .post(
            &format!("{AS}/{as_id}/policies"),
            json!({ "name": "Other", "conditions": { "clients": { "include": ["0oa00000000000missing"] } } }),
        )
        .await
        .okta_error(
            400,
            "E0000001",
            "Api validation failed: conditions.clients.include",
        );
    assert_eq!(
        causes,
        ["conditions.clients.include: Invalid client id: 0oa00000000000missing"]
    );
    okta.post(
        &format!("{AS}/{as_id}/policies"),
        json!({ "type": "OKTA_SIGN_ON", "name": "Other" }),
    )
    .await
    .okta_error(400, "E0000001", "Api validation failed: type");
    okta.post(&format!("{AS}/{as_id}/policies"), json!({ "name": "" }))
        .await
        .okta_error(400, "E0000001", "Api validation failed: name");
    assert_eq!(
        ids(okta.get(&format!("{AS}/{as_id}/policies")).await.ok()),
        [pid.as_str()]
    );

    // PUT policy, lifecycle.
    okta.advance("1m").await;
    let updated = okta
        .put(
            &format!("{AS}/{as_id}/policies/{pid}"),
            json!({ "type": "OAUTH_AUTHORIZATION_POLICY", "name": "Kiro (all)", "description": "everyone",
                    "priority": 1, "conditions": { "clients": { "include": ["ALL_CLIENTS"] } } }),
        )
        .await
        .ok()
        .clone();
    assert_eq!(updated["name"], "Kiro (all)");
    assert_eq!(
        updated["conditions"],
        json!({ "clients": { "include": ["ALL_CLIENTS"] } })
    );
    assert_eq!(updated["lastUpdated"], "2026-01-01T00:01:00.000Z");
    assert_eq!(updated["created"], T0);
    okta.post_empty(&format!("{AS}/{as_id}/policies/{pid}/lifecycle/deactivate"))
        .await
        .expect(204);
    assert_eq!(
        okta.get(&format!("{AS}/{as_id}/policies/{pid}")).await.ok()["status"],
        "INACTIVE"
    );
    okta.post_empty(&format!("{AS}/{as_id}/policies/{pid}/lifecycle/activate"))
        .await
        .expect(204);

    // PUT rule, lifecycle, delete.
    let replaced = okta
        .put(
            &format!("{AS}/{as_id}/policies/{pid}/rules/{rid}"),
            rule_body(
                "Kiro rule",
                &["authorization_code"],
                &["openid"],
                json!({ "accessTokenLifetimeMinutes": 5, "refreshTokenLifetimeMinutes": 60, "refreshTokenWindowMinutes": 60 }),
            ),
        )
        .await
        .ok()
        .clone();
    assert_eq!(
        replaced["actions"]["token"],
        json!({ "accessTokenLifetimeMinutes": 5, "refreshTokenLifetimeMinutes": 60, "refreshTokenWindowMinutes": 60 })
    );
    assert_eq!(replaced["id"], rid.as_str());
    assert_eq!(replaced["created"], T0);
    okta.post_empty(&format!(
        "{AS}/{as_id}/policies/{pid}/rules/{rid}/lifecycle/deactivate"
    ))
    .await
    .expect(204);
    let deactivated = okta
        .get(&format!("{AS}/{as_id}/policies/{pid}/rules/{rid}"))
        .await
        .ok()
        .clone();
    assert_eq!(deactivated["status"], "INACTIVE");
    assert_eq!(deactivated["actions"], replaced["actions"]);
    okta.delete(&format!("{AS}/{as_id}/policies/{pid}/rules/{rid}"))
        .await
        .expect(204);
    okta.get(&format!("{AS}/{as_id}/policies/{pid}/rules/{rid}"))
        .await
        .okta_error(
            404,
            "E0000007",
            &format!("Not found: Resource not found: {rid} (PolicyRule)"),
        );
    okta.delete(&format!("{AS}/{as_id}/policies/{pid}"))
        .await
        .expect(204);
    okta.get(&format!("{AS}/{as_id}/policies/{pid}"))
        .await
        .okta_error(
            404,
            "E0000007",
            &format!("Not found: Resource not found: {pid} (AuthorizationServerPolicy)"),
        );
}

#[tokio::test]
async fn okta_as_3_rule_lifetimes_outside_okta_s_ranges_are_refused() {
    let okta = common::start().await;
    let org = okta.kiro_org("ada@example.com").await;
    let path = format!("{AS}/{}/policies/{}/rules", org.as_id, org.policy_id);
    let before = rules(&okta, &org.as_id, &org.policy_id).await;
    let access = "actions.token.accessTokenLifetimeMinutes: Access token lifetime must be between 5 minutes and 1 day.";
    let refresh = "actions.token.refreshTokenLifetimeMinutes: Refresh token lifetime must be unlimited, or between the access token lifetime and 5 years.";
    let window = "actions.token.refreshTokenWindowMinutes: Refresh token window must be between 5 minutes and 5 years, and no longer than the refresh token lifetime.";
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!({ "accessTokenLifetimeMinutes": 4 }), vec![access]),
        (json!({ "accessTokenLifetimeMinutes": 1441 }), vec![access]),
        (json!({ "accessTokenLifetimeMinutes": -60 }), vec![access]),
        (
            json!({ "accessTokenLifetimeMinutes": 60, "refreshTokenLifetimeMinutes": 30 }),
            vec![refresh, window],
        ),
        (
            json!({ "refreshTokenLifetimeMinutes": 5 * 365 * 24 * 60 + 1 }),
            vec![refresh],
        ),
        (json!({ "refreshTokenWindowMinutes": 4 }), vec![window]),
        (
            json!({ "refreshTokenLifetimeMinutes": 120, "refreshTokenWindowMinutes": 121 }),
            vec![window],
        ),
    ];
    for (token, expected) in cases {
        let causes = okta
            .post(
                &path,
                rule_body("Bad", &["authorization_code"], &["openid"], token.clone()),
            )
            .await
            .okta_error(400, "E0000001", "Api validation failed: policyRule");
        assert_eq!(causes, expected, "{token}");
    }
    // Other rule refusals: no grant type, an unknown scope, group or type.
    let causes = okta
        .post(&path, rule_body("Bad", &[], &["nope:scope"], json!({})))
        .await
        .okta_error(400, "E0000001", "Api validation failed: policyRule");
    assert_eq!(
        causes,
        [
            "conditions.grantTypes.include: The field cannot be left blank",
            "conditions.scopes.include: Scope 'nope:scope' is not defined on this authorization server",
        ]
    );
    let mut body = rule_body("Bad", &["authorization_code"], &["openid"], json!({}));
    body["conditions"]["people"]["groups"]["include"] = json!(["00g0000000000missing"]);
    let causes = okta.post(&path, body).await.okta_error(
        400,
        "E0000001",
        "Api validation failed: policyRule",
    );
    assert_eq!(
        causes,
        ["conditions.people.groups.include: Invalid group id: 00g0000000000missing"]
    );
    let mut body = rule_body("Bad", &["authorization_code"], &["openid"], json!({}));
    body["type"] = json!("SIGN_ON");
    okta.post(&path, body)
        .await
        .okta_error(400, "E0000001", "Api validation failed: type");
    // A rule PUT with a bad range leaves the rule as it was.
    okta.put(
        &format!("{path}/{}", org.rule_id),
        rule_body(
            "Kiro rule",
            &["authorization_code"],
            &["openid"],
            json!({ "accessTokenLifetimeMinutes": 2000 }),
        ),
    )
    .await
    .okta_error(400, "E0000001", "Api validation failed: policyRule");
    assert_eq!(rules(&okta, &org.as_id, &org.policy_id).await, before);

    // The bounds themselves are fine.
    let edge = okta
        .post(
            &path,
            rule_body(
                "Edges",
                &["authorization_code"],
                &["openid"],
                json!({ "accessTokenLifetimeMinutes": 1440, "refreshTokenLifetimeMinutes": 1440,
                        "refreshTokenWindowMinutes": 1440 }),
            ),
        )
        .await;
    assert_eq!(edge.expect(201)["priority"], 1);
}

#[tokio::test]
async fn okta_as_6_token_preview_shows_the_token_okta_would_issue() {
    let okta = common::start().await;
    let org = okta.kiro_org("ada@example.com").await;
    okta.post(
        &format!("{AS}/{}/claims", org.as_id),
        json!({ "name": "email", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION",
                "value": "user.email", "conditions": { "scopes": [] }, "alwaysIncludeInToken": true }),
    )
    .await
    .expect(201);
    let reply = okta
        .post(
            &format!("{AS}/{}/tokenPreview", org.as_id),
            json!({
                "clientId": org.app_id,
                "grantType": "authorization_code",
                "userId": org.user_id,
                "scopes": ["openid", "offline_access", "codewhisperer:completions"],
            }),
        )
        .await;
    let body = reply.ok();
    assert_eq!(body["outcome"], "SUCCESS");
    let at = &body["access_token"];
    assert_eq!(at["iss"], org.issuer.as_str());
    assert!(!org.issuer.ends_with('/'));
    assert_eq!(
        at["scp"],
        json!(["openid", "offline_access", "codewhisperer:completions"])
    );
    assert_eq!(at["aud"], "api://kiro");
    assert_eq!(at["cid"], org.app_id.as_str());
    assert_eq!(at["uid"], org.user_id.as_str());
    assert_eq!(at["sub"], "ada@example.com");
    assert_eq!(at["email"], "ada@example.com");
    assert_eq!(at["ver"], 1);
    let lifetime = at["exp"].as_u64().expect("exp") - at["iat"].as_u64().expect("iat");
    assert_eq!(lifetime, 3600, "the rule's 60 minutes");
    let id_token = &body["id_token"];
    assert_eq!(id_token["iss"], org.issuer.as_str());
    assert_eq!(id_token["aud"], org.app_id.as_str());
    assert_eq!(id_token["sub"], org.user_id.as_str());
    assert_eq!(body["refresh_token"], true);

    // Without openid there is no ID token; without offline_access no refresh token.
    let reply = okta
        .post(
            &format!("{AS}/{}/tokenPreview", org.as_id),
            json!({ "clientId": org.app_id, "grantType": "authorization_code", "userId": org.user_id,
                    "scopes": ["codewhisperer:completions"] }),
        )
        .await;
    assert_eq!(reply.ok()["outcome"], "SUCCESS");
    assert_eq!(reply.ok()["id_token"], Value::Null);
    assert_eq!(reply.ok()["refresh_token"], false);

    // Preview changes nothing: no events are logged for it.
    let before = okta.get("/api/v1/logs?limit=1000").await.ok().clone();
    okta.post(
        &format!("{AS}/{}/tokenPreview", org.as_id),
        json!({ "clientId": org.app_id, "grantType": "authorization_code", "userId": org.user_id,
                "scopes": ["openid"] }),
    )
    .await
    .ok();
    assert_eq!(okta.get("/api/v1/logs?limit=1000").await.ok(), &before);

    // Bad requests and unknown servers are errors, not outcomes.
    okta.post(
        &format!("{AS}/{}/tokenPreview", org.as_id),
        json!({ "grantType": "authorization_code", "userId": org.user_id }),
    )
    .await
    .okta_error(400, "E0000001", "Api validation failed: clientId");
    okta.post(
        &format!("{AS}/aus00000000000missing/tokenPreview"),
        json!({ "clientId": org.app_id, "grantType": "authorization_code", "userId": org.user_id }),
    )
    .await
    .okta_error(
        404,
        "E0000007",
        "Not found: Resource not found: aus00000000000missing (AuthorizationServer)",
    );
}

#[tokio::test]
async fn okta_as_6_token_preview_explains_denials() {
    let okta = common::start().await;
    let org = okta.kiro_org("ada@example.com").await;
    let other_app = okta.create_kiro_app("Other").await;
    let stranger = okta.create_user("stranger@example.com").await;
    okta.assign_user(&other_app, &org.user_id).await;
    let preview = |client: &str, grant: &str, user: &str, scopes: Value| json!({ "clientId": client, "grantType": grant, "userId": user, "scopes": scopes });
    let denied =
        "Policy evaluation failed for this request, please check the policy configurations.";
    let cases = [
        // The policy is for the Kiro app only.
        (
            preview(
                &other_app,
                "authorization_code",
                &org.user_id,
                json!(["openid"]),
            ),
            json!({ "outcome": "FAILURE", "error": "access_denied", "error_description": denied,
                    "reason": "no_matching_policy" }),
        ),
        // The rule does not allow this grant type…
        (
            preview(
                &org.app_id,
                "client_credentials",
                &org.user_id,
                json!(["openid"]),
            ),
            json!({ "outcome": "FAILURE", "error": "access_denied", "error_description": denied,
                    "reason": "no_matching_rule" }),
        ),
        // …nor this scope.
        (
            preview(
                &org.app_id,
                "authorization_code",
                &org.user_id,
                json!(["openid", "phone"]),
            ),
            json!({ "outcome": "FAILURE", "error": "access_denied", "error_description": denied,
                    "reason": "no_matching_rule" }),
        ),
        // A scope the server does not define.
        (
            preview(
                &org.app_id,
                "authorization_code",
                &org.user_id,
                json!(["made:up"]),
            ),
            json!({ "outcome": "FAILURE", "error": "invalid_scope",
                    "error_description": "One or more scopes are not configured for the authorization server resource.",
                    "reason": "invalid_scope" }),
        ),
        // A user not assigned to the app.
        (
            preview(
                &org.app_id,
                "authorization_code",
                &stranger,
                json!(["openid"]),
            ),
            json!({ "outcome": "FAILURE", "error": "access_denied",
                    "error_description": "User is not assigned to the client application.",
                    "reason": "user_not_assigned" }),
        ),
    ];
    for (request, expected) in cases {
        let reply = okta
            .post(&format!("{AS}/{}/tokenPreview", org.as_id), request.clone())
            .await;
        assert_eq!(reply.ok(), &expected, "{request}");
    }

    // Deactivating the only rule leaves no matching rule; deactivating the policy, no policy.
    let path = format!("{AS}/{}/policies/{}", org.as_id, org.policy_id);
    let request = preview(
        &org.app_id,
        "authorization_code",
        &org.user_id,
        json!(["openid"]),
    );
    okta.post_empty(&format!(
        "{path}/rules/{}/lifecycle/deactivate",
        org.rule_id
    ))
    .await
    .expect(204);
    let reply = okta
        .post(&format!("{AS}/{}/tokenPreview", org.as_id), request.clone())
        .await;
    assert_eq!(reply.ok()["reason"], "no_matching_rule");
    okta.post_empty(&format!("{path}/lifecycle/deactivate"))
        .await
        .expect(204);
    let reply = okta
        .post(&format!("{AS}/{}/tokenPreview", org.as_id), request.clone())
        .await;
    assert_eq!(reply.ok()["reason"], "no_matching_policy");
}

#[tokio::test]
async fn okta_as_7_key_rotation_keeps_the_previous_key_listed_as_expired() {
    let okta = common::start().await;
    let as_id = id_of(&okta.create_auth_server("kiro").await);
    let keys = okta
        .get(&format!("{AS}/{as_id}/credentials/keys"))
        .await
        .ok()
        .clone();
    let statuses = |keys: &Value| -> Vec<(String, String)> {
        keys.as_array()
            .expect("a list")
            .iter()
            .map(|k| {
                (
                    k["kid"].as_str().expect("kid").to_string(),
                    k["status"].as_str().expect("status").to_string(),
                )
            })
            .collect()
    };
    let before = statuses(&keys);
    assert_eq!(
        before.iter().map(|(_, s)| s.as_str()).collect::<Vec<_>>(),
        ["ACTIVE", "NEXT"]
    );
    let key = &keys[0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["alg"], "RS256");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["e"], "AQAB");
    assert!(key["n"].as_str().is_some_and(|n| n.len() > 300));
    assert_eq!(
        key["_links"]["self"]["href"],
        format!(
            "{}{AS}/{as_id}/credentials/keys/{}",
            okta.base(),
            before[0].0
        )
    );

    okta.advance("1h").await;
    let rotated = okta
        .post(
            &format!("{AS}/{as_id}/credentials/lifecycle/keyRotate"),
            json!({ "use": "sig" }),
        )
        .await
        .ok()
        .clone();
    let after = statuses(&rotated);
    assert_eq!(after.len(), 3);
    assert_eq!(
        after[0],
        (before[0].0.clone(), "EXPIRED".to_string()),
        "the previous key stays published"
    );
    assert_eq!(after[1], (before[1].0.clone(), "ACTIVE".to_string()));
    assert_eq!(after[2].1, "NEXT");
    assert_eq!(
        okta.get(&format!("{AS}/{as_id}/credentials/keys"))
            .await
            .ok(),
        &rotated
    );
    let server = okta.get(&format!("{AS}/{as_id}")).await.ok().clone();
    assert_eq!(
        server["credentials"]["signing"]["kid"],
        before[1].0.as_str()
    );
    assert_eq!(
        server["credentials"]["signing"]["lastRotated"],
        "2026-01-01T01:00:00.000Z"
    );

    // A second rotation drops the oldest key.
    let again = okta
        .post(
            &format!("{AS}/{as_id}/credentials/lifecycle/keyRotate"),
            json!({ "use": "sig" }),
        )
        .await
        .ok()
        .clone();
    let again = statuses(&again);
    assert_eq!(again.len(), 3, "{again:?}");
    assert_eq!(
        again[..2]
            .iter()
            .map(|(k, s)| (k.as_str(), s.as_str()))
            .collect::<Vec<_>>(),
        [
            (before[1].0.as_str(), "EXPIRED"),
            (after[2].0.as_str(), "ACTIVE"),
        ]
    );
    // The new NEXT key is a key never published before.
    assert_eq!(again[2].1, "NEXT");
    assert!(
        before.iter().chain(&after).all(|(k, _)| *k != again[2].0),
        "{again:?} reuses a key of {before:?} / {after:?}"
    );

    // Refusals.
    let causes = okta
        .post(
            &format!("{AS}/{as_id}/credentials/lifecycle/keyRotate"),
            json!({ "use": "enc" }),
        )
        .await
        .okta_error(400, "E0000001", "Api validation failed: use");
    assert_eq!(causes, ["use: 'enc' is not a valid key use (sig)"]);
    okta.post(
        &format!("{AS}/aus00000000000missing/credentials/lifecycle/keyRotate"),
        json!({ "use": "sig" }),
    )
    .await
    .okta_error(
        404,
        "E0000007",
        "Not found: Resource not found: aus00000000000missing (AuthorizationServer)",
    );
    assert_eq!(
        statuses(
            okta.get(&format!("{AS}/{as_id}/credentials/keys"))
                .await
                .ok()
        ),
        again
    );
}

#[tokio::test]
async fn okta_as_3_a_rule_naming_a_deleted_group_can_still_be_turned_off_and_on() {
    let okta = common::start().await;
    let org = okta.kiro_org("ada@example.com").await;
    let group_id = okta.create_group("Kiro Developers").await;
    let path = format!("{AS}/{}/policies/{}/rules", org.as_id, org.policy_id);
    let mut body = rule_body("Devs", &["authorization_code"], &["openid"], json!({}));
    body["conditions"]["people"]["groups"]["include"] = json!([group_id]);
    let rule = okta.post(&path, body).await.expect(201).clone();
    let rid = id_of(&rule);
    okta.delete(&format!("/api/v1/groups/{group_id}"))
        .await
        .expect(204);
    // Toggling the status is not an update: nothing is validated again.
    okta.post_empty(&format!("{path}/{rid}/lifecycle/deactivate"))
        .await
        .expect(204);
    let off = okta.get(&format!("{path}/{rid}")).await.ok().clone();
    assert_eq!(off["status"], "INACTIVE");
    assert_eq!(off["conditions"], rule["conditions"]);
    okta.post_empty(&format!("{path}/{rid}/lifecycle/activate"))
        .await
        .expect(204);
    assert_eq!(
        okta.get(&format!("{path}/{rid}")).await.ok()["status"],
        "ACTIVE"
    );
}
