//! The read side: [`Searcher`] runs a query over the partitions overlapping a
//! [`TimeRange`], fetching hit documents from the journal through [`EventStore`].
//!
//! Execution plan:
//! 1. parse; compile the filter once (all partitions share one schema);
//! 2. select partitions overlapping the range, newest first; partitions only partly
//!    inside the range get an extra `_ts` range filter;
//! 3. if the first `stats`/`timechart` comes before any `head`, it runs in the
//!    index as a columnar collector (sorts and `fields` before it are ignored);
//!    otherwise the leading `sort`/`head`/`fields` commands (with no `sort` after a
//!    `head`) select the top hits in the index, which are fetched from the store;
//! 4. the remaining commands run in memory over the table or the fetched hits.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use tantivy::collector::Count;
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery};
use tantivy::Term;
use vigil_core::Event;

use crate::agg::{auto_span, stats_table, timechart_table, AggCollector, Grouped};
use crate::catalog::{Catalog, FieldInfo};
use crate::error::{IndexError, SearchError};
use crate::hits::{cmp_hits, Hit, HitsCollector, MAX_SORT_KEYS};
use crate::indexer::load_payload;
use crate::partition::{read_state, to_nanos, Partition, Registry};
use crate::pipeline::{agg_plan, apply, project, Ctx, Data};
use crate::query::compile::Compiler;
use crate::query::{parse, Command};
use crate::schema::TIMESTAMP;
use crate::values::{check_columnar, GVal};

/// Most hits fetched from the store for one search (a `head` larger than this is capped).
pub const MAX_FETCH: usize = 100_000;

/// A half-open time window `[from, to)`; `None` = unbounded on that side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    /// Inclusive lower bound.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive upper bound.
    pub to: Option<DateTime<Utc>>,
}

impl TimeRange {
    /// No bounds: every partition, including `undated`.
    pub fn all() -> Self {
        TimeRange::default()
    }

    /// `[from, to)`.
    pub fn new(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Self {
        TimeRange { from, to }
    }
}

/// Journal lookup: returns the events for `seqs`, in the same order.
pub trait EventStore {
    /// Fetches events by journal sequence number.
    fn fetch(&self, seqs: &[u64]) -> Result<Vec<Event>, String>;
}

impl EventStore for std::collections::BTreeMap<u64, Event> {
    fn fetch(&self, seqs: &[u64]) -> Result<Vec<Event>, String> {
        seqs.iter()
            .map(|s| {
                self.get(s)
                    .cloned()
                    .ok_or_else(|| format!("no event with seq {s}"))
            })
            .collect()
    }
}

impl EventStore for std::collections::HashMap<u64, Event> {
    fn fetch(&self, seqs: &[u64]) -> Result<Vec<Event>, String> {
        seqs.iter()
            .map(|s| {
                self.get(s)
                    .cloned()
                    .ok_or_else(|| format!("no event with seq {s}"))
            })
            .collect()
    }
}

/// The result of a search.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SearchResult {
    /// Number of documents matching the filter in the time range (before any pipe).
    pub total: u64,
    /// Full events (newest first by default), or projected by `| fields`.
    pub hits: Vec<Value>,
    /// Table columns (`stats`/`timechart`), or the projected fields for hits.
    pub columns: Vec<String>,
    /// Table rows, aligned with `columns` (aggregations only).
    pub rows: Vec<Vec<Value>>,
    /// Whether the result is a table (`stats`/`timechart` ran).
    pub is_aggregation: bool,
}

/// Runs queries. Cheap to clone; safe to share between threads.
#[derive(Clone)]
pub struct Searcher {
    reg: Arc<Registry>,
}

impl std::fmt::Debug for Searcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Searcher")
            .field("dir", &self.reg.dir)
            .finish()
    }
}

impl Searcher {
    pub(crate) fn from_registry(reg: Arc<Registry>) -> Searcher {
        Searcher { reg }
    }

    /// Opens an index directory read-only (no writer lock). New partitions and commits
    /// of a writer in another process become visible within about a second.
    pub fn open(dir: &Path) -> Result<Searcher, IndexError> {
        if !dir.is_dir() {
            return Err(IndexError::io(
                dir,
                std::io::Error::new(std::io::ErrorKind::NotFound, "index directory not found"),
            ));
        }
        let span = read_state(dir)?.map_or(86_400, |s| s.partition_secs.max(1));
        let reg = Registry::new(dir, span, false);
        reg.scan()?;
        Ok(Searcher { reg: Arc::new(reg) })
    }

