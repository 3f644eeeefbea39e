//! The detection consumer: a thread that follows the journal from its own persisted offset,
//! runs every event through the [`Detector`], and records each finding as an alert.
//!
//! Exactly once: alerts have deterministic ids (rule, group key, window) and the store
//! ignores an id it has seen, so after a crash the journal is replayed from the last
//! persisted offset with the correlation state persisted with it, and the same alerts
//! come out again and are dropped as duplicates: none is lost, none is repeated.
//! Rules reload when their files change (or on `POST /api/v1/rules/reload`); correlation
//! windows of rules that still exist survive a reload.
//! This thread must never write to the journal or skip a journal record.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Utc};
use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};
use vigil_alert::{alert_id, AlertStore, NewAlert, RecordOutcome};
use vigil_core::Event;
use vigil_detect::{
    load_rules, DetectConfig, Detector, DetectorState, Finding, RuleError, RuleInfo,
};
use vigil_journal::JournalReader;

use crate::config::{parse_duration, DetectSettings};

/// Journal records evaluated per batch.
const BATCH: u64 = 4096;
/// How often the offset and correlation state are persisted while events flow.
const PERSIST_EVERY: Duration = Duration::from_secs(2);
/// How often rule files are checked for changes.
const WATCH_EVERY: Duration = Duration::from_secs(2);
/// Alert latencies kept for the percentiles in `/metrics`.
const LATENCY_SAMPLES: usize = 4096;

/// The loaded rules, as the API shows them.
#[derive(Debug, Clone, Default)]
pub struct RulesView {
    pub rules: Vec<Arc<RuleInfo>>,
    pub errors: Vec<RuleError>,
    pub loaded_at: Option<DateTime<Utc>>,
    pub files: usize,
}

/// What a reload did.
#[derive(Debug, Clone, Serialize)]
pub struct ReloadReport {
    pub files: usize,
    pub rules: usize,
    pub errors: Vec<RuleError>,
}

/// Figures and controls shared between the detection thread and the API.
#[derive(Default)]
pub struct DetectionShared {
    pub rules: RwLock<RulesView>,
    /// Next journal record not yet evaluated.
    pub processed_upto: AtomicU64,
    pub events: AtomicU64,
    pub late_events: AtomicU64,
    pub alerts_created: AtomicU64,
    pub alerts_merged: AtomicU64,
    pub alerts_duplicate: AtomicU64,
    pub store_errors: AtomicU64,
    pub correlation_groups: AtomicU64,
    /// Milliseconds from an event's ingestion (receipt) to its alert being stored.
    pub latencies_ms: Mutex<VecDeque<u64>>,
    /// Milliseconds from an event's acknowledgement (journal append) to its alert being
    /// stored.
    pub ack_latencies_ms: Mutex<VecDeque<u64>>,
    /// When journal records were acknowledged (set by the server once the pipeline runs).
    pub ack_clock: std::sync::OnceLock<Arc<crate::pipeline::AckClock>>,
    /// A detector built by a reload request, for the thread to swap in.
    pending: Mutex<Option<(Detector, RulesView)>>,
    stop: AtomicBool,
}

impl DetectionShared {
    /// p50 and p99 of recent alert latencies from ingestion, in milliseconds.
    pub fn latency_percentiles(&self) -> Option<(u64, u64)> {
        percentiles(&self.latencies_ms.lock())
    }

    /// p50 and p99 of recent alert latencies from acknowledgement, in milliseconds.
    pub fn ack_latency_percentiles(&self) -> Option<(u64, u64)> {
        percentiles(&self.ack_latencies_ms.lock())
    }
}

/// p50 and p99 of `samples`.
fn percentiles(samples: &VecDeque<u64>) -> Option<(u64, u64)> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted: Vec<u64> = samples.iter().copied().collect();
    sorted.sort_unstable();
    let at = |p: f64| sorted[((sorted.len() - 1) as f64 * p).round() as usize];
    Some((at(0.50), at(0.99)))
}

