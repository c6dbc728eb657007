//! The laser ID (SPEC §2): `LaserId` parsing of any bytes and text, and the laser read
//! against every answer shape public readers describe, carrying bytes from the input (or
//! against any answers at all). Each shape must give exactly the ID its bytes hold, in
//! at most 3 commands; nothing may panic.
#![no_main]

mod replay;

use libfuzzer_sys::fuzz_target;
use replay::Replay;
use thaiid_protocol::transport::laser::MAX_LASER_COMMANDS;
use thaiid_protocol::transport::CardSession;
use thaiid_protocol::LaserId;

fn ok(data: &[u8]) -> Vec<u8> {
    [data, &[0x90, 0x00]].concat()
}

/// The answers to the laser read (after its SELECT) in one of SPEC §2's shapes, carrying
/// the 23-byte `record`, and the bytes its laser ID must come from; `None`: raw answers.
fn shape(choice: u8, record: &[u8]) -> Option<(Vec<Vec<u8>>, &[u8])> {
    let (header, field) = record.split_at(7);
    Some(match choice % 8 {
        0 => return None,
        1 => (vec![ok(record)], record),
        2 => (vec![vec![0x61, 0x17], ok(record)], record),
        3 => (vec![vec![0x6C, 0x17], ok(record)], record),
        4 => (vec![[header, &[0x61, 0x10]].concat(), ok(field)], record),
        5 => (vec![vec![0x61, 0x10], ok(field)], field),
        6 => (vec![vec![0x6C, 0x10], ok(field)], field),
        _ => (vec![ok(field)], field),
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let _ = LaserId::from_answer(rest);
    if let Ok(id) = std::str::from_utf8(rest).map(LaserId::parse) {
        let _ = id.map(|id| id.masked());
    }

    let atr: &[u8] = if choice & 1 == 1 { &[0x3B, 0x67] } else { &[0x3B, 0x68] };
    let select = if choice & 2 == 2 { vec![0x61, 0x0A] } else { vec![0x90, 0x00] };
    let mut record = rest.iter().take(23).copied().collect::<Vec<u8>>();
    record.resize(23, 0x00);
    let (card, expected) = match shape(choice >> 2, &record) {
        Some((answers, from)) => {
            let expected = LaserId::from_answer(from).ok();
            (Replay::new([vec![select], answers].concat()), Some(expected))
        }
        None => (Replay::from_input(rest), None),
    };
    let mut session = CardSession::new(card, atr);
    let read = session.read_laser();
    assert!(session.commands_sent() as usize <= MAX_LASER_COMMANDS);
    if let Some(expected) = expected {
        let read = read.expect("every answer of the shape is there");
        assert_eq!(read.laser_id(), expected.as_ref());
    }
});
