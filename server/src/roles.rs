//! Who may do what in the admin console (SPEC §7b): `admin` (systems, agents, enrollment
//! tokens, API keys, roles), `helpdesk` (people and their cards), `owner` of one system
//! (its permission requests and who has access) and `auditor` (the audit log). A person may
//! hold several. Granting and revoking is audited with who did it; the console and the
//! command line both come here.

use crate::audit::{self, Method};
use crate::db::Pool;
use sqlx::Row;

/// A role, as held by one person.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Admin,
    Helpdesk,
    /// The owner of the system with this code.
    Owner(String),
    Auditor,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RoleError {
    #[error("{0:?} is no role: admin, helpdesk, owner (with --system CODE) or auditor")]
    Unknown(String),
    #[error("the owner role needs the system it owns: --system CODE")]
    OwnerNeedsSystem,
    #[error("only the owner role is of one system: leave --system out")]
    SystemOnlyForOwner,
    #[error("no user {0:?}")]
    NoUser(String),
    #[error("no system {0:?}")]
    NoSystem(String),
    #[error("{0} does not hold that role")]
    NotHeld(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

impl Role {
    /// The role named `name`, of `system` for an owner.
    pub fn parse(name: &str, system: Option<&str>) -> Result<Role, RoleError> {
        let system = system.map(str::trim).filter(|code| !code.is_empty());
        let role = match name.trim() {
            "admin" => Role::Admin,
            "helpdesk" => Role::Helpdesk,
            "auditor" => Role::Auditor,
            "owner" => {
                let code = system.ok_or(RoleError::OwnerNeedsSystem)?;
                return Ok(Role::Owner(code.to_owned()));
            }
            other => return Err(RoleError::Unknown(other.to_owned())),
        };
        match system {
            Some(_) => Err(RoleError::SystemOnlyForOwner),
            None => Ok(role),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Helpdesk => "helpdesk",
            Role::Owner(_) => "owner",
            Role::Auditor => "auditor",
        }
    }

    /// The system an owner owns.
    pub fn system(&self) -> Option<&str> {
        match self {
            Role::Owner(code) => Some(code),
            _ => None,
        }
    }

    fn of_row(name: &str, system: &str) -> Result<Role, sqlx::Error> {
        let system = Some(system).filter(|code| !code.is_empty());
        Role::parse(name, system)
            .map_err(|_| sqlx::Error::Decode(format!("unknown role {name:?} in roles").into()))
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Role::Owner(code) => write!(f, "owner of {code}"),
            role => f.write_str(role.name()),
        }
    }
}

/// Gives `username` the `role`, as `actor` (a console user, or [`audit::CLI`]); answers
/// false when they held it already.
pub async fn grant(
    pool: &Pool,
    username: &str,
    role: &Role,
    actor: &str,
    now: i64,
) -> Result<bool, RoleError> {
    if crate::users::find(pool, username).await?.is_none() {
        return Err(RoleError::NoUser(username.to_owned()));
    }
    if let Some(code) = role.system() {
        let known = crate::systems::all(pool)
            .await?
            .iter()
            .any(|system| system.code == code);
        if !known {
            return Err(RoleError::NoSystem(code.to_owned()));
        }
    }
    let done = sqlx::query(
        "INSERT INTO roles (username, role, system_code, granted_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (username, role, system_code) DO NOTHING",
    )
    .bind(username)
    .bind(role.name())
    .bind(role.system().unwrap_or_default())
    .bind(now)
    .execute(pool)
    .await?;
    let granted = done.rows_affected() == 1;
    if granted {
        record(pool, username, role, "granted", actor, now).await?;
    }
    Ok(granted)
}

/// Takes `role` from `username`, as `actor`.
pub async fn revoke(
    pool: &Pool,
    username: &str,
    role: &Role,
    actor: &str,
    now: i64,
) -> Result<(), RoleError> {
    let done =
        sqlx::query("DELETE FROM roles WHERE username = $1 AND role = $2 AND system_code = $3")
            .bind(username)
            .bind(role.name())
            .bind(role.system().unwrap_or_default())
            .execute(pool)
            .await?;
    if done.rows_affected() != 1 {
        return Err(RoleError::NotHeld(username.to_owned()));
    }
    record(pool, username, role, "revoked", actor, now).await?;
    Ok(())
}

/// The audit row of a change: who (`actor`) granted or revoked which role (`detail`, and
/// the owner's system) to whom.
async fn record(
    pool: &Pool,
    username: &str,
    role: &Role,
    done: &str,
    actor: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut entry = audit::Entry::new(Method::Role);
    entry.set_outcome(Ok(()));
    entry.detail = Some(format!("{} {done}", role.name()));
    entry.username = Some(username.to_owned());
    entry.system = role.system().map(str::to_owned);
    entry.actor = Some(actor.to_owned());
    audit::record(pool, &entry, now).await
}

/// The roles `username` holds.
pub async fn of_user(pool: &Pool, username: &str) -> Result<Vec<Role>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT role, system_code FROM roles WHERE username = $1 ORDER BY role, system_code",
    )
    .bind(username)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Role::of_row(
                &row.try_get::<String, _>("role")?,
                &row.try_get::<String, _>("system_code")?,
            )
        })
        .collect()
}

/// Every role held, by user name.
pub async fn list(pool: &Pool) -> Result<Vec<(String, Role)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT username, role, system_code FROM roles ORDER BY username, role, system_code",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let role = Role::of_row(
                &row.try_get::<String, _>("role")?,
                &row.try_get::<String, _>("system_code")?,
            )?;
            Ok((row.try_get("username")?, role))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_and_their_system() {
        assert_eq!(Role::parse("admin", None).unwrap(), Role::Admin);
        assert_eq!(
            Role::parse("owner", Some("01010101")).unwrap(),
            Role::Owner("01010101".into())
        );
        assert!(matches!(
            Role::parse("owner", None),
            Err(RoleError::OwnerNeedsSystem)
        ));
        assert!(matches!(
            Role::parse("auditor", Some("01010101")),
            Err(RoleError::SystemOnlyForOwner)
        ));
        assert!(matches!(
            Role::parse("root", None),
            Err(RoleError::Unknown(_))
        ));
        assert_eq!(Role::Owner("01".into()).to_string(), "owner of 01");
        assert_eq!(Role::Helpdesk.to_string(), "helpdesk");
    }
}
