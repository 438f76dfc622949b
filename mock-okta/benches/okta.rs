//! mock-okta benchmark: prints the figures issue 3 sets targets for.
//!
//! - **ready**: `MockOkta::start` with the dev keys until it accepts requests. Target ≤ 10 ms.
//! - **This machine's RSA-2048 signing limit**: `openssl speed -multi <cores> -seconds 3
//!   rsa2048`, run in the same run, its `sign/s` figure. A virtual machine's speed drifts with
//!   its host's load, so it is measured before, between and after the throughput phases and
//!   the highest of the three is the limit (the conservative choice). Without `openssl` on the
//!   PATH the bench says so in one line and reports throughput alone. For comparison, the
//!   rate of sim-core's own signer (one thread per core) is printed too.
//! - **code grant** and **refresh grant** throughput over HTTP on loopback, counted in
//!   signatures: every JWT in a response is one (a code or refresh grant with `openid`
//!   returns an access token and an ID token: two), as a percentage of openssl's limit.
//!   Target ≥ 85 %.
//!
//! - **Admin Console** (issue #13): with 10,000 users (and 50 apps), the median and p95 time
//!   to answer `GET /admin/people` (a page from the middle, and a search), `GET /admin/apps`
//!   and `GET /admin/security/api`, as whole HTTP round trips on loopback from a signed-in
//!   session (so an upper bound of the server-side render). Target ≤ 5 ms.
//!   `cargo bench -p mock-okta --bench okta -- console` runs this phase alone, `-- tokens`
//!   the openssl baseline and the grants alone.
//!
//! Run with `cargo bench -p mock-okta` (or `cargo xtask bench okta`). All traffic goes to
//! 127.0.0.1; the work is bounded in count.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mock_okta::{Config, MockOkta};
use serde_json::{Value, json};

const READY_RUNS: usize = 30;
const GRANTS: usize = 3_000;
const IN_FLIGHT: usize = 8;
const SIGN_FOR: Duration = Duration::from_secs(3);
/// `openssl speed -seconds`: how long each openssl measurement signs.
const OPENSSL_SECONDS: &str = "3";
const REDIRECT: &str = "http://localhost:3128/oauth/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const PASSWORD: &str = "Correct-Horse-9";

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let console_only = std::env::args().any(|a| a == "console");
    let tokens_only = std::env::args().any(|a| a == "tokens");
    runtime.block_on(async {
        if !console_only && !tokens_only {
            ready_time().await;
        }
        if !console_only {
            token_throughput().await;
        }
        if !tokens_only {
            console_pages().await;
        }
    });
}

const CONSOLE_USERS: usize = 10_000;
const CONSOLE_APPS: usize = 50;
const CONSOLE_SAMPLES: usize = 200;

