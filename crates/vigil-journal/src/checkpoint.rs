//! Signed checkpoints: the C2SP signed-note and tlog-checkpoint formats, the Ed25519 key
//! files, and the append-only checkpoint log.
//!
//! A checkpoint note is
//!
//! ```text
//! <origin>\n<tree size>\n<base64 root hash>\ntime <RFC 3339 UTC>\n\n— <key name> <base64(key id ‖ signature)>\n
//! ```
//!
//! where the signature is Ed25519 over everything up to and including the blank line's
//! preceding newline, and the key id is the first 4 bytes (big-endian) of
//! SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key).
//!
//! Key files: `keys/checkpoint.key` holds `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 ‖ seed)>`
//! (the Go `note` signer key format, mode 0600); `keys/checkpoint.pub` holds the verifier key
//! `<name>+<hex key id>+<base64(0x01 ‖ public key)>`.
//!
//! `checkpoints.log` entries: `"VJCP"`, note length `u32` LE, note bytes, CRC-32 (over the
//! length and note bytes) `u32` LE. `checkpoint` holds the latest note as plain text.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::merkle::Hash;
use crate::JournalError;

/// Directory of the key files, inside the journal directory.
pub const KEY_DIR: &str = "keys";
/// Private key file name.
pub const PRIVATE_KEY_FILE: &str = "checkpoint.key";
/// Public (verifier) key file name.
pub const PUBLIC_KEY_FILE: &str = "checkpoint.pub";
/// Latest checkpoint file name.
pub const CHECKPOINT_FILE: &str = "checkpoint";
/// Checkpoint log file name.
pub const LOG_FILE: &str = "checkpoints.log";
/// Magic of a checkpoint log entry.
pub const LOG_MAGIC: [u8; 4] = *b"VJCP";
/// Largest accepted note.
pub const MAX_NOTE_LEN: usize = 64 * 1024;

const ALG_ED25519: u8 = 1;
const SIG_PREFIX: &str = "\u{2014} ";

/// A signed-note problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// Not a well-formed note or checkpoint.
    #[error("malformed note: {0}")]
    Malformed(String),
    /// No signature line by the expected key.
    #[error("not signed by key {0}")]
    NotSigned(String),
    /// A signature line by the expected key does not verify.
    #[error("signature by key {0} does not verify")]
    BadSignature(String),
}

/// Whether `name` is usable as a note key name (non-empty, no whitespace, no `+`).
pub fn valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// The C2SP key id: first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key), big-endian.
pub fn key_id(name: &str, public_key: &[u8; 32]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', ALG_ED25519]);
    h.update(public_key);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// An Ed25519 note signer.
#[derive(Clone)]
pub struct NoteSigner {
    name: String,
    key: SigningKey,
    id: u32,
}

impl std::fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoteSigner")
            .field("name", &self.name)
            .field("id", &format_args!("{:08x}", self.id))
            .finish_non_exhaustive()
    }
}

