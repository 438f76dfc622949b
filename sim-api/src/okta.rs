//! Okta's management API (BEHAVIOURS.md OKTA-API-*, OKTA-APP-*): the bodies mock-okta parses
//! and the admin actions scenario files, the typed clients and the property tests make: the
//! directory (users, groups, memberships), apps and their assignments, authorization servers
//! (scopes, policies, rules, Token Preview, key rotation), the System Log, and provisioning's
//! catalog app, connection, To App features, attribute mappings and group push mappings.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::{AdminRequest, HttpRequest, optional_text, text};

// ---- bodies, as the server parses them -----------------------------------------------------

/// `POST /api/v1/users`, `POST /api/v1/users/{id}`: `{profile, credentials: {password:
/// {value}}, groupIds}`, every part optional (the server checks the profile).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserBody {
    /// Profile attributes (`login`, `email`, `firstName`, `lastName`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Map<String, Value>>,
    /// The password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<UserCredentials>,
    /// Groups to add the new user to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_ids: Option<Vec<String>>,
}

impl UserBody {
    /// `credentials.password.value`, if given.
    pub fn password(&self) -> Option<String> {
        self.credentials
            .as_ref()
            .and_then(|c| c.password.as_ref())
            .and_then(|p| p.value.clone())
    }
}

/// `credentials` of a user.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UserCredentials {
    /// `{value}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Password>,
}

/// `{value}` of a password.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Password {
    /// The password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// `POST /api/v1/groups`, `PUT /api/v1/groups/{id}`: `{profile: {name, description}}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupBody {
    /// The profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<GroupProfile>,
}

impl GroupBody {
    /// `(name, description)`, either absent.
    pub fn parts(self) -> (Option<String>, Option<String>) {
        let profile = self.profile.unwrap_or_default();
        (profile.name, profile.description)
    }
}

/// A group's profile.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupProfile {
    /// The name (required by the server on create).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `POST /api/v1/apps/{id}/users[/{uid}]`: `{id, scope}` (`scope` must be `USER`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AssignBody {
    /// The user (the path names it in `…/users/{uid}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `USER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// `POST /api/v1/apps`, `PUT /api/v1/apps/{id}`: an OIDC app (`signOnMode: OPENID_CONNECT`)
/// or a catalog app by `name` (`amazon_aws_sso`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppBody {
    /// `oidc_client`, or a catalog app's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// `OPENID_CONNECT`, `SAML_2_0`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_on_mode: Option<String>,
    /// Client credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<AppCredentials>,
    /// Settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<AppSettings>,
}

/// `credentials` of an app.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppCredentials {
    /// `oauthClient`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_client: Option<OauthClientCredentials>,
}

/// `credentials.oauthClient`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OauthClientCredentials {
    /// `none`, `client_secret_basic`, `client_secret_post`, `private_key_jwt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_method: Option<String>,
}

/// `settings` of an app.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppSettings {
    /// `oauthClient`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_client: Option<OauthClientSettings>,
    /// A catalog app's own settings (`acsURL`, `entityID` for AWS IAM Identity Center).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<Map<String, Value>>,
}

/// `settings.oauthClient`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OauthClientSettings {
    /// Redirect URIs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uris: Option<Vec<String>>,
    /// Sign-out redirect URIs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_logout_redirect_uris: Option<Vec<String>>,
    /// `code`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_types: Option<Vec<String>>,
    /// `authorization_code`, `refresh_token`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_types: Option<Vec<String>>,
    /// `native`, `web`, `browser`, `service`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_type: Option<String>,
    /// Refresh token rotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<RefreshTokenSettings>,
    /// `{"keys": [JWK, …]}`: the public keys of a `private_key_jwt` client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<Jwks>,
}

/// `{"keys": [JWK, …]}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Jwks {
    /// The keys.
    #[serde(default)]
    pub keys: Vec<Value>,
}

/// `settings.oauthClient.refresh_token`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RefreshTokenSettings {
    /// `STATIC` or `ROTATE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_type: Option<String>,
    /// Seconds a rotated token stays usable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leeway: Option<u64>,
}

/// `POST /api/v1/authorizationServers` (and `PUT …/{id}`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerBody {
    /// The name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The audiences (`api://kiro`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audiences: Option<Vec<String>>,
}

/// `POST …/credentials/lifecycle/keyRotate`: `{"use": "sig"}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RotateBody {
    /// `sig`.
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
}

/// `POST …/scopes` (and `PUT …/scopes/{id}`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeBody {
    /// The scope (`codewhisperer:completions`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `IMPLICIT`, `REQUIRED`, `FLEXIBLE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<String>,
    /// `ALL_CLIENTS` or `NO_CLIENTS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_publish: Option<String>,
    /// Granted when a client asks for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<bool>,
}

/// `{"include": […]}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Include {
    /// The ids or names included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include: Option<Vec<String>>,
}

impl Include {
    /// `Some(list)`.
    pub fn of(list: Vec<String>) -> Option<Include> {
        Some(Include {
            include: Some(list),
        })
    }

    /// The list, empty when absent.
    pub fn list(include: Option<Include>) -> Vec<String> {
        include.and_then(|i| i.include).unwrap_or_default()
    }
}

