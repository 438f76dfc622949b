//! The DNS wire layer: a hickory-server request handler over the domain core.
//!
//! hickory parses and writes every DNS message (UDP and TCP framing, EDNS); this module maps a
//! parsed question to [`DnsCore::resolve`](crate::core::DnsCore::resolve) and the core's
//! [`Answer`] back to resource records. Malformed packets are dropped or answered FORMERR by
//! hickory and never reach the core.
//!
//! Truncation is decided here (DNS-4): hickory's encoder stops at the transport's size but
//! leaves the bytes of the record that did not fit after the counted ones, so a datagram came
//! out with garbage at its end. An answer that does not fit (512 bytes over UDP without EDNS,
//! the advertised payload with it, 64 KiB over TCP) is sent instead with no records and TC
//! set, never a partial RRset (RFC 2181 section 9), and the client retries over TCP.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hickory_server::Server;
use hickory_server::net::runtime::Time;
use hickory_server::net::xfer::Protocol;
use hickory_server::proto::op::{
    Edns, Header, HeaderCounts, MessageType, Metadata, OpCode, ResponseCode,
};
use hickory_server::proto::rr::rdata::{A, AAAA, CNAME, NS, SOA, TXT};
use hickory_server::proto::rr::{DNSClass, Name, RData as WireData, Record, RecordType};
use hickory_server::proto::serialize::binary::BinEncoder;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponseBuilder;

use crate::core::{Answer, QueryType, RData, Rcode, Rr};
use crate::{DnsSockets, Shared, StartError};

/// How long an idle TCP connection is kept.
const TCP_TIMEOUT: Duration = Duration::from_secs(10);
/// Per-connection buffer of outgoing TCP responses.
const TCP_RESPONSE_BUFFER: usize = 64;

/// Binds UDP and TCP on one port (or takes duplicates of `sockets`, already bound) and serves
/// DNS on both. Returns the task and the address.
pub(crate) async fn spawn(
    shared: Arc<Shared>,
    addr: SocketAddr,
    sockets: Option<DnsSockets>,
) -> Result<(tokio::task::JoinHandle<()>, SocketAddr), StartError> {
    let bind_err = |source| StartError::Bind {
        what: "the DNS server",
        addr,
        source,
    };
    let (udp, tcp, local) = match sockets {
        Some(sockets) => adopt(&sockets).map_err(bind_err)?,
        None => DnsSockets::bind(addr)
            .and_then(|sockets| adopt(&sockets))
            .map_err(bind_err)?,
    };
    let mut server = Server::new(DnsHandler { shared });
    server.register_socket(udp);
    server.register_listener(tcp, TCP_TIMEOUT, TCP_RESPONSE_BUFFER);
    let task = tokio::spawn(async move {
        if let Err(error) = server.block_until_done().await {
            tracing::error!(%error, "dns server stopped");
        }
    });
    Ok((task, local))
}

/// Tokio sockets on duplicates of `sockets`' descriptors (the originals stay bound).
fn adopt(
    sockets: &DnsSockets,
) -> std::io::Result<(tokio::net::UdpSocket, tokio::net::TcpListener, SocketAddr)> {
    let udp = sockets.udp.try_clone()?;
    udp.set_nonblocking(true)?;
    let tcp = sockets.tcp.try_clone()?;
    tcp.set_nonblocking(true)?;
    let local = udp.local_addr()?;
    Ok((
        tokio::net::UdpSocket::from_std(udp)?,
        tokio::net::TcpListener::from_std(tcp)?,
        local,
    ))
}

/// How many ports to try when the OS picks the port and TCP finds it taken
/// ([`DnsSockets::bind`]).
pub(crate) const BIND_ATTEMPTS: usize = 16;

/// Answers DNS requests from the published view of the core.
struct DnsHandler {
    shared: Arc<Shared>,
}

