//! Every card fixture's golden `read --json` file, checked in plain `cargo test`: the
//! agent's read (`read_over`, the one `thaiid-agent read` runs over PC/SC) against the
//! virtual card's APDU state machine in memory, and the JSON the command prints
//! (`card_json`), compared with the file byte for byte. No pcscd, no vpcd:
//! `read_cli.rs` keeps a few smoke tests of the command through them.

use thaiid_agent::commands::read::card_json;
use thaiid_agent::smartcard::{exit, read_over, CardError};
use thaiid_agent::summary::summary;
use thaiid_protocol::layout::Field;
use thaiid_protocol::{Card as CardModel, ReadPlan};
use thaiid_tests::{Answer, Card, CardFixture, CommandKind, Faults, LaserAnswer};

/// `fixture` read with `fields`, through a card that misbehaves as `faults` say: the
/// decoded card, and the APDUs it received.
fn read(
    fixture: &CardFixture,
    fields: &[Field],
    faults: Faults,
) -> (Result<CardModel, CardError>, Vec<thaiid_tests::Command>) {
    let card = Card::new(fixture, faults);
    let stats = card.stats();
    let read = read_over(card, fixture.atr.clone(), &ReadPlan::new(fields), || false);
    (read.and_then(|read| read.decode()), stats.commands())
}

fn golden(fixture: &CardFixture) -> String {
    std::fs::read_to_string(fixture.expected_json_path()).expect("the golden file reads")
}

/// The laser ID's APDUs after the MOI reads: SELECT (6A 82 ends it without the applet),
/// then the read of the whole record, with one GET RESPONSE on cards that answer 61 xx.
fn laser_apdus(fixture: &CardFixture) -> usize {
    match (&fixture.laser_id, fixture.laser_answer, fixture.answer) {
        (None, _, _) => 1,
        (Some(_), LaserAnswer::Record, Answer::Direct) => 2,
        (Some(_), LaserAnswer::Record, Answer::GetResponse) => 3,
        (Some(_), LaserAnswer::HeaderThenField | LaserAnswer::Field, _) => 3,
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    thaiid_protocol::hex::lower(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

fn demo() -> CardFixture {
    CardFixture::named("demo").expect("the demo fixture")
}

#[test]
fn every_fixture_reads_as_its_golden_json_in_at_most_ten_apdus() {
    let fixtures = CardFixture::all().expect("fixtures");
    // Every golden file belongs to a fixture that is read here.
    let goldens = std::fs::read_dir(thaiid_tests::cards_dir())
        .unwrap()
        .filter(|entry| {
            entry
                .as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|ext| ext == "json")
        })
        .count();
    assert_eq!(fixtures.len(), goldens, "a golden file without a fixture");
    assert!(fixtures.len() >= 7, "{} fixtures", fixtures.len());
    for fixture in fixtures {
        let name = &fixture.name;
        let (card, commands) = read(&fixture, &Field::TEXT, Faults::default());
        let card = card.unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(card_json(&card), golden(&fixture), "{name}");
        let direct = fixture.answer == Answer::Direct;
        assert_eq!(
            commands.len(),
            if direct { 4 } else { 7 } + laser_apdus(&fixture),
            "{name}: APDUs for a text read"
        );
        assert!(commands.len() <= 10, "{name}: {} APDUs", commands.len());
        for command in commands {
            assert_ne!(
                command.kind(),
                CommandKind::Other,
                "{name}: sent {command:?}"
            );
        }
    }
}

#[test]
fn photos_read_byte_exact_in_at_most_50_apdus() {
    let with_photo: Vec<CardFixture> = CardFixture::all()
        .unwrap()
        .into_iter()
        .filter(|f| f.photo.is_some())
        .collect();
    assert!(with_photo.len() >= 2);
    for fixture in with_photo {
        let name = &fixture.name;
        let jpeg = fixture.photo.clone().unwrap();
        let (card, commands) = read(&fixture, &Field::ALL, Faults::default());
        let card = card.unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(card.photo.as_ref().unwrap().jpeg(), jpeg, "{name}");
        let mut expected = fixture.expected_json().unwrap();
        expected["photo"] = serde_json::json!({"bytes": jpeg.len(), "sha256": sha256_hex(&jpeg)});
        let printed: serde_json::Value = serde_json::from_str(&card_json(&card)).unwrap();
        assert_eq!(printed, expected, "{name}");
        let direct = fixture.answer == Answer::Direct;
        assert_eq!(
            commands.len(),
            if direct { 24 } else { 47 } + laser_apdus(&fixture),
            "{name}"
        );
    }
}

#[test]
fn the_summary_masks_the_citizen_id() {
    let fixture = demo();
    let citizen_id = fixture.expected_json().unwrap()["citizen_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let text = summary(&read(&fixture, &Field::TEXT, Faults::default()).0.unwrap());
    assert!(text.contains("เลขประจำตัวประชาชน"), "{text}");
    let masked = format!(
        "{}-{}-xxxxx-xx-{}",
        &citizen_id[..1],
        &citizen_id[1..5],
        &citizen_id[12..]
    );
    assert!(text.contains(&masked), "{text}");
    assert!(!text.contains(&citizen_id), "{text}");
}

#[test]
fn a_card_that_wants_shorter_reads_is_read_all_the_same() {
    let fixture = demo();
    let faults = Faults {
        max_le: Some(100),
        ..Faults::default()
    };
    let (card, commands) = read(&fixture, &Field::TEXT, faults);
    assert_eq!(card_json(&card.unwrap()), golden(&fixture));
    assert!(commands.len() > 10, "{} APDUs", commands.len());
}

/// A read of the demo card that fails as `faults` make it: its message (exit code 5).
fn read_failing(faults: Faults) -> String {
    let (card, _) = read(&demo(), &Field::TEXT, faults);
    let error = card.expect_err("the read fails");
    assert_eq!(error.exit_code(), exit::CARD_UNREADABLE, "{error}");
    error.to_string()
}

#[test]
fn a_wrong_status_word_names_the_field_and_the_status() {
    // APDU 0 is SELECT, 1 the first READ, 2 its GET RESPONSE, 3 the second READ.
    let message = read_failing(Faults {
        status_at: Some((3, 0x6F00)),
        ..Faults::default()
    });
    assert!(
        message.contains("reading issuer (offset 0x00FF)"),
        "{message}"
    );
    assert!(message.contains("6F 00"), "{message}");
}

#[test]
fn short_and_malformed_answers_are_clear_errors() {
    let message = read_failing(Faults {
        short_at: Some(2),
        ..Faults::default()
    });
    assert!(
        message.contains("reading version (offset 0x0000)") && message.contains("data bytes where"),
        "{message}"
    );
    let message = read_failing(Faults {
        malformed_at: Some(2),
        ..Faults::default()
    });
    assert!(message.contains("fewer than a status word"), "{message}");
}

#[test]
fn a_card_without_the_thai_id_applet_is_named() {
    let message = read_failing(Faults {
        status_at: Some((0, 0x6A82)),
        ..Faults::default()
    });
    assert!(message.contains("not a Thai national ID card"), "{message}");
}
