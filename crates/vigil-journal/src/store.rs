//! Segment files on disk and the in-memory batch index (sequence number → segment and
//! offset of its frame) that the writer and the readers share. Owns positioned file I/O,
//! atomic small-file writes, segment listing, frame-header walks and frame loading.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::frame::{self, FrameError, FrameHeader, RecordSpan, FRAME_MAGIC, MAX_FRAME_HEADER_LEN};
use crate::JournalError;

/// Directory of the segment files, inside the journal directory.
pub(crate) const SEGMENTS_DIR: &str = "segments";
const SEGMENT_EXT: &str = "seg";

/// Reads as many bytes as are available at `offset` (short only at end of file).
pub(crate) fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut done = 0usize;
    while done < buf.len() {
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(file, &mut buf[done..], offset + done as u64);
        #[cfg(windows)]
        let n =
            std::os::windows::fs::FileExt::seek_read(file, &mut buf[done..], offset + done as u64);
        match n {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// Writes all of `buf` at `offset`.
pub(crate) fn write_all_at(file: &File, buf: &[u8], offset: u64) -> io::Result<()> {
    let mut done = 0usize;
    while done < buf.len() {
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::write_at(file, &buf[done..], offset + done as u64);
        #[cfg(windows)]
        let n = std::os::windows::fs::FileExt::seek_write(file, &buf[done..], offset + done as u64);
        match n {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "write returned 0 bytes",
                ))
            }
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Makes a directory's entries (new, renamed or removed files) durable.
pub(crate) fn sync_dir(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(path)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// Replaces a small file atomically (temporary file, fsync, rename, directory fsync).
pub(crate) fn write_atomic(path: &Path, data: &[u8], fsync: bool) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    {
        let f = File::create(&tmp)?;
        write_all_at(&f, data, 0)?;
        if fsync {
            f.sync_all()?;
        }
    }
    std::fs::rename(&tmp, path)?;
    if fsync {
        if let Some(parent) = path.parent() {
            sync_dir(parent)?;
        }
    }
    Ok(())
}

/// Path of the segment whose first record is `first_seq`.
pub(crate) fn segment_path(dir: &Path, first_seq: u64) -> PathBuf {
    dir.join(SEGMENTS_DIR)
        .join(format!("{first_seq:020}.{SEGMENT_EXT}"))
}

/// The segment files of a journal, sorted by first sequence number (empty if there is no
/// segment directory). Other files in the directory are ignored.
pub(crate) fn list_segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>, JournalError> {
    let seg_dir = dir.join(SEGMENTS_DIR);
    let entries = match std::fs::read_dir(&seg_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(JournalError::io("list", &seg_dir)(e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(JournalError::io("list", &seg_dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(stem) = name.strip_suffix(".seg") else {
            continue;
        };
        if stem.len() != 20 || !stem.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(first) = stem.parse::<u64>() else {
            continue;
        };
        out.push((first, entry.path()));
    }
    out.sort();
    Ok(out)
}

/// One open segment file.
#[derive(Debug)]
pub(crate) struct SegmentEntry {
    pub first_seq: u64,
    pub path: PathBuf,
    pub file: Arc<File>,
}

/// Where one frame is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameLoc {
    pub first_seq: u64,
    pub count: u32,
    /// Index into [`Index::segments`].
    pub seg: u32,
    pub offset: u64,
    pub header_len: u32,
    pub payload_len: u32,
}

impl FrameLoc {
    pub fn new(header: &FrameHeader, seg: u32, offset: u64) -> FrameLoc {
        FrameLoc {
            first_seq: header.first_seq,
            count: header.count,
            seg,
            offset,
            header_len: header.header_len() as u32,
            payload_len: header.payload_len,
        }
    }

    pub fn end_seq(&self) -> u64 {
        self.first_seq + u64::from(self.count)
    }

    pub fn frame_len(&self) -> u64 {
        u64::from(self.header_len) + u64::from(self.payload_len)
    }

    pub fn end_offset(&self) -> u64 {
        self.offset + self.frame_len()
    }
}

/// The batch index: every segment and every frame, in sequence order.
#[derive(Debug, Default)]
pub(crate) struct Index {
    pub segments: Vec<SegmentEntry>,
    pub frames: Vec<FrameLoc>,
    /// Number of records.
    pub len: u64,
}

impl Index {
    /// Position in `frames` of the frame holding `seq`.
    pub fn find(&self, seq: u64) -> Option<usize> {
        let i = self
            .frames
            .partition_point(|f| f.first_seq <= seq)
            .checked_sub(1)?;
        (seq < self.frames[i].end_seq()).then_some(i)
    }

    /// The frame holding `seq` and its segment's file and path.
    pub fn locate(&self, seq: u64) -> Result<(FrameLoc, Arc<File>, PathBuf), JournalError> {
        let Some(i) = self.find(seq) else {
            return Err(JournalError::OutOfRange { seq, len: self.len });
        };
        let loc = self.frames[i];
        let seg = self
            .segments
            .get(loc.seg as usize)
            .ok_or(JournalError::OutOfRange { seq, len: self.len })?;
        Ok((loc, seg.file.clone(), seg.path.clone()))
    }
}

/// Why a walk over frame headers stopped before the end of the file.
#[derive(Debug)]
pub(crate) enum Stop {
    /// Bytes at `offset` are not a valid frame header.
    Bad { offset: u64, error: FrameError },
    /// A valid header at `offset` whose frame extends past the end of the file.
    Partial { offset: u64 },
    /// A valid frame at `offset` that does not continue the sequence.
    Sequence {
        offset: u64,
        found: u64,
        expected: u64,
    },
}

impl Stop {
    pub fn offset(&self) -> u64 {
        match self {
            Stop::Bad { offset, .. } | Stop::Partial { offset } | Stop::Sequence { offset, .. } => {
                *offset
            }
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Stop::Bad { error, .. } => format!("invalid frame header: {error}"),
            Stop::Partial { .. } => "frame cut off by the end of the file".to_string(),
            Stop::Sequence {
                found, expected, ..
            } => {
                format!("frame starts at record {found}, expected {expected}")
            }
        }
    }
}

/// The frames found by [`walk_frames`].
#[derive(Debug)]
pub(crate) struct Walk {
    pub frames: Vec<FrameLoc>,
    /// Offset just past the last whole frame.
    pub end: u64,
    /// Sequence number after the last whole frame.
    pub next_seq: u64,
    pub stop: Option<Stop>,
}

/// Walks frame headers from `offset` to `file_len`, reading headers only.
pub(crate) fn walk_frames(
    file: &File,
    seg: u32,
    file_len: u64,
    mut offset: u64,
    mut expected: u64,
) -> io::Result<Walk> {
    let mut frames = Vec::new();
    let mut buf = vec![0u8; MAX_FRAME_HEADER_LEN];
    let stop = loop {
        if offset >= file_len {
            break None;
        }
        let want = (file_len - offset).min(MAX_FRAME_HEADER_LEN as u64) as usize;
        let got = read_at(file, &mut buf[..want], offset)?;
        let header = match FrameHeader::parse(&buf[..got]) {
            Ok(h) => h,
            Err(error) => break Some(Stop::Bad { offset, error }),
        };
        if offset + header.frame_len() > file_len {
            break Some(Stop::Partial { offset });
        }
        if header.first_seq != expected {
            break Some(Stop::Sequence {
                offset,
                found: header.first_seq,
                expected,
            });
        }
        frames.push(FrameLoc::new(&header, seg, offset));
        offset += header.frame_len();
        expected = header.end_seq();
    };
    Ok(Walk {
        frames,
        end: offset,
        next_seq: expected,
        stop,
    })
}

/// Whether a valid frame header starts anywhere in `(from, file_len)`: tells a cut-off tail
/// (nothing valid after the damage) from damage in the middle of a segment.
pub(crate) fn valid_frame_after(file: &File, from: u64, file_len: u64) -> io::Result<bool> {
    const CHUNK: u64 = 4 << 20;
    let mut start = from + 1;
    let mut buf = Vec::new();
    while start < file_len {
        // Candidate positions [start, cand_end); read a header's worth beyond them.
        let cand_end = (start + CHUNK).min(file_len);
        let read_end = (cand_end + MAX_FRAME_HEADER_LEN as u64).min(file_len);
        buf.resize((read_end - start) as usize, 0);
        let got = read_at(file, &mut buf, start)?;
        buf.truncate(got);
        let candidates = ((cand_end - start) as usize).min(got);
        let mut i = 0usize;
        while i < candidates {
            match buf[i..]
                .windows(FRAME_MAGIC.len())
                .position(|w| w == FRAME_MAGIC)
            {
                Some(p) if i + p < candidates => {
                    if FrameHeader::parse(&buf[i + p..]).is_ok() {
                        return Ok(true);
                    }
                    i += p + 1;
                }
                _ => break,
            }
        }
        if got < (read_end - start) as usize {
            break;
        }
        start = cand_end;
    }
    Ok(false)
}

/// A decompressed frame, split into records.
#[derive(Debug)]
pub(crate) struct DecodedFrame {
    pub first_seq: u64,
    pub raw: Vec<u8>,
    pub spans: Vec<RecordSpan>,
}

impl DecodedFrame {
    pub fn record(&self, seq: u64) -> Option<&[u8]> {
        let i = usize::try_from(seq.checked_sub(self.first_seq)?).ok()?;
        let s = self.spans.get(i)?;
        self.raw
            .get(s.start as usize..s.start as usize + s.len as usize)
    }

    pub fn end_seq(&self) -> u64 {
        self.first_seq + self.spans.len() as u64
    }
}

/// Reads, checks and decompresses the frame at `loc`.
pub(crate) fn load_frame(
    file: &File,
    path: &Path,
    loc: &FrameLoc,
) -> Result<DecodedFrame, JournalError> {
    let len = usize::try_from(loc.frame_len())
        .map_err(|_| JournalError::corrupt(path, loc.offset, "frame too large"))?;
    let mut buf = vec![0u8; len];
    let got = read_at(file, &mut buf, loc.offset).map_err(JournalError::io("read", path))?;
    if got != len {
        return Err(JournalError::corrupt(
            path,
            loc.offset,
            "frame cut off by the end of the file",
        ));
    }
    let header = FrameHeader::parse(&buf)
        .map_err(|e| JournalError::corrupt(path, loc.offset, e.to_string()))?;
    if FrameLoc::new(&header, loc.seg, loc.offset) != *loc {
        return Err(JournalError::corrupt(
            path,
            loc.offset,
            "frame header changed on disk",
        ));
    }
    let raw = header
        .decode_payload(&buf[header.header_len()..])
        .map_err(|e| JournalError::corrupt(path, loc.offset, e.to_string()))?;
    let spans = frame::record_spans(&raw)
        .map_err(|e| JournalError::corrupt(path, loc.offset, e.to_string()))?;
    check_spans(&spans, header.first_seq, header.count)
        .map_err(|e| JournalError::corrupt(path, loc.offset, e))?;
    Ok(DecodedFrame {
        first_seq: header.first_seq,
        raw,
        spans,
    })
}

/// Checks that a frame's records are numbered `first_seq..first_seq + count` in order.
pub(crate) fn check_spans(spans: &[RecordSpan], first_seq: u64, count: u32) -> Result<(), String> {
    if spans.len() != count as usize {
        return Err(format!(
            "frame announces {count} records but holds {}",
            spans.len()
        ));
    }
    for (i, s) in spans.iter().enumerate() {
        if s.seq != first_seq + i as u64 {
            return Err(format!(
                "record {} of the frame is numbered {}, expected {}",
                i,
                s.seq,
                first_seq + i as u64
            ));
        }
    }
    Ok(())
}

/// Opens a file for reading, or reading and writing.
pub(crate) fn open_file(path: &Path, write: bool) -> Result<File, JournalError> {
    std::fs::OpenOptions::new()
        .read(true)
        .write(write)
        .open(path)
        .map_err(JournalError::io("open", path))
}

/// Length of an open file.
pub(crate) fn file_len(file: &File, path: &Path) -> Result<u64, JournalError> {
    Ok(file
        .metadata()
        .map_err(JournalError::io("stat", path))?
        .len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{encode_frame, encode_segment_header};

    #[test]
    fn walk_and_resync() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let mut bytes = encode_segment_header(0).to_vec();
        let a = encode_frame(0, &[b"one", b"two"]).unwrap();
        let b = encode_frame(2, &[b"three"]).unwrap();
        bytes.extend_from_slice(&a);
        let b_at = bytes.len() as u64;
        bytes.extend_from_slice(&b);
        std::fs::write(&path, &bytes).unwrap();
        let f = File::open(&path).unwrap();
        let len = bytes.len() as u64;
        let w = walk_frames(&f, 0, len, 24, 0).unwrap();
        assert_eq!(w.frames.len(), 2);
        assert_eq!(w.next_seq, 3);
        assert!(w.stop.is_none());
        let w = walk_frames(&f, 0, len - 1, 24, 0).unwrap();
        assert_eq!(w.frames.len(), 1);
        assert!(matches!(w.stop, Some(Stop::Partial { offset }) if offset == b_at));
        assert!(valid_frame_after(&f, 24, len).unwrap());
        assert!(!valid_frame_after(&f, b_at, len).unwrap());
        let d = load_frame(&f, &path, &w.frames[0]).unwrap();
        assert_eq!(d.record(1), Some(&b"two"[..]));
        assert_eq!(d.record(2), None);
    }
}
