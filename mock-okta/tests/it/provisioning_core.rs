//! The push planner in the domain core, without sockets: what an org's changes turn into
//! (one SCIM call per resource at a time, computed from Okta's state; the calls written as
//! the engine's `scim` module makes them), how outcomes are recorded, and the retry schedule
//! of a failing resource.
//!
//! covers: [OKTA-PROV-3, OKTA-PROV-4, OKTA-PROV-5, OKTA-PROV-7]

use std::time::{Duration, SystemTime};

use mock_okta::core::catalog::NewCatalogApp;
use mock_okta::core::provisioning::{PushOp, PushResult, PushTask, ResourceKey};
use mock_okta::core::{NewUser, Org};
use mock_okta::provisioning::scim::{self, Answer, CallFailure};
use serde_json::{Map, Value, json};
use sim_core::Seed;

fn t0() -> SystemTime {
    sim_core::clock::fixed_epoch()
}

fn org() -> Org {
    let keys = sim_core::keys::dev_keys(Seed(5)).expect("dev keys");
    Org::new(
        "http://okta.test",
        Seed(5),
        keys,
        sim_core::clock::fixed_epoch(),
    )
}

fn user(org: &mut Org, login: &str) -> String {
    let profile: Map<String, Value> = json!({
        "login": login, "email": login, "firstName": "Ada", "lastName": "Lovelace",
    })
    .as_object()
    .cloned()
    .expect("object");
    org.create_user(
        t0(),
        NewUser {
            profile,
            password: None,
            activate: true,
            group_ids: vec![],
        },
    )
    .expect("user")
    .id
}

/// An IdC app connected to `https://scim.test/v2` with every To App feature on and the two
/// group-push blockers unmapped.
fn app(org: &mut Org) -> String {
    let app = org
        .create_catalog_app(
            t0(),
            NewCatalogApp {
                name: "amazon_aws_sso".into(),
                activate: true,
                ..NewCatalogApp::default()
            },
        )
        .expect("app")
        .id;
    org.set_connection(
        t0(),
        &app,
        "https://scim.test/v2/",
        Some("tok".into()),
        Some(true),
    )
    .expect("connection");
    org.set_features(t0(), &app, Some(true), Some(true), Some(true))
        .expect("features");
    let mapping = org
        .provisioning(&app)
        .expect("provisioning")
        .mapping_id
        .clone();
    org.update_profile_mapping(
        t0(),
        &mapping,
        vec![("department".into(), None), ("employeeNumber".into(), None)],
    )
    .expect("unmapped");
    app
}

/// The core's outcome of a 200 answer with `body` to `task`.
fn ok(task: &PushTask, body: Value) -> PushResult {
    scim::outcome(&task.op, Answer::Ok { status: 200, body })
}

/// The core's outcome of a failed call.
fn failed(
    task: &PushTask,
    status: Option<u16>,
    message: &str,
    retry_after: Option<Duration>,
) -> PushResult {
    scim::outcome(
        &task.op,
        Answer::Failed(CallFailure {
            status,
            message: message.into(),
            retry_after,
        }),
    )
}

fn lines(tasks: &[PushTask]) -> Vec<String> {
    tasks
        .iter()
        .map(|t| {
            let request = scim::request(t);
            format!("{} {}", request.method, request.path)
        })
        .collect()
}

#[test]
fn okta_prov_3_one_call_per_user_at_a_time_each_computed_from_the_last_answer() {
    let mut org = org();
    let app = app(&mut org);
    let ada = user(&mut org, "ada@example.com");
    assert!(org.take_push_tasks(t0(), 16).is_empty());
    org.assign_user(t0(), &app, &ada).expect("assigned");

    let tasks = org.take_push_tasks(t0(), 16);
    assert_eq!(
        lines(&tasks),
        ["GET /Users?filter=userName%20eq%20%22ada%40example.com%22"]
    );
    assert_eq!(tasks[0].base_url, "https://scim.test/v2");
    assert_eq!(tasks[0].token, "tok");
    // While the lookup is in flight, nothing else goes out for Ada, even after a change.
    org.update_user(
        t0(),
        &ada,
        json!({ "lastName": "Byron" })
            .as_object()
            .cloned()
            .expect("object"),
        None,
        true,
    )
    .expect("updated");
    assert!(org.take_push_tasks(t0(), 16).is_empty());

    assert_eq!(
        org.complete_push(
            t0(),
            &tasks[0],
            ok(&tasks[0], json!({ "totalResults": 0, "Resources": [] }))
        ),
        None
    );
    let tasks = org.take_push_tasks(t0(), 16);
    assert_eq!(lines(&tasks), ["POST /Users"]);
    let PushOp::CreateUser { profile } = &tasks[0].op else {
        panic!("{:?}", tasks[0].op)
    };
    assert_eq!(profile["familyName"], json!("Byron"));
    assert_eq!(
        scim::request(&tasks[0]).body.expect("body")["externalId"],
        json!(ada)
    );
    org.complete_push(t0(), &tasks[0], ok(&tasks[0], json!({ "id": "kiro-1" })));
    assert!(org.take_push_tasks(t0(), 16).is_empty());
    let link = org
        .provisioning(&app)
        .and_then(|p| p.user_link(&ada))
        .expect("linked");
    assert_eq!(link.downstream_id.as_deref(), Some("kiro-1"));
    assert!(link.active);
}

