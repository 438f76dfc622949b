//! mock-dns seen through a real stub resolver (hickory-resolver) over UDP and over TCP: records
//! made through the provider API are answered over DNS once the propagation delay has passed
//! on the virtual clock, which the tests move over HTTP.
//!
//! covers: [DNS-2, DNS-3]

use crate::common;

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use hickory_resolver::Resolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::rdata::{A, AAAA, CNAME, TXT};
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use serde_json::json;

use common::{World, ZONE};

/// The DNS transport a resolver uses.
#[derive(Clone, Copy, Debug)]
enum Transport {
    Udp,
    Tcp,
}

const BOTH: [Transport; 2] = [Transport::Udp, Transport::Tcp];

/// What a lookup came to, reduced to what the tests assert.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// The answer section, in order.
    Answers(Vec<RData>),
    /// No records; the response code says whether the name exists (NoError) or not (NXDomain).
    NoRecords(ResponseCode),
    /// The server answered with an error response code.
    Error(ResponseCode),
}

/// A fresh resolver with no cache, talking to `addr` over one transport only.
fn resolver(addr: SocketAddr, transport: Transport) -> Resolver<TokioRuntimeProvider> {
    let mut connection = match transport {
        Transport::Udp => ConnectionConfig::udp(),
        Transport::Tcp => ConnectionConfig::tcp(),
    };
    connection.port = addr.port();
    let server = NameServerConfig::new(addr.ip(), true, vec![connection]);
    let mut builder = Resolver::builder_with_config(
        ResolverConfig::from_name_servers(vec![server]),
        TokioRuntimeProvider::default(),
    );
    builder.options_mut().cache_size = 0;
    builder.build().expect("a resolver")
}

/// Looks `name` up with a fresh resolver, so no earlier (negative) answer is cached.
async fn lookup(
    world: &World,
    transport: Transport,
    name: &str,
    record_type: RecordType,
) -> Outcome {
    match resolver(world.dns_addr(), transport)
        .lookup(name, record_type)
        .await
    {
        Ok(found) => Outcome::Answers(found.answers().iter().map(|r| r.data.clone()).collect()),
        Err(NetError::Dns(DnsError::NoRecordsFound(none))) => {
            Outcome::NoRecords(none.response_code)
        }
        Err(NetError::Dns(DnsError::ResponseCode(code))) => Outcome::Error(code),
        Err(other) => panic!("{transport:?} lookup of {record_type} {name} failed: {other:?}"),
    }
}

fn txt(strings: &[&str]) -> RData {
    RData::TXT(TXT::new(strings.iter().map(|s| (*s).to_string()).collect()))
}

fn name(text: &str) -> Name {
    Name::from_ascii(text).expect("a valid name")
}

/// Starts a world with `example.com` created (and published) while the delay is still 0, then
/// sets the delay to `delay`. Returns the world and the zone's id.
async fn world_with_zone(delay: &str) -> (World, String) {
    let world = common::start().await;
    let zone_id = world.create_zone(ZONE).await;
    world.set_delay(delay).await;
    (world, zone_id)
}

