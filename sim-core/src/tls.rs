//! A per-world certificate authority, for serving https.
//!
//! Some clients refuse plain http: Okta's Python JWT verifier, for one, only fetches keys from
//! an `https://` issuer. So each world makes its own [`WorldCa`] (an ECDSA P-256 CA, generated
//! fresh and never written anywhere unless asked), issues leaf certificates from it for the
//! names its services answer on ([`WorldCa::server_config`]), and writes the CA certificate
//! where the user asks ([`WorldCa::write_ca_pem`]) so clients can trust it (for Python, with
//! `SSL_CERT_FILE` or `REQUESTS_CA_BUNDLE`). [`WorldCa::client_config`] trusts only this CA,
//! for tests and for services calling each other over https.
//!
//! Certificates are valid from a day before the wall-clock time they are issued at (clients
//! check validity against their real clock, not the world's virtual one): ten years for the CA,
//! 397 days for leaves (macOS rejects server certificates valid for longer). They carry the
//! extensions strict verifiers insist on (Python 3.13's `VERIFY_X509_STRICT`, for one): key
//! identifiers, critical basic constraints, key usages and the server-auth EKU.
//!
//! All keys are ECDSA P-256, which generate in microseconds; never RSA. Every rustls config is
//! built with the ring provider passed explicitly, never a process-wide default.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ClientConfig, RootCertStore, ServerConfig};

/// The one ALPN protocol the servers offer.
const ALPN_HTTP_1_1: &[u8] = b"http/1.1";

/// How long before issuance a certificate is already valid (tolerates clock skew).
const BACKDATE: Duration = Duration::from_secs(24 * 60 * 60);
/// How long the CA certificate is valid after issuance.
const CA_VALIDITY: Duration = Duration::from_secs(10 * 365 * 24 * 60 * 60);
/// How long a leaf certificate is valid after issuance (at most 398 days, as clients demand).
const LEAF_VALIDITY: Duration = Duration::from_secs(397 * 24 * 60 * 60);

/// What can go wrong making certificates or TLS configs.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Generating a key pair failed.
    #[error("generating an ECDSA P-256 key pair failed: {0}")]
    KeyGeneration(#[source] rcgen::Error),
    /// Signing a certificate failed.
    #[error("issuing the certificate for {subject} failed: {source}")]
    Issue {
        /// The certificate's subject (the CA's common name, or the leaf's hosts).
        subject: String,
        /// What rcgen reported.
        #[source]
        source: rcgen::Error,
    },
    /// A host is neither an IP address nor a valid DNS name.
    #[error("`{host}` is neither an IP address nor a valid DNS name for a certificate: {source}")]
    InvalidHost {
        /// The host as given.
        host: String,
        /// Why it cannot be a DNS name.
        #[source]
        source: rcgen::Error,
    },
    /// A server certificate was asked for no host at all.
    #[error("a server certificate needs at least one host name or IP address")]
    NoHosts,
    /// rustls rejected the certificates, the key or the protocol versions.
    #[error("building the rustls {side} config failed: {source}")]
    Rustls {
        /// `"server"` or `"client"`.
        side: &'static str,
        /// What rustls reported.
        #[source]
        source: rustls::Error,
    },
    /// Writing the CA certificate failed.
    #[error("writing the CA certificate to {}: {source}", path.display())]
    WriteCaPem {
        /// Where it was to be written.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// A world's certificate authority: an ECDSA P-256 CA that issues the world's server
/// certificates. Cheap to clone; clones share the CA.
#[derive(Clone)]
pub struct WorldCa {
    inner: Arc<CaInner>,
}

struct CaInner {
    common_name: String,
    issuer: Issuer<'static, KeyPair>,
    cert_der: CertificateDer<'static>,
    cert_pem: String,
}

impl fmt::Debug for WorldCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The signing key stays out of logs.
        f.debug_struct("WorldCa")
            .field("common_name", &self.inner.common_name)
            .finish_non_exhaustive()
    }
}

impl WorldCa {
    /// Creates a fresh self-signed CA named `common_name` (e.g. `"kiro-sim world CA"`).
    pub fn new(common_name: &str) -> Result<WorldCa, TlsError> {
        let key = generate_key()?;
        let params = ca_params(common_name, SystemTime::now());
        let cert = params.self_signed(&key).map_err(|source| TlsError::Issue {
            subject: common_name.to_string(),
            source,
        })?;
        let cert_pem = cert.pem();
        Ok(WorldCa {
            inner: Arc::new(CaInner {
                common_name: common_name.to_string(),
                issuer: Issuer::new(params, key),
                cert_der: cert.der().clone(),
                cert_pem,
            }),
        })
    }

    /// The CA certificate in PEM, for clients to trust.
    pub fn ca_pem(&self) -> &str {
        &self.inner.cert_pem
    }

