use std::path::Path;

use thaiid_protocol::layout::{Field, FILE_LEN};

use super::*;

const ATR_3B68: &str = "3B 68 00 00 00 73 C8 40 12 00 90 00";
const ATR_3B67: &str = "3B 67 00 00 73 20 00 6C 68 90 00";

/// The citizen ID of the unit-test card: what `read(4, 13)` fetches.
const CID: &[u8] = b"1101700203451";

fn fixture(atr: &str, answer: &str) -> CardFixture {
    let fields = crate::fixture::tests::FIELDS;
    let text = format!(
        "description = \"unit test card\"\natr = \"{atr}\"\nanswer = \"{answer}\"\n{fields}"
    );
    CardFixture::from_toml(Path::new("/nonexistent/unit.toml"), &text).unwrap()
}

fn card(atr: &str, answer: &str, faults: Faults) -> Card {
    Card::new(&fixture(atr, answer), faults)
}

/// The common card (ATR 3B 68, data by GET RESPONSE) with `faults` switched on.
fn faulty(faults: Faults) -> Card {
    card(ATR_3B68, "get-response", faults)
}

/// A card without faults that has accepted the SELECT, so the FCI may still be pending.
fn selected(answer: &str) -> Card {
    let mut card = card(ATR_3B68, answer, Faults::default());
    card.answer(&SELECT_MOI);
    card
}

fn read(offset: u16, le: u8) -> Vec<u8> {
    let [p1, p2] = offset.to_be_bytes();
    vec![0x80, 0xB0, p1, p2, 0x02, 0x00, le]
}

fn get_response(p2: u8, le: u8) -> Vec<u8> {
    vec![0x00, 0xC0, 0x00, p2, le]
}

fn with_ok(data: &[u8]) -> Vec<u8> {
    let mut bytes = data.to_vec();
    bytes.extend_from_slice(&[0x90, 0x00]);
    bytes
}

#[test]
fn select_then_get_response_gives_the_fci() {
    let mut card = faulty(Faults::default());
    assert_eq!(card.answer(&SELECT_MOI), [0x61, 0x0A]);
    assert_eq!(card.answer(&get_response(0, 10)), with_ok(&SELECT_RESPONSE));
}

#[test]
fn select_with_a_trailing_le_is_the_same_select() {
    let mut card = faulty(Faults::default());
    let mut apdu = SELECT_MOI.to_vec();
    apdu.push(0x00);
    assert_eq!(card.answer(&apdu), [0x61, 0x0A]);
}

#[test]
fn direct_select_answers_9000() {
    let mut card = card(ATR_3B68, "direct", Faults::default());
    assert_eq!(card.answer(&SELECT_MOI), [0x90, 0x00]);
}

#[test]
fn other_selects_are_not_found() {
    let mut card = faulty(Faults::default());
    let mut other_aid = SELECT_MOI;
    other_aid[12] = 0x02;
    assert_eq!(card.answer(&other_aid), [0x6A, 0x82]);
    let mut by_path = SELECT_MOI;
    by_path[2] = 0x08;
    assert_eq!(card.answer(&by_path), [0x6A, 0x82]);
    assert_eq!(
        card.answer(&[0x00, 0xA4, 0x04, 0x00, 0x08, 0xA0]),
        [0x67, 0x00]
    );
    assert_eq!(
        card.answer(&read(4, 13)),
        [0x69, 0x86],
        "still not selected"
    );
}

#[test]
fn nothing_works_before_the_select() {
    let mut card = faulty(Faults::default());
    assert_eq!(card.answer(&read(4, 13)), [0x69, 0x86]);
    assert_eq!(card.answer(&get_response(0, 10)), [0x69, 0x86]);
}