/// The Admin Console's pages with 10,000 users (see the module doc).
async fn console_pages() {
    let okta = MockOkta::start(Config {
        rate_limit_per_minute: 1_000_000,
        ..Config::default()
    })
    .await
    .expect("start");
    let base = okta.url();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let token = okta.api_token().to_string();
    let started = Instant::now();
    let users: Vec<usize> = (0..CONSOLE_USERS).collect();
    for chunk in users.chunks(IN_FLIGHT * 25) {
        let calls = chunk.iter().map(|i| {
            let request = http
                .post(format!("{base}/api/v1/users?activate=false"))
                .header("authorization", format!("SSWS {token}"))
                .json(&json!({ "profile": {
                    "login": format!("user{i:05}@example.com"),
                    "email": format!("user{i:05}@example.com"),
                    "firstName": "User",
                    "lastName": format!("N{i:05}"),
                }}));
            tokio::spawn(async move {
                let status = request.send().await.expect("create a user").status();
                assert!(status.is_success(), "create a user: {status}");
            })
        });
        let handles: Vec<_> = calls.collect();
        for h in handles {
            h.await.expect("a create task");
        }
    }
    for i in 0..CONSOLE_APPS {
        let status = http
            .post(format!("{base}/api/v1/apps"))
            .header("authorization", format!("SSWS {token}"))
            .json(&json!({
                "name": "oidc_client", "label": format!("App {i:02}"), "signOnMode": "OPENID_CONNECT",
                "settings": { "oauthClient": {
                    "application_type": "native", "grant_types": ["authorization_code"],
                    "redirect_uris": [REDIRECT], "response_types": ["code"],
                    "token_endpoint_auth_method": "none",
                }},
            }))
            .send()
            .await
            .expect("create an app")
            .status();
        assert!(status.is_success(), "create an app: {status}");
    }
    let setup = started.elapsed();
    let signed_in = http
        .post(format!("{base}/admin/login"))
        .form(&[("username", "admin@kiro-sim.test"), ("password", &token)])
        .send()
        .await
        .expect("sign in");
    let cookie = signed_in
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_string();
    println!(
        "mock-okta console: {CONSOLE_USERS} users and {CONSOLE_APPS} apps set up in {:.1} s",
        setup.as_secs_f64()
    );
    for (what, path) in [
        ("People, page 250 of 500", "/admin/people?offset=5000"),
        ("People, search \"user0123\"", "/admin/people?q=user0123"),
        ("Applications", "/admin/apps"),
        ("Security > API", "/admin/security/api"),
    ] {
        let mut samples = Vec::with_capacity(CONSOLE_SAMPLES);
        let mut bytes = 0;
        for _ in 0..CONSOLE_SAMPLES {
            let t = Instant::now();
            let reply = http
                .get(format!("{base}{path}"))
                .header("cookie", &cookie)
                .send()
                .await
                .expect("GET");
            assert_eq!(reply.status(), 200, "{path}");
            bytes = reply.bytes().await.expect("the page").len();
            samples.push(t.elapsed());
        }
        samples.sort();
        println!(
            "mock-okta console {what}: median {:.3} ms, p95 {:.3} ms over {CONSOLE_SAMPLES} requests ({bytes} bytes; target <= 5 ms)",
            ms(samples[samples.len() / 2]),
            ms(samples[samples.len() * 95 / 100]),
        );
    }
    okta.shutdown().await;
    core_search();
}

/// The core's user search alone (what the People search runs), to tell it from the HTTP part.
fn core_search() {
    let keys = sim_core::keys::dev_keys(sim_core::Seed(0)).expect("keys");
    let now = std::time::SystemTime::UNIX_EPOCH;
    let mut org = mock_okta::core::Org::new("http://127.0.0.1:1", sim_core::Seed(0), keys, now);
    for i in 0..CONSOLE_USERS {
        let mut profile = serde_json::Map::new();
        for (k, v) in [
            ("login", format!("user{i:05}@example.com")),
            ("email", format!("user{i:05}@example.com")),
            ("firstName", "User".to_string()),
            ("lastName", format!("N{i:05}")),
        ] {
            profile.insert(k.into(), Value::String(v));
        }
        org.create_user(
            now,
            mock_okta::core::NewUser {
                profile,
                ..Default::default()
            },
        )
        .expect("a user");
    }
    let mut samples = Vec::with_capacity(CONSOLE_SAMPLES);
    for _ in 0..CONSOLE_SAMPLES {
        let t = Instant::now();
        let found = org
            .list_users(Some("user0123"), None)
            .expect("a search")
            .len();
        samples.push(t.elapsed());
        assert_eq!(found, 10);
    }
    samples.sort();
    println!(
        "mock-okta core user search over {CONSOLE_USERS} users: median {:.3} ms",
        ms(samples[samples.len() / 2])
    );
}

async fn ready_time() {
    let mut samples = Vec::with_capacity(READY_RUNS);
    for _ in 0..READY_RUNS {
        let started = Instant::now();
        let okta = MockOkta::start(Config::default()).await.expect("start");
        samples.push(started.elapsed());
        okta.shutdown().await;
    }
    samples.sort();
    println!(
        "mock-okta ready: median {:.3} ms, p95 {:.3} ms, max {:.3} ms over {READY_RUNS} starts (target <= 10 ms)",
        ms(samples[samples.len() / 2]),
        ms(samples[samples.len() * 95 / 100]),
        ms(*samples.last().expect("samples"))
    );
}

