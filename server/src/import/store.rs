//! The import's database work: what is stored of the file's people, read in batches of
//! [`BATCH`] keys, and the changes written in batched statements inside one transaction,
//! so that 10,000 rows take seconds (docs/import.md) and a failed run leaves nothing.

use super::plan::{Action, Existing, Stored};
use super::rows::Row;
use super::ImportError;
use crate::audit;
use crate::db::Pool;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, Row as _};

/// Keys in one `IN (…)`, and rows in one multi-row `INSERT`: far below SQLite's and
/// PostgreSQL's limits on a statement's parameters.
const BATCH: usize = 200;

/// `$first, $first+1, …` for `count` parameters.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn bind_all<'q>(
    mut query: Query<'q, Any, AnyArguments<'q>>,
    keys: &'q [&'q str],
) -> Query<'q, Any, AnyArguments<'q>> {
    for key in keys {
        query = query.bind(*key);
    }
    query
}

/// What the database holds of the people in `rows`.
pub async fn load(pool: &Pool, rows: &[Row]) -> Result<Existing, sqlx::Error> {
    let people = rows.iter().filter_map(|row| row.person.as_ref().ok());
    let usernames: Vec<&str> = people.clone().map(|p| p.username.as_str()).collect();
    let citizen_ids: Vec<&str> = people.map(|p| p.citizen_id.as_str()).collect();
    let mut existing = Existing::default();
    for keys in usernames.chunks(BATCH) {
        let sql = format!(
            "SELECT username, display_name, name_en, citizen_id FROM users \
             WHERE username IN ({})",
            placeholders(1, keys.len())
        );
        for row in bind_all(sqlx::query(&sql), keys).fetch_all(pool).await? {
            let stored = Stored {
                name_th: row.try_get("display_name")?,
                name_en: row.try_get("name_en")?,
                citizen_id: row.try_get("citizen_id")?,
            };
            existing.accounts.insert(row.try_get("username")?, stored);
        }
        let sql = format!(
            "SELECT username, system_code FROM permissions WHERE username IN ({})",
            placeholders(1, keys.len())
        );
        for row in bind_all(sqlx::query(&sql), keys).fetch_all(pool).await? {
            let permitted = (row.try_get("username")?, row.try_get("system_code")?);
            existing.permitted.insert(permitted);
        }
    }
    for keys in citizen_ids.chunks(BATCH) {
        let sql = format!(
            "SELECT username, citizen_id FROM users WHERE citizen_id IN ({})",
            placeholders(1, keys.len())
        );
        for row in bind_all(sqlx::query(&sql), keys).fetch_all(pool).await? {
            existing
                .owners
                .insert(row.try_get("citizen_id")?, row.try_get("username")?);
        }
    }
    for row in sqlx::query("SELECT code FROM systems")
        .fetch_all(pool)
        .await?
    {
        existing.systems.insert(row.try_get("code")?);
    }
    Ok(existing)
}

/// Makes `actions` and writes `entry` in one transaction. A user name or citizen ID taken
/// since [`load`] (another import, the helpdesk) undoes the whole run.
pub async fn apply(
    pool: &Pool,
    actions: &[Action],
    entry: &audit::Entry,
    now: i64,
) -> Result<(), ImportError> {
    let mut tx = pool.begin().await?;
    let mut created = Vec::new();
    let mut grants: Vec<(&str, &str)> = Vec::new();
    for action in actions {
        match action {
            Action::Create(person) => {
                created.push(person);
                for code in &person.systems {
                    grants.push((&person.username, code));
                }
            }
            Action::Update {
                username,
                names,
                link,
                grants: codes,
            } => {
                update(&mut tx, username, names.as_ref(), link.as_deref()).await?;
                grants.extend(codes.iter().map(|code| (username.as_str(), code.as_str())));
            }
        }
    }
    for batch in created.chunks(BATCH) {
        let values: Vec<String> = (0..batch.len())
            .map(|i| format!("({})", placeholders(5 * i + 1, 5)))
            .collect();
        let sql = format!(
            "INSERT INTO users (username, display_name, name_en, citizen_id, created_at) \
             VALUES {}",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for person in batch {
            query = query
                .bind(&person.username)
                .bind(&person.name_th)
                .bind(&person.name_en)
                .bind(&person.citizen_id)
                .bind(now);
        }
        query.execute(&mut *tx).await.map_err(meanwhile)?;
    }
    for batch in grants.chunks(BATCH) {
        let values: Vec<String> = (0..batch.len())
            .map(|i| format!("({})", placeholders(2 * i + 1, 2)))
            .collect();
        let sql = format!(
            "INSERT INTO permissions (username, system_code) VALUES {} \
             ON CONFLICT (username, system_code) DO NOTHING",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (username, code) in batch {
            query = query.bind(*username).bind(*code);
        }
        query.execute(&mut *tx).await?;
    }
    audit::record(&mut *tx, entry, now).await?;
    tx.commit().await?;
    Ok(())
}

/// One account's new names and citizen ID; the link only where none is linked yet.
async fn update(
    tx: &mut sqlx::Transaction<'_, Any>,
    username: &str,
    names: Option<&(String, String)>,
    link: Option<&str>,
) -> Result<(), ImportError> {
    if let Some((name_th, name_en)) = names {
        sqlx::query("UPDATE users SET display_name = $1, name_en = $2 WHERE username = $3")
            .bind(name_th)
            .bind(name_en)
            .bind(username)
            .execute(&mut **tx)
            .await?;
    }
    if let Some(citizen_id) = link {
        let done = sqlx::query(
            "UPDATE users SET citizen_id = $1 WHERE username = $2 AND citizen_id IS NULL",
        )
        .bind(citizen_id)
        .bind(username)
        .execute(&mut **tx)
        .await
        .map_err(meanwhile)?;
        if done.rows_affected() != 1 {
            return Err(ImportError::ChangedMeanwhile);
        }
    }
    Ok(())
}

fn meanwhile(error: sqlx::Error) -> ImportError {
    match error {
        sqlx::Error::Database(e) if e.is_unique_violation() => ImportError::ChangedMeanwhile,
        other => ImportError::Db(other),
    }
}
