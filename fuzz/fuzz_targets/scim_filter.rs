//! SCIM filters as IdC takes them (`mock_kiro::core::scim::parse_filter`), through the core's
//! `ListUsers` and `ListGroups` on a directory with two users and a group.
#![no_main]

use std::sync::LazyLock;

use kiro_sim_fuzz::{KiroFixture, kiro_fixture};
use libfuzzer_sys::fuzz_target;

static FIXTURE: LazyLock<KiroFixture> = LazyLock::new(kiro_fixture);

fuzz_target!(|data: &[u8]| {
    let fx = &*FIXTURE;
    let text = String::from_utf8_lossy(data);
    let _ = mock_kiro::core::scim::parse_filter(&text, &["userName", "externalId", "id"]);
    if let Ok(page) = fx.kiro.list_users(&fx.profile, Some(&text), Some(10), None) {
        assert!(page.items.len() <= 2);
    }
    if let Ok(page) = fx
        .kiro
        .list_groups(&fx.profile, Some(&text), Some(10), None)
    {
        assert!(page.items.len() <= 1);
    }
});
