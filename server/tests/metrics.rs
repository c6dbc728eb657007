//! The metrics Prometheus scrapes (SPEC §7c), over HTTP on their own listener: a card
//! login and a refused one move the login counters, the refusal's code and the latency
//! histogram. And the real binary with `THAIID_SERVER_LOG_FORMAT=json`: every log line
//! is JSON, and a request's lines carry the request id answered in its header.

mod support;

use std::collections::HashMap;
use support::{TestAgent, TestCard};
use thaiid_server::card_key::CardKey;
use thaiid_server::http::AppState;
use thaiid_server::otp_key::OtpKey;
use thaiid_server::{challenges, demo};

const SITE: &str = "https://sso.example.go.th";

/// reqwest's rustls wants a crypto provider even for plain HTTP.
fn crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// `name{labels}` → value, from the Prometheus text format.
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (name, value) = line.rsplit_once(' ').expect("a sample line");
            (name.to_owned(), value.parse().expect("a number"))
        })
        .collect()
}

async fn scrape(url: &str) -> HashMap<String, f64> {
    let response = reqwest::get(format!("{url}/metrics")).await.unwrap();
    assert_eq!(response.status(), 200);
    let kind = response.headers()["content-type"].to_str().unwrap();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    samples(&response.text().await.unwrap())
}

/// A loopback listener for `router`: its base URL.
async fn listen(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    url
}

