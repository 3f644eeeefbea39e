//! Aggregations (`stats`, `timechart`): a custom tantivy collector that groups
//! matching documents by columnar fast-field values (never touching stored
//! documents), mergeable accumulators, and the table shapes of the results.
//!
//! Within a segment, group keys are `(tag, payload)` pairs where strings are
//! dictionary ordinals; keys are resolved to strings once per group at harvest.
//! A document with several values for a `by` field (arrays) counts in each group
//! (the cartesian product over several `by` fields, capped at 256 combinations);
//! a missing value groups as `null`.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::Value;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DateTime, DocId, Score, SegmentOrdinal, SegmentReader};

use crate::error::SearchError;
use crate::query::{AggFunc, AggSpec};
use crate::schema::{Fields, F_TS};
use crate::values::{format_nanos, number_json, GVal, SegColumn, SegVal};

const MAX_COMBOS: usize = 256;
/// Upper bound on timechart rows.
pub(crate) const MAX_BUCKETS: i64 = 10_000;

/// A mergeable accumulator; `K` is the distinct-value key type.
#[derive(Debug, Clone)]
pub(crate) enum Acc<K> {
    Count(u64),
    Distinct(FxHashSet<K>),
    Sum { sum: f64, n: u64 },
    Avg { sum: f64, n: u64 },
    Min { v: f64, n: u64, date: bool },
    Max { v: f64, n: u64, date: bool },
}

impl<K: Hash + Eq> Acc<K> {
    pub fn new(f: AggFunc) -> Self {
        match f {
            AggFunc::Count => Acc::Count(0),
            AggFunc::CountDistinct => Acc::Distinct(FxHashSet::default()),
            AggFunc::Sum => Acc::Sum { sum: 0.0, n: 0 },
            AggFunc::Avg => Acc::Avg { sum: 0.0, n: 0 },
            AggFunc::Min => Acc::Min {
                v: f64::INFINITY,
                n: 0,
                date: false,
            },
            AggFunc::Max => Acc::Max {
                v: f64::NEG_INFINITY,
                n: 0,
                date: false,
            },
        }
    }

    /// Feeds a numeric value (`date`: the value is a timestamp in nanoseconds).
    #[inline]
    pub fn number(&mut self, x: f64, is_date: bool) {
        match self {
            Acc::Sum { sum, n } | Acc::Avg { sum, n } => {
                if !is_date {
                    *sum += x;
                    *n += 1;
                }
            }
            Acc::Min { v, n, date } => {
                if x < *v {
                    *v = x;
                    *date = is_date;
                }
                *n += 1;
            }
            Acc::Max { v, n, date } => {
                if x > *v {
                    *v = x;
                    *date = is_date;
                }
                *n += 1;
            }
            Acc::Count(_) | Acc::Distinct(_) => {}
        }
    }

    pub fn merge(&mut self, other: Acc<K>) {
        match (self, other) {
            (Acc::Count(a), Acc::Count(b)) => *a += b,
            (Acc::Distinct(a), Acc::Distinct(b)) => {
                if a.len() < b.len() {
                    let small = std::mem::replace(a, b);
                    a.extend(small);
                } else {
                    a.extend(b);
                }
            }
            (Acc::Sum { sum, n }, Acc::Sum { sum: s2, n: n2 })
            | (Acc::Avg { sum, n }, Acc::Avg { sum: s2, n: n2 }) => {
                *sum += s2;
                *n += n2;
            }
            (
                Acc::Min { v, n, date },
                Acc::Min {
                    v: v2,
                    n: n2,
                    date: d2,
                },
            ) => {
                if v2 < *v {
                    *v = v2;
                    *date = d2;
                }
                *n += n2;
            }
            (
                Acc::Max { v, n, date },
                Acc::Max {
                    v: v2,
                    n: n2,
                    date: d2,
                },
            ) => {
                if v2 > *v {
                    *v = v2;
                    *date = d2;
                }
                *n += n2;
            }
            _ => {}
        }
    }

