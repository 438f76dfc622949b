//! `kiro-sim up --state DIR`: the world survives `kill -9` with nothing acknowledged lost or
//! doubled, a restart goes on exactly as the world would have without it, and a directory
//! that does not read back is refused.
//!
//! covers: [SIM-PERSIST-1, SIM-PERSIST-2, SIM-PERSIST-3, SIM-PERSIST-4]

use crate::support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use sim_core::seed::Seed;
use sim_world::ide::{Ide, LOOPBACK_PORTS};
use support::{Started, kiro_sim, start};

/// A fresh, empty directory for one test.
fn state_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kiro-sim-state-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// `kiro-sim up --state DIR` with the documented setup; `ports` fixes the four ports (else
/// free ones are picked; a directory holding a world uses its own anyway).
fn up(dir: &Path, ports: Option<[u16; 4]>) -> Started {
    let ports = ports.map_or_else(
        || std::array::from_fn(|_| "0".to_string()),
        |p| p.map(|p| p.to_string()),
    );
    start(&[
        "up",
        "--state",
        dir.to_str().expect("utf-8 path"),
        "--setup",
        "documented",
        "--zone",
        "example.com",
        "--epoch",
        "2026-01-01T00:00:00Z",
        "--dns-port",
        &ports[0],
        "--dns-api-port",
        &ports[1],
        "--okta-port",
        &ports[2],
        "--kiro-port",
        &ports[3],
    ])
}

fn field(ready: &Value, name: &str) -> String {
    ready[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {ready}"))
        .to_string()
}

fn port_of(url: &str) -> u16 {
    url.rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .unwrap_or_else(|| panic!("no port in {url}"))
}

fn ports_of(ready: &Value) -> [u16; 4] {
    [
        port_of(&field(ready, "dns")),
        port_of(&field(ready, "dns_api")),
        port_of(&field(ready, "okta")),
        port_of(&field(ready, "kiro")),
    ]
}

/// The world's URLs and credentials, from its ready line.
#[derive(Clone)]
struct Target {
    okta: String,
    okta_token: String,
    kiro: String,
    scim: String,
    scim_token: String,
    issuer: String,
    client_id: String,
    http: reqwest::Client,
}

impl Target {
    fn of(ready: &Value) -> Target {
        Target {
            okta: field(ready, "okta"),
            okta_token: field(ready, "okta_api_token"),
            kiro: field(ready, "kiro"),
            scim: field(ready, "kiro_scim_url"),
            scim_token: field(ready, "kiro_scim_token"),
            issuer: field(ready, "okta_issuer"),
            client_id: field(ready, "okta_oidc_client_id"),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
        }
    }

    /// An Okta management call: status and JSON body (null when empty).
    async fn okta(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<(u16, Value), reqwest::Error> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.okta))
            .header("Authorization", format!("SSWS {}", self.okta_token))
            .header("Accept", "application/json");
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    /// Every item of an Okta list, following `Link: rel="next"`.
    async fn okta_all(&self, path: &str) -> Vec<Value> {
        let mut url = format!("{}{path}", self.okta);
        let mut items = Vec::new();
        for _ in 0..1000 {
            let response = self
                .http
                .get(&url)
                .header("Authorization", format!("SSWS {}", self.okta_token))
                .send()
                .await
                .expect("list");
            let next = response
                .headers()
                .get_all("link")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find(|v| v.contains("rel=\"next\""))
                .and_then(|v| v.split(['<', '>']).nth(1))
                .map(str::to_string);
            let page: Vec<Value> = response.json().await.expect("list json");
            items.extend(page);
            match next {
                Some(next) => url = next,
                None => return items,
            }
        }
        panic!("more than 1000 pages at {path}");
    }

    /// How many of Kiro's SCIM users have `user_name` (filtered by Kiro's SCIM, as Okta's
    /// push looks users up).
    async fn kiro_users_named(&self, user_name: &str) -> u64 {
        let page = self.kiro_users_page(user_name).await;
        page["totalResults"].as_u64().unwrap_or(u64::MAX)
    }

    /// Kiro's SCIM list of the users named `user_name`, as it answers it.
    async fn kiro_users_page(&self, user_name: &str) -> Value {
        self.http
            .get(format!("{}/Users", self.scim))
            .query(&[("filter", format!("userName eq \"{user_name}\""))])
            .bearer_auth(&self.scim_token)
            .send()
            .await
            .expect("scim list")
            .json()
            .await
            .expect("scim json")
    }

    async fn group_id(&self) -> String {
        let (_, groups) = self
            .okta(
                reqwest::Method::GET,
                "/api/v1/groups?q=Kiro%20Developers",
                None,
            )
            .await
            .expect("groups");
        groups[0]["id"].as_str().expect("group id").to_string()
    }

    /// Creates a user: its id once acknowledged.
    async fn create_user(&self, login: &str) -> Result<Option<String>, reqwest::Error> {
        let (status, body) = self
            .okta(
                reqwest::Method::POST,
                "/api/v1/users?activate=true",
                Some(json!({
                    "profile": { "login": login, "email": login, "firstName": "Load", "lastName": "Test" },
                    "credentials": { "password": { "value": "Correct-Horse-9" } },
                })),
            )
            .await?;
        Ok((status == 200).then(|| body["id"].as_str().unwrap_or_default().to_string()))
    }

    async fn add_member(&self, group: &str, user: &str) -> Result<bool, reqwest::Error> {
        let (status, _) = self
            .okta(
                reqwest::Method::PUT,
                &format!("/api/v1/groups/{group}/users/{user}"),
                None,
            )
            .await?;
        Ok(status == 204)
    }

    async fn refresh(&self, refresh_token: &str) -> u16 {
        self.http
            .post(format!("{}/v1/token", self.issuer))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
                ("client_id", self.client_id.as_str()),
            ])
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    }
}

