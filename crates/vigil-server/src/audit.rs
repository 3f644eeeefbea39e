//! The audit trail: a second journal at `<data_dir>/audit/` (same Merkle tree and signed
//! checkpoints as the event journal, with its own signing key) that receives one
//! [`AuditRecord`] per authentication, search, change and administrative command. Every
//! record is also put into the event stream as an ECS event (`event.dataset: vigil.audit`)
//! so detection rules can watch the watchers.
//!
//! Records from the offline CLI (`vigil users …`, `vigil tokens …`) go through an outbox
//! table in the metadata database: the CLI appends them to the journal itself when no server
//! holds the data directory, and a running server drains the outbox every few seconds.

use anyhow::{Context, Result};
use parking_lot::Mutex;
use serde_json::Value;
use sqlx::{Row, SqlitePool};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use vigil_auth::AuditRecord;
use vigil_ingest::{finalize, Batch, Sink, SourceInfo};
use vigil_journal::{Journal, JournalOptions, JournalReader};

/// `log.source.name` of the audit events put into the event stream.
pub const AUDIT_SOURCE: &str = "vigil-audit";

/// The audit journal's directory inside a data directory.
pub fn audit_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("audit")
}

/// Opens (creating if needed) the audit journal of a data directory.
pub fn open_journal(data_dir: &Path) -> Result<Journal> {
    let dir = audit_dir(data_dir);
    let options = JournalOptions {
        origin: "vigil.local/audit".to_string(),
        segment_max_bytes: 64 * 1024 * 1024,
        fsync: true,
    };
    Journal::open(&dir, options)
        .with_context(|| format!("cannot open the audit journal in {}", dir.display()))
}

const OUTBOX: &str = "CREATE TABLE IF NOT EXISTS audit_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    record TEXT NOT NULL
)";

/// Queues a record for the audit journal (used by the offline CLI).
pub async fn enqueue(pool: &SqlitePool, record: &AuditRecord) -> Result<()> {
    sqlx::query(OUTBOX).execute(pool).await?;
    let text = serde_json::to_string(record)?;
    sqlx::query("INSERT INTO audit_outbox (record) VALUES (?)")
        .bind(text)
        .execute(pool)
        .await?;
    Ok(())
}

/// Takes every queued record out of the outbox (oldest first).
async fn take_outbox(pool: &SqlitePool) -> Result<Vec<(i64, AuditRecord)>> {
    sqlx::query(OUTBOX).execute(pool).await?;
    let rows = sqlx::query("SELECT id, record FROM audit_outbox ORDER BY id")
        .fetch_all(pool)
        .await?;
    let mut out = Vec::new();
    for row in rows {
        let id: i64 = row.try_get("id")?;
        let text: String = row.try_get("record")?;
        match serde_json::from_str::<AuditRecord>(&text) {
            Ok(r) => out.push((id, r)),
            Err(e) => {
                tracing::error!(error = %e, id, "unreadable audit outbox entry dropped");
                sqlx::query("DELETE FROM audit_outbox WHERE id = ?")
                    .bind(id)
                    .execute(pool)
                    .await?;
            }
        }
    }
    Ok(out)
}

