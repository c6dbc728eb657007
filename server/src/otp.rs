//! The SSO's one-time passwords: TOTP (RFC 6238), 6 digits, SHA-1, with the step of the
//! person's app: 180 seconds as the administration's mobile app shows them, or 30 seconds
//! as Google Authenticator and Microsoft Authenticator show them whatever the URI's
//! `period` says ([`Step`], kept per account). A code is accepted in its own step or the
//! one before (a person typing across a boundary), and never twice: the last step
//! accepted is stored per account and must go up.

use totp_rs::{Algorithm, Secret, TOTP};

/// The step the provisioning URI names (the administration's app).
pub const STEP_SECS: u64 = 180;
pub const DIGITS: usize = 6;
pub const ISSUER: &str = "ThaiID SSO";

/// A new 160-bit secret, base32 (what the database and the provisioning URI carry).
pub fn new_secret() -> String {
    Secret::Raw(crate::random_bytes::<20>().to_vec())
        .to_encoded()
        .to_string()
}

/// How often an account's app shows a new code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// 180 s: the administration's app, which reads the URI's `period`.
    Slow,
    /// 30 s: the common authenticator apps, which ignore `period`.
    Standard,
}

impl Step {
    /// In the order a confirming code is tried: the URI's own step first.
    pub const ALL: [Step; 2] = [Step::Slow, Step::Standard];

    pub fn secs(self) -> u64 {
        match self {
            Step::Slow => STEP_SECS,
            Step::Standard => 30,
        }
    }

    /// How often the app shows a new code, in Thai and in English, for the pages.
    pub fn every(self) -> (&'static str, &'static str) {
        match self {
            Step::Slow => ("3 นาที", "3 minutes"),
            Step::Standard => ("30 วินาที", "30 seconds"),
        }
    }

    /// As stored (`users.totp_step`); anything else is no step this server made.
    pub fn from_secs(secs: i64) -> Option<Step> {
        Step::ALL
            .into_iter()
            .find(|step| i64::try_from(step.secs()) == Ok(secs))
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OtpError {
    #[error("the stored OTP secret is damaged")]
    DamagedSecret,
    #[error("cannot make the OTP: {0}")]
    Totp(totp_rs::TotpUrlError),
}

fn totp(secret: &str, account: &str, step: Step) -> Result<TOTP, OtpError> {
    let bytes = Secret::Encoded(secret.to_owned())
        .to_bytes()
        .map_err(|_| OtpError::DamagedSecret)?;
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        1,
        step.secs(),
        bytes,
        Some(ISSUER.to_owned()),
        account.to_owned(),
    )
    .map_err(OtpError::Totp)
}

/// `otpauth://totp/ThaiID%20SSO:NAME?secret=…&period=180…` for the mobile app.
pub fn provisioning_uri(secret: &str, account: &str) -> Result<String, OtpError> {
    Ok(totp(secret, account, Step::Slow)?.get_url())
}

/// The 180-second code for `now` (tests and the demo print it).
pub fn code_at(secret: &str, now: u64) -> Result<String, OtpError> {
    code_with_step(secret, Step::Slow, now)
}

/// The code an app with `step` shows at `now`.
pub fn code_with_step(secret: &str, step: Step, now: u64) -> Result<String, OtpError> {
    Ok(totp(secret, "", step)?.generate(now))
}

/// The number of the step `code` belongs to (counted in `step`s), if it is right for
/// `now` or the step before.
pub fn matching_step(secret: &str, step: Step, code: &str, now: u64) -> Option<u64> {
    let totp = totp(secret, "", step).ok()?;
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = now / step.secs();
    [current, current.saturating_sub(1)]
        .into_iter()
        .find(|&number| {
            let expected = totp.generate(number * step.secs());
            crate::same_secret(&expected, code)
        })
}

/// What a confirming code says of the app that showed it: its step and the step's
/// number. The URI's 180 s is tried first.
pub fn confirming_step(secret: &str, code: &str, now: u64) -> Option<(Step, u64)> {
    Step::ALL
        .into_iter()
        .find_map(|step| Some((step, matching_step(secret, step, code, now)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_last_one_step_and_the_next() {
        let secret = new_secret();
        let now = 1_800_000_000;
        let code = code_at(&secret, now).unwrap();
        let slow = Step::Slow;
        assert_eq!(
            matching_step(&secret, slow, &code, now),
            Some(now / STEP_SECS)
        );
        assert_eq!(
            matching_step(&secret, slow, &code, now + STEP_SECS),
            Some(now / STEP_SECS)
        );
        assert_eq!(
            matching_step(&secret, slow, &code, now + 2 * STEP_SECS),
            None
        );
        assert_eq!(matching_step(&secret, slow, "12345", now), None);
        assert_eq!(matching_step(&secret, slow, "abcdef", now), None);
    }

    #[test]
    fn a_30_second_app_s_codes_last_30_seconds_and_the_next() {
        let secret = new_secret();
        let now = 1_800_000_000;
        let code = code_with_step(&secret, Step::Standard, now).unwrap();
        let number = now / 30;
        assert_eq!(
            matching_step(&secret, Step::Standard, &code, now + 30),
            Some(number)
        );
        assert_eq!(
            matching_step(&secret, Step::Standard, &code, now + 60),
            None
        );
        assert_eq!(
            confirming_step(&secret, &code, now),
            Some((Step::Standard, number))
        );
        let slow = code_at(&secret, now).unwrap();
        assert_eq!(
            confirming_step(&secret, &slow, now),
            Some((Step::Slow, now / STEP_SECS))
        );
        assert_eq!(Step::from_secs(30), Some(Step::Standard));
        assert_eq!(Step::from_secs(180), Some(Step::Slow));
        assert_eq!(Step::from_secs(60), None);
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