impl NoteSigner {
    /// A signer from a 32-byte Ed25519 seed.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<NoteSigner, NoteError> {
        if !valid_key_name(name) {
            return Err(NoteError::Malformed(format!("invalid key name {name:?}")));
        }
        let key = SigningKey::from_bytes(&seed);
        let id = key_id(name, key.verifying_key().as_bytes());
        Ok(NoteSigner {
            name: name.to_string(),
            key,
            id,
        })
    }

    /// A fresh random key.
    pub fn generate(name: &str) -> Result<NoteSigner, NoteError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|e| NoteError::Malformed(format!("no randomness: {e}")))?;
        NoteSigner::from_seed(name, seed)
    }

    /// Parses `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 ‖ seed)>`.
    pub fn parse(text: &str) -> Result<NoteSigner, NoteError> {
        let bad = |why: &str| NoteError::Malformed(format!("signer key: {why}"));
        let rest = text
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| bad("missing PRIVATE+KEY+ prefix"))?;
        let mut parts = rest.splitn(3, '+');
        let name = parts.next().ok_or_else(|| bad("no name"))?;
        let hash = parts.next().ok_or_else(|| bad("no key id"))?;
        let key = parts.next().ok_or_else(|| bad("no key"))?;
        let key = B64.decode(key).map_err(|_| bad("key is not base64"))?;
        if key.len() != 33 || key[0] != ALG_ED25519 {
            return Err(bad("not an Ed25519 key"));
        }
        let mut seed = [0u8; 32];
        seed.copy_from_slice(&key[1..]);
        let signer = NoteSigner::from_seed(name, seed)?;
        if u32::from_str_radix(hash, 16).ok() != Some(signer.id) || hash.len() != 8 {
            return Err(bad("key id does not match the key"));
        }
        Ok(signer)
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The signer key string (secret!).
    pub fn to_key_string(&self) -> String {
        let mut k = vec![ALG_ED25519];
        k.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.id,
            B64.encode(k)
        )
    }

    /// The matching verifier.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            key: self.key.verifying_key(),
            id: self.id,
        }
    }

    /// Signs a note text (which must end in a newline) and returns the whole signed note.
    pub fn sign(&self, text: &str) -> Result<String, NoteError> {
        if !text.ends_with('\n') {
            return Err(NoteError::Malformed(
                "note text must end with a newline".into(),
            ));
        }
        let sig = self.key.sign(text.as_bytes());
        let mut blob = self.id.to_be_bytes().to_vec();
        blob.extend_from_slice(&sig.to_bytes());
        Ok(format!(
            "{text}\n{SIG_PREFIX}{} {}\n",
            self.name,
            B64.encode(blob)
        ))
    }
}

/// An Ed25519 note verifier key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key: VerifyingKey,
    id: u32,
}

impl NoteVerifier {
    /// Parses a verifier key line `<name>+<hex id>+<base64(0x01 ‖ public key)>`.
    pub fn parse(line: &str) -> Result<NoteVerifier, NoteError> {
        let bad = |why: &str| NoteError::Malformed(format!("verifier key: {why}"));
        let mut parts = line.trim().splitn(3, '+');
        let name = parts.next().ok_or_else(|| bad("no name"))?;
        let hash = parts.next().ok_or_else(|| bad("no key id"))?;
        let key = parts.next().ok_or_else(|| bad("no key"))?;
        if !valid_key_name(name) {
            return Err(bad("invalid name"));
        }
        let key = B64.decode(key).map_err(|_| bad("key is not base64"))?;
        if key.len() != 33 || key[0] != ALG_ED25519 {
            return Err(bad("not an Ed25519 key"));
        }
        let mut pk = [0u8; 32];
        pk.copy_from_slice(&key[1..]);
        let id = key_id(name, &pk);
        if hash.len() != 8 || u32::from_str_radix(hash, 16).ok() != Some(id) {
            return Err(bad("key id does not match the key"));
        }
        let key = VerifyingKey::from_bytes(&pk).map_err(|_| bad("invalid Ed25519 public key"))?;
        Ok(NoteVerifier {
            name: name.to_string(),
            key,
            id,
        })
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The verifier key line.
    pub fn to_key_string(&self) -> String {
        let mut k = vec![ALG_ED25519];
        k.extend_from_slice(self.key.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.id, B64.encode(k))
    }

    fn label(&self) -> String {
        format!("{}+{:08x}", self.name, self.id)
    }

    /// Checks that `note` carries a valid signature by this key; returns the signed text.
    pub fn verify<'a>(&self, note: &'a str) -> Result<&'a str, NoteError> {
        let (text, sigs) = split_note(note)?;
        let mut found = false;
        for line in sigs.split_terminator('\n') {
            let (name, blob) = parse_sig_line(line)?;
            if name != self.name || blob.len() != 68 {
                continue;
            }
            let id = u32::from_be_bytes([blob[0], blob[1], blob[2], blob[3]]);
            if id != self.id {
                continue;
            }
            found = true;
            let mut sig = [0u8; 64];
            sig.copy_from_slice(&blob[4..]);
            if self
                .key
                .verify(text.as_bytes(), &Signature::from_bytes(&sig))
                .is_ok()
            {
                return Ok(text);
            }
        }
        if found {
            Err(NoteError::BadSignature(self.label()))
        } else {
            Err(NoteError::NotSigned(self.label()))
        }
    }
}

