//! Company domains (KIRO-DOM-1..3): added Pending with a verification token, verified when
//! the token is published as a TXT record at `_kiro-verification.{domain}`. A domain belongs
//! to at most one profile, verified or not.
//!
//! Verification looks DNS up for real (mock-dns in a world), with no lock held: on demand
//! (`POST …/domains/{name}/verify`) and by a recurring job on the world's clock that checks
//! every pending domain each `domain_check_interval` ([`start_domain_checks`]), so advancing
//! the clock past a record's propagation delay and one interval verifies the domain. The job
//! only runs while some domain is pending (adding one schedules it again, on the same grid of
//! check times), so long clock advances cost nothing when there is nothing to check.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};
use sim_api::kiro::AddDomainBody;
use sim_core::Clock;

use super::Params;
use crate::Shared;
use crate::core::console::VERIFICATION_LABEL;
use crate::core::{ConsoleError, Domain};
use crate::wire::{Admin, AppState, AwsError, parse_json, timestamp};

fn domain_json(d: &Domain) -> Value {
    json!({
        "domainName": d.name,
        "status": d.status.as_str(),
        "verificationRecord": {
            "type": "TXT",
            "name": d.record_name(),
            "value": d.verification_token,
        },
        "createdAt": timestamp(d.created),
        "lastCheckedAt": d.last_checked.map(timestamp),
        "verifiedAt": d.verified_at.map(timestamp),
    })
}

/// Adds a domain: Pending, with the token to publish (KIRO-DOM-1). A domain already on any
/// profile is refused with the same answer whoever holds it (KIRO-DOM-3).
pub(super) async fn add(
    _: Admin,
    State(shared): State<AppState>,
    Params(id): Params<String>,
    body: Bytes,
) -> Result<Json<Value>, AwsError> {
    let input: AddDomainBody = parse_json(&body)?;
    let now = shared.clock.now();
    let domain = shared
        .kiro
        .lock()
        .add_domain(now, &id, &input.domain_name)?;
    resume_domain_checks(&shared);
    Ok(Json(domain_json(&domain)))
}

/// `GET …/domains`.
pub(super) async fn list(
    _: Admin,
    State(shared): State<AppState>,
    Params(id): Params<String>,
) -> Result<Json<Value>, AwsError> {
    let kiro = shared.kiro.lock();
    let domains: Vec<Value> = kiro.domains_of(&id)?.into_iter().map(domain_json).collect();
    Ok(Json(json!({ "domains": domains })))
}

/// `GET …/domains/{name}`.
pub(super) async fn get(
    _: Admin,
    State(shared): State<AppState>,
    Params((id, name)): Params<(String, String)>,
) -> Result<Json<Value>, AwsError> {
    let kiro = shared.kiro.lock();
    Ok(Json(domain_json(kiro.domain(&id, &name)?)))
}

/// `DELETE …/domains/{name}`.
pub(super) async fn remove(
    _: Admin,
    State(shared): State<AppState>,
    Params((id, name)): Params<(String, String)>,
) -> Result<Json<Value>, AwsError> {
    let mut kiro = shared.kiro.lock();
    let domain = kiro.domain(&id, &name)?.clone();
    kiro.remove_domain(&id, &name)?;
    Ok(Json(domain_json(&domain)))
}

/// Checks the domain against DNS now (KIRO-DOM-2). DNS unreachable: 503, nothing changes.
pub(super) async fn verify(
    _: Admin,
    State(shared): State<AppState>,
    Params((id, name)): Params<(String, String)>,
) -> Result<Json<Value>, AwsError> {
    let (name, record_name) = {
        let kiro = shared.kiro.lock();
        let d = kiro.domain(&id, &name)?;
        (d.name.clone(), d.record_name())
    };
    let records = shared.outbound.txt(&record_name).await.map_err(|e| {
        tracing::warn!(domain = %name, error = %e, "domain verification: DNS unreachable");
        AwsError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailableException",
            format!("DNS could not be reached to look up {record_name}. Try again later."),
        )
    })?;
    let now = shared.clock.now();
    let mut kiro = shared.kiro.lock();
    // Still this profile's (it may have been removed while DNS answered).
    kiro.domain(&id, &name)?;
    let domain = kiro
        .record_dns_check(now, &name, &records)
        .ok_or_else(|| ConsoleError::NotFound(format!("Domain {name}")))?;
    shared
        .events
        .domain_check(now, &domain.name, &records, domain.status.as_str());
    Ok(Json(domain_json(&domain)))
}

// ---- the periodic check -------------------------------------------------------------------

/// Longest wait between periodic checks while DNS cannot be reached.
const MAX_BACKOFF: Duration = Duration::from_secs(24 * 3600);

/// The periodic check's schedule.
#[derive(Debug, Default)]
pub(crate) struct DomainChecks {
    /// When the checks started; they fall on its multiples of the interval.
    origin: parking_lot::Mutex<Option<SystemTime>>,
    /// A check is scheduled.
    scheduled: AtomicBool,
}

