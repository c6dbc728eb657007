//! The auditors' export streamed, measured: 100,000 audit rows (a year of a busy office's
//! card logins, refusals and sign-ins to systems, written before the clock starts) are
//! exported through the real server binary as `/admin/audit.csv` and
//! `/admin/audit.jsonl` by an auditor signed in by password + OTP. The server's resident
//! memory (VmRSS) is read before, every 10 ms during, and after each export, with its
//! high-water mark (VmHWM): the export streams if memory grows by far less than the file.
//!
//! `cargo bench -p thaiid-server --bench audit_export` runs it on a SQLite file, and on a
//! fresh PostgreSQL database too when `THAIID_TEST_POSTGRES` names an admin URL.
//! `THAIID_BENCH_AUDIT_ROWS` (default 100000) changes the rows. Exits non-zero if an
//! export misses a row. docs/audit-export.md has the figures.

use setup::server::Server;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use thaiid_server::audit::{self, Entry, Method};
use thaiid_server::otp_key::OtpKey;
use thaiid_server::roles::{self, Role};
use thaiid_server::test_support::{free_port, Database, TestDb};
use thaiid_server::{card_key::CardKey, demo};

mod setup;

struct Export {
    database: &'static str,
    format: &'static str,
    rows: usize,
    bytes: u64,
    elapsed: Duration,
    before_kib: u64,
    during_max_kib: u64,
    after_kib: u64,
    hwm_kib: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rows: usize = match std::env::var("THAIID_BENCH_AUDIT_ROWS") {
        Ok(value) => value
            .parse()
            .unwrap_or_else(|_| panic!("THAIID_BENCH_AUDIT_ROWS: not a number: {value:?}")),
        Err(_) => 100_000,
    };
    let mut all = run("SQLite", Database::Sqlite, rows).await;
    if std::env::var("THAIID_TEST_POSTGRES").is_ok() {
        all.extend(run("PostgreSQL", Database::Postgres, rows).await);
    } else {
        eprintln!("THAIID_TEST_POSTGRES is not set: PostgreSQL skipped");
    }
    println!();
    println!(
        "| database | format | rows | file | time | RSS before | RSS max during | RSS after | VmHWM |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mib = |kib: u64| format!("{:.1} MiB", kib as f64 / 1024.0);
    for e in &all {
        println!(
            "| {} | {} | {} | {:.1} MiB | {:.2} s | {} | {} | {} | {} |",
            e.database,
            e.format,
            e.rows,
            e.bytes as f64 / 1024.0 / 1024.0,
            e.elapsed.as_secs_f64(),
            mib(e.before_kib),
            mib(e.during_max_kib),
            mib(e.after_kib),
            mib(e.hwm_kib),
        );
    }
    // Every row seeded, and the rows of the auditor's own sign-in and exports.
    if all.iter().all(|e| e.rows >= rows) {
        ExitCode::SUCCESS
    } else {
        eprintln!("an export missed rows");
        ExitCode::FAILURE
    }
}

async fn run(name: &'static str, database: Database, rows: usize) -> Vec<Export> {
    let db = TestDb::new(database).await;
    let scratch = tempfile::tempdir().expect("a temporary directory");
    let otp_key = OtpKey::load_or_create(&scratch.path().join("otp.key")).expect("the OTP key");
    let card_key = CardKey::load_or_create(&scratch.path().join("card.key")).expect("card key");
    let now = thaiid_server::now();
    let seeded = demo::seed(&db.pool, &otp_key, &card_key, now)
        .await
        .expect("the demo person");
    roles::grant(&db.pool, demo::USERNAME, &Role::Auditor, audit::CLI, now)
        .await
        .expect("the auditor role");
    let started = Instant::now();
    write_rows(&db, rows, now).await;
    eprintln!(
        "{name}: {rows} audit rows written in {:.1} s (not measured)",
        started.elapsed().as_secs_f64()
    );

    let port = free_port();
    let mut server = Server::start(&db.url, port, &scratch.path().join("server.log"));
    server.wait_ready(port).await;
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    let cookie = sign_in(&http, &base, &seeded).await;
    // The first page once, so that "before" counts a server that has served the console.
    let page = get(&http, &format!("{base}/admin/audit"), &cookie).await;
    assert_eq!(page.status(), 200, "the audit page");

    let mut figures = Vec::new();
    for format in ["csv", "jsonl"] {
        figures.push(export(name, format, &server, &http, &base, &cookie).await);
    }
    server.stop();
    figures
}

/// `rows` rows over the year before `now`, in one transaction.
async fn write_rows(db: &TestDb, rows: usize, now: i64) {
    let year = 365 * 86_400;
    let mut tx = db.pool.begin().await.expect("a transaction");
    for i in 0..rows {
        let (method, outcome) = match i % 10 {
            0 => (Method::Card, "CARD_NOT_REGISTERED"),
            1..=5 => (Method::Card, "OK"),
            6 | 7 => (Method::System, "OK"),
            8 => (Method::Password, "OK"),
            _ => (Method::Otp, "WRONG_OTP"),
        };
        let mut entry = Entry::new(method);
        entry.outcome = outcome.into();
        entry.username = Some(format!("staff{:05}", i % 20_000));
        entry.citizen_id = Some("1-1037-xxxxx-xx-8".into());
        entry.agent_id = Some(format!("agent-{:03}", i % 500));
        entry.remote = Some(format!("10.{}.{}.{}", i % 50, i % 200, i % 250));
        entry.card = Some("xxxxxxxxxx5678".into());
        entry.system = (method == Method::System).then(|| "hr".into());
        let at = now - year + (i as i64 * year / rows.max(1) as i64);
        audit::record(&mut *tx, &entry, at)
            .await
            .expect("an audit row");
    }
    tx.commit().await.expect("the rows commit");
}

async fn get(http: &reqwest::Client, url: &str, cookie: &str) -> reqwest::Response {
    http.get(url)
        .header("cookie", cookie)
        .send()
        .await
        .expect("an answer")
}

/// The session cookie a response sets, if it sets one.
fn set_cookie(response: &reqwest::Response) -> Option<String> {
    let value = response.headers().get("set-cookie")?.to_str().ok()?;
    Some(value.split(';').next()?.to_owned())
}

fn csrf(page: &str) -> String {
    let (_, rest) = page
        .split_once(r#"<meta name="csrf-token" content=""#)
        .expect("a CSRF token");
    rest.split_once('"').expect("its end").0.to_owned()
}

/// Password + OTP, as a browser does: answers the session's cookie.
async fn sign_in(http: &reqwest::Client, base: &str, seeded: &demo::Seeded) -> String {
    let login = get(http, &format!("{base}/login"), "").await;
    let mut cookie = set_cookie(&login).expect("a session cookie");
    let token = csrf(&login.text().await.expect("the login page"));
    let steps = [
        (
            "/login",
            vec![
                ("username", demo::USERNAME.to_owned()),
                ("password", demo::PASSWORD.to_owned()),
                ("csrf", token),
            ],
        ),
        ("/login/otp", Vec::new()),
    ];
    for (path, mut form) in steps {
        if form.is_empty() {
            let page = get(http, &format!("{base}{path}"), &cookie).await;
            let token = csrf(&page.text().await.expect("the OTP page"));
            let code = demo::otp_now(seeded, thaiid_server::now()).expect("a code");
            form = vec![("code", code), ("csrf", token)];
        }
        let answer = http
            .post(format!("{base}{path}"))
            .header("cookie", &cookie)
            .form(&form)
            .send()
            .await
            .expect("an answer");
        assert_eq!(answer.status(), 303, "{path}");
        cookie = set_cookie(&answer).unwrap_or(cookie);
    }
    cookie
}

async fn export(
    database: &'static str,
    format: &'static str,
    server: &Server,
    http: &reqwest::Client,
    base: &str,
    cookie: &str,
) -> Export {
    let before_kib = server.rss_kib();
    let pid = server.0.id();
    let max = Arc::new(AtomicU64::new(before_kib));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (max, done) = (max.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                let now = setup::server::status_kib(pid, "VmRSS:");
                max.fetch_max(now, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let started = Instant::now();
    let mut answer = get(http, &format!("{base}/admin/audit.{format}"), cookie).await;
    assert_eq!(answer.status(), 200, "the {format} export");
    let (mut bytes, mut lines) = (0u64, 0usize);
    while let Some(chunk) = answer.chunk().await.expect("the export's body") {
        bytes += chunk.len() as u64;
        lines += chunk.iter().filter(|&&b| b == b'\n').count();
    }
    let elapsed = started.elapsed();
    done.store(true, Ordering::Relaxed);
    sampler.join().expect("the sampler");
    let rows = if format == "csv" { lines - 1 } else { lines };
    Export {
        database,
        format,
        rows,
        bytes,
        elapsed,
        before_kib,
        during_max_kib: max.load(Ordering::Relaxed),
        after_kib: server.rss_kib(),
        hwm_kib: server.peak_rss_kib(),
    }
}
