//! Time partitions and the registry of open partition indexes.
//!
//! A partition covers `[start, start + span)` with `start` aligned on multiples of the
//! span since the Unix epoch (UTC midnight for the default one-day span). It lives in
//! `<dir>/<name>/` where the name is `YYYY-MM-DD` when the span is a whole number of
//! days and `YYYY-MM-DDTHH-MM-SSZ` otherwise. Events without a valid `@timestamp`
//! (missing, not RFC 3339, or outside 1677–2262) go to the partition `undated`, which
//! is only searched when the [`crate::TimeRange`] is unbounded on both sides.
//!
//! The `Registry` maps partition keys to open indexes and readers. An
//! [`crate::Indexer`] owns a *managed* registry: it inserts the partitions it creates
//! and reloads readers right after each commit, so its searchers see commits at once.
//! [`crate::Searcher::open`] builds an unmanaged registry that rescans the directory
//! and reloads readers at most once per second (the writer lives in another process).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};
use tantivy::schema::Schema;
use tantivy::{Index, IndexReader, ReloadPolicy};

use crate::error::IndexError;
use crate::schema::{build_schema, check_schema, Fields};

/// Name of the directory of the partition for events without a valid timestamp.
pub const UNDATED: &str = "undated";
/// Name of the state file in the index directory.
pub(crate) const STATE_FILE: &str = "vigil-index.json";
const REFRESH: Duration = Duration::from_secs(1);

/// Identifies a partition: its start (seconds since the epoch) or the undated one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum PartKey {
    Undated,
    Time(i64),
}

impl PartKey {
    pub fn for_nanos(ts_nanos: Option<i64>, span_secs: i64) -> PartKey {
        match ts_nanos {
            Some(n) => PartKey::Time(n.div_euclid(1_000_000_000).div_euclid(span_secs) * span_secs),
            None => PartKey::Undated,
        }
    }

    pub fn name(self, span_secs: i64) -> String {
        match self {
            PartKey::Undated => UNDATED.to_string(),
            PartKey::Time(start) => match Utc.timestamp_opt(start, 0).single() {
                Some(t) if span_secs % 86_400 == 0 => t.format("%Y-%m-%d").to_string(),
                Some(t) => t.format("%Y-%m-%dT%H-%M-%SZ").to_string(),
                None => format!("p{start}"),
            },
        }
    }

    pub fn parse(name: &str, span_secs: i64) -> Option<PartKey> {
        if name == UNDATED {
            return Some(PartKey::Undated);
        }
        let start = if let Ok(d) = NaiveDate::parse_from_str(name, "%Y-%m-%d") {
            d.and_hms_opt(0, 0, 0)?.and_utc().timestamp()
        } else if let Ok(t) = NaiveDateTime::parse_from_str(name, "%Y-%m-%dT%H-%M-%SZ") {
            t.and_utc().timestamp()
        } else {
            name.strip_prefix('p')?.parse().ok()?
        };
        (start.rem_euclid(span_secs) == 0).then_some(PartKey::Time(start))
    }

    /// `[start, end)` in nanoseconds, or `None` for the undated partition.
    pub fn bounds_nanos(self, span_secs: i64) -> Option<(i64, i64)> {
        match self {
            PartKey::Undated => None,
            PartKey::Time(s) => Some((
                s.saturating_mul(1_000_000_000),
                s.saturating_add(span_secs).saturating_mul(1_000_000_000),
            )),
        }
    }
}

/// The persistent state of an index directory.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct State {
    pub version: u32,
    pub partition_secs: i64,
    pub next_seq: u64,
}

