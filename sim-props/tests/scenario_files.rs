//! A failing sequence is written as a scenario file that replays exactly what the property
//! test did: the file parses, and for sequences the world agrees with, the scenario runner
//! passes it (every outcome and the final state as the model expects); for a sequence the
//! world disagrees with, it fails at the step where the property failed.

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use proptest_state_machine::ReferenceStateMachine;
use scenarios::run::{Status, run};
use sim_props::machine::{Machine, Right};
use sim_props::model::{Action, App, Feature, Flaw, Model};
use sim_props::plan::scenario_yaml;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequences_the_world_agrees_with_replay_as_passing_scenarios() {
    let mut runner = TestRunner::deterministic();
    for n in 0..25 {
        let tree = Machine::<Right>::sequential_strategy(10..=20)
            .new_tree(&mut runner)
            .expect("a sequence");
        let (initial, actions, _) = tree.current();
        let text = scenario_yaml(&format!("replay {n}"), 7, &initial, &actions);
        let scenario = scenarios::parse(&format!("replay-{n}.yaml"), &text)
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        let outcome = run(&scenario, None).await;
        assert_eq!(
            outcome.status,
            Status::Passed,
            "{}\n{}\nactions: {actions:?}",
            outcome.status_text(),
            outcome.transcript
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sequence_a_wrong_model_expects_differently_fails_at_that_step() {
    let features = [Feature::CreateUsers, Feature::DeactivateUsers]
        .into_iter()
        .collect();
    let initial = Model::new(Flaw::RemovedUserRefreshes, 3600, features);
    let actions = [
        Action::AssignUser(App::Oidc, 1),
        Action::SignIn(1),
        Action::DeactivateUser(1),
        Action::Refresh(1),
    ];
    let text = scenario_yaml("wrong model", 7, &initial, &actions);
    let scenario = scenarios::parse("wrong.yaml", &text).expect("parses");
    let outcome = run(&scenario, None).await;
    let Status::Failed(failure) = &outcome.status else {
        panic!("must fail: {}", outcome.transcript);
    };
    assert_eq!(failure.label, "grace.refresh_now");
    assert_eq!(failure.expected, "success (2xx)");
    assert!(failure.actual.contains("not signed in"), "{failure}");
}
