//! Dates as the card writes them: `YYYYMMDD` in the Buddhist era.

use crate::decode::{DecodeError, Problem};
use crate::layout::Field;
use serde::{Deserialize, Deserializer, Serialize};

/// The Buddhist era runs 543 years ahead of the common era.
pub const ERA_OFFSET: i32 = 543;

/// A card date. Month and day may be unknown (`00`); `99999999` means lifelong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BuddhistDate {
    raw: String,
    /// Common-era year.
    year: Option<i32>,
    month: Option<u8>,
    day: Option<u8>,
    lifelong: bool,
}

impl BuddhistDate {
    /// `YYYYMMDD` in the Buddhist era as the card stores it for `field`; `00` month or
    /// day is unknown, `99999999` lifelong.
    pub fn parse(field: Field, raw: &str) -> Result<BuddhistDate, DecodeError> {
        let bad = |reason| {
            Problem::BadDate {
                raw: raw.to_owned(),
                reason,
            }
            .at(field)
        };
        if raw.len() != 8 || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("not 8 digits"));
        }
        if raw == "99999999" {
            return Ok(BuddhistDate {
                raw: raw.to_owned(),
                year: None,
                month: None,
                day: None,
                lifelong: true,
            });
        }
        let number = |range: std::ops::Range<usize>| raw[range].parse::<u16>().unwrap_or_default();
        let (year_be, month, day) = (number(0..4), number(4..6) as u8, number(6..8) as u8);
        if i32::from(year_be) <= ERA_OFFSET {
            return Err(bad("year before the common era"));
        }
        let year = i32::from(year_be) - ERA_OFFSET;
        let last_day = match month {
            0 => 31,
            1..=12 => days_in_month(year, month),
            _ => return Err(bad("month out of range")),
        };
        if day > last_day {
            return Err(bad("day out of range"));
        }
        Ok(BuddhistDate {
            raw: raw.to_owned(),
            year: Some(year),
            month: (month != 0).then_some(month),
            day: (day != 0).then_some(day),
            lifelong: false,
        })
    }

    /// The 8 digits as the card gave them.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// Common-era (year, month, day); `None` for lifelong.
    pub fn year(&self) -> Option<i32> {
        self.year
    }

    /// The month (1 to 12), if known.
    pub fn month(&self) -> Option<u8> {
        self.month
    }

    /// The day of the month, if known.
    pub fn day(&self) -> Option<u8> {
        self.day
    }

    /// Whether the card wrote `99999999`: valid for life.
    pub fn is_lifelong(&self) -> bool {
        self.lifelong
    }

    /// Has this expiry date passed on `today` (common-era year, month, day)?
    /// A date with unknown month or day counts as its period's last day.
    pub fn is_past(&self, today: (i32, u8, u8)) -> bool {
        let Some(year) = self.year else {
            return false;
        };
        let month = self.month.unwrap_or(12);
        let day = self.day.unwrap_or_else(|| days_in_month(year, month));
        (year, month, day) < today
    }
}

/// Read back from JSON (an assertion's expiry date): `raw` is parsed again and the
/// other fields must agree with it, so no impossible date gets in.
impl<'de> Deserialize<'de> for BuddhistDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Wire {
            raw: String,
            year: Option<i32>,
            month: Option<u8>,
            day: Option<u8>,
            lifelong: bool,
        }
        let wire = Wire::deserialize(deserializer)?;
        let date = BuddhistDate::parse(Field::ExpiryDate, &wire.raw)
            .map_err(|error| serde::de::Error::custom(error.problem))?;
        if (date.year, date.month, date.day, date.lifelong)
            != (wire.year, wire.month, wire.day, wire.lifelong)
        {
            return Err(serde::de::Error::custom("date fields disagree with raw"));
        }
        Ok(date)
    }
}

/// Thailand's clock: UTC+7, no daylight saving.
pub const THAI_UTC_OFFSET_SECS: i64 = 7 * 3600;

/// The common-era (year, month, day) in Thailand at `unix_secs`: what "today" means
/// for a card's expiry date.
pub fn thai_date(unix_secs: i64) -> (i32, u8, u8) {
    civil_date(unix_secs + THAI_UTC_OFFSET_SECS)
}

