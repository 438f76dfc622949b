//! mock-dns's provider API over HTTP, shaped like Cloudflare's v4 API: zones and records are
//! created, listed (with filters and pages), read, changed and deleted; every refusal answers
//! Cloudflare's envelope with the exact status and error codes and changes nothing; the same
//! seed gives byte-identical answers. Also the `/_sim/dns/propagation` control.
//!
//! covers: [DNS-1, DNS-3]

use crate::common;

use reqwest::Method;
use serde_json::{Value, json};

use common::{Reply, World, ZONE};

/// The virtual clock's start, as record and zone timestamps spell it.
const T0: &str = "2026-01-01T00:00:00.000000Z";

fn assert_hex_id(id: &Value) -> String {
    let id = id.as_str().expect("an id string");
    assert_eq!(id.len(), 32, "{id}");
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "{id} is lowercase hex"
    );
    id.to_string()
}

/// A zone as the API shows it.
fn zone_json(id: &str, name: &str, account_id: &str) -> Value {
    json!({
        "id": id,
        "name": name,
        "status": "active",
        "paused": false,
        "type": "full",
        "development_mode": 0,
        "name_servers": ["ada.ns.mock-dns.test", "bob.ns.mock-dns.test"],
        "original_name_servers": null,
        "original_registrar": null,
        "original_dnshost": null,
        "created_on": T0,
        "modified_on": T0,
        "activated_on": T0,
        "meta": { "step": 2, "phishing_detected": false },
        "owner": { "id": null, "type": "user", "email": null },
        "account": { "id": account_id, "name": "kiro-sim" },
        "permissions": ["#dns_records:edit", "#dns_records:read", "#zone:read"],
        "plan": {
            "id": "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
            "name": "Free Website",
            "is_subscribed": false,
            "can_subscribe": false
        },
    })
}

/// A record in `example.com` as the API shows it, created and modified at T0.
fn record_json(id: &str, zone_id: &str, kind: &str, name: &str, content: &str) -> Value {
    json!({
        "id": id,
        "zone_id": zone_id,
        "zone_name": ZONE,
        "name": name,
        "type": kind,
        "content": content,
        "proxiable": kind != "TXT",
        "proxied": false,
        "ttl": 1,
        "settings": {},
        "meta": {},
        "comment": null,
        "tags": [],
        "created_on": T0,
        "modified_on": T0,
    })
}

fn page_info(page: u64, per_page: u64, count: u64, total_count: u64, total_pages: u64) -> Value {
    json!({
        "page": page,
        "per_page": per_page,
        "count": count,
        "total_count": total_count,
        "total_pages": total_pages,
    })
}

/// A Cloudflare error envelope with one error.
fn failure(code: u32, message: &str, chain: Option<(u32, &str)>) -> Value {
    let mut error = json!({ "code": code, "message": message });
    if let Some((code, message)) = chain {
        error["error_chain"] = json!([{ "code": code, "message": message }]);
    }
    json!({ "success": false, "errors": [error], "messages": [], "result": null })
}

/// Everything a refused request must leave alone: the zones, the zone's records, and the
/// changes waiting to propagate.
/// What a refusal must leave as it was: zones, records, the propagation delay and the jobs
/// on the world clock (a refused change schedules no publication).
async fn snapshot(world: &World, zone_id: &str) -> (Value, Value, Value, Value) {
    let zones = world.get("/zones").await;
    zones.result();
    (
        zones.body,
        world.records_body(zone_id).await,
        world.propagation().await,
        world.pending_jobs().await,
    )
}

/// Asserts `reply` is exactly the given failure, and that nothing changed since `before`.
async fn assert_refused(
    world: &World,
    zone_id: &str,
    before: &(Value, Value, Value, Value),
    reply: Reply,
    status: u16,
    expected: Value,
) {
    assert_eq!(
        (reply.status, &reply.body),
        (status, &expected),
        "{reply:?}"
    );
    assert_eq!(
        &snapshot(world, zone_id).await,
        before,
        "a refusal changes nothing"
    );
}

/// A world with `example.com` and a 5m propagation delay (so refusals could also be seen in
/// the pending changes), and the zone's id.
async fn world_with_zone() -> (World, String) {
    let world = common::start().await;
    let zone_id = world.create_zone(ZONE).await;
    world.set_delay("5m").await;
    (world, zone_id)
}

