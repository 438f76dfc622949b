//! The diagnosis: [`diagnose`] judges a [`Snapshot`] against Kiro's "Connect your Okta IdP"
//! guide and its security considerations, and returns one [`Finding`] per deviation. Pure: no
//! I/O, no clock (the snapshot carries the systems' own time).
//!
//! Which objects are "Kiro's": with the Kiro console given, the OIDC app is the one whose id is
//! the profile's Client ID and the authorization server the one whose issuer is the profile's
//! Issuer URI (exactly what sign-in uses); with Okta alone, the OIDC app with Kiro's redirect
//! URI `kiro://kiro.oauth/callback` and the server holding the `codewhisperer:` scopes. The
//! provisioning app is the "AWS IAM Identity Center" catalog app (`amazon_aws_sso`), the one
//! pointing at the profile's SCIM endpoint when there are several.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, SystemTime};

use crate::report::{Finding, Report, Severity, Step};
use crate::snapshot::{App, AuthServer, KiroFacts, Snapshot};

/// The guide's Sign-in redirect URIs: `kiro://kiro.oauth/callback` and ten loopback ports.
pub const REDIRECT_URIS: [&str; 11] = [
    "kiro://kiro.oauth/callback",
    "http://localhost:3128/oauth/callback",
    "http://localhost:4649/oauth/callback",
    "http://localhost:6588/oauth/callback",
    "http://localhost:8008/oauth/callback",
    "http://localhost:9091/oauth/callback",
    "http://localhost:49153/oauth/callback",
    "http://localhost:50153/oauth/callback",
    "http://localhost:51153/oauth/callback",
    "http://localhost:52153/oauth/callback",
    "http://localhost:53153/oauth/callback",
];

/// The two Kiro scopes the guide creates.
pub const KIRO_SCOPES: [&str; 2] = ["codewhisperer:completions", "codewhisperer:conversations"];

/// What the Kiro client requests at sign-in (the guide's rule and Token Preview).
pub const REQUESTED_SCOPES: [&str; 3] = [
    "codewhisperer:completions",
    "codewhisperer:conversations",
    "offline_access",
];

/// The default access token lifetime of a rule (the guide says to leave the defaults).
pub const ACCESS_TOKEN_MINUTES: i64 = 60;

/// A SCIM token expiring within this is reported.
pub const TOKEN_WARNING: Duration = Duration::from_secs(30 * 24 * 3600);

/// At most this many findings of one kind name single users; the rest are counted in one.
pub const PER_KIND: usize = 20;

/// Judges `snapshot`; findings come in guide-step order.
pub fn diagnose(snapshot: &Snapshot) -> Report {
    let mut d = Doctor {
        s: snapshot,
        out: Vec::new(),
    };
    d.run();
    let mut findings = d.out;
    findings.sort_by_key(|f| f.step);
    Report {
        notes: snapshot.notes.clone(),
        findings,
    }
}

struct Doctor<'a> {
    s: &'a Snapshot,
    out: Vec<Finding>,
}

fn app_name(app: &App) -> String {
    format!("app \"{}\" ({})", app.label, app.id)
}

fn trim(url: &str) -> &str {
    url.trim_end_matches('/')
}

