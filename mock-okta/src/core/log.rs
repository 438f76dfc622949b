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
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct SystemLog {
    ids: SimRng,
    events: Vec<Event>,
}

impl SystemLog {
    pub(crate) fn new(ids: SimRng) -> SystemLog {
        SystemLog {
            ids,
            events: Vec::new(),
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
