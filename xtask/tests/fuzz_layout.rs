//! The fuzz crate's layout (SIM-FUZZ-1): every cargo-fuzz target in `fuzz/Cargo.toml` has its
//! source, a committed seed corpus, and is one `cargo xtask fuzz` (and so `cargo xtask ci`)
//! runs; the route files the API targets and their seeds share exist.
//!
//! covers: SIM-FUZZ-1

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// The `name = "…"` of every `[[bin]]` in `fuzz/Cargo.toml`.
fn fuzz_bins() -> Vec<String> {
    let manifest =
        std::fs::read_to_string(root().join("fuzz/Cargo.toml")).expect("fuzz/Cargo.toml");
    let mut names = Vec::new();
    let mut in_bin = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin && let Some(value) = line.strip_prefix("name = ") {
            names.push(value.trim_matches('"').to_string());
        }
    }
    names
}

#[test]
fn every_fuzz_target_has_its_source_its_seeds_and_runs_in_xtask() {
    let bins = fuzz_bins();
    assert!(bins.len() >= 9, "fuzz targets: {bins:?}");
    let xtask = std::fs::read_to_string(root().join("xtask/src/fuzz.rs")).expect("xtask fuzz");
    for bin in &bins {
        let source = root().join("fuzz/fuzz_targets").join(format!("{bin}.rs"));
        assert!(source.is_file(), "{} is missing", source.display());
        let corpus = root().join("fuzz/corpus").join(bin);
        let seeds = std::fs::read_dir(&corpus)
            .map(|d| d.count())
            .unwrap_or_default();
        assert!(seeds > 0, "{} has no seeds", corpus.display());
        assert!(
            xtask.contains(&format!("\"{bin}\",")),
            "xtask's TARGETS does not run {bin}"
        );
    }
}

#[test]
fn the_fuzz_crate_is_its_own_workspace_with_its_own_lock_file() {
    let workspace = std::fs::read_to_string(root().join("Cargo.toml")).expect("Cargo.toml");
    assert!(workspace.contains("exclude = [\"fuzz\"]"));
    let manifest = std::fs::read_to_string(root().join("fuzz/Cargo.toml")).expect("manifest");
    assert!(manifest.contains("[workspace]"));
    assert!(root().join("fuzz/Cargo.lock").is_file());
    for service in ["okta", "kiro", "dns"] {
        let routes = root().join("fuzz/routes").join(format!("{service}.txt"));
        let text = std::fs::read_to_string(&routes).expect("route file");
        let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert!(lines.len() > 10, "{}: {lines:?}", routes.display());
        assert!(
            lines
                .iter()
                .all(|l| !l.contains("/_sim/") && !l.contains("connections/default")),
            "{} names a route with outbound calls or a simulator control",
            routes.display()
        );
    }
}
