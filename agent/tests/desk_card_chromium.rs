//! The helpdesk registers a person's card by inserting it (issue 19, SPEC §7b), end to
//! end: the real server in this process (SQLite), the agent of the helpdesk's workstation
//! enrolled with it, pcscd with the virtual demo card, and Debian's Chromium driven
//! through chromedriver. A helpdesk user signs in to the console by password + OTP, opens
//! the demo person's card page and presses its button; the demo card is inserted into the
//! helpdesk's reader, and the page shows the card registered (serial masked). The card
//! IT had registered before is replaced; on the login page, the demo person then puts the
//! card in again and is logged in by it.

mod support;

use axum::Router;
use support::browser::Browser;
use support::{demo_card, free_port, Home, RunningAgent};
use thaiid_server::cards::{self, LaserEntry};
use thaiid_server::roles::{self, Role};
use thaiid_server::test_support::{Database, TestServer};
use thaiid_server::{audit, demo, otp, users};
use thaiid_tests::{Faults, ReaderLock};

const HELPDESK: &str = "nida.k";
const HELPDESK_PASSWORD: &str = "nida-helpdesk-2569";
/// The card IT registered for the demo person before the one in the reader.
const OLD_SERIAL: &str = "13020199999999";

/// The helpdesk user: a password, an OTP and the helpdesk role. Answers the OTP secret.
fn add_helpdesk_user(server: &TestServer) -> String {
    let pool = &server.pool;
    server.block_on(async {
        let now = thaiid_server::now();
        users::add(pool, HELPDESK, "นิดา ช่วยเหลือ", None, now)
            .await
            .unwrap();
        users::set_password(pool, HELPDESK, HELPDESK_PASSWORD)
            .await
            .unwrap();
        let secret = users::enrol_otp(pool, &server.otp_key, HELPDESK)
            .await
            .unwrap();
        roles::grant(pool, HELPDESK, &Role::Helpdesk, audit::CLI, now)
            .await
            .unwrap();
        secret
    })
}

#[test]
fn a_helpdesk_user_registers_a_card_by_inserting_it_and_its_owner_logs_in_with_it() {
    let _locks = [
        ReaderLock::acquire(0).unwrap(),
        ReaderLock::acquire(1).unwrap(),
    ];
    thaiid_agent::http::install_crypto_provider();
    let home = Home::new();
    let agent_port = free_port();
    let agent_url = format!("https://127.0.0.1:{agent_port}");
    let server = TestServer::start_for_agent(Database::Sqlite, Router::new(), &agent_url);
    server.add_demo_person();
    let replaced = cards::register_by_it(
        &server.pool,
        &server.card_key,
        demo::USERNAME,
        OLD_SERIAL,
        LaserEntry::LaserId("JT0-9999999-99"),
        thaiid_server::now(),
    );
    server.block_on(replaced).unwrap();
    let otp_secret = add_helpdesk_user(&server);

    // The helpdesk's workstation: its agent enrolled and running, no card in yet.
    let enrolled = home
        .command()
        .args(["enroll", "--server", &server.url])
        .args(["--token", &server.enrollment_token()])
        .output()
        .unwrap();
    assert!(
        enrolled.status.success(),
        "{}",
        String::from_utf8_lossy(&enrolled.stderr)
    );
    let agent = RunningAgent::start_on(&home, agent_port, &["--allowed-origin", &server.url]);
    let browser = Browser::start(home.path());

    // The helpdesk user signs in to the console and opens the demo person's card page.
    let page = format!("{}/admin/people/{}/card", server.url, demo::USERNAME);
    browser.goto(&page);
    let code = otp::code_at(&otp_secret, thaiid_server::now() as u64).unwrap();
    browser.log_in_by_password(HELPDESK, HELPDESK_PASSWORD, &code);
    browser.wait_until("the card page", |b| {
        b.url() == page
            && !b
                .attribute("#desk-card-register", "data-nonce-url")
                .is_empty()
    });
    assert_eq!(browser.text("#person-username"), demo::USERNAME);
    assert_eq!(browser.text("#person-citizen-id"), "1-1037-xxxxx-xx-8");

    // The button, then the person's card into the helpdesk's reader.
    browser.click("#desk-card-register");
    browser.wait_until("the page waiting for the card", |b| {
        b.attribute("#card-status", "data-code") == "WAITING"
    });
    let card = demo_card(Faults::default());
    card.insert().unwrap();
    browser.wait_until("the card registered", |b| {
        b.url().contains("/card/complete") && !b.text("#registered-serial").is_empty()
    });
    assert_eq!(browser.text("#registered-serial"), "xxxxxxxxxx5678");
    assert!(browser.text("body").contains("ลงทะเบียนบัตรเรียบร้อยแล้ว"));
    let registered = server
        .block_on(cards::registered(&server.pool, demo::USERNAME))
        .unwrap()
        .unwrap();
    assert_eq!(registered.serial_masked, "xxxxxxxxxx5678");
    assert!(registered.laser, "registered with its laser ID");
    let rows = server.audit();
    // The latest registration (the demo's and IT's came before it).
    let row = rows
        .iter()
        .rev()
        .find(|row| row.entry.method == audit::Method::Register && row.entry.outcome == "OK")
        .expect("the registration's audit row");
    assert_eq!(row.entry.actor.as_deref(), Some(HELPDESK));
    assert_eq!(row.entry.username.as_deref(), Some(demo::USERNAME));

    // The helpdesk user signs out; the demo person puts the card in again and is logged in.
    browser.goto(&format!("{}/systems", server.url));
    browser.click("#logout");
    browser.wait_until("the logged-out login page", |b| {
        b.url().ends_with("/login?bye=1")
    });
    // On the open login page, putting the card in logs in with no click.
    agent.reinsert(&card);
    browser.wait_until("the demo person logged in", |b| {
        let url = b.url();
        url.ends_with("/systems") || url.ends_with("/me")
    });
    assert!(
        browser.text("body").contains(demo::DISPLAY_NAME),
        "{}",
        browser.text("body")
    );
    let logins = server.card_outcomes();
    assert_eq!(logins.last().map(String::as_str), Some("OK"), "{logins:?}");
}
