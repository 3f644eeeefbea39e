//! RFC 6962 (Certificate Transparency) Merkle tree hashing over the journal's records.
//!
//! Owns the leaf and node hash functions, the incremental [`CompactTree`] (a frontier of
//! perfect-subtree hashes: O(log n) memory, root at any time), the reference tree head
//! [`root_of`], and inclusion and consistency proofs (generation over leaf hashes or over a
//! [`JournalReader`], and verification per RFC 9162 §2.1.3.2 / §2.1.4.2).
//!
//! Leaf hash = SHA-256(0x00 ‖ record bytes); node hash = SHA-256(0x01 ‖ left ‖ right); the
//! hash of the empty tree is SHA-256 of the empty string.

use sha2::{Digest, Sha256};

use crate::{JournalError, JournalReader};

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// The root of the empty tree: SHA-256 of the empty string.
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// The hash of one leaf: SHA-256(0x00 ‖ data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// The hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut buf = [0u8; 65];
    buf[0] = 1;
    buf[1..33].copy_from_slice(left);
    buf[33..].copy_from_slice(right);
    Sha256::digest(buf).into()
}

/// The largest power of two strictly smaller than `n` (n ≥ 2): RFC 6962's split point.
pub fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// The Merkle tree hash (RFC 6962 MTH) of a list of leaf hashes, by the recursive definition
/// evaluated bottom-up. O(n) time, O(log n) extra memory.
pub fn root_of(leaves: &[Hash]) -> Hash {
    let mut tree = CompactTree::new();
    for leaf in leaves {
        tree.push(*leaf);
    }
    tree.root()
}

/// Why a proof or a tree state was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// Index or sizes out of range for the tree.
    #[error("invalid arguments: {0}")]
    Invalid(String),
    /// The proof has the wrong number of hashes for the given sizes.
    #[error("the proof has the wrong length")]
    WrongLength,
    /// The proof does not lead to the expected root(s).
    #[error("the proof does not match the root hash")]
    Mismatch,
}

/// An append-only Merkle tree that keeps only the roots of its perfect subtrees (one per set
/// bit of the size, largest first), so it can grow and give its RFC 6962 root at any size in
/// O(log n) memory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactTree {
    size: u64,
    frontier: Vec<Hash>,
}

impl CompactTree {
    /// The empty tree.
    pub fn new() -> CompactTree {
        CompactTree::default()
    }

    /// Rebuilds a tree from a persisted size and frontier; the frontier must hold exactly one
    /// hash per set bit of `size`.
    pub fn from_parts(size: u64, frontier: Vec<Hash>) -> Result<CompactTree, ProofError> {
        if frontier.len() != size.count_ones() as usize {
            return Err(ProofError::Invalid(format!(
                "a tree of size {size} has {} perfect subtrees, not {}",
                size.count_ones(),
                frontier.len()
            )));
        }
        Ok(CompactTree { size, frontier })
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The perfect-subtree roots, largest (leftmost) first.
    pub fn frontier(&self) -> &[Hash] {
        &self.frontier
    }

    /// Appends one leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut h = leaf;
        // Each trailing one bit of the old size is a perfect subtree of the same height as the
        // one being carried: merge them.
        for _ in 0..self.size.trailing_ones() {
            // The frontier holds one entry per set bit, so this pop always succeeds.
            if let Some(left) = self.frontier.pop() {
                h = node_hash(&left, &h);
            }
        }
        self.frontier.push(h);
        self.size += 1;
    }

    /// Appends one record (hashing it as a leaf).
    pub fn push_data(&mut self, data: &[u8]) {
        self.push(leaf_hash(data));
    }

    /// The RFC 6962 root of the current tree.
    pub fn root(&self) -> Hash {
        let mut iter = self.frontier.iter().rev();
        let Some(last) = iter.next() else {
            return EMPTY_ROOT;
        };
        iter.fold(*last, |acc, left| node_hash(left, &acc))
    }
}

/// A contiguous range of leaves `[start, end)` whose subtree hash is one element of a proof.
type Range = (u64, u64);

/// The leaf ranges whose hashes make up the inclusion proof of `index` in a tree of `size`,
/// in proof order (RFC 6962 PATH, bottom-up).
fn inclusion_ranges(index: u64, size: u64) -> Vec<Range> {
    let mut out = Vec::new();
    let (mut lo, mut hi) = (0u64, size);
    let mut m = index;
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        if m < k {
            out.push((lo + k, hi));
            hi = lo + k;
        } else {
            out.push((lo, lo + k));
            lo += k;
            m -= k;
        }
    }
    out.reverse();
    out
}

