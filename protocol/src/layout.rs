//! Where each field lives in the card's one flat file, and how to read a set of
//! fields in the fewest READ commands.

use std::fmt;
use std::ops::Range;

/// The largest number of bytes one READ BINARY may ask for (Le is one byte, 0 is not used).
pub const MAX_READ: u16 = 255;

/// Length of the card's flat file: the card serial is its last field.
pub const FILE_LEN: u16 = 0x1627;

/// A field of the MOI applet's file (SPEC §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// The data version, 4 bytes at 0x0000.
    Version,
    /// The citizen ID, 13 digits at 0x0004.
    CitizenId,
    /// The Thai name, `prefix#first#middle#last`, at 0x0011.
    NameTh,
    /// The English name, at 0x0075.
    NameEn,
    /// The date of birth, Buddhist era, at 0x00D9.
    DateOfBirth,
    /// The gender code, 1 byte at 0x00E1.
    Gender,
    /// The request number, at 0x00E2.
    RequestNumber,
    /// The issuing office, at 0x00F6.
    Issuer,
    /// The issuing office's code, at 0x015A.
    IssuerCode,
    /// The issue date, at 0x0167.
    IssueDate,
    /// The expiry date, at 0x016F.
    ExpiryDate,
    /// The card type, 2 bytes at 0x0177.
    CardType,
    /// The photo, a padded JPEG of 5118 bytes at 0x017B.
    Photo,
    /// The address, `#`-separated, at 0x1579.
    Address,
    /// The card serial printed under the photo, 14 digits at 0x1619.
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

    /// Every field but the photo: what `thaiid-agent read` shows without `--photo`.
    pub const TEXT: [Field; 14] = [
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
        Field::Address,
        Field::CardSerial,
    ];

    /// The fields a card login needs (SPEC §6 `card` claim).
    pub const LOGIN: [Field; 5] = [
        Field::CitizenId,
        Field::NameTh,
        Field::NameEn,
        Field::ExpiryDate,
        Field::CardSerial,
    ];

    /// (offset, length) in the card's file.
    const fn place(self) -> (u16, u16) {
        match self {
            Field::Version => (0x0000, 4),
            Field::CitizenId => (0x0004, 13),
            Field::NameTh => (0x0011, 100),
            Field::NameEn => (0x0075, 100),
            Field::DateOfBirth => (0x00D9, 8),
            Field::Gender => (0x00E1, 1),
            Field::RequestNumber => (0x00E2, 20),
            Field::Issuer => (0x00F6, 100),
            Field::IssuerCode => (0x015A, 13),
            Field::IssueDate => (0x0167, 8),
            Field::ExpiryDate => (0x016F, 8),
            Field::CardType => (0x0177, 2),
            Field::Photo => (0x017B, 5118),
            Field::Address => (0x1579, 160),
            Field::CardSerial => (0x1619, 14),
        }
    }

    /// Where the field starts in the file.
    pub const fn offset(self) -> u16 {
        self.place().0
    }

    /// How many bytes the field takes, padding included.
    #[allow(clippy::len_without_is_empty)] // no field is empty
    pub const fn len(self) -> u16 {
        self.place().1
    }

    /// The field's bytes in the file.
    pub const fn range(self) -> Range<u16> {
        let (offset, len) = self.place();
        offset..offset + len
    }

    /// The field that holds byte `offset`, if any (two bytes after the card type belong to none).
    pub fn at(offset: u16) -> Option<Field> {
        Field::ALL
            .into_iter()
            .find(|field| field.range().contains(&offset))
    }

    /// The name used in the card JSON and in error messages.
    pub const fn name(self) -> &'static str {
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
}

