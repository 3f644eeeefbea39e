//! File tailing (`[[sources.file]]`): follows log files matched by glob patterns, polling
//! (every `poll_interval`, 250 ms by default; no inotify), and hands each new complete line
//! (or multi-line group) to the pipeline as an acknowledged [`Batch`].
//!
//! Delivery: a file's offset advances only once the batch holding its lines is in the
//! journal (`Batch::acked`), and the offsets are persisted after every acknowledged batch in
//! `<data_dir>/sources/file-offsets.json` (tmp + fsync + rename), keyed by source name,
//! (device, inode) and path. A crash therefore skips nothing and re-reads at most the last
//! batch that was journaled but whose offset was not yet persisted.
//!
//! Files are identified by (device, inode) and kept open while tracked, so:
//! - **rotation by rename**: the old inode is read to its end (it stays open for
//!   `rotated_grace` after its last growth, for writers that reopen late), then closed; the new
//!   file at the path is read from 0;
//! - **copytruncate**: a file smaller than the read position is read again from 0;
//! - a file that **disappears and comes back** (or any new file matching a glob) is picked up
//!   from 0; while the old one is open its inode cannot be reused, so the two are never confused.
//!
//! A partial last line is not emitted until its newline arrives, or until its file has been
//! rotated away or deleted and closed. A line longer than `max_event_bytes` is cut, tagged
//! `_truncated`, and the rest of it up to its newline discarded.
//!
//! **Multi-line**: with `multiline_start` (a regex), a line that does not match it continues
//! the previous event (joined with `\n`): Java stack traces, Python tracebacks. A group ends at
//! the next start line, after `multiline_timeout_ms` without new data, or when its file is
//! closed; at most `multiline_max_lines` lines and `max_event_bytes` bytes are kept, the rest
//! is dropped and the event tagged `_truncated`. A group still open is not acknowledged: its
//! offset is the group's start, so a restart reads it again whole.
//!
//! **Audit records**: with `join = "auditd"` (for `/var/log/audit/audit.log`), consecutive
//! records of one kernel event (the same `msg=audit(<time>:<serial>)`) are joined into one
//! event the same way (same caps and timeout; an `EOE` record closes the event at once), which
//! the parser turns into one ECS event (`vigil_parse::auditd::parse_joined`).

use crate::metrics::IngestMetrics;
use crate::pipeline::{Batch, Sink};
use crate::source::{finalize, SourceInfo};
use crate::syslog::TAG_TRUNCATED;
use chrono::{FixedOffset, Utc};
use globset::{GlobBuilder, GlobMatcher};
use regex::bytes::Regex;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use vigil_core::Event;
use vigil_parse::{parse_line_as, ParseContext};

/// `[sources]` in `vigil.toml`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourcesConfig {
    /// `[[sources.file]]`: files to tail.
    pub file: Vec<FileSourceConfig>,
    /// `[[sources.syslog]]`: named syslog listeners, beside the unnamed `syslog_udp`,
    /// `syslog_tcp`, `syslog_tls` and `syslog_relp` addresses.
    pub syslog: Vec<crate::syslog::SyslogSourceConfig>,
}

/// One `[[sources.file]]` entry.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileSourceConfig {
    /// The source's name (`log.source.name` of its events).
    pub name: String,
    /// Glob patterns of files to follow (`*`, `?`, `[..]`, `{a,b}`, `**`); `*` does not cross `/`.
    pub paths: Vec<String>,
    /// Glob patterns of files to leave out: with a `/` matched against the whole path,
    /// without one against the file name (`"*.gz"`).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// A regex: a line NOT matching it continues the previous event (stack traces).
    #[serde(default)]
    pub multiline_start: Option<String>,
    /// Most lines in one multi-line event; further lines are dropped and the event tagged.
    #[serde(default = "default_max_lines")]
    pub multiline_max_lines: usize,
    /// A multi-line group with no new line for this long is emitted (milliseconds).
    #[serde(default = "default_multiline_timeout")]
    pub multiline_timeout_ms: u64,
    /// `"auditd"`: join consecutive Linux audit records of one event (same serial) into
    /// one event. Not with `multiline_start`.
    #[serde(default)]
    pub join: Option<String>,
    /// The format of this source's lines (`json`, `syslog`, `cef`, `leef`, `kv`, `auditd`,
    /// `windows-xml`, `raw`) instead of auto-detection (`auto`, the default): a line not in
    /// that format is kept and tagged `_parse_failure`.
    #[serde(default)]
    pub parser: Option<String>,
}

