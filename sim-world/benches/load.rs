//! Load test (issue #17, SIM-LOAD-1): many concurrent clients against one world for a bounded
//! time — Okta admin changes (a user created and added to the pushed group), SCIM calls
//! straight to Kiro, IDE sign-ins, token refreshes and runtime calls — then the world is read
//! back through its APIs and compared with what the acknowledged responses imply:
//!
//! - every user Okta acknowledged exists there exactly once (`search` by login), and, after
//!   the push settles, exactly once in Kiro (SCIM `userName eq`), in the pushed group when
//!   Okta acknowledged the membership;
//! - every user Kiro's SCIM endpoint acknowledged exists there exactly once;
//! - Kiro holds no other user: its total is the documented setup's plus both kinds.
//!
//! Prints throughput, p50/p99 latency per kind, refusals per kind, and the process's RSS
//! (`VmHWM`, `VmRSS`: the world runs in this process). Exits non-zero on any mismatch.
//!
//! `KIRO_SIM_LOAD_SECS` (default 20) bounds the wall time of the load, `KIRO_SIM_LOAD_TASKS`
//! (default 16) sets the concurrent clients. Traffic stays on 127.0.0.1. Run with
//! `cargo xtask bench load` (`cargo bench -p sim-world --bench load`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use reqwest::Method;
use serde_json::{Value, json};
use sim_world::clients::{Api, Body};
use sim_world::ide::Ide;
use sim_world::{World, WorldConfig};

/// The kinds of operation, in the order they are reported.
const KINDS: [&str; 5] = ["admin", "scim", "sign-in", "refresh", "runtime"];

/// What the clients were told, shared by the tasks.
#[derive(Default)]
struct Ledger {
    /// Latencies per kind (acknowledged operations only).
    latencies: BTreeMap<&'static str, Vec<Duration>>,
    /// Refused or failed operations per kind.
    failures: BTreeMap<&'static str, u64>,
    /// One example failure per kind.
    examples: BTreeMap<&'static str, String>,
    /// Okta users acknowledged: (login, Okta id, membership acknowledged).
    okta_users: Vec<(String, String, bool)>,
    /// SCIM users Kiro acknowledged: login.
    scim_users: Vec<String>,
}

impl Ledger {
    fn ok(&mut self, kind: &'static str, took: Duration) {
        self.latencies.entry(kind).or_default().push(took);
    }

    fn failed(&mut self, kind: &'static str, why: String) {
        *self.failures.entry(kind).or_default() += 1;
        self.examples.entry(kind).or_insert(why);
    }
}

/// What every task needs.
struct Shared {
    okta: Api,
    scim: Api,
    kiro_url: String,
    group: String,
    trust: sim_core::outbound::Trust,
    seed: sim_core::Seed,
    ledger: Mutex<Ledger>,
    /// Sign-ins at once: each one listens on one of the IDE's ten registered loopback ports.
    sign_ins: tokio::sync::Semaphore,
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let secs = env_number("KIRO_SIM_LOAD_SECS", 20);
    let tasks = env_number("KIRO_SIM_LOAD_TASKS", 16);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let outcome = runtime.block_on(run(Duration::from_secs(secs), tasks));
    if outcome.mismatches > 0 {
        eprintln!(
            "load: {} mismatches between the world and the acknowledged responses",
            outcome.mismatches
        );
        std::process::exit(1);
    }
}

/// What a load run found.
pub struct Outcome {
    /// Differences between the world read back and the acknowledged responses.
    pub mismatches: usize,
    /// Acknowledged operations per kind.
    pub acknowledged: BTreeMap<&'static str, usize>,
}

