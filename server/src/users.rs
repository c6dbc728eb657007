//! Accounts, and the citizen ID each may be linked to for card login.

use crate::db::Pool;

/// Adds an account; `citizen_id` (checked: 13 digits, right check digit) links it to a card.
pub async fn add(
    pool: &Pool,
    username: &str,
    display_name: &str,
    citizen_id: Option<&str>,
    now: i64,
) -> Result<(), String> {
    if let Some(id) = citizen_id {
        let valid = thaiid_protocol::CitizenId::parse(id).is_ok_and(|id| id.check_digit_valid());
        if !valid {
            return Err(format!(
                "{id:?} is not a citizen ID with a right check digit"
            ));
        }
    }
    sqlx::query("INSERT INTO users (username, display_name, citizen_id, created_at) VALUES ($1, $2, $3, $4)")
        .bind(username)
        .bind(display_name)
        .bind(citizen_id)
        .bind(now)
        .execute(pool)
        .await
        .map_err(|error| match error {
            sqlx::Error::Database(e) if e.is_unique_violation() => {
                "that user name or citizen ID is taken".to_owned()
            }
            other => other.to_string(),
        })?;
    Ok(())
}