fn default_max_lines() -> usize {
    500
}

fn default_multiline_timeout() -> u64 {
    1000
}

impl FileSourceConfig {
    /// A source with defaults for everything but its name and patterns.
    pub fn new(name: &str, paths: &[&str]) -> Self {
        Self {
            name: name.to_string(),
            paths: paths.iter().map(|p| p.to_string()).collect(),
            exclude: Vec::new(),
            multiline_start: None,
            multiline_max_lines: default_max_lines(),
            multiline_timeout_ms: default_multiline_timeout(),
            join: None,
            parser: None,
        }
    }
}

/// How the tailer runs.
#[derive(Debug, Clone)]
pub struct TailSettings {
    /// Where offsets are persisted (`<data_dir>/sources/file-offsets.json`).
    pub offsets_path: PathBuf,
    /// How often files are checked for new data.
    pub poll_interval: Duration,
    /// Longest event kept whole (line or multi-line group).
    pub max_event_bytes: usize,
    /// How long a rotated-away or deleted file stays open after its last growth.
    pub rotated_grace: Duration,
    /// Zone assumed for timestamps without one (RFC 3164 lines in files).
    pub default_offset: FixedOffset,
}

impl TailSettings {
    /// Defaults, with offsets under `data_dir/sources/`.
    pub fn new(data_dir: &Path) -> Self {
        Self {
            offsets_path: offsets_path(data_dir),
            poll_interval: Duration::from_millis(250),
            max_event_bytes: 4 * 1024 * 1024,
            rotated_grace: Duration::from_secs(5),
            default_offset: FixedOffset::east_opt(0)
                .unwrap_or_else(|| unreachable!("zero offset is valid")),
        }
    }
}

/// The offsets file of a data directory.
pub fn offsets_path(data_dir: &Path) -> PathBuf {
    data_dir.join("sources").join("file-offsets.json")
}

/// Bytes read from one file per round.
const CHUNK: usize = 1024 * 1024;
/// Most events per batch.
const MAX_BATCH_EVENTS: usize = 4096;

/// A running tailer: a thread of its own (file reads are blocking). Stop it with
/// [`FileTailer::stop`] (also on drop), which waits for the batch in flight to be acknowledged.
pub struct FileTailer {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FileTailer {
    /// Checks the sources (globs, regexes) and starts following them. Errors name the source.
    pub fn start(
        sources: &[FileSourceConfig],
        settings: TailSettings,
        sink: Sink,
        metrics: Arc<IngestMetrics>,
    ) -> Result<Self, String> {
        let compiled = sources
            .iter()
            .map(Source::compile)
            .collect::<Result<Vec<_>, _>>()?;
        let mut names = std::collections::HashSet::new();
        for s in &compiled {
            if !names.insert(s.name.clone()) {
                return Err(format!(
                    "[[sources.file]] name '{}' is used twice; names must be unique",
                    s.name
                ));
            }
        }
        if let Some(dir) = settings.offsets_path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let persisted = load_offsets(&settings.offsets_path, &metrics);
        let stop = Arc::new(AtomicBool::new(false));
        let mut tailer = Tailer {
            sources: compiled,
            settings,
            sink,
            metrics,
            tracked: BTreeMap::new(),
            persisted,
            stop: stop.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("vigil-file-tail".into())
            .spawn(move || tailer.run())
            .map_err(|e| format!("cannot start the file tailer: {e}"))?;
        Ok(Self {
            stop,
            thread: Some(thread),
        })
    }

    /// Stops following files and waits for the tailer to finish its batch in flight.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for FileTailer {
    fn drop(&mut self) {
        self.halt();
    }
}

struct Include {
    base: PathBuf,
    depth: usize,
    matcher: GlobMatcher,
}

struct Source {
    name: String,
    includes: Vec<Include>,
    exclude_paths: Vec<GlobMatcher>,
    exclude_names: Vec<GlobMatcher>,
    multiline: Option<Grouping>,
    parser: vigil_parse::Parser,
    max_lines: usize,
    multiline_timeout: Duration,
}

fn glob(pattern: &str, source: &str) -> Result<GlobMatcher, String> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("[[sources.file]] '{source}': invalid glob '{pattern}': {e}"))
}

