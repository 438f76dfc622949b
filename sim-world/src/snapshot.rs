//! Snapshots of a whole world (issue 14): each service's state document (its domain core and
//! random streams at their positions), and where the clock stood.
//!
//! Pending clock jobs are not saved: they are closures. Every scheduled job is derivable from
//! core state (DNS publications from the propagation queue, seat grants and domain checks
//! from mock-kiro's core, push retries from mock-okta's parked resources), so a restore puts
//! the clock back (dropping every pending job) and each service re-derives its own.
//!
//! On disk ([`WorldSnapshot::encode`], [`WorldSnapshot::write_file`]) a snapshot is one file:
//! the line `kiro-sim-snapshot 1`, a JSON header line (the clock's position, each document's
//! length, the SHA-256 of everything after the header), then the three documents. A file that
//! is not one, is cut short or was changed is refused with [`SnapshotFileError`] saying which;
//! files are written to a temporary name, synced and renamed, so a crash leaves the old file
//! or the new one, never half of one.
//!
//! [`World::snapshot`] first lets mock-okta's push settle (nothing in flight), then holds the
//! clock (no job runs) while it reads the three services. [`World::restore`] parses and checks
//! all three documents before it installs any: a refused snapshot changes nothing.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use sim_core::clock::ClockPosition;
use sim_core::state::StateError;

use crate::World;

/// A world's whole state at one moment. Cheap to clone.
#[derive(Clone, Debug)]
pub struct WorldSnapshot {
    /// Where the clock stood.
    pub clock: ClockPosition,
    /// mock-dns's state document.
    pub dns: Arc<[u8]>,
    /// mock-okta's state document.
    pub okta: Arc<[u8]>,
    /// mock-kiro's state document.
    pub kiro: Arc<[u8]>,
}

impl WorldSnapshot {
    /// The world's time when taken.
    pub fn taken_at(&self) -> SystemTime {
        self.clock.now
    }

    /// The size of the three state documents, in bytes.
    pub fn len(&self) -> usize {
        self.dns.len() + self.okta.len() + self.kiro.len()
    }

    /// Whether the snapshot holds nothing (never, for one a world took).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The first line of a snapshot file.
const MAGIC: &[u8] = b"kiro-sim-snapshot 1\n";

/// A snapshot file's header line.
#[derive(serde::Serialize, serde::Deserialize)]
struct FileHeader {
    clock: ClockPosition,
    dns: usize,
    okta: usize,
    kiro: usize,
    /// SHA-256 of the three documents, hex.
    sha256: String,
    /// What the writer named this file by (a persistent sandbox's checkpoint: the tag of the
    /// journal record that saved it), if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tag: Option<String>,
}

/// Why a snapshot file was refused.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotFileError {
    /// It could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// It does not start with `kiro-sim-snapshot 1`.
    #[error("not a kiro-sim snapshot file (version 1)")]
    NotASnapshot,
    /// Its header line does not parse.
    #[error("the snapshot header does not parse: {0}")]
    Header(String),
    /// It is shorter or longer than its header says.
    #[error(
        "the snapshot is truncated or padded: {expected} bytes of state expected, {found} found"
    )]
    Length {
        /// What the header says.
        expected: usize,
        /// What the file holds.
        found: usize,
    },
    /// Its content does not match its checksum.
    #[error("the snapshot is corrupt: its SHA-256 does not match the header's")]
    Checksum,
}

fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for part in parts {
        ctx.update(part);
    }
    ctx.finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl WorldSnapshot {
    /// The snapshot as one file's bytes (see the module documentation).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len() + 256);
        out.extend_from_slice(&self.encode_head(None));
        out.extend_from_slice(&self.dns);
        out.extend_from_slice(&self.okta);
        out.extend_from_slice(&self.kiro);
        out
    }

    /// The file's first two lines: the magic line and the header (lengths, checksum).
    fn encode_head(&self, tag: Option<&str>) -> Vec<u8> {
        let header = FileHeader {
            clock: self.clock,
            dns: self.dns.len(),
            okta: self.okta.len(),
            kiro: self.kiro.len(),
            sha256: sha256_hex(&[&self.dns, &self.okta, &self.kiro]),
            tag: tag.map(str::to_string),
        };
        let mut out = MAGIC.to_vec();
        // A struct of numbers and strings always serialises.
        out.extend_from_slice(&serde_json::to_vec(&header).unwrap_or_default());
        out.push(b'\n');
        out
    }

    /// Reads [`WorldSnapshot::encode`]'s bytes, checking length and checksum (the documents
    /// themselves are checked by [`World::restore`]).
    pub fn decode(bytes: &[u8]) -> Result<WorldSnapshot, SnapshotFileError> {
        let rest = bytes
            .strip_prefix(MAGIC)
            .ok_or(SnapshotFileError::NotASnapshot)?;
        let end = rest
            .iter()
            .position(|b| *b == b'\n')
            .ok_or_else(|| SnapshotFileError::Header("no end of line".into()))?;
        let header: FileHeader = serde_json::from_slice(&rest[..end])
            .map_err(|e| SnapshotFileError::Header(e.to_string()))?;
        let body = &rest[end + 1..];
        let expected = header
            .dns
            .checked_add(header.okta)
            .and_then(|n| n.checked_add(header.kiro))
            .ok_or_else(|| SnapshotFileError::Header("lengths overflow".into()))?;
        if body.len() != expected {
            return Err(SnapshotFileError::Length {
                expected,
                found: body.len(),
            });
        }
        if sha256_hex(&[body]) != header.sha256 {
            return Err(SnapshotFileError::Checksum);
        }
        let (dns, rest) = body.split_at(header.dns);
        let (okta, kiro) = rest.split_at(header.okta);
        Ok(WorldSnapshot {
            clock: header.clock,
            dns: dns.into(),
            okta: okta.into(),
            kiro: kiro.into(),
        })
    }

    /// Writes the snapshot to `path` atomically: a temporary file beside it, synced, renamed
    /// over `path`.
    pub fn write_file(&self, path: &Path) -> Result<(), SnapshotFileError> {
        self.write_file_tagged(path, None)
    }

    /// [`WorldSnapshot::write_file`], with `tag` in the header ([`WorldSnapshot::read_tag`]).
    pub fn write_file_tagged(
        &self,
        path: &Path,
        tag: Option<&str>,
    ) -> Result<(), SnapshotFileError> {
        let io = |source| SnapshotFileError::Io {
            path: path.display().to_string(),
            source,
        };
        let tmp = path.with_extension("tmp");
        let mut file = std::fs::File::create(&tmp).map_err(io)?;
        // The parts one after the other: `encode` would copy the whole snapshot first.
        file.write_all(&self.encode_head(tag)).map_err(io)?;
        for part in [&self.dns, &self.okta, &self.kiro] {
            file.write_all(part).map_err(io)?;
        }
        file.sync_all().map_err(io)?;
        drop(file);
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// The tag in the header of the snapshot file at `path` ([`WorldSnapshot::write_file_tagged`]),
    /// reading only its first two lines; `None` if it has none, or is missing or not one.
    pub fn read_tag(path: &Path) -> Option<String> {
        use std::io::BufRead;
        let file = std::fs::File::open(path).ok()?;
        let mut lines = std::io::BufReader::new(file).split(b'\n');
        let magic = lines.next()?.ok()?;
        if magic.as_slice() != &MAGIC[..MAGIC.len() - 1] {
            return None;
        }
        let header: FileHeader = serde_json::from_slice(&lines.next()?.ok()?).ok()?;
        header.tag
    }

    /// Reads a snapshot file written by [`WorldSnapshot::write_file`].
    pub fn read_file(path: &Path) -> Result<WorldSnapshot, SnapshotFileError> {
        let bytes = std::fs::read(path).map_err(|source| SnapshotFileError::Io {
            path: path.display().to_string(),
            source,
        })?;
        WorldSnapshot::decode(&bytes)
    }
}

/// Why a snapshot was refused (nothing was changed).
#[derive(Debug, thiserror::Error)]
#[error("{service}: {source}")]
pub struct RestoreError {
    /// Which service's document.
    pub service: &'static str,
    /// What is wrong with it.
    pub source: StateError,
}

impl World {
    /// Takes a snapshot: lets the SCIM push settle, then reads every service while the clock
    /// is held.
    pub async fn snapshot(&self) -> WorldSnapshot {
        self.okta().settle_push().await;
        let _hold = self.clock().hold().await;
        // Okta's document is most of the bytes: it is written on a second thread meanwhile.
        let (okta, dns, kiro) = std::thread::scope(|scope| {
            let okta = scope.spawn(|| self.okta().export_state());
            let dns = self.dns().export_state();
            let kiro = self.kiro().export_state();
            (okta.join(), dns, kiro)
        });
        let okta = match okta {
            Ok(okta) => okta,
            // Exporting serialises plain data under a lock; a panic there is a bug to surface.
            Err(panic) => std::panic::resume_unwind(panic),
        };
        WorldSnapshot {
            clock: self.clock().position(),
            dns: dns.into(),
            okta: okta.into(),
            kiro: kiro.into(),
        }
    }

    /// Puts the world back to `snapshot`: checks all three documents, lets a running push
    /// finish, puts the clock back (dropping pending jobs), installs each service's state,
    /// which re-derives its jobs. Requests should be held meanwhile (a sandbox's gate does).
    pub async fn restore(&self, snapshot: &WorldSnapshot) -> Result<(), RestoreError> {
        let started = std::time::Instant::now();
        let refused = |service| move |source| RestoreError { service, source };
        // Okta's document is most of the bytes: it is parsed on a second thread meanwhile.
        let (okta, dns, kiro) = std::thread::scope(|scope| {
            let okta = scope.spawn(|| {
                let started = std::time::Instant::now();
                (
                    self.okta().prepare_state_reusing(&snapshot.okta),
                    started.elapsed(),
                )
            });
            let dns = mock_dns::prepare_state(&snapshot.dns);
            let kiro = mock_kiro::prepare_state(&snapshot.kiro);
            let others = started.elapsed();
            (okta.join(), dns, (kiro, others))
        });
        let (okta, okta_took) = match okta {
            Ok(okta) => okta,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        let (kiro, others_took) = kiro;
        tracing::debug!(
            ?okta_took,
            ?others_took,
            okta_bytes = snapshot.okta.len(),
            kiro_bytes = snapshot.kiro.len(),
            "state documents parsed"
        );
        let dns = dns.map_err(refused("mock-dns"))?;
        let okta = okta.map_err(refused("mock-okta"))?;
        let kiro = kiro.map_err(refused("mock-kiro"))?;
        let prepared = started.elapsed();
        self.okta().settle_push().await;
        self.clock().restore(snapshot.clock).await;
        let settled = started.elapsed();
        self.dns().install_state(dns);
        self.okta().install_state(okta);
        self.kiro().install_state(kiro);
        tracing::debug!(?prepared, ?settled, took = ?started.elapsed(), "world restored");
        Ok(())
    }
}
