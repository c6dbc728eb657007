//! API keys of other SSO front ends, for `POST /api/v1/challenges` and
//! `POST /api/v1/tickets/redeem`: printed once at creation, stored hashed, each bound to
//! the origins its login pages run at (SPEC §7). A challenge's nonce, and the ticket its
//! card login gets, are bound to the key and the origin ([`ticket_session`]), so that only
//! that key redeems the ticket, and only while the origin is still the key's.

use crate::audit;
use crate::db::Pool;
use sqlx::Row;

/// The longest name a front end's key may have.
pub const MAX_NAME_CHARS: usize = 64;

/// A front end's key, as stored (the key itself is not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub name: String,
    pub origins: Vec<String>,
    pub created_at: i64,
}

impl ApiKey {
    pub fn serves(&self, origin: &str) -> bool {
        self.origins.iter().any(|known| known == origin)
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiKeyError {
    #[error("a key's name is 1 to {MAX_NAME_CHARS} characters, no spaces or control characters, like hr-portal")]
    BadName(String),
    #[error("a key needs at least one --origin: where the front end's login page runs")]
    NoOrigin,
    #[error("--origin {0}")]
    BadOrigin(String),
    #[error("there is a key named {0:?} already: revoke it first")]
    NameTaken(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// A new key for the front end `name` at `origins`, made by `actor` (a console user, or
/// [`audit::CLI`]) and audited with the origins; answers the key (shown once).
pub async fn create(
    pool: &Pool,
    name: &str,
    origins: &[String],
    actor: &str,
    now: i64,
) -> Result<String, ApiKeyError> {
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(ApiKeyError::BadName(name.to_owned()));
    }
    if origins.is_empty() {
        return Err(ApiKeyError::NoOrigin);
    }
    let origins = origins
        .iter()
        .map(|origin| thaiid_protocol::origin::web_origin(origin).map_err(ApiKeyError::BadOrigin))
        .collect::<Result<Vec<_>, _>>()?;
    let taken = sqlx::query("SELECT 1 AS one FROM api_keys WHERE name = $1")
        .bind(name)
        .fetch_optional(pool)
        .await?;
    if taken.is_some() {
        return Err(ApiKeyError::NameTaken(name.to_owned()));
    }
    let key = format!("{}{}", crate::random_id(), crate::random_id());
    let mut tx = pool.begin().await?;
    sqlx::query("INSERT INTO api_keys (hash, name, created_at) VALUES ($1, $2, $3)")
        .bind(crate::sha256_hex(&key))
        .bind(name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    for origin in &origins {
        sqlx::query(
            "INSERT INTO api_key_origins (key_name, origin) VALUES ($1, $2) \
             ON CONFLICT (key_name, origin) DO NOTHING",
        )
        .bind(name)
        .bind(origin)
        .execute(&mut *tx)
        .await?;
    }
    let mut entry = audit::Entry::new(audit::Method::ApiKey);
    entry.set_outcome(Ok(()));
    entry.actor = Some(actor.to_owned());
    entry.detail = Some(format!("created {name} for {}", origins.join(" ")));
    audit::record(&mut *tx, &entry, now).await?;
    tx.commit().await?;
    Ok(key)
}

async fn origins(pool: &Pool, name: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT origin FROM api_key_origins WHERE key_name = $1 ORDER BY origin")
        .bind(name)
        .fetch_all(pool)
        .await
}

/// The front end `key` belongs to, if any.
pub async fn owner(pool: &Pool, key: &str) -> Result<Option<ApiKey>, sqlx::Error> {
    let row = sqlx::query("SELECT name, created_at FROM api_keys WHERE hash = $1")
        .bind(crate::sha256_hex(key))
        .fetch_optional(pool)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let name: String = row.try_get("name")?;
    Ok(Some(ApiKey {
        origins: origins(pool, &name).await?,
        created_at: row.try_get("created_at")?,
        name,
    }))
}

pub async fn list(pool: &Pool) -> Result<Vec<ApiKey>, sqlx::Error> {
    let rows = sqlx::query("SELECT name, created_at FROM api_keys ORDER BY name")
        .fetch_all(pool)
        .await?;
    let mut keys = Vec::new();
    for row in rows {
        let name: String = row.try_get("name")?;
        keys.push(ApiKey {
            origins: origins(pool, &name).await?,
            created_at: row.try_get("created_at")?,
            name,
        });
    }
    Ok(keys)
}

/// Revokes the key of `name` at once; answers whether there was one.
pub async fn revoke(pool: &Pool, name: &str) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let done = sqlx::query("DELETE FROM api_keys WHERE name = $1")
        .bind(name)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM api_key_origins WHERE key_name = $1")
        .bind(name)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// What a challenge's nonce and its ticket are bound to: the key and the origin.
pub fn ticket_session(name: &str, origin: &str) -> String {
    format!("api:{name}@{origin}")
}

/// The (key name, origin) a ticket's session names, if it is a challenge's.
pub fn parse_ticket_session(session: &str) -> Option<(&str, &str)> {
    session.strip_prefix("api:")?.rsplit_once('@')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_session_names_key_and_origin() {
        let session = ticket_session("hr-portal", "https://hr.example.go.th");
        assert_eq!(
            parse_ticket_session(&session),
            Some(("hr-portal", "https://hr.example.go.th"))
        );
        assert_eq!(parse_ticket_session(&crate::sha256_hex("cookie")), None);
    }
}
