//! The ingest pipeline behind the sources: one journal-writer thread (group commit: it
//! takes every batch waiting, appends them as one fsync'd frame, then acknowledges them)
//! and one indexer thread that follows the journal with its own persisted offset.
//!
//! With `[[pipelines]]` configured, a remap thread sits between the sources and the writer:
//! it runs the VRL pipelines on each batch (in arrival order) and recomputes the canonical
//! bytes of the events they changed. Without pipelines there is no such stage.
//!
//! Invariants: an acknowledgement is sent only after the journal append returned (so after
//! fsync when enabled); the indexer never skips a journal record: batches handed to it over
//! the channel are a shortcut, and any gap is read back from the journal.

use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use vigil_core::Event;
use vigil_index::Indexer;
use vigil_ingest::{AckError, Batch, Sink};
use vigil_journal::{Journal, JournalReader};

/// Most events the writer puts in one journal frame.
const MAX_FRAME_EVENTS: usize = 8_192;
/// How often a checkpoint is signed while events arrive.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);
/// How often the indexer commits (what bounds search visibility).
const INDEX_COMMIT_EVERY: Duration = Duration::from_millis(1000);
/// How often the indexer commits while it is far behind the journal.
const INDEX_COMMIT_BEHIND: Duration = Duration::from_secs(15);
/// Journal records the index may lag before it counts as far behind.
const INDEX_BEHIND: u64 = 100_000;
/// Most journal records read back for the index in one go.
const CATCH_UP_CHUNK: u64 = 50_000;
/// Batches the indexer may lag behind in memory.
const INDEX_QUEUE: usize = 2;
/// How long the journal writer waits for a lagging indexer before leaving it to catch up from the journal.
const INDEX_WAIT: Duration = Duration::from_secs(2);
/// Longest the journal writer waits for lagging detection after one frame.
const DETECT_WAIT: Duration = Duration::from_secs(2);
/// Detection that has not advanced for this long counts as stalled (a rule reload, a pathological
/// rule): nobody waits for it. Longer than one detection batch takes under load.
const DETECT_STALLED: Duration = Duration::from_secs(5);

/// Live figures about the pipeline, read by the health endpoint and metrics.
#[derive(Debug, Default)]
pub struct PipelineState {
    /// Records in the journal.
    pub journal_size: AtomicU64,
    /// Size covered by the latest signed checkpoint.
    pub checkpoint_size: AtomicU64,
    /// Next journal record the index has not committed yet.
    pub indexed_upto: AtomicU64,
    /// Journal frames written.
    pub frames_written: AtomicU64,
    /// Nanoseconds spent appending (serialising, compressing, writing, fsync).
    pub journal_nanos: AtomicU64,
    /// Nanoseconds spent indexing and committing.
    pub index_nanos: AtomicU64,
    /// The storage error that currently stops ingestion (disk full), if any.
    pub storage_error: Mutex<Option<String>>,
    /// Set once shutdown has begun.
    pub shutting_down: AtomicBool,
    /// The user-defined pipelines, when configured (their counters feed /metrics).
    pub remap: Option<Arc<vigil_remap::Pipelines>>,
    /// Detection, which ingestion waits for when it falls too far behind (set once
    /// detection has started; see [`DetectionPace`]).
    pub detection_pace: std::sync::OnceLock<DetectionPace>,
    /// Nanoseconds the journal writer spent waiting for detection to catch up.
    pub detection_wait_nanos: AtomicU64,
    /// When recent journal frames were acknowledged (for alert latency from the ack).
    pub ack_clock: Arc<AckClock>,
}

/// When the recent journal frames were appended, which is when their events were
/// acknowledged: detection uses it to time an alert from its event's acknowledgement
/// (`vigil_alert_latency_from_ack_*`). Keeps the last [`AckClock::FRAMES`] frames.
#[derive(Debug, Default)]
pub struct AckClock {
    /// (first record, journal size after the frame, time of the append), oldest first.
    frames: Mutex<std::collections::VecDeque<(u64, u64, chrono::DateTime<chrono::Utc>)>>,
}

impl AckClock {
    /// Frames remembered (minutes of history at the frame rates of a busy server).
    pub const FRAMES: usize = 8_192;

