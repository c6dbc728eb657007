//! Field decoders: TIS-620 text, `#`-separated names and addresses, gender.

use crate::layout::Field;
use encoding_rs::WINDOWS_874;
use serde::{Deserialize, Serialize};

/// Why a field could not be decoded. Names the field and the bytes at fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct DecodeError {
    /// The field at fault.
    pub field: Field,
    /// What is wrong with it.
    pub problem: Problem,
}

/// What is wrong with a field's bytes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// The field's bytes were not among those read.
    #[error("was not read from the card")]
    NotRead,
    /// A byte that TIS-620 text does not have, before the padding.
    #[error("byte {byte:02X} at offset 0x{offset:04X} is not TIS-620 text")]
    NotText {
        /// Where in the card's file.
        offset: u16,
        /// The byte.
        byte: u8,
    },
    /// Not 13 digits. The text itself is withheld: even a malformed citizen ID is
    /// personal data.
    #[error("is {chars} characters, {digits} of them digits, where 13 digits belong")]
    NotDigits {
        /// How many characters there are.
        chars: usize,
        /// How many of them are digits.
        digits: usize,
    },
    /// Not a `YYYYMMDD` date.
    #[error("{raw:?} is not a date YYYYMMDD in the Buddhist era ({reason})")]
    BadDate {
        /// The text as read.
        raw: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Not 3 or 4 `#`-separated parts.
    #[error("has {parts} '#'-separated parts where a name has 3 or 4 (prefix#first#middle#last)")]
    BadName {
        /// How many parts there are.
        parts: usize,
    },
    /// Not 7 or 8 `#`-separated parts.
    #[error("has {parts} '#'-separated parts where an address has 7 or 8")]
    BadAddress {
        /// How many parts there are.
        parts: usize,
    },
    /// The photo is no JPEG, or has no end.
    #[error("{0}")]
    BadPhoto(&'static str),
}

impl Problem {
    pub(crate) fn at(self, field: Field) -> DecodeError {
        DecodeError {
            field,
            problem: self,
        }
    }
}

/// Bytes the card may carry after a field's padding that are no TIS-620 text
/// (SPEC §2), with the C0 controls and DEL that no card text holds either.
pub fn is_garbage(byte: u8) -> bool {
    matches!(byte, 0x00..=0x1F | 0x7F | 0x80..=0xA0 | 0xDB..=0xDE | 0xFC..=0xFF)
}

/// A field's text: trailing padding and garbage dropped, TIS-620 decoded, trimmed.
/// Garbage before the end of the text is an error: the field is damaged.
pub fn text(field: Field, bytes: &[u8]) -> Result<String, DecodeError> {
    let end = bytes
        .iter()
        .rposition(|&byte| byte != b' ' && !is_garbage(byte))
        .map_or(0, |last| last + 1);
    let content = &bytes[..end];
    if let Some(at) = content.iter().position(|&byte| is_garbage(byte)) {
        return Err(Problem::NotText {
            offset: field.offset() + at as u16,
            byte: content[at],
        }
        .at(field));
    }
    // Every byte left maps to one character in windows-874, which is TIS-620 here.
    let (decoded, _) = WINDOWS_874.decode_without_bom_handling(content);
    Ok(decoded.trim().to_owned())
}

/// A name as printed on the card: `prefix#first#middle#last`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Name {
    /// Title: นาย, นาง, Mr., Mrs. …
    pub prefix: String,
    /// The first name.
    pub first: String,
    /// The middle name; empty for most people.
    pub middle: String,
    /// The family name.
    pub last: String,
}

/// Four parts, or three when a card leaves out the empty middle name.
pub fn name(field: Field, text: &str) -> Result<Name, DecodeError> {
    let parts: Vec<&str> = text.split('#').map(str::trim).collect();
    let (prefix, first, middle, last) = match parts[..] {
        [prefix, first, middle, last] => (prefix, first, middle, last),
        [prefix, first, last] => (prefix, first, "", last),
        _ => return Err(Problem::BadName { parts: parts.len() }.at(field)),
    };
    Ok(Name {
        prefix: prefix.to_owned(),
        first: first.to_owned(),
        middle: middle.to_owned(),
        last: last.to_owned(),
    })
}

/// The registered address: every `#`-separated part, trimmed, with Thai prefixes kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    parts: Vec<String>,
}

