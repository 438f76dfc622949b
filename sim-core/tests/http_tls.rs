//! Serving routers over http and https with a world CA, and the `/_sim/clock` routes.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use axum::routing::get;
use rustls::pki_types::ServerName;
use serde_json::{Value, json};
use sim_core::Clock;
use sim_core::http::{HttpServer, clock_routes, serve};
use sim_core::tls::WorldCa;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot};
use tokio_rustls::TlsConnector;
use tower::ServiceExt;

/// A safety net against hangs; nothing here waits for it to pass.
const HANG: Duration = Duration::from_secs(10);

const GET_HELLO: &[u8] = b"GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

fn hello_router() -> Router {
    Router::new().route("/hello", get(|| async { "hello, world" }))
}

async fn listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").await.expect("bind")
}

/// Sends `request` and reads the whole response (the server closes the connection).
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, request: &[u8]) -> String {
    stream.write_all(request).await.expect("write request");
    let mut response = Vec::new();
    tokio::time::timeout(HANG, stream.read_to_end(&mut response))
        .await
        .expect("response within the hang limit")
        .expect("read response");
    String::from_utf8(response).expect("utf-8 response")
}

async fn tls_connect(
    server: &HttpServer,
    ca: &WorldCa,
    name: &'static str,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(server.local_addr()).await?;
    let connector = TlsConnector::from(ca.client_config().expect("client config"));
    let name = ServerName::try_from(name).expect("server name");
    connector.connect(name, tcp).await
}

#[tokio::test]
async fn https_with_the_world_ca() {
    let ca = WorldCa::new("test world CA").expect("CA");
    let tls = ca
        .server_config(&["localhost", "127.0.0.1"])
        .expect("server config");
    let server = serve(listener().await, hello_router(), Some(tls))
        .await
        .expect("serve");
    assert!(server.is_tls());
    assert_eq!(
        server.url(),
        format!("https://localhost:{}", server.local_addr().port())
    );

    // By name and by IP address: both are in the certificate.
    for name in ["localhost", "127.0.0.1"] {
        let stream = tls_connect(&server, &ca, name).await.expect("handshake");
        let alpn = stream.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
        assert_eq!(alpn, Some(b"http/1.1".to_vec()));
        let response = exchange(stream, GET_HELLO).await;
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        assert!(response.ends_with("\r\n\r\nhello, world"), "{response}");
    }

    server.shutdown().await;
}

#[tokio::test]
async fn a_client_trusting_another_ca_fails_the_handshake_and_the_server_carries_on() {
    let ca = WorldCa::new("test world CA").expect("CA");
    let other = WorldCa::new("some other CA").expect("other CA");
    let tls = ca.server_config(&["localhost"]).expect("server config");
    let server = serve(listener().await, hello_router(), Some(tls))
        .await
        .expect("serve");

    let error = tls_connect(&server, &other, "localhost")
        .await
        .expect_err("handshake must fail");
    assert!(
        error.to_string().contains("invalid peer certificate"),
        "{error}"
    );

    // A name the certificate does not cover fails too, even with the right CA.
    let error = tls_connect(&server, &ca, "example.com")
        .await
        .expect_err("wrong name must fail");
    assert!(error.to_string().contains("not valid for name"), "{error}");

    // The failed handshakes did not end the accept loop.
    let stream = tls_connect(&server, &ca, "localhost")
        .await
        .expect("handshake");
    let response = exchange(stream, GET_HELLO).await;
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");

    server.shutdown().await;
}

#[tokio::test]
async fn plain_http_serves_and_shuts_down() {
    let server = serve(listener().await, hello_router(), None)
        .await
        .expect("serve");
    let addr = server.local_addr();
    assert!(!server.is_tls());
    assert_eq!(server.url(), format!("http://127.0.0.1:{}", addr.port()));

    let stream = TcpStream::connect(addr).await.expect("connect");
    let response = exchange(stream, GET_HELLO).await;
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with("hello, world"), "{response}");

    tokio::time::timeout(HANG, server.shutdown())
        .await
        .expect("shutdown completes");
    let refused = TcpStream::connect(addr).await;
    assert!(refused.is_err(), "the listener is closed after shutdown");
}

#[tokio::test]
async fn shutdown_lets_an_in_flight_request_finish() {
    let started = Arc::new(Notify::new());
    let release = Arc::new(Notify::new());
    let router = {
        let (started, release) = (started.clone(), release.clone());
        Router::new().route(
            "/slow",
            get(move || async move {
                started.notify_one();
                release.notified().await;
                "finished"
            }),
        )
    };
    let server = serve(listener().await, router, None).await.expect("serve");
    let addr = server.local_addr();

    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .expect("write");
    tokio::time::timeout(HANG, started.notified())
        .await
        .expect("handler started");

    let (done_tx, mut done_rx) = oneshot::channel();
    tokio::spawn(async move {
        server.shutdown().await;
        let _ = done_tx.send(());
    });
    // Shutdown waits for the in-flight request...
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    assert!(
        done_rx.try_recv().is_err(),
        "shutdown waited for the request"
    );

    // ...which then completes normally, and the connection is closed after it even though
    // the client did not ask for that (keep-alive ends with the shutdown).
    release.notify_one();
    let mut response = Vec::new();
    tokio::time::timeout(HANG, stream.read_to_end(&mut response))
        .await
        .expect("response within the hang limit")
        .expect("read");
    let response = String::from_utf8(response).expect("utf-8");
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with("finished"), "{response}");
    tokio::time::timeout(HANG, done_rx)
        .await
        .expect("shutdown completes")
        .expect("shutdown task ran");
}

