//! Transcripts of the laser read: every answer shape of SPEC §2, exactly the commands
//! sent, never more than three.

use super::super::transcript::{Removed, Transcript, REMOVED};
use super::*;

const SELECT_LASER: &str = "00 A4 04 00 08 A0 00 00 00 84 06 00 02";
const READ_RECORD: &str = "80 00 00 00 17";
const ATR_3B68: &[u8] = &[
    0x3B, 0x68, 0x00, 0x00, 0x00, 0x73, 0xC8, 0x40, 0x12, 0x00, 0x90, 0x00,
];
const ATR_3B67: &[u8] = &[
    0x3B, 0x67, 0x00, 0x00, 0x73, 0x20, 0x00, 0x6C, 0x68, 0x90, 0x00,
];
/// The record's 7 header bytes: version, state, authorize, 3 unknown.
const HEADER: &str = "00 01 02 03 04 05 06";
/// The 16-byte field of `JT0-1234567-89`, NUL padded.
const FIELD: &str = "4A 54 30 2D 31 32 33 34 35 36 37 2D 38 39 00 00";
const ID: &str = "JT0-1234567-89";

fn ok(data: &[&str]) -> String {
    format!("{} 90 00", data.join(" "))
}

/// The laser read of a card answering `steps`, which must be exactly what is sent.
fn read_laser_of(atr: &[u8], steps: &[(&str, &str)]) -> Result<LaserRead, ReadError<Removed>> {
    let mut session = CardSession::new(Transcript::new(steps), atr);
    let laser = session.read_laser();
    let sent = session.commands_sent() as usize;
    assert!(sent <= MAX_LASER_COMMANDS, "{sent} commands");
    assert_eq!(sent, steps.len(), "commands sent");
    assert!(session.into_channel().finished());
    laser
}

fn read_laser(steps: &[(&str, &str)]) -> Result<LaserRead, ReadError<Removed>> {
    read_laser_of(ATR_3B68, steps)
}

fn id(read: Result<LaserRead, ReadError<Removed>>) -> String {
    match read.expect("no channel error") {
        LaserRead::Id(id) => id.as_str().to_owned(),
        other => panic!("expected a laser ID, got {other:?}"),
    }
}

fn unreadable(steps: &[(&str, &str)]) -> LaserUnreadable {
    match read_laser(steps).expect("no channel error") {
        LaserRead::Unreadable(reason) => reason,
        other => panic!("expected no laser ID, got {other:?}"),
    }
}

#[test]
fn sixteen_bytes_after_61_10_alone_are_the_field() {
    let read = read_laser(&[
        (SELECT_LASER, "61 0A"),
        (READ_RECORD, "61 10"),
        ("00 C0 00 00 10", &ok(&[FIELD])),
    ]);
    assert_eq!(id(read), ID);
}

#[test]
fn the_header_with_61_10_then_the_field_make_the_record() {
    let read = read_laser(&[
        (SELECT_LASER, "90 00"),
        (READ_RECORD, &format!("{HEADER} 61 10")),
        ("00 C0 00 00 10", &ok(&[FIELD])),
    ]);
    assert_eq!(id(read), ID);
}

#[test]
fn the_record_at_once_takes_two_commands() {
    let read = read_laser(&[
        (SELECT_LASER, "90 00"),
        (READ_RECORD, &ok(&[HEADER, FIELD])),
    ]);
    assert_eq!(id(read), ID);
}

#[test]
fn the_record_after_61_17_comes_by_get_response() {
    let read = read_laser(&[
        (SELECT_LASER, "61 0A"),
        (READ_RECORD, "61 17"),
        ("00 C0 00 00 17", &ok(&[HEADER, FIELD])),
    ]);
    assert_eq!(id(read), ID);
}

#[test]
fn on_6cxx_the_read_is_sent_again_with_that_le() {
    let read = read_laser(&[
        (SELECT_LASER, "90 00"),
        (READ_RECORD, "6C 17"),
        (READ_RECORD, &ok(&[HEADER, FIELD])),
    ]);
    assert_eq!(id(read), ID);
    let read = read_laser(&[
        (SELECT_LASER, "90 00"),
        (READ_RECORD, "6C 10"),
        ("80 00 00 00 10", &ok(&[FIELD])),
    ]);
    assert_eq!(id(read), ID);
}

#[test]
fn the_field_alone_with_90_00_is_the_field() {
    let read = read_laser(&[(SELECT_LASER, "90 00"), (READ_RECORD, &ok(&[FIELD]))]);
    assert_eq!(id(read), ID);
}