    /// The CA certificate in DER.
    pub fn ca_der(&self) -> &CertificateDer<'static> {
        &self.inner.cert_der
    }

    /// Writes the CA certificate in PEM to `path` (replacing any file there).
    pub fn write_ca_pem(&self, path: &Path) -> Result<(), TlsError> {
        std::fs::write(path, self.ca_pem()).map_err(|source| TlsError::WriteCaPem {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Issues a leaf certificate for `hosts` (each an IP address, which becomes an IP SAN, or
    /// a DNS name such as `localhost`), signed by this CA, and returns a server config that
    /// presents it and offers ALPN `http/1.1`.
    pub fn server_config(&self, hosts: &[&str]) -> Result<Arc<ServerConfig>, TlsError> {
        let (cert, key) = self.issue_leaf(hosts)?;
        let mut config = ServerConfig::builder_with_provider(ring_provider())
            .with_safe_default_protocol_versions()
            .map_err(rustls_error("server"))?
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .map_err(rustls_error("server"))?;
        config.alpn_protocols = vec![ALPN_HTTP_1_1.to_vec()];
        Ok(Arc::new(config))
    }

    /// A client config that trusts this CA and nothing else (no system roots), offering ALPN
    /// `http/1.1`.
    pub fn client_config(&self) -> Result<Arc<ClientConfig>, TlsError> {
        let mut roots = RootCertStore::empty();
        roots
            .add(self.inner.cert_der.clone())
            .map_err(rustls_error("client"))?;
        let mut config = ClientConfig::builder_with_provider(ring_provider())
            .with_safe_default_protocol_versions()
            .map_err(rustls_error("client"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![ALPN_HTTP_1_1.to_vec()];
        Ok(Arc::new(config))
    }

    /// Issues a leaf certificate and key for `hosts`.
    fn issue_leaf(
        &self,
        hosts: &[&str],
    ) -> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), TlsError> {
        let params = leaf_params(hosts, SystemTime::now())?;
        let key = generate_key()?;
        let cert = params
            .signed_by(&key, &self.inner.issuer)
            .map_err(|source| TlsError::Issue {
                subject: hosts.join(", "),
                source,
            })?;
        let key = PrivateKeyDer::from(PrivatePkcs8KeyDer::from(key.serialize_der()));
        Ok((cert.der().clone(), key))
    }
}

/// The ring crypto provider, passed explicitly to every rustls builder.
fn ring_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn rustls_error(side: &'static str) -> impl Fn(rustls::Error) -> TlsError {
    move |source| TlsError::Rustls { side, source }
}

fn generate_key() -> Result<KeyPair, TlsError> {
    KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(TlsError::KeyGeneration)
}

/// Parameters of the self-signed CA certificate issued at `now`.
fn ca_params(common_name: &str, now: SystemTime) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = common_name_dn(common_name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
    ];
    set_validity(&mut params, now, CA_VALIDITY);
    params
}

/// Parameters of a leaf certificate for `hosts` issued at `now`.
fn leaf_params(hosts: &[&str], now: SystemTime) -> Result<CertificateParams, TlsError> {
    let first = hosts.first().ok_or(TlsError::NoHosts)?;
    let mut params = CertificateParams::default();
    params.subject_alt_names = hosts
        .iter()
        .map(|host| san_for(host))
        .collect::<Result<_, _>>()?;
    params.distinguished_name = common_name_dn(first);
    // Explicitly not a CA: writes a critical `CA:FALSE` and a subject key identifier.
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    set_validity(&mut params, now, LEAF_VALIDITY);
    Ok(params)
}

/// An IP SAN if `host` parses as an IP address, else a DNS SAN.
fn san_for(host: &str) -> Result<SanType, TlsError> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    let name = host.try_into().map_err(|source| TlsError::InvalidHost {
        host: host.to_string(),
        source,
    })?;
    Ok(SanType::DnsName(name))
}

fn common_name_dn(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn
}

/// Valid from [`BACKDATE`] before `now` until `validity` after it.
fn set_validity(params: &mut CertificateParams, now: SystemTime, validity: Duration) {
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    let since_epoch = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    params.not_before = epoch + since_epoch.saturating_sub(BACKDATE);
    params.not_after = epoch + since_epoch + validity;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_pem_is_a_certificate() {
        let ca = WorldCa::new("test CA").expect("CA");
        assert!(ca.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(
            ca.ca_pem()
                .trim_end()
                .ends_with("-----END CERTIFICATE-----")
        );
    }

    #[test]
    fn hosts_become_ip_or_dns_sans() {
        assert!(matches!(
            san_for("127.0.0.1").expect("ip"),
            SanType::IpAddress(_)
        ));
        assert!(matches!(san_for("::1").expect("ip"), SanType::IpAddress(_)));
        assert!(matches!(
            san_for("localhost").expect("dns"),
            SanType::DnsName(_)
        ));
        assert!(matches!(
            san_for("bad host\u{e9}"),
            Err(TlsError::InvalidHost { .. })
        ));
    }

    #[test]
    fn server_config_needs_a_host_and_offers_http1() {
        let ca = WorldCa::new("test CA").expect("CA");
        assert!(matches!(ca.server_config(&[]), Err(TlsError::NoHosts)));
        let config = ca.server_config(&["localhost"]).expect("config");
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }

    #[test]
    fn write_ca_pem_reports_the_path_on_failure() {
        let ca = WorldCa::new("test CA").expect("CA");
        let path = Path::new("/nonexistent-dir-for-sure/ca.pem");
        let err = ca.write_ca_pem(path).expect_err("no such dir");
        assert!(err.to_string().contains("/nonexistent-dir-for-sure/ca.pem"));
    }
}
