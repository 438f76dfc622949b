//! What the fuzz targets share: a Kiro core with a profile, users and a group to run SCIM
//! calls against, and [`Api`], one service's router held in-process (no socket) and driven by
//! a current-thread tokio runtime built once per fuzz process.
//!
//! The API targets read their input as [`Call`]: a route chosen from a fixed list (so the
//! fuzzer never names a route that makes outbound calls: provisioning connections, profile
//! creation, `/_sim/…` state imports), ids substituted into its path, a query string and a
//! body. Every few thousand calls the service's state is put back to where it started, so
//! iterations stay fast and independent.

use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, header};
use mock_kiro::core::Kiro;
use mock_kiro::core::console::Discovery;
use serde_json::{Value, json};
use sim_core::Seed;
use tower::ServiceExt;

/// The world time every core target runs at (2026-01-01).
pub fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600)
}

/// A Kiro core with one profile (issuer `https://idp.test`), two SCIM users (`ada@example.com`
/// with externalId `00u1`, `bob@example.com`) and a group `Engineers` holding Ada.
pub struct KiroFixture {
    /// The core.
    pub kiro: Kiro,
    /// The profile's id.
    pub profile: String,
    /// The profile's tenant id (the SCIM base path).
    pub tenant: String,
    /// Ada's SCIM id.
    pub ada: String,
    /// Bob's SCIM id.
    pub bob: String,
    /// The group's SCIM id.
    pub group: String,
    /// A SCIM access token of the profile.
    pub scim_token: String,
}

/// Builds the [`KiroFixture`]; panics only on a broken fixture (a bug of this crate).
pub fn kiro_fixture() -> KiroFixture {
    let at = now();
    let mut kiro = Kiro::new(Seed(7));
    let profile = kiro
        .create_profile(
            at,
            "Fuzz",
            "https://idp.test",
            "0oafuzz",
            Discovery {
                // Nothing listens there: a JWKS fetch fails at once, on the loopback.
                jwks_uri: "http://127.0.0.1:9/keys".into(),
                authorization_endpoint: "http://127.0.0.1:9/authorize".into(),
                token_endpoint: "http://127.0.0.1:9/token".into(),
            },
        )
        .expect("fixture profile");
    let (_, scim_token) = kiro
        .generate_scim_token(at, &profile.id)
        .expect("fixture token");
    let user = |name: &str, external: Option<&str>| {
        let mut body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": name,
            "displayName": name,
            "name": { "givenName": "Given", "familyName": "Family" },
            "emails": [{ "value": name, "type": "work", "primary": true }],
            "active": true,
        });
        if let Some(external) = external {
            body["externalId"] = json!(external);
        }
        mock_kiro::core::scim::user_attrs_from_json(&body).expect("fixture user")
    };
    let ada = kiro
        .create_user(at, &profile.id, user("ada@example.com", Some("00u1")))
        .expect("fixture ada")
        .id;
    let bob = kiro
        .create_user(at, &profile.id, user("bob@example.com", None))
        .expect("fixture bob")
        .id;
    let group = kiro
        .create_group(at, &profile.id, "Engineers", None, vec![ada.clone()])
        .expect("fixture group")
        .id;
    KiroFixture {
        kiro,
        tenant: profile.tenant_id.clone(),
        profile: profile.id,
        ada,
        bob,
        group,
        scim_token,
    }
}

/// One HTTP call decoded from fuzz input: `[route, flags, ...query '\n' ...body]`.
pub struct Call<'a> {
    /// Index into the target's route list (taken modulo its length).
    pub route: usize,
    /// Bit 0: send the body as `application/x-www-form-urlencoded` instead of JSON;
    /// bit 1: leave the credentials out; bits 2..: which fixture id goes into `{id}`.
    pub flags: u8,
    /// The query string (without `?`), percent-encoded as needed.
    pub query: String,
    /// The request body.
    pub body: &'a [u8],
}

impl<'a> Call<'a> {
    /// Decodes `data`; `None` when it is too short to name a route.
    pub fn decode(data: &'a [u8]) -> Option<Call<'a>> {
        let (&route, rest) = data.split_first()?;
        let (&flags, rest) = rest.split_first()?;
        let (query, body) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (&[][..], rest),
        };
        let query: String = String::from_utf8_lossy(query)
            .chars()
            .filter(|c| c.is_ascii_graphic())
            .collect();
        Some(Call {
            route: usize::from(route),
            flags,
            query,
            body,
        })
    }

