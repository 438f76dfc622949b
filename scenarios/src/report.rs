//! Running many scenarios: in parallel (each has its own world), a live line per scenario as
//! it finishes, failures with their step, expected vs actual and timeline, a summary, JUnit
//! XML, and the coverage of BEHAVIOURS.md ids.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::format::Scenario;
use crate::run::{Outcome, Status, run};

/// Runs `scenarios` with at most `jobs` at a time; calls `live` with each outcome as it
/// finishes. Returns the outcomes in the order given.
pub async fn run_all(
    scenarios: Vec<Scenario>,
    seed: Option<u64>,
    jobs: usize,
    live: impl Fn(&Outcome) + Send + Sync + 'static,
) -> Vec<Outcome> {
    let semaphore = Arc::new(tokio::sync::Semaphore::new(jobs.max(1)));
    let mut set = tokio::task::JoinSet::new();
    let names: Vec<(String, String)> = scenarios
        .iter()
        .map(|s| (s.file.clone(), s.name.clone()))
        .collect();
    let mut index_of = std::collections::HashMap::new();
    for (i, scenario) in scenarios.into_iter().enumerate() {
        let semaphore = semaphore.clone();
        let handle = set.spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            run(&scenario, seed).await
        });
        index_of.insert(handle.id(), i);
    }
    let mut outcomes: Vec<Option<Outcome>> = vec![None; names.len()];
    // Live lines come in file order, whatever finishes first: each outcome is printed once
    // every file before it has been.
    let mut next = 0;
    while let Some(joined) = set.join_next_with_id().await {
        let (i, outcome) = match joined {
            Ok((id, outcome)) => (index_of[&id], outcome),
            // A scenario whose task panicked is reported failed, never dropped.
            Err(e) => {
                let i = index_of[&e.id()];
                (i, panicked(&names[i], &e.to_string()))
            }
        };
        outcomes[i] = Some(outcome);
        while let Some(Some(done)) = outcomes.get(next) {
            live(done);
            next += 1;
        }
    }
    outcomes.into_iter().flatten().collect()
}

/// The outcome of a scenario whose runner panicked.
fn panicked((file, name): &(String, String), why: &str) -> Outcome {
    Outcome {
        file: file.clone(),
        name: name.clone(),
        status: Status::Failed(crate::run::Failure {
            step: 0,
            origin: file.clone(),
            label: "run the scenario".into(),
            expected: "the runner completes".into(),
            actual: format!("the runner panicked: {why}"),
            timeline: Vec::new(),
        }),
        transcript: String::new(),
        elapsed: std::time::Duration::ZERO,
    }
}

/// The live line of an outcome: `PASS  name  (file, 1.2s)`.
pub fn live_line(o: &Outcome) -> String {
    let tag = match &o.status {
        Status::Passed => "PASS   ",
        Status::Failed(_) => "FAIL   ",
        Status::Pending(_) => "PENDING",
    };
    let extra = match &o.status {
        Status::Pending(reason) => format!(" — {reason}"),
        _ => String::new(),
    };
    format!(
        "{tag} {}  ({}, {:.1}s){extra}",
        o.name,
        o.file,
        o.elapsed.as_secs_f64()
    )
}

/// Prints a line to stdout at once (lines of parallel scenarios never interleave).
pub fn print_line(line: &str) {
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    let _ = writeln!(lock, "{line}");
    let _ = lock.flush();
}

/// The failure details and the summary line.
pub fn summary(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    let (mut passed, mut failed, mut pending) = (0, 0, 0);
    for o in outcomes {
        match &o.status {
            Status::Passed => passed += 1,
            Status::Pending(_) => pending += 1,
            Status::Failed(f) => {
                failed += 1;
                let _ = writeln!(out, "\n---- {} ({}) ----", o.name, o.file);
                let _ = write!(out, "{f}");
            }
        }
    }
    let _ = writeln!(
        out,
        "\nscenarios: {passed} passed, {failed} failed, {pending} pending ({} total)",
        outcomes.len()
    );
    out
}