    /// Notes that records `first..end` were appended (and acknowledged) at `at`.
    pub fn appended(&self, first: u64, end: u64, at: chrono::DateTime<chrono::Utc>) {
        let mut frames = self.frames.lock();
        if frames.len() >= Self::FRAMES {
            frames.pop_front();
        }
        frames.push_back((first, end, at));
    }

    /// When the record `seq` was acknowledged; `None` when its frame is no longer (or was
    /// never, being from before this start) remembered.
    pub fn acked_at(&self, seq: u64) -> Option<chrono::DateTime<chrono::Utc>> {
        let frames = self.frames.lock();
        let at = frames.partition_point(|(_, end, _)| *end <= seq);
        let (first, _, time) = *frames.get(at)?;
        (first <= seq).then_some(time)
    }
}

/// Detection as a follower of the journal that sets the pace of ingestion: after each
/// journal frame the writer waits (up to [`DETECT_WAIT`]) while detection is more than
/// `max_lag` records behind, so under overload senders are slowed (TCP backpressure, HTTP
/// 429) instead of alerts falling minutes behind their events. Detection that has not
/// advanced for [`DETECT_STALLED`] (a rule reload, a pathological rule) does not hold
/// ingestion back.
pub struct DetectionPace {
    /// The next journal record detection has not evaluated.
    pub evaluated_upto: Box<dyn Fn() -> u64 + Send + Sync>,
    /// Records detection may lag before the writer waits for it.
    pub max_lag: u64,
}

impl std::fmt::Debug for DetectionPace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DetectionPace")
            .field("max_lag", &self.max_lag)
            .finish_non_exhaustive()
    }
}

struct IndexBatch {
    first_seq: u64,
    events: Vec<Event>,
}

/// The running pipeline.
pub struct Pipeline {
    sink: Sink,
    /// Shared figures.
    pub state: Arc<PipelineState>,
    writer: Option<JoinHandle<()>>,
    indexer: Option<JoinHandle<()>>,
    remap: Option<JoinHandle<()>>,
}

impl Pipeline {
    /// Starts the writer (and the indexer, when given) threads, and the remap thread when
    /// pipelines are given.
    pub fn start(
        journal: Journal,
        indexer: Option<Indexer>,
        queue_batches: usize,
        remap: Option<Arc<vigil_remap::Pipelines>>,
    ) -> std::io::Result<Self> {
        let remap = remap.filter(|p| !p.is_empty());
        let (writer_tx, rx) = mpsc::channel(queue_batches.max(1));
        let state = Arc::new(PipelineState {
            remap: remap.clone(),
            ..PipelineState::default()
        });
        let (sink, remap_handle) = match remap {
            Some(pipelines) => {
                let (sink, remap_rx) = mpsc::channel(queue_batches.max(1));
                let state = state.clone();
                let handle = std::thread::Builder::new()
                    .name("vigil-remap".into())
                    .spawn(move || remap_loop(&pipelines, remap_rx, writer_tx, &state))?;
                (sink, Some(handle))
            }
            None => (writer_tx, None),
        };
        // With a remap stage, the writer stops when that stage has drained and gone.
        let stop_when_idle = remap_handle.is_none();
        state.journal_size.store(journal.len(), Ordering::Relaxed);
        let reader = journal.reader();
        let (index_tx, indexer_handle) = match indexer {
            Some(indexer) => {
                let (tx, irx) = sync_channel(INDEX_QUEUE);
                let state = state.clone();
                state
                    .indexed_upto
                    .store(indexer.next_seq(), Ordering::Relaxed);
                let handle = std::thread::Builder::new()
                    .name("vigil-indexer".into())
                    .spawn(move || indexer_loop(indexer, reader, irx, &state))?;
                (Some(tx), Some(handle))
            }
            None => (None, None),
        };
        let writer_state = state.clone();
        let writer = std::thread::Builder::new()
            .name("vigil-journal".into())
            .spawn(move || writer_loop(journal, rx, index_tx, &writer_state, stop_when_idle))?;
        Ok(Self {
            sink,
            state,
            writer: Some(writer),
            indexer: indexer_handle,
            remap: remap_handle,
        })
    }

    /// A sender for sources.
    pub fn sink(&self) -> Sink {
        self.sink.clone()
    }

