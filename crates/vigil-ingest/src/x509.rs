//! Just enough X.509 (DER) reading to name a TLS client: the subject and issuer
//! distinguished names (RFC 4514 strings), the subject's common name and the serial number
//! of a certificate rustls has already verified. It owns no trust decision (rustls and
//! webpki verify the chain before this runs) and must never panic or allocate beyond the
//! input on malformed bytes: anything it cannot read is `None`.

/// What a certificate says about its holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertNames {
    /// Subject DN, most specific RDN first (`CN=web-01,O=Example`).
    pub subject: String,
    /// The subject's common name (the last CN attribute, as RFC 6125 readers take it).
    pub common_name: Option<String>,
    /// Issuer DN, same format.
    pub issuer: String,
    /// Serial number, upper-case hex, without leading zero bytes.
    pub serial: String,
}

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const INTEGER: u8 = 0x02;
const OID: u8 = 0x06;
const VERSION: u8 = 0xa0;

/// One DER tag-length-value: `(tag, content, rest)`. Single-byte tags only.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let mut len = 0usize;
        for &b in &rest[..n] {
            len = (len << 8) | usize::from(b);
        }
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The content of a TLV whose tag must be `want`, and what follows it.
fn expect(input: &[u8], want: u8) -> Option<(&[u8], &[u8])> {
    let (tag, content, rest) = tlv(input)?;
    (tag == want).then_some((content, rest))
}

/// Reads the names of a DER certificate.
pub fn cert_names(der: &[u8]) -> Option<CertNames> {
    let (cert, _) = expect(der, SEQUENCE)?;
    let (tbs, _) = expect(cert, SEQUENCE)?;
    let mut rest = tbs;
    if let Some((VERSION, _, after)) = tlv(rest) {
        rest = after;
    }
    let (serial, rest) = expect(rest, INTEGER)?;
    let (_signature, rest) = expect(rest, SEQUENCE)?;
    let (issuer, rest) = expect(rest, SEQUENCE)?;
    let (_validity, rest) = expect(rest, SEQUENCE)?;
    let (subject, _) = expect(rest, SEQUENCE)?;
    let issuer = read_name(issuer)?;
    let subject = read_name(subject)?;
    let common_name = subject.common_names.last().cloned();
    let first_significant = serial
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(serial.len().saturating_sub(1));
    Some(CertNames {
        subject: format_dn(&subject),
        common_name,
        issuer: format_dn(&issuer),
        serial: serial[first_significant..]
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect(),
    })
}

/// A Name as RDNs in certificate order, each a list of `NAME=value` (value escaped), and
/// the raw values of its CN attributes.
struct Name {
    rdns: Vec<Vec<String>>,
    common_names: Vec<String>,
}

fn read_name(mut input: &[u8]) -> Option<Name> {
    let mut name = Name {
        rdns: Vec::new(),
        common_names: Vec::new(),
    };
    while !input.is_empty() {
        let (mut set, rest) = expect(input, SET)?;
        input = rest;
        let mut rdn = Vec::new();
        while !set.is_empty() {
            let (attribute, rest) = expect(set, SEQUENCE)?;
            set = rest;
            let (oid, value_tlv) = expect(attribute, OID)?;
            let (tag, value, after) = tlv(value_tlv)?;
            let key = attribute_name(oid);
            match decode_string(tag, value) {
                Some(text) => {
                    rdn.push(format!("{key}={}", escape(&text)));
                    if key == "CN" {
                        name.common_names.push(text);
                    }
                }
                // RFC 4514: a value that is not a string is the hex of its whole DER.
                None => rdn.push(format!(
                    "{key}=#{}",
                    hex(&value_tlv[..value_tlv.len() - after.len()])
                )),
            }
        }
        name.rdns.push(rdn);
    }
    Some(name)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_string(tag: u8, value: &[u8]) -> Option<String> {
    match tag {
        // UTF8String, PrintableString, IA5String, NumericString, VisibleString
        0x0c | 0x13 | 0x16 | 0x12 | 0x1a => std::str::from_utf8(value).ok().map(str::to_string),
        // TeletexString: in practice Latin-1.
        0x14 => Some(value.iter().map(|&b| char::from(b)).collect()),
        // BMPString: UTF-16BE.
        0x1e if value.len().is_multiple_of(2) => {
            let units: Vec<u16> = value
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        // UniversalString: UTF-32BE.
        0x1c if value.len().is_multiple_of(4) => value
            .chunks_exact(4)
            .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
            .collect(),
        _ => None,
    }
}

fn oid_text(oid: &[u8]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut value: u64 = 0;
    for (i, &b) in oid.iter().enumerate() {
        value = (value << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if parts.is_empty() {
                let first = (value / 40).min(2);
                parts.push(first.to_string());
                parts.push((value - first * 40).to_string());
            } else {
                parts.push(value.to_string());
            }
            value = 0;
        } else if i == oid.len() - 1 || value > u64::MAX >> 7 {
            return format!("#{}", hex(oid));
        }
    }
    parts.join(".")
}

fn attribute_name(oid: &[u8]) -> String {
    match oid {
        [0x55, 0x04, 0x03] => "CN".into(),
        [0x55, 0x04, 0x05] => "serialNumber".into(),
        [0x55, 0x04, 0x06] => "C".into(),
        [0x55, 0x04, 0x07] => "L".into(),
        [0x55, 0x04, 0x08] => "ST".into(),
        [0x55, 0x04, 0x09] => "STREET".into(),
        [0x55, 0x04, 0x0a] => "O".into(),
        [0x55, 0x04, 0x0b] => "OU".into(),
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19] => "DC".into(),
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01] => "UID".into(),
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01] => "emailAddress".into(),
        other => oid_text(other),
    }
}

