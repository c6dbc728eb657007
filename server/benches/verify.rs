//! Card-login verifications per second through the real server binary: 200 concurrent
//! clients (one enrolled agent each, counters rising within each client's sequence) post
//! pre-signed assertions to `POST /api/v1/card-logins`; throughput, p50/p99/max latency,
//! non-200 answers, audit rows written, and the server's peak RSS.
//!
//! `cargo bench -p thaiid-server --bench verify` runs it on a SQLite file, and also on a
//! fresh PostgreSQL database when `THAIID_TEST_POSTGRES` names an admin URL whose role may
//! create databases (scripts/bench.sh starts one). `THAIID_BENCH_REQUESTS` (default 20000)
//! and `THAIID_BENCH_CLIENTS` (default 200) change the load. Exits non-zero if any answer
//! was not 200 or an audit row is missing.

use setup::server::Server;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use thaiid_server::db;
use thaiid_server::test_support::{free_port, fresh_postgres};

mod setup;

struct Load {
    clients: usize,
    per_client: usize,
}

impl Load {
    fn total(&self) -> usize {
        self.clients * self.per_client
    }
}

struct Figures {
    database: &'static str,
    sent: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    failed: usize,
    first_failure: Option<String>,
    audit_rows: i64,
    peak_rss_kib: u64,
    /// CPU seconds (user + system) during the run: the server's, and the load generator's.
    server_cpu: f64,
    bench_cpu: f64,
}

fn env_count(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a positive number, not {value:?}")),
        Err(_) => default,
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let clients = env_count("THAIID_BENCH_CLIENTS", 200).max(1);
    let requests = env_count("THAIID_BENCH_REQUESTS", 20_000);
    // reqwest is built without a default TLS provider (ring only: aws-lc breaks Windows);
    // the clients speak plain http:// but reqwest wants one at build time.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let load = Load {
        clients,
        per_client: requests.div_ceil(clients).max(1),
    };

    let dir = tempfile::tempdir().expect("a temporary directory");
    let sqlite = format!("sqlite:{}", dir.path().join("bench.db").display());
    let mut all = vec![run("SQLite", &sqlite, &load, dir.path()).await];
    if let Ok(admin) = std::env::var("THAIID_TEST_POSTGRES") {
        let (url, name) = fresh_postgres(&admin).await;
        all.push(run("PostgreSQL", &url, &load, dir.path()).await);
        drop_postgres(&admin, &name).await;
    } else {
        eprintln!("THAIID_TEST_POSTGRES is not set: PostgreSQL skipped");
    }

    report(&all, &load);
    let ok = all
        .iter()
        .all(|f| f.failed == 0 && f.audit_rows == f.sent as i64);
    if ok {
        ExitCode::SUCCESS
    } else {
        for f in all.iter().filter(|f| f.failed > 0) {
            eprintln!(
                "{}: {} requests failed; first: {}",
                f.database,
                f.failed,
                f.first_failure.as_deref().unwrap_or("?")
            );
        }
        for f in all.iter().filter(|f| f.audit_rows != f.sent as i64) {
            eprintln!(
                "{}: {} requests sent but {} card audit rows",
                f.database, f.sent, f.audit_rows
            );
        }
        ExitCode::FAILURE
    }
}

/// Sets up `url` through the library, starts the server on it, and runs the load.
async fn run(database: &'static str, url: &str, load: &Load, scratch: &std::path::Path) -> Figures {
    let pool = db::open(url).await.expect("the database opens");
    setup::account(&pool, scratch).await;
    let keys = setup::enroll(&pool, load.clients).await;
    let nonces = setup::issue_nonces(&pool, load.clients, load.per_client).await;
    let started_signing = Instant::now();
    let assertions = setup::sign_all(&keys, &nonces);
    eprintln!(
        "{database}: {} assertions signed in {:.1} s (not measured)",
        load.total(),
        started_signing.elapsed().as_secs_f64()
    );

    let port = free_port();
    let log = scratch.join(format!("server-{database}.log"));
    let mut server = Server::start(url, port, &log);
    server.wait_ready(port).await;
    let base = format!("http://127.0.0.1:{port}");

    let barrier = Arc::new(tokio::sync::Barrier::new(load.clients + 1));
    let mut tasks = Vec::with_capacity(load.clients);
    for sequence in assertions {
        // Built here, so that a failure ends the run instead of leaving the barrier waiting.
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .timeout(Duration::from_secs(30))
            .build()
            .expect("an HTTP client");
        let barrier = barrier.clone();
        let base = base.clone();
        tasks.push(tokio::spawn(client(http, base, sequence, barrier)));
    }
    barrier.wait().await;
    let started = Instant::now();
    let cpu_before = (cpu_secs("self"), cpu_secs(&server.0.id().to_string()));
    let mut latencies = Vec::with_capacity(load.total());
    let mut failed = 0;
    let mut first_failure = None;
    for task in tasks {
        let outcome = task.await.expect("a client task");
        latencies.extend(outcome.latencies);
        failed += outcome.failed;
        first_failure = first_failure.or(outcome.first_failure);
    }
    let elapsed = started.elapsed();
    let server_cpu = cpu_secs(&server.0.id().to_string()) - cpu_before.1;
    let bench_cpu = cpu_secs("self") - cpu_before.0;
    let peak_rss_kib = server.peak_rss_kib();
    server.stop();

    let audit_rows: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE method = 'card'")
            .fetch_one(&pool)
            .await
            .expect("the audit log counts");
    pool.close().await;
    if failed > 0 {
        eprintln!("{database}: server log in {}", log.display());
        if let Ok(text) = std::fs::read_to_string(&log) {
            for line in text
                .lines()
                .filter(|l| !l.contains("ticket issued"))
                .take(20)
            {
                eprintln!("  {line}");
            }
        }
    }
    latencies.sort();
    Figures {
        database,
        sent: load.total(),
        elapsed,
        latencies,
        failed,
        first_failure,
        audit_rows,
        peak_rss_kib,
        server_cpu,
        bench_cpu,
    }
}

