//! The property test: proptest-state-machine generates and shrinks action sequences from the
//! reference model ([`Machine`]); [`run`] plays each sequence on the model and on a fresh
//! world (one per case, on one shared async runtime) and stops at the first disagreement:
//! an action's outcome, the observable state ([`crate::model::View`]), or a revoked SCIM token
//! that still works. A failure is shrunk, and the shrunk sequence is written as a scenario
//! file.

use std::collections::BTreeSet;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use proptest_state_machine::ReferenceStateMachine;

use crate::model::{
    Action, App, DOMAINS, Feature, Flaw, GROUPS, Model, PROFILES, ScimFault, Tier, USERS,
};
use crate::world::{Harness, Parts};

/// Which model a [`Machine`] uses.
pub trait Variant: 'static {
    /// Its flaw ([`Flaw::None`] for the right model).
    const FLAW: Flaw;
}

/// The right model.
#[derive(Debug)]
pub struct Right;
impl Variant for Right {
    const FLAW: Flaw = Flaw::None;
}

/// A model that forgets the group sync delay.
#[derive(Debug)]
pub struct ForgetsSyncDelay;
impl Variant for ForgetsSyncDelay {
    const FLAW: Flaw = Flaw::NoSyncDelay;
}

/// A model that lets a removed user refresh.
#[derive(Debug)]
pub struct RemovedUserRefreshes;
impl Variant for RemovedUserRefreshes {
    const FLAW: Flaw = Flaw::RemovedUserRefreshes;
}

/// The reference state machine of variant `V`.
#[derive(Debug)]
pub struct Machine<V>(PhantomData<V>);

const TIERS: [Tier; 3] = [Tier::Pro, Tier::ProPlus, Tier::Power];
const FEATURES: [Feature; 3] = [
    Feature::CreateUsers,
    Feature::UpdateAttributes,
    Feature::DeactivateUsers,
];
const APPS: [App; 2] = [App::Oidc, App::Scim];
const SCIM_FAULTS: [ScimFault; 3] = [
    ScimFault::ServerError,
    ScimFault::Throttled,
    ScimFault::Timeout,
];

/// Every action other than `Advance` that is valid in `m`, in weighted kinds: what builds
/// the set-up up (assignments, pushes, subscriptions) and what users do come most often, so
/// that short sequences reach the states the invariants are about.
fn candidates(m: &Model) -> Vec<(u32, Vec<Action>)> {
    let mut grow = Vec::new();
    let mut usage = Vec::new();
    let mut remove = Vec::new();
    let mut other = Vec::new();
    for u in 0..USERS.len() {
        grow.push(Action::CreateUser(u));
        remove.push(Action::DeactivateUser(u));
        remove.push(Action::ReactivateUser(u));
        for g in 0..GROUPS.len() {
            grow.push(Action::AddMember(u, g));
            remove.push(Action::RemoveMember(u, g));
        }
        for app in APPS {
            grow.push(Action::AssignUser(app, u));
            remove.push(Action::UnassignUser(app, u));
        }
        for tier in TIERS {
            grow.push(Action::SubscribeUser(u, tier));
            remove.push(Action::ChangeTier(u, tier));
        }
        remove.push(Action::UnsubscribeUser(u));
        usage.push(Action::SignIn(u));
        usage.push(Action::Complete(u));
        usage.push(Action::Chat(u));
        usage.push(Action::Refresh(u));
    }
    for g in 0..GROUPS.len() {
        for app in APPS {
            grow.push(Action::AssignGroup(app, g));
            remove.push(Action::UnassignGroup(app, g));
        }
        grow.push(Action::PushGroup(g));
        remove.push(Action::UnlinkGroup(g));
        for tier in TIERS {
            grow.push(Action::SubscribeGroup(g, tier));
        }
        remove.push(Action::UnsubscribeGroup(g));
    }
    for f in FEATURES {
        other.push(Action::SetFeature(f, true));
        other.push(Action::SetFeature(f, false));
    }
    for p in 0..PROFILES.len() {
        for d in 0..DOMAINS.len() {
            other.push(Action::AddDomain(p, d));
            other.push(Action::PublishTxt(p, d));
            other.push(Action::VerifyDomain(p, d));
            other.push(Action::RemoveDomain(p, d));
        }
    }
    other.push(Action::GenerateScimToken);
    for k in 0..4 {
        other.push(Action::RevokeScimToken(k));
        other.push(Action::OktaUsesToken(k));
    }
    // What signed-in users do, and what takes their access away: the security invariants.
    let mut sessions = Vec::new();
    for u in (0..USERS.len()).filter(|u| m.sessions[*u].is_some()) {
        sessions.push(Action::Refresh(u));
        sessions.push(Action::Complete(u));
        sessions.push(Action::Chat(u));
        sessions.push(Action::DeactivateUser(u));
        sessions.push(Action::UnassignUser(App::Oidc, u));
        for g in 0..GROUPS.len() {
            sessions.push(Action::RemoveMember(u, g));
        }
    }
    // Okta's changes made while Kiro's SCIM fails (SIM-FAULT-13). A hang costs the push
    // timeout in wall time, so one change in four gets that kind.
    let faults: Vec<Action> = grow
        .iter()
        .chain(&remove)
        .filter(|a| a.pushes() && m.allows(a))
        .enumerate()
        .flat_map(|(i, a)| {
            SCIM_FAULTS
                .iter()
                .filter(move |f| **f != ScimFault::Timeout || i % 4 == 0)
                .map(|f| Action::DuringScimFault(*f, Box::new(a.clone())))
        })
        .collect();
    let mut out = Vec::new();
    for (weight, mut kind) in [
        (8, grow),
        (1, faults),
        (5, usage),
        (5, sessions),
        (4, remove),
        (2, other),
    ] {
        kind.retain(|a| m.allows(a));
        if !kind.is_empty() {
            out.push((weight, kind));
        }
    }
    out
}

