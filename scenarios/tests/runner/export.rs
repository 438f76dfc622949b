//! SIM-STATE-4: a world exported as a scenario file (`sim_world::export`) parses, runs on a
//! fresh world of another seed, recreates the same facts (compared through the APIs), and is
//! a fixpoint: exporting the recreated world gives the same file, byte for byte.

use std::time::Duration;

use serde_json::{Value, json};
use sim_api::{kiro, okta};
use sim_world::clients::Api;
use sim_world::export::{Target, export_scenario};
use sim_world::{World, WorldConfig};

fn config(seed: u64) -> WorldConfig {
    WorldConfig {
        seed: sim_core::Seed(seed),
        epoch: sim_core::clock::fixed_epoch(),
        zones: vec!["example.com".into()],
        ..WorldConfig::default()
    }
}

/// Okta's, Kiro's and DNS's admin APIs of `world`.
fn apis(world: &World) -> (Api, Api, Api) {
    let c = world.clients();
    (c.okta.api.clone(), c.kiro.api.clone(), c.dns.api.clone())
}

async fn export(world: &World) -> String {
    let http = sim_core::outbound::client(world.trust()).expect("client");
    let target = Target::from_ready(&world.ready_fields()).expect("ready fields");
    export_scenario(&http, &target).await.expect("exports")
}

fn list(v: &Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}

fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

