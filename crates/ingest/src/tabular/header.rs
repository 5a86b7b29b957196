//! CSV header names: trimmed, internal whitespace collapsed, a ` [UTC]` suffix removed
//! (remembered as a hint that the column is UTC), duplicates kept by position.

/// One column of a CSV header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// The cleaned name used as the record key (`Incoming token type (2)` for a repeat).
    pub name: String,
    /// The header text as written.
    pub raw: String,
    /// The header said ` [UTC]`.
    pub utc: bool,
}

/// Cleans a header row.
pub fn columns(raw: &[String]) -> Vec<Column> {
    let mut out: Vec<Column> = Vec::with_capacity(raw.len());
    for r in raw {
        let mut name = r
            .trim_start_matches('\u{feff}')
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let mut utc = false;
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(" [utc]") {
            name.truncate(name.len() - " [utc]".len());
            utc = true;
        }
        let base = name.clone();
        let mut n = 1;
        while out.iter().any(|c| c.name == name) {
            n += 1;
            name = format!("{base} ({n})");
        }
        out.push(Column {
            name,
            raw: r.clone(),
            utc,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans() {
        let raw: Vec<String> = [
            "\u{feff}TimeGenerated [UTC]",
            " Application ID ",
            "Autonomous system  number",
            "Incoming token type",
            "Incoming token type",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let c = columns(&raw);
        assert_eq!(c[0].name, "TimeGenerated");
        assert!(c[0].utc);
        assert_eq!(c[1].name, "Application ID");
        assert_eq!(c[2].name, "Autonomous system number");
        assert_eq!(c[4].name, "Incoming token type (2)");
    }
}
