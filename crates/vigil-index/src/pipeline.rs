//! The in-memory part of a pipeline: pipe commands applied to fetched hits or to a
//! result table (after the index did what it could: filtering, the first sort/head,
//! the first `stats`/`timechart`).

use std::cmp::Ordering;

use serde_json::Value;
use vigil_core::Event;

use crate::agg::{auto_span, bucket_of, stats_table, timechart_table, Acc, AggPlan, Grouped};
use crate::error::SearchError;
use crate::query::{AggFunc, AggSpec, Command, SortKey};
use crate::values::GVal;

type R<T> = Result<T, SearchError>;

/// Intermediate pipeline data.
#[derive(Debug)]
pub(crate) enum Data {
    /// Events (or projected events) as JSON objects.
    Hits {
        hits: Vec<Value>,
        columns: Vec<String>,
    },
    /// A result table.
    Table {
        columns: Vec<String>,
        rows: Vec<Vec<Value>>,
    },
}

/// Time bounds of the search (nanoseconds), used to fill timechart buckets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx {
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// The value at `name` in an event: a top-level key named exactly so, else the dotted path.
pub(crate) fn lookup<'a>(ev: &'a Value, name: &str) -> Option<&'a Value> {
    let map = ev.as_object()?;
    if let Some(v) = map.get(name) {
        return Some(v);
    }
    let mut cur = ev;
    for part in name.split('.') {
        cur = cur.as_object()?.get(part)?;
    }
    Some(cur)
}

fn push_values(v: &Value, out: &mut Vec<GVal>) {
    match v {
        Value::Null => {}
        Value::Array(items) => {
            for i in items {
                if !i.is_null() {
                    out.push(GVal::from_json(i));
                }
            }
        }
        other => out.push(GVal::from_json(other)),
    }
}

/// A record the in-memory engine can read fields from.
trait Record {
    fn values(&self, name: &str) -> Vec<GVal>;
    fn time(&self) -> Option<i64>;
}

struct EventRec<'a>(&'a Value);

impl Record for EventRec<'_> {
    fn values(&self, name: &str) -> Vec<GVal> {
        let mut out = Vec::new();
        if let Some(v) = lookup(self.0, name) {
            push_values(v, &mut out);
        }
        out
    }

    fn time(&self) -> Option<i64> {
        parse_time(lookup(self.0, crate::schema::TIMESTAMP)?)
    }
}

struct RowRec<'a> {
    columns: &'a [String],
    row: &'a [Value],
}

impl Record for RowRec<'_> {
    fn values(&self, name: &str) -> Vec<GVal> {
        let mut out = Vec::new();
        if let Some(i) = self.columns.iter().position(|c| c == name) {
            if let Some(v) = self.row.get(i) {
                push_values(v, &mut out);
            }
        }
        out
    }

    fn time(&self) -> Option<i64> {
        let i = self
            .columns
            .iter()
            .position(|c| c == "_time" || c == crate::schema::TIMESTAMP)?;
        parse_time(self.row.get(i)?)
    }
}

fn parse_time(v: &Value) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(v.as_str()?)
        .ok()?
        .timestamp_nanos_opt()
}

/// Resolves a table column for `sort`/`fields`: the exact name, or `name()` (so
/// `-count` sorts on `count()`).
fn column_index(columns: &[String], key: &str) -> R<usize> {
    if let Some(i) = columns.iter().position(|c| c == key) {
        return Ok(i);
    }
    let call = format!("{key}()");
    if let Some(i) = columns.iter().position(|c| *c == call) {
        return Ok(i);
    }
    Err(SearchError::Unsupported(format!(
        "no column named '{key}' (columns: {})",
        columns.join(", ")
    )))
}

/// Representative value of a record for a sort key (min ascending, max descending).
fn sort_value(vals: Vec<GVal>, desc: bool) -> Option<GVal> {
    if desc {
        vals.into_iter().max()
    } else {
        vals.into_iter().min()
    }
}

fn cmp_keys(a: &[Option<GVal>], b: &[Option<GVal>], keys: &[SortKey]) -> Ordering {
    for (i, k) in keys.iter().enumerate() {
        let o = match (&a[i], &b[i]) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => {
                if k.desc {
                    y.cmp(x)
                } else {
                    x.cmp(y)
                }
            }
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// Keeps only `fields` of an event (as a nested object).
pub(crate) fn project(ev: &Value, fields: &[String]) -> Value {
    let mut out = Event::new();
    for f in fields {
        if let Some(v) = lookup(ev, f) {
            out.set(f, v.clone());
        }
    }
    Value::Object(out.into_map())
}

fn aggregate<'a>(
    records: impl Iterator<Item = Box<dyn Record + 'a>>,
    plan: &AggPlan,
    span: Option<i64>,
) -> Grouped {
    let mut g = Grouped::default();
    for rec in records {
        g.docs += 1;
        let bucket = match span {
            Some(s) => match rec.time() {
                Some(t) => Some(bucket_of(t, s)),
                None => continue,
            },
            None => None,
        };
        let by_vals: Vec<Vec<GVal>> = plan.by.iter().map(|b| rec.values(b)).collect();
        let agg_vals: Vec<Option<Vec<GVal>>> = plan
            .aggs
            .iter()
            .map(|(_, f)| f.as_deref().map(|f| rec.values(f)))
            .collect();
        let mut keys: Vec<Vec<GVal>> = vec![bucket.map(GVal::Date).into_iter().collect()];
        for vals in &by_vals {
            let mut next = Vec::new();
            for k in &keys {
                if vals.is_empty() {
                    let mut k2 = k.clone();
                    k2.push(GVal::Null);
                    next.push(k2);
                } else {
                    for v in vals {
                        let mut k2 = k.clone();
                        k2.push(v.clone());
                        next.push(k2);
                    }
                }
                if next.len() >= 256 {
                    break;
                }
            }
            keys = next;
        }
        keys.sort();
        keys.dedup();
        for k in keys {
            let accs = g.groups.entry(k).or_insert_with(|| plan.fresh_accs());
            for (i, acc) in accs.iter_mut().enumerate() {
                match &agg_vals[i] {
                    None => {
                        if let Acc::Count(c) = acc {
                            *c += 1;
                        }
                    }
                    Some(vals) => acc.feed_values(vals),
                }
            }
        }
    }
    g
}

fn records<'a>(data: &'a Data) -> Box<dyn Iterator<Item = Box<dyn Record + 'a>> + 'a> {
    match data {
        Data::Hits { hits, .. } => Box::new(
            hits.iter()
                .map(|h| Box::new(EventRec(h)) as Box<dyn Record>),
        ),
        Data::Table { columns, rows } => Box::new(rows.iter().map(move |r| {
            Box::new(RowRec {
                columns,
                row: r.as_slice(),
            }) as Box<dyn Record>
        })),
    }
}

