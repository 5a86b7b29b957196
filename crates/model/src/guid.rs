//! GUID normalization and token-identifier decoding.
//!
//! Azure writes the same GUID many ways: upper or lower case, with or without hyphens
//! (`authorization.evidence`), in braces, or at the end of an ARM path. Token ids come in
//! two base64 encodings (formats.md §7.3). Everything is normalized to a lower-case,
//! hyphenated [`Guid`] before comparison.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A GUID in canonical form (16 bytes, RFC 4122 textual order).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Guid(pub [u8; 16]);

impl Guid {
    /// Parses `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, 32 bare hex digits, braces, any case,
    /// surrounding whitespace. Returns `None` for anything else.
    pub fn parse(s: &str) -> Option<Guid> {
        let s = s.trim();
        let s = s
            .strip_prefix('{')
            .and_then(|x| x.strip_suffix('}'))
            .unwrap_or(s);
        let b = s.as_bytes();
        let mut out = [0u8; 16];
        match b.len() {
            32 => {
                for (o, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
                    *o = hex_pair(pair[0], pair[1])?;
                }
            }
            36 => {
                if b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
                    return None;
                }
                for (o, &at) in out.iter_mut().zip(HYPHENATED.iter()) {
                    *o = hex_pair(b[at], b[at + 1])?;
                }
            }
            _ => return None,
        }
        Some(Guid(out))
    }

    /// True when `s` is exactly the canonical text of a GUID (lower-case hex, hyphenated,
    /// no surrounding whitespace or braces): `Guid::parse(s)` then displays as `s` itself.
    pub fn is_canonical(s: &str) -> bool {
        let b = s.as_bytes();
        b.len() == 36
            && b[8] == b'-'
            && b[13] == b'-'
            && b[18] == b'-'
            && b[23] == b'-'
            && HYPHENATED
                .iter()
                .all(|&at| LOWER_HEX[usize::from(b[at])] && LOWER_HEX[usize::from(b[at + 1])])
    }

    /// Parses the trailing GUID of an ARM path such as
    /// `/subscriptions/…/providers/Microsoft.Authorization/roleDefinitions/<guid>`.
    pub fn parse_trailing(s: &str) -> Option<Guid> {
        let last = s.trim().trim_end_matches('/').rsplit('/').next()?;
        Guid::parse(last)
    }

    /// Builds a GUID from .NET `Guid.ToByteArray()` order (little-endian first three fields).
    pub fn from_bytes_le(b: [u8; 16]) -> Guid {
        let mut o = b;
        o[0..4].reverse();
        o[4..6].reverse();
        o[6..8].reverse();
        Guid(o)
    }

    /// The .NET `ToByteArray()` order of this GUID.
    pub fn to_bytes_le(self) -> [u8; 16] {
        let mut o = self.0;
        o[0..4].reverse();
        o[4..6].reverse();
        o[6..8].reverse();
        o
    }

    /// The `uti` claim form of a sign-in Request ID: base64url, no padding, of the
    /// little-endian GUID bytes (`a08869a8-…` → `qGmIoBU75EaN4yc4SeYBAA`).
    pub fn to_uti(self) -> String {
        URL_SAFE_NO_PAD.encode(self.to_bytes_le())
    }
}

/// Where each byte's two hex digits start in the hyphenated `8-4-4-4-12` form.
const HYPHENATED: [usize; 16] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/// Hex digit values; 0xff for bytes that are not hex digits.
const HEX_VALUE: [u8; 256] = {
    let mut t = [0xffu8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// Lower-case hex digits.
const LOWER_HEX: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = HEX_VALUE[i] != 0xff && !(i as u8).is_ascii_uppercase();
        i += 1;
    }
    t
};

/// The byte of two hex digits, any case.
fn hex_pair(hi: u8, lo: u8) -> Option<u8> {
    let (h, l) = (HEX_VALUE[usize::from(hi)], HEX_VALUE[usize::from(lo)]);
    ((h | l) & 0xf0 == 0).then_some((h << 4) | l)
}