#[test]
fn read_then_get_response_returns_the_bytes() {
    // The FCI of the SELECT is never collected: readers skip it, and the card must not mind.
    let mut card = selected("get-response");
    assert_eq!(card.answer(&read(4, 13)), [0x61, 13]);
    assert_eq!(card.answer(&get_response(0, 13)), with_ok(CID));
    assert_eq!(
        card.answer(&get_response(0, 13)),
        [0x69, 0x85],
        "nothing pending"
    );
}

#[test]
fn direct_read_answers_at_once() {
    let mut card = selected("direct");
    assert_eq!(card.answer(&read(4, 13)), with_ok(CID));
    assert_eq!(card.answer(&get_response(0, 13)), [0x69, 0x85]);
}

#[test]
fn a_255_byte_read_at_the_end_of_the_file() {
    let fixture = fixture(ATR_3B68, "direct");
    let mut card = Card::new(&fixture, Faults::default());
    card.answer(&SELECT_MOI);
    let last = FILE_LEN - 255;
    assert_eq!(
        card.answer(&read(last, 255)),
        with_ok(&fixture.image[usize::from(last)..])
    );
    for past_the_end in [read(last + 1, 255), read(FILE_LEN, 1), read(0xFFFF, 255)] {
        assert_eq!(
            card.answer(&past_the_end),
            [0x6B, 0x00],
            "{past_the_end:02X?}"
        );
    }
}

#[test]
fn get_response_wants_p2_01_from_3b67_cards_and_00_from_others() {
    for (atr, p2) in [(ATR_3B67, 1), (ATR_3B68, 0)] {
        let other_p2 = 1 - p2;
        let mut card = card(atr, "get-response", Faults::default());
        assert_eq!(card.answer(&SELECT_MOI), [0x61, 0x0A]);
        assert_eq!(
            card.answer(&get_response(other_p2, 10)),
            [0x6A, 0x86],
            "{atr}"
        );
        assert_eq!(
            card.answer(&get_response(p2, 10)),
            with_ok(&SELECT_RESPONSE)
        );
        assert_eq!(card.answer(&read(4, 13)), [0x61, 13]);
        assert_eq!(
            card.answer(&get_response(other_p2, 13)),
            [0x6A, 0x86],
            "{atr}"
        );
        assert_eq!(
            card.answer(&[0x00, 0xC0, 0x01, p2, 13]),
            [0x6A, 0x86],
            "{atr}: P1 must be 00"
        );
        assert_eq!(card.answer(&get_response(p2, 13)), with_ok(CID), "{atr}");
    }
}

#[test]
fn get_response_in_pieces() {
    let mut card = selected("get-response");
    card.answer(&read(4, 13));
    let mut first = CID[..5].to_vec();
    first.extend_from_slice(&[0x61, 8]);
    assert_eq!(card.answer(&get_response(0, 5)), first);
    assert_eq!(card.answer(&get_response(0, 8)), with_ok(&CID[5..]));
}

#[test]
fn get_response_asking_too_much_says_how_much_there_is() {
    let mut card = selected("get-response");
    card.answer(&read(4, 13));
    assert_eq!(card.answer(&get_response(0, 20)), [0x6C, 13]);
    assert_eq!(
        card.answer(&get_response(0, 0)),
        [0x6C, 13],
        "Le 00 means 256"
    );
    assert_eq!(
        card.answer(&get_response(0, 13)),
        with_ok(CID),
        "still pending"
    );
}

#[test]
fn any_other_command_drops_the_pending_data() {
    let mut card = selected("get-response");
    card.answer(&read(4, 13));
    assert_eq!(card.answer(&[0x00, 0xB0, 0x00, 0x00, 0x05]), [0x6E, 0x00]);
    assert_eq!(card.answer(&get_response(0, 13)), [0x69, 0x85]);
}

#[test]
fn a_new_read_replaces_the_pending_data() {
    let mut card = selected("get-response");
    card.answer(&read(0, 4));
    card.answer(&read(4, 13));
    assert_eq!(card.answer(&get_response(0, 13)), with_ok(CID));
}