    /// Encodes a call (for seeds): the inverse of [`Call::decode`].
    pub fn encode(route: usize, flags: u8, query: &str, body: &[u8]) -> Vec<u8> {
        let mut out = vec![u8::try_from(route).unwrap_or(u8::MAX), flags];
        out.extend_from_slice(query.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(body);
        out
    }
}

/// A service's router in-process, with the runtime that drives it.
pub struct Api {
    runtime: tokio::runtime::Runtime,
    router: Router,
    /// The `Authorization` header value sent unless a call leaves it out.
    pub authorization: String,
    calls: u64,
}

/// How many calls pass between two resets of the service's state.
pub const RESET_EVERY: u64 = 2_000;

impl Api {
    /// Holds `router` (with `runtime`, which started the service).
    pub fn new(runtime: tokio::runtime::Runtime, router: Router, authorization: String) -> Api {
        Api {
            runtime,
            router,
            authorization,
            calls: 0,
        }
    }

    /// Runs a future on the runtime.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// Whether the caller should reset the service's state before this call (every
    /// [`RESET_EVERY`] calls).
    pub fn due_for_reset(&mut self) -> bool {
        self.calls += 1;
        self.calls.is_multiple_of(RESET_EVERY)
    }

    /// Sends one request (with [`Api::authorization`] when `authorized`) and reads the whole
    /// response; returns the status and the body.
    pub fn send(
        &self,
        method: Method,
        uri: &str,
        form: bool,
        authorized: bool,
        body: &[u8],
    ) -> (u16, Vec<u8>) {
        let authorization = authorized.then_some(self.authorization.as_str());
        self.send_as(method, uri, form, authorization, body)
    }

    /// [`Api::send`] with this `Authorization` header, or none.
    pub fn send_as(
        &self,
        method: Method,
        uri: &str,
        form: bool,
        authorization: Option<&str>,
        body: &[u8],
    ) -> (u16, Vec<u8>) {
        let mut request = Request::builder().method(method).uri(uri).header(
            header::CONTENT_TYPE,
            if form {
                "application/x-www-form-urlencoded"
            } else {
                "application/json"
            },
        );
        if let Some(authorization) = authorization {
            request = request.header(header::AUTHORIZATION, authorization);
        }
        let Ok(request) = request.body(Body::from(body.to_vec())) else {
            return (0, Vec::new());
        };
        self.runtime.block_on(async {
            let response = match self.router.clone().oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            let status = response.status().as_u16();
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .map(|b| b.to_vec())
                .unwrap_or_default();
            (status, bytes)
        })
    }

    /// [`Api::send`] with `path?query` built from a route template: `{id}` is replaced by
    /// `ids[flags >> 2 % len]`, other `{name}`s by `ids` entries named in `named`.
    pub fn call(&self, routes: &[Route], ids: &Ids, call: &Call<'_>) -> (u16, Vec<u8>) {
        let Route { method, path, .. } = &routes[call.route % routes.len()];
        let mut path = ids.fill(path, usize::from(call.flags >> 2));
        if !call.query.is_empty() {
            path.push('?');
            path.push_str(&call.query);
        }
        let status = self.send(
            method.clone(),
            &path,
            call.flags & 1 == 1,
            call.flags & 2 == 0,
            call.body,
        );
        // A server error is a bug: bad input gets a 4xx in the API's own format.
        assert!(
            status.0 < 500 || status.0 == 503,
            "{method} {path} answered {}: {}",
            status.0,
            String::from_utf8_lossy(&status.1)
        );
        status
    }
}

/// One line of a route file (`fuzz/routes/*.txt`): `METHOD PATH [AUTH]`.
#[derive(Clone, Debug)]
pub struct Route {
    /// The method.
    pub method: Method,
    /// The path template.
    pub path: String,
    /// Whose credentials it takes (the kiro routes), else empty.
    pub auth: String,
}

/// The routes of a route file: one per line that is neither blank nor a `#` comment.
pub fn routes(text: &str) -> Vec<Route> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let mut words = line.split_whitespace();
            let method = words.next().unwrap_or("GET");
            Route {
                method: Method::from_bytes(method.as_bytes()).expect("a method"),
                path: words.next().unwrap_or("/").to_string(),
                auth: words.next().unwrap_or_default().to_string(),
            }
        })
        .collect()
}

/// The ids a target's route templates name: `{name}` → value; `{id}` → one of `any`.
#[derive(Default)]
pub struct Ids {
    /// Named placeholders.
    pub named: Vec<(&'static str, String)>,
    /// Candidates for `{id}` (one is picked by the call's flags).
    pub any: Vec<String>,
}

impl Ids {
    /// `template` with its placeholders filled.
    pub fn fill(&self, template: &str, pick: usize) -> String {
        let mut out = template.to_string();
        for (name, value) in &self.named {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        if !self.any.is_empty() {
            out = out.replace("{id}", &self.any[pick % self.any.len()]);
        }
        out
    }
}

/// A JSON value's string field, for ids read back from a setup response.
pub fn field(body: &[u8], name: &str) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.pointer(name).and_then(Value::as_str).map(str::to_string))
        .unwrap_or_default()
}