impl Guid {
    /// The lower-case hyphenated text (`8-4-4-4-12`) as ASCII bytes, written without
    /// per-byte formatting.
    pub fn canonical_bytes(self) -> [u8; 36] {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 36];
        let mut i = 0;
        for (n, b) in self.0.iter().enumerate() {
            if matches!(n, 4 | 6 | 8 | 10) {
                out[i] = b'-';
                i += 1;
            }
            out[i] = HEX[usize::from(b >> 4)];
            out[i + 1] = HEX[usize::from(b & 0xf)];
            i += 2;
        }
        out
    }
}

impl fmt::Display for Guid {
    /// Lower-case hyphenated form (`8-4-4-4-12`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only ASCII hex digits and hyphens were written.
        f.write_str(std::str::from_utf8(&self.canonical_bytes()).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Guid({self})")
    }
}

impl From<Guid> for String {
    fn from(g: Guid) -> String {
        g.to_string()
    }
}

impl TryFrom<String> for Guid {
    type Error = String;
    fn try_from(s: String) -> Result<Guid, String> {
        Guid::parse(&s).ok_or_else(|| format!("not a GUID: {s}"))
    }
}

/// How a token identifier was encoded, for the evidence trail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenIdEncoding {
    /// base64 or base64url of the 16 GUID bytes in .NET order (the `uti` claim form).
    GuidBytes,
    /// base64 of the 36-character ASCII GUID text (2022-era diagnostic exports).
    GuidText,
    /// Already a GUID in text form.
    Plain,
}