impl Address {
    /// 8 parts (house, moo, soi, road, empty, tambon, amphoe, province) or 7 (no empty one).
    pub fn parse(text: &str) -> Result<Address, DecodeError> {
        let parts: Vec<String> = text.split('#').map(|part| part.trim().to_owned()).collect();
        if !(7..=8).contains(&parts.len()) {
            return Err(Problem::BadAddress { parts: parts.len() }.at(Field::Address));
        }
        Ok(Address { parts })
    }

    /// Every part, in the card's order.
    pub fn parts(&self) -> &[String] {
        &self.parts
    }

    fn counted_back(&self, back: usize) -> &str {
        &self.parts[self.parts.len() - back]
    }

    /// The first part: the house number.
    pub fn house_no(&self) -> &str {
        &self.parts[0]
    }
    /// The second part: the village number (หมู่ที่).
    pub fn village_no(&self) -> &str {
        &self.parts[1]
    }
    /// The third part: the lane (ตรอก/ซอย), by position.
    pub fn lane(&self) -> &str {
        &self.parts[2]
    }
    /// The fourth part: the road (ถนน), by position.
    pub fn road(&self) -> &str {
        &self.parts[3]
    }
    /// The third part from the end: the subdistrict (ตำบล/แขวง).
    pub fn subdistrict(&self) -> &str {
        self.counted_back(3)
    }
    /// The second part from the end: the district (อำเภอ/เขต).
    pub fn district(&self) -> &str {
        self.counted_back(2)
    }
    /// The last part: the province (จังหวัด).
    pub fn province(&self) -> &str {
        self.counted_back(1)
    }
}

impl Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Address", 8)?;
        s.serialize_field("parts", &self.parts)?;
        s.serialize_field("house_no", self.house_no())?;
        s.serialize_field("village_no", self.village_no())?;
        s.serialize_field("lane", self.lane())?;
        s.serialize_field("road", self.road())?;
        s.serialize_field("subdistrict", self.subdistrict())?;
        s.serialize_field("district", self.district())?;
        s.serialize_field("province", self.province())?;
        s.end()
    }
}

/// The holder's gender as the card codes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Gender {
    /// Code `1`.
    Male,
    /// Code `2`.
    Female,
    /// Any other code.
    Unknown,
}