/// Clock steps from minutes to days.
fn advance() -> BoxedStrategy<Action> {
    prop_oneof![
        3 => (1u64..=59).prop_map(|m| Action::Advance(m * 60)),
        3 => (1u64..=23).prop_map(|h| Action::Advance(h * 3600)),
        1 => (1u64..=10).prop_map(|d| Action::Advance(d * 86_400)),
    ]
    .boxed()
}

impl<V: Variant + std::fmt::Debug> ReferenceStateMachine for Machine<V> {
    type State = Model;
    type Transition = Action;

    fn init_state() -> BoxedStrategy<Model> {
        (
            select(vec![3600u64, 6 * 3600, 24 * 3600, 90 * 60]),
            // Each feature on three times in four: with Create Users off nothing is pushed.
            proptest::collection::vec(proptest::bool::weighted(0.75), 3),
            // A prelude of set-up actions (assignments, memberships, pushes, subscriptions,
            // sign-ins), so that sequences start from an org in use; it shrinks too.
            proptest::collection::vec(any::<[u8; 5]>(), 0..=12),
        )
            .prop_map(|(delay, on, prelude): (u64, Vec<bool>, Vec<[u8; 5]>)| {
                let features: BTreeSet<Feature> = FEATURES
                    .iter()
                    .zip(on)
                    .filter(|(_, on)| *on)
                    .map(|(f, _)| *f)
                    .collect();
                let mut model = Model::new(V::FLAW, delay, features);
                for raw in prelude {
                    model.prelude_step(raw);
                }
                model
            })
            .boxed()
    }

    fn transitions(state: &Model) -> BoxedStrategy<Action> {
        let mut arms: Vec<(u32, BoxedStrategy<Action>)> = candidates(state)
            .into_iter()
            .map(|(weight, actions)| (weight, select(actions).boxed()))
            .collect();
        arms.push((3, advance()));
        proptest::strategy::Union::new_weighted(arms).boxed()
    }

    fn apply(mut state: Model, action: &Action) -> Model {
        state.apply(action);
        state
    }

    fn preconditions(state: &Model, action: &Action) -> bool {
        state.allows(action)
    }
}

/// Runs `future` on this thread's async runtime, made once per runner thread and reused by
/// every case: a single-threaded runtime, so a case's world (its three servers) and the
/// client driving it share one thread and requests cost no cross-thread wake-ups.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    thread_local! {
        static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("cannot start the tokio runtime: {e}"));
    }
    RUNTIME.with(|rt| rt.block_on(future))
}

/// One loopback port for the IDE's sign-in redirect per concurrently running property test.
fn take_port() -> u16 {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    // The scenario runner counts down from the last port; count up from the first.
    sim_world::ide::LOOPBACK_PORTS[n % sim_world::ide::LOOPBACK_PORTS.len()]
}

