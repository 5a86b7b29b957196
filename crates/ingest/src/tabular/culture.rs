//! Culture-formatted dates (PowerShell `DateTime.ToString()`, portal CSV in the browser's
//! locale): which culture wrote them, and parsing them to UTC.
//!
//! The text has no zone and (in PowerShell) no fraction. The culture is forced by
//! `--culture` or inferred from a bounded sample of values: a first component above 12
//! means day-first, a second above 12 means month-first, `.` separators mean de-DE style,
//! `-` with a leading day means nl-NL, a leading four-digit year means ja-JP or invariant.

use jiff::Timestamp;
use tokentrail_model::time::parse_clock;

/// Order of the three date components.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateOrder {
    /// `M/d/yyyy` (en-US).
    MonthFirst,
    /// `d/M/yyyy`, `dd.MM.yyyy`, `d-M-yyyy` (en-GB, fr-FR, de-DE, nl-NL).
    DayFirst,
    /// `yyyy/MM/dd`, `yyyy-MM-dd` (ja-JP, invariant ISO-like).
    YearFirst,
}

/// A culture's date layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Culture {
    pub name: &'static str,
    pub order: DateOrder,
}

/// The cultures tokentrail knows by name (`--culture`).
pub const CULTURES: &[Culture] = &[
    Culture {
        name: "en-US",
        order: DateOrder::MonthFirst,
    },
    Culture {
        name: "en-GB",
        order: DateOrder::DayFirst,
    },
    Culture {
        name: "de-DE",
        order: DateOrder::DayFirst,
    },
    Culture {
        name: "fr-FR",
        order: DateOrder::DayFirst,
    },
    Culture {
        name: "nl-NL",
        order: DateOrder::DayFirst,
    },
    Culture {
        name: "ja-JP",
        order: DateOrder::YearFirst,
    },
    Culture {
        name: "invariant",
        order: DateOrder::YearFirst,
    },
];

/// Looks a culture up by name (case-insensitive; `iso` and `yyyy-MM-dd` mean invariant).
/// Other cultures are accepted by their date order when the name is one of the common
/// month-first or day-first ones.
pub fn by_name(name: &str) -> Option<Culture> {
    let n = name.trim();
    if ["iso", "yyyy-mm-dd", "inv"]
        .iter()
        .any(|a| n.eq_ignore_ascii_case(a))
    {
        return CULTURES.iter().copied().find(|c| c.name == "invariant");
    }
    CULTURES
        .iter()
        .copied()
        .find(|c| c.name.eq_ignore_ascii_case(n))
}

/// A culture-formatted date split into its parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Parts {
    a: u32,
    b: u32,
    c: u32,
    /// The first component had four digits (a year).
    year_first: bool,
    sep: char,
}

/// Splits the date part of `s` (`6/10/2024 …`, `10.06.2024 …`, `2024-06-10 …`).
fn split_date(s: &str) -> Option<(Parts, &str)> {
    let s = s.trim();
    let (date, rest) = match s.find([' ', 'T']) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    };
    let date = date.trim_end_matches([',', '.']);
    let sep = date.chars().find(|c| matches!(c, '/' | '.' | '-'))?;
    let mut it = date.split(sep);
    let fa = it.next()?;
    let a: u32 = fa.parse().ok()?;
    let b: u32 = it.next()?.parse().ok()?;
    let c: u32 = it.next()?.parse().ok()?;
    if it.next().is_some() || fa.len() > 4 {
        return None;
    }
    Some((
        Parts {
            a,
            b,
            c,
            year_first: fa.len() == 4,
            sep,
        },
        rest.trim(),
    ))
}

/// True when `s` looks like a culture-formatted date (not ISO 8601 with `T`, not a number).
pub fn looks_like_culture_date(s: &str) -> bool {
    let t = s.trim();
    if t.len() < 8 || t.len() > 40 {
        return false;
    }
    // ISO 8601 with a `T` separator is machine format, parsed elsewhere.
    if t.as_bytes().get(10) == Some(&b'T') {
        return false;
    }
    split_date(t).is_some_and(|(_, rest)| rest.contains(':'))
}

/// Evidence gathered from a sample of date values.
#[derive(Clone, Debug, Default)]
pub struct Evidence {
    pub values: u64,
    pub day_first: u64,
    pub month_first: u64,
    pub year_first: u64,
    pub dots: u64,
    pub dashes: u64,
    pub ampm: u64,
    /// An example value, for notes.
    pub example: Option<String>,
    /// Values whose instant, cross-checked against the exact .NET ticks of the same
    /// event (PowerShell `Id`), only fits day-first / month-first.
    pub ticks_day_first: u64,
    pub ticks_month_first: u64,
}