/// `POST …/policies` (and `PUT …/policies/{id}`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PolicyBody {
    /// `OAUTH_AUTHORIZATION_POLICY`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `ACTIVE` or `INACTIVE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The priority (1 first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
    /// `{clients: {include}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<PolicyConditions>,
}

/// A policy's conditions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PolicyConditions {
    /// The client ids it applies to (`ALL_CLIENTS` for any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clients: Option<Include>,
}

/// `POST …/policies/{id}/rules` (and `PUT …/rules/{id}`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleBody {
    /// `RESOURCE_ACCESS`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `ACTIVE` or `INACTIVE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
    /// People, grant types, scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<RuleConditions>,
    /// Token lifetimes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<RuleActions>,
}

/// A rule's conditions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleConditions {
    /// Users and groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub people: Option<People>,
    /// Grant types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_types: Option<Include>,
    /// Scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Include>,
}

/// `people` of a rule.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct People {
    /// User ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<Include>,
    /// Group ids (`EVERYONE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Include>,
}

/// `actions` of a rule.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleActions {
    /// Token lifetimes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenActions>,
}

/// Lifetimes as signed numbers, so a negative one is a range error (E0000001), not a
/// malformed body.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenActions {
    /// Access token lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_lifetime_minutes: Option<i64>,
    /// Refresh token lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_lifetime_minutes: Option<i64>,
    /// Refresh token idle window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_window_minutes: Option<i64>,
}

/// `POST …/tokenPreview` (Token Preview).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewBody {
    /// The client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The grant type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_type: Option<String>,
    /// The scopes asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
}

/// `POST /api/v1/apps/{id}/connections/default[?activate=true]` (and its `/test`): the SCIM
/// base URL and the API token ("Configure API integration").
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionBody {
    /// The SCIM base URL, without a trailing slash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// `{authScheme: TOKEN, token}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<ConnectionProfile>,
}

/// `profile` of a connection.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionProfile {
    /// `TOKEN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_scheme: Option<String>,
    /// The API token (never shown back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// `POST /api/v1/apps/{id}/group-push/mappings` (and `PATCH …/{mappingId}`, `status` only).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushBody {
    /// The Okta group pushed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_group_id: Option<String>,
    /// A new downstream group's name other than the source's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_group_name: Option<String>,
    /// An existing downstream group to link to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_group_id: Option<String>,
    /// `ACTIVE` or `INACTIVE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// `PUT /api/v1/apps/{id}/features/USER_PROVISIONING`: the `capabilities` object of To App,
/// `{create: {lifecycleCreate: {status}}, update: {profile: {status}, lifecycleDeactivate:
/// {status}}}`, every part optional (a part left out is left as it is). Other parts
/// (`update.password`) are accepted and ignored. A part that is no object is no
/// `FeaturesBody`: the server reads such bodies by hand, as Okta ignores them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeaturesBody {
    /// "Create Users".
    #[serde(
        default,
        deserialize_with = "object",
        skip_serializing_if = "Option::is_none"
    )]
    pub create: Option<CreateCapabilities>,
    /// "Update User Attributes" and "Deactivate Users".
    #[serde(
        default,
        deserialize_with = "object",
        skip_serializing_if = "Option::is_none"
    )]
    pub update: Option<UpdateCapabilities>,
}

/// `create` of the To App capabilities.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateCapabilities {
    /// "Create Users".
    #[serde(
        default,
        deserialize_with = "object",
        skip_serializing_if = "Option::is_none"
    )]
    pub lifecycle_create: Option<Capability>,
}

/// `update` of the To App capabilities.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateCapabilities {
    /// "Update User Attributes".
    #[serde(
        default,
        deserialize_with = "object",
        skip_serializing_if = "Option::is_none"
    )]
    pub profile: Option<Capability>,
    /// "Deactivate Users".
    #[serde(
        default,
        deserialize_with = "object",
        skip_serializing_if = "Option::is_none"
    )]
    pub lifecycle_deactivate: Option<Capability>,
}

/// `{status: ENABLED | DISABLED}` (a `null` status is no `Capability`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Capability {
    /// Left as it is when absent.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub status: Option<FeatureStatus>,
}

/// `ENABLED` or `DISABLED`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FeatureStatus {
    /// On.
    Enabled,
    /// Off.
    Disabled,
}

impl FeatureStatus {
    /// `ENABLED` for true.
    pub fn of(enabled: bool) -> FeatureStatus {
        if enabled {
            FeatureStatus::Enabled
        } else {
            FeatureStatus::Disabled
        }
    }

    /// True for `ENABLED`.
    pub fn enabled(self) -> bool {
        self == FeatureStatus::Enabled
    }
}

impl Capability {
    fn of(enabled: Option<bool>) -> Option<Capability> {
        enabled.map(|e| Capability {
            status: Some(FeatureStatus::of(e)),
        })
    }

    fn enabled(capability: Option<&Capability>) -> Option<bool> {
        capability
            .and_then(|c| c.status)
            .map(FeatureStatus::enabled)
    }
}

impl FeaturesBody {
    /// The body setting the features given (`None`: left as it is).
    pub fn new(
        create_users: Option<bool>,
        update_attributes: Option<bool>,
        deactivate_users: Option<bool>,
    ) -> FeaturesBody {
        let create = Capability::of(create_users).map(|c| CreateCapabilities {
            lifecycle_create: Some(c),
        });
        let update = (update_attributes.is_some() || deactivate_users.is_some()).then(|| {
            UpdateCapabilities {
                profile: Capability::of(update_attributes),
                lifecycle_deactivate: Capability::of(deactivate_users),
            }
        });
        FeaturesBody { create, update }
    }