fn has_meta(s: &str) -> bool {
    s.contains(['*', '?', '[', '{'])
}

impl Source {
    fn compile(cfg: &FileSourceConfig) -> Result<Self, String> {
        if cfg.name.trim().is_empty() {
            return Err("[[sources.file]] needs a name".into());
        }
        if cfg.paths.is_empty() {
            return Err(format!(
                "[[sources.file]] '{}' has no paths (glob patterns)",
                cfg.name
            ));
        }
        let mut includes = Vec::new();
        for pattern in &cfg.paths {
            let path = Path::new(pattern);
            let mut base = PathBuf::new();
            let mut rest: Vec<String> = Vec::new();
            for c in path.components() {
                let text = c.as_os_str().to_string_lossy().to_string();
                if rest.is_empty() && !has_meta(&text) {
                    base.push(c.as_os_str());
                } else {
                    rest.push(text);
                }
            }
            let (base, depth) = if rest.is_empty() {
                // A literal path: watch its parent for it.
                let parent = path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| PathBuf::from("."));
                (parent, 1)
            } else if rest.iter().any(|r| r.contains("**")) {
                (base, 32)
            } else {
                (base, rest.len())
            };
            let base = if base.as_os_str().is_empty() || base.components().next().is_none() {
                PathBuf::from(".")
            } else {
                base
            };
            let matcher = glob(pattern, &cfg.name)?;
            includes.push(Include {
                base,
                depth,
                matcher,
            });
        }
        let mut exclude_paths = Vec::new();
        let mut exclude_names = Vec::new();
        for pattern in &cfg.exclude {
            if pattern.contains('/') {
                exclude_paths.push(glob(pattern, &cfg.name)?);
            } else {
                exclude_names.push(glob(pattern, &cfg.name)?);
            }
        }
        let multiline = match (&cfg.multiline_start, cfg.join.as_deref()) {
            (Some(_), Some(_)) => {
                return Err(format!(
                    "[[sources.file]] '{}': multiline_start and join exclude each other",
                    cfg.name
                ))
            }
            (Some(re), None) => Some(Grouping::Start(Regex::new(re).map_err(|e| {
                format!(
                    "[[sources.file]] '{}': invalid multiline_start regex: {e}",
                    cfg.name
                )
            })?)),
            (None, Some("auditd")) => Some(Grouping::AuditEvent),
            (None, Some(other)) => {
                return Err(format!(
                    "[[sources.file]] '{}': unknown join '{other}' (expected \"auditd\")",
                    cfg.name
                ))
            }
            (None, None) => None,
        };
        let parser = match &cfg.parser {
            Some(name) => name
                .parse::<vigil_parse::Parser>()
                .map_err(|e| format!("[[sources.file]] '{}': {e}", cfg.name))?,
            None => vigil_parse::Parser::Auto,
        };
        Ok(Self {
            name: cfg.name.clone(),
            includes,
            exclude_paths,
            exclude_names,
            multiline,
            parser,
            max_lines: cfg.multiline_max_lines.max(1),
            multiline_timeout: Duration::from_millis(cfg.multiline_timeout_ms),
        })
    }

    fn excluded(&self, path: &Path) -> bool {
        if self.exclude_paths.iter().any(|m| m.is_match(path)) {
            return true;
        }
        match path.file_name() {
            Some(name) => self.exclude_names.iter().any(|m| m.is_match(name)),
            None => false,
        }
    }

    /// The regular files currently matching, sorted.
    fn expand(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for inc in &self.includes {
            walk(&inc.base, inc.depth, &inc.matcher, &mut out);
        }
        out.retain(|p| !self.excluded(p));
        out.sort();
        out.dedup();
        out
    }
}