#[tokio::test]
async fn dns_1_zones_are_created_listed_read_and_deleted() {
    let world = common::start().await;
    let account = world.dns.account_id();
    assert_hex_id(&json!(account));

    let created = world
        .post(
            "/zones",
            json!({ "name": "Example.COM.", "account": { "id": account }, "type": "full" }),
        )
        .await;
    let first = assert_hex_id(&created.result()["id"]);
    assert_eq!(created.body["messages"], json!([]));
    assert_eq!(created.result(), &zone_json(&first, ZONE, &account));

    let second = world.create_zone("example.net").await;
    assert_ne!(first, second);

    let list = world.get("/zones").await;
    assert_eq!(
        list.result(),
        &json!([
            zone_json(&first, ZONE, &account),
            zone_json(&second, "example.net", &account)
        ])
    );
    assert_eq!(list.body["result_info"], page_info(1, 20, 2, 2, 1));

    let by_name = world.get("/zones?name=EXAMPLE.net").await;
    assert_eq!(
        by_name.result(),
        &json!([zone_json(&second, "example.net", &account)])
    );
    assert_eq!(by_name.body["result_info"], page_info(1, 20, 1, 1, 1));
    let none = world.get("/zones?name=example.org").await;
    assert_eq!(none.result(), &json!([]));
    assert_eq!(none.body["result_info"], page_info(1, 20, 0, 0, 0));

    let one = world.get(&format!("/zones/{first}")).await;
    assert_eq!(one.result(), &zone_json(&first, ZONE, &account));

    let deleted = world.delete(&format!("/zones/{first}")).await;
    assert_eq!(deleted.result(), &json!({ "id": first }));
    let gone = world.get(&format!("/zones/{first}")).await;
    assert_eq!(
        (gone.status, gone.body),
        (
            404,
            failure(
                7003,
                &format!(
                    "Could not route to /zones/{first}, perhaps your object identifier is invalid?"
                ),
                Some((7000, "No route for that URI")),
            )
        )
    );
    let list = world.get("/zones").await;
    assert_eq!(
        list.result(),
        &json!([zone_json(&second, "example.net", &account)])
    );
}

#[tokio::test]
async fn dns_1_records_are_created_with_names_relative_to_the_zone() {
    let world = common::start().await;
    let zone_id = world.create_zone(ZONE).await;

    let created = world
        .post(
            &format!("/zones/{zone_id}/dns_records"),
            json!({ "type": "TXT", "name": "_kiro-verification", "content": "kiro=tok-1", "ttl": 1 }),
        )
        .await;
    let id = assert_hex_id(&created.result()["id"]);
    assert_eq!(
        created.result(),
        &record_json(
            &id,
            &zone_id,
            "TXT",
            "_kiro-verification.example.com",
            "kiro=tok-1"
        )
    );

    // `@` is the apex; a fully qualified name (any case, trailing dot) is kept; a CNAME target
    // is normalised; type names are case-insensitive.
    for (body, name, content) in [
        (
            json!({ "type": "a", "name": "@", "content": "192.0.2.1" }),
            "example.com",
            "192.0.2.1",
        ),
        (
            json!({ "type": "CNAME", "name": "WWW.Example.com.", "content": "Example.COM." }),
            "www.example.com",
            "example.com",
        ),
        (
            json!({ "type": "AAAA", "name": "v6.example.com", "content": "2001:DB8:0::1" }),
            "v6.example.com",
            "2001:db8::1",
        ),
    ] {
        let kind = body["type"].as_str().expect("type").to_ascii_uppercase();
        let record = world.create_record(&zone_id, body).await;
        let id = assert_hex_id(&record["id"]);
        assert_eq!(record, record_json(&id, &zone_id, &kind, name, content));
    }

    // TTL, proxy, comment and tags are kept as given.
    let record = world
        .create_record(
            &zone_id,
            json!({
                "type": "A", "name": "api", "content": "192.0.2.9", "ttl": 120,
                "proxied": true, "comment": "the api", "tags": ["team:sim"]
            }),
        )
        .await;
    let id = assert_hex_id(&record["id"]);
    let mut expected = record_json(&id, &zone_id, "A", "api.example.com", "192.0.2.9");
    expected["ttl"] = json!(120);
    expected["proxied"] = json!(true);
    expected["comment"] = json!("the api");
    expected["tags"] = json!(["team:sim"]);
    assert_eq!(record, expected);
}

