//! The console's governance settings over HTTP: approved models with an optional default, MCP
//! on/off with an optional registry URL, web tools and overages; the settings page also shows
//! the SCIM endpoint. Invalid settings are refused with an exact ValidationException and
//! change nothing.
//!
//! covers: [KIRO-GOV-1]

use crate::console_support;

use reqwest::Method;
use serde_json::json;

use console_support::world;

#[tokio::test]
async fn kiro_gov_1_settings_are_read_and_replaced() {
    let w = world().await;
    let profile = w.create_profile("Acme").await;
    let p = profile["profileId"].as_str().expect("id").to_string();
    let path = format!("/console/profiles/{p}/settings");
    let defaults = json!({
        "approvedModels": ["auto", "claude-sonnet-4.5", "claude-sonnet-4", "claude-haiku-4.5"],
        "defaultModel": "auto",
        "mcpEnabled": true,
        "mcpRegistryUrl": null,
        "webToolsEnabled": true,
        "overagesEnabled": false,
        "scimEndpoint": profile["scimEndpoint"],
    });
    assert_eq!(w.get(&path).await, defaults);

    let wanted = json!({
        "approvedModels": ["claude-haiku-4.5", "claude-sonnet-4"],
        "defaultModel": "claude-sonnet-4",
        "mcpEnabled": true,
        "mcpRegistryUrl": "https://mcp.acme.com/registry",
        "webToolsEnabled": false,
        "overagesEnabled": true,
    });
    let mut shown = wanted.clone();
    shown["scimEndpoint"] = profile["scimEndpoint"].clone();
    assert_eq!(w.call(Method::PUT, &path, Some(wanted)).await.ok(), &shown);
    assert_eq!(w.get(&path).await, shown);

    // What GET shows can be PUT back as is (the SCIM endpoint is read-only and ignored).
    assert_eq!(
        w.call(Method::PUT, &path, Some(shown.clone())).await.ok(),
        &shown
    );
    // No default model is fine.
    let mut no_default = shown.clone();
    no_default["defaultModel"] = json!(null);
    assert_eq!(
        w.call(Method::PUT, &path, Some(no_default.clone()))
            .await
            .ok(),
        &no_default
    );
}

#[tokio::test]
async fn kiro_gov_1_invalid_settings_are_refused_and_change_nothing() {
    let w = world().await;
    let p = w.create_profile("Acme").await["profileId"]
        .as_str()
        .expect("id")
        .to_string();
    let path = format!("/console/profiles/{p}/settings");
    let before = w.get(&path).await;
    let base = json!({
        "approvedModels": ["auto"],
        "defaultModel": "auto",
        "mcpEnabled": true,
        "mcpRegistryUrl": null,
        "webToolsEnabled": true,
        "overagesEnabled": false,
    });
    let with = |field: &str, value: serde_json::Value| {
        let mut body = base.clone();
        body[field] = value;
        body
    };
    let cases = [
        (
            with("approvedModels", json!(["auto", "gpt-5"])),
            "Unknown model gpt-5. Available models: auto, claude-sonnet-4.5, claude-sonnet-4, claude-haiku-4.5.",
        ),
        (
            with("approvedModels", json!([])),
            "At least one model must be approved.",
        ),
        (
            with("defaultModel", json!("claude-sonnet-4.5")),
            "The default model must be one of the approved models.",
        ),
        (
            with("mcpRegistryUrl", json!("mcp.acme.com/registry")),
            "The MCP registry URL must be an http(s) URL.",
        ),
    ];
    for (body, message) in cases {
        w.call(Method::PUT, &path, Some(body))
            .await
            .assert_aws_error(400, "ValidationException", message);
        assert_eq!(w.get(&path).await, before);
    }

    let mut missing = base.clone();
    missing
        .as_object_mut()
        .expect("object")
        .remove("overagesEnabled");
    let reply = w.call(Method::PUT, &path, Some(missing)).await;
    assert_eq!(
        (reply.status, &reply.body["__type"]),
        (400, &json!("ValidationException")),
        "{reply:?}"
    );
    assert_eq!(
        reply.body["message"].as_str().map(
            |m| m.starts_with("The request body is not valid: missing field `overagesEnabled`")
        ),
        Some(true),
        "{reply:?}"
    );
    let reply = w
        .call(Method::PUT, &path, Some(with("mcpEnabled", json!("yes"))))
        .await;
    assert_eq!(
        (reply.status, &reply.body["__type"]),
        (400, &json!("ValidationException")),
        "{reply:?}"
    );
    w.call(
        Method::PUT,
        "/console/profiles/NOPE/settings",
        Some(base.clone()),
    )
    .await
    .assert_aws_error(404, "ResourceNotFoundException", "Profile NOPE not found");
    w.call_as(
        Some("wrong"),
        Method::PUT,
        &path,
        Some(with("overagesEnabled", json!(true))),
    )
    .await
    .assert_aws_error(
        401,
        "UnauthorizedException",
        "The admin token is missing or invalid.",
    );
    assert_eq!(w.get(&path).await, before);
}