/// How many threads sign: one per core.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// RS256 signatures per second of sim-core's signer with every core signing.
fn signing_rate() -> f64 {
    let key = sim_core::keys::dev_keys(sim_core::Seed(0)).expect("keys")[0].clone();
    let message = vec![b'x'; 700]; // about a JWT's signing input
    let threads = cores();
    let started = Instant::now();
    let counts: Vec<u64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut n = 0u64;
                    while started.elapsed() < SIGN_FOR {
                        key.sign_rs256(&message).expect("sign");
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    counts.iter().sum::<u64>() as f64 / started.elapsed().as_secs_f64()
}

/// `openssl speed -multi <cores> rsa2048`'s RSA-2048 `sign/s`, or why there is none.
fn openssl_rate() -> Result<f64, String> {
    let cores = cores().to_string();
    let out = std::process::Command::new("openssl")
        .args([
            "speed",
            "-multi",
            &cores,
            "-seconds",
            OPENSSL_SECONDS,
            "rsa2048",
        ])
        .output()
        .map_err(|e| format!("openssl could not be run ({e}); install it (Debian: openssl)"))?;
    if !out.status.success() {
        return Err(format!("`openssl speed` failed: {}", out.status));
    }
    parse_openssl_speed(&String::from_utf8_lossy(&out.stdout))
        .ok_or_else(|| "`openssl speed` printed no `rsa 2048 bits` line".to_string())
}

/// The `sign/s` column of `openssl speed`'s `rsa 2048 bits` summary line: the first number
/// after "bits" that is not a time (times end in `s`), in OpenSSL 1.1 and 3.x layouts alike.
fn parse_openssl_speed(output: &str) -> Option<f64> {
    let line = output
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with("rsa") && l.contains("2048 bits"))?;
    let (_, figures) = line.split_once("bits")?;
    figures
        .split_whitespace()
        .find(|t| !t.ends_with('s'))?
        .parse()
        .ok()
}

/// openssl's rate now, printed; `None` (said once) without openssl.
fn limit(when: &str, said_missing: &mut bool) -> Option<f64> {
    match openssl_rate() {
        Ok(rate) => {
            println!(
                "openssl speed -multi {} rsa2048 ({when}): {rate:.0} signatures/s",
                cores()
            );
            Some(rate)
        }
        Err(why) => {
            if !*said_missing {
                println!("no openssl baseline: {why}");
                *said_missing = true;
            }
            None
        }
    }
}

async fn token_throughput() {
    let okta = MockOkta::start(Config {
        rate_limit_per_minute: u32::MAX,
        ..Config::default()
    })
    .await
    .expect("start");
    let org = Org::setup(&okta).await;

    // Codes are made beforehand (two untimed requests each); only the exchange is timed.
    let codes = org.codes(GRANTS).await;
    let org = Arc::new(org);
    let mut said_missing = false;
    let before = limit("before", &mut said_missing);
    let started = Instant::now();
    let exchanged = run_concurrently(org.clone(), codes, |org, code| async move {
        let body = org
            .token(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
                ("client_id", &org.client_id),
            ])
            .await;
        let refresh = body["refresh_token"]
            .as_str()
            .expect("refresh token")
            .to_string();
        (refresh, signatures(&body))
    })
    .await;
    let code_took = started.elapsed();
    let code_signatures: usize = exchanged.iter().map(|(_, n)| n).sum();
    let refresh_tokens: Vec<String> = exchanged.into_iter().map(|(t, _)| t).collect();
    let between = limit("between", &mut said_missing);

    let started = Instant::now();
    let refreshed = run_concurrently(org.clone(), refresh_tokens, |org, token| async move {
        let body = org
            .token(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", &token),
                ("client_id", &org.client_id),
            ])
            .await;
        signatures(&body)
    })
    .await;
    let refresh_took = started.elapsed();
    let refresh_signatures: usize = refreshed.iter().sum();
    let after = limit("after", &mut said_missing);
    okta.shutdown().await;

    let machine = [before, between, after]
        .into_iter()
        .flatten()
        .reduce(f64::max);
    let own = signing_rate();
    match machine {
        Some(machine) => {
            println!(
                "RSA-2048 signing limit: openssl's {machine:.0} signatures/s (highest of the three)"
            );
            println!(
                "sim-core's signer (aws-lc-rs), {} threads: {own:.0} signatures/s = {:.1} % of openssl's",
                cores(),
                100.0 * own / machine
            );
        }
        None => println!(
            "sim-core's signer (aws-lc-rs), {} threads: {own:.0} signatures/s",
            cores()
        ),
    }
    report("code grant", code_signatures, code_took, machine);
    report("refresh grant", refresh_signatures, refresh_took, machine);
}

