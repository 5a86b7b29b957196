//! Escaping for every output language. Log content (user agents, resource names, request
//! bodies) is attacker-controlled; nothing from a log reaches an output without passing
//! through one of these functions.

/// HTML text and attribute escaping.
pub fn html(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            '`' => o.push_str("&#96;"),
            c if c.is_control() && c != '\n' && c != '\t' => {
                o.push_str(&format!("&#x{:x};", c as u32))
            }
            c => o.push(c),
        }
    }
    o
}

/// JSON for embedding inside `<script type="application/json">`: `<`, `>`, `&` and the
/// line separators are escaped so the data can never close the script element.
pub fn json_in_html(json: &str) -> String {
    let mut o = String::with_capacity(json.len() + json.len() / 64);
    let mut rest = json;
    // One pass: copy runs of plain text, replace each special character.
    while let Some(i) = rest.find(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        o.push_str(&rest[..i]);
        let c = rest[i..].chars().next().expect("a character at a match");
        o.push_str(match c {
            '<' => "\\u003c",
            '>' => "\\u003e",
            '&' => "\\u0026",
            '\u{2028}' => "\\u2028",
            _ => "\\u2029",
        });
        rest = &rest[i + c.len_utf8()..];
    }
    o.push_str(rest);
    o
}

/// [`json_in_html`] as a writer: escapes the JSON written to it on its way to `inner`.
/// A character split across two writes is held back until it is complete, so the output
/// is the same as escaping the whole text at once. Call [`JsonInHtml::finish`] at the end.
pub struct JsonInHtml<'w> {
    inner: &'w mut dyn std::io::Write,
    /// The start of a character cut off at the end of the last write (at most 3 bytes).
    held: Vec<u8>,
}

