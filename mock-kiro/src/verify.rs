//! Verifying the IDE's bearer JWTs (BEHAVIOURS.md KIRO-USE-1, KIRO-USE-3) the way a careful
//! resource server does:
//!
//! - compact JWS with exactly three parts; header `alg` must be `RS256` (so `none`, `HS256`
//!   with the public key as secret, and anything else are refused) and `kid` present;
//! - the key comes from the issuer's JWKS, fetched by discovery and cached; an unknown `kid`
//!   triggers a refetch (key rotation), at most [`REFETCHES_PER_MINUTE`] per issuer per minute
//!   of world time, so a flood of made-up kids cannot hammer the IdP; a cached JWKS older than
//!   [`JWKS_TTL`] is fetched again before use (if that refetch is rate-limited, a key already
//!   known is still used). Fetches are single-flight per issuer: concurrent requests on a
//!   cold cache wait for one fetch instead of each spending the refetch budget;
//! - signature (RSASSA-PKCS1-v1_5 SHA-256, 2048–8192-bit keys) and claim decoding by the
//!   `jsonwebtoken` crate, a JWT implementation independent of the issuer's signer; then
//!   claims: `iss` exactly the profile's issuer, `exp` in the future and `nbf` (if any) in the
//!   past on the *world* clock (jsonwebtoken's own time checks read the system clock, so they
//!   are off and the times are compared with the world's now here), and `uid`/`sub` present.
//!   The caller checks `cid` and the feature's scope.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use parking_lot::Mutex;
use serde_json::{Map, Value};

use crate::Shared;
use crate::core::usage::Identity;
use crate::outbound::FetchedKey;

/// Refetches of one issuer's JWKS allowed per minute of world time.
pub(crate) const REFETCHES_PER_MINUTE: usize = 5;
/// How long a fetched JWKS is trusted (world time); after that it is fetched again, so a key
/// the issuer stopped publishing stops verifying.
pub(crate) const JWKS_TTL: Duration = Duration::from_secs(60 * 60);

/// Why a token was refused. Every variant answers the client the same way; the variant is
/// for logs and tests.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum VerifyError {
    #[error("the token is not a compact JWS")]
    Malformed,
    #[error("alg {0:?} is not accepted (RS256 only)")]
    Algorithm(String),
    #[error("no key with kid {0:?} in the issuer's JWKS")]
    UnknownKey(String),
    #[error("the signature does not verify")]
    Signature,
    #[error("iss {0:?} is not the profile's issuer")]
    Issuer(String),
    #[error("the token expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token has no {0}")]
    MissingClaim(&'static str),
    #[error("the issuer's keys could not be fetched: {0}")]
    Jwks(String),
}

#[derive(Default)]
struct Entry {
    keys: Vec<FetchedKey>,
    /// When `keys` were fetched.
    fetched_at: Option<SystemTime>,
    fetches: Vec<SystemTime>,
}

/// Cached JWKS per issuer.
#[derive(Default)]
pub(crate) struct JwksCache {
    entries: Mutex<HashMap<String, Entry>>,
    /// One fetch at a time per issuer.
    fetching: Mutex<HashMap<String, std::sync::Arc<tokio::sync::Mutex<()>>>>,
}

impl JwksCache {
    /// Forgets every cached key set (a state import: the next token refetches).
    pub(crate) fn clear(&self) {
        self.entries.lock().clear();
    }
}

/// A verified token's claims.
#[derive(Clone, Debug)]
pub(crate) struct Verified {
    pub(crate) claims: Map<String, Value>,
    pub(crate) identity: Identity,
}

impl Verified {
    /// The `cid` claim.
    pub(crate) fn client_id(&self) -> Option<&str> {
        self.claims.get("cid").and_then(Value::as_str)
    }

    /// Whether `scp` holds `scope`.
    pub(crate) fn has_scope(&self, scope: &str) -> bool {
        self.claims
            .get("scp")
            .and_then(Value::as_array)
            .is_some_and(|s| s.iter().any(|v| v.as_str() == Some(scope)))
    }
}

/// The `iss` claim of a token, unverified: only to pick which issuer's keys to verify with.
pub(crate) fn unverified_issuer(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let claims: Map<String, Value> =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    claims.get("iss")?.as_str().map(str::to_string)
}

/// Checks what needs no key: three parts, the header a base64url JSON object, the signature
/// base64url, header `alg` exactly `RS256` and a `kid`, which is returned. Refusals here name the exact
/// reason (jsonwebtoken would refuse an `alg` it does not know before naming it).
fn header_kid(token: &str) -> Result<String, VerifyError> {
    let mut parts = token.split('.');
    let (Some(h), Some(_payload), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(VerifyError::Malformed);
    };
    let header = decode_part(h)?;
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if alg != "RS256" {
        return Err(VerifyError::Algorithm(alg.to_string()));
    }
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or(VerifyError::MissingClaim("kid"))?
        .to_string();
    if URL_SAFE_NO_PAD.decode(s).is_err() {
        return Err(VerifyError::Malformed);
    }
    Ok(kid)
}

