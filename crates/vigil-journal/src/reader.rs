//! Reading records back: [`JournalReader`] (random access by sequence number, batched
//! lookups, ordered scans). A reader made by [`crate::Journal::reader`] shares the writer's
//! in-memory batch index and sees every append made before a call; one made by
//! [`JournalReader::open`] (another process, e.g. a CLI search while the server runs) builds
//! its own index from frame headers, never modifies anything, and can pick up later appends
//! with [`JournalReader::refresh`].

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use crate::frame::{parse_segment_header, SEGMENT_HEADER_LEN};
use crate::store::{
    self, load_frame, read_at, walk_frames, DecodedFrame, FrameLoc, Index, SegmentEntry, Stop,
};
use crate::JournalError;

/// Decoded frames kept for repeated random access.
const CACHE_FRAMES: usize = 4;

/// A cheap, cloneable, thread-safe handle for reading records.
#[derive(Clone)]
pub struct JournalReader {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    index: Arc<RwLock<Index>>,
    cache: Mutex<VecDeque<Arc<DecodedFrame>>>,
    /// Whether the index belongs to a live writer in this process (it then keeps it current).
    live: bool,
}

impl std::fmt::Debug for JournalReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JournalReader")
            .field("dir", &self.inner.dir)
            .field("len", &self.len())
            .field("live", &self.inner.live)
            .finish()
    }
}

impl JournalReader {
    pub(crate) fn shared(dir: &Path, index: Arc<RwLock<Index>>) -> JournalReader {
        JournalReader {
            inner: Arc::new(Inner {
                dir: dir.to_path_buf(),
                index,
                cache: Mutex::new(VecDeque::new()),
                live: true,
            }),
        }
    }

    /// Opens a journal read-only. It may be written by another process at the same time: a
    /// frame still being written (or a torn tail) is left out until a later
    /// [`refresh`](Self::refresh) finds it whole.
    pub fn open(dir: &Path) -> Result<JournalReader, JournalError> {
        if !dir.is_dir() {
            return Err(JournalError::NotFound(dir.to_path_buf()));
        }
        let mut index = Index::default();
        extend_read_only(dir, &mut index)?;
        Ok(JournalReader {
            inner: Arc::new(Inner {
                dir: dir.to_path_buf(),
                index: Arc::new(RwLock::new(index)),
                cache: Mutex::new(VecDeque::new()),
                live: false,
            }),
        })
    }

    /// Picks up records appended since this reader was opened (by another process); returns
    /// the new length. A reader that shares a writer's index is always current.
    pub fn refresh(&self) -> Result<u64, JournalError> {
        if !self.inner.live {
            let mut index = self.inner.index.write();
            extend_read_only(&self.inner.dir, &mut index)?;
        }
        Ok(self.len())
    }

    /// The journal directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Number of records.
    pub fn len(&self) -> u64 {
        self.inner.index.read().len
    }

    /// Whether the journal holds no records.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn decode(&self, seq: u64, use_cache: bool) -> Result<Arc<DecodedFrame>, JournalError> {
        let (loc, file, path) = self.inner.index.read().locate(seq)?;
        if use_cache {
            let cache = self.inner.cache.lock();
            if let Some(f) = cache.iter().find(|f| f.first_seq == loc.first_seq) {
                return Ok(f.clone());
            }
        }
        let frame = Arc::new(load_frame(&file, &path, &loc)?);
        if use_cache {
            let mut cache = self.inner.cache.lock();
            if cache.len() >= CACHE_FRAMES {
                cache.pop_back();
            }
            cache.push_front(frame.clone());
        }
        Ok(frame)
    }

    fn record_of(frame: &DecodedFrame, seq: u64) -> Result<Vec<u8>, JournalError> {
        frame
            .record(seq)
            .map(<[u8]>::to_vec)
            .ok_or(JournalError::OutOfRange {
                seq,
                len: frame.end_seq(),
            })
    }

    /// The record with sequence number `seq`.
    pub fn get(&self, seq: u64) -> Result<Vec<u8>, JournalError> {
        let frame = self.decode(seq, true)?;
        Self::record_of(&frame, seq)
    }

    /// The records with the given sequence numbers, in the same order; each frame involved is
    /// decompressed once.
    pub fn get_many(&self, seqs: &[u64]) -> Result<Vec<Vec<u8>>, JournalError> {
        let mut frames: HashMap<u64, Arc<DecodedFrame>> = HashMap::new();
        let mut out = Vec::with_capacity(seqs.len());
        for &seq in seqs {
            let first = {
                let index = self.inner.index.read();
                let i = index.find(seq).ok_or(JournalError::OutOfRange {
                    seq,
                    len: index.len,
                })?;
                index.frames[i].first_seq
            };
            let frame = match frames.get(&first) {
                Some(f) => f.clone(),
                None => {
                    let f = self.decode(seq, false)?;
                    frames.insert(first, f.clone());
                    f
                }
            };
            out.push(Self::record_of(&frame, seq)?);
        }
        Ok(out)
    }

    /// Every record from `from` to the end of the journal as of this call, in order. After an
    /// error the iterator ends.
    pub fn scan(&self, from: u64) -> Scan {
        Scan {
            reader: self.clone(),
            next: from,
            end: self.len(),
            frame: None,
            done: false,
        }
    }
}