#[test]
fn a_select_answering_61xx_or_90_00_leads_to_the_read() {
    for select in ["61 0A", "61 12", "61 00", "90 00"] {
        let read = read_laser(&[(SELECT_LASER, select), (READ_RECORD, &ok(&[HEADER, FIELD]))]);
        assert_eq!(id(read), ID, "SELECT answered {select}");
    }
}

#[test]
fn a_card_answering_6a_82_has_no_laser_applet() {
    assert_eq!(
        read_laser(&[(SELECT_LASER, "6A 82")]).unwrap(),
        LaserRead::NoApplet
    );
    assert_eq!(LaserRead::NoApplet.laser_id(), None);
}

#[test]
fn atr_3b67_asks_get_response_with_p2_01() {
    let read = read_laser_of(
        ATR_3B67,
        &[
            (SELECT_LASER, "61 0A"),
            (READ_RECORD, &format!("{HEADER} 61 10")),
            ("00 C0 00 01 10", &ok(&[FIELD])),
        ],
    );
    assert_eq!(id(read), ID);
    let read = read_laser_of(
        ATR_3B67,
        &[
            (SELECT_LASER, "61 0A"),
            (READ_RECORD, "61 17"),
            ("00 C0 00 01 17", &ok(&[HEADER, FIELD])),
        ],
    );
    assert_eq!(id(read), ID);
}

#[test]
fn odd_status_words_to_the_select_leave_no_laser_id() {
    for sw in [
        "6D 00", "69 85", "6F 00", "6A 86", "6C 0A", "62 83", "90 01",
    ] {
        let reason = unreadable(&[(SELECT_LASER, sw)]);
        assert!(
            matches!(
                reason,
                LaserUnreadable::Status {
                    step: Step::SelectLaser,
                    instruction: Instruction::Select,
                    ..
                }
            ),
            "{sw}: {reason:?}"
        );
        assert!(
            reason.to_string().starts_with(&format!(
                "selecting the laser ID applet: the card answered {sw} ("
            )),
            "{reason}"
        );
    }
}

#[test]
fn odd_status_words_to_the_read_leave_no_laser_id() {
    for sw in [
        "6D 00", "69 85", "6F 00", "6A 82", "6A 86", "67 00", "90 01", "62 83",
    ] {
        let reason = unreadable(&[(SELECT_LASER, "90 00"), (READ_RECORD, sw)]);
        assert_eq!(
            reason.to_string(),
            format!(
                "reading the laser ID: the card answered {sw} ({}) to READ LASER ID",
                StatusWord::new(
                    u8::from_str_radix(&sw[..2], 16).unwrap(),
                    u8::from_str_radix(&sw[3..], 16).unwrap()
                )
                .description()
            )
        );
    }
    let reason = unreadable(&[
        (SELECT_LASER, "90 00"),
        (READ_RECORD, "61 10"),
        ("00 C0 00 00 10", "6F 00"),
    ]);
    assert!(
        matches!(
            reason,
            LaserUnreadable::Status {
                step: Step::ReadLaser,
                instruction: Instruction::GetResponse,
                sw: StatusWord(0x6F00),
            }
        ),
        "{reason:?}"
    );
}

fn malformed(steps: &[(&str, &str)]) -> Malformed {
    match unreadable(steps) {
        LaserUnreadable::Malformed { problem, .. } => problem,
        other => panic!("expected a malformed answer, got {other:?}"),
    }
}

#[test]
fn offers_of_more_than_the_record_leave_no_laser_id() {
    let offer = |answer: &str| malformed(&[(SELECT_LASER, "90 00"), (READ_RECORD, answer)]);
    assert_eq!(
        offer("61 20"),
        Malformed::BadLength {
            offered: 0x20,
            room: 23
        }
    );
    assert_eq!(
        offer(&format!("{HEADER} 61 17")),
        Malformed::BadLength {
            offered: 0x17,
            room: 16
        }
    );
    assert_eq!(
        offer("6C 00"),
        Malformed::BadLength {
            offered: 256,
            room: 23
        }
    );
}

#[test]
fn too_long_answers_leave_no_laser_id() {
    assert_eq!(
        malformed(&[
            (SELECT_LASER, "90 00"),
            (READ_RECORD, &ok(&[HEADER, FIELD, "00"]))
        ]),
        Malformed::Long {
            expected: 23,
            got: 24
        }
    );
    assert_eq!(
        malformed(&[
            (SELECT_LASER, "90 00"),
            (READ_RECORD, "61 10"),
            ("00 C0 00 00 10", &ok(&[FIELD, "00"])),
        ]),
        Malformed::Long {
            expected: 16,
            got: 17
        }
    );
}

