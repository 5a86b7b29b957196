//! Tolerant field access over a JSON object.
//!
//! Exports spell the same field `eventDataId`, `EventDataId`, `event_data_id` or
//! `EVENTDATAID`. [`Fields`] indexes an object's keys case- and underscore-insensitively,
//! unwraps LocalizableString objects and decodes values that are JSON text.

use serde_json::{Map, Value};

/// Normalizes a key for lookup: ASCII lower case without `_`, `-`, spaces or dots.
pub fn norm_key(k: &str) -> String {
    k.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' ' | '.'))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Case-insensitive view of one JSON object.
pub struct Fields<'a> {
    keys: Vec<(String, &'a Value)>,
}

impl<'a> Fields<'a> {
    pub fn new(map: &'a Map<String, Value>) -> Self {
        Fields {
            keys: map
                .iter()
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, v)| (norm_key(k), v))
                .collect(),
        }
    }

    /// True when any of the names is present (even if null).
    pub fn has(&self, names: &[&str]) -> bool {
        names.iter().any(|n| self.keys.iter().any(|(k, _)| k == n))
    }

    /// The first present, non-null value among `names` (given in normalized form).
    pub fn get(&self, names: &[&str]) -> Option<&'a Value> {
        for n in names {
            if let Some((_, v)) = self.keys.iter().find(|(k, v)| k == n && !v.is_null()) {
                return Some(v);
            }
        }
        None
    }

    /// A string: plain strings (trimmed, non-empty), numbers and booleans as text, and the
    /// `value` of a LocalizableString object.
    pub fn str(&self, names: &[&str]) -> Option<String> {
        for n in names {
            if let Some((_, v)) = self.keys.iter().find(|(k, _)| k == n) {
                if let Some(s) = value_text(v) {
                    return Some(s);
                }
            }
        }
        None
    }

    /// The `localizedValue` of a LocalizableString field.
    pub fn localized(&self, names: &[&str]) -> Option<String> {
        let v = self.get(names)?;
        let m = v.as_object()?;
        let f = Fields::new(m);
        f.str(&["localizedvalue"])
    }

    /// An object member, decoding JSON text when the export stored the object as a string.
    pub fn object(&self, names: &[&str]) -> Option<Map<String, Value>> {
        for n in names {
            if let Some((_, v)) = self.keys.iter().find(|(k, _)| k == n) {
                if let Some(m) = as_object(v) {
                    return Some(m);
                }
            }
        }
        None
    }
}

/// The text of a scalar or LocalizableString value; `None` for null, empty and containers.
pub fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_string())
        }
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Object(m) => m
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("value"))
            .and_then(|(_, v)| if v.is_object() { None } else { value_text(v) }),
        _ => None,
    }
}

/// An object, or a string holding a JSON object (possibly nested as a string once more).
pub fn as_object(v: &Value) -> Option<Map<String, Value>> {
    match v {
        Value::Object(m) => Some(m.clone()),
        Value::String(s) => {
            let t = s.trim();
            if !t.starts_with('{') && !t.starts_with('"') {
                return None;
            }
            match serde_json::from_str::<Value>(t).ok()? {
                Value::Object(m) => Some(m),
                inner @ Value::String(_) => as_object(&inner),
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lookups() {
        let v = json!({"EventDataId":"a","operation_name":{"value":"X/write","localized_value":"Write X"},
                       "Level":4,"Props":"{\"k\":\"v\"}","": "", "Empty":"  "});
        let m = v.as_object().unwrap();
        let f = Fields::new(m);
        assert_eq!(f.str(&["eventdataid"]).as_deref(), Some("a"));
        assert_eq!(f.str(&["operationname"]).as_deref(), Some("X/write"));
        assert_eq!(f.localized(&["operationname"]).as_deref(), Some("Write X"));
        assert_eq!(f.str(&["level"]).as_deref(), Some("4"));
        assert_eq!(f.object(&["props"]).unwrap()["k"], "v");
        assert!(f.str(&["empty"]).is_none());
    }
}
