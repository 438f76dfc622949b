//! mock-okta driven by Okta's official SDKs, unmodified, each in its own environment:
//!
//! - Python `okta` 2.9.x (`tests/sdk/okta_python_sdk.py`): users, a group, an OIDC app with
//!   assignments, an authorization server with scopes, a claim, a policy and a rule, key
//!   rotation, 500+ users paged with the SDK's `Link`-following pagination, the System Log.
//! - Python `okta` 3.x (`tests/sdk/okta3_python_sdk.py`) and Node `@okta/okta-sdk-nodejs` 8.x
//!   (`tests/sdk/okta_node_sdk.js`): every management API area mock-okta implements — users
//!   with paging and lifecycle, groups and members, an OIDC app with lifecycle and assignments,
//!   an authorization server with lifecycle, scopes, claims, a policy and rules (replace,
//!   lifecycle, delete), keys and rotation, the System Log (paged and filtered).
//!
//! Each script prints a JSON summary that the test checks against what the API itself lists.
//!
//! Where the packages come from (see `.ci/run`): the Python SDKs from a venv per
//! version, `$KIRO_SIM_PYENV/okta-{version}` or `target/pyenv/okta-{version}` (2.9.13 also from
//! a `python3` that imports it); the Node SDK from `$KIRO_SIM_NODE_CLIENTS/node_modules` or
//! `target/node-clients/node_modules`, installed with `npm ci` from `clients/node/`'s lock file.
//! Without a package the test prints one `skipped: install …` line and passes, unless `CI` is
//! set, where it fails.
//!
//! covers: [OKTA-API-1, OKTA-API-2, OKTA-API-4, OKTA-DIR-1, OKTA-DIR-2, OKTA-APP-1, OKTA-AS-2, OKTA-AS-3, OKTA-AS-7]

use crate::common;
use crate::sdk_support;

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};

use common::{Okta, id_of};
use sdk_support::{
    node_modules_with, pinned_node_package, python_with_okta, run_json, script, skip,
};

/// The Python SDK 3.x version the tests pin.
const OKTA_PY3: &str = "3.4.6";
/// The Python SDK 2.x version the tests pin.
const OKTA_PY2: &str = "2.9.13";
/// The Node management SDK.
const NODE_SDK: &str = "@okta/okta-sdk-nodejs";

/// Runs `program script url token` (with `NODE_PATH` when given) and parses its JSON summary.
async fn run_script(
    okta: &Okta,
    program: PathBuf,
    name: &str,
    node_path: Option<PathBuf>,
) -> Value {
    let mut command = Command::new(program);
    command.arg(script(name)).arg(okta.base()).arg(okta.token());
    if let Some(path) = node_path {
        command.env("NODE_PATH", path);
    }
    tokio::task::spawn_blocking(move || run_json(command))
        .await
        .expect("the SDK run is joined")
}

/// The venv's Python with `okta=={version}`, or `None` once the test is skipped.
async fn python_or_skip(version: &'static str) -> Option<PathBuf> {
    let found = tokio::task::spawn_blocking(move || python_with_okta(version))
        .await
        .expect("the check runs");
    match found {
        Ok(python) => Some(python),
        Err(why) => {
            skip(&format!("okta=={version}"), &why);
            None
        }
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|s| s.as_str().expect("a string").to_string())
        .collect()
}

