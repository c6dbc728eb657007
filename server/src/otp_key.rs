//! The key that seals OTP secrets in the database (ChaCha20-Poly1305, the account name as
//! associated data), so that a copy of the database (a backup, a replica, a dump) gives
//! nobody's codes away. It is a [`key_file`]: 32 random bytes in a file readable by the
//! server alone, created at first use; every server on one database needs the same file.

use crate::key_file::{self, KEY_LEN};
use crate::random_bytes;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use std::path::Path;
use std::sync::Arc;

/// Sealed secrets begin with this; older rows hold the base32 secret itself.
const SEALED: &str = "sealed1.";

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OtpKeyError {
    #[error(transparent)]
    KeyFile(#[from] key_file::KeyFileError),
    /// No account name: this may be logged.
    #[error("a stored OTP secret does not open with this OTP key (THAIID_SERVER_OTP_KEY_FILE)")]
    DoesNotOpen,
}

#[derive(Clone)]
pub struct OtpKey(Arc<LessSafeKey>);

impl std::fmt::Debug for OtpKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OtpKey(…)")
    }
}

impl OtpKey {
    fn from_bytes(bytes: &[u8]) -> Option<OtpKey> {
        let key = UnboundKey::new(&CHACHA20_POLY1305, bytes).ok()?;
        Some(OtpKey(Arc::new(LessSafeKey::new(key))))
    }

    /// A key that lives as long as the process (tests).
    pub fn generate() -> OtpKey {
        OtpKey::from_bytes(&random_bytes::<KEY_LEN>()).expect("32 bytes are a key")
    }

    /// The key in `path`, made there (mode 0600) if there is none yet.
    pub fn load_or_create(path: &Path) -> Result<OtpKey, OtpKeyError> {
        let bytes = key_file::load_or_create(path, "OTP key")?;
        Ok(OtpKey::from_bytes(&bytes).expect("32 bytes are a key"))
    }

    /// `secret` sealed for `account`, as the database stores it.
    pub fn seal(&self, secret: &str, account: &str) -> String {
        use base64::Engine;
        let nonce = random_bytes::<NONCE_LEN>();
        let mut sealed = secret.as_bytes().to_vec();
        self.0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(account.as_bytes()),
                &mut sealed,
            )
            .expect("a short secret seals");
        let mut stored = nonce.to_vec();
        stored.append(&mut sealed);
        format!(
            "{SEALED}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(stored)
        )
    }

    /// The secret a stored value holds for `account`; a value stored before sealing (plain
    /// base32) comes back as it is.
    pub fn open(&self, stored: &str, account: &str) -> Result<String, OtpKeyError> {
        use base64::Engine;
        let Some(sealed) = stored.strip_prefix(SEALED) else {
            return Ok(stored.to_owned());
        };
        let mut bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(sealed)
            .map_err(|_| OtpKeyError::DoesNotOpen)?;
        if bytes.len() < NONCE_LEN {
            return Err(OtpKeyError::DoesNotOpen);
        }
        let mut ciphertext = bytes.split_off(NONCE_LEN);
        let nonce =
            Nonce::try_assume_unique_for_key(&bytes).map_err(|_| OtpKeyError::DoesNotOpen)?;
        let plain = self
            .0
            .open_in_place(nonce, Aad::from(account.as_bytes()), &mut ciphertext)
            .map_err(|_| OtpKeyError::DoesNotOpen)?;
        String::from_utf8(plain.to_vec()).map_err(|_| OtpKeyError::DoesNotOpen)
    }

    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(SEALED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_account() {
        let key = OtpKey::generate();
        let sealed = key.seal("JBSWY3DPEHPK3PXP", "somchai.t");
        assert!(OtpKey::is_sealed(&sealed));
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_ne!(
            sealed,
            key.seal("JBSWY3DPEHPK3PXP", "somchai.t"),
            "fresh nonce"
        );
        assert_eq!(key.open(&sealed, "somchai.t").unwrap(), "JBSWY3DPEHPK3PXP");
        assert!(
            key.open(&sealed, "malee.s").is_err(),
            "moved to another account"
        );
        assert!(OtpKey::generate().open(&sealed, "somchai.t").is_err());
        let mut tampered = sealed.clone();
        tampered.pop();
        assert!(key.open(&tampered, "somchai.t").is_err());
        assert!(key.open("sealed1.", "somchai.t").is_err());
        // Rows from before sealing still work until they are sealed.
        assert_eq!(
            key.open("JBSWY3DPEHPK3PXP", "a").unwrap(),
            "JBSWY3DPEHPK3PXP"
        );
    }

    #[test]
    fn the_key_file_is_made_once_private_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/otp.key");
        let made = OtpKey::load_or_create(&path).unwrap();
        let again = OtpKey::load_or_create(&path).unwrap();
        let sealed = made.seal("JBSWY3DPEHPK3PXP", "a");
        assert_eq!(again.open(&sealed, "a").unwrap(), "JBSWY3DPEHPK3PXP");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, b"short").unwrap();
        let error = OtpKey::load_or_create(&path).unwrap_err().to_string();
        assert!(error.contains("must hold 32 bytes"), "{error}");
    }
}