/// Splits a signed note into its text (ending in a newline) and its signature lines.
fn split_note(note: &str) -> Result<(&str, &str), NoteError> {
    let split = note
        .rfind("\n\n")
        .ok_or_else(|| NoteError::Malformed("no blank line before the signatures".into()))?;
    let (text, sigs) = (&note[..split + 1], &note[split + 2..]);
    if sigs.is_empty() || !sigs.ends_with('\n') {
        return Err(NoteError::Malformed("no signature lines".into()));
    }
    Ok((text, sigs))
}

fn parse_sig_line(line: &str) -> Result<(&str, Vec<u8>), NoteError> {
    let rest = line.strip_prefix(SIG_PREFIX).ok_or_else(|| {
        NoteError::Malformed("signature line does not start with an em dash".into())
    })?;
    let (name, b64) = rest
        .split_once(' ')
        .ok_or_else(|| NoteError::Malformed("signature line has no signature".into()))?;
    let blob = B64
        .decode(b64)
        .map_err(|_| NoteError::Malformed("signature is not base64".into()))?;
    if blob.len() < 5 {
        return Err(NoteError::Malformed("signature too short".into()));
    }
    Ok((name, blob))
}

/// A signed checkpoint of the journal's Merkle tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Tree size (number of records covered).
    pub size: u64,
    /// RFC 6962 root of the first `size` records.
    pub root: [u8; 32],
    /// When the checkpoint was made.
    pub time: DateTime<Utc>,
    /// The whole signed note text.
    pub note: String,
}

impl Checkpoint {
    /// The note text (before signatures) of a checkpoint.
    pub fn body(origin: &str, size: u64, root: &Hash, time: DateTime<Utc>) -> String {
        format!(
            "{origin}\n{size}\n{}\ntime {}\n",
            B64.encode(root),
            time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
        )
    }

    /// Parses a signed checkpoint note (without checking the signature).
    pub fn parse(note: &str) -> Result<Checkpoint, NoteError> {
        let (text, sigs) = split_note(note)?;
        for line in sigs.split_terminator('\n') {
            parse_sig_line(line)?;
        }
        let bad = |why: &str| NoteError::Malformed(format!("checkpoint: {why}"));
        let mut lines = text.split_terminator('\n');
        let origin = lines.next().ok_or_else(|| bad("no origin"))?;
        if origin.is_empty() {
            return Err(bad("empty origin"));
        }
        let size = lines.next().ok_or_else(|| bad("no size"))?;
        if size.is_empty()
            || !size.bytes().all(|b| b.is_ascii_digit())
            || (size.len() > 1 && size.starts_with('0'))
        {
            return Err(bad("size is not a decimal number"));
        }
        let size: u64 = size.parse().map_err(|_| bad("size out of range"))?;
        let root = B64
            .decode(lines.next().ok_or_else(|| bad("no root hash"))?)
            .map_err(|_| bad("root hash is not base64"))?;
        let root: [u8; 32] = root
            .try_into()
            .map_err(|_| bad("root hash is not 32 bytes"))?;
        let mut time = None;
        for ext in lines {
            if ext.is_empty() {
                return Err(bad("empty extension line"));
            }
            if let Some(t) = ext.strip_prefix("time ") {
                time = Some(
                    DateTime::parse_from_rfc3339(t)
                        .map_err(|_| bad("time is not RFC 3339"))?
                        .with_timezone(&Utc),
                );
            }
        }
        Ok(Checkpoint {
            size,
            root,
            time: time.ok_or_else(|| bad("no time line"))?,
            note: note.to_string(),
        })
    }

    /// The origin line.
    pub fn origin(&self) -> &str {
        self.note.split('\n').next().unwrap_or("")
    }
}

/// Encodes one checkpoint log entry.
pub fn log_entry(note: &str) -> Vec<u8> {
    let mut b = Vec::with_capacity(note.len() + 12);
    b.extend_from_slice(&LOG_MAGIC);
    b.extend_from_slice(&(note.len() as u32).to_le_bytes());
    b.extend_from_slice(note.as_bytes());
    let crc = crc32fast::hash(&b[4..]);
    b.extend_from_slice(&crc.to_le_bytes());
    b
}

/// How a checkpoint log ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LogTail {
    /// At a whole entry.
    Clean,
    /// In a cut-off entry (as after a crash mid-write).
    Partial,
    /// In bytes that are not an entry; `later_entry` says whether a valid entry follows them.
    Bad { reason: String, later_entry: bool },
}

