//! Tolerant field access over a JSON object.
//!
//! Exports spell the same field `eventDataId`, `EventDataId`, `event_data_id` or
//! `EVENTDATAID`. [`Fields`] indexes an object's keys case- and underscore-insensitively,
//! unwraps LocalizableString objects and decodes values that are JSON text.

use serde_json::{Map, Value};
use std::borrow::Cow;

/// Normalizes a key for lookup: ASCII lower case without `_`, `-`, spaces or dots.
pub fn norm_key(k: &str) -> String {
    // Byte-wise (no char-by-char collect): only ASCII bytes are dropped or changed, so the
    // result is the same as filtering and lower-casing chars.
    let mut s = k.to_ascii_lowercase();
    if s.bytes().any(|b| matches!(b, b'_' | b'-' | b' ' | b'.')) {
        s.retain(|c| !matches!(c, '_' | '-' | ' ' | '.'));
    }
    s
}

/// True when `norm_key(raw) == norm`, without allocating.
pub fn key_is(raw: &str, norm: &str) -> bool {
    let mut want = norm.bytes();
    for b in raw.bytes() {
        if matches!(b, b'_' | b'-' | b' ' | b'.') {
            continue;
        }
        if want.next() != Some(b.to_ascii_lowercase()) {
            return false;
        }
    }
    want.next().is_none()
}

/// A key as written plus the length and first bytes of its normalized form (a cheap first
/// test before [`key_is`]).
struct Key<'a> {
    raw: Cow<'a, str>,
    norm_len: usize,
    /// Up to the first 8 bytes of the normalized key, packed.
    head: u64,
}

/// Packs up to the first 8 bytes of an already normalized name.
fn head_of(norm: &[u8]) -> u64 {
    norm.iter()
        .take(8)
        .fold(0u64, |h, &b| (h << 8) | u64::from(b))
}

impl<'a> Key<'a> {
    fn new(raw: Cow<'a, str>) -> Self {
        let b = raw.as_bytes();
        let seps = b
            .iter()
            .filter(|c| matches!(c, b'_' | b'-' | b' ' | b'.'))
            .count();
        let head = if seps == 0 {
            b.iter()
                .take(8)
                .fold(0u64, |h, &c| (h << 8) | u64::from(c.to_ascii_lowercase()))
        } else {
            b.iter()
                .filter(|c| !matches!(c, b'_' | b'-' | b' ' | b'.'))
                .take(8)
                .fold(0u64, |h, &c| (h << 8) | u64::from(c.to_ascii_lowercase()))
        };
        Key {
            norm_len: b.len() - seps,
            head,
            raw,
        }
    }

    /// True when this key normalizes to `norm`.
    fn is(&self, norm: &str) -> bool {
        self.norm_len == norm.len()
            && self.head == head_of(norm.as_bytes())
            && key_is(&self.raw, norm)
    }
}

/// Case-insensitive view of one JSON object.
pub struct Fields<'a> {
    /// Keys as written (matched with [`key_is`], no per-key allocation).
    keys: Vec<(Key<'a>, &'a Value)>,
}