fn decode_part(part: &str) -> Result<Map<String, Value>, VerifyError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| VerifyError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| VerifyError::Malformed)
}

/// The claims of `token` if its RS256 signature verifies with `key`, by jsonwebtoken. Only
/// the signature and the claims' form are its business here: `exp`, `nbf`, `aud` and the
/// required-claim checks are off (the caller checks times on the world clock).
fn signed_claims(token: &str, key: &FetchedKey) -> Result<Map<String, Value>, VerifyError> {
    let mut validation = Validation::new(Algorithm::RS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    let key = DecodingKey::from_rsa_raw_components(&key.n, &key.e);
    jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
        .map(|data| data.claims)
        .map_err(|e| match e.kind() {
            ErrorKind::InvalidSignature
            | ErrorKind::InvalidRsaKey(_)
            | ErrorKind::InvalidKeyFormat
            | ErrorKind::InvalidAlgorithm
            | ErrorKind::Provider(_) => VerifyError::Signature,
            _ => VerifyError::Malformed,
        })
}

/// Verifies `token` as issued by `issuer` (keys from `jwks_uri`).
pub(crate) async fn verify(
    shared: &Shared,
    issuer: &str,
    jwks_uri: &str,
    token: &str,
) -> Result<Verified, VerifyError> {
    let kid = header_kid(token)?;
    let key = key_for(shared, issuer, jwks_uri, &kid).await?;
    check(token, &key, issuer, shared.clock.now())
}

/// Verifies `token` with the keys of a JWKS document already in hand: what [`verify`] does
/// once it has the key, without the fetch and cache (the fuzzing hook,
/// [`crate::fuzzing::verify_with_jwks`]).
pub(crate) fn verify_with_keys(
    keys: &[FetchedKey],
    issuer: &str,
    now: SystemTime,
    token: &str,
) -> Result<Verified, VerifyError> {
    let kid = header_kid(token)?;
    let key = keys
        .iter()
        .find(|k| k.kid == kid)
        .ok_or_else(|| VerifyError::UnknownKey(kid.clone()))?;
    check(token, key, issuer, now)
}

/// The checks after the key is known: signature (jsonwebtoken), then `iss`, `exp`, `nbf`
/// (against the world clock's `now`), `uid` and `sub`.
fn check(
    token: &str,
    key: &FetchedKey,
    issuer: &str,
    now: SystemTime,
) -> Result<Verified, VerifyError> {
    let claims = signed_claims(token, key)?;
    let iss = claims
        .get("iss")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if iss != issuer {
        return Err(VerifyError::Issuer(iss.to_string()));
    }
    let now = crate::wire::unix(now);
    let exp = claims
        .get("exp")
        .and_then(Value::as_u64)
        .ok_or(VerifyError::MissingClaim("exp"))?;
    if exp <= now {
        return Err(VerifyError::Expired);
    }
    if claims
        .get("nbf")
        .and_then(Value::as_u64)
        .is_some_and(|nbf| nbf > now)
    {
        return Err(VerifyError::NotYetValid);
    }
    let text = |name: &'static str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or(VerifyError::MissingClaim(name))
    };
    let identity = Identity {
        uid: text("uid")?,
        sub: text("sub")?,
    };
    Ok(Verified { claims, identity })
}

/// The key `kid` of `issuer`: from the cache, else by a (rate-limited, single-flight)
/// refetch.
async fn key_for(
    shared: &Shared,
    issuer: &str,
    jwks_uri: &str,
    kid: &str,
) -> Result<FetchedKey, VerifyError> {
    if let Some(key) = cached(shared, issuer, kid, true) {
        return Ok(key);
    }
    let gate = shared
        .jwks
        .fetching
        .lock()
        .entry(issuer.to_string())
        .or_default()
        .clone();
    let _fetching = gate.lock().await;
    // Someone else may have fetched while this request waited.
    if let Some(key) = cached(shared, issuer, kid, true) {
        return Ok(key);
    }
    let now = shared.clock.now();
    {
        let mut entries = shared.jwks.entries.lock();
        let entry = entries.entry(issuer.to_string()).or_default();
        entry
            .fetches
            .retain(|t| now.duration_since(*t).map_or(true, |d| d.as_secs() < 60));
        if entry.fetches.len() >= REFETCHES_PER_MINUTE {
            drop(entries);
            tracing::debug!(issuer, kid, "JWKS refetch rate-limited");
            return cached(shared, issuer, kid, false)
                .ok_or_else(|| VerifyError::UnknownKey(kid.to_string()));
        }
        entry.fetches.push(now);
    }
    let keys = shared
        .outbound
        .jwks(jwks_uri)
        .await
        .map_err(VerifyError::Jwks)?;
    tracing::debug!(issuer, count = keys.len(), "fetched JWKS");
    let found = keys.iter().find(|k| k.kid == kid).cloned();
    {
        let mut entries = shared.jwks.entries.lock();
        let entry = entries.entry(issuer.to_string()).or_default();
        entry.keys = keys;
        entry.fetched_at = Some(now);
    }
    found.ok_or_else(|| VerifyError::UnknownKey(kid.to_string()))
}

