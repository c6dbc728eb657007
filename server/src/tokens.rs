//! Enrollment tokens: created by IT, stored as a hash, good for a number of uses until
//! they expire. Consumption is one atomic UPDATE, so two servers on one database
//! never spend the same use twice.

use crate::db::Pool;

/// A new token for `uses` enrollments within `ttl_secs`; printed once, stored hashed.
pub async fn create(
    pool: &Pool,
    uses: i64,
    ttl_secs: i64,
    now: i64,
) -> Result<String, sqlx::Error> {
    let token = crate::random_id();
    sqlx::query("INSERT INTO enrollment_tokens (hash, uses_left, expires_at, created_at) VALUES ($1, $2, $3, $4)")
        .bind(crate::sha256_hex(&token))
        .bind(uses)
        .bind(now + ttl_secs)
        .bind(now)
        .execute(pool)
        .await?;
    Ok(token)
}

/// Spends one use of `token`; `false` if it is unknown, used up or expired.
pub async fn consume(pool: &Pool, token: &str, now: i64) -> Result<bool, sqlx::Error> {
    let spent = sqlx::query(
        "UPDATE enrollment_tokens SET uses_left = uses_left - 1 \
         WHERE hash = $1 AND uses_left > 0 AND expires_at > $2",
    )
    .bind(crate::sha256_hex(token))
    .bind(now)
    .execute(pool)
    .await?;
    Ok(spent.rows_affected() == 1)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a lifetime like 7d, 12h, 30m or 45s")]
pub struct TtlError(String);

/// `7d`, `12h`, `30m`, `45s`: a token's lifetime.
pub fn parse_ttl(text: &str) -> Result<i64, TtlError> {
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let scale = match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        "s" => 1,
        _ => return Err(TtlError(text.to_owned())),
    };
    number
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .map(|n| n * scale)
        .ok_or_else(|| TtlError(text.to_owned()))
}
