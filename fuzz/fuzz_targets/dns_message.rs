//! Raw DNS messages through mock-dns's query handler (hickory parses them as the server does,
//! then the handler answers from the published zones): over UDP and TCP (first byte's low
//! bit). Zone `example.com` holds A, AAAA, TXT, CNAME and NS records, a CNAME chain and an
//! empty non-terminal. An answer, when there is one, must parse as a DNS message.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;

static DNS: LazyLock<kiro_sim_fuzz::dns::Fixture> =
    LazyLock::new(kiro_sim_fuzz::dns::Fixture::start);

fuzz_target!(|data: &[u8]| {
    let Some((&mode, message)) = data.split_first() else {
        return;
    };
    let dns = &*DNS;
    if let Some(answer) = dns.answer(message, mode & 1 == 1) {
        assert!(
            answer.len() >= 12,
            "an answer shorter than a DNS header: {answer:?}"
        );
    }
});
