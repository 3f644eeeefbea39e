//! The single writer: opening (with crash recovery of a torn tail and a fast restart from
//! the persisted Merkle frontier), appending batches durably as frames, rolling segments,
//! and signing checkpoints.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use parking_lot::RwLock;

use crate::checkpoint::{
    self, log_entry, parse_log, Checkpoint, LogItem, LogReader, LogTail, NoteSigner, NoteVerifier,
    CHECKPOINT_FILE, LOG_FILE,
};
use crate::frame::{encode_segment_header, parse_segment_header, FrameEncoder, SEGMENT_HEADER_LEN};
use crate::merkle::{leaf_hash, CompactTree, Hash};
use crate::state::{self, State};
use crate::store::{
    self, file_len, load_frame, read_at, sync_dir, walk_frames, write_all_at, FrameLoc, Index,
    SegmentEntry, Stop, SEGMENTS_DIR,
};
use crate::{JournalError, JournalReader};

/// Options of [`Journal::open`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalOptions {
    /// A segment is closed and a new one started once a frame would take it past this size
    /// (a single larger frame still gets a segment of its own). Default 256 MiB.
    pub segment_max_bytes: u64,
    /// Whether [`Journal::append`] fsyncs before returning. Default true. Without it, data
    /// is still made durable before each checkpoint signs it.
    pub fsync: bool,
    /// The checkpoint origin line (and the key name when the key is generated). Default
    /// `vigil.local/journal`.
    pub origin: String,
}

impl Default for JournalOptions {
    fn default() -> Self {
        JournalOptions {
            segment_max_bytes: 256 << 20,
            fsync: true,
            origin: "vigil.local/journal".to_string(),
        }
    }
}

/// Smallest accepted `segment_max_bytes`.
const MIN_SEGMENT_BYTES: u64 = 1024;

/// The journal's single writer. See the crate documentation for the layout on disk.
pub struct Journal {
    dir: PathBuf,
    opts: JournalOptions,
    index: Arc<RwLock<Index>>,
    tree: CompactTree,
    signer: NoteSigner,
    last_cp: Option<Checkpoint>,
    cp_log: File,
    cp_log_path: PathBuf,
    cp_log_len: u64,
    /// End of the data in the newest segment.
    tail_end: u64,
    /// A failed append could not be cut back: retry before writing again.
    tail_dirty: bool,
    /// Data appended without fsync since the last checkpoint.
    unsynced: bool,
    recovered: u64,
    encoder: FrameEncoder,
    #[cfg(test)]
    pub(crate) fault: Option<Fault>,
}

/// An injected I/O failure (tests only).
#[cfg(test)]
#[derive(Debug, Clone, Copy)]
pub(crate) enum Fault {
    /// Write this many bytes of the next frame, then fail.
    WriteAfter(usize),
    /// Write the next frame, then fail its fsync.
    Sync,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("dir", &self.dir)
            .field("len", &self.len())
            .field("checkpoint", &self.last_cp.as_ref().map(|c| c.size))
            .finish_non_exhaustive()
    }
}

/// What open() must cut from the end of the newest segment.
enum Cut {
    /// Remove the newest segment file entirely (its header is torn).
    Segment { path: PathBuf, len: u64 },
    /// Truncate the newest segment to `to` bytes.
    Truncate { to: u64, len: u64 },
}