/// The entries of (part of) a checkpoint log.
#[derive(Debug)]
pub(crate) struct LogContents {
    /// `(offset, note)` of every whole entry.
    pub entries: Vec<(u64, String)>,
    pub tail: LogTail,
}

fn parse_entry(b: &[u8]) -> Result<(String, usize), (bool, String)> {
    let m = b.len().min(4);
    if b[..m] != LOG_MAGIC[..m] {
        return Err((false, "bad magic bytes".into()));
    }
    if b.len() < 8 {
        return Err((true, "cut off".into()));
    }
    let len = u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as usize;
    if len > MAX_NOTE_LEN {
        return Err((false, format!("entry length {len} too large")));
    }
    if b.len() < 8 + len + 4 {
        return Err((true, "cut off".into()));
    }
    let crc = u32::from_le_bytes([b[8 + len], b[9 + len], b[10 + len], b[11 + len]]);
    if crc32fast::hash(&b[4..8 + len]) != crc {
        return Err((false, "checksum mismatch".into()));
    }
    let note = std::str::from_utf8(&b[8..8 + len])
        .map_err(|_| (false, "note is not UTF-8".to_string()))?;
    Ok((note.to_string(), 8 + len + 4))
}

/// Parses checkpoint log bytes that start at file offset `base`.
pub(crate) fn parse_log(b: &[u8], base: u64) -> LogContents {
    let mut entries = Vec::new();
    let mut pos = 0usize;
    let tail = loop {
        if pos == b.len() {
            break LogTail::Clean;
        }
        match parse_entry(&b[pos..]) {
            Ok((note, len)) => {
                entries.push((base + pos as u64, note));
                pos += len;
            }
            Err((true, _)) => break LogTail::Partial,
            Err((false, reason)) => {
                let later_entry = b[pos + 1..]
                    .windows(4)
                    .enumerate()
                    .filter(|(_, w)| *w == LOG_MAGIC)
                    .any(|(i, _)| parse_entry(&b[pos + 1 + i..]).is_ok());
                break LogTail::Bad {
                    reason,
                    later_entry,
                };
            }
        }
    };
    LogContents { entries, tail }
}

pub(crate) enum LogItem {
    Entry {
        offset: u64,
        note: String,
    },
    /// The log ends in a cut-off entry (crash mid-write): not an error.
    Partial,
    /// Bytes that are not an entry.
    Bad {
        offset: u64,
        reason: String,
    },
}

/// Streams the entries of `checkpoints.log`.
pub(crate) struct LogReader {
    reader: Option<BufReader<io::Take<File>>>,
    path: PathBuf,
    offset: u64,
    done: bool,
}

impl LogReader {
    /// Streams the log from byte `from` (which must be the start of an entry).
    pub(crate) fn open_at(path: &Path, from: u64) -> Result<LogReader, JournalError> {
        use std::io::Seek;
        let mut file = File::open(path).map_err(JournalError::io("open", path))?;
        file.seek(io::SeekFrom::Start(from))
            .map_err(JournalError::io("read", path))?;
        Ok(LogReader {
            reader: Some(BufReader::with_capacity(1 << 16, file.take(u64::MAX))),
            path: path.to_path_buf(),
            offset: from,
            done: false,
        })
    }

    /// Offset just past the last whole entry read.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// Streams the first `limit` bytes of the log (`None`: there is no log).
    pub(crate) fn open(path: &Path, limit: Option<u64>) -> Result<LogReader, JournalError> {
        let reader = match limit {
            Some(limit) => Some(BufReader::with_capacity(
                1 << 20,
                File::open(path)
                    .map_err(JournalError::io("open", path))?
                    .take(limit),
            )),
            None => None,
        };
        Ok(LogReader {
            reader,
            path: path.to_path_buf(),
            offset: 0,
            done: false,
        })
    }