/// Runs `tasks` clients against a new world for `duration`, then reads it back.
pub async fn run(duration: Duration, tasks: u64) -> Outcome {
    let world = World::start(WorldConfig {
        zones: vec!["example.com".into()],
        // World time does not move during the load; the limit must not refuse it.
        okta_rate_limit: u32::MAX,
        ..WorldConfig::default()
    })
    .await
    .expect("world");
    let documented = sim_world::setup::documented(&world)
        .await
        .expect("documented setup");
    // The group's seats are granted after the sync delay: let it pass before the load.
    world.advance(Duration::from_secs(48 * 3600)).await;
    let http = sim_core::outbound::client(world.trust()).expect("client");
    let okta = Api::new(
        http.clone(),
        &world.okta().url(),
        Some(format!("SSWS {}", world.okta().api_token())),
    );
    let scim = Api::new(
        http,
        &documented.kiro_scim_url,
        Some(format!("Bearer {}", documented.kiro_scim_token)),
    );
    let groups = okta
        .get("/api/v1/groups?q=Kiro%20Developers")
        .await
        .expect("groups");
    let group = groups[0]["id"].as_str().expect("group id").to_string();
    let shared = Arc::new(Shared {
        okta,
        scim,
        kiro_url: world.kiro().url(),
        group,
        trust: world.trust().clone(),
        seed: world.seed(),
        ledger: Mutex::new(Ledger::default()),
        sign_ins: tokio::sync::Semaphore::new(4),
    });

    println!("load: {tasks} clients for {} s", duration.as_secs());
    let started = Instant::now();
    let deadline = started + duration;
    let mut handles = Vec::new();
    for task in 0..tasks {
        let shared = shared.clone();
        handles.push(tokio::spawn(client(shared, task, deadline)));
    }
    for handle in handles {
        handle.await.expect("client task");
    }
    let elapsed = started.elapsed();

    let settle_started = Instant::now();
    world.okta().settle_push().await;
    let settled = settle_started.elapsed();

    let ledger = std::mem::take(&mut *shared.ledger.lock());
    report(&ledger, elapsed, settled);
    let verify_started = Instant::now();
    let mismatches = verify(&shared, &ledger, documented.users.len()).await;
    println!(
        "load: read back in {:.1} s: {}",
        verify_started.elapsed().as_secs_f64(),
        if mismatches == 0 {
            "the world matches every acknowledged response".to_string()
        } else {
            format!("{mismatches} MISMATCHES")
        }
    );
    print_rss();
    world.shutdown().await;
    Outcome {
        mismatches,
        acknowledged: ledger
            .latencies
            .iter()
            .map(|(kind, samples)| (*kind, samples.len()))
            .collect(),
    }
}

/// One client: signs in as Ada or Bob, then loops over the kinds until `deadline`.
async fn client(shared: Arc<Shared>, task: u64, deadline: Instant) {
    let rng = shared.seed.stream(&format!("load/ide/{task}"));
    let mut ide = Ide::new(&shared.kiro_url, 3128, rng, &shared.trust).expect("ide");
    let who = if task.is_multiple_of(2) {
        "ada@example.com"
    } else {
        "bob@example.com"
    };
    let mut signed_in = sign_in(&shared, &mut ide, who).await;
    let mut n: u64 = 0;
    while Instant::now() < deadline {
        n += 1;
        match n % 10 {
            0..=2 => admin(&shared, task, n).await,
            3 | 4 => scim(&shared, task, n).await,
            5 => signed_in = sign_in(&shared, &mut ide, who).await,
            6 if signed_in => {
                let started = Instant::now();
                match ide.refresh_now().await {
                    Ok(()) => shared.ledger.lock().ok("refresh", started.elapsed()),
                    Err(e) => {
                        signed_in = false;
                        shared.ledger.lock().failed("refresh", e.to_string());
                    }
                }
            }
            _ if signed_in => {
                let started = Instant::now();
                let result = match n % 3 {
                    0 => ide.complete("fn main() {", "}").await,
                    1 => ide.chat("explain this", None).await,
                    _ => ide.usage().await,
                };
                match result {
                    Ok(_) => shared.ledger.lock().ok("runtime", started.elapsed()),
                    Err(e) => shared.ledger.lock().failed("runtime", e.to_string()),
                }
            }
            _ => signed_in = sign_in(&shared, &mut ide, who).await,
        }
    }
}

