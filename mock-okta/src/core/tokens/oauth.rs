//! OAuth 2.0 and OIDC on top of a sign-in session (BEHAVIOURS.md OKTA-TOK-1, OKTA-TOK-3..6,
//! OKTA-TOK-9..11, OKTA-AS-3..6).
//!
//! - `/authorize` (code flow only) checks the client, the exact redirect URI, PKCE, the user's
//!   assignment and the access policy, then issues a single-use **authorization code**
//!   (5 minutes).
//! - `/token` exchanges a code (verifier checked) or a refresh token. The refresh grant
//!   re-checks that the user is still ACTIVE and still assigned, and that a rule still allows
//!   it; otherwise the refresh token dies (OKTA-TOK-4). Access tokens already issued stay valid
//!   until they expire (OKTA-TOK-5). The client-credentials grant issues a client's own
//!   access token.
//! - Clients authenticate with a secret or a `private_key_jwt` assertion (checked in
//!   `assertion.rs`, each accepted once).
//! - Tokens are RS256 JWTs signed with the server's ACTIVE key; refresh tokens are opaque.
//!   The core returns [`UnsignedTokens`]; callers sign after releasing the org lock.
//! - Introspection, revocation, userinfo and Token Preview read the same records.

use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use sim_core::keys::SigningKey;

use super::SHORT_LIVED;
use crate::core::apps::{AppStatus, RefreshRotation};
use crate::core::authz::{AuthServer, Denial, ORG_SERVER_ID, SYSTEM_SCOPES};
use crate::core::directory::{User, UserStatus};
use crate::core::log::{Actor, Outcome, Target};
use crate::core::{App, Decision, OAuthError, Org, SignOnMode, assertion};

/// ID tokens live one hour.
pub const ID_TOKEN_LIFETIME: Duration = Duration::from_secs(60 * 60);

const INVALID_CODE: &str = "The authorization code is invalid or has expired.";
const INVALID_REFRESH: &str = "The refresh token is invalid or expired.";
/// Okta's text when the user is not assigned (OKTA-APP-3).
pub const NOT_ASSIGNED: &str = "User is not assigned to the client application.";

/// An `/authorize` request, already split out of the query string.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthorizeRequest {
    /// Authorization server id.
    pub as_id: String,
    /// `client_id`.
    pub client_id: String,
    /// `redirect_uri`.
    pub redirect_uri: String,
    /// `response_type`.
    pub response_type: String,
    /// `scope`, split.
    pub scopes: Vec<String>,
    /// `state`.
    pub state: Option<String>,
    /// `nonce`.
    pub nonce: Option<String>,
    /// `code_challenge`.
    pub code_challenge: Option<String>,
    /// `code_challenge_method`.
    pub code_challenge_method: Option<String>,
    /// `prompt`.
    pub prompt: Option<String>,
    /// `max_age`, as sent: the most seconds since the user last signed in that the client
    /// accepts; an older session must sign in again.
    pub max_age: Option<String>,
}

/// Outcome of `/authorize`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthorizeOutcome {
    /// Redirect to the client with this code.
    Code(String),
    /// No session: show the login page (then try again).
    LoginRequired,
}

/// Refusal of `/authorize`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthorizeError {
    /// Never redirect (unknown client, unregistered redirect URI): show an error page.
    Page(OAuthError),
    /// Redirect to the (validated) redirect URI with `error`, `error_description`, `state`.
    Redirect(OAuthError),
}

/// How a client authenticated at `/token`, `/introspect`, `/revoke`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientAuth {
    /// `client_id`.
    pub client_id: String,
    /// `client_secret`, for confidential clients.
    pub client_secret: Option<String>,
    /// `client_assertion` (of type [`assertion::JWT_BEARER`]), for `private_key_jwt`.
    pub assertion: Option<String>,
}

/// A token response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenSet {
    /// The access token (JWT).
    pub access_token: String,
    /// Seconds until it expires.
    pub expires_in: u64,
    /// Granted scopes.
    pub scope: Vec<String>,
    /// Refresh token, when `offline_access` was requested and allowed.
    pub refresh_token: Option<String>,
    /// ID token, when `openid` was requested.
    pub id_token: Option<String>,
}

/// A token response whose JWTs are not signed yet. Signing is pure CPU work; callers holding
/// a lock on the [`Org`] release it first, so signatures run in parallel.
#[derive(Clone, Debug)]
pub struct UnsignedTokens {
    access: (SigningKey, Map<String, Value>),
    id: Option<(SigningKey, Map<String, Value>)>,
    expires_in: u64,
    scope: Vec<String>,
    refresh_token: Option<String>,
}

impl UnsignedTokens {
    /// Signs the JWTs.
    pub fn sign(self) -> Result<TokenSet, OAuthError> {
        let fail = || OAuthError::new("server_error", "Signing the token failed.");
        let access_token = sign_jwt(&self.access.0, &self.access.1).ok_or_else(fail)?;
        let id_token = match self.id {
            Some((key, mut claims)) => {
                claims.insert("at_hash".into(), json!(left_half_hash(&access_token)));
                Some(sign_jwt(&key, &claims).ok_or_else(fail)?)
            }
            None => None,
        };
        Ok(TokenSet {
            access_token,
            expires_in: self.expires_in,
            scope: self.scope,
            refresh_token: self.refresh_token,
            id_token,
        })
    }