#[tokio::test]
async fn okta_api_2_the_python_sdk_2_9_sets_up_an_org_and_pages_500_users() {
    let Some(python) = python_or_skip(OKTA_PY2).await else {
        return;
    };
    let okta = common::start().await;
    let summary = run_script(&okta, python, "okta_python_sdk.py", None).await;

    // Users and lifecycle.
    let ada = summary["ada"]["id"].as_str().expect("ada's id").to_string();
    assert_eq!(
        summary["ada"],
        json!({ "id": ada, "status": "ACTIVE", "login": "ada@example.com", "created": common::T0 })
    );
    assert_eq!(summary["bob_status_created"], "STAGED");
    assert_eq!(summary["bob_status_activated"], "ACTIVE");
    assert_eq!(summary["get_by_login_id"], ada.as_str());
    let api_ada = okta.get(&format!("/api/v1/users/{ada}")).await;
    assert_eq!(api_ada.ok()["status"], "ACTIVE");

    // Group, app and assignments as the API lists them.
    let group = summary["group"]["id"]
        .as_str()
        .expect("group id")
        .to_string();
    assert_eq!(summary["group"]["members"], json!([ada]));
    let app = summary["app"]["id"].as_str().expect("app id").to_string();
    assert_eq!(summary["app"]["type"], "OpenIdConnectApplication");
    assert_eq!(summary["app"]["client_id"], app.as_str());
    assert_eq!(summary["app"]["auth_method"], "none");
    assert_eq!(summary["app"]["status"], "ACTIVE");
    assert_eq!(
        strings(&summary["app"]["redirect_uris"]),
        common::KIRO_REDIRECT_URIS
    );
    let api_app_users: Vec<Value> = okta
        .get(&format!("/api/v1/apps/{app}/users"))
        .await
        .ok()
        .as_array()
        .expect("a list")
        .iter()
        .map(|u| json!([u["id"], u["scope"]]))
        .collect();
    assert_eq!(summary["app_users"], Value::Array(api_app_users));
    assert_eq!(summary["app_users"][1], json!([ada, "GROUP"]));
    assert_eq!(summary["app_groups"], json!([group]));
    assert_eq!(summary["apps"], json!([app]));

    // Authorization server.
    let server = summary["server"]["id"]
        .as_str()
        .expect("server id")
        .to_string();
    assert_eq!(
        summary["server"]["issuer"],
        format!("{}/oauth2/{server}", okta.base())
    );
    assert_eq!(summary["server"]["issuer_mode"], "ORG_URL");
    assert_eq!(
        strings(&summary["scopes"])[7..],
        ["codewhisperer:completions", "codewhisperer:conversations"]
    );
    assert_eq!(summary["claims"], json!(["email"]));
    assert_eq!(summary["rule"]["access_minutes"], 60);
    assert_eq!(summary["rule"]["window_minutes"], 10080);
    assert_eq!(summary["policies"][0][1], json!([app]));
    assert_eq!(summary["rules"], json!([summary["rule"]["id"]]));
    let before = &summary["keys_before"];
    let after = &summary["keys_after"];
    assert_eq!(before[0][1], "ACTIVE");
    assert_eq!(before[1][1], "NEXT");
    assert_eq!(after[0], json!([before[0][0], "EXPIRED"]));
    assert_eq!(after[1], json!([before[1][0], "ACTIVE"]));
    assert_eq!(after[2][1], "NEXT");
    assert_eq!(summary["server"]["kid"], before[0][0]);

    // 502 users paged by the SDK (3 pages of 200), exactly the API's own list.
    let paged = strings(&summary["users_paged"]);
    assert_eq!(paged.len(), 502);
    assert_eq!(summary["user_pages"], 3);
    let (api_users, _) = okta.list_all("/api/v1/users?limit=200").await;
    assert_eq!(paged, api_users.iter().map(id_of).collect::<Vec<_>>());
    let unique: std::collections::HashSet<&String> = paged.iter().collect();
    assert_eq!(unique.len(), 502);
    assert_eq!(summary["search_lovelace"], json!([ada]));

    // The System Log, paged by the SDK, matches the API's.
    let (api_events, api_pages) = okta.list_all("/api/v1/logs?limit=100").await;
    assert_eq!(summary["log_events"], api_events.len());
    assert_eq!(summary["log_pages"], api_pages);
    assert_eq!(
        summary["first_events"],
        json!([
            "user.lifecycle.create",
            "user.lifecycle.activate",
            "user.lifecycle.create",
            "user.lifecycle.activate"
        ])
    );
}