/// A cached key; with `fresh_only`, only from a JWKS younger than [`JWKS_TTL`].
fn cached(shared: &Shared, issuer: &str, kid: &str, fresh_only: bool) -> Option<FetchedKey> {
    let now = shared.clock.now();
    let entries = shared.jwks.entries.lock();
    let entry = entries.get(issuer)?;
    let fresh = entry
        .fetched_at
        .is_some_and(|t| now.duration_since(t).map_or(true, |age| age < JWKS_TTL));
    if fresh_only && !fresh {
        return None;
    }
    entry.keys.iter().find(|k| k.kid == kid).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn token(header: Value) -> String {
        let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!(
            "{}.{}.{}",
            part(&header),
            part(&json!({ "iss": "https://idp.test" })),
            URL_SAFE_NO_PAD.encode(b"sig")
        )
    }

    #[test]
    fn only_rs256_with_a_kid_gets_as_far_as_the_key() {
        let refused = |header: Value| header_kid(&token(header)).err();
        assert_eq!(
            refused(json!({ "alg": "none", "kid": "k" })),
            Some(VerifyError::Algorithm("none".into()))
        );
        assert_eq!(
            refused(json!({ "alg": "HS256", "kid": "k" })),
            Some(VerifyError::Algorithm("HS256".into()))
        );
        assert_eq!(
            refused(json!({ "alg": "RS512", "kid": "k" })),
            Some(VerifyError::Algorithm("RS512".into()))
        );
        assert_eq!(
            refused(json!({ "kid": "k" })),
            Some(VerifyError::Algorithm(String::new()))
        );
        assert_eq!(
            refused(json!({ "alg": "RS256" })),
            Some(VerifyError::MissingClaim("kid"))
        );
        let good = token(json!({ "alg": "RS256", "kid": "k" }));
        assert_eq!(header_kid(&good), Ok("k".to_string()));
    }

    #[test]
    fn anything_but_three_base64url_json_parts_is_malformed() {
        let good = token(json!({ "alg": "RS256", "kid": "k" }));
        for bad in [
            "a.b".to_string(),
            format!("{good}.extra"),
            "!!!.e30.c2ln".to_string(),
            format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode("not json")),
        ] {
            assert_eq!(
                header_kid(&bad).err(),
                Some(VerifyError::Malformed),
                "{bad}"
            );
        }
    }

    /// A dev key's public half, as a JWKS fetch yields it.
    fn fetched(key: &sim_core::keys::SigningKey) -> FetchedKey {
        let jwk = key.jwk();
        FetchedKey {
            kid: jwk.kid.clone(),
            n: URL_SAFE_NO_PAD.decode(&jwk.n).expect("n"),
            e: URL_SAFE_NO_PAD.decode(&jwk.e).expect("e"),
        }
    }

    fn signed(key: &sim_core::keys::SigningKey, claims: &Value) -> String {
        let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let input = format!(
            "{}.{}",
            part(&json!({ "alg": "RS256", "kid": key.kid() })),
            part(claims)
        );
        let signature = key.sign_rs256(input.as_bytes()).expect("sign");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    #[test]
    fn jsonwebtoken_checks_the_signature_and_leaves_the_times_to_the_world_clock() {
        let keys = sim_core::keys::dev_keys(sim_core::Seed(0)).expect("dev keys");
        // Expired long ago and not valid for ages on the system clock: not its business here.
        let claims =
            json!({ "iss": "https://idp.test", "exp": 1, "nbf": 4_000_000_000u64, "aud": "x" });
        let token = signed(&keys[0], &claims);
        let decoded = signed_claims(&token, &fetched(&keys[0])).expect("verifies");
        assert_eq!(Value::Object(decoded), claims);
        assert_eq!(
            signed_claims(&token, &fetched(&keys[1])).err(),
            Some(VerifyError::Signature)
        );
        let (signed_part, _) = token.rsplit_once('.').expect("three parts");
        let other = signed(&keys[0], &json!({ "iss": "https://idp.test", "exp": 2 }));
        let (_, other_signature) = other.rsplit_once('.').expect("three parts");
        assert_eq!(
            signed_claims(
                &format!("{signed_part}.{other_signature}"),
                &fetched(&keys[0])
            )
            .err(),
            Some(VerifyError::Signature)
        );
        // A payload that is not a JSON object, validly signed: malformed.
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(json!({ "alg": "RS256", "kid": keys[0].kid() }).to_string()),
            URL_SAFE_NO_PAD.encode("[1]")
        );
        let signature = keys[0].sign_rs256(input.as_bytes()).expect("sign");
        let array = format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature));
        assert_eq!(
            signed_claims(&array, &fetched(&keys[0])).err(),
            Some(VerifyError::Malformed)
        );
    }
}
