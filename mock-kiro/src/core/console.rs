//! Profiles, domains, SCIM access tokens and governance settings (BEHAVIOURS.md KIRO-PRO-1..2,
//! KIRO-DOM-1..4, KIRO-TOK-1, KIRO-GOV-1).
//!
//! - A profile connects an external identity provider: an issuer (whose discovery document the
//!   wire layer has fetched and checked) and a client id. Deleting a profile drops everything
//!   held for it — users, groups, seats, tokens — so re-creating it with the same Okta app
//!   starts empty until the app is re-provisioned (KIRO-PRO-2).
//! - A domain belongs to at most one profile in the whole account, verified or not; adding it
//!   again is refused with a message that says only that it is in use (KIRO-DOM-3). It is
//!   verified when a TXT record at `_kiro-verification.{domain}` holds its token (the wire layer
//!   does the DNS query and passes the strings in).
//! - SCIM tokens are shown once, stored as SHA-256 hashes, valid for a year, never rotated, and
//!   refused at once when revoked (KIRO-TOK-1).

use std::time::{Duration, SystemTime};

use sim_core::ids;

use super::scim::ScimGroup;
use super::seats::{GroupSubscription, PendingGrant, Seat};
use super::{ConsoleError, Kiro};

/// The record name that carries a domain's verification token (sim choice).
pub const VERIFICATION_LABEL: &str = "_kiro-verification";
/// SCIM access tokens a profile holds at a time; revoked ones do not count, expired ones
/// do until revoked (IdC: "up to two access tokens at a time … delete any expired or unused
/// access tokens", KIRO-SCIM-11).
pub const MAX_SCIM_TOKENS: usize = 2;
/// How long a SCIM access token lives.
pub const SCIM_TOKEN_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);
/// Models an admin can approve.
pub const MODEL_CATALOG: [&str; 4] = [
    "auto",
    "claude-sonnet-4.5",
    "claude-sonnet-4",
    "claude-haiku-4.5",
];
/// The scopes Kiro asks for at sign-in: exactly the three the guide's rule and Token Preview
/// name (no `openid`: Okta's rule matching refuses a request whose scopes go beyond the
/// rule's list, so asking for more would fail against a rule made as the guide says).
pub const SIGN_IN_SCOPES: [&str; 3] = [
    "codewhisperer:completions",
    "codewhisperer:conversations",
    "offline_access",
];

/// What the issuer's discovery document said (checked by the wire layer).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Discovery {
    /// `jwks_uri`.
    pub jwks_uri: String,
    /// `authorization_endpoint`.
    pub authorization_endpoint: String,
    /// `token_endpoint`.
    pub token_endpoint: String,
}

/// Governance settings of a profile (KIRO-GOV-1).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// Models users may pick.
    pub approved_models: Vec<String>,
    /// The model used when a request names none.
    pub default_model: Option<String>,
    /// MCP servers allowed.
    pub mcp_enabled: bool,
    /// Only MCP servers from this registry, if set.
    pub mcp_registry_url: Option<String>,
    /// Web search/fetch tools allowed.
    pub web_tools_enabled: bool,
    /// Use beyond a tier's credits is billed instead of refused (whole profile).
    pub overages_enabled: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            approved_models: MODEL_CATALOG.iter().map(|m| m.to_string()).collect(),
            default_model: Some("auto".into()),
            mcp_enabled: true,
            mcp_registry_url: None,
            web_tools_enabled: true,
            overages_enabled: false,
        }
    }
}

/// SCIM token metadata (the secret itself is never stored).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScimToken {
    /// Token id (UUID).
    pub id: String,
    /// When created.
    pub created: SystemTime,
    /// When it stops working.
    pub expires: SystemTime,
    /// Last successful use.
    pub last_used: Option<SystemTime>,
    /// Revoked by an admin.
    pub revoked: bool,
    pub(crate) hash: [u8; 32],
}

