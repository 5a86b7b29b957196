//! Lenient access to decoded JSON bodies: case-insensitive keys, dotted paths, bounded
//! recursive search. Bodies are attacker-controlled, so nothing here trusts shapes.

use serde_json::Value;

/// Deepest nesting searched by [`find_all`].
const MAX_DEPTH: usize = 16;
/// Most values returned by [`find_all`].
const MAX_HITS: usize = 256;

/// A member of an object by case-insensitive key.
pub fn key<'a>(v: &'a Value, k: &str) -> Option<&'a Value> {
    v.as_object()?
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(k))
        .map(|(_, v)| v)
}

/// A value by dotted path (`properties.hardwareProfile.vmSize`), case-insensitive.
pub fn path<'a>(v: &'a Value, p: &str) -> Option<&'a Value> {
    p.split('.').try_fold(v, |cur, k| key(cur, k))
}

/// A string by dotted path; numbers and booleans are rendered as text.
pub fn text(v: &Value, p: &str) -> Option<String> {
    scalar_text(path(v, p)?)
}

/// A scalar rendered as text (strings trimmed); `None` for null, arrays and objects.
pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A value that may be a string or a list of strings, as a list.
pub fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(scalar_text).collect(),
        Some(other) => scalar_text(other).into_iter().collect(),
        None => Vec::new(),
    }
}

/// A boolean that may be logged as `true` or `"True"`.
pub fn boolean(v: &Value, p: &str) -> Option<bool> {
    match path(v, p)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// Every value under a key named `k` (case-insensitive), anywhere in `v`, depth-bounded.
pub fn find_all<'a>(v: &'a Value, k: &str) -> Vec<&'a Value> {
    fn walk<'a>(v: &'a Value, k: &str, depth: usize, out: &mut Vec<&'a Value>) {
        if depth > MAX_DEPTH || out.len() >= MAX_HITS {
            return;
        }
        match v {
            Value::Object(m) => {
                for (name, child) in m {
                    if name.eq_ignore_ascii_case(k) && out.len() < MAX_HITS {
                        out.push(child);
                    }
                    walk(child, k, depth + 1, out);
                }
            }
            Value::Array(a) => {
                for child in a {
                    walk(child, k, depth + 1, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, k, 0, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_are_case_insensitive() {
        let v = json!({"Properties": {"RoleDefinitionId": "x", "n": 3, "b": "True"}});
        assert_eq!(
            text(&v, "properties.roleDefinitionId").as_deref(),
            Some("x")
        );
        assert_eq!(text(&v, "properties.n").as_deref(), Some("3"));
        assert_eq!(boolean(&v, "properties.b"), Some(true));
        assert_eq!(text(&v, "properties.missing"), None);
        assert_eq!(text(&json!("str"), "a.b"), None);
    }

    #[test]
    fn find_all_is_bounded() {
        let v = json!({"a": [{"vmSize": "x"}, {"b": {"VMSIZE": "y"}}]});
        assert_eq!(find_all(&v, "vmsize").len(), 2);
        let mut deep = json!("leaf");
        for _ in 0..100 {
            deep = json!({ "vmSize": deep });
        }
        assert!(find_all(&deep, "vmSize").len() <= MAX_DEPTH + 1);
    }
}
