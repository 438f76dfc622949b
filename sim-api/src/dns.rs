//! The DNS provider's API (Cloudflare's v4 shapes, BEHAVIOURS.md DNS-API-*): the bodies
//! mock-dns parses, and the admin actions scenario files, the typed clients and the property
//! tests make.

use serde::{Deserialize, Serialize};

use crate::{AdminRequest, HttpRequest, text};

// ---- bodies, as the server parses them -----------------------------------------------------

/// `POST /zones`: `{name, account: {id}}` (both checked by the server: `name` is required).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ZoneCreate {
    /// The zone's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The account it belongs to (the token's own account if absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<AccountRef>,
}

/// `{id}` of an account.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountRef {
    /// The account id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// A DNS record as Cloudflare takes it (create, replace, patch); unknown fields (`settings`,
/// `data`, …) are ignored. A create or replace needs `type`, `name` and `content` (the server
/// says which is missing); a patch changes what is given.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RecordBody {
    /// `TXT`, `A`, `CNAME`, …
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub record_type: Option<String>,
    /// The record's name (the zone's name appended when relative).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its content (a TXT record's text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Seconds, or 1 for "automatic".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u32>,
    /// Whether Cloudflare proxies it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxied: Option<bool>,
    /// `Some(None)`: `"comment": null` (clear it); `None`: absent (keep it).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub comment: Option<Option<String>>,
    /// Tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
}

/// Tells `"comment": null` (present, null) from an absent `comment`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// `PUT /_sim/dns/propagation`: `{"delay": "5m"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PropagationBody {
    /// How long a change takes to reach the nameservers (`0s`, `5m`, …).
    pub delay: String,
}

// ---- admin actions ---------------------------------------------------------------------------

/// `dns.create_zone: {name}`: `POST /client/v4/zones`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateZone {
    /// The zone's name.
    #[serde(deserialize_with = "text")]
    pub name: String,
}

impl AdminRequest for CreateZone {
    const ACTION: &'static str = "create_zone";

    fn request(&self) -> HttpRequest {
        let body = ZoneCreate {
            name: Some(self.name.clone()),
            account: None,
        };
        HttpRequest::new("POST", "/client/v4/zones".into(), HttpRequest::json(&body))
    }
}

/// `dns.find_zone: {name}`: `GET /client/v4/zones?name=…`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindZone {
    /// The zone's name.
    #[serde(deserialize_with = "text")]
    pub name: String,
}

impl AdminRequest for FindZone {
    const ACTION: &'static str = "find_zone";

    fn request(&self) -> HttpRequest {
        HttpRequest::new("GET", format!("/client/v4/zones?name={}", self.name), None)
    }
}

/// `dns.create_record: {zone, type, name, content, ttl?}`: `POST
/// /client/v4/zones/{zone}/dns_records` (TTL 1, "automatic", unless given).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRecord {
    /// The zone id.
    #[serde(deserialize_with = "text")]
    pub zone: String,
    /// `TXT`, `A`, …
    #[serde(rename = "type", deserialize_with = "text")]
    pub record_type: String,
    /// The record's name.
    #[serde(deserialize_with = "text")]
    pub name: String,
    /// Its content.
    #[serde(deserialize_with = "text")]
    pub content: String,
    /// Its TTL in seconds (1, "automatic", unless given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u32>,
}

impl CreateRecord {
    /// A TXT record with an automatic TTL (DNS-1's verification record).
    pub fn txt(zone: &str, name: &str, content: &str) -> CreateRecord {
        CreateRecord {
            zone: zone.into(),
            record_type: "TXT".into(),
            name: name.into(),
            content: content.into(),
            ttl: None,
        }
    }
}

impl AdminRequest for CreateRecord {
    const ACTION: &'static str = "create_record";

