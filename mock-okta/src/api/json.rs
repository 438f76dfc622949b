//! Okta's object shapes: users, groups, apps and assignments, authorization servers with their
//! scopes, claims, policies, rules and keys, and System Log events. Timestamps are RFC 3339
//! with milliseconds and `Z`; `_links` are absolute, built from the org URL. Passwords are
//! never echoed (`credentials.password` is `{}`).

use std::time::{Duration, SystemTime};

use serde_json::{Map, Value, json};

use crate::core::authz::ServerKey;
use crate::core::{
    App, AuthServer, Claim, Event, Group, Org, Policy, Rule, Scope, SignOnMode, User, UserStatus,
};

/// A timestamp as Okta writes it (`2026-01-01T00:00:00.000Z`).
pub(crate) fn ts(t: SystemTime) -> Value {
    Value::String(humantime::format_rfc3339_millis(t).to_string())
}

/// An optional timestamp (`null` when absent).
pub(crate) fn ts_opt(t: Option<SystemTime>) -> Value {
    t.map_or(Value::Null, ts)
}

fn href(url: String) -> Value {
    json!({ "href": url })
}

fn post_link(url: String) -> Value {
    json!({ "href": url, "method": "POST" })
}

// ---- users -----------------------------------------------------------------------------------

/// A user (`GET /api/v1/users/{id}`).
/// The admin the SSWS API token belongs to, as `/api/v1/users/me` shows them (OKTA-API-11).
pub(crate) fn sim_admin(org: &Org) -> Value {
    let admin = crate::core::Actor::admin();
    let base = format!("{}/api/v1/users/{}", org.org_url(), admin.id);
    json!({
        "id": admin.id,
        "status": "ACTIVE",
        "type": { "id": "oty00000000000000000" },
        "profile": {
            "login": admin.alternate_id,
            "email": admin.alternate_id,
            "firstName": "kiro-sim",
            "lastName": "Admin",
        },
        "credentials": { "provider": { "type": "OKTA", "name": "OKTA" } },
        "_links": { "self": { "href": base } },
    })
}

pub(crate) fn user(org: &Org, u: &User) -> Value {
    let base = format!("{}/api/v1/users/{}", org.org_url(), u.id);
    let mut links = Map::new();
    links.insert("self".into(), href(base.clone()));
    let lifecycle = |action: &str| post_link(format!("{base}/lifecycle/{action}"));
    match u.status {
        UserStatus::Staged => {
            links.insert("activate".into(), lifecycle("activate"));
            links.insert("deactivate".into(), lifecycle("deactivate"));
        }
        UserStatus::Provisioned => {
            links.insert("reactivate".into(), lifecycle("reactivate"));
            links.insert("deactivate".into(), lifecycle("deactivate"));
        }
        UserStatus::Active => {
            links.insert("suspend".into(), lifecycle("suspend"));
            links.insert("resetPassword".into(), lifecycle("reset_password"));
            links.insert("expirePassword".into(), lifecycle("expire_password"));
            links.insert(
                "changePassword".into(),
                post_link(format!("{base}/credentials/change_password")),
            );
            links.insert("deactivate".into(), lifecycle("deactivate"));
        }
        UserStatus::Suspended => {
            links.insert("unsuspend".into(), lifecycle("unsuspend"));
            links.insert("deactivate".into(), lifecycle("deactivate"));
        }
        UserStatus::Deprovisioned => {
            links.insert("activate".into(), lifecycle("activate"));
        }
    }
    let mut credentials = Map::new();
    if u.password_changed.is_some() {
        credentials.insert("password".into(), json!({}));
    }
    credentials.insert(
        "emails".into(),
        json!([{ "value": u.profile_str("email"), "status": "VERIFIED", "type": "PRIMARY" }]),
    );
    credentials.insert("provider".into(), json!({ "type": "OKTA", "name": "OKTA" }));
    json!({
        "id": u.id,
        "status": u.status.as_str(),
        "created": ts(u.created),
        "activated": ts_opt(u.activated),
        "statusChanged": ts_opt(u.status_changed),
        "lastLogin": ts_opt(u.last_login),
        "lastUpdated": ts(u.last_updated),
        "passwordChanged": ts_opt(u.password_changed),
        "profile": u.profile,
        "credentials": credentials,
        "_links": links,
    })
}