    /// Drains what was queued, writes a last checkpoint, commits the index and stops.
    /// Sources must have stopped sending; a sender still alive is ignored after the drain.
    pub fn shutdown(mut self) {
        self.state.shutting_down.store(true, Ordering::SeqCst);
        drop(self.sink);
        if let Some(remap) = self.remap.take() {
            if remap.join().is_err() {
                tracing::error!("remap thread panicked");
            }
        }
        if let Some(writer) = self.writer.take() {
            if writer.join().is_err() {
                tracing::error!("journal writer thread panicked");
            }
        }
        if let Some(indexer) = self.indexer.take() {
            if indexer.join().is_err() {
                tracing::error!("indexer thread panicked");
            }
        }
    }
}

fn writer_loop(
    mut journal: Journal,
    mut rx: mpsc::Receiver<Batch>,
    index_tx: Option<SyncSender<IndexBatch>>,
    state: &PipelineState,
    stop_when_idle: bool,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the journal writer");
            return;
        }
    };
    let mut last_checkpoint = Instant::now();
    let mut pending: Vec<Batch> = Vec::new();
    let mut open = true;
    let mut detection_progress = (0u64, Instant::now());
    while open || !pending.is_empty() {
        if pending.is_empty() {
            match runtime.block_on(async {
                tokio::time::timeout(Duration::from_millis(200), rx.recv()).await
            }) {
                Ok(Some(batch)) => pending.push(batch),
                Ok(None) => open = false,
                Err(_) => {}
            }
        }
        let mut count: usize = pending.iter().map(|b| b.events.len()).sum();
        while count < MAX_FRAME_EVENTS {
            match rx.try_recv() {
                Ok(batch) => {
                    count += batch.events.len();
                    pending.push(batch);
                }
                Err(mpsc::error::TryRecvError::Empty) => {
                    if stop_when_idle && state.shutting_down.load(Ordering::SeqCst) {
                        open = false;
                    }
                    break;
                }
                Err(mpsc::error::TryRecvError::Disconnected) => {
                    open = false;
                    break;
                }
            }
        }
        if !pending.is_empty() {
            let failed = write_batches(&mut journal, &mut pending, index_tx.as_ref(), state);
            if !failed && open {
                let _outcome = wait_for_detection(state, &mut detection_progress);
            }
            if failed {
                if !open {
                    // Shutting down with storage unavailable: nothing more can be done.
                    for batch in pending.drain(..) {
                        tracing::error!(
                            events = batch.events.len(),
                            "events not stored at shutdown: storage unavailable"
                        );
                    }
                } else {
                    std::thread::sleep(Duration::from_millis(500));
                }
            }
        }
        if last_checkpoint.elapsed() >= CHECKPOINT_EVERY || !open {
            match journal.checkpoint(chrono::Utc::now()) {
                Ok(Some(cp)) => state.checkpoint_size.store(cp.size, Ordering::Relaxed),
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "cannot write checkpoint"),
            }
            last_checkpoint = Instant::now();
        }
    }
}

/// The remap thread: runs the pipelines on every batch, in order, and passes it on. At
/// shutdown it drains what is queued and stops (dropping its sender ends the writer).
fn remap_loop(
    pipelines: &vigil_remap::Pipelines,
    mut rx: mpsc::Receiver<Batch>,
    tx: mpsc::Sender<Batch>,
    state: &PipelineState,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the remap stage");
            return;
        }
    };
    let mut runner = vigil_remap::Runner::new();
    loop {
        let mut batch = match rx.try_recv() {
            Ok(batch) => batch,
            Err(mpsc::error::TryRecvError::Disconnected) => return,
            Err(mpsc::error::TryRecvError::Empty) => {
                if state.shutting_down.load(Ordering::SeqCst) {
                    return;
                }
                match runtime.block_on(async {
                    tokio::time::timeout(Duration::from_millis(200), rx.recv()).await
                }) {
                    Ok(Some(batch)) => batch,
                    Ok(None) => return,
                    Err(_) => continue,
                }
            }
        };
        remap_batch(pipelines, &mut runner, &mut batch);
        if tx.blocking_send(batch).is_err() {
            tracing::error!("journal writer stopped; remap stage ends");
            return;
        }
    }
}

/// Runs the pipelines on each event of a batch, recomputing the canonical bytes of those
/// that changed.
pub fn remap_batch(
    pipelines: &vigil_remap::Pipelines,
    runner: &mut vigil_remap::Runner,
    batch: &mut Batch,
) {
    for (event, record) in batch.events.iter_mut().zip(batch.records.iter_mut()) {
        if pipelines.apply(event, runner) {
            record.clear();
            event.write_canonical(record);
        }
    }
}