/// What the world acknowledged.
#[derive(Default)]
struct Acked {
    /// Users created (login → id).
    users: BTreeMap<String, String>,
    /// Logins whose membership of the Kiro group was acknowledged.
    members: BTreeSet<String>,
    /// Refresh tokens handed out by acknowledged sign-ins.
    refresh_tokens: Vec<String>,
}

/// One admin client: creates users and adds them to the group, until the world goes away.
async fn admin_load(
    target: Target,
    group: String,
    prefix: String,
    acked: Arc<parking_lot::Mutex<Acked>>,
) {
    for i in 0..10_000 {
        let login = format!("{prefix}-{i}@example.com");
        let Ok(Some(id)) = target.create_user(&login).await else {
            return;
        };
        acked.lock().users.insert(login.clone(), id.clone());
        match target.add_member(&group, &id).await {
            Ok(true) => {
                acked.lock().members.insert(login);
            }
            _ => return,
        }
    }
}

/// Signs Ada in again and again (the IDE's code + PKCE flow through Okta's login).
async fn sign_in_load(target: Target, round: u64, acked: Arc<parking_lot::Mutex<Acked>>) {
    for i in 0..1000 {
        let rng = Seed(round * 1000 + i).stream("state-test-ide");
        let Ok(mut ide) = Ide::new(
            &target.kiro,
            LOOPBACK_PORTS[(round as usize + 3) % LOOPBACK_PORTS.len()],
            rng,
            &sim_core::outbound::Trust::Platform,
        ) else {
            return;
        };
        match ide.sign_in("ada@example.com", "Correct-Horse-9").await {
            Ok(cache) => match &cache.refresh_token {
                Some(token) => acked.lock().refresh_tokens.push(token.clone()),
                None => panic!("the documented setup grants offline_access"),
            },
            Err(_) => return,
        }
    }
}