    fn request(&self) -> HttpRequest {
        let body = RecordBody {
            record_type: Some(self.record_type.clone()),
            name: Some(self.name.clone()),
            content: Some(self.content.clone()),
            ttl: Some(self.ttl.unwrap_or(1)),
            ..RecordBody::default()
        };
        HttpRequest::new(
            "POST",
            format!("/client/v4/zones/{}/dns_records", self.zone),
            HttpRequest::json(&body),
        )
    }
}

/// `dns.list_records: {zone}`: `GET /client/v4/zones/{zone}/dns_records`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListRecords {
    /// The zone id.
    #[serde(deserialize_with = "text")]
    pub zone: String,
}

impl AdminRequest for ListRecords {
    const ACTION: &'static str = "list_records";

    fn request(&self) -> HttpRequest {
        HttpRequest::new(
            "GET",
            format!("/client/v4/zones/{}/dns_records", self.zone),
            None,
        )
    }
}

/// `dns.delete_record: {zone, record}`: `DELETE /client/v4/zones/{zone}/dns_records/{record}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteRecord {
    /// The zone id.
    #[serde(deserialize_with = "text")]
    pub zone: String,
    /// The record id.
    #[serde(deserialize_with = "text")]
    pub record: String,
}

impl AdminRequest for DeleteRecord {
    const ACTION: &'static str = "delete_record";

    fn request(&self) -> HttpRequest {
        HttpRequest::new(
            "DELETE",
            format!("/client/v4/zones/{}/dns_records/{}", self.zone, self.record),
            None,
        )
    }
}

/// `dns.propagation: {delay}`: `PUT /_sim/dns/propagation`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetPropagation {
    /// The delay (`0s`, `5m`).
    #[serde(deserialize_with = "text")]
    pub delay: String,
}

impl AdminRequest for SetPropagation {
    const ACTION: &'static str = "propagation";

    fn request(&self) -> HttpRequest {
        let body = PropagationBody {
            delay: self.delay.clone(),
        };
        HttpRequest::new(
            "PUT",
            "/_sim/dns/propagation".into(),
            HttpRequest::json(&body),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_args as args;
    use serde_json::{Map, json};

    #[test]
    fn a_scenario_step_becomes_the_request_the_server_parses() {
        let step = CreateRecord::from_args(&args(json!({
            "zone": "z1", "type": "TXT", "name": "_kiro.example.com", "content": "v=1",
        })))
        .expect("valid");
        assert_eq!(step, CreateRecord::txt("z1", "_kiro.example.com", "v=1"));
        let request = step.request();
        assert_eq!(
            (request.method, request.path.as_str()),
            ("POST", "/client/v4/zones/z1/dns_records")
        );
        let parsed: RecordBody =
            serde_json::from_value(request.body.expect("a body")).expect("the server parses it");
        assert_eq!(
            parsed,
            RecordBody {
                record_type: Some("TXT".into()),
                name: Some("_kiro.example.com".into()),
                content: Some("v=1".into()),
                ttl: Some(1),
                ..RecordBody::default()
            }
        );
    }

    #[test]
    fn unknown_parameters_are_refused_and_scalars_are_text() {
        let unknown = CreateZone::from_args(&args(json!({ "name": "a.com", "nmae": "b" })));
        assert!(unknown.is_err_and(|e| e.contains("nmae")));
        let number = FindZone::from_args(&args(json!({ "name": 42 }))).expect("valid");
        assert_eq!(number.name, "42");
        assert!(CreateZone::from_args(&Map::new()).is_err_and(|e| e.contains("name")));
    }

    #[test]
    fn record_bodies_tell_a_null_comment_from_none() {
        let clear: RecordBody = serde_json::from_value(json!({ "comment": null })).expect("ok");
        assert_eq!(clear.comment, Some(None));
        let keep: RecordBody = serde_json::from_value(json!({})).expect("ok");
        assert_eq!(keep.comment, None);
        assert_eq!(
            serde_json::to_value(&clear).expect("serializes"),
            json!({ "comment": null })
        );
    }
}
