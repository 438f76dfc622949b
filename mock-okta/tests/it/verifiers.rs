//! The token verifiers and relying-party libraries people use, unmodified, against mock-okta
//! served over https with a test CA (its clock starting at the wall clock's now, since they all
//! compare `exp` with their own clock):
//!
//! - `@okta/jwt-verifier` (Node, `tests/sdk/okta_jwt_verifier.js`) and `okta-jwt-verifier`
//!   (Python, `tests/sdk/verify_tokens.py`, its sync and asyncio paths) verify access and ID
//!   tokens of a Kiro-like native app, refuse tampered ones (changed payload, another token's
//!   signature, `alg: none`, wrong audience, client, nonce, and an issuer that signs with the
//!   very same keys), and, after a key rotation through the management API, verify the new
//!   tokens (new `kid`) and the old ones with the same verifier and a fresh one.
//! - `openid-client` 6.x (Node, ESM, `tests/sdk/openid_client.mjs`) and Authlib (Python, with
//!   requests, `tests/sdk/authlib_rp.py`): discovery, code + PKCE signed in headlessly
//!   (`sessionToken`) and through the HTML login form, ID-token checks, refresh, userinfo.
//!
//! The CA reaches Node through `NODE_EXTRA_CA_CERTS` and Python through `SSL_CERT_FILE` and
//! `REQUESTS_CA_BUNDLE`. Where the packages come from: `sdk_support` (`clients/node/` lock file,
//! `clients/python/verifiers.txt`); without them a test prints one `skipped:` line, or fails
//! under `CI`.

use crate::oidc_support;
use crate::sdk_support;

use std::path::PathBuf;
use std::process::Command;

use oidc_support::{AUDIENCE, Kiro, Org, PASSWORD, REDIRECT};
use serde_json::{Value, json};
use sim_core::tls::WorldCa;

/// The scopes the scripts ask for: Kiro's, and what an OIDC client adds.
const SCOPES: &str = "openid profile email offline_access codewhisperer:completions";

/// An https org set up like Kiro's (native app with PKCE, authorization server with audience
/// [`AUDIENCE`]), plus a second org on the same seed: the same dev keys and key ids, another
/// issuer.
struct Https {
    kiro: Kiro,
    foreign: Kiro,
    ca_file: PathBuf,
}

impl Https {
    async fn start(seed: u64) -> Https {
        let ca = WorldCa::new("kiro-sim verifiers test CA").expect("a CA");
        let ca_file = std::env::temp_dir().join(format!(
            "kiro-sim-verifiers-{}-{seed}.pem",
            std::process::id()
        ));
        ca.write_ca_pem(&ca_file).expect("the CA file is written");
        let kiro = Kiro::set_up(Org::start_tls(seed, &ca).await, 60).await;
        let foreign = Kiro::set_up(Org::start_tls(seed, &ca).await, 60).await;
        assert!(kiro.issuer().starts_with("https://localhost:"));
        Https {
            kiro,
            foreign,
            ca_file,
        }
    }

    /// What the verifier scripts get: the org, tokens from a sign-in (nonce `n0nce`), a
    /// foreign org's tokens, and an access token without Kiro's scope.
    async fn verifier_input(&self) -> Value {
        let k = &self.kiro;
        let tokens = k.sign_in(&k.login, SCOPES).await;
        let foreign = self.foreign.sign_in(&self.foreign.login, SCOPES).await;
        let narrow = k.sign_in(&k.login, "openid profile").await;
        json!({
            "issuer": k.issuer(),
            "audience": AUDIENCE,
            "client_id": k.client_id,
            "org_url": k.base(),
            "as_id": k.as_id,
            "api_token": k.okta.api_token(),
            "access": tokens["access_token"],
            "id_token": tokens["id_token"],
            "nonce": "n0nce",
            "refresh_token": tokens["refresh_token"],
            "foreign_access": foreign["access_token"],
            "foreign_id": foreign["id_token"],
            "narrow_access": narrow["access_token"],
        })
    }

