//! `POST /api/v1/challenges`: nonces for other SSO front ends, only with an API key,
//! only for a proper origin the key is bound to; and `POST /api/v1/tickets/redeem`: the
//! card login's ticket, redeemed once by the key and origin it was issued for, never for a
//! card registered without its laser ID (a first factor, whose OTP only the SSO's pages
//! ask for); on SQLite and on PostgreSQL.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use thaiid_server::audit::CLI;
use thaiid_server::card_key::CardKey;
use thaiid_server::http::AppState;
use thaiid_server::otp_key::OtpKey;
use thaiid_server::{api_keys, challenges, demo};
use tower::ServiceExt;

use thaiid_server::on_both_databases;
mod support;
use support::{TestAgent, TestCard, TestDb};

const SITE: &str = "https://sso.example";
const HR: &str = "https://hr.example.go.th";
const FINANCE: &str = "https://finance.example.go.th";

on_both_databases!(
    challenges_need_a_key_and_a_proper_origin,
    tickets_are_redeemed_by_the_key_and_origin_they_were_issued_for,
    a_card_without_its_laser_id_logs_in_no_other_front_end,
);

async fn ask(db: &TestDb, key: Option<&str>, body: Value) -> (StatusCode, Value) {
    let state = AppState::new(
        db.pool.clone(),
        SITE,
        OtpKey::generate(),
        CardKey::generate(),
    )
    .unwrap();
    post(
        &thaiid_server::app::router(state),
        "/api/v1/challenges",
        key,
        body.to_string(),
    )
    .await
}

async fn challenges_need_a_key_and_a_proper_origin(db: TestDb) {
    let key = api_keys::create(
        &db.pool,
        "hr-portal",
        &[HR.into()],
        CLI,
        thaiid_server::now(),
    )
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

    // A proper origin, not the key's.
    let (status, body) = ask(&db, Some(&key), json!({"origin": FINANCE})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("BAD_ORIGIN"))
    );
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
        Ok(challenges::Spent {
            session: "api:hr-portal@https://hr.example.go.th".to_owned(),
            purpose: challenges::Purpose::Login,
            target: None,
        }),
        "bound to the front end that asked, for a login"
    );
}

/// `path` of `router` with `body`, as the front end `key`'s server calls it.
async fn post(
    router: &axum::Router,
    path: &str,
    key: Option<&str>,
    body: String,
) -> (StatusCode, Value) {
    let mut request = Request::post(path).header("content-type", "application/json");
    if let Some(key) = key {
        request = request.header("authorization", format!("Bearer {key}"));
    }
    let response = router
        .clone()
        .oneshot(request.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, value)
}

