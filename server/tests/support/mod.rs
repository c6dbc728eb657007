//! A fresh database per test, on SQLite (a temporary file) or on the PostgreSQL that
//! scripts/test.sh starts (`THAIID_TEST_POSTGRES`, a role that may create databases).

// Each test binary includes this module and uses a part of it.
#![allow(dead_code)]

use thaiid_server::db;

pub struct TestDb {
    pub pool: db::Pool,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("server.db").display());
    TestDb {
        pool: db::open(&url).await.unwrap(),
        url,
        _dir: Some(dir),
    }
}

pub async fn postgres() -> TestDb {
    let admin = std::env::var("THAIID_TEST_POSTGRES")
        .expect("THAIID_TEST_POSTGRES is not set: run scripts/test.sh, which starts PostgreSQL");
    let mut name = [0u8; 8];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut name).unwrap();
    let name = format!("thaiid_test_{}", thaiid_protocol::hex::lower(&name));
    let url = db::create_postgres_database(&admin, &name)
        .await
        .expect("PostgreSQL answers");
    TestDb {
        pool: db::open(&url).await.unwrap(),
        url,
        _dir: None,
    }
}

/// Runs an `async fn(TestDb)` test on both databases.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name(super::support::sqlite().await).await
                }
                #[tokio::test]
                async fn postgres() {
                    super::$name(super::support::postgres().await).await
                }
            }
        )*
    };
}
