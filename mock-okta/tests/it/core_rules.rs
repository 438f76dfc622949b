//! The domain core's rules, exercised directly (no sockets): user lifecycle, policy
//! evaluation order, refresh-token rotation and key rotation.
//!
//! covers: [OKTA-DIR-1, OKTA-DIR-2, OKTA-APP-3, OKTA-AS-3, OKTA-AS-5, OKTA-AS-7, OKTA-TOK-4]

use std::time::{Duration, SystemTime};

use mock_okta::core::authz::{Denial, KeyStatus};
use mock_okta::core::tokens::{AuthorizeOutcome, AuthorizeRequest, ClientAuth, s256};
use mock_okta::core::{
    ApplicationType, NewOidcApp, NewRule, NewUser, OktaError, Org, RefreshRotation, UserStatus,
};
use serde_json::{Map, Value, json};
use sim_core::Seed;

const REDIRECT: &str = "http://localhost:3128/oauth/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn t0() -> SystemTime {
    sim_core::clock::fixed_epoch()
}

fn org() -> Org {
    let keys = sim_core::keys::dev_keys(Seed(3)).expect("dev keys");
    Org::new("http://okta.test", Seed(3), keys, t0())
}

fn profile(login: &str) -> Map<String, Value> {
    let v = json!({ "login": login, "email": login, "firstName": "Ada", "lastName": "Lovelace" });
    v.as_object().cloned().expect("object")
}

fn new_user(org: &mut Org, login: &str) -> String {
    org.create_user(
        t0(),
        NewUser {
            profile: profile(login),
            password: Some("Correct-Horse-9".into()),
            activate: true,
            group_ids: vec![],
        },
    )
    .expect("user")
    .id
}

fn native_app(org: &mut Org, rotation: RefreshRotation) -> String {
    org.create_oidc_app(
        t0(),
        NewOidcApp {
            label: "Kiro-OIDC".into(),
            application_type: ApplicationType::Native,
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
            redirect_uris: vec![REDIRECT.into()],
            post_logout_redirect_uris: vec![],
            response_types: vec![],
            token_endpoint_auth_method: None,
            jwks: Vec::new(),
            refresh_rotation: Some(rotation),
            refresh_leeway_secs: Some(30),
            activate: true,
        },
    )
    .expect("app")
    .id
}

fn rule(name: &str, scopes: &[&str]) -> NewRule {
    NewRule {
        name: name.into(),
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        ..NewRule::default()
    }
}

