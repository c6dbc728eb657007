//! What an authenticated assertion spends, in the caller's transaction: its jti, its
//! nonce and the agent's counter (each statement spends at most once, even with several
//! servers on one database), then the card's checks and the ticket. A refusal is
//! committed with what it spent. The ticket says what it gives: a card registered without
//! its laser ID logs in as a first factor only; a registration on `/me` of a card that
//! gave no laser ID is refused, and the ticket carries that for the page to say why. A
//! card inserted at the helpdesk is registered to the person the nonce names
//! ([`super::desk`]).

use super::{Refusal, CLOCK_SKEW_SECS, TICKET_TTL_SECS};
use crate::amr::Amr;
use crate::audit;
use crate::card_key::{self, CardKey};
use crate::cards::{self, CardError, CardMatch, CardRefusal, LaserBinding};
use crate::challenges::{self, NonceRefusal, Purpose, Spent};
use crate::db::store::Store;
use crate::password_resets;
use crate::tickets::Grant;
use thaiid_protocol::api::Ticket;
use thaiid_protocol::assertion::Claims;
use thaiid_protocol::date::{rfc3339_utc, thai_date};

/// The outer error is the database's; the inner one the refusal. A ticket comes with what
/// it gives.
pub async fn spend<S: Store>(
    db: &mut S,
    card_key: &CardKey,
    claims: &Claims,
    now: i64,
    entry: &mut audit::Entry,
) -> Result<Result<(Ticket, Grant), Refusal>, sqlx::Error> {
    // The jti only while the agent is not revoked: a revocation holds at once, also for
    // a key the server has cached.
    let fresh = db
        .execute(
            "INSERT INTO assertion_ids (jti, agent_id, expires_at) SELECT $1, $2, $3 \
             WHERE EXISTS (SELECT 1 FROM agents WHERE id = $2 AND revoked_at IS NULL) \
             ON CONFLICT (jti) DO NOTHING",
            &[
                claims.jti.as_str().into(),
                claims.iss.as_str().into(),
                (claims.exp as i64 + CLOCK_SKEW_SECS as i64).into(),
            ],
        )
        .await?;
    if fresh != 1 {
        let agent = db
            .row(
                "SELECT revoked_at FROM agents WHERE id = $1",
                &[claims.iss.as_str().into()],
            )
            .await?;
        return Ok(Err(match agent {
            None => Refusal::UnknownAgent,
            Some(row) if row.int(0).is_some() => Refusal::RevokedAgent,
            Some(_) => Refusal::ReplayedJti,
        }));
    }
    let Spent {
        session,
        purpose,
        target,
    } = match challenges::spend(db, &claims.nonce, &claims.origin, now).await? {
        Ok(spent) => spent,
        Err(refusal) => return Ok(Err(nonce_refusal(refusal))),
    };
    match purpose {
        Purpose::RegisterCard | Purpose::DeskRegister => entry.method = audit::Method::Register,
        Purpose::Reset => entry.method = audit::Method::Forgot,
        Purpose::Login => {}
    }
    let counted = db
        .execute(
            "UPDATE agents SET last_ctr = $1, last_seen_at = $3 WHERE id = $2 AND last_ctr < $1",
            &[
                (claims.ctr as i64).into(),
                claims.iss.as_str().into(),
                now.into(),
            ],
        )
        .await?;
    if counted != 1 {
        return Ok(Err(Refusal::CounterNotIncreasing));
    }
    let card = &claims.card;
    if !card.citizen_id.check_digit_valid() {
        return Ok(Err(Refusal::InvalidCitizenId));
    }
    if card.expiry_date.is_past(thai_date(now)) {
        return Ok(Err(Refusal::CardExpired));
    }
    let mut registering = None;
    let account = match purpose {
        Purpose::Login => match cards::account_of_citizen(db, card.citizen_id.as_str()).await? {
            Some(account) => account,
            None => return Ok(Err(Refusal::NotLinked)),
        },
        Purpose::RegisterCard => {
            let Some((username, citizen_id, amr)) = registering_account(db, &session, now).await?
            else {
                return Ok(Err(Refusal::NeedsPasswordOtp));
            };
            registering = Some(amr);
            if citizen_id.as_deref() != Some(card.citizen_id.as_str()) {
                entry.username = Some(username);
                return Ok(Err(Refusal::CardNotAccounts));
            }
            match cards::account_card(db, &username).await? {
                Some(account) => account,
                None => return Ok(Err(Refusal::NeedsPasswordOtp)),
            }
        }
        // Forgot password: the card must be the registered card of the account the
        // session named, never another account's.
        Purpose::Reset => {
            let Some((username, citizen_id)) =
                password_resets::awaiting_card(db, &session, now).await?
            else {
                return Ok(Err(Refusal::NoReset));
            };
            if citizen_id.as_deref() != Some(card.citizen_id.as_str()) {
                entry.username = Some(username);
                return Ok(Err(Refusal::CardNotAccounts));
            }
            match cards::account_card(db, &username).await? {
                Some(account) => account,
                None => return Ok(Err(Refusal::NoReset)),
            }
        }
        // At the helpdesk: the person the nonce names, registered without a login.
        Purpose::DeskRegister => {
            let desk = super::desk::register(db, card_key, card, &session, target, now, entry);
            let (username, grant) = match desk.await? {
                Ok(registered) => registered,
                Err(refusal) => return Ok(Err(refusal)),
            };
            let ticket = issue_ticket(db, &session, &username, purpose, grant, now).await?;
            return Ok(Ok((ticket, grant)));
        }
    };
    entry.username = Some(account.username.clone());
    let judged = cards::check(
        db,
        card_key,
        &account,
        &card.card_serial,
        card.laser_id.as_ref(),
    )
    .await?;
    let grant = match (judged, registering) {
        (Err(CardRefusal::Blocked), _) => return Ok(Err(Refusal::CardBlocked)),
        (Err(CardRefusal::NotRegistered), None) => return Ok(Err(Refusal::CardNotRegistered)),
        (Ok(CardMatch::SerialOnly), None) => Grant::FirstFactor,
        (Ok(CardMatch::Laser), None) => Grant::Card,
        // A card + OTP session only adds the laser ID to the card it logged in with; a
        // new card takes the password and the OTP.
        (judged, Some(Amr::CardOtp)) if judged != Ok(CardMatch::SerialOnly) => {
            return Ok(Err(Refusal::NeedsPasswordOtp))
        }
        (_, Some(_)) => {
            if card_key::parse_serial(&card.card_serial).is_err() {
                return Ok(Err(Refusal::BadCardSerial));
            }
            match &card.laser_id {
                // Its front alone is what a blank card can carry: only IT, told the card
                // has no laser applet, registers a card without its laser ID.
                None => Grant::LaserIdMissing,
                Some(laser) => {
                    let binding = LaserBinding::Laser(laser);
                    match cards::register(
                        db,
                        card_key,
                        &account.username,
                        &card.card_serial,
                        binding,
                        now,
                    )
                    .await
                    {
                        Ok(_) => Grant::Card,
                        Err(CardError::Db(error)) => return Err(error),
                        // The account went away since it was read in this transaction.
                        Err(_) => return Ok(Err(Refusal::NeedsPasswordOtp)),
                    }
                }
            }
        }
    };
    let ticket = issue_ticket(db, &session, &account.username, purpose, grant, now).await?;
    Ok(Ok((ticket, grant)))
}

