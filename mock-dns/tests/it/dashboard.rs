//! The DNS provider's dashboard in a real browser (headless Chromium): log in with the API
//! token, open the zone, "DNS" → "Records", "Add record" (Type, Name, Content, TTL), "Edit",
//! "Delete", each change "Pending until" its propagation time and then "Published", checked
//! against real DNS queries; a refused record shows the API's error next to its field and
//! changes nothing.
//!
// covers: DNS-UI-1, DNS-UI-2

use crate::common;

use std::net::SocketAddr;

use hickory_resolver::Resolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::{RData, RecordType};
use sim_testkit::browser::Browser;

use common::ZONE;

/// The TXT strings at `name` right now (a fresh resolver: nothing cached), empty if none.
async fn txt(addr: SocketAddr, name: &str) -> Vec<String> {
    let mut connection = ConnectionConfig::udp();
    connection.port = addr.port();
    let server = NameServerConfig::new(addr.ip(), true, vec![connection]);
    let mut builder = Resolver::builder_with_config(
        ResolverConfig::from_name_servers(vec![server]),
        TokioRuntimeProvider::default(),
    );
    builder.options_mut().cache_size = 0;
    let resolver = builder.build().expect("a resolver");
    match resolver.lookup(name, RecordType::TXT).await {
        Ok(found) => found
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::TXT(t) => Some(t.to_string()),
                _ => None,
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

const RECORD: &str = "_kiro-verification.example.com";

async fn signed_in(test: &str) -> Option<(common::World, String, Browser)> {
    let world = common::start().await;
    let zone_id = world.create_zone(ZONE).await;
    world.set_delay("5m").await;
    let b = Browser::start(test).await?;
    b.goto(&world.url("/dashboard")).await;
    b.fill("API token", world.dns.api_token()).await;
    b.press("Log in").await;
    b.expect_text("Zones").await;
    Some((world, zone_id, b))
}

#[tokio::test]
async fn dns_ui_1_a_txt_record_is_added_edited_and_deleted_and_each_change_shows_when_it_is_published()
 {
    let Some((world, _zone, b)) =
        signed_in("dns_ui_1_a_txt_record_is_added_edited_and_deleted").await
    else {
        return;
    };
    let dns = world.dns_addr();
    b.follow(ZONE).await;
    b.follow("DNS").await;
    b.follow("Records").await;
    b.expect_text("This zone has no DNS records.").await;
    b.follow("Add record").await;
    b.expect_text("Comment").await;
    b.select("Type", "TXT").await;
    b.fill("Name", "_kiro-verification").await;
    b.fill("Content", "kiro-verify=first").await;
    b.select("TTL", "Auto").await;
    b.press("Save").await;
    // Listed at once, pending in DNS for the propagation delay (5 minutes of world time).
    b.expect_text(RECORD).await;
    b.expect_text("kiro-verify=first").await;
    b.expect_text("Pending until").await;
    assert!(
        txt(dns, RECORD).await.is_empty(),
        "not in DNS before the delay"
    );

    world.advance("5m").await;
    b.follow("Records").await;
    b.expect_text("Published").await;
    b.expect_no_text("Pending until").await;
    assert_eq!(txt(dns, RECORD).await, ["kiro-verify=first"]);

    // Edit: the old content answers until the change is published.
    b.follow("Edit").await;
    b.expect_text("Edit record").await;
    assert_eq!(b.value("Content").await, "kiro-verify=first");
    b.fill("Content", "kiro-verify=second").await;
    b.press("Save").await;
    b.expect_text("kiro-verify=second").await;
    b.expect_text("Pending until").await;
    assert_eq!(txt(dns, RECORD).await, ["kiro-verify=first"]);
    world.advance("5m").await;
    assert_eq!(txt(dns, RECORD).await, ["kiro-verify=second"]);

    // Delete: gone from the list at once, from DNS after the delay.
    b.follow("Records").await;
    b.press("Delete").await;
    b.expect_text("This zone has no DNS records.").await;
    b.expect_text("deleted record(s) still answer in DNS").await;
    assert_eq!(txt(dns, RECORD).await, ["kiro-verify=second"]);
    world.advance("5m").await;
    assert!(txt(dns, RECORD).await.is_empty(), "deleted from DNS");
    b.close().await;
}

#[tokio::test]
async fn dns_ui_2_a_refused_record_shows_the_api_error_next_to_its_field_and_changes_nothing() {
    let Some((world, zone, b)) = signed_in("dns_ui_2_a_refused_record_shows_the_api_error").await
    else {
        return;
    };
    let before = world.records_body(&zone).await;
    b.follow(ZONE).await;
    b.follow("DNS").await;
    b.follow("Add record").await;
    b.expect_text("Comment").await;
    b.select("Type", "A").await;
    b.fill("Name", "www").await;
    b.fill("Content", "not-an-address").await;
    b.press("Save").await;
    b.expect_text("DNS Validation Error").await;
    let error = b.text_of("#content-error").await;
    assert!(
        error.starts_with("DNS Validation Error (Code: 1004)"),
        "{error}"
    );
    // What the admin typed stays in the form; nothing was created.
    assert_eq!(b.value("Content").await, "not-an-address");
    assert_eq!(world.records_body(&zone).await["result"], before["result"]);

    // A bad name is shown next to Name.
    b.select("Type", "TXT").await;
    b.fill("Name", "bad name!").await;
    b.fill("Content", "x").await;
    b.press("Save").await;
    b.expect_text("is invalid").await;
    let error = b.text_of("#name-error").await;
    assert!(error.contains("is invalid"), "{error}");
    assert_eq!(world.records_body(&zone).await["result"], before["result"]);

    // A wrong token does not log in.
    b.press("Log out").await;
    b.expect_text("Log in to the DNS dashboard").await;
    b.fill("API token", "wrong").await;
    b.press("Log in").await;
    b.expect_text("Authentication error (Code: 10000)").await;
    b.goto(&world.url(&format!("/dashboard/zones/{zone}/dns/records")))
        .await;
    b.expect_text("Log in to the DNS dashboard").await;
    b.close().await;
}
