//! Compiles the filter AST to a tantivy [`Query`].
//!
//! Field routing: `@timestamp` → `_ts` (date ranges); `message` / `event.original` →
//! full-text fields; the ECS IP fields → typed IP fields (exact IP = term, CIDR and
//! comparisons = fast-field range; values that are not IPs fall back to keywords in
//! `_j`); the [`COLUMN_FIELDS`] → their string column (exact values and ranges by
//! dictionary ordinal over the column, wildcards by matching the column's dictionary)
//! or-ed with their path in `_j` (values that are not strings); every other name →
//! its path in the JSON field `_j`, where `field:value` matches the exact string and,
//! when the value parses as one, the number or boolean.

use std::net::{IpAddr, Ipv6Addr};
use std::ops::Bound;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use tantivy::query::{
    AllQuery, BooleanQuery, EmptyQuery, ExistsQuery, Occur, PhraseQuery, Query, RangeQuery,
    RegexQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Type};
use tantivy::tokenizer::{TextAnalyzer, TokenizerManager};
use tantivy::Term;

use super::column::ColumnMatch;
use super::lexer::push_regex_literal;
use super::{CmpOp, Filter, Pred, Val};
use crate::doc::parse_ip;
use crate::error::SearchError;
use crate::schema::{
    col_field_index, col_field_name, ip_field_index, ip_field_name, Fields, COLUMN_FIELDS,
    IP_FIELDS, MESSAGE, ORIGINAL, ORIG_HAS_MSG, TIMESTAMP,
};

type R<T> = Result<T, SearchError>;

/// Where a dotted field name lives in the schema.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FieldKind {
    Ts,
    Text(Field, &'static str),
    Ip(usize),
    /// A [`COLUMN_FIELDS`] entry: its column (strings) plus `_j` (other values).
    Column(usize),
    Json(String),
}

pub(crate) fn field_kind(fields: &Fields, name: &str) -> FieldKind {
    match name {
        TIMESTAMP => FieldKind::Ts,
        MESSAGE => FieldKind::Text(fields.msg, MESSAGE),
        ORIGINAL => FieldKind::Text(fields.orig, ORIGINAL),
        _ => match (ip_field_index(name), col_field_index(name)) {
            (Some(i), _) => FieldKind::Ip(i),
            (_, Some(i)) => FieldKind::Column(i),
            _ => FieldKind::Json(name.to_string()),
        },
    }
}

/// Compiles filters against the schema fields.
pub(crate) struct Compiler<'a> {
    fields: &'a Fields,
    analyzer: TextAnalyzer,
    now: DateTime<Utc>,
}

fn boolean(clauses: Vec<(Occur, Box<dyn Query>)>) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(clauses))
}

fn any_of(mut qs: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    match qs.len() {
        0 => Box::new(EmptyQuery),
        1 => qs.pop().unwrap_or_else(|| Box::new(EmptyQuery)),
        _ => boolean(qs.into_iter().map(|q| (Occur::Should, q)).collect()),
    }
}

fn regex_query(pattern: &str, field: Field, pos: usize) -> R<Box<dyn Query>> {
    RegexQuery::from_pattern(pattern, field)
        .map(|q| Box::new(q) as Box<dyn Query>)
        .map_err(|e| {
            SearchError::invalid(
                pos,
                "a simpler wildcard pattern",
                format!("wildcard pattern rejected: {e}"),
            )
        })
}

fn range_of(lo: Bound<Term>, hi: Bound<Term>) -> Box<dyn Query> {
    if matches!((&lo, &hi), (Bound::Unbounded, Bound::Unbounded)) {
        return Box::new(AllQuery);
    }
    Box::new(RangeQuery::new(lo, hi))
}

fn cmp_bounds<T>(op: CmpOp, v: T) -> (Bound<T>, Bound<T>) {
    match op {
        CmpOp::Gt => (Bound::Excluded(v), Bound::Unbounded),
        CmpOp::Ge => (Bound::Included(v), Bound::Unbounded),
        CmpOp::Lt => (Bound::Unbounded, Bound::Excluded(v)),
        CmpOp::Le => (Bound::Unbounded, Bound::Included(v)),
    }
}

