//! The SSO pages through the router, on SQLite and PostgreSQL: sessions, CSRF, origins,
//! password + OTP (replay refused, guessing rate-limited), tickets bound to the session
//! that asked, permission requests, and the headers every page carries.

use thaiid_server::on_both_databases;
mod support;

use axum::http::{header, Request, StatusCode};
use support::browser::{browser, browser_with_key, code_now, Page, SITE};
use support::{TestAgent, TestCard, TestDb};
use thaiid_server::http::AppState;
use thaiid_server::otp_key::OtpKey;
use thaiid_server::systems::{SystemError, Verdict};
use thaiid_server::{audit, cards, demo, systems, users};

on_both_databases!(
    password_then_otp_logs_in_under_a_new_session_id,
    an_otp_is_accepted_once,
    otp_secrets_are_sealed_at_rest,
    guessing_is_rate_limited,
    a_name_that_is_no_account_is_never_stored,
    forms_need_their_csrf_token_and_origin,
    a_ticket_logs_in_only_the_session_that_asked_once,
    permission_requests_reach_it,
    pages_carry_security_headers,
    times_are_shown_on_thailands_clock,
    a_person_registers_their_own_card_on_me,
    a_card_login_cannot_register_a_card,
);

async fn password_then_otp_logs_in_under_a_new_session_id(db: TestDb) {
    let mut b = browser(&db).await;
    let login = b.get("/login").await;
    assert_eq!(login.status, StatusCode::OK);
    let anonymous = b.cookie.clone().unwrap();
    let step = b.password(demo::PASSWORD).await;
    assert_eq!(
        (step.status, step.location.as_str()),
        (StatusCode::SEE_OTHER, "/login/otp")
    );
    assert_eq!(
        b.cookie.as_deref(),
        Some(anonymous.as_str()),
        "no login yet"
    );
    assert_eq!(b.get("/systems").await.location, "/login");
    let done = b.otp(&code_now(&b)).await;
    assert_eq!(done.location, "/systems");
    let logged_in = b.cookie.clone().unwrap();
    assert_ne!(logged_in, anonymous, "the session id changes at login");
    let systems = b.get("/systems").await;
    assert!(systems.body.contains("01010101"), "{}", systems.body);
    assert!(!systems.body.contains("03010101"));
    // The id from before the login is worth nothing now.
    b.cookie = Some(anonymous);
    assert_eq!(b.get("/systems").await.location, "/login");
    assert_eq!(b.outcomes(audit::Method::Otp).await, ["OK"]);
}

async fn an_otp_is_accepted_once(db: TestDb) {
    let mut b = browser(&db).await;
    let code = code_now(&b);
    b.password(demo::PASSWORD).await;
    assert_eq!(b.otp(&code).await.location, "/systems");
    let csrf = b.get("/systems").await.csrf();
    assert_eq!(
        b.post("/logout", &[("csrf", &csrf)]).await.location,
        "/login?bye=1"
    );
    assert_eq!(b.cookie, None, "logout clears the cookie");
    b.password(demo::PASSWORD).await;
    let again = b.otp(&code).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    assert!(again.body.contains("ถูกใช้ไปแล้ว"), "{}", again.body);
    let wrong = b.otp("000000").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let mut outcomes = b.outcomes(audit::Method::Otp).await;
    outcomes.sort();
    assert_eq!(outcomes, ["BAD_OTP", "OK", "REPLAYED_OTP"]);
    assert_eq!(b.outcomes(audit::Method::Logout).await, ["OK"]);
}

