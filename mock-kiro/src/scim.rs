//! The SCIM 2.0 endpoint under `/{tenantId}/scim/v2/…` (being written).

use axum::Router;

use crate::wire::AppState;

/// Routes of the SCIM endpoint.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
}
