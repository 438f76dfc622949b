//! Client assertions (`private_key_jwt`, RFC 7523; BEHAVIOURS.md OKTA-TOK-10): a JWT the client
//! signs with a key whose public half is in its app's JWKS, checked the way Okta checks it:
//! RS256 or ES256 signature by a key of the app (by `kid`, or the only key), `iss` and `sub` the
//! client id, `aud` an endpoint of the authorization server called, `exp` in the future and at
//! most an hour away, and a `jti` used only once.

use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde_json::{Map, Value};

use super::OAuthError;

/// The only `client_assertion_type` Okta accepts.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The longest an assertion may live (Okta: `exp` no more than an hour after `iat`/now).
const MAX_LIFETIME: Duration = Duration::from_secs(60 * 60);

fn invalid(description: &str) -> OAuthError {
    OAuthError::new("invalid_client", description)
}

/// The checked claims of an assertion: its `jti` and `exp` (for replay tracking).
pub(crate) struct Checked {
    pub(crate) jti: String,
    pub(crate) exp: SystemTime,
}

/// Checks `assertion` as the client `client_id` with public keys `jwks`, sent to one of
/// `audiences` at `now`.
pub(crate) fn check(
    assertion: &str,
    client_id: &str,
    jwks: &[Value],
    audiences: &[String],
    now: SystemTime,
) -> Result<Checked, OAuthError> {
    let malformed = || invalid("The client_assertion is not a valid JWT.");
    let mut parts = assertion.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| malformed());
    let header: Map<String, Value> =
        serde_json::from_slice(&decode(h)?).map_err(|_| malformed())?;
    let claims: Map<String, Value> =
        serde_json::from_slice(&decode(p)?).map_err(|_| malformed())?;
    let sig = decode(s)?;
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let kid = header.get("kid").and_then(Value::as_str);
    let key = match kid {
        Some(kid) => jwks
            .iter()
            .find(|k| k.get("kid").and_then(Value::as_str) == Some(kid)),
        None if jwks.len() == 1 => jwks.first(),
        None => None,
    }
    .ok_or_else(|| invalid("The client_assertion signature is invalid."))?;
    let message = format!("{h}.{p}");
    if !verify(alg, key, message.as_bytes(), &sig) {
        return Err(invalid("The client_assertion signature is invalid."));
    }
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    if text("iss") != Some(client_id) || text("sub") != Some(client_id) {
        return Err(invalid(
            "The issuer [iss] and subject [sub] claims in the client_assertion JWT must be the client_id.",
        ));
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => audiences.contains(a),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .any(|a| audiences.iter().any(|x| x == a)),
        _ => false,
    };
    if !aud_ok {
        return Err(invalid(
            "The audience [aud] claim for client_assertion JWT is invalid.",
        ));
    }
    let exp = claims
        .get("exp")
        .and_then(Value::as_u64)
        .map(|e| SystemTime::UNIX_EPOCH + Duration::from_secs(e))
        .ok_or_else(|| invalid("The client_assertion token is missing the [exp] claim."))?;
    if exp <= now {
        return Err(invalid("The client_assertion token is expired."));
    }
    if exp > now + MAX_LIFETIME {
        return Err(invalid(
            "The client_assertion token has an expiration too far into the future.",
        ));
    }
    let jti = text("jti")
        .filter(|j| !j.is_empty())
        .ok_or_else(|| invalid("The client_assertion token is missing the [jti] claim."))?;
    Ok(Checked {
        jti: jti.to_string(),
        exp,
    })
}

/// Verifies `sig` over `message` with the JWK `key` for `alg` (RS256 or ES256).
fn verify(alg: &str, key: &Value, message: &[u8], sig: &[u8]) -> bool {
    let field = |name: &str| {
        key.get(name)
            .and_then(Value::as_str)
            .and_then(|v| URL_SAFE_NO_PAD.decode(v).ok())
    };
    let kty = key.get("kty").and_then(Value::as_str);
    match (alg, kty) {
        ("RS256", Some("RSA")) => {
            let (Some(n), Some(e)) = (field("n"), field("e")) else {
                return false;
            };
            RsaPublicKeyComponents { n: &n, e: &e }
                .verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, sig)
                .is_ok()
        }
        ("ES256", Some("EC")) => {
            let (Some(x), Some(y)) = (field("x"), field("y")) else {
                return false;
            };
            if key.get("crv").and_then(Value::as_str) != Some("P-256")
                || x.len() != 32
                || y.len() != 32
            {
                return false;
            }
            let mut point = Vec::with_capacity(65);
            point.push(4);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                .verify(message, sig)
                .is_ok()
        }
        _ => false,
    }
}
