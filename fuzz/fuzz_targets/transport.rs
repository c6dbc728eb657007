//! Any sequence of card answers into a full read: a value or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use thaiid_protocol::layout::Field;
use thaiid_protocol::transport::{CardChannel, CardSession};
use thaiid_protocol::{Card, ReadPlan};

/// Answers are taken from the input: a length byte, then that many bytes.
struct Replay<'a>(&'a [u8]);

#[derive(Debug)]
struct Dry;

impl std::fmt::Display for Dry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no more answers")
    }
}

impl std::error::Error for Dry {}

impl CardChannel for Replay<'_> {
    type Error = Dry;

    fn transmit<'b>(&mut self, _command: &[u8], answer: &'b mut [u8]) -> Result<&'b [u8], Dry> {
        let (&len, rest) = self.0.split_first().ok_or(Dry)?;
        let len = usize::from(len).min(rest.len()).min(answer.len());
        answer[..len].copy_from_slice(&rest[..len]);
        self.0 = &rest[len..];
        Ok(&answer[..len])
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&atr_p2, answers)) = data.split_first() else {
        return;
    };
    let atr: &[u8] = if atr_p2 & 1 == 1 { &[0x3B, 0x67] } else { &[0x3B, 0x68] };
    let mut session = CardSession::new(Replay(answers), atr);
    let fields: &[Field] = if atr_p2 & 2 == 2 { &Field::ALL } else { &Field::TEXT };
    if session.select().is_ok() {
        if let Ok(image) = session.read(&ReadPlan::new(fields)) {
            let _ = Card::decode(atr, &image);
        }
    }
});
