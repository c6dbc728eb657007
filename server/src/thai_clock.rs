//! Moments as people in Thailand type them (UTC+7, no daylight saving): a day
//! `2026-12-06` or a minute `2026-12-06T08:30` (a space for the `T` too), read as the
//! span of Unix seconds it covers, so that a range "from the 1st to the 6th" takes in the
//! whole of the 6th.

use thaiid_protocol::date::THAI_UTC_OFFSET_SECS;

/// The seconds a typed day or minute covers: `start` inclusive, `end` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: i64,
    pub end: i64,
}

/// `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM` in Thailand's time; `None` for anything else,
/// including days that do not exist (`2026-02-30`).
pub fn parse(text: &str) -> Option<Span> {
    let (date, time) = match text.split_once(['T', ' ']) {
        Some((date, time)) => (date, Some(time)),
        None => (text, None),
    };
    let mut parts = date.split('-');
    let year: i64 = number(parts.next()?, 4)?;
    let month: i64 = number(parts.next()?, 2)?;
    let day: i64 = number(parts.next()?, 2)?;
    if parts.next().is_some() || !(1..=12).contains(&month) {
        return None;
    }
    if day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let midnight = days_from_civil(year, month, day) * 86_400 - THAI_UTC_OFFSET_SECS;
    let Some(time) = time else {
        return Some(Span {
            start: midnight,
            end: midnight + 86_400,
        });
    };
    let (hour, minute) = time.split_once(':')?;
    let (hour, minute) = (number(hour, 2)?, number(minute, 2)?);
    if hour > 23 || minute > 59 {
        return None;
    }
    let start = midnight + hour * 3600 + minute * 60;
    Some(Span {
        start,
        end: start + 60,
    })
}

/// Exactly `digits` ASCII digits.
fn number(text: &str, digits: usize) -> Option<i64> {
    (text.len() == digits && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm, the inverse of
/// `thaiid_protocol::date::civil_date`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use thaiid_protocol::date::rfc3339_utc;

    #[test]
    fn a_thai_day_starts_at_five_in_the_afternoon_utc_the_day_before() {
        let day = parse("2026-12-06").unwrap();
        assert_eq!(rfc3339_utc(day.start), "2026-12-05T17:00:00Z");
        assert_eq!(day.end - day.start, 86_400);
        let minute = parse("2026-12-06T08:30").unwrap();
        assert_eq!(rfc3339_utc(minute.start), "2026-12-06T01:30:00Z");
        assert_eq!(minute.end - minute.start, 60);
        assert_eq!(parse("2026-12-06 08:30"), Some(minute));
        assert_eq!(
            rfc3339_utc(parse("2024-02-29").unwrap().start),
            "2024-02-28T17:00:00Z"
        );
        assert_eq!(
            rfc3339_utc(parse("1970-01-01T07:00").unwrap().start),
            "1970-01-01T00:00:00Z"
        );
    }

    #[test]
    fn what_is_not_a_day_or_minute_is_refused() {
        for bad in [
            "",
            "2026-12",
            "2026-13-01",
            "2026-02-29",
            "2026-04-31",
            "2026-12-06T24:00",
            "2026-12-06T08:60",
            "2026-12-06T8:30",
            "06/12/2026",
            "2026-12-06T08:30:00",
            "+026-12-06",
            "2569-12-06x",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
