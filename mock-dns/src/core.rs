//! The domain core of mock-dns: zones and records, the rules a DNS provider enforces on them,
//! propagation, and answering queries. Pure and synchronous: time is passed in, nothing here
//! does I/O or knows about HTTP or the DNS wire format.
//!
//! There are two views of the data:
//! - the **provider view** (what the HTTP API lists and edits) changes at once;
//! - the **published view** (what DNS queries see) takes each change after the propagation
//!   delay (BEHAVIOURS.md DNS-3). Changes are queued with the time they become visible; visibility
//!   times never go backwards, so changes to one record are published in the order made, even
//!   if the delay is shortened in between. The service layer schedules [`DnsCore::publish_due`]
//!   on the world's clock for each queued change.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::{Duration, SystemTime};

use sim_core::ids;
use sim_core::seed::SimRng;

/// The record types the provider manages.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum RecordType {
    /// IPv4 address.
    A,
    /// IPv6 address.
    Aaaa,
    /// Canonical name (alias).
    Cname,
    /// Text, one or more strings.
    Txt,
}

impl RecordType {
    /// The type's name as DNS and the provider API spell it.
    pub fn as_str(&self) -> &'static str {
        match self {
            RecordType::A => "A",
            RecordType::Aaaa => "AAAA",
            RecordType::Cname => "CNAME",
            RecordType::Txt => "TXT",
        }
    }

    /// Parses a type name (case-insensitive).
    pub fn parse(text: &str) -> Option<RecordType> {
        match text.to_ascii_uppercase().as_str() {
            "A" => Some(RecordType::A),
            "AAAA" => Some(RecordType::Aaaa),
            "CNAME" => Some(RecordType::Cname),
            "TXT" => Some(RecordType::Txt),
            _ => None,
        }
    }

    fn proxiable(&self) -> bool {
        matches!(self, RecordType::A | RecordType::Aaaa | RecordType::Cname)
    }
}

/// A zone, as the provider API shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Zone {
    /// 32 lowercase hex characters.
    pub id: String,
    /// The zone's apex, lowercase, no trailing dot.
    pub name: String,
    /// The account that owns it.
    pub account_id: String,
    /// When it was created.
    pub created_on: SystemTime,
    /// When it was last changed.
    pub modified_on: SystemTime,
}

/// A DNS record, as the provider API shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Record {
    /// 32 lowercase hex characters.
    pub id: String,
    /// The zone it belongs to.
    pub zone_id: String,
    /// That zone's name.
    pub zone_name: String,
    /// Fully qualified owner name, lowercase, no trailing dot.
    pub name: String,
    /// The record type.
    pub record_type: RecordType,
    /// The content as given (normalised for CNAME targets).
    pub content: String,
    /// TTL in seconds; 1 means "automatic".
    pub ttl: u32,
    /// Whether the provider's proxy is on (A, AAAA and CNAME only).
    pub proxied: bool,
    /// Free-text comment.
    pub comment: Option<String>,
    /// Tags (`name:value`).
    pub tags: Vec<String>,
    /// When it was created.
    pub created_on: SystemTime,
    /// When it was last changed.
    pub modified_on: SystemTime,
}

/// The fields of a record a client sets (create, or full overwrite with PUT).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordInput {
    /// Type name (validated).
    pub record_type: String,
    /// Owner name: `@` for the apex, a name relative to the zone, or a name inside the zone.
    pub name: String,
    /// Content.
    pub content: String,
    /// TTL; `None` means automatic.
    pub ttl: Option<u32>,
    /// Proxy on or off; `None` means off.
    pub proxied: Option<bool>,
    /// Comment.
    pub comment: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
}

/// A partial update (PATCH): only the fields given change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordPatch {
    /// New type.
    pub record_type: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// New content.
    pub content: Option<String>,
    /// New TTL.
    pub ttl: Option<u32>,
    /// New proxy setting.
    pub proxied: Option<bool>,
    /// New comment (`Some(None)` clears it).
    pub comment: Option<Option<String>>,
    /// New tags.
    pub tags: Option<Vec<String>>,
}

/// Why a record was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InvalidRecord {
    /// Not one of A, AAAA, CNAME, TXT.
    UnsupportedType(String),
    /// The owner name is not a valid DNS name.
    Name(String),
    /// A record content is not an IPv4 address.
    Ipv4,
    /// AAAA record content is not an IPv6 address.
    Ipv6,
    /// CNAME target is not a valid host name.
    CnameTarget,
    /// TXT content is empty or too long.
    Txt(&'static str),
    /// TTL neither 1 (automatic) nor within 60..=86400.
    Ttl(u32),
    /// Proxy asked for a type that cannot be proxied.
    NotProxiable(RecordType),
}

/// What the core refuses, with no state changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    /// No zone with that id.
    #[error("zone not found")]
    ZoneNotFound,
    /// No record with that id in that zone.
    #[error("record not found")]
    RecordNotFound,
    /// A zone of that name exists already.
    #[error("{0} already exists")]
    ZoneExists(String),
    /// Not a registrable domain name.
    #[error("invalid zone name `{0}`")]
    InvalidZoneName(String),
    /// The record breaks a validation rule.
    #[error("invalid record: {0:?}")]
    InvalidRecord(InvalidRecord),
    /// The same type, name and content exist already.
    #[error("an identical record already exists")]
    IdenticalRecord,
    /// A CNAME cannot share its name with any other record.
    #[error("a CNAME cannot coexist with other records at that name")]
    CnameConflict,
    /// The name already has a CNAME, so no other record can be added there.
    #[error("a CNAME record with that host already exists")]
    HostHasCname,
}

