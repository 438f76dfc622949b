//! Primary authentication and sign-in sessions (BEHAVIOURS.md OKTA-TOK-2, OKTA-TOK-7).
//!
//! Primary authentication (`/api/v1/authn` or the login page) checks the password of an
//! ACTIVE user; when the sign-on policy requires MFA, a TOTP factor must be verified too. It
//! ends in a single-use **session token** (5 minutes) or a **session** (the login cookie).
//! A user's sessions end when the user is suspended or deactivated.

use std::time::{Duration, SystemTime};

use sim_core::ids::OktaKind;
use sim_core::totp;

use super::{SHORT_LIVED, TokenStore};
use crate::core::Org;
use crate::core::directory::{User, UserStatus};
use crate::core::log::{Actor, Outcome, Target};

/// How long a sign-in session lives (Okta's default: 2 hours).
pub const SESSION_LIFETIME: Duration = Duration::from_secs(2 * 60 * 60);

/// A sign-in session (the browser's cookie).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Session {
    /// `102…` id, the cookie value.
    pub id: String,
    /// Whose.
    pub user_id: String,
    /// When the user authenticated.
    pub auth_time: SystemTime,
    /// When it ends.
    pub expires: SystemTime,
    /// Authentication methods (`pwd`, `mfa`, `otp`).
    pub amr: Vec<String>,
}

/// What primary authentication led to.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AuthnOutcome {
    /// Authenticated: a single-use session token.
    Success {
        /// The session token.
        session_token: String,
        /// When it expires.
        expires: SystemTime,
        /// Who.
        user_id: String,
    },
    /// A factor must be verified with this state token.
    MfaRequired {
        /// The transaction's state token.
        state_token: String,
        /// When it expires.
        expires: SystemTime,
        /// Who.
        user_id: String,
        /// Active factor ids.
        factor_ids: Vec<String>,
    },
    /// MFA is required but the user has no factor; an admin must enroll one.
    MfaEnroll {
        /// The transaction's state token.
        state_token: String,
        /// When it expires.
        expires: SystemTime,
        /// Who.
        user_id: String,
    },
}

/// Why authentication failed: Okta answers every case with E0000004 "Authentication failed",
/// the reason only reaches the System Log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthnFailed {
    /// For the System Log.
    pub reason: String,
}

/// An MFA transaction: the state token's user, between the password and the factor.

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct Transaction {
    user_id: String,
    expires: SystemTime,
}

impl TokenStore {
    pub(crate) fn end_sessions_of(&mut self, user_id: &str) {
        self.sessions.retain(|_, s| s.user_id != user_id);
    }
}

impl Org {
    // ---- primary authentication ------------------------------------------------------------

    /// Checks username and password (OKTA-TOK-2, OKTA-DIR-1: only ACTIVE users), and the
    /// sign-on policy's factor requirement (OKTA-TOK-7).
    pub fn authn(
        &mut self,
        now: SystemTime,
        username: &str,
        password: &str,
    ) -> Result<AuthnOutcome, AuthnFailed> {
        let user = match self.find_user(username) {
            Some(u) => u.clone(),
            None => return Err(self.authn_failure(now, None, "unknown user")),
        };
        if !self.password_matches(&user, password) {
            return Err(self.authn_failure(now, Some(&user), "INVALID_CREDENTIALS"));
        }
        if user.status != UserStatus::Active {
            let reason = format!("user is {}", user.status.as_str());
            return Err(self.authn_failure(now, Some(&user), &reason));
        }
        if self.mfa_required {
            let state_token = format!("00{}", self.new_secret(40));
            let expires = now + SHORT_LIVED;
            self.tokens.transactions.insert(
                state_token.clone(),
                Transaction {
                    user_id: user.id.clone(),
                    expires,
                },
            );
            let factor_ids: Vec<String> = user
                .factors
                .iter()
                .filter(|f| f.active)
                .map(|f| f.id.clone())
                .collect();
            self.log_user_event(
                now,
                &user,
                "user.authentication.auth_via_mfa",
                "Authentication of user via MFA",
                Outcome {
                    result: "CHALLENGE",
                    reason: None,
                },
            );
            return Ok(if factor_ids.is_empty() {
                AuthnOutcome::MfaEnroll {
                    state_token,
                    expires,
                    user_id: user.id,
                }
            } else {
                AuthnOutcome::MfaRequired {
                    state_token,
                    expires,
                    user_id: user.id,
                    factor_ids,
                }
            });
        }
        Ok(self.authn_success(now, &user, vec!["pwd".into()]))
    }

