//! Answers too large for the transport: over UDP without EDNS an answer over 512 bytes (or
//! over the EDNS payload size the query advertises) comes back well-formed, empty and with TC
//! set, so the client retries over TCP, where the whole answer comes; an answer too large even
//! for TCP's 64 KiB is a well-formed TC answer too. Raw messages with hickory-proto, and `dig`.
//!
//! covers: [DNS-2, DNS-4]

use crate::common;

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

use common::{World, ZONE};

/// A guard against a server that never answers; never reached when the server works.
const NO_ANSWER_AFTER: Duration = Duration::from_secs(5);

fn txt_query(id: u16, qname: &str, edns_payload: Option<u16>) -> Message {
    let mut message = Message::new(id, MessageType::Query, OpCode::Query);
    message.add_query(Query::query(
        Name::from_ascii(qname).expect("a name"),
        RecordType::TXT,
    ));
    if let Some(payload) = edns_payload {
        let mut edns = Edns::new();
        edns.set_max_payload(payload);
        message.set_edns(edns);
    }
    message
}

/// The raw datagram answering `message` over UDP.
async fn udp_raw(server: SocketAddr, message: &Message) -> Vec<u8> {
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("udp bind");
    let packet = message.to_vec().expect("the query encodes");
    socket.send_to(&packet, server).await.expect("udp send");
    let mut buffer = vec![0u8; 65_535];
    let (len, _) = tokio::time::timeout(NO_ANSWER_AFTER, socket.recv_from(&mut buffer))
        .await
        .expect("a udp answer before the guard")
        .expect("udp receive");
    buffer.truncate(len);
    buffer
}

/// The raw frame answering `message` over TCP.
async fn tcp_raw(server: SocketAddr, message: &Message) -> Vec<u8> {
    let mut stream = TcpStream::connect(server).await.expect("tcp connect");
    let packet = message.to_vec().expect("the query encodes");
    let len = u16::try_from(packet.len()).expect("a small query");
    stream.write_all(&len.to_be_bytes()).await.expect("write");
    stream.write_all(&packet).await.expect("write");
    let read = async {
        let len = stream.read_u16().await.expect("a frame length");
        let mut frame = vec![0u8; usize::from(len)];
        stream.read_exact(&mut frame).await.expect("a whole frame");
        frame
    };
    tokio::time::timeout(NO_ANSWER_AFTER, read)
        .await
        .expect("a tcp answer before the guard")
}

/// Parses a response and checks it is well-formed: it decodes, and no bytes are left after
/// the records its header counts.
fn well_formed(raw: &[u8]) -> Message {
    let mut decoder = BinDecoder::new(raw);
    let message = Message::read(&mut decoder).expect("the answer parses");
    assert_eq!(decoder.len(), 0, "bytes beyond the counted records");
    message
}

fn txt_strings(message: &Message) -> Vec<Vec<u8>> {
    message
        .answers
        .iter()
        .flat_map(|r| match &r.data {
            RData::TXT(txt) => txt.txt_data.iter().map(|s| s.to_vec()).collect(),
            _ => Vec::new(),
        })
        .collect()
}

/// A world with `big.example.com` holding three 200-byte strings in one TXT record and
/// `many.example.com` holding `many` TXT records of 4,000 bytes each.
async fn world_with_large_answers(many: usize) -> World {
    let world = common::start().await;
    let zone = world.create_zone(ZONE).await;
    let content = ["a", "b", "c"]
        .iter()
        .map(|c| format!("\"{}\"", c.repeat(200)))
        .collect::<Vec<_>>()
        .join(" ");
    world
        .create_record(
            &zone,
            json!({ "type": "TXT", "name": "big", "content": content }),
        )
        .await;
    for i in 0..many {
        let content = format!("{i:02}{}", "x".repeat(3998));
        world
            .create_record(
                &zone,
                json!({ "type": "TXT", "name": "many", "content": content }),
            )
            .await;
    }
    world
}

/// DNS-4: over UDP without EDNS, a 600-byte answer is a well-formed 512-byte-or-less message
/// with TC set and no answers; over TCP the whole answer comes.
#[tokio::test]
async fn dns_4_udp_answers_over_512_bytes_are_truncated_with_tc_and_whole_over_tcp() {
    let world = world_with_large_answers(0).await;
    let query = txt_query(7, "big.example.com.", None);
    let raw = udp_raw(world.dns_addr(), &query).await;
    assert!(raw.len() <= 512, "{} bytes", raw.len());
    let udp = well_formed(&raw);
    assert!(udp.metadata.truncation, "TC must be set");
    assert_eq!(udp.metadata.response_code, ResponseCode::NoError);
    assert!(udp.answers.is_empty(), "no partial RRset");

    let tcp = well_formed(&tcp_raw(world.dns_addr(), &query).await);
    assert!(!tcp.metadata.truncation);
    let expected: Vec<Vec<u8>> = ["a", "b", "c"]
        .iter()
        .map(|c| c.repeat(200).into_bytes())
        .collect();
    assert_eq!(txt_strings(&tcp), expected);

    // With EDNS advertising 1232 bytes, the same answer fits over UDP.
    let raw = udp_raw(
        world.dns_addr(),
        &txt_query(8, "big.example.com.", Some(1232)),
    )
    .await;
    let udp = well_formed(&raw);
    assert!(!udp.metadata.truncation);
    assert_eq!(txt_strings(&udp), expected);
}

