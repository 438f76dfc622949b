//! kiro-sim's integration tests, one binary (one link of the HTTP stack instead of one per
//! file): each file a module, run as `cargo test -p kiro-sim --test it [FILE::]`. The support
//! modules are shared by the files that use them.

mod support;

mod cli;
mod doctor;
mod state;
