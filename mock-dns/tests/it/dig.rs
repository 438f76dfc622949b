//! mock-dns end to end with the real `dig` (Debian's bind9-dnsutils): a TXT record made
//! through the provider API shows up in `dig` over UDP and TCP once the propagation delay has
//! passed on the virtual clock, and is NXDOMAIN again once deleted and propagated.
//!
//! Without `dig` on PATH the tests print a note and pass, unless `CI` is set: CI installs
//! `dig`, so there its absence is a failure.
//!
//! covers: [DNS-2, DNS-3]

use crate::common;

use std::process::Command;

use serde_json::json;

use common::{World, ZONE};

/// Whether `dig` can run here (skipped with one line if not; a failure under `CI`).
fn dig_available(test: &str) -> bool {
    sim_testkit::tool::require_program(
        test,
        "dig",
        &["-v"],
        "install dig: apt-get install bind9-dnsutils",
    )
}

/// Runs `dig @127.0.0.1 -p PORT <args>` (no `~/.digrc`, one try) on the blocking pool, so the
/// server keeps running on this runtime meanwhile, and returns its standard output.
async fn dig(world: &World, args: &[&str]) -> String {
    let addr = world.dns_addr();
    let mut argv = vec![
        "-r".to_string(),
        format!("@{}", addr.ip()),
        "-p".to_string(),
        addr.port().to_string(),
        "+time=5".to_string(),
        "+tries=1".to_string(),
    ];
    argv.extend(args.iter().map(|a| (*a).to_string()));
    let shown = argv.join(" ");
    let output = tokio::task::spawn_blocking(move || Command::new("dig").args(&argv).output())
        .await
        .expect("the dig task ends")
        .expect("dig runs");
    assert!(
        output.status.success(),
        "dig {shown} failed ({}): {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("dig prints UTF-8")
}

const NAME: &str = "_kiro-verification.example.com";

#[tokio::test]
async fn dns_3_dig_sees_a_txt_record_only_after_the_propagation_delay() {
    if !dig_available("dns_3_dig_sees_a_txt_record_only_after_the_propagation_delay") {
        return;
    }
    let world = common::start().await;
    let zone_id = world.create_zone(ZONE).await;
    world.set_delay("1m").await;
    let record = world
        .create_txt(&zone_id, "_kiro-verification", "kiro-verification=3b9f1c")
        .await;
    world
        .create_record(
            &zone_id,
            json!({ "type": "TXT", "name": "multi", "content": r#""part one" "part two""# }),
        )
        .await;

    for transport in ["+notcp", "+tcp"] {
        assert_eq!(dig(&world, &[transport, "+short", "TXT", NAME]).await, "");
        let comments = dig(&world, &[transport, "+noall", "+comments", "TXT", NAME]).await;
        assert!(comments.contains("status: NXDOMAIN"), "{comments}");
    }

    world.advance("1m").await;
    for transport in ["+notcp", "+tcp"] {
        assert_eq!(
            dig(&world, &[transport, "+short", "TXT", NAME]).await,
            "\"kiro-verification=3b9f1c\"\n",
            "{transport}"
        );
        // Case does not matter.
        assert_eq!(
            dig(
                &world,
                &[transport, "+short", "TXT", "_KIRO-Verification.EXAMPLE.com"]
            )
            .await,
            "\"kiro-verification=3b9f1c\"\n",
            "{transport}"
        );
        // Several strings in one TXT record.
        assert_eq!(
            dig(&world, &[transport, "+short", "TXT", "multi.example.com"]).await,
            "\"part one\" \"part two\"\n",
            "{transport}"
        );
        let comments = dig(&world, &[transport, "+noall", "+comments", "TXT", NAME]).await;
        assert!(comments.contains("status: NOERROR"), "{comments}");
        assert!(comments.contains(";; flags: qr aa rd;"), "{comments}");
    }

    world.delete_record(&zone_id, &record).await;
    assert_eq!(
        dig(&world, &["+short", "TXT", NAME]).await,
        "\"kiro-verification=3b9f1c\"\n",
        "the deletion has not propagated yet"
    );
    world.advance("1m").await;
    for transport in ["+notcp", "+tcp"] {
        let comments = dig(&world, &[transport, "+noall", "+comments", "TXT", NAME]).await;
        assert!(
            comments.contains("status: NXDOMAIN"),
            "{transport}: {comments}"
        );
        assert!(
            comments.contains(";; flags: qr aa rd;"),
            "{transport}: {comments}"
        );
        assert_eq!(dig(&world, &[transport, "+short", "TXT", NAME]).await, "");
    }
}

#[tokio::test]
async fn dns_2_dig_gets_the_apex_soa_and_a_refusal_outside_the_zones() {
    if !dig_available("dns_2_dig_gets_the_apex_soa_and_a_refusal_outside_the_zones") {
        return;
    }
    let world = common::start().await;
    world.create_zone(ZONE).await;
    assert_eq!(
        dig(&world, &["+short", "SOA", ZONE]).await,
        "ada.ns.mock-dns.test. hostmaster.mock-dns.test. 1 10000 2400 604800 1800\n"
    );
    assert_eq!(
        dig(&world, &["+tcp", "+short", "NS", ZONE]).await,
        "ada.ns.mock-dns.test.\nbob.ns.mock-dns.test.\n"
    );
    let comments = dig(&world, &["+noall", "+comments", "A", "example.org"]).await;
    assert!(comments.contains("status: REFUSED"), "{comments}");
}
