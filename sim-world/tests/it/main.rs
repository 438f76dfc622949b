//! sim-world's integration tests, one binary (one link of the HTTP stack instead of one per
//! file): each file a module, run as `cargo test -p sim-world --test it [FILE::]`. The support
//! modules are shared by the files that use them.

mod common;

mod checkpoints;
mod faults;
mod home;
mod home_faults;
mod ide;
mod sandbox;
mod snapshot;
mod world;
