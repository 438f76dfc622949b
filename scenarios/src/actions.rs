//! The typed steps: every admin action of the three services, each one HTTP request on the
//! service's real API, and the IDE user's actions. A typed step is sugar for a raw `http`
//! step, so its answer can be checked with the same expectations.

use serde_json::{Map, Value, json};
use sim_api::{AdminRequest, dns, kiro, okta};
use sim_world::clients::{Body, kiro_redirect_uris};

/// Which service an action talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    /// mock-okta.
    Okta,
    /// mock-kiro.
    Kiro,
    /// mock-dns's provider API.
    Dns,
}

impl Service {
    /// The name used in files and transcripts.
    pub fn name(self) -> &'static str {
        match self {
            Service::Okta => "okta",
            Service::Kiro => "kiro",
            Service::Dns => "dns",
        }
    }

    /// Parses `okta`, `kiro` or `dns`.
    pub fn parse(name: &str) -> Option<Service> {
        match name {
            "okta" => Some(Service::Okta),
            "kiro" => Some(Service::Kiro),
            "dns" => Some(Service::Dns),
            _ => None,
        }
    }
}

/// One HTTP request a step makes.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// HTTP method.
    pub method: reqwest::Method,
    /// Path (or absolute URL).
    pub path: String,
    /// Body.
    pub body: Body,
}

/// A typed admin action: its name, its parameters and how it becomes a request.
pub struct AdminAction {
    /// The service (and so the kind of admin actor) it belongs to.
    pub service: Service,
    /// Name, as written after `actor.`.
    pub name: &'static str,
    /// Parameters that must be given.
    pub required: &'static [&'static str],
    /// Parameters that may be given.
    pub optional: &'static [&'static str],
    /// Builds the request from the (substituted) arguments; an argument of the wrong kind
    /// for a typed action ([`sim_api`]) is an error.
    pub build: fn(&Map<String, Value>) -> Result<Request, String>,
}

fn s(args: &Map<String, Value>, key: &str) -> String {
    match args.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn req(method: reqwest::Method, path: String, body: Option<Value>) -> Request {
    Request {
        method,
        path,
        body: body.map(Body::Json).unwrap_or_default(),
    }
}

fn get(path: String) -> Request {
    req(reqwest::Method::GET, path, None)
}
fn post(path: String, body: Value) -> Request {
    req(reqwest::Method::POST, path, Some(body))
}

/// A typed action ([`sim_api`]): the arguments deserialize into its one definition, which
/// says which request it is.
fn typed<R: AdminRequest>(args: &Map<String, Value>) -> Result<Request, String> {
    Ok(request(&R::from_args(args)?.request()))
}

/// The runner's request for a typed action's HTTP request.
pub fn request(http: &sim_api::HttpRequest) -> Request {
    let method =
        reqwest::Method::from_bytes(http.method.as_bytes()).unwrap_or(reqwest::Method::GET);
    req(method, http.path.clone(), http.body.clone())
}

fn or(args: &Map<String, Value>, key: &str, default: Value) -> Value {
    args.get(key).cloned().unwrap_or(default)
}

impl std::fmt::Debug for AdminAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.service.name(), self.name)
    }
}

