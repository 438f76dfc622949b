//! A service's event feed for the sandbox's timeline: a bounded ring of the last
//! [`CAPACITY`] [`Event`]s (what reached the service and what it answered), which a service
//! serves as JSON under its own `/_sim/…` namespace (`/_sim/kiro/events`, `/_sim/dns/events`).
//! The shape is shared so the sandbox and the scenario runner read every feed alike.

use std::collections::VecDeque;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

/// How many events a feed keeps (the oldest are dropped first).
pub const CAPACITY: usize = 10_000;

/// One event of a feed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Position in the feed, from 1 (pass the last one seen as `?after=` to get only newer).
    pub seq: u64,
    /// World time, RFC 3339 with milliseconds.
    pub at: String,
    /// What kind of event (each service names its own: `scim_call`, `record_change`, …).
    pub kind: String,
    /// The user it is about, when there is one.
    pub user: Option<String>,
    /// One line for people.
    pub summary: String,
    /// `SUCCESS` or `FAILURE`.
    pub outcome: String,
    /// Why, for a failure, or what was found.
    pub reason: Option<String>,
}

/// The ring of a service's recent events.
#[derive(Debug, Default)]
pub struct Events {
    ring: parking_lot::Mutex<(u64, VecDeque<Event>)>,
}

impl Events {
    /// Appends a successful event at `now`, or a failed one when `failure` gives the reason.
    pub fn record(
        &self,
        now: SystemTime,
        kind: &str,
        user: Option<String>,
        summary: String,
        failure: Option<String>,
    ) {
        self.push(now, kind, user, summary, failure.is_none(), failure);
    }

    /// Appends an event with its outcome and reason.
    pub fn push(
        &self,
        now: SystemTime,
        kind: &str,
        user: Option<String>,
        summary: String,
        success: bool,
        reason: Option<String>,
    ) {
        let mut ring = self.ring.lock();
        ring.0 += 1;
        let event = Event {
            seq: ring.0,
            at: humantime::format_rfc3339_millis(now).to_string(),
            kind: kind.to_string(),
            user,
            summary,
            outcome: if success { "SUCCESS" } else { "FAILURE" }.to_string(),
            reason,
        };
        if ring.1.len() >= CAPACITY {
            ring.1.pop_front();
        }
        ring.1.push_back(event);
    }

    /// Events after `after` (a `seq`), oldest first.
    pub fn since(&self, after: u64) -> Vec<Event> {
        self.ring
            .lock()
            .1
            .iter()
            .filter(|e| e.seq > after)
            .cloned()
            .collect()
    }

    /// The feed as served: `{"capacity": N, "events": [...]}`, oldest first.
    pub fn json(&self, after: u64) -> serde_json::Value {
        serde_json::json!({ "capacity": CAPACITY, "events": self.since(after) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_keeps_the_newest_and_numbers_them() {
        let events = Events::default();
        let now = crate::clock::fixed_epoch();
        for i in 0..CAPACITY + 5 {
            events.record(now, "k", None, format!("e{i}"), None);
        }
        let all = events.since(0);
        assert_eq!(all.len(), CAPACITY);
        assert_eq!(all[0].seq, 6);
        assert_eq!(all[0].summary, "e5");
        assert_eq!(events.since(CAPACITY as u64 + 3).len(), 2);
        events.record(now, "k", None, "bad".into(), Some("why".into()));
        let last = events.since(CAPACITY as u64 + 5);
        assert_eq!(
            (last[0].outcome.as_str(), last[0].reason.as_deref()),
            ("FAILURE", Some("why"))
        );
    }
}
