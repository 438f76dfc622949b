//! The System Log (BEHAVIOURS.md OKTA-API-4): every admin change, sign-in, token grant and
//! refusal, as events in Okta's LogEvent shape (the wire layer renders them).

use std::sync::Arc;
use std::time::SystemTime;

use sim_core::ids;
use sim_core::seed::SimRng;

/// Who did it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Actor {
    /// Okta id, or a fixed id for the API token.
    pub id: String,
    /// `User`, `PublicClientApp`, `SystemPrincipal`.
    pub kind: String,
    /// Login or name.
    pub alternate_id: String,
    /// Display name.
    pub display_name: String,
}

impl Actor {
    /// The admin behind the API token.
    pub fn admin() -> Actor {
        Actor {
            id: "00uadmin0000000000000".into(),
            kind: "User".into(),
            alternate_id: "admin@kiro-sim.test".into(),
            display_name: "kiro-sim Admin".into(),
        }
    }

    /// A user acting for themselves.
    pub fn user(id: &str, login: &str, name: &str) -> Actor {
        Actor {
            id: id.into(),
            kind: "User".into(),
            alternate_id: login.into(),
            display_name: name.into(),
        }
    }

    /// An OAuth client acting (token grants).
    pub fn client(client_id: &str, label: &str) -> Actor {
        Actor {
            id: client_id.into(),
            kind: "PublicClientApp".into(),
            alternate_id: client_id.into(),
            display_name: label.into(),
        }
    }

    /// Okta itself (push jobs, expiries).
    pub fn system() -> Actor {
        Actor {
            id: "0oa1system0000000000".into(),
            kind: "SystemPrincipal".into(),
            alternate_id: "system@okta.com".into(),
            display_name: "Okta System".into(),
        }
    }
}

/// What it was done to.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Target {
    /// Id.
    pub id: String,
    /// `User`, `UserGroup`, `AppInstance`, `AuthorizationServer`, `access_token`, …
    pub kind: String,
    /// Display name.
    pub display_name: String,
}

impl Target {
    /// A target.
    pub fn new(id: &str, kind: &str, display_name: &str) -> Target {
        Target {
            id: id.into(),
            kind: kind.into(),
            display_name: display_name.into(),
        }
    }
}

/// Success or failure, with Okta's reason text.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    /// `SUCCESS`, `FAILURE`, `DENY`, `CHALLENGE`.
    pub result: &'static str,
    /// Why, for anything but success.
    pub reason: Option<String>,
}

impl Outcome {
    /// SUCCESS.
    pub fn success() -> Outcome {
        Outcome {
            result: "SUCCESS",
            reason: None,
        }
    }

    /// FAILURE with a reason.
    pub fn failure(reason: impl Into<String>) -> Outcome {
        Outcome {
            result: "FAILURE",
            reason: Some(reason.into()),
        }
    }
}

/// One System Log event.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Event {
    /// The event's UUID.
    pub uuid: String,
    /// When it happened (world time).
    pub published: SystemTime,
    /// E.g. `user.lifecycle.create`.
    pub event_type: String,
    /// Human-readable message.
    pub display_message: String,
    /// Who.
    pub actor: Actor,
    /// What.
    pub targets: Vec<Target>,
    /// How it went.
    pub outcome: Outcome,
    /// `INFO` or `WARN`.
    pub severity: &'static str,
}

/// The org's System Log, in publication order.
#[derive(Debug)]
pub struct SystemLog {
    ids: SimRng,
    /// Shared with the checkpoints read back from this log's documents (see
    /// [`SystemLog::known_start`]).
    events: Vec<Arc<Event>>,
    /// The JSON form of the first events, made when a state document first held them: events
    /// never change once recorded, so a document (a persistent world's snapshot, every few
    /// hundred milliseconds of requests while it grows) serialises only the events new since
    /// the last one, where the log is most of an org's bytes. A cache, not state; costs
    /// about the log's size again in memory once exported.
    written: std::sync::Mutex<Vec<Box<serde_json::value::RawValue>>>,
    /// Read from a document, its events not parsed yet (only `written` holds them).
    unparsed: bool,
}

/// Reads a document's log as raw JSON events only (a quick scan); [`SystemLog::parse_read`]
/// parses them, which a state import does before anything else looks at the log.
impl<'de> serde::Deserialize<'de> for SystemLog {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Raw {
            ids: SimRng,
            events: Vec<Box<serde_json::value::RawValue>>,
        }
        let Raw { ids, events } = Raw::deserialize(deserializer)?;
        Ok(SystemLog {
            ids,
            events: Vec::new(),
            written: std::sync::Mutex::new(events),
            unparsed: true,
        })
    }
}

