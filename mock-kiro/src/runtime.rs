//! The runtime API the IDE calls (being written).

use axum::Router;

use crate::wire::AppState;

/// Routes of the runtime API.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
}
