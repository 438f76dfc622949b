//! State that survives restarts (`kiro-sim up --state DIR`, issue 14): a directory holding a
//! world's settings, snapshots and a journal of the requests applied since the latest one.
//!
//! **Why a request journal plus snapshots** (rather than SQLite or redb): a world is
//! deterministic. Given its settings (seed, epoch, ports), a snapshot (every service's state
//! with its random streams at their positions, and the clock) and the outside requests applied
//! since, in their order, replaying those requests rebuilds exactly the same state, the same
//! next ids and tokens included. So the only thing written per request is the request itself,
//! appended to a file with one `write` (tens of microseconds), instead of mapping three
//! services' cores onto tables. Snapshots (the existing [`WorldSnapshot`] files, SHA-256
//! checked, written atomically) bound how much a restart replays.
//!
//! The directory:
//!
//! - `world.json`: the settings the world was first started with ([`Settings`]) and its ready
//!   fields (URLs, tokens, the setup's values); a restart takes these, whatever the flags say.
//! - `baseline.snap`: the world right after start and setup, what `POST /_sim/reset` restores.
//! - `snapshot-NNNNNNNN.snap`: the state after every request of the journals numbered below N;
//!   only the highest is kept.
//! - `journal-NNNNNNNN.log`: the requests applied after snapshot N (and, if a later snapshot was
//!   never finished, those of the next journals too), each a record: length, CRC-32, then the
//!   request (which service, method, URI, headers, body) and the status it got.
//! - `checkpoints/NAME.snap`: the named checkpoints (`/_sim/snapshots`).
//!
//! **Every change is written before its response is sent** (the sandbox's front appends the
//! record, then answers), so a process killed at any moment (`kill -9`) loses nothing it
//! acknowledged: the kernel has the bytes. (Records are not fsynced one by one: a power cut
//! may lose the last ones; snapshots and `world.json` are synced.) A record cut short at the
//! very end of the last journal is what a kill in the middle of an append leaves: its request
//! was never answered, so it is dropped, with a warning. Anything else that does not read
//! back (a checksum that does not match, a record cut short before the end, a snapshot that is
//! truncated or changed, a `world.json` that does not parse) is refused with an error naming
//! the file and the place: the world is not started from state it cannot trust.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use mock_kiro::core::seats::SyncDelay;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sim_core::clock::ClockMode;
use sim_core::seed::Seed;

use crate::snapshot::{SnapshotFileError, WorldSnapshot};
use crate::{Ports, WorldConfig};

/// The first line of a journal file.
const JOURNAL_MAGIC: &[u8] = b"kiro-sim-journal 1\n";
/// The format version of `world.json` and the directory's files. 2: Okta's SCIM push runs
/// where the journal says (a journaled `POST /_sim/okta/provisioning/settle`); 1 ran it after
/// every Okta change, and its journals replay differently.
const SETTINGS_VERSION: u32 = 2;
/// The largest record a journal holds (a state import is the largest request there is).
pub const MAX_RECORD_BYTES: usize = sim_core::state::MAX_STATE_BYTES + 64 * 1024;

/// Why a state directory could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StateDirError {
    /// A file could not be read, written or listed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// `world.json` does not parse or is of another version.
    #[error("{path}: {message}")]
    Settings {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A snapshot file is truncated, corrupt or not a snapshot.
    #[error("{path}: {source}")]
    Snapshot {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: SnapshotFileError,
    },
    /// A journal record does not read back.
    #[error("{path}: record {index} at byte {offset}: {message}")]
    Journal {
        /// The file.
        path: PathBuf,
        /// The record's number in the file, from 0.
        index: usize,
        /// Where it starts.
        offset: u64,
        /// What is wrong.
        message: String,
    },
    /// The directory holds snapshots or journals but no `world.json`, or the other way round.
    #[error("{path}: {message}")]
    Incomplete {
        /// The directory.
        path: PathBuf,
        /// What is missing.
        message: String,
    },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> StateDirError + '_ {
    move |source| StateDirError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The settings a world was first started with: what a restart must start again, so that the
/// snapshot and journal replay onto the same world (same seed and epoch; same ports, since
/// URLs such as Kiro's SCIM base URL are inside the state).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// The seed.
    pub seed: u64,
    /// The world's time at start.
    pub epoch: SystemTime,
    /// The bind address.
    pub bind: IpAddr,
    /// The bound ports (never 0).
    pub dns_port: u16,
    /// The DNS provider API's port.
    pub dns_api_port: u16,
    /// The Okta org's port.
    pub okta_port: u16,
    /// The Kiro service's port.
    pub kiro_port: u16,
    /// DNS zones created at start.
    pub zones: Vec<String>,
    /// DNS propagation delay.
    pub dns_propagation: Duration,
    /// Kiro's group sync delay.
    pub sync_delay: SyncDelay,
    /// Kiro's domain-check interval.
    pub domain_check_interval: Duration,
    /// Okta's rate limit per minute.
    pub okta_rate_limit: u32,
    /// Okta's SCIM push concurrency.
    pub okta_push_concurrency: usize,
    /// Wall timeout of the services' outbound calls.
    pub outbound_timeout: Duration,
    /// Wall limit of one clock job.
    pub job_wall_limit: Duration,
    /// The host put in URLs.
    pub advertised_host: Option<String>,
    /// Whether the documented setup was applied.
    pub documented_setup: bool,
}

