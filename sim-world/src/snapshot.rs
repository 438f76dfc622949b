//! Snapshots of a whole world (issue 14): each service's state document (its domain core and
//! random streams at their positions), and where the clock stood.
//!
//! Pending clock jobs are not saved: they are closures. Every scheduled job is derivable from
//! core state (DNS publications from the propagation queue, seat grants and domain checks
//! from mock-kiro's core, push retries from mock-okta's parked resources), so a restore puts
//! the clock back (dropping every pending job) and each service re-derives its own.
//!
//! [`World::snapshot`] first lets mock-okta's push settle (nothing in flight), then holds the
//! clock (no job runs) while it reads the three services. [`World::restore`] parses and checks
//! all three documents before it installs any: a refused snapshot changes nothing.

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
        WorldSnapshot {
            clock: self.clock().position(),
            dns: self.dns().export_state().into(),
            okta: self.okta().export_state().into(),
            kiro: self.kiro().export_state().into(),
        }
    }

    /// Puts the world back to `snapshot`: checks all three documents, lets a running push
    /// finish, puts the clock back (dropping pending jobs), installs each service's state,
    /// which re-derives its jobs. Requests should be held meanwhile (a sandbox's gate does).
    pub async fn restore(&self, snapshot: &WorldSnapshot) -> Result<(), RestoreError> {
        let refused = |service| move |source| RestoreError { service, source };
        let dns = mock_dns::prepare_state(&snapshot.dns).map_err(refused("mock-dns"))?;
        let okta = mock_okta::prepare_state(&snapshot.okta).map_err(refused("mock-okta"))?;
        let kiro = mock_kiro::prepare_state(&snapshot.kiro).map_err(refused("mock-kiro"))?;
        self.okta().settle_push().await;
        self.clock().restore(snapshot.clock).await;
        self.dns().install_state(dns);
        self.okta().install_state(okta);
        self.kiro().install_state(kiro);
        Ok(())
    }
}
