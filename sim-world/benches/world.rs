//! World benchmark: time for `World::start` (all three services bound and serving, sharing
//! one clock and seed; target ≤ 20 ms), for the documented setup applied to a started world,
//! for a sandbox's reset on the documented world (the baseline snapshot restored, what `POST
//! /_sim/reset` does; target ≤ 10 ms median, issue 12), and for a snapshot and a restore of a
//! world holding 10,000 users and 100 groups (target ≤ 200 ms each, issue 14). Run with
//! `cargo bench -p sim-world` (or `cargo xtask bench world`).

use std::time::{Duration, Instant};

use sim_world::sandbox::{Sandbox, SandboxConfig, Setup};
use sim_world::{World, WorldConfig};

const RUNS: usize = 30;
/// The big world of issue 14: users, groups (each user in one group).
const BIG_USERS: usize = 10_000;
const BIG_GROUPS: usize = 100;
/// Snapshots and restores timed on the big world.
const BIG_RUNS: usize = 10;
/// Requests in flight while the big world is filled.
const FILL_CONCURRENCY: usize = 8;

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
            state_dir: None,
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

        big_world().await;
    });
}

/// Fills a world with [`BIG_USERS`] users in [`BIG_GROUPS`] groups over the management API,
/// then times snapshots and restores.
async fn big_world() {
    let world = World::start(WorldConfig {
        // Filling takes 20,000 requests within one minute of (virtual) world time.
        okta_rate_limit: u32::MAX,
        ..WorldConfig::default()
    })
    .await
    .expect("world");
    let okta = world.clients().okta.clone();
    let started = Instant::now();
    let mut groups = Vec::with_capacity(BIG_GROUPS);
    for g in 0..BIG_GROUPS {
        groups.push(
            okta.create_group(&format!("Group {g:03}"))
                .await
                .expect("group"),
        );
    }
    let groups = std::sync::Arc::new(groups);
    let mut tasks = tokio::task::JoinSet::new();
    for lane in 0..FILL_CONCURRENCY {
        let okta = okta.clone();
        let groups = groups.clone();
        tasks.spawn(async move {
            for i in (lane..BIG_USERS).step_by(FILL_CONCURRENCY) {
                let login = format!("user{i:05}@example.com");
                let id = okta
                    .create_user(&login, "Big", &format!("User{i}"), "Passw0rd!Passw0rd")
                    .await
                    .expect("user");
                okta.add_member(&groups[i % BIG_GROUPS], &id)
                    .await
                    .expect("member");
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("filler");
    }
    println!(
        "big world: {BIG_USERS} users in {BIG_GROUPS} groups filled over HTTP in {:.0} ms",
        ms(started.elapsed())
    );
    let mut snapshots = Vec::with_capacity(BIG_RUNS);
    let mut restores = Vec::with_capacity(BIG_RUNS);
    let mut last = None;
    for _ in 0..BIG_RUNS {
        let started = Instant::now();
        let snapshot = world.snapshot().await;
        snapshots.push(started.elapsed());
        let started = Instant::now();
        world.restore(&snapshot).await.expect("restore");
        restores.push(started.elapsed());
        last = Some(snapshot);
    }
    let bytes = last.map_or(0, |s| s.len());
    println!(
        "World::snapshot ({BIG_USERS} users, {BIG_GROUPS} groups, {:.1} MB): {} (target <= 200 ms)",
        bytes as f64 / 1e6,
        summary(&mut snapshots)
    );
    println!(
        "World::restore ({BIG_USERS} users, {BIG_GROUPS} groups): {} (target <= 200 ms)",
        summary(&mut restores)
    );
    world.shutdown().await;
}
