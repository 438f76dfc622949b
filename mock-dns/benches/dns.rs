//! mock-dns benchmark: prints the figures issue 2 sets targets for.
//!
//! - **ready**: time from `MockDns::start` being called to both servers accepting requests
//!   (UDP + TCP DNS and the HTTP API bound, tasks spawned). Target ≤ 5 ms.
//! - **TXT queries/s over UDP on loopback**: several client sockets keep a window of queries in
//!   flight against one server, on the same 2-core machine. Target ≥ 20,000/s.
//!
//! Run with `cargo bench -p mock-dns` (or `cargo xtask bench dns`). The load is bounded in
//! count and time and goes only to 127.0.0.1.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, MessageType, OpCode, Query};
use hickory_proto::rr::{Name, RecordType};
use hickory_proto::serialize::binary::{BinDecodable, BinEncodable};
use mock_dns::{Config, MockDns};

const READY_RUNS: usize = 50;
const CLIENTS: usize = 4;
const WINDOW: usize = 32;
const WARM_UP: Duration = Duration::from_millis(300);
const MEASURE: Duration = Duration::from_secs(3);
const MAX_QUERIES: u64 = 2_000_000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        ready_time().await;
        udp_throughput().await;
    });
}

async fn ready_time() {
    let mut samples = Vec::with_capacity(READY_RUNS);
    for _ in 0..READY_RUNS {
        let started = Instant::now();
        let dns = MockDns::start(Config {
            zones: vec!["example.com".into()],
            ..Config::default()
        })
        .await
        .expect("start");
        samples.push(started.elapsed());
        dns.shutdown().await;
    }
    samples.sort();
    let pct = |p: usize| samples[(samples.len() * p / 100).min(samples.len() - 1)];
    println!(
        "mock-dns ready: median {:.3} ms, p95 {:.3} ms, max {:.3} ms over {READY_RUNS} starts (target <= 5 ms)",
        ms(pct(50)),
        ms(pct(95)),
        ms(*samples.last().expect("samples"))
    );
}

async fn udp_throughput() {
    let dns = MockDns::start(Config {
        zones: vec!["example.com".into()],
        ..Config::default()
    })
    .await
    .expect("start");
    seed_record(&dns).await;
    let target = dns.dns_addr();
    let query = encode_query("_kiro-verification.example.com.");

    let counters: Vec<_> = (0..CLIENTS)
        .map(|_| tokio::spawn(client(target, query.clone())))
        .collect();
    let mut answered = 0u64;
    let mut elapsed = Duration::ZERO;
    for counter in counters {
        let (n, took) = counter.await.expect("client");
        answered += n;
        elapsed = elapsed.max(took);
    }
    let qps = answered as f64 / elapsed.as_secs_f64();
    println!(
        "mock-dns UDP TXT: {answered} answers in {:.2} s = {qps:.0} queries/s with {CLIENTS} clients x {WINDOW} in flight (target >= 20,000/s)",
        elapsed.as_secs_f64()
    );
    dns.shutdown().await;
}

/// Creates the TXT record the benchmark queries, through the provider API.
async fn seed_record(dns: &MockDns) {
    let client = reqwest::Client::new();
    let zones: serde_json::Value = client
        .get(format!(
            "{}/client/v4/zones?name=example.com",
            dns.api_url()
        ))
        .bearer_auth(dns.api_token())
        .send()
        .await
        .expect("list zones")
        .json()
        .await
        .expect("zones json");
    let zone_id = zones["result"][0]["id"].as_str().expect("zone id");
    let status = client
        .post(format!(
            "{}/client/v4/zones/{zone_id}/dns_records",
            dns.api_url()
        ))
        .bearer_auth(dns.api_token())
        .json(&serde_json::json!({
            "type": "TXT",
            "name": "_kiro-verification",
            "content": "kiro-verification=0123456789abcdef",
        }))
        .send()
        .await
        .expect("create record")
        .status();
    assert!(status.is_success(), "record create answered {status}");
}

/// One client: keeps `WINDOW` queries in flight, counts answers after a warm-up. A lost
/// datagram is made up for after a short receive timeout, so the window never drains.
async fn client(target: SocketAddr, query: Vec<u8>) -> (u64, Duration) {
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("bind");
    socket.connect(target).await.expect("connect");
    let mut buf = vec![0u8; 1500];
    let mut query = query;
    let mut id: u16 = 0;
    for _ in 0..WINDOW {
        send(&socket, &mut query, &mut id).await;
    }
    let warm_until = Instant::now() + WARM_UP;
    let mut start = None;
    let mut answered = 0u64;
    loop {
        match tokio::time::timeout(Duration::from_millis(50), socket.recv(&mut buf)).await {
            Ok(Ok(len)) => {
                let response = Message::from_bytes(&buf[..len]).expect("response parses");
                assert_eq!(
                    response.answers.len(),
                    1,
                    "every query is answered with the TXT record"
                );
                let now = Instant::now();
                match start {
                    None if now >= warm_until => start = Some(now),
                    Some(_) => answered += 1,
                    None => {}
                }
            }
            Ok(Err(error)) => panic!("recv: {error}"),
            Err(_) => {} // lost: the send below replaces it
        }
        if let Some(started) = start
            && (started.elapsed() >= MEASURE || answered >= MAX_QUERIES)
        {
            return (answered, started.elapsed());
        }
        send(&socket, &mut query, &mut id).await;
    }
}

/// Sends `query` with the next message id.
async fn send(socket: &tokio::net::UdpSocket, query: &mut [u8], id: &mut u16) {
    *id = id.wrapping_add(1);
    query[..2].copy_from_slice(&id.to_be_bytes());
    socket.send(query).await.expect("send");
}

fn encode_query(name: &str) -> Vec<u8> {
    let mut message = Message::new(0, MessageType::Query, OpCode::Query);
    message.metadata.recursion_desired = false;
    message.add_query(Query::query(
        Name::from_ascii(name).expect("name"),
        RecordType::TXT,
    ));
    message.to_bytes().expect("encode")
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
