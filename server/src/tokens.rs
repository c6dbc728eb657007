//! Enrollment tokens: created by IT, stored as a hash, good for a number of uses until
//! they expire. Consumption is one atomic UPDATE, so two servers on one database
//! never spend the same use twice. The token is shown once, at creation; afterwards a
//! token is known by its reference, the start of its hash, which gives nothing away.

use crate::audit;
use crate::db::Pool;
use sqlx::Row;

/// The longest a token lives: it stands in for IT at the installer, so not for long.
pub const MAX_TTL_SECS: i64 = 365 * 86_400;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    #[error("a token is good for at least 1 use")]
    NoUses,
    #[error("a token lives at most 365 days")]
    TooLong,
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// A token that can still enroll an agent, without its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveToken {
    /// The first characters of its stored hash: names it in the list and the audit log.
    pub reference: String,
    pub uses_left: i64,
    pub expires_at: i64,
    pub created_at: i64,
}

/// How a token is named where its value must not show.
fn reference(hash: &str) -> String {
    hash.chars().take(12).collect()
}

/// A new token for `uses` enrollments within `ttl_secs`, made by `actor` (a console user,
/// or [`audit::CLI`]) and audited; answered once, stored hashed.
pub async fn create(
    pool: &Pool,
    uses: i64,
    ttl_secs: i64,
    actor: &str,
    now: i64,
) -> Result<String, TokenError> {
    if uses < 1 {
        return Err(TokenError::NoUses);
    }
    if ttl_secs > MAX_TTL_SECS {
        return Err(TokenError::TooLong);
    }
    let token = crate::random_id();
    let hash = crate::sha256_hex(&token);
    let mut tx = pool.begin().await?;
    sqlx::query("INSERT INTO enrollment_tokens (hash, uses_left, expires_at, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&hash)
        .bind(uses)
        .bind(now + ttl_secs)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let mut entry = audit::Entry::new(audit::Method::EnrollToken);
    entry.set_outcome(Ok(()));
    entry.actor = Some(actor.to_owned());
    entry.detail = Some(format!(
        "created {}: {uses} uses, {ttl_secs} s",
        reference(&hash)
    ));
    audit::record(&mut *tx, &entry, now).await?;
    tx.commit().await?;
    Ok(token)
}

/// The tokens with uses left that have not expired, the newest first.
pub async fn live(pool: &Pool, now: i64) -> Result<Vec<LiveToken>, sqlx::Error> {
    sqlx::query(
        "SELECT hash, uses_left, expires_at, created_at FROM enrollment_tokens \
         WHERE uses_left > 0 AND expires_at > $1 ORDER BY created_at DESC, hash",
    )
    .bind(now)
    .fetch_all(pool)
    .await?
    .iter()
    .map(|row| {
        Ok(LiveToken {
            reference: reference(&row.try_get::<String, _>("hash")?),
            uses_left: row.try_get("uses_left")?,
            expires_at: row.try_get("expires_at")?,
            created_at: row.try_get("created_at")?,
        })
    })
    .collect()
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
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(|| TtlError(text.to_owned()))
}