fn walk(dir: &Path, depth: usize, matcher: &GlobMatcher, out: &mut Vec<PathBuf>) {
    if depth == 0 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // Strip a leading "./" so relative patterns match.
        let path = match path.strip_prefix(".") {
            Ok(p) if dir == Path::new(".") => p.to_path_buf(),
            _ => path,
        };
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            walk(&path, depth - 1, matcher, out);
        } else if meta.is_file() && matcher.is_match(&path) {
            out.push(path);
        }
    }
}

/// Offsets as persisted.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
struct OffsetsFile {
    version: u32,
    files: Vec<OffsetEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct OffsetEntry {
    source: String,
    path: PathBuf,
    dev: u64,
    ino: u64,
    offset: u64,
}

fn load_offsets(path: &Path, metrics: &IngestMetrics) -> HashMap<(String, u64, u64), OffsetEntry> {
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return HashMap::new(),
        Err(e) => {
            IngestMetrics::add(&metrics.file_errors, 1);
            tracing::error!(path = %path.display(), error = %e, "cannot read the file offsets; files will be read from the start");
            return HashMap::new();
        }
    };
    match serde_json::from_slice::<OffsetsFile>(&text) {
        Ok(file) => file
            .files
            .into_iter()
            .map(|e| ((e.source.clone(), e.dev, e.ino), e))
            .collect(),
        Err(e) => {
            IngestMetrics::add(&metrics.file_errors, 1);
            tracing::error!(path = %path.display(), error = %e, "the file offsets are unreadable; files will be read from the start");
            HashMap::new()
        }
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Identity of a tracked file: (source index, device, inode).
type Key = (usize, u64, u64);

/// How lines of a file are grouped into events.
enum Grouping {
    /// A line not matching the regex continues the previous event.
    Start(Regex),
    /// Consecutive audit records with the same `audit(<time>:<serial>)` stamp are one event.
    AuditEvent,
}

struct Group {
    start: u64,
    text: Vec<u8>,
    lines: usize,
    truncated: bool,
    /// The audit stamp of the group's records (audit joining only).
    stamp: Option<Vec<u8>>,
}

struct Tracked {
    path: PathBuf,
    file: File,
    /// Read position: just past the last complete line consumed.
    pos: u64,
    /// Offset known durable: where a restart would read from.
    committed: u64,
    /// Whether the rest of an oversize line is being discarded (at `pos` / at `committed`).
    skipping: bool,
    committed_skipping: bool,
    pending: Option<Group>,
    /// Seen at a matching path in this round.
    present: bool,
    /// The last time the file's size changed (for the multi-line timeout and the rotated grace).
    last_data: Instant,
    seen_size: u64,
}

struct Tailer {
    sources: Vec<Source>,
    settings: TailSettings,
    sink: Sink,
    metrics: Arc<IngestMetrics>,
    tracked: BTreeMap<Key, Tracked>,
    persisted: HashMap<(String, u64, u64), OffsetEntry>,
    stop: Arc<AtomicBool>,
}

enum Round {
    Idle,
    Busy,
    Backoff,
    Closed,
}

/// What one read of a file produced.
struct Chunk {
    events: Vec<Event>,
    /// Offset to commit once the events are durable.
    commit: u64,
    commit_skipping: bool,
    more: bool,
}

impl Tailer {
    fn run(&mut self) {
        for s in &self.sources {
            tracing::info!(source = %s.name, "tailing files");
        }
        while !self.stop.load(Ordering::SeqCst) {
            let wait = match self.round() {
                Round::Busy => Duration::ZERO,
                Round::Idle => self.settings.poll_interval,
                Round::Backoff => Duration::from_secs(1),
                Round::Closed => return,
            };
            let until = Instant::now() + wait;
            while Instant::now() < until && !self.stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(25).min(wait));
            }
        }
    }