    /// What the relying-party scripts get.
    fn relying_party_input(&self) -> Value {
        let k = &self.kiro;
        json!({
            "issuer": k.issuer(),
            "client_id": k.client_id,
            "redirect": REDIRECT,
            "login": k.login,
            "password": PASSWORD,
            "org_url": k.base(),
            "scope": SCOPES,
        })
    }
}

impl Drop for Https {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.ca_file);
    }
}

/// Runs a script with the CA trusted the way each runtime's users set it.
async fn run(mut command: Command, ca_file: &std::path::Path, input: &Value) -> Value {
    command
        .arg(input.to_string())
        .env("NODE_EXTRA_CA_CERTS", ca_file)
        .env("SSL_CERT_FILE", ca_file)
        .env("REQUESTS_CA_BUNDLE", ca_file);
    tokio::task::spawn_blocking(move || sdk_support::run_json(command))
        .await
        .expect("the script run is joined")
}

/// `node_modules` with `package` at its pinned version, or `None` after skipping.
async fn node_modules(package: &'static str) -> Option<PathBuf> {
    let version = sdk_support::pinned_node_package(package);
    let lookup = version.clone();
    match tokio::task::spawn_blocking(move || sdk_support::node_modules_with(package, &lookup))
        .await
        .expect("the check runs")
    {
        Ok(modules) => Some(modules),
        Err(why) => {
            sdk_support::skip(&format!("{package}@{version}"), &why);
            None
        }
    }
}

/// The `verifiers` venv's Python, or `None` after skipping.
async fn python() -> Option<PathBuf> {
    match tokio::task::spawn_blocking(sdk_support::python_with_verifiers)
        .await
        .expect("the check runs")
    {
        Ok(python) => Some(python),
        Err(why) => {
            sdk_support::skip(
                "okta-jwt-verifier and authlib (clients/python/verifiers.txt)",
                &why,
            );
            None
        }
    }
}

/// What both verifiers must conclude, whatever their language.
fn assert_verifier_summary(s: &Value) {
    for (case, outcome) in s["before"].as_object().expect("before") {
        assert_eq!(outcome, "ok", "before rotation, {case}: {s}");
    }
    for (case, outcome) in s["tampered"].as_object().expect("tampered") {
        assert_refused_for_its_reason(case, outcome, s);
    }
    assert_eq!(
        s["kids"],
        json!({ "before_differs_from_after": true, "after_is_active_key": true, "id_token_after": true }),
        "{s}"
    );
    for (case, outcome) in s["after"].as_object().expect("after") {
        if case.ends_with("_tampered") {
            assert_refused_for_its_reason(case, outcome, s);
        } else {
            assert_eq!(outcome, "ok", "after rotation, {case}: {s}");
        }
    }
}

/// A tampered case is refused, and for the reason it was built to trip (a word of the
/// verifier's message), not by accident (a network error, a missing key).
fn assert_refused_for_its_reason(case: &str, outcome: &Value, s: &Value) {
    let reason = match case {
        "access_unsigned" => "alg",
        "access_wrong_audience" => "audience",
        "access_wrong_issuer" | "id_wrong_issuer" => "issuer",
        "id_wrong_client" => "client id",
        "id_wrong_nonce" => "nonce",
        "access_missing_scope" => "'scp'",
        _ => "signature",
    };
    let text = outcome.as_str().unwrap_or("").to_lowercase();
    assert!(
        text.starts_with("refused: ") && text.contains(reason),
        "{case} must be refused for its {reason}, got {outcome}: {s}"
    );
}

// covers: OKTA-AS-4, OKTA-AS-7, SIM-RP-1
#[tokio::test]
async fn okta_as_4_okta_jwt_verifier_for_node_verifies_refuses_tampering_and_follows_a_rotation() {
    let Some(modules) = node_modules("@okta/jwt-verifier").await else {
        return;
    };
    let https = Https::start(71).await;
    let input = https.verifier_input().await;
    let mut command = Command::new("node");
    command
        .arg(sdk_support::script("okta_jwt_verifier.js"))
        .env("NODE_PATH", modules);
    let s = run(command, &https.ca_file, &input).await;
    assert_verifier_summary(&s);
    let k = &https.kiro;
    assert_eq!(
        s["access_claims"],
        json!({
            "iss": k.issuer(),
            "aud": AUDIENCE,
            "cid": k.client_id,
            "uid": k.user_id,
            "sub": k.login,
            "scp": ["openid", "profile", "email", "offline_access", "codewhisperer:completions"],
        })
    );
    assert_eq!(
        s["id_claims"],
        json!({ "aud": k.client_id, "sub": k.user_id, "nonce": "n0nce" })
    );
}

