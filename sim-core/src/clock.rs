//! The one clock of a world, and its scheduler.
//!
//! Every service of a world holds a clone of the same [`Clock`]. It reads the time with
//! [`Clock::now`] and schedules delayed work (sync delays, retries, DNS propagation) with
//! [`Clock::schedule_at`] / [`Clock::schedule_in`]; nothing in kiro-sim sleeps on wall time.
//!
//! Two modes:
//! - **Virtual** (the default): time stands still until [`Clock::advance`] moves it. Advancing
//!   runs every job due up to the new time, one at a time, in due order (ties in the order they
//!   were scheduled), and while a job runs `now()` equals its due time. A job may schedule
//!   further jobs; those due within the same advance run in it too. So a 24-hour sync delay
//!   passes in microseconds, and the same actions always run in the same order.
//! - **System**: `now()` is the wall clock plus whatever [`Clock::advance`] added (time travel
//!   for a training sandbox), and a driver task fires jobs when real time reaches them.
//!
//! Jobs are async (`FnOnce(Clock) -> Future`) because some of them talk to other services over
//! the network (a SCIM push retry, say); `advance` awaits each job before the next one, so a
//! job's outcome (success, or a further retry) is settled before time moves past it.
//!
//! Wall time is bounded (SIM-CLOCK-2): a job still running after the clock's job wall limit
//! (default [`DEFAULT_JOB_WALL_LIMIT`]) is left to finish in the background and `advance` moves
//! on; jobs report what went wrong on the wall clock (an outbound call that timed out) with
//! [`Clock::report`]. [`Clock::advance_report`] returns both, with the number of jobs still in
//! flight, so a stalled downstream is reported rather than hidden.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime};

use parking_lot::Mutex;
use tokio::sync::Notify;

/// How long `advance` waits for one job on the wall clock before leaving it to finish in the
/// background (see [`Clock::set_job_wall_limit`]).
pub const DEFAULT_JOB_WALL_LIMIT: Duration = Duration::from_secs(30);

/// What an advance did beyond moving time: for `POST /_sim/clock/advance` and callers that
/// must not hide a stalled downstream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdvanceReport {
    /// The clock's time after the advance.
    pub now: Option<SystemTime>,
    /// Jobs run by this advance.
    pub jobs_run: usize,
    /// What went wrong on the wall clock since the last advance: calls that timed out (as jobs
    /// reported them) and jobs that outran the job wall limit, one line each.
    pub incidents: Vec<String>,
    /// Jobs that outran the wall limit (in this or an earlier advance) and are still running.
    pub in_flight_jobs: usize,
}

/// The pinned start of virtual time, 2026-01-01T00:00:00Z: what runs whose output must be
/// byte-identical from run to run start at (the scenario runner, property tests, benchmarks,
/// unit tests; [`Clock::default`]).
pub const FIXED_EPOCH_UNIX_SECS: u64 = 1_767_225_600;

/// [`FIXED_EPOCH_UNIX_SECS`] as a [`SystemTime`].
pub fn fixed_epoch() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(FIXED_EPOCH_UNIX_SECS)
}

/// The wall-clock "now", in whole seconds: where a world started for outside clients begins
/// (`kiro-sim up`, `World::start` by default), because every JWT verifier compares `exp` and
/// `iat` with its own wall clock, and tokens signed at a fixed past instant would already be
/// expired for it. Whole seconds keep `iat`/`exp` and the clock's `now` free of fractions.
pub fn wall_epoch() -> SystemTime {
    let since = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    SystemTime::UNIX_EPOCH + Duration::from_secs(since.as_secs())
}

/// Whether a clock runs on virtual or on real time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockMode {
    /// Time moves only when [`Clock::advance`] is called.
    Virtual,
    /// Time is the wall clock (plus any offset added by [`Clock::advance`]).
    System,
}

impl ClockMode {
    /// `"virtual"` or `"system"`, as the CLI flag and the ready line spell it.
    pub fn as_str(&self) -> &'static str {
        match self {
            ClockMode::Virtual => "virtual",
            ClockMode::System => "system",
        }
    }
}

