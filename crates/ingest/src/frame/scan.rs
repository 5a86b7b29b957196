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
    let first = buf[start];
    if matches!(first, b'}' | b']' | b',' | b':') {
        return Scan::Broken(
            start + 1,
            "unexpected punctuation where a value should start",
        );
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
        match find_special(buf, i, line_mode) {
            None => return Scan::Incomplete,
            Some(j) => match buf[j] {
                b'"' => return Scan::Complete(j + 1),
                b'\\' => {
                    if j + 1 >= n {
                        return Scan::Incomplete;
                    }
                    if line_mode && buf[j + 1] == b'\n' {
                        return Scan::Broken(j + 2, "record ends at a line break inside a string");
                    }
                    i = j + 2;
                }
                _ => return Scan::Broken(j + 1, "record ends at a line break inside a string"),
            },
        }
    }
}

/// Words of a string body tested 8 bytes at a time before handing the rest to `memchr`:
/// most strings in these records (member names, ids, times) end within them, and the
/// word test costs less than a `memchr` call on a few bytes.
const SHORT_WORDS: usize = 4;

/// The index of the first quote or backslash (or raw newline, with `line_mode`) at or
/// after `i`.
#[inline]
fn find_special(buf: &[u8], i: usize, line_mode: bool) -> Option<usize> {
    let mut at = i;
    for _ in 0..SHORT_WORDS {
        let Some(w) = buf.get(at..at + 8) else {
            break;
        };
        let w = u64::from_le_bytes(w.try_into().unwrap_or_default());
        let mut m = bytes_equal(w, b'"') | bytes_equal(w, b'\\');
        if line_mode {
            m |= bytes_equal(w, b'\n');
        }
        if m != 0 {
            return Some(at + (m.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let rest = buf.get(at..)?;
    let hit = if line_mode {
        memchr::memchr3(b'"', b'\\', b'\n', rest)
    } else {
        memchr::memchr2(b'"', b'\\', rest)
    };
    hit.map(|k| at + k)
}

/// How many bytes of `hay` equal `b`, counted eight at a time.
pub fn count_byte(hay: &[u8], b: u8) -> usize {
    let words = hay.chunks_exact(8);
    let tail = words.remainder().iter().filter(|&&x| x == b).count();
    words
        .map(|w| {
            bytes_equal(u64::from_le_bytes(w.try_into().unwrap_or_default()), b).count_ones()
                as usize
        })
        .sum::<usize>()
        + tail
}

/// The high bit of each byte of `w` (little-endian) that equals `b`, and no other bit.
#[inline]
fn bytes_equal(w: u64, b: u8) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let x = w ^ (u64::from(b) * 0x0101_0101_0101_0101);
    // A byte's high bit ends up set when any of its bits is: no carries between bytes.
    !(((x & LOW7) + LOW7) | x) & !LOW7
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

    /// Byte-by-byte [`find_special`].
    fn find_reference(buf: &[u8], i: usize, line_mode: bool) -> Option<usize> {
        (i..buf.len())
            .find(|&j| buf[j] == b'"' || buf[j] == b'\\' || (line_mode && buf[j] == b'\n'))
    }

    #[test]
    fn count_byte_matches_a_plain_count() {
        let alphabet = [b'"', b'a', 0x80, 0xa2, 0x22 ^ 0x80, 0x00, 0xff, b'\\'];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for len in 0..70 {
            let buf: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    alphabet[(seed % alphabet.len() as u64) as usize]
                })
                .collect();
            for b in [b'"', 0x80, 0xff] {
                let want = buf.iter().filter(|&&x| x == b).count();
                assert_eq!(count_byte(&buf, b), want, "{buf:?}");
            }
        }
    }

    #[test]
    fn word_search_matches_bytewise() {
        let alphabet = [
            b'a',
            b'"',
            b'\\',
            b'\n',
            0x80,
            0xa2,
            0xdc,
            0x22 ^ 0x80,
            0x00,
            0xff,
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for len in 0..80 {
            for _ in 0..40 {
                let buf: Vec<u8> = (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        // Mostly plain bytes, so hits land at every offset.
                        if seed.is_multiple_of(16) {
                            alphabet[(seed >> 8) as usize % alphabet.len()]
                        } else {
                            b'a' + (seed >> 8) as u8 % 26
                        }
                    })
                    .collect();
                for i in 0..=len {
                    for lm in [false, true] {
                        assert_eq!(
                            find_special(&buf, i, lm),
                            find_reference(&buf, i, lm),
                            "{buf:?} {i} {lm}"
                        );
                    }
                }
            }
        }
    }

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
        assert!(matches!(
            scan_value(b"}", 0, true, true),
            Scan::Broken(1, _)
        ));
        assert!(matches!(
            scan_value(b",1", 0, false, false),
            Scan::Broken(1, _)
        ));
    }
}