/// The facts of a world, read through its APIs, with no id in them.
async fn facts(world: &World) -> Value {
    let (okta, kiro, dns) = apis(world);
    let get = |api: &Api, path: String| {
        let api = api.clone();
        async move { api.get(&path).await.expect(&path) }
    };
    let users = get(&okta, "/api/v1/users?limit=200".into()).await;
    let gone = get(
        &okta,
        "/api/v1/users?limit=200&filter=status%20eq%20%22DEPROVISIONED%22".into(),
    )
    .await;
    let mut login_of = std::collections::HashMap::new();
    let mut user_facts = Vec::new();
    for u in list(&users).into_iter().chain(list(&gone)) {
        let login = text(&u["profile"], "login");
        if login_of.insert(text(&u, "id"), login.clone()).is_none() {
            user_facts.push(json!([login, text(&u, "status"), u["profile"]]));
        }
    }
    user_facts.sort_by_key(|v| v.to_string());
    let mut group_name = std::collections::HashMap::new();
    let mut groups = Vec::new();
    for g in list(&get(&okta, "/api/v1/groups?limit=200".into()).await) {
        let name = text(&g["profile"], "name");
        group_name.insert(text(&g, "id"), name.clone());
        let mut members: Vec<String> =
            list(&get(&okta, format!("/api/v1/groups/{}/users", text(&g, "id"))).await)
                .iter()
                .map(|m| text(&m["profile"], "login"))
                .collect();
        members.sort();
        groups.push(json!([name, members]));
    }
    groups.sort_by_key(|v| v.to_string());
    let mut apps = Vec::new();
    for a in list(&get(&okta, "/api/v1/apps?limit=200".into()).await) {
        let id = text(&a, "id");
        let mut assigned: Vec<String> =
            list(&get(&okta, format!("/api/v1/apps/{id}/groups")).await)
                .iter()
                .map(|g| group_name.get(&text(g, "id")).cloned().unwrap_or_default())
                .collect();
        assigned.sort();
        let mut direct: Vec<String> = list(&get(&okta, format!("/api/v1/apps/{id}/users")).await)
            .iter()
            .filter(|u| text(u, "scope") == "USER")
            .map(|u| login_of.get(&text(u, "id")).cloned().unwrap_or_default())
            .collect();
        direct.sort();
        let mut pushed: Vec<Value> = list(
            &world
                .clients()
                .okta
                .api
                .send(
                    reqwest::Method::GET,
                    &format!("/api/v1/apps/{id}/group-push/mappings"),
                    sim_world::clients::Body::None,
                )
                .await
                .expect("push mappings")
                .body,
        )
        .iter()
        .map(|p| {
            json!([
                group_name.get(&text(p, "sourceGroupId")),
                text(p, "status"),
                p["targetGroupId"].is_string()
            ])
        })
        .collect();
        pushed.sort_by_key(|v| v.to_string());
        let redirect = a["settings"]["oauthClient"]["redirect_uris"].clone();
        let grants = a["settings"]["oauthClient"]["grant_types"].clone();
        apps.push(json!([
            text(&a, "label"),
            text(&a, "status"),
            assigned,
            direct,
            pushed,
            redirect,
            grants
        ]));
    }
    apps.sort_by_key(|v| v.to_string());
    let mut servers = Vec::new();
    for s in list(&get(&okta, "/api/v1/authorizationServers".into()).await) {
        let id = text(&s, "id");
        let base = format!("/api/v1/authorizationServers/{id}");
        let mut scopes: Vec<Value> = list(&get(&okta, format!("{base}/scopes")).await)
            .iter()
            .map(|sc| json!([text(sc, "name"), sc["description"], text(sc, "consent")]))
            .collect();
        scopes.sort_by_key(|v| v.to_string());
        let mut policies = Vec::new();
        for p in list(&get(&okta, format!("{base}/policies")).await) {
            let rules: Vec<Value> =
                list(&get(&okta, format!("{base}/policies/{}/rules", text(&p, "id"))).await)
                    .iter()
                    .map(|r| {
                        json!([
                            text(r, "name"),
                            r["conditions"]["scopes"],
                            r["conditions"]["grantTypes"],
                            r["actions"]
                        ])
                    })
                    .collect();
            policies.push(json!([text(&p, "name"), p["priority"], rules]));
        }
        servers.push(json!([text(&s, "name"), s["audiences"], scopes, policies]));
    }
    servers.sort_by_key(|v| v.to_string());
    let mut profiles = Vec::new();
    for p in list(&get(&kiro, "/console/profiles".into()).await["profiles"]) {
        let path = format!("/console/profiles/{}", text(&p, "profileId"));
        let domains: Vec<Value> = list(&get(&kiro, format!("{path}/domains")).await["domains"])
            .iter()
            .map(|d| json!([text(d, "domainName"), text(d, "status")]))
            .collect();
        let subs = get(&kiro, format!("{path}/subscriptions")).await;
        let mut seats: Vec<Value> = list(&subs["seats"])
            .iter()
            .map(|s| {
                json!([
                    text(s, "userName"),
                    text(s, "tier"),
                    s["sources"]
                        .as_array()
                        .map(|a| a.iter().map(|x| text(x, "type")).collect::<Vec<_>>())
                ])
            })
            .collect();
        seats.sort_by_key(|v| v.to_string());
        let mut group_subs: Vec<Value> = list(&subs["groupSubscriptions"])
            .iter()
            .map(|g| json!([text(g, "groupName"), text(g, "tier")]))
            .collect();
        group_subs.sort_by_key(|v| v.to_string());
        let tokens = list(&get(&kiro, format!("{path}/scim-tokens")).await["tokens"]).len();
        profiles.push(json!([
            text(&p, "profileName"),
            domains,
            seats,
            group_subs,
            tokens
        ]));
    }
    let mut records = Vec::new();
    for z in list(&get(&dns, "/client/v4/zones".into()).await["result"]) {
        for r in list(
            &get(
                &dns,
                format!("/client/v4/zones/{}/dns_records", text(&z, "id")),
            )
            .await["result"],
        ) {
            let content = text(&r, "content");
            // The verification token differs by seed; its shape does not.
            let content = match content.split_once('=') {
                Some(("kiro-domain-verification", _)) => "kiro-domain-verification=…".into(),
                _ => content,
            };
            records.push(json!([
                text(&z, "name"),
                text(&r, "name"),
                text(&r, "type"),
                content
            ]));
        }
    }
    records.sort_by_key(|v| v.to_string());
    let clock = get(&okta, "/_sim/clock".into()).await;
    json!({
        "users": user_facts, "groups": groups, "apps": apps, "servers": servers,
        "profiles": profiles, "records": records, "now": clock["now"],
    })
}

