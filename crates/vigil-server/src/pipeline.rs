//! The ingest pipeline behind the sources: one journal-writer thread (group commit: it
//! takes every batch waiting, appends them as one fsync'd frame, then acknowledges them)
//! and one indexer thread that follows the journal with its own persisted offset.
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
/// Batches the indexer may lag behind in memory before it reads from the journal instead.
const INDEX_QUEUE: usize = 4;

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
}

impl Pipeline {
    /// Starts the writer (and the indexer, when given) threads.
    pub fn start(
        journal: Journal,
        indexer: Option<Indexer>,
        queue_batches: usize,
    ) -> std::io::Result<Self> {
        let (sink, rx) = mpsc::channel(queue_batches.max(1));
        let state = Arc::new(PipelineState::default());
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
            .spawn(move || writer_loop(journal, rx, index_tx, &writer_state))?;
        Ok(Self {
            sink,
            state,
            writer: Some(writer),
            indexer: indexer_handle,
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
                    if state.shutting_down.load(Ordering::SeqCst) {
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
                // A full queue is fine: the indexer reads the gap back from the journal.
                if let Err(TrySendError::Disconnected(_)) =
                    tx.try_send(IndexBatch { first_seq, events })
                {
                    tracing::error!("indexer stopped; search will lag until restart");
                }
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

fn indexer_loop(
    mut indexer: Indexer,
    reader: JournalReader,
    rx: Receiver<IndexBatch>,
    state: &PipelineState,
) {
    let mut next = indexer.next_seq();
    let mut dirty = false;
    let mut last_commit = Instant::now();
    let catch_up = |indexer: &mut Indexer, next: &mut u64, upto: u64| -> bool {
        if *next >= upto {
            return false;
        }
        let started = Instant::now();
        let from = *next;
        for item in reader.scan(from) {
            if *next >= upto {
                break;
            }
            match item {
                Ok((seq, bytes)) => {
                    match Event::from_canonical_bytes(&bytes) {
                        Ok(event) => {
                            if let Err(e) = indexer.add(seq, &event) {
                                tracing::error!(seq, error = %e, "cannot index event");
                            }
                        }
                        Err(e) => {
                            tracing::error!(seq, error = %e, "journal record is not an event")
                        }
                    }
                    *next = seq + 1;
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the journal for indexing");
                    break;
                }
            }
        }
        if from + 10_000 < *next {
            tracing::info!(
                from,
                to = *next,
                secs = started.elapsed().as_secs_f64(),
                "index caught up from the journal"
            );
        }
        true
    };
    let commit = |indexer: &mut Indexer, next: u64| {
        let started = Instant::now();
        if let Err(e) = indexer.commit() {
            tracing::error!(error = %e, "index commit failed");
            return;
        }
        state
            .index_nanos
            .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        state.indexed_upto.store(next, Ordering::Relaxed);
    };
    if catch_up(&mut indexer, &mut next, reader.len()) {
        commit(&mut indexer, next);
    }
    loop {
        match rx.recv_timeout(Duration::from_millis(250)) {
            Ok(batch) => {
                let started = Instant::now();
                dirty |= catch_up(&mut indexer, &mut next, batch.first_seq);
                for (i, event) in batch.events.iter().enumerate() {
                    let seq = batch.first_seq + i as u64;
                    if seq < next {
                        continue;
                    }
                    if let Err(e) = indexer.add(seq, event) {
                        tracing::error!(seq, error = %e, "cannot index event");
                    }
                    next = seq + 1;
                    dirty = true;
                }
                state
                    .index_nanos
                    .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
            }
            Err(RecvTimeoutError::Timeout) => {
                dirty |= catch_up(&mut indexer, &mut next, reader.len());
            }
            Err(RecvTimeoutError::Disconnected) => {
                catch_up(&mut indexer, &mut next, reader.len());
                commit(&mut indexer, next);
                return;
            }
        }
        if dirty && last_commit.elapsed() >= INDEX_COMMIT_EVERY {
            commit(&mut indexer, next);
            dirty = false;
            last_commit = Instant::now();
        }
    }
}
