//! The first login in Debian's headless Chromium (chromedriver; scripts/test.sh installs
//! chromium-driver), in Thai, against the real server: a person whose card IT registered
//! (no password, no OTP) logs in by card and lands on `/me`, sets a password there, opens
//! `/me/otp`, whose QR code carries the `otpauth://` URI in `data-otpauth-uri`, confirms
//! it with the code an app computes from that URI (a 30-second app on SQLite, a
//! 180-second one on PostgreSQL), logs out and logs in by password + OTP.

// The WebDriver client of the agent's browser tests, one helper in one place.
#[allow(dead_code)]
#[path = "../../agent/tests/support/browser.rs"]
mod chromium;

use chromium::Browser;
use thaiid_server::otp::{self, Step};
use thaiid_server::test_support::{Database, TestAgent, TestCard, TestServer};

/// A synthetic person IT registered.
const USERNAME: &str = "malee.s";
const CITIZEN_ID: &str = "1101700203450";
const SERIAL: &str = "13020155550000";
const LASER_ID: &str = "JT5-5555555-55";
const PASSWORD: &str = "ช้างเผือก-ลำปาง-2567";

#[test]
fn sqlite_with_a_30_second_app() {
    first_login_in_chromium(Database::Sqlite, Step::Standard);
}

#[test]
fn postgres_with_a_180_second_app() {
    first_login_in_chromium(Database::Postgres, Step::Slow);
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

/// Unix seconds now, a few seconds clear of the end of a `step`: a code of the step
/// before stays good while the test types it.
fn settled(step: Step) -> u64 {
    loop {
        let now = u64::try_from(thaiid_server::now()).unwrap();
        let left = step.secs() - now % step.secs();
        if left > 5 {
            return now;
        }
        std::thread::sleep(std::time::Duration::from_secs(left));
    }
}

fn card_login(server: &TestServer, browser: &Browser, agent: &TestAgent) {
    browser.goto(&format!("{}/login", server.url));
    let nonce = browser.run(NONCE);
    let card = TestCard {
        citizen_id: CITIZEN_ID.into(),
        serial: SERIAL.into(),
        laser: Some(LASER_ID),
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
}

fn first_login_in_chromium(database: Database, step: Step) {
    // reqwest (the WebDriver client) wants a rustls provider even for plain HTTP.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let server = TestServer::start_on(database);
    server.add_user(USERNAME, CITIZEN_ID);
    server.register_card(USERNAME, SERIAL, Some(LASER_ID));
    let agent = server.block_on(TestAgent::enroll(&server.pool, "ws-1"));
    let home = tempfile::tempdir().unwrap();
    let browser = Browser::start(home.path());

    // The card login lands on /me, which says what is missing.
    card_login(&server, &browser, &agent);
    browser.wait_until("/me", |b| b.url().ends_with("/me"));
    assert_eq!(browser.attribute("html", "lang"), "th");
    assert_eq!(browser.text("h1"), "ข้อมูลส่วนบุคคล");
    let page = browser.text("#first-login");
    assert!(page.contains("บัญชีของท่านยังตั้งค่าไม่ครบ"), "{page}");
    assert!(page.contains("รหัสผ่าน: ยังไม่ได้ตั้ง"), "{page}");
    assert!(page.contains("OTP: ยังไม่ได้ตั้งค่า"), "{page}");

    // The password.
    browser.type_into("#new-password", PASSWORD);
    browser.click("#password-setup button");
    browser.wait_until("the password saved", |b| {
        b.url().ends_with("/me?password=1")
    });
    assert_eq!(browser.attribute("#setup-password", "data-state"), "done");
    assert!(browser.text("main").contains("ตั้งรหัสผ่านเรียบร้อยแล้ว"));

    // The OTP: the app reads the QR code's URI.
    browser.click("#otp-setup-link");
    browser.wait_until("the OTP setup", |b| b.url().ends_with("/me/otp"));
    assert_eq!(browser.text("h1"), "ตั้งค่า OTP");
    let drawn = browser.run(
        "const r = document.querySelector('#otp-qr').getBoundingClientRect(); \
         return r.width >= 200 && r.height >= 200;",
    );
    assert_eq!(drawn, serde_json::json!(true), "the QR code is drawn");
    let uri = browser.attribute("#otp-qr", "data-otpauth-uri");
    let url = url::Url::parse(&uri).unwrap();
    assert_eq!(url.scheme(), "otpauth");
    let secret = url
        .query_pairs()
        .find(|(name, _)| name == "secret")
        .map(|(_, value)| value.into_owned())
        .expect("the URI's secret");
    assert_eq!(
        browser.text("#otp-secret").replace(' ', ""),
        secret,
        "the key in text"
    );
    // The step before's code confirms, leaving this step's code for the login.
    let now = settled(step);
    let confirming = otp::code_with_step(&secret, step, now - step.secs()).unwrap();
    browser.type_into("#code", &confirming);
    browser.click("#otp-setup button");
    let done = format!("/me?otp={}", step.secs());
    browser.wait_until("the OTP saved", |b| b.url().ends_with(&done));
    assert!(browser.text("main").contains("ตั้งค่า OTP เรียบร้อยแล้ว"));
    assert_eq!(browser.attribute("#setup-otp", "data-state"), "done");
    assert_eq!(browser.text("#first-login .notice.info"), "");

    // Out, and in again by password + OTP with the app's step.
    browser.click("#logout");
    browser.wait_until("logged out", |b| b.url().ends_with("/login?bye=1"));
    let code = otp::code_with_step(&secret, step, now).unwrap();
    browser.log_in_by_password(USERNAME, PASSWORD, &code);
    browser.wait_until("the systems page", |b| b.url().ends_with("/systems"));
    let amr: Option<String> = server
        .block_on(
            sqlx::query_scalar("SELECT amr FROM sessions WHERE username = $1")
                .bind(USERNAME)
                .fetch_one(&server.pool),
        )
        .unwrap();
    assert_eq!(amr.as_deref(), Some("pwd otp"));
}