#[test]
fn answers_of_another_length_leave_no_laser_id() {
    let wrong_length = |steps: &[(&str, &str)]| match unreadable(steps) {
        LaserUnreadable::NotAnId(LaserIdError::WrongLength(len)) => len,
        other => panic!("expected a wrong length, got {other:?}"),
    };
    assert_eq!(
        wrong_length(&[(SELECT_LASER, "90 00"), (READ_RECORD, &ok(&[HEADER]))]),
        7,
        "the header alone"
    );
    assert_eq!(
        wrong_length(&[(SELECT_LASER, "90 00"), (READ_RECORD, "90 00")]),
        0
    );
    assert_eq!(
        wrong_length(&[
            (SELECT_LASER, "90 00"),
            (READ_RECORD, "61 10"),
            ("00 C0 00 00 10", &ok(&["4A 54 30 2D 31 32 33 34"])),
        ]),
        8
    );
    let reason = unreadable(&[
        (SELECT_LASER, "90 00"),
        (READ_RECORD, &ok(&[HEADER, "4A 54 30"])),
    ]);
    assert_eq!(
        reason.to_string(),
        "reading the laser ID: the laser answer has 10 bytes where 23 (the record) or 16 (the field) belong"
    );
}

#[test]
fn bytes_that_are_no_laser_id_leave_none_and_are_not_logged() {
    let reason = unreadable(&[
        (SELECT_LASER, "90 00"),
        (
            READ_RECORD,
            &ok(&[HEADER, "4A 54 E0 2D 31 32 33 34 35 36 37 2D 38 39 00 00"]),
        ),
    ]);
    assert_eq!(
        reason,
        LaserUnreadable::NotAnId(LaserIdError::BadByte(0xE0))
    );
    let padding = "00 00 00 00 20 20 20 20 00 00 00 00 00 00 00 00";
    let reason = unreadable(&[
        (SELECT_LASER, "90 00"),
        (READ_RECORD, &ok(&[HEADER, padding])),
    ]);
    assert_eq!(reason, LaserUnreadable::NotAnId(LaserIdError::Empty));
    let reason = malformed(&[
        (SELECT_LASER, "90 00"),
        (READ_RECORD, &ok(&[HEADER, FIELD, "00"])),
    ]);
    assert!(!reason.to_string().contains("JT0"), "{reason}");
}

#[test]
fn an_answer_without_status_word_leaves_no_laser_id() {
    assert_eq!(
        unreadable(&[(SELECT_LASER, "90")]),
        LaserUnreadable::Malformed {
            step: Step::SelectLaser,
            instruction: Instruction::Select,
            problem: Malformed::NoStatusWord(1),
        }
    );
    assert_eq!(
        malformed(&[(SELECT_LASER, "90 00"), (READ_RECORD, "61")]),
        Malformed::NoStatusWord(1)
    );
}

#[test]
fn a_card_wanting_a_fourth_command_is_cut_off() {
    // 6C 07 then 61 10 would need a GET RESPONSE beyond the budget.
    assert_eq!(
        malformed(&[
            (SELECT_LASER, "90 00"),
            (READ_RECORD, "6C 07"),
            ("80 00 00 00 07", &format!("{HEADER} 61 10")),
        ]),
        Malformed::Endless(2)
    );
    assert_eq!(
        malformed(&[
            (SELECT_LASER, "61 0A"),
            (READ_RECORD, "61 10"),
            ("00 C0 00 00 10", "4A 54 30 2D 31 32 33 34 61 08"),
        ]),
        Malformed::Endless(2)
    );
}

#[test]
fn a_card_pulled_out_fails_the_read() {
    for (steps, step) in [
        (&[(SELECT_LASER, REMOVED)][..], Step::SelectLaser),
        (
            &[(SELECT_LASER, "90 00"), (READ_RECORD, REMOVED)][..],
            Step::ReadLaser,
        ),
        (
            &[
                (SELECT_LASER, "90 00"),
                (READ_RECORD, "61 10"),
                ("00 C0 00 00 10", REMOVED),
            ][..],
            Step::ReadLaser,
        ),
    ] {
        let error = read_laser(steps).unwrap_err();
        assert!(
            matches!(error, ReadError::Channel { step: at, .. } if at == step),
            "{error:?}"
        );
    }
}
