//! The model-based property test (issue 7), and proof that it can fail: the same test run
//! against a deliberately wrong model fails and shrinks to a short sequence, written as a
//! scenario file.
//!
//! covers: [OKTA-PROV-2, OKTA-PROV-4, OKTA-PROV-5, OKTA-PROV-7, OKTA-PROV-8, OKTA-TOK-4,
//! OKTA-TOK-5, KIRO-DOM-2, KIRO-DOM-3, KIRO-DOM-4, KIRO-TOK-1, KIRO-SUB-3, KIRO-SUB-4,
//! KIRO-SUB-5, KIRO-SUB-6, KIRO-SUB-7, KIRO-USE-1, KIRO-USE-3]

use sim_props::machine::{
    ForgetsSyncDelay, RemovedUserRefreshes, Right, Settings, check_sequence, run,
};
use sim_props::model::{Action, App, Feature, Flaw, Model, ScimFault, Tier};

/// Cases in CI (about a minute in a debug build on two cores); `PROPTEST_CASES` overrides.
const CASES: u32 = 1500;
/// Cases the wrong models get to fail in.
const WRONG_MODEL_CASES: u32 = 300;

#[test]
fn the_world_agrees_with_the_model() {
    let mut settings = Settings::new(CASES);
    settings.threads = 2;
    let summary = run::<Right>(&settings);
    println!("model vs world: {}", summary.line());
    if let Some(f) = &summary.failure {
        panic!(
            "the world disagrees with the model after {} steps: {}\nactions: {:#?}\nscenario: {:?}",
            f.steps().len(),
            f.reason,
            f.steps(),
            f.scenario
        );
    }
}

fn all_features() -> std::collections::BTreeSet<Feature> {
    [
        Feature::CreateUsers,
        Feature::UpdateAttributes,
        Feature::DeactivateUsers,
    ]
    .into_iter()
    .collect()
}

#[test]
fn a_model_that_forgets_the_sync_delay_fails_and_shrinks() {
    let summary = run::<ForgetsSyncDelay>(&Settings::new(WRONG_MODEL_CASES));
    println!("forgets the sync delay: {}", summary.line());
    let f = summary.failure.expect("the wrong model must fail");
    println!("{}\n{:?}\nscenario: {:?}", f.reason, f.steps(), f.scenario);
    assert!(f.steps().len() <= 6, "not shrunk: {:#?}", f.steps());
    assert!(f.reason.contains("pending_grants"), "{}", f.reason);
    assert!(f.scenario.is_some_and(|p| p.exists()));
}

#[test]
fn a_model_that_lets_removed_users_refresh_fails_and_shrinks() {
    let summary = run::<RemovedUserRefreshes>(&Settings::new(WRONG_MODEL_CASES));
    println!("lets removed users refresh: {}", summary.line());
    let f = summary.failure.expect("the wrong model must fail");
    println!("{}\n{:?}\nscenario: {:?}", f.reason, f.steps(), f.scenario);
    assert!(f.steps().len() <= 6, "not shrunk: {:#?}", f.steps());
    assert!(
        f.reason
            .contains("the world answered Refused(\"signed out\")"),
        "{}",
        f.reason
    );
}

/// The shrunk failures of the wrong models, kept as regression cases for the right one.
#[test]
fn the_shrunk_cases_pass_against_the_right_model() {
    let cases: [Vec<Action>; 4] = [
        vec![
            Action::AssignUser(App::Oidc, 1),
            Action::SignIn(1),
            Action::DeactivateUser(1),
            Action::Refresh(1),
        ],
        vec![
            Action::PushGroup(1),
            Action::SubscribeGroup(1, Tier::Pro),
            Action::AssignGroup(App::Scim, 1),
            Action::AddMember(2, 1),
            Action::Advance(3599),
            Action::Advance(1),
        ],
        vec![
            Action::AssignUser(App::Oidc, 0),
            Action::SignIn(0),
            Action::UnassignUser(App::Oidc, 0),
            Action::Complete(0),
            Action::Advance(3600),
            Action::Complete(0),
        ],
        // Two group grants falling due together: their order in the seat's sources is the
        // order the concurrent push's memberships reached Kiro (compared sorted).
        vec![
            Action::PushGroup(1),
            Action::AssignGroup(App::Scim, 1),
            Action::SubscribeGroup(1, Tier::Power),
            Action::PushGroup(0),
            Action::SubscribeGroup(0, Tier::Pro),
            Action::SetFeature(Feature::CreateUsers, true),
            Action::AddMember(1, 0),
            Action::AddMember(1, 1),
            Action::Advance(21600),
        ],
    ];
    for (i, actions) in cases.into_iter().enumerate() {
        // The last case starts with every To App feature off, as it was found.
        let features = if i == 3 {
            Default::default()
        } else {
            all_features()
        };
        let initial = Model::new(Flaw::None, 3600, features);
        check_sequence(initial, &actions, 7).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// SIM-FAULT-13: Okta's changes made while Kiro's SCIM answers 503, 429 with Retry-After, or
/// hangs past the push timeout: parked, retried after the fault, and the world converges to
/// the model (nothing lost or doubled), the seats' sync delay counted from when Kiro learned.
// covers: SIM-FAULT-13
#[test]
fn okta_changes_during_scim_faults_converge() {
    let during = |fault, action| Action::DuringScimFault(fault, Box::new(action));
    let cases: [Vec<Action>; 3] = [
        vec![
            during(ScimFault::ServerError, Action::AssignUser(App::Scim, 0)),
            Action::PushGroup(1),
            Action::SubscribeGroup(1, Tier::Pro),
            during(ScimFault::Throttled, Action::AssignGroup(App::Scim, 1)),
            during(ScimFault::Timeout, Action::AddMember(2, 1)),
            Action::Advance(3600),
        ],
        vec![
            Action::AssignUser(App::Scim, 1),
            during(ScimFault::Timeout, Action::DeactivateUser(1)),
            during(ScimFault::Throttled, Action::ReactivateUser(1)),
            during(ScimFault::ServerError, Action::UnassignUser(App::Scim, 1)),
        ],
        vec![
            Action::AssignUser(App::Scim, 0),
            Action::PushGroup(0),
            during(ScimFault::ServerError, Action::AddMember(0, 0)),
            during(ScimFault::Throttled, Action::RemoveMember(0, 0)),
            during(ScimFault::Timeout, Action::UnlinkGroup(0)),
        ],
    ];
    for actions in cases {
        let initial = Model::new(Flaw::None, 3600, all_features());
        for action in &actions {
            if let Action::DuringScimFault(_, inner) = action {
                assert!(inner.pushes(), "{inner:?}");
            }
        }
        check_sequence(initial, &actions, 7).unwrap_or_else(|e| panic!("{e}"));
    }
}