impl Settings {
    /// The settings of `config` with the ports actually bound.
    pub fn of(
        config: &WorldConfig,
        ports: Ports,
        advertised_host: Option<&str>,
        documented_setup: bool,
    ) -> Settings {
        Settings {
            seed: config.seed.0,
            epoch: config.epoch,
            bind: config.bind,
            dns_port: ports.dns,
            dns_api_port: ports.dns_api,
            okta_port: ports.okta,
            kiro_port: ports.kiro,
            zones: config.zones.clone(),
            dns_propagation: config.dns_propagation,
            sync_delay: config.sync_delay,
            domain_check_interval: config.domain_check_interval,
            okta_rate_limit: config.okta_rate_limit,
            okta_push_concurrency: config.okta_push_concurrency,
            outbound_timeout: config.outbound_timeout,
            job_wall_limit: config.job_wall_limit,
            advertised_host: advertised_host.map(str::to_string),
            documented_setup,
        }
    }

    /// `config` with these settings in place of its own (keys, mounts and TLS are left).
    pub fn apply(&self, mut config: WorldConfig) -> WorldConfig {
        config.seed = Seed(self.seed);
        config.clock = ClockMode::Virtual;
        config.epoch = self.epoch;
        config.bind = self.bind;
        config.ports = Ports {
            dns: self.dns_port,
            dns_api: self.dns_api_port,
            okta: self.okta_port,
            kiro: self.kiro_port,
        };
        config.zones = self.zones.clone();
        config.dns_propagation = self.dns_propagation;
        config.sync_delay = self.sync_delay;
        config.domain_check_interval = self.domain_check_interval;
        config.okta_rate_limit = self.okta_rate_limit;
        config.okta_push_concurrency = self.okta_push_concurrency;
        config.outbound_timeout = self.outbound_timeout;
        config.job_wall_limit = self.job_wall_limit;
        config
    }
}

/// `world.json`.
#[derive(Debug, Serialize, Deserialize)]
struct WorldFile {
    kind: String,
    version: u32,
    settings: Settings,
    ready: Map<String, Value>,
}

const WORLD_KIND: &str = "kiro-sim/state-dir";

/// Which of the world's HTTP services a request was sent to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Front {
    /// The DNS provider API.
    DnsApi,
    /// The Okta org.
    Okta,
    /// The Kiro service.
    Kiro,
}

/// One applied request, as the journal keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The service it was sent to.
    pub front: Front,
    /// `GET`, `POST`, …
    pub method: String,
    /// Path and query.
    pub uri: String,
    /// Every header but the connection's own, in order; values as bytes.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body.
    pub body: Vec<u8>,
    /// The status it was answered with.
    pub status: u16,
}

#[derive(Serialize, Deserialize)]
struct RecordHead {
    front: Front,
    method: String,
    uri: String,
    headers: Vec<(String, HeaderBytes)>,
    status: u16,
}

/// A header value: a string when it is one (nearly always), else its bytes.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum HeaderBytes {
    Text(String),
    Bytes(Vec<u8>),
}