impl Field {
    /// The field called `name` (as in the card JSON).
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|field| field.name() == name)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One READ BINARY: `len` bytes at `offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// Where to read.
    pub offset: u16,
    /// How many bytes (1 to 255).
    pub len: u8,
}

/// The READ commands that fetch a set of fields.
///
/// Adjacent and nearby fields share commands: two spans are read as one whenever that
/// takes no more commands than reading them apart, so the text of a card takes 3 reads
/// and the whole file 23.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadPlan {
    chunks: Vec<Chunk>,
}

impl ReadPlan {
    /// The fewest READs that cover `fields`.
    pub fn new(fields: &[Field]) -> ReadPlan {
        let mut spans: Vec<Range<u16>> = fields.iter().map(|field| field.range()).collect();
        spans.sort_by_key(|span| span.start);
        let mut merged: Vec<Range<u16>> = Vec::new();
        for span in spans {
            match merged.last_mut() {
                Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
                Some(last)
                    if commands(last.start..span.end.max(last.end))
                        <= commands(last.clone()) + commands(span.clone()) =>
                {
                    last.end = span.end.max(last.end)
                }
                _ => merged.push(span),
            }
        }
        let chunks = merged
            .into_iter()
            .flat_map(|span| {
                (span.start..span.end)
                    .step_by(MAX_READ as usize)
                    .map(move |offset| Chunk {
                        offset,
                        len: (span.end - offset).min(MAX_READ) as u8,
                    })
            })
            .collect();
        ReadPlan { chunks }
    }

    /// The READs, in file order.
    pub fn chunks(&self) -> &[Chunk] {
        &self.chunks
    }
}

fn commands(span: Range<u16>) -> u16 {
    (span.end - span.start).div_ceil(MAX_READ)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_tile_the_file_in_order_without_overlap() {
        for pair in Field::ALL.windows(2) {
            assert!(pair[0].range().end <= pair[1].offset(), "{pair:?}");
        }
        assert_eq!(Field::CardSerial.range().end, FILE_LEN);
        // The only hole is two bytes between the card type and the photo.
        assert_eq!(Field::Photo.offset() - Field::CardType.range().end, 2);
    }

    #[test]
    fn names_round_trip() {
        for field in Field::ALL {
            assert_eq!(Field::from_name(field.name()), Some(field));
        }
        assert_eq!(Field::from_name("nickname"), None);
    }

    #[test]
    fn field_at_offset() {
        assert_eq!(Field::at(0), Some(Field::Version));
        assert_eq!(Field::at(0x0010), Some(Field::CitizenId));
        assert_eq!(Field::at(0x0011), Some(Field::NameTh));
        assert_eq!(Field::at(0x0179), None);
        assert_eq!(Field::at(0x1626), Some(Field::CardSerial));
        assert_eq!(Field::at(FILE_LEN), None);
    }

    #[test]
    fn text_fields_take_three_reads() {
        let plan = ReadPlan::new(&Field::TEXT);
        assert_eq!(
            plan.chunks(),
            [
                Chunk {
                    offset: 0x0000,
                    len: 255
                },
                Chunk {
                    offset: 0x00FF,
                    len: 122
                },
                Chunk {
                    offset: 0x1579,
                    len: 174
                },
            ]
        );
    }

    #[test]
    fn whole_file_takes_twenty_three_reads_covering_every_byte() {
        let plan = ReadPlan::new(&Field::ALL);
        assert_eq!(plan.chunks().len(), 23);
        let mut next = 0u16;
        for chunk in plan.chunks() {
            assert_eq!(chunk.offset, next);
            next += u16::from(chunk.len);
        }
        assert_eq!(next, FILE_LEN);
    }

    #[test]
    fn login_fields_take_three_reads() {
        let plan = ReadPlan::new(&Field::LOGIN);
        assert_eq!(plan.chunks().len(), 3);
        assert_eq!(plan.chunks()[0].offset, Field::CitizenId.offset());
        assert_eq!(plan.chunks()[2].offset, Field::CardSerial.offset());
    }

    #[test]
    fn distant_fields_are_read_apart_and_order_does_not_matter() {
        let plan = ReadPlan::new(&[Field::CardSerial, Field::Version]);
        assert_eq!(
            plan.chunks(),
            [
                Chunk { offset: 0, len: 4 },
                Chunk {
                    offset: 0x1619,
                    len: 14
                },
            ]
        );
        assert_eq!(ReadPlan::new(&[]).chunks(), []);
    }
}