async fn otp_secrets_are_sealed_at_rest(db: TestDb) {
    let mut b = browser(&db).await;
    let stored = || async {
        users::find(&db.pool, demo::USERNAME)
            .await
            .unwrap()
            .unwrap()
            .totp_secret
            .unwrap()
    };
    assert!(OtpKey::is_sealed(&stored().await));
    assert!(!stored().await.contains(&b.seeded.otp_secret));

    // A secret stored before sealing still logs in, and the server seals it at start.
    sqlx::query("UPDATE users SET totp_secret = $1 WHERE username = $2")
        .bind(&b.seeded.otp_secret)
        .bind(demo::USERNAME)
        .execute(&db.pool)
        .await
        .unwrap();
    b.password(demo::PASSWORD).await;
    assert_eq!(b.otp(&code_now(&b)).await.location, "/systems");
    assert_eq!(
        users::seal_otp_secrets(&db.pool, &b.otp_key).await.unwrap(),
        1
    );
    assert_eq!(
        users::seal_otp_secrets(&db.pool, &b.otp_key).await.unwrap(),
        0
    );
    let sealed = stored().await;
    assert_eq!(
        b.otp_key.open(&sealed, demo::USERNAME).unwrap(),
        b.seeded.otp_secret
    );

    // A server given another key file refuses to start rather than refuse every code.
    let error = users::seal_otp_secrets(&db.pool, &OtpKey::generate())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("does not open the OTP secrets of 1 account"),
        "{error}"
    );
}

async fn guessing_is_rate_limited(db: TestDb) {
    let mut b = browser(&db).await;
    for _ in 0..thaiid_server::throttle::PER_PAIR {
        let wrong = b.password("not-the-password").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert!(wrong.body.contains("ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง"));
    }
    let right = b.password(demo::PASSWORD).await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(right.body.contains("15 นาที"));
    let outcomes = b.outcomes(audit::Method::Password).await;
    assert_eq!(outcomes.iter().filter(|o| *o == "BAD_PASSWORD").count(), 5);
    assert_eq!(outcomes.iter().filter(|o| *o == "THROTTLED").count(), 1);
}

async fn a_name_that_is_no_account_is_never_stored(db: TestDb) {
    let mut b = browser(&db).await;
    // Someone typed their password into the name field.
    let typed = "Secret-Passw0rd";
    let wrong = b.password_as(typed, "x").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    b.password("not-the-password").await;
    let mut rows = audit::recent(&b.pool, 10).await.unwrap();
    rows.retain(|row| row.entry.method == audit::Method::Password);
    let names: Vec<_> = rows
        .iter()
        .map(|row| row.entry.username.as_deref())
        .collect();
    assert_eq!(names, [Some(demo::USERNAME), None]);
    let keys: Vec<String> = sqlx::query_scalar("SELECT key FROM login_throttle")
        .fetch_all(&b.pool)
        .await
        .unwrap();
    // The address's; the typed name's and the account's, each alone and with the address.
    assert_eq!(keys.len(), 5, "{keys:?}");
    for key in keys {
        assert!(!key.to_lowercase().contains(&typed.to_lowercase()), "{key}");
        assert!(!key.contains(demo::USERNAME), "{key}");
    }
}

async fn forms_need_their_csrf_token_and_origin(db: TestDb) {
    let mut b = browser(&db).await;
    let csrf = b.get("/login").await.csrf();
    let form = |csrf: &str| {
        format!(
            "username={}&password={}&csrf={csrf}",
            demo::USERNAME,
            demo::PASSWORD
        )
    };
    let post = |origin: &str| {
        Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, origin.to_owned())
    };
    let wrong = b.send(post(SITE), form("not-the-token")).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    // The right token, from another site's page.
    let (cross, body) = (post("https://evil.example"), form(&csrf));
    assert_eq!(b.send(cross, body).await.status, StatusCode::FORBIDDEN);
    assert!(b.outcomes(audit::Method::Password).await.is_empty());
    // The card button's nonce wants the token in its header, and a session.
    let nonce = |token: &str| {
        Request::post("/login/card/nonce")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ORIGIN, SITE)
            .header("x-csrf-token", token.to_owned())
    };
    let refused = b.send(nonce("wrong"), "{}".into()).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("BAD_CSRF"));
    let issued = b.send(nonce(&csrf), "{}".into()).await;
    assert_eq!(issued.status, StatusCode::OK, "{}", issued.body);
    assert!(issued.body.contains("\"nonce\""));
    b.cookie = None;
    let stranger = b.send(nonce(&csrf), "{}".into()).await;
    assert_eq!(stranger.status, StatusCode::UNAUTHORIZED);
    assert!(stranger.body.contains("NO_SESSION"));
}