/// The leaf ranges whose hashes make up the consistency proof from `old` to `new`
/// (RFC 6962 SUBPROOF), in proof order.
fn consistency_ranges(old: u64, new: u64) -> Vec<Range> {
    let mut out = Vec::new();
    let (mut lo, mut hi) = (0u64, new);
    let mut m = old;
    let mut complete = true;
    loop {
        if m == hi - lo {
            if !complete {
                out.push((lo, hi));
            }
            break;
        }
        let k = split_point(hi - lo);
        if m <= k {
            out.push((lo + k, hi));
            hi = lo + k;
        } else {
            out.push((lo, lo + k));
            lo += k;
            m -= k;
            complete = false;
        }
    }
    out.reverse();
    out
}

fn check_index(index: u64, size: u64) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::Invalid(format!(
            "leaf {index} is not in a tree of size {size}"
        )));
    }
    Ok(())
}

fn check_consistency_sizes(old: u64, new: u64) -> Result<(), ProofError> {
    if old > new {
        return Err(ProofError::Invalid(format!(
            "old size {old} is larger than new size {new}"
        )));
    }
    Ok(())
}

fn hashes_of_ranges(leaves: &[Hash], ranges: &[Range]) -> Vec<Hash> {
    ranges
        .iter()
        .map(|&(a, b)| root_of(&leaves[a as usize..b as usize]))
        .collect()
}

/// The inclusion proof of leaf `index` in the tree made of all of `leaves`.
pub fn inclusion_path(leaves: &[Hash], index: u64) -> Result<Vec<Hash>, ProofError> {
    check_index(index, leaves.len() as u64)?;
    Ok(hashes_of_ranges(
        leaves,
        &inclusion_ranges(index, leaves.len() as u64),
    ))
}

/// The consistency proof between the tree of the first `old_size` leaves and the tree of all
/// of `leaves`. Empty when `old_size` is 0 or equals the number of leaves.
pub fn consistency_path(leaves: &[Hash], old_size: u64) -> Result<Vec<Hash>, ProofError> {
    let new = leaves.len() as u64;
    check_consistency_sizes(old_size, new)?;
    if old_size == 0 || old_size == new {
        return Ok(Vec::new());
    }
    Ok(hashes_of_ranges(leaves, &consistency_ranges(old_size, new)))
}

/// The root an inclusion proof leads to (RFC 9162 §2.1.3.2), to compare with a trusted root.
pub fn root_from_inclusion_proof(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    check_index(index, size)?;
    let mut fnode = index;
    let mut snode = size - 1;
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    Ok(r)
}

/// Checks that `leaf` is at `index` in the tree of `size` leaves whose root is `root`.
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if root_from_inclusion_proof(leaf, index, size, proof)? == *root {
        Ok(())
    } else {
        Err(ProofError::Mismatch)
    }
}