#[tokio::test]
async fn dns_1_records_are_listed_with_filters_and_pages() {
    let world = common::start().await;
    let zone_id = world.create_zone(ZONE).await;
    let mut all = Vec::new();
    for (kind, name, content) in [
        ("TXT", "_kiro-verification", "kiro=one"),
        ("TXT", "_kiro-verification", "kiro=two"),
        ("TXT", "other", "kiro=one"),
        ("A", "host", "192.0.2.1"),
        ("A", "host", "192.0.2.2"),
        ("AAAA", "host", "2001:db8::1"),
        ("CNAME", "www", "host.example.com"),
    ] {
        let record = world
            .create_record(
                &zone_id,
                json!({ "type": kind, "name": name, "content": content }),
            )
            .await;
        all.push(record);
    }
    let list = |query: &str| {
        let path = format!("/zones/{zone_id}/dns_records{query}");
        let world = &world;
        async move {
            let reply = world.get(&path).await;
            (reply.result().clone(), reply.body["result_info"].clone())
        }
    };
    let pick = |indices: &[usize]| Value::Array(indices.iter().map(|&i| all[i].clone()).collect());

    assert_eq!(
        list("").await,
        (pick(&[0, 1, 2, 3, 4, 5, 6]), page_info(1, 100, 7, 7, 1))
    );
    assert_eq!(
        list("?type=TXT").await,
        (pick(&[0, 1, 2]), page_info(1, 100, 3, 3, 1))
    );
    assert_eq!(
        list("?type=a").await,
        (pick(&[3, 4]), page_info(1, 100, 2, 2, 1))
    );
    assert_eq!(
        list("?name=_KIRO-verification.example.com").await,
        (pick(&[0, 1]), page_info(1, 100, 2, 2, 1))
    );
    assert_eq!(
        list("?name.exact=host.example.com&type=AAAA").await,
        (pick(&[5]), page_info(1, 100, 1, 1, 1))
    );
    assert_eq!(
        list("?content=kiro%3Done").await,
        (pick(&[0, 2]), page_info(1, 100, 2, 2, 1))
    );
    assert_eq!(
        list("?type=TXT&name=_kiro-verification.example.com&content=kiro%3Dtwo").await,
        (pick(&[1]), page_info(1, 100, 1, 1, 1))
    );
    assert_eq!(
        list("?type=CNAME&name=host.example.com").await,
        (json!([]), page_info(1, 100, 0, 0, 0))
    );

    // Pages of 5 (the smallest page size; smaller asks are raised to it).
    assert_eq!(
        list("?per_page=5").await,
        (pick(&[0, 1, 2, 3, 4]), page_info(1, 5, 5, 7, 2))
    );
    assert_eq!(
        list("?per_page=5&page=2").await,
        (pick(&[5, 6]), page_info(2, 5, 2, 7, 2))
    );
    assert_eq!(
        list("?per_page=5&page=3").await,
        (json!([]), page_info(3, 5, 0, 7, 2))
    );
    assert_eq!(
        list("?per_page=2&page=2").await,
        (pick(&[5, 6]), page_info(2, 5, 2, 7, 2))
    );
    assert_eq!(
        list("?page=0&per_page=6").await,
        (pick(&[0, 1, 2, 3, 4, 5]), page_info(1, 6, 6, 7, 2))
    );
    assert_eq!(
        list("?type=TXT&per_page=5&page=1").await,
        (pick(&[0, 1, 2]), page_info(1, 5, 3, 3, 1))
    );
    // Ordering.
    assert_eq!(
        list("?order=content&direction=desc&type=TXT").await,
        (pick(&[1, 2, 0]), page_info(1, 100, 3, 3, 1))
    );

    let bad_page = world
        .get(&format!("/zones/{zone_id}/dns_records?page=two"))
        .await;
    assert_eq!(
        (bad_page.status, bad_page.body),
        (
            400,
            failure(
                1004,
                "Invalid value for `page`: `two` is not a positive number",
                None
            )
        )
    );
    let bad_type = world
        .get(&format!("/zones/{zone_id}/dns_records?type=MX"))
        .await;
    assert_eq!(
        (bad_type.status, bad_type.body),
        (
            400,
            failure(
                1004,
                "DNS Validation Error",
                Some((
                    9001,
                    "Invalid or unsupported DNS record type `MX` (mock-dns serves A, AAAA, CNAME and TXT)."
                ))
            )
        )
    );
}

