//! A browser session's way through forgot password (SPEC §7a), kept server side for a
//! few minutes: the account it names, then the proof (the registered card, or a helpdesk
//! reset code in its place), then the OTP when the account has one, and only then a new
//! password, which ends every session of the account.

use crate::db::store::Store;
use crate::db::Pool;
use crate::password_rules::WeakPassword;
use crate::users::{self, UserError};
use sqlx::Row;

/// How long a session has to go through the steps.
pub const TTL_SECS: i64 = 10 * 60;

/// How far a session has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The account is named; the card or a reset code comes next.
    Named,
    /// The card or the code was right; the OTP comes next.
    Proven,
    /// Every proof given: the new password may be set.
    Ready,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Stage::Named => "named",
            Stage::Proven => "proven",
            Stage::Ready => "ready",
        }
    }

    fn parse(text: &str) -> Option<Stage> {
        match text {
            "named" => Some(Stage::Named),
            "proven" => Some(Stage::Proven),
            "ready" => Some(Stage::Ready),
            _ => None,
        }
    }
}

/// What stood for the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    Card,
    Code,
}

impl Proof {
    pub fn as_str(self) -> &'static str {
        match self {
            Proof::Card => "card",
            Proof::Code => "code",
        }
    }
}

/// A session's reset in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reset {
    /// As typed: it may be nobody's, and the page does not say so before the proof.
    pub username: String,
    pub stage: Stage,
}

/// Starts (or starts again) the reset of `username` for the session `session_hash`.
pub async fn begin(
    pool: &Pool,
    session_hash: &str,
    username: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    end(pool, session_hash).await?;
    sqlx::query(
        "INSERT INTO password_resets (session_hash, username, stage, expires_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(session_hash)
    .bind(username)
    .bind(Stage::Named.as_str())
    .bind(now + TTL_SECS)
    .execute(pool)
    .await?;
    Ok(())
}

/// The session's reset, unless it has none or its minutes have passed.
pub async fn load(pool: &Pool, session_hash: &str, now: i64) -> Result<Option<Reset>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT username, stage FROM password_resets WHERE session_hash = $1 AND expires_at > $2",
    )
    .bind(session_hash)
    .bind(now)
    .fetch_optional(pool)
    .await?;
    row.map(|row| {
        let stage: String = row.try_get("stage")?;
        Ok(Reset {
            username: row.try_get("username")?,
            stage: Stage::parse(&stage).ok_or_else(|| {
                sqlx::Error::Decode(format!("unknown stage {stage:?} in password_resets").into())
            })?,
        })
    })
    .transpose()
}

/// Moves the session's reset from `from` to `to` (once: one UPDATE), noting `proof` if
/// given; answers whether it moved.
pub async fn advance(
    pool: &Pool,
    session_hash: &str,
    from: Stage,
    to: Stage,
    proof: Option<Proof>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE password_resets SET stage = $1, proof = COALESCE($2, proof) \
         WHERE session_hash = $3 AND stage = $4 AND expires_at > $5",
    )
    .bind(to.as_str())
    .bind(proof.map(Proof::as_str))
    .bind(session_hash)
    .bind(from.as_str())
    .bind(now)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The account (and its linked citizen ID) whose card the session `session_hash` may
/// present now, inside a card login's transaction.
pub async fn awaiting_card<S: Store>(
    db: &mut S,
    session_hash: &str,
    now: i64,
) -> Result<Option<(String, Option<String>)>, sqlx::Error> {
    let row = db
        .row(
            "SELECT users.username, users.citizen_id FROM password_resets \
             JOIN users ON users.username = password_resets.username \
             WHERE password_resets.session_hash = $1 AND password_resets.expires_at > $2 \
             AND password_resets.stage = $3",
            &[
                session_hash.into(),
                now.into(),
                Stage::Named.as_str().into(),
            ],
        )
        .await?;
    Ok(row.and_then(|row| Some((row.text(0)?.to_owned(), row.text(1).map(str::to_owned)))))
}

pub async fn end(pool: &Pool, session_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM password_resets WHERE session_hash = $1")
        .bind(session_hash)
        .execute(pool)
        .await?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResetError {
    /// The session has not given every proof (or took too long).
    #[error("this session has not proven who it is for a new password")]
    NotReady,
    #[error(transparent)]
    Weak(WeakPassword),
    #[error(transparent)]
    User(UserError),
}

impl From<sqlx::Error> for ResetError {
    fn from(error: sqlx::Error) -> ResetError {
        ResetError::User(UserError::Db(error))
    }
}

/// Sets `password` as the new password of the account the session `session_hash` has
/// proven it is for, ends the reset and every session of the account, and answers the
/// account's name.
pub async fn set_password(
    pool: &Pool,
    session_hash: &str,
    password: &str,
    now: i64,
) -> Result<String, ResetError> {
    let username = match load(pool, session_hash, now).await? {
        Some(Reset {
            username,
            stage: Stage::Ready,
        }) => username,
        _ => return Err(ResetError::NotReady),
    };
    match users::set_password(pool, &username, password).await {
        Ok(()) => {}
        Err(UserError::Weak(weak)) => return Err(ResetError::Weak(weak)),
        Err(other) => return Err(ResetError::User(other)),
    }
    end(pool, session_hash).await?;
    // Whoever knew the old password, or holds a session opened with it, is out.
    sqlx::query("DELETE FROM sessions WHERE username = $1 OR pending_username = $1")
        .bind(&username)
        .execute(pool)
        .await?;
    Ok(username)
}
