//! Nonces: single use, bound to the browser session that asked, to its origin and to what
//! they are for (a login, registering the card on `/me`, or forgot password).

use crate::db::store::Store;
use crate::db::Pool;
use thaiid_protocol::api::ServerErrorCode;

/// How long a page has to get its nonce signed by the agent.
pub const NONCE_TTL_SECS: i64 = 120;

/// What a nonce (and the ticket its assertion gets) is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Login,
    /// Registering the card on `/me`, for the account the session logged in with
    /// password + OTP (or card + OTP).
    RegisterCard,
    /// Proving, with the registered card, who asks for a new password on `/forgot`.
    Reset,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Login => "login",
            Purpose::RegisterCard => "register",
            Purpose::Reset => "reset",
        }
    }

    fn parse(text: &str) -> Purpose {
        match text {
            "register" => Purpose::RegisterCard,
            "reset" => Purpose::Reset,
            _ => Purpose::Login,
        }
    }
}

/// A login nonce.
pub async fn issue(
    pool: &Pool,
    origin: &str,
    session: &str,
    now: i64,
) -> Result<String, sqlx::Error> {
    issue_for(pool, Purpose::Login, origin, session, now).await
}

pub async fn issue_for(
    pool: &Pool,
    purpose: Purpose,
    origin: &str,
    session: &str,
    now: i64,
) -> Result<String, sqlx::Error> {
    let nonce = crate::random_id();
    sqlx::query(
        "INSERT INTO nonces (nonce, origin, session, expires_at, purpose) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&nonce)
    .bind(origin)
    .bind(session)
    .bind(now + NONCE_TTL_SECS)
    .bind(purpose.as_str())
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
    pub fn code(self) -> ServerErrorCode {
        match self {
            NonceRefusal::Unknown => ServerErrorCode::UnknownNonce,
            NonceRefusal::Expired => ServerErrorCode::ExpiredNonce,
            NonceRefusal::Used => ServerErrorCode::UsedNonce,
            NonceRefusal::OriginMismatch => ServerErrorCode::OriginMismatch,
        }
    }
}

/// Spends `nonce` for `origin` in one UPDATE (so no two servers spend it twice) and
/// gives back the session it is bound to and what it is for; on refusal, says why.
pub async fn spend<S: Store>(
    db: &mut S,
    nonce: &str,
    origin: &str,
    now: i64,
) -> Result<Result<(String, Purpose), NonceRefusal>, sqlx::Error> {
    let spent = db
        .row(
            "UPDATE nonces SET used_at = $1 \
             WHERE nonce = $2 AND origin = $3 AND used_at IS NULL AND expires_at > $1 \
             RETURNING session, purpose",
            &[now.into(), nonce.into(), origin.into()],
        )
        .await?;
    if let Some(row) = spent {
        let purpose = Purpose::parse(row.text(1).unwrap_or_default());
        return Ok(Ok((row.text(0).unwrap_or_default().to_owned(), purpose)));
    }
    let row = db
        .row(
            "SELECT origin, expires_at, used_at FROM nonces WHERE nonce = $1",
            &[nonce.into()],
        )
        .await?;
    let Some(row) = row else {
        return Ok(Err(NonceRefusal::Unknown));
    };
    let used = row.int(2);
    let expires_at = row.int(1).unwrap_or_default();
    let bound_origin = row.text(0).unwrap_or_default();
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
