//! The OTP after a card registered without its laser ID, in Debian's headless Chromium
//! (chromedriver; scripts/test.sh installs chromium-driver) against the real server on
//! SQLite and PostgreSQL: the login page's nonce, the agent's assertion, the completion URL;
//! then the page that asks for the OTP, in Thai (English under it) with its one field
//! `code`, under the pages' CSP; the code typed logs in (`amr` card + otp) and the systems
//! page shows.

// The WebDriver client of the agent's browser tests, one helper in one place.
#[allow(dead_code)]
#[path = "../../agent/tests/support/browser.rs"]
mod chromium;

use chromium::Browser;
use thaiid_server::demo;
use thaiid_server::test_support::{Database, TestAgent, TestCard, TestServer};

#[test]
fn sqlite() {
    otp_after_card_in_chromium(Database::Sqlite);
}

#[test]
fn postgres() {
    otp_after_card_in_chromium(Database::Postgres);
}

/// The login page's script part, done by the test: this session's nonce.
const NONCE: &str = r#"
const csrf = document.querySelector('meta[name="csrf-token"]').content;
return fetch('/login/card/nonce', {
  method: 'POST',
  headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
  body: '{}',
  credentials: 'same-origin',
}).then((r) => r.json()).then((body) => body.nonce);
"#;

fn otp_after_card_in_chromium(database: Database) {
    // reqwest (the WebDriver client) wants a rustls provider even for plain HTTP.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let server = TestServer::start_on(database);
    let seeded = server.add_demo_person();
    // IT said the card has no laser applet: a first factor only.
    server.register_card(demo::USERNAME, demo::CARD_SERIAL, None);
    let agent = server.block_on(TestAgent::enroll(&server.pool, "ws-1"));
    let home = tempfile::tempdir().unwrap();
    let browser = Browser::start(home.path());

    browser.goto(&format!("{}/login", server.url));
    let nonce = browser.run(NONCE);
    let card = TestCard {
        citizen_id: demo::CITIZEN_ID.into(),
        serial: demo::CARD_SERIAL.into(),
        laser: demo::LASER_ID,
    };
    let assertion = agent.assert(&server.url, nonce.as_str().unwrap(), &card);
    let answer: serde_json::Value = reqwest::blocking::Client::new()
        .post(format!("{}/api/v1/card-logins", server.url))
        .header("content-type", "application/jose")
        .body(assertion)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let ticket = answer["ticket"].as_str().expect("a ticket");
    browser.goto(&format!(
        "{}/login/card/complete?ticket={ticket}",
        server.url
    ));
    browser.wait_until("the OTP page", |b| b.url().ends_with("/login/otp"));
    assert_eq!(browser.attribute("html", "lang"), "th");
    assert_eq!(browser.text("h1"), "ยืนยันรหัส OTP");
    let page = browser.text("main");
    assert!(
        page.contains("บัตรใบนี้ลงทะเบียนไว้โดยไม่มีเลขหลังบัตร (laser ID) จึงต้องยืนยันด้วยรหัส OTP"),
        "{page}"
    );
    assert!(page.contains("registered without its laser ID"), "{page}");
    let fields = browser.run(
        "return [...document.querySelectorAll('#otp-login input:not([type=hidden])')]\
         .map((e) => e.name);",
    );
    assert_eq!(fields, serde_json::json!(["code"]));
    // Not logged in by the card alone.
    assert_eq!(browser.text("nav"), "");

    let code = demo::otp_now(&seeded, thaiid_server::now()).unwrap();
    browser.type_into("#code", &code);
    browser.click("#otp-login button");
    browser.wait_until("the systems page", |b| b.url().ends_with("/systems"));
    assert!(browser.text("#display-name").contains(demo::DISPLAY_NAME));
    let amr: Option<String> = server
        .block_on(
            sqlx::query_scalar("SELECT amr FROM sessions WHERE username = $1")
                .bind(demo::USERNAME)
                .fetch_one(&server.pool),
        )
        .unwrap();
    assert_eq!(amr.as_deref(), Some("card otp"));
}
