//! OTP setup on `/me/otp` and the first login (SPEC §7a), through the router on SQLite and
//! PostgreSQL: a person whose card IT registered logs in by card, lands on `/me`, sets a
//! password and confirms the OTP with a code of a 30-second or a 180-second app, then
//! logs in by password + OTP with that step; each code counts once. Refused: a password
//! alone opening the setup, a wrong or reused confirming code, a replacement without the
//! current code, a weak password, guessing.

use thaiid_server::on_both_databases;
mod support;

use axum::http::StatusCode;
use support::browser::{browser, code_now, Browser, Page};
use support::{TestAgent, TestCard, TestDb};
use thaiid_server::otp::{self, Step};
use thaiid_server::{audit, cards, demo, users};

on_both_databases!(
    a_first_login_sets_up_a_30_second_app,
    a_first_login_sets_up_a_180_second_app,
    a_password_alone_cannot_open_the_otp_setup,
    a_wrong_or_reused_confirming_code_stores_nothing,
    replacing_an_otp_needs_the_current_code,
    guessing_the_confirming_code_is_rate_limited,
);

/// A synthetic person IT registered: account, citizen ID, card with its laser ID.
const NEWCOMER: &str = "malee.s";
const NEWCOMER_CID: &str = "1101700203450";
const NEWCOMER_PASSWORD: &str = "ช้างเผือก-ลำปาง-2567";

fn newcomer_card() -> TestCard {
    TestCard {
        citizen_id: NEWCOMER_CID.into(),
        serial: "13020155550000".into(),
        laser: Some("JT5-5555555-55"),
    }
}

fn demo_card() -> TestCard {
    TestCard {
        citizen_id: demo::CITIZEN_ID.into(),
        serial: demo::CARD_SERIAL.into(),
        laser: demo::LASER_ID,
    }
}

/// The newcomer's browser, signed in by card on its first login (the demo seeded too).
async fn newcomer(db: &TestDb) -> (Browser, TestAgent) {
    let mut b = browser(db).await;
    let now = thaiid_server::now();
    users::add(&db.pool, NEWCOMER, "มาลี สุขใจ", Some(NEWCOMER_CID), now)
        .await
        .unwrap();
    let card = newcomer_card();
    let laser = cards::LaserEntry::as_read(card.laser);
    cards::register_by_it(&db.pool, &b.card_key, NEWCOMER, &card.serial, laser, now)
        .await
        .unwrap();
    let agent = TestAgent::enroll(&db.pool, "ws-1").await;
    let landed = b.card_login(&agent, &card).await.unwrap();
    assert_eq!(landed.location, "/me", "a first login lands on /me");
    (b, agent)
}

/// Unix seconds now, a few seconds clear of the end of a `step`: a code of the step
/// before stays good while the test uses it.
async fn settled(step: Step) -> u64 {
    loop {
        let now = u64::try_from(thaiid_server::now()).unwrap();
        let left = step.secs() - now % step.secs();
        if left > 3 {
            return now;
        }
        tokio::time::sleep(std::time::Duration::from_secs(left)).await;
    }
}

/// The secret the page's QR code carries, read off its `data-otpauth-uri`.
fn secret_of(page: &Page) -> String {
    let (_, rest) = page.body.split_once("data-otpauth-uri=\"").unwrap();
    let uri = rest.split_once('"').unwrap().0.replace("&amp;", "&");
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    let (_, query) = uri.split_once("secret=").unwrap();
    query.split('&').next().unwrap().to_owned()
}

async fn confirm(b: &mut Browser, code: &str, current: &str) -> Page {
    let csrf = b.get("/me/otp").await.csrf();
    b.post(
        "/me/otp",
        &[("code", code), ("current", current), ("csrf", &csrf)],
    )
    .await
}

async fn log_out(b: &mut Browser) {
    let csrf = b.get("/me").await.csrf();
    assert_eq!(
        b.post("/logout", &[("csrf", &csrf)]).await.location,
        "/login?bye=1"
    );
}

async fn account(db: &TestDb, name: &str) -> users::Account {
    users::find(&db.pool, name).await.unwrap().unwrap()
}

