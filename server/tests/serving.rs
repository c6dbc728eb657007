//! How the server holds up: a database outage answers "the server failed", not a
//! refusal; the client's address comes from `X-Forwarded-For` only through a trusted
//! proxy; a client that sends half its headers, or half its body, is cut off.

use thaiid_server::on_both_databases;
mod support;

use axum::http::StatusCode;
use std::io::{Read, Write};
use std::time::{Duration, Instant};
use support::browser::{browser, code_now, Browser, SITE};
use support::{TestAgent, TestCard, TestDb};
use thaiid_server::http::proxies::TrustedProxies;
use thaiid_server::http::AppState;
use thaiid_server::throttle::PER_ADDRESS;
use thaiid_server::{audit, demo};

on_both_databases!(a_database_outage_is_a_server_error_not_a_refusal);

/// The words of the page that says the server failed.
const FAILED: &str = "ระบบขัดข้องชั่วคราว";

async fn a_database_outage_is_a_server_error_not_a_refusal(db: TestDb) {
    let mut b = browser(&db).await;
    b.password(demo::PASSWORD).await;
    b.otp(&code_now(&b)).await;
    let csrf = b.get("/permissions").await.csrf();
    let request = [
        ("system", "03010101"),
        ("change", "grant"),
        ("reason", "ย้ายไปกองคลัง"),
        ("csrf", csrf.as_str()),
    ];
    // The request cannot be stored: that is the server's failure, not the person's.
    sqlx::query("DROP TABLE permission_requests")
        .execute(&db.pool)
        .await
        .unwrap();
    let page = b.post("/permissions", &request).await;
    assert_eq!(
        page.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        page.body
    );
    assert!(page.body.contains(FAILED), "{}", page.body);
    assert!(!page.body.contains("choose a system"), "{}", page.body);

    // The card logins' audit log cannot be written: the card-login API says the server
    // failed (on SQLite through its own writer connection, not the pool).
    sqlx::query("DROP TABLE audit_log")
        .execute(&db.pool)
        .await
        .unwrap();
    // (An enrolled agent's refusal: garbage is only counted, and written once a minute.)
    let agent = TestAgent::enroll(&db.pool, "ws-1").await;
    let elsewhere = agent.assert("https://elsewhere.example", "n", &TestCard::demo());
    let (status, body) = b.agent_posts(elsewhere).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["error"]["code"], "INTERNAL");

    // No database at all: every page and the pool's API say the server failed.
    db.pool.close().await;
    for path in ["/systems", "/permissions", "/me", "/login"] {
        let page = b.get(path).await;
        assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        assert!(page.body.contains(FAILED), "{path}: {}", page.body);
    }
    let page = b.post("/permissions", &request).await;
    assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR);
    let (status, body) = b.call("/login/card/nonce", &csrf).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["error"]["code"], "INTERNAL");
}

/// A browser whose requests reach the server from `peer`, behind `trusted` proxies.
async fn browser_behind(db: &TestDb, trusted: &str, peer: &str) -> Browser {
    let mut b = browser(db).await;
    let state = AppState::new(db.pool.clone(), SITE, b.otp_key.clone(), b.card_key.clone())
        .unwrap()
        .with_trusted_proxies(TrustedProxies::parse(trusted).unwrap());
    b.router = thaiid_server::app::router(state);
    b.peer = Some(peer.parse().unwrap());
    b
}

/// `PER_ADDRESS` wrong passwords, each for another name so that no account's own limit
/// is reached first.
async fn guess_until_the_address_is_throttled(b: &mut Browser) {
    for i in 0..PER_ADDRESS {
        let wrong = b
            .password_as(&format!("nobody{i}"), "not-the-password")
            .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "guess {i}");
    }
    let throttled = b.password_as("nobody-more", "not-the-password").await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
}

async fn remotes(b: &Browser) -> Vec<String> {
    let mut rows = audit::recent(&b.pool, 1000).await.unwrap();
    rows.retain(|row| row.entry.method == audit::Method::Password);
    let mut remotes: Vec<String> = rows
        .into_iter()
        .filter_map(|row| row.entry.remote)
        .collect();
    remotes.sort();
    remotes.dedup();
    remotes
}

