//! What every kiro-sim service shares.
//!
//! - [`clock`]: the one clock of a world (virtual or system time) and its scheduler, through
//!   which every service schedules delayed work (sync delays, retries, DNS propagation).
//! - [`seed`]: the world's seed and the deterministic random streams derived from it.
//! - [`ids`]: id and secret formats of the real systems (Okta ids, UUIDs, hex ids).
//! - [`keys`]: the fixed RSA-2048 dev signing keys (and, with the `keygen` feature, fresh ones).
//! - [`members`]: a group's members, in the order added, indexed by id.
//! - [`state`]: whole-service state documents (`/_sim/<svc>/state`, snapshots).
//! - [`tls`]: a per-world certificate authority and rustls server configs.
//! - [`outbound`]: the one builder of every outbound HTTP client (policy, world CA trust).
//! - [`faults`]: fault-injection rules (status, latency, drop, hang) and the middleware every
//!   HTTP service applies, served at `/_sim/faults`.
//! - [`http`]: serving an axum router over plain http or https, and the `/_sim/clock` routes
//!   every service exposes.
//!
//! The domain cores of the mocks use only [`clock`], [`seed`], [`ids`], [`members`] and [`totp`] (plain
//! values and pure functions); [`tls`], [`http`] and [`outbound`] are for their wire layers.

pub mod clock;
pub mod events;
pub mod faults;
pub mod http;
pub mod ids;
pub mod keys;
pub mod members;
pub mod outbound;
pub mod seed;
pub mod state;
pub mod tls;
pub mod totp;
pub mod url;

pub use clock::{Clock, ClockMode};
pub use seed::Seed;
