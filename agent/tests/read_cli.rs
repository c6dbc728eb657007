//! `thaiid-agent read` and `readers` against real pcscd, with the virtual card in a
//! vpcd reader. Each test holds the lock of every reader it uses.

use std::process::{Command, Output};
use std::time::{Duration, Instant};
use thaiid_tests::{
    reader_name, Answer, CardFixture, CommandKind, Faults, ReaderLock, VirtualCard,
};

fn agent(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_thaiid-agent"))
        .args(args)
        .output()
        .expect("run thaiid-agent")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The card in slot 0, with slot 1 locked and empty so the agent has one card to find.
struct OneCard {
    card: VirtualCard,
    _locks: [ReaderLock; 2],
}

fn insert(fixture: CardFixture, faults: Faults) -> OneCard {
    let locks = [
        ReaderLock::acquire(0).unwrap(),
        ReaderLock::acquire(1).unwrap(),
    ];
    let card = VirtualCard::new(0, fixture, faults);
    card.insert().expect("virtual card inserted");
    card.clear_log();
    OneCard {
        card,
        _locks: locks,
    }
}

fn fixture(name: &str) -> CardFixture {
    CardFixture::named(name).expect("fixture")
}

fn assert_read_only(card: &VirtualCard) {
    for command in card.commands() {
        assert_ne!(
            command.kind(),
            CommandKind::Other,
            "sent {:02X?}",
            command.bytes
        );
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The laser ID's APDUs after the MOI reads: SELECT (6A 82 ends it without the applet),
/// then its read, with a GET RESPONSE on cards that answer 61 xx.
fn laser_apdus(fixture: &CardFixture) -> u64 {
    match (&fixture.laser_id, fixture.answer) {
        (None, _) => 1,
        (Some(_), Answer::Direct) => 2,
        (Some(_), Answer::GetResponse) => 3,
    }
}

#[test]
fn every_fixture_reads_as_its_json_in_at_most_ten_apdus() {
    let fixtures = CardFixture::all().expect("fixtures");
    assert!(fixtures.len() >= 6, "{} fixtures", fixtures.len());
    for fixture in fixtures {
        let name = fixture.name.clone();
        let expected = fixture.expected_json().expect("expected json");
        let direct = fixture.answer == Answer::Direct;
        let laser = laser_apdus(&fixture);
        let slot = insert(fixture, Faults::default());
        let output = agent(&["read", "--json"]);
        assert!(output.status.success(), "{name}: {}", stderr(&output));
        let printed: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
        assert_eq!(printed, expected, "{name}");
        let apdus = slot.card.apdu_count();
        assert_eq!(
            apdus,
            if direct { 4 } else { 7 } + laser,
            "{name}: APDUs for a text read"
        );
        assert!(apdus <= 10, "{name}: {apdus} APDUs");
        assert_read_only(&slot.card);
    }
}

#[test]
fn photo_is_written_byte_exact_in_at_most_50_apdus() {
    let with_photo: Vec<CardFixture> = CardFixture::all()
        .unwrap()
        .into_iter()
        .filter(|f| f.photo.is_some())
        .collect();
    assert!(with_photo.len() >= 2);
    let dir = tempfile::tempdir().unwrap();
    for fixture in with_photo {
        let name = fixture.name.clone();
        let jpeg = fixture.photo.clone().unwrap();
        let mut expected = fixture.expected_json().unwrap();
        expected["photo"] = serde_json::json!({"bytes": jpeg.len(), "sha256": sha256_hex(&jpeg)});
        let direct = fixture.answer == Answer::Direct;
        let laser = laser_apdus(&fixture);
        let slot = insert(fixture, Faults::default());
        let path = dir.path().join(format!("{name}.jpg"));
        let output = agent(&["read", "--json", "--photo", path.to_str().unwrap()]);
        assert!(output.status.success(), "{name}: {}", stderr(&output));
        let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(printed, expected, "{name}");
        assert_eq!(std::fs::read(&path).unwrap(), jpeg, "{name}: photo bytes");
        assert_eq!(
            slot.card.apdu_count(),
            if direct { 24 } else { 47 } + laser,
            "{name}"
        );
    }
}

#[test]
fn the_summary_masks_the_citizen_id() {
    let fixture = fixture("demo");
    let expected = fixture.expected_json().unwrap();
    let citizen_id = expected["citizen_id"].as_str().unwrap().to_owned();
    let _slot = insert(fixture, Faults::default());
    let output = agent(&["read"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("เลขประจำตัวประชาชน"), "{text}");
    assert!(
        text.contains(&format!(
            "{}-{}-xxxxx-xx-{}",
            &citizen_id[..1],
            &citizen_id[1..5],
            &citizen_id[12..]
        )),
        "{text}"
    );
    assert!(!text.contains(&citizen_id), "{text}");
}

#[test]
fn verbose_traces_every_apdu_and_masks_the_answers() {
    let fixture = fixture("demo");
    let expected = fixture.expected_json().unwrap();
    let slot = insert(fixture, Faults::default());
    let output = agent(&["read", "--verbose", "--photo", "/dev/null"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let trace = stderr(&output);
    let lines: Vec<&str> = trace.lines().filter(|line| line.contains("> ")).collect();
    assert_eq!(
        lines.len() as u64,
        slot.card.apdu_count(),
        "one line an APDU:\n{trace}"
    );
    assert!(
        lines[0].contains("> 00 A4 04 00 08 A0 00 00 00 54 48 00 01"),
        "{trace}"
    );
    assert!(trace.contains("data bytes (masked), 90 00"), "{trace}");
    let citizen_id = expected["citizen_id"].as_str().unwrap();
    let spaced_digits: Vec<String> = citizen_id.bytes().map(|b| format!("{b:02X}")).collect();
    for secret in [
        citizen_id.to_owned(),
        spaced_digits[..6].join(" "),
        expected["name_en"]["last"].as_str().unwrap().to_owned(),
    ] {
        assert!(!trace.contains(&secret), "{secret} in:\n{trace}");
    }
}

#[test]
fn a_card_that_wants_shorter_reads_is_read_all_the_same() {
    let fixture = fixture("demo");
    let expected = fixture.expected_json().unwrap();
    let slot = insert(
        fixture,
        Faults {
            max_le: Some(100),
            ..Faults::default()
        },
    );
    let output = agent(&["read", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap(),
        expected
    );
    assert!(slot.card.apdu_count() > 7);
}

/// Runs a read against a faulty card: exit 5, nothing on stdout, the error on stderr.
fn read_failing(faults: Faults) -> String {
    let _slot = insert(fixture("demo"), faults);
    let output = agent(&["read", "--json"]);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(
        output.stdout.is_empty(),
        "partial output: {}",
        stdout(&output)
    );
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "{message}");
    message
}

#[test]
fn a_card_removed_mid_read_gives_exit_5_and_no_partial_json() {
    for after in [1, 2, 4, 6] {
        let message = read_failing(Faults {
            remove_after: Some(after),
            ..Faults::default()
        });
        assert!(
            message.contains("removed during the read"),
            "after {after}: {message}"
        );
    }
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

#[test]
fn the_card_in_the_second_reader_is_found_and_readers_are_chosen_by_name() {
    let _locks = [
        ReaderLock::acquire(0).unwrap(),
        ReaderLock::acquire(1).unwrap(),
    ];
    let fixture = fixture("demo");
    let expected = fixture.expected_json().unwrap();
    let card = VirtualCard::new(1, fixture, Faults::default());
    card.insert().unwrap();

    let output = agent(&["read", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap(),
        expected
    );

    let output = agent(&["read", "--json", "--reader", &reader_name(1)]);
    assert!(output.status.success(), "{}", stderr(&output));

    let output = agent(&["read", "--reader", &reader_name(0)]);
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(stderr(&output).contains("insert a Thai national ID card"));

    let output = agent(&["read", "--reader", "No Such Reader"]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&reader_name(0)),
        "{}",
        stderr(&output)
    );

    let output = agent(&["readers", "--json"]);
    assert!(output.status.success());
    let readers: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        readers,
        serde_json::json!([
            {"name": reader_name(0), "card_present": false},
            {"name": reader_name(1), "card_present": true},
        ])
    );
}

#[test]
fn no_card_is_exit_4_and_wait_picks_up_a_card_inserted_later() {
    let _locks = [
        ReaderLock::acquire(0).unwrap(),
        ReaderLock::acquire(1).unwrap(),
    ];
    let output = agent(&["read"]);
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(output.stdout.is_empty());

    let card = VirtualCard::new(1, fixture("demo"), Faults::default());
    let started = Instant::now();
    let reader = std::thread::spawn(|| agent(&["read", "--json", "--wait", "20"]));
    std::thread::sleep(Duration::from_millis(500));
    card.insert().unwrap();
    let output = reader.join().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "waited for the deadline"
    );

    let output = agent(&["read", "--reader", &reader_name(0), "--wait", "0.3"]);
    assert_eq!(output.status.code(), Some(4));
}

#[test]
fn usage_errors_are_exit_2() {
    assert_eq!(agent(&["read", "--bogus"]).status.code(), Some(2));
    assert_eq!(agent(&["read", "--wait", "soon"]).status.code(), Some(2));
}

#[test]
fn no_smart_card_service_is_a_clear_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_thaiid-agent"))
        .arg("read")
        .env("PCSCLITE_CSOCK_NAME", "/nonexistent/pcscd.comm")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(6));
    assert!(stderr(&output).contains("pcscd"), "{}", stderr(&output));
}
