//! What the helpdesk does to a person (SPEC §7b), from the console and the command line
//! alike: create an account, link or unlink its citizen ID, reset its OTP, give a password
//! reset code, clear a lockout, block its card; and find people ([`search`]) and see one
//! ([`state`]). Each action is one audit row naming who did it (`actor`: a console user,
//! or [`audit::CLI`]) and what (`detail`), never the person's name or citizen ID in full.

mod search;
mod state;

pub use search::{citizen_id, search, Found, PAGE_SIZE};
pub use state::{state, CardState, PersonState};

use crate::audit::{self, Method};
use crate::cards::{self, CardError};
use crate::db::Pool;
use crate::reset_codes::{self, ResetCodeError};
use crate::throttle;
use crate::users::{self, UserError};
use thaiid_protocol::CitizenId;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PersonError {
    #[error(transparent)]
    User(#[from] UserError),
    #[error(transparent)]
    Card(#[from] CardError),
    #[error(transparent)]
    ResetCode(#[from] ResetCodeError),
    #[error("the Thai name is empty: give the name the pages show")]
    NoName,
    #[error("no user {0:?}")]
    NoUser(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// A person as the helpdesk creates them (`user add`, the console's form).
#[derive(Debug, Clone, Default)]
pub struct NewPerson<'a> {
    pub username: &'a str,
    /// The name the pages show (in Thai).
    pub display_name: &'a str,
    pub citizen_id: Option<&'a str>,
    pub department: Option<&'a str>,
    pub email: Option<&'a str>,
}

/// Creates the account (user name, name and citizen ID checked by [`users::add`]).
pub async fn create(
    pool: &Pool,
    person: &NewPerson<'_>,
    actor: &str,
    now: i64,
) -> Result<(), PersonError> {
    if person.display_name.trim().is_empty() {
        return Err(PersonError::NoName);
    }
    users::add(
        pool,
        person.username,
        person.display_name.trim(),
        person.citizen_id,
        now,
    )
    .await?;
    let (department, email) = (person.department, person.email);
    if department.is_some() || email.is_some() {
        users::set_details(pool, person.username, None, department, email).await?;
    }
    let masked = person.citizen_id.and_then(masked);
    record(
        pool,
        Method::Person,
        person.username,
        "created",
        masked,
        actor,
        now,
    )
    .await?;
    Ok(())
}

/// Links the account to the card of `citizen_id`, or with `None` unlinks it.
pub async fn link(
    pool: &Pool,
    username: &str,
    citizen_id: Option<&str>,
    actor: &str,
    now: i64,
) -> Result<(), PersonError> {
    users::link(pool, username, citizen_id).await?;
    let detail = match citizen_id {
        Some(_) => "citizen ID linked",
        None => "citizen ID unlinked",
    };
    let masked = citizen_id.and_then(masked);
    record(pool, Method::Person, username, detail, masked, actor, now).await?;
    Ok(())
}

/// Clears the account's OTP: the person sets up a new one on `/me/otp` after a card
/// login, so the new secret is seen by their phone alone, never by the helpdesk (which
/// `user otp`, printing a new secret, would show to whoever runs it).
pub async fn reset_otp(
    pool: &Pool,
    username: &str,
    actor: &str,
    now: i64,
) -> Result<(), PersonError> {
    if !users::clear_otp(pool, username).await? {
        return Err(PersonError::NoUser(username.to_owned()));
    }
    record(
        pool,
        Method::Person,
        username,
        "otp reset",
        None,
        actor,
        now,
    )
    .await?;
    Ok(())
}

/// A password reset code for `username` ([`reset_codes::issue`]): shown once, to be read
/// to the person.
pub async fn give_reset_code(
    pool: &Pool,
    username: &str,
    actor: &str,
    now: i64,
) -> Result<String, PersonError> {
    let code = reset_codes::issue(pool, username, now).await?;
    let detail = "reset code given";
    record(pool, Method::ResetCode, username, detail, None, actor, now).await?;
    Ok(code)
}

/// Forgets the account's failed passwords and OTPs, so that its owner may log in at once.
pub async fn clear_lockout(
    pool: &Pool,
    username: &str,
    actor: &str,
    now: i64,
) -> Result<(), PersonError> {
    if users::find(pool, username).await?.is_none() {
        return Err(PersonError::NoUser(username.to_owned()));
    }
    throttle::clear_account(pool, username).await?;
    record(
        pool,
        Method::Person,
        username,
        "lockout cleared",
        None,
        actor,
        now,
    )
    .await?;
    Ok(())
}

/// Blocks the account's registered card ([`cards::block`], its audit row naming `actor`).
/// Answers its masked serial.
pub async fn block_card(
    pool: &Pool,
    username: &str,
    actor: &str,
    now: i64,
) -> Result<String, PersonError> {
    Ok(cards::block(pool, username, actor, now).await?)
}

fn masked(citizen_id: &str) -> Option<String> {
    CitizenId::parse(citizen_id).ok().map(|id| id.masked())
}

async fn record(
    pool: &Pool,
    method: Method,
    username: &str,
    detail: &str,
    citizen_id: Option<String>,
    actor: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut entry = audit::Entry::new(method);
    entry.set_outcome(Ok(()));
    entry.username = Some(username.to_owned());
    entry.citizen_id = citizen_id;
    entry.actor = Some(actor.to_owned());
    entry.detail = Some(detail.to_owned());
    audit::record(pool, &entry, now).await
}