    pub(crate) fn next_item(&mut self) -> Result<Option<LogItem>, JournalError> {
        if self.done {
            return Ok(None);
        }
        let Some(r) = self.reader.as_mut() else {
            return Ok(None);
        };
        let offset = self.offset;
        let mut head = [0u8; 8];
        let got = read_up_to(r, &mut head).map_err(JournalError::io("read", &self.path))?;
        if got == 0 {
            self.done = true;
            return Ok(None);
        }
        let m = got.min(4);
        if head[..m] != LOG_MAGIC[..m] {
            self.done = true;
            return Ok(Some(LogItem::Bad {
                offset,
                reason: "bad magic bytes".into(),
            }));
        }
        if got < 8 {
            self.done = true;
            return Ok(Some(LogItem::Partial));
        }
        let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
        if len > MAX_NOTE_LEN {
            self.done = true;
            return Ok(Some(LogItem::Bad {
                offset,
                reason: format!("entry length {len} too large"),
            }));
        }
        let mut body = vec![0u8; len + 4];
        let got = read_up_to(r, &mut body).map_err(JournalError::io("read", &self.path))?;
        if got < body.len() {
            self.done = true;
            return Ok(Some(LogItem::Partial));
        }
        let mut h = crc32fast::Hasher::new();
        h.update(&head[4..]);
        h.update(&body[..len]);
        let crc = u32::from_le_bytes([body[len], body[len + 1], body[len + 2], body[len + 3]]);
        if h.finalize() != crc {
            self.done = true;
            return Ok(Some(LogItem::Bad {
                offset,
                reason: "checksum mismatch".into(),
            }));
        }
        body.truncate(len);
        let Ok(note) = String::from_utf8(body) else {
            self.done = true;
            return Ok(Some(LogItem::Bad {
                offset,
                reason: "note is not UTF-8".into(),
            }));
        };
        self.offset += 8 + len as u64 + 4;
        Ok(Some(LogItem::Entry { offset, note }))
    }
}

pub(crate) fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match r.read(&mut buf[done..]) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// Reads every checkpoint in a journal's log (without checking signatures). Stops at the
/// first entry that cannot be read.
pub fn read_checkpoints(dir: &Path) -> Result<Vec<Checkpoint>, JournalError> {
    let path = dir.join(LOG_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(JournalError::io("read", &path)(e)),
    };
    let log = parse_log(&bytes, 0);
    log.entries
        .iter()
        .map(|(off, note)| {
            Checkpoint::parse(note).map_err(|e| JournalError::corrupt(&path, *off, e.to_string()))
        })
        .collect()
}

