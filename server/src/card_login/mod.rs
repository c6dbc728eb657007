//! `POST /api/v1/card-logins`: every check of SPEC §7 on an agent's assertion, each
//! refusal under its own reason code, then a one-time ticket for the session that
//! asked for the nonce. A nonce asked for on `/me` registers the card instead, for the
//! account that session logged in to with password + OTP.

use crate::amr::Amr;
use crate::api::ApiError;
use crate::audit;
use crate::card_key::{self, CardKey};
use crate::cards::{self, CardError, CardRefusal};
use crate::challenges::{self, NonceRefusal, Purpose};
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
    card_key: &CardKey,
    token: &str,
    audience: &str,
    now: i64,
    remote: Option<String>,
) -> Result<Ticket, ApiError> {
    let mut entry = audit::Entry::new(audit::Method::Card);
    entry.remote = remote;
    let claims = match authenticate(pool, card_key, token, audience, now, &mut entry).await {
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
    let result = spend(&mut tx, card_key, &claims, now, &mut entry).await?;
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
    card_key: &CardKey,
    token: &str,
    audience: &str,
    now: i64,
    entry: &mut audit::Entry,
) -> Result<Claims, ApiError> {
    let unverified = Unverified::parse(token).map_err(|error| {
        refuse(
            StatusCode::BAD_REQUEST,
            error.code().as_str(),
            error.to_string(),
        )
    })?;
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
        .map_err(|error| {
            refuse(
                StatusCode::UNAUTHORIZED,
                error.code().as_str(),
                error.to_string(),
            )
        })?;
    if let Ok(id) = CitizenId::parse(&claims.card.citizen_id) {
        entry.citizen_id = Some(id.masked());
    }
    entry.card = Some(card_key::masked_serial(&claims.card.card_serial));
    entry.card_ref = Some(card_key.reference(&claims.card.card_serial));
    Ok(claims)
}

/// Spends the assertion's jti, its nonce and the agent's counter, checks the card, and
/// issues the ticket; each statement spends at most once even with several servers. The
/// outer error is the database's; the inner one the refusal, committed with its spending.
async fn spend(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    card_key: &CardKey,
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
    let (session, purpose) = match challenges::spend(tx, &claims.nonce, &claims.origin, now)
        .await
        .map_err(ApiError::internal)?
    {
        Ok(spent) => spent,
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
    if purpose == Purpose::RegisterCard {
        entry.method = audit::Method::Register;
    }
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
    let username = match purpose {
        Purpose::Login => {
            let linked: Option<String> =
                sqlx::query_scalar("SELECT username FROM users WHERE citizen_id = $1")
                    .bind(&card.citizen_id)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(ApiError::internal)?;
            let Some(username) = linked else {
                return Ok(Err(refuse(
                    StatusCode::FORBIDDEN,
                    "NOT_LINKED",
                    "this citizen ID is linked to no account",
                )));
            };
            username
        }
        Purpose::RegisterCard => {
            let Some((username, citizen_id)) = registering_account(tx, &session, now)
                .await
                .map_err(ApiError::internal)?
            else {
                return Ok(Err(refuse(
                    StatusCode::FORBIDDEN,
                    "NEEDS_PASSWORD_OTP",
                    "only a session logged in with password + OTP may register a card",
                )));
            };
            if citizen_id.as_deref() != Some(card.citizen_id.as_str()) {
                entry.username = Some(username);
                return Ok(Err(refuse(
                    StatusCode::FORBIDDEN,
                    "CARD_NOT_ACCOUNTS",
                    "this card is not the card of the account that asked to register it",
                )));
            }
            username
        }
    };
    entry.username = Some(username.clone());
    let refusal = cards::check(
        tx,
        card_key,
        &username,
        &card.card_serial,
        card.laser_id.as_ref(),
    )
    .await
    .map_err(ApiError::internal)?;
    match (refusal, purpose) {
        (Err(CardRefusal::Blocked), _) => {
            return Ok(Err(refuse(
                StatusCode::FORBIDDEN,
                CardRefusal::Blocked.code(),
                "this card was replaced or blocked: log in with the card registered now",
            )));
        }
        (Err(CardRefusal::NotRegistered), Purpose::Login) => {
            return Ok(Err(refuse(
                StatusCode::FORBIDDEN,
                CardRefusal::NotRegistered.code(),
                "this card is not the account's registered card",
            )));
        }
        _ => {}
    }
    if purpose == Purpose::RegisterCard {
        if card_key::parse_serial(&card.card_serial).is_err() {
            return Ok(Err(refuse(
                StatusCode::BAD_REQUEST,
                "BAD_CARD_SERIAL",
                "the card's serial is not 14 digits",
            )));
        }
        let laser = card.laser_id.as_ref();
        match cards::register(tx, card_key, &username, &card.card_serial, laser, now).await {
            Ok(_) => {}
            Err(CardError::Database(error)) => return Err(ApiError::internal(error)),
            // The account went away meanwhile.
            Err(other) => {
                tracing::error!("card registration: {other}");
                return Err(ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL",
                    "the server failed; try again",
                ));
            }
        }
    }
    let ticket = crate::random_id();
    let expires_at = now + TICKET_TTL_SECS;
    sqlx::query(
        "INSERT INTO tickets (ticket, session, username, expires_at, purpose) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&ticket)
    .bind(&session)
    .bind(&username)
    .bind(expires_at)
    .bind(purpose.as_str())
    .execute(&mut **tx)
    .await
    .map_err(ApiError::internal)?;
    Ok(Ok(Ticket {
        ticket,
        expires_at: rfc3339_utc(expires_at),
    }))
}

/// The account (and its linked citizen ID) the session `id_hash` is logged in to with
/// password + OTP, if it still is: only such a session may register a card, so a card
/// login, or a card alone, never registers one.
async fn registering_account(
    db: &mut sqlx::AnyConnection,
    id_hash: &str,
    now: i64,
) -> Result<Option<(String, Option<String>)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT users.username, users.citizen_id FROM sessions \
         JOIN users ON users.username = sessions.username \
         WHERE sessions.id_hash = $1 AND sessions.expires_at > $2 AND sessions.amr = $3",
    )
    .bind(id_hash)
    .bind(now)
    .bind(Amr::PasswordOtp.as_str())
    .fetch_optional(&mut *db)
    .await?;
    row.map(|row| Ok((row.try_get("username")?, row.try_get("citizen_id")?)))
        .transpose()
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