impl Journal {
    /// Opens (creating if needed) the journal in `dir`.
    ///
    /// On first open generates an Ed25519 key: the private key at `dir/keys/checkpoint.key`
    /// (mode 0600) and the public key at `dir/keys/checkpoint.pub` as a C2SP note verifier
    /// key line. Detects a torn tail (a partial or bad-checksum last frame after a crash) and
    /// truncates the segment back to the last whole frame (see [`recovered_bytes`](Self::recovered_bytes)).
    /// Refuses (without modifying anything) a journal whose data is damaged elsewhere, or
    /// shorter than, or inconsistent with, its latest signed checkpoint.
    pub fn open(dir: &Path, opts: JournalOptions) -> Result<Journal, JournalError> {
        if opts.origin.is_empty() || opts.origin.contains('\n') || opts.origin.trim() != opts.origin
        {
            return Err(JournalError::InvalidOptions(format!(
                "invalid origin {:?}",
                opts.origin
            )));
        }
        if opts.segment_max_bytes < MIN_SEGMENT_BYTES {
            return Err(JournalError::InvalidOptions(format!(
                "segment_max_bytes must be at least {MIN_SEGMENT_BYTES}"
            )));
        }
        let seg_dir = dir.join(SEGMENTS_DIR);
        std::fs::create_dir_all(&seg_dir).map_err(JournalError::io("create", &seg_dir))?;
        let signer = checkpoint::load_or_create_signer(dir, &opts.origin)?;
        let verifier = signer.verifier();
        let mut recovered = 0u64;
        let saved = state::load(dir)?;

        // Checkpoints: find the latest, cutting a torn entry off the end of the log.
        let cp_log_path = dir.join(LOG_FILE);
        let cp_log = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&cp_log_path)
            .map_err(JournalError::io("open", &cp_log_path))?;
        let (last_cp, last_cp_offset, cp_log_len, log_cut) = load_latest_checkpoint(
            &cp_log,
            &cp_log_path,
            saved.as_ref().and_then(|s| s.cp_offset),
            &verifier,
        )?;
        check_latest_file(dir, last_cp.as_ref(), &verifier)?;

        // Segments: index every frame header; find a torn tail in the newest segment.
        let mut index = Index::default();
        let mut cut: Option<Cut> = None;
        let listed = store::list_segments(dir)?;
        for (i, (first, path)) in listed.iter().enumerate() {
            let newest = i + 1 == listed.len();
            let file = store::open_file(path, true)?;
            let len = file_len(&file, path)?;
            let mut head = [0u8; SEGMENT_HEADER_LEN];
            let got = read_at(&file, &mut head, 0).map_err(JournalError::io("read", path))?;
            match parse_segment_header(&head[..got]) {
                Ok(seq) if seq == *first && seq == index.len => {}
                Ok(seq) => {
                    return Err(JournalError::corrupt(
                        path,
                        0,
                        format!("segment starts at record {seq}, expected {}", index.len),
                    ))
                }
                Err(e) => {
                    let torn = newest
                        && !store::valid_frame_after(&file, 0, len)
                            .map_err(JournalError::io("read", path))?;
                    if !torn {
                        return Err(JournalError::corrupt(path, 0, e.to_string()));
                    }
                    cut = Some(Cut::Segment {
                        path: path.clone(),
                        len,
                    });
                    break;
                }
            }
            let seg = index.segments.len() as u32;
            let walk = walk_frames(&file, seg, len, SEGMENT_HEADER_LEN as u64, index.len)
                .map_err(JournalError::io("read", path))?;
            if let Some(stop) = &walk.stop {
                let torn = newest
                    && !matches!(stop, Stop::Sequence { .. })
                    && !store::valid_frame_after(&file, stop.offset(), len)
                        .map_err(JournalError::io("read", path))?;
                if !torn {
                    return Err(JournalError::corrupt(path, stop.offset(), stop.describe()));
                }
                cut = Some(Cut::Truncate { to: walk.end, len });
            }
            index.len = walk.next_seq;
            index.frames.extend(walk.frames);
            index.segments.push(SegmentEntry {
                first_seq: *first,
                path: path.clone(),
                file: Arc::new(file),
            });
        }

