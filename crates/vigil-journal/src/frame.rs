//! The byte format of segment files: a segment header followed by frames, one frame per
//! appended batch. Owns encoding, parsing and checking of headers, payloads and records.
//!
//! All integers are little-endian.
//!
//! Segment header (24 bytes): `"VIGILSEG"`, version `u32` (1), first sequence number `u64`,
//! CRC-32 of the preceding 20 bytes.
//!
//! Frame: header then payload.
//!
//! ```text
//! 0   magic "VJF1"              4
//! 4   version u8 (1)            1
//! 5   flags u8 (1 = zstd)       1
//! 6   event id length u8        1
//! 7   reserved u8 (0)           1
//! 8   payload length u32        4   bytes of payload following the header
//! 12  raw length u32            4   bytes of the decompressed payload
//! 16  first sequence number u64 8
//! 24  record count u32          4
//! 28  payload CRC-32 u32        4   over the stored (compressed) payload
//! 32  first record's event id   n   UTF-8, n = event id length (0 when unknown)
//! 32+n header CRC-32 u32        4   over bytes 0..32+n
//! ```
//!
//! The decompressed payload is the records back to back, each `seq u64, length u32, bytes`.
//! Records carry their own sequence number so that a deleted or moved record is named.

use std::io;

/// Magic at the start of every segment file.
pub const SEGMENT_MAGIC: [u8; 8] = *b"VIGILSEG";
/// Current segment format version.
pub const SEGMENT_VERSION: u32 = 1;
/// Length of the segment header.
pub const SEGMENT_HEADER_LEN: usize = 24;
/// Magic at the start of every frame.
pub const FRAME_MAGIC: [u8; 4] = *b"VJF1";
/// Current frame format version.
pub const FRAME_VERSION: u8 = 1;
/// Flag: the payload is zstd-compressed.
pub const FLAG_ZSTD: u8 = 1;
/// Length of the fixed part of a frame header.
pub const FRAME_FIXED_LEN: usize = 32;
/// Longest event id stored in a frame header (longer ids are not stored).
pub const MAX_EVENT_ID_LEN: usize = 255;
/// Longest possible frame header.
pub const MAX_FRAME_HEADER_LEN: usize = FRAME_FIXED_LEN + MAX_EVENT_ID_LEN + 4;
/// Bytes in front of each record inside a payload.
pub const RECORD_HEADER_LEN: usize = 12;
/// Largest decompressed payload of one frame.
pub const MAX_RAW_LEN: usize = 1 << 30;
/// zstd compression level of the writer.
pub const COMPRESSION_LEVEL: i32 = 3;

/// Largest stored payload for `raw_len` bytes of records (zstd's worst case, generously).
pub fn max_payload_len(raw_len: usize) -> usize {
    raw_len + raw_len / 128 + 4096
}

/// Why bytes are not a valid header, payload or record list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Fewer bytes than the structure needs (a cut-off write).
    #[error("cut off: {needed} bytes needed, {available} available")]
    Short { needed: usize, available: usize },
    /// The magic bytes are wrong.
    #[error("bad magic bytes")]
    BadMagic,
    /// The header checksum does not match.
    #[error("header checksum mismatch")]
    HeaderChecksum,
    /// The payload checksum does not match.
    #[error("payload checksum mismatch")]
    PayloadChecksum,
    /// Checksummed but unacceptable content (unknown version, impossible lengths).
    #[error("invalid header: {0}")]
    Invalid(String),
    /// The payload does not decompress to the announced length.
    #[error("payload does not decompress: {0}")]
    Decompress(String),
    /// The record list is malformed.
    #[error("malformed record list at byte {0} of the payload")]
    Records(usize),
}

