//! Top-k hits by sort keys read from fast fields, plus the total count.
//!
//! The default order is `@timestamp` descending. Each key uses the document's
//! smallest value for ascending and largest for descending order (arrays), missing
//! values sort last either way, and ties are broken by journal seq, newest first.
//! Per segment, string keys compare by dictionary ordinal; only the segment's top k
//! are resolved to strings and merged globally.

use std::cmp::Ordering;
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::schema::{Fields, F_SEQ};
use crate::values::{cmp_seg, GVal, SegColumn, SegVal};

/// At most this many sort keys.
pub(crate) const MAX_SORT_KEYS: usize = 3;

/// One hit with its (global) sort keys.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub keys: Vec<Option<GVal>>,
    pub seq: u64,
}

/// Compares hits: `Less` = comes first.
pub(crate) fn cmp_hits(a: &Hit, b: &Hit, desc: &[bool]) -> Ordering {
    for (i, d) in desc.iter().enumerate() {
        let o = match (
            a.keys.get(i).and_then(|k| k.as_ref()),
            b.keys.get(i).and_then(|k| k.as_ref()),
        ) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => {
                if *d {
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
    b.seq.cmp(&a.seq)
}

pub(crate) struct HitsFruit {
    pub count: u64,
    pub hits: Vec<Hit>,
}

pub(crate) struct HitsCollector {
    pub fields: Fields,
    pub keys: Arc<Vec<(String, bool)>>,
    pub k: usize,
}

#[derive(Clone, Copy)]
struct Entry {
    keys: [Option<SegVal>; MAX_SORT_KEYS],
    seq: u64,
}

pub(crate) struct HitsSegment {
    cols: Vec<SegColumn>,
    desc: Vec<bool>,
    seq: Column<u64>,
    k: usize,
    buf: Vec<Entry>,
    threshold: Option<Entry>,
    scratch: Vec<SegVal>,
    count: u64,
}

fn cmp_entries(a: &Entry, b: &Entry, desc: &[bool]) -> Ordering {
    for (i, d) in desc.iter().enumerate() {
        let o = match (a.keys[i], b.keys[i]) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => {
                if *d {
                    cmp_seg(y, x)
                } else {
                    cmp_seg(x, y)
                }
            }
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    b.seq.cmp(&a.seq)
}

impl Collector for HitsCollector {
    type Fruit = HitsFruit;
    type Child = HitsSegment;

    fn for_segment(
        &self,
        _ord: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<HitsSegment> {
        let cols = self
            .keys
            .iter()
            .map(|(name, _)| SegColumn::open(&self.fields, reader, name))
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(HitsSegment {
            cols,
            desc: self.keys.iter().map(|(_, d)| *d).collect(),
            seq: reader.fast_fields().u64(F_SEQ)?,
            k: self.k,
            buf: Vec::new(),
            threshold: None,
            scratch: Vec::new(),
            count: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<HitsFruit>) -> tantivy::Result<HitsFruit> {
        let desc: Vec<bool> = self.keys.iter().map(|(_, d)| *d).collect();
        let mut count = 0;
        let mut hits = Vec::new();
        for f in fruits {
            count += f.count;
            hits.extend(f.hits);
        }
        hits.sort_by(|a, b| cmp_hits(a, b, &desc));
        hits.truncate(self.k);
        Ok(HitsFruit { count, hits })
    }
}

impl HitsSegment {
    fn compact(&mut self) {
        let desc = &self.desc;
        self.buf.sort_by(|a, b| cmp_entries(a, b, desc));
        self.buf.truncate(self.k);
        self.threshold = if self.buf.len() == self.k {
            self.buf.last().copied()
        } else {
            None
        };
    }
}

impl SegmentCollector for HitsSegment {
    type Fruit = HitsFruit;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.count += 1;
        if self.k == 0 {
            return;
        }
        let mut e = Entry {
            keys: [None; MAX_SORT_KEYS],
            seq: self.seq.first(doc).unwrap_or(0),
        };
        for (i, c) in self.cols.iter().enumerate().take(MAX_SORT_KEYS) {
            self.scratch.clear();
            c.values(doc, &mut self.scratch);
            let desc = self.desc[i];
            let mut best: Option<SegVal> = None;
            for v in self.scratch.iter().copied() {
                best = Some(match best {
                    None => v,
                    Some(b) => {
                        let o = cmp_seg(v, b);
                        if (desc && o == Ordering::Greater) || (!desc && o == Ordering::Less) {
                            v
                        } else {
                            b
                        }
                    }
                });
            }
            e.keys[i] = best;
        }
        if let Some(t) = &self.threshold {
            if cmp_entries(&e, t, &self.desc) != Ordering::Less {
                return;
            }
        }
        self.buf.push(e);
        if self.buf.len() >= (2 * self.k).max(64) {
            self.compact();
        }
    }

    fn harvest(mut self) -> HitsFruit {
        if self.k > 0 {
            self.compact();
        }
        let mut s = String::new();
        let n = self.cols.len().min(MAX_SORT_KEYS);
        let hits = self
            .buf
            .iter()
            .map(|e| Hit {
                keys: (0..n)
                    .map(|i| e.keys[i].map(|v| self.cols[i].resolve(v, &mut s)))
                    .collect(),
                seq: e.seq,
            })
            .collect();
        HitsFruit {
            count: self.count,
            hits,
        }
    }
}