async fn sign_in(shared: &Shared, ide: &mut Ide, who: &str) -> bool {
    let Ok(_permit) = shared.sign_ins.acquire().await else {
        return false;
    };
    let started = Instant::now();
    match ide.sign_in(who, sim_world::setup::PASSWORD).await {
        Ok(_) => {
            shared.ledger.lock().ok("sign-in", started.elapsed());
            true
        }
        Err(e) => {
            shared.ledger.lock().failed("sign-in", e.to_string());
            false
        }
    }
}

/// An Okta admin change: a new user, then added to the pushed group.
async fn admin(shared: &Shared, task: u64, n: u64) {
    let login = format!("load-{task}-{n}@example.com");
    let started = Instant::now();
    let created = shared
        .okta
        .post(
            "/api/v1/users?activate=true",
            json!({
                "profile": { "firstName": "Load", "lastName": format!("T{task}N{n}"), "email": login, "login": login },
                "credentials": { "password": { "value": "Load-Test-Pass-9" } },
            }),
        )
        .await;
    let id = match created {
        Ok(user) => user["id"].as_str().unwrap_or_default().to_string(),
        Err(e) => {
            shared.ledger.lock().failed("admin", e.to_string());
            return;
        }
    };
    let added = shared
        .okta
        .call(
            Method::PUT,
            &format!("/api/v1/groups/{}/users/{id}", shared.group),
            None,
        )
        .await;
    let mut ledger = shared.ledger.lock();
    match added {
        Ok(_) => {
            ledger.ok("admin", started.elapsed());
            ledger.okta_users.push((login, id, true));
        }
        Err(e) => {
            ledger.failed("admin", e.to_string());
            ledger.okta_users.push((login, id, false));
        }
    }
}

