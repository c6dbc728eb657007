//! Helpdesk reset codes (SPEC §7a): a one-time code that stands in for the card on
//! `/forgot`, for one account, for 15 minutes. Twelve digits, read to the person over the
//! phone or on paper; stored as their SHA-256 only, so the table gives none away. A new
//! code replaces the account's unused ones.

use crate::db::Pool;

/// How long a code may be used.
pub const TTL_SECS: i64 = 15 * 60;
const DIGITS: u32 = 12;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResetCodeError {
    #[error("no user {0:?}")]
    NoUser(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// Why a code does not stand in for the card. The person is told one thing
/// (`BAD_RESET_CODE`); the kinds are for the tests and the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRefusal {
    /// Never issued, or another account's.
    Unknown,
    Used,
    Expired,
}

/// The code as typed, without the spaces and dashes it is printed and read with.
fn canonical(typed: &str) -> String {
    typed.chars().filter(|c| !matches!(c, ' ' | '-')).collect()
}

fn stored(username: &str, code: &str) -> String {
    // The account is part of what is hashed: a code is nobody else's.
    crate::sha256_hex(&format!("{username}\n{}", canonical(code)))
}

/// A new code for `username` (printed `1234-5678-9012`); its unused codes stop working.
pub async fn issue(pool: &Pool, username: &str, now: i64) -> Result<String, ResetCodeError> {
    if crate::users::find(pool, username).await?.is_none() {
        return Err(ResetCodeError::NoUser(username.to_owned()));
    }
    let number = u64::from_be_bytes(crate::random_bytes::<8>()) % 10u64.pow(DIGITS);
    let digits = format!("{number:012}");
    let code = format!("{}-{}-{}", &digits[..4], &digits[4..8], &digits[8..]);
    sqlx::query("DELETE FROM reset_codes WHERE username = $1 AND used_at IS NULL")
        .bind(username)
        .execute(pool)
        .await?;
    sqlx::query(
        "INSERT INTO reset_codes (code_hash, username, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(stored(username, &code))
    .bind(username)
    .bind(now)
    .bind(now + TTL_SECS)
    .execute(pool)
    .await?;
    Ok(code)
}

/// Spends `code` for `username` at `now` in one UPDATE (once, across instances); on
/// refusal, says why.
pub async fn spend(
    pool: &Pool,
    username: &str,
    code: &str,
    now: i64,
) -> Result<Result<(), CodeRefusal>, sqlx::Error> {
    let hash = stored(username, code);
    let spent = sqlx::query(
        "UPDATE reset_codes SET used_at = $1 \
         WHERE code_hash = $2 AND username = $3 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(&hash)
    .bind(username)
    .execute(pool)
    .await?;
    if spent.rows_affected() == 1 {
        return Ok(Ok(()));
    }
    let row: Option<(Option<i64>, i64)> =
        sqlx::query_as("SELECT used_at, expires_at FROM reset_codes WHERE code_hash = $1")
            .bind(&hash)
            .fetch_optional(pool)
            .await?;
    Ok(Err(match row {
        None => CodeRefusal::Unknown,
        Some((Some(_), _)) => CodeRefusal::Used,
        Some((None, _)) => CodeRefusal::Expired,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_hashed_with_its_account_and_typed_loosely() {
        assert_eq!(
            stored("malee.s", "1234-5678-9012"),
            stored("malee.s", "1234 5678 9012")
        );
        assert_ne!(
            stored("malee.s", "1234-5678-9012"),
            stored("somchai.j", "1234-5678-9012")
        );
    }
}
