//! The field catalogue: for each dotted field name, how many documents of a partition
//! carry it with each [`FieldType`]. It travels in the partition's tantivy commit
//! payload, so it is always consistent with the committed documents.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::schema::FieldType;

/// One field as reported by [`crate::Searcher::fields`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldInfo {
    /// Dotted name, e.g. `source.ip`.
    pub name: String,
    /// The type most documents have for this field.
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// Number of documents carrying the field (summed over its types).
    pub count: u64,
}

/// Per-partition counts, name → counts indexed by [`FieldType::index`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Catalog {
    counts: FxHashMap<String, [u64; 7]>,
}

/// The commit payload of a partition.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Payload {
    /// Every event of this partition with a seq below this is in the committed index.
    pub next_seq: u64,
    /// name → type name → count.
    #[serde(default)]
    pub fields: BTreeMap<String, BTreeMap<FieldType, u64>>,
}

impl Catalog {
    /// Counts one document carrying `name` with type `t`.
    #[inline]
    pub fn add(&mut self, name: &str, t: FieldType) {
        if let Some(c) = self.counts.get_mut(name) {
            c[t.index()] += 1;
        } else {
            let mut c = [0u64; 7];
            c[t.index()] = 1;
            self.counts.insert(name.to_string(), c);
        }
    }

    /// Counts a document carrying `name` with every type in the bit mask `mask`.
    #[inline]
    pub fn add_mask(&mut self, name: &str, mask: u8) {
        for t in FieldType::ALL {
            if mask & (1 << t.index()) != 0 {
                self.add(name, t);
            }
        }
    }

    pub fn to_payload(&self, next_seq: u64) -> Payload {
        let mut fields = BTreeMap::new();
        for (name, counts) in &self.counts {
            let per: BTreeMap<FieldType, u64> = FieldType::ALL
                .iter()
                .filter(|t| counts[t.index()] > 0)
                .map(|t| (*t, counts[t.index()]))
                .collect();
            fields.insert(name.clone(), per);
        }
        Payload { next_seq, fields }
    }

    pub fn from_payload(p: &Payload) -> Catalog {
        let mut cat = Catalog::default();
        cat.merge_payload(p);
        cat
    }

    pub fn merge_payload(&mut self, p: &Payload) {
        for (name, per) in &p.fields {
            let entry = self.counts.entry(name.clone()).or_insert([0; 7]);
            for (t, n) in per {
                entry[t.index()] += n;
            }
        }
    }

    /// Field list sorted by name; each field gets its most frequent type.
    pub fn infos(&self) -> Vec<FieldInfo> {
        let mut out: Vec<FieldInfo> = self
            .counts
            .iter()
            .filter_map(|(name, counts)| {
                let total: u64 = counts.iter().sum();
                let best = FieldType::ALL
                    .iter()
                    .copied()
                    .max_by_key(|t| (counts[t.index()], std::cmp::Reverse(t.index())))?;
                (total > 0).then(|| FieldInfo {
                    name: name.clone(),
                    field_type: best,
                    count: total,
                })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trip_and_dominant_type() {
        let mut c = Catalog::default();
        c.add("a", FieldType::Long);
        c.add("a", FieldType::Long);
        c.add("a", FieldType::Keyword);
        c.add_mask("b", 1 << FieldType::Ip.index());
        let p = c.to_payload(7);
        let json = serde_json::to_string(&p).unwrap_or_default();
        let back: Payload = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(back.next_seq, 7);
        let infos = Catalog::from_payload(&back).infos();
        assert_eq!(infos.len(), 2);
        assert_eq!(infos[0].field_type, FieldType::Long);
        assert_eq!(infos[0].count, 3);
        assert_eq!(infos[1].field_type, FieldType::Ip);
    }
}