fn map_bound<A, B>(b: Bound<A>, f: impl FnOnce(A) -> B) -> Bound<B> {
    match b {
        Bound::Included(a) => Bound::Included(f(a)),
        Bound::Excluded(a) => Bound::Excluded(f(a)),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// Parses `a.b.c.d/nn` or `v6/nn` into the inclusive range of addresses.
pub(crate) fn parse_cidr(s: &str) -> Option<(Ipv6Addr, Ipv6Addr)> {
    let (addr, bits) = s.trim().split_once('/')?;
    let bits: u32 = bits.parse().ok()?;
    let (base, bits) = match addr.parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) if bits <= 32 => (v4.to_ipv6_mapped(), bits + 96),
        IpAddr::V6(v6) if bits <= 128 => (v6, bits),
        _ => return None,
    };
    let host_mask: u128 = u128::MAX.checked_shr(bits).unwrap_or(0);
    let b = u128::from(base);
    Some((
        Ipv6Addr::from(b & !host_mask),
        Ipv6Addr::from(b | host_mask),
    ))
}

/// `10.*`, `10.1.*`, `10.1.2.*` → the matching IPv4 range.
fn ipv4_wildcard(s: &str) -> Option<(Ipv6Addr, Ipv6Addr)> {
    let prefix = s.strip_suffix(".*")?;
    let parts: Vec<&str> = prefix.split('.').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let mut octets = [0u8; 4];
    for (i, p) in parts.iter().enumerate() {
        octets[i] = p.parse().ok()?;
    }
    parse_cidr(&format!(
        "{}.{}.{}.{}/{}",
        octets[0],
        octets[1],
        octets[2],
        octets[3],
        parts.len() * 8
    ))
}

/// Normalised numeric JSON term (i64 when integral and in range, else f64).
fn json_num(base: &Term, text: &str, force_f64: bool) -> Option<Term> {
    let mut t = base.clone();
    if !force_f64 {
        if let Ok(i) = text.parse::<i64>() {
            t.append_type_and_fast_value(i);
            return Some(t);
        }
    }
    let f: f64 = text.parse().ok().filter(|f: &f64| f.is_finite())?;
    if !force_f64 && f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 {
        t.append_type_and_fast_value(f as i64);
    } else {
        t.append_type_and_fast_value(f);
    }
    Some(t)
}

fn is_integer_text(s: &str) -> bool {
    s.parse::<i64>().is_ok()
}

fn is_number_text(s: &str) -> bool {
    s.parse::<f64>().is_ok_and(|f| f.is_finite())
}

impl<'a> Compiler<'a> {
    pub fn new(fields: &'a Fields, now: DateTime<Utc>) -> Self {
        let analyzer = TokenizerManager::default()
            .get("default")
            .unwrap_or_else(|| TextAnalyzer::from(tantivy::tokenizer::SimpleTokenizer::default()));
        Compiler {
            fields,
            analyzer,
            now,
        }
    }