/// Adds a latency sample, keeping the newest [`LATENCY_SAMPLES`].
fn add_sample(samples: &Mutex<VecDeque<u64>>, since: DateTime<Utc>) {
    let ms = (Utc::now() - since).num_milliseconds().max(0) as u64;
    let mut samples = samples.lock();
    if samples.len() >= LATENCY_SAMPLES {
        samples.pop_front();
    }
    samples.push_back(ms);
}

/// Settings resolved from `[detect]`.
#[derive(Debug, Clone)]
pub struct DetectionSettings {
    pub rules: Vec<PathBuf>,
    pub suppression: Duration,
    pub config: DetectConfig,
    pub watch: bool,
    /// A live source silent this long raises a `source-silent` event (zero: off).
    pub silence_threshold: Duration,
}

impl DetectionSettings {
    /// Resolves durations and placeholders; an invalid value is an error naming the key.
    pub fn from_config(settings: &DetectSettings) -> Result<Self, String> {
        let suppression = parse_duration(&settings.suppression)
            .map_err(|e| format!("[detect] suppression: {e}"))?;
        let lateness = parse_duration(&settings.allowed_lateness)
            .map_err(|e| format!("[detect] allowed_lateness: {e}"))?;
        let silence_threshold = parse_duration(&settings.silence_threshold)
            .map_err(|e| format!("[detect] silence_threshold: {e}"))?;
        Ok(Self {
            rules: settings.rules.clone(),
            suppression,
            config: DetectConfig {
                placeholders: settings.placeholders.clone(),
                allowed_lateness_secs: lateness.as_secs() as i64,
                max_correlation_events: settings.max_correlation_events.max(1),
                max_state_entries: settings.max_correlation_groups.max(1),
                cross_rule_prefilter: settings.cross_rule_prefilter,
                ..DetectConfig::default()
            },
            watch: settings.watch,
            silence_threshold,
        })
    }
}

/// Loads the rules and compiles a detector. Missing rule paths are reported as errors
/// (the server still starts, with the rules that did load).
pub fn build_detector(settings: &DetectionSettings) -> Result<(Detector, RulesView), String> {
    let mut paths = Vec::new();
    let mut errors = Vec::new();
    for path in &settings.rules {
        if path.exists() {
            paths.push(path.clone());
        } else {
            errors.push(RuleError {
                file: path.clone(),
                line: 0,
                reason: "rule path does not exist".into(),
            });
        }
    }
    let set = load_rules(&paths).map_err(|e| e.to_string())?;
    let (detector, compile_errors) =
        Detector::new(&set, &settings.config).map_err(|e| e.to_string())?;
    errors.extend(set.errors.iter().cloned());
    errors.extend(compile_errors);
    let view = RulesView {
        rules: set.rules().cloned().collect(),
        errors,
        loaded_at: Some(Utc::now()),
        files: set.files,
    };
    Ok((detector, view))
}

/// Hands a freshly built detector to the running thread; returns what was loaded.
pub fn request_reload(
    shared: &DetectionShared,
    settings: &DetectionSettings,
) -> Result<ReloadReport, String> {
    let (detector, view) = build_detector(settings)?;
    let report = ReloadReport {
        files: view.files,
        rules: view.rules.len(),
        errors: view.errors.clone(),
    };
    *shared.pending.lock() = Some((detector, view));
    Ok(report)
}

/// The persisted position and correlation state.
#[derive(Serialize, Deserialize)]
struct Persisted {
    offset: u64,
    detector: DetectorState,
    #[serde(default)]
    sources: Vec<SourceSeen>,
}

/// When a live source last sent, for the silence monitor.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SourceSeen {
    name: String,
    host: Option<String>,
    kind: String,
    last_seen: DateTime<Utc>,
    silent: bool,
}

/// Most sources the silence monitor tracks (the least recently seen are forgotten).
const MAX_SOURCES: usize = 100_000;
/// How often silent sources are looked for.
const SILENCE_CHECK_EVERY: Duration = Duration::from_secs(5);
/// Sources whose events are not a live stream: offline imports and Vigil's own audit trail
/// (every other source, built-in listener or `[[sources.*]]`, is watched for silence).
const NOT_LIVE_SOURCES: &[&str] = &[vigil_ingest::IMPORT_SOURCE, crate::audit::AUDIT_SOURCE];

