//! The self-service tests' person and steps: a newcomer IT registered (account, citizen
//! ID, card), their first card login, the OTP setup page's secret and form, logout.

use super::browser::{browser, Browser, Page};
use super::{TestAgent, TestCard, TestDb};
use thaiid_server::otp::Step;
use thaiid_server::{cards, demo, users};

/// A synthetic person IT registered: account, citizen ID, card with its laser ID.
pub const NEWCOMER: &str = "malee.s";
pub const NEWCOMER_CID: &str = "1101700203450";
pub const NEWCOMER_PASSWORD: &str = "ช้างเผือก-ลำปาง-2567";

pub fn newcomer_card() -> TestCard {
    TestCard {
        citizen_id: NEWCOMER_CID.into(),
        serial: "13020155550000".into(),
        laser: Some("JT5-5555555-55"),
    }
}

pub fn demo_card() -> TestCard {
    TestCard {
        citizen_id: demo::CITIZEN_ID.into(),
        serial: demo::CARD_SERIAL.into(),
        laser: demo::LASER_ID,
    }
}

/// Registers the newcomer, as IT does, on the server of `b`, with `laser` as the card's
/// laser ID (`None`: a card without the laser applet); an agent to read the card.
pub async fn register_newcomer(db: &TestDb, b: &Browser, laser: Option<&'static str>) -> TestAgent {
    let now = thaiid_server::now();
    users::add(&db.pool, NEWCOMER, "มาลี สุขใจ", Some(NEWCOMER_CID), now)
        .await
        .unwrap();
    let serial = newcomer_card().serial;
    let laser = cards::LaserEntry::as_read(laser);
    cards::register_by_it(&db.pool, &b.card_key, NEWCOMER, &serial, laser, now)
        .await
        .unwrap();
    TestAgent::enroll(&db.pool, "ws-1").await
}

/// The newcomer's browser, signed in by card on its first login (the demo seeded too).
pub async fn newcomer(db: &TestDb) -> (Browser, TestAgent) {
    let mut b = browser(db).await;
    let agent = register_newcomer(db, &b, newcomer_card().laser).await;
    let landed = b.card_login(&agent, &newcomer_card()).await.unwrap();
    assert_eq!(landed.location, "/me", "a first login lands on /me");
    (b, agent)
}

/// Unix seconds now, a few seconds clear of the end of a `step`: a code of the step
/// before stays good while the test uses it.
pub async fn settled(step: Step) -> u64 {
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
pub fn secret_of(page: &Page) -> String {
    let (_, rest) = page.body.split_once("data-otpauth-uri=\"").unwrap();
    let uri = rest.split_once('"').unwrap().0.replace("&amp;", "&");
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    let (_, query) = uri.split_once("secret=").unwrap();
    query.split('&').next().unwrap().to_owned()
}

pub async fn confirm(b: &mut Browser, code: &str, current: &str) -> Page {
    let csrf = b.get("/me/otp").await.csrf();
    b.post(
        "/me/otp",
        &[("code", code), ("current", current), ("csrf", &csrf)],
    )
    .await
}

pub async fn log_out(b: &mut Browser) {
    let csrf = b.get("/me").await.csrf();
    assert_eq!(
        b.post("/logout", &[("csrf", &csrf)]).await.location,
        "/login?bye=1"
    );
}

pub async fn account(db: &TestDb, name: &str) -> users::Account {
    users::find(&db.pool, name).await.unwrap().unwrap()
}
