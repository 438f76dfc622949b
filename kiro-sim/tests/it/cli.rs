//! The `kiro-sim` binary's contract with scripts and containers: one JSON ready line on stdout,
//! logs on stderr, clean exit on SIGTERM, exit status 2 on bad flags.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use crate::support;
use support::{Started, kiro_sim, start};

fn start_dns(extra: &[&str]) -> Started {
    let mut args = vec!["dns", "--dns-port", "0", "--api-port", "0", "--seed", "42"];
    args.extend_from_slice(extra);
    start(&args)
}

/// Sends SIGTERM and returns the exit status and what was left on stdout.
fn terminate(mut child: Child, mut stdout: BufReader<std::process::ChildStdout>) -> (i32, String) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    let mut rest = String::new();
    stdout
        .read_to_string(&mut rest)
        .expect("read rest of stdout");
    let status = child.wait().expect("wait");
    (status.code().unwrap_or(-1), rest)
}

/// A minimal HTTP/1.1 GET over a plain socket.
fn http_get(base: &str, path: &str) -> String {
    http_send(base, "GET", path, None)
}

#[test]
fn dns_prints_one_ready_line_serves_and_exits_cleanly_on_sigterm() {
    let (child, ready, stdout) = start_dns(&["--zone", "example.com"]);
    assert_eq!(ready["event"], "ready");
    assert_eq!(ready["clock"], "virtual");
    assert_eq!(ready["seed"], 42);
    let dns = ready["dns"].as_str().expect("dns address");
    assert!(
        dns.starts_with("127.0.0.1:") && !dns.ends_with(":0"),
        "{dns}"
    );
    let api = ready["dns_api"].as_str().expect("dns_api url");
    assert!(api.starts_with("http://127.0.0.1:"), "{api}");
    assert_eq!(
        ready["dns_api_token"].as_str().map(str::len),
        Some(40),
        "{ready}"
    );

    // Without --epoch, virtual time starts at the wall-clock now (whole seconds), so outside
    // JWT verifiers accept what the world signs.
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis();
    let clock = http_get(api, "/_sim/clock");
    assert!(clock.starts_with("HTTP/1.1 200"), "{clock}");
    let body: serde_json::Value =
        serde_json::from_str(clock.split("\r\n\r\n").nth(1).expect("a body")).expect("json");
    let now = body["unix_ms"].as_u64().expect("unix_ms") as u128;
    assert_eq!(now % 1000, 0, "{clock}");
    assert!(
        now + 60_000 >= wall && now <= wall + 1_000,
        "{clock} vs wall {wall}"
    );

    let (code, rest) = terminate(child, stdout);
    assert_eq!(code, 0, "clean exit on SIGTERM");
    assert_eq!(rest, "", "nothing but the ready line goes to stdout");
}

