//! RSA-2048 signing keys for the JWTs the mock issuer mints.
//!
//! Generating an RSA key is slow (seconds in a debug build), so kiro-sim never does it on a hot
//! path or in a test. It ships [`DEV_KEY_COUNT`] fixed dev keys instead, generated once by
//! `cargo xtask gen-keys` from fixed seeds and committed under `sim-core/keys/`. A world's seed
//! picks the order they are used in ([`dev_keys`]): the first is the active signing key, the
//! next ones are what key rotation moves to. The dev keys are public, so tokens signed with
//! them prove nothing outside a simulation; `--fresh-keys` (feature `keygen`) makes new ones.
//!
//! A [`SigningKey`] parses its PKCS#8 key once and keeps the parsed key, so signing is just the
//! RSA operation. Signing runs on aws-lc-rs: measured side by side on a dev key it signs
//! RSA-2048 at about `openssl speed`'s rate, where ring reached about 60 % of it (issue #16).

use std::sync::Arc;

use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::KeyPair as _;
use aws_lc_rs::signature::{
    ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaPublicKeyComponents,
};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use crate::seed::Seed;

/// How many fixed dev keys ship with kiro-sim.
pub const DEV_KEY_COUNT: usize = 4;

/// The fixed dev keys (PKCS#8 PEM), as committed.
pub const DEV_KEY_PEMS: [&str; DEV_KEY_COUNT] = [
    include_str!("../keys/dev-rsa-0.pem"),
    include_str!("../keys/dev-rsa-1.pem"),
    include_str!("../keys/dev-rsa-2.pem"),
    include_str!("../keys/dev-rsa-3.pem"),
];

/// What can go wrong with a key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The text is not a PEM block of the expected label.
    #[error("not a PEM `{label}` block: {reason}")]
    Pem {
        /// The PEM label that was expected.
        label: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The DER inside is not an RSA key aws-lc accepts.
    #[error("RSA key rejected: {0}")]
    Rejected(String),
    /// Signing failed (should not happen with a valid key).
    #[error("RSA signing failed")]
    Sign,
    /// Key generation failed.
    #[error("RSA key generation failed: {0}")]
    Generate(String),
}

/// A public key in JWK form (RFC 7517), as a JWKS publishes it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Jwk {
    /// Always `RSA`.
    pub kty: String,
    /// Always `RS256`.
    pub alg: String,
    /// The key id.
    pub kid: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    pub use_: String,
    /// Modulus, base64url without padding.
    pub n: String,
    /// Public exponent, base64url without padding.
    pub e: String,
}

/// An RSA private key, parsed once, ready to sign RS256.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    pair: Arc<KeyPair>,
    /// The public key, parsed once for [`SigningKey::verify_rs256`].
    public: Arc<ParsedPublicKey>,
    jwk: Jwk,
    pem: Arc<str>,
}

impl SigningKey {
    /// Parses a PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`) RSA key.
    pub fn from_pkcs8_pem(pem: &str) -> Result<SigningKey, KeyError> {
        let der = pem_decode(pem, "PRIVATE KEY")?;
        let pair = KeyPair::from_pkcs8(&der).map_err(|e| KeyError::Rejected(e.to_string()))?;
        let modulus = pair.public_key().modulus();
        let exponent = pair.public_key().exponent();
        let components = RsaPublicKeyComponents {
            n: modulus.big_endian_without_leading_zero(),
            e: exponent.big_endian_without_leading_zero(),
        };
        let public = components
            .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
            .map_err(|e| KeyError::Rejected(e.to_string()))?;
        let n = URL_SAFE_NO_PAD.encode(components.n);
        let e = URL_SAFE_NO_PAD.encode(components.e);
        let kid = thumbprint(&n, &e);
        let jwk = Jwk {
            kty: "RSA".into(),
            alg: "RS256".into(),
            kid: kid.clone(),
            use_: "sig".into(),
            n,
            e,
        };
        Ok(SigningKey {
            kid,
            pair: Arc::new(pair),
            public: Arc::new(public),
            jwk,
            pem: pem.into(),
        })
    }

    /// The key id: the RFC 7638 JWK thumbprint (SHA-256, base64url), stable for a given key.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> &Jwk {
        &self.jwk
    }

    /// The private key as PKCS#8 PEM.
    pub fn pkcs8_pem(&self) -> &str {
        &self.pem
    }

    /// Whether `signature` is this key's RS256 signature of `message`.
    pub fn verify_rs256(&self, message: &[u8], signature: &[u8]) -> bool {
        self.public.verify_sig(message, signature).is_ok()
    }

    /// Signs `message` with RSASSA-PKCS1-v1_5 and SHA-256 (JWS `RS256`).
    pub fn sign_rs256(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut signature = vec![0u8; self.pair.public_modulus_len()];
        // PKCS#1 v1.5 is deterministic; aws-lc-rs takes a random source for ring's API's sake
        // and does not use it.
        let rng = aws_lc_rs::rand::SystemRandom::new();
        self.pair
            .sign(&RSA_PKCS1_SHA256, &rng, message, &mut signature)
            .map_err(|_| KeyError::Sign)?;
        Ok(signature)
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// The dev keys in the order a world with `seed` uses them: the seed picks which comes first,
/// the rest follow in rotation order.
pub fn dev_keys(seed: Seed) -> Result<Vec<SigningKey>, KeyError> {
    let start = seed.stream("sim-core/keys").below(DEV_KEY_COUNT as u64) as usize;
    (0..DEV_KEY_COUNT)
        .map(|i| SigningKey::from_pkcs8_pem_cached(DEV_KEY_PEMS[(start + i) % DEV_KEY_COUNT]))
        .collect()
}

/// Keys already parsed, by PEM: restoring a snapshot names its keys by PEM, and parsing an
/// RSA key costs far more than a restore may take.
static PARSED: std::sync::LazyLock<
    parking_lot::Mutex<std::collections::HashMap<Arc<str>, SigningKey>>,
> = std::sync::LazyLock::new(Default::default);

impl SigningKey {
    /// [`SigningKey::from_pkcs8_pem`], remembering the parsed key for the life of the process
    /// (what a snapshot restore uses: the same few keys come back again and again).
    pub fn from_pkcs8_pem_cached(pem: &str) -> Result<SigningKey, KeyError> {
        if let Some(key) = PARSED.lock().get(pem) {
            return Ok(key.clone());
        }
        let key = SigningKey::from_pkcs8_pem(pem)?;
        PARSED.lock().insert(key.pem.clone(), key.clone());
        Ok(key)
    }
}

/// A key in a snapshot is its PKCS#8 PEM.
impl serde::Serialize for SigningKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.pem)
    }
}