/// The ticket the session that asked for the nonce redeems: what the card gave `username`.
async fn issue_ticket<S: Store>(
    db: &mut S,
    session: &str,
    username: &str,
    purpose: Purpose,
    grant: Grant,
    now: i64,
) -> Result<Ticket, sqlx::Error> {
    let ticket = crate::random_id();
    let expires_at = now + TICKET_TTL_SECS;
    db.execute(
        "INSERT INTO tickets (ticket, session, username, expires_at, purpose, factor, refusal) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            ticket.as_str().into(),
            session.into(),
            username.into(),
            expires_at.into(),
            purpose.as_str().into(),
            grant.factor().into(),
            grant.refusal().into(),
        ],
    )
    .await?;
    Ok(Ticket {
        ticket,
        expires_at: rfc3339_utc(expires_at),
    })
}

fn nonce_refusal(refusal: NonceRefusal) -> Refusal {
    match refusal {
        NonceRefusal::Unknown => Refusal::UnknownNonce,
        NonceRefusal::Expired => Refusal::ExpiredNonce,
        NonceRefusal::Used => Refusal::UsedNonce,
        NonceRefusal::OriginMismatch => Refusal::OriginMismatch,
    }
}

/// The account (its linked citizen ID, and how the session logged in) the session
/// `id_hash` is logged in to with password + OTP or card + OTP, if it still is: only such
/// a session may register a card, so a card alone never registers one.
async fn registering_account<S: Store>(
    db: &mut S,
    id_hash: &str,
    now: i64,
) -> Result<Option<(String, Option<String>, Amr)>, sqlx::Error> {
    let row = db
        .row(
            "SELECT users.username, users.citizen_id, sessions.amr FROM sessions \
             JOIN users ON users.username = sessions.username \
             WHERE sessions.id_hash = $1 AND sessions.expires_at > $2 \
             AND sessions.amr IN ($3, $4)",
            &[
                id_hash.into(),
                now.into(),
                Amr::PasswordOtp.as_str().into(),
                Amr::CardOtp.as_str().into(),
            ],
        )
        .await?;
    Ok(row.and_then(|row| {
        let username = row.text(0)?.to_owned();
        let amr = Amr::parse(row.text(2)?)?;
        Some((username, row.text(1).map(str::to_owned), amr))
    }))
}
