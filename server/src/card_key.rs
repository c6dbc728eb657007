//! The key registered cards are stored under: the database holds HMAC-SHA256 values of a
//! card's serial and laser ID keyed with it, never the numbers, so that a copy of the
//! database (a backup, a dump) does not tell what is on anyone's card, and the numbers
//! cannot be guessed back from it without the key. It is a [`key_file`] beside the OTP
//! key; every server on one database needs the same file.

use crate::key_file;
use ring::hmac;
use std::path::Path;
use std::sync::Arc;
use thaiid_protocol::laser::LaserId;

#[derive(Clone)]
pub struct CardKey(Arc<hmac::Key>);

impl std::fmt::Debug for CardKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CardKey(…)")
    }
}

impl CardKey {
    fn from_bytes(bytes: &[u8]) -> CardKey {
        CardKey(Arc::new(hmac::Key::new(hmac::HMAC_SHA256, bytes)))
    }

    /// A key that lives as long as the process (tests).
    pub fn generate() -> CardKey {
        CardKey::from_bytes(&crate::random_bytes::<{ key_file::KEY_LEN }>())
    }

    /// The key in `path`, made there (mode 0600) if there is none yet.
    pub fn load_or_create(path: &Path) -> Result<CardKey, key_file::KeyFileError> {
        Ok(CardKey::from_bytes(&key_file::load_or_create(
            path, "card key",
        )?))
    }

    fn tag(&self, kind: &str, value: &str) -> String {
        // The kind keeps a serial's hash from ever equalling a laser ID's.
        let message = format!("{kind}\0{value}");
        thaiid_protocol::hex::lower(hmac::sign(&self.0, message.as_bytes()).as_ref())
    }

    /// The stored form of a card serial (as the card gives it, 14 digits).
    pub fn serial(&self, serial: &str) -> String {
        self.tag("serial", serial.trim())
    }

    /// The stored form of a laser ID: as [`LaserId`] normalises it (upper case), its
    /// dashes dropped, so that `JT0-1234567-89` typed at the helpdesk matches a chip that
    /// answers `JT0123456789`.
    pub fn laser(&self, laser: &LaserId) -> String {
        let bare: String = laser.as_str().chars().filter(|&c| c != '-').collect();
        self.tag("laser", &bare)
    }

    /// What the audit log keeps to tell cards apart (the alerts group by it): the first
    /// 64 bits of the serial's hash, which name the card without giving its number.
    pub fn reference(&self, serial: &str) -> String {
        self.serial(serial)[..16].to_owned()
    }
}

/// A serial as people may see it: its last 4 digits (`xxxxxxxxxx5678`).
pub fn masked_serial(serial: &str) -> String {
    let serial = serial.trim();
    let chars: Vec<char> = serial.chars().collect();
    let keep = chars.len().saturating_sub(4);
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| if i < keep { 'x' } else { c })
        .collect()
}

/// A card serial as typed: exactly 14 digits (SPEC §2, printed under the photo).
pub fn parse_serial(text: &str) -> Result<String, SerialError> {
    let serial = text.trim();
    if serial.len() == 14 && serial.bytes().all(|b| b.is_ascii_digit()) {
        Ok(serial.to_owned())
    } else {
        Err(SerialError)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a card serial is the 14 digits printed under the photo (thaiid-agent read --json: card_serial)")]
pub struct SerialError;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_keyed_and_normalised() {
        let key = CardKey::generate();
        assert_eq!(key.serial("13020112345678"), key.serial(" 13020112345678 "));
        assert_ne!(
            key.serial("13020112345678"),
            CardKey::generate().serial("13020112345678")
        );
        assert!(!key.serial("13020112345678").contains("13020112345678"));
        let typed = LaserId::parse("jt0-1234567-89").unwrap();
        let read = LaserId::parse("JT0123456789").unwrap();
        assert_eq!(key.laser(&typed), key.laser(&read));
        assert_ne!(key.laser(&read), key.serial("JT0123456789"));
        assert_eq!(key.reference("13020112345678").len(), 16);
    }

    #[test]
    fn serials_are_checked_and_masked() {
        assert_eq!(masked_serial("13020112345678"), "xxxxxxxxxx5678");
        assert_eq!(masked_serial("12"), "12");
        assert!(parse_serial("1302011234567").is_err());
        assert!(parse_serial("1302011234567a").is_err());
        assert_eq!(parse_serial(" 13020112345678\n").unwrap(), "13020112345678");
    }

    #[test]
    fn the_key_file_is_made_once_private_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/card.key");
        let made = CardKey::load_or_create(&path).unwrap();
        let again = CardKey::load_or_create(&path).unwrap();
        assert_eq!(made.serial("1"), again.serial("1"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, b"short").unwrap();
        let error = CardKey::load_or_create(&path).unwrap_err().to_string();
        assert!(error.contains("card key: it must hold 32 bytes"), "{error}");
    }
}
