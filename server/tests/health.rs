//! `GET /healthz` and `GET /readyz` on a live server (SPEC §7c): the first answers while
//! the process does, the second only while the database answers and the keys hold,
//! naming the check that failed; neither makes a session, a cookie or an audit row.

use thaiid_server::on_both_databases;
mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use support::TestDb;
use thaiid_server::card_key::CardKey;
use thaiid_server::http::AppState;
use thaiid_server::oidc::keys::SigningKeys;
use thaiid_server::otp_key::OtpKey;
use tower::ServiceExt;

const SITE: &str = "https://sso.example.go.th";

on_both_databases!(readiness_follows_the_database);

/// The server on a loopback port of its own: its base URL.
fn serve(state: AppState) -> (String, axum_server::Handle) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = axum_server::Handle::new();
    tokio::spawn(thaiid_server::http::serve::serve(
        listener,
        None,
        thaiid_server::app::router(state),
        handle.clone(),
        std::time::Duration::from_secs(10),
    ));
    (url, handle)
}

async fn get(url: &str) -> (StatusCode, Option<String>, serde_json::Value) {
    // reqwest's rustls wants a crypto provider even for plain HTTP.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let response = reqwest::get(url).await.unwrap();
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
    let cookie = response
        .headers()
        .get("set-cookie")
        .map(|value| value.to_str().unwrap().to_owned());
    (status, cookie, response.json().await.unwrap())
}

async fn readiness_follows_the_database(db: TestDb) {
    let state = AppState::new(
        db.pool.clone(),
        SITE,
        OtpKey::generate(),
        CardKey::generate(),
    )
    .unwrap();
    let (url, handle) = serve(state);

    let (status, cookie, body) = get(&format!("{url}/healthz")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, serde_json::json!({"status": "ok"}));
    assert_eq!(cookie, None);
    let (status, cookie, body) = get(&format!("{url}/readyz")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ok");
    assert_eq!(
        body["checks"],
        serde_json::json!({"database": "ok", "otp_key": "ok", "oidc_keys": "ok"})
    );
    assert_eq!(cookie, None);
    // Polled every few seconds: no audit row, no session.
    let audited = thaiid_server::audit::recent(&db.pool, 10).await.unwrap();
    assert!(audited.is_empty(), "{audited:?}");
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(sessions, 0);

    // The database is gone: not ready, and it says why; still alive.
    db.pool.close().await;
    let (status, _, body) = get(&format!("{url}/readyz")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["checks"]["database"], "failed", "{body}");
    assert_eq!(body["checks"]["oidc_keys"], "ok");
    let (status, _, _) = get(&format!("{url}/healthz")).await;
    assert_eq!(status, StatusCode::OK);
    handle.shutdown();
}

async fn readyz(state: AppState) -> (StatusCode, serde_json::Value) {
    let request = Request::get("/readyz").body(Body::empty()).unwrap();
    let response = thaiid_server::app::router(state)
        .oneshot(request)
        .await
        .unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap();
    (status, serde_json::from_slice(&body).unwrap())
}

#[tokio::test]
async fn an_otp_key_that_does_not_open_the_stored_secrets_is_not_ready() {
    let db = support::sqlite().await;
    let (sealed_with, card_key) = (OtpKey::generate(), CardKey::generate());
    thaiid_server::demo::seed(&db.pool, &sealed_with, &card_key, thaiid_server::now())
        .await
        .unwrap();
    let right = AppState::new(db.pool.clone(), SITE, sealed_with, card_key.clone()).unwrap();
    assert_eq!(readyz(right).await.0, StatusCode::OK);

    let wrong_key = OtpKey::generate();
    let wrong = AppState::new(db.pool.clone(), SITE, wrong_key.clone(), card_key).unwrap();
    let (status, body) = readyz(wrong).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["checks"]["otp_key"], "failed", "{body}");
    assert_eq!(body["checks"]["database"], "ok");
    // Why, for the operator (the log's words): the key file to look at.
    let why = thaiid_server::readiness::check(&db.pool, &wrong_key, &SigningKeys::ephemeral())
        .await
        .otp_key
        .unwrap();
    assert!(why.contains("THAIID_SERVER_OTP_KEY_FILE"), "{why}");
}

#[tokio::test]
async fn an_oidc_key_file_gone_or_damaged_is_not_ready() {
    let db = support::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oidc-keys.json");
    let keys = SigningKeys::load_or_create(&path, thaiid_server::now()).unwrap();
    let state = AppState::with_oidc_keys(
        db.pool.clone(),
        SITE,
        OtpKey::generate(),
        CardKey::generate(),
        keys,
    )
    .unwrap();
    assert_eq!(readyz(state.clone()).await.0, StatusCode::OK);

    let kept = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let (status, body) = readyz(state.clone()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["checks"]["oidc_keys"], "failed", "{body}");

    std::fs::write(&path, b"{not json").unwrap();
    let (status, body) = readyz(state.clone()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");

    // Put back (a rotation writes a new file): ready again.
    std::fs::write(&path, kept).unwrap();
    let (status, body) = readyz(state).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
