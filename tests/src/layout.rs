//! The card layout comes from the protocol crate; the virtual card only adds what it
//! needs to build a file: places as indexes and the padding byte.

use std::ops::Range;
pub use thaiid_protocol::decode::is_garbage;
pub use thaiid_protocol::layout::Field;

/// Length of the card's flat file, in bytes.
pub const FILE_LEN: usize = thaiid_protocol::layout::FILE_LEN as usize;

/// The padding byte of every field (and of the two unused bytes before the photo).
pub const PAD: u8 = 0x20;

/// Where `field` lies in the file, as indexes.
pub fn span(field: Field) -> Range<usize> {
    let range = field.range();
    usize::from(range.start)..usize::from(range.end)
}