// covers: SIM-PERSIST-1, SIM-PERSIST-2
/// Three times: a mixed load (two admin clients creating users and adding them to the pushed
/// group, so Okta pushes them to Kiro by SCIM; one IDE signing in) is cut by SIGKILL after a
/// random time; the world restarts from its directory. Then every acknowledged user is in
/// Okta exactly once, every acknowledged member in the group and in Kiro exactly once, and
/// every acknowledged sign-in's refresh token still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_load_loses_nothing_acknowledged_and_doubles_nothing() {
    let dir = state_dir("sigkill");
    let acked = Arc::new(parking_lot::Mutex::new(Acked::default()));
    // The kill points: seeded, so a failure can be replayed.
    let mut rng = Seed(17).stream("kill-points");
    let mut ports = None;
    for round in 0..3u64 {
        let (mut child, ready, _stdout) = up(&dir, ports);
        ports = Some(ports_of(&ready));
        let target = Target::of(&ready);
        let group = target.group_id().await;
        let mut load = tokio::task::JoinSet::new();
        for client in 0..2 {
            load.spawn(admin_load(
                target.clone(),
                group.clone(),
                format!("r{round}c{client}"),
                acked.clone(),
            ));
        }
        load.spawn(sign_in_load(target.clone(), round, acked.clone()));
        let wait = Duration::from_millis(300 + rng.below(1200));
        tokio::time::sleep(wait).await;
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        // Every client stops at its first refused connection.
        while load.join_next().await.is_some() {}
    }
    let (mut child, ready, _stdout) = up(&dir, ports);
    let target = Target::of(&ready);
    let group = target.group_id().await;
    let acked = std::mem::take(&mut *acked.lock());
    assert!(
        acked.users.len() >= 6 && !acked.refresh_tokens.is_empty(),
        "the load did too little to prove anything: {} users, {} sign-ins",
        acked.users.len(),
        acked.refresh_tokens.len()
    );

    let users = target.okta_all("/api/v1/users?limit=200").await;
    let mut okta_logins: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for user in &users {
        okta_logins
            .entry(user["profile"]["login"].as_str().unwrap_or_default().into())
            .or_default()
            .push(user["id"].as_str().unwrap_or_default().into());
    }
    for (login, id) in &acked.users {
        assert_eq!(
            okta_logins.get(login),
            Some(&vec![id.clone()]),
            "acknowledged user {login} ({id}) is not in Okta exactly once"
        );
    }
    let members: BTreeSet<String> = target
        .okta_all(&format!("/api/v1/groups/{group}/users?limit=200"))
        .await
        .iter()
        .filter_map(|u| u["profile"]["login"].as_str().map(str::to_string))
        .collect();
    for login in &acked.members {
        assert!(members.contains(login), "acknowledged member {login} lost");
    }
    for login in &acked.members {
        assert_eq!(
            target.kiro_users_named(login).await,
            1,
            "acknowledged member {login} is not in Kiro exactly once"
        );
    }
    for token in &acked.refresh_tokens {
        assert_eq!(
            target.refresh(token).await,
            200,
            "an acknowledged sign-in's refresh token no longer works"
        );
    }
    eprintln!(
        "acknowledged and found after 3 kills: {} users, {} members, {} sign-ins",
        acked.users.len(),
        acked.members.len(),
        acked.refresh_tokens.len()
    );
    child.kill().expect("kill");
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

/// The second half of the determinism test: what a client sees, byte for byte.
async fn second_half(target: &Target) -> Vec<String> {
    let group = target.group_id().await;
    let mut seen = Vec::new();
    for login in ["after-1@example.com", "after-2@example.com"] {
        let id = target
            .create_user(login)
            .await
            .expect("create")
            .expect("created");
        assert!(target.add_member(&group, &id).await.expect("member"));
        seen.push(id);
    }
    let (_, members) = target
        .okta(
            reqwest::Method::GET,
            &format!("/api/v1/groups/{group}/users"),
            None,
        )
        .await
        .expect("members");
    seen.push(members.to_string());
    for login in [
        "ada@example.com",
        "before-1@example.com",
        "after-2@example.com",
    ] {
        seen.push(target.kiro_users_page(login).await.to_string());
    }
    let mut ide = Ide::new(
        &target.kiro,
        LOOPBACK_PORTS[2],
        Seed(5).stream("ide"),
        &sim_core::outbound::Trust::Platform,
    )
    .expect("ide");
    let cache = ide
        .sign_in("ada@example.com", "Correct-Horse-9")
        .await
        .expect("sign in");
    seen.push(cache.access_token.clone());
    seen.push(cache.refresh_token.clone().unwrap_or_default());
    seen
}

// covers: SIM-PERSIST-3
/// World A: users created, then SIGKILL, restart, then more users, a listing and a sign-in.
/// World B, on the same ports and seed, does the same without the kill. Both answer the
/// second half identically: ids, listings, Kiro's users, tokens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_continues_with_the_ids_and_tokens_the_world_would_have_given() {
    let first_half = |target: Target| async move {
        let group = target.group_id().await;
        for login in ["before-1@example.com", "before-2@example.com"] {
            let id = target
                .create_user(login)
                .await
                .expect("create")
                .expect("created");
            assert!(target.add_member(&group, &id).await.expect("member"));
        }
    };
    let a = state_dir("continue-a");
    let (mut child, ready, _stdout) = up(&a, None);
    let ports = ports_of(&ready);
    first_half(Target::of(&ready)).await;
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let (mut child, ready, _stdout) = up(&a, None);
    assert_eq!(ports_of(&ready), ports, "a restart keeps the ports");
    let restarted = second_half(&Target::of(&ready)).await;
    child.kill().expect("kill");
    let _ = child.wait();

    let b = state_dir("continue-b");
    let (mut child, ready, _stdout) = up(&b, Some(ports));
    first_half(Target::of(&ready)).await;
    let uninterrupted = second_half(&Target::of(&ready)).await;
    child.kill().expect("kill");
    let _ = child.wait();
    assert_eq!(restarted, uninterrupted);
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}