async fn txt_record_visible_only_after_the_delay(transport: Transport) {
    let (world, zone_id) = world_with_zone("5m").await;
    let token = "kiro-verification=7f3a9c2e";
    let single = world
        .create_txt(&zone_id, "_kiro-verification", token)
        .await;
    world.create_txt(&zone_id, "multi", r#""a" "b""#).await;
    let qname = "_kiro-verification.example.com.";

    let nxdomain = Outcome::NoRecords(ResponseCode::NXDomain);
    assert_eq!(
        lookup(&world, transport, qname, RecordType::TXT).await,
        nxdomain
    );
    world.advance("4m").await;
    assert_eq!(
        lookup(&world, transport, qname, RecordType::TXT).await,
        nxdomain
    );
    assert_eq!(
        lookup(&world, transport, "multi.example.com.", RecordType::TXT).await,
        nxdomain
    );

    world.advance("1m").await;
    assert_eq!(
        lookup(&world, transport, qname, RecordType::TXT).await,
        Outcome::Answers(vec![txt(&[token])])
    );
    assert_eq!(
        lookup(&world, transport, "multi.example.com.", RecordType::TXT).await,
        Outcome::Answers(vec![txt(&["a", "b"])])
    );

    world.delete_record(&zone_id, &single).await;
    world.advance("4m").await;
    assert_eq!(
        lookup(&world, transport, qname, RecordType::TXT).await,
        Outcome::Answers(vec![txt(&[token])]),
        "a deletion also waits for the delay"
    );
    world.advance("1m").await;
    assert_eq!(
        lookup(&world, transport, qname, RecordType::TXT).await,
        nxdomain
    );
    assert_eq!(
        lookup(&world, transport, "multi.example.com.", RecordType::TXT).await,
        Outcome::Answers(vec![txt(&["a", "b"])]),
        "the other record stays"
    );
}

#[tokio::test]
async fn dns_3_txt_record_visible_only_after_propagation_delay_over_udp() {
    txt_record_visible_only_after_the_delay(Transport::Udp).await;
}

#[tokio::test]
async fn dns_3_txt_record_visible_only_after_propagation_delay_over_tcp() {
    txt_record_visible_only_after_the_delay(Transport::Tcp).await;
}

#[tokio::test]
async fn dns_3_changes_made_at_different_times_each_appear_after_their_own_delay() {
    let (world, zone_id) = world_with_zone("5m").await;
    world.create_txt(&zone_id, "first", "one").await;
    world.advance("1m").await;
    world.create_txt(&zone_id, "second", "two").await;

    // 5m after the first change: only it is visible.
    world.advance("4m").await;
    for transport in BOTH {
        assert_eq!(
            lookup(&world, transport, "first.example.com.", RecordType::TXT).await,
            Outcome::Answers(vec![txt(&["one"])])
        );
        assert_eq!(
            lookup(&world, transport, "second.example.com.", RecordType::TXT).await,
            Outcome::NoRecords(ResponseCode::NXDomain)
        );
    }
    // 5m after the second change, with no further change made in between.
    world.advance("1m").await;
    for transport in BOTH {
        assert_eq!(
            lookup(&world, transport, "second.example.com.", RecordType::TXT).await,
            Outcome::Answers(vec![txt(&["two"])])
        );
    }
    assert_eq!(world.propagation().await["unpublished_changes"], json!(0));
}

#[tokio::test]
async fn dns_3_a_new_zone_is_not_served_until_it_has_propagated() {
    let world = common::start().await;
    world.set_delay("2m").await;
    let zone_id = world.create_zone(ZONE).await;
    world.create_txt(&zone_id, "early", "bird").await;
    for transport in BOTH {
        assert_eq!(
            lookup(&world, transport, "early.example.com.", RecordType::TXT).await,
            Outcome::Error(ResponseCode::Refused)
        );
    }
    world.advance("2m").await;
    for transport in BOTH {
        assert_eq!(
            lookup(&world, transport, "early.example.com.", RecordType::TXT).await,
            Outcome::Answers(vec![txt(&["bird"])])
        );
    }
}

#[tokio::test]
async fn dns_2_a_aaaa_and_cname_answers() {
    let (world, zone_id) = world_with_zone("0s").await;
    for record in [
        json!({ "type": "A", "name": "host", "content": "192.0.2.7" }),
        json!({ "type": "A", "name": "host", "content": "192.0.2.8" }),
        json!({ "type": "AAAA", "name": "host", "content": "2001:db8::7" }),
        json!({ "type": "CNAME", "name": "www", "content": "host.example.com" }),
        json!({ "type": "CNAME", "name": "out", "content": "elsewhere.example.org" }),
    ] {
        world.create_record(&zone_id, record).await;
    }
    let a7 = RData::A(A(Ipv4Addr::new(192, 0, 2, 7)));
    let a8 = RData::A(A(Ipv4Addr::new(192, 0, 2, 8)));
    let aaaa = RData::AAAA(AAAA(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 7)));
    let to_host = RData::CNAME(CNAME(name("host.example.com.")));

    for transport in BOTH {
        assert_eq!(
            lookup(&world, transport, "host.example.com.", RecordType::A).await,
            Outcome::Answers(vec![a7.clone(), a8.clone()]),
            "{transport:?}"
        );
        assert_eq!(
            lookup(&world, transport, "host.example.com.", RecordType::AAAA).await,
            Outcome::Answers(vec![aaaa.clone()]),
            "{transport:?}"
        );
        assert_eq!(
            lookup(&world, transport, "www.example.com.", RecordType::CNAME).await,
            Outcome::Answers(vec![to_host.clone()]),
            "{transport:?}"
        );
        // An A query at the alias is answered with the chain followed inside the zone.
        assert_eq!(
            lookup(&world, transport, "www.example.com.", RecordType::A).await,
            Outcome::Answers(vec![to_host.clone(), a7.clone(), a8.clone()]),
            "{transport:?}"
        );
        assert_eq!(
            lookup(&world, transport, "out.example.com.", RecordType::CNAME).await,
            Outcome::Answers(vec![RData::CNAME(CNAME(name("elsewhere.example.org.")))]),
            "{transport:?}"
        );
        // The name exists, but has no TXT: NODATA, not NXDOMAIN.
        assert_eq!(
            lookup(&world, transport, "host.example.com.", RecordType::TXT).await,
            Outcome::NoRecords(ResponseCode::NoError),
            "{transport:?}"
        );
        assert_eq!(
            lookup(
                &world,
                transport,
                "nothing-here.example.com.",
                RecordType::A
            )
            .await,
            Outcome::NoRecords(ResponseCode::NXDomain),
            "{transport:?}"
        );
    }
}

#[tokio::test]
async fn dns_2_names_are_matched_case_insensitively() {
    let (world, zone_id) = world_with_zone("0s").await;
    world
        .create_txt(&zone_id, "_kiro-verification", "kiro=abc")
        .await;
    world
        .create_record(
            &zone_id,
            json!({ "type": "A", "name": "Mixed.Example.COM", "content": "192.0.2.1" }),
        )
        .await;
    for transport in BOTH {
        for qname in [
            "_KIRO-verification.EXAMPLE.com",
            "_KIRO-verification.EXAMPLE.com.",
            "_kiro-VERIFICATION.example.COM.",
        ] {
            assert_eq!(
                lookup(&world, transport, qname, RecordType::TXT).await,
                Outcome::Answers(vec![txt(&["kiro=abc"])]),
                "{transport:?} {qname}"
            );
        }
        assert_eq!(
            lookup(&world, transport, "mixed.example.com.", RecordType::A).await,
            Outcome::Answers(vec![RData::A(A(Ipv4Addr::new(192, 0, 2, 1)))]),
            "{transport:?}"
        );
    }
}

#[tokio::test]
async fn dns_2_a_name_outside_every_zone_is_refused() {
    let (world, _zone_id) = world_with_zone("0s").await;
    for transport in BOTH {
        for (qname, record_type) in [
            ("example.org.", RecordType::A),
            ("_kiro-verification.other.test.", RecordType::TXT),
            // A sibling that merely ends with the zone's name is not in it.
            ("notexample.com.", RecordType::TXT),
        ] {
            assert_eq!(
                lookup(&world, transport, qname, record_type).await,
                Outcome::Error(ResponseCode::Refused),
                "{transport:?} {qname}"
            );
        }
    }
}