/// Vigil's own health event about a source (see rules/FORMATS.md, section vigil).
fn source_event(action: &str, seen: &SourceSeen, threshold: Duration, now: DateTime<Utc>) -> Event {
    let mut event = Event::new();
    event.set("@timestamp", vigil_core::time::format_timestamp(now));
    event.set("event.module", "vigil");
    event.set("event.dataset", "vigil.health");
    event.set("event.kind", "event");
    event.set("event.category", serde_json::json!(["host"]));
    event.set("event.type", serde_json::json!(["info"]));
    event.set("event.action", action);
    event.set("observer.product", "Vigil");
    event.set("observer.type", "siem");
    event.set("vigil.source.name", seen.name.as_str());
    if let Some(host) = &seen.host {
        event.set("vigil.source.host", host.as_str());
    }
    event.set("vigil.source.kind", seen.kind.as_str());
    event.set(
        "vigil.silence.seconds",
        (now - seen.last_seen).num_seconds().max(0),
    );
    event.set("vigil.silence.threshold_seconds", threshold.as_secs());
    event.set(
        "vigil.silence.last_seen",
        vigil_core::time::format_timestamp(seen.last_seen),
    );
    event.set(
        "message",
        format!(
            "log source {} {} (last event {})",
            seen.name,
            if action == "source-silent" {
                "has gone silent"
            } else {
                "sends again"
            },
            vigil_core::time::format_timestamp(seen.last_seen)
        ),
    );
    event.set("event.ingested", vigil_core::time::format_timestamp(now));
    event.ensure_id();
    event
}

fn state_path(data_dir: &Path) -> PathBuf {
    data_dir.join("detect").join("state.json")
}

fn load_state(path: &Path) -> Option<Persisted> {
    let bytes = std::fs::read(path).ok()?;
    match serde_json::from_slice(&bytes) {
        Ok(state) => Some(state),
        Err(e) => {
            tracing::error!(path = %path.display(), error = %e, "detection state unreadable; starting from the beginning of the journal (alerts already stored are not repeated)");
            None
        }
    }
}

fn save_state(path: &Path, state: &Persisted) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("json.tmp");
    let bytes = serde_json::to_vec(state).map_err(std::io::Error::other)?;
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

/// Fingerprint of the rule files (paths, sizes, modification times) to notice changes.
fn rules_fingerprint(paths: &[PathBuf]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    fn walk(path: &Path, hasher: &mut std::collections::hash_map::DefaultHasher) {
        let Ok(meta) = std::fs::metadata(path) else {
            return;
        };
        if meta.is_dir() {
            let Ok(entries) = std::fs::read_dir(path) else {
                return;
            };
            let mut entries: Vec<PathBuf> =
                entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            entries.sort();
            for entry in entries {
                walk(&entry, hasher);
            }
        } else {
            path.hash(hasher);
            meta.len().hash(hasher);
            meta.modified()
                .unwrap_or(SystemTime::UNIX_EPOCH)
                .hash(hasher);
        }
    }
    for path in paths {
        walk(path, &mut hasher);
    }
    hasher.finish()
}

/// Turns a finding into the alert the store records.
pub fn alert_from_finding(finding: &Finding, event: &Event) -> NewAlert {
    let rule = &finding.rule;
    let group_key = if finding.correlation.is_some() {
        finding.group_key.clone()
    } else {
        // Detections of one rule on one host within the suppression window are one alert.
        event
            .get_str("host.name")
            .map(|h| vec![("host.name".to_string(), h.to_string())])
            .unwrap_or_default()
    };
    let count = match &finding.correlation {
        Some(c) if c.kind == "event_count" => c.aggregated_value.max(1.0) as u64,
        Some(_) => finding.event_ids.len().max(1) as u64,
        None => 1,
    };
    NewAlert {
        id: alert_id(&rule.id, &finding.identity(), finding.window_time()),
        rule_id: rule.id.clone(),
        rule_title: rule.title.clone(),
        level: rule.level.clone(),
        tags: rule.tags.clone(),
        author: rule.author.clone(),
        license: rule.license.clone(),
        rule_file: Some(rule.file.display().to_string()),
        group_key,
        event_ids: finding.event_ids.clone(),
        contributing: finding
            .correlation
            .as_ref()
            .map(|c| c.rules.clone())
            .unwrap_or_default(),
        first_event_time: finding.first_event_time,
        last_event_time: finding.last_event_time,
        count,
        explanation: finding.explanation(),
        possibly_incomplete: finding.possibly_incomplete,
    }
}