/// Appends every pending batch as one frame. Acknowledged batches are answered either way;
/// unacknowledged ones (syslog) stay pending on failure, to be retried. Returns whether the
/// append failed.
fn write_batches(
    journal: &mut Journal,
    pending: &mut Vec<Batch>,
    index_tx: Option<&SyncSender<IndexBatch>>,
    state: &PipelineState,
) -> bool {
    let started = Instant::now();
    let refs: Vec<&[u8]> = pending
        .iter()
        .flat_map(|b| b.records.iter().map(Vec::as_slice))
        .collect();
    match journal.append(&refs) {
        Ok(first_seq) => {
            state
                .journal_nanos
                .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
            state.frames_written.fetch_add(1, Ordering::Relaxed);
            state.journal_size.store(journal.len(), Ordering::Relaxed);
            state
                .ack_clock
                .appended(first_seq, journal.len(), chrono::Utc::now());
            if state.storage_error.lock().take().is_some() {
                tracing::info!("storage available again: ingestion resumed");
            }
            let mut seq = first_seq;
            let mut events = Vec::with_capacity(refs.len());
            drop(refs);
            for batch in pending.drain(..) {
                let n = batch.events.len() as u64;
                if let Some(ack) = batch.ack {
                    let _ = ack.send(Ok(seq..seq + n));
                }
                seq += n;
                events.extend(batch.events);
            }
            if let Some(tx) = index_tx {
                hand_to_indexer(tx, IndexBatch { first_seq, events });
            }
            false
        }
        Err(e) => {
            let message = e.to_string();
            let first_report = state
                .storage_error
                .lock()
                .replace(message.clone())
                .is_none();
            if first_report {
                tracing::error!(error = %message, "journal append failed: ingestion paused until storage recovers");
            }
            pending.retain_mut(|batch| match batch.ack.take() {
                Some(ack) => {
                    let _ = ack.send(Err(AckError::Storage(message.clone())));
                    false
                }
                None => true,
            });
            true
        }
    }
}

