//! The assertions scripts/bench-server.sh has wrk post, and the check after the run.
//!
//! `cargo bench -p thaiid-server --bench wrk_assertions -- prepare DIR COUNT` sets up the
//! database at `DATABASE_URL` (default: a SQLite file in DIR) through the library: the
//! account and its registered card (the card key in `DIR/card.key`), COUNT agents and
//! COUNT nonces, then signs one assertion per agent (each a distinct agent, nonce and
//! jti, counter 1) into `DIR/assertions.txt`, one per line. They are valid for 90 s.
//!
//! `… -- createdb ADMIN_URL` makes a fresh PostgreSQL database and prints its URL.
//!
//! `… -- check DIR ACCEPTED` counts, after the run: card audit rows that say OK, tickets,
//! spent jtis and nonces, and fails unless each accepted login has its audit row and its
//! ticket and nothing was spent twice.

use std::process::ExitCode;
use std::time::Instant;
use thaiid_server::db;

mod setup;

#[tokio::main]
async fn main() -> ExitCode {
    // cargo bench passes --bench to harness-less benches.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| arg != "--bench")
        .collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["prepare", dir, count] => {
            let count = count.parse().expect("COUNT is a number");
            prepare(std::path::Path::new(dir), count).await;
            ExitCode::SUCCESS
        }
        ["createdb", admin] => {
            let name = format!("thaiid_bench_{}", std::process::id());
            let url = db::create_postgres_database(admin, &name)
                .await
                .expect("PostgreSQL makes the database");
            println!("{url}");
            ExitCode::SUCCESS
        }
        ["check", dir, accepted] => {
            check(
                std::path::Path::new(dir),
                accepted.parse().expect("a number"),
            )
            .await
        }
        _ => {
            eprintln!(
                "usage: wrk_assertions prepare DIR COUNT | check DIR ACCEPTED | createdb ADMIN_URL"
            );
            ExitCode::FAILURE
        }
    }
}

fn database_url(dir: &std::path::Path) -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite:{}", dir.join("bench.db").display()))
}

async fn prepare(dir: &std::path::Path, count: usize) {
    let pool = db::open(&database_url(dir))
        .await
        .expect("the database opens");
    setup::account(&pool, dir).await;
    let started = Instant::now();
    let keys = setup::enroll(&pool, count).await;
    eprintln!(
        "{count} agents enrolled in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let nonces = setup::issue_nonces(&pool, count, 1).await;
    let assertions = setup::sign_all(&keys, &nonces);
    eprintln!(
        "{count} nonces issued and assertions signed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut text = String::with_capacity(count * 1100);
    for token in assertions.iter().flatten() {
        text.push_str(token);
        text.push('\n');
    }
    std::fs::write(dir.join("assertions.txt"), text).expect("the assertions file");
    pool.close().await;
}

async fn check(dir: &std::path::Path, accepted: i64) -> ExitCode {
    let pool = db::open(&database_url(dir))
        .await
        .expect("the database opens");
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .expect("a count")
        }
    };
    let audit_ok =
        count("SELECT COUNT(*) FROM audit_log WHERE method = 'card' AND outcome = 'OK'").await;
    let audit_all = count("SELECT COUNT(*) FROM audit_log WHERE method = 'card'").await;
    let tickets = count("SELECT COUNT(*) FROM tickets").await;
    let jtis = count("SELECT COUNT(*) FROM assertion_ids").await;
    let nonces = count("SELECT COUNT(*) FROM nonces WHERE used_at IS NOT NULL").await;
    println!(
        "accepted (HTTP 200): {accepted}; card audit rows: {audit_all}, of which OK: {audit_ok}; \
         tickets: {tickets}; spent jtis: {jtis}; spent nonces: {nonces}"
    );
    pool.close().await;
    if audit_ok == accepted && tickets == accepted && jtis >= accepted && nonces >= accepted {
        ExitCode::SUCCESS
    } else {
        eprintln!("MISMATCH: every accepted login needs one OK audit row and one ticket");
        ExitCode::FAILURE
    }
}