/// Every typed admin action.
pub const ADMIN_ACTIONS: &[AdminAction] = &[
    // ---- Okta: directory (typed, `sim_api::okta`) -------------------------------------------------------------------
    AdminAction {
        service: Service::Okta,
        name: okta::CreateUser::ACTION,
        required: &["login", "first", "last"],
        optional: &["password", "activate", "email"],
        build: typed::<okta::CreateUser>,
    },
    AdminAction {
        service: Service::Okta,
        name: okta::GetUser::ACTION,
        required: &["user"],
        optional: &[],
        build: typed::<okta::GetUser>,
    },
    AdminAction {
        service: Service::Okta,
        name: okta::UpdateUser::ACTION,
        required: &["user", "profile"],
        optional: &[],
        build: typed::<okta::UpdateUser>,
    },
    AdminAction {
        service: Service::Okta,
        name: okta::ActivateUser::ACTION,
        required: &["user"],
        optional: &[],
        build: typed::<okta::ActivateUser>,
    },
    AdminAction {
        service: Service::Okta,
        name: okta::DeactivateUser::ACTION,
        required: &["user"],
        optional: &[],
        build: typed::<okta::DeactivateUser>,
    },
    AdminAction {
        service: Service::Okta,
        name: okta::SuspendUser::ACTION,
        required: &["user"],
        optional: &[],
        build: typed::<okta::SuspendUser>,
    },
    AdminAction {
        service: Service::Okta,
        name: okta::UnsuspendUser::ACTION,
        required: &["user"],
        optional: &[],
        build: typed::<okta::UnsuspendUser>,
    },
    AdminAction {
        service: Service::Okta,
        name: okta::DeleteUser::ACTION,
        required: &["user"],
        optional: &[],
        build: typed::<okta::DeleteUser>,
    },
    AdminAction {
        service: Service::Okta,
        name: okta::CreateGroup::ACTION,
        required: &["name"],
        optional: &["description"],
        build: typed::<okta::CreateGroup>,
    },
    AdminAction {
        service: Service::Okta,
        name: okta::AddMember::ACTION,
        required: &["group", "user"],
        optional: &[],
        build: typed::<okta::AddMember>,
    },
    AdminAction {
        service: Service::Okta,
        name: okta::RemoveMember::ACTION,
        required: &["group", "user"],
        optional: &[],
        build: typed::<okta::RemoveMember>,
    },
    // ---- Okta: apps -------------------------------------------------------------------------
    AdminAction {
        service: Service::Okta,
        name: "create_oidc_app",
        required: &["label"],
        optional: &["refresh_token", "redirect_uris"],
        build: |a| {
            Ok({
                let mut grants = vec!["authorization_code"];
                if a.get("refresh_token")
                    .and_then(Value::as_bool)
                    .unwrap_or(true)
                {
                    grants.push("refresh_token");
                }
                post(
                    "/api/v1/apps".into(),
                    json!({
                        "name": "oidc_client", "label": s(a, "label"), "signOnMode": "OPENID_CONNECT",
                        "credentials": { "oauthClient": { "token_endpoint_auth_method": "none" } },
                        "settings": { "oauthClient": {
                            "redirect_uris": or(a, "redirect_uris", json!(kiro_redirect_uris())),
                            "response_types": ["code"], "grant_types": grants, "application_type": "native",
                        } },
                    }),
                )
            })
        },
    },
    AdminAction {
        service: Service::Okta,
        name: okta::AssignUser::ACTION,
        required: &["app", "user"],
        optional: &[],
        build: typed::<okta::AssignUser>,
    },
    AdminAction {
        service: Service::Okta,
        name: okta::UnassignUser::ACTION,
        required: &["app", "user"],
        optional: &[],
        build: typed::<okta::UnassignUser>,
    },
    AdminAction {
        service: Service::Okta,
        name: okta::AssignGroup::ACTION,
        required: &["app", "group"],
        optional: &[],
        build: typed::<okta::AssignGroup>,
    },
    AdminAction {
        service: Service::Okta,
        name: okta::UnassignGroup::ACTION,
        required: &["app", "group"],
        optional: &[],
        build: typed::<okta::UnassignGroup>,
    },
    // ---- Okta: authorization servers ----------------------------------------------------------
    AdminAction {
        service: Service::Okta,
        name: "create_auth_server",
        required: &["name"],
        optional: &["audience"],
        build: |a| {
            Ok({
                post(
                    "/api/v1/authorizationServers".into(),
                    json!({ "name": s(a, "name"), "description": s(a, "name"),
                        "audiences": [or(a, "audience", json!("api://kiro"))] }),
                )
            })
        },
    },
    AdminAction {
        service: Service::Okta,
        name: "add_scope",
        required: &["server", "name"],
        optional: &["consent"],
        build: |a| {
            Ok({
                post(
                    format!("/api/v1/authorizationServers/{}/scopes", s(a, "server")),
                    json!({ "name": s(a, "name"), "description": s(a, "name"),
                        "consent": or(a, "consent", json!("IMPLICIT")), "metadataPublish": "ALL_CLIENTS" }),
                )
            })
        },
    },
    AdminAction {
        service: Service::Okta,
        name: "create_policy",
        required: &["server", "name", "clients"],
        optional: &["priority"],
        build: |a| {
            Ok({
                post(
                    format!("/api/v1/authorizationServers/{}/policies", s(a, "server")),
                    json!({
                        "type": "OAUTH_AUTHORIZATION_POLICY", "status": "ACTIVE", "name": s(a, "name"),
                        "description": s(a, "name"), "priority": or(a, "priority", json!(1)),
                        "conditions": { "clients": { "include": or(a, "clients", json!([])) } },
                    }),
                )
            })
        },
    },
    AdminAction {
        service: Service::Okta,
        name: "add_rule",
        required: &["server", "policy", "name", "scopes"],
        optional: &[
            "grant_types",
            "groups",
            "access_token_minutes",
            "refresh_token_minutes",
        ],
        build: |a| {
            Ok({
                let mut token = json!({ "accessTokenLifetimeMinutes": or(a, "access_token_minutes", json!(60)) });
                if let Some(refresh) = a.get("refresh_token_minutes") {
                    token["refreshTokenLifetimeMinutes"] = refresh.clone();
                }
                post(
                    format!(
                        "/api/v1/authorizationServers/{}/policies/{}/rules",
                        s(a, "server"),
                        s(a, "policy")
                    ),
                    json!({
                        "type": "RESOURCE_ACCESS", "name": s(a, "name"), "priority": 1,
                        "conditions": {
                            "people": { "groups": { "include": or(a, "groups", json!(["EVERYONE"])) } },
                            "grantTypes": { "include": or(a, "grant_types", json!(["client_credentials", "authorization_code"])) },
                            "scopes": { "include": or(a, "scopes", json!([])) },
                        },
                        "actions": { "token": token },
                    }),
                )
            })
        },
    },
    AdminAction {
        service: Service::Okta,
        name: "token_preview",
        required: &["server", "client", "user", "scopes"],
        optional: &["grant_type"],
        build: |a| {
            Ok({
                post(
                    format!(
                        "/api/v1/authorizationServers/{}/tokenPreview",
                        s(a, "server")
                    ),
                    json!({ "clientId": s(a, "client"), "userId": s(a, "user"),
                        "grantType": or(a, "grant_type", json!("authorization_code")),
                        "scopes": or(a, "scopes", json!([])) }),
                )
            })
        },
    },
    AdminAction {
        service: Service::Okta,
        name: "rotate_keys",
        required: &["server"],
        optional: &[],
        build: |a| {
            Ok({
                post(
                    format!(
                        "/api/v1/authorizationServers/{}/credentials/lifecycle/keyRotate",
                        s(a, "server")
                    ),
                    json!({ "use": "sig" }),
                )
            })
        },
    },
    AdminAction {
        service: Service::Okta,
        name: "logs",
        required: &[],
        optional: &["filter"],
        build: |a| {
            Ok({
                let filter = s(a, "filter");
                if filter.is_empty() {
                    get("/api/v1/logs?limit=1000".into())
                } else {
                    get(format!(
                        "/api/v1/logs?limit=1000&filter={}",
                        form_urlencoded::byte_serialize(filter.as_bytes()).collect::<String>()
                    ))
                }
            })
        },
    },
    // ---- Kiro console: typed (`sim_api::kiro`) ---------------------------------------------------
    AdminAction {
        service: Service::Kiro,
        name: kiro::CreateProfile::ACTION,
        required: &["name", "issuer", "client_id"],
        optional: &[],
        build: typed::<kiro::CreateProfile>,
    },
    AdminAction {
        service: Service::Kiro,
        name: kiro::DeleteProfile::ACTION,
        required: &["profile"],
        optional: &[],
        build: typed::<kiro::DeleteProfile>,
    },
    AdminAction {
        service: Service::Kiro,
        name: kiro::AddDomain::ACTION,
        required: &["profile", "domain"],
        optional: &[],
        build: typed::<kiro::AddDomain>,
    },
    AdminAction {
        service: Service::Kiro,
        name: kiro::GetDomain::ACTION,
        required: &["profile", "domain"],
        optional: &[],
        build: typed::<kiro::GetDomain>,
    },
    AdminAction {
        service: Service::Kiro,
        name: kiro::VerifyDomain::ACTION,
        required: &["profile", "domain"],
        optional: &[],
        build: typed::<kiro::VerifyDomain>,
    },
    AdminAction {
        service: Service::Kiro,
        name: kiro::CreateScimToken::ACTION,
        required: &["profile"],
        optional: &[],
        build: typed::<kiro::CreateScimToken>,
    },
    AdminAction {
        service: Service::Kiro,
        name: kiro::ListScimTokens::ACTION,
        required: &["profile"],
        optional: &[],
        build: typed::<kiro::ListScimTokens>,
    },
    AdminAction {
        service: Service::Kiro,
        name: kiro::RevokeScimToken::ACTION,
        required: &["profile", "token_id"],
        optional: &[],
        build: typed::<kiro::RevokeScimToken>,
    },
    AdminAction {
        service: Service::Kiro,
        name: kiro::Subscribe::ACTION,
        required: &["profile", "tier"],
        optional: &["user", "group"],
        build: typed::<kiro::Subscribe>,
    },
    AdminAction {
        service: Service::Kiro,
        name: kiro::Subscriptions::ACTION,
        required: &["profile"],
        optional: &[],
        build: typed::<kiro::Subscriptions>,
    },
    AdminAction {
        service: Service::Kiro,
        name: kiro::ChangeTier::ACTION,
        required: &["profile", "user", "tier"],
        optional: &[],
        build: typed::<kiro::ChangeTier>,
    },
    AdminAction {
        service: Service::Kiro,
        name: kiro::UnsubscribeUser::ACTION,
        required: &["profile", "user"],
        optional: &[],
        build: typed::<kiro::UnsubscribeUser>,
    },
    AdminAction {
        service: Service::Kiro,
        name: kiro::UnsubscribeGroup::ACTION,
        required: &["profile", "group"],
        optional: &[],
        build: typed::<kiro::UnsubscribeGroup>,
    },
    AdminAction {
        service: Service::Kiro,
        name: kiro::DeleteSeat::ACTION,
        required: &["profile", "user"],
        optional: &[],
        build: typed::<kiro::DeleteSeat>,
    },
    AdminAction {
        service: Service::Kiro,
        name: kiro::Settings::ACTION,
        required: &["profile"],
        optional: &["set"],
        build: typed::<kiro::Settings>,
    },
    AdminAction {
        service: Service::Kiro,
        name: kiro::SetSyncDelay::ACTION,
        required: &["delay"],
        optional: &[],
        build: typed::<kiro::SetSyncDelay>,
    },
    // ---- DNS provider: typed (`sim_api::dns`) --------------------------------------------------
    AdminAction {
        service: Service::Dns,
        name: dns::CreateZone::ACTION,
        required: &["name"],
        optional: &[],
        build: typed::<dns::CreateZone>,
    },
    AdminAction {
        service: Service::Dns,
        name: dns::FindZone::ACTION,
        required: &["name"],
        optional: &[],
        build: typed::<dns::FindZone>,
    },
    AdminAction {
        service: Service::Dns,
        name: dns::CreateRecord::ACTION,
        required: &["zone", "type", "name", "content"],
        optional: &["ttl"],
        build: typed::<dns::CreateRecord>,
    },
    AdminAction {
        service: Service::Dns,
        name: dns::ListRecords::ACTION,
        required: &["zone"],
        optional: &[],
        build: typed::<dns::ListRecords>,
    },
    AdminAction {
        service: Service::Dns,
        name: dns::DeleteRecord::ACTION,
        required: &["zone", "record"],
        optional: &[],
        build: typed::<dns::DeleteRecord>,
    },
    AdminAction {
        service: Service::Dns,
        name: dns::SetPropagation::ACTION,
        required: &["delay"],
        optional: &[],
        build: typed::<dns::SetPropagation>,
    },
];