    fn discover(&mut self) {
        for t in self.tracked.values_mut() {
            t.present = false;
        }
        for (idx, source) in self.sources.iter().enumerate() {
            for path in source.expand() {
                let Ok(meta) = std::fs::metadata(&path) else {
                    continue;
                };
                let key = (idx, meta.dev(), meta.ino());
                if let Some(t) = self.tracked.get_mut(&key) {
                    t.present = true;
                    if t.path != path {
                        t.path = path;
                    }
                    continue;
                }
                let file = match File::open(&path) {
                    Ok(f) => f,
                    Err(e) => {
                        IngestMetrics::add(&self.metrics.file_errors, 1);
                        tracing::warn!(path = %path.display(), error = %e, "cannot open a file to tail");
                        continue;
                    }
                };
                let start =
                    match self
                        .persisted
                        .remove(&(source.name.clone(), meta.dev(), meta.ino()))
                    {
                        Some(e) if e.offset <= meta.len() => e.offset,
                        _ => 0,
                    };
                tracing::info!(source = %source.name, path = %path.display(), offset = start, "following file");
                self.tracked.insert(
                    key,
                    Tracked {
                        path,
                        file,
                        pos: start,
                        committed: start,
                        skipping: false,
                        committed_skipping: false,
                        pending: None,
                        present: true,
                        last_data: Instant::now(),
                        seen_size: meta.len(),
                    },
                );
            }
        }
    }

    fn round(&mut self) -> Round {
        self.discover();
        // Files rotated away (or deleted) first: their lines are older than the new file's.
        let mut keys: Vec<Key> = self
            .tracked
            .iter()
            .filter(|(_, t)| !t.present)
            .map(|(k, _)| *k)
            .collect();
        keys.extend(
            self.tracked
                .iter()
                .filter(|(_, t)| t.present)
                .map(|(k, _)| *k),
        );
        let mut busy = false;
        let mut changed = false;
        for key in keys {
            let grace = self.settings.rotated_grace;
            let (gone, idle) = match self.tracked.get(&key) {
                Some(t) => (!t.present, t.last_data.elapsed() >= grace),
                None => continue,
            };
            // A file that is gone is drained normally while it may still grow, then once more
            // as final (emitting a partial last line) and closed.
            let final_read = gone && idle;
            let read = match self.read(key, final_read) {
                Ok(r) => r,
                Err(e) => {
                    IngestMetrics::add(&self.metrics.file_errors, 1);
                    if let Some(t) = self.tracked.remove(&key) {
                        tracing::warn!(path = %t.path.display(), error = %e, "cannot read a tailed file; it will be reopened");
                        // Reopened later from where it was durably read, not from 0.
                        let name = self.sources[key.0].name.clone();
                        self.persisted.insert(
                            (name.clone(), key.1, key.2),
                            OffsetEntry {
                                source: name,
                                path: t.path,
                                dev: key.1,
                                ino: key.2,
                                offset: t.committed,
                            },
                        );
                    }
                    continue;
                }
            };
            busy |= read.more;
            match self.deliver(key, read) {
                Ok(c) => changed |= c,
                Err(round) => {
                    if changed {
                        self.persist();
                    }
                    return round;
                }
            }
            if final_read {
                let done = self
                    .tracked
                    .get(&key)
                    .is_some_and(|t| t.pending.is_none() && t.last_data.elapsed() >= grace);
                if done {
                    if let Some(t) = self.tracked.remove(&key) {
                        tracing::info!(path = %t.path.display(), "closed a rotated or deleted file after reading it to its end");
                    }
                    changed = true;
                }
            }
        }
        if changed {
            self.persist();
        }
        if busy {
            Round::Busy
        } else {
            Round::Idle
        }
    }

