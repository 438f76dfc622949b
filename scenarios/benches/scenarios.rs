//! Scenario benchmark: wall time of whole scenarios, each in a fresh in-process world driven
//! over real HTTP, as issue 6 sets targets for:
//!
//! - the full documented onboarding (`onboarding-full.yaml`: Okta's OIDC and SCIM apps,
//!   the Kiro profile, domain verification by DNS, SCIM push, subscription, a developer
//!   signing in and chatting). Target ≤ 200 ms.
//! - the 24-hour group sync delay (`security-group-sync-delay.yaml`). Target ≤ 100 ms.
//!
//! Run with `cargo bench -p scenarios` (or `cargo xtask bench scenarios`).

use std::time::Duration;

const RUNS: usize = 15;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        for (file, target_ms) in [
            ("onboarding-full.yaml", 200.0),
            ("security-group-sync-delay.yaml", 100.0),
        ] {
            let path = scenarios::library_dir().join(file);
            let scenario = scenarios::load(&path).expect("scenario parses");
            let mut samples: Vec<Duration> = Vec::with_capacity(RUNS);
            for _ in 0..RUNS {
                let outcome = scenarios::run::run(&scenario, None).await;
                assert!(
                    matches!(outcome.status, scenarios::Status::Passed),
                    "{file}: {}",
                    outcome.status_text()
                );
                samples.push(outcome.elapsed);
            }
            samples.sort();
            let ms = |d: Duration| d.as_secs_f64() * 1e3;
            println!(
                "scenario {file}: median {:.1} ms, p90 {:.1} ms, max {:.1} ms over {RUNS} runs (target <= {target_ms} ms)",
                ms(samples[RUNS / 2]),
                ms(samples[RUNS * 9 / 10]),
                ms(samples[RUNS - 1])
            );
        }
    });
}
