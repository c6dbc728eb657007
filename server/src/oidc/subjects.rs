//! Each account's `sub`: 128 random bits made the first time the account signs in to a
//! client, then kept, so that it is stable for the account and tells nothing about it
//! (never the citizen ID, never the user name, which may change hands).

use crate::db::Pool;

/// The `sub` of `username`, made now if it has none.
pub async fn of(pool: &Pool, username: &str) -> Result<String, sqlx::Error> {
    sqlx::query(
        "INSERT INTO oidc_subjects (username, sub) VALUES ($1, $2) \
         ON CONFLICT (username) DO NOTHING",
    )
    .bind(username)
    .bind(crate::random_id())
    .execute(pool)
    .await?;
    sqlx::query_scalar("SELECT sub FROM oidc_subjects WHERE username = $1")
        .bind(username)
        .fetch_one(pool)
        .await
}