    pub fn compile(&mut self, f: &Filter) -> R<Box<dyn Query>> {
        match f {
            Filter::All => Ok(Box::new(AllQuery)),
            Filter::And(items) => {
                let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                let mut positive = false;
                for item in items {
                    match item {
                        Filter::All => {}
                        Filter::Not(inner) => clauses.push((Occur::MustNot, self.compile(inner)?)),
                        other => {
                            positive = true;
                            clauses.push((Occur::Must, self.compile(other)?));
                        }
                    }
                }
                if !positive {
                    clauses.push((Occur::Must, Box::new(AllQuery)));
                }
                if clauses.len() == 1 {
                    if let Some((Occur::Must, q)) = clauses.pop() {
                        return Ok(q);
                    }
                }
                Ok(boolean(clauses))
            }
            Filter::Or(items) => {
                if items.iter().any(|i| matches!(i, Filter::All)) {
                    return Ok(Box::new(AllQuery));
                }
                let qs = items.iter().map(|i| self.compile(i)).collect::<R<Vec<_>>>()?;
                Ok(any_of(qs))
            }
            Filter::Not(inner) => Ok(boolean(vec![
                (Occur::Must, Box::new(AllQuery)),
                (Occur::MustNot, self.compile(inner)?),
            ])),
            Filter::Text(val) => {
                let a = self.text(self.fields.msg, val)?;
                let b = self.text(self.fields.orig, val)?;
                Ok(any_of(vec![a, b]))
            }
            Filter::Exists { field } => Ok(self.exists(field)),
            Filter::Field { field, pred, pos } => match field_kind(self.fields, field) {
                FieldKind::Ts => self.ts(pred, *pos),
                FieldKind::Text(f, name) => match pred {
                    Pred::Eq(val) if name == ORIGINAL => {
                        // Documents whose original embeds the message indexed the
                        // message words only in `_msg`.
                        let orig = self.text(f, val)?;
                        let msg = self.text(self.fields.msg, val)?;
                        let marker = TermQuery::new(
                            Term::from_field_text(self.fields.has, ORIG_HAS_MSG),
                            IndexRecordOption::Basic,
                        );
                        Ok(any_of(vec![
                            orig,
                            boolean(vec![(Occur::Must, msg), (Occur::Must, Box::new(marker))]),
                        ]))
                    }
                    Pred::Eq(val) => self.text(f, val),
                    _ => Err(SearchError::invalid(
                        *pos,
                        "a term or phrase",
                        format!("expected a term or phrase: '{name}' is a full-text field, comparisons and ranges are not supported on it"),
                    )),
                },
                FieldKind::Ip(i) => self.ip(i, pred, *pos),
                FieldKind::Column(i) => self.column(i, pred),
                FieldKind::Json(path) => self.json(&path, pred),
            },
        }
    }

    fn text(&mut self, field: Field, val: &Val) -> R<Box<dyn Query>> {
        if val.is_wildcard() {
            return regex_query(&val.raw.wildcard_regex(true), field, val.pos);
        }
        let text = val.text();
        let mut terms = Vec::new();
        let mut stream = self.analyzer.token_stream(&text);
        while stream.advance() {
            terms.push(Term::from_field_text(field, &stream.token().text));
        }
        Ok(match terms.len() {
            0 => Box::new(EmptyQuery),
            1 => Box::new(TermQuery::new(
                terms
                    .pop()
                    .unwrap_or_else(|| Term::from_field_text(field, "")),
                IndexRecordOption::Basic,
            )),
            _ => Box::new(super::safe::SafePhrase(PhraseQuery::new(terms))),
        })
    }

    fn exists(&self, path: &str) -> Box<dyn Query> {
        let f = self.fields;
        let mut qs: Vec<Box<dyn Query>> = Vec::new();
        let under = |p: &str| p == path || p.starts_with(&format!("{path}."));
        if path == TIMESTAMP {
            qs.push(Box::new(ExistsQuery::new(
                crate::schema::F_TS.into(),
                false,
            )));
        }
        if under(MESSAGE) {
            qs.push(Box::new(TermQuery::new(
                Term::from_field_text(f.has, MESSAGE),
                IndexRecordOption::Basic,
            )));
        }
        if under(ORIGINAL) {
            qs.push(Box::new(TermQuery::new(
                Term::from_field_text(f.has, ORIGINAL),
                IndexRecordOption::Basic,
            )));
        }
        for p in COLUMN_FIELDS {
            if under(p) {
                qs.push(Box::new(ExistsQuery::new(col_field_name(p), false)));
            }
        }
        for p in IP_FIELDS {
            if under(p) {
                qs.push(Box::new(ExistsQuery::new(ip_field_name(p), false)));
            }
        }
        qs.push(Box::new(ExistsQuery::new(
            format!("{}.{path}", crate::schema::F_JSON),
            true,
        )));
        any_of(qs)
    }

