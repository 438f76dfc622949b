//! The `dig:` step: one real DNS query to the world's mock-dns over UDP or TCP, as `dig`
//! sends it, with the answer rendered as JSON for expectations:
//!
//! ```json
//! { "rcode": "NXDOMAIN", "authoritative": true,
//!   "answers": [{ "name": "_kiro.example.com.", "type": "TXT", "ttl": 300, "data": ["a", "b"] }] }
//! ```
//!
//! TXT data is the list of the record's character strings; A/AAAA an address; CNAME, NS a
//! name; anything else its presentation form.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

/// How long a query waits for its answer (a guard: mock-dns answers in microseconds).
const TIMEOUT: Duration = Duration::from_secs(5);

/// The transport of a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// One datagram each way.
    Udp,
    /// A TCP stream with 2-byte length framing (RFC 1035 4.2.2).
    Tcp,
}

impl Transport {
    /// `udp` or `tcp`.
    pub fn parse(text: &str) -> Option<Transport> {
        match text.to_ascii_lowercase().as_str() {
            "udp" => Some(Transport::Udp),
            "tcp" => Some(Transport::Tcp),
            _ => None,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        }
    }
}

/// The record types a `dig:` step may ask for.
pub const TYPES: &[&str] = &["A", "AAAA", "CNAME", "TXT", "NS", "SOA", "MX"];

/// Sends one query for `name`/`record_type` to `server` and renders the answer.
pub async fn query(
    server: SocketAddr,
    name: &str,
    record_type: &str,
    transport: Transport,
    id: u16,
) -> Result<Value, String> {
    let packet = query_message(name, record_type, id)?;
    let answer = tokio::time::timeout(TIMEOUT, exchange(server, &packet, transport, id))
        .await
        .map_err(|_| format!("no answer from {server} over {}", transport.name()))??;
    Ok(render(&answer))
}

/// The query message `dig:` sends for `name` and `record_type` (recursion desired), encoded;
/// the fuzz seeds of mock-dns's handler are made of these too (`examples/fuzz_seeds.rs`).
pub fn query_message(name: &str, record_type: &str, id: u16) -> Result<Vec<u8>, String> {
    let qname = Name::from_ascii(name).map_err(|e| format!("bad DNS name `{name}`: {e}"))?;
    let rtype: RecordType = record_type
        .to_ascii_uppercase()
        .parse()
        .map_err(|_| format!("unknown record type `{record_type}`"))?;
    let mut message = Message::new(id, MessageType::Query, OpCode::Query);
    message.metadata.recursion_desired = true;
    message.add_query(Query::query(qname, rtype));
    message
        .to_vec()
        .map_err(|e| format!("the query does not encode: {e}"))
}

async fn exchange(
    server: SocketAddr,
    packet: &[u8],
    transport: Transport,
    id: u16,
) -> Result<Message, String> {
    let io = |e: std::io::Error| format!("DNS over {}: {e}", transport.name());
    match transport {
        Transport::Udp => {
            let socket = UdpSocket::bind(("127.0.0.1", 0)).await.map_err(io)?;
            socket.send_to(packet, server).await.map_err(io)?;
            let mut buffer = vec![0u8; 65_535];
            loop {
                let (len, from) = socket.recv_from(&mut buffer).await.map_err(io)?;
                if from != server {
                    continue;
                }
                let message = Message::from_vec(&buffer[..len])
                    .map_err(|e| format!("the answer does not parse: {e}"))?;
                if message.metadata.id == id {
                    return Ok(message);
                }
            }
        }
        Transport::Tcp => {
            let mut stream = TcpStream::connect(server).await.map_err(io)?;
            let len = u16::try_from(packet.len()).map_err(|_| "query too long".to_string())?;
            stream.write_all(&len.to_be_bytes()).await.map_err(io)?;
            stream.write_all(packet).await.map_err(io)?;
            let mut prefix = [0u8; 2];
            stream.read_exact(&mut prefix).await.map_err(io)?;
            let mut frame = vec![0u8; usize::from(u16::from_be_bytes(prefix))];
            stream.read_exact(&mut frame).await.map_err(io)?;
            Message::from_vec(&frame).map_err(|e| format!("the answer does not parse: {e}"))
        }
    }
}

fn rcode(code: ResponseCode) -> String {
    match code {
        ResponseCode::NoError => "NOERROR".into(),
        ResponseCode::FormErr => "FORMERR".into(),
        ResponseCode::ServFail => "SERVFAIL".into(),
        ResponseCode::NXDomain => "NXDOMAIN".into(),
        ResponseCode::NotImp => "NOTIMP".into(),
        ResponseCode::Refused => "REFUSED".into(),
        other => format!("RCODE{}", u16::from(other)),
    }
}

fn render(message: &Message) -> Value {
    let answers: Vec<Value> = message
        .answers
        .iter()
        .map(|r| {
            let data = match &r.data {
                RData::TXT(txt) => Value::Array(
                    txt.txt_data
                        .iter()
                        .map(|s| Value::String(String::from_utf8_lossy(s).into_owned()))
                        .collect(),
                ),
                other => Value::String(other.to_string()),
            };
            json!({
                "name": r.name.to_string(),
                "type": r.record_type().to_string(),
                "ttl": r.ttl,
                "data": data,
            })
        })
        .collect();
    json!({
        "rcode": rcode(message.metadata.response_code),
        "authoritative": message.metadata.authoritative,
        "answers": answers,
    })
}