impl std::str::FromStr for ClockMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "virtual" => Ok(ClockMode::Virtual),
            "system" => Ok(ClockMode::System),
            other => Err(format!(
                "unknown clock mode `{other}` (expected `virtual` or `system`)"
            )),
        }
    }
}

/// Where a clock stands ([`Clock::position`], [`Clock::restore`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClockPosition {
    /// The world's time when taken.
    pub now: SystemTime,
    /// System mode: how far advances had moved the clock past real time.
    pub offset: Duration,
}

/// A scheduled job's future.
pub type JobFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;
type Job = Box<dyn FnOnce(Clock) -> JobFuture + Send + 'static>;
/// A job with what it is, for reports.
type LabelledJob = (String, Job);

/// Identifies a scheduled job, so it can be cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(u64);

/// The clock shared by every service of a world. Cheap to clone; clones are the same clock.
#[derive(Clone)]
pub struct Clock {
    inner: Arc<Inner>,
}

struct Inner {
    mode: ClockMode,
    state: Mutex<State>,
    /// Serialises job execution: one `advance` (or driver pass) runs jobs at a time.
    runner: tokio::sync::Mutex<()>,
    /// Wakes the system-mode driver when the queue or the offset changes, or the clock drops.
    wake: Arc<Notify>,
    /// Jobs left running in the background after outrunning the wall limit.
    in_flight: Arc<AtomicUsize>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.wake.notify_one();
    }
}

struct State {
    /// Virtual mode: the current time.
    virtual_now: SystemTime,
    /// System mode: how far `advance` has moved the clock past real time.
    offset: Duration,
    /// Pending jobs keyed by (due, sequence number): first entry is the next to run.
    queue: BTreeMap<(SystemTime, u64), LabelledJob>,
    next_seq: u64,
    driver_started: bool,
    /// How long one job may hold an advance on the wall clock.
    job_wall_limit: Duration,
    /// Incidents reported since the last advance report.
    incidents: Vec<String>,
}

impl Clock {
    /// A virtual clock starting at 2026-01-01T00:00:00Z.
    pub fn new_virtual() -> Clock {
        Clock::virtual_at(fixed_epoch())
    }

    /// A virtual clock starting at `start`.
    pub fn virtual_at(start: SystemTime) -> Clock {
        Clock::with_mode(ClockMode::Virtual, start)
    }

    /// A clock on real time. Jobs fire once [`Clock::start_driver`] has been called from
    /// within a tokio runtime (every service's `start` does that).
    pub fn system() -> Clock {
        Clock::with_mode(ClockMode::System, SystemTime::UNIX_EPOCH)
    }

    /// A clock of the given mode; `virtual_start` is ignored in system mode.
    pub fn new(mode: ClockMode, virtual_start: SystemTime) -> Clock {
        Clock::with_mode(mode, virtual_start)
    }

    fn with_mode(mode: ClockMode, virtual_now: SystemTime) -> Clock {
        Clock {
            inner: Arc::new(Inner {
                mode,
                state: Mutex::new(State {
                    virtual_now,
                    offset: Duration::ZERO,
                    queue: BTreeMap::new(),
                    next_seq: 0,
                    driver_started: false,
                    job_wall_limit: DEFAULT_JOB_WALL_LIMIT,
                    incidents: Vec::new(),
                }),
                runner: tokio::sync::Mutex::new(()),
                wake: Arc::new(Notify::new()),
                in_flight: Arc::new(AtomicUsize::new(0)),
            }),
        }
    }

    /// Virtual or system.
    pub fn mode(&self) -> ClockMode {
        self.inner.mode
    }

    /// The current time of the world.
    pub fn now(&self) -> SystemTime {
        let state = self.inner.state.lock();
        self.now_locked(&state)
    }

    fn now_locked(&self, state: &State) -> SystemTime {
        match self.inner.mode {
            ClockMode::Virtual => state.virtual_now,
            ClockMode::System => SystemTime::now() + state.offset,
        }
    }

