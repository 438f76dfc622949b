//! mock-okta driven by Okta's official Python SDK (PyPI `okta` 2.9.x), unmodified:
//! `tests/sdk/okta_python_sdk.py` sets up users, a group, an OIDC app with assignments, an
//! authorization server with scopes, a claim, a policy and a rule, rotates keys, pages through
//! 500+ users with the SDK's own `Link`-following pagination and reads the System Log; this
//! test checks its summary against what the API itself lists.
//!
//! Needs `python3` with the SDK (`pip install okta==2.9.13`). Without it the test prints a
//! note and passes, unless `CI` is set, where it fails.
//!
//! covers: [OKTA-API-1, OKTA-API-2, OKTA-DIR-1, OKTA-DIR-2, OKTA-APP-1, OKTA-AS-2, OKTA-AS-3, OKTA-AS-7, OKTA-API-4]

mod common;

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};

use common::id_of;

/// Whether `python3` can import the SDK; if not, why.
fn sdk_available() -> Result<(), String> {
    match Command::new("python3")
        .args(["-c", "import okta.client"])
        .output()
    {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(String::from_utf8_lossy(&out.stderr).trim().to_string()),
        Err(e) => Err(format!("python3 not runnable: {e}")),
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
async fn okta_api_2_the_official_python_sdk_sets_up_an_org_and_pages_500_users() {
    let available = tokio::task::spawn_blocking(sdk_available)
        .await
        .expect("the check runs");
    if !sim_testkit::tool::require(
        "okta_api_2_the_official_python_sdk_sets_up_an_org_and_pages_500_users",
        available.map_err(|why| format!("the Okta Python SDK is not importable: {why}")),
        "pip install okta==2.9.13",
    ) {
        return;
    }
    let okta = common::start().await;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/okta_python_sdk.py");
    let (url, token) = (okta.base(), okta.token());
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg(script)
            .arg(url)
            .arg(token)
            .output()
    })
    .await
    .expect("the SDK run is joined")
    .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the SDK script failed ({}):\n{stderr}\n{stdout}",
        out.status
    );
    let summary: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("the summary is JSON ({e}): {stdout}\n{stderr}"));

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
