//! A calendar date (`YYYY-MM-DD`), enough for "as of" and end-of-life dates.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;

/// A proleptic Gregorian calendar date in UTC, written `YYYY-MM-DD`.
///
/// The catalog uses it for "as of" dates of facts and for model lifecycle
/// dates. Dates order chronologically.
///
/// ```
/// use bedrock_latency::Date;
/// let eol: Date = "2026-06-19".parse()?;
/// assert!(eol < Date::new(2026, 11, 26)?);
/// assert_eq!(eol.to_string(), "2026-06-19");
/// # Ok::<(), bedrock_latency::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// Builds a date, checking that the day exists in that month.
    pub fn new(year: u16, month: u8, day: u8) -> Result<Self, Error> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(Error::parse(
                "date",
                format!("{year:04}-{month:02}-{day:02}"),
                "a real calendar date written YYYY-MM-DD",
            ));
        }
        Ok(Self { year, month, day })
    }

    /// Today's date in UTC, from the system clock.
    pub fn today() -> Self {
        Self::from_days_since_epoch(Self::today_days())
    }

    /// Today (UTC) as days since 1970-01-01.
    pub(crate) fn today_days() -> i64 {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        (secs / 86_400) as i64
    }

    /// The date `days` days after 1970-01-01 (civil-from-days algorithm).
    pub(crate) fn from_days_since_epoch(days: i64) -> Self {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)).clamp(0, 9999) as u16;
        Self { year, month, day }
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }
    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }
    /// The day of the month, 1 to 31.
    pub fn day(self) -> u8 {
        self.day
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => 29,
        2 => 28,
        _ => 31,
    }
}

impl FromStr for Date {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = || Error::parse("date", s, "a date written YYYY-MM-DD");
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| -> Result<u16, Error> {
            let part = &s[r];
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return Err(bad());
            }
            part.parse().map_err(|_| bad())
        };
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        Date::new(y, m as u8, d as u8).map_err(|_| bad())
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DateVisitor)
    }
}

/// Accepts a `"YYYY-MM-DD"` string, or a TOML date literal (which the
/// `toml` crate hands over as a one-entry map).
struct DateVisitor;

impl<'de> serde::de::Visitor<'de> for DateVisitor {
    type Value = Date;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a date written YYYY-MM-DD")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Date, E> {
        v.parse().map_err(E::custom)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Date, A::Error> {
        let Some((_key, value)) = map.next_entry::<serde::de::IgnoredAny, String>()? else {
            return Err(serde::de::Error::custom("expected a date"));
        };
        value.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders() {
        let a: Date = "2024-12-02".parse().unwrap();
        let b: Date = "2026-06-19".parse().unwrap();
        assert!(a < b);
        assert_eq!(b.to_string(), "2026-06-19");
        assert!("2026-02-30".parse::<Date>().is_err());
        assert!("2026-2-3".parse::<Date>().is_err());
        assert!("20x6-02-03".parse::<Date>().is_err());
        assert!("2024-02-29".parse::<Date>().is_ok());
        assert!("2025-02-29".parse::<Date>().is_err());
        assert!("+026-02-03".parse::<Date>().is_err());
    }

    #[test]
    fn civil_from_days() {
        assert_eq!(Date::from_days_since_epoch(0).to_string(), "1970-01-01");
        // 2026-11-26 is day 20_783 since the epoch.
        assert_eq!(Date::from_days_since_epoch(20_783).to_string(), "2026-11-26");
        assert_eq!(Date::from_days_since_epoch(19_782).to_string(), "2024-02-29");
        assert!(Date::today() > Date::new(2024, 1, 1).unwrap());
    }
}
