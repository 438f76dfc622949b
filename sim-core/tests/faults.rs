//! Fault rules through real sockets: `/_sim/faults` and each action (respond, latency, drop,
//! hang) on a router served by `sim_core::http::serve`.
//!
//! covers: SIM-FAULT-1, SIM-FAULT-4, SIM-FAULT-5, SIM-FAULT-6, SIM-FAULT-7

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use serde_json::{Value, json};
use sim_core::Seed;
use sim_core::faults::{FAULT_HEADER, Faults};
use sim_core::http::{HttpServer, serve};
use sim_core::outbound::{Trust, client};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A safety net against hangs; only the hang test waits for part of it.
const SAFETY: Duration = Duration::from_secs(20);

struct Fixture {
    server: HttpServer,
    faults: Faults,
    http: reqwest::Client,
}

impl Fixture {
    async fn start() -> Fixture {
        let faults = Faults::new(Seed(3), "kiro");
        let router = faults.layer(
            Router::new()
                .route("/hello", get(|| async { "hello, world" }))
                .route("/t/{tenant}/scim/v2/Users", get(|| async { "users" }))
                .route("/_sim/clock", get(|| async { "clock" })),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let server = serve(listener, router, None).await.expect("serve");
        Fixture {
            server,
            faults,
            http: client(&Trust::default()).expect("client"),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    async fn add(&self, rule: Value) -> reqwest::Response {
        self.http
            .post(self.url("/_sim/faults"))
            .json(&rule)
            .send()
            .await
            .expect("post")
    }

    /// Sends a raw GET and reads until the server closes: the bytes it wrote.
    async fn raw_get(&self, path: &str) -> Vec<u8> {
        let mut stream = TcpStream::connect(self.server.local_addr())
            .await
            .expect("connect");
        let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n");
        stream.write_all(request.as_bytes()).await.expect("write");
        let mut out = Vec::new();
        tokio::time::timeout(SAFETY, stream.read_to_end(&mut out))
            .await
            .expect("the server closed the connection in time")
            .expect("read");
        out
    }
}

#[tokio::test]
async fn the_api_adds_lists_and_removes_rules() {
    let f = Fixture::start().await;
    let created = f
        .add(json!({"method":"GET","path":"/t/*/scim/v2/Users","times":2,
            "action":{"respond":{"status":429,"headers":{"Retry-After":"30"},
                                 "body":{"detail":"Too many requests"}}}}))
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.expect("json");
    assert_eq!(created["id"], "f1");
    assert_eq!(created["remaining"], 2);
    assert_eq!(created["hits"], 0);

    for _ in 0..2 {
        let hit = f
            .http
            .get(f.url("/t/abc/scim/v2/Users"))
            .send()
            .await
            .expect("get");
        assert_eq!(hit.status(), 429);
        assert_eq!(hit.headers()["retry-after"], "30");
        assert_eq!(hit.headers()[FAULT_HEADER], "f1");
        assert_eq!(hit.headers()["content-type"], "application/json");
        let body: Value = hit.json().await.expect("json");
        assert_eq!(body["detail"], "Too many requests");
    }
    let after = f
        .http
        .get(f.url("/t/abc/scim/v2/Users"))
        .send()
        .await
        .expect("get");
    assert_eq!(after.status(), 200, "the rule is spent after two hits");
    assert_eq!(after.text().await.expect("text"), "users");

    let list: Value = f
        .http
        .get(f.url("/_sim/faults"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(list["service"], "kiro");
    assert_eq!(list["rules"][0]["remaining"], 0);
    assert_eq!(list["rules"][0]["hits"], 2);

    // A catch-all rule never touches /_sim/.
    f.add(json!({"path":"/**","action":{"respond":{"status":500}}}))
        .await;
    let clock = f.http.get(f.url("/_sim/clock")).send().await.expect("get");
    assert_eq!(clock.status(), 200);
    let hello = f.http.get(f.url("/hello")).send().await.expect("get");
    assert_eq!(hello.status(), 500);

    let gone = f
        .http
        .delete(f.url("/_sim/faults/f2"))
        .send()
        .await
        .expect("delete");
    assert_eq!(gone.status(), 204);
    let again = f
        .http
        .delete(f.url("/_sim/faults/f2"))
        .send()
        .await
        .expect("delete");
    assert_eq!(again.status(), 404);
    let cleared: Value = f
        .http
        .delete(f.url("/_sim/faults"))
        .send()
        .await
        .expect("delete")
        .json()
        .await
        .expect("json");
    assert_eq!(cleared["removed"], 1);
    assert!(f.faults.list().rules.is_empty());
}

#[tokio::test]
async fn bad_rules_get_a_400_and_store_nothing() {
    let f = Fixture::start().await;
    for (body, needle) in [
        (json!({"path":"/a","action":"explode"}), "unknown variant"),
        (json!({"path":"a","action":"drop"}), "must start with `/`"),
        (json!({"path":"/a","action":"drop","times":0}), "`times`"),
        (
            json!({"path":"/a","action":"drop","probability":2}),
            "`probability`",
        ),
        (
            json!({"path":"/_sim/clock","action":"drop"}),
            "never faulted",
        ),
        (json!({"path":"/a","action":{"latency":"soon"}}), "soon"),
        (
            json!({"path":"/a","action":"drop","extra":1}),
            "unknown field",
        ),
    ] {
        let answer = f.add(body.clone()).await;
        assert_eq!(answer.status(), 400, "{body}");
        let error: Value = answer.json().await.expect("json");
        assert_eq!(error["error"], "invalid_fault");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(message.contains(needle), "{body}: {message}");
    }
    let not_json = f
        .http
        .post(f.url("/_sim/faults"))
        .body("{}")
        .send()
        .await
        .expect("post");
    assert_eq!(not_json.status(), 400);
    assert!(f.faults.list().rules.is_empty(), "nothing stored");
}

#[tokio::test]
async fn latency_delays_the_real_answer() {
    let f = Fixture::start().await;
    f.add(json!({"method":"GET","path":"/hello","times":1,"action":{"latency":"300ms"}}))
        .await;
    let started = Instant::now();
    let slow = f.http.get(f.url("/hello")).send().await.expect("get");
    let took = started.elapsed();
    assert_eq!(slow.status(), 200);
    assert_eq!(slow.headers()[FAULT_HEADER], "f1");
    assert_eq!(slow.text().await.expect("text"), "hello, world");
    assert!(took >= Duration::from_millis(300), "{took:?}");
    let started = Instant::now();
    f.http.get(f.url("/hello")).send().await.expect("get");
    assert!(started.elapsed() < Duration::from_millis(300), "spent");
}

#[tokio::test]
async fn drop_closes_the_connection_without_an_answer() {
    let f = Fixture::start().await;
    f.add(json!({"path":"/hello","times":1,"action":"drop"}))
        .await;
    assert!(f.raw_get("/hello").await.is_empty(), "no byte written");
    let error = f
        .http
        .get(f.url("/hello"))
        .send()
        .await
        .expect("the rule is spent");
    assert_eq!(error.status(), 200);
    // Through reqwest, a dropped connection is an error, not a status.
    f.add(json!({"path":"/hello","times":1,"action":"drop"}))
        .await;
    let failed = f.http.get(f.url("/hello")).send().await;
    assert!(failed.is_err(), "{failed:?}");
}

#[tokio::test]
async fn hang_ends_when_the_client_gives_up_or_the_rule_is_removed() {
    let f = Fixture::start().await;
    f.add(json!({"path":"/hello","action":"hang"})).await;
    // A client with a timeout gives up.
    let started = Instant::now();
    let timed_out = f
        .http
        .get(f.url("/hello"))
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .expect_err("no answer");
    assert!(timed_out.is_timeout(), "{timed_out:?}");
    assert!(started.elapsed() < SAFETY);
    // A hanging request is let go (connection closed, no answer) when its rule is removed.
    let raw = tokio::spawn({
        let addr = f.server.local_addr();
        async move {
            let mut stream = TcpStream::connect(addr).await.expect("connect");
            stream
                .write_all(b"GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
                .await
                .expect("write");
            let mut out = Vec::new();
            tokio::time::timeout(SAFETY, stream.read_to_end(&mut out))
                .await
                .expect("closed in time")
                .expect("read");
            out
        }
    });
    // Wait (bounded) until the request has reached the rule.
    let deadline = Instant::now() + SAFETY;
    while f.faults.list().rules[0].hits < 2 {
        assert!(Instant::now() < deadline, "the request never arrived");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!raw.is_finished(), "still hanging");
    f.faults.remove("f1");
    let out = raw.await.expect("task");
    assert!(out.is_empty(), "closed without an answer");
    let fine = f.http.get(f.url("/hello")).send().await.expect("get");
    assert_eq!(fine.status(), 200);
}

#[tokio::test]
async fn a_hang_ends_when_the_client_goes_away() {
    let f = Fixture::start().await;
    f.add(json!({"path":"/hello","action":"hang"})).await;
    {
        let mut stream = TcpStream::connect(f.server.local_addr())
            .await
            .expect("connect");
        stream
            .write_all(b"GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .await
            .expect("write");
        let deadline = Instant::now() + SAFETY;
        while f.faults.list().rules[0].hits < 1 {
            assert!(Instant::now() < deadline, "the request never arrived");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // The client goes away without an answer.
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Were the hang still holding its connection, the shutdown would wait out its grace.
    let started = Instant::now();
    let Fixture { server, faults, .. } = f;
    server.shutdown().await;
    let took = started.elapsed();
    assert!(
        took < sim_core::http::SHUTDOWN_GRACE,
        "the hung request outlived its client: shutdown took {took:?}"
    );
    assert_eq!(faults.list().rules.len(), 1, "the rule itself stays");
}