#[test]
fn okta_prov_5_group_memberships_go_in_patches_of_at_most_100_after_the_users_exist() {
    let mut org = org();
    let app = app(&mut org);
    let group = org.create_group(t0(), "Engineers", None).expect("group").id;
    let users: Vec<String> = (0..250)
        .map(|i| user(&mut org, &format!("u{i}@example.com")))
        .collect();
    for u in &users {
        org.add_member(t0(), &group, u).expect("member");
    }
    org.assign_group(t0(), &app, &group).expect("assigned");
    org.create_push_mapping(t0(), &app, &group, None, None, true)
        .expect("pushed");

    // Users come first: 250 lookups, then 250 creates; the group waits for them.
    let mut calls = Vec::new();
    loop {
        let tasks = org.take_push_tasks(t0(), 64);
        if tasks.is_empty() {
            break;
        }
        for task in tasks {
            let request = scim::request(&task);
            calls.push(format!(
                "{} {}",
                request.method,
                request.path.split('?').next().unwrap_or("")
            ));
            let body = match (&task.op, &task.key) {
                (PushOp::LookupUser { .. }, _) => json!({ "Resources": [] }),
                (PushOp::CreateUser { .. }, ResourceKey::User { user, .. }) => {
                    json!({ "id": format!("k-{user}") })
                }
                (PushOp::CreateGroup { .. }, _) => json!({ "id": "kg" }),
                _ => Value::Null,
            };
            if let PushOp::PatchMembers { added, removed, .. } = &task.op {
                assert!(added.len() + removed.len() <= 100);
            }
            let outcome = ok(&task, body);
            org.complete_push(t0(), &task, outcome);
        }
    }
    let user_calls = calls.iter().filter(|c| c.contains("/Users")).count();
    assert_eq!(user_calls, 500);
    let group_calls: Vec<&String> = calls.iter().filter(|c| c.contains("/Groups")).collect();
    assert_eq!(
        group_calls,
        [
            "POST /Groups",
            "PATCH /Groups/kg",
            "PATCH /Groups/kg",
            "PATCH /Groups/kg"
        ]
    );
    let first_group_call = calls.iter().position(|c| c.contains("/Groups"));
    assert_eq!(first_group_call, Some(500), "groups after users");
}

#[test]
fn okta_prov_7_a_failing_user_backs_off_from_a_minute_to_an_hour_and_a_retry_after_wins() {
    let mut org = org();
    let app = app(&mut org);
    let ada = user(&mut org, "ada@example.com");
    org.assign_user(t0(), &app, &ada).expect("assigned");
    let mut now = t0();
    let mut waits = Vec::new();
    for _ in 0..8 {
        let tasks = org.take_push_tasks(now, 16);
        assert_eq!(tasks.len(), 1);
        let down = failed(
            &tasks[0],
            None,
            "Could not reach https://scim.test/v2/Users: connection refused",
            None,
        );
        let at = org
            .complete_push(now, &tasks[0], down)
            .expect("a retry time");
        waits.push(at.duration_since(now).expect("later").as_secs() / 60);
        // Nothing to do before the retry time.
        assert!(
            org.take_push_tasks(at - Duration::from_secs(1), 16)
                .is_empty()
        );
        now = at;
    }
    assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);
    let backlog = org.push_backlog();
    assert_eq!(backlog.waiting, 1);
    assert_eq!(backlog.next_attempt, Some(now));
    let sync = org.app_user_sync(&app, &ada).expect("sync");
    assert_eq!(sync.sync_state, "ERROR");
    assert!(sync.error.is_some_and(|e| e.contains("connection refused")));

    let tasks = org.take_push_tasks(now, 16);
    let at = org
        .complete_push(
            now,
            &tasks[0],
            failed(
                &tasks[0],
                Some(429),
                "429 Too Many Requests",
                Some(Duration::from_secs(7)),
            ),
        )
        .expect("a retry time");
    assert_eq!(at, now + Duration::from_secs(7));
}

#[test]
fn okta_prov_5_a_push_paused_while_its_call_is_out_stays_paused_when_the_call_fails() {
    let mut org = org();
    let app = app(&mut org);
    let group = org.create_group(t0(), "Engineers", None).expect("group").id;
    let push = org
        .create_push_mapping(t0(), &app, &group, None, None, true)
        .expect("pushed")
        .id;
    let tasks = org.take_push_tasks(t0(), 8);
    assert_eq!(lines(&tasks), ["POST /Groups"]);
    // The admin pauses the push while the create is on the wire; then the call fails.
    org.set_push_mapping_status(t0(), &app, &push, false)
        .expect("paused");
    org.complete_push(
        t0(),
        &tasks[0],
        failed(&tasks[0], Some(503), "Service Unavailable", None),
    );
    let mapping = org.push_mapping(&app, &push).expect("still there");
    assert_eq!(mapping.status.as_str(), "INACTIVE");
    // Paused means deletable, and nothing is retried.
    assert!(
        org.take_push_tasks(t0() + Duration::from_secs(3600), 8)
            .is_empty()
    );
    org.delete_push_mapping(t0(), &app, &push, false)
        .expect("a paused mapping can be deleted");
}