    /// "Create Users", if set.
    pub fn create_users(&self) -> Option<bool> {
        Capability::enabled(
            self.create
                .as_ref()
                .and_then(|c| c.lifecycle_create.as_ref()),
        )
    }

    /// "Update User Attributes", if set.
    pub fn update_attributes(&self) -> Option<bool> {
        Capability::enabled(self.update.as_ref().and_then(|u| u.profile.as_ref()))
    }

    /// "Deactivate Users", if set.
    pub fn deactivate_users(&self) -> Option<bool> {
        Capability::enabled(
            self.update
                .as_ref()
                .and_then(|u| u.lifecycle_deactivate.as_ref()),
        )
    }
}

/// `POST /api/v1/mappings/{id}` (Okta's Profile Mappings API): `{properties: {attr:
/// {expression, pushStatus?} | null}}`, a property set to `null` removed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MappingBody {
    /// The changed properties, in the order given.
    pub properties: MappingProperties,
}

/// The `properties` of a mapping change: each app-user attribute with its new mapping, or
/// `None` to remove it, in the order given (a JSON object on the wire).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MappingProperties(pub Vec<(String, Option<MappingProperty>)>);

/// One attribute's mapping: the Okta Expression Language expression, and whether it is
/// pushed (`PUSH` unless given).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MappingProperty {
    /// `user.firstName`, …
    pub expression: String,
    /// `PUSH` or `DONT_PUSH`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_status: Option<MappingPush>,
}

/// `PUSH` or `DONT_PUSH`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MappingPush {
    /// Applied on create and update.
    Push,
    /// Not pushed.
    DontPush,
}

impl Serialize for MappingProperties {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, property) in &self.0 {
            map.serialize_entry(name, property)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for MappingProperties {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Properties;
        impl<'de> serde::de::Visitor<'de> for Properties {
            type Value = MappingProperties;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of property mappings")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<MappingProperties, A::Error> {
                let mut out = Vec::new();
                while let Some((name, value)) =
                    map.next_entry::<String, Option<Map<String, Value>>>()?
                {
                    let property = match value {
                        None => None,
                        Some(m) => Some(
                            MappingProperty::deserialize(Value::Object(m))
                                .map_err(serde::de::Error::custom)?,
                        ),
                    };
                    out.push((name, property));
                }
                Ok(MappingProperties(out))
            }
        }
        d.deserialize_map(Properties)
    }
}

/// A part that must be a JSON object (or `null`, or absent): an array is not taken for a
/// struct, as serde would, since the server's walk reads no fields in one.
fn object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    match Option::<Map<String, Value>>::deserialize(d)? {
        None => Ok(None),
        Some(m) => T::deserialize(Value::Object(m))
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

/// A value that may be absent (`#[serde(default)]`) but not `null`.
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

// ---- admin actions ---------------------------------------------------------------------------

/// `okta.create_user: {login, first, last, password?, activate?, email?}`: `POST
/// /api/v1/users?activate=…` (activated unless `activate: false`; the email is the login
/// unless given).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// The login.
    #[serde(deserialize_with = "text")]
    pub login: String,
    /// First name.
    #[serde(deserialize_with = "text")]
    pub first: String,
    /// Last name.
    #[serde(deserialize_with = "text")]
    pub last: String,
    /// A password, if any.
    #[serde(
        default,
        deserialize_with = "optional_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub password: Option<String>,
    /// Activate now (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activate: Option<bool>,
    /// The email, if not the login.
    #[serde(
        default,
        deserialize_with = "optional_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub email: Option<String>,
}

impl AdminRequest for CreateUser {
    const ACTION: &'static str = "create_user";

    fn request(&self) -> HttpRequest {
        let mut profile = Map::new();
        profile.insert("firstName".into(), json!(self.first));
        profile.insert("lastName".into(), json!(self.last));
        profile.insert(
            "email".into(),
            json!(self.email.clone().unwrap_or_else(|| self.login.clone())),
        );
        profile.insert("login".into(), json!(self.login));
        let body = UserBody {
            profile: Some(profile),
            credentials: self.password.as_ref().map(|value| UserCredentials {
                password: Some(Password {
                    value: Some(value.clone()),
                }),
            }),
            group_ids: None,
        };
        HttpRequest::new(
            "POST",
            format!("/api/v1/users?activate={}", self.activate.unwrap_or(true)),
            HttpRequest::json(&body),
        )
    }
}

/// `okta.update_user: {user, profile}`: `POST /api/v1/users/{user}` (a partial profile
/// update).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    /// The user id.
    #[serde(deserialize_with = "text")]
    pub user: String,
    /// The attributes to change.
    pub profile: Map<String, Value>,
}

impl AdminRequest for UpdateUser {
    const ACTION: &'static str = "update_user";

    fn request(&self) -> HttpRequest {
        let body = UserBody {
            profile: Some(self.profile.clone()),
            ..UserBody::default()
        };
        HttpRequest::new(
            "POST",
            format!("/api/v1/users/{}", self.user),
            HttpRequest::json(&body),
        )
    }
}

