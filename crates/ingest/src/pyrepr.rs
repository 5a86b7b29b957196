//! Python literal text (`{'a': 1, 'b': True, 'c': None}`) to JSON.
//!
//! pandas-based tools (msticpy, msticnb) sometimes write Log Analytics dynamic columns as
//! the Python `repr` of a dict or list instead of JSON. This converts that text, and only
//! that: strings in single or double quotes, numbers, `True`/`False`/`None`/`nan`, lists,
//! tuples and dicts. Anything else gives `None`. Input is hostile: no recursion limit is
//! needed because nesting depth is bounded by `MAX_DEPTH`.

use serde_json::Value;

const MAX_DEPTH: usize = 64;

/// Converts Python literal text to a JSON value.
pub fn to_json(s: &str) -> Option<Value> {
    let mut out = String::with_capacity(s.len() + 8);
    let b: Vec<char> = s.chars().collect();
    let mut i = 0usize;
    let mut depth = 0usize;
    while i < b.len() {
        let c = b[i];
        match c {
            '\'' | '"' => {
                let q = c;
                out.push('"');
                i += 1;
                loop {
                    let c = *b.get(i)?;
                    i += 1;
                    match c {
                        '\\' => {
                            let e = *b.get(i)?;
                            i += 1;
                            match e {
                                '\'' => out.push('\''),
                                '"' => out.push_str("\\\""),
                                'n' => out.push_str("\\n"),
                                'r' => out.push_str("\\r"),
                                't' => out.push_str("\\t"),
                                '\\' => out.push_str("\\\\"),
                                other => {
                                    out.push_str("\\\\");
                                    push_escaped(&mut out, other);
                                }
                            }
                        }
                        c if c == q => break,
                        c => push_escaped(&mut out, c),
                    }
                }
                out.push('"');
            }
            '{' | '[' | '(' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return None;
                }
                out.push(if c == '(' { '[' } else { c });
                i += 1;
            }
            '}' | ']' | ')' => {
                depth = depth.checked_sub(1)?;
                // Drop a trailing comma before the close.
                let t = out.trim_end().len();
                out.truncate(t);
                if out.ends_with(',') {
                    out.pop();
                }
                out.push(if c == ')' { ']' } else { c });
                i += 1;
            }
            c if c.is_ascii_alphabetic() => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == '_') {
                    i += 1;
                }
                let w: String = b[start..i].iter().collect();
                match w.as_str() {
                    "True" => out.push_str("true"),
                    "False" => out.push_str("false"),
                    "None" | "nan" | "NaN" | "inf" => out.push_str("null"),
                    _ => return None,
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    serde_json::from_str(&out).ok()
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn converts_dicts_and_lists() {
        assert_eq!(
            to_json("{'errorCode': 0, 'ok': True, 'x': None, 'l': ['a', \"b's\"], 't': (1, 2,)}"),
            Some(json!({"errorCode":0,"ok":true,"x":null,"l":["a","b's"],"t":[1,2]}))
        );
        assert_eq!(to_json("{'a': 'it\\'s'}"), Some(json!({"a":"it's"})));
        assert_eq!(to_json("{'a': os.system}"), None);
        assert_eq!(to_json("{'a': 'unterminated"), None);
        assert_eq!(to_json("}}}"), None);
    }
}
