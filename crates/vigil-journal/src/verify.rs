//! Offline verification of a journal directory: re-reads every frame, recomputes every
//! leaf and the running RFC 6962 tree, compares the root at every signed checkpoint, checks
//! every checkpoint signature, and reports the first sign of tampering.
//!
//! Work is split over three threads: one reads, checks and decompresses frames, the calling
//! thread hashes records and compares roots (and calls `progress`), and one checks
//! checkpoint signatures.
//!
//! Precedence when several problems exist: a checkpoint that is not validly signed by the
//! key (`BadSignature`, first in log order) is reported first, since unauthenticated
//! checkpoints prove nothing; otherwise the first problem in record order.

use std::fs::File;
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::time::{Duration, Instant};

use crate::checkpoint::{
    self, load_verifier, read_up_to, Checkpoint, LogItem, LogReader, NoteError, NoteVerifier,
    CHECKPOINT_FILE, LOG_FILE,
};
use crate::frame::{
    self, parse_segment_header, FrameHeader, RecordSpan, FRAME_FIXED_LEN, SEGMENT_HEADER_LEN,
};
use crate::merkle::{leaf_hash, CompactTree};
use crate::store::{self, read_at, SEGMENTS_DIR};
use crate::JournalError;

/// What kind of tampering was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TamperKind {
    /// Stored bytes changed (checksum failure, or records that no longer hash to a signed root).
    Modified,
    /// A record is absent from where it belongs.
    Missing,
    /// Records are out of order.
    Reordered,
    /// The journal ends before the size of a signed checkpoint.
    Truncated,
    /// A checkpoint is not validly signed by the journal's key (edited, forged, or signed by
    /// another key).
    BadSignature,
    /// The checkpoint files are inconsistent (unparseable, sizes going backwards, the latest
    /// checkpoint missing from the log).
    BadCheckpoint,
}

impl std::fmt::Display for TamperKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TamperKind::Modified => "modified",
            TamperKind::Missing => "missing",
            TamperKind::Reordered => "reordered",
            TamperKind::Truncated => "truncated",
            TamperKind::BadSignature => "bad signature",
            TamperKind::BadCheckpoint => "bad checkpoint",
        })
    }
}

/// The first problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tamper {
    /// For record problems, the sequence number (leaf index) of the first affected record
    /// (for a root mismatch, the start of the range that does not match; for truncation, the
    /// first missing record). For checkpoint problems, the tree size the checkpoint claims
    /// (or the previous checkpoint's size when it cannot be read).
    pub index: u64,
    /// The affected record's `event.id`, when it can be recovered.
    pub event_id: Option<String>,
    pub kind: TamperKind,
    /// Human-readable explanation (files, offsets, ranges).
    pub detail: String,
}

impl std::fmt::Display for Tamper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at index {}", self.kind, self.index)?;
        if let Some(id) = &self.event_id {
            write!(f, " (event id {id})")?;
        }
        write!(f, ": {}", self.detail)
    }
}

/// An incomplete last frame that no checkpoint covers: what a crash mid-append leaves
/// behind. Not tampering; [`crate::Journal::open`] cuts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    /// First record that is not readable.
    pub index: u64,
    pub segment: PathBuf,
    /// Offset of the torn bytes in the segment.
    pub offset: u64,
    /// Number of torn bytes.
    pub bytes: u64,
}

/// The outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Records read and hashed.
    pub records_checked: u64,
    /// Checkpoints whose root was compared and found equal.
    pub checkpoints_checked: u64,
    pub elapsed: Duration,
    /// The first problem, or `None` when the journal is intact.
    pub failure: Option<Tamper>,
    /// A torn tail not covered by any checkpoint (only when there is no failure).
    pub torn_tail: Option<TornTail>,
}

fn tamper(
    index: u64,
    event_id: Option<String>,
    kind: TamperKind,
    detail: impl Into<String>,
) -> Tamper {
    Tamper {
        index,
        event_id,
        kind,
        detail: detail.into(),
    }
}