#[test]
fn malformed_reads_are_wrong_length() {
    let mut card = selected("get-response");
    let malformed: [&[u8]; 7] = [
        &[0x80, 0xB0, 0x00, 0x04, 0x02, 0x01, 13], // Lc data other than 00
        &[0x80, 0xB0, 0x00, 0x04, 0x01, 0x00, 13], // Lc 01
        &[0x80, 0xB0, 0x00, 0x04, 0x02, 0x00],     // no Le
        &[0x80, 0xB0, 0x00, 0x04, 13],             // no Lc
        &read(4, 0),                               // Le 00
        &[0x80, 0xB0],                             // no header
        &[0x00, 0xC0, 0x00, 0x00],                 // GET RESPONSE without Le
    ];
    for apdu in malformed {
        assert_eq!(card.answer(apdu), [0x67, 0x00], "{apdu:02X?}");
    }
}

#[test]
fn wrong_class_and_unknown_instructions() {
    let mut card = selected("get-response");
    let refused: [(&[u8], [u8; 2]); 4] = [
        (&[0x00, 0xB0, 0x00, 0x04, 0x02, 0x00, 13], [0x6E, 0x00]),
        (&[0x80, 0xA4, 0x04, 0x00, 0x00], [0x6E, 0x00]),
        (&[0x80, 0xC0, 0x00, 0x00, 0x0A], [0x6E, 0x00]),
        (&[0x80, 0xCA, 0x00, 0x00, 0x00], [0x6D, 0x00]),
    ];
    for (apdu, sw) in refused {
        assert_eq!(card.answer(apdu), sw, "{apdu:02X?}");
    }
}

#[test]
fn writes_and_verify_are_never_accepted() {
    let mut card = selected("direct");
    let refused: [&[u8]; 6] = [
        &[0x00, 0x20, 0x00, 0x81, 0x04, 0x31, 0x32, 0x33, 0x34], // VERIFY
        &[0x80, 0x20, 0x00, 0x00, 0x00],
        &[0x00, 0xD6, 0x00, 0x04, 0x01, 0x39], // UPDATE BINARY
        &[0x80, 0xD6, 0x00, 0x04, 0x01, 0x39],
        &[0x00, 0xD0, 0x00, 0x04, 0x01, 0x39], // WRITE BINARY
        &[0x00, 0x24, 0x00, 0x81, 0x00],       // CHANGE REFERENCE DATA
    ];
    for apdu in refused {
        assert_eq!(card.answer(apdu), [0x6D, 0x00], "{apdu:02X?}");
    }
    assert_eq!(
        card.answer(&read(4, 13)),
        with_ok(CID),
        "the file is unchanged"
    );
    let kinds: Vec<_> = card.stats().commands().iter().map(Command::kind).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == CommandKind::Other).count(),
        6
    );
}

#[test]
fn power_cycles_and_resets_deselect() {
    for restart in [
        Card::power_off as fn(&mut Card),
        Card::power_on,
        Card::reset,
    ] {
        let mut card = selected("get-response");
        card.answer(&read(4, 13));
        restart(&mut card);
        assert_eq!(card.apdus_since_power_on(), 0);
        assert_eq!(card.answer(&get_response(0, 13)), [0x69, 0x86]);
        assert_eq!(card.answer(&read(4, 13)), [0x69, 0x86]);
    }
}

#[test]
fn every_apdu_is_counted_and_logged() {
    let mut card = faulty(Faults::default());
    let stats = card.stats();
    card.answer(&SELECT_MOI);
    card.answer(&get_response(0, 10));
    card.power_on();
    card.answer(&[0x00]);
    assert_eq!(stats.apdu_count(), 3);
    let commands = stats.commands();
    assert_eq!(commands[0].kind(), CommandKind::Select);
    assert_eq!(commands[0].bytes, SELECT_MOI);
    assert_eq!(commands[1].kind(), CommandKind::GetResponse);
    assert_eq!((commands[1].p2, commands[1].bytes[4]), (0x00, 10));
    assert_eq!(commands[2].kind(), CommandKind::Other);
    stats.clear();
    assert_eq!(stats.apdu_count(), 0);
    assert!(stats.commands().is_empty());
}