// covers: OKTA-AS-4, OKTA-AS-7, SIM-RP-1
#[tokio::test]
async fn okta_as_4_okta_jwt_verifier_for_python_verifies_refuses_tampering_and_follows_a_rotation()
{
    let Some(python) = python().await else {
        return;
    };
    let https = Https::start(72).await;
    let input = https.verifier_input().await;
    let mut command = Command::new(python);
    command.arg(sdk_support::script("verify_tokens.py"));
    let s = run(command, &https.ca_file, &input).await;
    assert_verifier_summary(&s);
}

/// What both relying parties must report.
fn assert_relying_party_summary(s: &Value, https: &Https) {
    let k = &https.kiro;
    assert_eq!(s["issuer"], json!(k.issuer()), "{s}");
    assert_eq!(s["pkce_methods"], json!(["S256"]), "{s}");
    let signed_in = |mode: &str, extra: Value| {
        let mut expected = json!({
            "mode": mode,
            "id_sub": k.user_id,
            "id_aud": k.client_id,
            "id_email": k.login,
            "scope": SCOPES,
            "token_type": "bearer",
            "has_refresh": true,
        });
        for (key, value) in extra.as_object().expect("an object") {
            expected[key] = value.clone();
        }
        expected
    };
    // Token types are case-insensitive (RFC 6749 section 5.1); openid-client lowercases it.
    let mut s = s.clone();
    for mode in ["session_token", "form"] {
        let token_type = s[mode]["token_type"].as_str().unwrap_or("").to_lowercase();
        s[mode]["token_type"] = json!(token_type);
    }
    assert_eq!(
        s["session_token"],
        signed_in("sessionToken", json!({ "authn_status": "SUCCESS" })),
    );
    assert_eq!(
        s["form"],
        signed_in(
            "form",
            json!({ "login_page_status": 200, "form_method": "post", "session_cookie": true })
        ),
    );
    assert_eq!(
        s["refresh"],
        json!({ "access_differs": true, "id_sub": k.user_id, "has_refresh": true })
    );
    assert_eq!(
        s["userinfo"],
        json!({ "sub": k.user_id, "email": k.login, "preferred_username": k.login })
    );
    assert_eq!(s["userinfo_session_token"], json!({ "sub": k.user_id }));
}

// covers: OKTA-AS-1, OKTA-TOK-1, OKTA-TOK-2, SIM-RP-1
#[tokio::test]
async fn okta_tok_2_openid_client_signs_in_by_session_token_and_by_the_login_form_refreshes_and_reads_userinfo()
 {
    let Some(modules) = node_modules("openid-client").await else {
        return;
    };
    let https = Https::start(73).await;
    let mut command = Command::new("node");
    command
        .arg(sdk_support::script("openid_client.mjs"))
        .env("NODE_PATH", modules);
    let s = run(command, &https.ca_file, &https.relying_party_input()).await;
    assert_relying_party_summary(&s, &https);
}

// covers: OKTA-AS-1, OKTA-TOK-1, OKTA-TOK-2, SIM-RP-1
#[tokio::test]
async fn okta_tok_2_authlib_signs_in_by_session_token_and_by_the_login_form_refreshes_and_reads_userinfo()
 {
    let Some(python) = python().await else {
        return;
    };
    let https = Https::start(74).await;
    let mut command = Command::new(python);
    command.arg(sdk_support::script("authlib_rp.py"));
    let s = run(command, &https.ca_file, &https.relying_party_input()).await;
    assert_relying_party_summary(&s, &https);
}