/// Checks that the tree of `old_size` leaves with root `old_root` is a prefix of the tree of
/// `new_size` leaves with root `new_root` (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    check_consistency_sizes(old_size, new_size)?;
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        return if old_root == new_root {
            Ok(())
        } else {
            Err(ProofError::Mismatch)
        };
    }
    if old_size == 0 {
        // Every tree extends the empty tree.
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(ProofError::WrongLength)
        };
    }
    if proof.is_empty() {
        return Err(ProofError::WrongLength);
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let mut fnode = old_size - 1;
    let mut snode = new_size - 1;
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let mut fr = path[0];
    let mut sr = path[0];
    for c in &path[1..] {
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    if fr == *old_root && sr == *new_root {
        Ok(())
    } else {
        Err(ProofError::Mismatch)
    }
}

/// Computes the hashes of disjoint leaf ranges with one pass over the journal from the
/// smallest range start. Memory: one compact tree per range (O(log² n) hashes).
fn stream_range_hashes(
    reader: &JournalReader,
    ranges: &[Range],
) -> Result<Vec<Hash>, JournalError> {
    let Some(start) = ranges.iter().map(|r| r.0).min() else {
        return Ok(Vec::new());
    };
    let end = ranges.iter().map(|r| r.1).max().unwrap_or(start);
    // Ranges sorted by start, remembering their position in the proof.
    let mut order: Vec<usize> = (0..ranges.len()).collect();
    order.sort_by_key(|&i| ranges[i].0);
    let mut trees: Vec<CompactTree> = vec![CompactTree::new(); ranges.len()];
    let mut cursor = 0usize;
    for item in reader.scan(start) {
        let (seq, bytes) = item?;
        if seq >= end {
            break;
        }
        while cursor < order.len() && ranges[order[cursor]].1 <= seq {
            cursor += 1;
        }
        if let Some(&slot) = order.get(cursor) {
            let (a, b) = ranges[slot];
            if a <= seq && seq < b {
                trees[slot].push_data(&bytes);
            }
        }
    }
    let mut out = Vec::with_capacity(ranges.len());
    for (tree, &(a, b)) in trees.iter().zip(ranges) {
        if tree.size() != b - a {
            return Err(JournalError::Proof(format!(
                "the journal ended before leaf {} (needed for range {a}..{b})",
                a + tree.size()
            )));
        }
        out.push(tree.root());
    }
    Ok(out)
}

/// The RFC 6962 inclusion proof of record `index` in the tree of the journal's first `size`
/// records, computed by reading the journal (O(size) hashing, O(log² size) memory).
pub fn inclusion_proof(
    reader: &JournalReader,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, JournalError> {
    check_index(index, size).map_err(|e| JournalError::Proof(e.to_string()))?;
    if size > reader.len() {
        return Err(JournalError::Proof(format!(
            "tree size {size} is larger than the journal ({})",
            reader.len()
        )));
    }
    stream_range_hashes(reader, &inclusion_ranges(index, size))
}

/// The RFC 6962 consistency proof between the journal's trees of `old_size` and `new_size`
/// records, computed by reading the journal.
pub fn consistency_proof(
    reader: &JournalReader,
    old_size: u64,
    new_size: u64,
) -> Result<Vec<Hash>, JournalError> {
    check_consistency_sizes(old_size, new_size).map_err(|e| JournalError::Proof(e.to_string()))?;
    if new_size > reader.len() {
        return Err(JournalError::Proof(format!(
            "tree size {new_size} is larger than the journal ({})",
            reader.len()
        )));
    }
    if old_size == 0 || old_size == new_size {
        return Ok(Vec::new());
    }
    stream_range_hashes(reader, &consistency_ranges(old_size, new_size))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(h: &Hash) -> String {
        h.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn unhex(s: &str) -> Hash {
        let mut out = [0u8; 32];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    /// RFC 6962 reference leaves (certificate-transparency test data).
    fn reference_leaves() -> Vec<Vec<u8>> {
        vec![
            vec![],
            vec![0x00],
            vec![0x10],
            vec![0x20, 0x21],
            vec![0x30, 0x31],
            vec![0x40, 0x41, 0x42, 0x43],
            vec![0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
            (0x60..=0x6f).collect(),
        ]
    }

    const REFERENCE_ROOTS: [&str; 9] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    /// The recursive MTH definition of RFC 6962 §2.1, written out literally.
    fn mth(data: &[Vec<u8>]) -> Hash {
        match data.len() {
            0 => Sha256::digest([]).into(),
            1 => leaf_hash(&data[0]),
            n => {
                let k = {
                    let mut k = 1usize;
                    while k * 2 < n {
                        k *= 2;
                    }
                    k
                };
                node_hash(&mth(&data[..k]), &mth(&data[k..]))
            }
        }
    }

    /// RFC 6962 §2.1.1 PATH, literally.
    fn path(m: usize, data: &[Vec<u8>]) -> Vec<Hash> {
        let n = data.len();
        if n <= 1 {
            return vec![];
        }
        let mut k = 1usize;
        while k * 2 < n {
            k *= 2;
        }
        if m < k {
            let mut p = path(m, &data[..k]);
            p.push(mth(&data[k..]));
            p
        } else {
            let mut p = path(m - k, &data[k..]);
            p.push(mth(&data[..k]));
            p
        }
    }

    /// RFC 6962 §2.1.2 SUBPROOF, literally.
    fn subproof(m: usize, data: &[Vec<u8>], complete: bool) -> Vec<Hash> {
        let n = data.len();
        if m == n {
            return if complete { vec![] } else { vec![mth(data)] };
        }
        let mut k = 1usize;
        while k * 2 < n {
            k *= 2;
        }
        if m <= k {
            let mut p = subproof(m, &data[..k], complete);
            p.push(mth(&data[k..]));
            p
        } else {
            let mut p = subproof(m - k, &data[k..], false);
            p.push(mth(&data[..k]));
            p
        }
    }

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(hex(&EMPTY_ROOT), REFERENCE_ROOTS[0]);
        assert_eq!(CompactTree::new().root(), EMPTY_ROOT);
        assert_eq!(root_of(&[]), EMPTY_ROOT);
    }

    #[test]
    fn reference_vectors() {
        let data = reference_leaves();
        let mut tree = CompactTree::new();
        assert_eq!(hex(&tree.root()), REFERENCE_ROOTS[0]);
        for (i, leaf) in data.iter().enumerate() {
            tree.push_data(leaf);
            assert_eq!(hex(&tree.root()), REFERENCE_ROOTS[i + 1], "size {}", i + 1);
            assert_eq!(hex(&mth(&data[..=i])), REFERENCE_ROOTS[i + 1]);
        }
        assert_eq!(hex(&leaf_hash(&[])), REFERENCE_ROOTS[1]);
    }

    #[test]
    fn reference_proofs() {
        let data = reference_leaves();
        let leaves: Vec<Hash> = data.iter().map(|d| leaf_hash(d)).collect();
        let root8 = unhex(REFERENCE_ROOTS[8]);
        let p0 = inclusion_path(&leaves, 0).unwrap();
        let want0 = [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ];
        assert_eq!(p0.iter().map(hex).collect::<Vec<_>>(), want0);
        verify_inclusion(&leaves[0], 0, 8, &p0, &root8).unwrap();
        let p5 = inclusion_path(&leaves, 5).unwrap();
        let want5 = [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ];
        assert_eq!(p5.iter().map(hex).collect::<Vec<_>>(), want5);
        verify_inclusion(&leaves[5], 5, 8, &p5, &root8).unwrap();
        let c28 = consistency_path(&leaves, 2).unwrap();
        assert_eq!(
            c28.iter().map(hex).collect::<Vec<_>>(),
            [
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]
        );
        verify_consistency(2, 8, &unhex(REFERENCE_ROOTS[2]), &root8, &c28).unwrap();
    }

    #[test]
    fn compact_tree_matches_recursive_definition() {
        let data: Vec<Vec<u8>> = (0..70u32)
            .map(|i| format!("{{\"n\":{i}}}").into_bytes())
            .collect();
        let mut tree = CompactTree::new();
        for n in 1..=data.len() {
            tree.push_data(&data[n - 1]);
            assert_eq!(tree.root(), mth(&data[..n]), "size {n}");
            assert_eq!(tree.frontier().len(), (n as u64).count_ones() as usize);
            let again = CompactTree::from_parts(tree.size(), tree.frontier().to_vec()).unwrap();
            assert_eq!(again.root(), tree.root());
        }
        assert!(CompactTree::from_parts(3, vec![EMPTY_ROOT]).is_err());
    }

    #[test]
    fn proofs_match_definition_and_verify() {
        let data: Vec<Vec<u8>> = (0..33u32).map(|i| vec![i as u8, (i * 7) as u8]).collect();
        let leaves: Vec<Hash> = data.iter().map(|d| leaf_hash(d)).collect();
        for n in 1..=data.len() {
            let root = mth(&data[..n]);
            for m in 0..n {
                let p = inclusion_path(&leaves[..n], m as u64).unwrap();
                assert_eq!(p, path(m, &data[..n]), "inclusion {m} in {n}");
                verify_inclusion(&leaves[m], m as u64, n as u64, &p, &root).unwrap();
                if n > 1 {
                    let wrong = (m + 1) % n;
                    assert!(
                        verify_inclusion(&leaves[wrong], m as u64, n as u64, &p, &root).is_err()
                    );
                    let mut bent = p.clone();
                    bent[0][0] ^= 1;
                    assert!(
                        verify_inclusion(&leaves[m], m as u64, n as u64, &bent, &root).is_err()
                    );
                    assert!(
                        verify_inclusion(&leaves[m], m as u64, n as u64, &p[1..], &root).is_err()
                    );
                }
                let c = consistency_path(&leaves[..n], m as u64).unwrap();
                if m > 0 {
                    assert_eq!(c, subproof(m, &data[..n], true), "consistency {m} -> {n}");
                }
                let old_root = mth(&data[..m]);
                verify_consistency(m as u64, n as u64, &old_root, &root, &c).unwrap();
                if m > 0 && m < n {
                    assert!(verify_consistency(m as u64, n as u64, &root, &root, &c).is_err());
                }
            }
        }
        assert!(verify_inclusion(&leaves[0], 3, 3, &[], &EMPTY_ROOT).is_err());
        assert!(verify_consistency(4, 2, &EMPTY_ROOT, &EMPTY_ROOT, &[]).is_err());
    }

    #[test]
    fn split_points() {
        for (n, k) in [
            (2u64, 1u64),
            (3, 2),
            (4, 2),
            (5, 4),
            (8, 4),
            (9, 8),
            (1000, 512),
            (1 << 40, 1 << 39),
        ] {
            assert_eq!(split_point(n), k, "n={n}");
        }
    }
}
