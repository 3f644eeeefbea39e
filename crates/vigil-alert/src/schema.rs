//! Opening the metadata database ([`open_pool`]) and this crate's versioned schema
//! migrations, tracked in its own `alert_schema_version` table so other crates can keep
//! their tables (and their own version tables) in the same file.

use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use crate::error::AlertError;

/// Migrations in order; migration `i` (0-based) brings the schema to version `i + 1`.
/// Each is a list of statements run in one transaction. Never edit a released entry:
/// append a new one.
const MIGRATIONS: &[&[&str]] = &[&[
    "CREATE TABLE IF NOT EXISTS alerts (
        id TEXT PRIMARY KEY NOT NULL,
        rule_id TEXT NOT NULL,
        rule_title TEXT NOT NULL,
        level TEXT NOT NULL,
        tags TEXT NOT NULL,
        author TEXT,
        license TEXT,
        rule_file TEXT,
        group_key TEXT NOT NULL,
        event_ids TEXT NOT NULL,
        contributing TEXT NOT NULL,
        first_event_time INTEGER NOT NULL,
        last_event_time INTEGER NOT NULL,
        count INTEGER NOT NULL,
        explanation TEXT NOT NULL,
        possibly_incomplete INTEGER NOT NULL,
        status TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS alerts_rule_last_time ON alerts (rule_id, last_event_time)",
    "CREATE INDEX IF NOT EXISTS alerts_status ON alerts (status)",
    "CREATE INDEX IF NOT EXISTS alerts_last_time ON alerts (last_event_time)",
    "CREATE INDEX IF NOT EXISTS alerts_rule_group ON alerts (rule_id, group_key, last_event_time)",
    "CREATE TABLE IF NOT EXISTS alert_aliases (
        id TEXT PRIMARY KEY NOT NULL,
        alert_id TEXT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE
    )",
    "CREATE INDEX IF NOT EXISTS alert_aliases_alert ON alert_aliases (alert_id)",
]];

/// The schema version this build creates and understands.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Opens (creating if missing) the metadata SQLite database at `path` (WAL mode,
/// foreign keys on, busy_timeout 5 s) and runs this crate's schema migrations.
pub async fn open_pool(path: &Path) -> Result<SqlitePool, AlertError> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await?;
    migrate(&pool).await?;
    Ok(pool)
}

/// Brings this crate's tables up to [`SCHEMA_VERSION`]. Idempotent and safe to run
/// from several connections at once (each step runs under `BEGIN IMMEDIATE`).
pub(crate) async fn migrate(pool: &SqlitePool) -> Result<(), AlertError> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS alert_schema_version (
            version INTEGER PRIMARY KEY NOT NULL,
            applied_at INTEGER NOT NULL
        )",
    )
    .execute(pool)
    .await?;

    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let current: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM alert_schema_version")
            .fetch_one(&mut *tx)
            .await?;
    if current > SCHEMA_VERSION {
        return Err(AlertError::SchemaTooNew {
            found: current,
            supported: SCHEMA_VERSION,
        });
    }
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX);
    for (idx, statements) in MIGRATIONS.iter().enumerate() {
        let version = idx as i64 + 1;
        if version <= current {
            continue;
        }
        for stmt in *statements {
            sqlx::query(stmt).execute(&mut *tx).await?;
        }
        sqlx::query("INSERT INTO alert_schema_version (version, applied_at) VALUES (?, ?)")
            .bind(version)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
