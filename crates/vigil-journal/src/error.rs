//! The crate's typed error. An `Err` always means "this input cannot be used" (missing or
//! unreadable files, corrupt data found while reading, invalid arguments); evidence of
//! tampering found by [`crate::verify`] is reported in its [`crate::VerifyReport`] instead.

use std::path::{Path, PathBuf};

/// Everything that can go wrong while opening, writing or reading a journal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// An operating-system I/O error on a named file.
    #[error("cannot {op} {}: {source}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// There is no journal at this path.
    #[error("no journal at {}", .0.display())]
    NotFound(PathBuf),
    /// The public key needed to check checkpoint signatures is missing.
    #[error("no public key at {}", .0.display())]
    NoKey(PathBuf),
    /// A key file exists but cannot be used.
    #[error("unusable key file {}: {reason}", path.display())]
    BadKey { path: PathBuf, reason: String },
    /// Stored data failed its checks while being opened or read.
    #[error("corrupt journal data in {} at byte {offset}: {reason} (run `vigil verify`)", path.display())]
    Corrupt {
        path: PathBuf,
        offset: u64,
        reason: String,
    },
    /// A sequence number past the end of the journal.
    #[error("record {seq} does not exist (the journal holds {len} records)")]
    OutOfRange { seq: u64, len: u64 },
    /// The journal on disk is shorter than its latest signed checkpoint; the writer refuses to
    /// append on top of it (that would fork the signed history).
    #[error("the journal holds {len} records but its latest signed checkpoint covers {checkpoint_size} (run `vigil verify`)")]
    BehindCheckpoint { len: u64, checkpoint_size: u64 },
    /// The records on disk do not hash to the root of the latest signed checkpoint.
    #[error("the first {size} records do not match the root of the signed checkpoint of that size (run `vigil verify`)")]
    RootMismatch { size: u64 },
    /// A stored checkpoint cannot be parsed or is not signed by this journal's key.
    #[error("invalid checkpoint: {0}")]
    BadCheckpoint(String),
    /// Invalid [`crate::JournalOptions`].
    #[error("invalid journal options: {0}")]
    InvalidOptions(String),
    /// A batch or event larger than the frame format allows.
    #[error("batch too large: {0}")]
    BatchTooLarge(String),
    /// An invalid Merkle proof request (index or sizes out of range).
    #[error("invalid proof request: {0}")]
    Proof(String),
}

impl JournalError {
    pub(crate) fn io(op: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> JournalError {
        let path = path.to_path_buf();
        move |source| JournalError::Io { op, path, source }
    }

    pub(crate) fn corrupt(path: &Path, offset: u64, reason: impl Into<String>) -> JournalError {
        JournalError::Corrupt {
            path: path.to_path_buf(),
            offset,
            reason: reason.into(),
        }
    }
}
