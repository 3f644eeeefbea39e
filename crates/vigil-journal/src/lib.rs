//! Vigil's system of record.
//!
//! Every event (already serialised by the caller to canonical bytes) is appended to an
//! append-only, zstd-compressed segment file and becomes one leaf of a single RFC 6962
//! Merkle tree over the whole journal. The writer signs C2SP checkpoints of that tree with
//! an Ed25519 key, and [`verify`] re-derives everything from the files on disk to detect any
//! modification, deletion, reordering or truncation.
//!
//! On-disk layout of a journal directory:
//!
//! ```text
//! dir/segments/00000000000000000000.seg  segment files, named by the first sequence number they hold
//! dir/checkpoints.log                    every signed checkpoint, append-only, framed
//! dir/checkpoint                         the latest signed checkpoint note
//! dir/state                              Merkle frontier at the latest checkpoint (fast restart)
//! dir/keys/checkpoint.key                Ed25519 signing key (mode 0600)
//! dir/keys/checkpoint.pub                C2SP note verifier key line
//! ```
//!
//! The byte formats are described in [`frame`] (segments) and [`checkpoint`] (notes and the log).

pub mod checkpoint;
mod error;
pub mod frame;
mod journal;
pub mod merkle;
mod reader;
mod state;
mod store;
mod verify;

pub use checkpoint::Checkpoint;
pub use error::JournalError;
pub use journal::{Journal, JournalOptions};
pub use reader::{JournalReader, Scan};
pub use verify::{verify, Tamper, TamperKind, TornTail, VerifyReport};