/// An app link of a user (`GET /api/v1/users/{id}/appLinks`).
pub(crate) fn app_link(org: &Org, a: &App, sort_order: usize) -> Value {
    json!({
        "id": format!("00ub0oNGTSWTBKOLGLNR-{}", a.id),
        "label": a.label,
        "linkUrl": format!("{}/home/{}/{}/aln5z7uhkbM6y7bMy0g7", org.org_url(), a.name, a.id),
        "logoUrl": format!("{}/img/logos/default.png", org.org_url()),
        "appName": a.name,
        "appInstanceId": a.id,
        "appAssignmentId": format!("0ua{}", a.id.get(3..).unwrap_or_default()),
        "credentialsSetup": false,
        "hidden": false,
        "sortOrder": sort_order,
    })
}

// ---- groups ----------------------------------------------------------------------------------

/// A group.
pub(crate) fn group(org: &Org, g: &Group) -> Value {
    let base = format!("{}/api/v1/groups/{}", org.org_url(), g.id);
    json!({
        "id": g.id,
        "created": ts(g.created),
        "lastUpdated": ts(g.last_updated),
        "lastMembershipUpdated": ts(g.last_membership_updated),
        "objectClass": ["okta:user_group"],
        "type": "OKTA_GROUP",
        "profile": { "name": g.name, "description": g.description },
        "_links": {
            "logo": [
                { "name": "medium", "href": format!("{}/assets/img/logos/groups/okta-medium.png", org.org_url()), "type": "image/png" },
                { "name": "large", "href": format!("{}/assets/img/logos/groups/okta-large.png", org.org_url()), "type": "image/png" },
            ],
            "users": href(format!("{base}/users")),
            "apps": href(format!("{base}/apps")),
        },
    })
}

// ---- apps ------------------------------------------------------------------------------------

/// An app: an OIDC client or a catalog (SAML) app.
pub(crate) fn app(org: &Org, a: &App) -> Value {
    match a.sign_on_mode {
        SignOnMode::OpenIdConnect => oidc_app(org, a),
        SignOnMode::Saml2 => saml_app(org, a),
    }
}

/// A catalog app signing in with SAML 2.0 (AWS IAM Identity Center): its SAML settings
/// (`settings.app`), the metadata link, and the provisioning features enabled.
fn saml_app(org: &Org, a: &App) -> Value {
    let base = format!("{}/api/v1/apps/{}", org.org_url(), a.id);
    let saml = a.saml.clone().unwrap_or_default();
    let mut features: Vec<&str> = Vec::new();
    if let Some(p) = org.provisioning(&a.id)
        && p.connection.enabled
    {
        if p.features.create_users {
            features.push("PUSH_NEW_USERS");
        }
        if p.features.update_attributes {
            features.push("PUSH_PROFILE_UPDATES");
        }
        if p.features.deactivate_users {
            features.push("PUSH_USER_DEACTIVATION");
            features.push("REACTIVATE_USERS");
        }
        features.push("GROUP_PUSH");
    }
    let lifecycle = if a.status.as_str() == "ACTIVE" {
        (
            "deactivate",
            post_link(format!("{base}/lifecycle/deactivate")),
        )
    } else {
        ("activate", post_link(format!("{base}/lifecycle/activate")))
    };
    let link_name = format!("{}_link", a.name);
    let mut links = Map::new();
    links.insert(
        "appLinks".into(),
        json!([{
            "name": link_name,
            "href": format!("{}/home/{}/{}/aln5z7uhkbM6y7bMy0g7", org.org_url(), a.name, a.id),
            "type": "text/html",
        }]),
    );
    links.insert("groups".into(), href(format!("{base}/groups")));
    links.insert(
        "logo".into(),
        json!([{ "name": "medium", "href": format!("{}/assets/img/logos/default.png", org.org_url()), "type": "image/png" }]),
    );
    links.insert("users".into(), href(format!("{base}/users")));
    links.insert(
        "metadata".into(),
        json!({ "href": format!("{base}/sso/saml/metadata"), "type": "application/xml" }),
    );
    links.insert("self".into(), href(base.clone()));
    links.insert(lifecycle.0.into(), lifecycle.1);
    json!({
        "id": a.id,
        "name": a.name,
        "label": a.label,
        "status": a.status.as_str(),
        "lastUpdated": ts(a.last_updated),
        "created": ts(a.created),
        "accessibility": { "selfService": false, "errorRedirectUrl": null, "loginRedirectUrl": null },
        "visibility": {
            "autoLaunch": false,
            "autoSubmitToolbar": false,
            "hide": { "iOS": false, "web": false },
            "appLinks": { link_name: true },
        },
        "features": features,
        "signOnMode": a.sign_on_mode.as_str(),
        "credentials": {
            "userNameTemplate": { "template": "${source.login}", "type": "BUILT_IN" },
            "signing": { "kid": null },
        },
        "settings": {
            "app": { "acsURL": saml.acs_url, "entityID": saml.entity_id },
            "notifications": { "vpn": { "network": { "connection": "DISABLED" }, "message": null, "helpUrl": null } },
            "manualProvisioning": false,
            "implicitAssignment": false,
            "notes": { "admin": null, "enduser": null },
        },
        "_links": links,
    })
}