    fn ip(&mut self, i: usize, pred: &Pred, pos: usize) -> R<Box<dyn Query>> {
        let field = self.fields.ips[i];
        let path = IP_FIELDS[i];
        let range = |lo: Ipv6Addr, hi: Ipv6Addr| -> Box<dyn Query> {
            Box::new(RangeQuery::new(
                Bound::Included(Term::from_field_ip_addr(field, lo)),
                Bound::Included(Term::from_field_ip_addr(field, hi)),
            ))
        };
        match pred {
            Pred::Eq(val) => {
                let text = val.text();
                if val.is_wildcard() {
                    if let Some((lo, hi)) = ipv4_wildcard(&text) {
                        return Ok(range(lo, hi));
                    }
                    return self.json(path, pred);
                }
                if let Some(ip) = parse_ip(&text) {
                    return Ok(Box::new(TermQuery::new(
                        Term::from_field_ip_addr(field, ip),
                        IndexRecordOption::Basic,
                    )));
                }
                if text.contains('/') {
                    return match parse_cidr(&text) {
                        Some((lo, hi)) => Ok(range(lo, hi)),
                        None => Err(SearchError::invalid(
                            val.pos,
                            "a CIDR block like 10.0.0.0/8 or 2001:db8::/32",
                            format!("expected a CIDR block like 10.0.0.0/8 or 2001:db8::/32, found '{text}'"),
                        )),
                    };
                }
                // Not an IP: it may have been indexed as a keyword (unparseable value).
                self.json(path, pred)
            }
            Pred::Cmp(op, val) => {
                let ip = self.ip_value(val)?;
                let (lo, hi) = cmp_bounds(*op, ip);
                Ok(range_of(
                    map_bound(lo, |v| Term::from_field_ip_addr(field, v)),
                    map_bound(hi, |v| Term::from_field_ip_addr(field, v)),
                ))
            }
            Pred::Range {
                lo,
                lo_incl,
                hi,
                hi_incl,
            } => {
                let lo = self.bound(lo.as_ref(), *lo_incl, |v| self.ip_value(v))?;
                let hi = self.bound(hi.as_ref(), *hi_incl, |v| self.ip_value(v))?;
                if matches!((&lo, &hi), (Bound::Unbounded, Bound::Unbounded)) {
                    return Ok(self.exists(path));
                }
                let _ = pos;
                Ok(range_of(
                    map_bound(lo, |v| Term::from_field_ip_addr(field, v)),
                    map_bound(hi, |v| Term::from_field_ip_addr(field, v)),
                ))
            }
        }
    }

    fn ip_value(&self, val: &Val) -> R<Ipv6Addr> {
        let text = val.text();
        parse_ip(&text).ok_or_else(|| {
            SearchError::invalid(
                val.pos,
                "an IP address",
                format!("expected an IP address, found '{text}'"),
            )
        })
    }

    fn bound<T>(&self, v: Option<&Val>, incl: bool, f: impl Fn(&Val) -> R<T>) -> R<Bound<T>> {
        Ok(match v {
            None => Bound::Unbounded,
            Some(v) if incl => Bound::Included(f(v)?),
            Some(v) => Bound::Excluded(f(v)?),
        })
    }