impl Record {
    /// The record's bytes: length (u32 LE) and CRC-32 (u32 LE) of the payload, then the
    /// payload: the head's JSON length (u32 LE), the head as JSON, the body.
    pub fn encode(&self) -> Vec<u8> {
        let head = RecordHead {
            front: self.front,
            method: self.method.clone(),
            uri: self.uri.clone(),
            headers: self
                .headers
                .iter()
                .map(|(name, value)| {
                    let value = match std::str::from_utf8(value) {
                        Ok(text) => HeaderBytes::Text(text.to_string()),
                        Err(_) => HeaderBytes::Bytes(value.clone()),
                    };
                    (name.clone(), value)
                })
                .collect(),
            status: self.status,
        };
        // Plain data with string keys: serialising it cannot fail.
        let head = serde_json::to_vec(&head).unwrap_or_default();
        let mut payload = Vec::with_capacity(4 + head.len() + self.body.len());
        payload.extend_from_slice(&len32(head.len()).to_le_bytes());
        payload.extend_from_slice(&head);
        payload.extend_from_slice(&self.body);
        let mut out = Vec::with_capacity(8 + payload.len());
        out.extend_from_slice(&len32(payload.len()).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        out.extend_from_slice(&payload);
        out
    }

    fn decode_payload(payload: &[u8]) -> Result<Record, String> {
        let head_len = payload
            .get(..4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .ok_or("the payload is shorter than its head's length")?;
        let head = payload
            .get(4..4 + head_len)
            .ok_or("the head is longer than the payload")?;
        let head: RecordHead =
            serde_json::from_slice(head).map_err(|e| format!("the head does not parse: {e}"))?;
        Ok(Record {
            front: head.front,
            method: head.method,
            uri: head.uri,
            headers: head
                .headers
                .into_iter()
                .map(|(name, value)| {
                    let value = match value {
                        HeaderBytes::Text(text) => text.into_bytes(),
                        HeaderBytes::Bytes(bytes) => bytes,
                    };
                    (name, value)
                })
                .collect(),
            body: payload[4 + head_len..].to_vec(),
            status: head.status,
        })
    }
}

/// Lengths here are bounded by [`MAX_RECORD_BYTES`], far below `u32::MAX`.
fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A journal read back: its records, and where the last complete one ends.
#[derive(Debug)]
struct ReadJournal {
    records: Vec<Record>,
    good_len: u64,
    torn: u64,
}

/// Reads a journal. A record cut short at the very end is reported in `torn` (the caller
/// decides whether that is allowed); any other damage is an error.
fn read_journal(path: &Path) -> Result<ReadJournal, StateDirError> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(io_error(path))?;
    let damaged = |index, offset: usize, message: String| StateDirError::Journal {
        path: path.to_path_buf(),
        index,
        offset: offset as u64,
        message,
    };
    if !bytes.starts_with(JOURNAL_MAGIC) {
        if JOURNAL_MAGIC.starts_with(&bytes) {
            // Created, and killed before its first line was whole: no record in it.
            return Ok(ReadJournal {
                records: Vec::new(),
                good_len: 0,
                torn: bytes.len() as u64,
            });
        }
        return Err(damaged(
            0,
            0,
            "not a kiro-sim journal (its first line is not `kiro-sim-journal 1`)".into(),
        ));
    }
    let mut records = Vec::new();
    let mut at = JOURNAL_MAGIC.len();
    loop {
        let rest = &bytes[at..];
        if rest.is_empty() {
            return Ok(ReadJournal {
                records,
                good_len: at as u64,
                torn: 0,
            });
        }
        let index = records.len();
        let torn = || ReadJournal {
            records: Vec::new(),
            good_len: at as u64,
            torn: rest.len() as u64,
        };
        if rest.len() < 8 {
            let cut = torn();
            return Ok(ReadJournal { records, ..cut });
        }
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let crc = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
        if len > MAX_RECORD_BYTES {
            return Err(damaged(
                index,
                at,
                format!("its length {len} is beyond the largest record ({MAX_RECORD_BYTES})"),
            ));
        }
        let Some(payload) = rest.get(8..8 + len) else {
            let cut = torn();
            return Ok(ReadJournal { records, ..cut });
        };
        if crc32fast::hash(payload) != crc {
            return Err(damaged(
                index,
                at,
                "its checksum does not match (the file was changed or damaged)".into(),
            ));
        }
        let record = Record::decode_payload(payload).map_err(|m| damaged(index, at, m))?;
        records.push(record);
        at += 8 + len;
    }
}

/// What a state directory holds, read and checked.
#[derive(Debug)]
pub enum Opened {
    /// Nothing yet: start a world and [`StateDir::create`] the state.
    Fresh(StateDir),
    /// A world to continue.
    Resume(Box<Resume>),
}

/// A world to continue: start it with `settings`, restore `snapshot`, apply `records` in order.
#[derive(Debug)]
pub struct Resume {
    /// The settings it was first started with.
    pub settings: Settings,
    /// Its ready fields.
    pub ready: Map<String, Value>,
    /// What a reset restores.
    pub baseline: WorldSnapshot,
    /// The latest snapshot.
    pub snapshot: WorldSnapshot,
    /// The requests applied since, in order.
    pub records: Vec<Record>,
    /// Named checkpoints.
    pub checkpoints: Vec<(String, WorldSnapshot)>,
    /// Bytes of an unfinished last record that were dropped (0 normally).
    pub dropped_bytes: u64,
    /// The directory, open for appending.
    pub dir: StateDir,
}

/// An open state directory: appends records, writes snapshots and checkpoints.
#[derive(Debug)]
pub struct StateDir {
    dir: PathBuf,
    /// The journal being appended to, and its number.
    journal: Option<(u64, File)>,
    /// Records appended since the latest snapshot.
    since_snapshot: u64,
}

fn snapshot_path(dir: &Path, generation: u64) -> PathBuf {
    dir.join(format!("snapshot-{generation:08}.snap"))
}

fn journal_path(dir: &Path, generation: u64) -> PathBuf {
    dir.join(format!("journal-{generation:08}.log"))
}

/// The generations of the files named `{prefix}NNNNNNNN{suffix}` in `dir`, ascending.
fn generations(dir: &Path, prefix: &str, suffix: &str) -> Result<Vec<u64>, StateDirError> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_error(dir))? {
        let entry = entry.map_err(io_error(dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(n) = name
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(suffix))
            .and_then(|n| n.parse::<u64>().ok())
        {
            found.push(n);
        }
    }
    found.sort_unstable();
    Ok(found)
}