    /// Schedules `job` to run at `due` (or at the next advance, if `due` is already past).
    pub fn schedule_at<F, Fut>(&self, due: SystemTime, job: F) -> JobId
    where
        F: FnOnce(Clock) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.schedule_labelled(due, "a scheduled job", job)
    }

    /// [`Clock::schedule_at`] with a label naming the job in reports (e.g. `mock-okta push
    /// retry`).
    pub fn schedule_labelled<F, Fut>(
        &self,
        due: SystemTime,
        label: impl Into<String>,
        job: F,
    ) -> JobId
    where
        F: FnOnce(Clock) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let boxed: Job = Box::new(move |clock| Box::pin(job(clock)));
        let id = {
            let mut state = self.inner.state.lock();
            let seq = state.next_seq;
            state.next_seq += 1;
            state.queue.insert((due, seq), (label.into(), boxed));
            JobId(seq)
        };
        self.inner.wake.notify_one();
        id
    }

    /// Schedules `job` to run `delay` after now.
    pub fn schedule_in<F, Fut>(&self, delay: Duration, job: F) -> JobId
    where
        F: FnOnce(Clock) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let due = self.now() + delay;
        self.schedule_at(due, job)
    }

    /// Where the clock stands, for a snapshot: virtual time, or system mode's offset.
    pub fn position(&self) -> ClockPosition {
        let state = self.inner.state.lock();
        ClockPosition {
            now: self.now_locked(&state),
            offset: state.offset,
        }
    }

    /// Waits for a running advance (or driver pass) to finish and keeps jobs from running
    /// until the guard is dropped: what a snapshot holds while it reads every service.
    pub async fn hold(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.inner.runner.lock().await
    }

    /// Puts the clock back to a snapshot's [`ClockPosition`]: drops every pending job (their
    /// owners re-derive them from the state they restore: every scheduled job is derivable
    /// from core state) and sets virtual time (backwards too) or, in system mode, the offset
    /// past real time. Waits for a running advance to finish first.
    pub async fn restore(&self, position: ClockPosition) {
        let _running = self.inner.runner.lock().await;
        let mut state = self.inner.state.lock();
        state.queue.clear();
        match self.inner.mode {
            ClockMode::Virtual => state.virtual_now = position.now,
            ClockMode::System => state.offset = position.offset,
        }
        drop(state);
        self.inner.wake.notify_one();
    }

    /// Removes a job that has not run yet. Returns whether it was still pending.
    pub fn cancel(&self, id: JobId) -> bool {
        let mut state = self.inner.state.lock();
        let key = state.queue.keys().find(|(_, seq)| *seq == id.0).copied();
        key.and_then(|key| state.queue.remove(&key)).is_some()
    }

    /// How many jobs are waiting.
    pub fn pending_jobs(&self) -> usize {
        self.inner.state.lock().queue.len()
    }

    /// The jobs waiting, in the order they will run: when each is due and its label (what
    /// [`Clock::schedule_labelled`] was given; `a scheduled job` for unlabelled ones).
    pub fn pending(&self) -> Vec<(SystemTime, String)> {
        self.inner
            .state
            .lock()
            .queue
            .iter()
            .map(|((due, _), (label, _))| (*due, label.clone()))
            .collect()
    }

    /// When the next job is due, if any.
    pub fn next_due(&self) -> Option<SystemTime> {
        self.inner
            .state
            .lock()
            .queue
            .keys()
            .next()
            .map(|(due, _)| *due)
    }

    /// Sets how long `advance` waits for one job on the wall clock before leaving it to finish
    /// in the background and reporting it (default [`DEFAULT_JOB_WALL_LIMIT`]).
    pub fn set_job_wall_limit(&self, limit: Duration) {
        self.inner.state.lock().job_wall_limit = limit;
    }

    /// Records an incident on the wall clock (an outbound call of a job that timed out, say);
    /// the next [`Clock::advance_report`] returns it.
    pub fn report(&self, incident: impl Into<String>) {
        let incident = incident.into();
        tracing::warn!(%incident, "clock job incident");
        self.inner.state.lock().incidents.push(incident);
    }

    /// Jobs that outran the wall limit and are still running in the background.
    pub fn in_flight_jobs(&self) -> usize {
        self.inner.in_flight.load(Ordering::Acquire)
    }

    /// Moves the clock forward by `by` and runs every job due up to the new time, in due order,
    /// awaiting each. Returns the new time. Concurrent advances run one after the other.
    pub async fn advance(&self, by: Duration) -> SystemTime {
        self.advance_report(by)
            .await
            .now
            .unwrap_or_else(|| self.now())
    }

    /// [`Clock::advance`], returning what happened on the wall clock on the way: the jobs run,
    /// incidents reported since the last report, jobs left in flight (SIM-CLOCK-2).
    pub async fn advance_report(&self, by: Duration) -> AdvanceReport {
        let _running = self.inner.runner.lock().await;
        let target = {
            let mut state = self.inner.state.lock();
            match self.inner.mode {
                ClockMode::Virtual => state.virtual_now + by,
                ClockMode::System => {
                    state.offset += by;
                    self.now_locked(&state)
                }
            }
        };
        let jobs_run = self.run_due_until(target).await;
        let incidents = {
            let mut state = self.inner.state.lock();
            if self.inner.mode == ClockMode::Virtual {
                state.virtual_now = state.virtual_now.max(target);
            }
            std::mem::take(&mut state.incidents)
        };
        self.inner.wake.notify_one();
        AdvanceReport {
            now: Some(self.now()),
            jobs_run,
            incidents,
            in_flight_jobs: self.in_flight_jobs(),
        }
    }

    /// Runs the jobs due at or before `target`, one at a time, and returns how many ran. A job
    /// still running after the wall limit continues in the background, reported. The caller
    /// holds `runner`.
    async fn run_due_until(&self, target: SystemTime) -> usize {
        let mut ran = 0;
        loop {
            let job = {
                let mut state = self.inner.state.lock();
                match state.queue.first_key_value() {
                    Some((&(due, _), _)) if due <= target => {
                        if self.inner.mode == ClockMode::Virtual {
                            state.virtual_now = state.virtual_now.max(due);
                        }
                        state.queue.pop_first().map(|(_, job)| job)
                    }
                    _ => None,
                }
            };
            let Some((label, job)) = job else {
                return ran;
            };
            ran += 1;
            let limit = self.inner.state.lock().job_wall_limit;
            let mut running = job(self.clone());
            if tokio::time::timeout(limit, &mut running).await.is_err() {
                self.report(format!(
                    "{label} still running after {} of wall time; left in flight",
                    humantime::format_duration(limit)
                ));
                let in_flight = self.inner.in_flight.clone();
                in_flight.fetch_add(1, Ordering::AcqRel);
                tokio::spawn(async move {
                    running.await;
                    in_flight.fetch_sub(1, Ordering::AcqRel);
                });
            }
        }
    }

    /// In system mode, spawns (once) the task that fires jobs when real time reaches them.
    /// Does nothing in virtual mode. Must be called within a tokio runtime.
    pub fn start_driver(&self) {
        if self.inner.mode != ClockMode::System {
            return;
        }
        {
            let mut state = self.inner.state.lock();
            if state.driver_started {
                return;
            }
            state.driver_started = true;
        }
        let weak = Arc::downgrade(&self.inner);
        let wake = self.inner.wake.clone();
        tokio::spawn(drive(weak, wake));
    }
}