fn xml(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// JUnit XML of the outcomes (one testcase per scenario; pending ones are skipped).
pub fn junit(outcomes: &[Outcome]) -> String {
    let failures = outcomes
        .iter()
        .filter(|o| matches!(o.status, Status::Failed(_)))
        .count();
    let skipped = outcomes
        .iter()
        .filter(|o| matches!(o.status, Status::Pending(_)))
        .count();
    let time: f64 = outcomes.iter().map(|o| o.elapsed.as_secs_f64()).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites><testsuite name=\"scenarios\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{time:.3}\">",
        outcomes.len()
    );
    for o in outcomes {
        let _ = write!(
            out,
            "  <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\">",
            xml(&o.file),
            xml(&o.name),
            o.elapsed.as_secs_f64()
        );
        match &o.status {
            Status::Passed => {}
            Status::Pending(reason) => {
                let _ = write!(out, "<skipped message=\"{}\"/>", xml(reason));
            }
            Status::Failed(f) => {
                let _ = write!(
                    out,
                    "<failure message=\"step {} {}: expected {}, got {}\">{}</failure>",
                    f.step,
                    xml(&f.label),
                    xml(&f.expected),
                    xml(&f.actual),
                    xml(&f.to_string())
                );
            }
        }
        let _ = writeln!(
            out,
            "<system-out>{}</system-out></testcase>",
            xml(&o.transcript)
        );
    }
    out.push_str("</testsuite></testsuites>\n");
    out
}

/// Which BEHAVIOURS.md ids the scenarios cover.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    /// Every id BEHAVIOURS.md defines, with the files covering it (empty: not covered).
    pub ids: BTreeMap<String, Vec<String>>,
    /// Ids named in files that BEHAVIOURS.md does not define: `file:line:column: id`.
    pub unknown: Vec<String>,
}

impl Coverage {
    /// Ids no scenario covers.
    pub fn uncovered(&self) -> Vec<&str> {
        self.ids
            .iter()
            .filter(|(_, files)| files.is_empty())
            .map(|(id, _)| id.as_str())
            .collect()
    }
}

/// Counts which of `catalogue_ids` the scenarios name in `covers:`.
pub fn coverage(scenarios: &[Scenario], catalogue_ids: &[String]) -> Coverage {
    let mut c = Coverage {
        ids: catalogue_ids
            .iter()
            .map(|id| (id.clone(), Vec::new()))
            .collect(),
        unknown: Vec::new(),
    };
    for s in scenarios {
        for (id, pos) in &s.covers {
            match c.ids.get_mut(id) {
                Some(files) => files.push(s.file.clone()),
                None => c.unknown.push(format!("{}:{pos}: {id}", s.file)),
            }
        }
    }
    c
}

/// Adds the ids Rust tests claim: a line `// covers: OKTA-API-5, DNS-4` (or a module's
/// `//! covers: [DNS-2, DNS-3]`) in a test source
/// (`*/tests/**/*.rs` under `root`) covers those ids, for behaviours a protocol-level test shows
/// better than a scenario can (a stack-depth limit, a truncated UDP answer).
pub fn add_test_coverage(c: &mut Coverage, root: &Path) -> std::io::Result<()> {
    for file in test_sources(root)? {
        let text = std::fs::read_to_string(&file)?;
        let shown = file
            .strip_prefix(root)
            .unwrap_or(&file)
            .display()
            .to_string();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_start();
            let Some(ids) = ["// covers:", "//! covers:"]
                .iter()
                .find_map(|marker| line.strip_prefix(marker))
            else {
                continue;
            };
            for id in ids.split([',', ' ', '[', ']']).filter(|s| !s.is_empty()) {
                match c.ids.get_mut(id) {
                    Some(files) => files.push(shown.clone()),
                    None => c.unknown.push(format!("{shown}:{}: {id}", n + 1)),
                }
            }
        }
    }
    Ok(())
}

/// Every `*.rs` file under a `tests` folder of a workspace member, sorted.
fn test_sources(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for member in std::fs::read_dir(root)? {
        let tests = member?.path().join("tests");
        if !tests.is_dir() {
            continue;
        }
        let mut stack = vec![tests];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir)? {
                let path = entry?.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
    }
    out.sort();
    Ok(out)
}
