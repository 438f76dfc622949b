//! Helpers shared by mock-dns's integration tests: start a world in-process, call its provider
//! API over HTTP with the bearer token, and move its virtual clock over HTTP.
//!
//! Each test file uses only part of this module, hence the `dead_code` allowance.
#![allow(dead_code)]

pub use sim_testkit::http::Reply;
use std::net::SocketAddr;

use mock_dns::{Config, MockDns};
use reqwest::Method;
use serde_json::{Value, json};
use sim_core::Seed;

/// The zone most tests work in.
pub const ZONE: &str = "example.com";

/// A running mock-dns (virtual clock, ports picked by the OS) and an HTTP client for it.
pub struct World {
    /// The service under test.
    pub dns: MockDns,
    /// The HTTP client every request goes through.
    pub http: reqwest::Client,
}

/// Starts mock-dns with the default config (seed 0, virtual clock, no zones, no delay).
pub async fn start() -> World {
    start_with(Config::default()).await
}

/// Starts mock-dns with the given seed and otherwise default config.
pub async fn start_seeded(seed: u64) -> World {
    start_with(Config {
        seed: Seed(seed),
        ..Config::default()
    })
    .await
}

/// Starts mock-dns with `config`.
pub async fn start_with(config: Config) -> World {
    let dns = MockDns::start(config).await.expect("mock-dns starts");
    World {
        dns,
        http: reqwest::Client::new(),
    }
}

impl World {
    /// Where DNS is served (UDP and TCP).
    pub fn dns_addr(&self) -> SocketAddr {
        self.dns.dns_addr()
    }

    /// The URL of a path of the API root (`/_sim/...`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.dns.api_url())
    }

    /// The URL of a path under `/client/v4`.
    pub fn v4(&self, path: &str) -> String {
        self.url(&format!("/client/v4{path}"))
    }

    /// Sends a request as built, and reads the whole answer.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        sim_testkit::http::read(request).await
    }

    /// A request under `/client/v4` with the right bearer token and, if given, a JSON body.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut request = self
            .http
            .request(method, self.v4(path))
            .bearer_auth(self.dns.api_token());
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    /// `GET /client/v4{path}`.
    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }

    /// `POST /client/v4{path}` with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(body)).await
    }

    /// `PUT /client/v4{path}` with a JSON body.
    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.call(Method::PUT, path, Some(body)).await
    }

    /// `PATCH /client/v4{path}` with a JSON body.
    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.call(Method::PATCH, path, Some(body)).await
    }

    /// `DELETE /client/v4{path}`.
    pub async fn delete(&self, path: &str) -> Reply {
        self.call(Method::DELETE, path, None).await
    }

    /// Creates a zone and returns its id.
    pub async fn create_zone(&self, name: &str) -> String {
        let reply = self.post("/zones", json!({ "name": name })).await;
        reply.result()["id"]
            .as_str()
            .expect("a zone id")
            .to_string()
    }

    /// Creates a record in a zone and returns it (the envelope's `result`).
    pub async fn create_record(&self, zone_id: &str, record: Value) -> Value {
        let reply = self
            .post(&format!("/zones/{zone_id}/dns_records"), record)
            .await;
        reply.result().clone()
    }

    /// Creates a TXT record and returns its id.
    pub async fn create_txt(&self, zone_id: &str, name: &str, content: &str) -> String {
        let record = self
            .create_record(
                zone_id,
                json!({ "type": "TXT", "name": name, "content": content, "ttl": 1 }),
            )
            .await;
        record["id"].as_str().expect("a record id").to_string()
    }

    /// Deletes a record, checking the answer is `{"id": record_id}`.
    pub async fn delete_record(&self, zone_id: &str, record_id: &str) {
        let reply = self
            .delete(&format!("/zones/{zone_id}/dns_records/{record_id}"))
            .await;
        assert_eq!(reply.result(), &json!({ "id": record_id }));
    }

    /// The whole body of the zone's record list (for before/after comparisons).
    pub async fn records_body(&self, zone_id: &str) -> Value {
        let reply = self.get(&format!("/zones/{zone_id}/dns_records")).await;
        reply.result();
        reply.body
    }

    /// Moves the virtual clock forward over HTTP (`POST /_sim/clock/advance {"by": by}`); the
    /// propagation jobs that fall due run before this returns. Returns the clock's state.
    pub async fn advance(&self, by: &str) -> Value {
        let reply = self
            .send(
                self.http
                    .post(self.url("/_sim/clock/advance"))
                    .json(&json!({ "by": by })),
            )
            .await;
        assert_eq!(reply.status, 200, "advance by {by}: {reply:?}");
        reply.body
    }

    /// Sets the propagation delay over HTTP (`PUT /_sim/dns/propagation {"delay": delay}`).
    pub async fn set_delay(&self, delay: &str) -> Value {
        let reply = self
            .send(
                self.http
                    .put(self.url("/_sim/dns/propagation"))
                    .json(&json!({ "delay": delay })),
            )
            .await;
        assert_eq!(reply.status, 200, "set delay {delay}: {reply:?}");
        assert_eq!(reply.body["delay"], json!(delay), "{reply:?}");
        reply.body
    }

    /// `GET /_sim/dns/propagation`.
    pub async fn propagation(&self) -> Value {
        let reply = self
            .send(self.http.get(self.url("/_sim/dns/propagation")))
            .await;
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.body
    }

    /// Jobs waiting on the world clock (publications to come).
    pub async fn pending_jobs(&self) -> Value {
        let reply = self.send(self.http.get(self.url("/_sim/clock"))).await;
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.body["pending_jobs"].clone()
    }
}
