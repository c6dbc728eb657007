//! The first login (SPEC §7a), through the router on SQLite and PostgreSQL: a person
//! whose card IT registered logs in by card and lands on `/me` (unless a system waits for
//! the login), sets a password there (weak ones refused) and confirms the OTP with a code
//! of a 30-second or a 180-second app, then logs in by password + OTP with that step;
//! each code counts once.

use thaiid_server::on_both_databases;
mod support;

use axum::http::StatusCode;
use support::browser::{browser, browser_with_key};
use support::oidc::{new_pkce, request, with_clients, HR, HR_CALLBACK};
use support::self_service::*;
use support::TestDb;
use thaiid_server::otp::{self, Step};
use thaiid_server::{audit, users};

on_both_databases!(
    a_first_login_sets_up_a_30_second_app,
    a_first_login_sets_up_a_180_second_app,
    a_card_and_otp_login_without_a_password_lands_on_me,
    a_system_waiting_for_the_first_login_gets_it_back,
);

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
    assert_eq!(
        b.outcomes(audit::Method::PasswordSet).await,
        ["OK", "WEAK_PASSWORD"],
        "newest first: the weak one, then the first, not the refused second"
    );

    // Without an OTP the password login sends the person to their card and /me.
    let mut desk = browser_with_key(&db, b.otp_key.clone(), b.card_key.clone()).await;
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
    // A query the page did not make is no error.
    assert_eq!(b.get("/me?otp=x").await.status, StatusCode::OK);
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

async fn a_card_and_otp_login_without_a_password_lands_on_me(db: TestDb) {
    let mut b = browser(&db).await;
    // A card registered without its laser ID: the OTP follows it.
    let agent = register_newcomer(&db, &b, None).await;
    let secret = users::enrol_otp(&db.pool, &b.otp_key, NEWCOMER)
        .await
        .unwrap();
    let mut card = newcomer_card();
    card.laser = None;
    let first = b.card_login(&agent, &card).await.unwrap();
    assert_eq!(first.location, "/login/otp");
    let code = otp::code_at(&secret, u64::try_from(thaiid_server::now()).unwrap()).unwrap();
    assert_eq!(b.otp(&code).await.location, "/me");
    let me = b.get("/me").await;
    assert!(me
        .body
        .contains(r#"id="setup-password" data-state="missing""#));
    assert!(me.body.contains(r#"id="setup-otp" data-state="done""#));
}

async fn a_system_waiting_for_the_first_login_gets_it_back(db: TestDb) {
    let (mut b, _secrets) = with_clients(&db).await;
    let agent = register_newcomer(&db, &b, newcomer_card().laser).await;
    let pkce = new_pkce();
    let ask = request(HR, HR_CALLBACK, &pkce);
    assert_eq!(b.get(&ask).await.location, "/login");
    let done = b.card_login(&agent, &newcomer_card()).await.unwrap();
    assert_eq!(done.next(), ask, "back to the system, not /me");
    // Later, on its own, the card login leads to /me.
    log_out(&mut b).await;
    let again = b.card_login(&agent, &newcomer_card()).await.unwrap();
    assert_eq!(again.location, "/me");
}
