//! Rate limits on guessing: failed password and OTP attempts are counted per account and
//! per client address in a fixed window, in the database so that every server instance
//! sees the same count.

use crate::db::Pool;
use sqlx::Row;

pub const WINDOW_SECS: i64 = 15 * 60;
/// Failures an account may have in a window before it must wait.
pub const PER_ACCOUNT: i64 = 5;
/// Failures one address may have (several people behind one NAT) in a window.
pub const PER_ADDRESS: i64 = 50;

/// What is counted.
#[derive(Debug, Clone)]
pub enum Key<'a> {
    Account(&'a str),
    Address(&'a str),
}

impl Key<'_> {
    fn text(&self) -> String {
        match self {
            // Hashed: what was typed as a name may be someone's password.
            Key::Account(name) => format!("user:{}", crate::sha256_hex(&name.to_lowercase())),
            Key::Address(addr) => format!("addr:{addr}"),
        }
    }

    fn limit(&self) -> i64 {
        match self {
            Key::Account(_) => PER_ACCOUNT,
            Key::Address(_) => PER_ADDRESS,
        }
    }
}

/// Whether every key may try again now.
pub async fn allowed(pool: &Pool, keys: &[Key<'_>], now: i64) -> Result<bool, sqlx::Error> {
    for key in keys {
        let failures =
            sqlx::query("SELECT failures FROM login_throttle WHERE key = $1 AND window_start > $2")
                .bind(key.text())
                .bind(now - WINDOW_SECS)
                .fetch_optional(pool)
                .await?
                .map(|row| row.try_get::<i64, _>("failures"))
                .transpose()?
                .unwrap_or(0);
        if failures >= key.limit() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Counts one failure against every key (one statement each, safe across instances).
pub async fn failed(pool: &Pool, keys: &[Key<'_>], now: i64) -> Result<(), sqlx::Error> {
    for key in keys {
        sqlx::query(
            "INSERT INTO login_throttle (key, failures, window_start) VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET \
             failures = CASE WHEN login_throttle.window_start <= $3 THEN 1 \
                             ELSE login_throttle.failures + 1 END, \
             window_start = CASE WHEN login_throttle.window_start <= $3 THEN $2 \
                                 ELSE login_throttle.window_start END",
        )
        .bind(key.text())
        .bind(now)
        .bind(now - WINDOW_SECS)
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// Forgets an account's failures after it logged in.
pub async fn succeeded(pool: &Pool, account: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_throttle WHERE key = $1")
        .bind(Key::Account(account).text())
        .execute(pool)
        .await?;
    Ok(())
}
