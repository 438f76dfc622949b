//! The typed steps: every admin action of the three services, each one HTTP request on the
//! service's real API, and the IDE user's actions. An admin step's arguments deserialize into
//! the action's one typed definition in `sim_api` (the same the typed clients and the
//! property tests build, and whose body the server parses); a typed step is sugar for a raw
//! `http` step, so its answer can be checked with the same expectations.

use serde_json::{Map, Value};
use sim_api::{AdminRequest, dns, kiro, okta};
use sim_world::clients::Body;

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
    /// Builds the request from the (substituted) arguments: they deserialize into the
    /// action's one typed definition ([`sim_api`]), so a missing, unknown or ill-typed
    /// argument is an error.
    pub build: fn(&Map<String, Value>) -> Result<Request, String>,
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
    Request {
        method,
        path: http.path.clone(),
        body: http.body.clone().map(Body::Json).unwrap_or_default(),
    }
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
        name: okta::CreateOidcApp::ACTION,
        required: &["label"],
        optional: &["refresh_token", "redirect_uris"],
        build: typed::<okta::CreateOidcApp>,
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
    // ---- Okta: provisioning ---------------------------------------------------------------------
    AdminAction {
        service: Service::Okta,
        name: okta::CreateScimApp::ACTION,
        required: &[],
        optional: &["label"],
        build: typed::<okta::CreateScimApp>,
    },
    AdminAction {
        service: Service::Okta,
        name: okta::SetConnection::ACTION,
        required: &["app", "base_url", "token"],
        optional: &[],
        build: typed::<okta::SetConnection>,
    },
    AdminAction {
        service: Service::Okta,
        name: okta::SetFeatures::ACTION,
        required: &["app"],
        optional: &["create_users", "update_attributes", "deactivate_users"],
        build: typed::<okta::SetFeatures>,
    },
    AdminAction {
        service: Service::Okta,
        name: okta::SetMapping::ACTION,
        required: &["mapping", "properties"],
        optional: &[],
        build: typed::<okta::SetMapping>,
    },
    AdminAction {
        service: Service::Okta,
        name: okta::PushGroup::ACTION,
        required: &["app", "group"],
        optional: &["active"],
        build: typed::<okta::PushGroup>,
    },
    AdminAction {
        service: Service::Okta,
        name: okta::SetPushStatus::ACTION,
        required: &["app", "mapping", "active"],
        optional: &[],
        build: typed::<okta::SetPushStatus>,
    },
    // ---- Okta: authorization servers ----------------------------------------------------------
    AdminAction {
        service: Service::Okta,
        name: okta::CreateAuthServer::ACTION,
        required: &["name"],
        optional: &["audience"],
        build: typed::<okta::CreateAuthServer>,
    },
    AdminAction {
        service: Service::Okta,
        name: okta::AddScope::ACTION,
        required: &["server", "name"],
        optional: &["consent"],
        build: typed::<okta::AddScope>,
    },
    AdminAction {
        service: Service::Okta,
        name: okta::CreatePolicy::ACTION,
        required: &["server", "name", "clients"],
        optional: &["priority"],
        build: typed::<okta::CreatePolicy>,
    },
    AdminAction {
        service: Service::Okta,
        name: okta::AddRule::ACTION,
        required: &["server", "policy", "name", "scopes"],
        optional: &[
            "grant_types",
            "groups",
            "access_token_minutes",
            "refresh_token_minutes",
        ],
        build: typed::<okta::AddRule>,
    },
    AdminAction {
        service: Service::Okta,
        name: okta::TokenPreview::ACTION,
        required: &["server", "client", "user", "scopes"],
        optional: &["grant_type"],
        build: typed::<okta::TokenPreview>,
    },
    AdminAction {
        service: Service::Okta,
        name: okta::RotateKeys::ACTION,
        required: &["server"],
        optional: &[],
        build: typed::<okta::RotateKeys>,
    },
    AdminAction {
        service: Service::Okta,
        name: okta::Logs::ACTION,
        required: &[],
        optional: &["filter"],
        build: typed::<okta::Logs>,
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
    use serde_json::json;

    /// A value of the right kind for a parameter.
    fn sample(name: &str) -> Value {
        match name {
            "ttl" | "priority" | "access_token_minutes" | "refresh_token_minutes" => json!(60),
            "activate" | "refresh_token" | "active" | "create_users" | "update_attributes"
            | "deactivate_users" => json!(true),
            "set" | "properties" | "profile" => json!({}),
            "clients" | "scopes" | "grant_types" | "groups" | "redirect_uris" => json!(["x"]),
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
        // Every action is typed: each refuses what it does not declare.
        let typed: Vec<&AdminAction> = ADMIN_ACTIONS.iter().collect();
        assert_eq!(typed.len(), 51, "{typed:?}");
        for action in typed {
            let mut args: Map<String, Value> = action
                .required
                .iter()
                .map(|n| (n.to_string(), sample(n)))
                .collect();
            // The type requires what the action declares required.
            for r in action.required {
                let mut missing = args.clone();
                missing.remove(*r);
                assert!((action.build)(&missing).is_err(), "{action:?} without {r}");
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