/// Waits while detection is more than its `max_lag` behind the journal, at most
/// [`DETECT_WAIT`], and not at all when it has not advanced for [`DETECT_STALLED`].
/// `progress` is the last evaluated position seen and when it last moved.
fn wait_for_detection(state: &PipelineState, progress: &mut (u64, Instant)) -> PaceOutcome {
    let Some(pace) = state.detection_pace.get() else {
        return PaceOutcome::NotPaced;
    };
    let started = Instant::now();
    let outcome = loop {
        let upto = (pace.evaluated_upto)();
        let now = Instant::now();
        if upto != progress.0 {
            *progress = (upto, now);
        }
        let journal = state.journal_size.load(Ordering::Relaxed);
        if journal.saturating_sub(upto) <= pace.max_lag {
            break PaceOutcome::WithinLag;
        }
        if now.duration_since(progress.1) >= DETECT_STALLED {
            break PaceOutcome::Stalled;
        }
        if now.duration_since(started) >= DETECT_WAIT {
            break PaceOutcome::WaitedLongest;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let waited = started.elapsed().as_nanos() as u64;
    state
        .detection_wait_nanos
        .fetch_add(waited, Ordering::Relaxed);
    outcome
}

/// Why the writer went on after [`wait_for_detection`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PaceOutcome {
    /// No detection to wait for.
    NotPaced,
    /// Detection is within its lag.
    WithinLag,
    /// Detection has not advanced for [`DETECT_STALLED`].
    Stalled,
    /// [`DETECT_WAIT`] passed with detection still behind but advancing.
    WaitedLongest,
}

/// Gives appended events to the indexer, waiting up to [`INDEX_WAIT`] when it is behind:
/// that slows ingestion to the indexer's pace (keeping search within seconds of the journal
/// and memory bounded) without letting a stuck index stop the journal. After the wait the
/// batch is dropped and the indexer reads the gap back from the journal.
fn hand_to_indexer(tx: &SyncSender<IndexBatch>, batch: IndexBatch) {
    let deadline = Instant::now() + INDEX_WAIT;
    let mut batch = batch;
    loop {
        match tx.try_send(batch) {
            Ok(()) => return,
            Err(TrySendError::Disconnected(_)) => {
                tracing::error!("indexer stopped; search will lag until restart");
                return;
            }
            Err(TrySendError::Full(back)) => {
                if Instant::now() >= deadline {
                    return;
                }
                batch = back;
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    }
}

/// Indexes journal records from `*next` up to `upto` (exclusive), at most
/// [`CATCH_UP_CHUNK`] of them, reading them back from the journal. Returns whether it
/// indexed anything; an index error means the writer is unusable and must be reopened.
fn catch_up(
    indexer: &mut Indexer,
    reader: &JournalReader,
    next: &mut u64,
    upto: u64,
) -> Result<bool, vigil_index::IndexError> {
    let from = *next;
    let upto = upto.min(from + CATCH_UP_CHUNK);
    if from >= upto {
        return Ok(false);
    }
    for item in reader.scan(from) {
        if *next >= upto {
            break;
        }
        match item {
            Ok((seq, bytes)) => {
                match Event::from_canonical_bytes(&bytes) {
                    Ok(event) => indexer.add(seq, &event)?,
                    Err(e) => tracing::error!(seq, error = %e, "journal record is not an event"),
                }
                *next = seq + 1;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot read the journal for indexing");
                break;
            }
        }
    }
    Ok(*next > from)
}

/// The indexer thread: follows the journal, committing about every second. When the index
/// fails (disk full, I/O error) nothing uncommitted is trusted: the writer is dropped and
/// reopened from its last commit, and the journal is replayed from there.
fn indexer_loop(
    indexer: Indexer,
    reader: JournalReader,
    rx: Receiver<IndexBatch>,
    state: &PipelineState,
) {
    let dir = indexer.dir().to_path_buf();
    let mut next = indexer.next_seq();
    let mut indexer = Some(indexer);
    let mut dirty = false;
    let mut last_commit = Instant::now();
    let mut open = true;
    if next < reader.len() {
        tracing::info!(
            from = next,
            to = reader.len(),
            "indexing journal records the index does not have yet"
        );
    }
    while open {
        let Some(writer) = indexer.as_mut() else {
            match Indexer::open(&dir, vigil_index::IndexOptions::default()) {
                Ok(reopened) => {
                    next = reopened.next_seq();
                    dirty = false;
                    tracing::info!(
                        next,
                        "index writer reopened; replaying the journal from its last commit"
                    );
                    indexer = Some(reopened);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot reopen the index yet; retrying");
                    std::thread::sleep(Duration::from_secs(1));
                    if let Err(std::sync::mpsc::RecvTimeoutError::Disconnected) =
                        rx.recv_timeout(Duration::ZERO)
                    {
                        open = false;
                    }
                }
            }
            continue;
        };
        let started = Instant::now();
        let behind = reader.len() > next + CATCH_UP_CHUNK;
        // While far behind, read from the journal first; the queued batches are newer.
        let received = if behind {
            Err(RecvTimeoutError::Timeout)
        } else {
            rx.recv_timeout(Duration::from_millis(250))
        };
        let outcome: Result<(), vigil_index::IndexError> = match received {
            Ok(batch) => catch_up(writer, &reader, &mut next, batch.first_seq).and_then(|added| {
                dirty |= added;
                // Still a gap: leave this batch to be read back from the journal later.
                if next >= batch.first_seq {
                    for (i, event) in batch.events.iter().enumerate() {
                        let seq = batch.first_seq + i as u64;
                        if seq >= next {
                            writer.add(seq, event)?;
                            next = seq + 1;
                            dirty = true;
                        }
                    }
                }
                Ok(())
            }),
            Err(RecvTimeoutError::Timeout) => {
                let result =
                    catch_up(writer, &reader, &mut next, reader.len()).map(|added| dirty |= added);
                if behind {
                    // Drop queued batches the journal read will cover anyway; notice shutdown.
                    loop {
                        match rx.try_recv() {
                            Ok(batch) => drop(batch),
                            Err(std::sync::mpsc::TryRecvError::Empty) => break,
                            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                                open = false;
                                break;
                            }
                        }
                    }
                }
                result
            }
            Err(RecvTimeoutError::Disconnected) => {
                open = false;
                Ok(())
            }
        };
        // Caught up: commit every second so new events are searchable within ~2 s. Far
        // behind (a rebuild, a burst): commit rarely, since every commit writes a segment
        // that must later be merged, which would slow the catch-up further.
        let lag = reader.len().saturating_sub(next);
        let every = if lag > INDEX_BEHIND {
            INDEX_COMMIT_BEHIND
        } else {
            INDEX_COMMIT_EVERY
        };
        let outcome = outcome.and_then(|()| {
            if dirty && (last_commit.elapsed() >= every || !open) {
                writer.commit()?;
                state.indexed_upto.store(next, Ordering::Relaxed);
                dirty = false;
                last_commit = Instant::now();
            }
            Ok(())
        });
        state
            .index_nanos
            .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        if let Err(e) = outcome {
            tracing::error!(error = %e, "indexing failed; reopening the index from its last commit");
            indexer = None;
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paced(journal: u64, evaluated: &Arc<AtomicU64>, max_lag: u64) -> PipelineState {
        let state = PipelineState::default();
        state.journal_size.store(journal, Ordering::Relaxed);
        let evaluated = evaluated.clone();
        let _ = state.detection_pace.set(DetectionPace {
            evaluated_upto: Box::new(move || evaluated.load(Ordering::Relaxed)),
            max_lag,
        });
        state
    }

    #[test]
    fn the_writer_waits_until_lagging_detection_is_back_within_its_lag() {
        let evaluated = Arc::new(AtomicU64::new(0));
        let state = paced(100_000, &evaluated, 1_000);
        let detector = {
            let evaluated = evaluated.clone();
            std::thread::spawn(move || {
                // Detection advancing in chunks, as the detection thread does.
                for upto in (0..=100_000).step_by(4_096) {
                    evaluated.store(upto, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(1));
                }
                evaluated.store(100_000, Ordering::Relaxed);
            })
        };
        let mut progress = (0, Instant::now());
        let outcome = wait_for_detection(&state, &mut progress);
        let lag = 100_000 - evaluated.load(Ordering::Relaxed);
        assert_eq!(outcome, PaceOutcome::WithinLag);
        assert!(
            lag <= 1_000,
            "the writer went on with detection {lag} behind"
        );
        let _ = detector.join();
    }

    #[test]
    fn stalled_or_absent_detection_does_not_hold_ingestion() {
        // Detection far behind and advancing, but slowly: the writer waits its longest.
        let evaluated = Arc::new(AtomicU64::new(10));
        let state = paced(100_000, &evaluated, 1_000);
        let mut progress = (0, Instant::now());
        assert_eq!(
            wait_for_detection(&state, &mut progress),
            PaceOutcome::WaitedLongest
        );
        assert!(state.detection_wait_nanos.load(Ordering::Relaxed) > 0);
        // Detection that has not moved for DETECT_STALLED (a rule reload): not waited for.
        let long_ago = Instant::now()
            .checked_sub(DETECT_STALLED)
            .unwrap_or(progress.1);
        progress = (10, long_ago);
        assert_eq!(
            wait_for_detection(&state, &mut progress),
            PaceOutcome::Stalled
        );
        // Detection within its lag: no wait.
        evaluated.store(99_500, Ordering::Relaxed);
        assert_eq!(
            wait_for_detection(&state, &mut progress),
            PaceOutcome::WithinLag
        );
        // Without detection (disabled, or max_lag = 0) there is nothing to wait for.
        let unpaced = PipelineState::default();
        unpaced.journal_size.store(100_000, Ordering::Relaxed);
        assert_eq!(
            wait_for_detection(&unpaced, &mut progress),
            PaceOutcome::NotPaced
        );
    }

    #[test]
    fn the_ack_clock_finds_the_frame_of_a_record() {
        let clock = AckClock::default();
        let t = |s: i64| chrono::DateTime::from_timestamp(s, 0).unwrap_or_default();
        clock.appended(100, 150, t(1));
        clock.appended(150, 400, t(2));
        clock.appended(400, 401, t(3));
        assert_eq!(clock.acked_at(99), None, "before this start");
        assert_eq!(clock.acked_at(100), Some(t(1)));
        assert_eq!(clock.acked_at(149), Some(t(1)));
        assert_eq!(clock.acked_at(150), Some(t(2)));
        assert_eq!(clock.acked_at(400), Some(t(3)));
        assert_eq!(clock.acked_at(401), None, "not appended yet");
        for i in 0..AckClock::FRAMES as u64 {
            clock.appended(401 + i, 402 + i, t(4));
        }
        assert_eq!(clock.acked_at(100), None, "forgotten");
        assert_eq!(clock.acked_at(401), Some(t(4)));
    }
}