/// A current-thread runtime with I/O and timers, built once per process.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// A slot for a service's router: nothing listens on its URL (the fuzz targets call the
/// router directly).
pub fn slot() -> sim_core::http::Mount {
    sim_core::http::Mount::new(
        "http://127.0.0.1:9".into(),
        std::net::SocketAddr::from(([127, 0, 0, 1], 9)),
        false,
    )
}

pub mod dns {
    //! mock-dns with the zone `example.com` and a few records, its API router in-process and
    //! its query handler reachable without a socket.

    use std::time::Duration;

    use axum::http::Method;
    use mock_dns::MockDns;
    use serde_json::json;

    use crate::{Api, Ids, field, runtime, slot};

    /// The running mock-dns, its API and the ids of its zone and records.
    pub struct Fixture {
        /// The service.
        pub dns: MockDns,
        /// Its API router.
        pub api: Api,
        /// `{zone}` and record ids.
        pub ids: Ids,
        /// The state to go back to.
        pub initial: Vec<u8>,
    }

    impl Fixture {
        /// Starts mock-dns (its DNS server bound to a free loopback port, its API in a slot) and
        /// adds the records through the API; panics only on a broken fixture.
        pub fn start() -> Fixture {
            let runtime = runtime();
            let mount = slot();
            let config = mock_dns::Config {
                zones: vec!["example.com".into()],
                api_mount: Some(mount.clone()),
                ..mock_dns::Config::default()
            };
            let clock = config.clock.clone();
            let dns = runtime
                .block_on(MockDns::start(config))
                .expect("mock-dns starts");
            let router = mount.current().expect("mounted");
            let api = Api::new(runtime, router, format!("Bearer {}", dns.api_token()));
            let (_, zones) = api.send(
                Method::GET,
                "/client/v4/zones?name=example.com",
                false,
                true,
                b"",
            );
            let zone = field(&zones, "/result/0/id");
            assert!(!zone.is_empty(), "no zone id");
            let mut ids = Ids {
                named: vec![("zone", zone.clone())],
                any: Vec::new(),
            };
            for record in [
                json!({"type": "A", "name": "www", "content": "192.0.2.1", "ttl": 300}),
                json!({"type": "AAAA", "name": "www", "content": "2001:db8::1", "ttl": 300}),
                json!({"type": "TXT", "name": "_kiro", "content": "kiro-verification=abc", "ttl": 60}),
                json!({"type": "CNAME", "name": "docs", "content": "www.example.com", "ttl": 300}),
                json!({"type": "CNAME", "name": "alias", "content": "docs.example.com", "ttl": 300}),
                json!({"type": "A", "name": "a.b.deep", "content": "192.0.2.2", "ttl": 300}),
            ] {
                let (status, body) = api.send(
                    Method::POST,
                    &format!("/client/v4/zones/{zone}/dns_records"),
                    false,
                    true,
                    record.to_string().as_bytes(),
                );
                assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
                ids.any.push(field(&body, "/result/id"));
            }
            api.block_on(clock.advance(Duration::ZERO));
            let initial = dns.export_state();
            Fixture {
                dns,
                api,
                ids,
                initial,
            }
        }

        /// The handler's answer to a raw message; see [`MockDns::answer_message`].
        pub fn answer(&self, message: &[u8], over_tcp: bool) -> Option<Vec<u8>> {
            self.api
                .block_on(self.dns.answer_message(message, over_tcp))
        }

        /// Puts the state back to the fixture's.
        pub fn reset(&self) {
            self.dns
                .import_state(&self.initial)
                .expect("the fixture's own state imports");
        }
    }
}

pub mod okta {
    //! mock-okta (rate limit off) with a user, a group and an OIDC app, its router in-process.

    use axum::http::Method;
    use mock_okta::MockOkta;
    use serde_json::json;

    use crate::{Api, Ids, field, runtime, slot};

    /// The running org, its API and the fixture's ids.
    pub struct Fixture {
        /// The org.
        pub okta: MockOkta,
        /// Its router.
        pub api: Api,
        /// `{uid}`, `{gid}`, `{app}`, `{as}`, `{policy}`; `{id}` any of them.
        pub ids: Ids,
        /// The state to go back to.
        pub initial: Vec<u8>,
    }