#[test]
fn up_runs_the_whole_world_on_one_clock() {
    let (child, ready, stdout) = start(&[
        "up",
        "--dns-port",
        "0",
        "--dns-api-port",
        "0",
        "--okta-port",
        "0",
        "--kiro-port",
        "0",
        "--seed",
        "3",
        "--epoch",
        "2026-01-01T00:00:00Z",
    ]);
    for key in [
        "dns",
        "dns_api",
        "dns_api_token",
        "okta",
        "okta_api_token",
        "kiro",
        "kiro_admin_token",
    ] {
        assert!(ready[key].is_string(), "{key} missing from {ready}");
    }
    // The sandbox home, named in the ready line and on stderr (SIM-HOME-1).
    let home = ready["home_url"].as_str().expect("home_url");
    assert_eq!(
        home,
        format!("{}/_sim/home", ready["kiro"].as_str().expect("kiro"))
    );
    let page = http_get(ready["kiro"].as_str().expect("kiro"), "/_sim/home");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("Pending jobs"), "{page}");
    let mut child = child;
    let mut stderr = child.stderr.take().expect("stderr");
    // Advancing the clock through mock-kiro moves mock-okta's time too: one world clock.
    let kiro = ready["kiro"]
        .as_str()
        .expect("kiro")
        .trim_start_matches("http://");
    let mut stream = TcpStream::connect(kiro).expect("connect");
    let body = r#"{"by":"24h"}"#;
    write!(
        stream,
        "POST /_sim/clock/advance HTTP/1.1\r\nHost: {kiro}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let okta_clock = http_get(ready["okta"].as_str().expect("okta"), "/_sim/clock");
    assert!(
        okta_clock.contains(r#""now":"2026-01-02T00:00:00.000Z""#),
        "{okta_clock}"
    );
    let (code, rest) = terminate(child, stdout);
    assert_eq!((code, rest.as_str()), (0, ""));
    let mut logs = String::new();
    stderr.read_to_string(&mut logs).expect("read stderr");
    assert!(logs.contains(home), "the home URL on stderr: {logs}");
}

#[test]
fn up_with_the_documented_setup_announces_a_working_org() {
    let (child, ready, stdout) = start(&[
        "up",
        "--dns-port",
        "0",
        "--dns-api-port",
        "0",
        "--okta-port",
        "0",
        "--kiro-port",
        "0",
        "--setup",
        "documented",
    ]);
    for key in [
        "kiro_scim_url",
        "kiro_scim_token",
        "kiro_profile_arn",
        "okta_oidc_client_id",
        "okta_issuer",
    ] {
        assert!(ready[key].is_string(), "{key} missing from {ready}");
    }
    assert_eq!(ready["users"][0]["login"], "ada@example.com");
    // Okta pushed both users to Kiro before "ready".
    let scim = ready["kiro_scim_url"].as_str().expect("scim url");
    let (host, path) = scim
        .trim_start_matches("http://")
        .split_once('/')
        .expect("path");
    let mut stream = TcpStream::connect(host).expect("connect");
    write!(
        stream,
        "GET /{path}/Users HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        ready["kiro_scim_token"].as_str().expect("token")
    )
    .expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    assert!(answer.contains(r#""totalResults":2"#), "{answer}");
    terminate(child, stdout);
}

#[test]
fn okta_prints_its_org_url_and_api_token() {
    let (child, ready, stdout) = start(&["okta", "--port", "0", "--seed", "7"]);
    assert_eq!(ready["event"], "ready");
    let okta = ready["okta"].as_str().expect("okta url");
    assert!(okta.starts_with("http://127.0.0.1:"), "{okta}");
    let token = ready["okta_api_token"].as_str().expect("token");
    assert!(token.starts_with("00") && token.len() == 42, "{token}");
    let clock = http_get(okta, "/_sim/clock");
    assert!(clock.starts_with("HTTP/1.1 200"), "{clock}");
    let unauthenticated = http_get(okta, "/api/v1/users");
    assert!(
        unauthenticated.starts_with("HTTP/1.1 401"),
        "{unauthenticated}"
    );
    assert!(unauthenticated.contains("E0000011"), "{unauthenticated}");
    let (code, rest) = terminate(child, stdout);
    assert_eq!((code, rest.as_str()), (0, ""));
}

#[test]
fn kiro_prints_its_url_and_admin_token() {
    let (child, ready, stdout) = start(&["kiro", "--port", "0", "--dns", "127.0.0.1:1"]);
    let kiro = ready["kiro"].as_str().expect("kiro url");
    assert!(kiro.starts_with("http://127.0.0.1:"), "{kiro}");
    assert_eq!(ready["kiro_admin_token"].as_str().map(str::len), Some(40));
    let clock = http_get(kiro, "/_sim/clock");
    assert!(clock.starts_with("HTTP/1.1 200"), "{clock}");
    let (code, rest) = terminate(child, stdout);
    assert_eq!((code, rest.as_str()), (0, ""));
}

#[test]
fn sigterm_right_after_the_ready_line_is_a_clean_exit() {
    // The handlers are installed before "ready" is printed, so no start can lose the race.
    for _ in 0..5 {
        let (child, _, stdout) = start(&["okta", "--port", "0"]);
        assert_eq!(terminate(child, stdout), (0, String::new()));
    }
}

#[test]
fn the_same_seed_gives_the_same_token() {
    let (a, ready_a, out_a) = start_dns(&[]);
    let (b, ready_b, out_b) = start_dns(&[]);
    assert_eq!(ready_a["dns_api_token"], ready_b["dns_api_token"]);
    terminate(a, out_a);
    terminate(b, out_b);
}

#[test]
fn tls_serves_https_and_writes_the_ca_where_asked() {
    let dir = std::env::temp_dir().join(format!("kiro-sim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let ca = dir.join("ca.pem");
    let ca_arg = ca.to_str().expect("utf-8 path");
    let (child, ready, stdout) = start_dns(&["--tls", "--ca-out", ca_arg]);
    let api = ready["dns_api"].as_str().expect("dns_api url");
    assert!(api.starts_with("https://localhost:"), "{api}");
    assert_eq!(ready["ca_pem"], ca_arg);
    let pem = std::fs::read_to_string(&ca).expect("CA written");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    terminate(child, stdout);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_flags_exit_2_with_a_clear_message() {
    for (args, expected) in [
        (&["dns", "--bogus"][..], "unexpected argument '--bogus'"),
        (&["dns", "--clock", "wall"][..], "unknown clock mode `wall`"),
        (
            &["dns", "--propagation-delay", "soon"][..],
            "is not a duration",
        ),
        (&["dns", "--ca-out", "x.pem"][..], "--tls"),
        (&["launch"][..], "unrecognized subcommand 'launch'"),
        (&["okta", "--rate-limit", "0"][..], "--rate-limit"),
    ] {
        let output = kiro_sim().args(args).output().expect("run kiro-sim");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn a_port_in_use_is_a_clear_error_not_a_panic() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let output = kiro_sim()
        .args(["dns", "--dns-port", "0", "--api-port", &port])
        .output()
        .expect("run kiro-sim");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot bind the DNS provider API"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "no ready line when start fails");
}

/// Runs `kiro-sim ide …` and returns (exit code, stdout JSON).
fn ide(args: &[&str]) -> (i32, serde_json::Value) {
    let output = kiro_sim()
        .arg("ide")
        .args(args)
        .output()
        .expect("run kiro-sim ide");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let json = serde_json::from_str(stdout.trim()).unwrap_or(serde_json::Value::Null);
    assert!(
        output.status.success() || json.is_null(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), json)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ide_signs_in_and_uses_kiro_against_kiro_sim_up() {
    let (child, ready, stdout) = start(&[
        "up",
        "--dns-port",
        "0",
        "--dns-api-port",
        "0",
        "--okta-port",
        "0",
        "--kiro-port",
        "0",
        "--zone",
        "example.com",
    ]);
    let s = |k: &str| ready[k].as_str().expect(k).to_string();
    let c = sim_world::clients::Clients::new(
        &s("okta"),
        &s("okta_api_token"),
        &s("kiro"),
        &s("kiro_admin_token"),
        &s("dns_api"),
        &s("dns_api_token"),
        &sim_core::outbound::Trust::Platform,
    )
    .expect("clients");
    let user = c
        .okta
        .create_user("ada@example.com", "Ada", "Lovelace", "Correct-Horse-9")
        .await
        .expect("user");
    let client_id = c.okta.create_kiro_oidc_app("Kiro-OIDC").await.expect("app");
    c.okta.assign_user(&client_id, &user).await.expect("assign");
    let server = c
        .okta
        .create_auth_server("Kiro", "api://kiro")
        .await
        .expect("server");
    for scope in ["codewhisperer:completions", "codewhisperer:conversations"] {
        c.okta
            .add_scope(&server.id, scope, scope)
            .await
            .expect("scope");
    }
    c.okta
        .create_policy_with_rule(
            &server.id,
            "Kiro",
            &[&client_id],
            &["authorization_code", "refresh_token"],
            &[
                "openid",
                "offline_access",
                "codewhisperer:completions",
                "codewhisperer:conversations",
            ],
        )
        .await
        .expect("policy");
    let profile = c
        .kiro
        .create_profile("Example", &server.issuer, &client_id)
        .await
        .expect("profile");
    let (record, token) = c
        .kiro
        .add_domain(&profile.id, "example.com")
        .await
        .expect("domain");
    let zone = c.dns.zone("example.com").await.expect("zone");
    c.dns.create_txt(&zone, &record, &token).await.expect("txt");
    assert_eq!(
        c.kiro
            .verify_domain(&profile.id, "example.com")
            .await
            .expect("verify"),
        "VERIFIED"
    );
    let scim_token = c
        .kiro
        .create_scim_token(&profile.id)
        .await
        .expect("scim token");
    let scim_user: serde_json::Value = reqwest::Client::new()
        .post(format!(
            "{}/Users",
            profile.scim_endpoint.trim_end_matches('/')
        ))
        .bearer_auth(&scim_token)
        .json(&serde_json::json!({
            "externalId": user, "userName": "ada@example.com", "displayName": "Ada Lovelace",
            "name": { "givenName": "Ada", "familyName": "Lovelace" }, "active": true,
        }))
        .send()
        .await
        .expect("scim")
        .json()
        .await
        .expect("scim json");
    c.kiro
        .subscribe(
            &profile.id,
            "USER",
            scim_user["id"].as_str().expect("id"),
            "PRO",
        )
        .await
        .expect("subscribe");

    let dir = std::env::temp_dir().join(format!("kiro-sim-ide-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let cache = dir.join("kiro-auth-token.json");
    let cache_arg = cache.to_str().expect("utf-8");
    let kiro = s("kiro");
    let common = ["--kiro", kiro.as_str(), "--cache", cache_arg];
    let (code, login) = ide(&[
        &["login"][..],
        &common,
        &[
            "--email",
            "ada@example.com",
            "--password",
            "Correct-Horse-9",
            "--port",
            "4649",
        ],
    ]
    .concat());
    assert_eq!(
        (code, &login["signedIn"]),
        (0, &serde_json::json!(true)),
        "{login}"
    );
    let cached: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cache).expect("cache file")).expect("json");
    assert_eq!(cached["issuerUrl"], server.issuer.as_str());
    assert_eq!(cached["clientId"], client_id.as_str());
    let (code, completion) = ide(&[&["complete"][..], &common].concat());
    assert_eq!(code, 0);
    assert!(
        completion["completions"][0]["content"].is_string(),
        "{completion}"
    );
    let (code, chat) = ide(&[&["chat"][..], &common, &["--message", "hello"]].concat());
    assert_eq!(code, 0);
    assert!(chat["assistantResponse"]["content"].is_string(), "{chat}");
    let (code, status) = ide(&[&["status"][..], &common].concat());
    assert_eq!(code, 0);
    assert_eq!(
        status["usage"]["subscriptionInfo"]["subscriptionTitle"], "KIRO PRO",
        "{status}"
    );
    let _ = std::fs::remove_dir_all(dir);
    terminate(child, stdout);
}

// covers: SIM-TLS-1
/// `kiro-sim up --tls --setup documented` (which once failed with "scheme is not http"): the
/// setup and Okta's push run over https, the ready line names the CA file, and `kiro-sim ide`
/// trusting that file signs Ada in and completes code.
#[test]
fn up_over_tls_with_the_documented_setup_serves_the_ide() {
    let (child, ready, stdout) = start(&[
        "up",
        "--tls",
        "--dns-port",
        "0",
        "--dns-api-port",
        "0",
        "--okta-port",
        "0",
        "--kiro-port",
        "0",
        "--setup",
        "documented",
    ]);
    let s = |k: &str| ready[k].as_str().expect(k).to_string();
    let (kiro, issuer, ca) = (s("kiro"), s("okta_issuer"), s("ca_pem"));
    assert!(
        kiro.starts_with("https://") && issuer.starts_with("https://"),
        "{ready}"
    );
    let pem = std::fs::read_to_string(&ca).expect("the CA file the ready line names");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");

    let dir = std::env::temp_dir().join(format!("kiro-sim-ide-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let cache = dir.join("kiro-auth-token.json");
    let cache_arg = cache.to_str().expect("utf-8");
    let common = [
        "--kiro",
        kiro.as_str(),
        "--cache",
        cache_arg,
        "--ca",
        ca.as_str(),
    ];
    let password = ready["users"][0]["password"].as_str().expect("password");
    let (code, login) = ide(&[
        &["login"][..],
        &common,
        &[
            "--email",
            "ada@example.com",
            "--password",
            password,
            "--port",
            "6588",
        ],
    ]
    .concat());
    assert_eq!(
        (code, &login["signedIn"]),
        (0, &serde_json::json!(true)),
        "{login}"
    );
    let (code, completion) = ide(&[&["complete"][..], &common].concat());
    assert_eq!(code, 0);
    assert!(
        completion["completions"][0]["content"].is_string(),
        "{completion}"
    );
    // Without the CA, the IDE cannot reach an https world at all.
    let (code, _) = ide(&[
        &["status"][..],
        &["--kiro", kiro.as_str(), "--cache", cache_arg],
    ]
    .concat());
    assert_ne!(code, 0, "an untrusted https service is refused");
    terminate(child, stdout);
    let _ = std::fs::remove_dir_all(dir);
}

// covers: SIM-ENV-1, SIM-HOST-1
#[test]
fn up_takes_every_setting_from_the_environment_and_advertises_the_host() {
    let mut child = kiro_sim()
        .arg("up")
        .env("KIRO_SIM_SEED", "7")
        .env("KIRO_SIM_BIND", "0.0.0.0")
        .env("KIRO_SIM_ADVERTISED_HOST", "localhost")
        .env("KIRO_SIM_DNS_PORT", "0")
        .env("KIRO_SIM_DNS_API_PORT", "0")
        .env("KIRO_SIM_OKTA_PORT", "0")
        .env("KIRO_SIM_KIRO_PORT", "0")
        .env("KIRO_SIM_ZONE", "example.com,example.org")
        .env("KIRO_SIM_SETUP", "documented")
        .env("KIRO_SIM_EPOCH", "2027-03-01T00:00:00Z")
        .env("KIRO_SIM_SYNC_DELAY", "1h")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kiro-sim");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("read ready line");
    let ready: serde_json::Value = serde_json::from_str(&line).expect("ready line is JSON");
    assert_eq!(ready["seed"], 7, "{ready}");
    for key in ["okta", "kiro", "dns_api", "okta_issuer", "kiro_scim_url"] {
        assert!(
            ready[key]
                .as_str()
                .is_some_and(|url| url.starts_with("http://localhost:")),
            "{key}: {ready}"
        );
    }
    let okta = ready["okta"]
        .as_str()
        .expect("okta")
        .replace("localhost", "127.0.0.1");
    let clock = http_get(&okta, "/_sim/clock");
    assert!(clock.contains(r#""now":"2027-03-01T00:"#), "{clock}");
    let readiness = http_get(&okta, "/_sim/ready");
    assert!(readiness.starts_with("HTTP/1.1 200"), "{readiness}");
    assert!(readiness.contains(r#""ready":true"#), "{readiness}");
    let (code, _) = terminate(child, stdout);
    assert_eq!(code, 0);
}

/// A setup file: the documented OIDC side and profile (a user, an app), a second user, a
/// group with both, assigned to the app.
const SETUP_FILE: &str = "\
name: a training org
seed: 99
actors: { okta: okta-admin, kiro: kiro-admin, dns: dns-admin }
steps:
  - use: documented-setup
  - okta.create_user: { login: bob@example.com, first: Bob, last: Builder, password: Correct-Horse-9 }
    save: { bob: $.id }
  - okta.create_group: { name: Engineering }
    save: { group: $.id }
  - okta.add_member: { group: \"${group}\", user: \"${user_id}\" }
  - okta.add_member: { group: \"${group}\", user: \"${bob}\" }
  - okta.assign_group: { app: \"${client_id}\", group: \"${group}\" }
";

fn write_temp(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("kiro-sim-{}-{name}", std::process::id()));
    std::fs::write(&path, text).expect("write the setup file");
    path
}

/// A minimal HTTP/1.1 request without a body over a plain socket (with an `Authorization`
/// header when given); the whole answer, status line included.
fn http_send(base: &str, method: &str, path: &str, auth: Option<&str>) -> String {
    let addr = base.trim_start_matches("http://").trim_end_matches('/');
    let auth = auth
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    let mut stream = TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response
}

// covers: SIM-SETUP-1
#[test]
fn up_applies_a_setup_file_before_ready_and_after_every_reset() {
    let file = write_temp("setup.yaml", SETUP_FILE);
    let (child, ready, stdout) = start(&[
        "up",
        "--dns-port",
        "0",
        "--dns-api-port",
        "0",
        "--okta-port",
        "0",
        "--kiro-port",
        "0",
        "--setup-file",
        file.to_str().expect("utf-8 path"),
    ]);
    let setup = &ready["setup"];
    for key in [
        "user_id",
        "bob",
        "group",
        "client_id",
        "profile",
        "scim_token",
    ] {
        assert!(setup[key].is_string(), "{key} missing from {setup}");
    }
    assert!(
        setup.get("okta_url").is_none(),
        "only saved variables: {setup}"
    );
    // The world holds what the file made: the group's two members.
    let okta = ready["okta"].as_str().expect("okta url").to_string();
    let token = format!("SSWS {}", ready["okta_api_token"].as_str().expect("token"));
    let group = setup["group"].as_str().expect("group");
    let members = http_send(
        &okta,
        "GET",
        &format!("/api/v1/groups/{group}/users"),
        Some(&token),
    );
    assert!(members.starts_with("HTTP/1.1 200"), "{members}");
    assert_eq!(members.matches("\"login\"").count(), 2, "{members}");
    // A reset re-applies the file: the same ids and tokens, in the answer and /_sim/ready.
    let reset = http_send(&okta, "POST", "/_sim/reset", None);
    let body = reset.split("\r\n\r\n").nth(1).expect("body");
    let reset: serde_json::Value = serde_json::from_str(body).expect("reset JSON");
    assert_eq!(reset["setup"], *setup);
    let again = http_get(&okta, "/_sim/ready");
    let body = again.split("\r\n\r\n").nth(1).expect("body");
    let again: serde_json::Value = serde_json::from_str(body).expect("ready JSON");
    assert_eq!(again["setup"], *setup);
    let members = http_send(
        &okta,
        "GET",
        &format!("/api/v1/groups/{group}/users"),
        Some(&token),
    );
    assert_eq!(members.matches("\"login\"").count(), 2, "{members}");
    let (code, rest) = terminate(child, stdout);
    assert_eq!((code, rest.as_str()), (0, ""));
    let _ = std::fs::remove_file(file);
}

// covers: SIM-SETUP-1
#[test]
fn a_bad_setup_file_is_a_clear_error_at_start_without_a_ready_line() {
    let unknown_action = write_temp(
        "bad.yaml",
        "name: bad\nactors: { okta: okta-admin }\nsteps:\n  - okta.create_usr: { login: a@example.com }\n",
    );
    let failing_step = write_temp(
        "failing.yaml",
        "name: failing\nactors: { okta: okta-admin }\nsteps:\n  - okta.create_group: { name: Engineering }\n    expect: { status: 404 }\n",
    );
    let ide_step = write_temp(
        "ide.yaml",
        "name: ide\nactors: { ada: { ide: ada@example.com } }\nsteps:\n  - ada.sign_in:\n",
    );
    let missing = std::env::temp_dir().join("kiro-sim-no-such-setup.yaml");
    for (file, expected) in [
        (
            &ide_step,
            "ide.yaml:4:5: `ada.sign_in` acts as the IDE user".to_string(),
        ),
        (&unknown_action, ":4:5: ".to_string()),
        (&failing_step, "step 1 `okta.create_group`".to_string()),
        (&missing, "cannot read the file".to_string()),
    ] {
        let output = kiro_sim()
            .args(["up", "--dns-port", "0", "--dns-api-port", "0"])
            .args(["--okta-port", "0", "--kiro-port", "0"])
            .env("KIRO_SIM_SETUP_FILE", file)
            .output()
            .expect("run kiro-sim");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{file:?}: {stderr}");
        assert!(stderr.contains(&expected), "{file:?}: {stderr}");
        assert!(output.stdout.is_empty(), "no ready line: {file:?}");
    }
    let _ = std::fs::remove_file(unknown_action);
    let _ = std::fs::remove_file(failing_step);
    let _ = std::fs::remove_file(ide_step);
}

/// Runs `kiro-sim ARGS…` to completion: exit status, stdout, stderr.
fn run(args: &[&str]) -> (i32, String, String) {
    let output = kiro_sim().args(args).output().expect("run kiro-sim");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

// covers: SIM-SNAP-4
#[test]
fn snapshot_save_list_and_restore_talk_to_a_running_world() {
    let (child, ready, stdout) = start(&[
        "up",
        "--dns-port",
        "0",
        "--dns-api-port",
        "0",
        "--okta-port",
        "0",
        "--kiro-port",
        "0",
    ]);
    let file = write_temp("ready.json", &format!("{ready}\n"));
    let file = file.to_str().expect("utf-8 path");

    let (status, out, err) = run(&["snapshot", "save", "after-step-3", "--ready", file]);
    assert_eq!(status, 0, "{err}");
    let saved: serde_json::Value = serde_json::from_str(out.trim()).expect("JSON answer");
    assert_eq!(saved["name"], "after-step-3");

    let (status, out, err) = run(&["snapshot", "list", "--ready", file]);
    assert_eq!(status, 0, "{err}");
    let listed: serde_json::Value = serde_json::from_str(out.trim()).expect("JSON answer");
    assert_eq!(listed["snapshots"][0]["name"], "after-step-3");

    let (status, out, err) = run(&["snapshot", "restore", "after-step-3", "--ready", file]);
    assert_eq!(status, 0, "{err}");
    assert!(out.contains("\"restored\""), "{out}");

    let (status, _, err) = run(&["snapshot", "restore", "nope", "--ready", file]);
    assert_eq!(status, 1);
    assert!(err.contains("no checkpoint named `nope`"), "{err}");
    let (status, _, err) = run(&["snapshot", "list", "--ready", "/nonexistent/ready.json"]);
    assert_eq!(status, 1);
    assert!(err.contains("reading the ready line"), "{err}");

    let (code, _) = terminate(child, stdout);
    assert_eq!(code, 0);
}

// covers: SIM-STATE-4
#[test]
fn export_prints_a_world_as_a_setup_file_that_recreates_it() {
    let up = |seed: &str, setup: &[&str]| {
        let mut args = vec![
            "up",
            "--dns-port",
            "0",
            "--dns-api-port",
            "0",
            "--okta-port",
            "0",
            "--kiro-port",
            "0",
            "--seed",
            seed,
        ];
        args.extend_from_slice(setup);
        start(&args)
    };
    let (child, ready, stdout) = up("5", &["--setup", "documented"]);
    let kiro = ready["kiro"].as_str().expect("kiro URL").to_string();

    // GET /_sim/export on the sandbox's front answers the file as YAML.
    let answer = http_get(&kiro, "/_sim/export");
    let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/yaml"),
        "{head}"
    );
    for step in [
        "okta.create_user",
        "okta.create_oidc_app",
        "okta.push_group",
        "kiro.create_scim_token",
        "kiro.verify_domain",
        "dns.create_record",
    ] {
        assert!(body.contains(step), "{step} missing from\n{body}");
    }
    // The home page links to it.
    assert!(http_get(&kiro, "/_sim/home").contains("href=\"/_sim/export\""));

    // `kiro-sim export --ready FILE` prints the same file.
    let file = write_temp("export-ready.json", &format!("{ready}\n"));
    let (status, exported, err) = run(&["export", "--ready", file.to_str().expect("utf-8")]);
    assert_eq!(status, 0, "{err}");
    assert_eq!(exported, body);

    // Applied by another `up` (another seed) as its setup file, it recreates the world: the
    // recreated world exports the same file (`--url`).
    let setup = write_temp("exported.yaml", &exported);
    let (child2, ready2, stdout2) = up("6", &["--setup-file", setup.to_str().expect("utf-8")]);
    let kiro2 = ready2["kiro"].as_str().expect("kiro URL");
    let (status, again, err) = run(&["export", "--url", kiro2]);
    assert_eq!(status, 0, "{err}");
    assert_eq!(again, exported);

    let (status, _, err) = run(&["export", "--ready", "/nonexistent/ready.json"]);
    assert_eq!(status, 1);
    assert!(err.contains("reading the ready line"), "{err}");

    assert_eq!(terminate(child2, stdout2).0, 0);
    assert_eq!(terminate(child, stdout).0, 0);
}
