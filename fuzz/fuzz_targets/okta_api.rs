//! The Okta org's JSON and form request bodies: the management API (users, groups, apps,
//! assignments, authorization servers with scopes, claims, policies and rules, mappings,
//! group push, Token Preview), authn and factors, and the OAuth endpoints' forms, through
//! mock-okta's router in-process. No answer may be a 5xx. Routes that make outbound calls
//! (a provisioning connection's SCIM base URL, its test) and `/_sim/` controls are left out.
#![no_main]

use std::sync::{LazyLock, Mutex};

use kiro_sim_fuzz::okta::Fixture;
use kiro_sim_fuzz::{Call, Route};
use libfuzzer_sys::fuzz_target;

/// The routes fuzzed (`fuzz/routes/okta.txt`).
static ROUTES: LazyLock<Vec<Route>> =
    LazyLock::new(|| kiro_sim_fuzz::routes(include_str!("../routes/okta.txt")));

static OKTA: LazyLock<Mutex<Fixture>> = LazyLock::new(|| Mutex::new(Fixture::start()));

fuzz_target!(|data: &[u8]| {
    let Some(call) = Call::decode(data) else {
        return;
    };
    let mut okta = OKTA.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if okta.api.due_for_reset() {
        okta.reset();
    }
    okta.api.call(&ROUTES, &okta.ids, &call);
});
