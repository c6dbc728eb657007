//! Deletes what has expired: browser sessions, nonces, tickets, seen assertion ids,
//! rate-limit windows, forgot password's progress and reset codes, and the OpenID Connect
//! provider's codes and tokens, so that the tables hold hours of logins, not years. Nonces,
//! tickets and assertion ids are kept for [`KEEP_EXPIRED_SECS`] after they expire, so
//! that a late attempt is still told "expired" or "used" rather than "unknown"; a
//! replayed assertion whose id is gone is refused anyway, as expired.
//!
//! The audit log is kept [`DEFAULT_AUDIT_DAYS`] (`THAIID_SERVER_AUDIT_DAYS`): older rows
//! are deleted [`AUDIT_BATCH`] at a time, each batch its own statement, so that no sweep
//! holds the table (SQLite: the whole database) for long.

use crate::db::Pool;
use crate::throttle::WINDOW_SECS;
use std::time::Duration;

/// How long expired one-time values are kept to name the refusal precisely.
pub const KEEP_EXPIRED_SECS: i64 = 60 * 60;
/// How often `serve` sweeps.
pub const EVERY: Duration = Duration::from_secs(5 * 60);
/// How many days the audit log keeps a row, unless `THAIID_SERVER_AUDIT_DAYS` says.
pub const DEFAULT_AUDIT_DAYS: u32 = 400;
/// The audit rows one statement deletes at most.
pub const AUDIT_BATCH: i64 = 5000;

/// The rows one sweep deleted, per table.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub sessions: u64,
    pub nonces: u64,
    pub tickets: u64,
    pub assertion_ids: u64,
    pub throttle_windows: u64,
    /// OpenID Connect codes, access tokens, authorization requests awaiting a login and
    /// the logins made for them.
    pub oidc: u64,
    /// Forgot password: sessions' progress, and helpdesk reset codes.
    pub resets: u64,
}

impl Swept {
    pub fn total(&self) -> u64 {
        self.sessions
            + self.nonces
            + self.tickets
            + self.assertion_ids
            + self.throttle_windows
            + self.oidc
            + self.resets
    }
}

/// One sweep at `now`.
pub async fn expired(pool: &Pool, now: i64) -> Result<Swept, sqlx::Error> {
    let delete = |sql: &'static str, before: i64| async move {
        sqlx::query(sql)
            .bind(before)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
    };
    let kept_since = now - KEEP_EXPIRED_SECS;
    Ok(Swept {
        sessions: delete("DELETE FROM sessions WHERE expires_at <= $1", now).await?,
        nonces: delete("DELETE FROM nonces WHERE expires_at <= $1", kept_since).await?,
        tickets: delete("DELETE FROM tickets WHERE expires_at <= $1", kept_since).await?,
        assertion_ids: delete(
            "DELETE FROM assertion_ids WHERE expires_at <= $1",
            kept_since,
        )
        .await?,
        throttle_windows: delete(
            "DELETE FROM login_throttle WHERE window_start <= $1",
            now - WINDOW_SECS,
        )
        .await?,
        // Codes are kept like tickets, so that a late reuse is still told "used".
        oidc: delete("DELETE FROM oidc_codes WHERE expires_at <= $1", kept_since).await?
            + delete("DELETE FROM oidc_access_tokens WHERE expires_at <= $1", now).await?
            + delete("DELETE FROM oidc_resumes WHERE expires_at <= $1", now).await?
            + delete("DELETE FROM oidc_fresh_logins WHERE expires_at <= $1", now).await?,
        resets: delete("DELETE FROM password_resets WHERE expires_at <= $1", now).await?
            + delete("DELETE FROM reset_codes WHERE expires_at <= $1", kept_since).await?,
    })
}

/// Deletes the audit rows written before `audit_days` days ago, [`AUDIT_BATCH`] per
/// statement; answers how many.
pub async fn old_audit(pool: &Pool, now: i64, audit_days: u32) -> Result<u64, sqlx::Error> {
    let before = now - i64::from(audit_days) * 24 * 3600;
    let mut deleted = 0;
    loop {
        let batch = sqlx::query(
            "DELETE FROM audit_log WHERE id IN \
             (SELECT id FROM audit_log WHERE at < $1 ORDER BY at LIMIT $2)",
        )
        .bind(before)
        .bind(AUDIT_BATCH)
        .execute(pool)
        .await?
        .rows_affected();
        deleted += batch;
        if batch < AUDIT_BATCH as u64 {
            return Ok(deleted);
        }
        // Between batches the card logins' writes get their turn.
        tokio::task::yield_now().await;
    }
}

/// Sweeps every [`EVERY`] until the process ends, the audit log down to `audit_days`; a
/// failed sweep is logged and retried at the next turn.
pub async fn every_few_minutes(pool: Pool, audit_days: u32) {
    let mut turns = tokio::time::interval(EVERY);
    loop {
        turns.tick().await;
        let now = crate::now();
        match expired(&pool, now).await {
            Ok(swept) if swept.total() > 0 => tracing::info!(?swept, "expired rows deleted"),
            Ok(_) => {}
            Err(error) => tracing::warn!("cannot delete expired rows: {error}"),
        }
        match old_audit(&pool, now, audit_days).await {
            Ok(0) => {}
            Ok(rows) => tracing::info!("{rows} audit rows older than {audit_days} days deleted"),
            Err(error) => tracing::warn!("cannot delete old audit rows: {error}"),
        }
    }
}
