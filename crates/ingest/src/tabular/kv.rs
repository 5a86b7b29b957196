//! PowerShell's multi-line `key : value` text, as `PSDictionaryElement`,
//! `PSEventDataAuthorization` and `PSEventDataHttpRequest` render it (formats.md §2.2).
//!
//! Each pair is `key.PadRight(15) + ": " + value` on its own line; long URI keys are not
//! padded. A line that is not a pair continues the previous value (a value wrapped by the
//! console, or a key whose value moved to the next line).

/// Splits one logical line into a key and a value, or `None` when it is not a pair.
///
/// The key ends at the first `": "` (URI keys contain `:` but never `": "`) or at a final
/// `:`. Keys hold no whitespace (padding is trimmed) and no JSON punctuation.
pub fn split_pair(line: &str) -> Option<(&str, &str)> {
    let t = line.trim();
    let (k, v) = match t.find(": ") {
        Some(i) => (&t[..i], &t[i + 2..]),
        None => (t.strip_suffix(':')?, ""),
    };
    let k = k.trim_end();
    let ok = !k.is_empty()
        && k.len() <= 200
        && !k.contains(char::is_whitespace)
        && !k.contains(['"', '{', '}', '[', ']', ',']);
    ok.then(|| (k, v.trim()))
}

/// Parses the lines of one multi-line cell or list value into ordered pairs.
pub fn parse_pairs<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.trim().is_empty() {
            continue;
        }
        match (split_pair(line), out.last_mut()) {
            (Some((k, v)), _) => out.push((k.to_string(), v.to_string())),
            (None, Some((_, prev))) => {
                let t = line.trim();
                if !prev.is_empty() {
                    prev.push(' ');
                }
                prev.push_str(t);
            }
            // Text before the first pair: keep it under an empty key so nothing is lost.
            (None, None) => out.push((String::new(), line.trim().to_string())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs() {
        let cell = "\r\naud            : https://management.core.windows.net/\r\n\
            http://schemas.microsoft.com/identity/claims/objectidentifier: 0b0b\r\n\
            http://schemas.microsoft.com/identity/claims/scope:\r\nuser_impersonation\r\n\
            Role      : \r\nname           : A: B";
        let p = parse_pairs(cell.lines());
        assert_eq!(p.len(), 5);
        assert_eq!(
            p[0],
            ("aud".into(), "https://management.core.windows.net/".into())
        );
        assert_eq!(
            p[1].0,
            "http://schemas.microsoft.com/identity/claims/objectidentifier"
        );
        assert_eq!(p[2].1, "user_impersonation");
        assert_eq!(p[3], ("Role".into(), "".into()));
        assert_eq!(p[4].1, "A: B");
        assert_eq!(split_pair("{\"a\": 1}"), None);
        assert_eq!(split_pair("plain text"), None);
    }
}