/// Filters for listing records; `None` matches everything.
#[derive(Clone, Debug, Default)]
pub struct RecordFilter {
    /// Only this type.
    pub record_type: Option<RecordType>,
    /// Only this owner name (fully qualified, case-insensitive).
    pub name: Option<String>,
    /// Only this exact content.
    pub content: Option<String>,
}

/// A DNS query type, as the core understands it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryType {
    /// A.
    A,
    /// AAAA.
    Aaaa,
    /// CNAME.
    Cname,
    /// TXT.
    Txt,
    /// SOA (apex only).
    Soa,
    /// NS (apex only).
    Ns,
    /// ANY: everything at the name.
    Any,
    /// Any other type: never present.
    Other(u16),
}

/// Data of one answered resource record.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RData {
    /// IPv4 address.
    A(Ipv4Addr),
    /// IPv6 address.
    Aaaa(Ipv6Addr),
    /// Alias target (fully qualified, no trailing dot).
    Cname(String),
    /// Character strings, each at most 255 bytes.
    Txt(Vec<Vec<u8>>),
    /// Start of authority.
    Soa(Soa),
    /// Name server.
    Ns(String),
}

/// An SOA record's fields.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Soa {
    /// Primary name server.
    pub mname: String,
    /// Responsible mailbox, in domain-name form.
    pub rname: String,
    /// Serial: bumped by every published change in the zone.
    pub serial: u32,
    /// Refresh interval (s).
    pub refresh: i32,
    /// Retry interval (s).
    pub retry: i32,
    /// Expiry (s).
    pub expire: i32,
    /// Negative-caching TTL (s).
    pub minimum: u32,
}

/// One resource record of an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rr {
    /// Owner name.
    pub name: String,
    /// TTL in seconds.
    pub ttl: u32,
    /// Data.
    pub data: RData,
}

/// The outcome class of a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rcode {
    /// The name exists (answers may still be empty: "no data").
    NoError,
    /// The name does not exist in the zone.
    NxDomain,
    /// The name is in none of our zones: we are not authoritative.
    Refused,
}

/// The answer to a query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// Outcome class.
    pub rcode: Rcode,
    /// Answer section (a CNAME chain comes first).
    pub answers: Vec<Rr>,
    /// Authority section: the zone's SOA for negative answers.
    pub authority: Vec<Rr>,
}

/// The name servers every zone is delegated to.
pub const NAME_SERVERS: [&str; 2] = ["ada.ns.mock-dns.test", "bob.ns.mock-dns.test"];
/// TTL served for records whose TTL is "automatic" (1).
pub const AUTO_TTL: u32 = 300;
/// TTL of the SOA and NS records.
const APEX_TTL: u32 = 3600;
/// How many CNAMEs an answer follows before it stops.
const MAX_CNAME_HOPS: usize = 8;
/// Longest TXT content the API accepts.
const MAX_TXT_CONTENT: usize = 4096;

