//! The load test of `cargo xtask bench load` (`benches/load.rs`), short: 4 clients for 3 s
//! against one world, then the world read back must match every acknowledged response.
//!
//! covers: SIM-LOAD-1

#[allow(dead_code)]
#[path = "../benches/load.rs"]
mod load;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_load_leaves_the_world_as_the_acknowledged_responses_imply() {
    let outcome = load::run(std::time::Duration::from_secs(3), 4).await;
    assert_eq!(outcome.mismatches, 0, "mismatches after the load");
    for kind in ["admin", "scim", "sign-in", "refresh", "runtime"] {
        assert!(
            outcome.acknowledged.get(kind).copied().unwrap_or(0) > 0,
            "no {kind} operation was acknowledged: {:?}",
            outcome.acknowledged
        );
    }
}
