//! World benchmark: time for `World::start` (all three services bound and serving, sharing
//! one clock and seed). Target ≤ 20 ms. Run with `cargo bench -p sim-world` (or
//! `cargo xtask bench world`).

use std::time::{Duration, Instant};

const RUNS: usize = 30;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut samples: Vec<Duration> = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let started = Instant::now();
            let world = sim_world::World::start(sim_world::WorldConfig::default())
                .await
                .expect("world");
            samples.push(started.elapsed());
            world.shutdown().await;
        }
        samples.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "World::start: median {:.3} ms, p95 {:.3} ms, max {:.3} ms over {RUNS} starts (target <= 20 ms)",
            ms(samples[RUNS / 2]),
            ms(samples[RUNS * 95 / 100]),
            ms(samples[RUNS - 1])
        );
    });
}