#[tokio::test]
async fn dns_1_a_record_is_read_replaced_patched_and_deleted() {
    let world = common::start().await;
    let zone_id = world.create_zone(ZONE).await;
    let created = world
        .create_record(
            &zone_id,
            json!({ "type": "TXT", "name": "_kiro-verification", "content": "kiro=old", "comment": "first" }),
        )
        .await;
    let id = assert_hex_id(&created["id"]);
    let path = format!("/zones/{zone_id}/dns_records/{id}");

    let read = world.get(&path).await;
    assert_eq!(read.result(), &created);

    world.advance("1m").await;
    let replaced = world
        .put(
            &path,
            json!({ "type": "TXT", "name": "renamed", "content": "kiro=new", "ttl": 300, "tags": ["a:b"] }),
        )
        .await;
    let mut expected = record_json(&id, &zone_id, "TXT", "renamed.example.com", "kiro=new");
    expected["ttl"] = json!(300);
    expected["tags"] = json!(["a:b"]);
    // PUT overwrites everything: the comment not given is gone.
    expected["comment"] = json!(null);
    expected["modified_on"] = json!("2026-01-01T00:01:00.000000Z");
    assert_eq!(replaced.result(), &expected);
    assert_eq!(world.get(&path).await.result(), &expected);

    world.advance("1m").await;
    let patched = world
        .patch(
            &path,
            json!({ "content": "kiro=patched", "comment": "second" }),
        )
        .await;
    expected["content"] = json!("kiro=patched");
    expected["comment"] = json!("second");
    expected["modified_on"] = json!("2026-01-01T00:02:00.000000Z");
    assert_eq!(patched.result(), &expected);

    // `"comment": null` clears the comment; everything else stays.
    let cleared = world.patch(&path, json!({ "comment": null })).await;
    expected["comment"] = json!(null);
    assert_eq!(cleared.result(), &expected);
    let listed = world.records_body(&zone_id).await;
    assert_eq!(listed["result"], json!([expected]));

    let deleted = world.delete(&path).await;
    assert_eq!(deleted.result(), &json!({ "id": id }));
    let gone = world.get(&path).await;
    assert_eq!(
        (gone.status, gone.body),
        (404, failure(81044, "Record does not exist.", None))
    );
    let listed = world.records_body(&zone_id).await;
    assert_eq!(listed["result"], json!([]));
    assert_eq!(listed["result_info"], page_info(1, 100, 0, 0, 0));
}

#[tokio::test]
async fn dns_1_the_token_verifies() {
    let world = common::start().await;
    let reply = world.get("/user/tokens/verify").await;
    assert_eq!(reply.status, 200);
    let token_id = assert_hex_id(&reply.body["result"]["id"]);
    assert_eq!(
        reply.body,
        json!({
            "success": true,
            "errors": [],
            "messages": [{ "code": 10000, "message": "This API Token is valid and active", "type": null }],
            "result": { "id": token_id, "status": "active" },
        })
    );
    assert_eq!(world.dns.api_token().len(), 40);
}

#[tokio::test]
async fn dns_1_requests_without_the_right_bearer_token_are_refused_and_change_nothing() {
    let (world, zone_id) = world_with_zone().await;
    world.create_txt(&zone_id, "keep", "me").await;
    let before = snapshot(&world, &zone_id).await;
    let records = world.v4(&format!("/zones/{zone_id}/dns_records"));
    let body = json!({ "type": "TXT", "name": "sneaky", "content": "x" });

    let reply = world.send(world.http.post(&records).json(&body)).await;
    assert_refused(
        &world,
        &zone_id,
        &before,
        reply,
        400,
        failure(
            9106,
            "Missing X-Auth-Key, X-Auth-Email or Authorization headers",
            None,
        ),
    )
    .await;

    for header in ["Basic x", "Bearer", "Bearer   "] {
        let reply = world
            .send(
                world
                    .http
                    .post(&records)
                    .header("Authorization", header)
                    .json(&body),
            )
            .await;
        assert_refused(
            &world,
            &zone_id,
            &before,
            reply,
            400,
            failure(
                6003,
                "Invalid request headers",
                Some((6111, "Invalid format for Authorization header")),
            ),
        )
        .await;
    }

    let wrong = format!("{}x", world.dns.api_token());
    for token in [wrong.as_str(), "not-the-token"] {
        let reply = world
            .send(world.http.post(&records).bearer_auth(token).json(&body))
            .await;
        assert_refused(
            &world,
            &zone_id,
            &before,
            reply,
            403,
            failure(10000, "Authentication error", None),
        )
        .await;
    }

    // Reads, deletes and token verification need the token too.
    let reply = world
        .send(
            world
                .http
                .delete(world.v4(&format!("/zones/{zone_id}")))
                .bearer_auth("nope"),
        )
        .await;
    assert_refused(
        &world,
        &zone_id,
        &before,
        reply,
        403,
        failure(10000, "Authentication error", None),
    )
    .await;
    let reply = world
        .send(world.http.get(world.v4("/user/tokens/verify")))
        .await;
    assert_refused(
        &world,
        &zone_id,
        &before,
        reply,
        400,
        failure(
            9106,
            "Missing X-Auth-Key, X-Auth-Email or Authorization headers",
            None,
        ),
    )
    .await;
}

