//! mock-kiro's request bodies: the SCIM endpoint (users and groups: create, replace, PATCH,
//! list filters), the console API (settings, SCIM tokens, domains, subscriptions, seats) and
//! the runtime API's bodies, through the router in-process. No answer may be a 5xx. Profile
//! creation (it fetches the issuer's discovery document), domain verification (a DNS lookup)
//! and `/_sim/` controls are left out.
#![no_main]

use std::sync::{LazyLock, Mutex};

use kiro_sim_fuzz::kiro::Fixture;
use kiro_sim_fuzz::{Call, Route};
use libfuzzer_sys::fuzz_target;

/// The routes fuzzed (`fuzz/routes/kiro.txt`).
static ROUTES: LazyLock<Vec<Route>> =
    LazyLock::new(|| kiro_sim_fuzz::routes(include_str!("../routes/kiro.txt")));

/// A token of the fixture's issuer whose key nobody serves: refused after one (failing)
/// JWKS fetch, then by the refetch limit.
const JWT: &str = "Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJpc3MiOiJodHRwczovL2lkcC50ZXN0IiwidWlkIjoiMDB1MSIsInN1YiI6ImFkYUBleGFtcGxlLmNvbSIsImV4cCI6NDEwMjQ0NDgwMH0.c2ln";

static KIRO: LazyLock<Mutex<Fixture>> = LazyLock::new(|| Mutex::new(Fixture::start()));

fuzz_target!(|data: &[u8]| {
    let Some(call) = Call::decode(data) else {
        return;
    };
    let mut kiro = KIRO.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if kiro.api.due_for_reset() {
        kiro.reset();
    }
    let fx = &kiro.fixture;
    let Route {
        method,
        path: template,
        auth,
    } = &ROUTES[call.route % ROUTES.len()];
    let ids = [
        fx.ada.as_str(),
        fx.bob.as_str(),
        fx.group.as_str(),
        "example.com",
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "nope",
    ];
    let mut path = template
        .replace("{t}", &fx.tenant)
        .replace("{p}", &fx.profile)
        .replace("{id}", ids[usize::from(call.flags >> 2) % ids.len()]);
    if !call.query.is_empty() {
        path.push('?');
        path.push_str(&call.query);
    }
    let authorization = match auth.as_str() {
        "admin" => kiro.api.authorization.clone(),
        "scim" => format!("Bearer {}", fx.scim_token),
        _ => JWT.to_string(),
    };
    let (status, body) = kiro.api.send_as(
        method.clone(),
        &path,
        call.flags & 1 == 1,
        (call.flags & 2 == 0).then_some(authorization.as_str()),
        call.body,
    );
    assert!(
        status < 500 || status == 503,
        "{method} {path} answered {status}: {}",
        String::from_utf8_lossy(&body)
    );
});