/// Parses raw events (the `first`th onwards), split between the machine's cores when there
/// are many: the log is most of a large org's document, and a restore waits for it.
fn parse_events(
    first: usize,
    raw: &[Box<serde_json::value::RawValue>],
) -> Result<Vec<Arc<Event>>, String> {
    let parse = |from: usize, chunk: &[Box<serde_json::value::RawValue>]| {
        chunk
            .iter()
            .enumerate()
            .map(|(i, event)| {
                serde_json::from_str::<Event>(event.get())
                    .map(Arc::new)
                    .map_err(|e| format!("System Log event {}: {e}", from + i))
            })
            .collect::<Result<Vec<Arc<Event>>, String>>()
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, 4);
    if threads == 1 || raw.len() < 4096 {
        return parse(first, raw);
    }
    let size = raw.len().div_ceil(threads);
    let parts: Vec<Result<Vec<Arc<Event>>, String>> = std::thread::scope(|scope| {
        let running: Vec<_> = raw
            .chunks(size)
            .enumerate()
            .map(|(n, chunk)| scope.spawn(move || parse(first + n * size, chunk)))
            .collect();
        running
            .into_iter()
            .map(|t| t.join().unwrap_or_else(|_| Err("parsing panicked".into())))
            .collect()
    });
    let mut events = Vec::with_capacity(raw.len());
    for part in parts {
        events.extend(part?);
    }
    Ok(events)
}

impl serde::Serialize for SystemLog {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeStruct};
        // Only ever pushed to under the org's lock; a panic mid-push leaves whole entries.
        let mut written = self
            .written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while let Some(event) = self.events.get(written.len()) {
            written
                .push(serde_json::value::to_raw_value(event.as_ref()).map_err(S::Error::custom)?);
        }
        let mut log = serializer.serialize_struct("SystemLog", 2)?;
        log.serialize_field("ids", &self.ids)?;
        log.serialize_field("events", &*written)?;
        log.end()
    }
}

impl SystemLog {
    pub(crate) fn new(ids: SimRng) -> SystemLog {
        SystemLog {
            ids,
            events: Vec::new(),
            written: Default::default(),
            unparsed: false,
        }
    }

    /// The events of the longest start of this log, as a document read it, that `known` (a
    /// log in use, whose events were exported since they were recorded) holds with the very
    /// same JSON: a restore to a checkpoint of the same world shares those instead of parsing
    /// them again (events never change once recorded).
    pub(crate) fn known_start(&self, known: &SystemLog) -> Vec<Arc<Event>> {
        if !self.unparsed || known.unparsed {
            return Vec::new();
        }
        let mine = self
            .written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let theirs = known
            .written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        mine.iter()
            .zip(theirs.iter())
            .zip(known.events.iter())
            .take_while(|((a, b), _)| a.get() == b.get())
            .map(|(_, event)| Arc::clone(event))
            .collect()
    }

    /// Parses the events a document held ([`Deserialize`](serde::Deserialize) only scans
    /// them), after `start` (from [`SystemLog::known_start`], or empty). Errors name the
    /// event.
    pub(crate) fn parse_read(&mut self, start: Vec<Arc<Event>>) -> Result<(), String> {
        if !self.unparsed {
            return Ok(());
        }
        let raw = self
            .written
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let first = start.len().min(raw.len());
        let mut events = start;
        events.truncate(first);
        events.extend(parse_events(first, &raw[first..])?);
        self.events = events;
        self.unparsed = false;
        Ok(())
    }

    /// Appends an event.
    pub fn record(
        &mut self,
        now: SystemTime,
        event_type: &str,
        display_message: &str,
        actor: Actor,
        targets: Vec<Target>,
        outcome: Outcome,
    ) {
        debug_assert!(!self.unparsed, "a read log is parsed before it is used");
        let severity = if outcome.result == "SUCCESS" {
            "INFO"
        } else {
            "WARN"
        };
        self.events.push(Arc::new(Event {
            uuid: ids::uuid_v4(&mut self.ids),
            published: now,
            event_type: event_type.into(),
            display_message: display_message.into(),
            actor,
            targets,
            outcome,
            severity,
        }));
    }

    /// All events, oldest first.
    pub fn events(&self) -> &[Arc<Event>] {
        &self.events
    }
}

