//! The laser ID through the agent's read (`read_over`, the one every caller runs) against
//! the virtual card's APDU state machine in memory: each answer form of SPEC §2 gives the
//! ID in a login read of at most 10 APDUs, and an applet that answers oddly leaves the
//! card without one, never a failed read. Through pcscd: `read_cli.rs`.

use thaiid_agent::smartcard::{read_over, CardRead};
use thaiid_protocol::apdu::{Instruction, StatusWord};
use thaiid_protocol::laser::LaserIdError;
use thaiid_protocol::layout::Field;
use thaiid_protocol::transport::laser::{LaserRead, LaserUnreadable};
use thaiid_protocol::transport::{Malformed, Step};
use thaiid_protocol::ReadPlan;
use thaiid_tests::{Answer, Card, CardFixture, Faults, LaserAnswer};

const ATR_3B67: [u8; 11] = [
    0x3B, 0x67, 0x00, 0x00, 0x73, 0x20, 0x00, 0x6C, 0x68, 0x90, 0x00,
];

/// The login read of `fixture` (what the agent reads at insertion): its result and the
/// number of APDUs the card received.
fn login_read(fixture: &CardFixture, faults: Faults) -> (CardRead, usize) {
    let card = Card::new(fixture, faults);
    let stats = card.stats();
    let read = read_over(
        card,
        fixture.atr.clone(),
        &ReadPlan::new(&Field::LOGIN),
        || false,
    )
    .expect("the login read succeeds");
    (read, stats.commands().len())
}

fn demo() -> CardFixture {
    CardFixture::named("demo").expect("the demo fixture")
}

#[test]
fn every_laser_form_gives_the_id_in_at_most_ten_apdus() {
    let forms = [
        LaserAnswer::Record,
        LaserAnswer::HeaderThenField,
        LaserAnswer::Field,
    ];
    for form in forms {
        for answer in [Answer::GetResponse, Answer::Direct] {
            for atr in [demo().atr, ATR_3B67.to_vec()] {
                let mut fixture = demo();
                (fixture.laser_answer, fixture.answer, fixture.atr) = (form, answer, atr);
                let case = format!("{form:?}, {answer:?}, ATR {:02X?}", &fixture.atr[..2]);
                let (read, apdus) = login_read(&fixture, Faults::default());
                let id = read.laser.laser_id().map(|id| id.as_str().to_owned());
                assert_eq!(id.as_deref(), Some("JT0-1234567-89"), "{case}");
                let claim = read.claim().unwrap();
                assert_eq!(claim.laser_id, read.laser.laser_id().cloned(), "{case}");
                assert!(apdus <= 10, "{case}: {apdus} APDUs");
            }
        }
    }
}

#[test]
fn a_card_without_the_laser_applet_has_no_laser_id_after_one_apdu() {
    let fixture = CardFixture::named("bad-check-digit").unwrap();
    assert_eq!(fixture.laser_id, None);
    let (read, apdus) = login_read(&fixture, Faults::default());
    assert_eq!(read.laser, LaserRead::NoApplet);
    assert_eq!(read.claim().unwrap().laser_id, None);
    assert_eq!(apdus, 7 + 1);
}

/// The demo card's login read with `faults`: what the laser applet gave.
fn demo_laser(faults: Faults) -> LaserUnreadable {
    let (read, apdus) = login_read(&demo(), faults);
    assert!(apdus <= 10, "{apdus} APDUs");
    assert_eq!(read.claim().unwrap().laser_id, None, "no laser ID claimed");
    match read.laser {
        LaserRead::Unreadable(reason) => reason,
        other => panic!("expected no laser ID, got {other:?}"),
    }
}

#[test]
fn an_applet_answering_oddly_leaves_the_card_without_a_laser_id() {
    // APDU 0 is the SELECT, 1 to 6 the login READs and their GET RESPONSEs, 7 the laser
    // applet's SELECT, 8 its read, 9 the read's GET RESPONSE.
    let status_at = |at, sw| Faults {
        status_at: Some((at, sw)),
        ..Faults::default()
    };
    assert_eq!(
        demo_laser(status_at(7, 0x6985)),
        LaserUnreadable::Status {
            step: Step::SelectLaser,
            instruction: Instruction::Select,
            sw: StatusWord(0x6985),
        }
    );
    for sw in [0x6D00, 0x6F00, 0x6A86] {
        assert_eq!(
            demo_laser(status_at(8, sw)),
            LaserUnreadable::Status {
                step: Step::ReadLaser,
                instruction: Instruction::ReadLaser,
                sw: StatusWord(sw),
            }
        );
    }
    assert_eq!(
        demo_laser(Faults {
            short_at: Some(9),
            ..Faults::default()
        }),
        LaserUnreadable::NotAnId(LaserIdError::WrongLength(11))
    );
    assert!(matches!(
        demo_laser(Faults {
            malformed_at: Some(8),
            ..Faults::default()
        }),
        LaserUnreadable::Malformed {
            problem: Malformed::NoStatusWord(1),
            ..
        }
    ));
}
