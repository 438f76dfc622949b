//! What the `kiro-sim` binary's test files share: run the binary, start it and read its ready
//! line. (Each file under `tests/` is its own binary and uses a part of this.)
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// The `kiro-sim` binary cargo built for these tests.
pub fn kiro_sim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kiro-sim"))
}

/// A started `kiro-sim` child, its parsed ready line, and the rest of its stdout.
pub type Started = (
    Child,
    serde_json::Value,
    BufReader<std::process::ChildStdout>,
);

/// Starts `kiro-sim ARGS…` and reads its ready line.
pub fn start(args: &[&str]) -> Started {
    let mut child = kiro_sim()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kiro-sim");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("read ready line");
    let ready: serde_json::Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("ready line is not JSON ({e}): {line:?}"));
    (child, ready, stdout)
}
