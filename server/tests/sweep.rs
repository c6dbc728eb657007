//! The sweep deletes what has expired, keeps one-time values an hour past their expiry
//! so that late attempts are still told why, and leaves everything alive alone.

use thaiid_server::sessions;
use thaiid_server::sweep::{self, Swept, KEEP_EXPIRED_SECS};
use thaiid_server::throttle::{self, Attempt, Guess, WINDOW_SECS};
use thaiid_server::{challenges, db, demo, password_resets, reset_codes, users};

use support::TestDb;
use thaiid_server::on_both_databases;
mod support;

on_both_databases!(only_what_expired_is_deleted);

async fn count(pool: &db::Pool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn only_what_expired_is_deleted(db: TestDb) {
    let pool = &db.pool;
    let now = thaiid_server::now();
    let long_ago = now - KEEP_EXPIRED_SECS - challenges::NONCE_TTL_SECS - 1;

    sessions::create(pool, None, now - sessions::TTL_SECS)
        .await
        .unwrap();
    sessions::create(pool, None, now - 60).await.unwrap();
    challenges::issue(pool, "https://sso.example", "s1", long_ago)
        .await
        .unwrap();
    let late = challenges::issue(pool, "https://sso.example", "s2", now - 600)
        .await
        .unwrap();
    challenges::issue(pool, "https://sso.example", "s3", now)
        .await
        .unwrap();
    for (jti, expires_at) in [("old", long_ago), ("recent", now - 1), ("live", now + 60)] {
        sqlx::query("INSERT INTO assertion_ids (jti, agent_id, expires_at) VALUES ($1, 'a', $2)")
            .bind(jti)
            .bind(expires_at)
            .execute(pool)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO tickets (ticket, session, username, expires_at) VALUES ($1, 's', 'u', $2)",
        )
        .bind(jti)
        .bind(expires_at)
        .execute(pool)
        .await
        .unwrap();
    }
    // Each counts its address, the pair and the account.
    let stale = Guess::new("stale", Some([192, 0, 2, 1].into()));
    throttle::attempt(pool, &stale, now - WINDOW_SECS - 1)
        .await
        .unwrap();
    throttle::attempt(pool, &live("live"), now - 60)
        .await
        .unwrap();

    for (token, expires_at) in [("spent", now - 1), ("live", now + 60)] {
        sqlx::query(
            "INSERT INTO oidc_access_tokens (token_hash, code_hash, client_id, username, \
             expires_at) VALUES ($1, 'c', '01010101', 'u', $2)",
        )
        .bind(token)
        .bind(expires_at)
        .execute(pool)
        .await
        .unwrap();
    }

    // Forgot password: a session's progress lasts minutes, a reset code is kept like a
    // ticket past its expiry.
    users::add(pool, demo::USERNAME, "ทดสอบ", None, now)
        .await
        .unwrap();
    password_resets::begin(
        pool,
        "s-old",
        demo::USERNAME,
        now - password_resets::TTL_SECS,
    )
    .await
    .unwrap();
    password_resets::begin(pool, "s-live", demo::USERNAME, now)
        .await
        .unwrap();
    let code_ago = now - KEEP_EXPIRED_SECS - reset_codes::TTL_SECS - 1;
    reset_codes::issue(pool, demo::USERNAME, code_ago)
        .await
        .unwrap();
    let swept = sweep::expired(pool, now).await.unwrap();
    assert_eq!(
        swept,
        Swept {
            sessions: 1,
            nonces: 1,
            tickets: 1,
            assertion_ids: 1,
            throttle_windows: 3,
            oidc: 1,
            resets: 2,
        }
    );
    for (table, left) in [
        ("sessions", 1),
        ("nonces", 2),
        ("tickets", 2),
        ("assertion_ids", 2),
        ("login_throttle", 3),
        ("oidc_access_tokens", 1),
        ("password_resets", 1),
        ("reset_codes", 0),
    ] {
        assert_eq!(count(pool, table).await, left, "{table}");
    }

    // A nonce kept past its expiry still names the refusal.
    let mut conn = pool.acquire().await.unwrap();
    let refusal = challenges::spend(&mut conn, &late, "https://sso.example", now)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(refusal.code().as_str(), "EXPIRED_NONCE");
    drop(conn);

    // The live address is still counted, and a second sweep finds nothing.
    assert_eq!(sweep::expired(pool, now).await.unwrap().total(), 0);
    for n in 1..throttle::PER_ADDRESS {
        let name = format!("live{n}");
        let attempt = throttle::attempt(pool, &live(&name), now).await.unwrap();
        assert!(matches!(attempt, Attempt::Check { .. }), "{n}");
    }
    let last = throttle::attempt(pool, &live("live-last"), now).await;
    assert!(matches!(last.unwrap(), Attempt::Refused { .. }));
}

/// A guess at `name` from the address that stays counted.
fn live(name: &str) -> Guess<'_> {
    Guess::new(name, Some([192, 0, 2, 2].into()))
}