/// The running detection thread.
pub struct DetectionService {
    pub shared: Arc<DetectionShared>,
    pub settings: DetectionSettings,
    handle: Option<JoinHandle<()>>,
}

impl DetectionService {
    /// Loads rules and state and starts following the journal.
    pub fn start(
        data_dir: &Path,
        settings: DetectionSettings,
        reader: JournalReader,
        store: AlertStore,
        runtime: tokio::runtime::Handle,
        sink: vigil_ingest::Sink,
    ) -> Result<Self, String> {
        let (mut detector, view) = build_detector(&settings)?;
        for e in &view.errors {
            tracing::warn!("rule not loaded: {e}");
        }
        tracing::info!(
            rules = view.rules.len(),
            files = view.files,
            errors = view.errors.len(),
            groups = detector.group_count(),
            "detection rules loaded"
        );
        let path = state_path(data_dir);
        let mut offset = 0;
        let mut sources = Vec::new();
        if let Some(state) = load_state(&path) {
            offset = state.offset;
            sources = state.sources;
            if let Err(e) = detector.import_state(state.detector) {
                tracing::warn!(error = %e, "correlation state not restored");
            }
        }
        let shared = Arc::new(DetectionShared::default());
        shared.processed_upto.store(offset, Ordering::Relaxed);
        *shared.rules.write() = view;
        let thread_shared = shared.clone();
        let thread_settings = settings.clone();
        let handle = std::thread::Builder::new()
            .name("vigil-detect".into())
            .spawn(move || {
                let mut worker = Worker {
                    detector,
                    reader,
                    store,
                    runtime,
                    shared: thread_shared,
                    settings: thread_settings,
                    path,
                    offset,
                    halted: false,
                    sink,
                    sources: sources.into_iter().map(|s| (s.name.clone(), s)).collect(),
                };
                worker.run();
            })
            .map_err(|e| format!("cannot start the detection thread: {e}"))?;
        Ok(Self {
            shared,
            settings,
            handle: Some(handle),
        })
    }

    /// Evaluates what is left in the journal, persists the state and stops.
    pub fn shutdown(mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(handle) = self.handle.take() {
            if handle.join().is_err() {
                tracing::error!("detection thread panicked");
            }
        }
    }
}

struct Worker {
    detector: Detector,
    reader: JournalReader,
    store: AlertStore,
    runtime: tokio::runtime::Handle,
    shared: Arc<DetectionShared>,
    settings: DetectionSettings,
    path: PathBuf,
    offset: u64,
    halted: bool,
    sink: vigil_ingest::Sink,
    sources: std::collections::HashMap<String, SourceSeen>,
}

