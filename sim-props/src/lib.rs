//! Model-based property tests over the whole flow (issue 7).
//!
//! Random sequences of admin, user and time actions are applied both to a pure reference
//! model ([`model`]) and to a real in-process world over HTTP ([`world`]), and must agree
//! after every step: each action's outcome, the observable state in Kiro (provisioned users
//! and groups, seats, pending grants, domains), and that revoked SCIM tokens are refused.
//! [`machine`] holds the proptest state machine and the runner; [`plan`] says how each action
//! is done over HTTP, and writes a failing sequence as a scenario file for
//! `cargo xtask scenario`.

pub mod machine;
pub mod model;
pub mod plan;
pub mod world;
