//! A login assertion's writes on PostgreSQL in one statement, so one round trip: the same
//! steps as [`super::spend`] for a login nonce, in its order, as data-modifying CTEs. The
//! jti is inserted only for an agent not revoked; the nonce is spent only if the jti was;
//! the counter moves only if the nonce was spent; the ticket is inserted only if every
//! check passed; the audit row always. Each step that writes sees the previous one's
//! RETURNING, so a refusal commits what the steps before it spent, as the transaction of
//! [`super::spend`] does, and nothing after. Concurrent servers meet on the same rows as
//! there: PostgreSQL re-checks `used_at IS NULL` and `last_ctr < $n` on the row a
//! concurrent commit left, and a concurrent insert of the jti makes this one a conflict.
//!
//! A nonce for anything other than a login (registering a card, forgot password, the
//! helpdesk) is left alone here, with nothing written: the caller runs [`super::spend`].
//! SQLite has no data-modifying CTEs; its writer thread keeps [`super::spend`].
//!
//! The card's hashes are compared in SQL with `=`, not in constant time: they are keyed
//! hashes ([`crate::card_key::CardKey`]), so their timing tells nothing of the serial.

use super::{Refusal, CLOCK_SKEW_SECS, TICKET_TTL_SECS};
use crate::audit;
use crate::card_key::CardKey;
use crate::db::Pool;
use sqlx::Row;
use thaiid_protocol::api::Ticket;
use thaiid_protocol::assertion::Claims;
use thaiid_protocol::date::{rfc3339_utc, thai_date};

/// `outcome` is NULL for a nonce of another purpose (nothing written), else `OK` or the
/// refusal's reason code; `username` the account the citizen ID is linked to; `factor`
/// the ticket's, if one was inserted.
const LOGIN: &str = "\
WITH nonce_row AS (
    SELECT purpose, origin, expires_at, used_at FROM nonces WHERE nonce = $4::text
), login AS (
    SELECT 1 AS login WHERE NOT EXISTS (SELECT 1 FROM nonce_row WHERE purpose <> 'login')
), agent AS (
    SELECT revoked_at FROM agents WHERE id = $2::text
), jti AS (
    INSERT INTO assertion_ids (jti, agent_id, expires_at)
    SELECT $1::text, $2::text, $3::bigint FROM login
    WHERE EXISTS (SELECT 1 FROM agent WHERE revoked_at IS NULL)
    ON CONFLICT (jti) DO NOTHING
    RETURNING 1
), nonce AS (
    UPDATE nonces SET used_at = $6::bigint
    WHERE nonce = $4::text AND origin = $5::text AND used_at IS NULL
      AND expires_at > $6::bigint AND purpose = 'login' AND EXISTS (SELECT 1 FROM jti)
    RETURNING session
), counted AS (
    UPDATE agents SET last_ctr = $7::bigint, last_seen_at = $6::bigint
    WHERE id = $2::text AND last_ctr < $7::bigint AND EXISTS (SELECT 1 FROM nonce)
    RETURNING 1
), account AS (
    SELECT username, card_serial_hash, card_laser_hash FROM users WHERE citizen_id = $8::text
), outcome AS (
    SELECT CASE
        WHEN NOT EXISTS (SELECT 1 FROM login) THEN NULL
        WHEN NOT EXISTS (SELECT 1 FROM jti) THEN COALESCE(
            (SELECT CASE WHEN revoked_at IS NULL THEN 'REPLAYED_JTI' ELSE 'REVOKED_AGENT' END
             FROM agent),
            'UNKNOWN_AGENT')
        WHEN NOT EXISTS (SELECT 1 FROM nonce) THEN COALESCE(
            (SELECT CASE
                WHEN used_at IS NOT NULL THEN 'USED_NONCE'
                WHEN expires_at <= $6::bigint THEN 'EXPIRED_NONCE'
                WHEN origin <> $5::text THEN 'ORIGIN_MISMATCH'
                ELSE 'USED_NONCE' END
             FROM nonce_row),
            'UNKNOWN_NONCE')
        WHEN NOT EXISTS (SELECT 1 FROM counted) THEN 'COUNTER_NOT_INCREASING'
        WHEN $9::text IS NOT NULL THEN $9::text
        WHEN NOT EXISTS (SELECT 1 FROM account) THEN 'NOT_LINKED'
        WHEN EXISTS (SELECT 1 FROM account WHERE card_serial_hash = $10::text
            AND (card_laser_hash IS NULL OR card_laser_hash = $11::text)) THEN 'OK'
        WHEN EXISTS (SELECT 1 FROM blocked_cards JOIN account USING (username)
            WHERE blocked_cards.serial_hash = $10::text) THEN 'CARD_BLOCKED'
        ELSE 'CARD_NOT_REGISTERED'
    END AS code
), ticket AS (
    INSERT INTO tickets (ticket, session, username, expires_at, purpose, factor, refusal)
    SELECT $12::text, nonce.session, account.username, $13::bigint, 'login',
        CASE WHEN account.card_laser_hash IS NULL THEN 'card-first' ELSE 'card' END, NULL
    FROM outcome, nonce, account WHERE outcome.code = 'OK'
    RETURNING factor
), audit AS (
    INSERT INTO audit_log (id, at, method, outcome, username, citizen_id, agent_id, remote,
        card, card_ref)
    SELECT $14::text, $6::bigint, 'card', code,
        CASE WHEN code IN ('OK', 'CARD_BLOCKED', 'CARD_NOT_REGISTERED')
            THEN (SELECT username FROM account) END,
        $15::text, $16::text, $17::text, $18::text, $19::text
    FROM outcome WHERE code IS NOT NULL
)
SELECT code, (SELECT username FROM account), (SELECT factor FROM ticket) FROM outcome";

