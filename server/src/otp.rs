//! The SSO's one-time passwords: TOTP (RFC 6238), 6 digits, SHA-1, a 180-second step,
//! as the administration's mobile app shows them. A code is accepted in its own step or
//! the one before (a person typing across a boundary), and never twice: the last step
//! accepted is stored per account and must go up.

use totp_rs::{Algorithm, Secret, TOTP};

pub const STEP_SECS: u64 = 180;
pub const DIGITS: usize = 6;
pub const ISSUER: &str = "ThaiID SSO";

/// A new 160-bit secret, base32 (what the database and the provisioning URI carry).
pub fn new_secret() -> String {
    Secret::Raw(crate::random_bytes::<20>().to_vec())
        .to_encoded()
        .to_string()
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OtpError {
    #[error("the stored OTP secret is damaged")]
    DamagedSecret,
    #[error("cannot make the OTP: {0}")]
    Totp(totp_rs::TotpUrlError),
}

fn totp(secret: &str, account: &str) -> Result<TOTP, OtpError> {
    let bytes = Secret::Encoded(secret.to_owned())
        .to_bytes()
        .map_err(|_| OtpError::DamagedSecret)?;
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        1,
        STEP_SECS,
        bytes,
        Some(ISSUER.to_owned()),
        account.to_owned(),
    )
    .map_err(OtpError::Totp)
}

/// `otpauth://totp/ThaiID%20SSO:NAME?secret=…&period=180…` for the mobile app.
pub fn provisioning_uri(secret: &str, account: &str) -> Result<String, OtpError> {
    Ok(totp(secret, account)?.get_url())
}

/// The code for `now` (tests and the demo print it).
pub fn code_at(secret: &str, now: u64) -> Result<String, OtpError> {
    Ok(totp(secret, "")?.generate(now))
}

/// The step `code` belongs to, if it is right for `now` or the step before.
pub fn matching_step(secret: &str, code: &str, now: u64) -> Option<u64> {
    let totp = totp(secret, "").ok()?;
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let step = now / STEP_SECS;
    [step, step.saturating_sub(1)].into_iter().find(|&step| {
        let expected = totp.generate(step * STEP_SECS);
        crate::same_secret(&expected, code)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_last_one_step_and_the_next() {
        let secret = new_secret();
        let now = 1_800_000_000;
        let code = code_at(&secret, now).unwrap();
        assert_eq!(matching_step(&secret, &code, now), Some(now / STEP_SECS));
        assert_eq!(
            matching_step(&secret, &code, now + STEP_SECS),
            Some(now / STEP_SECS)
        );
        assert_eq!(matching_step(&secret, &code, now + 2 * STEP_SECS), None);
        assert_eq!(matching_step(&secret, "12345", now), None);
        assert_eq!(matching_step(&secret, "abcdef", now), None);
    }

    #[test]
    fn the_provisioning_uri_says_180_seconds() {
        let uri = provisioning_uri(&new_secret(), "somchai.t").unwrap();
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(uri.contains("period=180"), "{uri}");
        assert!(uri.contains("somchai.t"), "{uri}");
    }

    /// RFC 6238's SHA-1 vector, with a 180-second step: T = 59 s is step 0.
    #[test]
    fn rfc_6238_secret_gives_the_rfc_code_at_step_zero() {
        let secret = Secret::Raw(b"12345678901234567890".to_vec())
            .to_encoded()
            .to_string();
        // RFC 6238 with X = 30: T=59 is step 1 → 287082 (8 digits 94287082).
        assert_eq!(code_at(&secret, 181).unwrap(), "287082");
    }
}