impl<'w> JsonInHtml<'w> {
    pub fn new(inner: &'w mut dyn std::io::Write) -> JsonInHtml<'w> {
        JsonInHtml {
            inner,
            held: Vec::new(),
        }
    }

    /// Writes any held bytes (only an incomplete character, which valid JSON never ends
    /// with) unchanged.
    pub fn finish(mut self) -> std::io::Result<()> {
        let held = std::mem::take(&mut self.held);
        self.inner.write_all(&held)
    }

    fn escape(&mut self, b: &[u8]) -> std::io::Result<()> {
        let mut start = 0;
        let mut i = 0;
        while i < b.len() {
            // Skip 8 bytes at a time while none of them can start an escape.
            let j = crate::words::skip_plain(b, i, has_html_special);
            if j > i {
                i = j;
                continue;
            }
            let rep: Option<(&[u8], usize)> = match b[i] {
                b'<' => Some((b"\\u003c", 1)),
                b'>' => Some((b"\\u003e", 1)),
                b'&' => Some((b"\\u0026", 1)),
                0xE2 if b.get(i + 1) == Some(&0x80) && b.get(i + 2) == Some(&0xA8) => {
                    Some((b"\\u2028", 3))
                }
                0xE2 if b.get(i + 1) == Some(&0x80) && b.get(i + 2) == Some(&0xA9) => {
                    Some((b"\\u2029", 3))
                }
                _ => None,
            };
            match rep {
                Some((r, n)) => {
                    self.inner.write_all(&b[start..i])?;
                    self.inner.write_all(r)?;
                    i += n;
                    start = i;
                }
                None => i += 1,
            }
        }
        self.inner.write_all(&b[start..])
    }
}

/// Whether any byte of `x` is `<`, `>`, `&` or 0xE2 (the first byte of U+2028 and U+2029).
/// Exact: the borrow in the subtraction only spreads above a byte that already matched.
fn has_html_special(x: u64) -> bool {
    use crate::words::has;
    has(x, b'<') || has(x, b'>') || has(x, b'&') || has(x, 0xE2)
}

impl std::io::Write for JsonInHtml<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut data: std::borrow::Cow<'_, [u8]> = buf.into();
        if !self.held.is_empty() {
            let mut joined = std::mem::take(&mut self.held);
            joined.extend_from_slice(buf);
            data = joined.into();
        }
        // Hold back an incomplete UTF-8 sequence at the end (0xE2 starts both separators).
        let n = data.len();
        let cut = (1..=3.min(n))
            .find(|&k| {
                let b = data[n - k];
                // A lead byte whose sequence is longer than what is left.
                let need = if b >= 0xF0 {
                    4
                } else if b >= 0xE0 {
                    3
                } else if b >= 0xC0 {
                    2
                } else {
                    0
                };
                b >= 0xC0 && need > k
            })
            .map(|k| n - k)
            .unwrap_or(n);
        self.escape(&data[..cut])?;
        self.held = data[cut..].to_vec();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Markdown inline text: every character that could start a link, image, autolink,
/// emphasis, code span, table cell or HTML tag is backslash-escaped, and line breaks become
/// spaces so log text cannot start a new block. `:` is escaped only before `//` and `.`
/// only after `www` (the GFM autolink triggers), so times and IPs stay readable. This is
/// enough for GFM: a backslash escape yields a separate text node, and extended autolinks
/// (`www.`, `http://`, e-mail) are only recognised within one text node.
pub fn md(s: &str) -> String {
    let mut o = String::new();
    md_into(&mut o, s);
    o
}

/// [`md`], appended to `o` (no intermediate text).
pub fn md_into(o: &mut String, s: &str) {
    // Most values (times, names, operation names) need no escape at all.
    let plain = s.bytes().all(|b| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b' ' | b'-'
                    | b'+'
                    | b'/'
                    | b','
                    | b';'
                    | b'='
                    | b'#'
                    | b'%'
                    | b'$'
                    | b'\''
                    | b'"'
                    | b'?'
                    | b'.'
                    | b':'
            )
    });
    let bytes = s.as_bytes();
    let www_before = |i: usize| i >= 3 && bytes[i - 3..i].iter().all(|b| matches!(b, b'w' | b'W'));
    let www = || (0..bytes.len()).any(|i| bytes[i] == b'.' && www_before(i));
    if plain && !s.contains("://") && !www() {
        o.push_str(s);
        return;
    }
    o.reserve(s.len() + 8);
    // Runs of ASCII bytes that need nothing are copied whole; a byte that may need an
    // escape, and every non-ASCII character, is looked at on its own. `w`/`W` and `/` are
    // ASCII, so looking at neighbouring bytes is looking at neighbouring characters.
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 && !md_special(b) {
            i += 1;
            continue;
        }
        o.push_str(&s[run..i]);
        let c = s[i..].chars().next().unwrap_or('\u{fffd}');
        match c {
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '!' | '|' | '<' | '>'
            | '~' | '&' | '@' => {
                o.push('\\');
                o.push(c);
            }
            ':' if bytes[i + 1..].starts_with(b"//") => o.push_str("\\:"),
            '.' if www_before(i) => o.push_str("\\."),
            '\n' | '\r' => o.push(' '),
            c if c.is_control() => {
                let _ = std::fmt::Write::write_fmt(o, format_args!("\\u{{{:x}}}", c as u32));
            }
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                let _ = std::fmt::Write::write_fmt(o, format_args!("\\u{{{:x}}}", c as u32));
            }
            c => o.push(c),
        }
        i += c.len_utf8().max(1);
        run = i;
    }
    o.push_str(&s[run..]);
}

/// An ASCII byte [`md_into`] may have to change: Markdown syntax, `:` and `.` (autolink
/// triggers), and control characters.
fn md_special(b: u8) -> bool {
    b.is_ascii_control()
        || matches!(
            b,
            b'\\'
                | b'`'
                | b'*'
                | b'_'
                | b'{'
                | b'}'
                | b'['
                | b']'
                | b'('
                | b')'
                | b'!'
                | b'|'
                | b'<'
                | b'>'
                | b'~'
                | b'&'
                | b'@'
                | b':'
                | b'.'
        )
}