async fn tickets_are_redeemed_by_the_key_and_origin_they_were_issued_for(db: TestDb) {
    let now = thaiid_server::now();
    let (otp_key, card_key) = (OtpKey::generate(), CardKey::generate());
    demo::seed(&db.pool, &otp_key, &card_key, now)
        .await
        .unwrap();
    let state = AppState::new(db.pool.clone(), SITE, otp_key, card_key).unwrap();
    let verifier = state.verifier.clone();
    let router = thaiid_server::app::router(state);
    let hr = api_keys::create(&db.pool, "hr-portal", &[HR.into()], CLI, now)
        .await
        .unwrap();
    let finance = api_keys::create(&db.pool, "finance-portal", &[FINANCE.into()], CLI, now)
        .await
        .unwrap();
    let agent = TestAgent::enroll(&db.pool, "ws-1").await;
    let card = TestCard {
        citizen_id: demo::CITIZEN_ID.into(),
        serial: demo::CARD_SERIAL.into(),
        laser: demo::LASER_ID,
    };
    // The HR portal's login page, its nonce, the agent's assertion from that page.
    let ticket = || async {
        let origin = json!({"origin": HR}).to_string();
        let (_, challenge) = post(&router, "/api/v1/challenges", Some(&hr), origin).await;
        let mut claims = agent.claims(SITE, challenge["nonce"].as_str().unwrap(), &card);
        claims.origin = HR.into();
        let (status, body) = post(&router, "/api/v1/card-logins", None, agent.sign(&claims)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["ticket"].as_str().unwrap().to_owned()
    };
    let redeem = |key: Option<String>, ticket: String| {
        let router = router.clone();
        async move {
            let body = json!({ "ticket": ticket }).to_string();
            post(&router, "/api/v1/tickets/redeem", key.as_deref(), body).await
        }
    };
    let code = |answer: &(StatusCode, Value)| {
        (
            answer.0,
            answer.1["error"]["code"].as_str().map(str::to_owned),
        )
    };

    let first = ticket().await;
    assert_eq!(
        code(&redeem(None, first.clone()).await),
        (StatusCode::UNAUTHORIZED, Some("BAD_API_KEY".into()))
    );
    assert_eq!(
        code(&redeem(Some(finance.clone()), first.clone()).await),
        (StatusCode::FORBIDDEN, Some("BAD_ORIGIN".into())),
        "another front end's key"
    );
    let (status, who) = redeem(Some(hr.clone()), first.clone()).await;
    assert_eq!(status, StatusCode::OK, "{who}");
    assert_eq!(who["username"], demo::USERNAME);
    assert_eq!(who["display_name"], demo::DISPLAY_NAME);
    assert_eq!(who["amr"], json!(["card"]));
    let auth_time = who["auth_time"].as_i64().unwrap();
    assert!(
        (now..=thaiid_server::now()).contains(&auth_time),
        "{auth_time}"
    );
    assert_eq!(
        code(&redeem(Some(hr.clone()), first).await),
        (StatusCode::CONFLICT, Some("USED_TICKET".into()))
    );
    assert_eq!(
        code(&redeem(Some(hr.clone()), "made-up".into()).await),
        (StatusCode::NOT_FOUND, Some("UNKNOWN_TICKET".into()))
    );

    // A ticket of the bundled login pages (bound to a browser session) is not redeemable here.
    sqlx::query("INSERT INTO tickets (ticket, session, username, expires_at) VALUES ('page-ticket', $1, $2, $3)")
        .bind(thaiid_server::sha256_hex("a browser session"))
        .bind(demo::USERNAME)
        .bind(now + 60)
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        code(&redeem(Some(hr.clone()), "page-ticket".into()).await),
        (StatusCode::FORBIDDEN, Some("BAD_ORIGIN".into()))
    );

    // Every attempt is in the audit log, as a ticket redemption: the redeemed one on its
    // own row, the refusals counted in one row of the minute (by their most frequent code).
    verifier.audit_strangers(now).await.unwrap();
    let mut rows: Vec<_> = thaiid_server::audit::recent(&db.pool, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|row| row.entry.method == thaiid_server::audit::Method::Ticket)
        .map(|row| (row.entry.outcome, row.entry.detail))
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        [
            (
                "BAD_ORIGIN".to_owned(),
                Some(
                    "5 refused within 60 s: BAD_API_KEY 1, BAD_ORIGIN 2, UNKNOWN_TICKET 1, \
                     USED_TICKET 1"
                        .to_owned()
                )
            ),
            ("OK".to_owned(), None),
        ]
    );

    // A revoked key redeems nothing, even its own ticket.
    let second = ticket().await;
    assert!(api_keys::revoke(&db.pool, "hr-portal").await.unwrap());
    assert_eq!(
        code(&redeem(Some(hr), second).await),
        (StatusCode::UNAUTHORIZED, Some("BAD_API_KEY".into()))
    );
}

async fn a_card_without_its_laser_id_logs_in_no_other_front_end(db: TestDb) {
    let now = thaiid_server::now();
    let (otp_key, card_key) = (OtpKey::generate(), CardKey::generate());
    demo::seed(&db.pool, &otp_key, &card_key, now)
        .await
        .unwrap();
    let laser = thaiid_server::cards::LaserEntry::NoApplet;
    thaiid_server::cards::register_by_it(
        &db.pool,
        &card_key,
        demo::USERNAME,
        demo::CARD_SERIAL,
        laser,
        now,
    )
    .await
    .unwrap();
    let router = thaiid_server::app::router(
        AppState::new(db.pool.clone(), SITE, otp_key, card_key).unwrap(),
    );
    let hr = api_keys::create(&db.pool, "hr-portal", &[HR.into()], CLI, now)
        .await
        .unwrap();
    let agent = TestAgent::enroll(&db.pool, "ws-1").await;
    let card = TestCard {
        citizen_id: demo::CITIZEN_ID.into(),
        serial: demo::CARD_SERIAL.into(),
        laser: demo::LASER_ID,
    };
    let origin = json!({"origin": HR}).to_string();
    let (_, challenge) = post(&router, "/api/v1/challenges", Some(&hr), origin).await;
    let mut claims = agent.claims(SITE, challenge["nonce"].as_str().unwrap(), &card);
    claims.origin = HR.into();
    let (status, body) = post(&router, "/api/v1/card-logins", None, agent.sign(&claims)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let body = json!({ "ticket": body["ticket"] }).to_string();
    let (status, answer) = post(&router, "/api/v1/tickets/redeem", Some(&hr), body).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("CARD_NOT_REGISTERED")),
        "{answer}"
    );
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("without its laser ID"));
    assert!(answer.get("username").is_none());
}
