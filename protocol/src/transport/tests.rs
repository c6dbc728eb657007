//! Transcripts: each test lists the exact commands the session must send and what the
//! card answers to each.

use super::transcript::{Removed, Transcript, REMOVED};
use super::*;
use crate::layout::FILE_LEN;

const SELECT: &str = "00 A4 04 00 08 A0 00 00 00 54 48 00 01";
const ATR_3B68: &[u8] = &[
    0x3B, 0x68, 0x00, 0x00, 0x00, 0x73, 0xC8, 0x40, 0x12, 0x00, 0x90, 0x00,
];
const ATR_3B67: &[u8] = &[
    0x3B, 0x67, 0x00, 0x00, 0x73, 0x20, 0x00, 0x6C, 0x68, 0x90, 0x00,
];

fn citizen_id_plan() -> ReadPlan {
    ReadPlan::new(&[Field::CitizenId])
}

/// "1101700203450" in hex.
const CID: &str = "31 31 30 31 37 30 30 32 30 33 34 35 30";

fn run(atr: &[u8], steps: &[(&str, &str)]) -> Result<CardImage, ReadError<Removed>> {
    let mut session = CardSession::new(Transcript::new(steps), atr);
    session.select()?;
    let image = session.read(&citizen_id_plan())?;
    assert_eq!(session.commands_sent() as usize, steps.len());
    assert!(session.into_channel().finished());
    Ok(image)
}

fn citizen_id(image: &CardImage) -> &[u8] {
    image.field(Field::CitizenId).expect("citizen id read")
}

#[test]
fn get_response_with_p2_00() {
    let image = run(
        ATR_3B68,
        &[
            (SELECT, "61 0A"),
            ("80 B0 00 04 02 00 0D", "61 0D"),
            ("00 C0 00 00 0D", &format!("{CID} 90 00")),
        ],
    )
    .unwrap();
    assert_eq!(citizen_id(&image), b"1101700203450");
}

#[test]
fn atr_3b67_asks_get_response_with_p2_01() {
    let image = run(
        ATR_3B67,
        &[
            (SELECT, "61 0A"),
            ("80 B0 00 04 02 00 0D", "61 0D"),
            ("00 C0 00 01 0D", &format!("{CID} 90 00")),
        ],
    )
    .unwrap();
    assert_eq!(citizen_id(&image), b"1101700203450");
}

#[test]
fn data_with_90_00_at_once() {
    let image = run(
        ATR_3B68,
        &[
            (SELECT, "90 00"),
            ("80 B0 00 04 02 00 0D", &format!("{CID} 90 00")),
        ],
    )
    .unwrap();
    assert_eq!(citizen_id(&image), b"1101700203450");
}

#[test]
fn wrong_length_resends_with_the_card_s_le_and_goes_on_from_there() {
    let image = run(
        ATR_3B68,
        &[
            (SELECT, "90 00"),
            ("80 B0 00 04 02 00 0D", "6C 08"),
            ("80 B0 00 04 02 00 08", "31 31 30 31 37 30 30 32 90 00"),
            ("80 B0 00 0C 02 00 05", "30 33 34 35 30 90 00"),
        ],
    )
    .unwrap();
    assert_eq!(citizen_id(&image), b"1101700203450");
}

#[test]
fn chained_get_response() {
    let image = run(
        ATR_3B68,
        &[
            (SELECT, "61 0A"),
            ("80 B0 00 04 02 00 0D", "61 0D"),
            ("00 C0 00 00 0D", "31 31 30 31 37 30 30 32 61 05"),
            ("00 C0 00 00 05", "30 33 34 35 30 90 00"),
        ],
    )
    .unwrap();
    assert_eq!(citizen_id(&image), b"1101700203450");
}

#[test]
fn a_get_response_answered_6c_is_resent() {
    let image = run(
        ATR_3B68,
        &[
            (SELECT, "61 0A"),
            ("80 B0 00 04 02 00 0D", "61 0D"),
            ("00 C0 00 00 0D", "6C 0D"),
            ("00 C0 00 00 0D", &format!("{CID} 90 00")),
        ],
    )
    .unwrap();
    assert_eq!(citizen_id(&image), b"1101700203450");
}

