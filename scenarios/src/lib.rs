//! Scenario files and their runner (not built yet).
//!
//! What will live here (issue 6): the YAML scenario format (actors, steps, expectations, the
//! DOMAIN.md ids each file covers), its parser with file/line/column errors, and the runner
//! that drives a whole in-process world on one virtual clock and seed. `cargo xtask scenario`
//! is the command-line front end.
