//! The tantivy schema shared by every partition, the typed ECS IP fields, and the
//! public [`FieldType`] vocabulary used by the field catalogue.
//!
//! | tantivy field | content | options |
//! |---|---|---|
//! | `_seq` | journal sequence number | u64, fast (hits read it from the column; nothing is stored) |
//! | `_ts` | `@timestamp` | date (ms precision), fast |
//! | `_msg` | `message` | text, default tokenizer (lowercased words), positions |
//! | `_orig` | `event.original` (only the text around `message` when it embeds it) | text, default tokenizer, positions |
//! | `_has` | names of the text fields present (`message`, `event.original`), and `event.original>message` when the original embeds the message | raw keyword, no fieldnorms |
//! | `_c_<path>` | one per [`COLUMN_FIELDS`] path (`event.id` → `_c_event_id`), string values | str column only (raw, fast, **not indexed**) |
//! | `_ip_<path>` | one per ECS IP field (`source.ip` → `_ip_source_ip`) | IpAddr, indexed + fast, multi-valued |
//! | `_j` | every other leaf, by dotted path | JSON, raw tokenizer, fast, numbers as numbers |

use std::fmt;

use serde::{Deserialize, Serialize};
use tantivy::schema::{
    DateOptions, DateTimePrecision, Field, IndexRecordOption, IpAddrOptions, JsonObjectOptions,
    NumericOptions, Schema, TextFieldIndexing, TextOptions,
};

use crate::error::IndexError;

/// The ECS fields indexed as typed IP addresses (CIDR and IP ranges work on these).
pub const IP_FIELDS: [&str; 9] = [
    "source.ip",
    "destination.ip",
    "client.ip",
    "server.ip",
    "host.ip",
    "related.ip",
    "observer.ip",
    "source.nat.ip",
    "destination.nat.ip",
];

/// Dotted name of the event's timestamp.
pub const TIMESTAMP: &str = "@timestamp";
/// Dotted name of the main full-text field.
pub const MESSAGE: &str = "message";
/// Dotted name of the raw original text.
pub const ORIGINAL: &str = "event.original";

/// Keyword fields whose string values are kept only as a column, not in the inverted
/// index: their values are (nearly) unique per event, so a term dictionary entry and a
/// posting list per event would cost about twice as much as the column's own
/// dictionary. Lookups scan the column of the segments whose dictionary has the value;
/// ranges, wildcards, `stats` and `sort` work as on any keyword.
pub const COLUMN_FIELDS: [&str; 2] = ["event.id", "event.ingested"];

/// `_has` marker: `event.original` contained `message`, and only the text around it
/// was indexed in `_orig` (the message words are in `_msg`).
pub(crate) const ORIG_HAS_MSG: &str = "event.original>message";

pub(crate) const F_SEQ: &str = "_seq";
pub(crate) const F_TS: &str = "_ts";
pub(crate) const F_MSG: &str = "_msg";
pub(crate) const F_ORIG: &str = "_orig";
pub(crate) const F_HAS: &str = "_has";
pub(crate) const F_JSON: &str = "_j";

/// The type of a field as shown by [`crate::Searcher::fields`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// Exact string (case-sensitive, like ECS `keyword`).
    Keyword,
    /// Tokenized full text (`message`, `event.original`).
    Text,
    /// Integer.
    Long,
    /// Floating point number.
    Double,
    /// IP address (the [`IP_FIELDS`]).
    Ip,
    /// Date (`@timestamp`).
    Date,
    /// `true` / `false`.
    Boolean,
}

