//! Sign-in and tokens (BEHAVIOURS.md OKTA-TOK-1..7, OKTA-TOK-9..11, OKTA-AS-3..6): the store
//! of every outstanding session, code and token of the org, and the two halves that use it.
//!
//! - `authn.rs`: primary authentication (`/api/v1/authn` or the login page: password, then a
//!   TOTP factor when the sign-on policy requires MFA), single-use session tokens, MFA
//!   transactions and sign-in sessions.
//! - `oauth.rs`: OAuth 2.0 and OIDC on top of a session: `/authorize` checks and codes, the
//!   code, refresh and client-credentials grants, client authentication, claims,
//!   [`UnsignedTokens`], introspection, revocation, userinfo, Token Preview.
//!
//! Both submodules are private: everything they export is re-exported here, so the paths
//! `core::tokens::…` are the public ones.

mod authn;
mod oauth;

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use authn::Transaction;
use oauth::{AccessRecord, CodeRecord, RefreshRecord};

pub use authn::{AuthnFailed, AuthnOutcome, SESSION_LIFETIME, Session};
pub use oauth::{
    AuthorizeError, AuthorizeOutcome, AuthorizeRequest, ClientAuth, ID_TOKEN_LIFETIME,
    Introspection, NOT_ASSIGNED, Preview, TokenSet, UnsignedTokens, s256, unix,
};

/// How long authorization codes, session tokens and authn transactions live.
pub const SHORT_LIVED: Duration = Duration::from_secs(5 * 60);

/// Every outstanding session, code and token of the org.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct TokenStore {
    sessions: HashMap<String, Session>,
    session_tokens: HashMap<String, (String, SystemTime, Vec<String>)>,
    transactions: HashMap<String, Transaction>,
    codes: HashMap<String, CodeRecord>,
    refresh: HashMap<String, RefreshRecord>,
    access: HashMap<String, AccessRecord>,
    /// `client_id:jti` of each client assertion accepted, until it expires (no replay).
    assertions: HashMap<String, SystemTime>,
}
