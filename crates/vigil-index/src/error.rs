//! Error types: [`IndexError`] for storage and index management, [`SearchError`] for
//! everything a search can report (syntax errors carry the character offset).

use std::path::PathBuf;

/// Something went wrong opening, writing or reading the index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// A file system operation failed.
    #[error("index I/O error on {path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Tantivy reported an error.
    #[error("tantivy: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// A metadata file could not be understood.
    #[error("index metadata {path} is corrupt: {message}")]
    Corrupt {
        /// The file involved.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// Another [`crate::Indexer`] holds the directory.
    #[error("index directory {0} is locked by another writer")]
    Locked(PathBuf),
    /// The directory was created with another partition duration.
    #[error("index directory {dir} uses partitions of {existing_secs} s, but {requested_secs} s was requested")]
    PartitionMismatch {
        /// The index directory.
        dir: PathBuf,
        /// The duration recorded on disk, in seconds.
        existing_secs: i64,
        /// The duration asked for, in seconds.
        requested_secs: i64,
    },
    /// The options make no sense (e.g. a partition shorter than a second).
    #[error("invalid index options: {0}")]
    InvalidOptions(String),
}

impl IndexError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        IndexError::Io {
            path: path.into(),
            source,
        }
    }
}

/// A search failed.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query text is malformed (or a value is invalid for its field).
    #[error("syntax error at {position}: {message}")]
    Syntax {
        /// Character offset (not byte offset) in the query where the problem was found.
        position: usize,
        /// What the parser expected there, e.g. `a value after ':'`.
        expected: String,
        /// Full human-readable message, e.g. `expected a value after ':'`.
        message: String,
    },
    /// The query is well-formed but asks for something the index cannot do
    /// (e.g. aggregating the full-text `message` field).
    #[error("unsupported query: {0}")]
    Unsupported(String),
    /// The index failed.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// The [`crate::EventStore`] failed to return events.
    #[error("event store: {0}")]
    Store(String),
}

impl SearchError {
    /// A syntax error at `position` (chars) saying `expected <expected>`.
    pub(crate) fn expected(position: usize, expected: impl Into<String>) -> Self {
        let expected = expected.into();
        SearchError::Syntax {
            position,
            message: format!("expected {expected}"),
            expected,
        }
    }

    /// A syntax error with a free-form message; `expected` describes the valid input.
    pub(crate) fn invalid(
        position: usize,
        expected: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        SearchError::Syntax {
            position,
            expected: expected.into(),
            message: message.into(),
        }
    }
}

impl From<tantivy::TantivyError> for SearchError {
    fn from(e: tantivy::TantivyError) -> Self {
        SearchError::Index(IndexError::Tantivy(e))
    }
}