    /// Sends the events and, once journaled, commits the offset. `Ok(changed)`.
    fn deliver(&mut self, key: Key, read: Chunk) -> Result<bool, Round> {
        let Some(t) = self.tracked.get_mut(&key) else {
            return Ok(false);
        };
        if read.events.is_empty() {
            let changed = t.committed != read.commit;
            t.committed = read.commit;
            t.committed_skipping = read.commit_skipping;
            return Ok(changed);
        }
        let n = read.events.len() as u64;
        let (batch, ack) = Batch::acked(read.events);
        if self.sink.blocking_send(batch).is_err() {
            return Err(Round::Closed);
        }
        match ack.blocking_recv() {
            Ok(Ok(_)) => {
                IngestMetrics::add(&self.metrics.events_received, n);
                IngestMetrics::add(&self.metrics.file_events, n);
                t.committed = read.commit;
                t.committed_skipping = read.commit_skipping;
                Ok(true)
            }
            Ok(Err(e)) => {
                IngestMetrics::add(&self.metrics.file_errors, 1);
                tracing::warn!(path = %t.path.display(), error = %e, "the journal refused tailed lines; retrying from the last durable offset");
                t.pos = t.committed;
                t.skipping = t.committed_skipping;
                t.pending = None;
                Err(Round::Backoff)
            }
            Err(_) => Err(Round::Closed),
        }
    }

    fn persist(&mut self) {
        let mut files: Vec<OffsetEntry> = self
            .tracked
            .iter()
            .map(|((idx, dev, ino), t)| OffsetEntry {
                source: self.sources[*idx].name.clone(),
                path: t.path.clone(),
                dev: *dev,
                ino: *ino,
                offset: t.committed,
            })
            .collect();
        // Entries of files not seen yet (a directory that is missing for now) are kept while
        // their path exists.
        self.persisted.retain(|_, e| e.path.exists());
        files.extend(self.persisted.values().cloned());
        let doc = OffsetsFile { version: 1, files };
        let bytes = match serde_json::to_vec_pretty(&doc) {
            Ok(b) => b,
            Err(_) => return,
        };
        if let Err(e) = write_atomically(&self.settings.offsets_path, &bytes) {
            IngestMetrics::add(&self.metrics.file_errors, 1);
            tracing::error!(path = %self.settings.offsets_path.display(), error = %e, "cannot persist the file offsets");
        }
    }

