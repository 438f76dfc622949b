//! World benchmark: time for `World::start` (all three services bound and serving, sharing
//! one clock and seed; target ≤ 20 ms), for the documented setup applied to a started world,
//! and for a sandbox's reset on the documented world (a fresh world with the setup applied,
//! what `POST /_sim/reset` does; target ≤ 10 ms median, issue 12). Run with
//! `cargo bench -p sim-world` (or `cargo xtask bench world`).

use std::time::{Duration, Instant};

use sim_world::sandbox::{Sandbox, SandboxConfig, Setup};
use sim_world::{World, WorldConfig};

const RUNS: usize = 30;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Median, p95 and max of `samples` (sorted here).
fn summary(samples: &mut [Duration]) -> String {
    samples.sort();
    let n = samples.len();
    format!(
        "median {:.3} ms, p95 {:.3} ms, max {:.3} ms over {n}",
        ms(samples[n / 2]),
        ms(samples[n * 95 / 100]),
        ms(samples[n - 1])
    )
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut starts = Vec::with_capacity(RUNS);
        let mut setups = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let started = Instant::now();
            let world = World::start(WorldConfig::default()).await.expect("world");
            starts.push(started.elapsed());
            let started = Instant::now();
            sim_world::setup::documented(&world).await.expect("setup");
            setups.push(started.elapsed());
            world.shutdown().await;
        }
        println!(
            "World::start: {} starts (target <= 20 ms)",
            summary(&mut starts)
        );
        println!("documented setup: {}", summary(&mut setups));

        let sandbox = Sandbox::start(SandboxConfig {
            world: WorldConfig {
                zones: vec!["example.com".into()],
                ..WorldConfig::default()
            },
            advertised_host: None,
            setup: Some(Setup::Documented),
            custom_setup: None,
        })
        .await
        .expect("sandbox");
        let mut resets = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let started = Instant::now();
            sandbox.reset().await.expect("reset");
            resets.push(started.elapsed());
        }
        println!(
            "Sandbox::reset (documented world): {} resets (target <= 10 ms median)",
            summary(&mut resets)
        );
        sandbox.shutdown().await;
    });
}
