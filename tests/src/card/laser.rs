//! The card's laser applet (SPEC §2): its 23-byte record, answered in the form the
//! fixture names (`LaserAnswer`), so that the agent meets each form public readers show.

use super::Reply;
use crate::fixture::{Answer, LaserAnswer};

/// SELECT of the laser applet (SPEC §2); cards without it answer `6A 82`.
pub const SELECT_LASER: [u8; 13] = [
    0x00, 0xA4, 0x04, 0x00, 0x08, 0xA0, 0x00, 0x00, 0x00, 0x84, 0x06, 0x00, 0x02,
];

/// The record's length: version (2), state, authorize, 3 unknown bytes, the field.
const RECORD_LEN: u8 = 0x17;
/// The bytes before the laser field.
const HEADER_LEN: usize = 7;
/// The laser field: the ID, padded with NULs.
const FIELD_LEN: usize = 16;

/// The applet of a card that has one.
#[derive(Debug)]
pub(super) struct LaserApplet {
    record: Vec<u8>,
    form: LaserAnswer,
}

impl LaserApplet {
    /// The applet holding `id` (its first 16 bytes) after a header of zeros.
    pub(super) fn new(id: &str, form: LaserAnswer) -> LaserApplet {
        let mut record = vec![0x00; HEADER_LEN];
        record.extend(id.bytes().take(FIELD_LEN));
        record.resize(usize::from(RECORD_LEN), 0x00);
        LaserApplet { record, form }
    }

    /// The answer to `80 00 00 00 Le`, and the data it leaves for GET RESPONSE.
    pub(super) fn read(&self, apdu: &[u8], answer: Answer) -> (Reply, Option<Vec<u8>>) {
        let &[_, _, 0x00, 0x00, le] = apdu else {
            return (Reply::Status(0x6700), None);
        };
        let (header, field) = self.record.split_at(HEADER_LEN);
        let more = |len: usize| 0x6100 | len as u16;
        match (self.form, answer) {
            (LaserAnswer::Record, _) if le != RECORD_LEN => {
                (Reply::Status(0x6C00 | u16::from(RECORD_LEN)), None)
            }
            (LaserAnswer::Record, Answer::Direct) => (Reply::Data(self.record.clone()), None),
            (LaserAnswer::Record, Answer::GetResponse) => (
                Reply::Status(more(self.record.len())),
                Some(self.record.clone()),
            ),
            (LaserAnswer::HeaderThenField, _) => (
                Reply::Partial(header.to_vec(), more(field.len())),
                Some(field.to_vec()),
            ),
            (LaserAnswer::Field, _) => (Reply::Status(more(field.len())), Some(field.to_vec())),
        }
    }
}
