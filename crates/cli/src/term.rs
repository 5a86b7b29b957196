//! Terminal safety: log content is attacker-controlled, so anything printed to a terminal
//! has control and escape characters replaced.

/// Replaces control characters (including ESC, CR, and C1 controls) and Unicode
/// bidirectional overrides with visible escapes.
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
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
    #[test]
    fn strips_escapes() {
        assert_eq!(
            super::clean("a\x1b[31mred\x07\r"),
            "a\\u{1b}[31mred\\u{7}\\u{d}"
        );
        assert_eq!(super::clean("x\u{202e}y"), "x\\u{202e}y");
    }
}