fn strings(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

/// A world with one user assigned to one native app, and an authorization server whose one
/// policy lets everyone have `openid offline_access` by code and refresh.
struct Fixture {
    org: Org,
    user: String,
    app: String,
    server: String,
}

fn fixture(rotation: RefreshRotation) -> Fixture {
    let mut org = org();
    let user = new_user(&mut org, "ada@example.com");
    let app = native_app(&mut org, rotation);
    org.assign_user(t0(), &app, &user).expect("assign");
    let server = org
        .create_auth_server(t0(), "Kiro", None, strings(&["api://kiro"]))
        .expect("server")
        .id;
    let policy = org
        .create_policy(t0(), &server, "Kiro", None, Some(1), vec![app.clone()])
        .expect("policy")
        .id;
    org.create_rule(
        t0(),
        &server,
        &policy,
        rule("all", &["openid", "offline_access"]),
    )
    .expect("rule");
    Fixture {
        org,
        user,
        app,
        server,
    }
}

/// Signs in and gets a token set through the code flow, all in the core.
fn sign_in(f: &mut Fixture, now: SystemTime, scopes: &[&str]) -> mock_okta::core::TokenSet {
    let session = f
        .org
        .login(now, "ada@example.com", "Correct-Horse-9", None)
        .expect("login");
    let request = AuthorizeRequest {
        as_id: f.server.clone(),
        client_id: f.app.clone(),
        redirect_uri: REDIRECT.into(),
        response_type: "code".into(),
        scopes: strings(scopes),
        state: Some("s".into()),
        nonce: Some("n".into()),
        code_challenge: Some(s256(VERIFIER)),
        code_challenge_method: Some("S256".into()),
        prompt: None,
        max_age: None,
    };
    let AuthorizeOutcome::Code(code) = f
        .org
        .authorize(now, &request, Some(&session.id))
        .expect("authorize")
    else {
        panic!("expected a code");
    };
    f.org
        .token_from_code(
            now,
            &f.server,
            &client(&f.app),
            &code,
            REDIRECT,
            Some(VERIFIER),
        )
        .expect("token")
        .sign()
        .expect("sign")
}

fn client(app: &str) -> ClientAuth {
    ClientAuth {
        client_id: app.into(),
        client_secret: None,
        assertion: None,
    }
}

#[test]
fn okta_dir_1_user_lifecycle_follows_okta() {
    let mut org = org();
    let staged = org
        .create_user(
            t0(),
            NewUser {
                profile: profile("grace@example.com"),
                password: None,
                activate: false,
                group_ids: vec![],
            },
        )
        .expect("staged");
    assert_eq!(staged.status, UserStatus::Staged);
    assert_eq!(
        org.activate_user(t0(), &staged.id)
            .expect("activate")
            .status,
        UserStatus::Provisioned
    );

    let ada = new_user(&mut org, "ada@example.com");
    assert_eq!(org.user(&ada).expect("ada").status, UserStatus::Active);
    assert_eq!(org.activate_user(t0(), &ada), Err(OktaError::AlreadyActive));
    assert_eq!(
        org.unsuspend_user(t0(), &ada),
        Err(OktaError::InvalidStatus)
    );
    assert_eq!(
        org.suspend_user(t0(), &ada).expect("suspend").status,
        UserStatus::Suspended
    );
    assert!(
        org.login(t0(), "ada@example.com", "Correct-Horse-9", None)
            .is_err(),
        "only ACTIVE users sign in"
    );
    assert_eq!(
        org.unsuspend_user(t0(), &ada).expect("unsuspend").status,
        UserStatus::Active
    );
    assert!(
        org.login(t0(), "ada@example.com", "Correct-Horse-9", None)
            .is_ok()
    );

    // Deleting an active user deactivates it; a second delete removes it.
    assert_eq!(org.delete_user(t0(), &ada), Ok(false));
    assert_eq!(
        org.user(&ada).expect("still there").status,
        UserStatus::Deprovisioned
    );
    assert_eq!(org.delete_user(t0(), &ada), Ok(true));
    assert!(matches!(
        org.user(&ada),
        Err(OktaError::NotFound { kind: "User", .. })
    ));
}

#[test]
fn okta_dir_1_bad_profiles_and_weak_passwords_change_nothing() {
    let mut org = org();
    let mut p = profile("not-an-email");
    p.remove("lastName");
    let err = org
        .create_user(
            t0(),
            NewUser {
                profile: p,
                password: None,
                activate: true,
                group_ids: vec![],
            },
        )
        .expect_err("invalid");
    let OktaError::Validation { causes, .. } = err else {
        panic!("expected a validation error");
    };
    assert!(
        causes.contains(&"lastName: The field cannot be left blank".to_string()),
        "{causes:?}"
    );
    assert!(
        causes
            .iter()
            .any(|c| c.starts_with("login: Username must be in the form of an email address"))
    );
    let weak = org.create_user(
        t0(),
        NewUser {
            profile: profile("ada@example.com"),
            password: Some("short".into()),
            activate: true,
            group_ids: vec![],
        },
    );
    assert!(
        matches!(weak, Err(OktaError::Validation { ref summary, .. }) if summary == "password")
    );
    assert!(org.list_users(None, None).expect("list").is_empty());
    assert!(
        org.system_log().events().is_empty(),
        "refusals log no change"
    );
}

#[test]
fn okta_app_3_assignment_through_a_group_counts() {
    let mut org = org();
    let user = new_user(&mut org, "ada@example.com");
    let app = native_app(&mut org, RefreshRotation::Rotate);
    assert!(!org.is_assigned(&app, &user));
    let group = org
        .create_group(t0(), "Kiro Users", None)
        .expect("group")
        .id;
    org.assign_group(t0(), &app, &group).expect("assign group");
    assert!(!org.is_assigned(&app, &user), "group has no members yet");
    org.add_member(t0(), &group, &user).expect("member");
    assert!(org.is_assigned(&app, &user));
    org.remove_member(t0(), &group, &user).expect("remove");
    assert!(!org.is_assigned(&app, &user));
}

#[test]
fn okta_as_3_the_first_matching_policy_decides_and_rules_go_by_priority() {
    let mut f = fixture(RefreshRotation::Rotate);
    let (org, server, app, user) = (&mut f.org, f.server.clone(), f.app.clone(), f.user.clone());
    let scope = |org: &mut Org, name: &str| {
        org.create_scope(
            t0(),
            &server,
            mock_okta::core::Scope {
                id: String::new(),
                name: name.into(),
                description: None,
                display_name: None,
                consent: "IMPLICIT".into(),
                metadata_publish: "ALL_CLIENTS".into(),
                default: false,
                system: false,
            },
        )
        .expect("scope");
    };
    scope(org, "codewhisperer:completions");
    scope(org, "codewhisperer:conversations");
    let want = strings(&["openid", "codewhisperer:completions"]);

    // The fixture's policy allows only openid + offline_access: no rule matches.
    assert_eq!(
        org.evaluate(&server, &app, "authorization_code", &user, &want),
        Err(Denial::NoMatchingRule)
    );

    // A second, lower-priority policy that would allow it is never reached.
    let p2 = org
        .create_policy(
            t0(),
            &server,
            "Fallback",
            None,
            Some(2),
            strings(&["ALL_CLIENTS"]),
        )
        .expect("p2")
        .id;
    org.create_rule(t0(), &server, &p2, rule("any", &["*"]))
        .expect("rule");
    assert_eq!(
        org.evaluate(&server, &app, "authorization_code", &user, &want),
        Err(Denial::NoMatchingRule)
    );

    // In the first policy, a 15-minute rule at priority 1 wins over the 60-minute default.
    let p1 = org.auth_server(&server).expect("server").policies[0]
        .id
        .clone();
    let mut short = rule("short", &["openid", "codewhisperer:completions"]);
    short.priority = Some(1);
    short.access_token_lifetime_minutes = Some(15);
    org.create_rule(t0(), &server, &p1, short).expect("rule");
    let decision = org
        .evaluate(&server, &app, "authorization_code", &user, &want)
        .expect("allowed");
    assert_eq!(decision.access_ttl, Duration::from_secs(15 * 60));
    assert_eq!(
        decision.refresh_ttl, None,
        "refresh lifetime defaults to unlimited"
    );
    assert_eq!(decision.refresh_window, Duration::from_secs(7 * 24 * 3600));

    // Scopes must all be allowed; unknown scopes are a different error.
    let too_much = strings(&["openid", "codewhisperer:conversations"]);
    assert_eq!(
        org.evaluate(&server, &app, "authorization_code", &user, &too_much),
        Err(Denial::NoMatchingRule)
    );
    assert_eq!(
        org.evaluate(
            &server,
            &app,
            "authorization_code",
            &user,
            &strings(&["nope"])
        ),
        Err(Denial::UnknownScope("nope".into()))
    );
    // A client no policy includes.
    let other = native_app(org, RefreshRotation::Rotate);
    let p_all = org
        .auth_server(&server)
        .expect("server")
        .policies
        .iter()
        .map(|p| p.id.clone())
        .collect::<Vec<_>>();
    for p in p_all.iter().skip(1) {
        org.delete_policy(t0(), &server, p).expect("delete");
    }
    assert_eq!(
        org.evaluate(&server, &other, "authorization_code", &user, &want),
        Err(Denial::NoMatchingPolicy)
    );
}

#[test]
fn okta_as_3_rule_lifetimes_are_range_checked() {
    let mut f = fixture(RefreshRotation::Rotate);
    let policy = f.org.auth_server(&f.server).expect("server").policies[0]
        .id
        .clone();
    for (access, refresh, window) in [
        (Some(4), None, None),
        (Some(1441), None, None),
        (Some(60), Some(30), None),
        (Some(60), Some(120), Some(240)),
    ] {
        let mut r = rule("bad", &["openid"]);
        r.access_token_lifetime_minutes = access;
        r.refresh_token_lifetime_minutes = refresh;
        r.refresh_token_window_minutes = window;
        let err = f
            .org
            .create_rule(t0(), &f.server, &policy, r)
            .expect_err("out of range");
        assert!(matches!(err, OktaError::Validation { .. }), "{err:?}");
    }
    assert_eq!(
        f.org.auth_server(&f.server).expect("server").policies[0]
            .rules
            .len(),
        1
    );
}

#[test]
fn okta_as_5_refresh_tokens_need_offline_access_and_rotate_with_leeway() {
    let mut f = fixture(RefreshRotation::Rotate);
    let without = sign_in(&mut f, t0(), &["openid"]);
    assert!(without.refresh_token.is_none());
    assert!(without.id_token.is_some());

    let tokens = sign_in(&mut f, t0(), &["openid", "offline_access"]);
    let first = tokens.refresh_token.expect("refresh token");
    let now = t0() + Duration::from_secs(3600);
    let second = f
        .org
        .token_from_refresh(now, &f.server, &client(&f.app), &first, None)
        .expect("refresh")
        .sign()
        .expect("sign")
        .refresh_token
        .expect("rotated");
    assert_ne!(first, second);
    // The old token is still good within the 30 s leeway, then dead.
    assert!(
        f.org
            .token_from_refresh(
                now + Duration::from_secs(10),
                &f.server,
                &client(&f.app),
                &first,
                None
            )
            .is_ok()
    );
    let late = f.org.token_from_refresh(
        now + Duration::from_secs(31),
        &f.server,
        &client(&f.app),
        &first,
        None,
    );
    assert_eq!(late.expect_err("expired").error, "invalid_grant");
    assert!(
        f.org
            .token_from_refresh(
                now + Duration::from_secs(31),
                &f.server,
                &client(&f.app),
                &second,
                None
            )
            .is_ok()
    );
}

#[test]
fn okta_as_5_static_refresh_tokens_stay_the_same() {
    let mut f = fixture(RefreshRotation::Static);
    let token = sign_in(&mut f, t0(), &["openid", "offline_access"])
        .refresh_token
        .expect("refresh token");
    let again = f
        .org
        .token_from_refresh(
            t0() + Duration::from_secs(60),
            &f.server,
            &client(&f.app),
            &token,
            None,
        )
        .expect("refresh")
        .sign()
        .expect("sign");
    assert_eq!(again.refresh_token.as_deref(), Some(token.as_str()));
}

#[test]
fn okta_tok_4_an_idle_refresh_token_dies_after_its_window() {
    let mut f = fixture(RefreshRotation::Static);
    let token = sign_in(&mut f, t0(), &["openid", "offline_access"])
        .refresh_token
        .expect("refresh token");
    let week = Duration::from_secs(7 * 24 * 3600);
    assert_eq!(
        f.org
            .token_from_refresh(t0() + week, &f.server, &client(&f.app), &token, None)
            .expect_err("idle")
            .error,
        "invalid_grant"
    );
}

#[test]
fn okta_tok_4_removing_the_user_kills_the_refresh_token_for_good() {
    let mut f = fixture(RefreshRotation::Rotate);
    let token = sign_in(&mut f, t0(), &["openid", "offline_access"])
        .refresh_token
        .expect("refresh token");
    f.org
        .unassign_user(t0(), &f.app, &f.user)
        .expect("unassign");
    let refused = f
        .org
        .token_from_refresh(t0(), &f.server, &client(&f.app), &token, None)
        .expect_err("refused");
    assert_eq!(
        (refused.error, refused.description.as_str()),
        ("invalid_grant", "The refresh token is invalid or expired.")
    );
    f.org.assign_user(t0(), &f.app, &f.user).expect("reassign");
    assert!(
        f.org
            .token_from_refresh(t0(), &f.server, &client(&f.app), &token, None)
            .is_err(),
        "dead for good"
    );
}

#[test]
fn okta_as_7_rotation_moves_keys_through_next_active_expired() {
    let mut f = fixture(RefreshRotation::Rotate);
    let before = f.org.auth_server(&f.server).expect("server").clone();
    let status = |s: &mock_okta::core::AuthServer| {
        s.keys
            .iter()
            .map(|k| (k.key.kid().to_string(), k.status))
            .collect::<Vec<_>>()
    };
    let (active, next) = {
        let keys = status(&before);
        assert_eq!(
            keys.iter().map(|k| k.1).collect::<Vec<_>>(),
            [KeyStatus::Active, KeyStatus::Next]
        );
        (keys[0].0.clone(), keys[1].0.clone())
    };
    let after = f.org.rotate_keys(t0(), &f.server).expect("rotate");
    let keys = status(&after);
    assert!(keys.contains(&(active.clone(), KeyStatus::Expired)));
    assert!(keys.contains(&(next.clone(), KeyStatus::Active)));
    assert_eq!(keys.iter().filter(|k| k.1 == KeyStatus::Next).count(), 1);
    let again = f.org.rotate_keys(t0(), &f.server).expect("rotate again");
    assert!(
        !status(&again).iter().any(|k| k.0 == active),
        "only the last expired key stays published"
    );
}
