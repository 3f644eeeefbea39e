//! Conversions between Vigil's event JSON (`serde_json`) and VRL values, written out so that
//! an event is converted from borrowed fields in one pass (no intermediate clone).

use serde_json::{Map, Number, Value as Json};
use vrl::value::{KeyString, ObjectMap, Value};

/// An event's fields as a VRL object.
pub fn to_vrl(fields: &Map<String, Json>) -> Value {
    Value::Object(object_to_vrl(fields))
}

fn object_to_vrl(fields: &Map<String, Json>) -> ObjectMap {
    fields
        .iter()
        .map(|(k, v)| (KeyString::from(k.as_str()), json_to_vrl(v)))
        .collect()
}

fn json_to_vrl(value: &Json) -> Value {
    match value {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Boolean(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            // u64 above i64::MAX or a float; JSON numbers are never NaN.
            None => match n.as_f64() {
                Some(f) if n.is_f64() => Value::from_f64_or_zero(f),
                _ => Value::from(n.to_string()),
            },
        },
        Json::String(s) => Value::from(s.as_str()),
        Json::Array(items) => Value::Array(items.iter().map(json_to_vrl).collect()),
        Json::Object(map) => Value::Object(object_to_vrl(map)),
    }
}

/// A VRL value as JSON: bytes as (lossy UTF-8) strings, timestamps as RFC 3339 with
/// milliseconds and `Z` (Vigil's form), regexes as their pattern.
pub fn to_json(value: Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Boolean(b) => Json::Bool(b),
        Value::Integer(i) => Json::Number(i.into()),
        Value::Float(f) => Number::from_f64(f.into_inner()).map_or(Json::Null, Json::Number),
        Value::Bytes(bytes) => Json::String(String::from_utf8_lossy(&bytes).into_owned()),
        Value::Timestamp(t) => Json::String(vigil_core::time::format_timestamp(t)),
        Value::Object(map) => Json::Object(
            map.into_iter()
                .map(|(k, v)| (k.into(), to_json(v)))
                .collect(),
        ),
        Value::Array(items) => Json::Array(items.into_iter().map(to_json).collect()),
        other => Json::String(other.to_string_lossy().into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_types() {
        let json = serde_json::json!({
            "a": 1, "b": 2.5, "c": "x", "d": [true, null], "e": {"f": u64::MAX}
        });
        let back = to_json(to_vrl(json.as_object().unwrap_or_else(|| unreachable!())));
        assert_eq!(back["a"], 1);
        assert_eq!(back["b"], 2.5);
        assert_eq!(back["c"], "x");
        assert_eq!(back["d"], serde_json::json!([true, null]));
        // u64 beyond i64 becomes its decimal text rather than losing precision.
        assert_eq!(back["e"]["f"], u64::MAX.to_string());
    }
}