fn sync_dir(dir: &Path) -> Result<(), StateDirError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error(dir))
}

impl StateDir {
    /// Opens `dir` (creating it if missing) and reads what it holds.
    pub fn open(dir: &Path) -> Result<Opened, StateDirError> {
        fs::create_dir_all(dir).map_err(io_error(dir))?;
        let dir = dir.to_path_buf();
        let world_path = dir.join("world.json");
        let snapshots = generations(&dir, "snapshot-", ".snap")?;
        let journals = generations(&dir, "journal-", ".log")?;
        if !world_path.exists() {
            if !snapshots.is_empty() || !journals.is_empty() {
                return Err(StateDirError::Incomplete {
                    path: dir,
                    message: "holds snapshots or journals but no world.json: \
                              not a state directory kiro-sim can continue"
                        .into(),
                });
            }
            return Ok(Opened::Fresh(StateDir {
                dir,
                journal: None,
                since_snapshot: 0,
            }));
        }
        let text = fs::read(&world_path).map_err(io_error(&world_path))?;
        let world: WorldFile =
            serde_json::from_slice(&text).map_err(|e| StateDirError::Settings {
                path: world_path.clone(),
                message: format!("does not parse: {e}"),
            })?;
        if world.kind != WORLD_KIND || world.version != SETTINGS_VERSION {
            return Err(StateDirError::Settings {
                path: world_path,
                message: format!(
                    "is `{}` version {}, expected `{WORLD_KIND}` version {SETTINGS_VERSION}",
                    world.kind, world.version
                ),
            });
        }
        let read_snapshot = |path: PathBuf| {
            WorldSnapshot::read_file(&path)
                .map_err(|source| StateDirError::Snapshot { path, source })
        };
        let baseline = read_snapshot(dir.join("baseline.snap"))?;
        let Some(&latest) = snapshots.last() else {
            return Err(StateDirError::Incomplete {
                path: dir,
                message: "has world.json but no snapshot-*.snap".into(),
            });
        };
        let snapshot = read_snapshot(snapshot_path(&dir, latest))?;
        // Older snapshots and journals are folded into the latest snapshot: a compaction that
        // was interrupted left them; remove them now.
        for &old in snapshots.iter().filter(|&&g| g < latest) {
            let _ = fs::remove_file(snapshot_path(&dir, old));
        }
        for &old in journals.iter().filter(|&&g| g < latest) {
            let _ = fs::remove_file(journal_path(&dir, old));
        }
        let replay: Vec<u64> = journals.into_iter().filter(|&g| g >= latest).collect();
        let mut records = Vec::new();
        let mut dropped_bytes = 0;
        for (i, &generation) in replay.iter().enumerate() {
            let path = journal_path(&dir, generation);
            let read = read_journal(&path)?;
            if read.torn > 0 {
                if i + 1 != replay.len() {
                    return Err(StateDirError::Journal {
                        path,
                        index: read.records.len(),
                        offset: read.good_len,
                        message: "cut short, and a later journal follows it".into(),
                    });
                }
                // The last append of a killed process: never answered. Cut it off.
                let file = OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(io_error(&path))?;
                file.set_len(read.good_len).map_err(io_error(&path))?;
                file.sync_all().map_err(io_error(&path))?;
                dropped_bytes = read.torn;
            }
            records.extend(read.records);
        }
        let checkpoints_dir = dir.join("checkpoints");
        let mut checkpoints = Vec::new();
        if checkpoints_dir.is_dir() {
            let mut names = Vec::new();
            for entry in fs::read_dir(&checkpoints_dir).map_err(io_error(&checkpoints_dir))? {
                let entry = entry.map_err(io_error(&checkpoints_dir))?;
                let name = entry.file_name();
                if let Some(name) = name.to_str().and_then(|n| n.strip_suffix(".snap")) {
                    names.push(name.to_string());
                }
            }
            names.sort();
            for name in names {
                let snapshot = read_snapshot(checkpoints_dir.join(format!("{name}.snap")))?;
                checkpoints.push((name, snapshot));
            }
        }
        // New records go to the last journal read (its torn tail cut off), or a new one.
        let generation = replay.last().copied().unwrap_or(latest);
        let mut state = StateDir {
            dir,
            journal: None,
            since_snapshot: records.len() as u64,
        };
        state.open_journal(generation)?;
        Ok(Opened::Resume(Box::new(Resume {
            settings: world.settings,
            ready: world.ready,
            baseline,
            snapshot,
            records,
            checkpoints,
            dropped_bytes,
            dir: state,
        })))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Records appended since the latest snapshot.
    pub fn since_snapshot(&self) -> u64 {
        self.since_snapshot
    }

    /// Opens journal `generation` for appending, writing its first line if it is new.
    fn open_journal(&mut self, generation: u64) -> Result<(), StateDirError> {
        let path = journal_path(&self.dir, generation);
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io_error(&path))?;
        let len = file.metadata().map_err(io_error(&path))?.len();
        if len == 0 {
            file.write_all(JOURNAL_MAGIC).map_err(io_error(&path))?;
            file.sync_all().map_err(io_error(&path))?;
            sync_dir(&self.dir)?;
        }
        self.journal = Some((generation, file));
        Ok(())
    }

