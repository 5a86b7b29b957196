//! Event times: a UTC instant at full precision plus the original text.
//!
//! [`parse_time`] accepts every machine format the exports use (formats.md §1.7, §10.3):
//! RFC 3339 with 0–9 fraction digits and `Z` or any offset, ISO without a zone (taken as
//! UTC and flagged), `\/Date(ms)\/`, .NET ticks, Unix seconds, and US `M/D/YYYY h:mm:ss AM/PM`
//! as written by Azure's own envelopes. Culture-formatted PowerShell dates are handled by the
//! reader that knows the culture.

use jiff::civil::DateTime;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// An instant in UTC with the exact text it was read from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventTime {
    /// The instant, serialized as RFC 3339 UTC with as many fraction digits as it has.
    pub utc: Timestamp,
    /// The original string (or number) as it appeared in the export.
    pub raw: String,
    /// Set when the value needed an assumption (no zone, culture, second precision).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl EventTime {
    pub fn new(utc: Timestamp, raw: impl Into<String>) -> Self {
        EventTime {
            utc,
            raw: raw.into(),
            note: None,
        }
    }
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
}

impl PartialOrd for EventTime {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for EventTime {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.utc
            .cmp(&other.utc)
            .then_with(|| self.raw.cmp(&other.raw))
    }
}

/// Seconds between 0001-01-01 and 1970-01-01, in .NET ticks (100 ns).
const DOTNET_EPOCH_TICKS: i128 = 621_355_968_000_000_000;

/// Parses any machine-written timestamp found in Azure exports. Returns `None` when the
/// text is not a recognizable time.
pub fn parse_time(raw: &str) -> Option<EventTime> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Some(EventTime::new(ts, raw));
    }
    // ISO with a non-padded hour ("2022-09-09T9:59:27.958Z") or a space separator.
    if let Some(fixed) = pad_iso(s) {
        if let Ok(ts) = fixed.parse::<Timestamp>() {
            return Some(EventTime::new(ts, raw));
        }
    }
    if let Some(ms) = s
        .strip_prefix("/Date(")
        .or_else(|| s.strip_prefix("\\/Date("))
        .and_then(|r| r.strip_suffix(")/").or_else(|| r.strip_suffix(")\\/")))
    {
        let digits: &str = ms.split(['+', '-']).next().unwrap_or(ms);
        let n: i64 = if ms.starts_with('-') {
            ms.parse().ok()?
        } else {
            digits.parse().ok()?
        };
        let ts = Timestamp::from_millisecond(n).ok()?;
        return Some(EventTime::new(ts, raw));
    }
    // Zone-less ISO: assume UTC (every Azure producer writes UTC) and say so.
    if let Ok(dt) = s.trim_end_matches('Z').parse::<DateTime>() {
        let ts = dt.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp();
        return Some(EventTime::new(ts, raw).with_note("no zone in source; UTC assumed"));
    }
    if let Some(t) = parse_us_datetime(s) {
        return Some(t.with_raw(raw));
    }
    None
}

trait WithRaw {
    fn with_raw(self, raw: &str) -> EventTime;
}
impl WithRaw for EventTime {
    fn with_raw(mut self, raw: &str) -> EventTime {
        self.raw = raw.to_string();
        self
    }
}

fn pad_iso(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() < 16 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let sep = b[10];
    if sep != b'T' && sep != b' ' {
        return None;
    }
    let rest = &s[11..];
    let colon = rest.find(':')?;
    let mut out = String::with_capacity(s.len() + 1);
    out.push_str(&s[..10]);
    out.push('T');
    if colon == 1 {
        out.push('0');
    }
    out.push_str(rest);
    (out != s).then_some(out)
}

/// Parses the US forms Azure envelopes use: `M/D/YYYY h:mm:ss AM/PM`, `MM/DD/YYYY HH:mm:ss`,
/// optionally `, ` after the date, fractional seconds, and a trailing `Z` or `+hh:mm` offset.
pub fn parse_us_datetime(s: &str) -> Option<EventTime> {
    let s = s.trim();
    let (date, rest) = s.split_once([' ', 'T'])?;
    let date = date.trim_end_matches(',');
    let mut dp = date.split('/');
    let m: i8 = dp.next()?.parse().ok()?;
    let d: i8 = dp.next()?.parse().ok()?;
    let y: i16 = dp.next()?.parse().ok()?;
    if dp.next().is_some() {
        return None;
    }
    let civil = parse_clock(y, m, d, rest.trim())?;
    Some(civil)
}