    /// Every field seen in the index (all partitions), with its dominant type and count.
    pub fn fields(&self) -> Result<Vec<FieldInfo>, IndexError> {
        let mut cat = Catalog::default();
        for part in self.reg.select(None, None)? {
            let payload = load_payload(&part.index, &self.reg.part_dir(part.key))?;
            cat.merge_payload(&payload);
        }
        Ok(cat.infos())
    }

    /// Runs `query` over `range`; returns at most `limit` hits.
    pub fn search(
        &self,
        query: &str,
        range: TimeRange,
        limit: usize,
        store: &dyn EventStore,
    ) -> Result<SearchResult, SearchError> {
        let q = parse(query)?;
        let from = range.from.map(to_nanos);
        let to = range.to.map(to_nanos);
        let mut compiler = Compiler::new(&self.reg.fields, Utc::now());
        let base = compiler.compile(&q.filter)?;
        let parts = self.reg.select(from, to)?;
        let ctx = Ctx { from, to };

        let cmds = &q.commands;
        let first_agg = cmds
            .iter()
            .position(|c| matches!(c, Command::Stats { .. } | Command::Timechart { .. }));
        let head_before =
            first_agg.is_some_and(|i| cmds[..i].iter().any(|c| matches!(c, Command::Head(_))));

        let (mut data, total, rest) = match first_agg {
            Some(i) if !head_before => {
                let (data, total) = self.aggregate(&cmds[i], &parts, base.as_ref(), from, to)?;
                (data, total, &cmds[i + 1..])
            }
            _ => {
                // Push the leading sort/head/fields into the index.
                let mut order: Vec<(String, bool)> = vec![(TIMESTAMP.to_string(), true)];
                let mut cap: Option<usize> = None;
                let mut projections: Vec<&Vec<String>> = Vec::new();
                let mut n = 0;
                for c in cmds {
                    match c {
                        Command::Sort(keys) if cap.is_none() => {
                            order = keys.iter().map(|k| (k.name.clone(), k.desc)).collect();
                        }
                        Command::Head(h) => cap = Some(cap.map_or(*h, |c| c.min(*h))),
                        Command::Fields(f) => projections.push(f),
                        _ => break,
                    }
                    n += 1;
                }
                let rest = &cmds[n..];
                let k = if rest.is_empty() {
                    cap.map_or(limit, |c| c.min(limit))
                } else {
                    cap.unwrap_or(limit)
                }
                .min(MAX_FETCH);
                let (hits, total) = self.top_hits(&parts, base.as_ref(), from, to, order, k)?;
                let seqs: Vec<u64> = hits.iter().map(|h| h.seq).collect();
                let events = if seqs.is_empty() {
                    Vec::new()
                } else {
                    store.fetch(&seqs).map_err(SearchError::Store)?
                };
                if events.len() != seqs.len() {
                    return Err(SearchError::Store(format!(
                        "store returned {} events for {} seqs",
                        events.len(),
                        seqs.len()
                    )));
                }
                let mut hits: Vec<Value> = events
                    .into_iter()
                    .map(|e| Value::Object(e.into_map()))
                    .collect();
                let mut columns = Vec::new();
                for p in projections {
                    hits = hits.iter().map(|h| project(h, p)).collect();
                    columns = p.clone();
                }
                (Data::Hits { hits, columns }, total, rest)
            }
        };
        for cmd in rest {
            data = apply(data, cmd, &ctx)?;
        }
        Ok(match data {
            Data::Hits { mut hits, columns } => {
                hits.truncate(limit);
                SearchResult {
                    total,
                    hits,
                    columns,
                    rows: Vec::new(),
                    is_aggregation: false,
                }
            }
            Data::Table { columns, rows } => SearchResult {
                total,
                hits: Vec::new(),
                columns,
                rows,
                is_aggregation: true,
            },
        })
    }

