//! Who has access to one system, as its owner manages it (`/admin/systems/CODE/access`)
//! and IT does (`thaiid-server permission revoke|grant --as`): access taken away, and the
//! person's own account name in the system set or cleared. Each change is one audit row
//! naming who made it.

use super::{set_account_name, SystemError};
use crate::audit::{self, Method};
use crate::db::Pool;
use sqlx::Row;

/// A person with access to a system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub username: String,
    pub display_name: String,
    /// Their account name in the system; `None`: the SSO's user name.
    pub account_name: Option<String>,
}

/// The people with access to system `code`, by user name, `limit` of them after the
/// first `offset`, and how many there are in all.
pub async fn holders(
    pool: &Pool,
    code: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Holder>, i64), sqlx::Error> {
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM permissions WHERE system_code = $1")
        .bind(code)
        .fetch_one(pool)
        .await?;
    let rows = sqlx::query(
        "SELECT p.username, u.display_name, p.account_name FROM permissions p \
         JOIN users u ON u.username = p.username WHERE p.system_code = $1 \
         ORDER BY p.username LIMIT $2 OFFSET $3",
    )
    .bind(code)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    let holders = rows
        .iter()
        .map(|row| {
            Ok(Holder {
                username: row.try_get("username")?,
                display_name: row.try_get("display_name")?,
                account_name: row.try_get("account_name")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok((holders, total))
}

/// `actor` takes `username`'s access to system `code` away.
pub async fn revoke(
    pool: &Pool,
    username: &str,
    code: &str,
    actor: &str,
    now: i64,
) -> Result<(), SystemError> {
    if !super::revoke(pool, username, code).await? {
        return Err(SystemError::NoPermission(
            username.to_owned(),
            code.to_owned(),
        ));
    }
    record(pool, username, code, "access revoked", actor, now).await?;
    Ok(())
}

/// `actor` sets `username`'s account name in system `code`, or with `None` clears it.
pub async fn name(
    pool: &Pool,
    username: &str,
    code: &str,
    account_name: Option<&str>,
    actor: &str,
    now: i64,
) -> Result<(), SystemError> {
    set_account_name(pool, username, code, account_name).await?;
    let done = match account_name {
        Some(_) => "account name set",
        None => "account name cleared",
    };
    record(pool, username, code, done, actor, now).await?;
    Ok(())
}

/// The audit row: who (`actor`) did what (`detail`) to whose access to which system. The
/// account name itself is left out: it may be personal.
async fn record(
    pool: &Pool,
    username: &str,
    code: &str,
    detail: &str,
    actor: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut entry = audit::Entry::new(Method::Access);
    entry.set_outcome(Ok(()));
    entry.username = Some(username.to_owned());
    entry.system = Some(code.to_owned());
    entry.actor = Some(actor.to_owned());
    entry.detail = Some(detail.to_owned());
    audit::record(pool, &entry, now).await
}