impl<'a> Fields<'a> {
    pub fn new(map: &'a Map<String, Value>) -> Self {
        Fields {
            keys: map
                .iter()
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, v)| (Key::new(Cow::Borrowed(k.as_str())), v))
                .collect(),
        }
    }

    /// Like [`Fields::new`], but a Log Analytics column split by a union into
    /// `Name_dynamic` / `Name_string` is also reachable as `Name` (first non-empty wins).
    pub fn new_la(map: &'a Map<String, Value>) -> Self {
        let mut f = Fields::new(map);
        let mut extra = Vec::new();
        for (k, v) in map {
            let lower = k.to_ascii_lowercase();
            let base = lower
                .strip_suffix("_dynamic")
                .or_else(|| lower.strip_suffix("_string"));
            if let Some(base) = base {
                let nk = norm_key(base);
                let empty = v.is_null() || v.as_str().is_some_and(|s| s.trim().is_empty());
                if !empty && !f.keys.iter().any(|(k, _)| k.is(&nk)) {
                    extra.push((Key::new(Cow::Owned(nk)), v));
                }
            }
        }
        f.keys.extend(extra);
        f
    }

    /// An array member, decoding JSON text when the export stored it as a string.
    /// A scalar becomes a one-element list; empty text an empty list.
    pub fn array(&self, names: &[&str]) -> Option<Vec<Value>> {
        self.get(names).map(array_of_value)
    }

    /// A boolean: JSON booleans, and `true`/`false`/`yes`/`no`/`1`/`0` text in any case.
    pub fn bool(&self, names: &[&str]) -> Option<bool> {
        self.get(names).and_then(value_bool)
    }

    /// An integer from a number or numeric text (`"50126"`, `"0.0"`).
    pub fn int(&self, names: &[&str]) -> Option<i64> {
        self.get(names).and_then(value_int)
    }

    /// A float from a number or numeric text.
    pub fn float(&self, names: &[&str]) -> Option<f64> {
        self.get(names).and_then(value_float)
    }

    /// True when any of the names is present (even if null).
    pub fn has(&self, names: &[&str]) -> bool {
        names.iter().any(|n| self.keys.iter().any(|(k, _)| k.is(n)))
    }

    /// The first present, non-null value among `names` (given in normalized form).
    pub fn get(&self, names: &[&str]) -> Option<&'a Value> {
        for n in names {
            if let Some((_, v)) = self.keys.iter().find(|(k, v)| k.is(n) && !v.is_null()) {
                return Some(v);
            }
        }
        None
    }

    /// A string: plain strings (trimmed, non-empty), numbers and booleans as text, and the
    /// `value` of a LocalizableString object.
    pub fn str(&self, names: &[&str]) -> Option<String> {
        for n in names {
            if let Some((_, v)) = self.keys.iter().find(|(k, _)| k.is(n)) {
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
        self.object_ref(names).map(Cow::into_owned)
    }

    /// Like [`Fields::object`], but borrows a JSON object instead of copying it (only
    /// objects stored as JSON text are decoded into an owned map).
    pub fn object_ref(&self, names: &[&str]) -> Option<Cow<'a, Map<String, Value>>> {
        for n in names {
            if let Some((_, v)) = self.keys.iter().find(|(k, _)| k.is(n)) {
                if let Some(m) = as_object_ref(v) {
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
        Value::String(s) => str_text(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Object(m) => m
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("value"))
            .and_then(|(_, v)| if v.is_object() { None } else { value_text(v) }),
        _ => None,
    }
}

/// A boolean from a JSON boolean or common text forms.
pub fn value_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        Value::String(s) => str_bool(s),
        _ => None,
    }
}

/// An integer from a number or numeric text; fractional text with a zero fraction is accepted.
pub fn value_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => str_int(s),
        _ => None,
    }
}

/// An object, or a string holding a JSON object (possibly nested as a string once more).
pub fn as_object(v: &Value) -> Option<Map<String, Value>> {
    as_object_ref(v).map(Cow::into_owned)
}

/// Like [`as_object`], borrowing when the value is already an object.
pub fn as_object_ref(v: &Value) -> Option<Cow<'_, Map<String, Value>>> {
    match v {
        Value::Object(m) => Some(Cow::Borrowed(m)),
        Value::String(s) => str_object(s).map(Cow::Owned),
        _ => None,
    }
}

/// [`value_text`] of a string: trimmed, `None` when empty.
pub fn str_text(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// [`value_bool`] of a string.
pub fn str_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Some(true),
        "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

/// [`value_int`] of a string.
pub fn str_int(s: &str) -> Option<i64> {
    let t = s.trim();
    t.parse::<i64>().ok().or_else(|| {
        t.parse::<f64>()
            .ok()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    })
}

/// A float from a number or numeric text.
pub fn value_float(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => str_float(s),
        _ => None,
    }
}

/// [`value_float`] of a string.
pub fn str_float(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|x| x.is_finite())
}

/// [`as_object`] of a string holding a JSON object (possibly nested as a string once more).
pub fn str_object(s: &str) -> Option<Map<String, Value>> {
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

/// [`Fields::array`] of one non-null value: arrays as they are, JSON text decoded, a
/// scalar as a one-element list, empty text as an empty list.
pub fn array_of_value(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::String(s) => str_array(s),
        other => vec![other.clone()],
    }
}

/// [`array_of_value`], borrowing an array.
pub fn array_cow(v: &Value) -> Cow<'_, [Value]> {
    match v {
        Value::Array(a) => Cow::Borrowed(a.as_slice()),
        other => Cow::Owned(array_of_value(other)),
    }
}

