//! `kiro-sim doctor` as a library: reads Okta, the Kiro console and DNS through their public
//! APIs only (GETs and DNS queries; nothing is ever written) and reports every deviation from
//! Kiro's "Connect your Okta IdP" guide and its security considerations (issue #15).
//!
//! - [`gather`]: HTTP and DNS reads → a typed [`Snapshot`].
//! - [`diagnose`](diagnose::diagnose): the pure judgement, `&Snapshot → Report`.
//! - [`report`]: [`Finding`] (`DOC-n`, guide step, object, what, why, fix, severity) and
//!   [`Report`] (human ✓/✗ grouped by step, JSON, HTML fragment).
//!
//! Entry points: [`run`] with a [`Target`] (explicit URLs and tokens, or [`Target::from_ready`]
//! for a world's ready line), and [`diagnose_world`] for the sandbox home.
//!
//! The Okta part needs only read scopes when run with an OAuth 2.0 service-app token:
//! [`OKTA_SCOPES`].

pub mod diagnose;
pub mod gather;
pub mod report;
pub mod snapshot;

use std::net::SocketAddr;

use serde_json::{Map, Value};

pub use diagnose::diagnose;
pub use report::{Finding, Report, Severity, Step};
pub use snapshot::Snapshot;

/// The read-only Okta OAuth 2.0 scopes the doctor needs (service app, `private_key_jwt`).
pub const OKTA_SCOPES: [&str; 6] = [
    "okta.apps.read",
    "okta.users.read",
    "okta.groups.read",
    "okta.authorizationServers.read",
    "okta.profileMappings.read",
    "okta.logs.read",
];

/// Why the doctor could not read a system.
#[derive(Debug, thiserror::Error)]
pub enum DoctorError {
    /// A request failed before an answer.
    #[error("GET {url}: {message}")]
    Http {
        /// The URL.
        url: String,
        /// What failed.
        message: String,
    },
    /// A request was answered with an error status.
    #[error("GET {url}: HTTP {status}: {body}")]
    Status {
        /// The URL.
        url: String,
        /// The status.
        status: u16,
        /// The start of the body (the system's error).
        body: String,
    },
    /// An answer did not have the expected shape.
    #[error("unexpected answer: {0}")]
    Shape(String),
    /// The DNS resolver could not be built.
    #[error("DNS: {0}")]
    Dns(String),
    /// The target was not described completely.
    #[error("{0}")]
    Config(String),
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Client(#[from] sim_core::outbound::OutboundError),
}

/// What to diagnose.
#[derive(Clone, Debug)]
pub struct Target {
    /// The Okta org's URL.
    pub okta: String,
    /// An SSWS API token, or `Bearer …` (an OAuth 2.0 access token with [`OKTA_SCOPES`]).
    pub okta_token: String,
    /// The Kiro console's URL and admin token (skipped with a note when absent).
    pub kiro: Option<(String, String)>,
    /// Which profile (its ARN), when the console holds several.
    pub profile_arn: Option<String>,
    /// The DNS server to ask (skipped with a note when absent).
    pub dns: Option<SocketAddr>,
    /// What the HTTP clients trust.
    pub trust: sim_core::outbound::Trust,
}

impl Target {
    /// A target from a world's ready line (`kiro-sim up`, `World::ready_fields`): `okta`,
    /// `okta_api_token`, `kiro`, `kiro_admin_token`, `kiro_profile_arn`, `dns`, `ca_pem`.
    pub fn from_ready(fields: &Map<String, Value>) -> Result<Target, DoctorError> {
        let get = |k: &str| fields.get(k).and_then(Value::as_str).map(str::to_string);
        let okta = get("okta").ok_or_else(|| DoctorError::Config("ready line: no okta".into()))?;
        let okta_token = get("okta_api_token")
            .ok_or_else(|| DoctorError::Config("ready line: no okta_api_token".into()))?;
        let kiro = get("kiro").zip(get("kiro_admin_token"));
        let dns = match get("dns") {
            Some(d) => Some(
                d.parse::<SocketAddr>()
                    .map_err(|e| DoctorError::Config(format!("ready line: dns {d}: {e}")))?,
            ),
            None => None,
        };
        let trust = match get("ca_pem") {
            Some(path) => sim_core::outbound::Trust::from_pem_file(std::path::Path::new(&path))?,
            None => sim_core::outbound::Trust::Platform,
        };
        Ok(Target {
            okta,
            okta_token,
            kiro,
            profile_arn: get("kiro_profile_arn"),
            dns,
            trust,
        })
    }
}

fn okta_authorization(token: &str) -> String {
    if token.starts_with("Bearer ") || token.starts_with("SSWS ") {
        token.to_string()
    } else {
        format!("SSWS {token}")
    }
}

/// Reads the systems of `target` into a snapshot.
pub async fn gather(target: &Target) -> Result<Snapshot, DoctorError> {
    let http = sim_core::outbound::builder(&target.trust)?
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| DoctorError::Config(format!("HTTP client: {e}")))?;
    let okta_reader = gather::Reader::new(
        http.clone(),
        &target.okta,
        okta_authorization(&target.okta_token),
    );
    let mut notes = Vec::new();
    let okta = gather::okta(okta_reader).await?;
    let kiro = match &target.kiro {
        Some((url, token)) => {
            let reader = gather::Reader::new(http.clone(), url, format!("Bearer {token}"));
            let client_ids: Vec<String> = okta.apps.iter().map(|a| a.id.clone()).collect();
            let facts =
                gather::kiro(reader, http, target.profile_arn.as_deref(), &client_ids).await?;
            if facts.is_none() {
                notes.push("Kiro: the console holds no profile; Step 3 not checked".into());
            }
            facts
        }
        None => {
            notes.push(
                "Kiro not given (--kiro, --kiro-token): the Kiro console checks are skipped".into(),
            );
            None
        }
    };
    let dns = match (target.dns, &kiro) {
        (Some(server), Some(k)) => {
            let names: Vec<String> = k.domains.iter().map(|d| d.record_name.clone()).collect();
            Some(gather::dns(server, &names).await?)
        }
        (Some(_), None) => None,
        (None, _) => {
            notes.push("DNS not given (--dns HOST:PORT): TXT records are not looked up".into());
            None
        }
    };
    Ok(gather::snapshot(okta, kiro, dns, notes))
}

/// Reads `target` and diagnoses it.
pub async fn run(target: &Target) -> Result<Report, DoctorError> {
    Ok(diagnose(&gather(target).await?))
}

/// The sandbox home's entry point: diagnoses the world whose ready fields are `fields`
/// (`World::ready_fields` plus the documented setup's fields). Render with
/// [`Report::to_html`] or [`Report::to_json`].
pub async fn diagnose_world(fields: &Map<String, Value>) -> Result<Report, DoctorError> {
    run(&Target::from_ready(fields)?).await
}