/// An OIDC app.
fn oidc_app(org: &Org, a: &App) -> Value {
    let base = format!("{}/api/v1/apps/{}", org.org_url(), a.id);
    let mut oauth_creds = Map::new();
    oauth_creds.insert("autoKeyRotation".into(), json!(true));
    oauth_creds.insert("client_id".into(), json!(a.id));
    if let Some(secret) = &a.client_secret {
        oauth_creds.insert("client_secret".into(), json!(secret));
    }
    oauth_creds.insert(
        "token_endpoint_auth_method".into(),
        json!(a.token_endpoint_auth_method),
    );
    let lifecycle = if a.status.as_str() == "ACTIVE" {
        (
            "deactivate",
            post_link(format!("{base}/lifecycle/deactivate")),
        )
    } else {
        ("activate", post_link(format!("{base}/lifecycle/activate")))
    };
    let mut links = Map::new();
    links.insert(
        "appLinks".into(),
        json!([{
            "name": "oidc_client_link",
            "href": format!("{}/home/oidc_client/{}/aln5z7uhkbM6y7bMy0g7", org.org_url(), a.id),
            "type": "text/html",
        }]),
    );
    links.insert("groups".into(), href(format!("{base}/groups")));
    links.insert(
        "logo".into(),
        json!([{ "name": "medium", "href": format!("{}/assets/img/logos/default.png", org.org_url()), "type": "image/png" }]),
    );
    links.insert("users".into(), href(format!("{base}/users")));
    links.insert("self".into(), href(base.clone()));
    links.insert(lifecycle.0.into(), lifecycle.1);
    let mut app = json!({
        "id": a.id,
        "name": a.name,
        "label": a.label,
        "status": a.status.as_str(),
        "lastUpdated": ts(a.last_updated),
        "created": ts(a.created),
        "accessibility": { "selfService": false, "errorRedirectUrl": null, "loginRedirectUrl": null },
        "visibility": {
            "autoLaunch": false,
            "autoSubmitToolbar": false,
            "hide": { "iOS": true, "web": true },
            "appLinks": { "oidc_client_link": true },
        },
        "features": [],
        "signOnMode": "OPENID_CONNECT",
        "credentials": {
            "userNameTemplate": { "template": "${source.login}", "type": "BUILT_IN" },
            "signing": { "kid": null },
            "oauthClient": oauth_creds,
        },
        "settings": {
            "app": {},
            "notifications": { "vpn": { "network": { "connection": "DISABLED" }, "message": null, "helpUrl": null } },
            "manualProvisioning": false,
            "implicitAssignment": false,
            "notes": { "admin": null, "enduser": null },
            "oauthClient": {
                "client_uri": null,
                "logo_uri": null,
                "redirect_uris": a.redirect_uris,
                "post_logout_redirect_uris": a.post_logout_redirect_uris,
                "response_types": a.response_types,
                "grant_types": a.grant_types,
                "application_type": a.application_type.as_str(),
                "consent_method": "REQUIRED",
                "issuer_mode": "ORG_URL",
                "idp_initiated_login": { "mode": "DISABLED", "default_scope": [] },
                "wildcard_redirect": "DISABLED",
                "refresh_token": {
                    "rotation_type": a.refresh_rotation.as_str(),
                    "leeway": a.refresh_leeway_secs,
                },
            },
        },
        "_links": links,
    });
    if !a.jwks.is_empty() {
        app["settings"]["oauthClient"]["jwks"] = json!({ "keys": a.jwks });
    }
    app
}

