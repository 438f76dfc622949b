//! Hostile input over HTTP: expressions nested or chained beyond any real use, oversized URLs,
//! profile values beyond Okta's documented lengths and oversized bodies are refused with
//! Okta's error object, change nothing, and leave the server answering.
//!
//! covers: [OKTA-API-1]; proposed: OKTA-API-5, OKTA-API-6, OKTA-API-7
//! (docs/new-behaviours-hostile.md)

mod common;

use common::{Okta, enc};

/// `depth` nested parentheses around one comparison (3,000: an 18 KB URL once encoded).
fn nested(depth: usize) -> String {
    format!("{}status pr{}", "(".repeat(depth), ")".repeat(depth))
}

async fn still_answers(okta: &Okta) {
    okta.get("/api/v1/users").await.ok();
}

/// OKTA-API-5: every list endpoint that takes an expression refuses one nested 3,000 deep
/// with E0000031, and the server keeps answering (it used to overflow a worker's stack and
/// abort the process).
#[tokio::test]
async fn okta_api_5_deeply_nested_expressions_are_e0000031_and_the_server_survives() {
    let okta = common::start().await;
    // 3,000 deep is refused for its length, 1,000 deep (within the length) for its depth.
    for (depth, why) in [(3000, "longer than"), (1000, "nest deeper")] {
        let expr = enc(&nested(depth));
        assert!(depth < 3000 || expr.len() > 18_000);
        for path in [
            format!("/api/v1/users?filter={expr}"),
            format!("/api/v1/users?search={expr}"),
            format!("/api/v1/logs?filter={expr}"),
            format!("/api/v1/apps?filter={expr}"),
        ] {
            let reply = okta.get(&path).await;
            let causes = reply.okta_error(400, "E0000031", "Invalid search criteria.");
            assert!(causes[0].contains(why), "{path:.40}: {causes:?}");
            still_answers(&okta).await;
        }
    }
    // A long flat chain is bounded too.
    let chain = enc(&vec!["status pr"; 150].join(" or "));
    let reply = okta.get(&format!("/api/v1/users?search={chain}")).await;
    let causes = reply.okta_error(400, "E0000031", "Invalid search criteria.");
    assert!(causes[0].contains("comparisons"), "{causes:?}");
    still_answers(&okta).await;
}

/// OKTA-API-5: a URL beyond what the HTTP layer takes is refused by it (a 4xx), and the server
/// keeps answering.
#[tokio::test]
async fn okta_api_5_an_oversized_url_is_refused_and_the_server_survives() {
    let okta = common::start().await;
    let huge = "a".repeat(200_000);
    let response = okta
        .http
        .get(okta.url(&format!("/api/v1/users?q={huge}")))
        .header("Authorization", format!("SSWS {}", okta.token()))
        .send()
        .await;
    if let Ok(response) = response {
        assert!(response.status().is_client_error(), "{}", response.status());
    }
    still_answers(&okta).await;
}