/// `okta.create_group: {name, description?}`: `POST /api/v1/groups`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateGroup {
    /// The name.
    #[serde(deserialize_with = "text")]
    pub name: String,
    /// The description.
    #[serde(
        default,
        deserialize_with = "optional_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
}

impl AdminRequest for CreateGroup {
    const ACTION: &'static str = "create_group";

    fn request(&self) -> HttpRequest {
        let body = GroupBody {
            profile: Some(GroupProfile {
                name: Some(self.name.clone()),
                description: self.description.clone(),
            }),
        };
        HttpRequest::new("POST", "/api/v1/groups".into(), HttpRequest::json(&body))
    }
}

/// `okta.assign_user: {app, user}`: `POST /api/v1/apps/{app}/users` `{id, scope: USER}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignUser {
    /// The app id.
    #[serde(deserialize_with = "text")]
    pub app: String,
    /// The user id.
    #[serde(deserialize_with = "text")]
    pub user: String,
}

impl AdminRequest for AssignUser {
    const ACTION: &'static str = "assign_user";

    fn request(&self) -> HttpRequest {
        let body = AssignBody {
            id: Some(self.user.clone()),
            scope: Some("USER".into()),
        };
        HttpRequest::new(
            "POST",
            format!("/api/v1/apps/{}/users", self.app),
            HttpRequest::json(&body),
        )
    }
}

/// `okta.create_oidc_app: {label, refresh_token?, redirect_uris?}`: Kiro's native OIDC app
/// (public client, code grant plus refresh unless `refresh_token: false`, Kiro's redirect
/// URIs unless given; OKTA-APP-1, OKTA-APP-2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateOidcApp {
    /// The label (`Kiro-OIDC`).
    #[serde(deserialize_with = "text")]
    pub label: String,
    /// With the refresh-token grant (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<bool>,
    /// Redirect URIs other than Kiro's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uris: Option<Vec<String>>,
}

impl AdminRequest for CreateOidcApp {
    const ACTION: &'static str = "create_oidc_app";

    fn request(&self) -> HttpRequest {
        let mut grants = vec!["authorization_code".to_string()];
        if self.refresh_token.unwrap_or(true) {
            grants.push("refresh_token".into());
        }
        let body = AppBody {
            name: Some("oidc_client".into()),
            label: Some(self.label.clone()),
            sign_on_mode: Some("OPENID_CONNECT".into()),
            credentials: Some(AppCredentials {
                oauth_client: Some(OauthClientCredentials {
                    token_endpoint_auth_method: Some("none".into()),
                }),
            }),
            settings: Some(AppSettings {
                oauth_client: Some(OauthClientSettings {
                    redirect_uris: Some(
                        self.redirect_uris
                            .clone()
                            .unwrap_or_else(crate::kiro::redirect_uris),
                    ),
                    response_types: Some(vec!["code".into()]),
                    grant_types: Some(grants),
                    application_type: Some("native".into()),
                    ..OauthClientSettings::default()
                }),
                app: None,
            }),
        };
        HttpRequest::new("POST", "/api/v1/apps".into(), HttpRequest::json(&body))
    }
}

/// `okta.create_auth_server: {name, audience?}` (audience `api://kiro` unless given; the
/// description is the name).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateAuthServer {
    /// The name.
    #[serde(deserialize_with = "text")]
    pub name: String,
    /// The audience.
    #[serde(
        default,
        deserialize_with = "optional_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub audience: Option<String>,
}

impl AdminRequest for CreateAuthServer {
    const ACTION: &'static str = "create_auth_server";

    fn request(&self) -> HttpRequest {
        let body = ServerBody {
            name: Some(self.name.clone()),
            description: Some(self.name.clone()),
            audiences: Some(vec![
                self.audience.clone().unwrap_or_else(|| "api://kiro".into()),
            ]),
        };
        HttpRequest::new(
            "POST",
            "/api/v1/authorizationServers".into(),
            HttpRequest::json(&body),
        )
    }
}

/// `okta.add_scope: {server, name, consent?}` (consent `IMPLICIT` unless given, published to
/// all clients).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddScope {
    /// The authorization server id.
    #[serde(deserialize_with = "text")]
    pub server: String,
    /// The scope.
    #[serde(deserialize_with = "text")]
    pub name: String,
    /// The consent.
    #[serde(
        default,
        deserialize_with = "optional_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub consent: Option<String>,
}

impl AdminRequest for AddScope {
    const ACTION: &'static str = "add_scope";

    fn request(&self) -> HttpRequest {
        let body = ScopeBody {
            name: Some(self.name.clone()),
            description: Some(self.name.clone()),
            consent: Some(self.consent.clone().unwrap_or_else(|| "IMPLICIT".into())),
            metadata_publish: Some("ALL_CLIENTS".into()),
            ..ScopeBody::default()
        };
        HttpRequest::new(
            "POST",
            format!("/api/v1/authorizationServers/{}/scopes", self.server),
            HttpRequest::json(&body),
        )
    }
}

/// `okta.create_policy: {server, name, clients, priority?}`: an active access policy for
/// these clients (priority 1 unless given).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePolicy {
    /// The authorization server id.
    #[serde(deserialize_with = "text")]
    pub server: String,
    /// The name (and description).
    #[serde(deserialize_with = "text")]
    pub name: String,
    /// Client ids.
    pub clients: Vec<String>,
    /// The priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
}

