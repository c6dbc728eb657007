//! People's requests to change who may use a system (`/permissions`), and their decision
//! by the system's owner (`/admin/requests`) or IT (`thaiid-server permission
//! approve|reject`): approved, which applies the change, or rejected, with a reason the
//! requester reads on `/permissions`. Each decision is one audit row naming who decided.

use super::{exists, SystemError};
use crate::audit::{self, Method};
use crate::db::Pool;
use sqlx::Row;

/// The longest reason, a request's or a decision's.
pub const MAX_REASON_CHARS: usize = 500;

/// What a person asks IT to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Grant,
    Revoke,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Grant => "grant",
            Change::Revoke => "revoke",
        }
    }

    pub fn parse(text: &str) -> Option<Change> {
        match text {
            "grant" => Some(Change::Grant),
            "revoke" => Some(Change::Revoke),
            _ => None,
        }
    }
}

/// What the decider says to a pending request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Approve,
    Reject,
}

impl Verdict {
    /// The request's status after it.
    pub fn status(self) -> &'static str {
        match self {
            Verdict::Approve => "approved",
            Verdict::Reject => "rejected",
        }
    }

    pub fn parse(text: &str) -> Option<Verdict> {
        match text {
            "approve" => Some(Verdict::Approve),
            "reject" => Some(Verdict::Reject),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Request {
    pub id: String,
    pub username: String,
    pub system_code: String,
    pub change: Change,
    pub reason: String,
    /// pending | approved | rejected
    pub status: String,
    pub created_at: i64,
    /// Why it was decided so, for the requester; `None` while pending (or approved
    /// without a word).
    pub decision_reason: Option<String>,
    /// Who decided: a console user, or [`audit::CLI`].
    pub decided_by: Option<String>,
}

/// Whose pending requests a decider sees: every system's (an admin, IT), or the systems
/// they own.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    All,
    Systems(&'a [String]),
}

const COLUMNS: &str = "id, username, system_code, action, reason, status, created_at, \
                       decision_reason, decided_by";

fn request_of(row: &sqlx::any::AnyRow) -> Result<Request, sqlx::Error> {
    Ok(Request {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        system_code: row.try_get("system_code")?,
        change: Change::parse(&row.try_get::<String, _>("action")?).unwrap_or(Change::Grant),
        reason: row.try_get("reason")?,
        status: row.try_get("status")?,
        created_at: row.try_get("created_at")?,
        decision_reason: row.try_get("decision_reason")?,
        decided_by: row.try_get("decided_by")?,
    })
}

/// A reason as kept: trimmed, 1 to [`MAX_REASON_CHARS`] characters.
fn checked_reason(reason: &str) -> Result<&str, SystemError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        return Err(SystemError::BadReason);
    }
    Ok(reason)
}

/// `username` asks for `change` to their use of system `code`.
pub async fn request(
    pool: &Pool,
    username: &str,
    code: &str,
    change: Change,
    reason: &str,
    now: i64,
) -> Result<String, SystemError> {
    let reason = checked_reason(reason)?;
    if !exists(pool, "SELECT 1 AS one FROM systems WHERE code = $1", code).await? {
        return Err(SystemError::NoSystem(code.to_owned()));
    }
    let id = crate::random_id();
    sqlx::query(
        "INSERT INTO permission_requests \
         (id, username, system_code, action, reason, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'pending', $6)",
    )
    .bind(&id)
    .bind(username)
    .bind(code)
    .bind(change.as_str())
    .bind(reason)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(id)
}

/// Requests, newest first: one person's, or (with `None`) the pending ones of everybody.
pub async fn requests(pool: &Pool, username: Option<&str>) -> Result<Vec<Request>, sqlx::Error> {
    let filter = match username {
        Some(_) => "username = $1",
        None => "status = 'pending'",
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM permission_requests WHERE {filter} ORDER BY created_at DESC, id"
    );
    let mut query = sqlx::query(&sql);
    if let Some(name) = username {
        query = query.bind(name);
    }
    query
        .fetch_all(pool)
        .await?
        .iter()
        .map(request_of)
        .collect()
}

