//! The Kiro console's API (AWS JSON shapes, BEHAVIOURS.md KIRO-PRO-*, KIRO-DOM-*,
//! KIRO-TOK-*, KIRO-SUB-*, KIRO-GOV-*): the bodies mock-kiro parses, and the admin actions
//! scenario files, the typed clients and the property tests make.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{AdminRequest, HttpRequest, optional_text, text};

/// The loopback ports the Kiro IDE listens on for the sign-in redirect, in the order it tries
/// them (OKTA-APP-2: the OIDC app registers each).
pub const LOOPBACK_PORTS: [u16; 10] = [
    3128, 4649, 6588, 8008, 9091, 49153, 50153, 51153, 52153, 53153,
];

/// The redirect URIs Kiro's OIDC app registers: the `kiro://` callback and one per
/// loopback port.
pub fn redirect_uris() -> Vec<String> {
    let mut uris = vec!["kiro://kiro.oauth/callback".to_string()];
    uris.extend(
        LOOPBACK_PORTS
            .iter()
            .map(|port| format!("http://localhost:{port}/oauth/callback")),
    );
    uris
}

// ---- bodies, as the server parses them -----------------------------------------------------

/// `POST /console/profiles`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateProfileBody {
    /// The profile's name.
    pub profile_name: String,
    /// The Okta authorization server's issuer.
    pub issuer_url: String,
    /// The Kiro-OIDC app's client id.
    pub client_id: String,
}

/// `POST /console/profiles/{id}/domains`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddDomainBody {
    /// The domain (`example.com`).
    pub domain_name: String,
}

/// `POST /console/profiles/{id}/subscriptions`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribeBody {
    /// `USER` or `GROUP`.
    pub principal_type: String,
    /// The Kiro (SCIM) id of the user or group.
    pub principal_id: String,
    /// `PRO`, `PRO_PLUS` or `POWER`.
    pub tier: String,
}

/// `PUT /console/profiles/{id}/subscriptions/users/{userId}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangeTierBody {
    /// The new tier.
    pub tier: String,
}

/// `PUT /_sim/kiro/sync-delay`: exactly one of `delay` (fixed) or `max` (seeded, up to).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncDelayBody {
    /// A fixed delay (`0s`, `8h`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<String>,
    /// A seeded delay of at most this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<String>,
}

// ---- admin actions ---------------------------------------------------------------------------

/// `/console/profiles/{profile}`.
fn profile(id: &str) -> String {
    format!("/console/profiles/{id}")
}

/// `kiro.create_profile: {name, issuer, client_id}` (KIRO-PRO-1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateProfile {
    /// The profile's name.
    #[serde(deserialize_with = "text")]
    pub name: String,
    /// The issuer URL.
    #[serde(deserialize_with = "text")]
    pub issuer: String,
    /// The client id.
    #[serde(deserialize_with = "text")]
    pub client_id: String,
}

impl AdminRequest for CreateProfile {
    const ACTION: &'static str = "create_profile";

    fn request(&self) -> HttpRequest {
        let body = CreateProfileBody {
            profile_name: self.name.clone(),
            issuer_url: self.issuer.clone(),
            client_id: self.client_id.clone(),
        };
        HttpRequest::new("POST", "/console/profiles".into(), HttpRequest::json(&body))
    }
}

/// `kiro.delete_profile: {profile}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteProfile {
    /// The profile id.
    #[serde(deserialize_with = "text")]
    pub profile: String,
}

impl AdminRequest for DeleteProfile {
    const ACTION: &'static str = "delete_profile";

    fn request(&self) -> HttpRequest {
        HttpRequest::new("DELETE", profile(&self.profile), None)
    }
}

/// `kiro.add_domain: {profile, domain}` (KIRO-DOM-1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddDomain {
    /// The profile id.
    #[serde(deserialize_with = "text")]
    pub profile: String,
    /// The domain.
    #[serde(deserialize_with = "text")]
    pub domain: String,
}

impl AdminRequest for AddDomain {
    const ACTION: &'static str = "add_domain";

    fn request(&self) -> HttpRequest {
        let body = AddDomainBody {
            domain_name: self.domain.clone(),
        };
        HttpRequest::new(
            "POST",
            format!("{}/domains", profile(&self.profile)),
            HttpRequest::json(&body),
        )
    }
}

/// `kiro.get_domain: {profile, domain}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetDomain {
    /// The profile id.
    #[serde(deserialize_with = "text")]
    pub profile: String,
    /// The domain.
    #[serde(deserialize_with = "text")]
    pub domain: String,
}

impl AdminRequest for GetDomain {
    const ACTION: &'static str = "get_domain";

    fn request(&self) -> HttpRequest {
        HttpRequest::new(
            "GET",
            format!("{}/domains/{}", profile(&self.profile), self.domain),
            None,
        )
    }
}

