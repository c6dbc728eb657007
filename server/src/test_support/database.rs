//! A fresh database per test, on SQLite (a temporary file) or on the PostgreSQL that
//! scripts/test.sh starts (`THAIID_TEST_POSTGRES`, a role that may create databases).

use crate::db;

/// Which database a test server runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Database {
    Sqlite,
    Postgres,
}

pub struct TestDb {
    pub pool: db::Pool,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    /// After the pool (fields drop in order): the PostgreSQL database goes with the test.
    _dropped: Option<DroppedDatabase>,
}

/// A test's PostgreSQL database, dropped when the test ends, so that runs do not leave
/// hundreds of databases (8 MB each) behind.
struct DroppedDatabase {
    admin: String,
    name: String,
}

impl Drop for DroppedDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // A thread of its own: the test's runtime may be the one being dropped.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let pool = sqlx::AnyPool::connect(&admin).await.ok()?;
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                let done = sqlx::query(&sql).execute(&pool).await;
                pool.close().await;
                done.ok()
            })
        });
        // Best effort: a database left behind is only disk.
        let _ = dropped.join();
    }
}

impl DroppedDatabase {
    fn new(admin: &str, name: String) -> Option<DroppedDatabase> {
        let admin = admin.to_owned();
        Some(DroppedDatabase { admin, name })
    }
}

impl TestDb {
    pub async fn new(database: Database) -> TestDb {
        match database {
            Database::Sqlite => sqlite().await,
            Database::Postgres => postgres().await,
        }
    }
}

impl TestDb {
    /// A fresh database as a server of migration `version` left it, with `before` (SQL
    /// statements: that server's rows) run on it, then opened by this server (the later
    /// migrations applied): how an upgrade meets old data.
    pub async fn upgraded(database: Database, version: i64, before: &[String]) -> TestDb {
        let (url, dir, dropped) = match database {
            Database::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let path = dir.path().join("server.db");
                (
                    format!("sqlite:{}?mode=rwc", path.display()),
                    Some(dir),
                    None,
                )
            }
            Database::Postgres => {
                let admin = std::env::var("THAIID_TEST_POSTGRES")
                    .expect("THAIID_TEST_POSTGRES is not set: run scripts/test.sh");
                let (url, name) = fresh_postgres(&admin).await;
                (url, None, DroppedDatabase::new(&admin, name))
            }
        };
        sqlx::any::install_default_drivers();
        let old = sqlx::AnyPool::connect(&url)
            .await
            .expect("the database opens");
        let mut migrator = sqlx::migrate!("./migrations");
        migrator.migrations = migrator
            .migrations
            .iter()
            .filter(|migration| migration.version <= version)
            .cloned()
            .collect::<Vec<_>>()
            .into();
        migrator.run(&old).await.expect("the old migrations run");
        for statement in before {
            sqlx::query(statement)
                .execute(&old)
                .await
                .expect("the old server's rows are written");
        }
        old.close().await;
        TestDb {
            pool: db::open(&url)
                .await
                .expect("the upgrade opens the database"),
            url,
            _dir: dir,
            _dropped: dropped,
        }
    }
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite:{}", dir.path().join("server.db").display());
    TestDb {
        pool: db::open(&url).await.expect("a new SQLite file opens"),
        url,
        _dir: Some(dir),
        _dropped: None,
    }
}

pub async fn postgres() -> TestDb {
    let admin = std::env::var("THAIID_TEST_POSTGRES")
        .expect("THAIID_TEST_POSTGRES is not set: run scripts/test.sh, which starts PostgreSQL");
    let (url, name) = fresh_postgres(&admin).await;
    TestDb {
        pool: db::open(&url).await.expect("the new database opens"),
        url,
        _dir: None,
        _dropped: DroppedDatabase::new(&admin, name),
    }
}

/// A new, empty database through `admin` (a role that may create databases): its URL
/// and its name.
pub async fn fresh_postgres(admin: &str) -> (String, String) {
    let name = format!(
        "thaiid_test_{}",
        thaiid_protocol::hex::lower(&crate::random_bytes::<8>())
    );
    let url = db::create_postgres_database(admin, &name)
        .await
        .expect("PostgreSQL answers at THAIID_TEST_POSTGRES");
    (url, name)
}
