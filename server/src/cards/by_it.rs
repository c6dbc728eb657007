//! What IT does with an account's card at the helpdesk (`thaiid-server user card`):
//! register it, as typed, with its laser ID or declared without the laser applet; block
//! it; and list the cards still registered by their serial alone from before.

use super::{block_hash, register, CardError, LaserBinding, WithoutLaser};
use crate::audit::{self, Method};
use crate::card_key::{self, CardKey};
use crate::db::Pool;
use sqlx::{Acquire, Row};
use thaiid_protocol::laser::LaserId;

/// What IT typed of a card's laser ID: `--laser-id L` or `--no-laser-applet`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaserEntry<'a> {
    LaserId(&'a str),
    NoApplet,
}

impl<'a> LaserEntry<'a> {
    /// From the command line's two options: one of them, never neither, never both.
    pub fn from_options(laser_id: Option<&'a str>, no_applet: bool) -> Result<Self, CardError> {
        match (laser_id, no_applet) {
            (Some(laser), false) => Ok(LaserEntry::LaserId(laser)),
            (None, true) => Ok(LaserEntry::NoApplet),
            (None, false) => Err(CardError::LaserIdRequired),
            (Some(_), true) => Err(CardError::LaserIdAndNoApplet),
        }
    }

    /// As a card reads (`laser_id` of `thaiid-agent read --json`, a fixture's): its laser
    /// ID, or none where the card has no laser applet.
    pub fn as_read(laser_id: Option<&'a str>) -> Self {
        laser_id.map_or(LaserEntry::NoApplet, LaserEntry::LaserId)
    }
}

/// IT registers a card (`user card NAME --serial S --laser-id L | --no-laser-applet`), as
/// typed: the serial 14 digits, the laser ID as [`LaserId::parse`] takes it. One
/// transaction with its audit rows. Answers the replaced card's masked serial.
pub async fn register_by_it(
    pool: &Pool,
    key: &CardKey,
    username: &str,
    serial: &str,
    laser: LaserEntry<'_>,
    now: i64,
) -> Result<Option<String>, CardError> {
    let serial = card_key::parse_serial(serial)?;
    let laser = match laser {
        LaserEntry::LaserId(text) => Some(LaserId::parse(text)?),
        LaserEntry::NoApplet => None,
    };
    let binding = laser
        .as_ref()
        .map_or(LaserBinding::NoApplet, LaserBinding::Laser);
    let mut connection = pool.acquire().await?;
    let mut tx = connection.begin().await?;
    let replaced = register(&mut *tx, key, username, &serial, binding, now).await?;
    let mut entry = audit::Entry::new(Method::Register);
    entry.outcome = "OK".into();
    entry.username = Some(username.to_owned());
    entry.card = Some(card_key::masked_serial(&serial));
    entry.card_ref = Some(key.reference(&serial));
    audit::record(&mut *tx, &entry, now).await?;
    tx.commit().await?;
    Ok(replaced)
}

/// `user card NAME --block` and the helpdesk's console: the registered card goes on the
/// blocked list and the account has none, audited with who did it (`actor`). Answers its
/// masked serial.
pub async fn block(
    pool: &Pool,
    username: &str,
    actor: &str,
    now: i64,
) -> Result<String, CardError> {
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
    block_hash(&mut *tx, username, &hash, &masked, "OK", Some(actor), now).await?;
    sqlx::query(
        "UPDATE users SET card_serial_hash = NULL, card_laser_hash = NULL, \
         card_serial_masked = NULL, card_registered_at = NULL, card_without_laser = NULL \
         WHERE username = $1",
    )
    .bind(username)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(masked)
}

/// The accounts whose card is registered by its serial alone from before cards were bound
/// to their laser IDs, and when it was registered: who is left to register again
/// (`audit --alerts`).
pub async fn to_register_again(pool: &Pool) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query(
        "SELECT username, card_registered_at FROM users \
         WHERE card_without_laser = $1 AND card_serial_hash IS NOT NULL \
         AND card_laser_hash IS NULL ORDER BY username",
    )
    .bind(WithoutLaser::Legacy.as_str())
    .fetch_all(pool)
    .await?
    .iter()
    .map(|row| {
        Ok((
            row.try_get("username")?,
            row.try_get::<Option<i64>, _>("card_registered_at")?
                .unwrap_or_default(),
        ))
    })
    .collect()
}
