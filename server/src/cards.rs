//! Registered cards (SPEC §7): an account's card is its serial and, where registered, its
//! laser ID, stored as keyed hashes ([`CardKey`]). A card login must present them; a card
//! the account registered before is blocked. Registering a card replaces the old one,
//! which goes on the account's blocked list, so a lost card stops working the moment its
//! owner registers the new one.

use crate::audit::{self, Method};
use crate::card_key::{self, CardKey, SerialError};
use crate::db::store::{Row as StoreRow, Store};
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

/// An account and the keyed hashes of its registered card, as a card login reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountCard {
    pub username: String,
    pub serial_hash: Option<String>,
    pub laser_hash: Option<String>,
}

impl AccountCard {
    fn from_row(row: StoreRow) -> Option<AccountCard> {
        Some(AccountCard {
            username: row.text(0)?.to_owned(),
            serial_hash: row.text(1).map(str::to_owned),
            laser_hash: row.text(2).map(str::to_owned),
        })
    }
}

/// The account `citizen_id` is linked to, with its card.
pub async fn account_of_citizen<S: Store>(
    db: &mut S,
    citizen_id: &str,
) -> Result<Option<AccountCard>, sqlx::Error> {
    let row = db
        .row(
            "SELECT username, card_serial_hash, card_laser_hash FROM users WHERE citizen_id = $1",
            &[citizen_id.into()],
        )
        .await?;
    Ok(row.and_then(AccountCard::from_row))
}

/// The account `username`, with its card.
pub async fn account_card<S: Store>(
    db: &mut S,
    username: &str,
) -> Result<Option<AccountCard>, sqlx::Error> {
    let row = db
        .row(
            "SELECT username, card_serial_hash, card_laser_hash FROM users WHERE username = $1",
            &[username.into()],
        )
        .await?;
    Ok(row.and_then(AccountCard::from_row))
}

/// Does the card (`serial`, `laser`) log in to `account`? A card the account replaced or
/// blocked is named as such, not as merely unknown. The registered card itself is never
/// on the blocked list (registering takes it off, blocking unregisters it), so the list is
/// read only for another card.
pub async fn check<S: Store>(
    db: &mut S,
    key: &CardKey,
    account: &AccountCard,
    serial: &str,
    laser: Option<&LaserId>,
) -> Result<Result<(), CardRefusal>, sqlx::Error> {
    let serial_hash = key.serial(serial);
    let serial_matches = account
        .serial_hash
        .as_deref()
        .is_some_and(|stored| crate::same_secret(stored, &serial_hash));
    let laser_matches = match &account.laser_hash {
        None => true,
        Some(stored) => laser.is_some_and(|laser| crate::same_secret(stored, &key.laser(laser))),
    };
    if serial_matches && laser_matches {
        return Ok(Ok(()));
    }
    let blocked = db
        .row(
            "SELECT blocked_at FROM blocked_cards WHERE username = $1 AND serial_hash = $2",
            &[
                account.username.as_str().into(),
                serial_hash.as_str().into(),
            ],
        )
        .await?;
    Ok(Err(if blocked.is_some() {
        CardRefusal::Blocked
    } else {
        CardRefusal::NotRegistered
    }))
}

/// Registers the card (`serial`, checked by the caller; `laser` where known) as
/// `username`'s, inside the caller's transaction. The card registered before, if another,
/// goes on the blocked list (its audit row is written here); a card registered again is
/// taken off it. Answers the blocked card's masked serial.
pub async fn register<S: Store>(
    db: &mut S,
    key: &CardKey,
    username: &str,
    serial: &str,
    laser: Option<&LaserId>,
    now: i64,
) -> Result<Option<String>, CardError> {
    let row = db
        .row(
            "SELECT card_serial_hash, card_serial_masked FROM users WHERE username = $1",
            &[username.into()],
        )
        .await?
        .ok_or_else(|| CardError::NoUser(username.to_owned()))?;
    let old_hash = row.text(0).map(str::to_owned);
    let old_masked = row.text(1).map(str::to_owned);
    let serial_hash = key.serial(serial);
    let mut replaced = None;
    if let Some(old_hash) = old_hash.filter(|old| *old != serial_hash) {
        let masked = old_masked.unwrap_or_default();
        block_hash(db, username, &old_hash, &masked, "REPLACED", now).await?;
        replaced = Some(masked);
    }
    db.execute(
        "DELETE FROM blocked_cards WHERE username = $1 AND serial_hash = $2",
        &[username.into(), serial_hash.as_str().into()],
    )
    .await?;
    let laser_hash = laser.map(|laser| key.laser(laser));
    let masked = card_key::masked_serial(serial);
    db.execute(
        "UPDATE users SET card_serial_hash = $1, card_laser_hash = $2, \
         card_serial_masked = $3, card_registered_at = $4 WHERE username = $5",
        &[
            serial_hash.as_str().into(),
            laser_hash.as_deref().into(),
            masked.as_str().into(),
            now.into(),
            username.into(),
        ],
    )
    .await?;
    Ok(replaced)
}

async fn block_hash<S: Store>(
    db: &mut S,
    username: &str,
    serial_hash: &str,
    masked: &str,
    outcome: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    db.execute(
        "INSERT INTO blocked_cards (username, serial_hash, serial_masked, blocked_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (username, serial_hash) DO NOTHING",
        &[
            username.into(),
            serial_hash.into(),
            masked.into(),
            now.into(),
        ],
    )
    .await?;
    let mut entry = audit::Entry::new(Method::Block);
    entry.outcome = outcome.into();
    entry.username = Some(username.to_owned());
    entry.card = Some(masked.to_owned());
    entry.card_ref = Some(serial_hash[..16].to_owned());
    audit::write(db, &entry, now).await
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
    let replaced = register(&mut *tx, key, username, &serial, laser.as_ref(), now).await?;
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
    block_hash(&mut *tx, username, &hash, &masked, "OK", now).await?;
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