/// `1` male, `2` female; anything else is shown as unknown rather than refused.
pub fn gender(text: &str) -> Gender {
    match text {
        "1" => Gender::Male,
        "2" => Gender::Female,
        _ => Gender::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tis620(text: &str) -> Vec<u8> {
        let (bytes, _, unmappable) = WINDOWS_874.encode(text);
        assert!(!unmappable);
        bytes.into_owned()
    }

    fn padded(text: &str, len: usize, tail: &[u8]) -> Vec<u8> {
        let mut bytes = tis620(text);
        bytes.resize(len - tail.len(), b' ');
        bytes.extend_from_slice(tail);
        bytes
    }

    #[test]
    fn padding_and_trailing_garbage_are_dropped() {
        let bytes = padded("นาย#สมศักดิ์##ทองดี", 100, &[0x90, 0xFF, 0x20, 0xDB, 0x00]);
        assert_eq!(text(Field::NameTh, &bytes).unwrap(), "นาย#สมศักดิ์##ทองดี");
        assert_eq!(text(Field::NameTh, &[b' '; 100]).unwrap(), "");
        assert_eq!(text(Field::NameTh, &[0; 100]).unwrap(), "");
    }

    #[test]
    fn garbage_inside_the_text_names_field_offset_and_byte() {
        let mut bytes = padded("Mr.#Somsak##Thongdee", 100, &[]);
        bytes[3] = 0x85;
        let err = text(Field::NameEn, &bytes).unwrap_err();
        assert_eq!(
            err,
            Problem::NotText {
                offset: 0x0078,
                byte: 0x85
            }
            .at(Field::NameEn)
        );
        assert_eq!(
            err.to_string(),
            "name_en: byte 85 at offset 0x0078 is not TIS-620 text"
        );
    }

    #[test]
    fn every_garbage_class_is_refused_inside_text() {
        for byte in (0x80..=0xA0)
            .chain(0xDB..=0xDE)
            .chain(0xFC..=0xFF)
            .chain([0x00, 0x1F, 0x7F])
        {
            let bytes = [b'A', byte, b'B'];
            assert!(text(Field::Version, &bytes).is_err(), "{byte:02X}");
        }
    }

    #[test]
    fn every_thai_letter_mark_and_digit_decodes() {
        // Every code point TIS-620 defines from A1 to FB, except the holes DB..DE.
        let bytes: Vec<u8> = (0xA1..=0xFB)
            .filter(|b| !(0xDB..=0xDE).contains(b))
            .collect();
        let decoded = text(Field::Issuer, &bytes).unwrap();
        assert_eq!(decoded.chars().count(), bytes.len());
        for (byte, c) in bytes.iter().zip(decoded.chars()) {
            assert_eq!(c as u32, 0x0E00 + u32::from(*byte) - 0xA0, "{byte:02X}");
        }
        for rare in [
            'ฃ', 'ฅ', 'ฤ', 'ฦ', 'ๅ', 'ฯ', 'ๆ', '่', '้', '๊', '๋', '์', '็', 'ํ', '๎',
        ] {
            assert!(decoded.contains(rare), "{rare}");
        }
    }

    #[test]
    fn names_with_and_without_middle() {
        assert_eq!(
            name(Field::NameEn, "Miss#Mali Ann#Rose#Sukjai-Dee").unwrap(),
            Name {
                prefix: "Miss".into(),
                first: "Mali Ann".into(),
                middle: "Rose".into(),
                last: "Sukjai-Dee".into()
            }
        );
        let no_middle = name(Field::NameTh, "นาย#สมศักดิ์##ทองดี").unwrap();
        assert_eq!(no_middle.middle, "");
        assert_eq!(name(Field::NameTh, "นาย#สมศักดิ์#ทองดี").unwrap(), no_middle);
        assert_eq!(
            name(Field::NameTh, "นาย").unwrap_err(),
            Problem::BadName { parts: 1 }.at(Field::NameTh)
        );
        assert!(name(Field::NameTh, "a#b#c#d#e").is_err());
    }

    #[test]
    fn eight_part_address() {
        let address =
            Address::parse("99/9#หมู่ที่ 4#ซอยสุขใจ#ถนนพหลโยธิน##ตำบลบางพูด#อำเภอปากเกร็ด#จังหวัดนนทบุรี")
                .unwrap();
        assert_eq!(address.parts().len(), 8);
        assert_eq!(address.parts()[4], "");
        assert_eq!(address.house_no(), "99/9");
        assert_eq!(address.village_no(), "หมู่ที่ 4");
        assert_eq!(address.lane(), "ซอยสุขใจ");
        assert_eq!(address.road(), "ถนนพหลโยธิน");
        assert_eq!(address.subdistrict(), "ตำบลบางพูด");
        assert_eq!(address.district(), "อำเภอปากเกร็ด");
        assert_eq!(address.province(), "จังหวัดนนทบุรี");
    }

    #[test]
    fn seven_part_address_and_json() {
        let address =
            Address::parse("12#หมู่ที่ 1##ถนนราชดำเนิน#แขวงบวรนิเวศ#เขตพระนคร#กรุงเทพมหานคร").unwrap();
        assert_eq!(address.subdistrict(), "แขวงบวรนิเวศ");
        assert_eq!(address.road(), "ถนนราชดำเนิน");
        assert_eq!(
            serde_json::to_value(&address).unwrap(),
            serde_json::json!({
                "parts": ["12", "หมู่ที่ 1", "", "ถนนราชดำเนิน", "แขวงบวรนิเวศ", "เขตพระนคร", "กรุงเทพมหานคร"],
                "house_no": "12", "village_no": "หมู่ที่ 1", "lane": "", "road": "ถนนราชดำเนิน",
                "subdistrict": "แขวงบวรนิเวศ", "district": "เขตพระนคร", "province": "กรุงเทพมหานคร"
            })
        );
    }

    #[test]
    fn short_or_long_addresses_are_refused() {
        assert_eq!(
            Address::parse("1#2#3#4#5#6").unwrap_err(),
            Problem::BadAddress { parts: 6 }.at(Field::Address)
        );
        assert!(Address::parse("1#2#3#4#5#6#7#8#9").is_err());
        assert!(Address::parse("").is_err());
    }

    #[test]
    fn genders() {
        assert_eq!(gender("1"), Gender::Male);
        assert_eq!(gender("2"), Gender::Female);
        assert_eq!(gender(""), Gender::Unknown);
        assert_eq!(gender("3"), Gender::Unknown);
        assert_eq!(serde_json::to_value(Gender::Female).unwrap(), "female");
    }
}
