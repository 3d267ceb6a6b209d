//! Points in time as Almanac keeps them: microseconds since the Unix epoch, UTC.
//!
//! Both store engines keep a `BIGINT`, so ordering and ranges are exact and the
//! same on SQLite and PostgreSQL. Output follows the ancestors' convention
//! (Python's naive `isoformat()`: no zone suffix, microseconds only when not 0).
//! Input accepts ISO 8601 with or without zone; a zone is converted to UTC
//! (ResultsDB dropped it without converting, which misplaced such results).

use crate::ModelError;
use std::fmt;

/// Microseconds since 1970-01-01T00:00:00 UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

const MICROS_PER_SEC: i64 = 1_000_000;
const SECS_PER_DAY: i64 = 86_400;
/// Years outside 1..=9999 are refused: Python's datetime cannot hold them, so
/// no ancestor client could read them back.
const MIN_YEAR: i64 = 1;
const MAX_YEAR: i64 = 9999;

impl Timestamp {
    pub fn now() -> Timestamp {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp(d.as_micros() as i64)
    }

    pub fn from_micros(micros: i64) -> Timestamp {
        Timestamp(micros)
    }

    pub fn micros(self) -> i64 {
        self.0
    }

    /// Builds a time from its civil UTC parts; `None` if a part is out of range.
    pub fn from_civil(
        year: i64,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
        micro: u32,
    ) -> Option<Timestamp> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&year)
            || !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 59
            || micro > 999_999
        {
            return None;
        }
        let days = days_from_civil(year, month, day);
        let secs = days * SECS_PER_DAY
            + i64::from(hour) * 3600
            + i64::from(minute) * 60
            + i64::from(second);
        Some(Timestamp(secs * MICROS_PER_SEC + i64::from(micro)))
    }

    /// The civil UTC parts: (year, month, day, hour, minute, second, microsecond).
    pub fn to_civil(self) -> (i64, u32, u32, u32, u32, u32, u32) {
        let secs = self.0.div_euclid(MICROS_PER_SEC);
        let micro = self.0.rem_euclid(MICROS_PER_SEC) as u32;
        let days = secs.div_euclid(SECS_PER_DAY);
        let sod = secs.rem_euclid(SECS_PER_DAY);
        let (y, m, d) = civil_from_days(days);
        (
            y,
            m,
            d,
            (sod / 3600) as u32,
            ((sod % 3600) / 60) as u32,
            (sod % 60) as u32,
            micro,
        )
    }

    /// Python's naive `datetime.isoformat()`: `2016-06-01T12:00:00` or
    /// `2016-06-01T12:00:00.250000`.
    pub fn to_python_iso(self) -> String {
        self.to_string()
    }

    /// The UTC date, `YYYY-MM-DD`.
    pub fn date(self) -> String {
        let (y, mo, d, ..) = self.to_civil();
        format!("{y:04}-{mo:02}-{d:02}")
    }

    /// Checks a `YYYY-MM-DD` date.
    pub fn parse_date(field: &str, raw: &str) -> Result<String, ModelError> {
        let ok = raw.len() == 10 && Timestamp::parse_iso8601(raw).is_some();
        if ok {
            Ok(raw.to_string())
        } else {
            Err(ModelError::new(
                field,
                format!(
                    "Date has wrong format. Use one of these formats instead: YYYY-MM-DD (got '{raw}')."
                ),
            ))
        }
    }

    /// ISO 8601 in UTC with milliseconds and `Z`, as Django REST framework
    /// writes times (`2015-02-03T05:50:49.387Z`).
    pub fn to_iso_z(self) -> String {
        let (y, mo, d, h, mi, s, us) = self.to_civil();
        format!(
            "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:03}Z",
            us / 1000
        )
    }

    /// Parses ISO 8601 as people and tools write it: a date, optionally `T` or a
    /// space and a time with optional seconds and fraction, optionally `Z` or an
    /// offset (`+02:00`, `+0200`, `+02`). A date alone means its midnight.
    pub fn parse_iso8601(input: &str) -> Option<Timestamp> {
        let s = input.trim();
        let b = s.as_bytes();
        let mut p = Parser { b, i: 0 };
        let year = p.digits(4)? as i64;
        let dashed = p.eat(b'-');
        let month = p.digits(2)?;
        if dashed && !p.eat(b'-') {
            return None;
        }
        let day = p.digits(2)?;
        let (mut hour, mut minute, mut second, mut micro) = (0, 0, 0, 0);
        let mut offset_secs = 0i64;
        if p.i < b.len() {
            if !(p.eat(b'T') || p.eat(b't') || p.eat(b' ')) {
                return None;
            }
            hour = p.digits(2)?;
            let colons = p.eat(b':');
            minute = p.digits(2)?;
            if (colons && p.eat(b':')) || (!colons && p.peek_digit()) {
                second = p.digits(2)?;
                if p.eat(b'.') || p.eat(b',') {
                    let start = p.i;
                    while p.peek_digit() {
                        p.i += 1;
                    }
                    let frac = &s[start..p.i];
                    if frac.is_empty() {
                        return None;
                    }
                    let mut six: String = frac.chars().take(6).collect();
                    while six.len() < 6 {
                        six.push('0');
                    }
                    micro = six.parse().ok()?;
                }
            }
            if p.i < b.len() {
                if p.eat(b'Z') || p.eat(b'z') {
                } else if b[p.i] == b'+' || b[p.i] == b'-' {
                    let sign = if b[p.i] == b'-' { -1 } else { 1 };
                    p.i += 1;
                    let oh = p.digits(2)? as i64;
                    let om = if p.i == b.len() {
                        0
                    } else {
                        p.eat(b':');
                        p.digits(2)? as i64
                    };
                    if oh > 23 || om > 59 {
                        return None;
                    }
                    offset_secs = sign * (oh * 3600 + om * 60);
                } else {
                    return None;
                }
            }
            if p.i != b.len() {
                return None;
            }
        }
        let local = Timestamp::from_civil(year, month, day, hour, minute, second, micro)?;
        Some(Timestamp(local.0 - offset_secs * MICROS_PER_SEC))
    }

    /// ResultsDB's `submit_time`: JSON `null` (now), a number of milliseconds
    /// since the epoch, a string of such a number, or an ISO 8601 time.
    pub fn parse_submit_time(value: &serde_json::Value) -> Result<Option<Timestamp>, ModelError> {
        let refused = || {
            ModelError::new(
                "submit_time",
                format!(
                    "Expected timestamp in milliseconds or datetime (in format YYYY-MM-DDTHH:MM:SS.ffffff), got {value}"
                ),
            )
        };
        match value {
            serde_json::Value::Null => Ok(None),
            serde_json::Value::Number(n) => {
                let ms = n.as_f64().ok_or_else(refused)?;
                Timestamp::from_millis_f64(ms).map(Some).ok_or_else(refused)
            }
            serde_json::Value::String(s) => {
                if let Some(t) = Timestamp::parse_iso8601(s) {
                    return Ok(Some(t));
                }
                let ms: f64 = s.trim().parse().map_err(|_| refused())?;
                Timestamp::from_millis_f64(ms).map(Some).ok_or_else(refused)
            }
            _ => Err(refused()),
        }
    }

    fn from_millis_f64(ms: f64) -> Option<Timestamp> {
        let micros = (ms * 1000.0).round();
        let min = Timestamp::from_civil(MIN_YEAR, 1, 1, 0, 0, 0, 0)?.0 as f64;
        let max = Timestamp::from_civil(MAX_YEAR, 12, 31, 23, 59, 59, 999_999)?.0 as f64;
        (micros.is_finite() && micros >= min && micros <= max).then_some(Timestamp(micros as i64))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s, us) = self.to_civil();
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}")?;
        if us != 0 {
            write!(f, ".{us:06}")?;
        }
        Ok(())
    }
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn digits(&mut self, n: usize) -> Option<u32> {
        let end = self.i.checked_add(n)?;
        let chunk = self.b.get(self.i..end)?;
        if !chunk.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.i = end;
        Some(
            chunk
                .iter()
                .fold(0, |acc, d| acc * 10 + u32::from(d - b'0')),
        )
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn peek_digit(&self) -> bool {
        self.b.get(self.i).is_some_and(u8::is_ascii_digit)
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

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
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn formats_like_python_isoformat() {
        let t = Timestamp::from_civil(2016, 6, 1, 12, 0, 0, 0).unwrap();
        assert_eq!(t.to_string(), "2016-06-01T12:00:00");
        let t = Timestamp::from_civil(2016, 6, 1, 12, 0, 0, 250_000).unwrap();
        assert_eq!(t.to_string(), "2016-06-01T12:00:00.250000");
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00");
    }

    #[test]
    fn parses_the_forms_clients_send() {
        let base = Timestamp::from_civil(2024, 2, 29, 23, 5, 7, 0).unwrap();
        for s in [
            "2024-02-29T23:05:07",
            "2024-02-29 23:05:07",
            "2024-02-29T23:05:07Z",
            "2024-02-29T23:05:07.000000",
            "2024-02-29T23:05:07+00:00",
            "2024-02-29T23:05:07+0000",
            "2024-02-29T23:05:07+00",
            "20240229T230507",
        ] {
            assert_eq!(Timestamp::parse_iso8601(s), Some(base), "{s}");
        }
        assert_eq!(
            Timestamp::parse_iso8601("2024-03-01T01:05:07+02:00"),
            Some(base),
            "offsets are converted to UTC"
        );
        assert_eq!(
            Timestamp::parse_iso8601("2024-02-29"),
            Timestamp::from_civil(2024, 2, 29, 0, 0, 0, 0)
        );
        assert_eq!(
            Timestamp::parse_iso8601("2024-02-29T23:05:07.5").unwrap().0 - base.0,
            500_000
        );
    }

    #[test]
    fn refuses_what_is_not_a_time() {
        for s in [
            "",
            "yesterday",
            "2023-02-29",
            "2024-13-01",
            "2024-01-01T25:00",
            "2024-01-01T10:00:00 junk",
            "2024-01-01T10:00:00.",
        ] {
            assert_eq!(Timestamp::parse_iso8601(s), None, "{s}");
        }
    }

    #[test]
    fn submit_time_takes_millis_strings_and_null() {
        assert_eq!(Timestamp::parse_submit_time(&json!(null)), Ok(None));
        assert_eq!(
            Timestamp::parse_submit_time(&json!(1_464_782_400_000i64)),
            Ok(Timestamp::from_civil(2016, 6, 1, 12, 0, 0, 0))
        );
        assert_eq!(
            Timestamp::parse_submit_time(&json!("1464782400000")),
            Ok(Timestamp::from_civil(2016, 6, 1, 12, 0, 0, 0))
        );
        let err = Timestamp::parse_submit_time(&json!("last tuesday")).unwrap_err();
        assert_eq!(err.field, "submit_time");
        assert!(
            err.message
                .starts_with("Expected timestamp in milliseconds")
        );
        assert!(Timestamp::parse_submit_time(&json!(1e30)).is_err());
        assert!(Timestamp::parse_submit_time(&json!(true)).is_err());
    }

    proptest! {
        #[test]
        fn display_then_parse_is_identity(micros in -62_135_596_800_000_000i64..253_402_300_799_999_999i64) {
            let t = Timestamp(micros);
            prop_assert_eq!(Timestamp::parse_iso8601(&t.to_string()), Some(t));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = Timestamp::parse_iso8601(&s);
        }

        #[test]
        fn civil_round_trips(micros in -62_135_596_800_000_000i64..253_402_300_799_999_999i64) {
            let (y, mo, d, h, mi, s, us) = Timestamp(micros).to_civil();
            prop_assert_eq!(Timestamp::from_civil(y, mo, d, h, mi, s, us), Some(Timestamp(micros)));
        }
    }
}
