//! API keys for `POST /api/v1/challenges`: printed once at creation, stored hashed.

use crate::db::Pool;
use sqlx::Row;

pub async fn create(pool: &Pool, name: &str, now: i64) -> Result<String, sqlx::Error> {
    let key = format!("{}{}", crate::random_id(), crate::random_id());
    sqlx::query("INSERT INTO api_keys (hash, name, created_at) VALUES ($1, $2, $3)")
        .bind(crate::sha256_hex(&key))
        .bind(name)
        .bind(now)
        .execute(pool)
        .await?;
    Ok(key)
}

/// The name of the front end `key` belongs to, if any.
pub async fn owner(pool: &Pool, key: &str) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("SELECT name FROM api_keys WHERE hash = $1")
        .bind(crate::sha256_hex(key))
        .fetch_optional(pool)
        .await?;
    row.map(|row| row.try_get("name")).transpose()
}
