//! The hand-off from sources to the journal writer: a bounded channel of [`Batch`]es. The
//! bound is the backpressure: a TCP reader awaiting `send` stops reading its socket.

use std::ops::Range;
use tokio::sync::{mpsc, oneshot};
use vigil_core::Event;

/// Why a batch was not made durable.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum AckError {
    /// The disk is full or unwritable; nothing of the batch was kept.
    #[error("storage unavailable: {0}")]
    Storage(String),
    /// The server is shutting down.
    #[error("server is shutting down")]
    ShuttingDown,
}

/// Events from one source read, with an optional acknowledgement channel that receives the
/// journal sequence range once the batch is durable. The canonical bytes are computed where
/// the batch is built (on the source's thread), so the single journal writer only appends.
#[derive(Debug)]
pub struct Batch {
    /// The finalized events.
    pub events: Vec<Event>,
    /// Each event's canonical bytes, in the same order.
    pub records: Vec<Vec<u8>>,
    /// Told the journal range (or the failure) once the batch is written.
    pub ack: Option<oneshot::Sender<Result<Range<u64>, AckError>>>,
}

/// The sending side of the pipeline.
pub type Sink = mpsc::Sender<Batch>;

impl Batch {
    /// A batch whose sender waits for durability.
    pub fn acked(events: Vec<Event>) -> (Self, oneshot::Receiver<Result<Range<u64>, AckError>>) {
        let (tx, rx) = oneshot::channel();
        let mut batch = Self::unacked(events);
        batch.ack = Some(tx);
        (batch, rx)
    }

    /// A fire-and-forget batch (syslog has no acknowledgements).
    pub fn unacked(events: Vec<Event>) -> Self {
        let records = events.iter().map(Event::to_canonical_bytes).collect();
        Self {
            events,
            records,
            ack: None,
        }
    }
}