/// An app assignment of a user (`AppUser`); `scope` is `USER` (direct) or `GROUP`.
pub(crate) fn app_user(org: &Org, app_id: &str, u: &User, scope: &str) -> Value {
    let base = org.org_url();
    let mut links = Map::new();
    links.insert("app".into(), href(format!("{base}/api/v1/apps/{app_id}")));
    links.insert("user".into(), href(format!("{base}/api/v1/users/{}", u.id)));
    if scope == "GROUP" {
        links.insert(
            "group".into(),
            href(format!("{base}/api/v1/apps/{app_id}/groups")),
        );
    }
    let sync = org.app_user_sync(app_id, &u.id);
    let mut out = json!({
        "id": u.id,
        "externalId": sync.as_ref().and_then(|s| s.external_id.clone()),
        "created": ts(u.created),
        "lastUpdated": ts(u.last_updated),
        "scope": scope,
        "status": if sync.as_ref().is_some_and(|s| s.external_id.is_some()) { "PROVISIONED" } else { "ACTIVE" },
        "statusChanged": ts_opt(u.status_changed),
        "passwordChanged": null,
        "syncState": sync.as_ref().map_or("DISABLED", |s| s.sync_state),
        "credentials": { "userName": u.login() },
        "profile": sync.as_ref().map_or_else(|| json!({}), |s| {
            let mut p = s.profile.clone();
            p.remove("userName");
            Value::Object(p)
        }),
        "_links": links,
    });
    if let Some(sync) = sync {
        out["lastSync"] = ts_opt(sync.last_sync);
        // Not in Okta's AppUser: the sim shows the provisioning error here too (the System Log
        // has it as well).
        if let Some(error) = sync.error {
            out["_sim"] = json!({ "provisioningError": error });
        }
    }
    out
}

/// An app's group assignment (`ApplicationGroupAssignment`).
pub(crate) fn app_group(org: &Org, app: &App, g: &Group, priority: usize) -> Value {
    let base = org.org_url();
    json!({
        "id": g.id,
        "lastUpdated": ts(app.last_updated.max(g.created)),
        "priority": priority,
        "profile": {},
        "_links": {
            "app": href(format!("{base}/api/v1/apps/{}", app.id)),
            "self": href(format!("{base}/api/v1/apps/{}/groups/{}", app.id, g.id)),
            "group": href(format!("{base}/api/v1/groups/{}", g.id)),
        },
    })
}

// ---- authorization servers -------------------------------------------------------------------

/// Okta rotates authorization-server keys every 90 days in `AUTO` mode.
const ROTATION_PERIOD: Duration = Duration::from_secs(90 * 24 * 3600);