/// A Kiro profile.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Profile {
    /// 12 characters, upper-case letters and digits.
    pub id: String,
    /// Display name.
    pub name: String,
    /// `arn:aws:codewhisperer:{region}:{account}:profile/{id}`.
    pub arn: String,
    /// AWS region.
    pub region: String,
    /// The external IdP's issuer URI, exactly as given.
    pub issuer: String,
    /// The OIDC client id.
    pub client_id: String,
    /// From the issuer's discovery document.
    pub discovery: Discovery,
    /// The SCIM endpoint's tenant id (`/{tenant}/scim/v2/`).
    pub tenant_id: String,
    /// When created.
    pub created: SystemTime,
    /// Governance settings.
    pub settings: Settings,
    /// SCIM access tokens.
    pub scim_tokens: Vec<ScimToken>,
    /// Provisioned users.
    pub users: super::scim::Users,
    /// Provisioned groups.
    pub groups: Vec<ScimGroup>,
    /// Seats.
    pub seats: Vec<Seat>,
    /// Groups subscribed to a tier.
    pub group_subscriptions: Vec<GroupSubscription>,
    /// Seats waiting for the group sync delay.
    pub pending_grants: Vec<PendingGrant>,
}

/// Whether a domain is verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DomainStatus {
    /// Added; token not seen in DNS yet.
    Pending,
    /// Token seen in DNS.
    Verified,
}

impl DomainStatus {
    /// As the console shows it.
    pub fn as_str(&self) -> &'static str {
        match self {
            DomainStatus::Pending => "PENDING",
            DomainStatus::Verified => "VERIFIED",
        }
    }
}

/// A company domain.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Domain {
    /// Lower-case name.
    pub name: String,
    /// The profile it belongs to.
    pub profile_id: String,
    /// Pending or verified.
    pub status: DomainStatus,
    /// The value to publish as a TXT record.
    pub verification_token: String,
    /// When added.
    pub created: SystemTime,
    /// When last checked against DNS.
    pub last_checked: Option<SystemTime>,
    /// When verified.
    pub verified_at: Option<SystemTime>,
}

impl Domain {
    /// The fully qualified name of the TXT record to publish.
    pub fn record_name(&self) -> String {
        format!("{VERIFICATION_LABEL}.{}", self.name)
    }
}

/// Where a sign-in for an email address goes (KIRO-DOM-4).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignInRoute {
    /// Profile ARN.
    pub profile_arn: String,
    /// Profile name.
    pub profile_name: String,
    /// Issuer URI.
    pub issuer: String,
    /// Client id.
    pub client_id: String,
    /// Scopes to ask for.
    pub scopes: Vec<String>,
    /// Region.
    pub region: String,
}

impl Kiro {
    // ---- profiles ----------------------------------------------------------------------

    /// Checks what [`Kiro::create_profile`] checks before it needs the discovery document, so
    /// the wire layer can refuse a bad request without fetching anything.
    pub fn check_new_profile(
        &self,
        name: &str,
        issuer: &str,
        client_id: &str,
    ) -> Result<(), ConsoleError> {
        let name = name.trim();
        if name.is_empty() || name.len() > 100 {
            return Err(ConsoleError::Validation(
                "Profile name must be 1 to 100 characters.".into(),
            ));
        }
        if !(issuer.starts_with("https://") || issuer.starts_with("http://")) {
            return Err(ConsoleError::Validation(
                "Issuer URI must be an http(s) URL.".into(),
            ));
        }
        if client_id.trim().is_empty() {
            return Err(ConsoleError::Validation("Client ID is required.".into()));
        }
        if self.profiles.iter().any(|p| p.name == name) {
            return Err(ConsoleError::Conflict(format!(
                "A profile named {name} already exists."
            )));
        }
        Ok(())
    }

    /// Creates a profile connected to an external IdP (KIRO-PRO-1). `discovery` is what the
    /// wire layer read from `{issuer}/.well-known/openid-configuration`.
    pub fn create_profile(
        &mut self,
        now: SystemTime,
        name: &str,
        issuer: &str,
        client_id: &str,
        discovery: Discovery,
    ) -> Result<Profile, ConsoleError> {
        self.check_new_profile(name, issuer, client_id)?;
        let name = name.trim();
        let id = self.ids_upper(12);
        let profile = Profile {
            arn: format!(
                "arn:aws:codewhisperer:{}:{}:profile/{id}",
                self.region, self.account_id
            ),
            id,
            name: name.to_string(),
            region: self.region.clone(),
            issuer: issuer.to_string(),
            client_id: client_id.trim().to_string(),
            discovery,
            tenant_id: ids::uuid_v4(&mut self.ids),
            created: now,
            settings: Settings::default(),
            scim_tokens: Vec::new(),
            users: Default::default(),
            groups: Vec::new(),
            seats: Vec::new(),
            group_subscriptions: Vec::new(),
            pending_grants: Vec::new(),
        };
        self.revision = self.revision.wrapping_add(1);
        self.profiles.push(profile.clone());
        Ok(profile)
    }