/// The signatures in a token response: one per JWT (`access_token`, `id_token`).
fn signatures(body: &Value) -> usize {
    ["access_token", "id_token"]
        .iter()
        .filter(|field| {
            body[*field]
                .as_str()
                .is_some_and(|t| t.split('.').count() == 3)
        })
        .count()
}

fn report(what: &str, signatures: usize, took: Duration, machine: Option<f64>) {
    let grants = GRANTS as f64 / took.as_secs_f64();
    let per_sec = signatures as f64 / took.as_secs_f64();
    let per_grant = signatures as f64 / GRANTS as f64;
    match machine {
        Some(machine) => println!(
            "mock-okta {what}: {grants:.0} grants/s x {per_grant:.1} signatures = {per_sec:.0} signatures/s = {:.1} % of openssl's {machine:.0}/s (target >= 85 %)",
            100.0 * per_sec / machine
        ),
        None => println!(
            "mock-okta {what}: {grants:.0} grants/s x {per_grant:.1} signatures = {per_sec:.0} signatures/s (no openssl baseline)"
        ),
    }
}

/// Runs `f` over `items` with `IN_FLIGHT` requests at a time; results in input order.
async fn run_concurrently<T, R, F, Fut>(org: Arc<Org>, items: Vec<T>, f: F) -> Vec<R>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(Arc<Org>, T) -> Fut + Send + Sync + Copy + 'static,
    Fut: std::future::Future<Output = R> + Send + 'static,
{
    let chunks: Vec<Vec<(usize, T)>> = {
        let mut chunks: Vec<Vec<(usize, T)>> = (0..IN_FLIGHT).map(|_| Vec::new()).collect();
        for (i, item) in items.into_iter().enumerate() {
            chunks[i % IN_FLIGHT].push((i, item));
        }
        chunks
    };
    let tasks: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            let org = org.clone();
            tokio::spawn(async move {
                let mut out = Vec::with_capacity(chunk.len());
                for (i, item) in chunk {
                    out.push((i, f(org.clone(), item).await));
                }
                out
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("task"));
    }
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

/// An org set up through the management API: one user, one native app, one authorization
/// server whose policy allows `openid offline_access` by code and refresh.
struct Org {
    http: reqwest::Client,
    url: String,
    token: String,
    as_id: String,
    client_id: String,
}

impl Org {
    async fn setup(okta: &MockOkta) -> Org {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let mut org = Org {
            http,
            url: okta.url(),
            token: okta.api_token().to_string(),
            as_id: String::new(),
            client_id: String::new(),
        };
        let user = org
            .admin(
                "/api/v1/users?activate=true",
                json!({
                    "profile": { "firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com", "login": "ada@example.com" },
                    "credentials": { "password": { "value": PASSWORD } },
                }),
            )
            .await;
        let app = org
            .admin(
                "/api/v1/apps",
                json!({
                    "name": "oidc_client", "label": "Kiro-OIDC", "signOnMode": "OPENID_CONNECT",
                    "credentials": { "oauthClient": { "token_endpoint_auth_method": "none" } },
                    "settings": { "oauthClient": {
                        "redirect_uris": [REDIRECT], "response_types": ["code"],
                        "grant_types": ["authorization_code", "refresh_token"], "application_type": "native",
                        "refresh_token": { "rotation_type": "ROTATE", "leeway": 30 },
                    } },
                }),
            )
            .await;
        org.client_id = app["id"].as_str().expect("app id").to_string();
        org.admin(
            &format!("/api/v1/apps/{}/users", org.client_id),
            json!({ "id": user["id"] }),
        )
        .await;
        let server = org
            .admin(
                "/api/v1/authorizationServers",
                json!({ "name": "Kiro", "description": "bench", "audiences": ["api://kiro"] }),
            )
            .await;
        org.as_id = server["id"].as_str().expect("as id").to_string();
        let policy = org
            .admin(
                &format!("/api/v1/authorizationServers/{}/policies", org.as_id),
                json!({ "name": "Kiro", "priority": 1, "conditions": { "clients": { "include": [org.client_id] } } }),
            )
            .await;
        org.admin(
            &format!(
                "/api/v1/authorizationServers/{}/policies/{}/rules",
                org.as_id,
                policy["id"].as_str().expect("policy id")
            ),
            json!({
                "name": "all", "priority": 1,
                "conditions": {
                    "people": { "groups": { "include": ["EVERYONE"] } },
                    "grantTypes": { "include": ["authorization_code", "refresh_token"] },
                    "scopes": { "include": ["openid", "offline_access"] },
                },
                "actions": { "token": { "accessTokenLifetimeMinutes": 60 } },
            }),
        )
        .await;
        org
    }

    async fn admin(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .header("Authorization", format!("SSWS {}", self.token))
            .json(&body)
            .send()
            .await
            .expect("admin request");
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "POST {path}: {status} {body}");
        body
    }

    /// `n` authorization codes, each from a fresh sessionToken.
    async fn codes(&self, n: usize) -> Vec<String> {
        let challenge = mock_okta::core::tokens::s256(VERIFIER);
        let mut codes = Vec::with_capacity(n);
        for i in 0..n {
            let authn: Value = self
                .http
                .post(format!("{}/api/v1/authn", self.url))
                .json(&json!({ "username": "ada@example.com", "password": PASSWORD }))
                .send()
                .await
                .expect("authn")
                .json()
                .await
                .expect("authn json");
            let session_token = authn["sessionToken"].as_str().expect("sessionToken");
            let response = self
                .http
                .get(format!("{}/oauth2/{}/v1/authorize", self.url, self.as_id))
                .query(&[
                    ("client_id", self.client_id.as_str()),
                    ("response_type", "code"),
                    ("scope", "openid offline_access"),
                    ("redirect_uri", REDIRECT),
                    ("state", &format!("s{i}")),
                    ("nonce", &format!("n{i}")),
                    ("code_challenge", &challenge),
                    ("code_challenge_method", "S256"),
                    ("sessionToken", session_token),
                ])
                .send()
                .await
                .expect("authorize");
            let location = response
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .expect("redirect with a code")
                .to_string();
            let code = location
                .split(['?', '&'])
                .find_map(|kv| kv.strip_prefix("code="))
                .expect("code in the redirect")
                .to_string();
            codes.push(code);
        }
        codes
    }

    async fn token(&self, form: &[(&str, &str)]) -> Value {
        let response = self
            .http
            .post(format!("{}/oauth2/{}/v1/token", self.url, self.as_id))
            .form(form)
            .send()
            .await
            .expect("token request");
        let status = response.status();
        let body: Value = response.json().await.expect("token json");
        assert!(status.is_success(), "token: {status} {body}");
        assert!(body["id_token"].is_string() && body["access_token"].is_string());
        body
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