impl FrameError {
    /// Whether the error means the bytes simply end too early (as after a cut-off write).
    pub fn is_short(&self) -> bool {
        matches!(self, FrameError::Short { .. })
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// Encodes the header of a segment whose first record is `first_seq`.
pub fn encode_segment_header(first_seq: u64) -> [u8; SEGMENT_HEADER_LEN] {
    let mut b = [0u8; SEGMENT_HEADER_LEN];
    b[..8].copy_from_slice(&SEGMENT_MAGIC);
    b[8..12].copy_from_slice(&SEGMENT_VERSION.to_le_bytes());
    b[12..20].copy_from_slice(&first_seq.to_le_bytes());
    let crc = crc32fast::hash(&b[..20]);
    b[20..24].copy_from_slice(&crc.to_le_bytes());
    b
}

/// Parses a segment header, returning the segment's first sequence number.
pub fn parse_segment_header(b: &[u8]) -> Result<u64, FrameError> {
    if b.len() < SEGMENT_HEADER_LEN {
        return Err(FrameError::Short {
            needed: SEGMENT_HEADER_LEN,
            available: b.len(),
        });
    }
    if b[..8] != SEGMENT_MAGIC {
        return Err(FrameError::BadMagic);
    }
    if crc32fast::hash(&b[..20]) != u32_at(b, 20) {
        return Err(FrameError::HeaderChecksum);
    }
    let version = u32_at(b, 8);
    if version != SEGMENT_VERSION {
        return Err(FrameError::Invalid(format!(
            "unsupported segment version {version}"
        )));
    }
    Ok(u64_at(b, 12))
}

/// A parsed, checksum-verified frame header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameHeader {
    /// Sequence number of the first record.
    pub first_seq: u64,
    /// Number of records.
    pub count: u32,
    /// Bytes of stored payload after the header.
    pub payload_len: u32,
    /// Bytes of the decompressed payload.
    pub raw_len: u32,
    /// CRC-32 of the stored payload.
    pub payload_crc: u32,
    /// Flags ([`FLAG_ZSTD`]).
    pub flags: u8,
    /// The first record's `event.id`, when it had one.
    pub first_event_id: Option<String>,
}

impl FrameHeader {
    /// Length of this header on disk.
    pub fn header_len(&self) -> usize {
        FRAME_FIXED_LEN + self.first_event_id.as_ref().map_or(0, String::len) + 4
    }

    /// Length of the whole frame (header and payload) on disk.
    pub fn frame_len(&self) -> u64 {
        self.header_len() as u64 + u64::from(self.payload_len)
    }

    /// One past the last record's sequence number.
    pub fn end_seq(&self) -> u64 {
        self.first_seq + u64::from(self.count)
    }

    /// Parses and checks a frame header at the start of `b` (which may extend past it).
    pub fn parse(b: &[u8]) -> Result<FrameHeader, FrameError> {
        let m = b.len().min(FRAME_MAGIC.len());
        if b[..m] != FRAME_MAGIC[..m] {
            return Err(FrameError::BadMagic);
        }
        if b.len() < FRAME_FIXED_LEN {
            return Err(FrameError::Short {
                needed: FRAME_FIXED_LEN,
                available: b.len(),
            });
        }
        let id_len = b[6] as usize;
        let total = FRAME_FIXED_LEN + id_len + 4;
        if b.len() < total {
            return Err(FrameError::Short {
                needed: total,
                available: b.len(),
            });
        }
        if crc32fast::hash(&b[..total - 4]) != u32_at(b, total - 4) {
            return Err(FrameError::HeaderChecksum);
        }
        let version = b[4];
        if version != FRAME_VERSION {
            return Err(FrameError::Invalid(format!(
                "unsupported frame version {version}"
            )));
        }
        let flags = b[5];
        if flags & !FLAG_ZSTD != 0 || b[7] != 0 {
            return Err(FrameError::Invalid(format!("unknown flags {flags:#x}")));
        }
        let header = FrameHeader {
            payload_len: u32_at(b, 8),
            raw_len: u32_at(b, 12),
            first_seq: u64_at(b, 16),
            count: u32_at(b, 24),
            payload_crc: u32_at(b, 28),
            flags,
            first_event_id: if id_len == 0 {
                None
            } else {
                Some(
                    std::str::from_utf8(&b[FRAME_FIXED_LEN..FRAME_FIXED_LEN + id_len])
                        .map_err(|_| FrameError::Invalid("event id is not UTF-8".into()))?
                        .to_string(),
                )
            },
        };
        if header.count == 0 {
            return Err(FrameError::Invalid("frame holds no records".into()));
        }
        if header.raw_len as usize > MAX_RAW_LEN
            || (header.raw_len as u64) < u64::from(header.count) * RECORD_HEADER_LEN as u64
        {
            return Err(FrameError::Invalid(format!(
                "raw length {} impossible for {} records",
                header.raw_len, header.count
            )));
        }
        if header.payload_len as usize > max_payload_len(header.raw_len as usize) {
            return Err(FrameError::Invalid(format!(
                "payload length {} impossible for raw length {}",
                header.payload_len, header.raw_len
            )));
        }
        if header.flags & FLAG_ZSTD == 0 && header.payload_len != header.raw_len {
            return Err(FrameError::Invalid(
                "uncompressed payload length mismatch".into(),
            ));
        }
        if header
            .first_seq
            .checked_add(u64::from(header.count))
            .is_none()
        {
            return Err(FrameError::Invalid("sequence number overflow".into()));
        }
        Ok(header)
    }

