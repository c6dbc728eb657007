//! The 13-digit citizen ID and its check digit.

use crate::decode::{DecodeError, Problem};
use crate::layout::Field;
use std::fmt;

/// A citizen ID as printed on the card: 13 ASCII digits, check digit not yet judged.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CitizenId([u8; 13]);

impl CitizenId {
    /// 13 ASCII digits, or an error naming how many of the characters were digits.
    pub fn parse(text: &str) -> Result<CitizenId, DecodeError> {
        let not_digits = || {
            Problem::NotDigits {
                chars: text.chars().count(),
                digits: text.chars().filter(char::is_ascii_digit).count(),
            }
            .at(Field::CitizenId)
        };
        let digits: [u8; 13] = text.as_bytes().try_into().map_err(|_| not_digits())?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(not_digits());
        }
        Ok(CitizenId(digits))
    }

    /// The 13 digits.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits get in.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// (11 − Σ dᵢ·(13−i) mod 11) mod 10 over the first 12 digits equals the 13th.
    pub fn check_digit_valid(&self) -> bool {
        let digit = |i: usize| u32::from(self.0[i] - b'0');
        let sum: u32 = (0..12).map(|i| digit(i) * (13 - i as u32)).sum();
        (11 - sum % 11) % 10 == digit(12)
    }

    /// `1-1017-xxxxx-xx-0`: enough for staff and logs to tell cards apart, not enough to identify.
    pub fn masked(&self) -> String {
        let s = self.as_str();
        format!("{}-{}-xxxxx-xx-{}", &s[..1], &s[1..5], &s[12..])
    }
}

/// On the wire (the assertion's claims): the 13 digits as a string.
impl serde::Serialize for CitizenId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Anything but 13 ASCII digits is refused, with how many of the characters were digits
/// (never the digits themselves).
impl<'de> serde::Deserialize<'de> for CitizenId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        CitizenId::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl fmt::Debug for CitizenId {
    // Debug output can reach logs: mask it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CitizenId({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits() {
        for valid in [
            "1101700203450",
            "3100600000013",
            "1000000000009",
            "0000000000001",
        ] {
            assert!(
                CitizenId::parse(valid).unwrap().check_digit_valid(),
                "{valid}"
            );
        }
        for wrong in ["1101700203451", "3100600000015", "1000000000000"] {
            assert!(
                !CitizenId::parse(wrong).unwrap().check_digit_valid(),
                "{wrong}"
            );
        }
    }

    #[test]
    fn only_thirteen_digits_parse() {
        for bad in [
            "",
            "110170020345",
            "11017002034500",
            "110170020345X",
            "๑๑๐๑๗๐๐๒๐๓๔๕๐",
        ] {
            let error = CitizenId::parse(bad).unwrap_err();
            assert_eq!(
                error,
                Problem::NotDigits {
                    chars: bad.chars().count(),
                    digits: bad.chars().filter(char::is_ascii_digit).count(),
                }
                .at(Field::CitizenId)
            );
            // What reaches a log line tells the shape, never the digits.
            let start: String = bad.chars().take(5).collect();
            if start.chars().count() == 5 {
                assert!(!error.to_string().contains(&start), "{error}");
            }
        }
    }

    #[test]
    fn masked_everywhere_it_may_be_printed() {
        let id = CitizenId::parse("1101700203450").unwrap();
        assert_eq!(id.as_str(), "1101700203450");
        assert_eq!(id.masked(), "1-1017-xxxxx-xx-0");
        assert_eq!(format!("{id:?}"), "CitizenId(1-1017-xxxxx-xx-0)");
    }

    #[test]
    fn on_the_wire_it_is_its_13_digits_and_nothing_else_parses() {
        let id = CitizenId::parse("1101700203450").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""1101700203450""#);
        assert_eq!(
            serde_json::from_str::<CitizenId>(r#""1101700203450""#).unwrap(),
            id
        );
        for bad in [
            r#""110170020345""#,
            r#""11017002034500""#,
            r#""1101700a03450""#,
        ] {
            let error = serde_json::from_str::<CitizenId>(bad)
                .unwrap_err()
                .to_string();
            assert!(!error.contains("11017"), "{error}");
        }
        // A number is not a citizen ID either (serde_json's own message names it; the
        // assertion's parser keeps none of it).
        assert!(serde_json::from_str::<CitizenId>("1101700203450").is_err());
    }
}
