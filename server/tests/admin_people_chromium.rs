//! The helpdesk's `/admin/people` in Debian's headless Chromium (chromedriver), in Thai,
//! on SQLite and PostgreSQL: a helpdesk user signed in by password + OTP finds a person by
//! a part of her Thai name, opens her page and gives her a password reset code, which the
//! page shows once and which then stands in for her card.

// The WebDriver client of the agent's browser tests, one helper in one place.
#[allow(dead_code)]
#[path = "../../agent/tests/support/browser.rs"]
mod chromium;

use chromium::Browser;
use thaiid_server::people::{self, NewPerson};
use thaiid_server::roles::{self, Role};
use thaiid_server::test_support::{Database, TestServer};
use thaiid_server::{audit, demo, reset_codes};

#[test]
fn a_reset_code_on_sqlite() {
    reset_code_in_chromium(Database::Sqlite);
}

#[test]
fn a_reset_code_on_postgres() {
    reset_code_in_chromium(Database::Postgres);
}

fn shown(browser: &Browser, css: &str) -> bool {
    let css = serde_json::to_string(css).unwrap();
    browser.run(&format!("return document.querySelector({css}) !== null;")) == true
}

fn reset_code_in_chromium(database: Database) {
    // reqwest (the WebDriver client) wants a rustls provider even for plain HTTP.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let server = TestServer::start_on(database);
    let seeded = server.add_demo_person();
    let now = thaiid_server::now();
    let helpdesk = roles::grant(
        &server.pool,
        demo::USERNAME,
        &Role::Helpdesk,
        audit::CLI,
        now,
    );
    server.block_on(helpdesk).unwrap();
    let malee = NewPerson {
        username: "malee.s",
        display_name: "นางสาวมาลี สุขสันต์",
        citizen_id: Some("3100500123458"),
        ..NewPerson::default()
    };
    server
        .block_on(people::create(&server.pool, &malee, audit::CLI, now))
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let browser = Browser::start(home.path());

    // The console sends to the login page, and the login back to the console.
    browser.goto(&format!("{}/admin/people", server.url));
    let code = demo::otp_now(&seeded, thaiid_server::now()).unwrap();
    browser.log_in_by_password(demo::USERNAME, demo::PASSWORD, &code);
    browser.wait_until("the people page", |b| b.url().ends_with("/admin/people"));
    assert_eq!(browser.text("h1"), "บุคลากรและบัตร");
    browser.type_into("#people-q", "มาลี");
    browser.click("#people-find");
    browser.wait_until("the search's results", |b| {
        shown(b, r#"a[href="/admin/people/malee.s"]"#)
    });
    assert!(browser.text("#people").contains("3-1005-xxxxx-xx-8"));
    assert!(!browser.text("main").contains("3100500123458"));
    browser.click(r#"a[href="/admin/people/malee.s"]"#);
    browser.wait_until("her page", |b| b.url().ends_with("/admin/people/malee.s"));
    assert_eq!(browser.text("h1"), "นางสาวมาลี สุขสันต์");

    browser.click("#reset-code-form button");
    browser.wait_until("the code", |b| shown(b, "p#reset-code"));
    assert!(browser.text("main").contains("แสดงครั้งเดียว"));
    let given = browser.text("p#reset-code");
    assert_eq!(given.len(), 14, "{given}");
    let spent = reset_codes::spend(&server.pool, "malee.s", &given, thaiid_server::now());
    assert_eq!(server.block_on(spent).unwrap(), Ok(()));
}
