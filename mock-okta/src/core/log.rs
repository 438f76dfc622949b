//! The System Log (BEHAVIOURS.md OKTA-API-4): every admin change, sign-in, token grant and
//! refusal, as events in Okta's LogEvent shape (the wire layer renders them).

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
    events: Vec<Event>,
    /// The JSON form of the first events, made when a state document first held them: events
    /// never change once recorded, so a document (a persistent world's snapshot, every few
    /// hundred milliseconds of requests while it grows) serialises only the events new since
    /// the last one, where the log is most of an org's bytes. A cache, not state; costs
    /// about the log's size again in memory once exported.
    written: std::sync::Mutex<Vec<Box<serde_json::value::RawValue>>>,
}

/// Reads a document's log in two passes: the events as raw JSON (a quick scan), then each
/// event parsed, the list split between the machine's cores (the log is most of a large org's
/// document, and a restore waits for it). The raw events become the serialisation cache.
impl<'de> serde::Deserialize<'de> for SystemLog {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        #[derive(serde::Deserialize)]
        struct Raw {
            ids: SimRng,
            events: Vec<Box<serde_json::value::RawValue>>,
        }
        let Raw { ids, events: raw } = Raw::deserialize(deserializer)?;
        let parse = |first: usize, chunk: &[Box<serde_json::value::RawValue>]| {
            chunk
                .iter()
                .enumerate()
                .map(|(i, event)| {
                    serde_json::from_str::<Event>(event.get())
                        .map_err(|e| format!("System Log event {}: {e}", first + i))
                })
                .collect::<Result<Vec<Event>, String>>()
        };
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .clamp(1, 4);
        let events = if threads == 1 || raw.len() < 4096 {
            parse(0, &raw).map_err(D::Error::custom)?
        } else {
            let size = raw.len().div_ceil(threads);
            let parts: Vec<Result<Vec<Event>, String>> = std::thread::scope(|scope| {
                let running: Vec<_> = raw
                    .chunks(size)
                    .enumerate()
                    .map(|(n, chunk)| scope.spawn(move || parse(n * size, chunk)))
                    .collect();
                running
                    .into_iter()
                    .map(|t| t.join().unwrap_or_else(|_| Err("parsing panicked".into())))
                    .collect()
            });
            let mut events = Vec::with_capacity(raw.len());
            for part in parts {
                events.extend(part.map_err(D::Error::custom)?);
            }
            events
        };
        Ok(SystemLog {
            ids,
            events,
            written: std::sync::Mutex::new(raw),
        })
    }
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
            written.push(serde_json::value::to_raw_value(event).map_err(S::Error::custom)?);
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
        }
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
        let severity = if outcome.result == "SUCCESS" {
            "INFO"
        } else {
            "WARN"
        };
        self.events.push(Event {
            uuid: ids::uuid_v4(&mut self.ids),
            published: now,
            event_type: event_type.into(),
            display_message: display_message.into(),
            actor,
            targets,
            outcome,
            severity,
        });
    }

    /// All events, oldest first.
    pub fn events(&self) -> &[Event] {
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
            .map(|e| serde_json::to_value(e).expect("event"))
            .collect();
        let second: Value = serde_json::from_str(&second).expect("json");
        assert_eq!(first["events"].as_array().map(Vec::len), Some(3));
        assert_eq!(second["events"], Value::Array(events));
        let back: SystemLog = serde_json::from_value(second.clone()).expect("reads back");
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
        let back: SystemLog = serde_json::from_value(json.clone()).expect("reads back");
        assert_eq!(back.events(), log.events());
        json["events"][4321]["published"] = Value::from("yesterday");
        let refused = serde_json::from_value::<SystemLog>(json)
            .err()
            .map(|e| e.to_string());
        assert!(
            refused
                .as_deref()
                .is_some_and(|e| e.starts_with("System Log event 4321:")),
            "{refused:?}"
        );
    }
}