/// Iterator returned by [`JournalReader::scan`].
pub struct Scan {
    reader: JournalReader,
    next: u64,
    end: u64,
    frame: Option<Arc<DecodedFrame>>,
    done: bool,
}

impl Iterator for Scan {
    type Item = Result<(u64, Vec<u8>), JournalError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.next >= self.end {
            return None;
        }
        let seq = self.next;
        let covered = self
            .frame
            .as_ref()
            .is_some_and(|f| f.first_seq <= seq && seq < f.end_seq());
        if !covered {
            match self.reader.decode(seq, false) {
                Ok(f) => self.frame = Some(f),
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        let frame = self.frame.as_ref()?;
        match JournalReader::record_of(frame, seq) {
            Ok(bytes) => {
                self.next += 1;
                Some(Ok((seq, bytes)))
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.done {
            return (0, Some(0));
        }
        let n = usize::try_from(self.end.saturating_sub(self.next)).unwrap_or(usize::MAX);
        (0, Some(n))
    }
}

/// Extends a read-only index with whatever whole frames were appended since it was built.
fn extend_read_only(dir: &Path, index: &mut Index) -> Result<(), JournalError> {
    let listed = store::list_segments(dir)?;
    // Resume in the last known segment, then go on with the segment starting where the
    // index ends.
    let mut current = index.segments.len().checked_sub(1);
    loop {
        let i = match current {
            Some(i) => i,
            None => {
                let Some((first, path)) = listed.iter().find(|(f, _)| *f == index.len) else {
                    break;
                };
                if index.segments.iter().any(|s| s.first_seq == *first) {
                    break;
                }
                let file = store::open_file(path, false)?;
                let mut head = [0u8; SEGMENT_HEADER_LEN];
                let got = read_at(&file, &mut head, 0).map_err(JournalError::io("read", path))?;
                match parse_segment_header(&head[..got]) {
                    Ok(seq) if seq == *first => {}
                    Ok(_) => {
                        return Err(JournalError::corrupt(
                            path,
                            0,
                            "segment header does not match its file name",
                        ))
                    }
                    // Being created right now, or torn: nothing readable yet.
                    Err(e) if e.is_short() => break,
                    Err(e) => return Err(JournalError::corrupt(path, 0, e.to_string())),
                }
                index.segments.push(SegmentEntry {
                    first_seq: *first,
                    path: path.clone(),
                    file: Arc::new(file),
                });
                index.segments.len() - 1
            }
        };
        let (first, file, path) = {
            let e = &index.segments[i];
            (e.first_seq, e.file.clone(), e.path.clone())
        };
        let from = index
            .frames
            .last()
            .filter(|f| f.seg as usize == i)
            .map_or(SEGMENT_HEADER_LEN as u64, FrameLoc::end_offset);
        let len = store::file_len(&file, &path)?;
        let walk = walk_frames(&file, i as u32, len, from, index.len)
            .map_err(JournalError::io("read", &path))?;
        let newest = !listed.iter().any(|(f, _)| *f > first);
        if let Some(stop) = &walk.stop {
            if !newest || matches!(stop, Stop::Sequence { .. }) {
                return Err(JournalError::corrupt(&path, stop.offset(), stop.describe()));
            }
        }
        let mut frames = walk.frames;
        if newest {
            // The newest frame may still be in the middle of being written: only take it
            // once its payload checks out.
            if let Some(last) = frames.last().copied() {
                if load_frame(&file, &path, &last).is_err() {
                    frames.pop();
                }
            }
        }
        let whole_segment =
            walk.stop.is_none() && frames.last().map_or(from, FrameLoc::end_offset) == len;
        if let Some(last) = frames.last() {
            index.len = last.end_seq();
        }
        index.frames.extend(frames);
        if !whole_segment || newest {
            break;
        }
        current = None;
    }
    Ok(())
}

#[allow(dead_code)]
fn assert_send_sync() {
    fn check<T: Send + Sync>() {}
    check::<JournalReader>();
    check::<Scan>();
}
