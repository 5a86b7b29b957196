//! Text encoding detection and transcoding to UTF-8.
//!
//! Byte-order marks decide first (UTF-8, UTF-16LE/BE). Without one, a NUL-interleaved
//! start means BOM-less UTF-16; otherwise a sample is checked for UTF-8 and anything that
//! is not UTF-8 is read as Windows-1252 (what Windows PowerShell's `Set-Content` writes).

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};
use encoding_rs_io::DecodeReaderBytesBuilder;
use std::io::{self, BufRead, BufReader, Read};

/// Returns the encoding's name and a reader of UTF-8 bytes with any BOM removed.
pub fn decode<'a>(rdr: Box<dyn Read + 'a>) -> io::Result<(&'static str, Box<dyn Read + 'a>)> {
    let mut br = BufReader::with_capacity(1 << 16, rdr);
    let head = br.fill_buf()?.to_vec();
    let enc: Option<&'static Encoding> = if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        Some(UTF_8)
    } else if head.starts_with(&[0xFF, 0xFE]) {
        Some(UTF_16LE)
    } else if head.starts_with(&[0xFE, 0xFF]) {
        Some(UTF_16BE)
    } else if head.len() >= 4 && head[0] != 0 && head[1] == 0 && head[3] == 0 {
        Some(UTF_16LE)
    } else if head.len() >= 4 && head[0] == 0 && head[1] != 0 && head[2] == 0 {
        Some(UTF_16BE)
    } else if looks_utf8(&head) {
        None
    } else {
        Some(WINDOWS_1252)
    };
    let name = enc.map(|e| e.name()).unwrap_or("UTF-8");
    if enc.is_none() || enc == Some(UTF_8) {
        // Pass UTF-8 through untouched (after the BOM); invalid sequences later in the file
        // are caught per record.
        if enc == Some(UTF_8) {
            br.consume(3);
        }
        return Ok(("UTF-8", Box::new(br)));
    }
    let dec = DecodeReaderBytesBuilder::new()
        .encoding(enc)
        .bom_sniffing(true)
        .strip_bom(true)
        .build(br);
    Ok((name, Box::new(dec)))
}

/// True when `b` is valid UTF-8, allowing a sequence cut off at the end of the sample.
fn looks_utf8(b: &[u8]) -> bool {
    match std::str::from_utf8(b) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && b.len() - e.valid_up_to() < 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(bytes: Vec<u8>) -> (&'static str, String) {
        let (name, mut r) = decode(Box::new(io::Cursor::new(bytes))).unwrap();
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        (name, s)
    }

    #[test]
    fn boms_and_fallbacks() {
        assert_eq!(
            roundtrip(b"\xEF\xBB\xBF[1]".to_vec()),
            ("UTF-8", "[1]".into())
        );
        let mut le = vec![0xFF, 0xFE];
        for u in "[\"é\"]".encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(roundtrip(le), ("UTF-16LE", "[\"é\"]".into()));
        let mut be = vec![0xFE, 0xFF];
        for u in "{}".encode_utf16() {
            be.extend_from_slice(&u.to_be_bytes());
        }
        assert_eq!(roundtrip(be), ("UTF-16BE", "{}".into()));
        let mut nobom = Vec::new();
        for u in "{\"a\":1}".encode_utf16() {
            nobom.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(roundtrip(nobom).1, "{\"a\":1}");
        assert_eq!(
            roundtrip(b"caf\xe9,1".to_vec()),
            ("windows-1252", "café,1".into())
        );
        assert_eq!(
            roundtrip("café".as_bytes().to_vec()),
            ("UTF-8", "café".into())
        );
    }
}