async fn first_login_with(db: TestDb, step: Step) {
    let (mut b, _agent) = newcomer(&db).await;
    let me = b.get("/me").await;
    assert!(me.body.contains("บัญชีของท่านยังตั้งค่าไม่ครบ"), "{}", me.body);
    assert!(me
        .body
        .contains(r#"id="setup-password" data-state="missing""#));
    assert!(me.body.contains(r#"id="setup-otp" data-state="missing""#));
    assert!(me.body.contains(r#"<a href="/me/otp" id="otp-setup-link""#));

    // A password first: weak ones are refused and nothing is stored.
    let weak = b
        .post(
            "/me/password",
            &[("password", "1234567890"), ("csrf", &me.csrf())],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.body.contains("WEAK_PASSWORD"), "{}", weak.body);
    assert!(weak.body.contains("รหัสผ่านที่ใช้กันทั่วไป"));
    assert!(account(&db, NEWCOMER).await.password_hash.is_none());
    let set = b
        .post(
            "/me/password",
            &[("password", NEWCOMER_PASSWORD), ("csrf", &me.csrf())],
        )
        .await;
    assert_eq!(set.location, "/me?password=1");
    let me = b.get("/me?password=1").await;
    assert!(me.body.contains("ตั้งรหัสผ่านเรียบร้อยแล้ว"));
    assert!(me.body.contains(r#"id="setup-password" data-state="done""#));
    // Only the first password is set here.
    let again = b
        .post(
            "/me/password",
            &[
                ("password", "another-long-passphrase"),
                ("csrf", &me.csrf()),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    // Without an OTP the password login sends the person to their card and /me.
    let mut desk =
        support::browser::browser_with_key(&db, b.otp_key.clone(), b.card_key.clone()).await;
    let no_otp = desk.password_as(NEWCOMER, NEWCOMER_PASSWORD).await;
    assert_eq!(no_otp.status, StatusCode::FORBIDDEN);
    assert!(
        no_otp
            .body
            .contains("เข้าสู่ระบบด้วยบัตรประชาชน แล้วตั้งค่า OTP ที่หน้าข้อมูลส่วนบุคคล (/me)"),
        "{}",
        no_otp.body
    );

    // The setup page: its QR code, the key in text, the steps of both kinds of app.
    let page = b.get("/me/otp").await;
    assert_eq!(page.status, StatusCode::OK);
    let secret = secret_of(&page);
    assert_eq!(
        secret_of(&b.get("/me/otp").await),
        secret,
        "a reload shows the same"
    );
    let key = thaiid_server::otp_setup::grouped(&secret);
    assert!(page
        .body
        .contains(&format!("<code id=\"otp-secret\">{key}</code>")));
    for text in [
        "รหัสเปลี่ยนทุก 3 นาที",
        "รหัสเปลี่ยนทุก 30 วินาที",
        "Google Authenticator",
        "Microsoft Authenticator",
        "every 30 seconds",
    ] {
        assert!(page.body.contains(text), "{text}");
    }
    assert!(!page.body.contains("name=\"current\""), "no OTP to replace");

    // Confirmed with the step before's code, so that this step's is left for the login.
    let now = settled(step).await;
    let confirming = otp::code_with_step(&secret, step, now - step.secs()).unwrap();
    let done = confirm(&mut b, &confirming, "").await;
    assert_eq!(
        done.location,
        format!("/me?otp={}", step.secs()),
        "{}",
        done.body
    );
    let stored = account(&db, NEWCOMER).await;
    assert_eq!(stored.totp_step, step);
    assert_eq!(
        b.otp_key
            .open(&stored.totp_secret.unwrap(), NEWCOMER)
            .unwrap(),
        secret
    );
    let me = b.get(&done.location).await;
    assert!(me.body.contains("ตั้งค่า OTP เรียบร้อยแล้ว"));
    assert!(!me.body.contains("บัญชีของท่านยังตั้งค่าไม่ครบ"));
    log_out(&mut b).await;

    // Password + OTP with the app's step; every code counts once.
    assert_eq!(
        b.password_as(NEWCOMER, NEWCOMER_PASSWORD).await.location,
        "/login/otp"
    );
    let reused = b.otp(&confirming).await;
    assert_eq!(reused.status, StatusCode::UNAUTHORIZED);
    assert!(reused.body.contains("ถูกใช้ไปแล้ว"));
    let code = otp::code_with_step(&secret, step, now).unwrap();
    assert_eq!(b.otp(&code).await.location, "/systems");
    log_out(&mut b).await;
    b.password_as(NEWCOMER, NEWCOMER_PASSWORD).await;
    assert_eq!(b.otp(&code).await.status, StatusCode::UNAUTHORIZED);

    assert_eq!(b.outcomes(audit::Method::OtpSetup).await, ["OK"]);
    let mut logins = b.outcomes(audit::Method::Otp).await;
    logins.sort();
    assert_eq!(logins, ["OK", "REPLAYED_OTP", "REPLAYED_OTP"]);
}

async fn a_first_login_sets_up_a_30_second_app(db: TestDb) {
    first_login_with(db, Step::Standard).await;
}

async fn a_first_login_sets_up_a_180_second_app(db: TestDb) {
    first_login_with(db, Step::Slow).await;
}

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
    for _ in 0..thaiid_server::throttle::PER_ACCOUNT {
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
