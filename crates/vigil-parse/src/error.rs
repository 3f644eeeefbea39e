//! Typed errors of the decoders. Their `Display` is what ends up in `error.message`
//! of an event tagged `_parse_failure`.

/// Why a message is not (well-formed) syslog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyslogError {
    /// Nothing to parse.
    #[error("empty message")]
    Empty,
    /// A leading `<` that does not open a valid `<PRI>` (0..=191).
    #[error("invalid PRI: {0}")]
    InvalidPri(&'static str),
    /// No `<PRI>` and no RFC 3164 / ISO 8601 timestamp at the start.
    #[error("no syslog header (expected <PRI>, 'Mmm dd hh:mm:ss' or an ISO 8601 timestamp)")]
    NoHeader,
    /// A timestamp-shaped header that is not a real date or time.
    #[error("invalid RFC 3164 timestamp")]
    InvalidTimestamp,
    /// An RFC 5424 header that ends before all its fields.
    #[error("RFC 5424 header truncated before {0}")]
    Truncated5424(&'static str),
    /// An RFC 5424 TIMESTAMP that is neither `-` nor RFC 3339.
    #[error("invalid RFC 5424 timestamp '{0}'")]
    Invalid5424Timestamp(String),
}

/// Why a line that looks like JSON could not become an event.
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    /// Not valid JSON, or valid JSON that is not an object.
    #[error("invalid JSON object: {0}")]
    Invalid(#[from] serde_json::Error),
}

/// Why RFC 5424 STRUCTURED-DATA could not be decoded (the header is kept; the event
/// is tagged `_parse_failure` and the undecoded rest becomes the message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid RFC 5424 structured data: {0}")]
pub struct StructuredDataError(pub &'static str);

/// Why a message that starts like CEF (`CEF:`) is not a valid CEF record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid CEF: {0}")]
pub struct CefError(pub &'static str);

/// Why a message that starts like LEEF (`LEEF:`) is not a valid LEEF record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid LEEF: {0}")]
pub struct LeefError(pub &'static str);