impl Worker {
    fn run(&mut self) {
        let mut last_persist = Instant::now();
        let mut last_watch = Instant::now();
        let mut fingerprint = rules_fingerprint(&self.settings.rules);
        let mut dirty = false;
        let mut last_silence_check = Instant::now();
        loop {
            if !self.settings.silence_threshold.is_zero()
                && last_silence_check.elapsed() >= SILENCE_CHECK_EVERY
            {
                last_silence_check = Instant::now();
                self.check_silence();
            }
            let stopping = self.shared.stop.load(Ordering::SeqCst);
            let pending = self.shared.pending.lock().take();
            if let Some((detector, view)) = pending {
                self.swap(detector, view);
                fingerprint = rules_fingerprint(&self.settings.rules);
            }
            if self.settings.watch && last_watch.elapsed() >= WATCH_EVERY {
                last_watch = Instant::now();
                let now = rules_fingerprint(&self.settings.rules);
                if now != fingerprint {
                    fingerprint = now;
                    tracing::info!("rule files changed; reloading");
                    match build_detector(&self.settings) {
                        Ok((detector, view)) => self.swap(detector, view),
                        Err(e) => {
                            tracing::error!(error = %e, "rule reload failed; keeping the loaded rules")
                        }
                    }
                }
            }
            let upto = self.reader.len();
            let worked = self.offset < upto && self.process(upto);
            if self.halted {
                return;
            }
            dirty |= worked;
            if dirty && (last_persist.elapsed() >= PERSIST_EVERY || stopping) {
                self.persist();
                dirty = false;
                last_persist = Instant::now();
            }
            if stopping && self.offset >= self.reader.len() {
                if dirty {
                    self.persist();
                }
                return;
            }
            if !worked {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// Notes when each live source last sent; a silent one that sends again is reported.
    fn track_sources(&mut self, events: &[Event]) {
        let now = Utc::now();
        let mut resumed = Vec::new();
        for event in events {
            let Some(kind) = event.get_str("log.source.name") else {
                continue;
            };
            if NOT_LIVE_SOURCES.contains(&kind) || event.get_str("event.module") == Some("vigil") {
                continue;
            }
            let host = event.get_str("host.name").map(str::to_string);
            let name = match (&host, event.get_str("log.source.address")) {
                (Some(h), _) => format!("{kind}:{h}"),
                (None, Some(addr)) => format!(
                    "{kind}:{}",
                    addr.rsplit_once(':').map_or(addr, |(ip, _)| ip)
                ),
                (None, None) => continue,
            };
            let seen = self
                .sources
                .entry(name.clone())
                .or_insert_with(|| SourceSeen {
                    name,
                    host,
                    kind: kind.to_string(),
                    last_seen: now,
                    silent: false,
                });
            if seen.silent {
                seen.silent = false;
                resumed.push(source_event(
                    "source-resumed",
                    seen,
                    self.settings.silence_threshold,
                    now,
                ));
            }
            seen.last_seen = now;
        }
        if self.sources.len() > MAX_SOURCES {
            let mut by_age: Vec<(DateTime<Utc>, String)> = self
                .sources
                .values()
                .map(|s| (s.last_seen, s.name.clone()))
                .collect();
            by_age.sort();
            for (_, name) in by_age.into_iter().take(self.sources.len() - MAX_SOURCES) {
                self.sources.remove(&name);
            }
        }
        self.emit(resumed);
    }

    /// Reports live sources silent longer than the threshold (once, until they send again).
    fn check_silence(&mut self) {
        let now = Utc::now();
        let threshold = self.settings.silence_threshold;
        let limit = chrono::Duration::from_std(threshold).unwrap_or(chrono::Duration::MAX);
        let mut silent = Vec::new();
        for seen in self.sources.values_mut() {
            if !seen.silent && now - seen.last_seen > limit {
                seen.silent = true;
                silent.push(source_event("source-silent", seen, threshold, now));
            }
        }
        self.emit(silent);
    }

    /// Puts Vigil's own events into the pipeline (journal, index, detection).
    fn emit(&self, events: Vec<Event>) {
        if events.is_empty() {
            return;
        }
        tracing::info!(count = events.len(), "log source health events");
        if self
            .sink
            .blocking_send(vigil_ingest::Batch::unacked(events))
            .is_err()
        {
            tracing::warn!("pipeline closed; source health events not recorded");
        }
    }

    fn swap(&mut self, mut detector: Detector, view: RulesView) {
        if let Err(e) = detector.import_state(self.detector.export_state()) {
            tracing::warn!(error = %e, "correlation state not carried over the reload");
        }
        for e in &view.errors {
            tracing::warn!("rule not loaded: {e}");
        }
        tracing::info!(
            rules = view.rules.len(),
            errors = view.errors.len(),
            "detection rules reloaded"
        );
        self.detector = detector;
        *self.shared.rules.write() = view;
    }

    fn persist(&self) {
        let state = Persisted {
            offset: self.offset,
            detector: self.detector.export_state(),
            sources: self.sources.values().cloned().collect(),
        };
        if let Err(e) = save_state(&self.path, &state) {
            tracing::error!(error = %e, "cannot persist the detection state; it will be retried");
        }
    }

    /// Evaluates one batch from the journal; returns whether it advanced.
    fn process(&mut self, upto: u64) -> bool {
        let end = upto.min(self.offset + BATCH);
        let mut events = Vec::with_capacity((end - self.offset) as usize);
        let mut seqs = Vec::with_capacity(events.capacity());
        let mut next = self.offset;
        for item in self.reader.scan(self.offset) {
            if next >= end {
                break;
            }
            match item {
                Ok((seq, bytes)) => {
                    match Event::from_canonical_bytes(&bytes) {
                        Ok(event) => {
                            events.push(event);
                            seqs.push(seq);
                        }
                        Err(e) => {
                            tracing::error!(seq, error = %e, "journal record is not an event; skipped by detection")
                        }
                    }
                    next = seq + 1;
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the journal for detection");
                    break;
                }
            }
        }
        if next == self.offset {
            return false;
        }
        if !self.settings.silence_threshold.is_zero() {
            self.track_sources(&events);
        }
        let findings = self.detector.process_batch(&events);
        let ack_clock = self.shared.ack_clock.get();
        // Each alert with when its event was received and acknowledged (for the latencies).
        type Timed = (NewAlert, Option<DateTime<Utc>>, Option<DateTime<Utc>>);
        let mut alerts: Vec<Timed> = Vec::with_capacity(findings.len());
        for finding in &findings {
            let event = &events[finding.event_index];
            let ingested = event
                .get_str("event.ingested")
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc));
            let acked = ack_clock
                .zip(seqs.get(finding.event_index))
                .and_then(|(clock, seq)| clock.acked_at(*seq));
            alerts.push((alert_from_finding(finding, event), ingested, acked));
        }
        if !alerts.is_empty() {
            let store = self.store.clone();
            let suppression = self.settings.suppression;
            let shared = self.shared.clone();
            let written = self.runtime.block_on(async move {
                for (alert, ingested, acked) in alerts {
                    // Retry a failing store (busy, disk full) rather than lose the alert:
                    // the offset does not move until every alert of the batch is stored.
                    let mut attempts = 0;
                    loop {
                        match store.record(&alert, suppression).await {
                            Ok(recorded) => {
                                let counter = match recorded.outcome {
                                    RecordOutcome::Created => &shared.alerts_created,
                                    RecordOutcome::Merged => &shared.alerts_merged,
                                    RecordOutcome::Duplicate => &shared.alerts_duplicate,
                                };
                                counter.fetch_add(1, Ordering::Relaxed);
                                if let Some(ingested) = ingested {
                                    add_sample(&shared.latencies_ms, ingested);
                                }
                                if let Some(acked) = acked {
                                    add_sample(&shared.ack_latencies_ms, acked);
                                }
                                break;
                            }
                            Err(e) => {
                                shared.store_errors.fetch_add(1, Ordering::Relaxed);
                                attempts = (attempts + 1).min(25);
                                tracing::error!(error = %e, alert = %alert.id, "cannot store an alert; retrying");
                                if shared.stop.load(Ordering::SeqCst) {
                                    return false;
                                }
                                tokio::time::sleep(Duration::from_millis(200 * attempts)).await;
                            }
                        }
                    }
                }
                true
            });
            if !written {
                // Stopping with alerts unstored: the correlation state in memory is ahead of
                // what is stored, so nothing more is persisted; the next start replays from
                // the last persisted offset (alert ids make that idempotent).
                self.halted = true;
                return false;
            }
        }
        self.offset = next;
        let stats = self.detector.stats();
        self.shared.processed_upto.store(next, Ordering::Relaxed);
        self.shared.events.store(stats.events, Ordering::Relaxed);
        self.shared
            .late_events
            .store(stats.late_events, Ordering::Relaxed);
        self.shared.correlation_groups.store(
            self.detector.correlation_state_count() as u64,
            Ordering::Relaxed,
        );
        true
    }
}
