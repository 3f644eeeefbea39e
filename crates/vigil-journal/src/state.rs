//! The persisted writer state (`dir/state`): the Merkle frontier at the latest checkpoint and
//! where that checkpoint sits in `checkpoints.log`, so that opening a big journal only
//! rehashes the frames appended after it.
//!
//! Layout (little-endian): `"VJSTATE1"`, tree size `u64`, checkpoint log offset `u64`
//! (`u64::MAX` = none), hash count `u32`, the frontier hashes (32 bytes each, largest
//! subtree first), CRC-32 of everything before it.

use std::io;
use std::path::Path;

use crate::merkle::{CompactTree, Hash};
use crate::store::write_atomic;
use crate::JournalError;

pub(crate) const STATE_FILE: &str = "state";
const MAGIC: [u8; 8] = *b"VJSTATE1";

/// The writer state saved with each checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct State {
    pub tree: CompactTree,
    /// Offset in `checkpoints.log` of the checkpoint of this size.
    pub cp_offset: Option<u64>,
}

impl State {
    fn encode(&self) -> Vec<u8> {
        let frontier = self.tree.frontier();
        let mut b = Vec::with_capacity(32 + 32 * frontier.len());
        b.extend_from_slice(&MAGIC);
        b.extend_from_slice(&self.tree.size().to_le_bytes());
        b.extend_from_slice(&self.cp_offset.unwrap_or(u64::MAX).to_le_bytes());
        b.extend_from_slice(&(frontier.len() as u32).to_le_bytes());
        for h in frontier {
            b.extend_from_slice(h);
        }
        let crc = crc32fast::hash(&b);
        b.extend_from_slice(&crc.to_le_bytes());
        b
    }

    fn decode(b: &[u8]) -> Option<State> {
        if b.len() < 32 || b[..8] != MAGIC {
            return None;
        }
        let (body, crc) = b.split_at(b.len() - 4);
        if crc32fast::hash(body) != u32::from_le_bytes(crc.try_into().ok()?) {
            return None;
        }
        let size = u64::from_le_bytes(body[8..16].try_into().ok()?);
        let cp_offset = u64::from_le_bytes(body[16..24].try_into().ok()?);
        let n = u32::from_le_bytes(body[24..28].try_into().ok()?) as usize;
        let hashes = &body[28..];
        if hashes.len() != n.checked_mul(32)? {
            return None;
        }
        let frontier: Vec<Hash> = hashes
            .chunks_exact(32)
            .map(|c| {
                let mut h = [0u8; 32];
                h.copy_from_slice(c);
                h
            })
            .collect();
        Some(State {
            tree: CompactTree::from_parts(size, frontier).ok()?,
            cp_offset: (cp_offset != u64::MAX).then_some(cp_offset),
        })
    }
}

/// Loads the state; `None` when it is missing or unreadable as a state (it is only a cache).
pub(crate) fn load(dir: &Path) -> Result<Option<State>, JournalError> {
    let path = dir.join(STATE_FILE);
    match std::fs::read(&path) {
        Ok(b) => Ok(State::decode(&b)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(JournalError::io("read", &path)(e)),
    }
}

/// Saves the state atomically.
pub(crate) fn save(dir: &Path, state: &State, fsync: bool) -> Result<(), JournalError> {
    let path = dir.join(STATE_FILE);
    write_atomic(&path, &state.encode(), fsync).map_err(JournalError::io("write", &path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejects_damage() {
        let mut tree = CompactTree::new();
        for i in 0..13u8 {
            tree.push_data(&[i]);
        }
        let s = State {
            tree,
            cp_offset: Some(77),
        };
        let b = s.encode();
        assert_eq!(State::decode(&b), Some(s.clone()));
        for i in 0..b.len() {
            let mut bad = b.clone();
            bad[i] ^= 1;
            assert_eq!(State::decode(&bad), None, "flip at {i}");
        }
        assert_eq!(State::decode(&b[..b.len() - 1]), None);
    }
}