#[tokio::test]
async fn dns_1_invalid_record_bodies_are_refused_and_change_nothing() {
    let (world, zone_id) = world_with_zone().await;
    world.create_txt(&zone_id, "keep", "me").await;
    let before = snapshot(&world, &zone_id).await;
    let records = format!("/zones/{zone_id}/dns_records");

    // Not JSON at all.
    let reply = world
        .send(
            world
                .http
                .post(world.v4(&records))
                .bearer_auth(world.dns.api_token())
                .header("Content-Type", "application/json")
                .body("{not json"),
        )
        .await;
    assert_refused(
        &world,
        &zone_id,
        &before,
        reply,
        400,
        failure(
            9207,
            "Request body is invalid.",
            Some((9207, "key must be a string at line 1 column 2")),
        ),
    )
    .await;

    let validation = |code: u32, message: &'static str| {
        failure(1004, "DNS Validation Error", Some((code, message)))
    };
    let cases = [
        (
            json!({ "type": "TXT", "name": "t" }),
            validation(9000, "`content` is required"),
        ),
        (
            json!({ "name": "t", "content": "x" }),
            validation(9000, "`type` is required"),
        ),
        (
            json!({ "type": "TXT", "content": "x" }),
            validation(9000, "`name` is required"),
        ),
        (
            json!({ "type": "A", "name": "a", "content": "300.1.1.1" }),
            validation(9005, "Content for A record must be a valid IPv4 address."),
        ),
        (
            json!({ "type": "A", "name": "a", "content": "2001:db8::1" }),
            validation(9005, "Content for A record must be a valid IPv4 address."),
        ),
        (
            json!({ "type": "AAAA", "name": "a", "content": "192.0.2.1" }),
            validation(
                9006,
                "Content for AAAA record must be a valid IPv6 address.",
            ),
        ),
        (
            json!({ "type": "CNAME", "name": "c", "content": "not a host!" }),
            validation(9007, "Content for CNAME record is invalid."),
        ),
        (
            json!({ "type": "TXT", "name": "t", "content": "" }),
            validation(9009, "TXT content must not be empty."),
        ),
        (
            json!({ "type": "TXT", "name": "t", "content": "x".repeat(4097) }),
            validation(9009, "TXT content is too long."),
        ),
        (
            json!({ "type": "TXT", "name": "t", "content": "x", "ttl": 30 }),
            validation(
                9021,
                "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.",
            ),
        ),
        (
            json!({ "type": "TXT", "name": "t", "content": "x", "ttl": 86401 }),
            validation(
                9021,
                "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.",
            ),
        ),
        (
            json!({ "type": "TXT", "name": "t", "content": "x", "proxied": true }),
            validation(9004, "This record type cannot be proxied."),
        ),
        (
            json!({ "type": "MX", "name": "m", "content": "mail.example.com" }),
            validation(
                9001,
                "Invalid or unsupported DNS record type `MX` (mock-dns serves A, AAAA, CNAME and TXT).",
            ),
        ),
        (
            json!({ "type": "TXT", "name": "bad name", "content": "x" }),
            validation(9000, "DNS name `bad name` is invalid."),
        ),
    ];
    for (body, expected) in cases {
        let reply = world.post(&records, body.clone()).await;
        assert_eq!(reply.status, 400, "{body}: {reply:?}");
        assert_refused(&world, &zone_id, &before, reply, 400, expected).await;
    }

    // A TTL that is no number is a body that does not parse.
    let reply = world
        .send(
            world
                .http
                .post(world.v4(&records))
                .bearer_auth(world.dns.api_token())
                .header("Content-Type", "application/json")
                .body(r#"{"type":"TXT","name":"t","content":"x","ttl":"soon"}"#),
        )
        .await;
    assert_refused(
        &world,
        &zone_id,
        &before,
        reply,
        400,
        failure(
            9207,
            "Request body is invalid.",
            Some((
                9207,
                r#"invalid type: string "soon", expected u32 at line 1 column 51"#,
            )),
        ),
    )
    .await;
}