    /// Writes a fresh directory's files: the settings and ready fields, the baseline (also the
    /// first snapshot), an empty journal.
    pub fn create(
        &mut self,
        settings: &Settings,
        ready: &Map<String, Value>,
        baseline: &WorldSnapshot,
    ) -> Result<(), StateDirError> {
        let path = self.dir.join("baseline.snap");
        baseline
            .write_file(&path)
            .map_err(|source| StateDirError::Snapshot { path, source })?;
        self.write_ready(settings, ready)?;
        self.snapshot(baseline)
    }

    /// Rewrites `world.json` (the settings and the ready fields), atomically.
    pub fn write_ready(
        &self,
        settings: &Settings,
        ready: &Map<String, Value>,
    ) -> Result<(), StateDirError> {
        let file = WorldFile {
            kind: WORLD_KIND.into(),
            version: SETTINGS_VERSION,
            settings: settings.clone(),
            ready: ready.clone(),
        };
        // Plain data: serialising cannot fail.
        let bytes = serde_json::to_vec_pretty(&file).unwrap_or_default();
        write_atomically(&self.dir.join("world.json"), &bytes)
    }

    /// Appends one record. When this returns, the bytes are the kernel's: a killed process
    /// does not lose them.
    pub fn append(&mut self, record: &Record) -> Result<(), StateDirError> {
        let Some((generation, file)) = self.journal.as_mut() else {
            return Err(StateDirError::Incomplete {
                path: self.dir.clone(),
                message: "no journal open".into(),
            });
        };
        let bytes = record.encode();
        if let Err(source) = file.write_all(&bytes) {
            return Err(StateDirError::Io {
                path: journal_path(&self.dir, *generation),
                source,
            });
        }
        self.since_snapshot += 1;
        Ok(())
    }