/// The actions of a user with the Kiro IDE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdeAction {
    /// Sign in by email (route → discovery → authn → code + PKCE → tokens).
    SignIn,
    /// An inline completion.
    Complete,
    /// A chat message.
    Chat,
    /// GetUsageLimits.
    Usage,
    /// Refresh the access token if it has expired.
    Refresh,
    /// Refresh the tokens now, expired or not.
    RefreshNow,
    /// Forget the token cache.
    SignOut,
}

/// `(name, action, required, optional)` of every IDE action.
pub const IDE_ACTIONS: &[(&str, IdeAction, &[&str], &[&str])] = &[
    ("sign_in", IdeAction::SignIn, &[], &["password"]),
    ("complete", IdeAction::Complete, &[], &["left", "right"]),
    ("chat", IdeAction::Chat, &[], &["message", "model"]),
    ("usage", IdeAction::Usage, &[], &[]),
    ("refresh", IdeAction::Refresh, &[], &[]),
    ("refresh_now", IdeAction::RefreshNow, &[], &[]),
    ("sign_out", IdeAction::SignOut, &[], &[]),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// A value of the right kind for a parameter.
    fn sample(name: &str) -> Value {
        match name {
            "ttl" => json!(60),
            "activate" => json!(true),
            "set" | "properties" | "profile" => json!({}),
            "clients" | "scopes" | "grant_types" => json!(["x"]),
            _ => json!("x"),
        }
    }

    #[test]
    fn every_action_builds_from_its_declared_parameters_and_typed_ones_refuse_others() {
        for action in ADMIN_ACTIONS {
            let mut args: Map<String, Value> = action
                .required
                .iter()
                .map(|n| (n.to_string(), sample(n)))
                .collect();
            assert!((action.build)(&args).is_ok(), "{action:?} with {args:?}");
            for n in action.optional {
                args.insert(n.to_string(), sample(n));
            }
            assert!((action.build)(&args).is_ok(), "{action:?} with {args:?}");
        }
        // Okta's typed so far: the directory and app assignments.
        let okta_typed = |name: &str| {
            name.ends_with("_user")
                || name.ends_with("_group")
                || name.ends_with("_member")
                || name == "get_user"
        };
        let typed: Vec<&AdminAction> = ADMIN_ACTIONS
            .iter()
            .filter(|a| {
                matches!(a.service, Service::Dns | Service::Kiro)
                    || (a.service == Service::Okta && okta_typed(a.name))
            })
            .collect();
        assert_eq!(typed.len(), 6 + 16 + 15, "{typed:?}");
        for action in typed {
            let mut args: Map<String, Value> = action
                .required
                .iter()
                .map(|n| (n.to_string(), sample(n)))
                .collect();
            if let Some(first) = action.required.first() {
                let mut missing = args.clone();
                missing.remove(*first);
                assert!(
                    (action.build)(&missing).is_err(),
                    "{action:?} without {first}"
                );
            }
            args.insert("unknown".into(), json!("x"));
            assert!((action.build)(&args).is_err(), "{action:?} takes `unknown`");
        }
    }

    #[test]
    fn a_typed_step_is_the_request_the_typed_client_sends() {
        let action = ADMIN_ACTIONS
            .iter()
            .find(|a| a.service == Service::Dns && a.name == "create_record")
            .expect("dns.create_record");
        let args = json!({ "zone": "z1", "type": "TXT", "name": "_k.example.com", "content": "v" });
        let built = (action.build)(args.as_object().expect("object")).expect("builds");
        let client = sim_api::dns::CreateRecord::txt("z1", "_k.example.com", "v").request();
        assert_eq!(built, request(&client));
    }
}
