//! Laser-bound registration (SPEC §7 "Registered cards"), on SQLite and PostgreSQL: a card
//! registered with its laser ID logs in alone; one registered without it (IT's
//! `--no-laser-applet`) is a first factor, and the OTP on `/login/otp` completes the login
//! (`amr` card + otp); without an OTP it cannot complete; IT cannot register a card without
//! its laser ID unless it says the card has no laser applet; `/me` refuses a card that gave
//! no laser ID and says why. The upgrade of registrations by serial alone: laser_upgrade.rs.

use thaiid_server::on_both_databases;
mod support;

use axum::http::StatusCode;
use serde_json::json;
use support::browser::{browser, browser_with_key, code_now, Browser, SITE};
use support::oidc::{code_for, exchange, new_pkce, request, token, verified, with_clients};
use support::oidc::{HR, HR_CALLBACK};
use support::{TestAgent, TestCard, TestDb};
use thaiid_server::card_key::CardKey;
use thaiid_server::cards::{self, LaserEntry};
use thaiid_server::tickets::Grant;
use thaiid_server::{audit, card_login, challenges, demo, tickets, users};

const MALEE: &str = "malee.s";
const MALEE_CID: &str = "1101700203450";
const MALEE_SERIAL: &str = "13020187654321";

on_both_databases!(
    a_card_without_its_laser_id_is_a_first_factor_the_otp_completes,
    a_card_registered_with_its_laser_id_logs_in_alone,
    without_an_otp_the_first_factor_cannot_complete,
    me_refuses_a_card_that_gave_no_laser_id,
    it_registers_an_applet_card_only_with_its_laser_id,
);

fn demo_card(laser: Option<&'static str>) -> TestCard {
    TestCard {
        citizen_id: demo::CITIZEN_ID.into(),
        serial: demo::CARD_SERIAL.into(),
        laser,
    }
}

/// `SELECT amr FROM sessions` of the browser's session.
async fn session_amr(b: &Browser) -> Option<String> {
    sqlx::query_scalar("SELECT amr FROM sessions WHERE id_hash = $1")
        .bind(b.session_hash())
        .fetch_one(&b.pool)
        .await
        .unwrap()
}

