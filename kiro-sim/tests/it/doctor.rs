//! `kiro-sim doctor` against `kiro-sim up --setup documented`: the ready line from a file or
//! stdin, explicit systems, the human report and `--json`, exit statuses 0 (clean), 1
//! (findings) and 2 (a system cannot be read).

// covers: DOC-35

use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Output, Stdio};

use crate::support;
use support::{kiro_sim, start};

/// A started world, stopped (SIGTERM, then waited for) when dropped, also when a test fails.
struct Up {
    child: Child,
    /// Kept open: the world's stdout stays a live pipe until it is stopped.
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Drop for Up {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// Starts `kiro-sim up --setup documented` on free ports; returns the child and its ready line.
fn start_documented() -> (Up, String) {
    let (mut child, ready, stdout) = start(&[
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
    // Its logs are not looked at: drain them, so a full pipe never stalls the world.
    if let Some(mut logs) = child.stderr.take() {
        std::thread::spawn(move || std::io::copy(&mut logs, &mut std::io::sink()));
    }
    (
        Up {
            child,
            _stdout: stdout,
        },
        ready.to_string(),
    )
}

/// Runs `kiro-sim doctor ARGS…` with `stdin` as its input.
fn doctor(args: &[&str], stdin: &str) -> Output {
    let mut child = kiro_sim()
        .arg("doctor")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kiro-sim doctor");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("doctor output")
}

/// A minimal HTTP/1.1 request without a body; the whole answer, status line included.
fn http_send(base: &str, method: &str, path: &str, auth: &str) -> String {
    let addr = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {auth}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn doctor_reports_exit_codes_and_json_against_kiro_sim_up() {
    let (_up, line) = start_documented();
    let ready: serde_json::Value = serde_json::from_str(&line).expect("ready line");
    let file = std::env::temp_dir().join(format!("kiro-sim-doctor-{}.json", std::process::id()));
    std::fs::write(&file, &line).expect("write ready file");
    let file_arg = file.to_str().expect("path");

    // The documented world: clean, exit 0, every step ✓.
    let out = doctor(&["--ready", file_arg], "");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("✓ Step 1: Create OIDC application"),
        "{stdout}"
    );
    assert!(stdout.contains("No deviation from the guide."), "{stdout}");

    // Break Step 2: deactivate the Kiro access policy.
    let okta = ready["okta"].as_str().expect("okta");
    let token = ready["okta_api_token"].as_str().expect("token");
    let issuer = ready["okta_issuer"].as_str().expect("issuer");
    let server = issuer.rsplit('/').next().expect("server");
    let auth = format!("SSWS {token}");
    let policies = http_send(
        okta,
        "GET",
        &format!("/api/v1/authorizationServers/{server}/policies"),
        &auth,
    );
    let body = policies.split("\r\n\r\n").nth(1).expect("body");
    let body = body.find('[').map(|i| &body[i..]).expect("json list");
    let end = body.rfind(']').expect("end of list");
    let list: serde_json::Value = serde_json::from_str(&body[..=end]).expect("policies");
    let policy = list[0]["id"].as_str().expect("policy id");
    let answer = http_send(
        okta,
        "POST",
        &format!("/api/v1/authorizationServers/{server}/policies/{policy}/lifecycle/deactivate"),
        &auth,
    );
    assert!(answer.starts_with("HTTP/1.1 2"), "{answer}");

    // From stdin, as JSON: exit 1 and exactly that finding.
    let out = doctor(&["--ready", "-", "--json"], &line);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("--json prints JSON");
    assert_eq!(report["clean"], false);
    assert_eq!(report["findings"][0]["id"], "DOC-11");
    assert_eq!(
        report["findings"][0]["step"],
        "Step 2: Set up custom scopes"
    );
    assert_eq!(report["findings"].as_array().map(Vec::len), Some(1));

    // Okta alone, named explicitly: the same finding, Kiro and DNS skipped with a note.
    let out = doctor(&["--okta", okta, "--okta-token", token], "");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("✗ Step 2: Set up custom scopes"),
        "{stdout}"
    );
    assert!(stdout.contains("[DOC-11]"), "{stdout}");
    assert!(stdout.contains("note: Kiro not given"), "{stdout}");
    assert!(stdout.contains("note: DNS not given"), "{stdout}");

    // A bad token: the system cannot be read, exit 2 with Okta's error.
    let out = doctor(&["--okta", okta, "--okta-token", "wrong"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("401"), "{}", text(&out.stderr));

    let _ = std::fs::remove_file(&file);
}
