//! `thaiid-agent read` and `readers` against real pcscd, with the virtual card in a
//! vpcd reader: smoke tests of the command (one golden file, the photo file, the trace,
//! a card pulled out, readers, no card, no pcscd). Every fixture's golden file, and the
//! read's errors, are checked without pcscd in `golden_json.rs`. Each test holds the lock
//! of every reader it uses.

use std::process::{Command, Output};
use std::time::{Duration, Instant};
use thaiid_tests::{
    reader_name, CardFixture, CommandKind, Faults, LaserAnswer, ReaderLock, VirtualCard,
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

#[test]
fn the_demo_card_prints_its_golden_json_in_ten_apdus() {
    let fixture = fixture("demo");
    let golden = std::fs::read_to_string(fixture.expected_json_path()).unwrap();
    let slot = insert(fixture, Faults::default());
    let output = agent(&["read", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), golden);
    assert_eq!(
        slot.card.apdu_count(),
        10,
        "7 for the text, 3 for the laser ID"
    );
    assert_read_only(&slot.card);
}

#[test]
fn cards_answering_61_10_to_the_laser_read_print_their_laser_id_in_ten_apdus() {
    // The 7 header bytes with 61 10 (GET RESPONSE P2=01 for this ATR), and 61 10 alone.
    for name in ["leap-day-middle-name", "address-160"] {
        let fixture = fixture(name);
        assert_ne!(fixture.laser_answer, LaserAnswer::Record, "{name}");
        let golden = std::fs::read_to_string(fixture.expected_json_path()).unwrap();
        assert!(golden.contains("\"laser_id\": \""), "{name}: {golden}");
        let slot = insert(fixture, Faults::default());
        let output = agent(&["read", "--json"]);
        assert!(output.status.success(), "{name}: {}", stderr(&output));
        assert_eq!(stdout(&output), golden, "{name}");
        assert_eq!(
            slot.card.apdu_count(),
            10,
            "{name}: 7 for the text, 3 for the laser ID"
        );
        assert_read_only(&slot.card);
    }
}

#[test]
fn a_laser_applet_answering_oddly_leaves_laser_id_null_and_a_warning() {
    let mut expected = fixture("demo").expected_json().unwrap();
    let laser_id = expected["laser_id"].as_str().unwrap().to_owned();
    expected["laser_id"] = serde_json::Value::Null;
    // APDU 8 is the laser read, after the SELECT, 3 READs with their GET RESPONSEs, and
    // the laser applet's SELECT.
    let _slot = insert(
        fixture("demo"),
        Faults {
            status_at: Some((8, 0x6F00)),
            ..Faults::default()
        },
    );
    let output = agent(&["read", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(printed, expected);
    let log = stderr(&output);
    assert!(
        log.contains("the card gave no laser ID: reading the laser ID: the card answered 6F 00"),
        "{log}"
    );
    assert!(!log.contains(&laser_id[..3]), "{log}");
}

#[test]
fn the_photo_is_written_byte_exact() {
    let fixture = fixture("demo");
    let jpeg = fixture.photo.clone().unwrap();
    let mut expected = fixture.expected_json().unwrap();
    expected["photo"] = serde_json::json!({"bytes": jpeg.len(), "sha256": sha256_hex(&jpeg)});
    let _slot = insert(fixture, Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.jpg");
    let output = agent(&["read", "--json", "--photo", path.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(printed, expected);
    assert_eq!(std::fs::read(&path).unwrap(), jpeg, "photo bytes");
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
    // 7, 8 and 9: during the laser ID's SELECT, read and GET RESPONSE.
    for after in [1, 2, 4, 6, 7, 8, 9] {
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
