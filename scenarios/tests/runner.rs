//! The runner fails when it should: a wrong expectation fails with the step, expected and
//! actual; parse errors name file:line:column and what was expected; the same seed gives the
//! same transcript.

use scenarios::run::{Status, run};

const BASE: &str = "name: t
covers: [OKTA-DIR-1]
actors:
  okta: okta-admin
  kiro: kiro-admin
  ada: { ide: ada@example.com }
steps:
";

fn parse_err(steps: &str) -> String {
    let text = format!("{BASE}{steps}");
    scenarios::parse("t.yaml", &text)
        .map(|_| ())
        .expect_err("must not parse")
        .to_string()
}

#[test]
fn parse_errors_name_file_line_column_and_what_was_expected() {
    assert_eq!(
        parse_err("  - okta.frobnicate: {}\n"),
        "t.yaml:8:5: unknown step kind `frobnicate` for okta-admin `okta`: expected one of \
         create_user, get_user, update_user, activate_user, deactivate_user, suspend_user, \
         unsuspend_user, delete_user, create_group, add_member, remove_member, create_oidc_app, \
         assign_user, unassign_user, assign_group, unassign_group, create_scim_app, set_connection, \
         set_features, set_mapping, push_group, set_push_status, create_auth_server, add_scope, \
         create_policy, add_rule, token_preview, rotate_keys, logs"
    );
    assert_eq!(
        parse_err("  - jump: 3\n"),
        "t.yaml:8:5: unknown step kind `jump`: expected advance, set, http, fault, dig, jwt, totp, use or ACTOR.ACTION (e.g. okta.create_user)"
    );
    assert_eq!(
        parse_err("  - dig: { name: example.com, type: SPF }\n"),
        "t.yaml:8:37: unknown record type `SPF`: expected one of A, AAAA, CNAME, TXT, NS, SOA, MX"
    );
    assert_eq!(
        parse_err("  - dig: { name: example.com, over: quic }\n"),
        "t.yaml:8:37: unknown transport `quic`: expected udp or tcp"
    );
    assert_eq!(
        parse_err("  - dig: { type: TXT }\n"),
        "t.yaml:8:10: missing field `name` of `dig`: expected the name to look up"
    );
    assert_eq!(
        parse_err("  - okta.create_user: { login: a@example.com, first: A }\n"),
        "t.yaml:8:23: missing field `last` of `okta.create_user`: expected login, first, last"
    );
    assert_eq!(
        parse_err(
            "  - okta.create_user: { login: a@example.com, first: A, last: B, activate: maybe }\n"
        ),
        "t.yaml:8:23: `okta.create_user`: invalid type: string \"maybe\", expected a boolean"
    );
    assert_eq!(
        parse_err("  - advance: 24 hours-ish\n"),
        "t.yaml:8:14: bad duration `24 hours-ish`: expected a duration like 90s, 5m, 1h 30m or 24h"
    );
    assert_eq!(
        parse_err("  - bob.sign_in:\n"),
        "t.yaml:8:5: unknown actor `bob`: expected one of the actors declared under `actors:` (ada, kiro, okta)"
    );
    assert!(parse_err("  - use: the-undocumented-setup\n").starts_with(
        "t.yaml:8:10: unknown macro `the-undocumented-setup`: expected one of okta-oidc-setup"
    ));
    assert_eq!(
        parse_err("  - ada.sign_in: { pasword: x }\n"),
        "t.yaml:8:20: unknown field `pasword` of `ada.sign_in`: expected one of password"
    );
    assert_eq!(
        parse_err("  - okta.create_group: { name: g }\n    expect: { staus: 200 }\n"),
        "t.yaml:9:15: unknown expectation `staus`: expected status, error, json or location"
    );
    // covers: SIM-FAULT-11
    assert_eq!(
        parse_err("  - fault: { service: kiro, path: /a, action: drop, times: 0 }\n"),
        "t.yaml:8:12: bad fault rule: `times` must be at least 1"
    );
    assert!(
        parse_err("  - fault: { service: kiro, path: /a, action: explode }\n")
            .starts_with("t.yaml:8:12: bad fault rule: unknown variant `explode`, expected one of `respond`, `latency`, `drop`, `hang`"),
    );
    assert_eq!(
        parse_err("  - fault: { service: ldap, path: /a, action: drop }\n"),
        "t.yaml:8:23: unknown service `ldap`: expected okta, kiro or dns"
    );
    assert_eq!(
        parse_err("  - fault: { service: kiro, clear: yes please }\n"),
        "t.yaml:8:36: expected `clear: true` next to `service` only"
    );
    let parsed = scenarios::parse(
        "t.yaml",
        &format!(
            "{BASE}  - fault: {{ service: kiro, method: POST, path: \"/*/scim/v2/Users\", action: {{ respond: {{ status: 429, headers: {{ Retry-After: \"30\" }} }} }}, times: 2 }}\n"
        ),
    )
    .expect("parses");
    assert_eq!(
        parsed.steps[0].label,
        "fault kiro POST /*/scim/v2/Users → respond 429 ×2"
    );
    let yaml = scenarios::parse("t.yaml", "name: t\nsteps: [1, 2\n").expect_err("bad yaml");
    assert!(
        yaml.to_string()
            .starts_with("t.yaml:2:8: expected valid YAML"),
        "{yaml}"
    );
    let missing =
        scenarios::parse("t.yaml", "name: t\nactors: {}\nsteps: []\n").expect_err("no covers");
    assert_eq!(
        missing.to_string(),
        "t.yaml:1:1: missing field `covers`: expected a top-level `covers:`"
    );
}

