//! Any sequence of card answers into a full read, the laser ID's included: a value or an
//! error, never a panic.
#![no_main]

mod replay;

use libfuzzer_sys::fuzz_target;
use replay::Replay;
use thaiid_protocol::layout::Field;
use thaiid_protocol::transport::CardSession;
use thaiid_protocol::{Card, ReadPlan};

fuzz_target!(|data: &[u8]| {
    let Some((&atr_p2, answers)) = data.split_first() else {
        return;
    };
    let atr: &[u8] = if atr_p2 & 1 == 1 { &[0x3B, 0x67] } else { &[0x3B, 0x68] };
    let mut session = CardSession::new(Replay::from_input(answers), atr);
    let fields: &[Field] = if atr_p2 & 2 == 2 { &Field::ALL } else { &Field::TEXT };
    if session.select().is_ok() {
        if let Ok(image) = session.read(&ReadPlan::new(fields)) {
            let _ = Card::decode(atr, &image);
            // What the agent reads next, whatever the card answered so far.
            let _ = session.read_laser();
        }
    }
});
