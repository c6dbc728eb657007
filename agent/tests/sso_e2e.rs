//! The whole product in a real browser, deployed as in a city administration: the real
//! server (in this process, on SQLite or on the PostgreSQL scripts/test.sh starts) at an
//! address Chromium takes for a public one, so Local Network Access applies to the login
//! page's calls to the agent on https://127.0.0.1:47113; the browser policy the installer
//! writes (installer/policies/chromium.json.in) for the SSO's origin; pcscd with the virtual
//! demo card; and Debian's Chromium driven through chromedriver.
//! The ID-card button logs in with a card that was in already; then, on the open login
//! page, putting the card in logs in with no click (insertion → systems page measured and
//! printed); the button with no card waits and the insertion completes that login; a card
//! left in after its login gets "take it out and put it back" (REINSERT_CARD); a login page
//! behind another tab does not take an insertion; replaying
//! the agent's assertion and reusing its ticket are refused; search, personal data, logout;
//! login by password + OTP, and registering a new card on /me; the old card (blocked), an
//! expired card and a card linked to no account, put in, are refused with their messages; a page at an origin the agent does not allow, and a browser
//! that does not trust the agent's certificate, cannot use it (the page names both
//! reasons); without the policy Chromium blocks the page, which says so and how to allow
//! it (not "agent not installed"); and an agent that stops and starts again while the page
//! is open is told, then followed again.

mod support;

use std::time::{Duration, Instant};
use support::browser::{Browser, Deployment};
use support::{demo_card, demo_station, swap, Home, RunningAgent};
use thaiid_server::demo;
use thaiid_server::test_support::{Database, TestServer};
use thaiid_tests::{CardFixture, Faults, ReaderLock};

const AGENT_PORT: u16 = 47113;

#[test]
fn sqlite() {
    logins_in_chromium(Database::Sqlite);
}

#[test]
fn postgres() {
    logins_in_chromium(Database::Postgres);
}

/// `SELECT COUNT(*) …` on the server's database.
fn count(server: &TestServer, sql: &str) -> i64 {
    server
        .block_on(sqlx::query_scalar::<_, i64>(sql).fetch_one(&server.pool))
        .unwrap()
}

/// The ticket the browser redeemed.
fn used_ticket(server: &TestServer) -> String {
    let query =
        sqlx::query_scalar::<_, String>("SELECT ticket FROM tickets WHERE used_at IS NOT NULL");
    server.block_on(query.fetch_one(&server.pool)).unwrap()
}

/// The installer's Chromium policy (LocalNetworkAccessAllowedForUrls and
/// LoopbackNetworkAllowedForUrls) for `origins`.
fn installer_policy(origins: &[&str]) -> serde_json::Value {
    let template = include_str!("../../installer/policies/chromium.json.in");
    let origins = serde_json::to_string(origins).unwrap();
    serde_json::from_str(&template.replace("@ORIGINS@", &origins)).unwrap()
}

/// The code the login page shows in its card status, "" before it shows one.
fn card_status(browser: &Browser) -> String {
    browser.attribute("#card-status", "data-code")
}

fn wait_for_status(browser: &Browser, code: &str) {
    browser.wait_until(code, |b| card_status(b) == code);
}