    impl Fixture {
        /// Starts the org in a slot and creates the fixture through the API; panics only on
        /// a broken fixture.
        pub fn start() -> Fixture {
            let runtime = runtime();
            let mount = slot();
            let config = mock_okta::Config {
                rate_limit_per_minute: u32::MAX,
                mount: Some(mount.clone()),
                ..mock_okta::Config::default()
            };
            let okta = runtime
                .block_on(MockOkta::start(config))
                .expect("mock-okta starts");
            let router = mount.current().expect("mounted");
            let api = Api::new(runtime, router, format!("SSWS {}", okta.api_token()));
            let create = |path: &str, body: serde_json::Value| {
                let (status, reply) =
                    api.send(Method::POST, path, false, true, body.to_string().as_bytes());
                assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&reply));
                field(&reply, "/id")
            };
            let uid = create(
                "/api/v1/users?activate=true",
                json!({
                    "profile": {
                        "firstName": "Ada", "lastName": "Lovelace",
                        "email": "ada@example.com", "login": "ada@example.com",
                    },
                    "credentials": { "password": { "value": "Correct-Horse-9" } },
                }),
            );
            let gid = create(
                "/api/v1/groups",
                json!({ "profile": { "name": "Engineers", "description": "fuzz" } }),
            );
            let app = create(
                "/api/v1/apps?activate=true",
                json!({
                    "name": "oidc_client",
                    "label": "Kiro",
                    "signOnMode": "OPENID_CONNECT",
                    "credentials": { "oauthClient": { "token_endpoint_auth_method": "none" } },
                    "settings": { "oauthClient": {
                        "redirect_uris": ["http://127.0.0.1:3128/oauth/callback"],
                        "response_types": ["code"],
                        "grant_types": ["authorization_code", "refresh_token"],
                        "application_type": "native",
                    } },
                }),
            );
            let (_, policies) = api.send(
                Method::GET,
                "/api/v1/authorizationServers/default/policies",
                false,
                true,
                b"",
            );
            let policy = field(&policies, "/0/id");
            let ids = Ids {
                named: vec![
                    ("uid", uid.clone()),
                    ("gid", gid.clone()),
                    ("app", app.clone()),
                    ("as", "default".into()),
                    ("policy", policy.clone()),
                ],
                any: vec![uid, gid, app, "default".into(), policy, "me".into()],
            };
            let initial = okta.export_state();
            Fixture {
                okta,
                api,
                ids,
                initial,
            }
        }

        /// Puts the state back to the fixture's.
        pub fn reset(&self) {
            self.okta
                .import_state(&self.initial)
                .expect("the fixture's own state imports");
        }
    }
}

pub mod kiro {
    //! mock-kiro holding the [`KiroFixture`](crate::KiroFixture)'s directory (installed by a
    //! state import), its router in-process.

    use std::time::Duration;

    use mock_kiro::MockKiro;
    use serde_json::Value;

    use crate::{Api, KiroFixture, kiro_fixture, runtime, slot};

    /// The running service, its router and the fixture it holds.
    pub struct Fixture {
        /// The service.
        pub kiro: MockKiro,
        /// Its router (`authorization` is the console's admin token).
        pub api: Api,
        /// Ids and the SCIM token of the directory.
        pub fixture: KiroFixture,
        /// The state to go back to.
        pub initial: Vec<u8>,
    }

    impl Fixture {
        /// Starts mock-kiro in a slot and imports the fixture's core; panics only on a
        /// broken fixture. DNS lookups and JWKS fetches go to port 9 of the loopback, where
        /// nothing answers.
        pub fn start() -> Fixture {
            let runtime = runtime();
            let mount = slot();
            let config = mock_kiro::Config {
                mount: Some(mount.clone()),
                dns_server: std::net::SocketAddr::from(([127, 0, 0, 1], 9)),
                outbound_timeout: Duration::from_millis(200),
                ..mock_kiro::Config::default()
            };
            let kiro = runtime
                .block_on(MockKiro::start(config))
                .expect("mock-kiro starts");
            let router = mount.current().expect("mounted");
            let api = Api::new(runtime, router, format!("Bearer {}", kiro.admin_token()));
            let fixture = kiro_fixture();
            let mut doc: Value =
                serde_json::from_slice(&kiro.export_state()).expect("a state document");
            doc["state"]["core"] = serde_json::to_value(&fixture.kiro).expect("core serialises");
            let initial = serde_json::to_vec(&doc).expect("document serialises");
            kiro.import_state(&initial).expect("the fixture imports");
            Fixture {
                kiro,
                api,
                fixture,
                initial,
            }
        }

        /// Puts the state back to the fixture's.
        pub fn reset(&self) {
            self.kiro
                .import_state(&self.initial)
                .expect("the fixture's own state imports");
        }
    }
}