/// A SCIM client writing to Kiro directly: a new user.
async fn scim(shared: &Shared, task: u64, n: u64) {
    let login = format!("scim-{task}-{n}@example.com");
    let started = Instant::now();
    let result = shared
        .scim
        .post(
            "/Users",
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": login,
                "displayName": format!("Scim {task} {n}"),
                "name": { "givenName": "Scim", "familyName": format!("T{task}N{n}") },
                "emails": [{ "value": login, "type": "work", "primary": true }],
                "active": true,
            }),
        )
        .await;
    let mut ledger = shared.ledger.lock();
    match result {
        Ok(_) => {
            ledger.ok("scim", started.elapsed());
            ledger.scim_users.push(login);
        }
        Err(e) => ledger.failed("scim", e.to_string()),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn report(ledger: &Ledger, elapsed: Duration, settled: Duration) {
    let total: usize = ledger.latencies.values().map(Vec::len).sum();
    println!(
        "load: {total} acknowledged operations in {:.1} s: {:.0} ops/s; push settled {:.1} s later",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        settled.as_secs_f64()
    );
    for kind in KINDS {
        let mut samples = ledger.latencies.get(kind).cloned().unwrap_or_default();
        samples.sort();
        let failures = ledger.failures.get(kind).copied().unwrap_or(0);
        let (p50, p99) = if samples.is_empty() {
            (0.0, 0.0)
        } else {
            let n = samples.len();
            (ms(samples[n / 2]), ms(samples[(n * 99 / 100).min(n - 1)]))
        };
        println!(
            "load: {kind:<8} {:>7} ok {:>6.0}/s  p50 {p50:>7.2} ms  p99 {p99:>7.2} ms  {failures} refused",
            samples.len(),
            samples.len() as f64 / elapsed.as_secs_f64(),
        );
        if let Some(example) = ledger.examples.get(kind) {
            println!("load:          e.g. {example}");
        }
    }
}

/// Reads the world back; returns the number of mismatches (each printed).
async fn verify(shared: &Shared, ledger: &Ledger, documented_users: usize) -> usize {
    let mut mismatches = 0;
    let mut miss = |what: String| {
        mismatches += 1;
        if mismatches <= 20 {
            println!("load: MISMATCH {what}");
        }
    };
    let kiro_group = scim_list(
        &shared.scim,
        "/Groups?filter=displayName%20eq%20%22Kiro%20Developers%22",
    )
    .await
    .and_then(|list| list["Resources"][0]["id"].as_str().map(str::to_string));
    let Some(kiro_group) = kiro_group else {
        miss("the pushed group is not in Kiro".into());
        return mismatches;
    };
    for (login, id, member) in &ledger.okta_users {
        let found = shared
            .okta
            .get(&format!(
                "/api/v1/users?search={}",
                urlencode(&format!("profile.login eq \"{login}\""))
            ))
            .await;
        match found {
            Ok(Value::Array(users))
                if users.len() == 1 && users[0]["id"].as_str() == Some(id.as_str()) => {}
            other => miss(format!("Okta user {login}: {other:?}")),
        }
        let kiro = scim_list(
            &shared.scim,
            &format!(
                "/Users?filter={}",
                urlencode(&format!("userName eq \"{login}\""))
            ),
        )
        .await;
        let kiro_ids: Vec<String> = kiro
            .as_ref()
            .and_then(|l| l["Resources"].as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|u| u["id"].as_str().map(str::to_string))
            .collect();
        if *member {
            if kiro_ids.len() != 1 {
                miss(format!(
                    "{login} (a member) is in Kiro {} times",
                    kiro_ids.len()
                ));
                continue;
            }
            let membership = scim_list(
                &shared.scim,
                &format!(
                    "/Groups?filter={}",
                    urlencode(&format!(
                        "id eq \"{kiro_group}\" and members eq \"{}\"",
                        kiro_ids[0]
                    ))
                ),
            )
            .await
            .and_then(|l| l["totalResults"].as_u64());
            if membership != Some(1) {
                miss(format!("{login} is not in Kiro's pushed group"));
            }
        } else if !kiro_ids.is_empty() {
            miss(format!("{login} (no membership acknowledged) is in Kiro"));
        }
    }
    for login in &ledger.scim_users {
        let kiro = scim_list(
            &shared.scim,
            &format!(
                "/Users?filter={}",
                urlencode(&format!("userName eq \"{login}\""))
            ),
        )
        .await
        .and_then(|l| l["totalResults"].as_u64());
        if kiro != Some(1) {
            miss(format!("SCIM user {login} is in Kiro {kiro:?} times"));
        }
    }
    let pushed = ledger.okta_users.iter().filter(|(_, _, m)| *m).count();
    let expected = documented_users + pushed + ledger.scim_users.len();
    let total = scim_list(&shared.scim, "/Users?count=1")
        .await
        .and_then(|l| l["totalResults"].as_u64());
    if total != Some(expected as u64) {
        miss(format!(
            "Kiro holds {total:?} users, the acknowledged responses imply {expected}"
        ));
    }
    println!(
        "load: checked {} Okta users ({pushed} pushed), {} SCIM users, Kiro total {expected}",
        ledger.okta_users.len(),
        ledger.scim_users.len()
    );
    mismatches
}

/// A SCIM list response, or `None` when the call failed.
async fn scim_list(scim: &Api, path: &str) -> Option<Value> {
    let response = scim.send(Method::GET, path, Body::None).await.ok()?;
    (response.status == 200).then_some(response.body)
}

/// Percent-encodes a query value.
fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Prints the process's peak and current resident memory from `/proc/self/status`.
fn print_rss() {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| "?".into())
    };
    println!(
        "load: RSS peak (VmHWM) {}, now (VmRSS) {}",
        field("VmHWM:"),
        field("VmRSS:")
    );
}