/// Markdown code span: for identifiers (GUIDs, IPs, UPNs, operation names). Backticks and
/// line breaks inside are replaced so the span cannot be closed early. A value with
/// HTML or link syntax (`<>[]()`), which no real identifier has, is escaped as text instead,
/// so the raw file never contains such syntax even inside a span.
pub fn md_code(s: &str) -> String {
    let mut o = String::new();
    md_code_into(&mut o, s);
    o
}

/// [`md_code`], appended to `o`.
pub fn md_code_into(o: &mut String, s: &str) {
    // Bytes, not characters: each of these is ASCII.
    if s.bytes()
        .any(|b| matches!(b, b'<' | b'>' | b'[' | b']' | b'(' | b')'))
    {
        return md_into(o, s);
    }
    o.push('`');
    if s.bytes()
        .all(|b| b != b'`' && !b.is_ascii_control() && b < 0x80)
    {
        o.push_str(s);
    } else {
        o.extend(s.chars().map(|c| {
            if c == '`' {
                '\''
            } else if c.is_control() {
                ' '
            } else {
                c
            }
        }));
    }
    o.push('`');
}

/// A CSV cell that a spreadsheet will never evaluate: cells starting with `=`, `+`, `-`,
/// `@`, tab or CR get a leading `'` (OWASP CSV injection guidance).
pub fn csv_cell(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\n') => format!("'{s}"),
        _ => s.to_string(),
    }
}

/// [`csv_cell`] without a copy when the cell needs no change.
pub fn csv_cell_cow(s: &str) -> std::borrow::Cow<'_, str> {
    // The first byte is the first character whenever it is one of these (all ASCII).
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r' | b'\n') => format!("'{s}").into(),
        _ => s.into(),
    }
}

