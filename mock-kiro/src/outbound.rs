//! mock-kiro's own clients, the only way it reaches other services:
//! - OIDC discovery and JWKS over HTTP (reqwest), for profiles and token verification;
//! - TXT lookups over real DNS (hickory-resolver, UDP with TCP fallback) against the
//!   configured server (mock-dns in a world), for domain verification.
//!
//! Nothing here holds a lock; callers take the core's lock only around core calls.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use serde_json::Value;

use crate::core::console::Discovery;

/// Outbound HTTP and DNS clients.
pub(crate) struct Outbound {
    http: reqwest::Client,
    resolver: TokioResolver,
}

/// A JWK as fetched (only RSA keys are kept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FetchedKey {
    pub(crate) kid: String,
    pub(crate) n: Vec<u8>,
    pub(crate) e: Vec<u8>,
}

/// The RSA signing keys of a JWKS document (`kty` RSA, `use` absent or `sig`, with `kid`, `n`
/// and `e`); `None` when it has no `keys` list. Other keys are skipped.
pub(crate) fn keys_from_jwks(doc: &Value) -> Option<Vec<FetchedKey>> {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let keys = doc.get("keys").and_then(Value::as_array)?;
    Some(
        keys.iter()
            .filter(|k| k.get("kty").and_then(Value::as_str) == Some("RSA"))
            .filter(|k| {
                k.get("use")
                    .and_then(Value::as_str)
                    .is_none_or(|u| u == "sig")
            })
            .filter_map(|k| {
                Some(FetchedKey {
                    kid: k.get("kid")?.as_str()?.to_string(),
                    n: URL_SAFE_NO_PAD.decode(k.get("n")?.as_str()?).ok()?,
                    e: URL_SAFE_NO_PAD.decode(k.get("e")?.as_str()?).ok()?,
                })
            })
            .collect(),
    )
}

impl Outbound {
    /// Clients that resolve through `dns_server` and trust `trust` for https (see
    /// [`sim_core::outbound`]); every HTTP request and DNS lookup is bounded by `timeout` of
    /// wall time.
    pub(crate) fn new(
        dns_server: SocketAddr,
        trust: &sim_core::outbound::Trust,
        timeout: Duration,
    ) -> Result<Outbound, String> {
        let http = sim_core::outbound::world_builder(trust)
            .map_err(|e| e.to_string())?
            .timeout(timeout)
            .build()
            .map_err(|e| e.to_string())?;
        let mut ns = NameServerConfig::udp_and_tcp(dns_server.ip());
        for connection in &mut ns.connections {
            connection.port = dns_server.port();
        }
        let mut builder = TokioResolver::builder_with_config(
            ResolverConfig::from_name_servers(vec![ns]),
            TokioRuntimeProvider::default(),
        );
        let mut opts = ResolverOpts::default();
        // Every check must see DNS as it is now: no caching, one quick attempt.
        opts.cache_size = 0;
        opts.attempts = 0; // no retry: a failed lookup fails after one timeout
        opts.timeout = timeout;
        *builder.options_mut() = opts;
        let resolver = builder.build().map_err(|e| e.to_string())?;
        Ok(Outbound { http, resolver })
    }

    /// Fetches and checks `{issuer}/.well-known/openid-configuration` (KIRO-PRO-1): it must be
    /// JSON whose `issuer` is exactly `issuer`, with `jwks_uri`, `authorization_endpoint` and
    /// `token_endpoint`.
    pub(crate) async fn discovery(&self, issuer: &str) -> Result<Discovery, String> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| format!("could not fetch {url}: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("{url} answered {}", response.status()));
        }
        let doc: Value = response
            .json()
            .await
            .map_err(|e| format!("{url} is not a JSON discovery document: {e}"))?;
        let field = |name: &str| {
            doc.get(name)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| format!("the discovery document at {url} has no `{name}`"))
        };
        let found = field("issuer")?;
        if found != issuer {
            return Err(format!(
                "the discovery document's issuer is {found:?}, not {issuer:?}"
            ));
        }
        Ok(Discovery {
            jwks_uri: field("jwks_uri")?,
            authorization_endpoint: field("authorization_endpoint")?,
            token_endpoint: field("token_endpoint")?,
        })
    }

    /// Fetches a JWKS and keeps its RSA signing keys.
    pub(crate) async fn jwks(&self, jwks_uri: &str) -> Result<Vec<FetchedKey>, String> {
        let response = self
            .http
            .get(jwks_uri)
            .send()
            .await
            .map_err(|e| format!("could not fetch {jwks_uri}: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("{jwks_uri} answered {}", response.status()));
        }
        let doc: Value = response
            .json()
            .await
            .map_err(|e| format!("{jwks_uri} is not a JWKS: {e}"))?;
        keys_from_jwks(&doc).ok_or_else(|| format!("{jwks_uri} has no `keys`"))
    }

    /// The TXT records at `name`, each as the concatenation of its strings. A name that does
    /// not exist (or has no TXT, or is in no zone the server holds: REFUSED) gives an empty
    /// list; a failure to reach DNS is an error.
    pub(crate) async fn txt(&self, name: &str) -> Result<Vec<String>, String> {
        match self.resolver.txt_lookup(format!("{name}.")).await {
            Ok(lookup) => Ok(lookup
                .answers()
                .iter()
                .filter_map(|record| match &record.data {
                    hickory_resolver::proto::rr::RData::TXT(txt) => Some(
                        txt.txt_data
                            .iter()
                            .map(|s| String::from_utf8_lossy(s).into_owned())
                            .collect::<String>(),
                    ),
                    _ => None,
                })
                .collect()),
            Err(e) if e.is_no_records_found() || e.is_nx_domain() => Ok(Vec::new()),
            // REFUSED: the server holds no zone for the name, so (in a world where it is the
            // only DNS) the name does not exist yet; it is not a failure to reach DNS.
            Err(NetError::Dns(DnsError::ResponseCode(ResponseCode::Refused))) => Ok(Vec::new()),
            Err(e) => Err(format!("DNS lookup of {name} failed: {e}")),
        }
    }
}
