//! mock-dns's integration tests, one binary (one link of the HTTP stack instead of one per
//! file): each file a module, run as `cargo test -p mock-dns --test it [FILE::]`. The support
//! modules are shared by the files that use them.

mod common;

mod api;
mod dashboard;
mod dig;
mod resolver;
mod truncation;
mod wire;
