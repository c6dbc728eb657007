//! Rate limits on guessing: password and OTP attempts are counted per account and per
//! client address in a fixed window, before they are checked, in the database so that
//! every server instance sees the same count. Successes give their try back.

use crate::db::Pool;

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

/// Counts one attempt against every key, before it is checked, and answers whether
/// every key was still under its limit. Each count is one statement that adds and reads
/// back, so N guesses sent in parallel get at most the limit's tries, also across
/// instances. A success gives its try back ([`succeeded`]).
pub async fn attempt(pool: &Pool, keys: &[Key<'_>], now: i64) -> Result<bool, sqlx::Error> {
    let mut allowed = true;
    for key in keys {
        let attempts: i64 = sqlx::query_scalar(
            "INSERT INTO login_throttle (key, failures, window_start) VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET \
             failures = CASE WHEN login_throttle.window_start <= $3 THEN 1 \
                             ELSE login_throttle.failures + 1 END, \
             window_start = CASE WHEN login_throttle.window_start <= $3 THEN $2 \
                                 ELSE login_throttle.window_start END \
             RETURNING failures",
        )
        .bind(key.text())
        .bind(now)
        .bind(now - WINDOW_SECS)
        .fetch_one(pool)
        .await?;
        allowed &= attempts <= key.limit();
    }
    Ok(allowed)
}

/// Gives a right password's or code's try back to every key, so that people behind one
/// NAT who log in do not use up its limit. The account's earlier failures stay counted.
pub async fn refund(pool: &Pool, keys: &[Key<'_>]) -> Result<(), sqlx::Error> {
    for key in keys {
        sqlx::query(
            "UPDATE login_throttle SET failures = failures - 1 WHERE key = $1 AND failures > 0",
        )
        .bind(key.text())
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// Forgets an account's failures once it has logged in (password and OTP both right).
pub async fn succeeded(pool: &Pool, account: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_throttle WHERE key = $1")
        .bind(Key::Account(account).text())
        .execute(pool)
        .await?;
    Ok(())
}

/// Whether the account has used up its failures in the current window, so that its next
/// password or OTP is refused whoever types it (the helpdesk's view of a person).
pub async fn locked_out(pool: &Pool, account: &str, now: i64) -> Result<bool, sqlx::Error> {
    let failures: Option<i64> = sqlx::query_scalar(
        "SELECT failures FROM login_throttle WHERE key = $1 AND window_start > $2",
    )
    .bind(Key::Account(account).text())
    .bind(now - WINDOW_SECS)
    .fetch_optional(pool)
    .await?;
    Ok(failures.is_some_and(|failures| failures >= PER_ACCOUNT))
}

/// Forgets the account's failures (the helpdesk clears a lockout); the addresses' counts
/// stay, as they are other people's too. Answers whether there were any.
pub async fn clear_account(pool: &Pool, account: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM login_throttle WHERE key = $1")
        .bind(Key::Account(account).text())
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}
