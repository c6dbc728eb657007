//! Through the real stack: this card, vpcd, pcscd and a PC/SC client (the `pcsc` crate).
//! They need pcscd running with vsmartcard-vpcd (SPEC §8); every test holds the reader's lock.

use std::ffi::CString;
use std::time::Instant;

use pcsc::{Context, Disposition, Protocols, Scope, ShareMode};
use thaiid_protocol::layout::{Field, FILE_LEN};

use super::*;
use crate::card::{CommandKind, SELECT_MOI};
use crate::fixture::Answer;
use crate::reader::ReaderLock;

/// Slot 1: the demo's `thaiid-vcard` uses slot 0 by default.
const SLOT: u8 = 1;

fn connect(slot: u8) -> pcsc::Card {
    let context = Context::establish(Scope::User).expect("pcscd is running");
    let reader = CString::new(reader::reader_name(slot)).unwrap();
    context
        .connect(&reader, ShareMode::Shared, Protocols::ANY)
        .expect("connect to the virtual reader")
}

fn transmit(card: &pcsc::Card, apdu: &[u8]) -> Vec<u8> {
    let mut buffer = [0u8; pcsc::MAX_BUFFER_SIZE];
    card.transmit(apdu, &mut buffer).expect("transmit").to_vec()
}

/// Reads `le` bytes at `offset` the way the card wants it.
fn read(card: &pcsc::Card, fixture: &CardFixture, offset: usize, le: u8) -> Vec<u8> {
    let [p1, p2] = u16::try_from(offset).unwrap().to_be_bytes();
    let answer = transmit(card, &[0x80, 0xB0, p1, p2, 0x02, 0x00, le]);
    let mut data = match fixture.answer {
        Answer::Direct => answer,
        Answer::GetResponse => {
            assert_eq!(answer, [0x61, le]);
            let p2 = u8::from(fixture.atr.starts_with(&[0x3B, 0x67]));
            transmit(card, &[0x00, 0xC0, 0x00, p2, le])
        }
    };
    assert_eq!(data.split_off(data.len() - 2), [0x90, 0x00]);
    data
}

fn select(card: &pcsc::Card, fixture: &CardFixture) {
    let expected: &[u8] = match fixture.answer {
        Answer::Direct => &[0x90, 0x00],
        Answer::GetResponse => &[0x61, 0x0A],
    };
    assert_eq!(transmit(card, &SELECT_MOI), expected);
}

#[test]
fn pcscd_sees_the_card_and_reads_it_after_reinsertion() {
    let _reader = ReaderLock::acquire(SLOT).unwrap();
    let fixture = CardFixture::named("demo").unwrap();
    let virtual_card = VirtualCard::new(SLOT, fixture.clone(), Faults::default());
    assert!(!virtual_card.is_inserted());

    for round in 0..2 {
        virtual_card.insert().unwrap();
        assert!(virtual_card.is_inserted());
        {
            let card = connect(SLOT);
            assert_eq!(card.status2_owned().unwrap().atr(), fixture.atr);
            select(&card, &fixture);
            let cid = read(&card, &fixture, usize::from(Field::CitizenId.offset()), 13);
            assert_eq!(cid, fixture.field_bytes(Field::CitizenId), "round {round}");
            card.disconnect(Disposition::LeaveCard)
                .map_err(|(_, err)| err)
                .unwrap();
        }
        virtual_card.remove().unwrap();
        assert!(!virtual_card.is_inserted());
    }

    let commands = virtual_card.commands();
    assert_eq!(virtual_card.apdu_count(), 6);
    assert_eq!(commands.len(), 6);
    let kinds: Vec<_> = commands.iter().map(Command::kind).collect();
    assert_eq!(
        kinds[..3],
        [
            CommandKind::Select,
            CommandKind::Read,
            CommandKind::GetResponse
        ]
    );
}

#[test]
fn inserting_twice_is_refused() {
    let _reader = ReaderLock::acquire(SLOT).unwrap();
    let virtual_card =
        VirtualCard::new(SLOT, CardFixture::named("demo").unwrap(), Faults::default());
    virtual_card.insert().unwrap();
    assert!(matches!(
        virtual_card.insert(),
        Err(VirtualCardError::AlreadyInserted { .. })
    ));
}

