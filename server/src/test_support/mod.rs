//! What the tests of every crate need of the server, in one place (feature `test-support`,
//! never in a release build): the real server in this process ([`TestServer`]), a fresh
//! database per test on SQLite or PostgreSQL, an agent whose key the test holds and the
//! claims it signs, and a free port.

mod agent;
mod database;
mod server;

pub use agent::{card_claims, TestAgent, TestCard};
pub use database::{fresh_postgres, postgres, sqlite, Database, TestDb};
pub use server::{Failure, TestServer};

/// A port nothing listens on now (the OS's pick), for a server the test starts.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port on loopback")
        .port()
}

/// Runs an `async fn(TestDb)` test on both databases.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name($crate::test_support::sqlite().await).await
                }
                #[tokio::test]
                async fn postgres() {
                    super::$name($crate::test_support::postgres().await).await
                }
            }
        )*
    };
}