    /// Verifies a TOTP code for an MFA transaction.
    pub fn authn_verify_factor(
        &mut self,
        now: SystemTime,
        state_token: &str,
        factor_id: &str,
        pass_code: &str,
    ) -> Result<AuthnOutcome, AuthnFailed> {
        let Some(tx) = self.tokens.transactions.get(state_token).cloned() else {
            return Err(AuthnFailed {
                reason: "unknown state token".into(),
            });
        };
        if tx.expires <= now {
            self.tokens.transactions.remove(state_token);
            return Err(AuthnFailed {
                reason: "state token expired".into(),
            });
        }
        let Some(user) = self.find_user(&tx.user_id).cloned() else {
            return Err(AuthnFailed {
                reason: "user gone".into(),
            });
        };
        let ok = user
            .factors
            .iter()
            .find(|f| f.id == factor_id && f.active)
            .is_some_and(|f| totp::verify(&f.secret, now, pass_code));
        if !ok {
            return Err(self.authn_failure(now, Some(&user), "INVALID_PASSCODE"));
        }
        self.tokens.transactions.remove(state_token);
        Ok(self.authn_success(now, &user, vec!["pwd".into(), "mfa".into(), "otp".into()]))
    }

    /// The whole login-page sign-in in one step: password, then (if required) a TOTP code.
    /// Returns a session.
    pub fn login(
        &mut self,
        now: SystemTime,
        username: &str,
        password: &str,
        pass_code: Option<&str>,
    ) -> Result<Session, AuthnFailed> {
        let token = match self.authn(now, username, password)? {
            AuthnOutcome::Success { session_token, .. } => session_token,
            AuthnOutcome::MfaRequired {
                state_token,
                factor_ids,
                ..
            } => {
                let code = pass_code.ok_or_else(|| AuthnFailed {
                    reason: "MFA_REQUIRED".into(),
                })?;
                match self.authn_verify_factor(now, &state_token, &factor_ids[0], code)? {
                    AuthnOutcome::Success { session_token, .. } => session_token,
                    _ => {
                        return Err(AuthnFailed {
                            reason: "MFA_REQUIRED".into(),
                        });
                    }
                }
            }
            AuthnOutcome::MfaEnroll { .. } => {
                return Err(AuthnFailed {
                    reason: "MFA_ENROLL".into(),
                });
            }
        };
        self.exchange_session_token(now, &token)
    }

    /// Turns a session token into a session (single use, 5 minutes).
    pub fn exchange_session_token(
        &mut self,
        now: SystemTime,
        token: &str,
    ) -> Result<Session, AuthnFailed> {
        let Some((user_id, expires, amr)) = self.tokens.session_tokens.remove(token) else {
            return Err(AuthnFailed {
                reason: "session token unknown or already used".into(),
            });
        };
        if expires <= now {
            return Err(AuthnFailed {
                reason: "session token expired".into(),
            });
        }
        let session = Session {
            id: self.new_id(OktaKind::Session),
            user_id: user_id.clone(),
            auth_time: now,
            expires: now + SESSION_LIFETIME,
            amr,
        };
        self.tokens
            .sessions
            .insert(session.id.clone(), session.clone());
        if let Some(user) = self.find_user(&user_id).cloned() {
            self.log_user_event(
                now,
                &user,
                "user.session.start",
                "User login to Okta",
                Outcome::success(),
            );
        }
        Ok(session)
    }

    /// A live session by id, if its user is still ACTIVE.
    pub fn session(&self, now: SystemTime, id: &str) -> Option<&Session> {
        self.tokens.sessions.get(id).filter(|s| {
            s.expires > now
                && self
                    .find_user(&s.user_id)
                    .is_some_and(|u| u.status == UserStatus::Active)
        })
    }

    /// Ends a session.
    pub fn end_session(&mut self, now: SystemTime, id: &str) {
        if let Some(session) = self.tokens.sessions.remove(id)
            && let Some(user) = self.find_user(&session.user_id).cloned()
        {
            self.log_user_event(
                now,
                &user,
                "user.session.end",
                "User logout from Okta",
                Outcome::success(),
            );
        }
    }

    fn authn_success(&mut self, now: SystemTime, user: &User, amr: Vec<String>) -> AuthnOutcome {
        let token = format!("20111{}", self.new_secret(40));
        let expires = now + SHORT_LIVED;
        self.tokens
            .session_tokens
            .insert(token.clone(), (user.id.clone(), expires, amr));
        self.record_login(now, &user.id);
        self.log_user_event(
            now,
            user,
            "user.authentication.sso",
            "User single sign on to app",
            Outcome::success(),
        );
        AuthnOutcome::Success {
            session_token: token,
            expires,
            user_id: user.id.clone(),
        }
    }

    fn authn_failure(&mut self, now: SystemTime, user: Option<&User>, reason: &str) -> AuthnFailed {
        let actor = user.map_or_else(
            || Actor::user("unknown", "unknown", "unknown"),
            |u| Actor::user(&u.id, u.login(), &u.display_name()),
        );
        self.log.record(
            now,
            "user.session.start",
            "User login to Okta",
            actor,
            Vec::new(),
            Outcome::failure(reason),
        );
        AuthnFailed {
            reason: reason.into(),
        }
    }

    fn log_user_event(
        &mut self,
        now: SystemTime,
        user: &User,
        event: &str,
        message: &str,
        outcome: Outcome,
    ) {
        self.log.record(
            now,
            event,
            message,
            Actor::user(&user.id, user.login(), &user.display_name()),
            vec![Target::new(&user.id, "User", &user.display_name())],
            outcome,
        );
    }
}
