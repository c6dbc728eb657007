//! The auditor's job in Debian's headless Chromium (chromedriver), in Thai, against the
//! real server: an admin grants a role on `/admin/roles`; an auditor (another person)
//! then searches `/admin/audit` for it, sees who did it, and exports the same search as
//! CSV and as JSON Lines, both carrying the row with its actor.

// The WebDriver client of the agent's browser tests, one helper in one place.
#[allow(dead_code)]
#[path = "../../agent/tests/support/browser.rs"]
mod chromium;

use chromium::Browser;
use thaiid_server::roles::{self, Role};
use thaiid_server::test_support::{Database, TestServer};
use thaiid_server::{audit, demo, otp, users};

/// Synthetic people: the auditor, and the person given a role.
const AUDITOR: &str = "kanya.a";
const AUDITOR_CITIZEN_ID: &str = "1103700123466";
const AUDITOR_PASSWORD: &str = "ตรวจสอบ-บันทึก-2569";
const HELPER: &str = "malee.s";
const HELPER_CITIZEN_ID: &str = "1101700203450";

#[test]
fn sqlite() {
    auditor_finds_an_admins_action(Database::Sqlite);
}

#[test]
fn postgres() {
    auditor_finds_an_admins_action(Database::Postgres);
}

/// What the link `css` answers, fetched by the page itself (its session cookie goes
/// along, as with a click on the link): the status, the content type and the text.
fn download(browser: &Browser, css: &str) -> (u64, String, String) {
    let css = serde_json::to_string(css).unwrap();
    let answer = browser.run(&format!(
        "return fetch(document.querySelector({css}).href, {{credentials: 'same-origin'}})\
         .then((r) => r.text().then((text) => [r.status, r.headers.get('content-type'), text]))"
    ));
    (
        answer[0].as_u64().unwrap_or_default(),
        answer[1].as_str().unwrap_or_default().to_owned(),
        answer[2].as_str().unwrap_or_default().to_owned(),
    )
}

fn auditor_finds_an_admins_action(database: Database) {
    // reqwest (the WebDriver client) wants a rustls provider even for plain HTTP.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let server = TestServer::start_on(database);
    let admin = server.add_demo_person();
    server.add_user(HELPER, HELPER_CITIZEN_ID);
    server.add_user(AUDITOR, AUDITOR_CITIZEN_ID);
    let now = thaiid_server::now();
    let auditor_secret = server.block_on(async {
        users::set_password(&server.pool, AUDITOR, AUDITOR_PASSWORD)
            .await
            .unwrap();
        let secret = users::enrol_otp(&server.pool, &server.otp_key, AUDITOR)
            .await
            .unwrap();
        for (user, role) in [(demo::USERNAME, Role::Admin), (AUDITOR, Role::Auditor)] {
            roles::grant(&server.pool, user, &role, audit::CLI, now)
                .await
                .unwrap();
        }
        secret
    });
    let home = tempfile::tempdir().unwrap();
    let browser = Browser::start(home.path());

    // The admin grants malee.s the helpdesk role in the console.
    browser.goto(&format!("{}/admin/roles", server.url));
    let code = demo::otp_now(&admin, thaiid_server::now()).unwrap();
    browser.log_in_by_password(demo::USERNAME, demo::PASSWORD, &code);
    browser.wait_until("the roles page", |b| b.url().ends_with("/admin/roles"));
    browser.type_into("#role-username", HELPER);
    browser.click("#role-change button");
    browser.wait_until("the role granted", |b| {
        b.url().ends_with("/admin/roles?done=1")
    });
    // The admin is not an auditor: no audit log for them.
    browser.goto(&format!("{}/admin/audit", server.url));
    assert!(browser.text("main").contains("ไม่มีสิทธิ์"));
    browser.goto(&format!("{}/systems", server.url));
    browser.click("#logout");
    browser.wait_until("logged out", |b| b.url().ends_with("/login?bye=1"));

    // The auditor searches for the person given the role.
    browser.goto(&format!("{}/admin/audit", server.url));
    let code = otp::code_at(&auditor_secret, thaiid_server::now() as u64).unwrap();
    browser.log_in_by_password(AUDITOR, AUDITOR_PASSWORD, &code);
    browser.wait_until("the audit page", |b| b.url().ends_with("/admin/audit"));
    assert_eq!(browser.attribute("html", "lang"), "th");
    assert_eq!(browser.text("h1"), "บันทึกการใช้งาน");
    assert!(browser.text("#alerts").contains("การแจ้งเตือน"));
    browser.type_into("#audit-person", HELPER);
    browser.run("document.querySelector('#audit-method').value = 'role'; return null;");
    let today = audit_day();
    browser.type_into("#audit-from", &today);
    browser.click("#audit-submit");
    browser.wait_until("the search", |b| b.url().contains("person=malee.s"));
    let rows = browser.text("#audit-rows tbody");
    assert!(rows.contains("helpdesk granted"), "{rows}");
    assert!(rows.contains(demo::USERNAME), "the admin is named: {rows}");
    assert_eq!(
        browser.run("return document.querySelectorAll('#audit-rows tbody tr').length;"),
        serde_json::json!(1),
        "{rows}"
    );

    // The same search as CSV and JSON Lines.
    let (status, kind, csv) = download(&browser, "#export-csv");
    assert_eq!(status, 200, "{csv}");
    assert!(kind.starts_with("text/csv"), "{kind}");
    let lines: Vec<&str> = csv.split_terminator("\r\n").collect();
    assert_eq!(lines.len(), 2, "the header and the row: {csv}");
    assert!(lines[0].starts_with("time,method,outcome,username,actor"));
    assert!(
        lines[1].contains(",role,OK,malee.s,somchai.t,,helpdesk granted,"),
        "{csv}"
    );
    let (status, kind, jsonl) = download(&browser, "#export-jsonl");
    assert_eq!(status, 200, "{jsonl}");
    assert!(kind.starts_with("application/jsonl"), "{kind}");
    let objects: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(objects.len(), 1, "{jsonl}");
    assert_eq!(objects[0]["actor"], demo::USERNAME);
    assert_eq!(objects[0]["username"], HELPER);
    assert_eq!(objects[0]["detail"], "helpdesk granted");
    assert!(objects[0]["time"].as_str().unwrap().ends_with("+07:00"));

    // The auditor's search and exports are in the log too, with the auditor as actor.
    let searched: Vec<String> = server
        .audit()
        .into_iter()
        .filter(|row| row.entry.method == audit::Method::Export)
        .filter(|row| row.entry.actor.as_deref() == Some(AUDITOR))
        .filter_map(|row| row.entry.detail)
        .collect();
    let query = format!("person=malee.s method=role from={today}");
    for kind in ["search", "csv", "jsonl"] {
        assert!(
            searched.contains(&format!("{kind}: {query}")),
            "{kind}: {searched:?}"
        );
    }
}

/// Today in Thailand, as the search form takes a day.
fn audit_day() -> String {
    let (year, month, day) = thaiid_protocol::date::thai_date(thaiid_server::now());
    format!("{year:04}-{month:02}-{day:02}")
}