    /// Encodes this header.
    pub fn encode(&self) -> Vec<u8> {
        let id = self.first_event_id.as_deref().unwrap_or("");
        let mut b = Vec::with_capacity(self.header_len());
        b.extend_from_slice(&FRAME_MAGIC);
        b.push(FRAME_VERSION);
        b.push(self.flags);
        b.push(id.len() as u8);
        b.push(0);
        b.extend_from_slice(&self.payload_len.to_le_bytes());
        b.extend_from_slice(&self.raw_len.to_le_bytes());
        b.extend_from_slice(&self.first_seq.to_le_bytes());
        b.extend_from_slice(&self.count.to_le_bytes());
        b.extend_from_slice(&self.payload_crc.to_le_bytes());
        b.extend_from_slice(id.as_bytes());
        let crc = crc32fast::hash(&b);
        b.extend_from_slice(&crc.to_le_bytes());
        b
    }

    /// Checks the payload's CRC and decompresses it, returning the raw record list.
    pub fn decode_payload(&self, payload: &[u8]) -> Result<Vec<u8>, FrameError> {
        self.decode_payload_with(payload, None)
    }

    pub(crate) fn decode_payload_with(
        &self,
        payload: &[u8],
        decompressor: Option<&mut zstd::bulk::Decompressor<'static>>,
    ) -> Result<Vec<u8>, FrameError> {
        if payload.len() != self.payload_len as usize {
            return Err(FrameError::Short {
                needed: self.payload_len as usize,
                available: payload.len(),
            });
        }
        if crc32fast::hash(payload) != self.payload_crc {
            return Err(FrameError::PayloadChecksum);
        }
        if self.flags & FLAG_ZSTD == 0 {
            return Ok(payload.to_vec());
        }
        let raw = match decompressor {
            Some(d) => d.decompress(payload, self.raw_len as usize),
            None => zstd::bulk::decompress(payload, self.raw_len as usize),
        }
        .map_err(|e| FrameError::Decompress(e.to_string()))?;
        if raw.len() != self.raw_len as usize {
            return Err(FrameError::Decompress(format!(
                "{} bytes instead of {}",
                raw.len(),
                self.raw_len
            )));
        }
        Ok(raw)
    }
}

/// Iterates the records `(seq, bytes)` of a decompressed payload.
pub fn records(raw: &[u8]) -> Records<'_> {
    Records { raw, pos: 0 }
}

/// Iterator over the records of a decompressed payload; see [`records`].
pub struct Records<'a> {
    raw: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<(u64, &'a [u8]), FrameError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.raw.len() {
            return None;
        }
        let rest = &self.raw[self.pos..];
        if rest.len() < RECORD_HEADER_LEN {
            let at = self.pos;
            self.pos = self.raw.len();
            return Some(Err(FrameError::Records(at)));
        }
        let seq = u64_at(rest, 0);
        let len = u32_at(rest, 8) as usize;
        if rest.len() - RECORD_HEADER_LEN < len {
            let at = self.pos;
            self.pos = self.raw.len();
            return Some(Err(FrameError::Records(at)));
        }
        self.pos += RECORD_HEADER_LEN + len;
        Some(Ok((seq, &rest[RECORD_HEADER_LEN..RECORD_HEADER_LEN + len])))
    }
}

/// A record's position inside a decompressed payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordSpan {
    /// The sequence number stored with the record.
    pub seq: u64,
    /// Byte offset of the record's data in the raw payload.
    pub start: u32,
    /// Length of the record's data.
    pub len: u32,
}