        // The Merkle tree: resume from the saved frontier when it is usable, else rehash all.
        let cp_size = last_cp.as_ref().map(|c| c.size);
        let usable = saved.filter(|s| {
            let size = s.tree.size();
            cp_size.is_none_or(|c| size <= c)
                && size <= index.len
                && (size == index.len
                    || index
                        .frames
                        .binary_search_by_key(&size, |f| f.first_seq)
                        .is_ok())
        });
        let resumed_at = usable.as_ref().map(|s| s.tree.size());
        let (tree, torn_frame) = match rehash(&index, usable.map(|s| s.tree), last_cp.as_ref())? {
            Ok(r) => r,
            // The saved frontier disagrees with the checkpoint: distrust it and start over.
            Err(_) => match rehash(&index, None, last_cp.as_ref())? {
                Ok(r) => r,
                Err(size) => return Err(JournalError::RootMismatch { size }),
            },
        };
        if let Some(k) = torn_frame {
            // The newest frame is whole but its payload is damaged, and no checkpoint covers
            // it: a write the crash interrupted. (The frame was never hashed.)
            let loc = index.frames[k];
            let seg = &index.segments[loc.seg as usize];
            if loc.seg as usize + 1 != index.segments.len() {
                return Err(JournalError::corrupt(
                    &seg.path,
                    loc.offset,
                    "damaged frame before a newer segment",
                ));
            }
            let len = file_len(&seg.file, &seg.path)?;
            cut = Some(Cut::Truncate {
                to: loc.offset,
                len,
            });
            index.frames.truncate(k);
            index.len = loc.first_seq;
        }
        if let Some(c) = cp_size {
            if index.len < c {
                return Err(JournalError::BehindCheckpoint {
                    len: index.len,
                    checkpoint_size: c,
                });
            }
        }

        // Everything checks out: apply the cuts.
        if let Some((to, len)) = log_cut {
            cp_log
                .set_len(to)
                .map_err(JournalError::io("truncate", &cp_log_path))?;
            cp_log
                .sync_all()
                .map_err(JournalError::io("sync", &cp_log_path))?;
            recovered += len - to;
        }
        let mut tail_end = match index.segments.last() {
            None => 0,
            Some(_) => index
                .frames
                .last()
                .filter(|f| f.seg as usize + 1 == index.segments.len())
                .map_or(SEGMENT_HEADER_LEN as u64, FrameLoc::end_offset),
        };
        match cut {
            Some(Cut::Segment { path, len }) => {
                std::fs::remove_file(&path).map_err(JournalError::io("remove", &path))?;
                sync_dir(&seg_dir).map_err(JournalError::io("sync", &seg_dir))?;
                recovered += len;
            }
            Some(Cut::Truncate { to, len }) => {
                if let Some(seg) = index.segments.last() {
                    seg.file
                        .set_len(to)
                        .map_err(JournalError::io("truncate", &seg.path))?;
                    seg.file
                        .sync_all()
                        .map_err(JournalError::io("sync", &seg.path))?;
                    recovered += len - to;
                    tail_end = to;
                }
            }
            None => {}
        }
        if let Some(cp) = &last_cp {
            // Keep `dir/checkpoint` equal to the newest entry of the log.
            let path = dir.join(CHECKPOINT_FILE);
            if std::fs::read_to_string(&path).ok().as_deref() != Some(cp.note.as_str()) {
                store::write_atomic(&path, cp.note.as_bytes(), true)
                    .map_err(JournalError::io("write", &path))?;
            }
        }

        if let (Some(cp), Some(offset)) = (&last_cp, last_cp_offset) {
            if cp.size == tree.size() && resumed_at != Some(cp.size) {
                // Save the rehashed frontier so that the next open is fast again.
                state::save(
                    dir,
                    &State {
                        tree: tree.clone(),
                        cp_offset: Some(offset),
                    },
                    true,
                )?;
            }
        }

