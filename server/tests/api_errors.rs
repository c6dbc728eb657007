//! Requests the handlers never see (too large, not JSON, the wrong method or content
//! type) are refused in the API's error shape, with their own codes, and change nothing.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use thaiid_server::card_key::CardKey;
use thaiid_server::http::{AppState, MAX_BODY_BYTES};
use thaiid_server::otp_key::OtpKey;
use tower::ServiceExt;

mod support;

async fn send(
    router: &axum::Router,
    method: Method,
    path: &str,
    content_type: &str,
    body: String,
) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", content_type)
        .body(Body::from(body))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("{status}: not JSON: {}", String::from_utf8_lossy(&bytes)));
    (status, body)
}

#[tokio::test]
async fn refusals_before_the_handler_have_the_api_error_shape() {
    let db = support::sqlite().await;
    let state = AppState::new(
        db.pool.clone(),
        "https://sso.example",
        OtpKey::generate(),
        CardKey::generate(),
    );
    let router = thaiid_server::app::router(state.unwrap());
    let huge = "a".repeat(MAX_BODY_BYTES + 1);
    let post = Method::POST;
    for (method, path, content_type, body, status, code) in [
        (
            post.clone(),
            "/api/v1/card-logins",
            "application/jose",
            huge.clone(),
            413,
            "BODY_TOO_LARGE",
        ),
        (
            post.clone(),
            "/api/v1/agents/enroll",
            "application/json",
            huge,
            413,
            "BODY_TOO_LARGE",
        ),
        (
            post.clone(),
            "/api/v1/agents/enroll",
            "application/json",
            "{\"token\":".into(),
            400,
            "MALFORMED_REQUEST",
        ),
        (
            post.clone(),
            "/api/v1/challenges",
            "application/json",
            "{\"origin\":\"https://a.example\",\"x\":1}".into(),
            422,
            "MALFORMED_REQUEST",
        ),
        (
            post.clone(),
            "/api/v1/agents/enroll",
            "text/plain",
            "{}".into(),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            Method::GET,
            "/api/v1/card-logins",
            "application/jose",
            String::new(),
            405,
            "METHOD_NOT_ALLOWED",
        ),
    ] {
        let (got, body) = send(&router, method, path, content_type, body).await;
        assert_eq!(got.as_u16(), status, "{path}: {body}");
        assert_eq!(body["error"]["code"], code, "{path}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{body}"
        );
    }
    // The JSON parser's own words say what was wrong.
    let (_, body) = send(
        &router,
        Method::POST,
        "/api/v1/challenges",
        "application/json",
        "{\"origin\":\"https://a.example\",\"x\":1}".into(),
    )
    .await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown field"),
        "{body}"
    );
    // Nothing reached the database: no audit row, no agent.
    for table in ["audit_log", "agents", "nonces"] {
        let rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(rows, 0, "{table}");
    }
}