impl AdminRequest for CreatePolicy {
    const ACTION: &'static str = "create_policy";

    fn request(&self) -> HttpRequest {
        let body = PolicyBody {
            kind: Some("OAUTH_AUTHORIZATION_POLICY".into()),
            status: Some("ACTIVE".into()),
            name: Some(self.name.clone()),
            description: Some(self.name.clone()),
            priority: Some(self.priority.unwrap_or(1)),
            conditions: Some(PolicyConditions {
                clients: Include::of(self.clients.clone()),
            }),
        };
        HttpRequest::new(
            "POST",
            format!("/api/v1/authorizationServers/{}/policies", self.server),
            HttpRequest::json(&body),
        )
    }
}

/// `okta.add_rule: {server, policy, name, scopes, grant_types?, groups?,
/// access_token_minutes?, refresh_token_minutes?}`: the console's defaults (grant types
/// Client Credentials and Authorization Code, everyone, one-hour access tokens) where not
/// given.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddRule {
    /// The authorization server id.
    #[serde(deserialize_with = "text")]
    pub server: String,
    /// The policy id.
    #[serde(deserialize_with = "text")]
    pub policy: String,
    /// The name.
    #[serde(deserialize_with = "text")]
    pub name: String,
    /// "Scopes requested".
    pub scopes: Vec<String>,
    /// Grant types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_types: Option<Vec<String>>,
    /// Group ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    /// Access token lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_minutes: Option<i64>,
    /// Refresh token lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_minutes: Option<i64>,
}

impl AdminRequest for AddRule {
    const ACTION: &'static str = "add_rule";

    fn request(&self) -> HttpRequest {
        let body = RuleBody {
            kind: Some("RESOURCE_ACCESS".into()),
            name: Some(self.name.clone()),
            status: None,
            priority: Some(1),
            conditions: Some(RuleConditions {
                people: Some(People {
                    users: None,
                    groups: Include::of(
                        self.groups
                            .clone()
                            .unwrap_or_else(|| vec!["EVERYONE".into()]),
                    ),
                }),
                grant_types: Include::of(self.grant_types.clone().unwrap_or_else(|| {
                    vec!["client_credentials".into(), "authorization_code".into()]
                })),
                scopes: Include::of(self.scopes.clone()),
            }),
            actions: Some(RuleActions {
                token: Some(TokenActions {
                    access_token_lifetime_minutes: Some(self.access_token_minutes.unwrap_or(60)),
                    refresh_token_lifetime_minutes: self.refresh_token_minutes,
                    refresh_token_window_minutes: None,
                }),
            }),
        };
        HttpRequest::new(
            "POST",
            format!(
                "/api/v1/authorizationServers/{}/policies/{}/rules",
                self.server, self.policy
            ),
            HttpRequest::json(&body),
        )
    }
}

/// `okta.token_preview: {server, client, user, scopes, grant_type?}` (grant type
/// `authorization_code` unless given).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenPreview {
    /// The authorization server id.
    #[serde(deserialize_with = "text")]
    pub server: String,
    /// The client id.
    #[serde(deserialize_with = "text")]
    pub client: String,
    /// The user id.
    #[serde(deserialize_with = "text")]
    pub user: String,
    /// The scopes.
    pub scopes: Vec<String>,
    /// The grant type.
    #[serde(
        default,
        deserialize_with = "optional_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub grant_type: Option<String>,
}

impl AdminRequest for TokenPreview {
    const ACTION: &'static str = "token_preview";

    fn request(&self) -> HttpRequest {
        let body = PreviewBody {
            client_id: Some(self.client.clone()),
            grant_type: Some(
                self.grant_type
                    .clone()
                    .unwrap_or_else(|| "authorization_code".into()),
            ),
            user_id: Some(self.user.clone()),
            scopes: Some(self.scopes.clone()),
        };
        HttpRequest::new(
            "POST",
            format!("/api/v1/authorizationServers/{}/tokenPreview", self.server),
            HttpRequest::json(&body),
        )
    }
}

/// `okta.rotate_keys: {server}`: `POST …/credentials/lifecycle/keyRotate` `{"use": "sig"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotateKeys {
    /// The authorization server id.
    #[serde(deserialize_with = "text")]
    pub server: String,
}

impl AdminRequest for RotateKeys {
    const ACTION: &'static str = "rotate_keys";

    fn request(&self) -> HttpRequest {
        let body = RotateBody {
            use_: Some("sig".into()),
        };
        HttpRequest::new(
            "POST",
            format!(
                "/api/v1/authorizationServers/{}/credentials/lifecycle/keyRotate",
                self.server
            ),
            HttpRequest::json(&body),
        )
    }
}

/// `okta.logs: {filter?}`: the System Log, up to 1,000 events, optionally filtered
/// (`eventType eq "…"`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Logs {
    /// An Okta filter expression.
    #[serde(
        default,
        deserialize_with = "optional_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub filter: Option<String>,
}

impl AdminRequest for Logs {
    const ACTION: &'static str = "logs";

    fn request(&self) -> HttpRequest {
        let path = match self.filter.as_deref().filter(|f| !f.is_empty()) {
            Some(filter) => format!(
                "/api/v1/logs?limit=1000&filter={}",
                form_urlencoded::byte_serialize(filter.as_bytes()).collect::<String>()
            ),
            None => "/api/v1/logs?limit=1000".into(),
        };
        HttpRequest::new("GET", path, None)
    }
}

