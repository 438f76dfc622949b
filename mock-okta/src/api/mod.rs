//! The management API (`/api/v1/...`) in Okta's shapes.

use axum::Router;

use crate::wire::AppState;

/// Routes of the management API.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
}
