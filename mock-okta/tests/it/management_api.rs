//! What every management API call shares, over HTTP: the SSWS token (missing, wrong or
//! `Bearer` → 401 E0000011), Okta's error object for unknown paths, methods and malformed
//! bodies, `X-Okta-Request-Id` and `X-Rate-Limit-*` on successes and errors alike, the
//! per-endpoint rate limit in world-time minutes (429 E0000047 with `X-Rate-Limit-Reset` and
//! `Date`), and paging with `limit`, `after` and absolute `Link` headers built from the
//! request's own `Host` (500 users walked to the end).
//!
//! covers: [OKTA-API-1, OKTA-API-2, OKTA-API-3]

use crate::common;

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};

use common::{Okta, Reply, enc, id_of};

/// Unix time of the world's start (2026-01-01T00:00:00Z).
const T0_UNIX: u64 = 1_767_225_600;

fn assert_common_headers(reply: &Reply) {
    let request_id = reply.header("x-okta-request-id");
    assert_eq!(request_id.len(), 27, "{reply:?}");
    assert!(request_id.bytes().all(|b| b.is_ascii_alphanumeric()));
    for h in [
        "x-rate-limit-limit",
        "x-rate-limit-remaining",
        "x-rate-limit-reset",
    ] {
        assert!(reply.header(h).parse::<u64>().is_ok(), "{h} on {reply:?}");
    }
    assert!(!reply.header("date").is_empty());
}

async fn user_count(okta: &Okta) -> usize {
    okta.get("/api/v1/users?limit=200")
        .await
        .ok()
        .as_array()
        .expect("a list")
        .len()
}

// covers: OKTA-API-5
#[tokio::test]
async fn okta_api_1_the_ssws_token_is_required() {
    let okta = common::start().await;
    let body = json!({ "profile": { "firstName": "A", "lastName": "B", "email": "a@example.com", "login": "a@example.com" } });
    let token = okta.token();
    let bearer = format!("Bearer {token}");
    let wrong = format!("SSWS {token}x");
    for authorization in [
        None,
        Some(bearer.as_str()),
        Some(wrong.as_str()),
        Some("SSWS"),
    ] {
        let reply = okta
            .call_as(
                authorization,
                Method::POST,
                "/api/v1/users",
                Some(body.clone()),
            )
            .await;
        let causes = reply.okta_error(401, "E0000011", "Invalid token provided");
        assert!(causes.is_empty());
        assert_common_headers(&reply);
        let reply = okta
            .call_as(authorization, Method::GET, "/api/v1/logs", None)
            .await;
        reply.okta_error(401, "E0000011", "Invalid token provided");
    }
    assert_eq!(user_count(&okta).await, 0, "refused calls created nothing");
    // The scheme is case-insensitive, as Okta's is.
    let reply = okta
        .call_as(
            Some(&format!("ssws {token}")),
            Method::GET,
            "/api/v1/users",
            None,
        )
        .await;
    assert_eq!(reply.ok(), &json!([]));
    // `SSWS{token}` with no space is what the Python SDK 3.x sends, and Okta accepts it.
    let reply = okta
        .call_as(
            Some(&format!("SSWS{token}")),
            Method::GET,
            "/api/v1/users",
            None,
        )
        .await;
    assert_eq!(reply.ok(), &json!([]));
}

#[tokio::test]
async fn okta_api_1_unknown_paths_methods_and_bodies_answer_okta_errors() {
    let okta = common::start().await;
    let reply = okta.get("/api/v1/nothing-here").await;
    reply.okta_error(
        404,
        "E0000007",
        "Not found: Resource not found: /api/v1/nothing-here (GenericUnAuthorizedException)",
    );
    assert_common_headers(&reply);

    let reply = okta.call(Method::PATCH, "/api/v1/users", None).await;
    reply.okta_error(
        405,
        "E0000022",
        "The endpoint does not support the provided HTTP method",
    );
    assert_common_headers(&reply);

    let reply = okta
        .send(
            okta.http
                .post(okta.url("/api/v1/groups"))
                .header("authorization", format!("SSWS {}", okta.token()))
                .body("not json"),
        )
        .await;
    let causes = reply.okta_error(400, "E0000003", "The request body was not well-formed.");
    assert_eq!(causes.len(), 1);
    assert_eq!(okta.get("/api/v1/groups").await.ok(), &json!([]));

    let causes = okta.get("/api/v1/users?limit=many").await.okta_error(
        400,
        "E0000001",
        "Api validation failed: limit",
    );
    assert_eq!(causes, ["limit: 'many' is not a valid number"]);
}