/// Splits a decompressed payload into record spans (without checking sequence numbers).
pub fn record_spans(raw: &[u8]) -> Result<Vec<RecordSpan>, FrameError> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while pos < raw.len() {
        let rest = &raw[pos..];
        if rest.len() < RECORD_HEADER_LEN {
            return Err(FrameError::Records(pos));
        }
        let seq = u64_at(rest, 0);
        let len = u32_at(rest, 8) as usize;
        if rest.len() - RECORD_HEADER_LEN < len {
            return Err(FrameError::Records(pos));
        }
        out.push(RecordSpan {
            seq,
            start: (pos + RECORD_HEADER_LEN) as u32,
            len: len as u32,
        });
        pos += RECORD_HEADER_LEN + len;
    }
    Ok(out)
}

/// The `event.id` of a canonical JSON event (`{"event":{"id":..}}`, or a flat `"event.id"`
/// key), if it has one that fits in a frame header.
pub fn event_id(bytes: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let id = value
        .get("event")
        .and_then(|e| e.get("id"))
        .or_else(|| value.get("event.id"))?;
    let id = match id {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!id.is_empty() && id.len() <= MAX_EVENT_ID_LEN).then_some(id)
}

/// Builds frames; keeps its compression context and buffers between calls.
pub struct FrameEncoder {
    compressor: zstd::bulk::Compressor<'static>,
    raw: Vec<u8>,
}

impl FrameEncoder {
    /// A new encoder at [`COMPRESSION_LEVEL`].
    pub fn new() -> io::Result<FrameEncoder> {
        Ok(FrameEncoder {
            compressor: zstd::bulk::Compressor::new(COMPRESSION_LEVEL)?,
            raw: Vec::new(),
        })
    }

    /// Encodes records with consecutive sequence numbers from `first_seq` into one frame.
    pub fn encode(
        &mut self,
        first_seq: u64,
        events: &[&[u8]],
    ) -> Result<(FrameHeader, Vec<u8>), FrameError> {
        let header_seq = first_seq;
        self.encode_records(
            header_seq,
            events
                .iter()
                .enumerate()
                .map(|(i, e)| (first_seq + i as u64, *e)),
        )
    }

    /// Encodes arbitrary `(seq, bytes)` records into one frame whose header names
    /// `header_first_seq` (for tools and tests that need to write unusual frames).
    pub fn encode_records<'a>(
        &mut self,
        header_first_seq: u64,
        records: impl IntoIterator<Item = (u64, &'a [u8])>,
    ) -> Result<(FrameHeader, Vec<u8>), FrameError> {
        self.raw.clear();
        let mut count: u64 = 0;
        let mut first_id = None;
        for (seq, data) in records {
            if data.len() > u32::MAX as usize
                || self.raw.len() + RECORD_HEADER_LEN + data.len() > MAX_RAW_LEN
            {
                return Err(FrameError::Invalid(format!(
                    "a frame holds at most {MAX_RAW_LEN} bytes of records"
                )));
            }
            if count == 0 {
                first_id = event_id(data);
            }
            self.raw.extend_from_slice(&seq.to_le_bytes());
            self.raw
                .extend_from_slice(&(data.len() as u32).to_le_bytes());
            self.raw.extend_from_slice(data);
            count += 1;
        }
        if count == 0 {
            return Err(FrameError::Invalid("frame holds no records".into()));
        }
        let count = u32::try_from(count)
            .map_err(|_| FrameError::Invalid("too many records in one frame".into()))?;
        let payload = self
            .compressor
            .compress(&self.raw)
            .map_err(|e| FrameError::Invalid(format!("compression failed: {e}")))?;
        let payload_len = u32::try_from(payload.len())
            .map_err(|_| FrameError::Invalid("compressed payload too large".into()))?;
        let header = FrameHeader {
            first_seq: header_first_seq,
            count,
            payload_len,
            raw_len: self.raw.len() as u32,
            payload_crc: crc32fast::hash(&payload),
            flags: FLAG_ZSTD,
            first_event_id: first_id,
        };
        let mut frame = header.encode();
        frame.extend_from_slice(&payload);
        Ok((header, frame))
    }
}

