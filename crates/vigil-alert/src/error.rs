//! The crate's error type, [`AlertError`].

use thiserror::Error;

/// Everything that can go wrong in the alert store.
#[derive(Debug, Error)]
pub enum AlertError {
    /// The database failed (I/O, locking, SQL error, pool closed...).
    #[error("alert database error: {0}")]
    Db(#[from] sqlx::Error),
    /// A stored row does not decode (bad JSON column, unknown status, negative count...).
    #[error("stored alert {id} is corrupt: {reason}")]
    Corrupt { id: String, reason: String },
    /// A timestamp cannot be stored: it is outside the range of i64 nanoseconds since
    /// the epoch (years 1677..=2262).
    #[error("{what} {value} is outside the storable time range (years 1677 to 2262)")]
    TimeOutOfRange { what: &'static str, value: String },
    /// A value given by the caller cannot be stored.
    #[error("invalid alert: {0}")]
    Invalid(String),
    /// The database holds a newer alert schema than this build knows.
    #[error("alert schema version {found} is newer than this build supports ({supported})")]
    SchemaTooNew { found: i64, supported: i64 },
}
