//! A downstream that accepts connections and never answers (SIM-CLOCK-2): each push call is
//! bounded by the configured wall timeout, so advancing the world's clock over two hours of
//! retries takes a bounded wall time, and the advance reports every call that timed out
//! instead of hiding the stall.
//!
//! covers: [OKTA-PROV-7, SIM-CLOCK-2]

use crate::common;
use crate::provisioning_support;

use std::time::{Duration, Instant};

use mock_okta::Config;
use tokio::net::TcpListener;

use provisioning_support::{TARGET_TOKEN, create_user_with_profile, ready_app, settle};

/// A TCP listener on 127.0.0.1 that accepts every connection, holds it open and never writes.
async fn hanging_target() -> (String, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("an address");
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    (format!("http://{addr}/scim/v2"), task)
}

#[tokio::test]
async fn sim_clock_2_a_downstream_that_never_answers_neither_stalls_nor_hides_in_an_advance() {
    let okta = common::start_with(Config {
        push_timeout: Duration::from_millis(300),
        ..Config::default()
    })
    .await;
    let (base, target) = hanging_target().await;
    let app = ready_app(&okta, &base, TARGET_TOKEN).await;
    let group = okta.create_group("Kiro users").await;
    okta.assign_group(&app, &group).await;
    let user = create_user_with_profile(&okta, "ada@example.com", "Ada", "Lovelace").await;
    okta.add_member(&group, &user).await;
    let settled = settle(&okta).await;
    assert_eq!(settled["pending"], serde_json::json!(1), "{settled}");

    // Two hours of world time: retries at 1, 2, 4, 8, 16, 32 and 60 minutes apart, each a
    // call the target never answers. Bounded by the timeout, not by reqwest's or the OS's.
    let started = Instant::now();
    let report = okta.advance("2h").await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(15), "the advance took {took:?}");
    let incidents: Vec<&str> = report["incidents"]
        .as_array()
        .expect("the advance reports incidents")
        .iter()
        .filter_map(|i| i.as_str())
        .collect();
    assert!(incidents.len() >= 5, "{report}");
    for incident in &incidents {
        assert!(
            incident.starts_with("mock-okta push ")
                && incident.contains(&format!("{base}/Users"))
                && incident.ends_with("no answer within 300ms of wall time"),
            "{incident}"
        );
    }
    assert_eq!(report["in_flight_jobs"], serde_json::json!(0), "{report}");
    // Reported once: the next advance has nothing new to say until the next retry.
    let quiet = okta.advance("1s").await;
    assert_eq!(quiet["incidents"], serde_json::json!([]), "{quiet}");
    target.abort();
}
