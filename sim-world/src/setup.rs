//! The documented setup, applied to a running world through the services' admin APIs: every
//! step of both seed documents, so a trainee or a test starts from a working org
//! (`kiro-sim up --setup documented`).
//!
//! Okta: users Ada and Bob in a "Kiro Developers" group; the Kiro-OIDC native app (refresh
//! token grant, the Kiro redirect URIs) assigned to the group; a custom authorization server
//! with the two Kiro scopes and an access policy + rule. Kiro: a profile on that issuer and
//! client id, `example.com` verified by a TXT record published at the DNS provider, a SCIM
//! token. Okta again: the "AWS IAM Identity Center" catalog app with API integration to Kiro's
//! SCIM endpoint, Create Users and Update User Attributes on, `department` and
//! `employeeNumber` unmapped, the group assigned and pushed. Kiro: the pushed group subscribed
//! to Pro, so both users hold seats.

use serde_json::{Value, json};

use crate::World;
use crate::clients::{ClientError, field};

/// The company domain of the documented setup.
pub const DOMAIN: &str = "example.com";
/// The users' password.
pub const PASSWORD: &str = "Correct-Horse-9";
/// The users (login, first name, last name).
pub const USERS: [(&str, &str, &str); 2] = [
    ("ada@example.com", "Ada", "Lovelace"),
    ("bob@example.com", "Bob", "Builder"),
];

/// What the documented setup made: what a trainee or a test needs next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Documented {
    /// The authorization server's issuer.
    pub okta_issuer: String,
    /// The Kiro-OIDC app's client id.
    pub okta_oidc_client_id: String,
    /// The provisioning ("AWS IAM Identity Center") app's id.
    pub okta_scim_app_id: String,
    /// The Kiro profile's ARN.
    pub kiro_profile_arn: String,
    /// Kiro's SCIM endpoint.
    pub kiro_scim_url: String,
    /// The SCIM token Okta pushes with.
    pub kiro_scim_token: String,
    /// Users and their password.
    pub users: Vec<(String, String)>,
}

/// Applies the documented setup to `world`.
pub async fn documented(world: &World) -> Result<Documented, ClientError> {
    // The world's own setup: let through a sandbox's gate while it is closed.
    let c = world.clients().as_ref().clone().internal();
    let okta = &c.okta;
    let mut user_ids = Vec::new();
    for (login, first, last) in USERS {
        user_ids.push(okta.create_user(login, first, last, PASSWORD).await?);
    }
    let group = okta.create_group("Kiro Developers").await?;
    for user in &user_ids {
        okta.add_member(&group, user).await?;
    }

    // Step 1: the OIDC app; Step 2: scopes and the access policy.
    let client_id = okta.create_kiro_oidc_app("Kiro-OIDC").await?;
    okta.assign_group(&client_id, &group).await?;
    let server = okta.create_auth_server("Kiro", "api://kiro").await?;
    okta.add_scope(
        &server.id,
        "codewhisperer:completions",
        "Inline code completion in Kiro",
    )
    .await?;
    okta.add_scope(&server.id, "codewhisperer:conversations", "Chat in Kiro")
        .await?;
    okta.create_policy_with_rule(
        &server.id,
        "Kiro",
        &[&client_id],
        // "Leave the default values for all the fields except for Scopes requested": the
        // console's default grant types, and exactly the guide's three scopes.
        &["client_credentials", "authorization_code"],
        &[
            "codewhisperer:completions",
            "codewhisperer:conversations",
            "offline_access",
        ],
    )
    .await?;

    // Step 3: the Kiro profile, the verified domain, a SCIM token.
    let profile = c
        .kiro
        .create_profile("Example Corp", &server.issuer, &client_id)
        .await?;
    let (record, token) = c.kiro.add_domain(&profile.id, DOMAIN).await?;
    let zone = c.dns.zone(DOMAIN).await?;
    c.dns.create_txt(&zone, &record, &token).await?;
    c.kiro.verify_domain(&profile.id, DOMAIN).await?;
    let scim_token = c.kiro.create_scim_token(&profile.id).await?;
    // AWS's guidance: the Base URL goes in without the trailing slash.
    let scim_url = profile.scim_endpoint.trim_end_matches('/').to_string();

    // Step 4: the SCIM app from the catalog, API integration, features, mappings, push.
    let app = okta
        .api
        .request(&sim_api::okta::CreateScimApp { label: None })
        .await?;
    let scim_app = field(&app, "id", "/api/v1/apps")?;
    okta.api
        .request(&sim_api::okta::SetConnection {
            app: scim_app.clone(),
            base_url: scim_url.clone(),
            token: scim_token.clone(),
        })
        .await?;
    okta.api
        .request(&sim_api::okta::SetFeatures {
            app: scim_app.clone(),
            create_users: Some(true),
            update_attributes: Some(true),
            deactivate_users: Some(true),
        })
        .await?;
    let mappings = okta
        .api
        .get(&format!("/api/v1/mappings?targetId={scim_app}"))
        .await?;
    let mapping = mappings
        .get(0)
        .and_then(|m| m.get("id"))
        .and_then(Value::as_str)
        .ok_or(ClientError::Shape {
            path: "/api/v1/mappings".into(),
            field: "id",
        })?
        .to_string();
    okta.api
        .request(&sim_api::okta::SetMapping {
            mapping,
            properties: sim_api::okta::MappingProperties(vec![
                ("department".into(), None),
                ("employeeNumber".into(), None),
            ]),
        })
        .await?;
    okta.assign_group(&scim_app, &group).await?;
    let push = okta
        .api
        .request(&sim_api::okta::PushGroup {
            app: scim_app.clone(),
            group: group.clone(),
            active: None,
        })
        .await?;
    let push_id = field(&push, "id", "group-push/mappings")?;
    okta.api
        .post("/_sim/okta/provisioning/settle", json!({}))
        .await?;
    let pushed = okta
        .api
        .get(&format!(
            "/api/v1/apps/{scim_app}/group-push/mappings/{push_id}"
        ))
        .await?;
    let kiro_group = field(&pushed, "targetGroupId", "group-push/mappings")?;

    // Subscriptions: the pushed group to Pro, a seat for each member.
    c.kiro
        .subscribe(&profile.id, "GROUP", &kiro_group, "PRO")
        .await?;

    Ok(Documented {
        okta_issuer: server.issuer,
        okta_oidc_client_id: client_id,
        okta_scim_app_id: scim_app,
        kiro_profile_arn: profile.arn,
        kiro_scim_url: scim_url,
        kiro_scim_token: scim_token,
        users: USERS
            .iter()
            .map(|(login, _, _)| (login.to_string(), PASSWORD.to_string()))
            .collect(),
    })
}

impl Documented {
    /// The fields `kiro-sim up --setup documented` adds to its ready line.
    pub fn ready_fields(&self) -> serde_json::Map<String, Value> {
        let mut fields = serde_json::Map::new();
        fields.insert("kiro_scim_url".into(), self.kiro_scim_url.clone().into());
        fields.insert(
            "kiro_scim_token".into(),
            self.kiro_scim_token.clone().into(),
        );
        fields.insert(
            "kiro_profile_arn".into(),
            self.kiro_profile_arn.clone().into(),
        );
        fields.insert(
            "okta_oidc_client_id".into(),
            self.okta_oidc_client_id.clone().into(),
        );
        fields.insert("okta_issuer".into(), self.okta_issuer.clone().into());
        fields.insert(
            "users".into(),
            self.users
                .iter()
                .map(|(login, password)| json!({ "login": login, "password": password }))
                .collect(),
        );
        fields
    }
}