    fn ids_upper(&mut self, len: usize) -> String {
        self.ids
            .string_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", len)
    }

    /// A profile by id or ARN.
    pub fn profile(&self, id_or_arn: &str) -> Result<&Profile, ConsoleError> {
        self.profiles
            .iter()
            .find(|p| p.id == id_or_arn || p.arn == id_or_arn)
            .ok_or_else(|| ConsoleError::NotFound(format!("Profile {id_or_arn}")))
    }

    pub(crate) fn profile_mut(&mut self, id_or_arn: &str) -> Result<&mut Profile, ConsoleError> {
        self.revision = self.revision.wrapping_add(1);
        self.profiles
            .iter_mut()
            .find(|p| p.id == id_or_arn || p.arn == id_or_arn)
            .ok_or_else(|| ConsoleError::NotFound(format!("Profile {id_or_arn}")))
    }

    /// Deletes a profile and everything held for it (KIRO-PRO-2), its domains included.
    pub fn delete_profile(&mut self, id_or_arn: &str) -> Result<Profile, ConsoleError> {
        let id = self.profile(id_or_arn)?.id.clone();
        let index = self
            .profiles
            .iter()
            .position(|p| p.id == id)
            .ok_or_else(|| ConsoleError::NotFound(format!("Profile {id_or_arn}")))?;
        self.domains.retain(|d| d.profile_id != id);
        self.revision = self.revision.wrapping_add(1);
        Ok(self.profiles.remove(index))
    }

