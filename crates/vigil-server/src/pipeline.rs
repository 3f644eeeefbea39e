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
