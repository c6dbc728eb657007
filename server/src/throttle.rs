//! Rate limits on guessing passwords and codes, counted before they are checked, in the
//! database so that every server instance sees the same count. A right password or code
//! gives its try back.
//!
//! Guessing never locks a person out from elsewhere (SPEC §7c). Failures are counted in a
//! fixed window of [`WINDOW_SECS`] against three keys:
//! - the pair (account, address): [`PER_PAIR`] tries, then that address waits for the
//!   window's end, for that account only. The lockout a guesser earns is theirs: the
//!   owner at another address keeps their own tries.
//! - the address: [`PER_ADDRESS`] tries over all accounts (many accounts guessed from one
//!   address; several people may share it behind a NAT).
//! - the account, over all addresses: never a limit by itself, but once it reaches
//!   [`GUESSED_AFTER`] failures the account is *guessed at*: the attempt that gets there
//!   is reported once (an audit row the alerts find), and from then on each pair gets
//!   [`PER_PAIR_GUESSED`] tries, the next one only after a delay that grows with the
//!   pair's failures and with the account's ([`delay_step`]). A delayed attempt is refused
//!   with the time to wait, not slept on, so it costs the server nothing.
//!
//! Why a delay per address and no account-wide lock: an account-wide lock is what a
//! guesser would use to keep its owner out. An address with no failures on the account
//! always gets its first try at once, whatever the account's count, so the owner's own
//! right password and OTP from a fresh address log in during an attack (each right step
//! gives its try back, so a person who makes no mistake never waits), and the owner who
//! mistypes waits seconds to minutes, never the window. What the attack buys is one
//! immediate guess per new address, then slow ones; rotating addresses within an IPv6
//! /64 (what one host or customer is given) counts as one address.

use crate::db::Pool;
use std::net::IpAddr;

pub const WINDOW_SECS: i64 = 15 * 60;
/// Failures one address may have on one account in a window.
pub const PER_PAIR: i64 = 5;
/// The same while the account is guessed at from many addresses.
pub const PER_PAIR_GUESSED: i64 = 3;
/// Failures one address may have over all accounts in a window.
pub const PER_ADDRESS: i64 = 50;
/// Failures on one account, over all addresses, that make it one guessed at: three
/// addresses' worth, so that a person who mistypes on their own two devices is not.
pub const GUESSED_AFTER: i64 = 3 * PER_PAIR;
/// The delay per earlier failure of a pair, per [`GUESSED_AFTER`] failures of its account.
pub const DELAY_STEP_SECS: i64 = 30;
/// The most one step of delay grows to: a guessed account stays usable.
pub const MAX_DELAY_STEP_SECS: i64 = 5 * 60;

/// One attempt at an account's password or code, from an address.
#[derive(Debug, Clone, Copy)]
pub struct Guess<'a> {
    /// As typed: it need not be an account.
    pub account: &'a str,
    pub address: Option<IpAddr>,
}

impl<'a> Guess<'a> {
    pub fn new(account: &'a str, address: Option<IpAddr>) -> Guess<'a> {
        Guess { account, address }
    }

    fn account_key(&self) -> String {
        account_key(self.account)
    }

    fn pair_key(&self) -> String {
        format!(
            "{}{}",
            pair_prefix(self.account),
            address_text(self.address)
        )
    }

    fn address_key(&self) -> String {
        format!("addr:{}", address_text(self.address))
    }
}

fn account_key(account: &str) -> String {
    // Hashed: what was typed as a name may be someone's password.
    format!("user:{}", account_hash(account))
}

fn pair_prefix(account: &str) -> String {
    format!("pair:{}:", account_hash(account))
}

fn account_hash(account: &str) -> String {
    crate::sha256_hex(&account.to_lowercase())
}

/// The address as counted: an IPv4 address, or an IPv6 address's /64 (a host may pick
/// any address in its /64), `-` when unknown.
pub fn address_text(address: Option<IpAddr>) -> String {
    match address.map(|address| address.to_canonical()) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let network = u128::from(v6) & (u128::MAX << 64);
            format!("{}/64", std::net::Ipv6Addr::from(network))
        }
        None => "-".into(),
    }
}

/// What becomes of an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Check it. `guessed_from`: this attempt made the account one guessed at, from that
    /// many addresses: to be reported, once.
    Check { guessed_from: Option<i64> },
    /// Not checked: try again after this many seconds. `first`: the first refusal of this
    /// address (or of this address for this account) in its window, the one worth an audit
    /// row; the rest of a flood is only counted, so that it cannot grow the audit log.
    Refused { retry_after: i64, first: bool },
}

