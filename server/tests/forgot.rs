//! Forgot password through the router, on SQLite and PostgreSQL: by the registered card
//! and the OTP, and by a helpdesk reset code with the OTP; the refusals (another account's
//! card, a blocked card, a wrong OTP, a weak password, a reset code used twice, late or
//! another account's, guessing); every other session of the account ends.

use thaiid_server::on_both_databases;
mod support;

use axum::http::StatusCode;
use support::browser::{browser, browser_with_key, code_now, Browser};
use support::{TestAgent, TestCard, TestDb};
use thaiid_server::cards::{self, LaserEntry};
use thaiid_server::{audit, demo, reset_codes, throttle, users};

on_both_databases!(
    a_password_is_reset_by_card_and_otp,
    a_password_is_reset_by_helpdesk_code,
    a_reset_code_counts_once_in_time_for_its_account,
    only_the_accounts_own_registered_card_proves_it,
    it_sets_passwords_under_the_same_rules,
    a_card_without_its_laser_id_needs_the_otp,
);

const NEW_PASSWORD: &str = "ช้างเผือก-ลำปาง-2569";

fn demo_card(serial: &str, laser: Option<&'static str>) -> TestCard {
    TestCard {
        citizen_id: demo::CITIZEN_ID.into(),
        serial: serial.into(),
        laser,
    }
}

/// The `<p class="code">` of a refusal page.
fn code_of(body: &str) -> &str {
    body.split_once("<p class=\"code\">")
        .and_then(|(_, rest)| rest.split_once('<'))
        .map_or("", |(code, _)| code)
}

/// Opens `/forgot` and names `username`: the page of the next step.
async fn name(b: &mut Browser, username: &str) -> String {
    let csrf = b.get("/forgot").await.csrf();
    let named = b
        .post("/forgot", &[("username", username), ("csrf", &csrf)])
        .await;
    assert_eq!(named.location, "/forgot");
    csrf
}

/// The card step of `/forgot` with `card` read by `agent`: the completion page, or the
/// card login's refusal code.
async fn card_step(b: &mut Browser, agent: &TestAgent, card: &TestCard) -> Result<String, String> {
    let csrf = b.get("/forgot").await.csrf();
    let nonce = b.nonce("/forgot/card/nonce", &csrf).await;
    let (status, body) = b
        .agent_posts(agent.assert(support::browser::SITE, &nonce, card))
        .await;
    if status != StatusCode::OK {
        return Err(body["error"]["code"].as_str().unwrap().to_owned());
    }
    let ticket = body["ticket"].as_str().unwrap();
    let page = b
        .get(&format!("/forgot/card/complete?ticket={ticket}"))
        .await;
    Ok(if page.location.is_empty() {
        code_of(&page.body).to_owned()
    } else {
        page.location
    })
}

async fn post_step(
    b: &mut Browser,
    path: &str,
    field: &str,
    value: &str,
) -> support::browser::Page {
    let csrf = b.get("/forgot").await.csrf();
    b.post(path, &[(field, value), ("csrf", &csrf)]).await
}

