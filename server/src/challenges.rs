//! Nonces: single use, bound to the browser session that asked, to its origin and to what
//! they are for (a login, registering the card on `/me` or at the helpdesk, or forgot
//! password); a helpdesk's nonce names the person too.

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
    /// Registering a person's card inserted at the helpdesk, for the console session of a
    /// helpdesk user (or admin); the nonce names the person.
    DeskRegister,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Login => "login",
            Purpose::RegisterCard => "register",
            Purpose::Reset => "reset",
            Purpose::DeskRegister => "desk-register",
        }
    }

    fn parse(text: &str) -> Purpose {
        match text {
            "register" => Purpose::RegisterCard,
            "reset" => Purpose::Reset,
            "desk-register" => Purpose::DeskRegister,
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
    insert(pool, purpose, origin, session, None, now).await
}

/// A nonce that registers the card read with it to `target` alone, for the console
/// session `session` at the helpdesk.
pub async fn issue_for_desk(
    pool: &Pool,
    origin: &str,
    session: &str,
    target: &str,
    now: i64,
) -> Result<String, sqlx::Error> {
    insert(
        pool,
        Purpose::DeskRegister,
        origin,
        session,
        Some(target),
        now,
    )
    .await
}

async fn insert(
    pool: &Pool,
    purpose: Purpose,
    origin: &str,
    session: &str,
    target: Option<&str>,
    now: i64,
) -> Result<String, sqlx::Error> {
    let nonce = crate::random_id();
    sqlx::query(
        "INSERT INTO nonces (nonce, origin, session, expires_at, purpose, target) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&nonce)
    .bind(origin)
    .bind(session)
    .bind(now + NONCE_TTL_SECS)
    .bind(purpose.as_str())
    .bind(target)
    .execute(pool)
    .await?;
    Ok(nonce)
}

/// A spent nonce: the session it is bound to, what it is for, and for whom (a helpdesk
/// registration's person).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spent {
    pub session: String,
    pub purpose: Purpose,
    pub target: Option<String>,
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
/// gives back what it is bound to ([`Spent`]); on refusal, says why.
pub async fn spend<S: Store>(
    db: &mut S,
    nonce: &str,
    origin: &str,
    now: i64,
) -> Result<Result<Spent, NonceRefusal>, sqlx::Error> {
    let spent = db
        .row(
            "UPDATE nonces SET used_at = $1 \
             WHERE nonce = $2 AND origin = $3 AND used_at IS NULL AND expires_at > $1 \
             RETURNING session, purpose, target",
            &[now.into(), nonce.into(), origin.into()],
        )
        .await?;
    if let Some(row) = spent {
        return Ok(Ok(Spent {
            session: row.text(0).unwrap_or_default().to_owned(),
            purpose: Purpose::parse(row.text(1).unwrap_or_default()),
            target: row.text(2).map(str::to_owned),
        }));
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