fn logins_in_chromium(database: Database) {
    let _locks = [
        ReaderLock::acquire(0).unwrap(),
        ReaderLock::acquire(1).unwrap(),
    ];
    let server = TestServer::start_on(database);
    let seeded = server.add_demo_person();
    let home = Home::new();
    let (card, agent) = demo_station(&home, &server.url, &server.enrollment_token(), AGENT_PORT);
    // The server's address is a public one to Chromium; `localhost` reaches the same address
    // as another origin, which the agent does not allow (the policy does: see the end).
    let endpoint = server.url.trim_start_matches("http://").to_owned();
    let foreign = server.url.replace("127.0.0.1", "localhost");
    let deployed = Deployment {
        public: vec![endpoint.clone()],
        policy: Some(installer_policy(&[&server.url, &foreign])),
    };
    let browser = Browser::deployed(home.path(), &deployed);
    let at = |path: &str| format!("{}{path}", server.url);
    let on = |path: &'static str| move |b: &Browser| b.url().ends_with(path);
    let card_logins = || {
        count(
            &server,
            "SELECT COUNT(*) FROM audit_log WHERE method = 'card' AND outcome = 'OK'",
        )
    };

    // A card in already: the page says so, and the ID-card button logs in with it.
    browser.goto(&at("/login"));
    wait_for_status(&browser, "CARD_IN");
    browser.click("#card-login");
    browser.wait_until("the systems page", on("/systems"));
    assert_eq!(card_logins(), 1);
    browser.click("#logout");
    browser.wait_until("the logged-out login page", on("/login?bye=1"));

    // Login by inserting the card: the login page open, the card out, then in; no click.
    card.remove().unwrap();
    agent.wait_for_no_card();
    wait_for_status(&browser, "INSERT_CARD");
    let card = demo_card(Faults::default());
    let inserted = Instant::now();
    let inserted_at = std::time::SystemTime::now();
    card.insert().unwrap();
    browser.wait_every(Duration::from_millis(5), "the systems page", |b| {
        b.run("return location.pathname === '/systems' && document.getElementById('systems') !== null;")
            == serde_json::Value::Bool(true)
    });
    let took = inserted.elapsed();
    // The systems page's navigation began when the login page had the agent's ticket.
    let navigation_start = browser
        .run("return performance.timeOrigin;")
        .as_f64()
        .unwrap();
    let ticket_after = navigation_start
        - inserted_at
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
            * 1000.0;
    println!(
        "insertion -> systems page (public address, installer policy): {} ms \
         (the ticket in the login page after {ticket_after:.0} ms)",
        took.as_millis()
    );
    let systems = browser.text("#systems");
    for (code, name, granted) in demo::SYSTEMS {
        assert_eq!(systems.contains(code), *granted, "{code} in {systems}");
        assert_eq!(systems.contains(name), *granted, "{name} in {systems}");
    }
    assert_eq!(browser.text("#display-name"), demo::DISPLAY_NAME);
    assert_eq!(card_logins(), 2);

    // The agent's assertion, posted again, and the ticket, used again.
    let assertion = server.posted()[1].assertion.clone();
    let replay = reqwest::blocking::Client::new()
        .post(at("/api/v1/card-logins"))
        .header("content-type", "application/jose")
        .body(assertion)
        .send()
        .unwrap();
    assert_eq!(replay.status(), 409);
    let error: serde_json::Value = replay.json().unwrap();
    assert_eq!(error["error"]["code"], "REPLAYED_JTI");
    browser.goto(&at(&format!(
        "/login/card/complete?ticket={}",
        used_ticket(&server)
    )));
    assert_eq!(browser.text(".code"), "USED_TICKET");

    // Search, personal data (citizen ID masked), logout.
    browser.goto(&at("/systems?q=สารบรรณ"));
    let found = browser.text("#systems");
    assert!(
        found.contains("01010102") && !found.contains("01010101"),
        "{found}"
    );
    browser.goto(&at("/me"));
    assert_eq!(browser.text("#citizen-id"), "1-1037-xxxxx-xx-8");
    assert!(!browser.text("body").contains(demo::CITIZEN_ID));
    browser.click("#logout");
    browser.wait_until("the logged-out login page", on("/login?bye=1"));
    browser.goto(&at("/systems"));
    browser.wait_until("the login page again", on("/login"));

    // User name + password, then the OTP of the mobile app.
    browser.type_into("#username", demo::USERNAME);
    browser.type_into("#password", demo::PASSWORD);
    browser.click("#password-login button");
    browser.wait_until("the OTP page", on("/login/otp"));
    let code = demo::otp_now(&seeded, thaiid_server::now()).unwrap();
    browser.type_into("#code", &code);
    browser.click("#otp-login button");
    browser.wait_until("the systems page", on("/systems"));
    assert!(browser.text("#systems").contains("01010101"));

    // The person lost the card and got a new one (another serial and laser ID): a password
    // + OTP session registers it on /me, and the old card is blocked.
    let demo_toml = std::fs::read_to_string(thaiid_tests::cards_dir().join("demo.toml")).unwrap();
    let new_card = CardFixture::from_toml(
        &thaiid_tests::cards_dir().join("demo-new.toml"),
        &demo_toml
            .replace(
                "card_serial = \"13020112345678\"",
                "card_serial = \"13020199991111\"",
            )
            .replace(
                "laser_id = \"JT0-1234567-89\"",
                "laser_id = \"JT9-1111111-11\"",
            ),
    )
    .unwrap();
    browser.goto(&at("/me"));
    assert!(browser.text("#registered-card").contains("xxxxxxxxxx5678"));
    let card = swap(&agent, card, new_card);
    browser.click("#card-register");
    browser.wait_until("the registration's result", |b| {
        b.url().contains("/me/card/complete")
    });
    assert_eq!(browser.text("#registered-serial"), "xxxxxxxxxx1111");
    browser.goto(&at("/me"));
    assert!(browser.text("#registered-card").contains("xxxxxxxxxx1111"));
    assert!(!browser.text("body").contains("JT9"), "never the laser ID");

    // The button with no card in (the new card out): the agent waits for one, and putting
    // the card in completes that login; the page starts no second one for the insertion.
    browser.click("#logout");
    browser.wait_until("the logged-out login page", on("/login?bye=1"));
    card.remove().unwrap();
    agent.wait_for_no_card();
    wait_for_status(&browser, "INSERT_CARD");
    browser.click("#card-login");
    wait_for_status(&browser, "WAITING");
    card.insert().unwrap();
    browser.wait_until("the systems page", on("/systems"));
    assert_eq!(card_logins(), 3);

    // That insertion gave its login: the button, with the card left in, gets the agent's
    // REINSERT_CARD, and the page tells the person to take the card out and put it back.
    browser.click("#logout");
    browser.wait_until("the logged-out login page", on("/login?bye=1"));
    wait_for_status(&browser, "CARD_IN");
    browser.click("#card-login");
    wait_for_status(&browser, "REINSERT_CARD");
    let text = browser.text("#card-status");
    for says in [
        "ถอดบัตรออก",
        "เสียบใหม่",
        "take it out of the reader and put it back in",
    ] {
        assert!(text.contains(says), "{says} in {text}");
    }
    assert_eq!(card_logins(), 3);

    // Cards the server refuses, put in on the open login page: each with its message.
    let expired = CardFixture::from_toml(
        &thaiid_tests::cards_dir().join("expired.toml"),
        &demo_toml.replace("expiry_date = \"25730814\"", "expiry_date = \"25600101\""),
    )
    .unwrap();
    let stranger = CardFixture::named("lifelong-unknown-month").unwrap();
    let mut inserted = card;
    for (fixture, code, says) in [
        (
            CardFixture::named("demo").unwrap(),
            "CARD_BLOCKED",
            "ถูกระงับ",
        ),
        (expired, "CARD_EXPIRED", "หมดอายุ"),
        (stranger, "NOT_LINKED", "ยังไม่ได้ผูกกับบัญชี"),
    ] {
        inserted = swap(&agent, inserted, fixture);
        wait_for_status(&browser, code);
        let text = browser.text("#card-status");
        assert!(text.contains(says), "{text}");
    }

    // The same pages at an origin the agent does not allow: the browser lets the page call
    // (the policy names it), the agent refuses it, and the page cannot tell that from an
    // agent that is not there.
    let cards_before = count(
        &server,
        "SELECT COUNT(*) FROM audit_log WHERE method = 'card'",
    );
    browser.goto(&format!("{foreign}/login"));
    wait_for_status(&browser, "AGENT_NOT_RUNNING");
    browser.click("#card-login");
    browser.wait_until("the card button's error", |b| {
        card_status(b) == "AGENT_NOT_RUNNING" && !b.text("#card-status").contains("กำลัง")
    });
    assert_eq!(
        browser.attribute("#agent-check", "href"),
        format!("https://127.0.0.1:{AGENT_PORT}/openapi.json")
    );
    assert_eq!(
        count(
            &server,
            "SELECT COUNT(*) FROM audit_log WHERE method = 'card'"
        ),
        cards_before
    );
    drop(browser);

    // A browser that does not trust the agent's certificate (a home without its CA), under
    // the policy: not blocked, so the page says the agent cannot be reached and names the
    // certificate among the reasons.
    let stranger = Home::new();
    let browser = Browser::deployed(stranger.path(), &deployed);
    browser.goto(&at("/login"));
    wait_for_status(&browser, "AGENT_NOT_RUNNING");
    let text = browser.text("#card-status");
    for says in ["ใบรับรอง", "certificate", "Check the agent"] {
        assert!(text.contains(says), "{says} in {text}");
    }
    drop(browser);

    // Without the policy, Chromium's Local Network Access blocks the public page's calls to
    // the agent (headless, nobody can answer its prompt): the page says so and how to allow
    // it, while the agent runs.
    let unmanaged = Deployment {
        public: vec![endpoint],
        policy: None,
    };
    let browser = Browser::deployed(home.path(), &unmanaged);
    browser.goto(&at("/login"));
    wait_for_status(&browser, "LOCAL_NETWORK_BLOCKED");
    browser.click("#card-login");
    browser.wait_until("the card button's error", |b| {
        card_status(b) == "LOCAL_NETWORK_BLOCKED" && !b.text("#card-status").contains("กำลัง")
    });
    let text = browser.text("#card-status");
    for says in [
        "เบราว์เซอร์ไม่อนุญาต",
        "Local Network Access",
        "Site settings",
        "LocalNetworkAccessAllowedForUrls",
        &server.url,
    ] {
        assert!(text.contains(says), "{says} in {text}");
    }
    for never in ["ติดตั้ง", "not installed"] {
        assert!(!text.contains(never), "{never} in {text}");
    }
    inserted = swap(&agent, inserted, CardFixture::named("demo").unwrap());
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(card_status(&browser), "LOCAL_NETWORK_BLOCKED");
    assert_eq!(
        count(
            &server,
            "SELECT COUNT(*) FROM audit_log WHERE method = 'card'"
        ),
        cards_before
    );
    drop(browser);

    // The agent stops while the login page is open, under the policy: the page says it
    // cannot reach the agent (not that the browser blocked it), and follows the agent again
    // once it is back, with no reload.
    let browser = Browser::deployed(home.path(), &deployed);
    browser.goto(&at("/login"));
    wait_for_status(&browser, "CARD_IN");
    drop(agent);
    wait_for_status(&browser, "AGENT_NOT_RUNNING");
    let agent = RunningAgent::start_on(&home, AGENT_PORT, &["--allowed-origin", &server.url]);
    agent.wait_for_card();
    wait_for_status(&browser, "CARD_IN");
    drop((browser, inserted, agent));

    // `doctor` asks this server whether it takes the agent's assertions: yes, and once
    // IT revoked the workstation, no. Its question leaves an audit row with no one's card
    // (the citizen ID all zeros).
    let enrollment_line = || {
        // With the state dir: the service's own checks, the enrollment among them.
        let output = (home.command().arg("doctor").arg("--state-dir"))
            .arg(home.data_dir())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        text.lines()
            .find(|line| line.contains("enrollment: "))
            .unwrap_or_else(|| panic!("no enrollment line in:\n{text}"))
            .to_owned()
    };
    let line = enrollment_line();
    assert!(line.contains("which takes its assertions"), "{line}");
    let probes = "SELECT COUNT(*) FROM audit_log WHERE method = 'card' \
                  AND outcome = 'UNKNOWN_NONCE' AND citizen_id = '0-0000-xxxxx-xx-0'";
    assert_eq!(count(&server, probes), 1);
    let agent_id = server.agents()[0].id.clone();
    server.revoke_agent(&agent_id);
    let line = enrollment_line();
    assert!(
        line.starts_with("fail  ") && line.contains("revoked this workstation"),
        "{line}"
    );
}
