//! `POST /api/v1/card-logins`: every check of SPEC §7 on an agent's assertion, each
//! refusal under its own reason code, then a one-time ticket for the session that
//! asked for the nonce.

use crate::api::ApiError;
use crate::audit;
use crate::challenges::{self, NonceRefusal};
use crate::db::Pool;
use axum::http::StatusCode;
use sqlx::{Acquire, Row};
use thaiid_protocol::api::Ticket;
use thaiid_protocol::assertion::{Claims, PublicJwk, Unverified};
use thaiid_protocol::date::{rfc3339_utc, thai_date};
use thaiid_protocol::CitizenId;

/// Clock difference tolerated between agents and the server.
pub const CLOCK_SKEW_SECS: u64 = 30;
pub const TICKET_TTL_SECS: i64 = 60;

/// Verifications' write transactions on SQLite, one at a time in this process (a
/// SQLite database has one server).
static SQLITE_WRITER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn refuse(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(status, code, message)
}

/// Verifies `token` and writes the attempt to the audit log, whatever its outcome. What
/// an assertion spends (its jti, the nonce, the counter), the ticket and the audit row are
/// written in one transaction: one commit per verification, and no ticket without its row.
pub async fn verify(
    pool: &Pool,
    token: &str,
    audience: &str,
    now: i64,
    remote: Option<String>,
) -> Result<Ticket, ApiError> {
    let mut entry = audit::Entry::new(audit::Method::Card);
    entry.remote = remote;
    let claims = match authenticate(pool, token, audience, now, &mut entry).await {
        Ok(claims) => claims,
        Err(error) => {
            entry.outcome = error.code.into();
            audit::record(pool, &entry, now)
                .await
                .map_err(ApiError::internal)?;
            return Err(error);
        }
    };
    let mut connection = pool.acquire().await.map_err(ApiError::internal)?;
    // SQLite has one writer at a time: queue here rather than in its busy handler.
    let _writing = match connection.backend_name() {
        "SQLite" => Some(SQLITE_WRITER.lock().await),
        _ => None,
    };
    let mut tx = connection.begin().await.map_err(ApiError::internal)?;
    let result = spend(&mut tx, &claims, now, &mut entry).await?;
    entry.outcome = match &result {
        Ok(_) => "OK".into(),
        Err(error) => error.code.into(),
    };
    audit::record(&mut *tx, &entry, now)
        .await
        .map_err(ApiError::internal)?;
    tx.commit().await.map_err(ApiError::internal)?;
    result
}

/// The checks that need no writes: the assertion's form, its agent, signature, audience
/// and times.
async fn authenticate(
    pool: &Pool,
    token: &str,
    audience: &str,
    now: i64,
    entry: &mut audit::Entry,
) -> Result<Claims, ApiError> {
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
    Ok(claims)
}

/// Spends the assertion's jti, its nonce and the agent's counter, checks the card, and
/// issues the ticket; each statement spends at most once even with several servers. The
/// outer error is the database's; the inner one the refusal, committed with its spending.
async fn spend(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    claims: &Claims,
    now: i64,
    entry: &mut audit::Entry,
) -> Result<Result<Ticket, ApiError>, ApiError> {
    let fresh = sqlx::query(
        "INSERT INTO assertion_ids (jti, agent_id, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (jti) DO NOTHING",
    )
    .bind(&claims.jti)
    .bind(&claims.iss)
    .bind(claims.exp as i64 + CLOCK_SKEW_SECS as i64)
    .execute(&mut **tx)
    .await
    .map_err(ApiError::internal)?;
    if fresh.rows_affected() != 1 {
        return Ok(Err(refuse(
            StatusCode::CONFLICT,
            "REPLAYED_JTI",
            "this assertion was used already",
        )));
    }
    let session = match challenges::spend(tx, &claims.nonce, &claims.origin, now)
        .await
        .map_err(ApiError::internal)?
    {
        Ok(session) => session,
        Err(refusal) => {
            let status = match refusal {
                NonceRefusal::OriginMismatch => StatusCode::FORBIDDEN,
                _ => StatusCode::CONFLICT,
            };
            return Ok(Err(refuse(
                status,
                refusal.code(),
                "the nonce cannot be used",
            )));
        }
    };
    let counted = sqlx::query("UPDATE agents SET last_ctr = $1 WHERE id = $2 AND last_ctr < $1")
        .bind(claims.ctr as i64)
        .bind(&claims.iss)
        .execute(&mut **tx)
        .await
        .map_err(ApiError::internal)?;
    if counted.rows_affected() != 1 {
        return Ok(Err(refuse(
            StatusCode::CONFLICT,
            "COUNTER_NOT_INCREASING",
            "the agent's counter went back",
        )));
    }
    let card = &claims.card;
    if !CitizenId::parse(&card.citizen_id).is_ok_and(|id| id.check_digit_valid()) {
        return Ok(Err(refuse(
            StatusCode::FORBIDDEN,
            "INVALID_CITIZEN_ID",
            "the citizen ID's check digit is wrong",
        )));
    }
    if card.expiry_date.is_past(thai_date(now)) {
        return Ok(Err(refuse(
            StatusCode::FORBIDDEN,
            "CARD_EXPIRED",
            "the ID card has expired",
        )));
    }
    let ticket = crate::random_id();
    let expires_at = now + TICKET_TTL_SECS;
    let username: Option<String> = sqlx::query_scalar(
        "INSERT INTO tickets (ticket, session, username, expires_at) \
         SELECT $1, $2, username, $3 FROM users WHERE citizen_id = $4 RETURNING username",
    )
    .bind(&ticket)
    .bind(&session)
    .bind(expires_at)
    .bind(&card.citizen_id)
    .fetch_optional(&mut **tx)
    .await
    .map_err(ApiError::internal)?;
    let Some(username) = username else {
        return Ok(Err(refuse(
            StatusCode::FORBIDDEN,
            "NOT_LINKED",
            "this citizen ID is linked to no account",
        )));
    };
    entry.username = Some(username);
    Ok(Ok(Ticket {
        ticket,
        expires_at: rfc3339_utc(expires_at),
    }))
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