async fn a_card_without_its_laser_id_is_a_first_factor_the_otp_completes(db: TestDb) {
    let (mut b, secrets) = with_clients(&db).await;
    let agent = TestAgent::enroll(&db.pool, "ws-1").await;
    let now = thaiid_server::now();
    cards::register_by_it(
        &db.pool,
        &b.card_key,
        demo::USERNAME,
        demo::CARD_SERIAL,
        LaserEntry::NoApplet,
        now,
    )
    .await
    .unwrap();
    let pkce = new_pkce();
    let ask = request(HR, HR_CALLBACK, &pkce);
    assert_eq!(b.get(&ask).await.location, "/login");
    // The card gives a laser ID, but the registration has none: a first factor only.
    let card = demo_card(demo::LASER_ID);
    let first = b.card_login(&agent, &card).await.unwrap();
    assert_eq!(
        (first.status, first.location.as_str()),
        (StatusCode::SEE_OTHER, "/login/otp")
    );
    assert_eq!(b.get("/systems").await.location, "/login", "not alone");
    assert_eq!(
        b.get(&ask).await.location,
        "/login",
        "no code for the system"
    );
    let page = b.get("/login/otp").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("ลงทะเบียนไว้โดยไม่มีเลขหลังบัตร"),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"data-first-factor="card""#));
    let form = page.body.split_once("<form").unwrap().1;
    let form = form.split_once("</form>").unwrap().0;
    assert_eq!(form.matches("<input").count(), 2, "code and the CSRF token");
    assert!(form.contains(r#"<input name="code""#));
    assert!(form.contains(r#"type="hidden" name="csrf""#));

    let wrong = b.otp("000000").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let code = code_now(&b);
    let done = b.otp(&code).await;
    assert_eq!(done.next(), ask, "back to the system's request");
    assert_eq!(session_amr(&b).await.as_deref(), Some("card otp"));
    let given = code_for(&mut b, HR, HR_CALLBACK, &pkce).await;
    let (_, tokens) = token(
        &b,
        &exchange(&given, HR_CALLBACK, &pkce),
        Some((HR, &secrets[HR])),
    )
    .await;
    let claims = verified(&b, tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["amr"], json!(["card", "otp"]));
    assert_eq!(claims["acr"], "urn:thaiid:acr:two-factor");
    // IT said the card has no laser applet: nobody asks to register it again.
    let me = b.get("/me").await;
    assert!(!me.body.contains("register-again"), "{}", me.body);
    assert!(me.body.contains("บัตรรุ่นไม่มีเลขหลังบัตร"), "{}", me.body);
    assert!(
        !me.body.contains(r#"id="card-register""#),
        "its own card is registered"
    );

    // Each code once, also after a card.
    let csrf = me.csrf();
    b.post("/logout", &[("csrf", &csrf)]).await;
    let first = b.card_login(&agent, &card).await.unwrap();
    assert_eq!(first.location, "/login/otp");
    let again = b.otp(&code).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    assert!(again.body.contains("ถูกใช้ไปแล้ว"), "{}", again.body);
    let mut outcomes = b.outcomes(audit::Method::Otp).await;
    outcomes.sort();
    assert_eq!(outcomes, ["BAD_OTP", "OK", "REPLAYED_OTP"]);
}

async fn a_card_registered_with_its_laser_id_logs_in_alone(db: TestDb) {
    let mut b = browser(&db).await;
    let agent = TestAgent::enroll(&db.pool, "ws-1").await;
    let done = b
        .card_login(&agent, &demo_card(demo::LASER_ID))
        .await
        .unwrap();
    assert_eq!(done.location, "/systems");
    assert_eq!(session_amr(&b).await.as_deref(), Some("card"));
    let factor: String = sqlx::query_scalar("SELECT factor FROM tickets")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(factor, "card");
    // Without its laser ID it is not the registered card.
    let mut other = browser_with_key(&db, b.otp_key.clone(), b.card_key.clone()).await;
    let refused = other.card_login(&agent, &demo_card(None)).await;
    assert_eq!(refused.err().as_deref(), Some("CARD_NOT_REGISTERED"));
}

async fn without_an_otp_the_first_factor_cannot_complete(db: TestDb) {
    let mut b = browser(&db).await;
    let agent = TestAgent::enroll(&db.pool, "ws-1").await;
    let now = thaiid_server::now();
    users::add(&db.pool, MALEE, "มาลี สุขใจ", Some(MALEE_CID), now)
        .await
        .unwrap();
    cards::register_by_it(
        &db.pool,
        &b.card_key,
        MALEE,
        MALEE_SERIAL,
        LaserEntry::NoApplet,
        now,
    )
    .await
    .unwrap();
    let card = TestCard {
        citizen_id: MALEE_CID.into(),
        serial: MALEE_SERIAL.into(),
        laser: None,
    };
    let page = b.card_login(&agent, &card).await.unwrap();
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("helpdesk"), "{}", page.body);
    assert!(page.body.contains("ยังไม่ได้ลงทะเบียน OTP"), "{}", page.body);
    assert!(page.body.contains("NO_OTP"));
    assert_eq!(b.get("/login/otp").await.location, "/login");
    assert_eq!(b.get("/systems").await.location, "/login");
    assert_eq!(b.outcomes(audit::Method::Ticket).await, ["NO_OTP"]);
}

async fn me_refuses_a_card_that_gave_no_laser_id(db: TestDb) {
    let mut b = browser(&db).await;
    let agent = TestAgent::enroll(&db.pool, "ws-1").await;
    b.password(demo::PASSWORD).await;
    assert_eq!(b.otp(&code_now(&b)).await.location, "/systems");
    let csrf = b.get("/me").await.csrf();
    let nonce = b.nonce("/me/card/nonce", &csrf).await;
    let new = TestCard {
        citizen_id: demo::CITIZEN_ID.into(),
        serial: "13020199991111".into(),
        laser: None,
    };
    let (status, body) = b.agent_posts(agent.assert(SITE, &nonce, &new)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ticket = body["ticket"].as_str().unwrap();
    let done = b.get(&format!("/me/card/complete?ticket={ticket}")).await;
    assert_eq!(
        done.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        done.body
    );
    assert!(
        done.body.contains("อ่านเลขหลังบัตร (laser ID) จากบัตรไม่ได้"),
        "{}",
        done.body
    );
    assert!(done
        .body
        .contains("its laser ID could not be read from the card"));
    assert!(done.body.contains("the helpdesk registers it"));
    assert!(done.body.contains("LASER_ID_MISSING"));
    let registered = cards::registered(&db.pool, demo::USERNAME)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (registered.serial_masked.as_str(), registered.laser),
        ("xxxxxxxxxx5678", true),
        "the card registered before stays"
    );
    assert_eq!(
        b.outcomes(audit::Method::Register).await,
        [audit::LASER_ID_MISSING, "OK"],
        "newest first: refused on /me, and the demo card IT registered"
    );
}

/// A card login through the library with `card`: what its ticket gives.
async fn grant_of(db: &TestDb, key: &CardKey, agent: &TestAgent, card: &TestCard) -> Grant {
    let verifier = card_login::Verifier::new(db.pool.clone(), key.clone());
    let now = thaiid_server::now();
    let nonce = challenges::issue(&db.pool, SITE, "session-1", now)
        .await
        .unwrap();
    let token = agent.assert(SITE, &nonce, card);
    let ticket = card_login::verify(&verifier, &token, SITE, now, None)
        .await
        .unwrap();
    let purpose = challenges::Purpose::Login;
    tickets::redeem(&db.pool, &ticket.ticket, "session-1", purpose, now)
        .await
        .unwrap()
        .unwrap()
        .grant
}

async fn it_registers_an_applet_card_only_with_its_laser_id(db: TestDb) {
    let now = thaiid_server::now();
    users::add(&db.pool, MALEE, "มาลี สุขใจ", Some(MALEE_CID), now)
        .await
        .unwrap();
    let agent = TestAgent::enroll(&db.pool, "ws-1").await;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| support::admin(&db.url, dir.path(), args);
    let (code, out, err) = run(&["user", "card", MALEE, "--serial", MALEE_SERIAL]);
    assert_eq!(code, Some(1), "{out}");
    assert!(err.contains("--laser-id"), "{err}");
    assert!(err.contains("--no-laser-applet"), "{err}");
    assert!(cards::registered(&db.pool, MALEE).await.unwrap().is_none());
    let both = [
        "user",
        "card",
        MALEE,
        "--serial",
        MALEE_SERIAL,
        "--laser-id",
        "ME1-7654321-00",
        "--no-laser-applet",
    ];
    assert_eq!(run(&both).0, Some(2), "not both");

    let key = CardKey::load_or_create(&dir.path().join("card.key")).unwrap();
    let card = TestCard {
        citizen_id: MALEE_CID.into(),
        serial: MALEE_SERIAL.into(),
        laser: Some("ME1-7654321-00"),
    };
    let (code, out, _) = run(&both[..7]);
    assert_eq!(code, Some(0));
    assert!(out.contains("registered with its laser ID"), "{out}");
    assert_eq!(grant_of(&db, &key, &agent, &card).await, Grant::Card);

    let (code, out, _) = run(&[
        "user",
        "card",
        MALEE,
        "--serial",
        MALEE_SERIAL,
        "--no-laser-applet",
    ]);
    assert_eq!(code, Some(0));
    assert!(
        out.contains("the OTP follows its every card login"),
        "{out}"
    );
    assert_eq!(grant_of(&db, &key, &agent, &card).await, Grant::FirstFactor);
    let registered = cards::registered(&db.pool, MALEE).await.unwrap().unwrap();
    assert!(!registered.laser && !registered.to_register_again());
    let (_, alerts, _) = run(&["audit", "--alerts"]);
    assert!(!alerts.contains("CARD_WITHOUT_LASER_ID"), "{alerts}");
}