    /// Parses a date value: RFC 3339, `YYYY-MM-DD` (UTC midnight), `YYYY-MM-DDTHH:MM:SS`
    /// (UTC), `now`, or a relative offset like `-15m`. Returns the instant and the
    /// length of the period it denotes (a day for a bare date, 1 ms otherwise).
    fn date_value(&self, val: &Val) -> R<(i64, i64)> {
        let text = val.text();
        let t = text.trim();
        let err = || {
            SearchError::invalid(
                val.pos,
                "a date (RFC 3339, YYYY-MM-DD, now or -15m)",
                format!("expected a date (RFC 3339, YYYY-MM-DD, now or -15m), found '{text}'"),
            )
        };
        if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
            let n = d
                .and_hms_opt(0, 0, 0)
                .and_then(|d| d.and_utc().timestamp_nanos_opt())
                .ok_or_else(err)?;
            return Ok((n, 86_400_000_000_000));
        }
        if let Ok(d) = NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f") {
            return d
                .and_utc()
                .timestamp_nanos_opt()
                .map(|n| (n, 1_000_000))
                .ok_or_else(err);
        }
        let at = vigil_core::time::parse_time_expr(t, self.now).map_err(|_| err())?;
        at.timestamp_nanos_opt()
            .map(|n| (n, 1_000_000))
            .ok_or_else(err)
    }

    fn ts(&mut self, pred: &Pred, _pos: usize) -> R<Box<dyn Query>> {
        let f = self.fields.ts;
        let term = |n: i64| Term::from_field_date(f, tantivy::DateTime::from_timestamp_nanos(n));
        match pred {
            Pred::Eq(val) => {
                if val.is_wildcard() {
                    return Err(SearchError::invalid(
                        val.pos,
                        "a date",
                        "expected a date: wildcards are not supported on @timestamp",
                    ));
                }
                let (n, len) = self.date_value(val)?;
                Ok(range_of(
                    Bound::Included(term(n)),
                    Bound::Excluded(term(n.saturating_add(len))),
                ))
            }
            Pred::Cmp(op, val) => {
                let (n, len) = self.date_value(val)?;
                // A bare date compares as its whole day: `>2024-01-01` starts the next day.
                let (lo, hi) = match op {
                    CmpOp::Gt => (Bound::Included(n.saturating_add(len)), Bound::Unbounded),
                    CmpOp::Ge => (Bound::Included(n), Bound::Unbounded),
                    CmpOp::Lt => (Bound::Unbounded, Bound::Excluded(n)),
                    CmpOp::Le => (Bound::Unbounded, Bound::Excluded(n.saturating_add(len))),
                };
                Ok(range_of(map_bound(lo, term), map_bound(hi, term)))
            }
            Pred::Range {
                lo,
                lo_incl,
                hi,
                hi_incl,
            } => {
                let lo = match lo {
                    None => Bound::Unbounded,
                    Some(v) => {
                        let (n, len) = self.date_value(v)?;
                        if *lo_incl {
                            Bound::Included(n)
                        } else {
                            Bound::Included(n.saturating_add(len))
                        }
                    }
                };
                let hi = match hi {
                    None => Bound::Unbounded,
                    Some(v) => {
                        let (n, len) = self.date_value(v)?;
                        if *hi_incl {
                            Bound::Excluded(n.saturating_add(len))
                        } else {
                            Bound::Excluded(n)
                        }
                    }
                };
                if matches!((&lo, &hi), (Bound::Unbounded, Bound::Unbounded)) {
                    return Ok(self.exists(TIMESTAMP));
                }
                Ok(range_of(map_bound(lo, term), map_bound(hi, term)))
            }
        }
    }

    /// A column field: string values are matched in its column (an exact value or
    /// a wildcard absent from a segment's dictionary costs no scan; ranges are
    /// dictionary ordinal ranges over the column); values of other types were left
    /// in `_j`.
    fn column(&mut self, i: usize, pred: &Pred) -> R<Box<dyn Query>> {
        let field = self.fields.cols[i];
        let path = COLUMN_FIELDS[i];
        let term = |v: &Val| Term::from_field_text(field, &v.text());
        let col: Box<dyn Query> = match pred {
            Pred::Eq(val) if val.is_wildcard() => {
                Box::new(ColumnMatch::wildcard(col_field_name(path), &val.raw))
            }
            Pred::Eq(val) => Box::new(ColumnMatch::exact(col_field_name(path), val.text())),
            Pred::Cmp(op, val) => {
                let (lo, hi) = cmp_bounds(*op, term(val));
                range_of(lo, hi)
            }
            Pred::Range {
                lo,
                lo_incl,
                hi,
                hi_incl,
            } => {
                let lo = self.bound(lo.as_ref(), *lo_incl, |v| Ok(term(v)))?;
                let hi = self.bound(hi.as_ref(), *hi_incl, |v| Ok(term(v)))?;
                if matches!((&lo, &hi), (Bound::Unbounded, Bound::Unbounded)) {
                    return Ok(self.exists(path));
                }
                range_of(lo, hi)
            }
        };
        Ok(any_of(vec![col, self.json(path, pred)?]))
    }

    fn json_base(&self, path: &str) -> Term {
        Term::from_field_json_path(self.fields.json, path, true)
    }

    fn json(&mut self, path: &str, pred: &Pred) -> R<Box<dyn Query>> {
        let base = self.json_base(path);
        match pred {
            Pred::Eq(val) => {
                if val.is_wildcard() {
                    let mut pattern = String::new();
                    let prefix =
                        String::from_utf8_lossy(base.serialized_value_bytes()).into_owned();
                    for c in prefix.chars() {
                        push_regex_literal(&mut pattern, c);
                    }
                    push_regex_literal(&mut pattern, Type::Str.to_code() as char);
                    pattern.push_str(&val.raw.wildcard_regex(false));
                    return regex_query(&pattern, self.fields.json, val.pos);
                }
                let text = val.text();
                let mut terms = Vec::with_capacity(3);
                let mut s = base.clone();
                s.append_type_and_str(&text);
                terms.push(s);
                if let Some(t) = json_num(&base, text.trim(), false) {
                    terms.push(t);
                }
                if let Ok(b) = text.parse::<bool>() {
                    let mut t = base.clone();
                    t.append_type_and_fast_value(b);
                    terms.push(t);
                }
                Ok(if terms.len() == 1 {
                    Box::new(TermQuery::new(
                        terms.pop().unwrap_or(base),
                        IndexRecordOption::Basic,
                    ))
                } else {
                    Box::new(TermSetQuery::new(terms))
                })
            }
            Pred::Cmp(op, val) => {
                let text = val.text();
                let t = if !val.quoted || is_number_text(&text) {
                    json_num(&base, text.trim(), false)
                } else {
                    None
                };
                let t = t.unwrap_or_else(|| {
                    let mut s = base.clone();
                    s.append_type_and_str(&text);
                    s
                });
                let (lo, hi) = cmp_bounds(*op, t);
                Ok(range_of(lo, hi))
            }
            Pred::Range {
                lo,
                lo_incl,
                hi,
                hi_incl,
            } => {
                let texts: Vec<String> = [lo, hi]
                    .iter()
                    .filter_map(|v| v.as_ref().map(|v| v.text()))
                    .collect();
                if texts.is_empty() {
                    return Ok(self.exists(path));
                }
                let numeric = texts.iter().all(|t| is_number_text(t.trim()));
                let force_f64 = numeric && !texts.iter().all(|t| is_integer_text(t.trim()));
                let mk = |v: &Val| -> R<Term> {
                    let text = v.text();
                    if numeric {
                        if let Some(t) = json_num(&base, text.trim(), force_f64) {
                            return Ok(t);
                        }
                    }
                    let mut s = base.clone();
                    s.append_type_and_str(&text);
                    Ok(s)
                };
                let lo = self.bound(lo.as_ref(), *lo_incl, mk)?;
                let hi = self.bound(hi.as_ref(), *hi_incl, mk)?;
                Ok(range_of(lo, hi))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_ranges() {
        let (lo, hi) =
            parse_cidr("10.0.0.0/8").unwrap_or((Ipv6Addr::UNSPECIFIED, Ipv6Addr::UNSPECIFIED));
        assert_eq!(
            lo,
            "10.0.0.0"
                .parse::<std::net::Ipv4Addr>()
                .map(|v| v.to_ipv6_mapped())
                .unwrap_or(Ipv6Addr::LOCALHOST)
        );
        assert_eq!(
            hi,
            "10.255.255.255"
                .parse::<std::net::Ipv4Addr>()
                .map(|v| v.to_ipv6_mapped())
                .unwrap_or(Ipv6Addr::LOCALHOST)
        );
        assert!(parse_cidr("::/0").is_some());
        assert!(parse_cidr("10.0.0.0/33").is_none());
        assert!(parse_cidr("2001:db8::/32").is_some());
        assert!(ipv4_wildcard("10.1.*").is_some());
    }
}