    /// Makes `snapshot` (the state after every record appended so far) the latest: starts the
    /// next generation's journal, writes the snapshot as that generation, removes the older
    /// files.
    pub fn snapshot(&mut self, snapshot: &WorldSnapshot) -> Result<(), StateDirError> {
        self.rotate()?.write(snapshot)
    }

    /// The first half of a snapshot, for one written off the request path: starts the next
    /// generation's journal, so records appended from now on follow the snapshot to be written
    /// by [`PendingSnapshot::write`] (of the state after every record appended so far). Until
    /// that file is complete, a restart replays the previous snapshot and both journals.
    pub fn rotate(&mut self) -> Result<PendingSnapshot, StateDirError> {
        let next = self.journal.as_ref().map_or(1, |(g, _)| g + 1);
        self.open_journal(next)?;
        self.since_snapshot = 0;
        Ok(PendingSnapshot {
            dir: self.dir.clone(),
            generation: next,
        })
    }

    /// Makes a snapshot file already in the directory (`baseline.snap`, or `checkpoints/NAME.snap`
    /// for [`StateDir::checkpoint_path`]) the latest snapshot, after the world was restored
    /// from it: linked (copied where links do not work), not written again.
    pub fn snapshot_from(&mut self, source: &Path) -> Result<(), StateDirError> {
        let next = self.journal.as_ref().map_or(1, |(g, _)| g + 1);
        let path = snapshot_path(&self.dir, next);
        let _ = fs::remove_file(&path);
        if fs::hard_link(source, &path).is_err() {
            fs::copy(source, &path).map_err(io_error(&path))?;
        }
        sync_dir(&self.dir)?;
        self.open_journal(next)?;
        self.remove_before(next)
    }

    /// The file of the baseline.
    pub fn baseline_path(&self) -> PathBuf {
        self.dir.join("baseline.snap")
    }

    /// The file of checkpoint `name`.
    pub fn checkpoint_path(&self, name: &str) -> PathBuf {
        self.dir.join("checkpoints").join(format!("{name}.snap"))
    }

    /// Removes the snapshots and journals older than generation `next`.
    fn remove_before(&self, next: u64) -> Result<(), StateDirError> {
        remove_before(&self.dir, next)
    }

    /// Checkpoint `name`'s file, to be written (by [`CheckpointFile::write`], on any thread)
    /// with `tag` in its header: the tag of the journal record that saved it, so a restart can
    /// tell whether the file holds that save ([`StateDir::checkpoint_tag`]).
    pub fn checkpoint_file(&self, name: &str, tag: Option<&str>) -> CheckpointFile {
        CheckpointFile {
            dir: self.dir.join("checkpoints"),
            path: self.checkpoint_path(name),
            tag: tag.map(str::to_string),
        }
    }

    /// The tag in checkpoint `name`'s file, if it has one (and the file exists).
    pub fn checkpoint_tag(&self, name: &str) -> Option<String> {
        WorldSnapshot::read_tag(&self.checkpoint_path(name))
    }
}

/// A checkpoint's file still to be written ([`StateDir::checkpoint_file`]).
#[derive(Debug)]
#[must_use = "the checkpoint is not written until `write` is called"]
pub struct CheckpointFile {
    dir: PathBuf,
    path: PathBuf,
    tag: Option<String>,
}

impl CheckpointFile {
    /// Writes it (atomically: complete or absent). Blocking file I/O: may run on any thread.
    pub fn write(self, snapshot: &WorldSnapshot) -> Result<(), StateDirError> {
        fs::create_dir_all(&self.dir).map_err(io_error(&self.dir))?;
        snapshot
            .write_file_tagged(&self.path, self.tag.as_deref())
            .map_err(|source| StateDirError::Snapshot {
                path: self.path,
                source,
            })
    }
}

/// A snapshot whose generation's journal is already being appended to ([`StateDir::rotate`]):
/// the file still to be written.
#[derive(Debug)]
#[must_use = "the snapshot is not written until `write` is called"]
pub struct PendingSnapshot {
    dir: PathBuf,
    generation: u64,
}