#[test]
fn every_fixture_reads_back_whole_through_pcscd() {
    let _reader = ReaderLock::acquire(SLOT).unwrap();
    for fixture in CardFixture::all().unwrap() {
        let virtual_card = VirtualCard::new(SLOT, fixture.clone(), Faults::default());
        virtual_card.insert().unwrap();
        let card = connect(SLOT);
        select(&card, &fixture);
        let file_len = usize::from(FILE_LEN);
        let mut image = Vec::with_capacity(file_len);
        while image.len() < file_len {
            let le = u8::try_from((file_len - image.len()).min(255)).unwrap();
            image.extend(read(&card, &fixture, image.len(), le));
        }
        assert!(
            image == fixture.image,
            "{} reads back as written",
            fixture.name
        );
        drop(card);
        virtual_card.remove().unwrap();
    }
}

/// Guards the TCP_QUICKACK/TCP_NODELAY settings: without them each APDU waits ~40 ms.
#[test]
fn an_apdu_round_trip_through_pcscd_takes_about_a_millisecond() {
    let _reader = ReaderLock::acquire(SLOT).unwrap();
    let fixture = CardFixture::named("demo").unwrap();
    let virtual_card = VirtualCard::new(SLOT, fixture.clone(), Faults::default());
    virtual_card.insert().unwrap();
    let card = connect(SLOT);
    select(&card, &fixture);
    const ROUNDS: u32 = 200;
    let start = Instant::now();
    for _ in 0..ROUNDS {
        transmit(&card, &[0x80, 0xB0, 0x00, 0x04, 0x02, 0x00, 13]);
    }
    let per_apdu = start.elapsed() / ROUNDS;
    eprintln!("APDU round trip through pcscd: {per_apdu:?}");
    assert!(
        per_apdu < Duration::from_millis(15),
        "{per_apdu:?} per APDU: delayed ACKs are back"
    );
}

#[test]
fn remove_after_pulls_the_card_mid_read() {
    let _reader = ReaderLock::acquire(SLOT).unwrap();
    let fixture = CardFixture::named("demo").unwrap();
    let faults = Faults {
        remove_after: Some(3),
        ..Faults::default()
    };
    let virtual_card = VirtualCard::new(SLOT, fixture.clone(), faults);
    virtual_card.insert().unwrap();
    let card = connect(SLOT);
    select(&card, &fixture);
    read(&card, &fixture, 0, 4);
    let mut buffer = [0u8; pcsc::MAX_BUFFER_SIZE];
    let pulled = card.transmit(&[0x80, 0xB0, 0x00, 0x04, 0x02, 0x00, 13], &mut buffer);
    eprintln!("transmit to a card pulled mid-read: {pulled:02X?}");
    // vpcd hands pcscd an empty answer for the APDU it got no answer to.
    assert!(
        pulled.as_ref().map_or(true, |answer| answer.len() < 2),
        "the fourth APDU has no answer: {pulled:02X?}"
    );
    assert!(matches!(
        virtual_card.wait_until_ejected(),
        Some(SessionEnd::RemovedByFault)
    ));
    assert_eq!(virtual_card.apdu_count(), 4);
    drop(card);
    reader::wait_for(SLOT, Presence::Absent, None, PCSCD_TIMEOUT).unwrap();

    // Put back in, the card answers again (from a fresh power-on).
    virtual_card.set_faults(Faults::default());
    virtual_card.insert().unwrap();
    let card = connect(SLOT);
    select(&card, &fixture);
    assert_eq!(
        read(&card, &fixture, 4, 13),
        fixture.field_bytes(Field::CitizenId)
    );
}

#[test]
fn status_and_malformed_faults_reach_the_client() {
    let _reader = ReaderLock::acquire(SLOT).unwrap();
    let fixture = CardFixture::named("demo").unwrap();
    let faults = Faults {
        status_at: Some((0, 0x6A82)),
        malformed_at: Some(1),
        ..Faults::default()
    };
    let virtual_card = VirtualCard::new(SLOT, fixture.clone(), faults);
    virtual_card.insert().unwrap();
    let card = connect(SLOT);
    assert_eq!(transmit(&card, &SELECT_MOI), [0x6A, 0x82]);
    assert_eq!(transmit(&card, &SELECT_MOI), [0x90]);
    select(&card, &fixture);
}