/// One of `known`, as the static string the log keeps (a state import).
fn one_of(text: &str, known: &[&'static str]) -> Result<&'static str, String> {
    known
        .iter()
        .find(|k| **k == text)
        .copied()
        .ok_or_else(|| format!("`{text}` is not one of {}", known.join(", ")))
}

/// [`Outcome`] as a state document has it.
#[derive(serde::Deserialize)]
struct OutcomeData {
    result: String,
    reason: Option<String>,
}

impl TryFrom<OutcomeData> for Outcome {
    type Error = String;

    fn try_from(data: OutcomeData) -> Result<Self, Self::Error> {
        Ok(Outcome {
            result: one_of(&data.result, &["SUCCESS", "FAILURE", "DENY", "CHALLENGE"])?,
            reason: data.reason,
        })
    }
}

/// [`Event`] as a state document has it.
#[derive(serde::Deserialize)]
struct EventData {
    uuid: String,
    published: SystemTime,
    event_type: String,
    display_message: String,
    actor: Actor,
    targets: Vec<Target>,
    outcome: Outcome,
    severity: String,
}

impl TryFrom<EventData> for Event {
    type Error = String;

    fn try_from(data: EventData) -> Result<Self, Self::Error> {
        Ok(Event {
            uuid: data.uuid,
            published: data.published,
            event_type: data.event_type,
            display_message: data.display_message,
            actor: data.actor,
            targets: data.targets,
            outcome: data.outcome,
            severity: one_of(&data.severity, &["INFO", "WARN", "DEBUG", "ERROR"])?,
        })
    }
}

impl<'de> serde::Deserialize<'de> for Outcome {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Outcome::try_from(OutcomeData::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

impl<'de> serde::Deserialize<'de> for Event {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Event::try_from(EventData::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use serde_json::Value;

    use super::*;

    fn record(log: &mut SystemLog, n: u64) {
        log.record(
            SystemTime::UNIX_EPOCH + Duration::from_secs(n),
            "user.lifecycle.create",
            &format!("Create Okta user \"{n}\""),
            Actor::admin(),
            vec![Target::new(&format!("00u{n}"), "User", "A \"quoted\" name")],
            if n.is_multiple_of(2) {
                Outcome::success()
            } else {
                Outcome::failure("no")
            },
        );
    }

    #[test]
    fn a_document_holds_every_event_however_many_were_serialised_before() {
        let mut log = SystemLog::new(sim_core::seed::Seed(7).stream("log"));
        for n in 0..3 {
            record(&mut log, n);
        }
        let first = serde_json::to_value(&log).expect("first");
        for n in 3..5 {
            record(&mut log, n);
        }
        let second = serde_json::to_string(&log).expect("second");
        let events: Vec<Value> = log
            .events()
            .iter()
            .map(|e| serde_json::to_value(e.as_ref()).expect("event"))
            .collect();
        let second: Value = serde_json::from_str(&second).expect("json");
        assert_eq!(first["events"].as_array().map(Vec::len), Some(3));
        assert_eq!(second["events"], Value::Array(events));
        let mut back: SystemLog = serde_json::from_value(second.clone()).expect("reads back");
        back.parse_read(Vec::new()).expect("parses");
        assert_eq!(back.events(), log.events());
        assert_eq!(serde_json::to_value(&back).expect("again"), second);
    }

    #[test]
    fn a_large_log_reads_back_in_order_and_a_bad_event_is_named() {
        let mut log = SystemLog::new(sim_core::seed::Seed(7).stream("log"));
        for n in 0..5000 {
            record(&mut log, n);
        }
        let mut json = serde_json::to_value(&log).expect("json");
        let mut back: SystemLog = serde_json::from_value(json.clone()).expect("reads back");
        back.parse_read(Vec::new()).expect("parses");
        assert_eq!(back.events(), log.events());
        json["events"][4321]["published"] = Value::from("yesterday");
        let mut bad: SystemLog = serde_json::from_value(json).expect("scans");
        let refused = bad.parse_read(Vec::new()).err();
        assert!(
            refused
                .as_deref()
                .is_some_and(|e| e.starts_with("System Log event 4321:")),
            "{refused:?}"
        );
    }

    #[test]
    fn a_read_log_takes_the_start_a_log_in_use_holds_and_parses_the_rest() {
        let mut log = SystemLog::new(sim_core::seed::Seed(7).stream("log"));
        for n in 0..10 {
            record(&mut log, n);
        }
        let checkpoint = serde_json::to_value(&log).expect("checkpoint");
        // The world goes on; a checkpoint of it is a start of its log.
        for n in 10..15 {
            record(&mut log, n);
        }
        let _ = serde_json::to_vec(&log).expect("a snapshot since");
        let mut read: SystemLog = serde_json::from_value(checkpoint.clone()).expect("scans");
        assert_eq!(read.known_start(&log).len(), 10);
        // A changed event ends the shared start there.
        let mut changed = checkpoint;
        changed["events"][4]["display_message"] = Value::from("changed");
        let mut other: SystemLog = serde_json::from_value(changed).expect("scans");
        let start = other.known_start(&log);
        assert_eq!(start.len(), 4);
        other.parse_read(start).expect("parses");
        assert_eq!(other.events()[..4], log.events()[..4]);
        assert_eq!(other.events()[4].display_message, "changed");
        assert_eq!(other.events()[5..], log.events()[5..10]);
        let start = read.known_start(&log);
        read.parse_read(start).expect("parses");
        assert_eq!(read.events(), &log.events()[..10]);
    }
}