    /// The base query restricted to `[from, to)` when the partition is not fully inside.
    fn part_query(
        &self,
        base: &dyn Query,
        part: &Partition,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Box<dyn Query> {
        let Some((s, e)) = part.key.bounds_nanos(self.reg.span_secs) else {
            return base.box_clone();
        };
        let lo = from.filter(|f| *f > s);
        let hi = to.filter(|t| *t < e);
        if lo.is_none() && hi.is_none() {
            return base.box_clone();
        }
        let ts = self.reg.fields.ts;
        let term = |n: i64| Term::from_field_date(ts, tantivy::DateTime::from_timestamp_nanos(n));
        let range = RangeQuery::new(
            lo.map_or(std::ops::Bound::Unbounded, |n| {
                std::ops::Bound::Included(term(n))
            }),
            hi.map_or(std::ops::Bound::Unbounded, |n| {
                std::ops::Bound::Excluded(term(n))
            }),
        );
        Box::new(BooleanQuery::new(vec![
            (Occur::Must, base.box_clone()),
            (Occur::Must, Box::new(range)),
        ]))
    }

    fn top_hits(
        &self,
        parts: &[Arc<Partition>],
        base: &dyn Query,
        from: Option<i64>,
        to: Option<i64>,
        order: Vec<(String, bool)>,
        k: usize,
    ) -> Result<(Vec<Hit>, u64), SearchError> {
        if order.len() > MAX_SORT_KEYS {
            return Err(SearchError::Unsupported(format!(
                "at most {MAX_SORT_KEYS} sort keys are supported before the first head"
            )));
        }
        for (name, _) in &order {
            check_columnar(&self.reg.fields, name)?;
        }
        let newest_first = order.len() == 1 && order[0].0 == TIMESTAMP && order[0].1;
        let desc: Vec<bool> = order.iter().map(|(_, d)| *d).collect();
        let collector = HitsCollector {
            fields: self.reg.fields.clone(),
            keys: Arc::new(order),
            k,
        };
        let mut all: Vec<Hit> = Vec::new();
        let mut total = 0u64;
        for part in parts {
            let q = self.part_query(base, part, from, to);
            let searcher = part.reader.searcher();
            // Partitions are disjoint in time: once k hits are newer than everything in
            // this partition, it only contributes to the count.
            let count_only = k == 0
                || (newest_first
                    && all.len() >= k
                    && match (
                        part.key.bounds_nanos(self.reg.span_secs),
                        all.last().and_then(|h| h.keys.first()),
                    ) {
                        (None, _) => true,
                        (Some((_, end)), Some(Some(GVal::Date(worst)))) => end <= *worst,
                        _ => false,
                    });
            if count_only {
                total += searcher.search(q.as_ref(), &Count)? as u64;
                continue;
            }
            let fruit = searcher.search(q.as_ref(), &collector)?;
            total += fruit.count;
            all.extend(fruit.hits);
            all.sort_by(|a, b| cmp_hits(a, b, &desc));
            all.truncate(k);
        }
        Ok((all, total))
    }

    fn aggregate(
        &self,
        cmd: &Command,
        parts: &[Arc<Partition>],
        base: &dyn Query,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<(Data, u64), SearchError> {
        let run = |plan: crate::agg::AggPlan| -> Result<Grouped, SearchError> {
            for name in plan
                .by
                .iter()
                .chain(plan.aggs.iter().filter_map(|(_, f)| f.as_ref()))
            {
                check_columnar(&self.reg.fields, name)?;
            }
            let collector = AggCollector {
                plan: Arc::new(plan),
                fields: self.reg.fields.clone(),
            };
            let mut g = Grouped::default();
            for part in parts {
                let q = self.part_query(base, part, from, to);
                g.merge(part.reader.searcher().search(q.as_ref(), &collector)?);
            }
            Ok(g)
        };
        match cmd {
            Command::Stats { aggs, by } => {
                let g = run(agg_plan(aggs, by.clone(), None, false))?;
                let total = g.docs;
                let (columns, rows) = stats_table(by, aggs, g);
                Ok((Data::Table { columns, rows }, total))
            }
            Command::Timechart {
                span,
                limit,
                aggs,
                by,
            } => {
                let span = match span {
                    Some(s) => s.saturating_mul(1_000_000_000),
                    None => {
                        let bounds: Vec<(i64, i64)> = parts
                            .iter()
                            .filter_map(|p| p.key.bounds_nanos(self.reg.span_secs))
                            .collect();
                        let lo = from.or_else(|| bounds.iter().map(|b| b.0).min());
                        let hi = to.or_else(|| bounds.iter().map(|b| b.1).max());
                        auto_span(match (lo, hi) {
                            (Some(a), Some(b)) => Some(b.saturating_sub(a)),
                            _ => None,
                        })
                    }
                };
                let g = run(agg_plan(
                    aggs,
                    by.iter().cloned().collect(),
                    Some(span),
                    true,
                ))?;
                let total = g.docs;
                let (columns, rows) =
                    timechart_table(span, *limit, aggs, by.is_some(), g, from, to)?;
                Ok((Data::Table { columns, rows }, total))
            }
            _ => Err(SearchError::Unsupported("not an aggregation".into())),
        }
    }
}