const WRONG: &str = "name: wrong expectation
covers: [OKTA-DIR-2]
actors:
  okta: okta-admin
steps:
  - okta.create_group: { name: Engineering }
    save: { group: $.id }
  - okta.create_group: { name: Engineering }
    expect: { status: 400, error: E0000001 }
  - http: { service: okta, method: GET, path: \"/api/v1/groups/${group}\" }
    expect: { json: { $.profile.name: Marketing } }
";

#[tokio::test]
async fn a_wrong_expectation_fails_with_the_step_expected_and_actual() {
    let scenario = scenarios::parse("wrong.yaml", WRONG).expect("parses");
    let outcome = run(&scenario, Some(3)).await;
    let Status::Failed(failure) = &outcome.status else {
        panic!(
            "expected a failure, got {}\n{}",
            outcome.status_text(),
            outcome.transcript
        );
    };
    assert_eq!(failure.step, 3, "{failure}");
    assert_eq!(failure.origin, "wrong.yaml:10:5");
    assert_eq!(failure.expected, "$.profile.name = \"Marketing\"");
    assert_eq!(failure.actual, "$.profile.name = \"Engineering\"");
    let text = failure.to_string();
    assert!(
        text.contains("step 3 `http okta GET /api/v1/groups/${group}` at wrong.yaml:10:5"),
        "{text}"
    );
    assert!(text.contains("timeline:"), "{text}");
    // The timeline merges the scenario's requests with the sandbox timeline (Okta's System
    // Log and Kiro's event feed, SIM-TIME-1).
    assert!(text.contains("#1 okta.create_group"), "{text}");
    assert!(
        text.contains("okta Create Okta group (group.lifecycle.create)"),
        "{text}"
    );
    assert!(
        outcome.transcript.contains("FAILED at step #3"),
        "{}",
        outcome.transcript
    );
}

#[tokio::test]
async fn an_expected_error_that_does_not_come_fails() {
    let text = "name: t\ncovers: []\nactors: { okta: okta-admin }\nsteps:\n  - okta.create_group: { name: G }\n    expect: { status: 404 }\n";
    let scenario = scenarios::parse("t.yaml", text).expect("parses");
    let outcome = run(&scenario, None).await;
    let Status::Failed(failure) = &outcome.status else {
        panic!("expected a failure: {}", outcome.transcript);
    };
    assert_eq!(failure.expected, "status 404");
    assert!(failure.actual.starts_with("200"), "{}", failure.actual);
}

#[tokio::test]
async fn the_same_seed_gives_the_same_transcript() {
    let path = scenarios::library_dir().join("onboarding-oidc-profile-and-use.yaml");
    let scenario = scenarios::load(&path).expect("parses");
    let a = run(&scenario, Some(11)).await;
    let b = run(&scenario, Some(11)).await;
    assert_eq!(
        a.status,
        Status::Passed,
        "{}\n{}",
        a.transcript,
        a.status_text()
    );
    assert_eq!(a.transcript, b.transcript);
    let c = run(&scenario, Some(12)).await;
    assert_ne!(a.transcript, c.transcript, "another seed, other ids");
}

#[tokio::test]
async fn a_pending_scenario_is_reported_not_run() {
    let text =
        "name: p\ncovers: []\npending: \"needs Okta SCIM push (issue 4)\"\nactors: {}\nsteps: []\n";
    let scenario = scenarios::parse("p.yaml", text).expect("parses");
    let outcome = run(&scenario, None).await;
    assert_eq!(
        outcome.status,
        Status::Pending("needs Okta SCIM push (issue 4)".into())
    );
}

// covers: SIM-SCN-1
/// Hostile YAML (issue 17, SIM-SCN-1): nesting 2,000 deep (block style) or 100,000 deep (flow
/// style) is refused by the YAML parser's depth budget (32) with a positioned error, instead
/// of overflowing the stack (from about 70 levels with serde-saphyr's default budget of 64).
#[test]
fn deeply_nested_yaml_is_a_parse_error_not_a_stack_overflow() {
    let flow = format!(
        "{BASE}  - http: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let block: String = (0..2_000)
        .map(|i| format!("{}- \n", " ".repeat(i * 2 + 2)))
        .collect();
    for text in [format!("{BASE}{block}"), flow] {
        let error = scenarios::parse("t.yaml", &text)
            .map(|_| ())
            .expect_err("must not parse")
            .to_string();
        assert!(error.starts_with("t.yaml:"), "{error:.200}");
    }
}

const WRONG_KIRO: &str = "name: wrong expectation on Kiro
covers: [KIRO-PRO-1]
actors:
  kiro: kiro-admin
steps:
  - http: { service: kiro, method: POST, path: /console/profiles, body: { name: x } }
    expect: { status: 200 }
";

/// A failure's timeline shows what Kiro answered, with the reason, from its event feed.
// covers: SIM-TIME-1
#[tokio::test]
async fn a_failure_timeline_shows_kiros_answer_with_the_reason() {
    let scenario = scenarios::parse("wrong-kiro.yaml", WRONG_KIRO).expect("parses");
    let outcome = run(&scenario, Some(3)).await;
    let Status::Failed(failure) = &outcome.status else {
        panic!("expected a failure, got {}", outcome.status_text());
    };
    let text = failure.to_string();
    assert!(
        text.contains("kiro console POST /console/profiles → 400 (FAILURE: ValidationException"),
        "{text}"
    );
}

#[path = "runner/export.rs"]
mod export;