#[async_trait::async_trait]
impl RequestHandler for DnsHandler {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        let response_edns = request.edns.as_ref().map(|req| {
            let mut edns = Edns::new();
            edns.set_max_payload(req.max_payload().max(512));
            edns.set_version(0);
            edns
        });
        let builder = MessageResponseBuilder::new(&request.queries, response_edns.as_ref());
        let mut metadata = Metadata::response_from_request(&request.metadata);

        let refusal = if request.metadata.message_type != MessageType::Query {
            Some(ResponseCode::FormErr)
        } else if request.metadata.op_code != OpCode::Query {
            Some(ResponseCode::NotImp)
        } else {
            None
        };
        let info = match (refusal, request.request_info()) {
            (None, Ok(info)) => info,
            (refusal, _) => {
                metadata.response_code = refusal.unwrap_or(ResponseCode::FormErr);
                let response = builder.build_no_records(metadata);
                return send(&mut response_handle, response, &request.metadata).await;
            }
        };
        if info.query.query_class() != DNSClass::IN {
            metadata.response_code = ResponseCode::Refused;
            let response = builder.build_no_records(metadata);
            return send(&mut response_handle, response, &request.metadata).await;
        }

        let qname = info.query.name().to_string();
        let answer = self
            .shared
            .core
            .read()
            .resolve(&qname, query_type(info.query.query_type()));
        tracing::trace!(%qname, qtype = %info.query.query_type(), rcode = ?answer.rcode, "dns query");

        let Answer {
            rcode,
            answers,
            authority,
        } = answer;
        metadata.authoritative = rcode != Rcode::Refused;
        metadata.response_code = match rcode {
            Rcode::NoError => ResponseCode::NoError,
            Rcode::NxDomain => ResponseCode::NXDomain,
            Rcode::Refused => ResponseCode::Refused,
        };
        let answers: Vec<Record> = answers.iter().filter_map(wire_record).collect();
        let soa: Vec<Record> = authority.iter().filter_map(wire_record).collect();
        let limit = size_limit(request.protocol(), response_edns.as_ref());
        let full = MessageResponseBuilder::new(&request.queries, response_edns.as_ref()).build(
            metadata,
            answers.iter(),
            std::iter::empty(),
            soa.iter(),
            std::iter::empty(),
        );
        if !fits(full, limit) {
            tracing::debug!(%qname, limit, "dns answer truncated");
            metadata.truncation = true;
            let response = builder.build_no_records(metadata);
            return send(&mut response_handle, response, &request.metadata).await;
        }
        let response = builder.build(
            metadata,
            answers.iter(),
            std::iter::empty(),
            soa.iter(),
            std::iter::empty(),
        );
        send(&mut response_handle, response, &request.metadata).await
    }
}

/// The largest message the transport takes: over UDP 512 bytes without EDNS (RFC 1035
/// section 4.2.1), the advertised payload with it (RFC 6891 section 6.2.5, never below 512);
/// over TCP the 16-bit frame length.
fn size_limit(protocol: Protocol, edns: Option<&Edns>) -> usize {
    match protocol {
        Protocol::Udp => edns.map_or(512, |e| usize::from(e.max_payload().max(512))),
        _ => usize::from(u16::MAX),
    }
}

/// Whether `response` encodes, whole, in at most `limit` bytes.
fn fits<'a>(
    response: hickory_server::zone_handler::MessageResponse<
        '_,
        'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
    >,
    limit: usize,
) -> bool {
    let mut bytes = Vec::with_capacity(512);
    let mut encoder = BinEncoder::new(&mut bytes);
    encoder.set_max_size(u16::MAX);
    match response.destructive_emit(&mut encoder) {
        Ok(info) => !info.truncation && bytes.len() <= limit,
        Err(_) => false,
    }
}

/// Sends a response; a failure to send is logged and reported as SERVFAIL.
async fn send<'a, R: ResponseHandler>(
    handle: &mut R,
    response: hickory_server::zone_handler::MessageResponse<
        '_,
        'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
    >,
    request: &Metadata,
) -> ResponseInfo {
    match handle.send_response(response).await {
        Ok(info) => info,
        Err(error) => {
            tracing::warn!(%error, "failed to send a dns response");
            let mut metadata = Metadata::response_from_request(request);
            metadata.response_code = ResponseCode::ServFail;
            ResponseInfo::from(Header {
                metadata,
                counts: HeaderCounts::default(),
            })
        }
    }
}

