//! `POST /api/v1/card-logins`: every check of SPEC §7 on an agent's assertion, each
//! refusal under its own reason code, then a one-time ticket for the session that
//! asked for the nonce (a card registered without its laser ID gets a ticket for a first
//! factor only). A nonce asked for on `/me` registers the card instead, for the account
//! that session logged in to with password + OTP (or card + OTP, for its own card); one
//! asked for at the helpdesk registers it for the person the nonce names.
//!
//! The signature is checked against the agent's key from [`crate::agents::KeyCache`];
//! what the assertion spends, the ticket and the audit row are written in one
//! transaction, on SQLite by the writer thread ([`crate::db::writer`]), which commits
//! several verifications at once; on PostgreSQL a login's are one statement, one round
//! trip ([`one_statement`]).

mod desk;
mod one_statement;
mod refusal;
mod spend;

pub use refusal::Refusal;

use crate::agents::{AgentKey, KeyCache};
use crate::audit;
use crate::card_key::{self, CardKey};
use crate::db::{writer, Pool};
use crate::tickets::Grant;
use sqlx::Acquire;
use thaiid_protocol::api::Ticket;
use thaiid_protocol::assertion::{Claims, Unverified};

/// Clock difference tolerated between agents and the server.
pub const CLOCK_SKEW_SECS: u64 = 30;
pub const TICKET_TTL_SECS: i64 = 60;

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("card login refused: {0}")]
    Refused(Refusal),
    #[error("card login: database: {0}")]
    Db(#[from] sqlx::Error),
}

impl VerifyError {
    /// The reason code answered: the refusal's, or `INTERNAL`.
    pub fn code(&self) -> thaiid_protocol::api::ServerErrorCode {
        match self {
            VerifyError::Refused(refusal) => refusal.code(),
            VerifyError::Db(_) => thaiid_protocol::api::ServerErrorCode::Internal,
        }
    }
}

/// What verifies card logins: the database, the key registered cards are stored under,
/// the agents' keys seen so far, and on a SQLite file its writer thread.
#[derive(Clone)]
pub struct Verifier {
    pool: Pool,
    card_key: CardKey,
    keys: KeyCache,
    writer: Option<writer::Writer>,
    /// PostgreSQL: a login's writes in one statement.
    one_statement: bool,
}

impl Verifier {
    /// On a SQLite file, starts its writer thread (it ends with the last clone).
    pub fn new(pool: Pool, card_key: CardKey) -> Verifier {
        let sqlite = crate::db::sqlite_file(&pool);
        Verifier {
            keys: KeyCache::new(sqlite.clone()),
            writer: sqlite.map(writer::Writer::start),
            one_statement: crate::db::is_postgres(&pool),
            pool,
            card_key,
        }
    }
}

/// Verifies `token` for the server at `audience` and writes the attempt to the audit log,
/// whatever its outcome: an accepted login has its audit row and its ticket, committed
/// together. `remote` is the client's address, for the audit row.
pub async fn verify(
    verifier: &Verifier,
    token: &str,
    audience: &str,
    now: i64,
    remote: Option<String>,
) -> Result<Ticket, VerifyError> {
    let mut entry = audit::Entry::new(audit::Method::Card);
    entry.remote = remote;
    let outcome = match authenticate(verifier, token, audience, now, &mut entry).await? {
        Ok(claims) => spend_and_record(verifier, claims, entry, now).await?,
        Err(refusal) => {
            entry.outcome = refusal.code().as_str().into();
            record(verifier, entry, now).await?;
            Err(refusal)
        }
    };
    outcome.map_err(VerifyError::Refused)
}

/// The checks that need no writes: the assertion's form, its agent, signature, audience
/// and times. Fills in what the audit row may say of it.
async fn authenticate(
    verifier: &Verifier,
    token: &str,
    audience: &str,
    now: i64,
    entry: &mut audit::Entry,
) -> Result<Result<Claims, Refusal>, sqlx::Error> {
    let unverified = match Unverified::parse(token) {
        Ok(unverified) => unverified,
        Err(error) => return Ok(Err(Refusal::from(&error))),
    };
    let key = match verifier.keys.get(&verifier.pool, unverified.kid()).await? {
        AgentKey::Usable(key) => key,
        AgentKey::Unknown => return Ok(Err(Refusal::UnknownAgent)),
        AgentKey::Revoked => {
            entry.agent_id = Some(unverified.kid().to_owned());
            return Ok(Err(Refusal::RevokedAgent));
        }
        AgentKey::Damaged => {
            entry.agent_id = Some(unverified.kid().to_owned());
            return Ok(Err(Refusal::BadAgentKey));
        }
    };
    // Only a known agent's id reaches the audit log, never a token's unverified text.
    entry.agent_id = Some(unverified.kid().to_owned());
    let claims = match unverified.verify(&key, audience, now as u64, CLOCK_SKEW_SECS) {
        Ok(claims) => claims,
        Err(error) => return Ok(Err(Refusal::from(&error))),
    };
    entry.citizen_id = Some(claims.card.citizen_id.masked());
    entry.card = Some(card_key::masked_serial(&claims.card.card_serial));
    entry.card_ref = Some(verifier.card_key.reference(&claims.card.card_serial));
    Ok(Ok(claims))
}

/// [`spend::spend`] and the audit row, in one transaction.
async fn spend_and_record(
    verifier: &Verifier,
    claims: Claims,
    mut entry: audit::Entry,
    now: i64,
) -> Result<Result<Ticket, Refusal>, sqlx::Error> {
    let card_key = verifier.card_key.clone();
    if let Some(writer) = &verifier.writer {
        return writer
            .run(move |db| {
                writer::now(async {
                    let outcome = spend::spend(db, &card_key, &claims, now, &mut entry).await?;
                    entry.outcome = outcome_code(&outcome).into();
                    audit::write(db, &entry, now).await?;
                    Ok(outcome.map(|(ticket, _)| ticket))
                })
            })
            .await;
    }
    if verifier.one_statement {
        let login = one_statement::login(&verifier.pool, &card_key, &claims, &entry, now);
        if let Some(outcome) = login.await? {
            return Ok(outcome);
        }
    }
    let mut connection = verifier.pool.acquire().await?;
    let mut tx = connection.begin().await?;
    let outcome = spend::spend(&mut *tx, &card_key, &claims, now, &mut entry).await?;
    entry.outcome = outcome_code(&outcome).into();
    audit::write(&mut *tx, &entry, now).await?;
    tx.commit().await?;
    Ok(outcome.map(|(ticket, _)| ticket))
}

/// The audit row's outcome: a ticket's, or the refusal's reason code.
fn outcome_code(outcome: &Result<(Ticket, Grant), Refusal>) -> &'static str {
    match outcome {
        Ok((_, grant)) => grant.refusal().unwrap_or(audit::OK),
        Err(refusal) => refusal.code().as_str(),
    }
}

/// The audit row of an assertion refused before it spent anything.
async fn record(verifier: &Verifier, entry: audit::Entry, now: i64) -> Result<(), sqlx::Error> {
    match &verifier.writer {
        Some(writer) => {
            writer
                .run(move |db| writer::now(audit::write(db, &entry, now)))
                .await
        }
        None => audit::record(&verifier.pool, &entry, now).await,
    }
}
