//! [`AlertStore`]: recording alerts (duplicate detection, suppression-window merging,
//! aliases) and reading them back (get, list, per-rule statistics, status changes).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};

use crate::error::AlertError;
use crate::model::{
    Alert, AlertFilter, AlertStatus, NewAlert, RecordOutcome, Recorded, RuleStats,
    DEFAULT_LIST_LIMIT, MAX_EVENT_IDS, MAX_LIST_LIMIT,
};
use crate::schema::migrate;

/// Columns read back into an [`Alert`], in the order [`decode_alert`] expects by name.
const ALERT_COLUMNS: &str = "id, rule_id, rule_title, level, tags, author, license, rule_file, \
    group_key, event_ids, contributing, first_event_time, last_event_time, count, \
    explanation, possibly_incomplete, status, created_at, updated_at";

/// The alert store over a metadata database pool. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AlertStore {
    pool: SqlitePool,
}

impl AlertStore {
    /// Wraps `pool` and runs this crate's migrations (idempotent).
    pub async fn new(pool: SqlitePool) -> Result<Self, AlertError> {
        migrate(&pool).await?;
        Ok(Self { pool })
    }

    /// The underlying pool.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Records one alert, all in one transaction:
    ///
    /// 1. If an alert (or alias) with the same `id` exists, nothing changes:
    ///    [`RecordOutcome::Duplicate`], with the id of the stored alert it belongs to.
    /// 2. Else if a non-closed alert with the same `rule_id` and `group_key` has
    ///    `last_event_time >= alert.first_event_time - suppression`, that alert absorbs
    ///    this one (count summed, time range widened, event ids appended up to
    ///    [`MAX_EVENT_IDS`], contributing ids merged, `possibly_incomplete` or-ed) and
    ///    `alert.id` becomes an alias of it: [`RecordOutcome::Merged`] with the existing
    ///    alert's id. If several qualify, the one with the latest `last_event_time` wins.
    /// 3. Else the alert is inserted with status open: [`RecordOutcome::Created`].
    pub async fn record(
        &self,
        alert: &NewAlert,
        suppression: Duration,
    ) -> Result<Recorded, AlertError> {
        if alert.id.is_empty() {
            return Err(AlertError::Invalid("alert id is empty".into()));
        }
        let first = to_nanos("first_event_time", alert.first_event_time)?;
        let last = to_nanos("last_event_time", alert.last_event_time)?;
        let group_key = to_json(&alert.group_key)?;
        let suppression = i64::try_from(suppression.as_nanos()).unwrap_or(i64::MAX);
        let now = now_nanos();

        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;

        let existing: Option<String> = sqlx::query_scalar(
            "SELECT id FROM alerts WHERE id = ?1 \
             UNION ALL SELECT alert_id FROM alert_aliases WHERE id = ?1 LIMIT 1",
        )
        .bind(&alert.id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(id) = existing {
            tx.rollback().await?;
            return Ok(Recorded {
                id,
                outcome: RecordOutcome::Duplicate,
            });
        }

        let candidate = sqlx::query(
            "SELECT id, event_ids, contributing, first_event_time, last_event_time, count, \
                    possibly_incomplete \
             FROM alerts \
             WHERE rule_id = ?1 AND group_key = ?2 AND status <> 'closed' \
               AND last_event_time >= ?3 \
             ORDER BY last_event_time DESC, id LIMIT 1",
        )
        .bind(&alert.rule_id)
        .bind(&group_key)
        .bind(first.saturating_sub(suppression))
        .fetch_optional(&mut *tx)
        .await?;

        if let Some(row) = candidate {
            let id: String = row.try_get("id")?;
            let mut event_ids: Vec<String> = from_json(&id, "event_ids", &row)?;
            let mut contributing: Vec<String> = from_json(&id, "contributing", &row)?;
            let old_first: i64 = row.try_get("first_event_time")?;
            let old_last: i64 = row.try_get("last_event_time")?;
            let old_count = decode_count(&id, row.try_get("count")?)?;
            let old_incomplete: bool = row.try_get("possibly_incomplete")?;

            append_capped(&mut event_ids, &alert.event_ids);
            for c in &alert.contributing {
                if !contributing.contains(c) {
                    contributing.push(c.clone());
                }
            }
            let count = old_count.saturating_add(alert.count);

            sqlx::query(
                "UPDATE alerts SET count = ?1, first_event_time = ?2, last_event_time = ?3, \
                    event_ids = ?4, contributing = ?5, possibly_incomplete = ?6, \
                    updated_at = ?7 \
                 WHERE id = ?8",
            )
            .bind(count_to_db(count))
            .bind(old_first.min(first))
            .bind(old_last.max(last))
            .bind(to_json(&event_ids)?)
            .bind(to_json(&contributing)?)
            .bind(old_incomplete || alert.possibly_incomplete)
            .bind(now)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("INSERT INTO alert_aliases (id, alert_id) VALUES (?1, ?2)")
                .bind(&alert.id)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(Recorded {
                id,
                outcome: RecordOutcome::Merged,
            });
        }

        let mut event_ids = Vec::with_capacity(alert.event_ids.len().min(MAX_EVENT_IDS));
        append_capped(&mut event_ids, &alert.event_ids);
        sqlx::query(
            "INSERT INTO alerts (id, rule_id, rule_title, level, tags, author, license, \
                rule_file, group_key, event_ids, contributing, first_event_time, \
                last_event_time, count, explanation, possibly_incomplete, status, \
                created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, \
                ?17, ?18, ?18)",
        )
        .bind(&alert.id)
        .bind(&alert.rule_id)
        .bind(&alert.rule_title)
        .bind(&alert.level)
        .bind(to_json(&alert.tags)?)
        .bind(&alert.author)
        .bind(&alert.license)
        .bind(&alert.rule_file)
        .bind(&group_key)
        .bind(to_json(&event_ids)?)
        .bind(to_json(&alert.contributing)?)
        .bind(first)
        .bind(last)
        .bind(count_to_db(alert.count))
        .bind(to_json(&alert.explanation)?)
        .bind(alert.possibly_incomplete)
        .bind(AlertStatus::Open.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Recorded {
            id: alert.id.clone(),
            outcome: RecordOutcome::Created,
        })
    }

    /// Alerts matching `filter`, newest `last_event_time` first (ties by id).
    pub async fn list(&self, filter: &AlertFilter) -> Result<Vec<Alert>, AlertError> {
        let mut qb: QueryBuilder<'_, Sqlite> =
            QueryBuilder::new(format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE 1 = 1"));
        if let Some(status) = filter.status {
            qb.push(" AND status = ").push_bind(status.as_str());
        }
        if let Some(rule) = &filter.rule {
            qb.push(" AND (rule_id = ")
                .push_bind(rule.clone())
                .push(" OR rule_title = ")
                .push_bind(rule.clone())
                .push(")");
        }
        if let Some(from) = filter.from {
            qb.push(" AND last_event_time >= ")
                .push_bind(to_nanos("filter from", from)?);
        }
        if let Some(to) = filter.to {
            qb.push(" AND last_event_time < ")
                .push_bind(to_nanos("filter to", to)?);
        }
        let limit = filter
            .limit
            .unwrap_or(DEFAULT_LIST_LIMIT)
            .min(MAX_LIST_LIMIT);
        qb.push(" ORDER BY last_event_time DESC, id LIMIT ")
            .push_bind(i64::from(limit));
        let rows = qb.build().fetch_all(&self.pool).await?;
        rows.iter().map(decode_alert).collect()
    }

    /// The alert with id `id`, or the alert that `id` was merged into.
    pub async fn get(&self, id: &str) -> Result<Option<Alert>, AlertError> {
        let row = sqlx::query(&format!(
            "SELECT {ALERT_COLUMNS} FROM alerts \
             WHERE id = COALESCE((SELECT alert_id FROM alert_aliases WHERE id = ?1), ?1)"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decode_alert).transpose()
    }

    /// Sets the status of the alert `id` (or the alert it was merged into) and bumps its
    /// `updated_at`. Returns whether such an alert exists.
    pub async fn set_status(&self, id: &str, status: AlertStatus) -> Result<bool, AlertError> {
        let done = sqlx::query(
            "UPDATE alerts SET status = ?2, updated_at = ?3 \
             WHERE id = COALESCE((SELECT alert_id FROM alert_aliases WHERE id = ?1), ?1)",
        )
        .bind(id)
        .bind(status.as_str())
        .bind(now_nanos())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Per-rule totals, ordered by rule id.
    pub async fn rule_stats(&self) -> Result<Vec<RuleStats>, AlertError> {
        let rows = sqlx::query(
            "SELECT rule_id, COUNT(*) AS alerts, SUM(count) AS hits, \
                    MAX(last_event_time) AS last_hit, MAX(updated_at) AS last_updated \
             FROM alerts GROUP BY rule_id ORDER BY rule_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let rule_id: String = row.try_get("rule_id")?;
                let alerts: i64 = row.try_get("alerts")?;
                let hits: Option<i64> = row.try_get("hits")?;
                let last_hit: Option<i64> = row.try_get("last_hit")?;
                let last_updated: Option<i64> = row.try_get("last_updated")?;
                Ok(RuleStats {
                    alerts: u64::try_from(alerts).unwrap_or(0),
                    hits: decode_count(&rule_id, hits.unwrap_or(0))?,
                    last_hit: last_hit.map(DateTime::from_timestamp_nanos),
                    last_updated: last_updated.map(DateTime::from_timestamp_nanos),
                    rule_id,
                })
            })
            .collect()
    }

    /// Number of stored alerts (aliases not counted).
    pub async fn count(&self) -> Result<u64, AlertError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM alerts")
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

/// Appends `new` to `ids`, skipping ids already present, until `ids` holds
/// [`MAX_EVENT_IDS`]; the rest are dropped.
fn append_capped(ids: &mut Vec<String>, new: &[String]) {
    for id in new {
        if ids.len() >= MAX_EVENT_IDS {
            break;
        }
        if !ids.contains(id) {
            ids.push(id.clone());
        }
    }
}

fn decode_alert(row: &SqliteRow) -> Result<Alert, AlertError> {
    let id: String = row.try_get("id")?;
    let status_text: String = row.try_get("status")?;
    let status = status_text
        .parse::<AlertStatus>()
        .map_err(|e| AlertError::Corrupt {
            id: id.clone(),
            reason: format!("status: {e}"),
        })?;
    let tags = from_json(&id, "tags", row)?;
    let group_key = from_json(&id, "group_key", row)?;
    let event_ids = from_json(&id, "event_ids", row)?;
    let contributing = from_json(&id, "contributing", row)?;
    let explanation = from_json(&id, "explanation", row)?;
    let count = decode_count(&id, row.try_get("count")?)?;
    Ok(Alert {
        alert: NewAlert {
            rule_id: row.try_get("rule_id")?,
            rule_title: row.try_get("rule_title")?,
            level: row.try_get("level")?,
            tags,
            author: row.try_get("author")?,
            license: row.try_get("license")?,
            rule_file: row.try_get("rule_file")?,
            group_key,
            event_ids,
            contributing,
            first_event_time: from_nanos(row.try_get("first_event_time")?),
            last_event_time: from_nanos(row.try_get("last_event_time")?),
            count,
            explanation,
            possibly_incomplete: row.try_get("possibly_incomplete")?,
            id,
        },
        status,
        created_at: from_nanos(row.try_get("created_at")?),
        updated_at: from_nanos(row.try_get("updated_at")?),
    })
}

/// Decodes the JSON text column `column` of the row for alert `id`.
fn from_json<T: DeserializeOwned>(
    id: &str,
    column: &str,
    row: &SqliteRow,
) -> Result<T, AlertError> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| AlertError::Corrupt {
        id: id.to_string(),
        reason: format!("column {column}: {e}"),
    })
}

fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, AlertError> {
    serde_json::to_string(value)
        .map_err(|e| AlertError::Invalid(format!("cannot encode JSON: {e}")))
}

fn decode_count(id: &str, n: i64) -> Result<u64, AlertError> {
    u64::try_from(n).map_err(|_| AlertError::Corrupt {
        id: id.to_string(),
        reason: format!("negative count {n}"),
    })
}

/// Counts are stored as SQLite's signed 64-bit integers; larger values saturate.
fn count_to_db(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_nanos(what: &'static str, t: DateTime<Utc>) -> Result<i64, AlertError> {
    t.timestamp_nanos_opt()
        .ok_or_else(|| AlertError::TimeOutOfRange {
            what,
            value: t.to_rfc3339(),
        })
}

fn from_nanos(n: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(n)
}

fn now_nanos() -> i64 {
    Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX)
}
