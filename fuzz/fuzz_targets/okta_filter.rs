//! Okta's `filter` / `search` expressions (`mock_okta::core::filter`): parse any text, and
//! evaluate what parses against an object whose attributes are drawn from the text itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mock_okta::core::filter::Expr;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(expr) = Expr::parse(&text) {
        let lookup = |attr: &str| match attr {
            "status" => Some("ACTIVE".to_string()),
            "lastUpdated" => Some("2026-01-01T00:00:00.000Z".to_string()),
            a if a.starts_with("profile.") => Some(a.trim_start_matches("profile.").to_string()),
            _ => None,
        };
        let _ = expr.matches(&lookup);
        // Parsing is deterministic.
        assert_eq!(Expr::parse(&text).ok(), Some(expr));
    }
});
