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
pub mod queue;
mod refusal;
mod spend;
pub mod strangers;

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
    /// Every place in the [`queue::Queue`] is taken.
    #[error("card login: {0} logins in progress already")]
    Busy(usize),
}

impl VerifyError {
    /// The reason code answered: the refusal's, or `INTERNAL`.
    pub fn code(&self) -> thaiid_protocol::api::ServerErrorCode {
        match self {
            VerifyError::Refused(refusal) => refusal.code(),
            VerifyError::Db(_) => thaiid_protocol::api::ServerErrorCode::Internal,
            VerifyError::Busy(_) => thaiid_protocol::api::ServerErrorCode::ServerBusy,
        }
    }
}

/// What verifies card logins: the database, the key registered cards are stored under,
/// the agents' keys seen so far, on a SQLite file its writer thread, the places for
/// logins in progress, and the count of refusals from agents not enrolled.
#[derive(Clone)]
pub struct Verifier {
    pool: Pool,
    card_key: CardKey,
    keys: KeyCache,
    writer: Option<writer::Writer>,
    queue: queue::Queue,
    strangers: strangers::Strangers,
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
            queue: queue::Queue::new(queue::DEFAULT_LIMIT),
            strangers: strangers::Strangers::default(),
        }
    }

    /// Takes at most `limit` card logins at once instead of [`queue::DEFAULT_LIMIT`].
    pub fn with_queue_limit(self, limit: usize) -> Verifier {
        Verifier {
            queue: queue::Queue::new(limit),
            ..self
        }
    }

    pub fn queue(&self) -> &queue::Queue {
        &self.queue
    }

    pub fn strangers(&self) -> &strangers::Strangers {
        &self.strangers
    }

    /// Writes the refusals from agents not enrolled counted so far to the audit log, one
    /// row per address ([`strangers`]); answers how many rows.
    pub async fn audit_strangers(&self, now: i64) -> Result<usize, sqlx::Error> {
        let entries = self.strangers.take();
        let rows = entries.len();
        if rows == 0 {
            return Ok(0);
        }
        if let Some(writer) = &self.writer {
            writer
                .run(move |db| {
                    writer::now(async {
                        for entry in &entries {
                            audit::write(db, entry, now).await?;
                        }
                        Ok(())
                    })
                })
                .await?;
            return Ok(rows);
        }
        let mut tx = self.pool.begin().await?;
        for entry in &entries {
            audit::record(&mut *tx, entry, now).await?;
        }
        tx.commit().await?;
        Ok(rows)
    }

    /// A test's hold on the card logins' writes: until it is released, every login that
    /// reaches its write waits (the SQLite writer runs a job that waits; on PostgreSQL a
    /// transaction holds the audit log locked).
    #[cfg(any(test, feature = "test-support"))]
    pub async fn hold_writes(&self) -> Result<WriteHold, sqlx::Error> {
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let (held, holding) = tokio::sync::oneshot::channel::<()>();
        match &self.writer {
            Some(writer) => {
                let writer = writer.clone();
                tokio::spawn(async move {
                    writer
                        .run(move |_db| {
                            let _ = held.send(());
                            let _ = released.blocking_recv();
                            Ok(())
                        })
                        .await
                });
            }
            None => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("LOCK TABLE audit_log IN EXCLUSIVE MODE")
                    .execute(&mut *tx)
                    .await?;
                tokio::spawn(async move {
                    let _ = held.send(());
                    let _ = released.await;
                    tx.rollback().await
                });
            }
        }
        let _ = holding.await;
        Ok(WriteHold(release))
    }
}

/// Card logins' writes wait until this is dropped ([`Verifier::hold_writes`]).
#[cfg(any(test, feature = "test-support"))]
pub struct WriteHold(#[allow(dead_code)] tokio::sync::oneshot::Sender<()>);

/// Writes the refusals from agents not enrolled to the audit log every
/// [`strangers::EVERY_SECS`] until the process ends.
pub async fn audit_strangers_every_minute(verifier: Verifier) {
    let mut turns = tokio::time::interval(std::time::Duration::from_secs(strangers::EVERY_SECS));
    turns.tick().await;
    loop {
        turns.tick().await;
        if let Err(error) = verifier.audit_strangers(crate::now()).await {
            tracing::warn!("cannot audit the refused card logins of agents not enrolled: {error}");
        }
    }
}

/// Verifies `token` for the server at `audience` and writes the attempt to the audit log,
/// whatever its outcome: an accepted login has its audit row and its ticket, committed
/// together; a refusal before any enrolled agent is known is counted for the minute's
/// row of its address ([`strangers`]). `remote` is the client's address, for the audit.
/// Beyond [`queue::Queue`]'s limit of logins in progress, [`VerifyError::Busy`].
pub async fn verify(
    verifier: &Verifier,
    token: &str,
    audience: &str,
    now: i64,
    remote: Option<String>,
) -> Result<Ticket, VerifyError> {
    let Some(_place) = verifier.queue.admit() else {
        return Err(VerifyError::Busy(verifier.queue.limit()));
    };
    let mut entry = audit::Entry::new(audit::Method::Card);
    entry.remote = remote;
    let outcome = match authenticate(verifier, token, audience, now, &mut entry).await? {
        Ok(claims) => spend_and_record(verifier, claims, entry, now).await?,
        Err(refusal) if refusal == Refusal::RevokedAgent || entry.agent_id.is_none() => {
            let revoked = entry.agent_id.as_deref();
            verifier
                .strangers
                .count(entry.remote.as_deref(), refusal.code(), revoked);
            Err(refusal)
        }
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