impl FieldType {
    pub(crate) const ALL: [FieldType; 7] = [
        FieldType::Keyword,
        FieldType::Text,
        FieldType::Long,
        FieldType::Double,
        FieldType::Ip,
        FieldType::Date,
        FieldType::Boolean,
    ];

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The lowercase name (`keyword`, `text`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Keyword => "keyword",
            FieldType::Text => "text",
            FieldType::Long => "long",
            FieldType::Double => "double",
            FieldType::Ip => "ip",
            FieldType::Date => "date",
            FieldType::Boolean => "boolean",
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Handles to the fields of the schema.
#[derive(Debug, Clone)]
pub(crate) struct Fields {
    pub seq: Field,
    pub ts: Field,
    pub msg: Field,
    pub orig: Field,
    pub has: Field,
    pub json: Field,
    pub ips: [Field; IP_FIELDS.len()],
    pub cols: [Field; COLUMN_FIELDS.len()],
}

/// The tantivy field name of the IP field `path` (`source.ip` → `_ip_source_ip`).
pub(crate) fn ip_field_name(path: &str) -> String {
    format!("_ip_{}", path.replace('.', "_"))
}

/// Index of `path` in [`IP_FIELDS`].
pub(crate) fn ip_field_index(path: &str) -> Option<usize> {
    IP_FIELDS.iter().position(|p| *p == path)
}

/// The tantivy field name of the column field `path` (`event.id` → `_c_event_id`).
pub(crate) fn col_field_name(path: &str) -> String {
    format!("_c_{}", path.replace('.', "_"))
}

/// Index of `path` in [`COLUMN_FIELDS`].
pub(crate) fn col_field_index(path: &str) -> Option<usize> {
    COLUMN_FIELDS.iter().position(|p| *p == path)
}

/// Builds the schema every partition uses.
pub(crate) fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    // Not stored: hits read the seq from the column, and the doc store (which tantivy
    // always writes) holds only empty documents.
    let seq = b.add_u64_field(F_SEQ, NumericOptions::default().set_fast());
    let ts = b.add_date_field(
        F_TS,
        DateOptions::default()
            .set_fast()
            .set_precision(DateTimePrecision::Milliseconds),
    );
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("default")
            .set_index_option(IndexRecordOption::WithFreqsAndPositions)
            .set_fieldnorms(false),
    );
    let msg = b.add_text_field(F_MSG, text.clone());
    let orig = b.add_text_field(F_ORIG, text);
    let keyword = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("raw")
            .set_index_option(IndexRecordOption::Basic)
            .set_fieldnorms(false),
    );
    let has = b.add_text_field(F_HAS, keyword);
    let json = b.add_json_field(
        F_JSON,
        JsonObjectOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer("raw")
                    .set_index_option(IndexRecordOption::Basic)
                    .set_fieldnorms(false),
            )
            .set_fast("raw")
            .set_expand_dots_enabled(),
    );
    let ips = IP_FIELDS.map(|p| {
        b.add_ip_addr_field(
            &ip_field_name(p),
            IpAddrOptions::default().set_indexed().set_fast(),
        )
    });
    let cols = COLUMN_FIELDS
        .map(|p| b.add_text_field(&col_field_name(p), TextOptions::default().set_fast("raw")));
    let schema = b.build();
    (
        schema,
        Fields {
            seq,
            ts,
            msg,
            orig,
            has,
            json,
            ips,
            cols,
        },
    )
}

/// Checks that an on-disk schema is the one this version writes.
pub(crate) fn check_schema(
    found: &Schema,
    expected: &Schema,
    dir: &std::path::Path,
) -> Result<(), IndexError> {
    let same = found.num_fields() == expected.num_fields()
        && expected.fields().all(|(field, entry)| {
            found.get_field(entry.name()).ok() == Some(field)
                && found.get_field_entry(field).field_type().value_type()
                    == entry.field_type().value_type()
        });
    if same {
        Ok(())
    } else {
        Err(IndexError::Corrupt {
            path: dir.to_path_buf(),
            message: "partition schema differs from this version of vigil-index".into(),
        })
    }
}

/// A node of the (tiny, fixed) tree of event paths that are not indexed in `_j`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Node {
    Root,
    Event,
    Source,
    SourceNat,
    Destination,
    DestinationNat,
    Client,
    Server,
    Host,
    Related,
    Observer,
    /// A special leaf, numbered as in [`special_leaf_path`].
    Leaf(u8),
}

