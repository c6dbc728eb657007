//! Reads a real Thai national ID card in a real reader. Needs hardware, so ignored by
//! default; run with a card inserted:
//!
//!     THAIID_HARDWARE_READER="<reader name from thaiid-agent readers>" \
//!         cargo test -p thaiid-agent --test hardware -- --ignored --nocapture
//!
//! It checks the card decodes; it prints none of its data. It prints how the card's laser
//! applet answered (commands, answer lengths and status words only), since no form of that
//! answer (SPEC §2) has been seen on hardware here yet.

use std::process::Command;

#[test]
#[ignore = "needs a real reader and a real Thai ID card (THAIID_HARDWARE_READER)"]
fn a_real_card_reads_and_decodes_with_photo() {
    let reader = std::env::var("THAIID_HARDWARE_READER").expect("THAIID_HARDWARE_READER");
    let photo = tempfile::NamedTempFile::new().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_thaiid-agent"))
        .args(["read", "--json", "--reader", &reader, "--photo"])
        .arg(photo.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let card: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(card["citizen_id_valid"], true);
    assert!(!card["name_th"]["first"].as_str().unwrap().is_empty());
    assert!(card["address"]["parts"].as_array().unwrap().len() >= 7);
    let jpeg = std::fs::read(photo.path()).unwrap();
    assert!(jpeg.starts_with(&[0xFF, 0xD8]) && jpeg.ends_with(&[0xFF, 0xD9]));
    assert_eq!(card["photo"]["bytes"], jpeg.len());
}

#[test]
#[ignore = "needs a real reader and a real Thai ID card (THAIID_HARDWARE_READER)"]
fn a_real_card_shows_how_its_laser_applet_answers() {
    let reader = std::env::var("THAIID_HARDWARE_READER").expect("THAIID_HARDWARE_READER");
    let output = Command::new(env!("CARGO_BIN_EXE_thaiid-agent"))
        .args(["read", "--json", "--verbose", "--reader", &reader])
        .output()
        .unwrap();
    let trace = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{trace}");
    // The trace masks every answer's data; from the laser applet's SELECT on, it is the
    // laser read alone, and the warning if the card gave no laser ID.
    let laser: Vec<&str> = trace
        .lines()
        .skip_while(|line| !line.contains("> 00 A4 04 00 08 A0 00 00 00 84 06 00 02"))
        .collect();
    eprintln!("the laser applet's answers:\n{}", laser.join("\n"));
    assert!(!laser.is_empty() && laser.len() <= 4, "{trace}");
    let card: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    match card["laser_id"].as_str() {
        Some(id) => assert!(
            (1..=16).contains(&id.len())
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'),
            "the laser ID has an unexpected shape"
        ),
        None => eprintln!("no laser ID: see the lines above"),
    }
}
