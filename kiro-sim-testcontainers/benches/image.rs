//! The figures issue 12 sets targets for, printed by `cargo xtask bench image` (which builds the
//! image first): image size (≤ 30 MB), `docker run` → `/_sim/ready` 200 (≤ 500 ms median),
//! reset on the documented world (≤ 10 ms median), module start → first successful call
//! (≤ 1 s). Containers use host networking and 127.0.0.1 only.

use std::process::Command;
use std::time::{Duration, Instant};

use kiro_sim_testcontainers::{IMAGE_NAME, IMAGE_TAG, KiroSim, Ports};

const RUNS: usize = 5;
const RESETS: usize = 20;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn docker(args: &[&str]) -> String {
    let output = Command::new("docker")
        .args(args)
        .output()
        .expect("run docker");
    assert!(
        output.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// `docker run` on free ports until `/_sim/ready` answers 200; returns the milliseconds and the
/// container id (still running).
async fn run_until_ready(http: &reqwest::Client) -> (f64, String, Ports) {
    let ports = Ports::free().expect("free ports");
    let image = format!("{IMAGE_NAME}:{IMAGE_TAG}");
    let env = [
        format!("KIRO_SIM_DNS_PORT={}", ports.dns),
        format!("KIRO_SIM_DNS_API_PORT={}", ports.dns_api),
        format!("KIRO_SIM_OKTA_PORT={}", ports.okta),
        format!("KIRO_SIM_KIRO_PORT={}", ports.kiro),
        "KIRO_SIM_BIND=127.0.0.1".to_string(),
        "KIRO_SIM_SETUP=documented".to_string(),
        "KIRO_SIM_ZONE=example.com".to_string(),
    ];
    let mut args = vec!["run", "-d", "--rm", "--network", "host"];
    for e in &env {
        args.extend(["-e", e.as_str()]);
    }
    args.extend([image.as_str(), "up"]);
    let ready = format!("http://127.0.0.1:{}/_sim/ready", ports.okta);
    let started = Instant::now();
    let id = docker(&args);
    // Bounded: 10 s of polling.
    while started.elapsed() < Duration::from_secs(10) {
        if let Ok(r) = http.get(&ready).send().await
            && r.status() == 200
        {
            return (started.elapsed().as_secs_f64() * 1000.0, id, ports);
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    panic!("the container {id} was not ready within 10 s");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if !kiro_sim_testcontainers::docker_engine_answers() {
        println!("{}", kiro_sim_testcontainers::SKIPPED_NO_ENGINE);
        return;
    }
    let image = format!("{IMAGE_NAME}:{IMAGE_TAG}");
    let size: f64 = docker(&["image", "inspect", "--format", "{{.Size}}", &image])
        .parse()
        .expect("size");
    println!("image size: {:.1} MB (target ≤ 30 MB)", size / 1e6);

    let http = reqwest::Client::new();
    let mut ready_ms = Vec::new();
    let mut last = None;
    for _ in 0..RUNS {
        let (ms, id, ports) = run_until_ready(&http).await;
        ready_ms.push(ms);
        if let Some((old, _)) = last.replace((id, ports)) {
            docker(&["rm", "-f", &old]);
        }
    }
    println!(
        "docker run → /_sim/ready 200: median {:.0} ms over {RUNS} runs (target ≤ 500 ms); all: {:?}",
        median(ready_ms.clone()),
        ready_ms.iter().map(|ms| ms.round()).collect::<Vec<_>>()
    );

    let (id, ports) = last.expect("a container");
    let reset = format!("http://127.0.0.1:{}/_sim/reset", ports.kiro);
    let mut wall = Vec::new();
    let mut server = Vec::new();
    for _ in 0..RESETS {
        let started = Instant::now();
        let body: serde_json::Value = http
            .post(&reset)
            .send()
            .await
            .expect("reset")
            .json()
            .await
            .expect("json");
        wall.push(started.elapsed().as_secs_f64() * 1000.0);
        server.push(body["took_ms"].as_f64().expect("took_ms"));
    }
    println!(
        "reset (documented world): median {:.1} ms at the client, {:.1} ms in the server, over {RESETS} (target ≤ 10 ms)",
        median(wall),
        median(server)
    );
    docker(&["rm", "-f", &id]);

    let mut first_call = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let sim = KiroSim::default().start().await.expect("module starts");
        sim.clients()
            .expect("clients")
            .okta
            .api
            .get("/api/v1/users")
            .await
            .expect("first call");
        first_call.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "module start → first successful call: median {:.0} ms over 3 (target ≤ 1000 ms)",
        median(first_call)
    );
}
