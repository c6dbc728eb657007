//! The OTP setup's refusals on `/me/otp` (SPEC §7a), through the router on SQLite and
//! PostgreSQL: a password alone never opens it; a wrong or reused confirming code, a
//! replacement without the current code, and guessing store nothing. Each attempt is
//! audited.

use thaiid_server::on_both_databases;
mod support;

use axum::http::StatusCode;
use support::browser::{browser, code_now};
use support::self_service::*;
use support::{TestAgent, TestDb};
use thaiid_server::otp::{self, Step};
use thaiid_server::{audit, demo};

on_both_databases!(
    a_password_alone_cannot_open_the_otp_setup,
    a_wrong_or_reused_confirming_code_stores_nothing,
    replacing_an_otp_needs_the_current_code,
    guessing_the_confirming_code_is_rate_limited,
);

async fn a_password_alone_cannot_open_the_otp_setup(db: TestDb) {
    let mut b = browser(&db).await;
    assert_eq!(b.password(demo::PASSWORD).await.location, "/login/otp");
    let csrf = b.get("/login/otp").await.csrf();
    assert_eq!(b.get("/me/otp").await.location, "/login");
    let post = b
        .post(
            "/me/otp",
            &[("code", "123456"), ("current", "123456"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(post.location, "/login");
    let password = b
        .post(
            "/me/password",
            &[("password", NEWCOMER_PASSWORD), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(password.location, "/login");
    let staged: Vec<Option<String>> = sqlx::query_scalar("SELECT otp_setup_secret FROM sessions")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert!(staged.iter().all(Option::is_none), "no secret staged");
    assert!(b.outcomes(audit::Method::OtpSetup).await.is_empty());
    // Nobody signed in at all: the same.
    b.cookie = None;
    assert_eq!(b.get("/me/otp").await.location, "/login");
}

async fn a_wrong_or_reused_confirming_code_stores_nothing(db: TestDb) {
    let (mut b, _agent) = newcomer(&db).await;
    let secret = secret_of(&b.get("/me/otp").await);
    let wrong = confirm(&mut b, "000000", "").await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong.body.contains("รหัสจากแอปไม่ถูกต้อง ยังไม่ได้บันทึก OTP"),
        "{}",
        wrong.body
    );
    assert!(account(&db, NEWCOMER).await.totp_secret.is_none());
    assert_eq!(secret_of(&wrong), secret, "the same QR code to try again");

    let code = otp::code_with_step(&secret, Step::Standard, settled(Step::Standard).await).unwrap();
    assert_eq!(confirm(&mut b, &code, "").await.location, "/me?otp=30");
    let sealed = account(&db, NEWCOMER).await.totp_secret.unwrap();
    // The same form sent again: refused, nothing changes.
    let csrf = b.get("/me").await.csrf();
    let reused = b.post("/me/otp", &[("code", &code), ("csrf", &csrf)]).await;
    assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reused.body.contains("รหัสนี้ใช้ซ้ำไม่ได้"), "{}", reused.body);
    let after = account(&db, NEWCOMER).await;
    assert_eq!(after.totp_secret.as_deref(), Some(sealed.as_str()));
    assert_eq!(after.totp_step, Step::Standard);
    // Nor does it stand in as the current code for a replacement.
    let next = secret_of(&b.get("/me/otp").await);
    assert_ne!(next, secret, "a new secret after the last was confirmed");
    let now = u64::try_from(thaiid_server::now()).unwrap();
    let new_code = otp::code_at(&next, now).unwrap();
    let replaced = confirm(&mut b, &new_code, &code).await;
    assert_eq!(replaced.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        replaced.body.contains("รหัสจากแอปเดิมนี้ถูกใช้ไปแล้ว"),
        "{}",
        replaced.body
    );
    assert_eq!(
        account(&db, NEWCOMER).await.totp_secret.as_deref(),
        Some(sealed.as_str())
    );

    let mut outcomes = b.outcomes(audit::Method::OtpSetup).await;
    outcomes.sort();
    assert_eq!(outcomes, ["BAD_OTP", "OK", "REPLAYED_OTP", "REPLAYED_OTP"]);
}

async fn replacing_an_otp_needs_the_current_code(db: TestDb) {
    let mut b = browser(&db).await;
    let agent = TestAgent::enroll(&db.pool, "ws-1").await;
    // The demo person has a password and an OTP: the card login goes to the systems.
    assert_eq!(
        b.card_login(&agent, &demo_card()).await.unwrap().location,
        "/systems"
    );
    let page = b.get("/me/otp").await;
    assert!(page.body.contains("บัญชีนี้มี OTP อยู่แล้ว"), "{}", page.body);
    assert!(page.body.contains(r#"name="current""#));
    let secret = secret_of(&page);
    let now = settled(Step::Slow).await;
    let new_code = otp::code_with_step(&secret, Step::Standard, now).unwrap();
    let seeded = account(&db, demo::USERNAME).await.totp_secret;

    let without = confirm(&mut b, &new_code, "").await;
    assert_eq!(without.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        without.body.contains("รหัสจากแอปเดิมไม่ถูกต้อง"),
        "{}",
        without.body
    );
    let wrong = confirm(&mut b, &new_code, "000000").await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(account(&db, demo::USERNAME).await.totp_secret, seeded);

    let current = code_now(&b);
    assert_eq!(
        confirm(&mut b, &new_code, &current).await.location,
        "/me?otp=30"
    );
    let replaced = account(&db, demo::USERNAME).await;
    assert_eq!(replaced.totp_step, Step::Standard);
    assert_eq!(
        b.otp_key
            .open(&replaced.totp_secret.unwrap(), demo::USERNAME)
            .unwrap(),
        secret
    );
    // The old app's code logs in no more: it is checked against the new secret.
    log_out(&mut b).await;
    b.password(demo::PASSWORD).await;
    assert_eq!(b.otp(&current).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(b.outcomes(audit::Method::Otp).await, ["BAD_OTP"]);

    let mut outcomes = b.outcomes(audit::Method::OtpSetup).await;
    outcomes.sort();
    assert_eq!(outcomes, ["BAD_OTP", "BAD_OTP", "OK"]);
}

async fn guessing_the_confirming_code_is_rate_limited(db: TestDb) {
    let (mut b, _agent) = newcomer(&db).await;
    let secret = secret_of(&b.get("/me/otp").await);
    for _ in 0..thaiid_server::throttle::PER_PAIR {
        assert_eq!(
            confirm(&mut b, "000000", "").await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    let now = u64::try_from(thaiid_server::now()).unwrap();
    let right = otp::code_at(&secret, now).unwrap();
    let throttled = confirm(&mut b, &right, "").await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.body.contains("15 นาที"));
    assert!(account(&db, NEWCOMER).await.totp_secret.is_none());
    let outcomes = b.outcomes(audit::Method::OtpSetup).await;
    assert_eq!(outcomes.iter().filter(|o| *o == "BAD_OTP").count(), 5);
    assert_eq!(outcomes.iter().filter(|o| *o == "THROTTLED").count(), 1);
}