/// Counts one attempt before it is checked. Each count is one statement that adds and
/// reads back (or refuses), so N guesses sent in parallel get no more tries than N sent
/// one by one, also across instances. A right guess gives its try back ([`refund`]).
pub async fn attempt(pool: &Pool, guess: &Guess<'_>, now: i64) -> Result<Attempt, sqlx::Error> {
    let (failures, window_start) = count(pool, &guess.address_key(), now).await?;
    if failures > PER_ADDRESS {
        let first = failures == PER_ADDRESS + 1;
        return Ok(refused_until(window_start + WINDOW_SECS, now, first));
    }
    let account_failures = current(pool, &guess.account_key(), now).await?;
    let guessed = account_failures >= GUESSED_AFTER;
    let step = if guessed {
        delay_step(account_failures)
    } else {
        0
    };
    let limit = if guessed { PER_PAIR_GUESSED } else { PER_PAIR };
    match count_pair(pool, &guess.pair_key(), step, now).await? {
        Pair::Waiting { until } => return Ok(refused_until(until, now, false)),
        Pair::Counted {
            failures,
            window_start,
        } if failures > limit => {
            let first = failures == limit + 1;
            return Ok(refused_until(window_start + WINDOW_SECS, now, first));
        }
        Pair::Counted { .. } => {}
    }
    let (account_failures, _) = count(pool, &guess.account_key(), now).await?;
    let guessed_from = if account_failures == GUESSED_AFTER {
        Some(addresses(pool, guess.account, now).await?)
    } else {
        None
    };
    Ok(Attempt::Check { guessed_from })
}

/// The delay per earlier failure of a pair while its account has `account_failures`.
pub fn delay_step(account_failures: i64) -> i64 {
    (DELAY_STEP_SECS * (account_failures / GUESSED_AFTER)).clamp(0, MAX_DELAY_STEP_SECS)
}

fn refused_until(until: i64, now: i64, first: bool) -> Attempt {
    Attempt::Refused {
        retry_after: (until - now).max(1),
        first,
    }
}

/// Adds one to `key`'s failures (a new window when the last is over); answers them and
/// the window's start.
async fn count(pool: &Pool, key: &str, now: i64) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "INSERT INTO login_throttle (key, failures, window_start, last_at) VALUES ($1, 1, $2, $2) \
         ON CONFLICT (key) DO UPDATE SET \
         failures = CASE WHEN login_throttle.window_start <= $3 THEN 1 \
                         ELSE login_throttle.failures + 1 END, \
         window_start = CASE WHEN login_throttle.window_start <= $3 THEN $2 \
                             ELSE login_throttle.window_start END, \
         last_at = $2 \
         RETURNING failures, window_start",
    )
    .bind(key)
    .bind(now)
    .bind(now - WINDOW_SECS)
    .fetch_one(pool)
    .await
}

/// `key`'s failures in the current window.
async fn current(pool: &Pool, key: &str, now: i64) -> Result<i64, sqlx::Error> {
    let failures: Option<i64> = sqlx::query_scalar(
        "SELECT failures FROM login_throttle WHERE key = $1 AND window_start > $2",
    )
    .bind(key)
    .bind(now - WINDOW_SECS)
    .fetch_optional(pool)
    .await?;
    Ok(failures.unwrap_or(0))
}

enum Pair {
    Counted {
        failures: i64,
        window_start: i64,
    },
    /// Its last try was too recent: the next one from `until`.
    Waiting {
        until: i64,
    },
}

/// Counts a pair's attempt unless it comes within `step` seconds per earlier failure of
/// its last one. Both the wait and the count are in the statement's condition, so
/// parallel attempts cannot slip past the wait together.
async fn count_pair(pool: &Pool, key: &str, step: i64, now: i64) -> Result<Pair, sqlx::Error> {
    if let Some(counted) = count_pair_if_due(pool, key, step, now).await? {
        return Ok(counted);
    }
    // No row, or one from a window that is over: the pair's first try.
    let first: Option<(i64, i64)> = sqlx::query_as(
        "INSERT INTO login_throttle (key, failures, window_start, last_at) VALUES ($1, 1, $2, $2) \
         ON CONFLICT (key) DO UPDATE SET failures = 1, window_start = $2, last_at = $2 \
         WHERE login_throttle.window_start <= $3 \
         RETURNING failures, window_start",
    )
    .bind(key)
    .bind(now)
    .bind(now - WINDOW_SECS)
    .fetch_optional(pool)
    .await?;
    if let Some((failures, window_start)) = first {
        return Ok(Pair::Counted {
            failures,
            window_start,
        });
    }
    // A parallel attempt made the row in between: counted like any later one.
    if let Some(counted) = count_pair_if_due(pool, key, step, now).await? {
        return Ok(counted);
    }
    let until: Option<i64> =
        sqlx::query_scalar("SELECT last_at + $2 * failures FROM login_throttle WHERE key = $1")
            .bind(key)
            .bind(step)
            .fetch_optional(pool)
            .await?;
    Ok(Pair::Waiting {
        until: until.unwrap_or(now + 1),
    })
}

