//! Accounts: the name the pages show, the citizen ID linked for card login, the password
//! hash and the OTP secret (sealed with the server's [`OtpKey`]).

use crate::db::Pool;
use crate::otp::Step;
use crate::otp_key::OtpKey;
use crate::password_rules::{self, WeakPassword};
use crate::passwords::PasswordError;
use sqlx::Row;
use thaiid_protocol::CitizenId;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UserError {
    #[error("{0:?}: a user name is ASCII letters, digits, '.', '_' or '-'")]
    BadUsername(String),
    /// The value is not repeated: it may be somebody's citizen ID.
    #[error("the citizen ID is not 13 digits with a right check digit")]
    BadCitizenId,
    #[error("that user name or citizen ID is taken")]
    Taken,
    #[error("no user {0:?}")]
    NoUser(String),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Weak(#[from] WeakPassword),
    #[error(
        "the OTP key does not open the OTP secrets of {0} account(s): give this server the \
         key file they were sealed with (THAIID_SERVER_OTP_KEY_FILE)"
    )]
    OtpKeyMismatch(usize),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

fn checked_citizen_id(id: &str) -> Result<(), UserError> {
    if CitizenId::parse(id).is_ok_and(|id| id.check_digit_valid()) {
        Ok(())
    } else {
        Err(UserError::BadCitizenId)
    }
}

/// A user name is ASCII letters, digits, '.', '_' or '-' (the bulk import checks by it too).
pub fn check_username(username: &str) -> Result<(), UserError> {
    if username.is_empty()
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(UserError::BadUsername(username.to_owned()));
    }
    Ok(())
}

fn taken(error: sqlx::Error) -> UserError {
    match error {
        sqlx::Error::Database(e) if e.is_unique_violation() => UserError::Taken,
        other => UserError::Db(other),
    }
}

fn changed(done: sqlx::any::AnyQueryResult, username: &str) -> Result<(), UserError> {
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(UserError::NoUser(username.to_owned()))
    }
}