/// `okta.create_scim_app: {label?}`: the "AWS IAM Identity Center" app from the catalog
/// (`amazon_aws_sso`, SAML; OKTA-APP-4), the app that pushes users and groups to Kiro.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateScimApp {
    /// The label (default "AWS IAM Identity Center").
    #[serde(
        default,
        deserialize_with = "optional_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub label: Option<String>,
}

impl AdminRequest for CreateScimApp {
    const ACTION: &'static str = "create_scim_app";

    fn request(&self) -> HttpRequest {
        let body = AppBody {
            name: Some("amazon_aws_sso".into()),
            label: Some(
                self.label
                    .clone()
                    .unwrap_or_else(|| "AWS IAM Identity Center".into()),
            ),
            sign_on_mode: Some("SAML_2_0".into()),
            ..AppBody::default()
        };
        HttpRequest::new("POST", "/api/v1/apps".into(), HttpRequest::json(&body))
    }
}

/// `okta.set_connection: {app, base_url, token}`: "Configure API integration" with "Enable
/// API integration" on (OKTA-PROV-1): `POST …/connections/default?activate=true`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetConnection {
    /// The provisioning app id.
    #[serde(deserialize_with = "text")]
    pub app: String,
    /// Kiro's SCIM endpoint, without the trailing slash.
    #[serde(deserialize_with = "text")]
    pub base_url: String,
    /// The SCIM access token.
    #[serde(deserialize_with = "text")]
    pub token: String,
}

impl AdminRequest for SetConnection {
    const ACTION: &'static str = "set_connection";

    fn request(&self) -> HttpRequest {
        let body = ConnectionBody {
            base_url: Some(self.base_url.clone()),
            profile: Some(ConnectionProfile {
                auth_scheme: Some("TOKEN".into()),
                token: Some(self.token.clone()),
            }),
        };
        HttpRequest::new(
            "POST",
            format!(
                "/api/v1/apps/{}/connections/default?activate=true",
                self.app
            ),
            HttpRequest::json(&body),
        )
    }
}

/// `okta.push_group: {app, group, active?}`: a group push mapping (OKTA-PROV-5), active
/// unless `active: false`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushGroup {
    /// The provisioning app id.
    #[serde(deserialize_with = "text")]
    pub app: String,
    /// The Okta group id.
    #[serde(deserialize_with = "text")]
    pub group: String,
    /// Pushing (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

impl AdminRequest for PushGroup {
    const ACTION: &'static str = "push_group";

    fn request(&self) -> HttpRequest {
        let body = PushBody {
            source_group_id: Some(self.group.clone()),
            status: Some(push_status(self.active.unwrap_or(true))),
            ..PushBody::default()
        };
        HttpRequest::new(
            "POST",
            format!("/api/v1/apps/{}/group-push/mappings", self.app),
            HttpRequest::json(&body),
        )
    }
}

/// `okta.set_push_status: {app, mapping, active}`: pause or resume (and retry) a group push
/// mapping: `PATCH …/group-push/mappings/{mapping}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetPushStatus {
    /// The provisioning app id.
    #[serde(deserialize_with = "text")]
    pub app: String,
    /// The push mapping id.
    #[serde(deserialize_with = "text")]
    pub mapping: String,
    /// ACTIVE or INACTIVE.
    pub active: bool,
}

impl AdminRequest for SetPushStatus {
    const ACTION: &'static str = "set_push_status";

    fn request(&self) -> HttpRequest {
        let body = PushBody {
            status: Some(push_status(self.active)),
            ..PushBody::default()
        };
        HttpRequest::new(
            "PATCH",
            format!(
                "/api/v1/apps/{}/group-push/mappings/{}",
                self.app, self.mapping
            ),
            HttpRequest::json(&body),
        )
    }
}

/// `okta.set_features: {app, create_users?, update_attributes?, deactivate_users?}`: To App
/// (OKTA-PROV-2), "Create Users", "Update User Attributes", "Deactivate Users": `PUT
/// …/features/USER_PROVISIONING`; a feature not given is left as it is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetFeatures {
    /// The provisioning app id.
    #[serde(deserialize_with = "text")]
    pub app: String,
    /// "Create Users".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_users: Option<bool>,
    /// "Update User Attributes".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_attributes: Option<bool>,
    /// "Deactivate Users".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deactivate_users: Option<bool>,
}

impl AdminRequest for SetFeatures {
    const ACTION: &'static str = "set_features";

    fn request(&self) -> HttpRequest {
        let body = FeaturesBody::new(
            self.create_users,
            self.update_attributes,
            self.deactivate_users,
        );
        HttpRequest::new(
            "PUT",
            format!("/api/v1/apps/{}/features/USER_PROVISIONING", self.app),
            HttpRequest::json(&body),
        )
    }
}

/// `okta.set_mapping: {mapping, properties: {attr: {expression, pushStatus?} | null}}`: the
/// attribute mappings (OKTA-PROV-6), in Okta's property shape, `null` removing one: `POST
/// /api/v1/mappings/{mapping}` (the mapping id is found with `GET
/// /api/v1/mappings?targetId={app}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetMapping {
    /// The profile mapping id.
    #[serde(deserialize_with = "text")]
    pub mapping: String,
    /// The changed properties.
    pub properties: MappingProperties,
}

