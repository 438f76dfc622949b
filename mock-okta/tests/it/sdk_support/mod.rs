//! Where the official SDKs the tests drive come from: each in its own environment under a
//! cache directory, never the system's (okta 2.9.x and 3.x cannot share one). Python: a venv per
//! version, `$KIRO_SIM_PYENV/okta-{version}` or `target/pyenv/okta-{version}` (and, for the
//! version CI installed system-wide before, `python3` itself). Node: `npm ci` of
//! `clients/node/` into `$KIRO_SIM_NODE_CLIENTS` or `target/node-clients`. The Python token
//! verifier and relying-party library share one venv, `{pyenv}/verifiers`, installed from
//! `clients/python/verifiers.txt` (every package pinned). Exact steps:
//! `.ci/run`. A missing package skips with one line, or fails when `CI` is set.
//!
//! Each test file uses only part of this module, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The workspace's `target/` (the cache for SDK environments when no variable names one).
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target")
}

/// The `okta` version `python` imports, if it imports one.
fn okta_version(python: &Path) -> Option<String> {
    let out = Command::new(python)
        .args([
            "-c",
            "import okta.client, importlib.metadata as m; print(m.version('okta'))",
        ])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A Python interpreter that imports `okta=={version}`: the venv for that version under
/// `$KIRO_SIM_PYENV` or `target/pyenv`, else `python3` itself.
pub fn python_with_okta(version: &str) -> Result<PathBuf, String> {
    let venv = format!("okta-{version}");
    let mut candidates: Vec<PathBuf> = std::env::var_os("KIRO_SIM_PYENV")
        .map(|dir| PathBuf::from(dir).join(&venv).join("bin/python"))
        .into_iter()
        .collect();
    candidates.push(target_dir().join("pyenv").join(&venv).join("bin/python"));
    candidates.push(PathBuf::from("python3"));
    let mut seen = Vec::new();
    for python in candidates {
        match okta_version(&python) {
            Some(v) if v == version => return Ok(python),
            Some(v) => seen.push(format!("{} has okta {v}", python.display())),
            None => {}
        }
    }
    seen.push(format!(
        "python3 -m venv target/pyenv/{venv} && target/pyenv/{venv}/bin/pip install okta=={version}"
    ));
    Err(seen.join("; "))
}

/// The venv of the Python token verifier and relying-party library (`okta-jwt-verifier`,
/// `authlib`, `requests`, pinned with everything they pull in by `clients/python/verifiers.txt`).
pub const VERIFIERS_VENV: &str = "verifiers";

/// The exact versions `clients/python/verifiers.txt` pins, as `name==version` lines.
pub fn pinned_python_verifiers() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../clients/python/verifiers.txt");
    std::fs::read_to_string(&path)
        .expect("clients/python/verifiers.txt is readable")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// A Python interpreter of the `verifiers` venv (`$KIRO_SIM_PYENV/verifiers` or
/// `target/pyenv/verifiers`) in which every pin of `clients/python/verifiers.txt` is installed
/// at exactly its version.
pub fn python_with_verifiers() -> Result<PathBuf, String> {
    let pins = pinned_python_verifiers();
    let check = format!(
        "import importlib.metadata as m, sys\n\
         bad = [p for p in {pins:?} if m.version(p.split('==')[0]) != p.split('==')[1]]\n\
         print(' '.join(bad)); sys.exit(1 if bad else 0)"
    );
    let mut candidates: Vec<PathBuf> = std::env::var_os("KIRO_SIM_PYENV")
        .map(|dir| PathBuf::from(dir).join(VERIFIERS_VENV).join("bin/python"))
        .into_iter()
        .collect();
    candidates.push(
        target_dir()
            .join("pyenv")
            .join(VERIFIERS_VENV)
            .join("bin/python"),
    );
    let mut seen = Vec::new();
    for python in candidates {
        let Ok(out) = Command::new(&python).args(["-c", &check]).output() else {
            continue;
        };
        if out.status.success() {
            return Ok(python);
        }
        seen.push(format!(
            "{} lacks {}{}",
            python.display(),
            String::from_utf8_lossy(&out.stdout).trim(),
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        ));
    }
    seen.push(format!(
        "python3 -m venv target/pyenv/{VERIFIERS_VENV} && target/pyenv/{VERIFIERS_VENV}/bin/pip install -r clients/python/verifiers.txt"
    ));
    Err(seen.join("; "))
}

/// The version of `package` that `clients/node/package.json` pins.
pub fn pinned_node_package(package: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../clients/node/package.json");
    let text = std::fs::read_to_string(&path).expect("clients/node/package.json is readable");
    let manifest: Value = serde_json::from_str(&text).expect("package.json is JSON");
    manifest["dependencies"][package]
        .as_str()
        .expect("the package is pinned")
        .to_string()
}

/// A `node_modules` holding `package` at `version`: `$KIRO_SIM_NODE_CLIENTS/node_modules` or
/// `target/node-clients/node_modules`.
pub fn node_modules_with(package: &str, version: &str) -> Result<PathBuf, String> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("KIRO_SIM_NODE_CLIENTS")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    dirs.push(target_dir().join("node-clients"));
    let mut seen = Vec::new();
    for dir in dirs {
        let modules = dir.join("node_modules");
        let manifest = modules.join(package).join("package.json");
        let installed = std::fs::read_to_string(&manifest)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .and_then(|p| p["version"].as_str().map(str::to_string));
        match installed {
            Some(v) if v == version => return Ok(modules),
            Some(v) => seen.push(format!("{} has {v}", modules.display())),
            None => {}
        }
    }
    if Command::new("node").arg("--version").output().is_err() {
        seen.push("node is not runnable".to_string());
    }
    seen.push(
        "mkdir -p target/node-clients && cp clients/node/package*.json target/node-clients/ && npm ci --prefix target/node-clients"
            .to_string(),
    );
    Err(seen.join("; "))
}

/// Passes with one `skipped:` line (counted in `cargo xtask ci`'s summary), or fails when `CI`
/// is set: CI must run every SDK.
pub fn skip(package: &str, why: &str) {
    sim_testkit::tool::require(
        &format!("the {package} test"),
        Err(why.to_string()),
        &format!("install {package} (the steps are in .ci/run)"),
    );
}

/// The path of a script under `tests/sdk/`.
pub fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sdk")
        .join(name)
}

/// Runs a script (blocking) and parses the one JSON summary it prints; its stderr is shown
/// when it fails.
pub fn run_json(mut command: Command) -> Value {
    let out = command.output().expect("the SDK script runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the SDK script failed ({}):\n{stderr}\n{stdout}",
        out.status
    );
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("the summary is JSON ({e}): {stdout}\n{stderr}"))
}