impl Evidence {
    /// Adds one value; values that are not culture dates are ignored.
    pub fn add(&mut self, s: &str) {
        if !looks_like_culture_date(s) {
            return;
        }
        let Some((p, rest)) = split_date(s) else {
            return;
        };
        self.values += 1;
        if self.example.is_none() {
            self.example = Some(s.trim().to_string());
        }
        if p.year_first {
            self.year_first += 1;
        } else if p.a > 12 && p.b <= 12 {
            self.day_first += 1;
        } else if p.b > 12 && p.a <= 12 {
            self.month_first += 1;
        }
        match p.sep {
            '.' => self.dots += 1,
            '-' => self.dashes += 1,
            _ => {}
        }
        let up = rest.to_ascii_uppercase();
        if up.ends_with("AM") || up.ends_with("PM") {
            self.ampm += 1;
        }
    }
}

impl Evidence {
    /// Adds the cross-check of one value against the event's exact instant.
    pub fn add_ticks(&mut self, s: &str, exact: Timestamp) {
        if !looks_like_culture_date(s) {
            return;
        }
        let second = exact.as_second();
        let fits = |order| parse_order(s, order).is_some_and(|t| t.as_second() == second);
        match (fits(DateOrder::DayFirst), fits(DateOrder::MonthFirst)) {
            (true, false) => self.ticks_day_first += 1,
            (false, true) => self.ticks_month_first += 1,
            _ => {}
        }
    }
}

/// The culture chosen for a file and how.
#[derive(Clone, Debug)]
pub struct Decision {
    pub culture: Culture,
    /// A sentence for `FileStats::notes`.
    pub note: String,
    /// True when the data did not settle the day/month order.
    pub ambiguous: bool,
}

/// Chooses the culture: forced by name, else inferred from the evidence.
pub fn decide(forced: Option<&str>, ev: &Evidence) -> Decision {
    let find = |n: &str| by_name(n).unwrap_or(CULTURES[0]);
    if let Some(name) = forced {
        if let Some(c) = by_name(name) {
            let mut note = format!("dates read as {} (forced by --culture)", c.name);
            if c.order == DateOrder::MonthFirst && ev.day_first > 0 {
                note.push_str(&format!(
                    "; {} of {} dates only fit day-first",
                    ev.day_first, ev.values
                ));
            } else if c.order == DateOrder::DayFirst && ev.month_first > 0 {
                note.push_str(&format!(
                    "; {} of {} dates only fit month-first",
                    ev.month_first, ev.values
                ));
            }
            return Decision {
                culture: c,
                note,
                ambiguous: false,
            };
        }
        let mut d = infer(ev, find);
        d.note = format!("unknown culture {name:?} ignored; {}", d.note);
        return d;
    }
    infer(ev, find)
}

fn infer(ev: &Evidence, find: impl Fn(&str) -> Culture) -> Decision {
    let n = ev.values;
    let style = if ev.dots > 0 {
        "de-DE"
    } else if ev.dashes > 0 {
        "nl-NL"
    } else {
        "en-GB"
    };
    // The exact ticks of the same events settle the order.
    let (td, tm) = (ev.ticks_day_first, ev.ticks_month_first);
    if (td > 0) != (tm > 0) {
        let c = if td > 0 { find(style) } else { find("en-US") };
        return Decision {
            culture: c,
            note: format!(
                "dates read as {}: day/month order confirmed by the .NET ticks in Id ({} event{})",
                c.name,
                td.max(tm),
                if td.max(tm) == 1 { "" } else { "s" }
            ),
            ambiguous: false,
        };
    }
    let ex = ev
        .example
        .as_deref()
        .map(|e| format!(" (e.g. {e:?})"))
        .unwrap_or_default();
    if ev.year_first > 0 && ev.year_first == n {
        let c = if ev.dashes > 0 {
            find("invariant")
        } else {
            find("ja-JP")
        };
        return Decision {
            culture: c,
            note: format!("dates are year-first{ex}; read as {}", c.name),
            ambiguous: false,
        };
    }
    if ev.day_first > 0 && ev.month_first > 0 {
        let c = if ev.ampm > 0 {
            find("en-US")
        } else {
            find("en-GB")
        };
        return Decision {
            culture: c,
            note: format!(
                "dates inconsistent: {} only fit day-first and {} only fit month-first{ex}; assumed {}; use --culture",
                ev.day_first, ev.month_first, c.name
            ),
            ambiguous: true,
        };
    }
    if ev.day_first > 0 {
        let c = find(style);
        return Decision {
            culture: c,
            note: format!(
                "dates are day-first ({} of {n} have a first component above 12){ex}; read as {}",
                ev.day_first, c.name
            ),
            ambiguous: false,
        };
    }
    if ev.month_first > 0 {
        let c = find("en-US");
        return Decision {
            culture: c,
            note: format!(
                "dates are month-first ({} of {n} have a second component above 12){ex}; read as en-US",
                ev.month_first
            ),
            ambiguous: false,
        };
    }
    if n == 0 {
        return Decision {
            culture: find("en-US"),
            note: "no culture-formatted dates seen; en-US assumed".into(),
            ambiguous: false,
        };
    }
    // Undecided: the separator and the clock are the only hints.
    let (c, why) = if ev.dots > 0 || ev.dashes > 0 {
        (find(style), "the separator is only used day-first")
    } else if ev.ampm > 0 {
        (find("en-US"), "AM/PM clock")
    } else {
        (find("en-GB"), "24-hour clock")
    };
    let ambiguous = ev.dots == 0 && ev.dashes == 0;
    let note = if ambiguous {
        format!(
            "dates ambiguous between M/d and d/M in all {n} sampled values{ex}; assumed {} ({why}); use --culture",
            c.name
        )
    } else {
        format!("dates read as {} ({why}){ex}", c.name)
    };
    Decision {
        culture: c,
        note,
        ambiguous,
    }
}