/// Runs `kiro-sim up --state DIR` expecting it to refuse: its exit status and stderr.
fn refused(dir: &Path) -> (Option<i32>, String) {
    let output = kiro_sim()
        .args(["up", "--state", dir.to_str().expect("utf-8")])
        .output()
        .expect("run kiro-sim");
    assert!(
        output.stdout.is_empty(),
        "no ready line when refusing: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        if entry.file_type().expect("type").is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
    }
}

/// Where each record of a journal file starts and how long it is (its 8-byte frame included):
/// the magic line, then per record a u32 LE payload length, a u32 LE CRC-32, the payload.
fn journal_records(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut at = bytes.iter().position(|b| *b == b'\n').expect("magic line") + 1;
    let mut records = Vec::new();
    while at + 8 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
        records.push((at, 8 + len));
        at += 8 + len;
    }
    records
}

fn only(dir: &Path, prefix: &str) -> PathBuf {
    std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .unwrap_or_else(|| panic!("no {prefix}* in {}", dir.display()))
}

// covers: SIM-PERSIST-4
/// A journal record changed by one bit, a journal record cut short before the end, a snapshot
/// cut short and a `world.json` that does not parse are refused at start, naming the file; a
/// record cut short at the very end (a kill during the append) is dropped with a warning and
/// the world continues.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_state_is_refused_and_a_torn_last_record_is_dropped() {
    let dir = state_dir("damaged");
    let (mut child, ready, _stdout) = up(&dir, None);
    let target = Target::of(&ready);
    for i in 0..3 {
        target
            .create_user(&format!("kept-{i}@example.com"))
            .await
            .expect("create")
            .expect("created");
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();

    let journal = only(&dir, "journal-");
    let bytes = std::fs::read(&journal).expect("journal");
    assert!(bytes.len() > 300, "three records journaled");

    let bad = state_dir("damaged-bit");
    copy_dir(&dir, &bad);
    let mut flipped = bytes.clone();
    let middle = bytes.len() / 2;
    flipped[middle] ^= 0x10;
    std::fs::write(only(&bad, "journal-"), &flipped).expect("write");
    let (code, stderr) = refused(&bad);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("journal-") && stderr.contains("checksum does not match"),
        "{stderr}"
    );

    let bad = state_dir("damaged-snapshot");
    copy_dir(&dir, &bad);
    let snapshot = only(&bad, "snapshot-");
    let snap = std::fs::read(&snapshot).expect("snapshot");
    std::fs::write(&snapshot, &snap[..snap.len() - 100]).expect("write");
    let (code, stderr) = refused(&bad);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("snapshot-") && stderr.contains("truncated"),
        "{stderr}"
    );

    let bad = state_dir("damaged-world");
    copy_dir(&dir, &bad);
    std::fs::write(bad.join("world.json"), b"{\"kind\": ").expect("write");
    let (code, stderr) = refused(&bad);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("world.json") && stderr.contains("does not parse"),
        "{stderr}"
    );

    // Cut in the middle of kept-2's record (the settle journaled after it goes too): what a
    // kill during that append leaves.
    let torn = state_dir("damaged-torn");
    copy_dir(&dir, &torn);
    let (start, len) = journal_records(&bytes)
        .into_iter()
        .find(|&(start, len)| {
            bytes[start..start + len]
                .windows(18)
                .any(|w| w == b"kept-2@example.com")
        })
        .expect("kept-2's record");
    std::fs::write(only(&torn, "journal-"), &bytes[..start + len / 2]).expect("write");
    let (mut child, ready, _stdout) = up(&torn, None);
    let target = Target::of(&ready);
    let logins: BTreeSet<String> = target
        .okta_all("/api/v1/users?limit=200")
        .await
        .iter()
        .filter_map(|u| u["profile"]["login"].as_str().map(str::to_string))
        .collect();
    assert!(logins.contains("kept-0@example.com") && logins.contains("kept-1@example.com"));
    assert!(
        !logins.contains("kept-2@example.com"),
        "the torn record is not applied"
    );
    child.kill().expect("kill");
    let _ = child.wait();
    for d in [&dir, &torn] {
        let _ = std::fs::remove_dir_all(d);
    }
    for name in ["damaged-bit", "damaged-snapshot", "damaged-world"] {
        let _ = std::fs::remove_dir_all(state_dir(name));
    }
}

