//! Random secrets and their digests.
//!
//! Owns generation of session ids, CSRF tokens, API token secrets and random passwords,
//! and the SHA-256 digest under which the first three are stored. It must never log,
//! store or return a digest's preimage anywhere but to the caller that asked for it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::error::{AuthError, Result};

/// `n` random bytes from the operating system.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| AuthError::Random(e.to_string()))?;
    Ok(buf)
}

/// 32 random bytes, base64url without padding (43 characters).
pub(crate) fn random_b64url_32() -> Result<String> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<32>()?))
}

/// SHA-256 of `data`.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

const PASSWORD_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/// A random password of `len` characters from an unambiguous alphanumeric alphabet
/// (57 symbols, ~5.8 bits each), drawn without modulo bias.
pub(crate) fn random_password(len: usize) -> Result<String> {
    let n = PASSWORD_ALPHABET.len();
    // Largest multiple of n that fits in a byte: bytes at or above it are rejected.
    let limit = 256 - (256 % n);
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for b in random_bytes::<32>()? {
            if (b as usize) < limit && out.len() < len {
                out.push(PASSWORD_ALPHABET[b as usize % n] as char);
            }
        }
    }
    Ok(out)
}
