//! Bearer JWT verification as the runtime API does it (`mock-kiro`'s `verify`), against a
//! fixed JWKS made of the four dev keys' public halves (`sim_core::keys`; no key is
//! generated). The input is the token; seeds include tokens the dev keys signed, so the
//! claim checks after the signature are reached too.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

static JWKS: LazyLock<Value> = LazyLock::new(|| {
    let keys = sim_core::keys::dev_keys(sim_core::Seed(0)).expect("dev keys");
    json!({ "keys": keys.iter().map(|k| serde_json::to_value(k.jwk()).expect("jwk")).collect::<Vec<_>>() })
});

fuzz_target!(|data: &[u8]| {
    let token = String::from_utf8_lossy(data);
    let _ = mock_kiro::fuzzing::verify_with_jwks(
        &JWKS,
        "https://idp.test",
        kiro_sim_fuzz::now(),
        &token,
    );
});
