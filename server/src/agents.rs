//! Enrolled agents: their public keys, last assertion counter, when they were last heard
//! from, and revocation (audited with who revoked).

use crate::audit;
use crate::db::Pool;
use sqlx::Row;
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use thaiid_protocol::api::EnrollRequest;
use thaiid_protocol::assertion::PublicJwk;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRecord {
    pub id: String,
    pub hostname: String,
    pub agent_version: String,
    pub revoked: bool,
    pub created_at: i64,
    /// Its enrollment or its last card login's assertion; `None` before either was
    /// recorded.
    pub last_seen: Option<i64>,
}

pub async fn insert(pool: &Pool, request: &EnrollRequest, now: i64) -> Result<String, sqlx::Error> {
    let id = format!("agent-{}", crate::random_id());
    let jwk = serde_json::to_string(&request.public_key_jwk).expect("plain struct");
    sqlx::query(
        "INSERT INTO agents \
         (id, public_key_jwk, hostname, agent_version, last_ctr, created_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, 0, $5, $5)",
    )
    .bind(&id)
    .bind(jwk)
    .bind(&request.hostname)
    .bind(&request.agent_version)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(id)
}

const COLUMNS: &str = "id, hostname, agent_version, revoked_at, created_at, last_seen_at";

fn record(row: &sqlx::any::AnyRow) -> Result<AgentRecord, sqlx::Error> {
    Ok(AgentRecord {
        id: row.try_get("id")?,
        hostname: row.try_get("hostname")?,
        agent_version: row.try_get("agent_version")?,
        revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
        created_at: row.try_get("created_at")?,
        last_seen: row.try_get("last_seen_at")?,
    })
}

pub async fn list(pool: &Pool) -> Result<Vec<AgentRecord>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM agents ORDER BY created_at, id");
    sqlx::query(&sql)
        .fetch_all(pool)
        .await?
        .iter()
        .map(record)
        .collect()
}

/// At most `limit` agents from the `offset`th, the newest enrolled first.
pub async fn newest(pool: &Pool, offset: i64, limit: i64) -> Result<Vec<AgentRecord>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM agents ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2"
    );
    sqlx::query(&sql)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await?
        .iter()
        .map(record)
        .collect()
}

/// Revokes agent `id` at once, as `actor` (a console user, or [`audit::CLI`]), audited;
/// `false` if there is no such agent or it was revoked already.
pub async fn revoke(pool: &Pool, id: &str, actor: &str, now: i64) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let done =
        sqlx::query("UPDATE agents SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    let mut entry = audit::Entry::new(audit::Method::AgentAdmin);
    entry.set_outcome(Ok(()));
    entry.agent_id = Some(id.to_owned());
    entry.actor = Some(actor.to_owned());
    entry.detail = Some("revoked".into());
    audit::record(&mut *tx, &entry, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// What a card login may do with the key of the agent a token names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentKey {
    Usable(Arc<PublicJwk>),
    Unknown,
    Revoked,
    /// The stored key does not parse.
    Damaged,
}

/// The most keys kept; past it the cache starts again empty.
const MAX_CACHED_KEYS: usize = 100_000;

/// Enrolled agents' public keys, read once per process. An agent's key never changes
/// (enrolling again makes a new agent) and agents are never deleted, so an entry stays
/// true; revocation (`agent revoke`, maybe from another process) is checked inside each
/// login's write transaction, so a cached key of a revoked agent gets nothing accepted.
/// Unknown and revoked agents are not cached.
#[derive(Clone, Default)]
pub struct KeyCache {
    keys: Arc<RwLock<HashMap<String, Arc<PublicJwk>>>>,
    /// On a SQLite file, where a miss is read (else through the pool).
    reader: Option<Arc<crate::db::reader::Reader>>,
}

impl KeyCache {
    /// Reads misses from the SQLite file `sqlite`, if given, else through the pool.
    pub fn new(sqlite: Option<std::path::PathBuf>) -> KeyCache {
        KeyCache {
            keys: Arc::default(),
            reader: sqlite.map(|path| Arc::new(crate::db::reader::Reader::new(path))),
        }
    }

    pub async fn get(&self, pool: &Pool, id: &str) -> Result<AgentKey, sqlx::Error> {
        let cached = self
            .keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned();
        if let Some(key) = cached {
            return Ok(AgentKey::Usable(key));
        }
        const SQL: &str = "SELECT public_key_jwk, revoked_at FROM agents WHERE id = $1";
        let row: Option<(String, Option<i64>)> = match &self.reader {
            Some(reader) => reader.read(|db| {
                use rusqlite::OptionalExtension;
                db.prepare_cached(SQL)?
                    .query_row([id], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()
            })?,
            None => sqlx::query(SQL)
                .bind(id)
                .fetch_optional(pool)
                .await?
                .map(|row| Ok::<_, sqlx::Error>((row.try_get(0)?, row.try_get(1)?)))
                .transpose()?,
        };
        let Some((jwk, revoked_at)) = row else {
            return Ok(AgentKey::Unknown);
        };
        if revoked_at.is_some() {
            return Ok(AgentKey::Revoked);
        }
        let Ok(key) = serde_json::from_str::<PublicJwk>(&jwk) else {
            return Ok(AgentKey::Damaged);
        };
        let key = Arc::new(key);
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        if keys.len() >= MAX_CACHED_KEYS {
            keys.clear();
        }
        keys.insert(id.to_owned(), key.clone());
        Ok(AgentKey::Usable(key))
    }
}
