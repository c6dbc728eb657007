//! The upgrade to laser-bound registration (SPEC §7 "Registered cards"), on SQLite and
//! PostgreSQL: cards registered by their serial alone by a server of migration 8 are
//! marked, still log in as a first factor (the OTP after them), their holders land on
//! `/me`, which asks for the card again and registers it with its laser ID (a card + OTP
//! session adds the laser ID to its own card only), and `audit --alerts` lists who is left
//! (user names only).

mod support;

use axum::http::StatusCode;
use support::browser::{browser_with_key, code_now, SITE};
use support::{Database, TestAgent, TestCard, TestDb};
use thaiid_server::card_key::CardKey;
use thaiid_server::{cards, demo};

const MALEE: &str = "malee.s";
const MALEE_CID: &str = "1101700203450";
const MALEE_SERIAL: &str = "13020187654321";

fn demo_card(laser: Option<&'static str>) -> TestCard {
    TestCard {
        citizen_id: demo::CITIZEN_ID.into(),
        serial: demo::CARD_SERIAL.into(),
        laser,
    }
}

#[tokio::test]
async fn legacy_registrations_on_sqlite() {
    legacy_registrations(Database::Sqlite).await;
}

#[tokio::test]
async fn legacy_registrations_on_postgres() {
    legacy_registrations(Database::Postgres).await;
}

/// A row of the users table as a server of migration 8 wrote it.
fn old_user(username: &str, cid: &str, serial_hash: &str, laser_hash: Option<&str>) -> String {
    let laser = laser_hash.map_or("NULL".to_owned(), |hash| format!("'{hash}'"));
    format!(
        "INSERT INTO users (username, display_name, citizen_id, created_at, card_serial_hash, \
         card_laser_hash, card_serial_masked, card_registered_at) \
         VALUES ('{username}', '{username}', '{cid}', 1, '{serial_hash}', {laser}, \
         'xxxxxxxxxx0000', 1700000000)"
    )
}

async fn legacy_registrations(database: Database) {
    let card_key = CardKey::generate();
    let laser = thaiid_protocol::LaserId::parse("JT0-7777777-77").unwrap();
    let before = [
        old_user(
            demo::USERNAME,
            demo::CITIZEN_ID,
            &card_key.serial(demo::CARD_SERIAL),
            None,
        ),
        old_user(MALEE, MALEE_CID, &card_key.serial(MALEE_SERIAL), None),
        old_user(
            "somsri.k",
            "3100600123452",
            &card_key.serial("13020100000001"),
            Some(&card_key.laser(&laser)),
        ),
    ];
    let db = TestDb::upgraded(database, 8, &before).await;
    let marks: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT username, card_without_laser FROM users ORDER BY username")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    let marks: Vec<(&str, Option<&str>)> = marks
        .iter()
        .map(|(user, mark)| (user.as_str(), mark.as_deref()))
        .collect();
    assert_eq!(
        marks,
        [
            (MALEE, Some("legacy")),
            (demo::USERNAME, Some("legacy")),
            ("somsri.k", None)
        ]
    );
    let dir = tempfile::tempdir().unwrap();
    let alerts = || {
        let (code, out, _) = support::admin(&db.url, dir.path(), &["audit", "--alerts"]);
        assert_eq!(code, Some(0));
        out
    };
    let listed = alerts();
    assert_eq!(listed.lines().count(), 2, "{listed}");
    assert!(listed.contains("CARD_WITHOUT_LASER_ID\tuser malee.s\t"));
    assert!(listed.contains("CARD_WITHOUT_LASER_ID\tuser somchai.t\t"));
    for secret in [MALEE_CID, demo::CITIZEN_ID, "somsri", "JT0"] {
        assert!(!listed.contains(secret), "{secret}: {listed}");
    }

    // The holder's card still logs in, as a first factor; the OTP leads to /me.
    let otp_key = thaiid_server::otp_key::OtpKey::generate();
    let mut b = browser_with_key(&db, otp_key, card_key).await;
    let agent = TestAgent::enroll(&db.pool, "ws-1").await;
    let card = demo_card(demo::LASER_ID);
    assert_eq!(
        b.card_login(&agent, &card).await.unwrap().location,
        "/login/otp"
    );
    assert_eq!(b.otp(&code_now(&b)).await.location, "/me");
    let me = b.get("/me").await;
    assert!(
        me.body.contains(r#"<div id="register-again">"#),
        "{}",
        me.body
    );
    assert!(me.body.contains("กรุณาเสียบบัตรอีกครั้ง"));
    assert!(me.body.contains(r#"id="card-register""#));
    let csrf = me.csrf();

    // A card + OTP session adds the laser ID to its own card only, not a new card.
    let nonce = b.nonce("/me/card/nonce", &csrf).await;
    let mut new = demo_card(Some("JT9-1111111-11"));
    new.serial = "13020199991111".into();
    let (status, body) = b.agent_posts(agent.assert(SITE, &nonce, &new)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "NEEDS_PASSWORD_OTP");

    let nonce = b.nonce("/me/card/nonce", &csrf).await;
    let (status, body) = b.agent_posts(agent.assert(SITE, &nonce, &card)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ticket = body["ticket"].as_str().unwrap();
    let done = b.get(&format!("/me/card/complete?ticket={ticket}")).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let registered = cards::registered(&db.pool, demo::USERNAME)
        .await
        .unwrap()
        .unwrap();
    assert!(registered.laser && !registered.to_register_again());
    assert!(!b.get("/me").await.body.contains("register-again"));
    let listed = alerts();
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.contains("user malee.s"));

    // Bound to its laser ID now, the card logs in alone; the account (written by the old
    // server) has no password yet, so /me asks for one.
    let mut next = browser_with_key(&db, b.otp_key.clone(), b.card_key.clone()).await;
    let done = next.card_login(&agent, &card).await.unwrap();
    assert_eq!(done.location, "/me");
    assert_eq!(next.get("/systems").await.status, StatusCode::OK);
}