/// Parses `h:mm[:ss[.fff]] [AM|PM] [Z|+hh:mm]` on the given civil date.
pub fn parse_clock(y: i16, m: i8, d: i8, rest: &str) -> Option<EventTime> {
    let mut rest = rest.trim();
    let mut offset_secs: i32 = 0;
    let mut zone_given = false;
    if let Some(r) = rest.strip_suffix('Z') {
        rest = r.trim_end();
        zone_given = true;
    } else if let Some(pos) = rest.rfind(['+', '-']) {
        let (head, off) = rest.split_at(pos);
        if let Some((oh, om)) = off[1..].split_once(':') {
            if let (Ok(h), Ok(mi)) = (oh.parse::<i32>(), om.parse::<i32>()) {
                let sign = if off.starts_with('-') { -1 } else { 1 };
                offset_secs = sign * (h * 3600 + mi * 60);
                rest = head.trim_end();
                zone_given = true;
            }
        }
    }
    let (clock, ampm) = match rest.rsplit_once(' ') {
        Some((c, ap)) if ap.eq_ignore_ascii_case("AM") || ap.eq_ignore_ascii_case("PM") => {
            (c.trim(), Some(ap.eq_ignore_ascii_case("PM")))
        }
        _ => (rest, None),
    };
    let mut parts = clock.split(':');
    let mut h: i8 = parts.next()?.parse().ok()?;
    let mi: i8 = parts.next()?.parse().ok()?;
    let (sec, nanos) = match parts.next() {
        Some(secs) => {
            let (whole, frac) = secs.split_once('.').unwrap_or((secs, ""));
            let sec: i8 = whole.parse().ok()?;
            let mut nanos: i32 = 0;
            if !frac.is_empty() {
                if frac.len() > 9 || !frac.bytes().all(|c| c.is_ascii_digit()) {
                    return None;
                }
                nanos = frac.parse::<i32>().ok()? * 10i32.pow(9 - frac.len() as u32);
            }
            (sec, nanos)
        }
        None => (0, 0),
    };
    if parts.next().is_some() {
        return None;
    }
    if let Some(pm) = ampm {
        if !(1..=12).contains(&h) {
            return None;
        }
        h %= 12;
        if pm {
            h += 12;
        }
    }
    let dt = jiff::civil::DateTime::new(y, m, d, h, mi, sec, nanos).ok()?;
    let ts = dt.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp();
    let ts = ts
        .checked_sub(jiff::SignedDuration::from_secs(offset_secs as i64))
        .ok()?;
    let et = EventTime::new(ts, "");
    Some(if zone_given {
        et
    } else {
        et.with_note("no zone in source; UTC assumed")
    })
}

/// Decimal Unix seconds (JWT `iat`, `nbf`, `exp`).
pub fn parse_unix_seconds(s: &str) -> Option<Timestamp> {
    let n: i64 = s.trim().parse().ok()?;
    Timestamp::from_second(n).ok()
}

/// .NET ticks (100 ns since 0001-01-01), as found at the end of an Activity Log `id`.
pub fn from_dotnet_ticks(ticks: i128) -> Option<Timestamp> {
    let ns = (ticks - DOTNET_EPOCH_TICKS).checked_mul(100)?;
    Timestamp::from_nanosecond(ns).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> String {
        parse_time(s).unwrap().utc.to_string()
    }

    #[test]
    fn iso_variants() {
        assert_eq!(
            utc("2018-01-29T20:42:31.3810679Z"),
            "2018-01-29T20:42:31.3810679Z"
        );
        assert_eq!(utc("2023-08-16T04:07:23Z"), "2023-08-16T04:07:23Z");
        assert_eq!(
            utc("2018-01-29T20:42:31.381067+00:00"),
            "2018-01-29T20:42:31.381067Z"
        );
        assert_eq!(utc("2024-06-10T08:13:45+02:00"), "2024-06-10T06:13:45Z");
        assert_eq!(utc("2022-09-09T9:59:27.958Z"), "2022-09-09T09:59:27.958Z");
        assert_eq!(
            utc("2020-01-01T01:02:03.123456789Z"),
            "2020-01-01T01:02:03.123456789Z"
        );
    }

    #[test]
    fn zoneless_is_flagged() {
        let t = parse_time("2024-06-10T06:13:45.12").unwrap();
        assert_eq!(t.utc.to_string(), "2024-06-10T06:13:45.12Z");
        assert!(t.note.is_some());
    }

    #[test]
    fn dotnet_date_and_ticks() {
        assert_eq!(utc("/Date(1720919582928)/"), "2024-07-14T01:13:02.928Z");
        assert_eq!(utc("\\/Date(1720919582928)\\/"), "2024-07-14T01:13:02.928Z");
        let t = from_dotnet_ticks(636_528_553_513_810_679).unwrap();
        assert_eq!(t.to_string(), "2018-01-29T20:42:31.3810679Z");
    }

    #[test]
    fn us_forms() {
        assert_eq!(utc("12/12/2025 3:03:58 PM"), "2025-12-12T15:03:58Z");
        assert_eq!(utc("6/10/2024, 6:13:45.123 AM"), "2024-06-10T06:13:45.123Z");
        assert_eq!(utc("01/09/2007 09:41:00"), "2007-01-09T09:41:00Z");
        assert_eq!(utc("6/10/2024 12:00:00 AM"), "2024-06-10T00:00:00Z");
        assert_eq!(utc("6/10/2024 12:00:00 PM"), "2024-06-10T12:00:00Z");
        assert!(parse_time("13/40/2024 1:00:00 PM").is_none());
    }

    #[test]
    fn garbage_is_none() {
        for s in ["", "hello", "2024-13-01T00:00:00Z", "1/2", "/Date(x)/"] {
            assert!(parse_time(s).is_none(), "{s}");
        }
    }
}
