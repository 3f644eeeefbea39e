//! Shared test setup: a real SQLite file in a temp dir and a manual clock.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::SqlitePool;
use vigil_auth::{AuthStore, ManualClock, SessionPolicy};

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub pool: SqlitePool,
    pub store: AuthStore,
    pub clock: ManualClock,
}

pub async fn pool(path: &Path) -> SqlitePool {
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true);
    SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(opts)
        .await
        .unwrap()
}

pub fn db_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("meta.db")
}

pub async fn fixture() -> Fixture {
    fixture_with(SessionPolicy::default()).await
}

pub async fn fixture_with(policy: SessionPolicy) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let pool = pool(&db_path(&dir)).await;
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap());
    let store = AuthStore::with_options(pool.clone(), Arc::new(clock.clone()), policy)
        .await
        .unwrap();
    Fixture {
        dir,
        pool,
        store,
        clock,
    }
}

/// Every byte SQLite wrote for the database (main file plus WAL/journal if present).
pub fn db_bytes(dir: &tempfile::TempDir) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let p = entry.unwrap().path();
        out.extend(std::fs::read(p).unwrap());
    }
    out
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

pub const GOOD_PW: &str = "correct horse battery";