pub(crate) fn read_state(dir: &Path) -> Result<Option<State>, IndexError> {
    let path = dir.join(STATE_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| IndexError::Corrupt {
                path,
                message: e.to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(IndexError::io(path, e)),
    }
}

/// Writes the state file atomically (temp file, fsync, rename, fsync directory).
pub(crate) fn write_state(dir: &Path, state: &State) -> Result<(), IndexError> {
    use std::io::Write;
    let path = dir.join(STATE_FILE);
    let tmp = dir.join(format!("{STATE_FILE}.tmp"));
    let bytes = serde_json::to_vec(state).map_err(|e| IndexError::Corrupt {
        path: path.clone(),
        message: e.to_string(),
    })?;
    {
        let mut f = std::fs::File::create(&tmp).map_err(|e| IndexError::io(&tmp, e))?;
        f.write_all(&bytes).map_err(|e| IndexError::io(&tmp, e))?;
        f.sync_all().map_err(|e| IndexError::io(&tmp, e))?;
    }
    std::fs::rename(&tmp, &path).map_err(|e| IndexError::io(&path, e))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// One open partition index.
pub(crate) struct Partition {
    pub key: PartKey,
    pub index: Index,
    pub reader: IndexReader,
    last_reload: Mutex<Instant>,
}

impl Partition {
    pub fn open(index: Index, key: PartKey) -> Result<Partition, IndexError> {
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Partition {
            key,
            index,
            reader,
            last_reload: Mutex::new(Instant::now()),
        })
    }

    /// Reloads the reader now.
    pub fn reload(&self) -> Result<(), IndexError> {
        self.reader.reload()?;
        *self.last_reload.lock() = Instant::now();
        Ok(())
    }

    /// Reloads the reader if the last reload is older than a second.
    fn refresh(&self) {
        let mut last = self.last_reload.lock();
        if last.elapsed() >= REFRESH {
            // A failed reload (e.g. a merge removed files meanwhile) keeps the previous
            // searcher; the next search retries.
            let _ = self.reader.reload();
            *last = Instant::now();
        }
    }
}

/// The set of partitions of an index directory.
pub(crate) struct Registry {
    pub dir: PathBuf,
    pub span_secs: i64,
    pub schema: Schema,
    pub fields: Fields,
    parts: RwLock<BTreeMap<PartKey, Arc<Partition>>>,
    managed: bool,
    last_scan: Mutex<Option<Instant>>,
}

impl Registry {
    pub fn new(dir: &Path, span_secs: i64, managed: bool) -> Registry {
        let (schema, fields) = build_schema();
        Registry {
            dir: dir.to_path_buf(),
            span_secs,
            schema,
            fields,
            parts: RwLock::new(BTreeMap::new()),
            managed,
            last_scan: Mutex::new(None),
        }
    }

    pub fn get(&self, key: PartKey) -> Option<Arc<Partition>> {
        self.parts.read().get(&key).cloned()
    }

    pub fn insert(&self, part: Arc<Partition>) {
        self.parts.write().insert(part.key, part);
    }

    pub fn part_dir(&self, key: PartKey) -> PathBuf {
        self.dir.join(key.name(self.span_secs))
    }

    /// Opens an existing partition directory (checking its schema).
    pub fn open_partition(&self, key: PartKey) -> Result<Arc<Partition>, IndexError> {
        let dir = self.part_dir(key);
        let index = Index::open_in_dir(&dir)?;
        check_schema(&index.schema(), &self.schema, &dir)?;
        Ok(Arc::new(Partition::open(index, key)?))
    }

    /// Looks for partition directories not opened yet. Directories that cannot be
    /// opened (e.g. being created by the writer right now) are skipped.
    pub fn scan(&self) -> Result<(), IndexError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(IndexError::io(&self.dir, e)),
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(key) = name
                .to_str()
                .and_then(|n| PartKey::parse(n, self.span_secs))
            else {
                continue;
            };
            if self.parts.read().contains_key(&key) || !entry.path().join("meta.json").exists() {
                continue;
            }
            if let Ok(part) = self.open_partition(key) {
                self.insert(part);
            }
        }
        Ok(())
    }

    /// Partitions overlapping `[from, to)` (nanoseconds), newest first; the undated
    /// partition (last) only when both bounds are open.
    pub fn select(
        &self,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<Vec<Arc<Partition>>, IndexError> {
        if !self.managed {
            let mut last = self.last_scan.lock();
            if last.is_none_or(|t| t.elapsed() >= REFRESH) {
                self.scan()?;
                *last = Some(Instant::now());
            }
        }
        let parts: Vec<Arc<Partition>> = self
            .parts
            .read()
            .values()
            .rev()
            .filter(|p| match p.key.bounds_nanos(self.span_secs) {
                None => from.is_none() && to.is_none(),
                Some((s, e)) => from.is_none_or(|f| e > f) && to.is_none_or(|t| s < t),
            })
            .cloned()
            .collect();
        if !self.managed {
            for p in &parts {
                p.refresh();
            }
        }
        Ok(parts)
    }
}

/// Converts a chrono instant to nanoseconds, clamping to tantivy's range.
pub(crate) fn to_nanos(t: DateTime<Utc>) -> i64 {
    t.timestamp_nanos_opt().unwrap_or(if t.timestamp() < 0 {
        i64::MIN
    } else {
        i64::MAX
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let day = 86_400;
        let k = PartKey::for_nanos(Some(1_767_225_600_000_000_000 + 5), day);
        assert_eq!(k.name(day), "2026-01-01");
        assert_eq!(PartKey::parse("2026-01-01", day), Some(k));
        let hour = 3600;
        let k = PartKey::for_nanos(
            Some(1_767_225_600_000_000_000 + 3 * 3_600_000_000_000 + 7),
            hour,
        );
        assert_eq!(k.name(hour), "2026-01-01T03-00-00Z");
        assert_eq!(PartKey::parse(&k.name(hour), hour), Some(k));
        assert_eq!(PartKey::parse("undated", hour), Some(PartKey::Undated));
        assert_eq!(PartKey::parse("junk", hour), None);
        let neg = PartKey::for_nanos(Some(-1), day);
        assert_eq!(neg.name(day), "1969-12-31");
    }
}
