//! What a new password must be (SPEC §7a): at least [`MIN_LENGTH`] characters, not the
//! account's user name, not its citizen ID, and not a common password (the `passwords`
//! crate's list of the most used ones). Checked wherever a person or IT sets one.

pub use crate::passwords::MIN_LENGTH;
use thaiid_protocol::api::ServerErrorCode;

/// Why a new password is refused. The password itself is never in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WeakPassword {
    #[error("a password needs at least {MIN_LENGTH} characters")]
    TooShort,
    #[error("a password may not be the user name")]
    Username,
    #[error("a password may not be the citizen ID")]
    CitizenId,
    #[error("that password is one of the most common ones")]
    Common,
}

impl WeakPassword {
    pub fn code(self) -> ServerErrorCode {
        ServerErrorCode::WeakPassword
    }

    /// What the pages say, in Thai and English.
    pub fn explain(self) -> (&'static str, &'static str) {
        match self {
            WeakPassword::TooShort => (
                "รหัสผ่านต้องมีอย่างน้อย 10 ตัวอักษร",
                "A password needs at least 10 characters.",
            ),
            WeakPassword::Username => (
                "รหัสผ่านต้องไม่ใช่ชื่อผู้ใช้",
                "A password may not be your user name.",
            ),
            WeakPassword::CitizenId => (
                "รหัสผ่านต้องไม่ใช่เลขประจำตัวประชาชน",
                "A password may not be your citizen ID.",
            ),
            WeakPassword::Common => (
                "รหัสผ่านนี้เป็นรหัสผ่านที่ใช้กันทั่วไป เดาได้ง่าย กรุณาตั้งรหัสผ่านอื่น",
                "That password is too common: choose another.",
            ),
        }
    }
}

/// Checks `password` as the new password of `username`, whose citizen ID is `citizen_id`.
/// The comparisons ignore case and the citizen ID's dashes and spaces.
pub fn check(password: &str, username: &str, citizen_id: Option<&str>) -> Result<(), WeakPassword> {
    if password.chars().count() < MIN_LENGTH {
        return Err(WeakPassword::TooShort);
    }
    let folded = password.trim().to_lowercase();
    if folded == username.to_lowercase() {
        return Err(WeakPassword::Username);
    }
    let digits: String = password
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .collect();
    if citizen_id.is_some_and(|id| id == digits) {
        return Err(WeakPassword::CitizenId);
    }
    if passwords::analyzer::is_common_password(password)
        || passwords::analyzer::is_common_password(&folded)
    {
        return Err(WeakPassword::Common);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CID: &str = "1103700012348";

    #[test]
    fn weak_passwords_are_refused_with_their_reason() {
        assert_eq!(check("short", "malee.s", None), Err(WeakPassword::TooShort));
        assert_eq!(
            check("Malee.Sukjai", "malee.sukjai", None),
            Err(WeakPassword::Username)
        );
        assert_eq!(
            check(CID, "malee.s", Some(CID)),
            Err(WeakPassword::CitizenId)
        );
        assert_eq!(
            check("1-1037-00012-34-8", "malee.s", Some(CID)),
            Err(WeakPassword::CitizenId)
        );
        for common in ["1234567890", "qwertyuiop", "password123", "Password123"] {
            assert_eq!(
                check(common, "malee.s", Some(CID)),
                Err(WeakPassword::Common),
                "{common}"
            );
        }
    }

    #[test]
    fn a_long_uncommon_password_is_accepted() {
        assert_eq!(check("ช้างเผือก-ลำปาง-2567", "malee.s", Some(CID)), Ok(()));
        assert_eq!(check("correct horse battery", "malee.s", Some(CID)), Ok(()));
        // Not the citizen ID of this account: only its own is refused.
        assert_eq!(check("1103700012356", "malee.s", Some(CID)), Ok(()));
    }

    #[test]
    fn no_message_repeats_the_password() {
        let password = "qwertyuiop";
        let refused = check(password, "malee.s", None).unwrap_err();
        assert!(!refused.to_string().contains(password));
    }
}
