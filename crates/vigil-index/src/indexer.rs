//! The single writer: routes events to their time partition, builds documents, commits.
//!
//! # Crash safety
//!
//! Each partition commit carries a payload `{"next_seq": N, "fields": {...}}` meaning
//! "every event of this partition with a seq below N is in this commit" (plus the
//! field catalogue, atomically consistent with the documents). After every touched
//! partition has committed, the global `next_seq` is written to `vigil-index.json`
//! (atomic rename). On restart the caller replays the journal from the global
//! `next_seq`; an event whose partition's committed payload says it is already there
//! (`seq < partition next_seq`, possible after a crash between partition commits and
//! the state file) is skipped, so no document is ever indexed twice and no delete is
//! needed.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustc_hash::FxHashMap;
use tantivy::directory::MmapDirectory;
use tantivy::indexer::IndexWriterOptions;
use tantivy::{Index, IndexSettings, IndexWriter};
use vigil_core::Event;

use crate::catalog::{Catalog, Payload};
use crate::doc::DocBuilder;
use crate::error::IndexError;
use crate::partition::{read_state, write_state, PartKey, Partition, Registry, State};
use crate::searcher::Searcher;

const MIB: usize = 1 << 20;
/// Tantivy refuses smaller per-thread arenas.
const MIN_WRITER_BYTES: usize = 15 * MIB + MIB;
const LOCK_FILE: &str = "writer.lock";

/// Options of an [`Indexer`].
#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// Width of a time partition (default one day). Fixed when the directory is created.
    pub partition: chrono::Duration,
    /// Memory for all open partition writers together (default 64 MiB). Each writer
    /// gets at least 16 MiB; at most `max(1, min(4, total / 24 MiB))` writers are open
    /// at once, the least recently used one is committed and closed when another
    /// partition needs a writer.
    pub writer_memory_bytes: usize,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            partition: chrono::Duration::days(1),
            writer_memory_bytes: 64 * MIB,
        }
    }
}

struct PartWriter {
    part: Arc<Partition>,
    writer: IndexWriter,
    /// Events of this partition below this seq are already committed (crash replay).
    skip_below: u64,
    catalog: Catalog,
    dirty: bool,
    last_used: u64,
}

/// The index writer. Owned by one thread; [`Indexer::searcher`] hands out readers.
pub struct Indexer {
    reg: Arc<Registry>,
    writers: FxHashMap<PartKey, PartWriter>,
    builder: DocBuilder,
    next_seq: u64,
    cursor: u64,
    tick: u64,
    max_writers: usize,
    writer_bytes: usize,
    _lock: File,
}

impl std::fmt::Debug for Indexer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Indexer")
            .field("dir", &self.reg.dir)
            .field("next_seq", &self.next_seq)
            .field("open_writers", &self.writers.len())
            .finish()
    }
}

impl Indexer {
    /// Opens (or creates) the index directory and takes its writer lock.
    pub fn open(dir: &Path, opts: IndexOptions) -> Result<Indexer, IndexError> {
        let span_secs = opts.partition.num_seconds();
        if span_secs < 1 {
            return Err(IndexError::InvalidOptions(
                "partition must be at least one second".into(),
            ));
        }
        std::fs::create_dir_all(dir).map_err(|e| IndexError::io(dir, e))?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| IndexError::io(&lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(IndexError::Locked(dir.to_path_buf()))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(IndexError::io(&lock_path, e)),
        }
        let next_seq = match read_state(dir)? {
            Some(state) => {
                if state.partition_secs != span_secs {
                    return Err(IndexError::PartitionMismatch {
                        dir: dir.to_path_buf(),
                        existing_secs: state.partition_secs,
                        requested_secs: span_secs,
                    });
                }
                state.next_seq
            }
            None => {
                write_state(
                    dir,
                    &State {
                        version: 1,
                        partition_secs: span_secs,
                        next_seq: 0,
                    },
                )?;
                0
            }
        };
        let reg = Arc::new(Registry::new(dir, span_secs, true));
        reg.scan()?;
        let total = opts.writer_memory_bytes.max(MIN_WRITER_BYTES);
        let max_writers = (total / (24 * MIB)).clamp(1, 4);
        let writer_bytes = (total / max_writers).clamp(MIN_WRITER_BYTES, 3 * 1024 * MIB);
        Ok(Indexer {
            builder: DocBuilder::new(reg.fields.clone()),
            reg,
            writers: FxHashMap::default(),
            next_seq,
            cursor: next_seq,
            tick: 0,
            max_writers,
            writer_bytes,
            _lock: lock,
        })
    }

    /// The index directory.
    pub fn dir(&self) -> &Path {
        &self.reg.dir
    }

    /// Next journal seq to index (persisted by [`Indexer::commit`]; 0 for a new index).
    /// The caller replays the journal from here on start.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Indexes one event. Events with `seq < next_seq()` are ignored (replay overlap).
    pub fn add(&mut self, seq: u64, event: &Event) -> Result<(), IndexError> {
        if seq < self.next_seq {
            return Ok(());
        }
        self.cursor = self.cursor.max(seq.saturating_add(1));
        let ts = event.timestamp().and_then(|t| t.timestamp_nanos_opt());
        let key = PartKey::for_nanos(ts, self.reg.span_secs);
        self.ensure_writer(key)?;
        self.tick += 1;
        let Some(pw) = self.writers.get_mut(&key) else {
            return Ok(());
        };
        pw.last_used = self.tick;
        if seq < pw.skip_below {
            return Ok(());
        }
        let doc = self.builder.build(seq, event, ts, &mut pw.catalog);
        pw.writer.add_document(doc)?;
        pw.dirty = true;
        Ok(())
    }

