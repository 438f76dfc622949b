//! The DNS provider's HTTP API (Cloudflare v4 shape): JSON bodies, query strings and ids of
//! every route, through mock-dns's router in-process. No answer may be a 5xx.
#![no_main]

use std::sync::{LazyLock, Mutex};

use kiro_sim_fuzz::dns::Fixture;
use kiro_sim_fuzz::{Call, Route};
use libfuzzer_sys::fuzz_target;

/// The routes fuzzed (`fuzz/routes/dns.txt`).
static ROUTES: LazyLock<Vec<Route>> =
    LazyLock::new(|| kiro_sim_fuzz::routes(include_str!("../routes/dns.txt")));

static DNS: LazyLock<Mutex<Fixture>> = LazyLock::new(|| Mutex::new(Fixture::start()));

fuzz_target!(|data: &[u8]| {
    let Some(call) = Call::decode(data) else {
        return;
    };
    let mut dns = DNS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if dns.api.due_for_reset() {
        dns.reset();
    }
    dns.api.call(&ROUTES, &dns.ids, &call);
});
