//! Lenient repair of almost-JSON records.
//!
//! Some published samples and hand-edited exports carry raw line breaks inside strings or
//! trailing commas. A record that fails strict parsing gets one repair attempt; when it
//! succeeds the record is kept and says it was repaired.

/// Escapes raw control characters inside strings and drops commas that directly precede
/// `]` or `}`. Returns `None` when nothing needed changing.
pub fn repair(bytes: &[u8]) -> Option<(Vec<u8>, Vec<&'static str>)> {
    let mut out = Vec::with_capacity(bytes.len() + 16);
    let mut in_str = false;
    let mut esc = false;
    let mut fixed_ctrl = false;
    let mut fixed_comma = false;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if in_str {
            if esc {
                esc = false;
                out.push(c);
            } else if c == b'\\' {
                esc = true;
                out.push(c);
            } else if c == b'"' {
                in_str = false;
                out.push(c);
            } else if c < 0x20 {
                fixed_ctrl = true;
                match c {
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    _ => out.extend_from_slice(format!("\\u{c:04x}").as_bytes()),
                }
            } else {
                out.push(c);
            }
        } else if c == b'"' {
            in_str = true;
            out.push(c);
        } else if c == b',' {
            let next = bytes[i + 1..].iter().find(|b| !b.is_ascii_whitespace());
            if matches!(next, Some(b']') | Some(b'}')) {
                fixed_comma = true;
            } else {
                out.push(c);
            }
        } else {
            out.push(c);
        }
        i += 1;
    }
    let mut what = Vec::new();
    if fixed_ctrl {
        what.push("raw control characters inside strings escaped");
    }
    if fixed_comma {
        what.push("trailing commas removed");
    }
    (!what.is_empty()).then_some((out, what))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixes_both() {
        let (b, w) = repair(b"{\"a\":\"x\ny\",\"b\":[1,2,],}").unwrap();
        assert_eq!(
            std::str::from_utf8(&b).unwrap(),
            "{\"a\":\"x\\ny\",\"b\":[1,2]}"
        );
        assert_eq!(w.len(), 2);
        assert!(repair(b"{\"a\":\"x,]\"}").is_none());
    }
}