#[tokio::test]
async fn dns_1_conflicting_records_are_refused_and_change_nothing() {
    let (world, zone_id) = world_with_zone().await;
    let txt = world
        .create_txt(&zone_id, "_kiro-verification", "kiro=1")
        .await;
    world
        .create_record(
            &zone_id,
            json!({ "type": "A", "name": "host", "content": "192.0.2.1" }),
        )
        .await;
    world
        .create_record(
            &zone_id,
            json!({ "type": "CNAME", "name": "www", "content": "host.example.com" }),
        )
        .await;
    let before = snapshot(&world, &zone_id).await;
    let records = format!("/zones/{zone_id}/dns_records");

    let identical = failure(81058, "An identical record already exists.", None);
    let cname_clash = failure(
        81053,
        "An A, AAAA, or CNAME record with that host already exists.",
        None,
    );
    let has_cname = failure(81054, "A CNAME record with that host already exists.", None);
    for (body, expected) in [
        (
            json!({ "type": "TXT", "name": "_kiro-verification", "content": "kiro=1" }),
            identical.clone(),
        ),
        (
            json!({ "type": "A", "name": "HOST.example.com.", "content": "192.0.2.1" }),
            identical,
        ),
        (
            json!({ "type": "CNAME", "name": "host", "content": "elsewhere.example.org" }),
            cname_clash.clone(),
        ),
        (
            json!({ "type": "CNAME", "name": "www", "content": "other.example.org" }),
            cname_clash,
        ),
        (
            json!({ "type": "TXT", "name": "www", "content": "x" }),
            has_cname.clone(),
        ),
        (
            json!({ "type": "A", "name": "www", "content": "192.0.2.2" }),
            has_cname.clone(),
        ),
    ] {
        let reply = world.post(&records, body).await;
        assert_refused(&world, &zone_id, &before, reply, 400, expected).await;
    }

    // Changing an existing record into a clash is refused the same way.
    let reply = world
        .patch(&format!("{records}/{txt}"), json!({ "name": "www" }))
        .await;
    assert_refused(&world, &zone_id, &before, reply, 400, has_cname.clone()).await;
    let reply = world
        .put(
            &format!("{records}/{txt}"),
            json!({ "type": "TXT", "name": "www", "content": "kiro=1" }),
        )
        .await;
    assert_refused(&world, &zone_id, &before, reply, 400, has_cname).await;
    // A record may be written back unchanged: it does not clash with itself.
    let same = world
        .put(
            &format!("{records}/{txt}"),
            json!({ "type": "TXT", "name": "_kiro-verification", "content": "kiro=1" }),
        )
        .await;
    assert_eq!(same.result()["content"], json!("kiro=1"));
}

#[tokio::test]
async fn dns_1_unknown_record_and_zone_ids_are_not_found_and_change_nothing() {
    let (world, zone_id) = world_with_zone().await;
    world.create_txt(&zone_id, "keep", "me").await;
    let before = snapshot(&world, &zone_id).await;
    let unknown_record = "0123456789abcdef0123456789abcdef";
    let record_path = format!("/zones/{zone_id}/dns_records/{unknown_record}");
    let body = json!({ "type": "TXT", "name": "t", "content": "x" });

    for (method, body) in [
        (Method::GET, None),
        (Method::PUT, Some(body.clone())),
        (Method::PATCH, Some(json!({ "content": "y" }))),
        (Method::DELETE, None),
    ] {
        let reply = world.call(method.clone(), &record_path, body).await;
        assert_refused(
            &world,
            &zone_id,
            &before,
            reply,
            404,
            failure(81044, "Record does not exist.", None),
        )
        .await;
    }

    let unknown_zone = "fedcba9876543210fedcba9876543210";
    let not_routed = failure(
        7003,
        &format!(
            "Could not route to /zones/{unknown_zone}, perhaps your object identifier is invalid?"
        ),
        Some((7000, "No route for that URI")),
    );
    let record_elsewhere = {
        let id = world.records_body(&zone_id).await["result"][0]["id"].clone();
        format!(
            "/zones/{unknown_zone}/dns_records/{}",
            id.as_str().expect("id")
        )
    };
    for (method, path, body) in [
        (Method::GET, format!("/zones/{unknown_zone}"), None),
        (Method::DELETE, format!("/zones/{unknown_zone}"), None),
        (
            Method::GET,
            format!("/zones/{unknown_zone}/dns_records"),
            None,
        ),
        (
            Method::POST,
            format!("/zones/{unknown_zone}/dns_records"),
            Some(body.clone()),
        ),
        // A real record id under an unknown zone.
        (Method::GET, record_elsewhere.clone(), None),
        (Method::DELETE, record_elsewhere, None),
    ] {
        let reply = world.call(method, &path, body).await;
        assert_refused(&world, &zone_id, &before, reply, 404, not_routed.clone()).await;
    }
}

