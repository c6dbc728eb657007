//! Where each field lives in the card's one flat file (SPEC §2).
//!
//! Written out again here, not taken from `thaiid-protocol`, so that the virtual card is an
//! independent check of the agent's layout rather than a copy of it.

use std::ops::Range;

/// Length of the card's flat file, in bytes.
pub const FILE_LEN: usize = 0x1627;

/// The two unused bytes between the card type and the photo; the card fills them with 0x20.
pub const UNUSED: Range<usize> = 0x0179..0x017B;

/// The padding byte of every field.
pub const PAD: u8 = 0x20;

/// One field of the card file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Version,
    CitizenId,
    NameTh,
    NameEn,
    DateOfBirth,
    Gender,
    RequestNumber,
    Issuer,
    IssuerCode,
    IssueDate,
    ExpiryDate,
    CardType,
    Photo,
    Address,
    CardSerial,
}

impl Field {
    /// Every field, in file order.
    pub const ALL: [Field; 15] = [
        Field::Version,
        Field::CitizenId,
        Field::NameTh,
        Field::NameEn,
        Field::DateOfBirth,
        Field::Gender,
        Field::RequestNumber,
        Field::Issuer,
        Field::IssuerCode,
        Field::IssueDate,
        Field::ExpiryDate,
        Field::CardType,
        Field::Photo,
        Field::Address,
        Field::CardSerial,
    ];

    /// Offset of the field in the card file.
    pub const fn offset(self) -> usize {
        match self {
            Field::Version => 0x0000,
            Field::CitizenId => 0x0004,
            Field::NameTh => 0x0011,
            Field::NameEn => 0x0075,
            Field::DateOfBirth => 0x00D9,
            Field::Gender => 0x00E1,
            Field::RequestNumber => 0x00E2,
            Field::Issuer => 0x00F6,
            Field::IssuerCode => 0x015A,
            Field::IssueDate => 0x0167,
            Field::ExpiryDate => 0x016F,
            Field::CardType => 0x0177,
            Field::Photo => 0x017B,
            Field::Address => 0x1579,
            Field::CardSerial => 0x1619,
        }
    }

    /// Length of the field, in bytes.
    pub const fn size(self) -> usize {
        match self {
            Field::Version => 4,
            Field::CitizenId => 13,
            Field::NameTh | Field::NameEn | Field::Issuer => 100,
            Field::DateOfBirth | Field::IssueDate | Field::ExpiryDate => 8,
            Field::Gender => 1,
            Field::RequestNumber => 20,
            Field::IssuerCode => 13,
            Field::CardType => 2,
            Field::Photo => 5118,
            Field::Address => 160,
            Field::CardSerial => 14,
        }
    }

    /// The field's byte range in the card file.
    pub const fn range(self) -> Range<usize> {
        self.offset()..self.offset() + self.size()
    }

    /// The field's key in a fixture file (`[fields]` and `[tail]`).
    pub const fn key(self) -> &'static str {
        match self {
            Field::Version => "version",
            Field::CitizenId => "citizen_id",
            Field::NameTh => "name_th",
            Field::NameEn => "name_en",
            Field::DateOfBirth => "date_of_birth",
            Field::Gender => "gender",
            Field::RequestNumber => "request_number",
            Field::Issuer => "issuer",
            Field::IssuerCode => "issuer_code",
            Field::IssueDate => "issue_date",
            Field::ExpiryDate => "expiry_date",
            Field::CardType => "card_type",
            Field::Photo => "photo",
            Field::Address => "address",
            Field::CardSerial => "card_serial",
        }
    }

    /// The field whose fixture key is `key`.
    pub fn from_key(key: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|field| field.key() == key)
    }
}

/// Bytes that are not TIS-620 characters: the garbage some cards carry after a field's padding.
pub fn is_garbage(byte: u8) -> bool {
    matches!(byte, 0x80..=0xA0 | 0xDB..=0xDE | 0xFC..=0xFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_tile_the_file_with_only_the_unused_gap() {
        let mut next = 0;
        for field in Field::ALL {
            if field == Field::Photo {
                assert_eq!(next, UNUSED.start);
                next = UNUSED.end;
            }
            assert_eq!(
                field.offset(),
                next,
                "{field:?} starts where the previous ends"
            );
            next = field.range().end;
        }
        assert_eq!(next, FILE_LEN);
    }

    #[test]
    fn keys_round_trip() {
        for field in Field::ALL {
            assert_eq!(Field::from_key(field.key()), Some(field));
        }
        assert_eq!(Field::from_key("nickname"), None);
    }
}