/// Checks the summary shared by the Python 3.x and Node scripts against the API's own view.
async fn check_full_summary(okta: &Okta, s: &Value) {
    // Users and lifecycle.
    let ada = s["ada"]["id"].as_str().expect("ada's id").to_string();
    assert_eq!(
        s["ada"],
        json!({ "id": ada, "status": "ACTIVE", "login": "ada@example.com" })
    );
    assert_eq!(
        [
            &s["bob_created"],
            &s["bob_activated"],
            &s["bob_suspended"],
            &s["bob_unsuspended"]
        ],
        ["STAGED", "ACTIVE", "SUSPENDED", "ACTIVE"]
    );
    assert_eq!(s["by_login"], ada.as_str());
    assert_eq!(s["ada_nick"], "Countess");
    assert_eq!(s["ada_last_after_update"], "Lovelace", "a partial update");
    let api_ada = okta.get(&format!("/api/v1/users/{ada}")).await;
    assert_eq!(api_ada.ok()["profile"]["nickName"], "Countess");
    assert_eq!(s["carl_deactivated"], "DEPROVISIONED");
    let bob = s["bob_assignment"][0]
        .as_str()
        .expect("bob's id")
        .to_string();
    let api_bob = okta.get(&format!("/api/v1/users/{bob}")).await;
    assert_eq!(api_bob.ok()["status"], "ACTIVE");

    // Groups and members.
    let group = s["group"]["id"].as_str().expect("group id").to_string();
    assert_eq!(
        s["group"],
        json!({ "id": group, "name": "Kiro users", "members": [ada], "ada_groups": ["Kiro users"] })
    );
    let members = okta.get(&format!("/api/v1/groups/{group}/users")).await;
    assert_eq!(
        members
            .ok()
            .as_array()
            .expect("a list")
            .iter()
            .map(id_of)
            .collect::<Vec<_>>(),
        std::slice::from_ref(&ada)
    );
    assert_eq!(
        s["groups"],
        json!(["Kiro users"]),
        "the spare group is deleted"
    );
    assert_eq!(
        okta.get("/api/v1/groups")
            .await
            .ok()
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // The OIDC app and its assignments.
    let app = s["app"]["id"].as_str().expect("app id").to_string();
    assert_eq!(s["app"]["type"], "OpenIdConnectApplication");
    assert_eq!(s["app"]["client_id"], app.as_str());
    assert_eq!(s["app"]["auth_method"], "none");
    assert_eq!(s["app"]["status"], "ACTIVE");
    assert_eq!(
        strings(&s["app"]["redirect_uris"]),
        common::KIRO_REDIRECT_URIS
    );
    assert_eq!(s["app_deactivated"], "INACTIVE");
    assert_eq!(s["app_activated"], "ACTIVE");
    assert_eq!(s["bob_assignment"], json!([bob, "USER"]));
    assert_eq!(s["group_assignment"], group.as_str());
    assert_eq!(s["app_users"], json!([[bob, "USER"], [ada, "GROUP"]]));
    assert_eq!(s["bob_app_user"], "USER");
    assert_eq!(s["app_groups"], json!([group]));
    let api_app_users: Vec<Value> = okta
        .get(&format!("/api/v1/apps/{app}/users"))
        .await
        .ok()
        .as_array()
        .expect("a list")
        .iter()
        .map(|u| json!([u["id"], u["scope"]]))
        .collect();
    assert_eq!(s["app_users_after"], Value::Array(api_app_users));
    assert_eq!(s["app_users_after"], json!([[ada, "GROUP"]]));
    assert_eq!(s["apps"], json!([app]));

    // The authorization server, its scopes, claims, policy and rules.
    let server = s["server"]["id"].as_str().expect("server id").to_string();
    let base = format!("/api/v1/authorizationServers/{server}");
    assert_eq!(
        s["server"]["issuer"],
        format!("{}/oauth2/{server}", okta.base())
    );
    assert_eq!(s["server"]["issuer_mode"], "ORG_URL");
    assert_eq!(s["server"]["audiences"], json!(["api://kiro"]));
    assert_eq!(s["server_get"], "kiro");
    // Every org has the `default` server first (OKTA-AS-9).
    assert_eq!(s["servers"], json!(["default", server]));
    assert_eq!(s["server_inactive"], "INACTIVE");
    assert_eq!(s["server_active"], "ACTIVE");
    assert_eq!(s["spare_scope"], "spare:scope");
    let scopes = strings(&s["scopes"]);
    assert_eq!(
        scopes.len(),
        9,
        "7 system scopes and the 2 Kiro scopes: {scopes:?}"
    );
    assert_eq!(scopes[7..], common::KIRO_SCOPES);
    let api_scopes: Vec<Value> = okta
        .get(&format!("{base}/scopes"))
        .await
        .ok()
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v["name"].clone())
        .collect();
    assert_eq!(s["scopes"], Value::Array(api_scopes));
    assert_eq!(
        s["claim"],
        json!({ "name": "email", "value": "user.email", "type": "RESOURCE" })
    );
    assert_eq!(s["spare_claim"], "user.login");
    assert_eq!(s["claims"], json!(["email"]));
    let policy = s["policy"]["id"].as_str().expect("policy id").to_string();
    assert_eq!(s["policy"]["clients"], json!([app]));
    assert_eq!(s["policy_description"], "Kiro access, replaced");
    assert_eq!(s["policy_inactive"], "INACTIVE");
    assert_eq!(s["policies"], json!([[policy, "ACTIVE"]]));
    let rule = s["rule"]["id"].as_str().expect("rule id").to_string();
    assert_eq!(
        s["rule"],
        json!({ "id": rule, "name": "Kiro rule", "access_minutes": 60, "window_minutes": 10080,
                "scopes": ["offline_access", "codewhisperer:completions", "codewhisperer:conversations"] })
    );
    assert_eq!(s["rule_access_replaced"], 30);
    assert_eq!(s["rule_inactive"], "INACTIVE");
    assert_eq!(
        s["rules"],
        json!([[rule, "ACTIVE"]]),
        "the extra rule is deleted"
    );
    let api_rule = okta
        .get(&format!("{base}/policies/{policy}/rules/{rule}"))
        .await;
    assert_eq!(
        api_rule.ok()["actions"]["token"]["accessTokenLifetimeMinutes"],
        30
    );

    // Keys and rotation.
    let before = &s["keys_before"];
    let after = &s["keys_after"];
    assert_eq!(before[0][1], "ACTIVE");
    assert_eq!(before[1][1], "NEXT");
    assert_eq!(after[0], json!([before[0][0], "EXPIRED"]));
    assert_eq!(after[1], json!([before[1][0], "ACTIVE"]));
    assert_eq!(after[2][1], "NEXT");
    assert_eq!(s["server"]["kid"], before[0][0]);
    let api_keys: Vec<Value> = okta
        .get(&format!("{base}/credentials/keys"))
        .await
        .ok()
        .as_array()
        .expect("a list")
        .iter()
        .map(|k| json!([k["kid"], k["status"]]))
        .collect();
    assert_eq!(*after, Value::Array(api_keys));

    // 252 users paged by the SDK, exactly the API's own list.
    let paged = strings(&s["users_paged"]);
    assert_eq!(paged.len(), 252);
    let (api_users, _) = okta.list_all("/api/v1/users?limit=200").await;
    assert_eq!(paged, api_users.iter().map(id_of).collect::<Vec<_>>());
    assert_eq!(s["search_lovelace"], json!([ada]));

    // The System Log.
    let (api_events, _) = okta.list_all("/api/v1/logs?limit=100").await;
    assert_eq!(s["log_events"], api_events.len());
    assert_eq!(
        s["first_events"],
        json!(["user.lifecycle.create", "user.lifecycle.activate"])
    );
    assert_eq!(
        s["membership_events"],
        json!([
            ["group.user_membership.add", ada],
            ["group.user_membership.add", bob]
        ])
    );
}

