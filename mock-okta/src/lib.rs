//! mock-okta: a mock Okta org (not built yet).
//!
//! What will live here (issues 3 and 4): the directory (users, groups), OIDC apps, custom
//! authorization servers that issue RS256 JWTs, the sign-in flows (`/api/v1/authn`, the login
//! page, `/oauth2/{id}/v1/authorize` and `/token`), the management API in Okta's shapes, the
//! System Log, the app catalog and SCIM push provisioning to a downstream app. As in the other
//! mocks, a pure synchronous domain core sits under a thin axum wire layer.