async fn a_ticket_logs_in_only_the_session_that_asked_once(db: TestDb) {
    let mut asker = browser(&db).await;
    asker.get("/login").await;
    let mut other = browser_with_key(&db, asker.otp_key.clone(), asker.card_key.clone()).await;
    other.get("/login").await;
    let now = thaiid_server::now();
    for (ticket, expires_at) in [("fresh", now + 60), ("stale", now - 1)] {
        sqlx::query(
            "INSERT INTO tickets (ticket, session, username, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(ticket)
        .bind(asker.session_hash())
        .bind(demo::USERNAME)
        .bind(expires_at)
        .execute(&db.pool)
        .await
        .unwrap();
    }
    let code_of = |page: &Page| {
        page.body
            .split_once("<p class=\"code\">")
            .map(|(_, rest)| rest.split_once('<').unwrap().0.to_owned())
            .unwrap_or_default()
    };
    let page = other.get("/login/card/complete?ticket=fresh").await;
    assert_eq!(code_of(&page), "TICKET_SESSION_MISMATCH");
    let page = asker.get("/login/card/complete?ticket=stale").await;
    assert_eq!(code_of(&page), "EXPIRED_TICKET");
    let page = asker.get("/login/card/complete?ticket=never-issued").await;
    assert_eq!(code_of(&page), "UNKNOWN_TICKET");
    let before = asker.cookie.clone();
    let page = asker.get("/login/card/complete?ticket=fresh").await;
    assert_eq!(page.location, "/systems");
    assert_ne!(asker.cookie, before, "the session id changes at login");
    assert_eq!(asker.get("/systems").await.status, StatusCode::OK);
    let page = asker.get("/login/card/complete?ticket=fresh").await;
    assert_eq!(code_of(&page), "USED_TICKET");
    let mut outcomes = asker.outcomes(audit::Method::Ticket).await;
    outcomes.sort();
    // The login's row, and the refusals counted in one row of the minute per server
    // (anyone may send any ticket, however often): the other browser's on its own.
    assert_eq!(outcomes, ["OK", "USED_TICKET"]);
    other.outcomes(audit::Method::Ticket).await;
    let mut refusals: Vec<String> = audit::recent(&asker.pool, 10)
        .await
        .unwrap()
        .into_iter()
        .filter(|row| row.entry.method == audit::Method::Ticket && row.entry.outcome != "OK")
        .filter_map(|row| row.entry.detail)
        .collect();
    refusals.sort();
    assert_eq!(
        refusals,
        [
            "1 refused within 60 s: TICKET_SESSION_MISMATCH 1",
            "3 refused within 60 s: EXPIRED_TICKET 1, UNKNOWN_TICKET 1, USED_TICKET 1"
        ]
    );
}

async fn permission_requests_reach_it(db: TestDb) {
    let mut b = browser(&db).await;
    b.password(demo::PASSWORD).await;
    b.otp(&code_now(&b)).await;
    let csrf = b.get("/permissions").await.csrf();
    let empty = b
        .post(
            "/permissions",
            &[
                ("system", "03010101"),
                ("change", "grant"),
                ("reason", " "),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    let sent = b
        .post(
            "/permissions",
            &[
                ("system", "03010101"),
                ("change", "grant"),
                ("reason", "ย้ายไปกองคลัง <b>"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(sent.location, "/permissions?sent=1");
    let page = b.get("/permissions?sent=1").await;
    assert!(page.body.contains("รอพิจารณา"), "{}", page.body);
    assert!(page.body.contains("ย้ายไปกองคลัง &lt;b&gt;"), "escaped");
    let pending = systems::requests(&db.pool, None).await.unwrap();
    assert_eq!(pending.len(), 1);
    let (id, now) = (&pending[0].id, thaiid_server::now());
    systems::decide(&db.pool, id, Verdict::Approve, "", audit::CLI, now)
        .await
        .unwrap();
    assert!(b.get("/systems").await.body.contains("03010101"));
    assert!(b.get("/permissions").await.body.contains("อนุมัติแล้ว"));
    let again = systems::decide(&db.pool, id, Verdict::Reject, "late", audit::CLI, 0).await;
    assert!(matches!(again, Err(SystemError::NoPendingRequest(_))));
}

/// 2026-11-28T17:20:05Z: already the 29th in Bangkok (UTC+7).
const LATE_EVENING_UTC: i64 = 1_795_886_405;

async fn times_are_shown_on_thailands_clock(db: TestDb) {
    let mut b = browser(&db).await;
    b.password(demo::PASSWORD).await;
    b.otp(&code_now(&b)).await;
    let csrf = b.get("/permissions").await.csrf();
    let form = [
        ("system", "03010101"),
        ("change", "grant"),
        ("reason", "ย้ายไปกองคลัง"),
        ("csrf", csrf.as_str()),
    ];
    assert_eq!(
        b.post("/permissions", &form).await.location,
        "/permissions?sent=1"
    );
    for sql in [
        "UPDATE permission_requests SET created_at = $1",
        "UPDATE audit_log SET at = $1",
        "UPDATE users SET card_registered_at = $1 WHERE card_registered_at IS NOT NULL",
    ] {
        sqlx::query(sql)
            .bind(LATE_EVENING_UTC)
            .execute(&db.pool)
            .await
            .unwrap();
    }
    for path in ["/permissions", "/me"] {
        let page = b.get(path).await;
        assert!(
            page.body.contains("<td>2026-11-29 00:20:05</td>"),
            "{path}: {}",
            page.body
        );
        assert!(page.body.contains("เวลาประเทศไทย"), "{path}");
        assert!(!page.body.contains("2026-11-28"), "{path}: a UTC time");
        assert!(!page.body.contains("UTC"), "{path}");
    }
    let me = b.get("/me").await;
    assert!(
        me.body
            .contains("ลงทะเบียนเมื่อ 2026-11-29 00:20:05 เวลาประเทศไทย"),
        "the card's registration: {}",
        me.body
    );
}

async fn pages_carry_security_headers(db: TestDb) {
    let mut b = browser(&db).await;
    let page = b.get("/login").await;
    let cookie = page.headers[header::SET_COOKIE].to_str().unwrap();
    for part in ["HttpOnly", "Secure", "SameSite=Lax"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    let csp = page.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(
        csp.contains("connect-src 'self' https://127.0.0.1:47113"),
        "{csp}"
    );
    assert_eq!(page.headers[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(page.headers[header::CACHE_CONTROL], "no-store");
    for path in [
        "/systems",
        "/me",
        "/permissions",
        "/",
        "/me/card/complete?ticket=x",
    ] {
        assert_eq!(b.get(path).await.location, "/login", "{path}");
    }
    let script = b.get("/assets/login.js").await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(script.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert_eq!(
        b.get("/assets/../Cargo.toml").await.status,
        StatusCode::NOT_FOUND
    );
    assert!(page
        .body
        .contains(r#"data-agent-url="https://127.0.0.1:47113""#));

    // IT moved the agents to another port: the pages call and allow only that one.
    let state =
        AppState::new(db.pool.clone(), SITE, b.otp_key.clone(), b.card_key.clone()).unwrap();
    b.router = thaiid_server::app::router(state.with_agent_url("https://127.0.0.1:47999").unwrap());
    b.cookie = None;
    let moved = b.get("/login").await;
    let csp = moved.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("connect-src 'self' https://127.0.0.1:47999;"),
        "{csp}"
    );
    assert!(moved
        .body
        .contains(r#"data-agent-url="https://127.0.0.1:47999""#));
}

fn demo_card(serial: &str, laser: Option<&'static str>) -> TestCard {
    TestCard {
        citizen_id: demo::CITIZEN_ID.into(),
        serial: serial.into(),
        laser,
    }
}

fn error_code(body: &serde_json::Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

async fn a_person_registers_their_own_card_on_me(db: TestDb) {
    let mut b = browser(&db).await;
    let agent = TestAgent::enroll(&db.pool, "ws-1").await;
    let now = thaiid_server::now();
    users::add(&db.pool, "malee.s", "มาลี สุขใจ", Some("1101700203450"), now)
        .await
        .unwrap();
    b.password(demo::PASSWORD).await;
    assert_eq!(b.otp(&code_now(&b)).await.location, "/systems");
    let me = b.get("/me").await;
    assert!(
        me.body
            .contains(r#"data-state="registered">บัตรที่ลงทะเบียน: เลขใต้รูป <span class="serial">xxxxxxxxxx5678</span>"#),
        "the seeded demo card, masked: {}",
        me.body
    );
    assert!(me
        .body
        .contains(r#"<button type="button" id="card-register""#));
    assert!(me
        .body
        .contains(r#"<script type="module" src="/assets/card-register.js">"#));
    assert!(!me.body.contains(demo::CARD_SERIAL));
    let csrf = me.csrf();
    let script = b.get("/assets/card-register.js").await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(script.body.contains("/me/card/nonce"));

    // The nonce wants the page's CSRF token.
    let (status, body) = b.call("/me/card/nonce", "wrong").await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, "BAD_CSRF")
    );

    // Another person's card in the reader: not this account's.
    let nonce = b.nonce("/me/card/nonce", &csrf).await;
    let malee = TestCard {
        citizen_id: "1101700203450".into(),
        serial: "13020155550000".into(),
        laser: None,
    };
    let (status, body) = b.agent_posts(agent.assert(SITE, &nonce, &malee)).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, "CARD_NOT_ACCOUNTS")
    );
    assert!(cards::registered(&db.pool, "malee.s")
        .await
        .unwrap()
        .is_none());

    // The person's new card (the old one was lost).
    let new = demo_card("13020199991111", Some("JT9-1111111-11"));
    let nonce = b.nonce("/me/card/nonce", &csrf).await;
    let (status, body) = b.agent_posts(agent.assert(SITE, &nonce, &new)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ticket = body["ticket"].as_str().unwrap().to_owned();
    // A registration's ticket logs nobody in.
    let mut stranger = browser_with_key(&db, b.otp_key.clone(), b.card_key.clone()).await;
    stranger.get("/login").await;
    let page = stranger
        .get(&format!("/login/card/complete?ticket={ticket}"))
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("UNKNOWN_TICKET"));
    let done = b.get(&format!("/me/card/complete?ticket={ticket}")).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("ลงทะเบียนบัตรเรียบร้อยแล้ว"));
    assert!(done
        .body
        .contains(r#"<p id="registered-serial">xxxxxxxxxx1111</p>"#));
    let again = b.get(&format!("/me/card/complete?ticket={ticket}")).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.body.contains("USED_TICKET"));
    let me = b.get("/me").await;
    assert!(me.body.contains("xxxxxxxxxx1111</span> พร้อมเลขหลังบัตร"));
    assert!(!me.body.contains("JT9"), "never the laser ID");

    // The old card is blocked, the new one logs in (laser ID and all) on another browser.
    let old = demo_card(demo::CARD_SERIAL, None);
    let mut desk = browser_with_key(&db, b.otp_key.clone(), b.card_key.clone()).await;
    assert_eq!(
        desk.card_login(&agent, &old).await.err().as_deref(),
        Some("CARD_BLOCKED")
    );
    let no_laser = demo_card("13020199991111", None);
    assert_eq!(
        desk.card_login(&agent, &no_laser).await.err().as_deref(),
        Some("CARD_NOT_REGISTERED")
    );
    let page = desk.card_login(&agent, &new).await.unwrap();
    assert_eq!(page.location, "/systems");

    // The blocked card cannot be registered back by the person (IT can).
    let nonce = b.nonce("/me/card/nonce", &csrf).await;
    let (status, body) = b.agent_posts(agent.assert(SITE, &nonce, &old)).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, "CARD_BLOCKED")
    );
    // A nonce asked for before logging out registers nothing after.
    let nonce = b.nonce("/me/card/nonce", &csrf).await;
    b.post("/logout", &[("csrf", &csrf)]).await;
    let (status, body) = b.agent_posts(agent.assert(SITE, &nonce, &new)).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, "NEEDS_PASSWORD_OTP")
    );

    let mut registrations = b.outcomes(audit::Method::Register).await;
    registrations.sort();
    assert_eq!(
        registrations,
        [
            "CARD_BLOCKED",
            "CARD_NOT_ACCOUNTS",
            "NEEDS_PASSWORD_OTP",
            "OK",
            "OK" // the demo seed's, by IT
        ]
    );
    assert_eq!(b.outcomes(audit::Method::Block).await, ["REPLACED"]);
    let rows = audit::recent(&db.pool, 100).await.unwrap();
    let replaced = rows
        .iter()
        .find(|row| row.entry.method == audit::Method::Block)
        .unwrap();
    assert_eq!(replaced.entry.card.as_deref(), Some("xxxxxxxxxx5678"));
    let mine = rows
        .iter()
        .find(|row| {
            row.entry.method == audit::Method::Register
                && row.entry.agent_id.is_some()
                && row.entry.outcome == "OK"
        })
        .unwrap();
    assert_eq!(mine.entry.username.as_deref(), Some(demo::USERNAME));
    assert_eq!(mine.entry.card.as_deref(), Some("xxxxxxxxxx1111"));
    assert_eq!(mine.entry.citizen_id.as_deref(), Some("1-1037-xxxxx-xx-8"));
}

async fn a_card_login_cannot_register_a_card(db: TestDb) {
    let mut b = browser(&db).await;
    let agent = TestAgent::enroll(&db.pool, "ws-1").await;
    let card = demo_card(demo::CARD_SERIAL, demo::LASER_ID);
    let page = b.card_login(&agent, &card).await.unwrap();
    assert_eq!(page.location, "/systems");
    let me = b.get("/me").await;
    assert_eq!(me.status, StatusCode::OK);
    assert!(me.body.contains("xxxxxxxxxx5678"));
    assert!(!me.body.contains("card-register"), "{}", me.body);
    assert!(me
        .body
        .contains("ลงทะเบียนบัตรใหม่ได้หลังเข้าสู่ระบบด้วยชื่อผู้ใช้ รหัสผ่าน และ OTP เท่านั้น"));
    let (status, body) = b.call("/me/card/nonce", &me.csrf()).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, "NEEDS_PASSWORD_OTP")
    );
    // Nor can a login nonce of this session be turned into a registration: the card it
    // signs logs in, and registers nothing.
    let other = demo_card("13020199992222", None);
    assert_eq!(
        b.card_login(&agent, &other).await.err().as_deref(),
        Some("CARD_NOT_REGISTERED")
    );
    let registered = cards::registered(&db.pool, demo::USERNAME)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(registered.serial_masked, "xxxxxxxxxx5678");
    // An anonymous page may not ask either.
    let mut anonymous = browser_with_key(&db, b.otp_key.clone(), b.card_key.clone()).await;
    let csrf = anonymous.get("/login").await.csrf();
    let (status, body) = anonymous.call("/me/card/nonce", &csrf).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, "NEEDS_PASSWORD_OTP")
    );
}