/// The system-mode driver: sleeps until the next job is due (or something changes), runs due
/// jobs, and ends when the clock is dropped.
async fn drive(weak: Weak<Inner>, wake: Arc<Notify>) {
    loop {
        let notified = wake.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let wait = {
            let Some(inner) = weak.upgrade() else { return };
            let clock = Clock { inner };
            let now = clock.now();
            match clock.next_due() {
                Some(due) if due <= now => {
                    let _running = clock.inner.runner.lock().await;
                    clock.run_due_until(clock.now()).await;
                    continue;
                }
                Some(due) => Some(due.duration_since(now).unwrap_or_default()),
                None => None,
            }
        };
        match wait {
            Some(wait) => {
                tokio::select! {
                    _ = &mut notified => {}
                    _ = tokio::time::sleep(wait) => {}
                }
            }
            None => notified.await,
        }
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clock")
            .field("mode", &self.mode())
            .field("now", &humantime::format_rfc3339_millis(self.now()))
            .field("pending_jobs", &self.pending_jobs())
            .finish()
    }
}

/// Seconds since the Unix epoch (0 for times before it).
pub fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The civil date (year, month 1–12, day 1–31) of a time, in UTC.
pub fn civil_date(t: SystemTime) -> (i64, u32, u32) {
    // Howard Hinnant's days-to-civil algorithm.
    let z = (unix_secs(t) / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Midnight UTC at the start of a civil date (the inverse of [`civil_date`]).
pub fn from_civil_date(year: i64, month: u32, day: u32) -> SystemTime {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    SystemTime::UNIX_EPOCH + Duration::from_secs(days.max(0) as u64 * 86_400)
}

/// Parses a duration as the CLI and the `/_sim/clock/advance` route take it: humantime's
/// format (`90s`, `1h 30m`, `24h`, `7days`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim())
        .map_err(|e| format!("`{text}` is not a duration like `90s`, `1h 30m` or `24h`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    type Log = Arc<Mutex<Vec<(String, SystemTime)>>>;

    fn record(log: &Log, name: &str) -> impl FnOnce(Clock) -> std::future::Ready<()> + use<> {
        let log = log.clone();
        let name = name.to_string();
        move |clock: Clock| {
            log.lock().push((name, clock.now()));
            std::future::ready(())
        }
    }

    fn at(secs: u64) -> SystemTime {
        fixed_epoch() + Duration::from_secs(secs)
    }

    #[test]
    fn virtual_clock_starts_at_the_documented_epoch_and_stands_still() {
        let clock = Clock::new_virtual();
        assert_eq!(
            humantime::format_rfc3339_seconds(clock.now()).to_string(),
            "2026-01-01T00:00:00Z"
        );
        assert_eq!(clock.now(), clock.now());
        assert_eq!(clock.mode(), ClockMode::Virtual);
    }

    #[tokio::test]
    async fn pending_jobs_are_listed_in_run_order_with_their_labels() {
        let clock = Clock::new_virtual();
        let log: Log = Arc::default();
        clock.schedule_labelled(at(600), "domain check", record(&log, "d"));
        clock.schedule_labelled(at(60), "seat for ada@example.com", record(&log, "s"));
        clock.schedule_at(at(60), record(&log, "x"));
        assert_eq!(
            clock.pending(),
            vec![
                (at(60), "seat for ada@example.com".to_string()),
                (at(60), "a scheduled job".to_string()),
                (at(600), "domain check".to_string()),
            ]
        );
        clock.advance(Duration::from_secs(60)).await;
        assert_eq!(clock.pending(), vec![(at(600), "domain check".to_string())]);
    }

    #[tokio::test]
    async fn jobs_run_in_due_order_each_seeing_its_due_time() {
        let clock = Clock::new_virtual();
        let log: Log = Arc::default();
        clock.schedule_in(Duration::from_secs(30), record(&log, "c"));
        clock.schedule_in(Duration::from_secs(10), record(&log, "a"));
        clock.schedule_in(Duration::from_secs(20), record(&log, "b"));
        // Same due time as "a": runs after it, in scheduling order.
        clock.schedule_in(Duration::from_secs(10), record(&log, "a2"));
        clock.schedule_in(Duration::from_secs(100), record(&log, "later"));

        let now = clock.advance(Duration::from_secs(50)).await;

        assert_eq!(now, at(50));
        assert_eq!(
            *log.lock(),
            vec![
                ("a".to_string(), at(10)),
                ("a2".to_string(), at(10)),
                ("b".to_string(), at(20)),
                ("c".to_string(), at(30)),
            ]
        );
        assert_eq!(clock.pending_jobs(), 1);
        assert_eq!(clock.next_due(), Some(at(100)));
    }

    #[tokio::test]
    async fn jobs_scheduled_by_jobs_run_within_the_same_advance() {
        let clock = Clock::new_virtual();
        let log: Log = Arc::default();
        let inner_log = log.clone();
        clock.schedule_in(Duration::from_secs(10), move |clock: Clock| async move {
            inner_log.lock().push(("parent".into(), clock.now()));
            // A retry chain: each job schedules the next 10 s later, 5 times in all.
            fn chain(clock: &Clock, log: Log, left: u32) {
                if left == 0 {
                    return;
                }
                clock.schedule_in(Duration::from_secs(10), move |clock: Clock| async move {
                    log.lock().push((format!("child{left}"), clock.now()));
                    chain(&clock, log, left - 1);
                });
            }
            chain(&clock, inner_log, 5);
        });

        clock.advance(Duration::from_secs(45)).await;
        let names: Vec<_> = log.lock().iter().map(|(n, t)| (n.clone(), *t)).collect();
        assert_eq!(
            names,
            vec![
                ("parent".to_string(), at(10)),
                ("child5".to_string(), at(20)),
                ("child4".to_string(), at(30)),
                ("child3".to_string(), at(40)),
            ]
        );
        // The chain goes on at the next advance, not before.
        assert_eq!(clock.next_due(), Some(at(50)));
        clock.advance(Duration::from_secs(1000)).await;
        assert_eq!(log.lock().len(), 6);
        assert_eq!(clock.pending_jobs(), 0);
    }

    #[tokio::test]
    async fn advance_across_many_jobs_runs_each_once_in_order() {
        let clock = Clock::new_virtual();
        let seen = Arc::new(Mutex::new(Vec::new()));
        // Scheduled in a scrambled order; due times 1..=10_000 seconds.
        for i in 0..10_000u64 {
            let due = (i * 7_919) % 10_000 + 1;
            let seen = seen.clone();
            clock.schedule_in(Duration::from_secs(due), move |clock: Clock| {
                seen.lock().push((due, clock.now()));
                std::future::ready(())
            });
        }
        clock.advance(Duration::from_secs(20_000)).await;
        let seen = seen.lock();
        assert_eq!(seen.len(), 10_000);
        for (i, (due, now)) in seen.iter().enumerate() {
            assert_eq!(*due, i as u64 + 1);
            assert_eq!(*now, at(*due));
        }
        assert_eq!(clock.now(), at(20_000));
    }

    #[tokio::test]
    async fn a_job_scheduled_in_the_past_runs_at_the_next_advance_without_moving_time_back() {
        let clock = Clock::new_virtual();
        clock.advance(Duration::from_secs(100)).await;
        let log: Log = Arc::default();
        clock.schedule_at(at(5), record(&log, "late"));
        clock.advance(Duration::ZERO).await;
        assert_eq!(*log.lock(), vec![("late".to_string(), at(100))]);
        assert_eq!(clock.now(), at(100));
    }

    #[tokio::test]
    async fn restore_drops_pending_jobs_and_moves_virtual_time_back() {
        let clock = Clock::new_virtual();
        let log: Log = Arc::default();
        clock.advance(Duration::from_secs(100)).await;
        clock.schedule_in(Duration::from_secs(10), record(&log, "dropped"));
        clock
            .restore(ClockPosition {
                now: at(40),
                offset: Duration::ZERO,
            })
            .await;
        assert_eq!(clock.now(), at(40));
        assert_eq!(clock.pending_jobs(), 0);
        clock.schedule_in(Duration::from_secs(5), record(&log, "kept"));
        clock.advance(Duration::from_secs(100)).await;
        assert_eq!(*log.lock(), vec![("kept".to_string(), at(45))]);
    }

    #[tokio::test]
    async fn cancelled_jobs_do_not_run() {
        let clock = Clock::new_virtual();
        let log: Log = Arc::default();
        let id = clock.schedule_in(Duration::from_secs(1), record(&log, "x"));
        clock.schedule_in(Duration::from_secs(2), record(&log, "y"));
        assert!(clock.cancel(id));
        assert!(!clock.cancel(id));
        clock.advance(Duration::from_secs(5)).await;
        assert_eq!(*log.lock(), vec![("y".to_string(), at(2))]);
    }

    #[tokio::test]
    async fn clones_share_one_clock() {
        let a = Clock::new_virtual();
        let b = a.clone();
        b.advance(Duration::from_secs(3600)).await;
        assert_eq!(a.now(), at(3600));
    }

    #[tokio::test]
    async fn system_clock_fires_jobs_on_real_time_and_advance_adds_an_offset() {
        // System mode is the one place real time is the point: a job 20 ms out fires by itself.
        let clock = Clock::system();
        clock.start_driver();
        let (tx, rx) = tokio::sync::oneshot::channel();
        clock.schedule_in(Duration::from_millis(20), move |_| async move {
            let _ = tx.send(());
        });
        tokio::time::timeout(Duration::from_secs(5), rx)
            .await
            .expect("job fired")
            .expect("sender kept");

        let before = clock.now();
        let after = clock.advance(Duration::from_secs(86_400)).await;
        assert!(after.duration_since(before).expect("forward") >= Duration::from_secs(86_400));
    }

    /// SIM-CLOCK-2: a job that does not finish within the wall limit no longer holds the
    /// advance; the advance reports it as in flight, and the job still completes afterwards.
    #[tokio::test]
    async fn a_job_outrunning_the_wall_limit_is_reported_and_left_in_flight() {
        let clock = Clock::new_virtual();
        clock.set_job_wall_limit(Duration::from_millis(50));
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let (done_tx, done) = tokio::sync::oneshot::channel::<()>();
        clock.schedule_labelled(at(10), "a hanging push", move |_| async move {
            let _ = released.await;
            let _ = done_tx.send(());
        });
        let log: Log = Arc::default();
        clock.schedule_at(at(20), record(&log, "after"));
        let report = tokio::time::timeout(
            Duration::from_secs(5),
            clock.advance_report(Duration::from_secs(60)),
        )
        .await
        .expect("the advance does not wait for the hanging job");
        assert_eq!(report.now, Some(at(60)));
        assert_eq!(report.jobs_run, 2);
        assert_eq!(report.in_flight_jobs, 1);
        assert_eq!(report.incidents.len(), 1, "{:?}", report.incidents);
        assert!(report.incidents[0].starts_with("a hanging push still running after 50ms"));
        assert_eq!(*log.lock(), vec![("after".to_string(), at(20))]);

        release.send(()).expect("the job waits");
        tokio::time::timeout(Duration::from_secs(5), done)
            .await
            .expect("the job finishes")
            .expect("sender kept");
        for _ in 0..100 {
            if clock.in_flight_jobs() == 0 {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(clock.in_flight_jobs(), 0);
        let next = clock.advance_report(Duration::ZERO).await;
        assert!(next.incidents.is_empty(), "incidents are reported once");
    }

    /// SIM-CLOCK-2: what jobs report goes to the next advance report, once.
    #[tokio::test]
    async fn incidents_reported_by_jobs_come_back_from_the_advance() {
        let clock = Clock::new_virtual();
        clock.schedule_in(Duration::from_secs(1), |clock: Clock| async move {
            clock.report("POST http://127.0.0.1:9/Users timed out after 2s");
        });
        let report = clock.advance_report(Duration::from_secs(2)).await;
        assert_eq!(
            report.incidents,
            vec!["POST http://127.0.0.1:9/Users timed out after 2s".to_string()]
        );
        assert_eq!(report.in_flight_jobs, 0);
        assert!(
            clock
                .advance_report(Duration::ZERO)
                .await
                .incidents
                .is_empty()
        );
    }

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(civil_date(fixed_epoch()), (2026, 1, 1));
        assert_eq!(civil_date(at(59 * 86_400 + 3_723)), (2026, 3, 1));
        assert_eq!(from_civil_date(2026, 3, 1), at(59 * 86_400));
        assert_eq!(from_civil_date(2027, 1, 1), at(365 * 86_400));
        assert_eq!(unix_secs(fixed_epoch()), FIXED_EPOCH_UNIX_SECS);
    }

    #[test]
    fn durations_parse_in_humantime_format() {
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5_400)));
        assert!(parse_duration("soon").is_err());
        assert_eq!("virtual".parse::<ClockMode>(), Ok(ClockMode::Virtual));
        assert!("wall".parse::<ClockMode>().is_err());
    }
}