    fn read(&mut self, key: Key, final_read: bool) -> std::io::Result<Chunk> {
        let source = &self.sources[key.0];
        let max = self.settings.max_event_bytes.max(1);
        let offset = self.settings.default_offset;
        let Some(t) = self.tracked.get_mut(&key) else {
            return Ok(Chunk {
                events: Vec::new(),
                commit: 0,
                commit_skipping: false,
                more: false,
            });
        };
        let mut out = Emitter {
            source,
            path: t.path.display().to_string(),
            events: Vec::new(),
            max,
            offset,
            metrics: &self.metrics,
        };
        let size = t.file.metadata()?.len();
        if size < t.pos {
            tracing::info!(path = %t.path.display(), size, offset = t.pos, "file shrank (copytruncate?): reading it again from the start");
            if let Some(g) = t.pending.take() {
                out.group(g);
            }
            t.pos = 0;
            t.skipping = false;
        }
        let mut buf = Vec::new();
        t.file.seek(SeekFrom::Start(t.pos))?;
        // Always room for a whole line of the largest size, so every read makes progress.
        let want = CHUNK.max(max + 1);
        (&mut t.file).take(want as u64).read_to_end(&mut buf)?;
        let more = buf.len() == want;
        if size != t.seen_size {
            t.seen_size = size;
            t.last_data = Instant::now();
        }
        let mut consumed = 0usize;
        while let Some(nl) = buf[consumed..].iter().position(|&b| b == b'\n') {
            let start = consumed;
            let end = consumed + nl;
            consumed = end + 1;
            if t.skipping {
                t.skipping = false;
                continue;
            }
            let line_off = t.pos + start as u64;
            let mut line = &buf[start..end];
            if line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            let cut = line.len() > max;
            if cut {
                line = &line[..max];
            }
            out.line(line, line_off, cut, &mut t.pending);
            if out.events.len() >= MAX_BATCH_EVENTS {
                break;
            }
        }
        let more = more || out.events.len() >= MAX_BATCH_EVENTS;
        let rest = &buf[consumed..];
        if !rest.is_empty() && out.events.len() < MAX_BATCH_EVENTS {
            let line_off = t.pos + consumed as u64;
            if t.skipping {
                consumed = buf.len();
            } else if final_read {
                let cut = rest.len() > max;
                out.line(&rest[..rest.len().min(max)], line_off, cut, &mut t.pending);
                consumed = buf.len();
            } else if rest.len() >= max {
                out.line(&rest[..max], line_off, true, &mut t.pending);
                t.skipping = true;
                consumed = buf.len();
            }
        }
        t.pos += consumed as u64;
        if t.pending.is_some() {
            let timed_out = t.last_data.elapsed() >= source.multiline_timeout;
            if final_read || (timed_out && !more) {
                if let Some(g) = t.pending.take() {
                    out.group(g);
                }
            }
        }
        let (commit, commit_skipping) = match &t.pending {
            Some(g) => (g.start, false),
            None => (t.pos, t.skipping),
        };
        Ok(Chunk {
            events: out.events,
            commit,
            commit_skipping,
            more,
        })
    }
}

/// Turns lines into finalized events for one file.
struct Emitter<'a> {
    source: &'a Source,
    path: String,
    events: Vec<Event>,
    max: usize,
    offset: FixedOffset,
    metrics: &'a IngestMetrics,
}

