//! The laser ID: the number printed on the back of the card (e.g. `JT0-1234567-89`),
//! read from a second applet (SPEC §2). The front of the card and its photocopies do not
//! show it, so a login can be bound to the card in hand rather than to what is printed.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Application id of the laser applet.
pub const LASER_AID: [u8; 8] = [0xA0, 0x00, 0x00, 0x00, 0x84, 0x06, 0x00, 0x02];
/// The applet's whole record: version (2), state, authorize, 3 unknown bytes, the field.
pub const RECORD_LEN: u8 = 0x17;
/// The laser field alone, what a GET RESPONSE after `61 10` brings (SPEC §2).
pub const FIELD_LEN: u8 = 0x10;
/// Where the field sits in the record: after its 7 header bytes.
const FIELD_IN_RECORD: std::ops::Range<usize> = 7..23;

/// A laser ID as the chip holds it: 1 to 16 ASCII letters, digits and dashes. Its
/// `Debug` masks it, so that it never reaches a log line whole.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LaserId(String);

/// Why bytes or text are not a laser ID.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LaserIdError {
    /// The card's answer is neither the 23-byte record nor the 16-byte field.
    #[error("the laser answer has {0} bytes where 23 (the record) or 16 (the field) belong")]
    WrongLength(usize),
    /// Nothing but padding.
    #[error("the laser ID is empty")]
    Empty,
    /// A byte that is no letter, digit or dash.
    #[error("the laser ID has a byte 0x{0:02X} that is not a letter, digit or dash")]
    BadByte(u8),
}

impl LaserId {
    /// The ID in a laser read's answer, the 23-byte record (the field is its bytes 7 to
    /// 22) or the 16-byte field alone, trimmed of its NUL or space padding.
    pub fn from_answer(answer: &[u8]) -> Result<LaserId, LaserIdError> {
        let field = match answer.len() {
            len if len == usize::from(RECORD_LEN) => &answer[FIELD_IN_RECORD],
            len if len == usize::from(FIELD_LEN) => answer,
            len => return Err(LaserIdError::WrongLength(len)),
        };
        let padding = |b: &&u8| **b == 0 || **b == b' ';
        let start = field.iter().take_while(padding).count();
        let end = field.len() - field.iter().rev().take_while(padding).count();
        LaserId::parse_bytes(field.get(start..end).unwrap_or_default())
    }

    /// A laser ID as typed (the helpdesk copying it from the card's back).
    pub fn parse(text: &str) -> Result<LaserId, LaserIdError> {
        LaserId::parse_bytes(text.trim().as_bytes())
    }

    fn parse_bytes(bytes: &[u8]) -> Result<LaserId, LaserIdError> {
        if bytes.is_empty() {
            return Err(LaserIdError::Empty);
        }
        if let Some(&bad) = bytes
            .iter()
            .find(|b| !(b.is_ascii_alphanumeric() || **b == b'-'))
        {
            return Err(LaserIdError::BadByte(bad));
        }
        Ok(LaserId(String::from_utf8_lossy(bytes).to_ascii_uppercase()))
    }

    /// The ID in full, upper case: only for hashing and for the card JSON, never a log.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `JT0-xxxxxxx-xx`: the first three characters only.
    pub fn masked(&self) -> String {
        self.0
            .char_indices()
            .map(|(i, c)| if i < 3 || c == '-' { c } else { 'x' })
            .collect()
    }
}

impl fmt::Debug for LaserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LaserId({})", self.masked())
    }
}

impl TryFrom<String> for LaserId {
    type Error = LaserIdError;

    fn try_from(text: String) -> Result<LaserId, LaserIdError> {
        LaserId::parse(&text)
    }
}

impl From<LaserId> for String {
    fn from(id: LaserId) -> String {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(id: &[u8], pad: u8) -> Vec<u8> {
        let mut field = id.to_vec();
        field.resize(16, pad);
        field
    }

    fn record(id: &[u8], pad: u8) -> Vec<u8> {
        [&[0xAA; 7][..], &field(id, pad)].concat()
    }

    #[test]
    fn the_id_is_bytes_7_to_22_of_the_record_without_padding() {
        for pad in [0x00, b' '] {
            let id = LaserId::from_answer(&record(b"JT0-1234567-89", pad)).unwrap();
            assert_eq!(id.as_str(), "JT0-1234567-89");
        }
        let full = LaserId::from_answer(&record(b"ME1-123456789012", 0)).unwrap();
        assert_eq!(full.as_str(), "ME1-123456789012");
    }

    #[test]
    fn the_field_alone_is_the_id_without_padding() {
        for pad in [0x00, b' '] {
            let id = LaserId::from_answer(&field(b"JT0-1234567-89", pad)).unwrap();
            assert_eq!(id.as_str(), "JT0-1234567-89");
        }
        let mut leading = vec![0x00, b' '];
        leading.extend_from_slice(b"AB1234567890");
        assert_eq!(
            LaserId::from_answer(&field(&leading, 0)).unwrap().as_str(),
            "AB1234567890"
        );
    }

    #[test]
    fn bad_answers_are_named() {
        for len in [0, 7, 15, 17, 22, 24, 25] {
            assert_eq!(
                LaserId::from_answer(&vec![b'1'; len]),
                Err(LaserIdError::WrongLength(len)),
                "{len} bytes"
            );
        }
        assert_eq!(
            LaserId::from_answer(&record(b"", 0)),
            Err(LaserIdError::Empty)
        );
        assert_eq!(LaserId::from_answer(&[b' '; 16]), Err(LaserIdError::Empty));
        assert_eq!(
            LaserId::from_answer(&record(b"JT0\x071234", 0)),
            Err(LaserIdError::BadByte(0x07))
        );
        assert_eq!(LaserId::parse("JT0 123"), Err(LaserIdError::BadByte(b' ')));
    }

    #[test]
    fn bytes_outside_ascii_or_padding_inside_are_no_id() {
        for bad in [0x80, 0xA1, 0xE0, 0xFF] {
            assert_eq!(
                LaserId::from_answer(&field(&[b'J', b'T', bad, b'1'], 0)),
                Err(LaserIdError::BadByte(bad))
            );
        }
        assert_eq!(
            LaserId::from_answer(&field(b"JT0\x001234", 0)),
            Err(LaserIdError::BadByte(0x00))
        );
        let error = LaserId::from_answer(&[0xE0; 16]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the laser ID has a byte 0xE0 that is not a letter, digit or dash"
        );
    }

    #[test]
    fn typed_ids_compare_as_read_and_debug_masks() {
        let typed = LaserId::parse(" jt0-1234567-89 ").unwrap();
        assert_eq!(typed.as_str(), "JT0-1234567-89");
        assert_eq!(format!("{typed:?}"), "LaserId(JT0-xxxxxxx-xx)");
        let json = serde_json::to_string(&typed).unwrap();
        assert_eq!(json, "\"JT0-1234567-89\"");
        assert!(serde_json::from_str::<LaserId>("\"JT0 1\"").is_err());
    }
}