        Ok(Journal {
            dir: dir.to_path_buf(),
            opts,
            index: Arc::new(RwLock::new(index)),
            tree,
            signer,
            last_cp,
            cp_log,
            cp_log_path,
            cp_log_len,
            tail_end,
            tail_dirty: false,
            unsynced: false,
            recovered,
            encoder: FrameEncoder::new().map_err(|e| JournalError::Io {
                op: "start compressor for",
                path: dir.to_path_buf(),
                source: e,
            })?,
            #[cfg(test)]
            fault: None,
        })
    }

    /// Bytes cut from the end of the journal by [`open`](Self::open) (torn tail of the newest
    /// segment and of the checkpoint log); 0 after a clean shutdown.
    pub fn recovered_bytes(&self) -> u64 {
        self.recovered
    }

    /// The journal directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Number of records (leaves).
    pub fn len(&self) -> u64 {
        self.tree.size()
    }

    /// Whether the journal holds no records.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// RFC 6962 root of all records (SHA-256 of the empty string for none).
    pub fn root(&self) -> [u8; 32] {
        self.tree.root()
    }

    /// The latest signed checkpoint.
    pub fn latest_checkpoint(&self) -> Option<&Checkpoint> {
        self.last_cp.as_ref()
    }

    /// The checkpoint verifier key line (as exported to `keys/checkpoint.pub`).
    pub fn verifier(&self) -> NoteVerifier {
        self.signer.verifier()
    }

    /// Path of the exported public key.
    pub fn public_key_path(&self) -> PathBuf {
        checkpoint::public_key_path(&self.dir)
    }

    /// A reader sharing this writer's batch index: it sees every append made before a call.
    pub fn reader(&self) -> JournalReader {
        JournalReader::shared(&self.dir, self.index.clone())
    }

    /// Appends one batch as one frame, fsyncs it (if `opts.fsync`) and returns the sequence
    /// number of its first record. An empty batch writes nothing and returns the current
    /// length. On an I/O error the segment is cut back to its previous length, the error is
    /// returned and the journal stays usable.
    pub fn append(&mut self, events: &[&[u8]]) -> Result<u64, JournalError> {
        let first = self.len();
        if events.is_empty() {
            return Ok(first);
        }
        let (header, frame) = self
            .encoder
            .encode(first, events)
            .map_err(|e| JournalError::BatchTooLarge(e.to_string()))?;
        let leaves: Vec<Hash> = events.iter().map(|e| leaf_hash(e)).collect();
        let (seg, file, path) = self.segment_for(frame.len() as u64)?;
        let offset = self.tail_end;
        if let Err(source) = self.write_frame(&file, &frame, offset) {
            // Cut back to the last whole frame so the segment stays well-formed.
            let cut = file.set_len(offset).and_then(|_| file.sync_data());
            self.tail_dirty = cut.is_err();
            return Err(JournalError::Io {
                op: "append to",
                path,
                source,
            });
        }
        {
            let mut index = self.index.write();
            index.frames.push(FrameLoc::new(&header, seg, offset));
            index.len = header.end_seq();
        }
        self.tail_end = offset + frame.len() as u64;
        if !self.opts.fsync {
            self.unsynced = true;
        }
        for leaf in leaves {
            self.tree.push(leaf);
        }
        Ok(first)
    }

    fn write_frame(&mut self, file: &File, frame: &[u8], offset: u64) -> std::io::Result<()> {
        #[cfg(test)]
        match self.fault.take() {
            Some(Fault::WriteAfter(n)) => {
                write_all_at(file, &frame[..n.min(frame.len())], offset)?;
                return Err(std::io::Error::other("injected write failure"));
            }
            Some(Fault::Sync) => {
                write_all_at(file, frame, offset)?;
                return Err(std::io::Error::other("injected fsync failure"));
            }
            None => {}
        }
        write_all_at(file, frame, offset)?;
        if self.opts.fsync {
            file.sync_data()?;
        }
        Ok(())
    }

    /// The segment the next frame of `frame_len` bytes goes to, rolling to a new one when
    /// the current one is full (or there is none).
    fn segment_for(&mut self, frame_len: u64) -> Result<(u32, Arc<File>, PathBuf), JournalError> {
        let current = {
            let index = self.index.read();
            index.segments.last().map(|s| {
                (
                    index.segments.len() as u32 - 1,
                    s.file.clone(),
                    s.path.clone(),
                )
            })
        };
        if let Some((seg, file, path)) = current {
            if self.tail_dirty {
                file.set_len(self.tail_end)
                    .and_then(|_| file.sync_data())
                    .map_err(JournalError::io("truncate", &path))?;
                self.tail_dirty = false;
            }
            let empty = self.tail_end <= SEGMENT_HEADER_LEN as u64;
            if empty || self.tail_end + frame_len <= self.opts.segment_max_bytes {
                return Ok((seg, file, path));
            }
            if self.unsynced {
                // The closed segment's data must be durable before a checkpoint covers it.
                file.sync_data().map_err(JournalError::io("sync", &path))?;
            }
        }
        let first = self.len();
        let path = store::segment_path(&self.dir, first);
        let file = create_segment(&path, first)?;
        let seg_dir = self.dir.join(SEGMENTS_DIR);
        if let Err(e) = sync_dir(&seg_dir) {
            let _ = std::fs::remove_file(&path);
            return Err(JournalError::io("sync", &seg_dir)(e));
        }
        let file = Arc::new(file);
        let seg = {
            let mut index = self.index.write();
            index.segments.push(SegmentEntry {
                first_seq: first,
                path: path.clone(),
                file: file.clone(),
            });
            index.segments.len() as u32 - 1
        };
        self.tail_end = SEGMENT_HEADER_LEN as u64;
        Ok((seg, file, path))
    }

    /// Signs and appends a checkpoint of the current tree if its size differs from the last
    /// checkpoint's; returns it. (An empty journal gets no checkpoint.) Data appended without
    /// fsync is made durable first.
    pub fn checkpoint(&mut self, now: DateTime<Utc>) -> Result<Option<Checkpoint>, JournalError> {
        let size = self.len();
        if self.last_cp.as_ref().map_or(size == 0, |c| c.size == size) {
            return Ok(None);
        }
        if self.unsynced {
            let index = self.index.read();
            if let Some(seg) = index.segments.last() {
                seg.file
                    .sync_data()
                    .map_err(JournalError::io("sync", &seg.path))?;
            }
            drop(index);
            self.unsynced = false;
        }
        let root = self.tree.root();
        let body = Checkpoint::body(&self.opts.origin, size, &root, now);
        let note = self
            .signer
            .sign(&body)
            .map_err(|e| JournalError::BadCheckpoint(e.to_string()))?;
        let cp = Checkpoint {
            size,
            root,
            time: now,
            note,
        };
        let entry = log_entry(&cp.note);
        let offset = self.cp_log_len;
        let written =
            write_all_at(&self.cp_log, &entry, offset).and_then(|_| self.cp_log.sync_data());
        if let Err(source) = written {
            let _ = self
                .cp_log
                .set_len(offset)
                .and_then(|_| self.cp_log.sync_data());
            return Err(JournalError::Io {
                op: "append to",
                path: self.cp_log_path.clone(),
                source,
            });
        }
        self.cp_log_len += entry.len() as u64;
        self.last_cp = Some(cp.clone());
        let latest = self.dir.join(CHECKPOINT_FILE);
        store::write_atomic(&latest, cp.note.as_bytes(), true)
            .map_err(JournalError::io("write", &latest))?;
        state::save(
            &self.dir,
            &State {
                tree: self.tree.clone(),
                cp_offset: Some(offset),
            },
            true,
        )?;
        Ok(Some(cp))
    }
}

