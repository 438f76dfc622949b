//! The scenario format: what a parsed scenario file is (the parser is `crate::parser`).
//!
//! ```yaml
//! name: A developer signs in and chats
//! covers: [KIRO-DOM-4, KIRO-USE-1]
//! seed: 7                        # optional (the runner's --seed wins)
//! pending: "needs …"             # optional: reported as pending, not run
//! world: { zones: [example.com], sync_delay: 24h, dns_propagation: 5m, domain_check: 10m, tls: true }
//! actors:
//!   okta: okta-admin
//!   kiro: kiro-admin
//!   dns: dns-admin
//!   ada: { ide: ada@example.com, password: Correct-Horse-9 }
//! steps:
//!   - use: okta-oidc-setup            # a named macro (see `macros.yaml`)
//!   - okta.create_user: { login: grace@example.com, first: Grace, last: Hopper }
//!     save: { grace: $.id }
//!   - advance: 24h
//!   - ada.chat: { message: hello }
//!     expect: { status: 403, error: AccessDeniedException }
//!   - http: { service: kiro, method: GET, path: "/console/profiles/${profile}", as: admin }
//!     expect: { json: { $.status: ACTIVE, $header.content-type: { contains: json } } }
//!   - dig: { name: _kiro.example.com, type: TXT, over: tcp }   # a real DNS query
//!     expect: { json: { $.rcode: NXDOMAIN } }
//!   - jwt: "${access}"                  # decode a token: { header, claims }
//!     expect: { json: { $.claims.scp: { contains: openid } } }
//!   - totp: "${secret}"                 # the authenticator app's current code: { code }
//! ```
//!
//! Every parse error names `file:line:column` and what was expected.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::actions::{AdminAction, IdeAction, Service};
use crate::yaml::Pos;

/// The built-in macros, in the scenario step syntax.
pub const MACROS_FILE: &str = "scenarios/src/macros.yaml";

/// A parse error: `file:line:column: message`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{pos}: {message}")]
pub struct ParseError {
    /// The file.
    pub file: String,
    /// Where.
    pub pos: Pos,
    /// What was expected.
    pub message: String,
}

/// A scenario file, parsed.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The file it came from.
    pub file: String,
    /// Its title.
    pub name: String,
    /// The BEHAVIOURS.md ids it covers, with where they are named.
    pub covers: Vec<(String, Pos)>,
    /// Its seed (the runner's `--seed` overrides it).
    pub seed: Option<u64>,
    /// Why it cannot run yet.
    pub pending: Option<String>,
    /// How to start its world.
    pub world: WorldSpec,
    /// Its actors by name.
    pub actors: BTreeMap<String, Actor>,
    /// Its steps, macros expanded.
    pub steps: Vec<Step>,
}

/// World settings of a scenario.
#[derive(Clone, Debug, Default)]
pub struct WorldSpec {
    /// Zones mock-dns creates at start.
    pub zones: Vec<String>,
    /// mock-kiro's group sync delay.
    pub sync_delay: Option<sim_world::SyncDelay>,
    /// mock-dns's propagation delay.
    pub dns_propagation: Option<Duration>,
    /// How often mock-kiro checks pending domains (its default when `None`).
    pub domain_check: Option<Duration>,
    /// Serve every HTTP API over https with the world's CA (every client of the run trusts it).
    pub tls: bool,
}

/// Who acts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// An admin of one service.
    Admin(Service),
    /// A user with the Kiro IDE.
    Ide {
        /// Email (the sign-in name).
        email: String,
        /// Okta password.
        password: String,
    },
}

/// One step.
#[derive(Clone, Debug)]
pub struct Step {
    /// Where it is written (for macros: the `use:` line and the macro's own line).
    pub origin: String,
    /// A short label: `okta.create_user`, `advance 24h`, `http POST /…`.
    pub label: String,
    /// What it does.
    pub action: Action,
    /// What must come of it.
    pub expect: Expect,
    /// Variables to capture from the answer: `(name, JSON path)`.
    pub save: Vec<(String, String)>,
    /// A comment shown in the transcript.
    pub note: Option<String>,
}

/// What a step does.
#[derive(Clone, Debug)]
pub enum Action {
    /// Move the world clock.
    Advance(Duration),
    /// Set variables (values may use `${…}`).
    Set(Map<String, Value>),
    /// A raw HTTP request.
    Http {
        /// Which service.
        service: Service,
        /// Method.
        method: reqwest::Method,
        /// Path (or absolute URL), with `${…}`.
        path: String,
        /// JSON body.
        body: Option<Value>,
        /// Form body.
        form: Option<Map<String, Value>>,
        /// Authorization.
        auth: Auth,
    },
    /// A typed admin action.
    Admin {
        /// The actor's name.
        actor: String,
        /// The action.
        action: &'static AdminAction,
        /// Arguments (with `${…}`).
        args: Map<String, Value>,
    },
    /// A DNS query to mock-dns over UDP or TCP (`dig: { name, type, over }`).
    Dig {
        /// The name asked for (with `${…}`).
        name: String,
        /// The record type (A, TXT, …).
        record_type: String,
        /// UDP or TCP.
        over: crate::dig::Transport,
    },
    /// Decodes a JWT's header and claims (`jwt: "${access}"`), as jwt.io does: no check.
    Jwt(String),
    /// The current code of a TOTP secret at world time (`totp: "${secret}"`), as an
    /// authenticator app shows it.
    Totp(String),
    /// An IDE user's action.
    Ide {
        /// The actor's name.
        actor: String,
        /// The action.
        action: IdeAction,
        /// Arguments (with `${…}`).
        args: Map<String, Value>,
    },
}

/// How a raw request authorizes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// The service's admin credential.
    Admin,
    /// No `Authorization` header.
    None,
    /// `Bearer {value}` (value with `${…}`).
    Bearer(String),
    /// `SSWS {value}`.
    Ssws(String),
}

/// What a step must produce.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Expect {
    /// Allowed statuses; empty: any 2xx unless `error` is set.
    pub status: Vec<u16>,
    /// The error must contain this text.
    pub error: Option<String>,
    /// `(path, matcher)` checks on the JSON answer.
    pub json: Vec<(String, Value)>,
    /// The redirect `Location` must contain this text.
    pub location: Option<String>,
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if self.status.is_empty() && self.error.is_none() {
            parts.push("success (2xx)".to_string());
        }
        if !self.status.is_empty() {
            let s: Vec<String> = self.status.iter().map(u16::to_string).collect();
            parts.push(format!("status {}", s.join(" or ")));
        }
        if let Some(e) = &self.error {
            parts.push(format!("an error containing {e:?}"));
        }
        write!(f, "{}", parts.join(", "))
    }
}