/// State of the DNS provider and server.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct DnsCore {
    account_id: String,
    ids: SimRng,
    zones: BTreeMap<u64, Zone>,
    records: BTreeMap<u64, Record>,
    next_seq: u64,
    delay: Duration,
    pending: VecDeque<Pending>,
    published: Published,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Pending {
    visible_at: SystemTime,
    change: Change,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
enum Change {
    CreateZone { name: String },
    DeleteZone { name: String },
    PutRecord(Record),
    DeleteRecord { zone_name: String, id: String },
}

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Published {
    zones: HashMap<String, PublishedZone>,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct PublishedZone {
    serial: u32,
    /// Owner name -> records there.
    names: HashMap<String, Vec<PublishedRecord>>,
    /// Record id -> owner name.
    owners: HashMap<String, String>,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct PublishedRecord {
    id: String,
    ttl: u32,
    data: RData,
}

impl DnsCore {
    /// An empty provider for `account_id`, drawing ids from `ids`.
    pub fn new(account_id: String, ids: SimRng) -> DnsCore {
        DnsCore {
            account_id,
            ids,
            zones: BTreeMap::new(),
            records: BTreeMap::new(),
            next_seq: 0,
            delay: Duration::ZERO,
            pending: VecDeque::new(),
            published: Published::default(),
        }
    }

    /// The account that owns every zone.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// How long a change takes to become visible to DNS queries.
    pub fn propagation_delay(&self) -> Duration {
        self.delay
    }

    /// Sets the propagation delay for changes made from now on.
    pub fn set_propagation_delay(&mut self, delay: Duration) {
        self.delay = delay;
    }

    // ---- zones -------------------------------------------------------------------------

    /// Creates a zone. Its apex answers SOA and NS once published.
    pub fn create_zone(&mut self, now: SystemTime, name: &str) -> Result<Zone, DnsError> {
        let name = normalise_zone_name(name)?;
        if self.zones.values().any(|z| z.name == name) {
            return Err(DnsError::ZoneExists(name));
        }
        let zone = Zone {
            id: ids::hex_id(&mut self.ids, 32),
            name: name.clone(),
            account_id: self.account_id.clone(),
            created_on: now,
            modified_on: now,
        };
        let seq = self.seq();
        self.zones.insert(seq, zone.clone());
        self.enqueue(now, Change::CreateZone { name });
        Ok(zone)
    }

    /// Zones in creation order.
    pub fn zones(&self) -> impl Iterator<Item = &Zone> {
        self.zones.values()
    }

    /// A zone by id.
    pub fn zone(&self, zone_id: &str) -> Result<&Zone, DnsError> {
        self.zones
            .values()
            .find(|z| z.id == zone_id)
            .ok_or(DnsError::ZoneNotFound)
    }

    /// Deletes a zone and every record in it.
    pub fn delete_zone(&mut self, now: SystemTime, zone_id: &str) -> Result<Zone, DnsError> {
        let seq = self.zone_seq(zone_id)?;
        let zone = self.zones.remove(&seq).ok_or(DnsError::ZoneNotFound)?;
        self.records.retain(|_, r| r.zone_id != zone.id);
        self.enqueue(
            now,
            Change::DeleteZone {
                name: zone.name.clone(),
            },
        );
        Ok(zone)
    }

    // ---- records -----------------------------------------------------------------------

    /// Creates a record in a zone.
    pub fn create_record(
        &mut self,
        now: SystemTime,
        zone_id: &str,
        input: RecordInput,
    ) -> Result<Record, DnsError> {
        let zone = self.zone(zone_id)?.clone();
        let valid = validate(&zone, input)?;
        self.check_conflicts(&valid, None)?;
        let record = Record {
            id: ids::hex_id(&mut self.ids, 32),
            zone_id: zone.id.clone(),
            zone_name: zone.name.clone(),
            name: valid.name,
            record_type: valid.record_type,
            content: valid.content,
            ttl: valid.ttl,
            proxied: valid.proxied,
            comment: valid.comment,
            tags: valid.tags,
            created_on: now,
            modified_on: now,
        };
        let seq = self.seq();
        self.records.insert(seq, record.clone());
        self.enqueue(now, Change::PutRecord(record.clone()));
        Ok(record)
    }

    /// Overwrites a record (PUT).
    pub fn replace_record(
        &mut self,
        now: SystemTime,
        zone_id: &str,
        record_id: &str,
        input: RecordInput,
    ) -> Result<Record, DnsError> {
        let zone = self.zone(zone_id)?.clone();
        let seq = self.record_seq(zone_id, record_id)?;
        let valid = validate(&zone, input)?;
        self.check_conflicts(&valid, Some(record_id))?;
        let record = self.records.get_mut(&seq).ok_or(DnsError::RecordNotFound)?;
        record.name = valid.name;
        record.record_type = valid.record_type;
        record.content = valid.content;
        record.ttl = valid.ttl;
        record.proxied = valid.proxied;
        record.comment = valid.comment;
        record.tags = valid.tags;
        record.modified_on = now;
        let record = record.clone();
        self.enqueue(now, Change::PutRecord(record.clone()));
        Ok(record)
    }

    /// Changes some fields of a record (PATCH).
    pub fn patch_record(
        &mut self,
        now: SystemTime,
        zone_id: &str,
        record_id: &str,
        patch: RecordPatch,
    ) -> Result<Record, DnsError> {
        let seq = self.record_seq(zone_id, record_id)?;
        let current = self.records.get(&seq).ok_or(DnsError::RecordNotFound)?;
        let input = RecordInput {
            record_type: patch
                .record_type
                .unwrap_or_else(|| current.record_type.as_str().to_string()),
            name: patch.name.unwrap_or_else(|| current.name.clone()),
            content: patch.content.unwrap_or_else(|| current.content.clone()),
            ttl: Some(patch.ttl.unwrap_or(current.ttl)),
            proxied: Some(patch.proxied.unwrap_or(current.proxied)),
            comment: patch.comment.unwrap_or_else(|| current.comment.clone()),
            tags: patch.tags.unwrap_or_else(|| current.tags.clone()),
        };
        self.replace_record(now, zone_id, record_id, input)
    }

    /// Deletes a record.
    pub fn delete_record(
        &mut self,
        now: SystemTime,
        zone_id: &str,
        record_id: &str,
    ) -> Result<Record, DnsError> {
        let seq = self.record_seq(zone_id, record_id)?;
        let record = self.records.remove(&seq).ok_or(DnsError::RecordNotFound)?;
        self.enqueue(
            now,
            Change::DeleteRecord {
                zone_name: record.zone_name.clone(),
                id: record.id.clone(),
            },
        );
        Ok(record)
    }

    /// A record by id.
    pub fn record(&self, zone_id: &str, record_id: &str) -> Result<&Record, DnsError> {
        let seq = self.record_seq(zone_id, record_id)?;
        self.records.get(&seq).ok_or(DnsError::RecordNotFound)
    }

    /// Records of a zone matching `filter`, in creation order.
    pub fn records(&self, zone_id: &str, filter: &RecordFilter) -> Result<Vec<&Record>, DnsError> {
        self.zone(zone_id)?;
        let name = filter
            .name
            .as_deref()
            .map(|n| n.trim_end_matches('.').to_ascii_lowercase());
        Ok(self
            .records
            .values()
            .filter(|r| r.zone_id == zone_id)
            .filter(|r| filter.record_type.is_none_or(|t| r.record_type == t))
            .filter(|r| name.as_deref().is_none_or(|n| r.name == n))
            .filter(|r| filter.content.as_deref().is_none_or(|c| r.content == c))
            .collect())
    }

    // ---- propagation -------------------------------------------------------------------

    /// When the next queued change becomes visible, if any is queued.
    pub fn next_publication(&self) -> Option<SystemTime> {
        self.pending.front().map(|p| p.visible_at)
    }

    /// When the last queued change becomes visible, if any is queued. Visibility times never
    /// go backwards, so right after a change this is when that change becomes visible.
    pub fn last_publication(&self) -> Option<SystemTime> {
        self.pending.back().map(|p| p.visible_at)
    }

    /// How many changes are not visible to DNS yet.
    pub fn unpublished_changes(&self) -> usize {
        self.pending.len()
    }

    /// When the last queued change of record `record_id` (an update or its deletion) becomes
    /// visible to DNS, if one is queued.
    pub fn record_visible_at(&self, record_id: &str) -> Option<SystemTime> {
        self.pending.iter().rev().find_map(|p| match &p.change {
            Change::PutRecord(r) if r.id == record_id => Some(p.visible_at),
            Change::DeleteRecord { id, .. } if id == record_id => Some(p.visible_at),
            _ => None,
        })
    }

    /// Records of zone `zone_name` deleted but still visible to DNS: (id, when the deletion
    /// becomes visible).
    pub fn pending_deletions(&self, zone_name: &str) -> Vec<(String, SystemTime)> {
        self.pending
            .iter()
            .filter_map(|p| match &p.change {
                Change::DeleteRecord { zone_name: z, id } if z == zone_name => {
                    Some((id.clone(), p.visible_at))
                }
                _ => None,
            })
            .collect()
    }

    /// When each queued change becomes visible, earliest first, once per distinct time: the
    /// publication wake-ups a restored core needs on the clock (every scheduled job is
    /// derivable from core state).
    pub fn publication_times(&self) -> Vec<SystemTime> {
        let mut times: Vec<SystemTime> = self.pending.iter().map(|p| p.visible_at).collect();
        times.dedup();
        times
    }

    /// Checks what deserialisation cannot: every record in a zone of this core, in name
    /// order, and the propagation queue in time order. For a state import (SIM-STATE-2).
    pub fn check_consistency(&self) -> Result<(), String> {
        for record in self.records.values() {
            if !self.zones.values().any(|z| z.id == record.zone_id) {
                return Err(format!(
                    "record {} belongs to zone {}, which is not in the state",
                    record.id, record.zone_id
                ));
            }
        }
        if let Some(max) = self.zones.keys().chain(self.records.keys()).max()
            && *max > self.next_seq
        {
            return Err(format!(
                "next_seq {} is not above the highest sequence number {max}",
                self.next_seq
            ));
        }
        if self
            .pending
            .iter()
            .zip(self.pending.iter().skip(1))
            .any(|(a, b)| a.visible_at > b.visible_at)
        {
            return Err("the propagation queue is not in time order".into());
        }
        Ok(())
    }

    /// Publishes every queued change visible at `now`. Returns how many were published.
    pub fn publish_due(&mut self, now: SystemTime) -> usize {
        let mut count = 0;
        while self.pending.front().is_some_and(|p| p.visible_at <= now) {
            if let Some(p) = self.pending.pop_front() {
                self.published.apply(p.change);
                count += 1;
            }
        }
        count
    }

    // ---- queries -----------------------------------------------------------------------

    /// Answers a query against the published view. `qname` is case-insensitive and may end
    /// with a dot.
    pub fn resolve(&self, qname: &str, qtype: QueryType) -> Answer {
        self.published.resolve(qname, qtype)
    }

    // ---- internals ---------------------------------------------------------------------

    fn seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    fn zone_seq(&self, zone_id: &str) -> Result<u64, DnsError> {
        self.zones
            .iter()
            .find(|(_, z)| z.id == zone_id)
            .map(|(seq, _)| *seq)
            .ok_or(DnsError::ZoneNotFound)
    }

    fn record_seq(&self, zone_id: &str, record_id: &str) -> Result<u64, DnsError> {
        self.zone(zone_id)?;
        self.records
            .iter()
            .find(|(_, r)| r.id == record_id && r.zone_id == zone_id)
            .map(|(seq, _)| *seq)
            .ok_or(DnsError::RecordNotFound)
    }

    fn check_conflicts(&self, new: &ValidRecord, replacing: Option<&str>) -> Result<(), DnsError> {
        let others = self
            .records
            .values()
            .filter(|r| r.name == new.name && Some(r.id.as_str()) != replacing);
        for other in others {
            if other.record_type == new.record_type && other.content == new.content {
                return Err(DnsError::IdenticalRecord);
            }
            if new.record_type == RecordType::Cname {
                return Err(DnsError::CnameConflict);
            }
            if other.record_type == RecordType::Cname {
                return Err(DnsError::HostHasCname);
            }
        }
        Ok(())
    }

    fn enqueue(&mut self, now: SystemTime, change: Change) {
        let earliest = now + self.delay;
        let visible_at = match self.pending.back() {
            Some(last) if last.visible_at > earliest => last.visible_at,
            _ => earliest,
        };
        self.pending.push_back(Pending { visible_at, change });
        self.publish_due(now);
    }
}

impl Published {
    fn apply(&mut self, change: Change) {
        match change {
            Change::CreateZone { name } => {
                self.zones.insert(
                    name,
                    PublishedZone {
                        serial: 1,
                        names: HashMap::new(),
                        owners: HashMap::new(),
                    },
                );
            }
            Change::DeleteZone { name } => {
                self.zones.remove(&name);
            }
            Change::PutRecord(record) => {
                if let Some(zone) = self.zones.get_mut(&record.zone_name) {
                    zone.remove(&record.id);
                    let published = PublishedRecord {
                        id: record.id.clone(),
                        ttl: if record.ttl == 1 {
                            AUTO_TTL
                        } else {
                            record.ttl
                        },
                        data: rdata(record.record_type, &record.content),
                    };
                    zone.owners.insert(record.id, record.name.clone());
                    zone.names.entry(record.name).or_default().push(published);
                    zone.serial = zone.serial.wrapping_add(1);
                }
            }
            Change::DeleteRecord { zone_name, id } => {
                if let Some(zone) = self.zones.get_mut(&zone_name) {
                    zone.remove(&id);
                    zone.serial = zone.serial.wrapping_add(1);
                }
            }
        }
    }

    /// The zone `name` falls in (the longest matching apex).
    fn zone_of<'a>(&'a self, name: &'a str) -> Option<(&'a str, &'a PublishedZone)> {
        let mut candidate = name;
        loop {
            if let Some(zone) = self.zones.get(candidate) {
                return Some((candidate, zone));
            }
            candidate = candidate.split_once('.')?.1;
        }
    }

    fn resolve(&self, qname: &str, qtype: QueryType) -> Answer {
        let mut name = qname.trim_end_matches('.').to_ascii_lowercase();
        let mut answers = Vec::new();
        for _ in 0..=MAX_CNAME_HOPS {
            let Some((apex, zone)) = self.zone_of(&name) else {
                // Outside our zones: refuse, unless we are following a CNAME out of them.
                let rcode = if answers.is_empty() {
                    Rcode::Refused
                } else {
                    Rcode::NoError
                };
                return Answer {
                    rcode,
                    answers,
                    authority: Vec::new(),
                };
            };
            let at_name = zone.records_at(apex, &name);
            let follows_cname = qtype != QueryType::Cname && qtype != QueryType::Any;
            if let Some(RData::Cname(target)) = at_name
                .iter()
                .map(|r| &r.data)
                .find(|d| follows_cname && matches!(d, RData::Cname(_)))
            {
                let target = target.clone();
                answers.extend(at_name.into_iter().map(|r| r.with_name(&name)));
                name = target;
                continue;
            }
            let matching: Vec<Rr> = at_name
                .iter()
                .filter(|r| qtype_matches(qtype, &r.data))
                .map(|r| r.with_name(&name))
                .collect();
            let soa = || vec![zone.soa(apex)];
            return if !matching.is_empty() {
                answers.extend(matching);
                Answer {
                    rcode: Rcode::NoError,
                    answers,
                    authority: Vec::new(),
                }
            } else if !at_name.is_empty() || zone.has_descendants(&name) {
                Answer {
                    rcode: Rcode::NoError,
                    answers,
                    authority: soa(),
                }
            } else {
                Answer {
                    rcode: Rcode::NxDomain,
                    answers,
                    authority: soa(),
                }
            };
        }
        // A CNAME loop or an overlong chain: answer with what was followed.
        Answer {
            rcode: Rcode::NoError,
            answers,
            authority: Vec::new(),
        }
    }
}

/// A record found at a name, before its owner name is attached.
struct Found {
    ttl: u32,
    data: RData,
}

impl Found {
    fn with_name(&self, name: &str) -> Rr {
        Rr {
            name: name.to_string(),
            ttl: self.ttl,
            data: self.data.clone(),
        }
    }
}

impl PublishedZone {
    fn remove(&mut self, id: &str) {
        let Some(owner) = self.owners.remove(id) else {
            return;
        };
        if let Some(list) = self.names.get_mut(&owner) {
            list.retain(|r| r.id != id);
            if list.is_empty() {
                self.names.remove(&owner);
            }
        }
    }

    fn records_at(&self, apex: &str, name: &str) -> Vec<Found> {
        let mut found: Vec<Found> = Vec::new();
        if name == apex {
            found.push(Found {
                ttl: APEX_TTL,
                data: self.soa(apex).data,
            });
            found.extend(NAME_SERVERS.iter().map(|ns| Found {
                ttl: APEX_TTL,
                data: RData::Ns((*ns).to_string()),
            }));
        }
        if let Some(records) = self.names.get(name) {
            found.extend(records.iter().map(|r| Found {
                ttl: r.ttl,
                data: r.data.clone(),
            }));
        }
        found
    }

    /// Whether some record lives below `name` (which makes `name` an empty non-terminal).
    fn has_descendants(&self, name: &str) -> bool {
        let suffix = format!(".{name}");
        self.names.keys().any(|owner| owner.ends_with(&suffix))
    }

    fn soa(&self, apex: &str) -> Rr {
        Rr {
            name: apex.to_string(),
            ttl: APEX_TTL,
            data: RData::Soa(Soa {
                mname: NAME_SERVERS[0].to_string(),
                rname: "hostmaster.mock-dns.test".to_string(),
                serial: self.serial,
                refresh: 10_000,
                retry: 2_400,
                expire: 604_800,
                minimum: 1_800,
            }),
        }
    }
}

fn qtype_matches(qtype: QueryType, data: &RData) -> bool {
    matches!(
        (qtype, data),
        (QueryType::Any, _)
            | (QueryType::A, RData::A(_))
            | (QueryType::Aaaa, RData::Aaaa(_))
            | (QueryType::Cname, RData::Cname(_))
            | (QueryType::Txt, RData::Txt(_))
            | (QueryType::Soa, RData::Soa(_))
            | (QueryType::Ns, RData::Ns(_))
    )
}

/// A record input that passed validation.
struct ValidRecord {
    record_type: RecordType,
    name: String,
    content: String,
    ttl: u32,
    proxied: bool,
    comment: Option<String>,
    tags: Vec<String>,
}

fn validate(zone: &Zone, input: RecordInput) -> Result<ValidRecord, DnsError> {
    let invalid = |why| DnsError::InvalidRecord(why);
    let record_type = RecordType::parse(&input.record_type)
        .ok_or_else(|| invalid(InvalidRecord::UnsupportedType(input.record_type.clone())))?;
    let name = qualify(&zone.name, &input.name)
        .ok_or_else(|| invalid(InvalidRecord::Name(input.name.clone())))?;
    let content = match record_type {
        RecordType::A => input
            .content
            .trim()
            .parse::<Ipv4Addr>()
            .map_err(|_| invalid(InvalidRecord::Ipv4))?
            .to_string(),
        RecordType::Aaaa => input
            .content
            .trim()
            .parse::<Ipv6Addr>()
            .map_err(|_| invalid(InvalidRecord::Ipv6))?
            .to_string(),
        RecordType::Cname => {
            let target = input
                .content
                .trim()
                .trim_end_matches('.')
                .to_ascii_lowercase();
            if !is_host_name(&target) {
                return Err(invalid(InvalidRecord::CnameTarget));
            }
            target
        }
        RecordType::Txt => {
            if input.content.is_empty() {
                return Err(invalid(InvalidRecord::Txt("TXT content must not be empty")));
            }
            if input.content.len() > MAX_TXT_CONTENT {
                return Err(invalid(InvalidRecord::Txt("TXT content is too long")));
            }
            input.content
        }
    };
    let ttl = input.ttl.unwrap_or(1);
    if ttl != 1 && !(60..=86_400).contains(&ttl) {
        return Err(invalid(InvalidRecord::Ttl(ttl)));
    }
    let proxied = input.proxied.unwrap_or(false);
    if proxied && !record_type.proxiable() {
        return Err(invalid(InvalidRecord::NotProxiable(record_type)));
    }
    Ok(ValidRecord {
        record_type,
        name,
        content,
        ttl,
        proxied,
        comment: input.comment,
        tags: input.tags,
    })
}

/// Makes an owner name fully qualified the way the provider does: `@` or the apex is the apex,
/// a name ending in the zone is kept, anything else is taken as relative to the zone.
fn qualify(zone: &str, name: &str) -> Option<String> {
    let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
    let full = if name == "@" || name == zone {
        zone.to_string()
    } else if name.ends_with(&format!(".{zone}")) {
        name
    } else {
        format!("{name}.{zone}")
    };
    is_owner_name(&full).then_some(full)
}

fn normalise_zone_name(name: &str) -> Result<String, DnsError> {
    let lowered = name.trim().trim_end_matches('.').to_ascii_lowercase();
    if is_host_name(&lowered) && lowered.contains('.') {
        Ok(lowered)
    } else {
        Err(DnsError::InvalidZoneName(name.to_string()))
    }
}

/// A host name: letters, digits and hyphens in labels of 1..=63, 253 characters at most.
fn is_host_name(name: &str) -> bool {
    valid_labels(name, |label| {
        label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    })
}

/// An owner name may also carry underscores (`_kiro-verification`) and a leading `*` label.
fn is_owner_name(name: &str) -> bool {
    valid_labels(name, |label| {
        label == "*"
            || label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

fn valid_labels(name: &str, label_ok: impl Fn(&str) -> bool) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .split('.')
            .all(|l| !l.is_empty() && l.len() <= 63 && label_ok(l))
}

/// The wire data of a record's (already validated) content.
fn rdata(record_type: RecordType, content: &str) -> RData {
    match record_type {
        RecordType::A => RData::A(content.parse().unwrap_or(Ipv4Addr::UNSPECIFIED)),
        RecordType::Aaaa => RData::Aaaa(content.parse().unwrap_or(Ipv6Addr::UNSPECIFIED)),
        RecordType::Cname => RData::Cname(content.to_string()),
        RecordType::Txt => RData::Txt(txt_strings(content)),
    }
}

/// Splits TXT content into character strings, as the provider does: content made of quoted
/// strings (`"v=spf1 ..." "part two"`) gives one string per quoted part; anything else is one
/// string, cut into 255-byte pieces.
pub fn txt_strings(content: &str) -> Vec<Vec<u8>> {
    if let Some(parts) = quoted_strings(content) {
        return parts
            .into_iter()
            .flat_map(|p| chunks(p.into_bytes()))
            .collect();
    }
    chunks(content.as_bytes().to_vec())
}

fn chunks(bytes: Vec<u8>) -> Vec<Vec<u8>> {
    if bytes.is_empty() {
        return vec![Vec::new()];
    }
    bytes.chunks(255).map(<[u8]>::to_vec).collect()
}

/// Parses `"a" "b\"c"` into `["a", "b\"c"]`; `None` if the content is not all quoted strings.
fn quoted_strings(content: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut chars = content.trim().chars().peekable();
    chars.peek()?;
    while let Some(c) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        if c != '"' {
            return None;
        }
        let mut part = String::new();
        loop {
            match chars.next()? {
                '\\' => part.push(chars.next()?),
                '"' => break,
                other => part.push(other),
            }
        }
        parts.push(part);
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::Seed;

    fn t(secs: u64) -> SystemTime {
        sim_core::clock::fixed_epoch() + Duration::from_secs(secs)
    }

    fn core() -> DnsCore {
        DnsCore::new("acct".into(), Seed(1).stream("test"))
    }

    fn txt(name: &str, content: &str) -> RecordInput {
        RecordInput {
            record_type: "TXT".into(),
            name: name.into(),
            content: content.into(),
            ..RecordInput::default()
        }
    }

    fn input(kind: &str, name: &str, content: &str) -> RecordInput {
        RecordInput {
            record_type: kind.into(),
            ..txt(name, content)
        }
    }

    fn txt_answers(answer: &Answer) -> Vec<Vec<Vec<u8>>> {
        answer
            .answers
            .iter()
            .filter_map(|rr| match &rr.data {
                RData::Txt(s) => Some(s.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn dns_2_names_resolve_case_insensitively_and_unknown_names_are_nxdomain() {
        let mut dns = core();
        let zone = dns.create_zone(t(0), "Example.COM").expect("zone");
        assert_eq!(zone.name, "example.com");
        dns.create_record(t(0), &zone.id, txt("_kiro-verification", "token-1"))
            .expect("record");

        let answer = dns.resolve("_KIRO-Verification.example.com.", QueryType::Txt);
        assert_eq!(answer.rcode, Rcode::NoError);
        assert_eq!(txt_answers(&answer), vec![vec![b"token-1".to_vec()]]);

        let missing = dns.resolve("nope.example.com", QueryType::Txt);
        assert_eq!(missing.rcode, Rcode::NxDomain);
        assert!(matches!(missing.authority[0].data, RData::Soa(_)));

        assert_eq!(
            dns.resolve("example.org", QueryType::A).rcode,
            Rcode::Refused
        );
    }

    #[test]
    fn dns_2_a_txt_record_may_hold_several_strings() {
        let mut dns = core();
        let zone = dns.create_zone(t(0), "example.com").expect("zone");
        dns.create_record(
            t(0),
            &zone.id,
            txt("multi", r#""first part" "second \"quoted\"""#),
        )
        .expect("record");
        let long = "x".repeat(300);
        dns.create_record(t(0), &zone.id, txt("long", &long))
            .expect("record");
        assert_eq!(
            txt_answers(&dns.resolve("multi.example.com", QueryType::Txt)),
            vec![vec![b"first part".to_vec(), b"second \"quoted\"".to_vec()]]
        );
        let long_answer = txt_answers(&dns.resolve("long.example.com", QueryType::Txt));
        assert_eq!(
            long_answer[0].iter().map(Vec::len).collect::<Vec<_>>(),
            [255, 45]
        );
    }

    #[test]
    fn dns_3_changes_become_visible_after_the_propagation_delay_in_order() {
        let mut dns = core();
        dns.set_propagation_delay(Duration::from_secs(300));
        let zone = dns.create_zone(t(0), "example.com").expect("zone");
        let rec = dns
            .create_record(t(0), &zone.id, txt("_v", "one"))
            .expect("record");
        // The provider view has it at once; DNS does not yet (not even the zone).
        assert_eq!(
            dns.records(&zone.id, &RecordFilter::default())
                .expect("list")
                .len(),
            1
        );
        assert_eq!(
            dns.resolve("_v.example.com", QueryType::Txt).rcode,
            Rcode::Refused
        );
        assert_eq!(dns.next_publication(), Some(t(300)));

        // Shorten the delay, then change the record: the change still lands after the create.
        dns.set_propagation_delay(Duration::from_secs(10));
        dns.patch_record(
            t(20),
            &zone.id,
            &rec.id,
            RecordPatch {
                content: Some("two".into()),
                ..RecordPatch::default()
            },
        )
        .expect("patch");
        assert_eq!(dns.publish_due(t(299)), 0);
        assert_eq!(dns.publish_due(t(300)), 3);
        assert_eq!(
            txt_answers(&dns.resolve("_v.example.com", QueryType::Txt)),
            vec![vec![b"two".to_vec()]]
        );

        dns.delete_record(t(400), &zone.id, &rec.id)
            .expect("delete");
        assert_eq!(
            dns.resolve("_v.example.com", QueryType::Txt).rcode,
            Rcode::NoError
        );
        dns.publish_due(t(410));
        assert_eq!(
            dns.resolve("_v.example.com", QueryType::Txt).rcode,
            Rcode::NxDomain
        );
    }

    #[test]
    fn apex_answers_soa_and_ns_and_empty_non_terminals_are_nodata() {
        let mut dns = core();
        let zone = dns.create_zone(t(0), "example.com").expect("zone");
        dns.create_record(t(0), &zone.id, input("A", "a.b", "192.0.2.1"))
            .expect("record");
        let soa = dns.resolve("example.com", QueryType::Soa);
        assert!(matches!(
            soa.answers[0].data,
            RData::Soa(Soa { serial: 2, .. })
        ));
        assert_eq!(dns.resolve("example.com", QueryType::Ns).answers.len(), 2);
        let ent = dns.resolve("b.example.com", QueryType::A);
        assert_eq!((ent.rcode, ent.answers.len()), (Rcode::NoError, 0));
        assert_eq!(ent.authority.len(), 1);
    }

    #[test]
    fn cnames_are_followed_within_our_zones_and_cannot_share_a_name() {
        let mut dns = core();
        let zone = dns.create_zone(t(0), "example.com").expect("zone");
        dns.create_record(t(0), &zone.id, input("CNAME", "www", "Host.example.com."))
            .expect("cname");
        dns.create_record(t(0), &zone.id, input("A", "host", "192.0.2.7"))
            .expect("a");
        dns.create_record(t(0), &zone.id, input("CNAME", "ext", "elsewhere.org"))
            .expect("cname out");
        let answer = dns.resolve("www.example.com", QueryType::A);
        assert_eq!(answer.rcode, Rcode::NoError);
        assert_eq!(
            answer
                .answers
                .iter()
                .map(|r| r.data.clone())
                .collect::<Vec<_>>(),
            vec![
                RData::Cname("host.example.com".into()),
                RData::A(Ipv4Addr::new(192, 0, 2, 7))
            ]
        );
        let out = dns.resolve("ext.example.com", QueryType::A);
        assert_eq!((out.rcode, out.answers.len()), (Rcode::NoError, 1));

        assert_eq!(
            dns.create_record(t(0), &zone.id, txt("www", "x")),
            Err(DnsError::HostHasCname)
        );
        assert_eq!(
            dns.create_record(t(0), &zone.id, input("CNAME", "host", "other.example.com")),
            Err(DnsError::CnameConflict)
        );
    }

    #[test]
    fn invalid_input_is_refused_and_changes_nothing() {
        let mut dns = core();
        let zone = dns.create_zone(t(0), "example.com").expect("zone");
        let before = dns.unpublished_changes();
        let cases = [
            (
                input("MX", "m", "mail"),
                InvalidRecord::UnsupportedType("MX".into()),
            ),
            (input("A", "a", "300.1.1.1"), InvalidRecord::Ipv4),
            (input("AAAA", "a", "1.2.3.4"), InvalidRecord::Ipv6),
            (input("CNAME", "c", "bad name!"), InvalidRecord::CnameTarget),
            (
                input("TXT", "bad name", "x"),
                InvalidRecord::Name("bad name".into()),
            ),
            (
                txt("t", ""),
                InvalidRecord::Txt("TXT content must not be empty"),
            ),
            (
                RecordInput {
                    ttl: Some(30),
                    ..txt("t", "x")
                },
                InvalidRecord::Ttl(30),
            ),
            (
                RecordInput {
                    proxied: Some(true),
                    ..txt("t", "x")
                },
                InvalidRecord::NotProxiable(RecordType::Txt),
            ),
        ];
        for (bad, why) in cases {
            assert_eq!(
                dns.create_record(t(0), &zone.id, bad),
                Err(DnsError::InvalidRecord(why))
            );
        }
        dns.create_record(t(0), &zone.id, txt("dup", "x"))
            .expect("first");
        assert_eq!(
            dns.create_record(t(0), &zone.id, txt("dup", "x")),
            Err(DnsError::IdenticalRecord)
        );
        assert_eq!(
            dns.records(&zone.id, &RecordFilter::default())
                .expect("list")
                .len(),
            1
        );
        assert_eq!(dns.unpublished_changes(), before);
        assert_eq!(
            dns.create_zone(t(0), "example.com"),
            Err(DnsError::ZoneExists("example.com".into()))
        );
        assert_eq!(
            dns.create_zone(t(0), "localhost"),
            Err(DnsError::InvalidZoneName("localhost".into()))
        );
    }

    #[test]
    fn names_are_qualified_like_the_provider_does() {
        assert_eq!(qualify("example.com", "@").as_deref(), Some("example.com"));
        assert_eq!(
            qualify("example.com", "WWW").as_deref(),
            Some("www.example.com")
        );
        assert_eq!(
            qualify("example.com", "a.example.com.").as_deref(),
            Some("a.example.com")
        );
        assert_eq!(
            qualify("example.com", "a.other.org").as_deref(),
            Some("a.other.org.example.com")
        );
        assert_eq!(qualify("example.com", "a..b"), None);
    }

    #[test]
    fn deleting_a_zone_removes_its_records_and_stops_answers() {
        let mut dns = core();
        let zone = dns.create_zone(t(0), "example.com").expect("zone");
        dns.create_record(t(0), &zone.id, txt("x", "y"))
            .expect("record");
        dns.delete_zone(t(1), &zone.id).expect("delete");
        assert_eq!(
            dns.resolve("x.example.com", QueryType::Txt).rcode,
            Rcode::Refused
        );
        assert_eq!(dns.zone(&zone.id), Err(DnsError::ZoneNotFound));
        assert_eq!(
            dns.records(&zone.id, &RecordFilter::default())
                .map(|r| r.len()),
            Err(DnsError::ZoneNotFound)
        );
    }

    #[test]
    fn a_record_moved_to_another_name_leaves_the_old_one() {
        let mut dns = core();
        let zone = dns.create_zone(t(0), "example.com").expect("zone");
        let rec = dns
            .create_record(t(0), &zone.id, txt("old", "v"))
            .expect("record");
        dns.replace_record(t(1), &zone.id, &rec.id, txt("new", "v"))
            .expect("replace");
        assert_eq!(
            dns.resolve("old.example.com", QueryType::Txt).rcode,
            Rcode::NxDomain
        );
        assert_eq!(
            txt_answers(&dns.resolve("new.example.com", QueryType::Txt)).len(),
            1
        );
    }
}