impl PendingSnapshot {
    /// Writes the snapshot file (atomically: complete or absent), then removes the snapshots
    /// and journals it makes unneeded. Blocking file I/O: may run on any thread.
    pub fn write(self, snapshot: &WorldSnapshot) -> Result<(), StateDirError> {
        let path = snapshot_path(&self.dir, self.generation);
        snapshot
            .write_file(&path)
            .map_err(|source| StateDirError::Snapshot { path, source })?;
        remove_before(&self.dir, self.generation)
    }
}

/// Removes the snapshots and journals in `dir` older than generation `next`.
fn remove_before(dir: &Path, next: u64) -> Result<(), StateDirError> {
    for old in generations(dir, "snapshot-", ".snap")? {
        if old < next {
            let _ = fs::remove_file(snapshot_path(dir, old));
        }
    }
    for old in generations(dir, "journal-", ".log")? {
        if old < next {
            let _ = fs::remove_file(journal_path(dir, old));
        }
    }
    Ok(())
}

/// Writes `bytes` to a temporary name beside `path`, syncs it, renames it over `path`.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), StateDirError> {
    let tmp = path.with_extension("tmp");
    let mut file = File::create(&tmp).map_err(io_error(&tmp))?;
    file.write_all(bytes).map_err(io_error(&tmp))?;
    file.sync_all().map_err(io_error(&tmp))?;
    fs::rename(&tmp, path).map_err(io_error(path))?;
    if let Some(dir) = path.parent() {
        sync_dir(dir)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: u8) -> Record {
        Record {
            front: Front::Okta,
            method: "POST".into(),
            uri: format!("/api/v1/users?n={n}"),
            headers: vec![
                ("authorization".into(), b"SSWS token".to_vec()),
                ("x-odd".into(), vec![0xff, n]),
            ],
            body: vec![n; 100],
            status: 200,
        }
    }

    fn journal_with(dir: &Path, records: &[Record]) -> PathBuf {
        let path = dir.join("journal-00000001.log");
        let mut bytes = JOURNAL_MAGIC.to_vec();
        for r in records {
            bytes.extend(r.encode());
        }
        fs::write(&path, bytes).expect("test io");
        path
    }

    fn tempdir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "kiro-sim-persist-{name}-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .expect("test io")
                .as_nanos()
        ));
        fs::create_dir_all(&dir).expect("test io");
        dir
    }

    #[test]
    fn records_read_back_as_written() {
        let dir = tempdir("roundtrip");
        let records: Vec<Record> = (0..5).map(record).collect();
        let path = journal_with(&dir, &records);
        let read = read_journal(&path).expect("test io");
        assert_eq!(read.records, records);
        assert_eq!(read.torn, 0);
    }

    #[test]
    fn a_record_cut_short_at_the_end_is_reported_as_torn_not_read() {
        let dir = tempdir("torn");
        let records: Vec<Record> = (0..3).map(record).collect();
        let path = journal_with(&dir, &records);
        let full = fs::read(&path).expect("test io");
        for cut in [1, 7, 8, 9, 50] {
            fs::write(&path, &full[..full.len() - cut]).expect("test io");
            let read = read_journal(&path).expect("test io");
            assert_eq!(read.records, records[..2], "cut {cut}");
            assert!(read.torn > 0, "cut {cut}");
        }
    }

    #[test]
    fn a_changed_byte_anywhere_in_a_record_is_refused_with_its_place() {
        let dir = tempdir("corrupt");
        let records: Vec<Record> = (0..3).map(record).collect();
        let path = journal_with(&dir, &records);
        let full = fs::read(&path).expect("test io");
        let first = JOURNAL_MAGIC.len();
        // A byte inside the second record's payload.
        let second = first + records[0].encode().len();
        let mut bad = full.clone();
        bad[second + 20] ^= 0x01;
        fs::write(&path, &bad).expect("test io");
        match read_journal(&path) {
            Err(StateDirError::Journal { index, offset, .. }) => {
                assert_eq!(index, 1);
                assert_eq!(offset, second as u64);
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        let mut bad = full;
        bad[0] = b'X';
        fs::write(&path, &bad).expect("test io");
        assert!(matches!(
            read_journal(&path),
            Err(StateDirError::Journal { index: 0, .. })
        ));
    }
}