/// An authorization server.
pub(crate) fn auth_server(org: &Org, s: &AuthServer) -> Value {
    let base = format!("{}/api/v1/authorizationServers/{}", org.org_url(), s.id);
    let issuer = org.issuer(&s.id);
    let lifecycle = if s.active {
        (
            "deactivate",
            post_link(format!("{base}/lifecycle/deactivate")),
        )
    } else {
        ("activate", post_link(format!("{base}/lifecycle/activate")))
    };
    let mut links = Map::new();
    links.insert("scopes".into(), href(format!("{base}/scopes")));
    links.insert("claims".into(), href(format!("{base}/claims")));
    links.insert("policies".into(), href(format!("{base}/policies")));
    links.insert("self".into(), href(base.clone()));
    links.insert(
        "metadata".into(),
        json!([
            { "href": format!("{issuer}/.well-known/openid-configuration") },
            { "href": format!("{issuer}/.well-known/oauth-authorization-server") },
        ]),
    );
    links.insert(
        "rotateKey".into(),
        post_link(format!("{base}/credentials/lifecycle/keyRotate")),
    );
    links.insert("keys".into(), href(format!("{base}/credentials/keys")));
    links.insert(lifecycle.0.into(), lifecycle.1);
    json!({
        "id": s.id,
        "name": s.name,
        "description": s.description,
        "audiences": s.audiences,
        "issuer": issuer,
        "issuerMode": "ORG_URL",
        "status": if s.active { "ACTIVE" } else { "INACTIVE" },
        "created": ts(s.created),
        "lastUpdated": ts(s.last_updated),
        "credentials": {
            "signing": {
                "rotationMode": "AUTO",
                "lastRotated": ts(s.last_rotated),
                "nextRotation": ts(s.last_rotated + ROTATION_PERIOD),
                "kid": s.active_key().map(|k| k.kid().to_string()),
                "use": "sig",
            }
        },
        "_links": links,
    })
}

/// A scope.
pub(crate) fn scope(org: &Org, as_id: &str, s: &Scope) -> Value {
    json!({
        "id": s.id,
        "name": s.name,
        "displayName": s.display_name,
        "description": s.description,
        "system": s.system,
        "metadataPublish": s.metadata_publish,
        "consent": s.consent,
        "default": s.default,
        "optional": false,
        "_links": {
            "self": href(format!("{}/api/v1/authorizationServers/{as_id}/scopes/{}", org.org_url(), s.id)),
        },
    })
}

/// A claim.
pub(crate) fn claim(org: &Org, as_id: &str, c: &Claim) -> Value {
    let mut out = json!({
        "id": c.id,
        "name": c.name,
        "status": if c.active { "ACTIVE" } else { "INACTIVE" },
        "claimType": c.claim_type,
        "valueType": c.value_type,
        "value": c.value,
        "alwaysIncludeInToken": c.always_include_in_token,
        "conditions": { "scopes": c.scopes },
        "system": false,
        "_links": {
            "self": href(format!("{}/api/v1/authorizationServers/{as_id}/claims/{}", org.org_url(), c.id)),
        },
    });
    if c.value_type == "GROUPS" {
        out["group_filter_type"] = json!("STARTS_WITH");
    }
    out
}

/// An access policy.
pub(crate) fn policy(org: &Org, as_id: &str, p: &Policy) -> Value {
    let base = format!(
        "{}/api/v1/authorizationServers/{as_id}/policies/{}",
        org.org_url(),
        p.id
    );
    let lifecycle = if p.active {
        (
            "deactivate",
            post_link(format!("{base}/lifecycle/deactivate")),
        )
    } else {
        ("activate", post_link(format!("{base}/lifecycle/activate")))
    };
    let mut links = Map::new();
    links.insert("self".into(), href(base.clone()));
    links.insert("rules".into(), href(format!("{base}/rules")));
    links.insert(lifecycle.0.into(), lifecycle.1);
    json!({
        "type": "OAUTH_AUTHORIZATION_POLICY",
        "id": p.id,
        "status": if p.active { "ACTIVE" } else { "INACTIVE" },
        "name": p.name,
        "description": p.description,
        "priority": p.priority,
        "system": false,
        "conditions": { "clients": { "include": p.clients } },
        "created": ts(p.created),
        "lastUpdated": ts(p.last_updated),
        "_links": links,
    })
}

