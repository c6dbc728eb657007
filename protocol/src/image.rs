//! The bytes read from a card, placed at their offsets in its file.

use crate::layout::{Field, FILE_LEN};
use std::ops::Range;

/// What a read brought back: the card's file with the spans that were read.
#[derive(Clone, PartialEq, Eq)]
pub struct CardImage {
    bytes: Vec<u8>,
    /// Spans in the order they were read.
    read: Vec<Range<u16>>,
}

impl Default for CardImage {
    fn default() -> Self {
        CardImage::new()
    }
}

impl CardImage {
    /// An image of nothing read yet: the file's length in zeros.
    pub fn new() -> CardImage {
        CardImage {
            bytes: vec![0; usize::from(FILE_LEN)],
            read: Vec::new(),
        }
    }

    /// A whole file, as a virtual card or a test vector holds it.
    pub fn from_file(bytes: &[u8]) -> Option<CardImage> {
        (bytes.len() == usize::from(FILE_LEN)).then(|| CardImage {
            bytes: bytes.to_vec(),
            read: std::iter::once(0..FILE_LEN).collect(),
        })
    }

    /// Records `data` as read at `offset`; `false` (and nothing kept) if it runs past the file.
    pub fn put(&mut self, offset: u16, data: &[u8]) -> bool {
        let start = usize::from(offset);
        let Some(target) = self.bytes.get_mut(start..start + data.len()) else {
            return false;
        };
        target.copy_from_slice(data);
        self.read.push(offset..offset + data.len() as u16);
        true
    }

    /// The field's bytes, if every one of them was read.
    pub fn field(&self, field: Field) -> Option<&[u8]> {
        let range = field.range();
        self.covers(range.clone())
            .then(|| &self.bytes[usize::from(range.start)..usize::from(range.end)])
    }

    fn covers(&self, range: Range<u16>) -> bool {
        let mut spans: Vec<&Range<u16>> = self.read.iter().collect();
        spans.sort_by_key(|span| span.start);
        let mut next = range.start;
        for span in spans {
            if span.start <= next && span.end > next {
                next = span.end;
            }
        }
        next >= range.end
    }

    /// Every byte read, in the order read: what an assertion's `data_sha256` covers.
    pub fn bytes_read(&self) -> impl Iterator<Item = &[u8]> {
        self.read
            .iter()
            .map(|span| &self.bytes[usize::from(span.start)..usize::from(span.end)])
    }
}

impl std::fmt::Debug for CardImage {
    // Never print the bytes: they are a citizen's personal data.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardImage")
            .field("read", &self.read)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_is_there_only_when_all_its_bytes_were_read() {
        let mut image = CardImage::new();
        assert_eq!(image.field(Field::CitizenId), None);
        assert!(image.put(0x0004, b"1101700"));
        assert_eq!(image.field(Field::CitizenId), None);
        assert!(image.put(0x000B, b"203450"));
        assert_eq!(image.field(Field::CitizenId), Some(&b"1101700203450"[..]));
        assert_eq!(image.field(Field::Version), None);
        assert_eq!(
            image.bytes_read().collect::<Vec<_>>(),
            [&b"1101700"[..], b"203450"]
        );
    }

    #[test]
    fn data_past_the_end_is_refused() {
        let mut image = CardImage::new();
        assert!(!image.put(FILE_LEN - 1, b"ab"));
        assert!(image.put(FILE_LEN - 2, b"ab"));
        assert_eq!(image.bytes_read().count(), 1);
    }

    #[test]
    fn whole_files_only() {
        assert!(CardImage::from_file(&[0; 10]).is_none());
        let image = CardImage::from_file(&vec![0x20; usize::from(FILE_LEN)]).unwrap();
        assert!(image.field(Field::Photo).is_some());
    }
}