impl AdminRequest for SetMapping {
    const ACTION: &'static str = "set_mapping";

    fn request(&self) -> HttpRequest {
        let body = MappingBody {
            properties: self.properties.clone(),
        };
        HttpRequest::new(
            "POST",
            format!("/api/v1/mappings/{}", self.mapping),
            HttpRequest::json(&body),
        )
    }
}

/// `ACTIVE` or `INACTIVE`.
fn push_status(active: bool) -> String {
    if active { "ACTIVE" } else { "INACTIVE" }.into()
}

/// An action that is a path and a method: its parameters name the path's parts.
macro_rules! path_action {
    ($(#[$doc:meta])* $name:ident, $action:literal, $method:literal,
     [$($field:ident),+], $body:expr, |$s:ident| $path:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $(
                #[doc = concat!("The `", stringify!($field), "` id.")]
                #[serde(deserialize_with = "text")]
                pub $field: String,
            )+
        }

        impl AdminRequest for $name {
            const ACTION: &'static str = $action;

            fn request(&self) -> HttpRequest {
                let $s = self;
                HttpRequest::new($method, $path, $body)
            }
        }
    };
}

path_action!(
    /// `okta.get_user: {user}`.
    GetUser, "get_user", "GET", [user], None,
    |a| format!("/api/v1/users/{}", a.user)
);
path_action!(
    /// `okta.activate_user: {user}` (no email sent).
    ActivateUser, "activate_user", "POST", [user], Some(json!({})),
    |a| format!("/api/v1/users/{}/lifecycle/activate?sendEmail=false", a.user)
);
path_action!(
    /// `okta.deactivate_user: {user}`.
    DeactivateUser, "deactivate_user", "POST", [user], Some(json!({})),
    |a| format!("/api/v1/users/{}/lifecycle/deactivate", a.user)
);
path_action!(
    /// `okta.suspend_user: {user}`.
    SuspendUser, "suspend_user", "POST", [user], Some(json!({})),
    |a| format!("/api/v1/users/{}/lifecycle/suspend", a.user)
);
path_action!(
    /// `okta.unsuspend_user: {user}`.
    UnsuspendUser, "unsuspend_user", "POST", [user], Some(json!({})),
    |a| format!("/api/v1/users/{}/lifecycle/unsuspend", a.user)
);
path_action!(
    /// `okta.delete_user: {user}` (a deactivated user is deleted; an active one deactivated).
    DeleteUser, "delete_user", "DELETE", [user], None,
    |a| format!("/api/v1/users/{}", a.user)
);
path_action!(
    /// `okta.add_member: {group, user}`.
    AddMember, "add_member", "PUT", [group, user], None,
    |a| format!("/api/v1/groups/{}/users/{}", a.group, a.user)
);
path_action!(
    /// `okta.remove_member: {group, user}`.
    RemoveMember, "remove_member", "DELETE", [group, user], None,
    |a| format!("/api/v1/groups/{}/users/{}", a.group, a.user)
);
path_action!(
    /// `okta.unassign_user: {app, user}`.
    UnassignUser, "unassign_user", "DELETE", [app, user], None,
    |a| format!("/api/v1/apps/{}/users/{}", a.app, a.user)
);
path_action!(
    /// `okta.assign_group: {app, group}`.
    AssignGroup, "assign_group", "PUT", [app, group], Some(json!({})),
    |a| format!("/api/v1/apps/{}/groups/{}", a.app, a.group)
);
path_action!(
    /// `okta.unassign_group: {app, group}`.
    UnassignGroup, "unassign_group", "DELETE", [app, group], None,
    |a| format!("/api/v1/apps/{}/groups/{}", a.app, a.group)
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_args as args;

    #[test]
    fn a_new_user_is_the_body_the_server_parses() {
        let step = CreateUser::from_args(&args(json!({
            "login": "ada@example.com", "first": "Ada", "last": "Lovelace",
            "password": "Correct-Horse-9",
        })))
        .expect("valid");
        let request = step.request();
        assert_eq!(request.path, "/api/v1/users?activate=true");
        let body: UserBody =
            serde_json::from_value(request.body.expect("a body")).expect("the server parses it");
        assert_eq!(body.password().as_deref(), Some("Correct-Horse-9"));
        let profile = body.profile.expect("a profile");
        assert_eq!(profile["email"], json!("ada@example.com"));
        assert_eq!(
            profile.keys().collect::<Vec<_>>(),
            ["firstName", "lastName", "email", "login"]
        );
        let staged = CreateUser::from_args(&args(json!({
            "login": "b@x", "first": "B", "last": "C", "activate": false,
        })))
        .expect("valid");
        assert_eq!(staged.request().path, "/api/v1/users?activate=false");
        assert!(
            staged
                .request()
                .body
                .is_some_and(|b| b.get("credentials").is_none())
        );
    }

    #[test]
    fn path_actions_name_their_parts() {
        let step =
            AddMember::from_args(&args(json!({ "group": "00g1", "user": "00u1" }))).expect("valid");
        assert_eq!(
            step.request(),
            HttpRequest::new("PUT", "/api/v1/groups/00g1/users/00u1".into(), None)
        );
        assert!(AddMember::from_args(&args(json!({ "group": "00g1" }))).is_err());
        let groups: GroupBody = serde_json::from_value(
            CreateGroup::from_args(&args(json!({ "name": "Kiro Developers" })))
                .expect("valid")
                .request()
                .body
                .expect("a body"),
        )
        .expect("parses");
        assert_eq!(groups.parts(), (Some("Kiro Developers".into()), None));
    }

    #[test]
    fn provisioning_steps_are_the_bodies_the_server_parses() {
        let connection = SetConnection::from_args(&args(json!({
            "app": "0oa2", "base_url": "https://kiro.test/scim/v2", "token": "t0k",
        })))
        .expect("valid")
        .request();
        assert_eq!(
            connection.path,
            "/api/v1/apps/0oa2/connections/default?activate=true"
        );
        let body: ConnectionBody =
            serde_json::from_value(connection.body.expect("a body")).expect("parses");
        let profile = body.profile.expect("a profile");
        assert_eq!(
            (profile.auth_scheme.as_deref(), profile.token.as_deref()),
            (Some("TOKEN"), Some("t0k"))
        );
        let pause = SetPushStatus::from_args(&args(json!({
            "app": "0oa2", "mapping": "gmr1", "active": false,
        })))
        .expect("valid")
        .request();
        assert_eq!(pause.method, "PATCH");
        let body: PushBody = serde_json::from_value(pause.body.expect("a body")).expect("parses");
        assert_eq!(body.status.as_deref(), Some("INACTIVE"));
        assert!(SetPushStatus::from_args(&args(json!({ "app": "a", "mapping": "m" }))).is_err());
    }

    #[test]
    fn to_app_and_mapping_steps_are_the_bodies_the_server_parses() {
        let features = SetFeatures::from_args(&args(json!({
            "app": "0oa2", "create_users": true, "update_attributes": true, "deactivate_users": false,
        })))
        .expect("valid")
        .request();
        assert_eq!(
            (features.method, features.path.as_str()),
            ("PUT", "/api/v1/apps/0oa2/features/USER_PROVISIONING")
        );
        let wire = features.body.expect("a body");
        assert_eq!(
            wire,
            json!({
                "create": { "lifecycleCreate": { "status": "ENABLED" } },
                "update": {
                    "profile": { "status": "ENABLED" },
                    "lifecycleDeactivate": { "status": "DISABLED" },
                },
            })
        );
        let body: FeaturesBody = serde_json::from_value(wire).expect("parses");
        assert_eq!(
            (
                body.create_users(),
                body.update_attributes(),
                body.deactivate_users()
            ),
            (Some(true), Some(true), Some(false))
        );
        let only_create =
            SetFeatures::from_args(&args(json!({ "app": "a", "create_users": false })))
                .expect("valid")
                .request();
        assert_eq!(
            only_create.body,
            Some(json!({ "create": { "lifecycleCreate": { "status": "DISABLED" } } }))
        );
        assert!(SetFeatures::from_args(&args(json!({ "app": "a", "create": true }))).is_err());

        let mapping = SetMapping::from_args(&args(json!({
            "mapping": "prm1",
            "properties": {
                "employeeNumber": null,
                "department": { "expression": "user.department", "pushStatus": "DONT_PUSH" },
                "costCenter": { "expression": "user.costCenter" },
            },
        })))
        .expect("valid")
        .request();
        assert_eq!(
            (mapping.method, mapping.path.as_str()),
            ("POST", "/api/v1/mappings/prm1")
        );
        let wire = mapping.body.expect("a body");
        assert_eq!(
            serde_json::to_string(&wire).expect("json"),
            r#"{"properties":{"employeeNumber":null,"department":{"expression":"user.department","pushStatus":"DONT_PUSH"},"costCenter":{"expression":"user.costCenter"}}}"#
        );
        let body: MappingBody = serde_json::from_value(wire).expect("parses");
        let names: Vec<&str> = body.properties.0.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["employeeNumber", "department", "costCenter"]);
        assert_eq!(
            body.properties.0[1].1,
            Some(MappingProperty {
                expression: "user.department".into(),
                push_status: Some(MappingPush::DontPush),
            })
        );
    }

    #[test]
    fn the_bodies_take_no_shape_the_server_reads_otherwise() {
        // The server's walk reads these differently (ignores them, or names the field at
        // fault): the typed bodies refuse them, so it falls back to the walk.
        for bad in [
            json!({ "create": [{ "status": "ENABLED" }] }),
            json!({ "create": { "lifecycleCreate": { "status": null } } }),
            json!({ "create": { "lifecycleCreate": { "status": "enabled" } } }),
            json!({ "update": 5 }),
        ] {
            assert!(
                serde_json::from_value::<FeaturesBody>(bad.clone()).is_err(),
                "{bad}"
            );
        }
        let lenient: FeaturesBody = serde_json::from_value(json!({
            "create": null, "update": { "profile": null, "password": { "status": "DISABLED" } },
        }))
        .expect("parses");
        assert_eq!(
            (lenient.create_users(), lenient.update_attributes()),
            (None, None)
        );
        for bad in [
            json!({}),
            json!({ "properties": null }),
            json!({ "properties": { "title": ["user.title"] } }),
            json!({ "properties": { "title": { "expression": 5 } } }),
            json!({ "properties": { "title": { "expression": "x", "pushStatus": "push" } } }),
            json!({ "properties": { "title": 5 } }),
        ] {
            assert!(
                serde_json::from_value::<MappingBody>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }
}