    /// Replaces a profile's governance settings (KIRO-GOV-1).
    pub fn update_settings(
        &mut self,
        profile: &str,
        settings: Settings,
    ) -> Result<Settings, ConsoleError> {
        if settings.approved_models.is_empty() {
            return Err(ConsoleError::Validation(
                "At least one model must be approved.".into(),
            ));
        }
        if let Some(unknown) = settings
            .approved_models
            .iter()
            .find(|m| !MODEL_CATALOG.contains(&m.as_str()))
        {
            return Err(ConsoleError::Validation(format!(
                "Unknown model {unknown}. Available models: {}.",
                MODEL_CATALOG.join(", ")
            )));
        }
        if let Some(default) = &settings.default_model
            && !settings.approved_models.contains(default)
        {
            return Err(ConsoleError::Validation(
                "The default model must be one of the approved models.".into(),
            ));
        }
        if let Some(url) = &settings.mcp_registry_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(ConsoleError::Validation(
                "The MCP registry URL must be an http(s) URL.".into(),
            ));
        }
        let p = self.profile_mut(profile)?;
        p.settings = settings.clone();
        Ok(settings)
    }

    // ---- domains -----------------------------------------------------------------------

    /// Adds a domain to a profile: Pending, with a verification token (KIRO-DOM-1, -3).
    pub fn add_domain(
        &mut self,
        now: SystemTime,
        profile: &str,
        name: &str,
    ) -> Result<Domain, ConsoleError> {
        let profile_id = self.profile(profile)?.id.clone();
        let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
        if !is_domain_name(&name) {
            return Err(ConsoleError::Validation(format!(
                "{name} is not a valid domain name."
            )));
        }
        if self.domains.iter().any(|d| d.name == name) {
            return Err(ConsoleError::Conflict(
                "This domain is already in use.".into(),
            ));
        }
        let domain = Domain {
            name,
            profile_id,
            status: DomainStatus::Pending,
            verification_token: format!(
                "kiro-domain-verification={}",
                ids::secret(&mut self.secrets, 32)
            ),
            created: now,
            last_checked: None,
            verified_at: None,
        };
        self.domains.push(domain.clone());
        Ok(domain)
    }

    /// A domain by name, in a profile.
    pub fn domain(&self, profile: &str, name: &str) -> Result<&Domain, ConsoleError> {
        let profile_id = &self.profile(profile)?.id;
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        self.domains
            .iter()
            .find(|d| d.name == name && d.profile_id == *profile_id)
            .ok_or_else(|| ConsoleError::NotFound(format!("Domain {name}")))
    }

    /// Domains of a profile.
    pub fn domains_of(&self, profile: &str) -> Result<Vec<&Domain>, ConsoleError> {
        let profile_id = &self.profile(profile)?.id;
        Ok(self
            .domains
            .iter()
            .filter(|d| d.profile_id == *profile_id)
            .collect())
    }

    /// Every domain still pending (the periodic check looks them up).
    pub fn pending_domains(&self) -> Vec<String> {
        self.domains
            .iter()
            .filter(|d| d.status == DomainStatus::Pending)
            .map(|d| d.name.clone())
            .collect()
    }

    /// Records a DNS check: `records` are the TXT records found at the domain's record name,
    /// each the concatenation of its strings. Verified when one equals the token (KIRO-DOM-2).
    pub fn record_dns_check(
        &mut self,
        now: SystemTime,
        name: &str,
        records: &[String],
    ) -> Option<Domain> {
        let domain = self.domains.iter_mut().find(|d| d.name == name)?;
        domain.last_checked = Some(now);
        if domain.status == DomainStatus::Pending
            && records
                .iter()
                .any(|r| r.trim() == domain.verification_token)
        {
            domain.status = DomainStatus::Verified;
            domain.verified_at = Some(now);
        }
        Some(domain.clone())
    }

    /// Removes a domain from a profile.
    pub fn remove_domain(&mut self, profile: &str, name: &str) -> Result<(), ConsoleError> {
        let domain = self.domain(profile, name)?.clone();
        self.domains.retain(|d| d.name != domain.name);
        Ok(())
    }

    /// Where a sign-in for `email` goes: only verified domains route (KIRO-DOM-4).
    pub fn route_email(&self, email: &str) -> Option<SignInRoute> {
        let domain = email.rsplit_once('@')?.1.trim().to_ascii_lowercase();
        let d = self
            .domains
            .iter()
            .find(|d| d.name == domain && d.status == DomainStatus::Verified)?;
        let p = self.profiles.iter().find(|p| p.id == d.profile_id)?;
        Some(SignInRoute {
            profile_arn: p.arn.clone(),
            profile_name: p.name.clone(),
            issuer: p.issuer.clone(),
            client_id: p.client_id.clone(),
            scopes: SIGN_IN_SCOPES.iter().map(|s| s.to_string()).collect(),
            region: p.region.clone(),
        })
    }

    // ---- SCIM tokens -------------------------------------------------------------------

    /// Generates a SCIM access token: the secret is returned once and never stored.
    pub fn generate_scim_token(
        &mut self,
        now: SystemTime,
        profile: &str,
    ) -> Result<(ScimToken, String), ConsoleError> {
        let live = self
            .profile(profile)?
            .scim_tokens
            .iter()
            .filter(|t| !t.revoked)
            .count();
        if live >= MAX_SCIM_TOKENS {
            return Err(ConsoleError::Validation(format!(
                "A directory supports up to {MAX_SCIM_TOKENS} access tokens at a time. Delete an expired or unused token first."
            )));
        }
        let secret = ids::secret(&mut self.secrets, 64);
        let token = ScimToken {
            id: ids::uuid_v4(&mut self.ids),
            created: now,
            expires: now + SCIM_TOKEN_LIFETIME,
            last_used: None,
            revoked: false,
            hash: hash_token(&secret),
        };
        self.profile_mut(profile)?.scim_tokens.push(token.clone());
        Ok((token, secret))
    }

    /// Revokes a SCIM token; it is refused from the next request on.
    pub fn revoke_scim_token(
        &mut self,
        profile: &str,
        token_id: &str,
    ) -> Result<ScimToken, ConsoleError> {
        let p = self.profile_mut(profile)?;
        let token = p
            .scim_tokens
            .iter_mut()
            .find(|t| t.id == token_id)
            .ok_or_else(|| ConsoleError::NotFound(format!("Token {token_id}")))?;
        token.revoked = true;
        Ok(token.clone())
    }

    /// The profile a SCIM request for `tenant_id` with bearer `secret` acts on, if the token
    /// is live (KIRO-TOK-1). Records the use.
    pub fn authenticate_scim(
        &mut self,
        now: SystemTime,
        tenant_id: &str,
        secret: &str,
    ) -> Option<String> {
        let hash = hash_token(secret);
        let profile = self
            .profiles
            .iter_mut()
            .find(|p| p.tenant_id == tenant_id)?;
        let token = profile
            .scim_tokens
            .iter_mut()
            .find(|t| ids::constant_time_eq(&t.hash, &hash))?;
        if token.revoked || token.expires <= now {
            return None;
        }
        token.last_used = Some(now);
        Some(profile.id.clone())
    }
}

fn hash_token(secret: &str) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, secret.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

fn is_domain_name(name: &str) -> bool {
    name.len() <= 253
        && name.contains('.')
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}
