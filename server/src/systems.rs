//! The systems of the administration, who may use which, what a sign-in to each needs,
//! and the requests people make to change that ([`requests`]), decided by the systems'
//! owners, who also manage who has [`access`].

pub mod access;
mod requests;

pub use requests::{
    decide, find_request, pending, request, requests, Change, Request, Scope, Verdict,
    MAX_REASON_CHARS,
};

use crate::amr::Level;
use crate::db::Pool;
use sqlx::Row;
use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SystemError {
    #[error("{0:?}: a system code is letters and digits, like 01010101")]
    BadCode(String),
    #[error("a system needs a name of 1 to {MAX_NAME_CHARS} characters")]
    NoName,
    #[error("{0:?}: a system's URL is https://… (or http://…), or left empty")]
    BadUrl(String),
    #[error("no user {0:?}")]
    NoUser(String),
    #[error("no system {0:?}")]
    NoSystem(String),
    #[error("a reason of 1 to {MAX_REASON_CHARS} characters is needed")]
    BadReason,
    #[error("no pending request {0:?}")]
    NoPendingRequest(String),
    #[error("request {0:?} was decided meanwhile")]
    DecidedMeanwhile(String),
    #[error("an account name in a system is 1 to {MAX_ACCOUNT_NAME_CHARS} printable characters")]
    BadAccountName,
    #[error("{0} has no permission for {1}")]
    NoPermission(String, String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// The longest name and code a system may have.
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_CODE_CHARS: usize = 32;

/// The longest account name a permission may carry for its system.
pub const MAX_ACCOUNT_NAME_CHARS: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct System {
    /// Eight digits, e.g. 01010101.
    pub code: String,
    pub name: String,
    /// Where the system lives; empty when unknown.
    pub url: String,
}

fn system(row: &sqlx::any::AnyRow) -> Result<System, sqlx::Error> {
    Ok(System {
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        url: row.try_get("url")?,
    })
}

/// A system a person may use, and their own account name in it (SPEC §7 "Per-system user
/// names"), when the permission carries one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permitted {
    pub system: System,
    pub account_name: Option<String>,
}

/// Adds a system, or renames it when the code exists.
pub async fn put(pool: &Pool, code: &str, name: &str, url: &str) -> Result<(), SystemError> {
    if code.is_empty()
        || code.len() > MAX_CODE_CHARS
        || !code.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(SystemError::BadCode(code.to_owned()));
    }
    if name.trim().is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(SystemError::NoName);
    }
    let web = |url: url::Url| matches!(url.scheme(), "https" | "http") && url.has_host();
    if !url.is_empty() && !url::Url::parse(url).is_ok_and(web) {
        return Err(SystemError::BadUrl(url.to_owned()));
    }
    sqlx::query(
        "INSERT INTO systems (code, name, url) VALUES ($1, $2, $3) \
         ON CONFLICT (code) DO UPDATE SET name = $2, url = $3",
    )
    .bind(code)
    .bind(name.trim())
    .bind(url)
    .execute(pool)
    .await?;
    Ok(())
}

/// What a sign-in to system `code` needs; `None`: no such system.
pub async fn required_level(pool: &Pool, code: &str) -> Result<Option<Level>, sqlx::Error> {
    let stored: Option<String> =
        sqlx::query_scalar("SELECT required_level FROM systems WHERE code = $1")
            .bind(code)
            .fetch_optional(pool)
            .await?;
    stored.as_deref().map(stored_level).transpose()
}

/// A stored level. One this version does not know is the database's fault, never a
/// reason to ask for less.
fn stored_level(text: &str) -> Result<Level, sqlx::Error> {
    Level::parse(text).map_err(|unknown| sqlx::Error::Decode(unknown.into()))
}

/// From now on, a sign-in to system `code` needs `level`.
pub async fn require(pool: &Pool, code: &str, level: Level) -> Result<(), SystemError> {
    let done = sqlx::query("UPDATE systems SET required_level = $1 WHERE code = $2")
        .bind(level.as_str())
        .bind(code)
        .execute(pool)
        .await?;
    if done.rows_affected() != 1 {
        return Err(SystemError::NoSystem(code.to_owned()));
    }
    Ok(())
}

