//! The cards an account had blocked, as the helpdesk sees them: a person whose card was
//! blocked and who has none registered is told apart from one who never had one.

use crate::db::Pool;
use sqlx::Row;

/// A blocked card: its masked serial and when it was blocked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    pub serial_masked: String,
    pub blocked_at: i64,
}

/// The card `username` had blocked last (lost, or replaced by a newer one), if any.
pub async fn last_blocked(pool: &Pool, username: &str) -> Result<Option<Blocked>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT serial_masked, blocked_at FROM blocked_cards WHERE username = $1 \
         ORDER BY blocked_at DESC LIMIT 1",
    )
    .bind(username)
    .fetch_optional(pool)
    .await?;
    row.map(|row| {
        Ok(Blocked {
            serial_masked: row.try_get("serial_masked")?,
            blocked_at: row.try_get("blocked_at")?,
        })
    })
    .transpose()
}
