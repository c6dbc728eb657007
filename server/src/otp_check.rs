//! Whether a code is an account's OTP now: its secret opened with the server's OTP key,
//! checked with the step of its app, and spent, so that no code counts twice. Every page
//! that asks for the OTP (the login's second factor, the step-up, forgot password,
//! replacing the OTP) checks it here.

use crate::db::Pool;
use crate::otp_key::OtpKey;
use crate::{otp, users};
use thaiid_protocol::api::ServerErrorCode;

/// What a code turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpCheck {
    /// Right, and now spent.
    Right,
    /// Not the code of this step or the one before (or the secret does not open).
    Wrong,
    /// Right, but its step was spent already.
    Replayed,
    /// The account has no OTP (or is unknown).
    NoOtp,
}

impl OtpCheck {
    /// The reason code a refusal is audited under.
    pub fn refusal(self) -> Option<ServerErrorCode> {
        match self {
            OtpCheck::Right => None,
            OtpCheck::Wrong => Some(ServerErrorCode::BadOtp),
            OtpCheck::Replayed => Some(ServerErrorCode::ReplayedOtp),
            OtpCheck::NoOtp => Some(ServerErrorCode::NoOtp),
        }
    }
}

/// Checks `code` as `username`'s OTP at `now`, and spends its step if it is right.
pub async fn check(
    pool: &Pool,
    key: &OtpKey,
    username: &str,
    code: &str,
    now: i64,
) -> Result<OtpCheck, sqlx::Error> {
    let Some(account) = users::find(pool, username).await? else {
        return Ok(OtpCheck::NoOtp);
    };
    let Some(stored) = account.totp_secret else {
        return Ok(OtpCheck::NoOtp);
    };
    let secret = match key.open(&stored, username) {
        Ok(secret) => secret,
        Err(problem) => {
            tracing::error!("{problem}");
            return Ok(OtpCheck::Wrong);
        }
    };
    let now = u64::try_from(now).unwrap_or_default();
    let Some(number) = otp::matching_step(&secret, account.totp_step, code, now) else {
        return Ok(OtpCheck::Wrong);
    };
    Ok(if users::spend_otp_step(pool, username, number).await? {
        OtpCheck::Right
    } else {
        OtpCheck::Replayed
    })
}
