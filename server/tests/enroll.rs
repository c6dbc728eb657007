//! Enrollment through the HTTP API on SQLite and on PostgreSQL: tokens are limited in
//! uses and time, and stored only as hashes.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};
use thaiid_protocol::assertion::PublicJwk;
use thaiid_server::card_key::CardKey;
use thaiid_server::http::AppState;
use thaiid_server::otp_key::OtpKey;
use thaiid_server::{agents, audit, db, tokens};
use tower::ServiceExt;

use support::TestDb;
use thaiid_server::on_both_databases;
mod support;

on_both_databases!(
    a_token_enrolls_as_many_agents_as_it_has_uses,
    expired_unknown_and_bad_key_enrollments_are_refused,
);

fn jwk() -> Value {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let key =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    serde_json::to_value(PublicJwk::from_key_pair(&key)).unwrap()
}

async fn enroll(pool: &db::Pool, body: Value) -> (StatusCode, Value) {
    let request = Request::post("/api/v1/agents/enroll")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = thaiid_server::app::router(
        AppState::new(
            pool.clone(),
            "https://sso.example",
            OtpKey::generate(),
            CardKey::generate(),
        )
        .unwrap(),
    )
    .oneshot(request)
    .await
    .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn request(token: &str, jwk: Value) -> Value {
    json!({"token": token, "public_key_jwk": jwk, "hostname": "ws-0042", "agent_version": "0.1.0"})
}

async fn a_token_enrolls_as_many_agents_as_it_has_uses(db: TestDb) {
    let pool = db.pool;
    let token = tokens::create(&pool, 2, 3600, audit::CLI, thaiid_server::now())
        .await
        .unwrap();
    let (status, first) = enroll(&pool, request(&token, jwk())).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (status, second) = enroll(&pool, request(&token, jwk())).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(first["agent_id"], second["agent_id"]);
    let (status, third) = enroll(&pool, request(&token, jwk())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(third["error"]["code"], "BAD_ENROLLMENT_TOKEN");

    let listed = agents::list(&pool).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed
        .iter()
        .all(|agent| agent.hostname == "ws-0042" && !agent.revoked));
    let id = first["agent_id"].as_str().unwrap();
    assert!(agents::revoke(&pool, id, audit::CLI, thaiid_server::now())
        .await
        .unwrap());
    assert!(
        !agents::revoke(&pool, id, audit::CLI, thaiid_server::now())
            .await
            .unwrap(),
        "already revoked"
    );
    assert!(agents::list(&pool)
        .await
        .unwrap()
        .iter()
        .any(|agent| agent.id == id && agent.revoked));
}

async fn expired_unknown_and_bad_key_enrollments_are_refused(db: TestDb) {
    let pool = db.pool;
    let expired = tokens::create(&pool, 5, 60, audit::CLI, thaiid_server::now() - 120)
        .await
        .unwrap();
    let (status, body) = enroll(&pool, request(&expired, jwk())).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("BAD_ENROLLMENT_TOKEN"))
    );
    let (status, _) = enroll(&pool, request("made-up", jwk())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let good = tokens::create(&pool, 1, 3600, audit::CLI, thaiid_server::now())
        .await
        .unwrap();
    let mut bad_key = jwk();
    bad_key["crv"] = json!("P-384");
    let (status, body) = enroll(&pool, request(&good, bad_key)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("BAD_AGENT_KEY"))
    );
    let (status, _) = enroll(&pool, request(&good, jwk())).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a refused key does not spend the token"
    );
}

#[tokio::test]
async fn tokens_are_stored_only_as_hashes() {
    let db = support::sqlite().await;
    let token = tokens::create(&db.pool, 1, 3600, audit::CLI, thaiid_server::now())
        .await
        .unwrap();
    db.pool.close().await;
    let file = std::fs::read(db.url.trim_start_matches("sqlite:")).unwrap();
    assert!(!file
        .windows(token.len())
        .any(|window| window == token.as_bytes()));
}

#[test]
fn lifetimes() {
    assert_eq!(tokens::parse_ttl("7d"), Ok(7 * 86_400));
    assert_eq!(tokens::parse_ttl("30m"), Ok(1800));
    for bad in ["", "d", "7", "7w", "-1h", "0s", "999999999999999999d"] {
        assert!(tokens::parse_ttl(bad).is_err(), "{bad}");
    }
}