#[tokio::test]
async fn dropping_the_server_stops_the_accept_loop() {
    let server = serve(listener().await, hello_router(), None)
        .await
        .expect("serve");
    let addr = server.local_addr();
    drop(server);
    // The loop notices on its next turn; poll (without sleeping) until the port is closed.
    tokio::time::timeout(HANG, async {
        while TcpStream::connect(addr).await.is_ok() {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("listener closed after drop");
}

// ---------------------------------------------------------------------------------------------
// Clock routes.

async fn call(router: &Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("JSON body")
    };
    (status, body)
}

fn get_clock() -> Request<Body> {
    Request::get("/_sim/clock")
        .body(Body::empty())
        .expect("request")
}

fn advance(content_type: Option<&str>, body: &str) -> Request<Body> {
    let mut request = Request::post("/_sim/clock/advance");
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    request.body(Body::from(body.to_string())).expect("request")
}

#[tokio::test]
async fn get_clock_reports_mode_time_and_pending_jobs() {
    let clock = Clock::new_virtual();
    let router = clock_routes(clock.clone());

    let (status, body) = call(&router, get_clock()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({
            "mode": "virtual",
            "now": "2026-01-01T00:00:00.000Z",
            "unix_ms": 1_767_225_600_000_i64,
            "pending_jobs": 0,
            "pending": [],
            "in_flight_jobs": 0,
        })
    );

    clock.schedule_in(Duration::from_secs(3600), |_| async {});
    clock.schedule_labelled(
        clock.now() + Duration::from_secs(600),
        "domain check of the pending domains",
        |_| async {},
    );
    let (_, body) = call(&router, get_clock()).await;
    assert_eq!(body["pending_jobs"], 2);
    // What each will do, in the order they run (SIM-HOME-2).
    assert_eq!(
        body["pending"],
        json!([
            { "due": "2026-01-01T00:10:00.000Z", "label": "domain check of the pending domains" },
            { "due": "2026-01-01T01:00:00.000Z", "label": "a scheduled job" },
        ])
    );
}

#[tokio::test]
async fn advance_moves_the_clock_and_runs_due_jobs() {
    let clock = Clock::new_virtual();
    let router = clock_routes(clock.clone());
    let (ran_tx, mut ran_rx) = oneshot::channel();
    clock.schedule_in(Duration::from_secs(3600), move |_| async move {
        let _ = ran_tx.send(());
    });

    let (status, body) = call(
        &router,
        advance(Some("application/json"), r#"{"by":"24h"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({
            "mode": "virtual",
            "now": "2026-01-02T00:00:00.000Z",
            "unix_ms": 1_767_312_000_000_i64,
            "pending_jobs": 0,
            "pending": [],
            "in_flight_jobs": 0,
            "incidents": [],
        })
    );
    assert!(ran_rx.try_recv().is_ok(), "the job due in 1 h ran");

    let (status, body) = call(
        &router,
        advance(
            Some("application/json; charset=utf-8"),
            r#"{"by":"1h 30m"}"#,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["now"], "2026-01-02T01:30:00.000Z");
    assert_eq!(
        humantime::format_rfc3339_millis(clock.now()).to_string(),
        "2026-01-02T01:30:00.000Z"
    );
}

#[tokio::test]
async fn bad_advance_requests_are_400_and_leave_the_clock_alone() {
    let clock = Clock::new_virtual();
    let before = clock.now();
    let router = clock_routes(clock.clone());
    let json = Some("application/json");

    let cases = [
        (json, "{not json", "not valid JSON"),
        (json, "", "empty"),
        (json, "{}", "`by`"),
        (json, r#"{"by":3600}"#, "expected a JSON object"),
        (json, r#"{"by":"soon"}"#, "`soon`"),
        (json, r#"{"by":"-5s"}"#, "not a duration"),
        (json, r#"{"by":"100000000years"}"#, "9999"),
        (Some("text/plain"), r#"{"by":"1h"}"#, "Content-Type"),
        (None, r#"{"by":"1h"}"#, "Content-Type"),
    ];
    for (content_type, body, expected) in cases {
        let (status, answer) = call(&router, advance(content_type, body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body:?}: {answer}");
        assert_eq!(answer["error"], "invalid_request", "{body:?}: {answer}");
        let message = answer["message"].as_str().expect("message is a string");
        assert!(
            message.contains(expected),
            "{body:?}: message {message:?} should mention {expected:?}"
        );
    }
    assert_eq!(clock.now(), before);
}

#[tokio::test]
async fn other_methods_on_the_clock_routes_are_405() {
    let router = clock_routes(Clock::new_virtual());
    let request = |method: Method, uri: &str| {
        Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::empty())
            .expect("request")
    };
    let (status, _) = call(&router, request(Method::POST, "/_sim/clock")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let (status, _) = call(&router, request(Method::GET, "/_sim/clock/advance")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}
