//! The timeline across the systems (SIM-TIME-*): what happened in Okta and in Kiro, newest
//! first, gathered over the services' own protocols:
//!
//! - Okta's System Log (`GET {okta}/api/v1/logs`, SSWS): sign-ins, token grants and refusals
//!   with their reason, admin changes, and each SCIM push Okta made (`application.provision.*`);
//! - Kiro's event feed (`GET {kiro}/_sim/kiro/events`, [`mock_kiro::events::KiroEvent`]): each
//!   SCIM call received and the status answered, console changes, refused runtime calls with
//!   the reason, seat grants after the sync delay, domain checks and the TXT found;
//! - mock-dns's event feed (`GET {dns_api}/_sim/dns/events`): record changes made through the
//!   provider API, when DNS answers them, and their publication after the propagation delay.
//!
//! [`gather`] reads both (with the URLs and tokens of a ready line), [`filter`] keeps one
//! user's or one system's entries; the sandbox serves the result at `/_sim/timeline` and on
//! its home page, and the scenario runner prints the last entries of a failing scenario.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// How many Okta System Log events one gathering reads (the newest; Okta's page maximum).
pub const OKTA_EVENTS: usize = 1000;

/// One entry of the timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// World time, RFC 3339.
    pub at: String,
    /// `okta`, `kiro` or `dns`.
    pub system: String,
    /// Okta's `eventType`, or the Kiro event's kind (`scim_call`, `seat_granted`, …).
    pub kind: String,
    /// The user it is about (login / `userName`), when there is one.
    pub user: Option<String>,
    /// One line for people.
    pub summary: String,
    /// `SUCCESS` or `FAILURE`.
    pub outcome: String,
    /// Why (a refusal's reason), or what was found.
    pub reason: Option<String>,
}

impl Entry {
    /// The entry as one line: `[at] system kind: summary (outcome: reason)`.
    pub fn line(&self) -> String {
        let mut line = format!("[{}] {} {}", self.at, self.system, self.summary);
        if self.outcome != "SUCCESS" {
            line.push_str(&format!(" ({}", self.outcome));
            if let Some(reason) = &self.reason {
                line.push_str(&format!(": {reason}"));
            }
            line.push(')');
        } else if let Some(reason) = &self.reason {
            line.push_str(&format!(" ({reason})"));
        }
        line
    }
}

/// Which entries to keep.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Query {
    /// Only entries about this user (case-insensitive; a bare `ada` or `ada@` matches
    /// `ada@example.com`).
    pub user: Option<String>,
    /// Only entries of this system (`okta`, `kiro` or `dns`).
    pub system: Option<String>,
    /// At most this many (newest first).
    pub limit: Option<usize>,
}

/// Why the timeline could not be gathered.
#[derive(Debug, thiserror::Error)]
pub enum TimelineError {
    /// A request to a service failed.
    #[error("reading {what}: {message}")]
    Read {
        /// What was read.
        what: &'static str,
        /// Why it failed.
        message: String,
    },
    /// A needed field is missing from the ready fields.
    #[error("the ready fields have no `{0}`")]
    Field(&'static str),
}

/// The systems the timeline spans.
pub const SYSTEMS: [&str; 3] = ["okta", "kiro", "dns"];

/// Keeps the entries `query` asks for (the input newest first; so is the output).
pub fn filter(entries: Vec<Entry>, query: &Query) -> Vec<Entry> {
    let user = query
        .user
        .as_deref()
        .map(|u| u.trim().to_ascii_lowercase())
        .filter(|u| !u.is_empty());
    let system = query
        .system
        .as_deref()
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty());
    entries
        .into_iter()
        .filter(|e| system.as_deref().is_none_or(|s| e.system == s))
        .filter(|e| {
            user.as_deref().is_none_or(|u| {
                e.user.as_deref().is_some_and(|have| {
                    let have = have.to_ascii_lowercase();
                    have == u
                        || (!u.contains('@') && have.split('@').next() == Some(u))
                        || (u.ends_with('@') && have.starts_with(u))
                })
            })
        })
        .take(query.limit.unwrap_or(usize::MAX))
        .collect()
}

fn field<'a>(fields: &'a Map<String, Value>, name: &'static str) -> Result<&'a str, TimelineError> {
    fields
        .get(name)
        .and_then(Value::as_str)
        .ok_or(TimelineError::Field(name))
}

async fn get_json(
    http: &reqwest::Client,
    what: &'static str,
    url: String,
    authorization: Option<String>,
) -> Result<Value, TimelineError> {
    let read = |message: String| TimelineError::Read { what, message };
    let mut request = http.get(url);
    if let Some(authorization) = authorization {
        request = request.header(reqwest::header::AUTHORIZATION, authorization);
    }
    let response = request.send().await.map_err(|e| read(e.to_string()))?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|e| read(e.to_string()))?;
    if !status.is_success() {
        return Err(read(format!("{status}: {body}")));
    }
    Ok(body)
}