    /// The access token's `jti`.
    pub fn jti(&self) -> &str {
        self.access
            .1
            .get("jti")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
}

/// What Token Preview shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Preview {
    /// Access-token claims.
    pub access_token: Map<String, Value>,
    /// ID-token claims, when `openid` is among the scopes.
    pub id_token: Option<Map<String, Value>>,
    /// Whether a refresh token would be issued.
    pub refresh_token: bool,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct CodeRecord {
    as_id: String,
    client_id: String,
    redirect_uri: String,
    user_id: String,
    scopes: Vec<String>,
    nonce: Option<String>,
    challenge: Option<String>,
    auth_time: SystemTime,
    amr: Vec<String>,
    expires: SystemTime,
    used: bool,
    /// What the first exchange issued, revoked if the code is used again.
    issued_jtis: Vec<String>,
    issued_refresh: Option<String>,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct RefreshRecord {
    as_id: String,
    client_id: String,
    user_id: String,
    scopes: Vec<String>,
    auth_time: SystemTime,
    amr: Vec<String>,
    /// Absolute end (lifetime), if any.
    expires: Option<SystemTime>,
    /// End of the idle window; moves on each use.
    idle_until: SystemTime,
    window: Duration,
    revoked: bool,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct AccessRecord {
    as_id: String,
    client_id: String,
    user_id: String,
    scopes: Vec<String>,
    issued: SystemTime,
    expires: SystemTime,
    revoked: bool,
}

/// What introspection reports about a live token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Introspection {
    /// `access_token` or `refresh_token`.
    pub token_type: &'static str,
    /// Scopes.
    pub scope: Vec<String>,
    /// Client id.
    pub client_id: String,
    /// User login.
    pub username: String,
    /// User id.
    pub uid: String,
    /// Issued at.
    pub iat: SystemTime,
    /// Expires (`None`: never, for unlimited refresh tokens).
    pub exp: Option<SystemTime>,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// JWT id for access tokens.
    pub jti: Option<String>,
}

impl Org {
    // ---- /authorize ------------------------------------------------------------------------

    /// Validates an authorization request and, with a live session, issues a code
    /// (OKTA-TOK-1, OKTA-APP-2, OKTA-APP-3, OKTA-AS-3).
    pub fn authorize(
        &mut self,
        now: SystemTime,
        req: &AuthorizeRequest,
        session_id: Option<&str>,
    ) -> Result<AuthorizeOutcome, AuthorizeError> {
        let page = |error, d: &str| AuthorizeError::Page(OAuthError::new(error, d));
        let redirect = |error, d: &str| AuthorizeError::Redirect(OAuthError::new(error, d));
        let server = match self.token_server(&req.as_id) {
            Ok(s) if s.active => s,
            _ => {
                return Err(page(
                    "invalid_request",
                    "The authorization server id is invalid.",
                ));
            }
        };
        // Okta refuses a scope the server does not define before anyone signs in.
        let unknown_scope = req
            .scopes
            .iter()
            .any(|s| !server.scopes.iter().any(|d| d.name == *s));
        let app = match self.app(&req.client_id) {
            Ok(app)
                if app.status == AppStatus::Active
                    && app.sign_on_mode == SignOnMode::OpenIdConnect =>
            {
                app.clone()
            }
            _ => {
                return Err(page(
                    "invalid_client",
                    "Invalid value for 'client_id' parameter.",
                ));
            }
        };
        if !app.redirect_uris.contains(&req.redirect_uri) {
            return Err(page(
                "invalid_request",
                "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings: https://developer.okta.com/docs/guides/sign-into-web-app-redirect/-/main/#register-your-app",
            ));
        }
        if req.response_type != "code" {
            return Err(redirect(
                "unsupported_response_type",
                "The response type is not supported by the authorization server. Configured response types: [code].",
            ));
        }
        if req.state.as_deref().is_none_or(str::is_empty) {
            return Err(redirect(
                "invalid_request",
                "The authorization request is missing the 'state' parameter.",
            ));
        }
        if req.scopes.is_empty() {
            return Err(redirect(
                "invalid_scope",
                "The authorization request must contain a 'scope' parameter.",
            ));
        }
        if app.token_endpoint_auth_method == "none" {
            match (&req.code_challenge, req.code_challenge_method.as_deref()) {
                (None, _) => {
                    return Err(redirect(
                        "invalid_request",
                        "PKCE code challenge is required when the token endpoint authentication method is 'NONE'.",
                    ));
                }
                (Some(_), Some("S256")) => {}
                (Some(_), _) => {
                    return Err(redirect(
                        "invalid_request",
                        "'code_challenge_method' must be 'S256'.",
                    ));
                }
            }
        }
        if let Some(challenge) = &req.code_challenge
            && (!is_pkce_string(challenge) || challenge.len() != 43)
        {
            return Err(redirect(
                "invalid_request",
                "The 'code_challenge' parameter is invalid: it must be the base64url SHA-256 of the code verifier (43 characters).",
            ));
        }
        if unknown_scope {
            return Err(AuthorizeError::Redirect(
                Denial::UnknownScope(String::new()).oauth_error(),
            ));
        }
        let max_age = match req.max_age.as_deref() {
            None => None,
            Some(text) => match text.parse::<u64>() {
                Ok(seconds) => Some(Duration::from_secs(seconds)),
                Err(_) => {
                    return Err(redirect(
                        "invalid_request",
                        "The 'max_age' parameter must be a non-negative integer.",
                    ));
                }
            },
        };
        let session = session_id.and_then(|id| self.session(now, id)).cloned();
        // A session older than `max_age` counts as none: the user signs in again.
        let session = session.filter(|s| {
            max_age.is_none_or(|max| now.duration_since(s.auth_time).unwrap_or_default() <= max)
        });
        let Some(session) = session else {
            return if req.prompt.as_deref() == Some("none") {
                Err(redirect(
                    "login_required",
                    "The client specified not to prompt, but the user is not logged in.",
                ))
            } else {
                Ok(AuthorizeOutcome::LoginRequired)
            };
        };
        if req.prompt.as_deref() == Some("login") && session.auth_time < now {
            return Ok(AuthorizeOutcome::LoginRequired);
        }
        let user = self
            .find_user(&session.user_id)
            .cloned()
            .ok_or_else(|| redirect("access_denied", NOT_ASSIGNED))?;
        if !self.is_assigned(&app.id, &user.id) {
            self.log_grant_failure(now, &req.as_id, &app.id, &user, NOT_ASSIGNED);
            return Err(redirect("access_denied", NOT_ASSIGNED));
        }
        if let Err(denial) = self.evaluate(
            &req.as_id,
            &app.id,
            "authorization_code",
            &user.id,
            &req.scopes,
        ) {
            let error = denial.oauth_error();
            self.log_grant_failure(
                now,
                &req.as_id,
                &app.id,
                &user,
                &format!("{} ({})", error.description, denial.code()),
            );
            return Err(AuthorizeError::Redirect(error));
        }
        let code = self.new_secret(43);
        self.tokens.codes.insert(
            code.clone(),
            CodeRecord {
                as_id: req.as_id.clone(),
                client_id: app.id.clone(),
                redirect_uri: req.redirect_uri.clone(),
                user_id: user.id.clone(),
                scopes: req.scopes.clone(),
                nonce: req.nonce.clone(),
                challenge: req.code_challenge.clone(),
                auth_time: session.auth_time,
                amr: session.amr.clone(),
                expires: now + SHORT_LIVED,
                used: false,
                issued_jtis: Vec::new(),
                issued_refresh: None,
            },
        );
        self.log.record(
            now,
            "app.oauth2.as.authorize.code",
            "OAuth2 authorization code request",
            Actor::user(&user.id, user.login(), &user.display_name()),
            vec![Target::new(&app.id, "AppInstance", &app.label)],
            Outcome::success(),
        );
        Ok(AuthorizeOutcome::Code(code))
    }

    // ---- /token ----------------------------------------------------------------------------

    fn authenticate_client(
        &mut self,
        now: SystemTime,
        as_id: &str,
        auth: &ClientAuth,
    ) -> Result<App, OAuthError> {
        let invalid = || {
            OAuthError::new(
                "invalid_client",
                "Client authentication failed. Either the client or the client credentials are invalid.",
            )
        };
        let app = self.app(&auth.client_id).map_err(|_| invalid())?;
        if app.status != AppStatus::Active || app.sign_on_mode != SignOnMode::OpenIdConnect {
            return Err(invalid());
        }
        if app.token_endpoint_auth_method == "private_key_jwt" {
            let (Some(assertion), None) = (&auth.assertion, &auth.client_secret) else {
                return Err(invalid());
            };
            let base = self.endpoint_base(as_id);
            let audiences: Vec<String> = ["token", "introspect", "revoke"]
                .iter()
                .map(|e| format!("{base}/v1/{e}"))
                .collect();
            let checked = assertion::check(assertion, &app.id, &app.jwks, &audiences, now)?;
            let app = app.clone();
            self.tokens.assertions.retain(|_, exp| *exp > now);
            let key = format!("{}:{}", app.id, checked.jti);
            if self.tokens.assertions.contains_key(&key) {
                return Err(OAuthError::new(
                    "invalid_client",
                    "The client_assertion token has already been used.",
                ));
            }
            self.tokens.assertions.insert(key, checked.exp);
            return Ok(app);
        }
        if auth.assertion.is_some() {
            return Err(invalid());
        }
        match (&app.client_secret, &auth.client_secret) {
            (None, None) => Ok(app.clone()),
            (Some(expected), Some(given))
                if sim_core::ids::constant_time_eq(expected.as_bytes(), given.as_bytes()) =>
            {
                Ok(app.clone())
            }
            _ => Err(invalid()),
        }
    }

    /// The client-credentials grant (OKTA-TOK-10): a confidential client (secret or
    /// `private_key_jwt`) with the grant, asking for scopes the server defines (its default
    /// scopes when none are asked for), none of them an OIDC scope, allowed by a rule of a
    /// policy for the client. The access token is the client's own: `sub` is the client id,
    /// no `uid`, no ID or refresh token.
    pub fn token_from_client_credentials(
        &mut self,
        now: SystemTime,
        as_id: &str,
        auth: &ClientAuth,
        scopes: Option<Vec<String>>,
    ) -> Result<UnsignedTokens, OAuthError> {
        let app = self.authenticate_client(now, as_id, auth)?;
        if !app.grant_types.iter().any(|g| g == "client_credentials") {
            return Err(OAuthError::new(
                "unauthorized_client",
                "The client is not authorized to use the provided grant type. Configured grant types: ["
                    .to_string()
                    + &app.grant_types.join(", ")
                    + "].",
            ));
        }
        let server = self
            .token_server(as_id)
            .map_err(|_| OAuthError::new("invalid_request", "Unknown authorization server."))?;
        let scopes = match scopes.filter(|s| !s.is_empty()) {
            Some(scopes) => scopes,
            None => {
                let defaults: Vec<String> = server
                    .scopes
                    .iter()
                    .filter(|s| s.default)
                    .map(|s| s.name.clone())
                    .collect();
                if defaults.is_empty() {
                    return Err(OAuthError::new(
                        "invalid_scope",
                        "The authorization server resource does not have any configured default scopes, 'scope' must be provided.",
                    ));
                }
                defaults
            }
        };
        let oidc: Vec<&str> = scopes
            .iter()
            .map(String::as_str)
            .filter(|s| SYSTEM_SCOPES.contains(s))
            .collect();
        if as_id == ORG_SERVER_ID && oidc.is_empty() {
            // The org server: only management API scopes, each granted to the app
            // (OKTA-API-10).
            let missing: Vec<&str> = scopes
                .iter()
                .map(String::as_str)
                .filter(|s| {
                    s.starts_with("okta.") && !app.scope_grants.iter().any(|g| g.scope == *s)
                })
                .collect();
            if !missing.is_empty() {
                return Err(OAuthError::new(
                    "invalid_scope",
                    format!(
                        "The following scopes are not granted to the client: {}.",
                        missing.join(", ")
                    ),
                ));
            }
        }
        if !oidc.is_empty() {
            return Err(OAuthError::new(
                "invalid_scope",
                format!(
                    "The following scopes are not allowed for the client_credentials grant type: {}.",
                    oidc.join(", ")
                ),
            ));
        }
        let decision = self
            .evaluate(as_id, &app.id, "client_credentials", "", &scopes)
            .map_err(|d| d.oauth_error())?;
        let key = server.active_key().cloned().ok_or_else(|| {
            OAuthError::new(
                "server_error",
                "The authorization server has no active signing key.",
            )
        })?;
        let jti = format!("AT.{}", self.new_secret(43));
        let server = self
            .token_server(as_id)
            .map_err(|_| OAuthError::new("invalid_request", "Unknown authorization server."))?;
        let mut c = Map::new();
        c.insert("ver".into(), json!(1));
        c.insert("jti".into(), json!(jti));
        c.insert("iss".into(), json!(self.issuer(as_id)));
        c.insert(
            "aud".into(),
            json!(server.audiences.first().cloned().unwrap_or_default()),
        );
        c.insert("iat".into(), json!(unix(now)));
        c.insert("exp".into(), json!(unix(now + decision.access_ttl)));
        c.insert("cid".into(), json!(app.id));
        c.insert("scp".into(), json!(scopes));
        c.insert("sub".into(), json!(app.id));
        self.tokens.access.insert(
            jti.clone(),
            AccessRecord {
                as_id: as_id.to_string(),
                client_id: app.id.clone(),
                user_id: String::new(),
                scopes: scopes.clone(),
                issued: now,
                expires: now + decision.access_ttl,
                revoked: false,
            },
        );
        self.log.record(
            now,
            "app.oauth2.as.token.grant.access_token",
            "OAuth2 access token is granted",
            Actor::client(&app.id, &app.label),
            vec![Target::new(&jti, "access_token", "Access Token")],
            Outcome::success(),
        );
        Ok(UnsignedTokens {
            access: (key, c),
            id: None,
            expires_in: decision.access_ttl.as_secs(),
            scope: scopes,
            refresh_token: None,
        })
    }

    /// The authorization-code grant (OKTA-TOK-1, OKTA-TOK-3). A second use of a code is
    /// refused and revokes what the first use issued (RFC 6749 section 4.1.2).
    pub fn token_from_code(
        &mut self,
        now: SystemTime,
        as_id: &str,
        auth: &ClientAuth,
        code: &str,
        redirect_uri: &str,
        code_verifier: Option<&str>,
    ) -> Result<UnsignedTokens, OAuthError> {
        let app = self.authenticate_client(now, as_id, auth)?;
        let invalid = || OAuthError::new("invalid_grant", INVALID_CODE);
        let Some(record) = self.tokens.codes.get(code).cloned() else {
            return Err(invalid());
        };
        if record.as_id != as_id || record.client_id != app.id {
            return Err(invalid());
        }
        if record.used {
            for jti in &record.issued_jtis {
                if let Some(a) = self.tokens.access.get_mut(jti) {
                    a.revoked = true;
                }
            }
            if let Some(r) = record
                .issued_refresh
                .as_ref()
                .and_then(|rt| self.tokens.refresh.get_mut(rt))
            {
                r.revoked = true;
            }
            self.log_code_refusal(
                now,
                &record,
                "authorization code reused: tokens from its first use revoked",
            );
            return Err(invalid());
        }
        if record.expires <= now {
            self.tokens.codes.remove(code);
            self.log_code_refusal(now, &record, "authorization code expired");
            return Err(invalid());
        }
        if record.redirect_uri != redirect_uri {
            return Err(OAuthError::new(
                "invalid_grant",
                "The 'redirect_uri' does not match the redirection URI used in the authorization request.",
            ));
        }
        if let Some(challenge) = &record.challenge {
            let ok = code_verifier.is_some_and(|v| {
                is_pkce_string(v) && (43..=128).contains(&v.len()) && s256(v) == *challenge
            });
            if !ok {
                self.log_code_refusal(now, &record, "PKCE verification failed");
                return Err(OAuthError::new(
                    "invalid_grant",
                    "PKCE verification failed.",
                ));
            }
        }
        if let Some(r) = self.tokens.codes.get_mut(code) {
            r.used = true;
        }
        let decision = self
            .evaluate(
                as_id,
                &app.id,
                "authorization_code",
                &record.user_id,
                &record.scopes,
            )
            .map_err(|d| d.oauth_error())?;
        let set = self.mint(
            now,
            as_id,
            &app,
            &record.user_id,
            &record.scopes,
            record.nonce.as_deref(),
            record.auth_time,
            &record.amr,
            &decision,
            None,
        )?;
        if let Some(r) = self.tokens.codes.get_mut(code) {
            r.issued_jtis.push(set.jti().to_string());
            r.issued_refresh = set.refresh_token.clone();
        }
        Ok(set)
    }

    /// The refresh-token grant (OKTA-TOK-4): the user must still be ACTIVE and assigned, and a
    /// rule must still allow it; otherwise the refresh token dies.
    pub fn token_from_refresh(
        &mut self,
        now: SystemTime,
        as_id: &str,
        auth: &ClientAuth,
        refresh_token: &str,
        scopes: Option<Vec<String>>,
    ) -> Result<UnsignedTokens, OAuthError> {
        let app = self.authenticate_client(now, as_id, auth)?;
        let invalid = || OAuthError::new("invalid_grant", INVALID_REFRESH);
        let Some(record) = self.tokens.refresh.get(refresh_token).cloned() else {
            return Err(invalid());
        };
        if record.revoked
            || record.as_id != as_id
            || record.client_id != app.id
            || record.idle_until <= now
            || record.expires.is_some_and(|e| e <= now)
        {
            return Err(invalid());
        }
        let scopes = match scopes {
            Some(asked) if !asked.iter().all(|s| record.scopes.contains(s)) => {
                return Err(OAuthError::new(
                    "invalid_scope",
                    "The requested scope is invalid, unknown, or malformed.",
                ));
            }
            Some(asked) => asked,
            None => record.scopes.clone(),
        };
        // The refresh re-checks the user and the policy (OKTA-TOK-4); the decision it reaches
        // is the one the new tokens are minted with.
        let user = self.find_user(&record.user_id).cloned();
        let checked = match &user {
            None => Err("user deleted".to_string()),
            Some(u) if u.status != UserStatus::Active => {
                Err(format!("user is {}", u.status.as_str()))
            }
            Some(u) if !self.is_assigned(&app.id, &u.id) => Err(NOT_ASSIGNED.to_string()),
            Some(u) => self
                .evaluate(as_id, &app.id, "refresh_token", &u.id, &scopes)
                .map_err(|d| format!("{} ({})", d.oauth_error().description, d.code())),
        };
        let decision = match checked {
            Ok(decision) => decision,
            Err(reason) => {
                if let Some(r) = self.tokens.refresh.get_mut(refresh_token) {
                    r.revoked = true;
                }
                self.log.record(
                    now,
                    "app.oauth2.as.token.grant.refresh_token",
                    "OAuth2 refresh token request",
                    Actor::client(&app.id, &app.label),
                    vec![Target::new(&record.user_id, "User", &record.user_id)],
                    Outcome::failure(format!("refresh token revoked: {reason}")),
                );
                return Err(invalid());
            }
        };
        let user_id = record.user_id.clone();
        let set = self.mint(
            now,
            as_id,
            &app,
            &user_id,
            &scopes,
            None,
            record.auth_time,
            &record.amr,
            &decision,
            Some((refresh_token, &record)),
        )?;
        Ok(set)
    }

    /// Mints the token set for a grant.
    #[allow(clippy::too_many_arguments)]
    fn mint(
        &mut self,
        now: SystemTime,
        as_id: &str,
        app: &App,
        user_id: &str,
        scopes: &[String],
        nonce: Option<&str>,
        auth_time: SystemTime,
        amr: &[String],
        decision: &Decision,
        refreshing: Option<(&str, &RefreshRecord)>,
    ) -> Result<UnsignedTokens, OAuthError> {
        let server_error = || {
            OAuthError::new(
                "server_error",
                "The authorization server has no active signing key.",
            )
        };
        // Refuse before drawing anything from the org's streams (refusals change nothing).
        let key = self
            .token_server(as_id)
            .ok()
            .and_then(|s| s.active_key().cloned())
            .ok_or_else(server_error)?;
        if self.find_user(user_id).is_none() {
            return Err(OAuthError::new("invalid_grant", INVALID_REFRESH));
        }
        // Ids first (they draw from the org's stream), then the claims, borrowing the server
        // and the user in place: nothing big is cloned while the org is locked.
        let jti = format!("AT.{}", self.new_secret(43));
        let wants_id_token = scopes.iter().any(|s| s == "openid");
        let id_jti = wants_id_token.then(|| format!("ID.{}", self.new_secret(43)));
        let server = self.token_server(as_id).map_err(|_| server_error())?;
        let user = self
            .find_user(user_id)
            .ok_or_else(|| OAuthError::new("invalid_grant", INVALID_REFRESH))?;
        let access_claims = self.access_claims(
            server,
            app,
            user,
            scopes,
            now,
            auth_time,
            decision.access_ttl,
            &jti,
        );
        // `at_hash` is added when the access token is signed.
        let id_token = id_jti.map(|id_jti| {
            let claims = self.id_claims(
                server, app, user, scopes, now, auth_time, amr, nonce, &id_jti,
            );
            (key.clone(), claims)
        });
        let user = user.clone();
        self.tokens.access.insert(
            jti.clone(),
            AccessRecord {
                as_id: as_id.to_string(),
                client_id: app.id.clone(),
                user_id: user.id.clone(),
                scopes: scopes.to_vec(),
                issued: now,
                expires: now + decision.access_ttl,
                revoked: false,
            },
        );
        let wants_refresh = scopes.iter().any(|s| s == "offline_access")
            && app.grant_types.iter().any(|g| g == "refresh_token")
            && decision.allows_refresh;
        let refresh_token = match (wants_refresh, refreshing) {
            (false, _) => None,
            (true, Some((old, _))) if app.refresh_rotation == RefreshRotation::Static => {
                if let Some(r) = self.tokens.refresh.get_mut(old) {
                    r.idle_until = now + r.window;
                }
                Some(old.to_string())
            }
            (true, previous) => {
                let token = self.new_secret(43);
                let (expires, first_auth) = match previous {
                    Some((old, record)) => {
                        // The rotated-out token stays usable for the leeway only.
                        if let Some(r) = self.tokens.refresh.get_mut(old) {
                            let leeway = now + Duration::from_secs(app.refresh_leeway_secs);
                            r.expires = Some(r.expires.map_or(leeway, |e| e.min(leeway)));
                        }
                        (record.expires, record.auth_time)
                    }
                    None => (decision.refresh_ttl.map(|ttl| now + ttl), auth_time),
                };
                self.tokens.refresh.insert(
                    token.clone(),
                    RefreshRecord {
                        as_id: as_id.to_string(),
                        client_id: app.id.clone(),
                        user_id: user.id.clone(),
                        scopes: scopes.to_vec(),
                        auth_time: first_auth,
                        amr: amr.to_vec(),
                        expires,
                        idle_until: now + decision.refresh_window,
                        window: decision.refresh_window,
                        revoked: false,
                    },
                );
                Some(token)
            }
        };
        let (event, message) = if refreshing.is_some() {
            (
                "app.oauth2.as.token.grant.refresh_token",
                "OAuth2 refresh token request",
            )
        } else {
            (
                "app.oauth2.as.token.grant.access_token",
                "OAuth2 access token is granted",
            )
        };
        self.log.record(
            now,
            event,
            message,
            Actor::client(&app.id, &app.label),
            vec![
                Target::new(&jti, "access_token", "Access Token"),
                Target::new(&user.id, "User", &user.display_name()),
            ],
            Outcome::success(),
        );
        Ok(UnsignedTokens {
            access: (key, access_claims),
            id: id_token,
            expires_in: decision.access_ttl.as_secs(),
            scope: scopes.to_vec(),
            refresh_token,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn access_claims(
        &self,
        server: &AuthServer,
        app: &App,
        user: &User,
        scopes: &[String],
        now: SystemTime,
        auth_time: SystemTime,
        ttl: Duration,
        jti: &str,
    ) -> Map<String, Value> {
        let mut c = Map::new();
        c.insert("ver".into(), json!(1));
        c.insert("jti".into(), json!(jti));
        c.insert("iss".into(), json!(self.issuer(&server.id)));
        c.insert(
            "aud".into(),
            json!(server.audiences.first().cloned().unwrap_or_default()),
        );
        c.insert("iat".into(), json!(unix(now)));
        c.insert("exp".into(), json!(unix(now + ttl)));
        c.insert("cid".into(), json!(app.id));
        c.insert("uid".into(), json!(user.id));
        c.insert("scp".into(), json!(scopes));
        c.insert("auth_time".into(), json!(unix(auth_time)));
        c.insert("sub".into(), json!(user.login()));
        self.custom_claims(server, user, scopes, "RESOURCE", &mut c);
        c
    }

    #[allow(clippy::too_many_arguments)]
    fn id_claims(
        &self,
        server: &AuthServer,
        app: &App,
        user: &User,
        scopes: &[String],
        now: SystemTime,
        auth_time: SystemTime,
        amr: &[String],
        nonce: Option<&str>,
        jti: &str,
    ) -> Map<String, Value> {
        let mut c = Map::new();
        c.insert("sub".into(), json!(user.id));
        if scopes.iter().any(|s| s == "profile") {
            c.insert("name".into(), json!(user.display_name()));
        }
        if scopes.iter().any(|s| s == "email") {
            c.insert("email".into(), json!(user.profile_str("email")));
        }
        c.insert("ver".into(), json!(1));
        c.insert("iss".into(), json!(self.issuer(&server.id)));
        c.insert("aud".into(), json!(app.id));
        c.insert("iat".into(), json!(unix(now)));
        c.insert("exp".into(), json!(unix(now + ID_TOKEN_LIFETIME)));
        c.insert("jti".into(), json!(jti));
        c.insert("amr".into(), json!(amr));
        c.insert("idp".into(), json!(self.org_id));
        if let Some(nonce) = nonce {
            c.insert("nonce".into(), json!(nonce));
        }
        if scopes.iter().any(|s| s == "profile") {
            c.insert("preferred_username".into(), json!(user.login()));
        }
        c.insert("auth_time".into(), json!(unix(auth_time)));
        self.custom_claims(server, user, scopes, "IDENTITY", &mut c);
        c
    }

    fn custom_claims(
        &self,
        server: &AuthServer,
        user: &User,
        scopes: &[String],
        kind: &str,
        out: &mut Map<String, Value>,
    ) {
        for claim in server
            .claims
            .iter()
            .filter(|c| c.active && c.claim_type == kind)
        {
            let in_scope = claim.always_include_in_token
                || claim.scopes.is_empty()
                || claim.scopes.iter().any(|s| scopes.contains(s));
            if !in_scope || out.contains_key(&claim.name) {
                continue;
            }
            let value = match claim.value_type.as_str() {
                "GROUPS" => json!(
                    self.groups_of(&user.id)
                        .iter()
                        .filter(|g| g.name.starts_with(&claim.value))
                        .map(|g| g.name.clone())
                        .collect::<Vec<_>>()
                ),
                _ => evaluate_expression(&claim.value, user),
            };
            if !value.is_null() {
                out.insert(claim.name.clone(), value);
            }
        }
    }

    // ---- introspection, revocation, userinfo -----------------------------------------------

    /// Checks a JWT this org issued: signature by a published key of `as_id`, issuer, expiry,
    /// not revoked. Returns its claims.
    pub fn verify_access_token(
        &self,
        now: SystemTime,
        as_id: &str,
        token: &str,
    ) -> Option<Map<String, Value>> {
        let server = self.token_server(as_id).ok()?;
        let claims = verify_jwt(server, token)?;
        let jti = claims.get("jti")?.as_str()?;
        let record = self.tokens.access.get(jti)?;
        (record.as_id == as_id
            && !record.revoked
            && record.expires > now
            && claims.get("iss").and_then(Value::as_str) == Some(&self.issuer(as_id)))
        .then_some(claims)
    }

    /// RFC 7662 introspection: `None` is `{"active": false}` (OKTA-TOK-6).
    pub fn introspect(
        &mut self,
        now: SystemTime,
        as_id: &str,
        auth: &ClientAuth,
        token: &str,
    ) -> Result<Option<Introspection>, OAuthError> {
        let app = self.authenticate_client(now, as_id, auth)?;
        if let Some(claims) = self.verify_access_token(now, as_id, token) {
            let jti = claims
                .get("jti")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let Some(record) = self.tokens.access.get(&jti) else {
                return Ok(None);
            };
            if record.client_id != app.id {
                return Ok(None);
            }
            let user = self.find_user(&record.user_id);
            return Ok(Some(Introspection {
                token_type: "Bearer",
                scope: record.scopes.clone(),
                client_id: record.client_id.clone(),
                username: user.map(|u| u.login().to_string()).unwrap_or_default(),
                uid: record.user_id.clone(),
                iat: record.issued,
                exp: Some(record.expires),
                iss: self.issuer(as_id),
                aud: claims
                    .get("aud")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                jti: Some(jti),
            }));
        }
        let Some(record) = self.tokens.refresh.get(token) else {
            return Ok(None);
        };
        let live = !record.revoked
            && record.as_id == as_id
            && record.client_id == app.id
            && record.idle_until > now
            && record.expires.is_none_or(|e| e > now)
            && self
                .find_user(&record.user_id)
                .is_some_and(|u| u.status == UserStatus::Active);
        if !live {
            return Ok(None);
        }
        let server = self
            .token_server(as_id)
            .map_err(|_| OAuthError::new("invalid_request", "Unknown authorization server."))?;
        Ok(Some(Introspection {
            token_type: "refresh_token",
            scope: record.scopes.clone(),
            client_id: record.client_id.clone(),
            username: self
                .find_user(&record.user_id)
                .map(|u| u.login().to_string())
                .unwrap_or_default(),
            uid: record.user_id.clone(),
            iat: record.auth_time,
            exp: record.expires,
            iss: self.issuer(as_id),
            aud: server.audiences.first().cloned().unwrap_or_default(),
            jti: None,
        }))
    }

    /// RFC 7009 revocation: always succeeds for a valid client, known token or not
    /// (OKTA-TOK-6).
    pub fn revoke(
        &mut self,
        now: SystemTime,
        as_id: &str,
        auth: &ClientAuth,
        token: &str,
    ) -> Result<(), OAuthError> {
        let app = self.authenticate_client(now, as_id, auth)?;
        let mut revoked = false;
        if let Some(r) = self.tokens.refresh.get_mut(token) {
            if r.client_id == app.id && r.as_id == as_id {
                r.revoked = true;
                revoked = true;
            }
        } else if let Some(claims) = self
            .token_server(as_id)
            .ok()
            .and_then(|s| verify_jwt(s, token))
            && let Some(jti) = claims.get("jti").and_then(Value::as_str)
            && let Some(a) = self.tokens.access.get_mut(jti)
            && a.client_id == app.id
        {
            a.revoked = true;
            revoked = true;
        }
        if revoked {
            self.log.record(
                now,
                "app.oauth2.as.token.revoke",
                "OAuth2 token revocation request",
                Actor::client(&app.id, &app.label),
                Vec::new(),
                Outcome::success(),
            );
        }
        Ok(())
    }

    /// OIDC userinfo for a live access token carrying `openid`.
    pub fn userinfo(
        &self,
        now: SystemTime,
        as_id: &str,
        access_token: &str,
    ) -> Option<Map<String, Value>> {
        let claims = self.verify_access_token(now, as_id, access_token)?;
        let scopes: Vec<String> = serde_json::from_value(claims.get("scp")?.clone()).ok()?;
        if !scopes.iter().any(|s| s == "openid") {
            return None;
        }
        let user = self.find_user(claims.get("uid")?.as_str()?)?;
        let mut info = Map::new();
        info.insert("sub".into(), json!(user.id));
        if scopes.iter().any(|s| s == "profile") {
            info.insert("name".into(), json!(user.display_name()));
            info.insert(
                "locale".into(),
                json!(
                    user.profile
                        .get("locale")
                        .cloned()
                        .unwrap_or(json!("en_US"))
                ),
            );
            info.insert("preferred_username".into(), json!(user.login()));
            info.insert("given_name".into(), json!(user.profile_str("firstName")));
            info.insert("family_name".into(), json!(user.profile_str("lastName")));
            info.insert(
                "zoneinfo".into(),
                json!(
                    user.profile
                        .get("timezone")
                        .cloned()
                        .unwrap_or(json!("America/Los_Angeles"))
                ),
            );
            info.insert("updated_at".into(), json!(unix(user.last_updated)));
        }
        if scopes.iter().any(|s| s == "email") {
            info.insert("email".into(), json!(user.profile_str("email")));
            info.insert("email_verified".into(), json!(true));
        }
        Some(info)
    }

    /// The client an ID token was issued to, if this org signed it (for `/logout`).
    pub fn id_token_client(&self, as_id: &str, id_token: &str) -> Option<String> {
        let server = self.token_server(as_id).ok()?;
        let claims = verify_jwt(server, id_token)?;
        claims.get("aud")?.as_str().map(str::to_string)
    }

    // ---- token preview ---------------------------------------------------------------------

    /// Token Preview (OKTA-AS-6): the payload the server would issue, or the error it would
    /// give, without issuing anything.
    pub fn preview(
        &self,
        now: SystemTime,
        as_id: &str,
        client_id: &str,
        grant_type: &str,
        user_id: &str,
        scopes: &[String],
    ) -> Result<Preview, (OAuthError, &'static str)> {
        let denial = |d: Denial| (d.oauth_error(), d.code());
        let server = self
            .token_server(as_id)
            .map_err(|_| denial(Denial::NoMatchingPolicy))?;
        let app = self.app(client_id).map_err(|_| {
            (
                OAuthError::new("invalid_client", "Invalid value for 'client_id' parameter."),
                "invalid_client",
            )
        })?;
        let user = self.find_user(user_id).ok_or((
            OAuthError::new("access_denied", NOT_ASSIGNED),
            "invalid_user",
        ))?;
        if user.status != UserStatus::Active {
            return Err((
                OAuthError::new("invalid_grant", "The user is not active."),
                "inactive_user",
            ));
        }
        if !self.is_assigned(&app.id, &user.id) {
            return Err((
                OAuthError::new("access_denied", NOT_ASSIGNED),
                "user_not_assigned",
            ));
        }
        let decision = self
            .evaluate(as_id, &app.id, grant_type, &user.id, scopes)
            .map_err(denial)?;
        let jti = "AT.preview".to_string();
        let access = self.access_claims(
            server,
            app,
            user,
            scopes,
            now,
            now,
            decision.access_ttl,
            &jti,
        );
        let id_token = scopes.iter().any(|s| s == "openid").then(|| {
            self.id_claims(
                server,
                app,
                user,
                scopes,
                now,
                now,
                &["pwd".to_string()],
                None,
                "ID.preview",
            )
        });
        Ok(Preview {
            access_token: access,
            id_token,
            refresh_token: scopes.iter().any(|s| s == "offline_access")
                && app.grant_types.iter().any(|g| g == "refresh_token")
                && decision.allows_refresh,
        })
    }

    fn log_grant_failure(
        &mut self,
        now: SystemTime,
        as_id: &str,
        client_id: &str,
        user: &User,
        reason: &str,
    ) {
        self.log.record(
            now,
            "app.oauth2.as.authorize",
            "OAuth2 authorization request",
            Actor::user(&user.id, user.login(), &user.display_name()),
            vec![
                Target::new(client_id, "AppInstance", client_id),
                Target::new(as_id, "AuthorizationServer", as_id),
            ],
            Outcome::failure(reason),
        );
    }

    fn log_code_refusal(&mut self, now: SystemTime, record: &CodeRecord, reason: &str) {
        self.log.record(
            now,
            "app.oauth2.as.token.grant",
            "OAuth2 token request",
            Actor::client(&record.client_id, &record.client_id),
            vec![Target::new(&record.user_id, "User", &record.user_id)],
            Outcome::failure(reason),
        );
    }
}

/// `user.<attribute>` (profile attribute, or `user.id`/`user.status`) or a quoted literal.
fn evaluate_expression(expr: &str, user: &User) -> Value {
    let expr = expr.trim();
    if let Some(lit) = expr.strip_prefix('"').and_then(|e| e.strip_suffix('"')) {
        return json!(lit);
    }
    match expr.strip_prefix("user.") {
        Some("id") => json!(user.id),
        Some("status") => json!(user.status.as_str()),
        Some(attr) => user.profile.get(attr).cloned().unwrap_or(Value::Null),
        None => Value::Null,
    }
}

/// Seconds since the Unix epoch.
pub fn unix(t: SystemTime) -> u64 {
    sim_core::clock::unix_secs(t)
}

/// base64url(SHA-256(verifier)): the S256 code challenge (RFC 7636).
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        verifier.as_bytes(),
    ))
}

/// RFC 7636 `unreserved` characters only.
fn is_pkce_string(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The left half of SHA-256, base64url (`at_hash`).
fn left_half_hash(token: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16])
}

/// Signs claims as a compact JWS (RS256) with `key`.
fn sign_jwt(key: &SigningKey, claims: &Map<String, Value>) -> Option<String> {
    let header = json!({ "kid": key.kid(), "alg": "RS256" });
    let mut input = URL_SAFE_NO_PAD.encode(header.to_string());
    input.push('.');
    input.push_str(&URL_SAFE_NO_PAD.encode(serde_json::to_string(claims).ok()?));
    let signature = key.sign_rs256(input.as_bytes()).ok()?;
    input.push('.');
    input.push_str(&URL_SAFE_NO_PAD.encode(signature));
    Some(input)
}

/// Verifies a compact JWS against the server's published keys; RS256 only.
fn verify_jwt(server: &AuthServer, token: &str) -> Option<Map<String, Value>> {
    let mut parts = token.split('.');
    let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: Map<String, Value> =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).ok()?).ok()?;
    if header.get("alg")?.as_str()? != "RS256" {
        return None;
    }
    let key = server.key(header.get("kid")?.as_str()?)?;
    let signature = URL_SAFE_NO_PAD.decode(s).ok()?;
    if !key.verify_rs256(format!("{h}.{p}").as_bytes(), &signature) {
        return None;
    }
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).ok()?).ok()
}