impl Emitter<'_> {
    fn line(&mut self, line: &[u8], at: u64, truncated: bool, pending: &mut Option<Group>) {
        let starts_group = match &self.source.multiline {
            None => {
                if !line.iter().all(u8::is_ascii_whitespace) {
                    self.emit(line, at, truncated);
                }
                return;
            }
            Some(Grouping::Start(start_re)) => start_re.is_match(line),
            Some(Grouping::AuditEvent) => {
                let stamp = vigil_parse::auditd::record_stamp(line);
                let same = stamp.is_some()
                    && pending
                        .as_ref()
                        .is_some_and(|g| g.stamp.as_deref() == stamp);
                if !same {
                    if let Some(g) = pending.take() {
                        self.group(g);
                    }
                    if stamp.is_none() {
                        // Not an audit record: an event of its own.
                        if !line.iter().all(u8::is_ascii_whitespace) {
                            self.emit(line, at, truncated);
                        }
                        return;
                    }
                }
                let end = vigil_parse::auditd::is_end_of_event(line);
                if !same {
                    *pending = Some(Group {
                        start: at,
                        text: line.to_vec(),
                        lines: 1,
                        truncated,
                        stamp: stamp.map(<[u8]>::to_vec),
                    });
                } else {
                    self.append(pending, line, truncated);
                }
                if end {
                    if let Some(g) = pending.take() {
                        self.group(g);
                    }
                }
                return;
            }
        };
        if starts_group || pending.is_none() {
            if let Some(g) = pending.take() {
                self.group(g);
            }
            *pending = Some(Group {
                start: at,
                text: line.to_vec(),
                lines: 1,
                truncated,
                stamp: None,
            });
            return;
        }
        self.append(pending, line, truncated);
    }

    /// Adds a continuation line to the open group, within the line and byte caps.
    fn append(&mut self, pending: &mut Option<Group>, line: &[u8], truncated: bool) {
        if let Some(g) = pending.as_mut() {
            if g.lines >= self.source.max_lines || g.text.len() + 1 + line.len() > self.max {
                g.truncated = true;
                // Keep what fits of the line when the byte cap, not the line cap, is hit.
                if g.lines < self.source.max_lines && g.text.len() + 1 < self.max {
                    let room = self.max - g.text.len() - 1;
                    g.text.push(b'\n');
                    g.text.extend_from_slice(&line[..room.min(line.len())]);
                    g.lines += 1;
                }
                return;
            }
            g.text.push(b'\n');
            g.text.extend_from_slice(line);
            g.lines += 1;
            g.truncated |= truncated;
        }
    }

    fn group(&mut self, g: Group) {
        if !g.text.iter().all(u8::is_ascii_whitespace) {
            self.emit(&g.text, g.start, g.truncated);
        }
    }

    fn emit(&mut self, text: &[u8], at: u64, truncated: bool) {
        let received = Utc::now();
        let started = Instant::now();
        let ctx = ParseContext::new(received).with_offset(self.offset);
        let mut event = parse_line_as(text, &ctx, self.source.parser);
        if truncated {
            event.add_tag(TAG_TRUNCATED);
            IngestMetrics::add(&self.metrics.frames_truncated, 1);
        }
        if event.has_tag(vigil_core::TAG_PARSE_FAILURE) {
            IngestMetrics::add(&self.metrics.parse_failures, 1);
        }
        event.set("log.file.path", self.path.as_str());
        event.set("log.offset", at);
        let source = SourceInfo {
            name: self.source.name.clone(),
            address: Some(self.path.clone()),
        };
        finalize(&mut event, &source, received);
        IngestMetrics::add(
            &self.metrics.parse_nanos,
            started.elapsed().as_nanos() as u64,
        );
        self.events.push(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_bases_and_excludes() {
        let mut cfg = FileSourceConfig::new("app", &["/var/log/app/*.log", "/srv/**/x.log"]);
        cfg.exclude = vec!["*.gz".into(), "/var/log/app/skip.log".into()];
        let s = Source::compile(&cfg).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.includes[0].base, PathBuf::from("/var/log/app"));
        assert_eq!(s.includes[0].depth, 1);
        assert_eq!(s.includes[1].depth, 32);
        assert!(s.includes[0].matcher.is_match("/var/log/app/a.log"));
        assert!(!s.includes[0].matcher.is_match("/var/log/app/sub/a.log"));
        assert!(s.excluded(Path::new("/var/log/app/a.log.gz")));
        assert!(s.excluded(Path::new("/var/log/app/skip.log")));
        assert!(!s.excluded(Path::new("/var/log/app/a.log")));
        let bad = FileSourceConfig {
            multiline_start: Some("(".into()),
            ..FileSourceConfig::new("x", &["/a"])
        };
        assert!(Source::compile(&bad)
            .err()
            .is_some_and(|e| e.contains("multiline_start")));
        let bad = FileSourceConfig {
            parser: Some("xml".into()),
            ..FileSourceConfig::new("x", &["/a"])
        };
        assert!(Source::compile(&bad)
            .err()
            .is_some_and(|e| e.contains("'x'") && e.contains("unknown parser \"xml\"")));
        let bad = FileSourceConfig {
            join: Some("auditd".into()),
            multiline_start: Some("^x".into()),
            ..FileSourceConfig::new("x", &["/a"])
        };
        assert!(Source::compile(&bad)
            .err()
            .is_some_and(|e| e.contains("exclude each other")));
    }
}
