//! Timestamps as Azure writes them.
//!
//! Time is kept as 100-ns ticks since the Unix epoch ([`Ts`]); formatting is hand-written
//! (days-to-civil) because the generator formats millions of stamps and must never depend
//! on the host's time zone.

/// 100-ns ticks since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ts(pub i64);

pub const TICKS_PER_SEC: i64 = 10_000_000;
/// .NET ticks (since 0001-01-01) at the Unix epoch.
const DOTNET_EPOCH: i64 = 621_355_968_000_000_000;

impl Ts {
    /// From a civil UTC date and time.
    pub fn ymd_hms(y: i64, m: u32, d: u32, hh: i64, mm: i64, ss: i64) -> Ts {
        let days = days_from_civil(y, m, d);
        Ts((days * 86_400 + hh * 3600 + mm * 60 + ss) * TICKS_PER_SEC)
    }
    pub fn secs(self) -> i64 {
        self.0.div_euclid(TICKS_PER_SEC)
    }
    pub fn add_secs(self, s: i64) -> Ts {
        Ts(self.0 + s * TICKS_PER_SEC)
    }
    pub fn add_ms(self, ms: i64) -> Ts {
        Ts(self.0 + ms * 10_000)
    }
    pub fn add_ticks(self, t: i64) -> Ts {
        Ts(self.0 + t)
    }
    pub fn add_mins(self, m: i64) -> Ts {
        self.add_secs(m * 60)
    }
    /// .NET ticks, as in the Activity Log event `id`.
    pub fn dotnet_ticks(self) -> i64 {
        self.0 + DOTNET_EPOCH
    }
    /// (year, month, day, hour)
    pub fn ymdh(self) -> (i64, u32, u32, u32) {
        let s = self.secs();
        let (y, m, d) = civil_from_days(s.div_euclid(86_400));
        (y, m, d, (s.rem_euclid(86_400) / 3600) as u32)
    }

    /// ISO 8601 with 7 fraction digits, trailing zeros trimmed, `Z` (Activity Log style).
    pub fn iso(self) -> String {
        self.fmt(Frac::Trim7, "Z")
    }
    /// As [`Ts::iso`] but with `+00:00` (diagnostic sign-in `properties`).
    pub fn iso_offset(self) -> String {
        self.fmt(Frac::Trim7, "+00:00")
    }
    /// Whole seconds, `Z` (Graph `createdDateTime` as commonly returned).
    pub fn iso_secs(self) -> String {
        self.fmt(Frac::None, "Z")
    }
    /// Exactly 3 fraction digits, `Z` (Log Analytics CSV).
    pub fn iso_millis(self) -> String {
        self.fmt(Frac::Millis, "Z")
    }
    /// Exactly 7 fraction digits, `Z` (Log Analytics JSON).
    pub fn iso7(self) -> String {
        self.fmt(Frac::Full7, "Z")
    }

    fn fmt(self, frac: Frac, zone: &str) -> String {
        let s = self.secs();
        let sub = self.0.rem_euclid(TICKS_PER_SEC);
        let (y, m, d) = civil_from_days(s.div_euclid(86_400));
        let sod = s.rem_euclid(86_400);
        let mut out = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            sod / 3600,
            (sod / 60) % 60,
            sod % 60
        );
        match frac {
            Frac::None => {}
            Frac::Millis => out.push_str(&format!(".{:03}", sub / 10_000)),
            Frac::Full7 => out.push_str(&format!(".{sub:07}")),
            Frac::Trim7 => {
                if sub != 0 {
                    let f = format!("{sub:07}");
                    out.push('.');
                    out.push_str(f.trim_end_matches('0'));
                }
            }
        }
        out.push_str(zone);
        out
    }
}

#[derive(Clone, Copy)]
enum Frac {
    None,
    Millis,
    Full7,
    Trim7,
}

/// Howard Hinnant's days_from_civil.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Howard Hinnant's civil_from_days.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_azure() {
        let t = Ts::ymd_hms(2018, 1, 29, 20, 42, 31).add_ticks(3_810_679);
        assert_eq!(t.iso(), "2018-01-29T20:42:31.3810679Z");
        assert_eq!(t.dotnet_ticks(), 636_528_553_513_810_679);
        let t2 = Ts::ymd_hms(2024, 2, 29, 6, 8, 12).add_ms(550);
        assert_eq!(t2.iso(), "2024-02-29T06:08:12.55Z");
        assert_eq!(t2.iso_offset(), "2024-02-29T06:08:12.55+00:00");
        assert_eq!(t2.iso_secs(), "2024-02-29T06:08:12Z");
        assert_eq!(t2.iso_millis(), "2024-02-29T06:08:12.550Z");
        assert_eq!(t2.iso7(), "2024-02-29T06:08:12.5500000Z");
        assert_eq!(
            Ts::ymd_hms(2023, 8, 16, 4, 7, 23).iso(),
            "2023-08-16T04:07:23Z"
        );
        assert_eq!(t2.ymdh(), (2024, 2, 29, 6));
    }
}
