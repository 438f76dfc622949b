//! mock-kiro: the Kiro console and service side (DOMAIN.md KIRO-*).
//!
//! Profiles pointing at an external issuer, domain verification by real DNS TXT lookups
//! against mock-dns, SCIM access tokens, a SCIM 2.0 server with AWS IAM Identity Center
//! semantics, subscriptions and governance settings, and the runtime API the IDE calls (JWTs
//! verified against the issuer's JWKS). A pure synchronous domain core ([`core`]) sits under a
//! thin axum wire layer.

pub mod core;
