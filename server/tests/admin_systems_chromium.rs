//! An admin adds a system in Debian's headless Chromium (chromedriver; scripts/test.sh
//! installs chromium-driver), in Thai, against the real server: `/admin` sends them to
//! log in by password + OTP and back; the menu's "ระบบงาน"; the add form with a redirect
//! URI and the two-factor level; the client secret on the answer, once: the system's own
//! page, opened again, does not show it.

// The WebDriver client of the agent's browser tests, one helper in one place.
#[allow(dead_code)]
#[path = "../../agent/tests/support/browser.rs"]
mod chromium;

use chromium::Browser;
use thaiid_server::amr::Level;
use thaiid_server::oidc::clients;
use thaiid_server::roles::{self, Role};
use thaiid_server::test_support::{Database, TestServer};
use thaiid_server::{audit, demo, systems};

const CODE: &str = "05050505";
const CALLBACK: &str = "https://leave.example.go.th/oidc/callback";

fn shown(browser: &Browser, css: &str) -> bool {
    let css = serde_json::to_string(css).unwrap();
    browser.run(&format!("return document.querySelector({css}) !== null;")) == true
}

#[test]
fn an_admin_adds_a_system_and_sees_its_secret_once() {
    // reqwest (the WebDriver client) wants a rustls provider even for plain HTTP.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let server = TestServer::start_on(Database::Sqlite);
    let seeded = server.add_demo_person();
    let now = thaiid_server::now();
    server
        .block_on(roles::grant(
            &server.pool,
            demo::USERNAME,
            &Role::Admin,
            audit::CLI,
            now,
        ))
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let browser = Browser::start(home.path());

    // The console asks for a login first, then comes back.
    browser.goto(&format!("{}/admin", server.url));
    let code = demo::otp_now(&seeded, thaiid_server::now()).unwrap();
    browser.log_in_by_password(demo::USERNAME, demo::PASSWORD, &code);
    browser.wait_until("the console", |b| b.url().ends_with("/admin"));
    assert_eq!(browser.attribute("html", "lang"), "th");
    browser.click(r#"nav.admin a[href="/admin/systems"]"#);
    browser.wait_until("the systems", |b| b.url().ends_with("/admin/systems"));
    assert_eq!(browser.text("h1"), "ระบบงาน");

    browser.type_into("#system-code", CODE);
    browser.type_into("#system-name", "ระบบลาออนไลน์");
    browser.type_into("#system-url", "https://leave.example.go.th/");
    browser.type_into("#system-redirect-uris", CALLBACK);
    browser.run("document.querySelector('#system-level').value = 'two-factor';");
    browser.click("#system-add button");
    browser.wait_until("the secret", |b| shown(b, "#client-secret"));
    assert_eq!(browser.text("h1"), "เพิ่มระบบงานแล้ว");
    assert_eq!(browser.text("#client-id"), CODE);
    let secret = browser.text("#client-secret");
    let main = browser.text("main");
    assert!(main.contains("ค่านี้แสดงเพียงครั้งเดียว"), "{main}");
    let client = server
        .block_on(clients::find(&server.pool, CODE))
        .unwrap()
        .expect("a client");
    assert!(client.secret_matches(&secret));
    assert_eq!(client.redirect_uris, [CALLBACK]);
    assert_eq!(
        server
            .block_on(systems::required_level(&server.pool, CODE))
            .unwrap(),
        Some(Level::TwoFactor)
    );

    // Its page, opened again: the settings, the owners' access page, no secret.
    browser.click("main p a");
    browser.wait_until("the system's page", |b| {
        b.url().ends_with(&format!("/admin/systems/{CODE}"))
    });
    assert_eq!(browser.text("h1"), "ระบบลาออนไลน์");
    assert_eq!(browser.text("#system-redirect-uris"), CALLBACK);
    assert!(shown(&browser, "#system-access"));
    assert!(!browser.text("html").contains(&secret));
    browser.goto(&format!("{}/admin/systems/{CODE}", server.url));
    assert!(!browser
        .run("return document.documentElement.outerHTML;")
        .as_str()
        .unwrap()
        .contains(&secret));
}
