//! Named checkpoints of a sandbox (`kiro-sim up`): `POST /_sim/snapshots` saves the whole
//! world under a name, `GET /_sim/snapshots` lists them, `POST /_sim/snapshots/{name}/restore`
//! puts the world back, on any HTTP port; and `POST /_sim/reset` restores the snapshot taken
//! right after start and setup. After a restore the world hands out the same next ids as it
//! did from there the first time.
//!
//! covers: [SIM-SNAP-4, SIM-SNAP-5]

use serde_json::{Value, json};
use sim_world::WorldConfig;
use sim_world::sandbox::{Sandbox, SandboxConfig, Setup};

async fn sandbox() -> Sandbox {
    crate::common::start_sandbox(|ports| SandboxConfig {
        world: WorldConfig {
            zones: vec!["example.com".into()],
            ports,
            ..WorldConfig::default()
        },
        advertised_host: None,
        setup: Some(Setup::Documented),
        custom_setup: None,
        state_dir: None,
    })
    .await
}

struct Okta {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Okta {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("Authorization", format!("SSWS {}", self.token));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("answered");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn create_user(&self, login: &str) -> String {
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "/api/v1/users?activate=true",
                Some(json!({ "profile": {
                    "login": login, "email": login, "firstName": "A", "lastName": "B",
                } })),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["id"].as_str().expect("id").to_string()
    }

    async fn user_status(&self, id: &str) -> u16 {
        self.call(reqwest::Method::GET, &format!("/api/v1/users/{id}"), None)
            .await
            .0
    }
}

// covers: SIM-SNAP-4
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn named_checkpoints_are_saved_listed_and_restored_on_the_front() {
    let sandbox = sandbox().await;
    let fields = sandbox.ready_fields();
    let okta = Okta {
        http: reqwest::Client::new(),
        base: fields["okta"].as_str().expect("okta").to_string(),
        token: fields["okta_api_token"]
            .as_str()
            .expect("token")
            .to_string(),
    };
    // The Kiro port answers the same routes as the Okta port.
    let kiro = fields["kiro"].as_str().expect("kiro").to_string();
    let post = |url: String, body: Value| {
        let http = okta.http.clone();
        async move {
            let response = http.post(url).json(&body).send().await.expect("answered");
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.expect("json"))
        }
    };

    let first = okta.create_user("first@example.com").await;
    let (status, saved) = post(
        format!("{}/_sim/snapshots", okta.base),
        json!({ "name": "step-1" }),
    )
    .await;
    assert_eq!(status, 201, "{saved}");
    assert_eq!(saved["name"], "step-1");
    assert!(saved["bytes"].as_u64().expect("bytes") > 0);
    let second = okta.create_user("second@example.com").await;
    let (status, _) = post(
        format!("{kiro}/_sim/snapshots"),
        json!({ "name": "step-2" }),
    )
    .await;
    assert_eq!(status, 201);

    let listed: Value = okta
        .http
        .get(format!("{kiro}/_sim/snapshots"))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let names: Vec<&str> = listed["snapshots"]
        .as_array()
        .expect("snapshots")
        .iter()
        .map(|s| s["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["step-1", "step-2"]);

    let (status, restored) = post(
        format!("{}/_sim/snapshots/step-1/restore", okta.base),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{restored}");
    assert_eq!(okta.user_status(&first).await, 200);
    assert_eq!(
        okta.user_status(&second).await,
        404,
        "after step 1: no second user"
    );
    // The world goes on as it did from step 1: the same next id.
    assert_eq!(okta.create_user("other@example.com").await, second);

    let (status, _) = post(
        format!("{}/_sim/snapshots/step-2/restore", okta.base),
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(okta.user_status(&second).await, 200);

    let (status, error) = post(
        format!("{}/_sim/snapshots/nope/restore", okta.base),
        json!({}),
    )
    .await;
    assert_eq!((status, error["error"].as_str()), (404, Some("not_found")));
    let (status, error) = post(
        format!("{}/_sim/snapshots", okta.base),
        json!({ "name": "../etc" }),
    )
    .await;
    assert_eq!(
        (status, error["error"].as_str()),
        (400, Some("invalid_name"))
    );
    let (status, error) = post(format!("{}/_sim/snapshots", okta.base), json!({})).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (400, Some("invalid_request"))
    );
    sandbox.shutdown().await;
}

// covers: SIM-SNAP-5
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_restores_the_world_right_after_setup_and_the_same_ids_follow() {
    let sandbox = sandbox().await;
    let fields = sandbox.ready_fields();
    let okta = Okta {
        http: reqwest::Client::new(),
        base: fields["okta"].as_str().expect("okta").to_string(),
        token: fields["okta_api_token"]
            .as_str()
            .expect("token")
            .to_string(),
    };
    let (_, users_after_setup) = okta.call(reqwest::Method::GET, "/api/v1/users", None).await;
    let first = okta.create_user("first@example.com").await;
    let advanced = okta
        .call(
            reqwest::Method::POST,
            "/_sim/clock/advance",
            Some(json!({ "by": "48h" })),
        )
        .await;
    assert_eq!(advanced.0, 200, "{}", advanced.1);
    sandbox.reset().await.expect("reset");
    assert_eq!(sandbox.ready_fields(), fields, "the same ready fields");
    assert_eq!(okta.user_status(&first).await, 404);
    let (_, users) = okta.call(reqwest::Method::GET, "/api/v1/users", None).await;
    assert_eq!(users, users_after_setup, "the users right after setup");
    assert_eq!(
        okta.create_user("again@example.com").await,
        first,
        "same next id"
    );
    // The clock is back at the epoch too.
    let (_, clock) = okta.call(reqwest::Method::GET, "/_sim/clock", None).await;
    let (_, created) = okta
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/users/{first}"),
            None,
        )
        .await;
    assert_eq!(
        clock["now"].as_str().map(|now| &now[..19]),
        created["created"].as_str().map(|c| &c[..19]),
        "{clock} {created}"
    );
    sandbox.shutdown().await;
}
