//! Errors of the detection crate.

use std::path::PathBuf;

/// What can go wrong while loading rules or building a detector.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the built-in log-source routing table does not parse: {reason}")]
    Routing { reason: String },
    #[error("placeholder pipeline: {reason}")]
    Placeholders { reason: String },
    #[error("detector state does not match this version: {reason}")]
    State { reason: String },
}
