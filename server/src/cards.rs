//! Registered cards (SPEC §7): an account's card is its serial and, where registered, its
//! laser ID, stored as keyed hashes ([`CardKey`]). A card login must present them; a card
//! the account registered before is blocked. Registering a card replaces the old one,
//! which goes on the account's blocked list, so a lost card stops working the moment its
//! owner registers the new one.

use crate::audit::{self, Method};
use crate::card_key::{self, CardKey, SerialError};
use crate::db::Pool;
use sqlx::{Acquire, Row};
use thaiid_protocol::api::ServerErrorCode;
use thaiid_protocol::laser::{LaserId, LaserIdError};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CardError {
    #[error("no user {0:?}")]
    NoUser(String),
    #[error("{0:?} has no registered card to block")]
    NoCard(String),
    #[error(transparent)]
    Serial(#[from] SerialError),
    #[error("the laser ID (on the card's back, e.g. JT0-1234567-89): {0}")]
    Laser(#[from] LaserIdError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// Why a card may not log in to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardRefusal {
    /// The account registered this card before and replaced or blocked it.
    Blocked,
    /// No card registered, another serial, or the laser ID missing or different.
    NotRegistered,
}

impl CardRefusal {
    pub fn code(self) -> ServerErrorCode {
        match self {
            CardRefusal::Blocked => ServerErrorCode::CardBlocked,
            CardRefusal::NotRegistered => ServerErrorCode::CardNotRegistered,
        }
    }
}

/// The registered card as people may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// `xxxxxxxxxx5678`.
    pub serial_masked: String,
    /// Is the laser ID registered too?
    pub laser: bool,
    pub registered_at: i64,
}

/// The card an account registered, if any.
pub async fn registered(pool: &Pool, username: &str) -> Result<Option<Registered>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT card_serial_masked, card_laser_hash, card_registered_at FROM users \
         WHERE username = $1 AND card_serial_hash IS NOT NULL",
    )
    .bind(username)
    .fetch_optional(pool)
    .await?;
    row.map(|row| {
        Ok(Registered {
            serial_masked: row
                .try_get::<Option<String>, _>("card_serial_masked")?
                .unwrap_or_default(),
            laser: row
                .try_get::<Option<String>, _>("card_laser_hash")?
                .is_some(),
            registered_at: row
                .try_get::<Option<i64>, _>("card_registered_at")?
                .unwrap_or_default(),
        })
    })
    .transpose()
}

