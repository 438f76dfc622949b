//! The console (admin) API under `/console/…` (being written).

use axum::Router;

use crate::Shared;
use crate::wire::AppState;

/// Routes of the console API.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
}

/// Starts the periodic check of pending domains on the world's clock.
pub(crate) fn start_domain_checks(_shared: &std::sync::Arc<Shared>) {}
