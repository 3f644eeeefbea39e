//! Vigil's search side: one tantivy index per time partition, a query language with
//! pipes, and aggregations over columnar fast fields.
//!
//! The journal is the system of record. The index stores **no copy of the event**:
//! each document holds the event's journal `seq` (a fast column; nothing is stored,
//! so the doc store only holds empty documents) and indexed fields; hits are fetched
//! from the journal by the caller through [`EventStore`].
//!
//! # Layout
//!
//! ```text
//! <dir>/vigil-index.json      {"version":1,"partition_secs":86400,"next_seq":N}
//! <dir>/writer.lock           held (flock) by the one Indexer
//! <dir>/2026-01-31/           one tantivy index per partition (UTC day by default)
//! <dir>/undated/              events without a valid @timestamp
//! ```
//!
//! Partitions are chosen by the event's `@timestamp`. Events whose `@timestamp` is
//! missing or not RFC 3339 go to `undated`, which is searched only when the
//! [`TimeRange`] is unbounded on both sides (they have no `_ts`, sort last and are
//! ignored by `timechart`). See [`partition`] for naming and [`indexer`] for crash
//! safety (per-partition commit payloads; no duplicates after a crash).
//!
//! A partition whose tantivy schema is not this version's (such as one written before
//! `event.id`/`event.ingested` became column fields) is not opened: searchers skip it
//! and the indexer refuses to write to it. Delete the index directory to rebuild it
//! from the journal.
//!
//! # Schema and type rules
//!
//! | event field | indexed as | query semantics |
//! |---|---|---|
//! | `@timestamp` | `_ts` date, ms precision, fast | dates: RFC 3339, `YYYY-MM-DD` (whole UTC day), `now`, `-15m` |
//! | `message`, `event.original` | full-text (lowercased words, positions); when `event.original` contains `message`, only the text around it is indexed for `event.original` (the message words are already indexed) | words, phrases, `*`/`?` within a word; a phrase spanning the boundary between the message and the rest of the original does not match |
//! | `source.ip`, `destination.ip`, `client.ip`, `server.ip`, `host.ip`, `related.ip`, `observer.ip`, `source.nat.ip`, `destination.nat.ip` | IpAddr (IPv4 as v4-mapped v6), indexed + fast | exact IP, CIDR (v4/v6), `10.1.*`, comparisons and ranges by address |
//! | [`COLUMN_FIELDS`]: `event.id`, `event.ingested` (string values) | keyword kept **only as a column** (`_c_event_id`, ...; raw, case-sensitive, fast, not in the inverted index) | like any keyword: exact value, wildcards, lexicographic comparisons/ranges, `stats`/`sort`/`timechart` |
//! | any other string | keyword in the JSON field `_j` (raw, case-sensitive, fast) | exact value, wildcards, lexicographic comparisons/ranges |
//! | JSON numbers | numbers in `_j` (i64, u64 or f64) | `f:123` matches the number (and the string "123"), numeric comparisons/ranges |
//! | booleans | booleans in `_j` | `f:true` |
//! | arrays | every element, same rules | match if any element matches |
//!
//! The [`COLUMN_FIELDS`] hold a (nearly) unique value per event, for which a term
//! dictionary entry plus a posting list would cost about twice the column's own
//! dictionary (measured on UUIDv7 ids: ~32 B/event against ~13 B/event). An exact
//! value is looked up in each segment's column dictionary and, only in segments that
//! have it, found by scanning that segment's ordinal column (a few ns per document:
//! about 1 ms per million documents, against microseconds for a posting list);
//! wildcards match the column dictionary from their literal prefix on. Their values
//! that are not strings (or arrays of strings) stay in `_j`: searchable, but not read
//! by `stats`/`sort` (like the non-IP values of an IP field).
//!
//! Strings are never sniffed for dates or IPs outside the fields above (a date string in
//! another field compares lexicographically, which works for uniform RFC 3339 UTC).
//! An IP field value that is not an IP is kept as a keyword under the same path, so
//! `source.ip:unknown` still works. `_has` records which text fields a document has,
//! for `_exists_:message`. Every leaf is counted per partition in a field catalogue
//! (name → type → documents) stored in the commit payload; [`Searcher::fields`] merges
//! them, reporting each field with its most frequent type.
//!
//! # Query language
//!
//! ```text
//! failed password                  bare words: full text over message + event.original (AND)
//! "failed password"                phrase (bare) — on a keyword field: the exact value
//! user.name:root                   keyword: exact, case-sensitive
//! user.name:adm*  host.name:web?   wildcards (* any run, ? one char; \* is literal)
//! message:timeout                  field:value on a text field is full text
//! http.response.status_code:>=400  comparisons > >= < <= (numbers, dates, strings, IPs)
//! bytes:[100 TO 200]  bytes:{1 TO 5}  ranges, inclusive [] / exclusive {}, mixable, * = open
//! source.ip:10.0.0.0/8  source.ip:2001:db8::/32  source.ip:10.0.1.5
//! _exists_:user.name   user.name:*  existence (a prefix like `source` matches any subfield)
//! a AND b, a OR b, NOT a, -a, (a OR b) c   precedence: NOT > AND (also implicit) > OR
//! user.name:(root OR admin)        field group: bare terms inside apply to the field
//! *                                everything (so does an empty filter)
//! ```
//!
//! `AND`, `OR`, `NOT`, `TO` are upper case (`&&`, `||` also work). Special characters
//! `( ) [ ] { } " |` and whitespace end a word unless escaped with `\`; `field:value`
//! splits on the first unescaped `:` (IPv6 values need no escaping).
//!
//! Pipes, applied left to right:
//!
//! ```text
//! | stats count(), count_distinct(f), min(f), max(f), avg(f), sum(f) [as name] [by f1, f2]
//! | timechart [span=1m] [limit=10] count() [, avg(f)] [by f]
//! | sort -f1, +f2        (table columns, or event fields for hits; `-count` = `count()`)
//! | head [N]             (default 10; `limit N` too)
//! | fields a, b          (`table a, b` too)
//! ```
//!
//! * `stats` columns are the `by` fields then one per aggregation, named by the alias
//!   or as written (`count()`, `avg(bytes)`); rows are sorted by the group values; a
//!   missing group value is `null`; an array value counts in each of its groups.
//!   `count(f)` counts documents having `f`; `dc`/`distinct_count` alias
//!   `count_distinct`; sum/avg/min/max use numeric values (min/max also `@timestamp`).
//! * `timechart` buckets by `@timestamp` (aligned on multiples of the span since the
//!   epoch; units s m h d w; automatic span ≤ ~100 buckets). Columns: `_time` (RFC 3339)
//!   then one per aggregation; with `by f`, one per value of `f` (one aggregation) or
//!   `"<agg>: <value>"` (several), the `limit` largest series by event count and
//!   `OTHER` for the rest (`null` names missing values). Every bucket in the time range
//!   (or between the first and last event) is present; empty cells are 0 for counts,
//!   `null` otherwise.
//! * Hits default to newest `@timestamp` first; `limit` caps the hits returned;
//!   `total` counts every match in the range. `| fields` projects hits to nested
//!   objects with just those fields (and sets `columns`).
//! * The first `stats`/`timechart` runs inside the index on fast fields unless a
//!   `head` precedes it (then it runs on the fetched hits). Leading `sort`/`head` run
//!   in the index on fast fields (full-text fields cannot be sorted or aggregated).
//!
//! Syntax errors report the character offset and what was expected, e.g.
//! `syntax error at 10: expected a value after ':'`.

pub(crate) mod agg;
pub mod catalog;
mod doc;
pub mod error;
pub(crate) mod hits;
pub mod indexer;
pub mod partition;
pub(crate) mod pipeline;
pub(crate) mod query;
pub mod schema;
pub mod searcher;
pub(crate) mod values;

pub use catalog::FieldInfo;
pub use error::{IndexError, SearchError};
pub use indexer::{IndexOptions, Indexer};
pub use schema::{FieldType, COLUMN_FIELDS, IP_FIELDS};
pub use searcher::{EventStore, SearchResult, Searcher, TimeRange, MAX_FETCH};

/// Parses `query` without running it (for validation in UIs and APIs).
pub fn check_query(query: &str) -> Result<(), SearchError> {
    query::parse(query).map(|_| ())
}