async fn delete_outbox(pool: &SqlitePool, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM audit_outbox WHERE id = ?")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Appends one record to a journal and signs a checkpoint over it.
fn append(journal: &mut Journal, record: &AuditRecord) -> Result<()> {
    let bytes = serde_json::to_vec(record)?;
    journal
        .append(&[&bytes])
        .context("cannot append to the audit journal")?;
    journal
        .checkpoint(chrono::Utc::now())
        .context("cannot sign an audit checkpoint")?;
    Ok(())
}

/// Offline: moves the outbox into the audit journal of `data_dir` (the caller holds the
/// data directory lock). Returns how many records were appended.
pub async fn drain_offline(pool: &SqlitePool, data_dir: &Path) -> Result<usize> {
    let pending = take_outbox(pool).await?;
    if pending.is_empty() {
        return Ok(0);
    }
    let mut journal = open_journal(data_dir)?;
    for (id, record) in &pending {
        append(&mut journal, record)?;
        delete_outbox(pool, *id).await?;
    }
    Ok(pending.len())
}

/// The server's audit log.
pub struct AuditLog {
    journal: Mutex<Journal>,
    reader: JournalReader,
    sink: Option<Sink>,
}

impl AuditLog {
    /// Opens the audit journal of `data_dir`; records also go to `sink` when given.
    pub fn open(data_dir: &Path, sink: Option<Sink>) -> Result<Arc<Self>> {
        let journal = open_journal(data_dir)?;
        let reader = journal.reader();
        Ok(Arc::new(Self {
            journal: Mutex::new(journal),
            reader,
            sink,
        }))
    }

    /// Appends a record (durably, with a fresh signed checkpoint) and puts its ECS form into
    /// the event stream. A failure to journal is logged loudly; it never reveals secrets
    /// (records are redacted when built).
    pub async fn record(self: &Arc<Self>, record: AuditRecord) {
        let this = self.clone();
        let ecs = record.to_ecs_event_json();
        let written = tokio::task::spawn_blocking(move || {
            let mut journal = this.journal.lock();
            append(&mut journal, &record)
        })
        .await;
        match written {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %format!("{e:#}"), "AUDIT RECORD NOT WRITTEN"),
            Err(e) => tracing::error!(error = %e, "AUDIT RECORD NOT WRITTEN"),
        }
        self.emit(ecs);
    }

    fn emit(&self, ecs: Value) {
        let Some(sink) = &self.sink else { return };
        let Value::Object(map) = ecs else { return };
        let mut event = vigil_core::Event::from_map(map);
        let received = chrono::Utc::now();
        finalize(
            &mut event,
            &SourceInfo {
                name: AUDIT_SOURCE.to_string(),
                address: None,
            },
            received,
        );
        let batch = Batch::unacked(vec![event]);
        match sink.try_send(batch) {
            Ok(()) => {}
            Err(tokio::sync::mpsc::error::TrySendError::Full(batch)) => {
                let sink = sink.clone();
                tokio::spawn(async move {
                    let _ = sink.send(batch).await;
                });
            }
            Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    /// Moves records queued by the offline CLI into the journal and the event stream.
    pub async fn drain_outbox(self: &Arc<Self>, pool: &SqlitePool) -> Result<usize> {
        let pending = take_outbox(pool).await?;
        let n = pending.len();
        for (id, record) in pending {
            self.record(record).await;
            delete_outbox(pool, id).await?;
        }
        Ok(n)
    }

    /// Every record matching `filter`, oldest first, at most `limit`.
    pub fn search(&self, filter: &AuditFilter, limit: usize) -> Result<Vec<Value>> {
        self.reader
            .refresh()
            .context("cannot read the audit journal")?;
        let mut out = Vec::new();
        for item in self.reader.scan(0) {
            let (seq, bytes) = item.context("cannot read the audit journal")?;
            let Ok(record) = serde_json::from_slice::<AuditRecord>(&bytes) else {
                continue;
            };
            if !filter.matches(&record) {
                continue;
            }
            let mut value = serde_json::to_value(&record)?;
            value["seq"] = serde_json::json!(seq);
            out.push(value);
            if out.len() > limit {
                out.remove(0);
            }
        }
        Ok(out)
    }
}

/// What `GET /api/v1/audit` filters on.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    /// Earliest record time.
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// Latest record time.
    pub to: Option<chrono::DateTime<chrono::Utc>>,
    /// Actor: user name, token owner or token id (exact).
    pub actor: Option<String>,
    /// Action (`auth.login`, `search`, …; a trailing `*` matches a prefix).
    pub action: Option<String>,
}

impl AuditFilter {
    fn matches(&self, r: &AuditRecord) -> bool {
        if self.from.is_some_and(|f| r.time() < f) || self.to.is_some_and(|t| r.time() > t) {
            return false;
        }
        if let Some(actor) = &self.actor {
            let hit = match r.actor() {
                vigil_auth::Actor::User { name } => name == actor,
                vigil_auth::Actor::Token { id, owner } => id == actor || owner == actor,
                vigil_auth::Actor::Anonymous => actor == "anonymous",
            } || r.target() == Some(actor.as_str());
            if !hit {
                return false;
            }
        }
        if let Some(action) = &self.action {
            let name = r.action().as_str();
            let hit = match action.strip_suffix('*') {
                Some(prefix) => name.starts_with(prefix),
                None => name == action,
            };
            if !hit {
                return false;
            }
        }
        true
    }
}
