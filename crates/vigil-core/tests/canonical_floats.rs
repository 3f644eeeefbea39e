//! Regression (fuzz/es_bulk, FUZZING.md): without serde_json's `float_roundtrip`, a float
//! was parsed one ULP off, so an event read back from its canonical bytes wrote other bytes.

use vigil_core::Event;

#[test]
fn floats_survive_the_canonical_round_trip() {
    for text in [
        "1617123417.4163634",
        "1617123417.4163637",
        "0.30000000000000004",
        "2.2250738585072014e-308",
        "1.7976931348623157e308",
    ] {
        let sent = format!("{{\"n\":{text}}}");
        let event = Event::from_canonical_bytes(sent.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let expected: f64 = text.parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            event.get("n").and_then(|v| v.as_f64()),
            Some(expected),
            "{text}"
        );
        let bytes = event.to_canonical_bytes();
        let back = Event::from_canonical_bytes(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.to_canonical_bytes(), bytes, "{text}");
    }
}
