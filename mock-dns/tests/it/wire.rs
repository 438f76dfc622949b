//! mock-dns's DNS server on the wire: queries built and parsed with hickory-proto, sent over
//! plain tokio UDP sockets and TCP streams (2-byte length framing). Checks the header flags,
//! the sections of positive, negative (NXDOMAIN) and NODATA answers, the apex SOA and NS, and
//! that malformed input never stops the server.
//!
//! covers: [DNS-2]

use crate::common;

use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, Metadata, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::{NS, SOA, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

use common::{World, ZONE};

/// A guard against a server that never answers; never reached when the server works.
const NO_ANSWER_AFTER: Duration = Duration::from_secs(5);

fn name(text: &str) -> Name {
    Name::from_ascii(text).expect("a valid name")
}

/// A standard query (no recursion desired, no EDNS) for one question.
fn query(id: u16, qname: &str, record_type: RecordType) -> Message {
    let mut message = Message::new(id, MessageType::Query, OpCode::Query);
    message.add_query(Query::query(name(qname), record_type));
    message
}

fn bytes(message: &Message) -> Vec<u8> {
    message.to_vec().expect("the query encodes")
}

/// The header a response to query `id` must carry.
fn response_header(id: u16, authoritative: bool, response_code: ResponseCode) -> Metadata {
    let mut metadata = Metadata::new(id, MessageType::Response, OpCode::Query);
    metadata.authoritative = authoritative;
    metadata.response_code = response_code;
    metadata
}

/// Sends `packet` from `socket` and returns the first response whose id is `id` (datagrams
/// answering other packets sent on the socket are skipped).
async fn udp_answer(socket: &UdpSocket, server: SocketAddr, packet: &[u8], id: u16) -> Message {
    socket.send_to(packet, server).await.expect("udp send");
    let mut buffer = vec![0u8; 65_535];
    loop {
        let (len, from) = tokio::time::timeout(NO_ANSWER_AFTER, socket.recv_from(&mut buffer))
            .await
            .expect("a udp answer before the guard")
            .expect("udp receive");
        assert_eq!(from, server);
        let message = Message::from_vec(&buffer[..len]).expect("the answer parses");
        if message.metadata.id == id {
            return message;
        }
    }
}

async fn udp_socket() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").await.expect("udp bind")
}

/// A query over a fresh UDP socket.
async fn udp_exchange(server: SocketAddr, message: &Message) -> Message {
    let socket = udp_socket().await;
    udp_answer(&socket, server, &bytes(message), message.metadata.id).await
}

/// Writes one length-prefixed frame.
async fn tcp_send(stream: &mut TcpStream, packet: &[u8]) {
    let len = u16::try_from(packet.len()).expect("a frame fits in 64 KiB");
    stream
        .write_all(&len.to_be_bytes())
        .await
        .expect("tcp write");
    stream.write_all(packet).await.expect("tcp write");
}

/// Reads one length-prefixed frame and parses it.
async fn tcp_receive(stream: &mut TcpStream) -> Message {
    let read = async {
        let len = stream.read_u16().await.expect("a frame length");
        let mut frame = vec![0u8; usize::from(len)];
        stream.read_exact(&mut frame).await.expect("a whole frame");
        frame
    };
    let frame = tokio::time::timeout(NO_ANSWER_AFTER, read)
        .await
        .expect("a tcp answer before the guard");
    Message::from_vec(&frame).expect("the answer parses")
}

/// A query over a fresh TCP connection.
async fn tcp_exchange(server: SocketAddr, message: &Message) -> Message {
    let mut stream = TcpStream::connect(server).await.expect("tcp connect");
    tcp_send(&mut stream, &bytes(message)).await;
    tcp_receive(&mut stream).await
}

/// The same query over UDP and over TCP; both answers must be identical.
async fn exchange(world: &World, message: &Message) -> Message {
    let over_udp = udp_exchange(world.dns_addr(), message).await;
    let over_tcp = tcp_exchange(world.dns_addr(), message).await;
    assert_eq!(over_udp, over_tcp, "UDP and TCP answer alike");
    over_udp
}