/// Counts the attempt on the pair's row of the current window, if it is not too soon.
async fn count_pair_if_due(
    pool: &Pool,
    key: &str,
    step: i64,
    now: i64,
) -> Result<Option<Pair>, sqlx::Error> {
    let counted: Option<(i64, i64)> = sqlx::query_as(
        "UPDATE login_throttle SET failures = failures + 1, last_at = $2 \
         WHERE key = $1 AND window_start > $3 AND last_at + $4 * failures <= $2 \
         RETURNING failures, window_start",
    )
    .bind(key)
    .bind(now)
    .bind(now - WINDOW_SECS)
    .bind(step)
    .fetch_optional(pool)
    .await?;
    Ok(counted.map(|(failures, window_start)| Pair::Counted {
        failures,
        window_start,
    }))
}

/// How many addresses have failures on `account` in the current window.
async fn addresses(pool: &Pool, account: &str, now: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM login_throttle \
         WHERE key LIKE $1 AND failures > 0 AND window_start > $2",
    )
    .bind(format!("{}%", pair_prefix(account)))
    .bind(now - WINDOW_SECS)
    .fetch_one(pool)
    .await
}

/// Gives a right password's or code's try back to every key, so that people behind one
/// NAT who log in do not use up its limit, and the owner who types right never waits.
/// The pair's earlier failures stay counted: knowing the password gives no more guesses
/// at the OTP.
pub async fn refund(pool: &Pool, guess: &Guess<'_>) -> Result<(), sqlx::Error> {
    for key in [guess.address_key(), guess.pair_key(), guess.account_key()] {
        sqlx::query(
            "UPDATE login_throttle SET failures = failures - 1 WHERE key = $1 AND failures > 0",
        )
        .bind(key)
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// Forgets the pair's failures once the account has logged in from its address
/// (password and OTP both right). The account's count stays: an attack from elsewhere
/// goes on being seen.
pub async fn succeeded(pool: &Pool, guess: &Guess<'_>) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_throttle WHERE key = $1")
        .bind(guess.pair_key())
        .execute(pool)
        .await?;
    Ok(())
}

/// An account's failures in the current window (the helpdesk's view of a person).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guessing {
    pub failures: i64,
    /// Addresses with failures on it.
    pub addresses: i64,
    /// Guessed at from many addresses: new addresses' further tries are delayed.
    pub delayed: bool,
    /// When the window ends (all is forgotten unless guessing goes on).
    pub until: i64,
}

/// The account's failures in the current window, if any.
pub async fn guessing(
    pool: &Pool,
    account: &str,
    now: i64,
) -> Result<Option<Guessing>, sqlx::Error> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT failures, window_start FROM login_throttle \
         WHERE key = $1 AND window_start > $2 AND failures > 0",
    )
    .bind(account_key(account))
    .bind(now - WINDOW_SECS)
    .fetch_optional(pool)
    .await?;
    let Some((failures, window_start)) = row else {
        return Ok(None);
    };
    Ok(Some(Guessing {
        failures,
        addresses: addresses(pool, account, now).await?,
        delayed: failures >= GUESSED_AFTER,
        until: window_start + WINDOW_SECS,
    }))
}

/// Forgets the account's failures, its own and every address's on it (the helpdesk
/// clears a lockout); the addresses' own counts stay, as they are other accounts' too.
/// Answers whether there were any.
pub async fn clear_account(pool: &Pool, account: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM login_throttle WHERE key = $1 OR key LIKE $2")
        .bind(account_key(account))
        .bind(format!("{}%", pair_prefix(account)))
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_count_by_their_64() {
        let one = |text: &str| address_text(Some(text.parse().unwrap()));
        assert_eq!(one("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(one("2001:db8:1:2:ffff:1:2:3"), "2001:db8:1:2::/64");
        assert_ne!(one("2001:db8:1:3::1"), one("2001:db8:1:2::1"));
        assert_eq!(one("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(one("192.0.2.7"), "192.0.2.7");
        assert_eq!(address_text(None), "-");
    }

    #[test]
    fn the_delay_grows_with_the_accounts_failures_up_to_a_bound() {
        assert_eq!(delay_step(GUESSED_AFTER), DELAY_STEP_SECS);
        assert_eq!(delay_step(2 * GUESSED_AFTER), 2 * DELAY_STEP_SECS);
        assert_eq!(delay_step(1000 * GUESSED_AFTER), MAX_DELAY_STEP_SECS);
    }
}