#[tokio::test]
async fn dns_1_duplicate_and_invalid_zones_are_refused_and_change_nothing() {
    let (world, zone_id) = world_with_zone().await;
    let before = snapshot(&world, &zone_id).await;
    for name in ["example.com", "EXAMPLE.com."] {
        let reply = world.post("/zones", json!({ "name": name })).await;
        assert_refused(
            &world,
            &zone_id,
            &before,
            reply,
            400,
            failure(1061, "example.com already exists", None),
        )
        .await;
    }
    let reply = world.post("/zones", json!({ "name": "localhost" })).await;
    assert_refused(
        &world,
        &zone_id,
        &before,
        reply,
        400,
        failure(1002, "Invalid domain name `localhost`", None),
    )
    .await;
    let reply = world.post("/zones", json!({ "type": "full" })).await;
    assert_refused(
        &world,
        &zone_id,
        &before,
        reply,
        400,
        failure(
            9207,
            "Request body is invalid.",
            Some((9207, "`name` is required")),
        ),
    )
    .await;
    let reply = world
        .post(
            "/zones",
            json!({ "name": "example.org", "account": { "id": "someone-else" } }),
        )
        .await;
    assert_refused(
        &world,
        &zone_id,
        &before,
        reply,
        403,
        failure(
            1068,
            "Permission denied: the token has no access to that account",
            None,
        ),
    )
    .await;
}

#[tokio::test]
async fn dns_1_unknown_routes_are_refused_and_change_nothing() {
    let (world, zone_id) = world_with_zone().await;
    let before = snapshot(&world, &zone_id).await;
    let no_route = failure(7000, "No route for that URI", None);
    for (method, path) in [
        (Method::GET, world.v4("/nope")),
        (
            Method::POST,
            world.v4(&format!("/zones/{zone_id}/dns_records/x/y")),
        ),
        (Method::GET, world.url("/client/v3/zones")),
        (Method::GET, world.url("/")),
    ] {
        let reply = world
            .send(
                world
                    .http
                    .request(method, &path)
                    .bearer_auth(world.dns.api_token()),
            )
            .await;
        assert_refused(&world, &zone_id, &before, reply, 400, no_route.clone()).await;
    }
    // A known route with a method it does not take.
    let reply = world
        .call(Method::POST, "/user/tokens/verify", Some(json!({})))
        .await;
    assert_refused(
        &world,
        &zone_id,
        &before,
        reply,
        405,
        failure(7001, "Method not allowed for this endpoint", None),
    )
    .await;
}

/// Runs the same requests against a world and returns every answer's raw body, plus the token.
async fn script(seed: u64) -> (Vec<Vec<u8>>, String) {
    let world = common::start_seeded(seed).await;
    let mut bodies = Vec::new();
    let verify = world.get("/user/tokens/verify").await;
    bodies.push(verify.bytes);
    let zone = world.post("/zones", json!({ "name": ZONE })).await;
    let zone_id = zone.result()["id"].as_str().expect("zone id").to_string();
    bodies.push(zone.bytes);
    let records = format!("/zones/{zone_id}/dns_records");
    let txt = world
        .post(
            &records,
            json!({ "type": "TXT", "name": "_kiro-verification", "content": "kiro=x" }),
        )
        .await;
    let txt_id = txt.result()["id"].as_str().expect("record id").to_string();
    bodies.push(txt.bytes);
    world.advance("90s").await;
    bodies.push(
        world
            .post(
                &records,
                json!({ "type": "A", "name": "host", "content": "192.0.2.1" }),
            )
            .await
            .bytes,
    );
    bodies.push(
        world
            .patch(
                &format!("{records}/{txt_id}"),
                json!({ "content": "kiro=y" }),
            )
            .await
            .bytes,
    );
    bodies.push(world.get(&records).await.bytes);
    bodies.push(world.delete(&format!("{records}/{txt_id}")).await.bytes);
    bodies.push(world.get("/zones").await.bytes);
    (bodies, world.dns.api_token().to_string())
}