fn query_type(wire: RecordType) -> QueryType {
    match wire {
        RecordType::A => QueryType::A,
        RecordType::AAAA => QueryType::Aaaa,
        RecordType::CNAME => QueryType::Cname,
        RecordType::TXT => QueryType::Txt,
        RecordType::SOA => QueryType::Soa,
        RecordType::NS => QueryType::Ns,
        RecordType::ANY => QueryType::Any,
        other => QueryType::Other(u16::from(other)),
    }
}

/// Converts a core resource record to hickory's. Names were validated on the way in, so a
/// failure here is a bug; it is logged and the record skipped rather than crashing a query.
fn wire_record(rr: &Rr) -> Option<Record> {
    let name = wire_name(&rr.name)?;
    let data = match &rr.data {
        RData::A(ip) => WireData::A(A(*ip)),
        RData::Aaaa(ip) => WireData::AAAA(AAAA(*ip)),
        RData::Cname(target) => WireData::CNAME(CNAME(wire_name(target)?)),
        RData::Ns(host) => WireData::NS(NS(wire_name(host)?)),
        RData::Txt(strings) => {
            WireData::TXT(TXT::from_bytes(strings.iter().map(Vec::as_slice).collect()))
        }
        RData::Soa(soa) => WireData::SOA(SOA::new(
            wire_name(&soa.mname)?,
            wire_name(&soa.rname)?,
            soa.serial,
            soa.refresh,
            soa.retry,
            soa.expire,
            soa.minimum,
        )),
    };
    Some(Record::from_rdata(name, rr.ttl, data))
}

fn wire_name(name: &str) -> Option<Name> {
    match Name::from_ascii(format!("{name}.")) {
        Ok(name) => Some(name),
        Err(error) => {
            tracing::error!(%name, %error, "unencodable name in a dns answer");
            None
        }
    }
}

/// Answers one DNS message as the server does (the fuzzing hook behind
/// [`crate::MockDns::answer_message`]): hickory parses it exactly as for a received packet,
/// then [`DnsHandler`] answers; the answer is encoded as it would be sent. `None` when the
/// server sends nothing back (a message hickory cannot parse, or a response).
pub(crate) async fn answer_message(
    shared: Arc<Shared>,
    message: &[u8],
    over_tcp: bool,
) -> Option<Vec<u8>> {
    let protocol = if over_tcp {
        Protocol::Tcp
    } else {
        Protocol::Udp
    };
    let source = SocketAddr::from(([127, 0, 0, 1], 53000));
    let request = Request::from_bytes(message.to_vec(), source, protocol).ok()?;
    if request.metadata.message_type == MessageType::Response {
        return None;
    }
    let capture = Capture::default();
    DnsHandler { shared }
        .handle_request::<_, hickory_server::net::runtime::TokioTime>(&request, capture.clone())
        .await;
    let bytes = std::mem::take(&mut *capture.0.lock());
    Some(bytes)
}

/// A response handler that keeps the encoded answer instead of sending it.
#[derive(Clone, Default)]
struct Capture(Arc<parking_lot::Mutex<Vec<u8>>>);

#[async_trait::async_trait]
impl ResponseHandler for Capture {
    async fn send_response<'a>(
        &mut self,
        response: hickory_server::zone_handler::MessageResponse<
            '_,
            'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
        >,
    ) -> Result<ResponseInfo, hickory_server::net::NetError> {
        let mut bytes = Vec::with_capacity(512);
        let mut encoder = BinEncoder::new(&mut bytes);
        encoder.set_max_size(u16::MAX);
        let info = response.destructive_emit(&mut encoder)?;
        *self.0.lock() = bytes;
        Ok(info)
    }
}