/// The refusals [`LOGIN`] answers, by their reason code.
const REFUSALS: [Refusal; 13] = [
    Refusal::UnknownAgent,
    Refusal::RevokedAgent,
    Refusal::ReplayedJti,
    Refusal::UnknownNonce,
    Refusal::ExpiredNonce,
    Refusal::UsedNonce,
    Refusal::OriginMismatch,
    Refusal::CounterNotIncreasing,
    Refusal::InvalidCitizenId,
    Refusal::CardExpired,
    Refusal::NotLinked,
    Refusal::CardBlocked,
    Refusal::CardNotRegistered,
];

/// Spends what a login assertion spends, issues its ticket and writes its audit row, in
/// one statement; `None` (nothing written) when the nonce is for another purpose.
pub async fn login(
    pool: &Pool,
    card_key: &CardKey,
    claims: &Claims,
    entry: &audit::Entry,
    now: i64,
) -> Result<Option<Result<Ticket, Refusal>>, sqlx::Error> {
    let card = &claims.card;
    // Checked in Rust, applied in SQL after the counter, where [`super::spend`] checks them.
    let card_refusal = if !card.citizen_id.check_digit_valid() {
        Some(Refusal::InvalidCitizenId)
    } else if card.expiry_date.is_past(thai_date(now)) {
        Some(Refusal::CardExpired)
    } else {
        None
    };
    let ticket = crate::random_id();
    let expires_at = now + TICKET_TTL_SECS;
    let row = sqlx::query(LOGIN)
        .bind(claims.jti.as_str())
        .bind(claims.iss.as_str())
        .bind(claims.exp as i64 + CLOCK_SKEW_SECS as i64)
        .bind(claims.nonce.as_str())
        .bind(claims.origin.as_str())
        .bind(now)
        .bind(claims.ctr as i64)
        .bind(card.citizen_id.as_str())
        .bind(card_refusal.map(|refusal| refusal.code().as_str()))
        .bind(card_key.serial(&card.card_serial))
        .bind(card.laser_id.as_ref().map(|laser| card_key.laser(laser)))
        .bind(&ticket)
        .bind(expires_at)
        .bind(audit::ordered_id())
        .bind(&entry.citizen_id)
        .bind(&entry.agent_id)
        .bind(&entry.remote)
        .bind(&entry.card)
        .bind(&entry.card_ref)
        .fetch_one(pool)
        .await?;
    let Some(code) = row.try_get::<Option<String>, _>(0)? else {
        return Ok(None);
    };
    if code != audit::OK {
        return Ok(Some(Err(refusal(&code)?)));
    }
    let username: Option<String> = row.try_get(1)?;
    let factor: Option<String> = row.try_get(2)?;
    if username.is_none() || factor.is_none() {
        return Err(sqlx::Error::Protocol(
            "the card login's statement answered OK without its ticket".into(),
        ));
    }
    Ok(Some(Ok(Ticket {
        ticket,
        expires_at: rfc3339_utc(expires_at),
    })))
}

fn refusal(code: &str) -> Result<Refusal, sqlx::Error> {
    REFUSALS
        .into_iter()
        .find(|refusal| refusal.code().as_str() == code)
        .ok_or_else(|| {
            sqlx::Error::Protocol(format!("the card login's statement answered {code:?}"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::challenges::Purpose;
    use crate::tickets::Grant;

    #[test]
    fn every_refusal_the_statement_names_is_a_reason_code_it_may_answer() {
        // These two are checked in Rust and bound as `$9`.
        let bound = [Refusal::InvalidCitizenId, Refusal::CardExpired];
        for refusal in REFUSALS {
            let code = refusal.code().as_str();
            assert!(
                bound.contains(&refusal) || LOGIN.contains(&format!("'{code}'")),
                "{code} is not in the SQL"
            );
            assert_eq!(super::refusal(code).unwrap(), refusal);
        }
        assert!(super::refusal("NO_SUCH_CODE").is_err());
    }

    #[test]
    fn the_statement_writes_the_same_values_as_the_general_path() {
        for value in [
            Grant::Card.factor(),
            Grant::FirstFactor.factor(),
            Purpose::Login.as_str(),
            audit::Method::Card.as_str(),
            audit::OK,
        ] {
            assert!(
                LOGIN.contains(&format!("'{value}'")),
                "{value} is not in the SQL"
            );
        }
    }
}
