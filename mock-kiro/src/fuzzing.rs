//! Hooks for the fuzz targets in `fuzz/` (`cargo xtask fuzz`): the parsers a client reaches
//! that are private to the wire layer, callable without a server. Not an API: hidden from the
//! docs and free to change with the fuzz targets.

use std::time::SystemTime;

use axum::body::Bytes;
use axum::http::HeaderMap;
use serde_json::Value;

use crate::core::scim::PatchOp;

/// The operations of a SCIM PATCH request body, as `PATCH /Users/{id}` and
/// `PATCH /Groups/{id}` read it (`application/scim+json`); `None` when the wire layer refuses
/// the body (400 or 415).
pub fn scim_patch_ops(body: &[u8]) -> Option<Vec<PatchOp>> {
    let mut headers = HeaderMap::new();
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/scim+json"),
    );
    crate::scim::groups::patch_ops(
        &headers,
        &Bytes::copy_from_slice(body),
        SystemTime::UNIX_EPOCH,
    )
    .ok()
}

/// Verifies a bearer JWT the way the runtime API does once the issuer's JWKS is in hand:
/// `jwks` is the JWKS document, `issuer` the profile's issuer, `now` the world time. Returns
/// the token's `uid`, or why it was refused.
pub fn verify_with_jwks(
    jwks: &Value,
    issuer: &str,
    now: SystemTime,
    token: &str,
) -> Result<String, String> {
    let keys = crate::outbound::keys_from_jwks(jwks).ok_or("the JWKS has no `keys`")?;
    crate::verify::verify_with_keys(&keys, issuer, now, token)
        .map(|verified| verified.identity.uid)
        .map_err(|e| e.to_string())
}