/// `kiro.verify_domain: {profile, domain}` (KIRO-DOM-2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyDomain {
    /// The profile id.
    #[serde(deserialize_with = "text")]
    pub profile: String,
    /// The domain.
    #[serde(deserialize_with = "text")]
    pub domain: String,
}

impl AdminRequest for VerifyDomain {
    const ACTION: &'static str = "verify_domain";

    fn request(&self) -> HttpRequest {
        HttpRequest::new(
            "POST",
            format!("{}/domains/{}/verify", profile(&self.profile), self.domain),
            Some(json!({})),
        )
    }
}

/// `kiro.create_scim_token: {profile}` (KIRO-TOK-1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateScimToken {
    /// The profile id.
    #[serde(deserialize_with = "text")]
    pub profile: String,
}

impl AdminRequest for CreateScimToken {
    const ACTION: &'static str = "create_scim_token";

    fn request(&self) -> HttpRequest {
        HttpRequest::new(
            "POST",
            format!("{}/scim-tokens", profile(&self.profile)),
            Some(json!({})),
        )
    }
}

/// `kiro.list_scim_tokens: {profile}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListScimTokens {
    /// The profile id.
    #[serde(deserialize_with = "text")]
    pub profile: String,
}

impl AdminRequest for ListScimTokens {
    const ACTION: &'static str = "list_scim_tokens";

    fn request(&self) -> HttpRequest {
        HttpRequest::new(
            "GET",
            format!("{}/scim-tokens", profile(&self.profile)),
            None,
        )
    }
}

/// `kiro.revoke_scim_token: {profile, token_id}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeScimToken {
    /// The profile id.
    #[serde(deserialize_with = "text")]
    pub profile: String,
    /// The token's id (not its secret).
    #[serde(deserialize_with = "text")]
    pub token_id: String,
}

impl AdminRequest for RevokeScimToken {
    const ACTION: &'static str = "revoke_scim_token";

    fn request(&self) -> HttpRequest {
        HttpRequest::new(
            "DELETE",
            format!("{}/scim-tokens/{}", profile(&self.profile), self.token_id),
            None,
        )
    }
}

/// `kiro.subscribe: {profile, tier, user | group}` (KIRO-SUB-1): a group when `group` is
/// given, else the user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subscribe {
    /// The profile id.
    #[serde(deserialize_with = "text")]
    pub profile: String,
    /// The tier.
    #[serde(deserialize_with = "text")]
    pub tier: String,
    /// The Kiro user id.
    #[serde(
        default,
        deserialize_with = "optional_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub user: Option<String>,
    /// The Kiro group id.
    #[serde(
        default,
        deserialize_with = "optional_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub group: Option<String>,
}

impl AdminRequest for Subscribe {
    const ACTION: &'static str = "subscribe";

    fn request(&self) -> HttpRequest {
        let (principal_type, principal_id) = match &self.group {
            Some(group) => ("GROUP", group.clone()),
            None => ("USER", self.user.clone().unwrap_or_default()),
        };
        let body = SubscribeBody {
            principal_type: principal_type.into(),
            principal_id,
            tier: self.tier.clone(),
        };
        HttpRequest::new(
            "POST",
            format!("{}/subscriptions", profile(&self.profile)),
            HttpRequest::json(&body),
        )
    }
}

/// `kiro.subscriptions: {profile}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subscriptions {
    /// The profile id.
    #[serde(deserialize_with = "text")]
    pub profile: String,
}

impl AdminRequest for Subscriptions {
    const ACTION: &'static str = "subscriptions";

    fn request(&self) -> HttpRequest {
        HttpRequest::new(
            "GET",
            format!("{}/subscriptions", profile(&self.profile)),
            None,
        )
    }
}

/// `kiro.change_tier: {profile, user, tier}` (KIRO-SUB-4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeTier {
    /// The profile id.
    #[serde(deserialize_with = "text")]
    pub profile: String,
    /// The Kiro user id.
    #[serde(deserialize_with = "text")]
    pub user: String,
    /// The new tier.
    #[serde(deserialize_with = "text")]
    pub tier: String,
}

impl AdminRequest for ChangeTier {
    const ACTION: &'static str = "change_tier";

    fn request(&self) -> HttpRequest {
        let body = ChangeTierBody {
            tier: self.tier.clone(),
        };
        HttpRequest::new(
            "PUT",
            format!(
                "{}/subscriptions/users/{}",
                profile(&self.profile),
                self.user
            ),
            HttpRequest::json(&body),
        )
    }
}

/// `kiro.unsubscribe_user: {profile, user}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnsubscribeUser {
    /// The profile id.
    #[serde(deserialize_with = "text")]
    pub profile: String,
    /// The Kiro user id.
    #[serde(deserialize_with = "text")]
    pub user: String,
}