/// [`array_of_value`] of a string.
pub fn str_array(s: &str) -> Vec<Value> {
    let t = s.trim();
    if t.is_empty() {
        return Vec::new();
    }
    if t.starts_with('[') {
        if let Ok(Value::Array(a)) = serde_json::from_str::<Value>(t) {
            return a;
        }
    }
    vec![Value::String(t.to_string())]
}

/// What the shared builders read from one object. [`Fields`] serves every spelling; the
/// typed fast paths ([`crate::flat`]) serve exact shapes without a `Value` tree. Both must
/// answer exactly alike for the same object.
pub trait FieldSrc {
    /// Like [`Fields::str`].
    fn str(&self, names: &[&str]) -> Option<String>;
    /// Like [`Fields::int`].
    fn int(&self, names: &[&str]) -> Option<i64>;
    /// Like [`Fields::bool`].
    fn bool(&self, names: &[&str]) -> Option<bool>;
    /// Like [`Fields::has`].
    fn has(&self, names: &[&str]) -> bool;
    /// Like [`Fields::array`], borrowing an array member.
    fn array(&self, names: &[&str]) -> Option<Cow<'_, [Value]>>;
    /// Like [`Fields::object_ref`].
    fn object(&self, names: &[&str]) -> Option<Cow<'_, Map<String, Value>>>;
    /// The first present, non-null member among `names` when it is a string.
    fn get_str(&self, names: &[&str]) -> Option<&str>;
    /// Like [`Fields::float`].
    fn float(&self, names: &[&str]) -> Option<f64>;
    /// The object member that [`FieldSrc::object`] would answer for, as a source of its
    /// own, when this source already holds it parsed that way (the typed fast paths);
    /// `None` leaves it to [`FieldSrc::object`].
    fn sub_object(&self, _names: &[&str]) -> Option<&dyn FieldSrc> {
        None
    }
    /// The objects of the array member that [`FieldSrc::array`] would answer for, as
    /// sources of their own, when this source already holds them parsed that way (every
    /// element an object); `None` leaves it to [`FieldSrc::array`].
    fn sub_objects(&self, _names: &[&str]) -> Option<Vec<&dyn FieldSrc>> {
        None
    }
}

impl FieldSrc for Fields<'_> {
    fn str(&self, names: &[&str]) -> Option<String> {
        Fields::str(self, names)
    }
    fn int(&self, names: &[&str]) -> Option<i64> {
        Fields::int(self, names)
    }
    fn bool(&self, names: &[&str]) -> Option<bool> {
        Fields::bool(self, names)
    }
    fn has(&self, names: &[&str]) -> bool {
        Fields::has(self, names)
    }
    fn array(&self, names: &[&str]) -> Option<Cow<'_, [Value]>> {
        self.get(names).map(array_cow)
    }
    fn object(&self, names: &[&str]) -> Option<Cow<'_, Map<String, Value>>> {
        Fields::object_ref(self, names)
    }
    fn get_str(&self, names: &[&str]) -> Option<&str> {
        self.get(names).and_then(Value::as_str)
    }
    fn float(&self, names: &[&str]) -> Option<f64> {
        Fields::float(self, names)
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

    #[test]
    fn key_is_matches_norm_key() {
        for raw in [
            "EventDataId",
            "event_data_id",
            "EVENT-DATA.ID",
            "x",
            "",
            "évent_Id",
            "a b",
        ] {
            let n = norm_key(raw);
            assert!(key_is(raw, &n), "{raw}");
            assert!(!key_is(raw, &format!("{n}x")), "{raw}");
        }
        let names = [
            "eventdataid",
            "eventdata",
            "x",
            "",
            "ab",
            "date(utc)",
            "Event_Data",
            "ipaddress(seenbyresource)",
            "évent_id",
        ];
        for raw in [
            "EventDataId",
            "event_data_id",
            "EVENT-DATA.ID",
            "x",
            "X_",
            "",
            "évent_Id",
            "Date (UTC)",
            "IP address (seen by resource)",
            "a b",
        ] {
            let k = Key::new(Cow::Borrowed(raw));
            for n in names {
                assert_eq!(k.is(n), key_is(raw, n), "{raw} / {n}");
            }
        }
        assert!(!key_is("eventdataid", "eventdata"));
        assert!(!key_is("eventdata", "eventdataid"));
    }
}