/// The SOA of `example.com` as served, at the given serial.
fn soa(serial: u32) -> Record {
    Record::from_rdata(
        name("example.com."),
        3600,
        RData::SOA(SOA::new(
            name("ada.ns.mock-dns.test."),
            name("hostmaster.mock-dns.test."),
            serial,
            10_000,
            2_400,
            604_800,
            1_800,
        )),
    )
}

fn txt_record(owner: &str, ttl: u32, strings: &[&str]) -> Record {
    Record::from_rdata(
        name(owner),
        ttl,
        RData::TXT(TXT::new(strings.iter().map(|s| (*s).to_string()).collect())),
    )
}

/// A world with `example.com` holding `_kiro-verification` (TXT, automatic TTL) and
/// `multi` (TXT of two strings, TTL 120): the zone's serial is 3.
async fn world() -> World {
    let world = common::start().await;
    let zone_id = world.create_zone(ZONE).await;
    world
        .create_txt(&zone_id, "_kiro-verification", "kiro=abc123")
        .await;
    world
        .create_record(
            &zone_id,
            json!({ "type": "TXT", "name": "multi", "content": r#""part one" "part two""#, "ttl": 120 }),
        )
        .await;
    world
}

/// Checks a well-formed query is still answered correctly over UDP and over TCP.
async fn still_answers(world: &World, id: u16) {
    let request = query(id, "_kiro-verification.example.com.", RecordType::TXT);
    let answer = exchange(world, &request).await;
    assert_eq!(
        answer.metadata,
        response_header(id, true, ResponseCode::NoError)
    );
    assert_eq!(
        answer.answers,
        vec![txt_record(
            "_kiro-verification.example.com.",
            300,
            &["kiro=abc123"]
        )]
    );
}

#[tokio::test]
async fn dns_2_a_txt_answer_is_authoritative_and_echoes_the_question() {
    let world = world().await;
    let request = query(0x5eed, "_kiro-verification.example.com.", RecordType::TXT);
    let answer = exchange(&world, &request).await;
    assert_eq!(
        answer.metadata,
        response_header(0x5eed, true, ResponseCode::NoError)
    );
    assert_eq!(answer.queries, request.queries);
    // TTL 1 ("automatic") is served as 300 s.
    assert_eq!(
        answer.answers,
        vec![txt_record(
            "_kiro-verification.example.com.",
            300,
            &["kiro=abc123"]
        )]
    );
    assert_eq!(answer.authorities, vec![]);
    assert_eq!(answer.additionals, vec![]);
    assert_eq!(answer.edns, None);
}

#[tokio::test]
async fn dns_2_a_txt_record_may_hold_several_strings_on_the_wire() {
    let world = world().await;
    let answer = exchange(&world, &query(7, "multi.example.com.", RecordType::TXT)).await;
    assert_eq!(
        answer.metadata,
        response_header(7, true, ResponseCode::NoError)
    );
    assert_eq!(
        answer.answers,
        vec![txt_record(
            "multi.example.com.",
            120,
            &["part one", "part two"]
        )]
    );
}

#[tokio::test]
async fn dns_2_recursion_desired_is_copied_but_recursion_is_not_offered() {
    let world = world().await;
    let mut request = query(8, "multi.example.com.", RecordType::TXT);
    request.metadata.recursion_desired = true;
    let answer = exchange(&world, &request).await;
    let mut expected = response_header(8, true, ResponseCode::NoError);
    expected.recursion_desired = true;
    assert_eq!(answer.metadata, expected);
}

#[tokio::test]
async fn dns_2_unknown_names_are_nxdomain_with_the_zone_soa_in_authority() {
    let world = world().await;
    let request = query(0x0bad, "nope.example.com.", RecordType::TXT);
    let answer = exchange(&world, &request).await;
    assert_eq!(
        answer.metadata,
        response_header(0x0bad, true, ResponseCode::NXDomain)
    );
    assert_eq!(answer.queries, request.queries);
    assert_eq!(answer.answers, vec![]);
    assert_eq!(answer.authorities, vec![soa(3)]);
    assert_eq!(answer.additionals, vec![]);
}

#[tokio::test]
async fn dns_2_an_existing_name_without_the_type_is_nodata_with_the_soa() {
    let world = world().await;
    for record_type in [
        RecordType::A,
        RecordType::AAAA,
        RecordType::CNAME,
        RecordType::MX,
    ] {
        let answer = exchange(
            &world,
            &query(9, "_kiro-verification.example.com.", record_type),
        )
        .await;
        assert_eq!(
            answer.metadata,
            response_header(9, true, ResponseCode::NoError),
            "{record_type}"
        );
        assert_eq!(answer.answers, vec![], "{record_type}");
        assert_eq!(answer.authorities, vec![soa(3)], "{record_type}");
    }
}

#[tokio::test]
async fn dns_2_the_apex_answers_soa_and_ns() {
    let world = world().await;
    let answer = exchange(&world, &query(10, "example.com.", RecordType::SOA)).await;
    assert_eq!(
        answer.metadata,
        response_header(10, true, ResponseCode::NoError)
    );
    assert_eq!(answer.answers, vec![soa(3)]);
    assert_eq!(answer.authorities, vec![]);

    let answer = exchange(&world, &query(11, "EXAMPLE.com.", RecordType::NS)).await;
    assert_eq!(
        answer.metadata,
        response_header(11, true, ResponseCode::NoError)
    );
    assert_eq!(
        answer.answers,
        ["ada.ns.mock-dns.test.", "bob.ns.mock-dns.test."]
            .into_iter()
            .map(|ns| Record::from_rdata(name("example.com."), 3600, RData::NS(NS(name(ns)))))
            .collect::<Vec<_>>()
    );

    // The apex has no TXT: NODATA.
    let answer = exchange(&world, &query(12, "example.com.", RecordType::TXT)).await;
    assert_eq!(
        answer.metadata,
        response_header(12, true, ResponseCode::NoError)
    );
    assert_eq!((answer.answers, answer.authorities), (vec![], vec![soa(3)]));
}

#[tokio::test]
async fn dns_2_the_soa_serial_counts_published_changes() {
    let world = common::start().await;
    let zone_id = world.create_zone(ZONE).await;
    let answer = exchange(&world, &query(1, "example.com.", RecordType::SOA)).await;
    assert_eq!(answer.answers, vec![soa(1)]);

    world.set_delay("1m").await;
    let record = world.create_txt(&zone_id, "later", "x").await;
    let answer = exchange(&world, &query(2, "example.com.", RecordType::SOA)).await;
    assert_eq!(answer.answers, vec![soa(1)], "not published yet");
    world.advance("1m").await;
    let answer = exchange(&world, &query(3, "example.com.", RecordType::SOA)).await;
    assert_eq!(answer.answers, vec![soa(2)]);
    world.delete_record(&zone_id, &record).await;
    world.advance("1m").await;
    let answer = exchange(&world, &query(4, "later.example.com.", RecordType::TXT)).await;
    assert_eq!(answer.metadata.response_code, ResponseCode::NXDomain);
    assert_eq!(answer.authorities, vec![soa(3)]);
}

#[tokio::test]
async fn dns_2_names_outside_every_zone_are_refused_without_authority() {
    let world = world().await;
    let request = query(13, "example.org.", RecordType::A);
    let answer = exchange(&world, &request).await;
    assert_eq!(
        answer.metadata,
        response_header(13, false, ResponseCode::Refused)
    );
    assert_eq!(answer.queries, request.queries);
    assert_eq!((answer.answers, answer.authorities), (vec![], vec![]));
}

/// Deterministic pseudo-random bytes (xorshift64).
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_be_bytes()[0]
        })
        .collect()
}