/// Decodes a token identifier (`uti` claim, `uniqueTokenIdentifier`, `signInActivityId`)
/// to the GUID it carries, accepting padded or unpadded base64 and base64url.
pub fn decode_token_id(s: &str) -> Option<(Guid, TokenIdEncoding)> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Some(g) = Guid::parse(s) {
        return Some((g, TokenIdEncoding::Plain));
    }
    let bytes = [URL_SAFE_NO_PAD, URL_SAFE, STANDARD_NO_PAD, STANDARD]
        .iter()
        .find_map(|e| e.decode(s).ok())?;
    match bytes.len() {
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(&bytes);
            Some((Guid::from_bytes_le(a), TokenIdEncoding::GuidBytes))
        }
        36 | 32 | 38 => {
            let text = std::str::from_utf8(&bytes).ok()?;
            Guid::parse(text).map(|g| (g, TokenIdEncoding::GuidText))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_matches_byte_formatting() {
        for seed in 0u8..=255 {
            let b: [u8; 16] =
                std::array::from_fn(|i| seed.wrapping_mul(31).wrapping_add(i as u8 * 17));
            let want = format!(
                "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
                b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]
            );
            assert_eq!(Guid(b).to_string(), want);
        }
    }

    #[test]
    fn parses_forms() {
        let a = Guid::parse("8E3AF657-A8FF-443C-A75C-2FE8C4BCB635").unwrap();
        let b = Guid::parse("8e3af657a8ff443ca75c2fe8c4bcb635").unwrap();
        let c = Guid::parse("{8e3af657-a8ff-443c-a75c-2fe8c4bcb635}").unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a.to_string(), "8e3af657-a8ff-443c-a75c-2fe8c4bcb635");
        assert!(Guid::parse("12345678-9abc-defg-hijk-lmnopqrstuvw").is_none());
        assert!(Guid::parse("8e3af657-a8ff443c-a75c-2fe8c4bcb6355").is_none());
    }

    #[test]
    fn canonical_text_is_its_own_display() {
        for s in [
            "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
            "8E3AF657-A8FF-443C-A75C-2FE8C4BCB635",
            "8e3af657a8ff443ca75c2fe8c4bcb635",
            " 8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
            "{8e3af657-a8ff-443c-a75c-2fe8c4bcb635}",
            "8e3af657-a8ff-443c-a75c-2fe8c4bcb63g",
            "8e3af657-a8ff-443c-a75c-2fe8c4bcb6-5",
            "8e3af657-a8ff-443c-a75c2-fe8c4bcb635",
        ] {
            if Guid::is_canonical(s) {
                assert_eq!(Guid::parse(s).unwrap().to_string(), s);
            } else {
                assert!(Guid::parse(s).is_none_or(|g| g.to_string() != s), "{s}");
            }
        }
        assert!(Guid::is_canonical("8e3af657-a8ff-443c-a75c-2fe8c4bcb635"));
    }

    /// The per-digit reference parser the table-driven one replaced.
    fn parse_reference(s: &str) -> Option<Guid> {
        let s = s.trim();
        let s = s
            .strip_prefix('{')
            .and_then(|x| x.strip_suffix('}'))
            .unwrap_or(s);
        let bytes = s.as_bytes();
        match bytes.len() {
            32 => {}
            36 if bytes[8] == b'-'
                && bytes[13] == b'-'
                && bytes[18] == b'-'
                && bytes[23] == b'-' => {}
            _ => return None,
        }
        let digits: Vec<u8> = bytes
            .iter()
            .filter(|&&b| !(b == b'-' && bytes.len() == 36))
            .map(|&b| (b as char).to_digit(16).map(|d| d as u8))
            .collect::<Option<_>>()?;
        (digits.len() == 32).then(|| {
            Guid(std::array::from_fn(|i| {
                (digits[2 * i] << 4) | digits[2 * i + 1]
            }))
        })
    }

    #[test]
    fn parse_matches_reference_on_mutations() {
        let base = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
        let mut cases = vec![base.to_string(), base.replace('-', ""), base.to_uppercase()];
        for i in 0..base.len() {
            for c in ['-', 'g', 'F', ' ', '0', '{'] {
                let mut b = base.as_bytes().to_vec();
                b[i] = c as u8;
                cases.push(String::from_utf8(b).unwrap());
            }
        }
        for s in &cases {
            assert_eq!(Guid::parse(s), parse_reference(s), "{s:?}");
            assert_eq!(
                Guid::is_canonical(s),
                Guid::parse(s).is_some_and(|g| g.to_string() == *s),
                "{s:?}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn parse_matches_reference(s in "[ {]?[0-9a-fA-Fg-]{30,38}[} ]?") {
            proptest::prop_assert_eq!(Guid::parse(&s), parse_reference(&s));
            proptest::prop_assert_eq!(
                Guid::is_canonical(&s),
                Guid::parse(&s).is_some_and(|g| g.to_string() == s)
            );
        }
    }

    #[test]
    fn trailing_guid_of_path() {
        let g = Guid::parse_trailing(
            "/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c",
        );
        assert_eq!(
            g.unwrap().to_string(),
            "b24988ac-6180-42a0-ab88-20f7382dd24c"
        );
    }

    #[test]
    fn uti_round_trip_matches_formats_md() {
        let g = Guid::parse("a08869a8-3b15-46e4-8de3-273849e60100").unwrap();
        assert_eq!(g.to_uti(), "qGmIoBU75EaN4yc4SeYBAA");
        let (d, enc) = decode_token_id("qGmIoBU75EaN4yc4SeYBAA").unwrap();
        assert_eq!(d, g);
        assert_eq!(enc, TokenIdEncoding::GuidBytes);
        let (d, _) = decode_token_id("cRZ8-NDqNECeq2PmIKW8Ag").unwrap();
        assert_eq!(d.to_string(), "f87c1671-ead0-4034-9eab-63e620a5bc02");
    }

    #[test]
    fn decodes_base64_of_guid_text() {
        let (d, enc) = decode_token_id("YTA4ODY5YTgtM2IxNS00NmU0LThkZTMtMjczODQ5ZTYwMTAw").unwrap();
        assert_eq!(d.to_string(), "a08869a8-3b15-46e4-8de3-273849e60100");
        assert_eq!(enc, TokenIdEncoding::GuidText);
    }

    #[test]
    fn decodes_padded_base64url() {
        let (d, _) = decode_token_id("qGmIoBU75EaN4yc4SeYBAA==").unwrap();
        assert_eq!(d.to_string(), "a08869a8-3b15-46e4-8de3-273849e60100");
    }
}