#[test]
fn max_le_asks_for_a_smaller_read() {
    let fixture = fixture(ATR_3B68, "get-response");
    let faults = Faults {
        max_le: Some(100),
        ..Faults::default()
    };
    let mut card = Card::new(&fixture, faults);
    card.answer(&SELECT_MOI);
    assert_eq!(card.answer(&read(0x11, 200)), [0x6C, 100]);
    assert_eq!(card.answer(&read(0x11, 100)), [0x61, 100]);
    assert_eq!(
        card.answer(&get_response(0, 100)),
        with_ok(fixture.field_bytes(Field::NameTh))
    );
}

#[test]
fn status_at_answers_that_status_once_per_power_on() {
    let mut card = faulty(Faults {
        status_at: Some((1, 0x6F00)),
        ..Faults::default()
    });
    assert_eq!(card.answer(&SELECT_MOI), [0x61, 0x0A]);
    assert_eq!(card.answer(&get_response(0, 10)), [0x6F, 0x00]);
    assert_eq!(card.answer(&get_response(0, 10)), with_ok(&SELECT_RESPONSE));
    card.reset();
    card.answer(&SELECT_MOI);
    assert_eq!(card.answer(&get_response(0, 10)), [0x6F, 0x00]);
}

#[test]
fn short_at_cuts_get_response_data_in_half() {
    let mut card = faulty(Faults {
        short_at: Some(2),
        ..Faults::default()
    });
    card.answer(&SELECT_MOI);
    card.answer(&read(4, 13));
    assert_eq!(card.answer(&get_response(0, 13)), with_ok(&CID[..6]));
    assert_eq!(card.answer(&get_response(0, 7)), [0x69, 0x85]);
}

#[test]
fn short_at_on_a_read_answers_half_the_data_at_once() {
    for answer in ["get-response", "direct"] {
        let faults = Faults {
            short_at: Some(1),
            ..Faults::default()
        };
        let mut card = card(ATR_3B68, answer, faults);
        card.answer(&SELECT_MOI);
        assert_eq!(card.answer(&read(4, 13)), with_ok(&CID[..6]), "{answer}");
        assert_eq!(
            card.answer(&get_response(0, 13)),
            [0x69, 0x85],
            "{answer}: nothing left pending"
        );
    }
}

#[test]
fn short_at_on_an_error_leaves_the_error() {
    let mut card = faulty(Faults {
        short_at: Some(0),
        ..Faults::default()
    });
    assert_eq!(card.answer(&read(4, 13)), [0x69, 0x86]);
}

#[test]
fn malformed_at_answers_one_byte() {
    let mut card = faulty(Faults {
        malformed_at: Some(0),
        ..Faults::default()
    });
    assert_eq!(card.answer(&SELECT_MOI), [0x90]);
    assert_eq!(card.answer(&SELECT_MOI), [0x61, 0x0A]);
}

#[test]
fn transport_faults_leave_the_answers_alone() {
    // The vpcd session applies these; the card itself answers as usual.
    let faults = Faults {
        remove_after: Some(1),
        slow: Some(Duration::from_millis(5)),
        ..Faults::default()
    };
    let mut card = card(ATR_3B68, "direct", faults);
    assert_eq!(card.answer(&SELECT_MOI), [0x90, 0x00]);
    assert_eq!(card.answer(&read(4, 13)), with_ok(CID));
}

