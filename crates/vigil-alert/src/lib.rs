//! Vigil's alert store: the `alerts` and `alert_aliases` tables in the metadata SQLite
//! database, with idempotent recording, suppression-window merging and querying.
//!
//! The entry points are [`open_pool`] (open or create the metadata database) and
//! [`AlertStore`] (record, list, get, change status, per-rule statistics). Alert ids are
//! computed by callers with [`alert_id`], so a replay after a restart yields the same id
//! and is recognised as a duplicate.

mod error;
mod id;
mod model;
mod schema;
mod store;

pub use error::AlertError;
pub use id::alert_id;
pub use model::{
    Alert, AlertFilter, AlertStatus, NewAlert, ParseStatusError, RecordOutcome, Recorded,
    RuleStats, DEFAULT_LIST_LIMIT, MAX_EVENT_IDS, MAX_LIST_LIMIT,
};
pub use schema::open_pool;
pub use sqlx::SqlitePool;
pub use store::AlertStore;