#[tokio::test]
async fn okta_api_3_every_response_has_a_request_id_and_rate_limit_headers() {
    let okta = common::start().await;
    let first = okta.get("/api/v1/users").await;
    first.ok();
    assert_common_headers(&first);
    assert_eq!(first.header("x-rate-limit-limit"), "10000");
    assert_eq!(first.header("x-rate-limit-remaining"), "9999");
    assert_eq!(
        first.header("x-rate-limit-reset"),
        (T0_UNIX + 60).to_string()
    );
    assert_eq!(first.header("date"), "Thu, 01 Jan 2026 00:00:00 GMT");

    let second = okta.get("/api/v1/users").await;
    assert_eq!(second.header("x-rate-limit-remaining"), "9998");
    assert_ne!(
        first.header("x-okta-request-id"),
        second.header("x-okta-request-id")
    );

    // Errors carry them too, and the errorId is derived from the request id.
    let error = okta.get("/api/v1/users/00u0000000000missing").await;
    error.okta_error(
        404,
        "E0000007",
        "Not found: Resource not found: 00u0000000000missing (User)",
    );
    assert_common_headers(&error);
    assert_eq!(
        error.body["errorId"],
        format!("oae{}", error.header("x-okta-request-id"))
    );
}

#[tokio::test]
async fn okta_api_3_the_rate_limit_answers_429_until_the_world_minute_ends() {
    let okta = common::start().await;
    okta.set_rate_limit(3).await;
    let body = |n: usize| {
        json!({ "profile": { "firstName": "U", "lastName": "N", "email": format!("u{n}@example.com"),
                             "login": format!("u{n}@example.com") } })
    };
    for n in 0..3 {
        let reply = okta.post("/api/v1/users", body(n)).await;
        reply.ok();
        assert_eq!(reply.header("x-rate-limit-limit"), "3");
        assert_eq!(reply.header("x-rate-limit-remaining"), (2 - n).to_string());
    }
    let limited = okta.post("/api/v1/users", body(3)).await;
    let causes = limited.okta_error(
        429,
        "E0000047",
        "API call exceeded rate limit due to too many requests.",
    );
    assert!(causes.is_empty());
    assert_common_headers(&limited);
    assert_eq!(limited.header("x-rate-limit-remaining"), "0");
    assert_eq!(
        limited.header("x-rate-limit-reset"),
        (T0_UNIX + 60).to_string()
    );
    assert_eq!(limited.header("date"), "Thu, 01 Jan 2026 00:00:00 GMT");

    // The limit is per endpoint: listing still works, and shows the refused call created
    // nothing.
    let list = okta.get("/api/v1/users").await;
    assert_eq!(list.ok().as_array().map(Vec::len), Some(3));

    // The next world minute resets the count.
    okta.advance("1m").await;
    let reply = okta.post("/api/v1/users", body(3)).await;
    reply.ok();
    assert_eq!(reply.header("x-rate-limit-remaining"), "2");
    assert_eq!(
        reply.header("x-rate-limit-reset"),
        (T0_UNIX + 120).to_string()
    );
    assert_eq!(reply.header("date"), "Thu, 01 Jan 2026 00:01:00 GMT");
    // Okta ids in paths share one bucket.
    let ids: Vec<String> = okta
        .get("/api/v1/users")
        .await
        .ok()
        .as_array()
        .expect("a list")
        .iter()
        .map(id_of)
        .collect();
    for id in &ids[..3] {
        okta.get(&format!("/api/v1/users/{id}")).await.ok();
    }
    okta.get(&format!("/api/v1/users/{}", ids[3]))
        .await
        .okta_error(
            429,
            "E0000047",
            "API call exceeded rate limit due to too many requests.",
        );
}

#[tokio::test]
async fn okta_api_2_paging_walks_500_users_by_link_headers() {
    let okta = common::start().await;
    let mut created = Vec::new();
    for n in 0..500 {
        let reply = okta
            .post(
                "/api/v1/users",
                json!({ "profile": { "firstName": format!("User{n}"), "lastName": "Paged",
                                     "email": format!("user{n}@example.com"),
                                     "login": format!("user{n}@example.com") } }),
            )
            .await;
        created.push(id_of(reply.ok()));
    }

    // Default limit (200), then follow rel="next" to the end.
    let mut url = okta.url("/api/v1/users");
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    loop {
        let reply = okta.get(&url).await;
        let page = reply.ok().as_array().expect("a list").clone();
        sizes.push(page.len());
        seen.extend(page.iter().map(id_of));
        assert_eq!(reply.link("self").as_deref(), Some(url.as_str()));
        match reply.link("next") {
            Some(next) => {
                assert!(
                    next.starts_with(&format!("{}/api/v1/users?", okta.base())),
                    "{next}"
                );
                assert_eq!(
                    next,
                    format!(
                        "{}/api/v1/users?after={}",
                        okta.base(),
                        seen[seen.len() - 1]
                    )
                );
                url = next;
            }
            None => break,
        }
    }
    assert_eq!(sizes, [200, 200, 100]);
    assert_eq!(seen, created, "every user once, in creation order");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 500);

    // A smaller limit and a filter are kept in the next links; limits above the maximum are
    // clamped to it.
    let filter = enc(r#"profile.lastName eq "Paged""#);
    let (all, pages) = okta
        .list_all(&format!("/api/v1/users?filter={filter}&limit=150"))
        .await;
    assert_eq!(pages, 4);
    assert_eq!(all.iter().map(id_of).collect::<Vec<_>>(), created);
    let reply = okta
        .get(&format!("/api/v1/users?limit=150&filter={filter}"))
        .await;
    assert_eq!(
        reply.link("next"),
        Some(format!(
            "{}/api/v1/users?limit=150&filter={filter}&after={}",
            okta.base(),
            created[149]
        ))
    );
    let reply = okta.get("/api/v1/users?limit=1000").await;
    assert_eq!(reply.ok().as_array().map(Vec::len), Some(200));
    // The last page has no next link; a stale `after` gives an empty page.
    let reply = okta
        .get(&format!("/api/v1/users?after={}", created[499]))
        .await;
    assert_eq!(reply.ok(), &json!([]));
    assert_eq!(reply.link("next"), None);
    assert!(reply.link("self").is_some());
}

