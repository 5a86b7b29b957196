//! Fast JSON output helpers that give exactly the bytes `serde_json` gives: a string
//! writer that skips plain 8-byte blocks at once, and a JSON Lines writer that serializes
//! each item into memory before handing large blocks to the (usually dynamic) writer.

use std::io::{self, Write};

use crate::words::{has, has_control, skip_plain};

/// Whether any byte of `x` is below 0x20, a `"` or a `\`.
#[inline]
fn needs_escape(x: u64) -> bool {
    has_control(x) || has(x, b'"') || has(x, b'\\')
}

/// Appends `s` as a JSON string (with its quotes), escaped as `serde_json` escapes it:
/// `"` and `\` with a backslash, `\b \f \n \r \t` by name, other control characters as
/// `\u00xx`; everything else (including non-ASCII) as is.
pub fn str_into(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    out.reserve(b.len() + 2);
    out.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        let j = skip_plain(b, i, needs_escape);
        if j > i {
            i = j;
            continue;
        }
        let c = b[i];
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x0C => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1F => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(&b[start..i]);
                out.extend_from_slice(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[(c >> 4) as usize],
                    HEX[(c & 0xF) as usize],
                ]);
                i += 1;
                start = i;
                continue;
            }
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&b[start..i]);
        out.extend_from_slice(esc);
        i += 1;
        start = i;
    }
    out.extend_from_slice(&b[start..]);
    out.push(b'"');
}

/// Appends `m` as compact JSON, exactly as `serde_json::to_writer` writes it (members in
/// the map's order, strings through [`str_into`]).
pub fn map_into(out: &mut Vec<u8>, m: &serde_json::Map<String, serde_json::Value>) {
    out.push(b'{');
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        str_into(out, k);
        out.push(b':');
        value_into(out, v);
    }
    out.push(b'}');
}

/// Appends `v` as compact JSON, exactly as `serde_json::to_writer` writes it. (It recurses
/// as deep as the value nests; parsed values nest at most `serde_json`'s limit, 128.)
pub fn value_into(out: &mut Vec<u8>, v: &serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::String(s) => str_into(out, s),
        Value::Object(m) => map_into(out, m),
        Value::Array(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                value_into(out, x);
            }
            out.push(b']');
        }
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        // serde_json's own digits (writing to memory cannot fail).
        Value::Number(n) => {
            let _ = serde_json::to_writer(&mut *out, n);
        }
    }
}

/// Bytes gathered in memory before they are written on.
const BLOCK: usize = 1 << 16;

/// JSON Lines: one compact `serde_json` value per line, streamed to `w` in large blocks.
pub fn lines_to<T: serde::Serialize>(w: &mut dyn Write, items: &[T]) -> io::Result<()> {
    let mut buf = Vec::with_capacity(BLOCK + BLOCK / 4);
    for x in items {
        serde_json::to_writer(&mut buf, x)?;
        buf.push(b'\n');
        if buf.len() >= BLOCK {
            w.write_all(&buf)?;
            buf.clear();
        }
    }
    w.write_all(&buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn strings_match_serde_json() {
        let mut cases: Vec<String> = vec![
            String::new(),
            "plain ascii text, long enough for whole blocks".into(),
            "q\"uo\\te\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f} é😀 </script>".into(),
            "\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}".into(),
            "abcdefg\"".into(),
            "abcdefgh\\".into(),
            "ÿÿÿÿÿÿÿÿ\u{1b}".into(),
        ];
        // Every byte value below 0x80 at every position of a block, and next to
        // non-ASCII bytes (0xC0..0xFF lead bytes and continuation bytes).
        for c in 0u8..0x80 {
            for pos in 0..10 {
                let c = c as char;
                cases.push(format!("{}{c}é€ghijklmnop", "a".repeat(pos)));
                cases.push(format!("{}{c}xyz", "é".repeat(pos)));
            }
        }
        for s in &cases {
            let mut got = Vec::new();
            str_into(&mut got, s);
            assert_eq!(got, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
    }

    fn value() -> impl Strategy<Value = serde_json::Value> {
        use serde_json::Value;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            ".{0,12}".prop_map(Value::String),
            "[\\x00-\\x1f\"\\\\a-z\u{e9}]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::vec((".{0,6}", inner), 0..5)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Any value, nested or not, is written byte for byte as serde_json writes it.
        #[test]
        fn values_match_serde_json(v in value()) {
            let mut got = Vec::new();
            value_into(&mut got, &v);
            prop_assert_eq!(got, serde_json::to_vec(&v).unwrap());
        }
    }

    #[test]
    fn lines_match_one_value_per_line() {
        let items: Vec<String> = (0..20_000).map(|i| format!("item {i}\n")).collect();
        let mut got = Vec::new();
        lines_to(&mut got, &items).unwrap();
        let mut want = Vec::new();
        for x in &items {
            serde_json::to_writer(&mut want, x).unwrap();
            want.push(b'\n');
        }
        assert_eq!(got, want);
    }
}