/// Adds an account; `citizen_id` (checked: 13 digits, right check digit) links it to a card.
pub async fn add(
    pool: &Pool,
    username: &str,
    display_name: &str,
    citizen_id: Option<&str>,
    now: i64,
) -> Result<(), UserError> {
    check_username(username)?;
    if let Some(id) = citizen_id {
        checked_citizen_id(id)?;
    }
    sqlx::query(
        "INSERT INTO users (username, display_name, citizen_id, created_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(username)
    .bind(display_name)
    .bind(citizen_id)
    .bind(now)
    .execute(pool)
    .await
    .map_err(taken)?;
    Ok(())
}

/// Links (or with `None` unlinks) the card of `citizen_id`.
pub async fn link(pool: &Pool, username: &str, citizen_id: Option<&str>) -> Result<(), UserError> {
    if let Some(id) = citizen_id {
        checked_citizen_id(id)?;
    }
    let done = sqlx::query("UPDATE users SET citizen_id = $1 WHERE username = $2")
        .bind(citizen_id)
        .bind(username)
        .execute(pool)
        .await
        .map_err(taken)?;
    changed(done, username)
}

/// Sets the account's password, if [`password_rules::check`] lets it (for IT's commands
/// and forgot password alike).
pub async fn set_password(pool: &Pool, username: &str, password: &str) -> Result<(), UserError> {
    let account = find(pool, username)
        .await?
        .ok_or_else(|| UserError::NoUser(username.to_owned()))?;
    password_rules::check(password, username, account.citizen_id.as_deref())?;
    let hash = crate::passwords::hash(password)?;
    let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE username = $2")
        .bind(hash)
        .bind(username)
        .execute(pool)
        .await?;
    changed(done, username)
}

/// Sets the account's first password, under the password rules: false, and nothing
/// changed, if it has one already (one UPDATE, so that two forms sent at once cannot both
/// set it).
pub async fn set_first_password(
    pool: &Pool,
    username: &str,
    password: &str,
) -> Result<bool, UserError> {
    let account = find(pool, username)
        .await?
        .ok_or_else(|| UserError::NoUser(username.to_owned()))?;
    password_rules::check(password, username, account.citizen_id.as_deref())?;
    let hash = crate::passwords::hash(password)?;
    let done = sqlx::query(
        "UPDATE users SET password_hash = $1 WHERE username = $2 AND password_hash IS NULL",
    )
    .bind(hash)
    .bind(username)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives the account a new OTP secret for the administration's 180-second app, stored
/// sealed with `key`, and answers it (base32); the old one stops working.
pub async fn enrol_otp(pool: &Pool, key: &OtpKey, username: &str) -> Result<String, UserError> {
    let secret = crate::otp::new_secret();
    set_otp(pool, key, username, &secret, Step::Slow).await?;
    Ok(secret)
}

/// Stores `secret` (sealed with `key`) as the account's OTP, for an app with `step`; the
/// old one stops working and the steps spent start again.
pub async fn set_otp(
    pool: &Pool,
    key: &OtpKey,
    username: &str,
    secret: &str,
    step: Step,
) -> Result<(), UserError> {
    let done = sqlx::query(
        "UPDATE users SET totp_secret = $1, totp_step = $2, totp_last_step = 0 \
         WHERE username = $3",
    )
    .bind(key.seal(secret, username))
    .bind(step.secs() as i64)
    .bind(username)
    .execute(pool)
    .await?;
    changed(done, username)
}

/// Clears the account's OTP (the helpdesk's reset): its owner sets up a new one on
/// `/me/otp`. Answers false when there is no such account.
pub async fn clear_otp(pool: &Pool, username: &str) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE users SET totp_secret = NULL, totp_last_step = 0 WHERE username = $1")
            .bind(username)
            .execute(pool)
            .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_details(
    pool: &Pool,
    username: &str,
    display_name: Option<&str>,
    department: Option<&str>,
    email: Option<&str>,
) -> Result<(), UserError> {
    for (column, value) in [
        ("display_name", display_name),
        ("department", department),
        ("email", email),
    ] {
        if let Some(value) = value {
            let sql = format!("UPDATE users SET {column} = $1 WHERE username = $2");
            let done = sqlx::query(&sql)
                .bind(value)
                .bind(username)
                .execute(pool)
                .await?;
            changed(done, username)?;
        }
    }
    Ok(())
}

/// An account as the pages and `user list` show it.
#[derive(Debug, Clone)]
pub struct Account {
    pub username: String,
    pub display_name: String,
    pub citizen_id: Option<String>,
    pub department: String,
    pub email: String,
    pub password_hash: Option<String>,
    /// As stored: sealed (open it with the server's [`OtpKey`]).
    pub totp_secret: Option<String>,
    /// The step of the account's OTP app.
    pub totp_step: Step,
}

impl Account {
    /// The linked citizen ID as staff may see it: `1-1037-xxxxx-xx-8`.
    pub fn citizen_id_masked(&self) -> Option<String> {
        let id = CitizenId::parse(self.citizen_id.as_deref()?).ok()?;
        Some(id.masked())
    }
}

/// The columns [`account`] reads (for the helpdesk's search too).
pub(crate) const COLUMNS: &str =
    "username, display_name, citizen_id, department, email, password_hash, \
     totp_secret, totp_step";

pub(crate) fn account(row: &sqlx::any::AnyRow) -> Result<Account, sqlx::Error> {
    Ok(Account {
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        citizen_id: row.try_get("citizen_id")?,
        department: row.try_get("department")?,
        email: row.try_get("email")?,
        password_hash: row.try_get("password_hash")?,
        totp_secret: row.try_get("totp_secret")?,
        totp_step: {
            let secs: i64 = row.try_get("totp_step")?;
            Step::from_secs(secs).ok_or_else(|| {
                sqlx::Error::Decode(format!("unknown OTP step {secs} in users").into())
            })?
        },
    })
}

pub async fn find(pool: &Pool, username: &str) -> Result<Option<Account>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE username = $1");
    sqlx::query(&sql)
        .bind(username)
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(account)
        .transpose()
}

pub async fn list(pool: &Pool) -> Result<Vec<Account>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM users ORDER BY username");
    sqlx::query(&sql)
        .fetch_all(pool)
        .await?
        .iter()
        .map(account)
        .collect()
}

/// Seals the OTP secrets stored before sealing, and checks that `key` opens every sealed
/// one, so that a server given the wrong key file says so at start instead of refusing
/// every OTP. Answers how many it sealed.
pub async fn seal_otp_secrets(pool: &Pool, key: &OtpKey) -> Result<usize, UserError> {
    let rows = sqlx::query("SELECT username, totp_secret FROM users WHERE totp_secret IS NOT NULL")
        .fetch_all(pool)
        .await?;
    let (mut sealed, mut unopened) = (0, 0);
    for row in rows {
        let username: String = row.try_get("username")?;
        let stored: String = row.try_get("totp_secret")?;
        if OtpKey::is_sealed(&stored) {
            unopened += usize::from(key.open(&stored, &username).is_err());
            continue;
        }
        // Only if nobody re-enrolled it meanwhile.
        sqlx::query("UPDATE users SET totp_secret = $1 WHERE username = $2 AND totp_secret = $3")
            .bind(key.seal(&stored, &username))
            .bind(&username)
            .bind(&stored)
            .execute(pool)
            .await?;
        sealed += 1;
    }
    if unopened > 0 {
        return Err(UserError::OtpKeyMismatch(unopened));
    }
    Ok(sealed)
}

/// Spends OTP step number `step` (counted in the account's own step) for `username`: true
/// once per step, and only for a step later than every step accepted before (one UPDATE,
/// safe across instances).
pub async fn spend_otp_step(pool: &Pool, username: &str, step: u64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE users SET totp_last_step = $1 WHERE username = $2 AND totp_last_step < $1",
    )
    .bind(step as i64)
    .bind(username)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}