/// The documented setup plus a second group with members, a user pushed and subscribed
/// directly, a suspended user, an extra DNS record and two hours of world time.
async fn source_world() -> World {
    let world = World::start(config(41)).await.expect("world starts");
    let done = sim_world::setup::documented(&world)
        .await
        .expect("documented setup");
    let (okta, kiro, dns) = apis(&world);
    let c = world.clients();
    let carol = c
        .okta
        .create_user("carol@example.com", "Carol", "Shaw", "Correct-Horse-9")
        .await
        .expect("carol");
    let dave = c
        .okta
        .create_user("dave@example.com", "Dave", "Null", "Correct-Horse-9")
        .await
        .expect("dave");
    let users = okta.get("/api/v1/users?limit=200").await.expect("users");
    let ada = list(&users)
        .iter()
        .find(|u| u["profile"]["login"] == "ada@example.com")
        .map(|u| text(u, "id"))
        .expect("ada");
    let platform = c.okta.create_group("Platform").await.expect("group");
    c.okta.add_member(&platform, &carol).await.expect("member");
    c.okta.add_member(&platform, &ada).await.expect("member");
    c.okta.add_member(&platform, &dave).await.expect("member");
    let app = &done.okta_scim_app_id;
    c.okta.assign_group(app, &platform).await.expect("assign");
    c.okta
        .assign_user(&done.okta_oidc_client_id, &carol)
        .await
        .expect("assign carol to the OIDC app");
    let push = okta
        .request(&okta::PushGroup {
            app: app.clone(),
            group: platform.clone(),
            active: None,
        })
        .await
        .expect("push");
    okta.post("/_sim/okta/provisioning/settle", json!({}))
        .await
        .expect("settle");
    let push = okta
        .get(&format!(
            "/api/v1/apps/{app}/group-push/mappings/{}",
            text(&push, "id")
        ))
        .await
        .expect("push mapping");
    let profile =
        kiro.get("/console/profiles").await.expect("profiles")["profiles"][0]["profileId"]
            .as_str()
            .expect("a profile")
            .to_string();
    kiro.request(&kiro::Subscribe {
        profile: profile.clone(),
        tier: "PRO_PLUS".into(),
        user: None,
        group: Some(text(&push, "targetGroupId")),
    })
    .await
    .expect("group subscription");
    let carol_in_kiro = okta
        .get(&format!("/api/v1/apps/{app}/users/{carol}"))
        .await
        .expect("carol's app user");
    kiro.request(&kiro::Subscribe {
        profile,
        tier: "POWER".into(),
        user: Some(text(&carol_in_kiro, "externalId")),
        group: None,
    })
    .await
    .expect("carol's subscription");
    okta.request(&okta::SuspendUser { user: dave })
        .await
        .expect("suspend dave");
    let zone = c.dns.zone("example.com").await.expect("zone");
    dns.request(&sim_api::dns::CreateRecord {
        zone,
        record_type: "A".into(),
        name: "www.example.com".into(),
        content: "192.0.2.10".into(),
        ttl: Some(300),
    })
    .await
    .expect("an A record");
    world.clock().advance(Duration::from_secs(7200)).await;
    world
}

// covers: SIM-STATE-4
#[tokio::test]
async fn an_exported_world_recreates_itself_on_a_fresh_world_and_is_a_fixpoint() {
    let source = source_world().await;
    let exported = export(&source).await;
    // What cannot be exported says so.
    assert!(exported.contains("note:"), "{exported}");
    assert!(exported.contains("${password}"), "{exported}");
    assert!(exported.contains("kiro.create_scim_token"), "{exported}");
    assert!(!exported.contains("/_sim/okta/state"), "{exported}");
    // To App and the mappings are typed steps, not raw requests.
    assert!(exported.contains("okta.set_features"), "{exported}");
    assert!(exported.contains("okta.set_mapping"), "{exported}");
    assert!(
        !exported.contains("features/USER_PROVISIONING"),
        "{exported}"
    );
    let scenario =
        scenarios::parse("exported.yaml", &exported).unwrap_or_else(|e| panic!("{e}\n{exported}"));
    // A fresh world of another seed: other ids, other tokens.
    let fresh = World::start(scenarios::run::world_config(
        &scenario.world,
        WorldConfig {
            zones: Vec::new(),
            ..config(42)
        },
    ))
    .await
    .expect("fresh world starts");
    scenarios::run::apply(&scenario, &fresh)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{exported}"));
    let (want, got) = (facts(&source).await, facts(&fresh).await);
    // The source holds what the comparison is about (not a vacuous match).
    let want_text = want.to_string();
    for fact in [
        r#"["dave@example.com","SUSPENDED""#,
        r#"["Platform",["ada@example.com","carol@example.com","dave@example.com"]]"#,
        r#"["carol@example.com","POWER",["GROUP","DIRECT"]]"#,
        r#"["Platform","PRO_PLUS"]"#,
        r#"["example.com","VERIFIED"]"#,
        r#""www.example.com","A","192.0.2.10""#,
        r#""now":"2026-01-01T02:00:00.000Z""#,
    ] {
        assert!(want_text.contains(fact), "{fact} not in {want_text}");
    }
    for key in [
        "users", "groups", "apps", "servers", "profiles", "records", "now",
    ] {
        assert_eq!(want[key], got[key], "{key} differ\n{exported}");
    }
    // A fixpoint: no id is written, every list is sorted by name.
    let again = export(&fresh).await;
    assert_eq!(exported, again);
    source.shutdown().await;
    fresh.shutdown().await;
}
