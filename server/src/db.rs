//! The database: SQLite (a file, created on first start) or PostgreSQL, by URL, with
//! the migrations applied at open.

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

pub type Pool = AnyPool;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot open the database {url}: {source}")]
    Open { url: String, source: sqlx::Error },
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// `sqlite:PATH` (created if missing) or `postgres://…`.
pub async fn open(url: &str) -> Result<Pool, DbError> {
    sqlx::any::install_default_drivers();
    let url = match url.strip_prefix("sqlite:") {
        Some(path) if !path.contains('?') && !path.starts_with(":memory:") => {
            format!("sqlite:{path}?mode=rwc")
        }
        _ => url.to_owned(),
    };
    let sqlite = url.starts_with("sqlite:");
    let pool = AnyPoolOptions::new()
        .max_connections(8)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if sqlite {
                    // WAL: readers do not block the writer, and a commit is one append to
                    // the log; NORMAL syncs at checkpoints, not at each commit (a power cut
                    // may lose the last commits, never corrupt the file). Writers queue on
                    // the busy timeout instead of failing with "database is locked".
                    for pragma in [
                        "PRAGMA journal_mode = WAL",
                        "PRAGMA synchronous = NORMAL",
                        "PRAGMA busy_timeout = 10000",
                    ] {
                        conn.execute(pragma).await?;
                    }
                }
                Ok(())
            })
        })
        .connect(&url)
        .await
        .map_err(|source| DbError::Open {
            url: url.clone(),
            source,
        })?;
    sqlx::migrate!("./migrations").run(&pool).await?;
    Ok(pool)
}

/// Makes a new, empty PostgreSQL database through `admin_url` (a role that may create
/// databases) and answers its URL: tests and benchmarks each get their own.
pub async fn create_postgres_database(admin_url: &str, name: &str) -> Result<String, sqlx::Error> {
    sqlx::any::install_default_drivers();
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(sqlx::Error::Protocol(format!(
            "{name:?} is not a plain database name"
        )));
    }
    let pool = AnyPool::connect(admin_url).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await?;
    pool.close().await;
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url, |(base, _)| base);
    Ok(format!("{base}/{name}"))
}