/// Verifies the journal in `dir` against `public_key` (a verifier key file; default
/// `dir/keys/checkpoint.pub`). `progress` is called with the number of records checked so
/// far. `Err` means the input cannot be used (no journal, no key, unreadable files);
/// tampering is reported in [`VerifyReport::failure`].
pub fn verify(
    dir: &Path,
    public_key: Option<&Path>,
    progress: &mut dyn FnMut(u64),
) -> Result<VerifyReport, JournalError> {
    let started = Instant::now();
    if !dir.is_dir() {
        return Err(JournalError::NotFound(dir.to_path_buf()));
    }
    let log_path = dir.join(LOG_FILE);
    let latest_path = dir.join(CHECKPOINT_FILE);
    if !dir.join(SEGMENTS_DIR).is_dir() && !log_path.exists() && !latest_path.exists() {
        return Err(JournalError::NotFound(dir.to_path_buf()));
    }
    let key_path = public_key.map_or_else(|| checkpoint::public_key_path(dir), Path::to_path_buf);
    let verifier = load_verifier(&key_path)?;
    // Snapshot in write order (the writer appends to the log, then replaces dir/checkpoint,
    // and only signs data it already wrote): the latest checkpoint, the log's length, then
    // the segments. A journal being written meanwhile then never looks truncated.
    let latest_note = match std::fs::read_to_string(&latest_path) {
        Ok(n) => Some(n),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(JournalError::io("read", &latest_path)(e)),
    };
    let log_len = match std::fs::metadata(&log_path) {
        Ok(m) => Some(m.len()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(JournalError::io("stat", &log_path)(e)),
    };
    let segments = store::list_segments(dir)?;

    std::thread::scope(|scope| {
        let sig_thread = scope.spawn(|| check_signatures(&log_path, log_len, &verifier));
        let (tx, rx) = sync_channel::<Msg>(8);
        let segs = &segments;
        let producer = scope.spawn(move || produce(segs, tx));
        let checked = consume(
            rx,
            &log_path,
            log_len,
            latest_note.as_deref(),
            &latest_path,
            &verifier,
            progress,
        );
        // The consumer may stop early; the producer then sees the channel closed.
        let produced = producer.join();
        let signatures = sig_thread.join();
        let signatures = signatures.map_err(|_| thread_failed(dir))??;
        if produced.is_err() {
            return Err(thread_failed(dir));
        }
        let mut outcome = checked?;
        if let Some(bad) = signatures {
            outcome.failure = Some(bad);
            outcome.torn_tail = None;
        }
        Ok(VerifyReport {
            records_checked: outcome.records,
            checkpoints_checked: outcome.checkpoints,
            elapsed: started.elapsed(),
            failure: outcome.failure,
            torn_tail: outcome.torn_tail,
        })
    })
}

fn thread_failed(dir: &Path) -> JournalError {
    JournalError::corrupt(dir, 0, "a verification thread failed")
}

fn signature_tamper(index: u64, what: &str, e: &NoteError) -> Tamper {
    match e {
        NoteError::Malformed(m) => tamper(
            index,
            None,
            TamperKind::BadCheckpoint,
            format!("{what}: {m}"),
        ),
        NoteError::NotSigned(k) => tamper(
            index,
            None,
            TamperKind::BadSignature,
            format!("{what} carries no signature by key {k} (forged, or signed with another key)"),
        ),
        NoteError::BadSignature(k) => tamper(
            index,
            None,
            TamperKind::BadSignature,
            format!("{what}: the signature by key {k} does not match its text (edited or forged)"),
        ),
    }
}

/// Checks the signature of every entry of the log; returns the first failure.
fn check_signatures(
    log_path: &Path,
    log_len: Option<u64>,
    verifier: &NoteVerifier,
) -> Result<Option<Tamper>, JournalError> {
    let mut log = LogReader::open(log_path, log_len)?;
    let mut ordinal = 0u64;
    let mut prev_size = 0u64;
    while let Some(item) = log.next_item()? {
        let LogItem::Entry { offset, note } = item else {
            break;
        };
        ordinal += 1;
        let size = Checkpoint::parse(&note).map_or(prev_size, |c| c.size);
        if let Err(e) = verifier.verify(&note) {
            if let NoteError::Malformed(_) = e {
                // Structure problems are reported by the record-order pass.
                continue;
            }
            let what =
                format!("checkpoint #{ordinal} (size {size}) at byte {offset} of {LOG_FILE}");
            return Ok(Some(signature_tamper(size, &what, &e)));
        }
        prev_size = size;
    }
    Ok(None)
}

// ---------------------------------------------------------------------------------------
// Frame reading (producer thread)

enum Msg {
    Frame {
        first_seq: u64,
        raw: Vec<u8>,
        spans: Vec<RecordSpan>,
    },
    Fail(Tamper),
    Tail(TailInfo),
    Error(JournalError),
    End,
}

struct TailInfo {
    index: u64,
    segment: PathBuf,
    offset: u64,
    bytes: u64,
    /// The damaged frame is complete in length (so a checkpoint covering it means the bytes
    /// were changed, not cut off).
    complete: bool,
    event_id: Option<String>,
    reason: String,
}

fn produce(segments: &[(u64, PathBuf)], tx: SyncSender<Msg>) {
    let msg = match produce_inner(segments, &tx) {
        Ok(Some(m)) => m,
        Ok(None) => Msg::End,
        Err(e) => Msg::Error(e),
    };
    let _ = tx.send(msg);
}

/// Sends every frame; returns the final message (failure or tail), `None` at a clean end, or
/// `Ok(None)` early if the consumer hung up.
fn produce_inner(
    segments: &[(u64, PathBuf)],
    tx: &SyncSender<Msg>,
) -> Result<Option<Msg>, JournalError> {
    let mut expected = 0u64;
    let mut decompressor = zstd::bulk::Decompressor::new().map_err(|e| JournalError::Io {
        op: "start decompressor for",
        path: PathBuf::new(),
        source: e,
    })?;
    let mut payload = Vec::new();
    for (si, (_, path)) in segments.iter().enumerate() {
        let newest = si + 1 == segments.len();
        let file = File::open(path).map_err(JournalError::io("open", path))?;
        let len = store::file_len(&file, path)?;
        let mut r = BufReader::with_capacity(
            2 << 20,
            file.try_clone().map_err(JournalError::io("open", path))?,
        );
        let io_err = JournalError::io;

        // Segment header.
        let mut head = [0u8; SEGMENT_HEADER_LEN];
        let got = read_up_to(&mut r, &mut head).map_err(io_err("read", path))?;
        let seg_first = match parse_segment_header(&head[..got]) {
            Ok(seq) => seq,
            Err(e) => {
                let torn = newest
                    && !store::valid_frame_after(&file, 0, len).map_err(io_err("read", path))?;
                if torn {
                    return Ok(Some(Msg::Tail(TailInfo {
                        index: expected,
                        segment: path.clone(),
                        offset: 0,
                        bytes: len,
                        complete: !e.is_short(),
                        event_id: None,
                        reason: format!("segment header: {e}"),
                    })));
                }
                return Ok(Some(Msg::Fail(tamper(
                    expected,
                    None,
                    TamperKind::Modified,
                    format!("{}: segment header damaged ({e})", path.display()),
                ))));
            }
        };
        if seg_first != expected {
            return Ok(Some(Msg::Fail(sequence_gap(
                segments,
                si,
                SEGMENT_HEADER_LEN as u64,
                expected,
                seg_first,
                &format!("{} starts at record {seg_first}", path.display()),
            )?)));
        }
        let mut offset = SEGMENT_HEADER_LEN as u64;
        let mut header_buf = vec![0u8; frame::MAX_FRAME_HEADER_LEN];
        while offset < len {
            // Frame header: the fixed part, then the event id and checksum.
            let got = read_up_to(&mut r, &mut header_buf[..FRAME_FIXED_LEN])
                .map_err(io_err("read", path))?;
            let mut have = got;
            if got == FRAME_FIXED_LEN && header_buf[..4] == frame::FRAME_MAGIC {
                let rest = header_buf[6] as usize + 4;
                have += read_up_to(
                    &mut r,
                    &mut header_buf[FRAME_FIXED_LEN..FRAME_FIXED_LEN + rest],
                )
                .map_err(io_err("read", path))?;
            }
            let header = match FrameHeader::parse(&header_buf[..have]) {
                Ok(h) => h,
                Err(e) => {
                    let torn = newest
                        && !store::valid_frame_after(&file, offset, len)
                            .map_err(io_err("read", path))?;
                    if torn {
                        return Ok(Some(Msg::Tail(TailInfo {
                            index: expected,
                            segment: path.clone(),
                            offset,
                            bytes: len - offset,
                            complete: !e.is_short()
                                || header_with_other_id_len(&header_bytes(&file, offset, len))
                                    .is_some(),
                            event_id: recover_event_id(&file, offset, len),
                            reason: format!("frame header: {e}"),
                        })));
                    }
                    return Ok(Some(Msg::Fail(tamper(
                        expected,
                        recover_event_id(&file, offset, len),
                        if e.is_short() { TamperKind::Missing } else { TamperKind::Modified },
                        format!(
                            "{} byte {offset}: frame header damaged ({e}); records from {expected} on cannot be read",
                            path.display()
                        ),
                    ))));
                }
            };
            let where_ = format!("{} byte {offset}", path.display());
            if header.first_seq != expected {
                return Ok(Some(Msg::Fail(sequence_gap(
                    segments,
                    si,
                    offset + header.frame_len(),
                    expected,
                    header.first_seq,
                    &format!(
                        "the frame at {where_} starts at record {}",
                        header.first_seq
                    ),
                )?)));
            }
            if offset + header.frame_len() > len {
                if newest {
                    return Ok(Some(Msg::Tail(TailInfo {
                        index: expected,
                        segment: path.clone(),
                        offset,
                        bytes: len - offset,
                        complete: false,
                        event_id: header.first_event_id.clone(),
                        reason: "frame cut off by the end of the file".into(),
                    })));
                }
                return Ok(Some(Msg::Fail(tamper(
                    expected,
                    header.first_event_id.clone(),
                    TamperKind::Missing,
                    format!("{where_}: segment cut off in the middle of a frame (records {expected}.. are gone)"),
                ))));
            }
            payload.resize(header.payload_len as usize, 0);
            let got = read_up_to(&mut r, &mut payload).map_err(io_err("read", path))?;
            payload.truncate(got);
            let decoded = header.decode_payload_with(&payload, Some(&mut decompressor));
            let frame_end = offset + header.frame_len();
            let raw = match decoded {
                Ok(raw) => raw,
                Err(e) => {
                    if newest && frame_end == len && matches!(e, frame::FrameError::PayloadChecksum)
                    {
                        return Ok(Some(Msg::Tail(TailInfo {
                            index: expected,
                            segment: path.clone(),
                            offset,
                            bytes: len - offset,
                            complete: true,
                            event_id: header.first_event_id.clone(),
                            reason: format!("last frame: {e}"),
                        })));
                    }
                    return Ok(Some(Msg::Fail(tamper(
                        expected,
                        header.first_event_id.clone(),
                        TamperKind::Modified,
                        format!(
                            "{where_}: frame of records {expected}..{} is damaged ({e})",
                            header.end_seq()
                        ),
                    ))));
                }
            };
            let spans = match frame::record_spans(&raw) {
                Ok(s) => s,
                Err(e) => {
                    return Ok(Some(Msg::Fail(tamper(
                        expected,
                        header.first_event_id.clone(),
                        TamperKind::Modified,
                        format!("{where_}: {e}"),
                    ))))
                }
            };
            if let Some(t) = check_record_order(&header, &raw, &spans, &where_) {
                return Ok(Some(Msg::Fail(t)));
            }
            expected = header.end_seq();
            offset = frame_end;
            if tx
                .send(Msg::Frame {
                    first_seq: header.first_seq,
                    raw,
                    spans,
                })
                .is_err()
            {
                return Ok(None);
            }
        }
    }
    Ok(None)
}

/// Reads up to a maximal frame header at `offset`.
fn header_bytes(file: &File, offset: u64, len: u64) -> Vec<u8> {
    let mut buf = vec![0u8; frame::MAX_FRAME_HEADER_LEN];
    let want = (len.saturating_sub(offset) as usize).min(buf.len());
    let got = read_at(file, &mut buf[..want], offset).unwrap_or(0);
    buf.truncate(got);
    buf
}

/// The header in `buf` as it checks out with a different event id length byte (a header
/// that looks cut off or damaged because only that byte was edited).
fn header_with_other_id_len(buf: &[u8]) -> Option<FrameHeader> {
    if buf.len() < FRAME_FIXED_LEN + 4 || buf[..4] != frame::FRAME_MAGIC {
        return None;
    }
    (0..=frame::MAX_EVENT_ID_LEN).find_map(|id_len| {
        let total = FRAME_FIXED_LEN + id_len + 4;
        if total > buf.len() || id_len == buf[6] as usize {
            return None;
        }
        let mut fixed = buf[..total].to_vec();
        fixed[6] = id_len as u8;
        FrameHeader::parse(&fixed).ok()
    })
}

/// The first record id of the frame at `offset` when its header is damaged but the payload
/// that follows a plausible header still checks out.
fn recover_event_id(file: &File, offset: u64, len: u64) -> Option<String> {
    let buf = header_bytes(file, offset, len);
    if let Some(h) = header_with_other_id_len(&buf) {
        return h.first_event_id;
    }
    if buf.len() < FRAME_FIXED_LEN {
        return None;
    }
    let stored_id = || {
        // Last resort: the id bytes as stored (the damage is then elsewhere in the header).
        let id_len = buf[6] as usize;
        let id = buf.get(FRAME_FIXED_LEN..FRAME_FIXED_LEN + id_len)?;
        let id = std::str::from_utf8(id).ok()?;
        (!id.is_empty() && id.chars().all(|c| !c.is_control())).then(|| id.to_string())
    };
    payload_event_id(file, &buf, offset, len).or_else(stored_id)
}

/// The first record's event id, trusting the header fields as stored, when the payload they
/// point at checks out.
fn payload_event_id(file: &File, buf: &[u8], offset: u64, len: u64) -> Option<String> {
    let id_len = buf[6] as usize;
    let payload_len = u32::from_le_bytes([buf[8], buf[9], buf[10], buf[11]]) as usize;
    let raw_len = u32::from_le_bytes([buf[12], buf[13], buf[14], buf[15]]) as usize;
    let crc = u32::from_le_bytes([buf[28], buf[29], buf[30], buf[31]]);
    let start = offset + (FRAME_FIXED_LEN + id_len + 4) as u64;
    if raw_len > frame::MAX_RAW_LEN || start + payload_len as u64 > len {
        return None;
    }
    let mut payload = vec![0u8; payload_len];
    if read_at(file, &mut payload, start).ok()? != payload_len || crc32fast::hash(&payload) != crc {
        return None;
    }
    let raw = zstd::bulk::decompress(&payload, raw_len).ok()?;
    let (_, first) = frame::records(&raw).next()?.ok()?;
    frame::event_id(first)
}

/// Checks that a frame's records are numbered consecutively from its first sequence number.
fn check_record_order(
    header: &FrameHeader,
    raw: &[u8],
    spans: &[RecordSpan],
    where_: &str,
) -> Option<Tamper> {
    let id_of =
        |s: &RecordSpan| frame::event_id(raw.get(s.start as usize..(s.start + s.len) as usize)?);
    for (i, span) in spans.iter().enumerate() {
        let want = header.first_seq + i as u64;
        if span.seq == want {
            continue;
        }
        if let Some(found) = spans[i + 1..].iter().find(|s| s.seq == want) {
            return Some(tamper(
                want,
                id_of(found),
                TamperKind::Reordered,
                format!(
                    "{where_}: record {want} is stored after record {} (position {} of the frame holds record {})",
                    span.seq, i, span.seq
                ),
            ));
        }
        return Some(tamper(
            want,
            None,
            TamperKind::Missing,
            format!(
                "{where_}: record {want} is missing (record {} stands in its place{})",
                span.seq,
                id_of(span)
                    .map(|id| format!(", event id {id}"))
                    .unwrap_or_default()
            ),
        ));
    }
    let n = spans.len() as u64;
    let count = u64::from(header.count);
    if n < count {
        return Some(tamper(
            header.first_seq + n,
            None,
            TamperKind::Missing,
            format!(
                "{where_}: the frame announces {count} records from {} but holds {n}",
                header.first_seq
            ),
        ));
    }
    if n > count {
        let extra = &spans[count as usize];
        return Some(tamper(
            header.first_seq + count,
            id_of(extra),
            TamperKind::Modified,
            format!("{where_}: the frame holds {n} records but announces {count}"),
        ));
    }
    None
}

/// A frame or segment starts at `found` where record `expected` belongs: Reordered when a
/// later frame holds `expected`, else Missing.
fn sequence_gap(
    segments: &[(u64, PathBuf)],
    si: usize,
    from: u64,
    expected: u64,
    found: u64,
    what: &str,
) -> Result<Tamper, JournalError> {
    if let Some(id) = later_frame_with(segments, si, from, expected)? {
        return Ok(tamper(
            expected,
            id,
            TamperKind::Reordered,
            format!("{what}, but record {expected} is stored later"),
        ));
    }
    if found < expected {
        return Ok(tamper(
            found,
            None,
            TamperKind::Reordered,
            format!("{what}, again: records before {expected} were already read"),
        ));
    }
    Ok(tamper(
        expected,
        None,
        TamperKind::Missing,
        format!("{what}: records {expected}..{found} are missing"),
    ))
}

/// Walks frame headers from segment `si` at `from` onwards looking for the frame holding
/// `seq`; returns its first event id (when it starts with `seq`).
#[allow(clippy::option_option)]
fn later_frame_with(
    segments: &[(u64, PathBuf)],
    si: usize,
    from: u64,
    seq: u64,
) -> Result<Option<Option<String>>, JournalError> {
    let mut buf = vec![0u8; frame::MAX_FRAME_HEADER_LEN];
    for (k, (_, path)) in segments.iter().enumerate().skip(si) {
        let file = File::open(path).map_err(JournalError::io("open", path))?;
        let len = store::file_len(&file, path)?;
        let mut offset = if k == si {
            from
        } else {
            SEGMENT_HEADER_LEN as u64
        };
        while offset < len {
            let want = ((len - offset) as usize).min(buf.len());
            let got =
                read_at(&file, &mut buf[..want], offset).map_err(JournalError::io("read", path))?;
            let Ok(h) = FrameHeader::parse(&buf[..got]) else {
                break;
            };
            if h.first_seq <= seq && seq < h.end_seq() {
                return Ok(Some(if h.first_seq == seq {
                    h.first_event_id
                } else {
                    None
                }));
            }
            offset += h.frame_len();
        }
    }
    Ok(None)
}

// ---------------------------------------------------------------------------------------
// Hashing and checkpoint comparison (calling thread)

struct Outcome {
    records: u64,
    checkpoints: u64,
    failure: Option<Tamper>,
    torn_tail: Option<TornTail>,
}

/// The checkpoints to compare against, in size order: the log's, plus `dir/checkpoint`
/// when it is not in the log.
struct Checkpoints {
    log: LogReader,
    ordinal: u64,
    /// Size of the last checkpoint taken from the log.
    prev_size: Option<u64>,
    /// The next checkpoint to compare: (description, checkpoint).
    next: Option<(String, Checkpoint)>,
    log_done: bool,
    latest: Option<Checkpoint>,
    latest_in_log: bool,
    latest_pending: bool,
    last_log_size: Option<u64>,
}

impl Checkpoints {
    /// Loads the next log checkpoint into `next`.
    fn advance(&mut self) -> Result<Result<(), Tamper>, JournalError> {
        self.next = None;
        if self.log_done {
            return Ok(Ok(()));
        }
        let item = self.log.next_item()?;
        let index = self.prev_size.unwrap_or(0);
        match item {
            None | Some(LogItem::Partial) => {
                self.log_done = true;
                Ok(Ok(()))
            }
            Some(LogItem::Bad { offset, reason }) => {
                self.log_done = true;
                Ok(Err(tamper(
                    index,
                    None,
                    TamperKind::BadCheckpoint,
                    format!("{LOG_FILE} is damaged at byte {offset}: {reason}"),
                )))
            }
            Some(LogItem::Entry { offset, note }) => {
                self.ordinal += 1;
                let what = format!(
                    "checkpoint #{} at byte {offset} of {LOG_FILE}",
                    self.ordinal
                );
                let cp = match Checkpoint::parse(&note) {
                    Ok(cp) => cp,
                    Err(e) => {
                        return Ok(Err(tamper(
                            index,
                            None,
                            TamperKind::BadCheckpoint,
                            format!("{what} cannot be read: {e}"),
                        )))
                    }
                };
                // Signatures are checked by the signature thread, whose findings come first.
                if let Some(prev) = self.prev_size {
                    if cp.size <= prev {
                        return Ok(Err(tamper(
                            cp.size,
                            None,
                            TamperKind::BadCheckpoint,
                            format!(
                                "{what} has size {} after a checkpoint of size {prev}",
                                cp.size
                            ),
                        )));
                    }
                }
                if self.latest.as_ref().is_some_and(|l| l.note == note) {
                    self.latest_in_log = true;
                    self.latest_pending = false;
                }
                self.prev_size = Some(cp.size);
                self.last_log_size = Some(cp.size);
                self.next = Some((format!("{what} (size {})", cp.size), cp));
                Ok(Ok(()))
            }
        }
    }

    /// The smallest size still to be compared.
    fn next_size(&self) -> u64 {
        let log = self.next.as_ref().map_or(u64::MAX, |(_, c)| c.size);
        let latest = if self.latest_pending {
            self.latest.as_ref().map_or(u64::MAX, |c| c.size)
        } else {
            u64::MAX
        };
        log.min(latest)
    }
}

fn consume(
    rx: Receiver<Msg>,
    log_path: &Path,
    log_len: Option<u64>,
    latest_note: Option<&str>,
    latest_path: &Path,
    verifier: &NoteVerifier,
    progress: &mut dyn FnMut(u64),
) -> Result<Outcome, JournalError> {
    let mut out = Outcome {
        records: 0,
        checkpoints: 0,
        failure: None,
        torn_tail: None,
    };
    // dir/checkpoint: must be validly signed and readable.
    let latest = match latest_note {
        None => None,
        Some(note) => {
            let what = latest_path.display().to_string();
            if let Err(e) = verifier.verify(note) {
                let size = Checkpoint::parse(note).map_or(0, |c| c.size);
                out.failure = Some(signature_tamper(size, &what, &e));
                return Ok(out);
            }
            match Checkpoint::parse(note) {
                Ok(cp) => Some(cp),
                Err(e) => {
                    out.failure = Some(tamper(
                        0,
                        None,
                        TamperKind::BadCheckpoint,
                        format!("{what}: {e}"),
                    ));
                    return Ok(out);
                }
            }
        }
    };
    let mut cps = Checkpoints {
        log: LogReader::open(log_path, log_len)?,
        ordinal: 0,
        prev_size: None,
        next: None,
        log_done: false,
        latest_pending: latest.is_some(),
        latest,
        latest_in_log: false,
        last_log_size: None,
    };
    if let Err(t) = cps.advance()? {
        out.failure = Some(t);
        return Ok(out);
    }
    let mut tree = CompactTree::new();
    let mut next_size = cps.next_size();
    // Compares the tree with every checkpoint of its size; returns a failure.
    let mut last_ok = 0u64;
    let mut compare = |tree: &CompactTree,
                       cps: &mut Checkpoints,
                       out: &mut Outcome|
     -> Result<Option<Tamper>, JournalError> {
        let n = tree.size();
        let root = tree.root();
        while cps.next_size() == n {
            let (what, cp) = match cps.next.as_ref().filter(|(_, c)| c.size == n) {
                Some((what, cp)) => (what.clone(), cp.clone()),
                None => {
                    cps.latest_pending = false;
                    match cps.latest.clone() {
                        Some(cp) => (format!("{} (size {})", latest_path.display(), cp.size), cp),
                        None => break,
                    }
                }
            };
            if cp.root != root {
                return Ok(Some(tamper(
                    last_ok,
                    None,
                    TamperKind::Modified,
                    format!(
                        "records {last_ok}..{n} do not hash to the root signed in {what}: one or more of them \
                         were changed, removed, inserted or reordered"
                    ),
                )));
            }
            out.checkpoints += 1;
            if cps.next.as_ref().is_some_and(|(_, c)| c.size == n) {
                if let Err(t) = cps.advance()? {
                    return Ok(Some(t));
                }
            }
        }
        last_ok = n;
        Ok(None)
    };
    if next_size == 0 {
        if let Some(t) = compare(&tree, &mut cps, &mut out)? {
            out.failure = Some(t);
            return Ok(out);
        }
        next_size = cps.next_size();
    }
    let tail = loop {
        let Ok(msg) = rx.recv() else {
            return Err(JournalError::corrupt(
                log_path,
                0,
                "the frame reader stopped unexpectedly",
            ));
        };
        match msg {
            Msg::Frame {
                first_seq,
                raw,
                spans,
            } => {
                debug_assert_eq!(first_seq, tree.size());
                for s in &spans {
                    let data = raw
                        .get(s.start as usize..(s.start + s.len) as usize)
                        .unwrap_or_default();
                    tree.push(leaf_hash(data));
                    if tree.size() == next_size {
                        if let Some(t) = compare(&tree, &mut cps, &mut out)? {
                            out.records = tree.size();
                            out.failure = Some(t);
                            return Ok(out);
                        }
                        next_size = cps.next_size();
                    }
                }
                out.records = tree.size();
                progress(out.records);
            }
            Msg::Fail(t) => {
                out.failure = Some(t);
                return Ok(out);
            }
            Msg::Error(e) => return Err(e),
            Msg::Tail(t) => break Some(t),
            Msg::End => break None,
        }
    };
    out.records = tree.size();
    progress(out.records);
    // Checkpoints beyond the end of the records.
    let n = tree.size();
    if next_size != u64::MAX {
        debug_assert!(next_size > n);
        let covered = next_size;
        out.failure = Some(match &tail {
            Some(t) if t.complete => tamper(
                t.index,
                t.event_id.clone(),
                TamperKind::Modified,
                format!(
                    "{} byte {}: the last frame is damaged ({}) although a signed checkpoint covers {covered} records",
                    t.segment.display(),
                    t.offset,
                    t.reason
                ),
            ),
            _ => tamper(
                n,
                None,
                TamperKind::Truncated,
                format!(
                    "the journal ends after {n} records but a signed checkpoint covers {covered}{}",
                    tail.as_ref()
                        .map(|t| format!(" ({} torn bytes at byte {} of {})", t.bytes, t.offset, t.segment.display()))
                        .unwrap_or_default()
                ),
            ),
        });
        return Ok(out);
    }
    // The rest of the log must still be readable and signed.
    while !cps.log_done {
        if let Err(t) = cps.advance()? {
            out.failure = Some(t);
            return Ok(out);
        }
    }
    if let Some(latest) = &cps.latest {
        if !cps.latest_in_log {
            let detail = if cps.last_log_size.is_none_or(|s| latest.size > s) {
                format!(
                    "{} holds a checkpoint of size {} that {LOG_FILE} lacks (the log was cut or replaced)",
                    latest_path.display(),
                    latest.size
                )
            } else {
                format!(
                    "{} (size {}) matches no checkpoint in {LOG_FILE}",
                    latest_path.display(),
                    latest.size
                )
            };
            out.failure = Some(tamper(latest.size, None, TamperKind::BadCheckpoint, detail));
            return Ok(out);
        }
    }
    out.torn_tail = tail.map(|t| TornTail {
        index: t.index,
        segment: t.segment,
        offset: t.offset,
        bytes: t.bytes,
    });
    Ok(out)
}