/// The header of the FORMERR answering [`header_then`]: RD is copied, AA is not set.
fn formerr_header() -> Metadata {
    let mut metadata = response_header(0xBEEF, false, ResponseCode::FormErr);
    metadata.recursion_desired = true;
    metadata
}

/// A header (id 0xBEEF, a query, RD) claiming `questions` questions, followed by `rest`.
fn header_then(questions: u16, rest: &[u8]) -> Vec<u8> {
    let mut packet = vec![0xBE, 0xEF, 0x01, 0x00];
    packet.extend_from_slice(&questions.to_be_bytes());
    packet.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    packet.extend_from_slice(rest);
    packet
}

#[tokio::test]
async fn dns_2_malformed_udp_packets_never_stop_the_server() {
    let world = world().await;
    let server = world.dns_addr();
    let socket = udp_socket().await;

    // Anything shorter than a header is dropped; noise that does not parse is dropped or
    // answered FORMERR: either way the next query is answered.
    for (i, packet) in [
        noise(1, 64),
        noise(2, 512),
        noise(3, 1),
        vec![],
        vec![0x12, 0x34, 0x01, 0x00, 0x00],
        // A header that says "response": never answered (no reflection).
        vec![0x12, 0x35, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0],
    ]
    .into_iter()
    .enumerate()
    {
        socket.send_to(&packet, server).await.expect("udp send");
        let id = 100 + u16::try_from(i).expect("few cases");
        let request = query(id, "_kiro-verification.example.com.", RecordType::TXT);
        let answer = udp_answer(&socket, server, &bytes(&request), id).await;
        assert_eq!(
            answer.metadata,
            response_header(id, true, ResponseCode::NoError),
            "after packet {i}"
        );
        still_answers(&world, id + 1000).await;
    }

    // A well-formed header whose body does not parse, and one with no question at all, are
    // answered FORMERR under their id.
    for packet in [
        header_then(3, &noise(4, 20)),
        header_then(1, &[0x05, b'a', b'b']),
        header_then(0, &[]),
    ] {
        let answer = udp_answer(&socket, server, &packet, 0xBEEF).await;
        assert_eq!(answer.metadata, formerr_header(), "{packet:02x?}");
        assert_eq!(answer.answers, vec![]);
        still_answers(&world, 200).await;
    }
}

