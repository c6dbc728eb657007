//! An admin's changes to a system (SPEC §7b), the same from the console and the command
//! line (`thaiid-server system add|require|secret`): adding it, its name and URL, its
//! OpenID Connect redirect URIs, the level a sign-in needs, a new client secret. Each
//! checks all it was given before it stores anything, and writes one audit row naming
//! who did it (`actor`) and what changed; a secret is answered once and never logged.

use super::clients::{self, ClientError, Registration};
use crate::amr::Level;
use crate::audit::{self, Method};
use crate::db::Pool;
use crate::systems::{self, SystemError};
use sqlx::Row;

/// What an admin sets of a system.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub code: String,
    pub name: String,
    /// Where the system lives; empty when unknown.
    pub url: String,
    /// Its OpenID Connect client registration; `None` leaves it (or its absence) as is.
    pub client: Option<Registration>,
    /// What a sign-in to it needs; `None` keeps it (a new system: one-factor).
    pub require: Option<Level>,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SystemAdminError {
    #[error("there is a system {0} already: change it on its own page")]
    Exists(String),
    #[error("no system {0:?}")]
    NoSystem(String),
    #[error(transparent)]
    System(SystemError),
    #[error(transparent)]
    Client(ClientError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

impl From<SystemError> for SystemAdminError {
    fn from(error: SystemError) -> Self {
        match error {
            SystemError::Db(error) => SystemAdminError::Db(error),
            error => SystemAdminError::System(error),
        }
    }
}

impl From<ClientError> for SystemAdminError {
    fn from(error: ClientError) -> Self {
        match error {
            ClientError::Database(error) => SystemAdminError::Db(error),
            error => SystemAdminError::Client(error),
        }
    }
}

/// A system as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub system: systems::System,
    pub level: Level,
    /// `None`: no OpenID Connect client; `Some(true)`: a public one (PKCE alone).
    pub public_client: Option<bool>,
}

/// Adds system `settings.code`; refuses a code that exists. Answers the new client's
/// secret, if one was made.
pub async fn add(
    pool: &Pool,
    settings: &Settings,
    actor: &str,
    now: i64,
) -> Result<Option<String>, SystemAdminError> {
    if find(pool, &settings.code).await?.is_some() {
        return Err(SystemAdminError::Exists(settings.code.clone()));
    }
    put(pool, settings, actor, now).await
}

/// Changes system `settings.code`; refuses a code that does not exist.
pub async fn change(
    pool: &Pool,
    settings: &Settings,
    actor: &str,
    now: i64,
) -> Result<Option<String>, SystemAdminError> {
    if find(pool, &settings.code).await?.is_none() {
        return Err(SystemAdminError::NoSystem(settings.code.clone()));
    }
    put(pool, settings, actor, now).await
}

/// Adds system `settings.code`, or changes it when it exists (`system add`).
pub async fn put(
    pool: &Pool,
    settings: &Settings,
    actor: &str,
    now: i64,
) -> Result<Option<String>, SystemAdminError> {
    if let Some(registration) = &settings.client {
        registration.check()?;
    }
    let code = settings.code.as_str();
    let before = find(pool, code).await?;
    let client_before = clients::find(pool, code).await?;
    systems::put(pool, code, &settings.name, &settings.url).await?;
    if let Some(level) = settings.require {
        systems::require(pool, code, level).await?;
    }
    let secret = match &settings.client {
        Some(registration) => clients::register(pool, code, registration, now).await?,
        None => None,
    };
    let mut changed = Vec::new();
    match &before {
        None => changed.push("added".to_owned()),
        Some((system, _)) => {
            if system.name != settings.name.trim() {
                changed.push("name".to_owned());
            }
            if system.url != settings.url {
                changed.push("url".to_owned());
            }
        }
    }
    if let Some(registration) = &settings.client {
        let uris = |client: &clients::Client| {
            (
                client.redirect_uris.clone(),
                client.post_logout_redirect_uris.clone(),
            )
        };
        let mut asked = (
            registration.redirect_uris.clone(),
            registration.post_logout_redirect_uris.clone(),
        );
        asked.0.sort();
        asked.0.dedup();
        asked.1.sort();
        asked.1.dedup();
        match &client_before {
            None => changed.push("client registered".to_owned()),
            Some(client) if uris(client) != asked => changed.push("redirect URIs".to_owned()),
            Some(_) => {}
        }
    }
    let level_before = before.map(|(_, level)| level).unwrap_or_default();
    if let Some(level) = settings.require.filter(|level| *level != level_before) {
        changed.push(format!("level {level}"));
    }
    if secret.is_some() {
        changed.push("secret made".to_owned());
    }
    if changed.is_empty() {
        changed.push("saved unchanged".to_owned());
    }
    record(pool, code, &changed.join(", "), actor, now).await?;
    Ok(secret)
}

/// From now on a sign-in to system `code` needs `level` (`system require`).
pub async fn require(
    pool: &Pool,
    code: &str,
    level: Level,
    actor: &str,
    now: i64,
) -> Result<(), SystemAdminError> {
    systems::require(pool, code, level).await?;
    record(pool, code, &format!("level {level}"), actor, now).await?;
    Ok(())
}

/// A new secret for client `code`, answered once; the old one stops working at once
/// (`system secret`).
pub async fn replace_secret(
    pool: &Pool,
    code: &str,
    actor: &str,
    now: i64,
) -> Result<String, SystemAdminError> {
    let secret = clients::replace_secret(pool, code).await?;
    record(pool, code, "secret replaced", actor, now).await?;
    Ok(secret)
}

/// The audit row of a change to system `code`: what changed, and who changed it.
async fn record(
    pool: &Pool,
    code: &str,
    detail: &str,
    actor: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut entry = audit::Entry::new(Method::SystemAdmin);
    entry.set_outcome(Ok(()));
    entry.system = Some(code.to_owned());
    entry.actor = Some(actor.to_owned());
    entry.detail = Some(detail.to_owned());
    audit::record(pool, &entry, now).await
}

const LISTED: &str = "SELECT s.code, s.name, s.url, s.required_level, c.system_code AS client, \
     c.secret_hash FROM systems s LEFT JOIN oidc_clients c ON c.system_code = s.code";

fn listed(row: &sqlx::any::AnyRow) -> Result<Listed, sqlx::Error> {
    let level: String = row.try_get("required_level")?;
    let client: Option<String> = row.try_get("client")?;
    let secret: Option<String> = row.try_get("secret_hash")?;
    Ok(Listed {
        system: systems::System {
            code: row.try_get("code")?,
            name: row.try_get("name")?,
            url: row.try_get("url")?,
        },
        level: Level::parse(&level).map_err(|unknown| sqlx::Error::Decode(unknown.into()))?,
        public_client: client.map(|_| secret.is_none()),
    })
}

/// System `code`, with its level and kind of client.
pub async fn one(pool: &Pool, code: &str) -> Result<Option<Listed>, sqlx::Error> {
    let sql = format!("{LISTED} WHERE s.code = $1");
    sqlx::query(&sql)
        .bind(code)
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(listed)
        .transpose()
}

/// At most `limit` systems from the `offset`th, by code.
pub async fn page(pool: &Pool, offset: i64, limit: i64) -> Result<Vec<Listed>, sqlx::Error> {
    let sql = format!("{LISTED} ORDER BY s.code LIMIT $1 OFFSET $2");
    sqlx::query(&sql)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await?
        .iter()
        .map(listed)
        .collect()
}

async fn find(pool: &Pool, code: &str) -> Result<Option<(systems::System, Level)>, sqlx::Error> {
    Ok(one(pool, code)
        .await?
        .map(|listed| (listed.system, listed.level)))
}
