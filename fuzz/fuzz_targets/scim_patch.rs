//! SCIM PATCH request bodies (the wire layer's PatchOp parsing, paths included) applied by the
//! core to a user (`PatchUser`) and to a group (`PatchGroup`): all or nothing, so a refused
//! PATCH leaves the resource exactly as it was. The first byte picks the target. The
//! directory is rebuilt after a PATCH that changed it, so every input starts from the same one.
#![no_main]

use std::sync::{LazyLock, Mutex};

use kiro_sim_fuzz::{KiroFixture, kiro_fixture, now};
use libfuzzer_sys::fuzz_target;

static FIXTURE: LazyLock<Mutex<KiroFixture>> = LazyLock::new(|| Mutex::new(kiro_fixture()));

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    let Some(ops) = mock_kiro::fuzzing::scim_patch_ops(body) else {
        return;
    };
    let mut fx = FIXTURE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let fx = &mut *fx;
    let changed = if which & 1 == 0 {
        let before = fx.kiro.user(&fx.profile, &fx.ada).cloned();
        let result = fx.kiro.patch_user(now(), &fx.profile, &fx.ada, &ops);
        if result.is_err() {
            assert_eq!(fx.kiro.user(&fx.profile, &fx.ada).cloned(), before);
        }
        result.is_ok()
    } else {
        let before = fx.kiro.group(&fx.profile, &fx.group).cloned();
        let result = fx.kiro.patch_group(now(), &fx.profile, &fx.group, &ops);
        if result.is_err() {
            assert_eq!(fx.kiro.group(&fx.profile, &fx.group).cloned(), before);
        }
        result.is_ok()
    };
    if changed {
        *fx = kiro_fixture();
    }
});
