//! Enrolled agents: their public keys, last assertion counter, and revocation.

use crate::db::Pool;
use sqlx::Row;
use thaiid_protocol::api::EnrollRequest;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRecord {
    pub id: String,
    pub hostname: String,
    pub agent_version: String,
    pub revoked: bool,
    pub created_at: i64,
}

pub async fn insert(pool: &Pool, request: &EnrollRequest, now: i64) -> Result<String, sqlx::Error> {
    let id = format!("agent-{}", crate::random_id());
    let jwk = serde_json::to_string(&request.public_key_jwk).expect("plain struct");
    sqlx::query(
        "INSERT INTO agents (id, public_key_jwk, hostname, agent_version, last_ctr, created_at) \
         VALUES ($1, $2, $3, $4, 0, $5)",
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

pub async fn list(pool: &Pool) -> Result<Vec<AgentRecord>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, hostname, agent_version, revoked_at, created_at FROM agents ORDER BY created_at, id",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(AgentRecord {
                id: row.try_get("id")?,
                hostname: row.try_get("hostname")?,
                agent_version: row.try_get("agent_version")?,
                revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
                created_at: row.try_get("created_at")?,
            })
        })
        .collect()
}

/// `false` if there is no such agent.
pub async fn revoke(pool: &Pool, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE agents SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(pool)
            .await?;
    Ok(done.rows_affected() == 1)
}
