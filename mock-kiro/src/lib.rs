//! mock-kiro: the Kiro console and service side (not built yet).
//!
//! What will live here (issue 5): profiles pointing at an external issuer, domain verification
//! by real DNS TXT lookups against mock-dns, SCIM access tokens, a SCIM 2.0 server with AWS IAM
//! Identity Center semantics, subscriptions and governance settings, and the runtime API the
//! IDE calls (JWTs verified against the issuer's JWKS). Same layering as the other mocks: a
//! pure synchronous domain core under a thin axum wire layer.
