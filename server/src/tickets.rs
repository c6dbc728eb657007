//! Login tickets: a card login's answer, redeemed once by the browser session that asked
//! for the nonce (`/login/card/complete`, `/me/card/complete`). [`crate::card_login`]
//! issues them.

use crate::challenges::Purpose;
use crate::db::Pool;
use sqlx::Row;
use thaiid_protocol::api::ServerErrorCode;

/// Why a ticket could not be redeemed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketRefusal {
    Unknown,
    Used,
    Expired,
    /// Another browser session asked for the nonce.
    OtherSession,
}

impl TicketRefusal {
    pub fn code(self) -> ServerErrorCode {
        match self {
            TicketRefusal::Unknown => ServerErrorCode::UnknownTicket,
            TicketRefusal::Used => ServerErrorCode::UsedTicket,
            TicketRefusal::Expired => ServerErrorCode::ExpiredTicket,
            TicketRefusal::OtherSession => ServerErrorCode::TicketSessionMismatch,
        }
    }
}

/// What a card login's ticket gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// The card alone logs in (its laser ID registered and presented), or a card
    /// registration's result.
    Card,
    /// The card is registered without its laser ID: a first factor, the OTP must follow.
    FirstFactor,
    /// A card registration refused once the card was read: the card gave no laser ID.
    LaserIdMissing,
}

impl Grant {
    /// The `factor` column's value.
    pub fn factor(self) -> &'static str {
        match self {
            Grant::FirstFactor => "card-first",
            Grant::Card | Grant::LaserIdMissing => "card",
        }
    }

    /// The `refusal` column's value.
    pub fn refusal(self) -> Option<&'static str> {
        match self {
            Grant::LaserIdMissing => Some(crate::audit::LASER_ID_MISSING),
            Grant::Card | Grant::FirstFactor => None,
        }
    }

    fn parse(factor: &str, refusal: Option<&str>) -> Grant {
        match (factor, refusal) {
            (_, Some(_)) => Grant::LaserIdMissing,
            ("card-first", None) => Grant::FirstFactor,
            _ => Grant::Card,
        }
    }
}

/// A redeemed ticket: its account and what it gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redeemed {
    pub username: String,
    pub grant: Grant,
}

/// Redeems `ticket` for the browser session `session` in one UPDATE (once, across
/// instances) and answers the account it logs in (or registered the card of) and what it
/// gives. A ticket for another purpose is unknown here.
pub async fn redeem(
    pool: &Pool,
    ticket: &str,
    session: &str,
    purpose: Purpose,
    now: i64,
) -> Result<Result<Redeemed, TicketRefusal>, sqlx::Error> {
    let redeemed = sqlx::query(
        "UPDATE tickets SET used_at = $1 \
         WHERE ticket = $2 AND session = $3 AND used_at IS NULL AND expires_at > $1 \
         AND purpose = $4",
    )
    .bind(now)
    .bind(ticket)
    .bind(session)
    .bind(purpose.as_str())
    .execute(pool)
    .await?;
    let row = sqlx::query(
        "SELECT session, username, expires_at, used_at, factor, refusal FROM tickets \
         WHERE ticket = $1 AND purpose = $2",
    )
    .bind(ticket)
    .bind(purpose.as_str())
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else {
        return Ok(Err(TicketRefusal::Unknown));
    };
    if redeemed.rows_affected() == 1 {
        let factor: String = row.try_get("factor")?;
        let refusal: Option<String> = row.try_get("refusal")?;
        return Ok(Ok(Redeemed {
            username: row.try_get("username")?,
            grant: Grant::parse(&factor, refusal.as_deref()),
        }));
    }
    let used: Option<i64> = row.try_get("used_at")?;
    let expires_at: i64 = row.try_get("expires_at")?;
    let bound: String = row.try_get("session")?;
    Ok(Err(if used.is_some() {
        TicketRefusal::Used
    } else if expires_at <= now {
        TicketRefusal::Expired
    } else if bound != session {
        TicketRefusal::OtherSession
    } else {
        TicketRefusal::Used
    }))
}