#[test]
fn select_refused_names_the_status() {
    let err = run(ATR_3B68, &[(SELECT, "6A 82")]).unwrap_err();
    assert!(matches!(
        err,
        ReadError::Status {
            step: Step::Select,
            sw: StatusWord(0x6A82),
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        "selecting the Thai ID applet: the card answered 6A 82 (file or application not found) to SELECT"
    );
}

#[test]
fn every_other_status_word_is_an_error_naming_field_and_status() {
    for sw in [
        "6A 82", "6A 86", "6B 00", "69 82", "69 85", "6D 00", "6E 00", "6F 00", "67 00", "90 01",
        "62 83",
    ] {
        let err = run(ATR_3B68, &[(SELECT, "90 00"), ("80 B0 00 04 02 00 0D", sw)]).unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with(&format!(
                "reading citizen_id (offset 0x0004): the card answered {sw} ("
            )),
            "{message}"
        );
        assert_eq!(err.step().field(), Some(Field::CitizenId));
    }
}

#[test]
fn an_error_on_get_response_names_it() {
    let err = run(
        ATR_3B68,
        &[
            (SELECT, "61 0A"),
            ("80 B0 00 04 02 00 0D", "61 0D"),
            ("00 C0 00 00 0D", "6A 86"),
        ],
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .ends_with("6A 86 (incorrect P1 P2) to GET RESPONSE"),
        "{err}"
    );
}

fn malformed(steps: &[(&str, &str)]) -> Malformed {
    match run(ATR_3B68, steps).unwrap_err() {
        ReadError::Malformed { problem, .. } => problem,
        other => panic!("expected a malformed answer, got {other:?}"),
    }
}

#[test]
fn an_answer_without_status_word_is_malformed() {
    assert_eq!(
        malformed(&[(SELECT, "90 00"), ("80 B0 00 04 02 00 0D", "90")]),
        Malformed::NoStatusWord(1)
    );
}

#[test]
fn short_and_long_answers_are_malformed() {
    assert_eq!(
        malformed(&[(SELECT, "90 00"), ("80 B0 00 04 02 00 0D", "31 31 90 00")]),
        Malformed::Short {
            expected: 13,
            got: 2
        }
    );
    assert_eq!(
        malformed(&[
            (SELECT, "90 00"),
            ("80 B0 00 04 02 00 0D", &format!("{CID} 31 90 00"))
        ]),
        Malformed::Long {
            expected: 13,
            got: 14
        }
    );
    assert_eq!(
        malformed(&[
            (SELECT, "61 0A"),
            ("80 B0 00 04 02 00 0D", "61 0D"),
            ("00 C0 00 00 0D", "31 31 90 00"),
        ]),
        Malformed::Short {
            expected: 13,
            got: 2
        }
    );
}

#[test]
fn offers_bigger_than_asked_are_malformed() {
    assert_eq!(
        malformed(&[(SELECT, "90 00"), ("80 B0 00 04 02 00 0D", "61 20")]),
        Malformed::BadLength {
            offered: 0x20,
            room: 13
        }
    );
    assert_eq!(
        malformed(&[(SELECT, "90 00"), ("80 B0 00 04 02 00 0D", "6C 00")]),
        Malformed::BadLength {
            offered: 256,
            room: 13
        }
    );
}

#[test]
fn a_card_that_never_finishes_is_cut_off() {
    let mut steps = vec![(SELECT, "90 00"), ("80 B0 00 04 02 00 0D", "6C 0D")];
    steps.extend(std::iter::repeat_n(
        ("80 B0 00 04 02 00 0D", "6C 0D"),
        MAX_EXCHANGES - 1,
    ));
    assert_eq!(malformed(&steps), Malformed::Endless(MAX_EXCHANGES));
}

#[test]
fn removal_mid_read_is_a_channel_error_and_returns_nothing() {
    let err = run(
        ATR_3B68,
        &[(SELECT, "61 0A"), ("80 B0 00 04 02 00 0D", REMOVED)],
    )
    .unwrap_err();
    assert!(matches!(
        err,
        ReadError::Channel {
            step: Step::Read { offset: 4 },
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        "reading citizen_id (offset 0x0004): card removed"
    );
}

/// A well-behaved card in memory, for counting commands over whole plans.
struct MemoryCard {
    file: Vec<u8>,
    pending: Vec<u8>,
    direct: bool,
}

impl CardChannel for MemoryCard {
    type Error = Removed;

    fn transmit<'a>(&mut self, command: &[u8], answer: &'a mut [u8]) -> Result<&'a [u8], Removed> {
        let reply: Vec<u8> = match command {
            [0x00, 0xA4, ..] => vec![0x61, 0x0A],
            [0x80, 0xB0, p1, p2, 0x02, 0x00, le] => {
                let start = usize::from(u16::from_be_bytes([*p1, *p2]));
                let data = &self.file[start..start + usize::from(*le)];
                if self.direct {
                    [data, &[0x90, 0x00]].concat()
                } else {
                    self.pending = data.to_vec();
                    vec![0x61, *le]
                }
            }
            [0x00, 0xC0, 0x00, 0x00, _] => [&self.pending[..], &[0x90, 0x00]].concat(),
            _ => vec![0x6D, 0x00],
        };
        answer[..reply.len()].copy_from_slice(&reply);
        Ok(&answer[..reply.len()])
    }
}

fn commands_for(fields: &[Field], direct: bool) -> u32 {
    let file: Vec<u8> = (0..FILE_LEN).map(|i| i as u8).collect();
    let card = MemoryCard {
        file: file.clone(),
        pending: Vec::new(),
        direct,
    };
    let mut session = CardSession::new(card, ATR_3B68);
    session.select().unwrap();
    let image = session.read(&ReadPlan::new(fields)).unwrap();
    for field in fields {
        let range = field.range();
        assert_eq!(
            image.field(*field).unwrap(),
            &file[usize::from(range.start)..usize::from(range.end)]
        );
    }
    session.commands_sent()
}

#[test]
fn command_budgets() {
    assert_eq!(commands_for(&Field::TEXT, false), 7, "text read");
    assert_eq!(commands_for(&Field::ALL, false), 47, "full read with photo");
    assert_eq!(commands_for(&Field::LOGIN, false), 7, "login read");
    assert_eq!(
        commands_for(&Field::TEXT, true),
        4,
        "text read, direct answers"
    );
    assert_eq!(
        commands_for(&Field::ALL, true),
        24,
        "full read, direct answers"
    );
}
