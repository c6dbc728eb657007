//! Tickets: one-time, a minute, for the browser session that asked for the nonce.

use crate::challenges::Purpose;
use crate::db::Pool;
use sqlx::Row;

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
    pub fn code(self) -> &'static str {
        match self {
            TicketRefusal::Unknown => "UNKNOWN_TICKET",
            TicketRefusal::Used => "USED_TICKET",
            TicketRefusal::Expired => "EXPIRED_TICKET",
            TicketRefusal::OtherSession => "TICKET_SESSION_MISMATCH",
        }
    }
}

/// Redeems `ticket` for the browser session `session` in one UPDATE (once, across
/// instances) and answers the account it logs in (or registered the card of). A ticket
/// for another purpose is unknown here.
pub async fn redeem(
    pool: &Pool,
    ticket: &str,
    session: &str,
    purpose: Purpose,
    now: i64,
) -> Result<Result<String, TicketRefusal>, sqlx::Error> {
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
        "SELECT session, username, expires_at, used_at FROM tickets \
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
        return Ok(Ok(row.try_get("username")?));
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