#[tokio::test]
async fn dns_1_the_same_seed_and_requests_give_byte_identical_answers() {
    let (first, first_token) = script(42).await;
    let (second, second_token) = script(42).await;
    assert_eq!(first_token, second_token);
    assert_eq!(first.len(), second.len());
    for (i, (a, b)) in first.iter().zip(&second).enumerate() {
        assert_eq!(
            String::from_utf8_lossy(a),
            String::from_utf8_lossy(b),
            "answer {i} differs"
        );
    }

    let (other, other_token) = script(43).await;
    assert_ne!(first_token, other_token);
    let ids = |bodies: &[Vec<u8>]| -> Vec<Value> {
        bodies[..3]
            .iter()
            .map(|b| {
                let body: Value = serde_json::from_slice(b).expect("json");
                body["result"]["id"].clone()
            })
            .collect()
    };
    let (ours, theirs) = (ids(&first), ids(&other));
    for (a, b) in ours.iter().zip(&theirs) {
        assert_hex_id(a);
        assert_hex_id(b);
        assert_ne!(a, b, "token, zone and record ids depend on the seed");
    }
}

#[tokio::test]
async fn dns_3_the_propagation_delay_is_read_and_set_over_http() {
    let world = common::start().await;
    assert_eq!(
        world.propagation().await,
        json!({ "delay": "0s", "unpublished_changes": 0, "next_publication": null })
    );
    assert_eq!(
        world.set_delay("5m").await,
        json!({ "delay": "5m", "unpublished_changes": 0, "next_publication": null })
    );
    let zone_id = world.create_zone(ZONE).await;
    world.create_txt(&zone_id, "t", "x").await;
    let pending = json!({
        "delay": "5m",
        "unpublished_changes": 2,
        "next_publication": "2026-01-01T00:05:00.000000Z"
    });
    assert_eq!(world.propagation().await, pending);

    let url = world.url("/_sim/dns/propagation");
    let bad_json = r#"expected {"delay": "5m"}: "#;
    for (body, message) in [
        (
            "nope".to_string(),
            format!("{bad_json}expected ident at line 1 column 2"),
        ),
        (
            r#"{"delay":300}"#.to_string(),
            format!("{bad_json}invalid type: integer `300`, expected a string at line 1 column 12"),
        ),
        (
            "{}".to_string(),
            format!("{bad_json}missing field `delay` at line 1 column 2"),
        ),
        (
            r#"{"delay":"soon"}"#.to_string(),
            "`soon` is not a duration like `90s`, `1h 30m` or `24h`: expected number at 0"
                .to_string(),
        ),
    ] {
        let reply = world
            .send(
                world
                    .http
                    .put(&url)
                    .header("Content-Type", "application/json")
                    .body(body.clone()),
            )
            .await;
        assert_eq!(
            (reply.status, reply.body),
            (
                400,
                json!({ "error": "invalid_request", "message": message })
            ),
            "{body}"
        );
        assert_eq!(world.propagation().await, pending, "unchanged after {body}");
    }

    world.advance("5m").await;
    assert_eq!(
        world.propagation().await,
        json!({ "delay": "5m", "unpublished_changes": 0, "next_publication": null })
    );
    assert_eq!(world.set_delay("1h 30m").await["delay"], json!("1h 30m"));
}

// covers: DNS-5
/// DNS-5: a request body over 1 MiB is 413 in
/// Cloudflare's envelope before any handler reads it, and changes nothing.
#[tokio::test]
async fn dns_5_a_body_over_1_mib_is_413_in_the_envelope_and_changes_nothing() {
    let (world, zone_id) = world_with_zone().await;
    let before = snapshot(&world, &zone_id).await;
    let reply = world
        .post(
            &format!("/zones/{zone_id}/dns_records"),
            json!({ "type": "TXT", "name": "t", "content": "x".repeat(mock_dns::MAX_BODY_BYTES) }),
        )
        .await;
    let why = format!(
        "The request body is larger than {} bytes.",
        mock_dns::MAX_BODY_BYTES
    );
    assert_refused(
        &world,
        &zone_id,
        &before,
        reply,
        413,
        failure(9207, "Request body is invalid.", Some((9207, &why))),
    )
    .await;
}