#[test]
fn the_laser_applet_answers_only_on_cards_that_have_it() {
    const READ_LASER: [u8; 5] = [0x80, 0x00, 0x00, 0x00, 0x17];
    let mut without = card(ATR_3B68, "get-response", Faults::default());
    assert_eq!(without.answer(&SELECT_LASER), vec![0x6A, 0x82]);
    assert_eq!(
        without.answer(&READ_LASER),
        vec![0x69, 0x86],
        "nothing selected"
    );

    let mut with = fixture(ATR_3B68, "get-response");
    with.laser_id = Some("JT0-1234567-89".into());
    let mut card = Card::new(&with, Faults::default());
    assert_eq!(card.answer(&SELECT_LASER), vec![0x61, 0x0A]);
    assert_eq!(
        card.answer(&[0x80, 0x00, 0x00, 0x00, 0x10]),
        vec![0x6C, 0x17]
    );
    assert_eq!(card.answer(&READ_LASER), vec![0x61, 0x17]);
    let answer = card.answer(&get_response(0, 0x17));
    assert_eq!(answer.len(), 25);
    assert_eq!(&answer[7..21], b"JT0-1234567-89");
    assert_eq!(&answer[23..], &[0x90, 0x00]);
    // The laser applet does not serve the MOI file.
    assert_eq!(card.answer(&read(4, 13)), vec![0x69, 0x86]);

    with.answer = crate::fixture::Answer::Direct;
    let mut direct = Card::new(&with, Faults::default());
    assert_eq!(direct.answer(&SELECT_LASER), vec![0x90, 0x00]);
    assert_eq!(direct.answer(&READ_LASER).len(), 25);
}

/// A card of `atr` whose laser applet holds `JT0-1234567-89` and answers in `form`.
fn laser_card(atr: &str, answer: &str, form: crate::fixture::LaserAnswer) -> Card {
    let mut with = fixture(atr, answer);
    with.laser_id = Some("JT0-1234567-89".into());
    with.laser_answer = form;
    Card::new(&with, Faults::default())
}

const READ_RECORD: [u8; 5] = [0x80, 0x00, 0x00, 0x00, 0x17];
/// The laser field of `JT0-1234567-89`: the ID padded with NULs to 16 bytes.
const LASER_FIELD: &[u8; 16] = b"JT0-1234567-89\0\0";

#[test]
fn a_header_then_field_applet_answers_61_10_after_the_header() {
    use crate::fixture::LaserAnswer::HeaderThenField;
    for answer in ["get-response", "direct"] {
        let mut card = laser_card(ATR_3B68, answer, HeaderThenField);
        card.answer(&SELECT_LASER);
        for le in [0x07, 0x17] {
            let reply = card.answer(&[0x80, 0x00, 0x00, 0x00, le]);
            assert_eq!(reply, [0, 0, 0, 0, 0, 0, 0, 0x61, 0x10], "Le {le:02X}");
        }
        assert_eq!(card.answer(&get_response(0, 0x10)), with_ok(LASER_FIELD));
    }
    // Cards whose ATR starts 3B 67 want P2 = 01 here too.
    let mut card = laser_card(ATR_3B67, "get-response", HeaderThenField);
    card.answer(&SELECT_LASER);
    card.answer(&READ_RECORD);
    assert_eq!(card.answer(&get_response(0, 0x10)), [0x6A, 0x86]);
    card.answer(&READ_RECORD);
    assert_eq!(card.answer(&get_response(1, 0x10)), with_ok(LASER_FIELD));
}

#[test]
fn a_field_applet_answers_61_10_alone() {
    let mut card = laser_card(ATR_3B68, "direct", crate::fixture::LaserAnswer::Field);
    assert_eq!(card.answer(&SELECT_LASER), [0x90, 0x00]);
    assert_eq!(card.answer(&READ_RECORD), [0x61, 0x10]);
    assert_eq!(card.answer(&get_response(0, 0x17)), [0x6C, 0x10]);
    assert_eq!(card.answer(&get_response(0, 0x10)), with_ok(LASER_FIELD));
    assert_eq!(
        card.answer(&get_response(0, 0x10)),
        [0x69, 0x85],
        "nothing left"
    );
}