/// The logins of every Okta user.
async fn logins(target: &Target) -> BTreeSet<String> {
    target
        .okta_all("/api/v1/users?limit=200")
        .await
        .iter()
        .filter_map(|u| u["profile"]["login"].as_str().map(str::to_string))
        .collect()
}

// covers: SIM-PERSIST-1
/// A checkpoint save is answered once journaled; its file is written meanwhile. A kill before
/// the file is complete (here: the file removed while the process is stopped, as if never
/// written) loses nothing: the restart saves the checkpoint again at the journal's place, with
/// the state it had, and restoring it gives that state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_whose_file_a_kill_cut_short_is_saved_again_on_restart() {
    let dir = state_dir("checkpoint-cut");
    let (mut child, ready, _stdout) = up(&dir, None);
    let ports = ports_of(&ready);
    let target = Target::of(&ready);
    target
        .create_user("before@example.com")
        .await
        .expect("before");
    let (status, saved) = target
        .okta(
            reqwest::Method::POST,
            "/_sim/snapshots",
            Some(json!({ "name": "c1" })),
        )
        .await
        .expect("save");
    assert_eq!(status, 201, "{saved}");
    target
        .create_user("after@example.com")
        .await
        .expect("after");
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    // The kill may have come before the file was written (what this test is about) or after:
    // either way, take it away.
    let file = dir.join("checkpoints").join("c1.snap");
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_file(file.with_extension("tmp"));

    let (mut child, ready, _stdout) = up(&dir, Some(ports));
    assert!(file.exists(), "saved again while the journal was replayed");
    let target = Target::of(&ready);
    let seen = logins(&target).await;
    assert!(seen.contains("after@example.com"), "{seen:?}");
    let (status, _) = target
        .okta(reqwest::Method::POST, "/_sim/snapshots/c1/restore", None)
        .await
        .expect("restore");
    assert_eq!(status, 200);
    let seen = logins(&target).await;
    assert!(
        seen.contains("before@example.com") && !seen.contains("after@example.com"),
        "the checkpoint holds the world as saved: {seen:?}"
    );
    child.kill().expect("kill");
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

// covers: SIM-PERSIST-1
/// Checkpoints, their restore and a reset are kept too: after a restore and a SIGKILL the world
/// is the restored one plus what came after, the checkpoint still listed; after a reset and a
/// SIGKILL it is the world right after setup.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_restore_and_a_reset_survive_sigkill() {
    let dir = state_dir("checkpoints");
    let (mut child, ready, _stdout) = up(&dir, None);
    let ports = ports_of(&ready);
    let target = Target::of(&ready);
    let post = |path: &str, body: Value| {
        let target = target.clone();
        let path = path.to_string();
        async move {
            target
                .okta(reqwest::Method::POST, &path, Some(body))
                .await
                .expect("post")
                .0
        }
    };
    target.create_user("a@example.com").await.expect("a");
    assert_eq!(post("/_sim/snapshots", json!({ "name": "c1" })).await, 201);
    target.create_user("b@example.com").await.expect("b");
    assert_eq!(post("/_sim/snapshots/c1/restore", json!({})).await, 200);
    target.create_user("c@example.com").await.expect("c");
    child.kill().expect("SIGKILL");
    let _ = child.wait();

    let (mut child, ready, _stdout) = up(&dir, Some(ports));
    let target = Target::of(&ready);
    let seen = logins(&target).await;
    assert!(
        seen.contains("a@example.com") && seen.contains("c@example.com"),
        "{seen:?}"
    );
    assert!(
        !seen.contains("b@example.com"),
        "undone by the restore: {seen:?}"
    );
    let (_, list) = target
        .okta(reqwest::Method::GET, "/_sim/snapshots", None)
        .await
        .expect("list");
    assert_eq!(list["snapshots"][0]["name"], "c1", "{list}");
    let (status, _) = target
        .okta(reqwest::Method::POST, "/_sim/reset", None)
        .await
        .expect("reset");
    assert_eq!(status, 200);
    child.kill().expect("SIGKILL");
    let _ = child.wait();

    let (mut child, ready, _stdout) = up(&dir, Some(ports));
    let seen = logins(&Target::of(&ready)).await;
    assert_eq!(
        seen,
        BTreeSet::from(["ada@example.com".to_string(), "bob@example.com".to_string()]),
        "the reset world: the documented setup's users only"
    );
    child.kill().expect("kill");
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