pub(crate) fn agg_plan(
    aggs: &[AggSpec],
    by: Vec<String>,
    bucket: Option<i64>,
    hidden_count: bool,
) -> AggPlan {
    let mut list: Vec<(AggFunc, Option<String>)> =
        aggs.iter().map(|a| (a.func, a.field.clone())).collect();
    if hidden_count {
        list.push((AggFunc::Count, None));
    }
    AggPlan {
        by,
        bucket,
        aggs: list,
    }
}

/// Applies one command in memory.
pub(crate) fn apply(data: Data, cmd: &Command, ctx: &Ctx) -> R<Data> {
    match cmd {
        Command::Head(n) => Ok(match data {
            Data::Hits { mut hits, columns } => {
                hits.truncate(*n);
                Data::Hits { hits, columns }
            }
            Data::Table { columns, mut rows } => {
                rows.truncate(*n);
                Data::Table { columns, rows }
            }
        }),
        Command::Sort(keys) => Ok(match data {
            Data::Hits { hits, columns } => {
                let mut decorated: Vec<(Vec<Option<GVal>>, Value)> = hits
                    .into_iter()
                    .map(|h| {
                        let k = keys
                            .iter()
                            .map(|k| sort_value(EventRec(&h).values(&k.name), k.desc))
                            .collect();
                        (k, h)
                    })
                    .collect();
                decorated.sort_by(|a, b| cmp_keys(&a.0, &b.0, keys));
                Data::Hits {
                    hits: decorated.into_iter().map(|d| d.1).collect(),
                    columns,
                }
            }
            Data::Table { columns, rows } => {
                let idx: Vec<usize> = keys
                    .iter()
                    .map(|k| column_index(&columns, &k.name))
                    .collect::<R<_>>()?;
                let mut decorated: Vec<(Vec<Option<GVal>>, Vec<Value>)> = rows
                    .into_iter()
                    .map(|r| {
                        let k = idx
                            .iter()
                            .map(|&i| r.get(i).filter(|v| !v.is_null()).map(GVal::from_json))
                            .collect();
                        (k, r)
                    })
                    .collect();
                decorated.sort_by(|a, b| cmp_keys(&a.0, &b.0, keys));
                Data::Table {
                    columns,
                    rows: decorated.into_iter().map(|d| d.1).collect(),
                }
            }
        }),
        Command::Fields(fields) => Ok(match data {
            Data::Hits { hits, .. } => Data::Hits {
                hits: hits.iter().map(|h| project(h, fields)).collect(),
                columns: fields.clone(),
            },
            Data::Table { columns, rows } => {
                let idx: Vec<usize> = fields
                    .iter()
                    .map(|f| column_index(&columns, f))
                    .collect::<R<_>>()?;
                Data::Table {
                    columns: idx.iter().map(|&i| columns[i].clone()).collect(),
                    rows: rows
                        .into_iter()
                        .map(|r| {
                            idx.iter()
                                .map(|&i| r.get(i).cloned().unwrap_or(Value::Null))
                                .collect()
                        })
                        .collect(),
                }
            }
        }),
        Command::Stats { aggs, by } => {
            let plan = agg_plan(aggs, by.clone(), None, false);
            let g = aggregate(records(&data), &plan, None);
            let (columns, rows) = stats_table(by, aggs, g);
            Ok(Data::Table { columns, rows })
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
                    let times: Vec<i64> = records(&data).filter_map(|r| r.time()).collect();
                    let width = match (ctx.from, ctx.to) {
                        (Some(f), Some(t)) => Some(t.saturating_sub(f)),
                        _ => match (times.iter().min(), times.iter().max()) {
                            (Some(a), Some(b)) => Some(b - a),
                            _ => None,
                        },
                    };
                    auto_span(width)
                }
            };
            let plan = agg_plan(aggs, by.iter().cloned().collect(), Some(span), true);
            let g = aggregate(records(&data), &plan, Some(span));
            let (columns, rows) =
                timechart_table(span, *limit, aggs, by.is_some(), g, ctx.from, ctx.to)?;
            Ok(Data::Table { columns, rows })
        }
    }
}
