//! Whole-service state documents: what `GET /_sim/<svc>/state` exports and `PUT` imports, and
//! what a world's snapshots are made of.
//!
//! A document is `{"kind": "kiro-sim/<svc>-state", "version": 1, "state": {…}}`: the kind
//! names the service, so one service's state is never loaded into another; the version is the
//! document format's. The state is the service's domain core (its random streams at their
//! positions) plus the little wire-layer data that is not a cache. Pending clock jobs are not
//! in it: every scheduled job is derivable from core state, and an import re-derives them.
//!
//! An import is all or nothing: a body that does not parse, names another kind or version, or
//! is inconsistent is refused with [`StateError`] (`400 {"error":"invalid_state",…}`) and the
//! running state is left as it was.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The largest state document a service's `PUT /_sim/<svc>/state` reads.
pub const MAX_STATE_BYTES: usize = 512 * 1024 * 1024;

/// The format version of state documents.
pub const STATE_VERSION: u32 = 1;

/// A state document.
#[derive(Debug, Serialize, Deserialize)]
pub struct StateDoc<T> {
    /// `kiro-sim/<svc>-state`.
    pub kind: String,
    /// [`STATE_VERSION`].
    pub version: u32,
    /// The service's state.
    pub state: T,
}

/// Why a state document was refused.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Not JSON of the expected shape.
    #[error("the state document does not parse: {0}")]
    Malformed(String),
    /// Another service's state, or not a state document.
    #[error("the state document is of kind `{found}`, expected `{expected}`")]
    WrongKind {
        /// What this service takes.
        expected: String,
        /// What the document says.
        found: String,
    },
    /// A format version this build does not read.
    #[error("the state document has version {0}, this build reads version {STATE_VERSION}")]
    Version(u32),
    /// Parsed, but contradicts itself.
    #[error("the state document is inconsistent: {0}")]
    Inconsistent(String),
}

impl IntoResponse for StateError {
    fn into_response(self) -> Response {
        (
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({
                "error": "invalid_state",
                "message": self.to_string(),
            })),
        )
            .into_response()
    }
}

/// `state` as a document of `kind`, in JSON.
pub fn export<T: Serialize>(kind: &str, state: &T) -> Vec<u8> {
    let doc = StateDoc {
        kind: kind.to_string(),
        version: STATE_VERSION,
        state,
    };
    // Serialising plain data (string map keys only) into a Vec cannot fail.
    serde_json::to_vec(&doc).unwrap_or_default()
}

/// Reads a document of `kind` from JSON.
pub fn import<T: DeserializeOwned>(kind: &str, body: &[u8]) -> Result<T, StateError> {
    #[derive(Deserialize)]
    struct Head {
        kind: String,
        version: u32,
    }
    match serde_json::from_slice::<StateDoc<T>>(body) {
        Ok(doc) if doc.kind != kind => Err(StateError::WrongKind {
            expected: kind.into(),
            found: doc.kind,
        }),
        Ok(doc) if doc.version != STATE_VERSION => Err(StateError::Version(doc.version)),
        Ok(doc) => Ok(doc.state),
        // Say the most useful thing: a wrong kind or version before the detail.
        Err(error) => match serde_json::from_slice::<Head>(body) {
            Ok(head) if head.kind != kind => Err(StateError::WrongKind {
                expected: kind.into(),
                found: head.kind,
            }),
            Ok(head) if head.version != STATE_VERSION => Err(StateError::Version(head.version)),
            _ => Err(StateError::Malformed(error.to_string())),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_round_trip_and_refuse_other_kinds_versions_and_garbage() {
        let body = export("kiro-sim/t-state", &vec![1, 2, 3]);
        let back: Vec<u32> = import("kiro-sim/t-state", &body).expect("imports");
        assert_eq!(back, vec![1, 2, 3]);
        let other = import::<Vec<u32>>("kiro-sim/u-state", &body).expect_err("wrong kind");
        assert!(
            other.to_string().contains("kind `kiro-sim/t-state`"),
            "{other}"
        );
        let v2 = br#"{"kind":"kiro-sim/t-state","version":2,"state":"x"}"#;
        assert!(matches!(
            import::<Vec<u32>>("kiro-sim/t-state", v2),
            Err(StateError::Version(2))
        ));
        let cut = &body[..body.len() - 3];
        assert!(matches!(
            import::<Vec<u32>>("kiro-sim/t-state", cut),
            Err(StateError::Malformed(_))
        ));
    }
}
