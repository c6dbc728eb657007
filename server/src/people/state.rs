//! A person as the helpdesk sees them: the card registered or blocked, the OTP and its
//! step, the password, failed guesses at it, the recent logins and the systems they may use.

use crate::audit::{self, Logged};
use crate::cards::{self, Blocked, Registered};
use crate::db::Pool;
use crate::systems::{self, Permitted};
use crate::throttle;
use crate::users::{self, Account};

/// Logins the person's page lists.
const RECENT_LOGINS: i64 = 20;

/// Where the person's card stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardState {
    Registered(Registered),
    /// No card registered, and this one blocked last.
    Blocked(Blocked),
    None,
}

#[derive(Debug)]
pub struct PersonState {
    pub account: Account,
    pub card: CardState,
    /// Its passwords or codes failed in the throttle's window, if they did: the helpdesk
    /// may clear them ("unlock").
    pub guessing: Option<throttle::Guessing>,
    /// Newest first.
    pub logins: Vec<Logged>,
    pub systems: Vec<Permitted>,
}

impl PersonState {
    pub fn has_password(&self) -> bool {
        self.account.password_hash.is_some()
    }

    pub fn has_otp(&self) -> bool {
        self.account.totp_secret.is_some()
    }
}

/// The state of `username`, if there is such a person.
pub async fn state(
    pool: &Pool,
    username: &str,
    now: i64,
) -> Result<Option<PersonState>, sqlx::Error> {
    let Some(account) = users::find(pool, username).await? else {
        return Ok(None);
    };
    let card = match cards::registered(pool, username).await? {
        Some(registered) => CardState::Registered(registered),
        None => match cards::last_blocked(pool, username).await? {
            Some(blocked) => CardState::Blocked(blocked),
            None => CardState::None,
        },
    };
    Ok(Some(PersonState {
        card,
        guessing: throttle::guessing(pool, username, now).await?,
        logins: audit::of_user(pool, username, RECENT_LOGINS).await?,
        systems: systems::of_user(pool, username).await?,
        account,
    }))
}