    /// Commits every partition touched since the last commit, then persists `next_seq`.
    /// Searchers of this indexer see the new documents as soon as this returns.
    pub fn commit(&mut self) -> Result<(), IndexError> {
        let cursor = self.cursor;
        for pw in self.writers.values_mut() {
            if pw.dirty {
                commit_writer(pw, cursor)?;
            }
        }
        if cursor != self.next_seq {
            write_state(
                &self.reg.dir,
                &State {
                    version: 1,
                    partition_secs: self.reg.span_secs,
                    next_seq: cursor,
                },
            )?;
            self.next_seq = cursor;
        }
        Ok(())
    }

    /// A searcher sharing this indexer's open partitions.
    pub fn searcher(&self) -> Searcher {
        Searcher::from_registry(self.reg.clone())
    }

    fn ensure_writer(&mut self, key: PartKey) -> Result<(), IndexError> {
        if self.writers.contains_key(&key) {
            return Ok(());
        }
        if self.writers.len() >= self.max_writers {
            let lru = self
                .writers
                .iter()
                .min_by_key(|(_, w)| w.last_used)
                .map(|(k, _)| *k);
            if let Some(k) = lru {
                if let Some(mut pw) = self.writers.remove(&k) {
                    if pw.dirty {
                        commit_writer(&mut pw, self.cursor)?;
                    }
                    drop(pw);
                }
            }
        }
        let part = match self.reg.get(key) {
            Some(p) => p,
            None => {
                let dir = self.reg.part_dir(key);
                std::fs::create_dir_all(&dir).map_err(|e| IndexError::io(&dir, e))?;
                let mmap = MmapDirectory::open(&dir).map_err(|e| IndexError::Corrupt {
                    path: dir.clone(),
                    message: e.to_string(),
                })?;
                let settings = IndexSettings {
                    docstore_compress_dedicated_thread: false,
                    ..IndexSettings::default()
                };
                let index = Index::builder()
                    .schema(self.reg.schema.clone())
                    .settings(settings)
                    .open_or_create(mmap)?;
                crate::schema::check_schema(&index.schema(), &self.reg.schema, &dir)?;
                let part = Arc::new(Partition::open(index, key)?);
                self.reg.insert(part.clone());
                part
            }
        };
        let options = IndexWriterOptions::builder()
            .num_worker_threads(1)
            .num_merge_threads(1)
            .memory_budget_per_thread(self.writer_bytes)
            .build();
        let writer: IndexWriter = part.index.writer_with_options(options)?;
        let payload = load_payload(&part.index, &self.reg.part_dir(key))?;
        self.writers.insert(
            key,
            PartWriter {
                part,
                writer,
                skip_below: payload.next_seq,
                catalog: Catalog::from_payload(&payload),
                dirty: false,
                last_used: self.tick,
            },
        );
        Ok(())
    }
}

fn commit_writer(pw: &mut PartWriter, cursor: u64) -> Result<(), IndexError> {
    let payload =
        serde_json::to_string(&pw.catalog.to_payload(cursor)).map_err(|e| IndexError::Corrupt {
            path: PathBuf::new(),
            message: e.to_string(),
        })?;
    let mut prepared = pw.writer.prepare_commit()?;
    prepared.set_payload(&payload);
    prepared.commit()?;
    pw.part.reload()?;
    pw.dirty = false;
    Ok(())
}

/// The payload of the last commit of a partition (empty for a new one).
pub(crate) fn load_payload(index: &Index, dir: &Path) -> Result<Payload, IndexError> {
    match index.load_metas()?.payload {
        None => Ok(Payload::default()),
        Some(p) => serde_json::from_str(&p).map_err(|e| IndexError::Corrupt {
            path: dir.join("meta.json"),
            message: format!("bad commit payload: {e}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(day: u32, i: u64) -> Event {
        Event::from_map(
            json!({"@timestamp": format!("2026-01-{day:02}T00:00:{:02}Z", i % 60), "message": format!("m{i}")})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        )
    }

    #[test]
    fn crash_between_partition_commits_leaves_no_duplicates() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let events: Vec<Event> = (0..40).map(|i| ev(1 + (i % 2) as u32, i)).collect();
        {
            let mut ix = Indexer::open(dir.path(), IndexOptions::default())
                .unwrap_or_else(|e| panic!("{e}"));
            for (i, e) in events.iter().enumerate() {
                ix.add(i as u64, e).unwrap_or_else(|e| panic!("{e}"));
            }
            // Commit only the first partition, then "crash" before the second and before
            // the state file is written.
            let cursor = ix.cursor;
            let key = PartKey::Time(1_767_225_600);
            let pw = ix
                .writers
                .get_mut(&key)
                .unwrap_or_else(|| panic!("no writer"));
            commit_writer(pw, cursor).unwrap_or_else(|e| panic!("{e}"));
        }
        let mut ix =
            Indexer::open(dir.path(), IndexOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ix.next_seq(), 0);
        let s = ix.searcher();
        let count = |s: &Searcher| {
            s.search(
                "*",
                crate::TimeRange::all(),
                0,
                &std::collections::BTreeMap::<u64, Event>::new(),
            )
            .map(|r| r.total)
            .unwrap_or(u64::MAX)
        };
        assert_eq!(count(&s), 20, "the committed partition survived");
        for (i, e) in events.iter().enumerate() {
            ix.add(i as u64, e).unwrap_or_else(|e| panic!("{e}"));
        }
        ix.commit().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(count(&s), 40);
        let msg = s
            .fields()
            .unwrap_or_default()
            .into_iter()
            .find(|f| f.name == "message")
            .map(|f| f.count);
        assert_eq!(msg, Some(40), "catalogue counts are not doubled either");
    }
}