/// The UTC (year, month, day) at `unix_secs`.
pub fn civil_date(unix_secs: i64) -> (i32, u8, u8) {
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let days = unix_secs.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (year_of_era + era * 400 + i64::from(month <= 2)) as i32;
    (year, month, day)
}

/// `2026-11-28T06:20:00Z`.
pub fn rfc3339_utc(unix_secs: i64) -> String {
    let (year, month, day) = civil_date(unix_secs);
    let seconds = unix_secs.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(raw: &str) -> Result<BuddhistDate, DecodeError> {
        BuddhistDate::parse(Field::DateOfBirth, raw)
    }

    fn json(raw: &str) -> serde_json::Value {
        serde_json::to_value(parse(raw).unwrap()).unwrap()
    }

    #[test]
    fn full_date_and_leap_day() {
        assert_eq!(
            json("25350229"),
            json!({"raw": "25350229", "year": 1992, "month": 2, "day": 29, "lifelong": false})
        );
        assert!(parse("25360229").is_err(), "1993 has no 29 February");
        assert!(parse("27430229").is_err(), "2200 is not a leap year");
        assert!(parse("25430229").is_ok(), "2000 is a leap year");
        assert!(parse("24430229").is_err(), "1900 is not");
    }

    #[test]
    fn unknown_month_and_day_are_null() {
        assert_eq!(
            json("25200700"),
            json!({"raw": "25200700", "year": 1977, "month": 7, "day": null, "lifelong": false})
        );
        assert_eq!(
            json("25100000"),
            json!({"raw": "25100000", "year": 1967, "month": null, "day": null, "lifelong": false})
        );
    }

    #[test]
    fn lifelong() {
        assert_eq!(
            json("99999999"),
            json!({"raw": "99999999", "year": null, "month": null, "day": null, "lifelong": true})
        );
        assert!(!parse("99999999").unwrap().is_past((9999, 12, 31)));
    }

    #[test]
    fn bad_dates_name_field_and_reason() {
        for (raw, reason) in [
            ("", "not 8 digits"),
            ("2535022", "not 8 digits"),
            ("2535-2-9", "not 8 digits"),
            ("๒๕๓๕๐๒๒๙", "not 8 digits"),
            ("00000101", "year before the common era"),
            ("25351301", "month out of range"),
            ("25350431", "day out of range"),
            ("25350032", "day out of range"),
        ] {
            assert_eq!(
                parse(raw).unwrap_err(),
                Problem::BadDate {
                    raw: raw.into(),
                    reason
                }
                .at(Field::DateOfBirth),
                "{raw}"
            );
        }
    }

    #[test]
    fn json_round_trip_refuses_disagreeing_fields() {
        for raw in ["25350229", "25200700", "99999999"] {
            let date = parse(raw).unwrap();
            let json = serde_json::to_string(&date).unwrap();
            assert_eq!(serde_json::from_str::<BuddhistDate>(&json).unwrap(), date);
        }
        let lie =
            json!({"raw": "25350229", "year": 2000, "month": 2, "day": 29, "lifelong": false});
        assert!(serde_json::from_value::<BuddhistDate>(lie).is_err());
        let bad =
            json!({"raw": "2535", "year": 1992, "month": null, "day": null, "lifelong": false});
        assert!(serde_json::from_value::<BuddhistDate>(bad).is_err());
    }

    #[test]
    fn thai_dates_from_unix_time() {
        assert_eq!(thai_date(0), (1970, 1, 1));
        // 2000-02-29 16:59:59 UTC is still the 29th in Bangkok until 17:00 UTC.
        assert_eq!(thai_date(951_843_599), (2000, 2, 29));
        assert_eq!(thai_date(951_843_600), (2000, 3, 1));
        assert_eq!(thai_date(1_798_736_400), (2027, 1, 1));
        assert_eq!(thai_date(-1), (1970, 1, 1));
        assert_eq!(rfc3339_utc(951_843_599), "2000-02-29T16:59:59Z");
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn expiry() {
        let expiry = BuddhistDate::parse(Field::ExpiryDate, "25700315").unwrap();
        assert!(!expiry.is_past((2027, 3, 15)));
        assert!(expiry.is_past((2027, 3, 16)));
        let month_only = BuddhistDate::parse(Field::ExpiryDate, "25700200").unwrap();
        assert!(!month_only.is_past((2027, 2, 28)));
        assert!(month_only.is_past((2027, 3, 1)));
    }
}
