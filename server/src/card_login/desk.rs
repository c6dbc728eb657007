//! A card inserted at the helpdesk (SPEC §7b), in the card login's transaction: the
//! nonce was asked for by the console session of a helpdesk user (or admin) and names
//! the person; the card is registered to that person, and to nobody else, only if its
//! citizen ID is the one linked to them, and only with its laser ID.
//!
//! A card that gives no laser ID is refused (`LASER_ID_MISSING`, nothing stored): the
//! assertion does not say whether the card has no laser applet or the applet was not
//! read, and a blank card printed with someone's front gives none either (SPEC §7
//! "Registered cards"). IT registers an old card without the applet with
//! `thaiid-server user card NAME --serial S --no-laser-applet`, having looked at its back.
//!
//! As IT at the command line (`cards::register_by_it`), the helpdesk may register a
//! card the person had replaced or blocked: the person stands there with it. The card
//! registered before is replaced and blocked (`CARD_BLOCKED`) by [`cards::register`].

use super::Refusal;
use crate::card_key::{self, CardKey};
use crate::cards::{self, CardError, LaserBinding};
use crate::db::store::Store;
use crate::roles::Role;
use crate::tickets::Grant;
use thaiid_protocol::assertion::CardClaim;

/// The audit row's `detail` of a card registered at the helpdesk.
pub const DETAIL: &str = "inserted at the helpdesk";

/// Registers `card` to `target` for the console session `session` (the nonce's). Fills in
/// the audit row: who (the helpdesk user), for whom, how. Answers the person and what the
/// ticket gives, or the refusal.
pub(super) async fn register<S: Store>(
    db: &mut S,
    key: &CardKey,
    card: &CardClaim,
    session: &str,
    target: Option<String>,
    now: i64,
    entry: &mut crate::audit::Entry,
) -> Result<Result<(String, Grant), Refusal>, sqlx::Error> {
    let Some(actor) = registrar(db, session, now).await? else {
        return Ok(Err(Refusal::NoDesk));
    };
    entry.actor = Some(actor);
    entry.detail = Some(DETAIL.into());
    let Some(target) = target else {
        return Ok(Err(Refusal::NoDesk));
    };
    entry.username = Some(target.clone());
    let linked = db
        .row(
            "SELECT citizen_id FROM users WHERE username = $1",
            &[target.as_str().into()],
        )
        .await?;
    let citizen_id = linked.as_ref().and_then(|row| row.text(0));
    if citizen_id != Some(card.citizen_id.as_str()) {
        return Ok(Err(Refusal::CardNotAccounts));
    }
    if card_key::parse_serial(&card.card_serial).is_err() {
        return Ok(Err(Refusal::BadCardSerial));
    }
    let Some(laser) = &card.laser_id else {
        return Ok(Ok((target, Grant::LaserIdMissing)));
    };
    let binding = LaserBinding::Laser(laser);
    match cards::register(db, key, &target, &card.card_serial, binding, now).await {
        Ok(_) => Ok(Ok((target, Grant::Card))),
        Err(CardError::Db(error)) => Err(error),
        // The person went away since their citizen ID was read in this transaction.
        Err(_) => Ok(Err(Refusal::CardNotAccounts)),
    }
}

/// The helpdesk user (or admin) signed in with the console session `id_hash`, if it still
/// is and still holds the role: a revoked role or a signed-out session registers nothing.
async fn registrar<S: Store>(
    db: &mut S,
    id_hash: &str,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    let row = db
        .row(
            "SELECT sessions.username FROM sessions \
             JOIN roles ON roles.username = sessions.username \
             WHERE sessions.id_hash = $1 AND sessions.expires_at > $2 \
             AND roles.role IN ($3, $4)",
            &[
                id_hash.into(),
                now.into(),
                Role::Helpdesk.name().into(),
                Role::Admin.name().into(),
            ],
        )
        .await?;
    Ok(row.and_then(|row| row.text(0).map(str::to_owned)))
}