struct ClientOutcome {
    latencies: Vec<Duration>,
    failed: usize,
    first_failure: Option<String>,
}

/// One agent: its own keep-alive connection, opened before the clock starts, then its
/// assertions one after another.
async fn client(
    http: reqwest::Client,
    base: String,
    sequence: Vec<String>,
    barrier: Arc<tokio::sync::Barrier>,
) -> ClientOutcome {
    // Any answer opens the connection; this path touches no table.
    let _ = http.get(format!("{base}/")).send().await;
    barrier.wait().await;
    let url = format!("{base}/api/v1/card-logins");
    let mut outcome = ClientOutcome {
        latencies: Vec::with_capacity(sequence.len()),
        failed: 0,
        first_failure: None,
    };
    for token in sequence {
        let started = Instant::now();
        let answer = http
            .post(&url)
            .header("content-type", "application/jose")
            .body(token)
            .send()
            .await;
        let problem = match answer {
            Ok(response) => {
                let status = response.status();
                let body = response.bytes().await;
                match body {
                    Ok(_) if status == 200 => None,
                    Ok(body) => Some(format!("{status}: {}", String::from_utf8_lossy(&body))),
                    Err(error) => Some(error.to_string()),
                }
            }
            Err(error) => Some(error.to_string()),
        };
        outcome.latencies.push(started.elapsed());
        if let Some(problem) = problem {
            outcome.failed += 1;
            outcome.first_failure.get_or_insert(problem);
        }
    }
    outcome
}

/// User + system CPU seconds of `/proc/<pid>` so far.
fn cpu_secs(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/PID/stat");
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are the 14th and 15th fields, the 12th and 13th after the name.
    (ticks(11) + ticks(12)) as f64 / clock_ticks_per_sec()
}

/// `getconf CLK_TCK` (the server crate forbids `unsafe`, so no `sysconf` here); 100,
/// Linux's value, if it cannot say.
fn clock_ticks_per_sec() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .and_then(|ticks| ticks.trim().parse::<f64>().ok())
            .filter(|ticks| *ticks > 0.0)
            .unwrap_or(100.0)
    })
}

async fn drop_postgres(admin: &str, name: &str) {
    if let Ok(pool) = sqlx::AnyPool::connect(admin).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&pool)
            .await;
        pool.close().await;
    }
}

fn report(all: &[Figures], load: &Load) {
    let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
    println!();
    println!(
        "card-login verifications: {} clients x {} assertions each, {} cores",
        load.clients,
        load.per_client,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
    println!("| database | verifications/s | p50 | p99 | max | non-200 | requests sent | card audit rows | server peak RSS | server CPU | load generator CPU |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for f in all {
        let at = |p: usize| f.latencies[(f.latencies.len() - 1) * p / 100];
        println!(
            "| {} | {:.0} | {} | {} | {} | {} | {} | {} | {:.1} MiB | {:.0} µs/verification | {:.0} µs/request |",
            f.database,
            f.sent as f64 / f.elapsed.as_secs_f64(),
            ms(at(50)),
            ms(at(99)),
            ms(*f.latencies.last().unwrap()),
            f.failed,
            f.sent,
            f.audit_rows,
            f.peak_rss_kib as f64 / 1024.0,
            f.server_cpu * 1e6 / f.sent as f64,
            f.bench_cpu * 1e6 / f.sent as f64,
        );
    }
}
