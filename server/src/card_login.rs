//! `POST /api/v1/card-logins`: every check of SPEC §7 on an agent's assertion, each
//! refusal under its own reason code, then a one-time ticket for the session that
//! asked for the nonce.

use crate::api::ApiError;
use crate::audit;
use crate::challenges::{self, NonceRefusal};
use crate::db::Pool;
use axum::http::StatusCode;
use sqlx::Row;
use thaiid_protocol::api::Ticket;
use thaiid_protocol::assertion::{PublicJwk, Unverified};
use thaiid_protocol::date::{rfc3339_utc, thai_date};
use thaiid_protocol::CitizenId;

/// Clock difference tolerated between agents and the server.
pub const CLOCK_SKEW_SECS: u64 = 30;
pub const TICKET_TTL_SECS: i64 = 60;

fn refuse(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(status, code, message)
}

/// Verifies `token` and writes the attempt to the audit log, whatever its outcome; no
/// ticket leaves without its audit row.
pub async fn verify(
    pool: &Pool,
    token: &str,
    audience: &str,
    now: i64,
    remote: Option<String>,
) -> Result<Ticket, ApiError> {
    let mut entry = audit::Entry::new(audit::Method::Card);
    entry.remote = remote;
    let result = check(pool, token, audience, now, &mut entry).await;
    entry.outcome = match &result {
        Ok(_) => "OK".into(),
        Err(error) => error.code.into(),
    };
    audit::record(pool, &entry, now)
        .await
        .map_err(ApiError::internal)?;
    result
}

async fn check(
    pool: &Pool,
    token: &str,
    audience: &str,
    now: i64,
    entry: &mut audit::Entry,
) -> Result<Ticket, ApiError> {
    let unverified = Unverified::parse(token)
        .map_err(|error| refuse(StatusCode::BAD_REQUEST, error.code(), error.to_string()))?;
    entry.agent_id = Some(unverified.kid().to_owned());
    let agent = sqlx::query("SELECT public_key_jwk, revoked_at FROM agents WHERE id = $1")
        .bind(unverified.kid())
        .fetch_optional(pool)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| refuse(StatusCode::UNAUTHORIZED, "UNKNOWN_AGENT", "no such agent"))?;
    if agent
        .try_get::<Option<i64>, _>("revoked_at")
        .map_err(ApiError::internal)?
        .is_some()
    {
        return Err(refuse(
            StatusCode::UNAUTHORIZED,
            "REVOKED_AGENT",
            "this agent was revoked",
        ));
    }
    let jwk: PublicJwk = serde_json::from_str(
        &agent
            .try_get::<String, _>("public_key_jwk")
            .map_err(ApiError::internal)?,
    )
    .map_err(|_| {
        refuse(
            StatusCode::UNAUTHORIZED,
            "BAD_AGENT_KEY",
            "the stored key is damaged",
        )
    })?;
    let claims = unverified
        .verify(&jwk, audience, now as u64, CLOCK_SKEW_SECS)
        .map_err(|error| refuse(StatusCode::UNAUTHORIZED, error.code(), error.to_string()))?;

    if let Ok(id) = CitizenId::parse(&claims.card.citizen_id) {
        entry.citizen_id = Some(id.masked());
    }
    let replay =
        sqlx::query("INSERT INTO assertion_ids (jti, agent_id, expires_at) VALUES ($1, $2, $3)")
            .bind(&claims.jti)
            .bind(&claims.iss)
            .bind(claims.exp as i64 + CLOCK_SKEW_SECS as i64)
            .execute(pool)
            .await;
    match replay {
        Ok(_) => {}
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            return Err(refuse(
                StatusCode::CONFLICT,
                "REPLAYED_JTI",
                "this assertion was used already",
            ))
        }
        Err(error) => return Err(ApiError::internal(error)),
    }
    let session = match challenges::spend(pool, &claims.nonce, &claims.origin, now)
        .await
        .map_err(ApiError::internal)?
    {
        Ok(session) => session,
        Err(refusal) => {
            let status = match refusal {
                NonceRefusal::OriginMismatch => StatusCode::FORBIDDEN,
                _ => StatusCode::CONFLICT,
            };
            return Err(refuse(status, refusal.code(), "the nonce cannot be used"));
        }
    };
    let counted = sqlx::query("UPDATE agents SET last_ctr = $1 WHERE id = $2 AND last_ctr < $1")
        .bind(claims.ctr as i64)
        .bind(&claims.iss)
        .execute(pool)
        .await
        .map_err(ApiError::internal)?;
    if counted.rows_affected() != 1 {
        return Err(refuse(
            StatusCode::CONFLICT,
            "COUNTER_NOT_INCREASING",
            "the agent's counter went back",
        ));
    }
    let card = &claims.card;
    if !CitizenId::parse(&card.citizen_id).is_ok_and(|id| id.check_digit_valid()) {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "INVALID_CITIZEN_ID",
            "the citizen ID's check digit is wrong",
        ));
    }
    if card.expiry_date.is_past(thai_date(now)) {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "CARD_EXPIRED",
            "the ID card has expired",
        ));
    }
    let username: String = sqlx::query("SELECT username FROM users WHERE citizen_id = $1")
        .bind(&card.citizen_id)
        .fetch_optional(pool)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| {
            refuse(
                StatusCode::FORBIDDEN,
                "NOT_LINKED",
                "this citizen ID is linked to no account",
            )
        })?
        .try_get("username")
        .map_err(ApiError::internal)?;
    entry.username = Some(username.clone());
    let ticket = crate::random_id();
    let expires_at = now + TICKET_TTL_SECS;
    sqlx::query(
        "INSERT INTO tickets (ticket, session, username, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&ticket)
    .bind(&session)
    .bind(&username)
    .bind(expires_at)
    .execute(pool)
    .await
    .map_err(ApiError::internal)?;
    Ok(Ticket {
        ticket,
        expires_at: rfc3339_utc(expires_at),
    })
}

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
/// instances) and answers the account it logs in.
pub async fn redeem(
    pool: &Pool,
    ticket: &str,
    session: &str,
    now: i64,
) -> Result<Result<String, TicketRefusal>, sqlx::Error> {
    let redeemed = sqlx::query(
        "UPDATE tickets SET used_at = $1 \
         WHERE ticket = $2 AND session = $3 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(ticket)
    .bind(session)
    .execute(pool)
    .await?;
    let row =
        sqlx::query("SELECT session, username, expires_at, used_at FROM tickets WHERE ticket = $1")
            .bind(ticket)
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
