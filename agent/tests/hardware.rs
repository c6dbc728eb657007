//! Reads a real Thai national ID card in a real reader. Needs hardware, so ignored by
//! default; run with a card inserted:
//!
//!     THAIID_HARDWARE_READER="<reader name from thaiid-agent readers>" \
//!         cargo test -p thaiid-agent --test hardware -- --ignored --nocapture
//!
//! It checks the card decodes; it prints none of its data.

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
