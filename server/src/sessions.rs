//! Browser sessions: a random id (the browser keeps it in a cookie), stored hashed; a
//! CSRF token per session; a new id at every login. A session not logged in remembers
//! the address it was made for (an IPv6 address by its /64, which one host holds whole),
//! and one address keeps at most a limit of them alive: its oldest go first (SPEC §7c).

use crate::db::Pool;
use sqlx::Row;
use std::net::IpAddr;

pub use crate::amr::{Amr, FirstFactor};

pub const TTL_SECS: i64 = 8 * 3600;
/// The sessions not logged in one address keeps alive by default
/// (`THAIID_SERVER_SESSIONS_PER_ADDRESS`): many people behind one NAT each open the login
/// page, but few leave it unfinished.
pub const DEFAULT_PER_ADDRESS: usize = 1000;

#[derive(Debug, Clone)]
pub struct Session {
    /// What nonces and tickets are bound to: the SHA-256 of the cookie's value.
    pub id_hash: String,
    pub csrf: String,
    /// Logged in as.
    pub username: Option<String>,
    /// A first factor accepted, the OTP not yet.
    pub pending: Option<Pending>,
    /// How the session logged in.
    pub amr: Option<Amr>,
    /// When the session was made: a session is made new at each login, so for a session
    /// logged in this is when it logged in.
    pub created_at: i64,
}

/// A session that holds a first factor for `username` and waits for the OTP
/// (`/login/otp`): after a password, or after a card registered without its laser ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub username: String,
    pub factor: FirstFactor,
}

impl Session {
    pub fn csrf_matches(&self, token: &str) -> bool {
        crate::same_secret(&self.csrf, token)
    }
}

/// The session with the id `id` (the cookie's value), if it is known and not expired.
pub async fn load(pool: &Pool, id: &str, now: i64) -> Result<Option<Session>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id_hash, csrf, username, pending_username, pending_factor, amr, created_at \
         FROM sessions \
         WHERE id_hash = $1 AND expires_at > $2",
    )
    .bind(crate::sha256_hex(id))
    .bind(now)
    .fetch_optional(pool)
    .await?;
    row.map(|row| {
        Ok(Session {
            id_hash: row.try_get("id_hash")?,
            csrf: row.try_get("csrf")?,
            username: row.try_get("username")?,
            pending: row
                .try_get::<Option<String>, _>("pending_username")?
                .map(|username| -> Result<Pending, sqlx::Error> {
                    let factor = row.try_get::<Option<String>, _>("pending_factor")?;
                    Ok(Pending {
                        username,
                        factor: FirstFactor::parse(factor.as_deref()),
                    })
                })
                .transpose()?,
            amr: row
                .try_get::<Option<String>, _>("amr")?
                .as_deref()
                .and_then(Amr::parse),
            created_at: row.try_get("created_at")?,
        })
    })
    .transpose()
}

/// A new session (logged in as `username` by `amr`, or anonymous) and its id, for the
/// browser's cookie.
pub async fn create(
    pool: &Pool,
    username: Option<(&str, Amr)>,
    now: i64,
) -> Result<(Session, String), sqlx::Error> {
    insert(pool, username, None, now).await
}

/// [`create`], remembering the address a session not logged in was made for.
async fn insert(
    pool: &Pool,
    username: Option<(&str, Amr)>,
    remote: Option<&str>,
    now: i64,
) -> Result<(Session, String), sqlx::Error> {
    let id = format!("{}{}", crate::random_id(), crate::random_id());
    let session = Session {
        id_hash: crate::sha256_hex(&id),
        csrf: crate::random_id(),
        username: username.map(|(name, _)| name.to_owned()),
        pending: None,
        amr: username.map(|(_, amr)| amr),
        created_at: now,
    };
    sqlx::query(
        "INSERT INTO sessions \
         (id_hash, csrf, username, created_at, expires_at, amr, remote, remote_micros) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&session.id_hash)
    .bind(&session.csrf)
    .bind(&session.username)
    .bind(now)
    .bind(now + TTL_SECS)
    .bind(session.amr.map(Amr::as_str))
    .bind(remote)
    .bind(remote.map(|_| micros()))
    .execute(pool)
    .await?;
    Ok((session, id))
}

/// A new session not logged in, for a browser at `client`; the oldest of that address's
/// sessions not logged in end beyond the newest `per_address` (their login resumptions
/// and forgot-password progress with them).
pub async fn create_anonymous(
    pool: &Pool,
    client: Option<IpAddr>,
    per_address: usize,
    now: i64,
) -> Result<(Session, String), sqlx::Error> {
    // Counted as the guessing limits count an address: IPv4 whole, IPv6 by its /64.
    let remote = client.map(|address| crate::throttle::address_text(Some(address)));
    let created = insert(pool, None, remote.as_deref(), now).await?;
    if let Some(remote) = remote {
        end_beyond(pool, &remote, &created.0.id_hash, per_address).await?;
    }
    Ok(created)
}

/// The wall clock in microseconds: what orders one address's sessions.
fn micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_micros() as i64)
}

/// Ends `remote`'s sessions not logged in beyond its newest `keep`, never `new` (the one
/// just made).
async fn end_beyond(pool: &Pool, remote: &str, new: &str, keep: usize) -> Result<(), sqlx::Error> {
    let oldest_kept = sqlx::query(
        "SELECT remote_micros, id_hash FROM sessions WHERE remote = $1 AND username IS NULL \
         ORDER BY remote_micros DESC, id_hash DESC LIMIT 1 OFFSET $2",
    )
    .bind(remote)
    .bind(keep.saturating_sub(1) as i64)
    .fetch_optional(pool)
    .await?;
    let Some(oldest_kept) = oldest_kept else {
        return Ok(());
    };
    let micros: i64 = oldest_kept.try_get("remote_micros")?;
    let id_hash: String = oldest_kept.try_get("id_hash")?;
    const BEYOND: &str = "SELECT id_hash FROM sessions WHERE remote = $1 AND username IS NULL \
         AND (remote_micros < $2 OR (remote_micros = $2 AND id_hash < $3)) AND id_hash <> $4";
    for sql in [
        format!("DELETE FROM oidc_resumes WHERE session_hash IN ({BEYOND})"),
        format!("DELETE FROM password_resets WHERE session_hash IN ({BEYOND})"),
        format!("DELETE FROM sessions WHERE id_hash IN ({BEYOND})"),
    ] {
        sqlx::query(&sql)
            .bind(remote)
            .bind(micros)
            .bind(&id_hash)
            .bind(new)
            .execute(pool)
            .await?;
    }
    Ok(())
}

/// Logs the browser in: the old session ends and a new id is issued, so an id planted
/// or seen before the login is worth nothing after it.
pub async fn log_in(
    pool: &Pool,
    old: &Session,
    username: &str,
    amr: Amr,
    now: i64,
) -> Result<(Session, String), sqlx::Error> {
    end(pool, old).await?;
    create(pool, Some((username, amr)), now).await
}

/// Remembers that `username` gave `factor` (the right password, or a card registered
/// without its laser ID); the OTP comes next.
pub async fn set_pending(
    pool: &Pool,
    session: &Session,
    username: &str,
    factor: FirstFactor,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE sessions SET pending_username = $1, pending_factor = $2 WHERE id_hash = $3",
    )
    .bind(username)
    .bind(factor.as_str())
    .bind(&session.id_hash)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn end(pool: &Pool, session: &Session) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(&session.id_hash)
        .execute(pool)
        .await?;
    Ok(())
}