/// DNS-4: ten 4 KB TXT records exceed an EDNS payload of 4096 over UDP (TC, well-formed) and
/// come whole over TCP; twenty exceed even TCP's 64 KiB and come as a well-formed TC answer.
#[tokio::test]
async fn dns_4_answers_beyond_the_edns_payload_or_64_kib_are_well_formed_tc_answers() {
    let world = world_with_large_answers(20).await;
    let query = txt_query(9, "many.example.com.", Some(4096));
    let raw = udp_raw(world.dns_addr(), &query).await;
    assert!(raw.len() <= 4096, "{} bytes", raw.len());
    let udp = well_formed(&raw);
    assert!(udp.metadata.truncation);
    assert!(udp.answers.is_empty());
    let tcp = well_formed(&tcp_raw(world.dns_addr(), &query).await);
    assert!(
        tcp.metadata.truncation,
        "82 KB cannot fit in one TCP message"
    );
    assert!(tcp.answers.is_empty());

    let world = world_with_large_answers(10).await;
    let query = txt_query(10, "many.example.com.", Some(4096));
    let udp = well_formed(&udp_raw(world.dns_addr(), &query).await);
    assert!(udp.metadata.truncation);
    let tcp = well_formed(&tcp_raw(world.dns_addr(), &query).await);
    assert!(!tcp.metadata.truncation);
    assert_eq!(tcp.answers.len(), 10);
    // The server still answers.
    let small = well_formed(
        &udp_raw(
            world.dns_addr(),
            &txt_query(11, "big.example.com.", Some(1232)),
        )
        .await,
    );
    assert_eq!(small.metadata.response_code, ResponseCode::NoError);
}

/// DNS-4 with the real `dig`: over UDP without EDNS it sees TC and retries over TCP by
/// itself, printing the whole answer; the truncated answer has no "extra bytes at end".
#[tokio::test]
async fn dns_4_dig_retries_a_truncated_answer_over_tcp() {
    if Command::new("dig").arg("-v").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "`dig` must be on PATH in CI"
        );
        eprintln!("skipping: `dig` is not on PATH");
        return;
    }
    let world = world_with_large_answers(0).await;
    // `+ignore`: dig shows the truncated UDP answer itself (and would warn were it malformed).
    let (stdout, stderr) = dig(&world, &["+notcp", "+ignore"]).await;
    let all = format!("{stdout}{stderr}");
    assert!(!all.contains("extra bytes"), "{all}");
    assert!(!all.contains("malformed"), "{all}");
    assert!(stdout.contains(" tc"), "{all}");
    assert!(stdout.contains("ANSWER: 0"), "{all}");
    // By default dig retries over TCP and prints the whole answer.
    let (stdout, stderr) = dig(&world, &["+notcp"]).await;
    let all = format!("{stdout}{stderr}");
    assert!(!all.contains("malformed"), "{all}");
    assert!(stdout.contains("Truncated, retrying in TCP mode"), "{all}");
    assert!(stdout.contains(&"c".repeat(200)), "{all}");
    assert!(stdout.contains("status: NOERROR"), "{all}");
}

/// Runs `dig @server +noedns <args> TXT big.example.com` on the blocking pool.
async fn dig(world: &World, args: &[&str]) -> (String, String) {
    let addr = world.dns_addr();
    let mut argv: Vec<String> = vec![
        "-r".to_string(),
        format!("@{}", addr.ip()),
        "-p".to_string(),
        addr.port().to_string(),
        "+time=5".into(),
        "+tries=1".into(),
        "+noedns".into(),
    ];
    argv.extend(args.iter().map(|a| (*a).to_string()));
    argv.extend(["TXT".to_string(), "big.example.com".to_string()]);
    let output = tokio::task::spawn_blocking(move || Command::new("dig").args(&argv).output())
        .await
        .expect("the dig task ends")
        .expect("dig runs");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(output.status.success(), "{stdout}{stderr}");
    (stdout, stderr)
}
