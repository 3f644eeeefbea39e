//! Deterministic alert ids ([`alert_id`]).

use chrono::{DateTime, SecondsFormat, Utc};
use sha2::{Digest, Sha256};

/// Deterministic alert id: lowercase hex of the first 16 bytes of SHA-256 over
/// `rule_id`, 0x00, each group-key `field=value` joined with 0x1f, 0x00, and
/// `window_start` in RFC 3339 with nanoseconds (`...T..:..:..._________Z`).
///
/// The same inputs always give the same id; the order of `group_key` matters.
pub fn alert_id(
    rule_id: &str,
    group_key: &[(String, String)],
    window_start: DateTime<Utc>,
) -> String {
    let mut h = Sha256::new();
    h.update(rule_id.as_bytes());
    h.update([0u8]);
    for (i, (field, value)) in group_key.iter().enumerate() {
        if i > 0 {
            h.update([0x1fu8]);
        }
        h.update(field.as_bytes());
        h.update(b"=");
        h.update(value.as_bytes());
    }
    h.update([0u8]);
    h.update(
        window_start
            .to_rfc3339_opts(SecondsFormat::Nanos, true)
            .as_bytes(),
    );
    let digest = h.finalize();
    let mut out = String::with_capacity(32);
    for b in &digest[..16] {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn known_shape() {
        let t = Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).single();
        let Some(t) = t else { panic!("bad test time") };
        let id = alert_id("r", &[], t);
        assert_eq!(id.len(), 32);
        assert!(id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        // Independent computation of the same digest input.
        let mut h = Sha256::new();
        h.update(b"r\x00\x002024-01-02T03:04:05.000000000Z");
        let d = h.finalize();
        let hex: String = d[..16].iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(id, hex);
    }
}
