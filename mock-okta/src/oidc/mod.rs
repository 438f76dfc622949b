//! OIDC endpoints of each authorization server, the login page and `/api/v1/authn`.

use axum::Router;

use crate::wire::AppState;

/// Routes of the OIDC endpoints.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
}
