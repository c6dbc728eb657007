//! Headless Chromium (Debian's) against the real agent on https://127.0.0.1:47113:
//! trusted after the agent's setup, refused before and after `setup --uninstall`; and
//! the demo login page, served at the real login server's origin, gets a ticket through
//! thaiid-agent.js.

mod support;

use std::path::Path;
use std::process::Command;
use support::{demo_card, Home, RunningAgent, Station};
use thaiid_tests::Faults;

const AGENT_PORT: u16 = 47113;

/// The DOM Chromium ends with after loading `url` with `home`'s NSS db.
fn chromium_dom(home: &Path, url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new("chromium")
        .env("HOME", home)
        .args(support::browser::CHROMIUM_FLAGS)
        .args(["--virtual-time-budget=20000", "--dump-dom"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(url)
        .output()
        .expect("Debian's chromium must be installed (scripts/test.sh installs it)");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn text_of(dom: &str, id: &str) -> String {
    let open = format!("<pre id=\"{id}\">");
    dom.split_once(&open)
        .and_then(|(_, rest)| rest.split_once("</pre>"))
        .map(|(text, _)| text.to_owned())
        .unwrap_or_default()
}

#[test]
fn chromium_trusts_the_agent_after_setup_and_the_demo_page_logs_in() {
    use axum::response::Html;
    use axum::routing::get;
    let pages = axum::Router::new()
        .route(
            "/login.html",
            get(|| async { Html(include_str!("../assets/demo-login.html")) }),
        )
        .route(
            "/thaiid-agent.js",
            get(|| async {
                (
                    [(axum::http::header::CONTENT_TYPE, "text/javascript")],
                    include_str!("../assets/thaiid-agent.js"),
                )
            }),
        );
    let station = Station::enrolled_with(pages);
    let (server, home) = (&station.server, &station.home);
    let card = demo_card(Faults::default());
    card.insert().unwrap();
    // The page is served by the login server, so its origin is the server's.
    let agent = RunningAgent::start_on(home, AGENT_PORT, &["--allowed-origin", &server.url]);
    agent.wait_for_card();
    let stranger = Home::new();

    let openapi = format!("https://127.0.0.1:{AGENT_PORT}/openapi.json");
    let trusted = chromium_dom(home.path(), &openapi);
    assert!(
        trusted.contains("ThaiID Login Agent localhost API"),
        "after setup: {trusted}"
    );
    let untrusted = chromium_dom(stranger.path(), &openapi);
    assert!(
        !untrusted.contains("ThaiID Login Agent localhost API"),
        "without the CA: {untrusted}"
    );

    let page = format!(
        "{}/login.html?auto&nonce_url=/test/nonce&agent=https://127.0.0.1:{AGENT_PORT}",
        server.url
    );
    let dom = chromium_dom(home.path(), &page);
    assert_eq!(text_of(&dom, "error"), "", "{dom}");
    assert_eq!(
        server.redeem(&text_of(&dom, "result")),
        Ok("demo".to_owned()),
        "{dom}"
    );
    let claims = &server.accepted()[0];
    assert_eq!(
        claims.origin, server.url,
        "the assertion names the page's origin"
    );

    // --dump-dom may print the page before its call to the agent has failed (network waits
    // are outside Chromium's virtual time): ask again while the page has no answer yet.
    let mut dom = chromium_dom(stranger.path(), &page);
    for _ in 0..3 {
        if !text_of(&dom, "error").is_empty() || !text_of(&dom, "result").is_empty() {
            break;
        }
        dom = chromium_dom(stranger.path(), &page);
    }
    assert_eq!(text_of(&dom, "result"), "", "{dom}");
    assert!(
        text_of(&dom, "error").starts_with("AGENT_NOT_RUNNING"),
        "{dom}"
    );

    // `setup --uninstall` takes the CA out of the store: the same home no longer trusts it.
    let uninstall = home
        .command()
        .args(["setup", "--uninstall"])
        .output()
        .unwrap();
    assert!(
        uninstall.status.success(),
        "{}",
        String::from_utf8_lossy(&uninstall.stdout)
    );
    assert!(!home.data_dir().join("ca.pem").exists());
    let after = chromium_dom(home.path(), &openapi);
    assert!(
        !after.contains("ThaiID Login Agent localhost API"),
        "after uninstall: {after}"
    );
}