// covers: OKTA-API-5, OKTA-API-6
#[tokio::test]
async fn okta_api_1_the_python_sdk_3_covers_every_management_area() {
    let Some(python) = python_or_skip(OKTA_PY3).await else {
        return;
    };
    let okta = common::start().await;
    let s = run_script(&okta, python, "okta3_python_sdk.py", None).await;
    check_full_summary(&okta, &s).await;
    // What only the Python script reports: Okta's status codes for deletes, memberships and
    // lifecycle (204), the 404 for a deleted user, and the pages it walked.
    for key in [
        "carl_delete_status",
        "group_member_add",
        "spare_delete",
        "unassign_bob",
        "server_deactivate",
        "spare_scope_delete",
        "spare_claim_delete",
        "extra_rule_delete",
    ] {
        assert_eq!(s[key], 204, "{key}");
    }
    assert_eq!(s["carl_after_delete"], "E0000007");
    assert_eq!(s["user_pages"], 3, "252 users at 100 a page");
    let (_, api_pages) = okta.list_all("/api/v1/logs?limit=100").await;
    assert_eq!(s["log_pages"], api_pages);
}

// covers: OKTA-API-10, OKTA-TOK-11
/// okta 3.4.6 in PrivateKey mode, unmodified: a service app with `private_key_jwt`, granted
/// `okta.users.read`, lists users with a scoped token from the org authorization server and is
/// refused (403 E0000006) when it creates one. The SDK signs its assertion with the wall clock,
/// so the org starts at now.
#[tokio::test]
async fn okta_api_10_the_python_sdk_3_authenticates_in_private_key_mode() {
    let Some(python) = python_or_skip(OKTA_PY3).await else {
        return;
    };
    let okta = common::start_with(mock_okta::Config {
        clock: sim_core::Clock::new(sim_core::ClockMode::Virtual, sim_core::clock::wall_epoch()),
        ..mock_okta::Config::default()
    })
    .await;
    let key = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sim-core/keys/dev-rsa-0.pem");
    let mut command = Command::new(python);
    command
        .arg(script("okta3_private_key.py"))
        .arg(okta.base())
        .arg(okta.token())
        .arg(key);
    let s = tokio::task::spawn_blocking(move || run_json(command))
        .await
        .expect("the SDK run is joined");
    assert_eq!(s["list_error"], Value::Null, "{s}");
    assert_eq!(s["logins"], json!(["ada@example.com"]), "{s}");
    assert_eq!(s["create_status"], 403, "{s}");
    assert!(
        s["create_error"]
            .as_str()
            .is_some_and(|e| e.contains("E0000006")),
        "{s}"
    );
    // Nothing was created by the refused call.
    let (users, _) = okta.list_all("/api/v1/users").await;
    assert_eq!(users.len(), 1, "only Ada: {users:?}");
}

#[tokio::test]
async fn okta_api_1_the_node_sdk_8_covers_every_management_area() {
    let version = pinned_node_package(NODE_SDK);
    let lookup = version.clone();
    let modules = match tokio::task::spawn_blocking(move || node_modules_with(NODE_SDK, &lookup))
        .await
        .expect("the check runs")
    {
        Ok(modules) => modules,
        Err(why) => return skip(&format!("{NODE_SDK}@{version}"), &why),
    };
    let okta = common::start().await;
    let s = run_script(
        &okta,
        PathBuf::from("node"),
        "okta_node_sdk.js",
        Some(modules),
    )
    .await;
    check_full_summary(&okta, &s).await;
    assert_eq!(s["carl_after_delete"], json!([404, "E0000007"]));
}