/// How a run is set up.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Cases (sequences) to run.
    pub cases: u32,
    /// Shortest sequence.
    pub min_steps: usize,
    /// Longest sequence.
    pub max_steps: usize,
    /// The RNG seed (fixed in CI).
    pub rng_seed: [u8; 32],
    /// The world seed of every case.
    pub world_seed: u64,
    /// Where a failing sequence is written as a scenario file.
    pub failure_dir: PathBuf,
    /// Runners working at once (each with its own RNG stream and world per case).
    pub threads: u32,
}

impl Settings {
    /// `cases` (or `PROPTEST_CASES` when set) cases of up to 20 steps, a fixed RNG seed, and
    /// failures written under `target/sim-props`.
    pub fn new(cases: u32) -> Settings {
        let cases = std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(cases);
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Settings {
            cases,
            min_steps: 1,
            max_steps: 20,
            rng_seed: *b"kiro-sim model-based prop tests!",
            world_seed: 7,
            failure_dir: root.join("target").join("sim-props"),
            threads: 1,
        }
    }
}

/// What a run did.
#[derive(Clone, Debug)]
pub struct Summary {
    /// Cases run (shrinking steps included).
    pub cases: u64,
    /// Actions applied.
    pub steps: u64,
    /// HTTP requests the harness sent (admin actions and observations; not the IDE's own).
    pub requests: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// The failure, if any.
    pub failure: Option<Failure>,
}

impl Summary {
    /// One line: cases, steps, time and the rate.
    pub fn line(&self) -> String {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        format!(
            "{} cases, {} steps, {} harness requests in {:.2} s: {:.1} sequences/s, {:.0} steps/s",
            self.cases,
            self.steps,
            self.requests,
            secs,
            self.cases as f64 / secs,
            self.steps as f64 / secs
        )
    }
}

/// A shrunk failure.
#[derive(Clone, Debug)]
pub struct Failure {
    /// Why.
    pub reason: String,
    /// The initial model state.
    pub initial: Model,
    /// The shrunk actions.
    pub actions: Vec<Action>,
    /// The scenario file written for it.
    pub scenario: Option<PathBuf>,
}

impl Failure {
    /// Every action of the failing case: the prelude, then the sequence.
    pub fn steps(&self) -> Vec<Action> {
        self.initial
            .prelude
            .iter()
            .chain(&self.actions)
            .cloned()
            .collect()
    }
}

#[derive(Default)]
struct Counters {
    cases: u64,
    steps: u64,
    requests: u64,
}

/// Plays one sequence on the model and a fresh world; `Err` on the first disagreement.
async fn play(
    initial: Model,
    actions: &[Action],
    seen: Option<&Arc<AtomicUsize>>,
    world_seed: u64,
    port: u16,
    counters: &mut Counters,
) -> Result<(), String> {
    let mut model = initial.start();
    let mut harness = Harness::start(&model, world_seed, port).await?;
    let mut result = Ok(());
    let all: Vec<&Action> = initial.prelude.iter().chain(actions).collect();
    let total = all.len();
    for (i, action) in all.into_iter().enumerate() {
        if let Some(seen) = seen {
            seen.fetch_add(1, Ordering::SeqCst);
        }
        counters.steps += 1;
        let before = model.clone();
        model.apply(action);
        let step = format!("step {} {action:?}", i + 1);
        match harness.apply(action, &before).await {
            Ok(outcome) if outcome == model.expected => {}
            Ok(outcome) => {
                result = Err(format!(
                    "{step}: the model expects {:?}, the world answered {outcome:?}",
                    model.expected
                ));
                break;
            }
            Err(e) => {
                result = Err(format!("{step}: {e}"));
                break;
            }
        }
        // After each step, what it can change; after the last, everything.
        let parts = if i + 1 == total {
            Parts::ALL
        } else {
            Parts::touched_by(action)
        };
        match harness.view(parts).await {
            Ok(view) if view == parts.of(&model.view()) => {}
            Ok(view) => {
                result = Err(format!(
                    "{step}: the world shows\n{}",
                    diff(&parts.of(&model.view()), &view)
                ));
                break;
            }
            Err(e) => {
                result = Err(format!("{step}: {e}"));
                break;
            }
        }
        if let Err(e) = harness.revoked_tokens_refused(&model).await {
            result = Err(format!("{step}: {e}"));
            break;
        }
    }
    counters.requests += harness.requests;
    harness.shutdown().await;
    result
}

