//! The typed requests of kiro-sim's services: **one definition per request**. The server
//! parses its body with it, the typed clients (`sim_world::clients`) build it, scenario steps
//! deserialize their arguments into it (`dns.create_record: {zone, type, name, content}` is a
//! [`dns::CreateRecord`]) and the property tests fill it in, so the four cannot drift apart.
//!
//! Each admin action is a type implementing [`AdminRequest`]: its fields are the action's
//! parameters (path parameters and body fields, in the names scenario files use), and
//! [`AdminRequest::request`] says which HTTP request it is. The bodies the servers parse are
//! types of their own ([`dns::ZoneCreate`], [`dns::RecordBody`], …), built by the actions.
//!
//! Covered: the DNS provider API ([`dns`]), the Kiro console ([`kiro`]) and Okta's management
//! API ([`okta`]: directory, apps, assignments, authorization servers, System Log, the
//! provisioning app's connection, To App features, attribute mappings and group push) —
//! every typed scenario step.

pub mod dns;
pub mod kiro;
pub mod okta;

use serde_json::{Map, Value};

/// One HTTP request on a service's API.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpRequest {
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: &'static str,
    /// The path and query under the service's base URL.
    pub path: String,
    /// The JSON body, if any.
    pub body: Option<Value>,
}

impl HttpRequest {
    fn new(method: &'static str, path: String, body: Option<Value>) -> HttpRequest {
        HttpRequest { method, path, body }
    }

    /// A body serialized from its type (the types here always serialize).
    fn json<T: serde::Serialize>(body: &T) -> Option<Value> {
        Some(serde_json::to_value(body).unwrap_or(Value::Null))
    }
}

/// An admin action of a service: its parameters, and the request it is.
pub trait AdminRequest: serde::Serialize + serde::de::DeserializeOwned {
    /// The action's name in scenario files (`create_record`).
    const ACTION: &'static str;

    /// The HTTP request.
    fn request(&self) -> HttpRequest;

    /// The action from a scenario step's arguments (after `${…}` substitution).
    fn from_args(args: &Map<String, Value>) -> Result<Self, String> {
        serde_json::from_value(Value::Object(args.clone())).map_err(|e| e.to_string())
    }
}

/// Scenario parameters are text: a YAML number or boolean given for one is taken as its JSON
/// text (`name: 42` is `"42"`), and `null` as empty, as the untyped actions took them.
pub(crate) fn text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    use serde::Deserialize as _;
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    })
}

/// An optional scenario parameter, as text when given.
pub(crate) fn optional_text<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    text(d).map(Some)
}

/// A scenario step's arguments from a JSON object (the modules' tests).
#[cfg(test)]
pub(crate) fn test_args(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}