#[tokio::test]
async fn dns_2_malformed_tcp_frames_never_stop_the_server() {
    let world = world().await;
    let server = world.dns_addr();

    // Garbage frames: a 2-byte frame of garbage, an empty frame, a short header, noise.
    for (i, frame) in [
        vec![0xde, 0xad],
        vec![],
        vec![0x12, 0x34, 0x01, 0x00, 0x00],
        noise(5, 300),
    ]
    .into_iter()
    .enumerate()
    {
        let mut stream = TcpStream::connect(server).await.expect("tcp connect");
        tcp_send(&mut stream, &frame).await;
        drop(stream);
        let id = 300 + u16::try_from(i).expect("few cases");
        still_answers(&world, id).await;
    }

    // A frame that promises more bytes than it sends, then the connection closes.
    let mut stream = TcpStream::connect(server).await.expect("tcp connect");
    stream
        .write_all(&[0x01, 0x00, 0xBE, 0xEF, 0x01])
        .await
        .expect("tcp write");
    drop(stream);
    still_answers(&world, 400).await;

    // A connection that sent garbage can still be used for a well-formed query.
    let mut stream = TcpStream::connect(server).await.expect("tcp connect");
    tcp_send(&mut stream, &[0xde, 0xad]).await;
    let request = query(401, "multi.example.com.", RecordType::TXT);
    tcp_send(&mut stream, &bytes(&request)).await;
    let answer = tcp_receive(&mut stream).await;
    assert_eq!(
        answer.metadata,
        response_header(401, true, ResponseCode::NoError)
    );
    assert_eq!(
        answer.answers,
        vec![txt_record(
            "multi.example.com.",
            120,
            &["part one", "part two"]
        )]
    );

    // Over TCP too, a header with no question is answered FORMERR.
    let mut stream = TcpStream::connect(server).await.expect("tcp connect");
    tcp_send(&mut stream, &header_then(0, &[])).await;
    let answer = tcp_receive(&mut stream).await;
    assert_eq!(answer.metadata, formerr_header());
    still_answers(&world, 402).await;
}