/// Terminal text: control, escape and bidirectional-override characters made visible.
pub fn terminal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' => out.push(' '),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`md_into`] as it was first written: character by character.
    fn md_reference(s: &str) -> String {
        let mut o = String::new();
        let bytes = s.as_bytes();
        let www_before =
            |i: usize| i >= 3 && bytes[i - 3..i].iter().all(|b| matches!(b, b'w' | b'W'));
        for (i, c) in s.char_indices() {
            match c {
                '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '!' | '|' | '<'
                | '>' | '~' | '&' | '@' => {
                    o.push('\\');
                    o.push(c);
                }
                ':' if bytes[i + 1..].starts_with(b"//") => o.push_str("\\:"),
                '.' if www_before(i) => o.push_str("\\."),
                '\n' | '\r' => o.push(' '),
                c if c.is_control() => o.push_str(&format!("\\u{{{:x}}}", c as u32)),
                '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                    o.push_str(&format!("\\u{{{:x}}}", c as u32))
                }
                c => o.push(c),
            }
        }
        o
    }

    #[test]
    fn markdown_escape_matches_the_character_by_character_definition() {
        // Every pair and triple of characters from a set that covers each branch, and
        // longer mixed texts.
        let alphabet = [
            "a", "w", "W", ".", ":", "/", "@", "[", "`", "\\", "\n", "\r", "\t", "\u{7f}",
            "\u{85}", "\u{202e}", "\u{2067}", "é", "😀", " ", "-", "|",
        ];
        let mut texts: Vec<String> = Vec::new();
        for a in alphabet {
            for b in alphabet {
                texts.push(format!("{a}{b}"));
                for c in alphabet {
                    texts.push(format!("{a}{b}{c}"));
                }
            }
        }
        texts.push("see www.evil.example or https://x.example/a_b (click) [me]".into());
        texts.push("by dana.ops@fabrikam.example [Interactive] from 198.51.100.23".into());
        texts.push("plain text with no specials 2026-02-01T00:00:00Z".into());
        for t in &texts {
            let mut got = String::from("prefix|");
            md_into(&mut got, t);
            assert_eq!(got, format!("prefix|{}", md_reference(t)), "{t:?}");
        }
    }

    #[test]
    fn streamed_json_escape_matches_the_whole_text_escape() {
        use std::io::Write;
        let s = "{\"a\":\"<x>&\u{2028}\u{2029}é😀</\",\"b\":\"\u{2027}\u{202a}\"} long plain text \
            between the specials <<>>&& and\u{2028}again\u{2029}, then plain text to the end";
        for chunk in [1, 2, 3, 5, 7, 8, 9, 16, 31, 1000] {
            let mut out = Vec::new();
            let mut w = JsonInHtml::new(&mut out);
            for c in s.as_bytes().chunks(chunk) {
                w.write_all(c).unwrap();
            }
            w.finish().unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), json_in_html(s), "{chunk}");
        }
    }

    #[test]
    fn one_pass_json_escape_matches_the_chain() {
        let s = "{\"a\":\"<x>&\u{2028}\u{2029}é</\",\"b\":\"\"}";
        let chain = s
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026")
            .replace('\u{2028}', "\\u2028")
            .replace('\u{2029}', "\\u2029");
        assert_eq!(json_in_html(s), chain);
    }

    #[test]
    fn html_payloads_are_inert() {
        let p = "<script>alert(1)</script><img src=x onerror=\"alert(2)\">";
        let e = html(p);
        assert!(!e.contains('<') && !e.contains('"'));
        assert_eq!(
            json_in_html("{\"ua\":\"</script><b>\"}"),
            "{\"ua\":\"\\u003c/script\\u003e\\u003cb\\u003e\"}"
        );
    }

    #[test]
    fn markdown_cannot_link_or_embed() {
        let e = md("[click](http://evil) ![x](http://evil/x.png) <b>hi</b>\n# heading www.evil.example a@b.example");
        assert!(
            !e.contains("](") && !e.contains("<b>") && !e.contains('\n'),
            "{e}"
        );
        assert!(
            e.contains("http\\://")
                && e.contains("www\\.")
                && e.contains("a\\@b")
                && !e.contains(" http://"),
            "{e}"
        );
        assert_eq!(
            md("2024-06-10T06:13:45Z from 203.0.113.7"),
            "2024-06-10T06:13:45Z from 203.0.113.7"
        );
        assert_eq!(md_code("a`b\nc"), "`a'b c`");
        assert_eq!(md("see WWW.x and http://y"), "see WWW\\.x and http\\://y");
        assert_eq!(md_code("<script>"), "\\<script\\>");
    }

    #[test]
    fn csv_formulas_are_neutralized() {
        for p in ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_cell(p).starts_with('\''), "{p}");
        }
        assert_eq!(csv_cell("alice@contoso.com"), "alice@contoso.com");
        for p in ["=1", "x", "", "-", "a=b"] {
            assert_eq!(csv_cell_cow(p), csv_cell(p));
        }
    }

    #[test]
    fn terminal_escapes_are_visible() {
        assert_eq!(terminal("\u{1b}[31mx\u{7}"), "\\u{1b}[31mx\\u{7}");
    }
}

/// A POSIX shell word: single-quoted, with embedded quotes closed and reopened, so a
/// resource name copied from a log cannot inject a command into a suggested command line.
pub fn sh(s: &str) -> String {
    let clean: String = s.chars().filter(|c| !c.is_control()).collect();
    format!("'{}'", clean.replace('\'', "'\\''"))
}

#[cfg(test)]
mod shell_tests {
    #[test]
    fn shell_words_cannot_break_out() {
        assert_eq!(super::sh("a'; rm -rf / #"), "'a'\\''; rm -rf / #'");
        assert_eq!(super::sh("$(id)\n"), "'$(id)'");
    }
}