#[tokio::test]
async fn okta_api_2_links_use_the_request_s_host() {
    let okta = common::start().await;
    for n in 0..3 {
        okta.create_user(&format!("h{n}@example.com")).await;
    }
    let host = "acme.okta.test:8443";
    let reply = okta
        .send(
            okta.http
                .get(okta.url("/api/v1/users?limit=2"))
                .header("host", host)
                .header("authorization", format!("SSWS {}", okta.token())),
        )
        .await;
    let page = reply.ok().as_array().expect("a list").clone();
    assert_eq!(page.len(), 2);
    assert_eq!(
        reply.header_all("link"),
        [
            format!("<http://{host}/api/v1/users?limit=2>; rel=\"self\""),
            format!(
                "<http://{host}/api/v1/users?limit=2&after={}>; rel=\"next\"",
                id_of(&page[1])
            ),
        ]
    );
    // Without a query the self link is the bare path.
    let reply = okta.get("/api/v1/groups").await;
    assert_eq!(
        reply.header_all("link"),
        [format!("<{}/api/v1/groups>; rel=\"self\"", okta.base())]
    );
    let _: &Value = reply.ok();
}

/// Every answer of a fixed sequence of management calls, with the org URL (its port differs
/// between worlds) replaced by `{org}`.
async fn transcript(okta: &Okta) -> Vec<(u16, String, String)> {
    let mut out = Vec::new();
    let mut record = |reply: Reply| {
        let body = String::from_utf8_lossy(&reply.bytes).replace(&okta.base(), "{org}");
        out.push((
            reply.status,
            reply.header("x-okta-request-id").to_string(),
            body,
        ));
    };
    let org = okta.kiro_org("ada@example.com").await;
    okta.advance("90s").await;
    record(okta.get(&format!("/api/v1/users/{}", org.user_id)).await);
    record(okta.get(&format!("/api/v1/apps/{}", org.app_id)).await);
    record(
        okta.get(&format!("/api/v1/authorizationServers/{}", org.as_id))
            .await,
    );
    record(
        okta.post(
            &format!("/api/v1/authorizationServers/{}/tokenPreview", org.as_id),
            json!({ "clientId": org.app_id, "grantType": "authorization_code",
                    "userId": org.user_id, "scopes": ["openid", "offline_access"] }),
        )
        .await,
    );
    record(
        okta.post_empty(&format!(
            "/api/v1/authorizationServers/{}/credentials/lifecycle/keyRotate",
            org.as_id
        ))
        .await,
    );
    record(
        okta.post("/api/v1/groups", json!({ "profile": { "name": "" } }))
            .await,
    );
    record(okta.get("/api/v1/logs").await);
    out
}

#[tokio::test]
async fn okta_api_1_the_same_seed_and_requests_give_byte_identical_answers() {
    let first = transcript(&common::start_seeded(7).await).await;
    let second = transcript(&common::start_seeded(7).await).await;
    assert_eq!(first, second);
    let other = transcript(&common::start_seeded(8).await).await;
    assert_ne!(first, other, "another seed gives other ids");
}

#[tokio::test]
async fn okta_api_1_paths_with_a_trailing_slash_before_the_query_are_served() {
    // Okta's SDKs call `/api/v1/users/?limit=200`; Okta answers it like `/api/v1/users`.
    let okta = common::start().await;
    let id = okta.create_user("ada@example.com").await;
    let reply = okta.get("/api/v1/users/?limit=1").await;
    assert_eq!(reply.ok().as_array().map(Vec::len), Some(1));
    assert_eq!(
        reply.link("self"),
        Some(format!("{}/api/v1/users/?limit=1", okta.base()))
    );
    let reply = okta
        .post_empty(&format!(
            "/api/v1/users/{id}/lifecycle/suspend/?sendEmail=false"
        ))
        .await;
    assert_eq!(reply.ok(), &json!({}));
    assert_eq!(
        okta.get(&format!("/api/v1/users/{id}")).await.ok()["status"],
        "SUSPENDED"
    );
}