/// Parses a culture-formatted date-time as UTC. `swapped` is set when the value only
/// parsed with day and month exchanged.
pub fn parse(s: &str, culture: Culture) -> Option<(Timestamp, bool)> {
    if let Some(t) = parse_order(s, culture.order) {
        return Some((t, false));
    }
    let other = match culture.order {
        DateOrder::MonthFirst => DateOrder::DayFirst,
        DateOrder::DayFirst => DateOrder::MonthFirst,
        DateOrder::YearFirst => return None,
    };
    parse_order(s, other).map(|t| (t, true))
}

/// Parses with one date order (a leading four-digit year is always year-first).
pub fn parse_order(s: &str, order: DateOrder) -> Option<Timestamp> {
    let (p, rest) = split_date(s)?;
    let (y, m, d) = match (order, p.year_first) {
        (_, true) => (p.a, p.b, p.c),
        (DateOrder::YearFirst, false) => return None,
        (DateOrder::MonthFirst, false) => (p.c, p.a, p.b),
        (DateOrder::DayFirst, false) => (p.c, p.b, p.a),
    };
    let y = i16::try_from(y).ok()?;
    let m = i8::try_from(m).ok()?;
    let d = i8::try_from(d).ok()?;
    // parse_clock needs at least h:mm; a missing clock means midnight.
    let clock = if rest.is_empty() { "0:00" } else { rest };
    let clock = clock.trim_end_matches(['Z', 'z']).trim();
    Some(parse_clock(y, m, d, clock)?.utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(vals: &[&str]) -> Evidence {
        let mut e = Evidence::default();
        for v in vals {
            e.add(v);
        }
        e
    }

    #[test]
    fn infers_cultures() {
        let d = decide(None, &ev(&["6/10/2024 6:13:45 AM", "6/25/2024 1:00:00 PM"]));
        assert_eq!(d.culture.name, "en-US");
        assert!(!d.ambiguous);
        let d = decide(None, &ev(&["10.06.2024 06:13:45"]));
        assert_eq!(d.culture.name, "de-DE");
        let d = decide(None, &ev(&["25/06/2024 06:13:45", "10/06/2024 06:13:45"]));
        assert_eq!(d.culture.name, "en-GB");
        let d = decide(None, &ev(&["10/06/2024 06:13:45", "11/06/2024 06:13:45"]));
        assert!(d.ambiguous);
        assert!(d.note.contains("ambiguous"), "{}", d.note);
        let d = decide(None, &ev(&["6/10/2024 6:13:45 AM"]));
        assert_eq!(d.culture.name, "en-US");
        assert!(d.note.contains("all 1 sampled"), "{}", d.note);
        let d = decide(None, &ev(&["2024/06/10 6:13:45"]));
        assert_eq!(d.culture.name, "ja-JP");
        let d = decide(None, &ev(&["10-6-2024 06:13:45"]));
        assert_eq!(d.culture.name, "nl-NL");
        let mut e = ev(&["10/06/2024 06:13:45"]);
        e.add_ticks(
            "10/06/2024 06:13:45",
            "2024-06-10T06:13:45.1234567Z".parse().unwrap(),
        );
        let d = decide(None, &e);
        assert_eq!(d.culture.name, "en-GB");
        assert!(!d.ambiguous);
        assert!(d.note.contains("confirmed by the .NET ticks"), "{}", d.note);
        let d = decide(Some("fr-FR"), &ev(&["6/25/2024 1:00:00 PM"]));
        assert_eq!(d.culture.name, "fr-FR");
        assert!(d.note.contains("only fit month-first"));
    }

    #[test]
    fn parses() {
        let us = by_name("en-US").unwrap();
        let de = by_name("de-DE").unwrap();
        let (t, s) = parse("6/10/2024 6:13:45 PM", us).unwrap();
        assert_eq!(t.to_string(), "2024-06-10T18:13:45Z");
        assert!(!s);
        let (t, _) = parse("10.06.2024 06:13:45", de).unwrap();
        assert_eq!(t.to_string(), "2024-06-10T06:13:45Z");
        let (t, s) = parse("25/06/2024 06:13:45", us).unwrap();
        assert_eq!(t.to_string(), "2024-06-25T06:13:45Z");
        assert!(s);
        let (t, _) = parse("2024-06-10 06:13:45", by_name("iso").unwrap()).unwrap();
        assert_eq!(t.to_string(), "2024-06-10T06:13:45Z");
        assert!(parse("hello", us).is_none());
        assert!(parse("99/99/99999 1:00", us).is_none());
        assert!(!looks_like_culture_date("2024-06-10T06:13:45Z"));
        assert!(looks_like_culture_date("4/26/2021, 7:17:58.447 PM"));
    }
}
