//! Byte-level JSON value scanning: where does the value starting here end?

/// The outcome of scanning one JSON value.
#[derive(Debug, PartialEq, Eq)]
pub enum Scan {
    /// The value ends just before this index.
    Complete(usize),
    /// The buffer ends before the value does.
    Incomplete,
    /// The value is malformed; framing should resume after this index (a newline).
    Broken(usize, &'static str),
}

const STRUCT: [bool; 256] = {
    let mut t = [false; 256];
    t[b'"' as usize] = true;
    t[b'{' as usize] = true;
    t[b'}' as usize] = true;
    t[b'[' as usize] = true;
    t[b']' as usize] = true;
    t[b'\n' as usize] = true;
    t
};

/// Scans the JSON value starting at `buf[start]` (which must not be whitespace).
///
/// With `line_mode`, a raw newline before the value ends means the record is broken
/// (JSON Lines records never span lines), and framing resumes after it. Without it, raw
/// newlines inside strings are tolerated so a repair pass can try to read the record.
/// `at_eof` says no more bytes will come, which completes a bare scalar.
pub fn scan_value(buf: &[u8], start: usize, line_mode: bool, at_eof: bool) -> Scan {
    let Some(&first) = buf.get(start) else {
        return Scan::Incomplete;
    };
    // A stray closing bracket where a value should start (`[}`): consume it, or the
    // framer would emit empty frames forever.
    if first == b'}' || first == b']' {
        return Scan::Broken(start + 1, "unbalanced closing bracket");
    }
    if first != b'{' && first != b'[' && first != b'"' {
        return scan_scalar(buf, start, line_mode, at_eof);
    }
    let mut depth: usize = 0;
    let mut i = start;
    let n = buf.len();
    while i < n {
        let c = buf[i];
        if !STRUCT[c as usize] {
            i += 1;
            continue;
        }
        match c {
            b'"' => match scan_string(buf, i + 1, line_mode) {
                Scan::Complete(e) => {
                    i = e;
                    if depth == 0 {
                        return Scan::Complete(i);
                    }
                    continue;
                }
                other => return other,
            },
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                if depth == 0 {
                    return Scan::Broken(i + 1, "unbalanced closing bracket");
                }
                depth -= 1;
                if depth == 0 {
                    return Scan::Complete(i + 1);
                }
            }
            b'\n' if line_mode => {
                return Scan::Broken(i + 1, "record ends at a line break before it is complete")
            }
            _ => {}
        }
        i += 1;
    }
    Scan::Incomplete
}

/// Scans a string body starting after its opening quote; returns the index after the
/// closing quote.
pub fn scan_string(buf: &[u8], mut i: usize, line_mode: bool) -> Scan {
    let n = buf.len();
    loop {
        let hit = if line_mode {
            memchr::memchr3(b'"', b'\\', b'\n', &buf[i..])
        } else {
            memchr::memchr2(b'"', b'\\', &buf[i..])
        };
        match hit {
            None => return Scan::Incomplete,
            Some(k) => {
                let j = i + k;
                match buf[j] {
                    b'"' => return Scan::Complete(j + 1),
                    b'\\' => {
                        if j + 1 >= n {
                            return Scan::Incomplete;
                        }
                        if line_mode && buf[j + 1] == b'\n' {
                            return Scan::Broken(
                                j + 2,
                                "record ends at a line break inside a string",
                            );
                        }
                        i = j + 2;
                    }
                    _ => return Scan::Broken(j + 1, "record ends at a line break inside a string"),
                }
            }
        }
    }
}

fn scan_scalar(buf: &[u8], start: usize, line_mode: bool, at_eof: bool) -> Scan {
    for (k, &c) in buf[start..].iter().enumerate() {
        match c {
            b',' | b']' | b'}' | b' ' | b'\t' | b'\r' => return Scan::Complete(start + k),
            b'\n' => {
                let _ = line_mode;
                return Scan::Complete(start + k);
            }
            b'{' | b'[' | b'"' if k > 0 => return Scan::Complete(start + k),
            _ => {}
        }
    }
    if at_eof {
        Scan::Complete(buf.len())
    } else {
        Scan::Incomplete
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_and_strings() {
        let b = br#"{"a":"x}\"y","b":[1,{"c":2}]} tail"#;
        assert_eq!(scan_value(b, 0, true, false), Scan::Complete(29));
        assert_eq!(scan_value(br#"{"a":1"#, 0, true, false), Scan::Incomplete);
        assert!(matches!(
            scan_value(b"{\"a\":\"x\n{\"b\":1}", 0, true, false),
            Scan::Broken(8, _)
        ));
        assert_eq!(
            scan_value(b"{\"a\":\"x\ny\"}", 0, false, false),
            Scan::Complete(11)
        );
        assert_eq!(scan_value(b"123,", 0, true, false), Scan::Complete(3));
        assert_eq!(scan_value(b"true", 0, true, true), Scan::Complete(4));
    }
}
