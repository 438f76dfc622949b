//! A provisioning app's Provisioning tab (Integration: "Configure API integration", "Enable
//! API integration", "Base URL", "API Token", "Test API Credentials"; To App: "Create Users",
//! "Update User Attributes", "Deactivate Users", the attribute mappings and their X) and its
//! Push Groups tab ("Push Groups" → "Find groups by name", status Active / Error).

use axum::Router;

use crate::wire::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
}
