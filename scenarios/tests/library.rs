//! The scenario library runs in CI: every file under `scenarios/library` parses, names only
//! BEHAVIOURS.md ids that exist, together they cover every id, and they pass (pending ones are
//! reported, not failed).

use scenarios::report;
use scenarios::run::Status;

fn library() -> Vec<scenarios::Scenario> {
    let files = scenarios::discover(&[scenarios::library_dir()]).expect("library folder");
    assert!(!files.is_empty(), "the library has scenarios");
    files
        .iter()
        .map(|f| scenarios::load(f).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

#[test]
fn the_library_and_the_tests_cover_exactly_the_catalogue_ids() {
    let parsed = library();
    let ids = scenarios::catalogue_ids(scenarios::CATALOGUE);
    assert!(ids.len() > 50, "BEHAVIOURS.md ids parsed: {ids:?}");
    let mut coverage = report::coverage(&parsed, &ids);
    report::add_test_coverage(&mut coverage, &scenarios::workspace_root()).expect("test sources");
    assert!(
        coverage.unknown.is_empty(),
        "ids not in BEHAVIOURS.md: {:?}",
        coverage.unknown
    );
    assert!(
        coverage.uncovered().is_empty(),
        "BEHAVIOURS.md ids no scenario covers: {:?}",
        coverage.uncovered()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_library_passes() {
    let parsed = library();
    let outcomes = report::run_all(parsed, None, 4, |o| {
        report::print_line(&report::live_line(o));
    })
    .await;
    let summary = report::summary(&outcomes);
    println!("{summary}");
    let failed: Vec<String> = outcomes
        .iter()
        .filter(|o| matches!(o.status, Status::Failed(_)))
        .map(|o| format!("{}\n{}", o.transcript, o.status_text()))
        .collect();
    assert!(failed.is_empty(), "{}\n{summary}", failed.join("\n"));
}
