//! Registered cards (SPEC §7): an account's card is its serial and, where registered, its
//! laser ID, stored as keyed hashes ([`CardKey`]). A card login must present them; a card
//! the account registered before is blocked. Registering a card replaces the old one,
//! which goes on the account's blocked list, so a lost card stops working the moment its
//! owner registers the new one.
//!
//! Everything on a card's front can be printed on a blank programmable card; the laser ID
//! is not on its front. So a card is registered with its laser ID whenever it has the
//! laser applet, and a card registered without one is a first factor only
//! ([`CardMatch::SerialOnly`]): the OTP follows its every login.

mod blocked;
mod by_it;

pub use blocked::{last_blocked, Blocked};
pub use by_it::{block, register_by_it, to_register_again, LaserEntry};

use crate::audit::{self, Method};
use crate::card_key::{self, CardKey, SerialError};
use crate::db::store::{Row as StoreRow, Store};
use crate::db::Pool;
use sqlx::Row;
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
    #[error(
        "a card with the laser applet is registered with its laser ID: give --laser-id \
         (the number on the card's back, `laser_id` in `thaiid-agent read --json`); only for \
         an old card without the laser applet (`laser_id` null), say --no-laser-applet: \
         then every card login of it asks for the OTP too"
    )]
    LaserIdRequired,
    #[error("--laser-id and --no-laser-applet contradict each other: give one")]
    LaserIdAndNoApplet,
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

/// How a registered card's login counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardMatch {
    /// Serial and laser ID: the card alone logs in.
    Laser,
    /// The registration has no laser ID: a first factor only, the OTP must follow.
    SerialOnly,
}

/// Why a registered card has no laser ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithoutLaser {
    /// IT said the card has no laser applet (`--no-laser-applet`): nobody is asked more.
    NoApplet,
    /// Registered by its serial alone before cards were bound to their laser IDs: its
    /// holder is asked to register it again.
    Legacy,
}

impl WithoutLaser {
    pub fn as_str(self) -> &'static str {
        match self {
            WithoutLaser::NoApplet => "no-applet",
            WithoutLaser::Legacy => "legacy",
        }
    }

    fn parse(text: &str) -> Option<WithoutLaser> {
        match text {
            "no-applet" => Some(WithoutLaser::NoApplet),
            "legacy" => Some(WithoutLaser::Legacy),
            _ => None,
        }
    }
}

/// What a card is registered with besides its serial.
#[derive(Debug, Clone, Copy)]
pub enum LaserBinding<'a> {
    Laser(&'a LaserId),
    /// IT said the card has no laser applet.
    NoApplet,
}

/// The registered card as people may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// `xxxxxxxxxx5678`.
    pub serial_masked: String,
    /// Is the laser ID registered too?
    pub laser: bool,
    /// Why not, where it is not.
    pub without_laser: Option<WithoutLaser>,
    pub registered_at: i64,
}

impl Registered {
    /// A legacy registration, whose holder is asked to register the card again.
    pub fn to_register_again(&self) -> bool {
        !self.laser && self.without_laser != Some(WithoutLaser::NoApplet)
    }
}

/// The card an account registered, if any.
pub async fn registered(pool: &Pool, username: &str) -> Result<Option<Registered>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT card_serial_masked, card_laser_hash, card_without_laser, card_registered_at \
         FROM users \
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
            without_laser: row
                .try_get::<Option<String>, _>("card_without_laser")?
                .as_deref()
                .and_then(WithoutLaser::parse),
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

/// Does the card (`serial`, `laser`) log in to `account`, and alone or as a first factor?
/// A registration without a laser ID makes any card with its serial a first factor only,
/// whatever laser ID it presents. A card the account replaced or blocked is named as
/// such, not as merely unknown. The registered card itself is never
/// on the blocked list (registering takes it off, blocking unregisters it), so the list is
/// read only for another card.
pub async fn check<S: Store>(
    db: &mut S,
    key: &CardKey,
    account: &AccountCard,
    serial: &str,
    laser: Option<&LaserId>,
) -> Result<Result<CardMatch, CardRefusal>, sqlx::Error> {
    let serial_hash = key.serial(serial);
    let serial_matches = account
        .serial_hash
        .as_deref()
        .is_some_and(|stored| crate::same_secret(stored, &serial_hash));
    let matched = match &account.laser_hash {
        None => Some(CardMatch::SerialOnly),
        Some(stored) => laser
            .is_some_and(|laser| crate::same_secret(stored, &key.laser(laser)))
            .then_some(CardMatch::Laser),
    };
    if let Some(matched) = matched.filter(|_| serial_matches) {
        return Ok(Ok(matched));
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

/// Registers the card (`serial`, checked by the caller; with its laser ID, or declared
/// without the applet) as `username`'s, inside the caller's transaction. The card registered before, if another,
/// goes on the blocked list (its audit row is written here); a card registered again is
/// taken off it. Answers the blocked card's masked serial.
pub async fn register<S: Store>(
    db: &mut S,
    key: &CardKey,
    username: &str,
    serial: &str,
    laser: LaserBinding<'_>,
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
        block_hash(db, username, &old_hash, &masked, "REPLACED", None, now).await?;
        replaced = Some(masked);
    }
    db.execute(
        "DELETE FROM blocked_cards WHERE username = $1 AND serial_hash = $2",
        &[username.into(), serial_hash.as_str().into()],
    )
    .await?;
    let (laser_hash, without_laser) = match laser {
        LaserBinding::Laser(laser) => (Some(key.laser(laser)), None),
        LaserBinding::NoApplet => (None, Some(WithoutLaser::NoApplet.as_str())),
    };
    let masked = card_key::masked_serial(serial);
    db.execute(
        "UPDATE users SET card_serial_hash = $1, card_laser_hash = $2, \
         card_serial_masked = $3, card_registered_at = $4, card_without_laser = $5 \
         WHERE username = $6",
        &[
            serial_hash.as_str().into(),
            laser_hash.as_deref().into(),
            masked.as_str().into(),
            now.into(),
            without_laser.into(),
            username.into(),
        ],
    )
    .await?;
    Ok(replaced)
}

/// Puts a card on the account's blocked list, with its audit row: `actor` is who blocked
/// it (none when a newer card replaced it).
async fn block_hash<S: Store>(
    db: &mut S,
    username: &str,
    serial_hash: &str,
    masked: &str,
    outcome: &str,
    actor: Option<&str>,
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
    entry.actor = actor.map(str::to_owned);
    entry.detail = actor.map(|_| "card blocked".to_owned());
    audit::write(db, &entry, now).await
}
