//! Exact values and wildcards on the string columns of the [`crate::COLUMN_FIELDS`].
//! These fields are not in the inverted index (so tantivy's `TermQuery` would scan
//! with two dictionary probes per segment and `RegexQuery` cannot run at all): per
//! segment, the value is looked up once in the column's dictionary (a wildcard is
//! matched against it from its literal prefix on), and only when it is there are the
//! documents with that ordinal read from the ordinal column.

use tantivy::query::{
    BitSetDocSet, ConstScorer, EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight,
};
use tantivy::{BitSet, DocId, DocSet, Score, SegmentReader, TantivyError};

use super::lexer::RawText;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Lit(char),
    /// `?`: one character.
    One,
    /// `*`: any run of characters.
    Any,
}

/// Matches the values of a string column: exactly, or against a wildcard pattern
/// (unescaped `*` = any run, `?` = one character, everything else literal).
#[derive(Debug, Clone)]
pub(crate) struct ColumnMatch {
    column: String,
    /// The exact value, or the literal prefix of the pattern.
    prefix: String,
    /// `None`: exact match of `prefix`.
    pattern: Option<Vec<Tok>>,
}

impl ColumnMatch {
    pub fn exact(column: String, value: String) -> Self {
        ColumnMatch {
            column,
            prefix: value,
            pattern: None,
        }
    }

    pub fn wildcard(column: String, raw: &RawText) -> Self {
        let pattern: Vec<Tok> = raw
            .chars
            .iter()
            .map(|&(c, esc, _)| match (c, esc) {
                ('*', false) => Tok::Any,
                ('?', false) => Tok::One,
                _ => Tok::Lit(c),
            })
            .collect();
        let prefix = pattern
            .iter()
            .map_while(|t| match t {
                Tok::Lit(c) => Some(*c),
                _ => None,
            })
            .collect();
        ColumnMatch {
            column,
            prefix,
            pattern: Some(pattern),
        }
    }

    /// The matching documents of one segment.
    fn docs(&self, reader: &SegmentReader) -> tantivy::Result<Vec<DocId>> {
        let Some(col) = reader.fast_fields().str(&self.column)? else {
            return Ok(Vec::new());
        };
        let mut ords: Vec<u64> = Vec::new();
        match &self.pattern {
            None => ords.extend(col.dictionary().term_ord(self.prefix.as_bytes())?),
            Some(pattern) => {
                let mut terms = col
                    .dictionary()
                    .prefix_range(self.prefix.as_bytes())
                    .into_stream()?;
                while terms.advance() {
                    if std::str::from_utf8(terms.key()).is_ok_and(|s| glob(pattern, s)) {
                        ords.push(terms.term_ord());
                    }
                }
            }
        }
        let (Some(&lo), Some(&hi)) = (ords.first(), ords.last()) else {
            return Ok(Vec::new());
        };
        let mut docs = Vec::new();
        col.ords()
            .get_docids_for_value_range(lo..=hi, 0..reader.max_doc(), &mut docs);
        if hi - lo + 1 != ords.len() as u64 {
            // Not one contiguous run of ordinals: keep the documents with a matching one.
            docs.retain(|d| {
                col.ords()
                    .values_for_doc(*d)
                    .any(|o| ords.binary_search(&o).is_ok())
            });
        }
        Ok(docs)
    }
}

/// Whether `s` matches the wildcard pattern (greedy, backtracking to the last `*`).
fn glob(pattern: &[Tok], s: &str) -> bool {
    let (mut p, mut i) = (0, 0);
    // (pattern index after the last `*`, text index that `*` currently extends to)
    let mut star: Option<(usize, usize)> = None;
    loop {
        let next = s[i..].chars().next();
        match (pattern.get(p), next) {
            (Some(Tok::Any), _) => {
                star = Some((p + 1, i));
                p += 1;
                continue;
            }
            (Some(Tok::One), Some(c)) => {
                p += 1;
                i += c.len_utf8();
                continue;
            }
            (Some(Tok::Lit(l)), Some(c)) if *l == c => {
                p += 1;
                i += c.len_utf8();
                continue;
            }
            (None, None) => return true,
            _ => {}
        }
        // Mismatch: let the last `*` swallow one more character, if there is one.
        match star {
            Some((sp, si)) => match s[si..].chars().next() {
                Some(c) => {
                    let si = si + c.len_utf8();
                    star = Some((sp, si));
                    p = sp;
                    i = si;
                }
                None => return false,
            },
            None => return false,
        }
    }
}

impl Query for ColumnMatch {
    fn weight(&self, _scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Weight for ColumnMatch {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let docs = self.docs(reader)?;
        if docs.is_empty() {
            return Ok(Box::new(EmptyScorer));
        }
        let mut set = BitSet::with_max_value(reader.max_doc());
        for d in docs {
            set.insert(d);
        }
        Ok(Box::new(ConstScorer::new(BitSetDocSet::from(set), boost)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) == doc {
            Ok(Explanation::new("ColumnMatch", 1.0))
        } else {
            Err(TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, s: &str) -> bool {
        let w = ColumnMatch::wildcard("c".into(), &RawText::from_raw(pattern));
        glob(w.pattern.as_deref().unwrap_or_default(), s)
    }

    #[test]
    fn wildcard_matching() {
        assert!(m("abc", "abc"));
        assert!(!m("abc", "abcd"));
        assert!(m("ab*", "ab"));
        assert!(m("ab*", "abcdef"));
        assert!(m("*", ""));
        assert!(m("*f", "abcdef"));
        assert!(!m("*e", "abcdef"));
        assert!(m("a*c*f", "abcdef"));
        assert!(m("a*c*f", "acf"));
        assert!(!m("a*c*f", "abdef"));
        assert!(m("a?c", "abc"));
        assert!(m("a?c", "aéc"));
        assert!(!m("a?c", "ac"));
        assert!(m("*a*a*a", "aaaa"));
        assert!(!m("*a*a*b", "aaaa"));
        assert!(m(r"a\*c", "a*c"));
        assert!(!m(r"a\*c", "abc"));
        assert!(m(r"\?*", "?x"));
        let w = ColumnMatch::wildcard("c".into(), &RawText::from_raw(r"01\*9*a?"));
        assert_eq!(w.prefix, "01*9");
    }
}
