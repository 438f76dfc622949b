//! The one place every outbound HTTP client of a world is built: mock-kiro's discovery and
//! JWKS fetches, mock-okta's SCIM push, sim-world's typed admin clients and the IDE client.
//!
//! Every client gets the same policy: no proxy from the environment (a world's traffic stays
//! on the addresses it was given), no automatic redirects (OIDC and SCIM callers look at a
//! redirect themselves), a connect timeout, and, when the world serves https, its
//! [`WorldCa`](crate::tls::WorldCa) as the only trust root, so a `--tls` world works for every
//! caller exactly as a plain one does. Callers add what is theirs (a request timeout, a user
//! agent, cookies) to the builder they get.

use std::time::Duration;

use rustls::pki_types::CertificateDer;

/// How long establishing a connection may take (wall time) before the call fails.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Which certificate authorities an outbound client trusts for https.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Trust {
    /// The platform's roots (a world without TLS never makes https calls, so this is only for
    /// callers pointed at outside systems).
    #[default]
    Platform,
    /// Exactly this CA certificate (DER), and nothing else: the world's own CA.
    WorldCa(CertificateDer<'static>),
}

impl Trust {
    /// Trust the world CA when there is one, the platform's roots otherwise.
    pub fn from_ca(ca: Option<&crate::tls::WorldCa>) -> Trust {
        ca.map_or(Trust::Platform, |ca| Trust::WorldCa(ca.ca_der().clone()))
    }

    /// Trust the first certificate of a PEM file (a world's CA file, the ready line's
    /// `ca_pem`).
    pub fn from_pem_file(path: &std::path::Path) -> Result<Trust, OutboundError> {
        use rustls::pki_types::pem::PemObject as _;
        let der = CertificateDer::from_pem_file(path)
            .map_err(|e| OutboundError::Pem(format!("{}: {e}", path.display())))?;
        Ok(Trust::WorldCa(der))
    }
}

/// A client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    /// reqwest refused the settings (a malformed certificate; TLS back end not initialised).
    #[error("building an outbound HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    /// A CA file could not be read as PEM.
    #[error("reading a CA certificate: {0}")]
    Pem(String),
    /// The platform's trust roots could not be set up.
    #[error("building the platform's TLS configuration: {0}")]
    Platform(String),
}

/// A client builder with the world's outbound policy and trust roots; the caller may add its
/// own settings before `build()`.
pub fn builder(trust: &Trust) -> Result<reqwest::ClientBuilder, OutboundError> {
    let builder = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT);
    Ok(match trust {
        Trust::Platform => builder.tls_backend_preconfigured(platform_tls()?),
        Trust::WorldCa(der) => {
            builder.tls_certs_only([reqwest::Certificate::from_der(der.as_ref())?])
        }
    })
}

/// The TLS configuration reqwest itself builds for the platform's roots (its default crypto
/// provider, every TLS version, `rustls-platform-verifier`, SNI, ALPN `http/1.1`), built once
/// per process: building it loads and parses the system's CA certificates, which took most of
/// a world's start and of a sandbox's reset (every world builds several clients).
fn platform_tls() -> Result<rustls::ClientConfig, OutboundError> {
    static CONFIG: std::sync::OnceLock<Result<rustls::ClientConfig, String>> =
        std::sync::OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let provider = rustls::crypto::CryptoProvider::get_default()
                .cloned()
                .unwrap_or_else(|| {
                    std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider())
                });
            let verifier = rustls_platform_verifier::Verifier::new(provider.clone())
                .map_err(|e| format!("the platform's certificate verifier: {e}"))?;
            let mut config = rustls::ClientConfig::builder_with_provider(provider)
                .with_protocol_versions(rustls::ALL_VERSIONS)
                .map_err(|e| format!("TLS versions: {e}"))?
                .dangerous()
                .with_custom_certificate_verifier(std::sync::Arc::new(verifier))
                .with_no_client_auth();
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            Ok(config)
        })
        .clone()
        .map_err(OutboundError::Platform)
}

/// [`builder`] for the world's own calls (a service's outbound fetches and pushes): every
/// request carries [`crate::http::INTERNAL_HEADER`], so it passes a sandbox's readiness gate
/// while the world is being set up or reset.
pub fn world_builder(trust: &Trust) -> Result<reqwest::ClientBuilder, OutboundError> {
    let marker = reqwest::header::HeaderMap::from_iter([(
        reqwest::header::HeaderName::from_static(crate::http::INTERNAL_HEADER),
        reqwest::header::HeaderValue::from_static("1"),
    )]);
    Ok(builder(trust)?.default_headers(marker))
}

/// A client with the world's policy and nothing else.
pub fn client(trust: &Trust) -> Result<reqwest::Client, OutboundError> {
    Ok(builder(trust)?.build()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::serve;
    use crate::tls::WorldCa;

    /// A router answering `GET /` with `ok`, served over https with a certificate of `ca`.
    async fn https_server(ca: &WorldCa) -> crate::http::HttpServer {
        let router = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let tls = ca.server_config(&["localhost", "127.0.0.1"]).expect("tls");
        serve(listener, router, Some(tls)).await.expect("serve")
    }

    #[tokio::test]
    async fn a_client_trusting_the_world_ca_reaches_its_https_services_and_no_others() {
        let ca = WorldCa::new("test world CA").expect("ca");
        let server = https_server(&ca).await;
        let url = format!("https://127.0.0.1:{}/", server.local_addr().port());

        let trusting = client(&Trust::from_ca(Some(&ca))).expect("client");
        let answer = trusting.get(&url).send().await.expect("https call");
        assert_eq!(answer.text().await.expect("body"), "ok");

        // Another world's CA (or the platform's roots) does not vouch for this server.
        let other = WorldCa::new("another world CA").expect("ca");
        let stranger = client(&Trust::from_ca(Some(&other))).expect("client");
        let refused = stranger.get(&url).send().await.expect_err("untrusted");
        assert!(refused.is_connect(), "{refused:?}");
        let platform = client(&Trust::Platform).expect("client");
        platform.get(&url).send().await.expect_err("untrusted");
    }

    #[tokio::test]
    async fn redirects_are_returned_not_followed() {
        let router = axum::Router::new().route(
            "/",
            axum::routing::get(|| async {
                (
                    axum::http::StatusCode::FOUND,
                    [(axum::http::header::LOCATION, "/elsewhere")],
                )
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let server = serve(listener, router, None).await.expect("serve");
        let url = format!("http://{}/", server.local_addr());
        let answer = client(&Trust::Platform)
            .expect("client")
            .get(&url)
            .send()
            .await
            .expect("call");
        assert_eq!(answer.status(), 302);
    }
}
