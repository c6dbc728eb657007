//! A person sets up their own OTP (SPEC §7a): a new secret is staged on their browser
//! session (sealed with the server's [`OtpKey`]) and shown as a QR code; a code from the
//! app confirms it and tells the app's step ([`otp::confirming_step`]); only then does it
//! become the account's OTP, and the confirming code's step is spent, so that the code
//! cannot log in afterwards. Replacing an OTP needs the current one's code too.

use crate::db::Pool;
use crate::otp::{self, Step};
use crate::otp_check::{self, OtpCheck};
use crate::otp_key::OtpKey;
use crate::users::{self, UserError};
use thaiid_protocol::api::ServerErrorCode;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OtpSetupError {
    #[error("storing the OTP: {0}")]
    User(#[from] UserError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// Why a confirmation stored nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The session shows no new secret: it was confirmed already (the form sent twice,
    /// its code reused), or the page was never opened.
    NothingStaged,
    /// The code is not the new secret's, in either step, now or the step before.
    WrongCode,
    /// The account has an OTP, and the code of the current one was not right.
    Current(OtpCheck),
}

impl Refusal {
    /// The reason code the attempt is audited under.
    pub fn code(self) -> ServerErrorCode {
        match self {
            Refusal::NothingStaged => ServerErrorCode::ReplayedOtp,
            Refusal::WrongCode => ServerErrorCode::BadOtp,
            Refusal::Current(checked) => checked.refusal().unwrap_or(ServerErrorCode::BadOtp),
        }
    }
}

/// A new secret confirmed: the account's OTP now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Confirmed {
    pub step: Step,
    /// Whether it replaced an OTP the account had.
    pub replaced: bool,
}

async fn stored(pool: &Pool, session_hash: &str) -> Result<Option<String>, sqlx::Error> {
    let stored: Option<Option<String>> =
        sqlx::query_scalar("SELECT otp_setup_secret FROM sessions WHERE id_hash = $1")
            .bind(session_hash)
            .fetch_optional(pool)
            .await?;
    Ok(stored.flatten())
}

/// The secret staged for the session `session_hash` of `username`: the one staged
/// before, so that reloading the page shows the QR code the app may have read already,
/// or a new one.
pub async fn stage(
    pool: &Pool,
    key: &OtpKey,
    session_hash: &str,
    username: &str,
) -> Result<String, sqlx::Error> {
    if let Some(sealed) = stored(pool, session_hash).await? {
        match key.open(&sealed, username) {
            Ok(secret) => return Ok(secret),
            Err(problem) => tracing::warn!("a staged OTP secret: {problem}; staging a new one"),
        }
    }
    let secret = otp::new_secret();
    sqlx::query("UPDATE sessions SET otp_setup_secret = $1 WHERE id_hash = $2")
        .bind(key.seal(&secret, username))
        .bind(session_hash)
        .execute(pool)
        .await?;
    Ok(secret)
}

/// Takes the staged secret `sealed` off the session: true for one caller only, so that a
/// form sent twice at once confirms once.
async fn take(pool: &Pool, session_hash: &str, sealed: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE sessions SET otp_setup_secret = NULL \
         WHERE id_hash = $1 AND otp_setup_secret = $2",
    )
    .bind(session_hash)
    .bind(sealed)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Confirms the secret staged for `session_hash` with `code` at `now`; `current` is the
/// code of the account's OTP, needed when it has one (and spent when right). The new code
/// is checked first, because that check spends nothing. Nothing is stored unless every
/// check passes.
pub async fn confirm(
    pool: &Pool,
    key: &OtpKey,
    session_hash: &str,
    username: &str,
    code: &str,
    current: &str,
    now: i64,
) -> Result<Result<Confirmed, Refusal>, OtpSetupError> {
    let Some(sealed) = stored(pool, session_hash).await? else {
        return Ok(Err(Refusal::NothingStaged));
    };
    let Ok(secret) = key.open(&sealed, username) else {
        return Ok(Err(Refusal::NothingStaged));
    };
    let at = u64::try_from(now).unwrap_or_default();
    let Some((step, number)) = otp::confirming_step(&secret, code, at) else {
        return Ok(Err(Refusal::WrongCode));
    };
    let replaced = users::find(pool, username)
        .await?
        .is_some_and(|account| account.totp_secret.is_some());
    if replaced {
        let checked = otp_check::check(pool, key, username, current, now).await?;
        if checked != OtpCheck::Right {
            return Ok(Err(Refusal::Current(checked)));
        }
    }
    if !take(pool, session_hash, &sealed).await? {
        return Ok(Err(Refusal::NothingStaged));
    }
    users::set_otp(pool, key, username, &secret, step).await?;
    users::spend_otp_step(pool, username, number).await?;
    Ok(Ok(Confirmed { step, replaced }))
}

/// The key as people type it into an app: base32 in groups of four.
pub fn grouped(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|group| String::from_utf8_lossy(group).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_shown_in_groups_of_four() {
        assert_eq!(grouped("ABCDEFGHIJ"), "ABCD EFGH IJ");
        assert_eq!(grouped(""), "");
    }
}