    fn map_keys<K2: Hash + Eq>(self, mut f: impl FnMut(K) -> K2) -> Acc<K2> {
        match self {
            Acc::Count(c) => Acc::Count(c),
            Acc::Distinct(s) => Acc::Distinct(s.into_iter().map(&mut f).collect()),
            Acc::Sum { sum, n } => Acc::Sum { sum, n },
            Acc::Avg { sum, n } => Acc::Avg { sum, n },
            Acc::Min { v, n, date } => Acc::Min { v, n, date },
            Acc::Max { v, n, date } => Acc::Max { v, n, date },
        }
    }

    /// The result value: count and distinct count are numbers (0 when empty); sum,
    /// avg, min and max are `null` when no numeric value was seen.
    pub fn finish(&self) -> Value {
        match self {
            Acc::Count(c) => Value::from(*c),
            Acc::Distinct(s) => Value::from(s.len() as u64),
            Acc::Sum { sum, n } => {
                if *n == 0 {
                    Value::Null
                } else {
                    number_json(*sum)
                }
            }
            Acc::Avg { sum, n } => {
                if *n == 0 {
                    Value::Null
                } else {
                    serde_json::Number::from_f64(*sum / *n as f64)
                        .map_or(Value::Null, Value::Number)
                }
            }
            Acc::Min { v, n, date } | Acc::Max { v, n, date } => {
                if *n == 0 {
                    Value::Null
                } else if *date {
                    Value::String(format_nanos(*v as i64))
                } else {
                    number_json(*v)
                }
            }
        }
    }
}