#[tokio::test]
async fn a_card_login_and_a_refused_one_move_the_counters() {
    crypto();
    let db = support::sqlite().await;
    let (otp_key, card_key) = (OtpKey::generate(), CardKey::generate());
    demo::seed(&db.pool, &otp_key, &card_key, thaiid_server::now())
        .await
        .unwrap();
    let agent = TestAgent::enroll(&db.pool, "ws-metrics").await;
    let state = AppState::new(db.pool.clone(), SITE, otp_key, card_key).unwrap();
    let metrics = listen(thaiid_server::http::scrape::router(state.metrics.clone())).await;
    let server = listen(thaiid_server::app::router(state)).await;

    let before = scrape(&metrics).await;
    let ok = r#"thaiid_logins_total{method="card",outcome="ok"}"#;
    let refused = r#"thaiid_logins_total{method="card",outcome="refused"}"#;
    assert_eq!(before[ok], 0.0);
    assert_eq!(before[refused], 0.0);
    assert_eq!(before["thaiid_card_login_seconds_count"], 0.0);
    assert_eq!(before["thaiid_card_login_queue_depth"], 0.0);
    assert!(before["thaiid_db_pool_size"] >= 1.0, "{before:?}");
    assert!(before.contains_key("thaiid_db_pool_idle"), "{before:?}");
    assert_eq!(before["thaiid_oidc_codes_issued_total"], 0.0);

    let client = reqwest::Client::new();
    let nonce = challenges::issue(&db.pool, SITE, "session-1", thaiid_server::now())
        .await
        .unwrap();
    let assertion = agent.assert(SITE, &nonce, &TestCard::demo());
    let url = format!("{server}/api/v1/card-logins");
    let accepted = client.post(&url).body(assertion).send().await.unwrap();
    assert_eq!(accepted.status(), 200, "{}", accepted.text().await.unwrap());
    let refusal = client.post(&url).body("a.b.c").send().await.unwrap();
    assert_eq!(refusal.status(), 400);
    let body: serde_json::Value = refusal.json().await.unwrap();
    let code = body["error"]["code"].as_str().unwrap().to_owned();

    let after = scrape(&metrics).await;
    assert_eq!(after[ok], 1.0);
    assert_eq!(after[refused], 1.0);
    let by_code = format!(r#"thaiid_card_login_refusals_total{{code="{code}"}}"#);
    assert_eq!(after.get(&by_code), Some(&1.0), "{after:?}");
    assert_eq!(after["thaiid_card_login_seconds_count"], 2.0);
    assert_eq!(after[r#"thaiid_card_login_seconds_bucket{le="+Inf"}"#], 2.0);
    assert!(after["thaiid_card_login_seconds_sum"] > 0.0);
    assert_eq!(after["thaiid_card_login_queue_depth"], 0.0);
    // Only the card logins were counted.
    let password = r#"thaiid_logins_total{method="password",outcome="ok"}"#;
    assert_eq!(after[password], 0.0);
}

#[tokio::test]
async fn password_and_otp_logins_and_oidc_codes_are_counted_once() {
    let db = support::sqlite().await;
    let (mut b, _) = support::oidc::with_clients(&db).await;
    let state = AppState::new(
        db.pool.clone(),
        support::browser::SITE,
        b.otp_key.clone(),
        b.card_key.clone(),
    )
    .unwrap();
    let metrics = state.metrics.clone();
    b.router = thaiid_server::app::router(state);
    let count = |method: &str, outcome: &str| {
        let text = metrics.encode().unwrap();
        samples(&text)[&format!(r#"thaiid_logins_total{{method="{method}",outcome="{outcome}"}}"#)]
    };

    let wrong = b.password_as(demo::USERNAME, "not-the-password").await;
    assert_eq!(wrong.status, 401);
    assert_eq!(count("password", "refused"), 1.0);
    support::oidc::log_in_by_password(&mut b).await;
    assert_eq!(count("password", "ok"), 1.0);
    assert_eq!(count("otp", "ok"), 1.0);
    assert_eq!(count("otp", "refused"), 0.0);
    assert_eq!(count("card", "ok"), 0.0);

    let pkce = support::oidc::new_pkce();
    let hr = support::oidc::HR;
    support::oidc::code_for(&mut b, hr, support::oidc::HR_CALLBACK, &pkce).await;
    let text = metrics.encode().unwrap();
    assert_eq!(samples(&text)["thaiid_oidc_codes_issued_total"], 1.0);
}

/// Kills the child it holds when dropped (a failed assertion must not leave it running).
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn json_log_lines_carry_the_request_id_answered_in_the_header() {
    crypto();
    let dir = tempfile::tempdir().unwrap();
    let (port, metrics_port) = (support::free_port(), support::free_port());
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_thaiid-server"))
        .arg("serve")
        .env(
            "DATABASE_URL",
            format!("sqlite:{}?mode=rwc", dir.path().join("server.db").display()),
        )
        .env("THAIID_SERVER_CARD_KEY_FILE", dir.path().join("card.key"))
        .env("THAIID_SERVER_OTP_KEY_FILE", dir.path().join("otp.key"))
        .env(
            "THAIID_SERVER_OIDC_KEY_FILE",
            dir.path().join("oidc-keys.json"),
        )
        .env("THAIID_SERVER_LISTEN", format!("127.0.0.1:{port}"))
        .env(
            "THAIID_SERVER_METRICS_LISTEN",
            format!("127.0.0.1:{metrics_port}"),
        )
        .env("THAIID_SERVER_LOG_FORMAT", "json")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Child(child);
    let client = reqwest::blocking::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    // Up when it answers (it migrates a new database first).
    let mut waited = 0;
    while client.get(format!("{base}/healthz")).send().is_err() {
        assert!(waited < 600, "the server did not start");
        std::thread::sleep(std::time::Duration::from_millis(100));
        waited += 1;
    }

    let given = client
        .post(format!("{base}/api/v1/card-logins"))
        .header("X-Request-Id", "lb-1f2e3d.7")
        .body("a.b.c")
        .send()
        .unwrap();
    assert_eq!(given.status(), 400);
    assert_eq!(given.headers()["x-request-id"], "lb-1f2e3d.7");
    let made = client
        .get(format!("{base}/readyz"))
        .header("X-Request-Id", "not a token")
        .send()
        .unwrap();
    assert_eq!(made.status(), 200);
    let made = made.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(made.len(), 22, "{made}");
    let scraped = client
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let refused = r#"thaiid_logins_total{method="card",outcome="refused"}"#;
    assert_eq!(samples(&scraped)[refused], 1.0, "{scraped}");

    let _ = child.0.kill();
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.0.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    let refusal = lines
        .iter()
        .find(|line| line["fields"]["message"] == "card login refused")
        .unwrap_or_else(|| panic!("no refusal logged: {stderr}"));
    assert_eq!(refusal["span"]["request_id"], "lb-1f2e3d.7", "{refusal}");
    assert_eq!(refusal["level"], "INFO");
    assert!(lines.len() >= 2, "{stderr}");
}