/// A policy rule.
pub(crate) fn rule(org: &Org, as_id: &str, policy_id: &str, r: &Rule) -> Value {
    let base = format!(
        "{}/api/v1/authorizationServers/{as_id}/policies/{policy_id}/rules/{}",
        org.org_url(),
        r.id
    );
    let lifecycle = if r.active {
        (
            "deactivate",
            post_link(format!("{base}/lifecycle/deactivate")),
        )
    } else {
        ("activate", post_link(format!("{base}/lifecycle/activate")))
    };
    let mut links = Map::new();
    links.insert("self".into(), href(base.clone()));
    links.insert(lifecycle.0.into(), lifecycle.1);
    json!({
        "type": "RESOURCE_ACCESS",
        "id": r.id,
        "status": if r.active { "ACTIVE" } else { "INACTIVE" },
        "name": r.name,
        "priority": r.priority,
        "system": false,
        "created": ts(r.created),
        "lastUpdated": ts(r.last_updated),
        "conditions": {
            "people": {
                "users": { "include": r.users_include, "exclude": [] },
                "groups": { "include": r.groups_include, "exclude": [] },
            },
            "grantTypes": { "include": r.grant_types },
            "scopes": { "include": r.scopes },
        },
        "actions": {
            "token": {
                "accessTokenLifetimeMinutes": r.access_token_lifetime_minutes,
                "refreshTokenLifetimeMinutes": r.refresh_token_lifetime_minutes,
                "refreshTokenWindowMinutes": r.refresh_token_window_minutes,
            }
        },
        "_links": links,
    })
}

/// A signing key of an authorization server (a JWK with its rotation `status`).
pub(crate) fn key(org: &Org, as_id: &str, k: &ServerKey) -> Value {
    let jwk = k.key.jwk();
    json!({
        "status": k.status.as_str(),
        "alg": jwk.alg,
        "e": jwk.e,
        "n": jwk.n,
        "kid": jwk.kid,
        "kty": jwk.kty,
        "use": jwk.use_,
        "_links": {
            "self": {
                "href": format!("{}/api/v1/authorizationServers/{as_id}/credentials/keys/{}", org.org_url(), jwk.kid),
                "hints": { "allow": ["GET"] },
            }
        },
    })
}

// ---- System Log ------------------------------------------------------------------------------

/// A System Log event in Okta's `LogEvent` shape.
pub(crate) fn event(e: &Event) -> Value {
    json!({
        "uuid": e.uuid,
        "published": ts(e.published),
        "eventType": e.event_type,
        "version": "0",
        "severity": e.severity,
        "legacyEventType": null,
        "displayMessage": e.display_message,
        "actor": {
            "id": e.actor.id,
            "type": e.actor.kind,
            "alternateId": e.actor.alternate_id,
            "displayName": e.actor.display_name,
            "detailEntry": null,
        },
        "client": {
            "userAgent": { "rawUserAgent": "unknown", "os": "Unknown", "browser": "UNKNOWN" },
            "zone": "null",
            "device": "Unknown",
            "id": null,
            "ipAddress": "127.0.0.1",
            "geographicalContext": null,
        },
        "device": null,
        "authenticationContext": {
            "authenticationProvider": null,
            "credentialProvider": null,
            "credentialType": null,
            "issuer": null,
            "interface": null,
            "authenticationStep": 0,
            "externalSessionId": "unknown",
        },
        "outcome": { "result": e.outcome.result, "reason": e.outcome.reason },
        "securityContext": {
            "asNumber": null,
            "asOrg": null,
            "isp": null,
            "domain": null,
            "isProxy": null,
        },
        "target": e.targets.iter().map(|t| json!({
            "id": t.id,
            "type": t.kind,
            "alternateId": t.display_name,
            "displayName": t.display_name,
            "detailEntry": null,
        })).collect::<Vec<_>>(),
        "transaction": { "type": "WEB", "id": e.uuid.replace('-', ""), "detail": {} },
        "debugContext": { "debugData": {} },
        "request": { "ipChain": [] },
    })
}