impl Acc<GVal> {
    /// Feeds every value a record has for the aggregated field.
    pub fn feed_values(&mut self, vals: &[GVal]) {
        match self {
            Acc::Count(c) => {
                if !vals.is_empty() {
                    *c += 1;
                }
            }
            Acc::Distinct(set) => {
                for v in vals {
                    set.insert(v.clone());
                }
            }
            _ => {
                for v in vals {
                    match v {
                        GVal::Date(n) => self.number(*n as f64, true),
                        other => {
                            if let Some(x) = other.as_f64() {
                                self.number(x, false)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// What to aggregate.
#[derive(Debug, Clone)]
pub(crate) struct AggPlan {
    pub by: Vec<String>,
    /// Timechart bucket width in nanoseconds; when set, the first key part is the bucket start.
    pub bucket: Option<i64>,
    pub aggs: Vec<(AggFunc, Option<String>)>,
}

impl AggPlan {
    pub fn fresh_accs(&self) -> Vec<Acc<GVal>> {
        self.aggs.iter().map(|(f, _)| Acc::new(*f)).collect()
    }
}

/// Groups with their accumulators, plus the number of matching documents.
#[derive(Debug, Default)]
pub(crate) struct Grouped {
    /// (SipHash: FxHash degrades badly on IPv4-mapped addresses.)
    pub groups: HashMap<Vec<GVal>, Vec<Acc<GVal>>>,
    pub docs: u64,
}

impl Grouped {
    pub fn merge(&mut self, other: Grouped) {
        self.docs += other.docs;
        for (k, accs) in other.groups {
            match self.groups.get_mut(&k) {
                Some(mine) => {
                    for (a, b) in mine.iter_mut().zip(accs) {
                        a.merge(b);
                    }
                }
                None => {
                    self.groups.insert(k, accs);
                }
            }
        }
    }
}

/// Floor of `n` to a multiple of `span` (both nanoseconds).
#[inline]
pub(crate) fn bucket_of(n: i64, span: i64) -> i64 {
    n.div_euclid(span) * span
}

/// The collector.
pub(crate) struct AggCollector {
    pub plan: Arc<AggPlan>,
    pub fields: Fields,
}

pub(crate) struct AggSegment {
    cols: Vec<SegColumn>,
    by_idx: Vec<usize>,
    agg_idx: Vec<Option<usize>>,
    funcs: Vec<AggFunc>,
    ts: Option<(Column<DateTime>, i64)>,
    scratch: Vec<Vec<SegVal>>,
    keybuf: Vec<(u8, u128)>,
    groups: FxHashMap<Vec<(u8, u128)>, u32>,
    accs: Vec<Acc<(u8, u128)>>,
    touched: Vec<u32>,
    docs: u64,
}

impl Collector for AggCollector {
    type Fruit = Grouped;
    type Child = AggSegment;

    fn for_segment(
        &self,
        _ord: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<AggSegment> {
        let mut names: Vec<&str> = Vec::new();
        let by_idx: Vec<usize> = self.plan.by.iter().map(|b| intern(&mut names, b)).collect();
        let agg_idx: Vec<Option<usize>> = self
            .plan
            .aggs
            .iter()
            .map(|(_, f)| f.as_deref().map(|f| intern(&mut names, f)))
            .collect();
        let cols = names
            .iter()
            .map(|n| SegColumn::open(&self.fields, reader, n))
            .collect::<tantivy::Result<Vec<_>>>()?;
        let ts = match self.plan.bucket {
            Some(span) => Some((reader.fast_fields().date(F_TS)?, span)),
            None => None,
        };
        Ok(AggSegment {
            scratch: vec![Vec::new(); cols.len()],
            cols,
            by_idx,
            agg_idx,
            funcs: self.plan.aggs.iter().map(|(f, _)| *f).collect(),
            ts,
            keybuf: Vec::new(),
            groups: FxHashMap::default(),
            accs: Vec::new(),
            touched: Vec::new(),
            docs: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Grouped>) -> tantivy::Result<Grouped> {
        let mut out = Grouped::default();
        for f in fruits {
            out.merge(f);
        }
        Ok(out)
    }
}

fn intern<'a>(names: &mut Vec<&'a str>, name: &'a str) -> usize {
    match names.iter().position(|n| *n == name) {
        Some(i) => i,
        None => {
            names.push(name);
            names.len() - 1
        }
    }
}

impl SegmentCollector for AggSegment {
    type Fruit = Grouped;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.docs += 1;
        let bucket = match &self.ts {
            Some((col, span)) => match col.first(doc) {
                Some(d) => Some(bucket_of(d.into_timestamp_nanos(), *span)),
                None => return,
            },
            None => None,
        };
        for (c, s) in self.cols.iter().zip(self.scratch.iter_mut()) {
            s.clear();
            c.values(doc, s);
        }
        let mut total = 1usize;
        for &b in &self.by_idx {
            total = total.saturating_mul(self.scratch[b].len().max(1));
        }
        let total = total.min(MAX_COMBOS);
        self.touched.clear();
        let naggs = self.funcs.len();
        for combo in 0..total {
            self.keybuf.clear();
            if let Some(b) = bucket {
                self.keybuf.push((6, b as u64 as u128));
            }
            let mut rem = combo;
            for &b in &self.by_idx {
                let vals = &self.scratch[b];
                if vals.is_empty() {
                    self.keybuf.push((0, 0));
                } else {
                    self.keybuf.push(vals[rem % vals.len()].key());
                    rem /= vals.len();
                }
            }
            let gi = match self.groups.get(self.keybuf.as_slice()) {
                Some(gi) => *gi,
                None => {
                    let gi = self.groups.len() as u32;
                    self.groups.insert(self.keybuf.clone(), gi);
                    self.accs.extend(self.funcs.iter().map(|f| Acc::new(*f)));
                    gi
                }
            };
            if !self.touched.contains(&gi) {
                self.touched.push(gi);
            }
        }
        for &gi in &self.touched {
            let base = gi as usize * naggs;
            for a in 0..naggs {
                let acc = &mut self.accs[base + a];
                match (self.funcs[a], self.agg_idx[a]) {
                    (AggFunc::Count, None) => {
                        if let Acc::Count(c) = acc {
                            *c += 1;
                        }
                    }
                    (_, None) => {}
                    (AggFunc::Count, Some(i)) => {
                        if !self.scratch[i].is_empty() {
                            if let Acc::Count(c) = acc {
                                *c += 1;
                            }
                        }
                    }
                    (AggFunc::CountDistinct, Some(i)) => {
                        if let Acc::Distinct(set) = acc {
                            for v in &self.scratch[i] {
                                set.insert(v.key());
                            }
                        }
                    }
                    (_, Some(i)) => {
                        for v in &self.scratch[i] {
                            if let Some((x, d)) = v.number() {
                                acc.number(x, d);
                            }
                        }
                    }
                }
            }
        }
    }

    fn harvest(self) -> Grouped {
        let mut buf = String::new();
        let naggs = self.funcs.len();
        let mut accs: Vec<Option<Acc<(u8, u128)>>> = self.accs.into_iter().map(Some).collect();
        let mut groups = HashMap::with_capacity(self.groups.len());
        for (key, gi) in self.groups {
            let mut parts = key.into_iter();
            let mut gkey = Vec::with_capacity(self.by_idx.len() + 1);
            if self.ts.is_some() {
                if let Some((_, b)) = parts.next() {
                    gkey.push(GVal::Date(b as u64 as i64));
                }
            }
            for (&b, part) in self.by_idx.iter().zip(parts) {
                gkey.push(self.cols[b].resolve_key(part, &mut buf));
            }
            let base = gi as usize * naggs;
            let mut out = Vec::with_capacity(naggs);
            for a in 0..naggs {
                let acc = accs[base + a].take().unwrap_or(Acc::Count(0));
                out.push(match self.agg_idx[a] {
                    Some(i) => {
                        let col = &self.cols[i];
                        let mut b2 = String::new();
                        acc.map_keys(|k| col.resolve_key(k, &mut b2))
                    }
                    None => acc.map_keys(|_| GVal::Null),
                });
            }
            groups.insert(gkey, out);
        }
        Grouped {
            groups,
            docs: self.docs,
        }
    }
}

/// `stats` result: columns = by fields then aggregation names; rows sorted by group values.
pub(crate) fn stats_table(
    by: &[String],
    aggs: &[AggSpec],
    g: Grouped,
) -> (Vec<String>, Vec<Vec<Value>>) {
    let mut columns: Vec<String> = by.to_vec();
    columns.extend(aggs.iter().map(|a| a.name.clone()));
    let mut groups: Vec<(Vec<GVal>, Vec<Acc<GVal>>)> = g.groups.into_iter().collect();
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    if by.is_empty() && groups.is_empty() {
        groups.push((Vec::new(), aggs.iter().map(|a| Acc::new(a.func)).collect()));
    }
    let rows = groups
        .into_iter()
        .map(|(k, accs)| {
            k.iter()
                .map(GVal::to_json)
                .chain(accs.iter().map(Acc::finish))
                .collect()
        })
        .collect();
    (columns, rows)
}

/// Picks a span giving at most ~100 buckets over `width` nanoseconds.
pub(crate) fn auto_span(width: Option<i64>) -> i64 {
    const SPANS: [i64; 14] = [
        1,
        5,
        10,
        30,
        60,
        300,
        600,
        1800,
        3600,
        3 * 3600,
        6 * 3600,
        12 * 3600,
        86_400,
        7 * 86_400,
    ];
    let Some(w) = width else {
        return 3600 * 1_000_000_000;
    };
    for s in SPANS {
        if w / (s * 1_000_000_000) <= 100 {
            return s * 1_000_000_000;
        }
    }
    30 * 86_400 * 1_000_000_000
}

/// `timechart` result. The grouped keys are `[bucket]` or `[bucket, series]`, and the
/// accumulators are the aggregations followed by one hidden count (used to rank
/// series). Columns: `_time`, then one per aggregation (no `by`), one per series (one
/// aggregation), or `"<agg>: <series>"` (several); series beyond `limit` are merged
/// into `OTHER`. Every bucket between the range bounds (or the first and last data
/// bucket) is present; empty cells hold 0 for counts and null otherwise.
pub(crate) fn timechart_table(
    span: i64,
    limit: usize,
    aggs: &[AggSpec],
    has_by: bool,
    g: Grouped,
    from: Option<i64>,
    to: Option<i64>,
) -> Result<(Vec<String>, Vec<Vec<Value>>), SearchError> {
    let naggs = aggs.len();
    let fresh = || -> Vec<Acc<GVal>> { aggs.iter().map(|a| Acc::new(a.func)).collect() };
    // bucket -> series -> accs
    let mut by_bucket: HashMap<i64, HashMap<GVal, Vec<Acc<GVal>>>> = HashMap::new();
    let mut totals: HashMap<GVal, u64> = HashMap::new();
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for (key, mut accs) in g.groups {
        let Some(GVal::Date(b)) = key.first().cloned() else {
            continue;
        };
        let series = if has_by {
            key.get(1).cloned().unwrap_or(GVal::Null)
        } else {
            GVal::Null
        };
        let hidden = match accs.pop() {
            Some(Acc::Count(c)) => c,
            _ => 0,
        };
        *totals.entry(series.clone()).or_default() += hidden;
        lo = lo.min(b);
        hi = hi.max(b);
        by_bucket.entry(b).or_default().insert(series, accs);
    }
    let start = match from {
        Some(f) => bucket_of(f, span),
        None => lo,
    };
    let end = match to {
        Some(t) => bucket_of(t.saturating_sub(1), span),
        None => hi,
    };
    let mut columns = vec!["_time".to_string()];
    if start > end || (lo > hi && (from.is_none() || to.is_none())) {
        if has_by {
            return Ok((columns, Vec::new()));
        }
        columns.extend(aggs.iter().map(|a| a.name.clone()));
        return Ok((columns, Vec::new()));
    }
    let n = end.checked_sub(start).map_or(i64::MAX, |d| d / span + 1);
    if n > MAX_BUCKETS {
        return Err(SearchError::Unsupported(format!(
            "timechart would produce {n} buckets (max {MAX_BUCKETS}): use a larger span= or a shorter time range"
        )));
    }
    let mut series: Vec<(GVal, u64)> = totals.into_iter().collect();
    series.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let (kept, other): (Vec<GVal>, Vec<GVal>) = if limit > 0 && series.len() > limit {
        let (k, o) = series.split_at(limit);
        (
            k.iter().map(|s| s.0.clone()).collect(),
            o.iter().map(|s| s.0.clone()).collect(),
        )
    } else {
        (series.into_iter().map(|s| s.0).collect(), Vec::new())
    };
    if has_by {
        let mut labels: Vec<String> = kept.iter().map(GVal::label).collect();
        if !other.is_empty() {
            labels.push("OTHER".into());
        }
        for l in &labels {
            if naggs == 1 {
                columns.push(l.clone());
            } else {
                for a in aggs {
                    columns.push(format!("{}: {l}", a.name));
                }
            }
        }
    } else {
        columns.extend(aggs.iter().map(|a| a.name.clone()));
    }
    let mut rows = Vec::with_capacity(n as usize);
    let mut b = start;
    while b <= end {
        let mut row = vec![Value::String(format_nanos(b))];
        let cell = by_bucket.get(&b);
        if has_by {
            let push =
                |accs: &[Acc<GVal>], row: &mut Vec<Value>| row.extend(accs.iter().map(Acc::finish));
            for s in &kept {
                match cell.and_then(|c| c.get(s)) {
                    Some(accs) => push(accs, &mut row),
                    None => push(&fresh(), &mut row),
                }
            }
            if !other.is_empty() {
                let mut acc = fresh();
                if let Some(c) = cell {
                    for s in &other {
                        if let Some(accs) = c.get(s) {
                            for (a, x) in acc.iter_mut().zip(accs.iter().cloned()) {
                                a.merge(x);
                            }
                        }
                    }
                }
                push(&acc, &mut row);
            }
        } else {
            match cell.and_then(|c| c.get(&GVal::Null)) {
                Some(accs) => row.extend(accs.iter().map(Acc::finish)),
                None => row.extend(fresh().iter().map(Acc::finish)),
            }
        }
        rows.push(row);
        b = b.saturating_add(span);
        if b == i64::MAX {
            break;
        }
    }
    Ok((columns, rows))
}