impl<'de> serde::Deserialize<'de> for SigningKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let pem = String::deserialize(deserializer)?;
        SigningKey::from_pkcs8_pem_cached(&pem).map_err(serde::de::Error::custom)
    }
}

/// Generates a new RSA-2048 key as PKCS#8 PEM. Slow: seconds without optimisation.
#[cfg(feature = "keygen")]
pub fn generate_pkcs8_pem<R: rand_core::CryptoRngCore>(rng: &mut R) -> Result<String, KeyError> {
    use rsa::pkcs8::{EncodePrivateKey, LineEnding};
    let key = rsa::RsaPrivateKey::new(rng, 2048).map_err(|e| KeyError::Generate(e.to_string()))?;
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| KeyError::Generate(e.to_string()))?;
    Ok(pem.to_string())
}

/// Generates `count` new keys from the operating system's entropy (`--fresh-keys`).
#[cfg(feature = "keygen")]
pub fn fresh_keys(count: usize) -> Result<Vec<SigningKey>, KeyError> {
    (0..count)
        .map(|_| SigningKey::from_pkcs8_pem(&generate_pkcs8_pem(&mut rand_core::OsRng)?))
        .collect()
}

/// The RFC 7638 thumbprint of an RSA public key.
fn thumbprint(n: &str, e: &str) -> String {
    // Members in lexicographic order, no whitespace, as RFC 7638 section 3 requires.
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    let digest = ring::digest::digest(&ring::digest::SHA256, canonical.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// Decodes the first PEM block labelled `label`.
fn pem_decode(pem: &str, label: &'static str) -> Result<Vec<u8>, KeyError> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let err = |reason: &str| KeyError::Pem {
        label,
        reason: reason.to_string(),
    };
    let start = pem.find(&begin).ok_or_else(|| err("no BEGIN line"))? + begin.len();
    let stop = pem[start..].find(&end).ok_or_else(|| err("no END line"))? + start;
    let body: String = pem[start..stop]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    STANDARD
        .decode(body)
        .map_err(|e| err(&format!("bad base64: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_keys_parse_and_have_distinct_stable_kids() {
        let keys = dev_keys(Seed(0)).expect("dev keys parse");
        assert_eq!(keys.len(), DEV_KEY_COUNT);
        let mut kids: Vec<&str> = keys.iter().map(|k| k.kid()).collect();
        kids.sort();
        kids.dedup();
        assert_eq!(kids.len(), DEV_KEY_COUNT);
        for key in &keys {
            assert_eq!(key.jwk().e, "AQAB");
            // 2048-bit modulus: 256 bytes, 342 base64url characters.
            assert_eq!(key.jwk().n.len(), 342);
        }
    }

    #[test]
    fn the_seed_picks_the_order_deterministically() {
        let order = |seed| -> Vec<String> {
            dev_keys(Seed(seed))
                .expect("parse")
                .iter()
                .map(|k| k.kid().to_string())
                .collect()
        };
        assert_eq!(order(5), order(5));
        let firsts: std::collections::HashSet<String> =
            (0..32).map(|s| order(s)[0].clone()).collect();
        assert!(firsts.len() > 1, "every seed picked the same first key");
    }

    #[test]
    fn signatures_verify_with_the_public_key_and_fail_when_tampered() {
        let key = &dev_keys(Seed(1)).expect("parse")[0];
        let message = b"header.payload";
        let signature = key.sign_rs256(message).expect("sign");
        assert!(key.verify_rs256(message, &signature));
        assert!(!key.verify_rs256(b"other", &signature));
        let n = URL_SAFE_NO_PAD.decode(&key.jwk().n).expect("n");
        let e = URL_SAFE_NO_PAD.decode(&key.jwk().e).expect("e");
        let public = ring::signature::RsaPublicKeyComponents { n: &n, e: &e };
        public
            .verify(
                &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                message,
                &signature,
            )
            .expect("verifies");
        assert!(
            public
                .verify(
                    &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                    b"header.payloaD",
                    &signature
                )
                .is_err()
        );
    }

    #[test]
    fn garbage_is_refused_with_a_clear_error() {
        let err = SigningKey::from_pkcs8_pem("hello").expect_err("not a key");
        assert!(err.to_string().contains("BEGIN"), "{err}");
        let err = SigningKey::from_pkcs8_pem(
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        )
        .expect_err("not RSA");
        assert!(matches!(err, KeyError::Rejected(_)), "{err}");
    }
}