impl<'a> Doctor<'a> {
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        id: &'static str,
        step: Step,
        severity: Severity,
        object: String,
        what: String,
        why: &str,
        fix: String,
    ) {
        self.out.push(Finding {
            id,
            step,
            object,
            what,
            why: why.to_string(),
            fix,
            severity,
        });
    }

    fn run(&mut self) {
        let kiro = self.s.kiro.as_ref();
        let oidc = self.oidc_app(kiro);
        let server = self.auth_server(kiro);
        let scim = self.scim_app(kiro);
        let nobody = oidc.map(|app| self.step1(app)).unwrap_or(false);
        if let Some(server) = server {
            self.step2(server, oidc);
        }
        if let Some(kiro) = kiro {
            self.step3(kiro);
        }
        if let Some(scim) = scim {
            self.step4(scim, kiro);
        }
        self.security(oidc, scim, kiro, nobody);
    }

    // ---- which objects are Kiro's ---------------------------------------------------------

    fn oidc_app(&mut self, kiro: Option<&KiroFacts>) -> Option<&'a App> {
        let apps = &self.s.okta.apps;
        if let Some(kiro) = kiro {
            let app = apps
                .iter()
                .find(|a| a.id == kiro.client_id && a.sign_on_mode == "OPENID_CONNECT");
            if app.is_none() {
                self.add(
                    "DOC-15",
                    Step::Profile,
                    Severity::Error,
                    format!("profile {}", kiro.profile_arn),
                    format!(
                        "the profile's Client ID {} is not an OIDC app in Okta",
                        kiro.client_id
                    ),
                    "Kiro sends every sign-in to that client id: Okta answers with an error \
                     page, so nobody can sign in to Kiro.",
                    "In the Okta Admin Console open Applications → Applications → Kiro-OIDC and \
                     copy its Client ID; a Kiro profile's Client ID cannot be changed, so delete \
                     the profile and create it again with that Client ID (then re-provision the \
                     SCIM app completely, see \"Profile deletion warning\")."
                        .into(),
                );
            }
            return app;
        }
        let app = apps
            .iter()
            .find(|a| {
                a.sign_on_mode == "OPENID_CONNECT"
                    && a.redirect_uris.iter().any(|u| u == REDIRECT_URIS[0])
            })
            .or_else(|| {
                apps.iter().find(|a| {
                    a.sign_on_mode == "OPENID_CONNECT" && a.label.to_lowercase().contains("kiro")
                })
            });
        if app.is_none() {
            self.add(
                "DOC-1",
                Step::OidcApp,
                Severity::Error,
                "Okta org".into(),
                "no OIDC app for Kiro (none has the Sign-in redirect URI \
                 kiro://kiro.oauth/callback or a label naming Kiro)"
                    .into(),
                "Without the OIDC app there is no Client ID for the Kiro profile: nobody can \
                 sign in to Kiro.",
                "Applications → Applications → Create App integration: \"OIDC - OpenID Connect\", \
                 \"Native Application\", name Kiro-OIDC, Grant type \"Refresh Token\", the \
                 guide's Sign-in redirect URIs."
                    .into(),
            );
        }
        app
    }

    fn auth_server(&mut self, kiro: Option<&KiroFacts>) -> Option<&'a AuthServer> {
        let servers = &self.s.okta.auth_servers;
        let found = match kiro {
            Some(kiro) => {
                let server = servers
                    .iter()
                    .find(|s| trim(&s.issuer) == trim(&kiro.issuer));
                let discovery_ok = match (&kiro.discovery_issuer, server) {
                    (Ok(iss), _) => trim(iss) == trim(&kiro.issuer),
                    // An inactive server serves no discovery: DOC-8 says so.
                    (Err(_), Some(s)) => s.status != "ACTIVE",
                    (Err(_), None) => false,
                };
                if server.is_none() || !discovery_ok {
                    let seen = match &kiro.discovery_issuer {
                        Ok(iss) => format!("its discovery document names issuer {iss}"),
                        Err(e) => format!("its discovery document cannot be read: {e}"),
                    };
                    let kiro_server = servers
                        .iter()
                        .find(|s| s.scopes.iter().any(|sc| sc.name == KIRO_SCOPES[0]))
                        .map(|s| format!(" (the server with the Kiro scopes is {})", s.issuer))
                        .unwrap_or_default();
                    self.add(
                        "DOC-16",
                        Step::Profile,
                        Severity::Error,
                        format!("profile {}", kiro.profile_arn),
                        format!(
                            "the profile's Issuer URI {} is not an Okta authorization server's \
                             issuer; {seen}{kiro_server}",
                            kiro.issuer
                        ),
                        "Kiro verifies every token against that issuer's keys: tokens from \
                         Okta are refused and nobody can sign in.",
                        "Okta Admin Console → Security → API → Authorization Servers → the Kiro \
                         server: copy its Issuer URI; the profile's Issuer URI cannot be edited, \
                         so delete the profile and create it with that Issuer URI."
                            .into(),
                    );
                }
                server
            }
            None => servers
                .iter()
                .find(|s| s.scopes.iter().any(|sc| sc.name == KIRO_SCOPES[0])),
        };
        match found {
            None if kiro.is_none() => self.add(
                "DOC-8",
                Step::Scopes,
                Severity::Error,
                "Okta org".into(),
                "no authorization server has the Kiro scopes".into(),
                "Sign-in asks for codewhisperer:completions and codewhisperer:conversations: \
                 no server grants them, so nobody can use Kiro.",
                "Security → API → Authorization Servers → Add Authorization Server, then the \
                 Scopes and Access Policies tabs as in Step 2."
                    .into(),
            ),
            Some(s) if s.status != "ACTIVE" => self.add(
                "DOC-8",
                Step::Scopes,
                Severity::Error,
                format!("authorization server \"{}\" ({})", s.name, s.id),
                format!("the authorization server is {}", s.status),
                "An inactive server issues no tokens and serves no discovery: every sign-in to \
                 Kiro fails now.",
                "Security → API → Authorization Servers → the Kiro server → Activate.".into(),
            ),
            _ => {}
        }
        found
    }

    fn scim_app(&mut self, kiro: Option<&KiroFacts>) -> Option<&'a App> {
        let candidates: Vec<&App> = self
            .s
            .okta
            .apps
            .iter()
            .filter(|a| a.name == "amazon_aws_sso")
            .collect();
        let chosen = kiro
            .and_then(|k| {
                candidates.iter().copied().find(|a| {
                    a.provisioning
                        .as_ref()
                        .and_then(|p| p.base_url.as_deref())
                        .is_some_and(|u| trim(u) == trim(&k.scim_endpoint))
                })
            })
            .or_else(|| candidates.first().copied());
        if chosen.is_none() {
            self.add(
                "DOC-21",
                Step::ScimApp,
                Severity::Error,
                "Okta org".into(),
                "no \"AWS IAM Identity Center\" app from the App Catalog".into(),
                "Nothing pushes users and groups to Kiro: assigned users are never created in \
                 Kiro, cannot get a subscription, and sign-ins find no Kiro user.",
                "Applications → Applications → Browse App Catalog → \"AWS IAM Identity Center\" \
                 → Add Integration, then Provisioning → Configure API integration."
                    .into(),
            );
        }
        chosen
    }

    // ---- Step 1 ---------------------------------------------------------------------------

    /// Returns true when nobody is assigned (the per-user checks then say nothing more).
    fn step1(&mut self, app: &App) -> bool {
        let obj = app_name(app);
        if app.status != "ACTIVE" {
            self.add(
                "DOC-2",
                Step::OidcApp,
                Severity::Error,
                obj.clone(),
                format!("the app is {}", app.status),
                "Okta refuses sign-ins to an inactive app: nobody can sign in to Kiro, and \
                 refresh tokens stop working at the next refresh.",
                "Applications → Applications → Kiro-OIDC → Activate.".into(),
            );
        }
        if app.application_type.as_deref() != Some("native") {
            self.add(
                "DOC-3",
                Step::OidcApp,
                Severity::Error,
                obj.clone(),
                format!(
                    "Application type is {} instead of Native Application",
                    app.application_type.as_deref().unwrap_or("not set")
                ),
                "The Kiro IDE is a native client without a client secret (PKCE): Okta refuses \
                 its token requests for any other application type.",
                "Create the app again: Create App integration → \"OIDC - OpenID Connect\" → \
                 \"Native Application\" (the type cannot be changed afterwards)."
                    .into(),
            );
        }
        let missing: Vec<&str> = ["authorization_code", "refresh_token"]
            .into_iter()
            .filter(|g| !app.grant_types.iter().any(|x| x == g))
            .collect();
        if !missing.is_empty() {
            self.add(
                "DOC-4",
                Step::OidcApp,
                Severity::Error,
                obj.clone(),
                format!("grant types lack {}", missing.join(", ")),
                "Without Authorization Code nobody signs in; without Refresh Token sessions \
                 end when the access token expires (every hour) and users must sign in again.",
                "Applications → Kiro-OIDC → General → Edit → Grant type: check \
                 \"Authorization Code\" and \"Refresh Token\" → Save."
                    .into(),
            );
        }
        let missing: Vec<&str> = REDIRECT_URIS
            .into_iter()
            .filter(|u| !app.redirect_uris.iter().any(|x| x == u))
            .collect();
        if !missing.is_empty() {
            self.add(
                "DOC-5",
                Step::OidcApp,
                Severity::Error,
                obj.clone(),
                format!("Sign-in redirect URIs missing: {}", missing.join(", ")),
                "The Kiro IDE listens on whichever of these is free: when it picks a missing \
                 one, Okta refuses the sign-in with a redirect_uri error.",
                format!(
                    "Applications → Kiro-OIDC → General → Edit → Sign-in redirect URIs → Add \
                     URI: {} → Save.",
                    missing.join(", ")
                ),
            );
        }
        let extra: Vec<&str> = app
            .redirect_uris
            .iter()
            .map(String::as_str)
            .filter(|u| !REDIRECT_URIS.contains(u))
            .collect();
        if !extra.is_empty() {
            self.add(
                "DOC-6",
                Step::OidcApp,
                Severity::Warning,
                obj.clone(),
                format!(
                    "Sign-in redirect URIs the guide does not list: {}",
                    extra.join(", ")
                ),
                "\"Add only the redirect URIs specified in this guide\": any other program \
                 listening there (an unregistered port) can receive users' authorization codes.",
                format!(
                    "Applications → Kiro-OIDC → General → Edit → Sign-in redirect URIs: remove \
                     {} → Save.",
                    extra.join(", ")
                ),
            );
        }
        if app.users.is_empty() {
            self.add(
                "DOC-7",
                Step::OidcApp,
                Severity::Error,
                obj,
                "nobody is assigned to the app (no user, no group with members)".into(),
                "Okta lets only assigned users sign in: every sign-in to Kiro fails.",
                "Applications → Kiro-OIDC → Assignments → Assign → Assign to Groups (or \
                 People)."
                    .into(),
            );
            return true;
        }
        false
    }

    // ---- Step 2 ---------------------------------------------------------------------------

    fn step2(&mut self, server: &AuthServer, oidc: Option<&App>) {
        if server.status != "ACTIVE" {
            return;
        }
        let sobj = format!("authorization server \"{}\" ({})", server.name, server.id);
        let missing: Vec<&str> = KIRO_SCOPES
            .into_iter()
            .filter(|n| !server.scopes.iter().any(|s| s.name == *n))
            .collect();
        if !missing.is_empty() {
            self.add(
                "DOC-9",
                Step::Scopes,
                Severity::Error,
                sobj.clone(),
                format!("scopes missing: {}", missing.join(", ")),
                "Kiro asks for both scopes at sign-in: Okta refuses a request for an unknown \
                 scope (invalid_scope), so nobody can sign in.",
                format!(
                    "Security → API → Authorization Servers → {} → Scopes → Add Scope: {} with \
                     User consent \"Implicit\" → Create.",
                    server.name,
                    missing.join(", ")
                ),
            );
        }
        for scope in server
            .scopes
            .iter()
            .filter(|s| KIRO_SCOPES.contains(&s.name.as_str()) && s.consent != "IMPLICIT")
        {
            self.add(
                "DOC-10",
                Step::Scopes,
                Severity::Error,
                format!("scope {} of {sobj}", scope.name),
                format!("User consent is {} instead of Implicit", scope.consent),
                "The Kiro IDE cannot show Okta's consent page: sign-ins that need consent fail.",
                format!(
                    "Security → API → Authorization Servers → {} → Scopes → {} → Edit → User \
                     consent: Implicit → Save.",
                    server.name, scope.name
                ),
            );
        }
        let Some(app) = oidc else { return };
        let mut policies: Vec<_> = server
            .policies
            .iter()
            .filter(|p| {
                p.status == "ACTIVE" && p.clients.iter().any(|c| c == &app.id || c == "ALL_CLIENTS")
            })
            .collect();
        policies.sort_by_key(|p| p.priority);
        let Some(policy) = policies.first() else {
            self.add(
                "DOC-11",
                Step::Scopes,
                Severity::Error,
                sobj,
                format!("no active access policy is assigned to {}", app_name(app)),
                "Okta issues tokens only under a policy assigned to the client: every sign-in \
                 to Kiro fails with \"Policy evaluation failed\".",
                format!(
                    "Security → API → Authorization Servers → {} → Access Policies → Add Policy \
                     (or activate the existing one), Assign to \"{}\".",
                    server.name, app.label
                ),
            );
            return;
        };
        let pobj = format!("policy \"{}\" ({}) of {sobj}", policy.name, policy.id);
        let mut rules: Vec<_> = policy
            .rules
            .iter()
            .filter(|r| r.status == "ACTIVE")
            .collect();
        rules.sort_by_key(|r| r.priority);
        let code: Vec<_> = rules
            .iter()
            .filter(|r| r.grant_types.iter().any(|g| g == "authorization_code"))
            .collect();
        if code.is_empty() {
            self.add(
                "DOC-12",
                Step::Scopes,
                Severity::Error,
                pobj,
                "no active rule allows the Authorization Code grant".into(),
                "The Kiro IDE signs in with Authorization Code (and refreshes under the same \
                 rule): no rule matches, so every sign-in fails.",
                format!(
                    "Access Policies → {} → Add rule (or edit the rule): IF Grant type is: \
                     check \"Authorization Code\" → Update rule.",
                    policy.name
                ),
            );
            return;
        }
        let covering = code.iter().find(|r| {
            r.scopes.iter().any(|s| s == "*")
                || REQUESTED_SCOPES
                    .iter()
                    .all(|want| r.scopes.iter().any(|s| s == want))
        });
        let Some(rule) = covering else {
            let r = code[0];
            let missing: Vec<&str> = REQUESTED_SCOPES
                .into_iter()
                .filter(|want| !r.scopes.iter().any(|s| s == want))
                .collect();
            self.add(
                "DOC-13",
                Step::Scopes,
                Severity::Error,
                format!("rule \"{}\" ({}) of {pobj}", r.name, r.id),
                format!(
                    "Scopes requested lacks {} (the Kiro client requests {})",
                    missing.join(", "),
                    REQUESTED_SCOPES.join(", ")
                ),
                "A rule matches only when it allows every requested scope: Okta refuses Kiro's \
                 sign-in (no matching rule, access_denied).",
                format!(
                    "Access Policies → {} → rule {} → Edit → Scopes requested: \"The following \
                     scopes:\" add {} → Update rule.",
                    policy.name,
                    r.name,
                    missing.join(", ")
                ),
            );
            return;
        };
        if let Some(minutes) = rule.access_token_minutes
            && minutes > ACCESS_TOKEN_MINUTES
        {
            self.add(
                "DOC-14",
                Step::Scopes,
                Severity::Warning,
                format!("rule \"{}\" ({}) of {pobj}", rule.name, rule.id),
                format!(
                    "Access token lifetime is {minutes} minutes (the default the guide keeps \
                     is {ACCESS_TOKEN_MINUTES})"
                ),
                "Access is revoked only at the next token refresh: a user removed from the \
                 app keeps using Kiro for up to that long.",
                format!(
                    "Access Policies → {} → rule {} → Edit → THEN Access token lifetime is: 1 \
                     Hours → Update rule.",
                    policy.name, rule.name
                ),
            );
        }
    }

    // ---- Step 3 ---------------------------------------------------------------------------

    fn step3(&mut self, kiro: &KiroFacts) {
        let pobj = format!("profile {}", kiro.profile_arn);
        if kiro.domains.is_empty() {
            self.add(
                "DOC-18",
                Step::Profile,
                Severity::Error,
                pobj.clone(),
                "the profile has no company domain".into(),
                "Kiro finds the profile from the domain of the email a user signs in with: \
                 with no verified domain nobody can sign in.",
                "Kiro console → Settings → Identity management → Domains → Add domain, then \
                 publish its verification token as a TXT record."
                    .into(),
            );
        }
        for domain in kiro.domains.iter().filter(|d| d.status != "VERIFIED") {
            let served = self
                .s
                .dns
                .as_ref()
                .and_then(|answers| answers.iter().find(|a| a.name == domain.record_name))
                .map(|a| match &a.values {
                    Ok(v) if v.is_empty() => "DNS serves no TXT record there".to_string(),
                    Ok(v) => format!("DNS serves {}", v.join(" | ")),
                    Err(e) => format!("DNS could not be asked: {e}"),
                })
                .unwrap_or_else(|| "DNS was not checked".into());
            self.add(
                "DOC-17",
                Step::Profile,
                Severity::Error,
                format!("domain {}", domain.name),
                format!(
                    "the domain is {}: the TXT record {} must be {}; {served}",
                    domain.status, domain.record_name, domain.record_value
                ),
                "Users of an unverified domain are not routed to the profile: they cannot sign \
                 in until the record is served and the next check verifies it.",
                format!(
                    "In your DNS provider create the TXT record {} with the value {} (exactly; \
                     remove any other value), then wait for the status \"Verified\".",
                    domain.record_name, domain.record_value
                ),
            );
        }
        let active: Vec<_> = kiro
            .tokens
            .iter()
            .filter(|t| t.status == "ACTIVE")
            .collect();
        if active.is_empty() {
            self.add(
                "DOC-19",
                Step::Profile,
                Severity::Error,
                pobj,
                format!(
                    "no active SCIM access token ({} revoked or expired)",
                    kiro.tokens.len()
                ),
                "Okta's next push (a new user, a profile or membership change) is refused with \
                 401: nothing reaches Kiro until a new token is in Okta.",
                "Kiro console → Settings → Identity Management → Access Tokens → Generate \
                 Token; in Okta: AWS IAM Identity Center → Provisioning → Integration → Edit → \
                 API Token → Test API Credentials → Save."
                    .into(),
            );
        }
        if let Some(now) = self.s.okta.now {
            for token in active {
                if let Some(expires) = token.expires_at
                    && expires <= now + TOKEN_WARNING
                {
                    self.add(
                        "DOC-20",
                        Step::Profile,
                        Severity::Warning,
                        format!("SCIM access token {}", token.id),
                        format!(
                            "the token expires at {} (within 30 days)",
                            humantime::format_rfc3339_seconds(expires)
                        ),
                        "SCIM tokens are not rotated automatically: when it expires Okta's \
                         pushes are refused with 401 and changes stop reaching Kiro.",
                        "Kiro console → Settings → Identity Management → Access Tokens → \
                         Generate Token; put it in Okta (Provisioning → Integration → API \
                         Token), then revoke the old one."
                            .into(),
                    );
                }
            }
        }
    }

    // ---- Step 4 ---------------------------------------------------------------------------

    fn step4(&mut self, app: &App, kiro: Option<&KiroFacts>) {
        let obj = app_name(app);
        let default = Default::default();
        let prov = app.provisioning.as_ref().unwrap_or(&default);
        let enabled = prov.connection_status.as_deref() == Some("ENABLED");
        let url_ok = match (kiro, &prov.base_url) {
            (Some(k), Some(u)) => trim(u) == trim(&k.scim_endpoint),
            (Some(_), None) => false,
            (None, _) => true,
        };
        if !enabled || !url_ok {
            let what = if enabled {
                format!(
                    "the API integration's Base URL {} is not the profile's SCIM endpoint {}",
                    prov.base_url.as_deref().unwrap_or("(none)"),
                    kiro.map(|k| k.scim_endpoint.as_str()).unwrap_or_default()
                )
            } else {
                format!(
                    "the API integration is {}",
                    prov.connection_status
                        .as_deref()
                        .unwrap_or("not configured")
                )
            };
            self.add(
                "DOC-22",
                Step::ScimApp,
                Severity::Error,
                obj.clone(),
                what,
                "Okta pushes nothing to Kiro: new users never appear in Kiro, cannot be \
                 subscribed, and removals are not pushed.",
                "AWS IAM Identity Center → Provisioning → Integration → Configure API \
                 integration: check \"Enable API integration\", Base URL = Kiro console → \
                 Settings → Identity Management → SCIM Endpoint, API Token, Test API \
                 Credentials → Save."
                    .into(),
            );
        }
        if !prov.create_users {
            self.add(
                "DOC-23",
                Step::ScimApp,
                Severity::Error,
                obj.clone(),
                "To App: \"Create Users\" is off".into(),
                "Users are not synced to Kiro (troubleshooting): assigned users never exist in \
                 Kiro and cannot be subscribed.",
                "AWS IAM Identity Center → Provisioning → To App → Edit → enable \"Create \
                 Users\" → Save."
                    .into(),
            );
        }
        if !prov.update_attributes {
            self.add(
                "DOC-24",
                Step::ScimApp,
                Severity::Error,
                obj.clone(),
                "To App: \"Update User Attributes\" is off".into(),
                "Name and email changes in Okta never reach Kiro: Kiro keeps stale profiles.",
                "AWS IAM Identity Center → Provisioning → To App → Edit → enable \"Update User \
                 Attributes\" → Save."
                    .into(),
            );
        }
        let mapped: Vec<&str> = ["department", "employeeNumber"]
            .into_iter()
            .filter(|a| prov.mapped.iter().any(|m| m == a))
            .collect();
        if !mapped.is_empty() && !prov.pushes.is_empty() {
            self.add(
                "DOC-25",
                Step::ScimApp,
                Severity::Error,
                obj.clone(),
                format!(
                    "{} still mapped while groups are pushed",
                    mapped.join(" and ")
                ),
                "Kiro refuses those attributes in group pushes: the next membership change \
                 puts the push in Error and memberships (and group subscriptions) stop \
                 syncing.",
                format!(
                    "AWS IAM Identity Center → Provisioning → To App → AWS IAM Identity Center \
                     Attribute Mappings: remove {} → Save.",
                    mapped.join(" and ")
                ),
            );
        }
        for push in prov.pushes.iter().filter(|p| p.status != "ACTIVE") {
            let group = self.group_name(&push.source_group_id);
            self.add(
                "DOC-26",
                Step::ScimApp,
                Severity::Error,
                format!("pushed group {group}"),
                format!(
                    "Push status is {}{}",
                    push.status,
                    push.error_summary
                        .as_deref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default()
                ),
                "Membership changes of this group stop reaching Kiro: new members get no \
                 group subscription, removed members keep theirs.",
                "AWS IAM Identity Center → Push Groups → the group → fix the error, then \
                 Push Status: Active (\"Push Now\")."
                    .into(),
            );
        }
        self.failures(app);
    }

    fn group_name(&self, id: &str) -> String {
        self.s
            .okta
            .groups
            .iter()
            .find(|g| g.id == id)
            .map(|g| format!("\"{}\" ({id})", g.name))
            .unwrap_or_else(|| id.to_string())
    }

    fn failures(&mut self, app: &App) {
        let prov = app.provisioning.as_ref();
        // The latest failure per target, unless the target has synced since.
        let mut latest: BTreeMap<String, &crate::snapshot::LogFailure> = BTreeMap::new();
        for f in self
            .s
            .okta
            .failures
            .iter()
            .filter(|f| f.app_id.as_deref().is_none_or(|a| a == app.id))
        {
            let key = f
                .target
                .as_ref()
                .map(|t| t.1.clone())
                .unwrap_or_else(|| f.event_type.clone());
            match latest.get(&key) {
                Some(old) if old.published > f.published => {}
                _ => {
                    latest.insert(key, f);
                }
            }
        }
        let resolved = |f: &crate::snapshot::LogFailure| -> bool {
            let Some((kind, id, _)) = &f.target else {
                return false;
            };
            if kind == "User" {
                app.users.iter().any(|u| {
                    &u.id == id
                        && u.sync_state.as_deref() == Some("SYNCHRONIZED")
                        && u.last_sync.is_some_and(|t| t > f.published)
                })
            } else {
                prov.is_some_and(|p| {
                    p.pushes.iter().any(|m| {
                        &m.source_group_id == id
                            && m.status == "ACTIVE"
                            && m.last_push.is_some_and(|t| t > f.published)
                    })
                })
            }
        };
        let open: Vec<_> = latest.into_values().filter(|f| !resolved(f)).collect();
        let (unauthorized, other): (Vec<_>, Vec<_>) = open.into_iter().partition(|f| {
            f.reason.contains("401") || f.reason.to_lowercase().contains("unauthorized")
        });
        if !unauthorized.is_empty() {
            let names: Vec<String> = unauthorized
                .iter()
                .take(5)
                .filter_map(|f| f.target.as_ref().map(|t| t.2.clone()))
                .collect();
            self.add(
                "DOC-27",
                Step::ScimApp,
                Severity::Error,
                app_name(app),
                format!(
                    "Kiro refuses the API token Okta pushes with (401) for {} pushes, e.g. {}",
                    unauthorized.len(),
                    names.join(", ")
                ),
                "The token in Okta's API integration was revoked or replaced in Kiro: every \
                 push fails until Okta has a token Kiro accepts.",
                "Kiro console → Settings → Identity Management → Access Tokens → Generate \
                 Token; in Okta: AWS IAM Identity Center → Provisioning → Integration → Edit → \
                 API Token → Test API Credentials → Save."
                    .into(),
            );
        }
        let total = other.len();
        for f in other.into_iter().take(PER_KIND) {
            let object = f
                .target
                .as_ref()
                .map(|(kind, id, name)| {
                    let kind = if kind == "User" { "user" } else { "group" };
                    format!("{kind} {name} ({id})")
                })
                .unwrap_or_else(|| app_name(app));
            self.add(
                "DOC-28",
                Step::ScimApp,
                Severity::Error,
                object,
                format!(
                    "provisioning failed at {} ({}): {}",
                    humantime::format_rfc3339_seconds(f.published),
                    f.event_type,
                    f.reason
                ),
                "Okta retries with backoff, but this user or group is not (or not correctly) \
                 in Kiro until the cause is fixed: no sign-in, no subscription.",
                "Okta Admin Console → Dashboard → Tasks (or Reports → System Log): fix the \
                 value Kiro refuses in the user's profile, then Retry."
                    .into(),
            );
        }
        if total > PER_KIND {
            self.add(
                "DOC-28",
                Step::ScimApp,
                Severity::Error,
                app_name(app),
                format!("{} more provisioning failures", total - PER_KIND),
                "See above.",
                "Reports → System Log, filter eventType sw \"application.provision\".".into(),
            );
        }
    }

    // ---- security considerations ----------------------------------------------------------

    fn security(
        &mut self,
        oidc: Option<&App>,
        scim: Option<&App>,
        kiro: Option<&KiroFacts>,
        nobody: bool,
    ) {
        // Only the users who are not active were read (the rest are named by their
        // assignments' user names).
        let users: HashMap<&str, &crate::snapshot::User> = self
            .s
            .okta
            .inactive_users
            .iter()
            .map(|u| (u.id.as_str(), u))
            .collect();
        if let (Some(oidc), Some(scim), false) = (oidc, scim, nobody) {
            let in_oidc: HashSet<&str> = oidc.users.iter().map(|u| u.id.as_str()).collect();
            let in_scim: HashSet<&str> = scim.users.iter().map(|u| u.id.as_str()).collect();
            let mut only: Vec<(&str, bool)> = in_oidc
                .symmetric_difference(&in_scim)
                .map(|id| (*id, in_oidc.contains(id)))
                .collect();
            only.sort();
            let total = only.len();
            let names: HashMap<&str, &str> = oidc
                .users
                .iter()
                .chain(&scim.users)
                .map(|u| (u.id.as_str(), u.user_name.as_str()))
                .collect();
            for (id, in_oidc_only) in only.into_iter().take(PER_KIND) {
                let login = names.get(id).copied().unwrap_or(id);
                let (what, why, fix) = if in_oidc_only {
                    (
                        format!("assigned to {} but not to {}", oidc.label, scim.label),
                        "The user can sign in but does not exist in Kiro: no subscription, no \
                         use of Kiro.",
                        format!(
                            "{} → Assignments → Assign the user (or its group).",
                            scim.label
                        ),
                    )
                } else {
                    (
                        format!("assigned to {} but not to {}", scim.label, oidc.label),
                        "The user exists in Kiro (and may hold a seat) but cannot sign in: \
                         Okta refuses users not assigned to the OIDC app.",
                        format!(
                            "{} → Assignments → Assign the user (or its group).",
                            oidc.label
                        ),
                    )
                };
                self.add(
                    "DOC-29",
                    Step::Security,
                    Severity::Error,
                    format!("user {login}"),
                    what,
                    why,
                    fix,
                );
            }
            if total > PER_KIND {
                self.add(
                    "DOC-29",
                    Step::Security,
                    Severity::Error,
                    format!("{} more users", total - PER_KIND),
                    "assigned to only one of the two apps".into(),
                    "User must be in both OIDC and SCIM provisioning applications.",
                    "Assign the same groups to both apps.".into(),
                );
            }
        }
        if let Some(oidc) = oidc {
            let mut inactive: Vec<_> = oidc
                .users
                .iter()
                .filter_map(|a| users.get(a.id.as_str()))
                .filter(|u| matches!(u.status.as_str(), "SUSPENDED" | "DEPROVISIONED"))
                .collect();
            inactive.sort_by(|a, b| a.login.cmp(&b.login));
            for u in inactive.into_iter().take(PER_KIND) {
                self.add(
                    "DOC-30",
                    Step::Security,
                    Severity::Warning,
                    format!("user {}", u.login),
                    format!("{} user still assigned to {}", u.status, oidc.label),
                    "\"Do not add any user to the Kiro application\" who should not use it: the \
                     assignment (and any Kiro seat) outlives the account's suspension, and \
                     unsuspending restores access at once.",
                    format!(
                        "Applications → {} → Assignments → select x next to the user (or \
                         remove the user from the assigned group).",
                        oidc.label
                    ),
                );
            }
        }
        let Some(kiro) = kiro else { return };
        if let (Some(oidc), false) = (oidc, nobody) {
            let assigned: HashSet<String> = oidc
                .users
                .iter()
                .map(|u| u.user_name.to_lowercase())
                .collect();
            let stale: Vec<_> = kiro
                .seats
                .iter()
                .filter(|s| s.status != "CANCELED")
                .filter(|s| !assigned.contains(&s.user_name.to_lowercase()))
                .collect();
            for seat in stale.iter().take(PER_KIND) {
                self.add(
                    "DOC-31",
                    Step::Security,
                    Severity::Warning,
                    format!("seat of {}", seat.user_name),
                    format!(
                        "{} holds a {} seat but is not assigned to {} in Okta",
                        seat.user_name, seat.status, oidc.label
                    ),
                    "\"Subscription removal is not automatic\": the seat stays billed although \
                     the user can no longer sign in.",
                    "Kiro console → Subscriptions → the user → Remove subscription (and \
                     unsubscribe the group if it came from one)."
                        .into(),
                );
            }
        }
        // Without the provisioning app there is no push to compare with (DOC-21 says so).
        let Some(scim) = scim else { return };
        let pushed: HashSet<&str> = scim
            .provisioning
            .as_ref()
            .map(|p| {
                p.pushes
                    .iter()
                    .filter_map(|m| m.target_group_id.as_deref())
                    .collect()
            })
            .unwrap_or_default();
        for (id, name) in &kiro.group_subscriptions {
            if !pushed.contains(id.as_str()) {
                let seats = kiro
                    .seats
                    .iter()
                    .filter(|s| s.sources.iter().any(|(_, g)| g == id))
                    .count();
                self.add(
                    "DOC-32",
                    Step::Security,
                    Severity::Warning,
                    format!("group subscription \"{name}\" ({id})"),
                    format!(
                        "the subscribed Kiro group is not pushed from Okta ({seats} seats come \
                         from it)"
                    ),
                    "Its members are not managed by Okta's group push: seats go to users no \
                     Okta group decides on, and removing someone in Okta does not remove them.",
                    "Kiro console → Subscriptions: review the group's members and unsubscribe \
                     it; subscribe a group pushed from Okta (AWS IAM Identity Center → Push \
                     Groups) instead."
                        .into(),
                );
            }
        }
    }
}

/// Time arithmetic helper for tests and the gatherer.
pub fn minus(t: SystemTime, d: Duration) -> SystemTime {
    t.checked_sub(d).unwrap_or(SystemTime::UNIX_EPOCH)
}