#[tokio::test]
async fn behind_a_trusted_proxy_guesses_count_against_the_forwarded_address() {
    let db = support::sqlite().await;
    let mut b = browser_behind(&db, "10.0.0.0/8", "10.0.0.1:40000").await;
    b.forwarded_for = Some("203.0.113.5".into());
    guess_until_the_address_is_throttled(&mut b).await;
    // Another person behind the same proxy (and a second proxy hop) is not locked out.
    b.forwarded_for = Some("198.51.100.20, 203.0.113.6, 10.0.0.2".into());
    let other = b.password_as("nobody-else", "not-the-password").await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED);
    assert_eq!(remotes(&b).await, ["203.0.113.5", "203.0.113.6"]);
}

#[tokio::test]
async fn an_untrusted_peers_forwarded_for_is_ignored() {
    let db = support::sqlite().await;
    let mut b = browser_behind(&db, "10.0.0.0/8", "198.51.100.7:40000").await;
    b.forwarded_for = Some("203.0.113.5".into());
    guess_until_the_address_is_throttled(&mut b).await;
    // A new X-Forwarded-For does not make a new client.
    b.forwarded_for = Some("203.0.113.99".into());
    let still = b.password_as("nobody-else", "not-the-password").await;
    assert_eq!(still.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(remotes(&b).await, ["198.51.100.7"]);
}

/// The server on a port of its own, giving clients `timeout` for headers and bodies.
fn serve(db: &TestDb, timeout: Duration) -> (std::net::SocketAddr, axum_server::Handle) {
    let state = AppState::new(
        db.pool.clone(),
        SITE,
        thaiid_server::otp_key::OtpKey::generate(),
        thaiid_server::card_key::CardKey::generate(),
    )
    .unwrap()
    .with_body_deadline(timeout);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let handle = axum_server::Handle::new();
    tokio::spawn(thaiid_server::http::serve::serve(
        listener,
        None,
        thaiid_server::app::router(state),
        handle.clone(),
        timeout,
    ));
    (address, handle)
}

#[tokio::test]
async fn a_client_that_sends_half_a_header_is_cut_off() {
    let db = support::sqlite().await;
    let timeout = Duration::from_secs(1);
    let (address, handle) = serve(&db, timeout);
    let answered = tokio::task::spawn_blocking(move || {
        // A whole request is served.
        let mut whole = std::net::TcpStream::connect(address).unwrap();
        whole
            .write_all(b"GET /login HTTP/1.1\r\nHost: sso\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut answer = String::new();
        whole.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        // Half a header: the server hangs up once the timeout has passed.
        let mut half = std::net::TcpStream::connect(address).unwrap();
        half.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        half.write_all(b"GET /login HTTP/1.1\r\nHost: ss").unwrap();
        let started = Instant::now();
        let mut rest = Vec::new();
        let _ = half.read_to_end(&mut rest);
        started.elapsed()
    })
    .await
    .unwrap();
    assert!(
        answered >= timeout / 2 && answered < Duration::from_secs(5),
        "cut off after {answered:?}"
    );
    handle.shutdown();
}

#[tokio::test]
async fn a_client_that_sends_half_a_body_is_refused_in_time() {
    let db = support::sqlite().await;
    let timeout = Duration::from_secs(1);
    let (address, handle) = serve(&db, timeout);
    let (answer, took) = tokio::task::spawn_blocking(move || {
        let mut slow = std::net::TcpStream::connect(address).unwrap();
        slow.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        slow.write_all(
            b"POST /api/v1/agents/enroll HTTP/1.1\r\nHost: sso\r\n\
              Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"token\"",
        )
        .unwrap();
        let started = Instant::now();
        let mut answer = Vec::new();
        let mut buffer = [0u8; 1024];
        // The answer comes while the connection is still open for the rest of the body.
        while !String::from_utf8_lossy(&answer).contains("BODY_TIMEOUT") {
            match slow.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
        (
            String::from_utf8_lossy(&answer).into_owned(),
            started.elapsed(),
        )
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("BODY_TIMEOUT"), "{answer}");
    assert!(
        took >= timeout / 2 && took < Duration::from_secs(5),
        "{took:?}"
    );
    handle.shutdown();
}
