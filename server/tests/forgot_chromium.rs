//! Forgot password in Debian's headless Chromium (chromedriver; scripts/test.sh installs
//! chromium-driver) against the real server on SQLite and PostgreSQL, in Thai: the login
//! page's "ลืมรหัสผ่าน" link, the account's name, then the registered card (the page's
//! nonce, the agent's assertion, the completion URL, as in otp_after_card_chromium.rs)
//! or a helpdesk reset code in its place, the OTP, the new password; then a password +
//! OTP login with the new password.

// The WebDriver client of the agent's browser tests, one helper in one place.
#[allow(dead_code)]
#[path = "../../agent/tests/support/browser.rs"]
mod chromium;

use chromium::Browser;
use thaiid_server::test_support::{Database, TestAgent, TestCard, TestServer};
use thaiid_server::{demo, otp, reset_codes};

const NEW_PASSWORD: &str = "ช้างเผือก-ลำปาง-2569";

#[derive(Clone, Copy)]
enum Proof {
    Card,
    Code,
}

#[test]
fn by_card_on_sqlite() {
    forgot_in_chromium(Database::Sqlite, Proof::Card);
}

#[test]
fn by_card_on_postgres() {
    forgot_in_chromium(Database::Postgres, Proof::Card);
}

#[test]
fn by_code_on_sqlite() {
    forgot_in_chromium(Database::Sqlite, Proof::Code);
}

#[test]
fn by_code_on_postgres() {
    forgot_in_chromium(Database::Postgres, Proof::Code);
}

/// The page's script part, done by the test: this session's forgot-password nonce.
const NONCE: &str = r#"
const csrf = document.querySelector('meta[name="csrf-token"]').content;
return fetch('/forgot/card/nonce', {
  method: 'POST',
  headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
  body: '{}',
  credentials: 'same-origin',
}).then((r) => r.json()).then((body) => body.nonce);
"#;

fn shown(browser: &Browser, css: &str) -> bool {
    let css = serde_json::to_string(css).unwrap();
    browser.run(&format!("return document.querySelector({css}) !== null;")) == true
}

/// The card step: what the page's script and the agent do with the inserted card.
fn insert_card(server: &TestServer, browser: &Browser) {
    let agent = server.block_on(TestAgent::enroll(&server.pool, "ws-1"));
    let nonce = browser.run(NONCE);
    let card = TestCard {
        citizen_id: demo::CITIZEN_ID.into(),
        serial: demo::CARD_SERIAL.into(),
        laser: demo::LASER_ID,
    };
    let assertion = agent.assert(&server.url, nonce.as_str().expect("a nonce"), &card);
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
        "{}/forgot/card/complete?ticket={ticket}",
        server.url
    ));
}

/// The OTP of the step before now, so that the login after the reset has a later step
/// of its own (each step counts once) without waiting for one. Near a step's end, the
/// next step is waited for, so that the code is still accepted when it arrives.
fn previous_otp(seeded: &demo::Seeded) -> String {
    let step = otp::Step::Slow.secs() as i64;
    let left = step - thaiid_server::now() % step;
    if left < 20 {
        std::thread::sleep(std::time::Duration::from_secs(left as u64 + 1));
    }
    demo::otp_now(seeded, thaiid_server::now() - step).unwrap()
}

fn forgot_in_chromium(database: Database, proof: Proof) {
    // reqwest (the WebDriver client) wants a rustls provider even for plain HTTP.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let server = TestServer::start_on(database);
    let seeded = server.add_demo_person();
    let home = tempfile::tempdir().unwrap();
    let browser = Browser::start(home.path());

    browser.goto(&format!("{}/login", server.url));
    assert_eq!(browser.text("#forgot-link"), "ลืมรหัสผ่าน");
    browser.click("#forgot-link");
    browser.wait_until("the forgot-password page", |b| b.url().ends_with("/forgot"));
    assert_eq!(browser.attribute("html", "lang"), "th");
    assert_eq!(browser.text("h1"), "ลืมรหัสผ่าน");
    browser.type_into("#username", demo::USERNAME);
    browser.click("#forgot-name button");
    browser.wait_until("the card or code step", |b| shown(b, "#forgot-card"));
    assert_eq!(browser.text("#forgot-username"), demo::USERNAME);

    match proof {
        Proof::Card => insert_card(&server, &browser),
        Proof::Code => {
            let code = server
                .block_on(reset_codes::issue(
                    &server.pool,
                    demo::USERNAME,
                    thaiid_server::now(),
                ))
                .unwrap();
            browser.type_into("#reset-code", &code);
            browser.click("#forgot-code button");
        }
    }
    browser.wait_until("the OTP step", |b| shown(b, "#forgot-otp"));
    assert!(browser.text("main").contains("กรอกรหัส OTP 6 หลัก"));
    browser.type_into("#code", &previous_otp(&seeded));
    browser.click("#forgot-otp button");
    browser.wait_until("the new password step", |b| shown(b, "#forgot-password"));

    browser.type_into("#password", "password123");
    browser.click("#forgot-password button");
    browser.wait_until("the refusal", |b| shown(b, ".notice.error"));
    assert!(
        browser.text(".notice.error").contains("รหัสผ่านที่ใช้กันทั่วไป"),
        "{}",
        browser.text("main")
    );
    browser.type_into("#password", NEW_PASSWORD);
    browser.click("#forgot-password button");
    browser.wait_until("the login page", |b| b.url().ends_with("/login?reset=1"));
    assert!(browser.text("main").contains("ตั้งรหัสผ่านใหม่เรียบร้อยแล้ว"));

    let code = demo::otp_now(&seeded, thaiid_server::now()).unwrap();
    browser.log_in_by_password(demo::USERNAME, NEW_PASSWORD, &code);
    browser.wait_until("the systems page", |b| b.url().ends_with("/systems"));
    assert!(browser.text("#display-name").contains(demo::DISPLAY_NAME));
}