/// Reads Okta's System Log and the Kiro and DNS event feeds and merges them, newest first.
/// `fields` are a ready line's (`okta`, `okta_api_token`, `kiro`, `dns_api`).
pub async fn gather(
    http: &reqwest::Client,
    fields: &Map<String, Value>,
) -> Result<Vec<Entry>, TimelineError> {
    let okta = field(fields, "okta")?.trim_end_matches('/');
    let token = field(fields, "okta_api_token")?;
    let kiro = field(fields, "kiro")?.trim_end_matches('/');
    let dns_api = field(fields, "dns_api")?.trim_end_matches('/');
    let ssws = Some(format!("SSWS {token}"));
    let (logs, users, kiro_feed, dns_feed) = tokio::join!(
        get_json(
            http,
            "Okta's System Log",
            format!("{okta}/api/v1/logs?limit={OKTA_EVENTS}&sortOrder=DESCENDING"),
            ssws.clone(),
        ),
        get_json(
            http,
            "Okta's users",
            format!("{okta}/api/v1/users?limit=200"),
            ssws
        ),
        get_json(
            http,
            "Kiro's event feed",
            format!("{kiro}/_sim/kiro/events"),
            None
        ),
        get_json(
            http,
            "mock-dns's event feed",
            format!("{dns_api}/_sim/dns/events"),
            None
        ),
    );
    let logins: HashMap<String, String> = users?
        .as_array()
        .map(|users| {
            users
                .iter()
                .filter_map(|u| {
                    Some((
                        u["id"].as_str()?.to_string(),
                        u["profile"]["login"].as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut entries: Vec<Entry> = logs?
        .as_array()
        .map(|events| events.iter().map(|e| okta_entry(e, &logins)).collect())
        .unwrap_or_default();
    for (system, what, feed) in [
        ("kiro", "Kiro's event feed", kiro_feed),
        ("dns", "mock-dns's event feed", dns_feed),
    ] {
        let events: Vec<sim_core::events::Event> = serde_json::from_value(feed?["events"].take())
            .map_err(|e| TimelineError::Read {
            what,
            message: e.to_string(),
        })?;
        entries.extend(events.into_iter().rev().map(|e| Entry {
            at: e.at,
            system: system.into(),
            kind: e.kind,
            user: e.user,
            summary: e.summary,
            outcome: e.outcome,
            reason: e.reason,
        }));
    }
    // Newest first; at one instant, Okta's cause before Kiro's effect reads best newest-first
    // as Kiro's line above Okta's. Both inputs are newest first already, so a stable sort on
    // the instant keeps each system's own order.
    entries.sort_by_key(|e| std::cmp::Reverse(instant(&e.at)));
    Ok(entries)
}

/// An RFC 3339 time as milliseconds, for ordering (fractions and none compare right).
fn instant(at: &str) -> u128 {
    humantime::parse_rfc3339_weak(at)
        .ok()
        .and_then(|t| t.duration_since(std::time::SystemTime::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_millis())
}

/// A System Log event as an entry: the user is the actor when a user acted, else the first
/// user target (ids resolved to logins).
fn okta_entry(e: &Value, logins: &HashMap<String, String>) -> Entry {
    let text = |v: &Value| v.as_str().map(str::to_string);
    let login_of = |v: &Value| {
        let id = v["id"].as_str().unwrap_or_default();
        logins
            .get(id)
            .cloned()
            .or_else(|| text(&v["alternateId"]).filter(|a| a.contains('@')))
    };
    let user = if e["actor"]["type"] == "User" {
        login_of(&e["actor"])
    } else {
        None
    }
    .or_else(|| {
        e["target"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| t["type"] == "User")
            .find_map(login_of)
    });
    let event_type = text(&e["eventType"]).unwrap_or_default();
    let message = text(&e["displayMessage"]).unwrap_or_default();
    Entry {
        at: text(&e["published"]).unwrap_or_default(),
        system: "okta".into(),
        summary: format!("{message} ({event_type})"),
        kind: event_type,
        user,
        outcome: text(&e["outcome"]["result"]).unwrap_or_else(|| "SUCCESS".into()),
        reason: text(&e["outcome"]["reason"]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(system: &str, user: Option<&str>) -> Entry {
        Entry {
            at: "2026-01-01T00:00:00Z".into(),
            system: system.into(),
            kind: "k".into(),
            user: user.map(str::to_string),
            summary: "s".into(),
            outcome: "SUCCESS".into(),
            reason: None,
        }
    }

    #[test]
    fn filters_by_user_prefix_and_system() {
        let all = vec![
            entry("okta", Some("ada@example.com")),
            entry("kiro", Some("Ada@example.com")),
            entry("kiro", Some("adam@example.com")),
            entry("kiro", None),
        ];
        let q = |user: Option<&str>, system: Option<&str>| Query {
            user: user.map(str::to_string),
            system: system.map(str::to_string),
            limit: None,
        };
        assert_eq!(filter(all.clone(), &q(Some("ada"), None)).len(), 2);
        assert_eq!(filter(all.clone(), &q(Some("ada@"), None)).len(), 2);
        assert_eq!(filter(all.clone(), &q(Some("ada"), Some("kiro"))).len(), 1);
        assert_eq!(filter(all.clone(), &q(None, Some("kiro"))).len(), 3);
        assert_eq!(filter(all, &q(None, None)).len(), 4);
    }

    #[test]
    fn orders_fractions_and_whole_seconds() {
        assert!(instant("2026-01-01T00:00:01Z") > instant("2026-01-01T00:00:00.999Z"));
    }
}
