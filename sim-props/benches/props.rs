//! How fast the property test runs through the real HTTP stack: random sequences of exactly
//! 20 actions (after a random set-up prelude), each on a fresh world, checked against the
//! model after every step. Target (issue 7): at least 50 sequences per second.
//!
//! `cargo bench -p sim-props` (or `cargo xtask bench props`); `PROPTEST_CASES` sets the
//! number of sequences (default 300).

use sim_props::machine::{Right, Settings, run};

fn main() {
    let mut settings = Settings::new(300);
    settings.min_steps = 20;
    settings.max_steps = 20;
    // Two runners at once, one per core, each a sequential chain of requests.
    settings.threads = 2;
    let summary = run::<Right>(&settings);
    println!("sim-props: {}", summary.line());
    if let Some(f) = summary.failure {
        eprintln!("the world disagrees with the model: {}", f.reason);
        std::process::exit(1);
    }
}