impl AdminRequest for UnsubscribeUser {
    const ACTION: &'static str = "unsubscribe_user";

    fn request(&self) -> HttpRequest {
        HttpRequest::new(
            "DELETE",
            format!(
                "{}/subscriptions/users/{}",
                profile(&self.profile),
                self.user
            ),
            None,
        )
    }
}

/// `kiro.unsubscribe_group: {profile, group}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnsubscribeGroup {
    /// The profile id.
    #[serde(deserialize_with = "text")]
    pub profile: String,
    /// The Kiro group id.
    #[serde(deserialize_with = "text")]
    pub group: String,
}

impl AdminRequest for UnsubscribeGroup {
    const ACTION: &'static str = "unsubscribe_group";

    fn request(&self) -> HttpRequest {
        HttpRequest::new(
            "DELETE",
            format!(
                "{}/subscriptions/groups/{}",
                profile(&self.profile),
                self.group
            ),
            None,
        )
    }
}

/// `kiro.delete_seat: {profile, user}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteSeat {
    /// The profile id.
    #[serde(deserialize_with = "text")]
    pub profile: String,
    /// The Kiro user id.
    #[serde(deserialize_with = "text")]
    pub user: String,
}

impl AdminRequest for DeleteSeat {
    const ACTION: &'static str = "delete_seat";

    fn request(&self) -> HttpRequest {
        HttpRequest::new(
            "DELETE",
            format!("{}/seats/{}", profile(&self.profile), self.user),
            None,
        )
    }
}

/// `kiro.settings: {profile, set?}` (KIRO-GOV-1): reads the governance settings, or replaces
/// them with `set` (mock-kiro's settings document, passed as given).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The profile id.
    #[serde(deserialize_with = "text")]
    pub profile: String,
    /// The new settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<Value>,
}

impl AdminRequest for Settings {
    const ACTION: &'static str = "settings";

    fn request(&self) -> HttpRequest {
        let path = format!("{}/settings", profile(&self.profile));
        match &self.set {
            Some(settings) => HttpRequest::new("PUT", path, Some(settings.clone())),
            None => HttpRequest::new("GET", path, None),
        }
    }
}

/// `kiro.sync_delay: {delay}`: `PUT /_sim/kiro/sync-delay` with a fixed delay.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetSyncDelay {
    /// The delay (`0s`, `8h`).
    #[serde(deserialize_with = "text")]
    pub delay: String,
}

impl AdminRequest for SetSyncDelay {
    const ACTION: &'static str = "sync_delay";

    fn request(&self) -> HttpRequest {
        let body = SyncDelayBody {
            delay: Some(self.delay.clone()),
            max: None,
        };
        HttpRequest::new(
            "PUT",
            "/_sim/kiro/sync-delay".into(),
            HttpRequest::json(&body),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_args as args;

    #[test]
    fn a_scenario_step_becomes_the_body_the_server_parses() {
        let step = CreateProfile::from_args(&args(json!({
            "name": "Example", "issuer": "https://okta.test/oauth2/aus1", "client_id": "0oa1",
        })))
        .expect("valid");
        let request = step.request();
        assert_eq!(
            (request.method, request.path.as_str()),
            ("POST", "/console/profiles")
        );
        let parsed: CreateProfileBody =
            serde_json::from_value(request.body.expect("a body")).expect("the server parses it");
        assert_eq!(parsed.issuer_url, "https://okta.test/oauth2/aus1");
        assert_eq!(parsed.client_id, "0oa1");
    }

    #[test]
    fn a_group_subscription_names_the_group() {
        let step = Subscribe::from_args(&args(json!({
            "profile": "p1", "tier": "PRO", "group": "g1",
        })))
        .expect("valid");
        let body: SubscribeBody =
            serde_json::from_value(step.request().body.expect("a body")).expect("parses");
        assert_eq!(
            (body.principal_type.as_str(), body.principal_id.as_str()),
            ("GROUP", "g1")
        );
        let user =
            Subscribe::from_args(&args(json!({ "profile": "p1", "tier": "PRO", "user": 7 })))
                .expect("valid");
        let body: SubscribeBody =
            serde_json::from_value(user.request().body.expect("a body")).expect("parses");
        assert_eq!(
            (body.principal_type.as_str(), body.principal_id.as_str()),
            ("USER", "7")
        );
    }

    #[test]
    fn settings_read_without_set_and_replace_with_it() {
        let read = Settings::from_args(&args(json!({ "profile": "p1" }))).expect("valid");
        assert_eq!(read.request().method, "GET");
        let write = Settings::from_args(&args(json!({ "profile": "p1", "set": { "a": 1 } })))
            .expect("valid");
        let request = write.request();
        assert_eq!(
            (request.method, request.body),
            ("PUT", Some(json!({ "a": 1 })))
        );
    }
}
