//! `POST /api/v1/challenges`: nonces for other SSO front ends, only with an API key,
//! only for a proper origin, on SQLite and on PostgreSQL.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use thaiid_server::card_key::CardKey;
use thaiid_server::http::AppState;
use thaiid_server::otp_key::OtpKey;
use thaiid_server::{api_keys, challenges};
use tower::ServiceExt;

use support::TestDb;
use thaiid_server::on_both_databases;
mod support;

on_both_databases!(challenges_need_a_key_and_a_proper_origin);

async fn ask(db: &TestDb, key: Option<&str>, body: Value) -> (StatusCode, Value) {
    let mut request =
        Request::post("/api/v1/challenges").header("content-type", "application/json");
    if let Some(key) = key {
        request = request.header("authorization", format!("Bearer {key}"));
    }
    let state = AppState::new(
        db.pool.clone(),
        "https://sso.example",
        OtpKey::generate(),
        CardKey::generate(),
    )
    .unwrap();
    let response = thaiid_server::app::router(state)
        .oneshot(request.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn challenges_need_a_key_and_a_proper_origin(db: TestDb) {
    let key = api_keys::create(&db.pool, "hr-portal", thaiid_server::now())
        .await
        .unwrap();
    let origin = json!({"origin": "https://hr.example.go.th"});

    for wrong in [None, Some("not-a-key")] {
        let (status, body) = ask(&db, wrong, origin.clone()).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("BAD_API_KEY"))
        );
    }
    for bad in [
        "https://hr.example.go.th/login",
        "*",
        "http://hr.example.go.th",
        "null",
    ] {
        let (status, body) = ask(&db, Some(&key), json!({"origin": bad})).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("BAD_ORIGIN")),
            "{bad}"
        );
    }

    let (status, body) = ask(&db, Some(&key), origin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["expires_at"].as_str().unwrap().ends_with('Z'));
    let nonce = body["nonce"].as_str().unwrap();
    let mut connection = db.pool.acquire().await.unwrap();
    let spent = challenges::spend(
        &mut connection,
        nonce,
        "https://hr.example.go.th",
        thaiid_server::now(),
    )
    .await
    .unwrap();
    assert_eq!(
        spent,
        Ok(("api:hr-portal".to_owned(), challenges::Purpose::Login)),
        "bound to the front end that asked, for a login"
    );
}