/// Starts the periodic check of pending domains on the world's clock: every
/// `domain_check_interval` of world time, each pending domain is looked up and the result
/// recorded. While DNS cannot be reached the wait doubles (up to [`MAX_BACKOFF`]), so a long
/// advance of the clock does not wait out a lookup timeout every interval; a check that
/// reaches DNS goes back to the interval. With nothing pending the job stops, and
/// [`resume_domain_checks`] starts it again at the next check time of the grid. The job holds
/// only a weak reference, so it ends once the server is dropped. An interval of zero turns the
/// check off.
pub(crate) fn start_domain_checks(shared: &Arc<Shared>) {
    *shared.domain_checks.origin.lock() = Some(shared.clock.now());
    resume_domain_checks(shared);
}

/// Schedules the next check on the grid if none is scheduled and a domain is pending.
pub(crate) fn resume_domain_checks(shared: &Arc<Shared>) {
    let interval = shared.domain_check_interval;
    let Some(origin) = *shared.domain_checks.origin.lock() else {
        return;
    };
    {
        // Decided under the core's lock, as the job's stop is: no pending domain is missed.
        let kiro = shared.kiro.lock();
        if interval.is_zero()
            || kiro.pending_domains().is_empty()
            || shared.domain_checks.scheduled.swap(true, Ordering::AcqRel)
        {
            return;
        }
    }
    // The first check time of the grid after now.
    let now = shared.clock.now();
    let elapsed = now.duration_since(origin).unwrap_or_default();
    let ticks = elapsed.as_nanos() / interval.as_nanos() + 1;
    let wait = interval
        .saturating_mul(u32::try_from(ticks).unwrap_or(u32::MAX))
        .saturating_sub(elapsed);
    schedule_check(
        Arc::downgrade(shared),
        &shared.clock,
        interval,
        wait,
        interval,
    );
}

/// When the periodic check started (its grid), for a state export.
pub(crate) fn domain_check_origin(shared: &Shared) -> Option<SystemTime> {
    *shared.domain_checks.origin.lock()
}

/// After a state import: the grid of the imported state, and its next check re-derived from
/// its pending domains (older checks see a new epoch and stop).
pub(crate) fn restore_domain_checks(shared: &Arc<Shared>, origin: Option<SystemTime>) {
    *shared.domain_checks.origin.lock() = origin;
    shared
        .domain_checks
        .scheduled
        .store(false, Ordering::Release);
    resume_domain_checks(shared);
}

fn schedule_check(
    me: Weak<Shared>,
    clock: &Clock,
    interval: Duration,
    wait: Duration,
    backoff: Duration,
) {
    let epoch = me
        .upgrade()
        .map(|shared| shared.epoch.load(Ordering::Acquire));
    // One label for every round: the domains it looks up are the ones pending when it runs.
    clock.schedule_labelled(
        clock.now() + wait,
        "domain check of the pending domains",
        move |clock: Clock| async move {
            let Some(shared) = me.upgrade() else {
                return;
            };
            if Some(shared.epoch.load(Ordering::Acquire)) != epoch {
                // A state import replaced what this check was for, and re-derived its own.
                return;
            };
            let reached = check_pending(&shared).await;
            {
                let kiro = shared.kiro.lock();
                if reached && kiro.pending_domains().is_empty() {
                    // Nothing left to check: stop until a domain is added.
                    shared
                        .domain_checks
                        .scheduled
                        .store(false, Ordering::Release);
                    return;
                }
            }
            drop(shared);
            let next = if reached {
                interval
            } else {
                backoff.saturating_mul(2).min(MAX_BACKOFF).max(interval)
            };
            schedule_check(me, &clock, interval, next, next);
        },
    );
}

/// Looks up every pending domain. Stops at the first DNS failure and answers false (DNS is
/// down: a later round tries again).
async fn check_pending(shared: &Shared) -> bool {
    let pending = shared.kiro.lock().pending_domains();
    for name in pending {
        let record_name = format!("{VERIFICATION_LABEL}.{name}");
        match shared.outbound.txt(&record_name).await {
            Ok(records) => {
                let now = shared.clock.now();
                let checked = shared.kiro.lock().record_dns_check(now, &name, &records);
                if let Some(d) = checked {
                    tracing::debug!(domain = %d.name, status = d.status.as_str(), "domain checked");
                    shared
                        .events
                        .domain_check(now, &d.name, &records, d.status.as_str());
                }
            }
            Err(e) => {
                tracing::warn!(domain = %name, error = %e, "periodic domain check: DNS unreachable");
                shared.events.record(
                    shared.clock.now(),
                    "domain_check",
                    None,
                    format!("domain check of {name}: DNS unreachable"),
                    Some(e.to_string()),
                );
                shared
                    .clock
                    .report(format!("mock-kiro periodic domain check: {e}"));
                return false;
            }
        }
    }
    true
}
