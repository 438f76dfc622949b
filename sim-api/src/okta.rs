//! Okta's management API (BEHAVIOURS.md OKTA-API-*, OKTA-APP-*): the bodies mock-okta parses
//! and the admin actions scenario files, the typed clients and the property tests make — so
//! far the directory (users, groups, memberships) and app assignments. Apps, authorization
//! servers and provisioning are still written per user.

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

    fn args(value: Value) -> Map<String, Value> {
        value.as_object().cloned().expect("an object")
    }

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
}
