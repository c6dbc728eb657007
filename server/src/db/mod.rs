//! The database: SQLite (a file, created on first start) or PostgreSQL, by URL, with
//! the migrations applied at open.

pub mod reader;
pub mod store;
pub mod writer;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Connection, Executor};

pub type Pool = AnyPool;

/// How long a PostgreSQL connection may stay idle in the pool and be used unchecked.
const PING_AFTER_IDLE: std::time::Duration = std::time::Duration::from_secs(10);

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
            create_private(std::path::Path::new(path)).map_err(|source| DbError::Open {
                url: url.to_owned(),
                source: sqlx::Error::Io(source),
            })?;
            format!("sqlite:{path}?mode=rwc")
        }
        _ => url.to_owned(),
    };
    let sqlite = url.starts_with("sqlite:");
    let pool = AnyPoolOptions::new()
        .max_connections(8)
        // sqlx pings a connection at every acquire by default: on PostgreSQL a round trip
        // as long as a card login's statement. Only a connection idle for a while is
        // pinged (a restarted server or a dropped route shows there), so under load a
        // login is one round trip; SQLite keeps the default.
        .test_before_acquire(sqlite)
        .before_acquire(move |conn, meta| {
            Box::pin(async move {
                if !sqlite && meta.idle_for > PING_AFTER_IDLE {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
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

/// The file of a SQLite pool, for a connection of its own ([`writer::Writer`]); `None` on
/// PostgreSQL, in memory, or where the path is percent-encoded in the URL (then the pool
/// writes).
pub fn sqlite_file(pool: &Pool) -> Option<std::path::PathBuf> {
    let options = pool.connect_options();
    let url = &options.database_url;
    let path = url.path();
    (url.scheme() == "sqlite" && !path.is_empty() && !path.contains(['%', ':']))
        .then(|| std::path::PathBuf::from(path))
}

/// Is it a PostgreSQL pool (where a card login's writes are one statement)?
pub fn is_postgres(pool: &Pool) -> bool {
    matches!(
        pool.connect_options().database_url.scheme(),
        "postgres" | "postgresql"
    )
}

/// Creates the SQLite file readable by the server's user only (0600 on Unix), before
/// SQLite would with the umask's mode; its WAL and shared-memory files take the same mode.
fn create_private(path: &std::path::Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
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

#[cfg(test)]
mod tests {
    #[tokio::test]
    #[cfg(unix)]
    async fn a_new_sqlite_file_and_its_wal_are_readable_by_the_server_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.db");
        let pool = super::open(&format!("sqlite:{}", path.display()))
            .await
            .unwrap();
        for file in ["server.db", "server.db-wal"] {
            let mode = std::fs::metadata(dir.path().join(file))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{file}");
        }
        pool.close().await;
    }
}