/// Leaf numbers: 0 = `@timestamp`, 1 = `message`, 2 = `event.original`, 3.. = column
/// fields in [`COLUMN_FIELDS`] order, then the IP fields in [`IP_FIELDS`] order.
pub(crate) const LEAF_TS: u8 = 0;
pub(crate) const LEAF_MSG: u8 = 1;
pub(crate) const LEAF_ORIG: u8 = 2;
pub(crate) const LEAF_COL0: u8 = 3;
pub(crate) const LEAF_IP0: u8 = LEAF_COL0 + COLUMN_FIELDS.len() as u8;

/// One step down the special-path tree.
#[inline]
pub(crate) fn step(node: Node, key: &str) -> Option<Node> {
    use Node::*;
    Some(match (node, key) {
        (Root, "@timestamp") => Leaf(LEAF_TS),
        (Root, "message") => Leaf(LEAF_MSG),
        (Root, "event") => Event,
        (Root, "source") => Source,
        (Root, "destination") => Destination,
        (Root, "client") => Client,
        (Root, "server") => Server,
        (Root, "host") => Host,
        (Root, "related") => Related,
        (Root, "observer") => Observer,
        (Event, "original") => Leaf(LEAF_ORIG),
        (Event, "id") => Leaf(LEAF_COL0),
        (Event, "ingested") => Leaf(LEAF_COL0 + 1),
        (Source, "ip") => Leaf(LEAF_IP0),
        (Destination, "ip") => Leaf(LEAF_IP0 + 1),
        (Client, "ip") => Leaf(LEAF_IP0 + 2),
        (Server, "ip") => Leaf(LEAF_IP0 + 3),
        (Host, "ip") => Leaf(LEAF_IP0 + 4),
        (Related, "ip") => Leaf(LEAF_IP0 + 5),
        (Observer, "ip") => Leaf(LEAF_IP0 + 6),
        (Source, "nat") => SourceNat,
        (SourceNat, "ip") => Leaf(LEAF_IP0 + 7),
        (Destination, "nat") => DestinationNat,
        (DestinationNat, "ip") => Leaf(LEAF_IP0 + 8),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_tree_matches_ip_list() {
        for (i, path) in IP_FIELDS.iter().enumerate() {
            let mut node = Node::Root;
            for part in path.split('.') {
                node = step(node, part).unwrap_or(Node::Root);
            }
            assert_eq!(node, Node::Leaf(LEAF_IP0 + i as u8), "{path}");
        }
        for (i, path) in COLUMN_FIELDS.iter().enumerate() {
            let mut node = Node::Root;
            for part in path.split('.') {
                node = step(node, part).unwrap_or(Node::Root);
            }
            assert_eq!(node, Node::Leaf(LEAF_COL0 + i as u8), "{path}");
        }
        assert!(
            LEAF_IP0 as usize + IP_FIELDS.len() <= 32,
            "leaves fit the u32 mask"
        );
        let (schema, fields) = build_schema();
        assert_eq!(
            schema.get_field("_ip_source_nat_ip").ok(),
            Some(fields.ips[7])
        );
        assert_eq!(schema.get_field("_c_event_id").ok(), Some(fields.cols[0]));
    }

    #[test]
    fn nothing_stored_no_fieldnorms_columns_not_indexed() {
        let (schema, fields) = build_schema();
        for (field, entry) in schema.fields() {
            // The doc store only holds empty documents: hits read `_seq` from its column.
            assert!(!entry.is_stored(), "{} is stored", entry.name());
            assert!(!entry.has_fieldnorms(), "{} has fieldnorms", entry.name());
            if fields.cols.contains(&field) {
                assert!(entry.is_fast() && !entry.is_indexed(), "{}", entry.name());
            }
        }
        assert!(schema.get_field_entry(fields.seq).is_fast());
    }
}