fn create_segment(path: &Path, first_seq: u64) -> Result<File, JournalError> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(JournalError::io("create", path))?;
    let written =
        write_all_at(&file, &encode_segment_header(first_seq), 0).and_then(|_| file.sync_all());
    if let Err(e) = written {
        drop(file);
        let _ = std::fs::remove_file(path);
        return Err(JournalError::io("write", path)(e));
    }
    Ok(file)
}

/// Reads the newest checkpoint from the log (starting at the saved offset when there is one)
/// and checks its signature. Returns it and its offset, the log's valid length, and the torn
/// tail to cut `(valid length, file length)` if any.
#[allow(clippy::type_complexity)]
fn load_latest_checkpoint(
    log: &File,
    path: &Path,
    saved_offset: Option<u64>,
    verifier: &NoteVerifier,
) -> Result<(Option<Checkpoint>, Option<u64>, u64, Option<(u64, u64)>), JournalError> {
    let len = file_len(log, path)?;
    // Streams entries from `from`, keeping only the newest: (newest entry, valid end, tail).
    let scan = |from: u64| -> Result<(Option<(u64, String)>, u64, Option<LogItem>), JournalError> {
        let mut reader = LogReader::open_at(path, from)?;
        let mut newest = None;
        let tail = loop {
            match reader.next_item()? {
                None => break None,
                Some(LogItem::Entry { offset, note }) => newest = Some((offset, note)),
                Some(other) => break Some(other),
            }
        };
        Ok((newest, reader.offset(), tail))
    };
    let start = saved_offset.filter(|&o| o < len).unwrap_or(0);
    let mut scanned = scan(start)?;
    if start > 0 && scanned.0.is_none() {
        // The saved offset does not point at an entry: read the whole log.
        scanned = scan(0)?;
    }
    let (newest, valid_end, tail) = scanned;
    let cut = match tail {
        None => None,
        Some(LogItem::Partial) => Some((valid_end, len)),
        Some(LogItem::Bad { offset, reason }) => {
            // Garbage at the very end is a torn write; a whole entry after it is damage.
            let mut rest = vec![0u8; (len - offset) as usize];
            let got = read_at(log, &mut rest, offset).map_err(JournalError::io("read", path))?;
            rest.truncate(got);
            if let LogTail::Bad {
                later_entry: true, ..
            } = parse_log(&rest, offset).tail
            {
                return Err(JournalError::corrupt(path, offset, reason));
            }
            Some((valid_end, len))
        }
        Some(LogItem::Entry { .. }) => None,
    };
    let contents_last = newest;
    let (latest, offset) = match contents_last.as_ref() {
        None => (None, None),
        Some((offset, note)) => {
            let bad = |e: checkpoint::NoteError| {
                JournalError::BadCheckpoint(format!("{} at byte {offset}: {e}", path.display()))
            };
            verifier.verify(note).map_err(bad)?;
            (Some(Checkpoint::parse(note).map_err(bad)?), Some(*offset))
        }
    };
    Ok((latest, offset, valid_end, cut))
}