/// Encodes one frame of records with consecutive sequence numbers (see [`FrameEncoder`]).
pub fn encode_frame(first_seq: u64, events: &[&[u8]]) -> Result<Vec<u8>, FrameError> {
    let mut enc = FrameEncoder::new().map_err(|e| FrameError::Invalid(e.to_string()))?;
    Ok(enc.encode(first_seq, events)?.1)
}

/// Encodes one frame of arbitrary `(seq, bytes)` records (see [`FrameEncoder::encode_records`]).
pub fn encode_frame_records(
    header_first_seq: u64,
    records: &[(u64, &[u8])],
) -> Result<Vec<u8>, FrameError> {
    let mut enc = FrameEncoder::new().map_err(|e| FrameError::Invalid(e.to_string()))?;
    Ok(enc
        .encode_records(header_first_seq, records.iter().copied())?
        .1)
}

/// Searches `b` (starting after its first byte) for the start of a frame whose header
/// parses and checks out; returns its offset in `b`.
pub fn find_frame_start(b: &[u8]) -> Option<usize> {
    let mut from = 1usize;
    while from + FRAME_MAGIC.len() <= b.len() {
        let pos = b[from..].windows(4).position(|w| w == FRAME_MAGIC)? + from;
        if FrameHeader::parse(&b[pos..]).is_ok() {
            return Some(pos);
        }
        from = pos + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_header_round_trip() {
        let h = encode_segment_header(42);
        assert_eq!(parse_segment_header(&h), Ok(42));
        let mut bad = h;
        bad[13] ^= 1;
        assert_eq!(parse_segment_header(&bad), Err(FrameError::HeaderChecksum));
        assert!(parse_segment_header(&h[..10]).unwrap_err().is_short());
    }

    #[test]
    fn frame_round_trip() {
        let events: Vec<Vec<u8>> = (0..10)
            .map(|i| format!("{{\"event\":{{\"id\":\"id-{i}\"}},\"n\":{i}}}").into_bytes())
            .collect();
        let refs: Vec<&[u8]> = events.iter().map(Vec::as_slice).collect();
        let frame = encode_frame(100, &refs).unwrap();
        let h = FrameHeader::parse(&frame).unwrap();
        assert_eq!(h.first_seq, 100);
        assert_eq!(h.count, 10);
        assert_eq!(h.first_event_id.as_deref(), Some("id-0"));
        assert_eq!(h.frame_len(), frame.len() as u64);
        let raw = h.decode_payload(&frame[h.header_len()..]).unwrap();
        let recs: Vec<_> = records(&raw).collect::<Result<_, _>>().unwrap();
        assert_eq!(recs.len(), 10);
        for (i, (seq, data)) in recs.iter().enumerate() {
            assert_eq!(*seq, 100 + i as u64);
            assert_eq!(*data, &events[i][..]);
        }
        let spans = record_spans(&raw).unwrap();
        assert_eq!(spans.len(), 10);
        // Any single flipped byte is caught by one of the checksums.
        for i in 0..frame.len() {
            let mut bad = frame.clone();
            bad[i] ^= 0x40;
            let ok = FrameHeader::parse(&bad)
                .and_then(|h| h.decode_payload(&bad[h.header_len()..h.frame_len() as usize]))
                .is_ok();
            assert!(!ok, "flip at {i} went unnoticed");
        }
    }

    #[test]
    fn event_ids() {
        assert_eq!(
            event_id(br#"{"event":{"id":"abc"}}"#).as_deref(),
            Some("abc")
        );
        assert_eq!(event_id(br#"{"event.id":"flat"}"#).as_deref(), Some("flat"));
        assert_eq!(event_id(br#"{"event":{"id":7}}"#).as_deref(), Some("7"));
        assert_eq!(event_id(b"not json"), None);
        assert_eq!(event_id(br#"{"event":"x"}"#), None);
    }

    #[test]
    fn resync_finds_next_frame() {
        let a = encode_frame(0, &[b"a"]).unwrap();
        let b = encode_frame(1, &[b"b"]).unwrap();
        let mut buf = vec![0u8; 7];
        buf.extend_from_slice(&a[..5]);
        let at = buf.len();
        buf.extend_from_slice(&b);
        assert_eq!(find_frame_start(&buf), Some(at));
        assert_eq!(find_frame_start(&a[..20]), None);
    }
}
