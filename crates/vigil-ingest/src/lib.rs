//! Vigil's sources: everything that turns bytes from the outside world into
//! [`vigil_core::Event`]s handed to the pipeline. It owns network listeners (syslog
//! UDP/TCP, TLS, RELP), file tailing, HTTP body decoding (NDJSON, gzip), offline file reading, stream framing,
//! and the finishing touches every event gets on entry (id, `event.ingested`, `log.source`).
//!
//! It must never write to storage itself: events leave through a [`pipeline::Sink`], and a
//! source only reports success to its client once the sink says the batch is durable.

pub mod body;
pub mod file_tail;
pub mod framing;
pub mod metrics;
pub mod pipeline;
pub mod relp;
pub mod source;
pub mod syslog;
pub mod syslog_tls;
pub mod x509;

pub use metrics::IngestMetrics;
pub use pipeline::{AckError, Batch, Sink};
pub use source::{finalize, SourceInfo, IMPORT_SOURCE};