async fn a_password_is_reset_by_card_and_otp(db: TestDb) {
    // The person is logged in somewhere else, by card (the OTP's step stays unspent).
    let mut elsewhere = browser(&db).await;
    let agent = TestAgent::enroll(&db.pool, "ws-1").await;
    let card = demo_card(demo::CARD_SERIAL, demo::LASER_ID);
    let page = elsewhere.card_login(&agent, &card).await.unwrap();
    assert_eq!(page.location, "/systems");
    let (otp_key, card_key) = (elsewhere.otp_key.clone(), elsewhere.card_key.clone());
    let mut b = browser_with_key(&db, otp_key, card_key).await;

    let login = b.get("/login").await;
    assert!(login
        .body
        .contains(r#"<a href="/forgot" id="forgot-link">ลืมรหัสผ่าน</a>"#));
    let start = b.get("/forgot").await;
    assert_eq!(start.status, StatusCode::OK);
    assert!(start
        .body
        .contains(r#"<form method="post" action="/forgot" id="forgot-name">"#));
    // No new password before the proofs.
    let early = post_step(&mut b, "/forgot/password", "password", NEW_PASSWORD).await;
    assert_eq!(early.location, "/forgot");
    name(&mut b, demo::USERNAME).await;
    let page = b.get("/forgot").await;
    assert!(page.body.contains(r#"id="forgot-card""#), "{}", page.body);
    assert!(page
        .body
        .contains(r#"<script type="module" src="/assets/forgot-card.js">"#));
    let script = b.get("/assets/forgot-card.js").await;
    assert!(script.body.contains("/forgot/card/nonce"));

    assert_eq!(card_step(&mut b, &agent, &card).await.unwrap(), "/forgot");
    let page = b.get("/forgot").await;
    assert!(
        page.body.contains(r#"id="forgot-otp""#),
        "the OTP follows the card"
    );
    let wrong = post_step(&mut b, "/forgot/otp", "code", "000000").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("รหัส OTP ไม่ถูกต้อง"));
    let code = code_now(&b);
    let right = post_step(&mut b, "/forgot/otp", "code", &code).await;
    assert_eq!(right.location, "/forgot");
    assert!(b
        .get("/forgot")
        .await
        .body
        .contains(r#"id="forgot-password""#));

    let weak = post_step(&mut b, "/forgot/password", "password", "password123").await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.body.contains("รหัสผ่านที่ใช้กันทั่วไป"), "{}", weak.body);
    let short = post_step(&mut b, "/forgot/password", "password", "short").await;
    assert!(short.body.contains("อย่างน้อย 10 ตัวอักษร"));
    let set = post_step(&mut b, "/forgot/password", "password", NEW_PASSWORD).await;
    assert_eq!(set.location, "/login?reset=1");
    assert!(b
        .get("/login?reset=1")
        .await
        .body
        .contains("ตั้งรหัสผ่านใหม่เรียบร้อยแล้ว"));

    // Every other session of the account ended; the old password no longer opens it.
    assert_eq!(elsewhere.get("/systems").await.location, "/login");
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE username = $1")
        .bind(demo::USERNAME)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(sessions, 0);
    assert_eq!(
        b.password(demo::PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(b.password(NEW_PASSWORD).await.location, "/login/otp");

    let mut outcomes = b.outcomes(audit::Method::Forgot).await;
    outcomes.sort();
    assert_eq!(
        outcomes,
        // The name, the card (assertion, ticket), the OTP twice, the password thrice.
        [
            "BAD_OTP",
            "OK",
            "OK",
            "OK",
            "OK",
            "OK",
            "WEAK_PASSWORD",
            "WEAK_PASSWORD"
        ]
    );
}

async fn a_password_is_reset_by_helpdesk_code(db: TestDb) {
    let mut b = browser(&db).await;
    let code = reset_codes::issue(&db.pool, demo::USERNAME, thaiid_server::now())
        .await
        .unwrap();
    assert_eq!(code.len(), 14, "{code}");
    name(&mut b, demo::USERNAME).await;
    let typed = code.replace('-', " ");
    assert_eq!(
        post_step(&mut b, "/forgot/code", "code", &typed)
            .await
            .location,
        "/forgot"
    );
    // The code stands in for the card; the OTP is still asked.
    assert!(b.get("/forgot").await.body.contains(r#"id="forgot-otp""#));
    let otp = code_now(&b);
    post_step(&mut b, "/forgot/otp", "code", &otp).await;
    let set = post_step(&mut b, "/forgot/password", "password", NEW_PASSWORD).await;
    assert_eq!(set.location, "/login?reset=1");
    assert_eq!(b.password(NEW_PASSWORD).await.location, "/login/otp");

    // An account without an OTP: the code alone leads to the new password.
    users::add(&db.pool, "malee.s", "มาลี สุขใจ", None, thaiid_server::now())
        .await
        .unwrap();
    let mut malee = browser_with_key(&db, b.otp_key.clone(), b.card_key.clone()).await;
    let code = reset_codes::issue(&db.pool, "malee.s", thaiid_server::now())
        .await
        .unwrap();
    name(&mut malee, "malee.s").await;
    post_step(&mut malee, "/forgot/code", "code", &code).await;
    assert!(malee
        .get("/forgot")
        .await
        .body
        .contains(r#"id="forgot-password""#));
    let short = post_step(&mut malee, "/forgot/password", "password", "Malee.S").await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    let set = post_step(&mut malee, "/forgot/password", "password", NEW_PASSWORD).await;
    assert_eq!(set.location, "/login?reset=1");
}

async fn a_reset_code_counts_once_in_time_for_its_account(db: TestDb) {
    let mut b = browser(&db).await;
    let now = thaiid_server::now();
    users::add(&db.pool, "malee.s", "มาลี สุขใจ", None, now)
        .await
        .unwrap();
    let code = reset_codes::issue(&db.pool, demo::USERNAME, now)
        .await
        .unwrap();
    let late = reset_codes::issue(&db.pool, "malee.s", now - reset_codes::TTL_SECS - 1)
        .await
        .unwrap();
    let malees = reset_codes::issue(&db.pool, "malee.s", now).await.unwrap();
    let refused = |page: &support::browser::Page| {
        page.status == StatusCode::UNAUTHORIZED && page.body.contains("รหัสรีเซ็ตไม่ถูกต้อง")
    };

    // Another account's code, then the account's own.
    name(&mut b, demo::USERNAME).await;
    assert!(refused(
        &post_step(&mut b, "/forgot/code", "code", &malees).await
    ));
    assert_eq!(
        post_step(&mut b, "/forgot/code", "code", &code)
            .await
            .location,
        "/forgot"
    );
    // Used twice: refused in another session.
    let mut again = browser_with_key(&db, b.otp_key.clone(), b.card_key.clone()).await;
    name(&mut again, demo::USERNAME).await;
    assert!(refused(
        &post_step(&mut again, "/forgot/code", "code", &code).await
    ));
    // Late: made 15 minutes and a second ago (and replaced by a newer one anyway).
    assert_eq!(
        reset_codes::spend(&db.pool, "malee.s", &late, now)
            .await
            .unwrap(),
        Err(reset_codes::CodeRefusal::Unknown)
    );
    let late = reset_codes::issue(&db.pool, "malee.s", now - reset_codes::TTL_SECS - 1)
        .await
        .unwrap();
    let mut m = browser_with_key(&db, b.otp_key.clone(), b.card_key.clone()).await;
    name(&mut m, "malee.s").await;
    assert!(refused(
        &post_step(&mut m, "/forgot/code", "code", &late).await
    ));
    assert_eq!(
        reset_codes::spend(&db.pool, "malee.s", &late, now)
            .await
            .unwrap(),
        Err(reset_codes::CodeRefusal::Expired)
    );
    assert_eq!(
        reset_codes::spend(&db.pool, demo::USERNAME, &code, now)
            .await
            .unwrap(),
        Err(reset_codes::CodeRefusal::Used)
    );

    // Guessing is limited per account, like a login.
    for _ in 2..throttle::PER_PAIR {
        assert!(refused(
            &post_step(&mut again, "/forgot/code", "code", "0000-0000-0000").await
        ));
    }
    let fresh = reset_codes::issue(&db.pool, demo::USERNAME, now)
        .await
        .unwrap();
    let throttled = post_step(&mut again, "/forgot/code", "code", &fresh).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    let outcomes = b.outcomes(audit::Method::Forgot).await;
    assert_eq!(
        outcomes.iter().filter(|o| *o == "BAD_RESET_CODE").count(),
        6
    );
    assert_eq!(outcomes.iter().filter(|o| *o == "THROTTLED").count(), 1);
}

async fn only_the_accounts_own_registered_card_proves_it(db: TestDb) {
    let mut b = browser(&db).await;
    let agent = TestAgent::enroll(&db.pool, "ws-1").await;
    let now = thaiid_server::now();
    // Malee's own card, linked and registered to her account.
    users::add(&db.pool, "malee.s", "มาลี สุขใจ", Some("1101700203450"), now)
        .await
        .unwrap();
    let malee_card = TestCard {
        citizen_id: "1101700203450".into(),
        serial: "13020155550000".into(),
        laser: Some("JT5-5555555-55"),
    };
    let laser = LaserEntry::LaserId("JT5-5555555-55");
    cards::register_by_it(
        &db.pool,
        &b.card_key,
        "malee.s",
        &malee_card.serial,
        laser,
        now,
    )
    .await
    .unwrap();

    // The nonce is given only to a page that named an account.
    let csrf = b.get("/forgot").await.csrf();
    let (status, body) = b.call("/forgot/card/nonce", &csrf).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("NO_SESSION"))
    );

    name(&mut b, demo::USERNAME).await;
    assert_eq!(
        card_step(&mut b, &agent, &malee_card).await,
        Err("CARD_NOT_ACCOUNTS".into())
    );
    // The demo's old card, replaced by IT with a new one: blocked.
    let new = LaserEntry::LaserId("JT9-1111111-11");
    cards::register_by_it(
        &db.pool,
        &b.card_key,
        demo::USERNAME,
        "13020199991111",
        new,
        now,
    )
    .await
    .unwrap();
    let old = demo_card(demo::CARD_SERIAL, demo::LASER_ID);
    assert_eq!(
        card_step(&mut b, &agent, &old).await,
        Err("CARD_BLOCKED".into())
    );
    // A login's ticket proves nothing here, and a forgot ticket logs nobody in.
    let mut other = browser_with_key(&db, b.otp_key.clone(), b.card_key.clone()).await;
    let page = other.get("/login").await;
    let nonce = other.nonce("/login/card/nonce", &page.csrf()).await;
    let new_card = demo_card("13020199991111", Some("JT9-1111111-11"));
    let (_, body) = other
        .agent_posts(agent.assert(support::browser::SITE, &nonce, &new_card))
        .await;
    let ticket = body["ticket"].as_str().unwrap();
    let page = b
        .get(&format!("/forgot/card/complete?ticket={ticket}"))
        .await;
    assert_eq!(code_of(&page.body), "UNKNOWN_TICKET");
    // The new card proves it; the OTP still stands between it and the password.
    assert_eq!(
        card_step(&mut b, &agent, &new_card).await.unwrap(),
        "/forgot"
    );
    let early = post_step(&mut b, "/forgot/password", "password", NEW_PASSWORD).await;
    assert_eq!(early.location, "/forgot");
    assert!(users::find(&db.pool, demo::USERNAME)
        .await
        .unwrap()
        .unwrap()
        .password_hash
        .is_some());
    assert_eq!(
        b.password(demo::PASSWORD).await.location,
        "/login/otp",
        "unchanged"
    );

    let mut outcomes = b.outcomes(audit::Method::Forgot).await;
    outcomes.sort();
    assert_eq!(
        outcomes,
        [
            "CARD_BLOCKED",
            "CARD_NOT_ACCOUNTS",
            "OK",
            "OK",
            "OK",
            "UNKNOWN_TICKET"
        ]
    );
}

async fn it_sets_passwords_under_the_same_rules(db: TestDb) {
    browser(&db).await;
    for (weak, th) in [
        ("qwertyuiop", "รหัสผ่านที่ใช้กันทั่วไป"),
        (demo::CITIZEN_ID, "เลขประจำตัวประชาชน"),
        ("short", "อย่างน้อย 10"),
    ] {
        let error = users::set_password(&db.pool, demo::USERNAME, weak)
            .await
            .unwrap_err();
        let users::UserError::Weak(refusal) = error else {
            panic!("{weak}: {error}");
        };
        assert!(refusal.explain().0.contains(th), "{weak}: {refusal}");
    }
    users::add(&db.pool, "malee.sukjai", "มาลี สุขใจ", None, 0)
        .await
        .unwrap();
    let error = users::set_password(&db.pool, "malee.sukjai", "Malee.Sukjai")
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("not be the user name"),
        "{error}"
    );
    assert!(users::set_password(&db.pool, demo::USERNAME, NEW_PASSWORD)
        .await
        .is_ok());
}

async fn a_card_without_its_laser_id_needs_the_otp(db: TestDb) {
    let mut b = browser(&db).await;
    let agent = TestAgent::enroll(&db.pool, "ws-1").await;
    let now = thaiid_server::now();
    users::add(&db.pool, "malee.s", "มาลี สุขใจ", Some("1101700203450"), now)
        .await
        .unwrap();
    let serial = "13020155550000";
    cards::register_by_it(
        &db.pool,
        &b.card_key,
        "malee.s",
        serial,
        LaserEntry::NoApplet,
        now,
    )
    .await
    .unwrap();
    let card = TestCard {
        citizen_id: "1101700203450".into(),
        serial: serial.into(),
        laser: None,
    };
    // No OTP to follow the card: the card alone is not enough, the helpdesk's code is.
    name(&mut b, "malee.s").await;
    assert_eq!(card_step(&mut b, &agent, &card).await.unwrap(), "NO_OTP");
    assert!(!b
        .get("/forgot")
        .await
        .body
        .contains(r#"id="forgot-password""#));
}