/// RFC 4514 escaping of an attribute value.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        if c == '\0' {
            out.push_str("\\00");
            continue;
        }
        if matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && matches!(c, '#' | ' '))
            || (i == last && c == ' ')
        {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// RFC 4514: RDNs in reverse (most specific first), `,` between RDNs, `+` within one.
fn format_dn(name: &Name) -> String {
    name.rdns
        .iter()
        .rev()
        .map(|rdn| rdn.join("+"))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn der(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        if content.len() < 0x80 {
            out.push(content.len() as u8);
        } else {
            let len = (content.len() as u32).to_be_bytes();
            out.push(0x84);
            out.extend_from_slice(&len);
        }
        out.extend_from_slice(content);
        out
    }

    fn atv(oid: &[u8], tag: u8, value: &[u8]) -> Vec<u8> {
        der(SEQUENCE, &[der(OID, oid), der(tag, value)].concat())
    }

    fn cert(subject: &[u8], issuer: &[u8]) -> Vec<u8> {
        let tbs = [
            der(VERSION, &der(INTEGER, &[2])),
            der(INTEGER, &[0x00, 0x8f, 0x01]),
            der(
                SEQUENCE,
                &der(OID, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]),
            ),
            der(SEQUENCE, issuer),
            der(SEQUENCE, &[]),
            der(SEQUENCE, subject),
            der(SEQUENCE, &[]),
        ]
        .concat();
        der(
            SEQUENCE,
            &[der(SEQUENCE, &tbs), der(SEQUENCE, &[])].concat(),
        )
    }

    #[test]
    fn names_of_a_certificate() {
        let subject = [
            der(SET, &atv(&[0x55, 4, 6], 0x13, b"DE")),
            der(SET, &atv(&[0x55, 4, 10], 0x0c, b"Example, Inc.")),
            der(
                SET,
                &[
                    atv(&[0x55, 4, 3], 0x0c, b"web-01"),
                    atv(&[0x55, 4, 11], 0x1e, &[0, b'o', 0, b'p', 0, b's']),
                ]
                .concat(),
            ),
        ]
        .concat();
        let issuer = der(SET, &atv(&[0x55, 4, 3], 0x13, b"Corp CA"));
        let names = cert_names(&cert(&subject, &issuer));
        assert_eq!(
            names,
            Some(CertNames {
                subject: "CN=web-01+OU=ops,O=Example\\, Inc.,C=DE".into(),
                common_name: Some("web-01".into()),
                issuer: "CN=Corp CA".into(),
                serial: "8F01".into(),
            })
        );
    }

    #[test]
    fn unknown_attributes_and_values_are_kept_readable() {
        let subject = [
            der(SET, &atv(&[0x2b, 6, 1, 4, 1, 0x82, 0x37, 1], 0x04, &[1, 2])),
            der(SET, &atv(&[0x55, 4, 3], 0x0c, b" #lead")),
        ]
        .concat();
        let names = cert_names(&cert(&subject, &[])).unwrap_or_else(|| panic!("unreadable"));
        assert_eq!(names.subject, "CN=\\ #lead,1.3.6.1.4.1.311.1=#04020102");
        assert_eq!(names.issuer, "");
    }

    #[test]
    fn malformed_input_is_none_never_a_panic() {
        let subject = der(SET, &atv(&[0x55, 4, 3], 0x0c, b"x"));
        let good = cert(&subject, &subject);
        assert!(cert_names(&good).is_some());
        for cut in 0..good.len() {
            let _ = cert_names(&good[..cut]);
        }
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..2000 {
            let mut bytes = good.clone();
            for _ in 0..3 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let at = (seed % bytes.len() as u64) as usize;
                bytes[at] = (seed >> 32) as u8;
            }
            let _ = cert_names(&bytes);
        }
        assert_eq!(cert_names(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
    }
}
