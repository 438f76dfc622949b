//! Scenario files and their runner (issue 6).
//!
//! A scenario is a YAML file ([`format`](mod@format)) naming the BEHAVIOURS.md ids it covers, its actors (the
//! Okta, Kiro and DNS admins, users with the Kiro IDE) and its steps (every admin and user
//! action, raw HTTP, DNS queries, JWT decoding, TOTP codes, `advance: 24h`, named macros) with expectations. The runner ([`run`])
//! starts one in-process world per scenario on a virtual clock and a seed and drives it only
//! through the services' real APIs; [`report`] runs many in parallel, prints live lines, a
//! summary, failures with a timeline, and JUnit XML. `cargo xtask scenario` is the front end.

pub mod actions;
pub mod dig;
pub mod expect;
pub mod format;
pub mod parser;
pub mod report;
pub mod run;
pub mod vars;
pub mod yaml;

use std::path::{Path, PathBuf};

pub use format::{ParseError, Scenario};
pub use parser::parse;
pub use run::{Outcome, Status};

/// The workspace root (the repository's top folder).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The library folder, `scenarios/library` in the workspace.
pub fn library_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("library")
}

/// The behaviour catalogue, `docs/BEHAVIOURS.md` in the repository, compiled in: it is the
/// project's specification and always travels with the code that names its ids.
pub const CATALOGUE: &str = include_str!("../../docs/BEHAVIOURS.md");

/// Every `*.yaml` file under the given files and folders, sorted.
pub fn discover(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut stack = vec![path.clone()];
            while let Some(dir) = stack.pop() {
                for entry in std::fs::read_dir(&dir)? {
                    let p = entry?.path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                        out.push(p);
                    }
                }
            }
        } else {
            out.push(path.clone());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Reads and parses a scenario file; errors name `file:line:column`.
pub fn load(path: &Path) -> Result<Scenario, ParseError> {
    let (file, text) = read(path)?;
    parse(&file, &text)
}

/// Reads and parses a setup file ([`parser::parse_setup`]: `covers:` optional); errors name
/// `file:line:column`.
pub fn load_setup(path: &Path) -> Result<Scenario, ParseError> {
    let (file, text) = read(path)?;
    parser::parse_setup(&file, &text)
}

fn read(path: &Path) -> Result<(String, String), ParseError> {
    let file = display_path(path);
    let text = std::fs::read_to_string(path).map_err(|e| ParseError {
        file: file.clone(),
        pos: yaml::Pos::default(),
        message: format!("cannot read the file: {e}"),
    })?;
    Ok((file, text))
}

/// A path as shown: relative to the workspace when it is inside it.
pub fn display_path(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf);
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    if let Some(root) = root.and_then(|r| std::fs::canonicalize(r).ok())
        && let Ok(rel) = abs.strip_prefix(&root)
    {
        return rel.display().to_string();
    }
    path.display().to_string()
}

/// The ids a catalogue defines (`- OKTA-APP-1 …` lines), in order.
pub fn catalogue_ids(catalogue: &str) -> Vec<String> {
    catalogue
        .lines()
        .filter_map(|l| l.strip_prefix("- "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|id| {
            id.contains('-')
                && id
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
                && id
                    .rsplit('-')
                    .next()
                    .is_some_and(|n| n.parse::<u32>().is_ok())
        })
        .map(str::to_string)
        .collect()
}
