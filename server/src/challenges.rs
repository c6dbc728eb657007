//! Nonces: single use, bound to the browser session that asked and to its origin.

use crate::db::Pool;
use sqlx::Row;

/// How long a page has to get its nonce signed by the agent.
pub const NONCE_TTL_SECS: i64 = 120;

pub async fn issue(
    pool: &Pool,
    origin: &str,
    session: &str,
    now: i64,
) -> Result<String, sqlx::Error> {
    let nonce = crate::random_id();
    sqlx::query("INSERT INTO nonces (nonce, origin, session, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(&nonce)
        .bind(origin)
        .bind(session)
        .bind(now + NONCE_TTL_SECS)
        .execute(pool)
        .await?;
    Ok(nonce)
}

/// Why a nonce could not be spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceRefusal {
    Unknown,
    Expired,
    Used,
    OriginMismatch,
}

impl NonceRefusal {
    pub fn code(self) -> &'static str {
        match self {
            NonceRefusal::Unknown => "UNKNOWN_NONCE",
            NonceRefusal::Expired => "EXPIRED_NONCE",
            NonceRefusal::Used => "USED_NONCE",
            NonceRefusal::OriginMismatch => "ORIGIN_MISMATCH",
        }
    }
}

/// Spends `nonce` for `origin` in one UPDATE (so no two servers spend it twice) and
/// gives back the session it is bound to; on refusal, says why.
pub async fn spend(
    db: &mut sqlx::AnyConnection,
    nonce: &str,
    origin: &str,
    now: i64,
) -> Result<Result<String, NonceRefusal>, sqlx::Error> {
    let spent: Option<String> = sqlx::query_scalar(
        "UPDATE nonces SET used_at = $1 \
         WHERE nonce = $2 AND origin = $3 AND used_at IS NULL AND expires_at > $1 \
         RETURNING session",
    )
    .bind(now)
    .bind(nonce)
    .bind(origin)
    .fetch_optional(&mut *db)
    .await?;
    if let Some(session) = spent {
        return Ok(Ok(session));
    }
    let row = sqlx::query("SELECT origin, expires_at, used_at FROM nonces WHERE nonce = $1")
        .bind(nonce)
        .fetch_optional(&mut *db)
        .await?;
    let Some(row) = row else {
        return Ok(Err(NonceRefusal::Unknown));
    };
    let used: Option<i64> = row.try_get("used_at")?;
    let expires_at: i64 = row.try_get("expires_at")?;
    let bound_origin: String = row.try_get("origin")?;
    Ok(Err(if used.is_some() {
        NonceRefusal::Used
    } else if expires_at <= now {
        NonceRefusal::Expired
    } else if bound_origin != origin {
        NonceRefusal::OriginMismatch
    } else {
        NonceRefusal::Used
    }))
}