/// Does the card (`serial`, `laser`) log in to `username`? Blocked is checked first: a
/// replaced card is named as such, not as merely unknown.
pub async fn check(
    db: &mut sqlx::AnyConnection,
    key: &CardKey,
    username: &str,
    serial: &str,
    laser: Option<&LaserId>,
) -> Result<Result<(), CardRefusal>, sqlx::Error> {
    let serial_hash = key.serial(serial);
    let blocked: Option<i64> = sqlx::query_scalar(
        "SELECT blocked_at FROM blocked_cards WHERE username = $1 AND serial_hash = $2",
    )
    .bind(username)
    .bind(&serial_hash)
    .fetch_optional(&mut *db)
    .await?;
    if blocked.is_some() {
        return Ok(Err(CardRefusal::Blocked));
    }
    let row =
        sqlx::query("SELECT card_serial_hash, card_laser_hash FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(&mut *db)
            .await?;
    let Some(row) = row else {
        return Ok(Err(CardRefusal::NotRegistered));
    };
    let stored_serial: Option<String> = row.try_get("card_serial_hash")?;
    let stored_laser: Option<String> = row.try_get("card_laser_hash")?;
    let serial_matches =
        stored_serial.is_some_and(|stored| crate::same_secret(&stored, &serial_hash));
    let laser_matches = match stored_laser {
        None => true,
        Some(stored) => laser.is_some_and(|laser| crate::same_secret(&stored, &key.laser(laser))),
    };
    Ok(if serial_matches && laser_matches {
        Ok(())
    } else {
        Err(CardRefusal::NotRegistered)
    })
}

/// Registers the card (`serial`, checked by the caller; `laser` where known) as
/// `username`'s, inside the caller's transaction. The card registered before, if another,
/// goes on the blocked list (its audit row is written here); a card registered again is
/// taken off it. Answers the blocked card's masked serial.
pub async fn register(
    db: &mut sqlx::AnyConnection,
    key: &CardKey,
    username: &str,
    serial: &str,
    laser: Option<&LaserId>,
    now: i64,
) -> Result<Option<String>, CardError> {
    let row =
        sqlx::query("SELECT card_serial_hash, card_serial_masked FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(&mut *db)
            .await?
            .ok_or_else(|| CardError::NoUser(username.to_owned()))?;
    let old_hash: Option<String> = row.try_get("card_serial_hash")?;
    let old_masked: Option<String> = row.try_get("card_serial_masked")?;
    let serial_hash = key.serial(serial);
    let mut replaced = None;
    if let Some(old_hash) = old_hash.filter(|old| *old != serial_hash) {
        let masked = old_masked.unwrap_or_default();
        block_hash(db, username, &old_hash, &masked, "REPLACED", now).await?;
        replaced = Some(masked);
    }
    sqlx::query("DELETE FROM blocked_cards WHERE username = $1 AND serial_hash = $2")
        .bind(username)
        .bind(&serial_hash)
        .execute(&mut *db)
        .await?;
    sqlx::query(
        "UPDATE users SET card_serial_hash = $1, card_laser_hash = $2, \
         card_serial_masked = $3, card_registered_at = $4 WHERE username = $5",
    )
    .bind(&serial_hash)
    .bind(laser.map(|laser| key.laser(laser)))
    .bind(card_key::masked_serial(serial))
    .bind(now)
    .bind(username)
    .execute(&mut *db)
    .await?;
    Ok(replaced)
}

async fn block_hash(
    db: &mut sqlx::AnyConnection,
    username: &str,
    serial_hash: &str,
    masked: &str,
    outcome: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO blocked_cards (username, serial_hash, serial_masked, blocked_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (username, serial_hash) DO NOTHING",
    )
    .bind(username)
    .bind(serial_hash)
    .bind(masked)
    .bind(now)
    .execute(&mut *db)
    .await?;
    let mut entry = audit::Entry::new(Method::Block);
    entry.outcome = outcome.into();
    entry.username = Some(username.to_owned());
    entry.card = Some(masked.to_owned());
    entry.card_ref = Some(serial_hash[..16].to_owned());
    audit::record(&mut *db, &entry, now).await
}

/// IT registers a card (`user card NAME --serial S [--laser-id L]`), as typed: the serial
/// 14 digits, the laser ID as [`LaserId::parse`] takes it. One transaction with its
/// audit rows. Answers the replaced card's masked serial.
pub async fn register_by_it(
    pool: &Pool,
    key: &CardKey,
    username: &str,
    serial: &str,
    laser: Option<&str>,
    now: i64,
) -> Result<Option<String>, CardError> {
    let serial = card_key::parse_serial(serial)?;
    let laser = laser.map(LaserId::parse).transpose()?;
    let mut connection = pool.acquire().await?;
    let mut tx = connection.begin().await?;
    let replaced = register(&mut tx, key, username, &serial, laser.as_ref(), now).await?;
    let mut entry = audit::Entry::new(Method::Register);
    entry.outcome = "OK".into();
    entry.username = Some(username.to_owned());
    entry.card = Some(card_key::masked_serial(&serial));
    entry.card_ref = Some(key.reference(&serial));
    audit::record(&mut *tx, &entry, now).await?;
    tx.commit().await?;
    Ok(replaced)
}

/// `user card NAME --block`: the registered card goes on the blocked list and the account
/// has none. Answers its masked serial.
pub async fn block(pool: &Pool, username: &str, now: i64) -> Result<String, CardError> {
    let mut connection = pool.acquire().await?;
    let mut tx = connection.begin().await?;
    let row =
        sqlx::query("SELECT card_serial_hash, card_serial_masked FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| CardError::NoUser(username.to_owned()))?;
    let hash: Option<String> = row.try_get("card_serial_hash")?;
    let Some(hash) = hash else {
        return Err(CardError::NoCard(username.to_owned()));
    };
    let masked: String = row
        .try_get::<Option<String>, _>("card_serial_masked")?
        .unwrap_or_default();
    block_hash(&mut tx, username, &hash, &masked, "OK", now).await?;
    sqlx::query(
        "UPDATE users SET card_serial_hash = NULL, card_laser_hash = NULL, \
         card_serial_masked = NULL, card_registered_at = NULL WHERE username = $1",
    )
    .bind(username)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(masked)
}