/// Plays one given sequence from `initial` on a fresh world (for regression cases and
/// debugging); `Err` names the first disagreement.
pub fn check_sequence(initial: Model, actions: &[Action], world_seed: u64) -> Result<(), String> {
    let mut counters = Counters::default();
    block_on(play(
        initial,
        actions,
        None,
        world_seed,
        take_port(),
        &mut counters,
    ))
}

/// The fields of two views that differ.
fn diff(expected: &crate::model::View, actual: &crate::model::View) -> String {
    let mut out = Vec::new();
    macro_rules! field {
        ($name:ident) => {
            if expected.$name != actual.$name {
                out.push(format!(
                    "  {}: model {:?}\n  {}: world {:?}",
                    stringify!($name),
                    expected.$name,
                    stringify!($name),
                    actual.$name
                ));
            }
        };
    }
    field!(kiro_users);
    field!(kiro_groups);
    field!(seats);
    field!(group_subscriptions);
    field!(pending_grants);
    field!(domains);
    out.join("\n")
}

/// Runs the property for variant `V`: random sequences until `settings.cases` pass or one
/// fails; a failure is shrunk and written as a scenario file. With several threads, each runs
/// its share of the cases from its own RNG stream; the first failure found is reported.
pub fn run<V: Variant + std::fmt::Debug>(settings: &Settings) -> Summary {
    let started = Instant::now();
    let threads = settings.threads.max(1);
    let results: Vec<(Counters, Option<Failure>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let mut rng_seed = settings.rng_seed;
                rng_seed[0] ^= t as u8;
                let cases = settings.cases / threads + u32::from(t < settings.cases % threads);
                scope.spawn(move || run_one::<V>(settings, rng_seed, cases))
            })
            .collect();
        // A runner that panicked re-raises here: its cases are never silently dropped.
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut summary = Summary {
        cases: 0,
        steps: 0,
        requests: 0,
        elapsed: started.elapsed(),
        failure: None,
    };
    for (c, failure) in results {
        summary.cases += c.cases;
        summary.steps += c.steps;
        summary.requests += c.requests;
        if summary.failure.is_none() {
            summary.failure = failure;
        }
    }
    if let Some(f) = &mut summary.failure {
        f.scenario = write_scenario::<V>(settings, f);
    }
    summary
}

fn run_one<V: Variant + std::fmt::Debug>(
    settings: &Settings,
    rng_seed: [u8; 32],
    cases: u32,
) -> (Counters, Option<Failure>) {
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2_000,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &rng_seed));
    let port = take_port();
    let counters = std::sync::Mutex::new(Counters::default());
    let strategy = Machine::<V>::sequential_strategy(settings.min_steps..=settings.max_steps);
    let result = runner.run(&strategy, |(initial, actions, seen)| {
        let mut c = Counters::default();
        let r = block_on(play(
            initial,
            &actions,
            seen.as_ref(),
            settings.world_seed,
            port,
            &mut c,
        ));
        if let Ok(mut total) = counters.lock() {
            total.cases += 1;
            total.steps += c.steps;
            total.requests += c.requests;
        }
        r.map_err(TestCaseError::fail)
    });
    let failure = match result {
        Ok(()) => None,
        Err(TestError::Fail(reason, (initial, actions, _))) => Some(Failure {
            reason: reason.to_string(),
            initial,
            actions,
            scenario: None,
        }),
        Err(TestError::Abort(reason)) => Some(Failure {
            reason: format!("aborted: {reason}"),
            initial: Model::new(V::FLAW, 3600, BTreeSet::new()),
            actions: Vec::new(),
            scenario: None,
        }),
    };
    (counters.into_inner().unwrap_or_default(), failure)
}

fn write_scenario<V: Variant + std::fmt::Debug>(
    settings: &Settings,
    failure: &Failure,
) -> Option<PathBuf> {
    let name = format!("{:?}", V::FLAW).to_ascii_lowercase();
    let title = format!(
        "Property test failure ({} model, {} steps)",
        name,
        failure.actions.len()
    );
    let text = crate::plan::scenario_yaml(
        &title,
        settings.world_seed,
        &failure.initial,
        &failure.actions,
    );
    std::fs::create_dir_all(&settings.failure_dir).ok()?;
    let path = settings
        .failure_dir
        .join(format!("failure-{name}-model.yaml"));
    std::fs::write(&path, text).ok()?;
    Some(path)
}