/// The pending requests in `scope`, oldest first (the longest waiting on top), `limit`
/// of them after the first `offset`, and how many there are in all.
pub async fn pending(
    pool: &Pool,
    scope: Scope<'_>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Request>, i64), sqlx::Error> {
    let systems: &[String] = match scope {
        Scope::All => &[],
        Scope::Systems([]) => return Ok((Vec::new(), 0)),
        Scope::Systems(codes) => codes,
    };
    // `$1..$n` are the systems; `limit` and `offset` follow them.
    let filter = match scope {
        Scope::All => String::new(),
        Scope::Systems(_) => {
            let marks: Vec<String> = (1..=systems.len()).map(|n| format!("${n}")).collect();
            format!(" AND system_code IN ({})", marks.join(", "))
        }
    };
    let count_sql =
        format!("SELECT COUNT(*) FROM permission_requests WHERE status = 'pending'{filter}");
    let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
    for code in systems {
        count = count.bind(code);
    }
    let total = count.fetch_one(pool).await?;
    let n = systems.len();
    let sql = format!(
        "SELECT {COLUMNS} FROM permission_requests WHERE status = 'pending'{filter} \
         ORDER BY created_at, id LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let mut query = sqlx::query(&sql);
    for code in systems {
        query = query.bind(code);
    }
    let rows = query.bind(limit).bind(offset).fetch_all(pool).await?;
    let found = rows.iter().map(request_of).collect::<Result<_, _>>()?;
    Ok((found, total))
}

/// The request `id`, whatever its status.
pub async fn find_request(pool: &Pool, id: &str) -> Result<Option<Request>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM permission_requests WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(pool).await?;
    row.as_ref().map(request_of).transpose()
}

/// `actor` approves (applying the change) or rejects the pending request `id`, with a
/// reason for the requester: needed for a rejection, optional (empty) for an approval.
/// The decision, the change and its audit row are one transaction.
pub async fn decide(
    pool: &Pool,
    id: &str,
    verdict: Verdict,
    reason: &str,
    actor: &str,
    now: i64,
) -> Result<Request, SystemError> {
    let reason = match verdict {
        Verdict::Approve if reason.trim().is_empty() => None,
        _ => Some(checked_reason(reason)?),
    };
    let pending = find_request(pool, id)
        .await?
        .filter(|request| request.status == "pending")
        .ok_or_else(|| SystemError::NoPendingRequest(id.to_owned()))?;
    let mut tx = pool.begin().await?;
    let decided = sqlx::query(
        "UPDATE permission_requests SET status = $1, decided_at = $2, decision_reason = $3, \
         decided_by = $4 WHERE id = $5 AND status = 'pending'",
    )
    .bind(verdict.status())
    .bind(now)
    .bind(reason)
    .bind(actor)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if decided.rows_affected() != 1 {
        return Err(SystemError::DecidedMeanwhile(id.to_owned()));
    }
    let (user, code) = (&pending.username, &pending.system_code);
    if verdict == Verdict::Approve {
        let change = match pending.change {
            Change::Grant => {
                "INSERT INTO permissions (username, system_code) VALUES ($1, $2) \
                 ON CONFLICT (username, system_code) DO NOTHING"
            }
            Change::Revoke => "DELETE FROM permissions WHERE username = $1 AND system_code = $2",
        };
        sqlx::query(change)
            .bind(user)
            .bind(code)
            .execute(&mut *tx)
            .await?;
    }
    let mut entry = audit::Entry::new(Method::Request);
    entry.set_outcome(Ok(()));
    entry.username = Some(user.clone());
    entry.system = Some(code.clone());
    entry.actor = Some(actor.to_owned());
    // The reason is free text, which may name people: the requester reads it, the audit
    // log does not keep it.
    entry.detail = Some(format!(
        "{} request {}",
        pending.change.as_str(),
        verdict.status()
    ));
    audit::record(&mut *tx, &entry, now).await?;
    tx.commit().await?;
    Ok(Request {
        status: verdict.status().into(),
        decision_reason: reason.map(str::to_owned),
        decided_by: Some(actor.to_owned()),
        ..pending
    })
}