/// The latest checkpoint (`dir/checkpoint`), if any, without checking its signature.
pub fn latest_checkpoint(dir: &Path) -> Result<Option<Checkpoint>, JournalError> {
    let path = dir.join(CHECKPOINT_FILE);
    match std::fs::read_to_string(&path) {
        Ok(note) => Checkpoint::parse(&note)
            .map(Some)
            .map_err(|e| JournalError::corrupt(&path, 0, e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(JournalError::io("read", &path)(e)),
    }
}

/// Loads a verifier key file.
pub fn load_verifier(path: &Path) -> Result<NoteVerifier, JournalError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(JournalError::NoKey(path.to_path_buf()))
        }
        Err(e) => return Err(JournalError::io("read", path)(e)),
    };
    NoteVerifier::parse(text.trim()).map_err(|e| JournalError::BadKey {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Path of the exported public key of the journal in `dir`.
pub fn public_key_path(dir: &Path) -> PathBuf {
    dir.join(KEY_DIR).join(PUBLIC_KEY_FILE)
}

/// Loads the journal's signing key, generating it (named `name`) on first use, and makes
/// sure the public key is exported.
pub(crate) fn load_or_create_signer(dir: &Path, name: &str) -> Result<NoteSigner, JournalError> {
    let keys = dir.join(KEY_DIR);
    std::fs::create_dir_all(&keys).map_err(JournalError::io("create", &keys))?;
    let private = keys.join(PRIVATE_KEY_FILE);
    let mut generated = false;
    let signer = match std::fs::read_to_string(&private) {
        Ok(text) => NoteSigner::parse(&text).map_err(|e| JournalError::BadKey {
            path: private.clone(),
            reason: e.to_string(),
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key_name = if valid_key_name(name) {
                name.to_string()
            } else {
                name.chars()
                    .map(|c| {
                        if c.is_whitespace() || c == '+' {
                            '_'
                        } else {
                            c
                        }
                    })
                    .collect()
            };
            let signer = NoteSigner::generate(&key_name).map_err(|e| JournalError::BadKey {
                path: private.clone(),
                reason: e.to_string(),
            })?;
            write_private_key(&private, &signer)?;
            generated = true;
            signer
        }
        Err(e) => return Err(JournalError::io("read", &private)(e)),
    };
    let public = keys.join(PUBLIC_KEY_FILE);
    // (Re-)export the public key when it is missing or the key is new. An existing export of
    // an existing key is left alone: if it was replaced, verify() must see that.
    if generated || !public.exists() {
        let line = format!("{}\n", signer.verifier().to_key_string());
        crate::store::write_atomic(&public, line.as_bytes(), true)
            .map_err(JournalError::io("write", &public))?;
    }
    Ok(signer)
}

fn write_private_key(path: &Path, signer: &NoteSigner) -> Result<(), JournalError> {
    let tmp = path.with_extension("key.tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp).map_err(JournalError::io("create", &tmp))?;
    f.write_all(format!("{}\n", signer.to_key_string()).as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(JournalError::io("write", &tmp))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(JournalError::io("rename", &tmp))?;
    if let Some(parent) = path.parent() {
        crate::store::sync_dir(parent).map_err(JournalError::io("sync", parent))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify_round_trip() {
        let signer = NoteSigner::from_seed("example.com/log", [7u8; 32]).unwrap();
        let again = NoteSigner::parse(&signer.to_key_string()).unwrap();
        assert_eq!(again.id(), signer.id());
        let verifier = NoteVerifier::parse(&signer.verifier().to_key_string()).unwrap();
        assert_eq!(verifier, signer.verifier());
        let time = DateTime::parse_from_rfc3339("2024-05-01T12:00:00.5Z")
            .unwrap()
            .with_timezone(&Utc);
        let body = Checkpoint::body("example.com/log", 42, &[9u8; 32], time);
        let note = signer.sign(&body).unwrap();
        assert!(note.contains("\n\n\u{2014} example.com/log "));
        assert_eq!(verifier.verify(&note).unwrap(), body);
        let cp = Checkpoint::parse(&note).unwrap();
        assert_eq!((cp.size, cp.root, cp.time), (42, [9u8; 32], time));
        assert_eq!(cp.origin(), "example.com/log");

        let edited = note.replacen("\n42\n", "\n43\n", 1);
        assert!(matches!(
            verifier.verify(&edited),
            Err(NoteError::BadSignature(_))
        ));
        let other = NoteSigner::from_seed("example.com/log", [8u8; 32]).unwrap();
        assert!(matches!(
            other.verifier().verify(&note),
            Err(NoteError::NotSigned(_))
        ));
    }

    #[test]
    fn key_id_matches_go_note_vector() {
        // From golang.org/x/mod/sumdb/note: the "PeterNeumann" example key.
        let vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        let v = NoteVerifier::parse(vkey).unwrap();
        assert_eq!(v.id(), 0xc74f20a3);
        assert_eq!(v.to_key_string(), vkey);
        let note = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n\n\
                    \u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
        assert!(v.verify(note).is_ok());
        // Ed25519 is deterministic: signing with the published signer key reproduces the note.
        let signer = NoteSigner::parse(
            "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        )
        .unwrap();
        assert_eq!(signer.verifier(), v);
        let text = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
        assert_eq!(signer.sign(text).unwrap(), note);
    }

    #[test]
    fn log_framing() {
        let mut b = log_entry("a\n\n\u{2014} k AAAA\n");
        b.extend(log_entry("second"));
        let parsed = parse_log(&b, 10);
        assert_eq!(parsed.entries.len(), 2);
        assert_eq!(parsed.entries[0].0, 10);
        assert_eq!(parsed.tail, LogTail::Clean);
        let cut = parse_log(&b[..b.len() - 3], 0);
        assert_eq!(cut.entries.len(), 1);
        assert_eq!(cut.tail, LogTail::Partial);
        let mut flipped = b.clone();
        flipped[9] ^= 1;
        let bad = parse_log(&flipped, 0);
        assert!(bad.entries.is_empty());
        assert!(matches!(
            bad.tail,
            LogTail::Bad {
                later_entry: true,
                ..
            }
        ));
    }
}
