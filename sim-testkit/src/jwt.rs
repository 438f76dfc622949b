//! Tokens made by hand, for tests (feature `jwt`): the one place the tests forge a JWS.
//!
//! A compact JWS is `base64url(header).base64url(claims).base64url(signature)`; [`compact`]
//! makes one with any header and any signer, so tests can build what no honest issuer would
//! (a header saying `none` over an RS256 signature, a made-up `kid`). [`rs256`] signs with one
//! of the fixed dev keys ([`sim_core::keys`]; tests never generate RSA keys), [`EcKey`] is a
//! fresh P-256 key for ES256 client assertions (`private_key_jwt`), with its public JWK.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde::Serialize;
use serde_json::{Value, json};
use sim_core::keys::SigningKey;

/// Base64url without padding.
pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The compact JWS of `claims` under `header`, signed by `sign` (given the signing input,
/// `header.claims`, returning the raw signature), whatever the header says.
pub fn compact(
    header: &Value,
    claims: &impl Serialize,
    sign: impl FnOnce(&[u8]) -> Vec<u8>,
) -> String {
    let claims = serde_json::to_string(claims).expect("claims serialise as JSON");
    let input = format!("{}.{}", b64(header.to_string()), b64(claims));
    let signature = sign(input.as_bytes());
    format!("{input}.{}", b64(signature))
}

/// `claims` signed RS256 with `key`, header `{"kid": key's id, "alg": "RS256"}` (what an
/// honest issuer makes).
pub fn rs256(key: &SigningKey, claims: &impl Serialize) -> String {
    rs256_under(key, &json!({ "kid": key.kid(), "alg": "RS256" }), claims)
}

/// `claims` under an arbitrary `header`, with an RS256 signature by `key` whatever the header
/// says: for forged-token cases.
pub fn rs256_under(key: &SigningKey, header: &Value, claims: &impl Serialize) -> String {
    compact(header, claims, |input| {
        key.sign_rs256(input).expect("a dev key signs")
    })
}

/// A fresh P-256 key (ES256) with a key id, for client assertions.
pub struct EcKey {
    kid: String,
    pair: EcdsaKeyPair,
}

impl EcKey {
    /// Generates a P-256 key called `kid` (cheap, unlike RSA).
    pub fn generate(kid: &str) -> EcKey {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .expect("a P-256 key");
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .expect("the key parses");
        EcKey {
            kid: kid.to_string(),
            pair,
        }
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK (`kty` EC, `crv` P-256, `use` sig).
    pub fn jwk(&self) -> Value {
        // An uncompressed point: 0x04, then x and y, 32 bytes each.
        let point = self.pair.public_key().as_ref();
        json!({ "kty": "EC", "crv": "P-256", "kid": self.kid, "use": "sig",
                "x": b64(&point[1..33]), "y": b64(&point[33..65]) })
    }

    /// The raw (r || s) ES256 signature of `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair
            .sign(&SystemRandom::new(), message)
            .expect("P-256 signs")
            .as_ref()
            .to_vec()
    }

    /// `claims` signed ES256, header `{"alg": "ES256", "kid": kid}`.
    pub fn es256(&self, claims: &impl Serialize) -> String {
        compact(
            &json!({ "alg": "ES256", "kid": self.kid }),
            claims,
            |input| self.sign(input),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rs256_tokens_verify_with_the_dev_key_and_carry_its_kid() {
        let keys = sim_core::keys::dev_keys(sim_core::Seed(0)).expect("dev keys");
        let token = rs256(&keys[0], &json!({ "sub": "ada" }));
        let (input, signature) = token.rsplit_once('.').expect("three parts");
        let signature = URL_SAFE_NO_PAD.decode(signature).expect("base64url");
        assert!(keys[0].verify_rs256(input.as_bytes(), &signature));
        assert!(!keys[1].verify_rs256(input.as_bytes(), &signature));
        let header = input.split('.').next().expect("a header");
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("b64")).expect("json");
        assert_eq!(header, json!({ "kid": keys[0].kid(), "alg": "RS256" }));
    }

    #[test]
    fn es256_tokens_verify_with_the_published_jwk() {
        let key = EcKey::generate("k1");
        let jwk = key.jwk();
        assert_eq!(jwk["kid"], "k1");
        let token = key.es256(&json!({ "iss": "client" }));
        let (input, signature) = token.rsplit_once('.').expect("three parts");
        let mut point = vec![4u8];
        for c in ["x", "y"] {
            point.extend(
                URL_SAFE_NO_PAD
                    .decode(jwk[c].as_str().expect("a coordinate"))
                    .expect("b64"),
            );
        }
        let public = ring::signature::UnparsedPublicKey::new(
            &ring::signature::ECDSA_P256_SHA256_FIXED,
            point,
        );
        let signature = URL_SAFE_NO_PAD.decode(signature).expect("b64");
        assert!(public.verify(input.as_bytes(), &signature).is_ok());
        assert!(public.verify(b"other", &signature).is_err());
    }
}