/// `dir/checkpoint` may lag the log by one entry after a crash, but never lead it.
fn check_latest_file(
    dir: &Path,
    from_log: Option<&Checkpoint>,
    verifier: &NoteVerifier,
) -> Result<(), JournalError> {
    let path = dir.join(CHECKPOINT_FILE);
    let note = match std::fs::read_to_string(&path) {
        Ok(n) => n,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(JournalError::io("read", &path)(e)),
    };
    if verifier.verify(&note).is_err() {
        // Not ours: it will simply be replaced by the newest entry of the log.
        return Ok(());
    }
    let Ok(file_cp) = Checkpoint::parse(&note) else {
        return Ok(());
    };
    if from_log.is_none_or(|c| c.size < file_cp.size) {
        return Err(JournalError::BadCheckpoint(format!(
            "{} holds a checkpoint of size {} that {} does not have (run `vigil verify`)",
            path.display(),
            file_cp.size,
            LOG_FILE
        )));
    }
    Ok(())
}

/// Rehashes the frames after the saved tree (or all of them) and checks the root at the
/// latest checkpoint's size. Returns the tree and the position of the newest frame when its
/// payload is damaged but not covered by the checkpoint (a torn write), or `Err(size)` when
/// the root at the checkpoint does not match.
#[allow(clippy::type_complexity)]
fn rehash(
    index: &Index,
    saved: Option<CompactTree>,
    cp: Option<&Checkpoint>,
) -> Result<Result<(CompactTree, Option<usize>), u64>, JournalError> {
    let mut tree = saved.unwrap_or_default();
    let start = index.frames.partition_point(|f| f.first_seq < tree.size());
    let check = |tree: &CompactTree| -> bool {
        match cp {
            Some(c) if c.size == tree.size() => c.root == tree.root(),
            _ => true,
        }
    };
    if !check(&tree) {
        return Ok(Err(tree.size()));
    }
    for (k, loc) in index.frames.iter().enumerate().skip(start) {
        let seg = &index.segments[loc.seg as usize];
        let frame = match load_frame(&seg.file, &seg.path, loc) {
            Ok(f) => f,
            Err(e) => {
                let newest = k + 1 == index.frames.len();
                let covered = cp.is_some_and(|c| c.size > loc.first_seq);
                if newest && !covered {
                    return Ok(Ok((tree, Some(k))));
                }
                return Err(e);
            }
        };
        for s in &frame.spans {
            let data = frame
                .raw
                .get(s.start as usize..(s.start + s.len) as usize)
                .unwrap_or_default();
            tree.push(leaf_hash(data));
            if !check(&tree) {
                return Ok(Err(tree.size()));
            }
        }
    }
    Ok(Ok((tree, None)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(i: u64) -> Vec<u8> {
        format!("{{\"event\":{{\"id\":\"e{i}\"}},\"message\":\"hello {i}\"}}").into_bytes()
    }

    fn batch(from: u64, n: u64) -> Vec<Vec<u8>> {
        (from..from + n).map(ev).collect()
    }

    fn refs(v: &[Vec<u8>]) -> Vec<&[u8]> {
        v.iter().map(Vec::as_slice).collect()
    }

    #[test]
    fn failed_write_is_cut_back_and_journal_stays_usable() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::open(dir.path(), JournalOptions::default()).unwrap();
        let b0 = batch(0, 10);
        assert_eq!(j.append(&refs(&b0)).unwrap(), 0);
        let seg = store::segment_path(dir.path(), 0);
        let len_before = std::fs::metadata(&seg).unwrap().len();

        j.fault = Some(Fault::WriteAfter(37));
        let b1 = batch(10, 5);
        assert!(matches!(j.append(&refs(&b1)), Err(JournalError::Io { .. })));
        assert_eq!(std::fs::metadata(&seg).unwrap().len(), len_before);
        assert_eq!(j.len(), 10);

        j.fault = Some(Fault::Sync);
        assert!(j.append(&refs(&b1)).is_err());
        assert_eq!(std::fs::metadata(&seg).unwrap().len(), len_before);
        assert_eq!(j.len(), 10);

        assert_eq!(j.append(&refs(&b1)).unwrap(), 10);
        assert_eq!(j.len(), 15);
        j.checkpoint(Utc::now()).unwrap().unwrap();
        let r = j.reader();
        for i in 0..15 {
            assert_eq!(r.get(i).unwrap(), ev(i));
        }
        let root = j.root();
        drop(j);
        let j = Journal::open(dir.path(), JournalOptions::default()).unwrap();
        assert_eq!(j.recovered_bytes(), 0);
        assert_eq!(j.len(), 15);
        assert_eq!(j.root(), root);
        let report = crate::verify(dir.path(), None, &mut |_| {}).unwrap();
        assert!(report.failure.is_none(), "{:?}", report.failure);
    }

    #[test]
    fn failed_write_into_a_fresh_segment() {
        let dir = tempfile::tempdir().unwrap();
        let opts = JournalOptions {
            segment_max_bytes: 1024,
            ..JournalOptions::default()
        };
        let mut j = Journal::open(dir.path(), opts.clone()).unwrap();
        let big: Vec<Vec<u8>> = (0..40).map(|i| format!("{i:0>40}").into_bytes()).collect();
        // Incompressible-ish records so that every frame is large.
        let noisy: Vec<Vec<u8>> = (0..20u64)
            .map(|i| {
                (0..60u64)
                    .map(|k| (i.wrapping_mul(2654435761).wrapping_add(k * 40503) % 251) as u8)
                    .collect()
            })
            .collect();
        j.append(&refs(&big)).unwrap();
        j.append(&refs(&noisy)).unwrap();
        let segs = store::list_segments(dir.path()).unwrap().len();
        j.fault = Some(Fault::WriteAfter(10));
        assert!(j.append(&refs(&noisy)).is_err());
        j.append(&refs(&noisy)).unwrap();
        assert!(store::list_segments(dir.path()).unwrap().len() >= segs);
        let n = j.len();
        drop(j);
        let j = Journal::open(dir.path(), opts).unwrap();
        assert_eq!(j.len(), n);
        assert_eq!(j.recovered_bytes(), 0);
    }
}