/// Every system's required level, by code.
pub async fn required_levels(pool: &Pool) -> Result<HashMap<String, Level>, sqlx::Error> {
    sqlx::query("SELECT code, required_level FROM systems")
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| {
            let level: String = row.try_get("required_level")?;
            Ok((row.try_get("code")?, stored_level(&level)?))
        })
        .collect()
}

pub async fn all(pool: &Pool) -> Result<Vec<System>, sqlx::Error> {
    sqlx::query("SELECT code, name, url FROM systems ORDER BY code")
        .fetch_all(pool)
        .await?
        .iter()
        .map(system)
        .collect()
}

/// The systems `username` may use, by code, with their account name in each.
pub async fn of_user(pool: &Pool, username: &str) -> Result<Vec<Permitted>, sqlx::Error> {
    sqlx::query(
        "SELECT s.code, s.name, s.url, p.account_name FROM systems s \
         JOIN permissions p ON p.system_code = s.code \
         WHERE p.username = $1 ORDER BY s.code",
    )
    .bind(username)
    .fetch_all(pool)
    .await?
    .iter()
    .map(|row| {
        Ok(Permitted {
            system: system(row)?,
            account_name: row.try_get("account_name")?,
        })
    })
    .collect()
}

/// The systems whose code, name or the person's account name in it contains every word
/// of `query` (case-insensitive).
pub fn search<'a>(systems: &'a [Permitted], query: &str) -> Vec<&'a Permitted> {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    systems
        .iter()
        .filter(|permitted| {
            let system = &permitted.system;
            let name = permitted.account_name.as_deref().unwrap_or_default();
            let text = format!("{} {} {name}", system.code, system.name).to_lowercase();
            words.iter().all(|word| text.contains(word.as_str()))
        })
        .collect()
}

/// Sets `username`'s own account name in system `code` (the permission must exist), or
/// with `None` clears it: that system then gets the SSO's user name.
pub async fn set_account_name(
    pool: &Pool,
    username: &str,
    code: &str,
    account_name: Option<&str>,
) -> Result<(), SystemError> {
    let account_name = account_name.map(str::trim);
    if account_name.is_some_and(|name| {
        name.is_empty()
            || name.chars().count() > MAX_ACCOUNT_NAME_CHARS
            || name.chars().any(char::is_control)
    }) {
        return Err(SystemError::BadAccountName);
    }
    let done = sqlx::query(
        "UPDATE permissions SET account_name = $1 WHERE username = $2 AND system_code = $3",
    )
    .bind(account_name)
    .bind(username)
    .bind(code)
    .execute(pool)
    .await?;
    if done.rows_affected() != 1 {
        return Err(SystemError::NoPermission(
            username.to_owned(),
            code.to_owned(),
        ));
    }
    Ok(())
}

/// The name system `code` knows `username` by: their account name in it, else the SSO's
/// user name.
pub async fn name_in(pool: &Pool, username: &str, code: &str) -> Result<String, sqlx::Error> {
    let named: Option<Option<String>> = sqlx::query_scalar(
        "SELECT account_name FROM permissions WHERE username = $1 AND system_code = $2",
    )
    .bind(username)
    .bind(code)
    .fetch_optional(pool)
    .await?;
    Ok(named.flatten().unwrap_or_else(|| username.to_owned()))
}

/// Lets `username` use `code`; errors name what does not exist.
pub async fn grant(pool: &Pool, username: &str, code: &str) -> Result<(), SystemError> {
    if !exists(
        pool,
        "SELECT 1 AS one FROM users WHERE username = $1",
        username,
    )
    .await?
    {
        return Err(SystemError::NoUser(username.to_owned()));
    }
    if !exists(pool, "SELECT 1 AS one FROM systems WHERE code = $1", code).await? {
        return Err(SystemError::NoSystem(code.to_owned()));
    }
    sqlx::query(
        "INSERT INTO permissions (username, system_code) VALUES ($1, $2) \
         ON CONFLICT (username, system_code) DO NOTHING",
    )
    .bind(username)
    .bind(code)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn revoke(pool: &Pool, username: &str, code: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM permissions WHERE username = $1 AND system_code = $2")
        .bind(username)
        .bind(code)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Does `sql` (one `$1`) find a row for `key`?
async fn exists(pool: &Pool, sql: &str, key: &str) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(sql)
        .bind(key)
        .fetch_optional(pool)
        .await?
        .is_some())
}
